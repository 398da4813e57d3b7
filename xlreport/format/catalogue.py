"""The documents generated from declarations, so they can never drift: the rule catalogue
(docs/rules.md, from format/rules.py), the value policy (docs/values.md, from format/values.py)
and the table of limits in docs/security.md (from limits.py); and the layout's hash, which
spec.SPEC_HASH must equal (it is checked here, never rewritten: see spec.py).

    python -m xlreport.format.catalogue          # rewrite them
    python -m xlreport.format.catalogue --check  # exit 1 when one is stale
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from .. import limits

from . import spec, values
from .rules import RULES

SOURCES = {
    "格式": "《中华人民共和国政府信息公开工作年度报告格式》（" + spec.FORMAT_NAME + "）明文规定",
    "条例": "《中华人民共和国政府信息公开条例》",
    "推断": "由表格结构或常理推出：正确的报告都满足，但格式没有明文写出",
    "填报": "填报和文件本身的要求（模板、数字格式）",
}
DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "rules.md"
SECURITY_DOC = DOC.with_name("security.md")
VALUES_DOC = DOC.with_name("values.md")
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


AMOUNT_UNITS = {u: spec.UNIT_NAMES[u] for u in spec.Unit if u is not spec.Unit.COUNT}


def values_doc() -> str:
    """What a clerk may type into an input cell: the policy in words, then each check as the
    reader applies it and as the sheet's formula tests it."""
    lines = [
        "# 填写数字的规则",
        "",
        "本文件由 `python -m xlreport.format.catalogue` 根据 `xlreport/format/values.py` 生成，请勿手工修改；"
        "工作簿的“填表说明”表写的是同一段话。`xlreport check` 读取单元格时，工作簿中使单元格变红的条件格式、"
        "“校验”表的计数，都由下面同一张检查表生成，按表中顺序，第一项不通过就报这一项。",
        "",
        *[f"  - {line[1:]}" if line.startswith("·") else f"- {line}" for line in values.policy_lines(spec.Unit.COUNT, AMOUNT_UNITS)],
        "",
    ]
    for unit, name in [(spec.Unit.COUNT, "件数"), *[(u, f"金额（{n}）") for u, n in AMOUNT_UNITS.items()]]:
        lines += [f"## {name}", "", "| 顺序 | 不接受 | `check` 的说明 | “校验”表的原因 | 表格中的公式（A1 为该单元格） |", "|---|---|---|---|---|"]
        for i, c in enumerate(values.checks(unit), start=1):
            reason = c.reason.replace("{value}", "…").replace("{formula}", "…").replace("|", "\\|")
            formula = c.formula.format(c="A1").replace("|", "\\|")
            lines.append(f"| {i} | {c.refuses.replace('|', '／')} | {reason} | {c.sheet_short} | `{formula}` |")
        lines.append("")
    return "\n".join(lines)


def spec_hash() -> str:
    """The hash of the layout a workbook's stamp names: a change of a label, a field's cell, key or
    unit, a 基本信息 entry or a text slot changes it."""
    parts = [spec.FORMAT_VERSION]
    parts += [f"L|{l.sheet}|{l.ref}|{l.text}" for l in spec.LABELS]
    parts += [f"F|{f.sheet}|{f.cell}|{f.key}|{f.unit.value}" for f in spec.FIELDS]
    parts += [f"M|{m.sheet}|{m.cell}|{m.key}" for m in spec.META_FIELDS]
    parts += [f"T|{t.row}|{t.section}|{t.kind}|{t.index}" for t in spec.TEXT_SLOTS]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def spec_hash_problem() -> str | None:
    """What to do when spec.SPEC_HASH is not the layout's hash; None when it is."""
    actual = spec_hash()
    if actual == spec.SPEC_HASH:
        return None
    return (f"the layout now hashes to {actual}, format/spec.py says SPEC_HASH = {spec.SPEC_HASH!r}: undo the change, "
            f"or set SPEC_HASH = {actual!r} by hand (every workbook made so far then reads as another version's)")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    security = SECURITY_DOC.read_text(encoding="utf-8") if SECURITY_DOC.exists() else ""
    wanted = {DOC: catalogue(), VALUES_DOC: values_doc(), SECURITY_DOC: security_doc(security)}
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
    problem = spec_hash_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        stale = 1
    return stale


if __name__ == "__main__":
    sys.exit(main())
