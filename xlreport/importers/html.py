"""A web page → blocks: paragraphs, and tables as grids with rowspan/colspan expanded (stdlib html.parser).

A table that holds another table is page layout, not data: its cells are read as paragraphs and
the tables inside it as grids. GBK/GB18030 pages are read as well as UTF-8 ones.
"""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser
from pathlib import Path

from .document import Block, Document, clean_prose

MAX_SPAN = 200  # rowspan/colspan beyond this is a broken or hostile page

_BREAK_TAGS = {
    "p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article", "header", "footer",
    "blockquote", "pre", "dd", "dt", "dl", "hr", "center", "form", "nav", "aside", "main", "figure", "figcaption", "caption",
}
_SKIP_TAGS = {"script", "style", "noscript", "template", "head", "select", "button", "svg", "object", "iframe"}
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 by BOM, or the page's declared charset; GBK pages as GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    declared = None
    m = _CHARSET.search(data[:8192])
    if m:
        declared = m.group(1).decode("ascii", "replace").lower()
    if declared in ("gb2312", "gbk", "gb18030", "x-gbk", "cp936", "gb_2312-80", "euc-cn", "hz-gb-2312"):
        return data.decode("gb18030", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace")


class _Sink:
    """Where text goes: the page itself or one table cell; paragraphs and nested blocks in order."""

    def __init__(self):
        self.out: list = []  # str (a paragraph) or Block
        self.buffer: list[str] = []

    def text(self, s: str) -> None:
        self.buffer.append(s)

    def flush(self) -> None:
        if self.buffer:
            text = " ".join("".join(self.buffer).split())
            self.buffer.clear()
            if text:
                self.out.append(clean_prose(text) if " " in text else text)


class _Cell(_Sink):
    def __init__(self, rowspan: int, colspan: int):
        super().__init__()
        self.rowspan, self.colspan = rowspan, colspan

    @property
    def nested(self) -> bool:
        return any(isinstance(x, Block) and x.kind == "grid" for x in self.out)

    def cell_text(self) -> str:
        return "\n".join(x if isinstance(x, str) else x.text for x in self.out if isinstance(x, str) or x.kind == "para")


class _Table:
    def __init__(self, parent: _Sink):
        self.parent = parent
        self.rows: list[list[_Cell]] = []
        self.cell: _Cell | None = None

    def new_row(self) -> None:
        self.end_cell()
        self.rows.append([])

    def new_cell(self, rowspan: int, colspan: int) -> _Cell:
        self.end_cell()
        if not self.rows:
            self.rows.append([])
        self.cell = _Cell(rowspan, colspan)
        self.rows[-1].append(self.cell)
        return self.cell

    def end_cell(self) -> None:
        if self.cell is not None:
            self.cell.flush()
            self.cell = None


def _span(value: str | None) -> int:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return 1
    return min(max(n, 1), MAX_SPAN)


def expand(rows: list[list[tuple[str, int, int]]]) -> list[list[str]]:
    """Cells (text, rowspan, colspan) to a full grid; a merged cell's text in every position it covers."""
    grid: dict[tuple[int, int], str] = {}
    height = len(rows)
    width = 0
    for r, row in enumerate(rows):
        c = 0
        for text, rowspan, colspan in row:
            while (r, c) in grid:
                c += 1
            for i in range(min(rowspan, max(height - r, 1))):
                for j in range(colspan):
                    grid[(r + i, c + j)] = text
            c += colspan
            width = max(width, c)
    return [[grid.get((r, c), "") for c in range(width)] for r in range(height)]


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = _Sink()
        self.sink: _Sink = self.page
        self.tables: list[_Table] = []
        self.skip = 0
        self.in_title = False
        self.title: list[str] = []
        self.grids = 0

    def handle_starttag(self, tag, attrs):
        tag = tag.lower()
        if tag == "title":
            self.in_title = True
            return
        if tag in _SKIP_TAGS and tag != "head":
            self.skip += 1
            return
        if self.skip:
            return
        if tag == "table":
            self.sink.flush()
            self.tables.append(_Table(self.sink))
        elif tag == "tr" and self.tables:
            self.tables[-1].new_row()
            self.sink = self.tables[-1].parent
        elif tag in ("td", "th") and self.tables:
            a = dict(attrs)
            self.sink = self.tables[-1].new_cell(_span(a.get("rowspan")), _span(a.get("colspan")))
        elif tag in _BREAK_TAGS:
            self.sink.flush()

    def handle_startendtag(self, tag, attrs):
        if tag.lower() in ("br", "hr") and not self.skip:
            self.sink.flush()

    def handle_endtag(self, tag):
        tag = tag.lower()
        if tag == "title":
            self.in_title = False
            return
        if tag in _SKIP_TAGS and tag != "head":
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag == "table" and self.tables:
            self._close_table()
        elif tag in ("td", "th") and self.tables:
            self.tables[-1].end_cell()
            self.sink = self.tables[-1].parent
        elif tag in _BREAK_TAGS:
            self.sink.flush()

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        elif not self.skip:
            self.sink.text(data)

    def _close_table(self) -> None:
        table = self.tables.pop()
        table.end_cell()
        parent = table.parent
        self.sink = parent
        cells = [c for row in table.rows for c in row]
        if any(c.nested for c in cells):
            # page layout: the cells' text as paragraphs, the tables inside as they are
            for c in cells:
                parent.flush()
                parent.out.extend(c.out)
            return
        if not cells:
            return
        self.grids += 1
        rows = expand([[(c.cell_text(), c.rowspan, c.colspan) for c in row] for row in table.rows])
        parent.flush()
        parent.out.append(Block("grid", f"第{self.grids}个表格", rows=rows))

    def close(self):
        super().close()
        while self.tables:
            self._close_table()
        self.page.flush()


def extract(path: Path, data: bytes) -> Document:
    parser = _Parser()
    parser.feed(decode(data))
    parser.close()
    blocks: list[Block] = []
    n = 0
    for x in parser.page.out:
        if isinstance(x, Block):
            blocks.append(x)
        else:
            n += 1
            blocks.append(Block("para", f"第{n}段", text=x))
    return Document(path, "html", blocks, title=clean_prose(" ".join(parser.title)))
