/* resolve.h - what the files of the resolver share: run.c (the run: paths,
 * loading, the order of work, reuse), resolve.c (one modification on a
 * view), applied.c (recognising what is already applied beyond one
 * modification) and explain.c (what a failure tells the user). Nothing
 * outside these files includes it. */
#ifndef APLS_RESOLVE_H
#define APLS_RESOLVE_H

#include "internal.h"

/* The patterns of one modification, and the rules of its patch's format. */
typedef struct mod_pats {
    ap_pattern anchor, snippet, end, content;
    bool has_anchor, has_end;
    const ap_rules *rules;
} mod_pats;

/* Where a 3.2 modification searches, in the order its file group runs
 * (ap.md 3.2): matches must start at or after the cursor the modifications
 * before it left; a locator repeated on purpose takes its first match. A
 * NULL context: from the top, not repeated (2.0 always). */
typedef struct seq_ctx {
    ap_pos cursor;
    bool has_cursor;
    bool repeat;
    bool probe;            /* an applied-check probe: the run's own output is
                            * never a match, not even as a last resort */
} seq_ctx;

/* What resolving one modification found. */
typedef struct outcome {
    ap_mod_state state;
    ap_code code;
    const char *why;
    bool has_anchor, has_region;
    bool edge;             /* 3.2: the region starts at '^' or ends at '$'
                            * (no snippet line stands for it) */
    ap_match anchor, snip, end;
    ap_pos from, to;       /* the region [from, to), widened */
    ap_pos at;             /* INSERT_*: where the content goes */
    ap_matches many;       /* AMBIGUOUS_*: every place */
    int fail_field;        /* 0 anchor, 1 snippet or start, 2 end */
    /* 3.2 */
    bool sets_cursor;      /* ALREADY_APPLIED: next is where the next
                            * modification searches from */
    ap_pos next;
    bool moved;            /* the nesting guard moved the insert to `at` */
    bool reversed;         /* snippet_tail stood before the snippet */
    bool scope_ignored;    /* scope_end asked, the snippet opens no block */
    bool reported;         /* the failure is reported already */
    bool behind;           /* a deletion's text stands only before the
                            * cursor: a later pass deletes it; if none
                            * comes, it counts as deleted (3.2 order) */
} outcome;

/* What locating the start of a modification gave. */
typedef enum locate_result { LOC_FOUND, LOC_NONE, LOC_MANY, LOC_FAILED } locate_result;

typedef struct file_state {
    ap_view view;
    bool exists;
    ap_eol eol;            /* newline asked by the last change naming it */
    int *changes;          /* the changes naming it, in order */
    size_t n_changes, cap_changes;
} file_state;

/* One run in progress. */
typedef struct run_ctx {
    ap_run *run;
    ap_fs *fs;
    const ap_patch *patch;
    file_state *fst;
    mod_pats **pats;      /* pats[change][mod], for the modifications that run */
    /* path -> file index (open addressing; index + 1, 0 is empty) */
    uint32_t *by_path;
    uint32_t by_path_mask;
    struct ap_listing *listing; /* suggest.c: the files under the root, listed
                                 * once per run, for the files it misses */
    struct ap_kind_memo *kinds; /* fileops.c: the top folders asked of, once */
} run_ctx;

/* ---------------------------------------------------------- resolve.c */

/* The patterns of m (its well-formed fields), searched as rules say. */
void ap_pats_init(mod_pats *mp, const ap_mod *m, const ap_rules *rules);
void ap_pats_release(mod_pats *mp);
/* Resolves m on v without changing v (sc: its place in a 3.2 sequence, or
 * NULL). */
void ap_resolve(const ap_view *v, const ap_mod *m, const mod_pats *mp, const seq_ctx *sc,
                outcome *o);
/* A snippet not found, its content standing at `where`: does a line
 * elsewhere look more like the snippet's first line than any there, and say
 * what it says (the words of one all stand in the other)? Then the snippet
 * most likely names that line, mistyped or embellished, and the content
 * standing is no evidence that it was applied. */
bool ap_snippet_looks_elsewhere(const ap_view *v, const ap_pattern *snip, ap_match where);
/* Do two views hold the same lines, equal but for trailing blanks (which
 * every write strips from what it inserts)? (applied.c: the group question
 * asks it of a pre-image's forward run and the file.) */
bool ap_views_equal(const ap_view *a, const ap_view *b);
/* Do the words of one line all stand in the other (at least two)? A line
 * that says what a snippet line says, and more or less, is the one it meant. */
bool ap_words_within(const ap_line *a, const ap_line *b);
/* Could a live line of v be the one ap_snippet_looks_elsewhere says yes
 * for, q its snippet's first line: ap_words_within(line, q), and
 * ap_line_ratio(line, q) from 0.5 to below 1? False only when none can
 * (words.c: from a set of each line's words, made once per text). */
bool ap_view_may_say(const ap_view *v, const ap_line *q);
/* Tests: ap_snippet_looks_elsewhere scans without asking ap_view_may_say
 * first (the answer is the same). */
extern bool ap_words_scan_only;
/* Tests: does every line's set, made as a text's are (16 bytes at a time
 * where it can), equal the one made byte by byte (a query's)? */
bool ap_words_sets_agree(const ap_text *t);
/* The pattern a failure is about (field: 0 anchor, 1 snippet, 2 end). */
const ap_pattern *ap_failing_pattern(const mod_pats *mp, int field);
/* Makes the edit a resolved modification stands for; returns the lines it
 * puts in (malloc'd text, for hovers). *next (may be NULL): the line after
 * what it wrote, where a 3.2 cursor goes. */
char *ap_apply_outcome(ap_view *v, const ap_mod *m, const mod_pats *mp, int ch, int md,
                       const outcome *o, ap_pos *next);
/* 3.2: the indentation a content at column 0 takes from an indented place
 * ("" when it keeps its own): *ind, *len. */
bool ap_reindent(const ap_view *v, const ap_mod *m, const mod_pats *mp, const outcome *o,
                 const char **ind, uint32_t *len);
/* The snippet (searched from scope) is not found: done (a DELETE, a
 * REPLACE whose content stands in its place) or SNIPPET_NOT_FOUND. */
void ap_resolve_gone(const ap_view *v, const ap_mod *m, const mod_pats *mp, ap_pos scope, outcome *o);
/* Did the text as read hold snip, which is gone from v? (An earlier
 * modification of this run took it.) */
bool ap_taken_by_this_run(const ap_view *v, const ap_pattern *snip);
/* Shared applied checks (resolve.c), for locate3.c and boundary.c. */
bool ap_stands_as_written(const ap_view *v, ap_match m, const ap_pattern *c);
bool ap_unwritten(const ap_view *v, ap_pos from, ap_pos to);
/* Is every line of m text this run wrote (CREATE's text aside)? */
bool ap_written(const ap_view *v, ap_match m);

/* -------------------------------------------------------- locate3.c */

/* 3.2: the anchor (with disambiguation and overlap) and the snippet (the
 * cursor, text the run wrote, repeated locators). *scope: where the snippet
 * was searched from. */
locate_result ap_locate3(const ap_view *v, const ap_mod *m, const mod_pats *mp, const ap_pattern *snip,
                         const seq_ctx *sc, outcome *o, ap_pos *scope);
/* 3.2: the end of a range after the snippet (or before it, reversed). */
bool ap_locate3_end(const ap_view *v, const mod_pats *mp, outcome *o, ap_pos *last);

/* ------------------------------------------------------- boundary.c */

/* 3.2: a modification whose snippet or snippet_tail is '^' or '$'. */
void ap_resolve_boundary(const ap_view *v, const ap_mod *m, const mod_pats *mp, const seq_ctx *sc,
                         outcome *o);
/* The lines content c makes, each indented like line `like` (raw: as they
 * are, with their own endings: CREATE_FILE); *n of them, text in store. */
ap_nline *ap_indented_lines(const ap_pattern *c, const ap_line *like, int ch, int md, bool raw,
                            ap_buf *store, uint32_t *n);
/* The lines [from, to) of v, or lines[0..n) as they are written (without
 * trailing blanks), as text with LF breaks. */
char *ap_region_text(const ap_view *v, ap_pos from, ap_pos to);
char *ap_lines_text(const ap_nline *lines, uint32_t n);
/* The content's lines without its leading and trailing blank ones: [first, end). */
void ap_content_block(const ap_pattern *c, uint32_t *first, uint32_t *end);
/* Equal as matching compares (stripped), blank lines equal to each other. */
bool ap_same_stripped(const ap_line *a, const ap_line *b);
/* Do the lines from p on (after blank lines) begin with the content block?
 * Do the lines before p end with it? *edge: where the block ends / begins. */
bool ap_block_follows(const ap_view *v, ap_pos p, const ap_pattern *c, ap_pos *edge);
bool ap_block_precedes(const ap_view *v, ap_pos p, const ap_pattern *c, ap_pos *edge);

/* ---------------------------------------------------------- applied.c */

/* One modification of a file group, for the checks that run a group. */
typedef struct gmod {
    int ch, md;
    const ap_mod *m;
    const mod_pats *mp;
} gmod;

/* Is the file as change ch makes it from CREATE_FILE mod md on (with the
 * later modifications naming it) what `existing` holds? */
bool ap_created_here(run_ctx *x, int fi, int ch, int md, const ap_view *existing);
/* Does an INSERT_*'s content stand behind what later inserts put at its place? */
bool ap_behind_later_inserts(run_ctx *x, int fi, int ch, int md, const outcome *o);

/* Is file fi, as read, what its group of modifications makes of a
 * pre-image they describe (every one of them applied, as one question)? */
bool ap_group_applied(run_ctx *x, int fi, bool *undecided);

/* ---------------------------------------------------------- explain.c */

/* The field a failure is about (0 anchor, 1 snippet or start, 2 end), the
 * word for it ("snippet"), and the span of its value line i (the whole
 * value when the lines are not known). */
const ap_field *ap_failing_field(const ap_mod *m, int field);
const char *ap_field_word(const ap_mod *m, int field);
ap_span ap_field_line_span(const ap_patch *p, const ap_field *f, uint32_t i);

/* Reports a failed modification: what, where, and what would help. */
void ap_report_failure(run_ctx *x, int fi, int ch, int md, const outcome *o);
/* Warns when a DELETE counted as done has a line much like its text left. */
void ap_warn_gone(run_ctx *x, int fi, int ch, int md);

/* ----------------------------------------------------------- repair.c */

/* How a block differs from the pattern, worded: "its line 3 is not in the
 * file, it leaves out line 15" (at most three, then how many more). */
void ap_block_describe(ap_buf *b, const ap_view *v, const ap_block *blk);

/* Adds to pr the fix that rewrites the failing field (0 anchor, 1 snippet or
 * start, 2 end) of m as the block blk it most likely names (found at or
 * after scope in v, a file shown as path), carrying a REPLACE's change over
 * to it; preferred only when safe (repair.c says when). */
void ap_repair_fix(ap_problem *pr, const ap_patch *p, const ap_mod *m, const mod_pats *mp, int field,
                   const ap_view *v, ap_pos scope, const ap_block *blk, const char *path);

/* ---------------------------------------------------------- suggest.c */

/* Reports change ch's file path as missing (FILE_NOT_FOUND, with the
 * provider's why): where apls looked and why there, and the files the patch
 * most likely meant, with fixes (preferred for one that stands out and holds
 * the change's snippets). Lists the root through the provider (bounded), once
 * per run; suggests for the first 64 missing files of a run. */
void ap_report_missing(run_ctx *x, int ch, const char *path, const char *why);
/* Frees what ap_report_missing kept for the run. */
void ap_listing_free(struct ap_listing *l);
/* path without its first folder when that folder is the root's own name, is
 * not in the root, and the rest names a file (or, creates, a folder for
 * one): "myproj/src/a.c" run in myproj is "src/a.c" (malloc'd); else NULL. */
char *ap_drop_project_folder(ap_fs *fs, const char *path, bool creates);
/* The warning (and preferred fix) for a path read as rest. */
void ap_report_project_folder(ap_run *run, const ap_patch *p, int ch, const char *path, const char *rest);

/* ----------------------------------------------------------- indent.c */

/* Warns (INDENT_STYLE, with a fix) when the content of (ch, md), which
 * applies to file fi, is indented with spaces for a tab-indented file or
 * with tabs for a space-indented one. */
void ap_check_indent(run_ctx *x, int fi, int ch, int md);
/* Counts, once per text, its lines led by a tab and by two spaces or more,
 * and the step of its space indentation (t->tab_led, space_led,
 * space_unit). */
void ap_indent_style(ap_text *t);
/* Could t be tab-indented (ap_indent_style's verdict)? false as soon as
 * its lines led by spaces are too many for that whatever the rest holds:
 * a space-indented file is read in part (the verdict is kept); true when
 * it may be, the whole counted as ap_indent_style counts it. */
bool ap_indent_may_be_tabs(ap_text *t);

/* -------------------------------------------------------------- run.c */

/* Is (ch, md) among what the options ask to resolve? */
bool ap_run_selected(const ap_options *o, int ch, int md);
/* Runs modification (ch, md) of file fi at its place (sc: NULL for 2.0):
 * resolves it, recognises it applied, makes its edit. A failure is
 * reported at once, unless keep is given: then its outcome is moved there
 * (the 3.2 sequence reports what still fails after its passes). When it
 * leaves a cursor (applied, or recognised at its place), *next is it and
 * *sets_cursor true. */
ap_mod_state ap_run_mod(run_ctx *x, int fi, int ch, int md, const seq_ctx *sc, outcome *keep,
                        ap_pos *next, bool *sets_cursor);

/* -------------------------------------------------------- fileops.c */

/* What stands at path (the provider's kind, else what load says). */
ap_path_kind ap_kind_of(ap_fs *fs, const char *path);
/* What a run has asked of the top folders its paths begin with: the 3.2
 * prefix tolerance asks of each FILE's first folder (a patch's paths share
 * a few), and a provider's answer costs a lookup and a dependency each
 * (the server: about 1,100 instructions a path, a hundred paths a
 * keystroke at r4). The answers of one run, which sees one state of the
 * files. */
typedef struct ap_kind_memo {
    char *name[8];
    ap_path_kind kind[8];
    size_t n;
} ap_kind_memo;
/* What stands at name[0, len), asked once a run (memo may be NULL). */
ap_path_kind ap_kind_memo_of(ap_kind_memo *memo, ap_fs *fs, const char *name, size_t len);
void ap_kind_memo_free(ap_kind_memo *memo);
/* A path nothing stands at, whose leading folders the root lacks while the
 * rest stands (or the rest's first folder does): that rest (malloc'd), and
 * *dropped, how many components went; else NULL. memo: the run's, or NULL. */
char *ap_path_unprefixed(ap_fs *fs, ap_kind_memo *memo, const char *path, size_t *dropped);
/* Refuses operations on paths that other changes also name. */
void ap_path_conflicts(run_ctx *x);
/* Decides the operation on a path of file fi from what stands there. */
void ap_path_op(run_ctx *x, int fi);

/* ------------------------------------------------------- sequence.c */

/* Runs the modifications of file fi in order, as 3.2 says (cursor,
 * repeated locators, passes that retry), and reports what fails. */
void ap_sequence(run_ctx *x, int fi);

/* What a modification did in ap_sequence_forward. */
typedef struct fwd_result {
    ap_mod_state state;
    bool has_region;
} fwd_result;
/* Runs mods[0..n) forward on a scratch view as a first run would (3.2: in
 * sequence, with passes; 2.0: each once, in order, stopping at a failure),
 * making their edits; out[k]: what each did. */
void ap_sequence_forward(ap_view *v, const gmod *mods, size_t n, fwd_result *out);

/* Adds a resolution problem to run (an error makes the run not ok). */
ap_problem *ap_run_problem(ap_run *run, ap_code code, ap_severity sev, ap_span span, int ch, int md,
                           const char *fmt, ...) __attribute__((format(printf, 7, 8)));

#endif
