/* yaml_load.c - the tree checked as PyYAML's SafeConstructor builds objects
 * from it. What it refuses becomes a problem on the node (and the node is
 * marked bad): a tag it has no constructor for ("!!python/object:...",
 * "!foo"), a tag for another kind of node ("!!str [a]"), a scalar its
 * constructor cannot read ("!!int x", a 30th of February, "=" as a value),
 * a list or mapping as a key, a merge key ("<<") on anything but mappings.
 * Merge keys are applied as it applies them.
 *
 * Only what PyYAML constructs is checked: a mapping named by a merge key
 * gives its keys and values, never itself (its tag is not looked at), and a
 * mapping tagged as a scalar ("!!str {=: x}") is the value of its "=" key. */
#include "yaml_tree.h"

#include <stdlib.h>
#include <string.h>

static void load(builder *b, ynode *n);

static ap_span tag_or_node(const ynode *n)
{
    return n->tag.end > n->tag.start ? n->tag : n->span;
}

static void refuse_tag(builder *b, ynode *n)
{
    ap_span t = tag_or_node(n);
    ap_yrefuse(b, n, t, "tag '%.*s' is not one PyYAML's safe loader (the reference's) reads",
               (int)(t.end - t.start), b->text + t.start);
}

static const char *kind_name(int kind)
{
    return kind == Y_SEQ ? "a list" : kind == Y_MAP ? "a mapping" : "a scalar";
}

static void refuse_kind(builder *b, ynode *n)
{
    ap_span t = tag_or_node(n);
    ap_yrefuse(b, n, t, "tag '%.*s' does not fit %s", (int)(t.end - t.start), b->text + t.start,
               kind_name(n->kind));
}

/* A scalar's text under type t. */
static void check_text(builder *b, ynode *n, ap_ytype t, const char *val, size_t len)
{
    if (ap_yconstructs(t, val, len))
        return;
    if (t == AP_Y_MERGE || t == AP_Y_VALUE || t == AP_Y_YAML)
        ap_yrefuse(b, n, n->span,
                   "'%.*s' as a value has no meaning for PyYAML (the reference's loader): quote it",
                   (int)len, val);
    else
        ap_yrefuse(b, n, n->span, "'%.*s' is not %s (PyYAML, the reference's loader, refuses it)",
                   len > 40 ? 40 : (int)len, val, ap_ytype_describe(t));
}

/* The value of a mapping's "=" key (a key resolved as tag value), or NULL. */
static ynode *eq_value(const ynode *m)
{
    for (size_t i = 0; i + 1 < m->n; i += 2)
        if (m->kids[i]->kind == Y_SCALAR && m->kids[i]->type == AP_Y_VALUE && !m->kids[i]->bad)
            return m->kids[i + 1];
    return NULL;
}

/* A mapping tagged as a scalar: construct_scalar takes its "=" key's value
 * (a mapping again: its "=" value, and so on). The node becomes that scalar. */
static void mapping_as_scalar(builder *b, ynode *n)
{
    ynode *v = eq_value(n);
    for (int hops = 0; v && v->kind == Y_MAP && hops < AP_YAML_MAX_DEPTH; hops++)
        v = eq_value(v);
    if (!v || v->kind != Y_SCALAR || v->bad) {
        refuse_kind(b, n);
        return;
    }
    check_text(b, n, n->type, v->val, v->len);
    if (n->bad)
        return;
    n->kind = Y_SCALAR;
    n->val = v->val;
    n->len = v->len;
    n->style = v->style;
    n->borrowed = true;
}

/* The kids of a mapping that make whole pairs: a key a YAML error cut off
 * from its value is not merged, or every pair after it would shift. */
static size_t pairs(const ynode *m)
{
    return m->n & ~(size_t)1;
}

/* flatten_mapping: the pairs of merged mappings come first, then the
 * mapping's own; "=" keys become strings. */
static void flatten(builder *b, ynode *m)
{
    bool special = false; /* most mappings have neither "<<" nor "=" keys */
    for (size_t i = 0; i < m->n && !special; i += 2)
        special = m->kids[i]->kind == Y_SCALAR &&
                  (m->kids[i]->type == AP_Y_MERGE || m->kids[i]->type == AP_Y_VALUE);
    if (!special)
        return;
    ynode **merged = NULL, **own = NULL;
    size_t nm = 0, cm = 0, no = 0, co = 0;
    for (size_t i = 0; i + 1 < m->n; i += 2) {
        ynode *k = m->kids[i], *v = m->kids[i + 1];
        if (k->kind == Y_SCALAR && k->type == AP_Y_MERGE && !k->bad) {
            if (v->bad) {
                m->has_bad = true;
            } else if (v->kind == Y_MAP) {
                flatten(b, v);
                for (size_t j = 0; j < pairs(v); j++) {
                    AP_GROW(merged, nm, cm);
                    merged[nm++] = v->kids[j];
                }
            } else if (v->kind == Y_SEQ) {
                /* the earlier mappings of the list win: added last */
                for (size_t s = v->n; s-- > 0;) {
                    ynode *sub = v->kids[s];
                    if (sub->bad)
                        continue;
                    if (sub->kind != Y_MAP) {
                        ap_yrefuse(b, sub, sub->span, "a merge key ('<<') takes mappings, not %s",
                                   kind_name(sub->kind));
                        m->has_bad = true;
                        continue;
                    }
                    flatten(b, sub);
                    for (size_t j = 0; j < pairs(sub); j++) {
                        AP_GROW(merged, nm, cm);
                        merged[nm++] = sub->kids[j];
                    }
                }
            } else {
                ap_yrefuse(b, v, v->span,
                           "a merge key ('<<') takes a mapping or a list of mappings, not %s",
                           kind_name(v->kind));
                m->has_bad = true;
            }
            continue;
        }
        if (k->kind == Y_SCALAR && k->type == AP_Y_VALUE)
            k->type = AP_Y_STR;
        AP_GROW(own, no, co);
        own[no++] = k;
        AP_GROW(own, no, co);
        own[no++] = v;
    }
    if (m->n % 2) { /* a key without its value (cut off by a YAML error) */
        AP_GROW(own, no, co);
        own[no++] = m->kids[m->n - 1];
    }
    if (nm) {
        size_t n = nm + no;
        ynode **kids = ap_xmalloc(n * sizeof *kids);
        memcpy(kids, merged, nm * sizeof *kids);
        if (no)
            memcpy(kids + nm, own, no * sizeof *kids);
        free(m->kids);
        m->kids = kids;
        m->n = m->cap = n;
        m->nmerged = nm;
    } else if (no != m->n) {
        if (no)
            memcpy(m->kids, own, no * sizeof *own);
        m->n = no;
    }
    free(merged);
    free(own);
}

static bool unhashable(const ynode *k)
{
    return k->type == AP_Y_SEQ || k->type == AP_Y_MAP || k->type == AP_Y_OMAP ||
           k->type == AP_Y_PAIRS || k->type == AP_Y_SET;
}

static void load_mapping(builder *b, ynode *n)
{
    flatten(b, n);
    for (size_t i = 0; i < n->n; i++) {
        ynode *k = n->kids[i];
        load(b, k);
        if (i % 2 == 0 && !k->bad && unhashable(k))
            ap_yrefuse(b, k, k->span, "%s cannot be a key (PyYAML, the reference's loader, refuses it)",
                       ap_ytype_describe(k->type));
        if (k->bad)
            n->has_bad = true;
    }
}

/* !!omap and !!pairs: a list of one-pair mappings, whose keys and values
 * are constructed (the mappings themselves are not). */
static void load_pairs(builder *b, ynode *n)
{
    for (size_t i = 0; i < n->n; i++) {
        ynode *item = n->kids[i];
        if (item->bad)
            continue;
        if (item->kind != Y_MAP || item->n != 2) {
            ap_yrefuse(b, item, item->span, "an ordered mapping takes mappings of one key each");
            n->has_bad = true;
            continue;
        }
        load(b, item->kids[0]);
        load(b, item->kids[1]);
    }
}

static void load(builder *b, ynode *n)
{
    if (n->bad)
        return;
    if (n->target) { /* an alias: checked where its anchor stands */
        n->bad = n->target->bad;
        return;
    }
    ap_ytype t = n->type;
    if (t == AP_Y_UNKNOWN) {
        refuse_tag(b, n);
        return;
    }
    switch (n->kind) {
    case Y_SCALAR:
        if (ap_ytype_scalar(t) || t == AP_Y_MERGE || t == AP_Y_VALUE || t == AP_Y_YAML)
            check_text(b, n, t, n->val, n->len);
        else
            refuse_kind(b, n);
        break;
    case Y_SEQ:
        if (t == AP_Y_SEQ) {
            for (size_t i = 0; i < n->n; i++) {
                load(b, n->kids[i]);
                n->has_bad |= n->kids[i]->bad;
            }
        } else if (t == AP_Y_OMAP || t == AP_Y_PAIRS) {
            load_pairs(b, n);
        } else {
            refuse_kind(b, n);
        }
        break;
    case Y_MAP:
        if (t == AP_Y_MAP || t == AP_Y_SET)
            load_mapping(b, n);
        else if (ap_ytype_scalar(t))
            mapping_as_scalar(b, n);
        else
            refuse_kind(b, n);
        break;
    default:
        break;
    }
}

void ap_yload(builder *b, ynode *root)
{
    if (root)
        load(b, root);
}
