"""What every page reaches through the running application: its settings, its pool, the
browser session's own id and CSRF token."""

from __future__ import annotations

import secrets

from flask import current_app, session


def work():
    return current_app.extensions["xlreport.work"]


def settings():
    return current_app.extensions["xlreport"]


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def owner() -> str:
    """Who this browser session is, for the jobs and files it started."""
    if "owner" not in session:
        session["owner"] = secrets.token_urlsafe(16)
    return session["owner"]
