"""The arithmetic of a rule as data: terms, comparisons and implications over report fields.

One relation gives both its Python value (``holds``) and its spreadsheet formula (``formula``),
so the workbook's live check and the checker evaluate the very same thing. A field counts in
both the way the value policy (format/values.py) says a cell counts in a sum: a number as it
stands, anything else (blank, text, an error value, TRUE) as 0.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Union

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
    left: Sum
    op: str  # a key of OPERATORS
    right: Sum

    @property
    def paths(self) -> tuple[Path, ...]:
        return self.left.paths + self.right.paths

    def holds(self, number: Callable[[Path], object]) -> bool:
        return OPERATORS[self.op][0](self.left.value(number), self.right.value(number))

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

    def formula(self, ref: Callable[[Path], str]) -> str:
        return f"OR(NOT({self.when.formula(ref)}),{self.then.formula(ref)})"


Relation = Union[Compare, Implies]


def shown(value) -> str:
    """A number as a message shows it: 3 not 3.0, an amount with the digits it has."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)
