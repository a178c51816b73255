/* record.c - apls remembers the patches it applied.
 *
 * Applying twice must change nothing. The engine recognises an applied patch
 * from the text alone nearly always, but a few shapes look the same applied
 * or not (a DELETE whose text stands again after the copy it deletes). So
 * after `apls apply` writes a patch, it records, per file, what it left
 * there: the size and hash of the bytes. A later `check` or `apply` of the
 * same patch (byte for byte) in the same root takes a file that still holds
 * exactly those bytes as applied, whatever its text looks like. A file
 * changed since, by anyone, falls back to recognition from the text.
 *
 * The record lives outside the project, in $APLS_STATE_DIR, else
 * $XDG_STATE_HOME/apls, else ~/.local/state/apls (APLS_RECORD=off: none is
 * read or kept, as the tests of recognition need): one file per patch and
 * root, named by their hash, holding a line "root <path>" and a line
 * "<size> <hash> <path>" per file. Nothing in it is trusted beyond "these
 * bytes are what apls wrote": a missing, unreadable or foreign record only
 * means no record. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct entry {
    char *path;
    uint64_t size, hash;
} entry;

struct cli_record {
    char *file;      /* where this patch's record is (NULL: nowhere to keep it) */
    entry *e;
    size_t n;
};

static char *state_dir(void)
{
    const char *off = getenv("APLS_RECORD");
    if (off && strcmp(off, "off") == 0)
        return NULL;
    const char *d = getenv("APLS_STATE_DIR");
    if (d && *d)
        return strdup(d);
    const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    char *out = NULL;
    if (x && *x) {
        if (asprintf(&out, "%s/apls", x) < 0)
            out = NULL;
    } else if (home && *home) {
        if (asprintf(&out, "%s/.local/state/apls", home) < 0)
            out = NULL;
    }
    return out;
}

/* Makes dir and its missing parents. */
static bool make_dirs(char *dir)
{
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        bool ok = mkdir(dir, 0700) == 0 || errno == EEXIST;
        *p = '/';
        if (!ok)
            return false;
    }
    return mkdir(dir, 0700) == 0 || errno == EEXIST;
}

cli_record *cli_record_open(const ap_patch *p, const char *root)
{
    cli_record *r = calloc(1, sizeof *r);
    char *dir = state_dir(), *real = realpath(root, NULL);
    if (!r || !dir || !real) {
        free(dir);
        free(real);
        return r;
    }
    uint64_t key = ap_hash(p->text, p->len) ^ (ap_hash(real, strlen(real)) * 0x9e3779b97f4a7c15ull);
    if (asprintf(&r->file, "%s/applied/%016" PRIx64, dir, key) < 0)
        r->file = NULL;
    free(dir);
    FILE *f = r->file ? fopen(r->file, "r") : NULL;
    char line[8192];
    bool ours = false;
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "root ", 5) == 0) {
            ours = strcmp(line + 5, real) == 0;
            continue;
        }
        uint64_t size, hash;
        int at = 0;
        if (!ours || sscanf(line, "%" SCNu64 " %" SCNx64 " %n", &size, &hash, &at) != 2 || !at)
            continue;
        entry *e = realloc(r->e, (r->n + 1) * sizeof *e);
        if (!e)
            break;
        r->e = e;
        r->e[r->n++] = (entry){strdup(line + at), size, hash};
    }
    if (f)
        fclose(f);
    free(real);
    return r;
}

bool cli_record_known(void *ctx, const char *path, const ap_text *text)
{
    const cli_record *r = ctx;
    for (size_t i = 0; r && i < r->n; i++)
        if (r->e[i].path && strcmp(r->e[i].path, path) == 0)
            return r->e[i].size == ap_text_len(text) &&
                   r->e[i].hash == ap_hash(ap_text_bytes(text), ap_text_len(text));
    return false;
}

void cli_record_save(cli_record *r, const ap_run *run, const char *root)
{
    if (!r || !r->file)
        return;
    char *dir = strdup(r->file), *real = realpath(root, NULL);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *slash = '\0';
    char *tmp = NULL;
    if (!dir || !real || !make_dirs(dir) || asprintf(&tmp, "%s.%ld", r->file, (long)getpid()) < 0) {
        free(dir);
        free(real);
        return;
    }
    /* a path with a line break cannot be recorded: then none is */
    bool ok = true;
    for (size_t i = 0; ok && i < run->n_files; i++)
        ok = !strchr(run->files[i].path, '\n');
    FILE *f = ok ? fopen(tmp, "w") : NULL;
    ok = f != NULL;
    if (f) {
        fprintf(f, "root %s\n", real);
        for (size_t i = 0; i < run->n_files; i++) {
            const ap_file *fl = &run->files[i];
            if (fl->status == AP_FILE_MODIFIED || fl->status == AP_FILE_CREATED)
                fprintf(f, "%zu %016" PRIx64 " %s\n", fl->after_len, ap_hash(fl->after, fl->after_len),
                        fl->path);
            else if (fl->status == AP_FILE_UNCHANGED && fl->before)
                fprintf(f, "%zu %016" PRIx64 " %s\n", ap_text_len(fl->before),
                        ap_hash(ap_text_bytes(fl->before), ap_text_len(fl->before)), fl->path);
        }
        ok = fclose(f) == 0;
    }
    if (!ok || rename(tmp, r->file) != 0)
        unlink(tmp);
    free(tmp);
    free(dir);
    free(real);
}

void cli_record_close(cli_record *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->e[i].path);
    free(r->e);
    free(r->file);
    free(r);
}
