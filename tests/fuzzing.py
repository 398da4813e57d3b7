"""Seed-fixed mutation fuzzing of the xlreport CLI: seeds, mutators, and the case runner.

Every case is a function of (run seed, case index): the same seed gives the same cases for the
same seed files. A case is one seed file (the bundled example workbook, a blank workbook, the
example JSON, an .ods, an .xls and an .xlsx LibreOffice made of the example, a published HTML /
text / PDF / Word report, the Word template), one named mutation class applied to it, and one
command suitable for the file kind (or for the mutator: ``check --annotate`` for merges and a
sheet named 问题清单, ``build`` for a long agency name). The classes: bytes, truncate, zip (headers
that lie, a version no reader has), xml (inside the zip entries), json, html, pdf, text,
template, suffix; edit (what a clerk does in a spreadsheet program: merges over the inputs or
the whole sheet, a sheet of their own named like the listing, a long agency name, shared-string
counts that lie where calamine reads them); ole (the .xls compound file and its BIFF records);
output (the output path a FIFO, a device, a socket, a folder, a name the system refuses, a disk
that fills up; stdout closed, /dev/full or a broken pipe); names (file names with line breaks
and escape sequences). The case is run in-process with click's CliRunner in a folder of its own
(as ``python -m xlreport`` where stdout or a file size limit must be arranged), and judged:

- no traceback: ``result.exception`` is None or SystemExit, "Traceback" is absent, and so are
  the product's own words for a bug of its own ("内部错误", "…发给 xlreport 的维护者")
- the exit code is 0, 1 or 2; 2 when stdout is lost (closed, full, a broken pipe)
- every input is byte-identical afterwards, with the same modification time
- the folder holds nothing new but the declared output: no ".~xlreport-*" temporary file, and no
  output at all after exit 2; an output path that was a FIFO, a device, a socket or a folder is
  still that one
- exit 2: stderr is one line starting with "错误：" (``check --json``: stdout is a JSON document)
- an exported/imported JSON report parses and reads back (``check``) without exit 2
- no raw C0/C1 control character (ESC, CR, BEL, ...) reaches the terminal output, and no line
  starts with what came after a line break in a file name or a cell (FORGED_MARK)
- an annotated copy still holds what the clerk wrote in a sheet of their own (KEEP_MARK)
- a template that reaches Python internals (``''.__class__``) never renders them

Cases run in child processes (``run_campaign``) started with an address-space cap
(RLIMIT_AS), so an allocation bomb fails a case instead of the machine; each child is given the
next case when it has answered the last; a child that dies (a segfault, a Rust abort on a failed
allocation) or hangs is recorded against the case it was running and replaced by a new child.

A run may instead give its cases named mutators in turn ("class:name", ``mutator_names``). The
mutators in PENDING find failures in the current code: they are in no generated run until fixed.

Used by tests/test_fuzz.py (500 cases, and each family of earlier findings a few times) and
scripts/fuzz.py (any number, reproducers, replay). Run as ``python tests/fuzzing.py child`` it
is the child (reads its configuration, then one job a line, as JSON on stdin).
"""

from __future__ import annotations

import collections
import functools
import io
import json
import os
import random
import re
import resource
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
EXAMPLES = REPO / "examples"
MB = 1024 * 1024
GB = 1024 * MB

# A mutation class's share of the cases (a cycle of this many cases per round), and the
# classes in the order of the cycle. PDFs and builds are slow (0.2 s), and so are the output
# cases that start a process (0.3 s): they get a small share.
CLASS_WEIGHTS = {
    "bytes": 3,
    "truncate": 2,
    "zip": 4,
    "xml": 9,
    "json": 4,
    "html": 3,
    "pdf": 1,
    "text": 2,
    "template": 1,
    "suffix": 1,
    "edit": 2,
    "ole": 1,
    "output": 1,
    "names": 1,
}
CLASSES = tuple(CLASS_WEIGHTS)

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_TIMESTAMP = b"2024-01-01T00:00:00Z"
INPUT_MTIME_NS = 1_600_000_000_123_456_789  # inputs get an old, odd mtime: any rewrite shows


# --- seeds -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seed:
    name: str
    path: Path
    kind: str  # xlsx | ods | xls | json | html | txt | pdf | docx | template

    @property
    def suffix(self) -> str:
        return ".docx" if self.kind == "template" else "." + self.kind

    def data(self) -> bytes:
        return self.path.read_bytes()


ZIP_KINDS = ("xlsx", "ods", "docx", "template")
WORKBOOK_KINDS = ("xlsx", "ods", "xls")
PUBLISHED_KINDS = ("html", "txt", "pdf", "docx")


# what LibreOffice makes of the example workbook, by seed name: a workbook the scanner does not
# take as ours goes to calamine, where some bugs live
LO_SEEDS = {"ods": "ods", "xls": "xls", "xlsx": "lo-xlsx"}


def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _invoke(args: list[str], cwd: Path):
    from click.testing import CliRunner

    from xlreport.cli import cli

    here = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, args)
    finally:
        os.chdir(here)
    if result.exit_code != 0:
        raise RuntimeError(f"seed command {args} failed ({result.exit_code}): {result.output}{result.exception!r}")
    return result


def _lo_convert(soffice: str, src: Path, outdir: Path, ext: str) -> subprocess.Popen:
    profile = Path(tempfile.mkdtemp(prefix="xlreport-fuzz-lo-"))
    cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
           "--convert-to", ext, "--outdir", str(outdir), str(src)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    proc.profile = profile  # removed by the caller
    return proc


def build_seeds(folder: Path, libreoffice: bool | None = None) -> dict[str, Seed]:
    """Build every seed file into ``folder`` (nothing binary is committed for them) and write
    seeds.json there, which ``load_seeds`` reads back in a child. ``libreoffice`` None: use it
    when installed (for the .ods, the .xls and the .xlsx converted from the example workbook)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    seeds: dict[str, Seed] = {}

    def add(name: str, path: Path, kind: str) -> None:
        seeds[name] = Seed(name, path, kind)

    example = folder / "example.xlsx"
    shutil.copyfile(EXAMPLES / "shangyou-commerce-2024.xlsx", example)
    add("example-xlsx", example, "xlsx")
    soffice = find_soffice() if libreoffice in (None, True) else None
    if libreoffice and soffice is None:
        raise RuntimeError("LibreOffice was asked for but is not installed")
    pending = []
    if soffice:
        lo = folder / "lo"
        lo.mkdir(exist_ok=True)
        pending = [(ext, _lo_convert(soffice, example, lo, ext)) for ext in LO_SEEDS]
    _invoke(["new", "--year", "2024", "-o", "blank.xlsx"], folder)
    add("blank-xlsx", normalize_zip(folder / "blank.xlsx"), "xlsx")
    shutil.copyfile(EXAMPLES / "shangyou-commerce-2024.json", folder / "example.json")
    add("example-json", folder / "example.json", "json")
    hand = folder / "hand.ods"
    hand.write_bytes(handmade_ods(example))
    add("ods-hand", hand, "ods")
    shutil.copyfile(DATA / "hangzhou-style-2025.html", folder / "report.html")
    add("html", folder / "report.html", "html")
    for txt in sorted(DATA.glob("*.txt")):
        shutil.copyfile(txt, folder / txt.name)
        add("txt-" + txt.stem, folder / txt.name, "txt")
    shutil.copyfile(DATA / "07-hongze-qu-2023.pdf", folder / "report.pdf")
    add("pdf", folder / "report.pdf", "pdf")
    _invoke(["build", "example.json", "-o", "report.docx"], folder)
    add("docx", normalize_zip(folder / "report.docx"), "docx")
    _invoke(["template", "-o", "template.docx"], folder)
    add("template", normalize_zip(folder / "template.docx"), "template")
    for ext, proc in pending:
        try:
            proc.wait(timeout=180)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group of the soffice started above
            proc.wait()
        shutil.rmtree(proc.profile, ignore_errors=True)
        produced = folder / "lo" / f"example.{ext}"
        if produced.is_file() and produced.stat().st_size:
            target = folder / f"lo-example.{ext}"
            produced.replace(target)
            add(LO_SEEDS[ext], normalize_zip(target) if ext in ZIP_KINDS else target, ext)
    if "ods" not in seeds:  # no LibreOffice: the hand-written one stands in
        add("ods", hand, "ods")
    manifest = {name: {"file": s.path.name, "kind": s.kind} for name, s in seeds.items()}
    (folder / "seeds.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return seeds


def load_seeds(folder: Path) -> dict[str, Seed]:
    folder = Path(folder)
    manifest = json.loads((folder / "seeds.json").read_text(encoding="utf-8"))
    return {name: Seed(name, folder / m["file"], m["kind"]) for name, m in manifest.items()}


def normalize_zip(path: Path) -> Path:
    """Pin the dates inside a zip package (entry times, docProps/meta timestamps), so that the
    same run seed mutates the same bytes whatever day the seeds were built."""
    entries = read_zip(path.read_bytes())
    for e in entries:
        e.date_time = FIXED_ZIP_TIME
        if e.name in ("docProps/core.xml", "meta.xml"):
            xml = e.content()
            fixed = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?", FIXED_TIMESTAMP, xml)
            if fixed != xml:
                e.set_content(fixed)
    path.write_bytes(write_zip(entries))
    return path


def _xml_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attr(s: str) -> str:
    return _xml_text(s).replace('"', "&quot;")


ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" office:version="1.2"'
)


def handmade_ods(workbook: Path) -> bytes:
    """A small valid ODS written with zipfile by hand: every sheet of ``workbook`` (as calamine
    reads it), the same names and cells, empty runs as number-columns-repeated."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(workbook))
    tables = []
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        out = [f'<table:table table:name="{_xml_attr(name)}">']
        width = max((len(r) for r in rows), default=1)
        out.append(f'<table:table-column table:number-columns-repeated="{max(width, 1)}"/>')
        for row in rows:
            cells, blank = [], 0
            for v in row:
                if v == "" or v is None:
                    blank += 1
                    continue
                if blank:
                    cells.append(f'<table:table-cell table:number-columns-repeated="{blank}"/>' if blank > 1 else "<table:table-cell/>")
                    blank = 0
                if isinstance(v, bool):
                    cells.append(f'<table:table-cell office:value-type="boolean" office:boolean-value="{str(v).lower()}"><text:p>{v}</text:p></table:table-cell>')
                elif isinstance(v, (int, float)):
                    shown = repr(int(v)) if float(v).is_integer() else repr(v)
                    cells.append(f'<table:table-cell office:value-type="float" office:value="{shown}"><text:p>{shown}</text:p></table:table-cell>')
                else:
                    paras = "".join(f"<text:p>{_xml_text(p)}</text:p>" for p in str(v).split("\n"))
                    cells.append(f'<table:table-cell office:value-type="string">{paras}</table:table-cell>')
            out.append("<table:table-row>" + ("".join(cells) or "<table:table-cell/>") + "</table:table-row>")
        out.append("</table:table>")
        tables.append("".join(out))
    content = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {ODS_NS}>'
               f'<office:body><office:spreadsheet>{"".join(tables)}</office:spreadsheet></office:body></office:document-content>')
    styles = f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-styles {ODS_NS}/>'
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype", FIXED_ZIP_TIME), "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        for name, text in (("content.xml", content), ("styles.xml", styles), ("META-INF/manifest.xml", manifest)):
            z.writestr(zipfile.ZipInfo(name, FIXED_ZIP_TIME), text.encode("utf-8"), zipfile.ZIP_DEFLATED)
    return buf.getvalue()


# --- zip packages, byte by byte ------------------------------------------------------------------
# A zip is rebuilt by hand so that a mutation can say anything in its headers: sizes, CRCs,
# methods and flags that lie, the local header disagreeing with the central directory.


@dataclass
class ZipEntry:
    name: str
    payload: bytes  # as stored (compressed for method 8)
    method: int = 8
    crc: int = 0
    size: int = 0  # uncompressed
    flags: int = 0
    date_time: tuple = FIXED_ZIP_TIME
    external_attr: int = 0
    # lies: when set, the central directory (cd_*) or the local header (local_*) says this instead
    cd_size: int | None = None
    cd_csize: int | None = None
    cd_crc: int | None = None
    cd_method: int | None = None
    cd_name: str | None = None
    cd_offset_delta: int = 0
    local_size: int | None = None
    local_csize: int | None = None
    cd_version: int | None = None  # "version needed to extract" (zipfile refuses more than 63 in the directory)
    local_version: int | None = None

    def content(self) -> bytes:
        if self.method == 0:
            return self.payload
        return zlib.decompress(self.payload, -15)

    def set_content(self, data: bytes, method: int | None = None) -> None:
        self.method = self.method if method is None else method
        self.payload = data if self.method == 0 else deflate(data)
        self.crc = zlib.crc32(data)
        self.size = len(data)


def deflate(data: bytes, level: int = 6) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def read_zip(data: bytes) -> list[ZipEntry]:
    entries = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            start = info.header_offset
            n, m = struct.unpack("<HH", data[start + 26:start + 30])
            body = start + 30 + n + m
            entries.append(ZipEntry(info.filename, data[body:body + info.compress_size], info.compress_type, info.CRC,
                                    info.file_size, info.flag_bits & ~0x08 & ~0x800, info.date_time, info.external_attr))
    return entries


def _dos_time(dt: tuple) -> tuple[int, int]:
    y, mo, d, h, mi, s = dt
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def write_zip(entries: list[ZipEntry], comment: bytes = b"") -> bytes:
    out = bytearray()
    central = bytearray()

    def u32(v: int) -> int:
        return v & 0xFFFFFFFF

    for e in entries:
        name = e.name.encode("utf-8")
        flags = e.flags | (0x800 if not e.name.isascii() else 0)
        t, d = _dos_time(e.date_time)
        offset = len(out)
        csize = len(e.payload)
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20 if e.local_version is None else e.local_version, flags & 0xFFFF,
                           e.method & 0xFFFF, t, d, u32(e.crc),
                           u32(csize if e.local_csize is None else e.local_csize),
                           u32(e.size if e.local_size is None else e.local_size), len(name), 0)
        out += name + e.payload
        cd_name = name if e.cd_name is None else e.cd_name.encode("utf-8")
        central += struct.pack(
            "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 0x031E, 20 if e.cd_version is None else e.cd_version, flags & 0xFFFF,
            (e.method if e.cd_method is None else e.cd_method) & 0xFFFF, t, d,
            u32(e.crc if e.cd_crc is None else e.cd_crc),
            u32(csize if e.cd_csize is None else e.cd_csize),
            u32(e.size if e.cd_size is None else e.cd_size),
            len(cd_name), 0, 0, 0, 0, u32(e.external_attr), u32(offset + e.cd_offset_delta),
        ) + cd_name
    cd_offset = len(out)
    out += central
    n = min(len(entries), 0xFFFF)
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, n, n, len(central), cd_offset, len(comment)) + comment
    return bytes(out)


_BOMBS: dict[int, tuple[bytes, int]] = {}


def zero_bomb(size: int) -> tuple[bytes, int]:
    """Deflated payload and CRC of ``size`` zero bytes (computed once per size per process)."""
    if size not in _BOMBS:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        chunk = bytes(MB)
        parts, crc = [], 0
        for _ in range(size // MB):
            parts.append(c.compress(chunk))
            crc = zlib.crc32(chunk, crc)
        rest = bytes(size % MB)
        parts.append(c.compress(rest) + c.flush())
        _BOMBS[size] = (b"".join(parts), zlib.crc32(rest, crc))
    return _BOMBS[size]


# --- what a mutation puts into a file -----------------------------------------------------------

WEIRD_NUMBERS = [
    "1e308", "-1e308", "1.8e308", "1E+400", "-0", "-0.0", "NaN", "nan", "inf", "-inf", "Infinity", "1e30", "1e15",
    "1e-320", "4.9e-324", "2.5", "-1", "-3", "9007199254740993", "99999999999999999999", "1e12", "1000000000001",
    "0x1A", "1_000", "1,000", " 12 ", "+5", ".5", "5.", "1e", "--1", "１２", "١٢", "12件", "0.1e-5", "00012",
]
HUGE_REFS = ["XFD1048576", "XFE1", "ZZZZZ99999999", "A1048577", "A0", "A-1", "", "1A", "b5", "AAAAAAAAAAAAAAAAAAAAAA1",
             "A99999999999999999999", "XFD1", "D999999", "$D$5", "D5:E6", "Ｄ５", "D5\x00"]
DIMENSIONS = ["A1:XFD1048576", "A1:ZZZZZ99999999", "A1", "", "XFD1048576", "A1:A0", "garbage", "A1:B2:C3",
              "A1048576:XFD1048576", "A1:XFD1048576 A1:XFD1048576", "-1:-1"]
CONTROL_TEXTS = [
    "\x1b[31m红色\x1b[0m", "\x1b]0;标题\x07", "\x1b[2J\x1b[H", "上犹县\r商务局", "\x08\x08\x08删", "\u202e局务商县犹上",
    "\u2066隔离\u2069", "\u200b\u200b", "\ufeff机关", "\x85NEL", "\u2028行\u2029段", "\x7fDEL", "\x9b31m", "\x0c换页",
    "\x0bVT", "\t制表\t", "a\u0301\u0301\u0301", "\U0001F600表情", "\uffff",
]
RAW_CONTROL = ["\x00", "\x01", "\x1b", "\x1f", "\ud800"]  # invalid in XML 1.0 (or not encodable)


def weird_number(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.6:
        return rng.choice(WEIRD_NUMBERS)
    if r < 0.8:
        return "9" * rng.choice([16, 39, 309, 4301, 32767, 32768, 100000])
    if r < 0.9:
        return "0." + "1" * rng.choice([15, 400, 32767])
    return "1" + "0" * rng.choice([40, 400]) + ".5"


def long_text(rng: random.Random) -> str:
    n = rng.choice([256, 32767, 32768, 100_000, 2_000_000])
    unit = rng.choice(["字", "a", "上犹县商务局", "一、", "1", "&<>\"'", "\u202e"])
    return (unit * (n // len(unit) + 1))[:n]


FORGED_MARK = "XLRFORGED"  # starts a line of its own in the output only if a line break from the input got through


def long_agency(rng: random.Random) -> str:
    """An agency name past what a document property holds (255), or one whose line break would
    print a forged line of its own."""
    if rng.random() < 0.25:
        return rng.choice(["上犹县商务局\n", "上犹县\r\n", "\n"]) + FORGED_MARK + " 检查通过：没有发现问题。"
    n = rng.choice([255, 256, 300, 1000, 5000, 32767])
    unit = rng.choice(["局", "某县人民政府", "a", "Ab 1", "局 ", "&<>"])
    return (unit * (n // len(unit) + 1))[:n]


def control_text(rng: random.Random, raw_ok: bool = True) -> str:
    parts = [rng.choice(CONTROL_TEXTS) for _ in range(rng.randint(1, 3))]
    if raw_ok and rng.random() < 0.3:
        parts.insert(rng.randint(0, len(parts)), rng.choice(RAW_CONTROL))
    return "".join(parts)


def enc(s: str) -> bytes:
    return s.encode("utf-8", "surrogatepass")


# --- XML mutators (inside zip entries, then re-zipped) -----------------------------------------

CELL_RE = re.compile(rb'<c r="([A-Z]+)([0-9]+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
ROW_RE = re.compile(rb'<row r="(\d+)"([^>]*)>')
ODS_CELL_RE = re.compile(rb"<table:table-cell(\s[^>]*?)?(?:/>|>(.*?)</table:table-cell>)", re.S)
ODS_ROW_RE = re.compile(rb"<table:table-row(\s[^>]*?)?>(.*?)</table:table-row>", re.S)
W_T_RE = re.compile(rb"<w:t(\s[^>]*)?>([^<]*)</w:t>")
W_TC_RE = re.compile(rb"<w:tc>(.*?)</w:tc>", re.S)
W_TR_RE = re.compile(rb"<w:tr(?:\s[^>]*)?>.*?</w:tr>", re.S)


def _pick(rng: random.Random, matches: list):
    return rng.choice(matches) if matches else None


def _splice(xml: bytes, m, new: bytes) -> bytes:
    return xml[:m.start()] + new + xml[m.end():]


def _attr(attrs: bytes, name: bytes) -> bytes | None:
    m = re.search(rb"\b" + re.escape(name) + rb'="([^"]*)"', attrs or b"")
    return m.group(1) if m else None


def _style_attr(attrs: bytes) -> bytes:
    s = _attr(attrs, b"s")
    return b' s="' + s + b'"' if s is not None else b""


def _input_cells(xml: bytes) -> list:
    """Cells that look like the clerk's input (a number, or an empty styled cell below the
    header); every cell when there are none."""
    cells = list(CELL_RE.finditer(xml))
    empty = [m for m in cells if m.group(4) is None and int(m.group(2)) >= 3 and b's="' in m.group(3)]
    return _filled_cells(xml) + empty or cells


def _filled_cells(xml: bytes) -> list:
    """Cells that hold a number (their own or a formula's); LibreOffice says t="n" of them."""
    return [m for m in CELL_RE.finditer(xml) if m.group(4) and b"<v>" in m.group(4) and (b't="' not in m.group(3) or b't="n"' in m.group(3))]


def inline_cell(ref: bytes, attrs: bytes, text: str) -> bytes:
    return (b'<c r="' + ref + b'"' + _style_attr(attrs) + b' t="inlineStr"><is><t xml:space="preserve">'
            + enc(_xml_text(text)) + b"</t></is></c>")


def x_cell_ref(rng, xml, kind):
    cells = list(CELL_RE.finditer(xml))
    m = _pick(rng, _input_cells(xml) if rng.random() < 0.5 else cells)
    if not m:
        return None
    ref = enc(rng.choice(HUGE_REFS))
    old = m.group(0)
    new = old.replace(b'r="' + m.group(1) + m.group(2) + b'"', b'r="' + ref + b'"', 1)
    if rng.random() < 0.3 and b"<v>" not in old:  # make the far cell hold something
        new = b'<c r="' + ref + '" t="inlineStr"><is><t>远处</t></is></c>'.encode()
    return _splice(xml, m, new)


def x_row_number(rng, xml, kind):
    m = _pick(rng, list(ROW_RE.finditer(xml)))
    if not m:
        return None
    value = rng.choice([b"1048576", b"1048577", b"0", b"-5", b"x", b"99999999999", b"1", b"3", b""])
    return _splice(xml, m, b'<row r="' + value + b'"' + m.group(2) + b">")


def x_dimension(rng, xml, kind):
    ref = enc(rng.choice(DIMENSIONS))
    if b"<dimension" in xml:
        return re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="' + ref + b'"/>', xml, count=1)
    return xml.replace(b"<sheetData", b'<dimension ref="' + ref + b'"/><sheetData', 1)


def x_sst_index(rng, xml, kind):
    cells = [m for m in CELL_RE.finditer(xml) if b't="s"' in m.group(3) and m.group(4) and b"<v>" in m.group(4)]
    m = _pick(rng, cells)
    if not m:
        return None
    idx = rng.choice([b"-1", b"4294967296", b"2147483648", b"99999999999999999999", b"1e3", b"0x1", b"", b"1.5",
                      b"276", b"275", b" 5 ", b"-0"])
    return _splice(xml, m, m.group(0).replace(b"<v>" + re.search(rb"<v>([^<]*)</v>", m.group(4)).group(1) + b"</v>", b"<v>" + idx + b"</v>", 1))


def x_sst_count(rng, xml, kind):
    if b"<sst" not in xml:
        return None
    v = rng.choice([b"99999999999", b"4294967295", b"-1", b"0", b"x", b"1000000000"])
    xml = re.sub(rb'count="\d+"', b'count="' + v + b'"', xml, count=1)
    return re.sub(rb'uniqueCount="\d+"', b'uniqueCount="' + v + b'"', xml, count=1)


def x_sst_text(rng, xml, kind):
    """A shared string (labels, the agency name) replaced by a long or odd text."""
    items = list(re.finditer(rb"<si>(.*?)</si>", xml, re.S))
    m = _pick(rng, items)
    if not m:
        return None
    text = long_text(rng) if rng.random() < 0.5 else control_text(rng, raw_ok=False)
    if rng.random() < 0.3:  # Excel's escape for control characters
        text = "".join(f"_x{ord(c):04X}_" if ord(c) < 32 else c for c in control_text(rng))
    runs = b"<t xml:space=\"preserve\">" + enc(_xml_text(text)) + b"</t>"
    if rng.random() < 0.3:
        runs = b"".join(b"<r><t>" + enc(_xml_text(ch)) + b"</t></r>" for ch in text[:20000])
    return _splice(xml, m, b"<si>" + runs + b"</si>")


def x_deep_nesting(rng, xml, kind):
    depth = rng.choice([256, 1000, 10_000, 200_000])
    tag = rng.choice([b"x", b"r", b"t", b"c", b"is", b"text:span", b"w:p", b"table:table-row"])
    if tag.startswith(b"text:") and kind != "ods" or tag.startswith(b"w:") and kind not in ("docx", "template"):
        tag = b"x"
    blob = (b"<" + tag + b">") * depth + b"1" + (b"</" + tag + b">") * depth
    anchors = [m.end() for m in re.finditer(rb"<(?:sheetData|row[^>]*|table:table-row[^>]*|w:body|w:p|si|text:p)>", xml)]
    if not anchors:
        return None
    at = rng.choice(anchors)
    return xml[:at] + blob + xml[at:]


def _after_decl(xml: bytes) -> int:
    m = re.match(rb"\s*<\?xml[^>]*\?>", xml)
    return m.end() if m else 0


def _root_name(xml: bytes) -> bytes:
    m = re.search(rb"<([A-Za-z_][\w:.-]*)", xml[_after_decl(xml):])
    return m.group(1) if m else b"root"


def _text_slots(xml: bytes) -> list[tuple[int, int]]:
    """Where a text node could go: inside <v>, <t>, <text:p>, <w:t>."""
    return [(m.start(1), m.end(1)) for m in re.finditer(rb"<(?:v|t|text:p|w:t)(?:\s[^>]*)?>([^<]*)</", xml)]


def x_entities(rng, xml, kind):
    root = _root_name(xml)
    variant = rng.choice(["laughs", "xxe", "param", "charref", "undefined", "quadratic"])
    if variant == "laughs":
        ents = b'<!ENTITY l0 "lol">' + b"".join(b"<!ENTITY l%d \"%s\">" % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, 10))
        ref = b"&l9;"
    elif variant == "quadratic":
        ents = b'<!ENTITY big "' + b"x" * 200_000 + b'">'
        ref = b"&big;" * 2000
    elif variant == "xxe":
        ents = rng.choice([b'<!ENTITY x SYSTEM "file:///etc/hostname">', b'<!ENTITY x SYSTEM "http://127.0.0.1:9/x">',
                           b'<!ENTITY x SYSTEM "/dev/zero">'])
        ref = b"&x;"
    elif variant == "param":
        ents = b'<!ENTITY % p SYSTEM "file:///etc/hostname"> %p;'
        ref = b"1"
    elif variant == "charref":
        ents = b""
        ref = rng.choice([b"&#0;", b"&#x110000;", b"&#xD800;", b"&#99999999999;", b"&#x1b;", b"&#65;&#x4e0a;", b"&#-1;"])
    else:
        ents = b""
        ref = rng.choice([b"&nbsp;", b"&undefined;", b"&amp", b"&;", b"&#;"])
    decl = b"<!DOCTYPE " + root + b" [" + ents + b"]>" if ents else b""
    at = _after_decl(xml)
    slots = _text_slots(xml)
    if slots:
        s, e = rng.choice(slots)
        xml = xml[:s] + ref + xml[e:]
    return xml[:at] + decl + xml[at:]


def x_cdata(rng, xml, kind):
    slots = _text_slots(xml)
    if not slots:
        return None
    s, e = rng.choice(slots)
    inner = rng.choice([xml[s:e], b"12", b"<b>x</b>", b"]]>", b"", b"1e308", enc(control_text(rng, raw_ok=False))])
    if inner == b"]]>":
        return xml[:s] + b"<![CDATA[a]]]]><![CDATA[>b]]>" + xml[e:]
    if rng.random() < 0.3:  # CDATA between elements
        at = rng.choice([m.end() for m in re.finditer(rb"</(?:c|row|table:table-cell|w:r)>", xml)] or [e])
        return xml[:at] + b"<![CDATA[" + inner + b"]]>" + xml[at:]
    return xml[:s] + b"<![CDATA[" + inner + b"]]>" + xml[e:]


def x_comments_pi(rng, xml, kind):
    bits = [b"<!-- c -->", b"<?pi data?>", b"<!---->", b"<?xml-stylesheet href=\"x\"?>", b"<!-- -- -->", b"<?x?>"]
    ends = [m.end() for m in re.finditer(rb"</(?:c|row|table:table-cell|table:table-row|w:r|w:tc|si)>|<sheetData>", xml)]
    out = xml
    for at in sorted(rng.sample(ends, min(len(ends), rng.randint(1, 20))), reverse=True):
        out = out[:at] + rng.choice(bits) + out[at:]
    slots = _text_slots(out)
    if slots and rng.random() < 0.5:  # inside a value: "1<!-- -->2"
        s, e = rng.choice(slots)
        mid = s + (e - s) // 2
        out = out[:mid] + rng.choice(bits) + out[mid:]
    if rng.random() < 0.2:
        out = rng.choice([b"<?pi before?>", b"<!-- before -->", b"\n\n"]) + out  # before the declaration
    return out


def x_long_number(rng, xml, kind):
    value = enc(rng.choice(["9" * 32767, "1" * 32768, "9" * 100_000, "0." + "1" * 32767, "1" + "0" * 309, "-" + "9" * 32767]))
    return _put_value(rng, xml, kind, value)


def x_numbers(rng, xml, kind):
    return _put_value(rng, xml, kind, enc(weird_number(rng)))


def _put_value(rng, xml, kind, value: bytes):
    if kind == "xlsx":
        m = _pick(rng, _input_cells(xml))
        if not m:
            return None
        ref = m.group(1) + m.group(2)
        if rng.random() < 0.7:
            t = rng.choice([b"", b"", b' t="n"', b' t="str"', b' t="e"', b' t="b"', b' t="d"'])
            return _splice(xml, m, b'<c r="' + ref + b'"' + _style_attr(m.group(3)) + t + b"><v>" + value + b"</v></c>")
        return _splice(xml, m, inline_cell(ref, m.group(3), value.decode()))
    if kind == "ods":
        cells = [m for m in ODS_CELL_RE.finditer(xml) if b'value-type="float"' in (m.group(1) or b"")] or list(ODS_CELL_RE.finditer(xml))
        m = _pick(rng, cells)
        if not m:
            return None
        vt = rng.choice([b"float", b"float", b"string", b"percentage", b"currency", b"date", b"boolean", b"time", b"x"])
        attrs = b' office:value-type="' + vt + b'" office:value="' + value + b'"'
        if vt == b"date":
            attrs += b' office:date-value="' + rng.choice([b"99999-01-01", b"2024-13-45", value]) + b'"'
        if vt == b"time":
            attrs += b' office:time-value="' + rng.choice([b"PT99999999H", b"P1Y", value]) + b'"'
        return _splice(xml, m, b"<table:table-cell" + attrs + b"><text:p>" + value + b"</text:p></table:table-cell>")
    # Word: a table cell's text
    slots = [m for m in W_T_RE.finditer(xml) if re.fullmatch(rb"[\d.,\s]+", m.group(2) or b"x")] or list(W_T_RE.finditer(xml))
    m = _pick(rng, slots)
    if not m:
        return None
    return _splice(xml, m, b"<w:t" + (m.group(1) or b"") + b">" + value + b"</w:t>")


def x_long_text(rng, xml, kind):
    return _put_text(rng, xml, kind, long_text(rng))


def x_control_chars(rng, xml, kind):
    text = control_text(rng)
    how = rng.random()
    if kind == "xlsx" and how < 0.3:
        text = "".join(f"_x{ord(c):04X}_" if ord(c) < 32 or 0x7F <= ord(c) < 0xA0 else c for c in text)
    elif how < 0.45:
        text_b = "".join(f"&#{ord(c)};" if ord(c) < 32 else c for c in text)
        return _put_text(rng, xml, kind, text_b, escaped=True)
    return _put_text(rng, xml, kind, text)


def _put_text(rng, xml, kind, text: str, escaped: bool = False):
    body = enc(text if escaped else _xml_text(text))
    if kind == "xlsx":
        cells = list(CELL_RE.finditer(xml))
        texts = [m for m in cells if b't="s"' in m.group(3) or b't="inlineStr"' in m.group(3)]
        m = _pick(rng, texts + _input_cells(xml) if rng.random() < 0.5 else cells)
        if not m:
            return None
        ref = m.group(1) + m.group(2)
        return _splice(xml, m, b'<c r="' + ref + b'"' + _style_attr(m.group(3)) + b' t="inlineStr"><is><t xml:space="preserve">' + body + b"</t></is></c>")
    if kind == "ods":
        cells = [m for m in ODS_CELL_RE.finditer(xml) if m.group(2)]
        m = _pick(rng, cells)
        if not m:
            return None
        return _splice(xml, m, b'<table:table-cell office:value-type="string"><text:p>' + body + b"</text:p></table:table-cell>")
    m = _pick(rng, list(W_T_RE.finditer(xml)))
    if not m:
        return None
    return _splice(xml, m, b'<w:t xml:space="preserve">' + body + b"</w:t>")


def x_cell_type(rng, xml, kind):
    m = _pick(rng, _input_cells(xml))
    if not m:
        return None
    ref = m.group(1) + m.group(2)
    t = rng.choice([b"e", b"b", b"d", b"str", b"inlineStr", b"n", b"s", b"x", b""])
    v = rng.choice([b"#DIV/0!", b"#N/A", b"2", b"1", b"TRUE", b"9999-99-99", b"2024-01-01T00:00:00", b"12", b"-1", b"abc"])
    inner = b"<is><t>" + v + b"</t></is>" if t == b"inlineStr" and rng.random() < 0.7 else b"<v>" + v + b"</v>"
    if rng.random() < 0.3:
        inner = b"<f>" + rng.choice([b"1/0", b"SUM(A1:XFD1048576)", b'"=cmd|\'/C calc\'!A0"', b"A1" * 4000]) + b"</f>" + inner
    return _splice(xml, m, b'<c r="' + ref + b'"' + _style_attr(m.group(3)) + b' t="' + t + b'">' + inner + b"</c>")


def x_style_index(rng, xml, kind):
    m = _pick(rng, _input_cells(xml))
    if not m:
        return None
    s = rng.choice([b"99999", b"-1", b"4294967296", b"x", b"0", b"1.5"])
    old = m.group(0)
    new = re.sub(rb's="[^"]*"', b's="' + s + b'"', old, count=1) if b's="' in old else old.replace(b"<c ", b'<c s="' + s + b'" ', 1)
    return _splice(xml, m, new)


def x_shared_formula(rng, xml, kind):
    m = _pick(rng, _input_cells(xml))
    if not m:
        return None
    ref = m.group(1) + m.group(2)
    span = rng.choice([b"A1:XFD1048576", b"D5:XFD1048576", b"A1:A1048576", b"D5:J29"])
    f = rng.choice([b'<f t="shared" ref="' + span + b'" si="0">A1+1</f>', b'<f t="array" ref="' + span + b'">A1</f>',
                    b'<f t="shared" si="0"/>', b'<f t="shared" si="99999999"/>'])
    return _splice(xml, m, b'<c r="' + ref + b'"' + _style_attr(m.group(3)) + b">" + f + b"<v>1</v></c>")


def x_merge_cells(rng, xml, kind):
    refs = [rng.choice([b"A1:XFD1048576", b"D5:J29", b"A1:A1", b"XFD1048576:A1", b"D5:ZZZZZ99999999", b"x"]) for _ in range(rng.randint(1, 3))]
    block = b'<mergeCells count="' + str(len(refs)).encode() + b'">' + b"".join(b'<mergeCell ref="' + r + b'"/>' for r in refs) + b"</mergeCells>"
    if rng.random() < 0.3:
        block = b'<mergeCells count="40000">' + b"".join(b'<mergeCell ref="A%d:B%d"/>' % (i, i) for i in range(1, 40001)) + b"</mergeCells>"
    if b"<mergeCells" in xml:
        return re.sub(rb"<mergeCells.*?</mergeCells>", block, xml, count=1, flags=re.S)
    return xml.replace(b"</sheetData>", b"</sheetData>" + block, 1)


def x_many_cells(rng, xml, kind):
    n = rng.choice([1000, 50_000, 300_000])
    if kind == "xlsx":
        variant = rng.random()
        if variant < 0.4:
            rows = b"".join(b'<row r="%d"><c r="Z%d"><v>1</v></c></row>' % (i, i) for i in range(100, 100 + n))
        elif variant < 0.7:
            rows = b'<row r="1048576">' + b"".join(b'<c r="%s1048576"><v>1</v></c>' % _col(i) for i in range(1, min(n, 16384) + 1)) + b"</row>"
        else:
            rows = '<row r="200000"><c r="Z200000" t="inlineStr"><is><t>远</t></is></c></row>'.encode()
        return xml.replace(b"</sheetData>", rows + b"</sheetData>", 1)
    if kind == "ods":
        m = _pick(rng, list(ODS_ROW_RE.finditer(xml)))
        if not m:
            return None
        return xml[:m.end()] + m.group(0) * min(n, 20000) + xml[m.end():]
    m = _pick(rng, list(W_TR_RE.finditer(xml)))
    if not m:
        return None
    return xml[:m.end()] + m.group(0) * min(n // 10, 20000) + xml[m.end():]


def _col(i: int) -> bytes:
    s = ""
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s.encode()


def x_attributes(rng, xml, kind):
    """Valid but unusual XML: single quotes, odd spacing, attribute order, whitespace in values."""
    variant = rng.choice(["quotes", "spaces", "order", "value-space", "newlines"])
    if variant == "quotes":
        return re.sub(rb' (r|s|t)="([^"]*)"', rb" \1='\2'", xml)
    if variant == "spaces":
        return re.sub(rb'<c r="([^"]*)"', rb'<c\n  r = "\1" ', xml)
    if variant == "order":
        return re.sub(rb'<c r="([^"]*)"((?: [a-z]+="[^"]*")+)', lambda m: b"<c" + m.group(2) + b' r="' + m.group(1) + b'"', xml)
    if variant == "value-space":
        return re.sub(rb"<v>([^<]*)</v>", lambda m: b"<v> " + m.group(1) + b" </v>" if rng.random() < 0.3 else m.group(0), xml)
    return xml.replace(b"><", b">\n<")


def x_namespace(rng, xml, kind):
    variant = rng.random()
    if kind == "xlsx" and variant < 0.4:  # strict OOXML
        return xml.replace(b"http://schemas.openxmlformats.org/spreadsheetml/2006/main", b"http://purl.oclc.org/ooxml/spreadsheetml/main")
    if variant < 0.8 and kind == "xlsx":  # every element prefixed: valid, unusual
        out = re.sub(rb"<(/?)([A-Za-z][\w]*)([\s/>])", rb"<\1x:\2\3", xml[_after_decl(xml):])
        return xml[:_after_decl(xml)] + out.replace(b' xmlns="', b' xmlns:x="', 1)
    return re.sub(rb'xmlns(:\w+)?="[^"]*"', rb'xmlns\1="urn:nothing"', xml, count=1)


def x_encoding(rng, xml, kind):
    variant = rng.choice(["decl-utf16", "decl-gbk", "decl-bogus", "bom", "utf16", "invalid-bytes", "latin1"])
    if variant.startswith("decl"):
        e = {"decl-utf16": b"UTF-16", "decl-gbk": b"GBK", "decl-bogus": b"x-no-such-charset"}[variant]
        if xml.startswith(b"<?xml"):
            return re.sub(rb'encoding="[^"]*"', b'encoding="' + e + b'"', xml, count=1)
        return b'<?xml version="1.0" encoding="' + e + b'"?>' + xml
    if variant == "bom":
        return b"\xef\xbb\xbf" + xml
    if variant == "utf16":
        return xml.decode("utf-8", "replace").encode(rng.choice(["utf-16", "utf-16-le", "utf-16-be"]))
    if variant == "latin1":
        return xml.decode("utf-8", "replace").encode("gbk", "replace")
    slots = _text_slots(xml)
    if not slots:
        return None
    s, e = rng.choice(slots)
    return xml[:s] + rng.choice([b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\x80", b"\xe4\xb8"]) + xml[s:]


def x_syntax(rng, xml, kind):
    variant = rng.choice(["drop-gt", "drop-lt", "unclose", "mismatch", "dup-attr", "stray-lt", "cut", "two-roots", "nul"])
    if not xml:
        return None
    if variant in ("drop-gt", "drop-lt"):
        ch = b">" if variant == "drop-gt" else b"<"
        positions = [m.start() for m in re.finditer(re.escape(ch), xml)]
        if not positions:
            return None
        at = rng.choice(positions)
        return xml[:at] + xml[at + 1:]
    if variant == "unclose":
        m = _pick(rng, list(re.finditer(rb"</[\w:]+>", xml)))
        return _splice(xml, m, b"") if m else None
    if variant == "mismatch":
        m = _pick(rng, list(re.finditer(rb"</([\w:]+)>", xml)))
        return _splice(xml, m, b"</" + m.group(1) + b"x>") if m else None
    if variant == "dup-attr":
        return re.sub(rb'<(c|table:table-cell|w:t) ', rb'<\1 r="A1" r="A2" ', xml, count=rng.randint(1, 5))
    if variant == "stray-lt":
        slots = _text_slots(xml) or [(len(xml) // 2, len(xml) // 2)]
        s, _ = rng.choice(slots)
        return xml[:s] + b"<" + xml[s:]
    if variant == "cut":
        return xml[: rng.randrange(len(xml))]
    if variant == "two-roots":
        return xml + b"<again/>"
    at = rng.randrange(len(xml))
    return xml[:at] + b"\x00" + xml[at:]


# ODS (content.xml)


def o_repeated(rng, xml, kind):
    """number-rows-repeated / number-columns-repeated in the millions on cells that hold something."""
    value = lambda: rng.choice([b"1048576", b"2000000", b"16384", b"1000000000", b"99999999999", b"4294967296", b"-1", b"0", b"abc"])  # noqa: E731
    rows = [m for m in ODS_ROW_RE.finditer(xml) if b"<text:p>" in m.group(2)]
    m = _pick(rng, rows)
    if not m:
        return None
    row = m.group(0)
    variant = rng.random()
    if variant < 0.4 or variant >= 0.7:
        row = re.sub(rb"^<table:table-row", b'<table:table-row table:number-rows-repeated="' + value() + b'"', row)
    if variant >= 0.4:
        cells = [c for c in ODS_CELL_RE.finditer(row) if c.group(2)]
        c = _pick(rng, cells)
        if c:
            row = row[:c.start()] + re.sub(rb"^<table:table-cell", b'<table:table-cell table:number-columns-repeated="' + value() + b'"', c.group(0)) + row[c.end():]
    if rng.random() < 0.2:
        row = row.replace(b"<table:table-row", b'<table:table-row table:number-rows-repeated="1000000"', 1) * 3
    return _splice(xml, m, row)


def o_spanned(rng, xml, kind):
    cells = [m for m in ODS_CELL_RE.finditer(xml) if m.group(2)]
    m = _pick(rng, cells)
    if not m:
        return None
    v = rng.choice([b"1000000000", b"16384", b"1048576", b"-1", b"0", b"x"])
    attr = rng.choice([b"number-columns-spanned", b"number-rows-spanned", b"number-matrix-columns-spanned"])
    return _splice(xml, m, re.sub(rb"^<table:table-cell", b"<table:table-cell table:" + attr + b'="' + v + b'"', m.group(0)))


def o_text_spaces(rng, xml, kind):
    """<text:s text:c="N"/>: N spaces, expanded by the reader; and tabs, line breaks, spans."""
    paras = list(re.finditer(rb"<text:p>([^<]*)</text:p>", xml))
    m = _pick(rng, paras)
    if not m:
        return None
    n = rng.choice([b"1000000000", b"99999999999", b"32768", b"-1", b"x", b"2000000"])
    bit = rng.choice([b'<text:s text:c="' + n + b'"/>', b"<text:tab/>" * 50000, b"<text:line-break/>" * 50000,
                      b'<text:span text:style-name="x">' + m.group(1) + b"</text:span>", b"<text:s/>" * 100000])
    return _splice(xml, m, b"<text:p>" + m.group(1) + bit + b"</text:p>")


def o_table_names(rng, xml, kind):
    names = list(re.finditer(rb'<table:table table:name="([^"]*)"', xml))
    if not names:
        return None
    variant = rng.random()
    if variant < 0.3 and len(names) > 1:  # two tables of one name
        a, b = rng.sample(names, 2)
        return xml[:b.start(1)] + a.group(1) + xml[b.end(1):] if b.start() > a.start() else xml[:a.start(1)] + b.group(1) + xml[a.end(1):]
    m = rng.choice(names)
    new = rng.choice([b"", b"x" * 300, b"_xlreport", enc(_xml_attr(control_text(rng, raw_ok=False))), b"Sheet1"])
    return xml[:m.start(1)] + new + xml[m.end(1):]


# Word (word/document.xml)


def w_grid_span(rng, xml, kind):
    v = rng.choice([b"1000000000", b"201", b"200", b"-1", b"0", b"x", b"99999999999999999999", b"16384"])
    variant = rng.random()
    if variant < 0.5 and b"<w:gridSpan" in xml:
        spans = list(re.finditer(rb'<w:gridSpan w:val="[^"]*"/>', xml))
        m = rng.choice(spans)
        return _splice(xml, m, b'<w:gridSpan w:val="' + v + b'"/>')
    if variant < 0.8:
        cells = list(re.finditer(rb"<w:tcPr>", xml))
        m = _pick(rng, cells)
        if not m:
            return None
        return xml[:m.end()] + b'<w:gridSpan w:val="' + v + b'"/>' + xml[m.end():]
    cells = list(re.finditer(rb"<w:tcPr>", xml))
    out = xml
    for m in sorted(rng.sample(cells, min(len(cells), 30)), key=lambda m: -m.start()):
        out = out[:m.end()] + rng.choice([b'<w:vMerge w:val="restart"/>', b"<w:vMerge/>", b'<w:vMerge w:val="x"/>']) + out[m.end():]
    return out


def w_nested_tables(rng, xml, kind):
    depth = rng.choice([50, 500, 3000])
    m = _pick(rng, list(W_TC_RE.finditer(xml)))
    if not m:
        return None
    inner = b"<w:p><w:r><w:t>12</w:t></w:r></w:p>"
    for _ in range(depth):
        inner = b"<w:tbl><w:tr><w:tc>" + inner + b"</w:tc></w:tr></w:tbl><w:p/>"
    return _splice(xml, m, b"<w:tc>" + inner + m.group(1) + b"</w:tc>")


def w_ragged(rng, xml, kind):
    cells = list(W_TC_RE.finditer(xml))
    out = xml
    for m in sorted(rng.sample(cells, min(len(cells), rng.randint(1, 40))), key=lambda m: -m.start()):
        out = out[:m.start()] + (m.group(0) * rng.randint(0, 3)) + out[m.end():]
    return out


XML_MUTATORS = {
    # name: (function, kinds it applies to, weight)
    "cell-ref": (x_cell_ref, ("xlsx",), 3),
    "row-number": (x_row_number, ("xlsx",), 2),
    "dimension": (x_dimension, ("xlsx",), 2),
    "sst-index": (x_sst_index, ("xlsx",), 2),
    "sst-count": (x_sst_count, ("xlsx",), 1),
    "sst-text": (x_sst_text, ("xlsx",), 2),
    "cell-type": (x_cell_type, ("xlsx",), 2),
    "style-index": (x_style_index, ("xlsx",), 1),
    "shared-formula": (x_shared_formula, ("xlsx",), 1),
    "merge-cells": (x_merge_cells, ("xlsx",), 1),
    "namespace": (x_namespace, ("xlsx", "ods", "docx", "template"), 1),
    "attributes": (x_attributes, ("xlsx",), 2),
    "many-cells": (x_many_cells, ("xlsx", "ods", "docx"), 1),
    "numbers": (x_numbers, ("xlsx", "ods", "docx"), 4),
    "long-number": (x_long_number, ("xlsx", "ods", "docx"), 2),
    "long-text": (x_long_text, ("xlsx", "ods", "docx", "template"), 2),
    "control-chars": (x_control_chars, ("xlsx", "ods", "docx", "template"), 3),
    "deep-nesting": (x_deep_nesting, ("xlsx", "ods", "docx", "template"), 2),
    "entities": (x_entities, ("xlsx", "ods", "docx", "template"), 2),
    "cdata": (x_cdata, ("xlsx", "ods", "docx", "template"), 2),
    "comments-pi": (x_comments_pi, ("xlsx", "ods", "docx", "template"), 2),
    "encoding": (x_encoding, ("xlsx", "ods", "docx", "template"), 1),
    "syntax": (x_syntax, ("xlsx", "ods", "docx", "template"), 1),
    "ods-repeated": (o_repeated, ("ods",), 5),
    "ods-spanned": (o_spanned, ("ods",), 1),
    "ods-text-spaces": (o_text_spaces, ("ods",), 2),
    "ods-table-names": (o_table_names, ("ods",), 1),
    "docx-grid-span": (w_grid_span, ("docx",), 3),
    "docx-nested-tables": (w_nested_tables, ("docx",), 1),
    "docx-ragged": (w_ragged, ("docx",), 1),
}

# which entry an XML mutation goes into, per kind: (name pattern, weight)
XML_TARGETS = {
    "xlsx": [(r"xl/worksheets/sheet[1-4]\.xml", 8), (r"xl/worksheets/sheet5\.xml", 2), (r"xl/worksheets/sheet8\.xml", 1),
             (r"xl/sharedStrings\.xml", 3), (r"xl/workbook\.xml", 1), (r"xl/styles\.xml", 1),
             (r"xl/_rels/workbook\.xml\.rels", 1), (r"\[Content_Types\]\.xml", 1), (r"docProps/.*\.xml", 1)],
    "ods": [(r"content\.xml", 10), (r"styles\.xml", 1), (r"META-INF/manifest\.xml", 1), (r"meta\.xml", 1)],
    "docx": [(r"word/document\.xml", 10), (r"word/styles\.xml", 1), (r"\[Content_Types\]\.xml", 1), (r"word/_rels/document\.xml\.rels", 1)],
    "template": [(r"word/document\.xml", 6), (r"word/footer\d*\.xml", 1), (r"word/styles\.xml", 1),
                 (r"\[Content_Types\]\.xml", 1), (r"word/_rels/document\.xml\.rels", 1)],
}
GENERIC_XML = ("entities", "cdata", "comments-pi", "encoding", "syntax", "deep-nesting", "namespace")


def x_workbook_xml(rng, xml, kind):
    """workbook.xml: sheet names duplicated, emptied, swapped; the hidden sheet dropped; dangling ids."""
    sheets = list(re.finditer(rb'<sheet name="([^"]*)"([^>]*)/>', xml))
    if not sheets:
        return None
    variant = rng.choice(["dup", "empty", "long", "swap", "drop-hidden", "dangling", "control", "visible"])
    m = rng.choice(sheets)
    if variant == "dup" and len(sheets) > 1:
        other = rng.choice([s for s in sheets if s is not m])
        return xml[:m.start(1)] + other.group(1) + xml[m.end(1):]
    if variant == "swap" and len(sheets) > 1:
        a, b = sorted(rng.sample(sheets, 2), key=lambda s: s.start())
        return xml[:a.start(1)] + b.group(1) + xml[a.end(1):b.start(1)] + a.group(1) + xml[b.end(1):]
    if variant == "drop-hidden":
        return re.sub(rb'<sheet name="_xlreport"[^>]*/>', b"", xml)
    if variant == "dangling":
        return xml[:m.start(2)] + re.sub(rb'r:id="[^"]*"', b'r:id="rId999"', m.group(2)) + xml[m.end(2):]
    if variant == "visible":
        return xml.replace(b' state="hidden"', b"")
    new = {"empty": b"", "long": b"\xe8\xa1\xa8" * 300, "control": enc(_xml_attr(control_text(rng, raw_ok=False)))}.get(variant, b"Sheet1")
    return xml[:m.start(1)] + new + xml[m.end(1):]


def x_rels(rng, xml, kind):
    targets = list(re.finditer(rb'Target="([^"]*)"', xml))
    m = _pick(rng, targets)
    if not m:
        return None
    new = rng.choice([b"../../../../etc/passwd", b"/xl/worksheets/sheet1.xml", b"worksheets/sheet1.xml", b"worksheets/none.xml",
                      b"sharedStrings.xml", b"http://127.0.0.1:9/x\" TargetMode=\"External", b"", b"worksheets\\sheet2.xml",
                      b"worksheets/sheet1.xml#frag", b"WORKSHEETS/SHEET1.XML", b"styles.xml", b"."])
    return xml[:m.start(1)] + new + xml[m.end(1):]


def x_styles(rng, xml, kind):
    """styles.xml: every cell format a date (numbers read as dates), or formats that do not exist."""
    variant = rng.choice(["dates", "custom-date", "huge-id", "drop-xfs"])
    if variant == "dates":
        return re.sub(rb'numFmtId="\d+"', rb'numFmtId="14"', xml)
    if variant == "custom-date":
        fmt = b'<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
        xml = re.sub(rb"<numFmts.*?</numFmts>", b"", xml, flags=re.S)
        xml = re.sub(rb"(<styleSheet[^>]*>)", rb"\1" + fmt, xml, count=1)
        return re.sub(rb'numFmtId="\d+"', rb'numFmtId="164"', xml)
    if variant == "huge-id":
        return re.sub(rb'numFmtId="\d+"', rb'numFmtId="4294967295"', xml)
    return re.sub(rb"<cellXfs.*?</cellXfs>", b'<cellXfs count="0"/>', xml, flags=re.S)


ENTRY_SPECIFIC = {
    r"xl/workbook\.xml": ("workbook", x_workbook_xml),
    r".*\.rels": ("rels", x_rels),
    r"xl/styles\.xml": ("styles", x_styles),
}


def mutate_xml(rng: random.Random, seed: Seed, data: bytes) -> tuple[str, bytes, str]:
    entries = read_zip(data)
    kind = seed.kind
    names = [e.name for e in entries]
    pool = []
    for pattern, weight in XML_TARGETS[kind]:
        found = [n for n in names if re.fullmatch(pattern, n)]
        if found:
            pool.append((found, weight))
    found, _ = rng.choices(pool, weights=[w for _, w in pool])[0]
    target = rng.choice(found)
    entry = next(e for e in entries if e.name == target)
    xml = entry.content()
    main = target in ("xl/sharedStrings.xml", "content.xml", "word/document.xml") or re.fullmatch(r"xl/worksheets/sheet\d+\.xml", target)
    mkind = "docx" if kind == "template" else kind
    done = []
    for _ in range(1 if rng.random() < 0.75 else rng.randint(2, 3)):
        specific = [(n, f) for p, (n, f) in ENTRY_SPECIFIC.items() if re.fullmatch(p, target)]
        if specific and rng.random() < 0.7:
            name, func = specific[0]
        else:
            if main:
                choices = [(n, f, w) for n, (f, kinds, w) in XML_MUTATORS.items() if kind in kinds or mkind in kinds]
                if target == "xl/sharedStrings.xml":
                    choices = [c for c in choices if c[0] in GENERIC_XML + ("sst-count", "sst-text", "long-text", "control-chars")]
            else:
                choices = [(n, XML_MUTATORS[n][0], 1) for n in GENERIC_XML]
            name, func, _ = rng.choices(choices, weights=[c[2] for c in choices])[0]
        try:
            new = func(rng, xml, mkind)
        except (IndexError, AttributeError, KeyError, ValueError, TypeError):
            new = None  # it does not apply to what an earlier mutation left
        if new is not None and new != xml:
            xml = new
            done.append(name)
    if not done:  # nothing applied: a generic one that always applies
        xml = x_comments_pi(rng, xml, mkind)
        done.append("comments-pi")
    entry.set_content(xml, method=entry.method if entry.method in (0, 8) else 8)
    if kind == "ods" and entry.name == "mimetype":
        entry.set_content(xml, 0)
    return "+".join(dict.fromkeys(done)), write_zip(entries), target


# --- zip-level mutators --------------------------------------------------------------------------

IMPORTANT_ENTRIES = re.compile(r"xl/worksheets/sheet\d\.xml|xl/workbook\.xml|xl/sharedStrings\.xml|content\.xml|word/document\.xml|"
                               r"\[Content_Types\]\.xml|.*\.rels|mimetype|META-INF/manifest\.xml|xl/styles\.xml")


def _some_entry(rng, entries):
    important = [e for e in entries if IMPORTANT_ENTRIES.fullmatch(e.name)]
    return rng.choice(important if important and rng.random() < 0.8 else entries)


ZIP_OPS = {"drop": 3, "duplicate": 3, "rename": 3, "lie-size": 4, "lie-crc": 2, "method": 2, "flags": 1, "offset": 1, "bomb": 2,
           "many-entries": 1, "reorder": 1, "empty-entry": 1, "nested-zip": 1, "comment": 1, "version": 2}


def mutate_zip(rng: random.Random, seed: Seed, data: bytes, only: str | None = None) -> tuple[str, bytes, str]:
    entries = read_zip(data)
    op = only or rng.choices(list(ZIP_OPS), weights=list(ZIP_OPS.values()))[0]
    e = _some_entry(rng, entries)
    note = e.name
    comment = b""
    if op == "drop":
        entries.remove(e)
    elif op == "duplicate":
        twin = ZipEntry(**{k: getattr(e, k) for k in e.__dataclass_fields__})
        if rng.random() < 0.5:
            other = rng.choice(entries)
            twin.payload, twin.method, twin.crc, twin.size = other.payload, other.method, other.crc, other.size
        entries.insert(rng.randint(0, len(entries)), twin)
    elif op == "rename":
        new = rng.choice([e.name.upper(), e.name.replace("/", "\\"), "/" + e.name, "./" + e.name, "../" + e.name,
                          e.name + " ", e.name + "\x00x", "x" * 300 + e.name, e.name.replace(".xml", ".XML"),
                          "文件/" + e.name, e.name[::-1]])
        if rng.random() < 0.3:
            e.cd_name = new  # only the central directory says so
        else:
            e.name = new
        note = f"{e.name!r}"
    elif op == "lie-size":
        lie = rng.choice([0, 1, e.size // 2, e.size + 1, e.size * 1000, 0xFFFFFFFF, 0x7FFFFFFF, 64 * MB + 1])
        where = rng.choice(["cd-size", "cd-csize", "local-size", "local-csize", "both-size"])
        if where in ("cd-size", "both-size"):
            e.cd_size = lie
        if where in ("local-size", "both-size"):
            e.local_size = lie
        if where == "cd-csize":
            e.cd_csize = rng.choice([0, len(e.payload) // 2, len(e.payload) + 100, 0xFFFFFFFF])
        if where == "local-csize":
            e.local_csize = rng.choice([0, len(e.payload) // 2, 0xFFFFFFFF])
        note = f"{e.name} {where}={lie}"
    elif op == "lie-crc":
        e.cd_crc = rng.choice([0, e.crc ^ 1, 0xFFFFFFFF])
        if rng.random() < 0.5:
            e.crc = e.cd_crc
    elif op == "method":
        m = rng.choice([99, 12, 14, 9, 1, 0, 8])
        if rng.random() < 0.5:
            e.cd_method = m
        else:
            e.method = m
        note = f"{e.name} method={m}"
    elif op == "flags":
        e.flags |= rng.choice([0x1, 0x8, 0x40, 0x2000, 0x1 | 0x40])
    elif op == "offset":
        e.cd_offset_delta = rng.choice([-1, 1, 30, -30, 10**6])
    elif op == "bomb":
        size = rng.choice([65 * MB, 300 * MB]) if rng.random() < 0.8 else 1100 * MB
        e.payload, e.crc = zero_bomb(size)
        e.method, e.size = 8, size
        note = f"{e.name} inflates to {size // MB} MB"
        if rng.random() < 0.3:
            e.cd_size = e.local_size = 1000  # and says it is small
            note += " (declared 1000 bytes)"
    elif op == "many-entries":
        n = rng.choice([4999, 5001, 20000])
        entries += [ZipEntry(f"x/{i}.xml", b"", 0, 0, 0) for i in range(n)]
        note = f"+{n} entries"
    elif op == "reorder":
        rng.shuffle(entries)
    elif op == "empty-entry":
        e.set_content(b"", method=rng.choice([0, 8]))
    elif op == "nested-zip":
        e.set_content(data)
    elif op == "version":
        # what a byte flip in a directory entry does: zipfile says NotImplementedError, not BadZipFile
        version = rng.choice([64, 99, 200, 255, 63, 45])
        for x in entries if rng.random() < 0.2 else [e]:
            x.cd_version = version
        if rng.random() < 0.3:
            e.local_version = version
        note = f"{e.name} needs version {version / 10:.1f}"
    else:
        comment = b"x" * rng.choice([10, 65535])
        if rng.random() < 0.5:
            comment = b"PK\x05\x06" + bytes(18)  # a second end record inside the comment
    return op, write_zip(entries, comment), note


# --- workbook edits: what a clerk does in a spreadsheet program, written into the package ----------
# Each edit is what the product must survive in a workbook that is otherwise sound (so the check
# reaches the command: the annotated copy, the Word report): a merge over the inputs or the whole
# sheet, a sheet of the clerk's own named like the listing, a long agency name, a shared-string
# table whose counts lie where calamine reads it. Some touch several parts of the package.

MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PROBLEMS_SHEET = "问题清单"  # the name of the listing an annotated copy gets
KEEP_MARK = "XLRKEEP 我自己记的问题"


def _entry(entries: list[ZipEntry], name: str) -> ZipEntry | None:
    return next((e for e in entries if e.name == name), None)


def _sheet_parts(entries: list[ZipEntry]) -> dict[str, ZipEntry]:
    """Each worksheet's entry by sheet name, as xl/workbook.xml and its rels say."""
    wb, rels = _entry(entries, "xl/workbook.xml"), _entry(entries, "xl/_rels/workbook.xml.rels")
    if wb is None or rels is None:
        return {}
    targets = {}
    for tag in re.finditer(rb"<Relationship\b[^>]*>", rels.content()):
        rid, target = _attr(tag.group(0), b"Id"), _attr(tag.group(0), b"Target")
        if rid and target:
            targets[rid] = target.decode()[1:] if target.startswith(b"/") else "xl/" + target.decode()
    out = {}
    for tag in re.finditer(rb"<sheet\b[^>]*>", wb.content()):
        name, rid = _attr(tag.group(0), b"name"), _attr(tag.group(0), b"r:id")
        entry = _entry(entries, targets.get(rid, ""))
        if name and entry is not None:
            out[name.decode()] = entry
    return out


def _input_sheets(entries: list[ZipEntry]) -> list[tuple[str, ZipEntry, list]]:
    """The sheets with filled input cells (numbers, no formula), each with those cells."""
    out = []
    for name, entry in _sheet_parts(entries).items():
        cells = _inputs(entry.content())
        if len(cells) >= 3:
            out.append((name, entry, cells))
    return out


def _inputs(xml: bytes) -> list:
    """The filled cells a clerk typed: a number, no formula."""
    return [m for m in _filled_cells(xml) if b"<f" not in m.group(4)]


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _add_cell(xml: bytes, cell: bytes) -> bytes:
    """``cell`` at the end of the sheet's first row (a new row 1 in an empty sheet)."""
    m = re.search(rb"</row>", xml)
    if m:
        return xml[:m.start()] + cell + xml[m.start():]
    if b"<sheetData/>" in xml:
        return xml.replace(b"<sheetData/>", b'<sheetData><row r="1">' + cell + b"</row></sheetData>", 1)
    return xml.replace(b"<sheetData>", b'<sheetData><row r="1">' + cell + b"</row>", 1)


def _add_merges(xml: bytes, refs: list[bytes], element: bytes = b'<mergeCell ref="%s"/>') -> bytes:
    block = b"".join(element % r for r in refs)
    m = re.search(rb"<mergeCells\b[^>]*>", xml)
    if m:
        head = re.sub(rb'count="(\d+)"', lambda c: b'count="%d"' % (int(c.group(1)) + len(refs)), m.group(0))
        return xml[:m.start()] + head + block + xml[m.end():]
    return xml.replace(b"</sheetData>", b'</sheetData><mergeCells count="%d">' % len(refs) + block + b"</mergeCells>", 1)


MERGE_VARIANTS = ("whole-sheet", "columns", "rows", "hide-input", "hide-block", "over-inputs", "reversed", "escaped", "prefixed",
                  "many")


def _merge_over(rng: random.Random, xml: bytes, cells: list) -> tuple[bytes, str]:
    """A merge over the whole sheet, whole columns or rows, or one that hides a filled input cell
    (anywhere but its top-left corner): openpyxl makes an object for every cell a merge covers,
    and keeps no value under one."""
    variant = rng.choice(MERGE_VARIANTS)
    m = rng.choice(cells)
    col, row = _col_number(m.group(1)), int(m.group(2))
    left = _col(max(col - 1, 1))
    up = max(row - 1, 1)
    hide = left + b"%d:" % row + m.group(1) + m.group(2) if col > 1 else m.group(1) + b"%d:" % up + m.group(1) + m.group(2)
    element = b'<mergeCell ref="%s"/>'
    refs = {
        "whole-sheet": [b"A1:XFD1048576"],
        "columns": [rng.choice([b"A:XFD", m.group(1) + b":" + m.group(1), left + b":" + m.group(1)])],
        "rows": [rng.choice([b"1:1048576", b"%d:%d" % (row, row), b"%d:%d" % (up, row)])],
        "hide-input": [hide],
        "hide-block": [left + b"%d:" % up + m.group(1) + m.group(2)],
        "over-inputs": [m.group(1) + m.group(2) + b":" + _col(col + 3) + b"%d" % (row + 10)],
        "reversed": [b":".join(reversed(hide.split(b":")))],
        "escaped": [hide.replace(b":", b"&#58;")],
        "prefixed": [hide],
        "many": [_col(max(_col_number(c.group(1)) - 1, 1)) + c.group(2) + b":" + c.group(1) + c.group(2) for c in cells][:5000],
    }[variant]
    if variant == "prefixed":  # the same element, spelt with a prefix of its own
        element = b'<x:mergeCell xmlns:x="' + MAIN_NS + b"\" ref='%s'/>"
    return _add_merges(xml, refs, element), f"{variant} {b' '.join(refs[:2]).decode()}{' ...' if len(refs) > 2 else ''}"


# the word mergeCell where a search for the merges could take it for them
MERGE_DECOYS = [
    b'<c r="BZ1" t="inlineStr"><is><t>mergeCell</t></is></c>',
    b'<c r="BZ1" t="inlineStr"><is><t>&lt;mergeCells count="1"&gt;&lt;mergeCell ref="A1:A1"/&gt;&lt;/mergeCells&gt;</t></is></c>',
    b'<c r="BZ1" t="str"><f>"x:mergeCells"&amp;"mergeCell"</f><v>x:mergeCellsmergeCell</v></c>',
    b'<c r="BZ1" t="inlineStr"><is><t xml:space="preserve"> mergeCell ref="A1:A1" </t></is></c>',
]
MERGE_COMMENTS = [b'<!-- <mergeCells count="1"><mergeCell ref="A1:A1"/></mergeCells> -->', b"<!--<mergeCells/>-->",
                  b'<?x <mergeCells count="0"></mergeCells>?>']


def _merged(rng, entries, decoys=()):
    """A merge on a sheet with inputs; with ``decoys``, one of them in the sheet's first row."""
    sheets = _input_sheets(entries)
    if not sheets:
        return None
    name, entry, cells = rng.choice(sheets)
    xml, note = _merge_over(rng, entry.content(), cells)
    if decoys:
        decoy = rng.choice(decoys)
        xml = _add_cell(xml, decoy)
        note += f"; before it {decoy[:60].decode()}"
    entry.set_content(xml)
    return f"{name}: {note}", {}


def e_merge_over(rng, entries, kind):
    return _merged(rng, entries)


def e_merge_word(rng, entries, kind):
    return _merged(rng, entries, MERGE_DECOYS)


def e_merge_comment(rng, entries, kind):
    """The merges' tags in a comment or a processing instruction before the real ones."""
    return _merged(rng, entries, MERGE_COMMENTS)


def e_clerk_sheet(rng, entries, kind):
    """A sheet of the clerk's own named like the listing, added or renamed: an annotated copy
    that replaced it would lose what the clerk wrote there (KEEP_MARK)."""
    wb, rels, types = _entry(entries, "xl/workbook.xml"), _entry(entries, "xl/_rels/workbook.xml.rels"), _entry(entries, "[Content_Types].xml")
    sheets = _sheet_parts(entries)
    if wb is None or rels is None or not sheets:
        return None
    spelling = rng.choice([PROBLEMS_SHEET] * 3 + ["&#x95EE;&#x9898;清单"]).encode()
    mark = b'<c r="BZ1" t="inlineStr"><is><t>' + enc(_xml_text(KEEP_MARK)) + b"</t></is></c>"
    others = [n for n, e in sheets.items() if not _inputs(e.content())]
    xml = wb.content()
    if others and rng.random() < 0.4:
        name = rng.choice(others)
        xml = xml.replace(b'name="' + enc(_xml_attr(name)) + b'"', b'name="' + spelling + b'"', 1)
        sheets[name].set_content(_add_cell(sheets[name].content(), mark))
        note = f"{name} renamed {spelling.decode()}"
    else:
        tags = list(re.finditer(rb"<sheet\b[^>]*?/>", xml))
        ids = [int(i) for i in re.findall(rb'sheetId="(\d+)"', xml)]
        tag = re.sub(rb'\s(?:state|name|sheetId)="[^"]*"', b"", tags[0].group(0))
        tag = re.sub(rb'r:id="[^"]*"', b'r:id="rIdXLRKEEP"', tag)
        tag = tag.replace(b"<sheet", b'<sheet name="' + spelling + b'" sheetId="%d"' % (max(ids, default=0) + 1), 1)
        at = rng.choice([tags[0].start(), tags[-1].end(), tags[len(tags) // 2].start()])
        xml = xml[:at] + tag + xml[at:]
        relation = (b'<Relationship Id="rIdXLRKEEP" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                    b'Target="worksheets/sheetXLRKEEP.xml"/>')
        rels.set_content(rels.content().replace(b"</Relationships>", relation + b"</Relationships>", 1))
        if types is not None:
            override = (b'<Override PartName="/xl/worksheets/sheetXLRKEEP.xml" '
                        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
            types.set_content(types.content().replace(b"</Types>", override + b"</Types>", 1))
        sheet = ZipEntry("xl/worksheets/sheetXLRKEEP.xml", b"")
        sheet.set_content(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="' + MAIN_NS + b'"><sheetData>'
                          b'<row r="1">' + mark.replace(b"BZ1", b"A1") + b"</row></sheetData></worksheet>")
        entries.insert(entries.index(wb) + 1, sheet)
        note = f"a sheet {spelling.decode()} added"
    wb.set_content(xml)
    return note, {"keep": KEEP_MARK}


def e_sst_count_calamine(rng, entries, kind):
    """A shared-string table that declares billions of strings, with something the C scanner
    declines (so calamine reads it, and reserves room for what is declared)."""
    sst = _entry(entries, "xl/sharedStrings.xml")
    if sst is None:
        return None
    xml = sst.content()
    value = rng.choice([b"999999999999", b"99999999999", b"4294967295", b"2147483648", b"1000000000", b"12abc", b"0", b"1"])
    names = rng.choice([[b"count", b"uniqueCount"], [b"count"], [b"uniqueCount"], [b"x:uniqueCount"]])
    root = re.search(rb"<sst\b[^>]*>", xml)
    head = re.sub(rb'\s(?:count|uniqueCount)="[^"]*"', b"", root.group(0))
    extra = b"".join(b" " + n + b'="' + value + b'"' for n in names) + (b' xmlns:x="urn:x"' if names == [b"x:uniqueCount"] else b"")
    xml = xml[:root.start()] + head[:4] + extra + head[4:] + xml[root.end():]
    # what makes the C scanner decline (the strings keep their values and their places)
    decline = rng.choice(["comment", "pi", "cdata", "phonetic", "sheet-comment"])
    if decline in ("comment", "pi"):
        xml = xml.replace(b"</sst>", b"<!-- c --></sst>" if decline == "comment" else b"<?x y?></sst>", 1)
    elif decline == "cdata":
        xml = re.sub(rb"<t>([^<&]+)</t>", rb"<t><![CDATA[\1]]></t>", xml, count=1)
    elif decline == "phonetic":
        xml = xml.replace(b"</t></si>", b'</t><rPh sb="0" eb="1"><t>y</t></rPh></si>', 1)
    else:  # the table as it is, a sheet with a comment
        sheets = _sheet_parts(entries)
        if sheets:
            e = rng.choice(list(sheets.values()))
            e.set_content(e.content().replace(b"<sheetData>", b"<sheetData><!-- saved again -->", 1))
    sst.set_content(xml)
    return f"{b' '.join(names).decode()}={value.decode()}, {decline}", {}


@functools.cache
def example_agency() -> str:
    return json.loads((EXAMPLES / "shangyou-commerce-2024.json").read_text(encoding="utf-8"))["meta"]["agency"]


def e_long_agency(rng, entries, kind):
    """The agency name (its cell in 基本信息) past 255 characters, or with a line break."""
    e = _entry(entries, "xl/sharedStrings.xml" if kind == "xlsx" else "content.xml")
    old = b">" + enc(_xml_text(example_agency())) + b"<"
    if e is None or old not in e.content():
        return None
    name = long_agency(rng)
    e.set_content(e.content().replace(old, b">" + enc(_xml_text(name)) + b"<", 1))
    return f"{len(name)} chars: {name[:30]!r}", {}


# name: (function(rng, entries, kind) -> (note, setup) or None, the seeds it applies to (as CLASS_SEEDS), weight)
EDIT_MUTATORS = {
    "merge-over": (e_merge_over, {"example-xlsx": 3, "lo-xlsx": 1}, 3),
    "merge-word": (e_merge_word, {"example-xlsx": 3, "lo-xlsx": 1}, 1),
    "merge-comment": (e_merge_comment, {"example-xlsx": 3, "lo-xlsx": 1}, 1),
    "clerk-sheet": (e_clerk_sheet, {"example-xlsx": 3, "blank-xlsx": 1, "lo-xlsx": 1}, 2),
    "sst-count-calamine": (e_sst_count_calamine, {"example-xlsx": 3, "blank-xlsx": 1, "lo-xlsx": 1}, 2),
    "long-agency": (e_long_agency, {"example-xlsx": 3, "lo-xlsx": 1, "ods": 1, "ods-hand": 1}, 2),
}


def mutate_edit(rng: random.Random, seed: Seed, data: bytes, only: str | None = None):
    choices = [n for n, (_, seeds, _) in EDIT_MUTATORS.items() if _seed_matches(seed.name, seeds)]
    name = only or rng.choices(choices, weights=[EDIT_MUTATORS[n][2] for n in choices])[0]
    entries = read_zip(data)
    done = EDIT_MUTATORS[name][0](rng, entries, seed.kind)
    if done is None:
        raise ValueError(f"{name} does not apply to {seed.name}")
    note, setup = done
    return name, write_zip(entries), note, setup


# --- .xls: the compound file (OLE/CFB) and the BIFF records in its Workbook stream ----------------
# A byte flip anywhere in an .xls mostly lands in cell data; these aim at the structure calamine
# walks: the header's sector sizes and chains, the FAT, the directory, and record lengths and
# fields (string-table counts, sheet offsets, merged ranges, dimensions, numbers).

FREE, END_OF_CHAIN = 0xFFFFFFFF, 0xFFFFFFFE


@dataclass
class Compound:
    """Where things are in a compound file: each offset is a position in the file's bytes."""

    sector: int  # bytes a sector
    fat_offsets: list  # of each FAT entry (4 bytes)
    dir_offsets: list  # of each directory entry (128 bytes)
    streams: dict  # name -> the file offset of each byte of that stream (streams in regular sectors only)


def read_compound(data: bytes) -> Compound:
    sector = 1 << struct.unpack_from("<H", data, 30)[0]

    def at(n: int) -> int:
        return (n + 1) * sector  # the header takes sector -1

    fat_sectors = [n for n in struct.unpack_from("<109I", data, 76) if n < 0xFFFFFFFA]
    fat_offsets = [at(n) + 4 * i for n in fat_sectors for i in range(sector // 4) if at(n) + 4 * i + 4 <= len(data)]
    fat = [struct.unpack_from("<I", data, o)[0] for o in fat_offsets]

    def chain(n: int) -> list[int]:
        seen: list[int] = []
        while n < len(fat) and n not in seen and at(n) + sector <= len(data):
            seen.append(n)
            n = fat[n]
        return seen

    dir_offsets = [at(n) + 128 * i for n in chain(struct.unpack_from("<I", data, 48)[0]) for i in range(sector // 128)]
    cutoff = struct.unpack_from("<I", data, 56)[0]
    streams = {}
    for o in dir_offsets:
        length = min(struct.unpack_from("<H", data, o + 64)[0], 64)
        name = data[o:o + max(0, length - 2)].decode("utf-16-le", "replace")
        start, size = struct.unpack_from("<II", data, o + 116)
        if data[o + 66] == 2 and size >= cutoff:
            streams[name] = [at(n) + i for n in chain(start) for i in range(sector)][:size]
    return Compound(sector, fat_offsets, dir_offsets, streams)


def biff_records(data: bytes, offsets: list) -> list[tuple[int, int, int]]:
    """(record type, position in the stream, length) of each BIFF record of a stream."""
    stream = bytes(data[o] for o in offsets)
    out, pos = [], 0
    while pos + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, pos)
        out.append((kind, pos, length))
        pos += 4 + length
    return out


def _poke(buf: bytearray, offsets: list, pos: int, value: bytes) -> None:
    for i, b in enumerate(value):
        if pos + i < len(offsets):
            buf[offsets[pos + i]] = b


BIFF = {"BOF": 0x0809, "EOF": 0x000A, "BOUNDSHEET": 0x0085, "SST": 0x00FC, "CONTINUE": 0x003C, "NUMBER": 0x0203, "RK": 0x027E,
        "LABELSST": 0x00FD, "MERGECELLS": 0x00E5, "DIMENSIONS": 0x0200, "ROW": 0x0208, "FORMULA": 0x0006, "XF": 0x00E0,
        "FORMAT": 0x041E, "CODEPAGE": 0x0042, "EXTSST": 0x00FF}
# a record's field and what to put there: (record, offset in its data, values packed)
BIFF_FIELDS = [
    ("SST", 0, [struct.pack("<II", 0x7FFFFFFF, 0x7FFFFFFF), struct.pack("<II", 0xFFFFFFFF, 0xFFFFFFFF), struct.pack("<II", 0, 0)]),
    ("BOUNDSHEET", 0, [struct.pack("<I", 0x7FFFFFFF), struct.pack("<I", 0), struct.pack("<I", 1)]),
    ("BOUNDSHEET", 6, [b"\xff", b"\x00"]),
    ("NUMBER", 6, [struct.pack("<d", float("nan")), struct.pack("<d", float("inf")), struct.pack("<d", 1e308), struct.pack("<d", 5e-324)]),
    ("NUMBER", 0, [struct.pack("<HH", 0xFFFF, 0xFF), struct.pack("<HH", 0, 0)]),
    ("RK", 6, [struct.pack("<I", 0xFFFFFFFF), struct.pack("<I", 0x7FF00002)]),
    ("LABELSST", 6, [struct.pack("<I", 0x7FFFFFFF), struct.pack("<I", 0xFFFFFFFF)]),
    ("MERGECELLS", 0, [struct.pack("<HHHHH", 1, 0, 0xFFFF, 0, 0xFF), struct.pack("<HHHHH", 0xFFFF, 0, 0xFFFF, 0, 0xFF),
                       struct.pack("<HHHHH", 1, 4, 4, 3, 4)]),
    ("ROW", 0, [struct.pack("<HHH", 0xFFFF, 0, 0xFFFF), struct.pack("<HHH", 3, 0xFFFF, 0)]),
    ("BOF", 0, [struct.pack("<HH", 0x0500, 0x0005), struct.pack("<HH", 0xFFFF, 0xFFFF), struct.pack("<HH", 0x0600, 0x0020)]),
    ("CODEPAGE", 0, [struct.pack("<H", 0xFFFF), struct.pack("<H", 936), struct.pack("<H", 1200)]),
    ("FORMAT", 0, [struct.pack("<HH", 164, 0xFFFF)]),
    ("XF", 0, [struct.pack("<HH", 0xFFFF, 0xFFFF)]),
]


def _ole_header(rng, data, buf, cfb):
    offset, fmt, value = rng.choice([
        (30, "<H", rng.choice([0, 7, 12, 16, 30])), (32, "<H", rng.choice([0, 20])), (26, "<H", 4), (28, "<H", 0xFFFF),
        (44, "<I", rng.choice([0, 0x7FFFFFFF])), (48, "<I", rng.choice([0, 0x0FFFFFF0, END_OF_CHAIN])), (56, "<I", rng.choice([0, 0xFFFFFFFF])),
        (60, "<I", 0x0FFFFFF0), (64, "<I", 0x7FFFFFFF), (68, "<I", 0), (72, "<I", 0x7FFFFFFF), (76, "<I", rng.choice([0, 0x0FFFFFF0, FREE])),
    ])
    struct.pack_into(fmt, buf, offset, value)
    return f"header +{offset} = {value:#x}"


def _ole_fat(rng, data, buf, cfb):
    variant = rng.choice(["loop", "wrap", "end", "free", "cross"])
    entries = cfb.fat_offsets
    if variant == "loop":  # the directory's chain points at itself
        start = struct.unpack_from("<I", data, 48)[0]
        if start < len(entries):
            struct.pack_into("<I", buf, entries[start], start)
    else:
        for i, o in enumerate(entries[:rng.choice([8, 64, len(entries)])]):
            value = {"wrap": (i + 1) % 50, "end": END_OF_CHAIN, "free": FREE, "cross": rng.randrange(len(entries))}[variant]
            struct.pack_into("<I", buf, o, value)
    return f"FAT {variant}"


def _ole_directory(rng, data, buf, cfb):
    o = rng.choice(cfb.dir_offsets[:8] or [0])
    variant = rng.choice(["size-huge", "size-zero", "size-small", "start-out", "child-loop", "name-length", "rename", "type"])
    if variant.startswith("size"):
        struct.pack_into("<I", buf, o + 120, {"size-huge": 0xFFFFFFF0, "size-zero": 0, "size-small": 100}[variant])
    elif variant == "start-out":
        struct.pack_into("<I", buf, o + 116, 0x00FFFFFF)
    elif variant == "child-loop":
        struct.pack_into("<III", buf, o + 68, 0, 0, 0)
    elif variant == "name-length":
        struct.pack_into("<H", buf, o + 64, rng.choice([0, 0xFFFF, 200]))
    elif variant == "rename":
        buf[o:o + 16] = "Xorkbook".encode("utf-16-le")
    else:
        buf[o + 66] = rng.choice([0, 1, 5, 0xFF])
    return f"directory entry at {o}: {variant}"


def _workbook_records(data: bytes, cfb: Compound) -> tuple[list, list]:
    """The Workbook stream's byte offsets, and its records."""
    offsets = cfb.streams.get("Workbook") or cfb.streams.get("Book") or next(iter(cfb.streams.values()), [])
    return offsets, biff_records(data, offsets)


def _biff_length(rng, data, buf, cfb):
    offsets, records = _workbook_records(data, cfb)
    kinds = [r for r in records if r[0] in BIFF.values()] or records
    kind, pos, length = rng.choice(kinds)
    new = rng.choice([0, 0xFFFF, length + 1, max(length - 1, 0), 8224, 8225])
    _poke(buf, offsets, pos + 2, struct.pack("<H", new))
    return f"record {kind:#06x} at {pos}: length {length} -> {new}"


# a sheet's DIMENSIONS: the rows and columns it says it has (calamine allocates the grid they make)
BIFF_DIMENSIONS = [("DIMENSIONS", 0, [struct.pack("<IIHH", 0, 0x7FFFFFFF, 0, 0xFFFF), struct.pack("<IIHH", 0, 65536, 0, 256),
                                      struct.pack("<IIHH", 0xFFFFFFFF, 0, 0xFFFF, 0), struct.pack("<IIHH", 0, 1 << 20, 0, 0x4000)])]


def _biff_field(rng, data, buf, cfb, table=BIFF_FIELDS):
    offsets, records = _workbook_records(data, cfb)
    fields = [(name, off, values) for name, off, values in table if any(r[0] == BIFF[name] for r in records)]
    name, off, values = rng.choice(fields)
    targets = [r for r in records if r[0] == BIFF[name]]
    value = rng.choice(values)
    for kind, pos, length in rng.sample(targets, min(len(targets), rng.choice([1, 1, 5, 50]))):
        _poke(buf, offsets, pos + 4 + off, value)
    return f"{name}+{off} = {value.hex()}"


def _biff_record(rng, data, buf, cfb):
    """A record's type changed: an EOF too early, a FILEPASS (encrypted from here on), a BOF in the middle."""
    offsets, records = _workbook_records(data, cfb)
    kind, pos, length = rng.choice(records[1:] or records)
    new = rng.choice([BIFF["EOF"], 0x002F, BIFF["BOF"], BIFF["CONTINUE"], 0xFFFF, BIFF["SST"]])
    _poke(buf, offsets, pos, struct.pack("<H", new))
    return f"record {kind:#06x} at {pos} -> {new:#06x}"


def _biff_dimensions(rng, data, buf, cfb):
    return _biff_field(rng, data, buf, cfb, BIFF_DIMENSIONS)


# name: (function, weight); 0: known to fail in the current code (PENDING), run only when asked for
OLE_MUTATORS = {"header": (_ole_header, 2), "fat": (_ole_fat, 2), "directory": (_ole_directory, 2), "biff-length": (_biff_length, 3),
                "biff-field": (_biff_field, 4), "biff-dimensions": (_biff_dimensions, 2), "biff-record": (_biff_record, 2)}


def mutate_ole(rng: random.Random, seed: Seed, data: bytes, only: str | None = None) -> tuple[str, bytes, str]:
    cfb = read_compound(data)
    buf = bytearray(data)
    done = []
    for _ in range(1 if rng.random() < 0.8 else 2):
        name = only or rng.choices(list(OLE_MUTATORS), weights=[w for _, w in OLE_MUTATORS.values()])[0]
        done.append((name, OLE_MUTATORS[name][0](rng, data, buf, cfb)))
    return "+".join(n for n, _ in done), bytes(buf), "; ".join(note for _, note in done)


# --- bytes, truncation, suffix -------------------------------------------------------------------

INTERESTING_BYTES = [b"\x00", b"\xff", b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06", b"<", b">", b"&", b"\"", b"%PDF",
                     b"\xef\xbb\xbf", b"\x7f", b"9" * 20, b"-", b"\n", b"\r", b"]]>", b"<![", b"obj", b"endstream"]


BYTES_OPS = ("flip", "bitflip", "insert", "delete", "duplicate", "overwrite", "zip-header")
ZIP_HEADERS = re.compile(rb"PK\x03\x04|PK\x01\x02")
# the fields of a directory entry and of a local header a reader looks at before the data: the
# versions, flags, method, CRC, sizes, name and extra lengths, offset (by their first byte)
CD_FIELDS = (4, 5, 6, 7, 8, 9, 10, 11, 16, 20, 24, 28, 30, 32, 42)
LOCAL_FIELDS = (4, 5, 6, 7, 8, 9, 14, 18, 22, 26, 28)


def mutate_bytes(rng: random.Random, seed: Seed, data: bytes, only: str | None = None) -> tuple[str, bytes, str]:
    buf = bytearray(data)
    op = only or rng.choice(BYTES_OPS)
    n = rng.choice([1, 1, 2, 4, 16, 64] if op != "zip-header" else [1, 1, 2, 3])  # a field or two: the rest still reads
    headers = [m.start() for m in ZIP_HEADERS.finditer(data)] if op == "zip-header" else []
    if op == "zip-header" and not headers:
        op = "flip"  # no zip: flipped anywhere

    def pos() -> int:
        r = rng.random()
        if r < 0.25:
            return rng.randrange(min(len(buf), 512))
        if r < 0.5:
            return rng.randrange(int(len(buf) * 0.8), len(buf))  # the zip directory, the PDF xref
        return rng.randrange(len(buf))

    for _ in range(n):
        if not buf:
            break
        at = pos()
        if op == "zip-header":
            start = rng.choice(headers)
            buf[min(len(buf) - 1, start + rng.choice(CD_FIELDS if data[start + 2] == 1 else LOCAL_FIELDS))] = rng.randrange(256)
        elif op == "flip":
            buf[at] = rng.randrange(256)
        elif op == "bitflip":
            buf[at] ^= 1 << rng.randrange(8)
        elif op == "insert":
            buf[at:at] = rng.choice(INTERESTING_BYTES)
        elif op == "delete":
            del buf[at:at + rng.randint(1, 64)]
        elif op == "duplicate":
            chunk = buf[at:at + rng.randint(1, 4096)]
            buf[at:at] = chunk
        else:
            b = rng.choice(INTERESTING_BYTES)
            buf[at:at + len(b)] = b
    return f"{op}x{n}", bytes(buf), ""


def mutate_truncate(rng: random.Random, seed: Seed, data: bytes) -> tuple[str, bytes, str]:
    marks = [0, 1, 2, 4, 22, len(data) - 1, len(data) - 22, len(data) // 2]
    marks += [m.start() for m in re.finditer(rb"PK\x01\x02|PK\x03\x04|PK\x05\x06|xref|trailer|startxref|endstream|</table>|</tr>|\n", data)][:2000]
    variant = rng.random()
    if variant < 0.4:
        at = rng.randrange(len(data))
    else:
        at = max(0, min(len(data), rng.choice(marks) + rng.choice([0, 0, 1, -1, 4])))
    out = data[:at]
    how = "cut"
    if rng.random() < 0.2:
        out += rng.choice([b"\x00" * 100, data[:200], b"garbage"])
        how = "cut+junk"
    return how, out, f"at {at} of {len(data)}"


SUFFIXES = [".xlsx", ".xlsm", ".xls", ".ods", ".json", ".html", ".htm", ".txt", ".pdf", ".docx", ".XLSX", ".Json"]


def mutate_suffix(rng: random.Random, seed: Seed, data: bytes) -> tuple[str, bytes, str]:
    """A file whose name says another kind than its content (kept or lightly damaged)."""
    if rng.random() < 0.3:
        _, data, _ = mutate_bytes(rng, seed, data)
    return "as-other-kind", data, ""


# --- JSON ----------------------------------------------------------------------------------------

RAW = "\x00RAW{}\x00"


def _json_paths(node, path=()):
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _json_paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _json_paths(v, path + (i,))


def _set(doc, path, value):
    if not path:
        return value
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return doc


JSON_OPS = {"deep-nesting": 2, "huge-number": 4, "wrong-type": 4, "long-string": 2, "odd-string": 3, "structure": 2, "encoding": 2,
            "syntax": 2, "year": 2, "agency": 2}
# a year is made an int: an exponent of a million digits, thousands of digits, digits int() takes that are no year
JSON_YEARS = ["1e999999", "-1e999999", "1e400", "1E+999999", "1e-999999", "9" * 5000, '"' + "9" * 5000 + '"', '"²"', '"２０２４"',
              '"٢٠٢٤"', '"2024²"', "2024.0", "2.024e3", "20240000000000000000000", '"2024 "', '"+2024"', '"2_024"', '"0x7E8"',
              '"2024年"', "-2024", "2024.5"]


def mutate_json(rng: random.Random, seed: Seed, data: bytes, only: str | None = None) -> tuple[str, bytes, str]:
    doc = json.loads(data)
    paths = list(_json_paths(doc))
    leaves = [(p, v) for p, v in paths if not isinstance(v, (dict, list))]
    numbers = [(p, v) for p, v in leaves if isinstance(v, (int, float)) and not isinstance(v, bool)] or leaves
    strings = [(p, v) for p, v in leaves if isinstance(v, str)] or leaves
    raws: list[str] = []

    def raw(text: str) -> str:
        raws.append(text)
        return RAW.format(len(raws) - 1)

    op = only or rng.choices(list(JSON_OPS), weights=list(JSON_OPS.values()))[0]
    note = ""
    if op == "deep-nesting":
        depth = rng.choice([33, 100, 1000, 100_000, 1_000_000])
        open_, close = rng.choice([("[", "]"), ('{"a":', "}"), ('{"": [', "]}")])
        path, _ = rng.choice(paths if rng.random() < 0.5 else [((), doc)])
        doc = _set(doc, path, raw(open_ * depth + "1" + close * depth))
        note = f"depth {depth} at {'/'.join(map(str, path))}"
    elif op == "huge-number":
        path, _ = rng.choice(numbers)
        text = rng.choice(["1e999999999", "-1e999999999", "1e308", "1.8e308", "1e-999999", "NaN", "Infinity", "-Infinity",
                           "-0", "-0.0", "1" + "0" * 41, "1" + "0" * 4300, "9" * 100_000, "0." + "1" * 5000, "1e12", "1e15",
                           "1000000000001", "2.5", "-1", "1.0", "12.000000000000001", "9" * 39, "0e0", "1E400"])
        doc = _set(doc, path, raw(text))
        note = f"{'/'.join(map(str, path))} = {text[:30]}"
    elif op == "wrong-type":
        path, _ = rng.choice(paths)
        value = rng.choice([[], {}, "12", "１２", None, True, False, 12.0, 2.5, -3, "", "x" * 100, [1, 2], {"a": 1}, "NaN", "2024年"])
        doc = _set(doc, path, value)
        note = f"{'/'.join(map(str, path))} = {json.dumps(value)[:30]}"
    elif op == "long-string":
        path, _ = rng.choice(strings)
        n = rng.choice([32767, 32768, 1_000_000, 15_000_000, 17_000_000])  # the last two: past the 2 MB file limit (16 MB once)
        doc = _set(doc, path, ("上" * (n // 3 if n > MB else n)) if rng.random() < 0.5 else ("a" * n))
        note = f"{'/'.join(map(str, path))} {n} chars"
    elif op == "odd-string":
        path, _ = rng.choice(strings)
        text = rng.choice([control_text(rng), "\\u0000", "\\ud800", "\\udfff\\ud800", "=cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\")",
                           "<w:p>&amp;</w:p>", "{{ meta.agency }}", "{% for x in y %}", "_x0001_", "\\u202e", "'12", "1e308",
                           "../../../etc/passwd", "CON", "a/b\\c:d*e?f\"g<h>i|j", " ", "\n\n\n"])
        if text.startswith("\\"):
            doc = _set(doc, path, raw('"' + text + '"'))
        else:
            doc = _set(doc, path, text)
        note = f"{'/'.join(map(str, path))} = {text[:30]!r}"
    elif op == "year":
        text = rng.choice(JSON_YEARS)
        doc.setdefault("meta", {})["year"] = raw(text)
        note = f"meta.year = {text[:30]}"
    elif op == "agency":
        name = long_agency(rng)
        doc.setdefault("meta", {})["agency"] = name
        note = f"meta.agency {len(name)} chars: {name[:30]!r}"
    elif op == "structure":
        variant = rng.choice(["drop-key", "unknown-key", "format", "year", "top-level", "dup-key", "empty-object"])
        note = variant
        dicts = [(p, v) for p, v in paths if isinstance(v, dict) and v]
        if variant == "drop-key":
            p, d = rng.choice(dicts)
            k = rng.choice(list(d))
            del d[k]
            note += f" {'/'.join(map(str, p + (k,)))}"
        elif variant == "unknown-key":
            p, d = rng.choice(dicts)
            d[rng.choice(["x", "__proto__", "", "总计", "a" * 1000])] = rng.choice([1, "x", None, {}])
        elif variant == "format":
            doc["format"] = rng.choice(["2019", "2020", 2021, None, "", "2021 ", ["2021"]])
        elif variant == "year":
            doc.setdefault("meta", {})["year"] = rng.choice([99999, -1, 0, "2024", "二〇二四", 1e10, 2024.5, True, 10**30, 1899, 2101])
        elif variant == "top-level":
            doc = rng.choice([[], "x", 1, None, [doc], {"report": doc}])
        elif variant == "dup-key":
            p, d = rng.choice(dicts)
            k = rng.choice(list(d))
            text = json.dumps(doc, ensure_ascii=False)
            key = json.dumps(k, ensure_ascii=False) + ":"
            text = text.replace(key, key + ' "dup", ' + key, 1)
            return op + ":" + variant, text.encode("utf-8"), note
        else:
            p, d = rng.choice(dicts)
            d.clear()
    text = json.dumps(doc, ensure_ascii=rng.random() < 0.2, indent=rng.choice([None, 2]))
    for i, r in enumerate(raws):
        text = text.replace(json.dumps(RAW.format(i)), r)
    out = text.encode("utf-8", "surrogatepass")
    if op == "encoding":
        variant = rng.choice(["bom", "utf-16", "utf-16-le", "utf-32", "gbk", "invalid", "nul", "latin1"])
        note = variant
        if variant == "bom":
            out = b"\xef\xbb\xbf" + out
        elif variant in ("utf-16", "utf-16-le", "utf-32", "gbk"):
            out = text.encode(variant, "replace")
        elif variant == "invalid":
            at = rng.randrange(len(out))
            out = out[:at] + rng.choice([b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\x80"]) + out[at:]
        elif variant == "nul":
            at = rng.randrange(len(out))
            out = out[:at] + b"\x00" + out[at:]
        else:
            out = text.encode("latin-1", "replace")
    elif op == "syntax":
        variant = rng.choice(["trailing-garbage", "comment", "single-quotes", "trailing-comma", "empty", "whitespace",
                              "huge-whitespace", "two-docs", "unclosed"])
        note = variant
        out = {
            "trailing-garbage": out + b"\nxyz",
            "comment": b"// comment\n" + out,
            "single-quotes": out.replace(b'"', b"'"),
            "trailing-comma": re.sub(rb"(\d|\")(\s*)([}\]])", rb"\1,\2\3", out, count=3),
            "empty": b"",
            "whitespace": b" \n\t ",
            "huge-whitespace": out + b" " * (rng.choice([15, 17]) * MB),
            "two-docs": out + out,
            "unclosed": out[: len(out) // 3],
        }[variant]
    return op, out, note


# --- HTML ----------------------------------------------------------------------------------------


def mutate_html(rng: random.Random, seed: Seed, data: bytes) -> tuple[str, bytes, str]:
    text = data
    op = rng.choices(["marked-section", "unclosed", "span", "deep-nesting", "entities", "charset", "cell-values",
                      "many-cells", "control-chars", "attributes", "raw-text", "structure"],
                     weights=[3, 2, 4, 2, 2, 2, 3, 1, 2, 1, 1, 1])[0]
    cells = list(re.finditer(rb"<t[dh](\s[^>]*)?>(.*?)</t[dh]>", text, re.S))
    note = ""

    def anywhere() -> int:
        if cells and rng.random() < 0.7:
            return rng.choice(cells).start(2)
        return rng.randrange(len(text))

    if op == "marked-section":
        bit = rng.choice([b"<![", b"<![if !supportLists]>", b"<![endif]>", b"<![CDATA[x]]>", b"<![CDATA[", b"<![ x",
                          b"<!x", b"<!", b"<!DOCTYPE", b"<?php x ?>", b"<![INCLUDE[ x ]]>", b"<![IGNORE[", b"<![if"])
        at = anywhere()
        text = text[:at] + bit + text[at:]
        note = bit.decode()
    elif op == "unclosed":
        variant = rng.choice(["drop-closers", "comment", "tag", "attr"])
        note = variant
        if variant == "drop-closers":
            closers = list(re.finditer(rb"</(?:td|tr|table|th|tbody|p|div)>", text))
            for m in sorted(rng.sample(closers, min(len(closers), rng.randint(1, 30))), key=lambda m: -m.start()):
                text = text[:m.start()] + text[m.end():]
        else:
            bit = {"comment": b"<!--", "tag": b"<td", "attr": b'<td colspan="'}[variant]
            at = anywhere()
            text = text[:at] + bit + text[at:]
    elif op == "span":
        v = rng.choice([b"1000000000", b"201", b"200", b"-1", b"0", b"abc", b"1e3", "٣".encode(), b"99999999999999999999",
                        b" 2 ", b"2.5", b"", b"0x10", "２".encode(), b"3;", b"+2"])
        attr = rng.choice([b"rowspan", b"colspan"])
        targets = cells if cells else []
        out = text
        for m in sorted(rng.sample(targets, min(len(targets), rng.choice([1, 1, 5, 50]))), key=lambda m: -m.start()):
            tag_end = out.find(b">", m.start())
            out = out[:tag_end] + b" " + attr + b'="' + v + b'"' + out[tag_end:]
        text = out
        note = f"{attr.decode()}={v.decode(errors='replace')}"
    elif op == "deep-nesting":
        depth = rng.choice([500, 5000, 100_000])
        tag = rng.choice([b"div", b"span", b"table", b"b", b"td", b"font"])
        if tag == b"table":
            depth = min(depth, 5000)
            blob = b"<table><tr><td>" * depth + b"12" + b"</td></tr></table>" * depth
        else:
            blob = (b"<" + tag + b">") * depth + b"12" + (b"</" + tag + b">") * (depth if rng.random() < 0.5 else 0)
        at = anywhere()
        text = text[:at] + blob + text[at:]
        note = f"{tag.decode()} x{depth}"
    elif op == "entities":
        bit = rng.choice([b"&#0;", b"&#x110000;", b"&#xD800;", b"&#99999999999;", b"&nbsp", b"&unknown;", b"&#x1b;[31m",
                          b"&#8238;", b"&#65;", b"&amp;amp;", b"&#x;", b"&#12345678901234567890;"]) * rng.choice([1, 3, 1000])
        at = anywhere()
        text = text[:at] + bit + text[at:]
        note = bit[:20].decode()
    elif op == "charset":
        cs = rng.choice([b"gbk", b"utf-16", b"x-unknown-charset", b"utf-7", b"latin1", b"big5", b"utf-32", b"", b"utf-8\x00",
                         b"rot13", b"base64", b"idna", b"zlib"])
        note = cs.decode(errors="replace")
        if re.search(rb"charset=", text, re.I):
            text = re.sub(rb'charset="?[\w-]+', b'charset="' + cs, text, count=1, flags=re.I)
        else:
            text = b'<meta charset="' + cs + b'">' + text
        if rng.random() < 0.3:
            text = text.decode("utf-8", "replace").encode(rng.choice(["gbk", "utf-16", "big5"]), "replace")
    elif op == "cell-values":
        out = text
        for m in sorted(rng.sample(cells, min(len(cells), rng.choice([1, 3, 30]))), key=lambda m: -m.start()):
            out = out[:m.start(2)] + enc(_xml_text(weird_number(rng))) + out[m.end(2):]
        text = out
    elif op == "many-cells":
        rows = list(re.finditer(rb"<tr[\s>].*?</tr>", text, re.S))
        m = _pick(rng, rows)
        if m:
            n = rng.choice([1000, 20_000, 120_000])
            text = text[:m.end()] + m.group(0) * n + text[m.end():]
            note = f"row x{n}"
        else:
            text = text + b"<table>" + b"<tr><td>1</td></tr>" * 100000 + b"</table>"
    elif op == "control-chars":
        at = anywhere()
        text = text[:at] + enc(control_text(rng)) + text[at:]
    elif op == "attributes":
        at = text.find(b"<td")
        if at < 0:
            at = anywhere()
        text = text[:at] + b'<td x="' + b"a" * rng.choice([1000, 1_000_000]) + b'" ' + b"y " * 10000 + b">1</td>" + text[at:]
    elif op == "raw-text":
        tag = rng.choice([b"script", b"style", b"textarea", b"title", b"xmp", b"plaintext", b"noscript", b"template"])
        m = re.search(rb"<table", text)
        if m:
            text = text[:m.start()] + b"<" + tag + b">" + text[m.start():]
        note = tag.decode()
    else:
        variant = rng.choice(["th-outside", "td-in-td", "no-tr", "tables-in-cells", "empty-tables"])
        note = variant
        if variant == "empty-tables":
            text = text + b"<table></table>" * 100000
        elif cells:
            m = rng.choice(cells)
            bit = {"th-outside": b"</table><th>1</th>", "td-in-td": b"<td>1<td>2", "no-tr": b"<table><td>1</td></table>",
                   "tables-in-cells": b"<table><tr><td>" + m.group(2) + b"</td></tr></table>"}[variant]
            text = text[:m.start(2)] + bit + text[m.start(2):]
    return op, text, note


# --- text reports --------------------------------------------------------------------------------


def mutate_text(rng: random.Random, seed: Seed, data: bytes) -> tuple[str, bytes, str]:
    text = data.decode("utf-8", "replace")
    lines = text.split("\n")
    # the near-limit sizes (several MB of text) take the product seconds: a small share
    op = rng.choices(["long-line", "control-chars", "encoding", "numbers", "repeat", "line-endings", "delete-lines",
                      "size-limit", "swap-lines"], weights=[2, 3, 3, 4, 2, 2, 2, 1, 2])[0]
    note = ""
    if op == "long-line":
        n = rng.choice([32768, 1_000_000, 4_000_000])  # characters
        unit = rng.choice(["字", "1 ", "一、本年新收政府信息公开申请数量 "])
        lines.insert(rng.randrange(len(lines)), (unit * (n // len(unit) + 1))[:n])
    elif op == "control-chars":
        for _ in range(rng.randint(1, 20)):
            i = rng.randrange(len(lines))
            at = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:at] + control_text(rng) + lines[i][at:]
    elif op == "numbers":
        numeric = [i for i, line in enumerate(lines) if re.search(r"\d", line)]
        for i in rng.sample(numeric, min(len(numeric), rng.choice([1, 5, 40]))):
            lines[i] = re.sub(r"\d+", lambda m: weird_number(rng) if rng.random() < 0.5 else m.group(0), lines[i])
    elif op == "repeat":
        n = rng.choices([10, 100, 1000], weights=[3, 2, 1])[0]
        if rng.random() < 0.5:
            lines = lines * n
        else:
            i = rng.randrange(len(lines))
            lines[i:i] = [lines[i]] * (n * 100)
        note = f"x{n}"
    elif op == "delete-lines":
        for _ in range(rng.randint(1, 30)):
            if lines:
                del lines[rng.randrange(len(lines))]
    elif op == "swap-lines":
        for _ in range(rng.randint(1, 30)):
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
    text = "\n".join(lines)
    out = text.encode("utf-8", "surrogatepass")
    if op == "encoding":
        variant = rng.choice(["gbk", "utf-16", "utf-16-le", "utf-8-sig", "invalid", "mixed", "utf-32", "big5"])
        note = variant
        if variant == "invalid":
            at = rng.randrange(len(out))
            out = out[:at] + b"\xff\xfe\xc0" + out[at:]
        elif variant == "mixed":
            half = len(text) // 2
            out = text[:half].encode("utf-8") + text[half:].encode("gbk", "replace")
        else:
            out = text.encode(variant, "replace")
    elif op == "line-endings":
        sep = rng.choice(["\r", "\r\n", "\u2028", "\x85", "\x0c", "\r\r\n"])
        out = text.replace("\n", sep).encode("utf-8")
        note = repr(sep)
    elif op == "size-limit":
        out = out + b" " * (8 * MB + 1 - len(out)) if rng.random() < 0.7 else out * (8 * MB // len(out))
    return op, out, note


# --- PDF -----------------------------------------------------------------------------------------

OBJ_RE = re.compile(rb"(\d+) (\d+) obj\b")


def fix_xref(pdf: bytes) -> bytes:
    """Rewrite the xref table and startxref for where the objects now are (after a mutation that
    moved them), so the mutation reaches the parser instead of its xref repair."""
    first = pdf.find(b"\nxref")
    if first < 0:
        return pdf
    body = pdf[:first + 1]
    offsets = {int(m.group(1)): m.start() for m in OBJ_RE.finditer(body) if m.start() == 0 or body[m.start() - 1:m.start()] in b"\r\n"}
    if not offsets:
        return pdf
    size = max(offsets) + 1
    lines = [b"xref\n0 %d\n" % size, b"0000000000 65535 f \n"]
    lines += [b"%010d 00000 n \n" % offsets[i] if i in offsets else b"0000000000 65535 f \n" for i in range(1, size)]
    trailer = pdf.find(b"trailer", first)
    startxref = pdf.find(b"startxref", trailer)
    trailer_text = pdf[trailer:startxref] if trailer >= 0 and startxref >= 0 else b"trailer\n<</Size %d>>\n" % size
    return body + b"".join(lines) + trailer_text + b"startxref\n%d\n%%%%EOF\n" % len(body)


def mutate_pdf(rng: random.Random, seed: Seed, data: bytes) -> tuple[str, bytes, str]:
    pdf = data
    op = rng.choices(["broken-xref", "cyclic", "truncated-stream", "flate-bomb", "deep-nesting", "numbers", "objects",
                      "encrypt", "page-count"], weights=[3, 4, 3, 1, 2, 2, 2, 1, 1])[0]
    fix = rng.random() < 0.6
    note = ""
    objs = {int(m.group(1)): m for m in OBJ_RE.finditer(pdf)}

    def obj_span(num: int) -> tuple[int, int]:
        m = objs[num]
        end = pdf.find(b"endobj", m.end())
        return m.end(), end

    def find_obj(pattern: bytes) -> list[int]:
        out = []
        for num in objs:
            s, e = obj_span(num)
            if re.search(pattern, pdf[s:min(e, s + 2000)]):
                out.append(num)
        return out

    if op == "broken-xref":
        fix = False
        variant = rng.choice(["offsets", "startxref", "no-xref", "count", "prev-self", "garbage-entries"])
        note = variant
        if variant == "offsets":
            pdf = re.sub(rb"\n(\d{10}) 00000 n", lambda m: b"\n%010d 00000 n" % rng.randrange(len(pdf) * 2) if rng.random() < 0.5 else m.group(0), pdf)
        elif variant == "startxref":
            pdf = re.sub(rb"startxref\s+\d+", b"startxref\n" + rng.choice([b"999999999", b"-1", b"0", b"1", b"x", b"99999999999999999999"]), pdf)
        elif variant == "no-xref":
            pdf = pdf.replace(b"\nxref", b"\nxxxx")
        elif variant == "count":
            pdf = re.sub(rb"\nxref\s+0 (\d+)", b"\nxref\n0 " + rng.choice([b"999999999", b"0", b"-1", b"2147483648"]), pdf)
        elif variant == "prev-self":
            sx = re.search(rb"startxref\s+(\d+)", pdf)
            pdf = pdf.replace(b"trailer\n<<", b"trailer\n<</Prev " + (sx.group(1) if sx else b"0"), 1)
        else:
            pdf = re.sub(rb"(\n\d{10} 00000 )n", lambda m: m.group(1) + rng.choice([b"n", b"x", b"f"]), pdf)
    elif op == "cyclic":
        variant = rng.choice(["kids-self", "parent-loop", "length-self", "ref-self", "resources-loop", "outline-loop", "root-self"])
        note = variant
        if variant == "kids-self":
            nums = find_obj(rb"/Type\s*/Pages")
            if nums:
                n = rng.choice(nums)
                s, e = obj_span(n)
                pdf = pdf[:s] + re.sub(rb"/Kids\s*\[[^\]]*\]", b"/Kids[%d 0 R %d 0 R]" % (n, n), pdf[s:e], count=1) + pdf[e:]
        elif variant == "parent-loop":
            nums = find_obj(rb"/Type\s*/Page\b")
            pages = find_obj(rb"/Type\s*/Pages")
            if nums and pages:
                p = pages[0]
                s, e = obj_span(p)
                pdf = pdf[:s] + re.sub(rb"/Kids", b"/Parent %d 0 R/Kids" % nums[0], pdf[s:e], count=1) + pdf[e:]
        elif variant == "length-self":
            nums = find_obj(rb"/Length\s+\d+\s+0\s+R")
            if nums:
                n = rng.choice(nums)
                m = re.search(rb"/Length\s+(\d+)\s+0\s+R", pdf[objs[n].end():])
                target = int(m.group(1))
                s, e = obj_span(target)
                pdf = pdf[:s] + b"\n%d 0 R\n" % target + pdf[e:]
        elif variant == "ref-self":
            n = rng.choice(list(objs))
            s, e = obj_span(n)
            pdf = pdf[:s] + b"\n%d 0 R\n" % n + pdf[e:]
        elif variant == "resources-loop":
            nums = find_obj(rb"/Type\s*/Page\b")
            if nums:
                n = rng.choice(nums)
                s, e = obj_span(n)
                pdf = pdf[:s] + re.sub(rb"/Resources\s*(\d+ 0 R|<<)", b"/Resources %d 0 R /X \\1" % n, pdf[s:e], count=1) + pdf[e:]
        elif variant == "outline-loop":
            pdf = pdf.replace(b"/Type/Catalog", b"/Type/Catalog/Outlines 9999 0 R", 1) + b"\n9999 0 obj<</First 9999 0 R/Next 9999 0 R/Count 5>>endobj\n"
        else:
            root = re.search(rb"/Root\s+(\d+)\s+0\s+R", pdf)
            if root:
                n = int(root.group(1))
                s, e = obj_span(n)
                pdf = pdf[:s] + re.sub(rb"/Pages\s+\d+\s+0\s+R", b"/Pages %d 0 R" % n, pdf[s:e], count=1) + pdf[e:]
    elif op == "truncated-stream":
        streams = list(re.finditer(rb"stream\r?\n", pdf))
        m = _pick(rng, streams)
        variant = rng.choice(["cut-bytes", "no-endstream", "length-big", "length-small", "length-negative"])
        note = variant
        if m and variant == "cut-bytes":
            end = pdf.find(b"endstream", m.end())
            cut = rng.randint(1, max(1, (end - m.end()) // 2))
            pdf = pdf[:end - cut] + pdf[end:]
        elif m and variant == "no-endstream":
            end = pdf.find(b"endstream", m.end())
            pdf = pdf[:end] + pdf[end + 9:]
        else:
            v = {"length-big": b"999999999", "length-small": b"3", "length-negative": b"-1"}.get(variant, b"0")
            pdf = re.sub(rb"(\n\d+ 0 obj\s*)\d+(\s*endobj)", lambda mm: mm.group(1) + v + mm.group(2) if rng.random() < 0.5 else mm.group(0), pdf)
            pdf = re.sub(rb"/Length \d+", b"/Length " + v, pdf)
    elif op == "flate-bomb":
        size = rng.choice([20 * MB, 200 * MB])
        payload = zlib.compress(bytes(size), 9) if size <= 20 * MB else _zlib_bomb(size)
        nums = find_obj(rb"/Length\s+\d+\s+0\s+R/Filter/FlateDecode")
        if nums:
            n = rng.choice(nums)
            s, e = obj_span(n)
            part = pdf[s:e]
            a, b = part.find(b"stream") + 7, part.rfind(b"endstream")
            part = re.sub(rb"/Length\s+\d+\s+0\s+R", b"/Length %d" % len(payload), part[:a]) + payload + b"\n" + part[b:]
            pdf = pdf[:s] + part + pdf[e:]
        note = f"{size // MB} MB"
    elif op == "deep-nesting":
        depth = rng.choice([1000, 100_000, 1_000_000])
        bit = rng.choice([b"[" * depth + b"]" * depth, b"<<" * depth, b"[" * depth])
        nums = list(objs)
        n = rng.choice(nums)
        s, _ = obj_span(n)
        pdf = pdf[:s] + b"\n" + bit + b"\n" + pdf[s:]
        note = f"depth {depth}"
    elif op == "numbers":
        v = rng.choice([b"1e308", b"NaN", b"-0", b"99999999999999999999999999", b"1" + b"0" * 400, b"-1", b".", b"--5", b"1e-400"])
        pdf = re.sub(rb"/MediaBox\s*\[[^\]]*\]", b"/MediaBox[0 0 " + v + b" " + v + b"]", pdf)
        if rng.random() < 0.5:
            pdf = re.sub(rb"/FontBBox\s*\[[^\]]*\]", b"/FontBBox[" + v + b" 0 0 " + v + b"]", pdf)
        note = v[:20].decode()
    elif op == "objects":
        variant = rng.choice(["delete", "duplicate", "swap-numbers", "generation"])
        note = variant
        n = rng.choice(list(objs))
        s, e = obj_span(n)
        if variant == "delete":
            pdf = pdf[:objs[n].start()] + pdf[e + 6:]
        elif variant == "duplicate":
            pdf = pdf[:e + 6] + b"\n" + pdf[objs[n].start():e + 6] + pdf[e + 6:]
        elif variant == "swap-numbers":
            m2 = rng.choice(list(objs))
            pdf = pdf[:objs[n].start()] + b"%d 0 obj" % m2 + pdf[objs[n].end():]
        else:
            pdf = pdf[:objs[n].start()] + b"%d 65535 obj" % n + pdf[objs[n].end():]
    elif op == "encrypt":
        pdf = pdf.replace(b"trailer\n<<", b"trailer\n<</Encrypt <</Filter/Standard/V " + rng.choice([b"1", b"5", b"99"]) + b"/R 3/O<00>/U<00>/P -1>>", 1)
    else:
        v = rng.choice([b"1000000000", b"-1", b"0", b"201", b"99999999999999999999"])
        pdf = re.sub(rb"/Count\s+\d+", b"/Count " + v, pdf)
        if rng.random() < 0.5:  # and really that many pages, all the same object
            pages = find_obj(rb"/Type\s*/Page\b")
            if pages:
                pdf = re.sub(rb"/Kids\s*\[[^\]]*\]", b"/Kids[" + b" ".join([b"%d 0 R" % pages[0]] * 250) + b"]", pdf, count=1)
        note = f"/Count {v.decode()}"
    if fix and op != "broken-xref":
        pdf = fix_xref(pdf)
    return op, pdf, note + (" (xref rewritten)" if fix and op != "broken-xref" else "")


def _zlib_bomb(size: int) -> bytes:
    c = zlib.compressobj(9)
    chunk = bytes(MB)
    return b"".join(c.compress(chunk) for _ in range(size // MB)) + c.flush()


# --- Word templates (jinja2 / docxtpl) ------------------------------------------------------------

SANDBOX_MARK = "XLRSBX:"
# a template reaching Python internals, and what it renders if nothing stops it
SANDBOX_PROBES = {
    "{{ 'XLRSBX:' ~ ''.__class__.__name__ }}": "XLRSBX:str",
    "{{ 'XLRSBX:' ~ (lipsum).__globals__.__name__ }}": "XLRSBX:jinja2.utils",
    "{% set x = ''.__class__ %}{{ 'XLRSBX:' ~ x.__name__ }}": "XLRSBX:str",
    "{{ ''.__class__.__name__ }}": "str",
    "{{ meta.agency.__class__.__name__ }}": "str",
    "{{ meta.__class__.__name__ }}": "dict",
    "{{ text.preamble.__class__.__name__ }}": "list",
    "{{ (lipsum).__globals__.__name__ }}": "jinja2.utils",
    "{{ lipsum.__globals__['os'].name }}": "posix",
    "{{ cycler.__init__.__globals__.os.name }}": "posix",
    "{{ (joiner).__init__.__globals__['__name__'] }}": "jinja2.utils",
    "{{ meta.__class__.__mro__[1].__name__ }}": "object",
    "{{ (meta|attr('__class__')).__name__ }}": "dict",
    "{{ meta['__class__']['__name__'] }}": "dict",
    "{{ meta.agency.__len__() }}": None,  # a number: any rendering is an escape
    "{{ ''.__class__.__mro__[1].__subclasses__()|length }}": None,
    "{{ meta.agency.upper.__self__.__class__.__name__ }}": "str",
    "{{ n.active.__class__.__name__ }}": "dict",
    "{{ self.__init__.__globals__.__name__ }}": None,
    "{{ meta.agency.__doc__ }}": None,
    "{{ meta|attr('\\x5f\\x5fclass\\x5f\\x5f') }}": None,
    "{{ meta['\\x5f\\x5fclass\\x5f\\x5f'] }}": None,
    "{{ meta['\\u005f\\u005fclass\\u005f\\u005f'].__name__ }}": "dict",
}
TEMPLATE_PAYLOADS = {
    "syntax": ["{{", "}}", "{% if %}", "{% for x in %}", "{% endfor %}", "{{ }}", "{% raw %}", "{#", "{{ meta.agency }",
               "{%p if meta.agency %}", "{%tr for x in text.preamble %}", "{% else %}", "{{ meta.agency | }}", "{% set %}",
               "{{ meta['agency' }}", "{%- -%}", "{{ 1 + }}", "{% block x %}", "{% macro %}"],
    "undefined": ["{{ nope }}", "{{ meta.nope }}", "{{ meta.agency.nope.deeper }}", "{{ n.active.nope }}", "{{ text.preamble[99] }}",
                  "{% for x in nope %}{% endfor %}", "{{ n.requests.new }}", "{{ loop.index }}", "{% if nope.x %}{% endif %}",
                  "{{ meta.agency[99999] }}", "{{ n['active'] }}"],
    "sandbox": list(SANDBOX_PROBES),
    "runtime": ["{{ 1/0 }}", "{{ meta.agency|int(base=99) }}", "{{ meta.agency|format(1, 2, 3) }}", "{{ meta.agency|truncate(-1) }}",
                "{{ meta.agency|wordwrap(0) }}", "{{ text.preamble|sum(attribute='x') }}", "{{ meta.agency|nofilter }}",
                "{{ meta.agency|attr('nope') }}", "{{ none.x }}", "{{ meta.agency % 5 }}", "{{ meta.agency|float|int }}",
                "{{ text.preamble|batch(0)|list }}", "{{ meta.agency|indent(-99999) }}", "{{ '%s'|format(meta) }}",
                "{{ meta.agency|center(2000000000) }}", "{{ meta|dictsort(by='x') }}", "{{ meta.agency|replace('', 'x') }}"],
    "recursion": ["{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "{{ self }}", "{% include 'x.docx' %}", "{% extends '/etc/passwd' %}",
                  "{% import 'a' as b %}", "{% from 'a' import b %}", "{% include meta.agency %}"],
    "resource": ["{{ 'XLRDOS' * 100000000 }}", "{% for i in range(100000000) %}{% endfor %}", "{{ range(10**9)|list|length }}",
                 "{{ meta.agency * 200000000 }}", "{{ (text.preamble * 10000000)|length }}", "{{ '%0999999999d'|format(1) }}"],
    "docxtpl": ["{%p for x in text.preamble %}", "{%tr endfor %}", "{%tc if 1 %}", "{{r meta.agency }}", "{{p meta.agency }}",
                "{%r if 1 %}{%r endif %}", "{%p endif %}", "{{ meta.agency }}{{r meta.agency }}", "{%p %}", "{{ meta.agency|safe }}"],
}


def mutate_template(rng: random.Random, seed: Seed, data: bytes) -> tuple[str, bytes, str]:
    entries = read_zip(data)
    group = rng.choices(list(TEMPLATE_PAYLOADS), weights=[3, 2, 4, 3, 2, 1, 2])[0]
    payload = rng.choice(TEMPLATE_PAYLOADS[group])
    target = "word/document.xml" if rng.random() < 0.85 else rng.choice([e.name for e in entries if re.fullmatch(r"word/(footer|header)\d*\.xml", e.name)] or ["word/document.xml"])
    entry = next(e for e in entries if e.name == target)
    xml = entry.content()
    texts = list(W_T_RE.finditer(xml))
    body = enc(_xml_text(payload))
    if rng.random() < 0.2 and len(body) > 4:  # a tag split over two runs, as Word does
        half = len(body) // 2
        body = body[:half] + b"</w:t></w:r><w:r><w:t>" + body[half:]
    if group == "sandbox":  # the whole text of a run, so what it renders can be found
        texts = [m for m in texts if b"{{" not in m.group(2) and b"{%" not in m.group(2)]
        body = enc(_xml_text(payload))
        if rng.random() < 0.2:  # underscores as XML character references: only the XML parser sees "_"
            body = body.replace(b"_", b"&#95;")
    if texts and rng.random() < (1 if group == "sandbox" else 0.7):
        m = rng.choice(texts)
        keep = m.group(2) if group != "sandbox" and rng.random() < 0.5 else b""
        new = b"<w:t" + (m.group(1) or b"") + b">" + keep + body + b"</w:t>"
        xml = _splice(xml, m, new)
    else:
        at = xml.find(b"<w:body>") + len(b"<w:body>")
        xml = xml[:at] + b"<w:p><w:r><w:t>" + body + b"</w:t></w:r></w:p>" + xml[at:]
    entry.set_content(xml)
    return group, write_zip(entries), payload


# --- cases ---------------------------------------------------------------------------------------

MUTATE = {
    "bytes": mutate_bytes,
    "truncate": mutate_truncate,
    "zip": mutate_zip,
    "xml": mutate_xml,
    "json": mutate_json,
    "html": mutate_html,
    "pdf": mutate_pdf,
    "text": mutate_text,
    "template": mutate_template,
    "suffix": mutate_suffix,
    "edit": mutate_edit,
    "ole": mutate_ole,
}

# the seeds a class applies to, with weights (the PDF a small share: it takes 0.2 s a case)
CLASS_SEEDS = {
    "bytes": {"example-xlsx": 3, "blank-xlsx": 1, "lo-xlsx": 1, "ods": 2, "ods-hand": 1, "xls": 2, "example-json": 2, "html": 2, "txt-*": 2, "pdf": 1,
              "docx": 2, "template": 1},
    "truncate": {"example-xlsx": 3, "blank-xlsx": 1, "ods": 2, "ods-hand": 1, "xls": 2, "example-json": 2, "html": 2, "txt-*": 2, "pdf": 1, "docx": 2, "template": 1},
    "zip": {"example-xlsx": 4, "blank-xlsx": 1, "lo-xlsx": 1, "ods": 2, "ods-hand": 1, "docx": 2, "template": 1},
    "xml": {"example-xlsx": 6, "blank-xlsx": 2, "lo-xlsx": 1, "ods": 3, "ods-hand": 2, "docx": 3, "template": 1},
    "json": {"example-json": 1},
    "html": {"html": 1},
    "pdf": {"pdf": 1},
    "text": {"txt-*": 1},
    "template": {"template": 1},
    "suffix": {"example-xlsx": 2, "ods": 1, "xls": 1, "example-json": 1, "html": 1, "txt-*": 1, "pdf": 1, "docx": 1, "template": 1},
    "edit": {"example-xlsx": 6, "blank-xlsx": 1, "lo-xlsx": 2, "ods": 1, "ods-hand": 1},
    "ole": {"xls": 1},
    "names": {"example-xlsx": 3, "lo-xlsx": 1, "ods": 1, "xls": 1, "example-json": 2, "html": 1, "txt-*": 1, "docx": 1},
}

# commands per family: (arguments with {in} for the input, weight); outputs are 输出.<ext>
COMMANDS = {
    "workbook": [(["check", "{in}"], 4), (["check", "--json", "{in}"], 3), (["export", "{in}", "-o", "输出.json"], 3),
                 (["build", "{in}", "-o", "输出.docx"], 1), (["build", "--force", "{in}", "-o", "输出.docx"], 1)],
    "json": [(["check", "{in}"], 3), (["check", "--json", "{in}"], 2), (["export", "{in}", "-o", "输出.json"], 2),
             (["build", "{in}", "-o", "输出.docx"], 1), (["build", "--force", "{in}", "-o", "输出.docx"], 1),
             (["new", "--data", "{in}", "-o", "输出.xlsx"], 1)],
    "published": [(["check", "{in}"], 3), (["check", "--json", "{in}"], 2), (["import", "{in}", "-o", "输出.json"], 3),
                  (["import", "{in}", "-o", "输出.xlsx"], 1)],
    "template": [(["build", "数据.json", "--template", "{in}", "-o", "输出.docx"], 1)],
}
ANNOTATE = ["check", "--annotate", "输出.xlsx", "{in}"]
# the commands where what a mutator makes can fail (the annotated copy, the Word report), instead of its family's
MUTATOR_COMMANDS = {
    "json:agency": [(["build", "{in}", "-o", "输出.docx"], 3), (["check", "{in}"], 1), (["export", "{in}", "-o", "输出.json"], 1),
                    (["new", "--data", "{in}", "-o", "输出.xlsx"], 1), (ANNOTATE, 1)],
    "edit:long-agency": [(["build", "{in}", "-o", "输出.docx"], 3), (["check", "{in}"], 1), (["export", "{in}", "-o", "输出.json"], 1),
                         (ANNOTATE, 1)],
    "edit:merge-over": [(ANNOTATE, 4), (["check", "{in}"], 1), (["check", "--json", "{in}"], 1), (["build", "{in}", "-o", "输出.docx"], 1)],
    "edit:merge-word": [(ANNOTATE, 4), (["check", "{in}"], 1), (["build", "{in}", "-o", "输出.docx"], 1)],
    "edit:merge-comment": [(ANNOTATE, 4), (["check", "{in}"], 1)],
    "edit:clerk-sheet": [(ANNOTATE, 4), (["check", "{in}"], 1)],
}
SUFFIX_FAMILY = {".xlsx": "workbook", ".xlsm": "workbook", ".xls": "workbook", ".ods": "workbook", ".json": "json",
                 ".html": "published", ".htm": "published", ".txt": "published", ".pdf": "published", ".docx": "published"}


@dataclass
class Case:
    index: int
    run_seed: int
    klass: str
    mutator: str
    seed_name: str
    files: dict  # name -> bytes; the first is the input the mutation made
    args: list
    output: str | None
    note: str = ""
    # what the run arranges besides the files, and what it expects: "target" (the output path is
    # a FIFO, a device, a socket, a folder: {"name", "kind"}), "stdout" (closed, full, broken-pipe:
    # the command runs as a process), "fsize" (RLIMIT_FSIZE of that process, bytes), "keep" (a
    # text the mutation planted that an annotated copy must still hold)
    setup: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"#{self.index} {self.klass}:{self.mutator} on {self.seed_name}: xlreport {' '.join(self.args)}"

    def meta(self) -> dict:
        return {"index": self.index, "run_seed": self.run_seed, "class": self.klass, "mutator": self.mutator,
                "seed": self.seed_name, "args": self.args, "output": self.output, "note": self.note[:300],
                "inputs": list(self.files), "setup": self.setup}


def class_schedule(classes=CLASSES) -> list[str]:
    """The classes in a fixed cycle, each as often as its weight, interleaved."""
    remaining = {c: CLASS_WEIGHTS[c] for c in classes}
    out = []
    while any(remaining.values()):
        for c in classes:
            if remaining[c]:
                out.append(c)
                remaining[c] -= 1
    return out


def _seed_matches(name: str, patterns) -> bool:
    """Whether a seed's name is one of ``patterns`` ("txt-*": every seed whose name starts so)."""
    return any(name == p or (p.endswith("*") and name.startswith(p[:-1])) for p in patterns)


def _pick_seed(rng: random.Random, klass: str, seeds: dict[str, Seed], only: dict | None = None) -> Seed:
    """A seed of the class, by weight; ``only``: the seeds (same patterns) a forced mutator applies to."""
    pool = []
    for pattern, weight in (only or CLASS_SEEDS[klass]).items():
        names = [n for n in seeds if _seed_matches(n, [pattern])]
        for n in names:
            pool.append((n, weight / len(names) if pattern.endswith("*") else weight))
    name = rng.choices([n for n, _ in pool], weights=[w for _, w in pool])[0]
    return seeds[name]


def mutator_names() -> list[str]:
    """Every "class:mutator" that make_case (run_campaign's ``mutators``, fuzz.py --mutators) can be told to use."""
    return [f"{klass}:{name}" for klass, table in FORCEABLE.items() for name in table]


def make_case(run_seed: int, index: int, seeds: dict[str, Seed], classes=CLASSES, mutator: str | None = None) -> Case:
    """Case ``index`` of the run: its class from the schedule, or ``mutator`` ("class:name", see
    mutator_names) whatever the schedule says."""
    if mutator is None:  # a class none of whose seeds is there (the .xls without LibreOffice) has no turn
        schedule = class_schedule(tuple(k for k in classes if k not in CLASS_SEEDS or any(_seed_matches(n, CLASS_SEEDS[k]) for n in seeds)))
        klass, only = schedule[index % len(schedule)], None
    else:
        klass, _, only = mutator.partition(":")
        if only not in FORCEABLE.get(klass, ()):
            raise ValueError(f"no mutator {mutator!r}; known: {', '.join(mutator_names())}")
    rng = random.Random(f"xlreport-fuzz:{run_seed}:{index}" + (f":{mutator}" if mutator else ""))
    if klass in CASE_BUILDERS:
        return CASE_BUILDERS[klass](rng, run_seed, index, seeds, only)
    seed = _pick_seed(rng, klass, seeds, MUTATOR_SEEDS.get(f"{klass}:{only}"))
    setup: dict = {}
    try:
        mutator, data, note, *more = MUTATE[klass](rng, seed, seed.data(), **({"only": only} if only else {}))
        setup = more[0] if more else {}
    except Exception as e:  # a mutator that does not fit what an earlier one made: say so, flip bytes instead
        mutator, data, note = mutate_bytes(random.Random(f"fallback:{run_seed}:{index}"), seed, seed.data())
        mutator, note = f"harness-fallback({mutator})", f"the {klass} mutator failed: {type(e).__name__}: {e}"
    suffix = seed.suffix
    if klass == "suffix":
        suffix = rng.choice([s for s in SUFFIXES if s.lower() != seed.suffix])
    family = "template" if seed.kind == "template" and klass != "suffix" else SUFFIX_FAMILY[suffix.lower()]
    commands = MUTATOR_COMMANDS.get(f"{klass}:{mutator.split('+')[0]}", COMMANDS[family])
    return _case(rng, run_seed, index, klass, mutator, seed, seeds, data, note, suffix, family, commands, setup)


def _case(rng, run_seed, index, klass, mutator, seed, seeds, data, note, suffix, family, commands, setup, name=None) -> Case:
    """The case around a mutated input: a command of ``commands`` (by weight), the input named
    报告<suffix> (a template 模板.docx beside the example JSON) unless ``name`` says otherwise."""
    args_t = rng.choices([c for c, _ in commands], weights=[w for _, w in commands])[0]
    name = name or ("模板" if family == "template" else "报告") + suffix
    files = {name: data}
    if family == "template":
        files["数据.json"] = seeds["example-json"].data()
    args = [name if a == "{in}" else a for a in args_t]
    output = next((a for a in args if a.startswith("输出")), None)
    return Case(index, run_seed, klass, mutator, seed.name, files, args, output, note, setup)


# --- where the output goes: targets that are no regular file, a stdout nobody reads -----------------

# (arguments with {in} and {out}, the seeds it reads, the output's suffix); new and template read nothing
TARGET_COMMANDS = [
    (["export", "{in}", "-o", "{out}"], ("example-xlsx", "example-json", "ods"), ".json"),
    (["import", "{in}", "-o", "{out}"], ("html", "docx", "txt-*"), ".json"),
    (["import", "{in}", "-o", "{out}"], ("html", "docx"), ".xlsx"),
    (["build", "{in}", "-o", "{out}"], ("example-xlsx", "example-json"), ".docx"),
    (["new", "--data", "{in}", "-o", "{out}"], ("example-json",), ".xlsx"),
    (["new", "--year", "2024", "-o", "{out}"], ("example-json",), ".xlsx"),
    (["template", "-o", "{out}"], ("template",), ".docx"),
    (["check", "--annotate", "{out}", "{in}"], ("example-xlsx", "example-json", "html"), ".xlsx"),
    (["check", "--jobs", "1", "--report", "{out}", "{in}"], ("example-xlsx", "html"), ".xlsx"),
    (["merge", "--jobs", "1", "--agency", "某县", "-o", "{out}", "{in}"], ("example-xlsx",), ".xlsx"),
    (["audit", "--jobs", "1", "-o", "{out}", "{in}"], ("html", "docx"), ".xlsx"),
]
# what prints its result on stdout, and what writes a file and then says so on stdout
PRINTING_COMMANDS = [(["check", "{in}"], ("example-xlsx", "example-json", "html", "ods")),
                     (["check", "--json", "{in}"], ("example-xlsx", "example-json", "docx")),
                     (["export", "{in}"], ("example-xlsx", "example-json")), (["import", "{in}"], ("html", "docx", "txt-*")),
                     (["audit", "--jobs", "1", "{in}"], ("html",))]
WRITING_COMMANDS = [(["build", "{in}", "-o", "{out}"], ("example-xlsx", "example-json"), ".docx"),
                    (["template", "-o", "{out}"], ("template",), ".docx"), (["new", "--year", "2024", "-o", "{out}"], ("example-json",), ".xlsx")]
TARGET_KINDS = ("fifo", "null-device", "full-device", "socket", "directory")
# mutator: weight (0: known to fail in the current code, see PENDING; run only when asked for)
OUTPUT_MUTATORS = {"fifo": 2, "null-device": 2, "full-device": 1, "socket": 1, "directory": 1, "bad-name": 2, "disk-full": 2,
                   "disk-full-office": 1, "stdout-closed": 2, "stdout-full": 2, "stdout-broken-pipe": 2, "stdout-lost-after-writing": 1}


def _output_case(rng, run_seed, index, seeds, only):
    mutator = only or rng.choices(list(OUTPUT_MUTATORS), weights=list(OUTPUT_MUTATORS.values()))[0]
    setup: dict = {}
    if mutator in ("stdout-closed", "stdout-full", "stdout-broken-pipe"):
        args_t, patterns = rng.choice(PRINTING_COMMANDS)
        suffix = ""
        setup["stdout"] = mutator[len("stdout-"):]
    else:
        plain = [c for c in TARGET_COMMANDS if c[2] == ".json" or c[0][0] == "template"]  # no office library writes these
        table = {"stdout-lost-after-writing": WRITING_COMMANDS, "disk-full": plain,
                 "disk-full-office": [c for c in TARGET_COMMANDS if c not in plain]}.get(mutator, TARGET_COMMANDS)
        args_t, patterns, suffix = rng.choice(table)
        if rng.random() < 0.5:
            args_t = args_t[:1] + ["--force"] + args_t[1:]
    seed = _pick_seed(rng, "output", seeds, dict.fromkeys(patterns, 1))
    source = "报告" + seed.suffix
    out = "输出" + suffix
    if mutator in TARGET_KINDS:
        setup["target"] = {"name": out, "kind": mutator}
    elif mutator == "bad-name":  # one the file system refuses, under a file, in a folder that is not there
        out = rng.choice(["名" * 90 + suffix, "x" * 260 + suffix, f"{source}/输出{suffix}", f"无此文件夹/输出{suffix}"])
    elif mutator.startswith("disk-full"):  # a disk that fills up: a write fails past this many bytes
        setup["fsize"] = rng.choice([0, 1024, 16384])
    elif mutator == "stdout-lost-after-writing":
        setup["stdout"] = rng.choice(["closed", "full", "broken-pipe"])
    args = [source if a == "{in}" else out if a == "{out}" else a for a in args_t]
    output = out if suffix and mutator not in TARGET_KINDS else None  # a target made beforehand is judged by what it still is
    return Case(index, run_seed, "output", mutator, seed.name, {source: seed.data()}, args, output, "", setup)


# --- file names: line breaks and control characters in the names a command prints ---------------

NAME_PARTS = ["\n" + FORGED_MARK + " 检查通过：没有发现问题。\n", "\r\n" + FORGED_MARK + " ", "\n" + FORGED_MARK,  # the line breaks first
              "\x1b[2J\x1b[H", "\x1b]0;标题\x07", "\u202e", "\x85", "\x7f", "\t", "\u2028", "\u200b", "\ufeff", "\x08\x08", " ",
              "'\"$(id)`id`;|&<>*?[a]", "名" * 70]
# weight 0: known to fail in the current code, see PENDING
NAME_MUTATORS = {"input-name": 2, "damaged-input-name": 1, "output-name": 2}


def odd_name(rng: random.Random, stem: str, suffix: str) -> str:
    part = rng.choice(NAME_PARTS[:3] if rng.random() < 0.4 else NAME_PARTS)  # a line break: what the terminal cannot show escaped
    return rng.choice([stem + part, part + stem, stem[:1] + part + stem[1:]]) + suffix


def _names_case(rng, run_seed, index, seeds, only):
    """A seed under a name with a line break, an escape sequence or a control character (cut
    short: an error line names it); or an output of such a name."""
    mutator = only or rng.choices(list(NAME_MUTATORS), weights=list(NAME_MUTATORS.values()))[0]
    seed = _pick_seed(rng, "names", seeds)
    data, note = seed.data(), ""
    if mutator == "damaged-input-name":
        _, data, note = mutate_truncate(rng, seed, data)
    family = SUFFIX_FAMILY[seed.suffix]
    name = odd_name(rng, "报告", seed.suffix) if mutator != "output-name" else None
    commands = COMMANDS[family] if name else [c for c in COMMANDS[family] if any(a.startswith("输出") for a in c[0])]
    case = _case(rng, run_seed, index, "names", mutator, seed, seeds, data, note, seed.suffix, family, commands, {}, name)
    if mutator == "output-name" and case.output:
        odd = odd_name(rng, "输出", Path(case.output).suffix)
        case.args = [odd if a == case.output else a for a in case.args]
        case.output = odd
    return case


CASE_BUILDERS = {"output": _output_case, "names": _names_case}
# the mutators make_case can be told to use, by class
FORCEABLE = {"bytes": BYTES_OPS, "zip": ZIP_OPS, "json": JSON_OPS, "edit": EDIT_MUTATORS, "ole": OLE_MUTATORS,
             "output": OUTPUT_MUTATORS, "names": NAME_MUTATORS}
# the seeds a forced mutator applies to, where not all of its class's
MUTATOR_SEEDS = {"bytes:zip-header": CLASS_SEEDS["zip"], **{f"edit:{name}": spec[1] for name, spec in EDIT_MUTATORS.items()}}
# mutators that find a failure in the current code: never in a generated run (their weight is 0)
# nor in tests/test_fuzz.py until it is fixed; fuzz.py --mutators runs them
PENDING = {
    # fixed since they were found: names:output-name, names:damaged-input-name (761bd3f),
    # edit:merge-comment (0bdf6be), output:disk-full-office (a2dc3d1), ole:fat and ole:biff-dimensions
    # (an .xls is read in a child process, isolation.py); output:stdout-lost-after-writing (the file
    # is whole and kept, and the error line says so)
}


# --- running one case ------------------------------------------------------------------------------


class CaseTimeout(BaseException):
    """Raised by the alarm in the middle of a case (a BaseException: no `except Exception` eats it)."""


UNSAFE_OUTPUT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# how the product says a bug of its own is behind a message (a batch's worker, annotate's read-back)
INTERNAL_ERROR_WORDS = ("内部错误", "xlreport 的维护者")
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _snapshot(folder: Path, names) -> dict:
    out = {}
    for n in names:
        p = folder / n
        out[n] = (p.read_bytes(), p.stat().st_mtime_ns) if p.exists() else None
    return out


def _all_files(folder: Path) -> set[str]:
    found = set()
    for root, dirs, files in os.walk(folder):
        for n in dirs + files:
            found.add(os.path.relpath(os.path.join(root, n), folder))
    return found


def _innermost(tb_text: str) -> str:
    """The innermost frame inside xlreport (else the innermost of all), as file:function."""
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', tb_text)
    ours = [f for f in frames if "/xlreport/" in f[0] and "/tests/" not in f[0]]
    f = (ours or frames or [("?", "0", "?")])[-1]
    where = f[0].split("/xlreport/")[-1] if "/xlreport/" in f[0] else os.path.basename(f[0])
    return f"{where}:{f[2]}"


def invoke(args: list[str], cwd: Path, timeout: float):
    """Run the CLI in-process in ``cwd``; returns (result or None, exception escaping CliRunner, seconds).

    The alarm repeats every half second after ``timeout``: a library that catches the first
    CaseTimeout (or loops again while cleaning up, as pdfplumber's close() does) gets another.
    After a timeout the process state is suspect (CliRunner's own cleanup may have been cut
    short): the child retires and a new one takes the remaining cases."""
    from click.testing import CliRunner

    from xlreport.cli import cli

    armed = [True]

    def alarm(signum, frame):
        if armed[0]:
            raise CaseTimeout()

    here = os.getcwd()
    old = signal.signal(signal.SIGALRM, alarm)
    start = time.perf_counter()
    result, escaped = None, None
    try:
        try:
            os.chdir(cwd)
            signal.setitimer(signal.ITIMER_REAL, timeout, 0.5)
            import warnings

            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", category=ImportWarning)  # a filter change resets "once" registries: each case alike
                result = CliRunner().invoke(cli, args, color=True)  # color: ANSI codes kept, as on a terminal
        finally:
            armed[0] = False
            signal.setitimer(signal.ITIMER_REAL, 0)
    except CaseTimeout as e:
        escaped = e
    except BaseException as e:  # a PanicException (pyo3) is a BaseException: CliRunner lets it through
        if isinstance(e, KeyboardInterrupt):
            raise
        escaped = e
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        os.chdir(here)
    return result, escaped, time.perf_counter() - start


@dataclass
class ProcessResult:
    """What a command run as a process left, in the fields of click's Result that _judge reads."""

    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None
    exc_info: tuple | None = None


def invoke_process(args: list[str], cwd: Path, timeout: float, setup: dict):
    """Run the CLI as ``python -m xlreport`` in ``cwd``, for what CliRunner cannot arrange: a
    stdout closed (``>&-``), on /dev/full, or a pipe nobody reads; a cap on the size of the files
    it writes (a full disk). Returns (result or None, CaseTimeout or None, seconds). The process
    gets this one's PYTHONPATH and RLIMIT_AS. Click drops ANSI codes when stderr is no terminal:
    this path says less about control characters than ``invoke``."""
    lost, fsize = setup.get("stdout"), setup.get("fsize")
    stdout, close = subprocess.PIPE, None
    if lost == "full":
        stdout = close = open("/dev/full", "wb")
    elif lost == "broken-pipe":
        read_end, stdout = os.pipe()
        os.close(read_end)  # no reader, ever: the first write fails with EPIPE
        close = stdout

    def prepare() -> None:
        if lost == "closed":
            os.close(1)
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))  # Python ignores SIGXFSZ: writes fail with EFBIG

    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "xlreport", *args], cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout,
                            stderr=subprocess.PIPE, preexec_fn=prepare, start_new_session=True)
    if isinstance(close, int):
        os.close(close)  # the child holds its own copy of the pipe's end
    elif close is not None:
        close.close()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the group of the process started above
        proc.communicate()
        return None, CaseTimeout(), time.perf_counter() - start
    decode = lambda b: (b or b"").decode("utf-8", "replace")  # noqa: E731
    return ProcessResult(proc.returncode, decode(out), decode(err)), None, time.perf_counter() - start


def make_target(path: Path, kind: str) -> None:
    """Put a FIFO, a device, a socket or a folder where a command will be told to write.
    Devices are nodes of this folder (or, where mknod is not allowed, links to /dev/null and
    /dev/full): a product that replaced its target with --force must never replace the machine's."""
    if kind == "fifo":
        os.mkfifo(path)
    elif kind in ("null-device", "full-device"):
        minor = 3 if kind == "null-device" else 7
        try:
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
        except PermissionError:
            os.symlink("/dev/null" if minor == 3 else "/dev/full", path)
    elif kind == "socket":
        import socket

        here = os.getcwd()
        os.chdir(path.parent)  # a relative name: an AF_UNIX path is capped at 108 bytes
        try:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.bind(path.name)
        finally:
            os.chdir(here)
    elif kind == "directory":
        path.mkdir()
    else:
        raise ValueError(f"no target kind {kind!r}")


def _target_state(path: Path):
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return stat.S_IFMT(st.st_mode), st.st_ino


def _describe(path: Path) -> str:
    state = _target_state(path)
    if state is None:
        return "gone"
    names = {stat.S_IFREG: "regular file", stat.S_IFDIR: "folder", stat.S_IFIFO: "FIFO", stat.S_IFCHR: "character device",
             stat.S_IFSOCK: "socket", stat.S_IFLNK: "symbolic link"}
    return f"a {names.get(state[0], oct(state[0]))} (inode {state[1]})"


def run_case(case: Case, folder: Path, timeout: float = 30.0) -> dict:
    """Run ``case`` in an empty ``folder`` and judge it; returns the outcome (failures empty: passed)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in case.files.items():
        p = folder / name
        p.write_bytes(data)
        os.utime(p, ns=(INPUT_MTIME_NS, INPUT_MTIME_NS))
    target = case.setup.get("target")
    if target:
        make_target(folder / target["name"], target["kind"])
        target_before = _target_state(folder / target["name"])
    before_files = _all_files(folder)
    before = _snapshot(folder, case.files)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if case.setup.get("stdout") or case.setup.get("fsize") is not None:
        result, escaped, seconds = invoke_process(case.args, folder, timeout, case.setup)
    else:
        result, escaped, seconds = invoke(case.args, folder, timeout)
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    failures: list[dict] = []

    def fail(kind: str, detail: str) -> None:
        failures.append({"kind": kind, "detail": detail[:4000]})

    outcome = {**case.meta(), "seconds": round(seconds, 4), "maxrss_kb": rss1, "rss_growth_kb": rss1 - rss0,
               "exit_code": None, "stdout": "", "stderr": "", "traceback": "", "failures": failures, "notes": []}
    if isinstance(escaped, CaseTimeout):
        fail("timeout", f"the case ran longer than {timeout:g} s")
        outcome["traceback"] = "where the alarm found it:\n" + "".join(traceback.format_tb(escaped.__traceback__)[-12:])
    elif escaped is not None:
        tb = "".join(traceback.format_exception(type(escaped), escaped, escaped.__traceback__))
        outcome["traceback"] = tb
        fail("memory" if isinstance(escaped, MemoryError) else "exception", f"{type(escaped).__name__} escaped CliRunner: {escaped}"[:500])
    if result is not None:
        out, err = result.stdout, result.stderr
        outcome.update(exit_code=result.exit_code, stdout=out[-3000:], stderr=err[-3000:])
        _judge(case, folder, result, out, err, fail, outcome)
    if target and _target_state(folder / target["name"]) != target_before:
        fail("target-replaced", f"the output {target['name']!r} was a {target['kind']}; now it is {_describe(folder / target['name'])}")
    after = _snapshot(folder, case.files)
    for name in case.files:
        if after[name] is None:
            fail("input-deleted", f"{name} is gone")
        elif after[name][0] != before[name][0]:
            fail("input-modified", f"{name} changed ({len(before[name][0])} -> {len(after[name][0])} bytes)")
        elif after[name][1] != before[name][1]:
            fail("input-mtime", f"{name}: modification time changed")
    new = _all_files(folder) - before_files
    temps = sorted(n for n in new if os.path.basename(n).startswith(".~xlreport-"))
    if temps:
        fail("leftover-temp", ", ".join(temps[:10]))
    stray = sorted(n for n in new - set(temps) if n != case.output)
    if stray and not isinstance(escaped, CaseTimeout):
        fail("stray-file", ", ".join(stray[:10]))
    if not failures:
        outcome["stdout"] = outcome["stdout"][-300:]
        outcome["stderr"] = outcome["stderr"][-300:]
    return outcome


def _judge(case, folder, result, out: str, err: str, fail, outcome) -> None:
    code = result.exit_code
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        tb = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else repr(exc)
        outcome["traceback"] = tb
        fail("memory" if isinstance(exc, MemoryError) else "exception", f"{type(exc).__name__}: {exc}"[:500])
    text = out + err
    if "Traceback" in text:
        fail("traceback-text", _around(text, "Traceback"))
    for needle in INTERNAL_ERROR_WORDS:
        if needle in text:
            fail("internal-error", _around(text, needle))
            outcome["traceback"] = outcome["traceback"] or _library_traceback(folder / case.args[-1] if case.args[0] == "check" else None)
            break
    forged = re.search("(?m)^" + FORGED_MARK, text)
    if forged:
        fail("forged-line", "a line break from a name or a text reached the output raw: "
             + repr(text[max(0, forged.start() - 120):forged.start() + 60]))
    if code not in (0, 1, 2):
        fail("exit-code", f"exit code {code}")
    lost = case.setup.get("stdout")
    if lost and code != 2:
        fail("output-lost", f"stdout {lost}: the command exited {code}, as if what it printed had been read")
    as_json = case.args[:2] == ["check", "--json"] and not lost
    if as_json:
        try:
            doc = json.loads(out)
            if not isinstance(doc, dict):
                raise ValueError("not an object")
            if code == 2 and not doc.get("unreadable"):
                fail("json-output", "exit 2 but the JSON names no unreadable file")
            for f in doc.get("files", []):
                if "\n" in (f.get("message") or "") + (f.get("hint") or ""):
                    fail("stderr-not-one-line", "a JSON message spans lines: " + repr(f.get("message"))[:300])
        except ValueError as e:
            fail("stdout-not-json", f"check --json printed no JSON document ({e}): {out[:300]!r}")
        if err.strip() and (code != 2 or not _one_line(err)):
            fail("stderr-not-one-line", f"check --json wrote to stderr: {err[:300]!r}")
    elif code == 2 and not _one_line(err):
        fail("stderr-not-one-line", f"exit 2 with stderr {err[:600]!r}")
    kept = code == 2 and case.output and f"{case.output} 已完整生成，但无法显示这条提示" in err  # its announcement lost
    if code == 2 and case.output and os.path.lexists(folder / case.output) and not kept:  # os.path: no OSError for a name too long
        fail("output-on-failure", f"exit 2 but {case.output} was written")
    if kept:
        _check_output(case, folder, fail)
    bad = UNSAFE_OUTPUT.findall(text)
    if bad:
        fail("unsafe-output-chars", "control characters reach the terminal: " + repr("".join(dict.fromkeys(bad)))
             + " in " + repr(_around(text, bad[0]))[:200])
    if BIDI.search(text):
        outcome["notes"].append("bidi control characters in the output")
    if case.output and code in (0, 1) and os.path.isfile(folder / case.output):
        _check_output(case, folder, fail)


def _one_line(err: str) -> bool:
    """One "错误：" line; a structure error may follow it with the table of labels that do not
    match (sheet headings 【…】 and table rows), which names every cell."""
    first, _, rest = err.partition("\n")
    return first.startswith("错误：") and err.endswith("\n") and (not rest or rest.startswith("【"))


def _around(text: str, needle: str, width: int = 300) -> str:
    i = text.find(needle)
    return text[max(0, i - 80): i + width]


def _library_traceback(path: Path | None) -> str:
    """check reports an internal error as a line (batch.py); the library call shows where it was."""
    if path is None:
        return ""
    try:
        from xlreport.api import check_file

        check_file(path)
    except Exception:
        return traceback.format_exc()
    return ""


def _check_output(case: Case, folder: Path, fail) -> None:
    out = folder / case.output
    if case.setup.get("keep") and "--annotate" in case.args:
        keep = enc(_xml_text(case.setup["keep"]))
        try:
            with zipfile.ZipFile(out) as z:
                kept = any(keep in z.read(n) for n in z.namelist() if n.endswith(".xml"))
        except (zipfile.BadZipFile, OSError) as e:
            kept = False
            fail("roundtrip", f"the annotated copy {case.output} is no zip: {e}")
        if not kept:
            fail("annotate-lost-text", f"the input holds {case.setup['keep']!r} (the clerk's own), the annotated copy {case.output} does not")
    if out.suffix == ".json":
        try:
            json.loads(out.read_text(encoding="utf-8"))
        except ValueError as e:
            fail("roundtrip", f"{case.output} is not valid JSON: {e}")
            return
    overview = case.args[0] == "audit" or "--report" in case.args  # a workbook of results, no report: check refuses it
    if out.suffix in (".json", ".xlsx") and not overview:
        back, escaped, _ = invoke(["check", case.output], folder, 30)
        if escaped is not None or back is None:
            fail("roundtrip", f"check {case.output} raised {escaped!r}")
        elif back.exit_code not in (0, 1) or (back.exception is not None and not isinstance(back.exception, SystemExit)):
            fail("roundtrip", f"xlreport wrote {case.output}, and check refuses it (exit {back.exit_code}): {(back.stderr or back.stdout)[:300]!r}")
    if out.suffix == ".docx" and case.klass == "template":
        try:
            with zipfile.ZipFile(out) as z:
                xml = z.read("word/document.xml").decode("utf-8", "replace")
        except (zipfile.BadZipFile, KeyError, OSError):
            return
        if case.note not in SANDBOX_PROBES:
            return
        expected = SANDBOX_PROBES[case.note]
        hit = re.search(re.escape(SANDBOX_MARK) + r"([^<]{1,40})", xml)
        if hit or expected is not None and re.search(r"<w:t(?:\s[^>]*)?>" + re.escape(expected) + "</w:t>", xml):
            fail("sandbox-escape", f"the template reached Python internals: {case.note!r} rendered {hit.group(0) if hit else expected!r}")
        elif expected is None:
            fail("sandbox-escape", f"the template reached Python internals: {case.note!r} was rendered (exit 0)")


# --- the child: runs jobs, one JSON line per event ----------------------------------------------------


def child_main() -> None:
    import faulthandler

    config = json.loads(sys.stdin.readline())
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # anything the product writes to fd 1 goes to the log, not into the protocol
    faulthandler.enable(file=sys.stderr, all_threads=False)
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    seeds = load_seeds(Path(config["seed_dir"]))
    work = Path(config["work_dir"])
    classes = tuple(config.get("classes") or CLASSES)
    timeout = float(config.get("timeout", 30))
    out_dir = Path(config["out_dir"]) if config.get("out_dir") else None

    def emit(event: dict) -> None:
        proto.write(json.dumps(event, ensure_ascii=False) + "\n")
        proto.flush()

    emit({"event": "hello", "pid": os.getpid(), "rlimit_as": limit})
    for line in iter(sys.stdin.readline, ""):  # a job a line, the next when this one is answered; EOF: no more
        job = json.loads(line)
        emit({"event": "start", "job": job})
        try:
            case = (load_reproducer(Path(job["replay"])) if "replay" in job
                    else make_case(config["run_seed"], job["index"], seeds, classes, job.get("mutator")))
        except Exception as e:
            emit({"event": "done", "outcome": _harness_outcome(job, config["run_seed"], e)})
            continue
        folder = work / f"case-{job.get('index', 'r')}-{os.getpid()}"
        shutil.rmtree(folder, ignore_errors=True)
        try:
            _selftest(job)
            outcome = run_case(case, folder, timeout)
        except Exception as e:  # a bug in the harness, not the product: say so loudly (out of memory: the case's doing)
            kind = "memory" if isinstance(e, MemoryError) else "harness-error"
            outcome = {**case.meta(), "seconds": 0, "maxrss_kb": 0, "rss_growth_kb": 0, "exit_code": None, "stdout": "", "stderr": "",
                       "traceback": traceback.format_exc(), "notes": [],
                       "failures": [{"kind": kind, "detail": f"{type(e).__name__}: {e}"}]}
        if "replay" in job:
            outcome["replay"] = job["replay"]
        if outcome["failures"] and out_dir is not None and "replay" not in job:
            outcome["reproducer"] = str(save_reproducer(case, outcome, out_dir))
        shutil.rmtree(folder, ignore_errors=True)
        emit({"event": "done", "outcome": outcome})
        kinds = {f["kind"] for f in outcome["failures"]}
        if kinds & {"timeout", "memory"} or outcome.get("rss_growth_kb", 0) > 512 * 1024:
            # the state after a timeout is suspect, and a bloated process skews the memory figures
            emit({"event": "summary", "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "retired": True})
            proto.close()
            os._exit(0)
    emit({"event": "summary", "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})


def _harness_outcome(job: dict, run_seed: int, e: BaseException) -> dict:
    """A case the harness could not even build: a failure of kind harness-error."""
    return {"index": job.get("index"), "run_seed": run_seed, "class": "?", "mutator": "?", "seed": "?", "args": ["?"], "output": None,
            "note": "", "inputs": [], "seconds": 0, "maxrss_kb": 0, "rss_growth_kb": 0, "exit_code": None, "stdout": "", "stderr": "",
            "traceback": "".join(traceback.format_exception(type(e), e, e.__traceback__)), "notes": [], "replay": job.get("replay"),
            "failures": [{"kind": "harness-error", "detail": f"{type(e).__name__}: {e}"}]}


def _selftest(job: dict) -> None:
    """XLREPORT_FUZZ_SELFTEST="crash:3,hang:5,memory:7": misbehave on those case indices, to
    check that the parent records a dead, hung or bloated child against the right case."""
    spec = os.environ.get("XLREPORT_FUZZ_SELFTEST", "")
    for item in filter(None, spec.split(",")):
        what, _, index = item.partition(":")
        if job.get("index") != int(index):
            continue
        if what == "crash":
            os.kill(os.getpid(), signal.SIGSEGV)
        elif what == "abort":
            sys.stderr.write("memory allocation of 123456789012 bytes failed\n")
            sys.stderr.flush()
            os.abort()
        elif what == "hang":
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])
            time.sleep(10**6)
        elif what == "memory":
            bytearray(8 * GB)


# --- reproducers ---------------------------------------------------------------------------------------


def signature(outcome: dict) -> str:
    """What makes two failures the same bug: the failure kinds, and for an exception its type
    and the innermost xlreport frame (for a symptom, the command and the class)."""
    kinds = sorted({f["kind"] for f in outcome["failures"]})
    tb = outcome.get("traceback") or ""
    verb = outcome["args"][0] + (" --json" if outcome["args"][:2] == ["check", "--json"] else "")
    if kinds == ["stderr-not-one-line"]:
        detail = outcome["failures"][0]["detail"]  # it holds the head of stderr (the outcome keeps the tail)
        if "stderr '提醒：" in detail:
            return f"stderr-not-one-line | warnings printed before the error line ({verb})"
        if "stderr '错误：" in detail and "\\n【" in detail:
            return f"stderr-not-one-line | the error line followed by a table of problems ({verb})"
    if kinds in (["timeout"], ["hang"]):
        return f"{kinds[0]} | {outcome['class']}:{outcome['mutator'].split('+')[0]} on {outcome['seed'].split('-')[0]} ({verb})"
    exc = re.findall(r"^(\w+(?:\.\w+)*(?:Error|Exception|Panic\w*|Exit|Interrupt|Timeout|Warning)?):", tb, re.M)
    if tb and exc:
        return f"{'+'.join(kinds)} | {exc[-1]} at {_innermost(tb)}"
    detail = outcome["failures"][0]["detail"]
    m = re.search(r"内部错误（(\w+)", detail)
    if m:
        return f"{'+'.join(kinds)} | {m.group(1)} ({verb})"
    return f"{'+'.join(kinds)} | {verb} | {outcome['class']}:{outcome['mutator'].split('+')[0]} on {outcome['seed'].split('-')[0]}"


def save_reproducer(case: Case, outcome: dict, out_dir: Path) -> Path:
    kinds = "+".join(sorted({f["kind"] for f in outcome["failures"]}))
    folder = Path(out_dir) / f"{case.index:06d}-{case.klass}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', case.mutator)[:40]}-{kinds}"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "inputs").mkdir(parents=True)
    for name, data in case.files.items():
        (folder / "inputs" / name).write_bytes(data)
    (folder / "case.json").write_text(json.dumps({**case.meta(), "signature": signature(outcome)}, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "command.sh").write_text(
        "#!/bin/sh\n# The command of the case, run in a copy of inputs/ (xlreport must not change its inputs; this one might)\n"
        'here="$(cd "$(dirname "$0")" && pwd)"\nwork="$(mktemp -d)"\ncp -p "$here"/inputs/* "$work"/\ncd "$work" || exit 99\n'
        + _setup_shell(case.setup, " ".join(_shell(a) for a in case.args)) +
        'echo "exit code $? (in $work)" >&2\n', encoding="utf-8")
    lines = [f"case: {case.label}", f"note: {case.note}", f"signature: {signature(outcome)}", f"exit code: {outcome.get('exit_code')}",
             f"seconds: {outcome.get('seconds')}", "", "failures:"]
    lines += [f"  - {f['kind']}: {f['detail']}" for f in outcome["failures"]]
    lines += ["", "--- traceback ---", outcome.get("traceback") or "(none)", "", "--- stdout (tail) ---", outcome.get("stdout") or "",
              "", "--- stderr (tail) ---", outcome.get("stderr") or ""]
    if outcome.get("child_log"):
        lines += ["", "--- child process log (tail) ---", outcome["child_log"]]
    (folder / "result.txt").write_text("\n".join(lines), encoding="utf-8")
    return folder


# how command.sh makes a target (as make_target does) and runs the command with its stdout lost
_TARGET_SHELL = {"fifo": "mkfifo {t}", "null-device": "mknod {t} c 1 3 || ln -s /dev/null {t}",
                 "full-device": "mknod {t} c 1 7 || ln -s /dev/full {t}", "directory": "mkdir {t}",
                 "socket": "python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' {t}"}
_STDOUT_SHELL = {"closed": "{c} >&-", "full": "{c} >/dev/full",
                 "broken-pipe": "python3 -c 'import os, subprocess, sys; r, w = os.pipe(); os.close(r); "
                                "sys.exit(subprocess.call(sys.argv[1:], stdout=w))' {c}"}


def _setup_shell(setup: dict, args: str) -> str:
    lines = []
    if setup.get("target"):
        lines.append(_TARGET_SHELL[setup["target"]["kind"]].format(t=_shell(setup["target"]["name"])))
    command = f"xlreport {args}"
    if setup.get("stdout"):
        command = _STDOUT_SHELL[setup["stdout"]].format(c=command)
    if setup.get("fsize") is not None:
        command = f"(ulimit -f {max(1, setup['fsize'] // 512)}; trap '' XFSZ; {command})"  # ulimit -f counts 512-byte blocks
    return "".join(line + "\n" for line in lines + [command])


def _shell(a: str) -> str:
    return a if re.fullmatch(r"[\w./\u4e00-\u9fff-]+", a) else "'" + a.replace("'", "'\\''") + "'"


def load_reproducer(folder: Path) -> Case:
    meta = json.loads((folder / "case.json").read_text(encoding="utf-8"))
    files = {name: (folder / "inputs" / name).read_bytes() for name in meta["inputs"]}
    return Case(meta["index"], meta["run_seed"], meta["class"], meta["mutator"], meta["seed"], files, meta["args"], meta["output"],
                meta.get("note", ""), meta.get("setup") or {})


# --- the parent: children with a memory cap, restarted when they die ------------------------------


def _limit_memory(cap: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        os.setsid()  # its own group: a soffice it may start goes with it
        try:  # Linux: the child dies with the thread that started it (the runner killed, Ctrl-C)
            import ctypes

            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass

    return apply


@dataclass
class Campaign:
    run_seed: int
    jobs: list
    seed_dir: Path
    work_dir: Path
    classes: tuple = CLASSES
    workers: int = 2
    memory_cap: int = 3 * GB
    timeout: float = 30.0
    grace: float = 30.0  # after the alarm, before the child is killed
    out_dir: Path | None = None
    progress: object = None  # callable(outcome) or None
    log: object = None  # an open file: one JSON line per outcome, as they come
    outcomes: list = field(default_factory=list)
    children: list = field(default_factory=list)
    restarts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    queue: collections.deque = field(default_factory=collections.deque)  # the jobs no child has taken yet


def _seeds_for_parent(c: Campaign):
    return load_seeds(c.seed_dir)


def _crash_outcome(c: Campaign, job: dict, kind: str, detail: str, log_tail: str, seconds: float) -> dict:
    try:
        case = (load_reproducer(Path(job["replay"])) if "replay" in job
                else make_case(c.run_seed, job["index"], _seeds_for_parent(c), c.classes, job.get("mutator")))
    except Exception as e:
        outcome = _harness_outcome(job, c.run_seed, e)
        outcome["failures"].insert(0, {"kind": kind, "detail": detail})
        outcome["child_log"] = log_tail
        return outcome
    if kind == "crash" and re.search(r"memory allocation of \d+ bytes failed|MemoryError|Cannot allocate memory|std::bad_alloc", log_tail):
        kind = "memory"
    dump = log_tail[log_tail.rfind("Fatal Python error"):] if "Fatal Python error" in log_tail else log_tail if "panicked" in log_tail else ""
    outcome = {**case.meta(), "seconds": round(seconds, 3), "maxrss_kb": 0, "rss_growth_kb": 0, "exit_code": None, "stdout": "",
               "stderr": "", "traceback": dump,
               "notes": [], "child_log": log_tail, "failures": [{"kind": kind, "detail": detail}]}
    if "replay" in job:
        outcome["replay"] = job["replay"]
    elif c.out_dir is not None:
        outcome["reproducer"] = str(save_reproducer(case, outcome, c.out_dir))
    return outcome


def _tail(path: Path, n: int = 6000) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - n))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _take(c: Campaign):
    with c.lock:
        return c.queue.popleft() if c.queue else None


def _worker_loop(c: Campaign, slot: int) -> None:
    """Children one after another, each given the next case of the shared queue when it has
    answered the last (so the children end together, whichever gets the slow cases); a child that
    dies or hangs is recorded against its case and replaced by a new one."""
    import select

    while True:
        sent = _take(c)  # written to the child and not yet answered
        if sent is None:
            return
        log = c.work_dir / f"child-{slot}-{c.restarts}-{time.monotonic_ns()}.log"
        config = {"seed_dir": str(c.seed_dir), "work_dir": str(c.work_dir), "run_seed": c.run_seed,
                  "classes": list(c.classes), "timeout": c.timeout, "out_dir": str(c.out_dir) if c.out_dir else None}
        with open(log, "wb") as log_fh:
            proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "child"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=log_fh, cwd=str(c.work_dir), preexec_fn=_limit_memory(c.memory_cap))

        def send(line: str | None) -> None:
            """A line to the child; None: no more (it sums up and ends)."""
            try:
                if line is None:
                    proc.stdin.close()
                else:
                    proc.stdin.write((line + "\n").encode("utf-8"))
                    proc.stdin.flush()
            except OSError:
                pass  # the child is gone: its end of output says how

        send(json.dumps(config, ensure_ascii=False))
        send(json.dumps(sent, ensure_ascii=False))
        current, started = None, time.monotonic()
        buf = b""
        summary = None
        answered = 0
        fd = proc.stdout.fileno()
        while True:
            wait = max(0.1, c.timeout + c.grace - (time.monotonic() - started)) if current else 120
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                if current is None:
                    continue
                proc.send_signal(signal.SIGABRT)  # the child this loop started: faulthandler writes where it hangs
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                outcome = _crash_outcome(c, current, "hang", f"no answer {c.timeout + c.grace:g} s after the case started (killed)",
                                         _tail(log), time.monotonic() - started)
                _record(c, outcome)
                sent = None
                break
            chunk = os.read(fd, 1 << 16)
            if not chunk:  # the child ended
                rc = proc.wait()
                if current is not None:
                    sig = -rc if rc < 0 else None
                    detail = f"the child process died ({'signal ' + signal.Signals(sig).name if sig else 'exit code ' + str(rc)})"
                    outcome = _crash_outcome(c, current, "crash", detail, _tail(log), time.monotonic() - started)
                    _record(c, outcome)
                    sent = None
                elif summary is None and not answered:
                    raise RuntimeError(f"fuzz child failed before running a case (exit {rc}):\n{_tail(log)}")
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                event = json.loads(line)
                if event["event"] == "start":
                    current, started = event["job"], time.monotonic()
                elif event["event"] == "done":
                    _record(c, event["outcome"])
                    current, answered = None, answered + 1
                    sent = _take(c)
                    send(None if sent is None else json.dumps(sent, ensure_ascii=False))
                elif event["event"] == "summary":
                    summary = event
                    with c.lock:
                        c.children.append(event)
                elif event["event"] == "hello":
                    with c.lock:
                        c.children.append(event)
        proc.stdout.close()
        send(None)
        with c.lock:
            if sent is not None:  # given to a child that ended before it began it (retired): the next takes it
                c.queue.appendleft(sent)
            if c.queue:
                c.restarts += 1
        try:
            log.unlink()
        except OSError:
            pass


def _record(c: Campaign, outcome: dict) -> None:
    with c.lock:
        c.outcomes.append(outcome)
        if c.log is not None:
            c.log.write(json.dumps(outcome, ensure_ascii=False) + "\n")
            c.log.flush()
        if c.progress:
            c.progress(outcome)


def run_campaign(run_seed: int, count: int | None = None, *, classes=CLASSES, workers: int = 2, memory_cap: int = 3 * GB,
                 timeout: float = 30.0, work_dir: Path | None = None, seed_dir: Path | None = None, out_dir: Path | None = None,
                 replay: list[Path] | None = None, libreoffice: bool | None = None, progress=None, first_index: int = 0,
                 log_path: Path | None = None, earlier: list | None = None, mutators: list[str] | None = None) -> dict:
    """Run ``count`` generated cases (or the reproducer folders of ``replay``) in ``workers``
    child processes capped at ``memory_cap`` bytes of address space; returns the summary.
    ``mutators`` ("class:name", see mutator_names): case i uses mutators[i % len] instead of the schedule.
    ``log_path``: every outcome is appended there as it comes (a run cut short keeps them);
    ``earlier``: outcomes of an earlier, interrupted run (such a log), whose cases are skipped."""
    started = time.monotonic()
    own_work = work_dir is None
    work_dir = Path(tempfile.mkdtemp(prefix="xlreport-fuzz-")) if own_work else Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    try:
        seed_started = time.monotonic()
        if seed_dir is None:
            seed_dir = work_dir / "seeds"
            build_seeds(seed_dir, libreoffice)
        seed_seconds = time.monotonic() - seed_started
        if replay is not None:
            jobs = [{"replay": str(p), "index": i} for i, p in enumerate(replay)]
        else:
            done = {o["index"] for o in earlier or []}
            unknown = sorted(set(mutators or ()) - set(mutator_names()))
            if unknown:
                raise ValueError(f"no mutators {', '.join(unknown)}; known: {', '.join(mutator_names())}")
            jobs = [{"index": i, **({"mutator": mutators[i % len(mutators)]} if mutators else {})}
                    for i in range(first_index, first_index + count) if i not in done]
        if out_dir is not None:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
        c = Campaign(run_seed, jobs, Path(seed_dir), work_dir, tuple(classes), workers, memory_cap, timeout, out_dir=out_dir, progress=progress)
        c.outcomes.extend(earlier or [])
        if log_path is not None:
            c.log = open(log_path, "a", encoding="utf-8")
        errors = []

        def guarded(t_target, *a):
            try:
                t_target(*a)
            except Exception:
                errors.append(traceback.format_exc())

        c.queue.extend(jobs)
        threads = [threading.Thread(target=guarded, args=(_worker_loop, c, w), daemon=True) for w in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if c.log is not None:
            c.log.close()
        if errors:
            raise RuntimeError("the fuzz runner failed:\n" + "\n".join(errors))
        summary = summarize(c, time.monotonic() - started)
        summary["seed_seconds"] = round(seed_seconds, 2)
        summary["seeds"] = sorted(load_seeds(seed_dir))
        return summary
    finally:
        if own_work:
            shutil.rmtree(work_dir, ignore_errors=True)


def summarize(c: Campaign, seconds: float) -> dict:
    per_class: dict = {}
    per_mutator: dict = {}
    fails_per_class: dict = {}
    commands: dict = {}
    exits: dict = {}
    for o in c.outcomes:
        per_class[o["class"]] = per_class.get(o["class"], 0) + 1
        row = exits.setdefault(o["class"], {})
        code = str(o["exit_code"]) if o["exit_code"] is not None else "none"
        row[code] = row.get(code, 0) + 1
        key = f"{o['class']}:{o['mutator'].split('+')[0]}"
        per_mutator[key] = per_mutator.get(key, 0) + 1
        verb = " ".join(a for a in o["args"][:2] if a.startswith("-") or a in ("check", "export", "import", "build", "new"))
        commands[verb] = commands.get(verb, 0) + 1
        if o["failures"]:
            fails_per_class[o["class"]] = fails_per_class.get(o["class"], 0) + 1
    failures = [o for o in c.outcomes if o["failures"]]
    for o in failures:
        o["signature"] = signature(o)
    groups: dict = {}
    for o in failures:
        groups.setdefault(o["signature"], []).append(o)
    slowest = sorted(c.outcomes, key=lambda o: -o["seconds"])[:15]
    hungry = sorted(c.outcomes, key=lambda o: -o.get("rss_growth_kb", 0))[:10]
    return {
        "run_seed": c.run_seed,
        "cases": len(c.outcomes),
        "seconds": round(seconds, 2),
        "workers": c.workers,
        "memory_cap_mb": c.memory_cap // MB,
        "child_rlimit_as": sorted({e["rlimit_as"] for e in c.children if e["event"] == "hello"}),
        "child_restarts": c.restarts,
        "per_class": dict(sorted(per_class.items())),
        "failures_per_class": dict(sorted(fails_per_class.items())),
        "exit_codes_per_class": dict(sorted(exits.items())),
        "per_mutator": dict(sorted(per_mutator.items())),
        "per_command": dict(sorted(commands.items())),
        "case_seconds": round(sum(o["seconds"] for o in c.outcomes), 2),
        "peak_rss_mb": round(max([e.get("maxrss_kb", 0) for e in c.children if e["event"] == "summary"] + [o.get("maxrss_kb", 0) for o in c.outcomes] + [0]) / 1024, 1),
        "slowest": [{"seconds": o["seconds"], "case": _brief(o)} for o in slowest],
        "most_memory": [{"rss_growth_mb": round(o.get("rss_growth_kb", 0) / 1024, 1), "case": _brief(o)} for o in hungry if o.get("rss_growth_kb", 0) > 0],
        "bidi_in_output": sum(1 for o in c.outcomes if o.get("notes")),
        "groups": {sig: [o["index"] for o in os_] for sig, os_ in sorted(groups.items(), key=lambda kv: -len(kv[1]))},
        "failures": [{k: o.get(k) for k in ("index", "class", "mutator", "seed", "args", "note", "exit_code", "seconds", "failures",
                                            "signature", "traceback", "stderr", "reproducer", "replay")} for o in sorted(failures, key=lambda o: o["index"])],
    }


def _brief(o: dict) -> str:
    return f"#{o['index']} {o['class']}:{o['mutator']} on {o['seed']}: xlreport {' '.join(o['args'])}" + (f" ({o['note'][:60]})" if o.get("note") else "")


def describe_failures(summary: dict, limit: int = 30) -> str:
    """The failing cases, grouped, for an assertion message."""
    lines = [f"{len(summary['failures'])} of {summary['cases']} fuzz cases failed (run seed {summary['run_seed']}); "
             f"failures per class: {summary['failures_per_class']}"]
    by_index = {f["index"]: f for f in summary["failures"]}
    for sig, indices in list(summary["groups"].items())[:limit]:
        f = by_index[indices[0]]
        lines.append(f"\n[{len(indices)}x] {sig}")
        lines.append(f"  e.g. case #{f['index']} {f['class']}:{f['mutator']} on {f['seed']} ({(f.get('note') or '')[:80]})")
        lines.append(f"  xlreport {' '.join(f['args'])}  -> exit {f['exit_code']}")
        for x in f["failures"][:3]:
            lines.append(f"  {x['kind']}: {x['detail'][:300]}")
        tb = (f.get("traceback") or "").strip().splitlines()
        if tb:
            lines.append("  " + "\n  ".join(tb[-6:]))
        lines.append(f"  other cases: {indices[1:12]}")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] == ["child"]:
        child_main()
    else:
        sys.exit("usage: python tests/fuzzing.py child  (started by run_campaign; see scripts/fuzz.py)")
