/* cpu.c: the wide instructions past x86-64's baseline (SSE2) that the
 * processor has, asked at run time so that one build serves every machine.
 *
 * Every place with a wide reading keeps a plain one beside it; a test sets
 * ap_wide_off to take the plain readings everywhere and compares the two
 * (brackets_test, match_test, render_test, fuzz_brackets). */
#include "internal.h"

bool ap_wide_off = false;

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
/* (__builtin_cpu_supports reads a word the runtime filled at start-up:
 * asking each time costs a load, and no cache can race between threads) */
bool ap_cpu_avx2(void)
{
    return !ap_wide_off && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
}

bool ap_cpu_popcnt(void)
{
    return !ap_wide_off && __builtin_cpu_supports("popcnt");
}
#else
bool ap_cpu_avx2(void)
{
    return false;
}

bool ap_cpu_popcnt(void)
{
    return false;
}
#endif
