/* log.c - leveled logging to stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

static lsp_log_level log_level = LSP_LOG_WARN;

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

void lsp_log(lsp_log_level level, const char *fmt, ...)
{
    if (!lsp_log_enabled(level))
        return;
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    time_t secs = tv.tv_sec;
    localtime_r(&secs, &tm);

    /* One fprintf per line part, under the stream lock, so a line is whole. */
    flockfile(stderr);
    fprintf(stderr, "%02d:%02d:%02d.%03d %s: ", tm.tm_hour, tm.tm_min, tm.tm_sec,
            (int)(tv.tv_usec / 1000), lsp_log_level_name(level));
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    funlockfile(stderr);
    fflush(stderr);
}

void lsp_log_set_level(lsp_log_level level)
{
    log_level = level;
}

lsp_log_level lsp_log_get_level(void)
{
    return log_level;
}

bool lsp_log_enabled(lsp_log_level level)
{
    return level <= log_level;
}

bool lsp_log_level_parse(const char *name, lsp_log_level *out)
{
    for (int i = LSP_LOG_ERROR; i <= LSP_LOG_TRACE; i++) {
        if (strcasecmp(name, level_names[i]) == 0) {
            *out = (lsp_log_level)i;
            return true;
        }
    }
    if (strcasecmp(name, "warning") == 0) {
        *out = LSP_LOG_WARN;
        return true;
    }
    return false;
}

const char *lsp_log_level_name(lsp_log_level level)
{
    if ((int)level < LSP_LOG_ERROR || level > LSP_LOG_TRACE)
        return "?";
    return level_names[level];
}
