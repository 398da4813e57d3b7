"""The 2021 national format (国办公开办函〔2021〕30号) as frozen data.

This is the only module that knows a sheet name, a label or a cell address. The workbook
writer, the reader, the checks and the Word context are all derived from what is declared
here: labels with their merged ranges, the fields (input cells and totals) with their JSON
paths and units, the meta and prose slots, and the rules with their stable codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from enum import Enum

FORMAT_VERSION = "2021"
FORMAT_NAME = "国办公开办函〔2021〕30号"
TEMPLATE_ID = "xlreport/gov-info-disclosure-annual-report"
YEAR_MIN = 2021  # the 2021 format applies from the 2021 reports on
YEAR_MAX = 2099


class Unit(str, Enum):
    COUNT = "count"  # non-negative whole number
    WANYUAN = "wanyuan"  # 万元, non-negative decimal kept exactly
    YUAN = "yuan"  # 元, non-negative decimal kept exactly


UNIT_NAMES = {Unit.COUNT: "件数", Unit.WANYUAN: "万元", Unit.YUAN: "元"}


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


SEVERITY_NAMES = {Severity.ERROR: "错误", Severity.WARNING: "提醒"}

Path = tuple  # a JSON path such as ("requests", "new", "total")


# --- cell addresses ---------------------------------------------------------------------


def col_letter(col: int) -> str:
    """0-based column index to letters (0 -> A)."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def a1(row: int, col: int) -> str:
    """0-based (row, col) to an A1 address."""
    return f"{col_letter(col)}{row + 1}"


def a1_range(r1: int, c1: int, r2: int, c2: int) -> str:
    return a1(r1, c1) if (r1, c1) == (r2, c2) else f"{a1(r1, c1)}:{a1(r2, c2)}"


# --- declarations -------------------------------------------------------------------------


@dataclass(frozen=True)
class Label:
    """Fixed text in a (possibly merged) range of a sheet."""

    sheet: str
    row: int
    col: int
    text: str
    last_row: int | None = None
    last_col: int | None = None
    kind: str = "label"  # title | label | header

    @property
    def r2(self) -> int:
        return self.row if self.last_row is None else self.last_row

    @property
    def c2(self) -> int:
        return self.col if self.last_col is None else self.last_col

    @property
    def merged(self) -> bool:
        return (self.r2, self.c2) != (self.row, self.col)

    @cached_property
    def cell(self) -> str:
        return a1(self.row, self.col)

    @cached_property
    def ref(self) -> str:
        return a1_range(self.row, self.col, self.r2, self.c2)


@dataclass(frozen=True)
class Field:
    """One number of the report: an input cell, or a total computed from other fields."""

    path: Path
    sheet: str
    row: int
    col: int
    unit: Unit
    row_label: str
    col_label: str
    table: str
    last_col: int | None = None  # values that span columns, like table A's 本年处理决定数量
    total_of: tuple[Path, ...] = ()

    @cached_property
    def is_input(self) -> bool:
        return not self.total_of

    @cached_property
    def cell(self) -> str:
        return a1(self.row, self.col)

    @cached_property
    def key(self) -> str:
        return ".".join(self.path)

    @cached_property
    def where(self) -> str:
        """Row and column labels as a clerk reads them."""
        return f"{self.row_label} / {self.col_label}" if self.col_label else self.row_label


@dataclass(frozen=True)
class Table:
    """One of the three official tables (二、三、四): its sheet, its merged headers and its fields."""

    key: str  # "active" | "requests" | "appeals"
    sheet: str
    title: str  # the official section heading
    width: int
    height: int
    header_rows: int  # rows above the first data row, title included
    label_cols: int
    labels: tuple[Label, ...]
    fields: tuple[Field, ...]
    landscape: bool
    col_widths: tuple[float, ...]


@dataclass(frozen=True)
class MetaField:
    """One entry of the 基本信息 sheet (the agency, the year, ...): its cell and how it is filled."""

    key: str
    label: str
    sheet: str
    row: int
    col: int
    required: bool
    hint: str
    kind: str = "text"  # text | year

    @property
    def path(self) -> Path:
        return ("meta", self.key)

    @property
    def json_path(self) -> str:
        """Where the value stands in the report's JSON, as a problem names it (Problem.key)."""
        return ".".join(self.path)

    @cached_property
    def cell(self) -> str:
        return a1(self.row, self.col)


@dataclass(frozen=True)
class TextSlot:
    """One row of the 正文 sheet: a heading cell and a text cell."""

    section: str  # preamble | overview | problems | other | closing
    kind: str  # single | intro | item | fee_note
    index: int  # position among the section's items (0 for single/intro/fee_note)
    part_label: str  # what column A shows, e.g. "一、总体情况"
    default_heading: str  # pre-filled heading ("" where there is none)
    has_heading: bool
    hint: str
    row: int

    @property
    def heading_cell(self) -> str:
        return a1(self.row, TEXT_HEADING_COL)

    @property
    def text_cell(self) -> str:
        return a1(self.row, TEXT_BODY_COL)


# --- sheets ---------------------------------------------------------------------------------

SHEET_META = "基本信息"
SHEET_ACTIVE = "二、主动公开"
SHEET_REQUESTS = "三、依申请公开"
SHEET_APPEALS = "四、复议诉讼"
SHEET_TEXT = "正文"
SHEET_CHECKS = "校验"
SHEET_GUIDE = "填表说明"
# the foot of every printed sheet (Excel's header codes: &A the sheet's name, &P the page, &N the pages)
PRINT_FOOTER_LEFT, PRINT_FOOTER_RIGHT = "&A", "第 &P 页，共 &N 页"
SHEET_STAMP = "_xlreport"  # hidden identity sheet
SHEET_CELLCHECK = "_填写检查"  # hidden: the reason (or "") of every input cell, which 校验 counts
SHEET_PROBLEMS = "问题清单"  # in annotated copies, and in the overview workbook of a batch check
SHEET_OVERVIEW = "各单位检查结果"  # the overview workbook of a batch check: one row per file
SHEET_MERGED = "汇总明细"  # only in merged workbooks: each agency's main figures and a 合计 row

# a batch check's summary, one row per file (the terminal shows all but the last column), and
# its list of every problem (the overview workbook's two sheets)
BATCH_FILE_COLUMNS = ("文件", "机关名称", "年度", "错误", "提醒", "状态", "说明")
BATCH_PROBLEM_COLUMNS = ("文件", "机关名称", "级别", "工作表", "单元格", "项目", "问题", "应为", "实际", "规则")
PROBLEM_COLUMNS = BATCH_PROBLEM_COLUMNS[2:9]  # one file's problems, as the web page lists them

# xlreport audit's overview workbook: a row per report (its columns between these two: the rule
# families, format/rules.FAMILIES), a sheet per agency's chain (or one for all), every problem
SHEET_AUDIT_REPORTS = "报告总览"
SHEET_AUDIT_CHAINS = "各单位年度对照"
SHEET_AUDIT_PROBLEMS = "全部问题"
AUDIT_REPORT_COLUMNS = (("单位", "年度", "文件", "结果", "错误", "提醒"), ("对照的上年文件", "说明"))
AUDIT_CHAIN_COLUMNS = ("年度", "文件", "结果", "错误", "提醒", "上年结转接续", "现行有效接续", "正文雷同", "同比数字", "与上年对照的问题")
AUDIT_PROBLEM_COLUMNS = ("单位", "年度", "文件", "级别", "类别", "位置", "项目", "问题", "应为", "实际", "规则")

SECTION_TITLES = {
    "overview": "一、总体情况",
    "active": "二、主动公开政府信息情况",
    "requests": "三、收到和处理政府信息公开申请情况",
    "appeals": "四、政府信息公开行政复议、行政诉讼情况",
    "problems": "五、存在的主要问题及改进情况",
    "other": "六、其他需要报告的事项",
}

# --- table A: 二、主动公开政府信息情况 ----------------------------------------------------


ARTICLE_20 = "第二十条"  # opens every block title of table A
APPLICANTS_LABEL = "申请人情况"
LITIGATION_LABEL = "行政诉讼"


def _table_active() -> Table:
    s = SHEET_ACTIVE
    labels: list[Label] = [Label(s, 0, 0, SECTION_TITLES["active"], last_col=3, kind="title")]
    fields: list[Field] = []
    row = 1

    def block(title: str, header: tuple[str, ...], rows: tuple[tuple[str, tuple[str, ...]], ...], unit: Unit):
        nonlocal row
        labels.append(Label(s, row, 0, title, last_col=3, kind="header"))
        row += 1
        labels.append(Label(s, row, 0, "信息内容", kind="header"))
        if len(header) == 1:
            labels.append(Label(s, row, 1, header[0], last_col=3, kind="header"))
        else:
            for i, text in enumerate(header):
                labels.append(Label(s, row, 1 + i, text, kind="header"))
        row += 1
        for text, keys in rows:
            labels.append(Label(s, row, 0, text))
            if len(keys) == 1:
                fields.append(Field(("active", keys[0]), s, row, 1, unit, text, header[0], "active", last_col=3))
            else:
                for i, key in enumerate(keys):
                    fields.append(Field(("active", key[0], key[1]), s, row, 1 + i, unit, text, header[i], "active"))
            row += 1

    doc_cols = ("本年制发件数", "本年废止件数", "现行有效件数")
    doc_keys = ("issued", "repealed", "in_force")
    block(
        f"{ARTICLE_20}第（一）项",
        doc_cols,
        (
            ("规章", tuple(("rules", k) for k in doc_keys)),
            ("行政规范性文件", tuple(("normative_documents", k) for k in doc_keys)),
        ),
        Unit.COUNT,
    )
    block(f"{ARTICLE_20}第（五）项", ("本年处理决定数量",), (("行政许可", ("licensing",)),), Unit.COUNT)
    block(
        f"{ARTICLE_20}第（六）项",
        ("本年处理决定数量",),
        (("行政处罚", ("punishment",)), ("行政强制", ("coercion",))),
        Unit.COUNT,
    )
    block(f"{ARTICLE_20}第（八）项", ("本年收费金额（单位：万元）",), (("行政事业性收费", ("fees",)),), Unit.WANYUAN)
    return Table(
        "active", s, SECTION_TITLES["active"], 4, row, 3, 1, tuple(labels), tuple(fields),
        landscape=False, col_widths=(22, 18, 18, 18),
    )


# --- table B: 三、收到和处理政府信息公开申请情况 -----------------------------------------

REQUEST_COLUMNS = (
    ("natural_person", "自然人"),
    ("business", "商业企业"),
    ("research", "科研机构"),
    ("social_welfare", "社会公益组织"),
    ("legal_service", "法律服务机构"),
    ("other", "其他"),
    ("total", "总计"),
)
REQUEST_INPUT_COLUMNS = tuple(k for k, _ in REQUEST_COLUMNS[:-1])

# (key, group label or None, item label, short name for messages)
REQUEST_ROWS = (
    ("new", None, "一、本年新收政府信息公开申请数量", "一、本年新收"),
    ("carried_over", None, "二、上年结转政府信息公开申请数量", "二、上年结转"),
    ("granted", None, "（一）予以公开", "（一）予以公开"),
    ("partly_granted", None, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "（二）部分公开"),
    ("withheld_state_secret", "（三）不予公开", "1.属于国家秘密", "（三）1.属于国家秘密"),
    ("withheld_prohibited_by_law", "（三）不予公开", "2.其他法律行政法规禁止公开", "（三）2.其他法律行政法规禁止公开"),
    ("withheld_security_stability", "（三）不予公开", "3.危及“三安全一稳定”", "（三）3.危及“三安全一稳定”"),
    ("withheld_third_party", "（三）不予公开", "4.保护第三方合法权益", "（三）4.保护第三方合法权益"),
    ("withheld_internal_affairs", "（三）不予公开", "5.属于三类内部事务信息", "（三）5.属于三类内部事务信息"),
    ("withheld_process_info", "（三）不予公开", "6.属于四类过程性信息", "（三）6.属于四类过程性信息"),
    ("withheld_enforcement_files", "（三）不予公开", "7.属于行政执法案卷", "（三）7.属于行政执法案卷"),
    ("withheld_inquiry", "（三）不予公开", "8.属于行政查询事项", "（三）8.属于行政查询事项"),
    ("unavailable_not_held", "（四）无法提供", "1.本机关不掌握相关政府信息", "（四）1.本机关不掌握相关政府信息"),
    ("unavailable_needs_creation", "（四）无法提供", "2.没有现成信息需要另行制作", "（四）2.没有现成信息需要另行制作"),
    ("unavailable_unclear", "（四）无法提供", "3.补正后申请内容仍不明确", "（四）3.补正后申请内容仍不明确"),
    ("declined_petition", "（五）不予处理", "1.信访举报投诉类申请", "（五）1.信访举报投诉类申请"),
    ("declined_duplicate", "（五）不予处理", "2.重复申请", "（五）2.重复申请"),
    ("declined_publication", "（五）不予处理", "3.要求提供公开出版物", "（五）3.要求提供公开出版物"),
    ("declined_excessive", "（五）不予处理", "4.无正当理由大量反复申请", "（五）4.无正当理由大量反复申请"),
    ("declined_confirmation", "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息", "（五）5.要求行政机关确认或重新出具已获取信息"),
    (
        "other_no_correction",
        "（六）其他处理",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "（六）1.申请人无正当理由逾期不补正",
    ),
    (
        "other_fee_unpaid",
        "（六）其他处理",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "（六）2.申请人逾期未按收费通知要求缴纳费用",
    ),
    ("other_other", "（六）其他处理", "3.其他", "（六）3.其他"),
    ("closed_total", None, "（七）总计", "（七）总计"),
    ("carried_forward", None, "四、结转下年度继续办理", "四、结转下年度继续办理"),
)
REQUEST_ROW_KEYS = tuple(r[0] for r in REQUEST_ROWS)
REQUEST_RESULT_ROWS = REQUEST_ROW_KEYS[2:-2]  # （一）…（六）3, the parts of （七）总计
REQUEST_SHORT = {r[0]: r[3] for r in REQUEST_ROWS}
REQUESTS_BALANCE_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


def _table_requests() -> Table:
    s = SHEET_REQUESTS
    width = 3 + len(REQUEST_COLUMNS)
    labels = [
        Label(s, 0, 0, SECTION_TITLES["requests"], last_col=width - 1, kind="title"),
        Label(s, 1, 0, REQUESTS_BALANCE_NOTE, last_row=3, last_col=2, kind="header"),
        Label(s, 1, 3, APPLICANTS_LABEL, last_col=width - 1, kind="header"),
        Label(s, 2, 3, "自然人", last_row=3, kind="header"),
        Label(s, 2, 4, "法人或其他组织", last_col=8, kind="header"),
        Label(s, 2, 9, "总计", last_row=3, kind="header"),
    ]
    for i, (_, text) in enumerate(REQUEST_COLUMNS[1:6]):
        labels.append(Label(s, 3, 4 + i, text, kind="header"))
    first = 4
    rows = {key: first + i for i, key in enumerate(REQUEST_ROW_KEYS)}
    results_first, results_last = rows["granted"], rows["closed_total"]
    groups: dict[str, list[int]] = {}
    for key, group, text, _ in REQUEST_ROWS:
        r = rows[key]
        if group is None:
            if key in ("new", "carried_over", "carried_forward"):
                labels.append(Label(s, r, 0, text, last_col=2))
            else:
                labels.append(Label(s, r, 1, text, last_col=2))
        else:
            groups.setdefault(group, []).append(r)
            labels.append(Label(s, r, 2, text))
        if r == results_first:
            labels.append(Label(s, r, 0, "三、本年度办理结果", last_row=results_last))
    for group, grows in groups.items():
        labels.append(Label(s, grows[0], 1, group, last_row=grows[-1]))
    labels.sort(key=lambda l: (l.row, l.col))

    fields = []
    for key, group, text, _ in REQUEST_ROWS:
        row_label = f"{group}{text}" if group else text
        r = rows[key]
        for c, (col_key, col_label) in enumerate(REQUEST_COLUMNS):
            if col_key == "total":
                total_of = tuple(("requests", key, k) for k in REQUEST_INPUT_COLUMNS)
            elif key == "closed_total":
                total_of = tuple(("requests", k, col_key) for k in REQUEST_RESULT_ROWS)
            else:
                total_of = ()
            fields.append(Field(("requests", key, col_key), s, r, 3 + c, Unit.COUNT, row_label, col_label, "requests", total_of=total_of))
    return Table(
        "requests", s, SECTION_TITLES["requests"], width, first + len(REQUEST_ROWS), first, 3,
        tuple(labels), tuple(fields), landscape=True,
        col_widths=(12, 14, 40, 9, 9, 9, 11, 11, 9, 9),
    )


# --- table C: 四、政府信息公开行政复议、行政诉讼情况 --------------------------------------

APPEAL_GROUPS = (
    ("review", "行政复议"),
    ("litigation_direct", "未经复议直接起诉"),
    ("litigation_after_review", "复议后起诉"),
)
APPEAL_COLUMNS = (
    ("upheld", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)


def _table_appeals() -> Table:
    s = SHEET_APPEALS
    labels = [
        Label(s, 0, 0, SECTION_TITLES["appeals"], last_col=14, kind="title"),
        Label(s, 1, 0, "行政复议", last_col=4, kind="header"),
        Label(s, 1, 5, LITIGATION_LABEL, last_col=14, kind="header"),
    ]
    for i, (_, text) in enumerate(APPEAL_COLUMNS):
        labels.append(Label(s, 2, i, text, last_row=3, kind="header"))
    labels.append(Label(s, 2, 5, "未经复议直接起诉", last_col=9, kind="header"))
    labels.append(Label(s, 2, 10, "复议后起诉", last_col=14, kind="header"))
    for g in (1, 2):
        for i, (_, text) in enumerate(APPEAL_COLUMNS):
            labels.append(Label(s, 3, 5 * g + i, text, kind="header"))
    fields = []
    for g, (group_key, group_label) in enumerate(APPEAL_GROUPS):
        for i, (col_key, col_label) in enumerate(APPEAL_COLUMNS):
            total_of = (
                tuple(("appeals", group_key, k) for k, _ in APPEAL_COLUMNS[:-1]) if col_key == "total" else ()
            )
            row_label = group_label if g == 0 else f"行政诉讼/{group_label}"
            fields.append(Field(("appeals", group_key, col_key), s, 4, 5 * g + i, Unit.COUNT, row_label, col_label, "appeals", total_of=total_of))
    labels.sort(key=lambda l: (l.row, l.col))
    return Table(
        "appeals", s, SECTION_TITLES["appeals"], 15, 5, 4, 0, tuple(labels), tuple(fields),
        landscape=True, col_widths=(9,) * 15,
    )


TABLES = (_table_active(), _table_requests(), _table_appeals())
TABLE_BY_KEY = {t.key: t for t in TABLES}

# --- meta and the fee figures of section 六 ----------------------------------------------

META_FIELDS = tuple(
    MetaField(key, label, SHEET_META, 2 + i, 1, required, hint, kind)
    for i, (key, label, required, hint, kind) in enumerate(
        (
            ("agency", "机关名称", True, "本机关全称，如：上犹县商务局", "text"),
            ("year", "报告年度", True, f"四位数年份，{YEAR_MIN}—{YEAR_MAX}", "year"),
            ("office", "联系部门", False, "负责政府信息公开工作的内设机构，如：办公室", "text"),
            ("address", "地址", False, "", "text"),
            ("postcode", "邮编", False, "六位数字", "text"),
            ("phone", "电话", False, "", "text"),
            ("email", "电子邮箱", False, "", "text"),
            ("website", "网站", False, "本报告电子版下载的网站名称及网址", "text"),
        )
    )
)
META_BY_KEY = {m.key: m for m in META_FIELDS}
META_TITLE = "基本信息"
FEE_TITLE = "六、其他需要报告的事项：信息处理费收取情况"
_FEE_FIRST_ROW = 2 + len(META_FIELDS) + 2
FEE_FIELDS = tuple(
    Field(("fees", key), SHEET_META, _FEE_FIRST_ROW + i, 1, unit, label, "", "fees")
    for i, (key, label, unit) in enumerate(
        (
            ("notices", "发出收费通知件数", Unit.COUNT),
            ("notice_amount", "收费通知总金额（元）", Unit.YUAN),
            ("collected", "实际收取总金额（元）", Unit.YUAN),
        )
    )
)
META_LABELS = (
    Label(SHEET_META, 0, 0, META_TITLE, last_col=2, kind="title"),
    Label(SHEET_META, 1, 0, "项目", kind="header"),
    Label(SHEET_META, 1, 1, "填写内容", kind="header"),
    Label(SHEET_META, 1, 2, "说明", kind="header"),
    *(Label(SHEET_META, m.row, 0, m.label) for m in META_FIELDS),
    Label(SHEET_META, _FEE_FIRST_ROW - 1, 0, FEE_TITLE, last_col=2, kind="title"),
    *(Label(SHEET_META, f.row, 0, f.row_label) for f in FEE_FIELDS),
)

# --- the prose: one row of the 正文 sheet per section, intro or item -----------------------

TEXT_HEADING_COL = 1
TEXT_BODY_COL = 2
TEXT_SECTIONS = ("preamble", "overview", "problems", "other", "closing")
OVERVIEW_ITEMS = ("主动公开", "依申请公开", "政府信息管理", "政府信息公开平台建设", "监督保障")
PROBLEM_ITEMS = ("存在的主要问题", "改进情况")
FEE_NOTE_HEADING = "信息处理费收取情况"
SPARE_OVERVIEW_ITEMS = 3
SPARE_PROBLEM_ITEMS = 2
SPARE_OTHER_ITEMS = 5


def _text_slots() -> tuple[TextSlot, ...]:
    rows: list[tuple] = [
        ("preamble", "single", 0, "报告开头", "", False, "留空则自动生成“依据《中华人民共和国政府信息公开条例》……编制本报告。”"),
        ("overview", "intro", 0, SECTION_TITLES["overview"], "", False, "总体情况的开头段落"),
    ]
    for i, heading in enumerate(OVERVIEW_ITEMS):
        rows.append(("overview", "item", i, SECTION_TITLES["overview"], heading, True, f"第{i + 1}个小节；无内容的小节不出现在报告中"))
    for j in range(SPARE_OVERVIEW_ITEMS):
        rows.append(("overview", "item", len(OVERVIEW_ITEMS) + j, SECTION_TITLES["overview"], "", True, "备用小节：需要时填写小标题和内容"))
    rows.append(("problems", "intro", 0, SECTION_TITLES["problems"], "", False, "可留空"))
    for i, heading in enumerate(PROBLEM_ITEMS):
        rows.append(("problems", "item", i, SECTION_TITLES["problems"], heading, True, "必填"))
    for j in range(SPARE_PROBLEM_ITEMS):
        rows.append(("problems", "item", len(PROBLEM_ITEMS) + j, SECTION_TITLES["problems"], "", True, "备用小节"))
    rows.append(("other", "intro", 0, SECTION_TITLES["other"], "", False, "可留空"))
    rows.append(("other", "fee_note", 0, SECTION_TITLES["other"], FEE_NOTE_HEADING, True, "留空则按“基本信息”表中的收费数字自动生成"))
    for j in range(SPARE_OTHER_ITEMS):
        rows.append(("other", "item", j, SECTION_TITLES["other"], "", True, "其他需要报告的事项：需要时填写小标题和内容"))
    rows.append(("closing", "single", 0, "报告结尾", "", False, "留空则按基本信息自动生成电子版下载网址和联系方式"))
    return tuple(TextSlot(*r[:7], row=2 + i) for i, r in enumerate(rows))


TEXT_SLOTS = _text_slots()
TEXT_LABELS = (
    Label(SHEET_TEXT, 0, 0, "正文", last_col=3, kind="title"),
    Label(SHEET_TEXT, 1, 0, "所属部分", kind="header"),
    Label(SHEET_TEXT, 1, 1, "小标题", kind="header"),
    Label(SHEET_TEXT, 1, 2, "内容（段落之间换行，Alt+Enter）", kind="header"),
    Label(SHEET_TEXT, 1, 3, "说明", kind="header"),
    *(Label(SHEET_TEXT, t.row, 0, t.part_label) for t in TEXT_SLOTS),
)
TEXT_MAX_CHARS = 32767  # an Excel cell holds no more

# the 汇总明细 sheet of a merged workbook: each agency's main figures
MERGE_SUMMARY_COLUMNS = (
    ("一、本年新收", ("requests", "new", "total")),
    ("二、上年结转", ("requests", "carried_over", "total")),
    ("（七）总计", ("requests", "closed_total", "total")),
    ("四、结转下年度", ("requests", "carried_forward", "total")),
    ("行政复议总计", ("appeals", "review", "total")),
    ("行政诉讼总计（未经复议）", ("appeals", "litigation_direct", "total")),
    ("行政诉讼总计（复议后）", ("appeals", "litigation_after_review", "total")),
    ("行政许可", ("active", "licensing")),
    ("行政处罚", ("active", "punishment")),
    ("行政强制", ("active", "coercion")),
    ("行政事业性收费（万元）", ("active", "fees")),
    ("发出收费通知件数", ("fees", "notices")),
)

# --- every field, and the identity stamp -----------------------------------------------------

FIELDS = tuple(f for t in TABLES for f in t.fields) + FEE_FIELDS
FIELD_BY_PATH = {f.path: f for f in FIELDS}
INPUT_FIELDS = tuple(f for f in FIELDS if f.is_input)


def _totals_in_order() -> tuple[Field, ...]:
    """Totals ordered so that every total comes after the totals it adds up."""
    done: set = set()
    order: list[Field] = []
    pending = [f for f in FIELDS if not f.is_input]
    while pending:
        for f in list(pending):
            if all(p in done or FIELD_BY_PATH[p].is_input for p in f.total_of):
                order.append(f)
                done.add(f.path)
                pending.remove(f)
    return tuple(order)


TOTAL_FIELDS = _totals_in_order()
LABELS = META_LABELS + tuple(l for t in TABLES for l in t.labels) + TEXT_LABELS
DATA_SHEETS = (SHEET_META, SHEET_ACTIVE, SHEET_REQUESTS, SHEET_APPEALS, SHEET_TEXT)


# The layout's identity in every workbook's stamp: a hash of FORMAT_VERSION, the labels, the
# fields and the text slots (catalogue.spec_hash). Written out, not computed at import: changing it
# makes every workbook filled so far read as another version's, so it changes only by hand, when
# tests/test_catalogue.py (and the catalogue's --check) say the layout no longer hashes to it.
# (Computing it at import also cost every command hashlib, whose OpenSSL start-up is 11 M instructions.)
SPEC_HASH = "bbed014e26b6066f"
STAMP_CELLS = (  # (row, key, value) of the hidden identity sheet, column A key, column B value
    (0, "template_id", TEMPLATE_ID),
    (1, "format_version", FORMAT_VERSION),
    (2, "spec_hash", SPEC_HASH),
)

# --- published reports: other ways the same thing is printed -------------------------------
# Used by locate.py and the importers (xlreport/importers/) to read a report as it was published.
# Labels are compared after labels.norm_label (width, quotes, spaces, `1、` vs `1.`); these are
# the variants that normalisation cannot make alike.

PUBLISHED_FORMATS = {".html": "html", ".htm": "html", ".docx": "docx", ".pdf": "pdf", ".txt": "txt"}

# row identity (table key, row key) -> labels published reports print instead of the official one
LABEL_VARIANTS = {
    ("active", "normative_documents"): ("规范性文件",),
    ("requests", "partly_granted"): ("（二）部分公开",),
    ("requests", "withheld_prohibited_by_law"): ("2.其他法律行政止公开", "2.其他法律、行政法规禁止公开"),
    ("requests", "withheld_security_stability"): ("3.危及三安全一稳定",),
    ("requests", "closed_total"): ("（七）总计",),
}

# section key -> headings published reports use instead of SECTION_TITLES (any is accepted)
SECTION_TITLE_VARIANTS = {
    "overview": ("一、总体情况概述",),
    "active": ("二、主动公开政府信息情况",),
    "requests": ("三、收到和处理政府信息公开申请情况",),
    "appeals": ("四、政府信息公开行政复议、行政诉讼情况", "四、因政府信息公开工作被申请行政复议、提起行政诉讼情况",
                "四、政府信息公开行政复议和行政诉讼情况"),
    "problems": ("五、存在问题及改进情况", "五、政府信息公开工作存在的主要问题及改进情况", "五、存在的主要问题和改进情况"),
    "other": ("六、其他需要报告的事项",),
}
SECTION_ORDER = tuple(SECTION_TITLES)  # overview, active, requests, appeals, problems, other

# the 2019 trial format (国办公开办函〔2019〕60号): labels only it has, to refuse it by name
OLD_FORMAT_NAME = "国办公开办函〔2019〕60号"
OLD_FORMAT_MARKS = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "本年增/减", "本年增／减",
                    "第二十条第（九）项", "政府集中采购", "其他对外管理服务事项")

# the report's own title, and the closing paragraph with the contacts (meta)
REPORT_TITLE_WORDS = "政府信息公开工作年度报告"
