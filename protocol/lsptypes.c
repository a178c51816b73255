/* lsptypes.c - LSP Position and Range <-> JSON; encoding negotiation. */
#include "lsptypes.h"

#include "alloc.h"

#include <string.h>

/* Reads a non-negative integer member, saturating at UINT32_MAX. */
static bool get_u32(const json_t *obj, const char *key, uint32_t *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    json_int_t i = json_integer_value(v);
    *out = i > (json_int_t)UINT32_MAX ? UINT32_MAX : (uint32_t)i;
    return true;
}

bool lsp_position_from_json(const json_t *j, lsp_position *out)
{
    lsp_position p;
    if (!json_is_object(j) || !get_u32(j, "line", &p.line) ||
        !get_u32(j, "character", &p.character))
        return false;
    *out = p;
    return true;
}

bool lsp_range_from_json(const json_t *j, lsp_range *out)
{
    lsp_range r;
    if (!json_is_object(j) || !lsp_position_from_json(json_object_get(j, "start"), &r.start) ||
        !lsp_position_from_json(json_object_get(j, "end"), &r.end))
        return false;
    *out = r;
    return true;
}

json_t *lsp_position_to_json(lsp_position pos)
{
    json_t *j = json_pack("{s:I,s:I}", "line", (json_int_t)pos.line, "character",
                          (json_int_t)pos.character);
    if (!j)
        lsp_oom(0);
    return j;
}

json_t *lsp_range_to_json(lsp_range range)
{
    json_t *j = json_pack("{s:o,s:o}", "start", lsp_position_to_json(range.start), "end",
                          lsp_position_to_json(range.end));
    if (!j)
        lsp_oom(0);
    return j;
}

lsp_encoding lsp_encoding_negotiate(const json_t *params)
{
    const json_t *caps = json_object_get(params, "capabilities");
    const json_t *general = json_object_get(caps, "general");
    const json_t *offered = json_object_get(general, "positionEncodings");
    size_t i;
    const json_t *v;
    json_array_foreach(offered, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), "utf-8") == 0)
            return LSP_ENC_UTF8;
    }
    return LSP_ENC_UTF16;
}
