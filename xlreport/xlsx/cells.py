"""The cells of our own xlsx sheets through the C scanner (_xlsxscan.c), in calamine's types.

The scanner returns numbers, plain shared and inline strings ready in a grid; this module
resolves what needs a decision: rich text, booleans, formula text, date formats. Text is read
the way calamine reads it (line ends normalised, each <t> trimmed unless it has
xml:space="preserve", XML's entities and character references decoded). Whatever it is not
sure about raises ``Decline``, and the reader reads the whole workbook with calamine instead:
a number in a date or time format (calamine turns it into a date), t="e" and t="d" cells,
phonetic text, ``_x00HH_`` escapes, comments, CDATA and processing instructions, entities
other than XML's own, and anything the scanner itself does not recognise. When the scanner
is not built (no C compiler where the package was installed), every workbook takes the
calamine path. scripts/diff_readers.py and tests/test_reader_paths.py hold the two paths to
the same values, type for type, over mutated workbooks of every producer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import lazyre
from ..container import declares_entities, unescape_xml

try:
    from . import _xlsxscan
except ImportError:  # pragma: no cover - installed without a C compiler
    _xlsxscan = None

AVAILABLE = _xlsxscan is not None


class Decline(Exception):
    """This sheet holds something only calamine reads correctly."""


@dataclass(slots=True)
class Cell:
    """What a cell's value does not show: its formula, or the error it displays."""

    formula: str | None = None
    error: str | None = None


@dataclass(slots=True)
class SheetCells:
    """One worksheet as the readers see it: the grid of values and the formula cells."""

    rows: list[list]  # top-left grid of values, "" where empty
    cells: dict[str, Cell]  # formula cells by reference


_ESCAPE_RE = lazyre.compile(r"_x00.{2}_", re.S)  # calamine wants hex digits: wider is safe
_ENTITY_RE = lazyre.compile(r"&(?:(lt|gt|amp|apos|quot)|#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "apos": "'", "quot": '"'}
_TRIMMED = " \t\r\n"


def _char(m: re.Match) -> str:
    if m.group(1):
        return _NAMED[m.group(1)]
    cp = int(m.group(2)) if m.group(2) else int(m.group(3), 16)
    if (cp < 0x20 and cp not in (9, 10, 13)) or 0xD800 <= cp <= 0xDFFF or cp in (0xFFFE, 0xFFFF) or cp > 0x10FFFF:
        raise Decline("character reference")
    return chr(cp)


def _text(raw: bytes, preserve: bool = True) -> str:
    """Text as calamine reads it (see _xlsxscan.c, xml_text): line ends written in the text
    normalised, entities decoded, then trimmed unless ``preserve``."""
    if b"<" in raw:
        raise Decline("markup in text")
    try:
        s = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Decline("not UTF-8") from None
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in s:
        parts = s.split("&")
        out = [parts[0]]
        for part in parts[1:]:
            m = _ENTITY_RE.match("&" + part)
            if m is None:
                raise Decline("entity")
            out.append(_char(m) + part[m.end() - 1:])
        s = "".join(out)
    if "_x00" in s and _ESCAPE_RE.search(s):  # calamine unescapes after decoding the references
        raise Decline("escaped character")
    return s if preserve else s.strip(_TRIMMED)


_T_RE = lazyre.compile(rb"<t(\s[^>]*)?>([^<]*)</t>|<t(?:\s[^>]*)?/>")
_PRESERVE_RE = lazyre.compile(rb"""\bxml:space\s*=\s*(["'])preserve\1""")


_TAG_RE = lazyre.compile(rb"""<(/?)([A-Za-z_][\w:.-]*)(?:[^>"'<]|"[^"<]*"|'[^'<]*')*?(/?)>""")


def _balanced(inner: bytes) -> None:
    """Every element in ``inner`` closed, in order, and no stray '<': else calamine decides."""
    stack: list[bytes] = []
    tags = 0
    for m in _TAG_RE.finditer(inner):
        tags += 1
        closing, name, empty = m.groups()
        if closing:
            if not stack or stack.pop() != name:
                raise Decline("elements not balanced")
        elif not empty:
            stack.append(name)
    if stack or tags != inner.count(b"<"):
        raise Decline("elements not balanced")


def _runs(inner: bytes) -> str:
    """The text of an <si> or <is>: its <t> elements (one, or the runs of rich text) joined,
    each trimmed unless it keeps its spaces, as calamine reads them."""
    if b"<rPh" in inner:
        raise Decline("phonetic text")
    _balanced(inner)
    out = []
    for m in _T_RE.finditer(inner):
        if m.group(2) is not None:
            attrs = m.group(1)
            out.append(_text(m.group(2), bool(attrs) and _PRESERVE_RE.search(attrs) is not None))
    return "".join(out)


class SharedStrings:
    """The shared-string table: each entry decoded when a cell first asks for it (plain ones by
    the scanner, the others here)."""

    __slots__ = ("items", "xml")

    def __init__(self, xml: bytes | None):
        self.xml = xml or b""
        try:
            self.items = _xlsxscan.shared_strings(xml) if xml else []
        except _xlsxscan.Decline as e:
            raise Decline(str(e)) from None

    def __getitem__(self, index: int) -> str:
        try:
            item = _xlsxscan.entry(self.items, index, self.xml)
        except IndexError:
            raise Decline("shared string out of range") from None
        except _xlsxscan.Decline as e:
            raise Decline(str(e)) from None
        if type(item) is bytes:
            item = self.items[index] = _runs(item)
        return item


_BUILTIN_DATES = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59), *range(71, 82)])
_FORMAT_NOISE_RE = lazyre.compile(r'"[^"]*"|\\.|_.|\*.|\[(?![hms]+\])[^\]]*\]', re.I)


def _looks_like_date(code: str) -> bool:
    """Wider than calamine's test on purpose: a false 'date' only costs the slower reader."""
    return bool(re.search(r"[dmhys]", _FORMAT_NOISE_RE.sub("", code), re.I))


ALL_STYLES = None  # date_styles' answer when it cannot tell: every styled number may be a date


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def date_styles(styles_xml: bytes | None) -> frozenset[int] | None:
    """Indexes of the cell formats (``s="…"``) whose number format shows a date or time, read
    with an XML parser (attributes in any order, either quote, entities, comments, any
    namespace prefix); None (ALL_STYLES) when the styles cannot be parsed."""
    if not styles_xml:
        return frozenset()
    if declares_entities(styles_xml):
        return ALL_STYLES
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(styles_xml)
    except (ElementTree.ParseError, ValueError, LookupError):  # LookupError: an encoding Python does not know
        return ALL_STYLES
    custom: dict[int, bool] = {}
    xfs: list[str | None] = []
    for el in root.iter():
        name = _local(el.tag) if isinstance(el.tag, str) else ""
        if name == "numFmt":
            attrs = {_local(k): v for k, v in el.attrib.items()}
            fid = attrs.get("numFmtId", "")
            if not fid.strip().isdigit():
                return ALL_STYLES
            custom[int(fid)] = custom.get(int(fid), False) or _looks_like_date(attrs.get("formatCode", ""))
        elif name == "cellXfs":
            for xf in el:
                if isinstance(xf.tag, str) and _local(xf.tag) == "xf":
                    xfs.append({_local(k): v for k, v in xf.attrib.items()}.get("numFmtId"))
    out = set()
    for i, fid in enumerate(xfs):
        if fid is None:
            continue
        if not fid.strip().isdigit():
            return ALL_STYLES
        if int(fid) in _BUILTIN_DATES or custom.get(int(fid), False):
            out.add(i)
    return frozenset(out)


def _other(kind: bytes, raw: bytes | None, inline: bytes | None):
    if kind == b"str":  # a <v> is not trimmed
        return _text(raw) if raw else ""
    if kind == b"inlineStr":  # calamine reads only the <is>
        if inline is None:
            return ""
        text = _INLINE_TEXTS.get(inline)
        if text is None:
            text = _runs(inline)
            if len(_INLINE_TEXTS) < _FORMULA_TEXTS_KEPT:
                _INLINE_TEXTS[inline] = text  # the labels of openpyxl-saved files, the same in every one
        return text
    if kind == b"b":
        if not raw:
            return ""
        if raw in (b"0", b"1"):
            return raw == b"1"
        raise Decline("boolean written unusually")
    if kind == b"s" and not raw and inline is None:
        return ""
    raise Decline(f"cell type {kind!r}")


def formula_text(raw: bytes) -> str:
    """A formula's text, the same way on both paths (sheets._formula_cells). The totals'
    formulas are the same in every workbook of a batch: each is unescaped once."""
    text = _FORMULA_TEXTS.get(raw)
    if text is None:
        text = unescape_xml(raw.decode("utf-8", "replace"))
        if len(_FORMULA_TEXTS) < _FORMULA_TEXTS_KEPT:
            _FORMULA_TEXTS[raw] = text
    return text


_FORMULA_TEXTS: dict[bytes, str] = {}
_INLINE_TEXTS: dict[bytes, str] = {}
_FORMULA_TEXTS_KEPT = 4096  # each bounded: a hostile batch of distinct texts must not grow them


def read_sheets(xmls: dict[str, bytes], shared_strings, dates, nrows: int, ncols: int) -> dict[str, SheetCells]:
    """Every sheet's grid, or Decline. ``shared_strings()`` gives the table's XML, ``dates()``
    the date styles (see date_styles), the latter only when a number has a style."""
    if _xlsxscan is None:
        raise Decline("scanner not built")
    strings = SharedStrings(shared_strings())
    scanned = {}
    used_styles: set[int] = set()
    try:
        for name, xml in xmls.items():
            scanned[name] = found = _xlsxscan.scan(xml, nrows, ncols, strings.items, strings.xml)
            used_styles |= found[4]
    except _xlsxscan.Decline as e:
        raise Decline(str(e)) from None
    if used_styles:
        date = dates()
        if date is ALL_STYLES or used_styles & date:
            raise Decline("a number in a date format")
    out = {}
    for name, (grid, strs, others, formulas, _) in scanned.items():
        placed = [(r, c, _other(kind, raw, inline)) for r, c, kind, raw, inline in others]
        placed += [(r, c, strings[i]) for r, c, i in strs]
        for r, c, value in placed:
            if value == "":
                continue
            while len(grid) <= r:
                grid.append([""] * ncols)
            grid[r][c] = value
        cells = {ref: Cell(f if type(f) is str else formula_text(f), None) for ref, f in formulas}
        out[name] = SheetCells(grid, cells)
    return out
