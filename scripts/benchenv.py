"""What the benchmark scripts run and against what: the installed ``xlreport`` command beside
this interpreter (what a user runs: no runpy), and a warning when the package is installed
editable, whose import hook (a .pth file read at every start) slows `python -c pass` itself,
so that every ratio to it reads low (seen: 42 ms against 17 ms for a wheel install)."""

from __future__ import annotations

import json
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path


def xlreport_command() -> list[str]:
    script = Path(sys.executable).parent / ("xlreport.exe" if sys.platform == "win32" else "xlreport")
    return [str(script)] if script.exists() else [sys.executable, "-m", "xlreport"]


def editable_warning() -> str | None:
    try:
        text = distribution("xlreport").read_text("direct_url.json")
    except PackageNotFoundError:
        return "warning: xlreport is not installed in this interpreter: run from an install (pip install .)"
    if text and json.loads(text).get("dir_info", {}).get("editable"):
        return ("warning: xlreport is installed editable here: its import hook slows `python -c pass` as well, "
                "so the ratios read low; measure in a virtual environment made with `pip install .`")
    return None
