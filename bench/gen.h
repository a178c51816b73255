/* gen.h - deterministic synthetic workloads for the benchmark: a target file
 * of realistic-looking C and a patch of modifications over it, together with
 * the text applying the patch must give. */
#ifndef APLS_BENCH_GEN_H
#define APLS_BENCH_GEN_H

#include <stddef.h>
#include <stdint.h>

enum {
    GEN_REPLACE,
    GEN_INSERT_AFTER,
    GEN_INSERT_BEFORE,
    GEN_DELETE,
    GEN_REPLACE_RANGE,
    GEN_DELETE_RANGE,
    GEN_ANCHORED,
    GEN_KINDS
};

typedef struct bench_case {
    char *target;          /* the file before, LF line breaks */
    size_t target_len;
    uint32_t target_lines;
    char *patch;           /* the .ap patch; its one file_path is "src/big.c" */
    size_t patch_len;
    char *expected;        /* the file after the patch */
    size_t expected_len;
    uint32_t n_mods;
    uint32_t kinds[GEN_KINDS]; /* how many of each kind */
} bench_case;

#define BENCH_FILE_PATH "src/big.c"

/* Makes a target of `lines` lines and a patch of `mods` modifications over
 * it. The same arguments always give the same bytes. Every modification is
 * made to apply: its snippet, anchor or range is unique where it must be in
 * the text the modifications before it leave, and its content is new. */
void bench_gen(bench_case *bc, uint32_t lines, uint32_t mods, uint64_t seed);
void bench_case_free(bench_case *bc);

#endif
