"""Problems are data: what a check found, where, and what it should be."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from .format.rules import RULE_BY_CODE
from .format.spec import SEVERITY_NAMES, MetaField, Severity


@dataclass(frozen=True)
class Problem:
    """One finding, as data: a stable code, a severity, the Chinese message, and where it is."""

    code: str  # a rule code of format/rules.RULES
    severity: Severity
    message: str  # Chinese, complete on its own
    sheet: str = ""
    cell: str = ""  # A1 address of the cell to look at ("" where there is none)
    row_label: str = ""
    col_label: str = ""
    expected: str = ""
    actual: str = ""
    cells: tuple[str, ...] = field(default_factory=tuple)  # every cell involved, "sheet!A1"
    key: str = ""  # the JSON path of the value concerned ("requests.new.total", "meta.year")
    accepted: str = ""  # the reason, when a clerk or office accepted this warning (see accept.py)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def place(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet

    @property
    def item(self) -> str:
        if self.row_label and self.col_label:
            return f"{self.row_label} / {self.col_label}"
        return self.row_label or self.col_label

    def line(self) -> str:
        """The problem as one self-contained line: place, item, message."""
        head = "".join(x for x in (self.place, f"（{self.item}）" if self.item else "") if x)
        return f"{head}：{self.message}" if head else self.message

    def to_dict(self) -> dict:
        # the fields by name, not dataclasses.asdict: its deep copy was a third of what a batch's
        # --json costs the parent process per file, and every field here is a str or a tuple of str
        d = {name: getattr(self, name) for name in _FIELD_NAMES}
        d["severity"] = self.severity.value
        d["cells"] = list(self.cells)
        d["title"] = RULE_BY_CODE[self.code].title
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Problem":
        """What ``to_dict`` wrote, back (the office server keeps its uploads' problems so)."""
        return cls(d["code"], Severity(d["severity"]), d["message"], d.get("sheet", ""), d.get("cell", ""),
                   d.get("row_label", ""), d.get("col_label", ""), d.get("expected", ""), d.get("actual", ""),
                   tuple(d.get("cells", ())), d.get("key", ""), d.get("accepted", ""))


_FIELD_NAMES = tuple(f.name for f in fields(Problem))


def place_of(f) -> dict:
    """Where a problem about a field (spec.Field) or a 基本信息 entry (spec.MetaField) is, as Problem's fields."""
    if isinstance(f, MetaField):
        return {"sheet": f.sheet, "cell": f.cell, "row_label": f.label, "key": f.json_path}
    return {"sheet": f.sheet, "cell": f.cell, "row_label": f.row_label, "col_label": f.col_label, "key": f.key}


def make(code: str, message: str, severity: Severity | None = None, **where) -> Problem:
    """A problem of the rule ``code``, with the rule's declared severity unless told otherwise."""
    return Problem(code, severity or RULE_BY_CODE[code].severity, message, **where)


def rule_problem(code: str, args: dict, severity: Severity | None = None, **where) -> Problem:
    """A problem whose message is the rule's declared template filled with ``args``."""
    return make(code, RULE_BY_CODE[code].message.format(**args), severity=severity, **where)


def count(problems) -> tuple[int, int]:
    """Errors and warnings that count: an accepted warning no longer does."""
    errors = sum(1 for p in problems if p.is_error)
    return errors, sum(1 for p in problems if not p.is_error and not p.accepted)


def sort_key(p: Problem):
    """Grouped by sheet (in workbook order), errors before warnings, then by cell."""
    from .format.spec import DATA_SHEETS

    sheet_order = DATA_SHEETS.index(p.sheet) if p.sheet in DATA_SHEETS else len(DATA_SHEETS)
    return (sheet_order, p.sheet, 0 if p.is_error else 1, _cell_key(p.cell))


def _cell_key(cell: str):
    letters = "".join(ch for ch in cell if ch.isalpha())
    digits = cell[len(letters):]
    return (int(digits) if digits.isdigit() else 0, len(letters), letters)


__all__ = ["Problem", "make", "count", "sort_key", "SEVERITY_NAMES", "Severity"]


CELLS_NAMED = 8  # cells a message lists; the problem's ``cells`` carry them all


def cell_list(places: list[tuple[str, str]]) -> str:
    """``三、依申请公开!D5、E5；基本信息!B13`` — sheet by sheet, the first CELLS_NAMED places,
    then 等N个. A place is (sheet, A1), or (sheet, what it is) where no cell is known."""
    by_sheet: dict[str, list[str]] = {}
    for sheet, cell in places[:CELLS_NAMED]:
        by_sheet.setdefault(sheet, []).append(cell)
    text = "；".join(f"{sheet}!{'、'.join(cells)}" if sheet else "、".join(cells) for sheet, cells in by_sheet.items())
    return text + (f"等{len(places)}个" if len(places) > CELLS_NAMED else "")
