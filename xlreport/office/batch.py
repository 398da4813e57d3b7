"""Many workbooks at once: collect the files, check them (on every core), write an overview.

Results always come back in the order of the inputs, whatever the scheduling.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .. import limits
from ..errors import InputError, XlreportError
from ..output import scratch_dir
from ..api import SPREADSHEET_SUFFIXES
from .pool import Failed, Pool, default_workers
from ..shown import shown_line, shown_path
from ..problems import Problem
from ..format.spec import BATCH_FILE_COLUMNS, BATCH_PROBLEM_COLUMNS, SHEET_OVERVIEW, SHEET_PROBLEMS

PARALLEL_FROM = 16  # below this many files a worker pool costs more than it saves

# warnings and missing: what audit and the office server tell apart besides
STATUS_NAMES = {"ok": "通过", "warnings": "有提醒", "errors": "有错误", "unreadable": "无法读取", "missing": "未提交"}


@dataclass(slots=True)
class FileResult:
    """One file of a batch: its status, counts and problems, as the overview and --json show them."""

    path: str
    status: str  # ok | errors | unreadable (| missing, in the office server's overview)
    agency: str | None = None
    year: int | None = None
    errors: int = 0
    warnings: int = 0
    problems: list[Problem] = field(default_factory=list)
    message: str = ""
    hint: str = ""
    kept: object | None = None  # what check_one's ``keep`` made of the report
    lapsed: list = field(default_factory=list)  # acceptances that no longer hold
    merged: bool = False  # the input is itself the result of xlreport merge

    @property
    def status_name(self) -> str:
        return STATUS_NAMES[self.status]


def collect(inputs: Iterable[Path], suffixes=SPREADSHEET_SUFFIXES) -> list[str]:
    """Files as given, and the spreadsheets inside folders (recursive, sorted, hidden and ~$ lock
    files skipped), as path strings: a province's ten thousand Path objects would weigh more
    than the batch's own bookkeeping."""
    out: list[str] = []
    seen: set[str] = set()
    resolved: dict[str, str] = {}

    def key(path: str) -> str:
        # a file named twice (or inside a folder also named) is checked once: compare real folders
        folder, name = os.path.split(path)
        real = resolved.get(folder)
        if real is None:
            real = resolved[folder] = str(Path(folder).resolve()) if os.path.exists(folder or ".") else folder
        return os.path.join(real, name)

    for item in inputs:
        item = Path(item)
        if item.is_dir():
            found = []
            for root, dirs, files in os.walk(item):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [os.path.join(root, name) for name in files
                          if not name.startswith((".", "~$")) and name.lower().endswith(suffixes)]
            found.sort()
        else:
            found = [str(item)]
        for path in found:
            k = key(path)
            if k not in seen:
                seen.add(k)
                out.append(path)
    return out


def whole_report(report):
    """For ``keep``: the report itself (an annotated copy is rebuilt from it)."""
    return report


def check_one(path: Path, strict: bool = False, keep: Callable | None = None, with_text: bool = True,
              previous=None) -> FileResult:
    """Check one file; ``keep(report)`` (a module-level function: it runs in a worker) says what
    of the report comes back with the result."""
    from ..api import check_file

    try:
        checked = check_file(path, strict=strict, with_text=with_text, previous=previous)
    except XlreportError as e:
        problems = list(getattr(e, "problems", []) or [])
        # one line each, whatever a file's name holds: a reader's message quotes the name as it is
        return FileResult(str(path), "unreadable", message=shown_line(e.message), hint=shown_line(e.hint), problems=problems,
                          errors=max(1, len(problems)))
    report = checked.report
    return FileResult(
        str(path), "errors" if checked.errors else "ok", report.agency or None, report.year, checked.errors, checked.warnings,
        checked.problems, kept=keep(report) if keep else None, lapsed=checked.lapsed, merged=checked.merged,
    )


def _worker(args) -> FileResult:
    path, strict, keep, with_text, previous = args
    try:
        return check_one(path, strict, keep, with_text, previous)
    except MemoryError:
        raise  # the pool (or the loop below) reports the limit
    except Exception as e:  # a bug must not sink the whole batch: report it on that file's row
        return FileResult(str(path), "unreadable", message=f"{shown_path(path)}：读取时出现内部错误（{type(e).__name__}）",
                          hint="请把这个文件发给 xlreport 的维护者")


def _failed(path: str, failure: Failed) -> FileResult:
    """A file whose worker died, ran out of memory or of time: one line, the batch goes on."""
    where = shown_path(path)
    if failure.why == "time":
        limit = limits.FILE_SECONDS
        message = f"{where}：无法读取：{limit.name}超过上限（上限{limit.shown()}），已停止读取这个文件"
    elif failure.why == "memory":
        limit = limits.WORKER_MEMORY
        message = f"{where}：无法读取：{limit.name}超过上限（上限{limit.shown()}），已停止读取这个文件"
    else:
        message = (f"{where}：无法读取：读取这个文件的进程意外退出（{failure.detail}；"
                   f"可能超过{limits.WORKER_MEMORY.name}的上限{limits.WORKER_MEMORY.shown()}）")
    return FileResult(path, "unreadable", message=message, hint="文件可能已损坏或是伪造的；其余文件照常检查", errors=1)


def check_many(paths: list[Path], strict: bool = False, keep: Callable | None = None, with_text: bool = True,
               workers: int | None = None, progress: Callable[[int], None] | None = None, previous=None) -> Iterator[FileResult]:
    """Check every file, in input order; ``workers`` 1 runs in this process. In worker processes
    each file has a memory and a time limit (limits.WORKER_MEMORY, FILE_SECONDS), and a file
    that breaks its worker costs only its own line."""
    if workers is None:
        workers = default_workers()
    if workers <= 1 or len(paths) < PARALLEL_FROM:
        for p in paths:
            try:
                result = _worker((p, strict, keep, with_text, previous))
            except MemoryError:
                result = _failed(str(p), Failed("memory"))
            if progress:
                progress(1)
            yield result
        return
    chunk = max(1, min(32, len(paths) // (workers * 8)))
    pool = Pool(_worker, workers, memory=limits.WORKER_MEMORY.value, seconds=limits.FILE_SECONDS.value, chunk=chunk)
    jobs = ((p, strict, keep, with_text, previous) for p in paths)
    for path, result in zip(paths, pool.map(jobs)):
        if isinstance(result, Failed):
            result = _failed(str(path), result)
        if progress:
            progress(1)
        yield result


def file_row(r: FileResult) -> list:
    return [shown_path(r.path), r.agency or "", r.year or "", r.errors, r.warnings, r.status_name, r.message]


def problem_rows(r: FileResult) -> list[list]:
    from ..format.spec import SEVERITY_NAMES

    rows = []
    path = shown_path(r.path)
    if r.status == "unreadable" and not r.problems:
        rows.append([path, "", "错误", "", "", "", r.message, "", "", "unreadable"])
    for p in r.problems:
        rows.append([path, r.agency or "", SEVERITY_NAMES[p.severity], p.sheet, p.cell, p.item, p.message, p.expected, p.actual, p.code])
    return rows


class OverviewWriter:
    """The office's overview workbook: one row per file, and every problem, with filters and
    frozen headers. Rows go to disk as they come (xlsxwriter's constant_memory mode), so the
    overview of ten thousand files takes no more memory than that of ten."""

    def __init__(self, path: Path):
        from ..xlsx.writer import new_workbook, print_setup  # xlsxwriter: only for an overview

        # xlsxwriter keeps its row files in tmpdir and leaves them there when the run is
        # interrupted: a folder of our own, removed on the way out whatever happened
        self._tmp = scratch_dir()
        self._wb = wb = new_workbook(path, self._tmp.name, constant_memory=True)
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "font_name": "宋体"})
        self._body = wb.add_format({"font_name": "宋体", "text_wrap": True, "valign": "top"})
        self._bad = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self._sheets = []
        for name, headers, widths in (
            (SHEET_OVERVIEW, BATCH_FILE_COLUMNS, (50, 28, 8, 8, 8, 10, 60)),
            (SHEET_PROBLEMS, BATCH_PROBLEM_COLUMNS, (50, 28, 8, 16, 8, 36, 70, 14, 14, 26)),
        ):
            ws = wb.add_worksheet(name)
            for c, w in enumerate(widths):
                ws.set_column(c, c, w)
            for c, text in enumerate(headers):
                ws.write_string(0, c, text, head)
            ws.freeze_panes(1, 0)
            print_setup(ws, landscape=True, header_rows=1)
            self._sheets.append([ws, 1, len(headers)])

    def _write(self, which: int, row: list) -> None:
        ws, r, _ = sheet = self._sheets[which]
        for c, v in enumerate(row):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                ws.write_number(r, c, v, self._body)
            else:
                ws.write_string(r, c, "" if v is None else str(v), self._body)
        sheet[1] = r + 1

    def add(self, r: FileResult) -> None:
        self._write(0, file_row(r))
        for row in problem_rows(r):
            self._write(1, row)

    def close(self) -> None:
        for i, (ws, rows, cols) in enumerate(self._sheets):
            ws.autofilter(0, 0, max(rows - 1, 1), cols - 1)
            if i == 0 and rows > 1:
                ws.conditional_format(1, 5, rows - 1, 5, {"type": "text", "criteria": "not containing", "value": "通过", "format": self._bad})
        self._wb.close()

    def __enter__(self) -> "OverviewWriter":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        try:
            if kind is None:
                self.close()
            else:
                for ws, _, _ in self._sheets:  # an interrupted run: let go of the row files
                    fh = getattr(ws, "row_data_fh", None)
                    if fh is not None:
                        fh.close()
        finally:
            self._tmp.cleanup()


__all__ = ["FileResult", "collect", "check_many", "check_one", "OverviewWriter", "file_row", "problem_rows", "InputError"]
