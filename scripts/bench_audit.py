"""Benchmark for xlreport audit (issue 16): a region's published reports, per form.

    python scripts/bench_audit.py [--n 1000] [--pdf 20]

For each form a folder of N reports is made from the reference reports in tests/data (each copy
with an agency name of its own, so that every agency has one chain), then
``xlreport audit FOLDER --json`` runs in a fresh process on both cores. Printed: reports per
second per form and peak memory. PDF is measured on fewer files (--pdf): it is as fast as
pdfplumber allows, about half a second a report.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
SOURCES = {  # form -> (reference file, the agency name it prints)
    "txt": ("08-hongze-qu-2024.txt", "淮安市洪泽区人民政府"),
    "html": ("hangzhou-style-2025.html", "测试市"),
}


def corpus(form: str, n: int, root: Path) -> Path:
    folder = root / form
    folder.mkdir()
    if form == "pdf":
        for i in range(n):
            shutil.copyfile(DATA / "07-hongze-qu-2023.pdf", folder / f"{i:05d}.pdf")
        return folder
    name, agency = SOURCES[form]
    text = (DATA / name).read_text(encoding="utf-8")
    for i in range(n):
        (folder / f"{i:05d}{Path(name).suffix}").write_text(text.replace(agency, f"测试{i}县人民政府"), encoding="utf-8")
    return folder


def timed(args: list[str]) -> tuple[float, float, int]:
    t = time.perf_counter()
    p = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, p.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="HTML and txt reports per form (default 1000)")
    ap.add_argument("--pdf", type=int, default=20, help="PDF reports (default 20)")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    print(f"{'form':<6} {'reports':>8} {'seconds':>8} {'reports/s':>10} {'peak MB':>8} {'exit':>5}")
    with tempfile.TemporaryDirectory(prefix="xlreport-bench-audit-") as tmp:
        for form, n in (("txt", args.n), ("html", args.n), ("pdf", args.pdf)):
            folder = corpus(form, n, Path(tmp))
            wall, peak, rc = timed([sys.executable, "-m", "xlreport", "audit", str(folder), "--json"])
            print(f"{form:<6} {n:>8} {wall:>8.1f} {n / wall:>10.1f} {peak:>8.0f} {rc:>5}", flush=True)


if __name__ == "__main__":
    main()
