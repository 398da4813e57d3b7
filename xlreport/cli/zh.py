"""click in Chinese: its usage errors, help headings and built-in option help.

click writes every message through gettext (``from gettext import gettext as _`` in each of
its modules), which finds a catalogue only through the locale of the environment, and a
clerk's Windows or a server's C locale would leave the messages English. So the messages
xlreport can meet are translated here, keyed by click's own message ids, and ``install()``
points click's modules at this catalogue. A test checks that every id is still one the
installed click uses, and that help and errors come out without English words.
"""

from __future__ import annotations

import click

from ..texttable import width, wrap

CATALOGUE = {
    "Usage:": "用法：",
    "Options": "选项",
    "Positional arguments": "参数",
    "Commands": "命令",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "用“{command} {option}”查看帮助。",
    "Invalid value: {message}": "值无效：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint}的值无效：{message}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "No such option {name!r}.": "没有“{name}”这个选项。",
    "No such command {name!r}.": "没有“{name}”这个命令。",
    "Missing command.": "缺少命令。",
    "Option {name!r} does not take a value.": "选项 {name} 后面不能跟值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name} 需要 {nargs} 个值。",
    "Aborted!": "已中断。",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "env var: {var}": "环境变量：{var}",
    "(dynamic)": "（动态）",
    "deprecated": "已弃用",
    "Value must be an iterable.": "值应为一组值。",
    "Could not open file {filename!r}: {message}": "无法打开文件“{filename}”：{message}",
    "unknown error": "未知错误",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name}“{filename}”不存在。",
    "{name} {filename!r} is a file.": "{name}“{filename}”是文件，不是文件夹。",
    "{name} {filename!r} is a directory.": "{name}“{filename}”是文件夹，不是文件。",
    "{name} {filename!r} is not readable.": "{name}“{filename}”没有读取权限。",
    "{name} {filename!r} is not writable.": "{name}“{filename}”没有写入权限。",
    "{name} {filename!r} is not executable.": "{name}“{filename}”不能执行。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "{value} is not in the range {range}.": "{value} 不在 {range} 的范围内。",
}

PLURALS = {
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"): ("是不是要用 {possibility}？", "（是不是要用其中之一：{possibilities}？）"),
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): ("多余的参数（{args}）", "多余的参数（{args}）"),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): ("选项 {name} 后面要跟一个值。", "选项 {name} 后面要跟 {nargs} 个值。"),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."): ("需要 {nargs} 个值，只给了 1 个。", "需要 {nargs} 个值，给了 {len} 个。"),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): ("“{value}”不是 {choice}。", "“{value}”不是 {choices} 之一。"),
}

MODULES = ("core", "exceptions", "parser", "types", "decorators", "formatting", "termui", "utils")


def gettext(message: str) -> str:
    return CATALOGUE.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    one, many = PLURALS.get((singular, plural), (singular, plural))
    return one if n == 1 else many


def install() -> None:
    """Point click's modules at the catalogue (they look ``_`` and ``ngettext`` up at call time)."""
    import importlib

    for name in MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext


class Formatter(click.HelpFormatter):
    """Headings and the usage line with Chinese punctuation (a full-width colon, no space)."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix="用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    # click measures text in characters; a Chinese character takes two columns, so the help
    # is laid out here by display width (and wrapped within the terminal's width)

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        for i, paragraph in enumerate(_paragraphs(text)):
            if i:
                self.write("\n")
            if paragraph.startswith("\b"):
                lines = paragraph[1:].strip("\n").splitlines()
            else:
                lines = wrap(_joined(paragraph.splitlines()), self.width - len(indent), hang=True)
            self.write("".join(f"{indent}{line}\n" for line in lines))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((width(a) for a, _ in rows), default=0), col_max) + col_spacing
        room = max(self.width - first_col - self.current_indent - 2, 20)
        for term, text in rows:
            self.write(f"{'':>{self.current_indent}}{term}")
            lines = wrap(" ".join(text.split()), room, hang=True) if text else []
            if width(term) <= first_col - col_spacing:
                self.write(" " * (first_col - width(term)))
            elif lines:
                self.write("\n" + " " * (first_col + self.current_indent))
            self.write((lines[0] if lines else "") + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


def _joined(lines: list[str]) -> str:
    """Lines of one paragraph as one: Chinese text runs on without a space, other text with one."""
    out = ""
    for line in (line.strip() for line in lines):
        out += ("" if not out or not out[-1].isascii() or not line[:1].isascii() else " ") + line
    return out


def _paragraphs(text: str) -> list[str]:
    out, current = [], []
    for line in text.splitlines():
        if line.strip():
            current.append(line)
        elif current:
            out.append("\n".join(current))
            current = []
    if current:
        out.append("\n".join(current))
    return out


class Context(click.Context):
    formatter_class = Formatter


class Command(click.Command):
    """A command whose usage line says [选项] for [OPTIONS]."""

    context_class = Context

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)


class Group(click.Group):
    command_class = Command
    context_class = Context

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[选项]")
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)


def _hint(param) -> str:
    """How a clerk names a parameter: its options (-o / --output) or its placeholder."""
    if param is None:
        return "参数"
    opts = getattr(param, "opts", None)
    if isinstance(param, click.Option) and opts:
        return " / ".join(opts)
    return getattr(param, "metavar", None) or param.human_readable_name


def _maybe(possibilities) -> str:
    names = sorted(possibilities or ())
    return f"；是不是要用 {'、'.join(names)}？" if names else ""


def message(e: click.UsageError) -> str:
    """A usage error in Chinese, from what the exception knows (not from its English text)."""
    if isinstance(e, click.NoSuchOption):
        return f"没有“{e.option_name}”这个选项{_maybe(e.possibilities)}"
    if type(e).__name__ == "NoSuchCommand":
        return f"没有“{e.command_name}”这个命令{_maybe(getattr(e, 'possibilities', None))}"
    if isinstance(e, click.MissingParameter):
        what = "参数" if isinstance(e.param, click.Argument) else "选项"
        return f"缺少{what} {_hint(e.param)}"
    if isinstance(e, click.BadParameter):
        return f"{_hint(e.param)} 的值无效：{e.message}"
    return e.format_message()


def is_help_request(e: click.UsageError) -> bool:
    """A group called without a command: click answers with its help."""
    return type(e).__name__ == "NoArgsIsHelpError"


class WholeNumber(click.ParamType):
    """A whole number from ``low`` to ``high``, refused in Chinese."""

    name = "N"

    def __init__(self, low: int, high: int):
        self.low, self.high = low, high

    def convert(self, value, param, ctx):
        text = str(value).strip()
        if text.isascii() and text.isdigit() and self.low <= int(text) <= self.high:
            return int(text)
        self.fail(f"“{value}”不是 {self.low}—{self.high} 之间的整数", param, ctx)
