"""`xlreport build --template`: a Word template is code from a stranger.

Each hostile template below is the default template with one part edited (zipfile) or one part
added. Every one is refused before anything renders: exit 2, one Chinese line naming the file,
the text refused and where it stands; no output, no temporary file, the template untouched, and
the payload's marker file never created.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import docx
import jinja2
import pytest
from click.testing import CliRunner
from jinja2 import nodes

from xlreport import model

from xlreport.word import render

from xlreport.word import template_file

from xlreport.word import template_policy
from xlreport.cli import cli
from xlreport.word.resources import default_template
from xlreport.word.template_policy import PolicyEnvironment, Refused

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_JSON = REPO / "examples" / "shangyou-commerce-2024.json"
FIRST_PLACEHOLDER = "{{ meta.agency }}"  # the body's first paragraph
MARKER = "pwned"  # what a payload tries to create in tmp_path
UNKNOWN_HINT = "（可用的占位符见 xlreport template 生成的默认模板）"
LIMIT_HINT = "（文件可能已损坏或是伪造的（如压缩炸弹）；请向报送单位索取原文件）"

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
CT = "application/vnd.openxmlformats-officedocument.wordprocessingml."


# --- building templates ---------------------------------------------------------------------------


def template_with(tmp_path, edits=None, parts=None, name="模板.docx") -> Path:
    """The default template with some parts edited (part -> (old, new): the first ``old``
    replaced) and some added (part name -> (relationship type, content type, XML)), linked from
    the document's relationships."""
    edits = dict(edits or {})
    parts = parts or {}
    for i, (part, (rel_type, content_type, _)) in enumerate(parts.items()):
        target = part.removeprefix("word/")
        edits.setdefault("word/_rels/document.xml.rels", ("</Relationships>", ""))
        old, new = edits["word/_rels/document.xml.rels"]
        edits["word/_rels/document.xml.rels"] = (old, new + f'<Relationship Id="rIdX{i}" Type="{REL}{rel_type}" Target="{target}"/>')
        old, new = edits.get("[Content_Types].xml", ("</Types>", ""))
        edits["[Content_Types].xml"] = (old, new + f'<Override PartName="/{part}" ContentType="{CT}{content_type}"/>')
    for key in ("word/_rels/document.xml.rels", "[Content_Types].xml"):
        if key in edits and edits[key][0] in ("</Relationships>", "</Types>"):
            old, new = edits[key]
            edits[key] = (old, new + old)
    path = tmp_path / name
    with zipfile.ZipFile(default_template()) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename in edits:
                old, new = edits[item.filename]
                assert old.encode() in data, (item.filename, old)
                data = data.replace(old.encode(), new.encode(), 1)
            dst.writestr(item, data)
        for part, (_, _, xml) in parts.items():
            dst.writestr(part, xml)
    return path


def in_body(tmp_path, payload: str, old: str = FIRST_PLACEHOLDER) -> Path:
    return template_with(tmp_path, {"word/document.xml": (old, escape(payload))})


def paragraphs(*texts: str) -> str:
    return "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{escape(t)}</w:t></w:r></w:p>" for t in texts)


def header(payload: str) -> dict:
    return {"word/header7.xml": ("header", "header+xml", f'<w:hdr xmlns:w="{W}">{paragraphs(payload)}</w:hdr>')}


def evil_footer(payload: str) -> dict:
    return {"word/evil-footer.xml": ("footer", "footer+xml", f'<w:ftr xmlns:w="{W}">{paragraphs(payload)}</w:ftr>')}


def footnotes(payload: str) -> dict:
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<w:footnotes xmlns:w="{W}">'
           '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
           '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>'
           f'<w:footnote w:id="1">{paragraphs(payload)}</w:footnote></w:footnotes>')
    return {"word/footnotes.xml": ("footnotes", "footnotes+xml", xml)}


def titled(payload: str) -> dict:
    return {"docProps/core.xml": ("<dc:title>政府信息公开工作年度报告</dc:title>", f"<dc:title>{escape(payload)}</dc:title>")}


def popen(tmp_path) -> str:
    return f"{{{{ (cycler).__init__.__globals__.os.popen('touch {tmp_path / MARKER}').read() }}}}"


def opener(tmp_path) -> str:
    return f"{{{{ cycler.__init__.__globals__.__builtins__.open('{tmp_path / MARKER}', 'w').write('x') }}}}"


# --- running them ---------------------------------------------------------------------------------


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_refused(tmp_path, template: Path, tail: str, *, regular: bool = True) -> None:
    """`xlreport build --template` says ``<template>：<tail>`` on one line, exit 2, and leaves
    nothing behind."""
    out_dir = tmp_path / "out"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / "报告.docx"
    before = digest(template) if regular else None
    result = CliRunner().invoke(cli, ["build", str(EXAMPLE_JSON), "-o", str(out), "--template", str(template)])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"错误：{template}：{tail}\n"
    assert result.stdout == ""
    assert not out.exists()
    assert [p.name for p in out_dir.iterdir() if p.name.startswith(".~xlreport-")] == []
    assert list(out_dir.iterdir()) == []
    if regular:
        assert digest(template) == before
    assert not (tmp_path / MARKER).exists()


def build_ok(tmp_path, template: Path | None, source: Path = EXAMPLE_JSON, name: str = "built.docx") -> Path:
    out = tmp_path / name
    args = ["build", str(source), "-o", str(out), "--force"] + (["--template", str(template)] if template else [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    return out


# --- code execution ---------------------------------------------------------------------------------


def test_the_payloads_are_live_without_the_sandbox(tmp_path):
    """What a plain jinja2 Environment (xlreport before the sandbox) does with them."""
    jinja2.Environment().from_string(popen(tmp_path)).render()
    assert (tmp_path / MARKER).exists()
    (tmp_path / MARKER).unlink()
    jinja2.Environment().from_string(opener(tmp_path)).render()
    assert (tmp_path / MARKER).exists()


def test_cycler_payload_in_the_body(tmp_path):
    assert_refused(tmp_path, in_body(tmp_path, popen(tmp_path)),
                   "模板中的“{{ (cycler).__init__.__globals__… }}”不允许使用（不能调用函数或方法），位置：正文第1段")


def test_payload_in_a_table_cell_says_its_paragraph(tmp_path):
    # the 71st paragraph of the body (table cells and the paragraphs holding only {%p for %} counted)
    assert_refused(tmp_path, in_body(tmp_path, popen(tmp_path), "{{ n.requests.new.total }}"),
                   "模板中的“{{ (cycler).__init__.__globals__… }}”不允许使用（不能调用函数或方法），位置：正文第71段")


def test_payload_in_the_title_property(tmp_path):
    assert_refused(tmp_path, template_with(tmp_path, titled(opener(tmp_path))),
                   "模板中的“{{ cycler.__init__.__globals__._… }}”不允许使用（不能调用函数或方法），位置：文档属性“标题”")


def test_payload_in_a_footnotes_part(tmp_path):
    template = template_with(tmp_path, parts=footnotes(popen(tmp_path)))
    assert_refused(tmp_path, template,
                   "模板中的“{{ (cycler).__init__.__globals__… }}”不允许使用（不能调用函数或方法），位置：脚注第3段")


def test_payload_in_a_header(tmp_path):
    assert_refused(tmp_path, template_with(tmp_path, parts=header(popen(tmp_path))),
                   "模板中的“{{ (cycler).__init__.__globals__… }}”不允许使用（不能调用函数或方法），位置：页眉第1段")


def test_payload_in_a_footer_with_an_unusual_part_name(tmp_path):
    assert_refused(tmp_path, template_with(tmp_path, parts=evil_footer(popen(tmp_path))),
                   "模板中的“{{ (cycler).__init__.__globals__… }}”不允许使用（不能调用函数或方法），"
                   "位置：页脚（word/evil-footer.xml）第1段")


# --- the policy, in the body --------------------------------------------------------------------

REFUSED = [
    ("{{ ''.__class__.__mro__ }}", "不能使用以下划线开头的名称"),
    ("{{ meta.agency|attr('__class__') }}", "不能使用过滤器“attr”"),
    ("{% include 'x.docx' %}", "不能引用其他模板"),
    ("{% import 'x.docx' as x %}", "不能引用其他模板"),
    ("{% from 'x.docx' import x %}", "不能引用其他模板"),
    ("{% extends 'x.docx' %}", "不能引用其他模板"),
    ("{% macro m() %}x{% endmacro %}", "不能定义宏", "{% macro m() %}"),
    ("{% call meta.agency() %}{% endcall %}", "不能调用宏", "{% call meta.agency() %}"),
    ("{{ range(10**9) }}", "不能调用函数或方法"),
    ('{{ "a" * 10**9 }}', "不能做算术运算"),
    ("{{ 2 ** 3 }}", "不能做算术运算"),
    ("{{ -1 }}", "不能做算术运算"),
    ("{{ meta.agency ~ meta.year }}", "不能用“~”拼接文字"),
    ("{{ meta.agency[0:3] }}", "不能使用切片"),
    ("{{ meta.agency|bogus }}", "不能使用过滤器“bogus”"),
    ("{{ meta.agency|safe }}", "不能使用过滤器“safe”"),
    ("{{ meta.agency|join('', '__class__') }}", "过滤器“join”最多带1个参数，且不能写参数名"),
    ("{{ meta.agency|join('xx')|join('xx')|join('xx') }}", "join 只能用于报告中的列表，分隔符只能是文字常量",
     "{{ meta.agency|join('xx')|join('… }}"),
    ("{{ text.closing|join(meta.agency) }}", "join 只能用于报告中的列表，分隔符只能是文字常量"),
    ("{{ meta.agency|upper(x=1) }}", "过滤器“upper”不能带参数"),
    ("{{ meta.agency is sameas meta.year }}", "不能使用测试“sameas”"),
    ("{% set x = meta.agency %}", "不能定义变量"),
    ("{% with x = 1 %}{% endwith %}", "不能定义变量", "{% with x = 1 %}"),
    ("{% filter upper %}x{% endfilter %}", "不能使用 filter 块", "{% filter upper %}"),
    ("{% block b %}{% endblock %}", "不能使用 block 块", "{% block b %}"),
    ("{% autoescape false %}x{% endautoescape %}", "不能改变转义方式", "{% autoescape false %}"),
    ("{{ [1, 2] }}", "不能使用列表或字典常量"),
    ("{{ meta[meta.agency] }}", "下标只能是常量"),
    ("{{ meta['__class__'] }}", "不能使用以下划线开头的名称"),
    ("{{ '" + "长" * 201 + "' }}", "文字常量超过200字", "{{ '" + "长" * 28 + "… }}"),
    ("{{ 10000000000000 }}", "数字常量过大"),
    ("{{ 1e999 }}", "数字常量过大"),
    ("{% for c in meta.agency %}{% endfor %}", "for 循环只能遍历报告中的列表", "{% for c in meta.agency %}"),
    ("{% for a, b in text.closing %}{% endfor %}", "for 循环只能有一个循环变量", "{% for a, b in text.closing %}"),
    ("{% for p in text.closing recursive %}{% endfor %}", "不能使用递归循环", "{% for p in text.closing recursive %}"),
    ("{% for i in text.overview.subsections %}{% for p in i.paragraphs %}{% for q in text.closing %}"
     "{% endfor %}{% endfor %}{% endfor %}", "for 循环最多嵌套2层", "{% for q in text.closing %}"),
    ("{% for p in text.closing %}{{ loop.cycle }}{% endfor %}",
     "loop 只能使用 index、index0、revindex、revindex0、first、last、length、depth、depth0", "{{ loop.cycle }}"),
    ("{% if meta.agency %}{% elif meta.year.__len__ %}{% endif %}", "不能使用以下划线开头的名称", "{% elif meta.year.__len__ %}"),
]


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c[0][:40])
def test_refused_in_the_body(tmp_path, case):
    payload, reason = case[:2]
    shown = case[2] if len(case) > 2 else payload
    assert_refused(tmp_path, in_body(tmp_path, payload), f"模板中的“{shown}”不允许使用（{reason}），位置：正文第1段")


UNKNOWN = [
    ("{{ bogus }}", "bogus"),
    ("{{ meta.bogus }}", "meta.bogus"),
    ("{{ meta.agency.upper }}", "meta.agency.upper"),
    ("{{ cycler }}", "cycler"),
    ("{{ self }}", "self"),
    ("{{ loop.index }}", "loop"),
    ("{{ meta['bogus'] }}", "meta.bogus"),
    ("{% if n.requests.bogus %}{% endif %}", "n.requests.bogus", "{% if n.requests.bogus %}"),
    ("{% for item in text.overview.subsections %}{{ item.bogus }}{% endfor %}", "item.bogus", "{{ item.bogus }}"),
    ("{% for p in text.bogus %}{% endfor %}", "text.bogus", "{% for p in text.bogus %}"),
]


@pytest.mark.parametrize("case", UNKNOWN, ids=lambda c: c[0][:40])
def test_unknown_names_are_named(tmp_path, case):
    payload, name = case[:2]
    shown = case[2] if len(case) > 2 else payload
    assert_refused(tmp_path, in_body(tmp_path, payload),
                   f"模板中的占位符“{shown}”在报告数据中不存在（“{name}”无此项），位置：正文第1段{UNKNOWN_HINT}")


def test_the_second_tag_of_a_paragraph_is_the_one_named(tmp_path):
    template = in_body(tmp_path, "{{ meta.agency }}{{ meta.agency|upper }}{{ meta.agency.__class__ }}")
    assert_refused(tmp_path, template,
                   "模板中的“{{ meta.agency.__class__ }}”不允许使用（不能使用以下划线开头的名称），位置：正文第1段")


def test_syntax_error(tmp_path):
    assert_refused(tmp_path, in_body(tmp_path, "{{ meta.agency }"), "模板语法有误（unexpected '}'），位置：正文第1段")


def test_syntax_error_in_a_header(tmp_path):
    assert_refused(tmp_path, template_with(tmp_path, parts=header("{% for %}")),
                   "模板语法有误（Expected an expression, got 'end of statement block'），位置：页眉第1段")


def test_number_too_long_for_python(tmp_path):
    assert_refused(tmp_path, in_body(tmp_path, "{{ " + "9" * 5000 + " }}"),
                   "模板无法解析（Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits; "
                   "use sys.set_int_max_str_digits() …），位置：正文")


def test_deep_nesting(tmp_path):
    assert_refused(tmp_path, in_body(tmp_path, "{{ " + "(" * 2000 + "1" + ")" * 2000 + " }}"),
                   "模板中的表达式嵌套过深，位置：正文")


# --- the file itself ---------------------------------------------------------------------------


def test_zip_bomb(tmp_path):
    template = tmp_path / "模板.docx"
    with zipfile.ZipFile(default_template()) as src, zipfile.ZipFile(template, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("word/media/bomb.bin", bytes(8 * 1024 * 1024))
    info = zipfile.ZipFile(template).getinfo("word/media/bomb.bin")
    ratio = info.file_size // info.compress_size
    assert ratio > 200
    assert_refused(tmp_path, template, f"压缩比超过上限（word/media/bomb.bin {ratio}倍，上限200倍），已拒绝读取{LIMIT_HINT}")


def test_template_over_the_size_limit(tmp_path):
    template = tmp_path / "模板.docx"
    with template.open("wb") as fh:
        fh.truncate(33 * 1024 * 1024)  # sparse: refused on its size, never read
    assert_refused(tmp_path, template, f"Word 模板文件大小超过上限（33 MB，上限32 MB），已拒绝读取{LIMIT_HINT}")


def test_fifo(tmp_path):
    template = tmp_path / "模板.docx"
    os.mkfifo(template)
    assert_refused(tmp_path, template, "不是普通文件（设备、管道或套接字），已拒绝读取", regular=False)
    assert template.is_fifo()


def test_symlink_to_a_device(tmp_path):
    template = tmp_path / "模板.docx"
    template.symlink_to("/dev/zero")
    assert_refused(tmp_path, template, "不是普通文件（设备、管道或套接字），已拒绝读取", regular=False)
    assert os.readlink(template) == "/dev/zero"


def test_a_workbook_given_as_template(tmp_path):
    template = tmp_path / "模板.docx"
    template.write_bytes((REPO / "examples" / "shangyou-commerce-2024.xlsx").read_bytes())
    assert_refused(tmp_path, template, "这是 Excel 工作簿，不是 Word 模板")


def test_a_zip_that_is_not_a_document(tmp_path):
    template = tmp_path / "模板.docx"
    with zipfile.ZipFile(template, "w") as z:
        z.writestr("hello.txt", "hi")
    assert_refused(tmp_path, template, "不是 Word 文档（.docx）模板")


def test_a_broken_header(tmp_path):
    broken = {"word/header7.xml": ("header", "header+xml", "<w:hdr>not xml")}
    assert_refused(tmp_path, template_with(tmp_path, parts=broken), "不是 Word 文档（.docx）模板，或文件已损坏")


# --- what is allowed ---------------------------------------------------------------------------


def test_default_template_passes_and_renders_as_without_template(tmp_path):
    given = build_ok(tmp_path, default_template(), name="given.docx")
    plain = build_ok(tmp_path, None, name="plain.docx")
    with zipfile.ZipFile(given) as a, zipfile.ZipFile(plain) as b:
        assert a.read("word/document.xml") == b.read("word/document.xml")
        assert a.read("word/footer1.xml") == b.read("word/footer1.xml")


def default_placeholders() -> list[tuple[str, str]]:
    """Every tag of the default template (body, footer, properties), with the for tags that
    enclose it there: (enclosing tags, tag)."""
    path = default_template()
    lexer = jinja2.Environment()
    out: dict[tuple[str, str], None] = {}
    for source in template_file.template_sources(template_file.open_template(path), path):
        stack: list[str] = []
        current: list[str] = []
        keyword = None
        for _, token, value in lexer.lex(source.text):
            if token in ("variable_begin", "block_begin"):
                current, keyword = [value], None
            elif token in ("variable_end", "block_end"):
                tag = "".join(current) + value.strip()
                if keyword in ("endfor", "endif"):
                    stack.pop()
                elif keyword != "else":
                    out[("".join(stack), tag)] = None
                    if keyword in ("for", "if"):
                        stack.append(tag)
                current = []
            elif current:
                keyword = keyword or (value if token == "name" else None)
                current.append(value)
    return list(out)


PLACEHOLDERS = default_placeholders()


def test_the_default_template_has_placeholders_to_check():
    assert len(PLACEHOLDERS) > 200
    assert ("", "{{ meta.agency }}") in PLACEHOLDERS
    assert ("{% for item in text.overview.subsections %}", "{% for para in item.paragraphs %}") in PLACEHOLDERS


@pytest.mark.parametrize("around, tag", PLACEHOLDERS, ids=[t for _, t in PLACEHOLDERS])
def test_every_placeholder_of_the_default_template_is_accepted(around, tag):
    env = PolicyEnvironment(render.template_shape(model.load_json_file(EXAMPLE_JSON)))
    closers = around.count("{% for ") * "{% endfor %}" + around.count("{% if ") * "{% endif %}"
    own = "{% endfor %}" if tag.startswith("{% for ") else "{% endif %}" if tag.startswith("{% if ") else ""
    env.parse(around + tag + own + closers)


ALLOWED = (
    "{{ meta.agency|default('本机关') }}{{ meta.agency|e|upper|lower|trim|length|string }}{{ text.closing|first }}"
    "{{ text.closing|last|d('') }}{{ text.closing|join('、') }}{{ text.closing|count }}{{ meta['agency'] }}"
    "{{ text.closing[0] }}{{ text.overview.subsections[0].heading }}{{ (text.overview.subsections|first).heading }}"
    "{% for item in text.overview.subsections if item.heading %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}"
    "{{ loop.first }}{{ loop.last }}{{ loop.length }}{% for p in item.paragraphs %}{{ loop.depth }}{{ p }}{% endfor %}"
    "{% else %}无{% endfor %}"
    "{% if meta.agency is defined and meta.year is not none and not meta.agency is number %}是"
    "{% elif meta.agency == '上犹县商务局' or 1 < 2 or 'x' in meta.agency %}{% else %}否{% endif %}"
    "{{ meta.agency if meta.agency is string else '' }}{{ true }}{{ none is none }}{{ 3 is odd }}{{ 4 is even }}"
)


def test_what_the_policy_allows_renders(tmp_path):
    out = build_ok(tmp_path, in_body(tmp_path, ALLOWED))
    first = docx.Document(str(out)).paragraphs[0].text
    assert first.startswith("上犹县商务局6本年度报告的电子版")  # default, then e|upper|lower|trim|length|string
    assert first.endswith("是上犹县商务局TrueTrueTrueTrue")  # the if branch, then the tests


def test_a_report_with_empty_lists_still_passes_the_default_template(tmp_path):
    report = model.load_json_file(EXAMPLE_JSON)
    report.text.overview.items = []
    report.text.problems.items = []
    report.text.overview.intro = []
    source = tmp_path / "empty.json"
    source.write_text(model.to_json(report), encoding="utf-8")
    build_ok(tmp_path, default_template(), source)
    # and a template's loop over such a list is checked against the elements it would have
    env = PolicyEnvironment(render.template_shape(report))
    env.parse("{% for item in text.problems.subsections %}{{ item.heading }}{% endfor %}")
    with pytest.raises(Refused):
        env.parse("{% for item in text.problems.subsections %}{{ item.bogus }}{% endfor %}")


def test_header_footer_footnotes_and_properties_render_with_the_report(tmp_path):
    parts = {**header("页眉：{{ meta.agency }}"), **evil_footer("页脚：{{ title_year }}"), **footnotes("脚注：{{ meta.agency }}")}
    out = build_ok(tmp_path, template_with(tmp_path, titled("{{ meta.agency }}年报"), parts))
    with zipfile.ZipFile(out) as z:
        assert "页眉：上犹县商务局" in z.read("word/header7.xml").decode()
        assert "页脚：2024年政府信息公开工作年度报告" in z.read("word/evil-footer.xml").decode()
        assert "脚注：上犹县商务局" in z.read("word/footnotes.xml").decode()
    assert docx.Document(str(out)).core_properties.title == "上犹县商务局年报"


def test_footnotes_render_once_so_report_text_stays_text(tmp_path):
    """docxtpl renders footnotes once per section: the second pass would compile the first
    pass's output, and the report's own text with it."""
    report = model.load_json_file(EXAMPLE_JSON)
    report.meta["office"] = "{{ meta.agency }}"
    source = tmp_path / "office.json"
    source.write_text(model.to_json(report), encoding="utf-8")
    second_section = '<w:p><w:pPr><w:sectPr/></w:pPr></w:p>'
    edits = {"word/document.xml": ("<w:body>", "<w:body>" + second_section)}
    template = template_with(tmp_path, edits, footnotes("办公室：{{ meta.office }}"))
    out = build_ok(tmp_path, template, source)
    assert len(docx.Document(str(out)).sections) == 2
    with zipfile.ZipFile(out) as z:
        assert "办公室：{{ meta.agency }}" in z.read("word/footnotes.xml").decode()


# --- the check sees what docxtpl compiles ------------------------------------------------------


def test_the_sources_checked_are_the_sources_docxtpl_compiles(tmp_path, monkeypatch):
    compiled: list[str] = []
    parse = PolicyEnvironment._parse

    def recording(self, source, name, filename):
        compiled.append(source)
        return parse(self, source, name, filename)

    monkeypatch.setattr(PolicyEnvironment, "_parse", recording)
    parts = {**header("{{ meta.agency }}"), **evil_footer("{{ meta.agency }}"), **footnotes("{{ meta.agency }}")}
    path = template_with(tmp_path, titled("{{ meta.agency }}"), parts)
    checked = [s.text for s in template_file.template_sources(template_file.open_template(path), path)]
    build_ok(tmp_path, path)
    assert len(checked) == 1 + 1 + 3 + 6 + 1  # body, header, three footers (odd and even pages, the added one), six properties, footnotes
    assert compiled == checked + checked  # checked first, then compiled by docxtpl in the same order


def test_a_source_we_did_not_list_is_checked_by_the_environment(tmp_path, monkeypatch):
    real = template_file.template_sources
    monkeypatch.setattr(template_file, "template_sources", lambda tpl, path: real(tpl, path)[:1])  # the body only
    template = template_with(tmp_path, parts=header(popen(tmp_path)))
    assert_refused(tmp_path, template,
                   "模板中的“{{ (cycler).__init__.__globals__… }}”不允许使用（不能调用函数或方法），位置：模板的其他部分第2行")


def test_the_environment_checks_every_way_in():
    env = PolicyEnvironment({"meta": {"agency": template_policy.SCALAR}})
    assert env.from_string("{{ meta.agency }}").render(meta={"agency": "A&B"}) == "A&amp;B"
    with pytest.raises(Refused):
        env.from_string("{{ cycler.__init__ }}")
    with pytest.raises(Refused):  # a tree handed to compile() directly
        env.from_string(nodes.Template([nodes.Output([nodes.Name("cycler", "load")])]))
    with pytest.raises(Refused):
        env.compile_expression("range(10)")
    assert env.globals == {}
    assert set(env.filters) == set(template_policy.FILTERS)
    assert set(env.tests) == set(template_policy.TESTS)


def test_context_keys_are_not_dict_methods():
    """``x.key`` in jinja2 reaches a dict's method before its key: no key may be a method name."""

    def keys(shape):
        if isinstance(shape, dict):
            for key, value in shape.items():
                yield key
                yield from keys(value)
        elif isinstance(shape, template_policy.ListOf):
            yield from keys(shape.element)

    shape = render.template_shape(model.load_json_file(EXAMPLE_JSON))
    assert [k for k in keys(shape) if hasattr(dict, k) or hasattr(list, k) or hasattr(str, k)] == []


def test_a_template_part_past_the_limit_is_refused_before_docxtpl_reads_it(tmp_path):
    """docxtpl's regexes take about a second a megabyte (a fuzz case took minutes)."""
    from factories import patch_zip

    from xlreport import limits

    big = tmp_path / "大模板.docx"
    shutil.copyfile(default_template(), big)
    rng = random.Random(1)  # text that does not compress 200-fold: the zip limits would refuse it first
    filler = "".join(f"<w:p><w:r><w:t>{rng.getrandbits(64):x}</w:t></w:r></w:p>" for _ in range(limits.TEMPLATE_PART.value // 45))
    patch_zip(big, {"word/document.xml": lambda xml: xml.replace(b"</w:body>", filler.encode() + b"</w:body>")})
    result = CliRunner().invoke(cli, ["build", str(EXAMPLE_JSON), "--template", str(big), "-o", str(tmp_path / "r.docx")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"错误：{big}：模板中一个部件（正文、页眉、页脚、脚注）的 XML 大小超过上限（正文 ")
    assert "上限4 MB），已拒绝读取" in result.stderr
