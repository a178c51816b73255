/* main.c - apls: the command line and the language server in one binary. */
#include "cli.h"
#include "server.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>

static void help(FILE *out)
{
    fputs("apls " APLS_VERSION " - the language server and checker for .ap patches\n"
          "\n"
          "usage:\n"
          "  apls [--stdio] [--log-level LEVEL]   serve LSP on stdin/stdout\n"
          "  apls check [--root DIR] [--json] [--strict] [--partial] [--through-links] PATCH...\n"
          "                                       resolve every modification; write nothing\n"
          "  apls apply [--root DIR] [--dry-run] [--json] [--strict] [--partial] [--through-links]\n"
          "             PATCH                     apply as one transaction (all files or none)\n"
          "  apls convert --to 2.0|3.2 [--strict] PATCH\n"
          "                                       print the patch in the other format\n"
          "  apls recover [--root DIR]            finish or undo an interrupted apply\n"
          "  apls --version | --help\n"
          "\n"
          "exit: check 0 all resolve, 1 a problem, 2 usage or unreadable patch;\n"
          "      apply 0 applied (or already applied), 1 failed and nothing written, 2 usage,\n"
          "            3 failed and could not put every file back (the message says where);\n"
          "      convert 0 converted, 1 errors or something the format cannot say, 2 usage;\n"
          "      recover 0 nothing left to do, 1 another apply runs or it could not settle\n"
          "--strict: 3.2 deviations the reference's strict mode refuses are errors\n"
          "--partial: accepted; applying what resolves comes with 3.2 resolution\n"
          "--through-links: write through a target that is a link (see the README)\n",
          out);
}

/* A command runs once and exits: memory it frees is kept for its next
 * text instead of being given back and faulted in again (the twice check
 * and a check of many patches build and drop texts of every target). The
 * language server keeps malloc's defaults. */
static void keep_freed_memory(void)
{
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
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
