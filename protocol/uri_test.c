/* uri_test.c - file: URIs <-> paths, percent coding like VS Code. */
#include "uri.h"

#include "check.h"

#include <stdlib.h>

/* Checks lsp_uri_to_path(uri) against want (NULL: must fail). */
static void path_is(const char *uri, const char *want)
{
    char *got = lsp_uri_to_path(uri);
    if (!want) {
        if (got) {
            fprintf(stderr, "  %s -> \"%s\", want NULL\n", uri, got);
            check_failed_in_test++;
        }
    } else {
        CHECK_STR(got, want);
    }
    free(got);
}

static void uri_is(const char *path, const char *want)
{
    char *got = lsp_path_to_uri(path);
    if (!want)
        CHECK(got == NULL);
    else
        CHECK_STR(got, want);
    free(got);
}

static void test_plain(void)
{
    path_is("file:///home/me/fix.ap", "/home/me/fix.ap");
    uri_is("/home/me/fix.ap", "file:///home/me/fix.ap");
    path_is("file:///", "/");
    path_is("FILE:///x", "/x");
    path_is("file://localhost/x/y", "/x/y");
    path_is("file:/x/y", "/x/y");
}

static void test_spaces_and_escapes(void)
{
    path_is("file:///a%20b/c%20d.ap", "/a b/c d.ap");
    path_is("file:///a b", "/a b");
    uri_is("/a b/c d.ap", "file:///a%20b/c%20d.ap");
    path_is("file:///a%2Fb", "/a/b");
    path_is("file:///a%2fb", "/a/b");
    path_is("file:///c%3A/x", "/c:/x");
    uri_is("/c:/x", "file:///c%3A/x");
    uri_is("/a%b#c?d", "file:///a%25b%23c%3Fd");
    path_is("file:///a%25b%23c%3Fd", "/a%b#c?d");
    uri_is("/-._~x", "file:///-._~x");
    uri_is("/a+b=c&d@e", "file:///a%2Bb%3Dc%26d%40e");
    /* An invalid escape is kept literally. */
    path_is("file:///100%", "/100%");
    path_is("file:///a%zzb", "/a%zzb");
    path_is("file:///a%4", "/a%4");
    /* A query or fragment is not part of the path. */
    path_is("file:///a/b?x=1", "/a/b");
    path_is("file:///a/b#frag", "/a/b");
}

static void test_unicode(void)
{
    uri_is("/tmp/\xc3\xa9t\xc3\xa9/\xe4\xb8\xad.ap", "file:///tmp/%C3%A9t%C3%A9/%E4%B8%AD.ap");
    path_is("file:///tmp/%C3%A9t%C3%A9/%E4%B8%AD.ap", "/tmp/\xc3\xa9t\xc3\xa9/\xe4\xb8\xad.ap");
    path_is("file:///tmp/%c3%a9", "/tmp/\xc3\xa9");
    path_is("file:///tmp/\xc3\xa9", "/tmp/\xc3\xa9"); /* raw UTF-8, as some clients send */
}

static void test_round_trip(void)
{
    const char *paths[] = {"/", "/a b", "/x/%41", "/\xf0\x9f\x98\x80/\x01\x7f\xff", "/a/./b/"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        char *uri = lsp_path_to_uri(paths[i]);
        char *back = lsp_uri_to_path(uri);
        CHECK_STR(back, paths[i]);
        free(uri);
        free(back);
    }
}

static void test_not_file(void)
{
    path_is("untitled:Untitled-1", NULL);
    path_is("https://example.com/x", NULL);
    path_is("file://server/share/x", NULL);
    path_is("file:relative/x", NULL);
    path_is("file:///a%00b", NULL);
    path_is("fil", NULL);
    path_is("", NULL);
    uri_is("relative/x", NULL);
    CHECK(lsp_uri_is_file("File:///x"));
    CHECK(!lsp_uri_is_file("untitled:x"));
}

static void test_decode(void)
{
    char *s = lsp_uri_decode("a%41%62%zz%");
    CHECK_STR(s, "aAb%zz%");
    free(s);
}

int main(void)
{
    RUN(test_plain);
    RUN(test_spaces_and_escapes);
    RUN(test_unicode);
    RUN(test_round_trip);
    RUN(test_not_file);
    RUN(test_decode);
    return check_summary();
}
