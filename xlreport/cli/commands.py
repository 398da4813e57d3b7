"""The command line: parse options, call one library function, print, exit.

Exit codes: 0 clean, 1 problems found, 2 usage error or unreadable input, 130 interrupted.
Everything printed goes through ``say`` (say.py); the checks on arguments the commands share are
in arguments.py, how check's results are printed in printer.py.
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from pathlib import Path

import click

from ..version import __version__
from ..errors import XlreportError
from ..format import spec
from ..shown import shown_line, shown_path
from . import zh
from .arguments import check_targets, load_previous, need_suffix, progress, refuse_overlap, split_inputs, year_option
from .printer import BatchPrinter, terminal_columns
from .say import EXIT_INTERRUPTED, EXIT_PROBLEMS, EXIT_UNUSABLE, Fail, OutputLost, emit, fail_from, say, say_line, say_written

class Main(zh.Group):
    """The xlreport group: click in Chinese, and every way a run can end told in one line."""

    def list_commands(self, ctx) -> list[str]:
        return list(self.commands)  # in the order of the work: new, check, …, accept

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        zh.install()
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as e:
            if zh.is_help_request(e):
                say(e.ctx.get_help(), err=True)
                sys.exit(EXIT_UNUSABLE)
            if e.ctx is not None:
                say(e.ctx.get_usage(), err=True)
            say_line(f"错误：{zh.message(e)}", err=True)
            if e.ctx is not None:
                say(f"（用“{e.ctx.command_path} -h”查看帮助）", err=True)
            sys.exit(EXIT_UNUSABLE)
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except click.Abort:
            say("已中断", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except XlreportError as e:
            fail_from(e).show()
            sys.exit(EXIT_UNUSABLE)


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="xlreport", message="%(prog)s %(version)s", help="显示版本号并退出。")
def cli():
    """政府信息公开工作年度报告：Excel 填报、校验、生成 Word 报告。

    每个命令的用法：xlreport 命令 -h

    退出码：0 没有错误，1 发现错误，2 用法错误或文件无法读取，130 已中断。
    """


FILE = "文件"  # the metavar of a file option


@cli.command(short_help="生成填报用的 Excel 工作簿")
@click.option("-o", "--output", type=click.Path(dir_okay=True, path_type=Path), metavar=FILE,
              help="输出文件（.xlsx）；默认为“机关名称+年度+年政府信息公开工作年度报告.xlsx”")
@click.option("--agency", metavar="名称", help="机关名称，如“上犹县商务局”")
@click.option("--year", metavar="年份", help="报告年度（四位数）；默认为上一年")
@click.option("--data", "data_file", type=click.Path(path_type=Path), metavar=FILE, help="用 JSON 报告（见 report.schema.json）预先填好全部数字和正文")
@click.option("--previous", "previous_file", type=click.Path(path_type=Path), metavar=FILE,
              help="用上一年度的报告（工作簿、JSON 或已发布的报告）预先填好基本信息、年度和上年结转")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件")
def new(output, agency, year, data_file, previous_file, force):
    """生成填报用的 Excel 工作簿。"""
    from ..api import new_report, report_name
    from ..model import load_json_file
    from ..xlsx.writer import write_workbook

    year = year_option(year)
    if data_file and previous_file:
        raise click.UsageError("--data 和 --previous 只能用其中一个")
    if output is not None:
        need_suffix(output, (".xlsx",))
        refuse_overlap([("-o", output)], [data_file, previous_file])
    try:
        data = load_json_file(data_file) if data_file else None
    except XlreportError as e:
        raise fail_from(e)
    last = load_previous(previous_file)
    try:
        report = new_report(agency, year, previous=last, data=data)
    except XlreportError as e:
        raise Fail(f"--previous：{e.message}", e.hint)
    if output is None:
        output = Path(f"{report_name(report)}.xlsx")
        refuse_overlap([("默认", output)], [data_file, previous_file])
    try:
        write_workbook(output, report, force=force)
    except XlreportError as e:
        raise fail_from(e)
    say_written(f"已生成：{output}", output)


@cli.command(short_help="检查工作簿、JSON 报告或已发布的报告")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="文件或文件夹...")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（格式见 docs/check-json.md）")
@click.option("--strict", is_flag=True, help="空白的数字单元格也算错误")
@click.option("--annotate", "annotate_out", type=click.Path(path_type=Path), metavar=FILE,
              help="另存一份标注了问题的工作簿副本（.xlsx），原文件不变；只用于一个文件")
@click.option("--summary-only", is_flag=True, help="多个文件时只列汇总表，不列每个文件的问题明细")
@click.option("--report", "overview", type=click.Path(path_type=Path), metavar=FILE,
              help="另存一份检查结果总览工作簿（.xlsx）：每个文件一行，另附问题清单")
@click.option("--jobs", type=zh.WholeNumber(1, 64), default=None, help="并行进程数（1—64）；默认为 CPU 核数")
@click.option("--previous", "previous_file", type=click.Path(path_type=Path), metavar=FILE,
              help="上一年度的报告（工作簿、JSON 或已发布的报告），核对上年结转、现行有效件数、年度和雷同")
@click.option("--force", is_flag=True, help="覆盖已存在的 --annotate / --report 输出文件")
def check(inputs, as_json, strict, annotate_out, summary_only, overview, jobs, previous_file, force):
    """检查工作簿或 JSON 报告：数字格式、勾稽关系和全部规则。

    可以给出多个文件或文件夹（文件夹中的 .xlsx/.xlsm/.xls/.ods 逐个检查，含子文件夹）。
    已发布的报告（.html/.htm、.docx、.pdf、.txt）直接给出文件名即可检查。

    退出码：0 没有错误（可以有提醒），1 发现错误，2 有文件无法读取或用法错误，130 已中断。
    """
    from ..office.batch import whole_report

    paths, single = _check_inputs(inputs, annotate_out, overview, previous_file, force)
    previous = load_previous(previous_file)
    # the copy of a workbook is the clerk's file plus marks; only a JSON or published report's is written from the report read
    keep = whole_report if annotate_out is not None and _annotate().is_regenerated(paths[0]) else None
    printer = BatchPrinter(as_json, single, summary_only)
    _check_each(paths, printer, overview, force, show_bar=not as_json and not single and sys.stderr.isatty(),
                strict=strict, keep=keep, workers=jobs, previous=previous)
    if overview is not None:
        say_written(f"已生成检查结果总览：{overview}", overview, err=as_json)
    if annotate_out is not None and printer.first.status != "unreadable":
        try:
            _annotate().write_annotated(annotate_out, paths[0], printer.first.problems, printer.first.kept, force=force)
        except XlreportError as e:
            raise fail_from(e)
        say_written(f"已生成标注副本：{annotate_out}", annotate_out, err=as_json)
    if printer.unreadable:
        sys.exit(EXIT_UNUSABLE)
    if printer.with_errors:
        sys.exit(EXIT_PROBLEMS)


def _annotate():
    from ..xlsx import annotate  # only here: a check without a copy need not import it (tempfile, random)

    return annotate


def _check_inputs(inputs, annotate_out, overview, previous_file, force) -> tuple[list[str], bool]:
    """The files to check, and whether it is one file named alone; every refusal of the
    arguments (outputs' suffixes and overlaps, --annotate and --previous with one file only)
    before any file is checked."""
    from ..office.batch import collect

    files, folders = split_inputs(inputs)
    if annotate_out is not None:
        need_suffix(annotate_out, _annotate().output_suffixes(files[0] if len(files) == 1 and not folders else None), "--annotate 的")
    need_suffix(overview, (".xlsx",), "--report 的")
    refuse_overlap([("--annotate", annotate_out), ("--report", overview)], files + [previous_file], folders)
    paths = collect(inputs)
    if not paths:
        raise Fail("在" + "、".join(shown_path(p) for p in inputs) + "中没有找到电子表格文件（.xlsx/.xlsm/.xls/.ods）")
    if annotate_out is not None and len(paths) != 1:
        raise click.UsageError("--annotate 只能用于一个输入文件")
    if annotate_out is not None:
        try:
            _annotate().refuse_unless_annotatable(paths[0])  # an .ods/.xls: said before the checking
        except XlreportError as e:
            raise fail_from(e)
    check_targets((overview, annotate_out), force)
    single = len(paths) == 1 and not folders
    if previous_file is not None and not single:
        raise click.UsageError("--previous 只能用于一个输入文件")
    return paths, single


def _check_each(paths, printer, overview, force, show_bar: bool, **options) -> None:
    """Every file checked and printed as it comes (and written to the overview workbook); on any
    exception, what was spooled is let go."""
    from ..office.batch import check_many

    try:
        with ExitStack() as stack:
            writer = None
            if overview is not None:
                from ..office.batch import OverviewWriter
                from ..output import atomic_target

                writer = stack.enter_context(OverviewWriter(stack.enter_context(atomic_target(overview, force))))
            step = stack.enter_context(progress(show_bar, len(paths), "检查中"))
            for r in check_many(paths, progress=step, **options):
                printer.add(r)
                if writer is not None:
                    writer.add(r)
    except BaseException as e:
        printer.close()  # the spooled rows and details go with it
        if isinstance(e, XlreportError):
            raise fail_from(e) from None
        raise
    printer.finish()


@cli.command(short_help="把工作簿导出为 JSON 报告")
@click.argument("file", type=click.Path(path_type=Path), metavar=FILE)
@click.option("-o", "--output", default="-", metavar=FILE, help="输出的 JSON 文件；“-”或不填则输出到屏幕")
@click.option("--strict", is_flag=True, help="有空白数字单元格时视为错误")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件")
def export(file, output, strict, force):
    """把工作簿（或 JSON 报告）导出为 JSON 报告（格式见 docs/json.md）。"""
    from ..api import load
    from ..model import to_json_file
    from ..output import atomic_target
    from ..problems import sort_key

    out = None if output == "-" else Path(output)
    refuse_overlap([("-o", out)], [file])
    try:
        loaded = load(file, strict=strict)
        text = to_json_file(loaded.report, shown_path(file))
    except XlreportError as e:
        raise fail_from(e)
    errors = [p for p in loaded.problems if p.is_error]
    for p in sorted(loaded.problems, key=sort_key):
        say_line(("错误：" if p.is_error else "提醒：") + p.line(), err=True)
    if out is None:
        emit(text, nl=False)
    else:
        try:
            with atomic_target(out, force) as tmp:
                tmp.write_text(text, encoding="utf-8")
        except XlreportError as e:
            raise fail_from(e)
        say_written(f"已导出：{out}", out, err=True)
    if errors:
        sys.exit(EXIT_PROBLEMS)


@cli.command("import", short_help="读取已发布的报告，导出为 JSON 或工作簿")
@click.argument("file", type=click.Path(path_type=Path), metavar=FILE)
@click.option("-o", "--output", default="-", metavar=FILE,
              help="输出文件：.json（JSON 报告）或 .xlsx（预先填好的工作簿）；“-”或不填则把 JSON 输出到屏幕")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件")
def import_(file, output, force):
    """读取已发布的年度报告（.html/.htm 网页、.docx、.pdf、.txt），导出为 JSON 报告或预先填好的工作簿。

    读取时不确定之处（猜测的标签、“/”“—”“无”或空白、带注释的数字等）逐条列为提醒，并写明在原文中的位置。
    2019年旧格式的报告、缺少表格的报告或不是年度报告的文件不导入（退出码 2）。
    """
    from ..importers import import_report
    from ..model import to_json_file
    from ..output import atomic_target

    out = None if output == "-" else Path(output)
    need_suffix(out, (".json", ".xlsx"))
    refuse_overlap([("-o", out)], [file])
    try:
        imported = import_report(file)
    except XlreportError as e:
        raise fail_from(e)
    try:
        if out is None:
            emit(to_json_file(imported.report, shown_path(file)), nl=False)
        elif out.suffix.lower() == ".xlsx":
            from ..xlsx.writer import write_workbook

            write_workbook(out, imported.report, force=force)
        else:
            with atomic_target(out, force) as tmp:
                tmp.write_text(to_json_file(imported.report, shown_path(file)), encoding="utf-8")
    except XlreportError as e:
        raise fail_from(e)  # one line: what was read is not told when nothing could be written
    for p in imported.problems:
        say_line(("错误：" if p.is_error else "提醒：") + p.line(), err=True)
    errors = sum(1 for p in imported.problems if p.is_error)
    if out is not None:
        say_written(f"已导入：{out}（{len(imported.problems) - errors} 个提醒，{errors} 个错误）", out, err=True)
    if errors:
        sys.exit(EXIT_PROBLEMS)


@cli.command(short_help="生成 Word 年度报告（可同时生成 PDF）")
@click.argument("file", type=click.Path(path_type=Path), metavar=FILE)
@click.option("-o", "--output", type=click.Path(path_type=Path), metavar=FILE,
              help="输出的 .docx；默认为输入文件旁的“机关名称+年度+年政府信息公开工作年度报告.docx”")
@click.option("--template", "template", type=click.Path(path_type=Path), metavar=FILE, help="自定义 Word 模板（由 xlreport template 导出后修改）")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 生成 PDF")
@click.option("--previous", "previous_file", type=click.Path(path_type=Path), metavar=FILE, help="上一年度的报告，同时核对与上年有关的提醒")
@click.option("--allow-errors", is_flag=True, help="检查有错误也生成报告（报告中会带着错误的数字）")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件")
def build(file, output, template, pdf, previous_file, allow_errors, force):
    """由工作簿或 JSON 报告生成 Word 年度报告。先检查，有错误时不生成（--allow-errors 除外）。"""
    from ..api import check_report, load, report_name
    from ..word.render import convert_to_pdf, render_docx
    from ..texttable import render_problems, summary_line

    inputs = [file, template, previous_file]
    if output is not None:
        need_suffix(output, (".docx",))
        refuse_overlap([("-o", output), ("--pdf", output.with_suffix(".pdf") if pdf else None)], inputs)
    try:
        loaded = load(file)
    except XlreportError as e:
        raise fail_from(e)
    previous = load_previous(previous_file)
    problems = check_report(loaded.report, loaded.problems, previous=previous)
    errors = [p for p in problems if p.is_error]
    if errors:
        say(render_problems(problems, terminal_columns()), err=True)
        say(summary_line(len(errors), len(problems) - len(errors)), err=True)
        if not allow_errors:
            say("存在错误，未生成报告。请修改后重试，或加 --allow-errors 带着错误生成。", err=True)
            sys.exit(EXIT_PROBLEMS)
    report = loaded.report
    if output is None:
        output = Path(file).parent / f"{report_name(report)}.docx"
        refuse_overlap([("默认", output), ("--pdf", output.with_suffix(".pdf") if pdf else None)], inputs)
    check_targets((output, output.with_suffix(".pdf") if pdf else None), force)
    try:
        render_docx(report, output, template=template, force=force, warn=lambda message: say_line(f"提醒：{message}", err=True))
    except XlreportError as e:
        raise fail_from(e)
    if errors:
        say_line(f"提醒：报告中有 {len(errors)} 个错误，已按 --allow-errors 生成。", err=True)
    say_written(f"已生成：{output}", output)
    if pdf:
        target = output.with_suffix(".pdf")
        try:
            substituted = convert_to_pdf(output, target, force=force)
        except XlreportError as e:
            raise fail_from(e)
        say_written(f"已生成：{target}", target)
        for line in substituted:
            say_line(f"提醒：{line}", err=True)


@cli.command(short_help="导出默认 Word 模板，供修改版式")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("年度报告模板.docx"), metavar=FILE,
              help="输出的模板文件（默认：年度报告模板.docx）")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件")
def template(output, force):
    """导出默认 Word 模板。可在 Word/WPS 中修改版式，保留 {{ }} 和 {% %} 占位符，再用 build --template 使用。"""
    import shutil

    from ..output import atomic_target
    from ..word.resources import default_template

    need_suffix(output, (".docx",))
    try:
        with atomic_target(output, force) as tmp:
            shutil.copyfile(default_template(), tmp)
    except XlreportError as e:
        raise fail_from(e)
    say_written(f"已导出模板：{output}", output)


@cli.command(short_help="把多个单位的工作簿汇总成一份")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="文件或文件夹...")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, metavar=FILE, help="汇总结果工作簿（.xlsx）")
@click.option("--agency", required=True, metavar="名称", help="汇总后的机关名称，如“XX县人民政府”")
@click.option("--year", metavar="年份", help="报告年度；默认取输入文件的年度（必须一致）")
@click.option("--jobs", type=zh.WholeNumber(1, 64), default=None, help="并行进程数（1—64）；默认为 CPU 核数")
@click.option("--allow-errors", is_flag=True, help="输入文件有错误也汇总")
@click.option("--include-merged", is_flag=True, help=f"输入中有以前的汇总结果（含“{spec.SHEET_MERGED}”表）也汇总")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件")
def merge(inputs, output, agency, year, jobs, allow_errors, include_merged, force):
    """把多个单位的工作簿（文件或文件夹）的三张表和收费数字逐项相加，生成同一模板的汇总工作簿。"""
    from ..office.batch import check_many, collect
    from ..office.merge import SUMMARY_SHEET, MergeError, digest
    from ..office.merge import merge as merge_results
    from ..model import clean_text
    from ..xlsx.writer import write_workbook

    year = year_option(year)
    need_suffix(output, (".xlsx",))
    files, folders = split_inputs(inputs)
    refuse_overlap([("-o", output)], files, folders)
    paths = collect(inputs)
    if not paths:
        raise Fail("在" + "、".join(shown_path(p) for p in inputs) + "中没有找到电子表格文件（.xlsx/.xlsm/.xls/.ods）")
    check_targets((output,), force)
    try:
        with progress(sys.stderr.isatty(), len(paths), "读取中") as step:
            results = check_many(paths, keep=digest, with_text=False, workers=jobs, progress=step)
            merged = merge_results(results, clean_text(agency), year, allow_errors=allow_errors, include_merged=include_merged)
    except MergeError as e:
        say_line(f"错误：{e.line()}", err=True)
        sys.exit(EXIT_UNUSABLE if any(r.status == "unreadable" for r in e.files) else EXIT_PROBLEMS)
    for w in merged.warnings:
        say_line(f"提醒：{w}", err=True)
    try:
        write_workbook(output, merged.report, force=force, extra_sheets=[(SUMMARY_SHEET, merged.summary)])
    except XlreportError as e:
        raise fail_from(e)
    say_written(f"已汇总 {merged.files} 个单位：{output}", output)


@cli.command(short_help="写明理由，确认一条提醒")
@click.argument("file", type=click.Path(path_type=Path), metavar=FILE)
@click.option("--rule", "code", required=True, metavar="规则编号", help="要确认的提醒的规则编号（见 xlreport check 的 --json 输出或 docs/rules.md）")
@click.option("--at", "place", metavar="位置", help="提醒的位置：单元格（如 二、主动公开!D5）或 JSON 路径（如 active.rules.in_force）；不填则确认该规则的全部提醒")
@click.option("--reason", required=True, metavar="理由", help="确认的理由，例如“本年开展了规范性文件清理”")
@click.option("--previous", "previous_file", type=click.Path(path_type=Path), metavar=FILE, help="上一年度的报告（确认与上年有关的提醒时需要）")
def accept(file, code, place, reason, previous_file):
    """确认一条提醒（写明理由）。确认记录保存在输入文件旁的“文件名.accept.json”中，
    再次检查时显示为“已确认”、不再计数；相关数字变化后确认自动失效。"""
    from ..checks import accept as acceptance
    from ..api import check_file
    from ..limits import REASON_CHARS
    from ..format.rules import RULE_BY_CODE

    if code not in RULE_BY_CODE:
        raise Fail(f"--rule：没有编号为“{code}”的规则", "规则编号见 docs/rules.md")
    reason = reason.strip()
    if not reason:
        raise Fail("--reason：请写明确认的理由")
    if len(reason) > REASON_CHARS.value:
        raise Fail(f"--reason：{REASON_CHARS.name}超过上限（{len(reason)}字，上限{REASON_CHARS.shown()}）")
    refuse_overlap([("确认记录", acceptance.accept_file(Path(file)))], [file, previous_file])
    previous = load_previous(previous_file)
    try:
        checked = check_file(file, previous=previous)
        done = acceptance.record(Path(file), checked.problems, code, place, reason)
    except XlreportError as e:
        raise fail_from(e)
    for p in done:
        say_line(f"已确认：{p.line()}（理由：{reason}）")
    say_line(f"确认记录：{acceptance.accept_file(Path(file))}")


@cli.command(short_help="审阅一个地区历年已发布的报告，逐年对照，生成总览")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="文件或文件夹...")
@click.option("-o", "--output", type=click.Path(path_type=Path), metavar=FILE,
              help="总览工作簿（.xlsx）：每份报告一行、每个单位一张逐年对照表、全部问题")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出全部结果")
@click.option("--names", "names_file", type=click.Path(path_type=Path), metavar=FILE,
              help="单位名称对照表（CSV 两列：别名,规范名称；或 JSON）：同一单位在不同年份的不同写法")
@click.option("--jobs", type=zh.WholeNumber(1, 64), default=None, help="并行进程数（1—64）；默认为 CPU 核数")
@click.option("--force", is_flag=True, help="覆盖已存在的 -o 输出文件")
def audit(inputs, output, as_json, names_file, jobs, force):
    """审阅已发布的报告。

    \b
    文件夹中的网页、文本、Word、PDF、JSON 和工作簿逐个读取并检查，
    按单位归组、按年度排序，逐年核对上年结转、现行有效件数、正文雷同和同比数字。

    退出码：0 没有错误，1 发现错误，2 有文件无法读取或用法错误，130 已中断。
    """
    from ..office.audit import audit as run_audit, to_json, write_overview

    names, paths = _audit_inputs(inputs, output, names_file, force)
    with progress(not as_json and sys.stderr.isatty(), len(paths), "审阅中") as step:
        audited = run_audit(paths, names, workers=jobs, progress=step)
    if output is not None:
        from ..output import atomic_target

        try:
            with atomic_target(output, force) as target:
                write_overview(target, audited)
        except XlreportError as e:
            raise fail_from(e)
    if as_json:
        from ..shown import json_text

        emit(json_text(to_json(audited)))
    else:
        _say_audited(audited)
    if output is not None:
        say_written(f"已生成审阅总览：{output}", output, err=as_json)
    if any(a.status == "unreadable" for a in audited):
        sys.exit(EXIT_UNUSABLE)
    if any(a.status == "errors" for a in audited):
        sys.exit(EXIT_PROBLEMS)


def _audit_inputs(inputs, output, names_file, force) -> tuple[dict | None, list[str]]:
    """The name map and the files to audit, the arguments' refusals first."""
    from ..office.audit import AUDIT_SUFFIXES, load_names
    from ..office.batch import collect

    files, folders = split_inputs(inputs)
    need_suffix(output, (".xlsx",), "-o 的")
    refuse_overlap([("-o", output)], files + [names_file], folders)
    check_targets((output,), force)
    try:
        names = load_names(names_file) if names_file else None
    except XlreportError as e:
        raise fail_from(e)
    paths = collect(inputs, AUDIT_SUFFIXES)  # the folders walked once: audit is given the files
    if not paths:
        raise Fail("在" + "、".join(shown_path(p) for p in inputs) + "中没有找到报告文件（" + "、".join(AUDIT_SUFFIXES) + "）")
    return names, paths


def _say_audited(audited) -> None:
    """Per agency a table of its reports by year, what the years' comparison found, and a total line."""
    from ..office.audit import STATUS_NAMES, agency_rows, spellings
    from ..problems import count
    from ..texttable import table_lines

    widths = (min(max((terminal_columns() or 120) - 34, 20), 80), 4, 4, 4, 8)
    for agency, items in agency_rows(audited).items():
        other = spellings(items)
        say(f"【{shown_line(agency)}】" + (f"（报告中也写作：{'、'.join(map(shown_line, other))}）" if other else ""))
        rows = [(shown_path(a.result.path), str(a.result.year or "—"), *map(str, count(a.problems)), STATUS_NAMES[a.status]) for a in items]
        for line in table_lines(rows, ("文件", "年度", "错误", "提醒", "结果"), widths):
            say(line)
        for a in items:
            for p in a.chain:
                say_line(f"  {a.result.year}年与上年对照：{p.message}")
            if a.result.status == "unreadable":
                say_line(f"  {a.result.message}")
    counts = {s: sum(1 for a in audited if a.status == s) for s in STATUS_NAMES}
    say(f"共 {len(audited)} 份报告、{len({a.agency for a in audited if a.agency})} 个单位：" + "，".join(
        f"{counts[s]} 份{name}" for s, name in STATUS_NAMES.items()) + "。")


@cli.command(short_help="在浏览器中使用：本机页面，或政务公开办的收集服务器")
@click.option("--office", "office_dir", type=click.Path(file_okay=False, path_type=Path), metavar="文件夹",
              help="办公室模式：在这个文件夹中收集各单位的报告（没有就新建）")
@click.option("--host", default="127.0.0.1", show_default=True, metavar="地址",
              help="监听的地址；0.0.0.0 表示让局域网中的其他电脑访问（办公室模式须先设置密码）")
@click.option("--port", type=zh.WholeNumber(0, 65535), default=0, metavar="端口", help="端口；默认自动选一个空闲端口")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="名称",
              help="其他电脑访问本服务器时用的名称或地址（可重复）；防止 DNS 重绑定，其他名称一律拒绝")
@click.option("--set-password", is_flag=True, help="办公室模式：设置（或更改）管理员密码后启动")
@click.option("--no-browser", is_flag=True, help="不自动打开浏览器")
def serve(office_dir, host, port, allowed_hosts, set_password, no_browser):
    """启动网页服务：新建、检查、生成、导入都在浏览器中完成。

    \b
    默认只有本机能访问（127.0.0.1）。
    加 --office 文件夹，成为政务公开办的收集服务器：各单位用各自的专用链接
    上传，办公室登录后查看总览、下载汇总。按 Ctrl+C 停止。
    """
    from ..web.app import Settings
    from ..web.serve import is_loopback, run

    if set_password and office_dir is None:
        raise click.UsageError("--set-password 只用于办公室模式（--office）")
    if host in ("0.0.0.0", "::") and not allowed_hosts:
        raise click.UsageError(f"--host {host} 时请用 --allowed-host 写明其他电脑访问本服务器用的地址或名称（如本机的局域网 IP）")
    settings = Settings(mode="office" if office_dir else "local", office_dir=office_dir, host=host, allowed_hosts=tuple(allowed_hosts))
    if office_dir is not None:
        from ..web.store import Store

        try:
            store = Store(office_dir)
        except XlreportError as e:
            raise fail_from(e)
        if set_password or (not store.has_password and not is_loopback(host) and sys.stdin.isatty()):
            password = click.prompt("管理员密码（至少 8 个字符）", hide_input=True, confirmation_prompt="再输入一次")
            if len(password) < 8:
                raise Fail("密码至少 8 个字符")
            store.set_password(password)
            say("已设置管理员密码")
    try:
        run(settings, port, open_browser=not no_browser, announce=lambda url: say_line(f"已启动：{url}（按 Ctrl+C 停止）"))
    except XlreportError as e:
        raise fail_from(e)
    except OSError as e:
        raise Fail(f"无法在 {host}:{port} 上启动：{e.strerror or e}", "换一个端口（--port）或地址再试")


def main() -> None:
    # A GBK console (Windows 中文版) or a pipe must never raise UnicodeEncodeError.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):
            pass
    try:
        cli(prog_name="xlreport")
    except KeyboardInterrupt:  # between click's own handling and the exit
        say("已中断", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except OutputLost as e:
        # what is still buffered would fail again when Python exits: it goes nowhere instead
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, AttributeError, ValueError):
                try:
                    os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
                except (OSError, AttributeError, ValueError):
                    pass
        try:
            said = f"{e.written} 已完整生成，但无法显示这条提示" if e.written is not None else "无法写出结果"
            say_line(f"错误：{said}（{e}）", err=True)
        except OutputLost:
            pass
        sys.exit(EXIT_UNUSABLE)
