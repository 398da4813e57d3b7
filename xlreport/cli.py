"""The command line: parse options, call one library function, print, exit.

Exit codes: 0 clean, 1 problems found, 2 usage error or unreadable input.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import sys
from contextlib import ExitStack, contextmanager
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
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip()


def report_name(report) -> str:
    """<机关名称><年度>年政府信息公开工作年度报告, the name the published report carries."""
    year = f"{report.year}年" if report.year else ""
    return f"{safe_filename(report.agency or '')}{year}政府信息公开工作年度报告"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlreport", message="%(prog)s %(version)s")
def cli():
    """政府信息公开工作年度报告：Excel 填报、校验、生成 Word 报告。

    \b
    xlreport new     生成填报用的 Excel 工作簿
    xlreport check   检查填好的工作簿、JSON 报告或已发布的报告
    xlreport export  把工作簿导出为 JSON 报告
    xlreport import  读取已发布的报告（网页、Word、PDF、文本），导出为 JSON 或工作簿
    xlreport build   生成 Word 年度报告（可同时生成 PDF）
    xlreport template 导出默认 Word 模板，供修改版式
    xlreport merge   把多个单位的工作簿汇总成一份
    xlreport accept  写明理由，确认一条提醒
    """


def _year_option(value):
    from .model import parse_year

    return None if value is None else parse_year(value, lambda msg: Fail(f"--year：{msg}"))


def _without(paths: list[str], target: Path | None) -> list[str]:
    """The inputs less the command's own output (only a file of that name is resolved)."""
    if target is None:
        return paths
    key = target.resolve()
    return [p for p in paths if os.path.basename(p) != target.name or Path(p).resolve() != key]


@contextmanager
def _progress(show: bool, length: int, label: str):
    """A progress bar on a terminal, nothing when piped: yields the step callback (or None)."""
    if not show:
        yield None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield bar.update


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=True, path_type=Path), help="输出文件（.xlsx）；默认为“机关名称+年度+年政府信息公开工作年度报告.xlsx”")
@click.option("--agency", help="机关名称，如“上犹县商务局”")
@click.option("--year", help="报告年度（四位数）；默认为上一年")
@click.option("--data", "data_file", type=click.Path(path_type=Path), help="用 JSON 报告（见 report.schema.json）预先填好全部数字和正文")
@click.option("--previous", "previous_file", type=click.Path(path_type=Path), help="用上一年度的报告（工作簿、JSON 或已发布的报告）预先填好基本信息、年度和上年结转")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件")
def new(output, agency, year, data_file, previous_file, force):
    """生成填报用的 Excel 工作簿。"""
    from .model import Report, load_json_file, clean_text
    from .workbook import write_workbook

    year = _year_option(year)
    if data_file and previous_file:
        raise click.UsageError("--data 和 --previous 只能用其中一个")
    try:
        report = load_json_file(data_file) if data_file else Report()
    except XlreportError as e:
        raise fail_from(e)
    if previous_file:
        from .previous import next_year_report

        last = _load_previous(previous_file)
        from .spec import YEAR_MAX

        if last.year is not None and last.year + 1 > YEAR_MAX:
            raise Fail(f"--previous：上一年度报告的年度为{last.year}年，下一年超出范围")
        report = next_year_report(last)
    if agency is not None:
        report.meta["agency"] = clean_text(agency) or None
    if year is not None:
        report.meta["year"] = year
    if report.meta.get("year") is None:
        report.meta["year"] = _dt.date.today().year - 1
    if output is None:
        output = Path(f"{report_name(report)}.xlsx")
    if output.suffix.lower() != ".xlsx":
        raise Fail(f"{output}：输出文件应以 .xlsx 结尾")
    try:
        write_workbook(output, report, force=force)
    except XlreportError as e:
        raise fail_from(e)
    click.echo(f"已生成：{output}")


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（格式见 docs/check-json.md）")
@click.option("--strict", is_flag=True, help="空白的数字单元格也算错误")
@click.option("--annotate", "annotate_out", type=click.Path(path_type=Path), help="另存一份标注了问题的工作簿副本（.xlsx），原文件不变；只用于一个文件")
@click.option("--summary-only", is_flag=True, help="多个文件时只列汇总表，不列每个文件的问题明细")
@click.option("--report", "overview", type=click.Path(path_type=Path), help="另存一份检查结果总览工作簿（.xlsx）：每个文件一行，另附问题清单")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="并行进程数；默认为 CPU 核数")
@click.option("--previous", "previous_file", type=click.Path(path_type=Path), help="上一年度的报告（工作簿、JSON 或已发布的报告），核对上年结转、现行有效件数、年度和雷同")
@click.option("--force", is_flag=True, help="覆盖已存在的 --annotate / --report 输出文件")
def check(inputs, as_json, strict, annotate_out, summary_only, overview, jobs, previous_file, force):
    """检查工作簿或 JSON 报告：数字格式、勾稽关系和全部规则。

    可以给出多个文件或文件夹（文件夹中的 .xlsx/.xlsm/.xls/.ods 逐个检查，含子文件夹）。
    已发布的报告（.html/.htm、.docx、.pdf、.txt）直接给出文件名即可检查。

    退出码：0 没有错误（可以有提醒），1 发现错误，2 有文件无法读取或用法错误。
    """
    from .batch import check_many, collect

    paths = _without(collect(inputs), overview)  # a second run must not check last run's overview
    if not paths:
        raise Fail("在" + "、".join(str(p) for p in inputs) + "中没有找到电子表格文件（.xlsx/.xlsm/.xls/.ods）")
    if annotate_out is not None:
        if len(paths) != 1:
            raise click.UsageError("--annotate 只能用于一个输入文件")
        if annotate_out.suffix.lower() != ".xlsx":
            raise Fail(f"{annotate_out}：--annotate 的输出文件应以 .xlsx 结尾")
    if overview is not None and overview.suffix.lower() != ".xlsx":
        raise Fail(f"{overview}：--report 的输出文件应以 .xlsx 结尾")
    from .output import check_target

    for target in (overview, annotate_out):
        try:
            if target is not None:
                check_target(target, force)  # say so before checking ten thousand files, not after
        except XlreportError as e:
            raise fail_from(e)
    single = len(paths) == 1 and not any(Path(i).is_dir() for i in inputs)
    if previous_file is not None and not single:
        raise click.UsageError("--previous 只能用于一个输入文件")
    previous = _load_previous(previous_file)
    from .batch import whole_report

    keep = whole_report if annotate_out is not None else None  # the annotated copy is regenerated from the report read
    show_bar = not as_json and not single and sys.stderr.isatty()
    printer = _BatchPrinter(as_json, single, summary_only)
    try:
        with ExitStack() as stack:
            writer = None
            if overview is not None:
                from .batch import OverviewWriter
                from .output import atomic_target

                writer = OverviewWriter(stack.enter_context(atomic_target(overview, force)))
            step = stack.enter_context(_progress(show_bar, len(paths), "检查中"))
            for r in check_many(paths, strict, keep=keep, workers=jobs, progress=step, previous=previous):
                printer.add(r)
                if writer is not None:
                    writer.add(r)
            if writer is not None:
                writer.close()
    except XlreportError as e:
        raise fail_from(e)
    printer.finish()
    if overview is not None:
        click.echo(f"已生成检查结果总览：{overview}", err=as_json)
    if annotate_out is not None and printer.first.status != "unreadable":
        from .annotate import write_annotated

        try:
            write_annotated(annotate_out, printer.first.kept, printer.first.problems, force=force)
        except XlreportError as e:
            raise fail_from(e)
        click.echo(f"已生成标注副本：{annotate_out}", err=as_json)
    if printer.unreadable:
        sys.exit(EXIT_UNUSABLE)
    if printer.with_errors:
        sys.exit(EXIT_PROBLEMS)


def _print_one(r) -> None:
    from .terminal import lapsed_lines, render_problems, summary_line

    if r.status == "unreadable":
        click.echo(f"错误：{r.message}" + (f"（{r.hint}）" if r.hint else ""), err=True)
        if r.problems:
            click.echo(render_problems(r.problems), err=True)
        return
    who = " ".join(x for x in (r.agency, f"{r.year}年" if r.year else "") if x)
    click.echo(f"文件：{r.path}" + (f"（{who}）" if who else ""))
    if r.problems:
        click.echo(render_problems(r.problems))
    for line in lapsed_lines(r.lapsed):
        click.echo(line)
    click.echo(summary_line(r.errors, r.warnings, sum(1 for p in r.problems if p.accepted)))


SUMMARY_WIDTHS = (48, 28, 6, 6, 6, 8)


class _BatchPrinter:
    """What check prints, fed one result at a time. Many files: the summary table, then each
    file's problems (both spooled to disk until the end); one file: its problems; --json: one
    document, streamed."""

    def __init__(self, as_json: bool, single: bool, summary_only: bool):
        from .spec import BATCH_FILE_COLUMNS
        from .spool import RowSpool, TextSpool

        self.as_json, self.single = as_json, single
        self.first = None
        self.counts = {"ok": 0, "errors": 0, "unreadable": 0}
        self.errors = self.warnings = 0
        self.rows = RowSpool(BATCH_FILE_COLUMNS[: len(SUMMARY_WIDTHS)], SUMMARY_WIDTHS) if not as_json and not single else None
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
                self.details.add(_details(r))

    def _json(self, r) -> None:
        import json
        import textwrap

        item = {
            "file": r.path, "status": r.status, "message": r.message, "hint": r.hint,
            "agency": r.agency, "year": r.year, "errors": r.errors, "warnings": r.warnings,
            "problems": [p.to_dict() for p in r.problems],
        }
        lead = '{\n  "files": [\n' if sum(self.counts.values()) == 1 else ",\n"
        click.echo(lead + textwrap.indent(json.dumps(item, ensure_ascii=False, indent=2), "    "), nl=False)

    def finish(self) -> None:
        if self.as_json:
            total = sum(self.counts.values())
            head = '{\n  "files": []' if not total else "\n  ]"
            click.echo(f'{head},\n  "errors": {self.errors},\n  "warnings": {self.warnings},\n  "unreadable": {self.unreadable}\n}}')
        elif self.single:
            _print_one(self.first)
        else:
            for line in self.rows.lines():
                click.echo(line)
            total = sum(self.counts.values())
            click.echo(f"共 {total} 个文件：{self.counts['ok']} 个通过，{self.counts['errors']} 个有错误，{self.unreadable} 个无法读取。")
            if self.details is not None:
                self.details.copy_to(lambda chunk: click.echo(chunk, nl=False))
        for spool in (self.rows, self.details):
            if spool is not None:
                spool.close()


def _details(r) -> str:
    from .terminal import render_problems

    if r.status == "unreadable":
        lines = ["", f"== {r.path}：无法读取 ==", r.message + (f"（{r.hint}）" if r.hint else "")]
        if r.problems:
            lines.append(render_problems(r.problems))
        return "\n".join(lines)
    return "\n".join(["", f"== {r.path}（{r.agency or '机关名称未填'}）：{r.errors} 个错误、{r.warnings} 个提醒 ==", render_problems(r.problems)])


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-o", "--output", default="-", help="输出的 JSON 文件；“-”或不填则输出到屏幕")
@click.option("--strict", is_flag=True, help="有空白数字单元格时视为错误")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件")
def export(file, output, strict, force):
    """把工作簿（或 JSON 报告）导出为 JSON 报告（格式见 docs/json.md）。"""
    from .api import load
    from .model import to_json
    from .output import atomic_target
    from .problems import sort_key

    try:
        loaded = load(file, strict=strict)
    except XlreportError as e:
        raise fail_from(e)
    errors = [p for p in loaded.problems if p.is_error]
    for p in sorted(loaded.problems, key=sort_key):
        click.echo(("错误：" if p.is_error else "提醒：") + p.line(), err=True)
    text = to_json(loaded.report)
    if output == "-":
        click.echo(text, nl=False)
    else:
        out = Path(output)
        try:
            with atomic_target(out, force) as tmp:
                tmp.write_text(text, encoding="utf-8")
        except XlreportError as e:
            raise fail_from(e)
        click.echo(f"已导出：{out}", err=True)
    if errors:
        sys.exit(EXIT_PROBLEMS)


@cli.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-o", "--output", default="-", help="输出文件：.json（JSON 报告）或 .xlsx（预先填好的工作簿）；“-”或不填则把 JSON 输出到屏幕")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件")
def import_(file, output, force):
    """读取已发布的年度报告（.html/.htm 网页、.docx、.pdf、.txt），导出为 JSON 报告或预先填好的工作簿。

    读取时不确定之处（猜测的标签、“/”“—”“无”或空白、带注释的数字等）逐条列为提醒，并写明在原文中的位置。
    2019年旧格式的报告、缺少表格的报告或不是年度报告的文件不导入（退出码 2）。
    """
    from .importers import import_report
    from .model import to_json
    from .output import atomic_target

    out = None if output == "-" else Path(output)
    if out is not None and out.suffix.lower() not in (".json", ".xlsx"):
        raise Fail(f"{out}：输出文件应以 .json 或 .xlsx 结尾")
    try:
        imported = import_report(file)
    except XlreportError as e:
        raise fail_from(e)
    for p in imported.problems:
        click.echo(("错误：" if p.is_error else "提醒：") + p.line(), err=True)
    try:
        if out is None:
            click.echo(to_json(imported.report), nl=False)
        elif out.suffix.lower() == ".xlsx":
            from .workbook import write_workbook

            write_workbook(out, imported.report, force=force)
        else:
            with atomic_target(out, force) as tmp:
                tmp.write_text(to_json(imported.report), encoding="utf-8")
    except XlreportError as e:
        raise fail_from(e)
    errors = sum(1 for p in imported.problems if p.is_error)
    if out is not None:
        click.echo(f"已导入：{out}（{len(imported.problems) - errors} 个提醒，{errors} 个错误）", err=True)
    if errors:
        sys.exit(EXIT_PROBLEMS)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="输出的 .docx；默认为输入文件旁的“机关名称+年度+年政府信息公开工作年度报告.docx”")
@click.option("--template", "template", type=click.Path(path_type=Path), help="自定义 Word 模板（由 xlreport template 导出后修改）")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 生成 PDF")
@click.option("--previous", "previous_file", type=click.Path(path_type=Path), help="上一年度的报告，同时核对与上年有关的提醒")
@click.option("--force", is_flag=True, help="有错误也生成；覆盖已存在的输出文件")
def build(file, output, template, pdf, previous_file, force):
    """由工作簿或 JSON 报告生成 Word 年度报告。先检查，有错误时不生成（--force 除外）。"""
    from .api import check_report, load
    from .render import convert_to_pdf, missing_fonts, render_docx
    from .terminal import render_problems, summary_line

    try:
        loaded = load(file)
    except XlreportError as e:
        raise fail_from(e)
    previous = _load_previous(previous_file)
    problems = check_report(loaded.report, loaded.problems, previous=previous)
    errors = [p for p in problems if p.is_error]
    if errors:
        click.echo(render_problems(problems), err=True)
        click.echo(summary_line(len(errors), len(problems) - len(errors)), err=True)
        if not force:
            click.echo("存在错误，未生成报告。请修改后重试，或加 --force 强制生成。", err=True)
            sys.exit(EXIT_PROBLEMS)
    report = loaded.report
    if output is None:
        output = Path(file).parent / f"{report_name(report)}.docx"
    if output.suffix.lower() != ".docx":
        raise Fail(f"{output}：输出文件应以 .docx 结尾")
    try:
        render_docx(report, output, template=template, force=force)
    except XlreportError as e:
        raise fail_from(e)
    if errors:
        click.echo(f"提醒：报告中有 {len(errors)} 个错误，已按 --force 强制生成。", err=True)
    click.echo(f"已生成：{output}")
    if pdf:
        target = output.with_suffix(".pdf")
        try:
            convert_to_pdf(output, target, force=force)
        except XlreportError as e:
            raise fail_from(e)
        click.echo(f"已生成：{target}")
        missing = missing_fonts()
        if missing:
            click.echo("提醒：本机没有公文字体" + "、".join(missing) + "，PDF 中已用其他字体代替；正式发布前请在装有这些字体的电脑上用 WPS/Word 打开 .docx 另存为 PDF。", err=True)


@cli.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("年度报告模板.docx"), show_default=True, help="输出的模板文件")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件")
def template(output, force):
    """导出默认 Word 模板。可在 Word/WPS 中修改版式，保留 {{ }} 和 {% %} 占位符，再用 build --template 使用。"""
    import shutil

    from .output import atomic_target
    from .resources import default_template

    try:
        with atomic_target(output, force) as tmp:
            shutil.copyfile(default_template(), tmp)
    except XlreportError as e:
        raise fail_from(e)
    click.echo(f"已导出模板：{output}")


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="汇总结果工作簿（.xlsx）")
@click.option("--agency", required=True, help="汇总后的机关名称，如“XX县人民政府”")
@click.option("--year", help="报告年度；默认取输入文件的年度（必须一致）")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="并行进程数；默认为 CPU 核数")
@click.option("--force", is_flag=True, help="输入有错误也汇总；覆盖已存在的输出文件")
def merge(inputs, output, agency, year, jobs, force):
    """把多个单位的工作簿（文件或文件夹）的三张表和收费数字逐项相加，生成同一模板的汇总工作簿。"""
    from .batch import check_many, collect
    from .merge import SUMMARY_SHEET, MergeError, digest
    from .merge import merge as merge_results
    from .model import clean_text
    from .workbook import write_workbook

    year = _year_option(year)
    if output.suffix.lower() != ".xlsx":
        raise Fail(f"{output}：输出文件应以 .xlsx 结尾")
    paths = collect(inputs)
    if not paths:
        raise Fail("在" + "、".join(str(p) for p in inputs) + "中没有找到电子表格文件（.xlsx/.xlsm/.xls/.ods）")
    from .output import check_target

    try:
        check_target(output, force)
    except XlreportError as e:
        raise fail_from(e)
    paths = _without(paths, output)  # never add last run's result to itself
    if not paths:
        raise Fail("在" + "、".join(str(p) for p in inputs) + f"中除输出文件 {output} 外没有找到电子表格文件（.xlsx/.xlsm/.xls/.ods）")
    try:
        with _progress(sys.stderr.isatty(), len(paths), "读取中") as step:
            results = check_many(paths, keep=digest, with_text=False, workers=jobs, progress=step)
            merged = merge_results(results, clean_text(agency), year, force=force)
    except MergeError as e:
        click.echo(f"错误：{e.message}" + (f"（{e.hint}）" if e.hint else ""), err=True)
        sys.exit(EXIT_UNUSABLE if any(r.status == "unreadable" for r in e.files) else EXIT_PROBLEMS)
    for w in merged.warnings:
        click.echo(f"提醒：{w}", err=True)
    try:
        write_workbook(output, merged.report, force=force, extra_sheets=[(SUMMARY_SHEET, merged.summary)])
    except XlreportError as e:
        raise fail_from(e)
    click.echo(f"已汇总 {merged.files} 个单位：{output}")


def _load_previous(path: Path | None):
    """Last year's report, from a workbook, a JSON report or a published report."""
    if path is None:
        return None
    from .api import load

    try:
        return load(path).report
    except XlreportError as e:
        raise Fail(f"--previous：{e.message}", e.hint)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--rule", "code", required=True, help="要确认的提醒的规则编号（见 xlreport check 的 --json 输出或 docs/rules.md）")
@click.option("--at", "place", help="提醒的位置：单元格（如 二、主动公开!D5）或 JSON 路径（如 active.rules.in_force）；不填则确认该规则的全部提醒")
@click.option("--reason", required=True, help="确认的理由，例如“本年开展了规范性文件清理”")
@click.option("--previous", "previous_file", type=click.Path(path_type=Path), help="上一年度的报告（确认与上年有关的提醒时需要）")
def accept(file, code, place, reason, previous_file):
    """确认一条提醒（写明理由）。确认记录保存在输入文件旁的“文件名.accept.json”中，
    再次检查时显示为“已确认”、不再计数；相关数字变化后确认自动失效。"""
    from . import accept as acceptance
    from .api import check_file

    from .spec import RULE_BY_CODE

    if code not in RULE_BY_CODE:
        raise Fail(f"--rule：没有编号为“{code}”的规则", "规则编号见 docs/rules.md")
    reason = reason.strip()
    if not reason:
        raise Fail("--reason：请写明确认的理由")
    previous = _load_previous(previous_file)
    try:
        checked = check_file(file, previous=previous)
        done = acceptance.record(Path(file), checked.problems, code, place, reason)
    except XlreportError as e:
        raise fail_from(e)
    for p in done:
        click.echo(f"已确认：{p.line()}（理由：{reason}）")
    click.echo(f"确认记录：{acceptance.accept_file(Path(file))}")


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
