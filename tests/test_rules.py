"""Every rule code of rules.RULES is tripped by one test and left alone by a near miss.

A rule added to the spec without a case here fails test_every_rule_has_a_case. The
reader-level codes (value-*, total-cached-mismatch, structure-*) are tripped through real
workbooks edited the way a clerk would (openpyxl), the others through workbooks or JSON
reports. After the parametrised cases come the detailed reader tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Callable

import openpyxl
import pytest
from click.testing import CliRunner

from factories import (
    edit, filled_report, foreign_workbook, patch_zip, published_html, set_cells, sheet_entries, write,
)
from xlreport import api, model
from xlreport.format import spec
from xlreport.format import rules
from xlreport.cli import cli
from xlreport.errors import InputError
from xlreport.model import Item, Report
from xlreport.xlsx.reader import StructureError

ERROR, WARNING = spec.Severity.ERROR, spec.Severity.WARNING
META = spec.META_BY_KEY


def cell(path: tuple) -> str:
    return spec.FIELD_BY_PATH[path].cell


def field_place(path: tuple) -> tuple[str, str]:
    f = spec.FIELD_BY_PATH[path]
    return f.sheet, f.cell


def label(sheet: str, text: str) -> spec.Label:
    (found,) = [l for l in spec.LABELS if l.sheet == sheet and l.text == text]
    return found


def check(path: Path, strict: bool = False) -> list:
    return api.check_file(path, strict=strict).problems


def structure_problems(path: Path) -> list:
    """The problems of a workbook, whether it could be read or not."""
    try:
        return check(path)
    except StructureError as e:
        return e.problems


def json_report(report: Report, changes: dict) -> list:
    values = dict(report.values)
    values.update(changes)
    return api.check_report(model.from_json(model.to_json(Report(dict(report.meta), values, report.text))))


def with_values(report: Report, changes: dict) -> Report:
    values = dict(report.values)
    values.update(changes)
    return Report(dict(report.meta), values, report.text).with_totals()


def unprotected(sheet_name: str, change: Callable) -> Callable:
    def run(wb):
        ws = wb[sheet_name]
        ws.protection.sheet = False  # the clerk unprotects the sheet first
        change(ws)

    return run


# --- cases: (how to trip the rule, a near miss that must not) ----------------------------------


@dataclass
class Case:
    trip: Callable[[Path], list]  # returns the problems found
    where: tuple[str, str]  # (sheet, cell) the problem is reported at; cell "" when it has none
    severity: spec.Severity
    clean: Callable[[Path], list]


R = filled_report()
COL = "business"
FORWARD = ("requests", "carried_forward", COL)
NEW = ("requests", "new", COL)
CELL_P = ("requests", "granted", "natural_person")


def base(tmp: Path) -> Path:
    return write(tmp / "base.xlsx", R)


def typed(value, path=CELL_P, strict=False):
    return lambda tmp: check(set_cells(base(tmp), {path: value}, tmp / "edited.xlsx"), strict=strict)


def cached_total(tmp: Path, value: str) -> Path:
    """The cached result of the 一、本年新收 总计 formula replaced by ``value`` in the sheet XML."""
    book = base(tmp)
    entry = sheet_entries(book)[spec.SHEET_REQUESTS]
    ref = cell(("requests", "new", "total"))

    def patch(xml: bytes) -> bytes:
        new, n = re.subn(rb'(<c r="' + ref.encode() + rb'"[^>]*><f>[^<]*</f><v>)[^<]*(</v>)', rb"\g<1>" + value.encode() + rb"\g<2>", xml)
        assert n == 1
        return new

    return patch_zip(book, {entry: patch}, tmp / "cached.xlsx")


def renamed(tmp: Path) -> Path:
    return edit(base(tmp), lambda wb: setattr(wb[spec.SHEET_REQUESTS], "title", "表三"), tmp / "renamed.xlsx")


def inserted_row(tmp: Path) -> Path:
    granted = spec.FIELD_BY_PATH[CELL_P].row + 1  # 1-based row of （一）予以公开
    return edit(base(tmp), unprotected(spec.SHEET_REQUESTS, lambda ws: ws.insert_rows(granted + 1)), tmp / "inserted.xlsx")


STATE_SECRET = ("requests", "withheld_state_secret", "natural_person")


def deleted_row(tmp: Path) -> Path:
    row = spec.FIELD_BY_PATH[STATE_SECRET].row + 1
    return edit(base(tmp), unprotected(spec.SHEET_REQUESTS, lambda ws: ws.delete_rows(row)), tmp / "deleted.xlsx")


def published(tmp: Path, relabel: dict) -> Path:
    """The report as a published web page (read by the importer), some row labels printed otherwise."""
    page = tmp / "年报.html"
    page.write_text(published_html(R, relabel), encoding="utf-8")
    return page


PASTED = label(spec.SHEET_REQUESTS, "2.重复申请")
PARTLY = label(spec.SHEET_REQUESTS, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）")  # the row below the inserted one

def with_prose(report: Report, *paragraphs: str) -> Report:
    """The report with these paragraphs as the text of 一、总体情况's first subsection."""
    text = replace(report.text, overview=model.Section(list(report.text.overview.intro), [Item("主动公开", list(paragraphs))]))
    return Report(dict(report.meta), dict(report.values), text)


def last_year(report: Report, changes: dict | None = None) -> Report:
    """Last year's report as the year before ``report`` would have it (so nothing is off)."""
    last = Report(dict(report.meta), {f.path: None for f in spec.FIELDS}, model.Text())
    last.meta["year"] = report.year - 1
    for col in spec.REQUEST_INPUT_COLUMNS:
        last.values[("requests", "carried_forward", col)] = report.values[("requests", "carried_over", col)]
    for key in ("rules", "normative_documents"):
        last.values[("active", key, "in_force")] = (report.value(("active", key, "in_force")) - report.value(("active", key, "issued"))
                                                    + report.value(("active", key, "repealed")))
    for path, v in (changes or {}).items():
        last.values[path] = v
    return last.with_totals()


def merged(ref: str, blank=()):
    """A case: the base workbook (``blank`` fields left empty) with one more merged range on 表三."""
    def make(tmp: Path):
        book = write(tmp / "merged.xlsx", with_values(R, {path: None for path in blank})) if blank else base(tmp)
        entry = sheet_entries(book)[spec.SHEET_REQUESTS]
        return check(patch_zip(book, {entry: lambda d: re.sub(rb'<mergeCells count="[0-9]+">', lambda m: m.group(0) + f'<mergeCell ref="{ref}"/>'.encode(), d)}))
    return make


NEW_TOTAL = R.value(("requests", "new", "total"))
PROSE_CELL = (spec.SHEET_TEXT, next(t.text_cell for t in spec.TEXT_SLOTS if t.section == "overview" and t.kind == "item"))
COPIED = "本机关认真贯彻落实政府信息公开条例，持续深化政务公开，优化政务服务，强化交流互动，不断完善信息公开工作机制和公开平台建设。"
FRESH = "本年度重点推进基层政务公开标准化规范化建设，新建公开专区三个，组织业务培训一百余人次，群众满意度调查结果明显提升。"

CASES: dict[str, Case] = {
    "requests-balance": Case(
        lambda tmp: check(set_cells(base(tmp), {FORWARD: R.values[FORWARD] + 1}, tmp / "e.xlsx")),
        field_place(("requests", "closed_total", COL)), ERROR,
        lambda tmp: check(set_cells(base(tmp), {FORWARD: R.values[FORWARD] + 1, NEW: R.values[NEW] + 1}, tmp / "e.xlsx")),
    ),
    "requests-row-total": Case(
        lambda tmp: json_report(R, {("requests", "granted", "total"): R.values[("requests", "granted", "total")] + 1}),
        field_place(("requests", "granted", "total")), ERROR,
        lambda tmp: json_report(R, {("requests", "granted", "total"): None}),
    ),
    "requests-closed-total": Case(
        lambda tmp: json_report(R, {
            ("requests", "closed_total", COL): R.values[("requests", "closed_total", COL)] + 1,
            FORWARD: R.values[FORWARD] - 1,
            ("requests", "closed_total", "total"): R.values[("requests", "closed_total", "total")] + 1,
            ("requests", "carried_forward", "total"): R.values[("requests", "carried_forward", "total")] - 1,
        }),
        field_place(("requests", "closed_total", COL)), ERROR,
        lambda tmp: json_report(R, {f.path: None for f in spec.TOTAL_FIELDS}),
    ),
    "appeals-total": Case(
        lambda tmp: json_report(R, {("appeals", "review", "total"): R.values[("appeals", "review", "total")] + 1}),
        field_place(("appeals", "review", "total")), ERROR,
        lambda tmp: json_report(R, {("appeals", "review", "total"): sum(R.values[("appeals", "review", k)] for k in ("upheld", "corrected", "other", "pending"))}),
    ),
    "value-type": Case(typed("12件"), field_place(CELL_P), ERROR, typed(12)),
    "meta-required": Case(
        lambda tmp: check(set_cells(base(tmp), {(spec.SHEET_META, META["agency"].cell): None}, tmp / "e.xlsx")),
        (spec.SHEET_META, META["agency"].cell), ERROR,
        lambda tmp: check(set_cells(base(tmp), {(spec.SHEET_META, META["office"].cell): None}, tmp / "e.xlsx")),
    ),
    "meta-year": Case(
        lambda tmp: check(set_cells(base(tmp), {(spec.SHEET_META, META["year"].cell): 2019}, tmp / "e.xlsx")),
        (spec.SHEET_META, META["year"].cell), ERROR,
        lambda tmp: check(set_cells(base(tmp), {(spec.SHEET_META, META["year"].cell): spec.YEAR_MIN}, tmp / "e.xlsx")),
    ),
    "fees-unpaid-without-notice": Case(
        lambda tmp: check(set_cells(base(tmp), {("fees", "notices"): 0, ("fees", "notice_amount"): 0, ("fees", "collected"): 0}, tmp / "e.xlsx")),
        field_place(("fees", "notices")), WARNING,
        lambda tmp: check(set_cells(base(tmp), {("fees", "notices"): 1}, tmp / "e.xlsx")),
    ),
    "fees-collected-exceeds-notices": Case(
        lambda tmp: check(set_cells(base(tmp), {("fees", "collected"): 300.51}, tmp / "e.xlsx")),
        field_place(("fees", "collected")), WARNING,
        lambda tmp: check(set_cells(base(tmp), {("fees", "collected"): 300.5}, tmp / "e.xlsx")),
    ),
    "fees-amount-without-notice": Case(
        lambda tmp: api.check_report(with_values(R, {("fees", "notices"): 0, ("fees", "collected"): Decimal(0),
                                                     ("requests", "other_fee_unpaid", COL): 0,
                                                     FORWARD: R.values[FORWARD] + R.values[("requests", "other_fee_unpaid", COL)]}
                                                 | {("requests", "other_fee_unpaid", c): 0 for c in spec.REQUEST_INPUT_COLUMNS if c != COL}
                                                 | {("requests", "carried_forward", c): R.values[("requests", "carried_forward", c)] + R.values[("requests", "other_fee_unpaid", c)]
                                                    for c in spec.REQUEST_INPUT_COLUMNS if c != COL})),
        field_place(("fees", "notice_amount")), WARNING,
        lambda tmp: api.check_report(with_values(R, {("fees", "notice_amount"): Decimal(1)})),
    ),
    # 测试县商务局 is a department: above 500000 万元 the amount was most likely typed in 元
    "fees-wanyuan-suspect": Case(
        lambda tmp: check(set_cells(base(tmp), {("active", "fees"): 500000.5}, tmp / "e.xlsx")),
        field_place(("active", "fees")), WARNING,
        lambda tmp: check(set_cells(base(tmp), {("active", "fees"): 500000}, tmp / "e.xlsx")),
    ),
    "value-formula": Case(typed("=1+1"), field_place(CELL_P), ERROR, typed(2)),
    # CELL_P (D7) under C7:D7; the near miss: the same merge over a D7 left empty
    "value-merged": Case(merged("C7:D7"), field_place(CELL_P), ERROR, merged("C7:D7", blank=[CELL_P])),
    "value-blank": Case(typed(None), ("", ""), WARNING, typed(0)),
    "total-cached-mismatch": Case(
        lambda tmp: check(cached_total(tmp, "999")),
        field_place(("requests", "new", "total")), WARNING,
        lambda tmp: check(cached_total(tmp, str(R.values[("requests", "new", "total")]))),
    ),
    "structure-sheet": Case(
        lambda tmp: check(renamed(tmp)), ("表三", ""), WARNING,
        lambda tmp: check(edit(base(tmp), lambda wb: setattr(wb[spec.SHEET_GUIDE], "title", "说明"), tmp / "e.xlsx")),
    ),
    "structure-label": Case(
        lambda tmp: check(set_cells(base(tmp), {(spec.SHEET_REQUESTS, PASTED.cell): "2.重复的申请"}, tmp / "e.xlsx")),
        (spec.SHEET_REQUESTS, PASTED.cell), ERROR,
        # the same label typed with straight quotes, half-width brackets and a 、 is the same label
        lambda tmp: check(set_cells(base(tmp), {
            (spec.SHEET_REQUESTS, label(spec.SHEET_REQUESTS, "3.危及“三安全一稳定”").cell): '3、危及"三安全一稳定"',
            (spec.SHEET_REQUESTS, label(spec.SHEET_REQUESTS, "（一）予以公开").cell): "(一)予以公开",
        }, tmp / "e.xlsx")),
    ),
    "structure-moved": Case(
        lambda tmp: check(inserted_row(tmp)),
        (spec.SHEET_REQUESTS, spec.a1(PARTLY.row + 1, PARTLY.col)), WARNING,
        # inserting a column-free row below the last table row moves nothing
        lambda tmp: check(edit(base(tmp), unprotected(spec.SHEET_REQUESTS, lambda ws: ws.insert_rows(spec.TABLE_BY_KEY["requests"].height + 3)), tmp / "e.xlsx")),
    ),
    "import-uncertain": Case(
        lambda tmp: check(published(tmp, {"4.保护第三方合法权益": "4.保护第三方合法权益事项"})),
        (spec.SECTION_TITLES["requests"], ""), WARNING,
        lambda tmp: check(published(tmp, {})),
    ),
    "previous-year": Case(
        lambda tmp: api.check_report(R, previous=replace(last_year(R), meta={**R.meta, "year": R.year - 2})),
        (spec.SHEET_META, META["year"].cell), WARNING,
        lambda tmp: api.check_report(R, previous=last_year(R)),
    ),
    "previous-carry-over": Case(
        lambda tmp: api.check_report(R, previous=last_year(R, {("requests", "carried_forward", COL): R.values[("requests", "carried_over", COL)] + 1})),
        field_place(("requests", "carried_over", COL)), WARNING,
        lambda tmp: api.check_report(R, previous=last_year(R)),
    ),
    "previous-in-force": Case(
        lambda tmp: api.check_report(R, previous=last_year(R, {("active", "rules", "in_force"): R.value(("active", "rules", "in_force")) + 5})),
        field_place(("active", "rules", "in_force")), WARNING,
        lambda tmp: api.check_report(R, previous=last_year(R)),
    ),
    "prose-table-mismatch": Case(
        lambda tmp: api.check_report(with_prose(R, f"本年度共收到政府信息公开申请{NEW_TOTAL + 1}件。")),
        PROSE_CELL, WARNING,
        lambda tmp: api.check_report(with_prose(R, f"本年度共收到政府信息公开申请{NEW_TOTAL}件。")),
    ),
    "prose-arithmetic": Case(
        lambda tmp: api.check_report(with_prose(R, "共办理各类事项20件，其中予以公开12件、部分公开9件。")),
        PROSE_CELL, WARNING,
        lambda tmp: api.check_report(with_prose(R, "共办理各类事项21件，其中予以公开12件、部分公开9件。")),
    ),
    "prose-year": Case(
        lambda tmp: api.check_report(with_prose(R, f"本报告的统计期限自{R.year - 1}年1月1日至{R.year - 1}年12月31日。")),
        PROSE_CELL, WARNING,
        lambda tmp: api.check_report(with_prose(R, f"本报告的统计期限自{R.year}年1月1日至{R.year}年12月31日。{R.year + 1}年，将继续推进。")),
    ),
    "text-placeholder": Case(
        lambda tmp: api.check_report(with_prose(R, "XX局认真执行条例。")),
        PROSE_CELL, WARNING,
        lambda tmp: api.check_report(with_prose(R, "本局认真执行条例。")),
    ),
    "text-empty-section": Case(
        lambda tmp: api.check_report(Report(dict(R.meta), dict(R.values), replace(R.text, problems=model.Section()))),
        (spec.SHEET_TEXT, ""), WARNING,
        lambda tmp: api.check_report(R),
    ),
    "text-copied": Case(
        lambda tmp: api.check_report(with_prose(R, COPIED), previous=replace(last_year(R), text=with_prose(R, COPIED).text)),
        (spec.SHEET_TEXT, ""), WARNING,
        lambda tmp: api.check_report(with_prose(R, FRESH), previous=replace(last_year(R), text=with_prose(R, COPIED).text)),
    ),
    "structure-foreign": Case(
        lambda tmp: check(foreign_workbook(tmp / "foreign.xlsx", R)), ("", ""), WARNING,
        lambda tmp: check(edit(base(tmp), lambda wb: None, tmp / "resaved.xlsx")),
    ),
}


def test_every_rule_has_a_case():
    assert set(CASES) == {r.code for r in rules.RULES}


@pytest.mark.parametrize("rule", rules.RULES, ids=lambda r: r.code)
def test_rule_trips(rule, tmp_path):
    case = CASES.get(rule.code)
    assert case is not None, f"no test trips {rule.code}"
    problems = case.trip(tmp_path)
    mine = [p for p in problems if p.code == rule.code]
    assert mine, [p.line() for p in problems]
    sheet, where = case.where
    assert any((p.sheet, p.cell) == (sheet, where) for p in mine), [(p.sheet, p.cell, p.message) for p in mine]
    assert {p.severity for p in mine} == {case.severity}
    for p in mine:
        assert p.message and p.to_dict()["title"] == rule.title


@pytest.mark.parametrize("rule", rules.RULES, ids=lambda r: r.code)
def test_rule_near_miss_is_clean(rule, tmp_path):
    case = CASES.get(rule.code)
    assert case is not None, f"no test for {rule.code}"
    problems = case.clean(tmp_path)
    assert [p.line() for p in problems if p.code == rule.code] == []


@pytest.mark.parametrize("rule", rules.RULES, ids=lambda r: r.code)
def test_rule_messages_fill_their_template(rule):
    # every rule message is a template whose placeholders are named (no positional {})
    assert "{}" not in rule.message
    assert rule.title and rule.what and rule.source in ("格式", "条例", "推断", "填报")


def test_clean_report_has_no_problem(tmp_path):
    assert check(base(tmp_path)) == []
    assert api.check_report(R) == []


# --- reader level: values ----------------------------------------------------------------


@pytest.mark.parametrize("typed_text", ["１２", "12", " 12 ", "12件"])
def test_digits_typed_as_text_are_refused_not_normalised(tmp_path, typed_text):
    """The sheet's formulas read such a cell as text; so does the checker (format/values.py)."""
    book = set_cells(base(tmp_path), {CELL_P: typed_text}, tmp_path / "e.xlsx")
    checked = api.check_file(book)
    assert checked.report.values[CELL_P] is None
    (p,) = [p for p in checked.problems if p.code == "value-type"]
    assert (p.severity, p.sheet, p.cell, p.expected, p.actual) == (ERROR, spec.SHEET_REQUESTS, cell(CELL_P), "0或正整数", typed_text)
    assert p.message == f"“{typed_text}”是文字，不是数字；请直接填写数字"


def test_value_formula_is_not_evaluated(tmp_path):
    book = set_cells(base(tmp_path), {CELL_P: "=SUM(1,2)"}, tmp_path / "e.xlsx")
    checked = api.check_file(book)
    formula = [p for p in checked.problems if p.code == "value-formula"]
    assert [(p.cell, p.actual, p.message) for p in formula] == [(cell(CELL_P), "=SUM(1,2)", "填写单元格中是公式“=SUM(1,2)”，应直接填写数字")]
    assert checked.report.values[CELL_P] is None


def test_value_blank_warning_and_strict(tmp_path):
    paths = (CELL_P, ("appeals", "review", "upheld"), ("fees", "notices"))
    book = set_cells(base(tmp_path), {p: None for p in paths}, tmp_path / "e.xlsx")
    loose = check(book)
    blank = [p for p in loose if p.code == "value-blank"]
    assert [(p.severity, p.message, p.cell) for p in blank] == [(WARNING, f"3个数字单元格为空（基本信息!B13；三、依申请公开!{cell(CELL_P)}；四、复议诉讼!A5），已按0计算（如确实为0，建议填0）", "")]
    strict = [p for p in check(book, strict=True) if p.code == "value-blank"]
    assert sorted((p.severity, p.sheet, p.cell, p.message) for p in strict) == sorted(
        (ERROR, spec.FIELD_BY_PATH[path].sheet, cell(path), "未填写（--strict 要求每个数字单元格都填写，没有就填0）") for path in paths
    )


def test_strict_exit_code(tmp_path):
    book = set_cells(base(tmp_path), {("active", "licensing"): None}, tmp_path / "e.xlsx")
    runner = CliRunner()
    assert runner.invoke(cli, ["check", str(book)]).exit_code == 0
    assert runner.invoke(cli, ["check", "--strict", str(book)]).exit_code == 1


# --- reader level: cached totals -------------------------------------------------------------


def test_cached_total_mismatch_warns_and_recomputes(tmp_path):
    checked = api.check_file(cached_total(tmp_path, "999"))
    total = ("requests", "new", "total")
    assert checked.report.values[total] == R.values[total]
    (p,) = checked.problems
    assert (p.code, p.severity, p.sheet, p.cell, p.expected, p.actual) == (
        "total-cached-mismatch", WARNING, spec.SHEET_REQUESTS, cell(total), str(R.values[total]), "999")
    assert p.message == f"文件中保存的计算结果为999，按填写的数字重新计算应为{R.values[total]}；文件可能被异常编辑过"


def test_no_cached_values_after_openpyxl_save_is_fine(tmp_path):
    resaved = edit(base(tmp_path), lambda wb: None, tmp_path / "resaved.xlsx")
    checked = api.check_file(resaved)
    assert checked.problems == []
    assert model.equal(checked.report, R)


def test_blank_template_cached_zeros_are_not_a_mismatch(tmp_path):
    """xlsxwriter caches 0 in every total of a blank template; typing numbers must not warn."""
    from xlreport.xlsx.writer import write_workbook

    book = write_workbook(tmp_path / "blank.xlsx")
    edited = set_cells(book, {(spec.SHEET_META, META["agency"].cell): "某局", (spec.SHEET_META, META["year"].cell): 2024, ("requests", "new", "natural_person"): 3,
                              ("requests", "carried_forward", "natural_person"): 3}, tmp_path / "e.xlsx")
    codes = {p.code for p in check(edited)}
    assert "total-cached-mismatch" not in codes
    assert codes == {"value-blank"}


# --- reader level: structure -----------------------------------------------------------------


def test_renamed_sheet_is_read_with_a_warning(tmp_path):
    checked = api.check_file(renamed(tmp_path))
    assert model.equal(checked.report, R)
    (p,) = checked.problems
    assert (p.code, p.severity, p.sheet, p.expected, p.actual) == ("structure-sheet", WARNING, "表三", spec.SHEET_REQUESTS, "表三")
    assert p.message == f"工作表“{spec.SHEET_REQUESTS}”被改名为“表三”，已按内容找到并读取；建议改回原名"


def test_deleted_sheet_cannot_be_read(tmp_path):
    book = edit(base(tmp_path), lambda wb: wb.remove(wb[spec.SHEET_APPEALS]), tmp_path / "e.xlsx")
    with pytest.raises(StructureError) as raised:
        api.check_file(book)
    assert raised.value.message == f"{book}：缺少工作表“{spec.SHEET_APPEALS}”（被删除或改名后无法按内容找到），无法读取"
    assert [(p.code, p.severity, p.sheet) for p in raised.value.problems] == [("structure-sheet", ERROR, spec.SHEET_APPEALS)]
    result = CliRunner().invoke(cli, ["check", str(book)])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == f"错误：{raised.value.message}（请改回原名，或用 xlreport new 生成新模板重新填写）"
    assert "Traceback" not in result.stderr


def test_pasted_over_label_is_an_error_at_that_cell(tmp_path):
    book = set_cells(base(tmp_path), {(spec.SHEET_REQUESTS, PASTED.cell): "2.重复的申请"}, tmp_path / "e.xlsx")
    checked = api.check_file(book)
    assert model.equal(checked.report, R)  # one wrong label: the numbers are still where they were
    (p,) = checked.problems
    assert (p.code, p.severity, p.sheet, p.cell, p.expected, p.actual) == (
        "structure-label", ERROR, spec.SHEET_REQUESTS, PASTED.cell, "2.重复申请", "2.重复的申请")
    assert p.message == "标签应为“2.重复申请”，实际为“2.重复的申请”"


def test_many_labels_changed_refuses_the_sheet(tmp_path):
    labels = [l for l in spec.TABLE_BY_KEY["appeals"].labels if l.kind != "title"]
    book = set_cells(base(tmp_path), {(spec.SHEET_APPEALS, l.cell): f"列{i}" for i, l in enumerate(labels)}, tmp_path / "e.xlsx")
    with pytest.raises(StructureError) as raised:
        api.check_file(book)
    assert f"工作表“{spec.SHEET_APPEALS}”的表格结构与{spec.FORMAT_NAME}格式对不上" in raised.value.message
    assert {p.code for p in raised.value.problems} == {"structure-label"}


def test_inserted_row_is_read_by_label(tmp_path):
    book = inserted_row(tmp_path)
    checked = api.check_file(book)
    assert model.equal(checked.report, R)
    (p,) = checked.problems
    row = spec.FIELD_BY_PATH[("requests", "partly_granted", "total")].row + 1
    text = "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
    assert (p.code, p.severity, p.sheet, p.expected, p.actual) == ("structure-moved", WARNING, spec.SHEET_REQUESTS, f"第{row}行", f"第{row + 1}行")
    assert p.cell == spec.a1(PARTLY.row + 1, PARTLY.col)
    assert p.message == f"“{text}”应在第{row}行，实际在第{row + 1}行（插入或删除了行）；已按标签读取，建议改回模板原样"


def test_inserted_row_with_a_stray_number_is_not_read(tmp_path):
    granted = spec.FIELD_BY_PATH[CELL_P].row + 1

    def change(ws):
        ws.insert_rows(granted + 1)
        ws.cell(granted + 1, spec.FIELD_BY_PATH[CELL_P].col + 1, 777)  # a note typed in the new row

    checked = api.check_file(edit(base(tmp_path), unprotected(spec.SHEET_REQUESTS, change), tmp_path / "e.xlsx"))
    assert model.equal(checked.report, R)
    assert [p.code for p in checked.problems] == ["structure-moved"]


def test_deleted_row_is_an_error_and_the_other_rows_still_read(tmp_path):
    book = deleted_row(tmp_path)
    checked = api.check_file(book)
    missing = {("requests", "withheld_state_secret", c) for c in spec.REQUEST_INPUT_COLUMNS}
    for f in spec.INPUT_FIELDS:
        if f.path in missing:
            assert checked.report.values[f.path] is None
        else:
            assert checked.report.values[f.path] == R.values[f.path], f.key
    assert model.to_dict(checked.report)["meta"] == model.to_dict(R)["meta"]
    moved = [p for p in checked.problems if p.code == "structure-moved"]
    errors = [p for p in moved if p.is_error]
    (e,) = errors
    assert e.sheet == spec.SHEET_REQUESTS
    assert e.expected == "1.属于国家秘密"
    assert e.actual == "（缺少这一行）"
    assert e.message == "找不到“1.属于国家秘密”这一行（可能被删除了），这一行的数字无法读取；请用 xlreport new 生成新模板或恢复这一行"
    # the deleted numbers show up as broken balances, nothing else is wrong
    assert {p.code for p in checked.problems} <= {"structure-moved", "requests-balance"}
    result = CliRunner().invoke(cli, ["check", str(book)])
    assert result.exit_code == 1


def test_foreign_workbook_is_read_by_label(tmp_path):
    report = with_values(R, {("fees", k): None for k in ("notices", "notice_amount", "collected")})
    book = foreign_workbook(tmp_path / "外来表格.xlsx", report)
    checked = api.check_file(book)
    got = model.to_dict(checked.report)
    want = model.to_dict(report)
    for part in ("active", "requests", "appeals"):
        assert got[part] == want[part], part
    assert (checked.report.agency, checked.report.year) == (R.agency, R.year)
    codes = [(p.code, p.severity) for p in checked.problems]
    assert ("structure-foreign", WARNING) in codes
    assert [p.message for p in checked.problems if p.code == "structure-foreign"] == [
        "外来表格.xlsx 不是 xlreport 生成的工作簿，已按表格标签读取数字；建议用 xlreport new 生成的模板填写"
    ]
    # the fee figures are not in the tables: blank (so （六）2. has no notice to go with it), and that is all
    assert sorted(codes) == [("fees-unpaid-without-notice", WARNING), ("structure-foreign", WARNING), ("value-blank", WARNING)]
    assert [p.message for p in checked.problems if p.code == "value-blank"] == [
        "3个数字单元格为空（发出收费通知件数、收费通知总金额（元）、实际收取总金额（元）），已按0计算（如确实为0，建议填0）"]
    assert checked.errors == 0


def test_foreign_workbook_given_totals_are_checked(tmp_path):
    report = with_values(R, {})
    report.values[("appeals", "review", "total")] += 1
    book = foreign_workbook(tmp_path / "外来表格.xlsx", report)
    problems = check(book)
    assert ("appeals-total", spec.SHEET_APPEALS, cell(("appeals", "review", "total"))) in {(p.code, p.sheet, p.cell) for p in problems}


def test_foreign_workbook_without_the_tables_is_refused(tmp_path):
    book = tmp_path / "其他.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "本月考勤"
    wb.active["B2"] = 3
    wb.save(book)
    with pytest.raises(InputError) as raised:
        api.check_file(book)
    assert raised.value.message == f"{book}：不是政府信息公开工作年度报告工作簿（找不到{spec.FORMAT_NAME}格式的三张表格）"


def test_our_workbook_without_its_stamp_is_foreign(tmp_path):
    book = edit(base(tmp_path), lambda wb: wb.remove(wb[spec.SHEET_STAMP]), tmp_path / "e.xlsx")
    checked = api.check_file(book)
    assert model.equal(checked.report, R)
    assert [(p.code, p.severity, p.message) for p in checked.problems] == [
        ("structure-foreign", WARNING, "不是 xlreport 生成的工作簿（缺少模板标识），已按表格标签读取；建议用 xlreport new 生成的模板填写")
    ]


@pytest.mark.parametrize("instance", rules.INSTANCES, ids=lambda i: f"{i.rule}:{i.label}")
def test_compiled_relation_agrees_with_holds(instance):
    """The batch's compiled relations decide as relation.holds does, both ways, for ints,
    decimals and floats (a sum of floats rounds in the same order)."""
    import random

    from xlreport.format.relations import compiled

    rng = random.Random(instance.rule + instance.label)
    fast = compiled(instance.relation)
    paths = instance.relation.paths
    outcomes = set()
    for trial in range(300):
        kind = trial % 3
        pick = (lambda: rng.randint(0, 2)) if kind == 0 else (lambda: Decimal(rng.randint(0, 20)) / 10) if kind == 1 else (lambda: rng.choice((0.1, 0.2, 0.3, 1.0)))
        numbers = {p: pick() for p in paths} if trial > 1 else {p: trial for p in paths}  # all 0, all 1, random
        expected = instance.relation.holds(numbers.__getitem__)
        assert fast(numbers) == expected, numbers
        outcomes.add(bool(expected))
    assert outcomes == {True, False}  # both branches were tried
