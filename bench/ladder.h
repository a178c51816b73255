/* ladder.h - one target file of the benchmark ladder and its modifications,
 * written in both formats (2.0 YAML and 3.2), with the text applying them
 * must give.
 *
 * The modifications are the point actions every patcher of either format
 * resolves the same way: REPLACE, INSERT_AFTER, INSERT_BEFORE and DELETE
 * located by a snippet, some of them after an anchor. They run top to
 * bottom (3.2 searches after the previous modification), snippets without
 * anchor are unique in the whole file, and every region a content is
 * written into starts (and for INSERT_AFTER also ends) at column 0, so
 * 2.0's "indent like the region" and 3.2's "content as written" agree. */
#ifndef APLS_BENCH_LADDER_H
#define APLS_BENCH_LADDER_H

#include <stddef.h>
#include <stdint.h>

enum { LADDER_REPLACE, LADDER_INSERT_AFTER, LADDER_INSERT_BEFORE, LADDER_DELETE, LADDER_ANCHORED, LADDER_KINDS };

typedef struct ladder_file {
    char *target; /* the file before, LF line breaks */
    size_t target_len;
    uint32_t target_lines;
    char *expected; /* the file after */
    size_t expected_len;
    char *mods20; /* the modifications as 2.0 list items ("      - action: ...") */
    size_t mods20_len;
    char *mods32; /* the modifications as 3.2 action blocks, with the patch id */
    size_t mods32_len;
    uint32_t n_mods;
    uint32_t kinds[LADDER_KINDS];
    /* the first two functions, which no modification reads: the 0-based
     * lines of their comment and signature (the language-server benchmark
     * edits around them) */
    uint32_t spare[2][2];
} ladder_file;

/* Makes a target of `lines` lines and `mods` modifications over it. The
 * same arguments give the same bytes everywhere. id: the 3.2 patch id. */
void ladder_file_gen(ladder_file *lf, uint32_t lines, uint32_t mods, uint64_t seed, const char *id);
void ladder_file_free(ladder_file *lf);

#endif
