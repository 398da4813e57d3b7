"""Report factories shared by the reader, rules and CLI tests.

``valid_reports()`` is a hypothesis strategy for reports that satisfy every rule (totals
consistent, the balance of table B holding per column, fee figures consistent), with meta
and prose drawn from an alphabet that includes the characters that break naive writers.
``filled_report()`` is one fixed valid report with no zero or blank cell where a test
needs a value to change.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from hypothesis import strategies as st

from xlreport.format import spec
from xlreport.model import Item, Report, Section, Text
from xlreport.xlsx.reader import canonical_decimal

RESULT_ROWS = spec.REQUEST_RESULT_ROWS
INPUT_COLUMNS = spec.REQUEST_INPUT_COLUMNS
APPEAL_PARTS = tuple(k for k, _ in spec.APPEAL_COLUMNS[:-1])

# Chinese text plus what breaks naive writers: markup characters, quotes, a leading "=".
ALPHABET = (
    "政府信息公开工作年度报告本机关办理申请县局市区人民镇街道办事处商务教育卫生"
    "“”‘’（）《》、，。；：！？—…·"
    "&<>\"'=+-*/%#@$[]{}|\\^~`"
    "abcXYZ0123456789 "
)

# Prose has no digits and no "XX": numbers, years and placeholders in the text are what the prose
# rules look at, and a valid report must not trip them by chance.
PROSE_ALPHABET = "".join(ch for ch in ALPHABET if not ch.isdigit() and ch != "X")

_text = st.text(alphabet=ALPHABET, min_size=1, max_size=30).map(str.strip).filter(bool)
_prose = st.text(alphabet=PROSE_ALPHABET, min_size=1, max_size=30).map(str.strip).filter(bool)
text_values = st.one_of(_text, _text.map(lambda s: "=" + s), st.sampled_from(["=SUM(A1:A3)", "=1+1", "'12", "&amp;", "<b>粗</b>", "TRUE", "0123"]))
paragraphs = st.lists(
    st.one_of(_prose, _prose.map(lambda s: "=" + s), st.text(alphabet=PROSE_ALPHABET, min_size=20, max_size=200).map(str.strip).filter(bool)),
    min_size=1, max_size=4,
).filter(lambda ps: "".join(ps).strip(" 。.;；") not in ("无", "暂无", "没有", "无此情况"))


def decimals(max_int: int = 10**8, max_places: int = 6):
    """Canonical non-negative Decimals with up to ``max_places`` decimal places (15 digits at most)."""

    @st.composite
    def build(draw):
        whole = draw(st.integers(0, max_int))
        places = draw(st.integers(0, max_places))
        frac = draw(st.integers(0, 10**places - 1)) if places else 0
        text = f"{whole}.{frac:0{places}d}" if places else str(whole)
        return canonical_decimal(Decimal(text))

    return build()


def _items(max_items: int):
    return st.lists(st.builds(Item, st.one_of(st.just(""), _prose), paragraphs), max_size=max_items)


def _slots(section: str) -> int:
    return sum(1 for t in spec.TEXT_SLOTS if t.section == section and t.kind == "item")


@st.composite
def _section(draw, name: str, required: bool) -> Section:
    """A section; 一 and 五 always say something (an empty one is a problem of its own)."""
    intro = draw(st.one_of(st.just([]), paragraphs))
    items = draw(_items(_slots(name)))
    if required and not intro and not items:
        intro = draw(paragraphs)
    return Section(intro, items)


@st.composite
def texts(draw) -> Text:
    return Text(
        preamble=draw(st.one_of(st.just([]), paragraphs)),
        overview=draw(_section("overview", True)),
        problems=draw(_section("problems", True)),
        other=draw(_section("other", False)),
        fee_note=Item(draw(st.one_of(st.just(spec.FEE_NOTE_HEADING), _prose)), draw(st.one_of(st.just([]), paragraphs))),
        closing=draw(st.one_of(st.just([]), paragraphs)),
    )


@st.composite
def valid_reports(draw, blanks: bool = False, max_count: int = 10**6) -> Report:
    """A report every rule holds for; totals filled in with Report.computed.

    With ``blanks``, some zero inputs are left blank (None), which reads back as blank.
    """
    count = st.integers(0, max_count)
    r = Report()
    r.meta["agency"] = draw(text_values)
    r.meta["year"] = draw(st.integers(spec.YEAR_MIN, spec.YEAR_MAX))
    for m in spec.META_FIELDS:
        if m.key not in ("agency", "year"):
            r.meta[m.key] = draw(st.one_of(st.none(), text_values))
    for f in spec.TABLE_BY_KEY["active"].fields:
        # 万元 below the smallest level's limit (a township's 10,000 万元) so that fees-wanyuan-suspect holds
        r.values[f.path] = draw(decimals(9_999) if f.unit is spec.Unit.WANYUAN else count)
    for col in INPUT_COLUMNS:
        closed = 0
        for row in RESULT_ROWS:
            v = draw(st.integers(0, max_count // 100))
            r.values[("requests", row, col)] = v
            closed += v
        carried_over = draw(count)
        extra = draw(count)
        new = max(0, closed - carried_over) + extra
        r.values[("requests", "carried_over", col)] = carried_over
        r.values[("requests", "new", col)] = new
        r.values[("requests", "carried_forward", col)] = new + carried_over - closed  # 四 = 一 + 二 − （七）
    for group, _ in spec.APPEAL_GROUPS:
        for part in APPEAL_PARTS:
            r.values[("appeals", group, part)] = draw(count)
    unpaid = sum(r.values[("requests", "other_fee_unpaid", c)] for c in INPUT_COLUMNS)
    notices = draw(st.integers(1 if unpaid else 0, 1000))
    if notices:
        a, b = draw(decimals(10**7, 2)), draw(decimals(10**7, 2))
        amount, collected = max(a, b), min(a, b)
    else:
        amount = collected = Decimal(0)
    r.values[("fees", "notices")] = notices
    r.values[("fees", "notice_amount")] = amount
    r.values[("fees", "collected")] = collected
    if blanks:
        zeros = [f.path for f in spec.INPUT_FIELDS if r.values[f.path] == 0]
        if zeros:
            for path in draw(st.lists(st.sampled_from(zeros), unique=True)):
                r.values[path] = None
    r.text = draw(texts())
    return r.with_totals()


def filled_report(agency: str = "测试县商务局", year: int = 2024) -> Report:
    """A fixed valid report where every count of table B and C is at least 1."""
    r = Report()
    r.meta.update(agency=agency, year=year, office="办公室", postcode="341200")
    for i, f in enumerate(spec.TABLE_BY_KEY["active"].fields):
        r.values[f.path] = Decimal("190.457379") if f.unit is spec.Unit.WANYUAN else i + 1
    for c, col in enumerate(INPUT_COLUMNS):
        closed = 0
        for i, row in enumerate(RESULT_ROWS):
            r.values[("requests", row, col)] = 1 + (i + c) % 3
            closed += 1 + (i + c) % 3
        r.values[("requests", "carried_over", col)] = 2 + c
        r.values[("requests", "new", col)] = closed + 3
        r.values[("requests", "carried_forward", col)] = 5 + c
    for g, (group, _) in enumerate(spec.APPEAL_GROUPS):
        for i, part in enumerate(APPEAL_PARTS):
            r.values[("appeals", group, part)] = 1 + g + i
    r.values[("fees", "notices")] = 2
    r.values[("fees", "notice_amount")] = Decimal("300.5")
    r.values[("fees", "collected")] = Decimal("200.25")
    r.text = Text(overview=Section(["总体情况开头。"], [Item("主动公开", ["主动公开情况。"])]),
                  problems=Section([], [Item("存在的主要问题", ["问题。"]), Item("改进情况", ["改进。"])]))
    return r.with_totals()


def write(path: Path, report: Report | None = None) -> Path:
    from xlreport.xlsx.writer import write_workbook

    return write_workbook(path, report if report is not None else filled_report())


# --- editing a workbook the way a clerk (or a stranger) does ------------------------------------


def copy_of(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copyfile(src, dst)
    return dst


def edit(path: Path, change, out: Path | None = None) -> Path:
    """Open ``path`` with openpyxl, apply ``change(workbook)``, save (to ``out`` or in place).

    openpyxl saves without cached formula values, like a real edit in another program.
    """
    import openpyxl

    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(out or path)
    return out or path


def set_cells(path: Path, values: dict, out: Path | None = None) -> Path:
    """Type values into cells: {(sheet, "D5"): value} or {field path: value}."""

    def change(wb):
        for where, value in values.items():
            if where and where[0] in (spec.SHEET_META, spec.SHEET_ACTIVE, spec.SHEET_REQUESTS, spec.SHEET_APPEALS, spec.SHEET_TEXT):
                sheet, ref = where
            else:
                f = spec.FIELD_BY_PATH[where]
                sheet, ref = f.sheet, f.cell
            wb[sheet][ref] = value

    return edit(path, change, out)


def sheet_entries(path: Path) -> dict[str, str]:
    """Sheet name -> zip entry of its XML."""
    from xlreport.container import open_spreadsheet, xlsx_sheet_paths

    return xlsx_sheet_paths(open_spreadsheet(path))


def patch_zip(path: Path, patches: dict, out: Path | None = None) -> Path:
    """Rewrite zip entries: {entry: new bytes or a function old bytes -> new bytes}."""
    import zipfile

    with zipfile.ZipFile(path) as src:
        items = [(info, src.read(info.filename)) for info in src.infolist()]
    target = out or path
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            patch = patches.get(info.filename)
            if patch is not None:
                data = patch(data) if callable(patch) else patch
            z.writestr(info.filename, data)
    return target


def foreign_workbook(path: Path, report: Report, row0: int = 5, col0: int = 2, sheet: str = "年报") -> Path:
    """Tables A, B and C with the official labels, all on one sheet at an offset, as plain openpyxl writes them."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet

    def put(r: int, c: int, value) -> None:
        if isinstance(value, Decimal):
            value = float(value)
        ws.cell(r + 1, c + 1, value)

    row = row0
    put(row, col0, f"{report.meta['agency']}{report.meta['year']}年政府信息公开工作年度报告")
    row += 2
    put(row, col0, spec.SECTION_TITLES["active"])
    row += 1
    by_row: dict[int, list] = {}
    for f in spec.TABLE_BY_KEY["active"].fields:
        by_row.setdefault(f.row, []).append(f)
    for fields in by_row.values():
        put(row, col0, fields[0].row_label)
        for i, f in enumerate(fields):
            put(row, col0 + 1 + i, report.values[f.path])
        row += 1
    row += 1
    put(row, col0, spec.SECTION_TITLES["requests"])
    row += 1
    for c, (_, label) in enumerate(spec.REQUEST_COLUMNS):
        put(row, col0 + 3 + c, label)
    row += 1
    last_group = None
    for key, group, text, _ in spec.REQUEST_ROWS:
        if group and group != last_group:
            put(row, col0 + 1, group)
        last_group = group
        put(row, col0 + 2, text)
        for c, (col, _) in enumerate(spec.REQUEST_COLUMNS):
            put(row, col0 + 3 + c, report.values[("requests", key, col)])
        row += 1
    row += 1
    put(row, col0, spec.SECTION_TITLES["appeals"])
    row += 1
    put(row, col0, "行政复议")
    put(row, col0 + 5, "行政诉讼")
    row += 1
    for i, (_, label) in enumerate(spec.APPEAL_COLUMNS):
        put(row, col0 + i, label)
    put(row, col0 + 5, "未经复议直接起诉")
    put(row, col0 + 10, "复议后起诉")
    row += 1
    for g in (1, 2):
        for i, (_, label) in enumerate(spec.APPEAL_COLUMNS):
            put(row, col0 + 5 * g + i, label)
    row += 1
    for f in spec.TABLE_BY_KEY["appeals"].fields:
        put(row, col0 + f.col, report.values[f.path])
    wb.save(path)
    return path


def published_html(report: Report, relabel: dict[str, str] | None = None) -> str:
    """The report's three tables as a plain web page, the way a government site publishes them.

    ``relabel`` maps an official row label to the text printed instead (a publisher's variant).
    """
    import html

    relabel = relabel or {}

    def label(text: str) -> str:
        return html.escape(relabel.get(text, text))

    def number(value) -> str:
        return "" if value is None else format(value, "f") if isinstance(value, Decimal) else str(value)

    out = [f"<html><head><meta charset='utf-8'></head><body><h1>{html.escape(str(report.meta['agency']))}{report.meta['year']}年政府信息公开工作年度报告</h1>",
           f"<p>{spec.SECTION_TITLES['overview']}</p><p>总体情况。</p>", f"<p>{spec.SECTION_TITLES['active']}</p><table>"]
    by_row: dict[int, list] = {}
    for f in spec.TABLE_BY_KEY["active"].fields:
        by_row.setdefault(f.row, []).append(f)
    for fields in by_row.values():
        out.append(f"<tr><td>{label(fields[0].row_label)}</td>" + "".join(f"<td>{number(report.values[f.path])}</td>" for f in fields) + "</tr>")
    out.append(f"</table><p>{spec.SECTION_TITLES['requests']}</p><table><tr><td></td><td></td><td></td>"
               + "".join(f"<td>{text}</td>" for _, text in spec.REQUEST_COLUMNS) + "</tr>")
    for key, group, text, _ in spec.REQUEST_ROWS:
        out.append(f"<tr><td></td><td>{group or ''}</td><td>{label(text)}</td>"
                   + "".join(f"<td>{number(report.values[('requests', key, c)])}</td>" for c, _ in spec.REQUEST_COLUMNS) + "</tr>")
    out.append(f"</table><p>{spec.SECTION_TITLES['appeals']}</p><table><tr><td colspan=5>行政复议</td><td colspan=10>行政诉讼</td></tr><tr>"
               + "".join(f"<td rowspan=2>{text}</td>" for _, text in spec.APPEAL_COLUMNS)
               + "<td colspan=5>未经复议直接起诉</td><td colspan=5>复议后起诉</td></tr><tr>"
               + "".join(f"<td>{text}</td>" for _ in range(2) for _, text in spec.APPEAL_COLUMNS) + "</tr><tr>"
               + "".join(f"<td>{number(report.values[f.path])}</td>" for f in spec.TABLE_BY_KEY["appeals"].fields) + "</tr></table>")
    out.append(f"<p>{spec.SECTION_TITLES['problems']}</p><p>问题。</p><p>{spec.SECTION_TITLES['other']}</p><p>无。</p></body></html>")
    return "".join(out)
