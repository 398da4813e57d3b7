"""Package reads a stored or deflated entry by inflating it itself (zipfile's own open and read
around the same inflate cost about a tenth of checking a workbook); whenever it does, zipfile
would have given the same bytes. Over thousands of packages mutated the way hostile files are
(lying sizes and CRCs, renamed, reordered, overlapping, encrypted, other methods, flipped bytes)
every entry is read both ways and compared: the direct path answers only with zipfile's bytes,
and anything zipfile refuses goes back to zipfile, which says what is wrong. The direct path
inflates with zlib-ng where it is installed, else with the standard zlib (zipfile's): both are
compared with zipfile."""

from __future__ import annotations

import os
import random
import zipfile
from pathlib import Path

import pytest

import fuzzing
from conftest import REPO
from factories import filled_report, write
from xlreport import container
from xlreport.container import BadPackage, Package
from xlreport.errors import XlreportError

CASES = int(os.environ.get("XLREPORT_ZIP_CASES", "3000"))  # the note quotes a run of 20,000
OPS = [op for op in fuzzing.ZIP_OPS if op not in ("bomb", "many-entries")]  # refused before any entry is read


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> list[bytes]:
    """A workbook as the writer makes it, the same saved by openpyxl, and the Word template."""
    import openpyxl

    folder = tmp_path_factory.mktemp("zips")
    ours = write(folder / "ours.xlsx", filled_report())
    openpyxl.load_workbook(ours).save(folder / "openpyxl.xlsx")
    return [ours.read_bytes(), (folder / "openpyxl.xlsx").read_bytes(), (REPO / "templates" / "report-template.docx").read_bytes()]


def _mutated(rng: random.Random, data: bytes) -> bytes:
    if rng.random() < 0.7:
        _, data, _ = fuzzing.mutate_zip(rng, None, data, only=rng.choice(OPS))
    if rng.random() < 0.5:  # and some bytes flipped anywhere: headers, names, compressed data
        data = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        data = bytes(data)
    return data


def _both_ways(data: bytes):
    """(name, bytes inflated here or None, zipfile's bytes or None where it raises) per entry."""
    try:
        package = Package(Path("变异.xlsx"), data)
    except (BadPackage, XlreportError):
        return
    for name, info in package._infos.items():
        try:
            with package._zip.open(info) as fh:
                theirs = fh.read(info.file_size + 1)
        except Exception:  # whatever zipfile raises: Package.read turns it into one message
            theirs = None
        yield name, package._inflate(info), theirs


@pytest.fixture(params=["zlib-ng", "zlib"])
def inflater(request, monkeypatch):
    if request.param == "zlib":
        import zlib

        monkeypatch.setattr(container, "inflater", zlib)
    else:
        pytest.importorskip("zlib_ng")
        assert container.inflater.__name__ == "zlib_ng.zlib_ng"
    return request.param


def test_every_entry_of_the_sound_packages_is_inflated_directly(packages, inflater):
    for data in packages:
        entries = list(_both_ways(data))
        assert entries and all(ours is not None and ours == theirs for _, ours, theirs in entries)


def test_the_direct_inflate_gives_zipfile_s_bytes_or_leaves_the_entry_to_zipfile(packages, inflater):
    answered = left = refused_by_zipfile = 0
    for case in range(CASES):
        rng = random.Random(case)
        for name, ours, theirs in _both_ways(_mutated(rng, rng.choice(packages))):
            if ours is None:
                left += 1
                refused_by_zipfile += theirs is None
            else:
                answered += 1
                assert ours == theirs, f"case {case}, {name}: zipfile reads {'an error' if theirs is None else 'other bytes'}"
    # both sides were exercised: most entries read directly, and refusals went to zipfile
    assert answered > 10 * CASES and left > CASES // 20 and refused_by_zipfile > CASES // 50, (answered, left, refused_by_zipfile)
