"""Shared fixtures: the bundled example, a blank workbook, and LibreOffice (when installed)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from xlreport.xlsx.writer import write_workbook

# builds in the suite compile their templates afresh (and write nothing under ~/.cache);
# test_template_cache.py turns the cache on where it tests it
os.environ["XLREPORT_CACHE_DIR"] = "off"

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SOFFICE_TIMEOUT = 120  # seconds

# LibreOffice keeps the cached value of every formula cell of an .xlsx by default
# (Tools > Options > Calc > Formula > "Recalculation on file load": never), whatever program
# wrote the file; only formula cells without a cached value are computed on load. This
# profile setting makes it recalculate every formula on load (0 = always, 1 = never, 2 = ask).
_RECALC_ALWAYS_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


@pytest.fixture(autouse=True)
def scanner_agrees_with_calamine(monkeypatch):
    """Every sheet the C scanner reads anywhere in the suite is read by calamine as well, and
    the two must agree cell for cell (values, types, and the formula cells)."""
    from xlreport.xlsx import sheets as reader

    if not reader.xlsx_cells.AVAILABLE:
        return
    grid = reader._Book.grid

    def compared(book, name):
        sheet = grid(book, name)
        if name in book._scanned:
            rows = book.wb.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=reader.READ_ROWS)
            expected = _trimmed([r[: reader.READ_COLS] for r in rows])
            assert _trimmed(sheet.rows) == expected, f"scanner and calamine disagree on sheet {name}"
            assert [(type(v), v) for r in _trimmed(sheet.rows) for v in r] == [(type(v), v) for r in expected for v in r]
            xml = book._opened.zip.read(reader.xlsx_sheet_paths(book._opened)[name])
            assert sheet.cells == reader._formula_cells(xml)
        return sheet

    monkeypatch.setattr(reader._Book, "grid", compared)


def _trimmed(rows: list[list]) -> list[list]:
    width = max((len(r) for r in rows), default=0)
    out = [list(r) + [""] * (width - len(r)) for r in rows]
    while out and all(v == "" for v in out[-1]):
        out.pop()
    while out and all(r and r[-1] == "" for r in out):
        out = [r[:-1] for r in out]
    return out


@pytest.fixture(scope="session")
def example_json() -> Path:
    path = REPO / "examples" / "shangyou-commerce-2024.json"
    assert path.is_file(), path
    return path


@pytest.fixture(scope="session")
def reference_text() -> str:
    return (DATA / "shangyou-commerce-2024.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def blank_workbook(tmp_path_factory) -> Path:
    """A blank workbook as `xlreport new` writes it (read-only for the tests: copy before editing)."""
    path = tmp_path_factory.mktemp("blank") / "blank.xlsx"
    write_workbook(path)
    return path


def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="session")
def soffice() -> str:
    path = find_soffice()
    if path is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    return path


def run_soffice_convert(src, outdir, target_ext: str, *, soffice: str | None = None, recalc_always: bool = False) -> Path:
    """Convert ``src`` (a path, or a list of paths converted by one LibreOffice run, which is
    much faster than one run each) with LibreOffice headless into ``outdir``; returns the
    output path (a list for a list).

    Each call gets its own profile (two soffice processes must never share one). LibreOffice's
    exit code is 0 even when the conversion failed, so the output file is what is checked.
    ``recalc_always`` seeds the profile so that every formula is recalculated on load.
    """
    soffice = soffice or find_soffice()
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    many = isinstance(src, (list, tuple))
    sources = [Path(p) for p in (src if many else [src])]
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    targets = [outdir / f"{p.stem}.{target_ext}" for p in sources]
    for target in targets:
        if target.exists():
            target.unlink()
    work = Path(tempfile.mkdtemp(prefix="xlreport-lo-"))
    try:
        profile = work / "lo-profile"
        if recalc_always:
            (profile / "user").mkdir(parents=True)
            (profile / "user" / "registrymodifications.xcu").write_text(_RECALC_ALWAYS_XCU, encoding="utf-8")
        cmd = [
            soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
            "--convert-to", target_ext, "--outdir", str(outdir), *map(str, sources),
        ]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=SOFFICE_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group of the process started above
            proc.communicate()
            pytest.fail(f"LibreOffice did not finish converting {sources} within {SOFFICE_TIMEOUT} s")
        for target in targets:
            if not target.is_file():
                pytest.fail(
                    f"LibreOffice wrote no {target} (exit code {proc.returncode}):\n"
                    + out.decode(errors="replace") + err.decode(errors="replace")
                )
        return targets if many else targets[0]
    finally:
        shutil.rmtree(work, ignore_errors=True)
