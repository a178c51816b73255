/* ap.h - the apls engine: parse, resolve and apply .ap 2.0 patches.
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
    /* apls additions: what the disk can refuse */
    AP_FILE_NOT_TEXT,   /* a NUL byte: a binary file */
    AP_FILE_READ_ONLY,  /* the user may not write the target */
    AP_IO_ERROR,        /* read or write failed (permissions, disk full, ...) */
    /* warnings and hints */
    AP_UNKNOWN_KEY,     /* a key the format does not define: ignored */
    AP_SCALAR_STYLE,    /* code in a quoted, plain or folded scalar */
    AP_ALREADY_APPLIED, /* the modification is recognised as applied */
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

/* A suggested repair: replace span of the patch text with text. */
typedef struct ap_fix {
    char *title;
    ap_span span;
    char *text;
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
} ap_problem;

/* ------------------------------------------------------------------ text */

typedef enum ap_eol { AP_EOL_AUTO = 0, AP_EOL_LF, AP_EOL_CRLF, AP_EOL_CR } ap_eol;

/* An immutable target text, split into lines and indexed by stripped-line
 * hash. Built once per content version and shared by reference. */
typedef struct ap_text ap_text;

/* A new text holding a copy of bytes[0..len), with one reference. */
ap_text *ap_text_new(const char *bytes, size_t len);
ap_text *ap_text_retain(ap_text *t);
void ap_text_release(ap_text *t);
const char *ap_text_bytes(const ap_text *t);
size_t ap_text_len(const ap_text *t);
uint32_t ap_text_line_count(const ap_text *t);
/* Byte offset where line i starts (i == line count gives the text length). */
uint32_t ap_text_line_start(const ap_text *t, uint32_t i);
/* The line ending the text uses (AP_EOL_AUTO: it has no line break). */
ap_eol ap_text_eol(const ap_text *t);

/* ----------------------------------------------------------------- patch */

typedef enum ap_action {
    AP_ACTION_NONE = 0,
    AP_REPLACE,
    AP_INSERT_AFTER,
    AP_INSERT_BEFORE,
    AP_DELETE,
    AP_CREATE_FILE
} ap_action;

const char *ap_action_name(ap_action a);

typedef enum ap_style {
    AP_STYLE_PLAIN = 1,
    AP_STYLE_SINGLE_QUOTED,
    AP_STYLE_DOUBLE_QUOTED,
    AP_STYLE_LITERAL,
    AP_STYLE_FOLDED
} ap_style;


/* One key of the patch and its scalar value. */
typedef struct ap_field {
    bool present;      /* the key is there */
    bool is_string;    /* the value is a string (value != NULL) */
    bool is_null;      /* the value is empty or null */
    char *value;       /* the decoded text, NUL-terminated */
    size_t len;
    ap_style style;
    ap_span key;       /* the key's text */
    ap_span span;      /* the value's text; for a block scalar, its content */
    /* For a literal block: where each line of the value starts in the patch
     * (n_lines entries), so a problem can point at one line of a snippet. */
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
    ap_field snippet, start_snippet, end_snippet, anchor, content;
    ap_field lead_f, trail_f;
    uint32_t lead, trail; /* include_leading/trailing_blank_lines */
    bool ok;              /* well-formed: may be resolved */
} ap_mod;

typedef struct ap_change {
    ap_span span, head;
    ap_field file_path, newline, mods_f;
    ap_eol eol;
    ap_mod *mods;
    size_t n_mods;
    bool ok;           /* file_path and newline are usable */
} ap_change;

typedef struct ap_patch {
    char *text;        /* a copy of the source */
    size_t len;
    ap_field version, changes_f;
    ap_change *changes;
    size_t n_changes;
    ap_problem *problems; /* YAML and schema problems, in text order */
    size_t n_problems;
    bool has_errors;
    bool reparsable;   /* clean YAML: ap_patch_reparse may work on it */
} ap_patch;

/* The largest patch read (a hostile 100 MB patch is refused at once). */
#define AP_MAX_PATCH_BYTES (16u << 20)

/* Parses text. Never fails: the result always holds a model (possibly empty)
 * and every problem found. The caller frees it with ap_patch_free. */
ap_patch *ap_patch_parse(const char *text, size_t len);
void ap_patch_free(ap_patch *p);

/* The patch of text, an edited version of old's text, parsed again only
 * where the edit fell: the one change or modification holding it is parsed
 * on its own and everything else moves over with its positions shifted. Falls
 * back to ap_patch_parse whenever that would not give the same result. old
 * is left hollow: only its text and its changes' spans stay, for
 * ap_run_reuse; free it after. The caller frees the result. */
ap_patch *ap_patch_reparse(ap_patch *old, const char *text, size_t len);

/* -------------------------------------------------------------------- fs */

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
};

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
} ap_options;

#define AP_OPTIONS_INIT {AP_WS_ALL, -1, -1}

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
    char *after;           /* what takes its place, indented (NULL: nothing) */
} ap_mod_result;

typedef enum ap_file_status {
    AP_FILE_UNCHANGED = 0,
    AP_FILE_MODIFIED,
    AP_FILE_CREATED,
    AP_FILE_FAILED
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
    int first_change;      /* the first change naming it */
    int *changes;          /* every change naming it, in order */
    size_t n_changes;
    ap_eol eol;            /* the newline a change asks for (AUTO: keep) */
    struct ap_view *view;  /* internal */
} ap_file;

typedef struct ap_run {
    const ap_patch *patch; /* borrowed: must outlive the run */
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

/* ------------------------------------------------------------- utilities */

/* Appends to *out (malloc'd, NUL-terminated, *out_len bytes) a unified diff
 * of a rendered file, with 3 lines of context. */
void ap_diff_unified(const ap_file *f, char **out, size_t *out_len);

/* Converts a byte offset of text to a 0-based line and a 0-based column in
 * code points. */
void ap_linecol(const char *text, size_t len, uint32_t off, uint32_t *line,
                uint32_t *col);

/* A file provider reading the disk under root. Free with ap_fs_disk_free. */
ap_fs *ap_fs_disk_new(const char *root);
void ap_fs_disk_free(ap_fs *fs);

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

/* A file provider over memory (tests, fuzzers). put copies bytes; commit
 * stores the new bytes of every changed file of a run (rendering it). */
ap_fs *ap_fs_mem_new(void);
void ap_fs_mem_put(ap_fs *fs, const char *path, const char *bytes, size_t len, bool read_only);
const char *ap_fs_mem_get(ap_fs *fs, const char *path, size_t *len);
void ap_fs_mem_commit(ap_fs *fs, ap_run *run);
void ap_fs_mem_free(ap_fs *fs);

/* Writes every changed file of a rendered run under root as one transaction:
 * temporary files beside their targets, renamed into place only when all are
 * written; folders for new files are made and removed again on failure. File
 * modes are kept. Returns AP_OK, or an error code with *why (malloc'd). */
ap_code ap_commit_disk(ap_run *run, const char *root, char **why);

#endif
