/* complete3.c - completion in a 3.2 document (docs/server.md, "Format 3.2
 * documents"): directives prefixed with the patch's id, the newline modes
 * after FILE, and inside a snippet, anchor or snippet_tail value the lines
 * of the target file. Told by the text above the cursor rather than by the
 * parse: the line being typed is rarely a finished directive. */
#include "server.h"

#include "alloc.h"
#include "lsptypes.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The directives, in the order a block uses them; rank says which come first
 * after a given directive (lower first). */
typedef enum dkind { D_HEADER, D_FILE, D_ACTION, D_LOCATOR, D_VALUE, D_OPTION, D_END } dkind;

static const struct {
    const char *word;
    dkind kind;
    const char *doc;
} directives[] = {
    {"FILE", D_FILE, "opens a block: the path on the next line"},
    {"REPLACE", D_ACTION, "replaces the snippet (or snippet..snippet_tail) by content"},
    {"INSERT_AFTER", D_ACTION, "inserts content after the snippet"},
    {"INSERT_BEFORE", D_ACTION, "inserts content before the snippet"},
    {"DELETE", D_ACTION, "deletes the snippet; alone in its block: deletes the file or folder"},
    {"CREATE", D_ACTION, "creates the file with content; without content: a folder"},
    {"RECREATE", D_ACTION, "writes the file's whole new content"},
    {"RENAME", D_ACTION, "moves the block's path to the path on the next line"},
    {"anchor", D_LOCATOR, "lines that narrow where the snippet is searched"},
    {"snippet", D_LOCATOR, "the lines to find (^: the start of the file, $: its end)"},
    {"snippet_tail", D_VALUE, "the last lines of a range that starts at the snippet"},
    {"content", D_VALUE, "the new text"},
    {"include_leading_blank_lines", D_OPTION, "widen the region by N blank lines above"},
    {"include_trailing_blank_lines", D_OPTION, "widen the region by N blank lines below"},
    {"scope_end", D_OPTION, "the region runs to the end of the block the snippet opens"},
    {"END", D_END, "the patch ends here (what follows is ignored)"},
};
#define N_DIRECTIVES (sizeof directives / sizeof *directives)

/* Which kinds fit after the directive `after` (its kind), best first. */
static int rank(dkind after, bool any_directive, dkind k)
{
    static const dkind order[][7] = {
        [D_HEADER] = {D_FILE, D_END, D_ACTION, D_LOCATOR, D_VALUE, D_OPTION, D_HEADER},
        [D_FILE] = {D_ACTION, D_LOCATOR, D_VALUE, D_FILE, D_OPTION, D_END, D_HEADER},
        [D_ACTION] = {D_LOCATOR, D_VALUE, D_OPTION, D_FILE, D_ACTION, D_END, D_HEADER},
        [D_LOCATOR] = {D_VALUE, D_LOCATOR, D_OPTION, D_ACTION, D_FILE, D_END, D_HEADER},
        [D_VALUE] = {D_ACTION, D_FILE, D_END, D_VALUE, D_OPTION, D_LOCATOR, D_HEADER},
        [D_OPTION] = {D_VALUE, D_ACTION, D_FILE, D_END, D_OPTION, D_LOCATOR, D_HEADER},
        [D_END] = {D_HEADER, D_FILE, D_ACTION, D_LOCATOR, D_VALUE, D_OPTION, D_END},
    };
    dkind a = any_directive ? after : D_HEADER;
    for (int i = 0; i < 7; i++)
        if (order[a][i] == k)
            return i;
    return 7;
}

/* The id directives carry: the patch's, else one made up for a new patch. */
static char *patch_id(const apls_patch *p)
{
    if (p->patch->id.is_string && p->patch->id.len)
        return lsp_xstrdup(p->patch->id.value);
    uint64_t h = ap_hash(p->uri, strlen(p->uri)) ^ (uint64_t)uv_hrtime();
    return lsp_xasprintf("%08x", (unsigned)(h ^ (h >> 32)));
}

/* Is line [a, e) a directive of id? Then kw, kn give its keyword. */
static bool directive_line(const char *t, size_t a, size_t e, const char *id, const char **kw, size_t *kn)
{
    size_t n = strlen(id);
    if (e - a <= n || strncmp(t + a, id, n) != 0 || (t[a + n] != ' ' && t[a + n] != '\t'))
        return false;
    size_t k = a + n;
    while (k < e && (t[k] == ' ' || t[k] == '\t'))
        k++;
    size_t w = k;
    while (w < e && !isspace((unsigned char)t[w]) && t[w] != ':')
        w++;
    *kw = t + k;
    *kn = w - k;
    return true;
}

static bool is_word(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

/* The target of the block holding offset off, as the run read it. */
static const ap_text *block_target(const apls_patch *p, uint32_t off)
{
    int ch, md;
    apls_patch_locate(p, off, &ch, &md);
    if (ch < 0)
        return NULL;
    const ap_run *run = p->run;
    for (size_t m = 0; m < p->patch->changes[ch].n_mods; m++)
        if (run->mods[ch][m].file >= 0)
            return apls_run_text(p, (size_t)run->mods[ch][m].file);
    for (size_t i = 0; i < run->n_files; i++)
        if (run->files[i].first_change == ch)
            return apls_run_text(p, i);
    return NULL;
}

json_t *apls_complete3(apls_patch *p, lsp_position pos, bool header_only)
{
    json_t *items = json_array();
    const lsp_lines *li = apls_patch_lines(p);
    const char *text = p->patch->text;
    uint32_t off = apls_patch_offset(p, pos);
    size_t ls = lsp_lines_start(li, pos.line);
    const char *typed = text + ls;
    size_t typed_len = off - ls;
    char *id = patch_id(p);
    size_t idn = strlen(id);
    lsp_position from = {pos.line, 0};

    /* the nearest directive above the cursor's line says where it is */
    const char *kw = NULL;
    size_t kn = 0, kw_line = 0;
    bool any = false;
    for (size_t l = pos.line; l-- > 0;) {
        size_t a = lsp_lines_start(li, l), e = lsp_lines_end(li, l);
        if (directive_line(text, a, e, id, &kw, &kn)) {
            any = true;
            kw_line = l;
            break;
        }
    }
    dkind after = D_HEADER;
    for (size_t i = 0; any && i < N_DIRECTIVES; i++)
        if (is_word(kw, kn, directives[i].word))
            after = directives[i].kind;
    bool locator = any && (is_word(kw, kn, "snippet") || is_word(kw, kn, "anchor") ||
                           is_word(kw, kn, "snippet_tail"));

    /* what the line holds so far: part of "<id> WORD", or a value */
    bool dir_prefix = typed_len <= idn ? strncmp(typed, id, typed_len) == 0
                                       : strncmp(typed, id, idn) == 0 && typed[idn] == ' ';
    size_t wstart = idn + 1;
    bool one_word = true;
    for (size_t i = wstart; dir_prefix && i < typed_len; i++)
        if (isspace((unsigned char)typed[i]))
            one_word = false;
    bool file_args = dir_prefix && typed_len > wstart + 4 && strncasecmp(typed + wstart, "FILE ", 5) == 0;

    if (file_args) {
        /* "<id> FILE " + a newline mode */
        static const char *const modes[] = {"LF", "CRLF", "CR"};
        const char *arg = typed + wstart + 5;
        size_t an = typed_len - wstart - 5;
        for (size_t i = 0; i < 3; i++)
            if (strncmp(modes[i], arg, an) == 0 && !memchr(arg, ' ', an))
                json_array_append_new(items, json_pack("{s:s,s:i,s:s}", "label", modes[i], "kind", 20,
                                                       "insertText", modes[i]));
    } else if (dir_prefix && one_word && (typed_len > 0 || !locator)) {
        /* a directive: the whole line so far is replaced by "<id> WORD" */
        if (!p->patch->version.present && !any) {
            char *hdr = lsp_xasprintf("%s AP 3.2", id);
            json_array_append_new(items, json_pack("{s:s,s:i,s:s,s:s,s:s,s:{s:{s:o,s:o},s:s}}", "label", hdr,
                                                   "kind", 14, "detail", "the header: the patch's id and format",
                                                   "sortText", "0", "filterText", hdr, "textEdit", "range",
                                                   "start", lsp_position_to_json(from), "end",
                                                   lsp_position_to_json(pos), "newText", hdr));
            free(hdr);
        }
        const char *word = typed_len > wstart ? typed + wstart : "";
        size_t wn = typed_len > wstart ? typed_len - wstart : 0;
        for (size_t i = 0; i < N_DIRECTIVES && !header_only; i++) {
            if (strncasecmp(directives[i].word, word, wn) != 0) /* what was typed of the keyword */
                continue;
            char *line = lsp_xasprintf("%s %s", id, directives[i].word);
            char *sort = lsp_xasprintf("%d%02zu", 1 + rank(after, any, directives[i].kind), i);
            json_array_append_new(items, json_pack("{s:s,s:i,s:s,s:s,s:s,s:{s:{s:o,s:o},s:s}}", "label", line,
                                                   "kind", 14, "detail", directives[i].doc, "sortText", sort,
                                                   "filterText", line, "textEdit", "range", "start",
                                                   lsp_position_to_json(from), "end",
                                                   lsp_position_to_json(pos), "newText", line));
            free(line);
            free(sort);
        }
    }
    if (locator && !header_only && !(dir_prefix && typed_len > idn)) {
        /* a value line of a locator: the lines of the block's target */
        const ap_text *t = block_target(p, (uint32_t)lsp_lines_start(li, kw_line));
        if (t)
            apls_complete_target_lines(items, t, typed, typed_len, from, pos, true);
    }
    free(id);
    return items;
}

bool apls_blank_patch(const apls_patch *p)
{
    const char *t = p->patch->text;
    size_t n = p->patch->len;
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && t[e] != '\n')
            e++;
        size_t k = i;
        while (k < e && isspace((unsigned char)t[k]))
            k++;
        if (k < e && t[k] != '#')
            return false;
        i = e + 1;
    }
    return true;
}
