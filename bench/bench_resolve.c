/* bench_resolve.c - how fast the engine parses, resolves and renders, in
 * process, on the memory file provider (no disk in the figures).
 *
 *   bench_resolve [--quick] [--lines N] [--mods M] [--reps R] [--write DIR]
 *                 [--no-again]
 *
 * For every size (target lines x modifications; by default 1,000, 10,000
 * and 100,000 lines and 10, 100, 1,000 and 10,000 modifications) it makes
 * a synthetic target and patch (gen.c), then times, best of up to R runs:
 *   index    ap_fs_mem_put: the target split into lines and indexed
 *   parse    ap_patch_parse of the patch
 *   resolve  ap_run_new: every modification located and planned
 *   render   ap_run_render: the new bytes and hunks
 *   diff     ap_diff_unified (what apply --dry-run prints)
 * and prints one row per size. mods/s is modifications over parse + resolve
 * + render; MB/s is the target's size over index + resolve + render.
 *
 * Every run is checked: the patch must be ok, every modification must apply
 * (none already applied, none failed), and the new text must be exactly the
 * one the generator computed. "again" is what applying the result a second
 * time gives: "no-op" when every modification is recognised as applied
 * (--no-again skips it, for profiling the timed part alone).
 * Exit status 1 when a check fails. --quick runs the smallest size only (the
 * smoke test); --write DIR also writes DIR/src/big.c, DIR/patch.ap and
 * DIR/expected.c for the first size, for timing the command line. */
#include "ap.h"
#include "gen.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct timing {
    double index, parse, resolve, render, diff;
} timing;

static void keep_min(double *best, double v)
{
    if (*best < 0 || v < *best)
        *best = v;
}

/* Checks the first run; returns false (after saying why) when it is wrong. */
static bool verify(const bench_case *bc, const ap_patch *p, ap_run *run)
{
    bool good = true;
    if (p->has_errors || !run->ok) {
        size_t shown = 0;
        for (size_t i = 0; i < p->n_problems && shown < 5; i++, shown++)
            fprintf(stderr, "  parse: %s: %s\n", ap_code_name(p->problems[i].code),
                    p->problems[i].message);
        for (size_t i = 0; i < run->n_problems && shown < 5; i++)
            if (run->problems[i].severity == AP_ERROR) {
                fprintf(stderr, "  modification %d: %s: %s\n", run->problems[i].mod,
                        ap_code_name(run->problems[i].code), run->problems[i].message);
                shown++;
            }
        fprintf(stderr, "bench: the patch does not apply\n");
        good = false;
    }
    size_t applies = 0;
    for (size_t ch = 0; ch < p->n_changes; ch++)
        for (size_t md = 0; md < p->changes[ch].n_mods; md++)
            applies += run->mods[ch][md].state == AP_MOD_APPLIES;
    if (applies != bc->n_mods) {
        fprintf(stderr, "bench: %zu of %u modifications apply\n", applies, bc->n_mods);
        good = false;
    }
    if (run->n_files != 1 || !run->files[0].after) {
        fprintf(stderr, "bench: nothing rendered\n");
        return false;
    }
    const ap_file *f = &run->files[0];
    if (f->after_len != bc->expected_len || memcmp(f->after, bc->expected, f->after_len) != 0) {
        size_t i = 0;
        while (i < f->after_len && i < bc->expected_len && f->after[i] == bc->expected[i])
            i++;
        size_t line = 1;
        for (size_t k = 0; k < i; k++)
            line += bc->expected[k] == '\n';
        fprintf(stderr, "bench: the new text differs from the expected one at line %zu\n", line);
        good = false;
    }
    return good;
}

/* Applies the result again: "no-op", or how many modifications fail. */
static void again(ap_fs *fs, const ap_patch *p, ap_run *run, char *out, size_t n)
{
    ap_fs_mem_commit(fs, run);
    ap_run *r2 = ap_run_new(p, fs, NULL);
    size_t failed = 0, changed = 0;
    for (size_t md = 0; md < p->changes[0].n_mods; md++)
        failed += r2->mods[0][md].state == AP_MOD_FAILED;
    for (size_t i = 0; i < r2->n_files; i++) {
        ap_run_render(r2, i);
        changed += r2->files[i].status == AP_FILE_MODIFIED;
    }
    if (r2->ok && !changed)
        snprintf(out, n, "no-op");
    else
        snprintf(out, n, "%zu fail%s", failed, changed ? ", changes" : "");
    ap_run_free(r2);
}

static int write_file(const char *path, const char *s, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(s, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int write_case(const char *dir, const bench_case *bc)
{
    char path[4096];
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/src", dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/%s", dir, BENCH_FILE_PATH);
    if (write_file(path, bc->target, bc->target_len))
        return -1;
    snprintf(path, sizeof path, "%s/patch.ap", dir);
    if (write_file(path, bc->patch, bc->patch_len))
        return -1;
    snprintf(path, sizeof path, "%s/expected.c", dir);
    return write_file(path, bc->expected, bc->expected_len);
}

/* Benchmarks one size; returns false when a check failed. */
static bool no_again;

static bool bench_one(uint32_t lines, uint32_t mods, int max_reps, const char *write_dir)
{
    bench_case bc;
    bench_gen(&bc, lines, mods, 0x5eed);
    if (write_dir && write_case(write_dir, &bc))
        return false;
    timing best = {-1, -1, -1, -1, -1};
    bool ok = true;
    char again_s[32] = "-";
    double spent = 0;
    for (int rep = 0; rep < max_reps && (rep == 0 || spent < 3000); rep++) {
        double t0 = now_ms();
        ap_fs *fs = ap_fs_mem_new();
        ap_fs_mem_put(fs, BENCH_FILE_PATH, bc.target, bc.target_len, false);
        double t1 = now_ms();
        ap_patch *p = ap_patch_parse(bc.patch, bc.patch_len);
        double t2 = now_ms();
        ap_run *run = ap_run_new(p, fs, NULL);
        double t3 = now_ms();
        for (size_t i = 0; i < run->n_files; i++)
            ap_run_render(run, i);
        double t4 = now_ms();
        for (size_t i = 0; i < run->n_files; i++) {
            char *d;
            size_t dn;
            ap_diff_unified(&run->files[i], &d, &dn);
            free(d);
        }
        double t5 = now_ms();
        keep_min(&best.index, t1 - t0);
        keep_min(&best.parse, t2 - t1);
        keep_min(&best.resolve, t3 - t2);
        keep_min(&best.render, t4 - t3);
        keep_min(&best.diff, t5 - t4);
        spent += t5 - t0;
        if (rep == 0) {
            ok = verify(&bc, p, run);
            if (ok && !no_again)
                again(fs, p, run, again_s, sizeof again_s);
        }
        ap_run_free(run);
        ap_patch_free(p);
        ap_fs_mem_free(fs);
        if (!ok)
            break;
    }
    double work = best.parse + best.resolve + best.render;
    double read = best.index + best.resolve + best.render;
    printf("%7u %6u %9.1f %8.1f %8.2f %8.2f %10.2f %9.2f %7.2f %10.0f %8.1f  %-8s %s\n", lines, mods,
           bc.target_len / 1024.0, bc.patch_len / 1024.0, best.index, best.parse, best.resolve,
           best.render, best.diff, work > 0 ? mods / (work / 1e3) : 0,
           read > 0 ? (bc.target_len / 1048576.0) / (read / 1e3) : 0, again_s, ok ? "ok" : "FAILED");
    fflush(stdout);
    bench_case_free(&bc);
    return ok;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_resolve [--quick] [--lines N] [--mods M] [--reps R] [--write DIR] "
                    "[--no-again]\n");
}

int main(int argc, char **argv)
{
    uint32_t all_lines[] = {1000, 10000, 100000}, all_mods[] = {10, 100, 1000, 10000};
    uint32_t one_lines = 0, one_mods = 0;
    int reps = 5;
    bool quick = false;
    const char *write_dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (strcmp(argv[i], "--lines") == 0 && i + 1 < argc) {
            one_lines = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--mods") == 0 && i + 1 < argc) {
            one_mods = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            reps = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--no-again") == 0) {
            no_again = true;
        } else if (strcmp(argv[i], "--write") == 0 && i + 1 < argc) {
            write_dir = argv[++i];
        } else {
            usage();
            return 2;
        }
    }
    if (reps < 1)
        reps = 1;
    printf("%7s %6s %9s %8s %8s %8s %10s %9s %7s %10s %8s  %-8s %s\n", "lines", "mods", "target KB",
           "patch KB", "index ms", "parse ms", "resolve ms", "render ms", "diff ms", "mods/s", "MB/s",
           "again", "check");
    int failed = 0, passed = 0;
    for (size_t li = 0; li < sizeof all_lines / sizeof *all_lines; li++) {
        for (size_t mi = 0; mi < sizeof all_mods / sizeof *all_mods; mi++) {
            uint32_t lines = one_lines ? one_lines : all_lines[li];
            uint32_t mods = one_mods ? one_mods : all_mods[mi];
            if (quick && (li > 0 || mi > 1))
                continue;
            if (one_lines && li > 0)
                continue;
            if (one_mods && mi > 0)
                continue;
            bench_one(lines, mods, quick ? 1 : reps, write_dir) ? passed++ : failed++;
            write_dir = NULL; /* the first size only */
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
