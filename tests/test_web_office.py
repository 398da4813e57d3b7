"""xlreport serve --office through Flask's test client: the office's account, the agencies' links,
uploads, the overview and the 汇总, and every refusal between them."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from click.testing import CliRunner

from test_web import csrf, follow, texts, upload, workbooks  # noqa: F401  (a fixture)
from xlreport import limits
from xlreport.api import check_file
from xlreport.cli import cli
from xlreport.errors import InputError
from xlreport.format import spec
from xlreport.web.app import Settings, create_app
from xlreport.web.serve import make_server

PASSWORD = "县政务公开办2025"
LINK = re.compile(r"/a/[A-Za-z0-9_-]{20,}")


@pytest.fixture
def office_app(tmp_path):
    app = create_app(Settings(mode="office", office_dir=tmp_path / "收集"))
    yield app
    app.extensions["xlreport.work"].close()


def signed_in(app):
    client = app.test_client()
    page = client.get("/office/login")
    client.post("/office/login", data={"csrf": csrf(page), "password": PASSWORD, "again": PASSWORD})
    client.token = csrf(client.get("/office"))
    return client


@pytest.fixture
def office(office_app):
    """The office signed in, two agencies added; their links in ``office.links``."""
    client = signed_in(office_app)
    client.post("/office/agencies", data={"csrf": client.token, "names": "上犹县商务局\n上犹县教育局", "kind": "department"})
    client.post("/office/year", data={"csrf": client.token, "year": "2024"})  # the bundled example's year
    client.links = LINK.findall(client.get("/office/links").get_data(as_text=True))
    return client


def agency(app, link):
    client = app.test_client()
    client.link = link
    client.token = csrf(client.get(link))
    return client


def send(client, path, name="报告.xlsx"):
    """An upload, and the agency's page it comes back to."""
    page = client.post(client.link + "/upload", data={"csrf": client.token, "file": upload(path, name)}, follow_redirects=True)
    assert page.request.path == client.link
    return page


def overview_rows(office):
    rows = re.findall(r'<tr data-agency="([^"]+)">(.*?)</tr>', office.get("/office").get_data(as_text=True), re.S)
    return {name: re.findall(r'class="status status-[a-z]+">([^<]*)<', body)[0] for name, body in rows}


# --- the office's account ----------------------------------------------------------------------


def test_first_start_sets_the_password_from_this_machine_only(office_app):
    page = office_app.test_client().get("/office/login")
    assert texts(page, r"<h1>(.*?)</h1>") == ["首次使用：设置管理员密码"]
    remote = office_app.test_client().get("/office/login", environ_base={"REMOTE_ADDR": "192.168.1.20"})
    assert remote.status_code == 403


def test_a_short_or_mistyped_password_is_not_set(office_app):
    client = office_app.test_client()
    token = csrf(client.get("/office/login"))
    r = client.post("/office/login", data={"csrf": token, "password": "1234567", "again": "1234567"})
    assert texts(r, r'id="error">(.*?)</p>') == ["密码至少 8 个字符"]
    r = client.post("/office/login", data={"csrf": token, "password": PASSWORD, "again": PASSWORD + "x"})
    assert texts(r, r'id="error">(.*?)</p>') == ["两次输入的密码不一致"]
    assert not office_app.extensions["xlreport.store"].has_password


def test_the_overview_needs_the_office_password(office):
    stranger = office.application.test_client()
    r = stranger.get("/office")
    assert r.status_code == 302 and r.headers["Location"].startswith("/office/login")
    for path in ("/office/links", "/office/overview.xlsx", "/office/agency/1", "/office/files/1"):
        assert stranger.get(path).status_code == 302, path


def test_login_is_refused_after_too_many_wrong_passwords(office):
    client = office.application.test_client()
    token = csrf(client.get("/office/login"))
    for _ in range(limits.LOGIN_TRIES.value):
        r = client.post("/office/login", data={"csrf": token, "password": "猜一个"})
        assert texts(r, r'id="error">(.*?)</p>') == ["密码不对"]
    r = client.post("/office/login", data={"csrf": token, "password": PASSWORD})
    assert r.status_code == 429 and texts(r, r"<h1[^>]*>(.*?)</h1>") == ["尝试次数过多"]


def test_login_goes_back_only_to_a_page_of_this_server(office):
    client = office.application.test_client()
    token = csrf(client.get("/office/login"))
    r = client.post("/office/login?next=//evil.example/x", data={"csrf": token, "password": PASSWORD})
    assert r.headers["Location"] == "/office"


def test_logout_ends_the_session(office):
    office.post("/office/logout", data={"csrf": office.token})
    assert office.get("/office").status_code == 302


# --- agencies and their links ---------------------------------------------------------------------


def test_each_agency_gets_its_own_link_and_page(office):
    assert len(office.links) == 2 and len(set(office.links)) == 2
    for link, name in zip(office.links, ("上犹县商务局", "上犹县教育局")):
        page = office.application.test_client().get(link)
        assert texts(page, r"<h1>(.*?)</h1>") == [f"{name}：{office.application.extensions['xlreport.store'].year()}年度报告报送"]
    assert office.application.test_client().get("/a/" + "x" * 32).status_code == 404


def test_an_agency_added_twice_is_said_once(office):
    office.post("/office/agencies", data={"csrf": office.token, "names": "上犹县商务局", "kind": "department"})
    assert texts(office.get("/office"), r'id="flash">(.*?)</p>') == ["单位“上犹县商务局”已经添加过"]


def test_the_agency_workbook_is_made_out_to_it(office, tmp_path):
    client = agency(office.application, office.links[0])
    path = tmp_path / "w.xlsx"
    path.write_bytes(client.get(office.links[0] + "/workbook").data)
    report = check_file(path).report
    assert report.agency == "上犹县商务局" and report.year == office.application.extensions["xlreport.store"].year()


def test_uploads_show_on_the_agency_page_and_the_overview(office, workbooks):
    a = agency(office.application, office.links[0])
    page = send(a, workbooks["broken"], "第一版.xlsx")
    assert texts(page, r'id="status">(.*?)</p>')[0].startswith("当前状态：有错误")
    assert overview_rows(office) == {"上犹县商务局": "有错误", "上犹县教育局": "未提交"}
    page = send(a, workbooks["good"], "第二版.xlsx")
    assert texts(page, r'id="status">(.*?)</p>')[0].startswith("当前状态：有提醒") or "通过" in texts(page, r'id="status">(.*?)</p>')[0]
    history = texts(page, r'<table class="list" id="history">.*?<tbody>(.*?)</tbody>')[0]
    assert history.index("第二版.xlsx") < history.index("第一版.xlsx")  # newest first, the earlier one kept
    assert overview_rows(office)["上犹县商务局"] in ("通过", "有提醒")


def test_a_token_never_reaches_another_agencys_files(office, workbooks):
    a, b = agency(office.application, office.links[0]), agency(office.application, office.links[1])
    page = send(a, workbooks["good"])
    (own,) = re.findall(r"/a/[^/]+/files/(\d+)", page.get_data(as_text=True))
    assert a.get(f"{a.link}/files/{own}").data == workbooks["good"].read_bytes()
    assert b.get(f"{b.link}/files/{own}").status_code == 404
    assert "报告.xlsx" not in b.get(b.link).get_data(as_text=True)


def test_a_new_link_retires_the_old_one(office):
    old = office.links[0]
    office.post("/office/agency/1/token", data={"csrf": office.token})
    assert office.application.test_client().get(old).status_code == 404
    new = LINK.findall(office.get("/office/links").get_data(as_text=True))[0]
    assert new != old and office.application.test_client().get(new).status_code == 200


def test_an_upload_of_another_kind_is_refused(office):
    a = agency(office.application, office.links[0])
    r = a.post(a.link + "/upload", data={"csrf": a.token, "file": (io.BytesIO(b"x"), "报告.docx")})
    assert texts(a.get(a.link), r'id="flash">(.*?)</p>') == ["“报告.docx”不是可以读取的工作簿（可用：.xlsx、.xlsm、.xls、.ods）"]
    assert r.status_code == 303


def test_a_broken_upload_is_kept_and_shown_as_an_error(office):
    a = agency(office.application, office.links[0])
    page = send(a, type("P", (), {"read_bytes": lambda self: b"PK\x03\x04 broken", "name": "x.xlsx"})(), "坏的.xlsx")
    assert texts(page, r'id="status">(.*?)</p>')[0].startswith("当前状态：有错误")
    assert overview_rows(office)["上犹县商务局"] == "有错误"


def test_stored_uploads_keep_a_name_of_our_own(office, workbooks):
    a = agency(office.application, office.links[0])
    send(a, workbooks["good"], "../../../报告.xlsx")
    stored = list((office.application.extensions["xlreport.store"].uploads).iterdir())
    assert len(stored) == 1 and re.fullmatch(r"[0-9a-f]{32}\.xlsx", stored[0].name)


# --- what the office downloads ---------------------------------------------------------------------


def test_the_overview_workbook_has_a_row_per_agency(office, workbooks, tmp_path):
    send(agency(office.application, office.links[0]), workbooks["broken"])
    path = tmp_path / "o.xlsx"
    path.write_bytes(office.get("/office/overview.xlsx").data)
    ws = openpyxl.load_workbook(path)[spec.SHEET_OVERVIEW]
    statuses = [row[5] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert statuses == ["有错误", "未提交"]


def test_the_merged_workbook_adds_the_passing_agencies_and_checks_itself(office, workbooks, tmp_path):
    for link in office.links:
        send(agency(office.application, link), workbooks["good"])
    page = follow(office, office.post("/office/merged", data={"csrf": office.token, "agency": "上犹县人民政府"}))
    assert texts(page, r'id="merged-check">(.*?)</p>') == ["汇总结果检查通过"]
    link = re.search(r'id="merged-xlsx" href="([^"]+)"', page.get_data(as_text=True)).group(1)
    path = tmp_path / "m.xlsx"
    path.write_bytes(office.get(link).data)
    merged, one = check_file(path).report, check_file(workbooks["good"]).report
    assert merged.agency == "上犹县人民政府"
    for f in spec.INPUT_FIELDS:
        assert merged.values[f.path] == 2 * (one.values[f.path] or 0), f.key


def test_a_report_of_another_year_is_an_error_for_the_collection(office, workbooks):
    office.post("/office/year", data={"csrf": office.token, "year": "2025"})
    page = send(agency(office.application, office.links[0]), workbooks["good"])
    assert "报告年度为2024年，本次收集的是2025年度的报告" in texts(page, r"<tbody>(.*?)</tbody>")[0]
    assert overview_rows(office)["上犹县商务局"] == "有错误"


def test_the_deadlines_are_on_the_overview(office):
    year = office.application.extensions["xlreport.store"].year()
    (line,) = texts(office.get("/office"), r'id="deadlines">(.*?)</p>')
    assert line.startswith(f"截止日期：部门 {year + 1}年1月31日") and f"政府 {year + 1}年3月31日" in line


# --- starting the server --------------------------------------------------------------------------


def test_office_mode_refuses_other_machines_without_a_password(tmp_path):
    with pytest.raises(InputError, match="必须先设置管理员密码"):
        make_server(Settings(mode="office", office_dir=tmp_path, host="0.0.0.0"))


def test_serve_says_so_and_exits_2(tmp_path):
    r = CliRunner().invoke(cli, ["serve", "--office", str(tmp_path), "--host", "0.0.0.0", "--allowed-host", "10.0.0.5", "--no-browser"])
    assert r.exit_code == 2
    assert r.output.strip() == (f"错误：办公室模式要在 0.0.0.0 上对其他电脑开放，必须先设置管理员密码"
                                f"（运行 xlreport serve --office {tmp_path} --set-password）")


def test_serve_on_every_address_needs_the_names_it_answers_to():
    r = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--no-browser"])
    assert r.exit_code == 2 and "--allowed-host" in r.output


def test_the_servers_front_page_is_the_overview(office):
    r = office.application.test_client().get("/")
    assert r.status_code == 302 and r.headers["Location"] == "/office"


def test_a_wrong_collection_year_is_refused(office):
    office.post("/office/year", data={"csrf": office.token, "year": "二〇二四"})
    page = office.get("/office")
    assert texts(page, r'id="flash">(.*?)</p>') == [f"报告年度应为{spec.YEAR_MIN}—{spec.YEAR_MAX}之间的四位数年份"]
    assert texts(page, r"<h1>(.*?)</h1>") == ["2024年度报告报送总览"]


def test_the_office_sees_an_agencys_problems_and_every_upload(office, workbooks):
    a = agency(office.application, office.links[0])
    send(a, workbooks["broken"], "第一版.xlsx")
    send(a, workbooks["good"], "第二版.xlsx")
    page = office.get("/office/agency/1")
    assert texts(page, r"<h1>(.*?)</h1>") == ["上犹县商务局：2024年度报告报送"]
    history = texts(page, r'<table class="list" id="history">.*?<tbody>(.*?)</tbody>')[0]
    assert "第一版.xlsx" in history and "第二版.xlsx" in history
    first, second = sorted(int(i) for i in re.findall(r"/office/files/(\d+)", page.get_data(as_text=True)))
    assert office.get(f"/office/files/{first}").data == workbooks["broken"].read_bytes()
    assert office.get(f"/office/files/{second}").data == workbooks["good"].read_bytes()
    assert office.get("/office/agency/99").status_code == 404 and office.get("/office/files/99").status_code == 404


def test_a_merge_with_no_agency_passed_says_so(office):
    page = follow(office, office.post("/office/merged", data={"csrf": office.token, "agency": "上犹县人民政府"}))
    assert texts(page, r'id="message">(.*?)</p>') == ["还没有检查通过的单位，无法汇总"]


def test_office_forms_need_the_token_too(office):
    r = office.post("/office/agencies", data={"names": "伪造的单位", "kind": "department"})
    assert r.status_code == 400
    assert "伪造的单位" not in office.get("/office").get_data(as_text=True)
