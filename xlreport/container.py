"""Opening an input file safely: what kind of file it really is, and zip-bomb guards.

Neither calamine nor openpyxl guards against a zip bomb, so every zip-based input is
checked here (entry count, per-entry and total uncompressed size, compression ratio)
before anything inflates it.
"""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 5000
MAX_ENTRY_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed for a large entry
MAX_SHEETS = 255  # Excel's own limit is 255 in the UI; more means a generated or hostile file

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


class ZipEntry:
    __slots__ = ("filename", "method", "flags", "compress_size", "file_size", "offset")

    def __init__(self, filename, method, flags, compress_size, file_size, offset):
        self.filename, self.method, self.flags = filename, method, flags
        self.compress_size, self.file_size, self.offset = compress_size, file_size, offset


# a central directory record: signature, flags, method, sizes, name/extra/comment lengths, offset
_CENTRAL = struct.Struct("<4s4xHH8xIIHHH8xI")


class ZipReader:
    """Just enough of zip to read an xlsx quickly: the central directory, and bounded inflation.

    zipfile does the same with much more Python per entry; a batch of ten thousand workbooks
    feels that. Anything unusual (zip64, encryption) falls back to zipfile.
    """

    def __init__(self, data: bytes):
        self.data = data
        end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65557))
        if end < 0 or len(data) < end + 22:
            raise zipfile.BadZipFile("no end of central directory")
        count, size, start = struct.unpack_from("<HII", data, end + 10)
        if count == 0xFFFF or start == 0xFFFFFFFF or start + size > end:
            raise zipfile.BadZipFile("zip64 or inconsistent directory")
        self.entries: dict[str, ZipEntry] = {}
        pos = start
        unpack = _CENTRAL.unpack_from
        for _ in range(count):
            magic, flags, method, csize, usize, nlen, xlen, clen, offset = unpack(data, pos)
            if magic != b"PK\x01\x02":
                raise zipfile.BadZipFile("bad central directory")
            name = data[pos + 46:pos + 46 + nlen].decode("utf-8" if flags & 0x800 else "cp437")
            self.entries[name] = ZipEntry(name, method, flags, csize, usize, offset)
            pos += 46 + nlen + xlen + clen

    def namelist(self) -> list[str]:
        return list(self.entries)

    def infolist(self) -> list[ZipEntry]:
        return list(self.entries.values())

    def raw(self, name: str) -> bytes | None:
        """The entry's bytes as stored (compressed): a cheap key for what was read from it."""
        e = self.entries.get(name)
        if e is None or self.data[e.offset:e.offset + 4] != b"PK\x03\x04":
            return None
        nlen, xlen = struct.unpack_from("<HH", self.data, e.offset + 26)
        begin = e.offset + 30 + nlen + xlen
        return bytes([e.method]) + self.data[begin:begin + e.compress_size]

    def read(self, name: str, limit: int) -> bytes:
        e = self.entries[name]
        data = self.data
        if data[e.offset:e.offset + 4] != b"PK\x03\x04" or e.flags & 0x1:
            raise zipfile.BadZipFile(f"bad local header for {name}")
        nlen, xlen = struct.unpack_from("<HH", data, e.offset + 26)
        begin = e.offset + 30 + nlen + xlen
        raw = data[begin:begin + e.compress_size]
        if len(raw) != e.compress_size:
            raise zipfile.BadZipFile(f"{name} is cut short")
        if e.method == 0:
            return raw[: limit + 1]
        if e.method != 8:
            raise NotImplementedError(f"compression method {e.method}")
        inflater = zlib.decompressobj(-15)
        out = inflater.decompress(raw, limit + 1)
        return out


@dataclass
class Opened:
    path: Path
    kind: str  # xlsx | xls | ods | docx | html | txt | pdf | json
    data: bytes
    zip: "ZipReader | zipfile.ZipFile | None" = None


def read_bytes(path: Path) -> bytes:
    path = Path(path)
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{path}：这是一个文件夹，不是文件")
        size = info.st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path}：文件过大（{size // (1024 * 1024)} MB），年度报告工作簿不应超过 {MAX_FILE_BYTES // (1024 * 1024)} MB")
        with path.open("rb") as fh:
            # read(n) allocates n bytes first: ask for the size the file has, not the limit
            data = fh.read(size + 1)
            if len(data) > size:  # it grew while we looked
                data += fh.read(MAX_FILE_BYTES + 1 - len(data))
    except FileNotFoundError:
        raise InputError(f"{path}：文件不存在", "请检查文件名和路径") from None
    except PermissionError:
        raise InputError(f"{path}：没有读取权限") from None
    except OSError as e:
        raise InputError(f"{path}：无法读取（{e.strerror}）") from None
    if not data:
        raise InputError(f"{path}：文件是空的（0 字节）")
    return data


def guard_zip(path: Path, zf: zipfile.ZipFile) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise InputError(f"{path}：压缩包内文件过多（{len(infos)}个），已拒绝读取")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_ENTRY_BYTES or (
            info.file_size > 4 * 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1)
        ):
            raise InputError(f"{path}：文件疑似压缩炸弹（{info.filename} 解压后 {info.file_size // (1024 * 1024)} MB），已拒绝读取")
    if total > MAX_TOTAL_BYTES:
        raise InputError(f"{path}：文件疑似压缩炸弹（解压后共 {total // (1024 * 1024)} MB），已拒绝读取")


def read_entry(path: Path, zf: zipfile.ZipFile, name: str, limit: int = MAX_ENTRY_BYTES) -> bytes:
    """Inflate one entry, never past ``limit`` bytes whatever its header claims."""
    try:
        if isinstance(zf, ZipReader):
            data = zf.read(name, limit)
        else:
            with zf.open(name) as fh:
                data = fh.read(limit + 1)
    except KeyError:
        raise InputError(f"{path}：文件已损坏（缺少 {name}）") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib.error) as e:
        raise InputError(f"{path}：文件已损坏，无法解压（{type(e).__name__}）") from None
    if len(data) > limit:
        raise InputError(f"{path}：文件疑似压缩炸弹（{name} 解压后过大），已拒绝读取")
    return data


def open_spreadsheet(path) -> Opened:
    """Read and identify a spreadsheet; anything else gets a message saying what it is."""
    path = Path(path)
    data = read_bytes(path)
    head = data[:8]
    if head.startswith(ZIP_MAGIC) or head.startswith(b"PK"):
        try:
            try:
                zf = ZipReader(data)
            except (zipfile.BadZipFile, struct.error, UnicodeDecodeError):
                zf = zipfile.ZipFile(io.BytesIO(data))  # zip64 and other rarities
            names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise InputError(f"{path}：文件已损坏（不是完整的 xlsx 压缩包，可能没有下载或复制完整）", "请从原处重新复制一份，或用 WPS/Excel 打开后另存为 .xlsx") from None
        guard_zip(path, zf)
        if "xl/workbook.xml" in names:
            return Opened(path, "xlsx", data, zf)
        if "mimetype" in names:
            mime = read_entry(path, zf, "mimetype", 200).decode("ascii", "replace").strip()
            if mime == "application/vnd.oasis.opendocument.spreadsheet":
                return Opened(path, "ods", data, zf)
            if "text" in mime:
                raise InputError(f"{path}：这是 OpenDocument 文本文档（.odt），不是电子表格")
        if "word/document.xml" in names:
            raise InputError(f"{path}：这是 Word 文档（.docx），不是 Excel 工作簿", "校验 Word 报告请用 xlreport check 报告.docx（需要导入功能）")
        if "ppt/presentation.xml" in names:
            raise InputError(f"{path}：这是 PowerPoint 演示文稿，不是 Excel 工作簿")
        raise InputError(f"{path}：这是一个 zip 压缩包，但不是 Excel 工作簿")
    if head.startswith(OLE_MAGIC):
        if ENCRYPTED_MARK in data[:1024 * 1024] or ENCRYPTED_MARK in data:
            raise InputError(f"{path}：工作簿设置了打开密码，无法读取", "请在 WPS/Excel 中取消“打开密码”后另存，再运行本命令")
        if b"W\x00o\x00r\x00d\x00D\x00o\x00c\x00u\x00m\x00e\x00n\x00t" in data:
            raise InputError(f"{path}：这是旧版 Word 文档（.doc），不是 Excel 工作簿")
        return Opened(path, "xls", data)
    if head.startswith(b"%PDF"):
        raise InputError(f"{path}：这是 PDF 文件，不是 Excel 工作簿")
    if _looks_like_text(data):
        sample = data[:4096].decode("utf-8", "ignore").lower()
        if "<html" in sample or "<table" in sample or "<!doctype" in sample:
            raise InputError(f"{path}：这是网页（HTML）文件，不是 Excel 工作簿")
        if sample.lstrip().startswith("{"):
            raise InputError(f"{path}：这是 JSON 文件，不是 Excel 工作簿", "JSON 报告请用 .json 扩展名")
        raise InputError(f"{path}：这是文本文件（如 CSV），不是 Excel 工作簿", "请用 xlreport new 生成的 .xlsx 模板填写")
    raise InputError(f"{path}：不是 Excel 工作簿（无法识别的文件格式）", "请用 xlreport new 生成的 .xlsx 模板填写")


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


_SHEET_RE = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"', re.S)
_SHEET_RE2 = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?r:id="([^"]*)"[^>]*?name="([^"]*)"', re.S)
_REL_RE = re.compile(rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"', re.S)
_REL_RE2 = re.compile(rb'<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"', re.S)


def cached(opened: Opened, entries: tuple[str, ...], cache: dict, compute):
    """``compute()`` for these zip entries, remembered by their stored bytes: in a batch, every
    workbook made from one template has the same workbook.xml, styles and properties."""
    if not isinstance(opened.zip, ZipReader):
        return compute()
    key = tuple(opened.zip.raw(e) for e in entries)
    if None in key:
        return compute()
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
    import html

    zf = opened.zip
    wb = read_entry(opened.path, zf, "xl/workbook.xml")
    pairs = [(n, r) for n, r in _SHEET_RE.findall(wb)] or [(n, r) for r, n in _SHEET_RE2.findall(wb)]
    if len(pairs) > MAX_SHEETS:
        raise InputError(f"{opened.path}：工作表数量过多（{len(pairs)}个），不是年度报告工作簿，已拒绝读取")
    try:
        rels_xml = read_entry(opened.path, zf, "xl/_rels/workbook.xml.rels")
    except InputError:
        return {}
    rels = {i: t for i, t in _REL_RE.findall(rels_xml)}
    rels.update({i: t for t, i in _REL_RE2.findall(rels_xml)})
    out = {}
    for name, rid in pairs:
        target = rels.get(rid)
        if target is None:
            continue
        target = target.decode("utf-8")
        entry = target.lstrip("/") if target.startswith("/") else "xl/" + target
        out[html.unescape(name.decode("utf-8"))] = entry
    return out
