"""`xlreport check FILE --annotate COPY`: the copy is the clerk's own workbook plus marks.

Every input cell keeps what the clerk typed (value, type, formula, number format), so the copy
checks exactly as the original does; the marks are a fill and a comment on each cell a problem
names and a 问题清单 sheet. A clerk's edit is played by openpyxl (tests/factories.py).
"""

from __future__ import annotations

import datetime
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.comments import Comment

from factories import edit, filled_report, write
from xlreport.cli import cli
from xlreport.errors import InputError
from xlreport.format import spec
from xlreport.xlsx import annotate
from xlreport.xlsx.annotate import ERROR_FILL, MARKER, WARNING_FILL, problem_rows

R = filled_report()
F = spec.FIELD_BY_PATH
META = spec.META_BY_KEY
FORWARD = ("requests", "carried_forward", "business")

# a bad entry of every kind, each in its own input cell
BAD = {
    ("active", "licensing"): "10",  # '10: text (quotePrefix set below, as Excel keeps the apostrophe)
    ("active", "punishment"): 2.5,
    ("active", "coercion"): "无",
    ("active", "fees"): "/",
    ("active", "rules", "issued"): "2件",
    ("active", "rules", "repealed"): "—",
    ("active", "rules", "in_force"): "１２",
    ("active", "normative_documents", "issued"): "=3+4",
    ("active", "normative_documents", "repealed"): "=1/0",
    ("active", "normative_documents", "in_force"): datetime.date(2024, 3, 1),
    ("appeals", "review", "pending"): -5,
    ("appeals", "review", "upheld"): None,
    FORWARD: R.values[FORWARD] + 1,  # breaks 一 + 二 = （七） + 四 in the 商业企业 column
}
BAD_META = {"year": "2024年", "agency": None}


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.stdout + result.stderr
    return result


def snapshot(path: Path):
    return path.read_bytes(), path.stat().st_mtime_ns


def type_bad_entries(wb) -> None:
    for path, value in BAD.items():
        wb[F[path].sheet][F[path].cell] = value
    wb[F[("active", "licensing")].sheet][F[("active", "licensing")].cell].quotePrefix = True
    for key, value in BAD_META.items():
        wb[META[key].sheet][META[key].cell] = value


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return write(tmp_path_factory.mktemp("annotate") / "base.xlsx", R)


@pytest.fixture
def bad(base, tmp_path) -> Path:
    return edit(base, type_bad_entries, tmp_path / "填报.xlsx")


@pytest.fixture
def copy(bad, tmp_path) -> Path:
    out = tmp_path / "标注.xlsx"
    result = run("check", bad, "--annotate", out)
    assert result.exit_code == 1, result.output
    assert result.stdout.endswith(f"已生成标注副本：{out}\n")
    return out


def checked(path: Path) -> dict:
    """`check --json` of one file, its name aside."""
    doc = json.loads(run("check", "--json", path).stdout)
    (entry,) = doc.pop("files")
    assert entry.pop("file") == str(path)
    return {**doc, **entry}


def input_cells() -> list[tuple[str, str]]:
    return [(f.sheet, f.cell) for f in spec.INPUT_FIELDS] + [(m.sheet, m.cell) for m in spec.META_FIELDS]


def typed_cells(path: Path) -> dict:
    """What the clerk typed in every input cell, as openpyxl sees it."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for sheet, ref in input_cells():
        c = wb[sheet][ref]
        out[(sheet, ref)] = (c.value, c.data_type, c.number_format, c.quotePrefix, c.protection.locked)
    return out


def marked_cells(problems: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """(sheet, cell) -> the problems naming it: its own cell, then the cells it involves."""
    out: dict[tuple[str, str], list[dict]] = {}
    for p in problems:
        named = ([(p["sheet"], p["cell"])] if p["cell"] else []) + [tuple(ref.split("!")) for ref in p["cells"]]
        for place in dict.fromkeys(named):
            out.setdefault(place, []).append(p)
    return out


def listed(path: Path) -> list[list[str]]:
    """The visible columns of 问题清单 (hidden ones keep what the marks replaced)."""
    ws = openpyxl.load_workbook(path)[spec.SHEET_PROBLEMS]
    rows = [[v or "" for v in row] for row in ws.iter_rows(max_col=6, values_only=True)]
    return [row for row in rows if any(row)]


class _P:
    """A --json problem as problem_rows reads it."""

    def __init__(self, d: dict):
        self.__dict__.update(d)
        self.severity = spec.Severity(d["severity"])
        self.place = f"{d['sheet']}!{d['cell']}" if d["sheet"] and d["cell"] else d["sheet"]
        self.item = " / ".join(x for x in (d["row_label"], d["col_label"]) if x)


# --- (a) nothing the clerk typed changes ---------------------------------------------------------


def test_every_input_cell_is_as_typed(bad, copy):
    before, after = typed_cells(bad), typed_cells(copy)
    assert after == before
    # the entries are really there in the copy, not blanks or values made of them
    licensing = F[("active", "licensing")]
    assert after[(licensing.sheet, licensing.cell)][:2] == ("10", "s")
    formula = F[("active", "normative_documents", "issued")]
    assert after[(formula.sheet, formula.cell)][:2] == ("=3+4", "f")
    negative = F[("appeals", "review", "pending")]
    assert after[(negative.sheet, negative.cell)][:2] == (-5, "n")
    date = F[("active", "normative_documents", "in_force")]
    assert after[(date.sheet, date.cell)][1] == "d"


def test_the_rest_of_the_workbook_stays(bad, copy):
    a, b = openpyxl.load_workbook(bad), openpyxl.load_workbook(copy)
    assert b.sheetnames == a.sheetnames + [spec.SHEET_PROBLEMS]
    for ws in a.worksheets:
        other = b[ws.title]
        assert other.sheet_state == ws.sheet_state
        assert other.protection.sheet == ws.protection.sheet
        assert {str(r) for r in other.merged_cells.ranges} == {str(r) for r in ws.merged_cells.ranges}
        assert len(other.data_validations.dataValidation) == len(ws.data_validations.dataValidation)
        for coord, cell in ws._cells.items():
            assert (other._cells[coord].value, other._cells[coord].number_format) == (cell.value, cell.number_format)
    assert a[spec.SHEET_REQUESTS].protection.sheet  # the template's protection, kept


# --- (b) the copy checks as the original ------------------------------------------------------------


def test_the_copy_reports_exactly_the_problems_of_the_original(bad, copy):
    original = checked(bad)
    codes = {p["code"] for p in original["problems"]}
    assert {"value-type", "value-formula", "value-blank", "requests-balance", "meta-year"} <= codes
    assert checked(copy) == original


def test_build_on_the_copy_refuses_as_on_the_original(bad, copy, tmp_path):
    """The old copy came back clean: build published 0 where the clerk typed −5."""
    for book in (bad, copy):
        result = run("build", book, "-o", tmp_path / f"{book.stem}.docx")
        assert result.exit_code != 0
        assert not (tmp_path / f"{book.stem}.docx").exists()


# --- (c) the marks ----------------------------------------------------------------------------------


def test_every_problem_cell_has_a_fill_and_a_comment(bad, copy):
    problems = checked(bad)["problems"]
    wb = openpyxl.load_workbook(copy)
    marked = marked_cells(problems)
    assert len(marked) >= len(BAD) + 1
    for (sheet, ref), found in marked.items():
        cell = wb[sheet][ref]
        error = any(p["severity"] == "error" for p in found)
        assert (cell.fill.fill_type, cell.fill.fgColor.rgb) == ("solid", ERROR_FILL if error else WARNING_FILL), (sheet, ref)
        assert cell.comment is not None and cell.comment.author == "xlreport"
        assert cell.comment.text.startswith(MARKER)
        for p in found:
            assert p["message"] in cell.comment.text
    forward = F[FORWARD]
    assert "商业企业列" in wb[forward.sheet][forward.cell].comment.text  # a cell a balance involves
    blank = F[("appeals", "review", "upheld")]
    assert wb[blank.sheet][blank.cell].fill.fgColor.rgb == WARNING_FILL  # only the blank warning there
    unmarked = F[("appeals", "review", "corrected")]
    assert wb[unmarked.sheet][unmarked.cell].comment is None
    before = openpyxl.load_workbook(bad)[unmarked.sheet][unmarked.cell]
    assert annotate._fill_xml(wb[unmarked.sheet][unmarked.cell].fill) == annotate._fill_xml(before.fill)


def test_the_problem_list_is_the_problems_with_links(bad, copy):
    problems = checked(bad)["problems"]
    rows = listed(copy)
    assert rows[0] == ["级别", "位置", "项目", "问题", "应为", "实际"]
    assert rows == problem_rows([_P(p) for p in problems])
    assert [r[3] for r in rows[1:]] == [p["message"] for p in problems]
    wb = openpyxl.load_workbook(copy)
    ws = wb[spec.SHEET_PROBLEMS]
    for i, p in enumerate(problems, start=2):
        link = ws.cell(i, 2).hyperlink
        if p["cell"]:
            assert link.location == f"'{p['sheet']}'!{p['cell']}"
        elif p["cells"]:
            sheet, ref = p["cells"][0].split("!")
            assert link.location == f"'{sheet}'!{ref}"
    formula_row = next(r for r in ws.iter_rows(min_row=2) if r[5].value == "=3+4")
    assert formula_row[5].data_type == "s"  # the clerk's formula is shown as text, not run
    assert wb.active.title == spec.SHEET_PROBLEMS
    assert [w.title for w in wb.worksheets if w.sheet_view.tabSelected] == [spec.SHEET_PROBLEMS]


def test_a_clerks_own_comment_is_kept(base, tmp_path):
    licensing = F[("active", "licensing")]

    def typed(wb):
        wb[licensing.sheet][licensing.cell] = "3件"
        wb[licensing.sheet][licensing.cell].comment = Comment("科室核对过", "张三")

    book = edit(base, typed, tmp_path / "有批注.xlsx")
    out = tmp_path / "标注.xlsx"
    assert run("check", book, "--annotate", out).exit_code == 1
    comment = openpyxl.load_workbook(out)[licensing.sheet][licensing.cell].comment
    assert comment.author == "张三"
    assert comment.text.startswith("科室核对过\n\n" + MARKER)
    assert "“3件”是文字" in comment.text


# --- (d) the original is left alone ----------------------------------------------------------------


def test_the_original_is_byte_identical(bad, tmp_path):
    before = snapshot(bad)
    assert run("check", bad, "--annotate", tmp_path / "标注.xlsx").exit_code == 1
    assert snapshot(bad) == before


# --- (e) .ods and .xls -------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".ods", ".xls"])
def test_ods_and_xls_are_refused_before_checking(tmp_path, suffix):
    book = tmp_path / f"填报{suffix}"
    book.write_bytes(b"not read at all")
    out = tmp_path / "标注.xlsx"
    result = run("check", book, "--annotate", out)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (f"错误：{book}：--annotate 在原工作簿上添加标注，只能用于 .xlsx/.xlsm 文件，不能用于 {suffix} 文件"
                             "（请用 WPS/Excel 打开后另存为 .xlsx，再对 .xlsx 文件运行 check --annotate）\n")
    assert not out.exists()


def test_an_xlsx_that_is_not_one_is_refused(tmp_path):
    """An .xls renamed .xlsx: the reader reads it (by its content), openpyxl could not edit it."""
    with pytest.raises(InputError) as told:
        annotate.annotate_copy(_as_ole(tmp_path), tmp_path / "标注.xlsx", [])
    assert told.value.message == f"{tmp_path / '其实是xls.xlsx'}：文件实际是 .xls 格式（与扩展名不符），--annotate 只能用于 .xlsx/.xlsm 文件"
    assert not (tmp_path / "标注.xlsx").exists()


def _as_ole(tmp_path: Path) -> Path:
    from xlreport.container import OLE_MAGIC

    path = tmp_path / "其实是xls.xlsx"
    path.write_bytes(OLE_MAGIC + b"\x00" * 504)
    return path


# --- (f) a copy annotated again ----------------------------------------------------------------------


def test_annotating_the_copy_again(bad, copy, tmp_path):
    again = tmp_path / "再标注.xlsx"
    assert run("check", copy, "--annotate", again).exit_code == 1
    assert checked(again) == checked(bad)
    wb = openpyxl.load_workbook(again)
    assert wb.sheetnames.count(spec.SHEET_PROBLEMS) == 1
    assert wb.sheetnames[-1] == spec.SHEET_PROBLEMS
    assert listed(again) == listed(copy)
    for (sheet, ref) in marked_cells(checked(bad)["problems"]):
        assert wb[sheet][ref].comment.text.count(MARKER) == 1
    assert typed_cells(again) == typed_cells(bad)


def test_a_sheet_of_the_clerks_named_like_the_listing_is_never_replaced(bad, tmp_path):
    own = tmp_path / "自己的清单.xlsx"
    wb = openpyxl.load_workbook(bad)
    wb.create_sheet(spec.SHEET_PROBLEMS)["A1"] = "我自己记的问题"
    wb.save(own)
    before = own.read_bytes()
    out = tmp_path / "标注.xlsx"
    result = run("check", own, "--annotate", out)
    assert result.exit_code == 2
    assert result.stderr == (f"错误：{own}：工作簿中已有一张名为“问题清单”的工作表，不是 xlreport 生成的，无法生成标注副本"
                             "（标注副本要用这个名字列出问题）（请把这张工作表改名后另存，再运行 check --annotate）\n")
    assert not out.exists() and own.read_bytes() == before


def test_a_fixed_cell_loses_its_mark_when_annotated_again(bad, copy, tmp_path):
    coercion = F[("active", "coercion")]
    original_fill = openpyxl.load_workbook(bad)[coercion.sheet][coercion.cell].fill

    def fix(wb):
        wb[coercion.sheet][coercion.cell] = 3

    edit(copy, fix)
    again = tmp_path / "改后再标注.xlsx"
    assert run("check", copy, "--annotate", again).exit_code == 1
    cell = openpyxl.load_workbook(again)[coercion.sheet][coercion.cell]
    assert cell.comment is None
    assert annotate._fill_xml(cell.fill) == annotate._fill_xml(original_fill)
    assert all(r[1] != f"{coercion.sheet}!{coercion.cell}" for r in listed(again))


# --- places on a changed layout, and the .xlsm ------------------------------------------------------


def test_a_rule_on_a_renamed_sheet_is_marked_on_the_sheet_as_it_is_named(base, tmp_path):
    def typed(wb):
        wb[F[FORWARD].sheet][F[FORWARD].cell] = R.values[FORWARD] + 1
        wb[spec.SHEET_REQUESTS].title = "表三"

    book = edit(base, typed, tmp_path / "改名.xlsx")
    out = tmp_path / "标注.xlsx"
    assert run("check", book, "--annotate", out).exit_code == 1
    balance = next(p for p in checked(book)["problems"] if p["code"] == "requests-balance")
    assert balance["sheet"] == spec.SHEET_REQUESTS  # the rule names the template's place
    ws = openpyxl.load_workbook(out)["表三"]
    assert balance["message"] in ws[balance["cell"]].comment.text
    assert checked(out) == checked(book)


def insert_rows(ws, before: int, count: int) -> None:
    """Rows inserted as a spreadsheet program does it: the merged ranges below move too
    (openpyxl's insert_rows leaves them, and a value under a merge is lost on loading)."""
    ws.insert_rows(before, count)
    for merged in ws.merged_cells.ranges:
        if merged.min_row >= before:
            merged.shift(row_shift=count)


def test_a_rule_on_a_sheet_whose_rows_moved_is_listed_not_marked(base, tmp_path):
    new = F[("requests", "new", "research")]

    def typed(wb):
        ws = wb[new.sheet]
        ws[new.cell] = "8件"
        ws[F[FORWARD].cell] = R.values[FORWARD] + 1
        insert_rows(ws, 3, 2)

    book = edit(base, typed, tmp_path / "插行.xlsx")
    out = tmp_path / "标注.xlsx"
    assert run("check", book, "--annotate", out).exit_code == 1
    problems = checked(book)["problems"]
    balance = next(p for p in problems if p["code"] == "requests-balance")
    typed_wrong = next(p for p in problems if p["code"] == "value-type")
    ws = openpyxl.load_workbook(out)[new.sheet]
    assert typed_wrong["cell"] != new.cell  # found two rows down
    assert typed_wrong["message"] in ws[typed_wrong["cell"]].comment.text
    assert ws[balance["cell"]].comment is None  # the template's cell is another row now
    assert balance["message"] in [r[3] for r in listed(out)]
    assert checked(out) == checked(book)


def test_an_xlsm_keeps_its_macros_and_its_kind(bad, tmp_path):
    book = tmp_path / "带宏.xlsm"
    with zipfile.ZipFile(bad) as src, zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("xl/vbaProject.bin", b"VBA project bytes")
    refused = run("check", book, "--annotate", tmp_path / "标注.xlsx")
    assert refused.exit_code == 2
    assert refused.stderr == f"错误：{tmp_path / '标注.xlsx'}：--annotate 的输出文件应以 .xlsm 结尾\n"
    out = tmp_path / "标注.xlsm"
    assert run("check", book, "--annotate", out).exit_code == 1
    with zipfile.ZipFile(out) as z:
        assert z.read("xl/vbaProject.bin") == b"VBA project bytes"
        assert b"macroEnabled" in z.read("[Content_Types].xml")
    assert checked(out)["problems"] == checked(book)["problems"]


def test_a_json_report_still_gets_a_workbook_written_from_its_values(tmp_path):
    """No workbook of the clerk's to keep: the copy is the template filled from the JSON."""
    import copy as copying

    from xlreport import model

    report = copying.deepcopy(R)
    report.values[FORWARD] += 1
    source = tmp_path / "报告.json"
    source.write_text(model.to_json(report), encoding="utf-8")
    out = tmp_path / "标注.xlsx"
    result = run("check", source, "--annotate", out)
    assert result.exit_code == 1, result.output
    wb = openpyxl.load_workbook(out)
    assert wb[F[FORWARD].sheet][F[FORWARD].cell].value == report.values[FORWARD]
    assert "商业企业列" in wb[F[FORWARD].sheet][F[FORWARD].cell].comment.text
    assert listed(out)[1:] == problem_rows([_P(p) for p in checked(source)["problems"]])[1:]


def test_a_copy_that_would_read_differently_is_not_made(base, tmp_path):
    """openpyxl drops a value lying under a merged range (here labels, after rows were inserted
    under merges that did not move): the copy is read back and refused, not handed out."""
    def typed(wb):
        wb[spec.SHEET_REQUESTS].insert_rows(3, 2)

    book = edit(base, typed, tmp_path / "合并下有字.xlsx")
    before = snapshot(book)
    out = tmp_path / "标注.xlsx"
    result = run("check", book, "--annotate", out)
    assert result.exit_code == 2
    assert result.stderr == f"错误：{out}：标注副本读出的内容与原文件不一致，未生成标注副本（请把原文件发给 xlreport 的维护者）\n"
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert snapshot(book) == before


def test_an_accepted_warning_is_listed_not_marked(base, tmp_path):
    blank = F[("appeals", "review", "upheld")]
    book = edit(base, lambda wb: wb[blank.sheet].__setitem__(blank.cell, None), tmp_path / "留空.xlsx")
    assert run("accept", book, "--rule", "value-blank", "--reason", "确实没有").exit_code == 0
    out = tmp_path / "标注.xlsx"
    assert run("check", book, "--annotate", out).exit_code == 0
    assert openpyxl.load_workbook(out)[blank.sheet][blank.cell].comment is None
    (row,) = listed(out)[1:]
    assert row[0] == "已确认" and row[3].endswith("（已确认：确实没有）")


def test_a_workbook_not_made_by_xlreport(tmp_path):
    """Its tables found by their labels on any sheet: the 问题清单 added is not one of them."""
    from factories import foreign_workbook

    book = foreign_workbook(tmp_path / "外来.xlsx", R)

    def typed(wb):
        ws = wb.active
        label = next(c for row in ws.iter_rows() for c in row if c.value == F[("active", "licensing")].row_label)
        ws.cell(label.row, label.column + 1).value = "3件"

    edit(book, typed)
    out = tmp_path / "标注.xlsx"
    assert run("check", book, "--annotate", out).exit_code == 1
    original = checked(book)
    typed_wrong = next(p for p in original["problems"] if p["code"] == "value-type")
    assert typed_wrong["message"] in openpyxl.load_workbook(out)[typed_wrong["sheet"]][typed_wrong["cell"]].comment.text
    named = json.dumps(checked(out), ensure_ascii=False).replace(out.name, book.name)
    assert json.loads(named) == original


def test_control_characters_in_a_cell_stay_in_the_cell_and_out_of_the_marks(base, tmp_path):
    """A hostile file's _xHHHH_ escapes (ESC, BEL, CR) decode to control characters in the reader's
    problems; the cell keeps them as they were, the comment and the list leave them out."""
    from factories import patch_zip, set_cells

    licensing = F[("active", "licensing")]
    marked = set_cells(base, {("active", "licensing"): "12ESCAPEMARK"}, tmp_path / "坏.xlsx")
    with zipfile.ZipFile(marked) as z:
        parts = [n for n in z.namelist() if n.endswith(".xml") and b"ESCAPEMARK" in z.read(n)]
    book = patch_zip(marked, {n: lambda xml: xml.replace(b"ESCAPEMARK", b"_x001B_[2J_x0007_") for n in parts})
    out = tmp_path / "标注.xlsx"
    assert run("check", book, "--annotate", out).exit_code == 1
    assert typed_cells(out) == typed_cells(book)
    (problem,) = checked(book)["problems"]
    assert "\x1b" in problem["actual"]
    wb = openpyxl.load_workbook(out)
    assert "\x1b" not in wb[licensing.sheet][licensing.cell].comment.text
    assert all("\x1b" not in cell for row in listed(out) for cell in row)
    assert checked(out) == checked(book)


@pytest.mark.parametrize("xml, area", [
    (b'<mergeCell ref="A1:B2"/>', 4),
    (b"<x:mergeCell ref='C3:C3'/>", 1),
    (b'<mergeCell ref="A:B"/>', 2 * 1_048_576),
    (b'<mergeCell ref="1:2"/>', 2 * 16_384),
    (b'<mergeCell ref="A1&#58;XFD1048576"/>', 16_384 * 1_048_576),
    (b'<mergeCell note=">" ref="A1:A10"/>', 10),
    (b'<mergeCell ref="A1:B2"/><mergeCell ref="D1:D3"/>', 7),
    (b'<mergeCell ref="not a range"/>', 0),
    (b"<row/>", 0),
])
def test_merged_area_counts_the_cells_openpyxl_will_make(xml, area):
    assert annotate.merged_area(b"<worksheet><mergeCells>" + xml + b"</mergeCells></worksheet>") == area


def test_a_merge_over_the_whole_sheet_is_refused_before_openpyxl_opens_it(tmp_path):
    """openpyxl makes an object for every cell a merge covers: A1:XFD1048576 is 17 billion of them
    (the copy never came, and the memory grew past 1.5 GB). check itself reads the workbook as usual."""
    from factories import patch_zip, sheet_entries

    good = write(tmp_path / "报告.xlsx", filled_report())
    bomb = patch_zip(good, {sheet_entries(good)[spec.SHEET_CHECKS]:
                            lambda d: d.replace(b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>')},
                     tmp_path / "合并.xlsx")
    with zipfile.ZipFile(good) as z:
        template = sum(annotate.merged_area(z.read(n)) for n in z.namelist())  # the headers' merges
    assert 0 < template < 1000
    before = bomb.read_bytes()
    out = tmp_path / "标注.xlsx"
    result = CliRunner().invoke(cli, ["check", str(bomb), "--annotate", str(out)])
    assert result.exit_code == 2
    assert result.stderr == (f"错误：{bomb}：标注副本中合并单元格覆盖的格数超过上限（{16_384 * 1_048_576 + template}格，上限1000000格），无法生成标注副本"
                             "（请在 WPS/Excel 中取消多余的合并单元格后另存再试）\n")
    assert result.stdout.startswith(f"文件：{bomb}")
    assert not out.exists() and bomb.read_bytes() == before


@pytest.mark.parametrize("room", [0, -1])
def test_a_workbook_of_more_cells_than_the_limit_gets_no_copy(room, tmp_path, monkeypatch):
    """openpyxl reads and writes every cell: a crafted sheet of a million rows took 52 s and 730 MB
    for its copy. Every cell counts, whatever the prefix of its element's name."""
    from xlreport import limits

    from factories import patch_zip, sheet_entries

    good = write(tmp_path / "报告.xlsx", filled_report())
    extra = b"".join(b'<row r="%d"><x:c r="A%d" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:v>1</x:v></x:c></row>'
                     % (r, r) for r in range(2000, 2100))
    grown = patch_zip(good, {sheet_entries(good)[spec.SHEET_CHECKS]: lambda d: d.replace(b"</sheetData>", extra + b"</sheetData>")},
                      tmp_path / "多行.xlsx")
    with zipfile.ZipFile(grown) as z:
        cells = sum(len(annotate._CELL.findall(z.read(n))) for n in z.namelist())
    with zipfile.ZipFile(good) as z:
        assert cells == 100 + sum(z.read(n).count(b"<c ") for n in z.namelist())  # xlsxwriter writes <c r=…>
    monkeypatch.setattr(limits, "ANNOTATE_CELLS", limits.Limit(cells + room, "格", limits.ANNOTATE_CELLS.name, ""))
    before = grown.read_bytes()
    out = tmp_path / "标注.xlsx"
    result = CliRunner().invoke(cli, ["check", str(grown), "--annotate", str(out)])
    assert grown.read_bytes() == before
    if room == 0:
        assert result.exit_code == 0, result.output
        assert out.exists()
        return
    assert result.exit_code == 2
    assert result.stderr == (f"错误：{grown}：标注副本的工作簿单元格数超过上限（{cells}格，上限{cells - 1}格），无法生成标注副本"
                             "（请在 WPS/Excel 中删除表格以外多余的行和列后另存再试）\n")
    assert result.stdout.startswith(f"文件：{grown}")
    assert not out.exists()


def test_a_value_hidden_under_a_merge_is_never_lost_in_a_copy(tmp_path):
    """openpyxl keeps no value under a merged range: rather than a copy without the clerk's 3, no copy."""
    import re

    from factories import patch_zip, sheet_entries

    good = write(tmp_path / "报告.xlsx", filled_report())
    entry = sheet_entries(good)[spec.SHEET_REQUESTS]
    merged = patch_zip(good, {entry: lambda d: re.sub(rb'<mergeCells count="[0-9]+">', lambda m: m.group(0) + b'<mergeCell ref="D5:E5"/>', d)},
                       tmp_path / "合并.xlsx")
    out = tmp_path / "标注.xlsx"
    result = run("check", merged, "--annotate", out)
    assert result.exit_code == 2
    assert result.stderr == (f"错误：{merged}：三、依申请公开!E5 被合并单元格遮住，标注副本无法保留其中的内容，未生成标注副本"
                             "（请先在 WPS/Excel 中取消这些合并单元格，再运行 check --annotate）\n")
    assert "这个单元格被合并到D5:E5中" in result.stdout.replace("\n", "").replace(" ", "")
    assert not out.exists()


@pytest.mark.parametrize("markup", [b"<!--<mergeCells><mergeCell ref='A1:XFD1048576'/></mergeCells>-->",
                                    b"<![CDATA[<mergeCells/>]]>", b"<?pi <mergeCells/>?>", b"<!-- <mergeCells/> not closed"])
def test_merges_in_a_comment_cdata_or_instruction_are_no_merges_and_hide_none(markup):
    xml = b"<worksheet>" + markup + b"<sheetData/><mergeCells><mergeCell ref='A1:B2'/></mergeCells></worksheet>"
    assert annotate.merged_area(xml) == (0 if markup.endswith(b"not closed") else 4)


def test_the_word_mergecell_in_a_cells_text_does_not_hide_the_merges():
    xml = (b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>mergeCell</t></is></c>'
           b'<c r="B1"><f>"x:mergeCells"</f></c></row></sheetData><mergeCells><mergeCell ref="A1:B2"/></mergeCells></worksheet>')
    assert annotate.merged_area(xml) == 4
