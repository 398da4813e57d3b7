"""Regenerate the bundled example from its JSON report: the workbook, then the Word report.

    python scripts/make_example.py

examples/shangyou-commerce-2024.json is the 上犹县商务局 2024 report as data; the workbook is
what `xlreport new --data` makes of it, and the .docx is what `xlreport build` makes of the workbook.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
STEM = "shangyou-commerce-2024"


def run(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "xlreport", *args], check=True)


def main() -> None:
    json_report = EXAMPLES / f"{STEM}.json"
    workbook = EXAMPLES / f"{STEM}.xlsx"
    report = EXAMPLES / f"{STEM}.docx"
    run("new", "--data", str(json_report), "-o", str(workbook), "--force")
    run("build", str(workbook), "-o", str(report), "--force")


if __name__ == "__main__":
    main()
