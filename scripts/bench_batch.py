"""Benchmark for many workbooks at once (issue 13: batch check and merge, a province's ten thousand files).

    python scripts/bench_batch.py [--n 2000 --n 10000] [--kind pristine|openpyxl|libreoffice ...]
                                  [--reader auto|calamine ...] [--repeat 1] [--baseline]

Workbooks as clients send them, three kinds:

    pristine     what xlreport writes (xlreport new, filled through the API)
    openpyxl     the same workbooks loaded and saved again by openpyxl
    libreoffice  the same workbooks re-saved by LibreOffice (soffice --headless --convert-to xlsx)

For each kind a set of distinct filled workbooks is made once (random valid values, about 1 in
50 with an error; LibreOffice converts a smaller set, it takes about a second a file), and a
corpus of N files is those copied round-robin under N names (cached in --dir, so a rerun does
not rebuild them, unless the writer now makes other workbooks). Then, each in a fresh process as
a user would run them:

    xlreport check FOLDER --json                                   (both cores)
    xlreport merge FOLDER -o 汇总.xlsx --agency … --allow-errors --force  (both cores)

``--reader calamine`` runs the same commands with XLREPORT_READER=calamine (the C scanner not
used; a switch for measuring only). First it prints the time one workbook takes to read
(reader.read_workbook, numbers only, in this process), then one table: kind × N × reader ×
command → workbooks per second (median of --repeat runs) and peak memory (the largest resident
set of the command and its worker processes; "memory flat" means the same at every N).
``--baseline`` adds the plain openpyxl loop (load every workbook, read the input cells,
recompute the totals and the balance rule) on a sample, for comparison.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path

from xlreport import model

from xlreport.format import spec
from xlreport.xlsx.writer import write_workbook

AGENCY_PARTS = ("县", "市", "区", "镇", "乡", "街道")
AGENCY_KINDS = ("商务局", "教育局", "卫生健康委员会", "自然资源局", "人民政府", "财政局", "公安局", "民政局")
KINDS = ("pristine", "openpyxl", "libreoffice")
READERS = ("auto", "calamine")
DISTINCT = {"pristine": 400, "openpyxl": 400, "libreoffice": 40}  # distinct workbooks behind each corpus


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


def _resave_openpyxl(args) -> None:
    import openpyxl

    src, dst = args
    openpyxl.load_workbook(src).save(dst)


@functools.cache
def writer_fingerprint() -> str:
    """What the workbooks are made by: the parts the writer makes of workbook 0 now (all but
    docProps/core.xml, which holds the time). A corpus an older writer made is made again."""
    with tempfile.TemporaryDirectory() as folder:
        _make((folder, 0))
        with zipfile.ZipFile(Path(folder) / "00000.xlsx") as z:
            digest = hashlib.sha256()
            for name in sorted(z.namelist()):
                if name != "docProps/core.xml":
                    digest.update(name.encode() + b"\0" + z.read(name))
    return digest.hexdigest()


def _done(folder: Path) -> bool:
    mark = folder / ".complete"
    return mark.exists() and mark.read_text() == writer_fingerprint()


def _complete(folder: Path) -> None:
    (folder / ".complete").write_text(writer_fingerprint())


def sources(kind: str, root: Path) -> Path:
    """The distinct workbooks of one kind, made once."""
    folder = root / f"sources-{kind}"
    if _done(folder):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t = time.perf_counter()
    if kind == "pristine":
        with ProcessPoolExecutor() as pool:
            list(pool.map(_make, [(str(folder), i) for i in range(DISTINCT[kind])], chunksize=16))
    elif kind == "openpyxl":
        base = sorted(sources("pristine", root).glob("*.xlsx"))[: DISTINCT[kind]]
        with ProcessPoolExecutor() as pool:
            list(pool.map(_resave_openpyxl, [(str(f), str(folder / f.name)) for f in base], chunksize=16))
    else:
        base = sorted(sources("pristine", root).glob("*.xlsx"))[: DISTINCT[kind]]
        with tempfile.TemporaryDirectory() as profile, tempfile.TemporaryDirectory() as staging:
            for f in base:  # soffice will not write over its input's folder name clash: stage copies
                shutil.copyfile(f, Path(staging) / f.name)
            subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
                            "--outdir", str(folder), *sorted(str(p) for p in Path(staging).glob("*.xlsx"))],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=1800)
        made = len(list(folder.glob("*.xlsx")))
        if made != len(base):
            raise SystemExit(f"LibreOffice converted {made} of {len(base)} workbooks")
    _complete(folder)
    print(f"  made {DISTINCT[kind]} {kind} workbooks in {time.perf_counter() - t:.0f} s (not counted)")
    return folder


def corpus(kind: str, n: int, root: Path) -> Path:
    """N files: the kind's distinct workbooks copied round-robin under N names."""
    folder = root / f"corpus-{kind}-{n}"
    if _done(folder):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    base = sorted(sources(kind, root).glob("*.xlsx"))
    for i in range(n):
        shutil.copyfile(base[i % len(base)], folder / f"{i:05d}.xlsx")
    _complete(folder)
    return folder


def timed_command(args: list[str], env: dict) -> tuple[float, float, int]:
    """Wall time, peak RSS in MB of the process tree, exit code."""
    runner = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "wall = time.perf_counter() - t\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(wall, peak, p.returncode)\n"
    )
    out = subprocess.run([sys.executable, "-c", runner, *args], capture_output=True, text=True, check=True, env=env).stdout.split()
    return float(out[0]), float(out[1]), int(out[2])


def reader_env(reader: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "XLREPORT_READER")}  # as installed: from bytecode
    if reader != "auto":
        env["XLREPORT_READER"] = reader
    return env


def repeated(args: list[str], times: int, env: dict) -> tuple[float, float, int]:
    """Median wall time, the largest peak RSS, the last exit code."""
    runs = [timed_command(args, env) for _ in range(times)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2]


def read_times(kinds, readers, root: Path, sample: int = 40, rounds: int = 5) -> list[tuple[str, str, float, str]]:
    """Milliseconds per workbook for reader.read_workbook (numbers only), in this process."""
    from xlreport.container import open_spreadsheet
    from xlreport.xlsx import reader, sheets

    out = []
    for kind in kinds:
        files = sorted(sources(kind, root).glob("*.xlsx"))[:sample]
        for which in readers:
            sheets.SCANNER = which != "calamine"
            for f in files[:3]:
                reader.read_workbook(f, with_text=False)  # warm the caches as a batch does
            t = time.perf_counter()
            for _ in range(rounds):
                for f in files:
                    reader.read_workbook(f, with_text=False)
            ms = (time.perf_counter() - t) * 1000 / (rounds * len(files))
            book, _ = sheets._load(open_spreadsheet(files[0]), False)
            out.append((kind, which, ms, "scanner" if book._scanned else "calamine"))
    sheets.SCANNER = True
    return out


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, action="append", help="number of workbooks (repeatable); default 2000 and 10000")
    ap.add_argument("--kind", choices=KINDS, action="append", help="kind of workbook (repeatable); default all three")
    ap.add_argument("--reader", choices=READERS, action="append", help="auto (scanner where it can) or calamine; default both")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each command; the median is reported (default 1)")
    ap.add_argument("--baseline", action="store_true", help="also time the plain openpyxl loop on a sample")
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "xlreport-bench", help="where the corpora are kept")
    args = ap.parse_args()
    sizes = args.n or [2000, 10000]
    kinds = args.kind or list(KINDS)
    readers = args.reader or list(READERS)
    xl = [sys.executable, "-m", "xlreport"]
    from xlreport.xlsx import cells as xlsx_cells

    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; "
          f"C scanner {'built' if xlsx_cells.AVAILABLE else 'NOT built (calamine for every workbook)'}; "
          f"load average {os.getloadavg()[0]:.2f} (other work on the machine slows every figure)")
    for kind in kinds:
        sources(kind, args.dir)
    print()
    print(f"{'kind':<12} {'reader':<9} {'ms/workbook':>11}  path taken")
    for kind, which, ms, path in read_times(kinds, readers, args.dir):
        print(f"{kind:<12} {which:<9} {ms:>11.2f}  {path}")
    rows = []
    for kind in kinds:
        for n in sizes:
            folder = corpus(kind, n, args.dir)
            out = args.dir / f"merged-{kind}-{n}.xlsx"
            for which in readers:
                env = reader_env(which)
                check = repeated(xl + ["check", str(folder), "--json"], args.repeat, env)
                merge = repeated(xl + ["merge", str(folder), "-o", str(out), "--agency", "测试县人民政府", "--allow-errors", "--force"],
                                 args.repeat, env)
                load = os.getloadavg()[0]
                for name, (wall, peak, rc) in (("check", check), ("merge", merge)):
                    rows.append((kind, n, which, name, n / wall, peak, rc, load))
                    print(f"  {kind} N={n} {which} {name}: {wall:.2f} s, {n / wall:.0f} workbooks/s, peak {peak:.0f} MB, exit {rc}", flush=True)
    print()
    print(f"{'kind':<12} {'N':>6} {'reader':<9} {'command':<7} {'files/s':>8} {'peak MB':>8} {'exit':>4} {'load':>5}")
    for kind, n, which, name, rate, peak, rc, load in rows:
        print(f"{kind:<12} {n:>6} {which:<9} {name:<7} {rate:>8.0f} {peak:>8.0f} {rc:>4} {load:>5.1f}")
    if args.baseline:
        files = sorted(sources("pristine", args.dir).glob("*.xlsx"))[:200]
        t = time.perf_counter()
        for f in files:
            openpyxl_check(f)
        print(f"\nopenpyxl loop (sample of {len(files)} pristine): {len(files) / (time.perf_counter() - t):.1f} workbooks/s (one core)")


if __name__ == "__main__":
    main()
