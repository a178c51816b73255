/* bench_gen.c - writes one rung of the benchmark ladder to a folder.
 *
 *   bench_gen --files F --lines L --mods M --out DIR [--seed S]
 *
 * F target files of L lines each (src/mNN/fNNN.c, ten to a folder) and M
 * modifications over them (M / F per file, the remainder on the first
 * files), made by ladder.c. Writes:
 *   DIR/tree/...         the targets, the root both patches are applied in
 *   DIR/expected/...     every target as applying either patch leaves it
 *   DIR/patch-2.0.ap     the modifications in YAML 2.0
 *   DIR/patch-3.2.ap     the same in 3.2
 *   DIR/manifest.json    sizes, and per file its path and spare lines
 * The same arguments give the same bytes everywhere. Exit status 1 on an
 * I/O error, 2 on bad arguments. */
#include "ladder.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PATCH_ID "be4c0a7d"

static int mkdirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

static int write_file(const char *dir, const char *rel, const char *s, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    if (mkdirs(path) != 0) {
        fprintf(stderr, "bench_gen: cannot make %s: %s\n", path, strerror(errno));
        return -1;
    }
    *slash = '/';
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(s, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "bench_gen: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* an appendable file */
static FILE *open_out(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        fprintf(stderr, "bench_gen: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

int main(int argc, char **argv)
{
    unsigned long files = 0, lines = 0, mods = 0, seed = 0x5eed;
    const char *out = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--files") == 0)
            files = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--lines") == 0)
            lines = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--mods") == 0)
            mods = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0)
            seed = strtoul(argv[i + 1], NULL, 0);
        else if (strcmp(argv[i], "--out") == 0)
            out = argv[i + 1];
        else
            files = 0;
    }
    if (!out || files == 0 || files > 10000 || lines < 100 || mods < files || argc % 2 == 0) {
        fprintf(stderr, "usage: bench_gen --files F --lines L (>= 100) --mods M (>= F) --out DIR "
                        "[--seed S]\n");
        return 2;
    }
    char tree[4096], expected[4096];
    snprintf(tree, sizeof tree, "%s/tree", out);
    snprintf(expected, sizeof expected, "%s/expected", out);
    if (mkdirs(out) != 0) {
        fprintf(stderr, "bench_gen: cannot make %s: %s\n", out, strerror(errno));
        return 1;
    }
    FILE *p20 = open_out(out, "patch-2.0.ap"), *p32 = open_out(out, "patch-3.2.ap"),
         *man = open_out(out, "manifest.json");
    if (!p20 || !p32 || !man)
        return 1;
    fprintf(p20, "# Summary: a synthetic patch of %lu modifications over %lu files of %lu lines.\n"
                 "#\n# Plan:\n#   1. Replace, insert and delete from the top of each file down.\n"
                 "version: \"2.0\"\nchanges:\n", mods, files, lines);
    fprintf(p32, "# Summary: a synthetic patch of %lu modifications over %lu files of %lu lines.\n"
                 "#\n# Plan:\n#   1. Replace, insert and delete from the top of each file down.\n\n"
                 PATCH_ID " AP 3.2\n\n", mods, files, lines);
    fprintf(man, "{\n  \"files\": %lu, \"lines\": %lu, \"mods\": %lu, \"seed\": %lu,\n"
                 "  \"id\": \"" PATCH_ID "\",\n  \"targets\": [\n", files, lines, mods, seed);
    unsigned long long target_bytes = 0, expected_bytes = 0;
    uint32_t kinds[LADDER_KINDS] = {0};
    int rc = 0;
    for (unsigned long f = 0; f < files && rc == 0; f++) {
        uint32_t m = (uint32_t)(mods / files + (f < mods % files ? 1 : 0));
        ladder_file lf;
        ladder_file_gen(&lf, (uint32_t)lines, m, seed * 1000003u + f, PATCH_ID);
        char rel[64];
        snprintf(rel, sizeof rel, "src/m%02lu/f%03lu.c", f / 10, f);
        if (write_file(tree, rel, lf.target, lf.target_len) != 0 ||
            write_file(expected, rel, lf.expected, lf.expected_len) != 0)
            rc = 1;
        fprintf(p20, "  - file_path: \"%s\"\n    modifications:\n", rel);
        fwrite(lf.mods20, 1, lf.mods20_len, p20);
        fprintf(p32, PATCH_ID " FILE\n%s\n\n", rel);
        fwrite(lf.mods32, 1, lf.mods32_len, p32);
        fprintf(man, "    {\"path\": \"%s\", \"bytes\": %zu, \"lines\": %u, \"mods\": %u, "
                     "\"spare\": [[%u, %u], [%u, %u]]}%s\n",
                rel, lf.target_len, lf.target_lines, lf.n_mods, lf.spare[0][0], lf.spare[0][1],
                lf.spare[1][0], lf.spare[1][1], f + 1 < files ? "," : "");
        target_bytes += lf.target_len;
        expected_bytes += lf.expected_len;
        for (int k = 0; k < LADDER_KINDS; k++)
            kinds[k] += lf.kinds[k];
        ladder_file_free(&lf);
    }
    fprintf(p32, PATCH_ID " END\n");
    fprintf(man, "  ],\n  \"target_bytes\": %llu, \"expected_bytes\": %llu,\n"
                 "  \"kinds\": {\"REPLACE\": %u, \"INSERT_AFTER\": %u, \"INSERT_BEFORE\": %u, "
                 "\"DELETE\": %u, \"anchored\": %u}\n}\n",
            target_bytes, expected_bytes, kinds[LADDER_REPLACE], kinds[LADDER_INSERT_AFTER],
            kinds[LADDER_INSERT_BEFORE], kinds[LADDER_DELETE], kinds[LADDER_ANCHORED]);
    if (fclose(p20) != 0 || fclose(p32) != 0 || fclose(man) != 0) {
        fprintf(stderr, "bench_gen: cannot write into %s\n", out);
        rc = 1;
    }
    return rc;
}
