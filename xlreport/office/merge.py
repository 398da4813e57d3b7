"""汇总: add up many agencies' reports into one report of the same format.

Every rule of the format is linear, so a sum of reports that keep the rules keeps them too.
Amounts are Decimals and add exactly. Prose is not merged.
"""

from __future__ import annotations

import itertools
import operator
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable

from ..format import spec
from .batch import FileResult
from ..errors import XlreportError
from ..model import Report, counted_inputs

SUMMARY_SHEET = spec.SHEET_MERGED
SUMMARY_HEADER = [*spec.BATCH_FILE_COLUMNS[:2], *(name for name, _ in spec.MERGE_SUMMARY_COLUMNS)]


def _figures(report: Report) -> list:
    """The main figures of a report, as its row of 汇总明细 shows them."""
    return [_cell(report.value(p)) for _, p in spec.MERGE_SUMMARY_COLUMNS]


class MergeError(XlreportError):
    """Inputs that must not be added up (errors, mixed years); carries the offending files."""

    def __init__(self, message: str, files: list[FileResult], hint: str = ""):
        super().__init__(message, hint)
        self.files = files


@dataclass
class Merged:
    """What merging many workbooks gives: the summed report, the file count, the warnings, the 汇总明细 rows."""

    report: Report
    files: int
    warnings: list[str] = field(default_factory=list)
    summary: Iterable[list] = ()  # SummaryRows: header, one row per agency, 合计


class SummaryRows:
    """The 汇总明细 sheet: header, one row per agency (read back from disk), and 合计."""

    def __init__(self, rows, total: list):
        self.rows, self.total = rows, total

    def __len__(self) -> int:
        return self.rows.count + 2

    def __iter__(self):
        return itertools.chain([SUMMARY_HEADER], self.rows, [self.total])


class Accumulator:
    """Adds reports up as they arrive, keeping only the running sums; each agency's summary row
    goes to a temporary file, so memory does not grow with the number of files."""

    def __init__(self, year: int | None = None):
        from .spool import JsonLines

        self.year = year
        self.sums: list[int | Decimal] = [Decimal(0) if f.unit is not spec.Unit.COUNT else 0 for f in spec.INPUT_FIELDS]
        self.rows = JsonLines()
        self.unreadable: list[FileResult] = []
        self.with_errors: list[FileResult] = []
        self.years: Counter = Counter()
        self.other_year: list[tuple[str, int | None]] = []
        self.first_of: dict[str, str] = {}  # agency -> its first file
        self.repeated: dict[str, list[str]] = {}  # agency -> every file, for the agencies seen twice
        self.merged: list[str] = []  # inputs that are earlier merges
        self.count = 0

    def add(self, r: FileResult) -> None:
        if r.status == "unreadable":
            self.unreadable.append(FileResult(r.path, r.status, message=r.message, hint=r.hint))
            return
        if r.errors:
            self.with_errors.append(FileResult(r.path, r.status, r.agency, r.year, r.errors, r.warnings))
        self.count += 1
        if r.merged:
            self.merged.append(r.path)
        self.years[r.year] += 1
        if self.year is not None and r.year != self.year:
            self.other_year.append((r.path, r.year))
        if r.agency:
            first = self.first_of.setdefault(r.agency, r.path)
            if first != r.path:
                self.repeated.setdefault(r.agency, [first]).append(r.path)
        numbers, summary = r.kept
        self.sums = list(map(operator.add, self.sums, numbers))
        self.rows.add([r.path, r.agency or ""] + summary)

    def report(self) -> Report:
        total = Report()
        total.values.update(zip(_INPUT_PATHS, self.sums))
        return total.with_totals()


_INPUT_PATHS = tuple(f.path for f in spec.INPUT_FIELDS)


def digest(report: Report) -> tuple[list, list]:
    """What merge needs of one report (see batch.check_one's ``keep``; it runs in a worker, so
    only this crosses between processes): every input in spec order as its sheet's totals count
    it (a refused entry's number too, so that with --allow-errors the 合计 row is the sum of the
    agencies' rows), and the figures of its summary row."""
    return counted_inputs(report), _figures(report)


def merge(results, agency: str, year: int | None = None, allow_errors: bool = False,
          include_merged: bool = False) -> Merged:
    acc = Accumulator(year)
    for r in results:
        acc.add(r)
    if acc.unreadable:
        raise MergeError("有文件无法读取，未汇总：" + "；".join(r.message for r in acc.unreadable), acc.unreadable,
                         "请先修复或移除这些文件")
    if acc.with_errors and not allow_errors:
        raise MergeError("以下文件有错误，未汇总：" + "、".join(f"{r.path}（{r.errors}个错误）" for r in acc.with_errors), acc.with_errors,
                         "先用 xlreport check 查看并修改，或加 --allow-errors 带着错误汇总")
    if not acc.count:
        raise MergeError("没有可汇总的文件", [])
    if acc.merged and acc.count > 1 and not include_merged:
        raise MergeError("、".join(acc.merged) + f"是已有的汇总结果（含“{SUMMARY_SHEET}”表），其中的单位会被重复计算，未汇总", [],
                         "请移走这些文件；如确实要把汇总结果再汇总（如各乡镇的汇总再汇总到县），加 --include-merged")
    if year is None:
        if len(acc.years) > 1:
            detail = "、".join(f"{y or '未填'}年{n}个" for y, n in sorted(acc.years.items(), key=lambda x: (x[0] is None, x[0] or 0)))
            raise MergeError(f"输入文件的报告年度不一致（{detail}），未汇总", [], "每次只汇总同一年度的报告，请移走其他年度的文件")
        year = next(iter(acc.years))
    elif acc.other_year:
        raise MergeError(f"以下文件的报告年度不是{year}年，未汇总：" + "、".join(f"{p}（{y or '未填'}）" for p, y in acc.other_year), [],
                         "每次只汇总同一年度的报告")
    warnings = []
    for name, files in acc.repeated.items():
        warnings.append(f"机关“{name}”出现了{len(files)}次（{'、'.join(files)}），是否重复汇总？")
    if acc.merged and acc.count > 1:
        warnings.append("、".join(acc.merged) + f"是已有的汇总结果（含“{SUMMARY_SHEET}”表），已按 --include-merged 汇总；"
                        "其中的单位如果也在本次输入中，会被重复计算")
    if acc.with_errors:
        warnings.append(f"有 {len(acc.with_errors)} 个文件存在错误，已按 --allow-errors 汇总")
    report = acc.report()
    report.meta["agency"] = agency
    report.meta["year"] = year
    total = ["合计", f"{acc.count}个单位"] + _figures(report)
    return Merged(report, acc.count, warnings, SummaryRows(acc.rows, total))


def _cell(v):
    return float(v) if isinstance(v, Decimal) else v
