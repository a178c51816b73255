/* main.c - apls: the command line and the language server in one binary. */
#include "cli.h"
#include "server.h"
#include "apls_help.h"
#include "ap.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>

/* The text comes from server/cli/help.txt, the manual page's source too. */
static void help(FILE *out)
{
    fputs("apls " APLS_VERSION APLS_HELP_TEXT, out);
}

/* A command runs once and exits: memory it frees is kept for its next
 * text instead of being given back and faulted in again (the twice check
 * and a check of many patches build and drop texts of every target). The
 * language server keeps malloc's defaults. */
static void keep_freed_memory(void)
{
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    ap_use_huge_pages();
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "check") == 0 || strcmp(argv[1], "apply") == 0))
        keep_freed_memory();
    if (argc >= 2 && strcmp(argv[1], "check") == 0)
        return apls_check_main(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "apply") == 0)
        return apls_apply_main(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "convert") == 0)
        return apls_convert_main(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "recover") == 0)
        return apls_recover_main(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("apls %s\n", APLS_VERSION);
        return 0;
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        help(stdout);
        return 0;
    }
    return apls_serve(argc, argv);
}
