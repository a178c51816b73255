/* suggest_test.c - a file_path naming no file (suggest.c, fs_list.c): where
 * apls looked and why, the files it most likely meant (a fix when one stands
 * out, preferred when the change's snippets are in it), the project's own
 * folder named twice, and the disk listing: bounded, hidden folders and
 * links left alone. */
#include "check.h"
#include "internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR "version: \"2.0\"\nchanges:\n"

static const ap_problem *find(const ap_run *r, ap_code code, int ch)
{
    for (size_t i = 0; i < r->n_problems; i++)
        if (r->problems[i].code == code && (ch < 0 || r->problems[i].change == ch))
            return &r->problems[i];
    return NULL;
}

static ap_fs *tree(void)
{
    ap_fs *fs = ap_fs_mem_new();
    ap_fs_mem_set_root(fs, "/home/u/myproj");
    const char *files[] = {"include/uv/version.h", "src/a.c", "src/util/a.h", "test/a.h", "docs/version.h"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        ap_fs_mem_put(fs, files[i], "#define UV_VERSION 1\nint a;\n", 28, false);
    return fs;
}

static ap_run *run_patch(ap_fs *fs, const char *src, ap_patch **p, const char *why)
{
    *p = ap_patch_parse(src, strlen(src));
    ap_options o = AP_OPTIONS_INIT;
    o.root_why = why;
    return ap_run_new(*p, fs, &o);
}

static void test_where_and_what(void)
{
    ap_fs *fs = tree();
    ap_patch *p;
    ap_run *r = run_patch(fs, HDR "  - file_path: uv/version.h\n    modifications:\n"
                                  "      - action: DELETE\n        snippet: |\n          int a;\n",
                          &p, "the patch's folder");
    const ap_problem *pr = find(r, AP_FILE_NOT_FOUND, 0);
    CHECK(pr != NULL);
    if (pr) {
        CHECK(strstr(pr->message, "apls looked for /home/u/myproj/uv/version.h (the root is the patch's folder)"));
        CHECK(strstr(pr->message, "did you mean include/uv/version.h?"));
        CHECK_INT(pr->n_fixes, 1);
        if (pr->n_fixes == 1) {
            CHECK_STR(pr->fixes[0].text, "include/uv/version.h");
            CHECK(pr->fixes[0].preferred); /* its snippet stands in it */
            CHECK_INT(pr->fixes[0].span.start, p->changes[0].file_path.span.start);
        }
    }
    ap_run_free(r);
    ap_patch_free(p);

    /* two files of that name, neither sharing a folder: named, no preferred */
    r = run_patch(fs, HDR "  - file_path: lib/a.h\n    modifications:\n"
                          "      - action: DELETE\n        snippet: |\n          int a;\n",
                  &p, NULL);
    pr = find(r, AP_FILE_NOT_FOUND, 0);
    CHECK(pr && strstr(pr->message, "files named a.h: test/a.h, src/util/a.h") != NULL);
    CHECK(pr && !strstr(pr->message, "the root is"));
    for (size_t i = 0; pr && i < pr->n_fixes; i++)
        CHECK(!pr->fixes[i].preferred);
    ap_run_free(r);
    ap_patch_free(p);

    /* one stands out but its text is not the one meant: a fix, not preferred */
    r = run_patch(fs, HDR "  - file_path: src/version.h\n    modifications:\n"
                          "      - action: DELETE\n        snippet: |\n          nowhere\n",
                  &p, NULL);
    pr = find(r, AP_FILE_NOT_FOUND, 0);
    CHECK(pr && pr->n_fixes >= 1);
    if (pr && pr->n_fixes >= 1)
        CHECK(!pr->fixes[0].preferred);
    ap_run_free(r);
    ap_patch_free(p);

    /* nothing of that name */
    r = run_patch(fs, HDR "  - file_path: x/nothing.c\n    modifications:\n"
                          "      - action: DELETE\n        snippet: |\n          a\n",
                  &p, NULL);
    pr = find(r, AP_FILE_NOT_FOUND, 0);
    CHECK(pr && strstr(pr->message, "no file named nothing.c under the root") != NULL);
    CHECK(pr && pr->n_fixes == 0);
    ap_run_free(r);
    ap_patch_free(p);
    ap_fs_mem_free(fs);
}

/* A run that wants states only (the twice check's second) reads no
 * candidate to prefer a fix: that decides no state, and that run reads each
 * file once (twice.c lets a file's new bytes go after its group). */
static ap_text *counted(void *ctx)
{
    int *n = ctx;
    (*n)++;
    return ap_text_new("int a;\n", 7);
}

static void test_states_only_reads_no_candidate(void)
{
    for (int states = 0; states < 2; states++) {
        ap_fs *fs = ap_fs_mem_new();
        ap_fs_mem_set_root(fs, "/home/u/myproj");
        int loads = 0;
        ap_fs_mem_put_made(fs, "include/uv/version.h", counted, &loads);
        const char *src = HDR "  - file_path: uv/version.h\n    modifications:\n"
                              "      - action: DELETE\n        snippet: |\n          int a;\n";
        ap_patch *p = ap_patch_parse(src, strlen(src));
        ap_options o = AP_OPTIONS_INIT;
        o.states_only = states == 1;
        ap_run *r = ap_run_new(p, fs, &o);
        CHECK_INT(r->mods[0][0].state, AP_MOD_NOT_RUN); /* its file failed */
        const ap_problem *pr = find(r, AP_FILE_NOT_FOUND, 0);
        CHECK(pr && pr->n_fixes == 1);
        CHECK_INT(loads, states ? 0 : 1);
        if (pr && pr->n_fixes == 1)
            CHECK(pr->fixes[0].preferred == !states);
        ap_run_free(r);
        ap_patch_free(p);
        ap_fs_mem_free(fs);
    }
}

static void test_project_folder(void)
{
    ap_fs *fs = tree();
    ap_patch *p;
    const char *src = HDR "  - file_path: myproj/src/a.c\n    modifications:\n"
                          "      - action: REPLACE\n        snippet: |\n          int a;\n"
                          "        content: |\n          int b;\n";
    ap_run *r = run_patch(fs, src, &p, NULL);
    CHECK(r->ok);
    const ap_problem *pr = find(r, AP_PROJECT_FOLDER, 0);
    CHECK(pr != NULL);
    if (pr) {
        CHECK_INT(pr->severity, AP_WARNING);
        CHECK(strstr(pr->message, "read as src/a.c") != NULL);
        CHECK(pr->n_fixes == 1 && pr->fixes[0].preferred);
    }
    CHECK_INT(r->n_files, 1);
    if (r->n_files == 1)
        CHECK_STR(r->files[0].path, "src/a.c");
    ap_run_free(r);
    ap_patch_free(p);
    /* a new file in a folder that exists */
    src = HDR "  - file_path: myproj/src/new.c\n    modifications:\n"
              "      - action: CREATE_FILE\n        content: |\n          x\n";
    r = run_patch(fs, src, &p, NULL);
    CHECK(r->ok && r->n_files == 1 && strcmp(r->files[0].path, "src/new.c") == 0);
    ap_run_free(r);
    ap_patch_free(p);
    /* a folder named like the root in the root: the path is meant */
    ap_fs_mem_put(fs, "myproj/src/a.c", "int a;\n", 7, false);
    src = HDR "  - file_path: myproj/src/a.c\n    modifications:\n"
              "      - action: DELETE\n        snippet: |\n          int a;\n";
    r = run_patch(fs, src, &p, NULL);
    CHECK(find(r, AP_PROJECT_FOLDER, -1) == NULL);
    CHECK(r->n_files == 1 && strcmp(r->files[0].path, "myproj/src/a.c") == 0);
    ap_run_free(r);
    ap_patch_free(p);
    /* another first folder: no guess */
    src = HDR "  - file_path: other/src/a.c\n    modifications:\n"
              "      - action: DELETE\n        snippet: |\n          int a;\n";
    r = run_patch(fs, src, &p, NULL);
    CHECK(find(r, AP_PROJECT_FOLDER, -1) == NULL);
    CHECK(find(r, AP_FILE_NOT_FOUND, 0) != NULL);
    ap_run_free(r);
    ap_patch_free(p);
    ap_fs_mem_free(fs);
}

/* ------------------------------------------------------------- on disk */

static void count(void *ctx, const char *path)
{
    (void)path;
    (*(size_t *)ctx)++;
}

static void remember(void *ctx, const char *path)
{
    char *seen = ctx;
    strcat(seen, path);
    strcat(seen, ";");
}

static void test_disk_listing(void)
{
    char dir[] = "/tmp/apls-suggest-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *cmd = ap_xprintf("mkdir -p %s/a/b %s/.git/objects %s/node_modules/x %s/out && "
                           "touch %s/a/b/f.h %s/top.c %s/.git/objects/f.h %s/node_modules/x/f.h && "
                           "ln -s %s %s/loop && ln -s /etc %s/out/etc",
                           dir, dir, dir, dir, dir, dir, dir, dir, dir, dir, dir);
    CHECK(system(cmd) == 0);
    free(cmd);
    ap_fs *fs = ap_fs_disk_new(dir);
    char seen[4096] = "";
    CHECK(fs->list(fs, remember, seen));
    /* the files, nearest first; nothing hidden, no node_modules, no link */
    CHECK_STR(seen, "top.c;a/b/f.h;");
    CHECK(fs->exists(fs, "a/b"));
    CHECK(!fs->exists(fs, "a/c"));
    CHECK(fs->root(fs)[0] == '/');
    ap_fs_disk_free(fs);
    /* bounded: a tree larger than the bound is cut short */
    cmd = ap_xprintf("mkdir -p %s/many && cd %s/many && seq 1 %d | xargs touch", dir, dir, AP_LIST_ENTRIES + 100);
    CHECK(system(cmd) == 0);
    free(cmd);
    fs = ap_fs_disk_new(dir);
    size_t n = 0;
    CHECK(!fs->list(fs, count, &n));
    CHECK(n <= AP_LIST_ENTRIES);
    ap_fs_disk_free(fs);
    cmd = ap_xprintf("rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    free(cmd);
}

int main(void)
{
    RUN(test_where_and_what);
    RUN(test_project_folder);
    RUN(test_states_only_reads_no_candidate);
    RUN(test_disk_listing);
    return check_summary();
}
