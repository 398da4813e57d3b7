"""Label comparison: the same label typed, pasted or published in slightly different ways."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "「": '"', "」": '"', "『": '"', "』": '"'})
_SPACE = re.compile(r"\s+")
_ITEM_NUMBER = re.compile(r"(^|\))([0-9]+)[、.．,，]")


@lru_cache(maxsize=8192)
def norm_label(text: str) -> str:
    """Full/half width, quotes, spaces and line breaks, and `1、` vs `1.` made alike."""
    if not text:
        return ""
    t = unicodedata.normalize("NFKC", str(text)).translate(_QUOTES)
    t = _SPACE.sub("", t).replace("\u200b", "")
    t = _ITEM_NUMBER.sub(r"\1\2.", t)
    return t
