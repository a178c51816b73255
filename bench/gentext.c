/* gentext.c - the synthetic C text the generators share (see gentext.h). */
#include "gentext.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------------------- basics */

void *gt_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "bench: out of memory\n");
        abort();
    }
    return p;
}

void gt_add(gt_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = gt_xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void gt_adds(gt_buf *b, const char *s)
{
    gt_add(b, s, strlen(s));
}

void gt_addf(gt_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    gt_add(b, tmp, n < (int)sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

char *gt_xprintf(const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    size_t n = strlen(tmp);
    char *s = gt_xrealloc(NULL, n + 1);
    memcpy(s, tmp, n + 1);
    return s;
}

uint64_t gt_rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t gt_below(uint64_t *s, uint32_t n)
{
    return n ? (uint32_t)(gt_rnd(s) % n) : 0;
}

/* ------------------------------------------------ stripped-line counts */

static void strip(const char *s, size_t *off, size_t *len)
{
    size_t n = strlen(s), a = 0;
    while (a < n && (s[a] == ' ' || s[a] == '\t'))
        a++;
    while (n > a && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *off = a;
    *len = n - a;
}

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h;
}

static gt_slot *lookup(gt_counts *c, const char *s, size_t n, bool add)
{
    if (add && (c->used + 1) * 2 > c->cap) {
        gt_counts g = {gt_xrealloc(NULL, (c->cap ? c->cap * 2 : 1024) * sizeof(gt_slot)),
                       c->cap ? c->cap * 2 : 1024, 0};
        memset(g.t, 0, g.cap * sizeof(gt_slot));
        for (size_t i = 0; i < c->cap; i++) {
            if (!c->t[i].key)
                continue;
            size_t j = c->t[i].hash & (g.cap - 1);
            while (g.t[j].key)
                j = (j + 1) & (g.cap - 1);
            g.t[j] = c->t[i];
            g.used++;
        }
        free(c->t);
        *c = g;
    }
    if (!c->cap)
        return NULL;
    uint64_t h = hash(s, n);
    size_t j = h & (c->cap - 1);
    while (c->t[j].key) {
        if (c->t[j].hash == h && c->t[j].len == n && memcmp(c->t[j].key, s, n) == 0)
            return &c->t[j];
        j = (j + 1) & (c->cap - 1);
    }
    if (!add)
        return NULL;
    c->t[j].key = gt_xrealloc(NULL, n + 1);
    memcpy(c->t[j].key, s, n);
    c->t[j].key[n] = '\0';
    c->t[j].len = n;
    c->t[j].hash = h;
    c->t[j].count = 0;
    c->used++;
    return &c->t[j];
}

uint32_t gt_count_of(gt_text *t, const char *line)
{
    size_t off, len;
    strip(line, &off, &len);
    gt_slot *s = lookup(&t->c, line + off, len, false);
    return s ? s->count : 0;
}

static void count_add(gt_counts *c, const char *line, int delta)
{
    size_t off, len;
    strip(line, &off, &len);
    if (len == 0)
        return; /* blank lines are never searched for */
    gt_slot *s = lookup(c, line + off, len, true);
    s->count = (uint32_t)((int)s->count + delta);
}

/* ------------------------------------------------------ the line array */

bool gt_blank(const char *s)
{
    size_t off, len;
    strip(s, &off, &len);
    return len == 0;
}

size_t gt_indent_of(const char *s)
{
    size_t i = 0;
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    return i;
}

void gt_insert(gt_text *t, size_t i, char **lines, size_t k)
{
    if (t->n + k > t->cap) {
        t->cap = (t->n + k) * 2;
        t->v = gt_xrealloc(t->v, t->cap * sizeof *t->v);
    }
    memmove(t->v + i + k, t->v + i, (t->n - i) * sizeof *t->v);
    for (size_t j = 0; j < k; j++) {
        t->v[i + j] = lines[j];
        count_add(&t->c, lines[j], +1);
    }
    t->n += k;
}

void gt_erase(gt_text *t, size_t i, size_t k)
{
    for (size_t j = i; j < i + k; j++) {
        count_add(&t->c, t->v[j], -1);
        free(t->v[j]);
    }
    memmove(t->v + i, t->v + i + k, (t->n - i - k) * sizeof *t->v);
    t->n -= k;
}

void gt_push(gt_text *t, char *line)
{
    gt_insert(t, t->n, &line, 1);
}

char *gt_join(const gt_text *t, size_t *len)
{
    gt_buf b = {0};
    gt_add(&b, "", 0);
    for (size_t i = 0; i < t->n; i++) {
        gt_adds(&b, t->v[i]);
        gt_add(&b, "\n", 1);
    }
    *len = b.len;
    return b.s;
}

void gt_text_free(gt_text *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i]);
    free(t->v);
    for (size_t i = 0; i < t->c.cap; i++)
        free(t->c.t[i].key);
    free(t->c.t);
    memset(t, 0, sizeof *t);
}

/* ------------------------------------------------------------ the code */

static const char *const verbs[] = {"compute", "update", "resolve", "merge", "scan",
                                    "emit", "flush", "parse", "check", "load"};
static const char *const nouns[] = {"buffer", "index", "state", "entry", "table",
                                    "frame", "token", "record", "cursor", "header"};
static const char *const types[] = {"int", "long", "size_t", "double", "uint32_t", "unsigned"};
#define PICK(arr) arr[gt_below(rs, sizeof arr / sizeof *arr)]

void gt_function(gt_gen *g)
{
    uint64_t *rs = &g->rs;
    gt_text *t = &g->t;
    uint32_t id = g->uid++;
    const char *verb = PICK(verbs), *noun = PICK(nouns);
    gt_push(t, gt_xprintf("/* %s_%s_%u: %s the %s of a context (%u) */", verb, noun, id, verb, noun,
                          gt_below(rs, 1000)));
    gt_push(t, gt_xprintf("static int %s_%s_%u(struct ctx *ctx, %s a%u, int flags_%u)", verb, noun, id,
                          PICK(types), id, id));
    gt_push(t, gt_xprintf("{"));
    uint32_t n = 3 + gt_below(rs, 14);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t u = g->uid++;
        switch (gt_below(rs, 9)) {
        case 0:
        case 1:
            gt_push(t, gt_xprintf("    %s v%u = a%u * %u + ctx->%s_%u;", PICK(types), u, id,
                                  gt_below(rs, 100), PICK(nouns), u));
            break;
        case 2:
            gt_push(t, gt_xprintf("    %s_%s(ctx, v%u, %u);", PICK(verbs), PICK(nouns), u,
                                  gt_below(rs, 64)));
            break;
        case 3:
            gt_push(t, gt_xprintf("    if (ctx->%s_%u > %u) {", PICK(nouns), u, gt_below(rs, 500)));
            gt_push(t, gt_xprintf("        ctx->total_%u = %s_%s(ctx, %u);", u, PICK(verbs),
                                  PICK(nouns), gt_below(rs, 9)));
            gt_push(t, gt_xprintf("    }"));
            break;
        case 4:
            gt_push(t, gt_xprintf("    for (size_t i = 0; i < ctx->count_%u; i++) {", u));
            gt_push(t, gt_xprintf("        sum_%u += table_%u[i] ^ %uu;", u, u, gt_below(rs, 256)));
            gt_push(t, gt_xprintf("        if (sum_%u > LIMIT_%u)", u, gt_below(rs, 16)));
            gt_push(t, gt_xprintf("            break;"));
            gt_push(t, gt_xprintf("    }"));
            break;
        case 5:
            gt_push(t, gt_xprintf("%s", ""));
            break;
        case 6:
            gt_push(t, gt_xprintf("    /* %s the %s before step %u */", PICK(verbs), PICK(nouns), u));
            break;
        case 7:
            gt_push(t, gt_xprintf("    if (!ctx->%s_%u)", PICK(nouns), u));
            gt_push(t, gt_xprintf("        return 0;"));
            break;
        default:
            gt_push(t, gt_xprintf("    ctx->%s_%u += flags_%u & 0x%x;", PICK(nouns), u, id,
                                  gt_below(rs, 255)));
            break;
        }
    }
    if (gt_below(rs, 4))
        gt_push(t, gt_xprintf("    return 0;"));
    else
        gt_push(t, gt_xprintf("    return (int)a%u;", id));
    gt_push(t, gt_xprintf("}"));
    gt_push(t, gt_xprintf("%s", ""));
}

size_t gt_content(gt_gen *g, char **out)
{
    uint64_t *rs = &g->rs;
    size_t k = 0;
    uint32_t u = g->uid++;
    uint32_t want = 1 + gt_below(rs, 5);
    out[k++] = gt_xprintf("%s_patched_%u(ctx, %u);", PICK(verbs), u, gt_below(rs, 1000));
    if (want >= 3 && gt_below(rs, 2)) {
        out[k++] = gt_xprintf("if (ctx->flag_%u) {", u);
        out[k++] = gt_xprintf("    ctx->value_%u = %u;", u, gt_below(rs, 1000));
        if (want >= 4)
            out[k++] = gt_xprintf("    log_change(ctx, \"patched %u\");", u);
        out[k++] = gt_xprintf("}");
    } else {
        while (k < want) {
            out[k] = gt_xprintf("patched_value_%u_%zu = %u;", u, k, gt_below(rs, 1000));
            k++;
        }
    }
    return k;
}

/* ------------------------------------------------------ picking places */

long gt_unique_line(gt_gen *g, size_t from, size_t to)
{
    if (to <= from)
        return -1;
    for (int tries = 0; tries < 200; tries++) {
        size_t i = from + gt_below(&g->rs, (uint32_t)(to - from));
        if (!gt_blank(g->t.v[i]) && gt_count_of(&g->t, g->t.v[i]) == 1)
            return (long)i;
    }
    for (size_t i = from; i < to; i++)
        if (!gt_blank(g->t.v[i]) && gt_count_of(&g->t, g->t.v[i]) == 1)
            return (long)i;
    return -1;
}

size_t gt_window_end(gt_gen *g, size_t i, uint32_t want)
{
    size_t end = i, taken = 1;
    for (size_t p = i + 1; taken < want && p < g->t.n && p - i < want + 3; p++) {
        if (!gt_blank(g->t.v[p])) {
            end = p;
            taken++;
        }
    }
    return end;
}

void gt_indent_lines(char **lines, size_t k, const char *like)
{
    size_t ind = gt_indent_of(like);
    for (size_t i = 0; i < k; i++) {
        char *s = gt_xprintf("%.*s%s", (int)ind, like, lines[i]);
        free(lines[i]);
        lines[i] = s;
    }
}

void gt_free_lines(char **lines, size_t k)
{
    for (size_t i = 0; i < k; i++)
        free(lines[i]);
}

void gt_yaml_block(gt_buf *p, const char *key, char **lines, size_t k)
{
    size_t min = (size_t)-1;
    for (size_t i = 0; i < k; i++)
        if (!gt_blank(lines[i]) && gt_indent_of(lines[i]) < min)
            min = gt_indent_of(lines[i]);
    if (min == (size_t)-1)
        min = 0;
    /* a first line deeper than the rest needs an indentation indicator */
    bool indicator = k > 0 && gt_indent_of(lines[0]) > min;
    gt_addf(p, "        %s: |%s\n", key, indicator ? "2" : "");
    for (size_t i = 0; i < k; i++) {
        if (gt_blank(lines[i])) {
            gt_adds(p, "\n");
            continue;
        }
        gt_adds(p, "          ");
        gt_adds(p, lines[i] + min);
        gt_adds(p, "\n");
    }
}
