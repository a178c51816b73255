/* server.h - the language server: state shared by server/lsp/ files.
 *
 * The server joins the engine (ap.h: knows .ap) and the protocol layer
 * (protocol/: knows LSP). It owns the policy: when to analyse, what becomes a
 * diagnostic, how results become edits. See docs/server.md. */
#ifndef APLS_SERVER_H
#define APLS_SERVER_H

#include "ap.h"
#include "docstore.h"
#include "endpoint.h"
#include "log.h"
#include "position.h"

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

typedef struct apls_server apls_server;

/* What the disk said of a file when it was read: a change to the file
 * changes one of these (ctime too, when the mtime is put back). */
typedef struct apls_disk_id {
    unsigned long long dev, ino, size, mtime_ns, ctime_ns;
} apls_disk_id;

/* A target the server read, kept between analyses (vfs.c): its text, and
 * the answers of the path and write checks. */
typedef struct apls_cached {
    char *path;            /* absolute */
    bool loaded;           /* text/code below hold a result */
    ap_text *text;         /* NULL when the file could not be read */
    ap_code code;          /* when text is NULL: why */
    char *why;
    bool from_doc;         /* an open document's text */
    uint64_t stamp;        /* the document's stamp, when from_doc */
    bool exists;           /* from the disk: stat found it */
    apls_disk_id id;       /* from the disk: its identity when read */
    bool racy;             /* changed so shortly before the read that a later
                              change may not show in id: compare the bytes */
    char *check_root;      /* the root check_code answers for, or NULL */
    ap_code check_code;
    char *check_why;
    bool writable_known;
    ap_code writable_code;
    char *writable_why;
    char *canonical_root;  /* the root canonical answers for, or NULL */
    char *canonical;       /* the disk's other spelling of the path, or NULL */
    char *kind_root;       /* the root kind answers for, or NULL */
    ap_path_kind kind;     /* what stands at the path (3.2 asks it of every FILE) */
} apls_cached;

/* The files under a root, as the provider listed them (vfs.c): kept a few
 * seconds, so that typing in a patch whose file is missing does not walk
 * the tree at every keystroke. */
typedef struct apls_listing {
    char *root;
    char **paths;
    size_t n, cap;
    bool complete;
    uint64_t at;           /* uv_now when made */
} apls_listing;

/* What one analysis did, for the analysis report (analysis.c): opt-in with
 * the setting "analysisReport" (a $/apls/analysed notification per analysis)
 * or the debug log level (a log line). CPU times in microseconds of the
 * server's thread. */
typedef struct apls_report {
    bool unsent;           /* an analysis whose report is still to be sent */
    bool deferred;         /* a publication follows: it sends the report */
    bool timed;            /* the clocks below were read */
    uint64_t at;           /* thread CPU ns when the analysis began */
    uint64_t parse_us, root_us, run_us, build_us, dump_us, send_us;
    size_t diagnostics;    /* how many the publication held */
    size_t reused_diags;   /* of them, taken from the cache unchanged */
    bool published;        /* sent to the client (they differed) */
} apls_report;

/* The system calls and work of the file provider, counted by vfs.c and
 * reset at each analysis. */
typedef struct apls_counts {
    unsigned checks;       /* path checks asked of the disk (links on the way) */
    unsigned canonicals;   /* canonical spellings asked of the disk */
    unsigned writables;    /* write checks asked of the disk */
    unsigned stats;        /* targets stat'd */
    unsigned reads;        /* targets read from the disk */
    unsigned indexed;      /* texts built (split, stripped, hashed) */
} apls_counts;

/* One open patch and its latest analysis (analysis.c). */
typedef struct apls_patch {
    apls_server *srv;
    char *uri;             /* as the client spelled it */
    char *path;            /* decoded; NULL for a non-file URI */
    uv_timer_t *timer;     /* debounce; freed in its close callback */
    int64_t version;       /* of the analysis below; -1 before the first */
    uint64_t stamp;        /* the document's stamp at that analysis */
    ap_patch *patch;       /* parsed from the document's text at version */
    ap_run *run;
    ap_fs *fs;             /* the provider the run read through */
    char *root;            /* where file_paths resolve */
    char *targets;         /* the file_paths the root was chosen for */
    bool rechoose_root;    /* the disk or the settings changed: choose again */
    char *root_why;        /* why there, for messages */
    char **deps;           /* absolute paths the run read */
    size_t n_deps, cap_deps;
    uint32_t *dep_index;   /* open addressing over deps: i + 1, 0 free */
    size_t dep_mask;
    char *published;       /* the last diagnostics sent, serialized */
    char *status_sent;     /* the last apls/status sent, serialized */
    apls_report rep;
    struct apls_diag_cache *diags; /* each diagnostic's JSON text, by its inputs (diagnostics.c) */
    int diags_enc;         /* the position encoding of the kept ranges */
} apls_patch;

typedef struct apls_settings {
    char *root;            /* overrides where file_paths resolve */
    unsigned debounce_ms;
    bool report;           /* "analysisReport": $/apls/analysed after each analysis */
    ap_ws_mode trailing_ws;
    int encoding;          /* -1: negotiate; else a forced lsp_encoding */
} apls_settings;

struct apls_server {
    uv_loop_t *loop;
    lsp_endpoint *ep;
    lsp_docstore *docs;
    lsp_encoding enc;
    apls_settings set;
    struct {
        bool markdown, create_files, watch_dynamic, configuration, show_document;
        bool rename_files, delete_files; /* resourceOperations: 3.2 RENAME, DELETE of a path */
        bool disabled_actions, related_info, code_lens_refresh;
    } client;
    char **folders;        /* workspace folders, absolute paths */
    size_t n_folders;
    apls_patch **patches;
    size_t n_patches;
    apls_cached *cache;
    size_t n_cache, cap_cache;
    uint32_t *cache_index; /* open addressing over cache by path: i + 1, 0 free */
    size_t cache_mask;
    /* the text of the file last dropped from the cache (changed on disk),
     * until it is read again: the new text follows it (ap_text_follow) */
    char *left_path;
    ap_text *left_text;
    apls_listing listings[4];
    struct apls_watch *watch; /* watch.c */
    apls_counts counts;    /* of the analysis under way (vfs.c) */
};

/* server.c */
bool apls_is_patch(const lsp_doc *doc);
apls_patch *apls_patch_of(apls_server *s, const char *uri);

/* vfs.c: the engine's file provider for one analysis (buffers over disk).
 * A cached disk answer is used without touching the disk while a watch would
 * tell its change (apls_watch_covers), unless the path was named by
 * apls_vfs_recheck. */
ap_fs *apls_vfs_new(apls_server *s, apls_patch *owner, const char *root);
void apls_vfs_free(ap_fs *fs);
/* Checks the root-relative path on disk in this analysis, cached or not. */
void apls_vfs_recheck(ap_fs *fs, const char *path);
/* Checks every disk file of paths (absolute, under the vfs's root) against
 * the disk now: stat, and the bytes when in doubt. True when any answer
 * changed (the cache then holds the new one). */
bool apls_vfs_verify(ap_fs *fs, char **paths, size_t n);
/* What stands at path (root-relative) on disk now, not from the cache (which
 * takes the answer), or a file for an open document. */
ap_path_kind apls_vfs_kind_now(ap_fs *fs, const char *path);
/* Forgets everything cached of path (it changed on disk). */
void apls_cache_drop(apls_server *s, const char *path);
void apls_cache_free(apls_server *s);
/* Forgets everything cached of the paths no open patch's latest analysis
 * read: a long session would otherwise keep the text of every file any
 * patch ever named. Called when a patch closes or its file_paths change. */
void apls_cache_trim(apls_server *s);
/* How many texts the cache holds (for the analysis report). */
size_t apls_cache_texts(const apls_server *s);
/* The text the engine read for file i of p's run, or NULL. */
const ap_text *apls_run_text(const apls_patch *p, size_t i);

/* analysis.c */
apls_patch *apls_patch_open(apls_server *s, const lsp_doc *doc);
void apls_patch_close(apls_patch *p); /* clears its diagnostics, frees it */
void apls_patch_schedule(apls_patch *p);
/* Brings the analysis up to the document's current version. */
void apls_patch_refresh(apls_patch *p);
/* Before an edit is built: brings the analysis up to date and makes sure
 * every target read from the disk is what the disk holds now (analysing
 * again, and publishing, when one is not). */
void apls_patch_verify(apls_patch *p);
/* Re-checks every open patch that read path. */
void apls_dependents_changed(apls_server *s, const char *path);
/* The change and modification at byte offset off (-1 when none). */
void apls_patch_locate(const apls_patch *p, uint32_t off, int *change, int *mod);
/* The absolute path of file i of the run. */
char *apls_target_path(const apls_patch *p, size_t i);

/* positions at the edge: against the document's line index (its text is
 * the patch's text: every use follows apls_patch_refresh) */
const lsp_lines *apls_patch_lines(const apls_patch *p);
lsp_position apls_patch_pos(const apls_patch *p, uint32_t off);
json_t *apls_patch_range(const apls_patch *p, ap_span sp);
uint32_t apls_patch_offset(const apls_patch *p, lsp_position pos);
json_t *apls_target_range(const apls_server *s, const ap_text *t, uint32_t line, uint32_t end_line);
json_t *apls_target_location(const apls_patch *p, int file, ap_tspan where);

/* diagnostics.c */
void apls_publish(apls_patch *p);
void apls_diag_cache_free(struct apls_diag_cache *dc);
/* analysis.c: the analysis report, when one is due and asked for */
bool apls_reporting(const apls_server *s);
uint64_t apls_cpu_ns(void);
void apls_report_send(apls_patch *p);
/* status.c: apls/status (the format read) when it changed */
void apls_publish_status(apls_patch *p);
/* A JSON string of s, made valid UTF-8 (target text in messages need not be:
 * jansson refuses such a string, and the message would be lost). */
json_t *apls_json_text(const char *s);

/* hover.c */
void apls_on_hover(lsp_endpoint *ep, json_t *id, json_t *params, void *data);

/* actions.c */
void apls_on_code_action(lsp_endpoint *ep, json_t *id, json_t *params, void *data);
void apls_on_execute_command(lsp_endpoint *ep, json_t *id, json_t *params, void *data);

/* edits.c: a run's changes as a WorkspaceEdit; NULL with *why when it cannot
 * be applied. *creates gets the files to create by command (when the client
 * has no CreateFile), or stays NULL. */
json_t *apls_workspace_edit(apls_patch *p, ap_run *run, char **why, json_t **creates);
/* The same; partial: the files that resolve even when others fail (a failed
 * file's status is FAILED and it is left out), as apply --partial writes. */
json_t *apls_workspace_edit_opts(apls_patch *p, ap_run *run, bool partial, char **why, json_t **creates);
/* Appends to a WorkspaceEdit's documentChanges the new file at abs with
 * bytes (CreateFile + its text where the client can, else an
 * apls.createFiles entry in *creates; an existing file's whole text
 * replaced). */
void apls_edit_put_file(apls_patch *p, json_t *edit, json_t **creates, const char *abs, const char *bytes,
                        size_t len);
/* A WorkspaceEdit replacing span of the patch with text. */
json_t *apls_patch_edit(const apls_patch *p, ap_span span, const char *text);
/* Writes the files of an apls.createFiles command; 0 or -1 with *why. */
int apls_create_files(apls_server *s, json_t *files, char **why);

/* symbols.c */
void apls_on_document_symbol(lsp_endpoint *ep, json_t *id, json_t *params, void *data);
void apls_on_code_lens(lsp_endpoint *ep, json_t *id, json_t *params, void *data);
void apls_on_definition(lsp_endpoint *ep, json_t *id, json_t *params, void *data);
/* "src/a.c:12-14" or why it does not resolve, for lenses and hovers. */
char *apls_mod_summary(const apls_patch *p, int ch, int md);
/* What a 3.2 operation on a path does ("a.txt → b/a.txt", "deletes folder
 * out"; quote: paths in single quotes, as messages quote code), or NULL for
 * a modification of text. */
char *apls_path_op_summary(const apls_patch *p, int ch, int md, bool quote);

/* complete.c */
void apls_on_completion(lsp_endpoint *ep, json_t *id, json_t *params, void *data);
/* complete.c: lines of a target as completion items (3.2 too) */
void apls_complete_target_lines(json_t *items, const ap_text *t, const char *typed, size_t typed_len,
                                lsp_position from, lsp_position to, bool as_held);
/* complete3.c: the items at pos of a 3.2 document (header_only: just the
 * 3.2 header, offered in a blank document beside 2.0's keys) */
json_t *apls_complete3(apls_patch *p, lsp_position pos, bool header_only);
/* Nothing but blank and comment lines: either format may start here. */
bool apls_blank_patch(const apls_patch *p);

/* watch.c */
void apls_watch_init(apls_server *s);
void apls_watch_paths(apls_server *s, char **paths, size_t n);
/* Whether a change of path (absolute) would be reported: the client watches
 * the workspace folders, or the server watches path's folder. */
bool apls_watch_covers(const apls_server *s, const char *path);
void apls_watch_close(apls_server *s);
void apls_on_watched_files(lsp_endpoint *ep, json_t *params, void *data);

/* serve.c */
int apls_serve(int argc, char **argv);

#endif
