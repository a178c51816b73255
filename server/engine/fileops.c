/* fileops.c - 3.2 operations on paths (RENAME, DELETE of a file or folder,
 * CREATE of a folder) and where a 3.2 path really is.
 *
 * An operation on a path is decided from what stands there (ap.md 3.1):
 * RENAME applies when the source is there and the destination is not, and
 * is done when only the destination is there; DELETE is done when nothing
 * is left; CREATE of a folder is done when the folder is there. Each such
 * change is a group of its own and no other change of the patch may name
 * its paths or anything below them (apls does not chain a rename into an
 * edit of the renamed file): a patch that does is refused whole, before
 * anything is read. A folder being made may receive new files, though.
 *
 * A path whose first folder the root does not have, but whose rest it does
 * ("my_project/src/a.txt" where the root holds src/a.txt), lost a leading
 * project folder to the model's view of the tree: the folder is dropped,
 * with a warning (the reference patcher's path heuristic; c28, c29). */
#include "resolve.h"

#include <stdlib.h>
#include <string.h>

ap_path_kind ap_kind_of(ap_fs *fs, const char *path)
{
    if (fs->kind)
        return fs->kind(fs, path);
    ap_text *t = NULL;
    char *why = NULL;
    ap_code c = fs->load(fs, path, &t, &why);
    ap_text_release(t);
    free(why);
    return c == AP_OK || c == AP_FILE_NOT_TEXT ? AP_PATH_FILE
           : c == AP_FILE_NOT_FOUND           ? AP_PATH_NONE
                                              : AP_PATH_OTHER;
}

/* parts [from, to) of a path cut at '/', joined */
static char *join(char **parts, size_t from, size_t to)
{
    ap_buf b = AP_BUF_INIT;
    for (size_t i = from; i < to; i++) {
        if (i > from)
            ap_buf_addc(&b, '/');
        ap_buf_adds(&b, parts[i]);
    }
    return ap_buf_detach(&b, NULL);
}

ap_path_kind ap_kind_memo_of(ap_kind_memo *memo, ap_fs *fs, const char *name, size_t len)
{
    size_t cap = sizeof memo->name / sizeof *memo->name;
    for (size_t i = 0; memo && i < memo->n; i++)
        if (strncmp(memo->name[i], name, len) == 0 && memo->name[i][len] == '\0')
            return memo->kind[i];
    char *own = ap_xmemdup(name, len);
    ap_path_kind k = ap_kind_of(fs, own);
    if (memo && memo->n < cap) {
        memo->name[memo->n] = own;
        memo->kind[memo->n++] = k;
    } else {
        free(own);
    }
    return k;
}

void ap_kind_memo_free(ap_kind_memo *memo)
{
    for (size_t i = 0; memo && i < memo->n; i++)
        free(memo->name[i]);
    free(memo);
}

/* (The first folder is asked first, through the memo, before the path is
 * cut or copied: the path can stand only where its first folder does, and
 * a patch's paths share their first folders; the path is asked only then,
 * for what a provider may hold without its folder: an unsaved buffer. The
 * answers are those of asking the path first.) */
char *ap_path_unprefixed(ap_fs *fs, ap_kind_memo *memo, const char *path, size_t *dropped)
{
    /* the first component, and another after it (as strtok cuts them) */
    const char *first = path + strspn(path, "/");
    size_t first_len = strcspn(first, "/");
    const char *after = first + first_len;
    if (first_len == 0 || after[strspn(after, "/")] == '\0' ||
        ap_kind_memo_of(memo, fs, first, first_len) != AP_PATH_NONE || ap_kind_of(fs, path) != AP_PATH_NONE)
        return NULL;
    char *copy = ap_xstrdup(path), **parts = NULL;
    size_t n = 0, cap = 0;
    for (char *tok = strtok(copy, "/"); tok; tok = strtok(NULL, "/")) {
        AP_GROW(parts, n, cap);
        parts[n++] = tok;
    }
    char *out = NULL;
    /* the rest stands in the root */
    for (size_t i = 1; i < n && !out; i++) {
        char *rest = join(parts, i, n);
        if (ap_kind_of(fs, rest) != AP_PATH_NONE) {
            out = rest;
            *dropped = i;
        } else {
            free(rest);
        }
    }
    /* or a new file's folder does: the first folder after the prefix */
    for (size_t i = 1; i + 1 < n && !out; i++) {
        char *prefix = join(parts, 0, i);
        if (ap_kind_of(fs, prefix) == AP_PATH_NONE && ap_kind_of(fs, parts[i]) == AP_PATH_DIR) {
            out = join(parts, i, n);
            *dropped = i;
        }
        free(prefix);
    }
    free(parts);
    free(copy);
    return out;
}

/* Is a below b, or b itself? */
static bool under(const char *a, const char *b)
{
    size_t n = strlen(b);
    return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

static bool overlap(const char *a, const char *b)
{
    return a && b && (under(a, b) || under(b, a));
}

static ap_action op_of(const run_ctx *x, const ap_file *f)
{
    return x->patch->changes[f->first_change].mods[0].action;
}

void ap_path_conflicts(run_ctx *x)
{
    ap_run *run = x->run;
    for (size_t i = 0; i < run->n_files; i++) {
        ap_file *f = &run->files[i];
        if (!f->path_op || f->status == AP_FILE_FAILED)
            continue;
        for (size_t j = 0; j < run->n_files; j++) {
            const ap_file *g = &run->files[j];
            if (j == i || (g->path_op && j > i))
                continue;
            /* a folder being made may receive new files and folders */
            bool inside = (op_of(x, f) == AP_CREATE_DIR && under(g->path, f->path) &&
                           strcmp(g->path, f->path) != 0 && !g->dest) ||
                          (g->path_op && op_of(x, g) == AP_CREATE_DIR && under(f->path, g->path) &&
                           strcmp(g->path, f->path) != 0 && !f->dest);
            if (inside || !(overlap(f->path, g->path) || overlap(f->dest, g->path) ||
                            overlap(f->path, g->dest) || overlap(f->dest, g->dest)))
                continue;
            const ap_mod *m = &x->patch->changes[f->first_change].mods[0];
            ap_run_problem(run, AP_INVALID_MODIFICATION, AP_ERROR, m->action_f.key, f->first_change, 0,
                           "%s of '%s' and another change of this patch (its FILE '%s') name the same "
                           "path: an operation on a path must be the only change naming it or what is "
                           "below it",
                           ap_action_keyword(x->patch->format, m->action), f->path, g->path);
            x->run->mods[f->first_change][0].state = AP_MOD_FAILED;
            x->run->mods[f->first_change][0].code = AP_INVALID_MODIFICATION;
            f->status = AP_FILE_FAILED;
            break;
        }
    }
}

static const char *kind_word(ap_path_kind k)
{
    return k == AP_PATH_DIR ? "folder" : k == AP_PATH_FILE ? "file" : "thing";
}

void ap_path_op(run_ctx *x, int fi)
{
    ap_file *f = &x->run->files[fi];
    int ch = f->first_change;
    const ap_mod *m = &x->patch->changes[ch].mods[0];
    ap_mod_result *r = &x->run->mods[ch][0];
    const char *name = ap_action_keyword(x->patch->format, m->action);
    r->file = fi;
    f->kind = ap_kind_of(x->fs, f->path);
    if (f->dest)
        f->dest_kind = ap_kind_of(x->fs, f->dest);
    ap_code code = AP_OK;
    const char *why = NULL;
    switch (m->action) {
    case AP_DELETE_PATH:
        if (f->kind == AP_PATH_NONE)
            why = "nothing stands there: already deleted";
        else if (f->kind == AP_PATH_OTHER)
            code = AP_INVALID_FILE_PATH;
        else
            f->status = AP_FILE_DELETED;
        break;
    case AP_CREATE_DIR:
        if (f->kind == AP_PATH_DIR)
            why = "the folder exists";
        else if (f->kind != AP_PATH_NONE)
            code = AP_FILE_EXISTS;
        else
            f->status = AP_FILE_DIR_CREATED;
        break;
    case AP_RENAME:
        if (strcmp(f->path, f->dest) == 0)
            why = "the new path is the old one";
        else if (f->kind == AP_PATH_NONE && f->dest_kind != AP_PATH_NONE)
            why = "the source is gone and the new path stands: already renamed";
        else if (f->kind == AP_PATH_NONE)
            code = AP_FILE_NOT_FOUND;
        else if (f->dest_kind != AP_PATH_NONE || f->kind == AP_PATH_OTHER)
            code = f->kind == AP_PATH_OTHER ? AP_INVALID_FILE_PATH : AP_FILE_EXISTS;
        else
            f->status = AP_FILE_RENAMED;
        break;
    default:
        break;
    }
    if (code == AP_OK) {
        r->state = why ? AP_MOD_ALREADY_APPLIED : AP_MOD_APPLIES;
        r->why = why;
        return;
    }
    r->state = AP_MOD_FAILED;
    r->code = code;
    f->status = AP_FILE_FAILED;
    const char *msg = code == AP_FILE_NOT_FOUND ? "neither it nor the new path exists"
                      : code == AP_INVALID_FILE_PATH ? "it is neither a file nor a folder"
                      : m->action == AP_RENAME ? "the new path exists already; apls will not overwrite it"
                                               : "a file stands where the folder would be made";
    ap_run_problem(x->run, code, AP_ERROR, m->action_f.key, ch, 0, "%s of %s '%s': %s", name,
                   kind_word(f->kind), f->path, msg);
}
