"""What every format is turned into: blocks in reading order (paragraphs and grids of cells), or
lines of text where the tables are not cells any more (PDF text)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .. import limits
from ..errors import LimitError
from ..format.locate import is_page_number, section_heading


@dataclass
class Block:
    """A paragraph or a table of a published document, and where in it."""

    kind: str  # "para" | "grid"
    where: str  # where in the source, as a reader finds it ("第3个表格", "第12行", "第2页")
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Document:
    """A published report as its blocks (or its lines of text), whatever format it came in."""

    path: Path
    kind: str  # html | docx | pdf | txt
    blocks: list[Block] = field(default_factory=list)
    lines: list[tuple[str, str]] | None = None  # (where, text) when the tables are lines of text
    starts: set[int] = field(default_factory=set)  # indexes of lines known to begin a paragraph (PDF indent)
    positions: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # a PDF line's words and their x
    title: str = ""  # a web page's <title>

    @property
    def grids(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "grid"]

    @property
    def paragraphs(self) -> list[tuple[str, str]]:
        return [(b.where, b.text) for b in self.blocks if b.kind == "para"]


class CellBudget:
    """The cells a document's tables may expand to: limits.TABLE_CELLS for one table and
    DOCUMENT_CELLS for all of them, checked on a table's size before its grid is made."""

    def __init__(self, path: Path):
        self.path = path
        self.used = 0
        self.tables = 0

    def room(self) -> int:
        """The most cells the next table may have."""
        return min(limits.TABLE_CELLS.value, limits.DOCUMENT_CELLS.value - self.used)

    def take(self, cells: int, where: str) -> None:
        """Count a table of ``cells`` cells (``where``: which table, for the message), or refuse
        the document."""
        self.tables += 1
        if cells > limits.TABLE_CELLS.value:
            raise LimitError.of(self.path, limits.TABLE_CELLS, where)
        if self.used + cells > limits.DOCUMENT_CELLS.value:
            raise LimitError.of(self.path, limits.DOCUMENT_CELLS, f"{self.tables}个表格共{self.used + cells}格")
        self.used += cells


# --- text clean-up ------------------------------------------------------------------------------

_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’《》、，。；：？！（）【】—…·"
_SPACES = r"[ \t\u00a0\u3000]"
# The second branch is tried at the start of a run of spaces only ((?<!…)): it cannot match
# inside a run where it failed at the start, and tried at each space of a long run it reads the
# rest of the run every time (quadratic).
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}]){_SPACES}+|(?<!{_SPACES}){_SPACES}+(?=[{_CJK}])")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\u200b\ufeff]")


def clean_prose(text: str) -> str:
    """One paragraph: control characters out, spaces next to Chinese text out (PDF text and
    justified Word text put them between every character), other runs of spaces made one."""
    t = _CONTROL.sub("", text).replace("\u00a0", " ")
    t = _SPACE_NEAR_CJK.sub("", t)
    return re.sub(r"[ \t]{2,}", " ", t).strip()


def width(text: str) -> int:
    """Room a line takes: a Chinese character two, anything else (a gap between words too) one."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in re.sub(r"\s+", " ", text.strip()))


_STARTS_PARAGRAPH = re.compile(r"^\s*(?:[（(][一二三四五六七八九十]+[）)]|[一二三四五六七八九十]+、|[0-9]+[.、．](?![0-9]))")
_ENDS_SENTENCE = "。！？；：!?;:）)"


def paragraphs_from_lines(lines: list[tuple[str, str]], starts: set[int] = frozenset()) -> list[tuple[str, str]]:
    """Lines of a hard-wrapped text (PDF) joined into paragraphs; text already one paragraph a line is kept.

    A paragraph ends at a line clearly shorter than a full line, at a blank line, and before a
    heading or numbered item; page numbers between the lines are dropped.
    """
    kept = [(w, t.strip(), i in starts) for i, (w, t) in enumerate(lines) if not is_page_number(t)]
    widths = sorted(width(t) for _, t, _ in kept if t)
    if not widths:
        return []
    full = widths[int(len(widths) * 0.9)] if len(widths) >= 10 else widths[-1]
    near_full = sum(1 for x in widths if x >= full * 0.9)
    wrapped = full >= 30 and near_full >= max(3, len(widths) // 4)
    out: list[tuple[str, str]] = []
    current: list[str] = []
    start = ""

    def close():
        if current:
            text = clean_prose("".join(current))  # Chinese text wraps without a space
            if text:
                out.append((start, text))
            current.clear()

    for where, text, indented in kept:
        if not text:
            close()
            continue
        if not wrapped:
            close()
            start = where
            current.append(text)
            close()
            continue
        if current and (indented or _STARTS_PARAGRAPH.match(text) or section_heading(text)):
            close()
        if not current:
            start = where
        current.append(text)
        w = width(text)
        if w < full * 0.8 or (text.endswith(("。", "！", "？")) and w <= full - 3) or section_heading(text):
            close()
    close()
    return out
