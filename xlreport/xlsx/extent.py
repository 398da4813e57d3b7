"""Sheet XML cut to the range the reader reads, before calamine sees it.

calamine builds a dense grid as large as the farthest cell: one value at XFD1048576, or a row
numbered near 10⁸, or an ODS cell repeated a million times, makes it allocate gigabytes (or
abort) for a file of a few hundred bytes. The tables live in the top-left corner of each sheet,
so every cell outside ``nrows`` × ``ncols`` is dropped here; what is inside is copied as it was.

A sheet whose every row and cell carries an in-range reference (any workbook Excel, WPS,
LibreOffice or xlreport writes) is passed through untouched after one quick scan; anything
else is re-emitted through expat, which also refuses a DOCTYPE (entity expansion).
"""

from __future__ import annotations

import re

from xml.parsers import expat

from .. import lazyre
from .. import limits
from ..container import declares_entities, unescape_xml
from ..errors import InputError
from ..shown import abbreviated, shown_path

# The range kept: rows 1–999 and columns A–AZ. Chosen so that "out of range" is a pattern one
# regex finds at C speed (a row number of four digits, or column letters past AZ): the check
# costs a few microseconds per sheet, and a batch of ten thousand workbooks feels every one.
ROWS = limits.READ_ROWS.value  # 999
COLS = limits.READ_COLS.value  # 52: A–AZ
_OUT_OF_RANGE = lazyre.compile(rb'<(?:row|c) r="(?:[A-Z]{0,3}[0-9]{4}|[A-Z]{3}|[B-Z][A-Z][0-9])')
assert (ROWS, COLS) == (999, 52), "_OUT_OF_RANGE spells out this range"
_PREFIXED = lazyre.compile(rb"<[\w.-]+:(?:row|c)\b")


def _column(letters: str) -> int:
    """Column letters to a 0-based index (A -> 0)."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def xlsx_in_range(xml: bytes) -> bool:
    """Every row and cell carries a reference (as its first attribute, the way every producer
    writes it) inside ROWS × COLS: then the sheet needs no cutting."""
    return (
        _OUT_OF_RANGE.search(xml) is None
        and xml.count(b"<row ") + xml.count(b"<row>") == xml.count(b'<row r="')
        and xml.count(b"<c ") + xml.count(b"<c>") == xml.count(b'<c r="')
        and _PREFIXED.search(xml) is None
    )


_TAIL = lazyre.compile(rb"</(?:[\w.-]+:)?(worksheet|sst)>\s*$")
_SHARED_REF = lazyre.compile(rb'<c r="([A-Z]{1,3}[0-9]{1,7})"[^>]*?\bt="s"[^>]*>\s*<v>([^<]*)</v>')


def check_part(path, what: str, xml: bytes, strings: int | None = None) -> None:
    """Refuse a worksheet or shared-string XML that a lenient reader would read wrongly without a
    word: cut short (its last rows would read as blank), carrying a DOCTYPE (entity expansion),
    or, given the number of shared strings, a cell pointing at one that does not exist (an index
    of -1 read as string 0)."""
    where = shown_path(path)
    if declares_entities(xml):
        raise InputError(f"{where}：{what}的 XML 含有 DOCTYPE 或实体声明，已拒绝读取", "正常的工作簿不含这些声明；请向报送单位索取原文件")
    check_complete(path, what, xml)
    if strings is not None and b't="s"' in xml:
        for ref, index in _SHARED_REF.findall(xml):
            text = index.strip()
            if not text.isdigit() or int(text) >= strings:
                raise InputError(f"{where}：文件已损坏（{what}的单元格 {ref.decode()} 引用了不存在的共享字符串“{_short(index)}”）",
                                 "请用 WPS/Excel 打开后另存再试")


def check_complete(path, what: str, xml: bytes) -> None:
    """check_part's test for a part cut short, alone: all a part needs that the C scanner reads,
    which declines every "<!" (a DOCTYPE among them) and so leaves it to check_part."""
    if _TAIL.search(xml[-64:]) is None:
        raise InputError(f"{shown_path(path)}：文件已损坏（{what}的 XML 不完整）", "请从原处重新复制一份，或用 WPS/Excel 打开后另存")


def _short(raw: bytes) -> str:
    return abbreviated(raw.decode("utf-8", "replace"))


class _Copier:
    """Re-emits XML element by element. ``keep(local_name, attrs, parents)`` decides per element:
    the attributes to write, or None to drop the element and everything inside it; ``parents``
    are the local names of the kept elements around it. Whitespace directly inside an element of
    ``layout`` is indentation, not content, and is left out."""

    def __init__(self, path, keep, layout: frozenset = frozenset()):
        self.path = path
        self.keep = keep
        self.layout = layout
        self.out: list[str] = []
        self.parents: list[str] = []
        self.skipping = 0
        p = self.parser = expat.ParserCreate()
        p.ordered_attributes = True
        p.buffer_text = True
        p.StartElementHandler = self.start
        p.EndElementHandler = self.end
        p.CharacterDataHandler = self.text
        p.StartDoctypeDeclHandler = self.doctype

    def doctype(self, *args):
        raise InputError(f"{shown_path(self.path)}：文件中的表格 XML 含有 DOCTYPE 声明（实体定义），已拒绝读取",
                         "正常的工作簿不含 DOCTYPE；请向报送单位索取原文件")

    def start(self, name: str, attrs: list[str]) -> None:
        if self.skipping:
            self.skipping += 1
            return
        local = name.rpartition(":")[2]
        kept = self.keep(local, dict(zip(attrs[::2], attrs[1::2])), self.parents)
        if kept is None:
            self.skipping = 1
            return
        self.parents.append(local)
        self.out.append("<" + name + "".join(f' {k}="{_escape(v)}"' for k, v in kept.items()) + ">")

    def end(self, name: str) -> None:
        if self.skipping:
            self.skipping -= 1
            return
        self.parents.pop()
        self.out.append(f"</{name}>")

    def text(self, data: str) -> None:
        if self.skipping or (self.parents and self.parents[-1] in self.layout and not data.strip()):
            return
        self.out.append(_escape(data, quote=False))

    def run(self, xml: bytes) -> bytes:
        try:
            self.parser.Parse(xml, True)
        except expat.ExpatError as e:
            raise InputError(f"{shown_path(self.path)}：文件已损坏（表格 XML 第{e.lineno}行无法解析）",
                             "请用 WPS/Excel 打开后另存再试") from None
        except (LookupError, ValueError):  # an encoding Python does not know, or expat cannot read
            raise InputError(f"{shown_path(self.path)}：文件已损坏（表格 XML 声明的字符编码无法识别）",
                             "请用 WPS/Excel 打开后另存再试") from None
        return ('<?xml version="1.0" encoding="UTF-8"?>\n' + "".join(self.out)).encode("utf-8")


def _escape(s: str, quote: bool = True) -> str:
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return s.replace('"', "&quot;") if quote else s


_REF = lazyre.compile(r"([A-Z]{1,3})([0-9]{1,7})")


_CELL_REF = lazyre.compile(rb'<c r="([A-Z]{1,3}[0-9]{1,7})"')


def _repeated_cell(path, what: str, ref: str) -> InputError:
    return InputError(f"{shown_path(path)}：文件已损坏（{what}的单元格 {ref} 在文件中出现了两次，不同的软件显示的可能不是同一个值）",
                      "请用 WPS/Excel 打开后另存再试")


def _refuse_repeated_cells(path, what: str, xml: bytes) -> None:
    """A cell given twice: calamine and LibreOffice take the last, Excel calls the file damaged
    and repairs it, so what a clerk sees and what is read could differ; refused, as a package
    with two parts of one name is. (For a sheet whose cells all carry their reference first.)"""
    refs = _CELL_REF.findall(xml)
    if len(set(refs)) != len(refs):
        seen: set[bytes] = set()
        for ref in refs:
            if ref in seen:
                raise _repeated_cell(path, what, ref.decode())
            seen.add(ref)


def trim_xlsx_sheet(path, what: str, xml: bytes, nrows: int = ROWS, ncols: int = COLS) -> bytes:
    """The worksheet with its sheetData cut to ``nrows`` × ``ncols`` (and nothing else a reader
    of values needs: column styles, merges, conditional formats and the like are left out).
    Rows and cells without a reference are numbered as a reader would (one after the other)
    and written with one. A cell given twice within the range is refused (_refuse_repeated_cells)."""
    if nrows >= ROWS and ncols >= COLS and xlsx_in_range(xml):
        _refuse_repeated_cells(path, what, xml)
        return xml
    at = {"row": 0, "col": 0}
    placed: set[tuple[int, int]] = set()

    def keep(local: str, attrs: dict, parents: list[str]):
        depth = len(parents)
        if depth == 0:
            return attrs  # the worksheet element, with its namespace declarations
        if depth == 1:
            return attrs if local == "sheetData" else None
        if parents[-1] == "sheetData":
            if local != "row":
                return None
            row = _number(attrs.get("r"), at["row"] + 1)
            at["row"], at["col"] = row, 0
            return {"r": str(row), **{k: v for k, v in attrs.items() if k not in ("r", "spans")}} if row <= nrows else None
        if parents[-1] == "row":
            if local != "c":
                return None
            m = _REF.fullmatch(attrs.get("r") or "")
            if m and int(m.group(2)) != at["row"]:
                return None  # a cell filed under another row: no reader agrees where it is
            col = _column(m.group(1)) + 1 if m else at["col"] + 1
            at["col"] = col
            if col > ncols:
                return None
            if (at["row"], col) in placed:
                raise _repeated_cell(path, what, _ref(at["row"], col))
            placed.add((at["row"], col))
            return {"r": _ref(at["row"], col), **{k: v for k, v in attrs.items() if k != "r"}}
        return attrs

    return _Copier(path, keep).run(xml)


# how many strings more than it holds a shared-string table may declare and go to calamine as it
# is (some writers count loosely); calamine reserves room for every string declared
DECLARED_STRINGS_SLACK = 1024
_COUNTS = ("count", "uniqueCount")


class _Root(Exception):
    """Raised by the first start tag: the root's attributes are all that was wanted."""

    def __init__(self, attrs: dict):
        self.attrs = attrs


def _root_attributes(xml: bytes) -> dict[str, str] | None:
    def start(name, attrs):
        raise _Root(attrs)

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        parser.Parse(xml, True)
    except _Root as root:
        return root.attrs
    except (expat.ExpatError, LookupError, ValueError):
        pass
    return None


def shared_strings_for_calamine(path, xml: bytes, strings: int) -> bytes:
    """The shared-string table, without its declared counts when they claim more strings than it
    holds: calamine reserves memory for that many before it reads one (uniqueCount="999999999999"
    in a 40 KB file aborted the process). The strings themselves are copied as they are. A table
    whose start cannot be parsed (an encoding nobody knows) cannot be shown to declare sane counts:
    it is re-emitted like the others, which says what is wrong with it."""
    root = _root_attributes(xml)
    declared = [v for k, v in (root or {}).items() if k.rpartition(":")[2] in _COUNTS]
    if root is not None and all(v.isdigit() and len(v) <= 12 and int(v) <= strings + DECLARED_STRINGS_SLACK for v in declared):
        return xml

    def keep(local: str, attrs: dict, parents: list[str]):
        return {k: v for k, v in attrs.items() if k.rpartition(":")[2] not in _COUNTS} if not parents else attrs

    return _Copier(path, keep).run(xml)


SHEET_ROWS, SHEET_COLS = 1_048_576, 16_384  # an xlsx sheet's last row and column
# a <mergeCell> start tag, its attributes read exactly as XML quotes them (a ">" may be in a value)
_MERGE_CELL = lazyre.compile(rb"""<(?:[\w.-]+:)?mergeCell((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*/?>""")
_REF_ATTRIBUTE = lazyre.compile(rb"""\s(?:[\w.-]+:)?ref\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_RANGE_END = lazyre.compile(r"\$?([A-Za-z]{0,3})\$?([0-9]{0,7})")


def merge_ranges(xml: bytes, plain: bool = False) -> list[tuple[int, int, int, int]]:
    """The merged ranges of a worksheet's XML as (first row, first column, last row, last
    column), 0-based: "A1:B2", a whole column "A:B" or row "1:2" as far as the sheet goes. A
    reference no spreadsheet program reads is left out. ``plain``: the C scanner has found no
    comment, CDATA or processing instruction in the XML; otherwise they are taken out first, so
    that a ``<mergeCells/>`` inside one hides no merge."""
    if not plain and (b"<!" in xml or xml.find(b"<?", 2) >= 0):
        xml = _NOT_MARKUP.sub(b"", xml)
    start = _start_of_merges(xml)
    if start < 0:
        return []
    # the merges stand together in <mergeCells>, after the cells: every workbook of a batch
    # made from the template has the same ones, read once (the thousands of tags around them
    # are not tried). A file with a second <mergeCells> (no program writes one) has that one's
    # merges left out here; the sums are the same either way.
    part = xml[start: _end_of_merges(xml, start)]
    found = _MERGES_READ.get(part)
    if found is None:
        found = _read_merges(part)
        if len(_MERGES_READ) < _MERGES_KEPT and len(part) <= _MERGES_KEPT_BYTES:
            _MERGES_READ[part] = found
    return list(found)


def _start_of_merges(xml: bytes) -> int:
    """Where the first tag named (prefix:)mergeCell(s) begins, or -1. The word in a cell's text
    (an inline string, a formula) is not a tag: the search goes on past it."""
    at = 0
    while True:
        found = xml.find(b"mergeCell", at)
        if found < 0:
            return -1
        lt = xml.rfind(b"<", 0, found)
        prefix = xml[lt + 1: found]
        if lt >= 0 and (not prefix or (prefix.endswith(b":") and _PREFIX.fullmatch(prefix[:-1]))):
            return lt
        at = found + 9


_PREFIX = lazyre.compile(rb"[\w.-]+")
# what an XML parser does not read as tags; one not closed runs to the end of the part
_NOT_MARKUP = lazyre.compile(rb"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|<\?.*?(?:\?>|\Z)", re.S)


def _end_of_merges(xml: bytes, at: int) -> int:
    """Just past the first end tag after ``at`` that does not close a <mergeCell>."""
    while True:
        at = xml.find(b"</", at)
        close = xml.find(b">", at)
        if at < 0 or close < 0:
            return len(xml)
        if xml[at + 2: close].rsplit(b":", 1)[-1].strip() != b"mergeCell":
            return close + 1
        at = close + 1


_MERGES_READ: dict[bytes, tuple] = {}
_MERGES_KEPT, _MERGES_KEPT_BYTES = 256, 64 * 1024  # a crafted sheet's megabytes of merges are read, not kept


def _read_merges(part: bytes) -> tuple[tuple[int, int, int, int], ...]:
    out = []
    for attributes in _MERGE_CELL.findall(part):
        for quoted in _REF_ATTRIBUTE.findall(attributes):
            ref = unescape_xml((quoted[0] or quoted[1]).decode("utf-8", "replace")).strip()
            ends = [_RANGE_END.fullmatch(end) for end in ref.split(":")]
            if not 1 <= len(ends) <= 2 or None in ends or any(not (m.group(1) or m.group(2)) for m in ends):
                continue
            first, last = ends[0], ends[-1]
            if bool(first.group(1)) != bool(last.group(1)) or bool(first.group(2)) != bool(last.group(2)):
                continue  # "A1:B" mixes a cell and a column
            c1, c2 = (_column(first.group(1).upper()), _column(last.group(1).upper())) if first.group(1) else (0, SHEET_COLS - 1)
            r1, r2 = (int(first.group(2)) - 1, int(last.group(2)) - 1) if first.group(2) else (0, SHEET_ROWS - 1)
            if min(r1, r2) < 0 or max(c1, c2) >= SHEET_COLS or max(r1, r2) >= SHEET_ROWS:
                continue
            out.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
    return tuple(out)


def _number(value: str | None, default: int) -> int:
    if value is not None and value.isdigit() and len(value) <= 9:
        return int(value)
    return default


def _ref(row: int, col: int) -> str:
    letters = ""
    c = col
    while c:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


_ODS_ROW = "table-row"
_ODS_CELLS = ("table-cell", "covered-table-cell")
_ODS_REPEAT_ROWS = "table:number-rows-repeated"
_ODS_REPEAT_COLS = "table:number-columns-repeated"
_ODS_SPAN_ROWS = "table:number-rows-spanned"
_ODS_SPAN_COLS = "table:number-columns-spanned"
_ODS_SPACES = "text:c"
CELL_CHARS = limits.CELL_CHARS.value


def trim_ods_content(path, xml: bytes, nrows: int = ROWS, ncols: int = COLS, merges: dict | None = None) -> bytes:
    """content.xml with every table cut to ``nrows`` × ``ncols``: repeated rows and cells (an
    ODS writes a run of equal cells as one element with a count) clamped to the range. The
    merged ranges inside it (a cell spanning rows or columns) go to ``merges``, by table name,
    as merge_ranges gives an xlsx's (calamine reads none of an ODS)."""
    state = {"row": 0, "col": 0, "in_row": False, "table": ""}

    def keep(local: str, attrs: dict, parents: list[str]):
        if local == "table":
            state["row"], state["table"] = 0, attrs.get("table:name", "")
        elif local == _ODS_ROW:
            if state["row"] >= nrows:
                return None
            repeat = _number(attrs.get(_ODS_REPEAT_ROWS), 1)
            take = max(1, min(repeat, nrows - state["row"]))
            state["row"] += repeat if repeat <= nrows else nrows + 1
            state["col"] = 0
            if repeat != take or _ODS_REPEAT_ROWS in attrs:
                attrs = dict(attrs)
                attrs[_ODS_REPEAT_ROWS] = str(take)
        elif local in _ODS_CELLS:
            if state["col"] >= ncols:
                return None
            if merges is not None and local == "table-cell":
                rows, cols = _number(attrs.get(_ODS_SPAN_ROWS), 1), _number(attrs.get(_ODS_SPAN_COLS), 1)
                if rows > 1 or cols > 1:
                    r, c = state["row"] - 1, state["col"]
                    merges.setdefault(state["table"], []).append((r, c, r + rows - 1, c + cols - 1))
            repeat = _number(attrs.get(_ODS_REPEAT_COLS), 1)
            take = max(1, min(repeat, ncols - state["col"]))
            state["col"] += take
            if _ODS_REPEAT_COLS in attrs:
                attrs = dict(attrs)
                attrs[_ODS_REPEAT_COLS] = str(take)
        elif local == "s" and _ODS_SPACES in attrs:  # a run of spaces written as a count
            attrs = dict(attrs)
            attrs[_ODS_SPACES] = str(max(1, min(_number(attrs[_ODS_SPACES], 1), CELL_CHARS)))
        elif local == "table-column" and _ODS_REPEAT_COLS in attrs:
            attrs = dict(attrs)
            attrs[_ODS_REPEAT_COLS] = str(max(1, min(_number(attrs[_ODS_REPEAT_COLS], 1), ncols)))
        return attrs

    return _Copier(path, keep, _ODS_LAYOUT).run(xml)


# elements of content.xml whose text is not content: a writer that indents its XML (gnumeric) puts
# whitespace there, and calamine refuses a table row with text between its cells
_ODS_LAYOUT = frozenset({
    "document-content", "body", "spreadsheet", "table", "table-row", "table-rows", "table-header-rows",
    "table-row-group", "table-column", "table-columns", "table-header-columns", "table-column-group",
    "table-cell", "covered-table-cell",
})
