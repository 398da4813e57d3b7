"""Benchmark for many workbooks at once (issue: batch check, merge, a province's ten thousand files).

    python scripts/bench_batch.py --n 1000 --n 10000 [--repeat 3]

For each N it builds N distinct filled workbooks (random valid values, about 1 in 50 with an
error; cached in a folder so a rerun does not rebuild them), then times, each in a fresh
process as a user would run them:

    xlreport check FOLDER --summary-only      (both cores)
    xlreport merge FOLDER -o 汇总.xlsx --force  (both cores)

and the same checking done by a plain openpyxl loop (load every workbook, read the input
cells, recompute the totals and the balance rule) on a sample of the files in the same run.
It prints throughput (workbooks per second; the median of --repeat runs, with the range),
the ratio to openpyxl, and peak memory (the largest resident set of the command and its
worker processes). Whether the C scanner is built is printed first: without it every
workbook is read by calamine, at about half the speed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path

from xlreport import model

from xlreport.format import spec
from xlreport.xlsx.writer import write_workbook

AGENCY_PARTS = ("县", "市", "区", "镇", "乡", "街道")
AGENCY_KINDS = ("商务局", "教育局", "卫生健康委员会", "自然资源局", "人民政府", "财政局", "公安局", "民政局")


def random_report(seed: int, broken: bool) -> model.Report:
    rng = random.Random(seed)
    r = model.Report()
    r.meta.update(agency=f"测试{seed}{rng.choice(AGENCY_PARTS)}{rng.choice(AGENCY_KINDS)}", year=2024,
                  office="办公室", phone=f"0797-{rng.randint(1000000, 9999999)}")
    for f in spec.INPUT_FIELDS:
        if f.unit is spec.Unit.COUNT:
            r.values[f.path] = rng.choice((0, 0, 0, rng.randint(0, 30), rng.randint(0, 3000)))
        else:
            r.values[f.path] = Decimal(rng.randint(0, 10**6)) / Decimal(10 ** rng.randint(0, 4))
    for col in spec.REQUEST_INPUT_COLUMNS:
        r.values[("requests", "carried_forward", col)] = 0
    computed = r.all_computed()
    for col in spec.REQUEST_INPUT_COLUMNS:
        closed = computed[("requests", "closed_total", col)]
        carried = r.values[("requests", "carried_over", col)]
        r.values[("requests", "new", col)] = closed - carried + rng.randint(0, 5) if closed >= carried else 0
        r.values[("requests", "carried_forward", col)] = r.values[("requests", "new", col)] + carried - closed
    r.values[("fees", "notices")] = rng.randint(1, 5)
    r.values[("fees", "collected")] = r.values[("fees", "notice_amount")]
    if broken:
        r.values[("requests", "carried_forward", "natural_person")] += 1
    return r.with_totals()


def _make(args) -> None:
    folder, i = args
    write_workbook(Path(folder) / f"{i:05d}.xlsx", random_report(i, broken=i % 50 == 7))


def corpus(n: int, root: Path) -> Path:
    folder = root / f"corpus-{n}"
    marker = folder / ".complete"
    if marker.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t = time.perf_counter()
    with ProcessPoolExecutor() as pool:
        list(pool.map(_make, [(str(folder), i) for i in range(n)], chunksize=64))
    marker.touch()
    print(f"  built {n} workbooks in {time.perf_counter() - t:.0f} s (not counted)")
    return folder


def timed_command(args: list[str]) -> tuple[float, float, int]:
    """Wall time, peak RSS in MB of the process tree, exit code."""
    runner = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "wall = time.perf_counter() - t\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(wall, peak, p.returncode)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as installed: from bytecode
    out = subprocess.run([sys.executable, "-c", runner, *args], capture_output=True, text=True, check=True, env=env).stdout.split()
    return float(out[0]), float(out[1]), int(out[2])


def openpyxl_check(path: Path) -> int:
    """What check does, done the plain way: openpyxl (normal mode), input cells, sums, the balance rule."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    values = {}
    for f in spec.INPUT_FIELDS:
        v = wb[f.sheet][f.cell].value
        values[f.path] = v or 0
    for f in spec.TOTAL_FIELDS:
        values[f.path] = sum(values[p] for p in f.total_of)
    broken = 0
    for eq in spec.EQUATIONS:
        if sum(values[p] for p in eq.lhs) != sum(values[p] for p in eq.rhs):
            broken += 1
    return broken


def repeated(args: list[str], times: int) -> tuple[float, float, float, float, int]:
    """Median, fastest and slowest wall time, the largest peak RSS, the last exit code."""
    runs = [timed_command(args) for _ in range(times)]
    walls = sorted(r[0] for r in runs)
    return statistics.median(walls), walls[0], walls[-1], max(r[1] for r in runs), runs[-1][2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, action="append", help="number of workbooks (repeatable); default 1000 and 10000")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each command; the median is reported (default 3)")
    ap.add_argument("--sample", type=int, default=200, help="files loaded with openpyxl for the baseline (default 200)")
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "xlreport-bench", help="where the corpora are kept")
    args = ap.parse_args()
    sizes = args.n or [1000, 10000]
    xl = [sys.executable, "-m", "xlreport"]
    from xlreport.xlsx import cells as xlsx_cells

    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; "
          f"C scanner {'built' if xlsx_cells.AVAILABLE else 'NOT built (calamine for every workbook)'}")
    rows = []
    for n in sizes:
        print(f"N = {n}")
        folder = corpus(n, args.dir)
        out = args.dir / f"merged-{n}.xlsx"
        check = repeated(xl + ["check", str(folder), "--summary-only"], args.repeat)
        merge = repeated(xl + ["merge", str(folder), "-o", str(out), "--agency", "测试县人民政府", "--force"], args.repeat)
        files = sorted(folder.glob("*.xlsx"))[: args.sample]
        t = time.perf_counter()
        for f in files:
            openpyxl_check(f)
        openpyxl_rate = len(files) / (time.perf_counter() - t)
        for name, (wall, fast, slow, peak, rc) in (("check", check), ("merge", merge)):
            print(f"  {name}: median {wall:.2f} s of {args.repeat} ({fast:.2f}–{slow:.2f} s), {n / wall:.0f} workbooks/s "
                  f"({n / slow:.0f}–{n / fast:.0f}), exit {rc}, peak {peak:.0f} MB")
        print(f"  openpyxl loop (sample of {len(files)}): {openpyxl_rate:.1f} workbooks/s; check is {n / check[0] / openpyxl_rate:.0f}x that")
        rows.append((n, n / check[0], n / merge[0], openpyxl_rate, check[3], merge[3]))
    print()
    print(f"{'N':>7} {'check/s':>9} {'merge/s':>9} {'openpyxl/s':>11} {'ratio':>7} {'check MB':>9} {'merge MB':>9}")
    for n, c, m, o, cp, mp in rows:
        print(f"{n:>7} {c:>9.0f} {m:>9.0f} {o:>11.1f} {c / o:>6.0f}x {cp:>9.0f} {mp:>9.0f}")


if __name__ == "__main__":
    main()
