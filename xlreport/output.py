"""Writing an output file safely: never over an existing file without force, never half-written."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError


def check_target(path: Path, force: bool) -> Path:
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}：这是一个文件夹，请给出输出文件名", "例如 -o 年度报告.xlsx")
    if path.exists() and not force:
        raise OutputError(f"{path}：文件已存在，未覆盖", "如需覆盖请加 --force")
    folder = path.parent if str(path.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{path}：{folder} 是一个文件，不是文件夹")
    if not folder.is_dir():
        raise OutputError(f"{path}：所在文件夹 {folder} 不存在")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"{path}：没有权限在文件夹 {folder} 中写入文件")
    return path


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
        raise OutputError(f"{path}：无法写入（{e.strerror}）") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if path.exists() and not force:  # appeared while we were writing
            raise OutputError(f"{path}：文件已存在，未覆盖", "如需覆盖请加 --force")
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; an output is an ordinary file
        os.replace(tmp_path, path)
    except OSError as e:
        raise OutputError(f"{path}：无法写入（{e.strerror}）") from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
