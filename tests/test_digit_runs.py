"""Digits run together (a published table that lost its cell boundaries) split by the table's
own arithmetic: unique splits read, the rest refused row by row with a message that says why."""

from __future__ import annotations

import re

import pytest

from conftest import DATA
from xlreport.format import runs, spec
from xlreport.format.locate import APPEAL_FIELDS, ROWS
from xlreport.importers import import_report

NEW = next(r for r in ROWS if r.key == "new").fields
RULES = next(r for r in ROWS if r.key == "rules").fields


@pytest.mark.parametrize("run, fields, expected", [
    ("21710000218", NEW, [(217, 1, 0, 0, 0, 0, 218)]),  # the example
    ("0000000", NEW, [(0, 0, 0, 0, 0, 0, 0)]),
    ("110000011", NEW, [(1, 10, 0, 0, 0, 0, 11), (11, 0, 0, 0, 0, 0, 11)]),  # the row alone cannot tell
    ("1000002", NEW, []),  # no split keeps 总计 = the six
    ("308", RULES, [(3, 0, 8)]),  # three cells, three digits
    ("1011", RULES, [(1, 0, 11), (10, 1, 1)]),  # no total to tell them apart; 1 01 1 is no printed number
    ("110021000120103", APPEAL_FIELDS, [(1, 1, 0, 0, 2, 1, 0, 0, 0, 1, 2, 0, 1, 0, 3)]),
    ("12", NEW, []), ("１２３４５６７", NEW, []), ("9" * (runs.MAX_DIGITS + 1), NEW, []),
])
def test_splits(run, fields, expected):
    assert runs.splits(run, fields) == expected


def test_splits_stop_counting_past_the_cap():
    assert len(runs.splits("1" * 40, RULES)) == runs.MAX_SPLITS


def glue(text: str) -> str:
    """The report as a page that lost its table's cell boundaries: each row's numbers run on to its label."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^(.*?)((?:\s*\d+)+)\s*$", line)
        if m and len(m.group(2).split()) >= 2 and not re.search(r"\d{4}\s*年", line):
            line = m.group(1).rstrip() + "".join(m.group(2).split())
        out.append(line)
    return "\n".join(out)


# per reference report: the fields that stay unread, and why (the published table itself decides)
UNREAD = {
    "08-hongze-qu-2024.txt": set(),
    "shangyou-commerce-2024.txt": set(),
    # 规章 1011 and 行政规范性文件 82666 have no total to tell their splits apart; the appeals
    # row splits three ways that all keep the three group totals
    "06-huaian-shi-2024.txt": {f.key for f in (*RULES, *next(r for r in ROWS if r.key == "normative_documents").fields, *APPEAL_FIELDS)},
    # as published, 行政复议's 总计 (0) is not the sum of its results (10 + 1): no split can keep it
    "07-hongze-qu-2023.txt": {f.key for f in APPEAL_FIELDS},
}


@pytest.mark.parametrize("name", sorted(UNREAD))
def test_a_report_whose_digits_ran_together_reads_as_its_original(tmp_path, name):
    original = import_report(DATA / name)
    path = tmp_path / name
    path.write_text(glue((DATA / name).read_text(encoding="utf-8")), encoding="utf-8")
    glued = import_report(path)
    assert (glued.report.agency, glued.report.year) == (original.report.agency, original.report.year)
    unread = {f.key for f in spec.FIELDS if glued.report.values.get(f.path) is None and original.report.values.get(f.path) is not None}
    assert unread == UNREAD[name]
    for f in spec.FIELDS:
        if f.key not in unread:
            assert glued.report.values.get(f.path) == original.report.values.get(f.path), f.key
    refused = [p for p in glued.problems if "连在一起" in p.message and "未读取" in p.message]
    assert {k for p in refused for k in _row_keys(p)} == unread


def _row_keys(p) -> set[str]:
    if p.sheet == spec.SECTION_TITLES["appeals"]:
        return {f.key for f in APPEAL_FIELDS}
    row = next(r for r in ROWS if r.fields[0].key == p.key)
    return {f.key for f in row.fields}


def test_what_a_row_cannot_tell_the_columns_do(tmp_path):
    """（四）2. reads 110000011: 1 10 … 11 or 11 0 … 11 on its own; the columns' rules leave one."""
    path = tmp_path / "r.txt"
    path.write_text(glue((DATA / "06-huaian-shi-2024.txt").read_text(encoding="utf-8")), encoding="utf-8")
    (p,) = [p for p in import_report(path).problems if "各列" in p.message]
    assert p.message == ("这一行的数字连在一起（110000011），本行有2种拆法，与表中其他行一起按各列的勾稽关系只有一种："
                         "11 0 0 0 0 0 11，已按此读取；请对照原文核对（原文位置：第107行）")
    assert p.row_label == "（四）无法提供2.没有现成信息需要另行制作"


def test_the_messages_of_rows_left_unread(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text(glue((DATA / "06-huaian-shi-2024.txt").read_text(encoding="utf-8")), encoding="utf-8")
    messages = {p.row_label: p.message for p in import_report(path).problems if "无法确定" in p.message}
    assert messages["规章"] == "这一行的数字连在一起（1011），有2种拆法（如 1 0 11、10 1 1），这一行没有可核对的合计，无法确定，未读取（原文位置：第63行）"


def _every_split(run: str, fields) -> list[tuple[int, ...]]:
    """The splits by brute force: every way into len(fields) printed numbers, kept where the totals hold."""
    import itertools

    checks = runs.constraints(fields)
    out = []
    for cuts in itertools.combinations(range(1, len(run)), len(fields) - 1):
        texts = [run[a:b] for a, b in zip((0, *cuts), (*cuts, len(run)))]
        if any(len(t) > 1 and t[0] == "0" for t in texts):
            continue
        cells = [int(t) for t in texts]
        if all(cells[t] == sum(cells[p] for p in ps) for t, ps in checks):
            out.append(tuple(cells))
    return out


def test_the_splits_are_those_of_brute_force():
    """A total that follows its parts is not searched for: its digits are the sum's. The splits
    found are exactly the brute-force ones."""
    import random

    rng = random.Random(7)
    for _ in range(300):
        fields = rng.choice([NEW, RULES])
        parts = [rng.choice([0, 0, 1, rng.randint(0, 30), rng.randint(0, 300)]) for _ in range(len(fields) - 1)]
        cells = parts + [sum(parts)] if fields is NEW else parts + [rng.randint(0, 30)]
        run = "".join(map(str, cells))
        assert runs.splits(run, fields) == _every_split(run, fields)[: runs.MAX_SPLITS], run


def test_a_run_with_too_many_ways_to_try_is_left_unread_and_said():
    from xlreport.format.locate import split_run

    run = "9" * 39  # some 10^6 ways into the 7 cells of 本年新收
    with pytest.raises(runs.Undecided):
        runs.splits(run, NEW)
    assert split_run([run], NEW) == (None, f"这一行的数字连在一起（{run}），可能的拆法太多，无法确定，未读取", [])
