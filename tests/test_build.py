"""`xlreport build` and `xlreport template`: the Word report holds the right text and numbers."""

from __future__ import annotations

import random
import re
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from xlreport import model

from xlreport.word import fonts, render

from xlreport.format import spec
from xlreport.cli import cli
from xlreport.word.template import build_template
from xlreport.word.resources import default_template
from xlreport.xlsx.writer import write_workbook

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_WORKBOOK = REPO / "examples" / "shangyou-commerce-2024.xlsx"
EXAMPLE_JSON = REPO / "examples" / "shangyou-commerce-2024.json"
REFERENCE = Path(__file__).resolve().parent / "data" / "shangyou-commerce-2024.txt"
FIRST_TABLE_HEADING = spec.SECTION_TITLES["active"]
AFTER_TABLES_HEADING = spec.SECTION_TITLES["problems"]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def reference_parts() -> tuple[list[str], list[str]]:
    """The reference report's paragraphs (outside the tables) and its table numbers, in order."""
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, l in enumerate(lines) if l.strip() == FIRST_TABLE_HEADING)
    end = next(i for i, l in enumerate(lines) if l.strip() == AFTER_TABLES_HEADING)
    paragraphs = [l.strip() for l in lines[:start] + lines[end:] if l.strip()]
    paragraphs += [l.strip() for l in lines[start:end] if l.strip() in spec.SECTION_TITLES.values()]
    numbers = [l.strip() for l in lines[start:end] if re.fullmatch(r"[0-9.]+", l.strip())]
    return paragraphs, numbers


def unique_cells(table):
    """Row-major cells of a python-docx table, each merged cell once."""
    seen, out = set(), []
    for row in table.rows:
        for cell in row.cells:
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                out.append(cell)
    return out


@pytest.fixture(scope="module")
def example_docx(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "report.docx"
    result = CliRunner().invoke(cli, ["build", str(EXAMPLE_WORKBOOK), "-o", str(out)])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout == f"已生成：{out}\n"
    return out


def test_example_contains_every_reference_paragraph(example_docx):
    paragraphs, _ = reference_parts()
    built = {squash(p.text) for p in docx.Document(str(example_docx)).paragraphs}
    missing = [p for p in paragraphs if squash(p) not in built]
    assert missing == []
    assert len(paragraphs) == 38  # titles, preamble, prose, closing and the six section headings


def test_example_tables_hold_the_reference_numbers_in_order(example_docx):
    _, numbers = reference_parts()
    document = docx.Document(str(example_docx))
    assert len(document.tables) == 3
    built = [c.text for t in document.tables for c in unique_cells(t) if re.fullmatch(r"[0-9.]+", c.text)]
    assert built == numbers
    assert len(numbers) == 10 + 25 * 7 + 15


@pytest.mark.parametrize("table", spec.TABLES, ids=lambda t: t.key)
def test_tables_have_the_official_labels_and_merges(example_docx, table):
    document = docx.Document(str(example_docx))
    t = document.tables[spec.TABLES.index(table)]
    assert len(t.rows) == table.height - 1
    assert len(t.columns) == table.width
    for label in table.labels:
        if label.kind == "title" and label.row == 0:
            continue
        top = t.cell(label.row - 1, label.col)
        assert top.text == label.text
        for r in range(label.row, label.r2 + 1):
            for c in range(label.col, label.c2 + 1):
                assert t.cell(r - 1, c)._tc is top._tc, (label.text, r, c)
        # the span ends where the spec says
        if label.c2 + 1 < table.width:
            assert t.cell(label.row - 1, label.c2 + 1)._tc is not top._tc
        if label.r2 + 1 < table.height:
            assert t.cell(label.r2, label.col)._tc is not top._tc


def random_report(seed: int) -> model.Report:
    rng = random.Random(seed)
    report = model.Report()
    report.meta.update(agency="测试县某某局", year=2024)
    for f in spec.INPUT_FIELDS:
        if f.unit is spec.Unit.COUNT:
            report.values[f.path] = rng.randint(0, 5000)
        else:
            report.values[f.path] = Decimal(rng.randint(0, 10**7)) / Decimal(10 ** rng.randint(0, 6))
    for col, _ in spec.REQUEST_COLUMNS[:-1]:
        report.values[("requests", "carried_forward", col)] = None
    report = report.with_totals()
    for col, _ in spec.REQUEST_COLUMNS[:-1]:
        # make the balance rule hold: 四 = 一 + 二 − （七） (raise 一 when needed)
        closed = report.computed(("requests", "closed_total", col))
        new = report.values[("requests", "new", col)]
        if new + report.values[("requests", "carried_over", col)] < closed:
            report.values[("requests", "new", col)] = closed
        report.values[("requests", "carried_forward", col)] = (
            report.values[("requests", "new", col)] + report.values[("requests", "carried_over", col)] - closed
        )
    report.values[("fees", "collected")] = report.values[("fees", "notice_amount")]
    report.values[("fees", "notices")] = max(1, report.values[("fees", "notices")])
    return report.with_totals()


@pytest.mark.parametrize("seed", range(4))
def test_random_report_numbers_land_in_their_cells(tmp_path, seed):
    report = random_report(seed)
    source = tmp_path / "in.xlsx"
    write_workbook(source, report)
    out = tmp_path / "out.docx"
    result = CliRunner().invoke(cli, ["build", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    tables = docx.Document(str(out)).tables
    for f in spec.FIELDS:
        if f.table == "fees":
            continue
        t = tables[[t.key for t in spec.TABLES].index(f.table)]
        assert t.cell(f.row - 1, f.col).text == render.fmt_number(report.computed(f.path)), f.key


def test_default_output_name_beside_the_input(tmp_path):
    source = tmp_path / "填好的.xlsx"
    shutil.copyfile(EXAMPLE_WORKBOOK, source)
    result = CliRunner().invoke(cli, ["build", str(source)])
    expected = tmp_path / "上犹县商务局2024年政府信息公开工作年度报告.docx"
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"已生成：{expected}\n"
    assert expected.is_file()
    again = CliRunner().invoke(cli, ["build", str(source)])
    assert again.exit_code == 2
    assert again.stderr == f"错误：{expected}：文件已存在，未覆盖（如需覆盖请加 --force）\n"


def broken_workbook(tmp_path) -> Path:
    report = model.load_json_file(EXAMPLE_JSON)
    report.values[("requests", "new", "natural_person")] = 3  # 一 + 二 ≠ （七） + 四 now
    path = tmp_path / "broken.xlsx"
    write_workbook(path, report)
    return path


def test_errors_stop_the_build(tmp_path):
    source = broken_workbook(tmp_path)
    out = tmp_path / "out.docx"
    result = CliRunner().invoke(cli, ["build", str(source), "-o", str(out)])
    assert result.exit_code == 1
    assert not out.exists()
    assert "requests-balance" not in result.stderr  # users see Chinese, not codes
    lines = result.stderr.splitlines()
    assert lines[0] == "【三、依申请公开】"
    assert lines[3].startswith("错误  三、依申请公开!D28  （七）总计 / 自然人")
    assert "发现 2 个错误、0 个提醒。请按“应为”一栏修改后重新检查。" in lines
    assert result.stderr.rstrip().endswith("存在错误，未生成报告。请修改后重试，或加 --allow-errors 带着错误生成。")
    assert list(tmp_path.iterdir()) == [source]


def test_allow_errors_builds_anyway_and_says_so(tmp_path):
    source = broken_workbook(tmp_path)
    out = tmp_path / "out.docx"
    forced = CliRunner().invoke(cli, ["build", str(source), "-o", str(out), "--force"])  # --force only overwrites
    assert forced.exit_code == 1 and not out.exists()
    result = CliRunner().invoke(cli, ["build", str(source), "-o", str(out), "--allow-errors"])
    assert result.exit_code == 0
    assert "提醒：报告中有 2 个错误，已按 --allow-errors 生成。" in result.stderr
    tables = docx.Document(str(out)).tables
    cell = spec.FIELD_BY_PATH[("requests", "new", "natural_person")]
    assert tables[1].cell(cell.row - 1, cell.col).text == "3"


NASTY = "A&B <C> \"引号\" '单引号' {{ meta.agency }} {% if true %}X{% endif %} ]]> &amp;"


def test_text_comes_out_literally(tmp_path):
    report = model.load_json_file(EXAMPLE_JSON)
    report.meta["agency"] = "测试&局<1>"
    report.meta["office"] = NASTY
    report.text.overview.intro = [NASTY]
    report.text.problems.items[0].paragraphs = ["长" * 20000]
    report.text.other.items[0].heading = NASTY
    source = tmp_path / "nasty.json"
    source.write_text(model.to_json(report), encoding="utf-8")
    out = tmp_path / "out.docx"
    result = CliRunner().invoke(cli, ["build", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    texts = [p.text for p in docx.Document(str(out)).paragraphs]
    assert texts[0] == "测试&局<1>"
    assert NASTY in texts
    assert "长" * 20000 in texts
    assert "（二）" + NASTY in texts
    assert any(f"请与测试&局<1>{NASTY}联系" in t for t in texts)


def test_generated_fee_and_closing_paragraphs(tmp_path):
    report = model.load_json_file(EXAMPLE_JSON)
    report.text.fee_note.paragraphs = []
    report.text.closing = []
    report.values[("fees", "notices")] = 2
    report.values[("fees", "notice_amount")] = Decimal("150.5")
    report.values[("fees", "collected")] = Decimal("100")
    ctx = render.context(report)
    fee_item = ctx["text"]["other"]["subsections"][0]
    assert fee_item["number"] == "（一）"
    assert fee_item["paragraphs"] == ["2024年度，本机关发出信息处理费收费通知2件，收费通知总金额150.5元，实际收取总金额100元。"]
    reference_closing = REFERENCE.read_text(encoding="utf-8").strip().splitlines()[-1].strip()
    assert ctx["text"]["closing"] == [reference_closing]  # the example's closing is generated from its meta


def test_empty_subsections_are_left_out_and_numbering_stays_right():
    report = model.load_json_file(EXAMPLE_JSON)
    report.text.overview.items[1].paragraphs = []
    subs = render.context(report)["text"]["overview"]["subsections"]
    assert [(s["number"], s["heading"]) for s in subs] == [
        ("（一）", "主动公开情况"), ("（二）", "政府信息管理情况"), ("（三）", "政府信息公开平台建设情况"), ("（四）", "监督保障情况"),
    ]


def test_committed_template_is_what_the_spec_generates(tmp_path):
    fresh = build_template(tmp_path / "fresh.docx")
    with zipfile.ZipFile(default_template()) as a, zipfile.ZipFile(fresh) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        for name in a.namelist():
            assert a.read(name) == b.read(name), name


def test_template_command_writes_the_default_template(tmp_path):
    out = tmp_path / "模板.docx"
    result = CliRunner().invoke(cli, ["template", "-o", str(out)])
    assert result.exit_code == 0
    assert result.stdout == f"已导出模板：{out}\n"
    assert out.read_bytes() == default_template().read_bytes()


def test_custom_template_with_unknown_placeholder(tmp_path):
    custom = tmp_path / "custom.docx"
    with zipfile.ZipFile(default_template()) as src, zipfile.ZipFile(custom, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace("{{ meta.agency }}".encode(), "{{ meta.agency }}{{ n.requests.bogus.total }}".encode(), 1)
            dst.writestr(item, data)
    out = tmp_path / "out.docx"
    result = CliRunner().invoke(cli, ["build", str(EXAMPLE_JSON), "-o", str(out), "--template", str(custom)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"错误：{custom}：模板中的占位符“{{{{ n.requests.bogus.total }}}}”在报告数据中不存在（“n.requests.bogus”无此项），"
        "位置：正文第1段（可用的占位符见 xlreport template 生成的默认模板）\n"
    )
    assert not out.exists()


def test_template_that_is_not_a_docx(tmp_path):
    custom = tmp_path / "custom.docx"
    custom.write_text("not a docx", encoding="utf-8")
    out = tmp_path / "out.docx"
    result = CliRunner().invoke(cli, ["build", str(EXAMPLE_JSON), "-o", str(out), "--template", str(custom)])
    assert result.exit_code == 2
    assert result.stderr == f"错误：{custom}：不是 Word 文档（.docx）模板，或文件已损坏\n"
    assert not out.exists()


@pytest.mark.libreoffice
def test_pdf_conversion(tmp_path, soffice):
    source = tmp_path / "nasty.json"
    report = model.load_json_file(EXAMPLE_JSON)
    report.text.overview.intro = [NASTY]
    source.write_text(model.to_json(report), encoding="utf-8")
    out = tmp_path / "out.docx"
    result = CliRunner().invoke(cli, ["build", str(source), "-o", str(out), "--pdf"])
    assert result.exit_code == 0, result.stderr
    pdf = out.with_suffix(".pdf")
    assert result.stdout == f"已生成：{out}\n已生成：{pdf}\n"
    if fonts.substitutions():
        assert "（本机没有该字体）" in result.stderr
    assert pdf.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftotext"):
        import subprocess

        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "上犹县商务局" in squash(text)
        assert squash("A&B <C>") in squash(text)


def test_pdf_without_libreoffice(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "find_soffice", lambda: None)
    out = tmp_path / "out.docx"
    result = CliRunner().invoke(cli, ["build", str(EXAMPLE_JSON), "-o", str(out), "--pdf"])
    assert result.exit_code == 2
    assert result.stderr == "错误：未找到 LibreOffice，无法生成 PDF（安装 LibreOffice 后重试，或在 WPS/Word 中打开 .docx 另存为 PDF）\n"
    assert out.exists()  # the docx is there; only the PDF could not be made


def test_the_report_is_dated_when_built_and_signed_by_the_agency(example_docx):
    import datetime

    props = docx.Document(str(example_docx)).core_properties
    now = datetime.datetime.now(datetime.timezone.utc)
    created = props.created.replace(tzinfo=datetime.timezone.utc)  # W3CDTF in UTC, however python-docx hands it over
    assert abs((now - created).total_seconds()) < 3600 and props.modified == props.created
    assert props.author == "上犹县商务局"
    assert props.last_modified_by == "xlreport"


def test_the_template_speaks_simplified_chinese():
    """zh-CN, not python-docx's ja-JP, in the settings and on every style; the theme names the
    East Asian fonts (an empty one lets a renderer pick Japanese glyph forms)."""
    with zipfile.ZipFile(default_template()) as z:
        settings, styles, theme = (z.read(n).decode("utf-8") for n in ("word/settings.xml", "word/styles.xml", "word/theme/theme1.xml"))
    assert re.search(r'<w:themeFontLang w:val="en-US" w:eastAsia="zh-CN"/>', settings)
    assert "ja-JP" not in settings + styles
    assert re.search(r'<a:majorFont>.*?<a:ea typeface="黑体"', theme, re.S)
    assert re.search(r'<a:minorFont>.*?<a:ea typeface="仿宋_GB2312"', theme, re.S)
    for style in docx.Document(str(default_template())).styles:
        if style.type == 1 and style.name in ("报告正文", "一级标题", "二级标题", "报告标题", "表格文字"):
            lang = style.element.rPr.find(docx.oxml.ns.qn("w:lang"))
            assert lang.get(docx.oxml.ns.qn("w:eastAsia")) == "zh-CN", style.name


@pytest.mark.parametrize("table", spec.TABLES, ids=lambda t: t.key)
def test_table_headers_bold_repeated_and_no_row_split(example_docx, table):
    qn = docx.oxml.ns.qn
    (word,) = [t for i, t in enumerate(docx.Document(str(example_docx)).tables) if spec.TABLES[i] is table]
    header_rows = table.header_rows - 1  # the sheet's title row is not in the Word table
    for r, row in enumerate(word.rows):
        tr_pr = row._tr.trPr
        assert tr_pr is not None and tr_pr.find(qn("w:cantSplit")) is not None, r
        assert (tr_pr.find(qn("w:tblHeader")) is not None) == (r < header_rows), r
    headers = {label.text for label in table.labels if label.kind == "header"}
    runs = [run for row in word.rows[:header_rows] for cell in row.cells for p in cell.paragraphs for run in p.runs
            if run.text.strip() in headers]
    assert runs and all(run.bold for run in runs)


# --- a template of one's own that leaves something out -------------------------------------------


def own_template(tmp_path, edit) -> Path:
    from factories import patch_zip

    out = tmp_path / "我的模板.docx"
    shutil.copyfile(default_template(), out)
    return patch_zip(out, {"word/document.xml": lambda xml: edit(xml.decode("utf-8")).encode("utf-8")})


def build_with(tmp_path, template):
    out = tmp_path / "报告.docx"
    return CliRunner().invoke(cli, ["build", str(EXAMPLE_WORKBOOK), "-o", str(out), "--template", str(template)]), out


def test_a_template_missing_one_cell_of_table_three_is_refused_naming_it(tmp_path):
    template = own_template(tmp_path, lambda xml: xml.replace("{{ n.requests.new.business }}", ""))
    result, out = build_with(tmp_path, template)
    assert result.exit_code == 2
    assert result.stderr == (f"错误：{template}：模板缺少数字的占位符：三、收到和处理政府信息公开申请情况：一、本年新收政府信息公开申请数量 / 商业企业"
                             "（{{ n.requests.new.business }}），报告中这些格会是空的（请对照 xlreport template 导出的默认模板补上）\n")
    assert not out.exists()


def test_a_template_without_the_tables_or_without_any_placeholder_is_refused(tmp_path):
    no_numbers = own_template(tmp_path, lambda xml: re.sub(r"\{\{ n\.[a-z_.]+ \}\}", "", xml))
    result, _ = build_with(tmp_path, no_numbers)
    assert (result.exit_code, result.stderr) == (2, f"错误：{no_numbers}：模板中没有三张表（表二、表三、表四的数字占位符一个也没有）"
                                                    "（请从 xlreport template 导出的默认模板改起，保留三张表）\n")
    bare = tmp_path / "空白.docx"
    doc = docx.Document()
    doc.add_paragraph("政府信息公开工作年度报告")
    doc.save(bare)
    result, _ = build_with(tmp_path, bare)
    assert (result.exit_code, result.stderr) == (2, f"错误：{bare}：模板中没有任何占位符，生成的报告不会有数字和正文"
                                                    "（请从 xlreport template 导出的默认模板改起，保留其中的 {{ }} 和 {% %}）\n")


def test_a_template_without_the_agency_builds_with_a_reminder(tmp_path):
    template = own_template(tmp_path, lambda xml: xml.replace("{{ meta.agency }}", "某某局"))
    result, out = build_with(tmp_path, template)
    assert result.exit_code == 0
    assert result.stderr == f"提醒：{template}：模板中没有“机关名称”的占位符（{{{{ meta.agency }}}}），报告中不会出现这部分\n"
    assert out.exists()


def test_an_empty_required_section_shows_in_the_report_and_in_check(tmp_path):
    """一、总体情况 left empty: check reminds of it, the report says so where the text would be."""
    report = model.load_json_file(EXAMPLE_JSON)
    report.text.overview = model.Section([], [])
    source = tmp_path / "空.json"
    source.write_text(model.to_json(report), encoding="utf-8")
    checked = CliRunner().invoke(cli, ["check", str(source), "--json"])
    import json

    codes = [p["code"] for p in json.loads(checked.stdout)["files"][0]["problems"]]
    assert "text-empty-section" in codes
    out = tmp_path / "报告.docx"
    assert CliRunner().invoke(cli, ["build", str(source), "-o", str(out)]).exit_code == 0
    paragraphs = [p.text for p in docx.Document(str(out)).paragraphs]
    heading = paragraphs.index(spec.SECTION_TITLES["overview"])
    assert paragraphs[heading + 1] == render.EMPTY_SECTION
    assert paragraphs.count(render.EMPTY_SECTION) == 1  # 五 has its text


def test_an_agency_name_longer_than_a_document_property_holds_still_builds(tmp_path):
    """check passes a 300-character agency name; build must too: the docx author property keeps
    255 characters, the report's text the whole name."""
    import json

    name = "某某" * 150
    data = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))
    data["meta"]["agency"] = name
    source = tmp_path / "长名.json"
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "长名.docx"
    result = CliRunner().invoke(cli, ["build", str(source), "-o", str(out)])
    assert (result.exit_code, result.stderr) == (0, "")
    document = docx.Document(str(out))
    assert document.core_properties.author == name[:255]
    assert any(name in p.text for p in document.paragraphs)
