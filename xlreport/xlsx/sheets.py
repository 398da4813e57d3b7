"""A workbook's sheets as grids of raw values, read within the limits: by the C scanner (cells.py)
where it can read every sheet wanted, otherwise by python-calamine from a package rebuilt with
every sheet cut to its range (extent.py). Formula and error cells, which calamine's values do not
show, come with each grid.

Our own workbooks are told by the stamp in docProps/custom.xml, read with an XML parser so that
a copy re-saved by openpyxl, LibreOffice, WPS or Excel (attributes in another order, other
prefixes) is still known: then only the sheets of the format are read, by the scanner, or by
calamine with the other sheets (校验, 填表说明, …) handed to it empty. Both paths give the same
values, type for type (scripts/diff_readers.py, tests/test_reader_paths.py).
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

from .. import isolation, lazyre, limits
from ..container import Opened, cached, declares_entities, xlsx_sheet_paths
from ..errors import InputError
from ..format import spec
from . import cells as xlsx_cells
from . import extent
from .cells import Cell, SheetCells

SHIFT_TOLERANCE = 40  # rows a label may have moved (inserted/deleted rows) and still be found
READ_ROWS = max(t.height for t in spec.TABLES) + len(spec.TEXT_SLOTS) + SHIFT_TOLERANCE + 10
READ_COLS = max(t.width for t in spec.TABLES) + 4


class CalaminePanic(Exception):
    """A Rust panic inside calamine on a crafted file (pyo3's PanicException is a BaseException,
    which no ``except Exception`` sees)."""


def guarded(call):
    """``call()``, calamine's panics turned into CalaminePanic; Ctrl-C and exits go through."""
    try:
        return call()
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except Exception:
        raise
    except BaseException as e:
        raise CalaminePanic(str(e)) from None


class _Sheet:
    """The known range of one sheet as a grid of raw values, and its merged ranges (first row,
    first column, last row, last column; 0-based)."""

    def __init__(self, name: str, rows: list[list], cells: dict[str, Cell] | None, merges=()):
        self.name = name
        self.rows = rows
        self.cells = cells or {}
        self.merges = merges

    def get(self, row: int, col: int):
        if 0 <= row < len(self.rows):
            r = self.rows[row]
            if 0 <= col < len(r):
                v = r[col]
                return None if v == "" else v
        return None

    def text(self, row: int, col: int) -> str:
        v = self.get(row, col)
        return "" if v is None else str(v)


# --- opening ------------------------------------------------------------------------------

_TAG_REST = rb"""(?:[^>"']|"[^"]*"|'[^']*')*?"""  # up to a tag's '>', quotes respected
_FORMULA_CELL_RE = lazyre.compile(rb"<c\s(" + _TAG_REST + rb")>\s*<f\b" + _TAG_REST + rb"(?:/>|>(.*?)</f>)", re.S)
_ERROR_CELL_RE = lazyre.compile(rb"<c\s(" + _TAG_REST + rb")>(?:\s*<f\b" + _TAG_REST + rb"(?:/>|>.*?</f>))?\s*<v>([^<]*)</v>", re.S)
_REF_RE = lazyre.compile(rb"""\br\s*=\s*["']([A-Z]{1,3}[0-9]{1,7})["']""")
_ERROR_TYPE_RE = lazyre.compile(rb"""\bt\s*=\s*["']e["']""")


def _formula_cells(xml: bytes) -> dict[str, Cell]:
    """Formula and error cells, which calamine's values do not show (attributes in any order)."""
    cells: dict[str, Cell] = {}
    for m in _FORMULA_CELL_RE.finditer(xml):
        ref = _REF_RE.search(m.group(1))
        if ref is not None:
            cells[ref.group(1).decode()] = Cell(xlsx_cells.formula_text(m.group(2)) if m.group(2) is not None else "", None)
    if _ERROR_TYPE_RE.search(xml):
        for m in _ERROR_CELL_RE.finditer(xml):
            ref = _REF_RE.search(m.group(1))
            if ref is not None and _ERROR_TYPE_RE.search(m.group(1)):
                name = ref.group(1).decode()
                cells[name] = Cell(cells[name].formula if name in cells else None, m.group(2).decode("utf-8", "replace"))
    return cells


class _Book:
    """A workbook's sheets as grids: scanned from the XML when xlsx_cells could read every sheet
    wanted, otherwise by calamine (``wb``, which also serves the searches by content)."""

    def __init__(self, opened: Opened, trimmed: dict[str, bytes], formulas: dict[str, dict[str, Cell]],
                 scanned: dict[str, SheetCells] | None = None, names: list[str] | None = None,
                 merges: dict[str, list] | None = None):
        self._opened = opened
        self._trimmed = trimmed
        self._formulas = formulas
        self._merges = merges  # an xlsx's, read from its XML (the trimmed sheets calamine reads have none)
        self._ods_merges: dict[str, list] = {}  # an ods's, found while its content is cut to the range
        self._scanned = scanned or {}
        self._wb = None
        self.sheet_names = names if scanned else self.wb.sheet_names

    @property
    def wb(self):
        if self._wb is None and self._opened.kind == "xls":
            self._wb = _read_xls_isolated(self._opened)
        elif self._wb is None:
            from python_calamine import CalamineWorkbook

            data = _calamine_input(self._opened, self._trimmed, self._ods_merges)
            try:
                self._wb = guarded(lambda: CalamineWorkbook.from_filelike(io.BytesIO(data)))
            except Exception as e:  # calamine raises its own error types and sometimes plain ones
                raise _calamine_error(self._opened.path, type(e).__name__) from None
        return self._wb

    def grid(self, name: str) -> _Sheet:
        scanned = self._scanned.get(name)
        if scanned is not None:
            return _Sheet(name, scanned.rows, scanned.cells, self._merges.get(name, ()))
        try:
            sheet = guarded(lambda: self.wb.get_sheet_by_name(name))
            rows = guarded(lambda: sheet.to_python(skip_empty_area=False, nrows=READ_ROWS))
            if self._merges is not None:
                merges = self._merges.get(name, ())
            else:
                merges = self._ods_merges.get(name, ()) if self._opened.kind == "ods" else _calamine_merges(sheet)
        except Exception as e:
            raise _calamine_error(self._opened.path, _error_name(e)) from None
        return _Sheet(name, [r[:READ_COLS] for r in rows], self._formulas.get(name), merges)


def _calamine_merges(sheet) -> list[tuple[int, int, int, int]]:
    """An .xls sheet's merged ranges as calamine reads them (it reads none of an .ods)."""
    return [(r1, c1, r2, c2) for (r1, c1), (r2, c2) in guarded(lambda: sheet.merged_cell_ranges) or ()]


def _load(opened: Opened, with_text: bool = True) -> tuple[_Book, dict[str, str]]:
    """The workbook's sheets, and the identity stamp when the document properties carry it."""
    stamp: dict[str, str] = {}
    if opened.kind != "xlsx":
        return _Book(opened, {}, {}), stamp
    paths = xlsx_sheet_paths(opened)
    ours = spec.SHEET_STAMP in paths
    if ours:
        stamp = _stamp_from_properties(opened)
    wanted = [n for n in spec.DATA_SHEETS if with_text or n != spec.SHEET_TEXT]
    # Ours, stamped, every sheet of the format in its place: only those sheets are read, and the
    # others (校验, 填表说明, …) reach calamine as empty sheets
    only = bool(stamp) and stamp.get("template_id") == spec.TEMPLATE_ID and all(paths.get(n) in opened.zip for n in wanted)
    trimmed: dict[str, bytes] = {}  # entry -> sheet XML cut to the range calamine may read
    xmls: dict[str, bytes] = {}
    scan = only and xlsx_cells.AVAILABLE and SCANNER
    # the scanner declines a sheet with any "<!": a DOCTYPE is looked for (a search through every
    # sheet, a fifth of reading a LibreOffice-saved workbook) only in sheets it leaves to calamine
    check = extent.check_complete if scan else extent.check_part
    for name, entry in paths.items():
        if only and name not in wanted:
            trimmed[entry] = _EMPTY_SHEET
            continue
        if entry not in opened.zip:
            continue
        xmls[name] = opened.zip.read(entry)
        check(opened.path, _named(name), xmls[name])
    if scan:
        try:
            scanned = xlsx_cells.read_sheets(
                {n: xmls[n] for n in wanted},
                lambda: _optional_entry(opened, _SHARED_STRINGS),
                lambda: cached(opened, (_STYLES,), _DATE_STYLES, lambda: xlsx_cells.date_styles(_optional_entry(opened, _STYLES))),
                READ_ROWS, READ_COLS,
            )
            return _Book(opened, trimmed, {}, scanned, list(paths), _merges_of(xmls, wanted, plain=True)), stamp
        except xlsx_cells.Decline:
            for name, xml in xmls.items():
                extent.check_part(opened.path, _named(name), xml)
    merges = _merges_of(xmls, xmls)
    for name, xml in xmls.items():
        xmls[name] = trimmed[paths[name]] = extent.trim_xlsx_sheet(opened.path, _named(name), xml)
    formulas = {name: _formula_cells(xml) for name, xml in xmls.items() if name in _INPUT_SHEETS or name in wanted}
    return _Book(opened, trimmed, formulas, merges=merges), stamp


def _named(sheet: str) -> str:
    """A sheet as the messages about its XML name it."""
    return f"工作表“{sheet}”"


def _merges_of(xmls: dict[str, bytes], names, plain: bool = False) -> dict[str, list]:
    return {name: extent.merge_ranges(xmls[name], plain) for name in names}


# For measuring and the differential tests only: XLREPORT_READER=calamine reads every workbook with calamine
SCANNER = os.environ.get("XLREPORT_READER") != "calamine"
_EMPTY_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')


_SHARED_STRINGS = "xl/sharedStrings.xml"
_STYLES = "xl/styles.xml"


def _optional_entry(opened: Opened, name: str) -> bytes | None:
    return opened.zip.optional(name)


_PROPERTY_KEYS = {"xlreport_template": "template_id", "xlreport_format": "format_version", "xlreport_spec": "spec_hash"}


def _stamp_from_properties(opened: Opened) -> dict[str, str]:
    """The custom document properties repeat the stamp; reading them spares a sheet."""
    return dict(cached(opened, ("docProps/custom.xml",), _STAMPS, lambda: _read_properties(opened)))


_STAMPS: dict = {}
_DATE_STYLES: dict = {}


def _read_properties(opened: Opened) -> dict[str, str]:
    if "docProps/custom.xml" not in opened.zip or opened.zip.size("docProps/custom.xml") > 64 * 1024:
        return {}
    return properties_stamp(opened.zip.read("docProps/custom.xml"))


def properties_stamp(xml: bytes) -> dict[str, str]:
    """The stamp in a custom.xml, however its writer spelt it: <property name="xlreport_…"> with a
    text value (<vt:lpwstr>, or another vt: string type), attributes in any order, any prefix.
    All three keys or nothing."""
    if declares_entities(xml):
        return {}
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(xml)
    except (ElementTree.ParseError, ValueError, LookupError):  # LookupError: an encoding Python does not know
        return {}
    found: dict[str, str] = {}
    for prop in root:
        if not isinstance(prop.tag, str) or prop.tag.rsplit("}", 1)[-1] != "property":
            continue
        key = _PROPERTY_KEYS.get(prop.get("name", ""))
        values = [v for v in prop if isinstance(v.tag, str) and v.tag.rsplit("}", 1)[-1] in ("lpwstr", "lpstr", "bstr")]
        if key is not None and len(values) == 1 and key not in found:
            found[key] = values[0].text or ""
    return found if len(found) == len(_PROPERTY_KEYS) else {}


_WANTED_SHEETS = set(spec.DATA_SHEETS)
_INPUT_SHEETS = {f.sheet for f in spec.INPUT_FIELDS} | {m.sheet for m in spec.META_FIELDS}


_PACKAGE_PARTS = (".xml", ".rels", "mimetype")
_WORKSHEET = lazyre.compile(r"xl/worksheets/[^/]+\.xml")


def _calamine_input(opened: Opened, trimmed: dict[str, bytes], ods_merges: dict | None = None) -> bytes:
    """What calamine reads. For an xlsx or ods: a package rebuilt (stored, not compressed) from
    entries read within the limits, every worksheet (an ods: content.xml) cut to the range the
    readers look at, so no cell far away makes calamine allocate a huge grid (an .xls: see
    _read_xls)."""
    sheets = {entry: name for name, entry in xlsx_sheet_paths(opened).items()} if opened.kind == "xlsx" else {}
    strings = None
    if _SHARED_STRINGS in opened.zip and opened.kind == "xlsx":
        sst = opened.zip.read(_SHARED_STRINGS)
        extent.check_part(opened.path, "共享字符串表", sst)
        strings = sst.count(b"<si>") + sst.count(b"<si ")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name in opened.zip.namelist():
            if not name.endswith(_PACKAGE_PARTS):
                continue  # pictures, printer settings, embedded objects: nothing a value is in
            if name == _SHARED_STRINGS and strings is not None:
                data = extent.shared_strings_for_calamine(opened.path, sst, strings)
            else:
                data = opened.zip.read(name) if name not in trimmed else trimmed[name]
            if opened.kind == "ods" and name == "content.xml":
                data = extent.trim_ods_content(opened.path, data, merges=ods_merges)
            elif name in sheets or _WORKSHEET.fullmatch(name):
                what = _named(sheets.get(name, name))
                extent.check_part(opened.path, what, data, strings)
                data = trimmed.get(name) or extent.trim_xlsx_sheet(opened.path, what, data)
            z.writestr(name, data)
    return out.getvalue()


def _calamine_error(path: Path, name: str) -> InputError:
    """What calamine's error (by its type's name, all there is to tell them by) means to a clerk."""
    if "Password" in name:
        return InputError(f"{path}：工作簿设置了打开密码，无法读取", "请在 WPS/Excel 中取消“打开密码”后另存，再运行本命令")
    return InputError(f"{path}：文件已损坏或不是有效的工作簿，无法读取（{name}）", "请用 WPS/Excel 打开后另存为 .xlsx 再试")


# --- an .xls, read in a child process ----------------------------------------------------------
# calamine reads an .xls as it is (no package to cut to a range), and a crafted one makes it ask
# for gigabytes (an allocation table in a loop, a sheet claiming 2^20 × 16,384 cells: 640 GB)
# and abort the process. So a child reads it within limits.XLS_MEMORY and XLS_SECONDS
# (isolation.py) and hands back every sheet the readers may look at, cut to what they look at.

XLS_SHEETS = 50  # the sheets read_foreign looks for tables on
XLS_ROWS, XLS_COLS = READ_ROWS * 3, READ_COLS * 2  # the most any reader looks at (read_foreign)


class XlsSheetError(Exception):
    """A sheet of an .xls that calamine could not read; ``name``: calamine's error."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def _error_name(e: Exception) -> str:
    return e.name if isinstance(e, XlsSheetError) else type(e).__name__


class _XlsSheet:
    """One sheet of an .xls as the child read it: the calls the readers make of calamine's."""

    def __init__(self, rows: list[list], merges: list):
        self._rows = rows
        self.merged_cell_ranges = merges

    def to_python(self, skip_empty_area: bool = False, nrows: int | None = None) -> list[list]:
        return self._rows[:nrows]


class _XlsBook:
    """An .xls as the child read it, in the shape of calamine's workbook."""

    def __init__(self, names: list[str], sheets: dict):
        self.sheet_names = names
        self._sheets = sheets

    def get_sheet_by_name(self, name: str) -> _XlsSheet:
        read = self._sheets.get(name, "WorksheetNotFound")
        if isinstance(read, str):
            raise XlsSheetError(read)
        return _XlsSheet(*read)


def _read_xls_isolated(opened: Opened) -> _XlsBook:
    kind, value = isolation.read(opened.path, " .xls 工作簿", _read_xls, (opened.data,), limits.XLS_MEMORY, limits.XLS_SECONDS,
                                 preload=("python_calamine",))
    if kind == "done" and value[0] == "sheets":
        return _XlsBook(*value[1:])
    raise _calamine_error(opened.path, value[1] if kind == "done" else value)  # calamine's error, or one nothing caught


def _read_xls(data: bytes) -> tuple:
    """("sheets", names, {name: (rows, merges) or calamine's error}) | ("refused", calamine's error)."""
    from python_calamine import CalamineWorkbook

    try:
        wb = guarded(lambda: CalamineWorkbook.from_filelike(io.BytesIO(data)))
        names = list(wb.sheet_names)
    except Exception as e:
        return ("refused", type(e).__name__)
    wanted = names[:XLS_SHEETS] + [n for n in names[XLS_SHEETS:] if n in _WANTED_SHEETS or n == spec.SHEET_STAMP]
    return ("sheets", names, {name: _read_xls_sheet(wb, name) for name in wanted})


def _read_xls_sheet(wb, name: str):
    try:
        sheet = guarded(lambda: wb.get_sheet_by_name(name))
        rows = guarded(lambda: sheet.to_python(skip_empty_area=False, nrows=XLS_ROWS))
        merges = guarded(lambda: sheet.merged_cell_ranges) or ()
    except Exception as e:
        return type(e).__name__
    return [r[:XLS_COLS] for r in rows], list(merges)


def _stamp(wb) -> dict[str, str]:
    if spec.SHEET_STAMP not in wb.sheet_names:
        return {}
    try:
        rows = guarded(lambda: wb.get_sheet_by_name(spec.SHEET_STAMP).to_python(skip_empty_area=False, nrows=10))
    except Exception:
        return {}
    return {str(r[0]): str(r[1]) for r in rows if len(r) >= 2 and r[0] != ""}
