/* yaml_compat.c - where libyaml and PyYAML (the reference's loader) read the
 * same text differently, and what apls does about it. The aim: a patch
 * PyYAML's safe_load reads, apls reads with the same values; a patch it
 * refuses, apls refuses with a problem on the text at fault.
 *
 * libyaml refuses what PyYAML reads; a stand-in makes libyaml read it. A
 * stand-in replaces a character by one of the same length in the text
 * libyaml is given, so every mark still points at the original. Each is
 * checked against what libyaml made of it, and dropped when it was wrong
 * (the text is then read again):
 *  - a block scalar whose first line starts with spaces and a tab (C, Go,
 *    Makefiles): PyYAML takes the tab's column as the indentation, libyaml
 *    stops ("a tab character where an indentation space is expected"). The
 *    tab becomes an 'x' for libyaml and a tab again in the value; in a
 *    folded scalar the line after it is not folded onto it (PyYAML does not
 *    fold a line that starts with a tab).
 *  - a directive PyYAML ignores (%FOO): libyaml refuses any but %YAML and
 *    %TAG. Its '%' becomes '#', a comment.
 *  - %YAML 1.x: PyYAML reads any 1.x, libyaml only 1.1 and 1.2. The minor
 *    number becomes 1.
 *  - a byte order mark at the start of a line (not the first): libyaml
 *    skips it, PyYAML reads it as a character. It becomes U+FEFE, and
 *    U+FEFF again in the value.
 *
 * PyYAML refuses what libyaml reads; these are checked after reading:
 *  - a tab anywhere but inside a quoted scalar, a block scalar's content or
 *    a comment (PyYAML never takes a tab for a separator: "key:\tvalue",
 *    "value\t# note", "[a,\tb]", a tab inside a plain scalar);
 *  - '#' right after a block scalar's indicators ("|#note");
 *  - '?' inside a plain scalar in a flow collection ("[a?b]").
 *
 * What stays different (docs/engine.md lists it): lone surrogates from
 * escapes ("\ud800"), ':' right before a flow indicator ("[a:]"), a byte
 * order mark starting a line inside a double-quoted scalar with escapes,
 * aliases to mappings and lists, nesting deeper than 64 and duplicate keys
 * are refused by apls and read by PyYAML. */
#include "yaml_tree.h"

#include <stdlib.h>
#include <string.h>

enum { SI_TAB = 1, SI_DIRECTIVE, SI_VERSION, SI_BOM };

#define STAND_IN_TAB 'x'

/* ------------------------------------------------------------- lines */

/* The length of the YAML line break at t[i] (LF, CR, CRLF, NEL, LS, PS), or 0. */
static size_t break_len(const char *t, size_t len, size_t i)
{
    unsigned char c = (unsigned char)t[i];
    if (c == '\n')
        return 1;
    if (c == '\r')
        return i + 1 < len && t[i + 1] == '\n' ? 2 : 1;
    if (c == 0xc2 && i + 1 < len && (unsigned char)t[i + 1] == 0x85)
        return 2;
    if (c == 0xe2 && i + 2 < len && (unsigned char)t[i + 1] == 0x80 &&
        ((unsigned char)t[i + 2] == 0xa8 || (unsigned char)t[i + 2] == 0xa9))
        return 3;
    return 0;
}

static size_t eol(const char *t, size_t len, size_t i)
{
    while (i < len && !break_len(t, len, i))
        i++;
    return i;
}

/* Does a line break end just before t[i]? */
static bool break_before(const char *t, size_t i)
{
    const unsigned char *u = (const unsigned char *)t;
    return i > 0 && (u[i - 1] == '\n' || u[i - 1] == '\r' ||
                     (i >= 2 && u[i - 2] == 0xc2 && u[i - 1] == 0x85) ||
                     (i >= 3 && u[i - 3] == 0xe2 && u[i - 2] == 0x80 &&
                      (u[i - 1] == 0xa8 || u[i - 1] == 0xa9)));
}

/* Bytes from the start of i's line to i (the column, where it is spaces). */
static uint32_t column(const char *t, uint32_t i)
{
    uint32_t ln = i;
    while (ln > 0 && !break_before(t, ln))
        ln--;
    return i - ln;
}

static size_t next_line(const char *t, size_t len, size_t i)
{
    i = eol(t, len, i);
    return i < len ? i + break_len(t, len, i) : i;
}

/* Is the break at t[i] one PyYAML folds ('\n' once read: not LS or PS)? */
static bool foldable_break(const char *t, size_t len, size_t i)
{
    return i < len && ((unsigned char)t[i] == '\n' || (unsigned char)t[i] == '\r' ||
                       (unsigned char)t[i] == 0xc2);
}

static void add(builder *b, uint8_t kind, uint32_t at, uint8_t len, uint32_t header)
{
    AP_GROW(b->standins, b->nstandins, b->capstandins);
    b->standins[b->nstandins++] = (ystandin){at, header, kind, len, false, NULL};
}

/* ---------------------------------------------------- tab-indented blocks */

/* If a block scalar header ('|' or '>', chomping, no indentation digit)
 * ends the line [s, e), where its indicator stands; else UINT32_MAX. */
static uint32_t header_in(const char *t, size_t s, size_t e)
{
    for (size_t i = s; i < e; i++) {
        if (t[i] == '#' && (i == s || t[i - 1] == ' ' || t[i - 1] == '\t'))
            return UINT32_MAX; /* a comment: no header after it */
        if ((t[i] != '|' && t[i] != '>') || (i > s && t[i - 1] != ' ' && t[i - 1] != '\t'))
            continue;
        size_t j = i + 1;
        if (j < e && (t[j] == '+' || t[j] == '-'))
            j++;
        if (j < e && t[j] >= '0' && t[j] <= '9')
            return UINT32_MAX; /* the indentation is given: libyaml agrees */
        while (j < e && (t[j] == ' ' || t[j] == '\t'))
            j++;
        if (j == e || t[j] == '#')
            return (uint32_t)i;
    }
    return UINT32_MAX;
}

/* The first content line after a header line ending at `from`: when it is
 * indentation spaces then a tab, and no blank line before it has more
 * spaces (PyYAML then takes the tab's column as the indentation), the tab's
 * offset; else UINT32_MAX. */
static uint32_t tab_first_line(const char *t, size_t len, size_t from)
{
    size_t max = 0;
    for (size_t ln = from; ln < len; ln = next_line(t, len, ln)) {
        size_t i = ln;
        while (i < len && t[i] == ' ')
            i++;
        if (i - ln > max)
            max = i - ln;
        if (i < len && break_len(t, len, i))
            continue; /* blank: only spaces */
        if (i < len && t[i] == '\t' && i - ln == max && max >= 1)
            return (uint32_t)i;
        return UINT32_MAX;
    }
    return UINT32_MAX;
}

static void scan_tab_blocks(builder *b)
{
    const char *t = b->text;
    size_t len = b->len;
    for (size_t ln = 0; ln < len;) {
        size_t e = eol(t, len, ln), nl = next_line(t, len, ln);
        uint32_t h = memchr(t + ln, '|', e - ln) || memchr(t + ln, '>', e - ln) ? header_in(t, ln, e)
                                                                                 : UINT32_MAX;
        if (h != UINT32_MAX) {
            uint32_t x = tab_first_line(t, len, nl);
            if (x != UINT32_MAX)
                add(b, SI_TAB, x, 1, h);
        }
        ln = nl;
    }
}

/* ----------------------------------------------------------- directives */

static bool name_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '_';
}

/* Lines starting with '%' (directives, when they come before the document). */
static void scan_directives(builder *b)
{
    const char *t = b->text;
    size_t len = b->len;
    for (const char *pc = memchr(t + b->base, '%', len - b->base); pc;
         pc = memchr(pc + 1, '%', len - (size_t)(pc + 1 - t))) {
        size_t ln = (size_t)(pc - t);
        if (ln > b->base && !break_before(t, ln))
            continue; /* not at a line's start */
        size_t e = eol(t, len, ln), i = ln + 1;
        while (i < e && name_char(t[i]))
            i++;
        if (i - ln == 4 && memcmp(t + ln, "%TAG", 4) == 0)
            continue;
        if (i - ln == 5 && memcmp(t + ln, "%YAML", 5) == 0) {
            /* "%YAML 1.<minor>": libyaml reads only minor 1 and 2 */
            while (i < e && t[i] == ' ')
                i++;
            size_t major = i;
            while (i < e && t[i] >= '0' && t[i] <= '9')
                i++;
            if (i == major || i >= e || t[i] != '.')
                continue;
            size_t minor = ++i;
            while (i < e && t[i] >= '0' && t[i] <= '9')
                i++;
            bool one = t[minor - 2] == '1'; /* the major number is 1 (leading zeros allowed) */
            for (size_t k = major; k + 2 < minor; k++)
                one &= t[k] == '0';
            if (one && i > minor && !(i - minor == 1 && (t[minor] == '1' || t[minor] == '2')) &&
                i - minor < 256)
                add(b, SI_VERSION, (uint32_t)minor, (uint8_t)(i - minor), 0);
            continue;
        }
        /* PyYAML wants a space or the line's end after the name */
        if (i > ln + 1 && (i == e || t[i] == ' '))
            add(b, SI_DIRECTIVE, (uint32_t)ln, 1, (uint32_t)i);
    }
}

/* ------------------------------------------------------- byte order marks */

static void scan_boms(builder *b)
{
    const char *t = b->text;
    size_t len = b->len;
    for (size_t ln = b->base; ln + 3 <= len; ln = next_line(t, len, ln))
        if (memcmp(t + ln, "\xef\xbb\xbf", 3) == 0)
            add(b, SI_BOM, (uint32_t)ln, 3, 0);
}

void ap_ycompat_scan(builder *b)
{
    if (memchr(b->text, '\t', b->len))
        scan_tab_blocks(b);
    if (memchr(b->text, '%', b->len))
        scan_directives(b);
    if (memmem(b->text + b->base, b->len - b->base, "\xef\xbb\xbf", 3))
        scan_boms(b);
}

char *ap_ycompat_feed(const builder *b)
{
    char *feed = NULL;
    for (size_t i = 0; i < b->nstandins; i++) {
        const ystandin *s = &b->standins[i];
        if (s->dropped)
            continue;
        if (!feed)
            feed = ap_xmemdup(b->text, b->len);
        switch (s->kind) {
        case SI_TAB: feed[s->at] = STAND_IN_TAB; break;
        case SI_DIRECTIVE: feed[s->at] = '#'; break;
        case SI_VERSION:
            feed[s->at] = '1';
            memset(feed + s->at + 1, ' ', s->len - 1u);
            break;
        case SI_BOM: feed[s->at + 2] = (char)0xbe; break;
        default: break;
        }
    }
    return feed;
}

/* ------------------------------------------------------------- checking */

/* The record of the last scalar starting at or before off, or NULL. */
static yscalar *scalar_at(const builder *b, uint32_t off)
{
    size_t lo = 0, hi = b->nscalars;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->scalars[mid].start <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &b->scalars[lo - 1] : NULL;
}

/* Skips a node's properties (tags, anchors) and what separates them, from
 * `from`: where the scalar itself starts. */
static uint32_t skip_properties(const builder *b, uint32_t from, uint32_t to)
{
    const char *t = b->text;
    uint32_t i = from;
    for (;;) {
        while (i < to && (t[i] == ' ' || t[i] == '\t' || break_len(t, b->len, i)))
            i++;
        if (i < to && t[i] == '#') {
            i = (uint32_t)eol(t, to, i);
        } else if (i < to && (t[i] == '!' || t[i] == '&')) {
            bool verbatim = t[i] == '!' && i + 1 < to && t[i + 1] == '<';
            while (i < to && (verbatim ? t[i] != '>' : !(t[i] == ' ' || t[i] == '\t' ||
                                                       break_len(t, b->len, i))))
                i++;
            if (verbatim && i < to)
                i++;
        } else {
            return i;
        }
    }
}

/* Where the value's first line starts: past its leading line breaks. */
static size_t past_breaks(const ynode *n)
{
    size_t k = 0;
    while (k < n->len) {
        if (n->val[k] == '\n')
            k++;
        else if (k + 2 < n->len && (unsigned char)n->val[k] == 0xe2 &&
                 (unsigned char)n->val[k + 1] == 0x80 &&
                 ((unsigned char)n->val[k + 2] == 0xa8 || (unsigned char)n->val[k + 2] == 0xa9))
            k += 3;
        else
            break;
    }
    return k;
}

static bool check_tab(builder *b, ystandin *s)
{
    if (b->failed && b->err_context && strcmp(b->err_context, "while scanning a block scalar") == 0 &&
        b->err_context_at == s->header && b->err_at > s->at)
        return true; /* libyaml read past the first line, then stopped in the block: as PyYAML */
    yscalar *r = scalar_at(b, s->header);
    if (!r || (r->style != AP_STYLE_LITERAL && r->style != AP_STYLE_FOLDED) || r->end <= s->at ||
        skip_properties(b, r->start, s->header + 1) != s->header)
        return false;
    size_t k = past_breaks(r->node);
    if (k >= r->node->len || r->node->val[k] != STAND_IN_TAB)
        return false; /* libyaml took another indentation */
    s->node = r->node;
    return true;
}

/* A tab-indented block libyaml stopped at, which the scan did not find. */
static bool missed_tab_block(builder *b)
{
    if (!b->failed || !b->err_problem || !b->err_context ||
        strcmp(b->err_problem, "found a tab character where an indentation space is expected") != 0 ||
        strcmp(b->err_context, "while scanning a block scalar") != 0)
        return false;
    uint32_t x = b->err_at, h = b->err_context_at;
    for (size_t i = 0; i < b->nstandins; i++)
        if (b->standins[i].at == x)
            return false; /* tried: it was wrong */
    if (h >= x || (b->text[h] != '|' && b->text[h] != '>'))
        return false;
    size_t he = eol(b->text, b->len, h);
    for (size_t i = h + 1; i < he && b->text[i] != '#'; i++)
        if (b->text[i] >= '0' && b->text[i] <= '9')
            return false; /* the indentation was given */
    if (tab_first_line(b->text, b->len, next_line(b->text, b->len, h)) != x)
        return false;
    if ((int)column(b->text, x) < b->err_indent + 1)
        return false; /* PyYAML too ends the scalar before the tab, then refuses it */
    add(b, SI_TAB, x, 1, h);
    return true;
}

bool ap_ycompat_verify(builder *b)
{
    bool stands = true;
    for (size_t i = 0; i < b->nstandins; i++) {
        ystandin *s = &b->standins[i];
        if (s->dropped || s->at >= b->stop)
            continue; /* not reached: it changed nothing */
        bool ok = true;
        switch (s->kind) {
        case SI_TAB: ok = check_tab(b, s); break;
        case SI_DIRECTIVE:
        case SI_VERSION:
            /* a directive only before the first document's "---" */
            ok = b->have_doc && b->doc_explicit && s->at < b->doc.end;
            break;
        default: break;
        }
        if (!ok) {
            s->dropped = true;
            s->node = NULL;
            stands = false;
        }
    }
    if (stands && missed_tab_block(b))
        stands = false;
    return stands;
}

/* ------------------------------------------------------------- restoring */

/* In a folded scalar, libyaml folded the first line (starting with the
 * stand-in) onto the next; PyYAML does not fold a line starting with a tab. */
static void unfold(builder *b, const ystandin *s)
{
    ynode *n = s->node;
    const char *t = b->text;
    size_t len = b->len, k = past_breaks(n), e1 = eol(t, len, s->at);
    size_t e = k + (e1 - s->at); /* in the value, after the first line */
    if (e >= n->len || !foldable_break(t, len, e1))
        return;
    if (n->val[e] == ' ') {
        n->val[e] = '\n';
        return;
    }
    /* blank lines, then a line at the indentation starting with no blank */
    uint32_t indent = column(t, s->at);
    size_t blanks = 0, l2 = next_line(t, len, s->at);
    for (; l2 < len; l2 = next_line(t, len, l2), blanks++) {
        size_t i = l2;
        while (i < len && t[i] == ' ' && i - l2 < indent)
            i++;
        if (!(i < len && break_len(t, len, i)))
            break;
    }
    size_t c2 = l2 + indent;
    if (l2 >= len || c2 >= len || t[c2] == ' ' || t[c2] == '\t' || break_len(t, len, c2) ||
        e + blanks >= n->len || n->val[e + blanks] != t[c2])
        return;
    for (size_t j = 0; j < blanks; j++)
        if (n->val[e + j] != '\n')
            return;
    char *v = ap_xmalloc(n->len + 2);
    memcpy(v, n->val, e);
    v[e] = '\n';
    memcpy(v + e + 1, n->val + e, n->len - e + 1);
    free(n->val);
    n->val = v;
    n->len++;
}

static void restore_boms(builder *b, ystandin *s)
{
    yscalar *r = scalar_at(b, s->at);
    if (!r || r->end <= s->at)
        return; /* between tokens: libyaml read no value there */
    ynode *n = r->node;
    bool escapes = r->style == AP_STYLE_DOUBLE_QUOTED && memchr(b->text + r->start, '\\', r->end - r->start);
    if (escapes || memmem(b->text + r->start, r->end - r->start, "\xef\xbb\xbe", 3)) {
        ap_yrefuse(b, n, (ap_span){s->at, s->at + 3},
                   "a byte order mark inside the patch (U+FEFF): apls cannot read it here as "
                   "PyYAML does; remove it");
        return;
    }
    for (size_t k = 0; k + 3 <= n->len; k++)
        if (memcmp(n->val + k, "\xef\xbb\xbe", 3) == 0)
            n->val[k + 2] = (char)0xbf;
}

void ap_ycompat_restore(builder *b)
{
    for (size_t i = 0; i < b->nstandins; i++) {
        ystandin *s = &b->standins[i];
        if (s->dropped)
            continue;
        if (s->kind == SI_TAB && s->node) {
            s->node->val[past_breaks(s->node)] = '\t';
            if (s->node->style == AP_STYLE_FOLDED)
                unfold(b, s);
        } else if (s->kind == SI_BOM && s->at < b->stop) {
            restore_boms(b, s);
        }
    }
}

/* ------------------------------------------ what PyYAML refuses after all */

typedef struct scan {
    builder *b;
    bool reported;      /* a tab problem so far: at most one per line */
    uint32_t last;
    uint32_t *dirs;     /* lines of the directives PyYAML ignores, ascending */
    size_t ndirs;
} scan;

static void bad_tab(scan *sc, uint32_t at)
{
    const char *t = sc->b->text;
    if (sc->reported) {
        uint32_t i = sc->last;
        while (i < at && !break_len(t, sc->b->len, i))
            i++;
        sc->last = at; /* the next tab looks from here: linear in all */
        if (i == at)
            return;    /* this line has its problem */
    }
    sc->reported = true;
    sc->last = at;
    ap_yproblem(sc->b, (ap_span){at, at + 1},
                "a tab character here: PyYAML (the reference's loader) allows tabs only inside "
                "quoted and block scalars and comments; use spaces");
}

/* An unknown directive PyYAML ignores: tabs after its name and a space are
 * no problem. */
static bool in_ignored_directive(const scan *sc, uint32_t at)
{
    size_t lo = 0, hi = sc->ndirs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sc->b->standins[sc->dirs[mid]].at <= at)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return false;
    const ystandin *s = &sc->b->standins[sc->dirs[lo - 1]];
    return at > s->header && sc->b->text[s->header] == ' ' && at < eol(sc->b->text, sc->b->len, s->at);
}

/* Text between tokens [from, to): tabs only in comments. */
static void check_gap(scan *sc, uint32_t from, uint32_t to, bool *comment)
{
    const char *t = sc->b->text;
    for (uint32_t i = from; i < to; i++) {
        if (break_len(t, sc->b->len, i))
            *comment = false;
        else if (t[i] == '#')
            *comment = true;
        else if (t[i] == '\t' && !*comment && !in_ignored_directive(sc, i))
            bad_tab(sc, i);
    }
}

static void check_scalar(scan *sc, const yscalar *r, uint32_t tok, uint32_t end)
{
    builder *b = sc->b;
    const char *t = b->text;
    if (r->style == AP_STYLE_PLAIN) {
        for (uint32_t i = tok; i < end; i++) {
            if (t[i] == '\t')
                bad_tab(sc, i);
            else if (t[i] == '?' && r->in_flow && i > tok)
                ap_yproblem(b, (ap_span){i, i + 1},
                            "'?' inside a plain scalar in a flow collection: PyYAML (the "
                            "reference's loader) reads it as a key indicator; quote the scalar");
        }
    } else if (r->style == AP_STYLE_LITERAL || r->style == AP_STYLE_FOLDED) {
        /* the header line: indicators, then spaces and a comment */
        uint32_t he = (uint32_t)eol(t, end, tok), i = tok + 1;
        while (i < he && i < tok + 3 && ((t[i] >= '1' && t[i] <= '9') || t[i] == '+' || t[i] == '-'))
            i++;
        if (i < he && t[i] == '#')
            ap_yproblem(b, (ap_span){i, i + 1},
                        "a comment right after a block scalar's indicator: PyYAML (the "
                        "reference's loader) wants a space before '#'");
        bool comment = false;
        check_gap(sc, i, he, &comment);
    }
}

void ap_ycompat_check(builder *b)
{
    scan sc = {b, false, 0, NULL, 0};
    size_t cap = 0;
    for (size_t i = 0; i < b->nstandins; i++)
        if (b->standins[i].kind == SI_DIRECTIVE && !b->standins[i].dropped) {
            AP_GROW(sc.dirs, sc.ndirs, cap);
            sc.dirs[sc.ndirs++] = (uint32_t)i;
        }
    bool tabs = memchr(b->text, '\t', b->stop) != NULL;
    bool comment = false;
    uint32_t pos = 0;
    for (size_t k = 0; k < b->nscalars && pos < b->stop; k++) {
        const yscalar *r = &b->scalars[k];
        if (r->start < pos)
            continue;
        uint32_t tok = skip_properties(b, r->start, r->end);
        if (tabs)
            check_gap(&sc, pos, tok, &comment);
        comment = false;
        check_scalar(&sc, r, tok, r->end < b->stop ? r->end : b->stop);
        pos = r->end;
    }
    if (tabs && pos < b->stop)
        check_gap(&sc, pos, b->stop, &comment);
    if (b->failed && b->err_context && strcmp(b->err_context, "while scanning a block scalar") == 0 &&
        b->err_context_at >= pos && b->err_context_at < b->len) {
        /* libyaml stopped inside a block scalar: its header was read */
        yscalar r = {b->err_context_at, b->err_context_at, AP_STYLE_LITERAL, false, NULL};
        check_scalar(&sc, &r, b->err_context_at, (uint32_t)eol(b->text, b->len, b->err_context_at));
    }
    free(sc.dirs);
}
