"""`xlreport merge`: every number of the three tables and the fee figures added up over many
workbooks into a new workbook of the same template, with a 汇总明细 sheet; what it refuses.

Expected sums are computed here from the input cells as openpyxl reads them, never with
xlreport's own adding up.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factories import filled_report, valid_reports, write
from xlreport import api
from xlreport.xlsx import writer as workbook
from xlreport.office import batch
from xlreport.format import spec
from xlreport.format import rules
from xlreport.cli import cli
from xlreport.errors import InputError
from xlreport.xlsx.writer import write_workbook

AGENCY = "XX县人民政府"
SUMMARY_HEADER = (
    "文件", "机关名称", "一、本年新收", "二、上年结转", "（七）总计", "四、结转下年度", "行政复议总计",
    "行政诉讼总计（未经复议）", "行政诉讼总计（复议后）", "行政许可", "行政处罚", "行政强制", "行政事业性收费（万元）", "发出收费通知件数",
)
FEES = ("active", "fees")


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    assert "读取中" not in result.stdout + result.stderr  # no progress bar when not on a terminal
    return result


def report(agency: str, k: int = 1, fee: str = "190.457379", year: int = 2024):
    """A valid report: filled_report with every count and amount times k (the rules are linear)."""
    r = filled_report(agency, year)
    for f in spec.INPUT_FIELDS:
        r.values[f.path] = r.values[f.path] * k
    r.values[FEES] = Decimal(fee)
    return r.with_totals()


def as_decimal(v) -> Decimal:
    if v is None:
        return Decimal(0)
    assert isinstance(v, (int, float)) and not isinstance(v, bool), v
    return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)


def input_cells(path: Path) -> dict[tuple, Decimal]:
    """Every input number of a workbook, as openpyxl reads the cells (blank is 0)."""
    wb = openpyxl.load_workbook(path)
    return {f.path: as_decimal(wb[f.sheet][f.cell].value) for f in spec.INPUT_FIELDS}


def with_totals(cells: dict[tuple, Decimal]) -> dict[tuple, Decimal]:
    """The totals of the format added up here, from the spec's list of what each total covers."""
    out = dict(cells)

    def value(path):
        if path not in out:
            out[path] = sum((value(p) for p in spec.FIELD_BY_PATH[path].total_of), Decimal(0))
        return out[path]

    for f in spec.FIELDS:
        value(f.path)
    return out


def expected_sum(paths) -> dict[tuple, Decimal]:
    per_file = [input_cells(p) for p in paths]
    return with_totals({f.path: sum((c[f.path] for c in per_file), Decimal(0)) for f in spec.INPUT_FIELDS})


def merged_numbers(path: Path) -> dict[tuple, Decimal]:
    """Input cells as written, totals as cached in the file by the writer."""
    wb = openpyxl.load_workbook(path, data_only=True)
    return {f.path: as_decimal(wb[f.sheet][f.cell].value) for f in spec.FIELDS}


def sheet_rows(ws) -> list[tuple]:
    return [tuple("" if v is None else v for v in row) for row in ws.iter_rows(values_only=True)]


def snapshot(folder: Path) -> dict:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def src(tmp_path_factory) -> Path:
    """Workbooks written once; tests copy them."""
    d = tmp_path_factory.mktemp("merge-src")
    write(d / "商务局.xlsx", report("XX县商务局", 1, "0.1"))
    write(d / "教育局.xlsx", report("XX县教育局", 2, "0.2"))
    write(d / "城关镇.xlsx", report("XX县城关镇人民政府", 3, "190.457379"))
    write(d / "卫生局2023.xlsx", report("XX县卫生局", 1, "5", year=2023))
    bad = report("XX县交通局", 4, "7.25")
    bad.values[("requests", "carried_forward", "business")] += 1  # the business column no longer balances
    write(d / "交通局.xlsx", bad)
    (d / "损坏.xlsx").write_bytes((d / "商务局.xlsx").read_bytes()[:3000])
    return d


@pytest.fixture
def county(src, tmp_path, monkeypatch) -> Path:
    """县/ with two agencies at the top and a township in 乡镇/, plus things a folder must ignore."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "县" / "乡镇").mkdir(parents=True)
    shutil.copyfile(src / "商务局.xlsx", "县/商务局.xlsx")
    shutil.copyfile(src / "教育局.xlsx", "县/教育局.xlsx")
    shutil.copyfile(src / "城关镇.xlsx", "县/乡镇/城关镇.xlsx")
    Path("县/说明.txt").write_text("报送清单", encoding="utf-8")
    shutil.copyfile(src / "交通局.xlsx", "县/.交通局旧版.xlsx")  # hidden: not merged
    Path("县/~$商务局.xlsx").write_bytes(b"\x0cAdministrator" + b"\x00" * 40)  # Excel's lock file
    return tmp_path


COUNTY_FILES = ["县/乡镇/城关镇.xlsx", "县/商务局.xlsx", "县/教育局.xlsx"]


# --- the sums ----------------------------------------------------------------------------------


def test_merge_adds_up_every_number(county):
    before = snapshot(county / "县")
    result = run("merge", "县", "-o", "汇总.xlsx", "--agency", AGENCY)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == "已汇总 3 个单位：汇总.xlsx\n"
    assert snapshot(county / "县") == before  # inputs are never modified

    expected = expected_sum(COUNTY_FILES)
    # a few figures by hand: filled_report has 270 new requests, 10 reviews, 300.5 and 200.25 元; k = 1, 2, 3
    assert expected[("requests", "new", "total")] == 270 * 6
    assert expected[("appeals", "review", "total")] == 10 * 6
    assert expected[("fees", "notice_amount")] == Decimal("1803.0")
    assert expected[("fees", "collected")] == Decimal("1201.5")
    assert expected[FEES] == Decimal("190.757379")

    assert merged_numbers(Path("汇总.xlsx")) == expected  # the cells of the new workbook
    loaded = api.load("汇总.xlsx")
    assert loaded.problems == []
    assert {f.path: loaded.report.value(f.path) for f in spec.FIELDS} == expected  # as xlreport reads it back
    assert (loaded.report.agency, loaded.report.year) == (AGENCY, 2024)


def test_decimal_amounts_add_exactly(src, tmp_path):
    out = tmp_path / "汇总.xlsx"
    result = run("merge", src / "商务局.xlsx", src / "教育局.xlsx", "-o", out, "--agency", AGENCY)
    assert result.exit_code == 0
    assert 0.1 + 0.2 != 0.3  # what binary floats would have given
    value = api.load(out).report.values[FEES]
    assert value == Decimal("0.3")
    assert str(value) == "0.3"
    assert openpyxl.load_workbook(out)[spec.SHEET_ACTIVE][spec.FIELD_BY_PATH[FEES].cell].value == 0.3
    total = sheet_rows(openpyxl.load_workbook(out)["汇总明细"])[-1]
    assert total[SUMMARY_HEADER.index("行政事业性收费（万元）")] == 0.3
    # the 元 amounts of section 六 too: 300.5 + 601.0 and 200.25 + 400.5
    numbers = merged_numbers(out)
    assert (numbers[("fees", "notice_amount")], numbers[("fees", "collected")]) == (Decimal("901.5"), Decimal("600.75"))


@pytest.mark.parametrize("measured", [200, 2, 1])
def test_summary_sheet_one_row_per_input_and_a_total(county, monkeypatch, measured):
    """The column widths follow the first rows; the rows after them are the same sheet."""
    monkeypatch.setattr(workbook, "EXTRA_ROWS_FOR_WIDTHS", measured)
    assert run("merge", "县", "-o", "汇总.xlsx", "--agency", AGENCY).exit_code == 0
    wb = openpyxl.load_workbook("汇总.xlsx")
    assert wb.sheetnames == [*spec.DATA_SHEETS, spec.SHEET_CHECKS, "汇总明细", spec.SHEET_GUIDE, spec.SHEET_STAMP, spec.SHEET_CELLCHECK]
    ws = wb["汇总明细"]
    assert (ws.freeze_panes, ws.auto_filter.ref, ws.dimensions) == ("A2", "A1:N5", "A1:N5")
    assert {(ws.cell(r, c).border.left.style, ws.cell(r, c).alignment.vertical) for r in range(2, 6) for c in (1, 3)} == {("thin", "top")}

    def figures(c: dict) -> tuple:
        def row_total(row):
            return sum(c[("requests", row, col)] for col in spec.REQUEST_INPUT_COLUMNS)

        def appeal_total(group):
            return sum(c[("appeals", group, k)] for k in ("upheld", "corrected", "other", "pending"))

        return (
            row_total("new"), row_total("carried_over"),
            sum(row_total(r) for r in spec.REQUEST_RESULT_ROWS), row_total("carried_forward"),
            appeal_total("review"), appeal_total("litigation_direct"), appeal_total("litigation_after_review"),
            c[("active", "licensing")], c[("active", "punishment")], c[("active", "coercion")], c[FEES], c[("fees", "notices")],
        )

    agencies = {"县/乡镇/城关镇.xlsx": "XX县城关镇人民政府", "县/商务局.xlsx": "XX县商务局", "县/教育局.xlsx": "XX县教育局"}
    per_file = {p: figures(input_cells(Path(p))) for p in COUNTY_FILES}
    total = tuple(sum(col) for col in zip(*per_file.values()))
    expected = [SUMMARY_HEADER]
    expected += [(p, agencies[p], *per_file[p]) for p in COUNTY_FILES]
    expected.append(("合计", "3个单位", *total))
    rows = sheet_rows(ws)
    assert [r[:2] for r in rows] == [r[:2] for r in expected]
    assert [tuple(as_decimal(v) for v in r[2:]) for r in rows[1:]] == [r[2:] for r in expected[1:]]
    assert rows[-1][2:6] == (1620, 162, 1512, 270)  # by hand: 270, 27, 252, 45 times 1 + 2 + 3


def test_merged_workbook_checks_clean_and_builds(county):
    assert run("merge", "县", "-o", "汇总.xlsx", "--agency", AGENCY).exit_code == 0
    result = run("check", "汇总.xlsx")
    assert result.exit_code == 0
    assert result.stdout == f"文件：汇总.xlsx（{AGENCY} 2024年）\n检查通过：没有发现问题。\n"
    assert result.stderr == ""
    result = run("build", "汇总.xlsx", "-o", "汇总.docx")
    assert result.exit_code == 0
    assert result.stdout == "已生成：汇总.docx\n"


def test_prose_is_not_merged(county):
    assert all(api.load(p).report.text.overview.items for p in COUNTY_FILES)  # the inputs have prose
    assert run("merge", "县", "-o", "汇总.xlsx", "--agency", AGENCY).exit_code == 0
    ws = openpyxl.load_workbook("汇总.xlsx")[spec.SHEET_TEXT]
    for slot in spec.TEXT_SLOTS:
        assert ws[slot.heading_cell].value == (slot.default_heading or None), slot
        assert ws[slot.text_cell].value is None, slot
    text = api.load("汇总.xlsx").report.text
    assert (text.preamble, text.overview.intro, text.overview.items, text.problems.items, text.other.items, text.closing) == ([], [], [], [], [], [])
    assert (text.fee_note.heading, text.fee_note.paragraphs) == (spec.FEE_NOTE_HEADING, [])


# A plausibility limit by the agency's level (a 万元 amount above it was probably typed in 元), not a
# relation between numbers: a sum of amounts each under a department's limit may exceed the county's.
NOT_ADDITIVE = {"fees-wanyuan-suspect"}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(valid_reports(blanks=True), min_size=1, max_size=3))
def test_a_merge_of_valid_reports_keeps_every_rule(reports):
    """Every rule of the format is linear (or an implication that survives adding up):
    a rule that held in every input holds in the sum, and the sum has no error at all."""
    year = reports[0].year
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        broken_in_inputs = set()
        for i, r in enumerate(reports):
            r.meta["year"] = year
            write_workbook(d / f"{i}.xlsx", r)
            checked = api.check_file(d / f"{i}.xlsx")
            assert checked.errors == 0
            broken_in_inputs |= {p.code for p in checked.problems}
        out = d.with_name(d.name + "-汇总.xlsx")  # beside the folder: an output is never among the inputs
        result = run("merge", d, "-o", out, "--agency", AGENCY, "--jobs", 1)
        assert result.exit_code == 0, result.stderr
        checked = api.check_file(out)
        out.unlink()
        assert checked.errors == 0
        held = {r.code for r in rules.RULES} - broken_in_inputs - NOT_ADDITIVE
        assert [p for p in checked.problems if p.code in held] == []
        assert checked.report.year == year
        assert {f.path: checked.report.value(f.path) for f in spec.FIELDS} == expected_sum(sorted(d.glob("[0-9].xlsx")))


# --- what merge refuses or warns about ---------------------------------------------------------------


def test_mixed_years_refused(county, src):
    shutil.copyfile(src / "卫生局2023.xlsx", "县/卫生局2023.xlsx")
    result = run("merge", "县", "-o", "汇总.xlsx", "--agency", AGENCY)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "错误：输入文件的报告年度不一致（2023年1个、2024年3个），未汇总（每次只汇总同一年度的报告，请移走其他年度的文件）\n"
    assert not Path("汇总.xlsx").exists()


def test_year_option_must_match_every_input(county):
    result = run("merge", "县", "-o", "汇总.xlsx", "--agency", AGENCY, "--year", "2023")
    assert result.exit_code == 1
    assert result.stderr == (
        "错误：以下文件的报告年度不是2023年，未汇总：县/乡镇/城关镇.xlsx（2024）、县/商务局.xlsx（2024）、县/教育局.xlsx（2024）"
        "（每次只汇总同一年度的报告）\n"
    )
    assert not Path("汇总.xlsx").exists()
    result = run("merge", "县", "-o", "汇总.xlsx", "--agency", AGENCY, "--year", "2024")
    assert result.exit_code == 0
    assert api.load("汇总.xlsx").report.year == 2024


def test_invalid_input_refused_unless_allowed(county, src):
    shutil.copyfile(src / "交通局.xlsx", "县/交通局.xlsx")
    result = run("merge", "县", "-o", "汇总.xlsx", "--agency", AGENCY)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "错误：以下文件有错误，未汇总：县/交通局.xlsx（2个错误）（先用 xlreport check 查看并修改，或加 --allow-errors 带着错误汇总）\n"
    assert not Path("汇总.xlsx").exists()

    forced = run("merge", "县", "-o", "汇总.xlsx", "--agency", AGENCY, "--force")  # --force only overwrites
    assert (forced.exit_code, forced.stderr) == (1, result.stderr)
    result = run("merge", "县", "-o", "汇总.xlsx", "--agency", AGENCY, "--allow-errors")
    assert result.exit_code == 0
    assert result.stderr == "提醒：有 1 个文件存在错误，已按 --allow-errors 汇总\n"
    assert result.stdout == "已汇总 4 个单位：汇总.xlsx\n"
    files = ["县/乡镇/城关镇.xlsx", "县/交通局.xlsx", "县/商务局.xlsx", "县/教育局.xlsx"]
    assert merged_numbers(Path("汇总.xlsx")) == expected_sum(files)  # the numbers as the clerk typed them
    assert merged_numbers(Path("汇总.xlsx"))[FEES] == Decimal("198.007379")
    # the sum inherits the input's error, and says so when checked
    assert run("check", "汇总.xlsx").exit_code == 1


# what the clerk typed in 商务局's 二、上年结转 / 商业企业 (E6, 0 in the good file): the number its
# sheet's totals count, refused by check
REFUSED_ENTRIES = {
    "formula": (b"<f>1+2</f><v>3</v>", 3),
    "decimal": (b"<v>2.5</v>", Decimal("2.5")),
    "negative": (b"<v>-5</v>", -5),
    "text": ("<is><t>无</t></is>".encode("utf-8"), 0),
}


@pytest.mark.parametrize("entry", REFUSED_ENTRIES)
def test_with_errors_allowed_the_total_row_adds_up_the_agencies_rows(entry, county, src):
    """--allow-errors sums a refused entry as the agency's own sheet counts it in its totals: the
    merged number, the agency's 汇总明细 row and the 合计 row agree (it used to sum 0, while the
    agency's row showed its sheet's total)."""
    import re

    from factories import patch_zip, sheet_entries

    xml, counted = REFUSED_ENTRIES[entry]
    good = Path("县/商务局.xlsx")
    field = spec.FIELD_BY_PATH[("requests", "carried_over", "business")]
    kind = b' t="inlineStr"' if entry == "text" else b""

    def typed(sheet: bytes) -> bytes:
        patched, n = re.subn(rb'<c r="E6"( s="\d+")?[^>]*?(?:/>|>.*?</c>)', lambda m: b'<c r="E6"' + (m.group(1) or b"") + kind + b">" + xml + b"</c>", sheet)
        assert n == 1
        return patched

    patch_zip(good, {sheet_entries(good)[field.sheet]: typed})
    assert run("check", good).exit_code == 1
    result = run("merge", "县", "-o", "汇总.xlsx", "--agency", AGENCY, "--allow-errors")
    assert result.exit_code == 0, result.output
    merged = merged_numbers(Path("汇总.xlsx"))
    others = [input_cells(Path(f))[field.path] for f in COUNTY_FILES if f != str(good)]
    assert merged[field.path] == sum(others, Decimal(0)) + counted
    rows = sheet_rows(openpyxl.load_workbook("汇总.xlsx")[spec.SHEET_MERGED])
    agencies, total = rows[1:-1], rows[-1]
    assert len(agencies) == 3 and total[0] == "合计"
    for column in range(2, len(total)):
        assert sum(Decimal(str(r[column])) for r in agencies) == Decimal(str(total[column])), rows[0][column]


def test_same_agency_twice_warns(county, src):
    shutil.copyfile(src / "商务局.xlsx", "县/乡镇/商务局副本.xlsx")
    result = run("merge", "县", "-o", "汇总.xlsx", "--agency", AGENCY)
    assert result.exit_code == 0
    assert result.stderr == "提醒：机关“XX县商务局”出现了2次（县/乡镇/商务局副本.xlsx、县/商务局.xlsx），是否重复汇总？\n"
    assert result.stdout == "已汇总 4 个单位：汇总.xlsx\n"


def test_the_same_file_given_twice_is_merged_once(src, tmp_path):
    out = tmp_path / "汇总.xlsx"
    result = run("merge", src / "商务局.xlsx", src / "商务局.xlsx", "-o", out, "--agency", AGENCY)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == f"已汇总 1 个单位：{out}\n"
    assert merged_numbers(out) == expected_sum([src / "商务局.xlsx"])


def test_existing_output_refused_without_force(county):
    Path("汇总.xlsx").write_bytes(b"last year's")
    result = run("merge", "县", "-o", "汇总.xlsx", "--agency", AGENCY)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "错误：汇总.xlsx：文件已存在，未覆盖（如需覆盖请加 --force）\n"
    assert Path("汇总.xlsx").read_bytes() == b"last year's"
    assert run("merge", "县", "-o", "汇总.xlsx", "--agency", AGENCY, "--force").exit_code == 0
    assert merged_numbers(Path("汇总.xlsx")) == expected_sum(COUNTY_FILES)


@pytest.mark.parametrize("force", [(), ("--force",)])
def test_output_inside_the_input_folder_is_refused(county, force):
    """It would be an input of the next merge (and with --force, of this one): refused before any work."""
    result = run("merge", "县", "-o", "县/汇总.xlsx", "--agency", AGENCY, *force)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ("错误：县/汇总.xlsx：-o的输出文件在要读取的文件夹 县 中，下次运行时会被当作输入，已拒绝"
                             "（请保存到这个文件夹以外）\n")
    assert not Path("县/汇总.xlsx").exists()


@pytest.mark.parametrize("force", [(), ("--force",)])
def test_output_that_is_an_input_is_refused(county, force):
    before = Path("县/商务局.xlsx").read_bytes()
    for output in ("县/商务局.xlsx", "./县/../县/商务局.xlsx"):
        result = run("merge", "县/商务局.xlsx", "县/教育局.xlsx", "-o", output, "--agency", AGENCY, *force)
        assert result.exit_code == 2
        assert result.stderr == f"错误：{Path(output)}：-o的输出文件就是输入文件 县/商务局.xlsx，已拒绝（输入文件从不被改写）（请换一个输出文件名）\n"
    os.symlink(Path("县/商务局.xlsx").resolve(), "链接.xlsx")
    result = run("merge", "县/商务局.xlsx", "-o", "链接.xlsx", "--agency", AGENCY, "--force")
    assert result.stderr == "错误：链接.xlsx：-o的输出文件就是输入文件 县/商务局.xlsx，已拒绝（输入文件从不被改写）（请换一个输出文件名）\n"
    assert Path("县/商务局.xlsx").read_bytes() == before


def test_an_earlier_merge_in_the_input_folder_is_refused_unless_included(county):
    """汇总.xlsx copied back into the folder under another name would count every agency twice."""
    assert run("merge", "县", "-o", "汇总.xlsx", "--agency", AGENCY).exit_code == 0
    shutil.copyfile("汇总.xlsx", "县/上次汇总.xlsx")
    result = run("merge", "县", "-o", "汇总2.xlsx", "--agency", AGENCY)
    assert result.exit_code == 1
    assert result.stderr == ("错误：县/上次汇总.xlsx是已有的汇总结果（含“汇总明细”表），其中的单位会被重复计算，未汇总"
                             "（请移走这些文件；如确实要把汇总结果再汇总（如各乡镇的汇总再汇总到县），加 --include-merged）\n")
    assert not Path("汇总2.xlsx").exists()
    included = run("merge", "县", "-o", "汇总2.xlsx", "--agency", AGENCY, "--include-merged")
    assert included.exit_code == 0
    assert included.stderr == ("提醒：县/上次汇总.xlsx是已有的汇总结果（含“汇总明细”表），已按 --include-merged 汇总；"
                               "其中的单位如果也在本次输入中，会被重复计算\n")
    assert merged_numbers(Path("汇总2.xlsx")) == {k: 2 * v for k, v in expected_sum(COUNTY_FILES).items()}
    # alone, an earlier merge (a county's, merged again at the city) is not warned about
    alone = run("merge", "汇总.xlsx", "-o", "市.xlsx", "--agency", "XX市人民政府")
    assert (alone.exit_code, alone.stderr) == (0, "")
    assert merged_numbers(Path("市.xlsx")) == expected_sum(COUNTY_FILES)


def test_folder_without_spreadsheets(county):
    Path("空").mkdir()
    result = run("merge", "空", "-o", "汇总.xlsx", "--agency", AGENCY)
    assert result.exit_code == 2
    assert result.stderr == "错误：在空中没有找到电子表格文件（.xlsx/.xlsm/.xls/.ods）\n"


def test_unreadable_input_refused_with_exit_2(county, src):
    shutil.copyfile(src / "损坏.xlsx", "县/乡镇/损坏.xlsx")
    with pytest.raises(InputError) as e:
        api.load("县/乡镇/损坏.xlsx")
    for force in ((), ("--force",)):  # --force never adds up what could not be read
        result = run("merge", "县", "-o", "汇总.xlsx", "--agency", AGENCY, *force)
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr == f"错误：有文件无法读取，未汇总：{e.value.message}（请先修复或移除这些文件）\n"
        assert e.value.message.startswith("县/乡镇/损坏.xlsx：")
        assert not Path("汇总.xlsx").exists()


def test_output_needs_an_xlsx_name(county):
    result = run("merge", "县", "-o", "汇总.xls", "--agency", AGENCY)
    assert result.exit_code == 2
    assert result.stderr == "错误：汇总.xls：输出文件应以 .xlsx 结尾\n"


# --- the order does not depend on the worker pool ------------------------------------------------------


class CountingPool(batch.Pool):
    started: list[int] = []

    def __init__(self, fn, workers, **kwargs):
        CountingPool.started.append(workers)
        super().__init__(fn, workers, **kwargs)


def test_same_result_with_and_without_the_worker_pool(src, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("many/b").mkdir(parents=True)
    kinds = [src / "商务局.xlsx", src / "教育局.xlsx", src / "城关镇.xlsx"]
    for i in range(21):
        folder = Path("many") if i % 2 else Path("many/b")
        shutil.copyfile(kinds[i % 3], folder / f"{i:02d}-{kinds[i % 3].stem}.xlsx")
    files = [str(p) for p in batch.collect([Path("many")])]
    assert len(files) == 21 > batch.PARALLEL_FROM
    monkeypatch.setattr(batch, "Pool", CountingPool)
    CountingPool.started.clear()
    serial = run("merge", "many", "-o", "1.xlsx", "--agency", AGENCY, "--jobs", "1")
    assert CountingPool.started == []
    pooled = run("merge", "many", "-o", "2.xlsx", "--agency", AGENCY, "--jobs", "2")
    assert CountingPool.started == [2]  # the pool really ran
    assert serial.exit_code == pooled.exit_code == 0
    assert pooled.stdout.replace("2.xlsx", "1.xlsx") == serial.stdout == "已汇总 21 个单位：1.xlsx\n"
    assert pooled.stderr == serial.stderr  # the same-agency warnings, files in the same order
    lines = serial.stderr.splitlines()
    assert [line.split("（")[0] for line in lines] == [
        "提醒：机关“XX县教育局”出现了7次", "提醒：机关“XX县商务局”出现了7次", "提醒：机关“XX县城关镇人民政府”出现了7次",
    ]
    assert lines[0].startswith("提醒：机关“XX县教育局”出现了7次（many/01-教育局.xlsx、many/07-教育局.xlsx、")
    one, two = openpyxl.load_workbook("1.xlsx")["汇总明细"], openpyxl.load_workbook("2.xlsx")["汇总明细"]
    assert sheet_rows(one) == sheet_rows(two)
    assert [r[0] for r in sheet_rows(one)[1:]] == [*files, "合计"]
    assert merged_numbers(Path("1.xlsx")) == merged_numbers(Path("2.xlsx")) == expected_sum(files)


@pytest.mark.libreoffice
def test_appended_summary_rows_open_in_libreoffice(county, soffice, monkeypatch):
    """汇总明细 reads the same in LibreOffice as in calamine, rows past the measured ones too."""
    from conftest import run_soffice_convert
    from python_calamine import CalamineWorkbook

    monkeypatch.setattr(workbook, "EXTRA_ROWS_FOR_WIDTHS", 1)
    assert run("merge", "县", "-o", "汇总.xlsx", "--agency", AGENCY).exit_code == 0
    resaved = run_soffice_convert("汇总.xlsx", "lo", "xlsx", soffice=soffice)
    ours = CalamineWorkbook.from_path("汇总.xlsx").get_sheet_by_name("汇总明细").to_python()
    theirs = CalamineWorkbook.from_path(str(resaved)).get_sheet_by_name("汇总明细").to_python()
    assert len(ours) == 5 and ours[-1][0] == "合计"
    assert theirs == ours
