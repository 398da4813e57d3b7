"""The spec against the official format (DESIGN §1) and the reference report's text."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from xlreport import model

from xlreport.format import spec
from xlreport.format import rules

# --- (a) the labels of the reference report, in order ---------------------------------------

NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
TABLE_SECTIONS = ("active", "requests", "appeals")
NEXT_SECTION = {"active": "requests", "requests": "appeals", "appeals": "problems"}


def parse_cells(lines: list[str]) -> list[str]:
    """Cells of a table pasted from the PDF: a TAB starts a cell, a line without one continues it,
    a blank line ends it."""
    cells: list[str] = []
    open_cell = False
    for line in lines:
        if line.startswith("\t"):
            cells.append(line[1:])
            open_cell = True
        elif not line.strip():
            open_cell = False
        else:
            assert open_cell, f"a line outside any cell: {line!r}"
            cells[-1] += line
    return cells


def table_region(text: str, key: str) -> list[str]:
    lines = text.split("\n")
    stripped = [line.strip() for line in lines]
    start = stripped.index(spec.SECTION_TITLES[key])
    end = stripped.index(spec.SECTION_TITLES[NEXT_SECTION[key]], start + 1)
    return lines[start + 1 : end]


def reference_labels(text: str, key: str) -> list[str]:
    cells = [re.sub(r"\s", "", c) for c in parse_cells(table_region(text, key))]
    return [c for c in cells if c and not NUMBER.fullmatch(c)]


def reference_numbers(text: str, key: str) -> list[str]:
    cells = [re.sub(r"\s", "", c) for c in parse_cells(table_region(text, key))]
    return [c for c in cells if NUMBER.fullmatch(c)]


def spec_labels(key: str) -> list[str]:
    table = spec.TABLE_BY_KEY[key]
    labels = sorted((l for l in table.labels if l.kind != "title"), key=lambda l: (l.row, l.col))
    return [re.sub(r"\s", "", l.text) for l in labels]


def test_parse_cells_joins_continuation_lines():
    assert parse_cells(["\t商业", "企业", "\t科研", "", "\t0", " ", "\t"]) == ["商业企业", "科研", "0", ""]


@pytest.mark.parametrize("key", TABLE_SECTIONS)
def test_reference_labels_match_spec_in_order(reference_text, key):
    found = reference_labels(reference_text, key)
    assert found, f"no labels parsed for table {key}"
    assert found == spec_labels(key)


@pytest.mark.parametrize("key", TABLE_SECTIONS)
def test_reference_number_count_matches_spec_fields(reference_text, key):
    # the reference prints every field, totals included, once
    assert len(reference_numbers(reference_text, key)) == len(spec.TABLE_BY_KEY[key].fields)


def test_reference_title_lines_are_the_spec_section_titles(reference_text):
    lines = [line.strip() for line in reference_text.split("\n")]
    for key in ("overview", "active", "requests", "appeals", "problems", "other"):
        assert spec.SECTION_TITLES[key] in lines, key
    for table in spec.TABLES:
        titles = [l for l in table.labels if l.kind == "title"]
        assert [l.text for l in titles] == [table.title] == [spec.SECTION_TITLES[table.key]]


# --- (b) the structure of DESIGN §1 ---------------------------------------------------------


def labels_of(key: str) -> dict[str, spec.Label]:
    table = spec.TABLE_BY_KEY[key]
    texts = Counter(l.text for l in table.labels)
    return {l.text: l for l in table.labels if texts[l.text] == 1}


def span(label: spec.Label) -> tuple[int, int]:
    return label.r2 - label.row + 1, label.c2 - label.col + 1


def test_sheets():
    assert spec.DATA_SHEETS == ("基本信息", "二、主动公开", "三、依申请公开", "四、复议诉讼", "正文")
    assert [t.key for t in spec.TABLES] == ["active", "requests", "appeals"]
    assert [t.sheet for t in spec.TABLES] == ["二、主动公开", "三、依申请公开", "四、复议诉讼"]
    assert spec.SHEET_CHECKS == "校验" and spec.SHEET_GUIDE == "填表说明" and spec.SHEET_STAMP == "_xlreport"
    assert len({spec.SHEET_CHECKS, spec.SHEET_GUIDE, spec.SHEET_STAMP, spec.SHEET_PROBLEMS, *spec.DATA_SHEETS}) == 9
    assert {l.sheet for l in spec.LABELS} == set(spec.DATA_SHEETS)
    assert {f.sheet for f in spec.FIELDS} == {spec.SHEET_META, *(t.sheet for t in spec.TABLES)}


def test_section_titles():
    assert spec.SECTION_TITLES == {
        "overview": "一、总体情况",
        "active": "二、主动公开政府信息情况",
        "requests": "三、收到和处理政府信息公开申请情况",
        "appeals": "四、政府信息公开行政复议、行政诉讼情况",
        "problems": "五、存在的主要问题及改进情况",
        "other": "六、其他需要报告的事项",
    }


def test_table_active_structure():
    t = spec.TABLE_BY_KEY["active"]
    assert t.width == 4 and t.label_cols == 1
    titles = [l for l in t.labels if l.kind == "header" and l.text.startswith("第二十条")]
    assert [l.text for l in titles] == ["第二十条第（一）项", "第二十条第（五）项", "第二十条第（六）项", "第二十条第（八）项"]
    assert all(span(l) == (1, 4) and l.col == 0 for l in titles)
    assert len([l for l in t.labels if l.text == "信息内容"]) == 4
    by_row: dict[str, list[spec.Field]] = {}
    for f in t.fields:
        by_row.setdefault(f.row_label, []).append(f)
    assert list(by_row) == ["规章", "行政规范性文件", "行政许可", "行政处罚", "行政强制", "行政事业性收费"]
    for name in ("规章", "行政规范性文件"):
        assert [f.col_label for f in by_row[name]] == ["本年制发件数", "本年废止件数", "现行有效件数"]
        assert [f.col for f in by_row[name]] == [1, 2, 3]
        assert all(f.last_col is None and f.unit is spec.Unit.COUNT for f in by_row[name])
    for name in ("行政许可", "行政处罚", "行政强制"):
        (f,) = by_row[name]
        assert (f.col, f.last_col, f.col_label, f.unit) == (1, 3, "本年处理决定数量", spec.Unit.COUNT)
    (fee,) = by_row["行政事业性收费"]
    assert (fee.col, fee.last_col, fee.col_label, fee.unit) == (1, 3, "本年收费金额（单位：万元）", spec.Unit.WANYUAN)
    value_headers = [l for l in t.labels if l.text in ("本年处理决定数量", "本年收费金额（单位：万元）")]
    assert len(value_headers) == 3 and all(span(l) == (1, 3) and l.col == 1 for l in value_headers)
    assert all(f.is_input for f in t.fields) and len(t.fields) == 10


def test_table_requests_structure():
    t = spec.TABLE_BY_KEY["requests"]
    L = labels_of("requests")
    assert t.width == 10 and t.label_cols == 3 and t.header_rows == 4
    data_rows = sorted({f.row for f in t.fields})
    assert len(data_rows) == 25 and data_rows == list(range(data_rows[0], data_rows[0] + 25))
    for r in data_rows:
        assert [f.col_label for f in t.fields if f.row == r] == ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
        assert [f.col for f in t.fields if f.row == r] == list(range(3, 10))
    assert len(t.fields) == 25 * 7
    # header
    assert span(L[spec.REQUESTS_BALANCE_NOTE]) == (3, 3) and L[spec.REQUESTS_BALANCE_NOTE].cell == "A2"
    assert spec.REQUESTS_BALANCE_NOTE == "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    assert span(L["申请人情况"]) == (1, 7) and L["申请人情况"].col == 3
    assert span(L["自然人"]) == (2, 1)
    assert span(L["法人或其他组织"]) == (1, 5)
    assert span(L["总计"]) == (2, 1) and L["总计"].col == 9
    third = sorted((l for l in t.labels if l.row == 3), key=lambda l: l.col)
    assert [l.text for l in third] == ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    # body
    assert span(L["三、本年度办理结果"]) == (22, 1)
    assert L["三、本年度办理结果"].row == data_rows[2]
    for text in ("一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "四、结转下年度继续办理"):
        assert span(L[text]) == (1, 3) and L[text].col == 0
    for text in ("（一）予以公开", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "（七）总计"):
        assert span(L[text]) == (1, 2) and L[text].col == 1
    groups = {"（三）不予公开": 8, "（四）无法提供": 3, "（五）不予处理": 5, "（六）其他处理": 3}
    for text, n in groups.items():
        assert span(L[text]) == (n, 1) and L[text].col == 1
        items = [l.text for l in t.labels if l.col == 2 and L[text].row <= l.row <= L[text].r2]
        assert len(items) == n and all(i.startswith(f"{k + 1}.") for k, i in enumerate(items))
    assert "3.危及“三安全一稳定”" in {l.text for l in t.labels}  # curly quotes, verbatim
    # no numbers of their own on the group rows
    assert {f.row for f in t.fields} >= {L["三、本年度办理结果"].row}
    assert all(f.row_label != "三、本年度办理结果" for f in t.fields)
    # totals: the 总计 column and the （七）总计 row; no subtotal for 法人或其他组织
    totals = {(f.path[1], f.path[2]) for f in t.fields if not f.is_input}
    assert totals == {(r, "total") for r in spec.REQUEST_ROW_KEYS} | {("closed_total", c) for c in spec.REQUEST_INPUT_COLUMNS}
    assert len([f for f in t.fields if f.is_input]) == 24 * 6


def test_table_appeals_structure():
    t = spec.TABLE_BY_KEY["appeals"]
    assert t.width == 15 and t.label_cols == 0
    assert len(t.fields) == 15 and {f.row for f in t.fields} == {4}
    assert [f.col for f in t.fields] == list(range(15))
    L = {(l.row, l.col): l for l in t.labels}
    assert L[1, 0].text == "行政复议" and span(L[1, 0]) == (1, 5)
    assert L[1, 5].text == "行政诉讼" and span(L[1, 5]) == (1, 10)
    results = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    assert [L[2, c].text for c in range(5)] == results and all(span(L[2, c]) == (2, 1) for c in range(5))
    assert L[2, 5].text == "未经复议直接起诉" and span(L[2, 5]) == (1, 5)
    assert L[2, 10].text == "复议后起诉" and span(L[2, 10]) == (1, 5)
    assert [L[3, c].text for c in range(5, 15)] == results * 2
    assert [f.path for f in t.fields if not f.is_input] == [
        ("appeals", g, "total") for g in ("review", "litigation_direct", "litigation_after_review")
    ]


def test_fields_unique_and_cells_do_not_overlap():
    paths = [f.path for f in spec.FIELDS]
    assert len(paths) == len(set(paths))
    cells: dict[tuple[str, int, int], str] = {}

    def claim(sheet, r1, c1, r2, c2, what):
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                assert (sheet, r, c) not in cells, f"{what} overlaps {cells[sheet, r, c]} at {sheet}!{spec.a1(r, c)}"
                cells[sheet, r, c] = what

    for l in spec.LABELS:
        claim(l.sheet, l.row, l.col, l.r2, l.c2, f"label {l.text}")
    for f in spec.FIELDS:
        claim(f.sheet, f.row, f.col, f.row, f.last_col if f.last_col is not None else f.col, f"field {f.key}")
    for m in spec.META_FIELDS:
        claim(m.sheet, m.row, m.col, m.row, m.col, f"meta {m.key}")
    for t in spec.TEXT_SLOTS:
        claim(spec.SHEET_TEXT, t.row, spec.TEXT_HEADING_COL, t.row, spec.TEXT_BODY_COL, f"text {t.section}/{t.kind}/{t.index}")


def test_inputs_and_totals_partition_fields():
    assert set(spec.INPUT_FIELDS) | set(spec.TOTAL_FIELDS) == set(spec.FIELDS)
    assert not set(spec.INPUT_FIELDS) & set(spec.TOTAL_FIELDS)
    for f in spec.TOTAL_FIELDS:
        assert all(p in spec.FIELD_BY_PATH for p in f.total_of)
        assert all(spec.FIELD_BY_PATH[p].sheet == f.sheet for p in f.total_of)
        assert f.path not in f.total_of


def test_meta_and_fee_fields():
    assert [m.key for m in spec.META_FIELDS] == ["agency", "year", "office", "address", "postcode", "phone", "email", "website"]
    assert [m.key for m in spec.META_FIELDS if m.required] == ["agency", "year"]
    assert [f.path for f in spec.FEE_FIELDS] == [("fees", "notices"), ("fees", "notice_amount"), ("fees", "collected")]
    assert [f.unit for f in spec.FEE_FIELDS] == [spec.Unit.COUNT, spec.Unit.YUAN, spec.Unit.YUAN]


def test_text_slots_rows_are_consecutive():
    rows = [t.row for t in spec.TEXT_SLOTS]
    assert rows == list(range(2, 2 + len(rows)))
    assert [t.section for t in spec.TEXT_SLOTS][0] == "preamble" and spec.TEXT_SLOTS[-1].section == "closing"
    items = [t.default_heading for t in spec.TEXT_SLOTS if t.section == "overview" and t.default_heading]
    assert items == ["主动公开", "依申请公开", "政府信息管理", "政府信息公开平台建设", "监督保障"]


def test_rules_codes_unique_and_instances_resolve():
    codes = [r.code for r in rules.RULES]
    assert len(codes) == len(set(codes))
    for i in rules.INSTANCES:
        assert rules.RULE_BY_CODE[i.rule].scope == "sheet", i.rule
        for p in i.paths + (i.anchor,):
            assert p in spec.FIELD_BY_PATH, p
    assert {i.rule for i in rules.INSTANCES} == {r.code for r in rules.RULES if r.scope == "sheet"}


def test_instances_cover_the_format_rules():
    by_rule = Counter(i.rule for i in rules.INSTANCES)
    assert by_rule == {
        "requests-balance": 7,  # one per column of table B
        "requests-row-total": 25,  # one per row of table B
        "requests-closed-total": 6,  # one per input column (the 总计 column is a row total)
        "appeals-total": 3,
        "fees-unpaid-without-notice": 1, "fees-collected-exceeds-notices": 1, "fees-amount-without-notice": 1,
    }
    for i in rules.INSTANCES:
        if i.rule == "requests-balance":
            c = i.anchor[2]
            assert i.relation.left.plus == (("requests", "new", c), ("requests", "carried_over", c))
            assert i.relation.right.plus == (("requests", "closed_total", c), ("requests", "carried_forward", c))


def test_a_relation_is_the_same_in_python_and_as_a_formula():
    """The formula spells the relation's own terms: every field it names, in the same order."""
    import re

    for i in rules.INSTANCES:
        formula = i.relation.formula(lambda p: spec.FIELD_BY_PATH[p].sheet + "!" + spec.FIELD_BY_PATH[p].cell)
        named = re.findall(r"IF\(ISNUMBER\(([^)]+)\)", formula)
        assert named == [spec.FIELD_BY_PATH[p].sheet + "!" + spec.FIELD_BY_PATH[p].cell for p in i.paths]


@pytest.mark.parametrize("label", spec.LABELS, ids=lambda l: f"{l.sheet}!{l.ref}")
def test_label_text_is_clean(label):
    assert label.text == label.text.strip() and label.text
    assert '"' not in label.text  # straight quotes would mean the “ ” were lost
    assert label.r2 >= label.row and label.c2 >= label.col


# --- (c) the JSON contract ------------------------------------------------------------------

REQUEST_ROWS = (
    "new", "carried_over", "granted", "partly_granted",
    "withheld_state_secret", "withheld_prohibited_by_law", "withheld_security_stability", "withheld_third_party",
    "withheld_internal_affairs", "withheld_process_info", "withheld_enforcement_files", "withheld_inquiry",
    "unavailable_not_held", "unavailable_needs_creation", "unavailable_unclear",
    "declined_petition", "declined_duplicate", "declined_publication", "declined_excessive", "declined_confirmation",
    "other_no_correction", "other_fee_unpaid", "other_other",
    "closed_total", "carried_forward",
)
REQUEST_COLUMNS = ("natural_person", "business", "research", "social_welfare", "legal_service", "other", "total")
APPEAL_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
DOC_COUNTS = ("issued", "repealed", "in_force")

CONTRACT = {
    "format": None,
    "meta": {k: None for k in ("agency", "year", "office", "address", "postcode", "phone", "email", "website")},
    "active": {
        "rules": dict.fromkeys(DOC_COUNTS),
        "normative_documents": dict.fromkeys(DOC_COUNTS),
        "licensing": None, "punishment": None, "coercion": None, "fees": None,
    },
    "requests": {row: dict.fromkeys(REQUEST_COLUMNS) for row in REQUEST_ROWS},
    "appeals": {g: dict.fromkeys(APPEAL_COLUMNS) for g in ("review", "litigation_direct", "litigation_after_review")},
    "fees": dict.fromkeys(("notices", "notice_amount", "collected")),
    "text": {
        "preamble": None,
        "overview": {"intro": None, "items": None},
        "problems": {"intro": None, "items": None},
        "other": {"intro": None, "fee_note": {"heading": None, "paragraphs": None}, "items": None},
        "closing": None,
    },
}


def key_tree(obj):
    if isinstance(obj, dict):
        return {k: key_tree(v) for k, v in obj.items()}
    return None


def test_json_contract_keys():
    assert key_tree(model.to_dict(model.Report())) == CONTRACT


def test_json_contract_key_order():
    d = model.to_dict(model.Report())
    assert list(d["requests"]) == list(REQUEST_ROWS)
    assert all(list(v) == list(REQUEST_COLUMNS) for v in d["requests"].values())
    assert list(d["meta"]) == list(CONTRACT["meta"])


def test_json_contract_blank_report_values():
    d = model.to_dict(model.Report())
    assert d["format"] == "2021"
    assert all(v is None for v in d["meta"].values())
    assert d["text"]["other"]["fee_note"] == {"heading": spec.FEE_NOTE_HEADING, "paragraphs": []}


def test_spec_paths_are_the_contract_paths():
    def leaves(tree, prefix=()):
        for k, v in tree.items():
            if isinstance(v, dict):
                yield from leaves(v, prefix + (k,))
            else:
                yield prefix + (k,)

    numbers = {k: v for k, v in CONTRACT.items() if k not in ("format", "meta", "text")}
    assert sorted(leaves(numbers)) == sorted(f.path for f in spec.FIELDS)
