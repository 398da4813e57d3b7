"""A user-private cache of what a Word template costs to prepare before it renders: docxtpl's
patched XML of each part, and the code jinja2 compiles from it.

Both are pure functions of their input and were half of a build of the package's own template
(patch_xml's regular expressions, then jinja2's lexer, parser and code generator). Every entry
is named by the SHA-256 of everything that made it: the input, the versions of docxtpl and
jinja2, the environment's class and the shape of the report's context, xlreport's version and
the text of the template policy. The policy's verdict on a source is part of its entry: code is stored only
after the source passed the policy in that environment, so a refused template is refused again.

The cache holds code, so it is trusted as Python trusts ``__pycache__``: it is used only in a
directory this user owns, that is no symbolic link and that no one else may write to; with
anything else every build runs uncached. Entries are written whole (a temporary file renamed
over), an entry that does not load is treated as missing and written again, and the directory
is kept to CACHE_ENTRIES files, the oldest removed first.

``XLREPORT_CACHE_DIR`` names the directory (default: ``$XDG_CACHE_HOME/xlreport``, else
``~/.cache/xlreport``); ``XLREPORT_CACHE_DIR=off`` turns the cache off.
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
import tempfile
from pathlib import Path

import docxtpl
import jinja2
from jinja2.bccache import Bucket, FileSystemBytecodeCache

from .. import limits
from ..version import __version__
from . import template_policy

ENV_VARIABLE = "XLREPORT_CACHE_DIR"
OFF = "off"
CACHE_FORMAT = "1"  # bumped when what an entry holds changes
DIGEST_BYTES = 65  # a patched part's entry: the SHA-256 of the text in hex, a line end, the text
PATCHED_BYTES = 4 * limits.TEMPLATE_PART.value  # a part that patching made longer is not kept


def cache_dir() -> Path | None:
    """The cache directory if it is safe to use (created when missing), else None."""
    named = os.environ.get(ENV_VARIABLE)
    if named == OFF:
        return None
    if named:
        folder = Path(named)
    else:
        # a relative XDG_CACHE_HOME is to be ignored (the XDG spec); with no home (HOME empty: "~"
        # reads as "/", or stays "~") there is no cache, rather than one in / or in the working folder
        base = os.environ.get("XDG_CACHE_HOME", "")
        if not os.path.isabs(base):
            home = os.path.expanduser("~")
            if not os.path.isabs(home) or home == os.sep:
                return None
            base = os.path.join(home, ".cache")
        folder = Path(base) / "xlreport"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return None
    return folder if is_private(info) else None


def is_private(info: os.stat_result) -> bool:
    """A real directory of this user's that no group or other may write to."""
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid()
            and not stat.S_IMODE(info.st_mode) & (stat.S_IWGRP | stat.S_IWOTH))


def key(*parts: str) -> str:
    """The SHA-256 of the parts, each length-prefixed (no two lists of parts share a key)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


@functools.cache
def policy_text() -> str | None:
    """The template policy's own source (a change of the policy is a change of every verdict),
    and xlreport's version; None where the source cannot be read (then nothing is cached)."""
    try:
        text = Path(template_policy.__file__).read_text(encoding="utf-8")
    except (OSError, TypeError, ValueError):  # TypeError: no __file__ (a frozen or zipped install)
        return None
    return f"{__version__}\n{text}"


class Cache:
    """One cache directory: patched parts as text, compiled sources as jinja2 bytecode."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.code = CodeCache(self)

    @classmethod
    def default(cls) -> Cache | None:
        folder = cache_dir()
        return cls(folder) if folder is not None and policy_text() is not None else None

    def patched(self, xml: str, patch) -> str:
        """``patch(xml)``, from the cache when it holds it whole (the entry begins with the
        SHA-256 of the rest: a damaged one is patched again)."""
        path = self.folder / f"patch-{key(CACHE_FORMAT, docxtpl.__version__, xml)}.xml"
        try:
            with open(path, "rb") as f:
                data = f.read(DIGEST_BYTES + PATCHED_BYTES + 1)
            digest, text = data[:DIGEST_BYTES], data[DIGEST_BYTES:]
            if len(text) <= PATCHED_BYTES and digest == hashlib.sha256(text).hexdigest().encode() + b"\n":
                return text.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            pass
        result = patch(xml)
        text = result.encode("utf-8", "surrogatepass")
        if len(text) <= PATCHED_BYTES:
            self.write(path, hashlib.sha256(text).hexdigest().encode() + b"\n" + text)
        return result

    def write(self, path: Path, data: bytes) -> None:
        """``data`` at ``path``, whole or not at all; a cache that cannot be written is skipped."""
        try:
            fd, tmp = tempfile.mkstemp(prefix=".~", dir=self.folder)
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            return
        self.prune()

    def prune(self) -> None:
        """At most CACHE_ENTRIES entries: the oldest go first."""
        try:
            entries = [entry for entry in os.scandir(self.folder) if entry.is_file(follow_symlinks=False)]
            if len(entries) <= limits.CACHE_ENTRIES.value:
                return
            entries.sort(key=lambda entry: entry.stat(follow_symlinks=False).st_mtime)
            for entry in entries[: len(entries) - limits.CACHE_ENTRIES.value]:
                os.unlink(entry.path)
        except OSError:
            pass


class CodeCache(FileSystemBytecodeCache):
    """jinja2's own bytecode cache (its file format, Python's version in its magic) in our
    directory, each entry named by code_name; an entry it cannot read is a miss."""

    def __init__(self, cache: Cache):
        super().__init__(str(cache.folder), "code-%s.cache")
        self.cache = cache

    def get_bucket(self, environment, name, filename, source) -> Bucket:
        named = code_name(environment, source)
        bucket = Bucket(environment, named, named)
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a damaged entry (pickle and marshal raise what they like): compile again
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            return
        self.cache.prune()


def code_name(env, source: str) -> str:
    """What names the code of ``source`` in ``env``: everything the compiled code and the
    policy's verdict on it depend on."""
    kind = type(env)
    return key(CACHE_FORMAT, jinja2.__version__, f"{kind.__module__}.{kind.__qualname__}", repr(env.autoescape),
               repr(getattr(env, "shape", None)), policy_text(), source)


__all__ = ["Cache", "CodeCache", "cache_dir", "is_private", "code_name", "ENV_VARIABLE", "OFF"]
