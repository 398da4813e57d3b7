"""A Word template as docxtpl renders it: read like every untrusted input, the exact jinja2 sources
docxtpl compiles from it (each with the part it came from), and the policy checked on all of them
before anything renders.

What docxtpl 0.20 compiles (template.py, DocxTemplate.render):
- the body: patch_xml(get_xml()), then render_xml_part inserts "\\n" before every ``<w:p`` (so a
  line of the source is a paragraph) and compiles it;
- every header and footer part reached through the document's relationships, whatever its part
  name (get_headers_footers → get_part_xml → patch_xml → render_xml_part);
- the core properties author, comments, identifier, language, subject, title, as they are;
- every footnotes part of the package (patch_xml → render_xml_part).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate
from jinja2 import TemplateSyntaxError
from lxml import etree

from .. import container, limits
from ..errors import InputError, LimitError
from ..format import spec
from ..shown import shown_line, shown_path
from .template_policy import Refused, shorten, tags

# the core properties DocxTemplate.render_properties renders, as Word names them
CORE_PROPERTIES = {
    "author": "作者", "comments": "备注", "identifier": "标识符", "language": "语言", "subject": "主题", "title": "标题",
}
OTHER_PART = "模板的其他部分"  # a source compiled during rendering that none of ours matched
UNKNOWN_HINT = "可用的占位符见 xlreport template 生成的默认模板"

# what python-docx may raise on a package that is a zip but not a sound Word document
_BROKEN = (PackageNotFoundError, KeyError, ValueError, IndexError, AttributeError, TypeError, zipfile.BadZipFile,
           zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, etree.LxmlError, OSError)


class Template(DocxTemplate):
    """docxtpl's template, with each footnotes part rendered once (docxtpl renders them once per
    section: with two sections its second pass compiles the first pass's output, report text
    included, as a template) and each part patched once (patch_xml is a pure function)."""

    def __init__(self, template_file, cache=None) -> None:
        super().__init__(template_file)
        self._patched: dict[str, str] = {}
        self.cache = cache  # a word.cache.Cache, or None

    def patch_xml(self, src_xml: str) -> str:
        # a pure function of its input, and the slowest step: the check and the render share it
        if src_xml not in self._patched:
            patch = super().patch_xml
            self._patched[src_xml] = self.cache.patched(src_xml, patch) if self.cache else patch(src_xml)
        return self._patched[src_xml]

    def footnote_parts(self) -> list:
        return [part for part in self.docx.part.package.iter_parts() if part.content_type == CT.WML_FOOTNOTES]

    def render_footnotes(self, context, jinja_env=None) -> None:
        for part in self.footnote_parts():
            xml = self.render_xml_part(self.patch_xml(_text(part.blob)), part, context, jinja_env)
            part._blob = xml.encode("utf-8")


def _text(blob) -> str:
    return blob.decode("utf-8") if isinstance(blob, bytes) else blob


def open_template(path, cache=None) -> Template:
    """The template at ``path``, read once (a regular file within the size limit, a zip within
    the zip limits, with word/document.xml) and handed to docxtpl as bytes, never as a path;
    its parts are patched through ``cache`` (a word.cache.Cache) when one is given."""
    path = Path(path)
    where = shown_path(path)
    data = container.read_bytes(path, "template")
    if not data.startswith(b"PK"):
        raise InputError(f"{where}：不是 Word 文档（.docx）模板，或文件已损坏")
    package = container.open_package(path, data, " Word 文档（.docx）")
    if "word/document.xml" not in package:
        if "xl/workbook.xml" in package:
            raise InputError(f"{where}：这是 Excel 工作簿，不是 Word 模板")
        raise InputError(f"{where}：不是 Word 文档（.docx）模板")
    tpl = Template(io.BytesIO(data), cache)
    try:
        tpl.init_docx()
    except _BROKEN:
        raise InputError(f"{where}：不是 Word 文档（.docx）模板，或文件已损坏") from None
    return tpl


@dataclass(frozen=True)
class Source:
    """One part of a template's text, as docxtpl hands it to jinja2, and where it is."""

    part: str  # 正文, 页眉, 页脚, 脚注, 文档属性“标题” ...
    text: str  # exactly what docxtpl hands to jinja2
    xml: str | None = None  # the part's XML before patch_xml (to number its paragraphs)


def compiled_form(xml: str) -> str:
    """What render_xml_part compiles from a patched part: a line break before every paragraph."""
    return xml.replace("<w:p ", "\n<w:p ").replace("<w:p>", "\n<w:p>")


def template_sources(tpl: Template, path) -> list[Source]:
    """Every source docxtpl will compile from ``tpl``, in the order it compiles them."""

    def part_source(label: str, xml: str) -> Source:
        if len(xml) > limits.TEMPLATE_PART.value:  # characters: at least as many bytes
            raise LimitError.of(path, limits.TEMPLATE_PART, f"{label} {len(xml) // limits.MB} MB")
        return Source(label, compiled_form(tpl.patch_xml(xml)), xml)

    try:
        out = [part_source("正文", tpl.get_xml())]
        for uri, label in ((tpl.HEADER_URI, "页眉"), (tpl.FOOTER_URI, "页脚")):
            parts = [part for _, part in tpl.get_headers_footers(uri)]
            out += [part_source(_part_label(label, part, len(parts)), tpl.get_part_xml(part)) for part in parts]
        properties = tpl.docx.core_properties
        out += [Source(f"文档属性“{name}”", getattr(properties, prop)) for prop, name in CORE_PROPERTIES.items()]
        footnotes = tpl.footnote_parts()
        out += [part_source(_part_label("脚注", part, len(footnotes)), _text(part.blob)) for part in footnotes]
    except _BROKEN:
        raise InputError(f"{shown_path(path)}：模板已损坏，无法读取其中的正文、页眉、页脚或脚注") from None
    return out


def _part_label(label: str, part, count: int) -> str:
    return label if count == 1 else f"{label}（{shown_line(str(part.partname).lstrip('/'))}）"


# --- where a line stands -----------------------------------------------------------------------
# A refusal knows its source, its line and the index of its tag. The paragraph it stands in is
# found in the same part with every paragraph numbered (an XML comment before each <w:p, which
# patch_xml leaves alone): a paragraph that holds only {%p for %} is replaced by its tag, so the
# lines of the compiled source alone would number the paragraphs after it too low.

_MARK, _MARK_END = "<!--xlreport-p", "-->"


def numbered(xml: str) -> str:
    """``xml`` with <!--xlreport-pN--> before its N-th paragraph (every w:p in document order,
    those in table cells and empty ones included)."""
    pieces, start, n = [], 0, 0
    i = xml.find("<w:p")
    while i != -1:
        if xml[i + 4 : i + 5] in (" ", ">", "/"):
            n += 1
            pieces += [xml[start:i], f"{_MARK}{n}{_MARK_END}"]
            start = i
        i = xml.find("<w:p", i + 4)
    return "".join(pieces) + xml[start:]


def _last_mark(text: str) -> int | None:
    i = text.rfind(_MARK)
    if i == -1:
        return None
    digits = text[i + len(_MARK) : text.find(_MARK_END, i)]
    return int(digits) if digits.isdigit() else None


class TemplateCheck:
    """The policy checked on every source of one template before it renders, and the message
    for a refusal: the file, the text refused and where it stands (part and paragraph)."""

    def __init__(self, tpl: Template, env, path):
        self.tpl, self.env, self.path = tpl, env, Path(path)
        self.where_file = shown_path(path)
        self.sources: dict[str, Source] = {}
        self.used: set[str] = set()  # every chain of names the sources reach (n, n.active, n.active.fees …)

    def run(self) -> None:
        """Parse every source with the environment (a PolicyEnvironment: parsing is checking)."""
        for source in template_sources(self.tpl, self.path):
            self.sources.setdefault(source.text, source)
            try:
                self.used |= reached(self.env.parse(source.text))
            except Refused as refusal:
                raise self.refusal(refusal) from None
            except TemplateSyntaxError as e:
                raise InputError(f"{self.where_file}：模板语法有误（{detail(e.message or e, 200)}），"
                                 f"位置：{self.where(source, e.lineno or 1)}") from None
            except RecursionError:
                raise InputError(f"{self.where_file}：模板中的表达式嵌套过深，位置：{source.part}") from None
            except ValueError as e:  # a number literal too long for Python to convert
                raise InputError(f"{self.where_file}：模板无法解析（{detail(e)}），位置：{source.part}") from None

    def refusal(self, refusal: Refused) -> InputError:
        """The one line that says what the policy refused, in which file and where."""
        text = refusal.source or ""
        source = self.sources.get(text) or Source(OTHER_PART, text)
        where = self.where(source, refusal.lineno or 1, refusal.tag_index)
        snippet = shown_line(shorten(refusal.snippet))
        if refusal.unknown is not None:
            return InputError(f"{self.where_file}：模板中的占位符“{snippet}”在报告数据中不存在"
                              f"（“{shown_line(refusal.unknown)}”无此项），位置：{where}", UNKNOWN_HINT)
        return InputError(f"{self.where_file}：模板中的“{snippet}”不允许使用（{refusal.reason}），位置：{where}")

    def where(self, source: Source, lineno: int, tag_index: int | None = None) -> str:
        lines = source.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # jinja2 counts all three
        if source.xml is None:  # a document property, or a source we did not list
            return source.part if len(lines) == 1 else f"{source.part}第{lineno}行"
        paragraph = self._paragraph(source.xml, lineno, tag_index)
        return f"{source.part}第{paragraph}段" if paragraph else f"{source.part}开头"

    def _paragraph(self, xml: str, lineno: int, tag_index: int | None) -> int:
        marked = compiled_form(self.tpl.patch_xml(numbered(xml)))
        if tag_index is not None:  # the last paragraph mark before the tag
            paragraph = 0
            for i, tag in enumerate(tags(self.env, marked)):
                paragraph = _last_mark(tag.data_before) or paragraph
                if i == tag_index:
                    return paragraph
        # a line: the paragraph it begins with (its mark ends the line before)
        before = marked.replace("\r\n", "\n").replace("\r", "\n").split("\n")[: max(lineno - 1, 0)]
        return _last_mark("\n".join(before)) or 0


def reached(tree) -> set[str]:
    """The chains of names a parsed template reaches, each prefix too."""
    from jinja2 import nodes

    from .template_policy import dotted

    found = (dotted(node) for node in tree.find_all((nodes.Name, nodes.Getattr, nodes.Getitem)))
    return {d for d in found if d}


# what the default template shows that a template of one's own should show too: every number of
# the three tables (refused when missing: a report with a silent gap), the rest (a reminder)
NUMBERS = {"n." + ".".join(f.path): f"{t.title}：{f.row_label} / {f.col_label}" for t in spec.TABLES for f in t.fields}
_SECTIONS = {slot.section: slot.part_label for slot in spec.TEXT_SLOTS}
OTHERS = {"meta.agency": spec.META_BY_KEY["agency"].label, "title_year": "报告标题中的年度",
          **{f"text.{section}": label for section, label in _SECTIONS.items()}}


def missing_from(check: TemplateCheck, warn) -> None:
    """Refuse a template that leaves out numbers the default template shows; ``warn`` the rest."""
    where = check.where_file
    if not check.used & {*NUMBERS, *OTHERS, "n", "meta", "text"}:
        raise InputError(f"{where}：模板中没有任何占位符，生成的报告不会有数字和正文",
                         "请从 xlreport template 导出的默认模板改起，保留其中的 {{ }} 和 {% %}")
    missing = [key for key in NUMBERS if key not in check.used]
    if len(missing) == len(NUMBERS):
        raise InputError(f"{where}：模板中没有三张表（表二、表三、表四的数字占位符一个也没有）",
                         "请从 xlreport template 导出的默认模板改起，保留三张表")
    if missing:
        shown = "；".join(f"{NUMBERS[key]}（{{{{ {key} }}}}）" for key in missing[:3])
        more = f"等{len(missing)}个" if len(missing) > 3 else ""
        raise InputError(f"{where}：模板缺少{more}数字的占位符：{shown}，报告中这些格会是空的",
                         "请对照 xlreport template 导出的默认模板补上")
    for key, name in OTHERS.items():
        if key not in check.used:
            warn(f"{where}：模板中没有“{name}”的占位符（{{{{ {key} }}}}），报告中不会出现这部分")


def detail(text: str, chars: int = 120) -> str:
    """An error's own text on one line, not too long."""
    text = shown_line(" ".join(str(text).split()))
    return text if len(text) <= chars else text[: chars - 1] + "…"


__all__ = ["Template", "Source", "TemplateCheck", "open_template", "template_sources", "compiled_form", "numbered", "detail"]
