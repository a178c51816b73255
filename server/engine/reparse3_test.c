/* reparse3_test.c - ap_patch_reparse of a 3.2 patch (the FILE blocks an edit
 * touched parsed again, the others moved over) must give exactly what a
 * whole parse gives, positions included: random edits of generated 3.2
 * patches with every tolerance the parser knows (no header, comments,
 * fences, id drift, CREATE without FILE, RENAME, END, CRLF and lone CR),
 * compared field by field; and the edits an editor makes take the
 * incremental path. APLS_REPARSE3_SEED, _DOCS: another or a longer run;
 * _DUMP: the problems of a failing case; _WHY: why each whole parse. */
#include "check.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "same_patch.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

static bool chance(unsigned percent)
{
    return next() % 100 < percent;
}

#define ID "e4a2f1b8"

/* A generated 3.2 patch, the shapes models write and the deviations the
 * parser tolerates, with line breaks eol. */
static char *gen_patch(size_t *len)
{
    static const char *const eols[] = {"\n", "\n", "\n", "\r\n", "\r"};
    const char *eol = eols[next() % 5];
    ap_buf b = AP_BUF_INIT;
#define L(...) (ap_buf_addf(&b, __VA_ARGS__), ap_buf_adds(&b, eol))
    bool fenced = chance(15), header = chance(90);
    if (chance(50))
        L("Summary: a few changes."), L("%s", "");
    if (fenced)
        L("```ap");
    if (header)
        L(ID " AP 3.2"), L("%s", "");
    if (chance(10))
        L(ID " REPLACE"), L(ID " snippet"), L("orphan"), L(ID " content"), L("ORPHAN");
    if (chance(10))
        L(ID " CREATE made%d.txt", next() % 9), L("made");
    int blocks = 2 + (int)(next() % 7);
    for (int k = 0; k < blocks; k++) {
        if (chance(15))
            L("# a comment between blocks");
        if (chance(8))
            L("```");
        if (chance(20))
            L("%s", "");
        unsigned kind = next() % 10;
        if (kind == 0) {
            L(ID " CREATE src/new%d.c", k), L("int n%d;", k);
            continue;
        }
        if (kind == 1) {
            L(ID " CREATE"), L("src/made%d.c", k), L(ID " content"), L("int m%d;", k);
            continue;
        }
        if (chance(10))
            L(ID " file: src/f%d.c", k);
        else if (chance(10))
            L(ID " FILE CRLF src/f%d.c", k);
        else
            L(ID " FILE"), L("src/f%d.c", k);
        if (kind == 2) {
            L(ID " RENAME"), L("src/g%d.c", k);
            continue;
        }
        if (kind == 3) {
            L(ID " DELETE");
            continue;
        }
        if (kind == 4) {
            L(ID " CREATE"), L("int c%d;", k);
            continue;
        }
        int mods = 1 + (int)(next() % 4);
        for (int m = 0; m < mods; m++) {
            static const char *const acts[] = {"REPLACE", "INSERT_AFTER", "INSERT_BEFORE", "DELETE", "replace:"};
            const char *act = acts[next() % 5];
            bool del = strcmp(act, "DELETE") == 0;
            if (!(m > 0 && chance(10)))
                L(ID " %s", act); /* else: a missing action */
            if (chance(20))
                L(ID " anchor"), L("void f%d_%d(void)", k, m);
            if (chance(10))
                L("bare snippet %d", m); /* a missing 'snippet' keyword */
            else
                L(ID " snippet"), L("    int v%d_%d = %d;", k, m, m), L("# not a comment %d", m);
            if (chance(10))
                L(ID " snippet_tail"), L(chance(50) ? "$" : "}");
            if (chance(10))
                L(ID " scope_end");
            if (chance(10))
                L(ID " include_leading_blank_lines 1");
            if (chance(2))
                L("deadbeef DELETE"); /* a drifted id */
            if (!del || chance(10)) {
                L(ID " content");
                if (chance(15))
                    L("```c"), L("%s REPLACE", "0badc0de"), L("```");
                L("    int v%d_%d = %d; // new", k, m, m + 1);
                if (chance(10))
                    L("%s", "");
            }
            if (chance(10))
                L("stray text %d", m);
        }
    }
    if (chance(40))
        L(ID " END");
    if (fenced)
        L("```");
    if (chance(10))
        L("after the patch");
    if (chance(20))
        b.len -= strlen(eol); /* no final line break */
#undef L
    return ap_buf_detach(&b, len);
}

/* text with [at, at + del) replaced by ins[0, n). */
static char *spliced(const char *text, size_t len, size_t at, size_t del, const char *ins, size_t n, size_t *out_len)
{
    char *out = malloc(len - del + n + 1);
    memcpy(out, text, at);
    memcpy(out + at, ins, n);
    memcpy(out + at + n, text + at + del, len - at - del);
    *out_len = len - del + n;
    out[*out_len] = '\0';
    return out;
}

/* The start of the line holding i, and of the line after it. */
static size_t line_at(const char *t, size_t len, size_t i)
{
    while (i > 0 && !(t[i - 1] == '\n' || (t[i - 1] == '\r' && (i >= len || t[i] != '\n'))))
        i--;
    return i;
}

static size_t line_after(const char *t, size_t len, size_t i)
{
    while (i < len && t[i] != '\n' && t[i] != '\r')
        i++;
    if (i < len && t[i] == '\r')
        i++;
    else if (i < len && t[i] == '\n')
        return i + 1;
    if (i < len && t[i] == '\n')
        i++;
    return i;
}

/* One random edit: typing, deleting, a line or a directive typed or pasted,
 * a stretch of the patch copied elsewhere or deleted. */
static char *random_edit(const char *text, size_t len, size_t *out_len)
{
    static const char *const bits[] = {
        "x", " ", "\n", "\r\n", "\r", "#", "# c\n", "```\n", "```", "^", "$", "", ":", "\t",
        ID " FILE\nsrc/new.c\n", "\n" ID " FILE\n", ID " FILE", ID " FILE src/i.c\n",
        ID " REPLACE\n" ID " snippet\nfoo\n" ID " content\nbar\n", "\n" ID " DELETE\n",
        ID " END\n", "\n" ID " END", ID " END", "deadbeef DELETE\n", "\ncafebabe snippet\n",
        ID " snippet\n", ID " content\n", ID " anchor\n", ID " snippet_tail\n", ID " CREATE x.c\n",
        ID " CREATE\n", ID " RENAME\n", ID " AP 3.2\n", ID, ID " ", ID " scope_end\n", ID " file:\n",
        "E4A2F1B8 FILE\n", ID " include_trailing_blank_lines x\n", ID " bogus\n", "\xef\xbb\xbf",
    };
    size_t at = len ? next() % (len + 1) : 0;
    unsigned kind = next() % 12;
    if (kind >= 10 && len > 0) { /* whole lines deleted, or copied before a line */
        size_t s = line_at(text, len, next() % len), e = s;
        for (unsigned k = 1 + next() % 12; k > 0 && e < len; k--)
            e = line_after(text, len, e);
        if (kind == 10)
            return spliced(text, len, s, e - s, "", 0, out_len);
        char *piece = malloc(e - s + 1);
        memcpy(piece, text + s, e - s);
        char *out = spliced(text, len, line_at(text, len, at < len ? at : len - 1), 0, piece, e - s, out_len);
        free(piece);
        return out;
    }
    if (kind == 0 && len > 0) { /* a stretch copied elsewhere */
        size_t s = next() % len, n = next() % 200;
        if (s + n > len)
            n = len - s;
        char *piece = malloc(n + 1);
        memcpy(piece, text + s, n);
        char *out = spliced(text, len, at, 0, piece, n, out_len);
        free(piece);
        return out;
    }
    size_t del = kind == 1 ? next() % 120 : kind < 4 ? next() % 3 : 0;
    if (at + del > len)
        del = len - at;
    const char *ins = kind == 1 ? "" : bits[next() % (sizeof bits / sizeof *bits)];
    return spliced(text, len, at, del, ins, strlen(ins), out_len);
}

static unsigned long incremental, edits;

/* Edits a patch `rounds` times, each reparse checked against a whole parse. */
static void check_edits(char *text, size_t len, int rounds, unsigned flags, int *fails)
{
    char *orig = ap_xmemdup(text, len);
    size_t orig_len = len;
    ap_patch *prev = ap_patch_parse_opts(text, len, flags);
    for (int i = 0; i < rounds; i++) {
        /* keep the text near a patch: back to the generated one now and then */
        if (i > 0 && chance(15)) {
            free(text);
            text = ap_xmemdup(orig, orig_len);
            len = orig_len;
            ap_patch_free(prev);
            prev = ap_patch_parse_opts(text, len, flags);
        }
        size_t nl;
        char *t2 = random_edit(text, len, &nl);
        ap_patch *inc = ap_patch_reparse(prev, t2, nl);
        ap_patch *full = ap_patch_parse_opts(t2, nl, flags);
        edits++;
        incremental += inc->reparsed == AP_REPARSE_CHANGES;
        if (getenv("APLS_REPARSE3_WHY") && inc->reparsed == AP_REPARSE_FULL)
            fprintf(stderr, "WHY %s\n", inc->reparse_why);
        if (!same_patch(inc, full) && (*fails)++ < 3) {
            fprintf(stderr, "  after an edit (round %d, %s), text:\n%.*s\n---\n", i,
                    inc->reparsed == AP_REPARSE_CHANGES ? "incremental" : "whole", (int)nl, t2);
            if (getenv("APLS_REPARSE3_DUMP")) {
                fprintf(stderr, "BEFORE:\n%.*s\n---\n", (int)len, text);
                for (size_t k = 0; k < inc->n_problems || k < full->n_problems; k++)
                    fprintf(stderr, "  %zu: inc %s %u-%u ch%d | full %s %u-%u ch%d %s\n", k,
                            k < inc->n_problems ? ap_code_name(inc->problems[k].code) : "-",
                            k < inc->n_problems ? inc->problems[k].span.start : 0,
                            k < inc->n_problems ? inc->problems[k].span.end : 0,
                            k < inc->n_problems ? inc->problems[k].change : 0,
                            k < full->n_problems ? ap_code_name(full->problems[k].code) : "-",
                            k < full->n_problems ? full->problems[k].span.start : 0,
                            k < full->n_problems ? full->problems[k].span.end : 0,
                            k < full->n_problems ? full->problems[k].change : 0,
                            k < full->n_problems ? full->problems[k].message : "");
            }
        }
        ap_patch_free(prev);
        ap_patch_free(full);
        prev = inc;
        free(text);
        text = t2;
        len = nl;
    }
    ap_patch_free(prev);
    free(text);
    free(orig);
}

static void test_matches_full_parse(void)
{
    int fails = 0, docs = 400;
    /* APLS_REPARSE3_SEED / _DOCS: another run, a longer one */
    if (getenv("APLS_REPARSE3_SEED"))
        rng ^= strtoull(getenv("APLS_REPARSE3_SEED"), NULL, 10) * 0x2545f4914f6cdd1dull;
    if (getenv("APLS_REPARSE3_DOCS"))
        docs = atoi(getenv("APLS_REPARSE3_DOCS"));
    for (int doc = 0; doc < docs; doc++) {
        size_t len;
        char *text = gen_patch(&len);
        check_edits(text, len, 40, doc % 4 == 3 ? AP_PARSE_STRICT : 0, &fails);
    }
    CHECK_INT(fails, 0);
    /* most random edits fall inside the body, after the header */
    fprintf(stderr, "  %lu of %lu random edits parsed in part\n", incremental, edits);
    CHECK(incremental > edits / 2);
}

/* Reparses prev into text, checks it against a whole parse and the path it
 * took; frees prev, returns the new patch. */
static ap_patch *step(ap_patch *prev, const char *text, ap_reparse expect)
{
    size_t len = strlen(text);
    ap_patch *inc = ap_patch_reparse(prev, text, len);
    ap_patch *full = ap_patch_parse(text, len);
    CHECK(same_patch(inc, full));
    if (inc->reparsed != expect)
        fprintf(stderr, "  took %d (%s), want %d\n", inc->reparsed, inc->reparse_why ? inc->reparse_why : "",
                expect);
    CHECK_INT(inc->reparsed, expect);
    ap_patch_free(prev);
    ap_patch_free(full);
    return inc;
}

static char *splice_at(const char *text, const char *mark, size_t skip, size_t del, const char *ins)
{
    const char *at = strstr(text, mark);
    CHECK(at != NULL);
    size_t n;
    return spliced(text, strlen(text), (size_t)(at - text) + skip, del, ins, strlen(ins), &n);
}

/* What an editor does: typing in a value, a modification inserted and taken
 * out, a block deleted and put back, a block appended at the end; and what
 * must parse whole: the header, END, a drifted id. */
static void test_editor_edits(void)
{
    const char *base = ID " AP 3.2\n\n"
                       ID " FILE\nsrc/a.c\n" ID " REPLACE\n" ID " snippet\nint a = 1;\n" ID " content\nint a = 2;\n\n"
                       ID " FILE\nsrc/b.c\n" ID " DELETE\n" ID " snippet\nint b = 1;\n"
                       ID " INSERT_AFTER\n" ID " snippet\nint b2;\n" ID " content\nint b3;\n\n"
                       ID " FILE\nsrc/c.c\n" ID " REPLACE\n" ID " snippet\nint c = 1;\n" ID " content\nint c = 2;\n";
    const char *mod = ID " INSERT_BEFORE\n" ID " snippet\nint b2;\n" ID " content\nint b1;\n";
    const char *blockb = ID " FILE\nsrc/b.c\n";
    ap_patch *p = ap_patch_parse(base, strlen(base));
    CHECK(p->blocks3 && p->open3 && !p->has_errors);
    char *t;
    /* typing in a snippet, in each block */
    const char *marks[] = {"int a = 1", "int b = 1", "int c = 1"};
    for (size_t i = 0; i < 3; i++) {
        t = splice_at(base, marks[i], 9, 0, "x");
        p = step(p, t, AP_REPARSE_CHANGES);
        CHECK(p->has_errors == false);
        free(t);
        p = step(p, base, AP_REPARSE_CHANGES);
    }
    /* a modification inserted before the second one of b, and taken out */
    t = splice_at(base, ID " INSERT_AFTER", 0, 0, mod);
    p = step(p, t, AP_REPARSE_CHANGES);
    CHECK_INT(p->changes[1].n_mods, 3);
    p = step(p, base, AP_REPARSE_CHANGES);
    free(t);
    /* block b deleted and put back */
    const char *b0 = strstr(base, blockb), *b1 = strstr(base, ID " FILE\nsrc/c.c");
    size_t n;
    t = spliced(base, strlen(base), (size_t)(b0 - base), (size_t)(b1 - b0), "", 0, &n);
    p = step(p, t, AP_REPARSE_CHANGES);
    CHECK_INT(p->n_changes, 2);
    p = step(p, base, AP_REPARSE_CHANGES);
    CHECK_INT(p->n_changes, 3);
    free(t);
    /* a block appended at the end, and its path typed */
    char *t2 = ap_xprintf("%s\n" ID " FILE\nsrc/d", base);
    p = step(p, t2, AP_REPARSE_CHANGES);
    char *t3 = ap_xprintf("%s.c\n", t2);
    p = step(p, t3, AP_REPARSE_CHANGES);
    CHECK_INT(p->n_changes, 4);
    CHECK_STR(p->changes[3].file_path.value, "src/d.c");
    free(t2);
    free(t3);
    p = step(p, base, AP_REPARSE_CHANGES);
    /* the header, END, a drifted id: parsed whole */
    t = splice_at(base, ID " AP 3.2", 12, 1, "1");
    p = step(p, t, AP_REPARSE_FULL);
    free(t);
    p = step(p, base, AP_REPARSE_FULL);
    t = splice_at(base, "int b = 1;\n", 11, 0, ID " END\n");
    p = step(p, t, AP_REPARSE_FULL);
    free(t);
    p = step(p, base, AP_REPARSE_FULL);
    t = splice_at(base, "int b = 1;\n", 11, 0, "deadbeef DELETE\n");
    p = step(p, t, AP_REPARSE_FULL);
    CHECK(!p->blocks3);
    free(t);
    p = step(p, base, AP_REPARSE_FULL);
    CHECK(p->blocks3);
    ap_patch_free(p);
}

/* With END, an edit before it is parsed in part; the truncated-patch rule
 * still reads the last block as a whole parse does. */
static void test_end_and_truncation(void)
{
    const char *ended = ID " AP 3.2\n" ID " FILE\na.c\n" ID " REPLACE\n" ID " snippet\nx\n" ID " content\n\n"
                        ID " FILE\nb.c\n" ID " REPLACE\n" ID " snippet\ny\n" ID " content\n\n" ID " END\n";
    ap_patch *p = ap_patch_parse(ended, strlen(ended));
    CHECK(!p->open3 && p->end_f.present);
    char *t = splice_at(ended, "\nx\n", 2, 0, "x");
    p = step(p, t, AP_REPARSE_CHANGES);
    free(t);
    t = splice_at(ended, "\ny\n", 2, 0, "y");
    p = step(p, t, AP_REPARSE_CHANGES);
    free(t);
    /* the last block deleted whole lines up to END, and put back: END is
     * not touched */
    const char *b = strstr(ended, ID " FILE\nb.c"), *e = strstr(ended, ID " END");
    size_t n;
    t = spliced(ended, strlen(ended), (size_t)(b - ended), (size_t)(e - b), "", 0, &n);
    p = step(p, t, AP_REPARSE_CHANGES);
    CHECK_INT(p->n_changes, 1);
    p = step(p, ended, AP_REPARSE_CHANGES);
    CHECK_INT(p->n_changes, 2);
    free(t);
    /* typing at the start of END's line touches it */
    t = splice_at(ended, ID " END", 0, 0, "x");
    p = step(p, t, AP_REPARSE_FULL);
    free(t);
    ap_patch_free(p);
    /* without END, the empty last content is truncation, in part or whole */
    const char *open = ID " AP 3.2\n" ID " FILE\na.c\n" ID " REPLACE\n" ID " snippet\nx\n" ID " content\nX\n"
                       ID " FILE\nb.c\n" ID " REPLACE\n" ID " snippet\ny\n" ID " content\n";
    p = ap_patch_parse(open, strlen(open));
    CHECK(p->open3 && p->has_errors);
    t = splice_at(open, "\nx\n", 2, 0, "x");
    p = step(p, t, AP_REPARSE_CHANGES);
    CHECK(p->has_errors);
    free(t);
    t = ap_xprintf("%sY\n", open);
    p = step(p, t, AP_REPARSE_CHANGES);
    CHECK(!p->has_errors);
    free(t);
    ap_patch_free(p);
}

int main(void)
{
    RUN(test_editor_edits);
    RUN(test_end_and_truncation);
    RUN(test_matches_full_parse);
    return check_summary();
}
