/* jsonrpc_test.c - classification of bodies and the reply builders. */
#include "jsonrpc.h"

#include "check.h"

#include <stdlib.h>

static lsp_msg_kind classify(lsp_msg *m, const char *body)
{
    return lsp_msg_parse(m, body, strlen(body));
}

/* The compact text of msg (stolen); the caller frees it. */
static char *dump(json_t *msg)
{
    size_t len;
    char *s = lsp_json_dump(msg, &len);
    json_decref(msg);
    return s;
}

static void test_request(void)
{
    lsp_msg m;
    CHECK_INT(classify(&m, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"textDocument/hover\","
                           "\"params\":{\"a\":1}}"),
              LSP_MSG_REQUEST);
    CHECK_STR(m.method, "textDocument/hover");
    CHECK_INT(json_integer_value(m.id), 7);
    CHECK(json_is_object(m.params));
    lsp_msg_release(&m);

    CHECK_INT(classify(&m, "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"shutdown\"}"),
              LSP_MSG_REQUEST);
    CHECK_STR(json_string_value(m.id), "abc");
    CHECK(m.params == NULL);
    lsp_msg_release(&m);
}

static void test_notification(void)
{
    lsp_msg m;
    CHECK_INT(classify(&m, "{\"jsonrpc\":\"2.0\",\"method\":\"initialized\",\"params\":{}}"),
              LSP_MSG_NOTIFICATION);
    CHECK_STR(m.method, "initialized");
    CHECK(m.id == NULL);
    lsp_msg_release(&m);
    CHECK_INT(classify(&m, "{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":[1,2]}"),
              LSP_MSG_NOTIFICATION);
    lsp_msg_release(&m);
}

/* eglot 1.9 sends "params": null on shutdown and exit: the same as none. */
static void test_null_params(void)
{
    lsp_msg m;
    CHECK_INT(classify(&m, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"shutdown\",\"params\":null}"),
              LSP_MSG_REQUEST);
    CHECK_STR(m.method, "shutdown");
    CHECK(m.params == NULL);
    lsp_msg_release(&m);
    CHECK_INT(classify(&m, "{\"jsonrpc\":\"2.0\",\"method\":\"exit\",\"params\":null}"),
              LSP_MSG_NOTIFICATION);
    CHECK_STR(m.method, "exit");
    CHECK(m.params == NULL);
    lsp_msg_release(&m);
}

static void test_response(void)
{
    lsp_msg m;
    CHECK_INT(classify(&m, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}"), LSP_MSG_RESPONSE);
    CHECK(json_is_null(m.result));
    CHECK(m.error == NULL);
    lsp_msg_release(&m);
    CHECK_INT(classify(&m, "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32601,"
                           "\"message\":\"no\"}}"),
              LSP_MSG_RESPONSE);
    CHECK(json_is_object(m.error));
    lsp_msg_release(&m);
}

static void test_parse_error(void)
{
    lsp_msg m;
    CHECK_INT(classify(&m, "{\"jsonrpc\":\"2.0\",\"id\":1,"), LSP_MSG_INVALID);
    CHECK_INT(m.code, LSP_PARSE_ERROR);
    CHECK(m.reply);
    CHECK(m.id == NULL);
    char *s = dump(lsp_msg_error_reply(&m));
    CHECK(strncmp(s, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,", 50) == 0);
    free(s);
    lsp_msg_release(&m);

    CHECK_INT(lsp_msg_parse(&m, "", 0), LSP_MSG_INVALID);
    CHECK_INT(m.code, LSP_PARSE_ERROR);
    lsp_msg_release(&m);
    /* Invalid UTF-8 is not JSON. */
    CHECK_INT(classify(&m, "{\"jsonrpc\":\"2.0\",\"method\":\"\xff\"}"), LSP_MSG_INVALID);
    CHECK_INT(m.code, LSP_PARSE_ERROR);
    lsp_msg_release(&m);
    /* Trailing garbage. */
    CHECK_INT(classify(&m, "{} {}"), LSP_MSG_INVALID);
    CHECK_INT(m.code, LSP_PARSE_ERROR);
    lsp_msg_release(&m);
}

static void test_batch_refused(void)
{
    lsp_msg m;
    CHECK_INT(classify(&m, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"}]"), LSP_MSG_INVALID);
    CHECK_INT(m.code, LSP_INVALID_REQUEST);
    CHECK_STR(m.reason, "batch requests are not supported");
    CHECK(m.id == NULL);
    char *s = dump(lsp_msg_error_reply(&m));
    CHECK_STR(s, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
                 "\"message\":\"batch requests are not supported\"}}");
    free(s);
    lsp_msg_release(&m);
    CHECK_INT(classify(&m, "[]"), LSP_MSG_INVALID);
    CHECK_INT(m.code, LSP_INVALID_REQUEST);
    lsp_msg_release(&m);
}

static void test_invalid_request(void)
{
    lsp_msg m;
    const char *bad[] = {
        "42",
        "\"x\"",
        "null",
        "{}",
        "{\"jsonrpc\":\"2.0\",\"id\":1}",
        "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"a\"}",
        "{\"id\":1,\"method\":\"a\"}",
        "{\"jsonrpc\":2,\"id\":1,\"method\":\"a\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}",
        "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"a\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"a\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"a\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":3}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":\"s\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (classify(&m, bad[i]) != LSP_MSG_INVALID || m.code != LSP_INVALID_REQUEST ||
            !m.reply) {
            fprintf(stderr, "  not -32600: %s\n", bad[i]);
            check_failed_in_test++;
        }
        lsp_msg_release(&m);
    }
    /* The id is echoed when usable. */
    CHECK_INT(classify(&m, "{\"jsonrpc\":\"1.0\",\"id\":9,\"method\":\"a\"}"), LSP_MSG_INVALID);
    char *s = dump(lsp_msg_error_reply(&m));
    CHECK_STR(s, "{\"jsonrpc\":\"2.0\",\"id\":9,\"error\":{\"code\":-32600,"
                 "\"message\":\"\\\"jsonrpc\\\" must be \\\"2.0\\\"\"}}");
    free(s);
    lsp_msg_release(&m);
}

static void test_bad_notification_not_answered(void)
{
    lsp_msg m;
    CHECK_INT(classify(&m, "{\"jsonrpc\":\"2.0\",\"method\":\"a\",\"params\":1}"),
              LSP_MSG_INVALID);
    CHECK(!m.reply);
    lsp_msg_release(&m);
    CHECK_INT(classify(&m, "{\"method\":\"a\"}"), LSP_MSG_INVALID);
    CHECK(!m.reply);
    lsp_msg_release(&m);
}

static void test_builders(void)
{
    json_t *id = json_integer(3);
    char *s = dump(lsp_response_new(id, json_pack("{s:b}", "ok", 1)));
    CHECK_STR(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"ok\":true}}");
    free(s);
    s = dump(lsp_response_new(id, NULL));
    CHECK_STR(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":null}");
    free(s);
    s = dump(lsp_error_response_new(id, LSP_REQUEST_CANCELLED, "cancelled"));
    CHECK_STR(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32800,"
                 "\"message\":\"cancelled\"}}");
    free(s);
    s = dump(lsp_request_new(id, "workspace/configuration", json_pack("{s:[]}", "items")));
    CHECK_STR(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"workspace/configuration\","
                 "\"params\":{\"items\":[]}}");
    free(s);
    s = dump(lsp_notification_new("exit", NULL));
    CHECK_STR(s, "{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}");
    free(s);
    /* Invalid UTF-8 in a message does not break the builder. */
    s = dump(lsp_error_response_new(NULL, LSP_PARSE_ERROR, "bad \xff byte"));
    CHECK_STR(s, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
                 "\"message\":\"bad \xef\xbf\xbd byte\"}}");
    free(s);
    CHECK_INT(id->refcount, 1); /* id was only borrowed */
    json_decref(id);
}

static void test_error_codes(void)
{
    CHECK_INT(LSP_PARSE_ERROR, -32700);
    CHECK_INT(LSP_INVALID_REQUEST, -32600);
    CHECK_INT(LSP_METHOD_NOT_FOUND, -32601);
    CHECK_INT(LSP_INVALID_PARAMS, -32602);
    CHECK_INT(LSP_INTERNAL_ERROR, -32603);
    CHECK_INT(LSP_SERVER_NOT_INITIALIZED, -32002);
    CHECK_INT(LSP_REQUEST_CANCELLED, -32800);
    CHECK_INT(LSP_REQUEST_FAILED, -32803);
}

int main(void)
{
    lsp_json_use_xmalloc();
    RUN(test_request);
    RUN(test_notification);
    RUN(test_null_params);
    RUN(test_response);
    RUN(test_parse_error);
    RUN(test_batch_refused);
    RUN(test_invalid_request);
    RUN(test_bad_notification_not_answered);
    RUN(test_builders);
    RUN(test_error_codes);
    return check_summary();
}
