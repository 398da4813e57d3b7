"""docs/check-json.md is generated from the declared schema of `xlreport check --json`, and
real output of the command validates against that schema (closed: no key undeclared)."""

from __future__ import annotations

import dataclasses
import json
import re

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import REPO
from factories import filled_report, set_cells, write
from xlreport import model
from xlreport.cli import cli
from xlreport.format import jsondoc, spec
from xlreport.format.rules import RULE_BY_CODE
from xlreport.problems import Problem

VALIDATOR = jsonschema.Draft202012Validator(jsondoc.CHECK_SCHEMA)
META = spec.META_BY_KEY


def run(*args) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, json.loads(result.stdout)


def valid(doc: dict) -> dict:
    errors = sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    return doc


def objects(schema: dict):
    yield schema
    yield from schema.get("$defs", {}).values()


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return write(tmp_path_factory.mktemp("docs") / "base.xlsx", filled_report())


@pytest.fixture
def many(base, tmp_path):
    """Errors on several sheets, a blank number (a warning) and no agency."""
    return set_cells(base, {
        (spec.SHEET_META, META["agency"].cell): None,
        ("active", "coercion"): "3件",
        ("requests", "carried_forward", "business"): 100,
        ("appeals", "review", "upheld"): None,
    }, tmp_path / "多问题.xlsx")


# --- the document --------------------------------------------------------------------------


def test_committed_check_json_doc_is_current():
    assert (REPO / "docs" / "check-json.md").read_text(encoding="utf-8") == jsondoc.document()


def test_the_doc_has_a_row_for_every_key_of_every_object():
    lines = jsondoc.document().splitlines()
    for obj in objects(jsondoc.CHECK_SCHEMA):
        assert f"## {obj['title']}" in lines
        for key, prop in obj["properties"].items():
            assert "|" not in prop["description"]
            assert any(line.startswith(f"| `{key}` | ") and line.endswith(f" | {prop['description']} |") for line in lines), key
    assert "| `accepted` | 字符串 |" in jsondoc.document()


def test_the_doc_example_is_valid_output():
    example = re.search(r"```json\n(.*?)```", jsondoc.document(), re.S).group(1)
    doc = valid(json.loads(example))
    problem = doc["files"][0]["problems"][0]
    assert problem["title"] == RULE_BY_CODE[problem["code"]].title
    assert problem["severity"] == RULE_BY_CODE[problem["code"]].severity.value


def test_check_mode_reports_a_stale_doc(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "check-json.md"
    stale.write_text("old", encoding="utf-8")
    monkeypatch.setattr(jsondoc, "DOC", stale)
    assert jsondoc.main(["--check"]) == 1
    assert "is stale" in capsys.readouterr().err
    assert jsondoc.main([]) == 0
    assert stale.read_text(encoding="utf-8") == jsondoc.document()
    assert jsondoc.main(["--check"]) == 0


# --- the schema ----------------------------------------------------------------------------


def test_the_schema_is_a_valid_schema_and_closed_everywhere():
    jsonschema.Draft202012Validator.check_schema(jsondoc.CHECK_SCHEMA)
    for obj in objects(jsondoc.CHECK_SCHEMA):
        assert obj["type"] == "object" and obj["additionalProperties"] is False, obj["title"]
        assert obj["required"] == list(obj["properties"]), obj["title"]
        for prop in obj["properties"].values():
            assert prop.get("description") or "$ref" in prop


def test_a_problem_s_keys_are_the_problem_s_fields_and_its_title():
    fields = {f.name for f in dataclasses.fields(Problem)} | {"title"}
    assert set(jsondoc.PROBLEM["properties"]) == fields
    sample = Problem("value-blank", RULE_BY_CODE["value-blank"].severity, "说明", cells=("a!A1",))
    assert set(sample.to_dict()) == fields


def test_the_schema_refuses_an_undeclared_key():
    doc = {"files": [], "errors": 0, "warnings": 0, "unreadable": 0}
    valid(doc)
    assert not VALIDATOR.is_valid({**doc, "extra": 1})
    problem = {k: "" for k in jsondoc.PROBLEM["properties"]} | {"code": "value-blank", "severity": "warning", "cells": []}
    entry = {"file": "a.xlsx", "status": "ok", "message": "", "hint": "", "agency": None, "year": None,
             "errors": 0, "warnings": 1, "problems": [problem]}
    valid({**doc, "files": [entry]})
    assert not VALIDATOR.is_valid({**doc, "files": [{**entry, "problems": [{**problem, "new": ""}]}]})
    assert not VALIDATOR.is_valid({**doc, "files": [{**entry, "problems": [{k: v for k, v in problem.items() if k != "accepted"}]}]})


# --- real output ---------------------------------------------------------------------------


def test_output_for_ok_errors_and_unreadable_files_validates(base, many, tmp_path):
    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    code, doc = run("check", "--json", base, many, empty, tmp_path / "没有.xlsx")
    assert code == 2
    valid(doc)
    assert [f["status"] for f in doc["files"]] == ["ok", "errors", "unreadable", "unreadable"]
    assert doc["files"][1]["agency"] is None and doc["files"][3]["year"] is None
    assert any(p["severity"] == "warning" for p in doc["files"][1]["problems"])


def test_output_of_a_folder_in_parallel_validates(base, many, tmp_path):
    folder = tmp_path / "收到的报告"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.xlsx").write_bytes((many if i % 2 else base).read_bytes())
    code, doc = run("check", "--json", "--jobs", "2", folder)
    assert code == 1
    assert len(valid(doc)["files"]) == 3


def test_output_with_an_accepted_warning_validates(many):
    result = CliRunner().invoke(cli, ["accept", str(many), "--rule", "value-blank", "--reason", "本年没有此项"])
    assert result.exit_code == 0, result.stderr
    code, doc = run("check", "--json", many)
    assert code == 1
    valid(doc)
    accepted = [p for p in doc["files"][0]["problems"] if p["accepted"]]
    assert [p["accepted"] for p in accepted] == ["本年没有此项"] and doc["warnings"] == 0


def test_output_for_a_json_report_validates(tmp_path):
    report = filled_report()
    values = dict(report.values)
    values[("requests", "carried_forward", "business")] = (values[("requests", "carried_forward", "business")] or 0) + 1
    src = tmp_path / "报告.json"
    src.write_text(model.to_json(model.Report(dict(report.meta), values, report.text)), encoding="utf-8")
    code, doc = run("check", "--json", "--strict", src)
    assert code == 1
    assert valid(doc)["files"][0]["problems"]


def test_output_with_control_characters_in_the_text_validates(base, tmp_path):
    odd = set_cells(base, {(spec.SHEET_META, META["agency"].cell): "商务局\u202e\x85\u2028"}, tmp_path / "odd\u202e.xlsx")
    code, doc = run("check", "--json", odd)
    assert valid(doc)["files"][0]["file"] == str(odd)


_NAMED_FILE = re.compile(r"`((?:xlreport|scripts|tests|docs|examples|templates)/[\w./-]+\.\w+)`")


@pytest.mark.parametrize("doc", ["README.md", *sorted(p.name for p in (REPO / "docs").glob("*.md"))])
def test_every_file_a_doc_names_is_there(doc):
    """A file named in `code` quotes (the C scanner, the template policy, the pool) is where the
    doc says: three had stayed at their old place when the package moved into folders."""
    path = REPO / doc if doc == "README.md" else REPO / "docs" / doc
    named = set(_NAMED_FILE.findall(path.read_text(encoding="utf-8")))
    assert sorted(n for n in named if not (REPO / n).exists()) == []
