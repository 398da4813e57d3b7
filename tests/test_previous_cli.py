"""`--previous` on check, build and new, and acknowledged exceptions (`xlreport accept`)."""

from __future__ import annotations

import json

import openpyxl
import pytest
from click.testing import CliRunner

from factories import filled_report
from xlreport import api, model
from xlreport.format import spec
from xlreport.cli import cli
from xlreport.xlsx.writer import write_workbook

IN_FORCE = ("active", "normative_documents", "in_force")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def two_years(tmp_path):
    """Last year's workbook and this year's, where 现行有效件数 was reset by a 清理."""
    this = filled_report()
    last = model.Report(dict(this.meta), {f.path: None for f in spec.FIELDS}, model.Text())
    last.meta["year"] = this.year - 1
    for col in spec.REQUEST_INPUT_COLUMNS:
        last.values[("requests", "carried_forward", col)] = this.values[("requests", "carried_over", col)]
    for key in ("rules", "normative_documents"):
        last.values[("active", key, "in_force")] = (this.value(("active", key, "in_force")) - this.value(("active", key, "issued"))
                                                    + this.value(("active", key, "repealed")))
    last.values[IN_FORCE] += 40  # before the 清理
    return write_workbook(tmp_path / "2023.xlsx", last.with_totals()), write_workbook(tmp_path / "2024.xlsx", this), this


def test_check_with_previous_finds_the_reset(two_years):
    last, this, report = two_years
    result = run("check", this, "--json", "--previous", last)
    assert result.exit_code == 0, result.stderr
    [p] = json.loads(result.stdout)["files"][0]["problems"]
    assert (p["code"], p["key"], p["accepted"]) == ("previous-in-force", "active.normative_documents.in_force", "")
    assert run("check", this).exit_code == 0 and "previous-in-force" not in run("check", this, "--json").stdout


def test_accept_survives_a_rerun_and_lapses_when_the_numbers_change(two_years):
    last, this, report = two_years
    result = run("accept", this, "--rule", "previous-in-force", "--reason", "本年开展了规范性文件清理", "--previous", last)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith(f"确认记录：{this}.accept.json\n")
    record = json.loads((this.parent / f"{this.name}.accept.json").read_text(encoding="utf-8"))
    assert [(e["code"], e["place"], e["reason"]) for e in record["accepted"]] == [
        ("previous-in-force", "active.normative_documents.in_force", "本年开展了规范性文件清理")]

    again = run("check", this, "--previous", last)
    assert again.exit_code == 0
    f = spec.FIELD_BY_PATH[IN_FORCE]
    assert any(line.startswith(f"已确认  {f.sheet}!{f.cell}") for line in again.stdout.splitlines())
    assert again.stdout.rstrip().endswith("检查通过：没有发现问题（另有 1 个提醒已确认）。")
    doc = json.loads(run("check", this, "--json", "--previous", last).stdout)
    assert doc["warnings"] == 0 and doc["files"][0]["problems"][0]["accepted"] == "本年开展了规范性文件清理"

    # the numbers the acceptance was about change: it lapses and the warning counts again
    wb = openpyxl.load_workbook(this)
    wb[f.sheet][f.cell] = report.values[IN_FORCE] + 1
    wb.save(this)
    lapsed = run("check", this, "--previous", last)
    assert "提醒：对“previous-in-force”（active.normative_documents.in_force）的确认已失效（相关数字已变化），请重新核对：本年开展了规范性文件清理" in lapsed.stdout
    assert lapsed.stdout.rstrip().endswith("检查通过：没有错误，有 1 个提醒。")


def test_errors_cannot_be_accepted_and_unknown_rules_are_refused(tmp_path):
    report = filled_report()
    report.values[("requests", "carried_forward", "natural_person")] += 1
    path = write_workbook(tmp_path / "bad.xlsx", report.with_totals())
    result = run("accept", path, "--rule", "requests-balance", "--reason", "理由")
    assert result.exit_code == 2
    assert result.stderr == f"错误：{path}：“requests-balance”是错误，不能确认，只能改正\n"
    result = run("accept", path, "--rule", "no-such-rule", "--reason", "理由")
    assert result.stderr == "错误：--rule：没有编号为“no-such-rule”的规则（规则编号见 docs/rules.md）\n"
    result = run("accept", path, "--rule", "previous-year", "--reason", "理由")
    assert result.stderr.startswith(f"错误：{path}：没有找到规则“previous-year”的提醒")
    assert not (tmp_path / "bad.xlsx.accept.json").exists()


def test_new_with_previous_carries_meta_year_and_carry_over(two_years, tmp_path):
    last, this, report = two_years
    out = tmp_path / "2025.xlsx"
    result = run("new", "--previous", this, "-o", out)
    assert result.exit_code == 0, result.stderr
    new = api.load(out).report
    assert new.year == report.year + 1
    assert {k: new.meta[k] for k in ("agency", "office", "phone")} == {k: report.meta[k] for k in ("agency", "office", "phone")}
    for col in spec.REQUEST_INPUT_COLUMNS:
        assert new.values[("requests", "carried_over", col)] == report.values[("requests", "carried_forward", col)]
    assert run("new", "--previous", this, "--data", "x.json").exit_code == 2


def test_build_with_previous_still_builds_with_warnings(two_years, tmp_path):
    last, this, report = two_years
    out = tmp_path / "r.docx"
    result = run("build", this, "-o", out, "--previous", last)
    assert result.exit_code == 0, result.stderr
    assert out.is_file()


def test_previous_that_cannot_be_read(two_years, tmp_path):
    last, this, report = two_years
    result = run("check", this, "--previous", tmp_path / "missing.xlsx")
    assert result.exit_code == 2
    assert result.stderr == f"错误：--previous：{tmp_path / 'missing.xlsx'}：文件不存在（请检查文件名和路径）\n"
