"""The rule catalogue (docs/rules.md), generated from spec.RULES so it can never drift.

    python -m xlreport.catalogue          # rewrite docs/rules.md
    python -m xlreport.catalogue --check  # exit 1 when docs/rules.md is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import spec

SOURCES = {
    "格式": "《中华人民共和国政府信息公开工作年度报告格式》（" + spec.FORMAT_NAME + "）明文规定",
    "条例": "《中华人民共和国政府信息公开条例》",
    "推断": "由表格结构或常理推出：正确的报告都满足，但格式没有明文写出",
    "填报": "填报和文件本身的要求（模板、数字格式）",
}
DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def catalogue() -> str:
    lines = [
        "# 规则目录",
        "",
        "本文件由 `python -m xlreport.catalogue` 根据 `xlreport/spec.py` 的 `RULES` 生成，请勿手工修改。",
        "“错误”使 `xlreport check` 以退出码 1 结束、`xlreport build` 拒绝生成；“提醒”只提示，可以用 `xlreport accept` 说明理由后确认。",
        "",
        "| 编号 | 级别 | 名称 | 检查什么 | 依据 |",
        "|---|---|---|---|---|",
    ]
    for r in spec.RULES:
        lines.append(f"| `{r.code}` | {spec.SEVERITY_NAMES[r.severity]} | {r.title} | {r.what} | {r.source} |")
    lines += ["", "依据一栏的含义：", ""]
    lines += [f"- **{k}**：{v}" for k, v in SOURCES.items()]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = catalogue()
    if "--check" in argv:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print(f"{DOC} is stale: run python -m xlreport.catalogue", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
