"""Workbooks, JSON reports and special files made to hurt: each gets its normal result or one
Chinese line and exit 2, within bounded memory, and is left exactly as it was.

The allocation bombs run in a child process under a memory cap (RLIMIT_AS): before the reader cut
sheets to their range, a cell at XFD1048576 made calamine abort and a row near 10⁸ cost seconds and
gigabytes; now they must read like any other workbook.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from factories import filled_report, patch_zip, write
from xlreport import limits
from xlreport.format import spec
from xlreport.cli import cli

MEMORY_CAP = 1024**3  # ample for any honest workbook; the bombs asked for 6 GB to a terabyte


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def run_capped(*args) -> subprocess.CompletedProcess:
    """xlreport in a child process that cannot take more than MEMORY_CAP of address space."""
    import resource

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    code = "import sys; from xlreport.cli import main; sys.argv = ['xlreport'] + sys.argv[1:]; main()"
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          preexec_fn=cap, timeout=300)


def snapshot(path: Path):
    return path.read_bytes(), path.stat().st_mtime_ns


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return write(tmp_path_factory.mktemp("good") / "good.xlsx", filled_report())


def _sheet(path: Path, name: str) -> str:
    from factories import sheet_entries

    return sheet_entries(path)[name]


def _with_cell(good: Path, tmp: Path, name: str, sheet: str, xml: bytes) -> Path:
    """``good`` with raw cell XML put at the end of a sheet's data."""
    out = tmp / name
    out.write_bytes(good.read_bytes())
    return patch_zip(out, {_sheet(good, sheet): lambda d: d.replace(b"</sheetData>", xml + b"</sheetData>")})


FAR = {
    "column past XFD": b'<row r="90"><c r="ZZZZ90"><v>7</v></c></row>',
    "last cell of a sheet": b'<row r="1048576"><c r="XFD1048576"><v>7</v></c></row>',
    "row near 10^8": b'<row r="99999999"><c r="A99999999"><v>7</v></c></row>',
    "row without a number, far column": b'<row><c r="XFA1"><v>7</v></c></row>',
}


@pytest.mark.parametrize("case", sorted(FAR))
def test_a_cell_far_away_reads_like_the_workbook_without_it(case, good, tmp_path):
    expected = run("check", good).stdout.replace(str(good), "FILE")
    for sheet in (spec.SHEET_REQUESTS, spec.SHEET_CHECKS):  # a sheet read for values, one not read
        bomb = _with_cell(good, tmp_path, f"{sheet}.xlsx", sheet, FAR[case])
        before = snapshot(bomb)
        result = run_capped("check", bomb)
        assert (result.returncode, result.stderr) == (0, "")
        assert result.stdout.replace(str(bomb), "FILE") == expected
        assert snapshot(bomb) == before


def test_the_same_workbook_saved_by_another_program_is_cut_too(good, tmp_path):
    """Without our stamp (and so through calamine) a far cell is cut to the range just the same."""
    import openpyxl

    plain = tmp_path / "另存.xlsx"
    wb = openpyxl.load_workbook(good)
    del wb["_xlreport"]
    wb[spec.SHEET_REQUESTS]["XFD1048576"] = 7
    wb.save(plain)
    result = run_capped("check", plain)
    assert result.returncode == 0, result.stderr
    assert "不是 xlreport 生成的工作簿" in result.stdout


def test_a_shared_string_table_in_an_unknown_encoding_that_claims_a_trillion_strings(good, tmp_path):
    """Its counts cannot be read to be checked (expat knows no such encoding), so it must not reach
    calamine as it is: calamine ignores the encoding, reserves room for the strings and aborts."""
    bomb = patch_zip(good, {"xl/sharedStrings.xml": lambda d: re.sub(rb'\s(?:count|uniqueCount)="[0-9]+"', b"", d, count=2)
                            .replace(b'encoding="UTF-8"', b'encoding="x-no-such-charset"', 1)
                            .replace(b"<sst ", b'<sst uniqueCount="99999999999" ', 1)}, tmp_path / "炸弹.xlsx")
    assert b'encoding="x-no-such-charset"' in zipfile.ZipFile(bomb).read("xl/sharedStrings.xml")[:100]
    before = snapshot(bomb)
    result = run_capped("check", bomb)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"错误：{bomb}：文件已损坏（表格 XML 声明的字符编码无法识别）（请用 WPS/Excel 打开后另存再试）\n"
    assert snapshot(bomb) == before


@pytest.mark.parametrize("declared", ['uniqueCount="999999999999"', 'count="999999999999"', "x:uniqueCount='99999999999' xmlns:x='u'",
                                      'uniqueCount="12abc"'])
def test_a_shared_string_table_that_claims_a_trillion_strings(declared, good, tmp_path):
    """calamine reserves room for the strings the table declares before it reads one: 24 TB for a
    40 KB file aborted the process. On the calamine path (an XML comment makes the scanner
    decline the sheet), it reads like the honest table."""
    commented = _with_cell(good, tmp_path, "注释.xlsx", spec.SHEET_REQUESTS, b"<!-- saved again -->")
    expected = run_capped("check", commented)
    assert expected.returncode == 0, expected.stderr
    bomb = patch_zip(commented, {"xl/sharedStrings.xml": lambda d: re.sub(rb'\s(?:count|uniqueCount)="[0-9]+"', b"", d, count=2)
                                 .replace(b"<sst ", b"<sst " + declared.encode() + b" ", 1)}, tmp_path / "炸弹.xlsx")
    assert declared.encode() in zipfile.ZipFile(bomb).read("xl/sharedStrings.xml")[:300]
    before = snapshot(bomb)
    result = run_capped("check", bomb)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.replace(str(bomb), "FILE") == expected.stdout.replace(str(commented), "FILE")
    assert snapshot(bomb) == before


def test_an_ods_cell_repeated_a_million_times(tmp_path):
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
        '<table:table table:name="S"><table:table-row table:number-rows-repeated="99000">'
        '<table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="1000">'
        '<text:p>1<text:s text:c="1000000000"/></text:p></table:table-cell></table:table-row></table:table>'
        '</office:spreadsheet></office:body></office:document-content>'
    )
    bomb = tmp_path / "重复.ods"
    with zipfile.ZipFile(bomb, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest xmlns:manifest='
                   '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    result = run_capped("check", bomb)
    assert result.returncode == 2
    assert result.stderr == (f"错误：{bomb}：不是政府信息公开工作年度报告工作簿（找不到{spec.FORMAT_NAME}格式的三张表格）"
                             "（请用 xlreport new 生成模板填写）\n")


BROKEN_SHEETS = {
    "cut short": (lambda d: d[: len(d) // 2], "文件已损坏（工作表“三、依申请公开”的 XML 不完整）（请从原处重新复制一份，或用 WPS/Excel 打开后另存）"),
    "doctype": (lambda d: d.replace(b"<worksheet", b'<!DOCTYPE w [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><worksheet', 1),
                "工作表“三、依申请公开”的 XML 含有 DOCTYPE 或实体声明，已拒绝读取（正常的工作簿不含这些声明；请向报送单位索取原文件）"),
    "shared string -1": (lambda d: re.sub(rb'(<c r="A5"[^>]*t="s"[^>]*><v>)[0-9]+', rb"\g<1>-1", d),
                         "文件已损坏（工作表“三、依申请公开”的单元格 A5 引用了不存在的共享字符串“-1”）（请用 WPS/Excel 打开后另存再试）"),
    "shared string past the end": (lambda d: re.sub(rb'(<c r="A5"[^>]*t="s"[^>]*><v>)[0-9]+', rb"\g<1>99999", d),
                                   "文件已损坏（工作表“三、依申请公开”的单元格 A5 引用了不存在的共享字符串“99999”）（请用 WPS/Excel 打开后另存再试）"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_SHEETS))
def test_sheet_xml_a_lenient_reader_would_misread_is_refused(case, good, tmp_path):
    change, line = BROKEN_SHEETS[case]
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(good.read_bytes())
    patch_zip(bad, {_sheet(good, spec.SHEET_REQUESTS): change})
    before = snapshot(bad)
    result = run("check", bad)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"错误：{bad}：{line}\n")
    assert snapshot(bad) == before


def test_an_entry_that_inflates_past_its_declared_size(good, tmp_path):
    """A header that understates the size: no reader gets more than it declared, and the CRC fails."""
    entry = _sheet(good, spec.SHEET_REQUESTS)
    liar = tmp_path / "谎报.xlsx"
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as z:
        info = z.getinfo(entry)
    small = (100).to_bytes(4, "little")
    name = entry.encode()
    local = data.find(name, info.header_offset) - 30
    data[local + 22:local + 26] = small
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
    data[central + 24:central + 28] = small
    liar.write_bytes(bytes(data))
    result = run("check", liar)
    assert result.exit_code == 2
    assert result.stderr == f"错误：{liar}：文件已损坏，无法解压其中的 {entry}（请从原处重新复制一份，或用 WPS/Excel 打开后另存）\n"


# --- numbers past their limits ------------------------------------------------------------------------

def test_numbers_past_the_limits_in_a_workbook_are_errors_naming_the_cell(good, tmp_path):
    from factories import set_cells

    licensing = spec.FIELD_BY_PATH[("active", "licensing")]
    fees = spec.FIELD_BY_PATH[("active", "fees")]
    bad = set_cells(good, {licensing.path: 1e300, fees.path: 1e30}, tmp_path / "大.xlsx")
    result = run("check", bad, "--json")
    problems = {p["cell"]: p["message"] for p in json.loads(result.stdout)["files"][0]["problems"] if p["code"] == "value-type"}
    assert problems == {
        licensing.cell: "1e+300超过上限（件数应小于1000000000000）",
        fees.cell: "1e+30超过上限（金额应小于1000000000000）",
    }


YEAR_RANGE = f"超出范围：{spec.FORMAT_NAME}格式适用于{spec.YEAR_MIN}—{spec.YEAR_MAX}年度的报告"
JSON_CASES = {
    "1e999999999": ('{"active": {"licensing": 1e999999999}}', "数据.json：active.licensing：1e+999999999超过上限（件数应小于1000000000000）"),
    "16-digit count": ('{"active": {"licensing": 1234567890123456}}', "数据.json：active.licensing：1234567890123456超过上限（件数应小于1000000000000）"),
    "1e30 wanyuan": ('{"active": {"fees": 1e30}}', "数据.json：active.fees：1000000000000000000000000000000超过上限（金额应小于1000000000000）"),
    "16 digits of an amount": ('{"active": {"fees": 12345.67890123456}}',
                               "数据.json：active.fees：金额12345.67890123456的有效数字超过15位（工作簿只能准确保存15位）"),
    "a number of 5000 digits": ('{"active": {"licensing": ' + "9" * 5000 + "}}",
                                "数据.json：JSON 中的数字“99999999999999999999…”有5000位，JSON 中一个数字的长度超过上限（上限40位），已拒绝读取"),
    "nesting 100000 deep": ("[" * 100000 + "]" * 100000, "数据.json：JSON 嵌套层数超过上限（上限32层），已拒绝读取"),
    "nesting 40 deep": ('{"text": ' + "[" * 40 + "]" * 40 + "}", "数据.json：JSON 嵌套层数超过上限（上限32层），已拒绝读取"),
    # a year is told out of range before it becomes an int: int(1e999999) has a million digits
    "year 1e999999": ('{"meta": {"agency": "某局", "year": 1e999999}}', f"数据.json：meta.year：年份1E+999999{YEAR_RANGE}"),
    "year of 5000 digits": ('{"meta": {"agency": "某局", "year": "' + "9" * 5000 + '"}}',
                            f"数据.json：meta.year：年份99999999999999999999…{YEAR_RANGE}"),
    "year in superscript": ('{"meta": {"agency": "某局", "year": "²"}}', "数据.json：meta.year：应为四位数年份，实际是'²'"),
}

DATA_HINT = "（对照 xlreport/format/report.schema.json 修改数据文件）"


@pytest.mark.parametrize("case", sorted(JSON_CASES))
@pytest.mark.parametrize("command", ["check", "new"])
def test_json_numbers_and_nesting_past_the_limits(case, command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text, line = JSON_CASES[case]
    Path("数据.json").write_text(text, encoding="utf-8")
    before = snapshot(Path("数据.json"))
    args = ["check", "数据.json"] if command == "check" else ["new", "--data", "数据.json", "-o", "新.xlsx"]
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr == f"错误：{line}{DATA_HINT}\n"
    assert snapshot(Path("数据.json")) == before
    assert os.listdir(".") == ["数据.json"]


@pytest.mark.parametrize("kind, what, limit", [("json", "JSON 文件大小", "2 MB"), ("txt", "文本文件大小", "2 MB"),
                                               ("html", "网页文件大小", "16 MB")])
def test_a_file_over_its_size_limit_is_not_read(kind, what, limit, tmp_path):
    big = tmp_path / f"大.{kind}"
    with big.open("wb") as fh:
        fh.truncate(limits.FILE_BYTES[kind].value + 1)
    result = run("check", big)
    assert result.stderr == (f"错误：{big}：{what}超过上限（{limit}，上限{limit}），已拒绝读取"
                             "（文件可能已损坏或是伪造的（如压缩炸弹）；请向报送单位索取原文件）\n")


# --- what is not a regular file -------------------------------------------------------------------------

SPECIAL = {
    "fifo": lambda t: (os.mkfifo(t / "管道.xlsx"), t / "管道.xlsx")[1],
    "device": lambda t: Path("/dev/zero"),
    "symlink to a device": lambda t: (os.symlink("/dev/zero", t / "零.xlsx"), t / "零.xlsx")[1],
}
COMMANDS = {
    "check": lambda p, t: ["check", p],
    "export": lambda p, t: ["export", p, "-o", t / "出.json"],
    "build": lambda p, t: ["build", p, "-o", t / "出.docx"],
    "import": lambda p, t: ["import", p.with_name(p.name.replace(".xlsx", ".html")) if p.parent == t else p, "-o", t / "出.json"],
    "new --data": lambda p, t: ["new", "--data", p, "-o", t / "出.xlsx"],
    "build --template": lambda p, t: ["build", t / "好.json", "--template", p, "-o", t / "出.docx"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("kind", sorted(SPECIAL))
def test_fifos_and_devices_are_refused_without_being_read(kind, command, tmp_path):
    special = SPECIAL[kind](tmp_path)
    if command == "import" and special.parent == tmp_path:
        html = special.with_name(special.name.replace(".xlsx", ".html"))
        os.rename(special, html)
        special = html
    elif command == "import":
        pytest.skip("a device has no .html name")
    (tmp_path / "好.json").write_text(json.dumps({"meta": {"agency": "某局", "year": 2024}}), encoding="utf-8")
    args = [special if a in (special, special.with_suffix(".html")) else a for a in COMMANDS[command](special, tmp_path)]
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.endswith(f"{special}：不是普通文件（设备、管道或套接字），已拒绝读取\n")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("出", ".~"))) == []


def test_a_calamine_panic_is_an_ordinary_error():
    """pyo3's PanicException is a BaseException: a crafted .xls made one escape every handler."""
    from xlreport.xlsx.sheets import CalaminePanic, guarded

    class Panic(BaseException):
        pass

    def panics():
        raise Panic("range end index 72 out of range for slice of length 5")

    with pytest.raises(CalaminePanic):
        guarded(panics)
    with pytest.raises(KeyboardInterrupt):
        guarded(lambda: (_ for _ in ()).throw(KeyboardInterrupt()))


def test_an_unknown_xml_encoding_is_one_line(tmp_path):
    from xlreport.errors import InputError
    from xlreport.xlsx import extent
    from xlreport.xlsx.sheets import properties_stamp

    assert properties_stamp(b'<?xml version="1.0" encoding="x-no-such-charset"?><Properties/>') == {}
    with pytest.raises(InputError) as e:
        extent.trim_ods_content(tmp_path / "报告.ods", b'<?xml version="1.0" encoding="x-no-such-charset"?><a/>')
    assert e.value.message == f"{tmp_path / '报告.ods'}：文件已损坏（表格 XML 声明的字符编码无法识别）"


def test_an_lzma_entry_with_bad_properties_is_a_damaged_file(tmp_path, good):
    """zipfile hands lzma's own error through (found by the fuzzer: an internal error)."""
    import zipfile

    bad = tmp_path / "坏.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            method = zipfile.ZIP_LZMA if info.filename == "xl/workbook.xml" else zipfile.ZIP_DEFLATED
            dst.writestr(info.filename, src.read(info.filename), compress_type=method)
    data = bytearray(bad.read_bytes())
    with zipfile.ZipFile(bad) as z:
        info = z.getinfo("xl/workbook.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 4 : start + 9] = b"\xff" * 5  # the LZMA properties after the 4-byte version/size header
    bad.write_bytes(bytes(data))
    result = run("check", bad)
    assert (result.exit_code, result.stderr) == (2, f"错误：{bad}：文件已损坏，无法解压其中的 xl/workbook.xml（请从原处重新复制一份，或用 WPS/Excel 打开后另存）\n")


@pytest.mark.parametrize("second", ["xl/worksheets/sheet2.xml", "xl\\worksheets\\sheet2.xml"])
def test_two_parts_of_one_name_are_refused(tmp_path, good, second):
    """Readers differ on which of two same-named parts counts: the file could show one table and
    report another."""
    import warnings
    import zipfile

    bad = tmp_path / "重名.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as dst, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate it writes
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        dst.writestr(second, src.read("xl/worksheets/sheet2.xml").replace(b"<v>", b"<v>9"))
    before = bad.read_bytes()
    result = run("check", bad)
    assert (result.exit_code, result.stderr) == (2, f"错误：{bad}：文件已损坏（压缩包中有两个名为 xl/worksheets/sheet2.xml 的部件）"
                                                    "（请从原处重新复制一份，或用 WPS/Excel 打开后另存）\n")
    assert bad.read_bytes() == before


_NEW_REQUESTS = ("requests", "new", "natural_person")


def _cell_twice(xml: bytes, ref: str, value: str) -> bytes:
    """The sheet with the cell ``ref`` given a second time, right after the first, holding ``value``."""
    m = re.search(rb'<c r="%s"[^>]*?(?:/>|>.*?</c>)' % ref.encode(), xml, re.S)
    return xml[: m.end()] + f'<c r="{ref}"><v>{value}</v></c>'.encode() + xml[m.end():]


def _far_row(xml: bytes, row: int, cells: str) -> bytes:
    return xml.replace(b"</sheetData>", f'<row r="{row}">{cells}</row></sheetData>'.encode())


@pytest.mark.parametrize("reader", ["scanner", "calamine"])
@pytest.mark.parametrize("shape", ["as written", "cut to the range"])
def test_a_cell_given_twice_is_refused(tmp_path, good, monkeypatch, reader, shape):
    """calamine and LibreOffice read the second of two cells of one reference, Excel calls the
    file damaged: what the clerk sees and what is read could differ, so neither is chosen."""
    from xlreport.xlsx import sheets

    monkeypatch.setattr(sheets, "SCANNER", reader == "scanner")
    field = spec.FIELD_BY_PATH[_NEW_REQUESTS]
    bad = tmp_path / "重复单元格.xlsx"

    def edit(xml: bytes) -> bytes:
        xml = _cell_twice(xml, field.cell, "777")
        return _far_row(xml, 1048576, '<c r="A1048576"><v>1</v></c>') if shape == "cut to the range" else xml

    patch_zip(good, {_sheet(good, field.sheet): edit}, out=bad)
    before = bad.read_bytes()
    result = run("check", bad)
    assert (result.exit_code, result.stderr) == (
        2, f"错误：{bad}：文件已损坏（工作表“{field.sheet}”的单元格 {field.cell} 在文件中出现了两次，不同的软件显示的可能不是同一个值）"
           "（请用 WPS/Excel 打开后另存再试）\n")
    assert bad.read_bytes() == before


def test_cells_given_twice_outside_the_range_read_are_no_matter(tmp_path, good):
    field = spec.FIELD_BY_PATH[_NEW_REQUESTS]
    far = tmp_path / "范围外重复.xlsx"
    patch_zip(good, {_sheet(good, field.sheet): lambda xml: _far_row(xml, 1200, '<c r="A1200"><v>1</v></c><c r="A1200"><v>2</v></c>')},
              out=far)
    assert run("check", far).exit_code == run("check", good).exit_code == 0


def _needs_zip_version(data: bytes, version: int) -> bytes:
    """The package with its first central-directory entry asking for a newer zip than there is."""
    at = data.rfind(b"PK\x05\x06")
    first = int.from_bytes(data[at + 16: at + 20], "little")
    assert data[first: first + 4] == b"PK\x01\x02"
    return data[: first + 6] + version.to_bytes(2, "little") + data[first + 8:]


@pytest.mark.parametrize("command", ["check", "export", "build"])
def test_a_package_that_needs_a_newer_zip_is_a_damaged_file(command, good, tmp_path):
    odd = tmp_path / "新版本.xlsx"
    odd.write_bytes(_needs_zip_version(good.read_bytes(), 99))
    args = {"check": ["check", odd], "export": ["export", odd, "-o", tmp_path / "o.json"],
            "build": ["build", good, "--template", odd.with_suffix(".docx"), "-o", tmp_path / "o.docx"]}[command]
    if command == "build":
        from xlreport.word.resources import default_template

        odd.with_suffix(".docx").write_bytes(_needs_zip_version(default_template().read_bytes(), 99))
    result = run(*args)
    assert result.exit_code == 2, result.output
    if command == "check":
        assert result.stderr == (f"错误：{odd}：文件已损坏（不是完整的 xlsx 压缩包，可能没有下载或复制完整）"
                                 "（请从原处重新复制一份，或用 WPS/Excel 打开后另存为 .xlsx）\n")
    assert "Traceback" not in result.output and "内部错误" not in result.output and "文件已损坏" in result.stderr
    assert not (tmp_path / "o.json").exists() and not (tmp_path / "o.docx").exists()


# --- a text longer than a cell holds ------------------------------------------------------------------

_FIRST_ITEM = next(s for s in spec.TEXT_SLOTS if s.section == "overview" and s.kind == "item")
_AGENCY = spec.META_BY_KEY["agency"]
LONG_TEXT_CELLS = {"正文": (spec.SHEET_TEXT, _FIRST_ITEM.text_cell), "机关名称": (spec.SHEET_META, spec.a1(_AGENCY.row, _AGENCY.col))}
_MARK = "标记文字"


def _with_text(tmp_path: Path, name: str, place: str, text: str) -> Path:
    from xlreport.model import Item

    report = filled_report()
    if place == "机关名称":
        report.meta["agency"] = _MARK
    else:
        report.text.overview.items[0] = Item(report.text.overview.items[0].heading, [_MARK])
    marked = write(tmp_path / f"标记-{name}", report)
    return patch_zip(marked, {"xl/sharedStrings.xml": lambda d: d.replace(_MARK.encode(), text.encode(), 1)}, tmp_path / name)


@pytest.mark.parametrize("place", sorted(LONG_TEXT_CELLS))
def test_a_text_longer_than_a_cell_holds_is_refused_by_name(place, tmp_path):
    """An .ods (or a crafted .xlsx) can hold a cell of two million characters: check passed it,
    and export wrote a JSON report of 6 MB that check then refused (fuzz seed 2032 case 3678)."""
    sheet, cell = LONG_TEXT_CELLS[place]
    fits = _with_text(tmp_path, "可以.xlsx", place, "长" * limits.CELL_CHARS.value)
    assert run("check", fits).exit_code in (0, 1)  # read: (a name of 32767 characters is a problem of its own)
    long = _with_text(tmp_path, "过长.xlsx", place, "长" * (limits.CELL_CHARS.value + 1))
    before = snapshot(long)
    for command in (["check", long], ["export", long, "-o", tmp_path / "导出.json"], ["build", long, "-o", tmp_path / "报告.docx"]):
        result = run(*command)
        assert result.exit_code == 2, result.output
        assert result.stderr == (f"错误：{long}：工作表“{sheet}”的单元格 {cell} 有32768字，超过 Excel 单元格能容纳的32767字，未读取"
                                 "（请在 WPS/Excel 中把这段文字分到几个单元格（正文可用备用小节）后再试）\n")
    assert not (tmp_path / "导出.json").exists() and not (tmp_path / "报告.docx").exists()
    assert snapshot(long) == before


def test_no_json_report_is_written_that_check_would_refuse(tmp_path):
    """A published report's paragraph has no cell to bound it: import wrote a 7 MB JSON report
    that check refused as past its 2 MB."""
    from factories import published_html

    page = published_html(filled_report()).replace("<p>总体情况。</p>", "<p>" + "认真贯彻落实。" * 120_000 + "</p>")
    path = tmp_path / "长文.html"
    path.write_text(page, encoding="utf-8")
    assert run("check", path).exit_code == 0  # the page itself is checked as it is
    out = tmp_path / "长文.json"
    for command in (["import", path, "-o", out], ["import", path]):
        result = run(*command)
        assert result.exit_code == 2, result.output
        assert (result.stdout, result.stderr) == ("", f"错误：{path}：得到的 JSON 报告有 2.4 MB，超过 JSON 报告的大小上限（2 MB），"
                                                      "xlreport 将无法再读取它，未写出（报告中有过长的段落；可以直接检查原文件）\n")
    assert not out.exists()
