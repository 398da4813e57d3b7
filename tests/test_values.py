"""Bad values typed or pasted into the input cells, as `xlreport check` reports them.

Each value goes into a cell of table A (行政许可 / 本年处理决定数量), which no sum rule
involves, so the value's own problem is the only one. A clerk's edit is played by openpyxl
(which saves without cached formula values, like a real edit).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from factories import edit, filled_report, patch_zip, set_cells, sheet_entries, write
from xlreport import api, model
from xlreport.format import spec
from xlreport.cli import cli

R = filled_report()
LICENSING = ("active", "licensing")
F = spec.FIELD_BY_PATH[LICENSING]
PLACE = f"{F.sheet}!{F.cell}"
ITEM = f"{F.row_label} / {F.col_label}"
HEAD = f"（{R.agency} {R.year}年）"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return write(tmp_path_factory.mktemp("values") / "base.xlsx", R)


def run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.stdout + result.stderr
    return result


def typed(base: Path, tmp_path: Path, value, path=LICENSING) -> Path:
    return set_cells(base, {path: value}, tmp_path / "填报.xlsx")


def rows_of(stdout: str) -> list[list[str]]:
    """The problem rows of a check table, cut at the column gaps (one line per problem here)."""
    return [re.split(r" {2,}", line.rstrip()) for line in stdout.splitlines() if line.startswith(("错误  ", "提醒  "))]


# --- exact output of the common cases ----------------------------------------------------------


TEXT = "“{}”是文字，不是数字；请直接填写数字"


def test_text_with_unit_is_an_error(base, tmp_path):
    book = typed(base, tmp_path, "12件")
    result = run("check", str(book))
    assert result.exit_code == 1
    assert result.stderr == ""
    assert rows_of(result.stdout) == [["错误", PLACE, ITEM, TEXT.format("12件"), "0或正整数", "12件"]]
    assert result.stdout.startswith(f"文件：{book}{HEAD}\n【二、主动公开】\n")
    assert result.stdout.endswith("\n\n发现 1 个错误、0 个提醒。请按“应为”一栏修改后重新检查。\n")
    assert PLACE == "二、主动公开!B8"


def test_one_blank_cell_is_one_warning(base, tmp_path):
    book = typed(base, tmp_path, None)
    result = run("check", str(book))
    assert result.exit_code == 0
    assert result.stdout == (
        f"文件：{book}{HEAD}\n"
        "【整个文件】\n"
        "级别  位置  项目  问题                                                      应为  实际\n"
        "----  ----  ----  --------------------------------------------------------  ----  -------\n"
        "提醒  —     —     1个数字单元格为空（二、主动公开!B8），已按0计算（如确实         1个空白\n"
        "                  为0，建议填0）\n"
        "\n"
        "检查通过：没有错误，有 1 个提醒。\n"
    )


# --- text is never taken for a number: the sheet's formulas read it as text too ------------------


@pytest.mark.parametrize("raw", ["１２", " 12 ", "12.0", "\u300012\u3000", "1,234", "'12", "12件", "十二", "2.5", "-3", "无", "/", "—"])
def test_text_that_looks_like_a_number_is_refused(base, tmp_path, raw):
    book = typed(base, tmp_path, raw)
    result = run("check", str(book))
    assert result.exit_code == 1, result.stdout
    (problem,) = json.loads(run("check", "--json", str(book)).stdout)["files"][0]["problems"]
    assert (problem["code"], problem["severity"], problem["sheet"], problem["cell"], problem["actual"], problem["message"]) == (
        "value-type", "error", F.sheet, F.cell, raw, TEXT.format(raw))
    assert api.check_file(book).report.values[LICENSING] is None  # never silently taken


def test_a_cell_of_spaces_only_is_blank(base, tmp_path):
    book = typed(base, tmp_path, "   ")
    (problem,) = json.loads(run("check", "--json", str(book)).stdout)["files"][0]["problems"]
    assert (problem["code"], problem["cells"]) == ("value-blank", [PLACE])


# --- errors naming cell and label, exit 1 ---------------------------------------------------------


@pytest.mark.parametrize("raw, message, actual", [
    (2.5, "件数应为整数，实际为2.5", "2.5"),
    (-3, "不能为负数（-3）", "-3"),
    (True, "“TRUE”是逻辑值，不是数字", "TRUE"),
    (10**13, "10000000000000超过上限（件数应小于1000000000000）", "10000000000000"),
    ("#DIV/0!", "单元格显示错误值“#DIV/0!”", "#DIV/0!"),  # an error value pasted as a value (t="e")
    ("=1+1", "填写单元格中是公式“=1+1”，应直接填写数字", "=1+1"),
    ("=B7*2", "填写单元格中是公式“=B7*2”，应直接填写数字", "=B7*2"),
])
def test_bad_values_are_errors(base, tmp_path, raw, message, actual):
    book = typed(base, tmp_path, raw)
    result = run("check", str(book))
    assert result.exit_code == 1
    assert result.stderr == ""
    assert rows_of(result.stdout) == [["错误", PLACE, ITEM, message, "0或正整数", actual]]
    assert result.stdout.endswith("发现 1 个错误、0 个提醒。请按“应为”一栏修改后重新检查。\n")
    doc = json.loads(run("check", "--json", str(book)).stdout)
    (problem,) = doc["files"][0]["problems"]
    assert problem["code"] == ("value-formula" if str(raw).startswith("=") else "value-type")
    assert (problem["sheet"], problem["cell"], problem["row_label"], problem["col_label"], problem["message"]) == (
        F.sheet, F.cell, F.row_label, F.col_label, message)
    assert api.check_file(book).report.values[LICENSING] is None  # never silently taken


def test_error_value_in_the_sheet_xml(base, tmp_path):
    """An error cell as Excel writes one (t="e" with its cached text), written into the XML by hand."""
    entry = sheet_entries(base)[F.sheet]

    def patch(xml: bytes) -> bytes:
        new, n = re.subn(rb'<c r="' + F.cell.encode() + rb'"( s="[0-9]+")?( t="n")?><v>[^<]*</v></c>',
                         rb'<c r="' + F.cell.encode() + rb'"\1 t="e"><v>#N/A</v></c>', xml)
        assert n == 1
        return new

    book = patch_zip(base, {entry: patch}, tmp_path / "e.xlsx")
    result = run("check", str(book))
    assert result.exit_code == 1
    assert rows_of(result.stdout) == [["错误", PLACE, ITEM, "单元格显示错误值“#N/A”", "0或正整数", "#N/A"]]


@pytest.mark.libreoffice
def test_formula_error_computed_by_libreoffice(base, tmp_path, soffice):
    """=1/0 typed into an input cell and saved by LibreOffice (cached #DIV/0!): a formula error at that cell."""
    from conftest import run_soffice_convert

    typed_book = typed(base, tmp_path, "=1/0")
    converted = run_soffice_convert(typed_book, tmp_path / "lo", "xlsx", soffice=soffice)
    result = run("check", str(converted))
    assert result.exit_code == 1
    assert rows_of(result.stdout) == [["错误", PLACE, ITEM, "填写单元格中是公式“=1/0”，应直接填写数字", "0或正整数", "=1/0"]]


def test_negative_amount_and_text_amount(base, tmp_path):
    fees = spec.FIELD_BY_PATH[("active", "fees")]
    book = set_cells(base, {("active", "fees"): -0.5, ("fees", "notice_amount"): "三百元"}, tmp_path / "e.xlsx")
    doc = json.loads(run("check", "--json", str(book)).stdout)
    got = {(p["sheet"], p["cell"], p["message"], p["expected"]) for p in doc["files"][0]["problems"] if p["code"] == "value-type"}
    assert got == {
        (fees.sheet, fees.cell, "不能为负数（-0.5）", "0或正数（万元）"),
        (spec.SHEET_META, spec.FIELD_BY_PATH[("fees", "notice_amount")].cell, TEXT.format("三百元"), "0或正数（元）"),
    }


# --- blanks -----------------------------------------------------------------------------------


BLANKED = (LICENSING, ("active", "coercion"), ("appeals", "review", "upheld"), ("appeals", "review", "pending"))


def test_blank_cells_are_one_warning_with_the_count(base, tmp_path):
    book = set_cells(base, {p: None for p in BLANKED}, tmp_path / "e.xlsx")
    result = run("check", str(book))
    assert result.exit_code == 0
    (row,) = [r for r in rows_of(result.stdout) if r[0] == "提醒"]
    assert row[:3] == ["提醒", "—", "—"] and row[-1] == "4个空白"
    (p,) = api.check_file(book).problems
    assert p.message == "4个数字单元格为空（二、主动公开!B8、B12；四、复议诉讼!A5、D5），已按0计算（如确实为0，建议填0）"
    assert result.stdout.endswith("检查通过：没有错误，有 1 个提醒。\n")


def test_strict_makes_each_blank_cell_an_error(base, tmp_path):
    book = set_cells(base, {p: None for p in BLANKED}, tmp_path / "e.xlsx")
    result = run("check", "--strict", str(book))
    assert result.exit_code == 1
    message = "未填写（--strict 要求每个数字单元格都填写，没有就填0）"
    expected = []
    for path in BLANKED:
        f = spec.FIELD_BY_PATH[path]
        expected.append(["错误", f"{f.sheet}!{f.cell}", f.where, message, "0或正整数", "空白"])  # all four are counts
    assert sorted(rows_of(result.stdout)) == sorted(expected)
    assert result.stdout.endswith("发现 4 个错误、0 个提醒。请按“应为”一栏修改后重新检查。\n")
    assert "【二、主动公开】" in result.stdout and "【四、复议诉讼】" in result.stdout


def test_blank_template_counts_every_input_cell(tmp_path):
    from xlreport.xlsx.writer import write_workbook

    book = write_workbook(tmp_path / "空白.xlsx")
    checked = api.check_file(book)
    blank = [p for p in checked.problems if p.code == "value-blank"]
    assert [p.message for p in blank] == [f"{len(spec.INPUT_FIELDS)}个数字单元格为空（基本信息!B13、B14、B15；二、主动公开!B4、C4、D4、B5、C5"
                                          f"等{len(spec.INPUT_FIELDS)}个），已按0计算（如确实为0，建议填0）"]
    assert len(blank[0].cells) == len(spec.INPUT_FIELDS)
    assert len([p for p in api.check_file(book, strict=True).problems if p.code == "value-blank"]) == len(spec.INPUT_FIELDS)


# --- amounts kept exactly ----------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["190.457379", "96171.6", "0.1", "7730.28", "0"])
def test_wanyuan_amount_reads_back_exactly(base, tmp_path, amount):
    # typed as a number by a clerk (a binary float in the file) and written by xlreport from a Decimal
    typed_book = set_cells(base, {("active", "fees"): float(amount), ("fees", "collected"): float(amount) / 1000}, tmp_path / "typed.xlsx")
    checked = api.check_file(typed_book)
    assert checked.report.values[("active", "fees")] == Decimal(amount)
    assert str(checked.report.values[("active", "fees")]) == amount
    from xlreport.xlsx.writer import write_workbook

    report = filled_report()
    report.values[("active", "fees")] = Decimal(amount)
    written = write_workbook(tmp_path / "written.xlsx", report)
    loaded = api.check_file(written)
    assert loaded.report.values[("active", "fees")] == Decimal(amount)
    assert loaded.problems == []
    exported = run("export", str(written))
    assert json.loads(exported.stdout, parse_float=Decimal)["active"]["fees"] == Decimal(amount)
    assert f'"fees": {amount}' in exported.stdout


def test_amounts_as_text_are_refused_and_kept_out(base, tmp_path):
    book = set_cells(base, {("active", "fees"): "190.457379 ", ("fees", "notice_amount"): "９６１７１.６"}, tmp_path / "e.xlsx")
    checked = api.check_file(book)
    assert checked.report.values[("active", "fees")] is None
    assert checked.report.values[("fees", "notice_amount")] is None
    assert sorted(p.actual for p in checked.problems if p.code == "value-type") == ["190.457379 ", "９６１７１.６"]


# --- far-away cells --------------------------------------------------------------------------


def test_stray_value_far_below_the_table(base, tmp_path):
    def change(wb):
        for name in (spec.SHEET_REQUESTS, spec.SHEET_ACTIVE, spec.SHEET_TEXT):
            wb[name]["Z200000"] = "草稿"
        wb[spec.SHEET_APPEALS]["Z200000"] = 12345

    book = edit(base, change, tmp_path / "远处.xlsx")
    checked = api.check_file(book)
    assert checked.problems == []
    assert model.equal(checked.report, R)
    result = run("check", str(book))
    assert result.exit_code == 0
    assert result.stdout.endswith("检查通过：没有发现问题。\n")


def test_row_two_million_in_our_workbook(base, tmp_path):
    """A sheet whose XML goes on to row 2,000,000 (more than Excel allows) is read by its known range."""
    entry = sheet_entries(base)[spec.SHEET_REQUESTS]

    def patch(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:Z2000000"/>', xml)
        return xml.replace(b"</sheetData>", b'<row r="2000000"><c r="Z2000000"><v>1</v></c></row></sheetData>')

    book = patch_zip(base, {entry: patch}, tmp_path / "e.xlsx")
    checked = api.check_file(book)
    assert checked.problems == []
    assert model.equal(checked.report, R)


@pytest.mark.parametrize("number, key", [(float("inf"), "too-big"), (float("nan"), "too-big"), (float("-inf"), "negative"),
                                         (1e12, "too-big"), (2.5, "decimal"), (-0.5, "negative")])
def test_the_policy_on_numbers_no_reader_would_type(number, key):
    """An .ods may hold infinity or NaN: refused as too big, never an OverflowError (found by the fuzzer)."""
    from xlreport.format import values

    assert values.reason(values.Cell(values.NUMBER, number), spec.Unit.COUNT)[0] == key


def test_the_guide_sheet_tells_the_policy_the_checker_applies(base):
    """填表说明 is written from the same checks the reader runs: every refusal is in it."""
    import openpyxl

    from xlreport.format import values

    guide = "\n".join(str(c.value) for c in openpyxl.load_workbook(base)[spec.SHEET_GUIDE]["A"] if c.value)
    for unit in spec.Unit:
        for check in values.checks(unit):
            assert check.refuses and check.refuses in guide, check.key
    assert "只有空格的单元格视为什么都没填" in guide


@pytest.mark.parametrize("number, summed", [(2.5, 2.5), (-5, -5), (Decimal("0.1"), Decimal("0.1")), (1e12, 0),
                                            (float("inf"), 0), (float("nan"), 0), (-1e300, 0)])
def test_what_a_number_adds_to_a_sum(number, summed):
    """As the sheet's IF(ISNUMBER(c),IF(ABS(c)<1E+12,c,0),0): found by the fuzzer, an ods holding
    1e300 or infinity made totals no JSON could carry."""
    from xlreport.format import values

    assert values.Cell(values.NUMBER, number).summed == summed


def test_a_decimal_is_judged_as_a_float_is():
    from xlreport.format import values

    assert values.reason(values.Cell(values.NUMBER, Decimal("0.5")), spec.Unit.COUNT)[0] == "decimal"


def test_an_impossible_total_is_written_as_null_and_read_back_recomputed():
    from xlreport.model import _writable

    total = spec.FIELD_BY_PATH[("requests", "new", "total")]
    assert _writable(total, Decimal("2.5")) is None and _writable(total, 7) == 7
    assert _writable(spec.FIELD_BY_PATH[LICENSING], Decimal("2.5")) == Decimal("2.5")  # inputs: as the report holds them
