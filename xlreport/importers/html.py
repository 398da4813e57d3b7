"""A web page → blocks: paragraphs, and tables as grids with rowspan/colspan expanded.

A table that holds another table is page layout, not data: its cells are read as paragraphs and
the tables inside it as grids. GBK/GB18030 pages are read as well as UTF-8 ones.

Tags are read as the stdlib's html.parser reads them (its patterns), by a tokenizer of our own
that reads each character once. html.parser raises AssertionError on a `<![` it does not know
(`<![ x`, `<![foo[`), reads `<![if …]>` on to a `]>` however far, and goes back over the rest
of the page after every construct that is not closed (a page of `<!--` or of `<a x='>'` is
quadratic); here a construct that is not closed runs to the end of the page, as in a browser.
A table's size is checked against limits.TABLE_CELLS and DOCUMENT_CELLS before its grid is made.
"""

from __future__ import annotations

import codecs
import html
import re
from pathlib import Path

from .. import limits
from ..errors import LimitError
from .document import Block, CellBudget, Document, clean_prose

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

    __slots__ = ("out", "buffer", "has_grid")

    def __init__(self):
        # str (a paragraph), Block (a grid) or _Sink (the cell of a layout table, its content in
        # place: copied into each enclosing cell instead, text deep in nested tables is quadratic)
        self.out: list = []
        self.buffer: list[str] = []
        self.has_grid = False

    def text(self, s: str) -> None:
        self.buffer.append(s)

    def flush(self) -> None:
        if self.buffer:
            text = " ".join("".join(self.buffer).split())
            self.buffer.clear()
            if text:
                self.out.append(clean_prose(text) if " " in text else text)

    def add(self, item) -> None:
        self.out.append(item)
        self.has_grid = self.has_grid or isinstance(item, Block) or item.has_grid

    def items(self):
        """Paragraphs and grids in order, with the content of layout cells in place."""
        stack = [iter(self.out)]
        while stack:
            item = next(stack[-1], None)
            if item is None:
                stack.pop()
            elif isinstance(item, _Sink):
                stack.append(iter(item.out))
            else:
                yield item


class _Cell(_Sink):
    __slots__ = ("rowspan", "colspan")

    def __init__(self, rowspan: int, colspan: int):
        super().__init__()
        self.rowspan, self.colspan = rowspan, colspan

    @property
    def nested(self) -> bool:
        return self.has_grid

    def cell_text(self) -> str:
        return "\n".join(x for x in self.out if isinstance(x, str))


class _Table:
    def __init__(self, parent: _Sink, number: int):
        self.parent = parent
        self.number = number  # in the page's order of <table> tags, for a message
        self.rows: list[list[_Cell]] = []
        self.cell: _Cell | None = None
        self.cells = 0

    def new_row(self) -> None:
        self.end_cell()
        self.rows.append([])

    def new_cell(self, rowspan: int, colspan: int) -> _Cell:
        self.end_cell()
        if not self.rows:
            self.rows.append([])
        self.cell = _Cell(rowspan, colspan)
        self.rows[-1].append(self.cell)
        self.cells += 1
        return self.cell

    def end_cell(self) -> None:
        if self.cell is not None:
            self.cell.flush()
            self.cell = None


def _span(value: str | None) -> int:
    text = str(value).strip()
    if len(text) > 9:  # no real span has ten digits; int() of a long one is slow, past 4300 digits refused
        return limits.TABLE_SPAN.value if text.isdigit() else 1
    try:
        n = int(text)
    except ValueError:
        return 1
    return min(max(n, 1), limits.TABLE_SPAN.value)


def expand(rows: list[list[tuple[str, int, int]]], at_most: int | None = None) -> list[list[str]]:
    """Cells (text, rowspan, colspan) to a full grid; a merged cell's text in every position it covers.

    With ``at_most``, a grid of more cells is not made: TooBig is raised instead, before anything
    of its size is allocated (the positions the cells cover are counted first, then the grid's
    width found from them)."""
    height = len(rows)
    if at_most is not None:
        covered = sum(min(rowspan, max(height - r, 1)) * colspan for r, row in enumerate(rows) for _, rowspan, colspan in row)
        if covered > at_most:
            raise TooBig(covered)
    grid: dict[tuple[int, int], str] = {}
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
    if at_most is not None and height * width > at_most:
        raise TooBig(height * width)
    return [[grid.get((r, c), "") for c in range(width)] for r in range(height)]


class TooBig(Exception):
    """A table whose grid would hold more cells than allowed (``cells``: at least that many)."""

    def __init__(self, cells: int):
        super().__init__(cells)
        self.cells = cells


# --- tokens: how html.parser reads them, read once -------------------------------------------------

_MARKUP = re.compile(r"<[a-zA-Z/!?]")  # any other < is text
_START_TAG = re.compile(r"""
  <[a-zA-Z][^\t\n\r\f />\x00]*       # tag name
  (?:[\s/]*                          # optional whitespace before attribute name
    (?:(?<=['"\s/])[^\s/>][^\s/=>]*  # attribute name
      (?:\s*=+\s*                    # value indicator
        (?:'[^']*'                   # LITA-enclosed value
          |"[^"]*"                   # LIT-enclosed value
          |(?!['"])[^>\s]*           # bare value
         )
        \s*                          # possibly followed by a space
       )?(?:\s|/(?!>))*
     )*
   )?
  \s*                                # trailing whitespace
""", re.VERBOSE)  # html.parser's locatestarttagend_tolerant
_TAG_NAME = re.compile(r"([a-zA-Z][^\t\n\r\f />\x00]*)(?:\s|/(?!>))*")
_ATTRIBUTE = re.compile(r"((?<=['\"\s/])[^\s/>][^\s/=>]*)(\s*=+\s*('[^']*'|\"[^\"]*\"|(?!['\"])[^>\s]*))?(?:\s|/(?!>))*")
_END_TAG = re.compile(r"</\s*([a-zA-Z][-.a-zA-Z0-9:_]*)\s*>")
_COMMENT_END = re.compile(r"--\s*>")
_SECTION_NAME = re.compile(r"[a-zA-Z][-_.a-zA-Z0-9]*\s*")
_SECTION_END = re.compile(r"]\s*]\s*>")  # of <![CDATA[…]]> and the other SGML sections html.parser knows
_SECTIONS = {"temp", "cdata", "ignore", "include", "rcdata"}
_RAW_TEXT = {tag: re.compile(rf"</\s*{tag}\s*>", re.I) for tag in ("script", "style")}  # html.parser's CDATA elements
_LONG_CHARREF = re.compile(r"&#(?:[xX]0*([0-9a-fA-F]+)|0*([0-9]+))")


def unescape(text: str) -> str:
    """html.unescape, safe on a hostile page: a numeric reference of more than 4300 digits makes
    it raise (int() refuses them), and any of more than 7 is beyond Unicode (U+FFFD) anyway."""
    if "&" not in text:
        return text
    if "&#" in text:
        text = _LONG_CHARREF.sub(lambda m: "\ufffd" if len(m.group(1) or m.group(2)) > 7 else m.group(0), text)
    return html.unescape(text)


def _after(text: str, mark: str, start: int) -> int:
    """Just past the next ``mark``; the end of the page when there is none (HTML5: a construct
    that is not closed runs to the end, and nothing after it is read twice)."""
    at = text.find(mark, start)
    return len(text) if at < 0 else at + len(mark)


class TooManyTags(Exception):
    """A page with more tags (and comments, declarations) than the tokenizer's ``max_tags``."""


class _Tokenizer:
    """Calls handle_starttag / handle_startendtag / handle_endtag / handle_data as html.parser
    (3.11, convert_charrefs) does on a well-formed page; on a broken one every construct ends
    where reading it stopped, so that the page is read once. Past ``max_tags`` constructs it
    stops with TooManyTags: each costs 10—20 µs, and 16 MB of them would take a minute."""

    max_tags: int | None = None

    def feed(self, text: str) -> None:
        pos, end = 0, len(text)
        tags, max_tags = 0, self.max_tags
        while pos < end:
            m = _MARKUP.search(text, pos)
            start = m.start() if m else end
            if start > pos:
                self.handle_data(unescape(text[pos:start]))
            if m is None:
                return
            tags += 1
            if max_tags is not None and tags > max_tags:
                raise TooManyTags()
            kind = text[start + 1]
            if kind == "/":
                pos = self._end_tag(text, start)
            elif kind == "!":
                pos = self._declaration(text, start)
            elif kind == "?":
                pos = _after(text, ">", start + 2)
            else:
                pos = self._start_tag(text, start)

    def _start_tag(self, text: str, i: int) -> int:
        j = _START_TAG.match(text, i).end()
        if text.startswith("/>", j):
            end = j + 2
        elif text.startswith(">", j):
            end = j + 1
        else:  # not closed where its attributes stop: text, as html.parser has it
            self.handle_data(text[i:j])
            return j
        tag_text = text[i:end]
        name = _TAG_NAME.match(tag_text, 1)
        tag, k = name.group(1).lower(), name.end()
        attrs = []
        while k < len(tag_text):
            m = _ATTRIBUTE.match(tag_text, k)
            if not m:
                break
            attr, rest, value = m.group(1, 2, 3)
            if not rest:
                value = None
            elif value[:1] == "'" == value[-1:] or value[:1] == '"' == value[-1:]:
                value = value[1:-1]
            if value:
                value = unescape(value)
            attrs.append((attr.lower(), value))
            k = m.end()
        rest = tag_text[k:].strip()
        if rest not in (">", "/>"):
            self.handle_data(tag_text)
            return end
        if rest == "/>":
            self.handle_startendtag(tag, attrs)
            return end
        self.handle_starttag(tag, attrs)
        if tag not in _RAW_TEXT:
            return end
        close = _RAW_TEXT[tag].search(text, end)
        if close is None:
            return len(text)  # html.parser leaves an unclosed script's text out
        self.handle_data(text[end:close.start()])
        self.handle_endtag(tag)
        return close.end()

    def _end_tag(self, text: str, i: int) -> int:
        gt = text.find(">", i + 1)
        if gt < 0:
            return len(text)
        m = _END_TAG.match(text, i)
        if m:
            self.handle_endtag(m.group(1).lower())
        else:
            name = _TAG_NAME.match(text, i + 2)
            if name is not None:
                self.handle_endtag(name.group(1).lower())  # `</td junk>`: the name counts
        return gt + 1  # `</>` and `</ junk>` are ignored

    def _declaration(self, text: str, i: int) -> int:
        if text.startswith("<!--", i):
            m = _COMMENT_END.search(text, i + 4)
            return m.end() if m else len(text)
        if text.startswith("<![", i):  # a marked section: <![CDATA[…]]>
            m = _SECTION_NAME.match(text, i + 3)
            if m and m.group().strip().lower() in _SECTIONS:
                m = _SECTION_END.search(text, i + 3)
                return m.end() if m else len(text)
            # <![if !IE]>, <![endif]> (Word's pages) and any other: to the first > (HTML5's bogus
            # comment); html.parser reads on to a `]>` however far (or raises AssertionError)
        return _after(text, ">", i + 2)  # <!DOCTYPE …> and bogus comments

    def handle_starttag(self, tag, attrs):
        pass

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        pass

    def handle_data(self, data):
        pass


# --- the page --------------------------------------------------------------------------------------


class _Parser(_Tokenizer):
    def __init__(self, path: Path):
        self.path = path
        self.max_tags = limits.HTML_TAGS.value
        self.page = _Sink()
        self.sink: _Sink = self.page
        self.tables: list[_Table] = []
        self.skip = 0
        self.in_title = False
        self.title: list[str] = []
        self.grids = 0
        self.budget = CellBudget(path)
        self.parts = 0  # tables, rows and cells read: each costs memory before any grid is made
        self.opened = 0  # <table> tags

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self.in_title = True
            return
        if tag in _SKIP_TAGS and tag != "head":
            self.skip += 1
            return
        if self.skip:
            return
        if tag == "table":
            self._count()
            self.sink.flush()
            self.opened += 1
            self.tables.append(_Table(self.sink, self.opened))
        elif tag == "tr" and self.tables:
            self._count(rows=True)
            self.tables[-1].new_row()
            self.sink = self.tables[-1].parent
        elif tag in ("td", "th") and self.tables:
            self._count(cells=True)
            a = dict(attrs)
            self.sink = self.tables[-1].new_cell(_span(a.get("rowspan")), _span(a.get("colspan")))
        elif tag in _BREAK_TAGS:
            self.sink.flush()

    def handle_startendtag(self, tag, attrs):
        if tag in ("br", "hr") and not self.skip:
            self.sink.flush()

    def handle_endtag(self, tag):
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

    def _count(self, rows: bool = False, cells: bool = False) -> None:
        """A table, row or cell more: past the limits long before the tables are closed and
        their grids made (a row or a cell is at least one cell of a grid)."""
        self.parts += 1
        if self.parts > limits.DOCUMENT_CELLS.value:
            raise LimitError.of(self.path, limits.DOCUMENT_CELLS)
        table = self.tables[-1] if self.tables else None
        if table is not None and (rows and len(table.rows) >= limits.TABLE_CELLS.value
                                  or cells and table.cells >= limits.TABLE_CELLS.value):
            raise LimitError.of(self.path, limits.TABLE_CELLS, f"第{table.number}个表格")

    def _close_table(self) -> None:
        table = self.tables.pop()
        table.end_cell()
        parent = table.parent
        self.sink = parent
        cells = [c for row in table.rows for c in row]
        if any(c.nested for c in cells):
            # page layout: the cells' text as paragraphs, the tables inside as they are
            parent.flush()
            for c in cells:
                parent.add(c)
            return
        if not cells:
            return
        self.grids += 1
        rows = self._grid(table)
        parent.flush()
        parent.add(Block("grid", f"第{self.grids}个表格", rows=rows))

    def _grid(self, table: _Table) -> list[list[str]]:
        """The table's grid, within limits.TABLE_CELLS and (with the grids before it) DOCUMENT_CELLS."""
        cells = [[(c.cell_text(), c.rowspan, c.colspan) for c in row] for row in table.rows]
        where = f"第{table.number}个表格"
        try:
            rows = expand(cells, at_most=self.budget.room())
            size = len(rows) * len(rows[0])
        except TooBig as e:
            rows, size = [], e.cells
        self.budget.take(size, where)  # a table beyond the room is refused here
        return rows

    def close(self):
        while self.tables:
            self._close_table()
        self.page.flush()


def extract(path: Path, data: bytes) -> Document:
    parser = _Parser(path)
    try:
        parser.feed(decode(data))
    except TooManyTags:
        raise LimitError.of(path, limits.HTML_TAGS) from None
    parser.close()
    blocks: list[Block] = []
    n = 0
    for x in parser.page.items():
        if isinstance(x, Block):
            blocks.append(x)
        else:
            n += 1
            blocks.append(Block("para", f"第{n}段", text=x))
    return Document(path, "html", blocks, title=clean_prose(" ".join(parser.title)))
