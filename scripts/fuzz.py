"""Mutation fuzzing of the xlreport CLI at scale: the runner of tests/test_fuzz.py for any number of cases.

    python scripts/fuzz.py --cases 10000 --seed 1 --out /tmp/fuzz-out
    python scripts/fuzz.py --cases 2000 --classes xml,zip --workers 2
    python scripts/fuzz.py --cases 40 --mutators edit:merge-over,output:fifo   # those mutators in turn
    python scripts/fuzz.py --replay /tmp/fuzz-out          # run saved reproducers again

Prints: cases and failures per class, per mutator and per command, the failures grouped by
signature, the slowest cases, the cases that grew memory most, peak memory of the children.
Each failure is saved to --out as a folder: inputs/ (the mutated file and anything beside it),
command.sh (the command line, and what it needs: a FIFO or device as the output, stdout closed),
case.json (class, mutator, seed, arguments), result.txt (failures, traceback, output). Cases run
in child processes capped with RLIMIT_AS. --mutators runs named mutators in turn, those known to
fail in the current code (fuzzing.PENDING, left out of the classes' own schedule) among them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fuzzing  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=10_000, help="number of generated cases (default 10000)")
    ap.add_argument("--seed", type=int, default=1, help="run seed: the same seed gives the same cases")
    ap.add_argument("--first", type=int, default=0, help="index of the first case (to resume or shard a run)")
    ap.add_argument("--classes", default=",".join(fuzzing.CLASSES), help="comma-separated mutation classes: " + ",".join(fuzzing.CLASSES))
    ap.add_argument("--mutators", default="", help="comma-separated class:mutator, each case one of them in turn instead of the classes' "
                    "schedule (python scripts/fuzz.py --list-mutators); the known failures: " + ",".join(fuzzing.PENDING))
    ap.add_argument("--list-mutators", action="store_true", help="print every class:mutator --mutators takes, and exit")
    ap.add_argument("--workers", type=int, default=2, help="child processes (default 2)")
    ap.add_argument("--memory-cap-gb", type=float, default=3.0, help="RLIMIT_AS of each child, in GB (default 3)")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds a case may run before it counts as a hang (default 30)")
    ap.add_argument("--out", type=Path, help="folder for the reproducers of failures")
    ap.add_argument("--seeds", type=Path, help="use the seed folder of an earlier run (seeds.json) instead of building one")
    ap.add_argument("--no-libreoffice", action="store_true", help="do not convert seeds with LibreOffice (hand-written .ods only, no .xls)")
    ap.add_argument("--replay", type=Path, help="run the reproducers saved in this folder again and say which still fail")
    ap.add_argument("--json", type=Path, help="write the whole summary as JSON here")
    ap.add_argument("--log", type=Path, help="append every outcome here as one JSON line (default: OUT/outcomes.jsonl with --out)")
    ap.add_argument("--resume", action="store_true", help="skip the cases already in --log and count their outcomes (same --seed and --classes)")
    ap.add_argument("--quiet", action="store_true", help="no progress line")
    args = ap.parse_args(argv)
    classes = tuple(c for c in args.classes.split(",") if c)
    unknown = set(classes) - set(fuzzing.CLASSES)
    if unknown:
        ap.error(f"unknown classes: {', '.join(sorted(unknown))}")
    if args.list_mutators:
        print("\n".join(f"{m}  (known to fail: {fuzzing.PENDING[m]})" if m in fuzzing.PENDING else m for m in fuzzing.mutator_names()))
        return 0
    mutators = [m for m in args.mutators.split(",") if m]
    unknown = set(mutators) - set(fuzzing.mutator_names())
    if unknown:
        ap.error(f"unknown mutators: {', '.join(sorted(unknown))} (see --list-mutators)")

    done = [0]
    failed = [0]
    started = time.monotonic()
    total = args.cases

    def progress(outcome):
        done[0] += 1
        failed[0] += bool(outcome["failures"])
        if not args.quiet and (done[0] % 100 == 0 or done[0] == total):
            rate = done[0] / max(time.monotonic() - started, 1e-9)
            print(f"  {done[0]}/{total} cases, {failed[0]} failed, {rate:.0f} cases/s", file=sys.stderr, flush=True)

    replay = None
    if args.replay:
        replay = sorted(p for p in args.replay.iterdir() if (p / "case.json").is_file())
        total = len(replay)
        if not replay:
            ap.error(f"no reproducers (folders with case.json) in {args.replay}")
    log = args.log or (args.out / "outcomes.jsonl" if args.out and not replay else None)
    earlier = []
    if args.resume:
        if log is None or not log.exists():
            ap.error("--resume needs the --log (or --out) of the earlier run")
        earlier = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
        if any(o.get("run_seed") not in (None, args.seed) for o in earlier):
            ap.error(f"{log} holds cases of another run seed")
        print(f"resuming: {len(earlier)} cases already run", file=sys.stderr)
    if log is not None and not args.resume and log.exists():
        log.unlink()
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
    summary = fuzzing.run_campaign(
        args.seed, args.cases, classes=classes, workers=args.workers, memory_cap=int(args.memory_cap_gb * fuzzing.GB),
        timeout=args.timeout, seed_dir=args.seeds, out_dir=None if replay else args.out, replay=replay,
        libreoffice=False if args.no_libreoffice else None, progress=progress, first_index=args.first,
        log_path=log, earlier=earlier, mutators=mutators or None,
    )
    if args.json:
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    if replay:
        print_replay(summary, replay)
    else:
        print_summary(summary)
    return 1 if summary["failures"] else 0


def _table(rows, head):
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    line = lambda r: "  " + "  ".join(str(v).rjust(w) if isinstance(v, (int, float)) else str(v).ljust(w) for v, w in zip(r, widths))  # noqa: E731
    return "\n".join([line(head), "  " + "  ".join("-" * w for w in widths)] + [line(r) for r in rows])


def print_summary(s: dict) -> None:
    print(f"xlreport fuzzing: run seed {s['run_seed']}, {s['cases']} cases in {s['seconds']} s "
          f"({s['cases'] / max(s['seconds'], 1e-9):.0f} cases/s; seeds built in {s['seed_seconds']} s), {s['workers']} children, "
          f"RLIMIT_AS {s['memory_cap_mb']} MB, {s['child_restarts']} child restarts")
    print(f"seeds: {', '.join(s['seeds'])}")
    print("\ncases and failures per class:")
    ex = s["exit_codes_per_class"]
    rows = [(k, v, s["failures_per_class"].get(k, 0), ex[k].get("0", 0), ex[k].get("1", 0), ex[k].get("2", 0),
             sum(n for c, n in ex[k].items() if c not in ("0", "1", "2"))) for k, v in s["per_class"].items()]
    rows.append(("total", s["cases"], len(s["failures"]), *(sum(r[i] for r in rows) for i in range(3, 7))))
    print(_table(rows, ("class", "cases", "failed", "exit 0", "exit 1", "exit 2", "other")))
    print("\ncases per command:")
    print(_table(sorted(s["per_command"].items()), ("command", "cases")))
    print("\ncases per mutator:")
    fails_by_mut = {}
    for f in s["failures"]:
        key = f"{f['class']}:{f['mutator'].split('+')[0]}"
        fails_by_mut[key] = fails_by_mut.get(key, 0) + 1
    print(_table([(k, v, fails_by_mut.get(k, 0)) for k, v in s["per_mutator"].items()], ("mutator", "cases", "failed")))
    print(f"\npeak memory (max RSS of a child): {s['peak_rss_mb']} MB")
    print("\nslowest cases:")
    for x in s["slowest"]:
        print(f"  {x['seconds']:8.2f} s  {x['case'][:160]}")
    if s["most_memory"]:
        print("\nlargest memory growth (RSS high-water mark raised by the case):")
        for x in s["most_memory"]:
            print(f"  {x['rss_growth_mb']:8.1f} MB  {x['case'][:160]}")
    if s["bidi_in_output"]:
        print(f"\nnote: {s['bidi_in_output']} cases print bidirectional control characters (U+202A-202E, U+2066-2069) from the input")
    if s["failures"]:
        print("\nfailures, grouped:")
        print(fuzzing.describe_failures(s, limit=200))
        print(f"\nreproducers: {sorted({str(Path(f['reproducer']).parent) for f in s['failures'] if f.get('reproducer')})}")
    else:
        print("\nno failures")


def print_replay(s: dict, replay: list[Path]) -> None:
    failing = {f["replay"]: f for f in s["failures"]}
    print(f"replayed {len(replay)} reproducers in {s['seconds']} s: {len(failing)} still fail, {len(replay) - len(failing)} pass now")
    for p in replay:
        f = failing.get(str(p))
        if f:
            kinds = ", ".join(sorted({x["kind"] for x in f["failures"]}))
            print(f"  STILL FAILS  {p.name}: {kinds}: {f['failures'][0]['detail'][:160]}")
        else:
            print(f"  passes now   {p.name}")


if __name__ == "__main__":
    sys.exit(main())
