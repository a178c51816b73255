/* memo.h - answers to whole-text questions, kept with the text's table
 * they were read from (similar.c's scans, words.c's sets).
 *
 * A question about a text is named by its query line's stripped bytes,
 * copied (a text may outlive the patch that asked: the server's cache
 * shares texts between runs), and a small tag (what else the question
 * depends on). A few slots, reused round robin: the questions of one run
 * come back soon or never. The memo lives in the block of its table, so it
 * goes when text.c drops the table (text.c knows nothing of it). */
#ifndef AP_MEMO_H
#define AP_MEMO_H

#include <stdbool.h>
#include <stdint.h>

#define AP_MEMO_SLOTS 16
#define AP_MEMO_QUERY 160  /* longer queries are not kept: asked every time */
#define AP_MEMO_ANSWER 96  /* bytes an answer may take */

typedef struct ap_memo_slot {
    uint32_t qn;  /* the query's length; UINT32_MAX: empty */
    uint32_t tag;
    uint32_t an;  /* the answer's length */
    _Alignas(8) unsigned char a[AP_MEMO_ANSWER];
    char q[AP_MEMO_QUERY];
} ap_memo_slot;

typedef struct ap_query_memo {
    uint32_t next;  /* the slot the next answer takes */
    ap_memo_slot slot[AP_MEMO_SLOTS];
} ap_query_memo;

void ap_memo_init(ap_query_memo *m);
/* The answer kept for (q[0..qn), tag), its length in *an; NULL when none
 * is (nor can be: qn > AP_MEMO_QUERY). */
const void *ap_memo_find(const ap_query_memo *m, const char *q, uint32_t qn, uint32_t tag, uint32_t *an);
/* Keeps an answer (an <= AP_MEMO_ANSWER; a query too long is not kept). */
void ap_memo_put(ap_query_memo *m, const char *q, uint32_t qn, uint32_t tag, const void *a, uint32_t an);

#endif
