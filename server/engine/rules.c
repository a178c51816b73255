/* rules.c - what a patch's format (and --strict) decides about resolving and
 * writing it. The resolver has one code path for both formats and reads
 * these where they differ, instead of asking "is this 3.2?" here and there
 * (docs/format-3.md, "Resolution"). */
#include "internal.h"

/* 2.0: ap-2.0.md sections 2-4 */
static const ap_rules rules_2_0 = {
    .format = AP_FORMAT_2_0,
    .strip_untouched = true,
    .tail_not_found = AP_END_SNIPPET_NOT_FOUND,
};

/* 3.2 as the tolerant default reads it: ap.md sections 3.2-3.6 */
static const ap_rules rules_3_2 = {
    .format = AP_FORMAT_3_2,
    .hybrid = true,
    .sequential = true,
    .retry = true,
    .reversed_range = true,
    .content_verbatim = true,
    .reindent_flat = true,
    .final_newline = true,
    .bracket_check = true,
    .file_ops = true,
    .tail_not_found = AP_SNIPPET_TAIL_NOT_FOUND,
};

/* 3.2 under --strict: the reference's strict mode retries nothing, turns no
 * range around, re-indents nothing and refuses a misplaced insert */
static const ap_rules rules_3_2_strict = {
    .format = AP_FORMAT_3_2,
    .strict = true,
    .hybrid = true,
    .sequential = true,
    .content_verbatim = true,
    .final_newline = true,
    .bracket_check = true,
    .file_ops = true,
    .tail_not_found = AP_SNIPPET_TAIL_NOT_FOUND,
};

const ap_rules *ap_rules_of(const ap_patch *p)
{
    if (p->format != AP_FORMAT_3_2)
        return &rules_2_0;
    return p->strict ? &rules_3_2_strict : &rules_3_2;
}
