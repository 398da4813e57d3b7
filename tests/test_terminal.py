"""Terminal widths: the summary table lines up whatever the agency names are written in."""

import unicodedata

from xlreport.texttable import COMMON_WIDE, table, width


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


def test_the_fast_blocks_are_all_wide():
    wide = [chr(c) for c in range(0x80, 0x10000) if not 0xD800 <= c <= 0xDFFF and COMMON_WIDE.match(chr(c))]
    assert len(wide) > 20000
    assert all(unicodedata.east_asian_width(ch) in "WF" for ch in wide)


def test_table_columns_line_up_with_chinese_names():
    text = table([("a.xlsx", "上犹县商务局", "通过"), ("bb.xlsx", "XX县人民政府办公室", "有错误")], ("文件", "机关名称", "状态"), (10, 20, 8))
    lines = text.splitlines()
    assert lines == [
        "文件     机关名称            状态",
        "-------  ------------------  ------",
        "a.xlsx   上犹县商务局        通过",
        "bb.xlsx  XX县人民政府办公室  有错误",
    ]
