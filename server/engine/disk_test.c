/* disk_test.c - the on-disk side: the journal's text, recovery in each
 * state a crash can leave, the walk that follows no link, canonical paths
 * and the commit's refusals. Works in a scratch folder under $TMPDIR. */
#include "check.h"
#include "internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char scratch[256];

static char *at(const char *rel)
{
    return ap_xprintf("%s/%s", scratch, rel);
}

static void put(const char *rel, const char *text)
{
    char *p = at(rel);
    FILE *f = fopen(p, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    free(p);
}

/* The file's content (static buffer), or "(none)". */
static const char *get(const char *rel)
{
    static char buf[4096];
    char *p = at(rel);
    FILE *f = fopen(p, "rb");
    free(p);
    if (!f)
        return "(none)";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static bool there(const char *rel)
{
    char *p = at(rel);
    struct stat st;
    bool ok = lstat(p, &st) == 0;
    free(p);
    return ok;
}

static void fresh(void)
{
    char *cmd = ap_xprintf("rm -rf '%s' && mkdir -p '%s'", scratch, scratch);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot reset %s\n", scratch);
    free(cmd);
}

static void test_journal_text(void)
{
    ap_journal j;
    memset(&j, 0, sizeof j);
    j.fd = -1;
    j.n = 2;
    j.e = ap_xcalloc(2, sizeof *j.e);
    j.e[0] = (ap_jentry){ap_xstrdup("a b/100% new.txt"), 'R', ".apls-0a-0.new", ".apls-0a-0.old", 3, 0x11, 4, 0xff, -1, false, NULL, -1};
    j.e[1] = (ap_jentry){ap_xstrdup("n/c.txt"), 'C', ".apls-0a-1.new", "", 0, 0, 2, 0x22, -1, false, NULL, -1};
    j.n_dirs = 1;
    j.dirs = ap_xcalloc(1, sizeof *j.dirs);
    j.dirs[0] = ap_xstrdup("n");
    size_t len;
    char *text = ap_journal_format(&j, &len);
    ap_journal back;
    memset(&back, 0, sizeof back);
    back.fd = -1;
    CHECK_INT(ap_journal_parse(text, len, &back), 1);
    CHECK_INT(back.n, 2);
    CHECK_INT(back.n_dirs, 1);
    if (back.n == 2) {
        CHECK_STR(back.e[0].path, "a b/100% new.txt");
        CHECK_INT(back.e[0].kind, 'R');
        CHECK_STR(back.e[0].bak, ".apls-0a-0.old");
        CHECK_INT(back.e[0].new_hash, 0xff);
        CHECK_STR(back.e[1].bak, "");
        CHECK_INT(back.e[1].new_size, 2);
    }
    CHECK(!back.sealed);
    ap_journal_release(&back);
    /* every cut before the end is "stopped while writing the intent" */
    const char *end = strstr(text, "end ");
    for (size_t cut = 0; cut < len; cut++) {
        memset(&back, 0, sizeof back);
        back.fd = -1;
        int r = ap_journal_parse(text, cut, &back);
        CHECK_INT(r, text + cut > strchr(end, '\n') ? 1 : 0);
        ap_journal_release(&back);
    }
    /* sealed, then undo */
    char *sealed = ap_xprintf("%ssealed\nundo\n", text);
    memset(&back, 0, sizeof back);
    back.fd = -1;
    CHECK_INT(ap_journal_parse(sealed, strlen(sealed), &back), 1);
    CHECK(back.sealed && back.undo);
    ap_journal_release(&back);
    free(sealed);
    free(text);
    ap_journal_release(&j);

    /* what is not a journal of apls, or would make it touch other files */
    static const char *const bad[] = {
        "my notes\n",
        "apls-journal 1\nfile R 1 1 1 1 ../x .apls-1-0.old a.txt\nend 1 0\n",
        "apls-journal 1\nfile R 1 1 1 1 .apls-1-0.new .apls-1-0.old ../a.txt\nend 1 0\n",
        "apls-journal 1\nfile R 1 1 1 1 .apls-1-0.new - a.txt\nend 1 0\n",
        "apls-journal 1\nfile R 1 1 1 1 .apls-1-0.new .apls-1-0.old /etc/passwd\nend 1 0\n",
        "apls-journal 1\ndir ../up\nend 0 1\n",
        "apls-journal 1\nend 2 0\n",
        "apls-journal 1\nend 0 0\nundo\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(&back, 0, sizeof back);
        back.fd = -1;
        int r = ap_journal_parse(bad[i], strlen(bad[i]), &back);
        if (r != -1)
            fprintf(stderr, "  accepted: %s", bad[i]);
        CHECK_INT(r, -1);
        ap_journal_release(&back);
    }
}

/* A journal for a.txt (old "a\n" -> new "A\n") and new d/c.txt ("c\n"). */
static char *two_file_journal(const char *extra)
{
    return ap_xprintf("apls-journal 1\ndir d\n"
                      "file R 2 %016llx 2 %016llx .apls-t-0.new .apls-t-0.old a.txt\n"
                      "file C 0 0 2 %016llx .apls-t-1.new - d/c.txt\nend 2 1\n%s",
                      (unsigned long long)ap_hash("a\n", 2), (unsigned long long)ap_hash("A\n", 2),
                      (unsigned long long)ap_hash("c\n", 2), extra);
}

static ap_recovery recover(void)
{
    char *msg = NULL;
    ap_recovery r = ap_recover(scratch, &msg);
    free(msg);
    return r;
}

/* A root as an apply of two_file_journal() can leave it: a.txt holding
 * a_text; with `prepared`, the temporary files, the folder d and the backup
 * (a hard link of a.txt) made; then the journal with `records` after its
 * intent. */
static void stage(const char *a_text, bool prepared, const char *records)
{
    fresh();
    put("a.txt", a_text);
    if (prepared) {
        put(".apls-t-0.new", "A\n");
        char *p = at("d");
        mkdir(p, 0777);
        free(p);
        put("d/.apls-t-1.new", "c\n");
        char *a = at("a.txt"), *b = at(".apls-t-0.old");
        CHECK(link(a, b) == 0);
        free(a);
        free(b);
    }
    char *j = two_file_journal(records);
    put(AP_JOURNAL, j);
    free(j);
}

static void test_recovery_states(void)
{
    /* unsealed, everything prepared: rolled back */
    stage("a\n", true, "");
    CHECK_INT(recover(), AP_RECOVER_ROLLED_BACK);
    CHECK_STR(get("a.txt"), "a\n");
    CHECK(!there("d") && !there(".apls-t-0.new") && !there(".apls-t-0.old") && !there(AP_JOURNAL));

    /* sealed, nothing renamed yet: finished */
    stage("a\n", true, "sealed\n");
    CHECK_INT(recover(), AP_RECOVER_FINISHED);
    CHECK_STR(get("a.txt"), "A\n");
    CHECK_STR(get("d/c.txt"), "c\n");
    CHECK(!there(".apls-t-0.new") && !there(".apls-t-0.old") && !there("d/.apls-t-1.new") && !there(AP_JOURNAL));

    /* sealed, a.txt renamed, then undo asked: the backup goes back */
    stage("a\n", true, "sealed\nundo\n");
    char *a = at("a.txt"), *n = at(".apls-t-0.new");
    CHECK(rename(n, a) == 0);
    free(n);
    CHECK_INT(recover(), AP_RECOVER_ROLLED_BACK);
    CHECK_STR(get("a.txt"), "a\n");
    CHECK(!there("d") && !there(".apls-t-0.old") && !there(AP_JOURNAL));

    /* sealed, but a.txt changed since: not finished over it, undone */
    stage("someone else\n", true, "sealed\n");
    CHECK_INT(recover(), AP_RECOVER_ROLLED_BACK);
    CHECK_STR(get("a.txt"), "someone else\n");
    CHECK(!there("d") && !there(".apls-t-0.old") && !there(AP_JOURNAL));

    /* the backup is gone and the file is new: the undo says so, the
     * journal stays */
    stage("A\n", false, "sealed\nundo\n");
    char *msg = NULL;
    CHECK_INT(ap_recover(scratch, &msg), AP_RECOVER_FAILED);
    CHECK(msg && strstr(msg, "could not put back 'a.txt'"));
    free(msg);
    CHECK(there(AP_JOURNAL));

    /* a live apply holds the lock: busy, nothing touched */
    int fd = open(scratch, O_RDONLY | O_DIRECTORY);
    CHECK(ap_root_lock(fd) == 0);
    msg = NULL;
    pid_t pid = fork();
    if (pid == 0) /* another process asks */
        _exit(ap_recover(scratch, &msg) == AP_RECOVER_BUSY ? 0 : 1);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(fd);
    CHECK(there(AP_JOURNAL));
    free(a);
}

static void test_walk_follows_no_link(void)
{
    fresh();
    char *p = at("real");
    mkdir(p, 0777);
    free(p);
    put("real/f.txt", "x\n");
    p = at("link");
    CHECK(symlink("real", p) == 0);
    free(p);
    int root = open(scratch, O_RDONLY | O_DIRECTORY);
    int fd = ap_open_beneath(root, "real/f.txt", O_RDONLY, 0);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    CHECK(ap_open_beneath(root, "link/f.txt", O_RDONLY, 0) < 0);
    CHECK(ap_open_dir_beneath(root, "link") < 0);
    fd = ap_open_dir_beneath(root, "");
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    close(root);
}

static void test_canonical_groups(void)
{
    fresh();
    char *p = at("real");
    mkdir(p, 0777);
    free(p);
    put("real/f.txt", "one\ntwo\n");
    put("g.txt", "g\n");
    p = at("link");
    CHECK(symlink("real", p) == 0);
    free(p);
    char *a = at("g.txt"), *b = at("h.txt");
    CHECK(link(a, b) == 0);
    free(a);
    free(b);
    ap_fs *fs = ap_fs_disk_new(scratch);
    char *c = fs->canonical(fs, "link/f.txt");
    CHECK_STR(c, "real/f.txt");
    free(c);
    CHECK(fs->canonical(fs, "real/f.txt") == NULL);
    CHECK(fs->canonical(fs, "g.txt") == NULL); /* the first name of a hard-linked file */
    c = fs->canonical(fs, "h.txt");
    CHECK_STR(c, "g.txt");
    free(c);
    c = fs->canonical(fs, "link/new/x.txt");
    CHECK_STR(c, "real/new/x.txt");
    free(c);

    const char *text = "version: \"2.0\"\nchanges:\n"
                       "  - file_path: \"link/f.txt\"\n    modifications:\n      - action: REPLACE\n"
                       "        snippet: |\n          one\n        content: |\n          ONE\n"
                       "  - file_path: \"real/f.txt\"\n    modifications:\n      - action: REPLACE\n"
                       "        snippet: |\n          two\n        content: |\n          TWO\n";
    ap_patch *pt = ap_patch_parse(text, strlen(text));
    ap_run *r = ap_run_new(pt, fs, NULL);
    CHECK(r->ok);
    CHECK_INT(r->n_files, 1);
    if (r->n_files == 1)
        CHECK_STR(r->files[0].path, "real/f.txt");
    char *why = NULL;
    bool unchanged = false;
    CHECK_INT(ap_commit_disk(r, fs, &why, &unchanged), AP_OK);
    CHECK(!why);
    CHECK_STR(get("real/f.txt"), "ONE\nTWO\n");
    ap_run_free(r);
    ap_patch_free(pt);
    ap_fs_disk_free(fs);
}

static void test_commit_refuses(void)
{
    fresh();
    put("a.txt", "a\n");
    const char *text = "version: \"2.0\"\nchanges:\n"
                       "  - file_path: \"a.txt\"\n    modifications:\n      - action: REPLACE\n"
                       "        snippet: |\n          a\n        content: |\n          A\n"
                       "  - file_path: \"n/c.txt\"\n    modifications:\n      - action: CREATE_FILE\n"
                       "        content: |\n          c\n";
    ap_patch *pt = ap_patch_parse(text, strlen(text));
    ap_fs *fs = ap_fs_disk_new(scratch);
    ap_run *r = ap_run_new(pt, fs, NULL);
    CHECK(r->ok);
    /* written by someone else between the read and the commit */
    put("a.txt", "b\n");
    char *why = NULL;
    bool unchanged = false;
    CHECK_INT(ap_commit_disk(r, fs, &why, &unchanged), AP_TARGET_CHANGED);
    CHECK(unchanged);
    CHECK(why && strstr(why, "'a.txt' changed since it was read") && strstr(why, "nothing was changed"));
    free(why);
    CHECK_STR(get("a.txt"), "b\n");
    CHECK(!there("n") && !there(AP_JOURNAL));
    ap_run_free(r);

    /* another apply's journal is there: nothing is written */
    put("a.txt", "a\n");
    r = ap_run_new(pt, fs, NULL);
    int fd = open(scratch, O_RDONLY | O_DIRECTORY);
    CHECK(ap_root_lock(fd) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        char *w = NULL;
        bool u;
        _exit(ap_commit_disk(r, fs, &w, &u) == AP_IO_ERROR && strstr(w, "another apls apply") ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(fd);
    CHECK_STR(get("a.txt"), "a\n");
    /* and once it is gone, the commit goes through */
    why = NULL;
    CHECK_INT(ap_commit_disk(r, fs, &why, &unchanged), AP_OK);
    free(why);
    CHECK_STR(get("a.txt"), "A\n");
    CHECK_STR(get("n/c.txt"), "c\n");
    ap_run_free(r);
    ap_fs_disk_free(fs);
    ap_patch_free(pt);

    /* new files only (the server's apply): paths must be plain */
    fs = ap_fs_disk_new(scratch);
    ap_new_file nf[2] = {{"m/one.txt", "1\n", 2}, {"m/../../x", "2\n", 2}};
    why = NULL;
    CHECK_INT(ap_disk_create(fs, nf, 2, &why), AP_INVALID_FILE_PATH);
    free(why);
    CHECK(!there("m"));
    why = NULL;
    CHECK_INT(ap_disk_create(fs, nf, 1, &why), AP_OK);
    free(why);
    CHECK_STR(get("m/one.txt"), "1\n");
    why = NULL;
    CHECK_INT(ap_disk_create(fs, nf, 1, &why), AP_FILE_EXISTS);
    free(why);
    /* a folder (3.2 CREATE without content) beside a file, in one transaction */
    ap_new_file nd[2] = {{"made/deep", NULL, 0}, {"m/two.txt", "2\n", 2}};
    why = NULL;
    CHECK_INT(ap_disk_create(fs, nd, 2, &why), AP_OK);
    free(why);
    CHECK(there("made/deep"));
    CHECK_STR(get("m/two.txt"), "2\n");
    ap_fs_disk_free(fs);
}

static void test_file_and_folder(void)
{
    ap_fs *fs = ap_fs_mem_new();
    const char *text = "version: \"2.0\"\nchanges:\n"
                       "  - file_path: \"x.txt\"\n    modifications:\n      - action: CREATE_FILE\n"
                       "        content: |\n          a\n"
                       "  - file_path: \"x\"\n    modifications:\n      - action: CREATE_FILE\n"
                       "        content: |\n          a\n"
                       "  - file_path: \"x/y\"\n    modifications:\n      - action: CREATE_FILE\n"
                       "        content: |\n          b\n";
    ap_patch *pt = ap_patch_parse(text, strlen(text));
    ap_run *r = ap_run_new(pt, fs, NULL);
    CHECK(!r->ok);
    int found = 0;
    for (size_t i = 0; i < r->n_problems; i++)
        if (r->problems[i].code == AP_INVALID_FILE_PATH && r->problems[i].change == 2 &&
            strstr(r->problems[i].message, "'x' would be a file and 'x/y'"))
            found++;
    CHECK_INT(found, 1);
    ap_run_free(r);
    ap_patch_free(pt);
    ap_fs_mem_free(fs);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/apls-disk-test-%d", tmp && *tmp ? tmp : "/tmp", (int)getpid());
    RUN(test_journal_text);
    RUN(test_recovery_states);
    RUN(test_walk_follows_no_link);
    RUN(test_canonical_groups);
    RUN(test_commit_refuses);
    RUN(test_file_and_folder);
    char *cmd = ap_xprintf("rm -rf '%s'", scratch);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", scratch);
    free(cmd);
    return check_summary();
}
