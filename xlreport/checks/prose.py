"""The checks evaluators make on the prose: numbers against the tables, arithmetic in the text,
stray years, placeholders left in, empty sections, text copied from last year.

All findings are warnings with the sentence quoted. The matchers are deliberately
conservative: a number is compared with a table only when its clause names the quantity, the
clause is not a part (其中/含/包括), not a 备案 count and not about a sub-unit.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from decimal import Decimal, getcontext

from .. import lazyre
from ..format import spec
from ..model import Report, text_slots
from ..problems import Problem, rule_problem

# (name, pattern naming the quantity, the fields whose sum it is, unit[, another sum it may mean]).
# `A…B`: A, then B further on in the same part of the clause (no ，。； between them). A tuple
# holds alternatives.
QUANTITIES = (
    ("上年结转申请", r"(上一?年度?|去年)结转", (("requests", "carried_over", "total"),), "件"),
    ("结转下年度申请", r"(结转|顺延|转)(至|到|入)?下一?年度?", (("requests", "carried_forward", "total"),), "件"),
    # 收到/受理 often counts last year's carried-over requests too (宿迁 2024: 3646 = 3525 + 121)
    ("本年新收申请", r"(新收|收到|受理|接收|共收)…申请", (("requests", "new", "total"),), "件",
     (("requests", "new", "total"), ("requests", "carried_over", "total"))),
    ("办结申请", r"(办结|答复|办理完毕|已办理)", (("requests", "closed_total", "total"),), "件"),
    ("行政复议", r"行政复议", (("appeals", "review", "total"),), "件"),
    ("行政诉讼", r"行政诉讼", (("appeals", "litigation_direct", "total"), ("appeals", "litigation_after_review", "total")), "件"),
    ("现行有效规范性文件", (r"现行有效…规范性文件", r"规范性文件…现行有效"), (("active", "normative_documents", "in_force"),), "件"),
    ("废止规范性文件", (r"废止…规范性文件", r"规范性文件…废止"), (("active", "normative_documents", "repealed"),), "件"),
    ("制发规范性文件", r"(制发|制定|出台|印发)…规范性文件", (("active", "normative_documents", "issued"),), "件"),
    ("现行有效规章", (r"现行有效…规章", r"规章…现行有效"), (("active", "rules", "in_force"),), "件"),
    ("制发规章", r"(制发|制定|出台|印发)…规章", (("active", "rules", "issued"),), "件"),
    ("行政许可", r"行政许可", (("active", "licensing"),), "件"),
    ("行政处罚", r"行政处罚", (("active", "punishment"),), "件"),
    ("行政强制", r"行政强制", (("active", "coercion"),), "件"),
    ("信息处理费", r"信息处理费", (("fees", "collected"),), "元"),
)
_BREAKS = "，。；"


class _Words:
    """The words of one quantity, found as re.search finds the alternation of their patterns
    (`A…B` read as A[^，。；]*?B): the leftmost start, the earlier alternative at one start.

    A[^，。；]*?B, searched as it is, tries every A of a run of them and reads on to the next
    ，。； from each (quadratic on a clause of one word repeated). Only the first A of each part
    of the clause is worth trying: a B after a later A is after the first one as well. The
    lookahead takes that first A (a lookahead is never re-entered, so no later A is tried).

    An alternative whose A or B is a plain word cannot match a text without that word: it is
    not searched there, nor compiled until some text has it (a check of a report whose prose
    never names 规范性文件 or 规章 compiles none of their eight patterns, ~1 ms each).
    """

    def __init__(self, pattern):
        alternatives = pattern if isinstance(pattern, tuple) else (pattern,)
        self._res = tuple(lazyre.compile(self._regex(a)) for a in alternatives)
        self._words = tuple(tuple(w for w in a.split("…") if re.escape(w) == w) for a in alternatives)
        self.starts = tuple(a.split("…")[0] for a in alternatives)  # what any match begins with

    @staticmethod
    def _regex(alternative: str) -> str:
        if "…" not in alternative:
            return f"(?P<words>{alternative})"
        first, then = alternative.split("…")
        part = f"[^{_BREAKS}]"
        return f"(?<!{part})(?=(?P<gap>{part}*?)(?P<words>{first}))(?P=gap)(?P=words){part}*?(?:{then})"

    def search(self, text: str) -> tuple[int, int] | None:
        best = None
        for regex, words in zip(self._res, self._words):
            if not all(w in text for w in words):
                continue
            m = regex.search(text)
            if m and (best is None or m.start("words") < best[0]):
                best = (m.start("words"), m.end())
        return best


_QUANTITY_RES = tuple((q[0], _Words(q[1]), q[2], q[3]) for q in QUANTITIES)
_ALSO = {q[0]: q[4] for q in QUANTITIES if len(q) > 4}  # another sum the same words may mean
# what every quantity's words begin with: a clause without any names no quantity
_ANY_QUANTITY = lazyre.compile("|".join(f"(?:{start})" for q in _QUANTITY_RES for start in q[1].starts))
# a clause that names a result (予以公开…答复9件) is a part of 办结, not its total (上海市科委 2024)
_NOT_TOTAL = {"办结申请": lazyre.compile(r"予以|同意|部分|不予|无法|其他处理|撤回|撤销|逾期|按时|法定期限")}

# A number (its digits the group) read from its run's start only: from any later digit of the
# run it cannot match where the first digit did not, and each try reads the rest of the run (a
# run of 32,767 digits took a minute). The leading commas are outside the group.
_NUMBER = r"(?<![\d,，])[,，]*(\d[\d,，]*(?:\.\d+)?)\s*"
_CLAUSE_SPLIT = lazyre.compile(r"[，,；;：:]")
_SENTENCE_SPLIT = lazyre.compile(r"(?<=[。！？!?])")
_PART_WORDS = lazyre.compile(r"^(其中|含|包括|包含|另有|另|分别|内含)")
_SKIP_SENTENCE = lazyre.compile(r"备案")  # 备案 counts of appeals are not table totals
_PAREN = lazyre.compile(r"[（(][^（）()]*[）)]")
_WHOLE_WORDS = lazyre.compile(
    r"(全省|全市|全区|全县|全州|全盟|全旗|全镇|全乡|全街道|本机关|本单位|我单位|本部门|我部门|"
    r"我[局委办厅院署部处所站中心馆]|本[局委办厅院署部处所站中心馆]|全年|本年度|今年|年内|共计|累计|合计|总计|共|全部|均|已|依法|"
    r"\d{4}\s*年度?|[一二三四五六七八九十]+是|(?<!\d)\d+\s*月|以来|期间|全年度|办理|处理|办结|受理|收到|答复|依申请)"
)  # (?<!\d): a month from its number's first digit only (see _NUMBER)
_UNIT_WORDS = lazyre.compile(r"(办|局|委|厅|街道|镇|乡|部门|单位|中心|公司|学校|医院|区|县|市|政府|站|所|院)")
_PERCENT_CHANGE = lazyre.compile(_NUMBER + r"(?:件|条|个|项|次)[^。；]{0,6}?同比(增长|增加|上升|提高|下降|减少|降低)\s*(\d+(?:\.\d+)?)\s*[%％]")
_SHARE = lazyre.compile(_NUMBER + r"(?:件|条|个|项|次)[，,]?\s*占(?:比|总数的?|总量的?)?\s*(\d+(?:\.\d+)?)\s*[%％]")
# (?:共|合计|总计|累计)[^，。；]*?NUMBER件[^。]*?其中[，,：:]?\s*(.*?)(?:。|$), read in parts by
# _breakdowns: the total's word, the first count after it, what follows the first 其中
_TOTAL_WORD = lazyre.compile(r"共|合计|总计|累计")
_BREAK = lazyre.compile(f"[{_BREAKS}]")
_TOTAL_COUNT = lazyre.compile(r"(?<![\d,，]),*(\d[\d,，]*(?:\.\d+)?)\s*件")  # no ， before it: the gap holds none
_ITEMS = lazyre.compile(r"(?=(?P<before>[^。]*?其中))(?P=before)[，,：:]?\s*(.*?)(?:。|$)")
PLACEHOLDERS = lazyre.compile(r"(XX|ＸＸ|××|xx(?![a-z])|待填写|待补充|此处填写|请填写|（文字描述）|\(文字描述\)|【[^】]{0,10}】|某某)")
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
    for name, words, paths, unit in _QUANTITY_RES:
        span = words.search(clause)
        if not span:
            continue
        start, end = span
        if name in _NOT_TOTAL and _NOT_TOTAL[name].search(clause):
            return None
        after = re.search(_NUMBER + unit, clause[end:])
        if after:
            return name, paths, unit, _num(after.group(1)), clause[:start]
        before = re.findall(_NUMBER + unit, clause[:start])
        if len(before) == 1:
            return name, paths, unit, _num(before[0]), clause[: clause.find(before[0])]
        return None
    return None


class _Named:
    """Which quantity `_match_quantity(sentence[:at] + number + "件")` finds, for the 同比 figures
    of one sentence, without reading the sentence again for each figure (quadratic on a
    sentence of thousands of them).

    Nothing in `number + "件"` can be part of a quantity's words, so a quantity is found in
    sentence[:at] exactly when its first match in the whole sentence ends by ``at``: the
    first quantity in QUANTITIES order that is decides, as in _match_quantity. Its count is
    after its words (the "件" appended is one, and for 件 that settles it) or the only one
    before them."""

    def __init__(self, sentence: str):
        self._first = [words.search(sentence) for _, words, _, _ in _QUANTITY_RES]
        self._not_total = {name: m.end() for name, regex in _NOT_TOTAL.items() if (m := regex.search(sentence))}
        yuan = [m.span() for m in re.finditer(_NUMBER + "元", sentence)]  # in order, not overlapping
        self._yuan_starts, self._yuan_ends = [a for a, _ in yuan], [b for _, b in yuan]

    def at(self, at: int):
        for (name, _, paths, unit), span in zip(_QUANTITY_RES, self._first):
            if span is None or span[1] > at:
                continue
            if self._not_total.get(name, at + 1) <= at:
                return None
            if unit == "件":
                return name, paths
            start, end = span
            after = bisect_left(self._yuan_starts, end)  # the first amount in 元 after the words
            if after < len(self._yuan_ends) and self._yuan_ends[after] <= at:
                return name, paths
            return (name, paths) if bisect_right(self._yuan_ends, start) == 1 else None
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
    if not isinstance(v, Decimal):
        return str(v)
    return format(v.normalize(_precise(len(v.as_tuple().digits))), "f")


def _precise(digits: int):
    """The context, with room for ``digits``: a figure read from a text can have thousands, and
    in 28 digits normalize would round it and quantize would raise."""
    ctx = getcontext().copy()
    ctx.prec = max(ctx.prec, digits)
    return ctx


def _quantize(value: Decimal, q: Decimal) -> Decimal:
    return value.quantize(q, context=_precise(value.adjusted() - q.adjusted() + 2))


def _percent_ok(printed: Decimal, value: Decimal) -> bool:
    """Printed with d decimals: rounded or truncated both pass."""
    digits = max(0, -printed.as_tuple().exponent)
    q = Decimal(1).scaleb(-digits)
    ctx = _precise(value.adjusted() - q.adjusted() + 2)
    return (value.quantize(q, context=ctx) == printed or ctx.multiply(ctx.divide_int(value, q), q) == printed
            or abs(value - printed) < q / 2)


class _Counts:
    """The counts (…件) of a sentence, for its shares (…件，占p%): which counts above the part are
    worth trying. part*100/n does not grow as n grows, so the counts nearest to giving p from
    above and from below are the only ones that can give it (rounded or truncated, p stands for
    a range around it), and the nearest of all is one of them; of the counts giving the same
    figure (all of them when the part is 0), the one the sentence names first. Trying every
    count for every share was quadratic on a sentence of thousands of shares."""

    def __init__(self, counts: list[Decimal]):
        first: dict[Decimal, int] = {}
        for i, n in enumerate(counts):
            first.setdefault(n, i)
        self._counts = counts
        self._values = sorted(first)
        size = self._size = len(self._values)
        # a segment tree over the sorted counts: the first mention of any range of them
        self._tree = [0] * size + [first[v] for v in self._values]
        for i in range(size - 1, 0, -1):
            self._tree[i] = min(self._tree[2 * i], self._tree[2 * i + 1])

    def nearest(self, part: Decimal, printed: Decimal) -> list[Decimal]:
        """The counts above ``part`` worth trying for ``printed``, in the sentence's order: the
        nearest from above and from below, and on each side the first named of those as near
        (as the check measures it: nearer than 28 digits tell is as near)."""
        def share(i: int) -> Decimal:
            return part * 100 / self._values[i]

        def off(i: int) -> Decimal:
            return abs(share(i) - printed)

        start, end = bisect_right(self._values, part), self._size
        cut = self._first(start, end, lambda i: share(i) < printed)
        picked: set[int] = set()  # indexes into the sentence's counts
        if cut > start:  # from above printed: nearer as the count grows
            near = off(cut - 1)
            picked.update((self._mention(cut - 1), self._earliest(self._first(start, cut, lambda i: off(i) <= near), cut)))
        if cut < end:  # from below: farther as the count grows
            near = off(cut)
            picked.update((self._mention(cut), self._earliest(cut, self._first(cut, end, lambda i: off(i) > near))))
        return [self._counts[i] for i in sorted(picked)]

    def _mention(self, i: int) -> int:
        """Where the sentence first names the i-th smallest count."""
        return self._tree[self._size + i]

    @staticmethod
    def _first(lo: int, hi: int, test) -> int:
        """The first index in [lo, hi) where ``test`` holds (it holds from there on), or hi."""
        while lo < hi:
            mid = (lo + hi) // 2
            if test(mid):
                hi = mid
            else:
                lo = mid + 1
        return lo

    def _earliest(self, lo: int, hi: int) -> int:
        """The first mention (an index into the sentence's counts) among sorted counts [lo, hi)."""
        best = len(self._counts)
        lo, hi = lo + self._size, hi + self._size
        while lo < hi:
            if lo & 1:
                best = min(best, self._tree[lo])
                lo += 1
            if hi & 1:
                hi -= 1
                best = min(best, self._tree[hi])
            lo, hi = lo // 2, hi // 2
        return best


def check_arithmetic(report: Report, last: Report | None = None, found: list[Passage] | None = None) -> list[Problem]:
    """The sums, shares and year-on-year changes the prose states, sentence by sentence: parts
    that add up to more than their total, a percentage no count gives, a change from last year's
    report that is not the one written."""
    problems = []
    totals = [report.value(("requests", "new", "total")), report.value(("requests", "closed_total", "total")),
              report.value(("requests", "new", "total")) + report.value(("requests", "carried_over", "total"))]
    for p in found if found is not None else passages(report):
        for sentence in _SENTENCE_SPLIT.split(p.text):
            if not sentence.strip():
                continue
            problems += _parts_over_total(sentence, p)
            problems += _shares_not_given(sentence, p, totals)
            if last is not None:
                problems += _changes_not_given(sentence, p, last)
    return problems


def _arithmetic(p: Passage, sentence: str, detail: str, expected: str, actual: str) -> Problem:
    return rule_problem("prose-arithmetic", {"sentence": _quote(sentence), "detail": detail},
                        expected=expected, actual=actual, **_where(p))


def _parts_over_total(sentence: str, p: Passage) -> list[Problem]:
    out = []
    for total_text, items in _breakdowns(sentence):
        total = _num(total_text)
        parts = [_num(x) for x in re.findall(_NUMBER + "件", items)]
        if len(parts) >= 2 and sum(parts) > total:
            out.append(_arithmetic(p, sentence, f"其中各项之和{_plain(sum(parts))}件大于总数{_plain(total)}件",
                                   f"不大于{_plain(total)}", _plain(sum(parts))))
    return out


def _shares_not_given(sentence: str, p: Passage, totals: list) -> list[Problem]:
    """A share ("占…的12.5%") that neither a total of 表三 nor a count the sentence names gives."""
    out = []
    mentioned = None
    for m in _SHARE.finditer(sentence):
        part, printed = _num(m.group(1)), Decimal(m.group(2))
        if mentioned is None:
            mentioned = _Counts([_num(x) for x in re.findall(_NUMBER + "件", sentence)])
        candidates = [Decimal(t) for t in totals if t] + mentioned.nearest(part, printed)
        if candidates and not any(_percent_ok(printed, part * 100 / c) for c in candidates):
            best = min(candidates, key=lambda c: abs(part * 100 / c - printed))
            computed = _quantize(part * 100 / best, Decimal("0.01"))
            out.append(_arithmetic(p, sentence, f"{_plain(part)}件占{_plain(best)}件的{computed}%，正文写{printed}%",
                                   f"{computed}%", f"{printed}%"))
    return out


def _changes_not_given(sentence: str, p: Passage, last: Report) -> list[Problem]:
    """A year-on-year change ("同比增长12%") of a quantity the sentence names, against last year's report."""
    out = []
    named = None
    for m in _PERCENT_CHANGE.finditer(sentence):
        now, direction, printed = _num(m.group(1)), m.group(2), Decimal(m.group(3))
        named = named or _Named(sentence)
        quantity = named.at(m.start(1))  # what _match_quantity(sentence[:start] + number + "件") finds
        if not quantity:
            continue
        name, paths = quantity
        before = Decimal(sum((last.value(path) for path in paths), 0))
        if not before:
            continue
        change = (now - before) * 100 / before
        if direction in ("下降", "减少", "降低"):
            change = -change
        if not _percent_ok(printed, change):
            computed = _quantize(change, Decimal("0.01"))
            out.append(_arithmetic(p, sentence, f"上年{name}{_plain(before)}件，本年{_plain(now)}件，同比{direction}应为{computed}%，正文写{printed}%",
                                   f"{computed}%", f"{printed}%"))
    return out


# the statistics period a report states ("统计期限自2024年1月1日至2024年12月31日止"), spaces allowed
_PERIOD = lazyre.compile(r"统计(?:期限|期间|时限|时段)[^。；]{0,12}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日"
                     r"(?:\s*起)?(?:[^。；\d]{0,6}?((?:19|20)\d{2})\s*年\s*12\s*月\s*31\s*日)?")


def check_years(report: Report, found: list[Passage] | None = None) -> list[Problem]:
    """The statistics period the text states, against the report's year. Other years in the text
    are no finding: the publication date and next year's plans belong in a report, and earlier
    years in its history."""
    year = report.year
    if not year:
        return []
    problems = []
    for slot, heading, paragraphs in text_slots(report):
        for text in paragraphs:
            for m in _PERIOD.finditer(text):
                stated = sorted({int(y) for y in m.groups() if y})
                if stated == [year]:
                    continue
                shown = "、".join(f"{y}年" for y in stated)
                p = Passage(slot.section, slot.part_label, heading if slot.has_heading else "", text, slot.text_cell)
                problems.append(rule_problem("prose-year", {"sentence": _quote(m.group(0)), "mentioned": shown, "year": year},
                                             expected=f"{year}年", actual=shown, **_where(p)))
    return problems


def _breakdowns(sentence: str):
    r"""(total, what follows 其中) of every `共…N件…其中…` in the sentence, as finditer of
    (?:共|合计|总计|累计)[^，。；]*?NUMBER件[^。]*?其中[，,：:]?\s*(.*?)(?:。|$) gives them.

    That pattern, searched as it is, reads on from every total's word to the first count and
    beyond it to each later count when no 其中 follows (quadratic twice over). Only the first
    count after a word can work (a 其中 after a later one is after it as well), every word
    before that count comes to the same count, and when nothing follows it no later word can
    do better. A paragraph holds no line break (model.split_paragraphs), so the first 其中 after
    the count is the one the pattern takes."""
    pos = 0
    while (word := _TOTAL_WORD.search(sentence, pos)) is not None:
        count = _TOTAL_COUNT.search(sentence, word.end())
        if count is None:
            return
        stop = _BREAK.search(sentence, word.end(), count.start())
        if stop is not None:  # a ，。； between the word and the count: the words before it lead nowhere
            pos = stop.end()
            continue
        items = _ITEMS.match(sentence, count.end())
        if items is None:
            return
        yield count.group(1), items.group(2)
        pos = items.end()


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
