"""Year over year: this year's report against last year's (warnings; a 清理 can reset counts).

- 二、上年结转 of this year equals 四、结转下年度继续办理 of last year, in each of the 7 columns;
- 现行有效件数 = last year's + 本年制发 − 本年废止, for 规章 and 行政规范性文件;
- the report year is last year's plus one.
"""

from __future__ import annotations

from ..format import spec
from ..model import Report
from ..problems import Problem, make, place_of, rule_problem


def _place(path) -> dict:
    return place_of(spec.FIELD_BY_PATH[path])


def not_earlier(report: Report, last: Report) -> Problem | None:
    """The problem when the "previous" report is not of an earlier year (the same file given
    twice, or this year's report as last year's): nothing can be compared then."""
    year, last_year = report.year, last.year
    if year is None or last_year is None or last_year < year:
        return None
    m = spec.META_BY_KEY["year"]
    same = "同一年度" if last_year == year else "更晚的年度"
    return make("previous-year", f"作为上一年度给出的报告是{last_year}年度的，与本报告（{year}年度）是{same}，未与上年对照；"
                                 f"请给出{year - 1}年度的报告",
                sheet=m.sheet, cell=m.cell, row_label=m.label, key=m.json_path, expected=str(year - 1), actual=str(last_year))


def check_previous(report: Report, last: Report) -> list[Problem]:
    problems: list[Problem] = []
    year, last_year = report.year, last.year
    if year is not None and last_year is not None and year != last_year + 1:
        m = spec.META_BY_KEY["year"]
        problems.append(rule_problem(
            "previous-year", {"year": year, "last_year": last_year, "expected": last_year + 1},
            sheet=m.sheet, cell=m.cell, row_label=m.label, key=m.json_path, expected=str(last_year + 1), actual=str(year),
        ))
    for col_key, col_label in spec.REQUEST_COLUMNS:
        this_path = ("requests", "carried_over", col_key)
        last_path = ("requests", "carried_forward", col_key)
        now, before = report.value(this_path), last.value(last_path)
        if now != before:
            problems.append(rule_problem(
                "previous-carry-over", {"column": col_label, "now": now, "before": before, "last_year": last_year or "上一"},
                expected=str(before), actual=str(now), **_place(this_path),
            ))
    for key in ("rules", "normative_documents"):
        label = spec.FIELD_BY_PATH[("active", key, "in_force")].row_label
        in_force = report.value(("active", key, "in_force"))
        issued = report.value(("active", key, "issued"))
        repealed = report.value(("active", key, "repealed"))
        before = last.value(("active", key, "in_force"))
        expected = before + issued - repealed
        if in_force != expected:
            problems.append(rule_problem(
                "previous-in-force",
                {"item": label, "in_force": in_force, "before": before, "issued": issued, "repealed": repealed, "expected": expected},
                expected=str(expected), actual=str(in_force), **_place(("active", key, "in_force")),
            ))
    return problems


def next_year_report(last: Report) -> Report:
    """A new report pre-filled from last year's: meta, the year after, and 上年结转 from 结转下年度."""
    report = Report()
    for m in spec.META_FIELDS:
        report.meta[m.key] = last.meta.get(m.key)
    report.meta["year"] = last.year + 1 if last.year else None
    for col_key in spec.REQUEST_INPUT_COLUMNS:
        report.values[("requests", "carried_over", col_key)] = last.value(("requests", "carried_forward", col_key))
    return report
