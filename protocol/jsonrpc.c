/* jsonrpc.c - classify JSON-RPC 2.0 messages and build replies. */
#include "jsonrpc.h"

#include "alloc.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Marks m invalid with code and a formatted reason; returns LSP_MSG_INVALID. */
static lsp_msg_kind msg_invalid(lsp_msg *m, int code, bool reply, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static lsp_msg_kind msg_invalid(lsp_msg *m, int code, bool reply, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->reason, sizeof m->reason, fmt, ap);
    va_end(ap);
    m->kind = LSP_MSG_INVALID;
    m->code = code;
    m->reply = reply;
    m->method = NULL;
    m->params = m->result = m->error = NULL;
    return LSP_MSG_INVALID;
}

static bool id_usable(const json_t *id)
{
    return id && (json_is_integer(id) || json_is_string(id));
}

lsp_msg_kind lsp_msg_parse(lsp_msg *m, const char *body, size_t len)
{
    memset(m, 0, sizeof *m);
    json_error_t err;
    m->root = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!m->root)
        return msg_invalid(m, LSP_PARSE_ERROR, true, "parse error at line %d, column %d: %s",
                           err.line, err.column, err.text);
    if (json_is_array(m->root))
        return msg_invalid(m, LSP_INVALID_REQUEST, true, "batch requests are not supported");
    if (!json_is_object(m->root))
        return msg_invalid(m, LSP_INVALID_REQUEST, true, "message is not a JSON object");

    json_t *id = json_object_get(m->root, "id");
    json_t *method = json_object_get(m->root, "method");
    json_t *version = json_object_get(m->root, "jsonrpc");
    if (id_usable(id))
        m->id = id; /* so an invalid request is answered with its id */

    if (!method) {
        json_t *result = json_object_get(m->root, "result");
        json_t *error = json_object_get(m->root, "error");
        if (id && (result || error)) {
            m->kind = LSP_MSG_RESPONSE;
            m->id = id;
            m->result = result;
            m->error = error;
            return m->kind;
        }
        return msg_invalid(m, LSP_INVALID_REQUEST, true, "missing \"method\"");
    }
    if (!json_is_string(method))
        return msg_invalid(m, LSP_INVALID_REQUEST, true, "\"method\" must be a string");

    /* From here on, a message without an id is a notification: never answered. */
    bool is_request = id != NULL;
    if (!json_is_string(version) || strcmp(json_string_value(version), "2.0") != 0)
        return msg_invalid(m, LSP_INVALID_REQUEST, is_request, "\"jsonrpc\" must be \"2.0\"");
    if (is_request && !id_usable(id))
        return msg_invalid(m, LSP_INVALID_REQUEST, true,
                           "\"id\" must be an integer or a string");
    json_t *params = json_object_get(m->root, "params");
    /* eglot 1.9 sends "params": null on shutdown and exit; JSON-RPC wants
     * the member omitted, but null carries no more than that: the same */
    if (json_is_null(params))
        params = NULL;
    if (params && !json_is_object(params) && !json_is_array(params))
        return msg_invalid(m, LSP_INVALID_REQUEST, is_request,
                           "\"params\" must be an object or an array");

    m->kind = is_request ? LSP_MSG_REQUEST : LSP_MSG_NOTIFICATION;
    m->method = json_string_value(method);
    m->params = params;
    return m->kind;
}

void lsp_msg_release(lsp_msg *m)
{
    json_decref(m->root);
    memset(m, 0, sizeof *m);
}

json_t *lsp_msg_error_reply(const lsp_msg *m)
{
    return lsp_error_response_new(m->id, m->code, m->reason);
}

json_t *lsp_json_text(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    if (j)
        return j;
    size_t clean_len;
    char *clean = lsp_utf8_sanitize(s, n, &clean_len);
    j = json_stringn(clean, clean_len);
    free(clean);
    if (!j)
        lsp_oom(n);
    return j;
}

/* A new envelope {"jsonrpc":"2.0"}; the caller owns it. */
static json_t *envelope(void)
{
    json_t *msg = json_object();
    if (!msg)
        lsp_oom(sizeof(json_t));
    json_object_set_new(msg, "jsonrpc", json_string("2.0"));
    return msg;
}

/* Adds "id" to msg: a new reference to id, or null when id is NULL. */
static void set_id(json_t *msg, json_t *id)
{
    json_object_set_new(msg, "id", id ? json_incref(id) : json_null());
}

json_t *lsp_response_new(json_t *id, json_t *result)
{
    json_t *msg = envelope();
    set_id(msg, id);
    json_object_set_new(msg, "result", result ? result : json_null());
    return msg;
}

json_t *lsp_error_new(int code, const char *message, json_t *data)
{
    json_t *err = json_object();
    if (!err)
        lsp_oom(sizeof(json_t));
    json_object_set_new(err, "code", json_integer(code));
    json_object_set_new(err, "message", lsp_json_text(message, strlen(message)));
    if (data)
        json_object_set_new(err, "data", data);
    return err;
}

json_t *lsp_error_response_new(json_t *id, int code, const char *message)
{
    json_t *msg = envelope();
    set_id(msg, id);
    json_object_set_new(msg, "error", lsp_error_new(code, message, NULL));
    return msg;
}

json_t *lsp_request_new(json_t *id, const char *method, json_t *params)
{
    json_t *msg = envelope();
    set_id(msg, id);
    json_object_set_new(msg, "method", lsp_json_text(method, strlen(method)));
    if (params)
        json_object_set_new(msg, "params", params);
    return msg;
}

json_t *lsp_notification_new(const char *method, json_t *params)
{
    json_t *msg = envelope();
    json_object_set_new(msg, "method", lsp_json_text(method, strlen(method)));
    if (params)
        json_object_set_new(msg, "params", params);
    return msg;
}

char *lsp_json_dump(const json_t *msg, size_t *len)
{
    char *text = json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        lsp_oom(0);
    *len = strlen(text);
    return text;
}

static void *json_xmalloc(size_t n)
{
    return lsp_xmalloc(n);
}

void lsp_json_use_xmalloc(void)
{
    json_set_alloc_funcs(json_xmalloc, free);
}
