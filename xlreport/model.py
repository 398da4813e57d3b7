"""The report as data, and its JSON form (a public contract: see report.schema.json).

Numbers are kept by their JSON path (see spec.FIELDS). An input that was left blank is
``None`` and counts as 0; a total that was not given is ``None`` and is computed. Amounts
are ``Decimal`` so that 0.1 + 0.2 is 0.3 and 190.457379 stays 190.457379.
"""

from __future__ import annotations

import json
import operator
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Union

from . import lazyre
from . import limits

from .format import spec
from .format import values as value_policy
from .errors import DataError, InputError
from .shown import abbreviated, shown_path

Number = Union[int, Decimal]

# XML 1.0 cannot hold these; xlsx and docx would be broken by them.
_CONTROL = lazyre.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass
class Item:
    """A headed part of a section of the prose: its heading and its paragraphs."""

    heading: str
    paragraphs: list[str]


@dataclass
class Section:
    """One of the prose sections: an introduction and its headed items."""

    intro: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)


@dataclass
class Text:
    """The report's prose, section by section, as the 正文 sheet holds it."""

    preamble: list[str] = field(default_factory=list)
    overview: Section = field(default_factory=Section)
    problems: Section = field(default_factory=Section)
    other: Section = field(default_factory=Section)
    fee_note: Item = field(default_factory=lambda: Item(spec.FEE_NOTE_HEADING, []))
    closing: list[str] = field(default_factory=list)


_INPUT_PATHS = tuple(f.path for f in spec.INPUT_FIELDS)
_ALL_PATHS = tuple(f.path for f in spec.FIELDS)
_META_KEYS = tuple(m.key for m in spec.META_FIELDS)


def getter(paths: tuple) -> "Callable[[dict], tuple]":
    """The values at ``paths`` as a tuple, even for one path (itemgetter alone gives the value)."""
    if len(paths) == 1:
        return lambda values, p=paths[0]: (values[p],)
    return operator.itemgetter(*paths)


# each total with a getter of its parts, in dependency order
_TOTAL_PARTS = tuple((f.path, getter(f.total_of)) for f in spec.TOTAL_FIELDS)


@dataclass
class Report:
    """One agency's report for one year: the 基本信息 entries, every number by its path, the prose."""

    meta: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(_META_KEYS))
    values: dict[tuple, Number | None] = field(default_factory=lambda: dict.fromkeys(_ALL_PATHS))
    text: Text = field(default_factory=Text)
    # numbers the reader found in cells whose value it refused (2.5 in a count, -5, the serial
    # number behind a date): not values of the report, but the sums count them as the sheet does
    raw_numbers: dict[tuple, Number] = field(default_factory=dict)

    def given(self, path: tuple) -> Number | None:
        return self.values.get(path)

    def value(self, path: tuple) -> Number:
        """The value as given, or computed for a total that was not given; blank is 0."""
        v = self.values.get(path)
        if v is not None:
            return v
        f = spec.FIELD_BY_PATH[path]
        if f.total_of:
            return self.computed(path)
        return 0

    def computed(self, path: tuple) -> Number:
        """A total recomputed from the inputs, whatever was given for it."""
        f = spec.FIELD_BY_PATH[path]
        if not f.total_of:
            return self.values.get(path) or 0
        return sum((self.computed(p) for p in f.total_of), 0)

    def all_computed(self) -> dict[tuple, Number]:
        """Every total recomputed from the inputs in one pass (blank inputs count as 0)."""
        values = dict(zip(_INPUT_PATHS, counted_inputs(self)))
        for path, parts in _TOTAL_PARTS:
            values[path] = sum(parts(values), 0)
        return values

    def with_totals(self) -> "Report":
        """A copy where every total is recomputed from the inputs (how a workbook is read)."""
        values = dict(self.values)
        computed = self.all_computed()
        for f in spec.TOTAL_FIELDS:
            values[f.path] = computed[f.path]
        return Report(dict(self.meta), values, self.text)

    @property
    def agency(self) -> str:
        return self.meta.get("agency") or ""

    @property
    def year(self) -> int | None:
        return self.meta.get("year")


_NUMBER_TYPES = frozenset((int, Decimal, float))  # exact types: a bool is no number here


def _as_number(v) -> Number:
    return v if isinstance(v, (int, Decimal, float)) and not isinstance(v, bool) else 0


def counted_inputs(report: Report) -> list[Number]:
    """Every input in spec order as the sheet's sums count it (format/values.py): a value as
    given, a refused cell's number, otherwise 0."""
    raw = report.raw_numbers
    # a batch's inner loop: _as_number inlined
    return [raw.get(p, 0) if v is None else v if type(v) in _NUMBER_TYPES else 0
            for p, v in zip(_INPUT_PATHS, map(report.values.get, _INPUT_PATHS))]


def relation_numbers(report: Report) -> dict[tuple, Number]:
    """Every field as the rules' sums count it (format/values.py): a value as given, a refused
    cell's number, otherwise 0; a total not given is the sum of its parts counted so."""
    values = report.values
    numbers = dict(zip(_INPUT_PATHS, counted_inputs(report)))
    for path, parts in _TOTAL_PARTS:
        given = values.get(path)
        numbers[path] = _as_number(given) if given is not None else sum(parts(numbers), 0)
    return numbers


# --- what a number may be ---------------------------------------------------------------------


def _plain_digits(value: Decimal) -> str:
    return format(value, "f") if abs(value.adjusted()) < 40 else format(value, "e")


def bound_problem(value: Number, unit: spec.Unit) -> str | None:
    """Why a non-negative number cannot be a value of ``unit`` (beyond the maxima of limits.py,
    or an amount with more digits than a workbook keeps), or None. Checked before anything turns
    the number into digits: 1e999999999 has a billion of them."""
    if isinstance(value, Decimal) and not value.is_finite():
        return "不是有效数字"
    top = limits.MAX_COUNT if unit is spec.Unit.COUNT else limits.MAX_AMOUNT
    if value >= top:
        shown = _plain_digits(value) if isinstance(value, Decimal) else (str(value) if value < 10**40 else "超过40位的数")
        return f"{shown}超过上限（{'件数' if unit is spec.Unit.COUNT else '金额'}应小于{top:,}）".replace(",", "")
    if unit is not spec.Unit.COUNT and isinstance(value, Decimal):
        digits = len(value.normalize().as_tuple().digits)
        if digits > limits.AMOUNT_DIGITS:
            return f"金额{_plain_digits(value)}的有效数字超过{limits.AMOUNT_DIGITS}位（工作簿只能准确保存{limits.AMOUNT_DIGITS}位）"
    return None


# --- text normalisation -----------------------------------------------------------------


def clean_text(value: str) -> str:
    return _CONTROL.sub("", value).strip()


def split_paragraphs(value: str) -> list[str]:
    """A cell's text to paragraphs: one per line, blank lines dropped."""
    if not value:
        return []
    lines = _CONTROL.sub("", value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [line.strip() for line in lines if line.strip()]


def join_paragraphs(paragraphs: list[str]) -> str:
    return "\n".join(paragraphs)


def text_slots(report: Report | None):
    """(slot, heading, paragraphs) for every row of the 正文 sheet."""
    t = report.text if report else None
    sections = {}
    if t is not None:
        sections = {"overview": t.overview, "problems": t.problems, "other": t.other}
    for slot in spec.TEXT_SLOTS:
        heading, paragraphs = slot.default_heading, []
        if t is not None:
            if slot.kind == "single":
                paragraphs = t.preamble if slot.section == "preamble" else t.closing
            elif slot.kind == "intro":
                paragraphs = sections[slot.section].intro
            elif slot.kind == "fee_note":
                heading, paragraphs = t.fee_note.heading or slot.default_heading, t.fee_note.paragraphs
            else:
                items = sections[slot.section].items
                if slot.index < len(items):
                    heading, paragraphs = items[slot.index].heading, items[slot.index].paragraphs
        yield slot, heading, paragraphs


# --- JSON out ---------------------------------------------------------------------------------

def _item_json(item: Item) -> dict:
    return {"heading": item.heading, "paragraphs": list(item.paragraphs)}


def _section_json(section: Section) -> dict:
    return {"intro": list(section.intro), "items": [_item_json(i) for i in section.items]}


def _writable(f: spec.Field, value):
    """A value as the JSON contract can carry it. A total a workbook's refused entries made
    impossible (2.5 in a count, 1e30) goes out as null — read back, it is recomputed — so that
    what export writes is always a JSON report check can read; its inputs are null already."""
    if value is None or not f.total_of:
        return value
    return value if value_policy.reason(value_policy.Cell(value_policy.NUMBER, value), f.unit) is None else None


def to_dict(report: Report) -> dict:
    """The report as the JSON contract's dict (amounts stay Decimals; to_json writes them exactly)."""
    out: dict[str, Any] = {"format": spec.FORMAT_VERSION, "meta": {m.key: report.meta.get(m.key) for m in spec.META_FIELDS}}
    for f in spec.FIELDS:
        node = out
        for key in f.path[:-1]:
            node = node.setdefault(key, {})
        node[f.path[-1]] = _writable(f, report.values.get(f.path))
    t = report.text
    other = {"intro": list(t.other.intro), "fee_note": _item_json(t.fee_note), "items": _section_json(t.other)["items"]}
    out["text"] = {
        "preamble": list(t.preamble),
        "overview": _section_json(t.overview),
        "problems": _section_json(t.problems),
        "other": other,
        "closing": list(t.closing),
    }
    return out


def to_json(report: Report) -> str:
    # A Decimal goes out as a JSON number with its digits exactly as kept: json writes it as a
    # string carrying a mark no text can hold (a fresh random one each time), then the quotes
    # and the mark are taken off.
    mark = "\x00" + os.urandom(8).hex()  # not secrets: its import (random, hmac) costs every run 9 ms

    def exact(value):
        if isinstance(value, Decimal):
            return mark + format(value, "f")
        raise TypeError(type(value).__name__)

    text = json.dumps(to_dict(report), ensure_ascii=False, indent=2, default=exact)
    return re.sub(r'"\\u0000' + mark[1:] + r'(-?[0-9.]+)"', r"\1", text) + "\n"


def to_json_file(report: Report, source: str) -> str:
    """to_json for a JSON report to be read again (export, import): refused past the size a JSON
    report may have (limits.FILE_BYTES), so that no command writes a report check would refuse.
    A published report's paragraphs have no cell to bound them; a workbook's texts each fit one."""
    text = to_json(report)
    size = len(text.encode("utf-8"))
    limit = limits.FILE_BYTES["json"]
    if size > limit.value:
        raise DataError(f"{source}：得到的 JSON 报告有 {size / limits.MB:.1f} MB，超过 JSON 报告的大小上限（{limit.shown()}），"
                        "xlreport 将无法再读取它，未写出", "报告中有过长的段落；可以直接检查原文件")
    return text


# --- JSON in --------------------------------------------------------------------------------


class _Loader:
    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, message: str) -> DataError:
        return DataError(f"{self.source}：{where}：{message}")

    def keys(self, obj: Any, allowed, where: str) -> dict:
        if not isinstance(obj, dict):
            raise self.fail(where or "顶层", f"应为对象（{{…}}），实际是{_type_name(obj)}")
        for key in obj:
            if key not in allowed:
                raise self.fail(f"{where}.{key}" if where else key, "未知的键；可用的键：" + "、".join(allowed))
        return obj

    def number(self, value: Any, unit: spec.Unit, where: str) -> Number | None:
        if value is None:
            return None
        if isinstance(value, float) and value == value and value not in (float("inf"), float("-inf")):
            value = Decimal(repr(value))  # from a plain json.load: the shortest repr is what was written
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise self.fail(where, f"应为数字，实际是{_type_name(value)}（{value!r}）")
        if isinstance(value, Decimal) and not value.is_finite():
            raise self.fail(where, "不是有效数字")
        if value < 0:
            raise self.fail(where, f"不能为负数（{_plain_digits(value) if isinstance(value, Decimal) else value}）")
        too_big = bound_problem(value, unit)
        if too_big:
            raise self.fail(where, too_big)
        if unit is spec.Unit.COUNT:
            if isinstance(value, Decimal):
                if value != value.to_integral_value():
                    raise self.fail(where, f"件数应为整数，实际是{value}")
                value = int(value)
            return value
        return Decimal(value) if isinstance(value, int) else value

    def strings(self, value: Any, where: str) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            return split_paragraphs(value)
        if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            raise self.fail(where, "应为字符串列表（每段一个字符串）")
        return [p for para in value for p in split_paragraphs(para)]

    def item(self, value: Any, where: str) -> Item:
        obj = self.keys(value, ("heading", "paragraphs"), where)
        heading = obj.get("heading") or ""
        if not isinstance(heading, str):
            raise self.fail(f"{where}.heading", "应为字符串")
        return Item(clean_text(heading), self.strings(obj.get("paragraphs"), f"{where}.paragraphs"))

    def section(self, value: Any, where: str, extra: tuple = ()) -> Section:
        obj = self.keys(value or {}, ("intro", "items") + extra, where)
        items = obj.get("items") or []
        if not isinstance(items, list):
            raise self.fail(f"{where}.items", "应为列表")
        parsed = [self.item(v, f"{where}.items[{i}]") for i, v in enumerate(items)]
        return Section(self.strings(obj.get("intro"), f"{where}.intro"), [i for i in parsed if i.paragraphs])


def _type_name(value: Any) -> str:
    if value is None:
        return "空值"
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, (int, Decimal, float)):
        return "数字"
    if isinstance(value, str):
        return "字符串"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dict):
        return "对象"
    return type(value).__name__


def _tree() -> dict:
    """The nesting of number paths: {"active": {"rules": {"issued": Field}}, ...}."""
    tree: dict = {}
    for f in spec.FIELDS:
        node = tree
        for key in f.path[:-1]:
            node = node.setdefault(key, {})
        node[f.path[-1]] = f
    return tree


_TREE = _tree()


def from_dict(data: Any, source: str = "数据") -> Report:
    load = _Loader(source)
    top = load.keys(data, ("$schema", "format", "meta", *_TREE.keys(), "text"), "")
    fmt = top.get("format")
    if fmt not in (None, spec.FORMAT_VERSION):
        raise load.fail("format", f"只支持 {spec.FORMAT_VERSION} 年版格式，实际是 {fmt!r}")
    report = Report()

    meta = load.keys(top.get("meta") or {}, tuple(spec.META_BY_KEY), "meta")
    for key, value in meta.items():
        where = f"meta.{key}"
        if spec.META_BY_KEY[key].kind == "year":
            report.meta[key] = parse_year(value, lambda msg: load.fail(where, msg))
        elif value is None:
            report.meta[key] = None
        elif isinstance(value, str):
            report.meta[key] = clean_text(value) or None
        elif isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            report.meta[key] = format(value, "f") if isinstance(value, Decimal) else str(value)
        else:
            raise load.fail(where, f"应为字符串，实际是{_type_name(value)}")

    def walk(node: dict, value: Any, path: tuple) -> None:
        obj = load.keys(value if value is not None else {}, tuple(node), ".".join(path))
        for key, sub in obj.items():
            child = node[key]
            if isinstance(child, spec.Field):
                report.values[child.path] = load.number(sub, child.unit, child.key)
            else:
                walk(child, sub, path + (key,))

    for key, node in _TREE.items():
        if key in top:
            walk(node, top[key], (key,))

    text = load.keys(top.get("text") or {}, spec.TEXT_SECTIONS, "text")
    other = load.keys(text.get("other") or {}, ("intro", "items", "fee_note"), "text.other")
    fee_note = load.item(other["fee_note"], "text.other.fee_note") if other.get("fee_note") is not None else Item(spec.FEE_NOTE_HEADING, [])
    report.text = Text(
        preamble=load.strings(text.get("preamble"), "text.preamble"),
        overview=load.section(text.get("overview"), "text.overview"),
        problems=load.section(text.get("problems"), "text.problems"),
        other=load.section(other, "text.other", ("fee_note",)),
        fee_note=Item(fee_note.heading or spec.FEE_NOTE_HEADING, fee_note.paragraphs),
        closing=load.strings(text.get("closing"), "text.closing"),
    )
    _check_capacity(report, load)
    return report


def _check_capacity(report: Report, load: _Loader) -> None:
    """The workbook has a fixed number of prose rows; say so rather than drop text."""
    slots = {s: sum(1 for t in spec.TEXT_SLOTS if t.section == s and t.kind == "item") for s in ("overview", "problems", "other")}
    for name, n in slots.items():
        items = getattr(report.text, name).items
        if len(items) > n:
            raise load.fail(f"text.{name}.items", f"最多{n}个小节，实际有{len(items)}个；请合并部分小节")


def parse_year(value: Any, fail) -> int | None:
    """A year as given (an int, digits, a whole Decimal), or ``fail(message)`` raised. Out of range
    is told before anything turns the value into an int: "year": 1e999999 has a million digits."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdecimal():  # isdigit takes "²", which no number is
        value = Decimal(value.strip())
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        if not spec.YEAR_MIN <= value <= spec.YEAR_MAX:
            raise fail(_year_out_of_range(_plain_digits(value) if value.adjusted() < 40 else str(value)))
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"应为四位数年份，实际是{value!r}")
    if not spec.YEAR_MIN <= value <= spec.YEAR_MAX:
        raise fail(_year_out_of_range(str(value)))
    return value


def _year_out_of_range(shown: str) -> str:
    return f"年份{abbreviated(shown)}超出范围：{spec.FORMAT_NAME}格式适用于{spec.YEAR_MIN}—{spec.YEAR_MAX}年度的报告"


class _NumberTooLong(ValueError):
    def __init__(self, literal: str):
        super().__init__(literal)
        self.literal = literal


def _json_number(parse):
    def hook(literal: str):
        if len(literal) > limits.JSON_NUMBER_CHARS.value:
            raise _NumberTooLong(literal)
        return parse(literal)

    return hook


def _depth(data: Any) -> int:
    """How deeply lists and objects nest (iteratively: the data came from outside)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= limits.JSON_DEPTH.value:
                stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def from_json(text: str, source: str = "数据") -> Report:
    try:
        data = json.loads(text, parse_float=_json_number(Decimal), parse_int=_json_number(int), parse_constant=_reject_constant)
    except _NumberTooLong as e:
        limit = limits.JSON_NUMBER_CHARS
        raise DataError(f"{source}：JSON 中的数字“{e.literal[:20]}…”有{len(e.literal)}位，{limit.name}超过上限（上限{limit.shown()}），已拒绝读取") from None
    except RecursionError:
        raise DataError(f"{source}：{limits.JSON_DEPTH.name}超过上限（上限{limits.JSON_DEPTH.shown()}），已拒绝读取") from None
    except (json.JSONDecodeError, ValueError) as e:
        line = getattr(e, "lineno", None)
        where = f"第{line}行" if line else "内容"
        raise DataError(f"{source}：不是有效的 JSON（{where}）") from None
    if _depth(data) > limits.JSON_DEPTH.value:
        raise DataError(f"{source}：{limits.JSON_DEPTH.name}超过上限（上限{limits.JSON_DEPTH.shown()}），已拒绝读取")
    where = _lone_surrogate(data)
    if where is not None:
        raise DataError(f"{source}：{where or '顶层'}：含有无效的字符（JSON 中单独的 \\ud800—\\udfff 转义不是文字）")
    return from_dict(data, source)


_SURROGATE = lazyre.compile("[\ud800-\udfff]")


def _lone_surrogate(data: Any) -> str | None:
    """The JSON path of the first string (or key) holding a lone surrogate: json accepts the
    escape \\udfff, but no file format (and no encoder) can hold the character it gives."""
    stack = [(data, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                return path
        elif isinstance(node, dict):
            for key, value in node.items():
                if _SURROGATE.search(key):
                    return path
                stack.append((value, f"{path}.{key}" if path else key))
        elif isinstance(node, list):
            stack.extend((value, f"{path}[{i}]") for i, value in enumerate(node))
    return None


def _reject_constant(name: str):
    raise ValueError(name)


def load_json_file(path) -> Report:
    from .container import read_bytes

    raw = read_bytes(path, "json")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{shown_path(path)}：不是 UTF-8 编码的 JSON 文件", "请用 UTF-8 编码另存") from None
    return from_json(text, shown_path(path))


def equal(a: Report, b: Report) -> bool:
    return to_dict(a) == to_dict(b)


__all__ = [
    "Item", "Section", "Text", "Report", "Number", "to_dict", "to_json", "from_dict", "from_json",
    "load_json_file", "split_paragraphs", "join_paragraphs", "clean_text", "parse_year",
]
