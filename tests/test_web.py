"""xlreport serve through Flask's test client: every page, every refusal, as the user sees it."""

from __future__ import annotations

import html
import io
import re
import time
from pathlib import Path

import openpyxl
import pytest

from conftest import DATA
from xlreport import limits
from xlreport.api import check_file
from xlreport.format import spec
from xlreport.model import load_json_file
from xlreport.web.app import Settings, create_app
from xlreport.xlsx.writer import write_workbook

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf(page) -> str:
    return CSRF.search(page.get_data(as_text=True)).group(1)


def texts(page, pattern: str) -> list[str]:
    return [html.unescape(re.sub(r"\s+", " ", t).strip()) for t in re.findall(pattern, page.get_data(as_text=True), re.S)]


@pytest.fixture
def local():
    app = create_app(Settings(soffice=False))
    client = app.test_client()
    client.token = csrf(client.get("/"))
    yield client
    app.extensions["xlreport.work"].close()


@pytest.fixture(scope="module")
def example_report(example_json):
    return load_json_file(example_json)


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory, example_json):
    """The bundled example as a clerk's workbook, clean and with one broken 勾稽 (结转下年度 one too many)."""
    folder = tmp_path_factory.mktemp("web")
    good, broken = folder / "good.xlsx", folder / "broken.xlsx"
    report = load_json_file(example_json)
    write_workbook(good, report)
    report.values[("requests", "carried_forward", "natural_person")] += 1
    write_workbook(broken, report)
    return {"good": good, "broken": broken}


def upload(path: Path, name: str | None = None):
    return (io.BytesIO(path.read_bytes()), name or path.name)


def follow(client, response):
    """The page a post lands on (a 303 to its job)."""
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client.get(response.headers["Location"])


# --- 首页 ---------------------------------------------------------------------------------------


def test_home_offers_the_four_forms_each_with_its_token(local):
    page = local.get("/")
    assert texts(page, r"<h2>(.*?)</h2>") == ["新建工作簿", "检查", "生成 Word 报告", "导入 / 审阅已发布的报告"]
    assert page.get_data(as_text=True).count(f'name="csrf" value="{local.token}"') == 4


def test_every_asset_comes_from_the_server_itself(local):
    html = local.get("/").get_data(as_text=True)
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs and all(r.startswith("/") and not r.startswith("//") for r in refs), refs
    for asset in ("/static/style.css", "/static/app.js"):
        assert local.get(asset).status_code == 200


# --- 新建 ---------------------------------------------------------------------------------------


def test_new_downloads_the_workbook_of_the_agency_and_year(local, tmp_path):
    r = local.post("/new", data={"csrf": local.token, "agency": "上犹县测试局", "year": "2023"})
    assert r.status_code == 200
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    path = tmp_path / "new.xlsx"
    path.write_bytes(r.data)
    report = check_file(path).report
    assert (report.agency, report.year) == ("上犹县测试局", 2023)


def test_new_from_last_years_report_carries_it_over(local, tmp_path, example_json, example_report):
    r = local.post("/new", data={"csrf": local.token, "previous": upload(example_json, "去年.json")})
    path = tmp_path / "next.xlsx"
    path.write_bytes(r.data)
    report = check_file(path).report
    assert report.year == example_report.year + 1
    for col in spec.REQUEST_INPUT_COLUMNS:
        assert report.values[("requests", "carried_over", col)] == example_report.values[("requests", "carried_forward", col)]


def test_new_refuses_a_wrong_year_on_the_page(local):
    r = local.post("/new", data={"csrf": local.token, "year": "二〇二四"})
    assert r.status_code == 400
    assert texts(r, r'id="error">(.*?)</p>') == ["报告年度应为四位数年份，实际是'二〇二四'"]


# --- 检查 ---------------------------------------------------------------------------------------


def test_check_lists_exactly_the_problems_check_finds_and_marks_their_cells(local, workbooks):
    expected = check_file(workbooks["broken"]).problems
    page = follow(local, local.post("/check", data={"csrf": local.token, "files": upload(workbooks["broken"], "本单位.xlsx")}))
    assert page.status_code == 200
    rows = texts(page, r'<tbody>\s*(.*?)</tbody>')[0]
    for p in expected:
        assert p.message in rows
    html = page.get_data(as_text=True)
    assert len(re.findall(r'<tr class="(?:error|warning)', html)) == len(expected)
    errors = [p for p in expected if p.is_error]
    marked = set(re.findall(r'class="(?:input|total) mark-error"[^>]*data-cell="([A-Z]+[0-9]+)"', html))
    named = {c.split("!")[1] for p in errors for c in p.cells if c.split("!")[0] in {t.sheet for t in spec.TABLES}}
    assert errors and named and marked == named
    assert texts(page, r'class="status bad">(.*?)</p>') == [f"上犹县商务局 2024年：发现 {len(errors)} 个错误、{len(expected) - len(errors)} 个提醒。"]


def test_check_offers_the_annotated_copy(local, workbooks, tmp_path):
    page = follow(local, local.post("/check", data={"csrf": local.token, "files": upload(workbooks["broken"])}))
    link = re.search(r'id="annotated" href="([^"]+)"', page.get_data(as_text=True)).group(1)
    r = local.get(link)
    assert r.status_code == 200 and "%E5%B7%B2%E6%A0%87%E6%B3%A8" in r.headers["Content-Disposition"]  # 已标注
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(r.data)
    assert spec.SHEET_PROBLEMS in openpyxl.load_workbook(copy).sheetnames
    assert [p.message for p in check_file(copy).problems] == [p.message for p in check_file(workbooks["broken"]).problems]


def test_check_of_several_files_shows_one_row_each(local, workbooks):
    files = [upload(workbooks["good"], "甲.xlsx"), upload(workbooks["broken"], "乙.xlsx")]
    page = follow(local, local.post("/check", data={"csrf": local.token, "files": files}))
    rows = texts(page, r'<table class="summary" id="summary">.*?<tbody>(.*?)</tbody>')[0]
    assert re.sub(r"<[^>]+>", "|", rows).replace("| |", "||").count("通过") == 1
    assert "甲.xlsx" in rows and "乙.xlsx" in rows and "有错误" in rows


def test_an_unreadable_upload_is_named_by_the_clerks_file_name(local):
    page = follow(local, local.post("/check", data={"csrf": local.token, "files": (io.BytesIO(b"not a zip"), "坏文件.xlsx")}))
    (status,) = texts(page, r'class="alert status">(.*?)</p>')
    assert status.startswith("无法读取：坏文件.xlsx：") and "/tmp" not in status and "upload" not in status


def test_a_file_of_another_kind_is_refused_on_the_page(local):
    r = local.post("/check", data={"csrf": local.token, "files": (io.BytesIO(b"MZ"), "setup.exe")})
    assert r.status_code == 400
    assert texts(r, r'id="error">(.*?)</p>') == ["“setup.exe”不是可以读取的文件（可用：.xlsx、.xlsm、.xls、.ods、.json、.html、.htm、.docx、.pdf、.txt）"]


def test_the_name_an_upload_carries_never_becomes_a_path(local, workbooks, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    page = follow(local, local.post("/check", data={"csrf": local.token, "files": upload(workbooks["good"], "../../逃出去.xlsx")}))
    assert texts(page, r"<h2>(.*?)</h2>")[0] == "逃出去.xlsx"
    assert not list(tmp_path.parent.parent.glob("逃出去*")) and not list(tmp_path.rglob("*.xlsx"))


# --- 生成 ---------------------------------------------------------------------------------------


def test_build_gives_the_report_with_the_agency(local, workbooks, tmp_path):
    import docx

    page = follow(local, local.post("/build", data={"csrf": local.token, "file": upload(workbooks["good"])}))
    link = re.search(r'id="docx" href="([^"]+)"', page.get_data(as_text=True)).group(1)
    out = tmp_path / "r.docx"
    out.write_bytes(local.get(link).data)
    text = "\n".join(p.text for p in docx.Document(out).paragraphs)
    assert "上犹县商务局2024年政府信息公开工作年度报告" in text.replace("\n", "")


def test_build_refuses_a_workbook_with_errors_unless_asked(local, workbooks):
    page = follow(local, local.post("/build", data={"csrf": local.token, "file": upload(workbooks["broken"])}))
    errors = sum(p.is_error for p in check_file(workbooks["broken"]).problems)
    assert texts(page, r'id="message">(.*?)</p>') == [f"存在 {errors} 个错误，未生成报告。请修改后重新上传，或勾选“带着错误生成”。"]
    assert 'id="docx"' not in page.get_data(as_text=True)
    page = follow(local, local.post("/build", data={"csrf": local.token, "file": upload(workbooks["broken"]), "allow_errors": "1"}))
    assert 'id="docx"' in page.get_data(as_text=True)


def test_build_refuses_a_template_that_tries_to_run_code(local, workbooks, tmp_path):
    from docx import Document

    bad = tmp_path / "bad.docx"
    doc = Document()
    doc.add_paragraph("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    doc.save(bad)
    page = follow(local, local.post("/build", data={"csrf": local.token, "file": upload(workbooks["good"]), "template": upload(bad, "模板.docx")}))
    assert texts(page, r'id="message">(.*?)</p>') == [
        "模板.docx：模板中的“{{ ''.__class__.__mro__[1].__sub… }}”不允许使用（不能调用函数或方法），位置：正文第1段"]
    assert 'id="docx"' not in page.get_data(as_text=True)


# --- 导入/审阅 -------------------------------------------------------------------------------------


def test_import_reads_a_published_report_into_the_tables(local):
    source = DATA / "08-hongze-qu-2024.txt"
    from xlreport.importers import import_report

    expected = import_report(source).report
    page = follow(local, local.post("/import", data={"csrf": local.token, "file": upload(source)}))
    html = page.get_data(as_text=True)
    f = spec.FIELD_BY_PATH[("requests", "new", "natural_person")]
    cell = re.search(rf'data-sheet="{re.escape(f.sheet)}".*?data-cell="{f.cell}"[^>]*>([^<]*)<', html, re.S).group(1)
    assert expected.values[f.path] > 0 and cell == str(expected.values[f.path])


# --- the guards ---------------------------------------------------------------------------------------


def test_a_foreign_host_name_is_refused(local):
    r = local.get("/", headers={"Host": "attacker.example"})
    assert r.status_code == 400
    assert texts(r, r"<h1[^>]*>(.*?)</h1>") == ["请求无效"]


def test_a_post_without_the_token_is_refused(local):
    r = local.post("/new", data={"agency": "x"})
    assert r.status_code == 400
    assert texts(r, r'id="detail">(.*?)</p>') == ["表单已过期或不是从本页面提交的（CSRF 校验未通过），请刷新页面后重试。"]
    r = local.post("/new", data={"agency": "x", "csrf": "forged"})
    assert r.status_code == 400


def test_too_large_an_upload_gets_the_chinese_413(local):
    local.application.config["MAX_CONTENT_LENGTH"] = 1000
    r = local.post("/check", data={"csrf": local.token, "files": (io.BytesIO(b"x" * 5000), "a.xlsx")})
    assert r.status_code == 413
    assert texts(r, r"<h1[^>]*>(.*?)</h1>") == ["上传的文件太大"]


def test_too_many_files_at_once_get_the_413(local):
    files = [(io.BytesIO(b"x"), f"{i}.xlsx") for i in range(limits.UPLOAD_FILES.value + 1)]
    r = local.post("/check", data={"csrf": local.token, "files": files})
    assert r.status_code == 413


def test_pages_carry_the_security_headers_and_the_cookie_its_flags(local):
    r = local.get("/")
    assert "script-src 'self'" in r.headers["Content-Security-Policy"] and "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Referrer-Policy"] == "no-referrer"
    fresh = local.application.test_client()
    cookie = fresh.get("/").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_job_and_its_files_belong_to_the_session_that_started_them(local, workbooks):
    r = local.post("/check", data={"csrf": local.token, "files": upload(workbooks["broken"])})
    job = r.headers["Location"]
    page = local.get(job)
    link = re.search(r'id="annotated" href="([^"]+)"', page.get_data(as_text=True)).group(1)
    other = local.application.test_client()
    assert other.get(job).status_code == 404
    assert other.get(link).status_code == 404
    assert local.get(link).status_code == 200


def test_a_long_job_shows_its_progress_and_blocks_nobody(local, workbooks, monkeypatch):
    """While a job runs, its page says how far it is (and refreshes itself without JavaScript),
    and other pages are served."""
    import threading

    from xlreport.web import local as pages
    from xlreport.web import work

    release = threading.Event()
    real = pages.checked_view

    def slow(*args, **kwargs):
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(pages, "checked_view", slow)
    monkeypatch.setattr(work, "QUICK_SECONDS", 0.05)
    r = local.post("/check", data={"csrf": local.token, "files": [upload(workbooks["good"], "甲.xlsx"), upload(workbooks["good"], "乙.xlsx")]})
    job = r.headers["Location"]
    page = local.get(job)
    assert texts(page, r"<h1>(.*?)</h1>") == ["检查：处理中……"]
    assert '<meta http-equiv="refresh" content="2">' in page.get_data(as_text=True)
    assert local.get(job + ".json").get_json() == {"done": 0, "total": 2, "finished": False}
    assert local.application.test_client().get("/").status_code == 200
    release.set()
    local.application.extensions["xlreport.work"].wait(local.application.extensions["xlreport.work"].job(job.rsplit("/", 1)[1], _owner(local)), 30)
    assert local.get(job + ".json").get_json() == {"done": 2, "total": 2, "finished": True}
    assert texts(local.get(job), r"<h1>(.*?)</h1>") == ["检查结果"]


def _owner(client) -> str:
    with client.session_transaction() as session:
        return session["owner"]


def test_text_from_a_file_is_escaped_on_the_page(local, tmp_path, example_json):
    report = load_json_file(example_json)
    report.meta["agency"] = '<img src=x onerror="alert(1)">局'
    path = tmp_path / "x.xlsx"
    write_workbook(path, report)
    page = follow(local, local.post("/check", data={"csrf": local.token, "files": upload(path, "<b>名.xlsx")}))
    body = page.get_data(as_text=True)
    assert "<img src=x" not in body and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;局" in body
    assert "<b>名" not in body and "&lt;b&gt;名.xlsx" in body


@pytest.mark.parametrize("make", ["zip_bomb", "plain_zip_bomb"])
def test_a_hostile_upload_is_refused_with_the_limits_of_the_cli(local, workbooks, tmp_path, make):
    import test_bad_input

    path = getattr(test_bad_input, make)(tmp_path, workbooks["good"])
    page = follow(local, local.post("/check", data={"csrf": local.token, "files": upload(path)}))
    (status,) = texts(page, r'class="alert status">(.*?)</p>')
    assert status.startswith(f"无法读取：{path.name}：")
    assert status == "无法读取：" + _cli_message(path)


def _cli_message(path) -> str:
    from xlreport.errors import XlreportError

    try:
        check_file(path)
    except XlreportError as e:
        text = f"{e.message}（{e.hint}）" if e.hint else e.message
        return text.replace(str(path), path.name)
    raise AssertionError("the file was read")


@pytest.mark.libreoffice
def test_build_offers_the_pdf_where_libreoffice_is(workbooks, tmp_path):
    from conftest import find_soffice

    if find_soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    app = create_app(Settings(soffice=True))
    client = app.test_client()
    token = csrf(client.get("/"))
    r = client.post("/build", data={"csrf": token, "file": upload(workbooks["good"]), "pdf": "1"})
    job = r.headers["Location"]
    for _ in range(600):  # LibreOffice takes seconds: the job page is followed as the browser does
        if client.get(job + ".json").get_json()["finished"]:
            break
        time.sleep(0.2)
    page = client.get(job)
    link = re.search(r'id="pdf" href="([^"]+)"', page.get_data(as_text=True)).group(1)
    pdf = client.get(link).data
    assert pdf.startswith(b"%PDF")
    out = tmp_path / "r.pdf"
    out.write_bytes(pdf)
    import pdfplumber

    with pdfplumber.open(out) as doc:
        assert "上犹县商务局" in "".join(p.extract_text() or "" for p in doc.pages[:1])
    app.extensions["xlreport.work"].close()


def test_the_servers_temporary_files_go_after_an_hour(monkeypatch):
    """A server runs for months: uploads and the files made from them do not pile up."""
    from xlreport.web import work as pool

    clock = [1000.0]
    monkeypatch.setattr(pool.time, "monotonic", lambda: clock[0])
    w = pool.Work(workers=1)
    try:
        old = w.folder()
        (old / "upload.xlsx").write_bytes(b"x")
        key = w.keep(old / "upload.xlsx", "a.xlsx", "me")
        clock[0] += pool.KEPT_SECONDS + 1
        new = w.folder()  # any new work prunes what is older than an hour
        assert not old.exists() and new.exists() and w.file(key, "me") is None
    finally:
        w.close()
