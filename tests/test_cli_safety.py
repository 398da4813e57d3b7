"""What the command line does with hostile input and with its own edges: outputs that would be
inputs, --force with one meaning, Ctrl-C, escape sequences from files, unsafe default names,
file names that are not UTF-8, and click's usage errors and help in Chinese."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from factories import filled_report, set_cells, write
from xlreport.office import batch
from xlreport.format import spec
from xlreport.cli import cli
from xlreport.cli import zh

META_AGENCY = spec.META_BY_KEY["agency"]


def run(*args, **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="xlreport", **kwargs)


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def good(tmp_path) -> Path:
    return write(tmp_path / "报告.xlsx", filled_report())


# --- an output is never an input -------------------------------------------------------------------

def _json_of(tmp_path: Path) -> Path:
    path = tmp_path / "数据.json"
    assert run("export", tmp_path / "报告.xlsx", "-o", path).exit_code == 0
    return path


OVERLAPS = {
    "check --annotate": (lambda t: ["check", t / "报告.xlsx", "--annotate", t / "报告.xlsx"], "--annotate", "报告.xlsx"),
    "check --report": (lambda t: ["check", t / "报告.xlsx", "--report", t / "报告.xlsx"], "--report", "报告.xlsx"),
    "check --report = --previous": (lambda t: ["check", t / "报告.xlsx", "--previous", t / "上年.xlsx", "--report", t / "上年.xlsx"],
                                    "--report", "上年.xlsx"),
    "export -o": (lambda t: ["export", _json_of(t), "-o", t / "数据.json"], "-o", "数据.json"),
    "new -o = --previous": (lambda t: ["new", "--previous", t / "上年.xlsx", "-o", t / "上年.xlsx"], "-o", "上年.xlsx"),
    "build -o = --template": (lambda t: ["build", t / "报告.xlsx", "--template", t / "模板.docx", "-o", t / "模板.docx"], "-o", "模板.docx"),
    "merge -o": (lambda t: ["merge", t / "报告.xlsx", t / "上年.xlsx", "-o", t / "上年.xlsx", "--agency", "某县人民政府"], "-o", "上年.xlsx"),
}


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
@pytest.mark.parametrize("case", sorted(OVERLAPS))
def test_an_output_that_is_an_input_is_refused_before_any_work(case, force, tmp_path, good):
    write(tmp_path / "上年.xlsx", filled_report(year=2023))
    assert run("template", "-o", tmp_path / "模板.docx").exit_code == 0
    make, label, name = OVERLAPS[case]
    args = make(tmp_path)
    before = snapshot(tmp_path)
    result = run(*args, *force)
    assert result.exit_code == 2, result.output
    out = tmp_path / name
    assert result.stderr == f"错误：{out}：{label}的输出文件就是输入文件 {out}，已拒绝（输入文件从不被改写）（请换一个输出文件名）\n"
    assert snapshot(tmp_path) == before


def test_an_output_reached_through_a_symlink_or_a_hard_link_is_an_input_too(tmp_path, good):
    os.symlink(good, tmp_path / "链接.xlsx")
    os.link(good, tmp_path / "硬链接.xlsx")
    before = snapshot(tmp_path)
    for name in ("链接.xlsx", "硬链接.xlsx"):
        result = run("check", good, "--annotate", tmp_path / name, "--force")
        assert result.exit_code == 2
        assert result.stderr == (f"错误：{tmp_path / name}：--annotate的输出文件就是输入文件 {good}，已拒绝（输入文件从不被改写）"
                                 "（请换一个输出文件名）\n")
    assert snapshot(tmp_path) == before


def test_the_accept_record_is_never_the_previous_report(tmp_path, good):
    previous = tmp_path / "报告.xlsx.accept.json"
    previous.write_text("{}", encoding="utf-8")
    result = run("accept", good, "--rule", "value-blank", "--reason", "确认", "--previous", previous)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"错误：{previous}：确认记录的输出文件就是输入文件 {previous}，已拒绝")


# --- Ctrl-C --------------------------------------------------------------------------------------------

def _interrupt_after(n: int):
    seen = []
    real = batch.check_one

    def check_one(path, *args, **kwargs):
        seen.append(path)
        if len(seen) > n:
            raise KeyboardInterrupt
        return real(path, *args, **kwargs)

    return check_one


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_leaves_nothing_behind_says_so_and_exits_130(tmp_path, good, monkeypatch, jobs):
    inbox = tmp_path / "收到"
    inbox.mkdir()
    for i in range(20):
        shutil.copyfile(good, inbox / f"{i:02d}.xlsx")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    import multiprocessing.util

    # multiprocessing's own folder of this (test) process, which a forkserver uses and removes at
    # the process's exit: made before the run, so that only what the run leaves is looked at
    multiprocessing.util.get_temp_dir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    if jobs == "1":
        monkeypatch.setattr(batch, "check_one", _interrupt_after(5))
    else:  # in the parent, as a real Ctrl-C arrives, while the workers are busy
        from xlreport.cli import printer

        real_add = printer.BatchPrinter.add

        def add(self, r):
            if sum(self.counts.values()) == 5:
                raise KeyboardInterrupt
            real_add(self, r)

        monkeypatch.setattr(printer.BatchPrinter, "add", add)
    out = tmp_path / "总览.xlsx"
    before = snapshot(inbox)
    result = run("check", inbox, "--report", out, "--jobs", jobs)
    assert result.exit_code == 130
    assert result.stderr.endswith("已中断\n")
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".~xlreport")] == []
    assert list(scratch.iterdir()) == []
    assert snapshot(inbox) == before
    import multiprocessing

    assert multiprocessing.active_children() == []


def test_ctrl_c_while_writing_a_workbook_leaves_no_half_file(tmp_path, monkeypatch):
    from xlreport.xlsx import writer as workbook

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(workbook._Writer, "write_guide", interrupted)
    result = run("new", "--agency", "某局", "--year", "2024", "-o", tmp_path / "新.xlsx")
    assert (result.exit_code, result.stderr) == (130, "\n已中断\n")
    assert list(tmp_path.iterdir()) == []


# --- what reaches the console -----------------------------------------------------------------------------

ESCAPES = "\x1b]0;被改了标题\x07\x1b[2J\r\x9b31m\u202e"
SHOWN = "\\x1b]0;被改了标题\\x07\\x1b[2J\\x0d\\x9b31m\\u202e"
# as a hostile file carries them: XML escapes (_xHHHH_) in the shared strings, which readers decode
ESCAPES_XML = "_x001B_]0;被改了标题_x0007__x001B_[2J_x000D_\x9b31m\u202e".encode()


def with_escapes(path: Path, where, before: str, out: Path) -> Path:
    """``path`` with the text ``before`` + ESCAPES in the cell ``where``."""
    import zipfile

    from factories import patch_zip

    marked = set_cells(path, {where: before + "ESCAPEMARK"}, out)
    with zipfile.ZipFile(marked) as z:
        parts = [n for n in z.namelist() if n.endswith(".xml") and b"ESCAPEMARK" in z.read(n)]
    assert parts
    return patch_zip(marked, {n: lambda xml: xml.replace(b"ESCAPEMARK", ESCAPES_XML) for n in parts})


def test_text_from_a_cell_reaches_the_console_escaped(tmp_path, good):
    bad = with_escapes(good, ("active", "licensing"), "12", tmp_path / "坏.xlsx")
    result = run("check", bad)
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x9b" not in result.output and "\u202e" not in result.output
    assert f"“12{SHOWN}”是文字" in result.stdout.replace("\n", "")
    doc = json.loads(run("check", bad, "--json").stdout)
    assert doc["files"][0]["problems"][0]["actual"] == "12" + ESCAPES  # JSON keeps the text, escaped
    assert "\\u009b" in run("check", bad, "--json").stdout


def test_an_agency_name_with_escapes_and_an_accept_reason_with_escapes(tmp_path, good):
    named = with_escapes(good, (META_AGENCY.sheet, META_AGENCY.cell), "某局", tmp_path / "名.xlsx")
    result = run("check", named)
    assert "\x1b" not in result.output
    # the reader drops C0 controls from meta text (no document can hold them); the rest is shown escaped
    assert result.stdout.startswith(f"文件：{named}（某局]0;被改了标题[2J\\x0d\\x9b31m\\u202e 2024年）")
    record = {"accepted": [{"code": "value-blank", "place": "", "reason": "理由" + ESCAPES, "fingerprint": "0"}]}
    (tmp_path / "名.xlsx.accept.json").write_text(json.dumps(record), encoding="utf-8")
    result = run("check", named)
    assert "\x1b" not in result.output
    assert f"确认已失效（相关数字已变化），请重新核对：理由{SHOWN}" in result.stdout


def test_a_file_name_with_escapes_and_one_that_is_not_utf8(tmp_path, good):
    odd = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/\xff\xfe\x1b[31m.xlsx"))
    shutil.copyfile(good, odd)
    result = run("check", odd)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"文件：{tmp_path}/\\xff\\xfe\\x1b[31m.xlsx（测试县商务局 2024年）"
    missing = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/\xc3(.xlsx"))
    result = run("check", missing)
    assert (result.exit_code, result.stderr) == (2, f"错误：{tmp_path}/\\xc3(.xlsx：文件不存在（请检查文件名和路径）\n")
    folder = tmp_path / "收到"
    folder.mkdir()
    shutil.move(odd, Path(os.fsdecode(os.fsencode(str(folder)) + b"/\xff.xlsx")))
    shutil.copyfile(good, folder / "好.xlsx")
    report = tmp_path / "总览.xlsx"
    result = run("check", folder, "--json", "--report", report)
    assert result.exit_code == 0
    files = [f["file"] for f in json.loads(result.stdout)["files"]]
    assert files == [f"{folder}/好.xlsx", f"{folder}/\udcff.xlsx"]  # JSON gives the name back as it is
    import openpyxl

    rows = list(openpyxl.load_workbook(report)["各单位检查结果"].values)
    assert [r[0] for r in rows[1:]] == [f"{folder}/好.xlsx", f"{folder}/\\xff.xlsx"]


def test_printable_text_needs_no_search_for_what_to_escape():
    """shown() and shown_line() return printable text untouched without searching it: true only
    because no printable character is one they escape (every code point checked)."""
    import sys

    from xlreport import shown

    escaped = [c for c in range(sys.maxunicode + 1)
               if chr(c).isprintable() and (shown._UNSAFE.search(chr(c)) or shown._UNSAFE_LINE.search(chr(c)))]
    assert escaped == []
    assert shown.shown_line("报告\u3000.xlsx") == "报告\u3000.xlsx"  # unprintable, and still not escaped
    assert shown.shown_line("a\tb\u202ec") == "a\\x09b\\u202ec"
    assert shown.shown("a\tb\u202ec") == "a\tb\\u202ec"


@pytest.mark.parametrize("agency, name", [
    ("某局\u202egpj.exe", "某局_gpj.exe2024年政府信息公开工作年度报告.xlsx"),
    ("../../上级/某局", "_.._上级_某局2024年政府信息公开工作年度报告.xlsx"),  # never a hidden file
    ("CON", "_CON2024年政府信息公开工作年度报告.xlsx"),
    ("很长的机关名称" * 20, "很长的机关名称" * 8 + "很长的机" + "2024年政府信息公开工作年度报告.xlsx"),
])
def test_default_file_names_are_safe_and_short(tmp_path, monkeypatch, agency, name):
    monkeypatch.chdir(tmp_path)
    result = run("new", "--agency", agency, "--year", "2024")
    assert result.exit_code == 0, result.output
    assert os.listdir(tmp_path) == [name]


# --- click in Chinese -----------------------------------------------------------------------------------

USAGE_ERRORS = {
    "unknown option": (["check", "--bogus", "x"], "用法：xlreport check [选项] 文件或文件夹...\n"
                       "错误：没有“--bogus”这个选项；是不是要用 --jobs？\n（用“xlreport check -h”查看帮助）\n"),
    "unknown command": (["chek"], "用法：xlreport [选项] 命令 [参数]...\n错误：没有“chek”这个命令；是不是要用 check？\n（用“xlreport -h”查看帮助）\n"),
    "missing argument": (["check"], "用法：xlreport check [选项] 文件或文件夹...\n错误：缺少参数 文件或文件夹...\n（用“xlreport check -h”查看帮助）\n"),
    "missing option": (["merge", "x"], "用法：xlreport merge [选项] 文件或文件夹...\n错误：缺少选项 -o / --output\n（用“xlreport merge -h”查看帮助）\n"),
    "option without its value": (["check", "x", "--jobs"], "错误：选项 --jobs 后面要跟一个值。\n"),
    "bad value": (["check", "--jobs", "0", "x"], "用法：xlreport check [选项] 文件或文件夹...\n"
                  "错误：--jobs 的值无效：“0”不是 1—64 之间的整数\n（用“xlreport check -h”查看帮助）\n"),
    "extra argument": (["export", "a", "b"], "用法：xlreport export [选项] 文件\n错误：多余的参数（b）\n（用“xlreport export -h”查看帮助）\n"),
    "flag given a value": (["check", "--json=yes", "x"], "错误：选项 --json 后面不能跟值。\n"),
}


@pytest.mark.parametrize("case", sorted(USAGE_ERRORS))
def test_usage_errors_are_chinese_and_exit_2(case):
    args, expected = USAGE_ERRORS[case]
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == expected


ENGLISH_ALLOWED = {"xlreport", "JSON", "Excel", "Word", "WPS", "LibreOffice", "PDF", "OCR", "docs", "json", "md", "rules",
                   "check", "new", "build", "export", "import", "template", "merge", "accept", "report", "schema",
                   "xlsx", "xlsm", "xls", "ods", "html", "htm", "docx", "pdf", "txt", "CPU", "active", "in_force", "force",
                   "serve", "Ctrl", "DNS", "audit", "CSV"}


def _english_words(text: str) -> set[str]:
    text = re.sub(r"--?[a-z][a-z-]*", "", text)  # option names
    return set(re.findall(r"[A-Za-z_]{3,}", text)) - ENGLISH_ALLOWED


@pytest.mark.parametrize("command", [None] + list(cli.commands))
def test_help_is_chinese(command):
    result = run(*([command] if command else []), "-h")
    assert result.exit_code == 0
    assert result.stdout.startswith("用法：xlreport ")
    assert "选项：" in result.stdout
    assert _english_words(result.stdout) == set()
    assert max(zh.width(line) for line in result.stdout.splitlines()) <= 80


def test_no_command_shows_the_help():
    result = run()
    assert result.exit_code == 2
    assert result.stderr.startswith("用法：xlreport [选项] 命令 [参数]...\n\n  政府信息公开工作年度报告")
    assert "命令：\n  new       生成填报用的 Excel 工作簿\n  check     " in result.stderr


def test_every_message_id_is_one_click_still_uses():
    """The catalogue is keyed by click's message ids: a click release that changes one would
    quietly bring English back."""
    import click

    source = "".join(Path(click.__file__).with_name(f"{m}.py").read_text(encoding="utf-8") for m in zh.MODULES
                     if Path(click.__file__).with_name(f"{m}.py").exists())
    for msgid in zh.CATALOGUE:
        assert repr(msgid)[1:-1] in source or msgid in source, msgid
    for singular, plural in zh.PLURALS:
        assert singular in source and plural in source, singular


@pytest.mark.parametrize("content", [
    b"not json", b'{"accepted": 5}', b'{"accepted": [{"code": 1, "place": "", "fingerprint": ""}]}',
    b"[" * 100000, b'{"accepted": [' + b'{"code": "a", "place": "b", "fingerprint": "c"},' * 10001 + b'{"code": "a", "place": "b", "fingerprint": "c"}]}',
], ids=["not-json", "not-a-list", "wrong-types", "deep", "too-many"])
def test_a_malformed_accept_record_is_one_line(tmp_path, good, content):
    record = tmp_path / "报告.xlsx.accept.json"
    record.write_bytes(content)
    result = run("check", good)
    assert result.exit_code == 2
    assert result.stderr == f"错误：{record}：确认记录文件已损坏，无法读取（删除该文件后重新确认）\n"
    assert record.read_bytes() == content


# --- where the output goes --------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
def test_a_fifo_is_never_replaced_by_an_output(tmp_path, good, force):
    fifo = tmp_path / "管道.json"
    os.mkfifo(fifo)
    result = run("export", good, "-o", fifo, *force)
    assert (result.exit_code, result.stderr) == (2, f"错误：{fifo}：不是普通文件（设备、管道或套接字），不能用作输出文件（请给出一个普通文件名）\n")
    assert fifo.is_fifo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["报告.xlsx", "管道.json"]


def test_an_output_name_the_system_refuses_is_one_line(tmp_path, good):
    long = tmp_path / ("名" * 200 + ".docx")  # 600 bytes: past any file system's 255
    result = run("build", good, "-o", long)
    assert (result.exit_code, result.stderr) == (2, f"错误：{long}：无法写入（File name too long）\n")


def _console(args: list, **streams) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xlreport", *map(str, args)], capture_output="stdout" not in streams,
                          text=True, encoding="utf-8", timeout=120, **streams)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
@pytest.mark.parametrize("extra", [[], ["--json"]], ids=["table", "json"])
def test_output_to_a_full_disk_is_one_line_and_exit_2(good, extra):
    with open("/dev/full", "w") as full:
        proc = _console(["check", good, *extra], stdout=full, stderr=subprocess.PIPE)
    assert (proc.returncode, proc.stderr) == (2, "错误：无法写出结果（No space left on device）\n")


@pytest.mark.skipif(os.name != "posix", reason="starts a process with its stdout closed")
@pytest.mark.parametrize("command", [["check"], ["export"]], ids=["check", "export"])
def test_a_command_started_with_its_output_closed_says_so_and_exits_2(good, command):
    """`xlreport export 报告.xlsx >&-` wrote its JSON nowhere and exited 0."""
    proc = subprocess.run([sys.executable, "-m", "xlreport", *command, str(good)], preexec_fn=lambda: os.close(1),
                          stderr=subprocess.PIPE, text=True, encoding="utf-8", timeout=120)
    assert (proc.returncode, proc.stderr) == (2, "错误：无法写出结果（标准输出已关闭）\n")


WRITTEN_THEN_SAID = {  # a command that writes a file and then says so
    "build": ["build", "{good}", "-o", "{out}.docx"],
    "new": ["new", "--agency", "测试县商务局", "--year", "2024", "-o", "{out}.xlsx"],
    "template": ["template", "-o", "{out}.docx"],
}  # (export and import say it on stderr)


@pytest.mark.skipif(os.name != "posix", reason="starts a process with its stdout closed")
@pytest.mark.parametrize("command", WRITTEN_THEN_SAID)
def test_a_file_written_whole_is_kept_and_said_when_its_announcement_is_lost(tmp_path, good, command):
    """Its file is whole: it is kept, and the error line says so (exit 2: the run did not end as
    it should). The file is the one a run with its output open writes."""
    def args(out: str) -> list:
        return [a.replace("{good}", str(good)).replace("{out}", str(tmp_path / out)) for a in WRITTEN_THEN_SAID[command]]

    lost = args("无声")
    proc = subprocess.run([sys.executable, "-m", "xlreport", *lost], preexec_fn=lambda: os.close(1),
                          stderr=subprocess.PIPE, text=True, encoding="utf-8", timeout=120)
    written = Path(lost[-1])
    assert (proc.returncode, proc.stderr) == (2, f"错误：{written} 已完整生成，但无法显示这条提示（标准输出已关闭）\n")
    assert run(*args("有声")).exit_code == 0
    assert _contents(written) == _contents(tmp_path / ("有声" + written.suffix))


def _contents(path: Path):
    """What a file says, without the times its writer stamps it with."""
    if path.suffix == ".docx":
        import docx

        return [p.text for p in docx.Document(str(path)).paragraphs]
    if path.suffix == ".xlsx":
        from xlreport import api, model

        return model.to_dict(api.load(path).report)
    return path.read_bytes()


def test_a_file_name_with_a_line_break_cannot_print_a_line_of_its_own(tmp_path, good):
    forged = tmp_path / "x.xlsx\n检查通过：没有发现问题。\n.xlsx"
    shutil.copyfile(good, forged)
    result = run("check", forged)
    assert result.stdout.splitlines()[0] == f"文件：{tmp_path}/x.xlsx\\x0a检查通过：没有发现问题。\\x0a.xlsx（测试县商务局 2024年）"


FORGED_LINE = "\n错误：伪造的一行\n"
OUTPUT_NAMES = {  # a command, and what it prints about its output (the name goes where {} is)
    "export": (["export", "{good}", "-o", "{out}.json"], "已导出：{}.json"),
    "build": (["build", "{good}", "-o", "{out}.docx"], "已生成：{}.docx"),
    "new": (["new", "-o", "{out}.xlsx", "--agency", "测试县商务局", "--year", "2024"], "已生成：{}.xlsx"),
    "annotate": (["check", "{good}", "--annotate", "{out}.xlsx"], "已生成标注副本：{}.xlsx"),
    "report": (["check", "{good}", "{good}", "--report", "{out}.xlsx"], "已生成检查结果总览：{}.xlsx"),
    "template": (["template", "-o", "{out}.docx"], "已导出模板：{}.docx"),
}


@pytest.mark.parametrize("command", OUTPUT_NAMES)
def test_an_output_name_with_a_line_break_cannot_print_a_line_of_its_own(command, tmp_path, good):
    args, said = OUTPUT_NAMES[command]
    out = f"{tmp_path}/出{FORGED_LINE}结果"
    result = run(*[a.format(good=good, out=out) for a in args])
    assert result.exit_code == 0, result.output
    shown = out.replace("\n", "\\x0a")
    assert said.format(shown) in (result.stdout + result.stderr).splitlines()
    assert "错误：伪造的一行" not in (result.stdout + result.stderr).splitlines()


def test_a_reader_message_naming_a_file_with_a_line_break_stays_one_line(tmp_path):
    """The name deep in a reader's message (here: a text that is no report), not only where the
    command prints it itself."""
    forged = tmp_path / f"报告{FORGED_LINE}.txt"
    forged.write_text("没有表格的文字", encoding="utf-8")
    shown = str(forged).replace("\n", "\\x0a")
    for command in (["import", forged, "-o", tmp_path / "出.json"], ["check", forged]):
        result = run(*command)
        assert result.exit_code == 2
        assert result.stderr.splitlines() == [f"错误：{shown}：不是政府信息公开工作年度报告（找不到国办公开办函〔2021〕30号格式的三张表格），未导入"]


FULL_DISK_WRITES = {  # a command, and the line it ends with when the disk is full (RLIMIT_FSIZE)
    "new": (["new", "-o", "{out}.xlsx", "--agency", "测试县商务局", "--year", "2024"], "{out}.xlsx：无法写入（File too large）"),
    "export": (["export", "{good}", "-o", "{out}.json"], "{out}.json：无法写入（File too large）"),
    "build": (["build", "{good}", "-o", "{out}.docx"], "{out}.docx：无法写入（File too large）"),
    "annotate": (["check", "{good}", "--annotate", "{out}.xlsx"], "{out}.xlsx：无法写入（写临时文件失败：IO_EFBIG）（请检查磁盘空间）"),
    "audit": (["audit", "{good}", "-o", "{out}.xlsx"], "{out}.xlsx：无法写入（File too large）"),
}


@pytest.mark.skipif(os.name != "posix", reason="limits the size of the files a process writes")
@pytest.mark.parametrize("command", FULL_DISK_WRITES)
def test_a_full_disk_is_one_line_and_exit_2_and_leaves_nothing(command, tmp_path, good):
    """As if the disk filled up: xlsxwriter's FileCreateError came out as a traceback, and the
    zip writers of python-docx and openpyxl printed "Exception ignored … ZipFile.__del__" after
    the one line (found by the fuzz harness's output:disk-full-office)."""
    import resource
    import signal

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    args, line = FULL_DISK_WRITES[command]
    out = tmp_path / "出" / "结果"
    out.parent.mkdir()
    proc = subprocess.run([sys.executable, "-m", "xlreport", *[a.format(good=good, out=out) for a in args]], preexec_fn=small_files,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == ["错误：" + line.format(out=out)]
    assert list(out.parent.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="limits the size of the files a process writes")
@pytest.mark.parametrize("command", [["check", "{folder}"], ["merge", "{folder}", "-o", "{out}", "--agency", "测试县人民政府"],
                                     ["audit", "{folder}", "-o", "{out}"], ["check", "{good}", "--annotate", "{out}"],
                                     ["new", "-o", "{out}"]],
                         ids=["check", "merge", "audit", "annotate", "new"])  # (check --json streams: it needs no temporary file, and passes)
def test_no_room_for_temporary_files_is_one_line_and_exit_2(command, tmp_path, good):
    """A batch keeps its summary and the merge its rows in temporary files, openpyxl (the
    annotated copy) and xlsxwriter (new) their sheets: with no file writable anywhere (a full
    disk), tempfile finds no usable folder, which came out as a traceback (found by the fuzz
    harness's output:disk-full-office on merge; audit's overview and the annotated copy then
    also printed "Exception ignored in ZipFile.__del__", their zip left half open)."""
    import resource
    import signal

    def no_writes():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

    folder = tmp_path / "收到"
    folder.mkdir()
    for name in ("一.xlsx", "二.xlsx"):
        shutil.copyfile(good, folder / name)
    out = tmp_path / "汇总.xlsx"
    proc = subprocess.run([sys.executable, "-m", "xlreport", *[a.format(folder=folder, out=out, good=good) for a in command]],
                          preexec_fn=no_writes, capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith("错误：无法写入临时文件（No usable temporary directory found in ")
    assert line.endswith("）（请检查磁盘空间，以及临时文件夹（环境变量 TMPDIR）是否存在、可以写入）")
    assert not out.exists()


def test_a_disk_that_fills_during_a_batch_is_one_line(monkeypatch):
    from xlreport.errors import OutputError
    from xlreport.office import spool

    class Full(io.StringIO):
        def write(self, text):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(spool, "scratch_file", Full)
    rows = spool.JsonLines()
    with pytest.raises(OutputError) as e:
        rows.add(["一", 1])
    assert e.value.line() == "无法写入临时文件（No space left on device）（请检查磁盘空间，以及临时文件夹（环境变量 TMPDIR）是否存在、可以写入）"
