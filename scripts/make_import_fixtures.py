"""Regenerate tests/data/07-hongze-qu-2023.pdf: the 07 report as published text, imported, rendered
to Word by `xlreport build`'s renderer and printed to PDF by LibreOffice (needs soffice).

    python scripts/make_import_fixtures.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from xlreport.importers import import_report  # noqa: E402
from xlreport.word.render import convert_to_pdf, render_docx  # noqa: E402

DATA = REPO / "tests" / "data"


def main() -> None:
    report = import_report(DATA / "07-hongze-qu-2023.txt").report
    with tempfile.TemporaryDirectory() as tmp:
        docx = Path(tmp) / "07.docx"
        render_docx(report, docx, force=True)
        convert_to_pdf(docx, DATA / "07-hongze-qu-2023.pdf", force=True)
    print(f"written: {DATA / '07-hongze-qu-2023.pdf'}")


if __name__ == "__main__":
    main()
