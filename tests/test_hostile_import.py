"""Hostile published reports through `xlreport import` and `xlreport check`: marked sections and
unclosed markup in web pages, pages and Word documents of millions of tags, rowspan/colspan and gridSpan bombs, PDFs that loop, draw millions
of glyphs or have too many pages, and runs of 32,767 digits in the prose or in a table cell.

Each gives its normal result or one Chinese line on stderr naming the file and the limit
(exit 2), never a traceback; every input is left exactly as it was. The files are small: the
bombs are in what they expand to. Nothing here is timed; where a limit is a time (a PDF that
never finishes), the test lowers it so that the test does not wait a minute for it.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from factories import filled_report, write
from import_fixtures import DATA, plain, report_html
from xlreport import limits, model
from xlreport.format import spec
from xlreport.cli import cli
from xlreport.importers import import_report
from xlreport.model import Item

LIMIT_HINT = "（文件可能已损坏或是伪造的（如压缩炸弹）；请向报送单位索取原文件）"
NOT_A_REPORT = f"不是政府信息公开工作年度报告（找不到{spec.FORMAT_NAME}格式的三张表格），未导入"
BEFORE_OVERVIEW = "<p>二、主动公开政府信息情况</p>"  # a paragraph goes into 一、总体情况 just before it


@pytest.fixture(scope="module")
def report() -> model.Report:
    return import_report(DATA / "hangzhou-style-2025.html").report


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def snapshot(path: Path):
    return path.read_bytes(), path.stat().st_mtime_ns


def no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


def refused(path: Path, line: str) -> None:
    """`import` and `check` both refuse with this one line (exit 2), the file untouched."""
    before = snapshot(path)
    for command in ("import", "check"):
        result = run(command, path)
        no_traceback(result)
        assert result.exit_code == 2, (command, result.output)
        assert result.stdout == ""
        assert result.stderr == f"错误：{line}\n", command
    assert snapshot(path) == before


def page_with(report, html: str, where: str = BEFORE_OVERVIEW) -> str:
    """The report's web page with ``html`` put in before ``where``."""
    page = report_html(report).decode("utf-8")
    assert where in page
    return page.replace(where, html + where, 1)


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- web pages: marked sections and unclosed markup ------------------------------------------------


MARKED_SECTIONS = {  # a marked section -> the page it reads as
    "<![CDATA[<td>不是表格</td>]]>": "",
    "<![if !IE]><p>仅在非 IE 浏览器中显示。</p><![endif]>": "<p>仅在非 IE 浏览器中显示。</p>",
    "<![if gte mso 9]><xml><o:OfficeDocumentSettings/></xml><![endif]>": "",
    "<![ foo [x]]>": "",  # html.parser: AssertionError "expected name token"
    "<![unknown[x]]>": "",  # html.parser: AssertionError "unknown status keyword"
    "<![endif]-->": "",  # html.parser reads on to a `]>` wherever it is
}


@pytest.mark.parametrize("section", sorted(MARKED_SECTIONS))
def test_marked_sections_are_read_over(section, report, tmp_path):
    same = write_text(tmp_path / "same.html", page_with(report, MARKED_SECTIONS[section]))
    path = write_text(tmp_path / "marked.html", page_with(report, section))
    before = snapshot(path)
    result = run("import", path)
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert model.to_dict(model.from_json(result.stdout)) == model.to_dict(import_report(same).report)
    checked = run("check", path)
    no_traceback(checked)
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.splitlines()[-1] == "检查通过：没有发现问题。"
    assert snapshot(path) == before


@pytest.mark.parametrize("junk", [
    "<![",
    "<![CDATA[ 没有结束",
    "<p>开头</p><!-- 没有结束的注释 " + "<!--" * 2000,
    "<p>开头</p>" + "<a x='>' " * 2000,  # html.parser: quadratic
    "<p>开头</p>" + "<a" * 2000,
    "</" * 2000 + "<?" * 2000 + "<!x" * 2000,
    "&#" + "9" * 5000 + ";",  # html.unescape: ValueError (int() of over 4300 digits)
    "<table><tr><td>x" * 3000,  # tables in tables, never closed
])
def test_broken_pages_are_no_report(junk, tmp_path):
    path = write_text(tmp_path / "坏网页.html", f"<html><body>{junk}")
    refused(path, f"{path}：{NOT_A_REPORT}")


def test_an_unclosed_comment_hides_the_rest_of_the_page(report, tmp_path):
    """As in a browser: what follows `<!--` without `-->` is not shown, so it is not read."""
    page = page_with(report, "<!-- ", where="<p>三、收到和处理政府信息公开申请情况</p>")
    path = write_text(tmp_path / "注释.html", page)
    refused(path, f"{path}：找不到表格“三、收到和处理政府信息公开申请情况”、“四、政府信息公开行政复议、行政诉讼情况”，未导入"
                  "（导入需要报告中的全部三张表格）")


# --- web pages: rowspan/colspan bombs ----------------------------------------------------------------


def test_a_table_of_cells_spanning_200_by_200_is_refused(tmp_path):
    # 200 rows of one cell each 200 x 200: every cell goes right of those reaching down from above,
    # so the grid is 200 rows of 40,000 columns
    rows = "".join('<tr><td colspan="200" rowspan="200">x</td></tr>' for _ in range(200))
    path = write_text(tmp_path / "合并炸弹.html", f"<html><body><table>{rows}</table></body></html>")
    refused(path, f"{path}：一个表格展开后的单元格数超过上限（第1个表格，上限100000格），已拒绝读取{LIMIT_HINT}")


def test_spans_beyond_the_cap_are_capped_then_counted(tmp_path):
    # colspan 1000000 is read as 200 (limits.TABLE_SPAN); 600 rows of 200 columns are 120,000 cells
    rows = "".join('<tr><td colspan="1000000">x</td></tr>' for _ in range(600))
    path = write_text(tmp_path / "宽表.html", f"<html><body><table>{rows}</table></body></html>")
    refused(path, f"{path}：一个表格展开后的单元格数超过上限（第1个表格，上限100000格），已拒绝读取{LIMIT_HINT}")


def test_tables_within_the_table_limit_but_over_the_document_limit(tmp_path):
    # each table: one cell spanning 200 x 200 over 200 rows, 40,000 cells; 26 of them 1,040,000
    table = '<table><tr><td colspan="200" rowspan="200">x</td></tr>' + "<tr></tr>" * 199 + "</table>"
    path = write_text(tmp_path / "多表.html", "<html><body>" + table * 26 + "</body></html>")
    refused(path, f"{path}：全部表格展开后的单元格数超过上限（26个表格共1040000格，上限1000000格），已拒绝读取{LIMIT_HINT}")


def test_25_such_tables_are_read(tmp_path):
    table = '<table><tr><td colspan="200" rowspan="200">x</td></tr>' + "<tr></tr>" * 199 + "</table>"
    path = write_text(tmp_path / "多表.html", "<html><body>" + table * 25 + "</body></html>")
    refused(path, f"{path}：{NOT_A_REPORT}")  # read to the end: no report in it


# --- web pages: millions of tags ----------------------------------------------------------------------


def test_a_page_of_more_tags_than_the_limit_is_refused(tmp_path):
    # 200,002 tags in 1.6 MB: read to the end, 200,000 one-cell tables took 25 s
    path = write_text(tmp_path / "标签.html", "<p>x</p>" * (limits.HTML_TAGS.value // 2 + 1))
    refused(path, f"{path}：网页中的标签数超过上限（上限200000个），已拒绝读取{LIMIT_HINT}")


@pytest.mark.parametrize("tags, refusal", [(6, False), (5, True)])
def test_every_tag_comment_and_declaration_counts_to_the_limit(tags, refusal, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "HTML_TAGS", limits.Limit(tags, "个", limits.HTML_TAGS.name, ""))
    path = write_text(tmp_path / "页.html", "<!DOCTYPE html><html><!-- 注释 --><body>文字</body></html>x")  # 6
    refused(path, f"{path}：网页中的标签数超过上限（上限5个），已拒绝读取{LIMIT_HINT}" if refusal else f"{path}：{NOT_A_REPORT}")


# --- Word: gridSpan and vMerge bombs -----------------------------------------------------------------


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_with(tmp_path: Path, name: str, body: str, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A Word file whose document.xml body is ``body`` (the other parts as python-docx writes them)."""
    import docx

    base = tmp_path / "base.docx"
    docx.Document().save(base)
    xml = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>'
    path = tmp_path / name
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", compression) as out:
        for info in src.infolist():
            out.writestr(info.filename, xml.encode("utf-8") if info.filename == "word/document.xml" else src.read(info))
    return path


def word_table(rows: int, span: int, merged: bool = False) -> str:
    cell = f'<w:tc><w:tcPr><w:gridSpan w:val="{span}"/>{{merge}}</w:tcPr><w:p><w:r><w:t>x</w:t></w:r></w:p></w:tc>'
    first = cell.format(merge='<w:vMerge w:val="restart"/>' if merged else "")
    rest = cell.format(merge="<w:vMerge/>" if merged else "")
    return "<w:tbl>" + f"<w:tr>{first}</w:tr>" + f"<w:tr>{rest}</w:tr>" * (rows - 1) + "</w:tbl>"


def test_a_word_table_of_huge_spans_is_refused(tmp_path):
    # gridSpan 100000 is read as 200; vMerge continues the cell above down 600 rows: 120,000 cells
    path = docx_with(tmp_path, "合并炸弹.docx", word_table(600, 100_000, merged=True))
    refused(path, f"{path}：一个表格展开后的单元格数超过上限（第1个表格，上限100000格），已拒绝读取{LIMIT_HINT}")


def test_word_tables_over_the_document_limit(tmp_path):
    # 500 rows of 200 columns: 100,000 cells each, the most one table may have; 11 of them
    path = docx_with(tmp_path, "多表.docx", word_table(500, 200) * 11)
    refused(path, f"{path}：全部表格展开后的单元格数超过上限（11个表格共1100000格，上限1000000格），已拒绝读取{LIMIT_HINT}")


def test_a_word_document_of_more_tags_than_the_limit_is_refused(tmp_path):
    # a million empty paragraphs, stored (deflated, the compression ratio refuses them first): read,
    # a document of 6 million tags took 14 s and 960 MB
    path = docx_with(tmp_path, "段落.docx", "<w:p/>" * limits.DOCX_TAGS.value, zipfile.ZIP_STORED)
    refused(path, f"{path}：Word 文档正文中的标签数超过上限（上限1000000个），已拒绝读取{LIMIT_HINT}")


@pytest.mark.parametrize("tags, refusal", [(11, False), (10, True)])
def test_every_tag_of_the_document_counts_to_the_limit(tags, refusal, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "DOCX_TAGS", limits.Limit(tags, "个", limits.DOCX_TAGS.name, ""))
    path = docx_with(tmp_path, "短.docx", "<w:p><w:r><w:t>文字</w:t></w:r></w:p>")  # 11 with the declaration and root
    refused(path, f"{path}：Word 文档正文中的标签数超过上限（上限10个），已拒绝读取{LIMIT_HINT}" if refusal else f"{path}：{NOT_A_REPORT}")


def test_a_table_nested_in_a_cell_counts_too(tmp_path):
    inner = word_table(501, 200)
    body = f'<w:tbl><w:tr><w:tc><w:p><w:r><w:t>外</w:t></w:r></w:p>{inner}<w:p/></w:tc></w:tr></w:tbl>'
    path = docx_with(tmp_path, "嵌套.docx", body)
    refused(path, f"{path}：一个表格展开后的单元格数超过上限（第2个表格，上限100000格），已拒绝读取{LIMIT_HINT}")


# --- PDF ---------------------------------------------------------------------------------------------------


def pdf(objects: list[bytes]) -> bytes:
    """A PDF of these objects (1 0 obj the catalog), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def flate(content: bytes) -> bytes:
    packed = zlib.compress(content, 9)
    return b"<</Length %d/Filter/FlateDecode>>stream\n" % len(packed) + packed + b"\nendstream"


CATALOG = b"<</Type/Catalog/Pages 2 0 R>>"
FONT = b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"


def pdf_pages(count: int, content: bytes) -> bytes:
    """``count`` pages, all drawing one content stream."""
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(count))
    page = b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 4 0 R>>>>/Contents 3 0 R>>"
    return pdf([CATALOG, b"<</Type/Pages/Kids[" + kids + b"]/Count %d>>" % count, flate(content), FONT] + [page] * count)


def test_a_pdf_whose_objects_refer_to_each_other_in_a_loop(tmp_path, monkeypatch):
    # the page's contents are object 4, which is object 5, which is object 4: pdfminer resolves for ever
    data = pdf([CATALOG, b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
                b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>", b"5 0 R", b"4 0 R"])
    path = tmp_path / "循环引用.pdf"
    path.write_bytes(data)
    # the limit lowered so that the test does not wait a minute: nothing is timed, the file never ends
    monkeypatch.setattr(limits, "PDF_SECONDS", limits.Limit(2, "秒", limits.PDF_SECONDS.name, limits.PDF_SECONDS.why))
    refused(path, f"{path}：读取 PDF 的时间超过上限（上限2秒），已拒绝读取{LIMIT_HINT}")


def test_a_pdf_page_drawing_millions_of_glyphs(tmp_path):
    # 3,000,000 glyphs in one string: 4 KB of file, gigabytes of pdfminer objects; counted as drawn
    path = tmp_path / "字形炸弹.pdf"
    path.write_bytes(pdf_pages(1, b"BT /F1 1 Tf 0 800 Td (" + b"A" * 3_000_000 + b") Tj ET"))
    assert path.stat().st_size < 10_000
    refused(path, f"{path}：PDF 文字数超过上限（上限2000000字），已拒绝读取{LIMIT_HINT}")


def test_a_pdf_over_the_page_limit(tmp_path):
    path = tmp_path / "页数.pdf"
    path.write_bytes(pdf_pages(201, b"BT /F1 12 Tf 72 700 Td (Hello) Tj ET"))
    refused(path, f"{path}：PDF 页数超过上限（上限200页），已拒绝读取{LIMIT_HINT}")


def test_a_pdf_at_the_page_limit_is_read(tmp_path):
    path = tmp_path / "页数.pdf"
    path.write_bytes(pdf_pages(200, b"BT /F1 12 Tf 72 700 Td (Hello) Tj ET"))
    refused(path, f"{path}：{NOT_A_REPORT}")  # all 200 pages read: no report in them


def test_the_real_pdf_reads_as_before():
    imported = import_report(DATA / "07-hongze-qu-2023.pdf")
    assert imported.kind == "pdf"
    assert imported.report.values[("appeals", "review", "upheld")] == 10


# --- a run of 32,767 digits -------------------------------------------------------------------------------

DIGITS = "9" * limits.CELL_CHARS.value


def overview_paragraphs(report: model.Report) -> list[str]:
    overview = report.text.overview
    return list(overview.intro) + [p for item in overview.items for p in item.paragraphs]


def test_a_paragraph_of_32767_digits(report, tmp_path):
    path = write_text(tmp_path / "数字.html", page_with(report, f"<p>{DIGITS}</p>"))
    before = snapshot(path)
    imported = run("import", path)
    no_traceback(imported)
    assert imported.exit_code == 0, imported.output
    assert imported.stderr == ""
    assert DIGITS in overview_paragraphs(model.from_json(imported.stdout))
    checked = run("check", path)
    no_traceback(checked)
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.splitlines()[-1] == "检查通过：没有发现问题。"
    assert snapshot(path) == before


def test_a_sentence_with_figures_of_32767_digits(report, tmp_path):
    sentence = f"本年度共收到政府信息公开申请{DIGITS}件，其中予以公开5件，占{DIGITS}%。"
    path = write_text(tmp_path / "数字.html", page_with(report, f"<p>{sentence}</p>"))
    before = snapshot(path)
    checked = run("check", path, "--json")
    no_traceback(checked)
    assert checked.exit_code == 0, checked.output
    (found,) = json.loads(checked.stdout)["files"]
    quoted = sentence[:119] + "…"
    assert [(p["code"], p["message"], p["expected"], p["actual"]) for p in found["problems"]] == [
        ("prose-table-mismatch", f"正文“{quoted}”中本年新收申请为{DIGITS}件，表格（三、依申请公开!J5）为14069件", "14069", DIGITS),
        # the percentage is beyond 28 digits from every total: the first of them is taken
        ("prose-arithmetic", f"正文“{quoted}”：5件占14069件的0.04%，正文写{DIGITS}%", "0.04%", f"{DIGITS}%"),
    ]
    assert snapshot(path) == before


def test_a_table_cell_of_32767_digits(report, tmp_path):
    page = report_html(report, value_text=lambda f, v: DIGITS if f.path == ("active", "coercion") else plain(v))
    path = tmp_path / "数字.html"
    path.write_bytes(page)
    before = snapshot(path)
    # the message quotes a long cell cut in the middle (locate.brief)
    shown = f"9.{'9' * 157}…{'9' * 9}e+32766超过上限（件数应小于1000000000000）"  # 159 and 40 characters
    message = f"{shown}（原文位置：第1个表格第11行第2列）"
    line = f"二、主动公开政府信息情况（行政强制 / 本年处理决定数量）：{message}"
    imported = run("import", path)
    no_traceback(imported)
    assert imported.exit_code == 1
    assert imported.stderr.splitlines() == [f"错误：{line}"]
    assert model.from_json(imported.stdout).values[("active", "coercion")] is None  # the rest as it is
    checked = run("check", path, "--json")
    no_traceback(checked)
    assert checked.exit_code == 1
    (found,) = json.loads(checked.stdout)["files"]
    assert [(p["code"], p["severity"], p["message"]) for p in found["problems"]] == [("value-type", "error", message)]
    assert snapshot(path) == before


def test_a_workbook_prose_cell_of_32767_digits(tmp_path):
    r = filled_report()
    r.text.overview.items.append(Item("数字", [DIGITS]))
    book = write(tmp_path / "数字.xlsx", r)
    plain_book = write(tmp_path / "对照.xlsx", filled_report())
    before = snapshot(book)
    checked, usual = run("check", book), run("check", plain_book)
    no_traceback(checked)
    assert checked.exit_code == usual.exit_code
    assert checked.stdout.splitlines()[1:] == usual.stdout.splitlines()[1:]  # the first line names the file
    assert snapshot(book) == before
