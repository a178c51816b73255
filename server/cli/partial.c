/* partial.c - apls apply --partial: what did not apply, handed back.
 *
 * With --partial, apply writes what resolves (still as one transaction) and
 * leaves the rest. The modifications that failed are written beside the
 * patch as <name>.failed.ap, in the patch's format, so that a model (or a
 * person) can correct just them and apply that; <name>.failed.md says, for
 * each, what went wrong, the closest lines, and the text around them as the
 * files are now (the engine's handback.c writes both). Nothing is written
 * into the project. A clean apply of the patch removes stale ones. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* <patch without .ap>.failed.<ext> */
static char *beside(const char *arg, const char *ext)
{
    size_t n = strlen(arg);
    if (n > 3 && strcmp(arg + n - 3, ".ap") == 0)
        n -= 3;
    char *out = NULL;
    if (asprintf(&out, "%.*s.failed.%s", (int)n, arg, ext) < 0)
        return NULL;
    return out;
}

bool cli_partial_fatal(const cli_patch *cp)
{
    return ap_handback_fatal(cp->patch);
}

int cli_partial_write(const cli_patch *cp, FILE *msg)
{
    size_t n_failed = ap_handback_count(cp->run);
    char *ap_path = beside(cp->arg, "ap"), *md_path = beside(cp->arg, "md");
    int rc = 0;
    size_t len = 0;
    char *text = ap_handback_patch(cp->run, &len);
    FILE *f = ap_path ? fopen(ap_path, "wb") : NULL;
    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        fprintf(msg, "apls: cannot write '%s': %s\n", ap_path ? ap_path : "?", strerror(errno));
        rc = -1;
    }
    free(text);
    text = ap_handback_report(cp->run, cp->arg, ap_path ? ap_path : "?", &len);
    f = md_path ? fopen(md_path, "w") : NULL;
    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        fprintf(msg, "apls: cannot write '%s': %s\n", md_path ? md_path : "?", strerror(errno));
        rc = -1;
    }
    free(text);
    if (rc == 0)
        fprintf(msg, "%s: %zu modification%s did not apply: they are in %s, what went wrong in %s\n",
                cp->arg, n_failed, n_failed == 1 ? "" : "s", ap_path, md_path);
    free(ap_path);
    free(md_path);
    return rc;
}

void cli_partial_clear(const char *arg)
{
    char *a = beside(arg, "ap"), *m = beside(arg, "md");
    if (a)
        unlink(a);
    if (m)
        unlink(m);
    free(a);
    free(m);
}
