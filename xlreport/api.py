"""The library's entry points: load any input as a report, check it. The CLI calls these."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .checks import rules
from .errors import InputError
from .model import Report, load_json_file
from .problems import Problem, count, sort_key
from .format.spec import PUBLISHED_FORMATS

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
PUBLISHED_SUFFIXES = tuple(PUBLISHED_FORMATS)  # published reports (.html/.htm/.docx/.pdf/.txt), read by xlreport.importers


@dataclass
class Loaded:
    """A report read from a file, with what reading it found."""

    path: Path
    report: Report
    problems: list[Problem] = field(default_factory=list)  # found while reading
    kind: str = "json"
    blank_count: int = 0
    merged: bool = False  # the result of xlreport merge


@dataclass
class Checked:
    """A report read and checked: every problem, and the acceptances that no longer hold."""

    path: Path
    report: Report
    problems: list[Problem]
    kind: str = "xlsx"
    lapsed: list[dict] = field(default_factory=list)  # acceptances whose numbers changed
    merged: bool = False  # the result of xlreport merge

    @property
    def errors(self) -> int:
        return count(self.problems)[0]

    @property
    def warnings(self) -> int:
        """Warnings that count: accepted ones do not."""
        return count(self.problems)[1]


def load(path, strict: bool = False, with_text: bool = True) -> Loaded:
    """A workbook (.xlsx/.xlsm/.xls/.ods), a JSON report or a published report (.html/.htm/.docx/.pdf/.txt),
    as a report plus reading problems."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        from .errors import DataError

        try:
            return Loaded(path, load_json_file(path), [], "json")
        except DataError as e:
            raise InputError(e.message, e.hint) from None
    if path.suffix.lower() in PUBLISHED_SUFFIXES:
        from .importers import import_report

        imported = import_report(path, with_text=with_text)
        return Loaded(path, imported.report, imported.problems, imported.kind)
    from .xlsx.reader import read_workbook

    result = read_workbook(path, strict=strict, with_text=with_text)
    return Loaded(path, result.report, result.problems, result.kind, len(result.blank_cells), result.merged)


def check_report(report: Report, already: list[Problem] = (), typed: bool = False,
                 previous: Report | None = None, prose: bool = True) -> list[Problem]:
    """Every rule over a report: the format's, last year's (``previous``) and the prose checks."""
    problems = list(already) + rules.check(report, already, typed=typed)
    if previous is not None:
        from .checks.previous import check_previous, not_earlier

        wrong = not_earlier(report, previous)
        if wrong is not None:
            problems.append(wrong)
            previous = None  # nothing of it to compare: not its numbers, not its text
        else:
            problems += check_previous(report, previous)
    if prose and report.text is not None:
        from .checks.prose import check_prose

        problems += check_prose(report, previous)
    return sorted(problems, key=sort_key)


def check_file(path, strict: bool = False, with_text: bool = True, previous: Report | None = None) -> Checked:
    """Load and check one input; warnings accepted beside it (accept.py) are marked and stop counting."""
    from .checks import accept

    loaded = load(path, strict=strict, with_text=with_text)
    typed = loaded.kind != "json"  # the workbook reader has checked every value's type
    problems = check_report(loaded.report, loaded.problems, typed, previous=previous, prose=with_text)
    if loaded.path.suffix.lower() in PUBLISHED_SUFFIXES:
        from .importers import as_published

        problems = as_published(loaded.report, problems)  # no cells: the table's section title and labels
    problems, lapsed = accept.apply(loaded.path, problems)
    return Checked(loaded.path, loaded.report, problems, loaded.kind, lapsed, loaded.merged)


def new_report(agency: str | None = None, year: int | None = None, previous: Report | None = None,
               data: Report | None = None, today=None) -> Report:
    """The report a new workbook starts from: ``data`` as given, or last year's carried over
    (``previous``: its meta, the next year, 上年结转 from 结转下年度), or empty; then the agency
    and year given; the year before ``today`` when none is known."""
    import datetime

    from .format.spec import YEAR_MAX
    from .model import clean_text

    report = data if data is not None else Report()
    if previous is not None:
        from .checks.previous import next_year_report

        if previous.year is not None and previous.year + 1 > YEAR_MAX:
            raise InputError(f"上一年度报告的年度为{previous.year}年，下一年超出范围")
        report = next_year_report(previous)
    if agency is not None:
        report.meta["agency"] = clean_text(agency) or None
    if year is not None:
        report.meta["year"] = year
    if report.meta.get("year") is None:
        report.meta["year"] = (today or datetime.date.today()).year - 1
    return report


def report_name(report: Report) -> str:
    """<机关名称><年度>年政府信息公开工作年度报告, the name the published report carries (the
    agency name made safe for a file name and capped in length)."""
    from .shown import safe_name

    year = f"{report.year}年" if report.year else ""
    return f"{safe_name(report.agency or '')}{year}政府信息公开工作年度报告"
