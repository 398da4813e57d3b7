"""One file, one report (issue 16.4): two reports in one file are refused, never read as one."""

from __future__ import annotations

import pytest

from conftest import DATA
from xlreport.errors import InputError
from xlreport.importers import import_report


def test_two_reports_one_after_the_other_are_refused(tmp_path):
    path = tmp_path / "两年对照.txt"
    first = (DATA / "07-hongze-qu-2023.txt").read_text(encoding="utf-8")
    second = (DATA / "08-hongze-qu-2024.txt").read_text(encoding="utf-8")
    combined = first + "\n" + second
    path.write_text(combined, encoding="utf-8")
    with pytest.raises(InputError) as e:
        import_report(path)
    lines = combined.splitlines()
    second_title = next(i for i, line in enumerate(lines, 1) if i > len(first.splitlines()) and "年度报告" in line)
    assert e.value.message == f"{path}：一个文件中有2份年度报告的标题：2023年（第2行）、2024年（第{second_title}行），未导入"
    assert e.value.hint == "请把每份报告分别保存为单独的文件后再导入"


def test_two_reports_without_titles_are_refused_by_their_sections(tmp_path):
    text = (DATA / "08-hongze-qu-2024.txt").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if "年度报告" not in line)
    path = tmp_path / "拼在一起.txt"
    path.write_text(body + "\n" + body, encoding="utf-8")
    with pytest.raises(InputError, match=r"一个文件中有两份以上的年度报告（“一、总体情况”、“二、主动公开政府信息情况”、“三、收到和处理政府信息公开申请情况”等部分各出现了不止一次），未导入"):
        import_report(path)


def test_a_report_that_names_last_years_report_is_one_report(tmp_path):
    text = (DATA / "08-hongze-qu-2024.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    lines.insert(5, "根据2023年政府信息公开工作年度报告")  # a line that names another year's report, no title
    lines.insert(6, "中提出的问题，我区逐项整改。")
    path = tmp_path / "r.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert import_report(path).report.year == 2024


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.txt")) + ["07-hongze-qu-2023.pdf", "hangzhou-style-2025.html"])
def test_every_reference_report_is_one_report(name):
    assert import_report(DATA / name).report.year is not None


def test_a_side_by_side_comparison_of_two_years_is_refused():
    """宿迁市 2023 and 2024 rendered side by side (shared/reference/reports/suqian-2023-2024): it
    imported as one report with agency and year empty."""
    path = DATA / "side-by-side" / "suqian-2023vs2024.txt"  # a folder of its own: not a seed of the fuzz corpus
    with pytest.raises(InputError) as e:
        import_report(path)
    assert e.value.message == f"{path}：这是2023年、2024年报告的对照（第2行），一个文件中有2份年度报告，未导入"
    assert e.value.hint == "请分别导入每一年的报告原文"


@pytest.mark.parametrize("line", ["本报告与2023年度报告相比，新增了统计口径说明。", "2024年是“十四五”规划关键之年。"])
def test_a_line_that_names_one_years_report_is_no_comparison(tmp_path, line):
    lines = (DATA / "08-hongze-qu-2024.txt").read_text(encoding="utf-8").splitlines()
    lines.insert(8, line)
    path = tmp_path / "r.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert import_report(path).report.year == 2024
