"""The command line: parse options, call one library function, print, exit.

Exit codes: 0 clean, 1 problems found, 2 usage error or unreadable input.
"""

from __future__ import annotations

import datetime as _dt
import re
import sys
from pathlib import Path

import click

from . import __version__
from .errors import XlreportError

EXIT_PROBLEMS = 1
EXIT_UNUSABLE = 2


class Fail(click.ClickException):
    """A one-line Chinese message and exit 2."""

    exit_code = EXIT_UNUSABLE

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint

    def format_message(self) -> str:
        return f"{self.message}（{self.hint}）" if self.hint else self.message

    def show(self, file=None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True)


def fail_from(e: XlreportError) -> Fail:
    return Fail(e.message, e.hint)


def safe_filename(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip() or "报告"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlreport", message="%(prog)s %(version)s")
def cli():
    """政府信息公开工作年度报告：Excel 填报、校验、生成 Word 报告。

    \b
    xlreport new     生成填报用的 Excel 工作簿
    """


def _year_option(value):
    from .model import parse_year

    if value is None:
        return None
    try:
        return parse_year(value, lambda msg: Fail(f"--year：{msg}"))
    except Fail:
        raise


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=True, path_type=Path), help="输出文件（.xlsx）；默认为“机关名称+年度+年政府信息公开工作年度报告.xlsx”")
@click.option("--agency", help="机关名称，如“上犹县商务局”")
@click.option("--year", help="报告年度（四位数）；默认为上一年")
@click.option("--data", "data_file", type=click.Path(path_type=Path), help="用 JSON 报告（见 report.schema.json）预先填好全部数字和正文")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件")
def new(output, agency, year, data_file, force):
    """生成填报用的 Excel 工作簿。"""
    from .model import Report, load_json_file, clean_text
    from .workbook import write_workbook

    year = _year_option(year)
    try:
        report = load_json_file(data_file) if data_file else Report()
    except XlreportError as e:
        raise fail_from(e)
    if agency is not None:
        report.meta["agency"] = clean_text(agency) or None
    if year is not None:
        report.meta["year"] = year
    if report.meta.get("year") is None:
        report.meta["year"] = _dt.date.today().year - 1
    if output is None:
        output = Path(f"{safe_filename(report.meta.get('agency') or '')}{report.meta['year']}年政府信息公开工作年度报告.xlsx")
    if output.suffix.lower() != ".xlsx":
        raise Fail(f"{output}：输出文件应以 .xlsx 结尾")
    try:
        write_workbook(output, report, force=force)
    except XlreportError as e:
        raise fail_from(e)
    click.echo(f"已生成：{output}")


def main() -> None:
    # A GBK console (Windows 中文版) or a pipe must never raise UnicodeEncodeError.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):
            pass
    cli(prog_name="xlreport")


if __name__ == "__main__":
    main()
