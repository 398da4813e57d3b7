"""Every rule of the format declared once, as data; everything that checks a rule is made from it.

A rule (``Rule``) has a stable code, a Chinese name and message, its severity, its source and
what it checks (the catalogue, docs/rules.md), and a scope saying who can check it:

- ``sheet``: a relation between fields, instantiated per column, row or group (``INSTANCES``).
  Each instance gives the checker's test (relations.Compare/Implies.holds), the 校验 row of the
  workbook and its formulas, and the conditional format on the cells it involves
  (relations.*.formula) — so the sheet and the checker evaluate one declaration;
- ``cell``: what a cell may hold (format/values.py: the reader's reasons and the sheet's);
- ``meta``: the required meta fields and the year (``META_CHECKS``: a test and a formula each);
- ``report``: checked by xlreport on the whole report only (it needs what a formula cannot do);
- ``previous``, ``prose``: need last year's report or the prose;
- ``reading``: what reading a file finds before any rule runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import spec
from .relations import Compare, Implies, Relation, Sum, constant
from .spec import Severity

Path = tuple


@dataclass(frozen=True)
class Rule:
    """One rule as data: its code, severity and Chinese texts; the check, the sheet's formulas and the catalogue derive from it."""

    code: str
    severity: Severity
    title: str
    message: str  # str.format template; the placeholders are the instance's terms (see below)
    source: str  # 格式 | 条例 | 推断 | 填报
    what: str  # what the rule checks, for the catalogue
    scope: str = "report"
    expected: str = ""  # templates of a problem's 应为 and 实际 (same placeholders as message)
    actual: str = ""
    hint: tuple[str, str] | None = None  # (term, sentence): added when that term is 0 or more


RULES = (
    Rule(
        "requests-balance", Severity.ERROR, "第一项加第二项之和等于第三项加第四项之和",
        "{column}列：一、本年新收（{new}）+ 二、上年结转（{carried_over}）= {lhs}，"
        "应等于（七）总计（{closed_total}）+ 四、结转下年度继续办理（{carried_forward}）= {rhs}",
        "格式", "表三每一列：一 + 二 = 三（七）总计 + 四（表头注明的勾稽关系）",
        scope="sheet", expected="一+二={lhs}", actual="（七）+四={rhs}",
        hint=("should", "；若前三项无误，" + spec.REQUEST_SHORT["carried_forward"] + "应为{should}"),
    ),
    Rule(
        "requests-row-total", Severity.ERROR, "总计等于各类申请人之和",
        "{row}：总计为{actual}，自然人至其他六列之和为{expected}",
        "推断", "表三每一行：总计 = 自然人 + 商业企业 + 科研机构 + 社会公益组织 + 法律服务机构 + 其他",
        scope="sheet", expected="{expected}", actual="{actual}",
    ),
    Rule(
        "requests-closed-total", Severity.ERROR, "（七）总计等于（一）至（六）之和",
        "{column}列：（七）总计为{actual}，（一）至（六）各项之和为{expected}",
        "推断", "表三每一列：（七）总计 = （一）+（二）+（三）1–8 +（四）1–3 +（五）1–5 +（六）1–3",
        scope="sheet", expected="{expected}", actual="{actual}",
    ),
    Rule(
        "appeals-total", Severity.ERROR, "总计等于四种结果之和",
        "{row}：总计为{actual}，结果维持、结果纠正、其他结果、尚未审结之和为{expected}",
        "推断", "表四每组（行政复议、未经复议直接起诉、复议后起诉）：总计 = 四种结果之和",
        scope="sheet", expected="{expected}", actual="{actual}",
    ),
    Rule(
        "value-type", Severity.ERROR, "数字格式",
        "{reason}", "格式",
        "件数为非负整数；金额为非负数（万元、元）",
        scope="cell",
    ),
    Rule(
        "meta-required", Severity.ERROR, "必填信息",
        "{label}未填写", "填报", "机关名称、报告年度必须填写",
        scope="meta",
    ),
    Rule(
        "meta-year", Severity.ERROR, "报告年度",
        "“{actual}”无效，应为{min}—{max}之间的四位数年份", "填报",
        f"报告年度为 {spec.YEAR_MIN}—{spec.YEAR_MAX} 之间的整数",
        scope="meta",
    ),
    Rule(
        "fees-unpaid-without-notice", Severity.WARNING, "逾期未缴费须有收费通知",
        "表三（六）2.逾期未缴费共{unpaid}件，但发出收费通知件数为{notices}",
        "推断", "表三（六）2.逾期未缴费大于0时，六、发出收费通知件数应大于0",
        scope="sheet", expected="大于0", actual="{notices}",
    ),
    Rule(
        "fees-collected-exceeds-notices", Severity.WARNING, "实际收取不超过通知金额",
        "实际收取总金额（{collected}元）大于收费通知总金额（{notice_amount}元）",
        "推断", "实际收取总金额 ≤ 收费通知总金额",
        scope="sheet", expected="不大于{notice_amount}", actual="{collected}",
    ),
    Rule(
        "fees-amount-without-notice", Severity.WARNING, "有金额须有通知",
        "发出收费通知件数为0，但收费通知总金额为{notice_amount}元",
        "推断", "未发出收费通知时，收费通知总金额和实际收取总金额应为0",
        scope="sheet", expected="0", actual="{notice_amount}",
    ),
    Rule(
        "fees-wanyuan-suspect", Severity.WARNING, "收费金额疑似按元填写",
        "行政事业性收费{amount}万元（即{yi}亿元），对{level}而言明显偏大，可能误按“元”填写；若原数是元，应填{converted}万元",
        "推断", "第二十条第（八）项的金额单位是万元；金额远超本级机关的合理范围时，多半是按元填写了",
        scope="report",
    ),
    # the checks evaluators make (year over year, prose against tables, text hygiene)
    Rule(
        "previous-year", Severity.WARNING, "报告年度接续上年",
        "报告年度为{year}年，上年报告为{last_year}年，应为{expected}年", "推断",
        "与 --previous 给出的上年报告相比，报告年度应为上年加一",
        scope="previous",
    ),
    Rule(
        "previous-carry-over", Severity.WARNING, "上年结转等于上年的结转下年度",
        "{column}列：二、上年结转为{now}，{last_year}年报告的四、结转下年度继续办理为{before}", "推断",
        "表三二、上年结转政府信息公开申请数量（7列）应等于上年报告的四、结转下年度继续办理",
        scope="previous",
    ),
    Rule(
        "previous-in-force", Severity.WARNING, "现行有效件数接续上年",
        "{item}现行有效件数为{in_force}，按上年{before} + 本年制发{issued} − 本年废止{repealed}应为{expected}（开展过清理的可确认此提醒）",
        "推断", "现行有效件数 = 上年现行有效件数 + 本年制发件数 − 本年废止件数（规章、行政规范性文件）",
        scope="previous",
    ),
    Rule(
        "prose-table-mismatch", Severity.WARNING, "正文数字与表格不符",
        "正文“{sentence}”中{name}为{number}{unit}，表格（{where}）为{table}{unit}", "推断",
        "正文中写明的申请、办结、结转、复议、诉讼、规范性文件、许可处罚强制件数和信息处理费应与表格一致"
        "（备案数、“其中”部分数和下属单位的数字除外）",
        scope="prose",
    ),
    Rule(
        "prose-arithmetic", Severity.WARNING, "正文中的计算",
        "正文“{sentence}”：{detail}", "推断",
        "正文中的分项之和不超过总数，占比和同比百分数与所写数字相符（同比需 --previous）",
        scope="prose",
    ),
    Rule(
        "prose-year", Severity.WARNING, "统计期限与报告年度",
        "正文写明的统计期限“{sentence}”是{mentioned}，本报告为{year}年度：年度或统计期限有一处不对（是否沿用了往年的文字？）", "推断",
        "正文写明的统计期限（“统计期限自……年1月1日至……年12月31日”）应为本报告的年度；正文中的其他年份"
        "（发布日期、下一年的计划、往年的情况）不算问题",
        scope="prose",
    ),
    Rule(
        "text-placeholder", Severity.WARNING, "未替换的占位内容",
        "正文中有未替换的占位内容“{found}”：{sentence}", "填报",
        "正文不应留有 XX、××、待填写、（文字描述）等模板占位内容",
        scope="prose",
    ),
    Rule(
        "text-empty-section", Severity.WARNING, "空的部分",
        "{section}{detail}", "格式",
        "一、总体情况和五、存在的主要问题及改进情况应有实际内容，不能空白或只写“无”；六只写“无”也提醒",
        scope="prose",
    ),
    Rule(
        "text-copied", Severity.WARNING, "正文与上年雷同",
        "{section}与{last_year}年报告的相同内容约占{share}（评估以50%为限）", "推断",
        "与 --previous 给出的上年报告相比，每一部分相同的内容不应超过一半",
        scope="prose",
    ),
    # what reading a workbook can find before any rule runs
    Rule(
        "value-formula", Severity.ERROR, "填写单元格中有公式",
        "填写单元格中是公式“={formula}”，应直接填写数字", "填报",
        "浅黄色填写单元格应直接填写数字，不应填写公式",
        scope="reading",
    ),
    Rule(
        "value-merged", Severity.ERROR, "填写单元格被合并单元格遮住",
        "这个单元格被合并到{merged}中，填写的“{value}”在表格中看不到，却仍计入合计和报告", "填报",
        "浅黄色填写单元格不应被合并到别的单元格中：被遮住的内容看不到，却仍计入合计，也会印到报告中",
        scope="reading",
    ),
    Rule(
        "value-blank", Severity.WARNING, "空白单元格",
        "{count}个数字单元格为空（{cells}），已按0计算（如确实为0，建议填0）", "填报",
        "空白的数字单元格按0计算；加 --strict 时视为错误",
        scope="reading",
    ),
    Rule(
        "total-cached-mismatch", Severity.WARNING, "公式结果与重算结果不一致",
        "文件中保存的计算结果为{cached}，按填写的数字重新计算应为{computed}；文件可能被异常编辑过", "推断",
        "总计单元格中保存的公式结果应等于按填写数字重新计算的结果",
        scope="reading",
    ),
    Rule(
        "structure-sheet", Severity.ERROR, "工作表缺失或改名",
        "{message}", "填报", "工作簿应包含模板的全部工作表，名称不变",
        scope="reading",
    ),
    Rule(
        "structure-label", Severity.ERROR, "标签被改动",
        "标签应为“{expected}”，实际为“{actual}”", "填报",
        "表格的标签（行名、列名、标题）应与官方格式一字不差",
        scope="reading",
    ),
    Rule(
        "structure-moved", Severity.WARNING, "行被插入或删除",
        "{message}", "填报", "模板中不应插入或删除行；能按标签找到时按标签读取并提醒",
        scope="reading",
    ),
    Rule(
        "structure-foreign", Severity.WARNING, "不是 xlreport 模板",
        "{message}", "填报", "不是 xlreport 生成的工作簿时按标签读取表格并提醒",
        scope="reading",
    ),
    # what reading a published report (web page, Word, PDF, text) was unsure of
    Rule(
        "import-uncertain", Severity.WARNING, "读取已发布报告时不确定之处",
        "{message}", "推断",
        "从已发布的报告（网页、Word、PDF、文本）读取表格时，猜测的标签、未按0计的空白或“/”“—”“无”、"
        "从带注释的单元格中读出的数字、按顺序对应的数字行等都列出来，并写明在原文中的位置，请对照原文核对",
        scope="reading",
    ),
)
RULE_BY_CODE = {r.code: r for r in RULES}


# --- instances of the sheet rules ----------------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    """One rule at one place: its relation, the named quantities its message shows, the field a
    problem is reported at, and the column, row or group it is about."""

    rule: str
    anchor: Path
    label: str  # fills {column} and {row}
    relation: Relation
    terms: tuple[tuple[str, Sum], ...]
    sides: tuple[Sum, Sum]  # what 校验 shows as 左边 and 右边

    @property
    def paths(self) -> tuple[Path, ...]:
        return self.relation.paths


def _field(path: Path) -> Sum:
    return Sum((path,))


def _balance(col_key: str, col_label: str) -> Instance:
    path = lambda row: ("requests", row, col_key)  # noqa: E731
    new, carried, closed, forward = (path(r) for r in ("new", "carried_over", "closed_total", "carried_forward"))
    lhs, rhs = Sum((new, carried)), Sum((closed, forward))
    terms = (("new", _field(new)), ("carried_over", _field(carried)), ("closed_total", _field(closed)),
             ("carried_forward", _field(forward)), ("lhs", lhs), ("rhs", rhs), ("should", Sum((new, carried), (closed,))))
    return Instance("requests-balance", closed, col_label, Compare(lhs, "==", rhs), terms, (lhs, rhs))


def _total(f: spec.Field) -> Instance:
    """A total equals the sum of its parts (rows and groups: the row label; （七）: the column)."""
    if f.table == "requests":
        code = "requests-row-total" if f.path[2] == "total" else "requests-closed-total"
    else:
        code = "appeals-total"
    total, parts = _field(f.path), Sum(f.total_of)
    label = f.col_label if code == "requests-closed-total" else f.row_label
    return Instance(code, f.path, label, Compare(total, "==", parts), (("actual", total), ("expected", parts)), (total, parts))


_UNPAID = ("requests", "other_fee_unpaid", "total")
_NOTICES, _NOTICE_AMOUNT, _COLLECTED = ("fees", "notices"), ("fees", "notice_amount"), ("fees", "collected")


def _fees() -> tuple[Instance, ...]:
    unpaid, notices, amount, collected = (_field(p) for p in (_UNPAID, _NOTICES, _NOTICE_AMOUNT, _COLLECTED))
    zero = constant(0)
    return (
        Instance("fees-unpaid-without-notice", _NOTICES, "", Implies(Compare(unpaid, ">", zero), Compare(notices, ">", zero)),
                 (("unpaid", unpaid), ("notices", notices)), (unpaid, notices)),
        Instance("fees-collected-exceeds-notices", _COLLECTED, "", Compare(collected, "<=", amount),
                 (("collected", collected), ("notice_amount", amount)), (collected, amount)),
        Instance("fees-amount-without-notice", _NOTICE_AMOUNT, "", Implies(Compare(notices, "==", zero), Compare(amount, "==", zero)),
                 (("notices", notices), ("notice_amount", amount)), (notices, amount)),
    )


INSTANCES = (
    tuple(_balance(key, label) for key, label in spec.REQUEST_COLUMNS)
    + tuple(_total(f) for f in spec.FIELDS if not f.is_input)
    + _fees()
)


# --- the meta fields ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MetaCheck:
    """A meta field's check: ``required`` (some text) or ``year`` (a whole number in the range)."""

    rule: str
    field: spec.MetaField
    kind: str

    def holds(self, value) -> bool:
        if self.kind == "required":
            return value is not None and str(value).strip() != ""
        return value is None or (isinstance(value, int) and not isinstance(value, bool) and spec.YEAR_MIN <= value <= spec.YEAR_MAX)

    def formula(self, ref: str) -> str:
        if self.kind == "required":
            return f"LEN(TRIM({ref}))>0"
        return f"OR(ISBLANK({ref}),AND(ISNUMBER({ref}),{ref}>={spec.YEAR_MIN},{ref}<={spec.YEAR_MAX},{ref}=INT({ref})))"


# rule families: the part of a report a rule is about, by the rule code's first word (an audit
# counts problems per family)
FAMILIES = {
    "structure": "表格结构", "value": "数字格式", "total": "公式", "meta": "基本信息", "requests": "表三勾稽",
    "appeals": "表四勾稽", "fees": "收费", "prose": "正文与表格", "text": "正文", "previous": "与上年对照",
    "import": "读取",
}


def family(code: str) -> str:
    return FAMILIES[code.split("-", 1)[0]]


META_CHECKS = tuple(MetaCheck("meta-required", m, "required") for m in spec.META_FIELDS if m.required) + tuple(
    MetaCheck("meta-year", m, "year") for m in spec.META_FIELDS if m.kind == "year"
)
