/* commands.c - apls check, apply and convert: option parsing, exit codes. */
#include "cli.h"
#include "apls_help.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef struct cli_opts {
    const char *root;
    bool json, dry_run, through_links;
    bool strict;   /* 3.2: refuse what the reference's strict mode refuses */
    bool partial;  /* apply what resolves; the rest goes to <name>.failed.ap */
    const char *to; /* convert: "2.0" or "3.2" */
    ap_ws_mode ws;
    const char **patches;
    int n;
} cli_opts;

static int usage(const char *cmd, const char *msg)
{
    if (msg)
        fprintf(stderr, "apls %s: %s\n", cmd, msg);
    /* the lines of --help and the manual (server/cli/help.txt) */
    if (strcmp(cmd, "check") == 0)
        fputs("usage: " APLS_USAGE_CHECK "\n", stderr);
    else if (strcmp(cmd, "apply") == 0)
        fputs("usage: " APLS_USAGE_APPLY "\n", stderr);
    else if (strcmp(cmd, "convert") == 0)
        fputs("usage: " APLS_USAGE_CONVERT "\n", stderr);
    else
        fputs("usage: " APLS_USAGE_RECOVER "\n", stderr);
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
        } else if (strcmp(a, "--json") == 0 && strcmp(cmd, "convert") != 0 && strcmp(cmd, "recover") != 0) {
            o->json = true;
        } else if (strcmp(a, "--strict") == 0 && strcmp(cmd, "recover") != 0) {
            o->strict = true;
        } else if (strcmp(a, "--partial") == 0 && (strcmp(cmd, "check") == 0 || strcmp(cmd, "apply") == 0)) {
            o->partial = true;
        } else if (strcmp(a, "--through-links") == 0 && (strcmp(cmd, "check") == 0 || strcmp(cmd, "apply") == 0)) {
            o->through_links = true;
        } else if ((strcmp(a, "--to") == 0 || strncmp(a, "--to=", 5) == 0) && strcmp(cmd, "convert") == 0) {
            const char *v = a[4] == '=' ? a + 5 : i + 1 < argc ? argv[++i] : "";
            if (strcmp(v, "2.0") != 0 && strcmp(v, "3.2") != 0)
                return usage(cmd, "--to takes 2.0 or 3.2");
            o->to = v;
        } else if (strcmp(a, "--dry-run") == 0 && strcmp(cmd, "apply") == 0) {
            o->dry_run = true;
        } else if (strcmp(a, "--trailing-whitespace") == 0 && i + 1 < argc &&
                   (strcmp(cmd, "check") == 0 || strcmp(cmd, "apply") == 0)) {
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
    if (strcmp(cmd, "convert") == 0 && o->n > 1)
        return usage(cmd, "convert takes one patch");
    if (strcmp(cmd, "convert") == 0 && !o->to)
        return usage(cmd, "--to 2.0 or --to 3.2 is needed");
    return -1;
}

static unsigned parse_flags(const cli_opts *o)
{
    return o->strict ? AP_PARSE_STRICT : 0;
}

static void print_json(json_t *patches, json_t *errors, json_t *warnings, json_t *files, bool ok)
{
    json_t *o = json_pack("{s:s,s:o,s:o,s:o,s:o}", "status", ok ? "SUCCESS" : "FAILED", "patches", patches,
                          "errors", errors, "warnings", warnings, "files", files);
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
    json_t *patches = json_array(), *errors = json_array(), *warnings = json_array(), *files = json_array();
    bool ok = true, unreadable = false;
    /* patches of one check read and index each target once (check writes
     * nothing, so a file stays as the first patch read it) */
    ap_text_cache *shared = o.n > 1 ? ap_text_cache_new((size_t)1 << 30) : NULL;
    for (int i = 0; i < o.n; i++) {
        cli_patch cp;
        int lrc = cli_patch_load(&cp, o.patches[i], o.root, o.ws, parse_flags(&o), o.through_links, shared,
                                 false, stderr);
        if (lrc == 2) {
            unreadable = true;
            continue;
        }
        ok &= cp.run->ok && lrc == 0;
        if (o.json) {
            json_array_append_new(patches, json_pack("{s:s,s:s}", "patch", cp.arg, "format",
                                                     ap_format_name(cp.patch->format)));
            cli_json_add(&cp, errors, warnings, files, false);
        } else {
            cli_print_problems(stdout, &cp);
            cli_print_files(stdout, &cp, "would be");
        }
        cli_patch_release(&cp);
    }
    ap_text_cache_free(shared);
    if (o.json)
        print_json(patches, errors, warnings, files, ok && !unreadable);
    else
        json_decref(patches), json_decref(errors), json_decref(warnings), json_decref(files);
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
    int lrc = cli_patch_load(&cp, o.patches[0], o.root, o.ws, parse_flags(&o), o.through_links, NULL,
                              !o.dry_run, stderr);
    if (lrc == 2) {
        free(o.patches);
        return 2;
    }
    free(o.patches);
    /* an interrupted apply that could not be settled, or one running now:
     * the files are not what this run read them to be */
    bool ok = cp.run->ok && lrc == 0;
    /* --partial: what resolves is written (as one transaction), unless the
     * patch's structure is at fault */
    cp.partial = o.partial && !cp.run->ok && lrc == 0 && !cli_partial_fatal(&cp);
    char *why = NULL;
    ap_code code = AP_OK;
    bool unchanged = true;
    if (ok || cp.partial) {
        for (size_t i = 0; i < cp.run->n_files; i++)
            ap_run_render(cp.run, i);
        if (!o.dry_run && (code = ap_commit_disk(cp.run, cp.fs, &why, &unchanged)) != AP_OK)
            ok = cp.partial = false;
        else if (!o.dry_run && ok)
            cli_record_save(cp.record, cp.run, cp.root);
    }
    if (o.json) {
        json_t *patches = json_array(), *errors = json_array(), *warnings = json_array(),
               *files = json_array();
        json_array_append_new(patches, json_pack("{s:s,s:s}", "patch", cp.arg, "format",
                                                 ap_format_name(cp.patch->format)));
        cli_json_add(&cp, errors, warnings, files, o.dry_run);
        if (why)
            json_array_append_new(errors, json_pack("{s:s,s:s}", "code", ap_code_name(code), "message", why));
        print_json(patches, errors, warnings, files, ok);
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
            cli_print_files(ok ? stdout : stderr, &cp, ok || cp.partial ? "" : "would be");
        }
    }
    if (cp.partial && !o.dry_run)
        cli_partial_write(&cp, stderr);
    else if (ok && !o.dry_run)
        cli_partial_clear(cp.arg);
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

/* apls convert: the patch rewritten in the other format (or normalized to
 * the strict form of its own), on stdout. What the target format cannot
 * say goes to stderr and makes the exit status 1; so does a patch with
 * errors (then nothing is printed). */
int apls_convert_main(int argc, char **argv)
{
    cli_opts o;
    int rc = parse_opts("convert", argc, argv, &o);
    if (rc >= 0) {
        free(o.patches);
        return rc;
    }
    cli_patch cp;
    memset(&cp, 0, sizeof cp);
    cp.arg = o.patches[0];
    cp.root = ".";
    free(o.patches);
    size_t len = 0;
    char *text = cli_read_patch(cp.arg, &len, stderr);
    if (!text) {
        if (len > AP_MAX_PATCH_BYTES)
            fprintf(stderr, "apls convert: '%s' is larger than %u MiB\n", cp.arg, AP_MAX_PATCH_BYTES >> 20);
        return 2;
    }
    cp.patch = ap_patch_parse_opts(text, len, parse_flags(&o));
    free(text);
    cli_print_problems(stderr, &cp);
    if (cp.patch->has_errors) {
        fprintf(stderr, "apls convert: %s has errors: nothing converted\n", cp.arg);
        cli_report_forget(cp.patch);
        ap_patch_free(cp.patch);
        return 1;
    }
    ap_write_options wo = {strcmp(o.to, "2.0") == 0 ? AP_FORMAT_2_0 : AP_FORMAT_3_2, NULL, NULL};
    ap_problem *lost = NULL;
    size_t n_lost = 0, out_len = 0;
    char *out = ap_patch_write(cp.patch, &wo, &out_len, &lost, &n_lost);
    fwrite(out, 1, out_len, stdout);
    cli_print_list(stderr, &cp, lost, n_lost);
    int status = n_lost ? 1 : 0;
    if (n_lost) {
        fprintf(stderr, "apls convert: %zu thing%s %s cannot express; the output leaves %s out or "
                        "changes %s\n", n_lost, n_lost == 1 ? "" : "s", o.to,
                n_lost == 1 ? "it" : "them", n_lost == 1 ? "it" : "them");
    } else {
        /* the output must say what the patch says */
        ap_patch *back = ap_patch_parse(out, out_len);
        char *why = NULL;
        if (back->has_errors || !ap_patch_same_model(cp.patch, back, &why)) {
            fprintf(stderr, "apls convert: the converted patch does not read back the same (%s); please "
                            "report this\n", why ? why : "it has errors");
            status = 1;
        }
        free(why);
        ap_patch_free(back);
    }
    if (wo.format == AP_FORMAT_2_0 && cp.patch->format == AP_FORMAT_3_2)
        fprintf(stderr, "apls convert: note: 2.0 strips trailing blanks from every line of a file it "
                        "writes, 3.2 only from inserted lines (apply the 2.0 patch with "
                        "--trailing-whitespace inserted to keep 3.2's behaviour)\n");
    free(out);
    ap_problems_free(lost, n_lost);
    cli_report_forget(cp.patch);
    ap_patch_free(cp.patch);
    return status;
}
