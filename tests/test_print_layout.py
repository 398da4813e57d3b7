"""The report as printed (GB/T 9704-2012), measured on the PDF LibreOffice makes of the bundled
example (with a long paragraph, so that whole pages are prose): 22 lines a page and 28 characters a full line in the type area of 156 × 225 mm, page
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
from xlreport import model
from xlreport.cli import cli

EXAMPLE = REPO / "examples" / "shangyou-commerce-2024.xlsx"
EXAMPLE_JSON = EXAMPLE.with_suffix(".json")
MM = 72 / 25.4
LEFT, RIGHT = 28 * MM, (210 - 26) * MM  # the type area: 28 mm from the left, 26 mm from the right
TOP, BOTTOM = 37 * MM, (297 - 35) * MM
WIDE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e“”‘’…—]")

pytestmark = [pytest.mark.libreoffice,
              pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")]


@pytest.fixture(scope="module")
def pages(soffice, tmp_path_factory) -> list[dict[float, list[tuple[float, float, str]]]]:
    """Each page: its text lines by their top, each a list of (x min, x max, word)."""
    folder = tmp_path_factory.mktemp("layout")
    report = model.load_json_file(EXAMPLE_JSON)
    # a long paragraph of Chinese text only: pages 2 and 3 are prose from top to bottom
    report.text.overview.intro = ["依法公开政府信息，保障公众知情权、参与权、表达权和监督权。" * 60]
    source = folder / "报告.json"
    source.write_text(model.to_json(report), encoding="utf-8")
    out = folder / "报告.docx"
    result = CliRunner().invoke(cli, ["build", str(source), "-o", str(out), "--pdf"])
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


def _glyphs_png(tmp_path, font: str) -> bytes:
    """Six characters whose Japanese and Simplified Chinese forms differ, in ``font``, as pixels."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    from xlreport.word.render import convert_to_pdf

    doc = docx.Document()
    run = doc.add_paragraph().add_run("骨直角写过边")
    run.font.size = Pt(48)
    fonts = OxmlElement("w:rFonts")
    fonts.set(qn("w:eastAsia"), font)
    run._element.get_or_add_rPr().insert(0, fonts)
    source = tmp_path / f"{len(list(tmp_path.iterdir()))}.docx"
    doc.save(source)
    convert_to_pdf(source, source.with_suffix(".pdf"))
    subprocess.run(["pdftoppm", "-r", "40", "-gray", "-f", "1", "-l", "1", "-W", "330", "-H", "80",
                    str(source.with_suffix(".pdf")), str(source.with_suffix(""))], check=True)
    return next(tmp_path.glob(f"{source.stem}-*.pgm")).read_bytes()


def test_the_body_font_stands_in_with_simplified_chinese_forms(tmp_path):
    from xlreport.word import fonts

    families = fonts.installed_families() or set()
    if not {"Noto Serif CJK SC", "Noto Serif CJK JP"} <= families or fonts.BODY_FONT in families:
        pytest.skip("needs Noto Serif CJK (fonts-noto-cjk) and no 仿宋_GB2312")
    body = _glyphs_png(tmp_path, fonts.BODY_FONT)
    assert body == _glyphs_png(tmp_path, "Noto Serif CJK SC")
    assert body != _glyphs_png(tmp_path, "Noto Serif CJK JP")


def test_each_substitution_is_named_once(tmp_path):
    from xlreport.word import fonts

    subs = fonts.substitutions()
    out = tmp_path / "报告.docx"
    result = CliRunner().invoke(cli, ["build", str(EXAMPLE), "-o", str(out), "--pdf"])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [f"提醒：{line}" for line in fonts.notice(subs)]
    faces = {s.font: s.face for s in subs}
    if faces:  # on this machine's free fonts: serif body and title, sans 黑体, a 楷 face for 楷体
        assert faces.get(fonts.BODY_FONT, "").startswith(("Noto Serif CJK SC", "AR PL UMing"))
        assert faces.get(fonts.H1_FONT, "").startswith(("Noto Sans CJK SC", "WenQuanYi"))
