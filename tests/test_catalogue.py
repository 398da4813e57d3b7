"""The rule catalogue in docs/ is generated from the spec and kept in sync."""

from __future__ import annotations

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
