"""spec → the default Word template (docxtpl placeholders), styled per GB/T 9704 conventions.

The committed templates/report-template.docx is the output of ``build_template``; a test
regenerates it and compares, so the placeholders can never drift from the spec.
"""

from __future__ import annotations

import re
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from ..format import spec

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
H1_FONT = "黑体"
H2_FONT = "楷体_GB2312"
LATIN_FONT = "Times New Roman"
SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_TABLE = Pt(10.5)  # 五号
SIZE_TABLE_SMALL = Pt(9)  # 小五
PAGE_NUMBER_SIZE = Pt(14)  # 四号
LINE = Pt(28.95)  # 22 lines on a type area of 225 mm
# GB/T 9704-2012: a type area of 156 × 225 mm holding 22 lines of 28 characters of 三号 (16 pt).
# 28 characters of 16 pt are 448 pt, the line 442.2 pt: Word squeezes them to a character grid
# of 16 − 849/4096 pt, but LibreOffice gives a character wider than its grid cell two cells (14
# a line). So the grid holds the lines (579 twips = 225 mm / 22) and the body's characters are
# condensed by 0.25 pt (15.75 pt: 28 fit, 29 do not), which every renderer lays out alike.
GRID_LINE_PITCH = 579
CONDENSED = -5  # twentieths of a point
LANG = "zh-CN"
FONTS = (TITLE_FONT, BODY_FONT, H1_FONT, H2_FONT)

STYLE_TITLE = "报告标题"
STYLE_BODY = "报告正文"
STYLE_H1 = "一级标题"
STYLE_H2 = "二级标题"
STYLE_TABLE = "表格文字"


def _fonts(element, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Name every font slot explicitly so WPS/Word never fall back to a theme font."""
    rpr = element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:cs"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)
    _chinese(rpr, "w:lang")


def _chinese(parent, tag: str) -> None:
    """``tag`` under ``parent`` (made when missing) saying: Latin text en-US, East Asian zh-CN."""
    lang = parent.find(qn(tag))
    if lang is None:
        lang = OxmlElement(tag)
        parent.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), LANG)


def _style(doc, name: str, font: str, size, bold=False, align=None, indent=True, spacing=LINE, condensed=False):
    from docx.enum.style import WD_STYLE_TYPE

    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = None
    style.font.size = size
    style.font.bold = bold
    _fonts(style.element, font)
    if condensed:
        letter = OxmlElement("w:spacing")
        letter.set(qn("w:val"), str(CONDENSED))
        style.element.get_or_add_rPr().append(letter)
    pf = style.paragraph_format
    if spacing is not None:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = spacing
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.first_line_indent = Pt(size.pt * 2) if indent else Pt(0)
    if align is not None:
        pf.alignment = align
    pf.widow_control = False
    return style


def _defaults(doc) -> None:
    """docDefaults of python-docx's base template name theme fonts; replace them."""
    styles = doc.styles.element
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    rfonts = rpr_default.find(qn("w:rFonts"))
    for attr in list(rfonts.attrib):
        del rfonts.attrib[attr]
    rfonts.set(qn("w:ascii"), LATIN_FONT)
    rfonts.set(qn("w:hAnsi"), LATIN_FONT)
    rfonts.set(qn("w:cs"), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), BODY_FONT)
    lang = rpr_default.find(qn("w:lang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), LANG)
    # the document grid's character pitch is counted from the default size: 三号, as the body
    for tag in ("w:sz", "w:szCs"):
        size = rpr_default.find(qn(tag))
        if size is not None:
            size.set(qn("w:val"), str(int(SIZE_3.pt * 2)))
    normal = doc.styles["Normal"]
    normal.font.size = SIZE_3
    _fonts(normal.element, BODY_FONT)


def _chinese_settings_and_theme(doc) -> None:
    """python-docx's default document declares Japanese as its East Asian language and leaves
    the theme's East Asian fonts empty: renderers then pick Japanese glyph forms. Declare zh-CN
    and name the fonts (headings 黑体, body 仿宋)."""
    _chinese(doc.settings.element, "w:themeFontLang")
    theme = next(rel.target_part for rel in doc.part.rels.values() if rel.reltype.endswith("/theme"))
    xml = theme.blob.decode("utf-8")
    xml = re.sub(r'(<a:majorFont>.*?<a:ea typeface=")[^"]*(")', rf"\g<1>{H1_FONT}\g<2>", xml, count=1, flags=re.S)
    xml = re.sub(r'(<a:minorFont>.*?<a:ea typeface=")[^"]*(")', rf"\g<1>{BODY_FONT}\g<2>", xml, count=1, flags=re.S)
    xml = re.sub(r'(<a:font script="Hans" typeface=")[^"]*(")', rf"\g<1>{BODY_FONT}\g<2>", xml)
    theme._blob = xml.encode("utf-8")


def _grid(section) -> None:
    """The document grid of GB/T 9704: 22 lines of 28 characters."""
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)
    grid.attrib.clear()
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(GRID_LINE_PITCH))


def _off_the_grid(style) -> None:
    """Table text keeps its own single spacing: on the line grid each line would take 29 pt."""
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    style.element.get_or_add_pPr().append(snap)


def _para(doc_or_cell, text: str, style: str):
    p = doc_or_cell.add_paragraph(style=style)
    if text:
        p.add_run(text)
    return p


def _page_number_footer(section, doc) -> None:
    """— 1 —: 4号 half-width digits between one-em dashes, odd pages at the right and even pages
    at the left, one character in from the edge of the type area (GB/T 9704-2012 7.5)."""
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)


def _page_number(p, align) -> None:
    p.alignment = align
    pf = p.paragraph_format
    pf.first_line_indent = Pt(0)
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        pf.right_indent = PAGE_NUMBER_SIZE
    else:
        pf.left_indent = PAGE_NUMBER_SIZE

    def run(text=None):
        r = p.add_run(text or "")
        r.font.size = PAGE_NUMBER_SIZE
        _fonts(r._element, "宋体")
        return r

    run("— ")
    r = run()
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            r._element.append(fld)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            r._element.append(instr)
        else:
            t = OxmlElement("w:t")
            t.text = text
            r._element.append(t)
    run(" —")


def _cell_text(cell, text: str, bold=False, small=False, align=WD_ALIGN_PARAGRAPH.CENTER):
    p = cell.paragraphs[0]
    p.style = STYLE_TABLE
    p.alignment = align
    r = p.add_run(text)
    r.bold = bold or None
    if small:
        r.font.size = SIZE_TABLE_SMALL
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def placeholder(path: tuple) -> str:
    return "{{ n." + ".".join(path) + " }}"


def _borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "4")
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)
    tbl_pr.append(borders)


def _table(doc, t: spec.Table, widths_mm: tuple[float, ...], small: bool):
    """The official table: labels and merges from the spec, a placeholder in every value cell."""
    first = 1  # the spec's row 0 is our sheet title; the Word table starts at the format's header
    rows = t.height - first
    table = doc.add_table(rows=rows, cols=t.width)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _borders(table)
    # LibreOffice and WPS lay a table out by its grid, not by cell widths: set both, fixed
    grid = table._tbl.tblGrid
    for c, (col, w) in enumerate(zip(grid.findall(qn("w:gridCol")), widths_mm)):
        col.set(qn("w:w"), str(round(w * 56.7)))
        for cell in table.columns[c].cells:
            cell.width = Mm(w)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for label in t.labels:
        if label.kind == "title" and label.row == 0:
            continue
        cell = table.cell(label.row - first, label.col)
        if label.merged:
            cell = cell.merge(table.cell(label.r2 - first, label.c2))
        align = WD_ALIGN_PARAGRAPH.CENTER if label.kind != "label" or t.key == "active" else WD_ALIGN_PARAGRAPH.LEFT
        if t.key == "active" and label.kind == "label":
            align = WD_ALIGN_PARAGRAPH.CENTER
        _cell_text(cell, label.text, bold=label.kind == "header", small=small, align=align)
    for f in t.fields:
        cell = table.cell(f.row - first, f.col)
        if f.last_col is not None:
            cell = cell.merge(table.cell(f.row - first, f.last_col))
        _cell_text(cell, placeholder(f.path), small=small)
    # a header row repeats when the table breaks across pages; no row is split between two
    for r, row in enumerate(table.rows):
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if r < t.header_rows - first:
            tr_pr.append(OxmlElement("w:tblHeader"))
    return table


def _loop(doc, var: str, seq: str, style: str, body: str | None = None) -> None:
    _para(doc, f"{{%p for {var} in {seq} %}}", style)
    _para(doc, body or f"{{{{ {var} }}}}", style)
    _para(doc, "{%p endfor %}", style)


def _section_items(doc, section: str) -> None:
    """Intro paragraphs, then numbered subsections; empty ones are left out by the context."""
    _loop(doc, "para", f"text.{section}.intro", STYLE_BODY)
    _para(doc, f"{{%p for item in text.{section}.subsections %}}", STYLE_BODY)
    _para(doc, "{{ item.number }}{{ item.heading }}", STYLE_H2)
    _loop(doc, "para", "item.paragraphs", STYLE_BODY)
    _para(doc, "{%p endfor %}", STYLE_BODY)


def build_template(path) -> Path:
    doc = Document()
    _defaults(doc)
    _style(doc, STYLE_TITLE, TITLE_FONT, SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, spacing=Pt(36))
    _style(doc, STYLE_BODY, BODY_FONT, SIZE_3, align=WD_ALIGN_PARAGRAPH.JUSTIFY, condensed=True)
    _style(doc, STYLE_H1, H1_FONT, SIZE_3, condensed=True).paragraph_format.keep_with_next = True
    _style(doc, STYLE_H2, H2_FONT, SIZE_3, condensed=True).paragraph_format.keep_with_next = True
    table_style = _style(doc, STYLE_TABLE, BODY_FONT, SIZE_TABLE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, spacing=None)
    _off_the_grid(table_style)

    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.orientation = WD_ORIENT.PORTRAIT
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    _page_number_footer(section, doc)
    _grid(section)
    _chinese_settings_and_theme(doc)

    body = doc.paragraphs[0] if doc.paragraphs else None
    if body is not None:
        body._element.getparent().remove(body._element)
    _para(doc, "{{ meta.agency }}", STYLE_TITLE)
    _para(doc, "{{ title_year }}", STYLE_TITLE)
    _para(doc, "", STYLE_BODY)
    _loop(doc, "para", "text.preamble", STYLE_BODY)

    _para(doc, spec.SECTION_TITLES["overview"], STYLE_H1)
    _section_items(doc, "overview")

    widths = {
        "active": (52, 35, 35, 34),
        "requests": (13, 16, 38, 12, 12, 12, 12, 12, 12, 13),
        "appeals": (10.4,) * 15,
    }
    for t in spec.TABLES:
        _para(doc, t.title, STYLE_H1)
        _table(doc, t, widths[t.key], small=t.key != "active")
        _para(doc, "", STYLE_BODY)

    _para(doc, spec.SECTION_TITLES["problems"], STYLE_H1)
    _section_items(doc, "problems")

    _para(doc, spec.SECTION_TITLES["other"], STYLE_H1)
    _section_items(doc, "other")

    _loop(doc, "para", "text.closing", STYLE_BODY)

    props = doc.core_properties
    props.title = "政府信息公开工作年度报告"
    props.subject = spec.FORMAT_NAME
    props.author = "xlreport"
    props.comments = f"xlreport template {spec.TEMPLATE_ID} format {spec.FORMAT_VERSION} spec {spec.SPEC_HASH}"
    import datetime as _dt

    fixed = _dt.datetime(2021, 1, 1)
    props.created = props.modified = fixed
    props.last_modified_by = "xlreport"
    props.revision = 1
    path = Path(path)
    doc.save(str(path))
    return path
