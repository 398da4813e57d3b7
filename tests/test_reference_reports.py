"""Two real published reports, transcribed (tests/data/0?-*.json, copied from shared/reference/reports).

06 淮安市人民政府 2024: every rule holds. 07 洪泽区人民政府 2023: table C publishes 总计 0 beside
行政复议 10 + 1 and 复议后起诉 5 — a real violation that the checks must find, and nothing else.
The transcription's layout (see shared/reference/README.md) is mapped onto our JSON contract
through the spec's labels, never through positions typed here.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlreport import api, model

from xlreport.format import spec
from xlreport.cli import cli
from xlreport.format.labels import norm_label
from xlreport.xlsx.writer import write_workbook

DATA = Path(__file__).resolve().parent / "data"
HUAIAN = DATA / "06-huaian-shi-2024.json"
HONGZE = DATA / "07-hongze-qu-2023.json"


def transcription(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


def _request_rows(published: dict) -> dict[str, list | None]:
    """Our row key -> the published row, matched by label (group/item, item, or short name)."""
    by_label = {norm_label(k): v for k, v in published.items()}
    rows = {}
    for key, group, text, short in spec.REQUEST_ROWS:
        names = ([f"{group}/{text}"] if group else []) + [text, short]
        found = [norm_label(n) for n in names if norm_label(n) in by_label]
        assert found, f"no row for {key} in the transcription"
        rows[key] = by_label[found[0]]
    assert len(rows) == len(published) == 25
    return rows


def to_contract(ref: dict, with_totals: bool) -> dict:
    """The transcription as a JSON report of our contract; totals as published, or left to be computed."""
    active: dict = {}
    for f in spec.TABLE_BY_KEY["active"].fields:
        published = ref["active"][f.row_label]
        value = published[f.col_label] if isinstance(published, dict) else published
        node = active
        for key in f.path[1:-1]:
            node = node.setdefault(key, {})
        node[f.path[-1]] = value
    requests: dict = {}
    for key, row in _request_rows(ref["requests"]).items():
        cells = row if row is not None else [None] * len(spec.REQUEST_COLUMNS)  # （六） printed as one row in 07
        requests[key] = {col: value for (col, _), value in zip(spec.REQUEST_COLUMNS, cells)}
    appeals: dict = {}
    fields = spec.TABLE_BY_KEY["appeals"].fields
    assert [f.path[1:] for f in fields] == [(g, c) for g, _ in spec.APPEAL_GROUPS for c, _ in spec.APPEAL_COLUMNS]
    for f, value in zip(fields, ref["review_litigation"]):
        appeals.setdefault(f.path[1], {})[f.path[2]] = value
    if not with_totals:
        for f in spec.TOTAL_FIELDS:
            node = {"requests": requests, "appeals": appeals}[f.path[0]]
            node[f.path[1]][f.path[2]] = None
    return {
        "format": spec.FORMAT_VERSION,
        "meta": {"agency": ref["agency"], "year": ref["year"]},
        "active": active, "requests": requests, "appeals": appeals,
    }


def load(path: Path, with_totals: bool = True) -> model.Report:
    return model.from_dict(to_contract(transcription(path), with_totals), str(path.name))


def places(problems):
    return [(p.code, p.severity.value, p.sheet, p.cell) for p in problems]


# --- the transcriptions map onto the contract completely ----------------------------------------


@pytest.mark.parametrize("path", [HUAIAN, HONGZE], ids=lambda p: p.stem)
def test_every_published_number_lands_in_a_field(path):
    ref = transcription(path)
    report = load(path)
    rows = _request_rows(ref["requests"])
    for key, row in rows.items():
        for (col, _), value in zip(spec.REQUEST_COLUMNS, row or [None] * 7):
            assert report.values[("requests", key, col)] == value
    assert [report.values[f.path] for f in spec.TABLE_BY_KEY["appeals"].fields] == ref["review_litigation"]
    assert report.values[("active", "licensing")] == ref["active"]["行政许可"]
    assert (report.agency, report.year) == (ref["agency"], ref["year"])


def test_amounts_are_exact():
    assert load(HUAIAN).values[("active", "fees")] == Decimal("96171.6")
    assert load(HONGZE).values[("active", "fees")] == Decimal("7730.28")


# --- (a) as JSON reports with the published totals ---------------------------------------------


def test_huaian_2024_holds_every_rule():
    problems = api.check_report(load(HUAIAN))
    # no table rule breaks; the transcription has no fee-notice count (the prose only says 3940 元 were
    # collected), so （六）2. = 6 unpaid requests warns that notices must have been issued
    assert places(problems) == [("fees-unpaid-without-notice", "warning", spec.SHEET_META, spec.FIELD_BY_PATH[("fees", "notices")].cell)]
    assert problems[0].message == "表三（六）2.逾期未缴费共6件，但发出收费通知件数为0"
    fees = {"notices": 6, "notice_amount": 3940, "collected": 3940}
    data = to_contract(transcription(HUAIAN), True) | {"fees": fees}
    assert api.check_report(model.from_dict(data)) == []


def test_hongze_2023_table_c_totals_are_wrong():
    problems = api.check_report(load(HONGZE))
    review = spec.FIELD_BY_PATH[("appeals", "review", "total")]
    after = spec.FIELD_BY_PATH[("appeals", "litigation_after_review", "total")]
    assert places(problems) == [
        ("appeals-total", "error", spec.SHEET_APPEALS, review.cell),
        ("appeals-total", "error", spec.SHEET_APPEALS, after.cell),
    ]
    assert [(p.expected, p.actual) for p in problems] == [("11", "0"), ("5", "0")]
    assert [p.message for p in problems] == [
        "行政复议：总计为0，结果维持、结果纠正、其他结果、尚未审结之和为11",
        "行政诉讼/复议后起诉：总计为0，结果维持、结果纠正、其他结果、尚未审结之和为5",
    ]


def test_hongze_2023_json_file_through_the_cli(tmp_path):
    src = tmp_path / "洪泽区2023.json"
    src.write_text(model.to_json(load(HONGZE)), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--json", str(src)])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert [(p["code"], p["key"]) for p in doc["files"][0]["problems"]] == [
        ("appeals-total", "appeals.review.total"),
        ("appeals-total", "appeals.litigation_after_review.total"),
    ]
    table = CliRunner().invoke(cli, ["check", str(src)])
    assert "发现 2 个错误、0 个提醒。" in table.stdout
    assert "【四、复议诉讼】" in table.stdout


def test_hongze_2023_without_published_totals_is_consistent():
    """Given only the parts, the totals are computed and nothing is wrong: the error is in the published totals."""
    assert api.check_report(load(HONGZE, with_totals=False)) == []


# --- (b) in a workbook ----------------------------------------------------------------------


def test_huaian_2024_workbook_passes(tmp_path):
    report = load(HUAIAN)
    book = write_workbook(tmp_path / "淮安市2024.xlsx", report)
    checked = api.check_file(book)
    assert checked.errors == 0
    # the transcription has no fee figures: blank, and （六）2. has 6 unpaid without a notice count
    assert places(checked.problems) == [
        ("fees-unpaid-without-notice", "warning", spec.SHEET_META, spec.FIELD_BY_PATH[("fees", "notices")].cell),
        ("value-blank", "warning", "", ""),
    ]
    assert checked.problems[1].message == "3个数字单元格为空（基本信息!B13、B14、B15），已按0计算（如确实为0，建议填0）"
    assert model.to_dict(checked.report) == model.to_dict(report)
    result = CliRunner().invoke(cli, ["check", str(book)])
    assert result.exit_code == 0
    assert result.stdout.endswith("检查通过：没有错误，有 2 个提醒。\n")


def test_hongze_2023_workbook_computes_its_totals(tmp_path):
    """A workbook cannot carry a wrong total: the sheet computes 总计, so table C is right there."""
    book = write_workbook(tmp_path / "洪泽区2023.xlsx", load(HONGZE))
    checked = api.check_file(book)
    assert checked.errors == 0
    assert checked.report.values[("appeals", "review", "total")] == 11
    assert checked.report.values[("appeals", "litigation_after_review", "total")] == 5
    blank = [p for p in checked.problems if p.code == "value-blank"]
    assert [p.message for p in blank] == [  # fees + （六）1–3
        f"{3 + 3 * 6}个数字单元格为空（基本信息!B13、B14、B15；三、依申请公开!D25、E25、F25、G25、H25等21个），已按0计算（如确实为0，建议填0）"]
