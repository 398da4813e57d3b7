"""`xlreport check` over many files and folders: collection, the summary table, details, JSON,
exit codes, the overview workbook, and an output order that does not depend on the worker pool."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from factories import filled_report, write
from xlreport import api
from xlreport.office import batch
from xlreport.format import spec
from xlreport.cli import cli
from xlreport.errors import InputError

INBOX = "收件箱"
COLLECTED = spec.FIELD_BY_PATH[("fees", "collected")]
FILE_KEYS = {"file", "status", "message", "hint", "agency", "year", "errors", "warnings", "problems"}
PROBLEM_KEYS = {"code", "severity", "message", "sheet", "cell", "row_label", "col_label", "expected", "actual", "cells", "key", "title"}


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    # a crash is an exception other than the SystemExit of an exit code
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    # CliRunner's streams are not terminals: never any progress bar text
    assert "检查中" not in result.stdout + result.stderr
    return result


def report(agency: str, k: int = 1, fee: str = "190.457379", year: int = 2024):
    """A valid report: filled_report with every count and amount times k (the rules are linear)."""
    r = filled_report(agency, year)
    for f in spec.INPUT_FIELDS:
        r.values[f.path] = r.values[f.path] * k
    r.values[("active", "fees")] = Decimal(fee)
    return r.with_totals()


def snapshot(folder: Path) -> dict:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A folder holding 收件箱/ as an office receives it.

    收件箱/商务局.xlsx          valid
    收件箱/教育局.xlsx          a broken balance (2 errors)
    收件箱/卫生局.xlsx          a truncated download (unreadable)
    收件箱/乡镇/城关镇.xlsx     valid, one warning (collected more than the notices asked for)
    收件箱/说明.txt, 名单.csv    not spreadsheets: ignored in a folder
    收件箱/.商务局备份.xlsx     hidden: skipped
    收件箱/~$商务局.xlsx        Excel's lock file: skipped
    收件箱/.git/旧.xlsx         inside a hidden folder: skipped
    """
    root = tmp_path_factory.mktemp("batch")
    inbox = root / INBOX
    (inbox / "乡镇").mkdir(parents=True)
    (inbox / ".git").mkdir()
    good = write(inbox / "商务局.xlsx", report("上犹县商务局"))
    bad = report("上犹县教育局", 2)
    bad.values[("requests", "carried_forward", "business")] = 100  # the business column no longer balances
    write(inbox / "教育局.xlsx", bad)
    (inbox / "卫生局.xlsx").write_bytes(good.read_bytes()[:3000])
    warn = report("上犹县城关镇人民政府", 3)
    warn.values[("fees", "collected")] = Decimal(1000)  # notices asked for 901.5
    write(inbox / "乡镇" / "城关镇.xlsx", warn)
    (inbox / "说明.txt").write_text("各单位报送的年报", encoding="utf-8")
    (inbox / "名单.csv").write_text("机关,联系人\n上犹县商务局,张三\n", encoding="utf-8")
    shutil.copyfile(inbox / "教育局.xlsx", inbox / ".商务局备份.xlsx")
    (inbox / "~$商务局.xlsx").write_bytes(b"\x0cAdministrator" + b"\x00" * 40)
    shutil.copyfile(inbox / "教育局.xlsx", inbox / ".git" / "旧.xlsx")
    return root


@pytest.fixture
def here(base, monkeypatch) -> Path:
    """Work in the folder above 收件箱, so that paths print short and relative."""
    monkeypatch.chdir(base)
    return base


def broken_message(path: str) -> str:
    with pytest.raises(InputError) as e:
        api.load(path)
    return e.value.message + (f"（{e.value.hint}）" if e.value.hint else "")


SUMMARY = """\
文件                     机关名称              年度  错误  提醒  状态
-----------------------  --------------------  ----  ----  ----  --------
收件箱/乡镇/城关镇.xlsx  上犹县城关镇人民政府  2024  0     1     通过
收件箱/卫生局.xlsx       —                     —     1     0     无法读取
收件箱/商务局.xlsx       上犹县商务局          2024  0     0     通过
收件箱/教育局.xlsx       上犹县教育局          2024  2     0     有错误
共 4 个文件：2 个通过，1 个有错误，1 个无法读取。
"""


# --- collecting the files --------------------------------------------------------------------


def test_collect_recursive_sorted_skips_hidden_lock_and_other_files(here):
    assert [str(p) for p in batch.collect([Path(INBOX)])] == [
        "收件箱/乡镇/城关镇.xlsx", "收件箱/卫生局.xlsx", "收件箱/商务局.xlsx", "收件箱/教育局.xlsx",
    ]


def test_folder_summary_table_and_exit_2(here):
    before = snapshot(here / INBOX)
    result = run("check", INBOX, "--summary-only")
    assert result.exit_code == 2  # something could not be read
    assert result.stderr == ""
    assert result.stdout == SUMMARY
    assert snapshot(here / INBOX) == before  # inputs are never modified


def test_folder_details_follow_the_table(here):
    result = run("check", INBOX)
    assert result.exit_code == 2
    assert result.stderr == ""
    collected = f"{COLLECTED.sheet}!{COLLECTED.cell}"
    assert result.stdout == SUMMARY + f"""
== 收件箱/乡镇/城关镇.xlsx（上犹县城关镇人民政府）：0 个错误、1 个提醒 ==
【基本信息】
级别  位置          项目                  问题                                                   应为         实际
----  ------------  --------------------  -----------------------------------------------------  -----------  ----
提醒  {collected}  实际收取总金额（元）  实际收取总金额（1000元）大于收费通知总金额（901.5元）  不大于901.5  1000


== 收件箱/卫生局.xlsx：无法读取 ==
{broken_message("收件箱/卫生局.xlsx")}

== 收件箱/教育局.xlsx（上犹县教育局）：2 个错误、0 个提醒 ==
【三、依申请公开】
级别  位置                项目                   问题                                                      应为       实际
----  ------------------  ---------------------  --------------------------------------------------------  ---------  -------------
错误  三、依申请公开!E28  （七）总计 / 商业企业  商业企业列：一、本年新收（90）+ 二、上年结转（6）= 96，   一+二=96   （七）+四=184
                                                 应等于（七）总计（84）+ 四、结转下年度继续办理（100）=
                                                 184；若前三项无误，四、结转下年度继续办理应为12
错误  三、依申请公开!J28  （七）总计 / 总计      总计列：一、本年新收（540）+ 二、上年结转（54）= 594，应  一+二=594  （七）+四=682
                                                 等于（七）总计（504）+ 四、结转下年度继续办理（178）=
                                                 682；若前三项无误，四、结转下年度继续办理应为90

"""


def test_summary_only_hides_details(here):
    full = run("check", INBOX).stdout
    short = run("check", INBOX, "--summary-only").stdout
    assert "==" in full and "【" in full
    assert "==" not in short and "【" not in short and "级别" not in short
    assert full.startswith(short)


def test_subfolder_given_alone(here):
    result = run("check", f"{INBOX}/乡镇", "--summary-only")
    assert result.exit_code == 0  # warnings never fail
    assert result.stdout == """\
文件                     机关名称              年度  错误  提醒  状态
-----------------------  --------------------  ----  ----  ----  ----
收件箱/乡镇/城关镇.xlsx  上犹县城关镇人民政府  2024  0     1     通过
共 1 个文件：1 个通过，0 个有错误，0 个无法读取。
"""


@pytest.mark.parametrize("name", ["名单.csv", "说明.txt"])
def test_non_spreadsheet_given_explicitly_is_an_unreadable_row(here, name):
    result = run("check", f"{INBOX}/{name}", f"{INBOX}/商务局.xlsx")
    assert result.exit_code == 2
    assert result.stderr == ""
    assert result.stdout == f"""\
文件                机关名称      年度  错误  提醒  状态
------------------  ------------  ----  ----  ----  --------
收件箱/{name}     —             —     1     0     无法读取
收件箱/商务局.xlsx  上犹县商务局  2024  0     0     通过
共 2 个文件：1 个通过，0 个有错误，1 个无法读取。

== 收件箱/{name}：无法读取 ==
{broken_message(f"{INBOX}/{name}")}
"""
    assert broken_message(f"{INBOX}/{name}").startswith(f"{INBOX}/{name}：")


def test_hidden_and_lock_files_given_explicitly_are_checked(here):
    """Skipping is for what a folder holds; a file named on the command line is always checked."""
    result = run("check", "--json", f"{INBOX}/.商务局备份.xlsx", f"{INBOX}/~$商务局.xlsx")
    doc = json.loads(result.stdout)
    assert [(f["file"], f["status"]) for f in doc["files"]] == [
        (f"{INBOX}/.商务局备份.xlsx", "errors"), (f"{INBOX}/~$商务局.xlsx", "unreadable"),
    ]
    assert result.exit_code == 2


def test_a_file_given_twice_or_inside_a_given_folder_is_checked_once(here):
    result = run("check", "--json", f"{INBOX}/商务局.xlsx", INBOX, f"./{INBOX}/商务局.xlsx")
    files = [f["file"] for f in json.loads(result.stdout)["files"]]
    assert files == [f"{INBOX}/商务局.xlsx", "收件箱/乡镇/城关镇.xlsx", "收件箱/卫生局.xlsx", "收件箱/教育局.xlsx"]


def test_folder_without_spreadsheets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("空").mkdir()
    Path("空/说明.txt").write_text("无", encoding="utf-8")
    result = run("check", "空")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "错误：在空中没有找到电子表格文件（.xlsx/.xlsm/.xls/.ods）\n"


# --- exit codes -------------------------------------------------------------------------------


def test_exit_0_when_all_clean(here):
    result = run("check", f"{INBOX}/商务局.xlsx", f"{INBOX}/乡镇", "--summary-only")
    assert result.exit_code == 0
    assert result.stdout.endswith("共 2 个文件：2 个通过，0 个有错误，0 个无法读取。\n")


def test_exit_1_when_errors(here):
    result = run("check", f"{INBOX}/商务局.xlsx", f"{INBOX}/教育局.xlsx", "--summary-only")
    assert result.exit_code == 1
    assert result.stdout.endswith("共 2 个文件：1 个通过，1 个有错误，0 个无法读取。\n")


def test_exit_2_when_unreadable_even_with_errors(here):
    assert run("check", f"{INBOX}/教育局.xlsx", f"{INBOX}/卫生局.xlsx", "--summary-only").exit_code == 2
    assert run("check", f"{INBOX}/商务局.xlsx", f"{INBOX}/没有这个文件.xlsx", "--summary-only").exit_code == 2


# --- JSON -------------------------------------------------------------------------------------


def test_json_document(here):
    result = run("check", INBOX, "--json")
    assert result.exit_code == 2
    assert result.stderr == ""
    doc = json.loads(result.stdout)
    assert set(doc) == {"files", "errors", "warnings", "unreadable"}
    assert all(set(f) == FILE_KEYS for f in doc["files"])
    rows = [(f["file"], f["agency"], f["year"], f["errors"], f["warnings"], f["status"]) for f in doc["files"]]
    assert rows == [
        ("收件箱/乡镇/城关镇.xlsx", "上犹县城关镇人民政府", 2024, 0, 1, "ok"),
        ("收件箱/卫生局.xlsx", None, None, 1, 0, "unreadable"),
        ("收件箱/商务局.xlsx", "上犹县商务局", 2024, 0, 0, "ok"),
        ("收件箱/教育局.xlsx", "上犹县教育局", 2024, 2, 0, "errors"),
    ]
    assert (doc["errors"], doc["warnings"], doc["unreadable"]) == (3, 1, 1)
    warn, broken, good, bad = doc["files"]
    assert broken["message"] + (f"（{broken['hint']}）" if broken["hint"] else "") == broken_message("收件箱/卫生局.xlsx")
    assert broken["problems"] == [] and good["problems"] == []
    assert (good["message"], good["hint"]) == ("", "")
    assert [(p["code"], p["severity"], p["sheet"], p["cell"]) for p in warn["problems"]] == [
        ("fees-collected-exceeds-notices", "warning", COLLECTED.sheet, COLLECTED.cell),
    ]
    assert [(p["code"], p["severity"], p["sheet"], p["cell"]) for p in bad["problems"]] == [
        ("requests-balance", "error", spec.SHEET_REQUESTS, "E28"),
        ("requests-balance", "error", spec.SHEET_REQUESTS, "J28"),
    ]
    assert all(PROBLEM_KEYS <= set(p) for f in doc["files"] for p in f["problems"])  # each problem as `check --json` of one file


def test_json_single_folder_with_one_file_is_still_a_document(here):
    doc = json.loads(run("check", f"{INBOX}/乡镇", "--json").stdout)
    assert [f["file"] for f in doc["files"]] == ["收件箱/乡镇/城关镇.xlsx"]
    assert (doc["errors"], doc["warnings"], doc["unreadable"]) == (0, 1, 0)


# --- the overview workbook -----------------------------------------------------------------------


def sheet_rows(ws) -> list[tuple]:
    return [tuple("" if v is None else v for v in row) for row in ws.iter_rows(values_only=True)]


def test_overview_workbook(here, tmp_path):
    out = tmp_path / "总览.xlsx"
    result = run("check", INBOX, "--summary-only", "--report", out)
    assert result.exit_code == 2
    assert result.stdout == SUMMARY + f"已生成检查结果总览：{out}\n"
    broken = json.loads(run("check", "--json", f"{INBOX}/卫生局.xlsx").stdout)["files"][0]["message"]
    assert broken_message(f"{INBOX}/卫生局.xlsx").startswith(broken)  # the message, without the hint

    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["各单位检查结果", "问题清单"]
    files, problems = wb["各单位检查结果"], wb["问题清单"]
    assert sheet_rows(files) == [
        ("文件", "机关名称", "年度", "错误", "提醒", "状态", "说明"),
        ("收件箱/乡镇/城关镇.xlsx", "上犹县城关镇人民政府", 2024, 0, 1, "通过", ""),
        ("收件箱/卫生局.xlsx", "", "", 1, 0, "无法读取", broken),
        ("收件箱/商务局.xlsx", "上犹县商务局", 2024, 0, 0, "通过", ""),
        ("收件箱/教育局.xlsx", "上犹县教育局", 2024, 2, 0, "有错误", ""),
    ]
    assert sheet_rows(problems) == [
        ("文件", "机关名称", "级别", "工作表", "单元格", "项目", "问题", "应为", "实际", "规则"),
        ("收件箱/乡镇/城关镇.xlsx", "上犹县城关镇人民政府", "提醒", "基本信息", COLLECTED.cell, "实际收取总金额（元）",
         "实际收取总金额（1000元）大于收费通知总金额（901.5元）", "不大于901.5", "1000", "fees-collected-exceeds-notices"),
        ("收件箱/卫生局.xlsx", "", "错误", "", "", "", broken, "", "", "unreadable"),
        ("收件箱/教育局.xlsx", "上犹县教育局", "错误", "三、依申请公开", "E28", "（七）总计 / 商业企业",
         "商业企业列：一、本年新收（90）+ 二、上年结转（6）= 96，应等于（七）总计（84）+ 四、结转下年度继续办理（100）= 184；"
         "若前三项无误，四、结转下年度继续办理应为12", "一+二=96", "（七）+四=184", "requests-balance"),
        ("收件箱/教育局.xlsx", "上犹县教育局", "错误", "三、依申请公开", "J28", "（七）总计 / 总计",
         "总计列：一、本年新收（540）+ 二、上年结转（54）= 594，应等于（七）总计（504）+ 四、结转下年度继续办理（178）= 682；"
         "若前三项无误，四、结转下年度继续办理应为90", "一+二=594", "（七）+四=682", "requests-balance"),
    ]
    # filters over the whole table and the header row frozen, on both sheets
    assert (files.freeze_panes, files.auto_filter.ref) == ("A2", "A1:G5")
    assert (problems.freeze_panes, problems.auto_filter.ref) == ("A2", "A1:J5")
    # the status column is highlighted where it is not 通过
    assert [str(cf.sqref) for cf in files.conditional_formatting] == ["F2:F5"]


def test_overview_only_clean_files_has_an_empty_problem_list(here, tmp_path):
    out = tmp_path / "总览.xlsx"
    assert run("check", f"{INBOX}/商务局.xlsx", f"{INBOX}/商务局.xlsx", "--report", out).exit_code == 0
    wb = openpyxl.load_workbook(out)
    assert sheet_rows(wb["各单位检查结果"])[1:] == [("收件箱/商务局.xlsx", "上犹县商务局", 2024, 0, 0, "通过", "")]
    assert sheet_rows(wb["问题清单"]) == [("文件", "机关名称", "级别", "工作表", "单元格", "项目", "问题", "应为", "实际", "规则")]
    assert wb["问题清单"].freeze_panes == "A2"


def test_overview_with_json_keeps_stdout_a_document(here, tmp_path):
    out = tmp_path / "总览.xlsx"
    result = run("check", INBOX, "--json", "--report", out)
    assert result.exit_code == 2
    assert json.loads(result.stdout)["unreadable"] == 1
    assert result.stderr == f"已生成检查结果总览：{out}\n"
    assert out.is_file()


def test_overview_not_overwritten_without_force(here, tmp_path):
    out = tmp_path / "总览.xlsx"
    out.write_bytes(b"keep me")
    result = run("check", f"{INBOX}/商务局.xlsx", f"{INBOX}/乡镇", "--report", out)
    assert result.exit_code == 2
    assert result.stderr == f"错误：{out}：文件已存在，未覆盖（如需覆盖请加 --force）\n"
    assert out.read_bytes() == b"keep me"
    result = run("check", f"{INBOX}/商务局.xlsx", f"{INBOX}/乡镇", "--report", out, "--force")
    assert result.exit_code == 0
    assert openpyxl.load_workbook(out).sheetnames == ["各单位检查结果", "问题清单"]


def test_overview_needs_an_xlsx_name(here, tmp_path):
    result = run("check", INBOX, "--report", tmp_path / "总览.csv")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"错误：{tmp_path / '总览.csv'}：--report 的输出文件应以 .xlsx 结尾\n"


@pytest.mark.parametrize("force", [(), ("--force",)])
def test_overview_inside_the_checked_folder_is_refused(base, tmp_path, monkeypatch, force):
    """The next run would check it as a workbook: refused before checking anything."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(base / INBOX / "乡镇", "乡镇")
    before = sorted(p.name for p in Path("乡镇").iterdir())
    result = run("check", "乡镇", "--summary-only", "--report", "乡镇/总览.xlsx", *force)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ("错误：乡镇/总览.xlsx：--report的输出文件在要读取的文件夹 乡镇 中，下次运行时会被当作输入，已拒绝"
                             "（请保存到这个文件夹以外）\n")
    assert sorted(p.name for p in Path("乡镇").iterdir()) == before
    hidden = run("check", "乡镇", "--summary-only", "--report", "乡镇/.总览.xlsx")  # a hidden file is never collected
    assert hidden.exit_code == 0

def test_progress_bar_on_a_terminal_never_in_the_piped_output(here):
    """stderr a terminal, stdout a pipe: the bar goes to the terminal, stdout is the plain table."""
    try:
        master, slave = pty.openpty()
    except OSError:
        pytest.skip("no pseudo-terminal here")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "100"}
    proc = subprocess.Popen([sys.executable, "-m", "xlreport", "check", INBOX, "--summary-only", "--jobs", "1"],
                            stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    tty = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        tty += chunk
    os.close(master)
    stdout = proc.stdout.read().decode("utf-8")
    proc.stdout.close()
    assert proc.wait(timeout=60) == 2
    assert "检查中" in tty.decode("utf-8", errors="replace")
    assert stdout == SUMMARY


def test_no_progress_bar_when_piped(here):
    proc = subprocess.run([sys.executable, "-m", "xlreport", "check", INBOX, "--summary-only", "--jobs", "1"],
                          capture_output=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout.decode("utf-8") == SUMMARY
    assert proc.stderr == b""


# --- the order does not depend on the worker pool ----------------------------------------------------


@pytest.fixture(scope="module")
def many(base) -> Path:
    """24 files (more than batch.PARALLEL_FROM) of four kinds, interleaved, in two folders."""
    src = base / INBOX
    kinds = [src / "商务局.xlsx", src / "教育局.xlsx", src / "卫生局.xlsx", src / "乡镇" / "城关镇.xlsx"]
    root = base / "many"
    (root / "b").mkdir(parents=True)
    for i in range(24):
        folder = root if i % 3 else root / "b"
        shutil.copyfile(kinds[i % 4], folder / f"{i:02d}-{kinds[i % 4].stem}.xlsx")
    return root


class CountingPool(batch.Pool):
    started: list[int] = []

    def __init__(self, fn, workers, **kwargs):
        CountingPool.started.append(workers)
        super().__init__(fn, workers, **kwargs)


def test_same_output_with_and_without_the_worker_pool(many, monkeypatch):
    assert len(batch.collect([many])) == 24 > batch.PARALLEL_FROM
    monkeypatch.chdir(many.parent)
    monkeypatch.setattr(batch, "Pool", CountingPool)
    CountingPool.started.clear()
    serial = run("check", "many", "--jobs", "1")
    serial_json = run("check", "many", "--jobs", "1", "--json")
    assert CountingPool.started == []
    pooled = run("check", "many", "--jobs", "2")
    pooled_json = run("check", "many", "--jobs", "2", "--json")
    assert CountingPool.started == [2, 2]  # the pool really ran
    assert serial.exit_code == pooled.exit_code == serial_json.exit_code == pooled_json.exit_code == 2
    assert pooled.stdout == serial.stdout
    assert pooled_json.stdout == serial_json.stdout
    doc = json.loads(pooled_json.stdout)
    names = [f["file"] for f in doc["files"]]
    assert names == sorted(names) and len(names) == 24
    assert [f["status"] for f in doc["files"]].count("unreadable") == doc["unreadable"] == 6
    assert serial.stdout.count("无法读取 ==") == 6
    # the kind of each row follows its file, whatever order the workers finished in
    expected = {"商务局": "ok", "教育局": "errors", "卫生局": "unreadable", "城关镇": "ok"}
    assert all(f["status"] == expected[Path(f["file"]).stem[3:]] for f in doc["files"])


def test_many_files_use_every_core_by_default_few_files_stay_in_process(many, base, monkeypatch):
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: nothing to share")
    monkeypatch.chdir(base)
    monkeypatch.setattr(batch, "Pool", CountingPool)
    CountingPool.started.clear()
    assert run("check", INBOX, "--summary-only").stdout == SUMMARY  # 4 files: below batch.PARALLEL_FROM
    assert CountingPool.started == []
    assert run("check", "many", "--summary-only").exit_code == 2
    assert CountingPool.started == [os.cpu_count()]


def test_an_unreadable_files_message_is_one_line_in_the_json(tmp_path):
    """A reader's message quotes the file's name as it is; in the batch's rows (JSON, overview,
    web page) a line break in the name is shown escaped, as on the terminal."""
    name = tmp_path / "报告\r\n伪造的一行 .txt"
    name.write_text("不是年度报告", encoding="utf-8")
    (result,) = batch.check_many([name], workers=1)
    assert result.status == "unreadable"
    assert result.message == f"{tmp_path}/报告\\x0d\\x0a伪造的一行 .txt：不是政府信息公开工作年度报告（找不到国办公开办函〔2021〕30号格式的三张表格），未导入"
