/*
 * daemon_internal.h — the daemon's guards (src/daemon_guard.c), private to
 * src/daemon.c: what the state directory may be reused for, and the role
 * the daemon reads with. Not for other stages.
 */
#ifndef CASA_DAEMON_INTERNAL_H
#define CASA_DAEMON_INTERNAL_H

#include <stdbool.h>

#include "casa/common.h"
#include "casa/daemon.h"
#include "casa/release.h"
#include "casa/snapshot.h"
#include "casa/source.h"

/* The provenance of a snapshot built under settings, with its rows'
 * intervals at confidence, from source (the text its seal carries,
 * snapshot.h): one "key=value" line per setting, named as the config keys
 * are, so that a log line saying which one changed is readable as it is. */
void daemon_provenance(const struct release_settings *settings, double confidence,
                       const char *source, char out[SNAPSHOT_PROVENANCE_LEN]);

/* Whether a loaded ledger may be used by a daemon reading source: its own,
 * or one written before identities were recorded. false with the reason and
 * what to do in err. */
bool daemon_ledger_belongs(const struct release_ledger *ledger, const char *source,
                           char err[DAEMON_ERROR_LEN]) CASA_MUSTCHECK;

/* SIGHUP: whether next reads the database the state directory is for (a
 * new password or role for the same host/port/dbname/schema is fine);
 * otherwise logs that another database needs a restart and returns false
 * (the whole reload is refused, as for a bad file). */
bool daemon_reload_same_source(const struct daemon *daemon, const struct config *next);

/* The role check before the first pull of a configuration (refresh thread):
 * sets daemon->role_checked once the database answered, warns about a role
 * that can write, and with require_read_only refuses it: then it sets
 * daemon->refused, asks the main thread to stop (SIGTERM to the process),
 * writes why into err and returns false. */
bool daemon_guard_role(struct daemon *daemon, const struct source_options *options,
                       char err[DAEMON_ERROR_LEN]) CASA_MUSTCHECK;

/* The same check for --once: false (err) when it refuses; a database that
 * cannot be reached is left to the pull to report. */
bool daemon_guard_role_once(const struct config *config, const struct source_options *options,
                            char err[DAEMON_ERROR_LEN]) CASA_MUSTCHECK;

#endif
