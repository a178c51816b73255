/* cli.h - the command line: apls check and apls apply (contract.md). It uses
 * only the engine's public header, plus jansson for --json. */
#ifndef APLS_CLI_H
#define APLS_CLI_H

#include "ap.h"

#include <stdbool.h>
#include <stdio.h>

/* One patch on the command line, resolved. */
typedef struct cli_patch {
    const char *arg;     /* the path as given */
    ap_patch *patch;
    char *root;          /* the root its file_paths resolve against */
    bool root_guessed;   /* no --root: the patch's folder or its workspace */
    ap_fs *fs;
    ap_run *run;
} cli_patch;

/* Reads and resolves the patch at arg, after settling what an interrupted
 * apply left in its root (said on err). Returns 0; 1 when that could not be
 * settled (another apply runs there, or its undo failed: said on err; the
 * patch is resolved all the same); 2 when the patch cannot be read (the
 * reason is printed on err). through_links: see ap_fs_disk_through_links. */
int cli_patch_load(cli_patch *cp, const char *arg, const char *root_opt, ap_ws_mode ws, bool through_links,
                   FILE *err);
void cli_patch_release(cli_patch *cp);

/* Forgets what the reports cached about p (its line index): call before
 * freeing it, as its address may be reused. */
void cli_report_forget(const ap_patch *p);

/* Prints every problem in the compiler convention (errors and warnings). */
void cli_print_problems(FILE *out, const cli_patch *cp);
/* Prints the files and what happens to them. */
void cli_print_files(FILE *out, const cli_patch *cp, const char *verb);

/* --json: appends this patch's problems and files to the arrays. */
struct json_t;
void cli_json_add(const cli_patch *cp, struct json_t *errors, struct json_t *warnings,
                  struct json_t *files, bool with_diff);

int apls_check_main(int argc, char **argv);
int apls_apply_main(int argc, char **argv);
int apls_recover_main(int argc, char **argv);

#endif
