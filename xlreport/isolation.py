"""A hostile file read in a child process, within a memory and a time limit.

Some readers cannot be trusted with a crafted file: pdfminer reads a PDF whose objects refer to
each other in a loop for ever; calamine, handed an .xls whose allocation table loops or whose
sheet claims 2^20 × 16,384 cells, asks for gigabytes and aborts the
whole process (Rust aborts when an allocation fails: no Python handler sees it). In a child
process that costs the child: the parent hears "memory", "time" or "died" and tells the clerk
in one line, and a server that checks uploads in its own process lives on.

The child is held by RLIMIT_AS (``memory`` above what it starts with) and the parent's clock
(``seconds``; past it the child is killed), with RLIMIT_CPU a little longer in case the parent
is killed first. Where the system has fork (Linux) and this process runs no other thread, the
child is forked, so a reader imported once here (``preload``) is not imported again for each
file; elsewhere (Windows, a web server's threads) it is spawned, and without the resource
module only the time is limited. A spawned child imports the parent's main module again, as
multiprocessing always does: a script that reads an .xls or a PDF through xlreport from a thread
must start its work under ``if __name__ == "__main__":`` (xlreport's own entry points do).
A batch worker is a daemonic process and may not have children: there ``target`` runs in the
worker, which its pool already holds to a memory and a time limit (office/pool.py).
"""

from __future__ import annotations

import faulthandler
import gc
import importlib
import os
import signal
from typing import Callable

from .errors import InputError, LimitError
from .limits import Limit

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None

CPU_GRACE = 5  # CPU seconds past the time limit after which a child dies by itself (its parent gone)

# What run() gives back: ("done", value) | ("memory",) | ("time",) | ("died", exit code)
# | ("failed", the name of what target raised) | ("no child", why none could be started)
_MEMORY = ("memory",)


def read(path, what: str, target: Callable, args: tuple, memory: Limit, seconds: Limit, preload: tuple[str, ...] = ()) -> tuple:
    """run() for a reader of ``path``: ("done", value) or ("failed", what it raised). A limit
    passed raises LimitError, no child to be had InputError (``what``: the file's kind, as the
    message names it, spaced: " PDF ", " .xls 工作簿")."""
    outcome = run(target, args, memory.value, seconds.value, preload)
    kind = outcome[0]
    if kind == "time":
        raise LimitError.of(path, seconds)
    if kind in ("memory", "died"):
        raise LimitError.of(path, memory, "" if kind == "memory" else "读取进程意外退出")
    if kind == "no child":
        raise InputError(f"{path}：无法启动读取{what}的进程（{outcome[1]}）", "请稍后再试")
    return outcome


def run(target: Callable, args: tuple, memory: int, seconds: int, preload: tuple[str, ...] = ()) -> tuple:
    """``target(*args)`` in a child within ``memory`` bytes and ``seconds``; its value must pickle."""
    import multiprocessing  # here, not above: 26 M instructions every `xlreport check` of an .xlsx would pay

    ctx = _context(multiprocessing)
    if ctx is None:  # a daemonic batch worker: its pool limits it
        return ("done", target(*args))
    if ctx.get_start_method() == "fork":
        for name in preload:
            try:
                importlib.import_module(name)  # here once: every child forked from now on has it
            except ImportError:  # the child finds out, and says what is missing
                pass
    reader, writer = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, daemon=True, args=(writer, target, args, memory, seconds))
    try:
        try:
            child.start()
        except OSError as e:  # no process to be had (too many, no memory)
            return ("no child", e.strerror or type(e).__name__)
        writer.close()  # the child's end: once the child is gone, reading it gives EOF
        return _answer(child, reader, seconds)
    finally:  # also on Ctrl-C: no child is left reading
        if child.is_alive():
            child.kill()
        if child.pid is not None:
            child.join()
        writer.close()
        reader.close()


def _context(multiprocessing):
    """How to start the child: fork where there is fork and no other thread (a fork beside
    threads can inherit a lock held for ever); spawn otherwise; None where no child may be had."""
    if multiprocessing.current_process().daemon:
        return None
    import threading

    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _answer(child, reader, seconds: int) -> tuple:
    """The child's outcome; "time" when it does not answer in time, "died" when it dies without one."""
    if not reader.poll(seconds):  # an answer, or the pipe closed by the child's death
        return ("time",)
    try:
        return reader.recv()
    except Exception:  # EOFError: died before answering; a broken pickle: died while answering
        pass
    child.join()
    code = child.exitcode
    if resource is not None and code == -getattr(signal, "SIGXCPU", 0):
        return ("time",)  # its own CPU limit (see _cap)
    return ("died", code)


def _child(writer, target: Callable, args: tuple, memory: int, seconds: int) -> None:
    """Run ``target`` within the limits and send the outcome; nothing escapes (multiprocessing
    would print a traceback)."""
    from multiprocessing.reduction import ForkingPickler

    full = ForkingPickler.dumps(_MEMORY)  # made now: when the memory is full, nothing more can be
    try:
        _silence()
        _cap(memory, seconds)
        outcome = ("done", target(*args))
    except MemoryError:
        outcome = _MEMORY
    except BaseException as e:  # a reader's error it did not turn into a value of its own
        outcome = ("failed", type(e).__name__)
    try:
        try:
            if outcome == _MEMORY:
                raise MemoryError
            writer.send(outcome)
        except MemoryError:
            outcome = None  # what did not fit, given up
            gc.collect()  # a reader's objects that hold one another: freed here
            writer.send_bytes(full)
    except BaseException:  # pragma: no cover - the parent is gone
        pass
    finally:
        writer.close()


def _silence() -> None:
    """Nothing from the child reaches the clerk's terminal: not Ctrl-C (the parent's, which ends
    the child), not a library's last words when the memory runs out (written to fd 2), not a
    fault handler's traceback when it aborts (written to wherever it was enabled to)."""
    faulthandler.disable()
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # pragma: no cover - not the main thread
        pass
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def _cap(memory: int, seconds: int) -> None:
    """RLIMIT_AS: ``memory`` above what the child starts with (a forked child shares its parent's
    address space, which is not the file's doing); RLIMIT_CPU: a little past the time limit, so
    that a child whose parent was killed does not read on for ever."""
    if resource is None:
        return
    _lower(resource.RLIMIT_AS, _address_space() + memory)
    _lower(resource.RLIMIT_CPU, seconds + CPU_GRACE)


def _lower(which: int, want: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if soft == resource.RLIM_INFINITY or want < soft:
        resource.setrlimit(which, (want, hard))


def _address_space() -> int:
    """Bytes of address space this process has now (Linux), else 0."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0
