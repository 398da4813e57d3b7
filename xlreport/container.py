"""Opening an input file safely: regular files only, size limits, what kind of file it really is,
and zip packages whose entries are never inflated past their limits.

Neither calamine nor openpyxl guards against a zip bomb or a size that lies in a zip header, so
every zip-based input is opened here (zipfile reads the central directory) and checked against
limits.py before anything inflates it; the readers get the entries' bytes from here (a plain
stored or deflated entry inflated with zlib-ng and its CRC checked, anything else by zipfile).
"""

from __future__ import annotations

import io
import os
import re
import lzma
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from . import lazyre
from . import limits
from .errors import InputError, LimitError
from .shown import shown_line, shown_path

try:
    # zlib's own calls, twice as fast: inflating is the largest single cost of checking a
    # LibreOffice-saved workbook (its 300 KB shared-string table), 14% of it with zlib
    from zlib_ng import zlib_ng as inflater
except ImportError:  # pragma: no cover - a platform without its wheel: the standard zlib
    inflater = zlib

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


def read_bytes(path, kind: str = "workbook") -> bytes:
    """The whole file, if it is a regular file within the size limit of its ``kind``
    (limits.FILE_BYTES). A FIFO, a device or a folder is refused without being read; a symlink
    is followed only to a regular file."""
    path = Path(path)
    limit = limits.FILE_BYTES[kind]
    where = shown_path(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then tells what it is
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise InputError(f"{where}：文件不存在", "请检查文件名和路径") from None
    except IsADirectoryError:
        raise InputError(f"{where}：这是一个文件夹，不是文件") from None
    except PermissionError:
        if os.path.isdir(path):
            raise InputError(f"{where}：这是一个文件夹，不是文件") from None
        raise InputError(f"{where}：没有读取权限") from None
    except OSError as e:
        raise InputError(f"{where}：无法读取（{e.strerror}）") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{where}：这是一个文件夹，不是文件")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{where}：不是普通文件（设备、管道或套接字），已拒绝读取")
        if info.st_size > limit.value:
            raise LimitError.of(path, limit, f"{info.st_size // limits.MB} MB")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(info.st_size + 1)  # read(n) allocates n first: the size it has, not the limit
            if len(data) > info.st_size:  # it grew while we looked
                data += fh.read(limit.value + 1 - len(data))
    except OSError as e:
        raise InputError(f"{where}：无法读取（{e.strerror}）") from None
    finally:
        os.close(fd)
    if len(data) > limit.value:
        raise LimitError.of(path, limit)
    if not data:
        raise InputError(f"{where}：文件是空的（0 字节）")
    return data


class Package:
    """A zip package (xlsx, ods, docx) checked against the limits: entries by name, inflated on
    demand, never past their limit. Part names written with backslashes (WPS does) are found
    by their forward-slash names."""

    def __init__(self, path: Path, data: bytes):
        self.path = path
        self._data = data
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, UnicodeDecodeError, NotImplementedError):
            raise BadPackage() from None  # NotImplementedError: an entry needs a zip version zipfile does not read
        if len(infos) > limits.ZIP_ENTRIES.value:
            raise LimitError.of(path, limits.ZIP_ENTRIES, f"{len(infos)}个")
        total = 0
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            total += info.file_size
            self._check_entry(info)
            name = info.filename.replace("\\", "/").lstrip("/")
            if name in self._infos:
                # two parts of one name: readers differ on which one counts (zipfile and calamine the
                # last, a scan by name the first), so the file could show one thing and say another
                raise InputError(f"{shown_path(path)}：文件已损坏（压缩包中有两个名为 {shown_line(name)} 的部件）",
                                 "请从原处重新复制一份，或用 WPS/Excel 打开后另存")
            self._infos[name] = info
        if total > limits.ZIP_TOTAL_BYTES.value:
            raise LimitError.of(path, limits.ZIP_TOTAL_BYTES, f"{total // limits.MB} MB")
        self._inflated = 0
        # where each entry's data must end: at the next local header, or the directory (as
        # zipfile has checked since Python 3.12: entries that overlap are a zip bomb's trick)
        self._ends: dict[int, int] = {}
        end = getattr(self._zip, "start_dir", len(data))
        for info in sorted(infos, key=lambda i: i.header_offset, reverse=True):
            self._ends[id(info)] = end
            end = info.header_offset

    def _check_entry(self, info: zipfile.ZipInfo) -> None:
        if info.file_size > limits.ZIP_ENTRY_BYTES.value:
            raise LimitError.of(self.path, limits.ZIP_ENTRY_BYTES, f"{info.filename} {info.file_size // limits.MB} MB")
        if info.file_size > limits.ZIP_RATIO_FROM and info.file_size > limits.ZIP_RATIO.value * max(info.compress_size, 1):
            raise LimitError.of(self.path, limits.ZIP_RATIO, f"{info.filename} {info.file_size // max(info.compress_size, 1)}倍")

    def namelist(self) -> list[str]:
        return list(self._infos)

    def __contains__(self, name: str) -> bool:
        return name in self._infos

    def size(self, name: str) -> int:
        return self._infos[name].file_size

    def read(self, name: str, limit: int = limits.ZIP_ENTRY_BYTES.value) -> bytes:
        """One entry's bytes; the CRC is checked, and a header that understates the size gets no
        more than it declared (zipfile stops there and the CRC then fails)."""
        info = self._infos.get(name)
        where = shown_path(self.path)
        if info is None:
            raise InputError(f"{where}：文件已损坏（缺少 {name}）")
        if info.file_size > limit:
            raise LimitError.of(self.path, limits.ZIP_ENTRY_BYTES, f"{name} {info.file_size // 1024} KB")
        data = self._inflate(info)
        if data is None:  # anything unusual: zipfile reads it, and says what is wrong
            try:
                with self._zip.open(info) as fh:
                    data = fh.read(info.file_size + 1)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError,
                    RuntimeError, zlib.error, lzma.LZMAError):
                # RuntimeError: an encrypted entry; NotImplementedError: a compression zipfile lacks;
                # LZMAError: an entry marked LZMA with properties lzma refuses
                raise InputError(f"{where}：文件已损坏，无法解压其中的 {name}",
                                 "请从原处重新复制一份，或用 WPS/Excel 打开后另存") from None
        self._inflated += len(data)
        if self._inflated > limits.ZIP_TOTAL_BYTES.value:
            raise LimitError.of(self.path, limits.ZIP_TOTAL_BYTES)
        return data

    def optional(self, name: str, limit: int = limits.ZIP_ENTRY_BYTES.value) -> bytes | None:
        return self.read(name, limit) if name in self._infos else None

    def identity(self, name: str) -> tuple | None:
        """What tells an entry's content without inflating it: its compression method, sizes,
        CRC and compressed bytes (the same compressed bytes inflate to the same content); None
        when the entry is absent, or its local header does not agree with the directory."""
        info = self._infos.get(name)
        if info is None:
            return None
        raw = self._compressed(info)
        if raw is None:
            return ("unreadable", name)
        return (info.compress_type, info.file_size, info.CRC, raw)

    def _compressed(self, info: zipfile.ZipInfo) -> bytes | None:
        """An entry's compressed bytes, found as zipfile finds them (the directory's offset, the
        local header's name and extra lengths); None where the local header is missing, names
        another part, the entry is encrypted, runs into the next one or is cut short."""
        at = info.header_offset
        head = self._data[at: at + 30]
        if len(head) < 30 or head[:4] != b"PK\x03\x04" or info.flag_bits & _NOT_PLAIN:
            return None
        name_end = at + 30 + int.from_bytes(head[26:28], "little")
        local_name = self._data[at + 30: name_end]
        flags = int.from_bytes(head[6:8], "little")
        if local_name.decode("utf-8" if flags & 0x800 else "cp437", "replace") != info.orig_filename:
            return None
        start = name_end + int.from_bytes(head[28:30], "little")
        if start + info.compress_size > self._ends[id(info)]:
            return None
        raw = self._data[start: start + info.compress_size]
        return raw if len(raw) == info.compress_size else None

    def _inflate(self, info: zipfile.ZipInfo) -> bytes | None:
        """A stored or deflated entry inflated here, from the package's bytes, when it comes out
        exactly the size and CRC the directory declares; None otherwise, and for any other method,
        for zipfile to read (and to say what is wrong). zipfile's own open and read around the
        same inflate cost about a tenth of checking a workbook (tests/test_zip_inflate.py shows
        the two give the same bytes)."""
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return None
        raw = self._compressed(info)
        if raw is None:
            return None
        if info.compress_type == zipfile.ZIP_STORED:
            out = raw
        else:
            try:
                out = inflater.decompressobj(-inflater.MAX_WBITS).decompress(raw, info.file_size + 1)
            except inflater.error:
                return None
        return out if len(out) == info.file_size and inflater.crc32(out) == info.CRC else None


_REFERENCE = lazyre.compile(r"&(?:(lt|gt|amp|apos|quot)|#x([0-9A-Fa-f]{1,8})|#([0-9]{1,10}));")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "apos": "'", "quot": '"'}


def unescape_xml(text: str) -> str:
    """XML character data as a parser reads it: the five entities and character references. Not
    html.unescape, which reads HTML's rules (&#150; as "–", names without ";", two thousand names
    XML lacks) and whose entity table costs every command 7 M instructions at start-up."""
    return _REFERENCE.sub(_referenced, text) if "&" in text else text


def _referenced(m) -> str:
    if m.group(1):
        return _ENTITIES[m.group(1)]
    code = int(m.group(2), 16) if m.group(2) else int(m.group(3))
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"


def declares_entities(xml: bytes) -> bool:
    """A DOCTYPE or an entity declaration (entities can expand to gigabytes): no part of a sound
    package has either. (Two searches for the whole words: measured faster than one search from
    the "!", which the conditional formats' sheet references make common.)"""
    return b"<!DOCTYPE" in xml or b"<!ENTITY" in xml


_NOT_PLAIN = 0x1 | 0x20 | 0x40  # encrypted, compressed patched data, strong encryption: zipfile's to refuse


class BadPackage(Exception):
    """Not a readable zip: the caller says what the file should have been."""


@dataclass
class Opened:
    """A spreadsheet file read and identified: its bytes, its kind and, for a zip, the package."""

    path: Path
    kind: str  # xlsx | xls | ods
    data: bytes
    zip: Package | None = None


def open_package(path, data: bytes, what: str, hint: str = "请从原处重新复制一份") -> Package:
    """``data`` as a zip package, or one line saying the file (``what`` it should be) is broken."""
    try:
        return Package(Path(path), data)
    except BadPackage:
        raise InputError(f"{shown_path(path)}：文件已损坏（不是完整的{what}，可能没有下载或复制完整）", hint) from None


def open_spreadsheet(path) -> Opened:
    """Read and identify a spreadsheet; anything else gets a message saying what it is."""
    path = Path(path)
    where = shown_path(path)
    data = read_bytes(path, "workbook")
    head = data[:8]
    if head.startswith(b"PK"):
        what = " .ods 文件" if path.suffix.lower() == ".ods" else " xlsx 压缩包"  # which it is, only its name can tell
        zf = open_package(path, data, what, "请从原处重新复制一份，或用 WPS/Excel 打开后另存为 .xlsx")
        if "xl/workbook.xml" in zf:
            return Opened(path, "xlsx", data, zf)
        if "mimetype" in zf:
            mime = zf.read("mimetype", 200).decode("ascii", "replace").strip()
            if mime == "application/vnd.oasis.opendocument.spreadsheet":
                return Opened(path, "ods", data, zf)
            if "text" in mime:
                raise InputError(f"{where}：这是 OpenDocument 文本文档（.odt），不是电子表格")
        if "content.xml" in zf and b"office:spreadsheet" in zf.read("content.xml")[:1 << 20]:
            return Opened(path, "ods", data, zf)  # an ODS without the optional mimetype entry (gnumeric)
        if "word/document.xml" in zf:
            raise InputError(f"{where}：这是 Word 文档（.docx），不是 Excel 工作簿", "校验 Word 报告请用 xlreport check 报告.docx（需要导入功能）")
        if "ppt/presentation.xml" in zf:
            raise InputError(f"{where}：这是 PowerPoint 演示文稿，不是 Excel 工作簿")
        raise InputError(f"{where}：这是一个 zip 压缩包，但不是 Excel 工作簿")
    if head.startswith(OLE_MAGIC):
        if ENCRYPTED_MARK in data:
            raise InputError(f"{where}：工作簿设置了打开密码，无法读取", "请在 WPS/Excel 中取消“打开密码”后另存，再运行本命令")
        if b"W\x00o\x00r\x00d\x00D\x00o\x00c\x00u\x00m\x00e\x00n\x00t" in data:
            raise InputError(f"{where}：这是旧版 Word 文档（.doc），不是 Excel 工作簿")
        return Opened(path, "xls", data)
    if head.startswith(b"%PDF"):
        raise InputError(f"{where}：这是 PDF 文件，不是 Excel 工作簿")
    if _looks_like_text(data):
        sample = data[:4096].decode("utf-8", "ignore").lower()
        if "<html" in sample or "<table" in sample or "<!doctype" in sample:
            raise InputError(f"{where}：这是网页（HTML）文件，不是 Excel 工作簿")
        if sample.lstrip().startswith("{"):
            raise InputError(f"{where}：这是 JSON 文件，不是 Excel 工作簿", "JSON 报告请用 .json 扩展名")
        raise InputError(f"{where}：这是文本文件（如 CSV），不是 Excel 工作簿", "请用 xlreport new 生成的 .xlsx 模板填写")
    raise InputError(f"{where}：不是 Excel 工作簿（无法识别的文件格式）", "请用 xlreport new 生成的 .xlsx 模板填写")


def _looks_like_text(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return False
    for enc in ("utf-8", "gb18030"):
        try:
            sample.decode(enc)
            return True
        except UnicodeDecodeError as e:
            if e.start > len(sample) - 4:  # cut in the middle of a character
                return True
    return False


_SHEET_RE = lazyre.compile(rb'<(?:\w+:)?sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"', re.S)
_SHEET_RE2 = lazyre.compile(rb'<(?:\w+:)?sheet\b[^>]*?r:id="([^"]*)"[^>]*?name="([^"]*)"', re.S)
_REL_RE = lazyre.compile(rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"', re.S)
_REL_RE2 = lazyre.compile(rb'<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"', re.S)


def cached(opened: Opened, entries: tuple[str, ...], cache: dict, compute):
    """``compute()`` for these zip entries, remembered by their content: in a batch, every
    workbook made from one template has the same workbook.xml, styles and properties. The
    content is known by its compressed bytes (Package.identity), so a hit inflates nothing."""
    key = tuple(opened.zip.identity(e) for e in entries)
    if any(k is not None and k[0] == "unreadable" for k in key):
        return compute()  # reading it will say what is wrong
    try:
        return cache[key]
    except KeyError:
        pass
    value = compute()
    if len(cache) >= 16:
        cache.clear()
    cache[key] = value
    return value


_SHEET_PATHS: dict = {}


def xlsx_sheet_paths(opened: Opened) -> dict[str, str]:
    """Sheet name -> zip entry of its XML, read from workbook.xml and its relationships."""
    return dict(cached(opened, ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"), _SHEET_PATHS, lambda: _sheet_paths(opened)))


def _sheet_paths(opened: Opened) -> dict[str, str]:
    zf = opened.zip
    wb = zf.read("xl/workbook.xml")
    pairs = [(n, r) for n, r in _SHEET_RE.findall(wb)] or [(n, r) for r, n in _SHEET_RE2.findall(wb)]
    if len(pairs) > limits.SHEETS.value:
        raise LimitError.of(opened.path, limits.SHEETS, f"{len(pairs)}个")
    rels_xml = zf.optional("xl/_rels/workbook.xml.rels")
    if rels_xml is None:
        return {}
    rels = {i: t for i, t in _REL_RE.findall(rels_xml)}
    rels.update({i: t for t, i in _REL_RE2.findall(rels_xml)})
    out = {}
    for name, rid in pairs:
        target = rels.get(rid)
        if target is None:
            continue
        target = target.decode("utf-8", "replace").replace("\\", "/")
        entry = target.lstrip("/") if target.startswith("/") else "xl/" + target
        out[unescape_xml(name.decode("utf-8", "replace"))] = entry
    return out
