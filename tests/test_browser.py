"""xlreport serve in a real browser: Debian's chromium driven by selenium (skipped where chromium
or chromedriver is absent; .ci/run installs both). The server is the real one, waitress on a
free port of 127.0.0.1.

With XLREPORT_SCREENSHOTS=folder the pages are also saved there as PNG (the README's pictures).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from xlreport.model import load_json_file
from xlreport.web.app import Settings
from xlreport.web.serve import address, make_server, stop
from xlreport.web.store import Store
from xlreport.xlsx.writer import write_workbook

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")
REQUIRED = bool(os.environ.get("XLREPORT_REQUIRE_BROWSER"))  # set by .ci/run: there a missing browser fails the run
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER) and not REQUIRED, reason="chromium and chromedriver are not installed")
SHOTS = os.environ.get("XLREPORT_SCREENSHOTS")
WAIT = 60  # seconds a page may take to appear (a loaded CI machine), never a limit on speed


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(tmp_path_factory, downloads):
    assert CHROMIUM and DRIVER, "XLREPORT_REQUIRE_BROWSER is set but chromium or chromedriver is missing"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=zh-CN",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False,
                                              "intl.accept_languages": "zh-CN"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def serving(settings: Settings):
    server = make_server(settings)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server, address(settings, server)


@pytest.fixture
def local_server():
    server, url = serving(Settings(soffice=False))
    yield url
    stop(server)


@pytest.fixture
def office_server(tmp_path):
    folder = tmp_path / "office"
    store = Store(folder)
    store.set_password("县政务公开办2025")
    store.set_setting("year", "2024")
    server, url = serving(Settings(mode="office", office_dir=folder))
    yield url, store
    stop(server)


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser-books")
    report = load_json_file(Path(__file__).resolve().parents[1] / "examples" / "shangyou-commerce-2024.json")
    good, broken = folder / "本单位.xlsx", folder / "本单位-有错.xlsx"
    write_workbook(good, report)
    report.values[("requests", "carried_forward", "natural_person")] += 1
    write_workbook(broken, report)
    return {"good": good, "broken": broken}


def wait_for(browser, css: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT).until(seen.presence_of_element_located((By.CSS_SELECTOR, css)))


def shot(browser, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        height = browser.execute_script("return document.body.scrollHeight")
        browser.set_window_size(1280, min(max(height + 40, 600), 2400))
        browser.save_screenshot(str(Path(SHOTS) / f"serve-{name}.png"))
        browser.set_window_size(1280, 1000)


def submit(browser, form: str, field: str, path: Path):
    from selenium.webdriver.common.by import By

    browser.find_element(By.CSS_SELECTOR, f"#{form} input[name={field}]").send_keys(str(path))
    browser.find_element(By.CSS_SELECTOR, f"#{form} button[type=submit]").click()


def downloaded(folder: Path, suffix: str) -> Path:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(f"*{suffix}") if p.stat().st_size > 0]
        if done and not list(folder.glob("*.crdownload")):
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} in {folder}: {list(folder.iterdir())}")


def test_the_clerks_path(browser, local_server, workbooks, downloads):
    """A broken 勾稽 shows as a problem row and a marked cell; fixed, the report downloads."""
    import docx
    from selenium.webdriver.common.by import By

    from xlreport.api import check_file

    browser.get(local_server)
    assert browser.find_element(By.CSS_SELECTOR, "#check h2").text == "检查"
    shot(browser, "home")
    submit(browser, "check", "files", workbooks["broken"])
    wait_for(browser, "table.problems")
    expected = [p for p in check_file(workbooks["broken"]).problems if p.is_error]
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "table.problems tr.error")]
    assert len(rows) == len(expected) and all(p.message in row for p, row in zip(expected, rows))
    marked = {td.get_attribute("data-cell") for td in browser.find_elements(By.CSS_SELECTOR, "td.mark-error")}
    assert {c.split("!")[1] for p in expected for c in p.cells if "三" in c} <= marked
    shot(browser, "check")

    browser.get(local_server)
    submit(browser, "build", "file", workbooks["good"])
    link = wait_for(browser, "#docx")
    shot(browser, "build")
    link.click()
    report = downloaded(downloads, ".docx")
    text = "".join(p.text for p in docx.Document(report).paragraphs)
    assert "上犹县商务局" in text


def test_the_office_path(browser, office_server, workbooks):
    """Two agencies upload; the overview shows both; one agency's link cannot open the other's file."""
    from selenium.webdriver.common.by import By

    url, store = office_server
    browser.get(url + "office/login")
    browser.find_element(By.NAME, "password").send_keys("县政务公开办2025")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(browser, "#add")
    browser.find_element(By.NAME, "names").send_keys("上犹县商务局\n上犹县教育局")
    browser.find_element(By.CSS_SELECTOR, "#add form button[type=submit]").click()
    wait_for(browser, "#flash")
    browser.get(url + "office/links")
    links = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#links td.link")]
    assert len(links) == 2
    shot(browser, "links")
    for link, book in zip(links, (workbooks["broken"], workbooks["good"])):
        browser.get(link)
        browser.find_element(By.CSS_SELECTOR, "input[name=file]").send_keys(str(book))
        browser.find_element(By.CSS_SELECTOR, "form[enctype] button[type=submit]").click()
        wait_for(browser, "#history")
    shot(browser, "agency")
    browser.get(url + "office")
    statuses = {tr.get_attribute("data-agency"): tr.find_element(By.CSS_SELECTOR, "td.status").text
                for tr in browser.find_elements(By.CSS_SELECTOR, "#agencies tbody tr")}
    assert statuses["上犹县商务局"] == "有错误" and statuses["上犹县教育局"] in ("通过", "有提醒")
    shot(browser, "overview")
    first, second = store.agencies()
    (theirs,) = store.submissions(second.id)
    browser.get(f"{links[0]}/files/{theirs.id}")
    assert browser.find_element(By.CSS_SELECTOR, "h1").text == "页面不存在"
