"""A workbook not made by xlreport: the tables found by their labels on any sheet (format/locate)."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..format import spec
from ..format.locate import locate
from ..model import Report
from ..problems import Problem, cell_list, make, rule_problem
from .numbers import parse_number
from .sheets import READ_COLS, READ_ROWS, guarded


def read_foreign(path: Path, wb, kind: str):
    """A workbook not made by xlreport: find the tables by label on any sheet, warn that we did."""
    grids = []
    for name in wb.sheet_names[:50]:
        try:
            rows = guarded(lambda: wb.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=READ_ROWS * 3))
        except Exception:
            continue
        grids.append((name, [r[: READ_COLS * 2] for r in rows]))
    found = locate(grids)
    missing = [spec.SECTION_TITLES[t] for t in ("active", "requests", "appeals") if t not in found.tables]
    if len(missing) == 3:
        raise InputError(f"{path}：不是政府信息公开工作年度报告工作簿（找不到{spec.FORMAT_NAME}格式的三张表格）",
                         "请用 xlreport new 生成模板填写")
    if missing:
        raise InputError(f"{path}：找不到表格" + "、".join(f"“{m}”" for m in missing) + "，无法读取", "请用 xlreport new 生成模板填写")
    report = Report()
    problems: list[Problem] = [make("structure-foreign", f"{path.name} 不是 xlreport 生成的工作簿，已按表格标签读取数字；建议用 xlreport new 生成的模板填写",
                                    actual="缺少模板标识")]
    blanks = []
    places = []  # where each blank is: its cell where the label was found, else what it is
    for f in spec.INPUT_FIELDS:
        if f.path not in found.raw:
            blanks.append(f)
            places.append(("", f.where))
            continue
        value, normalised_from, error = parse_number(found.raw[f.path], f.unit)
        where = found.where.get(f.path, "")
        sheet, _, cell = where.partition("!")
        if error:
            problems.append(rule_problem("value-type", {"reason": error}, sheet=sheet, cell=cell, row_label=f.row_label,
                                 col_label=f.col_label, key=f.key, actual=str(found.raw[f.path])))
            continue
        if value is None:
            blanks.append(f)
            places.append((sheet, cell) if cell else ("", f.where))
        report.values[f.path] = value
    for f in spec.TOTAL_FIELDS:
        # a foreign workbook's totals were typed, not computed: keep them so the rules check them
        given, _, error = parse_number(found.raw.get(f.path), f.unit)
        report.values[f.path] = given if given is not None and not error else report.computed(f.path)
    report.meta.update({k: v for k, v in found.meta.items() if k in report.meta})
    if blanks:
        problems.append(rule_problem("value-blank", {"count": len(blanks), "cells": cell_list(places)}, actual=f"{len(blanks)}个空白",
                                     cells=tuple(f"{s}!{c}" for s, c in places if s)))
    return report, problems, blanks
