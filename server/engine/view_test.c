/* view_test.c - the view (view.c): a base text plus sorted splices. The main
 * test is a property test: thousands of random replacements are applied to a
 * view and to a plain array of lines, and after every step the two must hold
 * the same lines, in both directions, with the same bookkeeping. */
#include "check.h"
#include "internal.h"
#include "resolve.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- helpers */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    /* xorshift64*: fixed seed, the same sequence on every machine */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    uint64_t r = rng_state * 0x2545F4914F6CDD1Dull;
    return n ? (uint32_t)((r >> 32) % n) : 0;
}

static const char *pos_text(const ap_view *v, ap_pos p)
{
    static char buf[256];
    const ap_line *l = ap_view_line(v, p);
    size_t n = l->len < sizeof buf - 1 ? l->len : sizeof buf - 1;
    memcpy(buf, l->s, n);
    buf[n] = '\0';
    return buf;
}

/* The view's lines joined by '|'. */
static char *joined(const ap_view *v)
{
    ap_buf b = AP_BUF_INIT;
    ap_buf_adds(&b, "");
    for (ap_pos p = ap_view_begin(v); !ap_view_at_end(v, p); p = ap_view_next(v, p)) {
        if (b.len)
            ap_buf_addc(&b, '|');
        const ap_line *l = ap_view_line(v, p);
        ap_buf_add(&b, l->s, l->len);
    }
    return ap_buf_detach(&b, NULL);
}

static void check_joined(const ap_view *v, const char *want, int line)
{
    char *got = joined(v);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "  view_test.c:%d: view is \"%s\", want \"%s\"\n", line, got, want);
        check_failed_in_test++;
    }
    free(got);
}
#define CHECK_VIEW(v, want) check_joined((v), (want), __LINE__)

/* n new lines from a '|'-separated list ("" gives none). */
static ap_nline *nlines(const char *spec, uint32_t *n, int change, int mod)
{
    *n = 0;
    if (!*spec)
        return NULL;
    uint32_t count = 1;
    for (const char *s = spec; *s; s++)
        count += *s == '|';
    ap_nline *out = ap_xcalloc(count, sizeof *out);
    const char *s = spec;
    for (uint32_t i = 0; i < count; i++) {
        const char *e = strchr(s, '|');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        ap_line_init(&out[i].l, s, (uint32_t)len, AP_EOL_LF);
        out[i].change = change;
        out[i].mod = mod;
        s = e ? e + 1 : s + len;
    }
    *n = count;
    return out;
}

static void replace_spec(ap_view *v, ap_pos from, ap_pos to, const char *spec)
{
    uint32_t n;
    ap_nline *l = nlines(spec, &n, 0, 0);
    ap_view_replace(v, from, to, l, n);
    free(l);
}

/* The position of logical line i (i == size: the end). */
static ap_pos nth(const ap_view *v, uint64_t i)
{
    ap_pos p = ap_view_begin(v);
    while (i-- > 0)
        p = ap_view_next(v, p);
    return p;
}

static bool splices_ok(const ap_view *v)
{
    for (uint32_t i = 0; i < v->nsp; i++) {
        const ap_splice *s = &v->sp[i];
        if (s->a > s->b || s->b > v->base->n)
            return false;
        if (s->a == s->b && s->n == 0)
            return false; /* a splice that does nothing should not stay */
        if (i + 1 < v->nsp && !(s->b < v->sp[i + 1].a))
            return false;
    }
    return true;
}

/* ------------------------------------------------------------ unit tests */

static void test_view_untouched(void)
{
    ap_text *t = ap_text_new("a\n\nb\nc", 6);
    ap_view v;
    ap_view_init(&v, t);
    ap_text_release(t); /* the view holds its own reference */
    CHECK_INT(ap_view_size(&v), 4);
    CHECK_VIEW(&v, "a||b|c");
    ap_pos p = ap_view_begin(&v);
    CHECK_INT(p.base, 0);
    CHECK_INT(p.sp, -1);
    ap_pos e = ap_view_end(&v);
    CHECK(ap_view_at_end(&v, e));
    CHECK_INT(e.base, 4);
    CHECK(ap_view_at_end(&v, ap_view_next(&v, e))); /* next of the end stays there */
    ap_pos q;
    CHECK(!ap_view_prev(&v, p, &q));
    CHECK(ap_view_prev(&v, e, &q));
    CHECK_INT(q.base, 3);
    p = ap_view_skip_blank(&v, ap_view_seek(&v, 1));
    CHECK_INT(p.base, 2);
    CHECK_INT(ap_view_seek(&v, 99).base, 4);
    for (uint32_t l = 0; l < 4; l++)
        CHECK(ap_view_base_alive(&v, l));
    CHECK_INT(ap_view_new_count(&v, ap_line_hash("a", 1)), 0);
    CHECK(!v.changed);
    ap_view_release(&v);

    t = ap_text_new("", 0);
    ap_view_init(&v, t);
    ap_text_release(t);
    CHECK(ap_view_at_end(&v, ap_view_begin(&v)));
    CHECK(!ap_view_prev(&v, ap_view_end(&v), &q));
    CHECK_INT(ap_view_size(&v), 0);
    replace_spec(&v, ap_view_begin(&v), ap_view_end(&v), "x|y");
    CHECK_VIEW(&v, "x|y");
    CHECK_INT(ap_view_size(&v), 2);
    CHECK_INT(v.nsp, 1);
    CHECK_INT(v.sp[0].a, 0);
    CHECK_INT(v.sp[0].b, 0);
    ap_view_release(&v);
}

static void test_view_replace_basic(void)
{
    ap_text *t = ap_text_new("l0\nl1\nl2\nl3\nl4\n", 15);
    ap_view v;
    ap_view_init(&v, t);
    ap_text_release(t);

    /* replace l1..l2 by one line */
    replace_spec(&v, nth(&v, 1), nth(&v, 3), "X");
    CHECK_VIEW(&v, "l0|X|l3|l4");
    CHECK(v.changed);
    CHECK_INT(v.nsp, 1);
    CHECK_INT(v.sp[0].a, 1);
    CHECK_INT(v.sp[0].b, 3);
    CHECK(!ap_view_base_alive(&v, 1));
    CHECK(!ap_view_base_alive(&v, 2));
    CHECK(ap_view_base_alive(&v, 3));
    CHECK_INT(ap_view_new_count(&v, ap_line_hash("X", 1)), 1);
    CHECK_INT(ap_view_size(&v), 4);
    /* seek to a deleted line lands on the first survivor after it */
    ap_pos p = ap_view_seek(&v, 2);
    CHECK_INT(p.sp, -1);
    CHECK_INT(p.base, 3);
    p = ap_view_seek(&v, 1);
    CHECK_INT(p.sp, 0);
    CHECK_STR(pos_text(&v, p), "X");

    /* insert before l3: touches the splice [1, 3), so the two merge */
    replace_spec(&v, ap_view_seek(&v, 3), ap_view_seek(&v, 3), "Y|Z");
    CHECK_VIEW(&v, "l0|X|Y|Z|l3|l4");
    CHECK_INT(v.nsp, 1);
    CHECK_INT(v.sp[0].a, 1);
    CHECK_INT(v.sp[0].b, 3);
    CHECK_INT(v.sp[0].n, 3);
    CHECK_INT(ap_view_size(&v), 6);
    /* delete l0: the splice [0, 1) would touch [1, 3): they merge */
    replace_spec(&v, ap_view_begin(&v), nth(&v, 1), "");
    CHECK_VIEW(&v, "X|Y|Z|l3|l4");
    CHECK_INT(v.nsp, 1);
    CHECK_INT(v.sp[0].a, 0);
    CHECK_INT(v.sp[0].b, 3);
    CHECK(splices_ok(&v));
    /* replace across inserted and base text: Z l3 -> W */
    replace_spec(&v, nth(&v, 2), nth(&v, 4), "W");
    CHECK_VIEW(&v, "X|Y|W|l4");
    CHECK_INT(v.nsp, 1);
    CHECK_INT(v.sp[0].b, 4);
    CHECK_INT(ap_view_new_count(&v, ap_line_hash("Z", 1)), 0);
    CHECK_INT(ap_view_new_count(&v, ap_line_hash("W", 1)), 1);
    CHECK_INT(ap_view_size(&v), 4);
    ap_view_release(&v);
}

static void test_view_insert_positions(void)
{
    ap_text *t = ap_text_new("a\nb\nc\n", 6);
    ap_view v;
    ap_view_init(&v, t);
    ap_text_release(t);
    replace_spec(&v, ap_view_begin(&v), ap_view_begin(&v), "H");
    CHECK_VIEW(&v, "H|a|b|c");
    replace_spec(&v, ap_view_end(&v), ap_view_end(&v), "T1|T2");
    CHECK_VIEW(&v, "H|a|b|c|T1|T2");
    CHECK_INT(v.nsp, 2);
    /* insert between b and c */
    replace_spec(&v, nth(&v, 3), nth(&v, 3), "M");
    CHECK_VIEW(&v, "H|a|b|M|c|T1|T2");
    /* after M, before c: the inserted line and the next one merge */
    replace_spec(&v, nth(&v, 4), nth(&v, 4), "N");
    CHECK_VIEW(&v, "H|a|b|M|N|c|T1|T2");
    CHECK(splices_ok(&v));
    CHECK_INT(ap_view_size(&v), 8);
    /* replace inserted text only: M N -> O */
    replace_spec(&v, nth(&v, 3), nth(&v, 5), "O");
    CHECK_VIEW(&v, "H|a|b|O|c|T1|T2");
    CHECK_INT(ap_view_new_count(&v, ap_line_hash("M", 1)), 0);
    CHECK_INT(ap_view_new_count(&v, ap_line_hash("O", 1)), 1);
    for (uint32_t l = 0; l < 3; l++)
        CHECK(ap_view_base_alive(&v, l));
    /* delete everything */
    replace_spec(&v, ap_view_begin(&v), ap_view_end(&v), "");
    CHECK_VIEW(&v, "");
    CHECK_INT(ap_view_size(&v), 0);
    CHECK(ap_view_at_end(&v, ap_view_begin(&v)));
    CHECK_INT(v.nsp, 1);
    CHECK_INT(v.sp[0].a, 0);
    CHECK_INT(v.sp[0].b, 3);
    CHECK_INT(v.sp[0].n, 0);
    CHECK_INT(ap_view_new_count(&v, ap_line_hash("H", 1)), 0);
    for (uint32_t l = 0; l < 3; l++)
        CHECK(!ap_view_base_alive(&v, l));
    /* and write into the emptiness */
    replace_spec(&v, ap_view_begin(&v), ap_view_end(&v), "new");
    CHECK_VIEW(&v, "new");
    CHECK_INT(v.nsp, 1);
    ap_view_release(&v);
}

static void test_view_copies_text(void)
{
    ap_text *t = ap_text_new("a\nb\n", 4);
    ap_view v;
    ap_view_init(&v, t);
    ap_text_release(t);
    char buf[] = "  fresh  ";
    ap_nline nl = {0};
    ap_line_init(&nl.l, buf, (uint32_t)strlen(buf), AP_EOL_LF);
    nl.change = 3;
    nl.mod = 4;
    ap_view_replace(&v, nth(&v, 1), nth(&v, 1), &nl, 1);
    memset(buf, 'Z', sizeof buf - 1);
    CHECK_VIEW(&v, "a|  fresh  |b");
    ap_pos p = nth(&v, 1);
    CHECK(p.sp >= 0);
    CHECK_INT(v.sp[p.sp].lines[p.k].change, 3);
    CHECK_INT(v.sp[p.sp].lines[p.k].mod, 4);
    CHECK_INT(ap_view_line(&v, p)->s_off, 2);
    CHECK_INT(ap_view_new_count(&v, ap_line_hash("fresh", 5)), 1);
    ap_view_release(&v);
}

static void test_view_skip_blank_and_tspan(void)
{
    ap_text *t = ap_text_new("a\n\n\n\nb\n\n", 8);
    ap_view v;
    ap_view_init(&v, t);
    ap_text_release(t);
    ap_pos p = ap_view_skip_blank(&v, ap_view_seek(&v, 1));
    CHECK_INT(p.base, 4);
    p = ap_view_skip_blank(&v, ap_view_seek(&v, 5));
    CHECK(ap_view_at_end(&v, p));
    /* a splice inside the blank run stops the jump */
    replace_spec(&v, ap_view_seek(&v, 2), ap_view_seek(&v, 3), "mid");
    p = ap_view_skip_blank(&v, ap_view_seek(&v, 1));
    CHECK(p.sp >= 0);
    CHECK_STR(pos_text(&v, p), "mid");
    /* an inserted blank line is skipped too */
    replace_spec(&v, ap_view_seek(&v, 0), ap_view_seek(&v, 0), "  ");
    p = ap_view_skip_blank(&v, ap_view_begin(&v));
    CHECK_INT(p.base, 0);
    CHECK_INT(p.sp, -1);

    /* tspan: lines [1, 4) of the file as read, bytes [2, 5) */
    ap_tspan s = ap_view_tspan(&v, ap_view_seek(&v, 1), ap_view_seek(&v, 4));
    CHECK_INT(s.line, 1);
    CHECK_INT(s.end_line, 4);
    CHECK_INT(s.start, 2);
    CHECK_INT(s.end, 5);
    CHECK_INT(s.inserted_change, -1);
    /* the inserted "mid" replaced line 2: its span is that line, and it
     * says who inserted it */
    ap_pos mid = ap_view_seek(&v, 2);
    s = ap_view_tspan(&v, mid, ap_view_next(&v, mid));
    CHECK_INT(s.line, 2);
    CHECK_INT(s.end_line, 3);
    CHECK_INT(s.inserted_change, 0);
    CHECK_INT(s.inserted_mod, 0);
    /* an empty range */
    s = ap_view_tspan(&v, ap_view_seek(&v, 4), ap_view_seek(&v, 4));
    CHECK_INT(s.line, 4);
    CHECK_INT(s.end_line, 4);
    CHECK_INT(s.start, 5);
    CHECK_INT(s.end, 5);
    ap_view_release(&v);
}

/* ------------------------------------------------------- property test */

#define NKINDS 6
static const char *const kinds[NKINDS] = {"x0", "x1", "  x2", "x3\t", "", " "};

typedef struct mline {
    char text[16];
    int base; /* base line, or -1 when inserted */
} mline;

typedef struct model {
    mline *l;
    uint32_t n, cap;
} model;

static uint32_t model_new_count(const model *m, uint64_t h)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < m->n; i++) {
        if (m->l[i].base >= 0)
            continue;
        ap_line l;
        ap_line_init(&l, m->l[i].text, (uint32_t)strlen(m->l[i].text), 0);
        c += l.hash == h;
    }
    return c;
}

/* Compares the view with the model; returns false (and reports) at the
 * first difference so one bug does not print thousands of lines. */
static bool compare(const ap_view *v, const model *m, int step)
{
    bool ok = true;
#define FAIL(...)                                                           \
    do {                                                                    \
        fprintf(stderr, "  step %d: ", step);                               \
        fprintf(stderr, __VA_ARGS__);                                       \
        fputc('\n', stderr);                                                \
        check_failed_in_test++;                                             \
        return false;                                                       \
    } while (0)
    if (!splices_ok(v))
        FAIL("splices not sorted/disjoint/apart (nsp %u)", v->nsp);
    if (ap_view_size(v) != m->n)
        FAIL("size %llu, model %u", (unsigned long long)ap_view_size(v), m->n);
    /* forward */
    ap_pos p = ap_view_begin(v);
    uint64_t last_key = 0;
    for (uint32_t i = 0; i < m->n; i++) {
        if (ap_view_at_end(v, p))
            FAIL("forward walk ends after %u lines, model has %u", i, m->n);
        if (i > 0 && ap_pos_key(p) <= last_key)
            FAIL("positions not increasing at %u", i);
        last_key = ap_pos_key(p);
        if (strcmp(pos_text(v, p), m->l[i].text) != 0)
            FAIL("line %u is \"%s\", model \"%s\"", i, pos_text(v, p), m->l[i].text);
        if ((m->l[i].base >= 0) != (p.sp < 0))
            FAIL("line %u: base/inserted differ", i);
        if (p.sp < 0 && p.base != (uint32_t)m->l[i].base)
            FAIL("line %u: base %u, model %d", i, p.base, m->l[i].base);
        if (p.sp >= 0 && (p.base != v->sp[p.sp].a || p.k >= v->sp[p.sp].n))
            FAIL("line %u: bad splice position", i);
        p = ap_view_next(v, p);
    }
    if (!ap_view_at_end(v, p))
        FAIL("forward walk goes past %u lines", m->n);
    /* backward */
    p = ap_view_end(v);
    for (uint32_t i = m->n; i-- > 0;) {
        ap_pos q;
        if (!ap_view_prev(v, p, &q))
            FAIL("backward walk stops at %u", i);
        if (strcmp(pos_text(v, q), m->l[i].text) != 0)
            FAIL("backward line %u is \"%s\", model \"%s\"", i, pos_text(v, q), m->l[i].text);
        if (q.sp < 0 && q.base != (uint32_t)m->l[i].base)
            FAIL("backward line %u: base %u, model %d", i, q.base, m->l[i].base);
        if ((q.sp < 0) != (m->l[i].base >= 0))
            FAIL("backward line %u: base/inserted differ", i);
        p = q;
    }
    {
        ap_pos q;
        if (ap_view_prev(v, p, &q))
            FAIL("backward walk goes past the beginning");
    }
    /* the base lines still there */
    uint32_t nb = v->base->n;
    bool *alive = ap_xcalloc(nb + 1, 1);
    for (uint32_t i = 0; i < m->n; i++)
        if (m->l[i].base >= 0)
            alive[m->l[i].base] = true;
    for (uint32_t l = 0; l < nb; l++) {
        if (ap_view_base_alive(v, l) != alive[l]) {
            bool want = alive[l];
            free(alive);
            FAIL("base_alive(%u) is %d", l, !want);
        }
        /* seek(l) of a live line reaches l before any other base line */
        if (alive[l]) {
            ap_pos s = ap_view_seek(v, l);
            while (s.sp >= 0)
                s = ap_view_next(v, s);
            if (s.base != l) {
                free(alive);
                FAIL("seek(%u) leads to base %u", l, s.base);
            }
        }
    }
    free(alive);
    /* the inserted-line hash counts */
    for (int k = 0; k < NKINDS; k++) {
        size_t off, len;
        ap_strip(kinds[k], strlen(kinds[k]), &off, &len);
        uint64_t h = ap_line_hash(kinds[k] + off, len);
        if (ap_view_new_count(v, h) != model_new_count(m, h))
            FAIL("new_count(\"%s\") is %u, model %u", kinds[k], ap_view_new_count(v, h),
                 model_new_count(m, h));
    }
    /* skip_blank from a few places agrees with the model */
    for (int t = 0; t < 3; t++) {
        uint32_t i = rnd(m->n + 1);
        ap_pos s = ap_view_skip_blank(v, nth(v, i));
        uint32_t j = i;
        while (j < m->n && strspn(m->l[j].text, " \t") == strlen(m->l[j].text))
            j++;
        if (ap_pos_key(s) != ap_pos_key(nth(v, j)))
            FAIL("skip_blank from %u does not reach %u", i, j);
    }
#undef FAIL
    return ok;
}

/* A random position and its logical index, by one of three walks. */
static ap_pos random_pos(const ap_view *v, uint32_t size, uint32_t *index, uint32_t lo)
{
    uint32_t how = rnd(10);
    if (how < 2 && v->base->n > 0) {
        /* seek to a base line, then find its index */
        ap_pos p = ap_view_seek(v, rnd(v->base->n + 1));
        uint32_t i = 0;
        for (ap_pos q = ap_view_begin(v); ap_pos_key(q) != ap_pos_key(p); q = ap_view_next(v, q))
            i++;
        if (i >= lo) {
            *index = i;
            return p;
        }
    }
    uint32_t i;
    uint32_t r = rnd(8);
    if (r == 0)
        i = lo;       /* as early as allowed */
    else if (r == 1)
        i = size;     /* the end */
    else
        i = lo + rnd(size - lo + 1);
    *index = i;
    if (how < 6) {
        return nth(v, i);
    }
    /* backwards from the end */
    ap_pos p = ap_view_end(v);
    for (uint32_t k = size; k > i; k--) {
        ap_pos q;
        if (!ap_view_prev(v, p, &q))
            break;
        p = q;
    }
    return p;
}

static void property_round(uint32_t base_lines, bool final_newline, int steps, int *step_no)
{
    ap_buf b = AP_BUF_INIT;
    model m = {0};
    ap_buf_adds(&b, "");
    for (uint32_t i = 0; i < base_lines; i++) {
        const char *k = kinds[rnd(NKINDS)];
        if (i + 1 == base_lines && !final_newline && !*k)
            k = "x0"; /* an empty last line without a break is no line */
        ap_buf_adds(&b, k);
        if (i + 1 < base_lines || final_newline)
            ap_buf_addc(&b, '\n');
        AP_GROW(m.l, m.n, m.cap);
        snprintf(m.l[m.n].text, sizeof m.l[m.n].text, "%s", k);
        m.l[m.n++].base = (int)i;
    }
    ap_text *t = ap_text_new(b.s, b.len);
    ap_buf_release(&b);
    ap_view v;
    ap_view_init(&v, t);
    ap_text_release(t);
    if (!compare(&v, &m, *step_no))
        goto out;
    for (int s = 0; s < steps; s++, (*step_no)++) {
        uint32_t size = m.n;
        uint32_t i, j;
        ap_pos from, to;
        /* deleting everything: now and then in small rounds, seldom in big
         * ones (where many splices should pile up) */
        uint32_t op = rnd(base_lines > 100 ? 5000 : 150);
        if (op == 0) {
            /* delete everything */
            from = ap_view_begin(&v), i = 0;
            to = ap_view_end(&v), j = size;
        } else {
            from = random_pos(&v, size, &i, 0);
            if (rnd(4) == 0) {
                to = from, j = i; /* an insertion */
            } else {
                /* mostly short ranges */
                if (rnd(20) > 0 && i < size) {
                    j = i + 1 + rnd(size - i < 3 ? size - i : 3);
                    to = nth(&v, j);
                } else if (rnd(20) > 0 || base_lines > 100) {
                    j = i + rnd(size - i < 30 ? size - i + 1 : 31);
                    to = nth(&v, j);
                } else {
                    to = random_pos(&v, size, &j, i); /* anywhere after from */
                }
            }
        }
        uint32_t n = rnd(6) == 0 ? 0 : 1 + rnd(4);
        if (op == 0 && rnd(2))
            n = 0;
        ap_nline nl[5];
        char texts[5][16];
        for (uint32_t k = 0; k < n; k++) {
            snprintf(texts[k], sizeof texts[k], "%s", kinds[rnd(NKINDS)]);
            ap_line_init(&nl[k].l, texts[k], (uint32_t)strlen(texts[k]), AP_EOL_LF);
            nl[k].change = 0;
            nl[k].mod = s;
        }
        ap_view_replace(&v, from, to, nl, n);
        /* the model: lines [i, j) become the new ones */
        uint32_t newn = m.n - (j - i) + n;
        if (newn > m.cap) {
            m.cap = newn * 2;
            m.l = ap_xrealloc(m.l, m.cap * sizeof *m.l);
        }
        memmove(m.l + i + n, m.l + j, (m.n - j) * sizeof *m.l);
        for (uint32_t k = 0; k < n; k++) {
            snprintf(m.l[i + k].text, sizeof m.l[i + k].text, "%s", texts[k]);
            m.l[i + k].base = -1;
        }
        m.n = newn;
        /* scribble over the caller's buffers: the view must have copied */
        memset(texts, '#', sizeof texts);
        if (!compare(&v, &m, *step_no))
            break;
        CHECK(v.changed);
    }
out:
    ap_view_release(&v);
    free(m.l);
}

static void test_view_property(void)
{
    rng_state = 0x9e3779b97f4a7c15ull; /* fixed seed */
    int step = 0;
    /* several bases: empty, one line without a break, small, larger */
    property_round(0, false, 300, &step);
    property_round(1, false, 300, &step);
    property_round(1, true, 300, &step);
    property_round(5, false, 600, &step);
    property_round(20, true, 1000, &step);
    property_round(60, true, 1000, &step);
    property_round(200, false, 800, &step);
    property_round(400, true, 800, &step);
    property_round(1500, true, 1000, &step);
    CHECK_INT(step, 6100);
}

/* lines_equal of applied.c, by hand: both blank, or the same bytes up to
 * the end of the stripped part. */
static bool same_line(const ap_line *a, const ap_line *b)
{
    if (a->blank || b->blank)
        return a->blank && b->blank;
    return a->s_off + a->s_len == b->s_off + b->s_len && memcmp(a->s, b->s, a->s_off + a->s_len) == 0;
}

static bool views_equal_by_hand(const ap_view *a, const ap_view *b)
{
    ap_pos p = ap_view_begin(a), q = ap_view_begin(b);
    for (;; p = ap_view_next(a, p), q = ap_view_next(b, q)) {
        bool ea = ap_view_at_end(a, p), eb = ap_view_at_end(b, q);
        if (ea || eb)
            return ea && eb;
        if (!same_line(ap_view_line(a, p), ap_view_line(b, q)))
            return false;
    }
}

/* ap_views_equal (which compares runs of base lines of two texts a memcmp
 * at a time where both break at LF) against the views walked line by line:
 * texts of few distinct lines with LF, CRLF or CR breaks, trailing blanks
 * and open ends, a second text that is the first, one byte of it changed
 * (the same lengths: only the bytes can tell), its breaks changed, or its
 * lines joined (as a pre-image is), each view with the same or other
 * splices. */
static void test_views_equal(void)
{
    static const char *const pool[] = {"ab", "ba", "ab  ", "", "  ", "xyz", "\tab", "a b"};
    static const char *const specs[] = {"", "ab", "ba|xyz", "ab  |ab"};
    static const char *const breaks[] = {"\n", "\r\n", "\r"};
    rng_state = 2020;
    int equal = 0, differ = 0, same_lengths_differ = 0;
    for (int round = 0; round < 3000; round++) {
        char bytes[2048];
        size_t len = 0;
        uint32_t n = 1 + rnd(24);
        const char *brk = breaks[rnd(5) < 3 ? 0 : 1 + rnd(2)];
        for (uint32_t i = 0; i < n; i++) {
            const char *l = pool[rnd(8)];
            memcpy(bytes + len, l, strlen(l));
            len += strlen(l);
            if (i + 1 < n || rnd(3)) {
                memcpy(bytes + len, brk, strlen(brk));
                len += strlen(brk);
            }
        }
        ap_text *ta = ap_text_new(bytes, len);
        ap_text *tb;
        int kind = (int)rnd(4);
        if (kind == 0) {
            tb = ap_text_new(bytes, len);
        } else if (kind == 1) {
            char other[2048];
            memcpy(other, bytes, len);
            size_t at = rnd((uint32_t)len);
            if (other[at] == 'a')
                other[at] = 'b';
            else if (other[at] == 'b')
                other[at] = 'a';
            else if (other[at] == ' ')
                other[at] = '\t';
            tb = ap_text_new(other, len);
        } else if (kind == 2) {
            char other[4096];
            size_t ol = 0;
            for (size_t i = 0; i < len; i++) {
                if (bytes[i] == '\r' && i + 1 < len && bytes[i + 1] == '\n')
                    continue; /* CRLF -> LF */
                other[ol++] = bytes[i] == '\r' ? '\n' : bytes[i];
            }
            tb = ap_text_new(other, ol);
        } else {
            const ap_line **src = malloc(ta->n * sizeof *src);
            for (uint32_t i = 0; i < ta->n; i++)
                src[i] = &ta->lines[i];
            tb = ap_text_join(src, ta->n);
            free(src);
            if (!tb)
                tb = ap_text_new(bytes, len);
        }
        ap_view va, vb;
        ap_view_init(&va, ta);
        ap_view_init(&vb, tb);
        for (uint32_t k = rnd(3); k > 0; k--) {
            uint32_t a = rnd(ta->n + 1), b = a + rnd(ta->n + 1 - a);
            const char *spec = specs[rnd(4)];
            replace_spec(&va, ap_view_seek(&va, a), ap_view_seek(&va, b), spec);
            if (rnd(4) && b <= tb->n)
                replace_spec(&vb, ap_view_seek(&vb, a), ap_view_seek(&vb, b), spec);
        }
        bool want = views_equal_by_hand(&va, &vb);
        CHECK(ap_views_equal(&va, &vb) == want);
        CHECK(ap_views_equal(&vb, &va) == want);
        equal += want;
        differ += !want;
        same_lengths_differ += !want && kind == 1 && va.nsp == 0 && vb.nsp == 0;
        ap_view_release(&va);
        ap_view_release(&vb);
        ap_text_release(ta);
        ap_text_release(tb);
    }
    /* both answers, and texts told apart by their bytes alone */
    CHECK(equal > 300 && differ > 300 && same_lengths_differ > 50);
}


int main(void)
{
    RUN(test_view_untouched);
    RUN(test_view_replace_basic);
    RUN(test_view_insert_positions);
    RUN(test_view_copies_text);
    RUN(test_view_skip_blank_and_tspan);
    RUN(test_view_property);
    RUN(test_views_equal);
    return check_summary();
}
