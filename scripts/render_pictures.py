#!/usr/bin/env python3
"""Render the pictures for the README: docs/img/workbook-*.png and docs/img/report-*.png.

The report pictures are the first page and the table pages of the Word report that
``xlreport build`` makes from the example workbook, printed to PDF by LibreOffice.

Makes the workbook from the bundled example (``xlreport new --data examples/...json``) in a
temporary folder, prints it to PDF with LibreOffice (headless, private profile), and turns
the pages that show the three tables (二、主动公开, 三、依申请公开, 四、复议诉讼) into PNGs with
``pdftoppm -r 80``, cropped below the last line of the table.

Needs LibreOffice (soffice), poppler-utils (pdftoppm, pdftotext) and a CJK font
(fonts-noto-cjk); on Debian ``.ci/run`` installs them. Usage:

    python scripts/render_pictures.py [--out docs/img]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's xlreport, installed or not


from xlreport.format import spec

EXAMPLE = ROOT / "examples" / "shangyou-commerce-2024.json"
RESOLUTION = 80  # dpi
MAX_PICTURES = 4
MAX_BYTES = 300_000
MARGIN_PT = 14  # kept below the last text of a page: the table's last border and a little air
SOFFICE_TIMEOUT = 180  # seconds; a first start with a fresh profile takes a few


def run(cmd: list[str], timeout: int = 60, cwd: Path | None = None) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        sys.exit(f"timed out after {timeout}s: {' '.join(cmd)}")
    except FileNotFoundError:
        sys.exit(f"not found: {cmd[0]}")
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stdout}{done.stderr}")
    return done


def make_workbook(folder: Path) -> Path:
    xlsx = folder / "示例.xlsx"
    run([sys.executable, "-m", "xlreport", "new", "--data", str(EXAMPLE), "-o", str(xlsx)], cwd=ROOT)
    if not xlsx.is_file():
        sys.exit(f"xlreport new did not write {xlsx}")
    return xlsx


def to_pdf(xlsx: Path, folder: Path) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        sys.exit("LibreOffice (soffice) not found; on Debian: apt-get install libreoffice-calc-nogui fonts-noto-cjk")
    profile = folder / "lo-profile"  # one profile per process, never the user's
    out = folder / "pdf"
    out.mkdir()
    run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(out), str(xlsx)],
        timeout=SOFFICE_TIMEOUT,
    )
    pdf = out / (xlsx.stem + ".pdf")
    if not pdf.is_file() or pdf.stat().st_size == 0:  # soffice exits 0 on many failures
        sys.exit(f"LibreOffice wrote no PDF for {xlsx}")
    return pdf


def page_count(pdf: Path) -> int:
    info = run(["pdfinfo", str(pdf)]).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def page_text(pdf: Path, page: int) -> str:
    return run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"]).stdout


def table_pages(pdf: Path) -> list[tuple[int, str]]:
    """(page, table key) for each page that shows one of the tables (titles repeat on every page)."""
    found = []
    for page in range(1, page_count(pdf) + 1):
        text = page_text(pdf, page)
        for table in spec.TABLES:
            if spec.SECTION_TITLES[table.key] in text:
                found.append((page, table.key))
                break
    return found


def text_bottom(pdf: Path, page: int) -> tuple[float, float] | None:
    """The page height and the lowest text baseline on the page, in points."""
    html = run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"]).stdout
    height = re.search(r'<page width="[\d.]+" height="([\d.]+)"', html)
    bottoms = [float(y) for y in re.findall(r'<word [^>]*yMax="([\d.]+)"', html)]
    if not height or not bottoms:
        return None
    return float(height.group(1)), max(bottoms)


def to_png(pdf: Path, page: int, target: Path, folder: Path) -> None:
    cmd = ["pdftoppm", "-r", str(RESOLUTION), "-png", "-f", str(page), "-l", str(page), "-singlefile"]
    box = text_bottom(pdf, page)
    if box:
        height_pt, bottom_pt = box
        keep = min(height_pt, bottom_pt + MARGIN_PT)
        width_px = 10_000  # pdftoppm clips to the page
        cmd += ["-x", "0", "-y", "0", "-W", str(width_px), "-H", str(round(keep * RESOLUTION / 72))]
    stem = folder / f"page-{page}"
    run(cmd + [str(pdf), str(stem)])
    png = stem.with_suffix(".png")
    if not png.is_file():
        sys.exit(f"pdftoppm wrote no picture for page {page}")
    shutil.move(str(png), target)


def make_report(folder: Path) -> Path:
    docx = folder / "示例报告.docx"
    workbook = ROOT / "examples" / "shangyou-commerce-2024.xlsx"
    run([sys.executable, "-m", "xlreport", "build", str(workbook), "-o", str(docx)], cwd=ROOT)
    if not docx.is_file():
        sys.exit(f"xlreport build did not write {docx}")
    return docx


def report_pages(pdf: Path) -> list[tuple[int, str]]:
    """The first page, and each page where one of the tables begins."""
    pages = [(1, "first")]
    for page in range(2, page_count(pdf) + 1):
        text = page_text(pdf, page)
        for table in spec.TABLES:
            heading = re.sub(r"\s+", "", spec.SECTION_TITLES[table.key])
            if heading in re.sub(r"\s+", "", text) or (table.key == "requests" and "申请人情况" in text):
                if not any(p == page for p, _ in pages):
                    pages.append((page, f"tables-{len(pages)}"))
    return pages


def report_pictures(folder: Path, out: Path) -> list[Path]:
    report_dir = folder / "report"
    report_dir.mkdir()
    pdf = to_pdf(make_report(report_dir), report_dir)
    for old in out.glob("report-*.png"):
        old.unlink()
    written = []
    for page, name in report_pages(pdf)[:MAX_PICTURES]:
        target = out / f"report-{name}.png"
        cmd = ["pdftoppm", "-r", str(RESOLUTION), "-png", "-f", str(page), "-l", str(page), "-singlefile"]
        stem = report_dir / f"page-{page}"
        run(cmd + [str(pdf), str(stem)])
        shutil.move(str(stem.with_suffix(".png")), target)
        written.append(target)
        print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}  page {page}  {target.stat().st_size // 1024} KB")
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="folder for the PNGs")
    args = parser.parse_args()
    for tool in ("pdftoppm", "pdftotext", "pdfinfo"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found; on Debian: apt-get install poppler-utils")

    with tempfile.TemporaryDirectory(prefix="xlreport-pictures-") as tmp:
        folder = Path(tmp)
        pdf = to_pdf(make_workbook(folder), folder)
        pages = table_pages(pdf)
        if not pages:
            sys.exit(f"no page of {pdf.name} shows a table: is a CJK font installed (fonts-noto-cjk)?")
        if len(pages) > MAX_PICTURES:
            print(f"{len(pages)} table pages, keeping the first {MAX_PICTURES}", file=sys.stderr)
            pages = pages[:MAX_PICTURES]
        args.out.mkdir(parents=True, exist_ok=True)
        for old in args.out.glob("workbook-*.png"):
            old.unlink()
        counts: dict[str, int] = {}
        for _, key in pages:
            counts[key] = counts.get(key, 0) + 1
        seen: dict[str, int] = {}
        too_big = []
        for page, key in pages:
            seen[key] = seen.get(key, 0) + 1
            name = f"workbook-{key}.png" if counts[key] == 1 else f"workbook-{key}-{seen[key]}.png"
            target = args.out / name
            to_png(pdf, page, target, folder)
            size = target.stat().st_size
            print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}  page {page}  {size // 1024} KB")
            if size > MAX_BYTES:
                too_big.append(target.name)
        report_pictures(folder, args.out)
    if too_big:
        print(f"larger than {MAX_BYTES // 1000} KB: {', '.join(too_big)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
