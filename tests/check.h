/* check.h - the smallest test harness that reports like the rest of the suite.
 *
 * A test file defines functions `static void test_xxx(void)` and a main that
 * calls RUN(test_xxx) for each, then returns check_summary(). A test passes when
 * none of its CHECKs failed. The summary line "N passed, M failed" is what
 * scripts/test adds up. */
#ifndef APLS_CHECK_H
#define APLS_CHECK_H

#include <stdio.h>
#include <string.h>

__attribute__((unused)) static int check_failed_in_test;   /* failures inside the running test */
__attribute__((unused)) static int check_tests_passed, check_tests_failed;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__,         \
                    __LINE__, #cond);                                        \
            check_failed_in_test++;                                          \
        }                                                                    \
    } while (0)

#define CHECK_STR(got, want)                                                 \
    do {                                                                     \
        const char *g_ = (got), *w_ = (want);                                \
        if (!g_ || strcmp(g_, w_) != 0) {                                    \
            fprintf(stderr, "  %s:%d: %s\n    got:  \"%s\"\n    want: \"%s\"\n",\
                    __FILE__, __LINE__, #got, g_ ? g_ : "(null)", w_);       \
            check_failed_in_test++;                                          \
        }                                                                    \
    } while (0)

#define CHECK_INT(got, want)                                                 \
    do {                                                                     \
        long long g_ = (long long)(got), w_ = (long long)(want);             \
        if (g_ != w_) {                                                      \
            fprintf(stderr, "  %s:%d: %s is %lld, want %lld\n", __FILE__,    \
                    __LINE__, #got, g_, w_);                                 \
            check_failed_in_test++;                                          \
        }                                                                    \
    } while (0)

#define RUN(fn)                                                              \
    do {                                                                     \
        check_failed_in_test = 0;                                            \
        fn();                                                                \
        if (check_failed_in_test) {                                          \
            fprintf(stderr, "FAIL %s\n", #fn);                               \
            check_tests_failed++;                                            \
        } else {                                                             \
            check_tests_passed++;                                            \
        }                                                                    \
    } while (0)

static inline int check_summary(void)
{
    printf("%d passed, %d failed\n", check_tests_passed, check_tests_failed);
    return check_tests_failed ? 1 : 0;
}

#endif
