"""Label comparison: the same label typed, pasted or published in slightly different ways."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from .. import lazyre

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "「": '"', "」": '"', "『": '"', "』": '"'})
_SPACE = lazyre.compile(r"\s+")
_ITEM_NUMBER = lazyre.compile(r"(^|\))([0-9]+)[、.．,，]")
CACHED_CHARS = 256  # labels are short; a long text (a paragraph, a hostile cell) is not kept in a cache


def norm_label(text: str) -> str:
    """Full/half width, quotes, spaces and line breaks, and `1、` vs `1.` made alike."""
    if not text:
        return ""
    text = str(text)
    if len(text) > CACHED_CHARS:
        # a cache would keep a long text alive after its file is read: in a batch, file after file
        return _norm(text)
    return _norm_cached(text)


def _norm(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    t = _SPACE.sub("", t).replace("\u200b", "")
    return _ITEM_NUMBER.sub(r"\1\2.", t)


_norm_cached = lru_cache(maxsize=8192)(_norm)
