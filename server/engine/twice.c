/* twice.c - what applying a patch a second time would do.
 *
 * Applying twice must change nothing (docs/engine.md). Most shapes are
 * recognised as applied; a few cannot be, from the text alone: a DELETE whose
 * text stands again after the copy it deletes deletes that one too on a
 * second run, and looks, on the first, exactly like a patch applied once. So
 * the first run asks the question directly: it runs the patch again, in
 * memory, on what it is about to write, and says where that run would not be
 * a no-op, before anything is written. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* A file of the twice check's second run, rendered when that run reaches
 * it (see below). */
typedef struct twice_file {
    ap_run *run;
    size_t i;
    bool release;
    bool diff_only; /* the new bytes may go with the second run's text */
    bool made; /* made once: the text read may have let its records go */
} twice_file;

/* The second run's text of a changed file: its rendered bytes, read in
 * place (the file keeps them), with the records of the lines rendering
 * copied taken from the text read. Made when the second run reaches the
 * file's group and let go once the group is resolved (groups_alone), so one
 * file's records are alive at a time, not every file's. The file is
 * rendered here, not before the second run, and once its second text has
 * taken the records (and, with release_lines, its diff is made) the text
 * read keeps only its bytes: the records of the texts read go file by file
 * as the rendered bytes come (docs/engine.md, "One file at a time"). */
static ap_text *rendered_text(void *ctx)
{
    twice_file *tf = ctx;
    ap_file *f = &tf->run->files[tf->i];
    ap_run_render(tf->run, tf->i);
    if (f->status != AP_FILE_MODIFIED && f->status != AP_FILE_CREATED)
        return ap_text_retain(f->before); /* rendered to the bytes it had */
    /* The second run may read a file twice (its group, then a suggestion
     * for a spelling of it the memory lacks: a symlinked alias). The first
     * read let the records of the text read go and made the diff; a second
     * splits the rendered bytes afresh (the same text: a text is a function
     * of its bytes). */
    if (tf->made)
        return ap_text_borrow_copied(f->after, f->after_len, NULL, NULL, 0);
    tf->made = true;
    ap_text *t = ap_text_borrow_copied(f->after, f->after_len, f->view ? f->view->base : NULL, f->copied,
                                       f->n_copied);
    /* (a text another run may search, shared by a cache, keeps them) */
    if (tf->release && f->status == AP_FILE_MODIFIED && f->before && f->before->refs <= 2) {
        ap_diff_unified(f, &f->diff, &f->diff_len);
        ap_text_drop_lines(f->before);
        /* the caller wants the diff only: the second run's text owns the
         * new bytes now and frees them with itself. That run reads each
         * file once (it wants states only: suggest.c reads no candidate),
         * so the read above never comes again for this file. */
        if (tf->diff_only && f->after) {
            t->borrowed = false;
            f->after = NULL;
            free(f->copied);
            f->copied = NULL;
            f->n_copied = 0;
        }
        ap_heap_release();
    }
    return t;
}

void ap_run_check_twice(ap_run *run, const ap_options *opts)
{
    /* A text this run changed is searched no more (the second run reads the
     * new bytes; rendering and the diff read only lines): its tables free
     * their memory before the new bytes are made, and the pages go back
     * (the new bytes do not fit in the holes they leave). One another run
     * may search (a cache shares it: more references than this run's file
     * and view) keeps them; a file rendered to the bytes it had (MODIFIED
     * becomes UNCHANGED) makes them again if the second run searches it. */
    if (run->ok) {
        bool dropped = false;
        for (size_t i = 0; i < run->n_files; i++) {
            ap_file *f = &run->files[i];
            if (f->status == AP_FILE_MODIFIED && f->before && f->before->refs <= 2) {
                ap_text_drop_tables(f->before);
                dropped = true;
            }
        }
        if (dropped)
            ap_heap_release();
    }
    /* Rendering waits for the second run to reach a changed file (its
     * maker renders it), so the rendered bytes come as the records go.
     * Whether there is a second run at all asks whether anything changes:
     * the files that are not MODIFIED or CREATED, a CREATED one (it stays
     * so), and MODIFIED ones until one stays MODIFIED (most do: the first)
     * are rendered now; the rest wait. Without a second run all are. */
    bool changes = false;
    bool *waits = ap_xcalloc(run->n_files ? run->n_files : 1, sizeof *waits);
    for (size_t i = 0; i < run->n_files; i++) {
        ap_file *f = &run->files[i];
        bool changed = f->status == AP_FILE_MODIFIED || f->status == AP_FILE_CREATED;
        if (run->ok && changed && !f->path_op && (changes || f->status == AP_FILE_CREATED)) {
            waits[i] = true;
            changes = true;
            continue;
        }
        ap_run_render(run, i);
        changes |= f->status != AP_FILE_UNCHANGED && f->status != AP_FILE_FAILED;
    }
    if (!changes || !run->ok) {
        free(waits);
        return;
    }
    twice_file *tfs = ap_xcalloc(run->n_files ? run->n_files : 1, sizeof *tfs);
    ap_fs *mem = ap_fs_mem_new();
    for (size_t i = 0; i < run->n_files; i++) {
        ap_file *f = &run->files[i];
        if (f->path_op) {
            /* what stands at its paths after this run (only whether a file or
             * a folder stands there matters to such an operation) */
            ap_path_kind at = f->status == AP_FILE_DELETED || f->status == AP_FILE_RENAMED ? AP_PATH_NONE
                              : f->status == AP_FILE_DIR_CREATED                         ? AP_PATH_DIR
                                                                                         : f->kind;
            ap_path_kind to = f->status == AP_FILE_RENAMED ? f->kind : f->dest_kind;
            const char *paths[2] = {f->path, f->dest};
            ap_path_kind kinds[2] = {at, to};
            for (int k = 0; k < 2; k++) {
                if (paths[k] && kinds[k] == AP_PATH_DIR)
                    ap_fs_mem_mkdir(mem, paths[k]);
                else if (paths[k] && kinds[k] != AP_PATH_NONE)
                    ap_fs_mem_put(mem, paths[k], "", 0, false);
            }
        } else if (waits[i] || f->status == AP_FILE_MODIFIED || f->status == AP_FILE_CREATED) {
            tfs[i] = (twice_file){run, i, opts && opts->release_lines, opts && opts->release_lines && opts->diff_only,
                                  false};
            ap_fs_mem_put_made(mem, f->path, rendered_text, &tfs[i]);
        } else if (f->before) {
            /* unchanged: the text this run indexed serves the second */
            ap_fs_mem_put_text(mem, f->path, f->before, false);
        }
    }
    /* only its states are read: no warning of its own is wanted */
    ap_options states = opts ? *opts : (ap_options)AP_OPTIONS_INIT;
    states.states_only = true;
    states.groups_alone = true;
    states.release_lines = false;
    ap_run *again = ap_run_new(run->patch, mem, &states);
    /* a file the second run did not read (its paths failed there) */
    for (size_t i = 0; i < run->n_files; i++)
        ap_run_render(run, i);
    for (size_t ch = 0; ch < again->n_changes && ch < run->n_changes; ch++) {
        for (size_t md = 0; md < again->n_mods_of[ch] && md < run->n_mods_of[ch]; md++) {
            const ap_mod_result *r = &again->mods[ch][md];
            if (r->state != AP_MOD_APPLIES && r->state != AP_MOD_FAILED)
                continue;
            const ap_mod *m = &run->patch->changes[ch].mods[md];
            const char *path = r->file >= 0 ? again->files[r->file].path : "its file";
            if (r->state == AP_MOD_APPLIES)
                ap_problem_add(&run->problems, &run->n_problems, AP_NOT_IDEMPOTENT, AP_WARNING,
                               m->action_f.span, (int)ch, (int)md,
                               "applying this patch again would change %s again: this %s "
                               "would apply a second time (the file it leaves does not show "
                               "it applied); a locator that stays unique avoids it",
                               path, ap_action_name(m->action));
            else
                ap_problem_add(&run->problems, &run->n_problems, AP_NOT_IDEMPOTENT, AP_WARNING,
                               m->action_f.span, (int)ch, (int)md,
                               "applying this patch again would fail on this %s (%s in %s): "
                               "the file it leaves does not show it applied",
                               ap_action_name(m->action), ap_code_name(r->code), path);
        }
    }
    ap_run_free(again);
    ap_fs_mem_free(mem);
    free(tfs);
    free(waits);
    ap_problems_sort(run->problems, run->n_problems);
}
