"""What the commands print, and how a run that cannot go on ends: every line goes through
``say``, so that text that came from a file (cell text, file names, an accept reason) reaches the
console with its control characters escaped; ``Fail`` is one Chinese line and exit 2."""

from __future__ import annotations

import sys

import click

from ..errors import XlreportError
from ..shown import shown, shown_line

EXIT_PROBLEMS = 1
EXIT_UNUSABLE = 2
EXIT_INTERRUPTED = 130


def say(text: str = "", err: bool = False, nl: bool = True) -> None:
    emit(shown(text), err=err, nl=nl)


def say_line(text: str, err: bool = False) -> None:
    """A message of one line, whatever the names and values in it hold: a line break in a file
    name (an input's, an output's, one quoted deep in a reader's message) would start a line
    that looks like the program's own."""
    emit(shown_line(text), err=err)


class OutputLost(Exception):
    """Writing to the console or to where the output was sent failed (a full disk, a closed pipe)."""

    written = None  # the file whose announcement was lost: it is whole, and kept


def say_written(text: str, written, err: bool = False) -> None:
    """The line that announces a file now written whole. Should it not reach the console, the
    error that ends the run (exit 2) still says the file is there and whole: it is kept, as
    nothing half-written is."""
    try:
        say_line(text, err=err)
    except OutputLost as e:
        e.written = written
        raise


def emit(text: str, err: bool = False, nl: bool = True) -> None:
    """``text`` as it is (JSON, already safe), to stdout or stderr."""
    if (sys.stderr if err else sys.stdout) is None:  # started with it closed (>&-): click would drop the text unsaid
        raise OutputLost("标准错误输出已关闭" if err else "标准输出已关闭")
    try:
        click.echo(text, err=err, nl=nl)
    except OSError as e:
        raise OutputLost(e.strerror or type(e).__name__) from None


class Fail(click.ClickException):
    """A one-line Chinese message and exit 2."""

    exit_code = EXIT_UNUSABLE

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint

    def format_message(self) -> str:
        return f"{self.message}（{self.hint}）" if self.hint else self.message

    def show(self, file=None) -> None:
        say_line(f"错误：{self.format_message()}", err=True)


def fail_from(e: XlreportError) -> Fail:
    return Fail(e.message, e.hint)
