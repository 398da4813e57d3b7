"""Finding the official tables by their labels in any grid of cells, or in lines of text.

Two readers use it: workbooks that are not ours (the tables laid out somewhere on a sheet)
and published reports (xlreport/importers/: web pages, Word files, PDF and text). Grids are
rows of cells with merged cells repeated (a web page's rowspan/colspan, Word's merges);
lines are text where a table row's label and its numbers share a line or wrap around each
other (PDF text). Everything matched against comes from spec.py: row labels and their
published variants, group labels, section headings, the old format's tell-tales.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from . import runs, spec
from .rules import INSTANCES, RULE_BY_CODE
from .labels import CACHED_CHARS, norm_label


@dataclass
class Note:
    """Something the locator was unsure of; the importer turns it into an import-uncertain warning."""

    table: str  # table key ("active" | "requests" | "appeals") or ""
    message: str
    where: str = ""
    row_label: str = ""
    col_label: str = ""
    key: str = ""
    actual: str = ""


@dataclass
class Found:
    """Raw values found for fields, with where each came from."""

    raw: dict[tuple, object] = field(default_factory=dict)
    where: dict[tuple, str] = field(default_factory=dict)
    tables: set[str] = field(default_factory=set)
    meta: dict[str, object] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    # a group printed as one row without its items (（六）其他处理 in some reports): group label -> (values, where)
    single_rows: dict[str, tuple[list, str]] = field(default_factory=dict)
    old_format: tuple[str, str] | None = None  # (tell-tale label, where it was)
    unsplit: set[tuple] = field(default_factory=set)  # fields of rows whose digits ran together past a unique split


# --- the catalogue of rows, from the spec ---------------------------------------------------------

# (?<![0-9]): a number is tried from its first digit only; tried from every digit of a long run,
# each try reads the rest of the run (quadratic), and none can match where the first did not
_NUMBERING = re.compile(r"[一二三四五六七八九十]、|\([一二三四五六七八九十]+\)|(?<![0-9])[0-9]+\.")
_ANY_ITEM_NUMBER = re.compile(r"(?<![0-9])([0-9]+)[、.．,，]")


def norm_text(text: str) -> str:
    """norm_label, and `1、` made `1.` wherever it stands (a wrapped label may have text before it)."""
    return _norm_text(text) if len(text) > CACHED_CHARS else _norm_text_cached(text)


def _norm_text(text: str) -> str:
    return _ANY_ITEM_NUMBER.sub(r"\1.", norm_label(text))


_norm_text_cached = lru_cache(maxsize=16384)(_norm_text)


@dataclass(frozen=True)
class Row:
    """A row of an official table as a published report may print it: the labels that name it and its fields."""

    table: str
    key: str  # row key: "rules", "licensing", "new", ...; a group pseudo-row: "group:（六）其他处理"
    label: str  # the official label as a clerk reads it (with its group)
    names: tuple[str, ...]  # normalised labels that identify the row
    fields: tuple[spec.Field, ...]
    group: str | None = None

    @property
    def is_group(self) -> bool:
        return self.key.startswith("group:")


def _catalogue() -> tuple[tuple[Row, ...], tuple[Row, ...], tuple[Row, ...]]:
    active_rows: list[Row] = []
    by_row: dict[int, list[spec.Field]] = {}
    for f in spec.TABLE_BY_KEY["active"].fields:
        by_row.setdefault(f.row, []).append(f)
    for fields in by_row.values():
        key = fields[0].path[1]
        names = (fields[0].row_label,) + spec.LABEL_VARIANTS.get(("active", key), ())
        active_rows.append(Row("active", key, fields[0].row_label, tuple(dict.fromkeys(norm_text(n) for n in names)), tuple(fields)))
    request_rows: list[Row] = []
    groups: dict[str, list[str]] = {}
    for key, group, text, short in spec.REQUEST_ROWS:
        fields = tuple(spec.FIELD_BY_PATH[("requests", key, c)] for c, _ in spec.REQUEST_COLUMNS)
        names = [text] + list(spec.LABEL_VARIANTS.get(("requests", key), ()))
        names += [short] + ([group + text] if group else [])
        request_rows.append(Row("requests", key, fields[0].row_label, tuple(dict.fromkeys(norm_text(n) for n in names)), fields, group))
        if group:
            groups.setdefault(group, []).append(key)
    group_rows = tuple(
        Row("requests", f"group:{g}", g, (norm_text(g),), tuple(spec.FIELD_BY_PATH[("requests", keys[0], c)] for c, _ in spec.REQUEST_COLUMNS), g)
        for g, keys in groups.items()
    )
    return tuple(active_rows), tuple(request_rows), group_rows


ACTIVE_ROWS, REQUEST_ROWS, GROUP_ROWS = _catalogue()
ROWS = ACTIVE_ROWS + REQUEST_ROWS
GROUP_ITEMS = {g.group: tuple(r.key for r in REQUEST_ROWS if r.group == g.group) for g in GROUP_ROWS}
APPEAL_FIELDS = spec.TABLE_BY_KEY["appeals"].fields
_OLD_MARKS = tuple(dict.fromkeys(norm_text(m) for m in spec.OLD_FORMAT_MARKS))
_APPEAL_HEADS = (norm_text(spec.APPEAL_GROUPS[0][1]), norm_text(spec.LITIGATION_LABEL))


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def match_label(text: str, table: str, whole: bool = True) -> tuple[Row | None, bool]:
    """The row whose label ``text`` (normalised) is: (row, exact). ``whole``: the text is the
    complete label (a cell); otherwise it may be the first part of a wrapped label.

    Exact: the label or a declared variant, or either followed by a remark in brackets.
    Otherwise (a guess, reported as such) the row whose label shares its numbering and at least
    four more characters with the text, when no other row fits as well.
    """
    if len(text) > CACHED_CHARS:
        return _match_label(text, table, whole)
    return _match_label_cached(text, table, whole)


def _match_label(text: str, table: str, whole: bool) -> tuple[Row | None, bool]:
    if not text:
        return None, False
    rows = ACTIVE_ROWS if table == "active" else REQUEST_ROWS + GROUP_ROWS
    for row in rows:
        if text in row.names:
            return row, True
    for row in rows:
        if any(text.startswith(n) and text[len(n)] == "(" for n in row.names if len(text) > len(n)):
            return row, True
    if table == "active":
        for row in sorted(rows, key=lambda r: -max(len(n) for n in r.names)):
            if any(text.endswith(n) for n in row.names):
                return row, True  # "行政规范性文件" behind the text of a merged cell
        if not whole and len(text) >= 4:
            for row in rows:
                if any(n.startswith(text) for n in row.names):
                    return row, True  # the first line of a wrapped label
        return None, False
    m = _NUMBERING.match(text)
    if not m:
        return None, False
    need = len(m.group(0)) + 4
    best: list[tuple[int, Row]] = []
    for row in rows:
        fits = [n for n, name in ((_common_prefix(text, name), name) for name in row.names)
                if n >= (len(name) if row.is_group else min(len(name), need))]
        if fits:  # a group label counts only in full: "（三）不" is a fragment
            best.append((max(fits), row))
    if not best:
        return None, False
    best.sort(key=lambda x: -x[0])
    n, row = best[0]
    if len(best) > 1 and best[1][0] == n:
        return None, False  # two rows fit equally: no guess
    full = any(name == text or (not whole and name.startswith(text)) for name in row.names)
    return row, full


_match_label_cached = lru_cache(maxsize=4096)(_match_label)
# what match_label reads of a table B label: its first characters (a row's longest name, one more
# for a remark's bracket); the rest only ever makes the text longer than every name
_REQUEST_LABEL_CHARS = max(len(n) for row in REQUEST_ROWS + GROUP_ROWS for n in row.names) + 2


# --- cells ------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"^[/／\\\-－—–―一_＿×xX*＊无空]+$")


def is_placeholder(text: str) -> bool:
    """`/`, `—`, `-`, `无` and their kin: printed instead of a number, which is not 0."""
    t = text.strip()
    return bool(t) and len(t) <= 4 and bool(_PLACEHOLDER.match(t))


_ITEM_LABEL = re.compile(r"^[0-9]+\.[^0-9.,]")
_NUMBER_START = re.compile(r"^[-+]?[0-9]")


def _text_is_number_like(v: str) -> bool:
    return _number_like(v) if len(v) > CACHED_CHARS else _number_like_cached(v)


def _number_like(v: str) -> bool:
    t = norm_label(v)
    if _ITEM_LABEL.match(t):
        return False  # an item label such as "1.属于国家秘密", not a number
    return bool(_NUMBER_START.match(t)) or t == "" or is_placeholder(v)


_number_like_cached = lru_cache(maxsize=16384)(_number_like)


def _is_number_like(v) -> bool:
    if isinstance(v, str):
        return _text_is_number_like(v)
    if isinstance(v, bool):
        return False
    return isinstance(v, (int, float)) or v is None


def _texts(row, seen: "_Seen") -> list[tuple[int, str]]:
    return [(i, v) for i, v in enumerate(row) if isinstance(v, str) and seen.is_label_text(v)]


BRIEF_CHARS = 200  # a label or a number is far shorter; a cell's text quoted in a message stops here


def brief(text) -> str:
    """A cell's text as a message quotes it: a long one cut in the middle. A merged cell repeats
    one text in many places, and each place's message would repeat the whole of it."""
    t = str(text).strip()
    return t if len(t) <= BRIEF_CHARS else f"{t[: BRIEF_CHARS - 41]}…{t[-40:]}"  # the end says what it is


def _filled(v) -> bool:
    return v is not None and not (isinstance(v, str) and not v.strip())


_TITLE_YEAR = re.compile(r"(20[0-9]{2})年(?:度)?")


def title_meta(text: str) -> tuple[str, int] | None:
    """(agency, year) from a title like `XX2024年政府信息公开工作年度报告` (or `2024年XX政府…`).

    The first year, then the title words after it: what `(.*?)(20dd)年(?:度)?(.*?)政府信息公开…`
    finds (a later year cannot help where the first has no title words after it), read in one
    pass; the pattern itself is cubic on a text of many years without the title words."""
    t = norm_label(text)
    m = _TITLE_YEAR.search(t)
    if not m:
        return None
    words = t.find(spec.REPORT_TITLE_WORDS, m.end())
    if words < 0:
        return None
    agency = (t[: m.start()] or t[m.end():words]).strip("：:，,。")
    return agency, int(m.group(1))


def old_format_mark(text: str) -> str | None:
    t = norm_text(text)
    for mark, shown in zip(_OLD_MARKS, spec.OLD_FORMAT_MARKS):
        if mark and mark in t:
            return shown
    return None


# --- grids ------------------------------------------------------------------------------------


def _a1_place(name: str, r: int, c: int) -> str:
    return f"{name}!{spec.a1(r, c)}"


def locate(grids: list[tuple[str, list[list]]], place: Callable[[str, int, int], str] = _a1_place, guess: bool = False) -> Found:
    """Scan grids (name, rows of raw values) for the rows of tables A and B and the data row of C.

    ``guess``: also take a label that is only close to the official one (published reports),
    with a note; a workbook reader leaves it out.
    """
    found = Found()
    done: set[str] = set()
    seen = _Seen()
    header_c = None  # (grid index, row, column) of table C's 行政复议/行政诉讼 header
    for g, (name, rows) in enumerate(grids):
        for r, row in enumerate(rows):
            texts = _texts(row, seen)
            if not texts:
                # table C's data row has no row label: a row of numbers only
                if header_c is not None and _appeals_row(found, name, g, r, row, header_c, place):
                    header_c = None
                continue
            _title_and_format(found, seen, texts, lambda col: place(name, r, col))
            _labelled_row(found, seen, done, row, texts, lambda col: place(name, r, col), guess)
            normed = [seen.norm(t) for _, t in texts]
            if _APPEAL_HEADS[0] in normed and _APPEAL_HEADS[1] in normed and "appeals" not in found.tables:
                header_c = (g, r, texts[normed.index(_APPEAL_HEADS[0])][0])
            elif header_c is not None and _appeals_row(found, name, g, r, row, header_c, place):
                header_c = None
    return found


def _title_and_format(found: Found, seen: "_Seen", texts: list[tuple[int, str]], at: Callable[[int], str]) -> None:
    """The agency and year of the first title among a row's texts, and the first mark of the
    old (2019) format."""
    for col, text in texts:
        if not seen.first_look(text):
            continue  # the same text (a merged cell) gives the same answers
        if "agency" not in found.meta:
            tm = title_meta(text)
            if tm:
                found.meta["agency"], found.meta["year"] = tm
        if found.old_format is None:
            mark = old_format_mark(text)
            if mark:
                found.old_format = (mark, at(col))


def _labelled_row(found: Found, seen: "_Seen", done: set[str], row: list, texts: list[tuple[int, str]],
                  at: Callable[[int], str], guess: bool) -> None:
    """A row of table A or B, found by the label in its last text: the values to its right,
    each with its place (a group row's, kept whole for the items printed as one row)."""
    last_col, last_text = texts[-1]
    row_spec, exact = None, False
    for table in ("active", "requests"):
        starts = seen.starts(last_text, table)
        if starts:
            row_spec, exact = starts[-1]
            break
    if row_spec is None or not (exact or guess) or row_spec.key in done:
        return
    values = list(row[last_col + 1:])
    if row_spec.is_group:
        if sum(1 for v in values if _filled(v)) >= 2:
            found.single_rows[row_spec.group] = (values[: len(row_spec.fields)], at(last_col))
            done.add(row_spec.key)
        return
    fields = row_spec.fields
    if len(fields) == 1:
        idx = next((i for i, v in enumerate(values) if _filled(v)), 0)
        values = values[idx: idx + 1]
        cols = [last_col + 1 + idx]
    else:
        cols = [last_col + 1 + i for i in range(len(fields))]
    for f, v, c in zip(fields, values, cols):
        found.raw[f.path] = v
        found.where[f.path] = at(c)
    found.tables.add(row_spec.table)
    done.add(row_spec.key)
    if not exact:
        found.notes.append(Note(row_spec.table, f"行标签“{brief(last_text)}”与官方格式不完全一致，已按“{row_spec.label}”读取",
                                at(last_col), row_spec.label, key=fields[0].key, actual=brief(last_text)))


class _Seen:
    """What one locate() call has worked out about each text. A merged cell repeats one text in
    every grid position it covers (up to limits.TABLE_CELLS of them): each text is read once."""

    def __init__(self):
        self._label: dict[str, bool] = {}
        self._looked: set[str] = set()
        self._starts: dict[tuple[str, str], list] = {}
        self._norm: dict[str, str] = {}

    def is_label_text(self, v: str) -> bool:
        known = self._label.get(v)
        if known is None:
            known = self._label[v] = bool(v.strip()) and not _is_number_like(v)
        return known

    def first_look(self, text: str) -> bool:
        if text in self._looked:
            return False
        self._looked.add(text)
        return True

    def starts(self, text: str, table: str) -> list:
        key = (text, table)
        if key not in self._starts:
            self._starts[key] = _starts(text, table, whole=True)
        return self._starts[key]

    def norm(self, text: str) -> str:
        if text not in self._norm:
            self._norm[text] = norm_text(text)
        return self._norm[text]


def _appeals_row(found: Found, name: str, g: int, r: int, row: list, header, place) -> bool:
    """Take table C's 15 numbers from ``row`` when the row looks like its data row."""
    hg, _, col = header
    if g != hg:
        col = next((i for i, v in enumerate(row) if _filled(v)), 0)  # the table went on over a page break
    values = list(row[col: col + len(APPEAL_FIELDS)])
    if sum(1 for v in values if isinstance(v, (int, float)) or (isinstance(v, str) and re.match(r"^\s*[0-9]", v))) < 5:
        return False
    for i, (f, v) in enumerate(zip(APPEAL_FIELDS, values)):
        found.raw[f.path] = v
        found.where[f.path] = place(name, r, col + i)
    found.tables.add("appeals")
    return True


# --- lines of text (PDF text layer) ----------------------------------------------------------------

_NUMBER_TOKEN = re.compile(r"^[0-9０-９][0-9０-９,，]*(?:[.．][0-9０-９]+)?(?:[（(][^）)]*[）)])?$")
# `\s*(?:[,，]\s*)?`, not `\s*[,，]?\s*`: two `\s*` side by side split a run of spaces every way
# before the pattern fails (quadratic on `第1页` and a long run of spaces)
_PAGE_NUMBER = re.compile(r"^(?:[-—–－]+\s*[0-9]+\s*[-—–－]+|第\s*[0-9]+\s*页(?:\s*(?:[,，]\s*)?共\s*[0-9]+\s*页)?|[0-9]+\s*/\s*[0-9]+)$")


def is_page_number(text: str) -> bool:
    """`- 3 -`, `— 3 —`, `第3页`, `3/8`: a page number between the lines of a PDF's text."""
    return bool(_PAGE_NUMBER.match(text.strip()))


_GLUED = re.compile(r"^(.*[\u4e00-\u9fff）)”」])([0-9]+)$")  # a label with its numbers run on: 许可9487


def split_values(text: str) -> tuple[str, list[str]]:
    """A line as (label text, trailing value tokens): `规章 1 0 11` -> ("规章", ["1", "0", "11"]).
    Digits run on to the label (`规章1011`) come back as one token; the row splits it (runs.py)."""
    tokens = text.split()
    values: list[str] = []
    while tokens and (_NUMBER_TOKEN.match(tokens[-1]) or is_placeholder(tokens[-1])):
        values.append(tokens.pop())
    values.reverse()  # taken from the end: inserting each at the front is quadratic on a long line
    if len(values) == 1 and is_placeholder(values[0]):
        tokens.append(values.pop())  # "无" alone ends a wrapped label more often than it is a cell
    if not values and tokens:
        glued = _GLUED.match(tokens[-1])
        if glued:
            tokens[-1], values = glued.group(1), [glued.group(2)]
    return " ".join(tokens), values


def split_run(values: list[str], fields: tuple[spec.Field, ...]) -> tuple[list[str] | None, str, list[tuple[int, ...]]]:
    """A row's numbers printed as one run of digits, split by the row's totals (runs.py): the
    values when the split is unique, what to tell the user either way, and every split found."""
    if len(values) != 1 or len(fields) < 2 or not values[0].isascii() or not values[0].isdigit() or len(values[0]) < len(fields):
        return None, "", []
    run = values[0]
    try:
        found = runs.splits(run, fields)
    except runs.Undecided:
        return None, f"这一行的数字连在一起（{run}），可能的拆法太多，无法确定，未读取", []
    kept = "按表格的勾稽关系" if runs.constraints(fields) else "每格一个不以0开头的数"
    if len(found) == 1:
        cells = [str(v) for v in found[0]]
        return cells, f"这一行的数字连在一起（{run}），{kept}只有一种拆法：{' '.join(cells)}，已按此读取；请对照原文核对", found
    if found:
        shown = "、".join(" ".join(map(str, f)) for f in found[:2])
        more = f"{len(found)}种" if len(found) < runs.MAX_SPLITS else f"{runs.MAX_SPLITS}种以上"
        if runs.constraints(fields):
            return None, f"这一行的数字连在一起（{run}），有{more}拆法都符合表格的勾稽关系（如 {shown}），无法确定，未读取", found
        return None, f"这一行的数字连在一起（{run}），有{more}拆法（如 {shown}），这一行没有可核对的合计，无法确定，未读取", found
    return None, f"这一行的数字连在一起（{run}），没有一种拆法符合表格的勾稽关系，未读取", found


def resolve_by_columns(found: Found, pending: list[tuple["Row", list[tuple[int, ...]], str, "Note"]]) -> None:
    """Rows whose digit runs split more than one way, tried together against the table's column
    rules (format/rules: 本列 一+二 = 三+四, （七）总计 = its items, …) with the rows already read:
    where exactly one combination keeps every rule it can be checked by, it is taken."""
    if math.prod(len(c) for _, c, _, _ in pending) > runs.MAX_COMBINATIONS or any(len(c) >= runs.MAX_SPLITS for _, c, _, _ in pending):
        return
    known = {path: int(raw) for path, raw in found.raw.items() if isinstance(raw, str) and raw.isascii() and raw.isdigit()}
    touched = {f.path for row, _, _, _ in pending for f in row.fields}
    checks = [i.relation for i in INSTANCES
              if RULE_BY_CODE[i.rule].severity is spec.Severity.ERROR and set(i.paths) & touched
              and all(p in known or p in touched for p in i.paths)]
    fits = []
    for choice in itertools.product(*(c for _, c, _, _ in pending)):
        numbers = dict(known)
        for (row, _, _, _), cells in zip(pending, choice):
            numbers.update(zip((f.path for f in row.fields), cells))
        if all(r.holds(numbers.__getitem__) for r in checks):
            fits.append(choice)
            if len(fits) > 1:
                return
    if len(fits) != 1:
        return
    for (row, candidates, where, note), cells in zip(pending, fits[0]):
        values = [str(v) for v in cells]
        for f, v in zip(row.fields, values):
            found.raw[f.path] = v
            found.where[f.path] = where
            found.unsplit.discard(f.path)
        found.notes.remove(note)
        found.notes.append(Note(row.table, f"这一行的数字连在一起（{note.actual}），本行有{len(candidates)}种拆法，"
                                f"与表中其他行一起按各列的勾稽关系只有一种：{' '.join(values)}，已按此读取；请对照原文核对",
                                where, row.label, key=row.fields[0].key, actual=note.actual))


def section_heading(text: str) -> str | None:
    """The section key (spec.SECTION_ORDER) when ``text`` is one of the six section headings."""
    t = norm_label(text).rstrip("。.:：")
    if len(t) < 3 or t[1] not in "、.":
        return None
    idx = "一二三四五六".find(t[0])
    if idx < 0:
        return None
    key = spec.SECTION_ORDER[idx]
    content = t[2:]
    best = 0.0
    for title in (spec.SECTION_TITLES[key],) + spec.SECTION_TITLE_VARIANTS.get(key, ()):
        want = norm_label(title)[2:]
        if len(content) > len(want) + 12:
            continue
        best = max(best, _dice(content, want))
    return key if best >= 0.6 else None


def _dice(a: str, b: str) -> float:
    if a == b:
        return 1.0
    x = {a[i:i + 2] for i in range(len(a) - 1)}
    y = {b[i:i + 2] for i in range(len(b) - 1)}
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def _anchor(t: str) -> str | None:
    """A table's first line where its section heading is missing (t normalised)."""
    if t.startswith(spec.ARTICLE_20) and len(t) <= 12:
        return "active"
    if (t.startswith(spec.APPLICANTS_LABEL) and len(t) <= 12) or t.startswith(_FIRST_REQUEST):
        return "requests"
    if _APPEAL_HEADS[0] in t and _APPEAL_HEADS[1] in t and len(t) <= 16:
        return "appeals"
    return None


_FIRST_REQUEST = REQUEST_ROWS[0].names[0][:8]


def table_regions(lines: list[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """The lines of each table: from its section heading to the next heading; an anchor line where a heading is missing."""
    regions: dict[str, list[tuple[str, str]]] = {"active": [], "requests": [], "appeals": []}
    order = spec.SECTION_ORDER.index
    current = None
    seen: set[str] = set()
    for where, text in lines:
        if not text.strip() or is_page_number(text):
            continue
        key = section_heading(text)
        if key is not None and key not in seen and (current is None or order(key) > order(current)):
            seen.add(key)
            current = key
            continue
        anchor = _anchor(norm_text(text))
        if anchor is not None and anchor not in seen and (current is None or order(anchor) > order(current)):
            seen.add(anchor)
            current = anchor
        if current in regions:
            regions[current].append((where, text))
    return regions


def locate_lines(lines: list[tuple[str, str]], positions: dict[str, list[tuple[str, float]]] | None = None) -> Found:
    """Tables A, B and C from text lines: (where, text) in reading order; ``positions`` (a PDF's):
    each line's words and the x of their middles, for rows printed with empty cells."""
    found = Found()
    previous = ""
    for where, text in lines[:40]:
        tm = title_meta(text)
        if tm:
            agency, year = tm
            if not agency and previous and len(previous) <= 40:
                agency = previous  # the agency on the line above the title
            found.meta["agency"], found.meta["year"] = agency, year
            break
        if text.strip():
            previous = norm_label(text)
    regions = table_regions(lines)
    for key, region in regions.items():
        for where, text in region:
            mark = old_format_mark(text)
            if mark and found.old_format is None:
                found.old_format = (mark, where)
    _rows_from_lines(found, "active", regions["active"], positions or {})
    _rows_from_lines(found, "requests", regions["requests"], positions or {})
    _appeals_from_lines(found, regions["appeals"])
    return found


def _starts(label_text: str, table: str, whole: bool = False) -> list[tuple[Row, bool]]:
    """The row labels that begin in this piece of text, in order."""
    t = norm_text(label_text)
    if not t:
        return []
    if table == "active":
        row, exact = match_label(t, "active", whole)
        return [(row, exact)] if row is not None else []
    out: list[tuple[Row, bool]] = []
    for m in _NUMBERING.finditer(t):
        # the label's first characters only: a copy of the whole rest at every numbering is quadratic
        row, exact = match_label(t[m.start():m.start() + _REQUEST_LABEL_CHARS], "requests", whole)
        if row is not None and not (out and out[-1][0] is row):
            out.append((row, exact))
    return out


def _trailing_x(values: list[str], words: list[tuple[str, float]]) -> list[float] | None:
    """The x of each of a line's trailing values, where the line's last words are exactly them."""
    tail = words[-len(values):] if values and len(words) >= len(values) else []
    return [x for _, x in tail] if [w for w, _ in tail] == values else None


def _column_centres(region, positions) -> dict[int, list[float]]:
    """Per row width, the x of each column's middle, from the rows printed with every cell:
    the columns as they stand under the headings."""
    seen: dict[int, list[list[float]]] = {}
    for where, text in region:
        _, values = split_values(text)
        xs = _trailing_x(values, positions.get(where, [])) if len(values) > 1 else None
        if xs:
            seen.setdefault(len(values), []).append(xs)
    return {width: [statistics.median(col) for col in zip(*rows)] for width, rows in seen.items() if len(rows) >= 2}


def _heading_centres(region, positions, fields) -> list[float] | None:
    """The x of each field's column heading (its label, or its first characters where the
    heading wraps: 社会 / 公益 / 组织), found among the region's words; None unless every
    column is found, left to right."""
    words = [w for where, _ in region for w in positions.get(where, [])]
    out = []
    for f in fields:
        label = f.col_label
        x = next((x for k in (len(label), 4, 2) for w, x in words if len(label) >= k and w.startswith(label[:k])), None)
        if x is None:
            return None
        out.append(x)
    return out if all(b > a for a, b in zip(out, out[1:])) else None


def _by_position(values: list[str], where: str, fields, region, positions, centres) -> list[str] | None:
    """A row with fewer numbers than cells, its numbers put in the columns they stand under
    ("" for the empty ones), where each is nearest a column of its own, left to right: the
    columns as the rows printed whole place them, else as their headings do."""
    want = len(fields)
    columns = centres.get(want) or (_heading_centres(region, positions, fields) if 0 < len(values) < want else None)
    xs = _trailing_x(values, positions.get(where, [])) if columns and 0 < len(values) < want else None
    if not xs:
        return None
    picked = [min(range(want), key=lambda c: abs(columns[c] - x)) for x in xs]
    if any(b <= a for a, b in zip(picked, picked[1:])):
        return None
    cells = [""] * want
    for c, v in zip(picked, values):
        cells[c] = v
    return cells


def _line_events(table: str, region: list[tuple[str, str]]) -> list[list]:
    """Each line as events, in order: [kind, row | values, where, exact], where kind is label (a
    row's label alone), nums (numbers alone) or direct (numbers on the line where their label starts)."""
    events: list[list] = []
    for where, text in region:
        label_text, values = split_values(text)
        starts = _starts(label_text, table)
        for row, exact in starts[:-1]:
            events.append(["label", row, where, exact])
        if values:
            if starts:
                row, exact = starts[-1]
                events.append(["direct", (row, values), where, exact])
            else:
                events.append(["nums", values, where, True])
        elif starts:
            row, exact = starts[-1]
            events.append(["label", row, where, exact])
    return events


def _event_row(ev: list) -> Row:
    return ev[1] if ev[0] == "label" else ev[1][0]


def _rows_as_printed(events: list[list]) -> list[list]:
    """A group label counts as a row only where none of its items is printed (its numbers, if
    any, stay as numbers); a label repeated after a page break counts once."""
    present = {_event_row(ev).key for ev in events if ev[0] != "nums"}
    items_of = {g.key: set(GROUP_ITEMS[g.group]) for g in GROUP_ROWS}
    kept = []
    seen: set[str] = set()
    for ev in events:
        if ev[0] != "nums":
            row = _event_row(ev)
            if row.is_group and items_of[row.key] & present:
                if ev[0] == "direct":
                    kept.append(["nums", ev[1][1], ev[2], True])
                continue
            if row.key in seen:
                continue
            seen.add(row.key)
        kept.append(ev)
    return kept


def _pair_in_order(found: Found, table: str, events: list[list]) -> dict[str, tuple[list[str], str, bool, bool]]:
    """Each row's numbers: key -> (values, where, exact, by_order). A direct row is certain;
    between two certain rows, labels and number groups pair in order when their counts agree,
    and are noted as unreadable when they do not."""
    assigned: dict[str, tuple[list[str], str, bool, bool]] = {}
    segment: list[list] = []

    def flush():
        labels = [e for e in segment if e[0] == "label"]
        nums = [e for e in segment if e[0] == "nums"]
        if len(labels) == len(nums):
            for lab, num in zip(labels, nums):
                assigned[lab[1].key] = (num[1], num[2], lab[3], True)
        else:
            for lab in labels:
                found.notes.append(Note(table, f"“{lab[1].label}”这一行的数字无法确定（附近有{len(labels)}行标签、{len(nums)}组数字，对不上），未读取",
                                        lab[2], lab[1].label, key=lab[1].fields[0].key))
            for num in nums:
                found.notes.append(Note(table, f"一组数字（{' '.join(num[1])}）找不到对应的行标签，已跳过", num[2], actual=" ".join(num[1])))
        segment.clear()

    for ev in events:
        if ev[0] == "direct":
            flush()
            row, values = ev[1]
            assigned[row.key] = (values, ev[2], ev[3], False)
        else:
            segment.append(ev)
    flush()
    return assigned


def _row_cells(found: Found, table: str, row: Row, values: list[str], where: str, region, positions, centres,
               pending: list) -> list[str] | None:
    """A row's numbers as one per cell, or None (noted) when they cannot be told apart; a digit
    run that splits several ways goes to ``pending``, to be tried with the other rows by column."""
    want = len(row.fields)
    if len(values) == want:
        return values
    cells, told, candidates = split_run(values, row.fields)
    if told:
        found.notes.append(Note(table, told, where, row.label, key=row.fields[0].key, actual=values[0]))
    if cells is None and not told and positions:
        cells = _by_position(values, where, row.fields, region, positions, centres)
        if cells is not None:
            empty = "、".join(f.col_label for f, v in zip(row.fields, cells) if not v)
            found.notes.append(Note(table, f"这一行只印了{len(values)}个数字，已按它们在页面上所在的列读取（{empty}空白）；请对照原文核对",
                                    where, row.label, key=row.fields[0].key, actual=" ".join(values)))
    if cells is None:
        if told:
            found.unsplit.update(f.path for f in row.fields)
            if len(candidates) > 1:
                pending.append((row, candidates, where, found.notes[-1]))
        else:
            found.notes.append(Note(table, f"这一行应有{want}个数字，原文中是{len(values)}个（{' '.join(values)}），无法确定哪一格空白，未读取",
                                    where, row.label, key=row.fields[0].key, actual=" ".join(values)))
    return cells


def _rows_from_lines(found: Found, table: str, region: list[tuple[str, str]], positions=None) -> None:
    """Rows whose numbers share a line with the start of their label, then the rest paired in order.

    In PDF text a row's numbers sit on the line of the label's first, middle or last part, or on a
    line of their own before or after it; rows never change order, so between two rows that are
    certain the remaining labels and number groups pair up one to one when their counts agree.
    """
    assigned = _pair_in_order(found, table, _rows_as_printed(_line_events(table, region)))
    by_key = {r.key: r for r in ROWS + GROUP_ROWS}
    by_order = []
    pending: list = []
    centres = _column_centres(region, positions) if positions else {}
    for key, (values, where, exact, ordered) in assigned.items():
        row = by_key[key]
        if ordered:
            by_order.append(spec.REQUEST_SHORT.get(row.key, row.label))
        if not exact:
            found.notes.append(Note(table, f"行标签与官方格式不完全一致，已按“{row.label}”读取", where, row.label, key=row.fields[0].key))
        if row.is_group:
            found.single_rows[row.group] = (values, where)
            continue
        found.tables.add(table)
        cells = _row_cells(found, table, row, values, where, region, positions, centres, pending)
        for f, v in zip(row.fields, cells or ()):
            found.raw[f.path] = v
            found.where[f.path] = where
    if pending:
        resolve_by_columns(found, pending)
    if by_order:
        found.notes.append(Note(table, f"{len(by_order)}行的数字与行标签不在同一行（PDF文字中常见），已按先后顺序对应："
                                + "、".join(by_order) + "；请对照原文核对", region[0][0] if region else "", ""))


def _appeals_from_lines(found: Found, region: list[tuple[str, str]]) -> None:
    """Table C's one data row: the first run of lines holding numbers only (it may wrap)."""
    want = len(APPEAL_FIELDS)
    values: list[str] = []
    wheres: list[str] = []
    for where, text in region:
        label_text, vals = split_values(text)
        if vals and not label_text:
            values += vals
            wheres.append(where)
            if len(values) >= want:
                break
        elif values:
            break
    if not values:
        return
    found.tables.add("appeals")
    where = wheres[0] if len(wheres) == 1 else f"{wheres[0]}—{wheres[-1]}"
    if len(values) != want:
        cells, told, _ = split_run(values, APPEAL_FIELDS)
        if told:
            found.notes.append(Note("appeals", told, where, actual=values[0]))
        if cells is None:
            if told:
                found.unsplit.update(f.path for f in APPEAL_FIELDS)
            else:
                found.notes.append(Note("appeals", f"表中应有{want}个数字，原文中是{len(values)}个（{' '.join(values)}），无法确定哪一格空白，未读取",
                                        where, actual=" ".join(values)))
            return
        values = cells
    for f, v in zip(APPEAL_FIELDS, values):
        found.raw[f.path] = v
        found.where[f.path] = where
