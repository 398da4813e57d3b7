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
    from .shown import shown_path

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
