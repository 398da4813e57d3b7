"""Real published reports read back (tests/data, copied from shared/reference).

- shangyou-commerce-2024.txt: the bundled example as published, one cell per line: reads back as
  examples/shangyou-commerce-2024.json, every number, every paragraph and the contacts;
- 06/07/08 *.txt: PDF text of real reports (numbers often before their wrapped label), each cell
  as transcribed in the *.json, the cells 07 and 08 do not publish (（六） printed as one row) None;
- 07's published table C (总计 0 beside 结果维持 10 and 5) is found by `check`;
- 07-hongze-qu-2023.pdf: 07 as `xlreport build` writes it, printed to PDF by LibreOffice
  (scripts/make_import_fixtures.py): the text layer of a PDF, tables split over pages;
- hangzhou-style-2025.html: a 2021-format web page with rowspan/colspan (and `五、存在问题及改进情况`);
- shanghai-2019-oldformat.json: the old (2019 trial) format, refused by name.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from import_fixtures import DATA, transcribed
from xlreport import api, model
from xlreport.format import spec
from xlreport.cli import cli
from xlreport.errors import InputError
from xlreport.importers import import_report

REPO = Path(__file__).resolve().parent.parent
TITLES = spec.SECTION_TITLES
REAL = {
    "06-huaian-shi-2024": ("淮安市人民政府", 2024),
    "07-hongze-qu-2023": ("洪泽区人民政府", 2023),
    "08-hongze-qu-2024": ("淮安市洪泽区人民政府", 2024),
}


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def assert_cells(report, want: dict) -> None:
    got = {path: report.values[path] for path in want}
    assert got == want
    for path, value in want.items():  # None stays None, 0 stays 0
        assert (got[path] is None) == (value is None), path


def test_bundled_example_reads_back_as_its_json():
    imported = import_report(DATA / "shangyou-commerce-2024.txt")
    assert imported.kind == "txt"
    assert imported.problems == []
    example = model.load_json_file(REPO / "examples" / "shangyou-commerce-2024.json")
    assert model.to_dict(imported.report) == model.to_dict(example)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_report_every_cell(name):
    imported = import_report(DATA / f"{name}.txt")
    want = transcribed(DATA / f"{name}.json")
    assert_cells(imported.report, want)
    assert (imported.report.agency, imported.report.year) == REAL[name]
    assert all(p.severity is spec.Severity.WARNING and p.code == "import-uncertain" for p in imported.problems)


def test_07_and_08_do_not_publish_the_items_of_six():
    for name in ("07-hongze-qu-2023", "08-hongze-qu-2024"):
        report = import_report(DATA / f"{name}.txt").report
        for key in ("other_no_correction", "other_fee_unpaid", "other_other"):
            for col, _ in spec.REQUEST_COLUMNS:
                assert report.values[("requests", key, col)] is None


def test_07_warnings_say_what_was_guessed_and_where():
    problems = import_report(DATA / "07-hongze-qu-2023.txt").problems
    assert [(p.code, p.sheet, p.cell, p.row_label, p.message) for p in problems] == [
        ("import-uncertain", TITLES["requests"], "", "",
         "7行的数字与行标签不在同一行（PDF文字中常见），已按先后顺序对应：（二）部分公开、（三）1.属于国家秘密、（三）3.危及“三安全一稳定”、"
         "（四）1.本机关不掌握相关政府信息、（四）2.没有现成信息需要另行制作、（五）4.无正当理由大量反复申请、"
         "（五）5.要求行政机关确认或重新出具已获取信息；请对照原文核对（原文位置：第56行）"),
        ("import-uncertain", TITLES["requests"], "", "（六）其他处理",
         "“（六）其他处理”只印了一行，没有1—3项（旧格式的写法）：这一行的数字（0 0 0 0 0 0 0）无法分到各项，各项按未公开处理（原文位置：第101行）"),
    ]


def test_07_published_table_c_errors_are_found():
    checked = api.check_file(DATA / "07-hongze-qu-2023.txt")
    errors = [(p.code, p.sheet, p.cell, p.row_label, p.col_label, p.expected, p.actual, p.message) for p in checked.problems if p.is_error]
    assert errors == [
        ("appeals-total", TITLES["appeals"], "", "行政复议", "总计", "11", "0",
         "行政复议：总计为0，结果维持、结果纠正、其他结果、尚未审结之和为11"),
        ("appeals-total", TITLES["appeals"], "", "行政诉讼/复议后起诉", "总计", "5", "0",
         "行政诉讼/复议后起诉：总计为0，结果维持、结果纠正、其他结果、尚未审结之和为5"),
    ]
    # the totals are kept as published, not recomputed
    assert checked.report.values[("appeals", "review", "total")] == 0


@pytest.mark.parametrize("name", ["06-huaian-shi-2024", "08-hongze-qu-2024"])
def test_reports_whose_rules_hold_have_no_error(name):
    checked = api.check_file(DATA / f"{name}.txt")
    assert checked.errors == 0, [p.line() for p in checked.problems]


def test_cli_check_07_exit_code_and_places():
    result = run("check", DATA / "07-hongze-qu-2023.txt")
    assert result.exit_code == 1
    assert "【四、政府信息公开行政复议、行政诉讼情况】" in result.stdout
    assert result.stdout.strip().endswith("发现 2 个错误、2 个提醒。请按“应为”一栏修改后重新检查。")


def test_meta_from_the_title_and_the_contact_paragraph():
    meta = import_report(DATA / "06-huaian-shi-2024.txt").report.meta
    assert meta == {
        "agency": "淮安市人民政府", "year": 2024, "office": "办公室", "address": "淮安市翔宇南道1号", "postcode": "223001",
        "phone": "0517-83605210", "email": "hazwgkc@163.com", "website": None,
    }
    meta = import_report(DATA / "07-hongze-qu-2023.txt").report.meta
    assert (meta["address"], meta["postcode"], meta["phone"], meta["email"]) == ("淮安市洪泽区洪泽湖大道90号", "223100", "0517-87222589", "hzzwgk@126.com")


def test_prose_split_into_sections():
    text = import_report(DATA / "06-huaian-shi-2024.txt").report.text
    assert text.preamble[0].startswith("本报告由淮安市人民政府办公室根据《中华人民共和国政府信息公开条例》（国令第711号）")
    assert text.overview.intro[0].startswith("2024年，我市坚持以习近平新时代中国特色社会主义思想为指导")
    assert [i.heading for i in text.overview.items] == ["主动公开情况", "依申请公开情况", "政府信息管理情况", "政府信息公开平台建设情况", "政府信息公开监督保障情况"]
    assert text.overview.items[1].paragraphs[0].endswith("其他结果9件，尚未审结7件。")
    # the last line of the first paragraph is a full line: without the PDF's indent the two paragraphs read as one
    assert text.problems.intro[0].startswith("对照上级新要求和公众新期待") and "针对存在问题，下一步，我市" in text.problems.intro[-1]
    assert text.fee_note.paragraphs == ["2024年，市政府严格落实《政府信息公开信息处理费管理办法》，全年收取政府信息公开信息处理费3940元。"]
    assert text.other.items == [] and text.closing == []


def test_hangzhou_web_page():
    imported = import_report(DATA / "hangzhou-style-2025.html")
    assert imported.problems == []
    assert_cells(imported.report, transcribed(DATA / "hangzhou-style-2025.ref.json"))
    assert (imported.report.agency, imported.report.year) == ("测试市", 2025)
    assert imported.report.text.problems.intro == ["对照新要求新任务，仍存在以下短板：一是主动公开工作还需进一步规范。"]
    assert api.check_file(DATA / "hangzhou-style-2025.html").problems == []


def test_pdf_with_tables_split_over_pages():
    imported = import_report(DATA / "07-hongze-qu-2023.pdf")
    assert imported.kind == "pdf"
    want = transcribed(DATA / "07-hongze-qu-2023.json")
    want.update({path: 0 for path, v in want.items() if v is None})  # build prints what was not published as 0
    assert_cells(imported.report, want)
    meta = imported.report.meta
    assert (meta["agency"], meta["year"], meta["postcode"], meta["email"]) == ("洪泽区人民政府", 2023, "223100", "hzzwgk@126.com")
    assert [i.heading for i in imported.report.text.overview.items][:2] == ["主动公开情况", "依申请公开情况"]
    checked = api.check_file(DATA / "07-hongze-qu-2023.pdf")
    assert [(p.code, p.row_label) for p in checked.problems if p.is_error] == [("appeals-total", "行政复议"), ("appeals-total", "行政诉讼/复议后起诉")]


# --- the old format ------------------------------------------------------------------------------------


def _old_format_page() -> str:
    old = json.loads((DATA / "shanghai-2019-oldformat.json").read_text(encoding="utf-8"))
    rows = []
    for block, items in old["table_A_old"].items():
        cols = list(next(iter(items.values())))
        rows.append(f'<tr><td colspan="4">{block}</td></tr>')
        rows.append("<tr><td>信息内容</td>" + "".join(f"<td>{c}</td>" for c in cols) + "</tr>")
        for label, values in items.items():
            rows.append(f"<tr><td>{label}</td>" + "".join(f"<td>{values[c]}</td>" for c in cols) + "</tr>")
    table_b = old["table_B_old"]
    b_rows = [f"<tr><td>{r['label'].split('/')[-1]}</td>" + "".join(f"<td>{r['values'][c]}&nbsp;</td>" for c in table_b["columns"]) + "</tr>"
              for r in table_b["rows"]]
    c = old["table_C"]
    c_row = "<tr>" + "".join(f"<td>{c['values'][k]}</td>" for k in c["columns"]) + "</tr>"
    return (f"<html><head><meta charset='utf-8'><title>{old['unit']}{old['year']}年政府信息公开工作年度报告</title></head><body>"
            f"<p>二、主动公开政府信息情况</p><table>{''.join(rows)}</table>"
            f"<p>三、收到和处理政府信息公开申请情况</p><table>{''.join(b_rows)}</table>"
            f"<p>四、政府信息公开行政复议、行政诉讼情况</p><table><tr><td colspan='5'>行政复议</td><td colspan='10'>行政诉讼</td></tr>{c_row}</table>"
            "</body></html>")


def test_old_format_web_page_is_refused_by_name(tmp_path):
    path = tmp_path / "shanghai-2019.html"
    path.write_text(_old_format_page(), encoding="utf-8")
    message = (f"{path}：这是2019年试行格式（国办公开办函〔2019〕60号）的年度报告（第1个表格第2行第2列有“本年新制作数量”），"
               f"xlreport 只支持{spec.FORMAT_NAME}规定的2021年版格式，未导入")
    with pytest.raises(InputError) as raised:
        import_report(path)
    assert raised.value.message == message
    for command in ("import", "check"):
        result = run(command, path)
        assert result.exit_code == 2
        assert result.stderr.strip() == f"错误：{message}（旧格式报告的表格与新格式不同，无法逐项对应）"


def test_old_format_pdf_text_is_refused_by_name(tmp_path):
    path = tmp_path / "old.txt"
    path.write_text("\n".join([
        "上海市人民政府办公厅", "2019年政府信息公开工作年度报告", "二、主动公开政府信息情况", "第二十条第（一）项",
        "信息内容 本年新制作数量 本年新公开数量 对外公开总数量", "规章 13 13 524", "规范性文件 60 60 368",
    ]), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        import_report(path)
    assert raised.value.message.startswith(f"{path}：这是2019年试行格式（国办公开办函〔2019〕60号）的年度报告（第5行有“本年新制作数量”）")
