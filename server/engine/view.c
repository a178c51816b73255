/* view.c - the text as the modifications applied so far left it.
 *
 * A view is the shared, indexed base text plus a sorted array of splices,
 * each replacing base lines [a, b) by inserted lines. Applying a modification
 * costs in proportion to the lines it touches (plus a binary search), never
 * to the size of the file: the base is read and indexed once, and a run over
 * a 100,000-line file with 10,000 modifications does not copy it 10,000
 * times. Positions in the base stay valid, which is what lets every problem
 * point at the file as the user sees it. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static void hc_init(ap_view *v)
{
    v->hc_mask = 15;
    v->hc_used = 0;
    v->hc = ap_xcalloc(16, sizeof *v->hc);
}

static struct ap_hcount *hc_slot(const ap_view *v, uint64_t h)
{
    uint32_t j = (uint32_t)h & v->hc_mask;
    /* hash 0 marks an empty slot; a real hash of 0 is stored as 1 */
    uint64_t key = h ? h : 1;
    while (v->hc[j].hash && v->hc[j].hash != key)
        j = (j + 1) & v->hc_mask;
    return &v->hc[j];
}

static void hc_add(ap_view *v, uint64_t h, int delta)
{
    if (delta > 0 && (v->hc_used + 1) * 2 > v->hc_mask) {
        struct ap_hcount *old = v->hc;
        uint32_t n = v->hc_mask + 1;
        v->hc_mask = n * 2 - 1;
        v->hc = ap_xcalloc(n * 2, sizeof *v->hc);
        v->hc_used = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (old[i].hash && old[i].count) {
                struct ap_hcount *s = hc_slot(v, old[i].hash);
                *s = old[i];
                v->hc_used++;
            }
        }
        free(old);
    }
    struct ap_hcount *s = hc_slot(v, h);
    if (!s->hash) {
        s->hash = h ? h : 1;
        v->hc_used++;
    }
    s->count += delta;
}

uint32_t ap_view_new_count(const ap_view *v, uint64_t h)
{
    if (v->nsp == 0)
        return 0;
    return hc_slot(v, h)->count;
}

void ap_view_init(ap_view *v, ap_text *base)
{
    memset(v, 0, sizeof *v);
    v->base = ap_text_retain(base);
    hc_init(v);
}

void ap_view_release(ap_view *v)
{
    for (uint32_t i = 0; i < v->nsp; i++)
        free(v->sp[i].lines);
    free(v->sp);
    free(v->hc);
    ap_arena_release(&v->arena);
    ap_text_release(v->base);
    memset(v, 0, sizeof *v);
}

/* The index of the first splice with a >= l. */
static uint32_t lower_bound(const ap_view *v, uint32_t l)
{
    uint32_t lo = 0, hi = v->nsp;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v->sp[mid].a < l)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static ap_pos base_pos(uint32_t l)
{
    return (ap_pos){l, -1, 0};
}

ap_pos ap_view_end(const ap_view *v)
{
    return base_pos(v->base->n);
}

bool ap_view_at_end(const ap_view *v, ap_pos p)
{
    return p.sp < 0 && p.base >= v->base->n;
}

ap_pos ap_view_seek(const ap_view *v, uint32_t l)
{
    if (l > v->base->n)
        l = v->base->n;
    uint32_t s = lower_bound(v, l);
    if (s > 0 && v->sp[s - 1].b > l)
        return base_pos(v->sp[s - 1].b); /* l was deleted; b survives */
    if (s < v->nsp && v->sp[s].a == l) {
        if (v->sp[s].n > 0)
            return (ap_pos){l, (int32_t)s, 0};
        return base_pos(v->sp[s].b);
    }
    return base_pos(l);
}

bool ap_view_base_alive(const ap_view *v, uint32_t l)
{
    /* the last splice starting at or before l decides: inside [a, b) is gone */
    uint32_t s = lower_bound(v, l + 1);
    return !(s > 0 && v->sp[s - 1].a <= l && l < v->sp[s - 1].b);
}

ap_pos ap_view_begin(const ap_view *v)
{
    return ap_view_seek(v, 0);
}

ap_pos ap_view_next(const ap_view *v, ap_pos p)
{
    if (p.sp >= 0) {
        const ap_splice *s = &v->sp[p.sp];
        if (p.k + 1 < s->n)
            return (ap_pos){p.base, p.sp, p.k + 1};
        return base_pos(s->b); /* splices never touch: b survives */
    }
    if (p.base >= v->base->n)
        return p;
    return ap_view_seek(v, p.base + 1);
}

bool ap_view_prev(const ap_view *v, ap_pos p, ap_pos *out)
{
    if (p.sp >= 0) {
        if (p.k > 0) {
            *out = (ap_pos){p.base, p.sp, p.k - 1};
            return true;
        }
        uint32_t a = v->sp[p.sp].a;
        if (a == 0)
            return false;
        *out = base_pos(a - 1);
        return true;
    }
    uint32_t l = p.base;
    uint32_t s = lower_bound(v, l);
    if (s < v->nsp && v->sp[s].a == l && v->sp[s].b == l && v->sp[s].n > 0) {
        *out = (ap_pos){l, (int32_t)s, v->sp[s].n - 1};
        return true;
    }
    if (s > 0 && v->sp[s - 1].b == l) {
        const ap_splice *sp = &v->sp[s - 1];
        if (sp->n > 0) {
            *out = (ap_pos){sp->a, (int32_t)(s - 1), sp->n - 1};
            return true;
        }
        if (sp->a == 0)
            return false;
        *out = base_pos(sp->a - 1);
        return true;
    }
    if (l == 0)
        return false;
    *out = base_pos(l - 1);
    return true;
}

const ap_line *ap_view_line(const ap_view *v, ap_pos p)
{
    if (p.sp >= 0)
        return &v->sp[p.sp].lines[p.k].l;
    return &v->base->lines[p.base];
}

ap_pos ap_view_skip_blank(const ap_view *v, ap_pos p)
{
    for (;;) {
        if (ap_view_at_end(v, p))
            return p;
        if (p.sp >= 0) {
            if (!v->sp[p.sp].lines[p.k].l.blank)
                return p;
            p = ap_view_next(v, p);
            continue;
        }
        if (!v->base->lines[p.base].blank)
            return p;
        /* jump over a run of blank base lines, unless a splice starts in it */
        uint32_t m = ap_text_next_nb(v->base)[p.base];
        uint32_t s = lower_bound(v, p.base + 1);
        if (s < v->nsp && v->sp[s].a <= m)
            p = ap_view_seek(v, v->sp[s].a);
        else
            p = base_pos(m);
    }
}

/* Replaces [from, to) by lines. Both positions come from seek/next/prev, so
 * a base position never has a splice with lines standing at its own a. */
ap_pos ap_view_replace(ap_view *v, ap_pos from, ap_pos to, const ap_nline *lines, uint32_t n)
{
    uint32_t bfrom, bto, s_first, s_end; /* splices [s_first, s_end) are merged */
    const ap_nline *prefix = NULL, *suffix = NULL;
    uint32_t nprefix = 0, nsuffix = 0;

    if (from.sp >= 0) {
        s_first = (uint32_t)from.sp;
        bfrom = v->sp[s_first].a;
        prefix = v->sp[s_first].lines;
        nprefix = from.k;
    } else {
        uint32_t l = from.base;
        uint32_t s = lower_bound(v, l);
        if (s < v->nsp && v->sp[s].a == l) { /* lines inserted before l */
            s_first = s;
            bfrom = l;
            prefix = v->sp[s].lines;
            nprefix = v->sp[s].n;
        } else if (s > 0 && v->sp[s - 1].b == l) { /* a splice ends at l */
            s_first = s - 1;
            bfrom = v->sp[s - 1].a;
            prefix = v->sp[s - 1].lines;
            nprefix = v->sp[s - 1].n;
        } else {
            s_first = s;
            bfrom = l;
        }
    }
    if (to.sp >= 0) {
        s_end = (uint32_t)to.sp + 1;
        bto = v->sp[to.sp].b;
        suffix = v->sp[to.sp].lines + to.k;
        nsuffix = v->sp[to.sp].n - to.k;
    } else {
        bto = to.base;
        s_end = lower_bound(v, to.base);
        if (s_end < v->nsp && v->sp[s_end].a == to.base && v->sp[s_end].b == to.base)
            s_end++; /* only reachable for an empty insertion splice */
    }
    if (s_end < s_first)
        s_end = s_first;
    if (bto < bfrom)
        bto = bfrom;

    uint32_t total = nprefix + n + nsuffix;
    ap_nline *merged = total ? ap_xmalloc(total * sizeof *merged) : NULL;
    if (nprefix)
        memcpy(merged, prefix, nprefix * sizeof *merged);
    for (uint32_t i = 0; i < n; i++) {
        ap_nline *d = &merged[nprefix + i];
        *d = lines[i];
        d->l.s = ap_arena_copy(&v->arena, lines[i].l.s, lines[i].l.len);
    }
    if (nsuffix)
        memcpy(merged + nprefix + n, suffix, nsuffix * sizeof *merged);

    v->size_delta += (int64_t)total - ((int64_t)bto - bfrom);
    for (uint32_t s = s_first; s < s_end; s++) {
        v->size_delta += ((int64_t)v->sp[s].b - v->sp[s].a) - v->sp[s].n;
        for (uint32_t k = 0; k < v->sp[s].n; k++)
            hc_add(v, v->sp[s].lines[k].l.hash, -1);
        free(v->sp[s].lines);
    }
    for (uint32_t i = 0; i < total; i++)
        hc_add(v, merged[i].l.hash, +1);

    uint32_t keep = (total > 0 || bto > bfrom) ? 1 : 0;
    uint32_t removed = s_end - s_first;
    if (keep > removed) {
        AP_GROW(v->sp, v->nsp, v->cap);
        memmove(v->sp + s_first + 1, v->sp + s_first, (v->nsp - s_first) * sizeof *v->sp);
    } else if (keep < removed) {
        memmove(v->sp + s_first + keep, v->sp + s_end, (v->nsp - s_end) * sizeof *v->sp);
    }
    v->nsp = v->nsp + keep - removed;
    if (keep)
        v->sp[s_first] = (ap_splice){bfrom, bto, merged, total, total};
    v->changed = true;
    /* the line after the new ones: in the splice, or the base line after it */
    if (keep && nprefix + n < total)
        return (ap_pos){bfrom, (int32_t)s_first, nprefix + n};
    return ap_view_seek(v, bto);
}

ap_tspan ap_view_tspan(const ap_view *v, ap_pos from, ap_pos to)
{
    ap_tspan t = {0, 0, 0, 0, -1, -1};
    const ap_text *b = v->base;
    t.line = from.sp >= 0 ? v->sp[from.sp].a : from.base;
    t.end_line = t.line;
    ap_pos last;
    bool any = ap_pos_key(to) > ap_pos_key(from) && ap_view_prev(v, to, &last);
    if (any) {
        uint32_t e = last.sp >= 0 ? v->sp[last.sp].b : last.base + 1;
        if (e > t.end_line)
            t.end_line = e;
    }
    const ap_nline *ins = NULL;
    if (from.sp >= 0)
        ins = &v->sp[from.sp].lines[from.k];
    else if (any && last.sp >= 0)
        ins = &v->sp[last.sp].lines[last.k];
    if (ins) {
        t.inserted_change = ins->change;
        t.inserted_mod = ins->mod;
    }
    t.start = ap_text_line_start(b, t.line);
    t.end = ap_text_line_start(b, t.end_line);
    return t;
}

uint64_t ap_view_size(const ap_view *v)
{
    return (uint64_t)((int64_t)v->base->n + v->size_delta);
}
