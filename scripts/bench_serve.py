"""Load benchmark for the office server (issue 15): N agencies upload a workbook each within a
minute, on loopback only.

    python scripts/bench_serve.py [--agencies 100] [--spread 60] [--concurrency 16] [--timeout 300]

The server runs as a user would start it (``xlreport serve --office DIR``, its own process, on
127.0.0.1 and a free port); the agencies are client threads in this process. Each agency opens
its link (its page and CSRF token), posts its workbook and follows the redirects until its page
shows the upload checked. Arrivals are spread evenly over --spread seconds (0: all at once).
Printed: requests/s, the latency of an upload (post to checked page) at p50/p95/max, errors, and
whether every upload was checked and none lost (the office's database read back at the end:
one submission per agency, with the status its workbook deserves).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import random_report  # noqa: E402  (the same random valid workbooks, 1 in 50 broken)

from xlreport.web.store import Store  # noqa: E402
from xlreport.xlsx.writer import write_workbook  # noqa: E402

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = "----xlreport" + secrets.token_hex(8)
    out = []
    for name, value in fields.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data) in files.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                   f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


class Agency:
    def __init__(self, base: str, link: str, book: Path):
        self.base, self.link, self.book = base, link, book
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.requests = 0

    def get(self, url: str) -> tuple[str, str]:
        with self.opener.open(url, timeout=120) as r:
            self.requests += 1
            return r.geturl(), r.read().decode("utf-8")

    def upload(self) -> float:
        _, page = self.get(self.base + self.link)
        token = CSRF.search(page).group(1)
        body, kind = multipart({"csrf": token}, {"file": (self.book.name, self.book.read_bytes())})
        request = urllib.request.Request(self.base + self.link + "/upload", data=body, headers={"Content-Type": kind})
        started = time.perf_counter()
        with self.opener.open(request, timeout=120) as r:
            final, text = r.geturl(), r.read().decode("utf-8")
        self.requests += 3  # the post, its job page, the agency page it lands on
        while "/jobs/" in final:  # a slow check: the job page, followed as the browser would
            time.sleep(0.5)
            final, text = self.get(final)
        if not final.endswith(self.link) or 'id="history"' not in text:
            raise RuntimeError(f"{self.link}: landed on {final}")
        return time.perf_counter() - started


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "xlreport", "serve", "--office", str(folder), "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+/", line)
    if not found:
        proc.kill()
        raise SystemExit(f"the server did not start: {line}{proc.stdout.read()}")
    return proc, found.group(0).rstrip("/")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agencies", type=int, default=100)
    ap.add_argument("--spread", type=float, default=60, help="seconds over which the uploads arrive (0: all at once)")
    ap.add_argument("--concurrency", type=int, default=16, help="uploads in flight at most")
    ap.add_argument("--timeout", type=float, default=300, help="the whole run is stopped after this many seconds")
    args = ap.parse_args()
    n = min(args.agencies, 1000)
    with tempfile.TemporaryDirectory(prefix="xlreport-bench-serve-") as tmp:
        tmp = Path(tmp)
        folder, books = tmp / "office", tmp / "books"
        books.mkdir()
        store = Store(folder)
        store.set_password(secrets.token_urlsafe(12))
        store.set_setting("year", "2024")
        paths, broken = [], set()
        for i in range(n):
            report = random_report(i, broken=i % 50 == 7)
            report.meta["agency"] = f"测试{i:03d}局"
            path = books / f"{i:03d}.xlsx"
            write_workbook(path, report)
            paths.append(path)
            if i % 50 == 7:
                broken.add(i)
        agencies = [store.add_agency(f"测试{i:03d}局", "department") for i in range(n)]
        proc, base = start_server(folder)
        print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}; server {base} (loopback); "
              f"{n} agencies over {args.spread:.0f} s, at most {args.concurrency} at once")
        clients = [Agency(base, f"/a/{a.token}", p) for a, p in zip(agencies, paths)]
        latencies, errors = [], []
        lock = threading.Lock()
        begun = time.perf_counter()

        def one(i: int) -> None:
            delay = begun + (args.spread * i / n) - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                seconds = clients[i].upload()
                with lock:
                    latencies.append(seconds)
            except (OSError, RuntimeError, urllib.error.URLError) as e:
                with lock:
                    errors.append(f"{i}: {e}")

        order = list(range(n))
        random.Random(1).shuffle(order)
        try:
            with ThreadPoolExecutor(args.concurrency) as pool:
                futures = [pool.submit(one, i) for i in order]
                for f in futures:
                    f.result(timeout=max(1.0, args.timeout - (time.perf_counter() - begun)))
        finally:
            wall = time.perf_counter() - begun
            proc.terminate()
            proc.wait(timeout=30)
        requests = sum(c.requests for c in clients)
        latest = store.latest()
        statuses = {a.id: latest[a.id].status if a.id in latest else None for a in agencies}
        lost = [a.name for a in agencies if statuses[a.id] is None]
        wrong = [a.name for i, a in enumerate(agencies) if statuses[a.id] is not None
                 and (statuses[a.id] == "errors") != (i in broken)]
        stored = sum(1 for _ in (folder / "uploads").iterdir())
        q = statistics.quantiles(latencies, n=20) if len(latencies) >= 2 else [float("nan")] * 19
        print(f"\n{'uploads':<26}{len(latencies)} of {n} checked, {len(errors)} errors")
        print(f"{'wall time':<26}{wall:.1f} s ({requests} requests, {requests / wall:.1f} requests/s)")
        print(f"{'upload latency':<26}p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {q[18] * 1000:.0f} ms, "
              f"max {max(latencies) * 1000:.0f} ms" if latencies else "no upload finished")
        print(f"{'in the database':<26}{n - len(lost)} submissions, {stored} files kept; lost: {len(lost)}; "
              f"status not as the workbook deserves: {len(wrong)}")
        for e in errors[:10]:
            print("  error:", e)
        if errors or lost or wrong:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
