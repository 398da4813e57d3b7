"""The workbook's formulas as LibreOffice computes them, after a clerk's edit (openpyxl)."""

from __future__ import annotations

import shutil
from decimal import Decimal

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from conftest import run_soffice_convert
from xlreport.format import spec
from xlreport.model import Report
from xlreport.xlsx.writer import check_rows, write_workbook

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
        if f.path in values:
            continue
        if f.unit is spec.Unit.COUNT:
            values[f.path] = n
            n += 1
    values["active", "fees"] = 12.5
    values["fees", "notices"] = 2
    values["fees", "notice_amount"] = 300
    values["fees", "collected"] = 250
    assert set(values) == {f.path for f in spec.INPUT_FIELDS}
    assert all(v >= 0 for v in values.values())
    assert values["requests", "other_fee_unpaid", "natural_person"] + values["requests", "other_fee_unpaid", "business"] > 0
    return values


def total(values: dict, path: tuple):
    f = spec.FIELD_BY_PATH[path]
    if not f.total_of:
        return values[path]
    return sum(total(values, p) for p in f.total_of)


def fill_like_a_clerk(blank, dest, values: dict) -> None:
    shutil.copyfile(blank, dest)
    wb = openpyxl.load_workbook(dest)
    for path, v in values.items():
        f = spec.FIELD_BY_PATH[path]
        wb[f.sheet][f.cell] = v
    meta = {"agency": "测试县商务局", "year": 2024, "office": "办公室", "postcode": "341200"}
    for key, v in meta.items():
        m = spec.META_BY_KEY[key]
        wb[m.sheet][m.cell] = v
    wb.save(dest)


def read_back(path):
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in wb.sheet_names}


def check_results(sheets) -> list[tuple[str, str, str]]:
    """(code, place, result) of every row of the 校验 sheet."""
    return [(row[0], row[2], row[5]) for row in sheets[spec.SHEET_CHECKS][1:] if row[0]]


def recalculated(soffice, blank_workbook, tmp_path, values):
    src = tmp_path / "filled.xlsx"
    fill_like_a_clerk(blank_workbook, src, values)
    # openpyxl saves formulas without a cached value, as a clerk's tool might
    assert openpyxl.load_workbook(src, data_only=True)[spec.SHEET_CHECKS]["F2"].value is None
    out = run_soffice_convert(src, tmp_path / "out", "xlsx", soffice=soffice)
    return read_back(out)


def test_totals_and_checks_after_recalculation(soffice, blank_workbook, tmp_path):
    values = clerk_numbers()
    sheets = recalculated(soffice, blank_workbook, tmp_path, values)
    for f in spec.INPUT_FIELDS:
        assert sheets[f.sheet][f.row][f.col] == values[f.path], f.key
    for f in spec.TOTAL_FIELDS:
        assert sheets[f.sheet][f.row][f.col] == total(values, f.path), f.key
    rows = check_results(sheets)
    assert [code for code, _, _ in rows] == [r.code for r in check_rows(None)]
    assert [place for _, place, _ in rows] == [r.place for r in check_rows(None)]
    assert [(code, place) for code, place, result in rows if result != "通过"] == []
    checks = sheets[spec.SHEET_CHECKS]
    for i, eq in enumerate(spec.EQUATIONS, start=1):
        assert checks[i][3] == sum(total(values, p) for p in eq.lhs), (i, eq)
        assert checks[i][4] == sum(total(values, p) for p in eq.rhs), (i, eq)


def test_broken_balance_fails_exactly_its_checks(soffice, blank_workbook, tmp_path):
    values = clerk_numbers()
    values["requests", "carried_forward", "natural_person"] += 1
    sheets = recalculated(soffice, blank_workbook, tmp_path, values)
    for f in spec.TOTAL_FIELDS:
        assert sheets[f.sheet][f.row][f.col] == total(values, f.path), f.key
    failed = [(code, place) for code, place, result in check_results(sheets) if result != "通过"]
    results = {result for _, _, result in check_results(sheets)}
    assert results == {"通过", "不通过"}
    # the 自然人 column, and the 总计 column whose 四、结转下年度 total includes 自然人
    expected = [
        (eq.rule, f"{eq.sheet}!{spec.FIELD_BY_PATH[eq.anchor].cell}（{eq.column_label}）")
        for eq in spec.EQUATIONS
        if eq.rule == "requests-balance" and eq.column_label in ("自然人", "总计")
    ]
    assert len(expected) == 2
    assert failed == expected
    derived = [
        (eq.rule, f"{eq.sheet}!{spec.FIELD_BY_PATH[eq.anchor].cell}（{eq.column_label}）")
        for eq in spec.EQUATIONS
        if sum(total(values, p) for p in eq.lhs) != sum(total(values, p) for p in eq.rhs)
    ]
    assert failed == derived


def test_prefilled_cached_values_match_libreoffice(soffice, tmp_path):
    """xlsxwriter's cached values (computed in Python) agree with what the formulas compute."""
    values = clerk_numbers()
    values["requests", "carried_forward", "research"] += 2  # one failing balance, for contrast
    report = Report()
    report.meta.update({"agency": "测试县商务局", "year": 2024})
    for path, v in values.items():
        report.values[path] = Decimal(str(v)) if isinstance(v, float) else v
    src = write_workbook(tmp_path / "prefilled.xlsx", report)
    before = read_back(src)
    after = read_back(run_soffice_convert(src, tmp_path / "out", "xlsx", soffice=soffice, recalc_always=True))
    for f in spec.TOTAL_FIELDS:
        assert before[f.sheet][f.row][f.col] == after[f.sheet][f.row][f.col] == float(report.computed(f.path)), f.key
    assert check_results(before) == check_results(after)
    assert [r for r in check_results(after) if r[2] != "通过"] == [
        (r.code, r.place, "不通过") for r in check_rows(report) if not r.passed
    ]
    assert len([r for r in check_results(after) if r[2] != "通过"]) == 2


def test_libreoffice_keeps_cached_values_unless_told(soffice, tmp_path):
    """The pitfall behind recalc_always: LibreOffice trusts a cached formula value on load
    (its default for .xlsx is "never recalculate"); only formulas without one are computed."""
    src = tmp_path / "stale.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("S")
    ws.write_number("A1", 5)
    ws.write_formula("A2", "=A1+1", None, 0)  # a stale cached value
    wb.close()
    kept = read_back(run_soffice_convert(src, tmp_path / "default", "xlsx", soffice=soffice))["S"]
    redone = read_back(run_soffice_convert(src, tmp_path / "recalc", "xlsx", soffice=soffice, recalc_always=True))["S"]
    assert kept[1][0] == 0
    assert redone[1][0] == 6
