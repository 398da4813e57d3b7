"""A batch survives any one file: a worker that is killed, aborts, runs out of memory or of time
costs that file's line only; the pool replaces the worker and every other file is checked."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from factories import filled_report, write
from xlreport import limits
from xlreport.office import batch
from xlreport.office import pool
from xlreport.cli import cli
from xlreport.office.pool import Failed, Pool

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the poisoned jobs are planted through fork")


def _job(job):
    """Doubles a number; the named jobs misbehave the way a hostile file makes a reader misbehave."""
    if job == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if job == "abort":
        os.abort()
    if job == "hog":
        return len(bytearray(8 * 1024**3))  # past the worker's RLIMIT_AS: MemoryError
    if job == "slow":
        time.sleep(60)
    if job == "stuck":  # deaf to its own timer, as code in a C library is: the parent kills it
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(60)
    return job * 2


@pytest.mark.parametrize("chunk", [1, 3])
def test_each_bad_job_is_one_failure_and_the_rest_are_done(chunk, monkeypatch):
    monkeypatch.setattr(pool, "GRACE_SECONDS", 0.5)
    jobs = [1, "kill", 2, 3, "abort", 4, "hog", 5, "slow", 6, "stuck", 7, 8, 9]
    results = list(Pool(_job, 2, memory=1024**3, seconds=1, chunk=chunk).map(jobs))
    assert results == [
        2, Failed("crash", "SIGKILL"), 4, 6, Failed("crash", "SIGABRT"), 8, Failed("memory"), 10,
        Failed("time"), 12, Failed("time"), 14, 16, 18,
    ]


def test_results_come_back_in_input_order():
    assert list(Pool(_job, 2, chunk=5).map(range(200))) == [i * 2 for i in range(200)]


def _heap_kept_after_freeing(size: int) -> bool | None:
    """Whether the heap still holds a block of ``size`` bytes once it is freed (None: no glibc
    mallinfo2 to ask)."""
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in
                    ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

    try:
        mallinfo2 = ctypes.CDLL(None).mallinfo2
    except AttributeError:
        return None
    mallinfo2.restype = MallInfo2
    block = bytearray(size)
    del block
    return mallinfo2().fordblks >= size


def test_a_worker_keeps_its_heap_between_jobs():
    # a sixth of a worker's time went to the kernel zeroing the pages of each file's freed blocks
    size = 2 * 1024 * 1024  # a LibreOffice-saved workbook's parts, inflated, are of this order
    kept = list(Pool(_heap_kept_after_freeing, 1).map([size]))
    if kept == [None]:
        pytest.skip("not glibc")
    assert kept == [True]
    assert size < pool.HEAP_BLOCK_BYTES <= pool.KEEP_HEAP_BYTES


def test_the_workers_are_gone_afterwards():
    p = Pool(_job, 2, chunk=2)
    assert list(p.map([1, "kill", 2])) == [2, Failed("crash", "SIGKILL"), 4]
    time.sleep(0.2)
    assert [c for c in os.listdir("/proc/self/task")]  # still alive ourselves
    import multiprocessing

    assert multiprocessing.active_children() == []


# --- the same through xlreport check / merge ------------------------------------------------------

GOOD = 20


@pytest.fixture()
def folder(tmp_path):
    root = tmp_path / "收到"
    root.mkdir()
    one = write(tmp_path / "一份.xlsx", filled_report())
    for i in range(GOOD):
        shutil.copyfile(one, root / f"{i:02d}-单位.xlsx")
    shutil.copyfile(one, root / "10-有毒.xlsx")
    return root


def _poisoned(how):
    real = batch.check_one

    def check_one(path, *args, **kwargs):
        if "有毒" in str(path):
            _job(how)
        return real(path, *args, **kwargs)

    return check_one


@pytest.mark.parametrize("how, line", [
    ("kill", "读取这个文件的进程意外退出（SIGKILL；可能超过批量检查中每个进程的内存的上限2048 MB）"),
    ("abort", "读取这个文件的进程意外退出（SIGABRT；可能超过批量检查中每个进程的内存的上限2048 MB）"),
    ("hog", "批量检查中每个进程的内存超过上限（上限2048 MB），已停止读取这个文件"),
])
def test_a_poisoned_file_costs_its_own_line_only(folder, monkeypatch, how, line):
    monkeypatch.setattr(batch, "check_one", _poisoned(how))
    monkeypatch.chdir(folder.parent)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = CliRunner().invoke(cli, ["check", "收到", "--json", "--jobs", "2"])
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    statuses = {Path(f["file"]).name: f["status"] for f in doc["files"]}
    assert len(statuses) == GOOD + 1
    assert statuses.pop("10-有毒.xlsx") == "unreadable"
    assert set(statuses.values()) == {"ok"}
    (bad,) = [f for f in doc["files"] if f["status"] == "unreadable"]
    assert bad["message"] == f"收到/10-有毒.xlsx：无法读取：{line}"
    assert bad["hint"] == "文件可能已损坏或是伪造的；其余文件照常检查"
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_file_past_its_time_is_stopped(folder, monkeypatch):
    monkeypatch.setattr(batch, "check_one", _poisoned("slow"))
    monkeypatch.setattr(limits, "FILE_SECONDS", limits.Limit(1, "秒", limits.FILE_SECONDS.name, ""))
    monkeypatch.chdir(folder.parent)
    result = CliRunner().invoke(cli, ["check", "收到", "--summary-only", "--jobs", "2"])
    assert result.exit_code == 2
    assert f"共 {GOOD + 1} 个文件：{GOOD} 个通过，0 个有错误，1 个无法读取。" in result.stdout.splitlines()


def test_merge_names_the_poisoned_file_and_adds_up_nothing_silently(folder, monkeypatch, tmp_path):
    """A sum without one agency would be a wrong sum: the merge says which file it could not read."""
    monkeypatch.setattr(batch, "check_one", _poisoned("kill"))
    monkeypatch.chdir(folder.parent)
    result = CliRunner().invoke(cli, ["merge", "收到", "-o", "汇总.xlsx", "--agency", "某县人民政府", "--jobs", "2"])
    assert result.exit_code == 2
    assert result.stderr.startswith("错误：有文件无法读取，未汇总：收到/10-有毒.xlsx：无法读取：读取这个文件的进程意外退出（SIGKILL")
    assert not Path("汇总.xlsx").exists()


# --- one file read in a child process (isolation.run: .xls, PDF) -------------------------------------

MB = 1024 * 1024


def _allocate(n: int) -> int:
    return len(bytearray(n))


def _refuse() -> None:
    raise ValueError("not a workbook")


ONE_CHILD = [  # (target, args, seconds), what run() says
    ((_allocate, (10,), 5), ("done", 10)),
    ((_allocate, (4096 * MB,), 5), ("memory",)),  # past its RLIMIT_AS: MemoryError in the child
    ((time.sleep, (60,), 1), ("time",)),
    ((os.abort, (), 5), ("died", -signal.SIGABRT)),  # as calamine dies when an allocation fails
    ((_refuse, (), 5), ("failed", "ValueError")),
]


@pytest.mark.parametrize("threads", [False, True], ids=["forked", "spawned beside a thread"])
@pytest.mark.parametrize("job, said", ONE_CHILD, ids=[said[0] for _, said in ONE_CHILD])
def test_one_read_in_a_child_says_what_became_of_it(job, said, threads):
    from xlreport import isolation

    target, args, seconds = job
    outcome = []
    run = lambda: outcome.append(isolation.run(target, args, 256 * MB, seconds))  # noqa: E731
    if threads:
        worker = threading.Thread(target=run)
        worker.start()
        worker.join()
    else:
        run()
    assert outcome == [said]
    assert multiprocessing.active_children() == []
