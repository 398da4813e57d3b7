"""PDF tables by cell (issue 16.2): a table drawn with ruling lines is read cell by cell, so an
empty cell comes back empty — not a row dropped, not a number in the wrong column."""

from __future__ import annotations

import pytest

from conftest import REPO, run_soffice_convert
from xlreport.format import spec
from xlreport.format.locate import locate_lines
from xlreport.importers import import_report
from xlreport.importers.pdf import extract

pytestmark = pytest.mark.libreoffice
EXAMPLE_DOCX = REPO / "examples" / "shangyou-commerce-2024.docx"
SOCIAL = [i for i, (key, _) in enumerate(spec.REQUEST_COLUMNS) if key == "social_welfare"][0]


def emptied(tmp_path, ruled: bool = True, whole_column: bool = True):
    """The bundled report as Word, with table 三's 社会公益组织 column (or only its first cell)
    and 行政许可's number left empty (as WPS or Word users leave cells they have nothing for),
    with or without the tables' ruling lines, and as LibreOffice prints it."""
    import docx

    doc = docx.Document(EXAMPLE_DOCX)
    active, requests = doc.tables[0], doc.tables[1]
    cleared = []
    for row in requests.rows:
        cells = row.cells
        if len(cells) == 10 and cells[0].text.strip() and cells[3 + SOCIAL].text.strip().isdigit():
            if whole_column or not cleared:
                cells[3 + SOCIAL].text = ""
                cleared.append(cells[0].text)
    for row in active.rows:
        if row.cells[0].text.strip() == "行政许可":
            row.cells[1].text = ""
    if not ruled:
        for table in doc.tables:
            _without_borders(table)
    source = tmp_path / "留空.docx"
    doc.save(source)
    return source, run_soffice_convert(source, tmp_path, "pdf"), cleared


def _without_borders(table) -> None:
    from docx.oxml.ns import qn

    for el in list(table._tbl.iter()):
        if el.tag in (qn("w:tblBorders"), qn("w:tcBorders")):
            el.getparent().remove(el)
    borders = table._tbl.tblPr.makeelement(qn("w:tblBorders"), {})
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(borders.makeelement(qn(f"w:{side}"), {qn("w:val"): "nil"}))
    table._tbl.tblPr.append(borders)
    table.style = None


@pytest.mark.parametrize("whole_column", [True, False], ids=["a whole column empty", "one cell empty"])
def test_a_table_without_ruling_lines_is_read_by_where_its_numbers_stand(tmp_path, whole_column):
    """No lines to find cells by: each number goes to the column it stands under (the columns
    as the rows printed whole place them, or as the headings do where no row is whole)."""
    source, pdf, cleared = emptied(tmp_path, ruled=False, whole_column=whole_column)
    doc = extract(pdf, pdf.read_bytes())
    assert doc.grids == []
    from_word, from_pdf = import_report(source), import_report(pdf)
    for f in spec.FIELDS:
        if f.table != "fees":
            assert from_pdf.report.values.get(f.path) == from_word.report.values.get(f.path), f.key
    placed = [p.message for p in from_pdf.problems if "已按它们在页面上所在的列读取" in p.message]
    assert len(placed) == len(cleared)  # (行政许可 printed no number at all: blank, as from Word)
    assert placed[0].startswith("这一行只印了6个数字，已按它们在页面上所在的列读取（社会公益组织空白）；请对照原文核对")


def test_empty_cells_come_back_empty_as_from_word(tmp_path):
    source, pdf, cleared = emptied(tmp_path)
    assert len(cleared) == 25
    from_word, from_pdf = import_report(source), import_report(pdf)
    blank = [f for f in spec.FIELDS if f.table == "requests" and f.path[2] == "social_welfare"]
    blank.append(spec.FIELD_BY_PATH[("active", "licensing")])
    for f in blank:
        assert from_pdf.report.values[f.path] is None, f.key
    for f in spec.FIELDS:
        if f.table != "fees":
            assert from_pdf.report.values.get(f.path) == from_word.report.values.get(f.path), f.key
    notes = [p.message for p in from_pdf.problems if "空白" in p.message]
    assert any(m.startswith("社会公益组织为空白，不是数字：未按0计，按未公开处理") for m in notes)


def test_the_text_lines_alone_could_not_tell_which_cell_was_empty(tmp_path):
    _, pdf, _ = emptied(tmp_path)
    doc = extract(pdf, pdf.read_bytes())
    by_lines = locate_lines(doc.lines)
    assert any("无法确定哪一格空白" in n.message for n in by_lines.notes)  # what the importer did before


def test_a_pdf_without_ruling_lines_is_read_by_its_text(tmp_path):
    """No grid found: the text lines, as before (the reference PDF of 07, printed by LibreOffice, has ruling lines)."""
    from xlreport.importers import assemble

    doc = extract(REPO / "tests" / "data" / "07-hongze-qu-2023.pdf", (REPO / "tests" / "data" / "07-hongze-qu-2023.pdf").read_bytes())
    assert doc.grids
    doc.blocks = [b for b in doc.blocks if b.kind != "grid"]
    found = assemble.find_tables(doc)
    assert found.tables == {"active", "requests", "appeals"}


@pytest.mark.parametrize("ruled", [True, False], ids=["ruled", "without ruling lines"])
def test_cells_padded_with_blank_paragraphs_read_as_from_word(tmp_path, ruled):
    """WPS and Word users pad cells with empty paragraphs: the number prints a line lower than
    its label (it used to come back on the wrong row, two rows empty)."""
    import docx

    doc = docx.Document(EXAMPLE_DOCX)
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                if cell.text.strip().isdigit():
                    cell.paragraphs[0].insert_paragraph_before("")
        if not ruled:
            _without_borders(table)
    source = tmp_path / "垫空行.docx"
    doc.save(source)
    pdf = run_soffice_convert(source, tmp_path, "pdf")
    from_word, from_pdf = import_report(source), import_report(pdf)
    for f in spec.FIELDS:
        if f.table != "fees":
            assert from_pdf.report.values.get(f.path) == from_word.report.values.get(f.path), f.key


def test_every_transcribed_report_rendered_reads_back_cell_exact(tmp_path):
    """Each reference transcription as `xlreport build` writes it (.docx) and as LibreOffice
    prints that (.pdf), in one conversion: every cell of the three tables back as printed."""
    from import_fixtures import DATA, transcribed
    from xlreport.model import Report
    from xlreport.word.render import render_docx

    sources = [DATA / f"{n}.json" for n in ("06-huaian-shi-2024", "07-hongze-qu-2023", "08-hongze-qu-2024")]
    sources += [DATA / "hangzhou-style-2025.ref.json", *sorted((DATA / "transcriptions").glob("*.json"))]
    shown, docs = {}, []
    for source in sources:
        cells = {path: 0 if v is None else v for path, v in transcribed(source).items()}  # build prints 0 where none was published
        report = Report()
        report.meta.update(agency="测试县人民政府", year=2024)
        report.values.update(cells)
        docs.append(render_docx(report, tmp_path / f"{source.stem}.docx"))
        shown[source.stem] = cells
    pdfs = run_soffice_convert(docs, tmp_path / "pdf", "pdf")
    assert len(docs) == 8
    for path in docs + pdfs:
        values = import_report(path).report.values
        wrong = [".".join(p) for p, v in shown[path.stem].items() if values.get(p) != v]
        assert wrong == [], (path.name, wrong[:5])
