/*
 * log.h — the one logging facade (OpenBSD-daemon style).
 *
 * Lines go to stderr for journald: "casa-metricsd: warning: refresh: ...".
 * When stderr is a journald stream (JOURNAL_STREAM set) each line carries a
 * "<N>" syslog priority prefix instead. Callers pass __func__ or a stage name
 * as the first word. Never pass a row-level value or key: logs are published
 * output too (SPEC §5).
 */
#ifndef CASA_LOG_H
#define CASA_LOG_H

#include "casa/common.h"

void log_info(const char *fmt, ...) CASA_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) CASA_PRINTF(1, 2);
/* As log_warnx, with ": " and strerror(errno) appended. */
void log_warn(const char *fmt, ...) CASA_PRINTF(1, 2);
/* Start-up failures only: logs and exits with status 1. */
CASA_NORETURN void fatalx(const char *fmt, ...) CASA_PRINTF(1, 2);

#endif
