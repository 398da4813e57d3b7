"""The C scanner of sheet XML (the reader's fast path): what it reads, what it leaves to calamine.

conftest.py's autouse fixture already compares it with calamine on every workbook the suite
reads; these tests pin down the edge cases one by one and fuzz it with broken XML.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlreport.xlsx import reader, sheets

from xlreport.xlsx import cells as xlsx_cells
from xlreport.api import check_file

from factories import filled_report, set_cells, write

if not xlsx_cells.AVAILABLE and os.environ.get("XLREPORT_REQUIRE_SCANNER"):
    raise RuntimeError(f"the C scanner is not built (xlreport imported from {xlsx_cells.__file__})")
pytestmark = pytest.mark.skipif(not xlsx_cells.AVAILABLE, reason="the C scanner is not built (installed without a C compiler)")

SST = (b'<sst><si><t>label</t></si><si><r><t>ri</t></r><r><t>ch</t></r></si><si><t>a &amp; b</t></si><si/>'
       + '<si><t xml:space="preserve"> 两端有空格 </t></si></sst>'.encode())
STYLES = (b'<styleSheet><numFmts><numFmt numFmtId="164" formatCode="yyyy&quot;\xe5\xb9\xb4&quot;m&quot;\xe6\x9c\x88&quot;"/>'
          b'<numFmt numFmtId="165" formatCode="0&quot;\xe4\xbb\xb6&quot;"/></numFmts>'
          b'<cellXfs><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/></cellXfs></styleSheet>')


def sheet(cells: str) -> bytes:
    return f'<worksheet xmlns="x"><sheetData><row r="1">{cells}</row></sheetData></worksheet>'.encode()


def read(cells: str, styles: bytes = STYLES) -> list:
    return xlsx_cells.read_sheets({"s": sheet(cells)}, lambda: SST, lambda: xlsx_cells.date_styles(styles), 10, 4)["s"].rows[0]


@pytest.mark.parametrize("cells, expected", [
    ('<c r="A1"><v>12</v></c>', [12.0, "", "", ""]),
    ('<c r="B1" s="3"><v>2.5</v></c><c r="C1" s="0"/>', ["", 2.5, "", ""]),
    ('<c r="A1" t="n"><v>1E3</v></c>', [1000.0, "", "", ""]),
    ('<c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>', ["label", "rich", "a & b", ""]),
    ('<c r="A1" t="s"><v>3</v></c><c r="B1" t="s"><v>4</v></c>', ["", " 两端有空格 ", "", ""]),
    ('<c r="A1" t="inlineStr"><is><t>中文</t></is></c>', ["中文", "", "", ""]),
    ('<c r="A1" t="str"><f>A2&amp;"x"</f><v>1&amp;x</v></c>', ["1&x", "", "", ""]),
    ('<c r="A1" t="b"><v>1</v></c><c r="B1" t="b"><v>0</v></c>', [True, False, "", ""]),
    ("<c r='A1' t='s' s='2'><v>0</v></c>", ["label", "", "", ""]),
    ('<c t="s" r="A1"><v>0</v></c>', ["label", "", "", ""]),
    ('<c r="A1"><f>SUM(B1:C1)</f></c><c r="D1" s="3"><v>7</v></c>', ["", "", "", 7.0]),
    ('<c r="A1" s="3"><v>5</v></c><c r="E1"><v>9</v></c>', [5.0, "", "", ""]),  # E is past the 4 columns read
])
def test_values_in_calamines_types(cells, expected):
    assert [(type(v), v) for v in read(cells)] == [(type(v), v) for v in expected]


def test_formula_cells_are_found_with_their_text():
    got = xlsx_cells.read_sheets({"s": sheet('<c r="B1"><f>SUM(C1:D1)</f><v>3</v></c><c r="C1"><f t="shared" si="0"/><v>1</v></c>')},
                                 lambda: SST, lambda: xlsx_cells.date_styles(STYLES), 10, 4)["s"]
    assert got.cells == {"B1": xlsx_cells.Cell("SUM(C1:D1)", None), "C1": xlsx_cells.Cell("", None)}


@pytest.mark.parametrize("cells", [
    '<c r="A1" s="1"><v>45000</v></c>',  # built-in date format 14
    '<c r="A1" s="2"><v>45000</v></c>',  # custom yyyy"年"m"月"
    '<c r="A1" t="e"><v>#REF!</v></c>',
    '<c r="A1" t="d"><v>2024-01-01</v></c>',
    '<c s="1"><v>1</v></c>',  # no reference
    '<c r="AAAA1"><v>1</v></c>',
    '<c r="A0"><v>1</v></c>',
    '<c r="A1"><v>twelve</v></c>',
    '<c r="A1"><v>1&amp;</v></c>',
    '<c r="A1" t="s"><v>9</v></c>',  # no such shared string
    '<c r="A1" t="s"><v>-1</v></c>',
    '<c r="A1" t="s"><v>x</v></c>',
    '<c r="A1"><v>1</v><extLst/></c>',
    '<c r="A1" t="inlineStr"><is><t>_x000D_</t></is></c>',
    '<c r="A1" t="inlineStr"><is><r><t>a</t></r><rPh><t>b</t></rPh></is></c>',
    '<c r="A1"><v>1</v>',  # not closed
    '<c r="A1 s="1"><v>1</v></c>',
])
def test_what_calamine_must_read_is_declined(cells):
    with pytest.raises(xlsx_cells.Decline):
        read(cells)


def test_a_number_format_that_is_not_a_date_is_read():
    assert read('<c r="A1" s="3"><v>45000</v></c>') == [45000.0, "", "", ""]


def test_prefixed_namespace_is_declined():
    xml = b'<x:worksheet xmlns:x="y"><x:sheetData><x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>'
    with pytest.raises(xlsx_cells.Decline):
        xlsx_cells.read_sheets({"s": xml}, lambda: SST, lambda: xlsx_cells.date_styles(STYLES), 10, 4)


def test_a_prefixed_shared_string_table_is_declined():
    """<x:si> is not an <si>: the scanner would count the strings wrong, so calamine reads it."""
    sst = b'<x:sst xmlns:x="y"><x:si><x:t>a</x:t></x:si></x:sst>'
    xml = b'<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
    with pytest.raises(xlsx_cells.Decline, match="prefixed namespace"):
        xlsx_cells.read_sheets({"s": xml}, lambda: sst, lambda: frozenset(), 10, 4)


def test_rows_past_the_limit_are_left_out():
    xml = b'<worksheet><sheetData><row r="2"><c r="A2"><v>1</v></c></row><row r="40"><c r="A40"><v>2</v></c></row></sheetData></worksheet>'
    assert xlsx_cells.read_sheets({"s": xml}, lambda: SST, lambda: xlsx_cells.date_styles(STYLES), 10, 4)["s"].rows == [["", "", "", ""], [1.0, "", "", ""]]


@pytest.fixture(scope="module")
def real_sheet(tmp_path_factory) -> bytes:
    path = write(tmp_path_factory.mktemp("scan") / "a.xlsx", filled_report())
    opened = reader.open_spreadsheet(path)
    return opened.zip.read(sheets.xlsx_sheet_paths(opened)["三、依申请公开"])


@settings(max_examples=300, deadline=None)
@given(cut=st.integers(0, 40000), flips=st.lists(st.tuples(st.integers(0, 40000), st.integers(0, 255)), max_size=4))
def test_broken_xml_never_crashes(real_sheet, cut, flips):
    """Cut short or with bytes changed, the XML is read or declined: never a crash."""
    xml = bytearray(real_sheet[: cut % (len(real_sheet) + 1)])
    for at, byte in flips:
        if xml:
            xml[at % len(xml)] = byte
    try:
        xlsx_cells.read_sheets({"s": bytes(xml)}, lambda: SST, lambda: xlsx_cells.date_styles(STYLES), sheets.READ_ROWS, sheets.READ_COLS)
    except xlsx_cells.Decline:
        pass


def test_without_the_scanner_the_results_are_the_same(tmp_path, monkeypatch):
    good = write(tmp_path / "good.xlsx", filled_report())
    bad = set_cells(good, {("三、依申请公开", "D7"): "十二", ("二、主动公开", "E5"): 3.5}, out=tmp_path / "bad.xlsx")
    fast = [check_file(p) for p in (good, bad)]
    monkeypatch.setattr(xlsx_cells, "AVAILABLE", False)
    slow = [check_file(p) for p in (good, bad)]
    for f, s in zip(fast, slow):
        assert f.report == s.report
        assert [p.line() for p in f.problems] == [p.line() for p in s.problems]
    assert any(p.code == "value-type" and p.cell == "D7" for p in fast[1].problems)
