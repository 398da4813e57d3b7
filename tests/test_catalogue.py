"""The documents in docs/ are generated from the spec and kept in sync; the spec hash is the layout's."""

from __future__ import annotations

import pytest
from conftest import REPO

from xlreport.format import catalogue

from xlreport.format import spec
from xlreport.format import rules


def test_committed_catalogue_is_current():
    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == catalogue.catalogue()


def test_catalogue_lists_every_rule_with_its_source():
    text = catalogue.catalogue()
    for r in rules.RULES:
        row = f"| `{r.code}` | {spec.SEVERITY_NAMES[r.severity]} | {r.title} | {r.what} | {r.source} |"
        assert row in text.splitlines()
    assert set(r.source for r in rules.RULES) <= set(catalogue.SOURCES)


def test_committed_security_doc_lists_every_limit():
    text = (REPO / "docs" / "security.md").read_text(encoding="utf-8")
    assert text == catalogue.security_doc(text)
    from xlreport import limits

    assert "| 批量检查中每个进程的内存 | 2048 MB |" in text
    assert text.count("\n| ") - 1 >= sum(isinstance(v, limits.Limit) for v in vars(limits).values())


def test_check_mode_reports_a_stale_file(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "rules.md"
    stale.write_text("old", encoding="utf-8")
    (tmp_path / "security.md").write_text("前\n<!-- limits:begin -->\n旧\n<!-- limits:end -->\n后\n", encoding="utf-8")
    monkeypatch.setattr(catalogue, "DOC", stale)
    monkeypatch.setattr(catalogue, "SECURITY_DOC", tmp_path / "security.md")
    monkeypatch.setattr(catalogue, "VALUES_DOC", tmp_path / "values.md")
    assert catalogue.main(["--check"]) == 1
    assert "is stale" in capsys.readouterr().err
    assert catalogue.main([]) == 0
    assert catalogue.main(["--check"]) == 0


def test_committed_value_policy_is_current():
    assert (REPO / "docs" / "values.md").read_text(encoding="utf-8") == catalogue.values_doc()


def test_value_policy_lists_every_check_with_its_sheet_formula():
    from xlreport.format import values

    text = catalogue.values_doc()
    for unit in spec.Unit:
        for check in values.checks(unit):
            assert f"`{check.formula.format(c='A1')}`" in text and check.sheet_short in text


def test_the_written_spec_hash_is_the_layouts_hash():
    """SPEC_HASH is written out in format/spec.py, so it must be what the layout hashes to."""
    assert catalogue.spec_hash_problem() is None
    assert spec.SPEC_HASH == catalogue.spec_hash()


@pytest.mark.parametrize("part", ["LABELS", "FIELDS", "META_FIELDS", "TEXT_SLOTS"])
def test_a_changed_layout_is_told_and_fails_the_check_mode(part, monkeypatch, capsys, tmp_path):
    for name in ("DOC", "SECURITY_DOC", "VALUES_DOC"):  # the documents current: only the hash is wrong
        target = tmp_path / getattr(catalogue, name).name
        target.write_text((REPO / "docs" / target.name).read_text(encoding="utf-8"), encoding="utf-8")  # the repo's, installed or not
        monkeypatch.setattr(catalogue, name, target)
    monkeypatch.setattr(spec, part, getattr(spec, part)[:-1])
    changed = catalogue.spec_hash()
    assert changed != spec.SPEC_HASH
    assert catalogue.main(["--check"]) == 1
    assert capsys.readouterr().err == (
        f"the layout now hashes to {changed}, format/spec.py says SPEC_HASH = {spec.SPEC_HASH!r}: undo the change, "
        f"or set SPEC_HASH = {changed!r} by hand (every workbook made so far then reads as another version's)\n")
