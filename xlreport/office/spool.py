"""What a batch prints at its end, kept in temporary files while the files are checked, so that
ten thousand workbooks take no more memory than ten."""

from __future__ import annotations

import json
from typing import Callable, Iterator

from ..output import scratch_error, scratch_file
from ..texttable import table_lines, width


class JsonLines:
    """Values (lists, numbers, strings) on disk, one JSON line each, read back in order."""

    def __init__(self):
        self._file = scratch_file()
        self.count = 0

    def add(self, value) -> None:
        _write(self._file, json.dumps(value, ensure_ascii=False) + "\n")
        self.count += 1

    def __iter__(self) -> Iterator:
        self._file.seek(0)
        for line in self._file:
            yield json.loads(line)

    def close(self) -> None:
        self._file.close()


class RowSpool(JsonLines):
    """Table rows on disk, and the column widths they need (capped at ``max_widths``)."""

    def __init__(self, headers: tuple[str, ...], max_widths: tuple[int, ...]):
        super().__init__()
        self.headers = headers
        self.max_widths = max_widths
        self.widths = [min(m, width(h)) for h, m in zip(headers, max_widths)]

    def add(self, row: tuple[str, ...]) -> None:
        super().add(row)
        self.widths = [max(w, min(m, width(text))) for w, m, text in zip(self.widths, self.max_widths, row)]

    def lines(self) -> Iterator[str]:
        return table_lines((tuple(r) for r in self), self.headers, self.widths)


class TextSpool:
    """Text on disk, written out in one go at the end."""

    def __init__(self):
        self._file = scratch_file()

    def add(self, text: str) -> None:
        _write(self._file, text + "\n")

    def copy_to(self, write: Callable[[str], None]) -> None:
        self._file.seek(0)
        while chunk := self._file.read(1 << 16):
            write(chunk)

    def close(self) -> None:
        self._file.close()


def _write(file, text: str) -> None:
    try:
        file.write(text)
    except OSError as e:  # a disk that fills during a batch of ten thousand files
        raise scratch_error(e) from None
