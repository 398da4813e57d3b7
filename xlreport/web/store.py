"""The office's collection in its folder: ``office.sqlite3`` (agencies, submissions, settings)
beside ``uploads/``, where every upload is kept under a random name of our own with the
suffix it was read by. The standard library's sqlite3, a connection per call: the server's
threads never share one."""

from __future__ import annotations

import datetime
import json
import secrets
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..office.batch import STATUS_NAMES as BATCH_STATUS_NAMES
from ..problems import Problem

KINDS = {"department": "部门", "government": "政府"}
# the national deadlines (条例第五十条): departments by 1月31日, governments by 3月31日 of the next year
DEADLINES = {"department": (1, 31), "government": (3, 31)}

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS agencies (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, token TEXT NOT NULL UNIQUE, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY, agency_id INTEGER NOT NULL REFERENCES agencies(id), stored TEXT NOT NULL UNIQUE,
    original TEXT NOT NULL, uploaded TEXT NOT NULL, status TEXT NOT NULL, errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL, message TEXT NOT NULL, problems TEXT NOT NULL, report_agency TEXT, report_year INTEGER);
CREATE INDEX IF NOT EXISTS submissions_by_agency ON submissions(agency_id, id);
"""


@dataclass
class Agency:
    """An agency the office collects reports from, and the token its upload link carries."""

    id: int
    name: str
    kind: str
    token: str

    @property
    def kind_name(self) -> str:
        return KINDS[self.kind]


@dataclass
class Submission:
    """One workbook an agency uploaded, and what checking it found."""

    id: int
    agency_id: int
    stored: str
    original: str
    uploaded: str
    status: str  # ok | warnings | errors | unreadable
    errors: int
    warnings: int
    message: str
    problems: list[Problem]
    report_agency: str | None
    report_year: int | None


STATUS_NAMES = {**BATCH_STATUS_NAMES, "unreadable": BATCH_STATUS_NAMES["errors"]}  # for the office, an unreadable upload has errors


class Store:
    def __init__(self, folder: Path):
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise InputError(f"{folder}：不是文件夹，不能用作收集文件夹")
        self.folder = folder
        self.uploads = folder / "uploads"
        self.uploads.mkdir(parents=True, exist_ok=True)
        self.db = folder / "office.sqlite3"
        with closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db, timeout=30)
        db.row_factory = sqlite3.Row
        return db

    def _run(self, sql: str, args=()) -> list[sqlite3.Row]:
        with closing(self._connect()) as db, db:
            return db.execute(sql, args).fetchall()

    # --- settings ---

    def setting(self, key: str, default: str | None = None) -> str | None:
        rows = self._run("SELECT value FROM settings WHERE key = ?", (key,))
        return rows[0]["value"] if rows else default

    def set_setting(self, key: str, value: str) -> None:
        self._run("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def secret_key(self) -> bytes:
        """The key that signs the sessions, kept so that a restart logs nobody out."""
        key = self.setting("secret_key")
        if key is None:
            key = secrets.token_hex(32)
            self.set_setting("secret_key", key)
        return bytes.fromhex(key)

    @property
    def has_password(self) -> bool:
        return self.setting("password") is not None

    def set_password(self, password: str) -> None:
        from werkzeug.security import generate_password_hash

        self.set_setting("password", generate_password_hash(password))

    def password_ok(self, password: str) -> bool:
        from werkzeug.security import check_password_hash

        stored = self.setting("password")
        return stored is not None and check_password_hash(stored, password)

    def year(self) -> int:
        """The report year being collected: set by the office, by default last year."""
        value = self.setting("year")
        return int(value) if value else datetime.date.today().year - 1

    # --- agencies ---

    def add_agency(self, name: str, kind: str) -> Agency:
        if kind not in KINDS:
            raise InputError(f"单位类型“{kind}”不对（应为部门或政府）")
        token = secrets.token_urlsafe(24)
        try:
            self._run("INSERT INTO agencies(name, kind, token, created) VALUES (?, ?, ?, ?)", (name, kind, token, _now()))
        except sqlite3.IntegrityError:
            raise InputError(f"单位“{name}”已经添加过") from None
        return self.agency_by_token(token)

    def agencies(self) -> list[Agency]:
        return [Agency(r["id"], r["name"], r["kind"], r["token"]) for r in self._run("SELECT * FROM agencies ORDER BY id")]

    def agency(self, agency_id: int) -> Agency | None:
        rows = self._run("SELECT * FROM agencies WHERE id = ?", (agency_id,))
        return Agency(rows[0]["id"], rows[0]["name"], rows[0]["kind"], rows[0]["token"]) if rows else None

    def agency_by_token(self, token: str) -> Agency | None:
        rows = self._run("SELECT * FROM agencies WHERE token = ?", (token,))
        if not rows or not secrets.compare_digest(rows[0]["token"], token):
            return None
        return Agency(rows[0]["id"], rows[0]["name"], rows[0]["kind"], rows[0]["token"])

    def new_token(self, agency_id: int) -> None:
        """A new link for an agency; the old one stops working."""
        self._run("UPDATE agencies SET token = ? WHERE id = ?", (secrets.token_urlsafe(24), agency_id))

    # --- submissions ---

    def upload_path(self, suffix: str) -> tuple[str, Path]:
        stored = secrets.token_hex(16) + suffix
        return stored, self.uploads / stored

    def add_submission(self, agency: Agency, stored: str, original: str, result) -> Submission:
        """``result``: the batch's FileResult of the stored file."""
        status = result.status
        if status == "ok" and result.warnings:
            status = "warnings"
        problems = json.dumps([p.to_dict() for p in result.problems], ensure_ascii=False)
        self._run(
            "INSERT INTO submissions(agency_id, stored, original, uploaded, status, errors, warnings, message, problems, "
            "report_agency, report_year) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (agency.id, stored, original, _now(), status, result.errors, result.warnings, result.message, problems,
             result.agency, result.year))
        return self.submissions(agency.id)[0]

    def submissions(self, agency_id: int) -> list[Submission]:
        """Newest first."""
        return [_submission(r) for r in self._run("SELECT * FROM submissions WHERE agency_id = ? ORDER BY id DESC", (agency_id,))]

    def submission(self, submission_id: int) -> Submission | None:
        rows = self._run("SELECT * FROM submissions WHERE id = ?", (submission_id,))
        return _submission(rows[0]) if rows else None

    def latest(self) -> dict[int, Submission]:
        """Each agency's last submission."""
        rows = self._run("SELECT * FROM submissions WHERE id IN (SELECT MAX(id) FROM submissions GROUP BY agency_id)")
        return {r["agency_id"]: _submission(r) for r in rows}


def deadline(kind: str, year: int) -> datetime.date:
    month, day = DEADLINES[kind]
    return datetime.date(year + 1, month, day)


def _submission(r: sqlite3.Row) -> Submission:
    return Submission(r["id"], r["agency_id"], r["stored"], r["original"], r["uploaded"], r["status"], r["errors"],
                      r["warnings"], r["message"], [Problem.from_dict(d) for d in json.loads(r["problems"])],
                      r["report_agency"], r["report_year"])


def _now() -> str:
    return datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
