/* analysis.c - one open patch: parse and resolve the latest text, debounced.
 *
 * A change restarts the patch's timer; when it fires, the document's current
 * text is parsed and resolved and the diagnostics published. A request that
 * needs results (hover, code actions, ...) runs a pending analysis at once.
 * Either way the analysis is of the text the server holds now, so nothing is
 * ever published for an older version than the client's. */
#include "server.h"

#include "alloc.h"
#include "lsptypes.h"
#include "uri.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void timer_closed(uv_handle_t *h)
{
    free(h);
}

static void drop_analysis(apls_patch *p)
{
    ap_run_free(p->run);
    p->run = NULL;
    ap_patch_free(p->patch);
    p->patch = NULL;
    apls_vfs_free(p->fs);
    p->fs = NULL;
    free(p->root);
    p->root = NULL;
    free(p->root_why); /* (after the run: its options point at it) */
    p->root_why = NULL;
    for (size_t i = 0; i < p->n_deps; i++)
        free(p->deps[i]);
    p->n_deps = 0;
    free(p->dep_index); /* (rebuilt empty at the first dependency) */
    p->dep_index = NULL;
}

/* Where the patch's file_paths resolve: the setting, else the patch's folder
 * or the workspace folder holding it, whichever holds more targets. */
static char *choose_root(apls_patch *p, char **why)
{
    apls_server *s = p->srv;
    if (s->set.root) {
        *why = lsp_xstrdup("set by the 'root' setting");
        return lsp_xstrdup(s->set.root);
    }
    if (!p->path) {
        *why = lsp_xstrdup(s->n_folders ? "the first workspace folder (the patch is no file)"
                                        : "the server's folder (the patch is no file)");
        return lsp_xstrdup(s->n_folders ? s->folders[0] : ".");
    }
    char *copy = lsp_xstrdup(p->path);
    char *dir = lsp_xstrdup(dirname(copy));
    free(copy);
    const char *folder = NULL;
    size_t best = 0;
    for (size_t i = 0; i < s->n_folders; i++) {
        size_t n = strlen(s->folders[i]);
        if (strncmp(dir, s->folders[i], n) == 0 && (dir[n] == '/' || dir[n] == '\0') && n > best) {
            folder = s->folders[i];
            best = n;
        }
    }
    char *ws = folder ? lsp_xstrdup(folder) : ap_workspace_of(dir);
    const char *cands[2] = {dir, ws};
    size_t pick = ap_root_choose(p->patch, cands, 2);
    char *root = lsp_xstrdup(cands[pick]);
    *why = ap_root_why(cands, pick);
    free(dir);
    free(ws);
    return root;
}

/* Has change c of now the bytes of a change of before (at its index, or at
 * the same distance from the end, for an edit that added or removed one)? */
static bool change_kept(const ap_patch *before, const ap_patch *now, size_t c)
{
    const ap_span *sp = &now->changes[c].span;
    size_t tail = now->n_changes - c;
    size_t at[2] = {c, before->n_changes >= tail ? before->n_changes - tail : (size_t)-1};
    for (int k = 0; k < 2; k++) {
        if (at[k] >= before->n_changes)
            continue;
        const ap_span *old = &before->changes[at[k]].span;
        if (old->end - old->start == sp->end - sp->start &&
            memcmp(before->text + old->start, now->text + sp->start, sp->end - sp->start) == 0)
            return true;
    }
    return false;
}

/* The targets of the changes an edit touched are asked of the disk again;
 * the others rely on watch events (a keystroke stats one file, not all). */
static void recheck_edited(apls_patch *p, const ap_patch *before)
{
    for (size_t c = 0; c < p->patch->n_changes; c++) {
        const ap_field *fp = &p->patch->changes[c].file_path;
        if (!fp->is_string || change_kept(before, p->patch, c))
            continue;
        const char *why;
        char *norm = ap_path_normalize(fp->value, fp->len, &why);
        if (norm)
            apls_vfs_recheck(p->fs, norm);
        free(norm);
    }
}

/* The file_paths of the patch, one a line (what the root choice reads). */
static char *targets_named(const ap_patch *pt)
{
    size_t n = 1;
    for (size_t c = 0; c < pt->n_changes; c++)
        n += pt->changes[c].file_path.len + 1;
    char *out = lsp_xmalloc(n), *q = out;
    for (size_t c = 0; c < pt->n_changes; c++) {
        const ap_field *fp = &pt->changes[c].file_path;
        if (fp->is_string)
            memcpy(q, fp->value, fp->len), q += fp->len;
        *q++ = '\n';
    }
    *q = '\0';
    return out;
}

bool apls_reporting(const apls_server *s)
{
    return s->set.report || lsp_log_enabled(LSP_LOG_DEBUG);
}

uint64_t apls_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static const char *reparse_name(ap_reparse r)
{
    switch (r) {
    case AP_REPARSE_SAME: return "unchanged";
    case AP_REPARSE_MOD: return "modification";
    case AP_REPARSE_CHANGES: return "changes";
    default: return "full";
    }
}

/* The analysis report: what the last analysis did and what each step cost
 * (docs/server.md, "The analysis report"). */
void apls_report_send(apls_patch *p)
{
    apls_report *r = &p->rep;
    if (!r->unsent)
        return;
    r->unsent = false;
    apls_server *s = p->srv;
    if (!p->patch || !p->run || !apls_reporting(s))
        return;
    const apls_counts *k = &s->counts;
    uint64_t total = r->timed ? (apls_cpu_ns() - r->at) / 1000 : 0;
    const char *why = p->patch->reparsed == AP_REPARSE_FULL ? p->patch->reparse_why : NULL;
    lsp_log(LSP_LOG_DEBUG,
            "analysed %s v%lld: reparse %s%s%s%s, %zu files (%zu reused), targets: %u checks, %u canonical, "
            "%u writable, %u stat, %u read, %u indexed; %zu diagnostics (%zu kept)%s; CPU us: parse %llu, "
            "root %llu, run %llu, build %llu, serialise %llu, send %llu, total %llu",
            p->uri, (long long)p->version, reparse_name(p->patch->reparsed), why ? " (" : "", why ? why : "",
            why ? ")" : "", p->run->n_files, p->run->n_reused, k->checks, k->canonicals, k->writables, k->stats,
            k->reads, k->indexed, r->diagnostics, r->reused_diags, r->published ? ", published" : "",
            (unsigned long long)r->parse_us, (unsigned long long)r->root_us, (unsigned long long)r->run_us,
            (unsigned long long)r->build_us, (unsigned long long)r->dump_us, (unsigned long long)r->send_us,
            (unsigned long long)total);
    if (!s->set.report)
        return;
    json_t *o = json_pack(
        "{s:s,s:I,s:s,s:o,s:{s:I,s:I},s:{s:i,s:i,s:i,s:i,s:i,s:i},s:I,s:I,s:b,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I},s:{s:I,s:I}}",
        "uri", p->uri, "version", (json_int_t)p->version, "reparse", reparse_name(p->patch->reparsed),
        "reparseWhy", why ? json_string(why) : json_null(), "files", "total", (json_int_t)p->run->n_files,
        "reused", (json_int_t)p->run->n_reused, "targets", "checks", (int)k->checks, "canonicals",
        (int)k->canonicals, "writables", (int)k->writables, "stats", (int)k->stats, "reads", (int)k->reads,
        "indexed", (int)k->indexed, "diagnostics", (json_int_t)r->diagnostics, "diagnosticsKept",
        (json_int_t)r->reused_diags, "published", r->published, "cpuUs", "parse", (json_int_t)r->parse_us, "root",
        (json_int_t)r->root_us, "run", (json_int_t)r->run_us, "build", (json_int_t)r->build_us, "serialise",
        (json_int_t)r->dump_us, "send", (json_int_t)r->send_us, "total", (json_int_t)total, "cache", "entries",
        (json_int_t)s->n_cache, "texts", (json_int_t)apls_cache_texts(s));
    lsp_endpoint_notify(s->ep, "$/apls/analysed", o);
}

void apls_patch_refresh(apls_patch *p)
{
    apls_server *s = p->srv;
    const lsp_doc *doc = lsp_docstore_find_uri(s->docs, p->uri);
    if (!doc)
        return;
    /* a request that runs a pending analysis early publishes it too, or the
     * client keeps showing the older version's diagnostics */
    bool pending = p->timer && uv_is_active((uv_handle_t *)p->timer);
    if (pending)
        uv_timer_stop(p->timer);
    if (p->patch && p->version == doc->version && p->stamp == doc->stamp) {
        if (pending)
            apls_publish(p);
        return;
    }
    apls_report_send(p); /* an earlier analysis nobody published */
    bool timed = apls_reporting(s);
    uint64_t t0 = timed ? apls_cpu_ns() : 0, t1 = 0, t2 = 0;
    memset(&s->counts, 0, sizeof s->counts);
    /* the previous analysis gives over what the edit did not touch */
    ap_patch *old_patch = p->patch;
    ap_run *old_run = p->run;
    ap_fs *old_fs = p->fs;
    char *old_root = p->root;
    char *old_why = p->root_why; /* the old run's options point at it */
    p->patch = NULL;
    p->run = NULL;
    p->fs = NULL;
    p->root = NULL;
    p->root_why = NULL;
    drop_analysis(p);
    /* only the item the edit fell in is parsed again (old_patch is hollowed,
     * keeping what ap_run_reuse compares) */
    p->patch = old_patch ? ap_patch_reparse(old_patch, doc->text, doc->len)
                         : ap_patch_parse(doc->text, doc->len);
    if (timed)
        t1 = apls_cpu_ns();
    /* choosing looks for every target under each candidate: only when the
     * targets or the disk may have changed, not at every keystroke */
    char *targets = targets_named(p->patch);
    bool retargeted = !p->targets || strcmp(targets, p->targets) != 0;
    if (!old_root || p->rechoose_root || retargeted)
        p->root = choose_root(p, &p->root_why);
    else {
        p->root = lsp_xstrdup(old_root);
        p->root_why = old_why ? lsp_xstrdup(old_why) : NULL;
    }
    p->rechoose_root = false;
    free(p->targets);
    p->targets = targets;
    /* an apply interrupted in this root is settled before its files are read
     * (no journal: one failed open) */
    char *rmsg = NULL;
    ap_recovery rec = ap_recover(p->root, &rmsg);
    if (rec != AP_RECOVER_NONE)
        lsp_log(rec == AP_RECOVER_BUSY ? LSP_LOG_INFO : LSP_LOG_WARN, "%s", rmsg);
    free(rmsg);
    p->fs = apls_vfs_new(s, p, p->root);
    if (old_patch)
        recheck_edited(p, old_patch);
    ap_options o = AP_OPTIONS_INIT;
    o.trailing_ws = s->set.trailing_ws;
    o.root_why = p->root_why;
    bool same_root = old_root && strcmp(old_root, p->root) == 0;
    if (timed)
        t2 = apls_cpu_ns();
    p->run = ap_run_reuse(p->patch, p->fs, &o, same_root ? old_run : NULL);
    ap_run_free(old_run);
    ap_patch_free(old_patch);
    apls_vfs_free(old_fs);
    free(old_root);
    free(old_why);
    p->version = doc->version;
    p->stamp = doc->stamp;
    apls_watch_paths(s, p->deps, p->n_deps);
    if (retargeted)
        apls_cache_trim(s); /* a file_path edited away lets its text go */
    apls_report *r = &p->rep;
    bool deferred = r->deferred;
    memset(r, 0, sizeof *r);
    r->deferred = deferred;
    r->unsent = true;
    if (timed) {
        r->timed = true;
        r->at = t0;
        r->parse_us = (t1 - t0) / 1000;
        r->root_us = (t2 - t1) / 1000;
        r->run_us = (apls_cpu_ns() - t2) / 1000;
    }
    if (pending)
        apls_publish(p);
    else if (!r->deferred)
        apls_report_send(p); /* a request's analysis: nothing is published */
}

/* Does what stands at the paths of the run's operations on paths (3.2
 * RENAME, DELETE of a path, CREATE of a folder) still match what the run
 * saw? Those answers are not cached (vfs.c), so ask again. */
static bool path_ops_moved(apls_patch *p)
{
    for (size_t i = 0; p->run && p->fs->kind && i < p->run->n_files; i++) {
        const ap_file *f = &p->run->files[i];
        if (!f->path_op)
            continue;
        if (apls_vfs_kind_now(p->fs, f->path) != f->kind ||
            (f->dest && apls_vfs_kind_now(p->fs, f->dest) != f->dest_kind))
            return true;
    }
    return false;
}

void apls_patch_verify(apls_patch *p)
{
    apls_patch_refresh(p);
    if (!p->fs)
        return;
    /* both asked: verifying re-reads every stale target, whatever the paths say */
    bool stale = apls_vfs_verify(p->fs, p->deps, p->n_deps);
    bool moved = path_ops_moved(p);
    if (stale || moved) {
        p->version = -1; /* the same text, other targets */
        p->rechoose_root = true;
        apls_patch_refresh(p);
        apls_publish(p);
    }
}

static void timer_fired(uv_timer_t *t)
{
    apls_patch *p = t->data;
    p->rep.deferred = true; /* the publication below reports */
    apls_patch_refresh(p);
    apls_publish(p);
    p->rep.deferred = false;
    apls_report_send(p);
}

void apls_patch_schedule(apls_patch *p)
{
    unsigned ms = p->srv->set.debounce_ms;
    if (ms == 0) {
        timer_fired(p->timer);
        return;
    }
    uv_timer_start(p->timer, timer_fired, ms, 0);
}

apls_patch *apls_patch_open(apls_server *s, const lsp_doc *doc)
{
    apls_patch *p = lsp_xcalloc(1, sizeof *p);
    p->srv = s;
    p->uri = lsp_xstrdup(doc->uri);
    p->path = doc->path ? lsp_xstrdup(doc->path) : NULL;
    p->version = -1;
    p->rechoose_root = true;
    p->timer = lsp_xmalloc(sizeof *p->timer);
    uv_timer_init(s->loop, p->timer);
    p->timer->data = p;
    s->patches = lsp_xrealloc(s->patches, (s->n_patches + 1) * sizeof *s->patches);
    s->patches[s->n_patches++] = p;
    return p;
}

void apls_patch_close(apls_patch *p)
{
    apls_server *s = p->srv;
    for (size_t i = 0; i < s->n_patches; i++) {
        if (s->patches[i] == p) {
            s->patches[i] = s->patches[--s->n_patches];
            break;
        }
    }
    /* a closed patch shows no diagnostics */
    lsp_endpoint_notify_latest(s->ep, "textDocument/publishDiagnostics", p->uri,
                               json_pack("{s:s,s:[]}", "uri", p->uri, "diagnostics"));
    uv_close((uv_handle_t *)p->timer, timer_closed);
    drop_analysis(p);
    free(p->deps);
    free(p->targets);
    free(p->published);
    apls_diag_cache_free(p->diags);
    free(p->status_sent);
    free(p->uri);
    free(p->path);
    free(p);
    apls_cache_trim(s); /* what only it read goes with it */
}

void apls_dependents_changed(apls_server *s, const char *path)
{
    for (size_t i = 0; i < s->n_patches; i++) {
        apls_patch *p = s->patches[i];
        for (size_t k = 0; k < p->n_deps; k++) {
            if (strcmp(p->deps[k], path) == 0) {
                p->version = -1; /* same text, other targets: analyse again */
                apls_patch_schedule(p);
                break;
            }
        }
    }
}

void apls_patch_locate(const apls_patch *p, uint32_t off, int *change, int *mod)
{
    *change = *mod = -1;
    if (!p->patch)
        return;
    for (size_t c = 0; c < p->patch->n_changes; c++) {
        const ap_change *ch = &p->patch->changes[c];
        if (off < ch->span.start || off > ch->span.end)
            continue;
        *change = (int)c;
        for (size_t m = 0; m < ch->n_mods; m++) {
            const ap_span *sp = &ch->mods[m].span;
            /* the item's "- " stands before its first key: count its line */
            uint32_t start = sp->start;
            while (start > ch->span.start && p->patch->text[start - 1] != '\n')
                start--;
            if (off >= start && off <= sp->end) {
                *mod = (int)m;
                if (off < sp->end)
                    return;
            }
        }
        return;
    }
}

char *apls_target_path(const apls_patch *p, size_t i)
{
    return lsp_xasprintf("%s/%s", p->root, p->run->files[i].path);
}

const lsp_lines *apls_patch_lines(const apls_patch *p)
{
    static const lsp_lines none = {"", 0, NULL, 0, 0};
    const lsp_doc *doc = lsp_docstore_find_uri(p->srv->docs, p->uri);
    return doc ? &doc->lines : &none;
}

lsp_position apls_patch_pos(const apls_patch *p, uint32_t off)
{
    return lsp_offset_to_position(apls_patch_lines(p), off, p->srv->enc);
}

json_t *apls_patch_range(const apls_patch *p, ap_span sp)
{
    lsp_range r = {apls_patch_pos(p, sp.start), apls_patch_pos(p, sp.end)};
    return lsp_range_to_json(r);
}

uint32_t apls_patch_offset(const apls_patch *p, lsp_position pos)
{
    return (uint32_t)lsp_position_to_offset(apls_patch_lines(p), pos, p->srv->enc);
}

/* Lines [line, end_line) of t as an LSP range that ends at the end of its last
 * line (not at the start of the next), exact in the negotiated encoding. */
json_t *apls_target_range(const apls_server *s, const ap_text *t, uint32_t line, uint32_t end_line)
{
    uint32_t n = ap_text_line_count(t);
    lsp_position a = {line, 0}, b = {line, 0};
    if (end_line > line) {
        uint32_t last = end_line - 1 < n ? end_line - 1 : (n ? n - 1 : 0);
        const char *bytes = ap_text_bytes(t);
        uint32_t from = ap_text_line_start(t, last), to = ap_text_line_start(t, last + 1);
        while (to > from && (bytes[to - 1] == '\n' || bytes[to - 1] == '\r'))
            to--;
        b = (lsp_position){last, (uint32_t)lsp_units_in(bytes + from, to - from, s->enc)};
    }
    return lsp_range_to_json((lsp_range){a, b});
}

json_t *apls_target_location(const apls_patch *p, int file, ap_tspan where)
{
    if (!p->run || file < 0 || (size_t)file >= p->run->n_files)
        return NULL;
    const ap_text *t = apls_run_text(p, (size_t)file);
    char *abs = apls_target_path(p, (size_t)file);
    char *uri = lsp_path_to_uri(abs);
    free(abs);
    const lsp_doc *doc = uri ? lsp_docstore_find_uri(p->srv->docs, uri) : NULL;
    json_t *range = t ? apls_target_range(p->srv, t, where.line, where.end_line)
                      : lsp_range_to_json((lsp_range){{0, 0}, {0, 0}});
    json_t *loc = json_pack("{s:s,s:o}", "uri", doc ? doc->uri : uri ? uri : "", "range", range);
    free(uri);
    return loc;
}
