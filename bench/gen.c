/* gen.c - the benchmark's synthetic workloads.
 *
 * The target is C-looking code: functions with a comment, a signature,
 * declarations, calls, loops and ifs. Nearly every line carries a unique
 * identifier; the rest are the lines real code repeats ("{", "}", "break;",
 * "return 0;", blank lines).
 *
 * The patch is made by simulating it: the generator keeps the text as the
 * modifications so far leave it (a line array and a count of every stripped
 * line), picks each modification against that text, applies it the way
 * ap-2.0.md says, and so knows the exact result. A snippet starts at a line
 * that is unique at that moment (so it matches once), a range ends at a
 * unique line after it, an anchor is a unique line followed closely by a
 * repeated one (the snippet: the first match after the anchor), and every
 * content line is new. */
#include "gen.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------------------- basics */

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "bench: out of memory\n");
        abort();
    }
    return p;
}

typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_adds(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    sb_add(b, tmp, n < (int)sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    size_t n = strlen(tmp);
    char *s = xrealloc(NULL, n + 1);
    memcpy(s, tmp, n + 1);
    return s;
}

/* splitmix64: small, fast and the same everywhere */
static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t below(uint64_t *s, uint32_t n)
{
    return n ? (uint32_t)(rnd(s) % n) : 0;
}

/* ------------------------------------------------ stripped-line counts */

typedef struct slot {
    char *key; /* stripped text (owned), NULL when empty */
    size_t len;
    uint64_t hash;
    uint32_t count;
} slot;

typedef struct counts {
    slot *t;
    size_t cap, used;
} counts;

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

static slot *lookup(counts *c, const char *s, size_t n, bool add)
{
    if (add && (c->used + 1) * 2 > c->cap) {
        counts g = {xrealloc(NULL, (c->cap ? c->cap * 2 : 1024) * sizeof(slot)),
                    c->cap ? c->cap * 2 : 1024, 0};
        memset(g.t, 0, g.cap * sizeof(slot));
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
    c->t[j].key = xrealloc(NULL, n + 1);
    memcpy(c->t[j].key, s, n);
    c->t[j].key[n] = '\0';
    c->t[j].len = n;
    c->t[j].hash = h;
    c->t[j].count = 0;
    c->used++;
    return &c->t[j];
}

static uint32_t count_of(counts *c, const char *line)
{
    size_t off, len;
    strip(line, &off, &len);
    slot *s = lookup(c, line + off, len, false);
    return s ? s->count : 0;
}

static void count_add(counts *c, const char *line, int delta)
{
    size_t off, len;
    strip(line, &off, &len);
    if (len == 0)
        return; /* blank lines are never searched for */
    slot *s = lookup(c, line + off, len, true);
    s->count = (uint32_t)((int)s->count + delta);
}

/* ------------------------------------------------------ the line array */

typedef struct text {
    char **v;
    size_t n, cap;
    counts c;
} text;

static bool blank(const char *s)
{
    size_t off, len;
    strip(s, &off, &len);
    return len == 0;
}

/* Inserts lines[0..k) (taken over) at i. */
static void insert_lines(text *t, size_t i, char **lines, size_t k)
{
    if (t->n + k > t->cap) {
        t->cap = (t->n + k) * 2;
        t->v = xrealloc(t->v, t->cap * sizeof *t->v);
    }
    memmove(t->v + i + k, t->v + i, (t->n - i) * sizeof *t->v);
    for (size_t j = 0; j < k; j++) {
        t->v[i + j] = lines[j];
        count_add(&t->c, lines[j], +1);
    }
    t->n += k;
}

static void erase_lines(text *t, size_t i, size_t k)
{
    for (size_t j = i; j < i + k; j++) {
        count_add(&t->c, t->v[j], -1);
        free(t->v[j]);
    }
    memmove(t->v + i, t->v + i + k, (t->n - i - k) * sizeof *t->v);
    t->n -= k;
}

static void push(text *t, char *line)
{
    insert_lines(t, t->n, &line, 1);
}

static char *join(const text *t, size_t *len)
{
    sbuf b = {0};
    sb_add(&b, "", 0);
    for (size_t i = 0; i < t->n; i++) {
        sb_adds(&b, t->v[i]);
        sb_add(&b, "\n", 1);
    }
    *len = b.len;
    return b.s;
}

/* ------------------------------------------------------------ the code */

static const char *const verbs[] = {"compute", "update", "resolve", "merge", "scan",
                                    "emit", "flush", "parse", "check", "load"};
static const char *const nouns[] = {"buffer", "index", "state", "entry", "table",
                                    "frame", "token", "record", "cursor", "header"};
static const char *const types[] = {"int", "long", "size_t", "double", "uint32_t", "unsigned"};
#define PICK(arr) arr[below(rs, sizeof arr / sizeof *arr)]

typedef struct gen {
    uint64_t rs;
    uint32_t uid; /* makes lines unique */
    text t;
} gen;

static void gen_function(gen *g)
{
    uint64_t *rs = &g->rs;
    text *t = &g->t;
    uint32_t id = g->uid++;
    const char *verb = PICK(verbs), *noun = PICK(nouns);
    push(t, xprintf("/* %s_%s_%u: %s the %s of a context (%u) */", verb, noun, id, verb, noun,
                    below(rs, 1000)));
    push(t, xprintf("static int %s_%s_%u(struct ctx *ctx, %s a%u, int flags_%u)", verb, noun, id,
                    PICK(types), id, id));
    push(t, xprintf("{"));
    uint32_t n = 3 + below(rs, 14);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t u = g->uid++;
        switch (below(rs, 9)) {
        case 0:
        case 1:
            push(t, xprintf("    %s v%u = a%u * %u + ctx->%s_%u;", PICK(types), u, id,
                            below(rs, 100), PICK(nouns), u));
            break;
        case 2:
            push(t, xprintf("    %s_%s(ctx, v%u, %u);", PICK(verbs), PICK(nouns), u, below(rs, 64)));
            break;
        case 3:
            push(t, xprintf("    if (ctx->%s_%u > %u) {", PICK(nouns), u, below(rs, 500)));
            push(t, xprintf("        ctx->total_%u = %s_%s(ctx, %u);", u, PICK(verbs), PICK(nouns),
                            below(rs, 9)));
            push(t, xprintf("    }"));
            break;
        case 4:
            push(t, xprintf("    for (size_t i = 0; i < ctx->count_%u; i++) {", u));
            push(t, xprintf("        sum_%u += table_%u[i] ^ %uu;", u, u, below(rs, 256)));
            push(t, xprintf("        if (sum_%u > LIMIT_%u)", u, below(rs, 16)));
            push(t, xprintf("            break;"));
            push(t, xprintf("    }"));
            break;
        case 5:
            push(t, xprintf("%s", ""));
            break;
        case 6:
            push(t, xprintf("    /* %s the %s before step %u */", PICK(verbs), PICK(nouns), u));
            break;
        case 7:
            push(t, xprintf("    if (!ctx->%s_%u)", PICK(nouns), u));
            push(t, xprintf("        return 0;"));
            break;
        default:
            push(t, xprintf("    ctx->%s_%u += flags_%u & 0x%x;", PICK(nouns), u, id, below(rs, 255)));
            break;
        }
    }
    if (below(rs, 4))
        push(t, xprintf("    return 0;"));
    else
        push(t, xprintf("    return (int)a%u;", id));
    push(t, xprintf("}"));
    push(t, xprintf("%s", ""));
}

/* New content: 1-5 lines, the first one least indented. */
static size_t gen_content(gen *g, char **out)
{
    uint64_t *rs = &g->rs;
    size_t k = 0;
    uint32_t u = g->uid++;
    uint32_t want = 1 + below(rs, 5);
    out[k++] = xprintf("%s_patched_%u(ctx, %u);", PICK(verbs), u, below(rs, 1000));
    if (want >= 3 && below(rs, 2)) {
        out[k++] = xprintf("if (ctx->flag_%u) {", u);
        out[k++] = xprintf("    ctx->value_%u = %u;", u, below(rs, 1000));
        if (want >= 4)
            out[k++] = xprintf("    log_change(ctx, \"patched %u\");", u);
        out[k++] = xprintf("}");
    } else {
        while (k < want) {
            out[k] = xprintf("patched_value_%u_%zu = %u;", u, k, below(rs, 1000));
            k++;
        }
    }
    return k;
}

/* ------------------------------------------------------------ the patch */

static size_t indent_of(const char *s)
{
    size_t i = 0;
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    return i;
}

/* "        key: |\n" and the lines, dedented, as a literal block */
static void put_block(sbuf *p, const char *key, char **lines, size_t k)
{
    size_t min = (size_t)-1;
    for (size_t i = 0; i < k; i++)
        if (!blank(lines[i]) && indent_of(lines[i]) < min)
            min = indent_of(lines[i]);
    if (min == (size_t)-1)
        min = 0;
    /* a first line deeper than the rest needs an indentation indicator */
    bool indicator = k > 0 && indent_of(lines[0]) > min;
    sb_printf(p, "        %s: |%s\n", key, indicator ? "2" : "");
    for (size_t i = 0; i < k; i++) {
        if (blank(lines[i])) {
            sb_adds(p, "\n");
            continue;
        }
        sb_adds(p, "          ");
        sb_adds(p, lines[i] + min);
        sb_adds(p, "\n");
    }
}

/* A random non-blank line that is unique now, or -1. */
static long unique_line(gen *g, size_t from, size_t to)
{
    if (to <= from)
        return -1;
    for (int tries = 0; tries < 200; tries++) {
        size_t i = from + below(&g->rs, (uint32_t)(to - from));
        if (!blank(g->t.v[i]) && count_of(&g->t.c, g->t.v[i]) == 1)
            return (long)i;
    }
    for (size_t i = from; i < to; i++)
        if (!blank(g->t.v[i]) && count_of(&g->t.c, g->t.v[i]) == 1)
            return (long)i;
    return -1;
}

/* The window of `want` non-blank lines from i (blank lines inside are
 * part of it): its last line. */
static size_t window_end(gen *g, size_t i, uint32_t want)
{
    size_t end = i, taken = 1;
    for (size_t p = i + 1; taken < want && p < g->t.n && p - i < want + 3; p++) {
        if (!blank(g->t.v[p])) {
            end = p;
            taken++;
        }
    }
    return end;
}

/* Content lines with the region's indentation in front, as the engine
 * writes them. */
static void indent_lines(char **lines, size_t k, const char *like)
{
    size_t ind = indent_of(like);
    for (size_t i = 0; i < k; i++) {
        char *s = xprintf("%.*s%s", (int)ind, like, lines[i]);
        free(lines[i]);
        lines[i] = s;
    }
}

static void free_lines(char **lines, size_t k)
{
    for (size_t i = 0; i < k; i++)
        free(lines[i]);
}

static const char *const action_of[GEN_KINDS] = {
    [GEN_REPLACE] = "REPLACE",          [GEN_INSERT_AFTER] = "INSERT_AFTER",
    [GEN_INSERT_BEFORE] = "INSERT_BEFORE", [GEN_DELETE] = "DELETE",
    [GEN_REPLACE_RANGE] = "REPLACE",    [GEN_DELETE_RANGE] = "DELETE",
};

/* Picks, writes and applies one modification; false when the text offers
 * no place for this kind (the caller picks another). */
static bool gen_mod(gen *g, sbuf *p, int kind)
{
    text *t = &g->t;
    uint64_t *rs = &g->rs;
    char *content[8];
    size_t nc = 0;

    if (kind == GEN_ANCHORED) {
        /* anchor: a unique line; snippet: the first repeated line after it */
        long a = unique_line(g, 0, t->n > 1 ? t->n - 1 : 0);
        if (a < 0)
            return false;
        size_t r = (size_t)a + 1;
        while (r < t->n && r < (size_t)a + 30 && (blank(t->v[r]) || count_of(&t->c, t->v[r]) < 2))
            r++;
        if (r >= t->n || r >= (size_t)a + 30)
            return false;
        size_t e = window_end(g, r, 1 + below(rs, 2));
        static const char *const acts[] = {"REPLACE", "INSERT_AFTER", "INSERT_BEFORE", "DELETE"};
        int act = (int)below(rs, 4);
        sb_printf(p, "      - action: %s\n", acts[act]);
        put_block(p, "anchor", &t->v[a], 1);
        put_block(p, "snippet", &t->v[r], e - r + 1);
        if (act != 3) {
            nc = gen_content(g, content);
            put_block(p, "content", content, nc);
            indent_lines(content, nc, t->v[r]);
        }
        if (act == 0 || act == 3)
            erase_lines(t, r, e - r + 1);
        if (act == 0)
            insert_lines(t, r, content, nc);
        else if (act == 1)
            insert_lines(t, e + 1, content, nc);
        else if (act == 2)
            insert_lines(t, r, content, nc);
        return true;
    }

    long s = unique_line(g, 0, t->n);
    if (s < 0)
        return false;
    size_t e = window_end(g, (size_t)s, 1 + below(rs, kind >= GEN_REPLACE_RANGE ? 2 : 5));
    size_t last = e;
    size_t end_s = 0, end_e = 0;
    if (kind == GEN_REPLACE_RANGE || kind == GEN_DELETE_RANGE) {
        size_t from = e + 2, to = e + 15 < t->n ? e + 15 : t->n;
        long j = unique_line(g, from, to);
        if (j < 0)
            return false;
        end_s = (size_t)j;
        end_e = window_end(g, end_s, 1 + below(rs, 2));
        last = end_e;
    }
    bool trail = kind == GEN_DELETE && below(rs, 3) == 0;
    sb_printf(p, "      - action: %s\n", action_of[kind]);
    if (kind == GEN_REPLACE_RANGE || kind == GEN_DELETE_RANGE) {
        put_block(p, "start_snippet", &t->v[s], e - (size_t)s + 1);
        put_block(p, "end_snippet", &t->v[end_s], end_e - end_s + 1);
    } else {
        put_block(p, "snippet", &t->v[s], e - (size_t)s + 1);
    }
    if (kind != GEN_DELETE && kind != GEN_DELETE_RANGE) {
        nc = gen_content(g, content);
        put_block(p, "content", content, nc);
        indent_lines(content, nc, t->v[s]);
    }
    if (trail) {
        sb_adds(p, "        include_trailing_blank_lines: 1\n");
        if (last + 1 < t->n && blank(t->v[last + 1]))
            last++;
    }
    switch (kind) {
    case GEN_REPLACE:
    case GEN_REPLACE_RANGE:
        erase_lines(t, (size_t)s, last - (size_t)s + 1);
        insert_lines(t, (size_t)s, content, nc);
        break;
    case GEN_DELETE:
    case GEN_DELETE_RANGE:
        erase_lines(t, (size_t)s, last - (size_t)s + 1);
        break;
    case GEN_INSERT_AFTER:
        insert_lines(t, e + 1, content, nc);
        break;
    case GEN_INSERT_BEFORE:
        insert_lines(t, (size_t)s, content, nc);
        break;
    default:
        free_lines(content, nc);
        break;
    }
    return true;
}

void bench_gen(bench_case *bc, uint32_t lines, uint32_t mods, uint64_t seed)
{
    memset(bc, 0, sizeof *bc);
    gen g;
    memset(&g, 0, sizeof g);
    g.rs = seed ^ ((uint64_t)lines << 32) ^ mods;
    while (g.t.n < lines)
        gen_function(&g);
    if (g.t.n > lines)
        erase_lines(&g.t, lines, g.t.n - lines);
    bc->target_lines = lines;
    bc->target = join(&g.t, &bc->target_len);

    sbuf p = {0};
    sb_printf(&p, "# Summary: a synthetic patch of %u modifications over %u lines.\n", mods, lines);
    sb_adds(&p, "#\n# Plan:\n#   1. Exercise every action, ranges and anchors.\n");
    sb_adds(&p, "version: \"2.0\"\nchanges:\n  - file_path: \"" BENCH_FILE_PATH "\"\n");
    sb_adds(&p, "    modifications:\n");
    /* REPLACE 25%, INSERT_AFTER 15%, INSERT_BEFORE 15%, DELETE 10%,
     * REPLACE range 10%, DELETE range 5%, anchored 20% */
    static const int mix[20] = {GEN_REPLACE,       GEN_REPLACE,       GEN_REPLACE,
                                GEN_REPLACE,       GEN_REPLACE,       GEN_INSERT_AFTER,
                                GEN_INSERT_AFTER,  GEN_INSERT_AFTER,  GEN_INSERT_BEFORE,
                                GEN_INSERT_BEFORE, GEN_INSERT_BEFORE, GEN_DELETE,
                                GEN_DELETE,        GEN_REPLACE_RANGE, GEN_REPLACE_RANGE,
                                GEN_DELETE_RANGE,  GEN_ANCHORED,      GEN_ANCHORED,
                                GEN_ANCHORED,      GEN_ANCHORED};
    for (uint32_t m = 0; m < mods; m++) {
        int kind = mix[below(&g.rs, 20)];
        /* keep a small file from shrinking away */
        if (g.t.n < 40 && (kind == GEN_DELETE || kind == GEN_DELETE_RANGE))
            kind = GEN_INSERT_AFTER;
        int tries = 0;
        while (!gen_mod(&g, &p, kind)) {
            kind = tries++ < 5 ? mix[below(&g.rs, 20)] : GEN_INSERT_BEFORE;
            if (tries > 50) {
                fprintf(stderr, "bench: no place for modification %u\n", m);
                abort();
            }
        }
        bc->kinds[kind]++;
    }
    bc->n_mods = mods;
    bc->patch = p.s;
    bc->patch_len = p.len;
    bc->expected = join(&g.t, &bc->expected_len);

    for (size_t i = 0; i < g.t.n; i++)
        free(g.t.v[i]);
    free(g.t.v);
    for (size_t i = 0; i < g.t.c.cap; i++)
        free(g.t.c.t[i].key);
    free(g.t.c.t);
}

void bench_case_free(bench_case *bc)
{
    free(bc->target);
    free(bc->patch);
    free(bc->expected);
    memset(bc, 0, sizeof *bc);
}
