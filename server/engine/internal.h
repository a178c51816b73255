/* internal.h - what the engine's files share and nobody else sees.
 *
 * Invariants (checked by the unit tests):
 *  - a line never includes its line break; eol says which break it had;
 *  - two lines match when their stripped texts are byte-equal; the hash is
 *    only a filter, every candidate is compared byte for byte;
 *  - the splices of a view are sorted, disjoint and never touch
 *    (sp[i].b < sp[i+1].a), so every logical line has one position. */
#ifndef APLS_INTERNAL_H
#define APLS_INTERNAL_H

#include "ap.h"

#include <stdarg.h>

/* ----------------------------------------------------------- util.c */

void *ap_xmalloc(size_t n);
void *ap_xcalloc(size_t n, size_t size);
void *ap_xrealloc(void *p, size_t n);
char *ap_xstrdup(const char *s);
char *ap_xmemdup(const char *s, size_t n); /* NUL-terminated copy */
char *ap_xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *ap_xvprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* A growable byte buffer, NUL-terminated after every append. */
typedef struct ap_buf {
    char *s;
    size_t len, cap;
} ap_buf;

#define AP_BUF_INIT {NULL, 0, 0}
void ap_buf_grow(ap_buf *b, size_t extra);
void ap_buf_add(ap_buf *b, const char *s, size_t n);
void ap_buf_adds(ap_buf *b, const char *s);
void ap_buf_addc(ap_buf *b, char c);
void ap_buf_addf(ap_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the bytes over (NUL-terminated, never NULL) and resets b. */
char *ap_buf_detach(ap_buf *b, size_t *len);
void ap_buf_release(ap_buf *b);

/* An append-only pool of bytes for the text of inserted lines; freed whole. */
typedef struct ap_arena {
    struct ap_arena_block *head;
} ap_arena;
char *ap_arena_copy(ap_arena *a, const char *s, size_t n);
void ap_arena_release(ap_arena *a);

#define AP_GROW(arr, n, cap)                                                  \
    do {                                                                      \
        if ((n) >= (cap)) {                                                   \
            (cap) = (cap) ? (cap) * 2 : 8;                                    \
            (arr) = ap_xrealloc((arr), (cap) * sizeof *(arr));                \
        }                                                                     \
    } while (0)

/* ----------------------------------------------------------- text.c */

/* Length of the white-space character at s (Python's str.isspace set, as the
 * reference patcher strips), or 0. */
size_t ap_ws_len(const char *s, size_t n);
/* Length of the white-space character ending at s + n, or 0. */
size_t ap_ws_len_before(const char *s, size_t n);
/* The stripped part of s: *off and *len. */
void ap_strip(const char *s, size_t n, size_t *off, size_t *len);
uint64_t ap_hash(const char *s, size_t n);

typedef struct ap_line {
    const char *s;     /* first byte (not owned) */
    uint32_t len;      /* bytes without the line break */
    uint32_t s_off;    /* stripped text: s + s_off, s_len bytes */
    uint32_t s_len;
    uint8_t eol;       /* AP_EOL_LF / CRLF / CR, or 0 for none */
    uint8_t blank;     /* nothing but white space */
    uint64_t hash;     /* of the stripped text */
} ap_line;

/* Splits s into lines at LF, CRLF and lone CR; a final line break does not
 * start another line. Fills line (including hash) for every line. */
void ap_line_init(ap_line *l, const char *s, uint32_t len, uint8_t eol);
size_t ap_split_lines(const char *s, size_t n, ap_line **out);

static inline int ap_line_eq(const ap_line *a, const ap_line *b)
{
    return a->hash == b->hash && a->s_len == b->s_len &&
           (a->s_len == 0 || __builtin_memcmp(a->s + a->s_off, b->s + b->s_off, a->s_len) == 0);
}

struct ap_text {
    int refs;
    char *bytes;
    size_t len;
    ap_line *lines;
    uint32_t n;
    uint32_t *next_nb;     /* next_nb[i]: first non-blank line >= i, or n */
    uint32_t *prev_nb;     /* prev_nb[i]: last non-blank line <= i, or UINT32_MAX */
    /* hash index of the non-blank lines: slot -> occ[start..start+count) */
    struct ap_slot {
        uint64_t hash;
        uint32_t start, count;
    } *slots;
    uint32_t mask;
    uint32_t *occ;         /* line numbers, ascending within a slot */
    ap_eol eol;            /* the ending it uses (AP_EOL_AUTO: none found) */
    bool has_nul;
    uint64_t *bigrams;     /* similar.c: each line's bigram set, made on first use */
};

/* The lines whose stripped hash is h, ascending; *count of them. */
const uint32_t *ap_text_occ(const ap_text *t, uint64_t h, uint32_t *count);

/* -------------------------------------------------------- pattern.c */

/* What a snippet, anchor or content is searched as: its non-blank lines,
 * stripped. */
typedef struct ap_pattern {
    ap_line *lines;     /* every line of the value */
    uint32_t n_lines;
    uint32_t *nb;       /* indexes of the non-blank lines in lines */
    uint32_t n;         /* how many non-blank lines: the pattern's length */
} ap_pattern;

void ap_pattern_init(ap_pattern *p, const char *s, size_t len);
void ap_pattern_release(ap_pattern *p);
static inline const ap_line *ap_pattern_at(const ap_pattern *p, uint32_t i)
{
    return &p->lines[p->nb[i]];
}

/* ----------------------------------------------------------- view.c */

/* A line a modification inserted. */
typedef struct ap_nline {
    ap_line l;
    int change, mod;
} ap_nline;

/* Base lines [a, b) replaced by lines[0..n). */
typedef struct ap_splice {
    uint32_t a, b;
    ap_nline *lines;
    uint32_t n, cap;
} ap_splice;

/* The text as the modifications applied so far left it: the base text plus
 * sorted splices. Costs memory and time in proportion to the edits, not to
 * the base, which stays shared and untouched. */
typedef struct ap_view {
    ap_text *base;
    ap_splice *sp;
    uint32_t nsp, cap;
    ap_arena arena;
    /* hashes of the live inserted lines: open addressing, count per hash */
    struct ap_hcount {
        uint64_t hash;
        uint32_t count;
    } *hc;
    uint32_t hc_mask, hc_used;
    int64_t size_delta;  /* logical lines minus base lines */
    bool changed;
} ap_view;

/* A logical line: base line `base` (sp < 0), or line k of splice sp (whose
 * a is `base`). The end of the text is {base->n, -1, 0}. */
typedef struct ap_pos {
    uint32_t base;
    int32_t sp;
    uint32_t k;
} ap_pos;

static inline uint64_t ap_pos_key(ap_pos p)
{
    return ((uint64_t)p.base << 33) | (p.sp < 0 ? (1ull << 32) : p.k);
}

void ap_view_init(ap_view *v, ap_text *base);
void ap_view_release(ap_view *v);
ap_pos ap_view_begin(const ap_view *v);
ap_pos ap_view_end(const ap_view *v);
bool ap_view_at_end(const ap_view *v, ap_pos p);
/* The first logical line at or after where base line l stands. */
ap_pos ap_view_seek(const ap_view *v, uint32_t l);
ap_pos ap_view_next(const ap_view *v, ap_pos p);
/* Is base line l still in the text (not replaced by a splice)? */
bool ap_view_base_alive(const ap_view *v, uint32_t l);
/* The line before p; false at the beginning. */
bool ap_view_prev(const ap_view *v, ap_pos p, ap_pos *out);
const ap_line *ap_view_line(const ap_view *v, ap_pos p);
/* The first non-blank line at or after p (may be the end). */
ap_pos ap_view_skip_blank(const ap_view *v, ap_pos p);
/* How many inserted lines live with hash h. */
uint32_t ap_view_new_count(const ap_view *v, uint64_t h);
/* Replaces the lines [from, to) with lines[0..n) (copied, text included). */
void ap_view_replace(ap_view *v, ap_pos from, ap_pos to, const ap_nline *lines, uint32_t n);
/* Where [from, to) stands in the base text. */
ap_tspan ap_view_tspan(const ap_view *v, ap_pos from, ap_pos to);
/* How many logical lines the view holds. */
uint64_t ap_view_size(const ap_view *v);

/* ---------------------------------------------------------- match.c */

typedef struct ap_match {
    ap_pos first, last; /* first and last matched (non-blank) lines */
} ap_match;

typedef struct ap_matches {
    ap_match *m;
    size_t n, cap;
} ap_matches;

/* The first match of pat starting at or after from. */
bool ap_find_first(const ap_view *v, const ap_pattern *pat, ap_pos from, ap_match *out);
/* Every match starting at or after from, in order (overlapping ones too);
 * stops once `limit` are found (0: no limit). Returns how many were found. */
size_t ap_find_all(const ap_view *v, const ap_pattern *pat, ap_pos from, size_t limit,
                   ap_matches *out);
/* Does pat match with its first line at p? */
bool ap_match_at(const ap_view *v, const ap_pattern *pat, ap_pos p, ap_match *out);
void ap_matches_release(ap_matches *m);

/* The longest leading run of pat (at least one line) that matches at or
 * after from: its length (0 if the first line is nowhere) and where. */
uint32_t ap_find_prefix(const ap_view *v, const ap_pattern *pat, ap_pos from, ap_match *where);

/* -------------------------------------------------------- similar.c */

typedef struct ap_similar {
    ap_pos pos;
    double score;  /* 0..1 */
} ap_similar;

/* Up to max lines at or after from most similar to line (score >= 0.5),
 * best first. Returns how many. */
size_t ap_similar_lines(const ap_view *v, const ap_line *line, ap_pos from, ap_similar *out,
                        size_t max);

/* -------------------------------------------------------- problem.c */

/* A new slot at the end of a problem list (every list grows through this). */
ap_problem *ap_problem_push(ap_problem **list, size_t *n);
ap_problem *ap_problem_addv(ap_problem **list, size_t *n, ap_code code, ap_severity sev,
                            ap_span span, int change, int mod, const char *fmt, va_list ap);
ap_problem *ap_problem_add(ap_problem **list, size_t *n, ap_code code, ap_severity sev,
                           ap_span span, int change, int mod, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
void ap_problem_relate(ap_problem *p, int file, ap_tspan where, ap_span span, const char *fmt,
                       ...) __attribute__((format(printf, 5, 6)));
void ap_problem_fix(ap_problem *p, ap_span span, char *text, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void ap_problems_free(ap_problem *list, size_t n);
/* Frees what one problem holds (not the problem itself). */
void ap_problem_release(ap_problem *p);
void ap_problems_sort(ap_problem *list, size_t n);

/* ---------------------------------------------------------- fixes.c */

/* Adds to an AMBIGUOUS_MATCH problem the fixes that pick one match: an
 * anchor, or a longer snippet. */
void ap_fixes_ambiguous(ap_problem *pr, const ap_patch *p, const ap_mod *m, const ap_view *v,
                        const ap_matches *many, const ap_pattern *pat);
/* Adds the fix that turns field f (key `name`) into a literal block. */
void ap_fix_literal(ap_problem *pr, const ap_patch *p, const ap_field *f, const char *name);

/* ---------------------------------------------------------- parse.c */

/* How many ap_patch_reparse calls parsed one item only (for the tests). */
extern unsigned long ap_reparse_hits;

/* paths.c: ap_path_normalize is public (ap.h) */

#endif
