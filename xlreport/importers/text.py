""".txt → a document. Two layouts are told apart:

- one cell per line, each cell line starting with a tab and a blank line after each table row (a
  web page's tables copied as text, like the bundled example's reference): read as grids;
- PDF text, where a table row's numbers share a line (`规章 1 0 11`) and a wrapped label may come
  before or after them: kept as lines for locate.locate_lines.

A cell-per-line text without tabs has its runs of one-number lines joined into one line, so the
lines reader sees a row's numbers together.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from ..format.locate import is_placeholder, split_values
from .document import Block, Document, clean_prose

_TAB_CELLS_MIN = 20  # tab-led lines needed to read a text as one cell per line


def decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace")


def _tab_cells(path: Path, lines: list[str]) -> Document:
    blocks: list[Block] = []
    rows: list[list[str]] = []
    row: list[list[str]] = []  # each cell as its lines: adding a line to a joined text copies it (quadratic)
    grid_start = ""
    last_was_cell = False
    grids = 0

    def end_row():
        nonlocal row
        if row:
            rows.append(["\n".join(part for part in cell if part) for cell in row])
            row = []

    def end_grid():
        nonlocal rows, grids
        end_row()
        if rows:
            grids += 1
            blocks.append(Block("grid", f"第{grids}个表格（{grid_start}起）", rows=rows))
            rows = []

    for i, line in enumerate(lines, 1):
        if line.startswith("\t"):
            if not rows and not row:
                grid_start = f"第{i}行"
            row.append([line.strip()])
            last_was_cell = True
        elif not line.strip():
            end_row()
            last_was_cell = False
        elif last_was_cell and row:
            row[-1].append(line.strip())  # a cell's text goes on
        else:
            end_grid()
            text = clean_prose(line)
            if text:
                blocks.append(Block("para", f"第{i}行", text=text))
            last_was_cell = False
    end_grid()
    return Document(path, "txt", blocks)


def _join_value_lines(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Runs of lines holding one number each (one cell per line) joined into one line."""
    out: list[tuple[str, str]] = []
    run: list[tuple[str, str]] = []

    def flush():
        if len(run) > 1:
            out.append((f"{run[0][0]}—{run[-1][0]}", " ".join(t.strip() for _, t in run)))
        else:
            out.extend(run)
        run.clear()

    for where, text in lines:
        t = text.strip()
        label, values = split_values(t) if t else ("", [])
        if t and not label and (len(values) == 1 or is_placeholder(t)):
            run.append((where, t))
            continue
        if not t and run:
            continue  # an empty cell between numbers: its place is lost either way
        flush()
        out.append((where, text))
    flush()
    return out


def lines_document(path: Path, kind: str, lines: list[tuple[str, str]]) -> Document:
    multi = sum(1 for _, t in lines if len(split_values(t)[1]) >= 3)
    single = sum(1 for _, t in lines if t.strip() and not split_values(t.strip())[0])
    if multi < 5 and single >= 20:
        lines = _join_value_lines(lines)
    return Document(path, kind, [], lines=lines)


# `| --- | :-: |`: the spaces between the marks belong to one place each, so that a line of
# spaces that is not a rule is refused in one pass (two `\s*` side by side split a run of n
# spaces n ways before failing, every split read again: quadratic)
_MD_RULE = re.compile(r"^\s*(?:\|\s*)?(?::?-{3,}:?\s*\|\s*)+(?:(?::-*:?|-+:?)\s*)?$")


def _unpipe(line: str) -> str:
    """A Markdown table row (`| 规章 | 1 | 0 | 11 |`, as PDF-to-Markdown tools write) as a line of cells."""
    if "|" in line and line.lstrip().startswith("|"):
        return " ".join(cell.strip() for cell in line.strip().strip("|").split("|"))
    return line


def extract(path: Path, data: bytes) -> Document:
    text = decode(data).replace("\r\n", "\n").replace("\r", "\n")
    lines = ["" if _MD_RULE.match(line) else _unpipe(line) for line in text.split("\n")]
    if sum(1 for line in lines if line.startswith("\t")) >= _TAB_CELLS_MIN:
        return _tab_cells(path, lines)
    return lines_document(path, "txt", [(f"第{i}行", re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", line)) for i, line in enumerate(lines, 1)])
