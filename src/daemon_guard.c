/*
 * daemon_guard.c — what the daemon checks before it trusts its state
 * directory or its database role (src/daemon_internal.h).
 *
 * State (issue 16, row 4): the persisted snapshot is served at start only
 * when it was built under this daemon's disclosure settings and from its
 * source (the seal's provenance, snapshot_store.c); otherwise the daemon
 * waits for its first refresh. The ledger is stricter: a ledger of another
 * database would freeze this database's periods with the other's counts and
 * publish them, so the daemon refuses to start with it rather than moving it
 * aside (moving it would silently publish this database's settled periods
 * again, the difference a kept earlier release reveals; only the operator
 * knows which database the directory belongs to).
 *
 * Role (row 7): the daemon only reads; a role that could write is warned
 * about, and refused with require_read_only = true.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "casa/log.h"
#include "daemon_internal.h"

_Static_assert(CONFIG_SOURCE_ID_LEN == RELEASE_SOURCE_LEN,
               "a source identity fits the ledger's field");

void daemon_provenance(const struct release_settings *settings, double confidence,
                       const char *source, char out[SNAPSHOT_PROVENANCE_LEN])
{
	char plan[RELEASE_PLAN_TEXT_LEN];
	release_plan_format(&settings->plan, plan);
	snprintf(out, SNAPSHOT_PROVENANCE_LEN,
	         "min_cell=%d\ndisclosure_mode=%s\ndp_epsilon=%.17g\npublish=%s\n"
	         "settle_days=%d\nfiscal_year_start_month=%d\nscreening_window_hours=%lld\n"
	         "timezone=%s\nconfidence=%.17g\nsource=%s",
	         settings->min_cell, disclosure_mode_name((enum disclosure_mode)settings->mode),
	         settings->epsilon, plan, settings->settle_days, settings->fy_start_month,
	         (long long)(settings->screening_window_s / 3600), settings->timezone, confidence,
	         source);
}

bool daemon_ledger_belongs(const struct release_ledger *ledger, const char *source,
                           char err[DAEMON_ERROR_LEN])
{
	const char *recorded = release_ledger_source(ledger);
	if (recorded[0] == '\0' || strcmp(recorded, source) == 0)
		return true;
	snprintf(err, DAEMON_ERROR_LEN,
	         "state: ledger.bin holds the releases of another database (%.140s), not of "
	         "%.140s; each database needs its own state_dir. If it is the same data at a new "
	         "address, move ledger.bin away to publish settled periods again",
	         recorded, source);
	return false;
}

bool daemon_reload_same_source(const struct daemon *daemon, const struct config *next)
{
	char source[CONFIG_SOURCE_ID_LEN];
	config_source_identity(next, source);
	if (strcmp(source, daemon->source_at_start) == 0)
		return true;
	log_warnx("reload: db, schema: %s is another database than %s, whose releases the state "
	          "directory holds: that needs a restart with its own state_dir; keeping the "
	          "previous configuration",
	          source, daemon->source_at_start);
	return false;
}

enum role_outcome {
	ROLE_UNKNOWN, /* the database was not reached: ask again before the next pull */
	ROLE_CHECKED, /* reads only, or warned about */
	ROLE_REFUSED  /* can write and require_read_only is set */
};

static enum role_outcome check_role(const struct config *config,
                                    const struct source_options *options,
                                    char err[DAEMON_ERROR_LEN])
{
	struct source_role role;
	struct source_error source_err;
	char rights[256];
	if (!source_role_check(options, &role, &source_err)) {
		if (source_err.kind == SOURCE_FAILED_CONNECT ||
		    source_err.kind == SOURCE_FAILED_CANCELLED)
			return ROLE_UNKNOWN;
		if (config->require_read_only) {
			snprintf(
			    err, DAEMON_ERROR_LEN,
			    "require_read_only: cannot tell whether the role can write (%.300s); "
			    "refusing to read with it",
			    source_err.message);
			return ROLE_REFUSED;
		}
		log_warnx("role: cannot tell whether the role can write: %s", source_err.message);
		return ROLE_CHECKED;
	}
	if (!source_role_can_write(&role)) {
		log_info("role: %s reads only (no superuser, no right to write in the database or "
		         "schema %s)",
		         role.name, config->schema);
		return ROLE_CHECKED;
	}
	source_role_describe(&role, rights, sizeof(rights));
	if (config->require_read_only) {
		snprintf(err, DAEMON_ERROR_LEN,
		         "require_read_only: role %s can write (%s); refusing to read with it: use "
		         "the read-only role of sql/roles.sql",
		         role.name, rights);
		return ROLE_REFUSED;
	}
	log_warnx("role: %s can write (%s), yet the daemon only reads: use the read-only role of "
	          "sql/roles.sql, or set require_read_only = true to refuse such a role",
	          role.name, rights);
	return ROLE_CHECKED;
}

bool daemon_guard_role(struct daemon *daemon, const struct source_options *options,
                       char err[DAEMON_ERROR_LEN])
{
	switch (check_role(&daemon->config, options, err)) {
	case ROLE_UNKNOWN:
		return true; /* the pull reports the database down */
	case ROLE_CHECKED:
		daemon->role_checked = true;
		return true;
	case ROLE_REFUSED:
		break;
	}
	log_warnx("%s; stopping", err);
	pthread_mutex_lock(&daemon->lock);
	daemon->refused = true;
	pthread_mutex_unlock(&daemon->lock);
	/* the main thread takes it with sigwait(), drains and exits 1 */
	kill(getpid(), SIGTERM);
	return false;
}

bool daemon_guard_role_once(const struct config *config, const struct source_options *options,
                            char err[DAEMON_ERROR_LEN])
{
	return check_role(config, options, err) != ROLE_REFUSED;
}
