"""What a page shows of a checked report: the problems as rows, and the three tables drawn from
the format's declarations (its labels and merged ranges, its fields) with the report's numbers
and the cells the problems name marked."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..format import spec
from ..format.relations import shown
from ..model import Report
from ..problems import Problem



@dataclass
class Cell:
    """One cell of a table as the page draws it."""

    text: str = ""
    kind: str = "empty"  # title | header | label | input | total | empty
    rowspan: int = 1
    colspan: int = 1
    ref: str = ""  # A1 on its sheet, for fields
    mark: str = ""  # a Severity's value ("error" | "warning"), or ""
    notes: list[str] = field(default_factory=list)  # the messages of the problems that name it


@dataclass
class TableView:
    """An official table as the page draws it: rows of cells, merged as on paper."""

    title: str
    sheet: str
    rows: list[list[Cell]]


def problem_rows(problems: list[Problem]) -> list[dict]:
    """The table of problems as a page lists them (spec.PROBLEM_COLUMNS)."""
    return [{
        "severity": spec.SEVERITY_NAMES[p.severity], "level": p.severity.value, "sheet": p.sheet, "cell": p.cell,
        "item": p.item, "message": p.message, "expected": p.expected, "actual": p.actual, "accepted": p.accepted,
        "code": p.code,
    } for p in problems]


def marks(problems: list[Problem]) -> dict[tuple[str, str], tuple[str, list[str]]]:
    """(sheet, A1) -> (the worst level, the messages) over every cell a problem names."""
    out: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for p in problems:
        places = {tuple(c.split("!", 1)) for c in p.cells if "!" in c}
        if p.sheet and p.cell:
            places.add((p.sheet, p.cell))
        for place in places:
            level, notes = out.get(place, ("", []))
            if p.is_error or not level:
                level = p.severity.value
            out[place] = (level, notes + [p.message])
    return out


def table_views(report: Report | None, problems: list[Problem]) -> list[TableView]:
    """The three tables as the format lays them out, with the report's numbers."""
    marked = marks(problems)
    return [_table(t, report, marked) for t in spec.TABLES]


def _table(t: spec.Table, report: Report | None, marked) -> TableView:
    grid: list[list[Cell | None]] = [[Cell() for _ in range(t.width)] for _ in range(t.height)]
    title = t.title
    for label in t.labels:
        if label.kind == "title" and label.row == 0:
            title = label.text
            continue
        _place(grid, label.row, label.col, label.r2, label.c2, Cell(label.text, "header" if label.kind == "header" else "label"))
    for f in t.fields:
        value = report.values.get(f.path) if report is not None else None
        cell = Cell("" if value is None else shown(value), "input" if f.is_input else "total", ref=f.cell)
        level, notes = marked.get((f.sheet, f.cell), ("", []))
        cell.mark, cell.notes = level, notes
        _place(grid, f.row, f.col, f.row, f.last_col if f.last_col is not None else f.col, cell)
    first = min((l.row for l in t.labels if not (l.kind == "title" and l.row == 0)), default=0)
    rows = [[c for c in row if c is not None] for row in grid[first:]]
    return TableView(title, t.sheet, [r for r in rows if r])


def _place(grid, r1: int, c1: int, r2: int, c2: int, cell: Cell) -> None:
    if r1 >= len(grid) or c1 >= len(grid[0]):
        return
    cell.rowspan, cell.colspan = r2 - r1 + 1, c2 - c1 + 1
    for r in range(r1, min(r2, len(grid) - 1) + 1):
        for c in range(c1, min(c2, len(grid[0]) - 1) + 1):
            grid[r][c] = None
    grid[r1][c1] = cell
