"""Whole-process timings of the commands a clerk runs, against `python -c pass`.

    python scripts/bench_commands.py [--runs 9]

Prints, for `xlreport new`, `check`, `export` and `build` on the bundled example, the median
wall time of several runs and its ratio to the median of `python -c pass` measured in the
same run, and which heavy modules each command imports.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_JSON = ROOT / "examples" / "shangyou-commerce-2024.json"
EXAMPLE_XLSX = ROOT / "examples" / "shangyou-commerce-2024.xlsx"
HEAVY = ("openpyxl", "xlsxwriter", "docxtpl", "docx", "jinja2", "lxml")
# measure what a user gets: an installed package runs from compiled bytecode
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def median_wall(cmd: list[str], runs: int, cwd: Path) -> float:
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)  # warm: bytecode, disk cache
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def heavy_imports(cmd: list[str], cwd: Path) -> list[str]:
    err = subprocess.run([sys.executable, "-X", "importtime", *cmd[1:]], cwd=cwd, capture_output=True, text=True, env=ENV).stderr
    names = {line.split("|")[-1].strip() for line in err.splitlines() if line.startswith("import time:")}
    return sorted(h for h in HEAVY if h in names)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        commands = {
            "python -c pass": [py, "-c", "pass"],
            "xlreport new": [py, "-m", "xlreport", "new", "--data", str(EXAMPLE_JSON), "-o", "new.xlsx", "--force"],
            "xlreport check": [py, "-m", "xlreport", "check", str(EXAMPLE_XLSX)],
            "xlreport export": [py, "-m", "xlreport", "export", str(EXAMPLE_XLSX), "-o", "out.json", "--force"],
            "xlreport build": [py, "-m", "xlreport", "build", str(EXAMPLE_XLSX), "-o", "out.docx", "--force"],
        }
        base = median_wall(commands["python -c pass"], args.runs, work)
        print(f"{'command':<18} {'median':>9} {'ratio':>7}  heavy imports")
        for name, cmd in commands.items():
            wall = base if name == "python -c pass" else median_wall(cmd, args.runs, work)
            heavy = "" if name == "python -c pass" else ", ".join(heavy_imports(cmd, work)) or "none"
            print(f"{name:<18} {wall * 1000:>7.0f}ms {wall / base:>6.1f}x  {heavy}")


if __name__ == "__main__":
    main()
