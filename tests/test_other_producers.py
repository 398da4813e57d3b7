"""Workbooks saved by other programs than the ones the clerk is told about, kept in tests/data."""

from __future__ import annotations

from conftest import REPO
from xlreport import api, model

DATA = REPO / "tests" / "data"


def test_an_ods_saved_by_gnumeric_reads_as_the_workbook_it_came_from():
    """gnumeric's ssconvert (1.12) turned the bundled example's workbook into gnumeric-saved.ods;
    it indents content.xml, whitespace between a row's cells that calamine refused ("文件已损坏")."""
    loaded = api.load(DATA / "gnumeric-saved.ods")
    assert loaded.kind == "ods"
    example = model.load_json_file(REPO / "examples" / "shangyou-commerce-2024.json")
    assert {p: loaded.report.values[p] for p in loaded.report.values} == example.with_totals().values
    assert loaded.report.meta["agency"] == example.meta["agency"]
    checked = api.check_file(DATA / "gnumeric-saved.ods")
    assert checked.errors == 0
