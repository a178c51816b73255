/* fuzz_parse3.c - any bytes through the 3.2 parser, tolerant and strict,
 * then every invariant of patch_checks.h (spans inside the text, problems,
 * ok modifications complete, reparse after an edit equal to a full parse,
 * both writers' round trip), and: --strict refuses at least what the
 * tolerant parse refuses, and reads the same changes and modifications.
 * Input that would read as 2.0 gets a 3.2 header first, so every input
 * exercises the 3.2 parser. Set APLS_FUZZ_VERBOSE to print what is checked. */
#define FUZZ_NAME "fuzz_parse3"
#include "patch_checks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const edits[] = {
    "",      "x",        " ",          "\n",        "\r",          "\t",          "#",
    ":",     "```\n",    "^",          "$",         "a0b1c2d3 ",   "ffffffff ",   "\na0b1c2d3 END\n",
    "\na0b1c2d3 REPLACE\n", "\na0b1c2d3 snippet\n", "\na0b1c2d3 content\n", "\na0b1c2d3 FILE x\n",
    "\nbbbbbbbb DELETE\n",  "\na0b1c2d3 scope_end\n", "\na0b1c2d3 include_leading_blank_lines 1\n"};

static const char header[] = "a0b1c2d3 AP 3.2\n";

static ap_patch *parse_checked(const char *text, size_t n, unsigned flags)
{
    ap_patch *p = ap_patch_parse_opts(text, n, flags);
    check_patch(p, (const uint8_t *)text, n);
    if (p->format != AP_FORMAT_3_2 && n <= AP_MAX_PATCH_BYTES)
        fail("a 3.2 text not read as 3.2", 0, 0);
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > AP_MAX_PATCH_BYTES)
        return 0;
    char *text = malloc(size + sizeof header);
    size_t n = size;
    memcpy(text, data, size);
    if (ap_format_detect((const char *)data, size) != AP_FORMAT_3_2) {
        memcpy(text, header, sizeof header - 1);
        memcpy(text + sizeof header - 1, data, size);
        n = size + sizeof header - 1;
    }
    text[n] = '\0';
    ap_patch *p = parse_checked(text, n, 0);
    ap_patch *s = parse_checked(text, n, AP_PARSE_STRICT);
    if (p->has_errors && !s->has_errors)
        fail("--strict accepts what the tolerant parse refuses", 0, 0);
    if (p->n_changes != s->n_changes)
        fail("--strict reads other changes", (uint32_t)p->n_changes, (uint32_t)s->n_changes);
    for (size_t c = 0; c < p->n_changes; c++)
        if (p->changes[c].n_mods != s->changes[c].n_mods)
            fail("--strict reads other modifications", (uint32_t)c, 0);
    check_writers(p);
    for (int k = 0; k < 2; k++) {
        ap_patch *old = k ? s : p;
        size_t m;
        char *edited = make_edit((const uint8_t *)text, n, edits, sizeof edits / sizeof *edits, &m);
        ap_patch *r = ap_patch_reparse(old, edited, m);
        ap_patch *f = ap_patch_parse_opts(edited, m, k ? AP_PARSE_STRICT : 0);
        check_patch(r, (const uint8_t *)edited, m);
        same_patch(r, f);
        ap_patch_free(f);
        ap_patch_free(r);
        free(edited);
    }
    ap_patch_free(s);
    ap_patch_free(p);
    free(text);
    return 0;
}
