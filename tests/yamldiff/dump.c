/* dump.c - a test-only helper for the differential test (run.py): parses
 * each document of a stream with ap_patch_parse_opts (strict) and prints one JSON line
 * per document: whether apls refused it as YAML, its problems, and the
 * values of the model, so that run.py can hold them against what PyYAML's
 * safe loader makes of the same bytes.
 *
 * Input: records "<length>\n<bytes>", one per document, until the end.
 * A field prints as null (absent), {"s": text}, "null", "other" (a number,
 * list, mapping...) or "refused" (the YAML layer refused its value). */
#include "ap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void str(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* ,"name":value */
static void field(const char *name, const ap_field *f)
{
    printf(",\"%s\":", name);
    if (!f->present)
        printf("null");
    else if (f->refused)
        printf("\"refused\"");
    else if (f->is_string) {
        printf("{\"s\":");
        str(f->value, f->len);
        putchar('}');
    } else if (f->is_null)
        printf("\"null\"");
    else
        printf("\"other\"");
}

static void dump(const ap_patch *p)
{
    printf("{\"yaml_error\":%s,\"problems\":[", p->yaml_error ? "true" : "false");
    for (size_t i = 0; i < p->n_problems; i++) {
        const ap_problem *q = &p->problems[i];
        printf("%s[\"%s\",%u,%u,", i ? "," : "", ap_code_name(q->code), q->span.start, q->span.end);
        str(q->message, strlen(q->message));
        putchar(']');
    }
    printf("]");
    field("version", &p->version);
    field("changes", &p->changes_f);
    printf(",\"list\":[");
    for (size_t i = 0; i < p->n_changes; i++) {
        const ap_change *c = &p->changes[i];
        printf("%s{\"n_mods\":%zu", i ? "," : "", c->n_mods);
        field("file_path", &c->file_path);
        field("newline", &c->newline);
        field("modifications", &c->mods_f);
        printf(",\"mods\":[");
        for (size_t j = 0; j < c->n_mods; j++) {
            const ap_mod *m = &c->mods[j];
            printf("%s{\"lead\":%u,\"trail\":%u", j ? "," : "", m->lead, m->trail);
            field("action", &m->action_f);
            field("snippet", &m->snippet);
            field("start_snippet", &m->start_snippet);
            field("end_snippet", &m->end_snippet);
            field("anchor", &m->anchor);
            field("content", &m->content);
            field("include_leading_blank_lines", &m->lead_f);
            field("include_trailing_blank_lines", &m->trail_f);
            putchar('}');
        }
        printf("]}");
    }
    printf("]}\n");
}

int main(int argc, char **argv)
{
    FILE *in = argc > 1 ? fopen(argv[1], "rb") : stdin;
    if (!in) {
        perror(argv[1]);
        return 2;
    }
    size_t n;
    while (fscanf(in, "%zu", &n) == 1 && fgetc(in) == '\n') {
        char *buf = malloc(n + 1);
        if (!buf || fread(buf, 1, n, in) != n) {
            fprintf(stderr, "dump: short record\n");
            return 2;
        }
        /* strict: the slips apls tolerates (a misspelled key read as the
         * key it meant, docs/format-2.0.md) are errors there, and the
         * values are the YAML's own, which is what PyYAML is held to */
        ap_patch *p = ap_patch_parse_opts(buf, n, AP_PARSE_STRICT);
        dump(p);
        ap_patch_free(p);
        free(buf);
    }
    if (in != stdin)
        fclose(in);
    return 0;
}
