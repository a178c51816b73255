/* patchfile.c - reading a patch from disk and choosing its root.
 *
 * Without --root, a patch's file_paths resolve against its own folder or the
 * enclosing workspace, whichever holds more of its targets (ap_root_choose);
 * the choice shows in every path printed. */
#include "cli.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *cli_read_patch(const char *path, size_t *len, FILE *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(err, "apls: cannot read '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || S_ISDIR(st.st_mode)) {
        fprintf(err, "apls: cannot read '%s': %s\n", path,
                S_ISDIR(st.st_mode) ? "it is a folder" : strerror(errno));
        fclose(f);
        return NULL;
    }
    if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > AP_MAX_PATCH_BYTES) {
        /* refuse without reading: the engine says why */
        fclose(f);
        *len = (size_t)st.st_size;
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap > AP_MAX_PATCH_BYTES) {
                *len = n;
                free(buf);
                fclose(f);
                return NULL;
            }
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(err, "apls: cannot read '%s'\n", path);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int cli_patch_load(cli_patch *cp, const char *arg, const char *root_opt, ap_ws_mode ws,
                   unsigned parse_flags, bool through_links, ap_text_cache *shared, bool writes, FILE *err)
{
    memset(cp, 0, sizeof *cp);
    cp->arg = arg;
    size_t len = 0;
    char *text = cli_read_patch(arg, &len, err);
    if (!text && len <= AP_MAX_PATCH_BYTES)
        return 2;
    cp->patch = ap_patch_parse_opts(text ? text : "", text ? len : AP_MAX_PATCH_BYTES + 1, parse_flags);
    if (!text) {
        /* too large: the engine's message, with the real size */
        char msg[128];
        snprintf(msg, sizeof msg, "the patch is %zu bytes; apls reads patches of up to %u MiB", len,
                 AP_MAX_PATCH_BYTES >> 20);
        free(cp->patch->problems[0].message);
        cp->patch->problems[0].message = strdup(msg);
    }
    free(text);

    if (root_opt) {
        cp->root = strdup(root_opt);
        cp->root_why = strdup("given by --root");
    } else {
        /* the patch's folder as the user wrote it (messages stay short), or
         * its workspace if that holds more of the targets */
        char *copy = strdup(arg);
        char *dir = strdup(dirname(copy));
        free(copy);
        char *ws_root = ap_workspace_of(dir);
        const char *cands[2] = {dir, ws_root};
        size_t pick = ap_root_choose(cp->patch, cands, 2);
        cp->root = strdup(cands[pick]);
        cp->root_why = ap_root_why(cands, pick);
        cp->root_guessed = true;
        free(dir);
        free(ws_root);
    }
    if (!is_dir(cp->root))
        fprintf(err, "apls: warning: the root '%s' is not a folder\n", cp->root);
    /* what an interrupted apply left is settled before anything is read */
    int rc = 0;
    char *msg = NULL;
    ap_recovery rec = ap_recover(cp->root, &msg);
    if (rec != AP_RECOVER_NONE)
        fprintf(err, "apls: %s%s\n", rec == AP_RECOVER_BUSY || rec == AP_RECOVER_FAILED ? "error: " : "",
                msg);
    if (rec == AP_RECOVER_BUSY || rec == AP_RECOVER_FAILED)
        rc = 1;
    free(msg);
    cp->fs = ap_fs_disk_new(cp->root);
    ap_fs_disk_through_links(cp->fs, through_links);
    if (shared)
        ap_fs_disk_share_texts(cp->fs, shared);
    ap_options o = AP_OPTIONS_INIT;
    o.trailing_ws = ws;
    cp->record = cli_record_open(cp->patch, cp->root);
    o.known_applied = cli_record_known;
    o.known_ctx = cp->record;
    o.root_why = cp->root_why;
    /* the run is rendered, checked twice, printed or written: never searched again */
    o.search_once = true;
    cp->run = ap_run_new(cp->patch, cp->fs, &o);
    /* after the check, the commands read of a text read only its bytes
     * (the commit, the record) and of a file its diff */
    o.release_lines = true;
    o.diff_only = !writes;
    /* say now, before anything is written, where applying again would not
     * be a no-op */
    ap_run_check_twice(cp->run, &o);
    return rc;
}

void cli_patch_release(cli_patch *cp)
{
    ap_run_free(cp->run);
    cli_record_close(cp->record);
    ap_fs_disk_free(cp->fs);
    cli_report_forget(cp->patch);
    ap_patch_free(cp->patch);
    free(cp->root);
    free(cp->root_why);
    memset(cp, 0, sizeof *cp);
}
