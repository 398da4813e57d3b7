"""Whole-process timings of the commands a clerk runs, against `python -c pass`.

    python scripts/bench_commands.py [--runs 9] [--breakdown]

Prints, for `xlreport new`, `check`, `export` and `build` on the bundled example, the median
wall time of several runs and the median of its ratios to `python -c pass`, each run right
after one of it, and which heavy modules each command imports. `build` is timed with its template
cache filled (every build after the first) and without it; the two "floor" rows only import
the libraries check and build stand on (click and the standard modules, docxtpl): no code of
ours can start faster than that. ``--breakdown`` then runs each command
once more in a process that times, inside it, what start-up is made of: creating the
dataclasses, compiling regular expressions, and the rest (imports and the work itself), with
the costliest of each (where the next millisecond is to be found).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchenv import editable_warning, xlreport_command

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_JSON = ROOT / "examples" / "shangyou-commerce-2024.json"
EXAMPLE_XLSX = ROOT / "examples" / "shangyou-commerce-2024.xlsx"
HEAVY = ("openpyxl", "xlsxwriter", "docxtpl", "docx", "jinja2", "lxml")
# measure what a user gets: an installed package runs from compiled bytecode
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _wall(cmd: list[str], cwd: Path, env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t


def paired(cmd: list[str], base: list[str], runs: int, cwd: Path, extra: dict | None = None) -> tuple[float, float]:
    """The command's median wall time, and the median of its ratio to `base` run just before it,
    pair by pair: the machine's speed drifts (the same command varies by half from one minute
    to the next), a ratio of neighbours much less."""
    env = {**ENV, **(extra or {})}
    _wall(cmd, cwd, env)  # warm: bytecode, disk cache
    walls, ratios = [], []
    for _ in range(runs):
        b = _wall(base, cwd, ENV)
        a = _wall(cmd, cwd, env)
        walls.append(a)
        ratios.append(a / b)
    return statistics.median(walls), statistics.median(ratios)


def heavy_imports(cmd: list[str], cwd: Path, extra: dict) -> list[str]:
    err = subprocess.run([sys.executable, "-X", "importtime", "-m", "xlreport", *cmd[len(xlreport_command()):]], cwd=cwd, capture_output=True, text=True,
                         env={**ENV, **extra}).stderr
    names = {line.split("|")[-1].strip() for line in err.splitlines() if line.startswith("import time:")}
    return sorted(h for h in HEAVY if h in names)


# Runs the command in this process with dataclass creation and re.compile timed (their calls
# nest in imports: the figures are inclusive of neither's callers)
_BREAKDOWN = r"""
import contextlib, dataclasses, io, re, sys, time
start = time.perf_counter()
spent = {"dataclasses": [], "regular expressions": []}

def timed(kind, fn, name):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[kind].append((time.perf_counter() - t, name(*args)))
    return wrapper

dataclasses._process_class = timed("dataclasses", dataclasses._process_class, lambda cls, *a: f"{cls.__module__}.{cls.__qualname__}")
re._compile = timed("regular expressions", re._compile, lambda pattern, *a: ascii(pattern)[:50])
from xlreport.cli import cli
try:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        cli.main(sys.argv[1:], prog_name="xlreport", standalone_mode=False)
except SystemExit:
    pass
total = time.perf_counter() - start
print(f"    in process: {total * 1000:.0f} ms")
for kind, calls in spent.items():
    ms = sum(t for t, _ in calls) * 1000
    top = ", ".join(f"{n} {t * 1000:.1f}" for t, n in sorted(calls, reverse=True)[:4])
    print(f"    {kind}: {len(calls)} calls, {ms:.0f} ms ({ms / 1000 / total:.0%}); costliest: {top}")
"""


def breakdown(cmd: list[str], cwd: Path, extra: dict) -> str:
    out = subprocess.run([sys.executable, "-c", _BREAKDOWN, *cmd[len(xlreport_command()):]], cwd=cwd, capture_output=True, text=True,
                         env={**ENV, **extra})
    return out.stdout.rstrip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--breakdown", action="store_true", help="also time dataclass creation and regex compiles inside each command")
    args = ap.parse_args()
    py = sys.executable
    xl = xlreport_command()
    warning = editable_warning()
    if warning:
        print(warning)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        commands = {
            "python -c pass": [py, "-c", "pass"],
            "xlreport new": [*xl, "new", "--data", str(EXAMPLE_JSON), "-o", "new.xlsx", "--force"],
            "xlreport check": [*xl, "check", str(EXAMPLE_XLSX)],
            "xlreport export": [*xl, "export", str(EXAMPLE_XLSX), "-o", "out.json", "--force"],
            "xlreport build": [*xl, "build", str(EXAMPLE_XLSX), "-o", "out.docx", "--force"],
            "build, uncached": [*xl, "build", str(EXAMPLE_XLSX), "-o", "out.docx", "--force"],
            # what no code of ours can go below: importing the libraries each command stands on
            "floor of check": [py, "-c", "import click, dataclasses, decimal, json, pathlib, re, zipfile"],
            "floor of build": [py, "-c", "import click, dataclasses, decimal, json, pathlib, re, zipfile, docxtpl"],
        }
        # build's template cache (word/cache.py) in the work folder, not the user's: filled by
        # the warm-up run, so "xlreport build" is every build after the first
        env = {"xlreport build": {"XLREPORT_CACHE_DIR": str(work / "cache")}, "build, uncached": {"XLREPORT_CACHE_DIR": "off"}}
        base = commands.pop("python -c pass")
        base_wall, _ = paired(base, base, args.runs, work)
        print(f"{'command':<18} {'median':>9} {'ratio':>7}  heavy imports   (ratio: median of {args.runs} pairs, each run after python -c pass)")
        print(f"{'python -c pass':<18} {base_wall * 1000:>7.0f}ms {1:>6.1f}x")
        for name, cmd in commands.items():
            extra = env.get(name, {"XLREPORT_CACHE_DIR": str(work / "cache")})
            ours = name.startswith("xlreport") or name.startswith("build")
            wall, ratio = paired(cmd, base, args.runs, work, extra)
            heavy = ", ".join(heavy_imports(cmd, work, extra)) or "none" if ours else ""
            print(f"{name:<18} {wall * 1000:>7.0f}ms {ratio:>6.1f}x  {heavy}")
            if args.breakdown and ours:
                print(breakdown(cmd, work, extra))


if __name__ == "__main__":
    main()
