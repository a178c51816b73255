/* ap.h - the apls engine: parse, resolve and apply .ap patches, in format 2.0
 * (YAML) and 3.2 (id-prefixed directives; docs/format-3.md).
 *
 * The engine is a library with no knowledge of JSON, LSP or libuv. It reads
 * target files only through an ap_fs (disk for the command line, open editor
 * buffers over the disk for the server, memory for tests and fuzzers), works
 * in byte offsets, and reports every user problem as data (ap_problem), never
 * by exiting. Out of memory aborts, in one place (util.c).
 *
 * Data flow:  text --ap_patch_parse--> ap_patch --ap_run_new(fs)--> ap_run
 *             ap_run --ap_run_render--> new bytes + hunks per file
 *             hunks --ap_diff_unified--> a unified diff; --ap_commit_disk--> disk
 *
 * Ownership: every pointer a function returns belongs to the object it came
 * from and lives as long as that object, unless the comment says otherwise. */
#ifndef APLS_AP_H
#define APLS_AP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- problems */

typedef enum ap_code {
    AP_OK = 0,
    /* the ap 2.0 codes (ap-2.0.md section 6), spelled by ap_code_name */
    AP_INVALID_PATCH_FILE,
    AP_INVALID_MODIFICATION,
    AP_INVALID_FILE_PATH,
    AP_FILE_NOT_FOUND,
    AP_FILE_EXISTS,
    AP_ANCHOR_NOT_FOUND,
    AP_AMBIGUOUS_ANCHOR,
    AP_SNIPPET_NOT_FOUND,
    AP_AMBIGUOUS_MATCH,
    AP_END_SNIPPET_NOT_FOUND,
    /* the reference patcher's 3.2 codes */
    AP_PATCH_TRUNCATED,       /* an empty last value without END: cut off? */
    AP_EMPTY_REPLACE,         /* REPLACE/RECREATE with empty content (strict) */
    AP_SNIPPET_TAIL_NOT_FOUND,
    AP_LOCATOR_CONSUMED,      /* an earlier modification removed the locator */
    AP_FILE_WRITE_ERROR,
    /* apls additions: what the disk can refuse */
    AP_FILE_NOT_TEXT,   /* a NUL byte: a binary file */
    AP_FILE_READ_ONLY,  /* the user may not write the target */
    AP_IO_ERROR,        /* read or write failed (permissions, disk full, ...) */
    AP_TARGET_CHANGED,  /* a target changed between reading and writing it */
    /* warnings and hints */
    AP_UNKNOWN_KEY,     /* a key the format does not define: ignored */
    AP_SCALAR_STYLE,    /* code in a quoted, plain or folded scalar */
    AP_ALREADY_APPLIED, /* the modification is recognised as applied */
    AP_NOT_IDEMPOTENT,  /* applying the patch again would not be a no-op */
    AP_NOT_EXPRESSIBLE, /* ap_patch_write: the target format cannot say it */
    AP_PROJECT_FOLDER,  /* a file_path that begins with the root's own name */
    AP_INDENT_STYLE,    /* content indented with spaces for a tab-indented
                         * file, or the reverse */
    /* 2.0 slips the tolerant parser reads as meant (a warning each, with a
     * preferred fix; errors with --strict): docs/format-2.0.md, "Slips" */
    AP_KEY_SPELLING,    /* 'snipet', 'path': read as the key meant */
    AP_ACTION_SPELLING, /* 'replace', 'insert-after': read as the action */
    AP_VERSION_NUMBER,  /* version: 2.0 (a number): read as "2.0" */
    /* 3.2 deviations the tolerant parser accepts (a warning each, with a fix
     * that writes the strict form; --strict makes some of them errors) */
    AP_MISSING_HEADER,       /* no "<id> AP 3.2": the id comes from a directive */
    AP_PATCH_ID,             /* the id is not 8 hexadecimal digits */
    AP_UNSUPPORTED_VERSION,  /* "AP 9.9": read as 3.2 */
    AP_ID_DRIFT,             /* a directive with another id-like prefix */
    AP_COMMENT,              /* a '#' line between directives or in a path */
    AP_MARKDOWN_FENCE,       /* a ``` line outside any value */
    AP_DIRECTIVE_SPELLING,   /* case, a trailing colon, a 2.0 name */
    AP_MISSING_ACTION,       /* a locator after a finished modification */
    AP_MISSING_SNIPPET_KEYWORD, /* text right after an action directive */
    AP_ANCHOR_AS_SNIPPET,    /* an anchor and no snippet */
    AP_IMPLICIT_CREATE,      /* FILE followed by content and no action */
    AP_CONTEXTUAL_CREATE,    /* CREATE followed by its content, no 'content' */
    AP_CREATE_PATH,          /* CREATE carrying the path, no FILE */
    AP_INLINE_PATH,          /* the path on the FILE (or RENAME) line */
    AP_DUPLICATE_DIRECTIVE,  /* a key given twice in a modification: last wins */
    AP_REDUNDANT_SNIPPET_TAIL, /* snippet_tail ends the snippet, or is the content */
    AP_POINT_ACTION_RANGE,   /* INSERT_* with snippet_tail: at the range's edge */
    /* 3.2 resolution: heuristics applied (warnings) or refused (--strict) */
    AP_NESTING_MISMATCH,     /* a top-level block inserted inside a block: moved */
    AP_REINDENTED,           /* content at column 0 for an indented place: indented */
    AP_REVERSED_RANGE,       /* snippet_tail before the snippet: the range turned */
    AP_SCOPE_END_IGNORED,    /* scope_end on a snippet that opens no block */
    AP_UNBALANCED_BRACKETS,  /* a balanced file left unbalanced */
    AP_PATH_PREFIX,          /* a leading folder the root does not have: dropped */
    AP_CODE_COUNT
} ap_code;

/* The code as spelled in the format ("SNIPPET_NOT_FOUND"). */
const char *ap_code_name(ap_code code);

typedef enum ap_severity { AP_ERROR = 1, AP_WARNING, AP_INFO, AP_HINT } ap_severity;

/* A byte range [start, end) in the patch text. */
typedef struct ap_span {
    uint32_t start, end;
} ap_span;

/* A place in a target file, in the coordinates of the file as it was read:
 * lines [line, end_line) and bytes [start, end). When the place lies in text
 * that an earlier modification of the same run inserted, inserted_by is that
 * modification's index in the change list (change, mod) and the place is the
 * point where that text was inserted. */
typedef struct ap_tspan {
    uint32_t line, end_line;
    uint32_t start, end;
    int inserted_change, inserted_mod; /* -1 when the text is original */
} ap_tspan;

/* A note attached to a problem: a place in a target file (file >= 0, an index
 * into ap_run.files) or in the patch (file == -1, span set). */
typedef struct ap_related {
    int file;
    ap_tspan where;
    ap_span span;
    char *message;
} ap_related;

/* A suggested repair: replace span of the patch text with text. A preferred
 * fix is safe to accept without reading it (an editor may apply it on its
 * own): at most one per problem, and only where apls checked that the
 * repaired patch does what the model meant (docs/engine.md, "Repairs"). */
typedef struct ap_fix {
    char *title;
    ap_span span;
    char *text;
    bool preferred;
} ap_fix;

typedef struct ap_problem {
    ap_code code;
    ap_severity severity;
    ap_span span;        /* the patch text at fault */
    int change, mod;     /* -1 where not applicable */
    char *message;       /* one line: what is wrong first, names in quotes */
    ap_related *related;
    size_t n_related;
    ap_fix *fixes;
    size_t n_fixes;
    bool placing;        /* said while a run placed the paths, before reading:
                          * each run says it again (ap_run_reuse takes it not) */
} ap_problem;

/* ------------------------------------------------------------------ text */

typedef enum ap_eol { AP_EOL_AUTO = 0, AP_EOL_LF, AP_EOL_CRLF, AP_EOL_CR } ap_eol;

/* An immutable target text, split into lines and indexed by stripped-line
 * hash. Built once per content version and shared by reference. */
typedef struct ap_text ap_text;

/* From now on the engine's heap grows in large steps advised for
 * transparent huge pages (Linux; elsewhere nothing): for a command that
 * builds texts of every target once and exits, not for the server. */
void ap_use_huge_pages(void);

/* A new text holding a copy of bytes[0..len), with one reference. */
ap_text *ap_text_new(const char *bytes, size_t len);
/* The same owning bytes (malloc'd, len bytes and a NUL after them): the
 * bytes as read are the text's, not copied. */
ap_text *ap_text_adopt(char *bytes, size_t len);
ap_text *ap_text_retain(ap_text *t);
void ap_text_release(ap_text *t);
/* now replaces before (the same file, edited): takes over what can be
 * carried from before's tables for the lines both hold (the balance the 3.4
 * warning reads, the decorated lines the 3.2 soft search reads), so that an
 * edit costs its lines, not the file's. */
void ap_text_follow(ap_text *now, const ap_text *before);
const char *ap_text_bytes(const ap_text *t);
size_t ap_text_len(const ap_text *t);
uint32_t ap_text_line_count(const ap_text *t);
/* Byte offset where line i starts (i == line count gives the text length). */
uint32_t ap_text_line_start(const ap_text *t, uint32_t i);
/* The line ending the text uses (AP_EOL_AUTO: it has no line break). */
ap_eol ap_text_eol(const ap_text *t);

/* ----------------------------------------------------------------- patch */

/* The two formats of a patch: YAML 2.0, and the line format 3.2 (3.0 and
 * 3.1 read as 3.2). */
typedef enum ap_format { AP_FORMAT_2_0 = 0, AP_FORMAT_3_2 } ap_format;

/* "2.0" or "3.2". */
const char *ap_format_name(ap_format f);
/* The format of a text: 3.2 when a line is a header ("<id> AP 3.2", any
 * version) or a directive with an 8-hex id ("e4a2f1b8 FILE"), else 2.0. */
ap_format ap_format_detect(const char *text, size_t len);

/* Actions. Both formats map onto one set, so the resolver has one code path
 * where the semantics agree (docs/format-3.md says how). */
typedef enum ap_action {
    AP_ACTION_NONE = 0,
    AP_REPLACE,
    AP_INSERT_AFTER,
    AP_INSERT_BEFORE,
    AP_DELETE,
    AP_CREATE_FILE,   /* 2.0 CREATE_FILE; 3.2 CREATE with content */
    /* 3.2 only */
    AP_CREATE_DIR,    /* CREATE without content: a folder */
    AP_RECREATE,      /* the file's whole new content */
    AP_RENAME,        /* the FILE block's path moves to the modification's dest */
    AP_DELETE_PATH,   /* a FILE block holding only DELETE: the file or folder goes */
    AP_ACTION_COUNT
} ap_action;

/* The action as 2.0 spells it ("CREATE_FILE"; 3.2-only actions as 3.2 does). */
const char *ap_action_name(ap_action a);
/* The action's keyword in format f ("CREATE" in 3.2). */
const char *ap_action_keyword(ap_format f, ap_action a);
/* 3.2: RENAME, DELETE of a path, CREATE of a folder: an operation on the
 * path itself, not a change of text. */
bool ap_action_on_path(ap_action a);

typedef enum ap_style {
    AP_STYLE_PLAIN = 1,
    AP_STYLE_SINGLE_QUOTED,
    AP_STYLE_DOUBLE_QUOTED,
    AP_STYLE_LITERAL,
    AP_STYLE_FOLDED
} ap_style;


/* A 3.2 snippet or snippet_tail that is a file boundary, not text. */
typedef enum ap_boundary {
    AP_BOUNDARY_NONE = 0,
    AP_BOUNDARY_START, /* "^": offset 0 */
    AP_BOUNDARY_END    /* "$": the end of the file */
} ap_boundary;

/* One key of the patch and its scalar value. In 3.2 the key is a directive
 * keyword and the value its argument or the lines up to the next directive
 * (trimmed of blank lines, line breaks as LF, ending with one LF unless
 * empty). */
typedef struct ap_field {
    bool present;      /* the key is there */
    bool is_string;    /* the value is a string (value != NULL) */
    bool is_null;      /* the value is empty or null */
    bool refused;      /* the YAML layer refused the value (a problem says why) */
    char *value;       /* the decoded text, NUL-terminated */
    size_t len;
    ap_style style;
    ap_span key;       /* the key's text (3.2: the keyword as written) */
    ap_span span;      /* the value's text; for a block scalar, its content
                        * (3.2, empty value: the end of the directive line) */
    ap_span directive; /* 3.2: the whole directive line (no line break); 2.0: the key */
    const char *name;  /* the key as the patch's format spells it, for
                        * messages and fixes ("snippet_tail", "end_snippet") */
    ap_boundary boundary; /* 3.2 snippet / snippet_tail "^" or "$" */
    /* For a literal block (every 3.2 value): where each line of the value
     * starts in the patch (n_lines entries), so a problem can point at one
     * line of a snippet. */
    uint32_t *line_at;
    uint32_t n_lines;
    uint32_t indent;   /* block scalars: the content's indentation column */
} ap_field;

typedef struct ap_mod {
    ap_span span;      /* the whole mapping */
    ap_span head;      /* its first line: where "missing key" problems go */
    uint32_t key_col;  /* column of its keys, for text the fixes insert */
    ap_action action;
    ap_field action_f;
    /* A 3.2 snippet alone is `snippet`; snippet with snippet_tail is
     * start_snippet/end_snippet (named "snippet"/"snippet_tail"). */
    ap_field snippet, start_snippet, end_snippet, anchor, content;
    ap_field lead_f, trail_f;
    uint32_t lead, trail; /* include_leading/trailing_blank_lines */
    ap_field scope_f;     /* 3.2 scope_end */
    bool scope_end;       /* the region runs to the end of the block it opens */
    ap_field dest;        /* RENAME: the new path */
    bool ok;              /* well-formed: may be resolved */
} ap_mod;

/* How ap_patch_reparse made a patch, for the server's analysis report. */
typedef enum ap_reparse {
    AP_REPARSE_FULL = 0,  /* the whole text parsed */
    AP_REPARSE_SAME,      /* the text did not change: the model moved over */
    AP_REPARSE_MOD,       /* one modification parsed alone */
    AP_REPARSE_CHANGES    /* the change items (3.2: FILE blocks) the edit
                           * touched parsed alone (any number of them, none
                           * included) */
} ap_reparse;

/* A change: a 2.0 item of 'changes', a 3.2 FILE block. */
typedef struct ap_change {
    ap_span span, head;   /* 3.2 head: the FILE (or implicit CREATE) line */
    ap_field file_path, newline, mods_f; /* mods_f: 2.0 only */
    ap_eol eol;
    ap_mod *mods;
    size_t n_mods;
    bool ok;           /* file_path and newline are usable */
} ap_change;

typedef struct ap_patch {
    char *text;        /* a copy of the source */
    size_t len;
    ap_format format;  /* detected from the text */
    bool strict;       /* parsed with AP_PARSE_STRICT */
    ap_field version, changes_f; /* 3.2: version is the header ("AP 3.2"),
                                  * its directive the header line */
    ap_field id;       /* 3.2: the patch id, from the header or the first directive */
    ap_field end_f;    /* 3.2: the END directive, when there is one */
    ap_change *changes;
    size_t n_changes;
    ap_problem *problems; /* YAML and schema problems, in text order */
    size_t n_problems;
    bool has_errors;
    bool yaml_error;   /* the text is not a YAML document as PyYAML's safe loader
                        * (the reference's) reads it, or apls refuses it as
                        * YAML: a problem says where */
    bool reparsable;   /* clean text: ap_patch_reparse may work on it, and
                        * ap_run_reuse may take results over */
    uint64_t context;  /* 3.2: what besides a change's bytes decides how it
                        * reads (its ids, --strict); results are taken over
                        * only between patches of equal context */
    /* 3.2, for ap_patch_reparse (docs/format-3.md, "Parsing again after an
     * edit"): the FILE blocks lie in [body3, tail3) (after the header; up to
     * the END line, the closing fence or the end); blocks3: each block reads
     * the same whatever the text outside it (no drifted id, an 8-hex id,
     * problems below the cap); open3: no END or closing fence; fenced3: a
     * fence before the header (the text's last fence closes the patch) */
    uint32_t body3, tail3;
    bool blocks3, open3, fenced3;
    ap_reparse reparsed;     /* how ap_patch_reparse made it (AP_REPARSE_FULL
                              * for ap_patch_parse) */
    const char *reparse_why; /* AP_REPARSE_FULL from ap_patch_reparse: why
                              * the edit could not be parsed alone (static) */
} ap_patch;

/* The largest patch read (a hostile 100 MB patch is refused at once). */
#define AP_MAX_PATCH_BYTES (16u << 20)

/* Parses text. Never fails: the result always holds a model (possibly empty)
 * and every problem found. The caller frees it with ap_patch_free. */
ap_patch *ap_patch_parse(const char *text, size_t len);
/* Parse options. */
#define AP_PARSE_STRICT 1u /* 3.2: the deviations the reference's strict mode
                            * refuses are errors, not warnings */
/* ap_patch_parse with options (AP_PARSE_*). */
ap_patch *ap_patch_parse_opts(const char *text, size_t len, unsigned flags);
void ap_patch_free(ap_patch *p);

/* The patch of text, an edited version of old's text, parsed again only
 * where the edit fell: the one change or modification holding it is parsed
 * on its own and everything else moves over with its positions shifted. Falls
 * back to ap_patch_parse whenever that would not give the same result. old
 * is left hollow: only its text and its changes' spans stay, for
 * ap_run_reuse; free it after. The caller frees the result. */
ap_patch *ap_patch_reparse(ap_patch *old, const char *text, size_t len);

/* Writing a patch's model as text. */
typedef struct ap_write_options {
    ap_format format;
    /* which modifications to write (a change with none left goes); NULL:
     * all of them */
    bool (*keep)(void *ctx, size_t change, size_t mod);
    void *ctx;
} ap_write_options;

/* The model of p (which should have no errors) written in o->format: 3.2
 * with a header, one blank line between blocks and a closing END; 2.0 as
 * YAML with literal blocks. What that format cannot express is left out
 * (RENAME in 2.0) or written as near as it can be (leading blank lines of a
 * 3.2 value), and each is reported in *lost (code AP_NOT_EXPRESSIBLE, spans
 * in p's text; free with ap_problems_free). Returns the text (malloc'd,
 * NUL-terminated, *len bytes). */
char *ap_patch_write(const ap_patch *p, const ap_write_options *o, size_t *len,
                     ap_problem **lost, size_t *n_lost);

/* Do a and b say the same thing (changes, paths, actions, values, options)?
 * Spans, spellings and format are not compared; a value's final line break
 * is not either, and a locator (snippet, anchor) is compared as it is
 * matched: its non-blank lines, stripped. When they differ, *why (malloc'd)
 * says where. */
bool ap_patch_same_model(const ap_patch *a, const ap_patch *b, char **why);

/* Frees a list of problems (ap_patch_write's losses). */
void ap_problems_free(ap_problem *list, size_t n);

/* -------------------------------------------------------------------- fs */

/* What stands at a path. */
typedef enum ap_path_kind {
    AP_PATH_NONE = 0, /* nothing */
    AP_PATH_FILE,     /* a regular file */
    AP_PATH_DIR,      /* a folder */
    AP_PATH_OTHER     /* a device, FIFO, socket, or what cannot be told */
} ap_path_kind;

/* The file provider. Paths are the normalized, root-relative paths of the
 * patch ("src/a.c"); what the root is belongs to the provider. */
typedef struct ap_fs ap_fs;
struct ap_fs {
    /* AP_OK when path stays inside the root once symbolic links are
     * followed, else AP_INVALID_FILE_PATH with *why (malloc'd, caller frees). */
    ap_code (*check_path)(ap_fs *fs, const char *path, char **why);
    /* AP_OK and *out (a reference the caller releases), or AP_FILE_NOT_FOUND,
     * AP_FILE_NOT_TEXT, AP_INVALID_FILE_PATH (a directory, a device),
     * AP_IO_ERROR, each with *why. */
    ap_code (*load)(ap_fs *fs, const char *path, ap_text **out, char **why);
    /* AP_OK when an existing file may be rewritten, else AP_FILE_READ_ONLY
     * with *why. May be NULL: everything is writable. */
    ap_code (*writable)(ap_fs *fs, const char *path, char **why);
    /* The path of the file path names once symbolic links on its way are
     * resolved (malloc'd), when that is another spelling; else NULL. Changes
     * whose paths have one canonical path are one file group, which carries
     * the canonical path. May be NULL: every path is its own. */
    char *(*canonical)(ap_fs *fs, const char *path);
    /* What explains a missing file (each may be NULL; none reads a file):
     * the root as an absolute path, for "apls looked for /home/u/p/a.c"; */
    const char *(*root)(ap_fs *fs);
    /* whether a checked path names anything (a folder too); */
    bool (*exists)(ap_fs *fs, const char *path);
    /* the files under the root, as far as a bounded walk goes (at most
     * AP_LIST_ENTRIES entries, hidden folders and node_modules skipped):
     * each(ctx, path) with root-relative paths; false when the bound cut it
     * short. Asked only once a file is found missing. */
    bool (*list)(ap_fs *fs, void (*each)(void *ctx, const char *path), void *ctx);
    /* What stands at path (3.2 operations on paths: RENAME, DELETE of a
     * file or folder, CREATE of a folder). May be NULL: then a file is what
     * load reads, a folder what load calls one, and nothing what it does
     * not find. */
    ap_path_kind (*kind)(ap_fs *fs, const char *path);
};

/* How many folder entries a provider's list looks at, at most: a huge tree
 * costs a bounded walk, never a slow keystroke. */
#define AP_LIST_ENTRIES 20000

/* --------------------------------------------------------------------- run */

typedef enum ap_ws_mode {
    AP_WS_ALL = 0,   /* 2.0: strip trailing blanks from every line written */
    AP_WS_INSERTED   /* later versions: only from the lines the patch inserts */
} ap_ws_mode;

typedef struct ap_options {
    ap_ws_mode trailing_ws;
    /* Resolve only this change (>= 0), and in it only this modification
     * (>= 0): the others are left as they are. -1: everything. */
    int only_change, only_mod;
    /* What the caller knows from elsewhere (apls's record of the patches it
     * applied): true when the file at path, holding text, is this patch's
     * own result, so every modification of it is applied. May be NULL. */
    bool (*known_applied)(void *ctx, const char *path, const ap_text *text);
    void *known_ctx;
    /* Why file_paths resolve where they do ("the patch's folder", "--root"),
     * for the message of a missing file. May be NULL. */
    const char *root_why;
    /* Only the modifications' states are wanted (the twice check's second
     * run): warnings that decide no state are not made (the bracket
     * balance, a gone DELETE's "did you mean", the indentation style, the
     * 3.2 heuristics' warnings). */
    bool states_only;
    /* One group at a time (a run that is never rendered: the twice check's
     * second): each file is read right before its group resolves, and its
     * view and text are let go right after, so the run holds one file's
     * text at a time. The files keep no view (ap_run_render does nothing)
     * and no text (before is NULL); nothing is taken over from a previous
     * run. */
    bool groups_alone;
    /* After the twice check the caller reads of each text read only its
     * bytes, and of each file its diff (ap_diff_unified): the check makes
     * a changed file's diff when its second run takes the file, and lets
     * the line records of the file's text read go (the command line, whose
     * run is written or printed and freed; not a run searched again). */
    bool release_lines;
    /* Nothing searches this run's texts once it is made (the command line:
     * the twice check's second run reads the rendered bytes, rendering and
     * the diff read lines): each file is read right before its group
     * resolves, and a text the group changed lets its tables go (the hash
     * index, the non-blank skips, the maps of the 3.2 searches) once the
     * group is resolved, so one file's tables are alive at a time, not
     * every file's. The text and its view stay. */
    bool search_once;
    /* With release_lines: the caller reads of a changed file only its diff
     * and status after the twice check, never its new bytes (a dry run,
     * check): the second run's text of the file takes the rendered bytes
     * over, and they go with it once its group is resolved (after is then
     * NULL; after_len and the hunks stay), so one file's new bytes are
     * alive at a time. */
    bool diff_only;
} ap_options;

#define AP_OPTIONS_INIT {AP_WS_ALL, -1, -1, NULL, NULL, NULL, false, false, false, false, false}

typedef enum ap_mod_state {
    AP_MOD_NOT_RUN = 0,     /* malformed, filtered out, or its file failed */
    AP_MOD_APPLIES,         /* resolves and changes the text */
    AP_MOD_ALREADY_APPLIED, /* recognised as applied: changes nothing */
    AP_MOD_FAILED
} ap_mod_state;

typedef struct ap_mod_result {
    ap_mod_state state;
    ap_code code;          /* the failure, when FAILED */
    const char *why;       /* ALREADY_APPLIED: how it was recognised */
    int file;              /* index into ap_run.files, -1 if none */
    bool has_anchor, has_region;
    ap_tspan anchor;       /* the anchor's match */
    ap_tspan region;       /* the located lines (widened by blank lines) */
    char *before;          /* the located text as it stood when applied */
    char *after;           /* what takes its place, indented, as written: LF
                            * breaks, no trailing blanks (NULL: nothing) */
} ap_mod_result;

typedef enum ap_file_status {
    AP_FILE_UNCHANGED = 0,
    AP_FILE_MODIFIED,
    AP_FILE_CREATED,
    AP_FILE_FAILED,
    /* 3.2 operations on paths (the file has no view: nothing is rendered) */
    AP_FILE_DELETED,     /* the file or folder (kind) at path goes */
    AP_FILE_RENAMED,     /* the file or folder (kind) at path moves to dest */
    AP_FILE_DIR_CREATED  /* a folder is made at path */
} ap_file_status;

/* One line-level change of a file: its lines [line, end_line) as read are
 * replaced by out[0..out_len) (bytes of the new file). */
typedef struct ap_hunk {
    uint32_t line, end_line;
    uint32_t out, out_len;
} ap_hunk;

typedef struct ap_file {
    char *path;            /* normalized, root-relative */
    ap_text *before;       /* as read; NULL when it does not exist */
    ap_file_status status; /* set by ap_run_new; MODIFIED may become
                            * UNCHANGED once rendered (same bytes) */
    bool rendered;
    char *after;           /* ap_run_render: the new bytes */
    size_t after_len;
    ap_hunk *hunks;
    size_t n_hunks;
    ap_hunk *copied;       /* internal: the runs of lines rendering copied as
                            * read, lines [line, end_line) at out */
    size_t n_copied;
    int first_change;      /* the first change naming it */
    int *changes;          /* every change naming it, in order */
    size_t n_changes;
    ap_eol eol;            /* the newline a change asks for (AUTO: keep) */
    uint32_t blanks_stripped; /* ap_run_render: lines no modification touches
                            * that change all the same, losing trailing
                            * blanks (AP_WS_ALL) */
    struct ap_view *view;  /* internal */
    char *diff;            /* internal: its unified diff, made by the twice
                            * check (ap_options.release_lines) */
    size_t diff_len;
    /* an operation on the path (its change holds RENAME, DELETE of the
     * path or CREATE of a folder): what stood at path and at dest */
    bool path_op;
    char *dest;            /* RENAME: the normalized new path */
    ap_path_kind kind, dest_kind;
} ap_file;

typedef struct ap_run {
    const ap_patch *patch; /* borrowed: must outlive the run */
    const struct ap_rules *rules; /* what its format decides (internal) */
    ap_options opts;
    ap_file *files;
    size_t n_files;
    ap_mod_result **mods;  /* mods[change][mod] */
    size_t n_changes;      /* how many changes and modifications it has */
    size_t *n_mods_of;     /*   (its own counts: its patch may be hollowed) */
    uint64_t *flags_of;    /* per change: its ok flags, as ap_run_reuse compares them */
    ap_problem *problems;  /* resolution problems (parse ones stay in patch) */
    size_t n_problems;
    bool ok;               /* no error, parse included: apply would succeed */
    size_t n_reused;       /* files whose results ap_run_reuse took over */
} ap_run;

/* Resolves every modification of patch against the files fs provides and
 * plans the result. Never fails; free with ap_run_free. */
ap_run *ap_run_new(const ap_patch *patch, ap_fs *fs, const ap_options *opts);
/* The same, taking over from prev (the run of an earlier version of the
 * patch, whose patch must still be alive) the results of every file whose
 * changes and target text are unchanged. prev is left emptied of them: the
 * caller frees it after. A keystroke then costs the file group it touched. */
ap_run *ap_run_reuse(const ap_patch *patch, ap_fs *fs, const ap_options *opts, ap_run *prev);
void ap_run_free(ap_run *run);

/* Computes file i's new bytes and hunks (idempotent; cheap when done). */
void ap_run_render(ap_run *run, size_t i);

/* Runs the patch again, in memory, on what run would write, and warns
 * (AP_NOT_IDEMPOTENT, on each modification concerned) where that second run
 * would change a file again or fail: the shapes whose applying twice the
 * text cannot recognise (a DELETE whose text also stands after the one it
 * deletes, ...). Renders every file. Costs about one more run. */
void ap_run_check_twice(ap_run *run, const ap_options *opts);

/* ------------------------------------------------------------- utilities */

/* A fast 64-bit hash of bytes (not cryptographic): with the length, what
 * tells two contents apart in caches and records. */
uint64_t ap_hash(const char *s, size_t n);

/* Appends to *out (malloc'd, NUL-terminated, *out_len bytes) a unified diff
 * of a rendered file, with 3 lines of context. */
void ap_diff_unified(const ap_file *f, char **out, size_t *out_len);

/* The lines of old_text and new_text (LF-separated, as ap_mod_result's
 * before and after) as the body of a diff: each line of the result is ' ',
 * '-' or '+' followed by a line of one of them, a line both keep standing
 * once (Myers, as git diffs). Caller frees. */
char *ap_diff_lines(const char *old_text, const char *new_text);

/* Converts a byte offset of text to a 0-based line and a 0-based column in
 * code points. */
void ap_linecol(const char *text, size_t len, uint32_t off, uint32_t *line,
                uint32_t *col);

/* A file provider reading the disk under root, reached from one descriptor
 * of it: symbolic links are followed only while they stay inside the root,
 * and a target that is a link or has other hard links is refused when the
 * patch would write it. Free with ap_fs_disk_free. */
ap_fs *ap_fs_disk_new(const char *root);
/* Allows such targets: the file a link points to is changed, a hard-linked
 * file is rewritten in place (apls apply --through-links). */
void ap_fs_disk_through_links(ap_fs *fs, bool on);
void ap_fs_disk_free(ap_fs *fs);
/* Texts shared by the disk providers of one command (apls check over many
 * patches): a file read by one is not read or indexed again by another
 * while its device, inode, size and modification time stay the same. Up to
 * max_bytes of file content are kept; the cache outlives the providers. */
typedef struct ap_text_cache ap_text_cache;
ap_text_cache *ap_text_cache_new(size_t max_bytes);
void ap_text_cache_free(ap_text_cache *c);
void ap_fs_disk_share_texts(ap_fs *fs, ap_text_cache *c);

/* The text of a literal block holding value, for key `name` whose key
 * stands at column col ("name: |\n  line..."); NULL when the value has
 * characters a literal block cannot hold. Caller frees. */
char *ap_literal_block(const char *name, const char *value, size_t len, uint32_t col);

/* The patch's text keeping only the modifications keep() says yes to (and
 * the changes that still hold one); NULL when none is kept. Caller frees. */
char *ap_patch_keep(const ap_patch *p, const ap_run *run, bool (*keep)(const ap_mod_result *));

/* Checks a file_path without touching the disk and normalizes it ("./a//b"
 * -> "a/b"), as a run names its files. Returns the normalized path
 * (malloc'd) or NULL with *why (static). */
char *ap_path_normalize(const char *path, size_t len, const char **why);

/* The nearest folder at or above dir holding .git, .hg, .svn or
 * .apls-root (malloc'd, absolute), or NULL. */
char *ap_workspace_of(const char *dir);
/* Which of the candidate roots holds more of the patch's targets (the first
 * wins a tie; NULL candidates are skipped). */
size_t ap_root_choose(const ap_patch *p, const char *const *candidates, size_t n);
/* Why candidate `pick` of {the patch's folder, its workspace (or NULL)} is
 * the root, for messages (ap_options.root_why; malloc'd). */
char *ap_root_why(const char *const *candidates, size_t pick);

/* A file provider over memory (tests, fuzzers). put copies bytes; mkdir
 * makes an (empty) folder, a file's folders exist by themselves; commit
 * stores the new bytes of every changed file of a run (rendering it) and
 * carries out its operations on paths. */
ap_fs *ap_fs_mem_new(void);
/* The root the memory provider says it stands for (tests; default none). */
void ap_fs_mem_set_root(ap_fs *fs, const char *root);
void ap_fs_mem_put(ap_fs *fs, const char *path, const char *bytes, size_t len, bool read_only);
/* The same with a text already made (one more reference to it). */
void ap_fs_mem_put_text(ap_fs *fs, const char *path, ap_text *text, bool read_only);
void ap_fs_mem_mkdir(ap_fs *fs, const char *path);
const char *ap_fs_mem_get(ap_fs *fs, const char *path, size_t *len);
void ap_fs_mem_commit(ap_fs *fs, ap_run *run);
void ap_fs_mem_free(ap_fs *fs);

/* Writes every changed file of a run under the root of disk (the disk
 * provider the run read through) as one transaction, journaled so that a
 * crash at any point leaves all files old or all new once ap_recover has run
 * (docs/engine.md, "Applying on disk"). Each target must still be the file
 * that was read, else nothing is written and the code is TARGET_CHANGED.
 * Returns AP_OK, or an error code with *why (malloc'd, one line that says
 * whether the files are as they were); *unchanged is false only when an undo
 * failed and the tree is left half-applied (the message says where the old
 * content is). */
ap_code ap_commit_disk(ap_run *run, ap_fs *disk, char **why, bool *unchanged);

/* A new file for ap_disk_create. */
typedef struct ap_new_file {
    const char *path;  /* root-relative */
    const char *bytes; /* NULL: a folder (with the folders above it) */
    size_t len;
} ap_new_file;

/* Creates files that must not exist yet under disk's root, as one
 * transaction like ap_commit_disk (the language server's apls.createFiles). */
ap_code ap_disk_create(ap_fs *disk, const ap_new_file *files, size_t n, char **why);

/* What did not apply, handed back (apply --partial, the server's "Apply
 * what resolves"; handback.c). */
/* Is the patch's structure at fault (an error no modification owns)? Then
 * nothing is applied at all. */
bool ap_handback_fatal(const ap_patch *p);
/* Did modification (change, mod) fail, or not run because its file failed? */
bool ap_handback_failed(const ap_run *run, size_t change, size_t mod);
/* How many modifications are handed back (failed, or malformed). */
size_t ap_handback_count(const ap_run *run);
/* The failing modifications as a patch in the patch's format (malloc'd,
 * *len bytes): <name>.failed.ap. */
char *ap_handback_patch(const ap_run *run, size_t *len);
/* The report for the model (markdown, malloc'd, *len bytes): per failed
 * modification its code, message and the lines around the closest places
 * as the files are once the rest applied: <name>.failed.md. patch_name and
 * failed_name are how it names the patch and the failed patch. */
char *ap_handback_report(const ap_run *run, const char *patch_name, const char *failed_name, size_t *len);

typedef enum ap_recovery {
    AP_RECOVER_NONE = 0,     /* no interrupted apply in that root */
    AP_RECOVER_ROLLED_BACK,  /* one was undone: every file is as before it */
    AP_RECOVER_FINISHED,     /* one was finished: every file is new */
    AP_RECOVER_BUSY,         /* another apply is running there now */
    AP_RECOVER_FAILED        /* it could not be settled: *msg says what and where */
} ap_recovery;

/* Settles what an interrupted apply left in root (its journal): undone when
 * it had not reached its renames, finished when it had. *msg (malloc'd, or
 * NULL for NONE) says what was done. */
ap_recovery ap_recover(const char *root, char **msg);

#endif
