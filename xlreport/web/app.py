"""The Flask application: one factory for both modes, and what guards every request.

- the Host header must name this server (Flask's TRUSTED_HOSTS): a page elsewhere that points a
  name of its own at 127.0.0.1 (DNS rebinding) gets 400, not the clerk's files;
- every POST carries the session's CSRF token; the session cookie is HttpOnly and SameSite;
- an upload is limited in size and in parts before it is read (limits.UPLOAD_BYTES, UPLOAD_FILES);
- pages allow only their own scripts and styles (CSP), are never framed, and send no Referer
  (an agency's link carries its token);
- every refusal is a Chinese page with the status it deserves.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, abort, render_template, request, session
from werkzeug.exceptions import HTTPException

from .. import limits
from ..format.spec import BATCH_FILE_COLUMNS, PROBLEM_COLUMNS
from ..version import __version__
from . import local, office
from .context import csrf_token
from .work import Work

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
FORM_PARTS = limits.UPLOAD_FILES.value + 50  # the files and the few fields beside them

ERROR_PAGES = {
    400: ("请求无效", "页面可能已过期，或地址不是本服务器的。请回到首页重新操作。"),
    403: ("无权访问", "这个页面需要登录，或链接不属于您的单位。"),
    404: ("页面不存在", "请检查地址，或回到首页。"),
    405: ("请求方式不对", "请从页面上的按钮提交。"),
    413: ("上传的文件太大", f"一次最多上传 {limits.UPLOAD_BYTES.shown()}、{limits.UPLOAD_FILES.shown()}文件。请分批上传。"),
    429: ("尝试次数过多", f"十分钟内登录失败超过{limits.LOGIN_TRIES.shown()}，请稍后再试。"),
    500: ("服务器内部错误", "请把操作步骤告诉 xlreport 的维护者。"),
}


@dataclass
class Settings:
    """How the web server runs: for one clerk on this machine, or as the office's server."""

    mode: str = "local"  # local | office
    office_dir: Path | None = None
    host: str = "127.0.0.1"
    allowed_hosts: tuple[str, ...] = ()  # names the server is reached by, besides the loopback ones
    secret_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    soffice: bool | None = None  # None: PDF offered where LibreOffice is found


def trusted_hosts(settings: Settings) -> list[str]:
    names = list(LOOPBACK_NAMES) + list(settings.allowed_hosts)
    if settings.host not in ("0.0.0.0", "::", "") and settings.host not in names:
        names.append(settings.host)
    return names


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TRUSTED_HOSTS=trusted_hosts(settings),
        MAX_CONTENT_LENGTH=limits.UPLOAD_BYTES.value,
        MAX_FORM_PARTS=FORM_PARTS,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",  # Lax: an agency's link opened from a chat still works
        SESSION_COOKIE_NAME="xlreport",
    )
    app.extensions["xlreport"] = settings
    app.extensions["xlreport.work"] = Work()
    app.jinja_env.globals.update(version=__version__, csrf_token=csrf_token, mode=settings.mode,
                                 problem_columns=PROBLEM_COLUMNS, file_columns=BATCH_FILE_COLUMNS)
    app.before_request(_check_csrf)
    app.after_request(_headers)
    app.register_error_handler(HTTPException, _error_page)
    if settings.mode == "office":
        app.register_blueprint(local.blueprint, url_prefix="/tools")  # the clerk's tools beside the collection
        office.attach(app, settings.office_dir)
    else:
        app.register_blueprint(local.blueprint)
    return app


def _check_csrf():
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    sent = request.form.get("csrf", "")
    if not sent or "csrf" not in session or not secrets.compare_digest(sent, session["csrf"]):
        abort(400, "表单已过期或不是从本页面提交的（CSRF 校验未通过），请刷新页面后重试。")
    return None


def _headers(response):
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _error_page(e: HTTPException):
    title, hint = ERROR_PAGES.get(e.code or 500, (e.name, ""))
    detail = e.description if isinstance(e.description, str) and _is_ours(e.description) else ""
    return render_template("error.html", title=title, hint=hint, detail=detail, code=e.code), e.code or 500


def _is_ours(text: str) -> bool:
    """werkzeug's own descriptions are English; ours are Chinese."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
