"""Worker processes that survive any one job: a batch of a thousand files loses none for one bad file.

concurrent.futures' process pool breaks as a whole when one worker dies (a reader aborting on a
hostile file, the kernel killing it): every job in flight is lost. Here each worker takes a
chunk of jobs and answers job by job, so when it dies or overruns its time the parent knows
which job it was on: that job comes back as a ``Failed``, the rest of the chunk goes to the
next worker, and a fresh worker takes the dead one's place.

Each worker caps its own memory (RLIMIT_AS) and each job's time (an interval timer); the parent
watches as well, for code that a signal cannot interrupt. Results come back in input order.
"""

from __future__ import annotations

import collections
import faulthandler
import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None

GRACE_SECONDS = 5  # past a job's time limit before the parent kills a worker that does not answer

# glibc's malloc hands a freed block past its thresholds back to the kernel (and serves large
# blocks from mmap), so a worker reading one LibreOffice-saved workbook after another (each
# inflates a shared-string table of some 300 KB) had the kernel zero the same pages afresh for
# every file: a sixth of its time went to page faults. Below these bounds the heap is reused;
# the worker's peak memory is the same.
KEEP_HEAP_BYTES = 16 * 1024 * 1024  # free space at the heap's top kept for the next job
HEAP_BLOCK_BYTES = 4 * 1024 * 1024  # blocks up to this size come from the heap, not from mmap
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters, from glibc's malloc.h


@dataclass(frozen=True)
class Failed:
    """A job that did not finish: ``why`` is memory | time | crash; ``detail`` says more."""

    why: str
    detail: str = ""


class _TimeUp(BaseException):
    """Raised in a worker by its timer; a BaseException so that no reader's ``except Exception``
    mistakes it for a broken file."""


def _on_timer(signum, frame):
    raise _TimeUp()


def _keep_heap() -> None:
    """Tune glibc's malloc for a worker's many similar jobs (see KEEP_HEAP_BYTES); elsewhere
    there is nothing to tune."""
    try:
        import ctypes  # only in a worker: a single check starts none, and need not import it

        mallopt = ctypes.CDLL(None).mallopt
    except (ImportError, OSError, AttributeError, TypeError):
        return  # no ctypes, no C library to load (Windows), or no mallopt (macOS)
    mallopt(_M_TRIM_THRESHOLD, KEEP_HEAP_BYTES)
    mallopt(_M_MMAP_THRESHOLD, HEAP_BLOCK_BYTES)


def _serve(conn, fn: Callable, memory: int | None, seconds: int | None) -> None:
    """A worker's loop: chunks in, one answer per job out, until told to stop."""
    _keep_heap()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # a reader dying on a hostile file prints its last words (a Rust panic, Python's fatal
    # error report) to stderr: the clerk is told in one line by the parent instead
    faulthandler.disable()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    if memory and resource is not None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    timed = bool(seconds) and hasattr(signal, "setitimer")
    if timed:
        signal.signal(signal.SIGALRM, _on_timer)
    while True:
        try:
            chunk = conn.recv()
        except EOFError:
            return
        if chunk is None:
            return
        for index, job in chunk:
            try:
                if timed:
                    signal.setitimer(signal.ITIMER_REAL, seconds)
                result = fn(job)
            except _TimeUp:
                result = Failed("time")
            except MemoryError:
                result = Failed("memory")
            finally:
                if timed:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            try:
                conn.send((index, result))
            except MemoryError:
                conn.send((index, Failed("memory")))


def _context():
    import multiprocessing  # here, not at the top: a single check starts no worker and need not pay for it

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")  # cheap: the worker inherits what is imported
    if "forkserver" in methods:
        return multiprocessing.get_context("forkserver")  # fork is unsafe beside other threads
    return multiprocessing.get_context("spawn")


class _Worker:
    def __init__(self, ctx, fn, memory, seconds):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, fn, memory, seconds), daemon=True)
        self.process.start()
        child.close()
        self.chunk: collections.deque = collections.deque()  # (index, job) sent and not answered
        self.since = 0.0  # when the job now running began (its last answer, or the send)

    def send(self, chunk: list) -> None:
        self.chunk.extend(chunk)
        self.since = time.monotonic()
        self.conn.send(chunk)

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _death(worker: _Worker) -> Failed:
    code = worker.process.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return Failed("crash", name)
    return Failed("crash", f"exit {code}")


class Pool:
    """``map(jobs)`` runs ``fn(job)`` for each job in ``workers`` processes; a job that kills its
    worker, exhausts its memory or its time comes back as a ``Failed``, never as an exception."""

    def __init__(self, fn: Callable, workers: int, memory: int | None = None, seconds: int | None = None,
                 chunk: int = 1, window: int = 4096):
        self.fn, self.workers, self.memory, self.seconds = fn, workers, memory, seconds
        self.chunk, self.window = max(1, chunk), max(workers * chunk * 2, window)
        self._ctx = _context()

    def map(self, jobs: Iterable) -> Iterator:
        todo = iter(enumerate(jobs))
        retry: collections.deque = collections.deque()  # jobs of a dead worker's chunk, to go first
        done: dict[int, object] = {}
        next_out = 0
        taken = 0  # jobs drawn from ``todo``
        exhausted = False
        idle = [self._start() for _ in range(self.workers)]
        busy: list[_Worker] = []
        try:
            while True:
                while idle and (retry or not exhausted) and taken - next_out < self.window:
                    chunk = [retry.popleft() for _ in range(min(self.chunk, len(retry)))]
                    while len(chunk) < self.chunk and not retry and not exhausted:
                        item = next(todo, None)
                        if item is None:
                            exhausted = True
                            break
                        chunk.append(item)
                        taken += 1
                    if not chunk:
                        break
                    worker = idle.pop()
                    worker.send(chunk)
                    busy.append(worker)
                while next_out in done:
                    yield done.pop(next_out)
                    next_out += 1
                if not busy:
                    if exhausted and not retry:
                        return
                    continue
                self._collect(busy, idle, retry, done)
        finally:
            for worker in busy:
                worker.kill()
            for worker in idle:
                worker.stop()

    def _start(self) -> _Worker:
        return _Worker(self._ctx, self.fn, self.memory, self.seconds)

    def _collect(self, busy: list, idle: list, retry: collections.deque, done: dict) -> None:
        """Wait for answers (or deaths) and file them; replace what died or overran."""
        timeout = None
        if self.seconds:
            now = time.monotonic()
            timeout = max(0.0, min(w.since for w in busy) + self.seconds + GRACE_SECONDS - now)
        from multiprocessing.connection import wait

        ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout)
        for worker in list(busy):
            if worker.conn in ready or worker.conn.poll():
                try:
                    while worker.conn.poll():
                        index, result = worker.conn.recv()
                        done[index] = result
                        worker.chunk.popleft()
                        worker.since = time.monotonic()
                except (EOFError, OSError):
                    pass  # it died mid-answer: the sentinel says so below
            overran = self.seconds and time.monotonic() - worker.since > self.seconds + GRACE_SECONDS
            dead = not worker.process.is_alive()
            if not worker.chunk and not dead:
                busy.remove(worker)
                idle.append(worker)
                continue
            if dead or overran:
                failure = Failed("time") if overran and not dead else _death(worker)
                worker.kill()
                busy.remove(worker)
                if worker.chunk:
                    index, _ = worker.chunk.popleft()
                    done[index] = failure
                    retry.extendleft(reversed(worker.chunk))
                idle.append(self._start())


def default_workers() -> int:
    return os.cpu_count() or 1


__all__ = ["Pool", "Failed", "default_workers"]
