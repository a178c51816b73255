/* pattern.c - a snippet, anchor or content as it is searched: split into
 * lines, each stripped and hashed, with the non-blank ones listed. */
#include "internal.h"

#include <stdlib.h>

void ap_pattern_init(ap_pattern *p, const char *s, size_t len)
{
    p->n_lines = (uint32_t)ap_split_lines(s, len, &p->lines);
    p->nb = ap_xmalloc((p->n_lines ? p->n_lines : 1) * sizeof *p->nb);
    p->n = 0;
    p->soft = false;
    for (uint32_t i = 0; i < p->n_lines; i++)
        if (!p->lines[i].blank)
            p->nb[p->n++] = i;
}

void ap_pattern_release(ap_pattern *p)
{
    free(p->lines);
    free(p->nb);
    p->lines = NULL;
    p->nb = NULL;
    p->n = p->n_lines = 0;
}
