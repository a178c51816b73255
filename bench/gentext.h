/* gentext.h - what the benchmark's generators share: a synthetic C text
 * that knows how often each of its stripped lines occurs, so a generator
 * can pick snippets that match once, apply its modifications to it the way
 * the format says, and so know the exact result.
 *
 * The code is C-looking: functions with a comment, a signature, a body of
 * declarations, calls, loops and ifs. Nearly every line carries a unique
 * identifier; the rest are the lines real code repeats ("{", "}",
 * "break;", "return 0;", blank lines). Everything is deterministic: the
 * same seed gives the same bytes on every machine. */
#ifndef APLS_BENCH_GENTEXT_H
#define APLS_BENCH_GENTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *gt_xrealloc(void *p, size_t n);
char *gt_xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* a growable string, always NUL-terminated once used */
typedef struct gt_buf {
    char *s;
    size_t len, cap;
} gt_buf;

void gt_add(gt_buf *b, const char *s, size_t n);
void gt_adds(gt_buf *b, const char *s);
void gt_addf(gt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* splitmix64 */
uint64_t gt_rnd(uint64_t *s);
uint32_t gt_below(uint64_t *s, uint32_t n);

/* stripped line -> how many lines of the text have it */
typedef struct gt_slot {
    char *key; /* stripped text (owned), NULL when empty */
    size_t len;
    uint64_t hash;
    uint32_t count;
} gt_slot;

typedef struct gt_counts {
    gt_slot *t;
    size_t cap, used;
} gt_counts;

/* the text as lines (owned, without line breaks) and their counts */
typedef struct gt_text {
    char **v;
    size_t n, cap;
    gt_counts c;
} gt_text;

bool gt_blank(const char *s);
size_t gt_indent_of(const char *s);
uint32_t gt_count_of(gt_text *t, const char *line);
/* Inserts lines[0..k) (taken over) at i. */
void gt_insert(gt_text *t, size_t i, char **lines, size_t k);
void gt_erase(gt_text *t, size_t i, size_t k);
void gt_push(gt_text *t, char *line);
/* The lines joined, each ending in LF (malloc'd, *len bytes). */
char *gt_join(const gt_text *t, size_t *len);
void gt_text_free(gt_text *t);

typedef struct gt_gen {
    uint64_t rs;
    uint32_t uid; /* makes lines unique */
    gt_text t;
} gt_gen;

/* Appends one function (a comment line, a signature, "{", a body, "}" and
 * a blank line) to g->t. */
void gt_function(gt_gen *g);
/* New content for a modification: 1-5 lines (into out[0..8)), the first one
 * least indented, at column 0. Returns how many. */
size_t gt_content(gt_gen *g, char **out);

/* A random non-blank line in [from, to) that is unique now, or -1. */
long gt_unique_line(gt_gen *g, size_t from, size_t to);
/* The last line of the window of `want` non-blank lines from i (blank lines
 * inside are part of it). */
size_t gt_window_end(gt_gen *g, size_t i, uint32_t want);
/* Puts the indentation of `like` in front of each of lines[0..k), as a 2.0
 * patcher writes content. */
void gt_indent_lines(char **lines, size_t k, const char *like);
void gt_free_lines(char **lines, size_t k);

/* "        key: |\n" and the lines, dedented, as a 2.0 literal block. */
void gt_yaml_block(gt_buf *p, const char *key, char **lines, size_t k);

#endif
