""".pdf → lines of text from its text layer (pdfplumber), page by page, for locate.locate_lines.

A PDF without text (a scan) cannot be read: the message says so.

pdfplumber reads the file in a child process (isolation.py), within limits.PDF_MEMORY and
limits.PDF_SECONDS: a PDF whose objects refer to each other in a loop makes pdfminer read for
ever, and a page that draws millions of glyphs takes gigabytes. The child counts pages
(PDF_PAGES, before any is read) and glyphs (PDF_CHARS, as each string is drawn, before pdfminer
makes an object of each glyph).

pdfplumber is imported here only, so the other commands do not pay for it.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from .. import isolation, limits
from ..errors import InputError, LimitError
from .document import Block, CellBudget, Document
from .text import lines_document


def extract(path: Path, data: bytes) -> Document:
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise InputError(f"{path}：不是 PDF 文件（文件开头没有 %PDF 标记），无法读取")
    outcome = _read(path, data)
    kind = outcome[0]
    if kind == "missing":
        raise InputError(f"{path}：读取 PDF 需要 pdfplumber", "请运行 pip install pdfplumber")
    if kind == "encrypted":
        raise InputError(f"{path}：PDF 设置了密码，无法读取")
    if kind == "broken":
        raise InputError(f"{path}：PDF 文件已损坏，无法读取（{outcome[1]}）")
    if kind == "limit":
        raise LimitError.of(path, getattr(limits, outcome[1]), outcome[2])
    _, lines, starts, grids, positions = outcome
    if not any(t.strip() for _, t in lines):
        raise InputError(f"{path}：PDF 中没有文字层（可能是扫描件），无法读取", "请找到报告的网页版或 Word 版，或先做文字识别（OCR）")
    doc = lines_document(path, "pdf", lines)
    doc.starts = starts
    doc.positions = positions
    budget = CellBudget(path)
    for where, rows in grids:
        budget.take(sum(len(r) for r in rows), where)
        doc.blocks.append(Block("grid", where, rows=rows))
    return doc


# --- the parent ---------------------------------------------------------------------------------


def _read(path: Path, data: bytes) -> tuple:
    """The outcome of reading ``data`` (see _outcome), from a child process within the limits."""
    kind, value = isolation.read(path, " PDF ", _read_quietly, (data, limits.PDF_PAGES.value, limits.PDF_CHARS.value),
                                 limits.PDF_MEMORY, limits.PDF_SECONDS, preload=("pdfplumber",))
    return value if kind == "done" else ("broken", value)  # failed: a bug of ours, not a broken file


# --- the child ----------------------------------------------------------------------------------


_MEMORY_FULL = ("limit", "PDF_MEMORY", "")


def _read_quietly(data: bytes, pages: int, chars: int) -> tuple:
    _quiet()
    return _outcome(data, pages, chars)


def _quiet() -> None:
    """The child says nothing on the clerk's terminal: pdfminer logs every oddity of a broken
    file, pdfplumber warns; the outcome tells the parent all there is to tell."""
    for name in ("pdfminer", "pdfplumber"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    warnings.simplefilter("ignore")


class _Refused(BaseException):
    """A limit passed while reading (``limit``: its name in limits.py). A BaseException: pdfplumber
    wraps every Exception from pdfminer in one of its own."""

    def __init__(self, limit: str, actual: str = ""):
        super().__init__(limit)
        self.limit, self.actual = limit, actual


def _outcome(data: bytes, page_limit: int, char_limit: int) -> tuple:
    """("lines", lines, starts) | ("limit", name, actual) | ("encrypted",) | ("broken", what) | ("missing",)."""
    try:
        import pdfplumber
    except ImportError:  # pragma: no cover - a dependency of the package
        return ("missing",)
    try:
        with _counting(char_limit), pdfplumber.open(io.BytesIO(data)) as pdf:
            return ("lines",) + _lines(_pages(pdf, page_limit))
    except _Refused as e:
        return ("limit", e.limit, e.actual)
    except Exception as e:  # pdfminer raises many kinds of errors for a broken or encrypted file
        causes = _causes(e)
        if any(isinstance(c, MemoryError) for c in causes):
            return _MEMORY_FULL
        if any("Password" in type(c).__name__ or "Encrypt" in type(c).__name__ for c in causes):
            return ("encrypted",)
        return ("broken", type(e).__name__)


def _causes(e: BaseException) -> list[BaseException]:
    """The error and what it wraps (pdfplumber: PdfminerException(the error); Python: __cause__)."""
    out: list[BaseException] = []
    while isinstance(e, BaseException) and e not in out and len(out) < 10:
        out.append(e)
        e = e.args[0] if e.args and isinstance(e.args[0], BaseException) else (e.__cause__ or e.__context__)
    return out


def _pages(pdf, limit: int) -> list:
    """The pages, refused past ``limit`` before any is read (pdfplumber's pdf.pages makes all of
    them first)."""
    from pdfminer.pdfpage import PDFPage
    from pdfplumber.page import Page
    from pdfplumber.utils.exceptions import PdfminerException

    pages = []
    doctop = 0
    found = PDFPage.create_pages(pdf.doc)
    while True:
        try:
            page_obj = next(found, None)
        except Exception as e:  # as pdfplumber's pdf.pages reports it
            raise PdfminerException(e) from e
        if page_obj is None:
            return pages
        if len(pages) >= limit:
            raise _Refused("PDF_PAGES")
        page = Page(pdf, page_obj, page_number=len(pages) + 1, initial_doctop=doctop)
        pages.append(page)
        doctop += page.height


def _lines(pages: list) -> tuple[list[tuple[str, str]], set[int], list[tuple[str, list[list[str]]]], dict]:
    lines: list[tuple[str, str]] = []
    starts: set[int] = set()  # lines set in from the left margin: a paragraph's first line (公文 indent)
    grids: list[tuple[str, list[list[str]]]] = []  # tables drawn with ruling lines, cell by cell
    positions: dict[str, list[tuple[str, float]]] = {}  # each line's words and where they stand
    for p, page in enumerate(pages, 1):
        for t, table in enumerate(page.find_tables(), 1):
            rows = cell_grid(table)
            if rows:
                grids.append((f"第{p}页第{t}个表格", rows))
        found = page.extract_text_lines(return_chars=True) or []
        lefts = Counter(round(line["x0"]) for line in found)
        margin = min((x for x, n in lefts.items() if n >= max(2, len(found) // 5)), default=None)
        for i, line in enumerate(found, 1):
            chars = line.get("chars") or []
            size = chars[0]["size"] if chars else 12
            if margin is not None and 1.5 * size <= line["x0"] - margin <= 4.5 * size:
                starts.add(len(lines))
            lines.append((f"第{p}页第{i}行", line["text"]))
            positions[f"第{p}页第{i}行"] = word_centres(chars)
        page.close()  # its characters and layout: a page's worth of memory at a time
    return lines, starts, grids, positions


def word_centres(chars: list[dict]) -> list[tuple[str, float]]:
    """The line's words (runs of characters without a gap of half a character) and the x of each
    one's middle: where on the page a number stands, so that a row with empty cells can be told
    which columns its numbers are in."""
    words: list[tuple[str, float]] = []
    text, left, right = "", 0.0, 0.0
    for c in chars:
        gap = c["x0"] - right
        if text and (c["text"].isspace() or gap > 0.5 * (c.get("size") or 10)):
            words.append((text, (left + right) / 2))
            text = ""
        if c["text"].isspace():
            continue
        if not text:
            left = c["x0"]
        text += c["text"]
        right = c["x1"]
    if text:
        words.append((text, (left + right) / 2))
    return words


def cell_grid(table) -> list[list[str]]:
    """A table found by its ruling lines (pdfplumber) as a grid of cells, a merged cell's text in
    every grid position it covers, as a web page's rowspan/colspan is expanded: pdfplumber gives
    the text at a merged cell's first position and None at the others, and the cells' boxes
    say which cell covers which position. An empty cell stays "" (not 0, not a shifted row)."""
    text = table.extract()
    rows = table.rows
    if not rows or not text:
        return []
    width = max(len(r.cells) for r in rows)
    lefts: dict[int, float] = {}
    for r in rows:
        for c, box in enumerate(r.cells):
            if box is not None:
                lefts.setdefault(c, box[0])
    edges = [lefts.get(c) for c in range(width)]
    tops = [r.bbox[1] for r in rows] + [table.bbox[3]]
    boxes = [(r, c, box) for r, row in enumerate(rows) for c, box in enumerate(row.cells) if box is not None]
    grid = []
    for r, row in enumerate(text):
        line = []
        for c in range(width):
            value = row[c] if c < len(row) else None
            if value is None and edges[c] is not None:
                right = next((x for x in edges[c + 1:] if x is not None), table.bbox[2])
                x, y = (edges[c] + right) / 2, (tops[r] + tops[r + 1]) / 2
                owner = next(((i, j) for i, j, (x0, top, x1, bottom) in boxes if x0 <= x <= x1 and top <= y <= bottom), None)
                value = text[owner[0]][owner[1]] if owner is not None else ""
            line.append(value or "")
        grid.append(line)
    return grid


@contextmanager
def _counting(limit: int):
    """Glyphs counted as each string is drawn, before pdfminer makes an object of each glyph:
    past ``limit`` the reading stops (_Refused)."""
    from pdfplumber.page import PDFPageAggregatorWithMarkedContent as device

    drawn = 0
    own = device.__dict__.get("render_string")
    render = device.render_string

    def render_string(self, textstate, seq, ncs, graphicstate):
        nonlocal drawn
        for s in seq:
            if isinstance(s, bytes):
                cids = textstate.font.decode(s)  # a tuple, or (a CMap's) a generator
                drawn += len(cids) if hasattr(cids, "__len__") else sum(1 for _ in cids)
        if drawn > limit:
            raise _Refused("PDF_CHARS")
        return render(self, textstate, seq, ncs, graphicstate)

    device.render_string = render_string
    try:
        yield
    finally:
        if own is None:
            del device.render_string
        else:  # pragma: no cover - pdfplumber does not define one today
            device.render_string = own
