"""`xlreport check` and `xlreport export` as a user sees them: table, JSON, GBK console, annotated copy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from factories import filled_report, set_cells, write
from xlreport import api, model
from xlreport.format import spec
from xlreport.xlsx.annotate import problem_rows
from xlreport.cli import cli

R = filled_report()
META = spec.META_BY_KEY
PROBLEM_KEYS = ("code", "severity", "sheet", "cell", "row_label", "col_label", "expected", "actual", "message", "key")


def run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.stdout + result.stderr
    return result


def snapshot(path: Path):
    return path.read_bytes(), path.stat().st_mtime_ns


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return write(tmp_path_factory.mktemp("check") / "base.xlsx", R)


@pytest.fixture
def many(base, tmp_path) -> Path:
    """Problems on four sheets and one for the whole file, errors and warnings mixed."""
    return set_cells(base, {
        (spec.SHEET_META, META["agency"].cell): None,
        ("active", "licensing"): "１２",
        ("active", "coercion"): "3件",
        ("requests", "carried_forward", "business"): 100,
        ("appeals", "review", "upheld"): None,
        ("appeals", "review", "pending"): -1,
    }, tmp_path / "多问题.xlsx")


@pytest.fixture
def one_balance(base, tmp_path) -> Path:
    forward = ("requests", "carried_forward", "business")
    return set_cells(base, {forward: R.values[forward] + 1}, tmp_path / "差一件.xlsx")


# --- the table ----------------------------------------------------------------------------


def test_check_table_exact(many):
    result = run("check", str(many))
    assert result.exit_code == 1
    assert result.stderr == ""
    assert result.stdout == f"""\
文件：{many}（2024年）
【基本信息】
级别  位置         项目      问题            应为  实际
----  -----------  --------  --------------  ----  ----
错误  基本信息!B3  机关名称  机关名称未填写  必填  空白

【二、主动公开】
级别  位置              项目                         问题                                    应为       实际
----  ----------------  ---------------------------  --------------------------------------  ---------  ----
错误  二、主动公开!B8   行政许可 / 本年处理决定数量  “１２”是文字，不是数字；请直接填写数字  0或正整数  １２
错误  二、主动公开!B12  行政强制 / 本年处理决定数量  “3件”是文字，不是数字；请直接填写数字   0或正整数  3件

【三、依申请公开】
级别  位置                项目                   问题                                                      应为       实际
----  ------------------  ---------------------  --------------------------------------------------------  ---------  -------------
错误  三、依申请公开!E28  （七）总计 / 商业企业  商业企业列：一、本年新收（45）+ 二、上年结转（3）= 48，   一+二=48   （七）+四=142
                                                 应等于（七）总计（42）+ 四、结转下年度继续办理（100）=
                                                 142；若前三项无误，四、结转下年度继续办理应为6
错误  三、依申请公开!J28  （七）总计 / 总计      总计列：一、本年新收（270）+ 二、上年结转（27）= 297，应  一+二=297  （七）+四=391
                                                 等于（七）总计（252）+ 四、结转下年度继续办理（139）=
                                                 391；若前三项无误，四、结转下年度继续办理应为45

【四、复议诉讼】
级别  位置             项目                 问题              应为       实际
----  ---------------  -------------------  ----------------  ---------  ----
错误  四、复议诉讼!D5  行政复议 / 尚未审结  不能为负数（-1）  0或正整数  -1

【整个文件】
级别  位置  项目  问题                                                      应为  实际
----  ----  ----  --------------------------------------------------------  ----  -------
提醒  —     —     1个数字单元格为空（四、复议诉讼!A5），已按0计算（如确实         1个空白
                  为0，建议填0）

发现 6 个错误、1 个提醒。请按“应为”一栏修改后重新检查。
"""


def test_check_groups_by_sheet_errors_first(many):
    out = run("check", str(many)).stdout
    headers = [line for line in out.splitlines() if line.startswith("【")]
    assert headers == ["【基本信息】", "【二、主动公开】", "【三、依申请公开】", "【四、复议诉讼】", "【整个文件】"]
    for block in out.split("【")[1:]:
        lines = block.splitlines()
        assert lines[1].split() == ["级别", "位置", "项目", "问题", "应为", "实际"]
        levels = [line[:2] for line in lines[3:] if line[:2] in ("错误", "提醒")]
        assert levels == sorted(levels, key=lambda x: x != "错误"), block


def test_no_number_is_cut_across_lines(many):
    """A long message wraps between words, never inside a number ("= 1" / "42" would read as 1)."""
    out = run("check", str(many)).stdout
    lines = out.splitlines()
    for above, below in zip(lines, lines[1:]):
        cut_above = above.rstrip()[-1:].isdigit()
        first_below = below.strip()[:1]
        assert not (cut_above and first_below.isdigit() and below.startswith(" ")), (above, below)


def test_clean_file_summary(base):
    result = run("check", str(base))
    assert result.exit_code == 0
    assert result.stdout == f"文件：{base}（{R.agency} {R.year}年）\n检查通过：没有发现问题。\n"
    assert result.stderr == ""


def test_warnings_only_exit_zero(base, tmp_path):
    book = set_cells(base, {("appeals", "review", "upheld"): None}, tmp_path / "提醒.xlsx")
    result = run("check", str(book))
    assert result.exit_code == 0
    assert result.stdout.endswith("检查通过：没有错误，有 1 个提醒。\n")


# --- JSON ---------------------------------------------------------------------------------


def test_check_json_lists_every_problem(many):
    result = run("check", "--json", str(many))
    assert result.exit_code == 1
    assert result.stderr == ""
    doc = json.loads(result.stdout)
    checked = api.check_file(many)
    assert (doc["errors"], doc["warnings"], doc["unreadable"]) == (6, 1, 0)
    (entry,) = doc["files"]
    assert (entry["file"], entry["status"], entry["agency"], entry["year"], entry["errors"], entry["warnings"]) == (
        str(many), "errors", None, 2024, 6, 1)
    assert len(entry["problems"]) == len(checked.problems) == 7
    for got, want in zip(entry["problems"], checked.problems):
        for key in PROBLEM_KEYS:
            assert key in got, key
        assert {k: got[k] for k in PROBLEM_KEYS} == {k: want.to_dict()[k] for k in PROBLEM_KEYS}
    pending = next(p for p in entry["problems"] if p["cell"] == "D5")
    assert {k: pending[k] for k in PROBLEM_KEYS} == {
        "code": "value-type", "severity": "error", "sheet": spec.SHEET_APPEALS, "cell": "D5",
        "row_label": "行政复议", "col_label": "尚未审结", "expected": "0或正整数", "actual": "-1",
        "message": "不能为负数（-1）", "key": "appeals.review.pending",
    }
    blank = next(p for p in entry["problems"] if p["code"] == "value-blank")
    assert (blank["sheet"], blank["cell"], blank["severity"]) == ("", "", "warning")


def test_check_json_several_files(base, many, tmp_path):
    missing = tmp_path / "没有.xlsx"
    result = run("check", "--json", str(base), str(many), str(missing))
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert [(f["file"], f["status"]) for f in doc["files"]] == [(str(base), "ok"), (str(many), "errors"), (str(missing), "unreadable")]
    assert doc["unreadable"] == 1
    assert doc["files"][2]["message"] == f"{missing}：文件不存在"


# --- several files -----------------------------------------------------------------------


def test_several_files_one_unreadable_exit_2(base, many, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("好.xlsx").write_bytes(base.read_bytes())
    Path("空.xlsx").write_bytes(b"")
    result = run("check", "好.xlsx", many.name, "空.xlsx")
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert result.stderr == ""
    assert result.stdout == f"""\
文件         机关名称      年度  错误  提醒  状态
-----------  ------------  ----  ----  ----  --------
好.xlsx      测试县商务局  2024  0     0     通过
多问题.xlsx  —             2024  6     1     有错误
空.xlsx      —             —     1     0     无法读取
共 3 个文件：1 个通过，1 个有错误，1 个无法读取。

== 多问题.xlsx（机关名称未填）：6 个错误、1 个提醒 ==
{run("check", many.name).stdout.split(chr(10), 1)[1].rsplit("发现", 1)[0]}
== 空.xlsx：无法读取 ==
空.xlsx：文件是空的（0 字节）
"""


def test_several_files_all_readable_exit_1(base, many):
    assert run("check", str(base), str(many)).exit_code == 1
    assert run("check", str(base), str(base)).exit_code == 0  # the same file twice is checked once


# --- a GBK console ---------------------------------------------------------------------------


def run_gbk(*args: str):
    env = {**os.environ, "PYTHONIOENCODING": "gbk"}
    return subprocess.run([sys.executable, "-m", "xlreport", *args], env=env, capture_output=True, timeout=120)


def test_gbk_console_pipe(many):
    proc = run_gbk("check", str(many))
    assert proc.returncode == 1, proc.stderr.decode("gbk", "replace")
    text = proc.stdout.decode("gbk")  # strict: every byte is GBK
    assert text.replace("\r\n", "\n") == run("check", str(many)).stdout
    assert proc.stderr == b""


def test_gbk_console_unreadable_file(tmp_path):
    empty = tmp_path / "空文件.xlsx"
    empty.write_bytes(b"")
    proc = run_gbk("check", str(empty))
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert proc.stderr.decode("gbk") == f"错误：{empty}：文件是空的（0 字节）\n"


def test_gbk_console_text_outside_gbk_does_not_crash(base, tmp_path):
    """An agency name with a character GBK lacks (CJK Extension B) is replaced, not a traceback."""
    book = set_cells(base, {(spec.SHEET_META, META["agency"].cell): "测试\U00020000局"}, tmp_path / "生僻字.xlsx")
    proc = run_gbk("check", str(book))
    assert proc.returncode == 0, proc.stderr.decode("gbk", "replace")
    text = proc.stdout.decode("gbk")
    assert f"文件：{book}（测试?局 2024年）" in text
    assert b"Traceback" not in proc.stderr


def test_gbk_console_json(many):
    proc = run_gbk("check", "--json", str(many))
    assert proc.returncode == 1
    doc = json.loads(proc.stdout.decode("gbk"))
    assert doc["errors"] == 6


# --- the annotated copy --------------------------------------------------------------------


def test_annotate_marks_every_problem_cell(many, tmp_path):
    before = snapshot(many)
    out = tmp_path / "标注.xlsx"
    result = run("check", str(many), "--annotate", str(out))
    assert result.exit_code == 1
    assert result.stdout.endswith(f"已生成标注副本：{out}\n")
    assert snapshot(many) == before
    problems = api.check_file(many).problems
    wb = openpyxl.load_workbook(out)
    for p in problems:
        if not p.cell:
            continue
        comment = wb[p.sheet][p.cell].comment
        assert comment is not None, p.line()
        assert p.message in comment.text
        assert comment.author == "xlreport"
    # the cells a balance involves are marked too
    forward = spec.FIELD_BY_PATH[("requests", "carried_forward", "business")]
    assert "商业企业列" in wb[forward.sheet][forward.cell].comment.text
    listed = [list(r) for r in wb[spec.SHEET_PROBLEMS].iter_rows(max_col=6, values_only=True) if any(r)]
    assert listed[0] == ["级别", "位置", "项目", "问题", "应为", "实际"]
    assert [row[3] for row in listed[1:]] == [p.message for p in problems]
    assert [[v or "" for v in row] for row in listed] == problem_rows(problems)
    assert wb.active.title == spec.SHEET_PROBLEMS
    # the clerk's entries are in the copy as typed (it is their file plus marks)
    licensing = spec.FIELD_BY_PATH[("active", "licensing")]
    assert wb[licensing.sheet][licensing.cell].value == "１２"
    pending = spec.FIELD_BY_PATH[("appeals", "review", "pending")]
    assert wb[pending.sheet][pending.cell].value == -1


def test_annotate_json_mode_tells_on_stderr(many, tmp_path):
    out = tmp_path / "标注.xlsx"
    result = run("check", "--json", str(many), "--annotate", str(out))
    assert result.exit_code == 1
    json.loads(result.stdout)
    assert result.stderr == f"已生成标注副本：{out}\n"
    assert out.is_file()


def test_fixing_the_marked_cell_passes(base, tmp_path):
    coercion = spec.FIELD_BY_PATH[("active", "coercion")]
    book = set_cells(base, {("active", "coercion"): "3件"}, tmp_path / "带单位.xlsx")
    out = tmp_path / "标注.xlsx"
    assert run("check", str(book), "--annotate", str(out)).exit_code == 1
    wb = openpyxl.load_workbook(out)
    (told,) = api.check_file(book).problems
    assert told.actual == "3件" and told.message in wb[coercion.sheet][coercion.cell].comment.text
    assert wb[coercion.sheet][coercion.cell].value == "3件"  # still what the clerk typed
    wb[coercion.sheet][coercion.cell] = 3  # the clerk fixes the marked cell
    wb.save(out)
    result = run("check", str(out))
    assert result.exit_code == 0, result.stdout
    assert result.stdout == f"文件：{out}（{R.agency} {R.year}年）\n检查通过：没有发现问题。\n"


def test_fixing_the_balance_as_told_passes(one_balance, tmp_path):
    forward = spec.FIELD_BY_PATH[("requests", "carried_forward", "business")]
    out = tmp_path / "标注.xlsx"
    first = run("check", str(one_balance), "--annotate", str(out))
    assert first.exit_code == 1
    told = R.values[("requests", "carried_forward", "business")]
    assert f"四、结转下年度继续办理应为{told}" in api.check_file(one_balance).problems[0].message
    wb = openpyxl.load_workbook(out)
    assert wb[forward.sheet][forward.cell].comment is not None
    wb[forward.sheet][forward.cell] = told
    wb.save(out)
    assert run("check", str(out)).exit_code == 0


def test_annotate_refuses_to_overwrite(many, tmp_path):
    out = tmp_path / "标注.xlsx"
    out.write_bytes(b"keep")
    result = run("check", str(many), "--annotate", str(out))
    assert result.exit_code == 2
    assert result.stderr == f"错误：{out}：文件已存在，未覆盖（如需覆盖请加 --force）\n"
    assert out.read_bytes() == b"keep"
    forced = run("check", str(many), "--annotate", str(out), "--force")
    assert forced.exit_code == 1
    assert openpyxl.load_workbook(out)[spec.SHEET_PROBLEMS]["D2"].value


def test_annotate_unreadable_input_writes_nothing(tmp_path):
    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    out = tmp_path / "标注.xlsx"
    result = run("check", str(empty), "--annotate", str(out))
    assert result.exit_code == 2
    assert not out.exists()


def test_annotate_needs_an_xlsx_name(many, tmp_path):
    out = tmp_path / "标注.xls"
    result = run("check", str(many), "--annotate", str(out))
    assert result.exit_code == 2
    assert result.stderr == f"错误：{out}：--annotate 的输出文件应以 .xlsx 结尾\n"


# --- export ----------------------------------------------------------------------------------


def test_export_to_stdout(base):
    result = run("export", str(base))
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == model.to_json(R)
    assert model.equal(model.from_json(result.stdout), R)


def test_export_to_file_and_no_overwrite(base, tmp_path):
    out = tmp_path / "报告.json"
    result = run("export", str(base), "-o", str(out))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == f"已导出：{out}\n"
    assert out.read_text(encoding="utf-8") == model.to_json(R)
    before = snapshot(out)
    again = run("export", str(base), "-o", str(out))
    assert again.exit_code == 2
    assert again.stderr == f"错误：{out}：文件已存在，未覆盖（如需覆盖请加 --force）\n"
    assert snapshot(out) == before
    forced = run("export", str(base), "-o", str(out), "--force")
    assert forced.exit_code == 0
    assert out.read_text(encoding="utf-8") == model.to_json(R)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".~")] == []


def test_export_tells_reading_problems_on_stderr(base, tmp_path):
    book = set_cells(base, {("active", "coercion"): "3件", ("active", "licensing"): "１２"}, tmp_path / "e.xlsx")
    result = run("export", str(book))
    assert result.exit_code == 1
    coercion = spec.FIELD_BY_PATH[("active", "coercion")]
    licensing = spec.FIELD_BY_PATH[("active", "licensing")]
    assert sorted(result.stderr.splitlines()) == sorted([
        f"错误：{coercion.sheet}!{coercion.cell}（行政强制 / 本年处理决定数量）：“3件”是文字，不是数字；请直接填写数字",
        f"错误：{licensing.sheet}!{licensing.cell}（行政许可 / 本年处理决定数量）：“１２”是文字，不是数字；请直接填写数字",
    ])
    data = json.loads(result.stdout)
    assert data["active"]["coercion"] is None
    assert data["active"]["licensing"] is None


def test_export_of_a_json_report_is_the_same_json(tmp_path):
    src = tmp_path / "报告.json"
    src.write_text(model.to_json(R), encoding="utf-8")
    result = run("export", str(src))
    assert result.exit_code == 0
    assert result.stdout == model.to_json(R)


def test_check_json_report_file(tmp_path):
    src = tmp_path / "报告.json"
    values = dict(R.values)
    values[("appeals", "review", "total")] += 1
    src.write_text(model.to_json(model.Report(dict(R.meta), values, R.text)), encoding="utf-8")
    result = run("check", "--json", str(src))
    assert result.exit_code == 1
    (p,) = json.loads(result.stdout)["files"][0]["problems"]
    assert (p["code"], p["sheet"], p["cell"], p["key"]) == ("appeals-total", spec.SHEET_APPEALS, "E5", "appeals.review.total")
