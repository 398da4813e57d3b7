"""Every sheet a clerk or an office may print: A4, one page wide, header rows on every page,
landscape where the table is wide, the sheet's name and the page at the foot. Read back with
openpyxl from the workbook, the annotated copy, the overview of a batch and a merge."""

from __future__ import annotations

import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from factories import filled_report, set_cells, write
from xlreport.cli import cli
from xlreport.format import spec

R = filled_report()
HIDDEN = {spec.SHEET_STAMP, spec.SHEET_CELLCHECK}
# the rows each printed page repeats at its top
HEADER_ROWS = {t.sheet: t.header_rows for t in spec.TABLES} | {spec.SHEET_TEXT: 2, spec.SHEET_CHECKS: 1,
                                                             spec.SHEET_PROBLEMS: 1, spec.SHEET_MERGED: 1,
                                                             spec.SHEET_OVERVIEW: 1}
PORTRAIT = {t.sheet for t in spec.TABLES if not t.landscape} | {spec.SHEET_GUIDE}


def assert_prints(ws):
    setup = ws.page_setup
    assert int(setup.paperSize) == 9, ws.title  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage and int(setup.fitToWidth or 1) == 1, ws.title
    assert setup.orientation == ("portrait" if ws.title in PORTRAIT else "landscape"), ws.title
    rows = HEADER_ROWS.get(ws.title, 0)
    assert ws.print_title_rows == (f"$1:${rows}" if rows else None), ws.title
    footer = (ws.oddFooter.left.text or "") + (ws.oddFooter.right.text or "")
    assert "&A" in footer and "&P" in footer and "&N" in footer, ws.title


def run(*args):
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return write(tmp_path_factory.mktemp("print") / "报告.xlsx", R)


def test_every_sheet_of_the_workbook(book):
    wb = openpyxl.load_workbook(book)
    shown = [ws for ws in wb.worksheets if ws.title not in HIDDEN]
    assert [ws.title for ws in shown] == [*spec.DATA_SHEETS, spec.SHEET_CHECKS, spec.SHEET_GUIDE]
    for ws in shown:
        assert_prints(ws)


def test_the_problem_list_of_an_annotated_copy(book, tmp_path):
    bad = set_cells(book, {("active", "licensing"): "12件"}, tmp_path / "错.xlsx")
    assert run("check", str(bad), "--annotate", str(tmp_path / "标注.xlsx")).exit_code == 1
    assert_prints(openpyxl.load_workbook(tmp_path / "标注.xlsx")[spec.SHEET_PROBLEMS])


def test_the_overview_of_a_batch_and_the_merge(book, tmp_path):
    folder = tmp_path / "县"
    folder.mkdir()
    shutil.copyfile(book, folder / "甲.xlsx")
    shutil.copyfile(book, folder / "乙.xlsx")
    run("check", str(folder), "--report", str(tmp_path / "总览.xlsx"))
    overview = openpyxl.load_workbook(tmp_path / "总览.xlsx")
    assert overview.sheetnames == [spec.SHEET_OVERVIEW, spec.SHEET_PROBLEMS]
    for ws in overview.worksheets:
        assert_prints(ws)
    assert run("merge", str(folder), "-o", str(tmp_path / "汇总.xlsx"), "--agency", "测试县人民政府").exit_code == 0
    assert_prints(openpyxl.load_workbook(tmp_path / "汇总.xlsx")[spec.SHEET_MERGED])


def test_check_rows_have_room_for_their_text(book):
    """校验 prints without text running over: each row is as high as its longest wrapped cell."""
    ws = openpyxl.load_workbook(book)[spec.SHEET_CHECKS]
    for r in range(2, ws.max_row + 1):
        note = str(ws.cell(r, 6).value or "")
        if note.startswith("="):
            continue
        lines = -(-len(note) * 2 // (70 - 4))
        assert ws.row_dimensions[r].height >= lines * 15, (r, note)


def test_check_sheet_names_rules_in_chinese_only(book):
    from xlreport.format.rules import RULES

    ws = openpyxl.load_workbook(book)[spec.SHEET_CHECKS]
    shown = "\n".join(str(c.value or "") for row in ws.iter_rows(min_row=2, max_col=2) for c in row)
    assert not [r.code for r in RULES if r.code in shown]
    assert {ws.cell(r, 1).value for r in range(2, ws.max_row + 1)} <= {r.title for r in RULES}
