/* complete.c - completion: keys for where the cursor is, action and newline
 * values, and inside a snippet or anchor the lines of the target file that
 * start with what was typed. */
#include "server.h"

#include "alloc.h"
#include "lsptypes.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const root_keys[] = {"version", "changes", NULL};
static const char *const change_keys[] = {"file_path", "newline", "modifications", NULL};
static const char *const mod_keys[] = {"action", "snippet", "anchor", "content", "start_snippet",
                                       "end_snippet", "include_leading_blank_lines",
                                       "include_trailing_blank_lines", NULL};
static const char *const actions[] = {"REPLACE", "INSERT_AFTER", "INSERT_BEFORE", "DELETE",
                                      "CREATE_FILE", NULL};
static const char *const newlines[] = {"LF", "CRLF", "CR", NULL};

static void add_words(json_t *items, const char *const *words, int kind, const char *suffix,
                      const char *typed)
{
    for (size_t i = 0; words[i]; i++) {
        if (strncmp(words[i], typed, strlen(typed)) != 0)
            continue;
        char *insert = lsp_xasprintf("%s%s", words[i], suffix);
        json_array_append_new(items, json_pack("{s:s,s:i,s:s}", "label", words[i], "kind", kind,
                                               "insertText", insert));
        free(insert);
    }
}

/* Is the cursor inside the code field f (its block lines, or just below its
 * header on a more indented line)? */
static bool in_field(const apls_patch *p, const ap_field *f, uint32_t line_start, uint32_t col)
{
    if (!f->present || f->key.start >= line_start)
        return false;
    uint32_t key_col = f->key.start;
    while (key_col > 0 && p->patch->text[key_col - 1] != '\n')
        key_col--;
    key_col = f->key.start - key_col;
    if (col <= key_col)
        return false;
    /* no other key between the field and the cursor's line */
    uint32_t end = f->span.end > f->key.end ? f->span.end : f->key.end;
    uint32_t after = end;
    while (after < p->patch->len && p->patch->text[after] != '\n')
        after++;
    return line_start <= after + 1 || f->len == 0;
}

void apls_on_completion(lsp_endpoint *ep, json_t *id, json_t *params, void *data)
{
    apls_server *s = data;
    const char *uri = json_string_value(json_object_get(json_object_get(params, "textDocument"), "uri"));
    lsp_position pos;
    if (!uri || !lsp_position_from_json(json_object_get(params, "position"), &pos)) {
        lsp_endpoint_reply_error(ep, id, -32602, "completion needs textDocument.uri and position");
        return;
    }
    apls_patch *p = apls_patch_of(s, uri);
    json_t *items = json_array();
    if (!p) {
        lsp_endpoint_reply(ep, id, items);
        return;
    }
    apls_patch_refresh(p);
    uint32_t off = apls_patch_offset(p, pos);
    uint32_t ls = (uint32_t)lsp_lines_start(&p->lines, pos.line);
    const char *text = p->patch->text;
    char *before = lsp_xmemdup(text + ls, off - ls);
    uint32_t indent = 0;
    while (before[indent] == ' ')
        indent++;
    const char *rest = before + indent;
    bool item = rest[0] == '-' && rest[1] == ' ';
    if (item) {
        rest += 2;
        indent += 2;
        while (*rest == ' ')
            rest++, indent++;
    }
    int ch, md;
    apls_patch_locate(p, off, &ch, &md);
    const char *colon = strchr(rest, ':');
    if (colon) {
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        if (strncmp(rest, "action:", 7) == 0)
            add_words(items, actions, 20, "", v);
        else if (strncmp(rest, "newline:", 8) == 0)
            add_words(items, newlines, 20, "", v);
        else if (strncmp(rest, "version:", 8) == 0)
            json_array_append_new(items, json_pack("{s:s,s:i,s:s}", "label", "\"2.0\"", "kind", 12,
                                                   "insertText", "\"2.0\""));
    } else if (ch >= 0 && md >= 0 && p->run->mods[ch][md].file >= 0) {
        /* inside a code field: lines of the target */
        const ap_mod *m = &p->patch->changes[ch].mods[md];
        const ap_field *fs[] = {&m->snippet, &m->anchor, &m->start_snippet, &m->end_snippet};
        bool inside = false;
        for (size_t i = 0; i < 4 && !inside; i++)
            inside = in_field(p, fs[i], ls, indent);
        const ap_text *t = apls_run_text(p, (size_t)p->run->mods[ch][md].file);
        if (inside && t) {
            size_t typed = strlen(rest);
            const char *b = ap_text_bytes(t);
            uint32_t n = ap_text_line_count(t), found = 0;
            for (uint32_t i = 0; i < n && found < 50; i++) {
                uint32_t a = ap_text_line_start(t, i), e = ap_text_line_start(t, i + 1);
                while (e > a && (b[e - 1] == '\n' || b[e - 1] == '\r' || b[e - 1] == ' ' || b[e - 1] == '\t'))
                    e--;
                while (a < e && (b[a] == ' ' || b[a] == '\t'))
                    a++;
                if (e == a || e - a < typed || memcmp(b + a, rest, typed) != 0)
                    continue;
                char *label = lsp_xmemdup(b + a, e - a);
                json_t *edit = json_pack("{s:o,s:s}", "range",
                                         lsp_range_to_json((lsp_range){{pos.line, pos.character - (uint32_t)lsp_units_in(rest, typed, s->enc)}, pos}),
                                         "newText", label);
                char *detail = lsp_xasprintf("line %u", i + 1);
                json_array_append_new(items, json_pack("{s:s,s:i,s:s,s:o,s:s}", "label", label, "kind", 1,
                                                       "detail", detail, "textEdit", edit, "filterText", label));
                free(detail);
                free(label);
                found++;
            }
        }
    }
    if (!colon && json_array_size(items) == 0) {
        const char *const *keys = indent == 0 ? root_keys : root_keys;
        if (indent > 0) {
            keys = change_keys;
            if (ch >= 0 && md >= 0 && indent >= p->patch->changes[ch].mods[md].key_col)
                keys = mod_keys;
            else if (ch >= 0 && p->patch->changes[ch].n_mods > 0 && indent >= p->patch->changes[ch].mods[0].key_col)
                keys = mod_keys;
        }
        for (const char *c = rest; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '_')
                goto done;
        add_words(items, keys, 14, ": ", rest);
    }
done:
    free(before);
    lsp_endpoint_reply(ep, id, json_pack("{s:b,s:o}", "isIncomplete", 0, "items", items));
}
