"""Audit a region's published reports: every file of a folder tree (published HTML, txt, docx,
PDF, JSON, workbooks) read and checked with the batch's isolation, grouped by agency, ordered
by year, and each chain checked — 上年结转 against last year's 结转下年度, 现行有效 continuity,
the text copied from last year's, year-on-year figures — with one overview.

An agency is known by the name in its report (normalised: full/half width, spaces), or by the
name the user's map gives that name; a report whose agency or year cannot be read stands alone.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..api import PUBLISHED_SUFFIXES, SPREADSHEET_SUFFIXES, check_report
from ..errors import InputError
from ..format import spec
from ..format.labels import norm_label
from ..format.rules import FAMILIES, family
from ..output import scratch_dir
from ..problems import Problem, count
from ..shown import shown_path
from .batch import STATUS_NAMES as BATCH_STATUS_NAMES
from .batch import FileResult, check_many, collect, whole_report

AUDIT_SUFFIXES = PUBLISHED_SUFFIXES + SPREADSHEET_SUFFIXES + (".json",)


@dataclass
class Audited:
    """One file of the audit: its check, and what comparing it with the year before found."""

    result: FileResult
    agency: str  # the name it is grouped by ("" when unknown)
    name: str = ""  # the name as the report itself writes it
    chain: list[Problem] = field(default_factory=list)
    previous: str = ""  # the file it was compared with

    @property
    def problems(self) -> list[Problem]:
        return self.result.problems + self.chain

    @property
    def status(self) -> str:
        if self.result.status == "unreadable":
            return "unreadable"
        if any(p.is_error for p in self.problems):
            return "errors"
        return "warnings" if any(not p.is_error and not p.accepted for p in self.problems) else "ok"

    def families(self) -> Counter:
        return Counter(family(p.code) for p in self.problems)


STATUS_NAMES = {s: BATCH_STATUS_NAMES[s] for s in ("ok", "warnings", "errors", "unreadable")}


def load_names(path: Path) -> dict[str, str]:
    """The user's name map: JSON {"别名": "规范名称"} or a CSV/TSV of two columns (别名, 规范名称)."""
    from ..container import read_bytes

    text = read_bytes(path, "names").decode("utf-8-sig", "replace")
    if path.suffix.lower() == ".json":
        try:
            raw = json.loads(text)
        except ValueError as e:
            raise InputError(f"{shown_path(path)}：不是有效的 JSON（{e}）", "名称对照表应为 {\"别名\": \"规范名称\"}") from None
        if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
            raise InputError(f"{shown_path(path)}：名称对照表应为 {{\"别名\": \"规范名称\"}}，每项都是文字")
        pairs = raw.items()
    else:
        import csv

        rows = list(csv.reader(text.splitlines(), delimiter="\t" if "\t" in text else ","))
        bad = [i for i, row in enumerate(rows, 1) if row and len(row) != 2]
        if bad:
            raise InputError(f"{shown_path(path)}：第{bad[0]}行应有两列（别名,规范名称）")
        pairs = [(a, b) for a, b in (r for r in rows if r) if a.strip() != "别名"]
    return {key(alias): canonical.strip() for alias, canonical in pairs if alias.strip() and canonical.strip()}


def key(name: str) -> str:
    """An agency's name as it is compared: full/half width, spaces and line breaks made alike."""
    return "".join(norm_label(name or "").split())


def audit(inputs: Iterable[Path], names: dict[str, str] | None = None, workers: int | None = None,
          progress: Callable[[int], None] | None = None) -> list[Audited]:
    """Every file read and checked (in worker processes, each with its limits), then each
    agency's reports compared year by year. In the order agency, year, file."""
    paths = collect(inputs, AUDIT_SUFFIXES)
    names = names or {}
    audited = []
    for r in check_many(paths, keep=whole_report, workers=workers, progress=progress):
        report = r.kept
        name = report.agency if report is not None else (r.agency or "")
        audited.append(Audited(r, names.get(key(name), name) if name else "", name or ""))
    same = same_agencies({a.agency for a in audited if a.agency})
    for a in audited:
        a.agency = same.get(a.agency, a.agency)
    audited.sort(key=lambda a: (a.agency == "", key(a.agency), a.result.year or 0, a.result.path))
    for chain in chains(audited):
        for before, after in zip(chain, chain[1:]):
            _compare(before, after)
    for a in audited:
        a.result.kept = None  # the reports are let go once compared
    return audited


_REGION = re.compile(r"(省|市|自治区|自治州|州|盟|地区)$")
_LOCAL = re.compile(r"(区|县|市|旗|镇|乡|街道|自治县)")


def same_agencies(names: set[str]) -> dict[str, str]:
    """Names that are one agency written with and without the region above it (洪泽区人民政府 in
    one year, 淮安市洪泽区人民政府 in the next): each mapped to the fuller name."""
    by_key = {key(n): n for n in names}
    out: dict[str, str] = {}
    for short_key, short in by_key.items():
        if len(short_key) < 5 or not _LOCAL.search(short_key[:-2]):
            continue  # too little of a name to be sure (人民政府, 商务局)
        fuller = [n for k, n in by_key.items() if k != short_key and k.endswith(short_key) and _REGION.search(k[: -len(short_key)])]
        if len(fuller) == 1:
            out[short] = fuller[0]
    return out


def chains(audited: list[Audited]) -> Iterator[list[Audited]]:
    """Each agency's readable reports, one per year (where a year has two files, the first by
    name; the other is still checked on its own)."""
    by_agency: dict[str, dict[int, Audited]] = {}
    for a in audited:
        if a.agency and a.result.year and a.result.kept is not None:
            by_agency.setdefault(key(a.agency), {}).setdefault(a.result.year, a)
    for years in by_agency.values():
        yield [years[y] for y in sorted(years)]


def _compare(before: Audited, after: Audited) -> None:
    """What the year before adds to the check of ``after`` (its own problems are already there)."""
    last, report = before.result.kept, after.result.kept
    if report.year != last.year + 1:
        return  # a gap of years: 上年 is not this one
    alone = set(check_report(report))
    chain = [p for p in check_report(report, previous=last) if p not in alone]
    if Path(after.result.path).suffix.lower() in PUBLISHED_SUFFIXES:
        from ..importers import as_published

        chain = as_published(report, chain)  # placed by table and labels, as its other problems are
    after.chain = chain
    after.previous = before.result.path


UNKNOWN_AGENCY = "（单位名称无法确定）"


def agency_rows(audited: list[Audited]) -> dict[str, list[Audited]]:
    out: dict[str, list[Audited]] = {}
    for a in audited:
        out.setdefault(a.agency or UNKNOWN_AGENCY, []).append(a)
    return out


def spellings(items: list[Audited]) -> list[str]:
    """The names an agency's reports write it by, where they differ from the one it is grouped by."""
    return sorted({a.name for a in items if a.name and a.name != a.agency})


def to_json(audited: list[Audited]) -> dict:
    reports = []
    for a in audited:
        r = a.result
        reports.append({
            "file": r.path, "agency": a.agency or None, "name_in_report": a.name or None, "year": r.year, "status": a.status, "message": r.message,
            **dict(zip(("errors", "warnings"), count(a.problems))),
            "families": dict(a.families()), "previous_file": a.previous or None,
            "problems": [p.to_dict() for p in r.problems], "chain": [p.to_dict() for p in a.chain],
        })
    counts = Counter(a.status for a in audited)
    return {"reports": reports, "agencies": len({key(a.agency) for a in audited if a.agency}),
            **{status: counts.get(status, 0) for status in STATUS_NAMES}}


FAMILY_ORDER = tuple(FAMILIES.values())
OVERVIEW_SHEET, PROBLEMS_SHEET = spec.SHEET_AUDIT_REPORTS, spec.SHEET_AUDIT_PROBLEMS
OVERVIEW_COLUMNS = (*spec.AUDIT_REPORT_COLUMNS[0], *FAMILY_ORDER, *spec.AUDIT_REPORT_COLUMNS[1])
CHAIN_COLUMNS, PROBLEM_COLUMNS = spec.AUDIT_CHAIN_COLUMNS, spec.AUDIT_PROBLEM_COLUMNS
CHAIN_SHEETS_AT_MOST = 200  # more agencies than this: their chains share one sheet
_SHEET_CHARS = 31


class _OverviewBook:
    """The overview workbook being written: its formats, and sheets with a header row."""

    def __init__(self, path: Path, scratch: str):
        from ..xlsx.writer import new_workbook  # xlsxwriter: only for an overview

        self.path = path
        self.wb = wb = new_workbook(path, scratch)
        self.head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "font_name": "宋体", "text_wrap": True, "valign": "top"})
        self.body = wb.add_format({"font_name": "宋体", "text_wrap": True, "valign": "top"})
        self.link = wb.add_format({"font_name": "宋体", "font_color": "blue", "underline": 1, "valign": "top"})
        self.bad = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})

    def sheet(self, name: str, columns: tuple[str, ...], widths: dict[int, int]):
        from ..xlsx.writer import print_setup

        ws = self.wb.add_worksheet(name)
        for c, text in enumerate(columns):
            ws.write_string(0, c, text, self.head)
            ws.set_column(c, c, widths.get(c, 8))
        ws.freeze_panes(1, 0)
        print_setup(ws, landscape=True, header_rows=1)
        return ws

    def row(self, ws, r: int, values: list, file_col: int, file: str) -> None:
        for c, v in enumerate(values):
            if c == file_col and file:
                # relative to the overview's folder: the link still works when the folder moves with it
                target = os.path.relpath(Path(file).resolve(), Path(self.path).resolve().parent)
                ws.write_url(r, c, "external:" + target, self.link, string=shown_path(file))
            elif isinstance(v, int) and not isinstance(v, bool):
                ws.write_number(r, c, v, self.body)
            else:
                ws.write_string(r, c, "" if v is None else str(v), self.body)


def _overview_sheet(book: _OverviewBook, audited: list[Audited]) -> None:
    last_col = len(OVERVIEW_COLUMNS) - 1
    ws = book.sheet(OVERVIEW_SHEET, OVERVIEW_COLUMNS, {0: 28, 2: 40, 3: 8, last_col - 1: 40, last_col: 50})
    for r, a in enumerate(audited, 1):
        fam = a.families()
        book.row(ws, r, [a.agency, a.result.year or "", a.result.path, STATUS_NAMES[a.status], *count(a.problems),
                         *(fam.get(f, 0) for f in FAMILY_ORDER), shown_path(a.previous) if a.previous else "", a.result.message],
                 file_col=2, file=a.result.path)
    last = max(len(audited), 1)
    ws.autofilter(0, 0, last, last_col)
    ws.conditional_format(1, 3, last, 3, {"type": "text", "criteria": "not containing", "value": "通过", "format": book.bad})


def _chain_sheets(book: _OverviewBook, audited: list[Audited]) -> None:
    """Each agency's years, on a sheet of its own; past CHAIN_SHEETS_AT_MOST agencies, on one
    shared sheet with the agency in the first column."""
    groups = agency_rows(audited)
    own_sheets = len(groups) <= CHAIN_SHEETS_AT_MOST
    shared = None if own_sheets else book.sheet(spec.SHEET_AUDIT_CHAINS, (PROBLEM_COLUMNS[0],) + CHAIN_COLUMNS, {0: 28, 2: 40, 10: 60})
    shared_row = 1
    used: set[str] = {OVERVIEW_SHEET, PROBLEMS_SHEET, spec.SHEET_AUDIT_CHAINS}
    for agency, items in groups.items():
        if own_sheets:
            ws, r = book.sheet(_sheet_name(agency, used), CHAIN_COLUMNS, {1: 40, 9: 60}), 1
        else:
            ws, r = shared, shared_row
        for a in items:
            values = [a.result.year or "", a.result.path, STATUS_NAMES[a.status], *count(a.problems), *_chain_marks(a),
                      "；".join(p.message for p in a.chain)]
            book.row(ws, r, ([] if own_sheets else [agency]) + values, file_col=1 if own_sheets else 2, file=a.result.path)
            r += 1
        if not own_sheets:
            shared_row = r


def _problems_sheet(book: _OverviewBook, audited: list[Audited]) -> None:
    from ..format.spec import SEVERITY_NAMES

    ws = book.sheet(PROBLEMS_SHEET, PROBLEM_COLUMNS, {0: 28, 2: 40, 5: 16, 6: 30, 7: 70, 8: 14, 9: 14, 10: 22})
    r = 1
    for a in audited:
        rows = [[a.agency, a.result.year or "", a.result.path, SEVERITY_NAMES[p.severity], family(p.code), p.place,
                 p.item, p.message, p.expected, p.actual, p.code] for p in a.problems]
        if a.result.status == "unreadable" and not a.result.problems:
            rows.append([a.agency, "", a.result.path, "错误", "读取", "", "", a.result.message, "", "", "unreadable"])
        for values in rows:
            book.row(ws, r, values, file_col=2, file=a.result.path)
            r += 1
    ws.autofilter(0, 0, max(r - 1, 1), len(PROBLEM_COLUMNS) - 1)


def write_overview(path: Path, audited: list[Audited]) -> None:
    """The overview workbook: a row per report, a sheet per agency's chain of years, every problem
    with a link to its file."""
    # xlsxwriter's part files in a folder of our own: with none to be had (a full disk) it would
    # fail with its zip half open, whose __del__ then prints a traceback after the one line
    with scratch_dir() as scratch:
        book = _OverviewBook(path, scratch)
        _overview_sheet(book, audited)
        _chain_sheets(book, audited)
        _problems_sheet(book, audited)
        book.wb.close()


_CHAIN_CODES = ("previous-carry-over", "previous-in-force", "text-copied", "prose-arithmetic")


def _chain_marks(a: Audited) -> list[str]:
    """Per check of the chain: 符合, the number of problems, or — where there was no year before."""
    if not a.previous:
        return ["—"] * len(_CHAIN_CODES)
    found = Counter(p.code for p in a.chain)
    return ["符合" if not found[c] else f"{found[c]}处不符" for c in _CHAIN_CODES]


def _sheet_name(agency: str, used: set[str]) -> str:
    base = "".join("_" if ch in "[]:*?/\\" else ch for ch in agency).strip("'") or "单位"
    name = base[:_SHEET_CHARS]
    n = 2
    while name in used:
        suffix = f"（{n}）"
        name = base[: _SHEET_CHARS - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name
