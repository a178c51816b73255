/* resolve.h - what the files of the resolver share: run.c (the run: paths,
 * loading, the order of work, reuse), resolve.c (one modification on a
 * view), applied.c (recognising what is already applied beyond one
 * modification) and explain.c (what a failure tells the user). Nothing
 * outside these files includes it. */
#ifndef APLS_RESOLVE_H
#define APLS_RESOLVE_H

#include "internal.h"

/* The patterns of one modification. */
typedef struct mod_pats {
    ap_pattern anchor, snippet, end, content;
    bool has_anchor, has_end;
} mod_pats;

/* What resolving one modification found. */
typedef struct outcome {
    ap_mod_state state;
    ap_code code;
    const char *why;
    bool has_anchor, has_region;
    ap_match anchor, snip, end;
    ap_pos from, to;       /* the region [from, to), widened */
    ap_matches many;       /* AMBIGUOUS_*: every place */
    int fail_field;        /* 0 anchor, 1 snippet or start, 2 end */
} outcome;

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
} run_ctx;

/* ---------------------------------------------------------- resolve.c */

/* The patterns of m (its well-formed fields). */
void ap_pats_init(mod_pats *mp, const ap_mod *m);
void ap_pats_release(mod_pats *mp);
/* Resolves m on v without changing v. */
void ap_resolve(const ap_view *v, const ap_mod *m, const mod_pats *mp, outcome *o);
/* A snippet not found, its content standing at `where`: does a line
 * elsewhere look more like the snippet's first line than any there, and say
 * what it says (the words of one all stand in the other)? Then the snippet
 * most likely names that line, mistyped or embellished, and the content
 * standing is no evidence that it was applied. */
bool ap_snippet_looks_elsewhere(const ap_view *v, const ap_pattern *snip, ap_match where);
/* The pattern a failure is about (field: 0 anchor, 1 snippet, 2 end). */
const ap_pattern *ap_failing_pattern(const mod_pats *mp, int field);
/* Makes the edit a resolved modification stands for; returns the lines it
 * puts in (malloc'd text, for hovers). */
char *ap_apply_outcome(ap_view *v, const ap_mod *m, const mod_pats *mp, int ch, int md,
                       const outcome *o);
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

/* Is the file as change ch makes it from CREATE_FILE mod md on (with the
 * later modifications naming it) what `existing` holds? */
bool ap_created_here(run_ctx *x, int fi, int ch, int md, const ap_view *existing);
/* Does an INSERT_*'s content stand behind what later inserts put at its place? */
bool ap_behind_later_inserts(run_ctx *x, int fi, int ch, int md, const outcome *o);

/* Is file fi, as read, what its group of modifications makes of a
 * pre-image they describe (every one of them applied, as one question)? */
bool ap_group_applied(run_ctx *x, int fi);

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

/* -------------------------------------------------------------- run.c */

/* Adds a resolution problem to run (an error makes the run not ok). */
ap_problem *ap_run_problem(ap_run *run, ap_code code, ap_severity sev, ap_span span, int ch, int md,
                           const char *fmt, ...) __attribute__((format(printf, 7, 8)));

#endif
