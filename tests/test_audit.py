"""xlreport audit: a region's published reports, every form, across years, one overview."""

from __future__ import annotations

import json
import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import DATA
from xlreport import model
from xlreport.cli import cli
from xlreport.format import spec
from xlreport.office.audit import CHAIN_COLUMNS, OVERVIEW_COLUMNS, OVERVIEW_SHEET, PROBLEMS_SHEET, audit, same_agencies

CARRIED = ("requests", "carried_over", "natural_person")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def region(tmp_path):
    """Published reports of three agencies: 洪泽区 for 2023 and 2024 (which writes its name two ways), 淮安市, and one page."""
    root = tmp_path / "各地报告"
    for folder, names in {"洪泽区": ["07-hongze-qu-2023.txt", "08-hongze-qu-2024.txt"], "淮安市": ["06-huaian-shi-2024.txt"],
                          ".": ["hangzhou-style-2025.html"]}.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copyfile(DATA / name, root / folder / name)
    return root


def chain_of_two(folder, example_json, carried_ok: bool):
    """The bundled example as its 2023 and 2024 reports (JSON), 上年结转 continued or not."""
    last = model.load_json_file(example_json)
    assert all(last.value(("requests", row, "natural_person")) == 0 for row in ("new", "carried_over", "carried_forward"))
    last.meta["year"] = 2023
    last.values[("requests", "new", "natural_person")] = 3  # 3 new, none closed: 3 carried forward
    last.values[("requests", "carried_forward", "natural_person")] = 3
    now = model.load_json_file(example_json)
    now.values[CARRIED] = 3 if carried_ok else 2  # each year balances its own columns either way
    now.values[("requests", "carried_forward", "natural_person")] = now.values[CARRIED]
    folder.mkdir(parents=True, exist_ok=True)
    for name, report in (("2023.json", last), ("2024.json", now)):
        (folder / name).write_text(model.to_json(report.with_totals()), encoding="utf-8")
    return folder


def test_reports_are_grouped_by_agency_and_compared_year_by_year(region):
    audited = audit([region])
    assert [(a.agency, a.result.year, a.status) for a in audited] == [
        ("测试市", 2025, "ok"), ("淮安市人民政府", 2024, "warnings"),
        ("淮安市洪泽区人民政府", 2023, "errors"), ("淮安市洪泽区人民政府", 2024, "warnings")]
    hongze = audited[3]
    assert hongze.name == "淮安市洪泽区人民政府" and audited[2].name == "洪泽区人民政府"
    assert hongze.previous.endswith("07-hongze-qu-2023.txt") and hongze.chain == []  # the published chain holds


def test_a_name_with_and_without_its_region_is_one_agency():
    assert same_agencies({"洪泽区人民政府", "淮安市洪泽区人民政府", "淮安市人民政府"}) == {"洪泽区人民政府": "淮安市洪泽区人民政府"}
    assert same_agencies({"商务局", "上犹县商务局"}) == {}  # too little of a name to be sure
    assert same_agencies({"洪泽区人民政府", "淮安市洪泽区人民政府", "宿迁市洪泽区人民政府"}) == {}  # which one?


def test_a_broken_chain_is_found_and_said(tmp_path, example_json):
    folder = chain_of_two(tmp_path / "上犹县商务局", example_json, carried_ok=False)
    result = run("audit", folder)
    assert result.exit_code == 0  # a chain finding is a warning
    chain = [line for line in result.stdout.splitlines() if line.startswith("  2024年与上年对照：")]
    assert chain[:2] == ["  2024年与上年对照：自然人列：二、上年结转为2，2023年报告的四、结转下年度继续办理为3",
                         "  2024年与上年对照：总计列：二、上年结转为2，2023年报告的四、结转下年度继续办理为3"]
    assert all("相同内容约占100%" in line for line in chain[2:]) and len(chain) == 5  # the same example text both years
    ok = run("audit", chain_of_two(tmp_path / "另一个", example_json, carried_ok=True))
    assert [line for line in ok.stdout.splitlines() if "上年结转" in line] == []


def test_the_overview_workbook(tmp_path, region, example_json):
    chain_of_two(region / "上犹", example_json, carried_ok=False)
    out = tmp_path / "审阅总览.xlsx"
    result = run("audit", region, "-o", out)
    assert result.exit_code == 1, result.output
    assert result.stdout.endswith(f"已生成审阅总览：{out}\n")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [OVERVIEW_SHEET, "上犹县商务局", "测试市", "淮安市人民政府", "淮安市洪泽区人民政府", PROBLEMS_SHEET]
    rows = list(wb[OVERVIEW_SHEET].iter_rows(values_only=True))
    assert rows[0] == OVERVIEW_COLUMNS and len(rows) == 7
    by_file = {r[2].rsplit("/", 1)[-1]: r for r in rows[1:]}
    previous = OVERVIEW_COLUMNS.index("与上年对照")
    assert by_file["2024.json"][previous] == 2 and by_file["2023.json"][previous] == 0  # 上年结转 of 自然人 and of 总计
    assert by_file["2024.json"][OVERVIEW_COLUMNS.index("正文")] == 3  # three sections copied
    assert by_file["07-hongze-qu-2023.txt"][OVERVIEW_COLUMNS.index("表四勾稽")] == 2
    chain = list(wb["上犹县商务局"].iter_rows(values_only=True))
    assert chain[0] == CHAIN_COLUMNS
    assert chain[2][:2] == (2024, str(region / "上犹" / "2024.json")) and chain[2][5:8] == ("2处不符", "符合", "3处不符") and chain[1][5] == "—"
    problems = list(wb[PROBLEMS_SHEET].iter_rows(values_only=True))
    assert {r[10] for r in problems[1:]} >= {"previous-carry-over", "appeals-total", "import-uncertain"}
    link = wb[PROBLEMS_SHEET].cell(2, 3).hyperlink  # relative to the overview, as Excel writes it (backslashes)
    assert link.target.replace("\\", "/") == "各地报告/上犹/2024.json"  # the first file with a problem


def test_json_and_exit_codes(tmp_path, region):
    (region / "坏的.pdf").write_bytes(b"%PDF-1.4 not really")
    result = run("audit", region, "--json")
    assert result.exit_code == 2  # one unreadable file; the others audited all the same
    doc = json.loads(result.stdout)
    assert {k: doc[k] for k in ("ok", "warnings", "errors", "unreadable", "agencies")} == {
        "ok": 1, "warnings": 2, "errors": 1, "unreadable": 1, "agencies": 3}
    (bad,) = [r for r in doc["reports"] if r["status"] == "unreadable"]
    assert bad["file"].endswith("坏的.pdf") and bad["message"].startswith(str(region / "坏的.pdf"))


def test_a_name_map_joins_what_the_reports_write_apart(tmp_path, region):
    names = tmp_path / "名称.csv"
    names.write_text("别名,规范名称\n测试市,杭州市测试局\n", encoding="utf-8")
    result = run("audit", region, "--names", names)
    assert "【杭州市测试局】（报告中也写作：测试市）" in result.stdout.splitlines()


def test_a_bad_name_map_is_refused(tmp_path, region):
    names = tmp_path / "名称.csv"
    names.write_text("测试市,杭州,多一列\n", encoding="utf-8")
    result = run("audit", region, "--names", names)
    assert result.exit_code == 2 and result.stderr.strip() == f"错误：{names}：第1行应有两列（别名,规范名称）"


def test_nothing_to_audit(tmp_path):
    result = run("audit", tmp_path)
    assert result.exit_code == 2 and result.stderr.startswith(f"错误：在{tmp_path}中没有找到报告文件")


def test_every_rule_belongs_to_a_family():
    from xlreport.format.rules import FAMILIES, RULES, family

    assert {family(r.code) for r in RULES} == set(FAMILIES.values())


def test_past_so_many_agencies_their_chains_share_one_sheet(tmp_path, region, example_json, monkeypatch):
    from xlreport.office import audit as audit_module

    monkeypatch.setattr(audit_module, "CHAIN_SHEETS_AT_MOST", 3)  # four agencies in the region
    chain_of_two(region / "上犹", example_json, carried_ok=False)
    out = tmp_path / "审阅总览.xlsx"
    assert run("audit", region, "-o", out).exit_code == 1
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [OVERVIEW_SHEET, spec.SHEET_AUDIT_CHAINS, PROBLEMS_SHEET]
    rows = list(wb[spec.SHEET_AUDIT_CHAINS].iter_rows(values_only=True))
    assert rows[0] == ("单位",) + CHAIN_COLUMNS
    assert [(r[0], r[1], r[2].rsplit("/", 1)[-1]) for r in rows[1:]] == [
        ("上犹县商务局", 2023, "2023.json"), ("上犹县商务局", 2024, "2024.json"), ("测试市", 2025, "hangzhou-style-2025.html"),
        ("淮安市人民政府", 2024, "06-huaian-shi-2024.txt"),
        ("淮安市洪泽区人民政府", 2023, "07-hongze-qu-2023.txt"), ("淮安市洪泽区人民政府", 2024, "08-hongze-qu-2024.txt")]
    assert rows[2][6:9] == ("2处不符", "符合", "3处不符")  # one column to the right of an agency's own sheet
    link = wb[spec.SHEET_AUDIT_CHAINS].cell(3, 3).hyperlink
    assert link.target.replace("\\", "/") == "各地报告/上犹/2024.json"
