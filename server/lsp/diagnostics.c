/* diagnostics.c - an analysis as textDocument/publishDiagnostics.
 *
 * Every problem of the parse and of the run, on the patch text at fault;
 * related places in the target files; a hint tagged Unnecessary over each
 * modification recognised as applied. Sent only when different from what
 * the client already has. */
#include "server.h"

#include "alloc.h"
#include "lsptypes.h"
#include "uri.h"

#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *apls_json_text(const char *s)
{
    json_t *j = json_string(s ? s : "");
    if (j)
        return j;
    size_t n;
    char *ok = lsp_utf8_sanitize(s, strlen(s), &n);
    j = json_stringn(ok, n);
    free(ok);
    return j ? j : json_string("");
}

static json_t *related(const apls_patch *p, const ap_problem *pr)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < pr->n_related; i++) {
        const ap_related *r = &pr->related[i];
        json_t *loc = r->file >= 0 ? apls_target_location(p, r->file, r->where)
                                   : json_pack("{s:s,s:o}", "uri", p->uri, "range",
                                               apls_patch_range(p, r->span));
        if (!loc)
            continue;
        json_array_append_new(arr, json_pack("{s:o,s:o}", "location", loc, "message", apls_json_text(r->message)));
    }
    return arr;
}

static json_t *diagnostic(const apls_patch *p, const ap_problem *pr)
{
    json_t *d = json_pack("{s:o,s:i,s:s,s:s,s:o}", "range", apls_patch_range(p, pr->span), "severity",
                          (int)pr->severity, "code", ap_code_name(pr->code), "source", "apls",
                          "message", apls_json_text(pr->message));
    if (pr->n_related)
        json_object_set_new(d, "relatedInformation", related(p, pr));
    return d;
}

/* ------------------------------------------------ the serialised diagnostics
 *
 * A keystroke changes one or two diagnostics of a patch that has hundreds: the
 * others are the same, at most moved by the lines the edit added or removed.
 * Each diagnostic's JSON text after its range is kept under what it is made
 * of (its severity, code and message, the ranges and messages of its related
 * places in the patch), so a publication writes each range and the kept text
 * after it, and builds only the new ones. A diagnostic with related places
 * in a target is built each time (its key would be the target's text).
 * Entries not used by a publication are dropped after it. The text is
 * jansson's, so the array is byte for byte what serialising it whole gave. */

typedef struct diag_entry {
    uint64_t hash;
    char *key, *json;      /* NULL key: a free slot; json: the text after the range */
    size_t key_len, json_len;
    unsigned gen;          /* the publication that last used it */
} diag_entry;

struct apls_diag_cache {
    diag_entry *slots;
    size_t mask, used;
    unsigned gen;
};

typedef struct out_buf {
    char *s;
    size_t n, cap;
} out_buf;

static void out_add(out_buf *b, const void *data, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = lsp_xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, data, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void out_u32(out_buf *b, uint32_t v)
{
    out_add(b, &v, sizeof v);
}

static void out_str(out_buf *b, const char *s)
{
    size_t n = s ? strlen(s) + 1 : 0;
    out_u32(b, (uint32_t)n);
    if (s)
        out_add(b, s, n);
}

static void out_range(out_buf *b, const apls_patch *p, ap_span sp)
{
    lsp_position a = apls_patch_pos(p, sp.start), e = apls_patch_pos(p, sp.end);
    out_u32(b, a.line);
    out_u32(b, a.character);
    out_u32(b, e.line);
    out_u32(b, e.character);
}

void apls_diag_cache_free(struct apls_diag_cache *dc)
{
    if (!dc)
        return;
    for (size_t i = 0; dc->slots && i <= dc->mask; i++) {
        free(dc->slots[i].key);
        free(dc->slots[i].json);
    }
    free(dc->slots);
    free(dc);
}

static diag_entry *cache_at(struct apls_diag_cache *dc, const out_buf *key, uint64_t h)
{
    size_t j = (size_t)h & dc->mask;
    for (;;) {
        diag_entry *e = &dc->slots[j];
        if (!e->key || (e->hash == h && e->key_len == key->n && memcmp(e->key, key->s, key->n) == 0))
            return e;
        j = (j + 1) & dc->mask;
    }
}

/* Makes room for one more entry (at most half full). */
static void cache_grow(struct apls_diag_cache *dc)
{
    if (dc->slots && 2 * (dc->used + 1) <= dc->mask + 1)
        return;
    size_t size = dc->slots ? (dc->mask + 1) * 2 : 256;
    diag_entry *old = dc->slots;
    size_t old_size = dc->slots ? dc->mask + 1 : 0;
    dc->slots = lsp_xcalloc(size, sizeof *dc->slots);
    dc->mask = size - 1;
    for (size_t i = 0; i < old_size; i++) {
        if (!old[i].key)
            continue;
        size_t j = (size_t)old[i].hash & dc->mask;
        while (dc->slots[j].key)
            j = (j + 1) & dc->mask;
        dc->slots[j] = old[i];
    }
    free(old);
}

/* Drops the entries the last publication did not use (rebuilding the table:
 * open addressing cannot just empty a slot). */
static void cache_sweep(struct apls_diag_cache *dc)
{
    size_t size = dc->mask + 1, kept = 0;
    for (size_t i = 0; i < size; i++)
        kept += dc->slots[i].key && dc->slots[i].gen == dc->gen;
    if (kept == dc->used)
        return;
    diag_entry *old = dc->slots;
    size_t new_size = 256;
    while (new_size < 2 * (kept + 1))
        new_size *= 2;
    dc->slots = lsp_xcalloc(new_size, sizeof *dc->slots);
    dc->mask = new_size - 1;
    dc->used = 0;
    for (size_t i = 0; i < size; i++) {
        if (!old[i].key)
            continue;
        if (old[i].gen != dc->gen) {
            free(old[i].key);
            free(old[i].json);
            continue;
        }
        size_t j = (size_t)old[i].hash & dc->mask;
        while (dc->slots[j].key)
            j = (j + 1) & dc->mask;
        dc->slots[j] = old[i];
        dc->used++;
    }
    free(old);
}

typedef struct builder {
    apls_patch *p;
    out_buf arr, key;
    size_t count, kept;
} builder;

/* Appends a diagnostic's text (taken). */
static void put_text(builder *b, char *text)
{
    if (b->count++)
        out_add(&b->arr, ",", 1);
    out_add(&b->arr, text, strlen(text));
    free(text);
}

/* Appends a diagnostic that is built each time (related places in targets). */
static void put_built(builder *b, json_t *d)
{
    char *text = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    if (!text)
        lsp_oom(0);
    put_text(b, text);
}

/* The range of sp as jansson writes lsp_range_to_json compactly. */
static void out_range_json(out_buf *b, const apls_patch *p, ap_span sp)
{
    lsp_position a = apls_patch_pos(p, sp.start), e = apls_patch_pos(p, sp.end);
    char tmp[160];
    int n = snprintf(tmp, sizeof tmp, "{\"start\":{\"line\":%u,\"character\":%u},\"end\":{\"line\":%u,\"character\":%u}}",
                     a.line, a.character, e.line, e.character);
    out_add(b, tmp, (size_t)n);
}

/* Appends the diagnostic of key (its inputs but its range) at span to the
 * array: the range and the kept text after it, or make() built and kept. */
static void put(builder *b, ap_span span, json_t *(*make)(const apls_patch *, const void *), const void *what)
{
    struct apls_diag_cache *dc = b->p->diags;
    uint64_t h = ap_hash(b->key.s, b->key.n);
    diag_entry *e = cache_at(dc, &b->key, h);
    if (e->key) {
        b->kept++;
    } else {
        json_t *d = make(b->p, what);
        char *text = json_dumps(d, JSON_COMPACT);
        json_decref(d);
        if (!text)
            lsp_oom(0);
        /* {"range":{"start":{...},"end":{...}},... : the rest after the first "}}" */
        const char *rest = strstr(text, "}}");
        if (strncmp(text, "{\"range\":", 9) != 0 || !rest) {
            put_text(b, text); /* (not the shape expected: not kept) */
            return;
        }
        rest += 2;
        cache_grow(dc);
        e = cache_at(dc, &b->key, h);
        e->hash = h;
        e->key = lsp_xmemdup(b->key.s, b->key.n);
        e->key_len = b->key.n;
        e->json_len = strlen(rest);
        e->json = lsp_xmemdup(rest, e->json_len + 1);
        free(text);
        dc->used++;
    }
    e->gen = dc->gen;
    if (b->count++)
        out_add(&b->arr, ",", 1);
    out_add(&b->arr, "{\"range\":", 9);
    out_range_json(&b->arr, b->p, span);
    out_add(&b->arr, e->json, e->json_len);
}

static json_t *make_problem(const apls_patch *p, const void *what)
{
    return diagnostic(p, what);
}

static void put_problem(builder *b, const ap_problem *pr)
{
    for (size_t i = 0; i < pr->n_related; i++)
        if (pr->related[i].file >= 0) {
            put_built(b, diagnostic(b->p, pr));
            return;
        }
    b->key.n = 0;
    out_add(&b->key, "P", 1);
    out_u32(&b->key, (uint32_t)pr->severity);
    out_u32(&b->key, (uint32_t)pr->code);
    out_str(&b->key, pr->message);
    out_u32(&b->key, (uint32_t)pr->n_related);
    for (size_t i = 0; i < pr->n_related; i++) {
        out_range(&b->key, b->p, pr->related[i].span);
        out_str(&b->key, pr->related[i].message);
    }
    put(b, pr->span, make_problem, pr);
}

typedef struct hint {
    ap_span span;
    const char *keyword, *why;
} hint;

static json_t *make_hint(const apls_patch *p, const void *what)
{
    const hint *h = what;
    json_t *d = json_pack("{s:o,s:i,s:s,s:s,s:s,s:[i]}", "range", apls_patch_range(p, h->span), "severity", 4,
                          "code", "ALREADY_APPLIED", "source", "apls", "message", "", "tags", 1);
    char *msg = lsp_xasprintf("%s already applied: %s", h->keyword, h->why ? h->why : "nothing to change");
    json_object_set_new(d, "message", apls_json_text(msg));
    free(msg);
    return d;
}

/* The diagnostics of p's analysis as a JSON array's text (caller frees);
 * *count of them, *kept taken from the cache. */
static char *build(apls_patch *p, size_t *count, size_t *kept)
{
    if (!p->diags)
        p->diags = lsp_xcalloc(1, sizeof *p->diags);
    if (p->diags_enc != (int)p->srv->enc) {
        /* the ranges of every entry were written in another encoding */
        apls_diag_cache_free(p->diags);
        p->diags = lsp_xcalloc(1, sizeof *p->diags);
        p->diags_enc = (int)p->srv->enc;
    }
    cache_grow(p->diags);
    p->diags->gen++;
    builder b = {p, {0}, {0}, 0, 0};
    out_add(&b.arr, "[", 1);
    const ap_patch *pt = p->patch;
    const ap_run *run = p->run;
    /* the parse's and the run's problems, merged in text order */
    size_t i = 0, j = 0;
    while (i < pt->n_problems || j < run->n_problems) {
        if (j >= run->n_problems ||
            (i < pt->n_problems && pt->problems[i].span.start <= run->problems[j].span.start))
            put_problem(&b, &pt->problems[i++]);
        else
            put_problem(&b, &run->problems[j++]);
    }
    for (size_t c = 0; c < pt->n_changes; c++) {
        for (size_t m = 0; m < pt->changes[c].n_mods; m++) {
            const ap_mod_result *r = &run->mods[c][m];
            if (r->state != AP_MOD_ALREADY_APPLIED)
                continue;
            const ap_mod *mod = &pt->changes[c].mods[m];
            hint h = {{mod->head.start, mod->span.end}, ap_action_keyword(pt->format, mod->action), r->why};
            b.key.n = 0;
            out_add(&b.key, "H", 1);
            out_str(&b.key, h.keyword);
            out_str(&b.key, h.why);
            put(&b, h.span, make_hint, &h);
        }
    }
    out_add(&b.arr, "]", 1);
    cache_sweep(p->diags);
    free(b.key.s);
    *count = b.count;
    *kept = b.kept;
    return b.arr.s;
}

void apls_publish(apls_patch *p)
{
    if (!p->patch || !p->run)
        return;
    apls_report *r = &p->rep;
    bool timed = r->unsent && r->timed;
    uint64_t t0 = timed ? apls_cpu_ns() : 0, t1 = 0, t2 = 0;
    apls_publish_status(p);
    if (timed)
        t1 = apls_cpu_ns();
    char *text = build(p, &r->diagnostics, &r->reused_diags);
    if (timed)
        t2 = apls_cpu_ns();
    if (p->published && strcmp(p->published, text) == 0) {
        free(text);
    } else {
        free(p->published);
        p->published = text;
        /* per document, the latest replaces one the client has not read yet;
         * the array is written into the message as it is (serialised once) */
        json_t *head = json_pack("{s:s,s:I}", "uri", p->uri, "version", (json_int_t)p->version);
        char *h = json_dumps(head, JSON_COMPACT);
        json_decref(head);
        if (!h)
            lsp_oom(0);
        size_t hn = strlen(h), tn = strlen(text);
        char *params = lsp_xmalloc(hn + tn + 32);
        memcpy(params, h, hn - 1); /* without its closing brace */
        size_t n = hn - 1;
        memcpy(params + n, ",\"diagnostics\":", 15);
        n += 15;
        memcpy(params + n, text, tn);
        n += tn;
        params[n++] = '}';
        free(h);
        lsp_endpoint_notify_latest_text(p->srv->ep, "textDocument/publishDiagnostics", p->uri, params, n);
        free(params);
        r->published = r->unsent;
    }
    if (timed) {
        r->build_us = (t2 - t1) / 1000; /* the array: kept texts, the new ones built and serialised */
        r->dump_us = (apls_cpu_ns() - t2) / 1000; /* compared, the message written around it, queued */
        r->send_us = (t1 - t0) / 1000;  /* apls/status */
    }
    if (!r->deferred)
        apls_report_send(p);
}
