"""The arithmetic of a rule as data: terms, comparisons and implications over report fields.

One relation gives its Python value (``holds``), its spreadsheet formula (``formula``) and its
Python expression (``python``, compiled once by ``compiled`` for a batch's inner loop), so the
workbook's live check and the checker evaluate the very same thing. A field counts in
both the way the value policy (format/values.py) says a cell counts in a sum: a number as it
stands, anything else (blank, text, an error value, TRUE) as 0.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Mapping, Union

from .values import SUMMED_BELOW

Path = tuple

# comparison operators: Python function, spreadsheet spelling
OPERATORS = {
    "==": (operator.eq, "="),
    "<=": (operator.le, "<="),
    ">": (operator.gt, ">"),
}


@dataclass(frozen=True)
class Sum:
    """Fields added up, others subtracted (``minus``); a constant added."""

    plus: tuple[Path, ...]
    minus: tuple[Path, ...] = ()
    constant: int = 0

    @property
    def paths(self) -> tuple[Path, ...]:
        return self.plus + self.minus

    def value(self, number: Callable[[Path], object]):
        total = sum(map(number, self.plus), self.constant)
        return total - sum(map(number, self.minus), 0) if self.minus else total

    def python(self, ref: Callable[[Path], str]) -> str:
        # the additions in value()'s order (the constant first), so a float sum rounds the same
        if type(self.constant) is not int:
            raise ValueError(f"a relation's constant must be an int, not {self.constant!r}")
        total = "+".join([repr(self.constant), *map(ref, self.plus)])
        return f"({total})-({'+'.join(['0', *map(ref, self.minus)])})" if self.minus else f"({total})"

    def formula(self, ref: Callable[[Path], str]) -> str:
        parts = [_cell(ref(p)) for p in self.plus]
        text = "+".join(parts) if parts else "0"
        if self.minus:
            text += "".join("-" + _cell(ref(p)) for p in self.minus)
        if self.constant:
            text += f"+{self.constant}"
        return text


def constant(value: int) -> Sum:
    return Sum((), (), value)


def _cell(ref: str) -> str:
    # ISNUMBER, not N(): N(TRUE) is 1 and N(#DIV/0!) is an error; the checker counts both as 0,
    # and a number past the limit (values.SUMMED_BELOW) too
    return f"IF(ISNUMBER({ref}),IF(ABS({ref})<{SUMMED_BELOW:.0E},{ref},0),0)"


@dataclass(frozen=True)
class Compare:
    """A relation between two sums: left ``op`` right (=, ≤, ≥)."""

    left: Sum
    op: str  # a key of OPERATORS
    right: Sum

    @property
    def paths(self) -> tuple[Path, ...]:
        return self.left.paths + self.right.paths

    def holds(self, number: Callable[[Path], object]) -> bool:
        return OPERATORS[self.op][0](self.left.value(number), self.right.value(number))

    def python(self, ref: Callable[[Path], str]) -> str:
        if self.op not in OPERATORS:
            raise ValueError(f"unknown comparison {self.op!r}")
        return f"({self.left.python(ref)}{self.op}{self.right.python(ref)})"

    def formula(self, ref: Callable[[Path], str]) -> str:
        return f"({self.left.formula(ref)}){OPERATORS[self.op][1]}({self.right.formula(ref)})"


@dataclass(frozen=True)
class Implies:
    """``then`` must hold wherever ``when`` does."""

    when: Compare
    then: Compare

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(dict.fromkeys(self.when.paths + self.then.paths))

    def holds(self, number: Callable[[Path], object]) -> bool:
        return not self.when.holds(number) or self.then.holds(number)

    def python(self, ref: Callable[[Path], str]) -> str:
        return f"(not {self.when.python(ref)} or {self.then.python(ref)})"

    def formula(self, ref: Callable[[Path], str]) -> str:
        return f"OR(NOT({self.when.formula(ref)}),{self.then.formula(ref)})"


Relation = Union[Compare, Implies]


def compiled(relation: Relation) -> Callable[[Mapping], bool]:
    """``relation.holds`` as one function of a mapping path → number: in a batch, every file's
    44 relations otherwise cost a call per term and two sums each. The source is built from the
    spec alone: paths enter it as names (p0, p1, …) bound to the path tuples, never as text,
    and only the operators of OPERATORS and integer constants are written into it."""
    names: dict[Path, str] = {}

    def ref(path: Path) -> str:
        if path not in names:
            names[path] = f"p{len(names)}"
        return f"n[{names[path]}]"

    source = f"lambda n: {relation.python(ref)}"
    return eval(compile(source, "<relation>", "eval"), {"__builtins__": {}, **{v: k for k, v in names.items()}})


def shown(value) -> str:
    """A number as a message shows it: 3 not 3.0, an amount with the digits it has."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)
