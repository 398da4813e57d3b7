"""What every format is turned into: blocks in reading order (paragraphs and grids of cells), or
lines of text where the tables are not cells any more (PDF text)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..locate import is_page_number, section_heading


@dataclass
class Block:
    kind: str  # "para" | "grid"
    where: str  # where in the source, as a reader finds it ("第3个表格", "第12行", "第2页")
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Document:
    path: Path
    kind: str  # html | docx | pdf | txt
    blocks: list[Block] = field(default_factory=list)
    lines: list[tuple[str, str]] | None = None  # (where, text) when the tables are lines of text
    starts: set[int] = field(default_factory=set)  # indexes of lines known to begin a paragraph (PDF indent)
    title: str = ""  # a web page's <title>

    @property
    def grids(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "grid"]

    @property
    def paragraphs(self) -> list[tuple[str, str]]:
        return [(b.where, b.text) for b in self.blocks if b.kind == "para"]


# --- text clean-up ------------------------------------------------------------------------------

_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’《》、，。；：？！（）【】—…·"
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])[ \t\u00a0\u3000]+|[ \t\u00a0\u3000]+(?=[{_CJK}])")
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
