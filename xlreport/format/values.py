"""What a clerk may type into an input cell, declared once for the reader and for the sheet.

A cell is read as one of a few kinds (blank, number, text, boolean, error value, formula, a number
shown as a date). A count takes a whole number from 0 below MAX_COUNT, an amount (万元 or 元) a
number from 0 below MAX_AMOUNT; everything else is refused with a reason. The same list of
checks, in the same order, makes:

- ``reason(cell)``: what the reader reports for a cell (None when the value is accepted);
- ``sheet_reason(ref)``: a formula giving the same reason as text in the workbook ("" when it is
  accepted), from which the conditional format that turns the cell red and the counts on 校验
  are made.

Nothing typed is normalised: text that looks like a number ("12", "１２", " 12 ", "12件") is text,
refused in both, because a sheet formula reads it as text too. A cell holding only spaces counts
as blank in both. In a sum (the 勾稽 relations) a cell counts as its number when it holds a
number, refused or not (2.5, -5, a date's serial number) while it is below the limit in size, and as 0
otherwise, in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .. import limits

# what a cell shows when its formula failed (text a reader may hand over for an error value)
ERROR_TEXTS = frozenset({"#REF!", "#VALUE!", "#DIV/0!", "#N/A", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA"})

# a number this big or bigger (or not a number: NaN) is 0 in a sum, in the sheet's formulas too
SUMMED_BELOW = max(limits.MAX_COUNT, limits.MAX_AMOUNT)

# the kinds a reader tells apart
BLANK, NUMBER, TEXT, BOOLEAN, ERROR, FORMULA, DATE = "blank", "number", "text", "boolean", "error", "formula", "date"


@dataclass(frozen=True)
class Cell:
    """What a reader found in a cell: its kind, the value (a float, str, bool, or the error's
    text), the formula text where it holds one, and the number behind a date."""

    kind: str
    value: object = None
    formula: str | None = None
    shown_as: str | None = None  # how a date shows (2024-01-02), where the value is its serial number

    @property
    def number(self):
        """What the cell counts as in a sum: its number (a formula's result, a date's serial
        number), or 0."""
        if self.kind in (NUMBER, DATE, FORMULA) and isinstance(self.value, (int, float, Decimal)) and not isinstance(self.value, bool):
            return self.value
        return 0

    @property
    def summed(self):
        """What the cell adds to a 勾稽 sum: its number while it is below SUMMED_BELOW in size, else
        0 (infinity, NaN, 1e300: refused anyway; a total of them could not be written as JSON)."""
        number = self.number
        return number if abs(number) < SUMMED_BELOW else 0


@dataclass(frozen=True)
class Check:
    """One reason a cell is refused: the Chinese reason (with {value} for the value shown), the
    reader's test on a Cell, and the sheet's test on a cell reference (evaluated only when the
    checks before it passed)."""

    key: str
    reason: str
    sheet_short: str  # the reason as 校验 names its count
    test: object  # Cell -> bool
    formula: str  # with {c} for the cell reference
    refuses: str = ""  # what is refused, as 填表说明 and docs/values.md tell the clerk


def _is_count(unit) -> bool:
    return unit.value == "count"


def checks(unit) -> tuple[Check, ...]:
    """The checks for a field of ``unit``, in order (format/spec.Unit)."""
    whole = _is_count(unit)
    top = limits.MAX_COUNT if whole else limits.MAX_AMOUNT
    what = "件数" if whole else "金额"
    out = [
        Check("formula", "填写单元格中是公式“={formula}”，应直接填写数字", "填了公式", lambda c: c.kind == FORMULA, "ISFORMULA({c})",
              "公式（包括“=1+2”这样的算式和引用别的单元格）：填写单元格只能直接填数字，.xlsx、.ods、.xls 都一样"),
        Check("error", "单元格显示错误值“{value}”", "显示错误值", lambda c: c.kind == ERROR, "ISERROR({c})", "显示错误值的单元格（如 #VALUE!、#DIV/0!）"),
        Check("text", "“{value}”是文字，不是数字；请直接填写数字", "填成文字",
              lambda c: c.kind == TEXT, "ISTEXT({c})",
              "文字，包括看起来像数字的文字：文本格式的“12”、以撇号开头的'12、全角“１２”、带空格的“ 12 ”、“12件”、“无”、“/”、“—”"
              "（表格的公式也把它们当作文字，所以两边都不会按数字计算）"),
        Check("boolean", "“{value}”是逻辑值，不是数字", "填成逻辑值", lambda c: c.kind == BOOLEAN, "ISLOGICAL({c})", "逻辑值 TRUE/FALSE"),
        Check("date", "这一格是日期（{value}），不是数字", "填成日期", lambda c: c.kind == DATE, 'LEFT(CELL("format",{c}),1)="D"',
              "日期（单元格格式为日期时，数字会显示成日期；LibreOffice 的公式看不出日期，这一项在 LibreOffice 中不变红，xlreport check 照样报错）"),
        Check("negative", "不能为负数（{value}）", "填了负数", lambda c: c.number < 0, "{c}<0", "负数"),
    ]
    # not <: NaN and infinity are too big as well (an .ods may hold them)
    out.append(Check("too-big", f"{{value}}超过上限（{what}应小于{top}）", "超过上限", lambda c: not c.number < top, f"{{c}}>={top:.0E}",
                     f"大于等于{top}的数"))
    if whole:
        out.append(Check("decimal", "件数应为整数，实际为{value}", "填了小数",
                         lambda c: not float(c.number).is_integer(), "{c}<>INT({c})", "小数"))
    return tuple(out)


def reason(cell: Cell, unit) -> tuple[str, str] | None:
    """(check key, the reason in Chinese) when ``cell`` cannot be a value of ``unit``."""
    if cell.kind == BLANK:
        return None
    for check in checks(unit):
        if check.test(cell):
            return check.key, check.reason.format(value=cell.shown_as or shown(cell.value), formula=cell.formula or "")
    return None


def sheet_reason(ref: str, unit) -> str:
    """A formula whose value is the short reason (as 校验 counts it) or "" when ``ref`` holds an
    accepted value. Nested IFs, so that a test is evaluated only where the ones before passed
    (INT of a text is an error, and an error in OR makes the whole condition an error)."""
    text = '""'
    for check in reversed(checks(unit)):
        short = f'"{check.sheet_short}"'
        if check.key == "text":  # a cell of spaces only is blank, in both
            short = f'IF(LEN(TRIM({ref}))=0,"",{short})'
        text = f"IF({check.formula.format(c=ref)},{short},{text})"
    return f'IF(ISBLANK({ref}),"",{text})'


def shown(value) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value, "f") if abs(value.adjusted()) < 40 else format(value, "e")
    text = str(value)
    return text if len(text) <= 40 else f"{text[:20]}…（共{len(text)}个字符）"


def policy_lines(count_unit, amount_units: dict) -> list[str]:
    """The policy in words, for 填表说明 and docs/values.md, from the same checks
    (``amount_units``: the amount units and their Chinese names)."""
    names = "、".join(amount_units.values())
    count, amount = checks(count_unit), checks(next(iter(amount_units)))
    refused = [c for c in count] + [c for c in amount if c.key not in {k.key for k in count}]
    lines = [
        f"件数单元格只接受0或正整数（小于{limits.MAX_COUNT}）；金额单元格（单位{names}，见各单元格的标签）只接受0或正数，"
        f"可以有小数（小于{limits.MAX_AMOUNT}）。没有发生的填0。",
        "以下内容都不算数字，xlreport check 报错，表格中该单元格变红，"
        "“校验”表最后几行按工作表说明有几个、是什么原因：",
        *(f"·{c.refuses}" + ("（只限件数）" if c.key not in {k.key for k in amount} else "") + "；" for c in refused),
        "什么都不填的单元格按0计算并给出提醒（建议填0以示确认）；只有空格的单元格视为什么都没填。",
        "勾稽关系和总计公式中，一个单元格按它本身的数字计算（填错的数字如2.5、-5也照实计算，另有错误提示），"
        "文字、公式、错误值等按0计算——表格中的公式与 xlreport check 完全一致。",
        "xlreport 从不改动所填内容：标注副本（check --annotate）只加颜色、批注和“问题清单”表，填错的内容原样保留。",
    ]
    return lines
