/* yaml_tree.c - libyaml's events into a small tree of nodes (iteratively,
 * so no input can exhaust the stack; nesting deeper than 64 is refused).
 *
 * A YAML syntax error stops libyaml, but the nodes completed before it stay,
 * so the modifications above a typo keep their diagnostics while the user
 * types. Aliases may name a scalar (the node is shared, nothing is copied);
 * an alias to a mapping or list is refused, which is what makes alias bombs
 * harmless (PyYAML accepts them: one of the differences apls keeps).
 *
 * libyaml reads the text with stand-ins where it would read it otherwise
 * than PyYAML (yaml_compat.c); a stand-in that turns out wrong is dropped and
 * the text read again, a few times at most.
 *
 * Positions: libyaml marks count characters; they become byte offsets here,
 * at the edge, and the rest of the engine works in bytes. A stand-in has
 * the length of what it stands for, so marks do not move. */
#include "yaml_tree.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

bool ap_ytoo_many(const ap_patch *p)
{
    return p->n_problems >= AP_MAX_PROBLEMS;
}

static void vproblem(builder *b, ap_span span, const char *fmt, va_list ap)
{
    b->unclean = true;
    b->yaml_error = true;
    if (!ap_ytoo_many(b->p))
        ap_problem_addv(&b->p->problems, &b->p->n_problems, AP_INVALID_PATCH_FILE, AP_ERROR, span,
                        -1, -1, fmt, ap);
}

void ap_yproblem(builder *b, ap_span span, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vproblem(b, span, fmt, ap);
    va_end(ap);
}

void ap_yrefuse(builder *b, ynode *n, ap_span span, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vproblem(b, span, fmt, ap);
    va_end(ap);
    n->bad = true;
}

static uint32_t to_byte(builder *b, size_t index)
{
    if (index < b->ci) {
        b->ci = 0;
        b->bi = b->base;
    }
    while (b->ci < index && b->bi < b->len) {
        unsigned char c = (unsigned char)b->text[b->bi];
        size_t w = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        b->bi += w;
        b->ci++;
    }
    if (b->bi > b->len)
        b->bi = b->len;
    return (uint32_t)b->bi;
}

static ap_span mark_span(builder *b, yaml_mark_t s, yaml_mark_t e)
{
    ap_span sp;
    sp.start = to_byte(b, s.index);
    sp.end = to_byte(b, e.index);
    if (sp.end < sp.start)
        sp.end = sp.start;
    return sp;
}

static ynode *node_new(builder *b, int kind)
{
    ynode *n = ap_xcalloc(1, sizeof *n);
    n->kind = kind;
    AP_GROW(b->all, b->nall, b->capall);
    b->all[b->nall++] = n;
    return n;
}

static void node_add(ynode *parent, ynode *kid)
{
    AP_GROW(parent->kids, parent->n, parent->cap);
    parent->kids[parent->n++] = kid;
}

static bool blank_or_break(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Where the property starting with `sigil` ('!' a tag, '&' an anchor)
 * stands in the event's text [from, to). */
static ap_span property(const builder *b, uint32_t from, uint32_t to, char sigil)
{
    const char *t = b->text;
    uint32_t i = from;
    while (i < to && t[i] != sigil) {
        if (t[i] == '#') /* a comment between the properties */
            while (i < to && t[i] != '\n' && t[i] != '\r')
                i++;
        else
            i++;
    }
    uint32_t e = i;
    if (e < to && sigil == '!' && e + 1 < to && t[e + 1] == '<') {
        while (e < to && t[e] != '>')
            e++;
        if (e < to)
            e++;
    } else {
        while (e < to && !blank_or_break(t[e]))
            e++;
    }
    return (ap_span){i < to ? i : from, i < to ? e : from};
}

static struct anchor *anchor_slot(builder *b, const char *name)
{
    size_t mask = b->capanchors - 1, j = ap_hash(name, strlen(name)) & mask;
    while (b->anchors[j].name && strcmp(b->anchors[j].name, name) != 0)
        j = (j + 1) & mask;
    return &b->anchors[j];
}

static void anchor_set(builder *b, const yaml_char_t *name, ynode *n, ap_span ev)
{
    if (!name)
        return;
    b->unclean = true;
    if ((b->nanchors + 1) * 2 > b->capanchors) {
        struct anchor *old = b->anchors;
        size_t cap = b->capanchors;
        b->capanchors = cap ? cap * 2 : 16;
        b->anchors = ap_xcalloc(b->capanchors, sizeof *b->anchors);
        for (size_t i = 0; i < cap; i++)
            if (old[i].name)
                *anchor_slot(b, old[i].name) = old[i];
        free(old);
    }
    struct anchor *a = anchor_slot(b, (const char *)name);
    if (!a->name) {
        a->name = ap_xstrdup((const char *)name);
        b->nanchors++;
    } else {
        /* the composer refuses a second anchor of the same name */
        ap_yproblem(b, property(b, ev.start, ev.end, '&'),
                    "anchor '%s' is defined twice (the first stands above)", (const char *)name);
    }
    a->node = n;
}

static ynode *anchor_get(builder *b, const yaml_char_t *name)
{
    if (!b->capanchors)
        return NULL;
    return anchor_slot(b, (const char *)name)->node;
}

static ap_style style_of(yaml_scalar_style_t s)
{
    switch (s) {
    case YAML_SINGLE_QUOTED_SCALAR_STYLE: return AP_STYLE_SINGLE_QUOTED;
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return AP_STYLE_DOUBLE_QUOTED;
    case YAML_LITERAL_SCALAR_STYLE: return AP_STYLE_LITERAL;
    case YAML_FOLDED_SCALAR_STYLE: return AP_STYLE_FOLDED;
    default: return AP_STYLE_PLAIN;
    }
}

/* The tree and the records of one reading, freed (the stand-ins stay). */
static void release_reading(builder *b)
{
    for (size_t i = 0; i < b->nall; i++) {
        if (!b->all[i]->borrowed)
            free(b->all[i]->val);
        free(b->all[i]->kids);
        free(b->all[i]);
    }
    free(b->all);
    b->all = NULL;
    b->nall = b->capall = 0;
    for (size_t i = 0; i < b->capanchors; i++)
        free(b->anchors[i].name);
    free(b->anchors);
    b->anchors = NULL;
    b->nanchors = b->capanchors = 0;
    free(b->scalars);
    b->scalars = NULL;
    b->nscalars = b->capscalars = 0;
}

void ap_ybuilder_release(builder *b)
{
    release_reading(b);
    free(b->standins);
    b->standins = NULL;
    b->nstandins = b->capstandins = 0;
}

/* libyaml's error as a problem: at the character it names. */
static void syntax_error(builder *b, yaml_parser_t *parser)
{
    ap_span at;
    if (parser->error == YAML_READER_ERROR) {
        at.start = (uint32_t)(parser->problem_offset < b->len ? parser->problem_offset : b->len);
    } else {
        at.start = to_byte(b, parser->problem_mark.index);
    }
    at.end = at.start < b->len ? at.start + 1 : at.start;
    b->failed = true;
    b->stop = at.start;
    b->err_problem = parser->problem;
    b->err_context = parser->context;
    b->err_at = at.start;
    b->err_context_at = to_byte(b, parser->context_mark.index);
    b->err_indent = parser->indent;
    if (parser->context)
        ap_yproblem(b, at, "YAML syntax error: %s %s", parser->problem ? parser->problem : "error",
                    parser->context);
    else
        ap_yproblem(b, at, "YAML syntax error: %s", parser->problem ? parser->problem : "error");
}

static ap_ytype scalar_type(const yaml_event_t *ev)
{
    const char *tag = (const char *)ev->data.scalar.tag;
    ap_ytype t = ap_ytag(tag);
    if (t != AP_Y_NONSPECIFIC)
        return t;
    /* PyYAML resolves a plain scalar without a tag, and any scalar tagged
     * "!" (libyaml's plain_implicit says so too, but not for an empty one) */
    if (ev->data.scalar.plain_implicit || tag)
        return ap_yresolve((const char *)ev->data.scalar.value, ev->data.scalar.length);
    return AP_Y_STR;
}

static ap_ytype collection_type(const char *tag, ap_ytype dflt)
{
    ap_ytype t = ap_ytag(tag);
    return t == AP_Y_NONSPECIFIC ? dflt : t;
}

/* One reading of b->feed into a tree; returns the document's root or NULL. */
static ynode *read_events(builder *b)
{
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)b->feed, b->len);

    ynode *root = NULL;
    ynode *stack[AP_YAML_MAX_DEPTH];
    size_t depth = 0;
    int documents = 0;
    bool done = false;
    b->stop = (uint32_t)b->len;

    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            syntax_error(b, &parser);
            break;
        }
        ap_span sp = mark_span(b, ev.start_mark, ev.end_mark);
        ynode *n = NULL;
        const char *tag = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1) {
                ap_yproblem(b, sp, "a patch is one YAML document; this starts a second one");
                b->stop = sp.start;
                done = true;
            } else {
                b->have_doc = true;
                b->doc = sp;
                b->doc_explicit = !ev.data.document_start.implicit;
            }
            break;
        case YAML_SCALAR_EVENT:
            n = node_new(b, Y_SCALAR);
            n->complete = true;
            n->val = ap_xmemdup((const char *)ev.data.scalar.value, ev.data.scalar.length);
            n->len = ev.data.scalar.length;
            n->style = style_of(ev.data.scalar.style);
            n->type = scalar_type(&ev);
            n->span = sp;
            tag = (const char *)ev.data.scalar.tag;
            anchor_set(b, ev.data.scalar.anchor, n, sp);
            AP_GROW(b->scalars, b->nscalars, b->capscalars);
            b->scalars[b->nscalars++] =
                (yscalar){sp.start, sp.end, n->style, depth > 0 && stack[depth - 1]->flow, n};
            break;
        case YAML_ALIAS_EVENT: {
            b->unclean = true;
            ynode *target = anchor_get(b, ev.data.alias.anchor);
            if (target && target->kind == Y_SCALAR) {
                /* its own node, at the alias's place, sharing the value:
                 * nothing is copied, whatever the number of aliases */
                n = node_new(b, Y_SCALAR);
                *n = *target;
                n->span = sp;
                n->tag = (ap_span){0, 0};
                n->borrowed = true;
                n->target = target;
            } else {
                n = node_new(b, Y_BAD);
                n->complete = true;
                n->span = sp;
                if (target)
                    ap_yrefuse(b, n, sp,
                               "an alias may only name a scalar, not a mapping or list (apls "
                               "refuses them: they can expand without end)");
                else
                    ap_yrefuse(b, n, sp, "alias '%s' names no anchor",
                               (const char *)ev.data.alias.anchor);
            }
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            bool map = ev.type == YAML_MAPPING_START_EVENT;
            if (depth >= AP_YAML_MAX_DEPTH) {
                /* stop reading: no patch nests this deep, and libyaml takes
                 * time quadratic in the depth of flow collections */
                n = node_new(b, Y_BAD);
                n->span = sp;
                ap_yrefuse(b, n, sp, "YAML nested deeper than %d levels", AP_YAML_MAX_DEPTH);
                b->stop = sp.start;
                done = true;
                break;
            }
            n = node_new(b, map ? Y_MAP : Y_SEQ);
            n->span = sp;
            n->flow = map ? ev.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                          : ev.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
            tag = (const char *)(map ? ev.data.mapping_start.tag : ev.data.sequence_start.tag);
            n->type = collection_type(tag, map ? AP_Y_MAP : AP_Y_SEQ);
            anchor_set(b, map ? ev.data.mapping_start.anchor : ev.data.sequence_start.anchor, n, sp);
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0) {
                ynode *c = stack[--depth];
                c->complete = true;
                /* A block collection ends where its last value does: libyaml's
                 * end mark stands at the next token, on the next item's line,
                 * and a span must not depend on text outside its node. */
                uint32_t end = c->flow || c->n == 0 ? sp.end : c->span.start;
                for (size_t k = 0; !c->flow && k < c->n; k++)
                    if (c->kids[k]->span.end > end)
                        end = c->kids[k]->span.end;
                if (end > c->span.end)
                    c->span.end = end;
            }
            break;
        default:
            break;
        }
        if (n) {
            if (tag && strcmp(tag, "!") != 0)
                n->tag = property(b, sp.start, sp.end, '!');
            if (depth > 0)
                node_add(stack[depth - 1], n);
            else if (!root)
                root = n;
            if ((n->kind == Y_MAP || n->kind == Y_SEQ) && !n->complete)
                stack[depth++] = n;
        }
        yaml_event_delete(&ev);
    }
    /* collections a YAML error left open end where their last kid does */
    while (depth > 0) {
        ynode *c = stack[--depth];
        for (size_t k = 0; k < c->n; k++)
            if (c->kids[k]->span.end > c->span.end)
                c->span.end = c->kids[k]->span.end;
    }
    yaml_parser_delete(&parser);
    return root;
}

enum { MAX_READINGS = 4 };

ynode *ap_ybuild(builder *b)
{
    if (b->len >= 2 && ((unsigned char)b->text[0] == 0xff || (unsigned char)b->text[0] == 0xfe) &&
        ((unsigned char)b->text[1] ^ (unsigned char)b->text[0]) == 0x01) {
        /* libyaml would decode it; the reference reads its patches as UTF-8 */
        ap_yproblem(b, (ap_span){0, 2},
                    "the patch is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8");
        b->stop = 0;
        return NULL;
    }
    if (b->len >= 3 && memcmp(b->text, "\xef\xbb\xbf", 3) == 0)
        b->base = 3; /* libyaml skips a BOM without counting it */
    ap_ycompat_scan(b);
    size_t problems_before = b->p->n_problems;
    ynode *root = NULL;
    bool last = false;
    for (int reading = 1;; reading++) {
        for (size_t i = 0; i < b->nstandins; i++)
            b->standins[i].node = NULL; /* found again by this reading's check */
        char *feed = ap_ycompat_feed(b);
        b->feed = feed ? feed : b->text;
        b->ci = 0;
        b->bi = b->base;
        root = read_events(b);
        free(feed);
        b->feed = NULL;
        if (last || ap_ycompat_verify(b))
            break;
        /* read again: forget this reading, its problems included */
        release_reading(b);
        for (size_t i = problems_before; i < b->p->n_problems; i++)
            ap_problem_release(&b->p->problems[i]);
        b->p->n_problems = problems_before;
        b->unclean = b->yaml_error = b->failed = b->have_doc = false;
        if (reading + 1 >= MAX_READINGS) {
            /* the last reading: libyaml alone, never a stand-in unchecked */
            for (size_t i = 0; i < b->nstandins; i++)
                b->standins[i].dropped = true;
            last = true;
        }
    }
    ap_ycompat_restore(b);
    for (size_t i = 0; i < b->nall; i++)
        if (b->all[i]->target) { /* an alias: the value as restored */
            b->all[i]->val = b->all[i]->target->val;
            b->all[i]->len = b->all[i]->target->len;
        }
    ap_ycompat_check(b);
    ap_yload(b, root);
    return root;
}
