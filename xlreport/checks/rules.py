"""The rules of the format over the report as data: model → list of Problem.

Every rule is declared once in format/rules.py; this module only evaluates the declarations:
the relations of the sheet rules (the same ones the workbook's 校验 sheet computes), the meta
checks, the value types of a report built in code, and the report-wide fee check.
"""

from __future__ import annotations

from decimal import Decimal

from .. import lazyre
from ..format import spec
from ..format.relations import compiled, shown
from ..format.rules import INSTANCES, META_CHECKS, RULE_BY_CODE, Instance
from ..model import Report, bound_problem, relation_numbers
from ..problems import Problem, make, place_of, rule_problem

_fmt = shown


def _place(path) -> dict:
    return place_of(spec.FIELD_BY_PATH[path])


def _ref(path) -> str:
    f = spec.FIELD_BY_PATH[path]
    return f"{f.sheet}!{f.cell}"


_CELLS = {i: tuple(dict.fromkeys(_ref(p) for p in i.paths)) for i in INSTANCES}


def instance_problem(i: Instance, number) -> Problem:
    """The problem of an instance whose relation does not hold, its message filled from its terms."""
    rule = RULE_BY_CODE[i.rule]
    args = {name: term.value(number) for name, term in i.terms}
    shown_args = {name: _fmt(v) for name, v in args.items()} | {"column": i.label, "row": i.label}
    message = rule.message.format(**shown_args)
    if rule.hint and args[rule.hint[0]] >= 0:
        message += rule.hint[1].format(**shown_args)
    return make(i.rule, message, expected=rule.expected.format(**shown_args), actual=rule.actual.format(**shown_args),
                cells=_CELLS[i], **_place(i.anchor))


class _Relations:
    """The instances' relations, evaluated as declared for the first report a process checks and
    compiled (relations.compiled: about 5 ms for the 44, 0.04 ms saved a report) from the second
    on, so a single check does not pay for what only a batch gains."""

    def __init__(self):
        self.reports = 0
        self.fast: list | None = None

    def failing(self, numbers: dict) -> list[Instance]:
        self.reports += 1
        if self.reports == 1:
            number = numbers.__getitem__
            return [i for i in INSTANCES if not i.relation.holds(number)]
        if self.fast is None:
            self.fast = [(i, compiled(i.relation)) for i in INSTANCES]
        return [i for i, holds in self.fast if not holds(numbers)]


_RELATIONS = _Relations()


def check_relations(report: Report) -> list[Problem]:
    """Every instance of the sheet rules, on the numbers as the sheet counts them."""
    numbers = relation_numbers(report)
    return [instance_problem(i, numbers.__getitem__) for i in _RELATIONS.failing(numbers)]


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
    for c in META_CHECKS:
        m = c.field
        v = report.meta.get(m.key)
        if c.holds(v):
            continue
        where = place_of(m)
        if c.kind == "required":
            problems.append(rule_problem(c.rule, {"label": m.label}, expected="必填", actual="空白", **where))
        else:
            problems.append(rule_problem(c.rule, {"actual": v, "min": spec.YEAR_MIN, "max": spec.YEAR_MAX},
                                         expected=f"{spec.YEAR_MIN}—{spec.YEAR_MAX}", actual=str(v), **where))
    return problems


# The 万元 amount above which a report of this level has most likely been typed in 元:
# generous, so that a real city's 96171.6 万元 or a province's figures pass.
LEVEL_LIMITS = (
    (lazyre.compile(r"^(北京|天津|上海|重庆)市人民政府$|(省|自治区)人民政府$"), "省级人民政府", 10_000_000),
    (lazyre.compile(r"(市|州|盟)人民政府$|行政公署$"), "市级人民政府", 2_000_000),
    (lazyre.compile(r"(区|县|旗)人民政府$"), "县级人民政府", 500_000),
    (lazyre.compile(r"(镇|乡|苏木)人民政府$|街道办事处$|街道$"), "乡镇、街道", 10_000),
)
DEPARTMENT = ("政府部门", 500_000)


def agency_level(agency: str | None) -> tuple[str, int]:
    for pattern, level, limit in LEVEL_LIMITS:
        if agency and pattern.search(agency):
            return level, limit
    return DEPARTMENT


def check_fee_level(report: Report) -> list[Problem]:
    """The 万元 amount against what an agency of its level collects (report-wide: the level comes
    from the agency's name)."""
    wanyuan = report.value(spec.FIELD_BY_PATH[("active", "fees")].path)
    level, limit = agency_level(report.agency)
    if wanyuan <= limit:
        return []
    yi = Decimal(wanyuan) / 10000
    return [rule_problem(
        "fees-wanyuan-suspect",
        {"amount": _fmt(wanyuan), "yi": _fmt(yi.quantize(Decimal("0.01"))), "level": level, "converted": _fmt(yi.normalize())},
        expected=f"不超过{limit}万元", actual=_fmt(wanyuan), **_place(("active", "fees")),
    )]


def check(report: Report, already: list[Problem] = (), typed: bool = False) -> list[Problem]:
    """Every rule of the spec over ``report``; a place already reported by the reader is not repeated.

    ``typed``: the values come from a reader that has checked every type already.
    """
    taken = {(p.key, p.code) for p in already} | {p.key for p in already if p.is_error and p.key.startswith("meta.")}
    found = ([] if typed else check_values(report)) + check_meta(report) + check_relations(report) + check_fee_level(report)
    return [p for p in found if (p.key, p.code) not in taken and not (p.key.startswith("meta.") and p.key in taken)]
