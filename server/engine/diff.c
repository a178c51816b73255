/* diff.c - a unified diff of a rendered file, built from its hunks rather
 * than by comparing texts: the hunks already say exactly what changed. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define CONTEXT 3

/* How many lines bytes s[0..n) hold (a last line without a break counts). */
static uint32_t count_lines(const char *s, size_t n)
{
    uint32_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\n' || (s[i] == '\r' && !(i + 1 < n && s[i + 1] == '\n')))
            c++;
    if (n > 0 && s[n - 1] != '\n' && s[n - 1] != '\r')
        c++;
    return c;
}

/* Writes bytes s[0..n) as diff lines with a prefix character. */
static void put_lines(ap_buf *b, char prefix, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '\n' && s[j] != '\r')
            j++;
        if (j < n && s[j] == '\r' && j + 1 < n && s[j + 1] == '\n')
            j += 2;
        else if (j < n)
            j += 1;
        ap_buf_addc(b, prefix);
        ap_buf_add(b, s + i, j - i);
        if (j == n && s[n - 1] != '\n' && s[n - 1] != '\r')
            ap_buf_adds(b, "\n\\ No newline at end of file\n");
        i = j;
    }
}

void ap_diff_unified(const ap_file *f, char **out, size_t *out_len)
{
    ap_buf b = AP_BUF_INIT;
    if (f->n_hunks == 0 || f->status == AP_FILE_UNCHANGED || f->status == AP_FILE_FAILED) {
        *out = ap_buf_detach(&b, out_len);
        return;
    }
    const ap_text *t = f->before ? f->before : f->view->base;
    uint32_t nlines = t->n;
    if (f->before)
        ap_buf_addf(&b, "--- a/%s\n+++ b/%s\n", f->path, f->path);
    else
        ap_buf_addf(&b, "--- /dev/null\n+++ b/%s\n", f->path);
    int64_t delta = 0; /* new line number minus old, before the current group */
    size_t h = 0;
    while (h < f->n_hunks) {
        /* a group: hunks whose context would touch */
        size_t g = h;
        while (g + 1 < f->n_hunks && f->hunks[g + 1].line <= f->hunks[g].end_line + 2 * CONTEXT)
            g++;
        uint32_t a = f->hunks[h].line > CONTEXT ? f->hunks[h].line - CONTEXT : 0;
        uint32_t e = f->hunks[g].end_line + CONTEXT < nlines ? f->hunks[g].end_line + CONTEXT : nlines;
        uint32_t old_n = e - a, new_n = 0;
        for (size_t k = h; k <= g; k++)
            new_n += count_lines(f->after + f->hunks[k].out, f->hunks[k].out_len);
        uint32_t kept = old_n;
        for (size_t k = h; k <= g; k++)
            kept -= f->hunks[k].end_line - f->hunks[k].line;
        new_n += kept;
        int64_t new_start = (int64_t)a + delta;
        ap_buf_addf(&b, "@@ -%u,%u +%lld,%u @@\n", old_n ? a + 1 : a, old_n,
                    (long long)(new_n ? new_start + 1 : new_start), new_n);
        uint32_t l = a;
        for (size_t k = h; k <= g; k++) {
            const ap_hunk *hk = &f->hunks[k];
            uint32_t cs = ap_text_line_start(t, l), ce = ap_text_line_start(t, hk->line);
            put_lines(&b, ' ', t->bytes + cs, ce - cs);
            uint32_t rs = ce, re = ap_text_line_start(t, hk->end_line);
            put_lines(&b, '-', t->bytes + rs, re - rs);
            put_lines(&b, '+', f->after + hk->out, hk->out_len);
            delta += (int64_t)count_lines(f->after + hk->out, hk->out_len) - (hk->end_line - hk->line);
            l = hk->end_line;
        }
        uint32_t cs = ap_text_line_start(t, l), ce = ap_text_line_start(t, e);
        put_lines(&b, ' ', t->bytes + cs, ce - cs);
        h = g + 1;
    }
    *out = ap_buf_detach(&b, out_len);
}
