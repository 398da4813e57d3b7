"""The JSON Schema (draft 2020-12) of the JSON report, generated from the spec.

``xlreport/format/report.schema.json`` is this module's output, committed and shipped with the
package; a test keeps the two equal. Regenerate it after changing spec.py with

    python -m xlreport.format.schema            # rewrite xlreport/format/report.schema.json
    python -m xlreport.format.schema --check    # exit 1 if the committed file is stale

The schema describes the document exactly as ``model.to_json`` writes it, and accepts no
document that ``model.from_dict`` refuses: every object is closed (additionalProperties
false), numbers are non-negative, counts are whole, ``null`` means "left blank" (an input
counts as 0, a total is computed). Only ``format`` is required; a key that is left out
means the same as ``null`` (or an empty list for prose), as in ``model.from_dict``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import spec

SCHEMA_FILE = "report.schema.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _number(f: spec.Field) -> dict:
    unit = spec.UNIT_NAMES[f.unit]
    where = f"工作簿“{f.sheet}”{f.cell}"
    if f.unit is spec.Unit.COUNT:
        kind = f"{unit}，非负整数"
        node: dict = {"type": ["integer", "null"], "minimum": 0}
    else:
        kind = f"非负数，单位：{unit}，小数位数不限"
        node = {"type": ["number", "null"], "minimum": 0}
    if f.total_of:
        blank = "null 表示由程序计算"
    else:
        blank = "null 表示未填，按 0 计"
    node["description"] = f"{f.where}（{kind}；{blank}）。{where}"
    return node


def _object(properties: dict, description: str) -> dict:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": False,
    }


def _numbers() -> dict:
    """The properties active, requests, appeals and fees, nested as the field paths are."""
    tables = {t.key: t for t in spec.TABLES}
    descriptions = {key: spec.SECTION_TITLES[key] for key in tables}
    descriptions["fees"] = spec.FEE_TITLE
    out: dict = {}
    for f in spec.FIELDS:
        node = out
        for depth, key in enumerate(f.path[:-1]):
            if key not in node:
                if depth == 0:
                    description = descriptions[key]
                else:
                    # an inner object is one row (table B) or one group (table A, table C)
                    description = f.row_label if f.table != "appeals" else f.row_label.replace("/", "：")
                node[key] = _object({}, description)
            node = node[key]["properties"]
        node[f.path[-1]] = _number(f)
    return out


def _meta() -> dict:
    properties = {}
    for m in spec.META_FIELDS:
        text = m.label + ("（报告必填项；未填时为 null）" if m.required else "")
        if m.hint:
            text += f"：{m.hint}"
        text += f"。工作簿“{m.sheet}”{m.cell}"
        if m.kind == "year":
            node = {"type": ["integer", "null"], "minimum": spec.YEAR_MIN, "maximum": spec.YEAR_MAX}
        else:
            node = {"type": ["string", "null"]}
        node["description"] = text
        properties[m.key] = node
    return _object(properties, f"{spec.META_TITLE}（null 表示未填）")


def _slot(section: str, kind: str) -> spec.TextSlot:
    return next(t for t in spec.TEXT_SLOTS if t.section == section and t.kind == kind)


def _item_count(section: str) -> int:
    return sum(1 for t in spec.TEXT_SLOTS if t.section == section and t.kind == "item")


def _text() -> dict:
    def paragraphs(description: str) -> dict:
        return {"$ref": "#/$defs/paragraphs", "description": description}

    def items(section: str) -> dict:
        n = _item_count(section)
        return {
            "type": "array",
            "description": f"小节，按顺序；最多{n}个（工作簿“{spec.SHEET_TEXT}”表的行数）；没有段落的小节不出现在报告中",
            "items": {"$ref": "#/$defs/item"},
            "maxItems": n,
        }

    def section(key: str) -> dict:
        headings = [t.default_heading for t in spec.TEXT_SLOTS if t.section == key and t.kind == "item" and t.default_heading]
        description = spec.SECTION_TITLES[key]
        if headings:
            description += "；工作簿预设的小标题：" + "、".join(headings)
        return _object({"intro": paragraphs("开头段落"), "items": items(key)}, description)

    preamble, closing = _slot("preamble", "single"), _slot("closing", "single")
    fee_note = _slot("other", "fee_note")
    other = _object(
        {
            "intro": paragraphs("开头段落"),
            "fee_note": {
                "$ref": "#/$defs/item",
                "description": f"{spec.FEE_NOTE_HEADING}（小标题可留空，默认为“{spec.FEE_NOTE_HEADING}”）；{fee_note.hint}",
            },
            "items": items("other"),
        },
        spec.SECTION_TITLES["other"],
    )
    return _object(
        {
            "preamble": paragraphs(f"{preamble.part_label}：{preamble.hint}"),
            "overview": section("overview"),
            "problems": section("problems"),
            "other": other,
            "closing": paragraphs(f"{closing.part_label}：{closing.hint}"),
        },
        f"正文（工作簿“{spec.SHEET_TEXT}”表）",
    )


def build_schema() -> dict:
    """The JSON Schema of the JSON report, as a dict (see report.schema.json)."""
    tables = "、".join(spec.SECTION_TITLES[t.key] for t in spec.TABLES)
    return {
        "$schema": DRAFT,
        "title": f"政府信息公开工作年度报告（{spec.FORMAT_VERSION}年版格式，{spec.FORMAT_NAME}）JSON 数据",
        "description": (
            f"xlreport 的 JSON 报告：基本信息、{tables}三张表的全部数字、"
            "六、其他需要报告的事项中的信息处理费数字，以及各部分正文。"
            "数字为 null 表示未填：输入项按 0 计，总计项由程序计算。"
            "除 format 外的键都可省略，省略等同于 null（正文为空列表）。"
            "说明见 docs/json.md。"
        ),
        "type": "object",
        "properties": {
            "$schema": {"type": "string", "description": "本 JSON Schema 的地址（可选，供编辑器使用）"},
            "format": {"const": spec.FORMAT_VERSION, "description": f"报告格式版本：{spec.FORMAT_NAME}"},
            "meta": _meta(),
            **_numbers(),
            "text": _text(),
        },
        "required": ["format"],
        "additionalProperties": False,
        "$defs": {
            "paragraphs": {
                "type": "array",
                "description": "段落列表，每段一个字符串；空字符串被忽略",
                "items": {"type": "string"},
            },
            "item": {
                "type": "object",
                "description": "一个小节：小标题和段落",
                "properties": {
                    "heading": {"type": "string", "description": "小标题，不写“（一）”等序号（生成报告时自动编号）"},
                    "paragraphs": {"$ref": "#/$defs/paragraphs"},
                },
                "additionalProperties": False,
            },
        },
    }


def schema_text() -> str:
    """The schema file's exact content."""
    return json.dumps(build_schema(), ensure_ascii=False, indent=2) + "\n"


def load_schema() -> dict:
    """The schema shipped with the package (xlreport/format/report.schema.json)."""
    from importlib.resources import files

    return json.loads((files(__package__) / SCHEMA_FILE).read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(__file__).with_name(SCHEMA_FILE)
    text = schema_text()
    if argv == ["--check"]:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is stale: run python -m xlreport.format.schema", file=sys.stderr)
            return 1
        return 0
    if argv:
        print("usage: python -m xlreport.format.schema [--check]", file=sys.stderr)
        return 2
    path.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
