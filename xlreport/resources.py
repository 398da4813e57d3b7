"""Files that ship with the package (templates/ is installed as xlreport.templates)."""

from __future__ import annotations

from pathlib import Path

TEMPLATE_NAME = "report-template.docx"


def templates_dir() -> Path:
    try:
        from importlib.resources import files

        d = Path(str(files("xlreport.templates")))
        if (d / TEMPLATE_NAME).exists():
            return d
    except (ModuleNotFoundError, TypeError):
        pass
    # running from a source checkout: templates/ sits beside the package
    return Path(__file__).resolve().parent.parent / "templates"


def default_template() -> Path:
    return templates_dir() / TEMPLATE_NAME


def schema_path() -> Path:
    return Path(__file__).resolve().parent / "report.schema.json"
