"""Property tests: report → workbook → report is the identity, and one broken rule is found once, in place.

Random valid reports (factories.valid_reports) are written with write_workbook (what
`xlreport new --data` does) and read back with api.load / api.check_file. Reading a workbook
recomputes every total, so the total rules (requests-row-total, requests-closed-total,
appeals-total) can only break in a JSON report that gives its totals: those are checked
with model.from_json and api.check_report.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from factories import INPUT_COLUMNS, RESULT_ROWS, APPEAL_PARTS, filled_report, valid_reports
from xlreport.problems import cell_list
from xlreport import api, model
from xlreport.format import spec
from xlreport.cli import cli
from xlreport.model import Report
from xlreport.xlsx.writer import write_workbook

# No shrinking: a report is a few hundred draws and each example writes a workbook, so shrinking a
# failure would take minutes; the failing example is printed as drawn.
SETTINGS = settings(max_examples=25, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
REQUEST_COLS = tuple(k for k, _ in spec.REQUEST_COLUMNS)


def roundtrip(report: Report, strict: bool = False) -> api.Checked:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "报告.xlsx"
        write_workbook(path, report)
        return api.check_file(path, strict=strict)


def cell(path: tuple) -> str:
    return spec.FIELD_BY_PATH[path].cell


def places(problems) -> set[tuple[str, str, str]]:
    return {(p.code, p.sheet, p.cell) for p in problems}


def balanced(report: Report) -> Report:
    """四、结转下年度 = 一 + 二 − （七） per column, raising 一 where that would go negative; totals recomputed."""
    values = dict(report.values)
    for col in INPUT_COLUMNS:
        closed = sum(values[("requests", row, col)] or 0 for row in RESULT_ROWS)
        new = values[("requests", "new", col)] or 0
        carried_over = values[("requests", "carried_over", col)] or 0
        forward = new + carried_over - closed
        if forward < 0:
            values[("requests", "new", col)] = new - forward
            forward = 0
        values[("requests", "carried_forward", col)] = forward
    return Report(dict(report.meta), values, report.text).with_totals()


# --- the identity ---------------------------------------------------------------------------


@SETTINGS
@given(valid_reports())
def test_workbook_roundtrip_is_identity_and_clean(report):
    checked = roundtrip(report)
    assert model.to_dict(checked.report) == model.to_dict(report)
    assert checked.problems == []
    assert checked.kind == "xlsx"


@SETTINGS
@given(valid_reports(blanks=True))
def test_blank_inputs_read_back_blank_with_one_warning(report):
    blanks = sum(1 for f in spec.INPUT_FIELDS if report.values[f.path] is None)
    checked = roundtrip(report)
    assert model.to_dict(checked.report) == model.to_dict(report)
    assert checked.errors == 0
    if blanks:
        (p,) = checked.problems
        assert set(p.cells) == {f"{f.sheet}!{f.cell}" for f in spec.INPUT_FIELDS if report.values[f.path] is None}
        named = cell_list([tuple(c.split("!")) for c in p.cells])
        assert (p.code, p.message) == ("value-blank", f"{blanks}个数字单元格为空（{named}），已按0计算（如确实为0，建议填0）")
    else:
        assert checked.problems == []


@SETTINGS
@given(valid_reports(blanks=True))
def test_strict_reports_each_blank_cell(report):
    blank_fields = [f for f in spec.INPUT_FIELDS if report.values[f.path] is None]
    checked = roundtrip(report, strict=True)
    assert model.to_dict(checked.report) == model.to_dict(report)
    assert sorted((p.code, p.severity, p.sheet, p.cell) for p in checked.problems) == sorted(
        ("value-blank", spec.Severity.ERROR, f.sheet, f.cell) for f in blank_fields
    )


@SETTINGS
@given(valid_reports(blanks=True))
def test_json_roundtrip_is_identity(report):
    again = model.from_json(model.to_json(report))
    assert model.to_dict(again) == model.to_dict(report)
    assert api.check_report(again) == []


@SETTINGS
@given(valid_reports())
def test_load_gives_the_same_report_as_check(report):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "报告.xlsx"
        write_workbook(path, report)
        loaded = api.load(path)
    assert loaded.problems == []
    assert loaded.blank_count == 0
    assert model.equal(loaded.report, report)


def test_new_data_then_check_roundtrip(tmp_path):
    """The same identity through the CLI: new --data, then export."""
    report = filled_report()
    data = tmp_path / "in.json"
    data.write_text(model.to_json(report), encoding="utf-8")
    runner = CliRunner()
    book = tmp_path / "填报.xlsx"
    made = runner.invoke(cli, ["new", "--data", str(data), "-o", str(book)])
    assert made.exit_code == 0, made.output + made.stderr
    assert made.stdout == f"已生成：{book}\n"
    exported = runner.invoke(cli, ["export", str(book)])
    assert exported.exit_code == 0, exported.stderr
    assert exported.stderr == ""
    assert exported.stdout == model.to_json(report)


# --- one rule broken through a workbook -------------------------------------------------------


@SETTINGS
@given(valid_reports(), st.sampled_from(INPUT_COLUMNS), st.sampled_from(("new", "carried_over", "carried_forward") + RESULT_ROWS), st.sampled_from((1, -1)))
def test_one_changed_input_breaks_the_balance_of_its_column(report, col, row, delta):
    path = ("requests", row, col)
    if report.values[path] + delta < 0:
        delta = 1
    values = dict(report.values)
    values[path] += delta
    broken = Report(dict(report.meta), values, report.text).with_totals()
    checked = roundtrip(broken)
    assert model.to_dict(checked.report) == model.to_dict(broken)
    # the total column moves with the column changed: both balances break, nothing else does
    assert places(checked.problems) == {
        ("requests-balance", spec.SHEET_REQUESTS, cell(("requests", "closed_total", col))),
        ("requests-balance", spec.SHEET_REQUESTS, cell(("requests", "closed_total", "total"))),
    }
    assert all(p.is_error for p in checked.problems)
    lhs = broken.value(("requests", "new", col)) + broken.value(("requests", "carried_over", col))
    rhs = broken.value(("requests", "closed_total", col)) + broken.value(("requests", "carried_forward", col))
    problem = next(p for p in checked.problems if p.cell == cell(("requests", "closed_total", col)))
    assert (problem.expected, problem.actual) == (f"一+二={lhs}", f"（七）+四={rhs}")
    assert problem.key == f"requests.closed_total.{col}"


@SETTINGS
@given(valid_reports(), st.sampled_from(INPUT_COLUMNS), st.integers(1, 50))
def test_unpaid_fees_without_notice(report, col, unpaid):
    values = dict(report.values)
    values[("requests", "other_fee_unpaid", col)] += unpaid
    values[("fees", "notices")] = 0
    values[("fees", "notice_amount")] = values[("fees", "collected")] = 0
    broken = balanced(Report(dict(report.meta), values, report.text))
    checked = roundtrip(broken)
    assert places(checked.problems) == {("fees-unpaid-without-notice", spec.SHEET_META, cell(("fees", "notices")))}
    total = broken.value(("requests", "other_fee_unpaid", "total"))
    assert checked.problems[0].message == f"表三（六）2.逾期未缴费共{total}件，但发出收费通知件数为0"
    assert not checked.problems[0].is_error


@SETTINGS
@given(valid_reports(), st.integers(1, 10**6))
def test_collected_above_notice_amount(report, cents):
    from decimal import Decimal

    values = dict(report.values)
    values[("fees", "notices")] = max(1, values[("fees", "notices")])
    values[("fees", "collected")] = values[("fees", "notice_amount")] + Decimal(cents) / 100
    broken = Report(dict(report.meta), values, report.text).with_totals()
    checked = roundtrip(broken)
    assert places(checked.problems) == {("fees-collected-exceeds-notices", spec.SHEET_META, cell(("fees", "collected")))}
    assert checked.errors == 0


@SETTINGS
@given(valid_reports(), st.integers(1, 10**6))
def test_notice_amount_without_notices(report, cents):
    from decimal import Decimal

    values = dict(report.values)
    for col in INPUT_COLUMNS:
        values[("requests", "other_fee_unpaid", col)] = 0
    values[("fees", "notices")] = 0
    values[("fees", "notice_amount")] = Decimal(cents) / 100
    values[("fees", "collected")] = 0
    broken = balanced(Report(dict(report.meta), values, report.text))
    checked = roundtrip(broken)
    assert places(checked.problems) == {("fees-amount-without-notice", spec.SHEET_META, cell(("fees", "notice_amount")))}
    assert checked.errors == 0


# --- one rule broken in a JSON report with its totals given -----------------------------------


def as_json_report(report: Report, changes: dict) -> Report:
    values = dict(report.values)
    values.update(changes)
    return model.from_json(model.to_json(Report(dict(report.meta), values, report.text)))


@SETTINGS
@given(valid_reports(), st.sampled_from(RESULT_ROWS), st.sampled_from((1, -1)))
def test_row_total_off_by_one(report, row, delta):
    path = ("requests", row, "total")
    if report.values[path] + delta < 0:
        delta = 1
    broken = as_json_report(report, {path: report.values[path] + delta})
    problems = api.check_report(broken)
    assert places(problems) == {("requests-row-total", spec.SHEET_REQUESTS, cell(path))}
    (p,) = problems
    assert (p.expected, p.actual) == (str(report.values[path]), str(report.values[path] + delta))
    assert p.message == f"{spec.FIELD_BY_PATH[path].row_label}：总计为{report.values[path] + delta}，自然人至其他六列之和为{report.values[path]}"


@SETTINGS
@given(valid_reports(), st.sampled_from(INPUT_COLUMNS))
def test_closed_total_off_by_one(report, col):
    # （七）总计 of one column one too high; 四 one lower keeps the balance and the row totals follow,
    # so that only （七） = （一）+…+（六） breaks
    closed, forward = ("requests", "closed_total", col), ("requests", "carried_forward", col)
    values = dict(report.values)
    if values[forward] == 0:
        values[("requests", "new", col)] += 1
        values[forward] += 1
        report = Report(dict(report.meta), values, report.text).with_totals()
    changes = {
        closed: report.values[closed] + 1,
        forward: report.values[forward] - 1,
        ("requests", "closed_total", "total"): report.values[("requests", "closed_total", "total")] + 1,
        ("requests", "carried_forward", "total"): report.values[("requests", "carried_forward", "total")] - 1,
    }
    problems = api.check_report(as_json_report(report, changes))
    assert places(problems) == {("requests-closed-total", spec.SHEET_REQUESTS, cell(closed))}
    (p,) = problems
    label = dict(spec.REQUEST_COLUMNS)[col]
    assert p.message == f"{label}列：（七）总计为{report.values[closed] + 1}，（一）至（六）各项之和为{report.values[closed]}"


@SETTINGS
@given(valid_reports(), st.sampled_from(spec.APPEAL_GROUPS), st.sampled_from((1, -1)))
def test_appeals_total_off_by_one(report, group, delta):
    key, label = group
    path = ("appeals", key, "total")
    if report.values[path] + delta < 0:
        delta = 1
    problems = api.check_report(as_json_report(report, {path: report.values[path] + delta}))
    assert places(problems) == {("appeals-total", spec.SHEET_APPEALS, cell(path))}
    (p,) = problems
    assert (p.expected, p.actual) == (str(report.values[path]), str(report.values[path] + delta))
    assert p.row_label == (label if key == "review" else f"行政诉讼/{label}")


@SETTINGS
@given(valid_reports(), st.sampled_from(INPUT_COLUMNS))
def test_balance_in_json_report(report, col):
    forward = ("requests", "carried_forward", col)
    changes = {
        forward: report.values[forward] + 1,
        ("requests", "carried_forward", "total"): report.values[("requests", "carried_forward", "total")] + 1,
    }
    problems = api.check_report(as_json_report(report, changes))
    assert places(problems) == {
        ("requests-balance", spec.SHEET_REQUESTS, cell(("requests", "closed_total", col))),
        ("requests-balance", spec.SHEET_REQUESTS, cell(("requests", "closed_total", "total"))),
    }


@SETTINGS
@given(valid_reports())
def test_workbook_totals_are_recomputed_whatever_the_json_gave(report):
    """A wrong given total does not survive a workbook: the sheet computes it."""
    path = ("appeals", "review", "total")
    broken = as_json_report(report, {path: report.values[path] + 1})
    assert places(api.check_report(broken)) == {("appeals-total", spec.SHEET_APPEALS, cell(path))}
    checked = roundtrip(broken)
    assert checked.problems == []
    assert checked.report.values[path] == report.values[path]


def test_appeal_parts_and_columns_cover_the_table():
    assert {f.path for f in spec.TABLE_BY_KEY["appeals"].fields} == {
        ("appeals", g, c) for g, _ in spec.APPEAL_GROUPS for c in APPEAL_PARTS + ("total",)
    }
    assert set(REQUEST_COLS) == set(INPUT_COLUMNS) | {"total"}
