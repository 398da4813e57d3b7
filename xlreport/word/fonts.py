"""The 公文 fonts and the free faces a PDF made here uses in their place.

The report names 方正小标宋简体 (title), 仿宋_GB2312 (body), 黑体 and 楷体_GB2312 (headings), which a
Linux machine rarely has. Without a rule LibreOffice falls back to one face for all of them
(Noto Sans CJK JP: Japanese glyph forms, and the title, the headings and the body look alike).
For the PDF conversion only, a fontconfig file maps each to the nearest free face installed —
Simplified Chinese, serif for the body and the title, 楷 for 楷体, sans for 黑体 — and the build
names each substitution it made. Nothing is installed at run time.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from .template import BODY_FONT, H1_FONT, H2_FONT, TITLE_FONT

# each 公文 font: the free faces that stand in for it, the nearest first (Debian: fonts-noto-cjk,
# fonts-arphic-ukai, fonts-arphic-uming)
CANDIDATES = {
    TITLE_FONT: ("Noto Serif CJK SC", "AR PL UMing CN"),  # a bold serif, as the title is set
    BODY_FONT: ("Noto Serif CJK SC", "AR PL UMing CN"),  # 仿宋 is a serif face
    H1_FONT: ("Noto Sans CJK SC", "WenQuanYi Zen Hei"),
    H2_FONT: ("AR PL UKai CN", "Noto Serif CJK SC"),
}


BOLD = {TITLE_FONT}  # 小标宋 is a heavy face: its stand-in is set bold


@dataclass(frozen=True)
class Substitution:
    """A font the document names, and the installed face a PDF gets instead."""

    font: str  # the 公文 font the document names
    face: str | None  # the installed face used instead; None when none of the candidates is installed


def installed_families() -> set[str] | None:
    """Font families fontconfig knows, or None where fontconfig is not there to ask."""
    fc = shutil.which("fc-list")
    if not fc:
        return None
    try:
        out = subprocess.run([fc, ":", "family"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {name.strip() for line in out.splitlines() for name in line.split(",")}


def substitutions(families: set[str] | None = None) -> list[Substitution]:
    """For each 公文 font missing here, the face that stands in (the installed ones need none)."""
    families = installed_families() if families is None else families
    if families is None:
        return []
    return [Substitution(font, next((f for f in faces if f in families), None))
            for font, faces in CANDIDATES.items() if font not in families]


def fontconfig_file(folder: Path, subs: list[Substitution]) -> Path:
    """A fontconfig configuration: the system's, and each substitution as a strong rule."""
    rules = "".join(
        f'  <match target="pattern"><test name="family"><string>{escape(s.font)}</string></test>'
        f'<edit name="family" mode="assign" binding="strong"><string>{escape(s.face)}</string></edit>'
        '<edit name="lang" mode="assign" binding="strong"><string>zh-cn</string></edit>'
        + ('<edit name="weight" mode="assign" binding="strong"><const>bold</const></edit>' if s.font in BOLD else "")
        + "</match>\n"
        for s in subs if s.face)
    path = folder / "fonts.conf"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
                    '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n' + rules + "</fontconfig>\n",
                    encoding="utf-8")
    return path


def notice(subs: list[Substitution]) -> list[str]:
    """One line per substitution, as the build prints them."""
    lines = [f"PDF 中“{s.font}”用“{s.face}”代替（本机没有该字体）" if s.face else
             f"PDF 中“{s.font}”没有合适的替代字体，由 LibreOffice 自选（本机没有该字体）" for s in subs]
    if lines:
        lines.append("正式发布前请在装有公文字体的电脑上用 WPS/Word 打开 .docx 另存为 PDF")
    return lines
