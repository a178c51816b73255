/* render_test.c - rendering finds the untouched lines it copies as they
 * stand from the bytes (render.c, first_doubt) exactly as line by line.
 *
 * Random files of lines with trailing blanks, CRLF and lone CR lines,
 * blank lines, long lines, with or without a last break, patched at a few
 * marker lines in 2.0 (every line stripped) and 3.2 (only inserted ones):
 * the new bytes, hunks, copied runs and stripped-line count must be the
 * same with the byte scan as with the line-by-line test alone. */
#include "check.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct rendered {
    char *after;
    size_t after_len;
    ap_hunk *hunks, *copied;
    size_t n_hunks, n_copied;
    uint32_t blanks_stripped;
    int status;
    bool ok;
} rendered;

static rendered render_once(const char *file, size_t len, const char *patch, bool plain)
{
    ap_render_plain = plain;
    ap_fs *fs = ap_fs_mem_new();
    ap_fs_mem_put(fs, "a.txt", file, len, false);
    ap_patch *p = ap_patch_parse(patch, strlen(patch));
    ap_run *r = ap_run_new(p, fs, NULL);
    rendered out = {0};
    out.ok = r->ok && r->n_files == 1;
    if (out.ok) {
        ap_run_render(r, 0);
        ap_file *f = &r->files[0];
        out.after_len = f->after_len;
        out.after = malloc(f->after_len + 1);
        memcpy(out.after, f->after ? f->after : "", f->after_len);
        out.n_hunks = f->n_hunks;
        out.hunks = malloc((f->n_hunks + 1) * sizeof *out.hunks);
        memcpy(out.hunks, f->hunks, f->n_hunks * sizeof *out.hunks);
        out.n_copied = f->n_copied;
        out.copied = malloc((f->n_copied + 1) * sizeof *out.copied);
        if (f->n_copied)
            memcpy(out.copied, f->copied, f->n_copied * sizeof *out.copied);
        out.blanks_stripped = f->blanks_stripped;
        out.status = (int)f->status;
    }
    ap_run_free(r);
    ap_patch_free(p);
    ap_fs_mem_free(fs);
    ap_render_plain = false;
    return out;
}

static void rendered_free(rendered *r)
{
    free(r->after);
    free(r->hunks);
    free(r->copied);
}

static bool same(const rendered *a, const rendered *b)
{
    return a->ok == b->ok && a->after_len == b->after_len &&
           (a->after_len == 0 || memcmp(a->after, b->after, a->after_len) == 0) && a->n_hunks == b->n_hunks &&
           (a->n_hunks == 0 || memcmp(a->hunks, b->hunks, a->n_hunks * sizeof *a->hunks) == 0) &&
           a->n_copied == b->n_copied &&
           (a->n_copied == 0 || memcmp(a->copied, b->copied, a->n_copied * sizeof *a->copied) == 0) &&
           a->blanks_stripped == b->blanks_stripped && a->status == b->status;
}

static const char *const kinds[] = {"int x = 1;", "ctx->value = 2;  ", "a\tb\t", "x y\r", "", "   ",
                                    "a\rb", "tail \t\r", "\t", "return 0;",
                                    "a line long enough to cross a 32-byte window of the scan", "z "};

static void test_copied_as_line_by_line(void)
{
    srand(12);
    int rendered_files = 0, stripped = 0;
    for (int round = 0; round < 600; round++) {
        ap_buf file = AP_BUF_INIT;
        int n = 1 + rand() % 120, marks = 1 + rand() % 3;
        int at[3];
        for (int m = 0; m < marks; m++)
            at[m] = rand() % n;
        for (int i = 0; i < n; i++) {
            for (int m = 0; m < marks; m++)
                if (at[m] == i)
                    ap_buf_addf(&file, "MARK_%d_%d\n", m, i);
            /* (a CRLF in the first 1024 bytes makes a CRLF file: the lines
             * of one in an LF file come later) */
            const char *k = kinds[rand() % 12];
            while (file.len < 1100 && (strcmp(k, "x y\r") == 0 || strcmp(k, "tail \t\r") == 0))
                k = kinds[rand() % 12];
            ap_buf_add(&file, k, strlen(k));
            if (i + 1 < n || rand() % 2)
                ap_buf_addc(&file, '\n');
        }
        for (int v3 = 0; v3 < 2; v3++) {
            ap_buf patch = AP_BUF_INIT;
            ap_buf_addf(&patch, v3 ? "e4a2f1b8 AP 3.2\n\ne4a2f1b8 FILE\na.txt\n"
                                   : "version: \"2.0\"\nchanges:\n  - file_path: \"a.txt\"\n    modifications:\n");
            for (int m = 0; m < marks; m++) {
                char name[32];
                snprintf(name, sizeof name, "MARK_%d_%d", m, at[m]);
                if (v3)
                    ap_buf_addf(&patch, "\ne4a2f1b8 REPLACE\n\ne4a2f1b8 snippet\n%s\n\ne4a2f1b8 content\nnew %d  \n",
                                name, m);
                else
                    ap_buf_addf(&patch,
                                "      - action: REPLACE\n        snippet: |\n          %s\n"
                                "        content: |\n          new %d\n",
                                name, m);
            }
            ap_buf_addc(&patch, 0);
            rendered a = render_once(file.s, file.len, patch.s, false), b = render_once(file.s, file.len, patch.s, true);
            ap_wide_off = true; /* the search by bytes, where AVX2 would read 32 at a time */
            rendered c = render_once(file.s, file.len, patch.s, false);
            ap_wide_off = false;
            CHECK(same(&a, &b));
            CHECK(same(&c, &b));
            rendered_files += a.ok && a.status == AP_FILE_MODIFIED;
            stripped += a.blanks_stripped > 0;
            rendered_free(&a);
            rendered_free(&b);
            rendered_free(&c);
            ap_buf_release(&patch);
        }
        ap_buf_release(&file);
    }
    /* both ways must have rendered, and stripped, often, or this tests nothing */
    printf("  render: %d files rendered, %d with untouched lines stripped\n", rendered_files, stripped);
    CHECK(rendered_files > 600);
    CHECK(stripped > 100);
}

int main(void)
{
    RUN(test_copied_as_line_by_line);
    return check_summary();
}
