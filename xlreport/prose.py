"""The checks evaluators make on the prose: numbers against the tables, arithmetic in the text,
stray years, placeholders left in, empty sections, text copied from last year.

All findings are warnings with the sentence quoted. The matchers are deliberately
conservative: a number is compared with a table only when its clause names the quantity, the
clause is not a part (其中/含/包括), not a 备案 count and not about a sub-unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from . import spec
from .model import Report, text_slots
from .problems import Problem, rule_problem

# (name, pattern naming the quantity, the fields whose sum it is, unit[, another sum it may mean])
QUANTITIES = (
    ("上年结转申请", r"(上一?年度?|去年)结转", (("requests", "carried_over", "total"),), "件"),
    ("结转下年度申请", r"(结转|顺延|转)(至|到|入)?下一?年度?", (("requests", "carried_forward", "total"),), "件"),
    # 收到/受理 often counts last year's carried-over requests too (宿迁 2024: 3646 = 3525 + 121)
    ("本年新收申请", r"(新收|收到|受理|接收|共收)[^，。；]*?申请", (("requests", "new", "total"),), "件",
     (("requests", "new", "total"), ("requests", "carried_over", "total"))),
    ("办结申请", r"(办结|答复|办理完毕|已办理)", (("requests", "closed_total", "total"),), "件"),
    ("行政复议", r"行政复议", (("appeals", "review", "total"),), "件"),
    ("行政诉讼", r"行政诉讼", (("appeals", "litigation_direct", "total"), ("appeals", "litigation_after_review", "total")), "件"),
    ("现行有效规范性文件", r"现行有效[^，。；]*?规范性文件|规范性文件[^，。；]*?现行有效", (("active", "normative_documents", "in_force"),), "件"),
    ("废止规范性文件", r"废止[^，。；]*?规范性文件|规范性文件[^，。；]*?废止", (("active", "normative_documents", "repealed"),), "件"),
    ("制发规范性文件", r"(制发|制定|出台|印发)[^，。；]*?规范性文件", (("active", "normative_documents", "issued"),), "件"),
    ("现行有效规章", r"现行有效[^，。；]*?规章|规章[^，。；]*?现行有效", (("active", "rules", "in_force"),), "件"),
    ("制发规章", r"(制发|制定|出台|印发)[^，。；]*?规章", (("active", "rules", "issued"),), "件"),
    ("行政许可", r"行政许可", (("active", "licensing"),), "件"),
    ("行政处罚", r"行政处罚", (("active", "punishment"),), "件"),
    ("行政强制", r"行政强制", (("active", "coercion"),), "件"),
    ("信息处理费", r"信息处理费", (("fees", "collected"),), "元"),
)
_QUANTITY_RES = tuple((q[0], re.compile(q[1]), q[2], q[3]) for q in QUANTITIES)
_ALSO = {q[0]: q[4] for q in QUANTITIES if len(q) > 4}  # another sum the same words may mean
_ANY_QUANTITY = re.compile("|".join(f"(?:{q[1]})" for q in QUANTITIES))
# a clause that names a result (予以公开…答复9件) is a part of 办结, not its total (上海市科委 2024)
_NOT_TOTAL = {"办结申请": re.compile(r"予以|同意|部分|不予|无法|其他处理|撤回|撤销|逾期|按时|法定期限")}

_NUMBER = r"(\d[\d,，]*(?:\.\d+)?)\s*"
_CLAUSE_SPLIT = re.compile(r"[，,；;：:]")
_SENTENCE_SPLIT = re.compile(r"(?<=[。！？!?])")
_PART_WORDS = re.compile(r"^(其中|含|包括|包含|另有|另|分别|内含)")
_SKIP_SENTENCE = re.compile(r"备案")  # 备案 counts of appeals are not table totals
_PAREN = re.compile(r"[（(][^（）()]*[）)]")
_WHOLE_WORDS = re.compile(
    r"(全省|全市|全区|全县|全州|全盟|全旗|全镇|全乡|全街道|本机关|本单位|我单位|本部门|我部门|"
    r"我[局委办厅院署部处所站中心馆]|本[局委办厅院署部处所站中心馆]|全年|本年度|今年|年内|共计|累计|合计|总计|共|全部|均|已|依法|"
    r"\d{4}\s*年度?|[一二三四五六七八九十]+是|\d+\s*月|以来|期间|全年度|办理|处理|办结|受理|收到|答复|依申请)"
)
_UNIT_WORDS = re.compile(r"(办|局|委|厅|街道|镇|乡|部门|单位|中心|公司|学校|医院|区|县|市|政府|站|所|院)")
_YEAR = re.compile(r"(?<![\d〔\[(（])((?:19|20)\d{2})\s*年")
_TITLED = re.compile(r"《[^》]*》|〔[^〕]*〕|\[[^\]]*\]")
_PERCENT_CHANGE = re.compile(_NUMBER + r"(?:件|条|个|项|次)[^。；]{0,6}?同比(增长|增加|上升|提高|下降|减少|降低)\s*(\d+(?:\.\d+)?)\s*[%％]")
_SHARE = re.compile(_NUMBER + r"(?:件|条|个|项|次)[，,]?\s*占(?:比|总数的?|总量的?)?\s*(\d+(?:\.\d+)?)\s*[%％]")
_BREAKDOWN = re.compile(r"(?:共|合计|总计|累计)[^，。；]*?" + _NUMBER + r"件[^。]*?其中[，,：:]?\s*(.*?)(?:。|$)")
PLACEHOLDERS = re.compile(r"(XX|ＸＸ|××|xx(?![a-z])|待填写|待补充|此处填写|请填写|（文字描述）|\(文字描述\)|【[^】]{0,10}】|某某)")
SIMILARITY_THRESHOLD = 0.5  # the assessors' threshold: more than half identical
SHINGLE = 8


@dataclass(frozen=True)
class Passage:
    """A paragraph of prose and where it is: the section, and the 正文 cell it came from."""

    section: str  # overview | problems | other
    title: str  # the section heading, e.g. 一、总体情况
    heading: str  # the subsection heading ("" for an intro)
    text: str
    cell: str  # A1 cell in the 正文 sheet ("" where unknown)


def passages(report: Report) -> list[Passage]:
    out = []
    for slot, heading, paragraphs in text_slots(report):
        if slot.section not in ("overview", "problems", "other"):
            continue
        for p in paragraphs:
            out.append(Passage(slot.section, spec.SECTION_TITLES[slot.section], heading if slot.has_heading else "", p, slot.text_cell))
    return out


def _num(text: str) -> Decimal:
    return Decimal(text.replace(",", "").replace("，", ""))


def _where(p: Passage) -> dict:
    return {"sheet": spec.SHEET_TEXT, "cell": p.cell, "row_label": p.title + (f"·{p.heading}" if p.heading else "")}


def _quote(sentence: str, limit: int = 120) -> str:
    s = sentence.strip()
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _agency_forms(agency: str) -> list[str]:
    forms = [agency, agency.replace("人民政府", "政府")]
    core = re.sub(r"(人民政府|政府|办事处)$", "", agency)
    if core and core != agency:
        forms.append(core)
    return [f for f in forms if f]


def _is_sub_unit(subject: str, agency: str) -> bool:
    """The clause's subject names some unit that is not the agency itself (08's 区政府办 …)."""
    subject = subject.split("代表")[0]
    rest = _WHOLE_WORDS.sub("", subject).strip(" 　，,、")
    if not rest or not _UNIT_WORDS.search(rest):
        return False
    forms = _agency_forms(agency) if agency else []
    return not any(rest in f or f in rest for f in forms)


def _clauses(sentence: str):
    body = _PAREN.sub("", sentence)  # a parenthesis is a part or an aside
    for clause in _CLAUSE_SPLIT.split(body):
        clause = clause.strip()
        if clause:
            yield clause


def _match_quantity(clause: str):
    if not _ANY_QUANTITY.search(clause):
        return None
    for name, pattern, paths, unit in _QUANTITY_RES:
        m = pattern.search(clause)
        if not m:
            continue
        if name in _NOT_TOTAL and _NOT_TOTAL[name].search(clause):
            return None
        after = re.search(_NUMBER + unit, clause[m.end():])
        if after:
            return name, paths, unit, _num(after.group(1)), clause[: m.start()]
        before = re.findall(_NUMBER + unit, clause[: m.start()])
        if len(before) == 1:
            return name, paths, unit, _num(before[0]), clause[: clause.find(before[0])]
        return None
    return None


def check_numbers(report: Report, found: list[Passage] | None = None) -> list[Problem]:
    problems = []
    agency = report.agency
    for p in found if found is not None else passages(report):
        for sentence in _SENTENCE_SPLIT.split(p.text):
            if not sentence.strip() or _SKIP_SENTENCE.search(sentence):
                continue
            for clause in _clauses(sentence):
                if _PART_WORDS.match(clause):
                    continue
                found = _match_quantity(clause)
                if not found:
                    continue
                name, paths, unit, number, subject = found
                if _is_sub_unit(subject, agency):
                    continue
                if all(report.values.get(path) is None and not spec.FIELD_BY_PATH[path].total_of for path in paths):
                    continue  # nothing given to compare with (a published report prints no fee figures)
                table = sum((report.value(path) for path in paths), 0)
                also = _ALSO.get(name)
                if also and Decimal(sum((report.value(path) for path in also), 0)) == number:
                    continue
                if Decimal(table) != number:
                    f = spec.FIELD_BY_PATH[paths[0]]
                    problems.append(rule_problem(
                        "prose-table-mismatch",
                        {"sentence": _quote(sentence), "name": name, "number": _plain(number), "unit": unit, "table": _plain(table),
                         "where": f"{f.sheet}!{f.cell}"},
                        expected=_plain(table), actual=_plain(number), **_where(p),
                    ))
    return problems


def _plain(v) -> str:
    return format(v.normalize(), "f") if isinstance(v, Decimal) else str(v)


def _percent_ok(printed: Decimal, value: Decimal) -> bool:
    """Printed with d decimals: rounded or truncated both pass."""
    digits = max(0, -printed.as_tuple().exponent)
    q = Decimal(1).scaleb(-digits)
    return value.quantize(q) == printed or (value // q) * q == printed or abs(value - printed) < q / 2


def check_arithmetic(report: Report, last: Report | None = None, found: list[Passage] | None = None) -> list[Problem]:
    problems = []
    totals = [report.value(("requests", "new", "total")), report.value(("requests", "closed_total", "total")),
              report.value(("requests", "new", "total")) + report.value(("requests", "carried_over", "total"))]
    for p in found if found is not None else passages(report):
        for sentence in _SENTENCE_SPLIT.split(p.text):
            if not sentence.strip():
                continue
            for m in _BREAKDOWN.finditer(sentence):
                total = _num(m.group(1))
                parts = [_num(x) for x in re.findall(_NUMBER + "件", m.group(2))]
                if len(parts) >= 2 and sum(parts) > total:
                    problems.append(rule_problem(
                        "prose-arithmetic", {"sentence": _quote(sentence),
                                             "detail": f"其中各项之和{_plain(sum(parts))}件大于总数{_plain(total)}件"},
                        expected=f"不大于{_plain(total)}", actual=_plain(sum(parts)), **_where(p)))
            mentioned = [_num(x) for x in re.findall(_NUMBER + "件", sentence)]
            for m in _SHARE.finditer(sentence):
                part, printed = _num(m.group(1)), Decimal(m.group(2))
                candidates = [Decimal(t) for t in totals if t] + [n for n in mentioned if n > part]
                if not candidates:
                    continue
                if not any(_percent_ok(printed, part * 100 / c) for c in candidates):
                    best = min(candidates, key=lambda c: abs(part * 100 / c - printed))
                    computed = (part * 100 / best).quantize(Decimal("0.01"))
                    problems.append(rule_problem(
                        "prose-arithmetic", {"sentence": _quote(sentence),
                                             "detail": f"{_plain(part)}件占{_plain(best)}件的{computed}%，正文写{printed}%"},
                        expected=f"{computed}%", actual=f"{printed}%", **_where(p)))
            if last is None:
                continue
            for m in _PERCENT_CHANGE.finditer(sentence):
                now, direction, printed = _num(m.group(1)), m.group(2), Decimal(m.group(3))
                prefix = sentence[: m.start(1)]
                found = _match_quantity(prefix + m.group(1) + "件")
                if not found:
                    continue
                name, paths, unit, _, _ = found
                before = Decimal(sum((last.value(path) for path in paths), 0))
                if not before:
                    continue
                change = (now - before) * 100 / before
                if direction in ("下降", "减少", "降低"):
                    change = -change
                if not _percent_ok(printed, change):
                    computed = change.quantize(Decimal("0.01"))
                    problems.append(rule_problem(
                        "prose-arithmetic", {"sentence": _quote(sentence),
                                             "detail": f"上年{name}{_plain(before)}件，本年{_plain(now)}件，同比{direction}应为{computed}%，正文写{printed}%"},
                        expected=f"{computed}%", actual=f"{printed}%", **_where(p)))
    return problems


def check_years(report: Report, found: list[Passage] | None = None) -> list[Problem]:
    year = report.year
    if not year:
        return []
    problems = []
    for p in found if found is not None else passages(report):
        text = _TITLED.sub("", p.text)
        for m in _YEAR.finditer(text):
            y = int(m.group(1))
            if y in (year, year - 1) or y < year - 4:
                continue  # this year, last year, or history
            if y == year + 1 and p.section == "problems":
                continue  # plans for next year belong in 五
            sentence = next((s for s in _SENTENCE_SPLIT.split(p.text) if m.group(1) in s), p.text)
            problems.append(rule_problem("prose-year", {"sentence": _quote(sentence), "mentioned": y, "year": year},
                                         expected=f"{year}年或{year - 1}年", actual=f"{y}年", **_where(p)))
    return problems


def check_hygiene(report: Report, found: list[Passage] | None = None) -> list[Problem]:
    problems = []
    t = report.text
    for p in found if found is not None else passages(report):
        m = PLACEHOLDERS.search(p.text)
        if m:
            problems.append(rule_problem("text-placeholder", {"found": m.group(1), "sentence": _quote(p.text)},
                                         expected="实际内容", actual=m.group(1), **_where(p)))
    if not any(section_text(report, s) for s in ("overview", "problems", "other")):
        return problems  # numbers only (data from another system, a merge): no prose to judge yet
    for section in ("overview", "problems", "other"):
        s = getattr(t, section)
        paragraphs = list(s.intro) + [x for item in s.items for x in item.paragraphs]
        if section == "other":
            paragraphs += list(t.fee_note.paragraphs)
        title = spec.SECTION_TITLES[section]
        body = "".join(paragraphs).strip(" 。.;；")
        if section != "other" and not paragraphs:
            problems.append(rule_problem("text-empty-section", {"section": title, "detail": "没有内容"},
                                         sheet=spec.SHEET_TEXT, row_label=title, expected="实际内容", actual="空白"))
        elif body in ("无", "暂无", "没有", "无此情况"):
            problems.append(rule_problem("text-empty-section", {"section": title, "detail": f"只写了“{body}”"},
                                         sheet=spec.SHEET_TEXT, row_label=title, expected="实际内容", actual=body))
    return problems


def _shingles(text: str) -> set[str]:
    text = re.sub(r"\s+", "", text)
    return {text[i:i + SHINGLE] for i in range(max(0, len(text) - SHINGLE + 1))}


def similarity(now: str, before: str) -> float:
    """Share of this year's text (in 8-character pieces) that also stands in last year's."""
    a, b = _shingles(now), _shingles(before)
    if not a:
        return 0.0
    return len(a & b) / len(a)


def section_text(report: Report, section: str) -> str:
    s = getattr(report.text, section)
    parts = list(s.intro) + [x for item in s.items for x in item.paragraphs]
    if section == "other":
        parts += list(report.text.fee_note.paragraphs)
    return "\n".join(parts)


def check_copied(report: Report, last: Report) -> list[Problem]:
    problems = []
    if last.text is None:
        return problems
    for section in ("overview", "problems", "other"):
        now, before = section_text(report, section), section_text(last, section)
        if len(now) < 50 or not before:
            continue
        share = similarity(now, before)
        if share > SIMILARITY_THRESHOLD:
            title = spec.SECTION_TITLES[section]
            problems.append(rule_problem("text-copied", {"section": title, "share": f"{share:.0%}", "last_year": last.year or "上一"},
                                         sheet=spec.SHEET_TEXT, row_label=title, expected=f"不超过{SIMILARITY_THRESHOLD:.0%}",
                                         actual=f"{share:.0%}"))
    return problems


def check_prose(report: Report, last: Report | None = None) -> list[Problem]:
    if report.text is None:
        return []
    found = passages(report)
    problems = (check_numbers(report, found) + check_arithmetic(report, last, found) + check_years(report, found)
                + check_hygiene(report, found))
    if last is not None:
        problems += check_copied(report, last)
    return problems
