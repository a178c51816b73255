/* main.c - apls: the command line and the language server in one binary. */
#include "cli.h"
#include "server.h"
#include "apls_help.h"

#include <stdio.h>
#include <string.h>

/* The text comes from server/cli/help.txt, the manual page's source too. */
static void help(FILE *out)
{
    fputs("apls " APLS_VERSION APLS_HELP_TEXT, out);
}

int main(int argc, char **argv)
{
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
