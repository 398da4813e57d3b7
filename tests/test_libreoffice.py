"""The workbook's own live checks and `xlreport check` say the same, after LibreOffice recalculates
the file a clerk edited (openpyxl plays the clerk: it saves formulas without cached values).

Both come from one declaration (format/rules.py, format/values.py): for every rule instance, a
violation fails its 校验 row in LibreOffice exactly when check reports it; for every entry a
clerk may type, the cell gets a reason on the sheet exactly when check refuses it.
"""

from __future__ import annotations

import datetime
import shutil
from decimal import Decimal

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from conftest import run_soffice_convert
from xlreport.api import check_file
from xlreport.format import spec
from xlreport.format.rules import INSTANCES, RULE_BY_CODE
from xlreport.model import Report
from xlreport.xlsx import live
from xlreport.xlsx.writer import write_workbook

pytestmark = pytest.mark.libreoffice

RESULT_ROWS = spec.REQUEST_RESULT_ROWS
INPUT_COLS = spec.REQUEST_INPUT_COLUMNS


def clerk_numbers() -> dict[tuple, int | float]:
    """A value for every input cell such that every rule of the 校验 sheet holds."""
    values: dict[tuple, int | float] = {}
    for j, col in enumerate(INPUT_COLS):
        results = 0
        for i, row in enumerate(RESULT_ROWS):
            v = (i * 3 + j) % 5  # some zeros, all small
            values["requests", row, col] = v
            results += v
        values["requests", "new", col] = 60 + 7 * j
        values["requests", "carried_over", col] = 3 + j
        values["requests", "carried_forward", col] = 60 + 7 * j + 3 + j - results
    n = 1
    for f in spec.INPUT_FIELDS:
        if f.path not in values and f.unit is spec.Unit.COUNT:
            values[f.path] = n
            n += 1
    values["active", "fees"] = 12.5
    values["fees", "notices"] = 2
    values["fees", "notice_amount"] = 300
    values["fees", "collected"] = 250
    assert set(values) == {f.path for f in spec.INPUT_FIELDS}
    assert values["requests", "other_fee_unpaid", "natural_person"] + values["requests", "other_fee_unpaid", "business"] > 0
    return values


def total(values: dict, path: tuple):
    f = spec.FIELD_BY_PATH[path]
    return values[path] if not f.total_of else sum(total(values, p) for p in f.total_of)


def fill_like_a_clerk(blank, dest, values: dict, typed: dict | None = None) -> None:
    """``values`` by field path, and ``typed``: raw entries by (sheet, cell), as a clerk types them."""
    shutil.copyfile(blank, dest)
    wb = openpyxl.load_workbook(dest)
    for path, v in values.items():
        f = spec.FIELD_BY_PATH[path]
        wb[f.sheet][f.cell] = v
    for (sheet, cell), v in (typed or {}).items():
        wb[sheet][cell] = v
    for key, v in {"agency": "测试县商务局", "year": 2024, "office": "办公室", "postcode": "341200"}.items():
        m = spec.META_BY_KEY[key]
        wb[m.sheet][m.cell] = v
    wb.save(dest)


def read_back(path):
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in wb.sheet_names}


def sheet_results(sheets) -> dict[tuple[str, str], str]:
    """(规则, 位置) -> 结果 for every row of 校验, as LibreOffice computed it."""
    return {(row[0], row[1]): row[4] for row in sheets[spec.SHEET_CHECKS][1:] if row[0]}


def instance_place(i) -> tuple[str, str]:
    anchor = spec.FIELD_BY_PATH[i.anchor]
    return RULE_BY_CODE[i.rule].title, f"{anchor.sheet}!{anchor.cell}" + (f"（{i.label}）" if i.label else "")


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory, blank_workbook):
    """Every workbook of this module, filled by openpyxl and recalculated by one LibreOffice run."""
    folder = tmp_path_factory.mktemp("lo")
    cases = {name: (values, typed) for name, values, typed in CASES()}
    sources = []
    for name, (values, typed) in cases.items():
        fill_like_a_clerk(blank_workbook, folder / f"{name}.xlsx", values, typed)
        sources.append(folder / f"{name}.xlsx")
    outs = run_soffice_convert(sources, folder / "out", "xlsx", recalc_always=True)
    return {p.stem: (src, read_back(p)) for src, p in zip(sources, outs)}


# --- the cases ---------------------------------------------------------------------------------------

ENTRIES_SHEET = spec.SHEET_REQUESTS
# what a clerk may type or paste into a count cell, each into its own cell of 表三's 一、本年新收 …
ENTRIES = {
    "文字数字": "10", "全角数字": "１２", "带空格": " 12 ", "带单位": "2件", "无": "无", "斜杠": "/", "破折号": "—",
    "小数": 2.5, "负数": -5, "公式": "=3+4", "出错的公式": "=1/0", "逻辑值": True, "过大": 10**13, "只有空格": "   ",
    "日期": datetime.date(2024, 1, 2),
}
# LibreOffice's CELL("format") does not tell a date format (Excel's does): there the sheet cannot see a
# date typed into a count cell, which check refuses; docs/values.md says so
SHEET_CANNOT_SEE = {"日期"}


def _entry_cells() -> dict[str, str]:
    cells = [f.cell for f in spec.INPUT_FIELDS if f.sheet == ENTRIES_SHEET and f.path[1] in RESULT_ROWS]
    return dict(zip(ENTRIES, cells))


def CASES():
    clean = clerk_numbers()
    yield "clean", clean, {}
    balance = dict(clean)
    balance["requests", "carried_forward", "natural_person"] += 1
    yield "balance", balance, {}
    fees = dict(clean)
    fees["fees", "notices"] = 0
    fees["fees", "notice_amount"] = 100
    fees["fees", "collected"] = 200
    yield "fees", fees, {}
    entries = dict(clean)
    cells = _entry_cells()
    for path in [f.path for f in spec.INPUT_FIELDS if f.sheet == ENTRIES_SHEET and f.cell in cells.values()]:
        del entries[path]
    yield "entries", entries, {(ENTRIES_SHEET, cells[name]): value for name, value in ENTRIES.items()}


# --- the tests ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["clean", "balance", "fees", "entries"])
def test_every_relation_row_fails_exactly_when_check_reports_it(recalculated, case):
    src, sheets = recalculated[case]
    checked = check_file(src)
    reported = {(p.code, p.sheet, p.cell) for p in checked.problems if RULE_BY_CODE[p.code].scope == "sheet"}
    results = sheet_results(sheets)
    for i in INSTANCES:
        anchor = spec.FIELD_BY_PATH[i.anchor]
        in_check = (i.rule, anchor.sheet, anchor.cell) in reported
        assert results[instance_place(i)] == ("不通过" if in_check else "通过"), (case, i.rule, instance_place(i))
    if case == "clean":
        assert set(results.values()) == {"通过"}
    if case == "balance":
        assert {p for (_, p), r in results.items() if r == "不通过"} == {"三、依申请公开!D28（自然人）", "三、依申请公开!J28（总计）"}
    if case == "fees":
        failing = {i.rule for i in INSTANCES if results[instance_place(i)] == "不通过"}
        assert failing == {"fees-unpaid-without-notice", "fees-collected-exceeds-notices", "fees-amount-without-notice"}


def test_every_typed_entry_is_judged_alike(recalculated):
    src, sheets = recalculated["entries"]
    checked = check_file(src)
    refused = {p.cell: p for p in checked.problems if p.code in ("value-type", "value-formula") and p.sheet == ENTRIES_SHEET}
    k = live._INPUT_SHEETS.index(ENTRIES_SHEET)
    helper = sheets[spec.SHEET_CELLCHECK]
    for name, cell in _entry_cells().items():
        f = next(f for f in spec.INPUT_FIELDS if f.sheet == ENTRIES_SHEET and f.cell == cell)
        r, c = live.helper_cell(f)
        reason = helper[r][c]
        assert isinstance(reason, str), (name, reason)  # a reason or "", never an error value
        if name in SHEET_CANNOT_SEE:
            assert cell in refused, name
            continue
        assert (reason != "") == (cell in refused), (name, reason, refused.get(cell))
    assert set(n for n, cell in _entry_cells().items() if cell not in refused) == {"只有空格"}
    # the sheet's count of refused cells on 校验 is check's count, but for what LibreOffice cannot see
    row = next(row for row in sheets[spec.SHEET_CHECKS] if row[1] == f"{ENTRIES_SHEET}（全部填写单元格）")
    assert row[2] == len(refused) - len(SHEET_CANNOT_SEE)
    assert row[4] == "不通过"


def test_sums_count_a_cell_as_check_does(recalculated):
    """A total in the sheet is its parts counted by the value policy: a number as it stands (2.5,
    -5, a formula's result, a date's serial number), anything else 0 — as check counts them."""
    src, sheets = recalculated["entries"]
    checked = check_file(src)
    from xlreport.model import relation_numbers

    numbers = relation_numbers(checked.report)
    for f in spec.TOTAL_FIELDS:
        if f.sheet == ENTRIES_SHEET:
            sheet_value = sheets[f.sheet][f.row][f.col]
            assert isinstance(sheet_value, float), (f.key, sheet_value)  # never #VALUE!
            # two known differences: LibreOffice computes =3+4 where check counts the cached result
            # (openpyxl saves none), and LibreOffice's TRUE is the number 1 (Excel's is not a number)
            differs = sheet_value - float(numbers[f.path])
            assert differs in (0, 7, 1, 8), (f.key, sheet_value, numbers[f.path])


def test_totals_and_checks_of_a_clean_workbook(recalculated):
    _, sheets = recalculated["clean"]
    values = clerk_numbers()
    for f in spec.INPUT_FIELDS:
        assert sheets[f.sheet][f.row][f.col] == values[f.path], f.key
    for f in spec.TOTAL_FIELDS:
        assert sheets[f.sheet][f.row][f.col] == total(values, f.path), f.key
    rows = live.check_rows(None)
    got = [(row[0], row[1]) for row in sheets[spec.SHEET_CHECKS][1:] if row[0]]
    assert got == [(r.title, r.place) for r in rows]
    assert all("xlreport" not in title and "-" not in title for title, _ in got)  # Chinese names, not rule codes


def test_prefilled_cached_values_match_libreoffice(tmp_path):
    """xlsxwriter's cached values (computed in Python) agree with what the formulas compute."""
    values = clerk_numbers()
    values["requests", "carried_forward", "research"] += 2  # one failing balance, for contrast
    report = Report()
    report.meta.update({"agency": "测试县商务局", "year": 2024})
    for path, v in values.items():
        report.values[path] = Decimal(str(v)) if isinstance(v, float) else v
    src = write_workbook(tmp_path / "prefilled.xlsx", report)
    before = read_back(src)
    after = read_back(run_soffice_convert(src, tmp_path / "out", "xlsx", recalc_always=True))
    for f in spec.TOTAL_FIELDS:
        assert before[f.sheet][f.row][f.col] == after[f.sheet][f.row][f.col] == float(report.computed(f.path)), f.key
    assert sheet_results(before) == sheet_results(after)
    assert [p for p, r in sheet_results(after).items() if r != "通过"] == [(r.title, r.place) for r in live.check_rows(report) if not r.passed]
    assert len([r for r in sheet_results(after).values() if r != "通过"]) == 2


def test_libreoffice_keeps_cached_values_unless_told(tmp_path):
    """The pitfall behind recalc_always: LibreOffice trusts a cached formula value on load
    (its default for .xlsx is "never recalculate"); only formulas without one are computed."""
    src = tmp_path / "stale.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("S")
    ws.write_number("A1", 5)
    ws.write_formula("A2", "=A1+1", None, 0)  # a stale cached value
    wb.close()
    kept = read_back(run_soffice_convert(src, tmp_path / "default", "xlsx"))["S"]
    redone = read_back(run_soffice_convert(src, tmp_path / "recalc", "xlsx", recalc_always=True))["S"]
    assert kept[1][0] == 0
    assert redone[1][0] == 6
