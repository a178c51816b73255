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

/* The second run's text of a changed file: its rendered bytes, read in
 * place (the file keeps them), with the records of the lines rendering
 * copied taken from the text read. Made when the second run reaches the
 * file's group and let go once the group is resolved (groups_alone), so one
 * file's records are alive at a time, not every file's. */
static ap_text *rendered_text(void *ctx)
{
    const ap_file *f = ctx;
    return ap_text_borrow_copied(f->after, f->after_len, f->view ? f->view->base : NULL, f->copied, f->n_copied);
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
    bool changes = false;
    for (size_t i = 0; i < run->n_files; i++) {
        ap_run_render(run, i);
        changes |= run->files[i].status != AP_FILE_UNCHANGED && run->files[i].status != AP_FILE_FAILED;
    }
    if (!changes || !run->ok)
        return;
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
        } else if (f->status == AP_FILE_MODIFIED || f->status == AP_FILE_CREATED) {
            ap_fs_mem_put_made(mem, f->path, rendered_text, f);
        } else if (f->before) {
            /* unchanged: the text this run indexed serves the second */
            ap_fs_mem_put_text(mem, f->path, f->before, false);
        }
    }
    /* only its states are read: no warning of its own is wanted */
    ap_options states = opts ? *opts : (ap_options)AP_OPTIONS_INIT;
    states.states_only = true;
    states.groups_alone = true;
    ap_run *again = ap_run_new(run->patch, mem, &states);
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
    ap_problems_sort(run->problems, run->n_problems);
}
