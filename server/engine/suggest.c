/* suggest.c - a file_path that names no file: where apls looked and why
 * there, the files the patch most likely meant, and a path that begins with
 * the project's own folder ("myproj/src/a.c" run in myproj).
 *
 * Candidates come from the provider's bounded list of the files under the
 * root (asked only once a file is missing, after every path was checked):
 * the files with the missing file's name, ranked by how many trailing path
 * components they share with it ("uv/version.h" -> "include/uv/version.h"
 * shares two). One stands out when it alone shares the most, and shares at
 * least a folder or is the only file of that name; its fix is preferred
 * only when the change's snippets are all found in it. */
#include "resolve.h"

#include <stdlib.h>
#include <string.h>

#define MAX_SHOWN 3
#define MAX_KEPT 8

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static uint32_t components(const char *p)
{
    uint32_t n = 1;
    for (; *p; p++)
        n += *p == '/';
    return n;
}

/* How many trailing components a and b share. */
static uint32_t common_tail(const char *a, const char *b)
{
    size_t i = strlen(a), j = strlen(b);
    uint32_t n = 0;
    for (;;) {
        size_t ai = i, bj = j;
        while (ai > 0 && a[ai - 1] != '/')
            ai--;
        while (bj > 0 && b[bj - 1] != '/')
            bj--;
        if (i - ai != j - bj || memcmp(a + ai, b + bj, i - ai) != 0)
            return n;
        n++;
        if (ai == 0 || bj == 0)
            return n;
        i = ai - 1, j = bj - 1;
    }
}

typedef struct cand {
    char *path;
    uint32_t score;
} cand;

typedef struct finder {
    const char *want, *name;
    cand best[MAX_KEPT];
    size_t n;
    size_t same_name;  /* files with the missing file's name */
} finder;

/* better: shares more, else is shallower, else sorts first */
static bool better(const cand *a, const cand *b)
{
    if (a->score != b->score)
        return a->score > b->score;
    uint32_t ca = components(a->path), cb = components(b->path);
    if (ca != cb)
        return ca < cb;
    return strcmp(a->path, b->path) < 0;
}

static void consider(void *ctx, const char *path)
{
    finder *f = ctx;
    if (strcmp(base_name(path), f->name) != 0 || strcmp(path, f->want) == 0)
        return;
    f->same_name++;
    cand c = {NULL, common_tail(path, f->want)};
    c.path = (char *)path;
    size_t at = f->n < MAX_KEPT ? f->n : MAX_KEPT;
    while (at > 0 && better(&c, &f->best[at - 1]))
        at--;
    if (at == MAX_KEPT)
        return;
    if (f->n == MAX_KEPT)
        free(f->best[MAX_KEPT - 1].path);
    else
        f->n++;
    memmove(&f->best[at + 1], &f->best[at], (f->n - 1 - at) * sizeof *f->best);
    f->best[at] = (cand){ap_xstrdup(path), c.score};
}

/* Do the change's snippets (and anchors) all stand in the file at path?
 * What makes a candidate safe to take blindly. */
static bool locators_stand(ap_fs *fs, const ap_change *c, const char *path)
{
    char *why = NULL;
    ap_text *t = NULL;
    bool ok = fs->check_path(fs, path, &why) == AP_OK;
    free(why);
    why = NULL;
    if (!ok || fs->load(fs, path, &t, &why) != AP_OK) {
        free(why);
        return false;
    }
    free(why);
    ap_view v;
    ap_view_init(&v, t);
    size_t checked = 0;
    for (size_t m = 0; ok && m < c->n_mods; m++) {
        const ap_mod *md = &c->mods[m];
        const ap_field *fs2[] = {&md->anchor, md->snippet.present ? &md->snippet : &md->start_snippet};
        for (size_t k = 0; ok && k < 2; k++) {
            if (!fs2[k]->present || !fs2[k]->is_string || fs2[k]->boundary)
                continue;
            ap_pattern pat;
            ap_pattern_init(&pat, fs2[k]->value, fs2[k]->len);
            ap_match where;
            ok = pat.n > 0 && ap_find_first(&v, &pat, ap_view_begin(&v), &where);
            ap_pattern_release(&pat);
            checked++;
        }
    }
    ap_view_release(&v);
    ap_text_release(t);
    return ok && checked > 0;
}

/* The text that sets file_path f to path in the patch's format. */
static char *path_text(const ap_patch *p, const char *path)
{
    bool plain = path[0] != '-';
    for (const char *s = path; *s && plain; s++)
        plain = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                strchr("_./+-", *s) != NULL;
    if (p->format != AP_FORMAT_2_0 || plain)
        return ap_xstrdup(path);
    ap_buf b = AP_BUF_INIT;
    ap_buf_addc(&b, '"');
    for (const char *s = path; *s; s++) {
        if (*s == '"' || *s == '\\')
            ap_buf_addc(&b, '\\');
        ap_buf_addc(&b, *s);
    }
    ap_buf_addc(&b, '"');
    return ap_buf_detach(&b, NULL);
}

/* The files under the root, as the provider listed them. */
typedef struct ap_listing {
    char **paths;
    size_t n, cap;
    bool complete;
    unsigned asked;    /* missing files it served */
} ap_listing;

static void keep_path(void *ctx, const char *path)
{
    ap_listing *l = ctx;
    AP_GROW(l->paths, l->n, l->cap);
    l->paths[l->n++] = ap_xstrdup(path);
}

void ap_listing_free(ap_listing *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
    free(l);
}

#define MAX_SUGGESTED 64

void ap_report_missing(run_ctx *x, int ch, const char *path, const char *why)
{
    ap_run *run = x->run;
    ap_fs *fs = x->fs;
    const ap_patch *p = x->patch;
    const ap_change *c = &p->changes[ch];
    const char *root = fs->root ? fs->root(fs) : NULL;
    ap_buf msg = AP_BUF_INIT;
    ap_buf_addf(&msg, "%s does not exist%s", path, why ? why : "");
    if (root) {
        size_t n = strlen(root);
        ap_buf_addf(&msg, ": apls looked for %s%s%s", root, n && root[n - 1] == '/' ? "" : "/", path);
        if (run->opts.root_why)
            ap_buf_addf(&msg, " (the root is %s)", run->opts.root_why);
    }
    /* the listing, once per run (a patch naming thousands of missing files
     * costs one walk, and suggestions for the first few) */
    if (fs->list && !x->listing) {
        x->listing = ap_xcalloc(1, sizeof *x->listing);
        x->listing->complete = fs->list(fs, keep_path, x->listing);
    }
    ap_listing *l = x->listing;
    bool suggest = l && l->asked++ < MAX_SUGGESTED;
    finder f = {path, base_name(path), {{0}}, 0, 0};
    for (size_t i = 0; suggest && i < l->n; i++)
        consider(&f, l->paths[i]);
    bool stands_out = f.n > 0 && (f.n == 1 || f.best[1].score < f.best[0].score) &&
                      (f.best[0].score >= 2 || f.same_name == 1);
    if (stands_out) {
        ap_buf_addf(&msg, "; did you mean %s?", f.best[0].path);
    } else if (f.n > 0) {
        ap_buf_addf(&msg, "; files named %s: ", f.name);
        for (size_t i = 0; i < f.n && i < MAX_SHOWN; i++)
            ap_buf_addf(&msg, "%s%s", i ? ", " : "", f.best[i].path);
        if (f.same_name > MAX_SHOWN)
            ap_buf_addf(&msg, " and %zu more", f.same_name - MAX_SHOWN);
    } else if (suggest) {
        ap_buf_addf(&msg, "; no file named %s %s", f.name,
                    l->complete ? "under the root" : "among the first files under the root");
    }
    ap_problem *pr = ap_run_problem(run, AP_FILE_NOT_FOUND, AP_ERROR, c->file_path.span, ch, -1, "%s", msg.s);
    ap_buf_release(&msg);
    size_t fixes = stands_out ? 1 : f.n < MAX_SHOWN ? f.n : MAX_SHOWN;
    /* (whether a fix is preferred decides no state: a run that wants only
     * states reads no candidate, so the twice check's second run reads each
     * file once, and a file it has let go is never asked for again) */
    for (size_t i = 0; i < fixes; i++)
        ap_problem_fix(pr, c->file_path.span, path_text(p, f.best[i].path), "Use %s", f.best[i].path)
            ->preferred = stands_out && !run->opts.states_only && locators_stand(fs, c, f.best[i].path);
    for (size_t i = 0; i < f.n; i++)
        free(f.best[i].path);
}

char *ap_drop_project_folder(ap_fs *fs, const char *path, bool creates)
{
    const char *root = fs->root ? fs->root(fs) : NULL;
    const char *slash = strchr(path, '/');
    if (!root || !fs->exists || !slash)
        return NULL;
    /* the root's own name */
    size_t rn = strlen(root);
    while (rn > 1 && root[rn - 1] == '/')
        rn--;
    size_t rb = rn;
    while (rb > 0 && root[rb - 1] != '/')
        rb--;
    size_t first = (size_t)(slash - path);
    if (first != rn - rb || memcmp(path, root + rb, first) != 0)
        return NULL;
    char *folder = ap_xmemdup(path, first), *why = NULL;
    const char *rest = slash + 1;
    bool named = fs->check_path(fs, folder, &why) != AP_OK || fs->exists(fs, folder);
    free(why);
    free(folder);
    why = NULL;
    if (named || fs->check_path(fs, rest, &why) != AP_OK) {
        free(why);
        return NULL; /* a folder of that name is in the root: the path is meant */
    }
    bool there = fs->exists(fs, rest);
    if (!there && creates) {
        /* a new file: its folder must be there (or be the root) */
        const char *last = strrchr(rest, '/');
        char *dir = last ? ap_xmemdup(rest, (size_t)(last - rest)) : NULL;
        there = !dir || fs->exists(fs, dir);
        free(dir);
    }
    return there ? ap_xstrdup(rest) : NULL;
}

void ap_report_project_folder(ap_run *run, const ap_patch *p, int ch, const char *path, const char *rest)
{
    const ap_change *c = &p->changes[ch];
    size_t first = strlen(path) - strlen(rest) - 1;
    ap_problem *pr = ap_run_problem(run, AP_PROJECT_FOLDER, AP_WARNING, c->file_path.span, ch, -1,
                                    "%s begins with '%.*s', the name of the root itself: read as %s",
                                    path, (int)first, path, rest);
    ap_problem_fix(pr, c->file_path.span, path_text(p, rest), "Use %s", rest)->preferred = true;
}
