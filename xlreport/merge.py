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

SUMMARY_SHEET = spec.SHEET_MERGED
SUMMARY_COLUMNS = (("文件", None), ("机关名称", None), *spec.MERGE_SUMMARY_COLUMNS)


class MergeError(XlreportError):
    """Inputs that must not be added up (errors, mixed years); carries the offending files."""

    def __init__(self, message: str, files: list[FileResult], hint: str = ""):
        super().__init__(message, hint)
        self.files = files


@dataclass
class Merged:
    report: Report
    files: int
    warnings: list[str] = field(default_factory=list)
    summary: list[list] = field(default_factory=list)


class Accumulator:
    """Adds reports up as they arrive, keeping only the running sums and one summary row each,
    so memory does not grow with the number of files."""

    def __init__(self):
        self.sums: dict[tuple, int | Decimal] = {
            f.path: (Decimal(0) if f.unit is not spec.Unit.COUNT else 0) for f in spec.INPUT_FIELDS
        }
        self.rows: list[list] = []
        self.unreadable: list[FileResult] = []
        self.with_errors: list[FileResult] = []
        self.years: Counter = Counter()
        self.year_of: list[tuple[str, int | None]] = []
        self.agencies: dict[str, list[str]] = {}
        self.count = 0

    def add(self, r: FileResult) -> None:
        if r.status == "unreadable":
            self.unreadable.append(FileResult(r.path, r.status, message=r.message, hint=r.hint))
            return
        if r.errors:
            self.with_errors.append(FileResult(r.path, r.status, r.agency, r.year, r.errors, r.warnings))
        self.count += 1
        self.years[r.year] += 1
        self.year_of.append((r.path, r.year))
        if r.agency:
            self.agencies.setdefault(r.agency, []).append(r.path)
        values = r.report.values
        for path in self.sums:
            v = values.get(path)
            if v:
                self.sums[path] += v
        self.rows.append([r.path, r.agency or ""] + [_cell(r.report.value(p)) for _, p in SUMMARY_COLUMNS[2:]])

    def report(self) -> Report:
        total = Report()
        total.values.update(self.sums)
        return total.with_totals()


def merge(results, agency: str, year: int | None = None, force: bool = False) -> Merged:
    acc = Accumulator()
    for r in results:
        acc.add(r)
    if acc.unreadable:
        raise MergeError("有文件无法读取，未汇总：" + "；".join(r.message for r in acc.unreadable), acc.unreadable,
                         "请先修复或移除这些文件")
    if acc.with_errors and not force:
        raise MergeError("以下文件有错误，未汇总：" + "、".join(f"{r.path}（{r.errors}个错误）" for r in acc.with_errors), acc.with_errors,
                         "先用 xlreport check 查看并修改，或加 --force 强制汇总")
    if not acc.count:
        raise MergeError("没有可汇总的文件", [])
    if year is None:
        if len(acc.years) > 1:
            detail = "、".join(f"{y or '未填'}年{n}个" for y, n in sorted(acc.years.items(), key=lambda x: (x[0] is None, x[0] or 0)))
            raise MergeError(f"输入文件的报告年度不一致（{detail}），未汇总", [], "每次只汇总同一年度的报告，请移走其他年度的文件")
        year = next(iter(acc.years))
    else:
        other = [(p, y) for p, y in acc.year_of if y != year]
        if other:
            raise MergeError(f"以下文件的报告年度不是{year}年，未汇总：" + "、".join(f"{p}（{y or '未填'}）" for p, y in other), [],
                             "每次只汇总同一年度的报告")
    warnings = []
    for name, files in acc.agencies.items():
        if len(files) > 1:
            warnings.append(f"机关“{name}”出现了{len(files)}次（{'、'.join(files)}），是否重复汇总？")
    if acc.with_errors:
        warnings.append(f"有 {len(acc.with_errors)} 个文件存在错误，已按 --force 强制汇总")
    report = acc.report()
    report.meta["agency"] = agency
    report.meta["year"] = year
    summary = [[name for name, _ in SUMMARY_COLUMNS]] + acc.rows
    summary.append(["合计", f"{acc.count}个单位"] + [_cell(report.value(p)) for _, p in SUMMARY_COLUMNS[2:]])
    return Merged(report, acc.count, warnings, summary)


def _cell(v):
    return float(v) if isinstance(v, Decimal) else v
