"""Digits run together: a published row that lost its cell boundaries (``21710000218`` for
217, 1, 0, 0, 0, 0, 218) split back into its cells by the table's own arithmetic.

A split gives each cell a number written the way a table prints it (no leading zero: ``05`` is
never a cell), and must satisfy every total among the row's fields (spec.Field.total_of: the
requests table's 总计 is the sum of the six applicant columns, each appeals group's 总计 the sum
of its four results). Only a unique split is used; the peers that split digit runs do it
without such constraints and so guess.
"""

from __future__ import annotations

from . import spec

MAX_DIGITS = 60  # a row of 15 cells of four digits; a longer run is not a table row
MAX_SPLITS = 50  # counted up to here: "more than one" is all a message needs
MAX_COMBINATIONS = 20_000  # rows tried together against the columns' rules (locate.resolve_by_columns)


def constraints(fields: tuple[spec.Field, ...]) -> list[tuple[int, tuple[int, ...]]]:
    """(index of a total, indexes of its parts) for each total whose parts are all in the row."""
    index = {f.path: i for i, f in enumerate(fields)}
    out = []
    for i, f in enumerate(fields):
        if f.total_of and all(p in index for p in f.total_of):
            out.append((i, tuple(index[p] for p in f.total_of)))
    return out


def splits(run: str, fields: tuple[spec.Field, ...]) -> list[tuple[int, ...]]:
    """Every split of the digit string ``run`` into one number per field that keeps the row's
    totals (at most MAX_SPLITS of them)."""
    n = len(fields)
    if not run.isascii() or not run.isdigit() or not n <= len(run) <= MAX_DIGITS:
        return []
    checks = constraints(fields)
    due: dict[int, list[tuple[int, tuple[int, ...]]]] = {}  # checked once the last of its cells is known
    for total, parts in checks:
        due.setdefault(max((total,) + parts), []).append((total, parts))
    found: list[tuple[int, ...]] = []
    cells: list[int] = []

    def place(pos: int) -> None:
        k = len(cells)
        if len(found) >= MAX_SPLITS:
            return
        if k == n:
            if pos == len(run):
                found.append(tuple(cells))
            return
        left = n - k - 1  # cells after this one, each at least one digit
        longest = len(run) - pos - left
        for size in range(1, longest + 1):
            text = run[pos:pos + size]
            if size > 1 and text[0] == "0":
                break  # a printed number has no leading zero
            cells.append(int(text))
            if all(cells[t] == sum(cells[p] for p in ps) for t, ps in due.get(k, ())):
                place(pos + size)
            cells.pop()

    place(0)
    return found
