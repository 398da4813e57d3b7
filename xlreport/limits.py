"""Every limit a reader, writer or worker enforces, in one place, each with its reason.

Files reach xlreport from other agencies and from the public: every one is untrusted until it
has passed these. A limit breached is never a crash or a silent cut: the reader raises
``LimitError`` (an ``InputError``: exit 2, one Chinese line naming the file and the limit).
docs/security.md lists the same values; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limit:
    """One bound on hostile input: its value, and how messages and docs/security.md name it."""

    value: int
    unit: str  # how the value reads in a message: "字节", "个", "层", "秒", ...
    name: str  # Chinese, as a message names it
    why: str  # the reason, for docs/security.md

    def shown(self) -> str:
        if self.unit == "字节":
            return f"{self.value // MB} MB" if self.value >= MB else f"{self.value // 1024} KB"
        return f"{self.value:,}{self.unit}".replace(",", "")


# --- files --------------------------------------------------------------------------------------

FILE_BYTES = {
    # a filled workbook is about 30 KB; a province's merge of ten thousand agencies about 2 MB
    "workbook": Limit(64 * MB, "字节", "工作簿文件大小", "一份年度报告工作簿约 30 KB，一万个单位的汇总约 2 MB"),
    "template": Limit(32 * MB, "字节", "Word 模板文件大小", "默认模板约 20 KB；加了图片、印章的模板也在几 MB 以内"),
    "docx": Limit(64 * MB, "字节", "Word 文件大小", "已发布的 Word 报告通常在 1 MB 以内，带扫描图片的也在几十 MB 以内"),
    "pdf": Limit(64 * MB, "字节", "PDF 文件大小", "已发布的 PDF 报告通常在 2 MB 以内"),
    "html": Limit(16 * MB, "字节", "网页文件大小", "一篇报告的网页通常在 200 KB 以内"),
    "txt": Limit(2 * MB, "字节", "文本文件大小", "一篇报告的全文约 2 万字（60 KB）；读 2 MB 的一长串数字要 4 秒，8 MB 的要 10 秒"),
    "json": Limit(2 * MB, "字节", "JSON 文件大小",
                  "一份 JSON 报告约 20 KB，正文很长的也在几百 KB 以内；读 2 MB 的数字列表要 2 秒、160 MB 内存，16 MB 的要十几秒、上 GB"),
    "accept": Limit(1 * MB, "字节", "确认记录文件大小", "每条确认记录约 300 字节"),
    "names": Limit(1 * MB, "字节", "单位名称对照表文件大小", "一个省的单位名称对照表不过几十 KB"),
}

# --- zip containers (xlsx, ods, docx, templates) -------------------------------------------------
# checked on the central directory before anything inflates, and again while inflating: a
# declared size can lie, so no entry is ever inflated past its limit whatever its header says

ZIP_ENTRIES = Limit(5000, "个", "压缩包内文件数", "工作簿约 20 个部件，Word 文档约 15 个")
ZIP_ENTRY_BYTES = Limit(64 * MB, "字节", "压缩包内单个文件解压后大小", "最大的部件是工作表 XML，年度报告的不到 1 MB")
ZIP_TOTAL_BYTES = Limit(256 * MB, "字节", "压缩包解压后总大小", "一份工作簿解压后约 300 KB")
ZIP_RATIO = Limit(200, "倍", "压缩比", "XML 的压缩比通常在 5—50 倍；压缩炸弹在千倍以上（只对解压后超过 4 MB 的部件检查）")
ZIP_RATIO_FROM = 4 * MB  # small parts compress very well and are harmless whatever their ratio
SHEETS = Limit(255, "个", "工作表数", "模板有 8 张工作表；更多的是生成的或恶意的文件")

# --- cells ----------------------------------------------------------------------------------------

# read, not refused: the tables sit in the top-left corner, and a cell beyond (XFD1048576, or a
# row near 10⁸) would make calamine allocate a grid of billions of cells
READ_ROWS = Limit(999, "行", "读取的行数（其后的行不读取）", "表格和正文都在前 120 行以内；远处的一个单元格会让读取程序分配数十亿格")
READ_COLS = Limit(52, "列", "读取的列数（A—AZ，其后的列不读取）", "最宽的表四有 15 列")
CELL_CHARS = Limit(32_767, "字", "单元格文字长度", "Excel 单元格最多容纳 32767 个字符；写入报告的文字（基本信息、正文）更长的，整个文件不读取")
# the annotated copy is made with openpyxl, which makes an object for every cell a merge covers
ANNOTATE_MERGED = Limit(1_000_000, "格", "标注副本中合并单元格覆盖的格数",
                        "模板的合并单元格共约 300 格；合并了整张工作表的一个单元格覆盖 170 亿格，打开它要几十 GB 内存")
ANNOTATE_CELLS = Limit(500_000, "格", "标注副本的工作簿单元格数",
                       "一份年度报告工作簿约 1100 格，一万个单位的汇总约 14 万格（标注要 6 秒）；openpyxl 读写 100 万格要近一分钟、700 MB 内存")
MAX_COUNT = 10**12  # a count of requests, documents or decisions: a trillion is beyond any agency
MAX_AMOUNT = 10**12  # an amount in 万元 or 元
AMOUNT_DIGITS = 15  # significant digits an amount may have: what Excel (a double) keeps exactly
# an .xls is read by calamine in a child process (isolation.py): a crafted one aborts its reader
XLS_SECONDS = Limit(30, "秒", "读取 .xls 工作簿的时间", "一份 .xls 工作簿在 0.1 秒内读完")
XLS_MEMORY = Limit(1024 * MB, "字节", "读取 .xls 工作簿的内存",
                   "一份 .xls 工作簿用 50 MB 以内；分配表成环或谎报表格大小的 .xls 让 calamine 申请几 GB 到几百 GB，进程中止")

# --- published reports ----------------------------------------------------------------------------

TABLE_SPAN = Limit(200, "格", "表格单元格的跨行或跨列数", "官方表格最大的合并单元格跨 22 行")
TABLE_CELLS = Limit(100_000, "格", "一个表格展开后的单元格数", "表三展开后 290 格；版面表格也在几千格以内")
DOCUMENT_CELLS = Limit(1_000_000, "格", "全部表格展开后的单元格数", "一篇报告的全部表格约 500 格")
DOCX_TAGS = Limit(1_000_000, "个", "Word 文档正文中的标签数",
                  "一篇报告的正文约 1 万个标签，排版繁复的几十页文档也在几十万以内；64 MB 的正文可有上千万个标签，读入要几 GB 内存")
HTML_TAGS = Limit(200_000, "个", "网页中的标签数",
                  "一篇报告的网页约几千个标签，用 Word 另存的网页也在几万个以内；16 MB 的网页可有上百万个标签，读完要一分钟")
PDF_PAGES = Limit(200, "页", "PDF 页数", "年度报告通常 5—15 页")
PDF_CHARS = Limit(2_000_000, "字", "PDF 文字数", "一篇报告约 2 万字；扫描件转换的 PDF 也在 20 万字以内")
PDF_SECONDS = Limit(15, "秒", "读取 PDF 的时间", "正常的报告在 1 秒内读完；对象循环引用的 PDF 会一直读下去")
PDF_MEMORY = Limit(1024 * MB, "字节", "读取 PDF 的内存", "正常的报告用 100 MB 以内")

# --- JSON -----------------------------------------------------------------------------------------

JSON_DEPTH = Limit(32, "层", "JSON 嵌套层数", "报告的 JSON 最深 5 层")
JSON_NUMBER_CHARS = Limit(40, "位", "JSON 中一个数字的长度", "最大的件数 12 位、金额 15 位有效数字；1e999999999 这样的数字展开后有十亿位")

# --- a batch (check / merge of a folder) ----------------------------------------------------------

WORKER_MEMORY = Limit(2048 * MB, "字节", "批量检查中每个进程的内存", "读一份工作簿用 50 MB 以内；超出的文件单独报告无法读取，其余照常检查")
FILE_SECONDS = Limit(120, "秒", "批量检查中每个文件的时间", "一份工作簿在 10 毫秒内读完；超时的文件单独报告无法读取")

# --- Word templates (what a template may say is in template_policy.py) ---------------------------

TEMPLATE_PART = Limit(4 * MB, "字节", "模板中一个部件（正文、页眉、页脚、脚注）的 XML 大小",
                      "默认模板的正文约 100 KB；docxtpl 逐个部件做正则替换，每 MB 约 1 秒，几十 MB 就要几分钟")
TEMPLATE_TEXT = Limit(200, "字", "模板中一个文字常量的长度", "占位符旁的默认文字不过几个字；更长的是注入的内容")
TEMPLATE_LOOPS = Limit(2, "层", "模板中 for 循环的嵌套层数", "默认模板最深两层：小节和小节中的段落")
CACHE_ENTRIES = Limit(200, "个", "模板缓存中的文件数（最旧的先删除）",
                      "默认模板有 11 个缓存文件、共 250 KB；每个新模板、新版本再加这么多")

# --- what an acceptance may say ---------------------------------------------------------------------

ACCEPT_ENTRIES = Limit(10_000, "条", "确认记录条数", "一份报告的提醒不过几十条")
REASON_CHARS = Limit(500, "字", "确认理由长度", "理由是一两句话")

# --- xlreport serve: what one request may bring, what the server keeps ---------------------------

UPLOAD_BYTES = Limit(64 * MB, "字节", "网页上传一次的大小", "与最大的单个文件（工作簿、Word、PDF）相同；超出的请求不读入内存，直接拒绝")
UPLOAD_FILES = Limit(200, "个", "网页上传一次的文件数", "一个县的单位不过 200 个；更多的请分批上传或用命令行")
LOGIN_TRIES = Limit(5, "次", "十分钟内登录失败次数（每个地址）", "记错密码试几次就够；更多的是猜密码")
WEB_WORKERS = Limit(2, "个", "网页同时进行的检查、生成任务数", "与两核机器的核数相同；其余任务排队，页面显示进度")
KEPT_RESULTS = Limit(500, "个", "网页生成的下载文件保留个数（一小时后删除）", "每个文件约 30 KB；旧文件先删除")

# --- output names -----------------------------------------------------------------------------------

NAME_CHARS = 60  # characters of the agency name in a default file name (a file name holds 255 bytes)

__all__ = [name for name in dir() if name.isupper()] + ["Limit", "MB"]


def table() -> str:
    """The limits as the Markdown table of docs/security.md (a test keeps the two equal)."""
    rows = [("文件大小：" + name, limit) for name, limit in FILE_BYTES.items()]
    rows += [(name, value) for name, value in globals().items() if isinstance(value, Limit)]
    lines = ["| 限制 | 上限 | 理由 |", "|---|---|---|"]
    for _, limit in rows:
        lines.append(f"| {limit.name} | {limit.shown()} | {limit.why} |")
    lines.append(f"| 件数 | 小于 {MAX_COUNT:,} | 任何机关的申请、文件、决定数都远小于一万亿 |".replace(",", ""))
    lines.append(f"| 金额（万元、元） | 小于 {MAX_AMOUNT:,}，有效数字不超过 {AMOUNT_DIGITS} 位 | 工作簿（Excel 的双精度数）只能准确保存 15 位 |"
                 .replace(",", ""))
    return "\n".join(lines) + "\n"
