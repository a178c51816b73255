/* memo.c - the slots of memo.h: one copy for every table that keeps the
 * answers asked of it. */
#include "memo.h"

#include <string.h>

void ap_memo_init(ap_query_memo *m)
{
    m->next = 0;
    for (size_t i = 0; i < AP_MEMO_SLOTS; i++)
        m->slot[i].qn = UINT32_MAX;
}

const void *ap_memo_find(const ap_query_memo *m, const char *q, uint32_t qn, uint32_t tag, uint32_t *an)
{
    if (qn > AP_MEMO_QUERY)
        return NULL;
    for (size_t i = 0; i < AP_MEMO_SLOTS; i++) {
        const ap_memo_slot *sl = &m->slot[i];
        if (sl->qn == qn && sl->tag == tag && (qn == 0 || memcmp(sl->q, q, qn) == 0)) {
            *an = sl->an;
            return sl->a;
        }
    }
    return NULL;
}

void ap_memo_put(ap_query_memo *m, const char *q, uint32_t qn, uint32_t tag, const void *a, uint32_t an)
{
    if (qn > AP_MEMO_QUERY || an > AP_MEMO_ANSWER)
        return;
    ap_memo_slot *sl = &m->slot[m->next];
    m->next = (m->next + 1) % AP_MEMO_SLOTS;
    sl->qn = qn;
    sl->tag = tag;
    sl->an = an;
    if (an)
        memcpy(sl->a, a, an);
    if (qn)
        memcpy(sl->q, q, qn);
}
