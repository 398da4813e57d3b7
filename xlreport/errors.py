"""The few named exceptions for "could not run". Messages are Chinese and
name the file (and sheet/cell where there is one); the CLI prints them as one line."""

from __future__ import annotations


class XlreportError(Exception):
    """Base class: something stopped the command before it could do its job."""

    hint: str = ""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        if hint:
            self.hint = hint

    def __str__(self) -> str:
        return self.message

    def line(self) -> str:
        """The message and its hint as one line: 消息（提示）."""
        return f"{self.message}（{self.hint}）" if self.hint else self.message


class DataError(XlreportError):
    """A JSON report (or other report data) that does not fit the contract."""

    hint = "对照 xlreport/format/report.schema.json 修改数据文件"


class InputError(XlreportError):
    """An input file that cannot be read: missing, not a spreadsheet, broken, not our format."""


class OutputError(XlreportError):
    """An output that cannot or must not be written."""


class LimitError(InputError):
    """An input beyond one of the limits of limits.py: refused before it can exhaust the machine."""

    @classmethod
    def of(cls, path, limit, actual: str = "") -> "LimitError":
        from .shown import shown_path

        found = f"{actual}，" if actual else ""
        return cls(f"{shown_path(path)}：{limit.name}超过上限（{found}上限{limit.shown()}），已拒绝读取",
                   "文件可能已损坏或是伪造的（如压缩炸弹）；请向报送单位索取原文件")
