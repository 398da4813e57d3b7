"""The cells of our own xlsx sheets through the C scanner (_xlsxscan.c), in calamine's types.

The scanner returns numbers and plain shared strings ready in a grid; this module resolves
what needs a decision: rich and escaped text, inline strings, booleans, formula text, date
formats. Whatever it is not sure about raises ``Decline``, and the
reader reads the whole workbook with calamine instead: a number in a date or time format
(calamine turns it into a date), t="e" and t="d" cells, phonetic text, ``_xHHHH_`` escapes,
and anything the scanner itself does not recognise. When the scanner is not built (no C
compiler where the package was installed), every workbook takes the calamine path.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

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
    rows: list[list]  # top-left grid of values, "" where empty
    cells: dict[str, Cell]  # formula cells by reference


def _text(raw: bytes) -> str:
    if b"_x" in raw:
        raise Decline("escaped character")
    try:
        s = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Decline("not UTF-8") from None
    return html.unescape(s) if "&" in s else s


_TEXT_RE = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)</t>")


def _runs(inner: bytes) -> str:
    """The text of an <si> or <is>: one <t>, or the runs of rich text joined."""
    if b"<rPh" in inner:
        raise Decline("phonetic text")
    if inner.startswith(b"<t>") and inner.find(b"<", 3) == len(inner) - 4:
        return _text(inner[3:-4])
    return "".join(_text(t) for t in _TEXT_RE.findall(inner))


class SharedStrings:
    """The shared-string table: each entry decoded when a cell first asks for it (plain ones by
    the scanner, the others here)."""

    __slots__ = ("items", "xml")

    def __init__(self, xml: bytes | None):
        if xml is not None and b":si" in xml:
            raise Decline("prefixed namespace")
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
_NUMFMT_RE = re.compile(rb'<numFmt\b[^>]*?numFmtId="([0-9]+)"[^>]*?formatCode="([^"]*)"', re.S)
_XF_RE = re.compile(rb"<xf\b([^>]*)>?", re.S)
_NUMFMT_ID_RE = re.compile(rb'numFmtId="([0-9]+)"')
_FORMAT_NOISE_RE = re.compile(r'"[^"]*"|\\.|_.|\*.|\[(?![hms]+\])[^\]]*\]', re.I)


def _looks_like_date(code: str) -> bool:
    """Wider than calamine's test on purpose: a false 'date' only costs the slower reader."""
    return bool(re.search(r"[dmhys]", _FORMAT_NOISE_RE.sub("", html.unescape(code)), re.I))


def date_styles(styles_xml: bytes | None) -> frozenset[int]:
    """Indexes of the cell formats (``s="…"``) whose number format shows a date or time."""
    if not styles_xml:
        return frozenset()
    custom = {int(i): _looks_like_date(code.decode("utf-8", "replace")) for i, code in _NUMFMT_RE.findall(styles_xml)}
    start = styles_xml.find(b"<cellXfs")
    end = styles_xml.find(b"</cellXfs>", start)
    if start == -1 or end == -1:
        return frozenset()
    out = set()
    for i, attrs in enumerate(_XF_RE.findall(styles_xml, start, end)):
        m = _NUMFMT_ID_RE.search(attrs)
        fmt = int(m.group(1)) if m else 0
        if fmt in _BUILTIN_DATES or custom.get(fmt, False):
            out.add(i)
    return frozenset(out)


def _other(kind: bytes, raw: bytes | None, inline: bytes | None):
    if kind == b"str":
        return _text(raw) if raw else ""
    if kind == b"inlineStr":
        return _runs(inline) if inline is not None else _text(raw or b"")
    if kind == b"b":
        return raw == b"1" if raw else ""
    if kind == b"s" and not raw:
        return ""
    raise Decline(f"cell type {kind!r}")


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
    if used_styles and used_styles & dates():
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
        cells = {ref: Cell(f if type(f) is str else _text(f), None) for ref, f in formulas}
        out[name] = SheetCells(grid, cells)
    return out
