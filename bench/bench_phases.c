/* bench_phases.c - where the time and memory of one `apls apply` go.
 *
 *   bench_phases --root DIR [--commit SCRATCH] PATCH
 *
 * Does in one process what `apls apply --dry-run` does (server/cli), with a
 * clock between the steps, and prints one JSON object (milliseconds, and
 * the peak resident set in KiB after each step):
 *   read_patch  the patch's bytes
 *   parse       ap_patch_parse
 *   paths       the provider's path checks (symbolic links, writability)
 *   load        reading the targets (open, fstat, read, the NUL check)
 *   index       ap_text_new on them: split, strip, hash, index
 *   resolve     ap_run_new without the three above
 *   render      ap_run_render of every file
 *   twice       ap_run_check_twice (the second run, in memory)
 *   diff        ap_diff_unified of every file (what --dry-run prints)
 *   commit      ap_commit_disk into SCRATCH, a copy of DIR (with --commit)
 * Targets are read through a provider of its own that times the disk
 * provider's path checks and reads the files as it does, so the engine is
 * measured from outside, without a hook. The CLI's record of applied
 * patches and its printing are not here; ladder.py reports them as the
 * difference to the real command. Exit status 1 when the patch does not
 * apply or a modification does not apply (the workload is then wrong). */
#include "ap.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* a moment on two clocks: wall (what the user waits; I/O included) and the
 * process's CPU time (what a loaded machine inflates least) */
typedef struct stamp {
    double wall, cpu;
} stamp;

static stamp now(void)
{
    struct timespec w, c;
    clock_gettime(CLOCK_MONOTONIC, &w);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
    return (stamp){w.tv_sec * 1e3 + w.tv_nsec / 1e6, c.tv_sec * 1e3 + c.tv_nsec / 1e6};
}

static void add_since(stamp *acc, stamp from)
{
    stamp t = now();
    acc->wall += t.wall - from.wall;
    acc->cpu += t.cpu - from.cpu;
}

static long peak_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* ------------------------------------------------------- the provider */

typedef struct timed_fs {
    ap_fs fs;
    ap_fs *disk;
    const char *root;
    stamp paths, load, index;
} timed_fs;

static ap_code timed_check(ap_fs *fs, const char *path, char **why)
{
    timed_fs *t = (timed_fs *)fs;
    stamp t0 = now();
    ap_code rc = t->disk->check_path(t->disk, path, why);
    add_since(&t->paths, t0);
    return rc;
}

static ap_code timed_writable(ap_fs *fs, const char *path, char **why)
{
    timed_fs *t = (timed_fs *)fs;
    stamp t0 = now();
    ap_code rc = t->disk->writable ? t->disk->writable(t->disk, path, why) : AP_OK;
    add_since(&t->paths, t0);
    return rc;
}

/* What stands at a path, as the disk provider says (a stat): without it
 * the engine would load a file to learn that it is one, and every target
 * of a 3.2 patch would be read and indexed twice here but not in apls. */
static ap_path_kind timed_kind(ap_fs *fs, const char *path)
{
    timed_fs *t = (timed_fs *)fs;
    stamp t0 = now();
    ap_path_kind k = t->disk->kind(t->disk, path);
    add_since(&t->paths, t0);
    return k;
}

static char *read_all(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    if (n == cap)
        buf = realloc(buf, cap + 1);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static ap_code timed_load(ap_fs *fs, const char *path, ap_text **out, char **why)
{
    timed_fs *t = (timed_fs *)fs;
    char full[8192];
    snprintf(full, sizeof full, "%s/%s", t->root, path);
    stamp t0 = now();
    size_t len = 0;
    char *buf = read_all(full, &len);
    if (!buf) {
        add_since(&t->load, t0);
        return errno == ENOENT ? AP_FILE_NOT_FOUND : AP_IO_ERROR;
    }
    bool binary = memchr(buf, '\0', len) != NULL;
    add_since(&t->load, t0);
    stamp t1 = now();
    if (binary) {
        free(buf);
        *why = strdup("binary");
        return AP_FILE_NOT_TEXT;
    }
    *out = ap_text_adopt(buf, len); /* as the disk provider: the bytes as read */
    add_since(&t->index, t1);
    return AP_OK;
}

/* ------------------------------------------------------------ the run */

int main(int argc, char **argv)
{
    /* the memory policy of apls check and apply (server/main.c) */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    ap_use_huge_pages();
    const char *root = NULL, *scratch = NULL, *patch_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
            root = argv[++i];
        else if (strcmp(argv[i], "--commit") == 0 && i + 1 < argc)
            scratch = argv[++i];
        else if (!patch_path && argv[i][0] != '-')
            patch_path = argv[i];
        else
            patch_path = NULL, i = argc;
    }
    if (!root || !patch_path) {
        fprintf(stderr, "usage: bench_phases --root DIR [--commit SCRATCH] PATCH\n");
        return 2;
    }
    enum { READ_PATCH, PARSE, PATHS, LOAD, INDEX, RESOLVE, RENDER, TWICE, DIFF, COMMIT, N_PHASES };
    static const char *const names[N_PHASES] = {"read_patch", "parse", "paths", "load", "index",
                                                "resolve", "render", "twice", "diff", "commit"};
    stamp ph[N_PHASES] = {{0, 0}};
    long peak[N_PHASES] = {0};

    stamp t0 = now();
    size_t len = 0;
    char *text = read_all(patch_path, &len);
    if (!text) {
        fprintf(stderr, "bench_phases: cannot read %s\n", patch_path);
        return 2;
    }
    add_since(&ph[READ_PATCH], t0);
    t0 = now();
    ap_patch *patch = ap_patch_parse(text, len);
    add_since(&ph[PARSE], t0);
    peak[PARSE] = peak_kib();

    timed_fs tfs = {{timed_check, timed_load, timed_writable, NULL, NULL, NULL, NULL, timed_kind},
                    ap_fs_disk_new(root), root, {0, 0}, {0, 0}, {0, 0}};
    ap_options o = AP_OPTIONS_INIT;
    t0 = now();
    ap_run *run = ap_run_new(patch, &tfs.fs, &o);
    add_since(&ph[RESOLVE], t0);
    ph[PATHS] = tfs.paths;
    ph[LOAD] = tfs.load;
    ph[INDEX] = tfs.index;
    ph[RESOLVE].wall -= tfs.paths.wall + tfs.load.wall + tfs.index.wall;
    ph[RESOLVE].cpu -= tfs.paths.cpu + tfs.load.cpu + tfs.index.cpu;
    peak[RESOLVE] = peak_kib();
    /* the CLI checks twice, then renders; check_twice renders every file
     * itself and a run renders a file once, so rendering first measures it
     * alone and leaves the second run to `twice` */
    t0 = now();
    for (size_t i = 0; i < run->n_files; i++)
        ap_run_render(run, i);
    add_since(&ph[RENDER], t0);
    peak[RENDER] = peak_kib();
    t0 = now();
    ap_run_check_twice(run, &o);
    add_since(&ph[TWICE], t0);
    peak[TWICE] = peak_kib();
    t0 = now();
    size_t diff_bytes = 0;
    for (size_t i = 0; i < run->n_files; i++) {
        char *d = NULL;
        size_t n = 0;
        ap_diff_unified(&run->files[i], &d, &n);
        diff_bytes += n;
        free(d);
    }
    add_since(&ph[DIFF], t0);
    peak[DIFF] = peak_kib();
    char *why = NULL;
    ap_code committed = AP_OK;
    if (scratch && run->ok) {
        /* the transaction writes through the disk provider its run read
         * (it re-checks what it read): resolve the scratch copy untimed,
         * then time its commit alone */
        ap_fs *sfs = ap_fs_disk_new(scratch);
        ap_run *srun = ap_run_new(patch, sfs, &o);
        for (size_t i = 0; i < srun->n_files; i++)
            ap_run_render(srun, i);
        bool unchanged = true;
        t0 = now();
        committed = srun->ok ? ap_commit_disk(srun, sfs, &why, &unchanged) : AP_IO_ERROR;
        add_since(&ph[COMMIT], t0);
        ap_run_free(srun);
        ap_fs_disk_free(sfs);
    }
    peak[COMMIT] = peak_kib();

    size_t applies = 0, total = 0;
    for (size_t c = 0; c < patch->n_changes; c++)
        for (size_t m = 0; m < patch->changes[c].n_mods; m++, total++)
            applies += run->mods[c][m].state == AP_MOD_APPLIES;
    bool ok = run->ok && !patch->has_errors && applies == total && committed == AP_OK;
    printf("{\"ok\": %s, \"mods\": %zu, \"applies\": %zu, \"files\": %zu, \"diff_bytes\": %zu",
           ok ? "true" : "false", total, applies, run->n_files, diff_bytes);
    const char *clock_names[2] = {"wall_ms", "cpu_ms"};
    for (int c = 0; c < 2; c++) {
        printf(",\n \"%s\": {", clock_names[c]);
        for (int i = 0; i < N_PHASES; i++)
            printf("%s\"%s\": %.3f", i ? ", " : "", names[i], c ? ph[i].cpu : ph[i].wall);
        printf("}");
    }
    printf(",\n \"peak_kib\": {");
    for (int i = PARSE, first = 1; i < N_PHASES; i++) {
        if (i == PATHS || i == LOAD || i == INDEX)
            continue; /* measured inside ap_run_new */
        printf("%s\"%s\": %ld", first ? "" : ", ", names[i], peak[i]);
        first = 0;
    }
    printf("}}\n");
    if (!ok)
        fprintf(stderr, "bench_phases: %zu of %zu modifications apply%s%s\n", applies, total,
                why ? "; commit: " : "", why ? why : "");
    free(why);
    ap_run_free(run);
    ap_patch_free(patch);
    ap_fs_disk_free(tfs.disk);
    free(text);
    return ok ? 0 : 1;
}
