"""The report as data → the Word report (docxtpl) [→ PDF with LibreOffice when present]."""

from __future__ import annotations

import datetime
import os

import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

from ..format import spec
from ..errors import InputError, OutputError
from ..model import Item, Report, Section, Text
from ..output import atomic_target, save_through_memory, scratch_dir
from .resources import default_template
from ..shown import shown_path

CN_NUMBERS = "一二三四五六七八九十"


def fmt_number(v) -> str:
    """As a person writes it: 3 not 3.0; an amount with exactly the digits it has."""
    if v is None:
        return "0"
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, float):
        return format(Decimal(repr(v)).normalize(), "f")
    return str(v)


def sub_number(i: int) -> str:
    if i < 10:
        return f"（{CN_NUMBERS[i]}）"
    tens, ones = divmod(i + 1, 10)
    return "（" + ("" if tens == 1 else CN_NUMBERS[tens - 1]) + "十" + (CN_NUMBERS[ones - 1] if ones else "") + "）"


def default_preamble(report: Report) -> str:
    who = report.agency or "本机关"
    year = report.year or ""
    return (
        "依据《中华人民共和国政府信息公开条例》（以下简称《政府信息公开条例》）和《关于印发中华人民共和国政府信息公开工作年度报告格式的通知》"
        f"（{spec.FORMAT_NAME}）要求，编制{who}{year}年政府信息公开工作年度报告。"
    )


def fee_sentence(report: Report) -> str:
    """The 信息处理费 paragraph written from the three fee figures."""
    notices = report.value(("fees", "notices"))
    amount = report.value(("fees", "notice_amount"))
    collected = report.value(("fees", "collected"))
    year = f"{report.year}年度，" if report.year else "本年度，"
    if not notices and not amount and not collected:
        return f"{year}本机关未发出信息处理费收费通知，未收取信息处理费。发出收费通知的件数和总金额，以及实际收取的总金额均为0。"
    return (f"{year}本机关发出信息处理费收费通知{fmt_number(notices)}件，收费通知总金额{fmt_number(amount)}元，"
            f"实际收取总金额{fmt_number(collected)}元。")


def default_closing(report: Report) -> str:
    m = report.meta
    parts = []
    if m.get("website"):
        parts.append(f"本年度报告的电子版可以从{m['website']}下载。")
    contact = [f"{label}：{m[key]}" for key, label in (("address", "地址"), ("postcode", "邮编"), ("phone", "联系电话"), ("email", "邮箱")) if m.get(key)]
    who = (report.agency or "本机关") + (m.get("office") or "")
    sentence = f"如对本报告有任何疑问，请与{who}联系"
    parts.append(sentence + (f"（{'，'.join(contact)}）。" if contact else "。"))
    return "".join(parts)


def _items(items) -> list[dict]:
    out = []
    for item in items:
        if not item.paragraphs:
            continue
        out.append({"number": sub_number(len(out)), "heading": item.heading, "paragraphs": list(item.paragraphs)})
    return out


# what a section the format requires shows when nothing was written for it (check reminds of it
# too, as text-empty-section): a gap the reader of the draft cannot miss
EMPTY_SECTION = "【本部分尚未填写】"


def _required(section: Section) -> dict:
    intro, subsections = list(section.intro), _items(section.items)
    return {"intro": intro or ([] if subsections else [EMPTY_SECTION]), "subsections": subsections}


def context(report: Report) -> dict:
    """What the template sees: meta, every number formatted (n.<json path>), and the prose."""
    numbers: dict = {}
    for f in spec.FIELDS:
        node = numbers
        for key in f.path[:-1]:
            node = node.setdefault(key, {})
        node[f.path[-1]] = fmt_number(report.value(f.path))
    t = report.text
    fee = list(t.fee_note.paragraphs) or [fee_sentence(report)]
    other_items = [type(t.fee_note)(t.fee_note.heading or spec.FEE_NOTE_HEADING, fee)] + list(t.other.items)
    meta = {m.key: ("" if report.meta.get(m.key) is None else str(report.meta.get(m.key))) for m in spec.META_FIELDS}
    return {
        "meta": meta,
        "title_year": f"{report.year}年政府信息公开工作年度报告" if report.year else "政府信息公开工作年度报告",
        "n": numbers,
        "text": {
            "preamble": list(t.preamble) or [default_preamble(report)],
            "overview": _required(t.overview),
            "problems": _required(t.problems),
            "other": {"intro": list(t.other.intro), "subsections": _items(other_items)},
            "closing": list(t.closing) or [default_closing(report)],
        },
    }


# --- templates -------------------------------------------------------------------------------


def template_shape(report: Report) -> dict:
    """What a template may reach: the shape of the report's context, with the elements of every
    list described even where this report's list is empty (a template must not pass or fail with
    the data: the shape of a report whose every prose list holds one entry is merged in)."""
    from .template_policy import merge, shape_of

    return merge(shape_of(context(report)), shape_of(context(_every_list_filled())))


def _every_list_filled() -> Report:
    one = ["…"]

    def section() -> Section:
        return Section(list(one), [Item("…", list(one))])

    return Report(text=Text(list(one), section(), section(), section(), Item("…", list(one)), list(one)))


CORE_PROPERTY_CHARS = 255


def _stamp_properties(props, report: Report) -> None:
    """The report's own document properties: made now, by the agency (the template's are its
    maker's: python-docx's default document dates them 2013, ours 2021)."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, tzinfo=None)
    props.created = props.modified = now
    if report.agency:
        # a document property holds at most 255 characters (python-docx refuses more); the report
        # itself names the agency in full
        props.author = report.agency[:CORE_PROPERTY_CHARS]
    props.last_modified_by = "xlreport"


def render_docx(report: Report, out, template=None, force: bool = False, warn=None) -> Path:
    """Fill the template with the report and write the .docx atomically. A user's template is
    read like any untrusted input: every source docxtpl will compile is checked against the
    template policy first, and a template that leaves out numbers of the three tables is
    refused (``warn`` hears of other gaps). Every template renders in jinja2's sandbox; the
    package's own is not parsed a second time for the policy (that is half of a build's time),
    the tests check it once (test_template_security: it passes, placeholder by placeholder)."""
    from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError
    from lxml import etree

    from .cache import Cache
    from .template_file import TemplateCheck, missing_from, open_template
    from .template_file import detail as _detail
    from .template_policy import PolicyEnvironment, Refused

    path = Path(template) if template else default_template()
    where = shown_path(path)
    prepared = Cache.default()
    tpl = open_template(path, prepared)
    ctx = context(report)
    env = PolicyEnvironment(template_shape(report), prepared.code if prepared else None)
    check = TemplateCheck(tpl, env, path)
    if template is not None:
        check.run()
        missing_from(check, warn or (lambda message: None))
    try:
        tpl.render(ctx, env, autoescape=True)
    except Refused as e:  # a source none of ours matched: the environment checks it all the same
        raise check.refusal(e) from None
    except UndefinedError as e:
        raise InputError(f"{where}：模板引用了报告中没有的数据（{_detail(e.message or e)}）") from None
    except SecurityError as e:
        raise InputError(f"{where}：模板试图访问不允许的内容，已拒绝（{_detail(e)}）") from None
    except TemplateSyntaxError as e:
        raise InputError(f"{where}：模板语法有误（{_detail(e.message or e)}）") from None
    except TemplateError as e:
        raise InputError(f"{where}：按模板生成报告时出错（{_detail(e)}）") from None
    except etree.LxmlError as e:
        raise InputError(f"{where}：按模板生成的文档结构无效（{_detail(e)}）",
                         "请检查 {% %} 标签是否把段落或表格拆开了") from None
    except RecursionError:
        raise InputError(f"{where}：模板中的表达式嵌套过深") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as e:
        raise InputError(f"{where}：按模板生成报告时出错（{type(e).__name__}：{_detail(e)}）") from None
    _stamp_properties(tpl.docx.core_properties, report)
    with atomic_target(Path(out), force) as tmp:
        try:
            save_through_memory(tmp, tpl.save)
        except (etree.LxmlError, TypeError, ValueError, KeyError) as e:
            raise InputError(f"{where}：按模板生成的文档无法保存（{type(e).__name__}：{_detail(e)}）") from None
    return Path(out)


# --- PDF ---------------------------------------------------------------------------------------


def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_pdf(docx: Path, pdf: Path, force: bool = False, timeout: int = 180) -> list[str]:
    """The PDF of ``docx`` by LibreOffice, with the 公文 fonts mapped to free faces (fonts.py);
    returns the lines that name the substitutions made."""
    from . import fonts

    soffice = find_soffice()
    if soffice is None:
        raise OutputError("未找到 LibreOffice，无法生成 PDF", "安装 LibreOffice 后重试，或在 WPS/Word 中打开 .docx 另存为 PDF")
    with scratch_dir("xlreport-lo-") as work:
        work = Path(work)
        profile = (work / "profile").as_uri()
        cmd = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(work), str(docx)]
        subs = fonts.substitutions()
        env = dict(os.environ, FONTCONFIG_FILE=str(fonts.fontconfig_file(work, subs)))
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout, check=False, env=env)
        except subprocess.TimeoutExpired:
            raise OutputError(f"LibreOffice 转换 PDF 超时（{timeout} 秒）") from None
        except OSError as e:
            raise OutputError(f"无法运行 LibreOffice（{e.strerror}）") from None
        produced = work / (docx.stem + ".pdf")
        # LibreOffice's exit code says nothing: the file is the proof
        if not produced.exists() or produced.stat().st_size == 0 or not produced.read_bytes()[:5] == b"%PDF-":
            raise OutputError(f"LibreOffice 未能把 {docx.name} 转换为 PDF")
        with atomic_target(pdf, force) as tmp:
            shutil.copyfile(produced, tmp)
    return fonts.notice(subs)


__all__ = ["context", "template_shape", "render_docx", "convert_to_pdf", "fmt_number"]
