/* commands.c - apls check and apply: option parsing, exit codes (contract.md). */
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef struct cli_opts {
    const char *root;
    bool json, dry_run, through_links;
    ap_ws_mode ws;
    const char **patches;
    int n;
} cli_opts;

static int usage(const char *cmd, const char *msg)
{
    if (msg)
        fprintf(stderr, "apls %s: %s\n", cmd, msg);
    if (strcmp(cmd, "check") == 0)
        fprintf(stderr, "usage: apls check [--root DIR] [--json] [--through-links] [--trailing-whitespace all|inserted] PATCH...\n");
    else if (strcmp(cmd, "apply") == 0)
        fprintf(stderr, "usage: apls apply [--root DIR] [--dry-run] [--json] [--through-links] [--trailing-whitespace all|inserted] PATCH\n");
    else
        fprintf(stderr, "usage: apls recover [--root DIR]\n");
    return 2;
}

/* Returns -1 when the options are fine, else the exit code. */
static int parse_opts(const char *cmd, int argc, char **argv, cli_opts *o)
{
    memset(o, 0, sizeof *o);
    o->patches = calloc((size_t)argc + 1, sizeof *o->patches);
    bool dashdash = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (dashdash || a[0] != '-' || strcmp(a, "-") == 0) {
            o->patches[o->n++] = a;
        } else if (strcmp(a, "--") == 0) {
            dashdash = true;
        } else if (strcmp(a, "--root") == 0 || strncmp(a, "--root=", 7) == 0) {
            if (a[6] == '=')
                o->root = a + 7;
            else if (i + 1 < argc)
                o->root = argv[++i];
            else
                return usage(cmd, "--root needs a folder");
        } else if (strcmp(a, "--json") == 0 && strcmp(cmd, "recover") != 0) {
            o->json = true;
        } else if (strcmp(a, "--through-links") == 0 && strcmp(cmd, "recover") != 0) {
            o->through_links = true;
        } else if (strcmp(a, "--dry-run") == 0 && strcmp(cmd, "apply") == 0) {
            o->dry_run = true;
        } else if (strcmp(a, "--trailing-whitespace") == 0 && i + 1 < argc && strcmp(cmd, "recover") != 0) {
            const char *v = argv[++i];
            if (strcmp(v, "all") == 0)
                o->ws = AP_WS_ALL;
            else if (strcmp(v, "inserted") == 0)
                o->ws = AP_WS_INSERTED;
            else
                return usage(cmd, "--trailing-whitespace takes 'all' or 'inserted'");
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(cmd, NULL);
            return 0;
        } else {
            char msg[256];
            snprintf(msg, sizeof msg, "unknown option '%s'", a);
            return usage(cmd, msg);
        }
    }
    if (strcmp(cmd, "recover") == 0)
        return o->n ? usage(cmd, "recover takes no patch, only --root") : -1;
    if (o->n == 0)
        return usage(cmd, "no patch given");
    if (strcmp(cmd, "apply") == 0 && o->n > 1)
        return usage(cmd, "apply takes one patch (a transaction is one patch)");
    return -1;
}

static void print_json(json_t *errors, json_t *warnings, json_t *files, bool ok)
{
    json_t *o = json_pack("{s:s,s:o,s:o,s:o}", "status", ok ? "SUCCESS" : "FAILED", "errors", errors,
                          "warnings", warnings, "files", files);
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    puts(s);
    free(s);
    json_decref(o);
}

int apls_check_main(int argc, char **argv)
{
    cli_opts o;
    int rc = parse_opts("check", argc, argv, &o);
    if (rc >= 0) {
        free(o.patches);
        return rc;
    }
    json_t *errors = json_array(), *warnings = json_array(), *files = json_array();
    bool ok = true, unreadable = false;
    for (int i = 0; i < o.n; i++) {
        cli_patch cp;
        int lrc = cli_patch_load(&cp, o.patches[i], o.root, o.ws, o.through_links, stderr);
        if (lrc == 2) {
            unreadable = true;
            continue;
        }
        ok &= cp.run->ok && lrc == 0;
        if (o.json) {
            cli_json_add(&cp, errors, warnings, files, false);
        } else {
            cli_print_problems(stdout, &cp);
            cli_print_files(stdout, &cp, "would be");
        }
        cli_patch_release(&cp);
    }
    if (o.json)
        print_json(errors, warnings, files, ok && !unreadable);
    else
        json_decref(errors), json_decref(warnings), json_decref(files);
    free(o.patches);
    return unreadable ? 2 : ok ? 0 : 1;
}

int apls_apply_main(int argc, char **argv)
{
    cli_opts o;
    int rc = parse_opts("apply", argc, argv, &o);
    if (rc >= 0) {
        free(o.patches);
        return rc;
    }
    cli_patch cp;
    int lrc = cli_patch_load(&cp, o.patches[0], o.root, o.ws, o.through_links, stderr);
    if (lrc == 2) {
        free(o.patches);
        return 2;
    }
    free(o.patches);
    /* an interrupted apply that could not be settled, or one running now:
     * the files are not what this run read them to be */
    bool ok = cp.run->ok && lrc == 0;
    char *why = NULL;
    ap_code code = AP_OK;
    bool unchanged = true;
    if (ok) {
        for (size_t i = 0; i < cp.run->n_files; i++)
            ap_run_render(cp.run, i);
        if (!o.dry_run && (code = ap_commit_disk(cp.run, cp.fs, &why, &unchanged)) != AP_OK)
            ok = false;
    }
    if (o.json) {
        json_t *errors = json_array(), *warnings = json_array(), *files = json_array();
        cli_json_add(&cp, errors, warnings, files, o.dry_run);
        if (why)
            json_array_append_new(errors, json_pack("{s:s,s:s}", "code", ap_code_name(code), "message", why));
        print_json(errors, warnings, files, ok);
    } else {
        cli_print_problems(ok ? stdout : stderr, &cp);
        if (why)
            fprintf(stderr, "%s: error: %s: %s\n", cp.arg, ap_code_name(code), why);
        if (ok && o.dry_run) {
            for (size_t i = 0; i < cp.run->n_files; i++) {
                char *d;
                size_t n;
                ap_diff_unified(&cp.run->files[i], &d, &n);
                fwrite(d, 1, n, stdout);
                free(d);
            }
        } else {
            cli_print_files(ok ? stdout : stderr, &cp, ok ? "" : "would be");
        }
    }
    free(why);
    cli_patch_release(&cp);
    return ok ? 0 : unchanged ? 1 : 3;
}

int apls_recover_main(int argc, char **argv)
{
    cli_opts o;
    int rc = parse_opts("recover", argc, argv, &o);
    free(o.patches);
    if (rc >= 0)
        return rc;
    /* without --root: the current folder, and the workspace around it */
    char *ws = o.root ? NULL : ap_workspace_of(".");
    const char *roots[2] = {o.root ? o.root : ".", ws};
    bool failed = false, any = false;
    for (int i = 0; i < 2; i++) {
        if (!roots[i] || (i == 1 && strcmp(roots[1], ".") == 0))
            continue;
        char *msg = NULL;
        ap_recovery r = ap_recover(roots[i], &msg);
        if (r != AP_RECOVER_NONE) {
            any = true;
            printf("apls: %s\n", msg);
        }
        failed |= r == AP_RECOVER_BUSY || r == AP_RECOVER_FAILED;
        free(msg);
    }
    if (!any)
        printf("apls: no interrupted apply in '%s'%s%s\n", roots[0], ws ? " or " : "", ws ? ws : "");
    free(ws);
    return failed ? 1 : 0;
}
