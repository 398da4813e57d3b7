"""The output of ``xlreport check --json``: its JSON Schema, declared here once, and
docs/check-json.md generated from it, so the document can never leave out a key.

    python -m xlreport.format.jsondoc          # rewrite docs/check-json.md
    python -m xlreport.format.jsondoc --check  # exit 1 when it is stale

The schema is closed (every object lists all its keys as required and accepts no other), so
the tests that validate real ``check --json`` output against it fail as soon as the command
writes a key that is not declared and described here.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .rules import RULES

DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "check-json.md"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

# Chinese names of the JSON types, for the document's 类型 column
TYPE_NAMES = {"string": "字符串", "integer": "整数", "null": "`null`", "array": "数组"}


def _string(description: str, **more) -> dict:
    return {"type": "string", "description": description, **more}


def _count(description: str) -> dict:
    return {"type": "integer", "minimum": 0, "description": description}


def _closed(title: str, description: str, properties: dict) -> dict:
    return {"title": title, "description": description, "type": "object",
            "properties": properties, "required": list(properties), "additionalProperties": False}


PROBLEM = _closed("`problems[]`", "一个问题（错误或提醒）。", {
    "code": _string("规则编号（稳定，不随版本改变），全部规则见 [rules.md](rules.md)（由 `xlreport/format/rules.py` 的 `RULES` 生成）",
                    enum=[r.code for r in RULES]),
    "title": _string("规则的中文名称"),
    "severity": _string("`error`（错误，退出码 1，`build` 拒绝生成）或 `warning`（提醒，不影响退出码）", enum=["error", "warning"]),
    "message": _string("完整的中文说明"),
    "sheet": _string("工作表名称；与整个文件有关的问题为空字符串"),
    "cell": _string("单元格（A1 形式）；与整个文件有关的问题为空字符串"),
    "row_label": _string("该单元格的行名称（官方表格中的原文）"),
    "col_label": _string("该单元格的列名称（官方表格中的原文）"),
    "expected": _string("应为（文字形式）"),
    "actual": _string("实际（文字形式）"),
    "cells": {"type": "array", "items": {"type": "string"},
              "description": "勾稽关系涉及的全部单元格（“工作表!单元格”）"},
    "key": _string("对应 JSON 报告中的位置（如 `requests.closed_total.natural_person`、`meta.year`），见 [json.md](json.md)"),
    "accepted": _string("提醒已用 `xlreport accept` 确认时为确认的理由（确认记录在输入文件旁的“文件名.accept.json”中），"
                        "否则为空字符串；已确认的提醒不计入 `warnings`，错误不能确认"),
})

FILE = _closed("`files[]`", "一个输入文件的检查结果。", {
    "file": _string("文件路径（按命令行给出的写法；文件夹中的文件为文件夹路径加其中的路径）"),
    "status": _string("`ok`（没有错误，可以有提醒）、`errors`（有错误）、`unreadable`（无法读取：不是表格、已损坏、结构对不上等）",
                      enum=["ok", "errors", "unreadable"]),
    "message": _string("无法读取时的中文说明；否则为空字符串"),
    "hint": _string("无法读取时的处理建议；否则为空字符串"),
    "agency": {"type": ["string", "null"], "description": "读到的机关名称（没有时为 `null`）"},
    "year": {"type": ["integer", "null"], "description": "读到的报告年度（没有时为 `null`）"},
    "errors": _count("该文件的错误数"),
    "warnings": _count("该文件的提醒数（不含已确认的提醒）"),
    "problems": {"type": "array", "items": {"$ref": "#/$defs/problem"}, "description": "问题列表，见下"},
})

CHECK_SCHEMA = {
    "$schema": DRAFT,
    **_closed("顶层", "`xlreport check --json` 的输出。", {
        "files": {"type": "array", "items": {"$ref": "#/$defs/file"},
                  "description": "每个输入文件一项，顺序与命令行（文件夹内按路径排序）一致，与是否并行无关"},
        "errors": _count("全部文件的错误数之和"),
        "warnings": _count("全部文件的提醒数之和（不含已确认的提醒）"),
        "unreadable": _count("无法读取的文件个数"),
    }),
    "$defs": {"file": FILE, "problem": PROBLEM},
}

INTRO = """\
# `xlreport check --json` 的输出格式

本文件由 `python -m xlreport.format.jsondoc` 根据 `xlreport/format/jsondoc.py` 中声明的 JSON Schema（`CHECK_SCHEMA`）生成，请勿手工修改。

`xlreport check` 加 `--json` 时，向标准输出写一个 JSON 文档（UTF-8），无论检查一个还是多个文件，结构相同。
文字中的控制字符、双向控制符和不可见字符写成 `\\uXXXX` 转义（仍是合法的 JSON，读回的文字不变）。
下面各表列出全部的键：每个键都一定出现，不会有别的键。

```json
{
  "files": [
    {
      "file": "收到的报告/商务局.xlsx",
      "status": "errors",
      "message": "",
      "hint": "",
      "agency": "上犹县商务局",
      "year": 2024,
      "errors": 1,
      "warnings": 0,
      "problems": [
        {
          "code": "requests-balance",
          "title": "第一项加第二项之和等于第三项加第四项之和",
          "severity": "error",
          "message": "自然人列：一、本年新收（3）+ 二、上年结转（0）= 3，应等于（七）总计（0）+ 四、结转下年度继续办理（0）= 0；若前三项无误，四、结转下年度继续办理应为3",
          "sheet": "三、依申请公开",
          "cell": "D28",
          "row_label": "（七）总计",
          "col_label": "自然人",
          "expected": "一+二=3",
          "actual": "（七）+四=0",
          "cells": ["三、依申请公开!D5", "三、依申请公开!D6", "三、依申请公开!D28", "三、依申请公开!D29"],
          "key": "requests.closed_total.natural_person",
          "accepted": ""
        }
      ]
    }
  ],
  "errors": 1,
  "warnings": 0,
  "unreadable": 0
}
```
"""

OUTRO = """\
## 退出码

0：没有错误（可以有提醒）；1：至少一个文件有错误；2：至少一个文件无法读取，或用法错误。
"""


def _type_name(prop: dict) -> str:
    if "$ref" in prop:
        return "对象，见 `" + _target(prop["$ref"])["title"].strip("`") + "`"
    types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    name = " 或 ".join(TYPE_NAMES[t] for t in types)
    if "array" in types:
        name += "（每项为" + _type_name(prop["items"]) + "）"
    return name


def _target(ref: str) -> dict:
    return CHECK_SCHEMA["$defs"][ref.rpartition("/")[2]]


def _table(obj: dict) -> list[str]:
    lines = [f"## {obj['title']}", "", obj["description"], "", "| 键 | 类型 | 含义 |", "|---|---|---|"]
    for key, prop in obj["properties"].items():
        lines.append(f"| `{key}` | {_type_name(prop)} | {prop['description']} |")
    return lines + [""]


def document() -> str:
    """docs/check-json.md's exact content."""
    lines = [INTRO]
    for obj in (CHECK_SCHEMA, FILE, PROBLEM):
        lines += _table(obj)
    return "\n".join(lines) + "\n" + OUTRO


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = document()
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if current == text:
        return 0
    if "--check" in argv:
        print(f"{DOC} is stale: run python -m xlreport.format.jsondoc", file=sys.stderr)
        return 1
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
