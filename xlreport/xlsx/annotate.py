"""An annotated copy of a clerk's workbook: regenerated from the values read, problems marked."""

from __future__ import annotations

from pathlib import Path

from ..format import spec
from ..model import Report
from ..problems import Problem
from ..cli.terminal import HEADERS
from .writer import Mark, write_workbook


def _spec_cell(key: str) -> tuple[str, str] | None:
    if key.startswith("meta."):
        m = spec.META_BY_KEY.get(key[5:])
        return (m.sheet, m.cell) if m else None
    f = spec.FIELD_BY_PATH.get(tuple(key.split(".")))
    return (f.sheet, f.cell) if f else None


def marks_for(problems: list[Problem]) -> list[Mark]:
    marks = []
    for p in problems:
        places = []
        if p.key and _spec_cell(p.key):
            places.append(_spec_cell(p.key))
        for ref in p.cells:
            sheet, _, cell = ref.partition("!")
            if (sheet, cell) not in places:
                places.append((sheet, cell))
        for sheet, cell in places:
            marks.append(Mark(sheet, cell, p.severity, p.message + (f"（原内容：{p.actual}）" if p.code == "value-type" and p.actual else "")))
    return marks


def problems_sheet(problems: list[Problem]) -> list[list[str]]:
    rows = [list(HEADERS)]
    for p in problems:
        place = _spec_cell(p.key) if p.key else None
        where = f"{place[0]}!{place[1]}" if place else (p.place or "—")
        rows.append([spec.SEVERITY_NAMES[p.severity], where, p.item or "—", p.message, p.expected, p.actual])
    return rows


def write_annotated(out, report: Report, problems: list[Problem], force: bool = False) -> Path:
    return write_workbook(out, report, force=force, marks=marks_for(problems), extra_sheets=[(spec.SHEET_PROBLEMS, problems_sheet(problems))])
