"""One set of values whoever saved the workbook: the C scanner against calamine (issue 13).

The reader takes the C scanner for our own workbooks (stamped in docProps/custom.xml) and
calamine for everything else, or when the scanner declines. These tests hold the two paths to
the same grids, value by value and type by type, over a few hundred mutated workbooks written
by xlreport, re-saved by openpyxl and by LibreOffice (scripts/diff_readers.py runs the same
generator over any number of cases), check that re-saved workbooks of ours are still known as
ours and take the scanner, and that a WPS workbook with backslashes in its part names reads.
"""

from __future__ import annotations

import re
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from xlreport.container import open_spreadsheet
from xlreport.errors import InputError
from xlreport.format import spec
from xlreport.xlsx import cells as xlsx_cells
from xlreport.xlsx import reader, sheets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import diff_readers  # noqa: E402

DATA = ROOT / "tests" / "data"
needs_scanner = pytest.mark.skipif(not xlsx_cells.AVAILABLE, reason="the C scanner is not built: one path only")


@pytest.fixture(scope="module")
def bases():
    return diff_readers.bases(None, distinct=2)


@needs_scanner
def test_mutated_workbooks_read_the_same_on_both_paths(bases):
    result = diff_readers.run(300, seed=20261203, base_list=bases, show=5, out=print)
    totals = result["totals"]
    lines = []
    diff_readers.report(result, out=lines.append)
    assert totals["differ"] == 0, "\n".join(lines)
    assert totals["unstamped"] == 0, "\n".join(lines)
    # the comparison means something: a good share of the cases was read by the scanner
    assert totals["scanned"] >= totals["cases"] // 4, "\n".join(lines)
    assert len(result["per"]) >= 20


@needs_scanner
@pytest.mark.parametrize("kind", ["pristine", "openpyxl", "libreoffice"])
def test_workbooks_of_ours_take_the_scanner_whoever_saved_them(bases, kind):
    for got_kind, data in bases:
        if got_kind != kind:
            continue
        outcome, scanned, slow = diff_readers.read_both(data)
        assert outcome == "scanned"
        assert diff_readers.differs(scanned, slow) is None
        assert set(scanned) == set(diff_readers.WANTED)
        break
    else:
        pytest.fail(f"no {kind} workbook")


@pytest.mark.parametrize("name", ["resaved-openpyxl.xlsx", "resaved-libreoffice.xlsx"])
def test_resaved_workbooks_read_like_the_original(name):
    original = diff_readers.pristine(2000)
    path = DATA / name
    got = reader.read_workbook(path)
    with tempfile.TemporaryDirectory() as tmp:
        first = Path(tmp) / "a.xlsx"
        first.write_bytes(original)
        want = reader.read_workbook(first)
    assert got.ours and want.ours
    assert got.report.values == want.report.values
    assert got.report.meta == want.report.meta
    assert [p.line() for p in got.problems] == [p.line() for p in want.problems]


PROPS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
         '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
         'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
         '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="xlreport_template"><vt:lpwstr>T</vt:lpwstr></property>'
         '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="3" name="xlreport_format"><vt:lpwstr>2021</vt:lpwstr></property>'
         '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="4" name="xlreport_spec"><vt:lpwstr>abc</vt:lpwstr></property>'
         '</Properties>')
STAMP = {"template_id": "T", "format_version": "2021", "spec_hash": "abc"}


@pytest.mark.parametrize("xml", [
    PROPS,
    # openpyxl: name first, the vt namespace declared on each value, no declaration
    PROPS.replace('fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="xlreport_template"', 'name="xlreport_template" fmtid="x" pid="2"')
         .replace(' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"', "")
         .replace("<vt:lpwstr>", '<vt:lpwstr xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'),
    PROPS.replace('"', "'"),
    PROPS.replace("<Properties ", "<!-- saved again --><Properties "),
    PROPS.replace("vt:", "v2:").replace("xmlns:vt", "xmlns:v2"),
    PROPS.replace("<Properties", "<op:Properties").replace("</Properties", "</op:Properties")
         .replace("<property", "<op:property").replace("</property", "</op:property")
         .replace('xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"',
                  'xmlns:op="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"'),
    PROPS.replace(">T<", ">&#84;<"),
    PROPS.replace("\n", "\r\n").replace("><property", ">\n  <property"),
])
def test_the_stamp_is_read_however_the_properties_are_spelt(xml):
    assert sheets.properties_stamp(xml.encode()) == STAMP


@pytest.mark.parametrize("xml", [
    PROPS.replace('name="xlreport_spec"', 'name="other"'),
    PROPS.replace("<vt:lpwstr>abc</vt:lpwstr>", "<vt:i4>3</vt:i4>"),
    PROPS[: len(PROPS) // 2],
    '<!DOCTYPE x [<!ENTITY a "T">]>' + PROPS,
    "",
])
def test_an_incomplete_or_hostile_stamp_is_none(xml):
    assert sheets.properties_stamp(xml.encode()) == {}


# --- WPS: part names with backslashes ---------------------------------------------------------


def test_wps_workbook_with_backslash_part_names_is_read():
    """calamine's tests/issue_530.xlsx (MIT; see tests/data/issue_530.md)."""
    path = DATA / "issue_530.xlsx"
    assert any("\\" in n for n in zipfile.ZipFile(path).namelist())
    opened = open_spreadsheet(path)
    assert opened.kind == "xlsx"
    book, stamp = sheets._load(opened)
    assert stamp == {}
    from python_calamine import CalamineWorkbook

    direct = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == direct.sheet_names
    for name in direct.sheet_names:
        want = direct.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=sheets.READ_ROWS)
        assert diff_readers._shape(book.grid(name).rows) == diff_readers._shape(want)
        assert any(v not in ("", None) for r in want for v in r)
    # not an annual report: told so, not "not an Excel workbook"
    with pytest.raises(InputError) as e:
        reader.read_workbook(path)
    assert "不是 Excel 工作簿" not in str(e.value)
    assert "不是政府信息公开工作年度报告工作簿" in str(e.value)


def test_our_workbook_with_backslash_part_names_reads_the_same(tmp_path):
    original = tmp_path / "ours.xlsx"
    original.write_bytes(diff_readers.pristine(7))
    wps = tmp_path / "wps.xlsx"
    with zipfile.ZipFile(original) as src, zipfile.ZipFile(wps, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename.replace("/", "\\"), src.read(info))
    assert any("\\" in n for n in zipfile.ZipFile(wps).namelist())
    got, want = reader.read_workbook(wps), reader.read_workbook(original)
    assert got.ours and got.report.values == want.report.values and got.report.text == want.report.text
    if xlsx_cells.AVAILABLE:
        book, _ = sheets._load(open_spreadsheet(wps))
        assert book._scanned  # still ours, still the fast path


# --- the scanner's own guards ------------------------------------------------------------------


def _sheet(cells: str) -> bytes:
    return f'<?xml version="1.0"?><worksheet xmlns="x"><sheetData><row r="1">{cells}</row></sheetData></worksheet>'.encode()


@needs_scanner
@pytest.mark.parametrize("xml", [
    _sheet('<!-- <c r="A1"><v>9</v></c> --><c r="B1"><v>1</v></c>'),  # a cell in a comment is no cell
    _sheet('<?pi <c r="A1"><v>9</v></c>?><c r="B1"><v>1</v></c>'),
    _sheet('<c r="A1" t="inlineStr"><is><t><![CDATA[<x>]]></t></is></c>'),
    _sheet('<c r="B1"><v>1</v></c><c r="A1"><v>2</v></c>'),  # out of order
    _sheet('<c r="A1"><v>1</v></c><c r="A1"><v>2</v></c>'),  # twice: calamine keeps the last
    _sheet('<c r="A1" r="B1"><v>1</v></c>'),
    _sheet('<c r="A1"><v>1</v><v>2</v></c>'),
    _sheet('<c r="A1"><v>inf</v></c>'),
    _sheet('<c r="A1"><v> 5</v></c>'),  # calamine: the text " 5"
    _sheet('<c r="A1" t="b"><v>true</v></c>'),
    _sheet('<c r="A1" t="inlineStr"><is><t>a&nbsp;b</t></is></c>'),
    _sheet('<c r="A1" t="inlineStr"><is><t>a_x0041_</t></is></c>'),
    _sheet('<c r="A1" t="inlineStr"><is><t>a</is></c>'),  # not closed
    _sheet('<c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>1</v></c>').replace(b"</row></sheetData>", b"</sheetData>"),
    _sheet('<c r="A1"><v>1</v></c>').replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="GBK"?>'),
    _sheet('<c r="A1" t="inlineStr"><is><t>ä</t></is></c>').replace("ä".encode(), b"\xe4"),  # not UTF-8
    b'<worksheet xmlns="x"><sheetView/></worksheet>',  # no sheetData
])
def test_what_only_a_full_parser_reads_is_declined(xml):
    with pytest.raises(xlsx_cells.Decline):
        xlsx_cells.read_sheets({"s": xml}, lambda: None, lambda: frozenset(), 10, 4)


@needs_scanner
@pytest.mark.parametrize("cells, expected", [
    ('<c r="A1" t="inlineStr"><is><t> a b </t></is></c>', "a b"),  # trimmed, as calamine does
    ('<c r="A1" t="inlineStr"><is><t xml:space="preserve"> a </t></is></c>', " a "),
    ('<c r="A1" t="inlineStr"><is><t>a\r\nb\rc</t></is></c>', "a\nb\nc"),
    ('<c r="A1" t="inlineStr"><is><t>a&#13;&#10;b&#x4E8C;&amp;&lt;</t></is></c>', "a\r\nb二&<"),
    ('<c r="A1" t="inlineStr"><is><t>&#32;a&#x20;</t></is></c>', "a"),
    ('<c r="A1" t="inlineStr"><is><r><t> a </t></r><r><rPr><b/></rPr><t xml:space="preserve"> b</t></r></is></c>', "a b"),
    ('<c r="A1" t="inlineStr"><v>ignored</v></c>', ""),
    ('<c r="A1" t="str"><v> x&amp;y </v></c>', " x&y "),
    ('<c r="A1" t="b"><v>1</v></c>', True),
])
def test_text_is_read_as_calamine_reads_it(cells, expected):
    got = xlsx_cells.read_sheets({"s": _sheet(cells)}, lambda: None, lambda: frozenset(), 10, 4)["s"].rows
    assert (got[0][0] if got else "") == expected
    assert type(got[0][0] if got else "") is type(expected)


@pytest.mark.parametrize("styles, dates", [
    (b'<styleSheet><numFmts><numFmt formatCode="yyyy-mm-dd" numFmtId="170"/></numFmts>'
     b'<cellXfs><xf numFmtId="0"/><xf fontId="0" numFmtId="170"/></cellXfs></styleSheet>', {1}),
    (b"<styleSheet><cellXfs><xf numFmtId='14'/><xf numFmtId='2'/></cellXfs></styleSheet>", {0}),
    (b'<x:styleSheet xmlns:x="m"><x:numFmts><x:numFmt numFmtId="171" formatCode="h:mm"/></x:numFmts>'
     b'<x:cellXfs><x:xf numFmtId="0"/><!-- c --><x:xf numFmtId="171"/></x:cellXfs></x:styleSheet>', {1}),
    (b'<styleSheet><numFmts><numFmt numFmtId="172" formatCode="0&quot;\xe4\xbb\xb6&quot;"/></numFmts><cellXfs><xf numFmtId="172"/></cellXfs></styleSheet>', set()),
])
def test_date_styles_whatever_the_attribute_order(styles, dates):
    assert xlsx_cells.date_styles(styles) == frozenset(dates)


@pytest.mark.parametrize("styles", [
    b"<styleSheet><cellXfs><xf numFmtId='14'></cellXfs>",
    b'<?xml version="1.0" encoding="x-unheard-of"?><styleSheet/>',  # LookupError (fuzz seed 2032 case 1049)
    b'<?xml version="1.0" encoding="utf-32"?><styleSheet/>',  # ValueError: expat reads no multi-byte encodings
], ids=["unbalanced", "unknown encoding", "multi-byte encoding"])
def test_styles_that_do_not_parse_mean_every_style_may_be_a_date(styles):
    assert xlsx_cells.date_styles(styles) is xlsx_cells.ALL_STYLES


# --- a value hidden under a merged range ----------------------------------------------------------


def _merged(tmp_path: Path, ref: str, blank: tuple = ()) -> Path:
    """A filled workbook (``blank`` fields left empty) with one more merged range on 表三."""
    from factories import filled_report, patch_zip, sheet_entries, write

    report = filled_report()
    for path in blank:
        report.values[path] = None
    tmp_path.mkdir(exist_ok=True)
    good = write(tmp_path / "好.xlsx", report)
    entry = sheet_entries(good)[spec.SHEET_REQUESTS]
    return patch_zip(good, {entry: lambda d: re.sub(rb'<mergeCells count="[0-9]+">', lambda m: m.group(0) + f'<mergeCell ref="{ref}"/>'.encode(), d)},
                     tmp_path / "合并.xlsx")


@pytest.mark.parametrize("scanner", [True, False], ids=["scanner", "calamine"])
@pytest.mark.parametrize("ref, hidden", [("D5:E5", ["E5"]), ("E5:F5", ["F5"]), ("D5:E6", ["E5", "D6", "E6"]), ("C5:D5", ["D5"])])
def test_an_input_cell_under_a_merged_range_is_an_error_on_either_path(tmp_path, monkeypatch, scanner, ref, hidden):
    """LibreOffice keeps what a merge covers when asked to: the clerk no longer sees it, while
    the sheet's sums, check and the report all count it."""
    monkeypatch.setattr(sheets, "SCANNER", scanner)
    result = reader.read_workbook(_merged(tmp_path, ref))
    found = [p for p in result.problems if p.code == "value-merged"]
    assert [p.cell for p in found] == hidden
    p = found[0]
    assert (p.sheet, p.expected, p.actual) == (spec.SHEET_REQUESTS, "不与其他单元格合并", f"合并在{ref}中")
    assert p.message.startswith(f"这个单元格被合并到{ref}中，填写的“")
    assert p.message.endswith("”在表格中看不到，却仍计入合计和报告")


@pytest.mark.parametrize("before", [b"<!--<mergeCells/>-->", b"<!--<mergeCells><mergeCell ref='A1:A1'/></mergeCells>-->",
                                    b"<?x <mergeCells/>?>"], ids=["comment", "comment-with-merge", "instruction"])
def test_a_merges_tag_in_a_comment_before_the_real_ones_hides_none(tmp_path, before):
    """Found by the fuzz harness (edit:merge-comment): the search for the merges stopped at the
    first <mergeCells> it saw, also inside a comment, and the value under D5:E5 passed unseen."""
    from factories import patch_zip, sheet_entries

    merged = _merged(tmp_path, "D5:E5")
    entry = sheet_entries(merged)[spec.SHEET_REQUESTS]
    hidden = patch_zip(merged, {entry: lambda d: d.replace(b"<sheetData>", before + b"<sheetData>", 1)}, tmp_path / "注释.xlsx")
    result = reader.read_workbook(hidden)
    assert [p.cell for p in result.problems if p.code == "value-merged"] == ["E5"]


def test_a_merge_over_no_input_or_over_an_empty_one_is_no_finding(tmp_path):
    assert not [p for p in reader.read_workbook(_merged(tmp_path / "a", "A1:A1")).problems if p.code == "value-merged"]
    empty = _merged(tmp_path / "b", "D5:E5", blank=[("requests", "new", "business")])
    assert not [p for p in reader.read_workbook(empty).problems if p.code == "value-merged"]


# --- references in XML text: read as an XML parser reads them ------------------------------

WELL_FORMED_TEXTS = [
    "=A1&amp;B1", "&lt;&gt;&quot;&apos;", "&amp;amp;", '="a"&amp;"&#150;"', "&#x96;&#128;&#x9F;",
    "&#x4E2D;&#25991;", "&#x1F600;", "a&#10;b&#13;", "&#x00041;", "无引用", "",
]


@pytest.mark.parametrize("text", WELL_FORMED_TEXTS)
@pytest.mark.parametrize("where", ["text", "attribute"])
def test_a_reference_reads_as_the_xml_parser_reads_it(text, where):
    """Formula texts, merge references and sheet names are unescaped by hand (no parser runs on
    the fast path): the same characters as expat gives, also where HTML's rules differ (&#150;
    is U+0096 in XML, "–" in HTML)."""
    from xml.parsers import expat

    from xlreport.container import unescape_xml

    got: list[str] = []
    parser = expat.ParserCreate()
    if where == "text":
        parser.CharacterDataHandler = got.append
        parser.Parse(f"<a>{text}</a>".encode("utf-8"), True)
    else:
        parser.StartElementHandler = lambda name, attributes: got.append(attributes["v"])
        parser.Parse(f"<a v='{text}'/>".encode("utf-8"), True)
    assert unescape_xml(text) == "".join(got)


@pytest.mark.parametrize("text", ["&nbsp;", "&amp", "&#X41;", "&#" + "9" * 5000 + ";", "&#1114112;", "&#0;"])
def test_what_xml_does_not_call_a_reference_is_not_read_as_one(text):
    """HTML's names, a reference without its ";", an upper-case hex mark: ill-formed XML, which
    the parsers refuse; left as they are (out-of-range code points as U+FFFD)."""
    from xlreport.container import unescape_xml

    assert unescape_xml(text) == ("\ufffd" if text in ("&#1114112;", "&#0;") else text)
