"""Problems and rows as plain-text tables (CJK-aware widths, wrapped cells), for the terminal and for
the text the library writes; below the CLI, so the batch and the annotated copy use it too."""

from __future__ import annotations

import unicodedata
from typing import Iterable, Iterator

from . import lazyre
from .problems import Problem
from .format.spec import SEVERITY_NAMES

HEADERS = ("级别", "位置", "项目", "问题", "应为", "实际")
MAX_WIDTHS = (6, 22, 30, 56, 14, 14)
_WORD = lazyre.compile(r"[0-9A-Za-z.!$:_-]")
_WORD_END = lazyre.compile(r"[0-9A-Za-z.!$:_-]+$")


def width(text: str) -> int:
    """Columns on a terminal: East Asian wide and fullwidth characters take two. Counted
    character by character: the one regex class of the wide blocks that did it in one pass took
    8 ms to compile, every run of the program, more than printing a report's problems costs so."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ch > "\x7f" and unicodedata.east_asian_width(ch) in "WF")


# punctuation that never begins a line (it stays at the end of the line before, one column over)
_NO_LINE_START = frozenset("。，、；：？！）》」』】”’%")
# punctuation that never ends a line (it goes down with what it opens)
_NO_LINE_END = "（《「『【“‘("


def wrap(text: str, limit: int, hang: bool = False) -> list[str]:
    """Lines of at most ``limit`` columns; ``hang`` lets closing punctuation run one character
    past the limit rather than begin a line (running text; never in a table's columns)."""
    if "\n" not in text and (len(text) * 2 <= limit or width(text) <= limit):
        return [text]  # fits as it is
    lines, line, w = [], "", 0
    for ch in text:
        cw = width(ch)
        if ch == "\n" or (w + cw > limit and line and not (hang and ch in _NO_LINE_START and w < limit + 2)):
            carry = ""
            if ch != "\n" and _WORD.match(ch):
                # never cut a number (or a cell address) in two: "= 1" / "42" reads as 1
                m = _WORD_END.search(line)
                if m and m.start() > 0:
                    line, carry = line[: m.start()], m.group(0)
            if ch != "\n" and line[-1:] in _NO_LINE_END and len(line) > 1:
                line, carry = line[:-1], line[-1] + carry
            lines.append(line)
            line, w = carry, width(carry)
            if ch == "\n":
                continue
        line += ch
        w += cw
    lines.append(line)
    return lines


def pad(text: str, size: int) -> str:
    return text + " " * max(0, size - width(text))


def table(rows: list[tuple[str, ...]], headers=HEADERS, max_widths=MAX_WIDTHS) -> str:
    widths = [min(m, max([width(h)] + [width(r[i]) for r in rows])) for i, (h, m) in enumerate(zip(headers, max_widths))]
    return "\n".join(table_lines(rows, headers, widths))


def table_lines(rows: Iterable[tuple[str, ...]], headers, widths) -> Iterator[str]:
    sep = "  "
    yield sep.join(pad(h, w) for h, w in zip(headers, widths)).rstrip()
    yield sep.join("-" * w for w in widths)
    for row in rows:
        cells = [wrap(text, w) for text, w in zip(row, widths)]
        for i in range(max(len(c) for c in cells)):
            yield sep.join(pad(c[i] if i < len(c) else "", w) for c, w in zip(cells, widths)).rstrip()


def problem_rows(problems: list[Problem]) -> list[tuple[str, ...]]:
    return [
        ("已确认" if p.accepted else SEVERITY_NAMES[p.severity], p.place or "—", p.item or "—",
         p.message + (f"（已确认：{p.accepted}）" if p.accepted else ""), p.expected, p.actual)
        for p in problems
    ]


def render_problems(problems: list[Problem], columns: int | None = None) -> str:
    """Grouped by sheet in the order given (already sorted: sheet, errors first, cell): a table,
    or where it would not fit in ``columns`` (an 80-column terminal), a block per problem."""
    blocks: list[str] = []
    groups: dict[str, list[Problem]] = {}
    for p in problems:
        groups.setdefault(p.sheet or "整个文件", []).append(p)
    for sheet, items in groups.items():
        blocks.append(f"【{sheet}】")
        text = table(problem_rows(items))
        if columns is not None and max(map(width, text.splitlines())) > columns:
            text = "\n".join(problem_blocks(problem_rows(items), columns))
        blocks.append(text)
        blocks.append("")
    return "\n".join(blocks)


BLOCK_INDENT = 6


def problem_blocks(rows: list[tuple[str, ...]], columns: int) -> Iterator[str]:
    """Each problem in lines of at most ``columns``: level, place and item; the message; 应为 and 实际."""
    inner = max(columns - BLOCK_INDENT, 20)
    for level, place, item, message, expected, actual in rows:
        first = wrap(f"{place}  {item}", inner)
        yield pad(level, BLOCK_INDENT) + first[0]
        yield from (" " * BLOCK_INDENT + line for line in first[1:])
        tail = "；".join(part for part in (f"应为：{expected}" if expected else "", f"实际：{actual}" if actual else "") if part)
        for text in (message, tail):
            yield from (" " * BLOCK_INDENT + line for line in (wrap(text, inner, hang=True) if text else []))


def summary_line(errors: int, warnings: int, accepted: int = 0) -> str:
    also = f"（另有 {accepted} 个提醒已确认）" if accepted else ""
    if errors:
        return f"发现 {errors} 个错误、{warnings} 个提醒{also}。请按“应为”一栏修改后重新检查。"
    if warnings:
        return f"检查通过：没有错误，有 {warnings} 个提醒{also}。"
    return f"检查通过：没有发现问题{also}。"


def lapsed_lines(lapsed: list[dict]) -> list[str]:
    return [f"提醒：对“{e.get('code')}”（{e.get('place')}）的确认已失效（相关数字已变化），请重新核对：{e.get('reason', '')}" for e in lapsed]
