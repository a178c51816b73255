/* jsonrpc.h - JSON-RPC 2.0 messages: classify a body, build replies.
 *
 * lsp_msg_parse turns one framed body into a request, a notification, a
 * response, or an invalid message that carries the error to answer with:
 *
 *   not JSON                         -> -32700, id null
 *   an array (a batch)               -> -32600 "batch requests are not supported", id null
 *   not an object, bad "jsonrpc", bad "method"/"id"/"params" types
 *                                    -> -32600, with the id when it was usable
 *
 * Responses from the peer are accepted loosely: an object with an "id" and a
 * "result" or an "error" and no "method". A malformed notification or response
 * is invalid but must not be answered (lsp_msg.reply is false). */
#ifndef APLS_LSP_JSONRPC_H
#define APLS_LSP_JSONRPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Error codes of JSON-RPC 2.0 and LSP. */
enum {
    LSP_PARSE_ERROR = -32700,
    LSP_INVALID_REQUEST = -32600,
    LSP_METHOD_NOT_FOUND = -32601,
    LSP_INVALID_PARAMS = -32602,
    LSP_INTERNAL_ERROR = -32603,
    LSP_SERVER_NOT_INITIALIZED = -32002,
    LSP_UNKNOWN_ERROR_CODE = -32001,
    LSP_REQUEST_FAILED = -32803,
    LSP_SERVER_CANCELLED = -32802,
    LSP_CONTENT_MODIFIED = -32801,
    LSP_REQUEST_CANCELLED = -32800,
};

typedef enum lsp_msg_kind {
    LSP_MSG_INVALID,      /* answer with lsp_msg_error_reply if reply is true */
    LSP_MSG_REQUEST,      /* method, id, params */
    LSP_MSG_NOTIFICATION, /* method, params */
    LSP_MSG_RESPONSE,     /* id, and result or error */
} lsp_msg_kind;

/* One classified message. root is owned; every other pointer borrows from
 * root and dies with lsp_msg_release. */
typedef struct lsp_msg {
    lsp_msg_kind kind;
    json_t *root;       /* owned: the parsed body; NULL if it was not JSON */
    const char *method; /* request, notification: the method name */
    json_t *id;         /* request, response: the id; invalid: the id to answer
                           with, or NULL for null */
    json_t *params;     /* request, notification: params, NULL if absent or null */
    json_t *result;     /* response: the result, NULL if absent */
    json_t *error;      /* response: the error member, NULL if absent */
    int code;           /* invalid: LSP_PARSE_ERROR or LSP_INVALID_REQUEST */
    bool reply;         /* invalid: whether an error reply may be sent */
    char reason[200];   /* invalid: the error message */
} lsp_msg;

/* Parses and classifies body[0..len) into *m and returns m->kind; m owns the
 * parsed JSON until lsp_msg_release, the body is not kept. */
lsp_msg_kind lsp_msg_parse(lsp_msg *m, const char *body, size_t len);

/* Frees what m owns; m may be parsed into again. */
void lsp_msg_release(lsp_msg *m);

/* For an invalid message: the error response to send (id null unless it was
 * recoverable); the caller owns the result. */
json_t *lsp_msg_error_reply(const lsp_msg *m);

/* {"jsonrpc":"2.0","id":id,"result":result}: borrows id (NULL means null),
 * steals result (NULL means null); the caller owns the message. */
json_t *lsp_response_new(json_t *id, json_t *result);

/* The error object {"code":code,"message":message} (message made valid UTF-8;
 * data, if not NULL, is stolen and added); the caller owns it. */
json_t *lsp_error_new(int code, const char *message, json_t *data);

/* {"jsonrpc":"2.0","id":id,"error":{...}}: borrows id (NULL means null);
 * the caller owns the message. */
json_t *lsp_error_response_new(json_t *id, int code, const char *message);

/* {"jsonrpc":"2.0","id":id,"method":method,"params":params}: borrows id,
 * steals params (NULL: omitted); the caller owns the message. */
json_t *lsp_request_new(json_t *id, const char *method, json_t *params);

/* {"jsonrpc":"2.0","method":method,"params":params}: steals params (NULL:
 * omitted); the caller owns the message. */
json_t *lsp_notification_new(const char *method, json_t *params);

/* A JSON string of s[0..n), with invalid UTF-8 bytes replaced by U+FFFD so it
 * never fails; the caller owns it. */
json_t *lsp_json_text(const char *s, size_t n);

/* Serialises msg compactly; stores the length in *len; the caller frees the
 * text with free(). */
char *lsp_json_dump(const json_t *msg, size_t *len);

/* Makes jansson allocate through lsp_xmalloc, so out of memory aborts in one
 * place; call before any JSON value exists (lsp_endpoint_new does). */
void lsp_json_use_xmalloc(void);

#endif
