/* yaml_types.c - what PyYAML's SafeLoader (the loader of the reference
 * patcher) makes of a scalar: the tag a plain scalar resolves to, which tags
 * it can construct, and whether a scalar's text constructs under its tag.
 *
 * PyYAML resolves plain scalars by the YAML 1.1 rules, not by the 1.2 core
 * schema: "yes", "on" and "off" are booleans, "1e3" is text (an exponent
 * needs a dot and a sign), "017" is octal, "1:30" is 90, "2001-12-14" is a
 * date, "=" and "<<" have tags of their own. Each regular expression of
 * resolver.py and constructor.py is a small matcher here, and each
 * constructor's failure (int("x"), a 30th of February, bad base64) is a
 * "does not construct". Python's int() and float() accept white space around
 * the number; they also accept non-ASCII digits, which these do not. */
#include "yaml_tree.h"

#include <string.h>
#include <strings.h>

static const char *const names[] = {
    [AP_Y_STR] = "str", [AP_Y_NULL] = "null", [AP_Y_BOOL] = "bool", [AP_Y_INT] = "int",
    [AP_Y_FLOAT] = "float", [AP_Y_BINARY] = "binary", [AP_Y_TIMESTAMP] = "timestamp",
    [AP_Y_SEQ] = "seq", [AP_Y_MAP] = "map", [AP_Y_OMAP] = "omap", [AP_Y_PAIRS] = "pairs",
    [AP_Y_SET] = "set", [AP_Y_MERGE] = "merge", [AP_Y_VALUE] = "value", [AP_Y_YAML] = "yaml",
};

ap_ytype ap_ytag(const char *tag)
{
    static const char prefix[] = "tag:yaml.org,2002:";
    if (!tag || strcmp(tag, "!") == 0)
        return AP_Y_NONSPECIFIC;
    if (strncmp(tag, prefix, sizeof prefix - 1) != 0)
        return AP_Y_UNKNOWN;
    const char *name = tag + sizeof prefix - 1;
    for (int t = 0; t < (int)(sizeof names / sizeof *names); t++)
        if (names[t] && strcmp(name, names[t]) == 0)
            return (ap_ytype)t;
    return AP_Y_UNKNOWN;
}

bool ap_ytype_scalar(ap_ytype t)
{
    return t <= AP_Y_TIMESTAMP;
}

/* ------------------------------------------------------------ matchers */

/* A cursor over the text a pattern must match whole. */
typedef struct cur {
    const char *s;
    size_t n, i;
} cur;

static bool at(const cur *c, char ch)
{
    return c->i < c->n && c->s[c->i] == ch;
}

static bool eat(cur *c, char ch)
{
    if (!at(c, ch))
        return false;
    c->i++;
    return true;
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool eat_digit(cur *c)
{
    if (c->i < c->n && is_digit(c->s[c->i])) {
        c->i++;
        return true;
    }
    return false;
}

/* [set]* : how many were eaten */
static size_t eat_all(cur *c, const char *set)
{
    size_t k = 0;
    while (c->i < c->n && c->s[c->i] && strchr(set, c->s[c->i]))
        c->i++, k++;
    return k;
}

static void eat_sign(cur *c)
{
    if (at(c, '-') || at(c, '+'))
        c->i++;
}

static bool done(const cur *c)
{
    return c->i == c->n;
}

/* (:[0-5]?[0-9])+ */
static bool sexagesimal(cur *c)
{
    size_t parts = 0;
    while (at(c, ':')) {
        c->i++;
        if (c->i + 1 < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '5' && is_digit(c->s[c->i + 1]))
            c->i += 2;
        else if (!eat_digit(c))
            return false;
        parts++;
    }
    return parts > 0;
}

#define DIGITS_ "0123456789_"

/* [eE][-+][0-9]+, optional */
static bool exponent(cur *c)
{
    if (!at(c, 'e') && !at(c, 'E'))
        return true;
    c->i++;
    if (!eat(c, '-') && !eat(c, '+'))
        return false;
    return eat_all(c, "0123456789") > 0;
}

static bool is_float(const char *s, size_t n)
{
    cur c = {s, n, 0};
    /* [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)? */
    eat_sign(&c);
    size_t sign_end = c.i;
    if (eat_digit(&c)) {
        eat_all(&c, DIGITS_);
        size_t mark = c.i;
        if (eat(&c, '.')) {
            eat_all(&c, DIGITS_);
            if (exponent(&c) && done(&c))
                return true;
        }
        /* [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* */
        c.i = mark;
        if (sexagesimal(&c) && eat(&c, '.')) {
            eat_all(&c, DIGITS_);
            if (done(&c))
                return true;
        }
        return false;
    }
    /* [-+]?\.(?:inf|Inf|INF) */
    c.i = sign_end;
    if (n - c.i == 4 && (!memcmp(s + c.i, ".inf", 4) || !memcmp(s + c.i, ".Inf", 4) ||
                         !memcmp(s + c.i, ".INF", 4)))
        return true;
    if (sign_end > 0)
        return false;
    /* \.[0-9][0-9_]*(?:[eE][-+][0-9]+)? and \.(?:nan|NaN|NAN) */
    if (n == 4 && (!memcmp(s, ".nan", 4) || !memcmp(s, ".NaN", 4) || !memcmp(s, ".NAN", 4)))
        return true;
    if (eat(&c, '.') && eat_digit(&c)) {
        eat_all(&c, DIGITS_);
        return exponent(&c) && done(&c);
    }
    return false;
}

static bool is_int(const char *s, size_t n)
{
    cur c = {s, n, 0};
    eat_sign(&c);
    size_t b = c.i;
    if (n - b > 2 && s[b] == '0' && s[b + 1] == 'b') {
        c.i = b + 2;
        return eat_all(&c, "01_") > 0 && done(&c);
    }
    if (n - b > 2 && s[b] == '0' && s[b + 1] == 'x') {
        c.i = b + 2;
        return eat_all(&c, "0123456789abcdefABCDEF_") > 0 && done(&c);
    }
    if (n - b > 1 && s[b] == '0') {
        c.i = b + 1;
        return eat_all(&c, "01234567_") > 0 && done(&c);
    }
    if (n - b == 1 && s[b] == '0')
        return true;
    if (!(c.i < n && s[c.i] >= '1' && s[c.i] <= '9'))
        return false;
    c.i++;
    eat_all(&c, DIGITS_);
    if (done(&c))
        return true;
    return sexagesimal(&c) && done(&c);
}

/* The fields of a timestamp; matched with the constructor's pattern
 * (loose: one-digit months and days) or the resolver's (strict). */
typedef struct stamp {
    int year, month, day;
    bool time;
    int hour, minute, second;
    bool tz_sign;
    int tz_hour, tz_minute;
} stamp;

static int number(const char *s, size_t from, size_t to)
{
    int v = 0;
    for (size_t i = from; i < to; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* 1 or 2 digits (greedy, as the regular expression backtracks to the same) */
static bool digits12(cur *c, int *out)
{
    size_t from = c->i;
    if (!eat_digit(c))
        return false;
    eat_digit(c);
    *out = number(c->s, from, c->i);
    return true;
}

static bool digits_n(cur *c, size_t k, int *out)
{
    size_t from = c->i;
    for (size_t j = 0; j < k; j++)
        if (!eat_digit(c))
            return false;
    *out = number(c->s, from, c->i);
    return true;
}

static bool match_stamp(const char *s, size_t n, bool strict, stamp *st)
{
    cur c = {s, n, 0};
    memset(st, 0, sizeof *st);
    if (!digits_n(&c, 4, &st->year) || !eat(&c, '-'))
        return false;
    size_t month_at = c.i;
    if (!digits12(&c, &st->month) || !eat(&c, '-'))
        return false;
    size_t day_at = c.i;
    if (!digits12(&c, &st->day))
        return false;
    bool two = c.i - day_at == 2 && day_at - month_at == 3;
    if (done(&c))
        return !strict || two;
    /* (?:[Tt]|[ \t]+) hour:minute:second (\.[0-9]*)? ([ \t]*(Z|[-+]h(:mm)?))? */
    if (!eat(&c, 'T') && !eat(&c, 't') && eat_all(&c, " \t") == 0)
        return false;
    st->time = true;
    if (!digits12(&c, &st->hour) || !eat(&c, ':') || !digits_n(&c, 2, &st->minute) ||
        !eat(&c, ':') || !digits_n(&c, 2, &st->second))
        return false;
    if (eat(&c, '.'))
        eat_all(&c, "0123456789");
    if (done(&c))
        return true;
    eat_all(&c, " \t");
    if (eat(&c, 'Z'))
        return done(&c);
    if (!at(&c, '-') && !at(&c, '+'))
        return false;
    st->tz_sign = true;
    c.i++;
    if (!digits12(&c, &st->tz_hour))
        return false;
    if (eat(&c, ':') && !digits_n(&c, 2, &st->tz_minute))
        return false;
    return done(&c);
}

/* Python's re `$` also matches before a final line break. */
static bool whole(bool (*m)(const char *, size_t), const char *s, size_t n)
{
    return m(s, n) || (n > 0 && s[n - 1] == '\n' && m(s, n - 1));
}

static bool is_stamp(const char *s, size_t n)
{
    stamp st;
    return match_stamp(s, n, true, &st);
}

static bool is_bool(const char *s, size_t n)
{
    static const char *const words[] = {"yes", "Yes", "YES", "no",   "No",   "NO",
                                        "true", "True", "TRUE", "false", "False", "FALSE",
                                        "on",  "On",  "ON",  "off",  "Off",  "OFF"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
            return true;
    return false;
}

static bool is_null(const char *s, size_t n)
{
    return n == 0 || (n == 1 && s[0] == '~') ||
           (n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

static bool is_merge(const char *s, size_t n)
{
    return n == 2 && s[0] == '<' && s[1] == '<';
}

static bool is_value(const char *s, size_t n)
{
    return n == 1 && s[0] == '=';
}

static bool is_yaml(const char *s, size_t n)
{
    return n == 1 && (s[0] == '!' || s[0] == '&' || s[0] == '*');
}

ap_ytype ap_yresolve(const char *s, size_t n)
{
    /* the resolvers registered for the first character, in their order */
    char c = n ? s[0] : '\0';
    if (n == 0)
        return AP_Y_NULL;
    if (strchr("yYnNtTfFoO", c) && whole(is_bool, s, n))
        return AP_Y_BOOL;
    if (strchr("-+0123456789.", c) && whole(is_float, s, n))
        return AP_Y_FLOAT;
    if (strchr("-+0123456789", c) && whole(is_int, s, n))
        return AP_Y_INT;
    if (c == '<' && whole(is_merge, s, n))
        return AP_Y_MERGE;
    if (strchr("~nN", c) && whole(is_null, s, n))
        return AP_Y_NULL;
    if (is_digit(c) && whole(is_stamp, s, n))
        return AP_Y_TIMESTAMP;
    if (c == '=' && whole(is_value, s, n))
        return AP_Y_VALUE;
    if (strchr("!&*", c) && whole(is_yaml, s, n))
        return AP_Y_YAML;
    return AP_Y_STR;
}

/* -------------------------------------------------------- constructors */

/* values are kept within +-2^62 */
static int64_t sat(long double v)
{
    const long double lim = (long double)((int64_t)1 << 62);
    return v > lim ? (int64_t)1 << 62 : v < -lim ? -((int64_t)1 << 62) : (int64_t)v;
}

/* Python's int(s, base) for ASCII digits: white space around, a sign, the
 * base's prefix (0b, 0o, 0x) for bases 2, 8, 16. */
static bool py_int(const char *s, size_t n, int base, int64_t *out)
{
    size_t off, len;
    ap_strip(s, n, &off, &len);
    cur c = {s + off, len, 0};
    bool neg = at(&c, '-');
    eat_sign(&c);
    if (base != 10 && len - c.i >= 2 && c.s[c.i] == '0') {
        char p = (char)(c.s[c.i + 1] | 0x20);
        if ((base == 2 && p == 'b') || (base == 8 && p == 'o') || (base == 16 && p == 'x'))
            c.i += 2;
    }
    long double v = 0;
    size_t digits = 0;
    for (; c.i < c.n; c.i++, digits++) {
        char ch = c.s[c.i];
        int d = is_digit(ch) ? ch - '0' : (ch | 0x20) >= 'a' && (ch | 0x20) <= 'f' ? (ch | 0x20) - 'a' + 10 : 99;
        if (d >= base)
            return false;
        v = v * base + d;
    }
    if (digits == 0)
        return false;
    *out = sat(neg ? -v : v);
    return true;
}

/* Python's float(s) for ASCII: white space around, a sign, "inf",
 * "infinity", "nan" in any case, or digits with a dot and an exponent. */
static bool py_float(const char *s, size_t n)
{
    size_t off, len;
    ap_strip(s, n, &off, &len);
    cur c = {s + off, len, 0};
    eat_sign(&c);
    size_t rest = len - c.i;
    const char *w = c.s + c.i;
    if ((rest == 3 && (!strncasecmp(w, "inf", 3) || !strncasecmp(w, "nan", 3))) ||
        (rest == 8 && !strncasecmp(w, "infinity", 8)))
        return true;
    size_t digits = eat_all(&c, "0123456789");
    if (eat(&c, '.'))
        digits += eat_all(&c, "0123456789");
    if (digits == 0)
        return false;
    if (eat(&c, 'e') || eat(&c, 'E')) {
        eat_sign(&c);
        if (eat_all(&c, "0123456789") == 0)
            return false;
    }
    return done(&c);
}

/* s without its underscores (PyYAML removes them all first), in buf. */
static size_t no_underscores(const char *s, size_t n, ap_buf *buf)
{
    buf->len = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '_')
            ap_buf_addc(buf, s[i]);
    if (!buf->s)
        ap_buf_adds(buf, "");
    return buf->len;
}

/* construct_yaml_int */
static bool construct_int(const char *s, size_t n, int64_t *out)
{
    ap_buf b = AP_BUF_INIT;
    size_t len = no_underscores(s, n, &b);
    const char *v = b.s;
    bool ok = false;
    int64_t r = 0;
    if (len == 0)
        goto out;
    int sign = v[0] == '-' ? -1 : 1;
    if (v[0] == '-' || v[0] == '+')
        v++, len--;
    if (len == 1 && v[0] == '0') {
        ok = true;
    } else if (len >= 2 && v[0] == '0' && v[1] == 'b') {
        ok = py_int(v + 2, len - 2, 2, &r);
    } else if (len >= 2 && v[0] == '0' && v[1] == 'x') {
        ok = py_int(v + 2, len - 2, 16, &r);
    } else if (len > 0 && v[0] == '0') {
        ok = py_int(v, len, 8, &r);
    } else if (len > 0 && memchr(v, ':', len)) {
        /* base-60 digits, the last the units: Horner's rule */
        long double total = 0;
        ok = true;
        for (size_t i = 0, from = 0; i <= len && ok; i++)
            if (i == len || v[i] == ':') {
                int64_t part = 0;
                ok = py_int(v + from, i - from, 10, &part);
                total = total * 60 + part;
                from = i + 1;
            }
        r = sat(total);
    } else if (len > 0) {
        ok = py_int(v, len, 10, &r);
    }
    r = sign < 0 ? -r : r;
out:
    ap_buf_release(&b);
    if (ok && out)
        *out = r;
    return ok;
}

/* construct_yaml_float */
static bool construct_float(const char *s, size_t n)
{
    ap_buf b = AP_BUF_INIT;
    size_t len = no_underscores(s, n, &b);
    char *v = b.s;
    bool ok = false;
    for (size_t i = 0; i < len; i++)
        if (v[i] >= 'A' && v[i] <= 'Z')
            v[i] = (char)(v[i] | 0x20);
    if (len == 0)
        goto out;
    if (v[0] == '-' || v[0] == '+')
        v++, len--;
    if ((len == 4 && (!memcmp(v, ".inf", 4) || !memcmp(v, ".nan", 4)))) {
        ok = true;
    } else if (memchr(v, ':', len)) {
        ok = true;
        for (size_t i = 0, from = 0; i <= len && ok; i++)
            if (i == len || v[i] == ':') {
                ok = py_float(v + from, i - from);
                from = i + 1;
            }
    } else {
        ok = py_float(v, len);
    }
out:
    ap_buf_release(&b);
    return ok;
}

/* base64.decodebytes: characters outside the alphabet are skipped; what is
 * left must fill whole groups of four, padding included. */
static bool construct_binary(const char *s, size_t n)
{
    int quad = 0, pads = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x80)
            return false; /* not ASCII */
        if (ch == '=') {
            if (quad >= 2 && quad + ++pads >= 4)
                return true; /* a padded group ends the data */
            continue;
        }
        bool b64 = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || is_digit((char)ch) ||
                   ch == '+' || ch == '/';
        if (!b64)
            continue;
        pads = 0;
        quad = (quad + 1) % 4;
    }
    return quad == 0;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool construct_timestamp(const char *s, size_t n)
{
    stamp st;
    if (!match_stamp(s, n, false, &st) &&
        !(n > 0 && s[n - 1] == '\n' && match_stamp(s, n - 1, false, &st)))
        return false;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (st.year < 1 || st.month < 1 || st.month > 12 || st.day < 1)
        return false;
    if (st.day > days[st.month - 1] + (st.month == 2 && leap(st.year)))
        return false;
    if (!st.time)
        return true;
    if (st.hour > 23 || st.minute > 59 || st.second > 59)
        return false;
    /* datetime.timezone wants an offset strictly within a day */
    return !st.tz_sign || st.tz_hour * 60 + st.tz_minute < 24 * 60;
}

static bool construct_bool(const char *s, size_t n)
{
    static const char *const words[] = {"yes", "no", "true", "false", "on", "off"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strlen(words[i]) == n && strncasecmp(words[i], s, n) == 0)
            return true;
    return false;
}

bool ap_yconstructs(ap_ytype t, const char *s, size_t n)
{
    switch (t) {
    case AP_Y_STR:
    case AP_Y_NULL: return true;
    case AP_Y_BOOL: return construct_bool(s, n);
    case AP_Y_INT: return construct_int(s, n, NULL);
    case AP_Y_FLOAT: return construct_float(s, n);
    case AP_Y_BINARY: return construct_binary(s, n);
    case AP_Y_TIMESTAMP: return construct_timestamp(s, n);
    default: return false;
    }
}

bool ap_yint(const char *s, size_t n, int64_t *out)
{
    return construct_int(s, n, out);
}

const char *ap_ytype_describe(ap_ytype t)
{
    switch (t) {
    case AP_Y_STR: return "text";
    case AP_Y_NULL: return "empty (null)";
    case AP_Y_BOOL: return "a boolean";
    case AP_Y_INT: return "an integer";
    case AP_Y_FLOAT: return "a number";
    case AP_Y_BINARY: return "binary data";
    case AP_Y_TIMESTAMP: return "a date";
    case AP_Y_SEQ: return "a list";
    case AP_Y_MAP: return "a mapping";
    case AP_Y_OMAP: return "an ordered mapping";
    case AP_Y_PAIRS: return "a list of pairs";
    case AP_Y_SET: return "a set";
    default: return "an invalid node";
    }
}
