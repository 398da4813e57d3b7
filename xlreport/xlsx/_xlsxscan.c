/*
 * The cells of one xlsx worksheet, straight from its XML: the reader's fast path.
 *
 * python-calamine takes about 1 ms to open a workbook and parse its five sheets, and Python
 * itself cannot tokenise the XML faster (about 1 us per cell). This scanner reads the cells
 * of the top-left nrows x ncols in one pass and returns them in the types calamine gives
 * (float for numbers, str for plain shared strings, "" for empty); everything that needs a
 * decision (rich or escaped text, booleans, errors, dates) is handed back to Python as raw bytes.
 *
 * It never trusts the input: every read is bounded by the buffer's end, and anything it does
 * not recognise raises Decline, after which the caller reads the workbook with calamine:
 * comments, CDATA, DOCTYPE and processing instructions anywhere after the XML declaration, a
 * declared encoding other than UTF-8, cells out of order or repeated, an attribute or a
 * <v>/<f>/<is> given twice, numbers not written in digits, entities other than XML's five and
 * character references, the _x00HH_ escapes. Text is read the way calamine reads it (line
 * ends normalised, <t> trimmed unless xml:space="preserve", entities decoded).
 *
 *   scan(xml: bytes, nrows: int, ncols: int, table: list = None, sst: bytes = None) ->
 *       (grid, strings, others, formulas, styles)
 *   grid:     list of rows (each a list of ncols values: float, str, or "" when empty), up to
 *             the last row with a value; a shared string is placed when its entry of ``table``
 *             (shared_strings of ``sst``, decoded here on first use) is plain text
 *   strings:  [(row, col, shared-string index)] for the others
 *   others:   [(row, col, type, value bytes or None, inline <is> bytes or None)]
 *   formulas: [(reference, formula text)]: str, or bytes when it has entities or escapes
 *             ("" for a shared-formula follower)
 *   styles:   set of the style indexes (s="…") of the cells holding numbers
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>  /* first: its pyconfig.h defines _GNU_SOURCE, which glibc's memmem needs */
#include <math.h>
#include <string.h>

static PyObject *Decline;

static const char *find(const char *p, const char *end, const char *needle, size_t n)
{
    while (p + n <= end) {
        const char *q = memchr(p, needle[0], (size_t)(end - p - n + 1));
        if (q == NULL)
            return NULL;
        if (memcmp(q, needle, n) == 0)
            return q;
        p = q + 1;
    }
    return NULL;
}

/* find() for a needle that may lie far on (the end of a rich shared string, past its runs'
 * tags): glibc's memmem skips ahead where find() stops at every '<'; near needles, and
 * short ones, are found faster by find(). */
static const char *find_far(const char *p, const char *end, const char *needle, size_t n)
{
#if defined(__GLIBC__)
    return p < end ? memmem(p, (size_t)(end - p), needle, n) : NULL;
#else
    return find(p, end, needle, n);
#endif
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static PyObject *decline(const char *why)
{
    PyErr_SetString(Decline, why);
    return NULL;
}



static const char *reference(const char *p, const char *end, unsigned long *out);

/* Strict UTF-8 (no overlong forms, surrogates or code points past U+10FFFF): calamine refuses
 * a part that is not, wherever the bad bytes are. */
static int valid_utf8(const unsigned char *p, const unsigned char *end)
{
    while (p < end) {
        if (*p < 0x80) {
            p++;
            /* markup is ASCII: eight bytes at a time while none has its high bit set */
            while (end - p >= 8) {
                unsigned long long word;
                memcpy(&word, p, 8);
                if (word & 0x8080808080808080ULL)
                    break;
                p += 8;
            }
            continue;
        }
        unsigned char c = *p;
        if (c >= 0xC2 && c <= 0xDF) {
            if (end - p < 2 || (p[1] & 0xC0) != 0x80)
                return 0;
            p += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
                return 0;
            if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
                return 0;
            p += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (end - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
                return 0;
            if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
                return 0;
            p += 4;
        } else {
            return 0;
        }
    }
    return 1;
}

/* The first `second` in [p + 1, end) right after a '<' (at or past p), or NULL. */
static const char *after_lt(const char *p, const char *end, char second)
{
    const char *q = p + 1;
    while (q < end && (q = memchr(q, second, (size_t)(end - q))) != NULL) {
        if (q[-1] == '<')
            return q;
        q++;
    }
    return NULL;
}

/* Markup only a full XML parser reads right: a comment, CDATA or DOCTYPE (<!), or a processing
 * instruction (<?) past the XML declaration; a UTF-16 byte order mark; a declared encoding
 * other than UTF-8; bytes that are not UTF-8; an entity or character reference calamine refuses
 * (or that is unusual). 1 when there is none, else Decline set and 0. */
static int plain_markup(const char *buf, const char *end)
{
    const char *p = buf;
    if (!valid_utf8((const unsigned char *)buf, (const unsigned char *)end)) {
        decline("not UTF-8");
        return 0;
    }
    if (end - p >= 2 && (((unsigned char)p[0] == 0xFF && (unsigned char)p[1] == 0xFE) ||
                         ((unsigned char)p[0] == 0xFE && (unsigned char)p[1] == 0xFF))) {
        decline("UTF-16");
        return 0;
    }
    if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    if (end - p >= 6 && memcmp(p, "<?xml", 5) == 0 && is_space(p[5])) {
        const char *close = find(p, end, "?>", 2);
        if (close == NULL) {
            decline("XML declaration not closed");
            return 0;
        }
        const char *enc = find(p, close, "encoding", 8);
        if (enc != NULL) {
            enc += 8;
            while (enc < close && (is_space(*enc) || *enc == '='))
                enc++;
            if (enc < close && (*enc == '"' || *enc == '\''))
                enc++;
            if (close - enc < 5 || (enc[0] | 0x20) != 'u' || (enc[1] | 0x20) != 't' || (enc[2] | 0x20) != 'f' ||
                enc[3] != '-' || enc[4] != '8' || (close - enc > 5 && enc[5] != '"' && enc[5] != '\'')) {
                decline("encoding other than UTF-8");
                return 0;
            }
        }
        p = close + 2;
    }
    const char *amp = p;
    /* a '<' followed by '!' or '?': looked for from the rare second byte (markup has a '<'
     * in every tag, hardly ever a '!' or '?'), the first one in the part named */
    const char *bang = after_lt(p, end, '!'), *question = after_lt(p, end, '?');
    if (bang != NULL || question != NULL) {
        decline(question == NULL || (bang != NULL && bang < question) ? "comment, CDATA or DOCTYPE" : "processing instruction");
        return 0;
    }
    /* calamine refuses a whole part for one bad reference, even in a cell no one reads */
    while ((amp = memchr(amp, '&', (size_t)(end - amp))) != NULL) {
        unsigned long cp;
        const char *next = reference(amp, end, &cp);
        if (next == NULL) {
            decline("entity");
            return 0;
        }
        amp = next;
    }
    return 1;
}

/* The '>' ending a start tag whose attributes begin at p, quotes respected; NULL if none. */
static const char *tag_end(const char *p, const char *end)
{
    while (p < end) {
        if (*p == '"' || *p == '\'') {
            const char *close = memchr(p + 1, *p, (size_t)(end - p - 1));
            if (close == NULL)
                return NULL;
            p = close + 1;
        } else if (*p == '>') {
            return p;
        } else {
            p++;
        }
    }
    return NULL;
}

static int is_hex(char c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }

/* The reference at p ('&'): its code point and the byte after its ';'. NULL when it is not
 * one of XML's five entities or a character reference to a character calamine keeps (the
 * others, and the control characters, are left to calamine). */
static const char *reference(const char *p, const char *end, unsigned long *out)
{
    const char *semi = memchr(p, ';', (size_t)(end - p) < 12 ? (size_t)(end - p) : 12);
    if (semi == NULL)
        return NULL;
    Py_ssize_t len = semi - p - 1;
    const char *name = p + 1;
    unsigned long cp = 0;
    if (len == 2 && memcmp(name, "lt", 2) == 0) cp = '<';
    else if (len == 2 && memcmp(name, "gt", 2) == 0) cp = '>';
    else if (len == 3 && memcmp(name, "amp", 3) == 0) cp = '&';
    else if (len == 4 && memcmp(name, "apos", 4) == 0) cp = '\'';
    else if (len == 4 && memcmp(name, "quot", 4) == 0) cp = '"';
    else if (len >= 3 && name[0] == '#' && name[1] == 'x') {
        if (len > 8)
            return NULL;
        for (Py_ssize_t i = 2; i < len; i++) {
            if (!is_hex(name[i]))
                return NULL;
            cp = cp * 16 + (unsigned long)(name[i] <= '9' ? name[i] - '0' : (name[i] | 0x20) - 'a' + 10);
        }
    } else if (len >= 2 && name[0] == '#') {
        if (len > 8)
            return NULL;
        for (Py_ssize_t i = 1; i < len; i++) {
            if (name[i] < '0' || name[i] > '9')
                return NULL;
            cp = cp * 10 + (unsigned long)(name[i] - '0');
        }
    } else {
        return NULL;
    }
    if ((cp < 0x20 && cp != 9 && cp != 10 && cp != 13) || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF || cp > 0x10FFFF)
        return NULL;
    *out = cp;
    return semi + 1;
}

/* An _x00HH_ escape (calamine turns it into the character) somewhere in s. */
static int has_escape(const char *s, const char *end)
{
    const char *p = s;
    while ((p = find(p, end, "_x00", 4)) != NULL) {
        if (end - p >= 7 && p[6] == '_')  /* calamine wants two hex digits: any two is wider, and safe */
            return 1;
        p += 4;
    }
    return 0;
}

static int put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The text of a <t> (or of a t="str" <v>) as calamine gives it: line ends in the text
 * normalised to \n (not those written as &#13;), entities and character references decoded,
 * then, unless ``preserve``, spaces, tabs and line ends trimmed from both ends. A new str, or
 * NULL with Decline set (an entity calamine refuses or that is unusual, an _x00HH_ escape,
 * bytes that are not UTF-8, markup). */
static PyObject *xml_text(const char *s, Py_ssize_t n, int preserve)
{
    const char *end = s + n;
    if (memchr(s, '<', (size_t)n)) {
        decline("markup in text");
        return NULL;
    }
    if (has_escape(s, end)) {
        decline("escaped character");
        return NULL;
    }
    if (!memchr(s, '&', (size_t)n) && !memchr(s, '\r', (size_t)n) &&
        (preserve || n == 0 || (!is_space(s[0]) && !is_space(s[n - 1])))) {
        PyObject *text = PyUnicode_DecodeUTF8(s, n, NULL);
        if (text == NULL) {
            PyErr_Clear();
            decline("not UTF-8");
        }
        return text;
    }
    char small[512];
    char *out = n <= (Py_ssize_t)sizeof(small) ? small : PyMem_Malloc((size_t)n);
    if (out == NULL)
        return PyErr_NoMemory();
    Py_ssize_t o = 0, lead = -1, trail = 0;  /* lead: first non-space byte; trail: end of the last */
    const char *p = s;
    while (p < end) {
        char c = *p;
        int written;
        if (c == '&') {
            unsigned long cp;
            const char *next = reference(p, end, &cp);
            if (next == NULL)
                goto bad;
            written = put_utf8(out + o, cp);
            p = next;
            int space = cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r';
            o += written;
            if (!space) {
                if (lead < 0)
                    lead = o - written;
                trail = o;
            }
            continue;
        }
        if (c == '\r') {
            c = '\n';
            if (p + 1 < end && p[1] == '\n')
                p++;
        }
        out[o++] = c;
        p++;
        if (!is_space(c)) {
            if (lead < 0)
                lead = o - 1;
            trail = o;
        }
    }
    PyObject *text;
    if (has_escape(out, out + o)) {  /* calamine unescapes after decoding the references */
        if (out != small)
            PyMem_Free(out);
        decline("escaped character");
        return NULL;
    }
    if (preserve)
        text = PyUnicode_DecodeUTF8(out, o, NULL);
    else if (lead < 0)
        text = PyUnicode_FromStringAndSize("", 0);
    else
        text = PyUnicode_DecodeUTF8(out + lead, trail - lead, NULL);
    if (text == NULL) {
        PyErr_Clear();
        decline("not UTF-8");
    }
    if (out != small)
        PyMem_Free(out);
    return text;
bad:
    if (out != small)
        PyMem_Free(out);
    decline("entity");
    return NULL;
}


/* Rich text, the way LibreOffice and Excel write it: <r> runs, each an optional <rPr> of empty
 * elements and a <t>; the <t> texts read as calamine reads them and joined. A new str; NULL
 * with Decline set when calamine's reading is not certain; or a new bytes object of the whole
 * content when it is written some other way (Python reads that, cells._runs). */
static PyObject *rich_text(const char *p, const char *close)
{
    const char *start = p;
    PyObject *parts = PyList_New(0);
    if (parts == NULL)
        return NULL;
    int in_run = 0;
    while (p < close) {
        if (*p != '<')
            goto other;  /* text between the elements */
        if (close - p >= 3 && memcmp(p, "<r>", 3) == 0 && !in_run) {
            in_run = 1;
            p += 3;
        } else if (close - p >= 4 && memcmp(p, "</r>", 4) == 0 && in_run) {
            in_run = 0;
            p += 4;
        } else if (close - p >= 5 && memcmp(p, "<rPr>", 5) == 0 && in_run) {
            const char *stop = find(p + 5, close, "</rPr>", 6);
            if (stop == NULL)
                goto other;
            /* only empty elements inside: <b/>, <sz val="11"/>, <rFont val="宋体"/> … */
            for (const char *q = p + 5; q < stop; ) {
                q = memchr(q, '<', (size_t)(stop - q));
                if (q == NULL)
                    break;
                const char *gt = tag_end(q + 1, stop);
                if (gt == NULL || gt[-1] != '/' || q[1] == '/')
                    goto other;
                q = gt + 1;
            }
            p = stop + 6;
        } else if (close - p >= 3 && p[1] == 't' && (p[2] == '>' || is_space(p[2]) || p[2] == '/')) {
            const char *gt = tag_end(p + 2, close);
            if (gt == NULL)
                goto other;
            if (gt[-1] == '/') {  /* <t/> */
                p = gt + 1;
                continue;
            }
            int preserve = 0;
            if (gt > p + 2) {  /* attributes: only xml:space is known */
                Py_ssize_t n = gt - (p + 2);
                const char *a = p + 2;
                while (a < gt && is_space(*a))
                    a++;
                if ((gt - a == 20 && (memcmp(a, "xml:space=\"preserve\"", 20) == 0 || memcmp(a, "xml:space='preserve'", 20) == 0)))
                    preserve = 1;
                else if (a != gt)
                    goto other;
                (void)n;
            }
            const char *stop = find(gt + 1, close, "</t>", 4);
            if (stop == NULL || memchr(gt + 1, '<', (size_t)(stop - (gt + 1))))
                goto other;
            PyObject *text = xml_text(gt + 1, stop - (gt + 1), preserve);
            if (text == NULL) {
                Py_DECREF(parts);
                return NULL;
            }
            int failed = PyList_Append(parts, text);
            Py_DECREF(text);
            if (failed < 0) {
                Py_DECREF(parts);
                return NULL;
            }
            p = stop + 4;
        } else {
            goto other;  /* <rPh> (declined in Python), <phoneticPr>, anything else */
        }
    }
    if (in_run)
        goto other;
    PyObject *empty = PyUnicode_FromStringAndSize("", 0);
    PyObject *joined = empty ? PyUnicode_Join(empty, parts) : NULL;
    Py_XDECREF(empty);
    Py_DECREF(parts);
    return joined;
other:
    Py_DECREF(parts);
    return PyBytes_FromStringAndSize(start, close - start);
}

#define PRESERVE "<t xml:space=\"preserve\">"
#define PRESERVE_N ((Py_ssize_t)(sizeof(PRESERVE) - 1))

/* The content of an <si> or <is> (from p up to close) when it is one plain <t> (or one
 * <t xml:space="preserve">), or rich text (rich_text): its text as a new str (NULL and
 * Decline set when calamine's reading of it is not certain). Else a new bytes object of the
 * whole content, for Python. */
static PyObject *one_text(const char *p, const char *close)
{
    const char *text = NULL, *text_end = close - 4;
    int preserve = 0;
    if (close - p >= 7 && memcmp(text_end, "</t>", 4) == 0) {
        if (memcmp(p, "<t>", 3) == 0)
            text = p + 3;
        else if (close - p >= PRESERVE_N + 4 && memcmp(p, PRESERVE, PRESERVE_N) == 0) {
            text = p + PRESERVE_N;
            preserve = 1;
        }
    }
    if (text != NULL && text <= text_end && !memchr(text, '<', (size_t)(text_end - text)))
        return xml_text(text, text_end - text, preserve);
    if (close - p >= 3 && memcmp(p, "<r>", 3) == 0)
        return rich_text(p, close);
    return PyBytes_FromStringAndSize(p, close - p);
}

/* A cell reference such as "AB12" -> 0-based row and column; 0 when it is not one. */
static int parse_ref(const char *s, Py_ssize_t n, long *row, long *col)
{
    Py_ssize_t i = 0;
    long c = 0, r = 0;
    while (i < n && s[i] >= 'A' && s[i] <= 'Z' && i < 3)
        c = c * 26 + (s[i++] - 'A' + 1);
    if (c == 0 || i == n || n - i > 7)
        return 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        r = r * 10 + (s[i] - '0');
    }
    if (r == 0)
        return 0;
    *row = r - 1;
    *col = c - 1;
    return 1;
}

static int parse_uint(const char *s, Py_ssize_t n, long *out)
{
    long v = 0;
    if (n == 0 || n > 9)
        return 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* The text between an element's '>' and its closing tag; p points just after "<name". */
static const char *element_text(const char *p, const char *end, const char *close, size_t close_n,
                                const char **text, Py_ssize_t *text_n, int *empty, int markup)
{
    const char *gt = tag_end(p, end);
    if (gt == NULL)
        return NULL;
    if (gt > p && gt[-1] == '/') {
        *empty = 1;
        *text = gt;
        *text_n = 0;
        return gt + 1;
    }
    const char *stop = find(gt + 1, end, close, close_n);
    if (stop == NULL || (!markup && memchr(gt + 1, '<', (size_t)(stop - (gt + 1)))))
        return NULL;  /* not closed, or an element inside a <v> or <f> */
    *empty = 0;
    *text = gt + 1;
    *text_n = stop - (gt + 1);
    return stop + close_n;
}

static PyObject *put(PyObject *grid, long row, Py_ssize_t ncols, long col, PyObject *value, PyObject *blank)
{
    while (PyList_GET_SIZE(grid) <= row) {
        PyObject *line = PyList_New(ncols);
        if (line == NULL) {
            Py_DECREF(value);
            return NULL;
        }
        for (Py_ssize_t i = 0; i < ncols; i++) {
            Py_INCREF(blank);
            PyList_SET_ITEM(line, i, blank);
        }
        if (PyList_Append(grid, line) < 0) {
            Py_DECREF(line);
            Py_DECREF(value);
            return NULL;
        }
        Py_DECREF(line);
    }
    PyObject *line = PyList_GET_ITEM(grid, row);
    return PyList_SetItem(line, col, value) < 0 ? NULL : Py_None;  /* steals value */
}

/* table[index] as a value: an int (offset << 32 | length into sst, not read yet) is decoded
 * now and put back in the table, so each entry is decoded once. Borrowed reference. */
static PyObject *table_entry(PyObject *table, Py_ssize_t index, const char *sst, Py_ssize_t sst_len)
{
    PyObject *item = PyList_GET_ITEM(table, index);
    if (!PyLong_CheckExact(item))
        return item;
    unsigned long long packed = PyLong_AsUnsignedLongLong(item);
    if (packed == (unsigned long long)-1 && PyErr_Occurred())
        return NULL;
    Py_ssize_t start = (Py_ssize_t)(packed >> 32), length = (Py_ssize_t)(packed & 0xFFFFFFFFu);
    if (sst == NULL || start < 0 || length < 0 || start + length > sst_len) {
        PyErr_SetString(Decline, "shared-string table and offsets disagree");
        return NULL;
    }
    PyObject *value = one_text(sst + start, sst + start + length);
    if (value == NULL || PyList_SetItem(table, index, value) < 0)  /* steals value */
        return NULL;
    return value;
}

static PyObject *scan(PyObject *self, PyObject *args)
{
    const char *buf;
    Py_ssize_t len, nrows, ncols;
    PyObject *table = NULL;
    const char *sst = NULL;
    Py_ssize_t sst_len = 0;
    if (!PyArg_ParseTuple(args, "y#nn|O!y#", &buf, &len, &nrows, &ncols, &PyList_Type, &table, &sst, &sst_len))
        return NULL;
    const char *end = buf + len;
    PyObject *grid = NULL, *strings = NULL, *others = NULL, *formulas = NULL, *styles = NULL, *blank = NULL;
    grid = PyList_New(0);
    strings = PyList_New(0);
    others = PyList_New(0);
    formulas = PyList_New(0);
    styles = PySet_New(NULL);
    blank = PyUnicode_FromStringAndSize("", 0);
    if (!grid || !strings || !others || !formulas || !styles || !blank)
        goto fail;

    if (!plain_markup(buf, end))
        goto fail;
    if (find(buf, end, ":sheetData", 10) != NULL) {
        decline("prefixed namespace");
        goto fail;
    }
    const char *p = find(buf, end, "<sheetData", 10);
    if (p == NULL) {
        decline("no sheetData");  /* the sheets read always have one: something else is going on */
        goto fail;
    }
    long last_row = -1, last_col = -1;
    const char *stop = find(p, end, "</sheetData>", 12);
    if (stop == NULL) {
        const char *self_closed = memchr(p, '>', (size_t)(end - p));
        if (self_closed != NULL && self_closed[-1] == '/')
            goto done;
        decline("sheetData not closed");
        goto fail;
    }
    end = stop;

    {
        const char *gt = tag_end(p + 10, end);  /* past <sheetData …> */
        if (gt == NULL) {
            decline("sheetData not closed");
            goto fail;
        }
        p = gt + 1;
    }
    int in_row = 0;
    /* Between the cells only <row …>, </row> and <c …> are read; any other element, or a row
     * not closed, is left to calamine. */
    while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        if (end - p >= 6 && memcmp(p, "</row>", 6) == 0) {
            if (!in_row) {
                decline("unbalanced rows");
                goto fail;
            }
            in_row = 0;
            p += 6;
            continue;
        }
        if (end - p >= 5 && memcmp(p, "<row", 4) == 0 && (is_space(p[4]) || p[4] == '>' || p[4] == '/')) {
            const char *gt = tag_end(p + 4, end);
            if (gt == NULL || in_row) {
                decline("unbalanced rows");
                goto fail;
            }
            in_row = gt[-1] != '/';
            p = gt + 1;
            continue;
        }
        if (!(end - p >= 3 && p[1] == 'c' && (is_space(p[2]) || p[2] == '>' || p[2] == '/')) || !in_row) {
            decline("unknown element between cells");
            goto fail;
        }
        p += 2;
        const char *ref = NULL, *type = NULL, *style = NULL;
        Py_ssize_t ref_n = 0, type_n = 0, style_n = 0;
        /* attributes */
        for (;;) {
            while (p < end && is_space(*p))
                p++;
            if (p >= end) {
                decline("cut cell");
                goto fail;
            }
            if (*p == '>' || *p == '/')
                break;
            const char *name = p;
            while (p < end && *p != '=' && !is_space(*p) && *p != '>' && *p != '/')
                p++;
            Py_ssize_t name_n = p - name;
            while (p < end && is_space(*p))
                p++;
            if (p >= end || *p != '=') {
                decline("attribute without value");
                goto fail;
            }
            p++;
            while (p < end && is_space(*p))
                p++;
            if (p >= end || (*p != '"' && *p != '\'')) {
                decline("attribute without quotes");
                goto fail;
            }
            char quote = *p++;
            const char *value = p;
            const char *close = memchr(p, quote, (size_t)(end - p));
            if (close == NULL) {
                decline("attribute not closed");
                goto fail;
            }
            p = close + 1;
            if (name_n == 1 && (name[0] == 'r' || name[0] == 't' || name[0] == 's')) {
                const char **slot = name[0] == 'r' ? &ref : name[0] == 't' ? &type : &style;
                Py_ssize_t *slot_n = name[0] == 'r' ? &ref_n : name[0] == 't' ? &type_n : &style_n;
                if (*slot != NULL) {
                    decline("attribute given twice");
                    goto fail;
                }
                *slot = value;
                *slot_n = close - value;
            }
        }
        long row, col;
        if (ref == NULL || !parse_ref(ref, ref_n, &row, &col)) {
            decline("cell without a plain reference");
            goto fail;
        }
        if (row < last_row || (row == last_row && col <= last_col)) {
            decline("cells out of order");  /* calamine lets the last of a repeated cell win */
            goto fail;
        }
        last_row = row;
        last_col = col;
        if (*p == '/') {  /* <c …/>: nothing in it */
            p++;
            continue;
        }
        p++;  /* past '>' */
        const char *value = NULL, *inline_text = NULL, *formula = NULL;
        Py_ssize_t value_n = 0, inline_n = 0, formula_n = 0;
        int has_value = 0, has_formula = 0, has_inline = 0, empty;
        for (;;) {
            while (p < end && is_space(*p))
                p++;
            if (p + 4 <= end && memcmp(p, "</c>", 4) == 0) {
                p += 4;
                break;
            }
            if (p + 2 <= end && memcmp(p, "<f", 2) == 0 && p + 2 < end && (is_space(p[2]) || p[2] == '>' || p[2] == '/') && !has_formula) {
                p = element_text(p + 2, end, "</f>", 4, &formula, &formula_n, &empty, 0);
                has_formula = 1;
            } else if (p + 2 <= end && memcmp(p, "<v", 2) == 0 && p + 2 < end && (is_space(p[2]) || p[2] == '>' || p[2] == '/') && !has_value) {
                p = element_text(p + 2, end, "</v>", 4, &value, &value_n, &empty, 0);
                has_value = 1;
            } else if (p + 3 <= end && memcmp(p, "<is", 3) == 0 && p + 3 < end && (is_space(p[3]) || p[3] == '>' || p[3] == '/') && !has_inline) {
                p = element_text(p + 3, end, "</is>", 5, &inline_text, &inline_n, &empty, 1);
                has_inline = 1;
            } else {
                decline("unknown element in a cell");
                goto fail;
            }
            if (p == NULL) {
                decline("element not closed");
                goto fail;
            }
        }
        if (row >= nrows || col >= ncols)
            continue;
        if (has_formula) {
            int plain = !memchr(formula, '&', (size_t)formula_n);  /* else Python unescapes it as sheets._formula_cells does */
            PyObject *text = plain ? PyUnicode_DecodeUTF8(formula, formula_n, NULL) : NULL;
            if (text == NULL) {
                PyErr_Clear();
                text = PyBytes_FromStringAndSize(formula, formula_n);
            }
            PyObject *t = text ? Py_BuildValue("(s#N)", ref, ref_n, text) : NULL;
            if (t == NULL || PyList_Append(formulas, t) < 0) {
                Py_XDECREF(t);
                goto fail;
            }
            Py_DECREF(t);
        }
        int numeric = type == NULL || (type_n == 1 && type[0] == 'n');
        if (numeric && !has_inline) {
            if (!has_value || value_n == 0)
                continue;
            char number[64];
            if (value_n >= (Py_ssize_t)sizeof(number)) {
                decline("number written unusually");
                goto fail;
            }
            for (Py_ssize_t i = 0; i < value_n; i++) {
                char c = value[i];
                if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) {
                    decline("number written unusually");  /* inf, nan, spaces, entities: calamine decides */
                    goto fail;
                }
            }
            memcpy(number, value, (size_t)value_n);
            number[value_n] = '\0';
            char *parsed_end;
            double d = PyOS_string_to_double(number, &parsed_end, NULL);
            if ((d == -1.0 && PyErr_Occurred()) || parsed_end != number + value_n || !isfinite(d)) {
                PyErr_Clear();
                decline("not a number");
                goto fail;
            }
            if (style != NULL) {
                long s;
                if (!parse_uint(style, style_n, &s)) {
                    decline("style index");
                    goto fail;
                }
                PyObject *si = PyLong_FromLong(s);
                if (si == NULL || PySet_Add(styles, si) < 0) {
                    Py_XDECREF(si);
                    goto fail;
                }
                Py_DECREF(si);
            }
            PyObject *f = PyFloat_FromDouble(d);
            if (f == NULL || put(grid, row, ncols, col, f, blank) == NULL)
                goto fail;
        } else if (type_n == 1 && type[0] == 's' && has_value && !has_inline) {
            long index;
            if (!parse_uint(value, value_n, &index)) {
                decline("shared-string index");
                goto fail;
            }
            PyObject *text = NULL;
            if (table != NULL && index < PyList_GET_SIZE(table)) {
                text = table_entry(table, index, sst, sst_len);
                if (text == NULL)
                    goto fail;
            }
            if (text != NULL && PyUnicode_CheckExact(text)) {
                if (PyUnicode_GET_LENGTH(text) == 0)
                    continue;
                Py_INCREF(text);
                if (put(grid, row, ncols, col, text, blank) == NULL)
                    goto fail;
                continue;
            }
            PyObject *t = Py_BuildValue("(lll)", row, col, index);
            if (t == NULL || PyList_Append(strings, t) < 0) {
                Py_XDECREF(t);
                goto fail;
            }
            Py_DECREF(t);
        } else if (type_n == 9 && memcmp(type, "inlineStr", 9) == 0 && has_inline && inline_n > 0) {
            PyObject *text = one_text(inline_text, inline_text + inline_n);
            if (text == NULL)
                goto fail;
            if (PyUnicode_CheckExact(text)) {  /* one plain <t> */
                if (PyUnicode_GET_LENGTH(text) == 0) {
                    Py_DECREF(text);
                    continue;
                }
                if (put(grid, row, ncols, col, text, blank) == NULL)
                    goto fail;
                continue;
            }
            PyObject *t = Py_BuildValue("(lly#ON)", row, col, type, type_n, Py_None, text);
            if (t == NULL || PyList_Append(others, t) < 0) {
                Py_XDECREF(t);
                goto fail;
            }
            Py_DECREF(t);
        } else {
            PyObject *v = has_value ? PyBytes_FromStringAndSize(value, value_n) : (Py_INCREF(Py_None), Py_None);
            PyObject *i = has_inline ? PyBytes_FromStringAndSize(inline_text, inline_n) : (Py_INCREF(Py_None), Py_None);
            PyObject *t = (v && i) ? Py_BuildValue("(lly#OO)", row, col, type ? type : "", type ? type_n : 0, v, i) : NULL;
            Py_XDECREF(v);
            Py_XDECREF(i);
            if (t == NULL || PyList_Append(others, t) < 0) {
                Py_XDECREF(t);
                goto fail;
            }
            Py_DECREF(t);
        }
    }
    if (in_row) {
        decline("row not closed");
        goto fail;
    }
done:
    Py_DECREF(blank);
    return Py_BuildValue("(NNNNN)", grid, strings, others, formulas, styles);
fail:
    Py_XDECREF(grid);
    Py_XDECREF(strings);
    Py_XDECREF(others);
    Py_XDECREF(formulas);
    Py_XDECREF(styles);
    Py_XDECREF(blank);
    return NULL;
}

/*
 * shared_strings(xml: bytes) -> list: the <si> entries of sharedStrings.xml in order, each as
 * an int (offset << 32 | length of its content in xml), decoded when a cell asks for it (by
 * scan, or by entry below): the guidance texts of the 填表说明 sheet are never decoded.
 */
static PyObject *shared_strings(PyObject *self, PyObject *args)
{
    const char *buf;
    Py_ssize_t len;
    if (!PyArg_ParseTuple(args, "y#", &buf, &len))
        return NULL;
    if (len >= ((Py_ssize_t)1 << 31))
        return decline("shared-string table too large");
    const char *end = buf + len, *p = buf;
    if (!plain_markup(buf, end))
        return NULL;
    if (find(buf, end, ":si", 3) != NULL)  /* <x:si>: not found by the "<si" below */
        return decline("prefixed namespace");
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    while ((p = find(p, end, "<si", 3)) != NULL) {
        p += 3;
        if (p >= end)
            break;
        PyObject *item;
        if (*p == '/') {  /* <si/> */
            item = PyUnicode_FromStringAndSize("", 0);
        } else if (*p != '>') {
            Py_DECREF(out);
            return decline("shared string written unusually");
        } else {
            p++;
            const char *close = find_far(p, end, "</si>", 5);
            if (close == NULL) {
                Py_DECREF(out);
                return decline("shared string not closed");
            }
            item = PyLong_FromUnsignedLongLong(((unsigned long long)(p - buf) << 32) | (unsigned long long)(close - p));
            p = close + 5;
        }
        if (item == NULL || PyList_Append(out, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(item);
    }
    return out;
}

/* entry(table, index, xml) -> str or bytes: one entry of a shared_strings table, decoded. */
static PyObject *entry(PyObject *self, PyObject *args)
{
    PyObject *table;
    Py_ssize_t index;
    const char *sst;
    Py_ssize_t sst_len;
    if (!PyArg_ParseTuple(args, "O!ny#", &PyList_Type, &table, &index, &sst, &sst_len))
        return NULL;
    if (index < 0 || index >= PyList_GET_SIZE(table)) {
        PyErr_SetString(PyExc_IndexError, "shared string out of range");
        return NULL;
    }
    PyObject *value = table_entry(table, index, sst, sst_len);
    Py_XINCREF(value);
    return value;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, "scan(xml, nrows, ncols) -> (grid, strings, others, formulas, styles)"},
    {"shared_strings", shared_strings, METH_VARARGS, "shared_strings(xml) -> list of packed offsets, decoded on demand"},
    {"entry", entry, METH_VARARGS, "entry(table, index, xml) -> str, or bytes for Python to read"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_xlsxscan", "The cells of an xlsx worksheet from its XML.", -1, methods};

PyMODINIT_FUNC PyInit__xlsxscan(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Decline = PyErr_NewException("xlreport._xlsxscan.Decline", PyExc_ValueError, NULL);
    if (Decline == NULL || PyModule_AddObject(m, "Decline", Decline) < 0) {
        Py_XDECREF(Decline);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(Decline);
    return m;
}
