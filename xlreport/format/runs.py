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
# cells tried for one run (about 0.2 s): a run of 40 digits has some 10^6 ways to fall into the 7
# cells of a row of table B, one of 60 some 10^13 into the 15 of table C, and a crafted text held
# import for 39 s. The reports' own runs need a few thousand; a row of 7 cells of hundreds (22
# digits) about 70,000; one of thousands (29 digits) some 400,000, and is left unread.
MAX_STEPS = 100_000


class Undecided(Exception):
    """More ways to try than MAX_STEPS: the run is left unread, as an ambiguous one is."""


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
    totals (at most MAX_SPLITS of them); Undecided past MAX_STEPS cells tried."""
    n = len(fields)
    if not run.isascii() or not run.isdigit() or not n <= len(run) <= MAX_DIGITS:
        return []
    checks = constraints(fields)
    due: dict[int, list[tuple[int, tuple[int, ...]]]] = {}  # checked once the last of its cells is known
    determined: dict[int, tuple[int, ...]] = {}  # a total after all its parts: its digits are known
    for total, parts in checks:
        due.setdefault(max((total,) + parts), []).append((total, parts))
        if total > max(parts):
            determined[total] = parts
    found: list[tuple[int, ...]] = []
    cells: list[int] = []
    steps = [0]

    def place(pos: int) -> None:
        steps[0] += 1
        if steps[0] > MAX_STEPS:
            raise Undecided(run)
        k = len(cells)
        if len(found) >= MAX_SPLITS:
            return
        if k == n:
            if pos == len(run):
                found.append(tuple(cells))
            return
        if k in determined:
            text = str(sum(cells[p] for p in determined[k]))
            sizes = [len(text)] if run.startswith(text, pos) else []
        else:
            sizes = range(1, len(run) - pos - (n - k - 1) + 1)  # each cell after this one at least one digit
        for size in sizes:
            text = run[pos:pos + size]
            if size > 1 and text[0] == "0":
                break  # a printed number has no leading zero
            cells.append(int(text))
            if all(cells[t] == sum(cells[p] for p in ps) for t, ps in due.get(k, ())):
                place(pos + size)
            cells.pop()

    place(0)
    return found
