"""How check's results are printed: one file's problems, a folder's summary table followed by
each file's problems (spooled to disk until the end), or one JSON document, streamed."""

from __future__ import annotations

import shutil
import sys

from ..shown import shown_line, shown_path
from .say import emit, say, say_line


def print_one(r) -> None:
    from ..texttable import lapsed_lines, render_problems, summary_line

    if r.status == "unreadable":
        say_line(f"错误：{r.message}" + (f"（{r.hint}）" if r.hint else ""), err=True)
        if r.problems:
            say(render_problems(r.problems, terminal_columns()), err=True)
        return
    who = " ".join(x for x in (shown_line(r.agency or ""), f"{r.year}年" if r.year else "") if x)
    say(f"文件：{shown_path(r.path)}" + (f"（{who}）" if who else ""))
    if r.problems:
        say(render_problems(r.problems, terminal_columns()))
    for line in lapsed_lines(r.lapsed):
        say(line)
    say(summary_line(r.errors, r.warnings, sum(1 for p in r.problems if p.accepted)))


SUMMARY_WIDTHS = (48, 28, 6, 6, 6, 8)


def summary_widths(columns: int | None) -> tuple[int, ...]:
    """The folder summary's column widths: as declared, or on a narrower terminal the file and
    agency columns narrowed (their text wraps) so that every line fits."""
    fixed = sum(SUMMARY_WIDTHS[2:]) + 2 * (len(SUMMARY_WIDTHS) - 1)
    if columns is None or columns >= fixed + SUMMARY_WIDTHS[0] + SUMMARY_WIDTHS[1]:
        return SUMMARY_WIDTHS
    room = max(columns - fixed, 20)
    file = max(12, room * 3 // 5)
    return (file, room - file, *SUMMARY_WIDTHS[2:])


def terminal_columns() -> int | None:
    """The width of the clerk's terminal; None when the output goes to a file or a pipe (the
    table then stays whole, one line per problem row, for grep and diff)."""
    if sys.stdout is None or not sys.stdout.isatty():  # None: started with its output closed
        return None
    return shutil.get_terminal_size((80, 24)).columns


class BatchPrinter:
    """What check prints, fed one result at a time. Many files: the summary table, then each
    file's problems (both spooled to disk until the end); one file: its problems; --json: one
    document, streamed."""

    def __init__(self, as_json: bool, single: bool, summary_only: bool):
        from ..format.spec import BATCH_FILE_COLUMNS
        from ..office.spool import RowSpool, TextSpool

        self.as_json, self.single = as_json, single
        self.first = None
        self.counts = {"ok": 0, "errors": 0, "unreadable": 0}
        self.errors = self.warnings = 0
        widths = summary_widths(terminal_columns())
        self.rows = RowSpool(BATCH_FILE_COLUMNS[: len(widths)], widths) if not as_json and not single else None
        self.details = TextSpool() if self.rows is not None and not summary_only else None

    @property
    def unreadable(self) -> int:
        return self.counts["unreadable"]

    @property
    def with_errors(self) -> int:
        return self.counts["errors"]

    def add(self, r) -> None:
        if self.first is None:
            self.first = r
        self.counts[r.status] += 1
        self.errors += r.errors
        self.warnings += r.warnings
        if self.as_json:
            self._json(r)
        elif self.rows is not None:
            self.rows.add((r.path, r.agency or "—", str(r.year or "—"), str(r.errors), str(r.warnings), r.status_name))
            if self.details is not None and not (r.status == "ok" and not r.problems):
                self.details.add(details(r))

    def _json(self, r) -> None:
        from ..shown import json_text

        item = {
            "file": r.path, "status": r.status, "message": r.message, "hint": r.hint,
            "agency": r.agency, "year": r.year, "errors": r.errors, "warnings": r.warnings,
            "problems": [p.to_dict() for p in r.problems],
        }
        lead = '{\n  "files": [\n' if sum(self.counts.values()) == 1 else ",\n"
        # indented JSON has no blank line and no raw line end inside a string: every line is moved in
        emit(lead + "    " + json_text(item).replace("\n", "\n    "), nl=False)

    def finish(self) -> None:
        if self.as_json:
            total = sum(self.counts.values())
            head = '{\n  "files": []' if not total else "\n  ]"
            emit(f'{head},\n  "errors": {self.errors},\n  "warnings": {self.warnings},\n  "unreadable": {self.unreadable}\n}}')
        elif self.single:
            print_one(self.first)
        else:
            for line in self.rows.lines():
                say(line)
            total = sum(self.counts.values())
            say(f"共 {total} 个文件：{self.counts['ok']} 个通过，{self.counts['errors']} 个有错误，{self.unreadable} 个无法读取。")
            if self.details is not None:
                self.details.copy_to(lambda chunk: say(chunk, nl=False))
        self.close()

    def close(self) -> None:
        for spool in (self.rows, self.details):
            if spool is not None:
                spool.close()


def details(r) -> str:
    from ..texttable import render_problems

    if r.status == "unreadable":
        lines = ["", f"== {r.path}：无法读取 ==", r.message + (f"（{r.hint}）" if r.hint else "")]
        if r.problems:
            lines.append(render_problems(r.problems, terminal_columns()))
        return "\n".join(lines)
    return "\n".join(["", f"== {r.path}（{r.agency or '机关名称未填'}）：{r.errors} 个错误、{r.warnings} 个提醒 ==", render_problems(r.problems, terminal_columns())])
