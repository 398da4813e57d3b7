"""The work a page asks for runs here, in a bounded pool (limits.WEB_WORKERS): a request waits a
moment for a quick job and otherwise gets a page that follows its progress, so a long job (a
folder of uploads, a PDF conversion) never holds up the other users.

Files made for download are kept under random ids in a folder of their own, a bounded number of
them (limits.KEPT_RESULTS) for an hour.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout  # a class of its own before 3.11
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import limits

QUICK_SECONDS = 3  # a job done within this is answered in the same request
KEPT_SECONDS = 3600


@dataclass
class Job:
    """Work the server runs in the background for one session, and how far it has got."""

    id: str
    title: str
    owner: str  # whose session started it: nobody else sees it
    total: int = 1
    done: int = 0
    future: Future | None = None
    started: float = field(default_factory=time.monotonic)
    work: "Work | None" = None

    def keep(self, path: Path, name: str) -> str:
        """Offer a file this job made for download, to the session that started it."""
        return self.work.keep(path, name, self.owner)

    @property
    def finished(self) -> bool:
        return self.future is not None and self.future.done()


class Work:
    """The pool, the jobs in it and the files they made."""

    def __init__(self, workers: int | None = None):
        self._pool = ThreadPoolExecutor(max_workers=workers or limits.WEB_WORKERS.value, thread_name_prefix="xlreport-work")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._dir = tempfile.TemporaryDirectory(prefix="xlreport-serve-")
        self._files: dict[str, tuple[Path, str, float, str]] = {}  # id -> (path, download name, made, owner)
        self._folders: list[tuple[Path, float]] = []  # the jobs' folders, oldest first: a server runs for months

    # --- jobs ---

    def start(self, title: str, owner: str, fn: Callable[[Job], object], total: int = 1) -> Job:
        job = Job(secrets.token_urlsafe(12), title, owner, total, work=self)
        with self._lock:
            self._forget_old_jobs()
            self._jobs[job.id] = job
        job.future = self._pool.submit(fn, job)
        return job

    def job(self, job_id: str, owner: str) -> Job | None:
        job = self._jobs.get(job_id)
        return job if job is not None and secrets.compare_digest(job.owner, owner) else None

    def wait(self, job: Job, seconds: float = QUICK_SECONDS) -> bool:
        try:
            job.future.exception(timeout=seconds)
        except FutureTimeout:
            return False
        return True

    def _forget_old_jobs(self) -> None:
        old = time.monotonic() - KEPT_SECONDS
        for key in [k for k, j in self._jobs.items() if j.finished and j.started < old]:
            del self._jobs[key]

    # --- files to download ---

    def folder(self) -> Path:
        """A new private folder for a job's files (removed an hour later with what is in it)."""
        path = Path(tempfile.mkdtemp(dir=self._dir.name))
        with self._lock:
            self._folders.append((path, time.monotonic()))
            self._prune()
        return path

    def keep(self, path: Path, name: str, owner: str) -> str:
        """Offer ``path`` for download as ``name`` to ``owner``'s session; the id to ask for it by."""
        key = secrets.token_urlsafe(16)
        with self._lock:
            self._files[key] = (path, name, time.monotonic(), owner)
            self._prune()
        return key

    def file(self, key: str, owner: str) -> tuple[Path, str] | None:
        found = self._files.get(key)
        if found is None or not secrets.compare_digest(found[3], owner) or not found[0].exists():
            return None
        return found[0], found[1]

    def _prune(self) -> None:
        now = time.monotonic()
        order = sorted(self._files.items(), key=lambda kv: kv[1][2])
        excess = len(order) - limits.KEPT_RESULTS.value
        for i, (key, (path, _, made, _owner)) in enumerate(order):
            if i < excess or now - made > KEPT_SECONDS:
                del self._files[key]
                path.unlink(missing_ok=True)
        while self._folders and now - self._folders[0][1] > KEPT_SECONDS:
            shutil.rmtree(self._folders.pop(0)[0], ignore_errors=True)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self._dir.name, ignore_errors=True)
