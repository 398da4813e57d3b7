"""Worst cases for the text scans and the web-page tokenizer: hostile runs of digits, spaces,
brackets, repeated labels and unclosed markup, each timed at a few sizes.

    python scripts/bench_hostile.py [--sizes 32767,1000000] [--timeout 120] [--only NAME]

Each case runs in a child process with a timeout (a quadratic scan at a million characters would
otherwise never finish), so the script can also time an older checkout: run it with
PYTHONPATH pointing at that checkout. It prints seconds per case and size; "timeout" means the
case did not finish in --timeout seconds. A linear scan takes about 30 times as long at a
million characters as at 32,767.

No figure is asserted anywhere: this script is for reading, tests never time anything.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _report(paragraph: str):
    from xlreport import model
    from xlreport.model import Item

    r = model.Report()
    r.meta.update(agency="某区商务局", year=2024)
    r.values[("requests", "new", "total")] = 12
    r.values[("requests", "closed_total", "total")] = 12
    r.text.overview.items = [Item("依申请公开情况", [paragraph])]
    return r


def _prose(unit: str, previous: bool = False):
    def run(n: int) -> None:
        from xlreport.checks import prose

        text = (unit * (n // len(unit) + 1))[:n]
        prose.check_prose(_report(text), _report("去年。") if previous else None)
    return run


def _call(module: str, name: str, unit: str, *args, head: str = "", tail: str = ""):
    def run(n: int) -> None:
        import importlib

        fn = getattr(importlib.import_module(module), name)
        fn(head + (unit * (n // len(unit) + 1))[:n] + tail, *args)
    return run


def _extract(kind: str, unit: str, head: str = "", tail: str = ""):
    def run(n: int) -> None:
        from xlreport import importers

        data = (head + (unit * (n // len(unit) + 1))[:n] + tail).encode("utf-8")
        try:
            importers.extract(Path(f"bench.{kind}"), kind, data)
        except Exception as e:  # a refusal is an answer too; the time is what is measured
            if type(e).__name__ not in ("InputError", "LimitError"):
                raise
    return run


def _import(unit: str, where: str):
    """A whole web-page report (tests/data's hangzhou page) with the hostile text as one paragraph."""
    def run(n: int) -> None:
        from xlreport import api

        repo = Path(__file__).resolve().parent.parent
        page = (repo / "tests" / "data" / "hangzhou-style-2025.html").read_text(encoding="utf-8")
        text = (unit * (n // len(unit) + 1))[:n]
        i = page.index(where)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "report.html"
            out.write_text(page[:i] + f"<p>{text}</p>" + page[i:], encoding="utf-8")
            api.check_file(out)
    return run


CASES = {
    # prose.py
    "prose: digits": _prose("9"),
    "prose: digits and commas": _prose("1，"),
    "prose: 收到 repeated, no 申请": _prose("收到"),
    "prose: 共…件 without 其中": _prose("共1件"),
    "prose: 其中 repeated": _prose("共1件其中"),
    "prose: 《 unclosed": _prose("《"),
    "prose: stray years": _prose("2030年"),
    "prose: 同比 (with --previous)": _prose("1件同比增长1%，", previous=True),
    "prose: 行政许可 then 同比": _prose("行政许可1件同比增长1%，", previous=True),
    "prose: digits after a unit word": _prose("区1"),
    # locate.py / labels.py
    "locate: norm_text digits": _call("xlreport.format.locate", "norm_text", "1"),
    "locate: split_values numbers": _call("xlreport.format.locate", "split_values", "1 "),
    "locate: title_meta years": _call("xlreport.format.locate", "title_meta", "2024年"),
    "locate: _starts numbered items": _call("xlreport.format.locate", "_starts", "1.a", "requests"),
    "labels: norm_label )digits": _call("xlreport.format.labels", "norm_label", ")1"),
    # importers
    "document: spaces between words": _call("xlreport.importers.document", "clean_prose", " ", head="a", tail="b"),
    "text: spaces before a Markdown rule": _extract("txt", " ", tail="x"),
    "text: a cell continued on many lines": _extract("txt", "续\n", head="\t1\n" * 20 + "\t单元格\n"),
    "text: trailing spaces after a Markdown rule": _extract("txt", " ", head="|---|", tail="x"),
    "html: unclosed comments": _extract("html", "<!--"),
    "html: quoted '>' in attributes": _extract("html", "<a x='>' "),
    "html: unclosed tags": _extract("html", "<a"),
    "html: nested tables with text": _extract("html", "x<table><tr><td>"),
    # whole reports
    "check: digits paragraph in a web page": _import("9", "<p>二、主动公开"),
}


def child(name: str, n: int) -> None:
    start = time.perf_counter()
    CASES[name](n)
    print(f"{time.perf_counter() - start:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="32767,1000000", help="characters, comma-separated")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--only", default="", help="run the cases whose name contains this")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'case':46s}" + "".join(f"{n:>14,d}" for n in sizes))
    for name in CASES:
        if args.only not in name:
            continue
        cells = []
        for n in sizes:
            try:
                out = subprocess.run([sys.executable, __file__, "--child", name, str(n)], capture_output=True,
                                     text=True, timeout=args.timeout)
                cells.append(out.stdout.strip() + " s" if out.returncode == 0 else "error")
                if out.returncode:
                    print(out.stderr.strip().splitlines()[-1], file=sys.stderr)
            except subprocess.TimeoutExpired:
                cells.append(f">{args.timeout:.0f} s")
        print(f"{name:46s}" + "".join(f"{c:>14s}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
