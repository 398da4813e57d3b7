"""The rule catalogue in docs/ is generated from the spec and kept in sync."""

from __future__ import annotations

from conftest import REPO

from xlreport import catalogue, spec


def test_committed_catalogue_is_current():
    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == catalogue.catalogue()


def test_catalogue_lists_every_rule_with_its_source():
    text = catalogue.catalogue()
    for r in spec.RULES:
        row = f"| `{r.code}` | {spec.SEVERITY_NAMES[r.severity]} | {r.title} | {r.what} | {r.source} |"
        assert row in text.splitlines()
    assert set(r.source for r in spec.RULES) <= set(catalogue.SOURCES)


def test_check_mode_reports_a_stale_file(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "rules.md"
    stale.write_text("old", encoding="utf-8")
    monkeypatch.setattr(catalogue, "DOC", stale)
    assert catalogue.main(["--check"]) == 1
    assert "is stale" in capsys.readouterr().err
    assert catalogue.main([]) == 0
    assert catalogue.main(["--check"]) == 0
