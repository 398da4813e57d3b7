"""Benchmark for `xlreport check` on one file and on many, against baselines run in the same run.

    python scripts/bench_check.py [--n 1000] [--runs 7]

Prints:
  (a) `xlreport check one.xlsx` as a whole process against `python -c pass`: the median of
      --runs runs each, and the ratio (what start-up costs on top of the interpreter);
  (b) reading and checking --n distinct filled workbooks (random valid values, written with
      write_workbook into a temporary folder; generation not timed) in this one process with
      api.check_file, against openpyxl.load_workbook (normal mode) on the same files:
      throughput of each (files/s) and the ratio;
  (c) which heavy modules `xlreport check` imports (python -X importtime): docxtpl, openpyxl,
      xlsxwriter, and for any that appears the import chain that brings it in.

No figure is asserted anywhere: this script is for reading, tests never time anything.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from benchenv import editable_warning, xlreport_command
from xlreport import api, model

from xlreport.format import spec
from xlreport.xlsx.writer import write_workbook

HEAVY = ("docxtpl", "openpyxl", "xlsxwriter", "docx", "jinja2", "lxml")


def random_report(rng: random.Random, i: int) -> model.Report:
    """A report that satisfies every rule, with distinct values per seed."""
    r = model.Report()
    r.meta.update(agency=f"测试{i}县商务局", year=rng.randint(2021, 2025), office="办公室", phone=f"0797-{rng.randint(1000000, 9999999)}")
    for f in spec.TABLE_BY_KEY["active"].fields:
        if f.unit is spec.Unit.COUNT:
            r.values[f.path] = rng.randint(0, 5000)
        else:
            r.values[f.path] = Decimal(rng.randint(0, 10**9)) / Decimal(10 ** rng.randint(0, 6))
    for col in spec.REQUEST_INPUT_COLUMNS:
        closed = 0
        for row in spec.REQUEST_RESULT_ROWS:
            v = rng.choice((0, 0, rng.randint(0, 20), rng.randint(0, 500)))
            r.values[("requests", row, col)] = v
            closed += v
        carried_over = rng.randint(0, 50)
        new = max(0, closed - carried_over) + rng.randint(0, 100)
        r.values[("requests", "carried_over", col)] = carried_over
        r.values[("requests", "new", col)] = new
        r.values[("requests", "carried_forward", col)] = new + carried_over - closed
    for group, _ in spec.APPEAL_GROUPS:
        for part, _ in spec.APPEAL_COLUMNS[:-1]:
            r.values[("appeals", group, part)] = rng.randint(0, 40)
    notices = rng.randint(1, 20)
    amount = Decimal(rng.randint(0, 10**6)) / 100
    r.values[("fees", "notices")] = notices
    r.values[("fees", "notice_amount")] = amount
    r.values[("fees", "collected")] = amount * rng.randint(0, 100) / 100
    return r.with_totals()


def median_run(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} exited with {proc.returncode}")
    return statistics.median(times)


def check_command(path: Path) -> list[str]:
    return [*xlreport_command(), "check", str(path)]


def import_chains(path: Path) -> tuple[dict[str, list[str]], list[tuple[int, str]]]:
    """Heavy module -> the chain of imports that loads it; and the slowest top-level imports."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "xlreport", "check", str(path)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    entries = []  # (level, name, cumulative µs), in the order printed: a module after its imports
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if not cumulative.strip().isdigit():
            continue
        stripped = name.lstrip()
        level = (len(name) - len(stripped) - 1) // 2
        entries.append((level, stripped.strip(), int(cumulative)))
    chains: dict[str, list[str]] = {}
    for i, (level, name, _) in enumerate(entries):
        top = name.split(".")[0]
        if top not in HEAVY or top in chains:
            continue
        chain, want = [name], level
        for later_level, later_name, _ in entries[i + 1:]:
            if later_level < want:
                chain.append(later_name)
                want = later_level
            if want == 0:
                break
        chains[top] = list(reversed(chain))
    slowest = sorted(((us, name) for level, name, us in entries if level == 0), reverse=True)[:6]
    return chains, slowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="number of distinct workbooks for (b)")
    parser.add_argument("--runs", type=int, default=7, help="runs per command for (a); the median is shown")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()

    import openpyxl  # the baseline of (b); imported here so it is not part of any timing

    with tempfile.TemporaryDirectory(prefix="xlreport-bench-") as tmp:
        folder = Path(tmp)
        rng = random.Random(args.seed)
        print(f"Python {sys.version.split()[0]} on {sys.platform}; generating {args.n} workbooks ...", flush=True)
        start = time.perf_counter()
        files = [write_workbook(folder / f"{i:05d}.xlsx", random_report(rng, i)) for i in range(args.n)]
        print(f"  generated in {time.perf_counter() - start:.1f} s (not counted)\n")
        one = files[0]

        # (a) one file, whole process
        warning = editable_warning()
        if warning:
            print(warning)
        cmd = check_command(one)
        base = median_run([sys.executable, "-c", "pass"], args.runs)
        whole = median_run(cmd, args.runs)
        print(f"(a) one file as a whole process, median of {args.runs} runs")
        print(f"    python -c pass            {base * 1000:8.1f} ms")
        print(f"    {Path(cmd[0]).name} check one.xlsx  {whole * 1000:8.1f} ms")
        print(f"    ratio                     {whole / base:8.2f} x   (xlreport's own share: {(whole - base) * 1000:.1f} ms)\n")

        # (b) many files in one process
        start = time.perf_counter()
        errors = 0
        for path in files:
            errors += api.check_file(path).errors
        ours = time.perf_counter() - start
        start = time.perf_counter()
        for path in files:
            openpyxl.load_workbook(path).close()
        theirs = time.perf_counter() - start
        print(f"(b) {args.n} distinct workbooks in one process (files were just written: warm page cache)")
        print(f"    api.check_file (read + all rules)  {args.n / ours:9.1f} files/s   ({ours / args.n * 1000:.2f} ms/file)")
        print(f"    openpyxl.load_workbook (load only) {args.n / theirs:9.1f} files/s   ({theirs / args.n * 1000:.2f} ms/file)")
        print(f"    ratio check_file / openpyxl        {theirs / ours:9.1f} x faster")
        print(f"    errors found in the valid workbooks: {errors} (should be 0)\n")

        # (c) heavy imports
        chains, slowest = import_chains(one)
        print("(c) modules imported by `xlreport check one.xlsx` (python -X importtime)")
        for name in ("docxtpl", "openpyxl", "xlsxwriter"):
            if name in chains:
                print(f"    {name:10s} IMPORTED via " + " -> ".join(chains[name]))
            else:
                print(f"    {name:10s} not imported")
        others = [n for n in chains if n not in ("docxtpl", "openpyxl", "xlsxwriter")]
        if others:
            print("    also: " + ", ".join(f"{n} via {' -> '.join(chains[n])}" for n in others))
        print("    slowest top-level imports: " + ", ".join(f"{name} {us / 1000:.1f} ms" for us, name in slowest))


if __name__ == "__main__":
    main()
