"""The common step after any format: tables by label (locate.py), values, prose by headings, meta.

A published report's totals are given, not computed: they are kept as printed so that the rules
find a published 总计 that does not add up. A cell that was not printed stays None.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from .. import limits

from ..format import spec
from ..errors import InputError
from ..format.labels import norm_label
from ..format.locate import Found, Note, brief, is_placeholder, locate, locate_lines, old_format_mark, section_heading, table_regions, title_meta
from ..model import Item, Report, Section, Text
from ..problems import Problem, make, rule_problem
from ..xlsx.reader import parse_number
from .document import Document, paragraphs_from_lines

TABLE_KEYS = ("active", "requests", "appeals")
CODE = "import-uncertain"


# --- values ------------------------------------------------------------------------------------

_NUM = r"([0-9０-９][0-9０-９,，]*(?:[.．][0-9０-９]+)?)"
_UNITS = r"(?:件|个|项|条|次|万元|元)"
_ANNOTATED = re.compile(rf"^{_NUM}\s*{_UNITS}?\s*[（(](.+?)[）)]\s*{_UNITS}?$", re.S)
_WITH_UNIT = re.compile(rf"^{_NUM}\s*{_UNITS}$")


def read_cell(raw, unit: spec.Unit):
    """(value, kind, detail, error) of a published cell. kind: number | blank | placeholder | annotated."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, "blank", "", None
    if not isinstance(raw, str):
        value, _, error = parse_number(raw, unit)
        return value, "number", "", error
    text = re.sub(r"\s+", "", raw)
    if is_placeholder(text):
        return None, "placeholder", text, None
    m = _ANNOTATED.match(text)
    if m:
        value, _, error = parse_number(m.group(1), unit)
        return value, "annotated", m.group(2), error
    m = _WITH_UNIT.match(text)
    if m:
        text = m.group(1)
    value, _, error = parse_number(text, unit)
    return value, "number", "", error


def _fmt(v) -> str:
    return format(v, "f") if isinstance(v, Decimal) else str(v)


def _table_of(f: spec.Field) -> str:
    return "other" if f.table == "fees" else f.table


def _note_problem(note: Note) -> Problem:
    where = f"（原文位置：{note.where}）" if note.where else ""
    return make(CODE, note.message + where, sheet=spec.SECTION_TITLES.get(note.table, ""), row_label=note.row_label,
                col_label=note.col_label, key=note.key, actual=note.actual)


def values_from(found: Found, report: Report, problems: list[Problem]) -> None:
    """Every field found, parsed; blanks, placeholders and annotations noted per row."""
    per_row: dict[tuple, dict[str, list]] = {}
    read: dict[tuple, tuple] = {}  # a merged cell gives many fields one text: it is read once
    for f in spec.FIELDS:
        if f.table == "fees" or f.path not in found.raw:
            continue
        raw = found.raw[f.path]
        if (raw, f.unit) not in read:
            read[(raw, f.unit)] = read_cell(raw, f.unit)
        value, kind, detail, error = read[(raw, f.unit)]
        where = found.where.get(f.path, "")
        sheet = spec.SECTION_TITLES[f.table]
        if error:
            problems.append(rule_problem("value-type", {"reason": f"{brief(error)}（原文位置：{where}）"}, sheet=sheet, row_label=f.row_label,
                                         col_label=f.col_label, key=f.key, actual=brief(raw),
                                         expected="0或正整数" if f.unit is spec.Unit.COUNT else "0或正数"))
            continue
        report.values[f.path] = value
        if kind == "annotated":
            problems.append(make(CODE, f"“{brief(raw)}”按{_fmt(value)}读取，括号中的“{brief(detail)}”是说明，未计入（原文位置：{where}）",
                                 sheet=sheet, row_label=f.row_label, col_label=f.col_label, key=f.key, actual=brief(raw), expected=_fmt(value)))
        elif kind in ("blank", "placeholder"):
            shown = "空白" if kind == "blank" else f"“{detail}”"  # a placeholder: four characters at most
            row = per_row.setdefault((f.table, f.row_label, shown), {"cols": [], "where": where, "key": f.key})
            row["cols"].append(f.col_label)
    widths = {}
    for f in spec.FIELDS:
        widths[(f.table, f.row_label)] = widths.get((f.table, f.row_label), 0) + 1
    for (table, row_label, shown), info in per_row.items():
        cols = "、".join(c for c in info["cols"] if c)
        whole = len(info["cols"]) == widths[(table, row_label)] > 1
        what = f"整行为{shown}" if whole else f"{cols}为{shown}" if cols else f"印为{shown}"
        problems.append(make(CODE, f"{what}，不是数字：未按0计，按未公开处理（原文位置：{info['where']}）",
                             sheet=spec.SECTION_TITLES[table], row_label=row_label, col_label=cols, key=info["key"], actual=shown))


# --- the tables --------------------------------------------------------------------------------


def _place(name: str, r: int, c: int) -> str:
    return f"{name}第{r + 1}行第{c + 1}列"


def find_tables(doc: Document) -> Found:
    grids = [(b.where, b.rows) for b in doc.grids]
    if doc.lines is None:
        return locate(grids, place=_place, guess=True)
    by_lines = locate_lines(doc.lines, doc.positions)
    if not grids:
        return by_lines
    # a PDF whose tables have ruling lines: read cell by cell (an empty cell is empty, not a
    # row to drop), where that finds all three tables and no fewer numbers than the text lines
    by_cells = locate(grids, place=_place, guess=True)
    if by_cells.tables >= set(TABLE_KEYS) and len(by_cells.raw) >= len(by_lines.raw):
        by_cells.meta = by_lines.meta  # the title is a line of text, not a cell
        by_cells.old_format = by_cells.old_format or by_lines.old_format
        return by_cells
    return by_lines


def _all_text(doc: Document) -> list[tuple[str, str]]:
    """Paragraphs, lines, and each grid's cells — a merged cell's text once per grid, where it begins."""
    out = list(doc.paragraphs) + list(doc.lines or [])
    for b in doc.grids:
        cells: dict[str, str] = {}
        for r, row in enumerate(b.rows):
            for c, cell in enumerate(row):
                if cell and cell not in cells:
                    cells[cell] = _place(b.where, r, c)
        out += [(where, text) for text, where in cells.items()]
    return out


def refuse_if_several(path: Path, doc: Document) -> None:
    """One file, one report: a file with two titles of different years, or the report's section
    headings twice over (a side-by-side comparison, two reports pasted into one page), is
    refused rather than read as one report made of both."""
    titles: dict[int, str] = {}
    headings: dict[str, list[str]] = {}
    texts = _all_text(doc)
    for where, text in texts:
        t = norm_label(text)
        if len(t) <= _TITLE_CHARS and t.rstrip("。").endswith(spec.REPORT_TITLE_WORDS):
            meta = title_meta(text)
            if meta is not None:
                titles.setdefault(meta[1], where)
        key = section_heading(text)
        if key is not None:
            headings.setdefault(key, []).append(where)
    repeated = [k for k, places in headings.items() if len(places) > 1]
    side = next(((where, years) for where, text in texts if len(years := _side_by_side(text)) > 1), None)
    if side is not None:  # two reports in columns: "2023 年报告    2024 年报告", "年份: 2023 vs 2024"
        where, years = side
        raise InputError(f"{path}：这是{'、'.join(f'{y}年' for y in years)}报告的对照（{where}），一个文件中有{len(years)}份年度报告，未导入",
                         "请分别导入每一年的报告原文")
    # a second title alone may be a wrapped line that names another year's report: it counts
    # with a section heading repeated
    if not (len(titles) >= 2 and repeated) and len(repeated) < 3:
        return
    if len(titles) >= 2:
        detail = "、".join(f"{y}年（{where}）" for y, where in sorted(titles.items()))
        raise InputError(f"{path}：一个文件中有{len(titles)}份年度报告的标题：{detail}，未导入",
                         "请把每份报告分别保存为单独的文件后再导入")
    detail = "、".join(f"“{spec.SECTION_TITLES[k]}”" for k in repeated[:3])
    raise InputError(f"{path}：一个文件中有两份以上的年度报告（{detail}等部分各出现了不止一次），未导入",
                     "请把每份报告分别保存为单独的文件后再导入")


_YEAR_REPORT = re.compile(r"((?:19|20)\d{2})\s*年(?:度)?\s*(?:政府信息公开工作年度)?(?:报告|年报)")
_YEARS_COMPARED = re.compile(r"((?:19|20)\d{2})\s*年?\s*(?:vs\.?|VS|对比|比对|对照)\s*((?:19|20)\d{2})")


def _side_by_side(text: str) -> list[int]:
    """The years of a line that heads two reports side by side, or compares two years."""
    if len(text) > 200:
        return []
    years = {int(y) for y in _YEAR_REPORT.findall(text)}
    m = _YEARS_COMPARED.search(text)
    if m:
        years |= {int(m.group(1)), int(m.group(2))}
    return sorted(years) if len(years) > 1 else []


_TITLE_CHARS = 60  # a title line; a sentence that names a report ("…2023年政府信息公开工作年度报告中…") is longer or does not end so


def refuse_if_unusable(path: Path, doc: Document, found: Found) -> None:
    old = found.old_format
    missing = [k for k in TABLE_KEYS if k not in found.tables]
    if old is None and missing:
        seen: set[str] = set()
        for where, text in _all_text(doc):
            if text in seen:
                continue  # a merged cell's text, again
            seen.add(text)
            mark = old_format_mark(text)
            if mark:
                old = (mark, where)
                break
    if old is not None:
        mark, where = old
        raise InputError(
            f"{path}：这是2019年试行格式（{spec.OLD_FORMAT_NAME}）的年度报告（{where}有“{mark}”），"
            f"xlreport 只支持{spec.FORMAT_NAME}规定的2021年版格式，未导入",
            "旧格式报告的表格与新格式不同，无法逐项对应",
        )
    if len(missing) == len(TABLE_KEYS):
        raise InputError(f"{path}：不是政府信息公开工作年度报告（找不到{spec.FORMAT_NAME}格式的三张表格），未导入")
    if missing:
        raise InputError(f"{path}：找不到表格" + "、".join(f"“{spec.SECTION_TITLES[k]}”" for k in missing) + "，未导入",
                         "导入需要报告中的全部三张表格")
    for key in TABLE_KEYS:
        fields = [f for f in spec.TABLE_BY_KEY[key].fields]
        got = sum(1 for f in fields if f.path in found.raw)
        covered = sum(len(values) for values, _ in found.single_rows.values()) if key == "requests" else 0
        covered += sum(1 for f in fields if f.path in found.unsplit)  # read, and said why they stay blank
        if got + covered < len(fields) / 2:
            raise InputError(f"{path}：表格“{spec.SECTION_TITLES[key]}”不完整（{len(fields)}个数字中只读到{got}个），未导入",
                             "请核对原文的表格是否完整")


def table_problems(found: Found, report: Report, problems: list[Problem]) -> None:
    """Rows not found, groups printed as one row, and what the locator was unsure of."""
    covered: set[str] = set()
    for group, (values, where) in found.single_rows.items():
        keys = [r[0] for r in spec.REQUEST_ROWS if r[1] == group]
        covered.update(keys)
        shown = " ".join(brief(v) for v in values)
        nonzero = any(read_cell(v, spec.Unit.COUNT)[0] for v in values)
        tail = "；这一行有不为0的数字，（七）总计的核对会因此不符" if nonzero else ""
        problems.append(make(
            CODE, f"“{group}”只印了一行，没有1—{len(keys)}项（旧格式的写法）：这一行的数字（{shown}）无法分到各项，"
            f"各项按未公开处理{tail}（原文位置：{where}）",
            sheet=spec.SECTION_TITLES["requests"], row_label=group, key=spec.FIELD_BY_PATH[("requests", keys[0], "total")].key, actual=shown,
        ))
    seen_rows: set[tuple] = set()
    for f in spec.FIELDS:
        if f.table not in TABLE_KEYS or f.path in found.raw or (f.table, f.row_label) in seen_rows:
            continue
        if f.table == "requests" and f.path[1] in covered:
            continue
        if any(n.key == f.key or (n.row_label == f.row_label and n.table == f.table) for n in found.notes):
            continue  # the locator has said why
        seen_rows.add((f.table, f.row_label))
        if f.table == "appeals":
            continue
        problems.append(make(CODE, f"找不到“{f.row_label}”这一行，按未公开处理", sheet=spec.SECTION_TITLES[f.table],
                             row_label=f.row_label, key=f.key, actual="（缺少这一行）"))
    problems.extend(_note_problem(n) for n in found.notes)


# --- prose ----------------------------------------------------------------------------------------

_SUB = re.compile(r"^[（(]([一二三四五六七八九十]+)[）)]\s*(.*)$", re.S)
_CHROME = re.compile(r"(版权所有|ICP备|网站标识码|主办单位|承办单位|打印本页|关闭窗口|【打印】|【关闭】|扫一扫|字号[:：]|浏览次数|分享到|当前位置[:：])")
_DATE_LINE = re.compile(r"^20[0-9]{2}年[0-9]{1,2}月[0-9]{1,2}日$")
_CLOSING = re.compile(r"电子版|如对本报告|如对本年度报告|有任何疑问")
MAX_ITEMS = {s: sum(1 for t in spec.TEXT_SLOTS if t.section == s and t.kind == "item") for s in ("overview", "problems", "other")}


def split_heading(rest: str) -> tuple[str, str] | None:
    """`主动公开情况。2024年…` -> ("主动公开情况", "2024年…"); None when it is not a heading."""
    rest = rest.strip()
    if len(rest) <= 30 and "。" not in rest[:-1]:
        return rest.rstrip("。：:；;，,"), ""
    for mark in ("。", "：", ":"):
        i = rest.find(mark)
        if 0 < i <= 40:
            return rest[:i], rest[i + 1:].strip()
    return None


def split_items(paragraphs: list[str]) -> Section:
    section = Section()
    for text in paragraphs:
        m = _SUB.match(text)
        parts = split_heading(m.group(2)) if m else None
        if parts is not None:
            heading, body = parts
            section.items.append(Item(heading, [body] if body else []))
            continue
        (section.items[-1].paragraphs if section.items else section.intro).append(text)
    section.items = [i for i in section.items if i.paragraphs]
    return section


def _cap(section: Section, name: str, problems: list[Problem]) -> None:
    limit = MAX_ITEMS[name]
    if len(section.items) <= limit:
        return
    extra = section.items[limit - 1:]
    merged = Item(extra[0].heading, list(extra[0].paragraphs))
    for item in extra[1:]:
        merged.paragraphs.append(item.heading)
        merged.paragraphs.extend(item.paragraphs)
    section.items = section.items[: limit - 1] + [merged]
    problems.append(make(CODE, f"“{spec.SECTION_TITLES[name]}”有{limit - 1 + len(extra)}个小节，工作簿最多{limit}个：第{limit}个起已合并为一个小节",
                         sheet=spec.SECTION_TITLES[name]))


def _prose_paragraphs(doc: Document) -> list[tuple[str, str]]:
    """The document's paragraphs (PDF text: rebuilt from its lines), the tables' lines and the
    page furniture left out."""
    if doc.lines is not None:
        tables = {where for region in table_regions(doc.lines).values() for where, _ in region}
        kept = [(i, line) for i, line in enumerate(doc.lines) if line[0] not in tables]
        starts = {n for n, (i, _) in enumerate(kept) if i in doc.starts}
        paras = paragraphs_from_lines([line for _, line in kept], starts)
    else:
        paras = doc.paragraphs
    return [(w, t) for w, t in paras if not _CHROME.search(t)]


def _title_meta(doc: Document, paras: list[tuple[str, str]], report: Report) -> int | None:
    """The title's paragraph (None when there is none), and the agency and year it gives (the
    agency may stand on the line above it), else those of the document's own title."""
    title_at = None
    for i, (_, text) in enumerate(paras[:15]):
        if spec.REPORT_TITLE_WORDS in norm_label(text) and len(norm_label(text)) <= 60:
            title_at = i
            tm = title_meta(text)
            if tm:
                agency, year = tm
                if not agency and i > 0 and len(paras[i - 1][1]) <= 40 and "。" not in paras[i - 1][1]:
                    agency = norm_label(paras[i - 1][1])
                report.meta["agency"] = report.meta.get("agency") or agency or None
                report.meta["year"] = report.meta.get("year") or year
            break
    if not report.meta.get("agency") and doc.title:
        tm = title_meta(doc.title)
        if tm:
            report.meta["agency"] = tm[0] or None
            report.meta["year"] = report.meta.get("year") or tm[1]
    return title_at


def _section_heads(paras: list[tuple[str, str]], start: int) -> dict[str, int]:
    """Where each section's heading is: the first of each, in the format's order."""
    heads: dict[str, int] = {}
    order = spec.SECTION_ORDER
    for i in range(start, len(paras)):
        key = section_heading(paras[i][1])
        if key and key not in heads and all(order.index(key) > order.index(k) for k in heads):
            heads[key] = i
    return heads


def _preamble(paras: list[tuple[str, str]], start: int, first: int, titled: bool) -> list[str]:
    preamble = [t for _, t in paras[start:first]]
    if titled:
        return preamble
    keep = len(preamble)  # no title: only the prose right before the first heading
    while keep and preamble[keep - 1].endswith(("。", "）", ")")):
        keep -= 1
    return preamble[keep:]


def _closing(body: dict[str, list[str]], agency: str | None) -> list[str]:
    """The trailing paragraphs of the last section that give the download place and the
    contacts, or sign off: taken out of it."""
    last_key = next((k for k in ("other", "problems", "overview") if body.get(k)), None)
    closing: list[str] = []
    if last_key:
        tail = body[last_key]
        while tail and (_CLOSING.search(tail[-1]) or _DATE_LINE.match(norm_label(tail[-1]))
                        or (agency and norm_label(tail[-1]) == agency)):
            closing.append(tail.pop())
        closing.reverse()  # taken from the end: inserting each at the front is quadratic
    return closing


def _take_fee_note(text: Text, other: Section) -> None:
    """The paragraph on 信息处理费 of section six, as its own item if it is one."""
    fee_at = next((i for i, item in enumerate(other.items) if "信息处理费" in item.heading or "收费" in item.heading), None)
    if fee_at is not None:
        text.fee_note = other.items.pop(fee_at)
        return
    fee = [p for p in other.intro if "信息处理费" in p]
    if fee:
        other.intro = [p for p in other.intro if "信息处理费" not in p]  # `p not in fee` is quadratic
        text.fee_note = Item(spec.FEE_NOTE_HEADING, fee)


def prose(doc: Document, report: Report, problems: list[Problem], with_text: bool) -> None:
    paras = _prose_paragraphs(doc)
    title_at = _title_meta(doc, paras, report)
    if not with_text:
        return
    start = title_at + 1 if title_at is not None else 0
    heads = _section_heads(paras, start)
    if not heads:
        problems.append(make(CODE, "找不到正文各部分的标题（一、总体情况……六、其他需要报告的事项），正文全部放在“一、总体情况”中"))
        report.text = Text(overview=Section([t for _, t in paras[start:]]))
        return
    missing = [spec.SECTION_TITLES[k] for k in spec.SECTION_ORDER if k not in heads and k in ("overview", "problems", "other")]
    if missing:
        problems.append(make(CODE, "找不到正文标题" + "、".join(f"“{m}”" for m in missing) + "，这部分正文未读取"))
    bounds = sorted(heads.items(), key=lambda kv: kv[1])
    body: dict[str, list[str]] = {}
    for n, (key, i) in enumerate(bounds):
        end = bounds[n + 1][1] if n + 1 < len(bounds) else len(paras)
        body[key] = [t for _, t in paras[i + 1:end]]
    preamble = _preamble(paras, start, bounds[0][1], title_at is not None)
    text = Text(preamble=preamble, closing=_closing(body, report.meta.get("agency")))
    text.overview = split_items(body.get("overview", []))
    text.problems = split_items(body.get("problems", []))
    text.other = split_items(body.get("other", []))
    _take_fee_note(text, text.other)
    for name in ("overview", "problems", "other"):
        _cap(getattr(text, name), name, problems)
    report.text = text


# --- meta and fees from the prose ----------------------------------------------------------------

_CONTACT_END = r"(?=[，,；;。]|[）)](?:。|$)|(?:邮编|邮政编码|电话|联系电话|传真|电子邮箱|电子信箱|邮箱)[:：]|$)"
_META_PATTERNS = {
    "address": re.compile(rf"地址[:：](.+?){_CONTACT_END}"),
    "postcode": re.compile(r"(?:邮编|邮政编码)[:：]([0-9]{6})"),
    "phone": re.compile(r"(?:联系电话|电话)[:：]([0-9()（）\-－—、/转]{5,40}?)(?=[，,；;。）)]|传真|电子|邮箱|$)"),
    "email": re.compile(r"(?:电子邮箱|电子信箱|邮箱|E-?mail)[:：]([A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+[A-Za-z])", re.I),
}
# the website: 电子版可(?:以)?(?:从|在|于|登录|通过)(.+?)(?:下载|查阅|获取|查看), read in two steps.
# As one pattern it reads to the end from every 电子版可从 of a text that never says 下载; where
# the first has nothing after it, no later one has.
_SITE_BEFORE = re.compile(r"电子版可(?:以)?(?:从|在|于|登录|通过)")
_SITE_AFTER = re.compile(r"下载|查阅|获取|查看")
_WHO = re.compile(r"请(?:与|联系)(.{2,40}?)联系")


def _website(text: str) -> str | None:
    before = _SITE_BEFORE.search(text)
    after = _SITE_AFTER.search(text, before.end() + 1) if before else None
    return text[before.end():after.start()] if after else None


def meta_from_prose(report: Report) -> None:
    from ..model import clean_text

    text = "".join(re.sub(r"\s+", "", p) for p in list(report.text.preamble) + list(report.text.closing))
    for key, pattern in _META_PATTERNS.items():
        if report.meta.get(key):
            continue
        m = pattern.search(text)
        if m:
            report.meta[key] = clean_text(m.group(1)) or None
    site = None if report.meta.get("website") else _website(text)
    if site is not None:
        report.meta["website"] = clean_text(site) or None
    m = _WHO.search(text)
    agency = report.meta.get("agency") or ""
    if m and not report.meta.get("office") and agency and agency in m.group(1):
        office = m.group(1).split(agency)[-1]
        report.meta["office"] = office or None


def fees_from_prose(report: Report) -> None:
    """The three fee figures, only where the prose states all of them (else they stay unpublished)."""
    text = "".join(re.sub(r"\s+", "", p) for p in report.text.fee_note.paragraphs + report.text.other.intro)
    if not text:
        return
    keys = ("notices", "notice_amount", "collected")
    if re.search(r"收费通知的件数和总金额.{0,4}实际收取的总金额均为0", text):
        for k in keys:
            report.values[("fees", k)] = 0 if k == "notices" else Decimal(0)
        return
    n = re.search(r"发出(?:信息处理费)?收费通知([0-9]+)件", text)
    a = re.search(r"收费通知总金额([0-9]+(?:\.[0-9]+)?)元", text)
    c = re.search(r"实际收取(?:总金额)?([0-9]+(?:\.[0-9]+)?)元", text)
    if n and a and c and max(len(n.group(1)), len(a.group(1)), len(c.group(1))) <= limits.JSON_NUMBER_CHARS.value:
        # a longer figure is no count of fee notices (and int() of over 4300 digits raises)
        report.values[("fees", "notices")] = int(n.group(1))
        report.values[("fees", "notice_amount")] = Decimal(a.group(1))
        report.values[("fees", "collected")] = Decimal(c.group(1))


def drop_defaults(report: Report) -> None:
    """A preamble or closing that `xlreport build` would write anyway is left to it."""
    from ..word.render import default_closing, default_preamble

    if report.text.closing == [default_closing(report)]:
        report.text.closing = []
    if report.text.preamble == [default_preamble(report)]:
        report.text.preamble = []
