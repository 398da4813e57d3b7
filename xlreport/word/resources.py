"""Files that ship with the package (templates/ is installed as xlreport.templates)."""

from __future__ import annotations

from pathlib import Path

TEMPLATE_NAME = "report-template.docx"


def templates_dir() -> Path:
    try:
        from importlib.resources import files

        # templates/ has no __init__.py: files() may give a MultiplexedPath, whose str() is no path
        candidate = files("xlreport.templates") / TEMPLATE_NAME
        if candidate.is_file():
            return Path(str(candidate)).parent
    except (ModuleNotFoundError, TypeError, ValueError):
        pass
    # running from a source checkout: templates/ sits beside the package
    return Path(__file__).resolve().parent.parent.parent / "templates"


def default_template() -> Path:
    return templates_dir() / TEMPLATE_NAME

