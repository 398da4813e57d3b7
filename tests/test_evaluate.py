"""The checks evaluators make: year over year, prose against tables, text hygiene, fee semantics."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from xlreport import model

from xlreport.checks import previous

from xlreport.checks import prose

from xlreport.checks import rules

from xlreport.format import spec
from xlreport.model import Item

DATA = Path(__file__).resolve().parent / "data"
SNIPPETS = DATA / "prose-vs-table-snippets.json"
SNIPPET_CELLS = {
    "B1.总计": ("requests", "new", "total"),
    "B2.总计": ("requests", "carried_over", "total"),
    "B24.总计": ("requests", "closed_total", "total"),
    "B25.总计": ("requests", "carried_forward", "total"),
    "C10+C15": ("appeals", "litigation_direct", "total"),
}
# the agency each snippet is about (the second is a 街道's own report)
SNIPPET_AGENCIES = ("某市人民政府", "打浦桥街道办事处", "某区商务局", "某区商务局")


def report_with(sentences, agency="某区商务局", year=2024, **values) -> model.Report:
    r = model.Report()
    r.meta.update(agency=agency, year=year)
    for key, v in values.items():
        r.values[tuple(key.split("__"))] = v
    r.text.overview.items = [Item("依申请公开情况", list(sentences))]
    r.text.problems.items = [Item("存在的主要问题", ["工作人员业务能力有待提高。"]), Item("改进情况", ["加强培训。"])]
    return r


def codes(problems) -> list[str]:
    return [p.code for p in problems]


# --- prose against tables -------------------------------------------------------------------


def snippet_reports():
    data = json.loads(SNIPPETS.read_text(encoding="utf-8"))["snippets"]
    for agency, s in zip(SNIPPET_AGENCIES, data):
        r = model.Report()
        r.meta.update(agency=agency, year=2025)
        for k, v in s["table"].items():
            r.values[SNIPPET_CELLS[k]] = v
        r.text.overview.items = [Item("依申请公开", [s["text"]])]
        yield s, r


@pytest.mark.parametrize("index", range(4))
def test_real_sentences_that_agree_are_quiet(index):
    s, r = list(snippet_reports())[index]
    assert prose.check_numbers(r) == [], s["text"]
    assert prose.check_arithmetic(r) == []


@pytest.mark.parametrize("index, expected", [(0, 2), (1, 1), (2, 3), (3, 3)])
def test_the_same_sentences_against_wrong_tables_are_found(index, expected):
    s, r = list(snippet_reports())[index]
    for path in SNIPPET_CELLS.values():
        if r.values.get(path) is not None:
            r.values[path] += 1
    found = prose.check_numbers(r)
    assert len(found) == expected
    assert all(p.code == "prose-table-mismatch" and p.message[3:].split("”中")[0] in s["text"] for p in found)


def _real_clauses():
    texts = [path.read_text(encoding="utf-8") for path in sorted(DATA.rglob("*.txt"))]
    texts += [s["text"] for s in json.loads(SNIPPETS.read_text(encoding="utf-8"))["snippets"]]
    made = ["本年新收政府信息公开申请12件", "现行有效规范性文件3件，废止规范性文件1件", "规范性文件现行有效5件",
            "制发规章2件，现行有效规章7件", "规章中现行有效的4件", "废止，规范性文件2件"]
    return sorted({c for t in texts + made for line in t.splitlines() for c in re.split(r"[，,；;：:。]", line) if c})


def test_a_quantity_is_found_as_its_patterns_find_it_whether_or_not_its_words_are_there():
    clauses = _real_clauses()
    assert len(clauses) > 1000
    for name, words, _, _ in prose._QUANTITY_RES:
        plain = [re.compile(r.pattern) for r in words._res]
        for clause in clauses:
            best = None
            for m in filter(None, (regex.search(clause) for regex in plain)):
                if best is None or m.start("words") < best[0]:
                    best = (m.start("words"), m.end())
            assert words.search(clause) == best, (name, clause)


def test_a_pattern_whose_word_is_absent_is_neither_searched_nor_compiled():
    words = prose._Words(("现行有效…规范性文件", "规范性文件…现行有效"))
    assert words.search("本年新收申请12件，现行有效的规章3件") is None
    assert all("search" not in vars(r) for r in words._res)  # lazyre: still not compiled
    assert words.search("现行有效规范性文件3件") == (0, 9)
    assert all("search" in vars(r) for r in words._res)


def test_mismatch_quotes_the_sentence_and_names_the_cell():
    r = report_with(["2024年，我局共收到政府信息公开申请12件，均按时答复。"], requests__new__total=10)
    [p] = prose.check_numbers(r)
    assert p.message == "正文“2024年，我局共收到政府信息公开申请12件，均按时答复。”中本年新收申请为12件，表格（三、依申请公开!J5）为10件"
    assert (p.sheet, p.cell, p.expected, p.actual) == (spec.SHEET_TEXT, "C5", "10", "12")
    assert p.severity is spec.Severity.WARNING


TRAPS = [
    # 备案 counts of appeals are not table C totals (宿迁 2024)
    ("全市全年备案政府信息依申请公开领域行政复议案件134件，行政诉讼案件57件。", {"appeals__review__total": 170}),
    # a sub-unit's count is not the agency's total (洪泽区 2024: 17 against 95)
    ("2024 年，区政府办代表区政府受理政府信息公开申请 17 件，均已在法定期限内予以答复。", {"requests__new__total": 95}),
    # 其中 is a part
    ("共受理申请19件，其中11件均按规定程序办结。", {"requests__new__total": 19, "requests__closed_total__total": 19}),
    # 受理X件，答复Y件 are two cells
    ("受理政府信息公开申请3259件，答复3278件。", {"requests__new__total": 3259, "requests__closed_total__total": 3278}),
    # 收到 may count the carried-over requests too (宿迁 2024: 3646 = 3525 + 121)
    ("全市共收到政府信息公开申请案件3646件。", {"requests__new__total": 3525, "requests__carried_over__total": 121}),
    # a number in a parenthesis is an aside
    ("答复805件（含上年度结转申请18件）。", {"requests__closed_total__total": 805, "requests__carried_over__total": 5}),
]


@pytest.mark.parametrize("sentence, values", TRAPS, ids=["filing", "sub-unit", "part", "two-cells", "with-carry-over", "aside"])
def test_known_traps_are_not_findings(sentence, values):
    assert prose.check_numbers(report_with([sentence], agency="淮安市洪泽区人民政府", **values)) == []


def test_the_agency_itself_speaking_through_its_office_is_checked():
    text = "市政府办公厅代表市政府共受理政府信息公开申请859件。"
    r = report_with([text], agency="上海市人民政府办公厅", requests__new__total=860)
    assert codes(prose.check_numbers(r)) == ["prose-table-mismatch"]
    r.values[("requests", "new", "total")] = 859
    assert prose.check_numbers(r) == []


@pytest.mark.parametrize("sentence, path, value", [
    ("本年度制发行政规范性文件3件。", ("active", "normative_documents", "issued"), 3),
    ("现行有效规范性文件8件。", ("active", "normative_documents", "in_force"), 8),
    ("全年作出行政许可447228件。", ("active", "licensing"), 447228),
    ("发生行政诉讼案件7件。", ("appeals", "litigation_direct", "total"), 7),
    ("本年度收取信息处理费0元。", ("fees", "collected"), Decimal(0)),
])
def test_other_quantities(sentence, path, value):
    r = report_with([sentence])
    r.values[path] = value
    assert prose.check_numbers(r) == []
    r.values[path] = value + 1
    assert codes(prose.check_numbers(r)) == ["prose-table-mismatch"]


# --- arithmetic in the prose ------------------------------------------------------------------


def test_year_on_year_percentage_needs_last_year_and_is_checked():
    text = "全市共收到政府信息公开申请案件3646件，同比增长1.05%，其中，予以公开1431件、部分公开471件。"
    r = report_with([text], agency="宿迁市人民政府", requests__new__total=3525, requests__carried_over__total=121)
    last = model.Report()
    last.meta.update(year=2023)
    last.values[("requests", "new", "total")] = 3607
    [p] = prose.check_arithmetic(r, last)
    assert p.code == "prose-arithmetic"
    assert "同比增长应为1.08%，正文写1.05%" in p.message
    assert prose.check_arithmetic(r) == []  # without last year there is nothing to compare
    r.text.overview.items[0].paragraphs = [text.replace("1.05%", "1.08%")]
    assert prose.check_arithmetic(r, last) == []


def test_shares_are_checked_against_the_totals():
    ok = "答复政府信息公开申请805件。不予处理158件，占19.6%；不予公开35件，占4.34%。"
    r = report_with([ok], requests__closed_total__total=805)
    assert prose.check_arithmetic(r) == []  # 4.347…% printed as 4.34: truncated, not wrong
    wrong = "答复政府信息公开申请805件。予以公开及部分公开258件，占33.9%。"
    r = report_with([wrong], requests__closed_total__total=805)
    [p] = prose.check_arithmetic(r)
    assert "258件占805件的32.05%，正文写33.9%" in p.message


def test_breakdown_larger_than_its_total():
    r = report_with(["共受理申请20件，其中予以公开12件、部分公开9件。"])
    [p] = prose.check_arithmetic(r)
    assert "其中各项之和21件大于总数20件" in p.message
    r = report_with(["共受理申请21件，其中予以公开12件、部分公开9件。"])
    assert prose.check_arithmetic(r) == []


# --- years, placeholders, empty and copied sections -------------------------------------------


def test_years_in_the_text_are_no_finding_of_their_own():
    """The publication date, next year's plans (anywhere) and earlier years' history belong in a report."""
    r = report_with(["2022年，我局加强了政务公开。", "2023年12月以来持续推进。", "依据《2021年工作要点》开展工作。",
                     "2025年，将重点推进政策解读。", "自2008年以来坚持公开。"], year=2024)
    r.text.closing = ["上犹县商务局", "2025年1月27日"]
    assert prose.check_years(r) == []


@pytest.mark.parametrize("sentence, stated", [
    ("本报告中所列数据的统计期限自2023年1月1日起至2023年12月31日止。", "2023年"),
    ("统计期限自 2023 年 1 月 1 日至 2024 年 12 月 31 日。", "2023年、2024年"),
    ("本报告统计期间为2022年1月1日至12月31日。", "2022年"),
])
def test_a_statistics_period_of_another_year_is(sentence, stated):
    r = report_with(["本局持续推进政务公开。"], year=2024)
    r.text.preamble = [sentence]
    (p,) = prose.check_years(r)
    assert (p.code, p.actual, p.expected) == ("prose-year", stated, "2024年")
    assert p.message.startswith("正文写明的统计期限“统计") and p.message.endswith(
        f"”是{stated}，本报告为2024年度：年度或统计期限有一处不对（是否沿用了往年的文字？）")
    r.text.preamble = ["本报告中所列数据的统计期限自2024年1月1日起至2024年12月31日止。"]
    assert prose.check_years(r) == []


@pytest.mark.parametrize("text, found", [("XX局认真执行条例。", "XX"), ("共公开信息××条。", "××"), ("（文字描述）", "（文字描述）"), ("待填写", "待填写")])
def test_placeholders(text, found):
    [p] = prose.check_hygiene(report_with([text]))
    assert (p.code, p.actual) == ("text-placeholder", found)


def test_empty_and_nothing_sections():
    r = report_with(["正常内容。"])
    assert prose.check_hygiene(r) == []
    r.text.problems.items = []
    [p] = prose.check_hygiene(r)
    assert p.message == "五、存在的主要问题及改进情况没有内容"
    r.text.problems.items = [Item("存在的主要问题", ["无。"])]
    [p] = prose.check_hygiene(r)
    assert p.message == "五、存在的主要问题及改进情况只写了“无”"
    r.text.overview.items = r.text.problems.items = []
    assert prose.check_hygiene(r) == []  # numbers only: no prose to judge


def test_copied_from_last_year():
    body = "我局认真贯彻落实政府信息公开条例，持续深化政务公开，优化政务服务，强化交流互动，不断完善信息公开工作机制。" * 3
    r = report_with([body])
    last = report_with([body], year=2023)
    [p] = prose.check_copied(r, last)
    assert p.message == "一、总体情况与2023年报告的相同内容约占100%（评估以50%为限）"
    fresh = report_with(["本年度重点推进了基层政务公开标准化规范化建设，新建公开专区三个，培训人员一百余人次，群众满意度明显提升。" * 2])
    assert prose.check_copied(fresh, last) == []
    assert prose.similarity("", body) == 0.0


# --- year over year ---------------------------------------------------------------------------------


def test_previous_year_rules():
    last = model.Report()
    last.meta.update(agency="宿迁市人民政府", year=2023)
    last.values[("requests", "carried_forward", "natural_person")] = 121
    last.values[("active", "rules", "in_force")] = 11
    now = previous.next_year_report(last)
    assert now.year == 2024 and now.agency == "宿迁市人民政府"
    assert now.values[("requests", "carried_over", "natural_person")] == 121
    now.values[("active", "rules", "issued")] = 2
    now.values[("active", "rules", "repealed")] = 1
    now.values[("active", "rules", "in_force")] = 12
    assert previous.check_previous(now, last) == []
    now.values[("requests", "carried_over", "natural_person")] = 120
    now.values[("active", "rules", "in_force")] = 13
    now.meta["year"] = 2025
    found = previous.check_previous(now, last)
    assert codes(found) == ["previous-year", "previous-carry-over", "previous-carry-over", "previous-in-force"]
    assert found[1].message == "自然人列：二、上年结转为120，2023年报告的四、结转下年度继续办理为121"
    assert found[3].message == "规章现行有效件数为13，按上年11 + 本年制发2 − 本年废止1应为12（开展过清理的可确认此提醒）"


# --- fee semantics ------------------------------------------------------------------------------------


@pytest.mark.parametrize("agency, amount, suspect", [
    ("上犹县商务局", "12345678", True),
    ("上犹县商务局", "190.457379", False),
    ("淮安市人民政府", "96171.6", False),
    ("淮安市洪泽区人民政府", "7730.28", False),
    ("某镇人民政府", "50000", True),
])
def test_wanyuan_typed_in_yuan(agency, amount, suspect):
    r = model.Report()
    r.meta.update(agency=agency, year=2024)
    r.values[("active", "fees")] = Decimal(amount)
    found = [p for p in rules.check(r) if p.code == "fees-wanyuan-suspect"]
    assert bool(found) == suspect
