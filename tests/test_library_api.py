"""The library's face (xlreport/__init__.py): what `from xlreport import …` offers works."""

from __future__ import annotations

import tomllib

import openpyxl

import xlreport
from conftest import REPO
from xlreport import api
from xlreport.format import spec


def test_new_workbook_writes_the_clerks_workbook(tmp_path):
    report = xlreport.Report()
    report.meta["agency"], report.meta["year"] = "测试县商务局", 2024
    path = xlreport.new_workbook(tmp_path / "新.xlsx", report)
    assert openpyxl.load_workbook(path).sheetnames[: len(spec.DATA_SHEETS)] == list(spec.DATA_SHEETS)
    checked = api.check_file(path)
    assert (checked.report.agency, checked.report.year) == ("测试县商务局", 2024)


def test_the_version_is_the_packages():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert xlreport.__version__ == project["version"]
