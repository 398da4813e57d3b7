"""The clerk's pages: 新建, 检查, 生成, 导入/审阅. Each form posts files; the work runs in the pool
(work.py) and the answer is a page at /jobs/<id> (a redirect after the post: reloading never
sends the files again). An uploaded file is written into a private temporary folder under a
name of our own, never under the name the request carries; that name is kept for display."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for

from .. import limits
from ..api import PUBLISHED_SUFFIXES, SPREADSHEET_SUFFIXES, check_file, check_report, load, new_report, report_name
from ..errors import XlreportError
from ..shown import shown
from . import views
from .context import owner, settings, work

blueprint = Blueprint("local", __name__)

REPORT_SUFFIXES = SPREADSHEET_SUFFIXES + (".json",) + PUBLISHED_SUFFIXES  # what 检查 and 生成 read
TEMPLATE_SUFFIXES = (".docx",)


class Refused(Exception):
    """An upload the page answers with a message (the form shown again)."""


def shown_name(storage) -> str:
    """The file name as the clerk's computer sent it, for display only: its last part, its
    control characters escaped."""
    raw = (storage.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return shown(raw)[:120] or "（未命名文件）"


def save(storage, folder: Path, suffixes: tuple[str, ...], stem: str = "upload") -> tuple[Path, str]:
    """The upload written as ``folder/stem<suffix>``; the suffix must be one of ``suffixes``."""
    name = shown_name(storage)
    suffix = Path(name).suffix.lower()
    if suffix not in suffixes:
        raise Refused(f"“{name}”不是可以读取的文件（可用：{'、'.join(suffixes)}）")
    path = folder / f"{stem}{suffix}"
    storage.save(path)
    return path, name


def uploads(field: str, required: bool = True) -> list:
    files = [f for f in request.files.getlist(field) if f and f.filename]
    if len(files) > limits.UPLOAD_FILES.value:
        abort(413)
    if required and not files:
        raise Refused("请先选择文件")
    return files


def answer(title: str, fn, total: int = 1):
    """Run ``fn(job)`` in the pool; the page that follows it."""
    job = work().start(title, owner(), fn, total)
    work().wait(job)
    return redirect(url_for("local.job_page", job_id=job.id), 303)


def refused_page(message: str, status: int = 400):
    return render_template("home.html", error=message, pdf=_pdf_available()), status


@blueprint.errorhandler(Refused)
def _refused(e: Refused):
    return refused_page(str(e))


@blueprint.get("/")
def home():
    return render_template("home.html", pdf=_pdf_available())


# --- 新建 ---------------------------------------------------------------------------------------


@blueprint.post("/new")
def new():
    from ..model import parse_year

    agency = request.form.get("agency", "").strip()
    try:
        year = parse_year(request.form.get("year", "").strip() or None, lambda m: Refused(f"报告年度{m}"))
    except Refused as e:
        return refused_page(str(e))
    files = uploads("previous", required=False)
    folder = work().folder()
    previous = None
    try:
        if files:
            path, name = save(files[0], folder, REPORT_SUFFIXES, "previous")
            try:
                previous = load(path).report
            except XlreportError as e:
                raise Refused(f"上一年度报告：{_plain(e, (path, name))}")
        report = new_report(agency or None, year, previous=previous)
        out = folder / "workbook.xlsx"
        from ..xlsx.writer import write_workbook

        write_workbook(out, report)
    except XlreportError as e:
        raise Refused(e.line())
    return send_file(out, as_attachment=True, download_name=f"{report_name(report)}.xlsx")


# --- 检查 ---------------------------------------------------------------------------------------


@blueprint.post("/check")
def check():
    saved = []
    for storage in uploads("files"):
        folder = work().folder()  # one each: every file keeps its own accept record and annotated copy
        saved.append(save(storage, folder, REPORT_SUFFIXES))
    return answer("检查", lambda job: _check_files(job, saved), total=len(saved))


def _check_files(job, saved) -> dict:
    results = []
    for path, name in saved:
        results.append(checked_view(path, name, job))
        job.done += 1
    return {"template": "result.html", "results": results}


def checked_view(path: Path, name: str, job, annotate: bool = True) -> dict:
    """One file checked, as the result page shows it: status, problems, tables, the annotated copy."""
    try:
        checked = check_file(path)
    except XlreportError as e:
        problems = list(getattr(e, "problems", []) or [])
        return {"name": name, "status": "unreadable", "message": _plain(e, (path, name)), "problems": views.problem_rows(problems),
                "tables": [], "errors": max(1, len(problems)), "warnings": 0}
    view = {
        "name": name, "status": "errors" if checked.errors else "ok", "message": "", "agency": checked.report.agency,
        "year": checked.report.year, "errors": checked.errors, "warnings": checked.warnings,
        "problems": views.problem_rows(checked.problems), "tables": views.table_views(checked.report, checked.problems),
    }
    if annotate and checked.problems and path.suffix.lower() in (".xlsx", ".xlsm"):
        view["annotated"] = _annotated(path, name, checked, job)
    return view


def _annotated(path: Path, name: str, checked, job) -> str | None:
    from ..xlsx import annotate

    out = path.with_name("annotated" + path.suffix.lower())
    try:
        annotate.write_annotated(out, path, checked.problems)
    except XlreportError:
        return None  # the check stands; only the copy could not be made
    return job.keep(out, f"{Path(name).stem}（已标注问题）{path.suffix.lower()}")


# --- 生成 ---------------------------------------------------------------------------------------


@blueprint.post("/build")
def build():
    files = uploads("file")
    folder = work().folder()
    source, name = save(files[0], folder, REPORT_SUFFIXES)
    template = None
    templates = uploads("template", required=False)
    if templates:
        template = save(templates[0], folder, TEMPLATE_SUFFIXES, "template")
    allow_errors = request.form.get("allow_errors") == "1"
    pdf = request.form.get("pdf") == "1" and _pdf_available()
    return answer("生成报告", lambda job: _build(source, name, template, allow_errors, pdf, folder, job))


def _build(source: Path, name: str, template: tuple[Path, str] | None, allow_errors: bool, pdf: bool, folder: Path,
           job) -> dict:
    from ..word.render import convert_to_pdf, render_docx

    templates = [template] if template else []
    try:
        loaded = load(source)
    except XlreportError as e:
        return {"template": "built.html", "name": name, "message": _plain(e, (source, name), *templates)}
    problems = check_report(loaded.report, loaded.problems)
    rows = views.problem_rows(problems)
    errors = sum(1 for p in problems if p.is_error)
    page = {"template": "built.html", "name": name, "problems": rows, "errors": errors,
            "tables": views.table_views(loaded.report, problems)}
    if errors and not allow_errors:
        page["message"] = f"存在 {errors} 个错误，未生成报告。请修改后重新上传，或勾选“带着错误生成”。"
        return page
    title = report_name(loaded.report)
    notes: list[str] = []
    try:
        docx = render_docx(loaded.report, folder / "report.docx", template=template[0] if template else None, warn=notes.append)
        page["docx"] = job.keep(docx, f"{title}.docx")
        if pdf:
            substituted = convert_to_pdf(docx, folder / "report.pdf")
            page["pdf"] = job.keep(folder / "report.pdf", f"{title}.pdf")
            notes += substituted
    except XlreportError as e:
        page["message"] = _plain(e, (source, name), *templates)
    page["notes"] = notes
    return page


# --- 导入/审阅 -----------------------------------------------------------------------------------


@blueprint.post("/import")
def import_():
    files = uploads("file")
    folder = work().folder()
    path, name = save(files[0], folder, PUBLISHED_SUFFIXES + (".json",))
    return answer("导入", lambda job: {"template": "result.html", "results": [checked_view(path, name, job, annotate=False)],
                                           "imported": True})


# --- jobs and files ------------------------------------------------------------------------------


@blueprint.get("/jobs/<job_id>")
def job_page(job_id: str):
    job = work().job(job_id, owner())
    if job is None:
        abort(404)
    if not job.finished:
        return render_template("job.html", job=job)
    error = job.future.exception()
    if error is not None:
        raise error
    page = dict(job.future.result())
    if "redirect" in page:
        return redirect(page["redirect"], 303)
    return render_template(page.pop("template"), **page)


@blueprint.get("/jobs/<job_id>.json")
def job_state(job_id: str):
    job = work().job(job_id, owner())
    if job is None:
        abort(404)
    return {"done": job.done, "total": job.total, "finished": job.finished}


@blueprint.get("/files/<key>")
def download(key: str):
    found = work().file(key, owner())
    if found is None:
        abort(404)
    path, name = found
    return send_file(path, as_attachment=True, download_name=name)


def _plain(e: XlreportError, *named: tuple[Path, str]) -> str:
    """A library error as the page says it: the clerk's file names where the message names the
    temporary files they were saved as (``named``: pairs of path and name)."""
    from ..shown import shown_path

    text = e.line()
    for path, name in named:
        text = text.replace(shown_path(path), name).replace(str(path), name)
    return text


def _pdf_available() -> bool:
    wanted = settings().soffice
    if wanted is not None:
        return wanted
    from ..word.render import find_soffice

    return find_soffice() is not None
