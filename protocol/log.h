/* log.h - leveled logging to stderr.
 *
 * stdout carries the protocol, so nothing in apls may print there: every
 * diagnostic line goes through lsp_log, which writes one line to stderr as
 * "HH:MM:SS.mmm level: message". One global level filters what is written. */
#ifndef APLS_LSP_LOG_H
#define APLS_LSP_LOG_H

#include <stdbool.h>

typedef enum lsp_log_level {
    LSP_LOG_ERROR,
    LSP_LOG_WARN,
    LSP_LOG_INFO,
    LSP_LOG_DEBUG,
    LSP_LOG_TRACE, /* every message in and out */
} lsp_log_level;

/* Writes one line to stderr if level is enabled; nothing is retained. */
void lsp_log(lsp_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets the most verbose level written (default LSP_LOG_WARN); no memory. */
void lsp_log_set_level(lsp_log_level level);

/* The current level; no memory. */
lsp_log_level lsp_log_get_level(void);

/* True when a line at level would be written (to skip costly formatting);
 * no memory. */
bool lsp_log_enabled(lsp_log_level level);

/* Parses "error", "warn" (or "warning"), "info", "debug", "trace" (any case)
 * into *out; returns false, leaving *out alone, for anything else. */
bool lsp_log_level_parse(const char *name, lsp_log_level *out);

/* The lower-case name of level (a static string). */
const char *lsp_log_level_name(lsp_log_level level);

#endif
