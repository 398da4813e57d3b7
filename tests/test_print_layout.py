"""The report as printed (GB/T 9704-2012), measured on the PDF LibreOffice makes of the bundled
example: 22 lines a page and 28 characters a full line in the type area of 156 × 225 mm, page
numbers "— n —" at the right on odd pages and at the left on even ones. Positions come from
poppler's `pdftotext -bbox`."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO
from xlreport.cli import cli

EXAMPLE = REPO / "examples" / "shangyou-commerce-2024.xlsx"
MM = 72 / 25.4
LEFT, RIGHT = 28 * MM, (210 - 26) * MM  # the type area: 28 mm from the left, 26 mm from the right
TOP, BOTTOM = 37 * MM, (297 - 35) * MM
WIDE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e“”‘’…—]")

pytestmark = [pytest.mark.libreoffice,
              pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")]


@pytest.fixture(scope="module")
def pages(soffice, tmp_path_factory) -> list[dict[float, list[tuple[float, float, str]]]]:
    """Each page: its text lines by their top, each a list of (x min, x max, word)."""
    out = tmp_path_factory.mktemp("layout") / "报告.docx"
    result = CliRunner().invoke(cli, ["build", str(EXAMPLE), "-o", str(out), "--pdf"])
    assert result.exit_code == 0, result.output
    html = subprocess.run(["pdftotext", "-bbox", str(out.with_suffix(".pdf")), "-"], capture_output=True, text=True, check=True).stdout
    found = []
    for page in html.split("<page ")[1:]:
        lines: dict[float, list] = defaultdict(list)
        for x0, y0, x1, word in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', page):
            lines[round(float(y0))].append((float(x0), float(x1), word))
        found.append(dict(sorted(lines.items())))
    return found


def body_lines(page) -> dict[float, list]:
    return {y: words for y, words in page.items() if TOP - 30 <= y <= BOTTOM}


def test_a_page_holds_22_lines_on_a_pitch_of_579_twips(pages):
    """Lines fall on the grid (225 mm / 22), and a page of prose fills all 22 (a page that ends
    before a heading, kept with its text, has fewer)."""
    counts = []
    for page in pages[1:]:  # the first page opens with the title, on its own spacing
        if any(len(words) > 2 for words in body_lines(page).values()):
            continue  # a table's rows are as high as their cells
        tops = sorted(body_lines(page))
        counts.append(len(tops))
        for above, below in zip(tops, tops[1:]):
            assert (below - above) % (579 / 20) < 1.5 or (below - above) % (579 / 20) > 579 / 20 - 1.5, (above, below)
    assert max(counts) == 22, counts


# quotation marks are set in the Latin font by LibreOffice (half as wide): lines holding them are
# not counted; a line may end in a comma or stop hung past the edge (避头尾)
AMBIGUOUS = set("“”‘’…—")
HANGING = set("，。、；：！？）》”")


def test_a_full_line_holds_28_characters(pages):
    """A line of Chinese text only that runs to the right edge of the type area: 28 characters,
    counting the two of a first-line indent."""
    full = []
    for page in pages:
        for words in body_lines(page).values():
            if len(words) != 1:
                continue  # a table's row, or text beside a number
            (x0, x1, text), = words
            if x1 > RIGHT + 4 and text[-1] in HANGING:
                text, x1 = text[:-1], x1 - 16
            if not all(WIDE.match(ch) for ch in text) or AMBIGUOUS & set(text) or x1 < RIGHT - 8:
                continue
            full.append(len(text) + round((x0 - LEFT) / 16))
    assert len(full) > 20
    assert set(full) == {28}, sorted(full)


def test_page_numbers_outside_odd_right_even_left(pages):
    for n, page in enumerate(pages[:4], start=1):
        words = sorted(w for y, line in page.items() if y > BOTTOM for w in line)  # the digits sit a little lower
        text = "".join(w for _, _, w in words)
        assert text == f"——{n}——" or text.replace(" ", "") == f"—{n}—", text
        x0, x1 = min(w[0] for w in words), max(w[1] for w in words)
        if n % 2:
            assert RIGHT - 14 - 2 < x1 < RIGHT - 14 + 2  # one 四号 character in from the right edge
        else:
            assert LEFT + 14 - 2 < x0 < LEFT + 14 + 2
