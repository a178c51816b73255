/* one_file_test.h - helpers the tests of repairs share (repair_test.c,
 * indent_test.c): a patch run against one file in memory, its problem of a
 * code, and the patch with a fix applied. */
#ifndef APLS_ONE_FILE_TEST_H
#define APLS_ONE_FILE_TEST_H

#include "check.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct one_run {
    ap_fs *fs;
    ap_patch *p;
    ap_run *r;
} one_run;

/* patch run against file, which stands at path. */
static inline one_run one_run_new(const char *path, const char *file, const char *patch)
{
    one_run o;
    o.fs = ap_fs_mem_new();
    ap_fs_mem_put(o.fs, path, file, strlen(file), false);
    o.p = ap_patch_parse(patch, strlen(patch));
    o.r = ap_run_new(o.p, o.fs, NULL);
    return o;
}

static inline void one_run_free(one_run *o)
{
    ap_run_free(o->r);
    ap_patch_free(o->p);
    ap_fs_mem_free(o->fs);
}

/* The run's first problem with code, or NULL. */
static inline const ap_problem *code_problem(const ap_run *r, ap_code code)
{
    for (size_t i = 0; i < r->n_problems; i++)
        if (r->problems[i].code == code)
            return &r->problems[i];
    return NULL;
}

/* The patch with fix applied (malloc'd). */
static inline char *with_fix(const char *patch, const ap_fix *f)
{
    ap_buf b = AP_BUF_INIT;
    ap_buf_add(&b, patch, f->span.start);
    ap_buf_adds(&b, f->text);
    ap_buf_adds(&b, patch + f->span.end);
    return ap_buf_detach(&b, NULL);
}

#endif
