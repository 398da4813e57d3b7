"""Terminal widths: the summary table lines up whatever the agency names are written in."""

import re
import unicodedata

from xlreport.texttable import table, width


def one_by_one(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_width_agrees_with_unicodedata_on_every_character():
    for code in range(0x20, 0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        text = chr(code) + "中a"
        assert width(text) == one_by_one(text), hex(code)
    for text in ("", "abc", "测试县商务局", "ａｂ１", "한국어", "𠀀x", "😀二", "第（一）项"):
        assert width(text) == one_by_one(text), text


def test_table_columns_line_up_with_chinese_names():
    text = table([("a.xlsx", "上犹县商务局", "通过"), ("bb.xlsx", "XX县人民政府办公室", "有错误")], ("文件", "机关名称", "状态"), (10, 20, 8))
    lines = text.splitlines()
    assert lines == [
        "文件     机关名称            状态",
        "-------  ------------------  ------",
        "a.xlsx   上犹县商务局        通过",
        "bb.xlsx  XX县人民政府办公室  有错误",
    ]


def _problems():
    from xlreport.format.spec import Severity
    from xlreport.problems import Problem

    return [
        Problem("value-type", Severity.ERROR, "“１２”是文字，不是数字；请直接填写数字", sheet="二、主动公开", cell="B8",
                row_label="行政许可", col_label="本年处理决定数量", expected="0或正整数", actual="１２"),
        Problem("requests-balance", Severity.ERROR, "商业企业列：一、本年新收（45）+ 二、上年结转（3）= 48，应等于（七）总计（42）"
                "+ 四、结转下年度继续办理（100）= 142；若前三项无误，四、结转下年度继续办理应为6", sheet="三、依申请公开", cell="E28",
                row_label="（七）总计", col_label="商业企业", expected="一+二=48", actual="（七）+四=142"),
    ]


def test_problems_in_an_80_column_terminal_are_blocks_that_fit():
    from xlreport.texttable import render_problems

    assert render_problems(_problems(), 80) == """\
【二、主动公开】
错误  二、主动公开!B8  行政许可 / 本年处理决定数量
      “１２”是文字，不是数字；请直接填写数字
      应为：0或正整数；实际：１２

【三、依申请公开】
错误  三、依申请公开!E28  （七）总计 / 商业企业
      商业企业列：一、本年新收（45）+ 二、上年结转（3）= 48，应等于（七）总计
      （42）+ 四、结转下年度继续办理（100）= 142；若前三项无误，四、结转下年度继
      续办理应为6
      应为：一+二=48；实际：（七）+四=142
"""
    for columns in (60, 80, 100):
        assert max(width(line) for line in render_problems(_problems(), columns).splitlines()) <= columns + 1  # a hung comma


def test_a_wide_terminal_or_a_file_gets_the_table():
    from xlreport.texttable import render_problems

    wide = render_problems(_problems(), 200)
    assert wide == render_problems(_problems(), None)
    assert wide.splitlines()[1].split() == ["级别", "位置", "项目", "问题", "应为", "实际"]


def test_the_folder_summary_fits_an_80_column_terminal():
    from xlreport.cli.printer import SUMMARY_WIDTHS, summary_widths
    from xlreport.format.spec import BATCH_FILE_COLUMNS
    from xlreport.texttable import table_lines

    rows = [("收到的报告/乡镇/XX县XX镇人民政府2024年政府信息公开工作年度报告.xlsx", "XX县XX镇人民政府", "2024", "3", "12", "有错误")]
    assert summary_widths(None) == summary_widths(200) == SUMMARY_WIDTHS
    for columns in (60, 80, 100):
        widths = summary_widths(columns)
        lines = list(table_lines(rows, BATCH_FILE_COLUMNS[: len(widths)], widths))
        assert max(width(line) for line in lines) <= columns, (columns, lines)
        assert "".join(re.split(r"\s{2,}", line)[0] for line in lines[2:]) == rows[0][0]  # wrapped, not cut
