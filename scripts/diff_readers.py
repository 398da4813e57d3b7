"""Differential test of the two xlsx reading paths (issue 13): the C scanner against calamine.

    python scripts/diff_readers.py [--cases 10000] [--seed 13] [--dir DIR] [--show 5]

Our workbooks as clients send them (written by xlreport, re-saved by openpyxl, re-saved by
LibreOffice) are mutated, seed-fixed, one to three mutations a case (comments, processing
instructions, CDATA, entities and character references, booleans, inline and rich strings,
attributes in any order and quoting, date and other number formats, numbers written oddly,
formula strings, errors, escapes, whitespace, line ends, prefixes, encodings, the document
properties re-spelt, duplicated or reordered cells, broken XML …), and each case is read by
both paths exactly as the reader does (sheets._load): once with the scanner, once with
calamine only (sheets.SCANNER = False). Where the scanner read the workbook, the two must give
the same grid for every sheet of the format, value by value and type by type, and the same
formula cells; where the scanner is not sure it declines, and the reader then uses calamine.

Printed: how many cases, how many the scanner read, declined, refused by both (a broken file:
the same message either way), how many lost the stamp, how many differ (must be 0), and the
same per mutation. Exit status 1 when any case differs. tests/test_reader_paths.py runs a few
hundred cases of the same generator in the suite.
"""

from __future__ import annotations

import argparse
import html
import io
import random
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

from xlreport.container import Opened, Package, xlsx_sheet_paths
from xlreport.errors import XlreportError
from xlreport.format import spec
from xlreport.xlsx import sheets

WANTED = list(spec.DATA_SHEETS)
DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
RESAVED = {"openpyxl": DATA / "resaved-openpyxl.xlsx", "libreoffice": DATA / "resaved-libreoffice.xlsx"}


# --- the workbooks mutated ------------------------------------------------------------------


def pristine(seed: int) -> bytes:
    """A filled workbook as xlreport writes it, text included."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_batch import random_report
    from xlreport.xlsx.writer import write_workbook

    report = random_report(seed, broken=False)
    report.text.overview.intro = ["本年度工作概述：", "第一段 & <说明>，\"引号\"。", "  两端有空格  "]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.xlsx"
        write_workbook(path, report)
        return path.read_bytes()


def resave_openpyxl(data: bytes) -> bytes:
    import openpyxl

    out = io.BytesIO()
    openpyxl.load_workbook(io.BytesIO(data)).save(out)
    return out.getvalue()


def resave_libreoffice(data: bytes) -> bytes | None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src" / "a.xlsx"
        src.parent.mkdir()
        src.write_bytes(data)
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to", "xlsx",
                        "--outdir", f"{tmp}/out", str(src)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        out = Path(tmp) / "out" / "a.xlsx"
        return out.read_bytes() if out.exists() else None


def bases(folder: Path | None = None, distinct: int = 3) -> list[tuple[str, bytes]]:
    """(kind, workbook bytes): ``distinct`` pristine workbooks and their openpyxl re-saves, and
    LibreOffice re-saves (made with soffice into ``folder`` once; without soffice or a folder,
    the re-saved copies in tests/data)."""
    out = []
    for i in range(distinct):
        data = pristine(1000 + i)
        out += [("pristine", data), ("openpyxl", resave_openpyxl(data))]
    made = []
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(distinct):
            cached = folder / f"libreoffice-{i}.xlsx"
            if not cached.exists():
                data = resave_libreoffice(pristine(1000 + i))
                if data is None:
                    break
                cached.write_bytes(data)
            made.append(cached.read_bytes())
    out += [("libreoffice", d) for d in made]
    for kind, path in RESAVED.items():
        if path.exists() and (kind != "libreoffice" or not made):
            out.append((kind, path.read_bytes()))
    return out


# --- mutations ------------------------------------------------------------------------------

_CELL_RE = re.compile(rb"<c\b(?=[\s>/])[^>]*?(?:/>|>.*?</c>)", re.S)
_ATTR_RE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SI_RE = re.compile(rb"<si>(.*?)</si>", re.S)
_PLAIN_T_RE = re.compile(rb"<t(?: xml:space=\"preserve\")?>([^<]*)</t>")


class Case:
    """A workbook's parts, mutable; ``sheets`` are the parts of the sheets of the format."""

    def __init__(self, data: bytes):
        zf = zipfile.ZipFile(io.BytesIO(data))
        self.order = zf.namelist()
        self.parts = {n: zf.read(n) for n in self.order}
        opened = Opened(Path("case.xlsx"), "xlsx", data, Package(Path("case.xlsx"), data))
        paths = xlsx_sheet_paths(opened)
        self.sheets = [paths[n] for n in WANTED if n in paths]

    def pack(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
            for name in self.order:
                z.writestr(name, self.parts[name])
        return out.getvalue()


def _cells(xml: bytes, want=None) -> list[re.Match]:
    start = xml.find(b"<sheetData")
    return [m for m in _CELL_RE.finditer(xml, max(start, 0)) if want is None or want(m.group(0))]


def _attrs(cell: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """A cell's attributes and what follows its start tag (b"" for <c …/>)."""
    head_end = _tag_end(cell)
    head = cell[2:head_end]
    attrs = [(m.group(1), m.group(2) if m.group(2) is not None else m.group(3)) for m in _ATTR_RE.finditer(head)]
    rest = b"" if cell[head_end - 1:head_end + 1] == b"/>" else cell[head_end + 1:-4]
    return attrs, rest


def _tag_end(cell: bytes) -> int:
    quote = None
    for i, ch in enumerate(cell):
        if quote:
            if ch == quote:
                quote = None
        elif ch in b"\"'":
            quote = ch
        elif ch == 0x3E:  # >
            return i
    return len(cell) - 1


def _build(attrs, rest: bytes, rng: random.Random | None = None) -> bytes:
    parts = []
    for k, v in attrs:
        q = b"'" if rng is not None and rng.random() < 0.3 and b"'" not in v else b'"'
        eq = rng.choice([b"=", b" = ", b"=", b"\n=\t"]) if rng is not None and rng.random() < 0.2 else b"="
        parts.append(k + eq + q + v + q)
    sep = rng.choice([b" ", b"  ", b"\n", b"\t"]) if rng is not None and rng.random() < 0.2 else b" "
    head = b"<c" + b"".join(sep + p for p in parts)
    return head + (b">" + rest + b"</c>" if rest else b"/>")


def _attr(attrs, name: bytes):
    return next((v for k, v in attrs if k == name), None)


def _set(attrs, name: bytes, value: bytes | None):
    out = [(k, v) for k, v in attrs if k != name]
    if value is not None:
        out.append((name, value))
    return out


def _replace_cell(case: Case, part: str, m: re.Match, new: bytes) -> None:
    xml = case.parts[part]
    case.parts[part] = xml[: m.start()] + new + xml[m.end():]


def _value(rest: bytes) -> bytes | None:
    m = re.search(rb"<v>([^<]*)</v>", rest)
    return m.group(1) if m else None


def _numeric(cell: bytes) -> bool:
    attrs, rest = _attrs(cell)
    return _attr(attrs, b"t") in (None, b"n") and _value(rest) not in (None, b"") and b"<f" not in rest


def _shared(cell: bytes) -> bool:
    attrs, rest = _attrs(cell)
    return _attr(attrs, b"t") == b"s" and _value(rest) is not None


def _sheet_cell(case: Case, rng: random.Random, want=None):
    for part in rng.sample(case.sheets, len(case.sheets)):
        found = _cells(case.parts[part], want)
        if found:
            return part, rng.choice(found)
    return None, None


def _sst_texts(case: Case) -> list[bytes]:
    sst = case.parts.get("xl/sharedStrings.xml", b"")
    return [m.group(1) for m in _SI_RE.finditer(sst)]


def _sst_text(case: Case, cell: bytes) -> bytes:
    """The (escaped) text of a shared-string cell, for an inline copy."""
    texts = _sst_texts(case)
    try:
        inner = texts[int(_value(_attrs(cell)[1]))]
    except (ValueError, IndexError, TypeError):
        return b"x"
    return b"".join(m.group(1) for m in _PLAIN_T_RE.finditer(inner)) or b"x"


def _edit_si(case: Case, rng: random.Random, edit) -> bool:
    """Rewrite one <si>…</si> of the shared strings (one referenced from a sheet of the format
    when there is one): ``edit(inner) -> new inner`` or None."""
    name = "xl/sharedStrings.xml"
    sst = case.parts.get(name)
    if sst is None:
        return False
    entries = list(_SI_RE.finditer(sst))
    if not entries:
        return False
    used = set()
    for part in case.sheets:
        for m in _cells(case.parts[part], _shared):
            v = _value(_attrs(m.group(0))[1])
            if v is not None and v.isdigit():
                used.add(int(v))
    pool = [e for i, e in enumerate(entries) if i in used] or entries
    for e in rng.sample(pool, min(len(pool), 8)):
        new = edit(e.group(1))
        if new is not None:
            case.parts[name] = sst[: e.start(1)] + new + sst[e.end(1):]
            return True
    return False


def _insert_markup(case: Case, rng: random.Random, snippets: list[bytes]) -> bool:
    if rng.random() < 0.7:
        part = rng.choice(case.sheets)
        xml = case.parts[part]
        start = xml.find(b"<sheetData")
        spots = [m.start() for m in re.finditer(rb"<(?:row|c|/c|/row|v|/v|f)\b", xml[start:])]
        if not spots:
            return False
        at = start + rng.choice(spots)
        case.parts[part] = xml[:at] + rng.choice(snippets) + xml[at:]
        return True
    return _edit_si(case, rng, lambda inner: _splice_into_text(inner, rng, rng.choice(snippets)))


def _splice_into_text(inner: bytes, rng: random.Random, snippet: bytes) -> bytes | None:
    """``snippet`` put into the first <t>'s text, between two characters (never inside one, or
    inside an entity)."""
    m = _PLAIN_T_RE.search(inner)
    if m is None:
        return snippet + inner
    text = m.group(1).decode("utf-8", "surrogateescape")
    spots = [0] + [i + 1 for i, ch in enumerate(text) if ch != "&" and not re.search(r"&[#\w]*$", text[: i + 1])]
    at = len(text[: rng.choice(spots)].encode("utf-8", "surrogateescape"))
    return inner[: m.start(1) + at] + snippet + inner[m.start(1) + at:]


def m_comment(case, rng):
    return _insert_markup(case, rng, [b"<!-- note -->", b'<!-- <c r="B5"><v>7</v></c> -->', b"<!---->",
                                      b'<!-- <c r="A1" t="s"><v>0</v></c> -->', b"<!--\n\xe4\xb8\xad\n-->"])


def m_pi(case, rng):
    return _insert_markup(case, rng, [b"<?xlreport note?>", b'<?x <c r="C4"><v>1</v></c>?>', b"<?pi?>"])


def m_cdata(case, rng):
    def edit(inner):
        m = _PLAIN_T_RE.search(inner)
        if m is None:
            return None
        raw = html.unescape(m.group(1).decode("utf-8", "replace")).encode()
        if b"]]>" in raw:
            return None
        return inner[: m.start(1)] + b"<![CDATA[" + raw + b"]]>" + inner[m.end(1):]

    if rng.random() < 0.6:
        return _edit_si(case, rng, edit)
    part, m = _sheet_cell(case, rng, lambda c: b"<is>" in c)
    if m is None:
        return _edit_si(case, rng, edit)
    attrs, rest = _attrs(m.group(0))
    new = edit(rest)
    if new is None:
        return False
    _replace_cell(case, part, m, _build(attrs, new))
    return True


_ENTITIES_OK = [b"&amp;", b"&lt;", b"&gt;", b"&quot;", b"&apos;", b"&#20108;", b"&#x4E8C;", b"&#65;", b"&#x41;", b"&#32;",
                b"&#13;", b"&#10;", b"&#9;", b"&#x1F600;", b"&#xe9;", b"&#0233;"]
_ENTITIES_BAD = [b"&nbsp;", b"&#0;", b"&bogus;", b"&#xD800;", b"&amp", b"&#x80;", b"&#1;", b"&#X41;", b"&#;", b"&copy;"]


def _entity(rng):
    return rng.choice(_ENTITIES_BAD) if rng.random() < 0.15 else rng.choice(_ENTITIES_OK)


def _char_refs(text: bytes, rng) -> bytes:
    """Some characters of a text written as character references."""
    s = html.unescape(text.decode("utf-8", "replace"))
    out = []
    for ch in s:
        r = rng.random()
        if r < 0.3:
            out.append(f"&#{ord(ch)};")
        elif r < 0.5:
            out.append(f"&#x{ord(ch):X};")
        else:
            out.append(html.escape(ch, quote=False))
    return "".join(out).encode()


def m_entity(case, rng):
    r = rng.random()
    if r < 0.45:
        def edit(inner):
            m = _PLAIN_T_RE.search(inner)
            if m is None:
                return None
            text = _char_refs(m.group(1), rng) if rng.random() < 0.5 else m.group(1)
            at = rng.choice([0, len(text)])
            return inner[: m.start(1)] + text[:at] + _entity(rng) + text[at:] + inner[m.end(1):]
        return _edit_si(case, rng, edit)
    if r < 0.7:
        part, m = _sheet_cell(case, rng, lambda c: b"<is>" in c)
        if m is None:
            return False
        attrs, rest = _attrs(m.group(0))
        t = _PLAIN_T_RE.search(rest)
        if t is None:
            return False
        new = rest[: t.start(1)] + _char_refs(t.group(1), rng) + (_entity(rng) if rng.random() < 0.3 else b"") + rest[t.end(1):]
        _replace_cell(case, part, m, _build(attrs, new))
        return True
    part, m = _sheet_cell(case, rng, _numeric)
    if m is None:
        return False
    attrs, rest = _attrs(m.group(0))
    v = _value(rest)
    if r < 0.85:
        new_v = b"&#%d;" % v[0] + v[1:]  # a digit as a reference
        _replace_cell(case, part, m, _build(attrs, rest.replace(b"<v>" + v + b"</v>", b"<v>" + new_v + b"</v>")))
    else:
        _replace_cell(case, part, m, _build(_set(attrs, b"t", rng.choice([b"&#115;", b"&#110;"])), rest))
    return True


def m_boolean(case, rng):
    part, m = _sheet_cell(case, rng, _numeric if rng.random() < 0.7 else None)
    if m is None:
        return False
    attrs, _ = _attrs(m.group(0))
    v = rng.choice([b"0", b"1", b"1", b"0", b"true", b"TRUE", b" 1", b"2", b""])
    rest = rng.choice([b"<v>" + v + b"</v>", b"<v>" + v + b"</v>", b""]) if v else rng.choice([b"<v/>", b""])
    _replace_cell(case, part, m, _build(_set(attrs, b"t", b"b"), rest))
    return True


def m_inline(case, rng):
    part, m = _sheet_cell(case, rng, _shared if rng.random() < 0.8 else None)
    if m is None:
        return False
    attrs, _ = _attrs(m.group(0))
    text = _sst_text(case, m.group(0))
    rest = rng.choice([
        b"<is><t>" + text + b"</t></is>",
        b'<is><t xml:space="preserve">  ' + text + b" </t></is>",
        b"<is><t> " + text + b"\t</t></is>",
        b"<is><t>" + text + b"\r\n" + text + b"</t></is>",
        b"<is/>", b"<is><t/></is>", b"<is></is>",
        b"<v>" + text + b"</v>",
        b"<v>" + text + b"</v><is><t>" + text + b"</t></is>",
        b"<is><t>" + _char_refs(text, rng) + b"</t></is>",
        b"<is>\n  <t>" + text + b"</t>\n</is>",
        b"<is><t>" + text + b"</t><t>" + text + b"</t></is>",
    ])
    _replace_cell(case, part, m, _build(_set(attrs, b"t", b"inlineStr"), rest))
    return True


def _runs(text: bytes, rng) -> bytes:
    s = html.unescape(text.decode("utf-8", "replace"))
    cut = rng.randint(0, len(s))
    a, b = html.escape(s[:cut], quote=False).encode(), html.escape(s[cut:], quote=False).encode()
    first = rng.choice([b"<r><t>" + a + b"</t></r>", b'<r><rPr><b/><sz val="11"/><rFont val="\xe5\xae\x8b\xe4\xbd\x93"/></rPr><t>' + a + b"</t></r>",
                        b"<r><rPr><color rgb=\"FFFF0000\"/></rPr><t xml:space=\"preserve\">" + a + b" </t></r>", b"<t>" + a + b"</t>"])
    second = rng.choice([b"<r><t>" + b + b"</t></r>", b"<r><rPr><i/></rPr><t xml:space=\"preserve\"> " + b + b"</t></r>",
                         b"<r><t> " + b + b" </t></r>", b"<r><t/></r>"])
    extra = b""
    if rng.random() < 0.15:
        extra = b'<rPh sb="0" eb="1"><t>\xe3\x83\x94</t></rPh><phoneticPr fontId="1"/>'
    return first + second + extra


def m_rich(case, rng):
    if rng.random() < 0.6:
        def edit(inner):
            m = _PLAIN_T_RE.search(inner)
            return _runs(m.group(1), rng) if m else None
        return _edit_si(case, rng, edit)
    part, m = _sheet_cell(case, rng, _shared)
    if m is None:
        return False
    attrs, _ = _attrs(m.group(0))
    _replace_cell(case, part, m, _build(_set(attrs, b"t", b"inlineStr"), b"<is>" + _runs(_sst_text(case, m.group(0)), rng) + b"</is>"))
    return True


def _shuffle_tags(xml: bytes, tag: bytes, rng, share: float) -> bytes:
    def redo(m):
        if rng.random() > share:
            return m.group(0)
        head = m.group(0)
        close = b"/>" if head.endswith(b"/>") else b">"
        attrs = [(a.group(1), a.group(2) if a.group(2) is not None else a.group(3)) for a in _ATTR_RE.finditer(head[len(tag) + 1:])]
        rng.shuffle(attrs)
        out = []
        for k, v in attrs:
            q = b"'" if rng.random() < 0.4 and b"'" not in v else b'"'
            out.append(k + (b" = " if rng.random() < 0.1 else b"=") + q + v + q)
        return b"<" + tag + b"".join(b" " + a for a in out) + (b" " if rng.random() < 0.1 else b"") + close

    return re.sub(rb"<" + re.escape(tag) + rb"\b(?=[\s>/])(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", redo, xml)


def m_attr_order(case, rng):
    r = rng.random()
    if r < 0.6:
        part = rng.choice(case.sheets)
        case.parts[part] = _shuffle_tags(case.parts[part], b"c", rng, rng.choice([0.1, 0.5, 1.0]))
    elif r < 0.85 and "xl/styles.xml" in case.parts:
        xml = case.parts["xl/styles.xml"]
        for tag in (b"xf", b"numFmt"):
            xml = _shuffle_tags(xml, tag, rng, 1.0)
        case.parts["xl/styles.xml"] = xml
    else:
        return m_properties(case, rng)
    return True


_FORMATS = ['yyyy"年"m"月"d"日"', "h:mm", "[h]:mm:ss", "mm:ss", "0.00", "#,##0", '0"件"', '"d"0', "[Red]0.00",
            "General", "yyyy-mm-dd", "0.0%", '[$-804]aaaa', "m/d/yy", "@", '"年度"0', "0_);(0)", "# ?/?", "[DBNum1]0", "e"]


def m_date_style(case, rng):
    name = "xl/styles.xml"
    xml = case.parts.get(name)
    if xml is None:
        return False
    start, end = xml.find(b"<cellXfs"), xml.find(b"</cellXfs>")
    if start < 0 or end < 0:
        return False
    count = len(re.findall(rb"<xf\b", xml[start:end]))
    if rng.random() < 0.3:
        fid = rng.choice([b"14", b"22", b"45", b"46", b"47", b"2", b"10", b"49", b"0"])
    else:
        fid = str(rng.randint(170, 250)).encode()
        code = html.escape(rng.choice(_FORMATS), quote=True).encode()
        attrs = [b'numFmtId="' + fid + b'"', b'formatCode="' + code + b'"']
        rng.shuffle(attrs)
        fmt = b"<numFmt " + b" ".join(attrs) + b"/>"
        if b"</numFmts>" in xml:
            xml = xml.replace(b"</numFmts>", fmt + b"</numFmts>", 1)
        else:
            at = xml.find(b">", xml.find(b"<styleSheet")) + 1
            xml = xml[:at] + b"<numFmts>" + fmt + b"</numFmts>" + xml[at:]
        start, end = xml.find(b"<cellXfs"), xml.find(b"</cellXfs>")
    xf_attrs = [b'numFmtId="' + fid + b'"', b'fontId="0"', b'fillId="0"', b'borderId="0"', b'applyNumberFormat="1"']
    rng.shuffle(xf_attrs)
    xml = xml[:end] + b"<xf " + b" ".join(xf_attrs) + b"/>" + xml[end:]
    case.parts[name] = xml
    for _ in range(rng.randint(1, 3)):
        part, m = _sheet_cell(case, rng, _numeric)
        if m is None:
            return True
        attrs, rest = _attrs(m.group(0))
        _replace_cell(case, part, m, _build(_set(attrs, b"s", str(count).encode()), rest))
    return True


def m_numbers(case, rng):
    part, m = _sheet_cell(case, rng, _numeric)
    if m is None:
        return False
    attrs, rest = _attrs(m.group(0))
    v = _value(rest)
    try:
        x = float(v)
    except ValueError:
        return False
    new = rng.choice([
        f"{x:e}", f"{x:E}", f"+{v.decode()}", f"{v.decode()}.0" if b"." not in v else v.decode() + "0", f"00{v.decode()}",
        repr(x), f"{x:.17g}", f"{x/10:g}e1", "-0", ".5", "5.", "1e-3",
        " 5", "5 ", "inf", "NaN", "-infinity", "1_0", "0x10", "\u0661\u0662", "1e400", "1,5", "", "1e", "--1",
    ]).encode()
    _replace_cell(case, part, m, _build(attrs, rest.replace(b"<v>" + v + b"</v>", b"<v>" + new + b"</v>")))
    return True


def m_formula_string(case, rng):
    part, m = _sheet_cell(case, rng)
    if m is None:
        return False
    attrs, _ = _attrs(m.group(0))
    text = rng.choice([b"text", b" spaced ", b"a&amp;b", b"line\r\nend", b"&#13;&#10;x", b"_x0041_", b"\xe4\xb8\xad\xe6\x96\x87", b""])
    rest = rng.choice([
        b'<f>A1&amp;"x"</f><v>' + text + b"</v>",
        b"<f>CONCAT(A1,&quot;&gt;&quot;)</f><v>" + text + b"</v>",
        b"<v>" + text + b"</v>",
        b"<f>_xlfn.CONCAT(B1)</f><v>" + text + b"</v>",
        b"<f>A1</f>",
        b"<f>A1</f><v/>",
    ])
    _replace_cell(case, part, m, _build(_set(attrs, b"t", b"str"), rest))
    return True


def m_formula(case, rng):
    part, m = _sheet_cell(case, rng, _numeric)
    if m is None:
        return False
    attrs, rest = _attrs(m.group(0))
    f = rng.choice([b"<f>SUM(B5:C5)</f>", b'<f t="shared" ref="B5:B9" si="0">B4+1</f>', b'<f t="shared" si="0"/>',
                    b'<f aca="&gt;">A1&gt;0</f>', b"<f ca=\"1\" note='>'>IF(A1&gt;0,1,0)</f>", b"<f>\n  SUM(A1)\n</f>", b"<f/>"])
    _replace_cell(case, part, m, _build(attrs, f + rest))
    return True


def m_error(case, rng):
    part, m = _sheet_cell(case, rng)
    if m is None:
        return False
    attrs, _ = _attrs(m.group(0))
    t, rest = rng.choice([(b"e", b"<v>#DIV/0!</v>"), (b"e", b"<f>1/0</f><v>#DIV/0!</v>"), (b"e", b"<v>#N/A</v>"),
                          (b"d", b"<v>2024-01-02</v>"), (b"d", b"<v>2024-01-02T10:00:00</v>"), (b"x", b"<v>1</v>"),
                          (b"n", b"<v>1</v>"), (b"", b"<v>1</v>")])
    _replace_cell(case, part, m, _build(_set(attrs, b"t", t), rest))
    return True


def m_escape(case, rng):
    esc = rng.choice([b"_x000D_", b"_x0041_", b"_x4E8C_", b"_x00", b"_x00e9_", b"_x000a_", b"_xlfn", b"__x0041__"])
    if rng.random() < 0.7:
        return _edit_si(case, rng, lambda inner: _splice_into_text(inner, rng, esc))
    part, m = _sheet_cell(case, rng, _shared)
    if m is None:
        return False
    attrs, _ = _attrs(m.group(0))
    _replace_cell(case, part, m, _build(_set(attrs, b"t", b"inlineStr"), b"<is><t>" + _sst_text(case, m.group(0)) + esc + b"</t></is>"))
    return True


def m_whitespace(case, rng):
    part = rng.choice(case.sheets)
    xml = case.parts[part]
    start = xml.find(b"<sheetData")
    ws = lambda: rng.choice([b" ", b"\n", b"\r\n", b"\t", b"\n    "])  # noqa: E731
    pattern = rng.choice([rb"(?=<c\b)", rb"(?<=</c>)", rb"(?=<v>)", rb"(?<=</v>)", rb"(?=</c>)", rb"(?=<row\b)", rb"(?=</row>)"])
    share = rng.choice([0.05, 0.3, 1.0])
    body = re.sub(pattern, lambda m: ws() if rng.random() < share else b"", xml[start:])
    case.parts[part] = xml[:start] + body
    if rng.random() < 0.3:  # inside the start tags too
        case.parts[part] = re.sub(rb'(<c r="[A-Z]+[0-9]+")', lambda m: m.group(1) + ws() if rng.random() < share else m.group(1), case.parts[part])
    return True


def m_empty(case, rng):
    part, m = _sheet_cell(case, rng)
    if m is None:
        return False
    attrs, _ = _attrs(m.group(0))
    t = rng.choice([None, b"n", b"s", b"str", b"inlineStr", b"b"])
    rest = rng.choice([b"<v/>", b"<v></v>", b"", b"<v>\n</v>"])
    _replace_cell(case, part, m, _build(_set(attrs, b"t", t), rest))
    return True


def m_prefix(case, rng):
    part = rng.choice(case.sheets)
    xml = case.parts[part]
    body = re.sub(rb"<(/?)([A-Za-z]\w*)(?=[\s>/])", rb"<\1x:\2", xml)
    body = body.replace(b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                        b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"', 1)
    body = body.replace(b"<x:?xml", b"<?xml")
    case.parts[part] = body
    return True


def m_line_ends(case, rng):
    nl = rng.choice([b"\r\n", b"\r", b"\n", b"&#13;", b"&#13;&#10;", b"&#10;"])
    return _edit_si(case, rng, lambda inner: _splice_into_text(inner, rng, nl))


def m_unicode(case, rng):
    s = rng.choice(["\U00020000", "e\u0301", "\u200b", "\ufeff", "\u3000", "\xa0", "\t", "  ", "😀", "\u2028"]).encode()
    if rng.random() < 0.2:
        s = rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80"])  # not UTF-8
    return _edit_si(case, rng, lambda inner: _splice_into_text(inner, rng, s))


def m_encoding(case, rng):
    target = rng.choice(case.sheets + ["xl/sharedStrings.xml"])
    xml = case.parts.get(target)
    if xml is None:
        return False
    decl = rng.choice([b'<?xml version="1.0" encoding="GBK"?>', b'<?xml version="1.0" encoding="ISO-8859-1"?>',
                       b"<?xml version='1.0' encoding='utf-8'?>", b'<?xml version="1.0" encoding="UTF8"?>',
                       b'<?xml version="1.0"?>', b"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?>", b""])
    xml = re.sub(rb"^(?:\xef\xbb\xbf)?<\?xml[^>]*\?>\s*", b"", xml)
    case.parts[target] = decl + (b"\n" if decl and rng.random() < 0.5 else b"") + xml
    return True


def m_properties(case, rng):
    name = "docProps/custom.xml"
    xml = case.parts.get(name)
    if xml is None:
        return False
    xml = _shuffle_tags(xml, b"property", rng, 1.0)
    r = rng.random()
    if r < 0.3:
        xml = xml.replace(b"<Properties ", b"<!-- saved again --><Properties ", 1)
    elif r < 0.5:
        xml = re.sub(rb"<(/?)Properties\b", rb"<\1op:Properties", xml).replace(
            b'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"',
            b'xmlns:op="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"', 1)
        xml = re.sub(rb"<(/?)property\b", rb"<\1op:property", xml)
    elif r < 0.7:
        xml = xml.replace(b"xmlns:vt=", b"xmlns:v2=").replace(b"<vt:", b"<v2:").replace(b"</vt:", b"</v2:")
    elif r < 0.8:
        xml = re.sub(rb"(<vt:lpwstr>)([^<]*)(</vt:lpwstr>)", lambda m: m.group(1) + _char_refs(m.group(2), rng) + m.group(3), xml)
    case.parts[name] = xml
    return True


def m_duplicate(case, rng):
    part, m = _sheet_cell(case, rng, lambda c: b"<v>" in c)
    if m is None:
        return False
    cell = m.group(0)
    attrs, rest = _attrs(cell)
    r = rng.random()
    if r < 0.4:
        new = cell + _build(attrs, b"<v>42</v>")  # the same cell again
    elif r < 0.6:
        new = _build(attrs + [(b"r", b"A1")], rest)  # an attribute twice
    elif r < 0.8:
        new = _build(attrs, rest + b"<v>43</v>")  # a value twice
    else:  # out of order: this cell moved before the one preceding it
        xml = case.parts[part]
        before = [c for c in _cells(xml) if c.end() <= m.start()]
        if not before:
            return False
        p = before[-1]
        case.parts[part] = xml[: p.start()] + cell + xml[p.start(): m.start()] + xml[m.end():]
        return True
    _replace_cell(case, part, m, new)
    return True


def m_broken(case, rng):
    part = rng.choice(case.sheets + ["xl/sharedStrings.xml"])
    xml = case.parts.get(part)
    if xml is None:
        return False
    spots = [mm.start() for mm in re.finditer(rb"</(?:c|v|t|row|si|is)>", xml)]
    if not spots:
        return False
    at = rng.choice(spots)
    r = rng.random()
    if r < 0.4:
        xml = xml[:at] + xml[xml.find(b">", at) + 1:]  # a closing tag gone
    elif r < 0.7:
        xml = xml[:at] + b"<" + xml[at:]  # a stray <
    else:
        xml = xml[:at] + b'<c r="B2" t="s"><v>0</v>' + xml[at:]  # a cell not closed
    case.parts[part] = xml
    return True


MUTATIONS = {
    "comment": m_comment, "pi": m_pi, "cdata": m_cdata, "entity": m_entity, "boolean": m_boolean,
    "inline": m_inline, "rich": m_rich, "attr_order": m_attr_order, "date_style": m_date_style,
    "numbers": m_numbers, "formula_string": m_formula_string, "formula": m_formula, "error": m_error,
    "escape": m_escape, "whitespace": m_whitespace, "empty": m_empty, "prefix": m_prefix,
    "line_ends": m_line_ends, "unicode": m_unicode, "encoding": m_encoding, "properties": m_properties,
    "duplicate": m_duplicate, "broken": m_broken,
}
_WEIGHTS = {"prefix": 0.3, "broken": 0.5, "encoding": 0.5}


def mutate(data: bytes, rng: random.Random, most: int = 3) -> tuple[bytes, list[str]]:
    case = Case(data)
    names = list(MUTATIONS)
    weights = [_WEIGHTS.get(n, 1.0) for n in names]
    applied = []
    for _ in range(rng.randint(1, most)):
        name = rng.choices(names, weights)[0]
        if MUTATIONS[name](case, rng):
            applied.append(name)
    return case.pack(), applied


# --- the two paths --------------------------------------------------------------------------


def _opened(data: bytes) -> Opened:
    path = Path("case.xlsx")
    return Opened(path, "xlsx", data, Package(path, data))


def _shape(rows: list[list]) -> list[list[tuple[str, str]]]:
    out = [[(type(v).__name__, repr(v)) for v in r[: sheets.READ_COLS]] for r in rows[: sheets.READ_ROWS]]
    for r in out:
        while r and r[-1] == ("str", "''"):
            r.pop()
    while out and not out[-1]:
        out.pop()
    return out


def read_both(data: bytes, with_text: bool = True):
    """('scanned' | 'declined' | 'unstamped' | 'refused', scanner grids, calamine grids or the
    calamine path's error)."""
    wanted = [n for n in WANTED if with_text or n != spec.SHEET_TEXT]
    saved = sheets.SCANNER
    try:
        sheets.SCANNER = True
        try:
            book, stamp = sheets._load(_opened(data), with_text)
            scanned = {n: (_shape(book.grid(n).rows), book.grid(n).cells) for n in wanted if n in book._scanned}
        except XlreportError as e:
            scanned, stamp, first_error = None, {}, e
        sheets.SCANNER = False
        try:
            book, _ = sheets._load(_opened(data), with_text)
            names = set(book.sheet_names)
            slow = {n: (_shape(book.grid(n).rows), book.grid(n).cells) for n in wanted if n in names}
        except XlreportError as e:
            slow = e
    finally:
        sheets.SCANNER = saved
    if scanned is None:
        return ("refused" if isinstance(slow, XlreportError) else "scanner-refused"), first_error, slow
    if not scanned:
        return ("declined" if stamp else "unstamped"), None, slow
    return "scanned", scanned, slow


def differs(scanned, slow) -> str | None:
    """How the scanner's reading differs from calamine's, or None."""
    if isinstance(slow, XlreportError):
        return f"calamine refuses what the scanner read: {slow}"
    for name, (rows, cells) in scanned.items():
        other = slow.get(name)
        if other is None:
            return f"sheet {name} not read by calamine"
        if rows != other[0]:
            for i, (a, b) in enumerate(zip(rows + [[]] * len(other[0]), other[0] + [[]] * len(rows))):
                if a != b:
                    return f"sheet {name} row {i + 1}: scanner {a[:8]} calamine {b[:8]}"
        if cells != other[1]:
            diff = {k: (cells.get(k), other[1].get(k)) for k in set(cells) | set(other[1]) if cells.get(k) != other[1].get(k)}
            return f"sheet {name} formula cells: {dict(list(diff.items())[:4])}"
    return None


def make_case(i: int, seed: int, base_list: list[tuple[str, bytes]]) -> tuple[str, bytes, list[str], bool]:
    """Case ``i`` of a run: (kind of base, workbook, mutations applied, with_text); each case
    has its own generator, so one can be made again alone (--case)."""
    rng = random.Random(f"{seed}:{i}")
    kind, data = base_list[i % len(base_list)]
    case, applied = mutate(data, rng)
    return kind, case, applied, rng.random() < 0.8


def run(cases: int, seed: int, base_list: list[tuple[str, bytes]], show: int = 5, out=print) -> dict:
    totals: Counter = Counter()
    per: dict[str, Counter] = defaultdict(Counter)
    shown = 0
    for i in range(cases):
        kind, case, applied, with_text = make_case(i, seed, base_list)
        outcome, scanned, slow = read_both(case, with_text)
        if outcome == "scanned":
            why = differs(scanned, slow)
            if why is not None:
                outcome = "differ"
                if shown < show:
                    shown += 1
                    out(f"  case {i} ({kind}; {', '.join(applied) or 'none'}): {why}")
        elif outcome == "scanner-refused":
            outcome = "differ"
            if shown < show:
                shown += 1
                out(f"  case {i} ({kind}; {', '.join(applied)}): refused with the scanner ({scanned}), calamine read it")
        totals[outcome] += 1
        totals["cases"] += 1
        totals[f"kind:{kind}"] += 1
        for name in set(applied) or {"none"}:
            per[name][outcome] += 1
            per[name]["cases"] += 1
    return {"totals": totals, "per": per}


def report(result: dict, out=print) -> None:
    t = result["totals"]
    out(f"cases: {t['cases']}  (" + ", ".join(f"{k[5:]} {v}" for k, v in sorted(t.items()) if k.startswith("kind:")) + ")")
    out(f"read by the scanner and compared: {t['scanned']}")
    out(f"declined by the scanner (calamine read them): {t['declined']}")
    out(f"refused by both paths (broken files, the same message): {t['refused']}")
    out(f"stamp lost (not recognised as ours, calamine read them): {t['unstamped']}")
    out(f"differ: {t['differ']}")
    out("")
    out(f"{'mutation':<16} {'cases':>6} {'scanned':>8} {'declined':>9} {'refused':>8} {'unstamped':>10} {'differ':>7}")
    for name, c in sorted(result["per"].items()):
        out(f"{name:<16} {c['cases']:>6} {c['scanned']:>8} {c['declined']:>9} {c['refused']:>8} {c['unstamped']:>10} {c['differ']:>7}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--show", type=int, default=5, help="differing cases to describe")
    ap.add_argument("--case", type=int, help="write case N of the run to case-N.xlsx in --dir, and read it")
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "xlreport-diff", help="where LibreOffice re-saves are kept")
    args = ap.parse_args()
    from xlreport.xlsx import cells

    if not cells.AVAILABLE:
        raise SystemExit("the C scanner is not built: there is only one path")
    base_list = bases(args.dir)
    print(f"bases: {Counter(k for k, _ in base_list)}; seed {args.seed}")
    if args.case is not None:
        kind, case, applied, with_text = make_case(args.case, args.seed, base_list)
        (args.dir / f"case-{args.case}.xlsx").write_bytes(case)
        outcome, scanned, slow = read_both(case, with_text)
        print(f"case {args.case}: {kind}; {', '.join(applied)}; with_text={with_text}: {outcome}",
              differs(scanned, slow) if outcome == "scanned" else "", f"-> {args.dir / f'case-{args.case}.xlsx'}")
        return
    result = run(args.cases, args.seed, base_list, args.show)
    report(result)
    raise SystemExit(1 if result["totals"]["differ"] else 0)


if __name__ == "__main__":
    main()
