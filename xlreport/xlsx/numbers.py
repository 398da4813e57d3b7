"""A raw cell value as a number of a unit: (value, normalised_from, error)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from .. import lazyre
from ..format import spec
from ..model import bound_problem

_INT_RE = lazyre.compile(r"^[+]?[0-9]+(\.0*)?$")
_DEC_RE = lazyre.compile(r"^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
_EXCEL_ERRORS = {"#REF!", "#VALUE!", "#DIV/0!", "#N/A", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA"}


def _describe(raw) -> str:
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # calamine reads a typed 2019 or -3 as 2019.0 / -3.0
    if isinstance(raw, (datetime, date)):
        return raw.isoformat()
    if isinstance(raw, (time, timedelta)):
        return str(raw)
    return str(raw)


def parse_number(raw, unit: spec.Unit):
    """(value, normalised_from, error) for a raw cell value; value None means blank."""
    if raw is None or raw == "":
        return None, None, None
    if isinstance(raw, bool) or isinstance(raw, (datetime, date, time, timedelta)):
        return None, None, f"“{_describe(raw)}”不是数字"
    normalised_from = None
    if isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).strip().replace(",", "")
        if not text:
            return None, None, None
        if text.upper() in _EXCEL_ERRORS:
            return None, None, f"单元格显示错误值“{text.upper()}”"
        pattern = _INT_RE if unit is spec.Unit.COUNT else _DEC_RE
        if text.startswith("-") and _DEC_RE.match(text[1:]):
            return None, None, f"不能为负数（{raw.strip()}）"
        if not pattern.match(text):
            if unit is spec.Unit.COUNT and _DEC_RE.match(text):
                return None, None, f"件数应为整数，实际为{text}"
            return None, None, f"“{raw}”不是数字" + ("；只填数字，不要带单位" if re.match(r"^[0-9.]+\D+$", text) else "")
        normalised_from = raw
        value = Decimal(text)
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            return None, None, "不是有效数字"
        value = Decimal(repr(raw))
    else:
        return None, None, f"“{raw}”不是数字"
    if value < 0:
        return None, None, f"不能为负数（{_plain(value)}）"
    too_big = bound_problem(value, unit)
    if too_big:
        return None, None, too_big
    if unit is spec.Unit.COUNT:
        if value != value.to_integral_value():
            return None, None, f"件数应为整数，实际为{_plain(value)}"
        return int(value), normalised_from, None
    return canonical_decimal(value), normalised_from, None


def canonical_decimal(value: Decimal) -> Decimal:
    """0.10 and 0.1 are one amount: drop trailing zeros, never use an exponent."""
    try:
        return Decimal(format(value.normalize(), "f"))
    except InvalidOperation:
        return value


def _plain(value) -> str:
    text = format(canonical_decimal(value), "f") if isinstance(value, Decimal) else str(value)
    return text if len(text) <= 40 else f"{text[:20]}…（共{len(text)}位）"
