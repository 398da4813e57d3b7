"""The workbook's live checks, made from the declarations the checker runs.

- totals: each total cell sums its parts as format/relations counts them (a number as it
  stands, anything else as 0), so text never turns a total into #VALUE!;
- input cells: the value policy (format/values.py) gives each cell's reason as a formula; the
  cell turns red when it has one, a hidden sheet (spec.SHEET_CELLCHECK) holds the reasons, and
  校验 counts them per sheet and reason; data validation refuses the same while typing;
- relations (format/rules.INSTANCES): one 校验 row each, with the relation's own formula, and
  the cells it involves coloured while it does not hold;
- meta checks: one 校验 row each.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..format import spec, values
from ..format.relations import Compare, Sum, shown
from ..format.rules import INSTANCES, META_CHECKS, RULE_BY_CODE, Instance
from ..model import Report, relation_numbers

# reasons (their short forms, as 校验 names them) per unit, in the policy's order
REASONS = {unit: tuple(c.sheet_short for c in values.checks(unit)) for unit in spec.Unit}
SHORTS = tuple(dict.fromkeys(s for shorts in REASONS.values() for s in shorts))
BLOCK_COLS = 20  # the hidden sheet keeps each data sheet's reasons in a block of columns


def quote_sheet(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def absolute(cell: str) -> str:
    col = "".join(ch for ch in cell if ch.isalpha())
    return f"${col}${cell[len(col):]}"


def ref(f, same_sheet: str | None = None) -> str:
    """A field's cell, absolute, qualified by its sheet unless it is on ``same_sheet``."""
    cell = absolute(f.cell)
    return cell if f.sheet == same_sheet else f"{quote_sheet(f.sheet)}!{cell}"


def field_ref(same_sheet: str | None = None):
    return lambda path: ref(spec.FIELD_BY_PATH[path], same_sheet)


def total_formula(f: spec.Field) -> str:
    """The formula of a total cell: its parts summed as the checker counts them."""
    return "=" + Sum(f.total_of).formula(field_ref(f.sheet))


# --- input cells -----------------------------------------------------------------------------------

_INPUT_SHEETS = tuple(dict.fromkeys(f.sheet for f in spec.INPUT_FIELDS))


def helper_cell(f: spec.Field) -> tuple[int, int]:
    """Where the hidden sheet keeps the reason formula of input field ``f``."""
    return f.row, _INPUT_SHEETS.index(f.sheet) * BLOCK_COLS + f.col


def _stored(formula: str) -> str:
    """A formula as the file stores it: functions newer than Excel 2007 carry the _xlfn. prefix
    (xlsxwriter's use_future_functions would add it, at 150 regex passes over every formula)."""
    return formula.replace("ISFORMULA(", "_xlfn.ISFORMULA(")


def reason_formula(f: spec.Field) -> str:
    return _stored("=" + values.sheet_reason(ref(f), f.unit))


def bad_input_condition(f: spec.Field) -> str:
    """The conditional format's formula for input field ``f``: it has a reason. Relative, so
    that one rule over a block of cells (input_blocks) judges each cell by itself."""
    return _stored("=" + values.sheet_reason(f.cell, f.unit) + '<>""')


@dataclass(frozen=True)
class Block:
    """A rectangle of input cells of one sheet and unit: one data validation and one conditional
    format cover it (one rule per cell made 表三's sheet XML eight times its cells' size, and
    every reader unpacks it)."""

    sheet: str
    unit: spec.Unit
    first: spec.Field  # the top-left cell, the one the block's relative formula names
    rows: tuple[int, int]
    cols: tuple[int, int]

    @property
    def range(self) -> tuple[int, int, int, int]:
        return self.rows[0], self.cols[0], self.rows[1], self.cols[1]


def input_blocks() -> list[Block]:
    """The input cells as rectangles: runs of adjacent cells in a row, stacked where the rows
    below have the same run. A merged input (one value over several columns) is a block of its
    own."""
    runs: dict[tuple, list[spec.Field]] = {}  # (sheet, unit, row) -> fields left to right
    alone = []
    for f in spec.INPUT_FIELDS:
        if f.last_col is not None:
            alone.append(f)
        else:
            runs.setdefault((f.sheet, f.unit, f.row), []).append(f)
    pieces = []  # (sheet, unit, row, first col, last col, first field)
    for (sheet, unit, row), fields in runs.items():
        fields.sort(key=lambda f: f.col)
        start = fields[0]
        for before, f in zip(fields, fields[1:] + [None]):
            if f is None or f.col != before.col + 1:
                pieces.append((sheet, unit, row, start.col, before.col, start))
                start = f
    pieces.sort(key=lambda p: (p[0], p[1].value, p[3], p[4], p[2]))
    blocks: list[Block] = []
    for sheet, unit, row, c1, c2, first in pieces:
        last = blocks[-1] if blocks else None
        if last and (last.sheet, last.unit, last.cols) == (sheet, unit, (c1, c2)) and last.rows[1] + 1 == row:
            blocks[-1] = Block(sheet, unit, last.first, (last.rows[0], row), (c1, c2))
        else:
            blocks.append(Block(sheet, unit, first, (row, row), (c1, c2)))
    blocks += [Block(f.sheet, f.unit, f, (f.row, f.row), (f.col, f.col)) for f in alone]
    return blocks


def validation(unit: spec.Unit) -> dict:
    """Data validation while typing (bypassed by paste: the red cell and 校验 still tell)."""
    top = values.limits.MAX_COUNT if unit is spec.Unit.COUNT else values.limits.MAX_AMOUNT
    if unit is spec.Unit.COUNT:
        return {"validate": "integer", "criteria": "between", "minimum": 0, "maximum": top - 1,
                "input_title": "填写件数", "input_message": "只填0或正整数；没有就填0，不要写“件”“无”“/”",
                "error_title": "件数无效", "error_message": "件数应为0或正整数（不能有小数、负数、文字或公式）"}
    name = spec.UNIT_NAMES[unit]
    return {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": top,
            "input_title": f"填写金额（{name}）", "input_message": f"单位：{name}，可有小数；没有就填0",
            "error_title": "金额无效", "error_message": f"金额应为0或正数，单位{name}（不能有文字或公式）"}


# --- the rows of 校验 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckRow:
    """One row of the 校验 sheet: the rule, its two sides as formulas, the test and its value."""

    rule: str
    place: str
    left: str  # formulas
    right: str
    test: str  # the condition, with {left} and {right} for the cells of 左边 and 右边
    note: str
    left_value: object
    right_value: object
    passed: bool

    @property
    def title(self) -> str:
        return RULE_BY_CODE[self.rule].title


def _short(path) -> str:
    f = spec.FIELD_BY_PATH[path]
    if f.table == "requests":
        return f"{spec.REQUEST_SHORT[path[1]]}·{f.col_label}"
    return f.where


def _side_note(side: Sum) -> str:
    return " + ".join(_short(p) for p in side.plus) + "".join(" − " + _short(p) for p in side.minus) or shown(side.constant)


def _number(value):
    return float(value) if not isinstance(value, (int, float)) else value


def instance_row(i: Instance, number) -> CheckRow:
    anchor = spec.FIELD_BY_PATH[i.anchor]
    left, right = i.sides
    label = f"（{i.label}）" if i.label else ""
    test = i.relation.formula(field_ref()) if not isinstance(i.relation, Compare) else (
        "{left}" + {"==": "=", "<=": "<=", ">": ">"}[i.relation.op] + "{right}")
    return CheckRow(
        i.rule, f"{anchor.sheet}!{anchor.cell}{label}", "=" + left.formula(field_ref()), "=" + right.formula(field_ref()),
        test, f"左边：{_side_note(left)}；右边：{_side_note(right)}",
        _number(left.value(number)), _number(right.value(number)), i.relation.holds(number),
    )


def meta_rows(report: Report) -> list[CheckRow]:
    rows = []
    for c in META_CHECKS:
        m = c.field
        cell = f"{quote_sheet(m.sheet)}!{absolute(m.cell)}"
        value = report.meta.get(m.key)
        note = f"{m.label}应填写" if c.kind == "required" else f"{m.label}应为{spec.YEAR_MIN}—{spec.YEAR_MAX}之间的四位数年份"
        rows.append(CheckRow(c.rule, f"{m.sheet}!{m.cell}（{m.label}）", f"={cell}", '=""', c.formula("{left}"), note,
                             "" if value is None else value, "", c.holds(value)))
    return rows


def value_rows() -> list[CheckRow]:
    """Per data sheet: how many input cells hold what the policy refuses, and which reasons."""
    rows = []
    for k, sheet in enumerate(_INPUT_SHEETS):
        fields = [f for f in spec.INPUT_FIELDS if f.sheet == sheet]
        r1, r2 = min(f.row for f in fields), max(f.row for f in fields)
        c1, c2 = min(f.col for f in fields) + k * BLOCK_COLS, max(f.col for f in fields) + k * BLOCK_COLS
        area = f"{quote_sheet(spec.SHEET_CELLCHECK)}!{absolute(spec.a1(r1, c1))}:{absolute(spec.a1(r2, c2))}"
        count = f"=SUMPRODUCT(--(LEN({area})>0))"
        shorts = tuple(dict.fromkeys(s for f in fields for s in REASONS[f.unit]))
        note = "=" + "&".join(f'IF(COUNTIF({area},"{s}")>0,"{s}"&COUNTIF({area},"{s}")&"个（红色单元格）；","")'
                              for s in shorts) + '&""'
        rows.append(CheckRow("value-type", f"{sheet}（全部填写单元格）", count, "=0", "{left}={right}", note, 0, 0, True))
    return rows


def check_rows(report: Report | None) -> list[CheckRow]:
    """Every row of 校验: the relations, the meta checks, the input cells."""
    report = report or Report()
    number = relation_numbers(report).__getitem__
    return [instance_row(i, number) for i in INSTANCES] + meta_rows(report) + value_rows()


def relation_formats() -> list[tuple[str, list[str], str, bool]]:
    """(sheet, cells, condition, is_error) per relation and sheet: the cells it involves,
    coloured while it fails (one rule over several ranges: the formula's references are absolute).
    The cells of the rule's own sheet are named without the sheet: 1,008 sheet names made a
    third of 表三's XML, which every check inflates, CRC-checks and scans."""
    out = []
    for i in INSTANCES:
        error = RULE_BY_CODE[i.rule].severity is spec.Severity.ERROR
        by_sheet: dict[str, list[str]] = {}
        for path in dict.fromkeys(i.paths):
            f = spec.FIELD_BY_PATH[path]
            by_sheet.setdefault(f.sheet, []).append(f.cell)
        out += [(sheet, cells, f"=NOT({i.relation.formula(field_ref(sheet))})", error) for sheet, cells in by_sheet.items()]
    return out
