"""Regular expressions compiled when first used, not at import.

re's compiler is written in Python: compiling the seventy-odd patterns the modules of
``xlreport check`` declare took 34 ms of a 200 ms check, and a check of a sound workbook uses
fewer than half of them (the rest serve other producers' files, broken ones and prose it does
not contain).
"""

from __future__ import annotations

import re

_METHODS = ("search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer")


class Pattern:
    """Stands for ``re.compile(pattern, flags)``; after the first use its methods are the
    compiled pattern's own (no indirection on the second call)."""

    def __init__(self, pattern, flags: int = 0):
        self.pattern, self.flags = pattern, flags

    def __getattr__(self, name: str):
        # reached only for what the instance lacks: the first use puts the methods in place.
        # Protocol probes (copy and pickle ask for __setstate__ and the like before __init__ has
        # run) are not a use.
        if name.startswith("__"):
            raise AttributeError(name)
        compiled = re.compile(self.pattern, self.flags)
        for method in _METHODS:
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazyre.compile({self.pattern!r}, {self.flags!r})"


def compile(pattern, flags: int = 0) -> Pattern:  # noqa: A001 - re.compile's name, on purpose
    return Pattern(pattern, flags)
