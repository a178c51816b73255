/* merge.c - carrying a REPLACE's change over to the block its snippet
 * names, as a three-way merge does: the snippet is the base, the content is
 * the model's version of it, the real block the file's (align.c pairs the
 * snippet with the block; myers.c pairs it with the content).
 *
 * Each side's differences are ranges of snippet lines it replaces (a line
 * the snippet invented or typed otherwise, a line it left out, on the file's
 * side; the model's change on the content's). Differences whose ranges
 * overlap (or insert at one point, or insert inside the other) form one
 * group; groups are taken in order:
 *   - only the content differs: the content's lines;
 *   - only the file differs: the file's lines, so nothing the file has is
 *     lost and nothing the model imagined is written;
 *   - both, to the same lines: those; otherwise a conflict, and the merge
 *     is not clean (the model changed lines it did not see as they are).
 * Unlike git, differences that merely touch (a line typed otherwise next to
 * the line the model changes) do not conflict: each is taken from its side.
 * Snippet lines neither side changes are written as the content writes them.
 * Lines compare stripped, as matching does; blank lines do not count, but
 * the content's blank lines stay where the model put them (and the file's
 * around lines the snippet left out come with them). The merged
 * content is relative to the block's first line, as the engine indents a
 * content: lines from the content as the model wrote them, lines from the
 * file without the first line's indentation. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct sides {
    const ap_pattern *s, *c;
    uint32_t *c_nb;  /* the content's non-blank lines (indexes into c->lines) */
    uint32_t nc;
} sides;

static bool snip_eq_content(void *ctx, uint32_t i, uint32_t k)
{
    const sides *x = ctx;
    return ap_line_eq(ap_pattern_at(x->s, i), &x->c->lines[x->c_nb[k]]);
}

/* One difference: snippet lines [a0, a1) replaced, by one side. */
typedef struct diff {
    uint32_t a0, a1;
    bool file;        /* the file's side (else the content's) */
    uint32_t b0, b1;  /* the content's: its lines [b0, b1) (non-blank ones) */
} diff;

#define NONE UINT32_MAX

static int by_start(const void *x, const void *y)
{
    const diff *a = x, *b = y;
    if (a->a0 != b->a0)
        return a->a0 < b->a0 ? -1 : 1;
    /* at one point, an insertion stands before a replacement */
    return (a->a1 > a->a0) - (b->a1 > b->a0);
}

/* Does d belong to the group [g0, g1)? */
static bool joins(const diff *d, uint32_t g0, uint32_t g1)
{
    if (d->a0 == d->a1)
        return g0 == g1 ? d->a0 == g0 : g0 < d->a0 && d->a0 < g1;
    return g0 < g1 && d->a0 < g1;
}

typedef struct merger {
    const ap_view *v;
    const ap_block *b;
    const ap_pattern *content;
    sides x;
    uint32_t *at;     /* per step: its snippet line, or where a dropped line stands */
    uint32_t *c_of;   /* per snippet line: the content line equal to it, or NONE */
    uint32_t *before; /* before[p]: the content line where "before snippet line p" falls */
    const ap_line *first;
    ap_buf text;
    uint32_t ci;      /* the next content line (all lines) to write */
} merger;

static void add_content_line(ap_buf *out, const ap_line *l)
{
    ap_buf_add(out, l->s, l->blank ? 0 : l->len);
    ap_buf_addc(out, '\n');
}

/* Writes the content's lines up to its non-blank line k (not included;
 * k == nc: up to its last non-blank line, included). */
static void content_until(merger *m, uint32_t k)
{
    uint32_t to = k < m->x.nc ? m->x.c_nb[k] : m->x.nc ? m->x.c_nb[m->x.nc - 1] + 1 : 0;
    for (; m->ci < to; m->ci++)
        add_content_line(&m->text, &m->content->lines[m->ci]);
}

/* Is step k part of the file's version of snippet lines [g0, g1) (an empty
 * range: the lines the file has at that point)? */
static bool in_range(const merger *m, uint32_t k, uint32_t g0, uint32_t g1)
{
    const ap_step *s = &m->b->steps[k];
    if (s->kind == AP_STEP_INVENTED)
        return false;
    if (s->kind == AP_STEP_DROPPED)
        return g0 == g1 ? m->at[k] == g0 : g0 < m->at[k] && m->at[k] < g1;
    return g0 <= s->p && s->p < g1;
}

static uint8_t kind_of_line(const merger *m, uint32_t p)
{
    for (uint32_t k = 0; k < m->b->n_steps; k++)
        if (m->b->steps[k].kind != AP_STEP_DROPPED && m->b->steps[k].p == p)
            return m->b->steps[k].kind;
    return AP_STEP_INVENTED;
}

/* Do the file's version of [g0, g1) and the content's lines [c, c1) say
 * the same? */
static bool same_versions(const merger *m, uint32_t g0, uint32_t g1, uint32_t c, uint32_t c1)
{
    for (uint32_t k = 0; k < m->b->n_steps; k++) {
        if (!in_range(m, k, g0, g1))
            continue;
        if (c == c1 || !ap_line_eq(ap_view_line(m->v, m->b->steps[k].f), &m->content->lines[m->x.c_nb[c]]))
            return false;
        c++;
    }
    return c == c1;
}

/* The blank lines of the file between two of its lines (a, b). */
static uint32_t blanks_between(const merger *m, ap_pos a, ap_pos b)
{
    uint32_t n = 0;
    for (ap_pos p = ap_view_next(m->v, a); ap_pos_key(p) < ap_pos_key(b); p = ap_view_next(m->v, p))
        n++;
    return n;
}

/* How many blank lines the merged text ends with. */
static uint32_t trailing_blanks(const ap_buf *t)
{
    uint32_t n = 0;
    for (size_t i = t->len; i >= 1 && t->s[i - 1] == '\n' && (i == 1 || t->s[i - 2] == '\n'); i--)
        n++;
    return n;
}

/* Writes the file's version of [g0, g1). The blank lines around a run of
 * lines the snippet left out are the file's too (a docstring's left-out
 * line and the blank line before it): they come along, less those the
 * content already put there (its blank lines at that point stand for them),
 * so that the fix loses no line of the file, blank or not, and doubles
 * none. */
static void write_file_version(merger *m, uint32_t g0, uint32_t g1)
{
    ap_pos prev = {0, -1, 0};
    bool any = false;
    uint32_t k0 = UINT32_MAX, k1 = 0;
    for (uint32_t k = 0; k < m->b->n_steps; k++)
        if (in_range(m, k, g0, g1)) {
            k0 = k0 == UINT32_MAX ? k : k0;
            k1 = k;
        }
    if (k0 == UINT32_MAX)
        return;
    /* the file's lines next to the run: the last one before, the first after */
    uint32_t lead = 0, trail = 0;
    if (m->b->steps[k0].kind == AP_STEP_DROPPED)
        for (uint32_t k = k0; k-- > 0;)
            if (m->b->steps[k].kind != AP_STEP_INVENTED) {
                lead = blanks_between(m, m->b->steps[k].f, m->b->steps[k0].f);
                break;
            }
    if (m->b->steps[k1].kind == AP_STEP_DROPPED)
        for (uint32_t k = k1 + 1; k < m->b->n_steps; k++)
            if (m->b->steps[k].kind != AP_STEP_INVENTED) {
                trail = blanks_between(m, m->b->steps[k1].f, m->b->steps[k].f);
                break;
            }
    uint32_t have = m->text.len ? trailing_blanks(&m->text) : lead;
    for (uint32_t i = have; i < lead; i++)
        ap_buf_addc(&m->text, '\n');
    uint32_t spare = have > lead ? have - lead : 0;
    for (uint32_t k = k0; k <= k1; k++) {
        if (!in_range(m, k, g0, g1))
            continue;
        ap_pos f = m->b->steps[k].f;
        /* the blank lines between two of the file's lines come along */
        if (any)
            for (ap_pos p = ap_view_next(m->v, prev); ap_pos_key(p) < ap_pos_key(f); p = ap_view_next(m->v, p))
                add_content_line(&m->text, ap_view_line(m->v, p));
        ap_add_rebased(&m->text, ap_view_line(m->v, f), m->first);
        prev = f;
        any = true;
    }
    for (uint32_t i = spare; i < trail; i++)
        ap_buf_addc(&m->text, '\n');
}

/* Names the conflict in [g0, g1): its first snippet line the file has
 * otherwise, else the first file line the snippet left out. */
static void name_conflict(const merger *m, uint32_t g0, uint32_t g1, ap_carry *out)
{
    for (uint32_t k = 0; k < m->b->n_steps; k++) {
        const ap_step *s = &m->b->steps[k];
        if (s->kind != AP_STEP_SAME && s->kind != AP_STEP_DROPPED && g0 <= s->p && s->p < g1) {
            out->conflict_p = s->p;
            return;
        }
    }
    for (uint32_t k = 0; k < m->b->n_steps; k++)
        if (m->b->steps[k].kind == AP_STEP_DROPPED && in_range(m, k, g0, g1)) {
            out->conflict_f = m->b->steps[k].f;
            out->has_conflict_f = true;
            return;
        }
}

static const ap_pattern *twin_pat;
static int by_text(const void *x, const void *y)
{
    const ap_line *a = ap_pattern_at(twin_pat, *(const uint32_t *)x);
    const ap_line *b = ap_pattern_at(twin_pat, *(const uint32_t *)y);
    int c = ap_line_cmp(a, b);
    if (c)
        return c;
    return *(const uint32_t *)x < *(const uint32_t *)y ? -1 : 1;
}

/* A line the snippet holds twice (a `pass`, a `}`), one copy kept by the
 * content and one changed: which copy the model changed is a guess of the
 * diff, and it matters when the file differs from the snippet between the
 * copies. Names the later copy as the conflict. */
static bool twins_apart(const merger *m, uint32_t n, ap_carry *out)
{
    /* marks[p + 1]: the file's differences at snippet lines < = p */
    uint32_t *marks = ap_xcalloc(n + 2, sizeof *marks);
    for (uint32_t k = 0; k < m->b->n_steps; k++)
        if (m->b->steps[k].kind != AP_STEP_SAME && m->at[k] <= n)
            marks[m->at[k] + 1]++;
    for (uint32_t p = 1; p <= n + 1; p++)
        marks[p] += marks[p - 1];
    uint32_t *order = ap_xmalloc((n ? n : 1) * sizeof *order);
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    twin_pat = m->x.s;
    qsort(order, n, sizeof *order, by_text);
    bool apart = false;
    for (uint32_t i = 0; i < n && !apart;) {
        uint32_t j = i, lo = order[i], hi = order[i];
        bool kept = false, changed = false;
        while (j < n && ap_line_eq(ap_pattern_at(m->x.s, order[j]), ap_pattern_at(m->x.s, order[i]))) {
            kept |= m->c_of[order[j]] != NONE;
            changed |= m->c_of[order[j]] == NONE;
            hi = order[j] > hi ? order[j] : hi;
            j++;
        }
        if (kept && changed && marks[hi + 1] > marks[lo]) {
            apart = true;
            out->conflict_p = hi;
        }
        i = j;
    }
    free(order);
    free(marks);
    return apart;
}

bool ap_carry_over(const ap_view *v, const ap_block *b, const ap_pattern *snip, const ap_pattern *content,
                   ap_carry *out)
{
    memset(out, 0, sizeof *out);
    out->conflict_p = UINT32_MAX;
    uint32_t n = snip->n;
    merger m = {v, b, content, {snip, content, NULL, 0}, NULL, NULL, NULL, ap_view_line(v, b->first),
                AP_BUF_INIT, 0};
    m.x.c_nb = ap_xmalloc((content->n_lines + 1) * sizeof *m.x.c_nb);
    for (uint32_t k = 0; k < content->n_lines; k++)
        if (!content->lines[k].blank)
            m.x.c_nb[m.x.nc++] = k;

    diff *ds = NULL;
    size_t nds = 0, cap = 0;
    /* the content's side: what the model changed */
    ap_delta *d;
    size_t nd = ap_diff_seq(n, m.x.nc, snip_eq_content, &m.x, 64 * ((uint64_t)n + m.x.nc) + 4096, &d);
    m.c_of = ap_xmalloc((n + 1) * sizeof *m.c_of);
    m.before = ap_xmalloc((n + 1) * sizeof *m.before);
    for (uint32_t k = 0, i = 0, j = 0; k <= nd; k++) {
        uint32_t a0 = k < nd ? d[k].a0 : n;
        for (; i < a0; i++, j++)
            m.c_of[i] = m.before[i] = j;
        if (k < nd) {
            for (; i < d[k].a1; i++)
                m.c_of[i] = m.before[i] = NONE;
            if (d[k].a0 <= n)
                m.before[d[k].a0] = d[k].b0;
            j = d[k].b1;
            AP_GROW(ds, nds, cap);
            ds[nds++] = (diff){d[k].a0, d[k].a1, false, d[k].b0, d[k].b1};
        }
    }
    if (nd == 0 || d[nd - 1].a0 != n || d[nd - 1].a1 != n)
        m.before[n] = m.x.nc;
    /* the file's side: runs of steps that are not the same line */
    m.at = ap_xmalloc((b->n_steps + 1) * sizeof *m.at);
    uint32_t next_p = n;
    for (uint32_t k = b->n_steps; k-- > 0;) {
        if (b->steps[k].kind == AP_STEP_DROPPED)
            m.at[k] = next_p;
        else
            m.at[k] = next_p = b->steps[k].p;
    }
    /* (lines left out insert at a point; lines invented or typed otherwise
     * replace a range: apart, so that each meets the content's differences
     * where it stands) */
    for (uint32_t k = 0; k < b->n_steps;) {
        uint8_t kind = b->steps[k].kind;
        if (kind == AP_STEP_SAME) {
            k++;
            continue;
        }
        uint32_t a0 = m.at[k], a1 = a0;
        if (kind == AP_STEP_DROPPED) {
            while (k < b->n_steps && b->steps[k].kind == AP_STEP_DROPPED)
                k++;
        } else {
            for (; k < b->n_steps && (b->steps[k].kind == AP_STEP_ALTERED || b->steps[k].kind == AP_STEP_INVENTED); k++)
                a1 = b->steps[k].p + 1;
        }
        AP_GROW(ds, nds, cap);
        ds[nds++] = (diff){a0, a1, true, 0, 0};
    }
    free(d);
    if (nds > 1) /* (qsort wants a pointer even for nothing) */
        qsort(ds, nds, sizeof *ds, by_start);

    bool clean = !twins_apart(&m, n, out);
    for (size_t i = 0; i < nds;) {
        uint32_t g0 = ds[i].a0, g1 = ds[i].a1;
        bool file = false, cont = false;
        uint32_t c0 = NONE, c1 = 0; /* the content's lines in the group */
        size_t j = i;
        for (; j < nds && (j == i || joins(&ds[j], g0, g1)); j++) {
            g1 = ds[j].a1 > g1 ? ds[j].a1 : g1;
            file |= ds[j].file;
            if (!ds[j].file) {
                cont = true;
                if (ds[j].b0 < ds[j].b1) {
                    c0 = ds[j].b0 < c0 ? ds[j].b0 : c0;
                    c1 = ds[j].b1 > c1 ? ds[j].b1 : c1;
                }
            }
        }
        for (uint32_t p = g0; p < g1; p++)
            if (m.c_of[p] != NONE) {
                c0 = m.c_of[p] < c0 ? m.c_of[p] : c0;
                c1 = m.c_of[p] + 1 > c1 ? m.c_of[p] + 1 : c1;
            }
        if (c0 == NONE)
            c0 = c1 = m.before[g0];
        /* unchanged lines before it: as the content writes them */
        content_until(&m, c0);
        /* both changed it: fine only to the same lines, and never where
         * the content changes a line the file does not have (a line typed
         * too differently to be paired looks invented: what the model meant
         * to change is not known) */
        bool invented = false;
        for (uint32_t p = g0; p < g1 && file && cont; p++)
            invented |= m.c_of[p] == NONE && kind_of_line(&m, p) == AP_STEP_INVENTED;
        if (file && cont && (invented || !same_versions(&m, g0, g1, c0, c1))) {
            if (clean && out->conflict_p == UINT32_MAX)
                name_conflict(&m, g0, g1, out);
            clean = false;
        }
        if (file && !cont) {
            write_file_version(&m, g0, g1);
            if (c1 > c0) /* the content's lines it stands for are not written */
                m.ci = m.x.c_nb[c1 - 1] + 1;
        } else {
            content_until(&m, c1);
        }
        i = j;
    }
    content_until(&m, m.x.nc);
    for (; m.ci < content->n_lines; m.ci++) /* its trailing blank lines */
        add_content_line(&m.text, &content->lines[m.ci]);
    out->clean = clean;
    out->content = ap_buf_detach(&m.text, &out->len);
    free(ds);
    free(m.at);
    free(m.c_of);
    free(m.before);
    free(m.x.c_nb);
    return clean;
}

void ap_carry_release(ap_carry *c)
{
    free(c->content);
    memset(c, 0, sizeof *c);
}
