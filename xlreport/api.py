"""The library's entry points: load any input as a report, check it. The CLI calls these."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import rules
from .errors import InputError
from .model import Report, load_json_file
from .problems import Problem, sort_key

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


@dataclass
class Loaded:
    path: Path
    report: Report
    problems: list[Problem] = field(default_factory=list)  # found while reading
    kind: str = "json"
    blank_count: int = 0


@dataclass
class Checked:
    path: Path
    report: Report
    problems: list[Problem]
    kind: str = "xlsx"

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.is_error)

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors


def load(path, strict: bool = False, with_text: bool = True) -> Loaded:
    """A workbook (.xlsx/.xlsm/.xls/.ods) or a JSON report, as a report plus reading problems."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        from .errors import DataError

        try:
            return Loaded(path, load_json_file(path), [], "json")
        except DataError as e:
            raise InputError(e.message, e.hint) from None
    from .reader import read_workbook

    result = read_workbook(path, strict=strict, with_text=with_text)
    return Loaded(path, result.report, result.problems, result.kind, len(result.blank_cells))


def check_report(report: Report, already: list[Problem] = (), typed: bool = False) -> list[Problem]:
    problems = list(already) + rules.check(report, already, typed=typed)
    return sorted(problems, key=sort_key)


def check_file(path, strict: bool = False, with_text: bool = True) -> Checked:
    loaded = load(path, strict=strict, with_text=with_text)
    typed = loaded.kind != "json"  # the workbook reader has checked every value's type
    return Checked(loaded.path, loaded.report, check_report(loaded.report, loaded.problems, typed), loaded.kind)
