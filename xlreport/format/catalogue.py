"""The documents generated from declarations, so they can never drift: the rule catalogue
(docs/rules.md, from format/rules.py) and the table of limits in docs/security.md (from limits.py).

    python -m xlreport.format.catalogue          # rewrite both
    python -m xlreport.format.catalogue --check  # exit 1 when either is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

from .. import limits

from . import spec
from .rules import RULES

SOURCES = {
    "格式": "《中华人民共和国政府信息公开工作年度报告格式》（" + spec.FORMAT_NAME + "）明文规定",
    "条例": "《中华人民共和国政府信息公开条例》",
    "推断": "由表格结构或常理推出：正确的报告都满足，但格式没有明文写出",
    "填报": "填报和文件本身的要求（模板、数字格式）",
}
DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "rules.md"
SECURITY_DOC = DOC.with_name("security.md")
LIMITS_BEGIN, LIMITS_END = "<!-- limits:begin -->\n", "<!-- limits:end -->"


def security_doc(current: str) -> str:
    """docs/security.md with the table between its markers made from limits.py."""
    head, _, rest = current.partition(LIMITS_BEGIN)
    _, _, tail = rest.partition(LIMITS_END)
    return head + LIMITS_BEGIN + limits.table() + LIMITS_END + tail


def catalogue() -> str:
    lines = [
        "# 规则目录",
        "",
        "本文件由 `python -m xlreport.format.catalogue` 根据 `xlreport/format/rules.py` 的 `RULES` 生成，请勿手工修改。",
        "“错误”使 `xlreport check` 以退出码 1 结束、`xlreport build` 拒绝生成；“提醒”只提示，可以用 `xlreport accept` 说明理由后确认。",
        "",
        "| 编号 | 级别 | 名称 | 检查什么 | 依据 |",
        "|---|---|---|---|---|",
    ]
    for r in RULES:
        lines.append(f"| `{r.code}` | {spec.SEVERITY_NAMES[r.severity]} | {r.title} | {r.what} | {r.source} |")
    lines += ["", "依据一栏的含义：", ""]
    lines += [f"- **{k}**：{v}" for k, v in SOURCES.items()]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    security = SECURITY_DOC.read_text(encoding="utf-8") if SECURITY_DOC.exists() else ""
    wanted = {DOC: catalogue(), SECURITY_DOC: security_doc(security)}
    stale = 0
    for path, text in wanted.items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current == text:
            continue
        if "--check" in argv:
            print(f"{path} is stale: run python -m xlreport.format.catalogue", file=sys.stderr)
            stale = 1
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return stale


if __name__ == "__main__":
    sys.exit(main())
