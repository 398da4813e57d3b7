"""Reading a report back as it was published: web page (.html/.htm), Word (.docx), PDF and text.

Each format module turns the file into a Document (paragraphs and grids, or lines of text);
assemble.py finds the three tables by label (locate.py), the prose by its headings and the meta
in the title and the contact paragraph. Refusals (old format, a table missing, not a report)
raise InputError; everything the importer was unsure of comes back as an `import-uncertain`
warning that says where in the source it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from ..format import spec
from ..format.rules import RULES
from ..container import read_bytes
from ..errors import InputError
from ..model import Report
from ..problems import Problem
from . import assemble

SUFFIXES = tuple(spec.PUBLISHED_FORMATS)
KINDS = frozenset(spec.PUBLISHED_FORMATS.values())
_FEE_RULES = {r.code for r in RULES if r.code.startswith("fees-")}


@dataclass
class Imported:
    """A report read back from a published document, with what reading it found."""

    path: Path
    report: Report
    problems: list[Problem] = field(default_factory=list)
    kind: str = "html"


def extract(path: Path, kind: str, data: bytes):
    if kind == "html":
        from .html import extract as run
    elif kind == "docx":
        from .docx import extract as run
    elif kind == "pdf":
        from .pdf import extract as run
    else:
        from .text import extract as run
    return run(path, data)


def _sniff(path: Path, kind: str, data: bytes) -> None:
    """A file whose content is plainly another kind than its name says."""
    head = data[:8]
    if kind in ("html", "txt") and (head.startswith(b"PK") or head.startswith(b"%PDF") or head.startswith(b"\xd0\xcf\x11\xe0")):
        what = "PDF 文件" if head.startswith(b"%PDF") else "Office 文件"
        raise InputError(f"{path}：文件名是 {path.suffix}，内容却是{what}，无法读取", "请改为正确的扩展名后再试")
    if kind == "docx" and head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(f"{path}：这是旧版 Word 文档（.doc），无法读取", "请用 WPS/Word 另存为 .docx 后再试")


def import_report(path, with_text: bool = True) -> Imported:
    """A published report as data, with everything the importer was unsure of."""
    path = Path(path)
    kind = spec.PUBLISHED_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"{path}：不支持的文件类型“{path.suffix}”", "可导入 " + "、".join(SUFFIXES))
    data = read_bytes(path, kind)
    _sniff(path, kind, data)
    doc = extract(path, kind, data)
    assemble.refuse_if_several(path, doc)
    found = assemble.find_tables(doc)
    assemble.refuse_if_unusable(path, doc, found)
    report = Report()
    problems: list[Problem] = []
    assemble.values_from(found, report, problems)
    assemble.table_problems(found, report, problems)
    report.meta.update({k: v for k, v in found.meta.items() if k in report.meta and v})
    assemble.prose(doc, report, problems, with_text)
    if with_text:
        assemble.meta_from_prose(report)
        assemble.fees_from_prose(report)
        assemble.drop_defaults(report)
    return Imported(path, report, sorted(problems, key=_order), kind)


_FIELD_ORDER = {f.key: i for i, f in enumerate(spec.FIELDS)}
_SECTION_ORDER = {title: i for i, title in enumerate(spec.SECTION_TITLES.values())}


def _order(p: Problem):
    return (_SECTION_ORDER.get(p.sheet, -1), 0 if p.is_error else 1, _FIELD_ORDER.get(p.key, -1))


def as_published(report: Report, problems: list[Problem]) -> list[Problem]:
    """Problems of a published report placed by table and labels: sheet = the table's section
    title, no cell. Fee rules are left out where the report does not publish the fee figures."""
    fees_published = any(report.values.get(f.path) is not None for f in spec.FEE_FIELDS)
    out = []
    for p in problems:
        if p.code in _FEE_RULES and not fees_published:
            continue
        if p.code == assemble.CODE or p.sheet in _SECTION_ORDER:
            out.append(p)
            continue
        f = spec.FIELD_BY_PATH.get(tuple(p.key.split("."))) if p.key else None
        sheet = spec.SECTION_TITLES[assemble._table_of(f)] if f is not None else ""
        out.append(replace(p, sheet=sheet, cell="", cells=()))
    return sorted(out, key=_order)


__all__ = ["Imported", "import_report", "as_published", "SUFFIXES", "KINDS"]
