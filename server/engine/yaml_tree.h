/* yaml_tree.h - the YAML layer of the parser: a patch's text read into a
 * node tree the way PyYAML's SafeLoader (the reference's loader) reads it,
 * with libyaml doing the scanning.
 *
 *   yaml_types.c   what a scalar is under PyYAML's rules (YAML 1.1 resolvers,
 *                  the constructors of the safe loader)
 *   yaml_compat.c  where libyaml and PyYAML read the same text differently:
 *                  stand-ins that make libyaml read as PyYAML, and the checks
 *                  for what PyYAML refuses and libyaml lets through
 *   yaml_tree.c    libyaml's events into the tree, anchors and aliases
 *   yaml_load.c    the tree checked as the safe loader constructs it: tags,
 *                  merge keys, keys that cannot be keys
 *
 * Every problem is INVALID_PATCH_FILE on the text at fault; a node refused
 * is marked bad, so the schema reading it (parse.c) adds no more noise. */
#ifndef APLS_YAML_TREE_H
#define APLS_YAML_TREE_H

#include "internal.h"

/* ------------------------------------------------------ yaml_types.c */

/* What PyYAML constructs from a node (its tag's name in the 2002 set). */
typedef enum ap_ytype {
    AP_Y_STR, AP_Y_NULL, AP_Y_BOOL, AP_Y_INT, AP_Y_FLOAT, AP_Y_BINARY, AP_Y_TIMESTAMP,
    AP_Y_SEQ, AP_Y_MAP, AP_Y_OMAP, AP_Y_PAIRS, AP_Y_SET,
    AP_Y_MERGE, AP_Y_VALUE, AP_Y_YAML, /* resolved from "<<", "=", "!": no constructor */
    AP_Y_UNKNOWN,                      /* any other tag: no constructor either */
    AP_Y_NONSPECIFIC                   /* no tag, or "!": resolved from the node */
} ap_ytype;

/* The type an event's tag names (NULL: no tag). */
ap_ytype ap_ytag(const char *tag);
/* Is it one of the scalar types (str ... timestamp)? */
bool ap_ytype_scalar(ap_ytype t);
/* The type PyYAML's implicit resolvers give a plain scalar's text. */
ap_ytype ap_yresolve(const char *s, size_t n);
/* Does a scalar of this text construct under this type? */
bool ap_yconstructs(ap_ytype t, const char *s, size_t n);
/* An integer's value as construct_yaml_int reads it, kept within +-2^62;
 * false when it does not construct. */
bool ap_yint(const char *s, size_t n, int64_t *out);
/* "text", "an integer", ... for messages. */
const char *ap_ytype_describe(ap_ytype t);

/* ------------------------------------------------------- the tree */

#define AP_YAML_MAX_DEPTH 64
#define AP_MAX_PROBLEMS AP_MAX_PARSE_PROBLEMS

enum { Y_SCALAR, Y_SEQ, Y_MAP, Y_BAD };

typedef struct ynode {
    int kind;
    ap_ytype type;     /* what PyYAML makes of it */
    bool complete;
    bool flow;         /* a flow collection ({...} or [...]) */
    bool borrowed;     /* val belongs to another node (an alias, a "=" value) */
    bool dup;          /* a key that repeats an earlier key of its mapping */
    bool shadowed;     /* a key that a later key of its mapping repeats */
    bool bad;          /* refused, a problem says why: no more problems about it */
    bool has_bad;      /* a collection holding a bad key or value */
    ap_span span;
    ap_span tag;       /* its explicit tag ({0, 0}: none) */
    struct ynode *target; /* an alias: the anchored node */
    /* scalars */
    char *val;
    size_t len;
    ap_style style;
    /* collections: a mapping's kids are key, value, key, value, ... of which
     * the first nmerged came from merge keys ("<<") */
    struct ynode **kids;
    size_t n, cap, nmerged;
} ynode;

/* A scalar as it stands in the text, for the checks after reading. */
typedef struct yscalar {
    uint32_t start, end; /* the event: properties included */
    ap_style style;
    bool in_flow;
    ynode *node;
} yscalar;

/* A byte libyaml reads in place of another (yaml_compat.c). */
typedef struct ystandin {
    uint32_t at;       /* where */
    uint32_t header;   /* a tab-indented block: where its indicator stands */
    uint8_t kind, len; /* what kind, how many bytes */
    bool dropped;      /* it turned out wrong: libyaml reads the original */
    ynode *node;       /* the scalar it stands in (once checked) */
} ystandin;

typedef struct builder {
    const char *text;   /* the original text (spans point into it) */
    size_t len;
    const char *feed;   /* what libyaml reads: the text with stand-ins */
    /* char index -> byte offset cursor (marks arrive nearly in order) */
    size_t ci, bi, base;
    ynode **all;        /* every node, for freeing */
    size_t nall, capall;
    struct anchor {
        char *name;
        ynode *node;
    } *anchors;         /* open addressing by name */
    size_t nanchors, capanchors;
    yscalar *scalars;   /* every scalar event, in text order */
    size_t nscalars, capscalars;
    ystandin *standins;
    size_t nstandins, capstandins;
    uint32_t stop;      /* libyaml read the text up to here */
    ap_span doc;        /* the first document's start event */
    bool doc_explicit;
    bool have_doc;
    /* libyaml's error, when it stopped on one */
    bool failed;
    const char *err_problem, *err_context;
    uint32_t err_at, err_context_at;
    int err_indent;     /* the scanner's indentation then */
    ap_patch *p;        /* problems go here */
    bool unclean;       /* a YAML problem, a second document, an alias or anchor */
    bool yaml_error;    /* a YAML problem (the document is not what PyYAML loads) */
} builder;

bool ap_ytoo_many(const ap_patch *p);
/* A YAML problem at span: INVALID_PATCH_FILE, the builder marked. */
void ap_yproblem(builder *b, ap_span span, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Refuses node n: a problem at span, n marked bad. */
void ap_yrefuse(builder *b, ynode *n, ap_span span, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The tree of b->text (NULL: no document), read and checked. Problems go
 * to b->p; free with ap_ybuilder_release. */
ynode *ap_ybuild(builder *b);
void ap_ybuilder_release(builder *b);

/* ----------------------------------------------------- yaml_compat.c */

/* Finds where libyaml needs a stand-in to read b->text as PyYAML does. */
void ap_ycompat_scan(builder *b);
/* The text libyaml reads (b->text when no stand-in is active; else a copy
 * the caller frees). */
char *ap_ycompat_feed(const builder *b);
/* After a reading: drops the stand-ins that turned out wrong, and adds one
 * for a tab-indented block the scan missed. True when the reading stands. */
bool ap_ycompat_verify(builder *b);
/* Puts the original characters back into the values. */
void ap_ycompat_restore(builder *b);
/* Reports what PyYAML refuses and libyaml let through: tabs outside quoted
 * and block scalars and comments, "|#", a '?' inside a flow plain scalar. */
void ap_ycompat_check(builder *b);

/* ------------------------------------------------------- yaml_load.c */

/* Checks the tree as the safe loader constructs it, and applies merge
 * keys. */
void ap_yload(builder *b, ynode *root);

#endif
