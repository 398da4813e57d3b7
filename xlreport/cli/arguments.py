"""The checks on the arguments that every command shares, made before any work: outputs that
would overwrite an input or exist already, the suffix an output needs, the year, last year's
report; and the progress bar."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import click

from ..errors import XlreportError
from ..shown import shown_path
from .say import Fail, fail_from


def year_option(value):
    from ..model import parse_year

    return None if value is None else parse_year(value, lambda msg: Fail(f"--year：{msg}"))


def refuse_overlap(outputs, inputs=(), folders=()) -> None:
    from ..api import SPREADSHEET_SUFFIXES
    from ..output import refuse_overlap

    try:
        refuse_overlap(outputs, inputs, folders, SPREADSHEET_SUFFIXES)
    except XlreportError as e:
        raise fail_from(e)


def split_inputs(inputs) -> tuple[list[Path], list[Path]]:
    files = [Path(i) for i in inputs if not Path(i).is_dir()]
    return files, [Path(i) for i in inputs if Path(i).is_dir()]


def check_targets(targets, force: bool) -> None:
    """Say so before the work (checking ten thousand files), not after."""
    from ..output import check_target

    for target in targets:
        try:
            if target is not None:
                check_target(target, force)
        except XlreportError as e:
            raise fail_from(e)


def need_suffix(path: Path | None, suffixes: tuple[str, ...], what: str = "") -> None:
    if path is not None and path.suffix.lower() not in suffixes:
        names = " 或 ".join(suffixes)
        raise Fail(f"{shown_path(path)}：{what}输出文件应以 {names} 结尾")


@contextmanager
def progress(show: bool, length: int, label: str):
    """A progress bar on a terminal, nothing when piped: yields the step callback (or None)."""
    if not show:
        yield None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield bar.update


def load_previous(path: Path | None):
    """Last year's report, from a workbook, a JSON report or a published report."""
    if path is None:
        return None
    from ..api import load

    try:
        return load(path).report
    except XlreportError as e:
        raise Fail(f"--previous：{e.message}", e.hint)
