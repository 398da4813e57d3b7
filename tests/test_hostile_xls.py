"""A crafted .xls makes calamine ask for gigabytes and abort the process it runs in (Rust aborts
when an allocation fails). It is read in a child process: the clerk gets one line and exit 2, a
batch gets one row, and the office server that checks an upload lives on to check the next one.

The crafted files are the LibreOffice-converted example with one structure changed, as the fuzz
harness (tests/fuzzing.py, class "ole") found them: its allocation table in a loop (calamine
follows the loop, allocating, until the machine kills it), and every sheet's DIMENSIONS record
claiming 2^20 rows × 16,384 columns (calamine allocates the grid: 640 GB, and aborts).
"""

from __future__ import annotations

import os
import resource
import struct
import subprocess
import sys
import textwrap

import pytest

import fuzzing
from conftest import REPO, run_soffice_convert
from factories import filled_report
from test_web import texts, upload
from test_web_office import agency, overview_rows
from test_web_office import office, office_app  # noqa: F401  (fixtures)
from xlreport import limits
from xlreport.xlsx.writer import write_workbook

pytestmark = pytest.mark.libreoffice

LINE = (f"{{name}}：{limits.XLS_MEMORY.name}超过上限（读取进程意外退出，上限{limits.XLS_MEMORY.shown()}），已拒绝读取"
        "（文件可能已损坏或是伪造的（如压缩炸弹）；请向报送单位索取原文件）")


def _fat_loop(data: bytes) -> bytes:
    cfb, buf = fuzzing.read_compound(data), bytearray(data)
    start = struct.unpack_from("<I", data, 48)[0]  # the directory's first sector
    struct.pack_into("<I", buf, cfb.fat_offsets[start], start)  # ... is followed by itself
    return bytes(buf)


def _huge_dimensions(data: bytes) -> bytes:
    cfb, buf = fuzzing.read_compound(data), bytearray(data)
    offsets, records = fuzzing._workbook_records(data, cfb)
    claimed = struct.pack("<IIHH", 0, 1 << 20, 0, 0x4000)
    dimensions = [pos for kind, pos, _ in records if kind == fuzzing.BIFF["DIMENSIONS"]]
    assert dimensions, "LibreOffice writes a DIMENSIONS record for every sheet"
    for pos in dimensions:
        fuzzing._poke(buf, offsets, pos + 4, claimed)
    return bytes(buf)


CRAFTED = {"分配表成环": _fat_loop, "谎报表格大小": _huge_dimensions}


@pytest.fixture(scope="module")
def good_xls(tmp_path_factory):
    source = write_workbook(tmp_path_factory.mktemp("xls") / "报告.xlsx", filled_report(agency="上犹县商务局", year=2024))
    return run_soffice_convert(source, source.parent / "out", "xls")


@pytest.fixture
def crafted(good_xls, tmp_path):
    """{name: path} of the crafted files, each beside a copy of the good one."""
    out = {}
    for name, craft in CRAFTED.items():
        out[name] = tmp_path / f"{name}.xls"
        out[name].write_bytes(craft(good_xls.read_bytes()))
    return out


def _capped():
    """Should the reading ever run in the process again, it fails here, not by filling the machine."""
    resource.setrlimit(resource.RLIMIT_AS, (4 * 1024**3, 4 * 1024**3))


def _run(args: list, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, preexec_fn=_capped)


def _xlreport(*args, cwd):
    return _run(["-m", "xlreport", *args], cwd)


@pytest.mark.parametrize("name", CRAFTED)
@pytest.mark.parametrize("command", ["check", "build"])
def test_a_crafted_xls_is_one_line_and_exit_2(crafted, tmp_path, name, command):
    path = crafted[name]
    before = path.read_bytes()
    args = [command, path.name] + (["-o", "出.docx"] if command == "build" else [])
    done = _xlreport(*args, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "错误：" + LINE.format(name=path.name) + "\n"
    assert path.read_bytes() == before
    assert not (tmp_path / "出.docx").exists()


def test_the_good_xls_beside_them_still_reads(good_xls, tmp_path):
    done = _xlreport("check", good_xls, cwd=tmp_path)
    assert (done.returncode, done.stdout.splitlines()[-1]) == (0, "检查通过：没有发现问题。")


SERVER_THREAD = textwrap.dedent("""
    import sys, threading
    from pathlib import Path
    from xlreport.office.batch import check_many

    def check():
        for path in sys.argv[1:]:  # as web/office.py checks an upload: in a thread, in this process
            (result,) = check_many([Path(path)], workers=1)
            print(Path(path).name, result.status, result.message, sep="|")

    if __name__ == "__main__":
        worker = threading.Thread(target=check)
        worker.start()
        worker.join()
        print("still here")
""")


def test_a_server_thread_checking_crafted_xls_lives_on(crafted, good_xls, tmp_path):
    """Beside another thread a child is spawned, not forked (see isolation.py)."""
    script = tmp_path / "server.py"
    script.write_text(SERVER_THREAD, encoding="utf-8")
    paths = [crafted["分配表成环"], good_xls, crafted["谎报表格大小"]]
    done = _run([script, *paths])
    assert done.returncode == 0, done.stderr
    refused = LINE.format(name="{}").split("（文件可能")[0]
    assert done.stdout.splitlines() == [
        "分配表成环.xls|unreadable|" + refused.format(paths[0]),
        "报告.xls|ok|",
        "谎报表格大小.xls|unreadable|" + refused.format(paths[2]),
        "still here",
    ]


def test_an_office_upload_of_a_crafted_xls_is_that_agencys_error(office, crafted, good_xls):  # noqa: F811
    a = agency(office.application, office.links[0])
    said = LINE.format(name="").split("（文件可能")[0]
    for name in CRAFTED:
        page = a.post(a.link + "/upload", data={"csrf": a.token, "file": upload(crafted[name], "报告.xls")}, follow_redirects=True)
        (alert,) = texts(page, r'<p class="alert">(.*?)</p>')
        assert alert.endswith(said), alert
    assert overview_rows(office)["上犹县商务局"] == "有错误"  # for the office an unreadable upload has errors
    b = agency(office.application, office.links[1])
    b.post(b.link + "/upload", data={"csrf": b.token, "file": upload(good_xls, "报告.xls")}, follow_redirects=True)
    assert overview_rows(office)["上犹县教育局"] == "通过"
