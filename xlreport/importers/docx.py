"""A Word file (.docx) → blocks: paragraphs, and tables as grids with merged cells expanded.

The document XML is read directly (ElementTree): paragraphs and tables in body order, content
controls opened, deleted text (tracked changes) left out, gridSpan and vMerge expanded. A span is
capped at limits.TABLE_SPAN, and a table's size (from its spans, before any text is read) is
checked against limits.TABLE_CELLS and DOCUMENT_CELLS before its grid is made; a document of
more than limits.DOCX_TAGS tags is refused before it is parsed.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

try:  # lxml comes with python-docx (a dependency of docxtpl) and parses a report three times faster
    from lxml import etree as _fast
except ImportError:  # pragma: no cover
    _fast = None

from .. import limits
from ..container import open_package
from ..errors import InputError, LimitError
from .document import Block, CellBudget, Document, clean_prose

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _TBL, _TR, _TC, _T, _SDT, _SDT_CONTENT = (W + x for x in ("p", "tbl", "tr", "tc", "t", "sdt", "sdtContent"))
_TAB, _BR, _CR, _TCPR, _GRIDSPAN, _VMERGE, _VAL = (W + x for x in ("tab", "br", "cr", "tcPr", "gridSpan", "vMerge", "val"))
_TRPR, _GRIDBEFORE, _INS, _HYPERLINK, _R, _SMARTTAG, _FLDSIMPLE = (W + x for x in ("trPr", "gridBefore", "ins", "hyperlink", "r", "smartTag", "fldSimple"))


def _open(path: Path, data: bytes):
    zf = open_package(path, data, " .docx 文件")
    if "word/document.xml" not in zf:
        if "xl/workbook.xml" in zf:
            raise InputError(f"{path}：这是 Excel 工作簿，不是 Word 文档", "工作簿请用 xlreport check 检查")
        raise InputError(f"{path}：不是 Word 文档（.docx），无法读取")
    return zf


def _paragraph_text(p) -> str:
    parts: list[str] = []
    for el in (p.iter(_T, _TAB, _BR, _CR) if _fast is not None else p.iter()):
        tag = el.tag
        if tag == _T:
            parts.append(el.text or "")
        elif tag == _TAB:
            parts.append(" ")
        elif tag in (_BR, _CR):
            parts.append("\n")
    return "".join(parts)


def _children(el):
    """Body-level children with content controls opened."""
    for child in el:
        if child.tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from _children(content)
        else:
            yield child


def _kids(el, tag):
    """Children with ``tag``; content controls (w:sdt) opened where there are any."""
    if el.find(_SDT) is None:
        return el.findall(tag)
    return [c for c in _children(el) if c.tag == tag]


def _cell_text(tc, budget: CellBudget) -> str:
    lines: list[str] = []
    for child in (tc.findall(_P) if tc.find(_TBL) is None and tc.find(_SDT) is None else _children(tc)):
        if child.tag == _P:
            lines.append(_paragraph_text(child))
        elif child.tag == _TBL:
            for row in _grid(child, budget):
                lines.append(" ".join(x for x in row if x))
    return "\n".join(line for line in lines if line.strip())


def _int(value, default=1) -> int:
    text = str(value).strip()
    if len(text) > 9:  # no real span has ten digits; int() of a long one is slow, past 4300 digits refused
        return limits.TABLE_SPAN.value if text.isdigit() else default
    try:
        return min(max(int(text), 1), limits.TABLE_SPAN.value)
    except ValueError:
        return default


def _before(tr) -> int:
    """Grid columns left empty before the row's first cell (w:gridBefore)."""
    trpr = tr.find(_TRPR)
    before = trpr.find(_GRIDBEFORE) if trpr is not None else None
    return _int(before.get(_VAL), 0) if before is not None else 0


def _span(tc) -> tuple[int, str | None]:
    """(grid columns the cell spans, its vMerge: None, "restart" or "continue")."""
    pr = tc[0] if len(tc) and tc[0].tag == _TCPR else None
    if pr is None:
        return 1, None
    gs, vm = pr.find(_GRIDSPAN), pr.find(_VMERGE)
    return (_int(gs.get(_VAL)) if gs is not None else 1), ((vm.get(_VAL) or "continue") if vm is not None else None)


def _size(tbl) -> tuple[int, int]:
    """(rows, columns) of the table's grid, from its spans alone."""
    rows = width = 0
    for tr in _kids(tbl, _TR):
        rows += 1
        width = max(width, _before(tr) + sum(_span(tc)[0] for tc in _kids(tr, _TC)))
    return rows, width


def _grid(tbl, budget: CellBudget) -> list[list[str]]:
    height, width = _size(tbl)
    budget.take(height * width, f"第{budget.tables + 1}个表格")
    grid: list[list[str]] = []
    for tr in _kids(tbl, _TR):
        row: list[str] = [""] * _before(tr)
        for tc in _kids(tr, _TC):
            span, merge = _span(tc)
            col = len(row)
            if merge == "continue" and grid:
                above = grid[-1]
                text = above[col] if col < len(above) else ""
            else:
                text = _cell_text(tc, budget)
            row.extend([text] * span)
        grid.append(row)
    return [r + [""] * (width - len(r)) for r in grid]


def extract(path: Path, data: bytes) -> Document:
    zf = _open(path, data)
    xml = zf.read("word/document.xml")
    if xml.count(b"<") > limits.DOCX_TAGS.value:  # before parsing: the whole tree is in memory at once
        raise LimitError.of(path, limits.DOCX_TAGS)
    try:
        if _fast is not None:
            root = _fast.fromstring(xml, _fast.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
        else:
            root = ET.fromstring(xml)
    except (ET.ParseError, ValueError, SyntaxError, LookupError):  # lxml's XMLSyntaxError is a SyntaxError; LookupError: ElementTree's unknown encoding
        raise InputError(f"{path}：文件已损坏（Word 文档内容无法解析）") from None
    body = root.find(W + "body")
    blocks: list[Block] = []
    if body is None:
        return Document(path, "docx", blocks)
    paras = grids = 0
    budget = CellBudget(path)
    for child in _children(body):
        if child.tag == _P:
            for line in _paragraph_text(child).split("\n"):
                text = clean_prose(line)
                if text:
                    paras += 1
                    blocks.append(Block("para", f"第{paras}段", text=text))
        elif child.tag == _TBL:
            grids += 1
            blocks.append(Block("grid", f"第{grids}个表格", rows=_grid(child, budget)))
    return Document(path, "docx", blocks)
