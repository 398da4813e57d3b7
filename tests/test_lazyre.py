"""lazyre: a pattern compiled on first use answers as re.compile's would, and importing what
`xlreport check` stands on compiles none of the package's patterns."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from xlreport import lazyre

CASES = [
    ("search", (r"b+", "abbbc"), {}),
    ("search", (r"b", "abcb", 2), {}),
    ("search", (r"b", "abcb", 2, 3), {}),
    ("match", (r"a", "xa", 1), {}),
    ("fullmatch", (r"[a-c]+", "abc"), {}),
    ("sub", (r"\d", "#", "a1b2"), {"count": 1}),
    ("subn", (r"\d", "#", "a1b2"), {}),
    ("split", (r"[，,]", "一，二,三"), {}),
    ("findall", (rb"<(\w)>", b"<a><b>"), {}),
    ("finditer", (r"(?P<n>\d)", "1x2"), {}),
]


def _answer(value):
    if isinstance(value, re.Match):
        return (value.span(), value.groups(), value.groupdict())
    if hasattr(value, "__next__"):
        return [_answer(m) for m in value]
    return value


@pytest.mark.parametrize("method,args,kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_a_lazy_pattern_answers_as_the_compiled_one(method, args, kwargs):
    pattern, *rest = args
    lazy, eager = lazyre.compile(pattern), re.compile(pattern)
    first = _answer(getattr(lazy, method)(*rest, **kwargs))
    assert first == _answer(getattr(eager, method)(*rest, **kwargs))
    assert _answer(getattr(lazy, method)(*rest, **kwargs)) == first  # the second call, on the compiled methods


def test_flags_are_kept_and_the_methods_are_the_compiled_patterns_after_first_use():
    lazy = lazyre.compile(r"^con$", re.I)
    assert "search" not in vars(lazy)
    assert lazy.match("CON")
    assert vars(lazy)["search"].__self__.flags & re.I
    assert lazy.groups == 0 and lazy.pattern == r"^con$"


def test_a_lazy_pattern_copies_and_pickles_before_and_after_first_use():
    import copy
    import pickle

    lazy = lazyre.compile(r"\d+")
    for _ in range(2):
        for twin in (copy.deepcopy(lazy), pickle.loads(pickle.dumps(lazy))):
            assert twin.findall("a1b22") == ["1", "22"]
        lazy.search("")


def test_importing_what_check_stands_on_compiles_no_pattern_of_the_package():
    code = """
import re, sys
made = []
compile_ = re._compile
def counting(pattern, flags):
    caller = sys._getframe(1)
    while caller and caller.f_globals.get("__name__") == "re":
        caller = caller.f_back
    if caller and caller.f_globals.get("__name__", "").startswith("xlreport"):
        made.append(f"{caller.f_globals['__name__']}:{caller.f_lineno}")
    return compile_(pattern, flags)
re._compile = counting
import xlreport.cli.commands, xlreport.api, xlreport.xlsx.reader, xlreport.checks.prose, xlreport.office.batch
print(made)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
