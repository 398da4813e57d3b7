"""xlreport: the annual 政府信息公开工作年度报告 as a spreadsheet round trip.

Library API (the CLI is a thin layer over these):

    from xlreport import new_workbook, load_json_file, Report
"""

from .version import __version__
from .errors import DataError, InputError, OutputError, XlreportError  # noqa: E402
from .model import Report, from_json, load_json_file, to_json  # noqa: E402


def new_workbook(path, report=None, force=False):
    """Write the workbook a clerk fills; pre-filled from ``report`` when given."""
    from .xlsx.writer import write_workbook

    return write_workbook(path, report, force=force)


__all__ = [
    "__version__", "Report", "from_json", "to_json", "load_json_file", "new_workbook",
    "XlreportError", "DataError", "InputError", "OutputError",
]
