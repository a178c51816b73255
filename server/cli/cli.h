/* cli.h - the command line: apls check and apls apply (contract.md). It uses
 * only the engine's public header, plus jansson for --json. */
#ifndef APLS_CLI_H
#define APLS_CLI_H

#include "ap.h"

#include <stdbool.h>
#include <stdio.h>

/* What apls recorded of applying a patch in a root (record.c). */
typedef struct cli_record cli_record;

/* The record of patch p in root (empty when there is none). */
cli_record *cli_record_open(const ap_patch *p, const char *root);
/* ap_options.known_applied: is the file at path as apply left it? */
bool cli_record_known(void *record, const char *path, const ap_text *text);
/* Records what a run that was just written left in every file. */
void cli_record_save(cli_record *r, const ap_run *run, const char *root);
void cli_record_close(cli_record *r);

/* One patch on the command line, resolved. */
typedef struct cli_patch {
    const char *arg;     /* the path as given */
    ap_patch *patch;
    char *root;          /* the root its file_paths resolve against */
    bool root_guessed;   /* no --root: the patch's folder or its workspace */
    char *root_why;      /* why there, for messages */
    ap_fs *fs;
    ap_run *run;
    cli_record *record;  /* what an earlier apply of it here left */
    bool partial;        /* --partial applied what resolves, though not all */
} cli_patch;

/* Reads the patch at arg (NUL-terminated, malloc'd, *len bytes). NULL when
 * it cannot be read (the reason is printed on err), or when it is larger than
 * the engine reads (then *len > AP_MAX_PATCH_BYTES and nothing is printed). */
char *cli_read_patch(const char *arg, size_t *len, FILE *err);

/* Reads, parses (with AP_PARSE_* flags) and resolves the patch at arg, after
 * settling what an interrupted apply left in its root (said on err). Returns
 * 0; 1 when that could not be settled (another apply runs there, or its undo
 * failed: said on err; the patch is resolved all the same); 2 when the patch
 * cannot be read (the reason is printed on err). through_links: see
 * ap_fs_disk_through_links; shared (or NULL): texts the patches of one
 * command share (ap_fs_disk_share_texts). writes: the caller will write the
 * files (apply): their new bytes are kept; otherwise only the diffs are. */
int cli_patch_load(cli_patch *cp, const char *arg, const char *root_opt, ap_ws_mode ws,
                   unsigned parse_flags, bool through_links, ap_text_cache *shared, bool writes, FILE *err);
void cli_patch_release(cli_patch *cp);

/* Forgets what the reports cached about p (its line index): call before
 * freeing it, as its address may be reused. */
void cli_report_forget(const ap_patch *p);

/* Prints every problem in the compiler convention (errors and warnings). */
void cli_print_problems(FILE *out, const cli_patch *cp);
/* Prints list[0..n) (problems about cp's patch text) the same way. */
void cli_print_list(FILE *out, const cli_patch *cp, const ap_problem *list, size_t n);
/* Prints the patch's format, then the files and what happens to them. */
void cli_print_files(FILE *out, const cli_patch *cp, const char *verb);

/* --json: appends this patch's problems and files to the arrays. */
struct json_t;
void cli_json_add(const cli_patch *cp, struct json_t *errors, struct json_t *warnings,
                  struct json_t *files, bool with_diff);

/* --partial (partial.c): does the patch hold an error that fails it whole
 * (its structure, not one modification)? */
bool cli_partial_fatal(const cli_patch *cp);
/* Writes the failing modifications beside the patch (<name>.failed.ap) and
 * a report for the model that wrote it (<name>.failed.md); says so on msg.
 * Returns 0, or -1 when a file could not be written. */
int cli_partial_write(const cli_patch *cp, FILE *msg);
/* Removes stale <name>.failed.ap and .md after a clean apply. */
void cli_partial_clear(const char *arg);

int apls_check_main(int argc, char **argv);
int apls_apply_main(int argc, char **argv);
int apls_convert_main(int argc, char **argv);
int apls_recover_main(int argc, char **argv);

#endif
