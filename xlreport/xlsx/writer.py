"""spec → the .xlsx a clerk fills (xlsxwriter): layout, styles, validation, protection, live checks.

Everything here is derived from spec.py; this module never names a label or a cell itself.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Iterable

import xlsxwriter

from ..version import __version__

from ..format import spec, values
from . import live
from ..model import Report, join_paragraphs, text_slots
from ..output import atomic_target, scratch_dir

FONT = "宋体"
TITLE_FONT = "黑体"
INPUT_FILL = "#FFF2CC"
TOTAL_FILL = "#E7E6E6"
HEADER_FILL = "#DDEBF7"
BAD_FILL = "#FFC7CE"
BAD_FONT = "#9C0006"
WARN_FILL = "#FFEB9C"
OK_FILL = "#C6EFCE"
CHAR_WIDTH = 2.0  # a CJK character is about two '0' widths in 宋体 11pt
LINE_HEIGHT = 15.0
MAX_ROW_HEIGHT = 409.0


@dataclass(frozen=True)
class Mark:
    """A problem to show on a cell of an annotated copy."""

    sheet: str
    cell: str
    severity: spec.Severity
    message: str


EXTRA_ROWS_FOR_WIDTHS = 200  # the rows of an extra sheet its column widths are measured on


def new_workbook(path, scratch: str, constant_memory: bool = False) -> xlsxwriter.Workbook:
    """An xlsxwriter workbook that writes text as text (an agency named "=1+1" or "www.x.cn" stays
    a name, never a formula, a number or a link) and keeps its part files in ``scratch``, a
    folder of our own (output.scratch_dir): every workbook the tool writes is made here."""
    options = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False, "tmpdir": scratch}
    return xlsxwriter.Workbook(str(path), {**options, "constant_memory": constant_memory})


class _Writer:
    def __init__(self, path: Path, report: Report | None, marks: list[Mark] | None, extra_sheets: list[tuple[str, list[list]]],
                 scratch: str):
        self.report = report
        self.marks = marks or []
        self.extra_sheets = extra_sheets
        self.wb = new_workbook(path, scratch)
        self.sheets: dict[str, xlsxwriter.worksheet.Worksheet] = {}
        self._formats: dict[tuple, object] = {}
        self.path = Path(path)

    # formats are cached by their properties so each distinct style exists once
    def fmt(self, **props):
        props.setdefault("font_name", FONT)
        props.setdefault("font_size", 11)
        props.setdefault("valign", "vcenter")
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def label_format(self, label: spec.Label):
        if label.kind == "title":
            return self.fmt(font_name=TITLE_FONT, font_size=14, bold=True, align="center", text_wrap=True)
        if label.kind == "header":
            return self.fmt(bold=True, align="center", border=1, text_wrap=True, bg_color=HEADER_FILL, locked=True)
        return self.fmt(border=1, text_wrap=True, align="left" if label.sheet != spec.SHEET_REQUESTS or label.col else "center", locked=True)

    def input_format(self, unit: spec.Unit):
        return self.fmt(border=1, bg_color=INPUT_FILL, locked=False, align="right", num_format="0" if unit is spec.Unit.COUNT else "General")

    def total_format(self):
        return self.fmt(border=1, bg_color=TOTAL_FILL, locked=True, align="right", num_format="0", bold=True)

    # --- sheets ---------------------------------------------------------------------

    def write(self) -> None:
        wb = self.wb
        wb.set_properties({
            "title": "政府信息公开工作年度报告",
            "subject": spec.FORMAT_NAME,
            "author": (self.report.agency if self.report else "") or "",
            "comments": "由 xlreport 生成；请只在浅黄色单元格中填写",
        })
        wb.set_custom_property("xlreport_template", spec.TEMPLATE_ID)
        wb.set_custom_property("xlreport_format", spec.FORMAT_VERSION)
        wb.set_custom_property("xlreport_spec", spec.SPEC_HASH)
        for name in spec.DATA_SHEETS:
            self.sheets[name] = wb.add_worksheet(name)
        self.sheets[spec.SHEET_CHECKS] = wb.add_worksheet(spec.SHEET_CHECKS)
        for name, _ in self.extra_sheets:
            self.sheets[name] = wb.add_worksheet(name)
        self.sheets[spec.SHEET_GUIDE] = wb.add_worksheet(spec.SHEET_GUIDE)
        self.sheets[spec.SHEET_STAMP] = wb.add_worksheet(spec.SHEET_STAMP)
        self.sheets[spec.SHEET_CELLCHECK] = wb.add_worksheet(spec.SHEET_CELLCHECK)
        self.sheets[spec.SHEET_CELLCHECK].hide()

        self.write_labels()
        self.write_meta()
        for table in spec.TABLES:
            self.layout_table(table)
        self.write_fields()
        self.write_text()
        self.write_checks()
        self.write_guide()
        self.write_stamp()
        self.write_marks()
        for name, rows in self.extra_sheets:
            self.write_extra(name, rows)
        for ws in self.sheets.values():
            ws.protect("", {"format_columns": True, "format_rows": True, "select_locked_cells": True, "select_unlocked_cells": True})
        if self.extra_sheets:
            self.sheets[self.extra_sheets[0][0]].activate()
        else:
            self.sheets[spec.SHEET_META].activate()
        wb.close()

    def write_labels(self) -> None:
        for label in spec.LABELS:
            ws = self.sheets[label.sheet]
            f = self.label_format(label)
            if label.merged:
                ws.merge_range(label.row, label.col, label.r2, label.c2, label.text, f)
            else:
                ws.write_string(label.row, label.col, label.text, f)

    def write_meta(self) -> None:
        ws = self.sheets[spec.SHEET_META]
        ws.set_column(0, 0, 34)
        ws.set_column(1, 1, 48)
        ws.set_column(2, 2, 44)
        ws.set_row(0, 30)
        ws.freeze_panes(2, 0)
        hint = self.fmt(font_color="#595959", text_wrap=True, border=1)
        text_in = self.fmt(border=1, bg_color=INPUT_FILL, locked=False, text_wrap=True, num_format="@")
        for m in spec.META_FIELDS:
            value = self.report.meta.get(m.key) if self.report else None
            ws.write_string(m.row, 2, m.hint, hint)
            if m.kind == "year":
                f = self.fmt(border=1, bg_color=INPUT_FILL, locked=False, num_format="0", align="left")
                if value is None:
                    ws.write_blank(m.row, m.col, None, f)
                else:
                    ws.write_number(m.row, m.col, value, f)
                ws.data_validation(m.row, m.col, m.row, m.col, {
                    "validate": "integer", "criteria": "between", "minimum": spec.YEAR_MIN, "maximum": spec.YEAR_MAX,
                    "input_title": m.label, "input_message": f"填写四位数年份（{spec.YEAR_MIN}—{spec.YEAR_MAX}）",
                    "error_title": "年份无效", "error_message": f"报告年度应为{spec.YEAR_MIN}—{spec.YEAR_MAX}之间的四位数年份",
                })
            else:
                if value:
                    ws.write_string(m.row, m.col, value, text_in)
                else:
                    ws.write_blank(m.row, m.col, None, text_in)
        for f in spec.FEE_FIELDS:
            ws.write_string(f.row, 2, "件数填整数；金额以元为单位" if f.unit is spec.Unit.COUNT else "单位：元，可有小数", hint)
        print_setup(ws, landscape=True)

    def layout_table(self, table: spec.Table) -> None:
        ws = self.sheets[table.sheet]
        for i, width in enumerate(table.col_widths):
            ws.set_column(i, i, width)
        heights: dict[int, float] = {}
        for label in table.labels:
            if label.r2 != label.row:
                continue  # a vertical merge has room enough
            width = sum(table.col_widths[label.col : label.c2 + 1])
            lines = max(1, math.ceil(len(label.text) * CHAR_WIDTH / max(width - 1, 1)))
            size = 14 if label.kind == "title" else 11
            heights[label.row] = max(heights.get(label.row, 0), lines * LINE_HEIGHT * size / 11 + 6)
        for row, h in heights.items():
            ws.set_row(row, min(h, MAX_ROW_HEIGHT))
        ws.freeze_panes(table.header_rows, table.label_cols)
        # table 三 on one page: a page break inside 三、本年度办理结果 would leave its merged label behind
        print_setup(ws, landscape=table.landscape, header_rows=table.header_rows, pages_tall=1 if table.key == "requests" else 0)
        ws.center_horizontally()

    def write_fields(self) -> None:
        cellcheck = self.sheets[spec.SHEET_CELLCHECK]
        for f in spec.FIELDS:
            ws = self.sheets[f.sheet]
            if f.is_input:
                fmt = self.input_format(f.unit)
                value = self.report.values.get(f.path) if self.report else None
                if f.last_col is not None:
                    ws.merge_range(f.row, f.col, f.row, f.last_col, None, fmt)
                if value is None:
                    ws.write_blank(f.row, f.col, None, fmt)
                else:
                    ws.write_number(f.row, f.col, _as_number(value), fmt)
                cellcheck.write_formula(*live.helper_cell(f), live.reason_formula(f), None, "")
            else:
                cached = self.report.computed(f.path) if self.report else 0
                ws.write_formula(f.row, f.col, live.total_formula(f), self.total_format(), _as_number(cached))
        for block in live.input_blocks():
            ws = self.sheets[block.sheet]
            ws.data_validation(*block.range, live.validation(block.unit))
            ws.conditional_format(*block.range, {"type": "formula", "criteria": live.bad_input_condition(block.first),
                                                 "format": self.bad_format(), "stop_if_true": True})
        warn = self.wb.add_format({"bg_color": WARN_FILL})
        for sheet, cells, condition, error in live.relation_formats():
            self.sheets[sheet].conditional_format(cells[0], {
                "type": "formula", "criteria": condition, "multi_range": " ".join(cells),
                "format": self.bad_format() if error else warn})

    def bad_format(self):
        if not hasattr(self, "_bad"):
            self._bad = self.wb.add_format({"bg_color": BAD_FILL, "font_color": BAD_FONT})
        return self._bad

    def write_text(self) -> None:
        ws = self.sheets[spec.SHEET_TEXT]
        ws.set_column(0, 0, 20)
        ws.set_column(1, 1, 26)
        ws.set_column(2, 2, 90)
        ws.set_column(3, 3, 30)
        ws.set_row(0, 30)
        ws.freeze_panes(2, 0)
        heading_in = self.fmt(border=1, bg_color=INPUT_FILL, locked=False, text_wrap=True, valign="top", num_format="@")
        body_in = self.fmt(border=1, bg_color=INPUT_FILL, locked=False, text_wrap=True, valign="top", num_format="@")
        no_heading = self.fmt(border=1, bg_color=TOTAL_FILL, locked=True)
        hint = self.fmt(font_color="#595959", text_wrap=True, border=1, valign="top")
        for slot, heading, paragraphs in text_slots(self.report):
            if slot.has_heading:
                if heading:
                    ws.write_string(slot.row, spec.TEXT_HEADING_COL, heading, heading_in)
                else:
                    ws.write_blank(slot.row, spec.TEXT_HEADING_COL, None, heading_in)
            else:
                ws.write_blank(slot.row, spec.TEXT_HEADING_COL, None, no_heading)
            body = join_paragraphs(paragraphs)
            if body:
                ws.write_string(slot.row, spec.TEXT_BODY_COL, body, body_in)
            else:
                ws.write_blank(slot.row, spec.TEXT_BODY_COL, None, body_in)
            ws.write_string(slot.row, 3, slot.hint, hint)
            lines = sum(max(1, math.ceil(len(p) * CHAR_WIDTH / 88)) for p in paragraphs) if paragraphs else 3
            ws.set_row(slot.row, min(MAX_ROW_HEIGHT, max(45.0, lines * LINE_HEIGHT + 6)))
        print_setup(ws, landscape=True, header_rows=2)

    def write_checks(self) -> None:
        ws = self.sheets[spec.SHEET_CHECKS]
        headers = ("规则", "位置", "左边", "右边", "结果", "说明")
        head = self.fmt(bold=True, border=1, bg_color=HEADER_FILL, align="center")
        for c, h in enumerate(headers):
            ws.write_string(0, c, h, head)
        widths = (30, 40, 12, 12, 10, 70)
        for c, w in enumerate(widths):
            ws.set_column(c, c, w)
        cell = self.fmt(border=1, text_wrap=True)
        num = self.fmt(border=1, num_format="General", align="right")
        rows = live.check_rows(self.report)
        for i, row in enumerate(rows, start=1):
            ws.write_string(i, 0, row.title, cell)
            ws.write_string(i, 1, row.place, cell)
            ws.write_formula(i, 2, row.left, num, row.left_value)
            ws.write_formula(i, 3, row.right, num, row.right_value)
            c, d = spec.a1(i, 2), spec.a1(i, 3)
            ws.write_formula(i, 4, f'=IF({row.test.format(left=c, right=d)},"通过","不通过")', self.fmt(border=1, align="center", bold=True),
                             "通过" if row.passed else "不通过")
            if row.note.startswith("="):
                ws.write_formula(i, 5, row.note, cell, "")
            else:
                ws.write_string(i, 5, row.note, cell)
            # room for the wrapped text (a formula's note: the reasons of one sheet, two lines)
            lines = max(text_lines(row.title, widths[0]), text_lines(row.place, widths[1]),
                        2 if row.note.startswith("=") else text_lines(row.note, widths[5]))
            ws.set_row(i, min(MAX_ROW_HEIGHT, lines * LINE_HEIGHT + 4))
        last = len(rows)
        ws.conditional_format(1, 4, last, 4, {"type": "cell", "criteria": "==", "value": '"不通过"', "format": self.bad_format()})
        ws.conditional_format(1, 4, last, 4, {"type": "cell", "criteria": "==", "value": '"通过"', "format": self.wb.add_format({"bg_color": OK_FILL})})
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, last, len(headers) - 1)
        print_setup(ws, landscape=True, header_rows=1)

    def write_guide(self) -> None:
        ws = self.sheets[spec.SHEET_GUIDE]
        ws.set_column(0, 0, 110)
        title = self.fmt(font_name=TITLE_FONT, font_size=14, bold=True)
        para = self.fmt(text_wrap=True, valign="top")
        ws.write_string(0, 0, spec.SHEET_GUIDE, title)
        for i, line in enumerate(GUIDE, start=1):
            ws.write_string(i, 0, line, para)
            ws.set_row(i, text_lines(line, 110) * LINE_HEIGHT + 4)
        print_setup(ws, landscape=False)

    def write_stamp(self) -> None:
        ws = self.sheets[spec.SHEET_STAMP]
        for row, key, value in spec.STAMP_CELLS:
            ws.write_string(row, 0, key)
            ws.write_string(row, 1, value)
        ws.write_string(len(spec.STAMP_CELLS), 0, "generator")
        ws.write_string(len(spec.STAMP_CELLS), 1, f"xlreport {__version__}")
        ws.hide()

    def write_marks(self) -> None:
        severe = self.wb.add_format({"bg_color": BAD_FILL, "font_color": BAD_FONT, "border": 2, "border_color": "#C00000"})
        mild = self.wb.add_format({"bg_color": WARN_FILL, "border": 2, "border_color": "#BF8F00"})
        by_cell: dict[tuple[str, str], list[Mark]] = {}
        for m in self.marks:
            by_cell.setdefault((m.sheet, m.cell), []).append(m)
        for (sheet, cell), marks in by_cell.items():
            ws = self.sheets.get(sheet)
            if ws is None:
                continue
            text = "\n".join(f"【{spec.SEVERITY_NAMES[m.severity]}】{m.message}" for m in marks)
            ws.write_comment(cell, text, {"author": "xlreport", "x_scale": 2.5, "y_scale": 2})
            fmt = severe if any(m.severity is spec.Severity.ERROR for m in marks) else mild
            ws.conditional_format(cell, {"type": "no_errors", "format": fmt})

    def write_extra(self, name: str, rows: Iterable[list]) -> None:
        """A plain table sheet (问题清单 of an annotated copy, 汇总明细 of a merge): header row,
        filters. The rows are read once, in order (the merge's come back from its spool on disk);
        the column widths follow the first few hundred. Two formats for the whole sheet, strings
        shared, through xlsxwriter's public calls only: 14 cells a row for ten thousand agencies
        is about a second and some tens of MB (see write_workbook)."""
        ws = self.sheets[name]
        head = self.fmt(bold=True, border=1, bg_color=HEADER_FILL, align="center", text_wrap=True)
        cell = self.fmt(border=1, text_wrap=True, valign="top")
        num = self.fmt(border=1, valign="top", num_format="General")
        rows = iter(rows)
        first = list(itertools.islice(rows, EXTRA_ROWS_FOR_WIDTHS))
        if not first:
            return
        width = len(first[0])
        for c, h in enumerate(first[0]):
            chars = max([len(str(r[c])) * CHAR_WIDTH for r in first if c < len(r)] + [8])
            ws.set_column(c, c, min(70, chars + 2))
            ws.write_string(0, c, str(h), head)
        r = 0
        for r, row in enumerate(itertools.chain(first[1:], rows), start=1):
            for c, v in enumerate(row):
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    ws.write_number(r, c, v, num)
                else:
                    ws.write_string(r, c, "" if v is None else str(v), cell)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(r, 1), width - 1)
        print_setup(ws, landscape=True, header_rows=1)

def text_lines(text: str, column_width: float) -> int:
    """Lines a wrapped cell of ``column_width`` (in '0' widths) takes for ``text``."""
    return sum(max(1, math.ceil(len(line) * CHAR_WIDTH / max(column_width - 4, 1))) for line in str(text).split("\n"))


# what each printed page carries at its foot: the sheet's name and the page of how many
PRINT_FOOTER = f"&L{spec.PRINT_FOOTER_LEFT}&R{spec.PRINT_FOOTER_RIGHT}"


def print_setup(ws, landscape: bool, header_rows: int = 0, pages_tall: int = 0) -> None:
    """A4, as wide as one page, the header rows on every page, the sheet and page at the foot."""
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, pages_tall)
    if header_rows:
        ws.repeat_rows(0, header_rows - 1)
    ws.set_footer(PRINT_FOOTER)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)


def _as_number(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


GUIDE = (
    "一、这是什么：本工作簿按《中华人民共和国政府信息公开工作年度报告格式》（" + spec.FORMAT_NAME + "）制作，"
    + "".join(f"“{t.sheet}”" for t in spec.TABLES) + "三张表与正式报告中的表格完全一致（标签、合并单元格、行列顺序）。",
    "二、在哪里填：只在浅黄色单元格中填写。灰色的“总计”单元格由公式自动计算，标签和公式均已保护，无需也不能修改。"
    "工作表保护没有密码，但请不要撤销保护、插入或删除行列、改动标签，否则 xlreport 无法准确读取。",
    f"三、“{spec.SHEET_META}”表：填写机关名称、报告年度、联系部门、地址、邮编、电话、电子邮箱和网站；下方填写信息处理费的三个数字"
    "（发出收费通知件数、收费通知总金额、实际收取总金额，金额单位为元）。",
    "四、怎么填数字：",
    *values.policy_lines(spec.Unit.COUNT, {u: spec.UNIT_NAMES[u] for u in spec.Unit if u is not spec.Unit.COUNT}),
    "“行政事业性收费”的金额单位为万元，请按万元填写（不要填成元）。",
    "五、区分处理：表三中“（二）部分公开（区分处理的，只计这一情形，不计其他情形）”——一件申请既有公开又有不公开内容的，"
    "只计入“部分公开”，不要同时计入其他办理结果。",
    "六、勾稽关系：表三每一列都要满足“第一项加第二项之和，等于第三项加第四项之和”，即 一、本年新收 + 二、上年结转 = "
    f"三、（七）总计 + 四、结转下年度继续办理。不满足时相关单元格会变红，“{spec.SHEET_CHECKS}”表中对应行显示“不通过”。",
    f"七、“{spec.SHEET_TEXT}”表：每一行是报告中的一个部分或小节。小标题可以修改，不需要写“（一）”等序号，生成报告时自动编号；"
    "内容中的段落用换行分隔（在单元格内按 Alt+Enter，WPS 与 Excel 相同）。没有内容的小节不会出现在报告中。"
    "“报告开头”“信息处理费收取情况”和“报告结尾”留空时，会根据基本信息和收费数字自动生成。",
    "八、检查与生成：填好后运行 xlreport check 文件名 检查所有数字和勾稽关系；确认无误后运行 xlreport build 文件名 生成 Word 年度报告。",
    "九、时间要求：依照《中华人民共和国政府信息公开条例》第四十九条，县级以上人民政府部门应当在每年1月31日前向本级政府信息公开工作主管部门"
    "提交本行政机关上一年度政府信息公开工作年度报告并向社会公布；县级以上地方人民政府的政府信息公开工作主管部门应当在每年3月31日前"
    "向社会公布本级政府上一年度政府信息公开工作年度报告。",
)


def write_workbook(path, report: Report | None = None, force: bool = False, marks: list[Mark] | None = None,
                   extra_sheets: list[tuple[str, list[list]]] = ()) -> Path:
    """Write the clerk's workbook to ``path`` (atomically); pre-filled from ``report`` if given."""
    path = Path(path)
    if report is not None:
        _check_fits(report)
    with atomic_target(path, force) as tmp, scratch_dir() as scratch:
        _Writer(tmp, report, marks, list(extra_sheets), scratch).write()
    return path


def _check_fits(report: Report) -> None:
    from ..errors import DataError

    for slot, heading, paragraphs in text_slots(report):
        if len(join_paragraphs(paragraphs)) > spec.TEXT_MAX_CHARS:
            raise DataError(f"正文“{slot.part_label} {heading}”超过{spec.TEXT_MAX_CHARS}字，Excel 单元格放不下；请拆分到备用小节")
    for f in spec.INPUT_FIELDS:
        v = report.values.get(f.path)
        if isinstance(v, Decimal) and Decimal(repr(float(v))) != v:
            raise DataError(f"{f.where}：金额 {v} 的有效数字超过 Excel 能保存的15位")
