""".xlsx/.xlsm/.xls/.ods → the report as data (python-calamine), structure first, then values.

Only the spec's cells are read. Totals are never taken from the file: they are recomputed
from the inputs, and a cached total that disagrees is reported as a hint of odd editing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from .. import limits
from ..container import open_spreadsheet
from ..errors import InputError
from ..format import spec
from ..format import values as fvalues
from ..format.labels import norm_label
from ..model import Item, Report, Section, Text, clean_text, getter, split_paragraphs
from ..problems import Problem, cell_list, make, place_of, rule_problem
from ..shown import shown_line, shown_path
from .cells import Cell
from .numbers import _describe, canonical_decimal, parse_number  # noqa: F401 (canonical_decimal: the tests' factories)
from .sheets import READ_COLS, READ_ROWS, SHIFT_TOLERANCE, _WANTED_SHEETS, _Book, _load, _Sheet, _stamp, guarded


class StructureError(InputError):
    """The workbook's layout cannot be matched to the format; carries what moved."""

    def __init__(self, message: str, problems: list[Problem], hint: str = ""):
        super().__init__(message, hint)
        self.problems = problems


@dataclass
class ReadResult:
    """What reading a workbook gives: the report, the problems found on the way, the blank cells."""

    report: Report
    problems: list[Problem] = field(default_factory=list)
    blank_cells: list[spec.Field] = field(default_factory=list)
    kind: str = "xlsx"
    ours: bool = True
    merged: bool = False  # a merge's result (it has the 汇总明细 sheet)


# --- structure ------------------------------------------------------------------------------


def _labels_by_sheet() -> dict[str, list[spec.Label]]:
    out: dict[str, list[spec.Label]] = {}
    for label in spec.LABELS:
        out.setdefault(label.sheet, []).append(label)
    return out


_LABELS = _labels_by_sheet()


def _find_sheet(book: _Book, name: str, problems: list[Problem], taken: set[str]) -> str | None:
    """The sheet holding ``name``'s labels: itself, or a renamed copy (told as a warning)."""
    if name in book.sheet_names:
        return name
    title = next(l for l in _LABELS[name] if l.kind == "title").text
    others = [l for l in _LABELS[name] if l.kind != "title"][:6]
    for candidate in book.sheet_names:
        if candidate in _WANTED_SHEETS or candidate in taken:
            continue
        try:
            rows = guarded(lambda: book.wb.get_sheet_by_name(candidate).to_python(skip_empty_area=False, nrows=READ_ROWS))
        except Exception:
            continue
        texts = {norm_label(str(v)) for r in rows for v in r[:READ_COLS] if isinstance(v, str) and v}
        if norm_label(title) in texts or sum(norm_label(l.text) in texts for l in others) >= 4:
            problems.append(make("structure-sheet", f"工作表“{name}”被改名为“{candidate}”，已按内容找到并读取；建议改回原名",
                                 severity=spec.Severity.WARNING, sheet=candidate, expected=name, actual=candidate))
            return candidate
    return None


_IDENTITY: dict[int, int] = {}
_EXACT = {
    name: (tuple((l.row, l.col) for l in kept), [l.text for l in kept])
    for name, labels in _LABELS.items()
    for kept in [[l for l in labels if not (l.kind == "title" and l.row == 0)]]
}


def _labels_in_place(sheet: _Sheet, spec_sheet: str) -> bool:
    coords, texts = _EXACT[spec_sheet]
    rows = sheet.rows
    try:
        return [rows[r][c] for r, c in coords] == texts
    except IndexError:
        return False


def _row_shifts(sheet: _Sheet, spec_sheet: str) -> tuple[dict[int, int], set[int]]:
    """spec row -> actual row, found by the labels; and the spec rows that were deleted."""
    labels = [l for l in _LABELS[spec_sheet] if l.kind != "title"]
    by_row: dict[int, list[spec.Label]] = {}
    for label in labels:
        by_row.setdefault(label.row, []).append(label)
    mapping: dict[int, int] = {}
    last = -1
    for row in sorted(by_row):
        row_labels = by_row[row]
        if all(norm_label(sheet.text(row, l.col)) == norm_label(l.text) for l in row_labels):
            mapping[row] = row
            last = row
            continue
        # look for the row's labels elsewhere: after the previous matched row, nearest first
        found = None
        for delta in sorted(range(-SHIFT_TOLERANCE, SHIFT_TOLERANCE + 1), key=abs):
            cand = row + delta
            if cand <= last or cand < 0:
                continue
            if all(norm_label(sheet.text(cand, l.col)) == norm_label(l.text) for l in row_labels):
                found = cand
                break
        if found is not None:
            mapping[row] = found
            last = found
    # rows whose labels were not found keep the shift of the row above (a pasted-over label),
    # unless that lands on a row another label claims: then the row was deleted
    found_at = {actual: row for row, actual in mapping.items()}
    missing: set[int] = set()
    shift = 0
    for row in range(max(by_row) + 2):
        if row in mapping:
            shift = mapping[row] - row
        else:
            mapping[row] = row + shift
            if row in by_row and found_at.get(row + shift, row) != row:
                missing.add(row)
    return mapping, missing


def _check_labels(sheet: _Sheet, spec_sheet: str, mapping: dict[int, int], missing: set[int], problems: list[Problem], shown_sheet: str) -> int:
    bad = 0
    for row in sorted(missing):
        label = max((l for l in _LABELS[spec_sheet] if l.row == row), key=lambda l: l.col)
        bad += 1
        cell = spec.a1(mapping[row], label.col)
        problems.append(make(
            "structure-moved", f"找不到“{label.text}”这一行（可能被删除了），这一行的数字无法读取；请用 xlreport new 生成新模板或恢复这一行",
            severity=spec.Severity.ERROR, sheet=shown_sheet, cell=cell, expected=label.text, actual="（缺少这一行）",
        ))
    for label in _LABELS[spec_sheet]:
        if label.kind == "title" and label.row == 0:
            continue  # the sheet title is ours, not the format's
        if label.row in missing:
            continue
        r = mapping.get(label.row, label.row)
        found = sheet.text(r, label.col)
        if norm_label(found) != norm_label(label.text):
            bad += 1
            cell = spec.a1(r, label.col)
            problems.append(rule_problem(
                "structure-label", {"expected": label.text, "actual": found or "（空白）"},
                sheet=shown_sheet, cell=cell, expected=label.text, actual=found,
            ))
    return bad


# --- values -------------------------------------------------------------------------------

def _meta_text(raw) -> str | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, (datetime, date)):
        raw = raw.isoformat()
    return clean_text(str(raw)) or None


def _text_cell(path: Path, sheet: _Sheet, row: int, col: int):
    """A cell whose text goes into the report, refused when it is longer than an Excel cell holds
    (an .ods or a crafted .xlsx can hold more): the report written from it could not be a
    workbook again, and its JSON would be past what check reads."""
    raw = sheet.get(row, col)
    if isinstance(raw, str) and len(raw) > limits.CELL_CHARS.value:
        raise InputError(f"{shown_path(path)}：工作表“{shown_line(sheet.name)}”的单元格 {spec.a1(row, col)} 有{len(raw)}字，"
                         f"超过 Excel 单元格能容纳的{limits.CELL_CHARS.value}字，未读取",
                         "请在 WPS/Excel 中把这段文字分到几个单元格（正文可用备用小节）后再试")
    return raw


def _prose(raw) -> str:
    if raw is None or raw == "":
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw)


# --- the read ------------------------------------------------------------------------------


def read_workbook(path, strict: bool = False, with_text: bool = True) -> ReadResult:
    """Read a filled workbook into a report; problems found while reading come with it.

    ``with_text=False`` skips the prose (checking numbers in a batch does not need it).
    """
    path = Path(path)
    opened = open_spreadsheet(path)
    book, stamp = _load(opened, with_text)
    problems: list[Problem] = []
    stamp = stamp or _stamp(book.wb)
    ours = stamp.get("template_id") == spec.TEMPLATE_ID
    if not ours:
        _refuse_old_format(path, book.wb)
        if not any(s in book.sheet_names for s in spec.DATA_SHEETS):
            from .foreign import read_foreign

            report, problems, blanks = read_foreign(path, book.wb, opened.kind)
            return ReadResult(report, problems, blanks, opened.kind, ours=False)
    problems += _identity_problems(path, stamp, ours)
    layout = _layout(path, book, with_text, problems)
    report = Report()
    blanks = _read_values(layout, report, problems)
    _hidden_by_merges(layout, problems)
    values = report.values
    all_computed = report.all_computed()
    values.update(zip(_TOTAL_PATHS, _TOTALS_OF(all_computed)))  # totals: recomputed, never read
    if not _cached_totals_agree(layout.sheets, layout.mappings, all_computed):
        _compare_cached_totals(layout.sheets, layout.mappings, all_computed, problems)
    _read_meta(path, layout, report, problems)
    if with_text:
        report.text = _read_text(path, layout.sheets[spec.SHEET_TEXT], layout.mappings[spec.SHEET_TEXT])
    problems += _blank_problems(layout, blanks, strict)
    return ReadResult(report, problems, blanks, opened.kind, ours, spec.SHEET_MERGED in book.sheet_names)


def _identity_problems(path: Path, stamp: dict, ours: bool) -> list[Problem]:
    if ours and stamp.get("spec_hash") == spec.SPEC_HASH:
        return []
    if not ours:
        return [make("structure-foreign", "不是 xlreport 生成的工作簿（缺少模板标识），已按表格标签读取；建议用 xlreport new 生成的模板填写",
                     actual="缺少模板标识")]
    if stamp.get("format_version") != spec.FORMAT_VERSION:
        raise InputError(f"{path}：模板格式版本为“{stamp.get('format_version')}”，本程序只支持{spec.FORMAT_VERSION}年版格式")
    return [make("structure-foreign", "工作簿由另一版本的 xlreport 生成，已按表格标签核对后读取", severity=spec.Severity.WARNING)]


@dataclass
class _Layout:
    """Where each sheet of the format is in this workbook: its grid, the row each spec row
    moved to (empty when none moved), the rows deleted."""

    sheets: dict[str, _Sheet] = field(default_factory=dict)
    mappings: dict[str, dict[int, int]] = field(default_factory=dict)
    deleted: dict[str, set[int]] = field(default_factory=dict)

    def cell(self, f) -> tuple[int, str] | None:
        """(row, A1 address) where field ``f`` is, or None when its row was deleted."""
        mapping = self.mappings[f.sheet]
        if not mapping:
            return f.row, f.cell
        if f.row in self.deleted[f.sheet]:
            return None
        row = mapping.get(f.row, f.row)
        return row, spec.a1(row, f.col)


def _layout(path: Path, book: _Book, with_text: bool, problems: list[Problem]) -> _Layout:
    """Every sheet of the format found (by name, or by content when renamed) and its labels
    checked; rows found by their labels where rows were inserted or deleted."""
    layout = _Layout()
    missing = []
    taken: set[str] = set()
    for name in spec.DATA_SHEETS:
        if name == spec.SHEET_TEXT and not with_text:
            continue
        actual = _find_sheet(book, name, problems, taken)
        if actual is None:
            missing.append(name)
            continue
        taken.add(actual)
        sheet = book.grid(actual)
        if _labels_in_place(sheet, name):
            layout.sheets[name], layout.mappings[name], layout.deleted[name] = sheet, _IDENTITY, set()
            continue
        mapping, missing_rows = _row_shifts(sheet, name)
        _check_structure(path, sheet, name, actual, mapping, missing_rows, problems)
        layout.sheets[name], layout.mappings[name], layout.deleted[name] = sheet, mapping, missing_rows
    if missing:
        sheet_problems = [make("structure-sheet", f"缺少工作表“{n}”", sheet=n, expected=n) for n in missing]
        raise StructureError(
            f"{path}：缺少工作表" + "、".join(f"“{n}”" for n in missing) + "（被删除或改名后无法按内容找到），无法读取",
            sheet_problems + problems,
            "请改回原名，或用 xlreport new 生成新模板重新填写",
        )
    return layout


def _check_structure(path: Path, sheet: _Sheet, name: str, actual: str, mapping, missing_rows, problems) -> None:
    """Labels that differ, and rows that moved; refused when too little of the table is left."""
    bad = _check_labels(sheet, name, mapping, missing_rows, problems, actual)
    labels = [l for l in _LABELS[name] if not (l.kind == "title" and l.row == 0)]
    if bad > max(3, len(labels) // 2):
        raise StructureError(
            f"{path}：工作表“{actual}”的表格结构与{spec.FORMAT_NAME}格式对不上（{bad}个标签不符），无法读取",
            [p for p in problems if p.sheet == actual],
            "请用 xlreport new 生成新模板，把数字复制到浅黄色单元格中",
        )
    if any(m != r for r, m in mapping.items()):
        first = next(r for r in sorted(mapping) if mapping[r] != r)
        label = max((l for l in _LABELS[name] if l.row == first), key=lambda l: l.col, default=None)
        what = f"“{label.text}”" if label else f"第{first + 1}行"
        problems.append(make(
            "structure-moved",
            f"{what}应在第{first + 1}行，实际在第{mapping[first] + 1}行（插入或删除了行）；已按标签读取，建议改回模板原样",
            sheet=actual, cell=spec.a1(mapping[first], label.col if label else 0), expected=f"第{first + 1}行", actual=f"第{mapping[first] + 1}行",
        ))


def _read_values(layout: _Layout, report: Report, problems: list[Problem]) -> list[spec.Field]:
    """Every input field by the value policy (format/values.py); the blank ones are returned."""
    blanks: list[spec.Field] = []
    values = report.values
    done = _plain_counts(layout.sheets, layout.mappings, values)
    for f in _left_after(done):
        place = layout.cell(f)
        if place is None:
            continue  # a deleted row's numbers are not there to read
        row, cell = place
        sheet = layout.sheets[f.sheet]
        raw = sheet.get(row, f.col)
        info = sheet.cells.get(cell) if sheet.cells else None
        if info is None and type(raw) is float and 0 <= raw < limits.MAX_COUNT and f.unit is spec.Unit.COUNT and raw.is_integer():
            values[f.path] = int(raw)  # the common case, kept fast for batches
            continue
        found = classify(raw, info)
        refused = fvalues.reason(found, f.unit)
        if refused is not None:
            problems.append(_refusal(f, found, refused, sheet.name, cell))
            if found.summed:
                report.raw_numbers[f.path] = _exact(found.summed)
            continue
        if found.kind == fvalues.BLANK:
            blanks.append(f)
            values[f.path] = None
        else:
            values[f.path] = int(found.value) if f.unit is spec.Unit.COUNT else canonical_decimal(Decimal(repr(float(found.value))))
    return blanks


def _hidden_by_merges(layout: _Layout, problems: list[Problem]) -> None:
    """An input cell that a merged range covers without being its first cell: what it holds is
    not shown (LibreOffice keeps it when asked to), yet the sheet's sums count it, as does check.
    The template's own merges, where no rows moved, cover none (a batch meets only those)."""
    for name, sheet in layout.sheets.items():
        moved = bool(layout.mappings[name])
        merges = [m for m in sheet.merges if moved or m not in _TEMPLATE_MERGES.get(name, ())]
        if not merges:
            continue
        inputs = {}
        for f in _INPUTS_BY_SHEET.get(name, ()):
            place = layout.cell(f)
            if place is not None:
                inputs[(place[0], f.col)] = (f, place[1])
        for r1, c1, r2, c2 in merges:
            for row, col in sorted(rc for rc in inputs if r1 <= rc[0] <= r2 and c1 <= rc[1] <= c2):
                if (row, col) == (r1, c1) or sheet.get(row, col) is None:
                    continue
                f, cell = inputs.pop((row, col))
                merged = spec.a1_range(r1, c1, r2, c2)
                problems.append(rule_problem(
                    "value-merged", {"merged": merged, "value": fvalues.shown(sheet.get(row, col))},
                    expected="不与其他单元格合并", actual=f"合并在{merged}中", **{**place_of(f), "sheet": sheet.name, "cell": cell}))


def _inputs_by_sheet() -> dict[str, list]:
    out: dict[str, list] = {}
    for f in (*spec.INPUT_FIELDS, *spec.META_FIELDS):
        out.setdefault(f.sheet, []).append(f)
    return out


def _template_merges() -> dict[str, set]:
    """What the writer merges: labels over several cells, fields over several columns."""
    out: dict[str, set] = {}
    for label in spec.LABELS:
        if label.merged:
            out.setdefault(label.sheet, set()).add((label.row, label.col, label.r2, label.c2))
    for f in spec.FIELDS:
        if f.last_col is not None:
            out.setdefault(f.sheet, set()).add((f.row, f.col, f.row, f.last_col))
    return out


_INPUTS_BY_SHEET = _inputs_by_sheet()
_TEMPLATE_MERGES = _template_merges()


def _refusal(f, found: fvalues.Cell, refused: tuple[str, str], sheet: str, cell: str) -> Problem:
    key, reason = refused
    where = {"sheet": sheet, "cell": cell, "row_label": f.row_label, "col_label": f.col_label, "key": f.key, "expected": _expected(f.unit)}
    if key == "formula":
        return rule_problem("value-formula", {"formula": found.formula}, actual="=" + found.formula, **where)
    return rule_problem("value-type", {"reason": reason}, actual=fvalues.shown(found.value), **where)


def _exact(number):
    return canonical_decimal(Decimal(repr(float(number)))) if not isinstance(number, int) else number


_EPOCH = datetime(1899, 12, 30)


def classify(raw, info: Cell | None) -> fvalues.Cell:
    """A cell as the value policy sees it: its kind, value, and formula (from the sheet XML)."""
    if info is not None and info.formula is not None:
        cached = raw if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None
        return fvalues.Cell(fvalues.FORMULA, cached, info.formula)
    if info is not None and info.error is not None:
        return fvalues.Cell(fvalues.ERROR, info.error)
    if raw is None or raw == "":
        return fvalues.Cell(fvalues.BLANK)
    if isinstance(raw, bool):
        return fvalues.Cell(fvalues.BOOLEAN, raw)
    if isinstance(raw, (int, float)):
        return fvalues.Cell(fvalues.NUMBER, raw)
    if isinstance(raw, (datetime, date, time, timedelta)):
        return fvalues.Cell(fvalues.DATE, _date_serial(raw), shown_as=_describe(raw))
    text = str(raw)
    if not text.strip():
        return fvalues.Cell(fvalues.BLANK)
    if text.strip().upper() in fvalues.ERROR_TEXTS:
        return fvalues.Cell(fvalues.ERROR, text.strip().upper())
    return fvalues.Cell(fvalues.TEXT, text)


def _date_serial(raw) -> float:
    """The number a spreadsheet keeps behind a date or time (days since 1899-12-30)."""
    if isinstance(raw, timedelta):
        return raw.total_seconds() / 86400
    if isinstance(raw, time):
        return (raw.hour * 3600 + raw.minute * 60 + raw.second) / 86400
    if not isinstance(raw, datetime):
        raw = datetime(raw.year, raw.month, raw.day)
    return (raw - _EPOCH).total_seconds() / 86400


def _read_meta(path: Path, layout: _Layout, report: Report, problems: list[Problem]) -> None:
    meta_sheet = layout.sheets[spec.SHEET_META]
    mm = layout.mappings[spec.SHEET_META]
    for m in spec.META_FIELDS:
        raw = _text_cell(path, meta_sheet, mm.get(m.row, m.row), m.col)
        if m.kind == "year":
            report.meta[m.key] = _read_year(raw, m, meta_sheet.name, mm, problems)
        else:
            report.meta[m.key] = _meta_text(raw)


def _blank_problems(layout: _Layout, blanks: list[spec.Field], strict: bool) -> list[Problem]:
    if not blanks:
        return []
    if not strict:
        ordered = sorted(blanks, key=lambda f: (spec.DATA_SHEETS.index(f.sheet), f.row, f.col))  # as the clerk reads the workbook
        places = [(layout.sheets[f.sheet].name, layout.cell(f)[1]) for f in ordered]
        cells = tuple(f"{sheet}!{cell}" for sheet, cell in places)
        return [rule_problem("value-blank", {"count": len(blanks), "cells": cell_list(places)}, actual=f"{len(blanks)}个空白", cells=cells)]
    out = []
    for f in blanks:
        out.append(make("value-blank", "未填写（--strict 要求每个数字单元格都填写，没有就填0）",
                        severity=spec.Severity.ERROR, sheet=layout.sheets[f.sheet].name, cell=layout.cell(f)[1],
                        row_label=f.row_label, col_label=f.col_label, key=f.key, expected=_expected(f.unit), actual="空白"))
    return out


def _by_sheet(fields) -> dict[str, tuple[tuple, tuple, frozenset]]:
    out: dict[str, list[spec.Field]] = {}
    for f in fields:
        out.setdefault(f.sheet, []).append(f)
    return {sheet: (tuple(f.path for f in fs), tuple((f.row, f.col) for f in fs), frozenset(f.cell for f in fs)) for sheet, fs in out.items()}


_COUNT_INPUTS = _by_sheet(f for f in spec.INPUT_FIELDS if f.unit is spec.Unit.COUNT)
_TOTAL_PATHS = tuple(f.path for f in spec.TOTAL_FIELDS)
_TOTALS_OF = getter(_TOTAL_PATHS)
_TOTALS = _by_sheet(spec.TOTAL_FIELDS)


def _grid_values(sheet: _Sheet, coords) -> list | None:
    rows = sheet.rows
    try:
        return [rows[r][c] for r, c in coords]
    except IndexError:
        return None


def _plain_counts(sheets: dict[str, _Sheet], mappings, values: dict) -> set[str]:
    """The sheets whose count cells all hold plain whole numbers, read in one go: the common
    case, and the one a batch of ten thousand workbooks must not spend its time on."""
    done = set()
    for name, (paths, coords, refs) in _COUNT_INPUTS.items():
        sheet = sheets[name]
        if mappings[name] or not refs.isdisjoint(sheet.cells):
            continue  # moved rows, or a formula in an input cell: the careful loop
        raws = _grid_values(sheet, coords)
        if raws is None or set(map(type, raws)) != {float}:
            continue
        try:
            ints = list(map(int, raws))
        except (ValueError, OverflowError):  # nan, inf
            continue
        if ints != raws or min(ints) < 0 or max(ints) >= limits.MAX_COUNT:
            continue
        values.update(zip(paths, ints))
        done.add(name)
    return done


_LEFT_AFTER: dict[frozenset, tuple] = {}


def _left_after(done: set[str]) -> tuple[spec.Field, ...]:
    """The input fields _plain_counts did not read (a few combinations; remembered)."""
    key = frozenset(done)
    left = _LEFT_AFTER.get(key)
    if left is None:
        left = _LEFT_AFTER[key] = tuple(f for f in spec.INPUT_FIELDS if f.unit is not spec.Unit.COUNT or f.sheet not in key)
    return left


def _cached_totals_agree(sheets: dict[str, _Sheet], mappings, computed: dict) -> bool:
    for name, (paths, coords, _) in _TOTALS.items():
        if mappings[name]:
            return False
        raws = _grid_values(sheets[name], coords)
        if raws is None or raws != [computed[p] for p in paths]:
            return False
    return True


def _compare_cached_totals(sheets: dict[str, _Sheet], mappings, computed: dict, problems: list[Problem]) -> None:
    for f in spec.TOTAL_FIELDS:
        total = computed[f.path]
        sheet = sheets[f.sheet]
        row = mappings[f.sheet].get(f.row, f.row)
        raw = sheet.get(row, f.col)
        if raw is None or raw == total:
            continue
        cached, _, err = parse_number(raw, f.unit)
        if err is None and cached is not None and cached != total:
            problems.append(rule_problem("total-cached-mismatch", {"cached": cached, "computed": total},
                                 sheet=sheet.name, cell=spec.a1(row, f.col), row_label=f.row_label, col_label=f.col_label, key=f.key,
                                 expected=str(total), actual=str(cached)))


def _expected(unit: spec.Unit) -> str:
    return "0或正整数" if unit is spec.Unit.COUNT else f"0或正数（{spec.UNIT_NAMES[unit]}）"


def _read_year(raw, m: spec.MetaField, shown: str, mapping, problems) -> int | None:
    """The year as a number (as the sheet's own check reads it: text is not a year)."""
    cell = spec.a1(mapping.get(m.row, m.row), m.col)
    if raw is None or raw == "" or (isinstance(raw, str) and not raw.strip()):
        return None
    year = int(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) and float(raw).is_integer() else None
    if year is None or not spec.YEAR_MIN <= year <= spec.YEAR_MAX:
        problems.append(rule_problem("meta-year", {"actual": _describe(raw), "min": spec.YEAR_MIN, "max": spec.YEAR_MAX},
                             sheet=shown, cell=cell, row_label=m.label, key=m.json_path, expected=f"{spec.YEAR_MIN}—{spec.YEAR_MAX}", actual=_describe(raw)))
        return None
    return year


def _read_text(path: Path, sheet: _Sheet, mapping) -> Text:
    text = Text()
    sections = {"overview": Section(), "problems": Section(), "other": Section()}
    for slot in spec.TEXT_SLOTS:
        row = mapping.get(slot.row, slot.row) if mapping else slot.row
        raw_heading = _text_cell(path, sheet, row, spec.TEXT_HEADING_COL) if slot.has_heading else None
        heading = clean_text(_prose(raw_heading)) if raw_heading is not None else ""
        raw_body = _text_cell(path, sheet, row, spec.TEXT_BODY_COL)
        paragraphs = split_paragraphs(_prose(raw_body)) if raw_body is not None else []
        if slot.kind == "single":
            if slot.section == "preamble":
                text.preamble = paragraphs
            else:
                text.closing = paragraphs
        elif slot.kind == "intro":
            sections[slot.section].intro = paragraphs
        elif slot.kind == "fee_note":
            text.fee_note = Item(heading or spec.FEE_NOTE_HEADING, paragraphs)
        elif paragraphs:
            sections[slot.section].items.append(Item(heading, paragraphs))
    text.overview, text.problems, text.other = sections["overview"], sections["problems"], sections["other"]
    return text


def _refuse_old_format(path: Path, wb) -> None:
    """A 2019-trial-format workbook is told apart by labels only it has."""
    from ..format.locate import old_format_mark

    for name in wb.sheet_names[:20]:
        try:
            rows = guarded(lambda: wb.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=READ_ROWS))
        except Exception:
            continue
        for r in rows:
            for v in r[:READ_COLS]:
                mark = old_format_mark(v) if isinstance(v, str) and v else None
                if mark:
                    raise InputError(
                        f"{path}：这是2019年试行格式（{spec.OLD_FORMAT_NAME}）的年度报告表格（工作表“{name}”中有“{mark}”），"
                        f"xlreport 只支持{spec.FORMAT_NAME}规定的2021年版格式",
                        "请用 xlreport new 生成新模板，按新格式重新填写",
                    )
