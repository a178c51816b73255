/* status.c - the notification apls/status: which format the server read a
 * patch as (docs/server.md, "Format 3.2 documents"), for the clients'
 * status line and their choice of highlighting. Sent after an analysis
 * whose status differs from the last one sent for that document. */
#include "server.h"

#include "alloc.h"

#include <stdlib.h>
#include <string.h>

void apls_publish_status(apls_patch *p)
{
    if (!p->patch || !p->run)
        return;
    const ap_patch *pt = p->patch;
    size_t mods = 0;
    for (size_t c = 0; c < pt->n_changes; c++)
        mods += pt->changes[c].n_mods;
    json_t *id = pt->format == AP_FORMAT_3_2 && pt->id.is_string ? apls_json_text(pt->id.value) : json_null();
    json_t *st = json_pack("{s:s,s:s,s:o,s:I,s:I}", "uri", p->uri, "format", ap_format_name(pt->format), "id", id,
                           "files", (json_int_t)pt->n_changes, "modifications", (json_int_t)mods);
    char *text = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS);
    if (p->status_sent && strcmp(p->status_sent, text) == 0) {
        free(text);
        json_decref(st);
        return;
    }
    free(p->status_sent);
    p->status_sent = text;
    json_object_set_new(st, "version", json_integer((json_int_t)p->version));
    lsp_endpoint_notify_latest(p->srv->ep, "apls/status", p->uri, st);
}
