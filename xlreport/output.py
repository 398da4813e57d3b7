"""Writing an output file safely: never over an existing file without force, never half-written."""

from __future__ import annotations

import gc
import io
import os
import stat
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError, XlreportError
from .shown import shown_path


def check_target(path: Path, force: bool) -> Path:
    """``path`` if an output may be written there: a new file, or with ``force`` an existing
    regular file. A FIFO, a device or a socket is never replaced, --force or not (as root,
    ``-o /dev/null --force`` would otherwise put a file where the device was)."""
    path = Path(path)
    where = shown_path(path)
    try:
        kind = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):  # the folder checks below say which
        kind = None
    except OSError as e:  # a name too long, a loop of symlinks, no permission to look
        raise OutputError(f"{where}：无法写入（{e.strerror}）") from None
    if kind is not None and stat.S_ISDIR(kind):
        raise OutputError(f"{where}：这是一个文件夹，请给出输出文件名", "例如 -o 年度报告.xlsx")
    if kind is not None and not stat.S_ISREG(kind):
        raise OutputError(f"{where}：不是普通文件（设备、管道或套接字），不能用作输出文件", "请给出一个普通文件名")
    if kind is not None and not force:
        raise OutputError(f"{where}：文件已存在，未覆盖", "如需覆盖请加 --force")
    folder = path.parent if str(path.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{where}：{shown_path(folder)} 是一个文件，不是文件夹")
    if not folder.is_dir():
        raise OutputError(f"{where}：所在文件夹 {shown_path(folder)} 不存在")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"{where}：没有权限在文件夹 {shown_path(folder)} 中写入文件")
    return path


_SCRATCH_HINT = "请检查磁盘空间，以及临时文件夹（环境变量 TMPDIR）是否存在、可以写入"


def scratch_error(e: OSError) -> OutputError:
    """A temporary file that could not be made or written (a full disk, no usable temporary folder)."""
    return OutputError(f"无法写入临时文件（{e.strerror or type(e).__name__}）", _SCRATCH_HINT)


def scratch_file():
    """A temporary text file (removed when closed), or one line saying why there can be none."""
    try:
        return tempfile.TemporaryFile("w+", encoding="utf-8")
    except OSError as e:
        raise scratch_error(e) from None


def scratch_dir(prefix: str = "xlreport-") -> tempfile.TemporaryDirectory:
    """A temporary folder of our own (use it in a with block: removed on the way out), or one
    line saying why there can be none."""
    try:
        return tempfile.TemporaryDirectory(prefix=prefix)
    except OSError as e:
        raise scratch_error(e) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_target(path: Path, force: bool = False):
    """Yields a temporary path beside ``path``; renamed over it only when the block succeeds."""
    path = check_target(Path(path), force)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".~xlreport-", suffix=path.suffix, dir=folder)
    except OSError as e:
        raise OutputError(f"{shown_path(path)}：无法写入（{e.strerror}）") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        check_target(path, force)  # again: a file (or a FIFO) may have appeared while we were writing
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; an output is an ordinary file
        os.replace(tmp_path, path)
    except Exception as e:
        failed = _os_error_in(e)
        if failed is None:
            raise
        raise OutputError(f"{shown_path(path)}：无法写入（{failed.strerror or type(failed).__name__}）") from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _os_error_in(e: BaseException) -> OSError | None:
    """The OSError a write failed with, also where a library wrapped it in its own exception
    (xlsxwriter's FileCreateError on a full disk); None for our own errors and any other."""
    if isinstance(e, XlreportError):
        return None
    for _ in range(8):
        if isinstance(e, OSError):
            return e
        e = e.__cause__ or e.__context__
        if e is None:
            return None
    return None


def save_through_memory(tmp: Path, save) -> None:
    """``save(stream)`` into memory, then its bytes to ``tmp`` in one write: a library that writes
    its zip straight to a file leaves it open when the disk fills, and the zip's __del__ prints a
    traceback long after the one-line message. A save that fails midway (openpyxl writes each
    sheet through a temporary file) has its half-made zip let go here, with nothing said."""
    buffer = io.BytesIO()
    try:
        save(buffer)
    except BaseException as e:
        _drop_quietly(e)
        raise
    tmp.write_bytes(buffer.getvalue())


def _drop_quietly(e: BaseException) -> None:
    """Free a failed save's frames now: the half-written zip in them fails again as it is
    collected, and Python would print that after our one line."""
    hook, sys.unraisablehook = sys.unraisablehook, lambda _: None
    try:
        e.__traceback__ = None
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _real(path) -> str:
    return os.path.normcase(os.path.realpath(path))


def _same(a: Path, b: Path) -> bool:
    if _real(a) == _real(b):
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)  # hard links
    except OSError:
        return False


def collected_by(folder: Path, path: Path, suffixes: tuple[str, ...]) -> bool:
    """Whether a folder command reading ``folder`` would pick ``path`` up (see batch.collect)."""
    root, target = _real(folder), _real(path)
    try:
        if os.path.commonpath([root, target]) != root or root == target:
            return False
    except ValueError:  # different drives
        return False
    parts = Path(os.path.relpath(target, root)).parts
    name = parts[-1]
    return (name.lower().endswith(suffixes) and not name.startswith((".", "~$"))
            and not any(p.startswith(".") for p in parts[:-1]))


def refuse_overlap(outputs, inputs=(), folders=(), suffixes: tuple[str, ...] = ()) -> None:
    """No output may be an input (whatever the spelling, a symlink or a hard link), nor land
    among the files a folder command collects: refused before any work, with --force too.

    ``outputs``: (what it is, path) pairs, e.g. ("--report", Path("总览.xlsx")); None paths skipped.
    """
    for label, out in outputs:
        if out is None:
            continue
        out = Path(out)
        for given in inputs:
            if given is not None and _same(out, Path(given)):
                raise OutputError(f"{shown_path(out)}：{label}的输出文件就是输入文件 {shown_path(given)}，已拒绝（输入文件从不被改写）",
                                  "请换一个输出文件名")
        for folder in folders:
            if collected_by(Path(folder), out, suffixes):
                raise OutputError(f"{shown_path(out)}：{label}的输出文件在要读取的文件夹 {shown_path(folder)} 中，"
                                  "下次运行时会被当作输入，已拒绝", "请保存到这个文件夹以外")
