"""Finding the official tables by their labels in any grid of cells.

Used for workbooks that are not ours (the tables laid out somewhere, labels in the right
order) and, later, for tables read from published reports. Everything it matches against
comes from spec.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import spec
from .labels import norm_label
from .problems import Problem, make, rule_problem


@dataclass
class Found:
    """Raw values found for fields, with where each came from."""

    raw: dict[tuple, object] = field(default_factory=dict)
    where: dict[tuple, str] = field(default_factory=dict)
    tables: set[str] = field(default_factory=set)
    meta: dict[str, object] = field(default_factory=dict)


def _is_number_like(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return True
    if isinstance(v, str):
        t = norm_label(v)
        if re.match(r"^[0-9]+\.[^0-9.,]", t):
            return False  # an item label such as "1.属于国家秘密", not a number
        return bool(re.match(r"^[0-9][0-9.,]*", t)) or t in ("", "/", "-", "—", "无")
    return v is None


def _texts(row) -> list[tuple[int, str]]:
    return [(i, v) for i, v in enumerate(row) if isinstance(v, str) and v.strip() and not _is_number_like(v)]


def _row_keys():
    """(table, normalised labels that identify the row, fields of the row in order)."""
    out = []
    active = spec.TABLE_BY_KEY["active"]
    by_row: dict[int, list[spec.Field]] = {}
    for f in active.fields:
        by_row.setdefault(f.row, []).append(f)
    for row, fields in by_row.items():
        out.append(("active", (norm_label(fields[0].row_label),), tuple(fields)))
    for key, group, text, short in spec.REQUEST_ROWS:
        fields = tuple(spec.FIELD_BY_PATH[("requests", key, c)] for c, _ in spec.REQUEST_COLUMNS)
        names = {norm_label(text), norm_label(short)}
        if group:
            names.add(norm_label(group + text))
        if key == "partly_granted":
            names.add(norm_label("（二）部分公开"))
        out.append(("requests", tuple(names), fields))
    return out


_ROWS = _row_keys()


def locate(grids: list[tuple[str, list[list]]]) -> Found:
    """Scan grids (name, rows of raw values) for the rows of tables A and B and the data row of C."""
    found = Found()
    pending = list(_ROWS)
    for name, rows in grids:
        header_c = None
        for r, row in enumerate(rows):
            texts = _texts(row)
            if not texts:
                # table C's data row has no row label: a row of numbers only
                if header_c is not None and r > header_c[0] and _appeals_row(found, name, r, row, header_c[1]):
                    header_c = None
                continue
            for col, text in texts:
                m = re.search(r"(.+?)(20[0-9]{2})年(?:度)?政府信息公开工作年度报告", norm_label(text))
                if m and "agency" not in found.meta:
                    found.meta["agency"], found.meta["year"] = m.group(1), int(m.group(2))
            last_col, last_text = texts[-1]
            n = norm_label(last_text)
            for entry in pending:
                table, names, fields = entry
                if n in names or (table == "requests" and any(n.startswith(x) for x in names if "部分公开" in x)):
                    values = [v for v in row[last_col + 1 :]]
                    if len(fields) == 1 or (fields[0].last_col is not None):
                        values = [v for v in values if v not in (None, "")][:1]
                    for f, v in zip(fields, values):
                        found.raw[f.path] = v
                        found.where[f.path] = f"{name}!{spec.a1(r, last_col + 1 + fields.index(f))}"
                    found.tables.add(table)
                    pending.remove(entry)
                    break
            normed = [norm_label(t) for _, t in texts]
            if "行政复议" in normed and "行政诉讼" in normed:
                header_c = (r, texts[normed.index("行政复议")][0])
            elif header_c is not None and r > header_c[0] and _appeals_row(found, name, r, row, header_c[1]):
                header_c = None
    return found


def _appeals_row(found: Found, name: str, r: int, row: list, col: int) -> bool:
    """Take table C's 15 numbers from ``row`` at ``col`` when the row looks like its data row."""
    values = row[col : col + 15]
    if sum(1 for v in values if isinstance(v, (int, float)) or (isinstance(v, str) and re.match(r"^\s*[0-9]", v))) < 5:
        return False
    for i, (f, v) in enumerate(zip(spec.TABLE_BY_KEY["appeals"].fields, values)):
        found.raw[f.path] = v
        found.where[f.path] = f"{name}!{spec.a1(r, col + i)}"
    found.tables.add("appeals")
    return True


def read_foreign(path: Path, wb, kind: str):
    """A workbook not made by xlreport: find the tables by label on any sheet, warn that we did."""
    from .errors import InputError
    from .model import Report
    from .reader import READ_COLS, READ_ROWS, ReadResult, parse_number

    grids = []
    for name in wb.sheet_names[:50]:
        try:
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=READ_ROWS * 3)
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
    for f in spec.INPUT_FIELDS:
        if f.path not in found.raw:
            blanks.append(f)
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
        report.values[f.path] = value
    for f in spec.TOTAL_FIELDS:
        # a foreign workbook's totals were typed, not computed: keep them so the rules check them
        given, _, error = parse_number(found.raw.get(f.path), f.unit)
        report.values[f.path] = given if given is not None and not error else report.computed(f.path)
    report.meta.update({k: v for k, v in found.meta.items() if k in report.meta})
    if blanks:
        problems.append(rule_problem("value-blank", {"count": len(blanks)}, actual=f"{len(blanks)}个空白"))
    return ReadResult(report, problems, blanks, kind, ours=False)
