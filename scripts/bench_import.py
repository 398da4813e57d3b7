"""Benchmark for reading published reports (`xlreport import`, `xlreport check REPORT.html`).

    python scripts/bench_import.py [--n 100] [--pdf 5]

Makes --n distinct reports (the real reports of tests/data with their numbers shuffled), each
as a web page (tables with rowspan/colspan, as tests/import_fixtures.py writes them), as the Word
report `xlreport build` writes, and as the workbook `xlreport new --data` writes (generation not
timed). Then imports them all in this one process and prints reports per second for HTML and for
docx, against reading the same reports from their workbooks with api.load (the baseline, same
run), and the ratio. Also the PDF text layout (.txt) and, with --pdf N, the PDF fixture N times.

No figure is asserted anywhere: this script is for reading, tests never time anything.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from import_fixtures import DATA, report_html  # noqa: E402
from xlreport import api  # noqa: E402
from xlreport.format import spec
from xlreport.importers import import_report  # noqa: E402
from xlreport.model import Report  # noqa: E402
from xlreport.word.render import render_docx  # noqa: E402
from xlreport.xlsx.writer import write_workbook  # noqa: E402

SOURCES = ("shangyou-commerce-2024.txt", "06-huaian-shi-2024.txt", "07-hongze-qu-2023.txt", "08-hongze-qu-2024.txt", "hangzhou-style-2025.html")


def variants(n: int, rng: random.Random) -> list[Report]:
    bases = [import_report(DATA / name).report for name in SOURCES]
    out = []
    for i in range(n):
        base = bases[i % len(bases)]
        r = Report(dict(base.meta), dict(base.values), base.text)
        r.meta["agency"] = f"测试{i}县人民政府"
        for f in spec.FIELDS:
            if f.table != "fees" and r.values[f.path] is not None:
                r.values[f.path] = rng.randint(0, 5000) if f.unit is spec.Unit.COUNT else Decimal(rng.randint(0, 10**6)) / 100
        out.append(r)
    return out


def rate(paths: list[Path], read) -> float:
    start = time.perf_counter()
    for p in paths:
        read(p)
    return len(paths) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100, help="reports per format")
    ap.add_argument("--pdf", type=int, default=0, help="also read the PDF fixture this many times")
    args = ap.parse_args()
    rng = random.Random(20250101)
    reports = variants(args.n, rng)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        html, docx, xlsx = [], [], []
        for i, r in enumerate(reports):
            (tmp / f"{i}.html").write_bytes(report_html(r))
            html.append(tmp / f"{i}.html")
            render_docx(r, tmp / f"{i}.docx")
            docx.append(tmp / f"{i}.docx")
            write_workbook(tmp / f"{i}.xlsx", r)
            xlsx.append(tmp / f"{i}.xlsx")
        texts = [DATA / name for name in SOURCES if name.endswith(".txt") and not name.startswith("shangyou")] * max(1, args.n // 3)
        import_report(html[0]), import_report(docx[0]), api.load(xlsx[0])  # imports and caches warm
        base = rate(xlsx, api.load)
        figures = [
            ("web page (.html)", rate(html, import_report)),
            ("Word (.docx)", rate(docx, import_report)),
            ("PDF text (.txt)", rate(texts, import_report)),
        ]
        if args.pdf:
            figures.append(("PDF (.pdf, pdfplumber)", rate([DATA / "07-hongze-qu-2023.pdf"] * args.pdf, import_report)))
    print(f"reports: {args.n} per format (PDF text: {len(texts)})")
    print(f"{'baseline: our workbook (.xlsx), api.load':44s} {base:8.1f} reports/s")
    for name, value in figures:
        print(f"{'import ' + name:44s} {value:8.1f} reports/s   {value / base:5.2f}x the workbook read")


if __name__ == "__main__":
    main()
