/* fuzz_parse.c - any bytes through ap_patch_parse, then every invariant of
 * patch_checks.h: the model, the problems, ap_patch_reparse after an edit
 * (chosen from the input's bytes: a place, a few bytes removed, a short text
 * inserted) against a full parse, and the writers' round trip.
 * Set APLS_FUZZ_VERBOSE to print what is checked. */
#define FUZZ_NAME "fuzz_parse"
#include "patch_checks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const edits[] = {"",   "x",     " ",      "\n",       ": ",  "- ",
                                    "|",  "'",     "\"",     "#",        "\t",  "  ",
                                    "\r", "a: b\n", "{",     "]",        "&a ", "*a",
                                    "\n      - action: DELETE\n        snippet: |\n          x\n"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ap_patch *p = ap_patch_parse((const char *)data, size);
    check_patch(p, data, size);
    check_writers(p);
    if (size <= AP_MAX_PATCH_BYTES) {
        size_t n;
        char *edited = make_edit(data, size, edits, sizeof edits / sizeof *edits, &n);
        ap_patch *r = ap_patch_reparse(p, edited, n);
        ap_patch *f = ap_patch_parse(edited, n);
        check_patch(r, (const uint8_t *)edited, n);
        same_patch(r, f);
        ap_patch_free(f);
        ap_patch_free(r);
        free(edited);
    }
    ap_patch_free(p);
    return 0;
}
