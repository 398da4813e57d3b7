"""Inputs that cannot be read: one Chinese line on stderr naming the file, exit 2, no traceback.

Every input is left exactly as it was (bytes and modification time).
"""

from __future__ import annotations

import json
import random
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import openpyxl
import pytest
import xlsxwriter
from click.testing import CliRunner

from factories import filled_report, write
from xlreport.format import spec
from xlreport.cli import cli

REFILL = "（请用 xlreport new 生成的 .xlsx 模板填写）"


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    """A correct filled workbook to start broken files from (never handed to a test to change)."""
    return write(tmp_path_factory.mktemp("good") / "good.xlsx", filled_report())


def snapshot(path: Path):
    if not path.exists():
        return None
    if path.is_dir():
        return ("dir", sorted(p.name for p in path.iterdir()), path.stat().st_mtime_ns)
    return (path.read_bytes(), path.stat().st_mtime_ns)


# --- the bad inputs -------------------------------------------------------------------------


def docx_file(tmp: Path, good: Path) -> Path:
    import docx

    path = tmp / "报告.docx"
    document = docx.Document()
    document.add_paragraph("政府信息公开工作年度报告")
    document.save(path)
    return path


def csv_file(tmp: Path, good: Path) -> Path:
    path = tmp / "数据.csv"
    path.write_text("项目,自然人\n一、本年新收政府信息公开申请数量,12\n", encoding="utf-8")
    return path


def random_bytes(tmp: Path, good: Path) -> Path:
    data = random.Random(20240131).randbytes(20000)
    assert not data.startswith((b"PK", b"\xd0\xcf", b"%PDF")) and b"\x00" in data[:4096]
    path = tmp / "乱码.xlsx"
    path.write_bytes(data)
    return path


def truncated_zip(tmp: Path, good: Path) -> Path:
    data = good.read_bytes()
    path = tmp / "下载一半.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def damaged_entry(tmp: Path, good: Path) -> Path:
    """The zip directory intact, the compressed bytes of one sheet (表三's) scrambled."""
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("xl/worksheets/sheet3.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + 200
    for i in range(start, start + 300):
        data[i] ^= 0x5A
    path = tmp / "损坏.xlsx"
    path.write_bytes(bytes(data))
    return path


def encrypted(tmp: Path, good: Path) -> Path:
    pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    path = tmp / "加密.xlsx"
    with good.open("rb") as plain, path.open("wb") as out:
        OOXMLFile(plain).encrypt("mima1234", out)
    return path


def empty_file(tmp: Path, good: Path) -> Path:
    path = tmp / "空文件.xlsx"
    path.write_bytes(b"")
    return path


def missing_file(tmp: Path, good: Path) -> Path:
    return tmp / "不存在.xlsx"


def old_format(tmp: Path, good: Path) -> Path:
    path = tmp / "2019年格式.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "主动公开"
    ws.append(["第二十条第（一）项"])
    ws.append(["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"])
    ws.append(["规章", 0, 0, 3])
    ws.append(["第二十条第（九）项"])
    ws.append(["信息内容", "采购项目数量", "采购总金额"])
    ws.append(["政府集中采购", 1, 12.5])
    wb.save(path)
    return path


def zip_bomb(tmp: Path, good: Path) -> Path:
    """A real workbook whose shared strings inflate to 65 MB (about 64 KB on disk)."""
    path = tmp / "炸弹.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name in src.namelist():
            if name != "xl/sharedStrings.xml":
                z.writestr(name, src.read(name))
        z.writestr("xl/sharedStrings.xml", bytes(65 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024
    return path


def plain_zip_bomb(tmp: Path, good: Path) -> Path:
    path = tmp / "压缩包.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("data.bin", bytes(80 * 1024 * 1024))
    return path


def sheets_3000(tmp: Path, good: Path) -> Path:
    """workbook.xml listing 3000 sheets, written by hand."""
    path = tmp / "三千张表.xlsx"
    sheets = "".join(f'<sheet name="表{i}" sheetId="{i + 1}" r:id="rId1"/>' for i in range(3000))
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/workbook.xml":
                data = re.sub(rb"<sheets>.*</sheets>", b"<sheets>" + sheets.encode() + b"</sheets>", data, flags=re.S)
            z.writestr(name, data)
    return path


def sheets_300(tmp: Path, good: Path) -> Path:
    path = tmp / "三百张表.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for i in range(300):
        wb.add_worksheet(f"表{i}")
    wb.close()
    return path


def two_million_rows(tmp: Path, good: Path) -> Path:
    """A sheet whose dimension and last row are at row 2,000,000 (a stranger's workbook)."""
    base = tmp / "base.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "汇总"
    wb.active["B2"] = 1
    wb.save(base)
    path = tmp / "两百万行.xlsx"

    def tall(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD2000000"/>', xml)
        return xml.replace(b"</sheetData>", b'<row r="2000000"><c r="XFD2000000" t="inlineStr"><is><t>end</t></is></c></row></sheetData>')

    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name in src.namelist():
            data = src.read(name)
            z.writestr(name, tall(data) if name == "xl/worksheets/sheet1.xml" else data)
    base.unlink()
    return path


def html_as_xlsx(tmp: Path, good: Path) -> Path:
    path = tmp / "网页导出.xlsx"
    path.write_text("<html><body><table><tr><td>一、本年新收</td><td>12</td></tr></table></body></html>", encoding="utf-8")
    return path


def pdf_file(tmp: Path, good: Path) -> Path:
    path = tmp / "年报.pdf"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n")
    return path


def broken_json(tmp: Path, good: Path) -> Path:
    path = tmp / "报告.json"
    path.write_text('{"format": "2021", "meta": {', encoding="utf-8")
    return path


@dataclass
class Bad:
    make: Callable[[Path, Path], Path]
    message: Callable[[Path], str]  # the line after "错误：", without the newline


BAD = {
    # a Word file is read as a published report: one without the three tables is refused
    "docx": Bad(docx_file, lambda p: f"{p}：不是政府信息公开工作年度报告（找不到{spec.FORMAT_NAME}格式的三张表格），未导入"),
    "csv": Bad(csv_file, lambda p: f"{p}：这是文本文件（如 CSV），不是 Excel 工作簿{REFILL}"),
    "random-bytes": Bad(random_bytes, lambda p: f"{p}：不是 Excel 工作簿（无法识别的文件格式）{REFILL}"),
    "truncated-zip": Bad(truncated_zip, lambda p: f"{p}：文件已损坏（不是完整的 xlsx 压缩包，可能没有下载或复制完整）（请从原处重新复制一份，或用 WPS/Excel 打开后另存为 .xlsx）"),
    "damaged-entry": Bad(damaged_entry, lambda p: f"{p}：文件已损坏，无法解压其中的 xl/worksheets/sheet3.xml（请从原处重新复制一份，或用 WPS/Excel 打开后另存）"),
    "password": Bad(encrypted, lambda p: f"{p}：工作簿设置了打开密码，无法读取（请在 WPS/Excel 中取消“打开密码”后另存，再运行本命令）"),
    "empty": Bad(empty_file, lambda p: f"{p}：文件是空的（0 字节）"),
    "missing": Bad(missing_file, lambda p: f"{p}：文件不存在（请检查文件名和路径）"),
    "old-format": Bad(old_format, lambda p: (
        f"{p}：这是2019年试行格式（国办公开办函〔2019〕60号）的年度报告表格（工作表“主动公开”中有“本年新制作数量”），"
        f"xlreport 只支持{spec.FORMAT_NAME}规定的2021年版格式（请用 xlreport new 生成新模板，按新格式重新填写）")),
    "zip-bomb": Bad(zip_bomb, lambda p: f"{p}：压缩包内单个文件解压后大小超过上限（xl/sharedStrings.xml 65 MB，上限64 MB），已拒绝读取（文件可能已损坏或是伪造的（如压缩炸弹）；请向报送单位索取原文件）"),
    "plain-zip-bomb": Bad(plain_zip_bomb, lambda p: f"{p}：压缩包内单个文件解压后大小超过上限（data.bin 80 MB，上限64 MB），已拒绝读取（文件可能已损坏或是伪造的（如压缩炸弹）；请向报送单位索取原文件）"),
    "3000-sheets": Bad(sheets_3000, lambda p: f"{p}：工作表数超过上限（3000个，上限255个），已拒绝读取（文件可能已损坏或是伪造的（如压缩炸弹）；请向报送单位索取原文件）"),
    "300-sheets": Bad(sheets_300, lambda p: f"{p}：工作表数超过上限（300个，上限255个），已拒绝读取（文件可能已损坏或是伪造的（如压缩炸弹）；请向报送单位索取原文件）"),
    "2000000-rows": Bad(two_million_rows, lambda p: f"{p}：不是政府信息公开工作年度报告工作簿（找不到{spec.FORMAT_NAME}格式的三张表格）（请用 xlreport new 生成模板填写）"),
    "html": Bad(html_as_xlsx, lambda p: f"{p}：这是网页（HTML）文件，不是 Excel 工作簿"),
    "broken-pdf": Bad(pdf_file, lambda p: f"{p}：PDF 文件已损坏，无法读取（PdfminerException）"),
    "broken-json": Bad(broken_json, lambda p: f"{p}：不是有效的 JSON（第1行）（对照 xlreport/format/report.schema.json 修改数据文件）"),
}


def assert_one_line(result, line: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr == f"错误：{line}\n"


@pytest.mark.parametrize("case", sorted(BAD))
def test_check_refuses_with_one_line(case, tmp_path, good):
    bad = BAD[case]
    path = bad.make(tmp_path, good)
    before = snapshot(path)
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert_one_line(result, bad.message(path))
    assert snapshot(path) == before


@pytest.mark.parametrize("case", sorted(BAD))
def test_check_json_reports_the_file_as_unreadable(case, tmp_path, good):
    bad = BAD[case]
    path = bad.make(tmp_path, good)
    before = snapshot(path)
    result = CliRunner().invoke(cli, ["check", "--json", str(path)])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    doc = json.loads(result.stdout)
    (entry,) = doc["files"]
    line = bad.message(path)
    assert entry["status"] == "unreadable"
    assert entry["file"] == str(path)
    assert (entry["message"] + (f"（{entry['hint']}）" if entry["hint"] else "")) == line
    assert doc["unreadable"] == 1
    assert snapshot(path) == before


@pytest.mark.parametrize("case", sorted(BAD))
def test_export_refuses_with_one_line(case, tmp_path, good):
    bad = BAD[case]
    path = bad.make(tmp_path, good)
    before = snapshot(path)
    out = tmp_path / "导出.json"
    result = CliRunner().invoke(cli, ["export", str(path), "-o", str(out)])
    assert_one_line(result, bad.message(path))
    assert not out.exists()
    assert snapshot(path) == before


def test_folder_without_workbooks(tmp_path):
    folder = tmp_path / "空文件夹"
    folder.mkdir()
    before = snapshot(folder)
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert_one_line(result, f"在{folder}中没有找到电子表格文件（.xlsx/.xlsm/.xls/.ods）")
    exported = CliRunner().invoke(cli, ["export", str(folder)])
    assert_one_line(exported, f"{folder}：这是一个文件夹，不是文件")
    assert snapshot(folder) == before


def test_folder_named_like_a_workbook(tmp_path):
    folder = tmp_path / "报告.xlsx"
    folder.mkdir()
    exported = CliRunner().invoke(cli, ["export", str(folder)])
    assert_one_line(exported, f"{folder}：这是一个文件夹，不是文件")


def test_good_file_is_not_modified_either(tmp_path, good):
    path = write(tmp_path / "好.xlsx", filled_report())
    before = snapshot(path)
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 0
    assert snapshot(path) == before


def test_unreadable_file_next_to_a_good_one(tmp_path, good):
    """Several files: the unreadable one is named on its own, the good one still checked, exit 2."""
    ok = write(tmp_path / "好.xlsx", filled_report())
    bad = empty_file(tmp_path, good)
    result = CliRunner().invoke(cli, ["check", str(ok), str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert f"{bad}：文件是空的（0 字节）" in result.stdout + result.stderr
    assert "共 2 个文件：1 个通过，0 个有错误，1 个无法读取。" in result.stdout


@pytest.mark.parametrize("suffix, what", [(".ods", " .ods 文件"), (".xlsx", " xlsx 压缩包")])
def test_a_zip_cut_short_is_named_as_what_its_name_says(suffix, what, tmp_path):
    """A damaged .ods was called an incomplete xlsx package (noticed by the fuzz harness)."""
    good = write(tmp_path / "好.xlsx", filled_report())
    cut = tmp_path / f"下载一半{suffix}"
    cut.write_bytes(good.read_bytes()[:3000])
    result = CliRunner().invoke(cli, ["check", str(cut)])
    assert result.exit_code == 2
    assert result.stderr == (f"错误：{cut}：文件已损坏（不是完整的{what}，可能没有下载或复制完整）"
                             "（请从原处重新复制一份，或用 WPS/Excel 打开后另存为 .xlsx）\n")
