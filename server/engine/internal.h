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
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* INSERT_AFTER or INSERT_BEFORE: puts its content at a place its locator
 * names and takes no line away (the two kinds the engine treats alike). */
static inline bool ap_action_inserts(ap_action a)
{
    return a == AP_INSERT_AFTER || a == AP_INSERT_BEFORE;
}

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

/* ---------------------------------------------------------- rules.c */

/* What a patch's format decides, read by the resolver and the renderer
 * where the formats differ (one code path, no "if 3.2" scattered). */
typedef struct ap_rules {
    ap_format format;
    bool strict;           /* parsed with AP_PARSE_STRICT */
    /* finding */
    bool hybrid;           /* 3.6: a locator's first line may follow decoration */
    bool sequential;       /* 3.2: cursor, self-written text, repeated locators,
                            * anchor disambiguation and overlap, boundaries,
                            * scope_end, the nesting guard, LOCATOR_CONSUMED */
    bool retry;            /* failed modifications are tried again after a
                            * pass that applied something (75) */
    bool reversed_range;   /* a snippet_tail before its snippet closes the
                            * range backwards (c17) */
    /* writing */
    bool content_verbatim; /* content keeps its own indentation (3.2); else it
                            * takes the region's (2.0) */
    bool reindent_flat;    /* content at column 0 for an indented place takes
                            * the place's indentation (c14) */
    bool strip_untouched;  /* trailing blanks go from every line written (2.0;
                            * --trailing-whitespace inserted keeps them) */
    bool final_newline;    /* a file the patch changes ends with a break (c44) */
    bool bracket_check;    /* warn when a balanced file is left unbalanced */
    bool file_ops;         /* 3.2 file operations; CREATE over an empty file */
    ap_code tail_not_found; /* END_SNIPPET_NOT_FOUND or SNIPPET_TAIL_NOT_FOUND */
} ap_rules;

const ap_rules *ap_rules_of(const ap_patch *p);

/* ----------------------------------------------------------- text.c */

/* Length of the white-space character at s (Python's str.isspace set, as the
 * reference patcher strips), or 0. */
size_t ap_ws_len(const char *s, size_t n);
/* Length of the white-space character ending at s + n, or 0. */
size_t ap_ws_len_before(const char *s, size_t n);
/* The stripped part of s: *off and *len. */
void ap_strip(const char *s, size_t n, size_t *off, size_t *len);

/* 24 bytes: a changed file holds two texts of these, one per line (issue
 * 12, docs/engine.md). The hash is a filter only: a use that groups lines by
 * it compares their bytes too. */
#define AP_LINE_HASH_BITS 29
typedef struct ap_line {
    const char *s;     /* first byte (not owned) */
    uint32_t len;      /* bytes without the line break */
    uint32_t s_off;    /* stripped text: s + s_off, s_len bytes */
    uint32_t s_len;
    uint32_t hash : AP_LINE_HASH_BITS; /* ap_line_hash of the stripped text */
    uint32_t eol : 2;  /* AP_EOL_LF / CRLF / CR, or 0 for none */
    uint32_t blank : 1; /* nothing but white space */
} ap_line;
_Static_assert(sizeof(ap_line) == 24 || sizeof(void *) != 8, "ap_line grew");

/* (ap_hash's last n - i bytes, n - i < 8 and i a multiple of 8, as a
 * little-endian word zero above; apart for its test) */
uint64_t ap_hash_tail(const char *s, size_t n, size_t i);

/* The line hash: the top bits of ap_hash, so that lines sorted by it come
 * in the order the 64-bit hash gives (ties aside). */
static inline uint32_t ap_line_hash(const char *s, size_t n)
{
    return (uint32_t)(ap_hash(s, n) >> (64 - AP_LINE_HASH_BITS));
}

/* Splits s into lines where its own line ending says (ap_text_break_of); a
 * final line break does not start another line. Fills line (including hash)
 * for every line. */
void ap_line_init(ap_line *l, const char *s, uint32_t len, uint8_t eol);
size_t ap_split_lines(const char *s, size_t n, ap_line **out);

static inline int ap_line_eq(const ap_line *a, const ap_line *b)
{
    return a->hash == b->hash && a->s_len == b->s_len &&
           (a->s_len == 0 || __builtin_memcmp(a->s + a->s_off, b->s + b->s_off, a->s_len) == 0);
}

/* An order of lines by stripped text: by hash, then length, then bytes;
 * 0 exactly when ap_line_eq. */
static inline int ap_line_cmp(const ap_line *a, const ap_line *b)
{
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    if (a->s_len != b->s_len)
        return a->s_len < b->s_len ? -1 : 1;
    int c = a->s_len ? __builtin_memcmp(a->s + a->s_off, b->s + b->s_off, a->s_len) : 0;
    return (c > 0) - (c < 0);
}

/* similar.c: what the scan for similar lines reads of a line. */
typedef struct ap_bigram_row {
    uint64_t set;   /* its character bigrams, hashed to 64 bits */
    uint32_t len;   /* its stripped length */
    uint16_t pop;   /* bits in set */
    uint16_t blank;
} ap_bigram_row;

struct ap_text {
    int refs;
    char *bytes;
    size_t len;
    ap_line *lines;
    uint32_t n;
    uint32_t *next_nb;     /* next_nb[i]: first non-blank line >= i, or n; made on first use */
    /* hash index of the non-blank lines, made on first use: occ holds their
     * numbers sorted by (hash, line); the lines whose hash has its top
     * bucket_bits bits equal to b are occ[bucket[b] .. bucket[b + 1]) */
    uint32_t *bucket;
    uint32_t bucket_bits;
    uint32_t *occ;
    ap_eol eol;            /* the ending it uses (AP_EOL_AUTO: none found) */
    uint32_t bom;          /* bytes of a UTF-8 byte order mark before line 1 (0 or 3) */
    bool has_nul;
    struct ap_bigram_row *bigrams; /* similar.c: each line's bigram set, made on first use */
    uint64_t *word_sets;   /* words.c: each line's set of words, made on first use */
    /* ap_text_borrow_copied: the bytes are another's (the rendered bytes
     * a run's file owns), not freed with the text */
    bool borrowed;
    /* ap_text_pack_lines: lines is NULL and the records wait here, without
     * what splitting the bytes gives back (where each line starts, its
     * length and break); ap_text_unpack_lines makes them again */
    struct ap_packed_line *packed;
    /* indent.c: how its indented lines begin, counted on first use */
    bool indent_known;
    uint32_t tab_led, space_led; /* lines led by a tab, by two spaces or more */
    uint32_t space_unit;   /* the step of its space indentation (2..8), or 0 */
    bool not_tab_file;     /* known not tab-indented, from a part of it */
    /* hybrid.c: the lines whose stripped text starts with decoration, with
     * their soft keys, in text order (deco_refs, made on the first soft
     * search or taken over from the text a rendered one was copied from,
     * kept by ap_text_drop_tables: a few bytes a decorated line), and in
     * slots by soft key (deco_start: mask + 2 run starts), made from them on
     * the first lookup */
    struct ap_deco_ref *deco_refs;
    bool deco_known;
    uint32_t *deco_start;
    uint32_t *deco_lines;
    uint32_t n_deco, deco_mask;
    /* brackets.c: the lexical state and depth at each line start, made on
     * first use */
    struct ap_bracket_map *brackets;
    /* brackets.c: 1 when every line provably starts outside comments and
     * strings (no ` and each slash-star closed on its line), -1 when not
     * shown, 0 not asked yet */
    int8_t starts_in_code;
    /* brackets.c: the balance read without a map (ap_brackets_balance) */
    bool balance_known;
    int64_t balance;
};

/* The byte lines break at in s[0..n): '\n' when it holds any LF (a CR before
 * it makes a CRLF, a lone CR is content) or no CR, else '\r'. */
char ap_text_break_of(const char *s, size_t n);
/* The same for a text already split. */
char ap_text_break(const ap_text *t);

/* The text ap_text_new would make of the lines' bytes, each followed by an
 * LF, without stripping and hashing them again; NULL when those bytes would
 * split into other lines (one ends in a CR or holds an LF, the first starts
 * with a byte order mark) or there are none: then ap_text_new. */
ap_text *ap_text_join(const ap_line *const *src, uint32_t n);

/* ap_text_adopt of bytes whose NULs the caller has looked for already
 * (the disk provider refuses a file holding one). */
ap_text *ap_text_adopt_known(char *bytes, size_t len, bool has_nul);

/* ap_text_drop_tables, and the line records too: only the bytes (and the
 * line count) stay. Nothing may read the text's lines afterwards. */
void ap_text_drop_lines(ap_text *t);

/* Keeps of each line record only what splitting and stripping the bytes
 * again does not give back (its hash word: 4 bytes instead of 24), for a
 * text whose lines nobody reads for a while: the command line's first run,
 * between a changed file's group and its rendering. The tables go too. Until
 * ap_text_unpack_lines, nothing may read the lines (lines is NULL); the
 * records it makes are those the text had. */
void ap_text_pack_lines(ap_text *t);
void ap_text_unpack_lines(const ap_text *t);

/* Tests: render.c asks every untouched line alone whether it is copied as
 * it stands, without first reading the bytes for what may keep one from it. */
extern bool ap_render_plain;
/* ap_text_adopt of bytes rendered from src (render.c), which copied src's
 * lines [line, end_line) at out for each of the runs in copied: those
 * lines' records are taken from src instead of being split, stripped and
 * hashed again. Its tables, as every text's, are made on first use. */
ap_text *ap_text_adopt_copied(char *bytes, size_t len, const ap_text *src, const ap_hunk *copied,
                              size_t n_copied);

/* Hands the whole pages of memory freed inside the heap back to the system
 * (a command's heap, after ap_use_huge_pages; elsewhere nothing) once the
 * free memory not reused since the last time reaches 1 MiB (util.c): the
 * twice check frees the first run's tables in the middle of the heap, where
 * the rendered bytes that come next do not fit, so they would stay resident
 * beside them; holes the next file's records fill are left alone. */
void ap_heap_release(void);

/* Wide instructions the processor has (cpu.c): AVX2 (with POPCNT, which
 * every AVX2 processor has), POPCNT; both false where ap_wide_off is set,
 * which tests set to compare every wide reading with its plain one. */
bool ap_cpu_avx2(void);
bool ap_cpu_popcnt(void);
extern bool ap_wide_off;

/* The same over bytes the text does not own (a run's rendered bytes, which
 * must outlive it): the twice check's text of a file, made when its group
 * is resolved and let go after, while the file keeps the bytes. */
ap_text *ap_text_borrow_copied(const char *bytes, size_t len, const ap_text *src, const ap_hunk *copied,
                               size_t n_copied);

/* A file of a memory provider whose text is made at each load by make(ctx)
 * (one reference, the loader's), and kept by nobody else: it lives as long
 * as the run that loaded it holds it (twice.c, with groups_alone).
 * ap_fs_mem_get does not answer for it. */
void ap_fs_mem_put_made(ap_fs *fs, const char *path, ap_text *(*make)(void *ctx), void *ctx);

/* The lines whose stripped hash is h, ascending; *count of them. */
const uint32_t *ap_text_occ(const ap_text *t, uint32_t h, uint32_t *count);

/* A text's tables beside its lines (the non-blank skips, the hash index,
 * the bigram rows, the decorated lines, the bracket map) are made on their
 * first use, each alone (a text only read, or searched only where no blank
 * line is met, never pays for the skips: fresh memory is the largest cost
 * of opening a patch, docs/bench.md); ap_text_drop_tables frees them when
 * no search is expected any more (twice.c: the texts a command has
 * rendered), and they are made again on the next use. ap_text_build_tables
 * makes the skips and the index now. */
void ap_text_drop_tables(ap_text *t);
void ap_text_build_tables(const ap_text *t);
const uint32_t *ap_text_make_next_nb(const ap_text *t);

static inline const uint32_t *ap_text_next_nb(const ap_text *t)
{
    return t->next_nb ? t->next_nb : ap_text_make_next_nb(t);
}

/* --------------------------------------------------------- hybrid.c */

/* How many bytes at the front of s[0, n) are decoration: white space,
 * comment openers, bullets, diff markers, list numbering. */
size_t ap_decoration_len(const char *s, size_t n);
/* Does target hold pattern line pat as a soft first line: equal, or its
 * stripped text is pat's after a front of decoration? */
bool ap_soft_eq(const ap_line *target, const ap_line *pat);
/* The hash of a line's stripped text without its decoration front: equal
 * for two lines ap_soft_eq relates. */
uint64_t ap_soft_key(const ap_line *l);
/* The base lines of t whose text starts with decoration and whose soft key
 * is key, ascending; *count of them. A few lines of other keys may be among
 * them: check each with ap_soft_eq. */
const uint32_t *ap_text_decorated(ap_text *t, uint64_t key, uint32_t *count);

/* A decorated line and its soft key. */
struct ap_deco_ref {
    uint64_t key;
    uint32_t line;
};

/* A copied run of a rendered text: its lines [line, line + n) are src's
 * [src_line, src_line + n), records and all (ap_text_adopt_copied). */
typedef struct ap_line_run {
    uint32_t line, src_line, n;
} ap_line_run;
/* The decorated lines of t, a text rendered from src whose copied runs
 * (ascending) are runs: src's for the lines of the runs (a line's soft key
 * is a function of its stripped text, which a copied record keeps), each
 * other line asked alone. Nothing when src has not listed its own: t then
 * lists them on its first soft search, as any text. */
void ap_text_inherit_decorated(ap_text *t, const ap_text *src, const ap_line_run *runs, size_t n_runs);
/* now replaces before (ap_text_follow), the two alike in their first pre
 * and last suf bytes (pre + suf at most the shorter's length): the lines
 * wholly inside those take their decorated lines over, the lines between
 * are asked alone. */
void ap_decorated_follow(ap_text *now, const ap_text *before, size_t pre, size_t suf);

/* The same for t joined from lines (ap_text_join): the runs of base's own
 * records among them are the copied runs (applied.c's probes join a view's
 * lines, most of them its base's). */
void ap_text_inherit_decorated_lines(ap_text *t, const ap_text *base, const ap_line *const *lines,
                                     uint32_t n);
/* The same for t joined from the lines of view v in order (applied.c's
 * text_of_view): the base's runs read from the splices. */
struct ap_view;
void ap_text_inherit_decorated_view(ap_text *t, const struct ap_view *v);

/* -------------------------------------------------------- pattern.c */

/* What a snippet, anchor or content is searched as: its non-blank lines,
 * stripped. */
typedef struct ap_pattern {
    ap_line *lines;     /* every line of the value */
    uint32_t n_lines;
    uint32_t *nb;       /* indexes of the non-blank lines in lines */
    uint32_t n;         /* how many non-blank lines: the pattern's length */
    bool soft;          /* 3.2 hybrid: the first line may follow decoration */
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
    bool created;  /* written by CREATE: the new file's text, not text the
                    * run wrote into a file (3.2 matches it like original) */
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
/* Replaces the lines [from, to) with lines[0..n) (copied, text included).
 * Returns where the line after the new ones now stands. */
ap_pos ap_view_replace(ap_view *v, ap_pos from, ap_pos to, const ap_nline *lines, uint32_t n);
/* Where [from, to) stands in the base text. */
ap_tspan ap_view_tspan(const ap_view *v, ap_pos from, ap_pos to);
/* How many logical lines the view holds. */
uint64_t ap_view_size(const ap_view *v);

/* ------------------------------------------------------- brackets.c */

/* The balance part of ap_text_follow: can now take before's balance
 * over, and take it over (pre and suf as ap_decorated_follow's). */
bool ap_brackets_can_follow(const ap_text *now, const ap_text *before);
void ap_brackets_follow(ap_text *now, const ap_text *before, size_t pre, size_t suf);

/* Bracket nesting while reading source line by line (strings and comments
 * skipped). Zero-initialised: the start of a text. */
typedef struct ap_brackets {
    int64_t depth;
    int64_t low;         /* the lowest depth a closer left (set it to start) */
    char quote;          /* the open string's quote, or 0 */
    bool block_comment;
    bool escaped;
    bool clamp;          /* a closer never takes the depth below 0 */
} ap_brackets;

/* Reads one line (without its break) and the break after it. */
void ap_brackets_line(ap_brackets *b, const char *s, size_t n);
/* The bracket balance of a whole text / view (unclamped: 0 is balanced).
 * A text's is read once and kept (its map); a view's costs its edits. */
int64_t ap_brackets_text(ap_text *t);
int64_t ap_brackets_view(const ap_view *v);
void ap_bracket_map_free(struct ap_bracket_map *m);
/* Does every edit of the view read as nothing (no depth, no open comment or
 * string) whatever it starts in? Then the view's balance is its base's,
 * known without reading the base. */
bool ap_brackets_edits_neutral(const ap_view *v);
/* The view's balance less its base's, read from the edits alone (the base's
 * lines are not read: only its bytes searched for ` and slash-star), when
 * every base line starts in code and every insert ends there. False when
 * that cannot be shown: ask ap_brackets_view then. */
bool ap_brackets_edits_delta(const ap_view *v, int64_t *delta);
/* ap_brackets_text's answer; without making the map where every line starts
 * in code (one run over the bytes, about a third of the map's cost). */
int64_t ap_brackets_balance(ap_text *t);

/* The (clamped) depth at each line start of a view, in text order, from
 * the start: what scope_end and the nesting guard ask. Base lines are
 * crossed by their text's map, not read again. */
typedef struct ap_depth_walk {
    const ap_view *v;
    const struct ap_bracket_map *map;
    ap_pos p;        /* the line whose start the walk stands at (or the end) */
    ap_brackets b;   /* unclamped */
    uint32_t next_sp; /* no splice before it starts after p */
} ap_depth_walk;
void ap_depth_walk_begin(ap_depth_walk *w, const ap_view *v);
bool ap_depth_walk_at_end(const ap_depth_walk *w);
/* The depth at the start of line w->p. */
int64_t ap_depth_walk_depth(const ap_depth_walk *w);
/* To the next line (nothing at the end). */
void ap_depth_walk_next(ap_depth_walk *w);
/* To the first line at or after p (the end at most); from the start again
 * when p is behind. *top (when given): the last line passed at depth 0. */
void ap_depth_walk_to(ap_depth_walk *w, ap_pos p, ap_pos *top);
/* On while the depth is above d (to the end at most). */
void ap_depth_walk_while_deeper(ap_depth_walk *w, int64_t d);

/* ---------------------------------------------------------- scope.c */

/* scope_end: where the block that the located lines [first, last] open
 * ends (*end: the line after it, or the end of the view). false when they
 * open none. */
bool ap_scope_end(const ap_view *v, ap_pos first, ap_pos last, ap_pos *end);

/* -------------------------------------------------------- nesting.c */

/* The nesting guard: when an insert at `at` (after: INSERT_AFTER) of
 * content c would put a self-contained top-level declaration inside a
 * block, *moved is where it belongs (past the end of the enclosing block,
 * or before its first line) and the answer is true. */
bool ap_nesting_guard(const ap_view *v, ap_pos at, const ap_pattern *c, bool after, ap_pos *moved);

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
/* Each match starting at or after from, in order, given to found until it
 * returns false: a caller that wants the first match passing a test of its
 * own reads the matches up to that one only. */
void ap_find_each(const ap_view *v, const ap_pattern *pat, ap_pos from,
                  bool (*found)(void *ctx, ap_match m), void *ctx);
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
/* ap_similar_lines from the view's beginning, the answer kept with the
 * text's bigram rows when the view has no splice (the same question of the
 * same text is asked again: docs/engine.md, "The same scan asked twice"). */
size_t ap_similar_whole(const ap_view *v, const ap_line *line, ap_similar *out, size_t max);
/* The set of a string's character bigrams, hashed to 64 bits. */
uint64_t ap_bigram_set(const char *s, size_t n);
/* Tests only: how many scans ap_similar_lines has made. */
extern size_t ap_similar_scans;
/* match.c, for tests: how a longer soft pattern is searched: -1 by what
 * each way would cost, 0 from its other lines, 1 from its first line's. */
extern int ap_soft_heads_first;
/* Puts (pos, score) into out[0, *n) (at most max), best first, text order
 * on ties; a full out takes only a better score than its last. */
void ap_similar_keep(ap_similar *out, size_t *n, size_t max, ap_pos pos, double score);

/* ---------------------------------------------------------- myers.c */

/* Are item i of the first sequence and item j of the second equal? */
typedef bool (*ap_seq_eq)(void *ctx, uint32_t i, uint32_t j);

/* One difference: items [a0, a1) of the first sequence stand where items
 * [b0, b1) of the second do. */
typedef struct ap_delta {
    uint32_t a0, a1, b0, b1;
} ap_delta;

/* The differences of two sequences of n and nb items (a shortest edit
 * script: Myers, in linear space), in order, never touching each other;
 * *out (malloc'd, NULL when none) holds them and their count is returned.
 * Past `budget` steps (0: none) what is left is reported coarser (whole
 * ranges), never wrong. */
size_t ap_diff_seq(uint32_t n, uint32_t nb, ap_seq_eq eq, void *ctx, uint64_t budget,
                   ap_delta **out);

/* Levenshtein distance of two byte strings. */
size_t ap_edit_distance(const char *a, size_t na, const char *b, size_t nb);

/* How alike two lines are, 0..1 (1 - edit distance / longer length, on
 * their stripped texts). */
double ap_line_ratio(const ap_line *a, const ap_line *b);
/* What ap_line_ratio can give at most for stripped lengths na and nb (the
 * distance is at least their difference), computed as it computes. */
double ap_ratio_bound(size_t na, size_t nb);

/* ---------------------------------------------------------- align.c */

typedef enum ap_step_kind {
    AP_STEP_SAME,      /* a pattern line and a file line, equal */
    AP_STEP_ALTERED,   /* a pattern line and a file line, alike */
    AP_STEP_INVENTED,  /* a pattern line the file does not have */
    AP_STEP_DROPPED    /* a file line inside the block the pattern left out */
} ap_step_kind;

typedef struct ap_step {
    uint8_t kind;
    uint32_t p;        /* pattern line (index among its non-blank lines) */
    ap_pos f;          /* file line (non-blank; not for INVENTED) */
} ap_step;

/* The block of a view a pattern that matched nowhere most likely names. */
typedef struct ap_block {
    ap_pos first, last;    /* its first and last (non-blank) lines */
    ap_step *steps;        /* every pattern line and block line, in order */
    uint32_t n_steps;
    uint32_t same, altered, invented, dropped;
    double alike;          /* how alike the altered lines are, summed */
    bool unique;           /* no other place fits as well, and the lines
                            * pair up one way only */
    bool guess;            /* a line could pair with another copy */
} ap_block;

/* The closest block to pat at or after scope, found without a pass over
 * the file (align.c says how); false when no line of a pattern of several
 * lines stands anywhere (a one-line pattern takes its closest line). */
bool ap_closest_block(const ap_view *v, const ap_pattern *pat, ap_pos scope, ap_block *out);
void ap_block_release(ap_block *b);

/* ---------------------------------------------------------- merge.c */

/* A REPLACE's change (snippet -> content) carried over to the block b its
 * snippet names, as a three-way merge would. */
typedef struct ap_carry {
    char *content;         /* the merged content: LF lines, relative to the
                            * block's first line (malloc'd) */
    size_t len;
    bool clean;            /* no line both the block and the content change */
    uint32_t conflict_p;   /* the first snippet line (non-blank index) of a
                            * conflict, or UINT32_MAX */
    ap_pos conflict_f;     /* else the block line the snippet left out there */
    bool has_conflict_f;
} ap_carry;

/* Merges; returns out->clean. Free out with ap_carry_release. */
bool ap_carry_over(const ap_view *v, const ap_block *b, const ap_pattern *snip, const ap_pattern *content,
                   ap_carry *out);
void ap_carry_release(ap_carry *c);

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
/* Adds a fix (taking text over); returns it, not preferred. */
ap_fix *ap_problem_fix(ap_problem *p, ap_span span, char *text, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
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
/* The fix text that sets field f (its key spelled `name` unless f says)
 * to value, and the span it replaces: a literal block over key and value in
 * 2.0, the value's lines over the value in 3.2. NULL when the format cannot
 * hold the value there. */
char *ap_set_field(const ap_patch *p, const ap_field *f, const char *name, const char *value, size_t len,
                   ap_span *span);
/* The same for a field the modification lacks, added after field `after`
 * (2.0: its keys at column key_col). */
char *ap_add_field(const ap_patch *p, const ap_field *after, uint32_t key_col, const char *name,
                   const char *value, size_t len, ap_span *span);
/* Adds the preferred fix that removes field f (its key and value lines). */
void ap_fix_drop_field(ap_problem *pr, const ap_patch *p, const ap_field *f, const char *title);
/* The column of byte off of the patch (bytes since its line's start). */
uint32_t ap_patch_column(const ap_patch *p, uint32_t off);
/* The lines [first, last] of v as a value for a snippet: blank lines empty,
 * the others without the first line's indentation (*len bytes, malloc'd). */
char *ap_block_value(const ap_view *v, ap_pos first, ap_pos last, size_t *len);
/* Adds line l and a line break to b, without first's indentation (or, less
 * indented than first, without its own): how a file line is written in a
 * snippet or content whose first line is `first`. */
void ap_add_rebased(ap_buf *b, const ap_line *l, const ap_line *first);

/* ---------------------------------------------------------- applied.c */

/* Why the last group-level applied check said what it said (for the tests). */
extern const char *ap_group_verdict;

/* ---------------------------------------------------------- parse.c */

/* A parse reports at most this many problems, then says it stopped. */
#define AP_MAX_PARSE_PROBLEMS 1000

/* How many ap_patch_reparse calls parsed one item only (for the tests). */
extern unsigned long ap_reparse_hits;

/* Every field of a modification (for walks that treat them alike). */
#define AP_MOD_FIELDS 11
void ap_mod_fields(ap_mod *m, ap_field *out[AP_MOD_FIELDS]);
/* Offsets at or after `at` move by d (a change moved over by a reparse). */
void ap_change_shift(ap_change *c, uint32_t at, int64_t d);
/* Leaves an old change taken over by a reparse hollow: its values now belong
 * to the new patch; its span stays, for ap_run_reuse to compare texts. */
void ap_change_hollow(ap_change *c);
void ap_field_shift(ap_field *f, uint32_t at, int64_t d);
void ap_problem_shift(ap_problem *p, uint32_t at, int64_t d);
/* Frees what a change holds (its modifications, its fields), not its span. */
void ap_change_fields_free(ap_change *c);

/* -------------------------------------------------------- reparse3.c */

/* ap_patch_reparse for a 3.2 patch old edited into text: old's bytes
 * [P, OE) became text's [P, OE + len - old->len). The FILE blocks the edit
 * touched parsed again, the others moved over; NULL and *why when a whole
 * parse is needed (docs/format-3.md, "Parsing again after an edit"). */
ap_patch *ap_reparse3(ap_patch *old, const char *text, size_t len, uint32_t P, uint32_t OE, const char **why);

/* --------------------------------------------------------- parse3.c */

/* Reads p->text (3.2) into p: changes, header, id, problems (unsorted). */
void ap_parse3(ap_patch *p);
/* Parses the lines of p->text[from, to) into p (its changes numbered from
 * 0, its problems unsorted) as the whole parse of a patch with old's id
 * would read them after a FILE line (from) up to a FILE line (to), or up to
 * old's tail (last: the last block, read as terminated or not as old was).
 * p->text is the whole new text: its bytes before from are old's. false
 * when the lines meet END or adopt a drifted id: then the blocks after them
 * would read otherwise. */
bool ap_parse3_region(ap_patch *p, const ap_patch *old, uint32_t from, uint32_t to, bool last);
/* Is the line t[s, e) a FILE directive of a patch whose id has id_len bytes
 * (the line starts with the id)? */
bool ap_parse3_file_line(const char *t, uint32_t s, uint32_t e, size_t id_len);
/* Is the line s[0, n) a markdown fence (``` or ~~~)? */
bool ap_parse3_fence(const char *s, size_t n);
/* Would the line s[0, n), outside a fenced block, be read as a directive
 * whose id drifted from a patch id of id_len bytes? */
bool ap_parse3_drift_like(const char *s, size_t n, size_t id_len);
/* Why a snippet_tail is dropped as redundant with the snippet (or the
 * content), or NULL: the parser's range correction, which writers must
 * not trigger. */
const char *ap_range_redundant(ap_action a, const ap_field *snippet, const ap_field *tail,
                               const ap_field *content);

/* ---------------------------------------------------------- write.c */

/* An id of 8 hexadecimal digits, made from text, that no line of text
 * starts with (followed by a blank): out gets 9 bytes. */
void ap_fresh_id(const char *text, size_t len, char out[9]);

/* ---------------------------------------------------------- paths.c */

/* (ap_path_normalize is public: ap.h) */
/* ap_path_normalize for a path that may name a folder ("new_dir/" -> "new_dir"). */
char *ap_path_normalize_any(const char *path, size_t len, const char **why);
/* Reports every file of the run whose path is a folder of another's ("x"
 * and "x/y"): no disk can hold both. */
void ap_paths_conflicts(ap_run *run, const ap_patch *patch);

/* --------------------------------------------------------- beneath.c */

/* Opens path (normalized, relative; "" is dirfd itself) below dirfd without
 * following any symbolic link on the way or at the end: -1 with errno
 * (ELOOP: a link; ENOENT; ENOTDIR) otherwise. O_CLOEXEC is added. */
int ap_open_beneath(int dirfd, const char *path, int flags, mode_t mode);
int ap_open_dir_beneath(int dirfd, const char *path);
/* *dir: path's folder part, "" at the top (malloc'd); *name: its last part. */
void ap_path_split(const char *path, char **dir, const char **name);

/* ---------------------------------------------------------- fileio.c */

bool ap_write_all(int fd, const char *s, size_t n);
/* Everything left in fd (malloc'd, *len bytes), or NULL with errno (EFBIG
 * past limit). */
char *ap_read_fd(int fd, size_t limit, size_t *len);
/* The same into a buffer sized for expect bytes (0: unknown). Both leave a
 * NUL after the bytes read (ap_text_adopt takes such a buffer). */
char *ap_read_fd_sized(int fd, size_t expect, size_t limit, size_t *len);
/* Size and ap_hash of the regular file name in dirfd (never through a link). */
bool ap_hash_at(int dirfd, const char *name, uint64_t *size, uint64_t *hash);
/* A new file `to` beside `from` in dirfd with its bytes and metadata, synced. */
bool ap_copy_new_at(int dirfd, const char *from, const char *to, char **why);
/* Rewrites the existing file `to` in place with the bytes of `from`, synced;
 * its setuid and setgid bits survive where the user may set them. */
bool ap_copy_into_at(int dirfd, const char *from, const char *to);

/* ------------------------------------------------------------ meta.c */

/* Gives `to` what `cp -a` keeps of `from` (whose stat is st): owner and
 * group where allowed, extended attributes and ACLs, then the mode. */
bool ap_meta_copy(int from, const struct stat *st, int to, char **why);

/* --------------------------------------------------------- fs_disk.c */

/* What a file was when it was read: the commit's re-check compares it. */
typedef struct ap_stamp {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    bool known;
} ap_stamp;

int ap_fs_disk_rootfd(ap_fs *fs);          /* -1: not a disk provider or no root */
const char *ap_fs_disk_root(ap_fs *fs);    /* the root as given, for messages */
bool ap_fs_disk_links_ok(ap_fs *fs);       /* through links (in place) allowed */
const ap_stamp *ap_fs_disk_stamp(ap_fs *fs, const char *path);

/* --------------------------------------------------------- fs_list.c */

/* The disk provider's exists and list (ap_fs, ap.h). */
bool ap_disk_exists(ap_fs *fs, const char *path);
bool ap_disk_list(ap_fs *fs, void (*each)(void *ctx, const char *path), void *ctx);

/* --------------------------------------------------------- journal.c */

#define AP_JOURNAL ".apls-journal"

/* One target of an apply, as the journal records it. */
typedef struct ap_jentry {
    char *path;             /* root-relative, canonical */
    char kind;              /* 'R' replaced by rename, 'C' created, 'I' rewritten in place;
                             * 3.2 operations on paths: 'D' deleted (moved to bak, then
                             * removed), 'M' moved to path2 */
    char tmp[48], bak[48];  /* names in its folder; "" when it has none */
    uint64_t old_size, old_hash, new_size, new_hash;
    int dirfd;              /* its folder, held (-1: not reached) */
    bool shared_fd;         /* dirfd belongs to an earlier entry of the same folder */
    char *path2;            /* 'M': where it goes */
    int dirfd2;             /* 'M': that folder, held (-1: not reached) */
} ap_jentry;

typedef struct ap_journal {
    int rootfd;             /* borrowed */
    int fd;                 /* the journal file while written, else -1 */
    ap_jentry *e;
    size_t n;
    char **dirs;            /* folders the apply makes, parents first */
    size_t n_dirs;
    bool sealed, undo;
} ap_journal;

char *ap_journal_format(const ap_journal *j, size_t *len);
/* 1: a whole intent; 0: cut short before its end; -1: not a journal. */
int ap_journal_parse(const char *s, size_t n, ap_journal *j);
void ap_journal_release(ap_journal *j);
/* Writes the intent (O_EXCL), synced with its folder. */
bool ap_journal_begin(ap_journal *j, char **why);
/* Appends "sealed" or "undo", synced. */
bool ap_journal_mark(ap_journal *j, const char *record);
/* Opens the folder of every entry that has none yet, one descriptor per
 * folder (entries of one folder share it; the soft limit on open files is
 * raised to the hard one for patches touching many folders). */
void ap_journal_open_folders(ap_journal *j);
/* fsync of each folder held, once per folder: false if one fails. */
bool ap_journal_sync(const ap_journal *j);
/* Finishes the renames, removes the backups and the journal; false with
 * *why at the first step that fails (nothing is undone). */
bool ap_journal_forward(ap_journal *j, char **why);
/* Puts everything back and removes the journal; false with *trouble (what
 * could not be restored and where its old content is) and the journal kept. */
bool ap_journal_backward(ap_journal *j, char **trouble);
/* flock of the root: 0, or -1 when another process holds it. */
int ap_root_lock(int rootfd);
ap_recovery ap_recover_fd(int rootfd, const char *root, char **msg);
/* The same with the lock already held. */
ap_recovery ap_recover_locked(int rootfd, const char *root, char **msg);

#endif
