"""The package is a house in layers: a module imports only from its own layer or the ones
below, the modules' imports form no cycle, click stays in cli/, and `xlreport check` loads
none of the Word and writing libraries.

The import graph is read with ast from the source: every `import` and `from ... import`
anywhere in a file (module level, in functions, in try/except), relative ones resolved.
"""

from __future__ import annotations

import ast
import importlib.machinery
import subprocess
import sys

import pytest

from conftest import REPO

PACKAGE = REPO / "xlreport"

# Lowest first. A module belongs to the entry that is it or the nearest package above it
# ("xlreport" is xlreport/__init__.py alone); an import may go to the same layer or a lower
# one. Within a layer the module graph is acyclic.
LAYERS = [
    ("xlreport.lazyre", "xlreport.shown", "xlreport.limits", "xlreport.version"),  # import nothing of the package but lazyre
    ("xlreport.errors",),
    ("xlreport.format", "xlreport.container", "xlreport.output", "xlreport.isolation"),  # the declared format; opening, reading and writing files
    ("xlreport.model", "xlreport.problems", "xlreport.texttable"),
    ("xlreport.xlsx", "xlreport.checks", "xlreport.word"),
    ("xlreport.importers",),  # reads published reports with the word defaults and the reader's numbers
    ("xlreport.api", "xlreport"),  # the library: xlreport/__init__.py is its face
    ("xlreport.office",),  # batches over the api
    ("xlreport.web",),  # the browser front end (Flask), as thin as the CLI
    ("xlreport.cli", "xlreport.__main__"),
]

# Imports that break the layering, each with its reason, once there is one to tolerate: the
# test fails on any new one, and on one of these once it is gone (then delete it here).
# (The last ones, xlsx/annotate.py and office/spool.py importing cli/terminal.py and
# xlsx/writer.py taking __version__ from xlreport/__init__.py, were fixed in 7398dd5.)
KNOWN_UPWARD: set[tuple[str, str]] = set()
# Imports of xlreport modules that do not exist (they fail when run)
KNOWN_MISSING: set[tuple[str, str]] = set()

NOT_LOADED_BY_CHECK = ("docxtpl", "docx", "jinja2", "openpyxl", "xlsxwriter", "pdfplumber", "pdfminer",
                       # html: its table of 2,231 entity names costs every check 7 M instructions; hashlib:
                       # OpenSSL's start-up 11 M (the spec hash is written out, acceptances hash lazily)
                       "html", "hashlib",
                       # multiprocessing: 26 M; only an .xls or a PDF is read in a child process
                       "multiprocessing")


def module_name(path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def native(name: str) -> bool:
    """A compiled extension (the optional C scanner), built or not."""
    folder, _, stem = name.replace(".", "/").rpartition("/")
    here = REPO / folder
    suffixes = importlib.machinery.EXTENSION_SUFFIXES + [".c"]
    return any((here / (stem + s)).exists() for s in suffixes)


def imports(name: str, path, known: dict) -> list[tuple[str, str, int]]:
    """(imported module name, the statement's text, line) for every xlreport import in a file;
    a name that is not a module resolves to the module it is imported from."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    source = path.read_text(encoding="utf-8")
    out = []
    for node in ast.walk(ast.parse(source, str(path))):
        text = ast.get_source_segment(source, node) if isinstance(node, (ast.Import, ast.ImportFrom)) else ""
        if isinstance(node, ast.Import):
            out += [(a.name, text, node.lineno) for a in node.names if a.name.partition(".")[0] == "xlreport"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = base + ("." + node.module if node.module else "")
            else:
                module = node.module
            if module.partition(".")[0] != "xlreport":
                continue
            for a in node.names:
                sub = f"{module}.{a.name}"
                if sub in known or native(sub):
                    out.append((sub, text, node.lineno))
                else:
                    out.append((module, text, node.lineno))
    return [(target, text, line) for target, text, line in out if target != name and not native(target)]


def graph() -> dict[str, dict[str, str]]:
    """module -> {imported module: the first statement importing it}."""
    known = modules()
    edges: dict[str, dict[str, str]] = {}
    for name, path in known.items():
        edges[name] = {}
        for target, text, line in imports(name, path, known):
            edges[name].setdefault(target, f"{path.relative_to(REPO)}:{line}: {text}")
    return edges


def layer_of(name: str) -> int:
    best = None
    for i, members in enumerate(LAYERS):
        for m in members:
            if (name == m or (m != "xlreport" and name.startswith(m + "."))) and (best is None or len(m) > len(best[1])):
                best = (i, m)
    assert best is not None, f"{name} is in no layer: add it to LAYERS"
    return best[0]


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str):
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


@pytest.fixture(scope="module")
def edges():
    return graph()


# --- the graph -----------------------------------------------------------------------------


def test_the_graph_sees_every_kind_of_import(edges):
    assert "xlreport.xlsx.writer" in edges["xlreport.cli.commands"]  # function-local, relative
    assert "xlreport.api" in edges["xlreport.office.batch"]  # module level and again in a function
    assert "xlreport.limits" in edges["xlreport.importers.assemble"]  # from .. import limits
    assert "xlreport.word.render" in edges["xlreport.importers.assemble"]  # in a function
    assert "xlreport.format.rules" in edges["xlreport.problems"]
    assert "xlreport.cli" in edges["xlreport.__main__"]
    assert not any("_xlsxscan" in t for e in edges.values() for t in e)  # the C scanner is no module here


def test_every_imported_xlreport_module_exists(edges):
    known = modules()
    missing = {(m, t) for m, e in edges.items() for t in e if t not in known}
    new = missing - KNOWN_MISSING
    assert not new, "imports of modules that do not exist:\n" + "\n".join(edges[m][t] for m, t in sorted(new))
    assert missing == KNOWN_MISSING, f"fixed, remove from KNOWN_MISSING: {sorted(KNOWN_MISSING - missing)}"


def test_no_cycle_between_modules(edges):
    cycle = find_cycle({m: set(e) for m, e in edges.items()})
    assert cycle is None, "import cycle: " + " -> ".join(cycle) + "\n" + "\n".join(
        edges[a][b] for a, b in zip(cycle, cycle[1:]))


def test_no_cycle_between_packages(edges):
    """The folders too: xlsx/ may use checks/ or the other way round, not both."""
    def folder(name):
        return ".".join(name.split(".")[:2])

    between: dict[str, set[str]] = {}
    for m, e in edges.items():
        for t in e:
            if folder(m) != folder(t) and (m, t) not in KNOWN_UPWARD and t != "xlreport":
                between.setdefault(folder(m), set()).add(folder(t))
    cycle = find_cycle(between)
    assert cycle is None, "cycle between packages: " + " -> ".join(cycle)


# --- the layers ----------------------------------------------------------------------------


def test_every_module_is_in_a_layer(edges):
    for name in edges:
        layer_of(name)
    flat = [m for members in LAYERS for m in members]
    assert len(flat) == len(set(flat))
    assert set(flat) <= set(modules()), "a layer names a module that does not exist"


def test_imports_go_to_the_same_layer_or_below(edges):
    known = modules()
    upward = {(m, t) for m, e in edges.items() for t in e if t in known and layer_of(t) > layer_of(m)}
    new = upward - KNOWN_UPWARD
    assert not new, "imports from a higher layer:\n" + "\n".join(
        f"{edges[m][t]}  ({LAYERS[layer_of(m)][0]} imports {LAYERS[layer_of(t)][0]})" for m, t in sorted(new))
    assert upward == KNOWN_UPWARD, f"fixed, remove from KNOWN_UPWARD: {sorted(KNOWN_UPWARD - upward)}"


def test_the_layers_match_the_order_the_imports_make(edges):
    """Each layer above the first uses the one right below it: no layer is declared higher than it need be."""
    known = modules()
    for i in range(1, len(LAYERS)):
        members = [m for m in edges if layer_of(m) == i]
        assert any(layer_of(t) == i - 1 for m in members for t in edges[m] if t in known), LAYERS[i]


# --- click ---------------------------------------------------------------------------------


def in_cli(name: str) -> bool:
    return layer_of(name) == len(LAYERS) - 1


def test_only_the_cli_imports_click():
    importers = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and not node.level else [])
            if any(n.partition(".")[0] == "click" for n in names) and not in_cli(name):
                importers.append(f"{name}:{node.lineno}")
    assert not importers, importers


def test_no_module_outside_the_cli_reaches_click_through_its_imports(edges):
    """Transitively too, counting the package __init__ files an import runs (importing
    xlreport.cli.terminal runs xlreport/cli/__init__.py); the known upward imports aside."""
    known = modules()
    reach = {m: {t for t in e if t in known and (m, t) not in KNOWN_UPWARD} for m, e in edges.items()}
    for m in list(reach):
        for t in list(reach[m]):
            parts = t.split(".")
            reach[m] |= {".".join(parts[:k]) for k in range(1, len(parts))} - {m}
    clicky = {m for m in known if in_cli(m)}
    for m in sorted(known):
        if in_cli(m):
            continue
        seen, todo = set(), [m]
        while todo:
            n = todo.pop()
            for t in reach.get(n, ()):
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        assert not seen & clicky, f"{m} reaches {sorted(seen & clicky)}"


# --- what `xlreport check` loads -----------------------------------------------------------


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    from factories import write

    folder = tmp_path_factory.mktemp("layers")
    return [write(folder / "一.xlsx"), write(folder / "二.xlsx")]


@pytest.mark.parametrize("extra", [[], ["--json"], ["two"], ["two", "--json"]], ids=["one", "json", "two", "two-json"])
def test_check_loads_no_library_it_does_not_use(workbooks, extra):
    files = [str(p) for p in workbooks[: 2 if "two" in extra else 1]]
    args = files + [a for a in extra if a != "two"] + ["--jobs", "1"]
    code = (
        "import sys\n"
        "from xlreport.cli import cli\n"
        "try:\n"
        f"    cli(['check'] + {args!r})\n"
        "except SystemExit as e:\n"
        "    assert e.code in (0, None), e.code\n"
        f"print(sorted({{m.partition('.')[0] for m in sys.modules}} & set({NOT_LOADED_BY_CHECK!r})))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8", cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().splitlines()[-1] == "[]"


def test_every_dataclass_of_the_package_says_what_it_is():
    """A dataclass without a docstring gets its signature as one, made by inspect.signature when
    the class is created: time every command pays at start-up (1.5 ms for 16 of check's classes),
    and a newcomer reading the class learns nothing from it."""
    import dataclasses
    import importlib

    undocumented = []
    for name in modules():
        if name.endswith("__main__"):
            continue  # runs the command line
        try:
            module = importlib.import_module(name)
        except ImportError:  # an optional extra (the web layer's, the PDF reader's) not installed
            continue
        for cls in vars(module).values():
            if isinstance(cls, type) and cls.__module__ == name and dataclasses.is_dataclass(cls):
                if (cls.__doc__ or "").startswith(f"{cls.__name__}("):
                    undocumented.append(f"{name}.{cls.__qualname__}")
    assert undocumented == []
