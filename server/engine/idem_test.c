/* idem_test.c - applying twice changes nothing: a property test over
 * generated patches (issue 7: "idempotency proven, not hoped").
 *
 * Each case is a small code-like file and a patch of one to five
 * modifications against it, in the shapes models write and the ones that
 * broke applying twice before: snippets re-indented, contents that repeat or
 * wrap their snippets, several changes naming one file, ranges, anchors,
 * inserts at one place, blank-line widening, text that repeats. Half the
 * cases are written in 3.2, with its own shapes besides: contents at their
 * own indentation or flattened to column 0, scope_end, a locator repeated to
 * address the next copy, inserts at the file's boundaries. A case whose
 * first run resolves is committed (in memory) and run again; the second run
 * is
 *   clean   ok, every modification recognised as applied, no file changes;
 *   error   not ok (a refusal the user sees);
 *   silent  ok, and yet a file would change again: the promise broken.
 *
 *   test_idem              the CI run: APLS_IDEM_CASES cases (default 3000)
 *   APLS_IDEM_FORMAT=2.0 or 3.2: only that format (default: both, alternating)
 *   APLS_IDEM_CASES=100000 APLS_IDEM_SEED=7 test_idem    a long run
 *   APLS_IDEM_SHOW=N       prints the first N failing cases (file + patch)
 *   APLS_IDEM_SHOW_WHY=S   only those whose reasons hold S (a verdict: "no pre-image fits")
 *   APLS_IDEM_LIST=1       writes "case outcome" per case to stderr (to compare two builds)
 *   APLS_IDEM_APART=1      shows only failing cases whose modifications locate lines apart
 *   APLS_IDEM_ONLY=CASE    runs one case and writes it to idem-case.txt and
 *                          idem-case.ap (file_path f.txt: copy it there) 
 *
 * Asserted: no silent second change, ever (a second run that would change a
 * file again must have been announced by the first: AP_NOT_IDEMPOTENT); and
 * a floor on the share of clean second runs, against regressions. */
#include "check.h"
#include "internal.h"
#include "resolve.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* -------------------------------------------------------- randomness */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rnext(rng *r)
{
    /* xorshift64*: reproducible from the seed on every platform */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

static uint32_t below(rng *r, uint32_t n)
{
    return n ? (uint32_t)(rnext(r) % n) : 0;
}

static bool chance(rng *r, uint32_t percent)
{
    return below(r, 100) < percent;
}

/* ------------------------------------------------------ the material */

/* Lines as code has them: a few that stand everywhere (closing braces,
 * returns, pass) and make snippets ambiguous and contents collide, and many
 * that stand once. APLS_IDEM_HARSH=1 draws from the common ones and a small
 * set only, which makes nearly every line repeat. */
static const char *const common[] = {
    "}", "{", "return x", "pass", "break", "continue", "} else {", "return None", "try:", "raise",
};
static const char *const vocab[] = {
    "x = 1",           "x = 2",           "y = x + 1",         "return y",
    "if (x) {",        "print(x)",        "count += 1",        "def f(a, b):",
    "def g():",        "# setup",         "import os",         "values = list(values)",
    "total = sum(values)", "for v in values:", "self.count = 0", "count = 0",
    "log.info(\"done\")", "except ValueError as e:", "a = b", "b = a",
    "import sys",      "from typing import List", "class Parser:", "def parse(self, text):",
    "self.pos = 0",    "self.text = text", "while self.pos < len(self.text):", "ch = self.text[self.pos]",
    "if ch == '\\n':", "self.line += 1",  "self.pos += 1",     "return self.tokens",
    "tokens.append(tok)", "tok = Token(kind, value)", "kind = classify(ch)", "value = read_value()",
    "int main(void)",  "int n = 0;",      "for (i = 0; i < n; i++) {", "sum += a[i];",
    "printf(\"%d\\n\", sum);", "return 0;",   "static int count;", "char *buf = malloc(n);",
    "if (!buf)",       "free(buf);",      "memcpy(dst, src, n);", "size_t len = strlen(s);",
    "const char *name = argv[1];", "fprintf(stderr, \"usage\\n\");", "exit(1);", "#include <stdio.h>",
    "#include <stdlib.h>", "func main() {", "err := run()", "if err != nil {",
    "return err",      "fmt.Println(msg)", "msg := greet(name)", "defer f.Close()",
    "let total = items.reduce((a, b) => a + b, 0);", "const x = await fetch(url);",
    "export function greet(name) {", "console.log(total);", "module.exports = greet;",
    "if (!items.length) return 0;", "items.sort();", "throw new Error('bad');",
};
#define NCOMMON (sizeof common / sizeof *common)
#define NVOCAB (sizeof vocab / sizeof *vocab)

static bool harsh;

static const char *any_line(rng *r)
{
    if (below(r, 100) < 30)
        return common[below(r, NCOMMON)];
    return vocab[below(r, harsh ? 20 : NVOCAB)];
}

typedef struct line {
    char *s; /* stripped text ("" for a blank line) */
    int indent;
} line;

typedef struct lines {
    line *l;
    size_t n, cap;
} lines;

static void lines_add(lines *ls, const char *s, int indent)
{
    AP_GROW(ls->l, ls->n, ls->cap);
    ls->l[ls->n++] = (line){ap_xstrdup(s), indent};
}

static void lines_free(lines *ls)
{
    for (size_t i = 0; i < ls->n; i++)
        free(ls->l[i].s);
    free(ls->l);
    memset(ls, 0, sizeof *ls);
}

static void put_line(ap_buf *b, const line *l)
{
    if (l->s[0])
        for (int i = 0; i < l->indent * 4; i++)
            ap_buf_addc(b, ' ');
    ap_buf_adds(b, l->s);
    ap_buf_addc(b, '\n');
}

/* The value of a code field: lines with their indentation, the first line's
 * indentation taken off as a literal block does (keeping relative ones). */
static char *value_of(const line *ls, size_t n, int shift)
{
    ap_buf b = AP_BUF_INIT;
    int base = INT32_MAX;
    for (size_t i = 0; i < n; i++)
        if (ls[i].s[0] && ls[i].indent < base)
            base = ls[i].indent;
    for (size_t i = 0; i < n; i++) {
        line l = ls[i];
        l.indent = l.indent - base + shift;
        if (l.indent < 0)
            l.indent = 0;
        put_line(&b, &l);
    }
    return ap_buf_detach(&b, NULL);
}

/* A random non-blank run of k lines of the file: its first index, or -1. */
static long pick_run(rng *r, const lines *f, size_t k)
{
    for (int tries = 0; tries < 20; tries++) {
        size_t i = below(r, (uint32_t)f->n);
        if (i + k > f->n)
            continue;
        bool ok = true;
        for (size_t j = 0; j < k; j++)
            ok = ok && f->l[i + j].s[0];
        if (ok)
            return (long)i;
    }
    return -1;
}

static void random_lines(rng *r, lines *out, size_t n, int indent)
{
    for (size_t i = 0; i < n; i++)
        lines_add(out, any_line(r), indent + (chance(r, 30) ? 1 : 0));
}

/* --------------------------------------------------------- one case */

typedef struct gen_case {
    char *file;
    char *patch;
    uint32_t slipped; /* bit k: the k-th modification's snippet was slipped */
    int interacting; /* 0: modifications locate lines apart; 1: next to each
                      * other; 2: lines that overlap */
} gen_case;

#define ID3 "c0ffee42 "
static bool v3; /* the case being made is a 3.2 patch */

/* 2.0 names to 3.2 directives */
static const char *name3(const char *name)
{
    return strcmp(name, "start_snippet") == 0 ? "snippet"
           : strcmp(name, "end_snippet") == 0 ? "snippet_tail"
                                              : name;
}

static void add_field(ap_buf *p, const char *name, const char *value)
{
    if (v3) { /* the value's lines as they are, up to the next directive */
        ap_buf_addf(p, ID3 "%s\n%s", name3(name), value);
        return;
    }
    char *blk = ap_literal_block(name, value, strlen(value), 8);
    if (!blk) {
        /* (never for these values; a test bug if it happens) */
        fprintf(stderr, "idem_test: no literal block for %s\n", value);
        abort();
    }
    ap_buf_addf(p, "        %s\n", blk);
    free(blk);
}

/* One modification against the original file f; *slip: its snippet was
 * mistyped on purpose (the file never held it). Returns whether it wrote one. */
static bool gen_mod(rng *r, const lines *f, ap_buf *p, bool *slip, long span[2])
{
    *slip = false;
    static const char *const actions[] = {"REPLACE", "INSERT_AFTER", "INSERT_BEFORE", "DELETE"};
    uint32_t kind = below(r, 100);
    const char *action = kind < 40 ? actions[0] : kind < 55 ? actions[1] : kind < 70 ? actions[2]
                                                                                    : actions[3];
    bool range = (action == actions[0] || action == actions[3]) && chance(r, 15);
    size_t k = 1 + below(r, 3);
    long at = pick_run(r, f, range ? 1 : k);
    if (at < 0)
        at = pick_run(r, f, k = 1);
    if (at < 0)
        return false;
    int shift = chance(r, 20) ? (int)below(r, 3) : 0; /* re-indented snippets */
    if (v3 && chance(r, 4)) { /* an insert at a boundary of the file */
        lines c = {0};
        random_lines(r, &c, 1 + below(r, 2), 0);
        char *v = value_of(c.l, c.n, 0);
        bool top = chance(r, 50);
        span[0] = span[1] = top ? -1 : (long)f->n;
        ap_buf_addf(p, ID3 "%s\n" ID3 "snippet\n%s\n", top ? "INSERT_BEFORE" : "INSERT_AFTER", top ? "^" : "$");
        add_field(p, "content", v);
        free(v);
        lines_free(&c);
        return true;
    }
    if (v3)
        ap_buf_addf(p, ID3 "%s\n", action);
    else
        ap_buf_addf(p, "      - action: %s\n", action);
    if (chance(r, 25) && at > 0) {
        long a = (long)below(r, (uint32_t)at);
        if (f->l[a].s[0]) {
            char *v = value_of(&f->l[a], 1, 0);
            add_field(p, "anchor", v);
            free(v);
        }
    }
    char *snip;
    if (range) {
        long e = at + 1 + (long)below(r, 4);
        while (e < (long)f->n && !f->l[e].s[0])
            e++;
        if (e >= (long)f->n)
            e = at;
        char *s = value_of(&f->l[at], 1, shift), *t = value_of(&f->l[e], 1, 0);
        add_field(p, "start_snippet", s);
        if (e > at)
            add_field(p, "end_snippet", t);
        else
            add_field(p, "end_snippet", s);
        free(t);
        snip = s;
        k = (size_t)(e - at + 1);
    } else {
        snip = value_of(&f->l[at], k, shift);
        if (chance(r, 5)) { /* a slip: the first run will (most likely) fail */
            snip[0] = snip[0] == 'z' ? 'y' : 'z';
            *slip = true;
        }
        add_field(p, "snippet", snip);
    }
    if (action != actions[3]) {
        lines c = {0};
        int ind = f->l[at].indent;
        uint32_t how = below(r, 100);
        if (how < 35 || range) {
            random_lines(r, &c, 1 + below(r, 3), ind);
        } else if (how < 50) { /* wraps the snippet: new line(s) after */
            for (size_t j = 0; j < k; j++)
                lines_add(&c, f->l[at + j].s, f->l[at + j].indent);
            random_lines(r, &c, 1 + below(r, 2), ind);
        } else if (how < 65) { /* new line(s), then the snippet */
            random_lines(r, &c, 1 + below(r, 2), ind);
            for (size_t j = 0; j < k; j++)
                lines_add(&c, f->l[at + j].s, f->l[at + j].indent);
        } else if (how < 80) { /* the snippet with one line changed, dropped or added */
            for (size_t j = 0; j < k; j++)
                lines_add(&c, f->l[at + j].s, f->l[at + j].indent);
            size_t j = below(r, (uint32_t)k);
            uint32_t edit = below(r, 3);
            if (edit == 1 && k > 1) { /* dropped */
                free(c.l[j].s);
                memmove(&c.l[j], &c.l[j + 1], (c.n - j - 1) * sizeof *c.l);
                c.n--;
            } else if (edit == 2) { /* added */
                lines_add(&c, any_line(r), c.l[j].indent);
                line added = c.l[c.n - 1];
                memmove(&c.l[j + 1], &c.l[j], (c.n - j - 1) * sizeof *c.l);
                c.l[j] = added;
            } else {
                free(c.l[j].s);
                c.l[j].s = ap_xstrdup(any_line(r));
            }
        } else if (how < 87 && action == actions[0]) { /* replaced with nothing */
        } else if (how < 93) { /* the snippet twice */
            for (int t = 0; t < 2; t++)
                for (size_t j = 0; j < k; j++)
                    lines_add(&c, f->l[at + j].s, f->l[at + j].indent);
        } else { /* a line of the file (content that repeats a locator) */
            lines_add(&c, f->l[below(r, (uint32_t)f->n)].s, ind);
        }
        /* 3.2 writes content at its own indentation (a model's usual
         * output), sometimes flattened to column 0 (a dropped indentation) */
        int base = v3 && !chance(r, 20) ? ind : 0;
        char *v = value_of(c.l, c.n, base);
        add_field(p, "content", v);
        free(v);
        lines_free(&c);
    }
    if (chance(r, 10))
        ap_buf_addf(p, v3 ? ID3 "include_leading_blank_lines %u\n" : "        include_leading_blank_lines: %u\n",
                    1 + below(r, 2));
    if (chance(r, 10))
        ap_buf_addf(p, v3 ? ID3 "include_trailing_blank_lines %u\n" : "        include_trailing_blank_lines: %u\n",
                    1 + below(r, 2));
    if (v3 && !range && k == 1 && chance(r, 8))
        ap_buf_adds(p, ID3 "scope_end 1\n");
    free(snip);
    span[0] = at;
    span[1] = at + (long)k - 1;
    return true;
}

static gen_case gen(uint64_t seed)
{
    rng r = {seed * 0x9E3779B97F4A7C15ull + 1};
    for (int i = 0; i < 4; i++)
        rnext(&r);
    lines f = {0};
    size_t n = 6 + below(&r, 20);
    int indent = 0;
    for (size_t i = 0; i < n; i++) {
        if (chance(&r, 12)) {
            lines_add(&f, "", 0);
            continue;
        }
        if (chance(&r, 25))
            indent = (int)below(&r, 3);
        lines_add(&f, any_line(&r), indent);
    }
    ap_buf file = AP_BUF_INIT;
    for (size_t i = 0; i < f.n; i++)
        put_line(&file, &f.l[i]);

    ap_buf p = AP_BUF_INIT;
    ap_buf_adds(&p, v3 ? ID3 "AP 3.2\n" : "version: \"2.0\"\nchanges:\n");
    size_t nmods = 1 + below(&r, 5);
    size_t split = chance(&r, 20) ? 1 + below(&r, (uint32_t)nmods) : nmods;
    size_t last = 0, emitted = 0;
    uint32_t slipped = 0;
    bool last_slip = false;
    int interacting = 0;
    long spans[8][2];
    size_t nspans = 0;
    for (size_t m = 0; m < nmods; m++) {
        const char *path = m && chance(&r, 50) ? "./f.txt" : "f.txt";
        if (m == 0 || m == split) {
            if (v3)
                ap_buf_addf(&p, ID3 "FILE\n%s\n", path);
            else
                ap_buf_addf(&p, "  - file_path: %s\n    modifications:\n", path);
        }
        size_t at = p.len;
        if (v3 && m > 0 && m != split && chance(&r, 6)) {
            /* the locator of the one before, for the next copy (copied
             * first: adding to p may move its bytes) */
            char *again = ap_xmemdup(p.s + last, at - last);
            ap_buf_add(&p, again, at - last);
            free(again);
            if (at > last) {
                slipped |= (uint32_t)last_slip << emitted++;
                interacting = 2; /* the next copy: the same lines, by design */
            }
        } else {
            long span[2];
            if (gen_mod(&r, &f, &p, &last_slip, span)) {
                slipped |= (uint32_t)last_slip << emitted++;
                for (size_t j = 0; j < nspans; j++) {
                    int level = span[0] <= spans[j][1] && spans[j][0] <= span[1]           ? 2
                                : span[0] <= spans[j][1] + 1 && spans[j][0] <= span[1] + 1 ? 1
                                                                                          : 0;
                    interacting = level > interacting ? level : interacting;
                }
                if (nspans < 8) {
                    spans[nspans][0] = span[0];
                    spans[nspans][1] = span[1];
                    nspans++;
                }
            }
        }
        last = at;
    }
    if (v3)
        ap_buf_adds(&p, ID3 "END\n");
    lines_free(&f);
    return (gen_case){ap_buf_detach(&file, NULL), ap_buf_detach(&p, NULL), slipped, interacting};
}

/* ------------------------------------------------------ the property */

typedef enum twice_outcome { FIRST_FAILED, CLEAN, ERROR, SILENT, WARNED } twice_outcome;

/* Why a second run was not clean: the group question's verdict, and
 * whether the text could tell at all (see undecidable()). */
#define MAX_CAUSES 40
typedef struct cause {
    char *verdict;
    bool warned, undecidable;
    unsigned long n[2]; /* 2.0, 3.2 */
} cause;
static cause causes[MAX_CAUSES];
static unsigned long undecidable_ok[2], undecidable_clean[2];
/* first runs on the pristine file that count as applied a modification
 * whose snippet the generator slipped (the user meant another line) */
static unsigned long slip_applied[2], slip_total[2];
/* first runs on the pristine file that the group question takes as applied
 * as a whole: false unless the patch, run forward, leaves it as it is */
static unsigned long pristine_whole[2], pristine_false[2], pristine_shown;
/* of those, the ones the format's own rule makes applied: every modification
 * is a deletion whose text is gone, which counts as done (format-3.md) */
static unsigned long pristine_gone[2];
/* and those where an insert's content holds its own locator (undecidable:
 * see insert_holds_locator) */
static unsigned long pristine_repeat[2];
static unsigned long snippet_stands_applied[2];
/* and those the first run took as applied with a warning that the text
 * cannot tell (ALREADY_APPLIED: "may already be applied"); second runs
 * that say it too */
static unsigned long pristine_said[2], second_said[2];

static bool said_maybe_applied(const ap_run *r)
{
    for (size_t i = 0; i < r->n_problems; i++)
        if (r->problems[i].code == AP_ALREADY_APPLIED)
            return true;
    return false;
}
static unsigned long current_case; /* its number, for APLS_IDEM_ONLY */

static void add_cause(const char *verdict, bool warned, bool undec)
{
    for (int i = 0; i < MAX_CAUSES; i++) {
        cause *c = &causes[i];
        if (!c->verdict) {
            c->verdict = ap_xstrdup(verdict), c->warned = warned, c->undecidable = undec;
        } else if (strcmp(c->verdict, verdict) != 0 || c->warned != warned || c->undecidable != undec) {
            continue;
        }
        c->n[v3]++;
        return;
    }
}

/* Can the text tell whether the patch was applied? Not when the file left
 * by the first run is one the patch would change as a first run does, with
 * no recognition at all: every modification applies to it (none fails)
 * and the text changes. A user holding that file unpatched and one holding
 * it patched then see the same bytes and want different answers. */
static bool forward_run(const ap_patch *p, const char *bytes, size_t len, bool *fails);

static bool undecidable(const ap_patch *p, const char *bytes, size_t len)
{
    bool fails;
    return forward_run(p, bytes, len, &fails) && !fails;
}

/* Does the patch, run forward with no recognition, leave file as it is,
 * every modification resolving? */
static bool forward_keeps(const ap_patch *p, const char *file)
{
    bool fails;
    return !forward_run(p, file, strlen(file), &fails) && !fails;
}

/* The patch's well-formed modifications (at most 64) as one group, with
 * their patterns; *all_ok is cleared when one is malformed. */
static size_t group_of(const ap_patch *p, gmod **mods_out, mod_pats **pats_out, bool *all_ok)
{
    gmod *mods = NULL;
    mod_pats *pats = ap_xcalloc(64, sizeof *pats);
    size_t n = 0, cap = 0;
    for (size_t ch = 0; ch < p->n_changes; ch++)
        for (size_t md = 0; md < p->changes[ch].n_mods && n < 64; md++) {
            const ap_mod *m = &p->changes[ch].mods[md];
            *all_ok &= m->ok;
            if (!m->ok)
                continue;
            ap_pats_init(&pats[n], m, ap_rules_of(p));
            AP_GROW(mods, n, cap);
            mods[n] = (gmod){(int)ch, (int)md, m, &pats[n]};
            n++;
        }
    *mods_out = mods;
    *pats_out = pats;
    return n;
}

static void group_release(gmod *mods, mod_pats *pats, size_t n)
{
    for (size_t k = 0; k < n; k++)
        ap_pats_release(&pats[k]);
    free(pats);
    free(mods);
}

/* Runs the patch forward on bytes as a first run would, recognising
 * nothing: does the text change? *fails: a modification failed. */
static bool forward_run(const ap_patch *p, const char *bytes, size_t len, bool *fails_out)
{
    gmod *mods;
    mod_pats *pats;
    bool all_ok = true;
    size_t n = group_of(p, &mods, &pats, &all_ok);
    ap_text *t = ap_text_new(bytes, len);
    ap_view v;
    ap_view_init(&v, t);
    fwd_result *res = ap_xcalloc(n ? n : 1, sizeof *res);
    ap_sequence_forward(&v, mods, n, res);
    bool applies = false, fails = false;
    for (size_t k = 0; k < n; k++) {
        applies |= res[k].state == AP_MOD_APPLIES;
        fails |= res[k].state == AP_MOD_FAILED || res[k].state == AP_MOD_NOT_RUN;
    }
    bool changes = false;
    *fails_out = fails;
    if (applies) {
        ap_pos a = ap_view_begin(&v);
        ap_view orig;
        ap_view_init(&orig, t);
        ap_pos b = ap_view_begin(&orig);
        for (;; a = ap_view_next(&v, a), b = ap_view_next(&orig, b)) {
            bool ea = ap_view_at_end(&v, a), eb = ap_view_at_end(&orig, b);
            if (ea || eb) {
                changes = ea != eb;
                break;
            }
            if (!ap_same_stripped(ap_view_line(&v, a), ap_view_line(&orig, b))) {
                changes = true;
                break;
            }
        }
        ap_view_release(&orig);
    }
    free(res);
    ap_view_release(&v);
    ap_text_release(t);
    group_release(mods, pats, n);
    return changes;
}

/* Is every modification of the patch a deletion (a DELETE, or a REPLACE
 * with an empty content) whose text the forward run finds nowhere? The
 * format counts such a deletion as done: a file holding none of them is
 * applied by its own rule, not by a guess of apls. */
static bool only_gone_deletions(const ap_patch *p, const char *file)
{
    gmod *mods;
    mod_pats *pats;
    bool all = true;
    size_t n = group_of(p, &mods, &pats, &all);
    for (size_t k = 0; k < n; k++)
        all &= mods[k].m->action == AP_DELETE || (mods[k].m->action == AP_REPLACE && pats[k].content.n == 0);
    if (all && n > 0) {
        ap_text *t = ap_text_new(file, strlen(file));
        ap_view v;
        ap_view_init(&v, t);
        fwd_result *res = ap_xcalloc(n, sizeof *res);
        ap_sequence_forward(&v, mods, n, res);
        for (size_t k = 0; k < n; k++)
            all &= res[k].state != AP_MOD_APPLIES && !res[k].has_region;
        free(res);
        ap_view_release(&v);
        ap_text_release(t);
    }
    group_release(mods, pats, n);
    return all && n > 0;
}

static unsigned long false_applied, false_shown;

/* Does b's non-blank run stand inside a's? */
static bool pattern_within(const ap_pattern *a, const ap_pattern *b)
{
    for (uint32_t i = 0; b->n > 0 && i + b->n <= a->n; i++) {
        uint32_t k = 0;
        while (k < b->n && ap_line_eq(ap_pattern_at(a, i + k), ap_pattern_at(b, k)))
            k++;
        if (k == b->n)
            return true;
    }
    return false;
}

/* Has the patch an insert whose content holds its own snippet or anchor?
 * Applied, it leaves that locator twice, side by side: every such file is
 * also one never patched that holds the locator twice, and the text cannot
 * tell which (docs/engine.md: refusing them costs about 4,300 clean second
 * runs per format in 100,000 cases). */
static bool insert_holds_locator(const ap_patch *p)
{
    gmod *mods;
    mod_pats *pats;
    bool all = true, holds = false;
    size_t n = group_of(p, &mods, &pats, &all);
    for (size_t k = 0; k < n; k++)
        holds |= ap_action_inserts(mods[k].m->action) &&
                 (pattern_within(&pats[k].content, &pats[k].snippet) ||
                  (pats[k].has_anchor && pattern_within(&pats[k].content, &pats[k].anchor)));
    group_release(mods, pats, n);
    return holds;
}

/* Do the non-blank lines of value stand, stripped and in order, somewhere
 * in file (blank lines skipped)? */
static bool lines_stand(const char *file, const char *value)
{
    ap_text *t = ap_text_new(file, strlen(file));
    ap_view v;
    ap_view_init(&v, t);
    ap_pattern pat;
    ap_pattern_init(&pat, value, strlen(value));
    ap_match m;
    bool found = pat.n == 0 || ap_find_first(&v, &pat, ap_view_begin(&v), &m);
    ap_pattern_release(&pat);
    ap_view_release(&v);
    ap_text_release(t);
    return found;
}

static unsigned long env_num(const char *name, unsigned long dflt);

static twice_outcome run_twice(const gen_case *c, char **second_why)
{
    bool undec = false;
    *second_why = NULL;
    ap_fs *fs = ap_fs_mem_new();
    ap_fs_mem_put(fs, "f.txt", c->file, strlen(c->file), false);
    ap_patch *p = ap_patch_parse(c->patch, strlen(c->patch));
    ap_run *r1 = ap_run_new(p, fs, NULL);
    twice_outcome res = FIRST_FAILED;
    if (strcmp(ap_group_verdict, "applied") == 0) {
        pristine_whole[v3]++;
        /* the generator made no no-op patches on purpose, but a content may
         * equal its snippet: only a forward run that changes the file, or
         * fails, makes the verdict false */
        if (!(undecidable(p, c->file, strlen(c->file)) || !forward_keeps(p, c->file))) {
            /* the patch leaves the file as it is: applied indeed */
        } else if (said_maybe_applied(r1)) {
            pristine_said[v3]++; /* a warning, not a silent success */
        } else if (only_gone_deletions(p, c->file)) {
            pristine_gone[v3]++;
        } else if (insert_holds_locator(p)) {
            pristine_repeat[v3]++;
            if (pristine_shown++ < env_num("APLS_IDEM_SHOW_PRISTINE", 3))
                printf("---- case %lu: first run takes the pristine file as applied (an insert repeats its "
                       "locator: undecidable)\n==== file\n%s==== patch\n%s",
                       current_case, c->file, c->patch);
        } else {
            pristine_false[v3]++;
            if (pristine_shown++ < env_num("APLS_IDEM_SHOW_PRISTINE", 3))
                printf("---- case %lu: first run takes the pristine file as applied\n==== file\n%s==== patch\n%s",
                       current_case, c->file, c->patch);
        }
    }
    /* on a first run, a REPLACE or insert counted as applied whose content
     * stands nowhere in the file is a false success */
    for (size_t ch = 0; ch < p->n_changes; ch++)
        for (size_t md = 0; md < p->changes[ch].n_mods; md++) {
            const ap_mod *m = &p->changes[ch].mods[md];
            if (!m->ok || r1->mods[ch][md].state != AP_MOD_ALREADY_APPLIED || !m->content.present ||
                m->content.len == 0 || m->action == AP_DELETE)
                continue;
            if (!lines_stand(c->file, m->content.value)) {
                false_applied++;
                if (false_shown < 3) {
                    false_shown++;
                    printf("---- first run counts %zu.%zu applied (%s), its content is not in the file\n"
                           "==== file\n%s==== patch\n%s", ch, md, r1->mods[ch][md].why, c->file, c->patch);
                }
            }
        }
    /* the snippets the generator slipped: the first run must not count
     * those modifications applied (the file was never patched) */
    size_t k = 0;
    for (size_t ch = 0; ch < p->n_changes; ch++)
        for (size_t md = 0; md < p->changes[ch].n_mods; md++, k++) {
            if (k >= 32 || !(c->slipped >> k & 1))
                continue;
            slip_total[v3]++;
            if (r1->mods[ch][md].state == AP_MOD_ALREADY_APPLIED && r1->ok)
                slip_applied[v3]++;
        }
    /* a successful first run that counts a REPLACE applied although its
     * snippet stands whole in the pristine file (its content not holding
     * it): the per-modification rules' weakest evidence (a content standing
     * before the snippet, shared case 06), measured, not asserted */
    if (r1->ok && strcmp(ap_group_verdict, "applied") != 0)
        for (size_t ch = 0; ch < p->n_changes; ch++)
            for (size_t md = 0; md < p->changes[ch].n_mods; md++) {
                const ap_mod *m = &p->changes[ch].mods[md];
                if (!m->ok || m->action != AP_REPLACE || r1->mods[ch][md].state != AP_MOD_ALREADY_APPLIED ||
                    !m->snippet.present || !m->content.present)
                    continue;
                mod_pats mp;
                ap_pats_init(&mp, m, ap_rules_of(p));
                bool holds = pattern_within(&mp.content, &mp.snippet);
                ap_pats_release(&mp);
                if (!holds && lines_stand(c->file, m->snippet.value) &&
                    snippet_stands_applied[v3]++ < env_num("APLS_IDEM_SHOW_STANDS", 0))
                    printf("---- case %lu: first run counts %zu.%zu applied (%s), its snippet stands\n"
                           "==== file\n%s==== patch\n%s",
                           current_case, ch, md, r1->mods[ch][md].why, c->file, c->patch);
            }
    ap_run_check_twice(r1, NULL);
    bool warned = false;
    for (size_t i = 0; i < r1->n_problems; i++)
        warned |= r1->problems[i].code == AP_NOT_IDEMPOTENT;
    if (r1->ok) {
        for (size_t i = 0; i < r1->n_files; i++)
            if (r1->files[i].status == AP_FILE_MODIFIED && r1->files[i].after)
                undec = undecidable(p, r1->files[i].after, r1->files[i].after_len);
        ap_fs_mem_commit(fs, r1);
        ap_run *r2 = ap_run_new(p, fs, NULL);
        const char *verdict = ap_group_verdict;
        bool changes = false;
        for (size_t i = 0; i < r2->n_files; i++) {
            ap_run_render(r2, i);
            changes |= r2->files[i].status != AP_FILE_UNCHANGED;
        }
        res = !r2->ok ? ERROR : changes ? SILENT : CLEAN;
        second_said[v3] += said_maybe_applied(r2);
        ap_buf why = AP_BUF_INIT;
        for (size_t i = 0; i < r2->n_problems; i++)
            if (r2->problems[i].severity == AP_ERROR)
                ap_buf_addf(&why, "  %s: %s\n", ap_code_name(r2->problems[i].code),
                            r2->problems[i].message);
        /* (a modification may apply again and the bytes come out the same:
         * a patch whose net effect is nothing; that changes nothing) */
        for (size_t ch = 0; ch < p->n_changes; ch++)
            for (size_t md = 0; md < p->changes[ch].n_mods; md++)
                if (r2->mods[ch][md].state == AP_MOD_APPLIES)
                    ap_buf_addf(&why, "  modification %zu.%zu applies again\n", ch, md);
        if (res != CLEAN)
            ap_buf_addf(&why, "  (the group as a whole: %s)\n", verdict);
        if (res == SILENT && warned)
            res = WARNED; /* the first run said so: not silent */
        /* the text cannot tell a content standing twice with a snippet that
         * stands nowhere from a snippet the model invented (applied.c) */
        undec |= strcmp(verdict, "a lone content stands in several places") == 0;
        if (res != CLEAN)
            add_cause(verdict, res == WARNED || res == SILENT, undec);
        undecidable_ok[v3] += undec;
        undecidable_clean[v3] += undec && res == CLEAN;
        *second_why = ap_buf_detach(&why, NULL);
        ap_run_free(r2);
    }
    ap_run_free(r1);
    ap_patch_free(p);
    ap_fs_mem_free(fs);
    return res;
}

static unsigned long env_num(const char *name, unsigned long dflt)
{
    const char *v = getenv(name);
    return v && *v ? strtoul(v, NULL, 10) : dflt;
}

static void test_applying_twice_changes_nothing(void)
{
    unsigned long n = env_num("APLS_IDEM_CASES", 3000), seed = env_num("APLS_IDEM_SEED", 1);
    unsigned long show = env_num("APLS_IDEM_SHOW", 0), shown = 0;
    harsh = env_num("APLS_IDEM_HARSH", 0) != 0;
    unsigned long count[5] = {0};
    unsigned long only = env_num("APLS_IDEM_ONLY", 0);
    const char *format = getenv("APLS_IDEM_FORMAT");
    unsigned long per[2][5] = {{0}};
    /* per format, patches whose modifications locate lines apart, next to
     * each other, or that overlap (a later one edits what an earlier one
     * located: the generator draws their places independently) */
    unsigned long apart_ok[2][3] = {{0}}, apart_clean[2][3] = {{0}};
    for (unsigned long i = 0; i < n; i++) {
        if (only && seed * 1000003ul + i != only)
            continue;
        v3 = format && *format ? strcmp(format, "3.2") == 0 : (i & 1) != 0;
        current_case = seed * 1000003ul + i;
        gen_case c = gen(current_case);
        if (only) { /* one case, in full: write it out for the command line */
            FILE *f = fopen("idem-case.txt", "w"), *q = fopen("idem-case.ap", "w");
            fputs(c.file, f);
            fputs(c.patch, q);
            fclose(f);
            fclose(q);
        }
        char *why;
        twice_outcome o = run_twice(&c, &why);
        count[o]++;
        per[v3][o]++;
        if (o != FIRST_FAILED) {
            apart_ok[v3][c.interacting]++;
            apart_clean[v3][c.interacting] += o == CLEAN;
        }
        if (getenv("APLS_IDEM_LIST"))
            fprintf(stderr, "%lu %d\n", seed * 1000003ul + i, (int)o);
        const char *only_why = getenv("APLS_IDEM_SHOW_WHY");
        if ((o == ERROR || o == SILENT || o == WARNED) && shown < show && (!getenv("APLS_IDEM_APART") || c.interacting == 0) &&
            (!only_why || (why && strstr(why, only_why)))) {
            shown++;
            printf("---- case %lu: %s\n%s==== file\n%s==== patch\n%s", seed * 1000003ul + i,
                   o == ERROR    ? "second run fails"
                   : o == WARNED ? "second run changes the file (warned)"
                                 : "second run changes the file",
                   why, c.file, c.patch);
        }
        free(why);
        free(c.file);
        free(c.patch);
    }
    unsigned long ok = count[CLEAN] + count[ERROR] + count[SILENT] + count[WARNED];
    printf("idempotency: %lu cases, %lu first runs ok; second run: %lu clean (%.2f%%), "
           "%lu fail, %lu change again as the first run warned, %lu change again silently\n",
           n, ok, count[CLEAN], ok ? 100.0 * (double)count[CLEAN] / (double)ok : 100.0,
           count[ERROR], count[WARNED], count[SILENT]);
    for (int f = 0; f < 2; f++) {
        unsigned long fok = per[f][CLEAN] + per[f][ERROR] + per[f][SILENT] + per[f][WARNED];
        if (fok)
            printf("  %s: %lu first runs ok; second run: %lu clean (%.2f%%), %lu fail, %lu warned, %lu silent\n",
                   f ? "3.2" : "2.0", fok, per[f][CLEAN], 100.0 * (double)per[f][CLEAN] / (double)fok,
                   per[f][ERROR], per[f][WARNED], per[f][SILENT]);
    }
    /* the failures by cause; the clean share over the cases the text can
     * decide (those it cannot: see undecidable()) */
    printf("  not clean, by the group question's verdict (2.0, 3.2):\n");
    for (int i = 0; i < MAX_CAUSES && causes[i].verdict; i++)
        printf("    %-60s %-8s %-12s %6lu %6lu\n", causes[i].verdict,
               causes[i].warned ? "changes" : "fails", causes[i].undecidable ? "undecidable" : "decidable",
               causes[i].n[0], causes[i].n[1]);
    for (int f = 0; f < 2; f++) {
        unsigned long fok = per[f][CLEAN] + per[f][ERROR] + per[f][SILENT] + per[f][WARNED];
        unsigned long dec = fok - undecidable_ok[f], dclean = per[f][CLEAN] - undecidable_clean[f];
        if (fok)
            printf("  %s: decidable by the text %lu, clean %lu (%.2f%%); undecidable %lu, clean %lu; "
                   "slipped snippets counted applied on a first run: %lu of %lu\n",
                   f ? "3.2" : "2.0", dec, dclean, dec ? 100.0 * (double)dclean / (double)dec : 100.0,
                   undecidable_ok[f], undecidable_clean[f], slip_applied[f], slip_total[f]);
    }
    for (int f = 0; f < 2; f++)
        for (int i = 0; i < 3; i++)
            if (apart_ok[f][i])
                printf("  %s, modifications %s: %lu first runs ok, %lu clean (%.2f%%)\n", f ? "3.2" : "2.0",
                       i == 2 ? "that overlap" : i ? "next to each other" : "apart", apart_ok[f][i],
                       apart_clean[f][i],
                       100.0 * (double)apart_clean[f][i] / (double)apart_ok[f][i]);
    /* never a silent second change; the clean share is a floor against
     * regressions (measured: docs/engine.md "Applying twice") */
    printf("first runs that count a modification applied whose content is not in the file: %lu\n",
           false_applied);
    printf("first runs that take the pristine file as applied as a whole: %lu, %lu of them falsely "
           "(2.0 %lu, 3.2 %lu); %lu more only by the format's rule that a deletion whose text is gone is done\n",
           pristine_whole[0] + pristine_whole[1], pristine_false[0] + pristine_false[1], pristine_false[0],
           pristine_false[1], pristine_gone[0] + pristine_gone[1]);
    printf("first runs that count a REPLACE applied whose snippet stands in the pristine file: 2.0 %lu, 3.2 %lu\n",
           snippet_stands_applied[0], snippet_stands_applied[1]);
    printf("  and %lu (2.0 %lu, 3.2 %lu) where an insert's content holds its own locator: undecidable, "
           "every file the patch leaves looks so\n",
           pristine_repeat[0] + pristine_repeat[1], pristine_repeat[0], pristine_repeat[1]);
    printf("first runs on the pristine file taken as applied with the warning that the text cannot tell: "
           "2.0 %lu, 3.2 %lu; second runs that warn so: 2.0 %lu, 3.2 %lu\n",
           pristine_said[0], pristine_said[1], second_said[0], second_said[1]);
    CHECK_INT(false_applied, 0);
    CHECK_INT(pristine_false[0] + pristine_false[1], 0);
    CHECK_INT(count[SILENT], 0);
    /* per format: 3.2 adds shapes of its own (scope_end, the cursor,
     * boundaries, flattened contents) that the text tells apart less often.
     * Harsh 2.0 was 86 until refusing more false successes on first runs
     * cost a few clean second runs (seed 7: 86.32% -> 85.97%). 3.2 was 81
     * (76 harsh) until a REPLACE above the cursor waited for a later pass
     * (lowest over seeds 1-8 since: 82.51%, harsh 78.24%). Session 19's
     * undo rules raised them to 90/87 (harsh 88/83): lowest over seeds 1-8
     * at 3,000 cases, with every rule session 19 kept: 2.0 91.58% (seed
     * 7), 3.2 87.89% (seed 6), harsh 89.59% (seed 7) and 83.62% (seed 4).
     * Session 20's (idem20) to 91/88 (harsh 89/83): lowest since 2.0
     * 92.93% (seed 7), 3.2 89.13% (seed 6), harsh 90.48% (seed 7) and
     * 84.23% (seed 4, too near 84 to raise that one). Session 21's
     * (idem21) 2.0 to 92: lowest over seeds 1-10 at 3,000 cases 2.0
     * 93.38% (seed 7), 3.2 89.46% (seed 6), harsh 90.66% (seed 7) and
     * 84.35% (seed 4): the others too near the next point to raise */
    for (int f = 0; f < 2; f++) {
        unsigned long fok = per[f][CLEAN] + per[f][ERROR] + per[f][SILENT] + per[f][WARNED];
        unsigned long floor = f ? (harsh ? 83 : 88) : (harsh ? 89 : 92);
        if (per[f][CLEAN] * 100 < fok * floor)
            fprintf(stderr, "  %s: clean share under %lu%%\n", f ? "3.2" : "2.0", floor);
        CHECK(per[f][CLEAN] * 100 >= fok * floor);
    }
    CHECK(ok * 3 >= n); /* the generator makes resolving patches, mostly */
}

int main(void)
{
    RUN(test_applying_twice_changes_nothing);
    return check_summary();
}
