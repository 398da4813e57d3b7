"""Every third-party package that xlreport imports is declared in pyproject.toml's
[project] dependencies, not merely installed because another dependency pulls it in; and every
declared dependency is used."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib

from conftest import REPO

PACKAGE = REPO / "xlreport"


def normal(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {normal(re.match(r"[A-Za-z0-9._-]+", req.strip()).group(0)) for req in project["dependencies"]}


def third_party_imports() -> dict[str, set[str]]:
    """Top-level names imported anywhere in the package (function-local and optional imports
    too) that are neither the standard library nor xlreport, with the modules importing each."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top not in sys.stdlib_module_names and top not in ("__future__", "xlreport"):
                    found.setdefault(top, set()).add(str(path.relative_to(REPO)))
    return found


def test_every_imported_package_is_a_declared_dependency():
    distributions = importlib.metadata.packages_distributions()
    wanted = declared()
    missing = []
    for top, where in sorted(third_party_imports().items()):
        dists = {normal(d) for d in distributions.get(top, ())}
        assert dists, f"{top} (imported by {', '.join(sorted(where))}) is not installed: no distribution provides it"
        if not dists & wanted:
            missing.append(f"{top} -> {'/'.join(sorted(dists))} (imported by {', '.join(sorted(where))})")
    assert not missing, "imported but not in [project] dependencies:\n" + "\n".join(missing)


def test_every_declared_dependency_is_imported():
    distributions = importlib.metadata.packages_distributions()
    used = {normal(d) for top in third_party_imports() for d in distributions.get(top, ())}
    assert declared() - used == set()


def test_the_walk_sees_the_imports_it_must():
    found = third_party_imports()
    # module level, function-local and optional (try/except) imports alike
    assert {"click", "docx", "docxtpl", "jinja2", "lxml", "openpyxl", "pdfminer", "pdfplumber", "python_calamine", "xlsxwriter"} <= set(found)
    assert "xlreport/importers/docx.py" in found["lxml"]
    assert not {"os", "json", "xlreport", "__future__"} & set(found)
