"""汇总: add up many agencies' reports into one report of the same format.

Every rule of the format is linear, so a sum of reports that keep the rules keeps them too.
Amounts are Decimals and add exactly. Prose is not merged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from . import spec
from .batch import FileResult
from .errors import XlreportError
from .model import Report

SUMMARY_SHEET = "汇总明细"
SUMMARY_COLUMNS = (
    ("文件", None),
    ("机关名称", None),
    ("一、本年新收", ("requests", "new", "total")),
    ("二、上年结转", ("requests", "carried_over", "total")),
    ("（七）总计", ("requests", "closed_total", "total")),
    ("四、结转下年度", ("requests", "carried_forward", "total")),
    ("行政复议总计", ("appeals", "review", "total")),
    ("行政诉讼总计（未经复议）", ("appeals", "litigation_direct", "total")),
    ("行政诉讼总计（复议后）", ("appeals", "litigation_after_review", "total")),
    ("行政许可", ("active", "licensing")),
    ("行政处罚", ("active", "punishment")),
    ("行政强制", ("active", "coercion")),
    ("行政事业性收费（万元）", ("active", "fees")),
    ("发出收费通知件数", ("fees", "notices")),
)


class MergeError(XlreportError):
    """Inputs that must not be added up (errors, mixed years); carries the offending files."""

    def __init__(self, message: str, files: list[FileResult], hint: str = ""):
        super().__init__(message, hint)
        self.files = files


@dataclass
class Merged:
    report: Report
    results: list[FileResult]
    warnings: list[str] = field(default_factory=list)
    summary: list[list] = field(default_factory=list)


def add_up(reports: list[Report]) -> Report:
    """The sum of every input number; totals recomputed; blanks count as 0."""
    total = Report()
    for f in spec.INPUT_FIELDS:
        zero = Decimal(0) if f.unit is not spec.Unit.COUNT else 0
        total.values[f.path] = sum((r.values.get(f.path) or zero for r in reports), zero)
    return total.with_totals()


def merge(results: list[FileResult], agency: str, year: int | None = None, force: bool = False) -> Merged:
    unreadable = [r for r in results if r.status == "unreadable"]
    if unreadable:
        raise MergeError("有文件无法读取，未汇总：" + "；".join(r.message for r in unreadable), unreadable,
                         "请先修复或移除这些文件")
    with_errors = [r for r in results if r.errors]
    if with_errors and not force:
        raise MergeError("以下文件有错误，未汇总：" + "、".join(f"{r.path}（{r.errors}个错误）" for r in with_errors), with_errors,
                         "先用 xlreport check 查看并修改，或加 --force 强制汇总")
    years = Counter(r.year for r in results)
    if year is None:
        if len(years) > 1:
            detail = "、".join(f"{y or '未填'}年{n}个" for y, n in sorted(years.items(), key=lambda x: (x[0] is None, x[0])))
            raise MergeError(f"输入文件的报告年度不一致（{detail}），未汇总", [r for r in results],
                             "每次只汇总同一年度的报告；可用 --year 指定年度")
        year = next(iter(years))
    else:
        other = [r for r in results if r.year != year]
        if other:
            raise MergeError(f"以下文件的报告年度不是{year}年，未汇总：" + "、".join(f"{r.path}（{r.year or '未填'}）" for r in other), other,
                             "每次只汇总同一年度的报告")
    warnings = []
    names = Counter(r.agency for r in results if r.agency)
    for name, n in names.items():
        if n > 1:
            files = "、".join(r.path for r in results if r.agency == name)
            warnings.append(f"机关“{name}”出现了{n}次（{files}），是否重复汇总？")
    if with_errors:
        warnings.append(f"有 {len(with_errors)} 个文件存在错误，已按 --force 强制汇总")
    report = add_up([r.report for r in results])
    report.meta["agency"] = agency
    report.meta["year"] = year
    summary = summary_rows(results, report)
    return Merged(report, results, warnings, summary)


def _cell(v):
    return float(v) if isinstance(v, Decimal) else v


def summary_rows(results: list[FileResult], total: Report) -> list[list]:
    rows = [[name for name, _ in SUMMARY_COLUMNS]]
    for r in results:
        rows.append([r.path, r.agency or ""] + [_cell(r.report.value(p)) for _, p in SUMMARY_COLUMNS[2:]])
    rows.append(["合计", f"{len(results)}个单位"] + [_cell(total.value(p)) for _, p in SUMMARY_COLUMNS[2:]])
    return rows
