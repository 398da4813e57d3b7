"""Published-report fixtures made from a Report: a web page with the official tables (rowspan/colspan
from the spec's merged labels) and the prose as `xlreport build` writes it; variants that publishers
produce (other label spellings, GBK, tables split over pages, a layout table around everything)."""

from __future__ import annotations

import html
from decimal import Decimal
from pathlib import Path

from xlreport.format import spec
from xlreport.model import Report
from xlreport.word.render import context, fmt_number

DATA = Path(__file__).resolve().parent / "data"


def plain(v) -> str:
    """A value as a report prints it; blank where it was not published."""
    return "" if v is None else fmt_number(v)


def table_rows(table: spec.Table, report: Report, value_text=None, label_text=None) -> list[list[tuple[str, int, int]]]:
    """The table below its title row as rows of (text, rowspan, colspan), merged cells once."""
    cells: dict[tuple[int, int], tuple[str, int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for label in table.labels:
        if label.kind == "title" and label.row == 0:
            continue
        text = label_text(label.text) if label_text else label.text
        cells[(label.row, label.col)] = (text, label.r2 - label.row + 1, label.c2 - label.col + 1)
        covered.update((r, c) for r in range(label.row, label.r2 + 1) for c in range(label.col, label.c2 + 1))
    for f in table.fields:
        v = report.values.get(f.path)
        text = value_text(f, v) if value_text else plain(v)
        span = (f.last_col if f.last_col is not None else f.col) - f.col + 1
        cells[(f.row, f.col)] = (text, 1, span)
        covered.update((f.row, c) for c in range(f.col, f.col + span))
    rows = []
    for r in range(1, table.height):
        row = [cells[(r, c)] for c in range(table.width) if (r, c) in cells]
        rows.append(row)
    return rows


def html_table(rows: list[list[tuple[str, int, int]]]) -> str:
    out = ["<table border=\"1\">"]
    for row in rows:
        tds = []
        for text, rowspan, colspan in row:
            attrs = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
            tds.append(f"<td{attrs}>{html.escape(text).replace(chr(10), '<br/>')}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _paras(texts) -> list[str]:
    return [f"<p>{html.escape(t)}</p>" for t in texts]


def _section(ctx_section) -> list[str]:
    out = _paras(ctx_section["intro"])
    for item in ctx_section["subsections"]:
        out += _paras([item["number"] + item["heading"]] + item["paragraphs"])
    return out


def report_html(report: Report, *, label_text=None, value_text=None, headings: dict | None = None, active_order=None,
                split_requests_at: int | None = None, layout: bool = False, encoding: str = "utf-8") -> bytes:
    """A web page of the report: title, prose and the three tables with the official merges."""
    ctx = context(report)
    headings = {**spec.SECTION_TITLES, **(headings or {})}
    title = f"{report.agency}{ctx['title_year']}"
    body = _paras([report.agency, ctx["title_year"]] + ctx["text"]["preamble"])
    body += _paras([headings["overview"]]) + _section(ctx["text"]["overview"])
    for key in ("active", "requests", "appeals"):
        body += _paras([headings[key]])
        rows = table_rows(spec.TABLE_BY_KEY[key], report, value_text, label_text)
        if key == "active" and active_order:
            blocks = [rows[0:4], rows[4:7], rows[7:11], rows[11:14]]
            rows = [r for i in active_order for r in blocks[i]]
        if key == "requests" and split_requests_at:
            head = rows[:3]
            body += [html_table(rows[:split_requests_at]), "<p>— 3 —</p>", html_table(head + rows[split_requests_at:])]
        else:
            body.append(html_table(rows))
    body += _paras([headings["problems"]]) + _section(ctx["text"]["problems"])
    body += _paras([headings["other"]]) + _section(ctx["text"]["other"]) + _paras(ctx["text"]["closing"])
    inner = "\n".join(body)
    if layout:  # an old portal: the article inside a layout table, with site furniture around it
        inner = (f"<table><tr><td>首页 &gt; 政务公开 &gt; 年度报告</td></tr><tr><td><div class=\"article\">{inner}</div></td></tr>"
                 f"<tr><td>版权所有：某某人民政府 网站标识码 1234</td></tr></table>")
    charset = "gbk" if encoding.lower() in ("gbk", "gb18030", "gb2312") else encoding
    page = (f"<!DOCTYPE html><html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset={charset}\">"
            f"<title>{html.escape(title)}</title></head><body>\n{inner}\n</body></html>")
    return page.encode(encoding)


def transcribed(path: Path) -> dict:
    """A reference transcription (shared/reference/reports layout) as {field path: value}; None where unpublished."""
    import json

    ref = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    out: dict[tuple, object] = {}
    for f in spec.TABLE_BY_KEY["active"].fields:
        published = ref["active"][f.row_label]
        out[f.path] = published[f.col_label] if isinstance(published, dict) else published
    by_label = {k.replace("（二）部分公开", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"): v for k, v in ref["requests"].items()}
    for key, group, text, _ in spec.REQUEST_ROWS:
        row = by_label[f"{group}/{text}" if group else text]
        for (col, _), v in zip(spec.REQUEST_COLUMNS, row if row is not None else [None] * len(spec.REQUEST_COLUMNS)):
            out[("requests", key, col)] = v
    for f, v in zip(spec.TABLE_BY_KEY["appeals"].fields, ref["review_litigation"]):
        out[f.path] = v
    return out
