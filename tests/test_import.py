"""`xlreport import` and checking a published report: web pages, Word, PDF and text.

Fixtures are made from the real reports in tests/data: a web page with the official merges
(rowspan/colspan taken from the spec), and the Word report `xlreport build` writes; reading them
back must give exactly the report they were made from. Variants carry what publishers do to the
labels and the page (GBK, half-width brackets, `1、`, line breaks in labels, `规范性文件`, a known
misspelling, the 第二十条 items in another order, a table split over two pages, a layout table).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from import_fixtures import DATA, html_table, plain, report_html, table_rows
from xlreport import api, model
from xlreport.format import spec
from xlreport.cli import cli
from xlreport.errors import InputError
from xlreport.importers import import_report
from xlreport.importers.assemble import read_cell, split_heading
from xlreport.importers.document import clean_prose, paragraphs_from_lines
from xlreport.importers.html import decode, expand
from xlreport.format.labels import norm_label
from xlreport.format.locate import match_label, section_heading, split_values
from xlreport.model import Report
from xlreport.word.render import render_docx

WARNING, ERROR = spec.Severity.WARNING, spec.Severity.ERROR
TITLES = spec.SECTION_TITLES
SOURCES = ("shangyou-commerce-2024.txt", "06-huaian-shi-2024.txt", "07-hongze-qu-2023.txt", "08-hongze-qu-2024.txt", "hangzhou-style-2025.html")


@pytest.fixture(scope="module")
def imported() -> dict[str, Report]:
    return {name: import_report(DATA / name).report for name in SOURCES}


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


# --- round trips ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SOURCES)
def test_html_round_trip_is_exact(name, imported, tmp_path):
    report = imported[name]
    page = write(tmp_path / "report.html", report_html(report))
    back = import_report(page)
    assert model.to_dict(back.report) == model.to_dict(report)
    unpublished = [f for f in spec.FIELDS if f.table != "fees" and report.values[f.path] is None]
    # a cell that was not published is written blank and read back blank, one warning per row
    assert {(p.code, p.sheet, p.row_label) for p in back.problems} == {
        ("import-uncertain", TITLES["requests"], f.row_label) for f in unpublished
    }


@pytest.mark.parametrize("name", SOURCES)
def test_docx_round_trip_is_exact(name, imported, tmp_path):
    report = imported[name]
    out = tmp_path / "report.docx"
    render_docx(report, out)
    back = import_report(out)
    want = model.to_dict(report)
    # `xlreport build` prints a cell that was not published as 0 (07 and 08 print （六） as one row)
    for f in spec.FIELDS:
        if f.table != "fees" and report.values[f.path] is None:
            node = want
            for key in f.path[:-1]:
                node = node[key]
            node[f.path[-1]] = 0
    assert model.to_dict(back.report) == want
    assert back.problems == []


def test_variants_publishers_produce_read_the_same(imported, tmp_path):
    report = imported["06-huaian-shi-2024.txt"]
    variants = {
        "行政规范性文件": "规范性文件",
        "2.其他法律行政法规禁止公开": "2.其他法律行政止公开",  # the misspelling of 07/08
        "3.危及“三安全一稳定”": '3、危及"三安全一稳定"',
        "（一）予以公开": "(一) 予以\n公开",
        "第二十条第（五）项": "第二十条 第(五)项",
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）": "（二）部分公开（区分处理的,只计这一情形,不计其他情形）",
    }

    def label(text):
        text = variants.get(text, text)
        return text.replace("1.", "1、", 1) if text.startswith("1.") else text

    page = write(tmp_path / "variant.html", report_html(
        report, label_text=label, active_order=[3, 1, 0, 2], split_requests_at=15, layout=True, encoding="gbk",
        headings={"problems": "五、存在问题及改进情况"},
    ))
    assert b"charset=gbk" in page.read_bytes()[:200]
    back = import_report(page)
    assert model.to_dict(back.report) == model.to_dict(report)
    assert back.problems == []


def test_gb18030_page_without_a_declared_charset(imported, tmp_path):
    report = imported["hangzhou-style-2025.html"]
    data = report_html(report).replace(b'<meta http-equiv="Content-Type" content="text/html; charset=utf-8">', b"")
    page = write(tmp_path / "gb.htm", data.decode("utf-8").encode("gb18030"))
    assert model.to_dict(import_report(page).report) == model.to_dict(report)


# --- cells ---------------------------------------------------------------------------------------------


def test_annotated_and_missing_cells_are_told_apart(imported, tmp_path):
    report = imported["06-huaian-shi-2024.txt"]
    printed = {
        ("active", "rules", "issued"): "22（其中修订16件）",
        ("active", "normative_documents", "repealed"): "55（含自然失效29件）",
        ("active", "licensing"): "—",
        ("requests", "new", "research"): "/",
        ("requests", "new", "social_welfare"): "/",
        ("requests", "granted", "other"): "无",
        ("requests", "carried_over", "business"): "",
        ("appeals", "review", "upheld"): "72件",
    }

    def value(f, v):
        return printed.get(f.path, plain(v))

    back = import_report(write(tmp_path / "cells.html", report_html(report, value_text=value)))
    got = back.report.values
    assert got[("active", "rules", "issued")] == 22
    assert got[("active", "normative_documents", "repealed")] == 55
    assert got[("appeals", "review", "upheld")] == 72
    for path in [("active", "licensing"), ("requests", "new", "research"), ("requests", "new", "social_welfare"),
                 ("requests", "granted", "other"), ("requests", "carried_over", "business")]:
        assert got[path] is None, path
    lines = [(p.code, p.severity, p.sheet, p.cell, p.row_label, p.col_label, p.message) for p in back.problems]
    where = "第1个表格第3行第2列"
    assert lines == [
        ("import-uncertain", WARNING, TITLES["active"], "", "规章", "本年制发件数",
         f"“22（其中修订16件）”按22读取，括号中的“其中修订16件”是说明，未计入（原文位置：{where}）"),
        ("import-uncertain", WARNING, TITLES["active"], "", "行政规范性文件", "本年废止件数",
         "“55（含自然失效29件）”按55读取，括号中的“含自然失效29件”是说明，未计入（原文位置：第1个表格第4行第3列）"),
        ("import-uncertain", WARNING, TITLES["active"], "", "行政许可", "本年处理决定数量",
         "本年处理决定数量为“—”，不是数字：未按0计，按未公开处理（原文位置：第1个表格第7行第2列）"),
        ("import-uncertain", WARNING, TITLES["requests"], "", "一、本年新收政府信息公开申请数量", "科研机构、社会公益组织",
         "科研机构、社会公益组织为“/”，不是数字：未按0计，按未公开处理（原文位置：第2个表格第4行第6列）"),
        ("import-uncertain", WARNING, TITLES["requests"], "", "二、上年结转政府信息公开申请数量", "商业企业",
         "商业企业为空白，不是数字：未按0计，按未公开处理（原文位置：第2个表格第5行第5列）"),
        ("import-uncertain", WARNING, TITLES["requests"], "", "（一）予以公开", "其他",
         "其他为“无”，不是数字：未按0计，按未公开处理（原文位置：第2个表格第6行第9列）"),
    ]


@pytest.mark.parametrize("raw, unit, want", [
    ("12", spec.Unit.COUNT, (12, "number", "", None)),
    ("１２", spec.Unit.COUNT, (12, "number", "", None)),
    ("3,985,758", spec.Unit.COUNT, (3985758, "number", "", None)),
    ("96171.6", spec.Unit.WANYUAN, (Decimal("96171.6"), "number", "", None)),
    ("190.457379", spec.Unit.WANYUAN, (Decimal("190.457379"), "number", "", None)),
    ("22（其中修订16件）", spec.Unit.COUNT, (22, "annotated", "其中修订16件", None)),
    ("55 (含自然失效29件)", spec.Unit.COUNT, (55, "annotated", "含自然失效29件", None)),
    ("7件", spec.Unit.COUNT, (7, "number", "", None)),
    ("/", spec.Unit.COUNT, (None, "placeholder", "/", None)),
    ("——", spec.Unit.COUNT, (None, "placeholder", "——", None)),
    ("-", spec.Unit.COUNT, (None, "placeholder", "-", None)),
    ("无", spec.Unit.COUNT, (None, "placeholder", "无", None)),
    ("  ", spec.Unit.COUNT, (None, "blank", "", None)),
    ("0", spec.Unit.COUNT, (0, "number", "", None)),
])
def test_read_cell(raw, unit, want):
    assert read_cell(raw, unit) == want


def test_a_count_with_decimals_is_a_value_error(imported, tmp_path):
    report = imported["hangzhou-style-2025.html"]
    page = write(tmp_path / "bad.html", report_html(report, value_text=lambda f, v: "2.5" if f.path == ("requests", "new", "business") else plain(v)))
    back = import_report(page)
    assert back.report.values[("requests", "new", "business")] is None
    (p,) = back.problems
    assert (p.code, p.severity, p.sheet, p.cell, p.row_label, p.col_label, p.actual) == (
        "value-type", ERROR, TITLES["requests"], "", "一、本年新收政府信息公开申请数量", "商业企业", "2.5")
    assert p.message == "件数应为整数，实际为2.5（原文位置：第2个表格第4行第5列）"


# --- refusals ---------------------------------------------------------------------------------------------


def test_a_table_missing_is_refused_by_name(imported, tmp_path):
    page = report_html(imported["hangzhou-style-2025.html"]).decode("utf-8")
    start = page.index("<p>四、政府信息公开行政复议")
    end = page.index("</table>", start) + len("</table>")
    path = write(tmp_path / "缺表.html", (page[:start] + page[end:]).encode("utf-8"))
    with pytest.raises(InputError) as raised:
        import_report(path)
    assert raised.value.message == f"{path}：找不到表格“四、政府信息公开行政复议、行政诉讼情况”，未导入"


def test_not_a_report_is_refused(tmp_path):
    path = write(tmp_path / "通知.html", "<html><body><p>关于开展安全检查的通知</p><table><tr><td>时间</td><td>3</td></tr></table></body></html>".encode("utf-8"))
    with pytest.raises(InputError) as raised:
        import_report(path)
    assert raised.value.message == f"{path}：不是政府信息公开工作年度报告（找不到{spec.FORMAT_NAME}格式的三张表格），未导入"


def test_a_report_with_half_a_table_is_refused(imported, tmp_path):
    report = imported["hangzhou-style-2025.html"]
    page = report_html(report).decode("utf-8")
    rows = page.split("<tr>")
    # keep table B's header and first 8 rows only
    start = next(i for i, r in enumerate(rows) if "一、本年新收" in r)
    cut = [r for i, r in enumerate(rows) if not (start + 8 <= i < start + 25)]
    path = write(tmp_path / "half.html", "<tr>".join(cut).encode("utf-8"))
    with pytest.raises(InputError) as raised:
        import_report(path)
    assert raised.value.message == f"{path}：表格“三、收到和处理政府信息公开申请情况”不完整（175个数字中只读到56个），未导入"


def test_a_pdf_without_text_is_refused(tmp_path):
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>", b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path = write(tmp_path / "扫描件.pdf", bytes(out))
    with pytest.raises(InputError) as raised:
        import_report(path)
    assert raised.value.message == f"{path}：PDF 中没有文字层（可能是扫描件），无法读取"


@pytest.mark.parametrize("name, data, message", [
    ("x.pdf", b"<html>not a pdf</html>", "{path}：不是 PDF 文件（文件开头没有 %PDF 标记），无法读取"),
    ("x.docx", b"PK\x03\x04 broken", "{path}：文件已损坏（不是完整的 .docx 文件，可能没有下载或复制完整）"),
    ("x.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old word", "{path}：这是旧版 Word 文档（.doc），无法读取"),
    ("x.html", b"%PDF-1.4 ...", "{path}：文件名是 .html，内容却是PDF 文件，无法读取"),
    ("x.txt", b"", "{path}：文件是空的（0 字节）"),
])
def test_broken_inputs_are_refused(tmp_path, name, data, message):
    path = write(tmp_path / name, data)
    with pytest.raises(InputError) as raised:
        import_report(path)
    assert raised.value.message == message.format(path=path)


def test_a_workbook_renamed_docx_is_named(tmp_path, blank_workbook):
    path = write(tmp_path / "x.docx", blank_workbook.read_bytes())
    with pytest.raises(InputError) as raised:
        import_report(path)
    assert raised.value.message == f"{path}：这是 Excel 工作簿，不是 Word 文档"


# --- checking a published report -------------------------------------------------------------------------


def test_check_places_problems_by_table_and_labels(tmp_path):
    report = import_report(DATA / "hangzhou-style-2025.html").report
    report.values[("requests", "closed_total", "natural_person")] += 1  # a published total that does not add up
    page = write(tmp_path / "r.html", report_html(report))
    checked = api.check_file(page)
    assert checked.kind == "html"
    got = [(p.code, p.sheet, p.cell, p.cells, p.row_label, p.col_label, p.expected, p.actual) for p in checked.problems]
    assert got == [
        ("requests-balance", TITLES["requests"], "", (), "（七）总计", "自然人", "一+二=14147", "（七）+四=14148"),
        ("requests-closed-total", TITLES["requests"], "", (), "（七）总计", "自然人", "13364", "13365"),
        ("requests-row-total", TITLES["requests"], "", (), "（七）总计", "总计", "13811", "13810"),
    ]


def test_fee_rules_stay_quiet_where_fees_are_not_published(imported):
    report = imported["06-huaian-shi-2024.txt"]
    assert report.values[("requests", "other_fee_unpaid", "total")] == 6  # would want a fee notice
    assert all(report.values[f.path] is None for f in spec.FEE_FIELDS)  # 06 gives only the amount collected
    checked = api.check_file(DATA / "06-huaian-shi-2024.txt")
    assert [p.code for p in checked.problems] == ["import-uncertain"]


def test_fee_figures_are_read_where_the_prose_gives_all_three(imported):
    report = imported["shangyou-commerce-2024.txt"]
    assert [report.values[f.path] for f in spec.FEE_FIELDS] == [0, Decimal(0), Decimal(0)]


def test_cli_check_published_report(tmp_path, imported):
    result = run("check", DATA / "07-hongze-qu-2023.txt", "--json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    (f,) = doc["files"]
    assert (f["agency"], f["year"], f["errors"], f["warnings"]) == ("洪泽区人民政府", 2023, 2, 2)
    assert {p["sheet"] for p in f["problems"]} == {TITLES["requests"], TITLES["appeals"]}
    assert all(p["cell"] == "" and p["cells"] == [] for p in f["problems"])
    clean = run("check", write(tmp_path / "hz.html", report_html(imported["hangzhou-style-2025.html"])))
    assert clean.exit_code == 0, clean.output
    assert "检查通过：没有发现问题。" in clean.stdout
    old = run("check", DATA / "missing.pdf")
    assert old.exit_code == 2
    assert old.stderr.strip() == f"错误：{DATA / 'missing.pdf'}：文件不存在（请检查文件名和路径）"


def test_cli_check_annotate_published_report(tmp_path):
    out = tmp_path / "标注.xlsx"
    result = run("check", DATA / "07-hongze-qu-2023.txt", "--annotate", out)
    assert result.exit_code == 1
    assert out.exists()
    back = api.load(out).report
    assert back.values[("appeals", "review", "upheld")] == 10


# --- the import command ---------------------------------------------------------------------------------


def test_cli_import_to_stdout_json_and_workbook(tmp_path):
    src = DATA / "hangzhou-style-2025.html"
    result = run("import", src)
    assert result.exit_code == 0, result.output
    report = model.from_json(result.stdout)
    assert report.values[("requests", "new", "total")] == 14069
    out = tmp_path / "hz.json"
    result = run("import", src, "-o", out)
    assert result.exit_code == 0
    assert result.stderr.strip() == f"已导入：{out}（0 个提醒，0 个错误）"
    assert model.equal(model.load_json_file(out), report)
    book = tmp_path / "hz.xlsx"
    assert run("import", src, "-o", book).exit_code == 0
    checked = api.check_file(book)
    assert checked.errors == 0
    assert model.to_dict(checked.report)["requests"] == model.to_dict(report)["requests"]
    again = run("import", src, "-o", book)
    assert again.exit_code == 2
    assert again.stderr.strip() == f"错误：{book}：文件已存在，未覆盖（如需覆盖请加 --force）"
    assert run("import", src, "-o", book, "--force").exit_code == 0


def test_cli_import_warnings_and_refusals(tmp_path):
    result = run("import", DATA / "07-hongze-qu-2023.txt", "-o", tmp_path / "07.json")
    assert result.exit_code == 0
    lines = result.stderr.strip().split("\n")
    assert lines[-1] == f"已导入：{tmp_path / '07.json'}（2 个提醒，0 个错误）"
    assert lines[1] == ("提醒：三、收到和处理政府信息公开申请情况（（六）其他处理）：“（六）其他处理”只印了一行，没有1—3项（旧格式的写法）："
                        "这一行的数字（0 0 0 0 0 0 0）无法分到各项，各项按未公开处理（原文位置：第101行）")
    bad = run("import", DATA / "07-hongze-qu-2023.txt", "-o", tmp_path / "07.txt")
    assert bad.exit_code == 2
    assert bad.stderr.strip() == f"错误：{tmp_path / '07.txt'}：输出文件应以 .json 或 .xlsx 结尾"
    kind = run("import", DATA / "07-hongze-qu-2023.json")
    assert kind.exit_code == 2
    assert kind.stderr.strip() == f"错误：{DATA / '07-hongze-qu-2023.json'}：不支持的文件类型“.json”（可导入 .html、.htm、.docx、.pdf、.txt）"


def test_cli_import_exit_1_on_a_value_error(tmp_path, imported):
    report = imported["hangzhou-style-2025.html"]
    page = write(tmp_path / "neg.html", report_html(report, value_text=lambda f, v: "-3" if f.path == ("active", "coercion") else plain(v)))
    result = run("import", page, "-o", tmp_path / "neg.json")
    assert result.exit_code == 1
    assert "错误：二、主动公开政府信息情况（行政强制 / 本年处理决定数量）：不能为负数（-3）（原文位置：第1个表格第11行第2列）" in result.stderr


# --- the pieces --------------------------------------------------------------------------------------------


def test_expand_rowspan_colspan():
    rows = [[("a", 2, 1), ("b", 1, 2)], [("c", 1, 1), ("d", 1, 1)], [("e", 1, 3)]]
    assert expand(rows) == [["a", "b", "b"], ["a", "c", "d"], ["e", "e", "e"]]


def test_table_rows_follow_the_spec_merges(imported):
    rows = table_rows(spec.TABLE_BY_KEY["requests"], imported["hangzhou-style-2025.html"])
    assert rows[0][0] == (spec.REQUESTS_BALANCE_NOTE, 3, 3)
    assert ("三、本年度办理结果", 22, 1) in rows[5]
    assert "<td rowspan=\"8\">（三）不予公开</td>" in html_table(rows)


@pytest.mark.parametrize("text, key", [
    ("一、总体情况", "overview"),
    ("二、主动公开政府信息情况", "active"),
    ("三、收到和处理政府信息公开申请情况", "requests"),
    ("四、政府信息公开行政复议、行政诉讼情况", "appeals"),
    ("五、存在的主要问题及改进情况", "problems"),
    ("五、存在问题及改进情况", "problems"),
    ("五、政府信息公开工作存在的主要问题及改进情况", "problems"),
    ("六、其他需要报告的事项", "other"),
    ("四、结转下年度继续办理 103 0 0 0 0 0 103", None),
    ("三、本年度办理结果", None),
    ("一、本年新收政府信息公开申请数量", None),
    ("三、", None),
])
def test_section_headings(text, key):
    assert section_heading(text) == key


@pytest.mark.parametrize("label, key, exact", [
    ("2.其他法律行政止公开", "withheld_prohibited_by_law", True),
    ("2、其他法律行政法规禁止公开", "withheld_prohibited_by_law", True),
    ("（二）部分公开", "partly_granted", True),
    ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "partly_granted", True),
    ("1.申请人无正当理由逾期不补正、行政机关不再处理", "other_no_correction", False),
    ("5.要求行政机关确认或重新出具已获取的信息", "declined_confirmation", False),
    ("（六）其他处理", "group:（六）其他处理", True),
])
def test_request_labels(label, key, exact):
    from xlreport.format.locate import norm_text

    row, got_exact = match_label(norm_text(label), "requests")
    assert (row.key, got_exact) == (key, exact)


def test_partial_group_label_is_no_row():
    from xlreport.format.locate import norm_text

    assert match_label(norm_text("（六）其"), "requests", whole=False) == (None, False)
    assert match_label(norm_text("（三）不"), "requests", whole=False) == (None, False)


def test_split_values():
    assert split_values("规章 1 0 11") == ("规章", ["1", "0", "11"])
    assert split_values("（四）无 1.本机关不掌握相关政府信息 746 12 0 0 10 1 769") == ("（四）无 1.本机关不掌握相关政府信息", ["746", "12", "0", "0", "10", "1", "769"])
    assert split_values("行政事业性收费 96171.6") == ("行政事业性收费", ["96171.6"])
    assert split_values("计其他情形）") == ("计其他情形）", [])
    assert split_values("无") == ("无", [])


def test_paragraphs_from_wrapped_lines():
    lines = [(f"第{i}行", t) for i, t in enumerate([
        "一、总体情况",
        "2024 年，我市坚持以习近平新时代中国特色社会主义思想为",
        "指导，认真学习宣传贯彻党的二十大精神，圆满完成了各项任",
        "务。",
        "- 1 -",
        "（一）主动公开情况。2024 年，市政府网站主动公开各类政",
        "府信息 5500 余条。",
    ] * 3, 1)]
    paras = [t for _, t in paragraphs_from_lines(lines)]
    assert paras[:3] == [
        "一、总体情况",
        "2024年，我市坚持以习近平新时代中国特色社会主义思想为指导，认真学习宣传贯彻党的二十大精神，圆满完成了各项任务。",
        "（一）主动公开情况。2024年，市政府网站主动公开各类政府信息5500余条。",
    ]


def test_clean_prose_and_headings():
    assert clean_prose("号 ， 邮 编 ： 223100 ， 电 话") == "号，邮编：223100，电话"
    assert clean_prose("see http://www.a.gov.cn  now") == "see http://www.a.gov.cn now"
    assert split_heading("主动公开情况。2024年，市政府") == ("主动公开情况", "2024年，市政府")
    assert split_heading("政府信息管理情况。") == ("政府信息管理情况", "")
    assert split_heading("加强组织领导，完善工作机制，明确责任分工，细化工作任务，确保各项工作落到实处，取得实效") is None


def test_decode_pages():
    assert decode("<meta charset=gb2312>年度报告".encode("gbk")) == "<meta charset=gb2312>年度报告"
    assert decode("\ufeff年度报告".encode("utf-8")) == "年度报告"
    assert decode("年度报告".encode("gb18030")) == "年度报告"


def test_norm_label_covers_the_published_spellings():
    assert norm_label("（二）部分公开") == norm_label("(二)部分公开")
    assert norm_label("3、危及\"三安全一稳定\"") == norm_label("3.危及“三安全一稳定”")
    assert norm_label("信息\n内容") == "信息内容"


def test_a_label_close_to_the_official_one_is_read_with_a_warning(imported, tmp_path):
    report = imported["hangzhou-style-2025.html"]
    official = "5.要求行政机关确认或重新出具已获取信息"
    page = write(tmp_path / "guess.html", report_html(report, label_text=lambda t: "5.要求行政机关确认或重新出具已获取的信息" if t == official else t))
    back = import_report(page)
    assert model.to_dict(back.report) == model.to_dict(report)
    assert [(p.code, p.sheet, p.row_label, p.message) for p in back.problems] == [
        ("import-uncertain", TITLES["requests"], "（五）不予处理" + official,
         f"行标签“5.要求行政机关确认或重新出具已获取的信息”与官方格式不完全一致，已按“（五）不予处理{official}”读取（原文位置：第2个表格第23行第3列）"),
    ]


def test_tables_without_their_section_headings_are_found_by_their_first_lines(imported, tmp_path):
    lines = (DATA / "06-huaian-shi-2024.txt").read_text(encoding="utf-8").split("\n")
    headings = {TITLES["active"], TITLES["requests"], TITLES["appeals"]}
    path = tmp_path / "no-headings.txt"
    path.write_text("\n".join(line for line in lines if line not in headings), encoding="utf-8")
    back = import_report(path)
    assert model.to_dict(back.report) == model.to_dict(imported["06-huaian-shi-2024.txt"])


def test_a_row_printed_blank_is_one_warning(imported, tmp_path):
    report = imported["hangzhou-style-2025.html"]
    page = write(tmp_path / "blank.html", report_html(report, value_text=lambda f, v: "" if f.path[:2] == ("requests", "declined_publication") else plain(v)))
    (p,) = import_report(page).problems
    assert (p.row_label, p.col_label, p.message) == (
        "（五）不予处理3.要求提供公开出版物", "自然人、商业企业、科研机构、社会公益组织、法律服务机构、其他、总计",
        "整行为空白，不是数字：未按0计，按未公开处理（原文位置：第2个表格第21行第4列）")
