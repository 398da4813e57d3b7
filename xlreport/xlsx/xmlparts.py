"""The two small XML parts the reader needs of every workbook, read with expat: the cell formats
of xl/styles.xml and the custom properties of docProps/custom.xml.

ElementTree would do, but its import (with ElementPath and their patterns) was 2 % of a
``check``, which loads expat anyway (extent.py); and these handlers keep only what they are
asked for, where ElementTree builds the whole tree first. Each gives what ElementTree's reading
of the part gives (namespaces resolved, comments and processing instructions left out, a
value's text the character data before its first child): tests/test_reader_paths.py compares
them over mutated parts. The caller refuses DOCTYPE and entity declarations first.
"""

from __future__ import annotations

from typing import Callable
from xml.parsers import expat

STRING_VALUES = ("lpwstr", "lpstr", "bstr")  # the vt: types of a text property


def _local(name: str) -> str:
    return name[name.rfind("}") + 1:]  # expat writes a namespaced name "uri}local"


def _parse(xml: bytes, start: Callable, end: Callable, data: Callable | None = None) -> bool:
    """Runs the handlers over ``xml``; False when it is not well-formed XML or names an encoding
    Python does not know."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    if data is not None:
        parser.CharacterDataHandler = data
    try:
        parser.Parse(xml, True)
    except (expat.ExpatError, ValueError, LookupError):
        return False
    return True


def styles(xml: bytes) -> tuple[list[dict], list[dict]] | None:
    """The attributes (by local name) of every <numFmt>, and of every <xf> that is a child of a
    <cellXfs>, the children of each <cellXfs> in the order the <cellXfs> begin; None when the
    part does not parse."""
    number_formats: list[dict] = []
    cell_format_lists: list[list[dict]] = []
    open_lists: list[list[dict] | None] = []  # per open element: its list of <xf>, if it is a <cellXfs>

    def start(name: str, attrs: dict) -> None:
        local = name[name.rfind("}") + 1:]  # _local, inlined: this runs for every element of the part
        if local == "numFmt":
            number_formats.append({_local(k): v for k, v in attrs.items()})
        elif local == "xf" and open_lists and open_lists[-1] is not None:
            open_lists[-1].append({_local(k): v for k, v in attrs.items()})
        if local == "cellXfs":
            cell_format_lists.append([])
            open_lists.append(cell_format_lists[-1])
        else:
            open_lists.append(None)

    def end(name: str) -> None:
        open_lists.pop()

    if not _parse(xml, start, end):
        return None
    return number_formats, [xf for formats in cell_format_lists for xf in formats]


def properties(xml: bytes) -> list[tuple[str, list[str]]] | None:
    """Each child of the root named <property> (any namespace): its ``name`` attribute ("" when
    it has none) and the text of each of its string values (<vt:lpwstr>, <vt:lpstr>,
    <vt:bstr>); None when the part does not parse."""
    found: list[tuple[str, list[str]]] = []
    depth = 0
    text: list[str] | None = None  # the string value being read, until its end or first child

    def start(name: str, attrs: dict) -> None:
        nonlocal depth, text
        depth += 1
        text = None
        local = _local(name)
        if depth == 2:
            found.append((attrs.get("name", ""), []) if local == "property" else None)
        elif depth == 3 and found[-1] is not None and local in STRING_VALUES:
            text = []
            found[-1][1].append(text)

    def end(name: str) -> None:
        nonlocal depth, text
        depth -= 1
        text = None

    def data(chunk: str) -> None:
        if text is not None:
            text.append(chunk)

    if not _parse(xml, start, end, data):
        return None
    return [(name, ["".join(t) for t in values]) for name, values in filter(None, found)]
