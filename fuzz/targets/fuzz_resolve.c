/* fuzz_resolve.c - a target text and a patch through the whole engine, in
 * memory: parse, resolve, render, diff, commit, and resolve again.
 *
 * Input: TARGET, a separator line, PATCH. The separator is the first line
 * that begins with "=====" (at the start of the input or after a '\n'); the
 * rest of that line holds flags: 'r' puts the targets read-only, 'x' leaves
 * them out (they do not exist), 'n' drops the target's last line break (so
 * a file without one can be written), 'i' strips trailing blanks only from
 * inserted lines (AP_WS_INSERTED). Without a separator the whole input is the
 * patch and no file exists. The target text is put under the file_path of
 * every change (normalized as the engine does: "./a//b" is "a/b").
 *
 * Checked, abort() on failure:
 *  - the run's problems point into the patch and into files that exist;
 *  - every rendered file's hunks are in order, within the file, and
 *    rebuild the new bytes from the old exactly (what an editor applies);
 *  - a written file has one kind of line break, and with the 2.0 default no
 *    trailing blanks (a 3.2 patch strips only what it inserts);
 *  - the unified diff applied to the old bytes gives the new bytes;
 *  - a run that is ok has no failed modification.
 * An edit of the patch (chosen from the input's bytes) is then parsed with
 * ap_patch_reparse and resolved with ap_run_reuse over the first run: the
 * result must equal a fresh ap_run_new (what the language server relies on
 * at every keystroke).
 * The preferred fixes of the run's problems (a few) are each applied to the
 * patch, and the fixed patch parsed, resolved and rendered with the same
 * checks: a repair never makes a patch the engine mishandles, and at most
 * one fix of a problem is preferred.
 * Then an ok run is committed to memory and run again: that second run must
 * be ok and change nothing (applying twice), unless the first announced it
 * would not (AP_NOT_IDEMPOTENT: the shapes the text cannot tell apart).
 * Both formats: the parser tells a 3.2 patch from YAML; its operations on
 * paths (RENAME, DELETE of a path, CREATE of a folder) are carried out in
 * memory and count as changes on the second run.
 * APLS_FUZZ_VERBOSE prints what happens. */
#include "ap.h"
#include "problem_order.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, long a, long b)
{
    fprintf(stderr, "fuzz_resolve: invariant broken: %s (%ld, %ld)\n", what, a, b);
    abort();
}

/* ------------------------------------------------------------- lines */

typedef struct lines {
    size_t *start; /* start[i]: where line i begins; start[n]: the length */
    size_t n;
} lines;

/* Splits s as the engine does: at LF (CRLF included) when s holds any LF, a
 * lone CR then being content; at CR otherwise. */
static void split(const char *s, size_t len, lines *out)
{
    size_t cap = 16;
    char brk = memchr(s, '\n', len) ? '\n' : '\r';
    out->start = malloc(cap * sizeof *out->start);
    out->n = 0;
    size_t i = 0;
    while (i < len) {
        if (out->n + 2 > cap) {
            cap *= 2;
            out->start = realloc(out->start, cap * sizeof *out->start);
        }
        out->start[out->n++] = i;
        while (i < len && s[i] != brk)
            i++;
        if (i < len)
            i++;
    }
    out->start[out->n] = len;
}

/* ---------------------------------------------------------- a byte buffer */

typedef struct buf {
    char *s;
    size_t len, cap;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
    }
    if (n)
        memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* -------------------------------------------------------- the checks */

/* The hunks rebuild the new bytes from the old ones. */
static void check_hunks(const ap_file *f, const char *old, size_t old_len)
{
    uint32_t nlines = f->before ? ap_text_line_count(f->before) : 0;
    buf b = {0};
    put(&b, "", 0);
    uint32_t at = 0;
    size_t out_end = 0;
    /* what stands before line 0 (a byte order mark) is never in a hunk */
    size_t from = 0;
    for (size_t h = 0; h < f->n_hunks; h++) {
        const ap_hunk *k = &f->hunks[h];
        if (k->line > k->end_line || k->end_line > nlines)
            fail("hunk lines out of the file", k->line, k->end_line);
        if (k->line < at)
            fail("hunks out of order", at, k->line);
        if ((size_t)k->out + k->out_len > f->after_len || k->out < out_end)
            fail("hunk bytes out of order or out of the new text", k->out, k->out_len);
        size_t to = f->before ? ap_text_line_start(f->before, k->line) : 0;
        put(&b, old + from, to - from);
        put(&b, f->after + k->out, k->out_len);
        at = k->end_line;
        from = f->before ? ap_text_line_start(f->before, at) : 0;
        out_end = (size_t)k->out + k->out_len;
    }
    put(&b, old + from, old_len - from);
    if (b.len != f->after_len || memcmp(b.s, f->after, b.len) != 0)
        fail("the hunks do not rebuild the new text", (long)b.len, (long)f->after_len);
    free(b.s);
}

/* One kind of line break, and no trailing blanks when all are stripped. */
static void check_written(const ap_file *f, bool strip_all)
{
    const char *s = f->after;
    size_t n = f->after_len, lf = 0, crlf = 0, cr = 0;
    char brk_char = memchr(s, '\n', n) ? '\n' : '\r';
    for (size_t i = 0; i < n; i++) {
        bool brk = s[i] == brk_char;
        if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
            crlf++, i++;
        else if (s[i] == '\r')
            cr++;
        else if (s[i] == '\n')
            lf++;
        if (strip_all && brk && i > 0) {
            size_t e = s[i] == '\n' && s[i - 1] == '\r' ? i - 1 : i;
            if (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t'))
                fail("a written line keeps trailing blanks", (long)e, 0);
        }
    }
    if (strip_all && n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        fail("the written last line keeps trailing blanks", (long)n, 0);
    if (lf + crlf > 0)
        cr = 0; /* lone CRs are content where there are LFs */
    if ((lf > 0) + (crlf > 0) + (cr > 0) > 1)
        fail("a written file mixes line breaks", (long)lf, (long)(crlf * 1000 + cr));
}

/* One line of a diff body: its prefix and bytes (with its break unless a
 * "\ No newline" line follows). */
typedef struct dline {
    char op;
    const char *s;
    size_t len;
} dline;

static bool line_eq(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && memcmp(a, b, an) == 0;
}

/* Applies the unified diff d to old and compares with the new bytes. */
static void check_diff(const ap_file *f, const char *old, size_t old_len, const char *d, size_t dn)
{
    if (f->n_hunks == 0 || f->status == AP_FILE_UNCHANGED) {
        if (dn != 0)
            fail("a diff for an unchanged file", (long)dn, 0);
        return;
    }
    if (dn == 0)
        fail("no diff for a changed file", (long)f->n_hunks, 0);
    /* the two header lines, with the path as it is (it may hold a line
     * break: a file name may) */
    buf hd = {0};
    put(&hd, "", 0);
    if (f->before) {
        put(&hd, "--- a/", 6);
        put(&hd, f->path, strlen(f->path));
        put(&hd, "\n", 1);
    } else {
        put(&hd, "--- /dev/null\n", 14);
    }
    put(&hd, "+++ b/", 6);
    put(&hd, f->path, strlen(f->path));
    put(&hd, "\n", 1);
    if (dn < hd.len || memcmp(d, hd.s, hd.len) != 0)
        fail("diff header", (long)dn, (long)hd.len);
    d += hd.len;
    dn -= hd.len;
    free(hd.s);
    lines ol;
    split(old, old_len, &ol);
    /* body lines end where their file's lines end: old ones (' ', '-') at the
     * old text's break, new ones ('+') at the new text's; the rest at LF */
    char old_brk = memchr(old, '\n', old_len) || !memchr(old, '\r', old_len) ? '\n' : '\r';
    char new_brk = memchr(f->after, '\n', f->after_len) || !memchr(f->after, '\r', f->after_len)
                       ? '\n' : '\r';
    buf out = {0};
    put(&out, "", 0);
    size_t oi = 0; /* next old line */
    size_t i = 0;  /* next byte of the diff body */
    while (i < dn) {
        const char *h = d + i;
        unsigned a, b, c, e;
        if (sscanf(h, "@@ -%u,%u +%u,%u @@", &a, &b, &c, &e) != 4)
            fail("diff hunk header", (long)i, 0);
        const char *nl = memchr(h, '\n', dn - i);
        i = nl ? (size_t)(nl - d) + 1 : dn;
        size_t ostart = b ? a - 1 : a;
        if (ostart < oi || ostart > ol.n)
            fail("diff hunk starts out of order", (long)ostart, (long)oi);
        put(&out, old + ol.start[oi], ol.start[ostart] - ol.start[oi]);
        oi = ostart;
        unsigned seen_old = 0, seen_new = 0;
        while (i < dn && d[i] != '@') {
            char op = d[i];
            if (op != ' ' && op != '-' && op != '+')
                fail("diff body line", (long)i, op);
            char brk = op == '+' ? new_brk : old_brk;
            const char *stop = memchr(d + i + 1, brk, dn - i - 1);
            size_t end = stop ? (size_t)(stop - d) + 1 : dn;
            /* a last line without a break ends at the LF the diff added
             * before its "\ No newline" marker */
            const char *nm = memmem(d + i + 1, dn - i - 1, "\n\\ ", 3);
            if (nm && (size_t)(nm - d) + 1 < end)
                end = (size_t)(nm - d) + 1;
            dline x = {op, d + i + 1, end - i - 1};
            i = end;
            static const char marker[] = "\\ No newline at end of file\n";
            if (i < dn && d[i] == '\\') {
                if (x.len == 0 || x.s[x.len - 1] != '\n' || dn - i < sizeof marker - 1 ||
                    memcmp(d + i, marker, sizeof marker - 1) != 0)
                    fail("no-newline marker", (long)i, 0);
                x.len--; /* the break the diff added */
                i += sizeof marker - 1;
            }
            if (x.op != '+') {
                if (oi >= ol.n)
                    fail("diff removes past the end", (long)oi, (long)ol.n);
                const char *os = old + ol.start[oi];
                size_t on = ol.start[oi + 1] - ol.start[oi];
                if (!line_eq(x.s, x.len, os, on))
                    fail("diff context or removed line differs from the file", (long)oi, 0);
                oi++;
                seen_old++;
            }
            if (x.op != '-') {
                put(&out, x.s, x.len);
                seen_new++;
            }
        }
        if (seen_old != b || seen_new != e)
            fail("diff hunk header counts", (long)(seen_old * 100000 + b), (long)(seen_new * 100000 + e));
    }
    put(&out, old + ol.start[oi], old_len - ol.start[oi]);
    if (out.len != f->after_len || memcmp(out.s, f->after, out.len) != 0)
        fail("the diff applied to the old text is not the new text", (long)out.len,
             (long)f->after_len);
    free(out.s);
    free(ol.start);
}

static void check_tspan(const ap_run *run, int file, const ap_tspan *t, const char *what)
{
    if (file < 0 || (size_t)file >= run->n_files)
        fail(what, file, (long)run->n_files);
    const ap_file *f = &run->files[file];
    uint32_t len = f->before ? (uint32_t)ap_text_len(f->before) : 0;
    uint32_t n = f->before ? ap_text_line_count(f->before) : 0;
    if (t->start > t->end || t->end > len || t->line > t->end_line || t->end_line > n)
        fail(what, t->start, t->end);
}

static void check_run(const ap_patch *p, ap_run *run)
{
    bool errors = p->has_errors;
    for (size_t i = 0; i < run->n_problems; i++) {
        const ap_problem *pr = &run->problems[i];
        if (pr->span.start > pr->span.end || pr->span.end > p->len)
            fail("run problem span", pr->span.start, pr->span.end);
        if (pr->code <= AP_OK || pr->code >= AP_CODE_COUNT || !pr->message)
            fail("run problem code", pr->code, 0);
        if (i > 0 && pr->span.start < run->problems[i - 1].span.start)
            fail("run problems out of order", run->problems[i - 1].span.start, pr->span.start);
        errors |= pr->severity == AP_ERROR;
        for (size_t k = 0; k < pr->n_related; k++) {
            const ap_related *r = &pr->related[k];
            if (r->file >= 0)
                check_tspan(run, r->file, &r->where, "note place");
            else if (r->span.start > r->span.end || r->span.end > p->len)
                fail("note span", r->span.start, r->span.end);
        }
        for (size_t k = 0; k < pr->n_fixes; k++)
            if (pr->fixes[k].span.start > pr->fixes[k].span.end || pr->fixes[k].span.end > p->len)
                fail("fix span", pr->fixes[k].span.start, pr->fixes[k].span.end);
    }
    if (errors == run->ok)
        fail("run->ok disagrees with the problems", errors, run->ok);
    for (size_t ch = 0; ch < p->n_changes; ch++) {
        for (size_t md = 0; md < p->changes[ch].n_mods; md++) {
            const ap_mod_result *r = &run->mods[ch][md];
            if (r->state == AP_MOD_FAILED && run->ok)
                fail("a failed modification in an ok run", (long)ch, (long)md);
            if (r->state == AP_MOD_FAILED && r->code == AP_OK)
                fail("a failed modification without a code", (long)ch, (long)md);
            if (r->state != AP_MOD_NOT_RUN && !p->changes[ch].mods[md].ok)
                fail("a malformed modification ran", (long)ch, (long)md);
            if (r->has_region)
                check_tspan(run, r->file, &r->region, "modification region");
            if (r->has_anchor)
                check_tspan(run, r->file, &r->anchor, "modification anchor");
        }
    }
}

/* Renders every file and checks hunks, bytes and diff; returns how many
 * files would be written. */
static size_t render_all(ap_run *run)
{
    size_t written = 0;
    for (size_t i = 0; i < run->n_files; i++) {
        ap_run_render(run, i);
        ap_file *f = &run->files[i];
        if (f->status == AP_FILE_DELETED || f->status == AP_FILE_RENAMED || f->status == AP_FILE_DIR_CREATED) {
            if (!f->path_op || f->rendered || (f->status == AP_FILE_RENAMED) != (f->dest != NULL))
                fail("an operation on a path that is not one", (long)i, f->status);
            written++;
            continue;
        }
        if (f->status == AP_FILE_FAILED) {
            if (run->ok)
                fail("a failed file in an ok run", (long)i, 0);
            continue;
        }
        if (!f->rendered)
            continue;
        if (!f->after)
            fail("a rendered file without bytes", (long)i, 0);
        const char *old = f->before ? ap_text_bytes(f->before) : "";
        size_t old_len = f->before ? ap_text_len(f->before) : 0;
        check_hunks(f, old, old_len);
        bool changed = f->status == AP_FILE_MODIFIED || f->status == AP_FILE_CREATED;
        if (f->before) {
            bool differs = f->after_len != old_len || memcmp(f->after, old, old_len) != 0;
            if (f->status != (differs ? AP_FILE_MODIFIED : AP_FILE_UNCHANGED))
                fail("status disagrees with the bytes", f->status, (long)f->after_len);
        } else if (f->status != AP_FILE_CREATED && f->status != AP_FILE_UNCHANGED) {
            fail("a new file neither created nor unchanged", f->status, 0);
        }
        if (changed) {
            written++;
            check_written(f, run->opts.trailing_ws == AP_WS_ALL && run->patch->format == AP_FORMAT_2_0);
        }
        char *d = NULL;
        size_t dn = 0;
        ap_diff_unified(f, &d, &dn);
        check_diff(f, old, old_len, d, dn);
        free(d);
    }
    return written;
}

/* ---------------------------------------------------------- the input */

/* "./a//b/" -> "a/b" (the engine refuses what this lets through anyway). */
static char *normalize(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    size_t o = 0, i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '/')
            j++;
        if (j > i && !(j - i == 1 && s[i] == '.')) {
            if (o)
                out[o++] = '/';
            memcpy(out + o, s + i, j - i);
            o += j - i;
        }
        i = j + 1;
    }
    out[o] = '\0';
    return out;
}

/* ------------------------------------------- reuse against a fresh run */

static void differ(const char *what, size_t a, size_t b)
{
    fprintf(stderr, "fuzz_resolve: ap_run_reuse differs from ap_run_new: %s (%zu, %zu)\n", what, a,
            b);
    abort();
}

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool tspan_eq(ap_tspan a, ap_tspan b)
{
    return a.line == b.line && a.end_line == b.end_line && a.start == b.start && a.end == b.end &&
           a.inserted_change == b.inserted_change && a.inserted_mod == b.inserted_mod;
}

static void same_run(const ap_patch *p, ap_run *a, ap_run *b)
{
    if (a->ok != b->ok)
        differ("ok", a->ok, b->ok);
    if (a->n_files != b->n_files)
        differ("number of files", a->n_files, b->n_files);
    for (size_t i = 0; i < a->n_files; i++) {
        ap_run_render(a, i);
        ap_run_render(b, i);
        const ap_file *x = &a->files[i], *y = &b->files[i];
        if (strcmp(x->path, y->path) != 0 || x->status != y->status ||
            x->after_len != y->after_len || (x->after == NULL) != (y->after == NULL) ||
            (x->after && memcmp(x->after, y->after, x->after_len) != 0))
            differ("a file", i, (size_t)x->status * 10 + (size_t)y->status);
        if (x->n_hunks != y->n_hunks ||
            (x->n_hunks && memcmp(x->hunks, y->hunks, x->n_hunks * sizeof *x->hunks) != 0))
            differ("a file's hunks", x->n_hunks, y->n_hunks);
    }
    if (a->n_problems != b->n_problems)
        differ("number of problems", a->n_problems, b->n_problems);
    const ap_problem **pa = sorted_problems(a->problems, a->n_problems);
    const ap_problem **pb = sorted_problems(b->problems, b->n_problems);
    for (size_t i = 0; i < a->n_problems; i++) {
        const ap_problem *x = pa[i], *y = pb[i];
        if (x->code != y->code || x->severity != y->severity || x->span.start != y->span.start ||
            x->span.end != y->span.end || x->change != y->change || x->mod != y->mod ||
            strcmp(x->message, y->message) != 0 || x->n_related != y->n_related ||
            x->n_fixes != y->n_fixes) {
            fprintf(stderr, "  reuse: %s %u-%u %s\n  new:   %s %u-%u %s\n", ap_code_name(x->code),
                    x->span.start, x->span.end, x->message, ap_code_name(y->code), y->span.start,
                    y->span.end, y->message);
            differ("a problem", i, 0);
        }
        for (size_t k = 0; k < x->n_related; k++)
            if (x->related[k].file != y->related[k].file ||
                !tspan_eq(x->related[k].where, y->related[k].where))
                differ("a note", i, k);
    }
    free(pa);
    free(pb);
    for (size_t ch = 0; ch < p->n_changes; ch++) {
        for (size_t md = 0; md < p->changes[ch].n_mods; md++) {
            const ap_mod_result *x = &a->mods[ch][md], *y = &b->mods[ch][md];
            /* (a modification that did not run has no meaningful file) */
            if (x->state != y->state || x->code != y->code ||
                (x->state != AP_MOD_NOT_RUN && x->file != y->file) ||
                x->has_region != y->has_region || x->has_anchor != y->has_anchor ||
                (x->has_region && !tspan_eq(x->region, y->region)) ||
                (x->has_anchor && !tspan_eq(x->anchor, y->anchor)) || !str_eq(x->why, y->why) ||
                !str_eq(x->before, y->before) || !str_eq(x->after, y->after)) {
                fprintf(stderr,
                        "  reuse: state %d code %s file %d region %d anchor %d why %s\n"
                        "  new:   state %d code %s file %d region %d anchor %d why %s\n",
                        x->state, ap_code_name(x->code), x->file, x->has_region, x->has_anchor,
                        x->why ? x->why : "-", y->state, ap_code_name(y->code), y->file,
                        y->has_region, y->has_anchor, y->why ? y->why : "-");
                differ("a modification's result", ch, md);
            }
        }
    }
}

/* An edit made from the input's own bytes: where, how much goes, what
 * comes in. Returns the edited text (malloc'd). */
static char *make_edit(const char *data, size_t size, size_t *out_len)
{
    static const char *const ins[] = {"",   "x",     " ",      "\n",       ": ",  "- ",
                                      "|",  "'",     "\"",     "#",        "\t",  "  ",
                                      "\r", "a: b\n", "{",     "]",        "&a ", "*a",
                                      "\n      - action: DELETE\n        snippet: |\n          x\n",
                                      /* 3.2 */
                                      "\ne4a2f1b8 END\n", "e4a2f1b8 ", "\ne4a2f1b8 snippet\n", "^", "$",
                                      "\ne4a2f1b8 scope_end\n", "```\n"};
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < size; i++)
        h = (h ^ (unsigned char)data[i]) * 1099511628211ull;
    size_t pos = size ? (size_t)(h % (size + 1)) : 0;
    size_t del = (size_t)((h >> 20) % 4);
    if (del > size - pos)
        del = size - pos;
    const char *s = ins[(h >> 32) % (sizeof ins / sizeof *ins)];
    size_t n = strlen(s);
    char *out = malloc(size - del + n + 1);
    memcpy(out, data, pos);
    memcpy(out + pos, s, n);
    memcpy(out + pos + n, data + pos + del, size - pos - del);
    *out_len = size - del + n;
    out[*out_len] = '\0';
    return out;
}

/* The language server's keystroke: the old patch and run, an edit, the
 * reparse and the reuse, against a fresh run of the edited patch. */
static void check_reuse(const char *patch, size_t patch_len, ap_fs *fs, const ap_options *opts)
{
    ap_patch *old = ap_patch_parse(patch, patch_len);
    ap_run *old_run = ap_run_new(old, fs, opts);
    size_t n;
    char *edited = make_edit(patch, patch_len, &n);
    ap_patch *p = ap_patch_reparse(old, edited, n);
    ap_run *reused = ap_run_reuse(p, fs, opts, old_run);
    ap_run *fresh = ap_run_new(p, fs, opts);
    check_run(p, reused);
    same_run(p, reused, fresh);
    ap_run_free(fresh);
    ap_run_free(reused);
    ap_run_free(old_run);
    ap_patch_free(old);
    ap_patch_free(p);
    free(edited);
}

/* Applies the preferred fixes of run's problems, one at a time (at most
 * four), and runs each fixed patch through the same checks. */
static void check_fixes(const char *patch, size_t patch_len, const ap_run *run, ap_fs *fs, const ap_options *opts)
{
    size_t tried = 0;
    for (size_t i = 0; i < run->n_problems && tried < 4; i++) {
        const ap_problem *pr = &run->problems[i];
        size_t preferred = 0;
        for (size_t k = 0; k < pr->n_fixes; k++)
            preferred += pr->fixes[k].preferred;
        if (preferred > 1)
            fail("more than one preferred fix", (long)i, (long)preferred);
        for (size_t k = 0; k < pr->n_fixes && tried < 4; k++) {
            const ap_fix *f = &pr->fixes[k];
            if (!f->preferred)
                continue;
            tried++;
            size_t tl = strlen(f->text), n = patch_len - (f->span.end - f->span.start) + tl;
            char *fixed = malloc(n + 1);
            memcpy(fixed, patch, f->span.start);
            memcpy(fixed + f->span.start, f->text, tl);
            memcpy(fixed + f->span.start + tl, patch + f->span.end, patch_len - f->span.end);
            fixed[n] = '\0';
            ap_patch *p = ap_patch_parse(fixed, n);
            ap_run *r = ap_run_new(p, fs, opts);
            check_run(p, r);
            render_all(r);
            ap_run_free(r);
            ap_patch_free(p);
            free(fixed);
        }
    }
}

static void dump_problems(const char *when, const ap_patch *p, const ap_run *run)
{
    for (size_t i = 0; i < p->n_problems; i++)
        fprintf(stderr, "  %s parse: %s: %s\n", when, ap_code_name(p->problems[i].code),
                p->problems[i].message);
    for (size_t i = 0; i < run->n_problems; i++)
        fprintf(stderr, "  %s run: %s: %s\n", when, ap_code_name(run->problems[i].code),
                run->problems[i].message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *target = "", *patch = in, *flags = "";
    size_t target_len = 0, patch_len = size, flags_len = 0;
    bool have_files = false;
    for (size_t i = 0; i + 5 <= size; i++) {
        if ((i == 0 || in[i - 1] == '\n') && memcmp(in + i, "=====", 5) == 0) {
            size_t e = i + 5;
            while (e < size && in[e] != '\n')
                e++;
            target = in;
            target_len = i;
            flags = in + i + 5;
            flags_len = e - (i + 5);
            patch = e < size ? in + e + 1 : in + size;
            patch_len = (size_t)(in + size - patch);
            have_files = true;
            break;
        }
    }
    bool read_only = memchr(flags, 'r', flags_len) != NULL;
    if (memchr(flags, 'n', flags_len) && target_len > 0 && target[target_len - 1] == '\n')
        target_len--;
    if (memchr(flags, 'x', flags_len))
        have_files = false;

    ap_patch *p = ap_patch_parse(patch, patch_len);
    ap_fs *fs = ap_fs_mem_new();
    if (have_files) {
        for (size_t ch = 0; ch < p->n_changes && ch < 16; ch++) {
            const ap_field *fp = &p->changes[ch].file_path;
            if (!fp->is_string || fp->len == 0 || memchr(fp->value, '\0', fp->len))
                continue;
            char *name = normalize(fp->value, fp->len);
            if (name[0])
                ap_fs_mem_put(fs, name, target, target_len, read_only);
            free(name);
        }
    }

    ap_options opts = AP_OPTIONS_INIT;
    if (memchr(flags, 'i', flags_len))
        opts.trailing_ws = AP_WS_INSERTED;
    ap_run *run = ap_run_new(p, fs, &opts);
    check_run(p, run);
    render_all(run);
    bool verbose = getenv("APLS_FUZZ_VERBOSE") != NULL;
    if (verbose) {
        fprintf(stderr, "resolve: %zu changes, %zu files, %s\n", p->n_changes, run->n_files,
                run->ok ? "ok" : "not ok");
        dump_problems("first", p, run);
    }

    /* what the language server does: one modification at a time */
    if (p->n_changes > 0 && p->changes[0].n_mods > 0) {
        ap_options one = opts;
        one.only_change = 0;
        one.only_mod = (int)(p->changes[0].n_mods - 1);
        ap_run *r1 = ap_run_new(p, fs, &one);
        check_run(p, r1);
        render_all(r1);
        ap_run_free(r1);
    }

    check_reuse(patch, patch_len, fs, &opts);
    check_fixes(patch, patch_len, run, fs, &opts);

    if (run->ok) {
        /* what the first run announces of a second (NOT_IDEMPOTENT), as
         * the command line asks it: the texts read let their records go */
        ap_options twice = opts;
        twice.release_lines = true;
        ap_run_check_twice(run, &twice);
        check_run(p, run);
        bool announced = false;
        for (size_t i = 0; i < run->n_problems; i++)
            announced |= run->problems[i].code == AP_NOT_IDEMPOTENT;
        ap_fs_mem_commit(fs, run);
        ap_run *again = ap_run_new(p, fs, &opts);
        check_run(p, again);
        size_t written = render_all(again);
        if (verbose) {
            fprintf(stderr, "again: %s, %zu files would change\n", again->ok ? "ok" : "not ok",
                    written);
            dump_problems("again", p, again);
        }
        if (!announced && (!again->ok || written > 0)) {
            fprintf(stderr, "fuzz_resolve: applying the patch a second time %s\n",
                    again->ok ? "changes the files again" : "fails");
            dump_problems("second", p, again);
            for (size_t i = 0; i < again->n_files; i++) {
                ap_file *f = &again->files[i];
                if (f->status != AP_FILE_MODIFIED && f->status != AP_FILE_CREATED)
                    continue;
                char *d = NULL;
                size_t dn = 0;
                ap_diff_unified(f, &d, &dn);
                fprintf(stderr, "%s", d);
                free(d);
            }
            abort();
        }
        ap_run_free(again);
    }
    ap_run_free(run);
    ap_fs_mem_free(fs);
    ap_patch_free(p);
    return 0;
}
