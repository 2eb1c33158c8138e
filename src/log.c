/*
 * log.c — writes one line per message to stderr, whole lines at a time so
 * that threads do not interleave.
 */
#include "casa/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum level { LEVEL_INFO, LEVEL_WARN, LEVEL_FATAL };

/* The attribute lets -Wformat=2 (clang) see fmt as the callers' format. */
static void vlog(enum level level, const char *fmt, va_list ap, const char *suffix)
    CASA_PRINTF(2, 0);
static void vlog(enum level level, const char *fmt, va_list ap, const char *suffix)
{
	static const char *const words[] = {"info", "warning", "fatal"};
	static const char *const journal[] = {"<6>", "<4>", "<2>"};
	char message[1024];
	vsnprintf(message, sizeof(message), fmt, ap);
	if (getenv("JOURNAL_STREAM") != NULL)
		fprintf(stderr, "%s%s%s%s\n", journal[level], message, suffix ? ": " : "",
		        suffix ? suffix : "");
	else
		fprintf(stderr, "casa-metricsd: %s: %s%s%s\n", words[level], message,
		        suffix ? ": " : "", suffix ? suffix : "");
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LEVEL_INFO, fmt, ap, NULL);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LEVEL_WARN, fmt, ap, NULL);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	int saved = errno;
	char reason[256];
	va_list ap;
	if (strerror_r(saved, reason, sizeof(reason)) != 0)
		snprintf(reason, sizeof(reason), "error %d", saved);
	va_start(ap, fmt);
	vlog(LEVEL_WARN, fmt, ap, reason);
	va_end(ap);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LEVEL_FATAL, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
