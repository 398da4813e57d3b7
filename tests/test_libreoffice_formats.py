"""A filled workbook re-saved by LibreOffice as .xlsx and .ods, and converted to .xls, reads back identical."""

from __future__ import annotations

import pytest

from conftest import run_soffice_convert
from factories import filled_report
from xlreport import api, model
from xlreport.xlsx.writer import write_workbook

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    report = filled_report()
    path = write_workbook(tmp_path_factory.mktemp("filled") / "填好的.xlsx", report)
    return report, path


@pytest.mark.parametrize("target", ["xlsx", "ods", "xls"])
def test_resaved_workbook_reads_back_identical(filled, tmp_path, soffice, target):
    report, source = filled
    converted = run_soffice_convert(source, tmp_path / "out", target, soffice=soffice)
    loaded = api.load(converted)
    assert loaded.kind == target
    assert model.to_dict(loaded.report) == model.to_dict(api.load(source).report)
    assert model.to_dict(loaded.report) == model.to_dict(report.with_totals())
    checked = api.check_file(converted)
    assert [p.line() for p in checked.problems] == []


@pytest.mark.parametrize("target", ["xlsx", "ods", "xls"])
def test_a_value_under_a_merged_range_is_found_in_every_format(filled, tmp_path, soffice, target):
    """A merge D5:E5 laid over a filled E5: LibreOffice keeps the hidden 3 in every format it
    saves, and every reader path says so (an .ods's merges are read from its content.xml)."""
    import re

    from factories import patch_zip, sheet_entries
    from xlreport.format import spec

    _, source = filled
    entry = sheet_entries(source)[spec.SHEET_REQUESTS]
    merged = patch_zip(source, {entry: lambda d: re.sub(rb'<mergeCells count="[0-9]+">', lambda m: m.group(0) + b'<mergeCell ref="D5:E5"/>', d)},
                       tmp_path / "合并.xlsx")
    converted = run_soffice_convert(merged, tmp_path / "out", target, soffice=soffice)
    found = [(p.sheet, p.cell, p.actual) for p in api.check_file(converted).problems if p.code == "value-merged"]
    assert found == [(spec.SHEET_REQUESTS, "E5", "合并在D5:E5中")]
