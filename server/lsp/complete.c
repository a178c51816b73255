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

/* file_path values: the files and folders under the root one level below
 * what was typed ("lib/" offers "lib/json/" and "lib/a.c"), from the
 * provider's bounded listing (the one a missing file is explained from). */
typedef struct path_items {
    const char *typed;
    size_t n_typed;
    json_t *items;
    json_t *from, *to;   /* the range the value takes */
    size_t count;
    bool cut;            /* more matched than were offered */
} path_items;

#define MAX_PATH_ITEMS 200

static void add_path(void *ctx, const char *path)
{
    path_items *pi = ctx;
    if (strncmp(path, pi->typed, pi->n_typed) != 0)
        return;
    if (pi->count >= MAX_PATH_ITEMS) {
        pi->cut = true;
        return;
    }
    const char *slash = strchr(path + pi->n_typed, '/');
    size_t n = slash ? (size_t)(slash - path) + 1 : strlen(path);
    json_t *label = json_stringn(path, n);
    if (!label) /* not UTF-8: no client could insert it */
        return;
    size_t i;
    json_t *it;
    if (slash) /* a folder is offered once, whatever it holds */
        json_array_foreach(pi->items, i, it) if (json_equal(json_object_get(it, "label"), label))
        {
            json_decref(label);
            return;
        }
    /* no filterText (the label is the path): Neovim 0.7's omnifunc takes the
     * textEdit's start only from items without one, else the keyword's,
     * and would insert the path after the folders typed (the same holds for
     * a target's lines, apls_complete_target_lines) */
    json_t *edit = json_pack("{s:{s:O,s:O},s:O}", "range", "start", pi->from, "end", pi->to, "newText", label);
    json_array_append_new(pi->items, json_pack("{s:O,s:i,s:o}", "label", label, "kind", slash ? 19 : 17,
                                               "textEdit", edit));
    json_decref(label);
    pi->count++;
}

/* True when the list was cut (the client asks again as more is typed). */
static bool complete_paths(apls_patch *p, const char *value, uint32_t value_off, lsp_position pos, json_t *items)
{
    if (!p->fs || !p->fs->list)
        return false;
    if (*value == '"' || *value == '\'')
        value++, value_off++;
    path_items pi = {value, strlen(value), items, lsp_position_to_json(apls_patch_pos(p, value_off)),
                     lsp_position_to_json(pos), 0, false};
    bool whole = p->fs->list(p->fs, add_path, &pi);
    json_decref(pi.from);
    json_decref(pi.to);
    return pi.cut || !whole;
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

/* The file a modification's change names, even when the modification itself
 * is not resolved yet (a snippet being typed before its content). */
static int target_file(const apls_patch *p, int ch, int md)
{
    const ap_run *run = p->run;
    if (run->mods[ch][md].file >= 0)
        return run->mods[ch][md].file;
    for (size_t m = 0; m < p->patch->changes[ch].n_mods; m++)
        if (run->mods[ch][m].file >= 0)
            return run->mods[ch][m].file;
    for (size_t i = 0; i < run->n_files; i++)
        if (run->files[i].first_change == ch)
            return (int)i;
    return -1;
}

static bool has_word(const char *const *words, const char *s, size_t n)
{
    for (size_t i = 0; words[i]; i++)
        if (strlen(words[i]) == n && strncmp(words[i], s, n) == 0)
            return true;
    return false;
}

/* The keys that belong at column col of line `line`, told by the text above
 * it rather than by the parse (the line being typed often breaks the YAML,
 * and the end of the document lies past every span): the nearest line above
 * whose key stands at col gives its set; a parent key (left of col) gives its
 * children's; anything else (the inside of a block) gives none. */
static const char *const *keys_at(const apls_patch *p, size_t line, uint32_t col)
{
    const char *text = p->patch->text;
    while (line-- > 0) {
        size_t a = lsp_lines_start(apls_patch_lines(p), line), e = lsp_lines_end(apls_patch_lines(p), line), i = a;
        while (i < e && text[i] == ' ')
            i++;
        if (i == e || text[i] == '#')
            continue;
        if (text[i] == '-' && i + 1 < e && text[i + 1] == ' ') {
            i += 2;
            while (i < e && text[i] == ' ')
                i++;
        }
        size_t kc = i - a, k = i;
        if (kc > col)
            continue;
        while (k < e && (isalnum((unsigned char)text[k]) || text[k] == '_'))
            k++;
        bool key = k > i && k < e && text[k] == ':';
        if (kc == col) {
            if (key && has_word(mod_keys, text + i, k - i))
                return mod_keys;
            if (key && has_word(change_keys, text + i, k - i))
                return change_keys;
            if (key && has_word(root_keys, text + i, k - i))
                return root_keys;
            continue;
        }
        if (key && k - i == 7 && strncmp(text + i, "changes", 7) == 0)
            return change_keys;
        if (key && k - i == 13 && strncmp(text + i, "modifications", 13) == 0)
            return mod_keys;
        return NULL;
    }
    return col == 0 ? root_keys : NULL;
}

/* Up to 50 lines of target t that start with what was typed (compared
 * without indentation), as items replacing from..to. 2.0 (as_held false):
 * the line goes in without its indentation, the literal block gives it;
 * 3.2 (as_held true): indentation typed is ignored and the line goes in as
 * the file holds it. */
void apls_complete_target_lines(json_t *items, const ap_text *t, const char *typed, size_t typed_len,
                                lsp_position from, lsp_position to, bool as_held)
{
    size_t lead = 0;
    while (as_held && lead < typed_len && (typed[lead] == ' ' || typed[lead] == '\t'))
        lead++;
    const char *want = typed + lead;
    size_t wn = typed_len - lead;
    const char *b = ap_text_bytes(t);
    uint32_t n = ap_text_line_count(t), found = 0;
    for (uint32_t i = 0; i < n && found < 50; i++) {
        uint32_t a = ap_text_line_start(t, i), e = ap_text_line_start(t, i + 1);
        while (e > a && (b[e - 1] == '\n' || b[e - 1] == '\r' || b[e - 1] == ' ' || b[e - 1] == '\t'))
            e--;
        uint32_t s = a;
        while (s < e && (b[s] == ' ' || b[s] == '\t'))
            s++;
        if (e == s || e - s < wn || memcmp(b + s, want, wn) != 0)
            continue;
        json_t *label = json_stringn(b + s, e - s);
        json_t *text = as_held ? json_stringn(b + a, e - a) : json_incref(label);
        if (!label || !text) { /* not UTF-8: no client could insert it */
            json_decref(label);
            json_decref(text);
            continue;
        }
        json_t *edit = json_pack("{s:{s:o,s:o},s:o}", "range", "start", lsp_position_to_json(from), "end",
                                 lsp_position_to_json(to), "newText", text); /* takes text */
        char *detail = lsp_xasprintf("line %u", i + 1);
        /* no filterText: Neovim 0.7's omnifunc then starts the item where its
         * textEdit does (not at the keyword, which would repeat what was typed
         * before it); VS Code filters on the label past the indentation typed,
         * and eglot on the label */
        json_array_append_new(items, json_pack("{s:o,s:i,s:s,s:o}", "label", label, "kind", 1, "detail",
                                               detail, "textEdit", edit));
        free(detail);
        found++;
    }
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
    if (p->patch->format == AP_FORMAT_3_2) { /* complete3.c */
        json_decref(items);
        lsp_endpoint_reply(ep, id, json_pack("{s:b,s:o}", "isIncomplete", 0, "items", apls_complete3(p, pos, false)));
        return;
    }
    if (apls_blank_patch(p)) { /* a new patch may be 3.2: its header too */
        json_t *header = apls_complete3(p, pos, true);
        json_array_extend(items, header);
        json_decref(header);
    }
    bool incomplete = false;
    uint32_t off = apls_patch_offset(p, pos);
    uint32_t ls = (uint32_t)lsp_lines_start(apls_patch_lines(p), pos.line);
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
    if (md < 0 && ls > 0) /* an empty block ends before the line being typed */
        apls_patch_locate(p, ls - 1, &ch, &md);
    /* inside a code field: lines of the target (whatever was typed) */
    bool inside = false;
    if (ch >= 0 && md >= 0) {
        const ap_mod *m = &p->patch->changes[ch].mods[md];
        const ap_field *fs[] = {&m->snippet, &m->anchor, &m->start_snippet, &m->end_snippet};
        for (size_t i = 0; i < 4 && !inside; i++)
            inside = in_field(p, fs[i], ls, indent);
    }
    const char *colon = inside ? NULL : strchr(rest, ':');
    if (inside) {
        int file = target_file(p, ch, md);
        const ap_text *t = file >= 0 ? apls_run_text(p, (size_t)file) : NULL;
        if (t) {
            size_t typed = strlen(rest);
            apls_complete_target_lines(items, t, rest, typed, apls_patch_pos(p, off - (uint32_t)typed), pos,
                                       false);
        }
    } else if (colon) {
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        if (strncmp(rest, "action:", 7) == 0)
            add_words(items, actions, 20, "", v);
        else if (strncmp(rest, "file_path:", 10) == 0)
            incomplete = complete_paths(p, v, off - (uint32_t)strlen(v), pos, items);
        else if (strncmp(rest, "newline:", 8) == 0)
            add_words(items, newlines, 20, "", v);
        else if (strncmp(rest, "version:", 8) == 0)
            json_array_append_new(items, json_pack("{s:s,s:i,s:s}", "label", "\"2.0\"", "kind", 12,
                                                   "insertText", "\"2.0\""));
    } else {
        const char *const *keys = keys_at(p, pos.line, indent);
        for (const char *c = rest; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '_')
                keys = NULL;
        if (keys)
            add_words(items, keys, 14, ": ", rest);
    }
    free(before);
    lsp_endpoint_reply(ep, id, json_pack("{s:b,s:o}", "isIncomplete", incomplete, "items", items));
}
