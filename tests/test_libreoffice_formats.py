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
