"""The clerk's workbook as written by xlsxwriter, read back with openpyxl and python-calamine."""

from __future__ import annotations

import re
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.utils import range_boundaries
from python_calamine import CalamineWorkbook

from xlreport import limits
from xlreport.format import spec
from xlreport.model import Item, Report, Section, Text, join_paragraphs, load_json_file
from xlreport.xlsx.live import check_rows
from xlreport.xlsx.writer import text_slots, write_workbook

SHEETS = [*spec.DATA_SHEETS, spec.SHEET_CHECKS, spec.SHEET_GUIDE, spec.SHEET_STAMP, spec.SHEET_CELLCHECK]
CJK = re.compile(r"[\u4e00-\u9fff]")


def field_id(f) -> str:
    return f"{f.sheet}!{f.cell}:{f.key}"


def label_id(l) -> str:
    return f"{l.sheet}!{l.ref}"


def cells_of(ref: str) -> set[str]:
    """Every cell of an A1 range (or several, space separated) as A1 strings."""
    out = set()
    for part in str(ref).split():
        c1, r1, c2, r2 = range_boundaries(part)
        out |= {spec.a1(r - 1, c - 1) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    return out


def field_cells(f) -> set[str]:
    last = f.last_col if f.last_col is not None else f.col
    return {spec.a1(f.row, c) for c in range(f.col, last + 1)}


def spec_merges(sheet: str) -> set[tuple[int, int, int, int]]:
    merges = {(l.row, l.col, l.r2, l.c2) for l in spec.LABELS if l.sheet == sheet and l.merged}
    merges |= {(f.row, f.col, f.row, f.last_col) for f in spec.FIELDS if f.sheet == sheet and f.last_col is not None}
    return merges


@pytest.fixture(scope="module")
def blank_xl(blank_workbook):
    return openpyxl.load_workbook(blank_workbook)


@pytest.fixture(scope="module")
def blank_cal(blank_workbook):
    wb = CalamineWorkbook.from_path(str(blank_workbook))
    sheets = {name: wb.get_sheet_by_name(name) for name in wb.sheet_names}
    return sheets


def grid(sheet) -> list[list]:
    return sheet.to_python(skip_empty_area=False)


def cal_value(sheet_grid, row: int, col: int):
    if row >= len(sheet_grid) or col >= len(sheet_grid[row]):
        return ""
    return sheet_grid[row][col]


# --- the sheets ----------------------------------------------------------------------------


def test_sheet_names_and_visibility(blank_xl, blank_workbook):
    assert blank_xl.sheetnames == SHEETS
    assert [ws.sheet_state for ws in blank_xl.worksheets] == ["visible"] * 7 + ["hidden", "hidden"]
    assert CalamineWorkbook.from_path(str(blank_workbook)).sheet_names == SHEETS
    assert blank_xl.active.title == spec.SHEET_META


# --- (a) labels and merges -----------------------------------------------------------------


@pytest.mark.parametrize("label", spec.LABELS, ids=label_id)
def test_label_openpyxl(blank_xl, label):
    assert blank_xl[label.sheet][label.cell].value == label.text


@pytest.fixture(scope="module")
def blank_grids(blank_cal):
    return {name: grid(ws) for name, ws in blank_cal.items()}


@pytest.mark.parametrize("label", spec.LABELS, ids=label_id)
def test_label_calamine(blank_grids, label):
    assert cal_value(blank_grids[label.sheet], label.row, label.col) == label.text


@pytest.mark.parametrize("sheet", spec.DATA_SHEETS)
def test_merges_openpyxl(blank_xl, sheet):
    found = set()
    for rng in blank_xl[sheet].merged_cells.ranges:
        c1, r1, c2, r2 = range_boundaries(str(rng))
        found.add((r1 - 1, c1 - 1, r2 - 1, c2 - 1))
    assert found == spec_merges(sheet)


@pytest.mark.parametrize("sheet", spec.DATA_SHEETS)
def test_merges_calamine(blank_cal, sheet):
    ws = blank_cal[sheet]
    if not hasattr(ws, "merged_cell_ranges"):
        pytest.skip("this python-calamine has no merged_cell_ranges")
    found = {(r1, c1, r2, c2) for (r1, c1), (r2, c2) in ws.merged_cell_ranges or ()}
    assert found == spec_merges(sheet)


def test_no_stray_text_outside_the_spec(blank_grids):
    """Every non-empty cell of a table sheet is a label or a total (cached 0)."""
    for table in spec.TABLES:
        g = blank_grids[table.sheet]
        expected = {(l.row, l.col): l.text for l in table.labels}
        expected |= {(f.row, f.col): 0.0 for f in table.fields if not f.is_input}
        found = {(r, c): v for r, row in enumerate(g) for c, v in enumerate(row) if v != ""}
        assert found == expected, table.sheet


# --- (b) protection ------------------------------------------------------------------------


def expected_unlocked(sheet: str) -> set[str]:
    cells: set[str] = set()
    for f in spec.INPUT_FIELDS:
        if f.sheet == sheet:
            cells |= field_cells(f)
    cells |= {m.cell for m in spec.META_FIELDS if m.sheet == sheet}
    if sheet == spec.SHEET_TEXT:
        for t in spec.TEXT_SLOTS:
            cells.add(t.text_cell)
            if t.has_heading:
                cells.add(t.heading_cell)
    return cells


@pytest.mark.parametrize("sheet", SHEETS)
def test_unlocked_cells_are_the_input_cells(blank_xl, sheet):
    ws = blank_xl[sheet]
    unlocked = {
        c.coordinate
        for row in ws.iter_rows(min_row=1, max_row=max(ws.max_row, 1), max_col=max(ws.max_column, 1))
        for c in row
        if not c.protection.locked
    }
    assert unlocked == expected_unlocked(sheet)
    assert ws.protection.sheet is True


def test_every_input_cell_is_unlocked_and_exists(blank_xl):
    """Guards the test above: it would pass on an empty expectation."""
    assert len(expected_unlocked(spec.SHEET_REQUESTS)) == 24 * 6
    assert len(expected_unlocked(spec.SHEET_TEXT)) == len(spec.TEXT_SLOTS) + sum(t.has_heading for t in spec.TEXT_SLOTS)
    for f in spec.TOTAL_FIELDS:
        assert blank_xl[f.sheet][f.cell].protection.locked, f.key


def input_formats(ws) -> dict[str, list[str]]:
    """Per cell, the conditional-format formulas that colour it, each as it reads at that cell
    (a rule over a range is written relative to the range's top-left cell)."""
    from openpyxl.formula.translate import Translator

    by_cell: dict[str, list[str]] = {}
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            for part in str(cf.sqref).split():
                c1, r1, _, _ = range_boundaries(part)
                origin = f"{openpyxl.utils.get_column_letter(c1)}{r1}"
                for cell in cells_of(part):
                    text = Translator("=" + rule.formula[0], origin).translate_formula(cell)
                    by_cell.setdefault(cell, []).append(text)
    return by_cell


@pytest.fixture(scope="module")
def blank_formats(blank_xl):
    return {name: input_formats(blank_xl[name]) for name in spec.DATA_SHEETS}


@pytest.mark.parametrize("field", spec.INPUT_FIELDS, ids=field_id)
def test_input_cell_turns_red_by_its_own_reason(blank_formats, field):
    """A block of input cells shares one rule; at each cell it reads exactly that cell's reason
    formula, the one the hidden sheet holds for it."""
    from xlreport.xlsx.live import bad_input_condition

    own = bad_input_condition(field)
    assert blank_formats[field.sheet][field.cell].count(own) == 1
    assert own.count(field.cell) >= 5  # the guard: the formula names the cell it judges


def test_input_blocks_cover_the_input_cells_once():
    from xlreport.xlsx.live import input_blocks

    covered = [(b.sheet, spec.a1(r, c), b.unit.value) for b in input_blocks()
               for r in range(b.rows[0], b.rows[1] + 1) for c in range(b.cols[0], b.cols[1] + 1)]
    assert sorted(covered) == sorted((f.sheet, f.cell, f.unit.value) for f in spec.INPUT_FIELDS)
    assert len(input_blocks()) < len(spec.INPUT_FIELDS) // 10  # blocks, not one rule per cell


def _qualified(condition: str, sheet: str) -> str:
    """The condition with its sheet's own cells named by sheet again."""
    from xlreport.xlsx.live import quote_sheet

    return re.sub(r"(?<![!\w$])(\$[A-Z]{1,3}\$[0-9]+)", lambda m: f"{quote_sheet(sheet)}!{m.group(1)}", condition)


def test_relation_formats_name_their_own_sheet_s_cells_bare_and_mean_the_relation():
    """Each relation colours its cells on each sheet it touches; on that sheet the condition
    names the sheet's own cells without the sheet, and means exactly the relation as 校验 tests it."""
    from xlreport.format.rules import INSTANCES
    from xlreport.xlsx.live import field_ref, quote_sheet, relation_formats

    meant = {f"=NOT({i.relation.formula(field_ref())})" for i in INSTANCES}
    formats = relation_formats()
    cross = 0
    for sheet, cells, condition, _ in formats:
        assert quote_sheet(sheet) + "!" not in condition
        assert _qualified(condition, sheet) in meant
        cross += "!" in condition
    assert len(formats) >= len(INSTANCES) and cross  # the guard: some relations span sheets


def test_relation_formats_are_in_the_workbook(blank_xl):
    from xlreport.xlsx.live import relation_formats

    written = {(ws.title, "=" + rule.formula[0], frozenset(cells_of(cf.sqref)))
               for ws in blank_xl.worksheets for cf in ws.conditional_formatting for rule in cf.rules}
    for sheet, cells, condition, _ in relation_formats():
        assert (sheet, condition, frozenset(cells)) in written


# --- (c) data validation ---------------------------------------------------------------------


def validations(ws):
    by_cell: dict[str, list] = {}
    for dv in ws.data_validations.dataValidation:
        for cell in cells_of(dv.sqref):
            by_cell.setdefault(cell, []).append(dv)
    return by_cell


@pytest.fixture(scope="module")
def blank_validations(blank_xl):
    return {name: validations(blank_xl[name]) for name in SHEETS}


@pytest.mark.parametrize("field", spec.INPUT_FIELDS, ids=field_id)
def test_input_validation(blank_validations, field):
    """Whole numbers (counts) or numbers (amounts) from 0 below the declared limit, with a
    Chinese message; the red cell and 校验 tell what a paste gets past it."""
    dvs = blank_validations[field.sheet].get(field.cell, [])
    assert len(dvs) == 1
    (dv,) = dvs
    count = field.unit is spec.Unit.COUNT
    assert dv.type == ("whole" if count else "decimal")
    assert dv.operator in (None, "between")
    assert dv.formula1 == "0"
    top = limits.MAX_COUNT - 1 if count else limits.MAX_AMOUNT
    assert float(dv.formula2) == top
    assert dv.showErrorMessage and dv.errorStyle in (None, "stop")
    assert CJK.search(dv.error or "") and CJK.search(dv.errorTitle or "")
    if not count:
        assert spec.UNIT_NAMES[field.unit] in dv.error


@pytest.mark.parametrize("sheet", SHEETS)
def test_validation_only_on_input_cells(blank_validations, sheet):
    numeric = {f.cell for f in spec.INPUT_FIELDS if f.sheet == sheet}
    year = {spec.META_BY_KEY["year"].cell} if sheet == spec.SHEET_META else set()
    assert set(blank_validations[sheet]) == numeric | year


def test_year_validation(blank_validations):
    year = spec.META_BY_KEY["year"]
    (dv,) = blank_validations[year.sheet][year.cell]
    assert dv.type == "whole" and dv.operator in (None, "between")
    assert (dv.formula1, dv.formula2) == (str(spec.YEAR_MIN), str(spec.YEAR_MAX))
    assert CJK.search(dv.error)


# --- (d) totals are formulas -------------------------------------------------------------------


def formula_cells(formula: str) -> list[str]:
    """The cells a total adds, each counted as its number below the limit or 0:
    IF(ISNUMBER(c),IF(ABS(c)<1E+12,c,0),0)+…"""
    terms = re.split(r"\+(?=IF\()", formula.removeprefix("="))
    out = []
    for term in terms:
        m = re.fullmatch(r"IF\(ISNUMBER\(\$([A-Z]+)\$(\d+)\),IF\(ABS\(\$\1\$\2\)<1E\+12,\$\1\$\2,0\),0\)", term)
        assert m, term
        out.append(m.group(1) + m.group(2))
    return out


@pytest.mark.parametrize("field", spec.TOTAL_FIELDS, ids=field_id)
def test_total_is_sum_formula(blank_xl, field):
    cell = blank_xl[field.sheet][field.cell]
    assert cell.data_type == "f"
    cells = formula_cells(cell.value)
    assert len(cells) == len(set(cells))
    assert set(cells) == {spec.FIELD_BY_PATH[p].cell for p in field.total_of}


@pytest.mark.parametrize("field", spec.INPUT_FIELDS, ids=field_id)
def test_input_is_blank_in_blank_workbook(blank_xl, field):
    assert blank_xl[field.sheet][field.cell].value is None


# --- (e) identity ------------------------------------------------------------------------------


def test_stamp_sheet(blank_xl, blank_grids):
    ws = blank_xl[spec.SHEET_STAMP]
    assert ws.sheet_state == "hidden"
    g = blank_grids[spec.SHEET_STAMP]
    for row, key, value in spec.STAMP_CELLS:
        assert (ws.cell(row + 1, 1).value, ws.cell(row + 1, 2).value) == (key, value)
        assert (g[row][0], g[row][1]) == (key, value)
    assert spec.SPEC_HASH and re.fullmatch(r"[0-9a-f]{16}", spec.SPEC_HASH)


def test_custom_document_properties(blank_xl):
    props = {p.name: p.value for p in blank_xl.custom_doc_props}
    assert props["xlreport_template"] == spec.TEMPLATE_ID
    assert props["xlreport_format"] == spec.FORMAT_VERSION
    assert props["xlreport_spec"] == spec.SPEC_HASH


# --- (f) user text is text ----------------------------------------------------------------------

TRICKY = ["=SUM(A1)", "@", "+1", "-1", "=1+1", "=HYPERLINK(\"http://x\",\"y\")"]


def tricky_report(s: str) -> Report:
    r = Report()
    for m in spec.META_FIELDS:
        if m.kind != "year":
            r.meta[m.key] = s
    r.meta["year"] = 2024
    item = Item(s, [s])
    r.text = Text(
        preamble=[s],
        overview=Section([s], [item, Item(s, [s, s])]),
        problems=Section([s], [item]),
        other=Section([s], [item]),
        fee_note=Item(s, [s]),
        closing=[s],
    )
    return r


@pytest.mark.parametrize("s", TRICKY)
def test_user_text_is_written_as_text(tmp_path, s):
    report = tricky_report(s)
    path = write_workbook(tmp_path / "t.xlsx", report)
    wb = openpyxl.load_workbook(path)
    cal = CalamineWorkbook.from_path(str(path))
    expected: dict[tuple[str, str], str] = {}
    for m in spec.META_FIELDS:
        if m.kind != "year":
            expected[m.sheet, m.cell] = s
    for slot, heading, paragraphs in text_slots(report):
        if paragraphs:
            expected[spec.SHEET_TEXT, slot.text_cell] = join_paragraphs(paragraphs)
        if slot.has_heading and heading:
            expected[spec.SHEET_TEXT, slot.heading_cell] = heading
    assert sum(1 for (sheet, _), v in expected.items() if sheet == spec.SHEET_TEXT and v == s) >= 8
    for (sheet, addr), value in expected.items():
        cell = wb[sheet][addr]
        assert cell.data_type == "s", f"{sheet}!{addr} is {cell.data_type}: {cell.value!r}"
        assert cell.value == value
        r, c = cell.row - 1, cell.column - 1
        assert cal_value(grid(cal.get_sheet_by_name(sheet)), r, c) == value


# --- (g) pre-filled from a report ------------------------------------------------------------


def numbered_report(example_json) -> Report:
    """The example's meta and prose, with a distinct number in every input (some left blank)
    and deliberately wrong totals, so a value in the wrong cell cannot go unnoticed."""
    r = load_json_file(example_json)
    for i, f in enumerate(spec.INPUT_FIELDS):
        if i % 11 == 5:
            r.values[f.path] = None
        elif f.unit is spec.Unit.COUNT:
            r.values[f.path] = i + 1
        else:
            r.values[f.path] = Decimal(f"{i + 1}.457379")
    for f in spec.TOTAL_FIELDS:
        r.values[f.path] = 987654
    return r


@pytest.fixture(scope="module", params=["example", "numbered"])
def prefilled(request, example_json, tmp_path_factory):
    report = load_json_file(example_json) if request.param == "example" else numbered_report(example_json)
    path = write_workbook(tmp_path_factory.mktemp("prefilled") / "r.xlsx", report)
    wb = CalamineWorkbook.from_path(str(path))
    return report, openpyxl.load_workbook(path), {n: grid(wb.get_sheet_by_name(n)) for n in wb.sheet_names}


def expected_number(v):
    if v is None:
        return None
    return float(v) if isinstance(v, Decimal) else v


def test_prefilled_inputs(prefilled):
    report, wb, _ = prefilled
    for f in spec.INPUT_FIELDS:
        got = wb[f.sheet][f.cell].value
        want = expected_number(report.values[f.path])
        assert got == want, (f.key, got, want)


def test_prefilled_meta(prefilled):
    report, wb, _ = prefilled
    assert report.meta["agency"] == "上犹县商务局"
    for m in spec.META_FIELDS:
        assert wb[m.sheet][m.cell].value == report.meta[m.key], m.key


def test_prefilled_text(prefilled):
    report, wb, _ = prefilled
    bodies = 0
    for slot, heading, paragraphs in text_slots(report):
        ws = wb[spec.SHEET_TEXT]
        assert ws[slot.text_cell].value == (join_paragraphs(paragraphs) or None), slot
        bodies += bool(paragraphs)
        if slot.has_heading:
            assert ws[slot.heading_cell].value == (heading or None), slot
        else:
            assert ws[slot.heading_cell].value is None
    assert bodies >= 8  # the example has real prose in most sections


def test_prefilled_text_matches_the_example_prose(prefilled):
    report, wb, _ = prefilled
    ws = wb[spec.SHEET_TEXT]
    texts = [ws[t.text_cell].value or "" for t in spec.TEXT_SLOTS]
    for para in report.text.overview.items[0].paragraphs + report.text.problems.items[-1].paragraphs:
        assert sum(para in t.split("\n") for t in texts) == 1


def test_prefilled_cached_totals(prefilled):
    report, _, cal = prefilled
    for f in spec.TOTAL_FIELDS:
        assert cal_value(cal[f.sheet], f.row, f.col) == float(report.computed(f.path)), f.key
        assert report.computed(f.path) != 987654


def test_prefilled_cached_checks(prefilled):
    report, _, cal = prefilled
    rows = check_rows(report)
    g = cal[spec.SHEET_CHECKS]
    assert len(g) == len(rows) + 1
    for i, row in enumerate(rows, start=1):
        assert (g[i][0], g[i][1]) == (row.title, row.place)
        assert g[i][4] == ("通过" if row.passed else "不通过"), (i, row.rule, row.place)


def test_numbered_report_totals_are_not_trivial(example_json):
    r = numbered_report(example_json)
    assert r.computed(("requests", "closed_total", "total")) > 100
    assert any(isinstance(r.values[f.path], Decimal) for f in spec.INPUT_FIELDS)


def test_prefilled_numbers_are_numbers(prefilled):
    report, wb, cal = prefilled
    assert wb.properties.creator == report.meta["agency"]
    for f in spec.INPUT_FIELDS:
        v = wb[f.sheet][f.cell].value
        assert v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)), f.key
        assert wb[f.sheet][f.cell].data_type == "n", f.key
        assert cal_value(cal[f.sheet], f.row, f.col) == ("" if v is None else float(v)), f.key
