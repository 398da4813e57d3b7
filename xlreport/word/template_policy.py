"""What a Word template may say, checked on jinja2's own parse tree (jinja2.nodes) before it renders.

A template comes from whoever sent it, so it is code from a stranger: it may reach the report's
context and nothing else. The check is an allowlist over the AST, never a pattern on the text:

- names: the context's keys, a ``{% for %}`` variable over a context list, and ``loop`` (only
  the attributes in LOOP_ATTRIBUTES); every attribute or item must exist in the context's shape
  (a loop variable has the shape of its list's elements); nothing beginning with ``_``;
- statements: output, ``for`` (one variable, with ``else`` and an ``if`` filter, at most
  MAX_LOOP_DEPTH deep) and ``if``/``elif``/``else``; nothing else (include, import, extends, macro,
  call, filter blocks, set, with, block, autoescape ...);
- expressions: constants (strings up to MAX_STRING_CHARS, numbers up to MAX_NUMBER), the
  filters in FILTERS (positional arguments only; ``join`` only on a list, with a constant
  separator) and tests in TESTS, comparisons, ``and``/``or``/``not`` and ``x if y else z``; never
  a call, a slice, arithmetic, ``~`` or a list/dict literal. Nothing can grow a text faster than
  the report's own lists do.

``PolicyEnvironment`` is jinja2's SandboxedEnvironment that runs this check on every source it
parses and every tree it compiles, so anything docxtpl ever compiles is checked, whatever part of
the package it came from. A refusal is ``Refused``: the reason in Chinese, the line of the source
and the text of the tag (from jinja2's lexer); the caller says which file and part it was.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.sandbox import SandboxedEnvironment

from .. import limits

MAX_STRING_CHARS = limits.TEMPLATE_TEXT.value  # a label or a default text; a longer constant is a payload
MAX_NUMBER = limits.MAX_COUNT  # what a count in the report may reach
MAX_LOOP_DEPTH = limits.TEMPLATE_LOOPS.value  # subsections, then their paragraphs: the deepest list in the context
SNIPPET_CHARS = 40  # a tag longer than this is shortened in a message

# filter -> how many arguments it may take (all positional; keyword arguments are refused:
# join(attribute=...) would look attributes up by name)
FILTERS = {
    "default": 2, "d": 2, "e": 0, "escape": 0, "length": 0, "count": 0, "first": 0, "last": 0,
    "lower": 0, "upper": 0, "trim": 0, "join": 1, "string": 0,
}
TESTS = frozenset({"defined", "undefined", "none", "number", "string", "odd", "even"})
LOOP_ATTRIBUTES = ("index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0")

# --- the context's shape ----------------------------------------------------------------------

SCALAR = "scalar"  # a string, number or boolean: it has no attributes a template may reach
LOOP = "loop"  # jinja2's loop object


@dataclass(frozen=True)
class ListOf:
    """A list whose elements have this shape (None: no list of this kind had an element)."""

    element: object


def shape_of(value) -> object:
    """The shape of a context value: a dict of shapes, ListOf, or SCALAR."""
    if isinstance(value, dict):
        return {key: shape_of(v) for key, v in value.items() if isinstance(key, str)}
    if isinstance(value, (list, tuple)):
        element = None
        for v in value:
            element = merge(element, shape_of(v))
        return ListOf(element)
    return SCALAR


def merge(a, b):
    """Two shapes of the same thing as one (a list's elements, or two contexts)."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        return {key: merge(a.get(key), b.get(key)) for key in {**a, **b}}
    if isinstance(a, ListOf) and isinstance(b, ListOf):
        return ListOf(merge(a.element, b.element))
    return a


# --- refusals ----------------------------------------------------------------------------------


class Refused(Exception):
    """A template construct the policy does not allow. ``unknown`` is set (the dotted name) when
    the construct is allowed but names something the report does not have."""

    def __init__(self, reason: str, lineno: int | None, tag: tuple[str, int] | None, unknown: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.lineno = lineno  # of the source; None for the few nodes jinja2 gives no line
        self.tag = tag  # ("variable" | "block", index among such tags in the source)
        self.unknown = unknown
        self.source: str | None = None  # set by PolicyEnvironment: the source refused
        self.tag_index: int | None = None  # and the index of the tag in tags(env, source)
        self.snippet = "{{ … }}" if tag is None or tag[0] == "variable" else "{% … %}"


_STATEMENT_REASONS = (
    ((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends), "不能引用其他模板"),
    ((nodes.Macro,), "不能定义宏"),
    ((nodes.CallBlock,), "不能调用宏"),
    ((nodes.FilterBlock,), "不能使用 filter 块"),
    ((nodes.Assign, nodes.AssignBlock, nodes.With), "不能定义变量"),
    ((nodes.Block,), "不能使用 block 块"),
    # {% autoescape %} parses as a Scope holding a ScopedEvalContextModifier
    ((nodes.Scope, nodes.ScopedEvalContextModifier, nodes.EvalContextModifier), "不能改变转义方式"),
)
_EXPRESSION_REASONS = (
    ((nodes.Call,), "不能调用函数或方法"),
    ((nodes.Slice,), "不能使用切片"),
    ((nodes.Concat,), "不能用“~”拼接文字"),
    ((nodes.BinExpr, nodes.UnaryExpr), "不能做算术运算"),
    ((nodes.List, nodes.Tuple, nodes.Dict), "不能使用列表或字典常量"),
)
_OTHER_REASON = "模板中只能使用报告数据的占位符、for 循环和 if 判断"


def _reason(node: nodes.Node, table) -> str:
    for types, reason in table:
        if isinstance(node, types):
            return reason
    return _OTHER_REASON


# --- the check ---------------------------------------------------------------------------------


class _Checker:
    """One walk of a template's tree in source order. Tags are counted as they are met (the
    n-th ``{{ }}`` expression, the n-th opening ``{% %}`` tag), so a refusal can name its tag."""

    def __init__(self, shape: dict):
        self.shape = shape
        self.variables = 0
        self.blocks = 0

    def template(self, tree: nodes.Template) -> None:
        self.statements(tree.body, dict(self.shape), 0)

    def statements(self, body: list, scope: dict, depth: int) -> None:
        for node in body:
            self.statement(node, scope, depth)

    def statement(self, node: nodes.Node, scope: dict, depth: int) -> None:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if not isinstance(child, nodes.TemplateData):
                    self.expression(child, scope, self._next("variable"))
        elif isinstance(node, nodes.For):
            self.for_loop(node, scope, depth)
        elif isinstance(node, nodes.If):
            self.condition(node, scope, depth)
        else:
            raise Refused(_reason(node, _STATEMENT_REASONS), node.lineno, self._next("block"))

    def _next(self, kind: str) -> tuple[str, int]:
        if kind == "variable":
            self.variables += 1
            return kind, self.variables - 1
        self.blocks += 1
        return kind, self.blocks - 1

    def for_loop(self, node: nodes.For, scope: dict, depth: int) -> None:
        tag = self._next("block")
        if depth >= MAX_LOOP_DEPTH:
            raise Refused(f"for 循环最多嵌套{MAX_LOOP_DEPTH}层", node.lineno, tag)
        if node.recursive:
            raise Refused("不能使用递归循环", node.lineno, tag)
        if not isinstance(node.target, nodes.Name):
            raise Refused("for 循环只能有一个循环变量", node.lineno, tag)
        self._check_name(node.target.name, node, tag)
        shape = self.expression(node.iter, scope, tag)
        if not isinstance(shape, ListOf):
            raise Refused("for 循环只能遍历报告中的列表", node.lineno, tag)
        bound = {**scope, node.target.name: shape.element}
        if node.test is not None:
            self.expression(node.test, bound, tag)
        self.statements(node.body, {**bound, "loop": LOOP}, depth + 1)
        self.statements(node.else_, scope, depth)

    def condition(self, node: nodes.If, scope: dict, depth: int) -> None:
        self.expression(node.test, scope, self._next("block"))
        self.statements(node.body, scope, depth)
        for branch in node.elif_:
            self.expression(branch.test, scope, self._next("block"))
            self.statements(branch.body, scope, depth)
        self.statements(node.else_, scope, depth)

    def expression(self, node: nodes.Node, scope: dict, tag) -> object:
        """Check one expression; its shape (what a further attribute may reach)."""
        if isinstance(node, nodes.Const):
            self._check_constant(node, tag)
            return SCALAR
        if isinstance(node, nodes.Name):
            self._check_name(node.name, node, tag)
            if node.name not in scope:
                raise Refused("", node.lineno, tag, unknown=node.name)
            return scope[node.name]
        if isinstance(node, nodes.Getattr):
            self._check_name(node.attr, node, tag)
            return self._member(self.expression(node.node, scope, tag), node.attr, node, tag)
        if isinstance(node, nodes.Getitem):
            return self._item(node, scope, tag)
        if isinstance(node, nodes.Filter) and node.node is not None:
            return self._filter(node, scope, tag)
        if isinstance(node, nodes.Test):
            if node.name not in TESTS:
                raise Refused(f"不能使用测试“{node.name}”", node.lineno, tag)
            self._arguments(node, 0, scope, tag)
            self.expression(node.node, scope, tag)
            return SCALAR
        if isinstance(node, nodes.Compare):
            self.expression(node.expr, scope, tag)
            for operand in node.ops:
                self.expression(operand.expr, scope, tag)
            return SCALAR
        if isinstance(node, (nodes.And, nodes.Or)):
            self.expression(node.left, scope, tag)
            self.expression(node.right, scope, tag)
            return SCALAR
        if isinstance(node, nodes.Not):
            self.expression(node.node, scope, tag)
            return SCALAR
        if isinstance(node, nodes.CondExpr):
            self.expression(node.test, scope, tag)
            shape = self.expression(node.expr1, scope, tag)
            if node.expr2 is not None:
                shape = merge(shape, self.expression(node.expr2, scope, tag))
            return shape
        raise Refused(_reason(node, _EXPRESSION_REASONS), node.lineno, tag)

    def _check_constant(self, node: nodes.Const, tag) -> None:
        value = node.value
        if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
            raise Refused(f"文字常量超过{MAX_STRING_CHARS}字", node.lineno, tag)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not abs(value) <= MAX_NUMBER:
            raise Refused("数字常量过大", node.lineno, tag)
        if not isinstance(value, (str, int, float, type(None))):
            raise Refused(_OTHER_REASON, node.lineno, tag)

    @staticmethod
    def _check_name(name: str, node: nodes.Node, tag) -> None:
        if name.startswith("_"):
            raise Refused("不能使用以下划线开头的名称", node.lineno, tag)

    def _member(self, shape, key: str, node: nodes.Node, tag) -> object:
        if shape is LOOP:
            if key not in LOOP_ATTRIBUTES:
                raise Refused("loop 只能使用 " + "、".join(LOOP_ATTRIBUTES), node.lineno, tag)
            return SCALAR
        if isinstance(shape, dict) and key in shape:
            return shape[key]
        raise Refused("", node.lineno, tag, unknown=dotted(node) or key)

    def _item(self, node: nodes.Getitem, scope: dict, tag) -> object:
        key = node.arg
        if not isinstance(key, nodes.Const):
            reason = _reason(key, _EXPRESSION_REASONS) if isinstance(key, nodes.Slice) else "下标只能是常量"
            raise Refused(reason, node.lineno, tag)
        base = self.expression(node.node, scope, tag)
        if isinstance(key.value, str):
            self._check_name(key.value, node, tag)
            return self._member(base, key.value, node, tag)
        if isinstance(key.value, int) and not isinstance(key.value, bool) and isinstance(base, ListOf):
            self._check_constant(key, tag)
            if base.element is not None:
                return base.element
        raise Refused("", node.lineno, tag, unknown=dotted(node) or "[]")

    def _filter(self, node: nodes.Filter, scope: dict, tag) -> object:
        if node.name not in FILTERS:
            raise Refused(f"不能使用过滤器“{node.name}”", node.lineno, tag)
        self._arguments(node, FILTERS[node.name], scope, tag)
        shape = self.expression(node.node, scope, tag)
        if node.name == "join" and not (isinstance(shape, ListOf) and all(isinstance(a, nodes.Const) for a in node.args)):
            # a string joined is its characters joined: join on join grows a text exponentially
            raise Refused("join 只能用于报告中的列表，分隔符只能是文字常量", node.lineno, tag)
        if node.name in ("first", "last"):
            return shape.element if isinstance(shape, ListOf) and shape.element is not None else SCALAR
        if node.name in ("default", "d"):
            return shape
        return SCALAR

    def _arguments(self, node, most: int, scope: dict, tag) -> None:
        if node.kwargs or node.dyn_args is not None or node.dyn_kwargs is not None or len(node.args) > most:
            what = "过滤器" if isinstance(node, nodes.Filter) else "测试"
            allowed = f"最多带{most}个参数，且不能写参数名" if most else "不能带参数"
            raise Refused(f"{what}“{node.name}”{allowed}", node.lineno, tag)
        for arg in node.args:
            self.expression(arg, scope, tag)


def dotted(node: nodes.Node) -> str | None:
    """``a.b["c"][0]`` as the template wrote it, for a chain of names; None for anything else."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        base = dotted(node.node)
        return None if base is None else f"{base}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        base = dotted(node.node)
        if base is None:
            return None
        key = node.arg.value
        return f"{base}.{key}" if isinstance(key, str) else f"{base}[{key!r}]"
    return None


def check(tree: nodes.Template, shape: dict) -> None:
    """Raise Refused at the first construct of ``tree`` the policy does not allow."""
    _Checker(shape).template(tree)


# --- naming the tag ----------------------------------------------------------------------------


@dataclass
class Tag:
    """A jinja2 tag of a template's source, and the lines it spans."""

    kind: str  # "variable" ({{ }}) or "block" ({% %} opening a statement)
    text: str  # exactly as the source has it
    first: int  # the lines of the source it spans
    last: int
    data_before: str  # the template data since the previous tag of either kind


_CLOSERS = ("else",)  # block tags that open no statement; every "end..." tag closes one


def tags(env, source: str) -> list[Tag]:
    """Every ``{{ }}`` tag and every ``{% %}`` tag that opens a statement, in source order, with
    its exact text: from jinja2's own lexer (whitespace tokens included). These are the tags
    ``Refused.tag`` counts."""
    out: list[Tag] = []
    current: list[str] | None = None
    data: list[str] = []
    kind = first = keyword = None
    for lineno, token, value in env.lex(source):
        if token in ("variable_begin", "block_begin"):
            current, kind, first, keyword = [value], token.split("_")[0], lineno, None
        elif current is None:
            if token == "data":
                data.append(value)
        elif token in ("variable_end", "block_end"):
            current.append(value.rstrip())
            if kind == "variable" or not (keyword is None or keyword in _CLOSERS or keyword.startswith("end")):
                out.append(Tag(kind, "".join(current), first, lineno, "".join(data)))
                data = []
            current = None
        else:
            if keyword is None and token == "name":
                keyword = value
            current.append(value)
    return out


def locate(found: list[Tag], refusal: Refused) -> int | None:
    """The index in ``found`` (tags() of the refused source) of the tag the refusal counted,
    checked against the line of its node when it has one."""
    if refusal.tag is None:
        return None
    kind, index = refusal.tag
    line = refusal.lineno
    of_kind = [i for i, t in enumerate(found) if t.kind == kind]
    if index < len(of_kind) and (line is None or found[of_kind[index]].first <= line <= found[of_kind[index]].last):
        return of_kind[index]
    return next((i for i in of_kind if line is not None and found[i].first <= line <= found[i].last), None)


def shorten(tag: str) -> str:
    """A long tag as its start, an ellipsis and its closing delimiter."""
    if len(tag) <= SNIPPET_CHARS:
        return tag
    end = next((d for d in ("-}}", "-%}", "}}", "%}") if tag.endswith(d)), "")
    return tag[: SNIPPET_CHARS - 8].rstrip() + "…" + (" " + end if end else "")


# --- the environment ---------------------------------------------------------------------------


class PolicyEnvironment(SandboxedEnvironment):
    """jinja2's sandbox, StrictUndefined and autoescape, with no globals, only the allowed filters
    and tests, and the policy checked on every source it parses and every tree it compiles."""

    def __init__(self, shape: dict, bytecode_cache=None):
        super().__init__(undefined=StrictUndefined, autoescape=True, bytecode_cache=bytecode_cache)
        self.shape = shape
        self.globals.clear()  # range, cycler, joiner, lipsum, dict, namespace
        self.filters = {name: f for name, f in self.filters.items() if name in FILTERS}
        self.tests = {name: t for name, t in self.tests.items() if name in TESTS}
        self._checked: weakref.WeakSet = weakref.WeakSet()

    def from_string(self, source, globals=None, template_class=None):
        """jinja2's from_string, through the environment's bytecode cache when it has one
        (jinja2 itself consults it only for templates from a loader): a source whose code is
        cached was checked when it was compiled, in an environment like this one."""
        if self.bytecode_cache is None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        bucket = self.bytecode_cache.get_bucket(self, "<string>", None, source)
        if bucket.code is None:
            bucket.code = self.compile(source)
            self.bytecode_cache.set_bucket(bucket)
        return (template_class or self.template_class).from_code(self, bucket.code, self.make_globals(globals), None)

    def _parse(self, source, name, filename):
        tree = super()._parse(source, name, filename)
        try:
            check(tree, self.shape)
        except Refused as refusal:
            self._name_tag(refusal, source)
            raise
        self._checked.add(tree)
        return tree

    def _name_tag(self, refusal: Refused, source: str) -> None:
        refusal.source = source
        try:
            found = tags(self, source)
        except (TemplateError, ValueError, RecursionError):  # it parsed; naming its tag is a courtesy
            return
        refusal.tag_index = locate(found, refusal)
        if refusal.tag_index is not None:
            tag = found[refusal.tag_index]
            refusal.snippet = tag.text
            refusal.lineno = refusal.lineno or tag.first

    def _generate(self, source, name, filename, defer_init=False):
        if source not in self._checked:  # a tree handed to compile() directly
            check(source, self.shape)
        return super()._generate(source, name, filename, defer_init=defer_init)


__all__ = ["PolicyEnvironment", "Refused", "Tag", "ListOf", "SCALAR", "shape_of", "merge", "check", "tags", "locate", "shorten",
           "FILTERS", "TESTS"]
