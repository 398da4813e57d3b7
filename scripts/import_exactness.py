"""How exactly published reports read back, per form (issue 16's closing figures).

    python scripts/import_exactness.py

The test reports: the real ones in tests/data as published (PDF text as .txt, a web page), each
also rendered as the agency would publish it — the report `xlreport build` writes (.docx) and
that printed to PDF by LibreOffice — plus the transcriptions of tests/data/transcriptions
rendered the same way, and the .txt reports with their table numbers run together. Each file
is imported and every cell of the three tables compared with what it shows:

    exact     every cell as published
    partial   cells left unread, each with its reason (digits that split more than one way, a row
              whose numbers cannot be placed)
    refused   not imported, with a message that says why
    wrong     a cell read as another number than the one printed (a silent error)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from import_fixtures import transcribed  # noqa: E402

from xlreport.errors import XlreportError  # noqa: E402
from xlreport.format import spec  # noqa: E402
from xlreport.importers import import_report  # noqa: E402
from xlreport.model import Report, load_json_file  # noqa: E402
from xlreport.word.render import render_docx  # noqa: E402

DATA = ROOT / "tests" / "data"
TABLE_FIELDS = [f for f in spec.FIELDS if f.table in ("active", "requests", "appeals")]


def published() -> list[tuple[str, Path, dict]]:
    """(form, file, the cells it prints) of the reports as published."""
    out = [("txt", DATA / f"{n}.txt", transcribed(DATA / f"{n}.json")) for n in ("06-huaian-shi-2024", "07-hongze-qu-2023", "08-hongze-qu-2024")]
    example = load_json_file(ROOT / "examples" / "shangyou-commerce-2024.json").with_totals()
    out.append(("txt", DATA / "shangyou-commerce-2024.txt", {f.path: example.values.get(f.path) for f in TABLE_FIELDS}))
    out.append(("html", DATA / "hangzhou-style-2025.html", transcribed(DATA / "hangzhou-style-2025.ref.json")))
    return out


def as_report(cells: dict, agency: str, year: int) -> Report:
    r = Report()
    r.meta.update(agency=agency, year=year)
    r.values.update({path: (0 if v is None else v) for path, v in cells.items()})  # build prints what is not published as 0
    return r


def rendered(tmp: Path) -> list[tuple[str, Path, dict]]:
    """Every reference report as `xlreport build` writes it, and that printed to PDF."""
    sources = [(n, transcribed(DATA / f"{n}.json")) for n in ("06-huaian-shi-2024", "07-hongze-qu-2023", "08-hongze-qu-2024")]
    sources.append(("hangzhou-style-2025", transcribed(DATA / "hangzhou-style-2025.ref.json")))
    sources += [(p.stem, transcribed(p)) for p in sorted((DATA / "transcriptions").glob("*.json"))]
    out, docs = [], []
    for name, cells in sources:
        report = as_report(cells, "测试县人民政府", 2024)
        docx = render_docx(report, tmp / f"{name}.docx")
        shown = {path: (0 if v is None else v) for path, v in cells.items()}
        out.append(("docx", docx, shown))
        docs.append((docx, shown))
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice:
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                            "--outdir", str(tmp), *(str(d) for d, _ in docs)], check=True, capture_output=True, timeout=600)
        out += [("pdf", d.with_suffix(".pdf"), shown) for d, shown in docs]
    return out


def glued(tmp: Path, files) -> list[tuple[str, Path, dict]]:
    out = []
    for form, path, cells in files:
        if form != "txt":
            continue
        text = "\n".join(_glue(line) for line in path.read_text(encoding="utf-8").splitlines())
        target = tmp / f"glued-{path.name}"
        target.write_text(text, encoding="utf-8")
        out.append(("txt, digits run together", target, cells))
    return out


def _glue(line: str) -> str:
    m = re.match(r"^(.*?)((?:\s*\d+)+)\s*$", line)
    if m and len(m.group(2).split()) >= 2 and not re.search(r"\d{4}\s*年", line):
        return m.group(1).rstrip() + "".join(m.group(2).split())
    return line


def outcome(path: Path, cells: dict) -> tuple[str, str]:
    try:
        imported = import_report(path)
    except XlreportError as e:
        return "refused", e.message.split("：", 1)[-1][:60]
    values = imported.report.values
    wrong = [f.key for f in TABLE_FIELDS if values.get(f.path) is not None and _num(values[f.path]) != _num(cells.get(f.path))]
    unread = [f.key for f in TABLE_FIELDS if values.get(f.path) is None and cells.get(f.path) is not None]
    if wrong:
        return "wrong", f"{len(wrong)} cells: {', '.join(wrong[:3])}"
    if unread:
        return "partial", f"{len(unread)} cells unread, each said why"
    return "exact", ""


UNRULED = "pdf, as if without ruling lines"  # its text lines and where the numbers stand
BEFORE = "pdf, by text lines alone (before)"


def without(path: Path, cells: dict, positions: bool) -> tuple[str, str]:
    """The PDF read without its ruling lines (as a table drawn without them is), and also
    without the numbers' positions (as the importer read every PDF before)."""
    from xlreport.importers import pdf

    real = pdf.extract

    def without_grids(path, data):
        doc = real(path, data)
        doc.blocks = [b for b in doc.blocks if b.kind != "grid"]
        if positions:
            doc.positions = {}
        return doc

    pdf.extract = without_grids
    try:
        return outcome(path, cells)
    finally:
        pdf.extract = real


def _num(v):
    return None if v is None else Decimal(str(v))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = published()
        files += glued(tmp, files) + rendered(tmp)
        pdfs = [(path, cells) for form, path, cells in files if form == "pdf"]
        files += [(UNRULED, path, cells) for path, cells in pdfs] + [(BEFORE, path, cells) for path, cells in pdfs]
        tally: dict[str, dict[str, int]] = {}
        for form, path, cells in files:
            kind, detail = without(path, cells, positions=form == BEFORE) if form in (UNRULED, BEFORE) else outcome(path, cells)
            tally.setdefault(form, {"exact": 0, "partial": 0, "refused": 0, "wrong": 0})[kind] += 1
            print(f"{form:<34} {path.name:<40} {kind:<8} {detail}")
        print()
        print(f"{'form':<34} {'files':>5} {'exact':>6} {'partial':>8} {'refused':>8} {'wrong':>6}")
        for form, t in tally.items():
            print(f"{form:<34} {sum(t.values()):>5} {t['exact']:>6} {t['partial']:>8} {t['refused']:>8} {t['wrong']:>6}")


if __name__ == "__main__":
    main()
