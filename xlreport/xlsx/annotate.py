"""An annotated copy of a clerk's workbook: the clerk's own file, every cell as it was typed,
with marks added — a fill and a comment on each cell a problem names, and a sheet 问题清单
listing every problem with a link to its cell.

openpyxl edits the file: the marks change a cell's fill (a style) and comment, never its value,
type, formula or number format. Sheet protection stays (openpyxl writes the file; protection
only guards the spreadsheet program's UI). What an openpyxl save does not keep: the cached
results of formulas (the copy asks for a recalculation on opening), charts, shapes and
extension features (x14 validations and formats); a value lying under a merged range. The copy
is therefore read back before it is kept: if the reader sees anything different from the
original, no copy is made.

Inputs that are not a workbook of the clerk's (a JSON report, a published report) have no cells
to keep: their copy is a workbook written from the values read (``write_regenerated``).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from .. import lazyre, limits, texttable
from ..container import declares_entities, open_spreadsheet
from ..errors import InputError, OutputError
from ..format import spec
from ..format.rules import RULE_BY_CODE
from ..model import Report
from ..output import atomic_target, save_through_memory, scratch_error
from ..problems import Problem
from ..shown import shown_path
from . import extent

REFUSED_SUFFIXES = (".ods", ".xls")
REGENERATED_SUFFIXES = (".json",) + tuple(spec.PUBLISHED_FORMATS)  # api.PUBLISHED_SUFFIXES

ERROR_FILL = "FFFF8080"  # red
WARNING_FILL = "FFFFC000"  # orange: the template's input cells are already light yellow
AUTHOR = "xlreport"
MARKER = "【xlreport 检查结果】"  # opens our part of a comment; what comes before it is the clerk's
CELL_CHARS = limits.CELL_CHARS.value  # what a comment or a 问题清单 cell may hold
HEADER_FILL = "FFDDEBF7"
LIST_WIDTHS = (8, 22, 36, 70, 16, 16)
RECORD_COL = 9  # column I: where the fills the marks replaced are recorded (hidden)
RECORD_HEADERS = ("标注的工作表", "标注的单元格", "标注前的填充（xlreport 用于再次标注时恢复，请勿修改）")
READ_SCOPES = ("reading", "cell")  # problems the reader makes: placed where it found the value


# --- which inputs ---------------------------------------------------------------------------


def refuse_unless_annotatable(path) -> None:
    """An .ods or .xls cannot be edited in place (openpyxl): refused before any checking."""
    suffix = Path(path).suffix.lower()
    if suffix in REFUSED_SUFFIXES:
        raise InputError(f"{shown_path(path)}：--annotate 在原工作簿上添加标注，只能用于 .xlsx/.xlsm 文件，不能用于 {suffix} 文件",
                         "请用 WPS/Excel 打开后另存为 .xlsx，再对 .xlsx 文件运行 check --annotate")


def output_suffixes(source) -> tuple[str, ...]:
    """The copy is the same kind of file as the clerk's: an .xlsm stays an .xlsm (its macros kept)."""
    return (".xlsm",) if source is not None and Path(source).suffix.lower() == ".xlsm" else (".xlsx",)


def is_regenerated(source) -> bool:
    """Whether the copy of ``source`` is written from the values read (no workbook to keep)."""
    return Path(source).suffix.lower() in REGENERATED_SUFFIXES


def write_annotated(out, source, problems: list[Problem], report: Report | None = None, force: bool = False) -> Path:
    """The annotated copy of ``source``: the clerk's workbook plus marks, or, for an input that is
    not a workbook, a workbook written from ``report``."""
    if is_regenerated(source):
        return write_regenerated(out, report, problems, force)
    return annotate_copy(source, out, problems, force)


# --- the clerk's workbook plus marks ----------------------------------------------------------------


def annotate_copy(source, out, problems: list[Problem], force: bool = False) -> Path:
    source, out = Path(source), Path(out)
    hidden = [f"{p.sheet}!{p.cell}" for p in problems if p.code == "value-merged"]
    if hidden:  # openpyxl keeps no value under a merged range: the copy would lose what was typed there
        raise InputError(f"{shown_path(source)}：{'、'.join(hidden)} 被合并单元格遮住，标注副本无法保留其中的内容，未生成标注副本",
                         "请先在 WPS/Excel 中取消这些合并单元格，再运行 check --annotate")
    wb = _open(source, keep_vba=out.suffix.lower() == ".xlsm")
    _unmark(wb, source)
    places = _places(wb, problems)
    replaced = _mark(wb, _by_cell(problems, places))
    _list_sheet(wb, problems, places, replaced)
    from lxml.etree import SerialisationError  # loaded with openpyxl already: heavy, only here

    with atomic_target(out, force) as tmp:
        try:
            save_through_memory(tmp, wb.save)
        except SerialisationError as e:  # openpyxl streams each sheet through a temporary file
            raise OutputError(f"{shown_path(out)}：无法写入（写临时文件失败：{e}）", "请检查磁盘空间") from None
        except OSError as e:  # … which it could not make
            raise scratch_error(e) from None
        _verify(source, tmp, out)
    return out


def _open(source: Path, keep_vba: bool):
    """The workbook as openpyxl edits it, from bytes read within the limits (container.py)."""
    import openpyxl

    opened = open_spreadsheet(source)
    if opened.kind != "xlsx":
        raise InputError(f"{shown_path(source)}：文件实际是 .{opened.kind} 格式（与扩展名不符），--annotate 只能用于 .xlsx/.xlsm 文件",
                         "请用 WPS/Excel 打开后另存为 .xlsx，再对 .xlsx 文件运行 check --annotate")
    merged = cells = 0
    for name in opened.zip.namelist():
        if not name.endswith((".xml", ".rels", ".vml")):
            continue
        xml = opened.zip.read(name)
        if declares_entities(xml):
            raise InputError(f"{shown_path(source)}：{name} 含有 DOCTYPE 或实体声明，无法生成标注副本", "正常的工作簿不含这些声明")
        merged += merged_area(xml)
        cells += len(_CELL.findall(xml))
    # openpyxl makes an object for every cell, and for every cell a merge covers
    for limit, found, hint in ((limits.ANNOTATE_MERGED, merged, "请在 WPS/Excel 中取消多余的合并单元格后另存再试"),
                               (limits.ANNOTATE_CELLS, cells, "请在 WPS/Excel 中删除表格以外多余的行和列后另存再试")):
        if found > limit.value:
            raise InputError(f"{shown_path(source)}：{limit.name}超过上限（{found}格，上限{limit.shown()}），无法生成标注副本", hint)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "extension is not supported": openpyxl's, not the user's business
            return openpyxl.load_workbook(io.BytesIO(opened.data), keep_vba=keep_vba, rich_text=True, keep_links=True)
    except Exception as e:  # openpyxl raises many kinds on a package it cannot follow
        raise InputError(f"{shown_path(source)}：无法打开这个工作簿来添加标注（{type(e).__name__}）",
                         "请用 WPS/Excel 打开后另存为 .xlsx 再试") from None


_CELL = lazyre.compile(rb"<(?:[\w.-]+:)?c[\s/>]")  # a cell element, with any namespace prefix


def merged_area(xml: bytes) -> int:
    """How many cells the merges of a sheet's XML cover: openpyxl makes an object for each."""
    return sum((r2 - r1 + 1) * (c2 - c1 + 1) for r1, c1, r2, c2 in extent.merge_ranges(xml))


def _worksheets(wb):
    from openpyxl.worksheet.worksheet import Worksheet

    return [ws for ws in wb.worksheets if isinstance(ws, Worksheet)]


# where the problems are


def _places(wb, problems: list[Problem]) -> list[list[tuple[str, str]]]:
    """For each problem, the cells of this workbook to mark: (sheet, top-left cell of a merge).

    The reader's problems name the cell where it found the value. The rules' problems name the
    template's place: on a renamed sheet the place is moved to the new name; on a sheet whose
    rows moved, where the rule's cell now is cannot be told, so it is not marked. An accepted
    warning is not marked either. The list names them all."""
    renamed = {p.expected: p.actual for p in problems if p.code == "structure-sheet" and p.expected and p.actual}
    moved = {p.sheet for p in problems if p.code == "structure-moved"}
    sheets = {ws.title: ws for ws in _worksheets(wb) if ws.title != spec.SHEET_PROBLEMS}
    out = []
    for p in problems:
        as_found = p.code in RULE_BY_CODE and RULE_BY_CODE[p.code].scope in READ_SCOPES
        mine = []
        for sheet, cell in _named_cells(p) if not p.accepted else ():
            if not as_found:
                sheet = renamed.get(sheet, sheet)
                if sheet in moved:
                    continue
            ref = _top_left(sheets[sheet], cell) if sheet in sheets else None
            if ref is not None and (sheet, ref) not in mine:
                mine.append((sheet, ref))
        out.append(mine)
    return out


def _by_cell(problems: list[Problem], places) -> dict[tuple[str, str], list[Problem]]:
    by_cell: dict[tuple[str, str], list[Problem]] = {}
    for p, mine in zip(problems, places):
        for place in mine:
            by_cell.setdefault(place, []).append(p)
    return by_cell


def _named_cells(p: Problem) -> list[tuple[str, str]]:
    named = [(p.sheet, p.cell)] if p.sheet and p.cell else []
    for ref in p.cells:
        sheet, _, cell = ref.rpartition("!")
        if (sheet, cell) not in named:
            named.append((sheet, cell))
    return named


def _top_left(ws, cell: str) -> str | None:
    """The cell itself, or the first cell of the merged range it is in; None if not a cell."""
    from openpyxl.utils.cell import coordinate_from_string, column_index_from_string

    try:
        letters, row = coordinate_from_string(cell)
        col = column_index_from_string(letters)
    except (ValueError, TypeError):
        return None
    for merged in ws.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= col <= merged.max_col:
            return merged.start_cell.coordinate
    return f"{letters}{row}"


# the marks


def _mark(wb, by_cell) -> dict[tuple[str, str], str]:
    """Fill and comment every cell named; returns the fills replaced (as XML), by cell."""
    replaced = {}
    for (sheet, ref), found in by_cell.items():
        cell = wb[sheet][ref]
        replaced[(sheet, ref)] = _fill_xml(cell.fill)
        cell.fill = _mark_fill(any(p.is_error for p in found))
        cell.comment = _comment(cell.comment, found)
    return replaced


def _mark_fill(error: bool):
    from openpyxl.styles import PatternFill

    color = ERROR_FILL if error else WARNING_FILL
    return PatternFill(fill_type="solid", start_color=color, end_color=color)


def _is_mark_fill(fill) -> bool:
    return getattr(fill, "fill_type", None) == "solid" and fill.fgColor.type == "rgb" and fill.fgColor.rgb in (ERROR_FILL, WARNING_FILL)


def _fill_xml(fill) -> str:
    from openpyxl.xml.functions import tostring

    return tostring(fill.to_tree()).decode("utf-8")


def _fill_from_xml(text: str):
    """A recorded fill; None unless the text is one (a sheet of the clerk's named 问题清单, or a
    hostile one, holds anything: no declarations reach the XML parser)."""
    from openpyxl.styles.fills import Fill
    from openpyxl.xml.functions import fromstring

    if not text.startswith("<fill>") or "<!" in text or len(text) > 4096:
        return None
    return Fill.from_tree(fromstring(text.encode("utf-8")))


def _comment(existing, found: list[Problem]):
    """Our lines after the clerk's own comment, if there is one."""
    from openpyxl.comments import Comment

    lines = [MARKER] + [f"【{spec.SEVERITY_NAMES[p.severity]}】{p.message}" for p in found]
    theirs = existing.text.rstrip() if existing is not None and existing.text else ""
    text = _safe("\n\n".join(x for x in (theirs, "\n".join(lines)) if x))
    author = existing.author if existing is not None and existing.author else AUTHOR
    height = min(400, 30 + 18 * sum(1 + len(line) // 24 for line in text.splitlines()))
    return Comment(text, author, height=height, width=320)


def _unmark(wb, source: Path) -> None:
    """A copy annotated again: the old marks go (the fills they replaced come back, where the
    cell still has our fill), and so does the old 问题清单. A sheet of that name that is the
    clerk's own (not our header and record) is never replaced: the copy is refused instead."""
    if spec.SHEET_PROBLEMS in wb.sheetnames:
        if not _is_our_listing(wb[spec.SHEET_PROBLEMS]):
            raise InputError(f"{shown_path(source)}：工作簿中已有一张名为“{spec.SHEET_PROBLEMS}”的工作表，不是 xlreport 生成的，"
                             "无法生成标注副本（标注副本要用这个名字列出问题）", "请把这张工作表改名后另存，再运行 check --annotate")
        _restore_fills(wb, wb[spec.SHEET_PROBLEMS])
        del wb[spec.SHEET_PROBLEMS]
    for ws in _worksheets(wb):
        for cell in list(ws._cells.values()):  # the cells there are: iter_rows would fill the whole range
            if cell.comment is not None and MARKER in (cell.comment.text or ""):
                cell.comment = _without_ours(cell.comment)


def _is_our_listing(ws) -> bool:
    """Whether a 问题清单 sheet is one an earlier annotation made: its header and its record's."""
    header = [ws.cell(1, c).value for c in range(1, len(texttable.HEADERS) + 1)]
    record = [ws.cell(1, c).value for c in range(RECORD_COL, RECORD_COL + len(RECORD_HEADERS))]
    return header == list(texttable.HEADERS) and record == list(RECORD_HEADERS)


def _restore_fills(wb, listing) -> None:
    for sheet, ref, xml in listing.iter_rows(min_row=2, min_col=RECORD_COL, max_col=RECORD_COL + 2, values_only=True):
        if not (isinstance(sheet, str) and isinstance(ref, str) and isinstance(xml, str)) or sheet not in wb.sheetnames:
            continue
        ws = wb[sheet]
        top = _top_left(ws, ref) if hasattr(ws, "merged_cells") else None
        if top is None or not _is_mark_fill(ws[top].fill):
            continue  # the clerk has coloured it since
        try:
            fill = _fill_from_xml(xml)
        except Exception:  # a record edited by hand: leave our fill
            continue
        if fill is not None:
            ws[top].fill = fill


def _without_ours(comment):
    from openpyxl.comments import Comment

    theirs = comment.text.split(MARKER, 1)[0].rstrip()
    return Comment(theirs, comment.author or AUTHOR, height=comment.height, width=comment.width) if theirs else None


# the list


def problem_rows(problems: list[Problem]) -> list[list[str]]:
    """The 问题清单 as rows of text: the header, then the rows of check's table, one per problem."""
    return [list(texttable.HEADERS)] + [list(row) for row in texttable.problem_rows(problems)]


def _list_sheet(wb, problems: list[Problem], places, replaced) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    ws = wb.create_sheet(spec.SHEET_PROBLEMS)  # last: the reader's search for a renamed sheet meets the clerk's first
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(problem_rows(problems), start=1):
        for c, value in enumerate(row, start=1):
            cell = _text_cell(ws, r, c, value)
            cell.alignment = wrap
            if r == 1:
                cell.font = Font(bold=True)
                cell.fill = PatternFill(fill_type="solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
        if r > 1 and places[r - 2]:
            _link(ws.cell(r, 2), *places[r - 2][0])
    _record(ws, replaced)
    for i, width in enumerate(LIST_WIDTHS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:F{max(2, len(problems) + 1)}"
    _print_setup(ws)
    _activate(wb, ws)


def _print_setup(ws) -> None:
    """As the workbook's own sheets print (writer.print_setup): A4 landscape, one page wide, the
    header row on every page, the sheet and the page at the foot."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.oddFooter.left.text = spec.PRINT_FOOTER_LEFT
    ws.oddFooter.right.text = spec.PRINT_FOOTER_RIGHT


def _text_cell(ws, row: int, col: int, value):
    """Text stays text: a message or a clerk's value starting with '=' is no formula here."""
    cell = ws.cell(row, col)
    cell.value = _safe("" if value is None else str(value))
    cell.data_type = "s"
    return cell


def _link(cell, sheet: str, ref: str) -> None:
    from openpyxl.styles import Font
    from openpyxl.worksheet.hyperlink import Hyperlink

    quoted = sheet.replace("'", "''")
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{quoted}'!{ref}", tooltip="转到这个单元格")
    cell.font = Font(color="FF0563C1", underline="single")


def _record(ws, replaced) -> None:
    """The fills the marks replaced, in hidden columns, so that annotating again restores them."""
    from openpyxl.utils import get_column_letter

    for c, header in enumerate(RECORD_HEADERS, start=RECORD_COL):
        _text_cell(ws, 1, c, header)
        ws.column_dimensions[get_column_letter(c)].hidden = True
    for r, ((sheet, ref), xml) in enumerate(replaced.items(), start=2):
        for c, value in enumerate((sheet, ref, xml), start=RECORD_COL):
            _text_cell(ws, r, c, value)


def _activate(wb, ws) -> None:
    """The list is what opens; no other sheet stays selected (selected sheets are grouped, and
    typing into a group writes into every sheet of it)."""
    for other in _worksheets(wb):
        for view in other.views.sheetView:
            view.tabSelected = False
    wb.active = wb.sheetnames.index(ws.title)
    ws.sheet_view.tabSelected = True


def _safe(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


# the copy read back


def _verify(source: Path, copy: Path, out: Path) -> None:
    """What the reader reads in the copy is what it reads in the original, or no copy."""
    from ..errors import XlreportError
    from .reader import read_workbook

    a = read_workbook(source)
    try:
        b = read_workbook(copy)
    except XlreportError:  # its message would name the temporary file
        b = None
    if b is None or a.report != b.report or _reading(a.problems) != _reading(b.problems):
        raise OutputError(f"{shown_path(out)}：标注副本读出的内容与原文件不一致，未生成标注副本",
                          "请把原文件发给 xlreport 的维护者")


def _reading(problems: list[Problem]) -> list[tuple]:
    return [(p.code, p.severity, p.sheet, p.cell, p.cells, p.expected, p.actual, p.key) for p in problems]


# --- inputs that are not a workbook -------------------------------------------------------------


def write_regenerated(out, report: Report, problems: list[Problem], force: bool = False) -> Path:
    """A workbook written from the values of a JSON or published report: the template's layout,
    so the problems' places are its cells; marked there (by the writer) and listed."""
    from .writer import Mark, write_workbook

    marks = [Mark(sheet, cell, p.severity, p.message) for p in problems if not p.accepted for sheet, cell in _named_cells(p)]
    return write_workbook(out, report, force=force, marks=marks, extra_sheets=[(spec.SHEET_PROBLEMS, problem_rows(problems))])
