"""The office's pages (``xlreport serve --office DIR``).

- /office: the overview (every agency, its status, last upload, problems; the deadlines), behind
  the office password; agencies added there, each with a secret link (/a/<token>), printable;
- /a/<token>: an agency's own page: download its workbook, upload (every upload kept, the last
  one counts), see its problems. A token opens only its own agency's page and files;
- the overview workbook, and the 汇总 of every agency that passed, with the 汇总's own check.
"""

from __future__ import annotations

import collections
import datetime
import os
import shutil
import threading
import time
from pathlib import Path

from flask import Blueprint, abort, redirect, render_template, request, send_file, session, url_for

from .. import limits
from ..errors import XlreportError
from ..model import clean_text
from ..shown import safe_name
from . import views
from .context import work
from ..api import SPREADSHEET_SUFFIXES
from .local import Refused, answer, shown_name, uploads
from .store import KINDS, STATUS_NAMES, Store, deadline

blueprint = Blueprint("office", __name__)
LOGIN_WINDOW = 600  # seconds over which failed logins are counted
SOON_DAYS = 14  # a deadline this close is shown in red for agencies that have not passed


def attach(app, folder: Path) -> None:
    store = Store(folder)
    app.extensions["xlreport.store"] = store
    app.extensions["xlreport.logins"] = Logins()
    app.config["SECRET_KEY"] = store.secret_key()
    app.register_blueprint(blueprint)


def store() -> Store:
    from flask import current_app

    return current_app.extensions["xlreport.store"]


class Logins:
    """Failed logins per client address in the last LOGIN_WINDOW seconds."""

    def __init__(self):
        self._failed: dict[str, collections.deque] = {}
        self._lock = threading.Lock()

    def blocked(self, who: str) -> bool:
        with self._lock:
            times = self._failed.get(who)
            now = time.monotonic()
            while times and now - times[0] > LOGIN_WINDOW:
                times.popleft()
            return bool(times) and len(times) >= limits.LOGIN_TRIES.value

    def failed(self, who: str) -> None:
        with self._lock:
            self._failed.setdefault(who, collections.deque()).append(time.monotonic())

    def succeeded(self, who: str) -> None:
        with self._lock:
            self._failed.pop(who, None)


def _logins() -> Logins:
    from flask import current_app

    return current_app.extensions["xlreport.logins"]


def signed_in() -> bool:
    return session.get("office") is True


def need_office():
    if not signed_in():
        abort(redirect(url_for("office.login", next=request.path)))


# --- sign in -------------------------------------------------------------------------------------


@blueprint.get("/")
def landing():
    return redirect(url_for("office.overview"))


@blueprint.route("/office/login", methods=["GET", "POST"])
def login():
    who = request.remote_addr or ""
    if not store().has_password:
        return _first_password(who)
    error = ""
    if request.method == "POST":
        if _logins().blocked(who):
            abort(429)
        if store().password_ok(request.form.get("password", "")):
            _logins().succeeded(who)
            session.clear()  # a new session at sign-in: no fixation
            session["office"] = True
            return redirect(_local_target(request.args.get("next")), 303)
        _logins().failed(who)
        error = "密码不对"
    return render_template("office_login.html", error=error, first=False)


def _first_password(who: str):
    """No password yet: it is set here, from this machine only (the server refuses to listen
    elsewhere without one)."""
    if who not in ("127.0.0.1", "::1"):
        abort(403)
    error = ""
    if request.method == "POST":
        password, again = request.form.get("password", ""), request.form.get("again", "")
        if len(password) < 8:
            error = "密码至少 8 个字符"
        elif password != again:
            error = "两次输入的密码不一致"
        else:
            store().set_password(password)
            session.clear()
            session["office"] = True
            return redirect(url_for("office.overview"), 303)
    return render_template("office_login.html", error=error, first=True)


def _local_target(target: str | None) -> str:
    """Only a path of this server: never an address elsewhere (an open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("office.overview")


@blueprint.post("/office/logout")
def logout():
    session.clear()
    return redirect(url_for("office.login"), 303)


# --- the overview ---------------------------------------------------------------------------------


def _rows():
    latest = store().latest()
    year = store().year()
    today = datetime.date.today()
    rows = []
    for a in store().agencies():
        s = latest.get(a.id)
        status = s.status if s else "missing"
        due = deadline(a.kind, year)
        days = (due - today).days
        rows.append({"agency": a, "submission": s, "status": status, "status_name": STATUS_NAMES[status],
                     "due": due, "days": days, "late": status not in ("ok", "warnings") and days <= SOON_DAYS})
    return rows


@blueprint.get("/office")
def overview():
    need_office()
    rows = _rows()
    counts = collections.Counter(r["status_name"] for r in rows)
    year = store().year()
    return render_template("office_overview.html", rows=rows, counts=counts, year=year, kinds=KINDS,
                           deadlines={k: deadline(k, year) for k in KINDS}, today=datetime.date.today(),
                           flash=session.pop("flash", ""))


@blueprint.post("/office/agencies")
def add_agencies():
    need_office()
    kind = request.form.get("kind", "department")
    names = [clean_text(line) for line in request.form.get("names", "").splitlines()]
    added, refused = [], []
    for name in filter(None, names):
        try:
            added.append(store().add_agency(name[:100], kind).name)
        except XlreportError as e:
            refused.append(e.message)
    session["flash"] = (f"已添加 {len(added)} 个单位。" if added else "") + "；".join(refused)
    return redirect(url_for("office.overview"), 303)


@blueprint.post("/office/year")
def set_year():
    need_office()
    value = request.form.get("year", "").strip()
    from ..format.spec import YEAR_MAX, YEAR_MIN

    if not value.isdigit() or not YEAR_MIN <= int(value) <= YEAR_MAX:
        session["flash"] = f"报告年度应为{YEAR_MIN}—{YEAR_MAX}之间的四位数年份"
    else:
        store().set_setting("year", value)
    return redirect(url_for("office.overview"), 303)


@blueprint.get("/office/links")
def links():
    need_office()
    return render_template("office_links.html", agencies=store().agencies(), base=request.host_url.rstrip("/"),
                           year=store().year())


@blueprint.post("/office/agency/<int:agency_id>/token")
def new_token(agency_id: int):
    need_office()
    found(store().agency(agency_id))
    store().new_token(agency_id)
    session["flash"] = "已生成新链接，旧链接已失效"
    return redirect(url_for("office.agency_detail", agency_id=agency_id), 303)


@blueprint.get("/office/agency/<int:agency_id>")
def agency_detail(agency_id: int):
    need_office()
    return _agency_page(found(store().agency(agency_id)), office=True)


@blueprint.get("/office/files/<int:submission_id>")
def office_file(submission_id: int):
    need_office()
    return _send_upload(found(store().submission(submission_id)))


# --- an agency's own page ----------------------------------------------------------------------


def found(thing):
    """``thing``, or 404 when there is none (not 403: a wrong id or token says nothing about which exist)."""
    if thing is None:
        abort(404)
    return thing


def _agency_for(token: str):
    return found(store().agency_by_token(token))


@blueprint.get("/a/<token>")
def agency_home(token: str):
    return _agency_page(_agency_for(token), office=False)


@blueprint.post("/a/<token>/upload")
def agency_upload(token: str):
    agency = _agency_for(token)
    try:
        files = uploads("file")
    except Refused as e:
        session["flash"] = str(e)
        return redirect(url_for("office.agency_home", token=token), 303)
    storage = files[0]
    name = shown_name(storage)
    suffix = Path(name).suffix.lower()
    if suffix not in SPREADSHEET_SUFFIXES:
        session["flash"] = f"“{name}”不是可以读取的工作簿（可用：.xlsx、.xlsm、.xls、.ods）"
        return redirect(url_for("office.agency_home", token=token), 303)
    stored, path = store().upload_path(suffix)
    staging = work().folder() / f"upload{suffix}"
    storage.save(staging)
    shutil.move(staging, path)  # complete before it is recorded: no half-written upload is ever listed
    keeper, back = store(), url_for("office.agency_home", token=token)
    return answer("检查上传的工作簿", lambda job: _check_submission(keeper, agency, stored, name, path, back))


def _check_submission(keeper: Store, agency, stored: str, name: str, path: Path, back: str) -> dict:
    from ..office.batch import check_many

    (result,) = check_many([path], workers=1)  # the batch's own guard: any failure is this file's row
    year = keeper.year()
    if result.status != "unreadable" and result.year != year:
        result.problems.insert(0, _wrong_year(result.year, year))
        result.status, result.errors = "errors", result.errors + 1
    keeper.add_submission(agency, stored, name, result)
    return {"redirect": back}


def _wrong_year(found: int | None, wanted: int):
    from ..format.spec import META_BY_KEY
    from ..problems import make

    m = META_BY_KEY["year"]
    return make("meta-year", f"报告年度为{found or '（未填）'}年，本次收集的是{wanted}年度的报告", sheet=m.sheet, cell=m.cell,
                row_label=m.label, expected=str(wanted), actual=str(found or ""))


@blueprint.get("/a/<token>/workbook")
def agency_workbook(token: str):
    agency = _agency_for(token)
    from ..api import new_report, report_name
    from ..xlsx.writer import write_workbook

    report = new_report(agency.name, store().year())
    out = work().folder() / "workbook.xlsx"
    write_workbook(out, report)
    return send_file(out, as_attachment=True, download_name=f"{report_name(report)}.xlsx")


@blueprint.get("/a/<token>/files/<int:submission_id>")
def agency_file(token: str, submission_id: int):
    agency = _agency_for(token)
    s = store().submission(submission_id)
    if s is None or s.agency_id != agency.id:
        abort(404)
    return _send_upload(s)


def _send_upload(s):
    path = store().uploads / s.stored
    if not path.is_file():
        abort(404)
    return send_file(path, as_attachment=True, download_name=s.original)


def _agency_page(agency, office: bool):
    history = store().submissions(agency.id)
    latest = history[0] if history else None
    report = None
    if latest is not None and latest.status != "unreadable":
        report = _report_of(latest)
    flash = session.pop("flash", "")
    return render_template(
        "agency.html", agency=agency, office=office, history=history, latest=latest, status_names=STATUS_NAMES,
        problems=views.problem_rows(latest.problems) if latest else [],
        tables=views.table_views(report, latest.problems) if report is not None else [],
        due=deadline(agency.kind, store().year()), year=store().year(), flash=flash)


def _report_of(s):
    """The report of a stored upload, read again for the tables (a few milliseconds)."""
    from ..api import load

    try:
        return load(store().uploads / s.stored, with_text=False).report
    except XlreportError:
        return None


# --- what the office downloads -----------------------------------------------------------------------


@blueprint.get("/office/overview.xlsx")
def overview_workbook():
    need_office()
    from ..office.batch import FileResult, OverviewWriter

    out = work().folder() / "overview.xlsx"
    with OverviewWriter(out) as writer:
        for r in _rows():
            s = r["submission"]
            if s is None:
                writer.add(FileResult(r["agency"].name, "missing", r["agency"].name, None, message="未提交"))
            else:
                writer.add(FileResult(f"{r['agency'].name}：{s.original}", "ok" if s.status in ("ok", "warnings") else s.status,
                                      s.report_agency or r["agency"].name, s.report_year, s.errors, s.warnings, s.problems,
                                      s.message))
    return send_file(out, as_attachment=True, download_name=f"{store().year()}年各单位检查结果.xlsx")


@blueprint.post("/office/merged")
def merged():
    need_office()
    passing = [(r["agency"], r["submission"]) for r in _rows() if r["status"] in ("ok", "warnings")]
    name = clean_text(request.form.get("agency", "")) or "汇总"
    year = store().year()
    folder = work().folder()
    for agency, s in passing:  # named by agency: the 汇总明细 rows and any message say who each is
        shutil.copyfile(store().uploads / s.stored, folder / f"{safe_name(agency.name)}{Path(s.stored).suffix}")
    return answer("汇总", lambda job: _merge(job, folder, name, year), total=len(passing))


def _merge(job, folder: Path, name: str, year: int) -> dict:
    from ..api import check_file
    from ..office.batch import check_many, collect
    from ..office.merge import SUMMARY_SHEET, MergeError, digest
    from ..office.merge import merge as merge_results
    from ..xlsx.writer import write_workbook

    paths = collect([folder])
    page = {"template": "office_merged.html", "count": len(paths), "year": year}
    if not paths:
        page["message"] = "还没有检查通过的单位，无法汇总"
        return page

    def counted(results):
        for r in results:
            job.done += 1
            yield r

    try:
        result = merge_results(counted(check_many(paths, keep=digest, with_text=False, workers=1)), name, year)
    except MergeError as e:
        page["message"] = e.line().replace(f"{folder}{os.sep}", "")
        return page
    out = folder / "merged.xlsx"  # beside the copies, which collect() has already listed
    write_workbook(out, result.report, extra_sheets=[(SUMMARY_SHEET, result.summary)])
    checked = check_file(out)
    page.update(file=job.keep(out, f"{safe_name(name)}{year}年汇总.xlsx"),
                warnings=[w.replace(f"{folder}{os.sep}", "") for w in result.warnings],
                problems=views.problem_rows(checked.problems), tables=views.table_views(checked.report, checked.problems),
                errors=checked.errors, files=result.files)
    return page
