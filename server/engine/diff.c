/* diff.c - a unified diff of a rendered file, built from its hunks rather
 * than by comparing texts: the hunks already say exactly what changed (and
 * render.c made them minimal). Also the diff of two small texts, for the
 * hover of one modification. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define CONTEXT 3

/* How many lines bytes s[0..n) hold (a last line without a break counts),
 * breaking at brk as the file does (ap_split_lines). */
static uint32_t count_lines(const char *s, size_t n, char brk)
{
    uint32_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += s[i] == brk;
    if (n > 0 && s[n - 1] != brk)
        c++;
    return c;
}

/* Writes bytes s[0..n) as diff lines with a prefix character. */
static void put_lines(ap_buf *b, char prefix, const char *s, size_t n, char brk)
{
    size_t i = 0;
    while (i < n) {
        const char *e = memchr(s + i, brk, n - i);
        size_t j = e ? (size_t)(e - s) + 1 : n;
        ap_buf_addc(b, prefix);
        ap_buf_add(b, s + i, j - i);
        if (j == n && s[n - 1] != brk)
            ap_buf_adds(b, "\n\\ No newline at end of file\n");
        i = j;
    }
}

/* Where line l of t starts in the diff: line 0 with what stands before it (a
 * byte order mark), so the diff applies to the file's bytes. */
static uint32_t diff_start(const ap_text *t, uint32_t l)
{
    return l == 0 ? 0 : ap_text_line_start(t, l);
}

/* How many lines the diff shows of t: a file that is a byte order mark
 * alone has one, the mark (without a line break), which a diff must remove
 * to put new lines after it. */
static uint32_t diff_lines(const ap_text *t)
{
    return t->n == 0 && t->bom ? 1 : t->n;
}

/* The hunks as the diff shows them. A byte order mark stands before line 0
 * and in no hunk (an editor never sees it), but a diff applies to bytes: a
 * hunk at line 0 takes the mark into its new text, so its old lines must
 * hold line 0, which carries the old mark (a hunk that only inserts before
 * line 0 takes it in: it follows the inserted text unchanged); and while the
 * new text is the mark alone (line 1 deleted) it takes in the lines after
 * it, whose first one now carries the mark. */
static ap_hunk *diff_hunks(const ap_file *f, const ap_text *t, size_t *n)
{
    *n = f->n_hunks;
    ap_hunk *hs = ap_xmalloc((*n ? *n : 1) * sizeof *hs);
    memcpy(hs, f->hunks, *n * sizeof *hs);
    if (t->bom == 0 || *n == 0 || hs[0].line != 0)
        return hs;
    hs[0].out_len += hs[0].out;
    hs[0].out = 0;
    if (t->n == 0) {
        hs[0].end_line = 1; /* the mark alone is the one old line (diff_lines) */
        return hs;
    }
    while ((hs[0].end_line == 0 || hs[0].out_len == t->bom) && hs[0].end_line < t->n) {
        if (*n > 1 && hs[1].line == hs[0].end_line) {
            hs[0].end_line = hs[1].end_line;
            hs[0].out_len = hs[1].out + hs[1].out_len;
            memmove(hs + 1, hs + 2, (*n - 2) * sizeof *hs);
            (*n)--;
        } else {
            uint32_t l = hs[0].end_line++;
            hs[0].out_len += ap_text_line_start(t, l + 1) - ap_text_line_start(t, l);
        }
    }
    return hs;
}

void ap_diff_unified(const ap_file *f, char **out, size_t *out_len)
{
    if (f->diff) {
        /* made by the twice check before the text's lines went */
        *out = ap_xmalloc(f->diff_len + 1);
        memcpy(*out, f->diff, f->diff_len + 1);
        *out_len = f->diff_len;
        return;
    }
    ap_buf b = AP_BUF_INIT;
    /* an operation on a path, as git's extended headers say it */
    const char *what = f->kind == AP_PATH_DIR ? "folder" : "file";
    if (f->status == AP_FILE_RENAMED)
        ap_buf_addf(&b, "rename from %s\nrename to %s\n", f->path, f->dest);
    else if (f->status == AP_FILE_DELETED)
        ap_buf_addf(&b, "deleted %s %s\n", what, f->path);
    else if (f->status == AP_FILE_DIR_CREATED)
        ap_buf_addf(&b, "new folder %s\n", f->path);
    if (f->n_hunks == 0 || f->status == AP_FILE_UNCHANGED || f->status == AP_FILE_FAILED) {
        *out = ap_buf_detach(&b, out_len);
        return;
    }
    const ap_text *t = f->before ? f->before : f->view->base;
    ap_text_unpack_lines(t); /* (search_once: packed since its group) */
    uint32_t nlines = diff_lines(t);
    char old_brk = ap_text_break(t), new_brk = ap_text_break_of(f->after, f->after_len);
    if (f->before)
        ap_buf_addf(&b, "--- a/%s\n+++ b/%s\n", f->path, f->path);
    else
        ap_buf_addf(&b, "--- /dev/null\n+++ b/%s\n", f->path);
    size_t nh;
    ap_hunk *hunks = diff_hunks(f, t, &nh);
    int64_t delta = 0; /* new line number minus old, before the current group */
    size_t h = 0;
    while (h < nh) {
        /* a group: hunks whose context would touch */
        size_t g = h;
        while (g + 1 < nh && hunks[g + 1].line <= hunks[g].end_line + 2 * CONTEXT)
            g++;
        uint32_t a = hunks[h].line > CONTEXT ? hunks[h].line - CONTEXT : 0;
        uint32_t e = hunks[g].end_line + CONTEXT < nlines ? hunks[g].end_line + CONTEXT : nlines;
        uint32_t old_n = e - a, new_n = 0;
        for (size_t k = h; k <= g; k++)
            new_n += count_lines(f->after + hunks[k].out, hunks[k].out_len, new_brk);
        uint32_t kept = old_n;
        for (size_t k = h; k <= g; k++)
            kept -= hunks[k].end_line - hunks[k].line;
        new_n += kept;
        int64_t new_start = (int64_t)a + delta;
        ap_buf_addf(&b, "@@ -%u,%u +%lld,%u @@\n", old_n ? a + 1 : a, old_n,
                    (long long)(new_n ? new_start + 1 : new_start), new_n);
        uint32_t l = a;
        for (size_t k = h; k <= g; k++) {
            const ap_hunk *hk = &hunks[k];
            uint32_t cs = diff_start(t, l), ce = diff_start(t, hk->line);
            put_lines(&b, ' ', t->bytes + cs, ce - cs, old_brk);
            uint32_t rs = ce, re = diff_start(t, hk->end_line);
            put_lines(&b, '-', t->bytes + rs, re - rs, old_brk);
            put_lines(&b, '+', f->after + hk->out, hk->out_len, new_brk);
            delta += (int64_t)count_lines(f->after + hk->out, hk->out_len, new_brk) -
                     (hk->end_line - hk->line);
            l = hk->end_line;
        }
        uint32_t cs = diff_start(t, l), ce = diff_start(t, e);
        put_lines(&b, ' ', t->bytes + cs, ce - cs, old_brk);
        h = g + 1;
    }
    free(hunks);
    *out = ap_buf_detach(&b, out_len);
}

/* ------------------------------------------------------ two small texts */

typedef struct text_lines {
    const char *s;
    size_t *start; /* start[i]: where line i begins; start[n]: past the end */
    uint32_t n;
} text_lines;

static void split_lf(const char *s, text_lines *out)
{
    size_t len = strlen(s), cap = 16;
    out->s = s;
    out->n = 0;
    out->start = ap_xmalloc(cap * sizeof *out->start);
    size_t i = 0;
    while (i < len) {
        AP_GROW(out->start, out->n + 1, cap);
        out->start[out->n++] = i;
        const char *e = memchr(s + i, '\n', len - i);
        i = e ? (size_t)(e - s) + 1 : len;
    }
    AP_GROW(out->start, out->n, cap);
    out->start[out->n] = len;
}

typedef struct two_texts {
    text_lines a, b;
} two_texts;

static bool same_line(void *ctx, uint32_t i, uint32_t j)
{
    const two_texts *t = ctx;
    size_t na = t->a.start[i + 1] - t->a.start[i], nb = t->b.start[j + 1] - t->b.start[j];
    return na == nb && memcmp(t->a.s + t->a.start[i], t->b.s + t->b.start[j], na) == 0;
}

static void put_range(ap_buf *b, char prefix, const text_lines *t, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++) {
        size_t s = t->start[i], e = t->start[i + 1];
        ap_buf_addc(b, prefix);
        ap_buf_add(b, t->s + s, e - s);
        if (e == s || t->s[e - 1] != '\n')
            ap_buf_addc(b, '\n');
    }
}

char *ap_diff_lines(const char *old_text, const char *new_text)
{
    two_texts t;
    split_lf(old_text ? old_text : "", &t.a);
    split_lf(new_text ? new_text : "", &t.b);
    ap_delta *d;
    uint64_t budget = 64 * ((uint64_t)t.a.n + t.b.n) + 4096;
    size_t nd = ap_diff_seq(t.a.n, t.b.n, same_line, &t, budget, &d);
    ap_buf b = AP_BUF_INIT;
    uint32_t at = 0;
    for (size_t k = 0; k < nd; k++) {
        put_range(&b, ' ', &t.a, at, d[k].a0);
        put_range(&b, '-', &t.a, d[k].a0, d[k].a1);
        put_range(&b, '+', &t.b, d[k].b0, d[k].b1);
        at = d[k].a1;
    }
    put_range(&b, ' ', &t.a, at, t.a.n);
    free(d);
    free(t.a.start);
    free(t.b.start);
    return ap_buf_detach(&b, NULL);
}
