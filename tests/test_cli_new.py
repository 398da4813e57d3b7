"""`xlreport new`: the file it writes, its one line of output, and how it refuses bad input."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from importlib.metadata import version
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlreport.format import spec
from xlreport.cli import cli

HINT = "（对照 xlreport/format/report.schema.json 修改数据文件）"
SUFFIX = "年政府信息公开工作年度报告.xlsx"
YEAR_RANGE = "国办公开办函〔2021〕30号格式适用于2021—2099年度的报告"
LAST_YEAR = dt.date.today().year - 1


def test_click_separates_stderr():
    # CliRunner keeps stderr apart (result.stderr) from click 8.2 on; these tests rely on it
    major, minor = (int(x) for x in version("click").split(".")[:2])
    assert (major, minor) >= (8, 2)


def invoke(*args: str):
    result = CliRunner().invoke(cli, ["new", *args])
    assert "Traceback" not in result.output
    return result


def listing(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"<dir>") for p in sorted(folder.rglob("*"))}


def meta_of(path: Path) -> dict:
    ws = openpyxl.load_workbook(path)[spec.SHEET_META]
    return {m.key: ws[m.cell].value for m in spec.META_FIELDS}


def assert_refused(result, message: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stdout == ""
    assert result.stderr == f"错误：{message}\n"
    result.stderr.encode("gbk")  # a Windows 中文版 console must be able to show it


# --- success ------------------------------------------------------------------------------------


def test_default_name_and_last_year(tmp_path):
    with CliRunner().isolated_filesystem(temp_dir=tmp_path) as cwd:
        result = invoke("--agency", "上犹县商务局")
        name = f"上犹县商务局{LAST_YEAR}{SUFFIX}"
        assert result.exit_code == 0, result.output
        assert result.stdout == f"已生成：{name}\n"
        assert result.stderr == ""
        assert sorted(os.listdir(cwd)) == [name]
        meta = meta_of(Path(cwd) / name)
        assert meta["agency"] == "上犹县商务局" and meta["year"] == LAST_YEAR


def test_no_options_at_all(tmp_path):
    with CliRunner().isolated_filesystem(temp_dir=tmp_path) as cwd:
        result = invoke()
        (name,) = os.listdir(cwd)
        assert name.endswith(f"{LAST_YEAR}{SUFFIX}")
        assert (result.exit_code, result.stdout, result.stderr) == (0, f"已生成：{name}\n", "")
        meta = meta_of(Path(cwd) / name)
        assert meta == {**{m.key: None for m in spec.META_FIELDS}, "year": LAST_YEAR}


def test_default_name_from_data(tmp_path, example_json):
    with CliRunner().isolated_filesystem(temp_dir=tmp_path) as cwd:
        result = invoke("--data", str(example_json))
        name = f"上犹县商务局2024{SUFFIX}"
        assert (result.exit_code, result.stdout, result.stderr) == (0, f"已生成：{name}\n", "")
        assert sorted(os.listdir(cwd)) == [name]
        meta = meta_of(Path(cwd) / name)
        assert meta["year"] == 2024 and meta["postcode"] == "341200"
        ws = openpyxl.load_workbook(Path(cwd) / name)[spec.SHEET_ACTIVE]
        assert ws[spec.FIELD_BY_PATH[("active", "normative_documents", "in_force")].cell].value == 3


def test_options_override_data(tmp_path, example_json):
    with CliRunner().isolated_filesystem(temp_dir=tmp_path) as cwd:
        result = invoke("--data", str(example_json), "--year", "2023", "--agency", "  上犹县人民政府  ")
        name = f"上犹县人民政府2023{SUFFIX}"
        assert (result.exit_code, result.stdout) == (0, f"已生成：{name}\n")
        meta = meta_of(Path(cwd) / name)
        assert (meta["agency"], meta["year"], meta["office"]) == ("上犹县人民政府", 2023, "办公室")


def test_agency_unsafe_in_file_name(tmp_path):
    with CliRunner().isolated_filesystem(temp_dir=tmp_path) as cwd:
        result = invoke("--agency", "市/区:局", "--year", "2022")
        name = f"市_区_局2022{SUFFIX}"
        assert (result.exit_code, result.stdout) == (0, f"已生成：{name}\n")
        assert meta_of(Path(cwd) / name)["agency"] == "市/区:局"


def test_explicit_output(tmp_path):
    out = tmp_path / "sub" / "报告.xlsx"
    out.parent.mkdir()
    result = invoke("-o", str(out), "--year", "2021")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"已生成：{out}\n", "")
    assert listing(out.parent).keys() == {"报告.xlsx"}
    assert meta_of(out)["year"] == 2021 and meta_of(out)["agency"] is None


def test_force_overwrites(tmp_path):
    out = tmp_path / "r.xlsx"
    out.write_bytes(b"old content")
    result = invoke("-o", str(out), "--agency", "甲局", "--year", "2024", "--force")
    assert (result.exit_code, result.stdout) == (0, f"已生成：{out}\n")
    assert meta_of(out)["agency"] == "甲局"
    assert sorted(os.listdir(tmp_path)) == ["r.xlsx"]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_output_permissions_follow_umask(tmp_path, umask, mode):
    """An output is an ordinary file (mkstemp alone would leave it 0600, unreadable to colleagues)."""
    old = os.umask(umask)
    try:
        out = tmp_path / "r.xlsx"
        assert invoke("-o", str(out), "--year", "2024").exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == mode
    finally:
        os.umask(old)


# --- refused ------------------------------------------------------------------------------------


def refused_in(tmp_path, args: list[str], message: str, data=None, raw: bytes | None = None):
    """Run in an isolated folder holding only d.json; nothing may change there."""
    with CliRunner().isolated_filesystem(temp_dir=tmp_path) as cwd:
        if data is not None:
            Path("d.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        if raw is not None:
            Path("d.json").write_bytes(raw)
        before = listing(Path(cwd))
        result = invoke(*args)
        assert_refused(result, message)
        assert listing(Path(cwd)) == before


KEYS = "agency、year、office、address、postcode、phone、email、website"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"meta": {"agnecy": "x"}}, f"d.json：meta.agnecy：未知的键；可用的键：{KEYS}"),
        ({"foo": 1}, "d.json：foo：未知的键；可用的键：$schema、format、meta、active、requests、appeals、fees、text"),
        ({"requests": {"new": {"natural_person": "12"}}}, "d.json：requests.new.natural_person：应为数字，实际是字符串（'12'）"),
        ({"requests": {"new": {"natural_person": 2.5}}}, "d.json：requests.new.natural_person：件数应为整数，实际是2.5"),
        ({"requests": {"new": {"natural_person": -1}}}, "d.json：requests.new.natural_person：不能为负数（-1）"),
        ({"appeals": {"review": {"upheld": True}}}, "d.json：appeals.review.upheld：应为数字，实际是布尔值（True）"),
        ({"fees": {"collected": -0.5}}, "d.json：fees.collected：不能为负数（-0.5）"),
        ({"active": {"rules": 3}}, "d.json：active.rules：应为对象（{…}），实际是数字"),
        ({"meta": {"year": 1999}}, f"d.json：meta.year：年份1999超出范围：{YEAR_RANGE}"),
        ({"meta": {"year": 2100}}, f"d.json：meta.year：年份2100超出范围：{YEAR_RANGE}"),
        ({"format": "2019"}, "d.json：format：只支持 2021 年版格式，实际是 '2019'"),
        ([1, 2], "d.json：顶层：应为对象（{…}），实际是列表"),
    ],
    ids=["unknown-key", "unknown-top-key", "string-count", "fraction-count", "negative-count", "bool-count",
         "negative-amount", "object-expected", "year-1999", "year-2100", "old-format", "not-an-object"],
)
def test_bad_data(tmp_path, data, message):
    refused_in(tmp_path, ["--data", "d.json"], message + HINT, data=data)


@pytest.mark.parametrize("year", ["1999", "2100", "2020", "abc", "24"])
def test_bad_year_option(tmp_path, year):
    expected = {
        "1999": f"年份1999超出范围：{YEAR_RANGE}",
        "2100": f"年份2100超出范围：{YEAR_RANGE}",
        "2020": f"年份2020超出范围：{YEAR_RANGE}",
        "abc": "应为四位数年份，实际是'abc'",
        "24": f"年份24超出范围：{YEAR_RANGE}",
    }[year]
    refused_in(tmp_path, ["--year", year, "--agency", "甲局"], f"--year：{expected}")


def test_data_missing(tmp_path):
    refused_in(tmp_path, ["--data", "nope.json"], "nope.json：文件不存在（请检查文件名和路径）")


def test_data_is_a_folder(tmp_path):
    with CliRunner().isolated_filesystem(temp_dir=tmp_path):
        os.mkdir("folder.json")
        assert_refused(invoke("--data", "folder.json"), "folder.json：这是一个文件夹，不是文件")
        assert os.listdir(".") == ["folder.json"]


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"{x", "d.json：不是有效的 JSON（第1行）"),
        (b"\n\n{\"meta\": }", "d.json：不是有效的 JSON（第3行）"),
        (b"", "d.json：文件是空的（0 字节）"),
        (b"{\"requests\": {\"new\": {\"natural_person\": NaN}}}", "d.json：不是有效的 JSON（内容）"),
        (b"PK\x03\x04\xff\xfe binary", "d.json：不是 UTF-8 编码的 JSON 文件（请用 UTF-8 编码另存）"),
        ("{\"meta\": {\"agency\": \"甲\"}}".encode("gbk"), "d.json：不是 UTF-8 编码的 JSON 文件（请用 UTF-8 编码另存）"),
    ],
    ids=["broken", "broken-line-3", "empty", "nan", "binary", "gbk"],
)
def test_data_not_json(tmp_path, raw, message):
    plain = "UTF-8" in message or "0 字节" in message  # an unreadable file, not a data error
    refused_in(tmp_path, ["--data", "d.json"], message if plain else message + HINT, raw=raw)


def test_existing_output_not_overwritten(tmp_path):
    with CliRunner().isolated_filesystem(temp_dir=tmp_path) as cwd:
        name = f"甲局2024{SUFFIX}"
        Path(name).write_bytes(b"the clerk's work")
        before = listing(Path(cwd))
        assert_refused(invoke("--agency", "甲局", "--year", "2024"), f"{name}：文件已存在，未覆盖（如需覆盖请加 --force）")
        assert listing(Path(cwd)) == before
        assert_refused(invoke("-o", name), f"{name}：文件已存在，未覆盖（如需覆盖请加 --force）")
        assert listing(Path(cwd)) == before


def test_output_not_xlsx(tmp_path):
    refused_in(tmp_path, ["-o", "r.xls"], "r.xls：输出文件应以 .xlsx 结尾")


def test_output_is_a_folder(tmp_path):
    with CliRunner().isolated_filesystem(temp_dir=tmp_path):
        os.mkdir("r.xlsx")
        assert_refused(invoke("-o", "r.xlsx"), "r.xlsx：这是一个文件夹，请给出输出文件名（例如 -o 年度报告.xlsx）")
        assert os.listdir(".") == ["r.xlsx"] and os.listdir("r.xlsx") == []


def test_output_folder_missing(tmp_path):
    refused_in(tmp_path, ["-o", "missing/r.xlsx"], "missing/r.xlsx：所在文件夹 missing 不存在")


def test_output_parent_is_a_file(tmp_path):
    refused_in(tmp_path, ["-o", "d.json/r.xlsx"], "d.json/r.xlsx：d.json 是一个文件，不是文件夹", data={})


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into a read-only folder anyway")
def test_output_folder_read_only(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        out = folder / "r.xlsx"
        assert_refused(invoke("-o", str(out)), f"{out}：没有权限在文件夹 {folder} 中写入文件")
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o700)
