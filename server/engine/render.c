/* render.c - a resolved file's new bytes and its hunks.
 *
 * The new text is written as ap-2.0.md section 4 says: every line ends with
 * the file's newline (the change's `newline`, else the ending the file uses,
 * else LF), a last line without a break keeps having none unless text now
 * follows it, and trailing spaces and tabs are stripped from every line (2.0)
 * or only from inserted ones (AP_WS_INSERTED, and always in 3.2: ap.md 3.5).
 * A 3.2 patch gives a file it changes a final line break (c44), never one it
 * leaves alone (c45). The hunks say which lines of
 * the file as read became which bytes: the language server turns them into
 * text edits and the diff into hunks of a unified diff. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static const char *eol_bytes(ap_eol e)
{
    return e == AP_EOL_CRLF ? "\r\n" : e == AP_EOL_CR ? "\r" : "\n";
}

/* s[0..n) without trailing spaces and tabs, nor the CRs among them (left
 * before the break, a CR would turn it into a CRLF) */
static size_t without_blanks(const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    return n;
}

static void emit(ap_buf *out, const ap_line *l, bool strip, bool newline, ap_eol eol)
{
    size_t i = 0;
    /* written with CR breaks, a lone CR inside the line (content in an LF
     * file) ends a line of the new file: strip before it too */
    const char *cr;
    while (strip && eol == AP_EOL_CR && (cr = memchr(l->s + i, '\r', l->len - i))) {
        size_t k = (size_t)(cr - l->s);
        ap_buf_add(out, l->s + i, without_blanks(l->s + i, k - i));
        ap_buf_addc(out, '\r');
        i = k + 1;
    }
    size_t n = strip ? without_blanks(l->s + i, l->len - i) : l->len - i;
    /* a lone CR that ends a line (content in an LF file: only an old last
     * line without a break can end so) would make a CRLF of the LF written
     * after it, and the file would read as a CRLF file: it goes, as
     * stripping takes it */
    while (newline && eol == AP_EOL_LF && n > 0 && l->s[i + n - 1] == '\r')
        n--;
    ap_buf_add(out, l->s + i, n);
    if (newline)
        ap_buf_adds(out, eol_bytes(eol));
}

static void add_hunk(ap_file *f, size_t *cap, uint32_t a, uint32_t b, size_t out, size_t len)
{
    if (f->n_hunks > 0) {
        ap_hunk *h = &f->hunks[f->n_hunks - 1];
        if (h->end_line == a && h->out + h->out_len == out) {
            h->end_line = b;
            h->out_len += (uint32_t)len;
            return;
        }
    }
    AP_GROW(f->hunks, f->n_hunks, *cap);
    f->hunks[f->n_hunks++] = (ap_hunk){a, b, (uint32_t)out, (uint32_t)len};
}

/* Old line i of t against new line j (bytes [offs[j], offs[j + 1]) of
 * out): equal when byte for byte the same, break included. */
typedef struct line_pair {
    const ap_text *t;
    uint32_t a;           /* the splice's first base line */
    const char *out;
    const size_t *offs;
} line_pair;

static bool same_bytes(void *ctx, uint32_t i, uint32_t j)
{
    const line_pair *lp = ctx;
    uint32_t from = ap_text_line_start(lp->t, lp->a + i), to = ap_text_line_start(lp->t, lp->a + i + 1);
    size_t n = lp->offs[j + 1] - lp->offs[j];
    return n == to - from && memcmp(lp->out + lp->offs[j], lp->t->bytes + from, n) == 0;
}

/* What a splice changed, as hunks: its base lines [a, b) against the bytes
 * written for them (new lines starting at offs[0..n], offs[n] the end),
 * diffed so that a line written back as it was is no part of any hunk (a
 * region replaced by content that keeps most of it changes only the lines
 * that differ). Every hunk stays byte-exact: equal lines are equal bytes. */
static void splice_hunks(ap_file *f, size_t *cap, const ap_text *t, const ap_splice *sp, const char *out,
                         const size_t *offs, uint32_t n)
{
    line_pair lp = {t, sp->a, out, offs};
    ap_delta *d;
    /* a budget of a few passes: a huge region replaced by unrelated text
     * stays one hunk instead of costing N x D */
    uint64_t budget = 64 * ((uint64_t)(sp->b - sp->a) + n) + 4096;
    size_t nd = ap_diff_seq(sp->b - sp->a, n, same_bytes, &lp, budget, &d);
    for (size_t k = 0; k < nd; k++)
        add_hunk(f, cap, sp->a + d[k].a0, sp->a + d[k].a1, offs[d[k].b0],
                 offs[d[k].b1] - offs[d[k].b0]);
    free(d);
}


/* ap_text_line_start, inlined: rendering asks it twice a line. */
static inline uint32_t line_start(const ap_text *t, uint32_t i)
{
    return i >= t->n ? (uint32_t)t->len : (uint32_t)(t->lines[i].s - t->bytes);
}

/* The first byte of [s, e) that may keep a line from being copied as it
 * stands when lines are written with LF breaks: a CR (of a break, or
 * stripped from a line's end), or with strip a space or tab before a LF; e
 * when there is none. s is a line's start (the byte before it, if any, is
 * a break). */
static const char *first_doubt_bytes(const char *p, const char *e, bool blank_before)
{
    for (; p < e; p++) {
        if (*p == '\r' || (*p == '\n' && blank_before))
            return p;
        blank_before = *p == ' ' || *p == '\t';
    }
    return e;
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>

/* (with strip) 32 bytes at a time where the processor has AVX2 */
__attribute__((target("avx2"))) static const char *first_doubt_avx2(const char *p, const char *e)
{
    const __m256i cr = _mm256_set1_epi8('\r'), lf = _mm256_set1_epi8('\n'), sp = _mm256_set1_epi8(' '),
                  tab = _mm256_set1_epi8('\t');
    uint64_t blank_before = 0; /* the byte before p is a space or tab */
    for (; e - p >= 32; p += 32) {
        __m256i c = _mm256_loadu_si256((const __m256i *)(const void *)p);
        uint64_t blanks = (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(c, sp), _mm256_cmpeq_epi8(c, tab)));
        uint64_t doubt = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(c, cr)) |
                         ((uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(c, lf)) & ((blanks << 1) | blank_before));
        if (doubt)
            return p + __builtin_ctzll(doubt);
        blank_before = blanks >> 31;
    }
    return first_doubt_bytes(p, e, blank_before != 0);
}
#endif

static const char *first_doubt(const char *s, const char *e, bool strip)
{
    if (!strip) {
        const char *cr = memchr(s, '\r', (size_t)(e - s));
        return cr ? cr : e;
    }
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    if (ap_cpu_avx2())
        return first_doubt_avx2(s, e);
#endif
    return first_doubt_bytes(s, e, false);
}

/* The untouched lines from k on, before stop, that first_doubt proves are
 * copied as they stand (LF written, the text broken at LFs): up to the line
 * that holds the first doubtful byte. The lines it does not prove are
 * asked one by one, as before. */
static uint32_t proven_lines(const ap_text *t, uint32_t k, uint32_t stop, bool strip)
{
    if (stop == t->n && stop > 0 && t->lines[stop - 1].eol == 0)
        stop--; /* a last line without a break is never copied so */
    if (k >= stop)
        return k;
    const char *from = t->bytes + line_start(t, k), *to = t->bytes + line_start(t, stop);
    const char *d = first_doubt(from, to, strip);
    if (d == to)
        return stop;
    /* the line that holds d: the last starting at or before it */
    uint32_t lo = k, hi = stop; /* line lo starts at or before d; hi after */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (t->lines[mid].s <= d)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

bool ap_render_plain = false;

/* Renders f once; force_final: its last line ends with a break. */
static void render(ap_run *run, ap_file *f, bool force_final)
{
    const ap_view *v = f->view;
    const ap_text *t = v->base;
    ap_eol eol = f->eol ? f->eol : t->eol ? t->eol : AP_EOL_LF;
    bool strip_all = run->opts.trailing_ws == AP_WS_ALL && run->rules->strip_untouched;

    ap_pos last;
    bool any = ap_view_prev(v, ap_view_end(v), &last);
    uint64_t last_key = any ? ap_pos_key(last) : 0;

    /* a splice that replaced a last line without a break leaves its own last
     * line without one */
    bool open_end = t->n > 0 && t->lines[t->n - 1].eol == 0;

    ap_buf out = AP_BUF_INIT;
    /* room for the text and some growth at once: doubling copies it all */
    ap_buf_grow(&out, t->len + t->len / 8 + 64);
    ap_buf_add(&out, t->bytes, t->bom);
    const char *eol_s = eol_bytes(eol);
    size_t eol_n = strlen(eol_s);
    /* LFs written: the lines copied as they stand are found from the bytes */
    bool lf_text = eol == AP_EOL_LF && !ap_render_plain;
    size_t cap = 0, copied_cap = 0;
    size_t *offs = NULL; /* where each line of the current splice starts in out */
    uint32_t l = 0, s = 0;
    while (l < t->n || s < v->nsp) {
        if (s < v->nsp && v->sp[s].a == l) {
            const ap_splice *sp = &v->sp[s];
            offs = ap_xrealloc(offs, (sp->n + 1) * sizeof *offs);
            for (uint32_t k = 0; k < sp->n; k++) {
                const ap_line *nl = &sp->lines[k].l;
                bool is_last = any && ap_pos_key((ap_pos){sp->a, (int32_t)s, k}) == last_key;
                bool keeps_open = is_last && open_end && sp->b == t->n && sp->a < sp->b;
                offs[k] = out.len;
                emit(&out, nl, true, (nl->eol && !keeps_open) || !is_last || force_final, eol);
            }
            offs[sp->n] = out.len;
            splice_hunks(f, &cap, t, sp, out.s ? out.s : "", offs, sp->n);
            l = sp->b;
            s++;
            continue;
        }
        /* untouched lines that would be written as they stand (their own
         * break is the one written, nothing to strip) are copied as one
         * span of the bytes read: the same bytes, no hunk */
        uint32_t stop = s < v->nsp ? v->sp[s].a : t->n, k = l;
        for (;;) {
            if (lf_text)
                k = proven_lines(t, k, stop, strip_all);
            if (k < stop && t->lines[k].eol == eol &&
                line_start(t, k + 1) - line_start(t, k) == t->lines[k].len + eol_n &&
                (!strip_all || without_blanks(t->lines[k].s, t->lines[k].len) == t->lines[k].len)) {
                k++;
                continue;
            }
            break;
        }
        if (k > l) {
            uint32_t from = line_start(t, l), to = line_start(t, k);
            /* (kept: the new text takes these lines' records, twice.c) */
            if (f->n_copied == copied_cap) {
                copied_cap = copied_cap ? 2 * copied_cap : 16;
                f->copied = ap_xrealloc(f->copied, copied_cap * sizeof *f->copied);
            }
            f->copied[f->n_copied++] = (ap_hunk){l, k, (uint32_t)out.len, to - from};
            ap_buf_add(&out, t->bytes + from, to - from);
            l = k;
            continue;
        }
        const ap_line *bl = &t->lines[l];
        bool is_last = any && ap_pos_key((ap_pos){l, -1, 0}) == last_key;
        size_t start = out.len;
        emit(&out, bl, strip_all, bl->eol || !is_last || force_final, eol);
        uint32_t from = line_start(t, l), to = line_start(t, l + 1);
        if (out.len - start != to - from || memcmp(out.s + start, t->bytes + from, to - from) != 0) {
            add_hunk(f, &cap, l, l + 1, start, out.len - start);
            /* (a line the patch does not touch, changed by losing its
             * trailing blanks: said before it is written) */
            f->blanks_stripped += strip_all && without_blanks(bl->s, bl->len) < bl->len;
        }
        l++;
    }
    free(offs);
    f->after = ap_buf_detach(&out, &f->after_len);
    /* what the estimate of the size left unused goes back to malloc, for
     * the next file (the bytes and the NUL after them stay in place) */
    f->after = ap_xrealloc(f->after, f->after_len + 1);
}

void ap_run_render(ap_run *run, size_t i)
{
    ap_file *f = &run->files[i];
    if (f->rendered || !f->view || f->status == AP_FILE_FAILED)
        return;
    f->rendered = true;
    const ap_text *t = f->view->base;
    ap_text_unpack_lines(t); /* (search_once: packed since its group) */
    render(run, f, false);
    if (run->rules->final_newline && f->after_len > 0 && f->after[f->after_len - 1] != '\n' &&
        f->after[f->after_len - 1] != '\r' &&
        (!f->before || f->after_len != t->len || memcmp(f->after, t->bytes, t->len) != 0)) {
        free(f->after);
        free(f->hunks);
        f->hunks = NULL;
        f->n_hunks = 0;
        free(f->copied);
        f->copied = NULL;
        f->n_copied = 0;
        f->blanks_stripped = 0;
        render(run, f, true);
    }

    /* a hunk that writes back what was there is no change */
    size_t kept = 0;
    for (size_t h = 0; h < f->n_hunks; h++) {
        ap_hunk *hk = &f->hunks[h];
        uint32_t from = ap_text_line_start(t, hk->line), to = ap_text_line_start(t, hk->end_line);
        if (hk->out_len == to - from && memcmp(f->after + hk->out, t->bytes + from, to - from) == 0)
            continue;
        f->hunks[kept++] = *hk;
    }
    f->n_hunks = kept;
    if (f->before) {
        bool same = f->after_len == f->before->len &&
                    memcmp(f->after, f->before->bytes, f->after_len) == 0;
        f->status = same ? AP_FILE_UNCHANGED : AP_FILE_MODIFIED;
    } else {
        f->status = f->view->changed ? AP_FILE_CREATED : AP_FILE_UNCHANGED;
    }
}
