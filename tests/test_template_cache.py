"""The template cache (word/cache.py): a cached build is the uncached build, part for part; a
cached entry skips docxtpl's patching and jinja2's compiling; code is loaded only from a
directory that is this user's alone; a damaged entry is compiled again; a refused template stays
refused; the directory is kept to its limit."""

from __future__ import annotations

import io
import os
import pickle
import stat
import zipfile
from pathlib import Path

import docxtpl
import pytest
from click.testing import CliRunner
from jinja2.bccache import Bucket, bc_magic

from test_template_security import MARKER, assert_refused, footnotes, in_body, popen, template_with
from xlreport import limits
from xlreport.cli import cli
from xlreport.word import cache, template_policy
from xlreport.word.template_policy import PolicyEnvironment

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "shangyou-commerce-2024.xlsx"


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_VARIABLE, str(path))
    return path


def build(tmp_path, name: str, *extra: str) -> Path:
    out = tmp_path / name
    result = CliRunner().invoke(cli, ["build", str(EXAMPLE), "-o", str(out), "--force", *extra])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"已生成：{out}\n"
    return out


def parts(docx: Path) -> dict[str, bytes]:
    """Every part of a .docx but its core properties (they hold the time of the build)."""
    with zipfile.ZipFile(docx) as z:
        return {name: z.read(name) for name in z.namelist() if name != "docProps/core.xml"}


def entries(folder: Path, prefix: str = "") -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(prefix))


def test_a_cached_build_is_the_uncached_build(tmp_path, folder, monkeypatch):
    monkeypatch.setenv(cache.ENV_VARIABLE, cache.OFF)
    uncached = parts(build(tmp_path, "uncached.docx"))
    assert not folder.exists()
    monkeypatch.setenv(cache.ENV_VARIABLE, str(folder))
    filling = parts(build(tmp_path, "filling.docx"))
    assert entries(folder, "code-") and entries(folder, "patch-")

    def refuse(*args, **kwargs):
        raise AssertionError("patched or compiled again")

    monkeypatch.setattr(docxtpl.DocxTemplate, "patch_xml", refuse)
    monkeypatch.setattr(template_policy.SandboxedEnvironment, "_parse", refuse)
    cached = parts(build(tmp_path, "cached.docx"))
    assert uncached == filling == cached
    assert "word/document.xml" in cached


def test_entries_and_directory_are_private(tmp_path, folder):
    build(tmp_path, "a.docx")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for entry in entries(folder):
        assert stat.S_IMODE(entry.stat().st_mode) == 0o600, entry.name
        assert entry.name.startswith(("code-", "patch-")), entry.name
    assert len(entries(folder)) <= limits.CACHE_ENTRIES.value


def poison(folder: Path, marker: Path) -> int:
    """Every code entry replaced by code that creates ``marker`` when it is loaded, under the
    entry's own name and checksum (as someone who could write the directory would do)."""
    count = 0
    for entry in entries(folder, "code-"):
        data = io.BytesIO(entry.read_bytes()[len(bc_magic):])
        bucket = Bucket(None, entry.name, pickle.load(data))
        bucket.code = compile(f"open({str(marker)!r}, 'w').close()", "<poison>", "exec")
        entry.write_bytes(bucket.bytecode_to_string())
        count += 1
    return count


def test_code_in_a_private_directory_is_trusted(tmp_path, folder):
    """The control for the test below: the poison works where the cache trusts the directory."""
    build(tmp_path, "a.docx")
    assert poison(folder, tmp_path / MARKER)
    CliRunner().invoke(cli, ["build", str(EXAMPLE), "-o", str(tmp_path / "b.docx")])
    assert (tmp_path / MARKER).exists()


def _group_writable(path: Path) -> None:
    path.chmod(0o770)


def _world_writable(path: Path) -> None:
    path.chmod(0o777)


def _another_owner(path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a directory to another user")
    os.chown(path, 65534, -1)


def _a_symlink(path: Path) -> None:
    real = path.with_name("real-cache")
    path.rename(real)
    path.symlink_to(real)


@pytest.mark.parametrize("spoil", [_group_writable, _world_writable, _another_owner, _a_symlink])
def test_code_in_a_directory_others_can_write_is_never_loaded(tmp_path, folder, spoil):
    build(tmp_path, "a.docx")
    assert poison(folder, tmp_path / MARKER)
    spoil(folder)
    assert cache.cache_dir() is None
    again = build(tmp_path, "b.docx")
    assert not (tmp_path / MARKER).exists()
    assert parts(again) == parts(tmp_path / "a.docx")


def test_a_cache_path_that_cannot_be_a_directory_builds_uncached(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv(cache.ENV_VARIABLE, str(blocker / "cache"))
    assert cache.cache_dir() is None
    build(tmp_path, "a.docx")


@pytest.mark.parametrize("damage", [b"", b"garbage", None], ids=["empty", "garbage", "truncated"])
def test_a_damaged_entry_is_made_again(tmp_path, folder, damage):
    first = parts(build(tmp_path, "a.docx"))
    for entry in entries(folder):
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2] if damage is None else damage)
    assert parts(build(tmp_path, "b.docx")) == first
    assert parts(build(tmp_path, "c.docx")) == first
    for entry in entries(folder, "code-"):
        assert entry.read_bytes().startswith(bc_magic)


@pytest.mark.parametrize("where", ["正文第1段", "脚注第3段"])
def test_a_refused_template_is_refused_again_and_nothing_of_it_is_cached(tmp_path, folder, where):
    """In the body nothing of the template passes; in a footnote the body does, and is compiled."""
    if where == "正文第1段":
        template = in_body(tmp_path, popen(tmp_path))
    else:
        template = template_with(tmp_path, parts=footnotes(popen(tmp_path)))
    tail = f"模板中的“{{{{ (cycler).__init__.__globals__… }}}}”不允许使用（不能调用函数或方法），位置：{where}"
    assert_refused(tmp_path, template, tail)
    before = {p.name: p.read_bytes() for p in entries(folder, "code-")} if folder.exists() else {}
    assert_refused(tmp_path, template, tail)
    after = {p.name: p.read_bytes() for p in entries(folder, "code-")} if folder.exists() else {}
    assert after == before
    assert not any(b"cycler" in code for code in after.values())


def test_a_code_entry_names_what_its_verdict_depends_on():
    source = "{{ meta.agency }}"
    env = PolicyEnvironment({"meta": {"agency": "scalar"}})
    name = cache.code_name(env, source)
    assert name == cache.code_name(PolicyEnvironment({"meta": {"agency": "scalar"}}), source)
    assert name != cache.code_name(env, source + " ")
    assert name != cache.code_name(PolicyEnvironment({"meta": {}}), source)  # another shape
    env.autoescape = False
    assert name != cache.code_name(env, source)


def test_without_the_policys_text_nothing_is_cached(tmp_path, folder, monkeypatch):
    monkeypatch.setattr(cache, "policy_text", lambda: None)
    assert cache.Cache.default() is None
    build(tmp_path, "a.docx")
    assert not folder.exists() or not list(folder.iterdir())


def test_the_directory_keeps_the_newest_entries(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "CACHE_ENTRIES", limits.Limit(3, "个", "模板缓存中的文件数", ""))
    folder = tmp_path / "c"
    folder.mkdir(mode=0o700)
    store = cache.Cache(folder)
    for i in range(5):
        store.write(folder / f"patch-{i}.xml", b"x")
        os.utime(folder / f"patch-{i}.xml", (1000 + i, 1000 + i))
    assert [p.name for p in entries(folder)] == ["patch-2.xml", "patch-3.xml", "patch-4.xml"]


def test_two_builds_at_once_share_the_cache(tmp_path, folder):
    """Entries are renamed into place whole: two processes filling the cache together each get
    the right document, and so does the next build that reads what they left."""
    import subprocess
    import sys

    env = {**os.environ, cache.ENV_VARIABLE: str(folder)}
    outs = [tmp_path / f"p{i}.docx" for i in range(2)]
    running = [subprocess.Popen([sys.executable, "-m", "xlreport", "build", str(EXAMPLE), "-o", str(out)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for out in outs]
    for process in running:
        assert process.wait(timeout=120) == 0, process.stderr.read().decode()
    after = parts(build(tmp_path, "after.docx"))
    assert parts(outs[0]) == parts(outs[1]) == after
    left = [p.name for p in folder.iterdir() if p.name.startswith(".~") or p.name.endswith(".tmp")]
    assert left == []  # no temporary file behind (ours begin with .~, jinja2's end with .tmp)


def test_the_default_directory_is_under_the_users_cache(tmp_path, monkeypatch):
    monkeypatch.delenv(cache.ENV_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "xlreport"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")  # ignored, as the XDG spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "xlreport"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", "")  # no home: no cache, never one in the working folder
    monkeypatch.chdir(tmp_path)
    assert cache.cache_dir() is None
    assert not (tmp_path / "~").exists()
