"""Text from a file made safe to show: on a terminal, in a message, in a file name.

A cell, a file name or an accept reason may hold escape sequences that retitle or rewrite the
clerk's console, right-to-left overrides that disguise a name, or (a file name that is not
UTF-8) lone surrogates that no encoder accepts. What reaches a console or a message shows each
such character as a visible escape instead.
"""

from __future__ import annotations

import re
import unicodedata

from . import lazyre

NAME_CHARS = 60  # see limits.NAME_CHARS; repeated here so that this module imports nothing but lazyre

# C0 and C1 controls (tab and newline are layout, kept), DEL, bidirectional controls, the
# invisible formatting characters that can hide text, and lone surrogates
_UNSAFE = lazyre.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")
_UNSAFE_LINE = lazyre.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")


def _escape(m: re.Match) -> str:
    ch = m.group(0)
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# Every character either pattern matches is unprintable (Unicode Cc, Cf, Cs or unassigned), so
# printable text is returned as it is without a search: most paths and messages, every one of
# the dozen a batch's reader names per workbook (tests/test_terminal.py checks every character)


def shown(text) -> str:
    """Text for a console: control and invisible characters as visible escapes; lines kept."""
    s = str(text)
    return s if s.isprintable() or not _UNSAFE.search(s) else _UNSAFE.sub(_escape, s)


def shown_line(text) -> str:
    """The same for something that must stay on one line (a file name, a path)."""
    s = str(text)
    return s if s.isprintable() or not _UNSAFE_LINE.search(s) else _UNSAFE_LINE.sub(_escape, s)


def shown_path(path) -> str:
    return shown_line(path)


def abbreviated(text: str, chars: int = 20) -> str:
    """Text a message quotes, cut to ``chars`` with an ellipsis (a forged value can be megabytes)."""
    return text if len(text) <= chars else text[:chars] + "…"


_NOT_IN_NAME = lazyre.compile(r'[\\/:*?"<>|]')
_RESERVED = lazyre.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.I)


def safe_name(text: str, max_chars: int = NAME_CHARS) -> str:
    """A piece of a file name made from text in a file (an agency name): characters no file
    system takes, controls and invisible characters replaced by _, capped in length."""
    s = unicodedata.normalize("NFC", str(text))
    s = _UNSAFE_LINE.sub("_", s)
    s = _NOT_IN_NAME.sub("_", s).strip().strip(".")
    if _RESERVED.match(s):
        s = "_" + s
    return s[:max_chars].rstrip(" .")


_UNSAFE_JSON = lazyre.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")


def json_text(value, indent: int = 2) -> str:
    """JSON for a console: json escapes C0 controls itself; C1 controls, bidirectional and
    invisible characters and lone surrogates are written as \\uXXXX escapes too (valid JSON,
    and a program reading it gets the same text back)."""
    import json

    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
