"""Acknowledged exceptions: a warning accepted with a reason, kept in a small file beside the input.

An acceptance is keyed by rule and place and carries a fingerprint of the numbers the warning
was about; when those change, the acceptance lapses and the warning counts again.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import replace
from pathlib import Path

from .. import limits
from ..container import read_bytes
from ..errors import InputError
from ..output import atomic_target
from ..problems import Problem
from ..shown import shown_path

SUFFIX = ".accept.json"


def accept_file(source: Path) -> Path:
    source = Path(source)
    return source.with_name(source.name + SUFFIX)


def fingerprint(p: Problem) -> str:
    import hashlib  # OpenSSL's start-up: 11 M instructions that a check of a file with nothing accepted need not pay

    raw = "\x1f".join((p.code, p.key or p.place, p.expected, p.actual, p.message))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def place_of(p: Problem) -> str:
    return p.key or p.place or p.row_label


def load(source: Path) -> list[dict]:
    """The acceptances recorded beside ``source``; a file that is not what accept writes is
    refused (it may come from whoever sent the workbook)."""
    if not os.path.exists(f"{source}{SUFFIX}"):  # the common case, asked ten thousand times in a batch
        return []
    path = accept_file(source)
    broken = InputError(f"{shown_path(path)}：确认记录文件已损坏，无法读取", "删除该文件后重新确认")
    data = read_bytes(path, "accept")
    try:
        entries = json.loads(data.decode("utf-8"))["accepted"]
    except (ValueError, KeyError, TypeError, RecursionError, UnicodeDecodeError):
        raise broken from None
    if not isinstance(entries, list) or len(entries) > limits.ACCEPT_ENTRIES.value:
        raise broken
    for e in entries:
        if not (isinstance(e, dict) and all(isinstance(e.get(k), str) for k in ("code", "place", "fingerprint"))
                and isinstance(e.get("reason", ""), str)):
            raise broken
    return entries


def apply(source: Path, problems: list[Problem]) -> tuple[list[Problem], list[dict]]:
    """Mark accepted warnings; return the problems and the acceptances that lapsed."""
    entries = load(source)
    if not entries:
        return problems, []
    by_place = {(e["code"], e["place"]): e for e in entries}
    used = set()
    out = []
    for p in problems:
        e = by_place.get((p.code, place_of(p)))
        if e is not None and not p.is_error and e.get("fingerprint") == fingerprint(p):
            out.append(replace(p, accepted=e.get("reason", "")))
            used.add((p.code, place_of(p)))
        else:
            out.append(p)
    lapsed = [e for key, e in by_place.items() if key not in used]
    return out, lapsed


def record(source: Path, problems: list[Problem], code: str, place: str | None, reason: str) -> list[Problem]:
    """Accept the warnings of rule ``code`` (at ``place`` if given); returns those accepted."""
    matching = [p for p in problems if p.code == code and (place is None or place in (place_of(p), p.cell, p.place))]
    if not matching:
        raise InputError(f"{source}：没有找到规则“{code}”" + (f"在“{place}”" if place else "") + "的提醒", "先运行 xlreport check 查看提醒的规则编号和位置")
    if any(p.is_error for p in matching):
        raise InputError(f"{source}：“{code}”是错误，不能确认，只能改正")
    entries = {(e["code"], e["place"]): e for e in load(source)}
    now = _dt.datetime.now().isoformat(timespec="seconds")
    for p in matching:
        entries[(p.code, place_of(p))] = {
            "code": p.code, "place": place_of(p), "reason": reason, "fingerprint": fingerprint(p),
            "message": p.message, "accepted_at": now,
        }
    doc = {"accepted": list(entries.values())}
    with atomic_target(accept_file(source), force=True) as tmp:
        tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return matching
