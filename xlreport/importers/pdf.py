""".pdf → lines of text from its text layer (pdfplumber), page by page, for locate.locate_lines.

A PDF without text (a scan) cannot be read: the message says so. pdfplumber is imported here
only, so the other commands do not pay for it.
"""

from __future__ import annotations

import io
import logging
from collections import Counter
from pathlib import Path

from ..errors import InputError
from .document import Document
from .text import lines_document

MAX_PAGES = 200


def extract(path: Path, data: bytes) -> Document:
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise InputError(f"{path}：不是 PDF 文件（文件开头没有 %PDF 标记），无法读取")
    try:
        import pdfplumber
    except ImportError:  # pragma: no cover - a dependency of the package
        raise InputError(f"{path}：读取 PDF 需要 pdfplumber", "请运行 pip install pdfplumber") from None
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    lines: list[tuple[str, str]] = []
    starts: set[int] = set()  # lines set in from the left margin: a paragraph's first line (公文 indent)
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > MAX_PAGES:
                raise InputError(f"{path}：PDF 有 {len(pdf.pages)} 页，年度报告不应超过 {MAX_PAGES} 页，已拒绝读取")
            for p, page in enumerate(pdf.pages, 1):
                found = page.extract_text_lines(return_chars=True) or []
                lefts = Counter(round(line["x0"]) for line in found)
                margin = min((x for x, n in lefts.items() if n >= max(2, len(found) // 5)), default=None)
                for i, line in enumerate(found, 1):
                    chars = line.get("chars") or []
                    size = chars[0]["size"] if chars else 12
                    if margin is not None and 1.5 * size <= line["x0"] - margin <= 4.5 * size:
                        starts.add(len(lines))
                    lines.append((f"第{p}页第{i}行", line["text"]))
    except InputError:
        raise
    except Exception as e:  # pdfminer raises many kinds of errors for a broken or encrypted file
        name = type(e).__name__
        if "Password" in name or "Encrypt" in name:
            raise InputError(f"{path}：PDF 设置了密码，无法读取") from None
        raise InputError(f"{path}：PDF 文件已损坏，无法读取（{name}）") from None
    if not any(t.strip() for _, t in lines):
        raise InputError(f"{path}：PDF 中没有文字层（可能是扫描件），无法读取", "请找到报告的网页版或 Word 版，或先做文字识别（OCR）")
    doc = lines_document(path, "pdf", lines)
    doc.starts = starts
    return doc
