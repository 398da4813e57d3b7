"""The rules of the format over the report as data: model → list of Problem.

Every rule is declared once in spec.RULES (code, severity, message); this module only
evaluates them. It works on any report, so totals given in a JSON report are checked too.
"""

from __future__ import annotations

import re
from decimal import Decimal

from ..format import spec
from ..model import Report, bound_problem, getter
from ..problems import Problem, make, rule_problem


def _fmt(v) -> str:
    if isinstance(v, Decimal):
        return format(v, "f")
    return str(v)


def _place(path) -> dict:
    f = spec.FIELD_BY_PATH[path]
    return {"sheet": f.sheet, "cell": f.cell, "row_label": f.row_label, "col_label": f.col_label, "key": f.key}


def _ref(path) -> str:
    f = spec.FIELD_BY_PATH[path]
    return f"{f.sheet}!{f.cell}"


_TOTALS = getter(tuple(f.path for f in spec.TOTAL_FIELDS))
_SIDES = tuple((eq, getter(eq.lhs), getter(eq.rhs)) for eq in spec.EQUATIONS)


def check_equations(report: Report) -> list[Problem]:
    problems = []
    values = report.values
    if None in _TOTALS(values):
        computed = report.all_computed()
        values = {path: computed[path] if v is None else v for path, v in values.items()}
    for eq, left, right in _SIDES:
        try:
            lhs, rhs = sum(left(values)), sum(right(values))
        except TypeError:  # a blank input
            lhs, rhs = sum([v or 0 for v in left(values)]), sum([v or 0 for v in right(values)])
        if lhs == rhs:
            continue
        cells = tuple(_ref(p) for p in eq.lhs + eq.rhs)
        rule = spec.RULE_BY_CODE[eq.rule]
        if eq.rule == "requests-balance":
            col = eq.anchor[2]
            parts = {k: report.value(("requests", k, col)) for k in ("new", "carried_over", "closed_total", "carried_forward")}
            msg = rule.message.format(column=eq.column_label, lhs=_fmt(lhs), rhs=_fmt(rhs), **{k: _fmt(v) for k, v in parts.items()})
            should = lhs - parts["closed_total"]
            if should >= 0:
                msg += f"；若前三项无误，{spec.REQUEST_SHORT['carried_forward']}应为{_fmt(should)}"
            problems.append(make(eq.rule, msg, expected=f"一+二={_fmt(lhs)}", actual=f"（七）+四={_fmt(rhs)}", cells=cells, **_place(eq.anchor)))
        else:
            total = eq.lhs[0]
            f = spec.FIELD_BY_PATH[total]
            msg = rule.message.format(row=f.row_label, column=f.col_label, actual=_fmt(lhs), expected=_fmt(rhs))
            problems.append(make(eq.rule, msg, expected=_fmt(rhs), actual=_fmt(lhs), cells=cells, **_place(total)))
    return problems


def check_values(report: Report) -> list[Problem]:
    """Types, for reports built in code (the readers already report what they could not read)."""
    problems = []
    for f in spec.FIELDS:
        v = report.values.get(f.path)
        if v is None:
            continue
        reason = None
        if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
            reason = f"“{v!r}”不是数字"
        elif isinstance(v, Decimal) and not v.is_finite():
            reason = "不是有效数字"
        elif v < 0:
            reason = f"不能为负数（{_fmt(v)}）"
        elif bound_problem(v, f.unit):
            reason = bound_problem(v, f.unit)
        elif f.unit is spec.Unit.COUNT and (not isinstance(v, int)):
            if v != v.to_integral_value():
                reason = f"件数应为整数，实际为{_fmt(v)}"
        if reason:
            problems.append(rule_problem("value-type", {"reason": reason}, actual=_fmt(v),
                                 expected="0或正整数" if f.unit is spec.Unit.COUNT else "0或正数", **_place(f.path)))
    return problems


def check_meta(report: Report) -> list[Problem]:
    problems = []
    for m in spec.META_FIELDS:
        if not m.required:
            continue
        v = report.meta.get(m.key)
        where = {"sheet": m.sheet, "cell": m.cell, "row_label": m.label, "key": f"meta.{m.key}"}
        if v is None or v == "":
            problems.append(rule_problem("meta-required", {"label": m.label}, expected="必填", actual="空白", **where))
        elif m.kind == "year" and not (isinstance(v, int) and spec.YEAR_MIN <= v <= spec.YEAR_MAX):
            problems.append(rule_problem("meta-year", {"actual": v, "min": spec.YEAR_MIN, "max": spec.YEAR_MAX},
                                 expected=f"{spec.YEAR_MIN}—{spec.YEAR_MAX}", actual=str(v), **where))
    return problems


# The 万元 amount above which a report of this level has most likely been typed in 元:
# generous, so that a real city's 96171.6 万元 or a province's figures pass.
LEVEL_LIMITS = (
    (re.compile(r"^(北京|天津|上海|重庆)市人民政府$|(省|自治区)人民政府$"), "省级人民政府", 10_000_000),
    (re.compile(r"(市|州|盟)人民政府$|行政公署$"), "市级人民政府", 2_000_000),
    (re.compile(r"(区|县|旗)人民政府$"), "县级人民政府", 500_000),
    (re.compile(r"(镇|乡|苏木)人民政府$|街道办事处$|街道$"), "乡镇、街道", 10_000),
)
DEPARTMENT = ("政府部门", 500_000)


def agency_level(agency: str | None) -> tuple[str, int]:
    for pattern, level, limit in LEVEL_LIMITS:
        if agency and pattern.search(agency):
            return level, limit
    return DEPARTMENT


def check_fees(report: Report) -> list[Problem]:
    problems = []
    unpaid_path = ("requests", "other_fee_unpaid", "total")
    unpaid = report.value(unpaid_path)
    notices = report.value(("fees", "notices"))
    amount = report.value(("fees", "notice_amount"))
    collected = report.value(("fees", "collected"))
    if unpaid > 0 and notices == 0:
        rule = spec.RULE_BY_CODE["fees-unpaid-without-notice"]
        problems.append(make("fees-unpaid-without-notice", rule.message.format(unpaid=unpaid, notices=notices),
                             expected="大于0", actual=str(notices), cells=(_ref(unpaid_path), _ref(("fees", "notices"))),
                             **_place(("fees", "notices"))))
    if collected > amount:
        rule = spec.RULE_BY_CODE["fees-collected-exceeds-notices"]
        problems.append(make("fees-collected-exceeds-notices", rule.message.format(collected=_fmt(collected), notice_amount=_fmt(amount)),
                             expected=f"不大于{_fmt(amount)}", actual=_fmt(collected),
                             cells=(_ref(("fees", "collected")), _ref(("fees", "notice_amount"))), **_place(("fees", "collected"))))
    wanyuan = report.value(("active", "fees"))
    level, limit = agency_level(report.agency)
    if wanyuan > limit:
        yi = Decimal(wanyuan) / 10000
        problems.append(rule_problem(
            "fees-wanyuan-suspect",
            {"amount": _fmt(wanyuan), "yi": _fmt(yi.quantize(Decimal("0.01"))), "level": level, "converted": _fmt(yi.normalize())},
            expected=f"不超过{limit}万元", actual=_fmt(wanyuan), **_place(("active", "fees")),
        ))
    if notices == 0 and amount > 0:
        rule = spec.RULE_BY_CODE["fees-amount-without-notice"]
        problems.append(make("fees-amount-without-notice", rule.message.format(notice_amount=_fmt(amount)),
                             expected="0", actual=_fmt(amount), cells=(_ref(("fees", "notices")), _ref(("fees", "notice_amount"))),
                             **_place(("fees", "notice_amount"))))
    return problems


def check(report: Report, already: list[Problem] = (), typed: bool = False) -> list[Problem]:
    """Every rule of the spec over ``report``; a place already reported by the reader is not repeated.

    ``typed``: the values come from a reader that has checked every type already.
    """
    taken = {(p.key, p.code) for p in already} | {p.key for p in already if p.is_error and p.key.startswith("meta.")}
    found = ([] if typed else check_values(report)) + check_meta(report) + check_equations(report) + check_fees(report)
    return [p for p in found if (p.key, p.code) not in taken and not (p.key.startswith("meta.") and p.key in taken)]
