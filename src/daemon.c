/*
 * daemon.c — start-up, the refresh loop, SIGHUP/SIGTERM, --once (SPEC §6, §7).
 *
 * The pipeline runs forward only: source_pull -> model_build ->
 * metrics_compute -> disclosure_protect -> snapshot_build, then the new
 * snapshot is persisted and swapped into the slot that HTTP serves from.
 * While the database is down the old snapshot stays in the slot, marked
 * stale, and the loop retries with capped exponential backoff and jitter.
 */
#include "casa/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "casa/date.h"
#include "casa/log.h"
#include "casa/metrics.h"
#include "casa/model.h"
#include "casa/source.h"
#include "daemon_internal.h"

/* What one full pull produced besides the snapshot, for the counters. */
struct pipeline_output {
	struct snapshot *snapshot;     /* refcount 1, owned by the caller */
	struct source_stats source;    /* rows per table, bytes, seconds */
	struct model_quality quality;  /* per-rule data-quality counts */
	uint64_t suppressed;           /* cells suppressed, both rules */
	int64_t refresh_key;           /* max(batch_id) read in the pull */
	struct release_ledger *ledger; /* frozen cells after this release, owned */
};

static double monotonic_seconds(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* SPEC §3: as_of defaults to today in the configured timezone, evaluated at
 * every refresh. TZ was set to that zone before any thread started. */
static int32_t effective_as_of(const struct config *config)
{
	struct tm local;
	time_t now = time(NULL);
	if (config->as_of != CONFIG_AS_OF_TODAY)
		return config->as_of;
	localtime_r(&now, &local);
	return date_from_ymd(local.tm_year + 1900, local.tm_mon + 1, local.tm_mday);
}

/*
 * snapshot.generated_at: the moment the published content became what it
 * is, taken from the data rather than from the clock, so that replicas
 * reading the same data publish the same bytes under the same ETags
 * (docs/scaling.md): the later of the newest batch's loaded_at and the start
 * of the as_of day in the configured zone (a new day changes the content
 * without a new batch). Never later than now (a database clock ahead of
 * ours). TZ is the configured zone (apply_timezone).
 */
static int64_t content_time(int64_t loaded_at, int32_t as_of)
{
	int year, month, day;
	struct tm start;
	date_to_ymd(as_of, &year, &month, &day);
	memset(&start, 0, sizeof(start));
	start.tm_year = year - 1900;
	start.tm_mon = month - 1;
	start.tm_mday = day;
	start.tm_isdst = -1;
	time_t day_start = mktime(&start);
	int64_t at = day_start == (time_t)-1 ? 0 : (int64_t)day_start;
	if (loaded_at > at)
		at = loaded_at;
	int64_t now = (int64_t)time(NULL);
	return at < now ? at : now;
}

/* Makes localtime_r() answer in the configured zone. Only called while the
 * process has one thread (setenv is not thread-safe). */
static void apply_timezone(const char *zone)
{
	if (setenv("TZ", zone, 1) != 0)
		log_warn("timezone: cannot set TZ");
	tzset();
}

static void source_options_from(const struct config *config, struct source_cancel *cancel,
                                struct source_options *options)
{
	memset(options, 0, sizeof(*options));
	options->cancel = cancel;
	options->conninfo = config->db;
	options->schema = config->schema;
	options->timezone = config->timezone;
	options->statement_timeout_s = config->statement_timeout_s;
	options->connect_timeout_s = config->connect_timeout_s;
	options->parallel = config->source_parallel;
}

/* A source failure as the daemon's message ("... (contract)"); true when
 * the database could not be reached: only then is it "down" (a contract or
 * data error is the extract's, with the database up). */
static bool source_failed(const struct source_error *source_err, char err[DAEMON_ERROR_LEN])
{
	snprintf(err, DAEMON_ERROR_LEN, "%.480s (%s)", source_err->message,
	         source_failure_name(source_err->kind));
	return source_err->kind == SOURCE_FAILED_CONNECT;
}

static void http_options_from(const struct config *config, struct http_options *options)
{
	memset(options, 0, sizeof(*options));
	options->listen_host = config->listen_host;
	options->listen_port = config->listen_port;
	options->cors_origins = config->cors_origins;
	options->api_tokens = config->tokens;
	options->dashboard_dir = config->dashboard_dir;
	options->refresh_seconds = config->refresh_s;
	options->connection_timeout_s = config->http_timeout_s;
	options->header_timeout_s = config->http_header_timeout_s;
	options->connection_limit = config->http_connection_limit;
	options->per_ip_connection_limit = config->http_per_ip_limit;
	options->threads = config->http_threads;
}

/*
 * One full pull and compute. *db_error tells a failure to reach or read the
 * database apart from one of the later, in-memory stages. Every stage's
 * input is freed as soon as the next stage has its output, so peak memory
 * holds two stages, not five.
 */
/* The settings a release is made under (a ledger built under others is
 * revised, not reused). */
static void release_options_from(const struct config *config, struct release_options *options)
{
	memset(options, 0, sizeof(*options));
	options->settings.min_cell = config->min_cell;
	options->settings.fy_start_month = config->fy_start_month;
	options->settings.settle_days = config->settle_days;
	options->settings.screening_window_s = (int64_t)config->screening_window_hours * 3600;
	options->settings.mode = (uint32_t)config->disclosure_mode;
	options->settings.epsilon =
	    config->disclosure_mode == DISCLOSURE_DP ? config->dp_epsilon : 0.0;
	options->settings.plan = config->publish;
	snprintf(options->settings.timezone, sizeof(options->settings.timezone), "%s",
	         config->timezone);
	options->revise = config->revise;
	config_source_identity(config, options->source);
}

/* What the persisted snapshot is sealed with and checked against at start:
 * the release settings, the intervals' confidence and the source of config. */
static void provenance_of(const struct config *config, char out[SNAPSHOT_PROVENANCE_LEN])
{
	struct release_options options;
	release_options_from(config, &options);
	daemon_provenance(&options.settings, config->confidence, options.source, out);
}

static bool pipeline_run(const struct config *config, struct source_cancel *cancel,
                         const uint8_t *dp_key, const struct release_ledger *ledger, int32_t as_of,
                         struct pipeline_output *out, bool *db_error, char err[DAEMON_ERROR_LEN])
{
	struct source_options source_options;
	struct model_raw raw;
	struct model model;
	struct metrics_result metrics;
	struct disclosure_result protected;
	struct metrics_options metrics_options;
	enum model_failure model_failure;
	enum metrics_failure metrics_failure;
	struct disclosure_options disclosure_options;
	struct snapshot_info info;
	bool have_model = false, have_metrics = false, have_protected = false;
	struct source_error source_err;
	int64_t generated_at;
	memset(&raw, 0, sizeof(raw));
	memset(&disclosure_options, 0, sizeof(disclosure_options));
	memset(out, 0, sizeof(*out));
	*db_error = false;
	source_options_from(config, cancel, &source_options);

	if (!source_pull(&source_options, &raw, &out->source, &source_err)) {
		*db_error = source_failed(&source_err, err);
		goto fail;
	}
	out->refresh_key = raw.refresh_key;
	generated_at = content_time(raw.refresh_loaded_at, as_of);
	if (!model_build_consuming(&raw, config->earliest_date, as_of, &model, &model_failure)) {
		snprintf(err, DAEMON_ERROR_LEN, "model: %s", model_failure_text(model_failure));
		goto fail;
	}
	have_model = true;
	model_raw_free(&raw);
	memset(&raw, 0, sizeof(raw)); /* the fail path frees it again */
	out->quality = model.quality;

	memset(&metrics_options, 0, sizeof(metrics_options));
	metrics_options.fy_start_month = config->fy_start_month;
	metrics_options.screening_window_s = (int64_t)config->screening_window_hours * 3600;
	metrics_options.confidence = config->confidence;
	metrics_options.threads = config->metrics_threads;
	if (!metrics_compute(&model, &metrics_options, &metrics, &metrics_failure)) {
		snprintf(err, DAEMON_ERROR_LEN, "metrics: %s",
		         metrics_failure_text(metrics_failure));
		goto fail;
	}
	have_metrics = true;
	model_free(&model);
	have_model = false;

	memset(&disclosure_options, 0, sizeof(disclosure_options));
	disclosure_options.mode = config->disclosure_mode;
	disclosure_options.min_cell = config->min_cell;
	disclosure_options.epsilon = config->dp_epsilon;
	if (dp_key != NULL)
		memcpy(disclosure_options.key, dp_key, DISCLOSURE_KEY_LEN);
	struct release_options release_options;
	release_options_from(config, &release_options);
	struct release_view view;
	char release_err[RELEASE_ERROR_LEN], disclosure_err[DISCLOSURE_ERROR_LEN];
	if (!release_apply(&metrics, ledger, &release_options, &view, release_err)) {
		snprintf(err, DAEMON_ERROR_LEN, "%s", release_err);
		goto fail;
	}
	if (view.revision)
		log_info("release: a revision of the frozen periods (%s): %llu published cells "
		         "changed; each change resting on fewer than k children is hidden",
		         release_settings_equal(release_ledger_settings(ledger),
		                                &release_options.settings)
		             ? "revise is set"
		             : "the settings changed",
		         (unsigned long long)view.revised_cells);
	if (!disclosure_protect(&view, &disclosure_options, &protected, disclosure_err)) {
		release_view_free(&view);
		snprintf(err, DAEMON_ERROR_LEN, "%s", disclosure_err);
		goto fail;
	}
	have_protected = true;
	/* what this release freezes, to be saved before it is served */
	out->ledger = release_commit(&view, protected.secret, &release_options, release_err);
	release_view_free(&view);
	if (out->ledger == NULL) {
		snprintf(err, DAEMON_ERROR_LEN, "%s", release_err);
		goto fail;
	}
	metrics_free(&metrics);
	have_metrics = false;
	out->suppressed = protected.suppressed_primary + protected.suppressed_secondary;

	memset(&info, 0, sizeof(info));
	info.refresh_key = out->refresh_key;
	info.generated_at = generated_at;
	info.quality = &out->quality;
	info.refresh_seconds = config->refresh_s;
	info.confidence = config->confidence;
	out->snapshot = snapshot_build(&protected, &info);
	if (out->snapshot == NULL) {
		snprintf(err, DAEMON_ERROR_LEN, "snapshot: out of memory");
		goto fail;
	}
	disclosure_free(&protected);
	memset(disclosure_options.key, 0, sizeof(disclosure_options.key));
	return true;
fail:
	model_raw_free(&raw);
	if (have_model)
		model_free(&model);
	if (have_metrics)
		metrics_free(&metrics);
	if (have_protected)
		disclosure_free(&protected);
	release_ledger_free(out->ledger);
	out->ledger = NULL;
	memset(disclosure_options.key, 0, sizeof(disclosure_options.key));
	return false;
}

bool daemon_load_key(const char *state_dir, bool create, uint8_t key[DISCLOSURE_KEY_LEN],
                     char err[DAEMON_ERROR_LEN])
{
	char path[4096];
	struct stat st;
	ssize_t got;
	int fd;
	snprintf(path, sizeof(path), "%s/%s", state_dir, DAEMON_KEY_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		/* SPEC §5: the secret comes from getrandom(), kept in the state dir. */
		size_t filled = 0;
		while (filled < DISCLOSURE_KEY_LEN) {
			ssize_t n = getrandom(key + filled, DISCLOSURE_KEY_LEN - filled, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				snprintf(err, DAEMON_ERROR_LEN, "%.300s: getrandom: %s", path,
				         strerror(errno));
				goto fail;
			}
			filled += (size_t)n;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			snprintf(err, DAEMON_ERROR_LEN, "%.300s: cannot create: %s", path,
			         strerror(errno));
			goto fail;
		}
		if (write(fd, key, DISCLOSURE_KEY_LEN) != DISCLOSURE_KEY_LEN || fsync(fd) != 0) {
			snprintf(err, DAEMON_ERROR_LEN, "%.300s: cannot write: %s", path,
			         strerror(errno));
			close(fd);
			unlink(path);
			goto fail;
		}
		close(fd);
		/* the new name is durable only once the directory is: a key lost
		 * in a crash would be replaced by another, and in dp mode a cell
		 * would then carry two noises an attacker could average */
		int dir_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir_fd < 0 || fsync(dir_fd) != 0) {
			snprintf(err, DAEMON_ERROR_LEN, "%.300s: cannot sync the directory: %s",
			         state_dir, strerror(errno));
			if (dir_fd >= 0)
				close(dir_fd);
			unlink(path);
			goto fail;
		}
		close(dir_fd);
		log_info("%s: created a new secret key", path);
		return true;
	}
	if (fd < 0) {
		snprintf(err, DAEMON_ERROR_LEN, "%.300s: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
		log_warnx("%s: readable by other users; chmod 600 it", path);
	got = read(fd, key, DISCLOSURE_KEY_LEN);
	if (got != DISCLOSURE_KEY_LEN || read(fd, &st, 1) != 0) {
		snprintf(err, DAEMON_ERROR_LEN, "%.300s: must hold exactly %d bytes", path,
		         DISCLOSURE_KEY_LEN);
		close(fd);
		goto fail;
	}
	close(fd);
	return true;
fail:
	memset(key, 0, DISCLOSURE_KEY_LEN);
	return false;
}

bool daemon_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr;
	size_t len;
	int fd = -1;
	if (path == NULL || path[0] == '\0')
		return true;
	len = strlen(path);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if ((path[0] != '/' && path[0] != '@') || len < 2 || len >= sizeof(addr.sun_path)) {
		log_warnx("notify: NOTIFY_SOCKET is not a unix socket address");
		goto fail;
	}
	memcpy(addr.sun_path, path, len);
	if (path[0] == '@')
		addr.sun_path[0] = '\0'; /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("notify: socket");
		goto fail;
	}
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&addr,
	           (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
		log_warn("notify: sendto %s", path);
		goto fail;
	}
	close(fd);
	return true;
fail:
	if (fd >= 0)
		close(fd);
	return false;
}

/* SPEC §7 backoff: 1 s, 2 s, 4 s ... capped at min(refresh, 60 s), each
 * drawn uniformly in [delay/2, delay] so that many daemons restarted by one
 * database outage do not retry in lockstep. */
static double backoff_seconds(struct daemon *daemon)
{
	unsigned shift = daemon->failures_in_row > 0 ? daemon->failures_in_row - 1 : 0;
	double cap = daemon->config.refresh_s < DAEMON_BACKOFF_CAP_S ? daemon->config.refresh_s
	                                                             : DAEMON_BACKOFF_CAP_S;
	double delay = shift >= 16 ? cap : (double)(1u << shift);
	uint64_t x = daemon->jitter_state;
	if (delay > cap)
		delay = cap;
	/* xorshift64: jitter needs spread, not secrecy */
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	daemon->jitter_state = x;
	return delay / 2 + (delay / 2) * ((double)(x >> 11) / (double)(UINT64_C(1) << 53));
}

static void stats_after_build(struct daemon *daemon, const struct pipeline_output *out,
                              double seconds)
{
	struct stats *stats = &daemon->stats;
	int64_t now = (int64_t)time(NULL);
	for (int t = 0; t < MODEL_TABLE_COUNT; t++)
		atomic_store(&stats->rows_loaded[t], out->source.rows[t]);
	for (int r = 0; r < DQ_RULE_COUNT; r++)
		atomic_store(&stats->dq_violations[r], out->quality.violations[r]);
	atomic_store(&stats->suppressed_cells, out->suppressed);
	atomic_store(&stats->refresh_key, out->refresh_key);
	atomic_fetch_add(&stats->refreshes, 1);
	stats_observe_refresh(stats, seconds);
	atomic_store(&stats->last_success_unix, now);
	atomic_store(&stats->last_attempt_unix, now);
	atomic_store(&stats->db_up, true);
	atomic_store(&stats->stale, false);
}

/*
 * One scheduled refresh. A full pull happens when forced (start-up, reload),
 * when the refresh key moved, when as_of moved (a new day), or when the
 * served snapshot is older than max_age; otherwise only the key is read.
 */
static bool refresh_once(struct daemon *daemon, bool force, bool *db_error,
                         char err[DAEMON_ERROR_LEN])
{
	const struct config *config = &daemon->config;
	struct source_options source_options;
	struct pipeline_output out;
	struct source_error source_err;
	int32_t as_of = effective_as_of(config);
	int64_t now = (int64_t)time(NULL);
	int64_t key = -1;
	*db_error = false;
	source_options_from(config, daemon->cancel, &source_options);
	if (!daemon->role_checked && !daemon_guard_role(daemon, &source_options, err))
		return false;

	if (config->disclosure_mode == DISCLOSURE_DP && !daemon->has_dp_key) {
		if (!daemon_load_key(config->state_dir, true, daemon->dp_key, err))
			return false;
		daemon->has_dp_key = true;
	}
	if (!force && daemon->served_key >= 0 && as_of == daemon->served_as_of &&
	    now - daemon->served_at < config->max_age_s) {
		if (!source_refresh_key(&source_options, &daemon->key_conn, &key, &source_err)) {
			*db_error = source_failed(&source_err, err);
			return false;
		}
		if (key == daemon->served_key) {
			atomic_fetch_add(&daemon->stats.refresh_skipped, 1);
			atomic_store(&daemon->stats.last_attempt_unix, now);
			atomic_store(&daemon->stats.db_up, true);
			atomic_store(&daemon->stats.stale, false);
			return true;
		}
	}

	double started = monotonic_seconds();
	if (!pipeline_run(config, daemon->cancel, daemon->has_dp_key ? daemon->dp_key : NULL,
	                  daemon->ledger, as_of, &out, db_error, err))
		return false;
	/* SPEC §5: what this release publishes of a settled period is frozen
	 * before anyone sees it; a release that cannot record it is not served
	 * (a later one could then publish those periods differently). */
	char ledger_err[RELEASE_ERROR_LEN];
	if (!release_ledger_save(out.ledger, config->state_dir, ledger_err)) {
		snprintf(err, DAEMON_ERROR_LEN, "%s; not serving this release", ledger_err);
		release_ledger_free(out.ledger);
		snapshot_unref(out.snapshot);
		return false;
	}
	release_ledger_free(daemon->ledger);
	daemon->ledger = out.ledger;
	out.ledger = NULL;
	double seconds = monotonic_seconds() - started;
	/* Same published content (the id hashes every table and the quality
	 * report): keep serving the snapshot already in place, so that every
	 * ETag and generated_at stay the same and polling clients keep their
	 * 304s (issue: an unchanged table keeps its ETag across refreshes). */
	struct snapshot *current = snapshot_slot_acquire(&daemon->slot);
	bool unchanged =
	    current != NULL && strcmp(snapshot_id(current), snapshot_id(out.snapshot)) == 0;
	if (current != NULL)
		snapshot_unref(current);
	if (unchanged) {
		daemon->served_key = out.refresh_key;
		daemon->served_as_of = as_of;
		daemon->served_at = now;
		log_info("refresh: refresh key %lld, content unchanged (snapshot %s, %.1f s)",
		         (long long)out.refresh_key, snapshot_id(out.snapshot), seconds);
		stats_after_build(daemon, &out, seconds);
		snapshot_unref(out.snapshot);
		return true;
	}
	char provenance[SNAPSHOT_PROVENANCE_LEN];
	provenance_of(config, provenance);
	if (!daemon->has_dp_key ||
	    !snapshot_save(out.snapshot, config->state_dir, daemon->dp_key, provenance))
		log_warnx("refresh: could not persist the snapshot under %s; a restart will "
		          "wait for the database",
		          config->state_dir);
	daemon->served_key = snapshot_refresh_key(out.snapshot);
	daemon->served_as_of = snapshot_as_of(out.snapshot);
	daemon->served_at = now;
	log_info("refresh: serving snapshot %s (refresh key %lld, %.1f s)",
	         snapshot_id(out.snapshot), (long long)out.refresh_key, seconds);
	snapshot_slot_replace(&daemon->slot, out.snapshot);
	stats_after_build(daemon, &out, seconds);
	return true;
}

/* Waits up to `seconds` or until a signal asks for a refresh or a stop.
 * Called with daemon->lock held. */
static void wait_for_wake(struct daemon *daemon, double seconds)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)seconds;
	deadline.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	while (!daemon->stopping && !daemon->refresh_now) {
		int rc = pthread_cond_timedwait(&daemon->wake, &daemon->lock, &deadline);
		if (rc == ETIMEDOUT)
			break;
	}
}

static void *refresh_main(void *arg)
{
	struct daemon *daemon = arg;
	char err[DAEMON_ERROR_LEN];
	bool db_error = false;
	/* The persisted snapshot may come from another configuration: the first
	 * refresh after start always pulls in full. */
	bool force = true;
	for (;;) {
		pthread_mutex_lock(&daemon->lock);
		if (daemon->stopping) {
			pthread_mutex_unlock(&daemon->lock);
			break;
		}
		if (daemon->has_pending) {
			/* the kept key-check connection is for the old conninfo (a
			 * new password or role: reload allows those) */
			if (strcmp(daemon->pending.db, daemon->config.db) != 0)
				source_key_conn_close(&daemon->key_conn);
			config_free(&daemon->config);
			daemon->config = daemon->pending;
			memset(&daemon->pending, 0, sizeof(daemon->pending));
			daemon->has_pending = false;
			force = true;                 /* min_cell, mode, as_of ... apply now */
			daemon->role_checked = false; /* the role may be another */
		}
		daemon->refresh_now = false;
		pthread_mutex_unlock(&daemon->lock);

		err[0] = '\0';
		int deadline_s = daemon->config.refresh_deadline_s;
		stats_refresh_begin(&daemon->stats, deadline_s);
		bool ok = refresh_once(daemon, force, &db_error, err);
		double took_s = (double)stats_refresh_running_ms(&daemon->stats) / 1000;
		if (!ok) {
			pthread_mutex_lock(&daemon->lock);
			bool stopping = daemon->stopping;
			pthread_mutex_unlock(&daemon->lock);
			if (stopping) {
				stats_refresh_end(&daemon->stats);
				log_info("stop: the pull in progress was cancelled");
				break;
			}
		}
		double wait;
		if (ok) {
			force = false;
			if (daemon->failing)
				log_info("refresh: recovered after %u failed attempts",
				         daemon->failures_in_row);
			daemon->failing = false;
			daemon->failures_in_row = 0;
			wait = daemon->config.refresh_s;
		} else {
			atomic_fetch_add(&daemon->stats.refresh_failures, 1);
			atomic_store(&daemon->stats.last_attempt_unix, (int64_t)time(NULL));
			atomic_store(&daemon->stats.stale, true);
			if (db_error)
				atomic_store(&daemon->stats.db_up, false);
			/* Logged once per state change, not per retry (SPEC §7). */
			if (!daemon->failing)
				log_warnx("refresh: failed, serving the last snapshot as stale and "
				          "retrying with backoff: %s",
				          err);
			daemon->failing = true;
			daemon->failures_in_row++;
			wait = backoff_seconds(daemon);
		}
		/* Only now, with the stale flag set for a failure, so that no
		 * reader sees the data fresh in between. */
		stats_refresh_end(&daemon->stats);
		if (took_s > deadline_s)
			log_warnx("refresh: %s after %.0f s, past refresh_deadline (%d s)",
			          ok ? "done" : "failed", took_s, deadline_s);
		pthread_mutex_lock(&daemon->lock);
		wait_for_wake(daemon, wait);
		pthread_mutex_unlock(&daemon->lock);
	}
	source_key_conn_close(&daemon->key_conn);
	pthread_mutex_lock(&daemon->lock);
	daemon->refresh_done = true;
	pthread_cond_broadcast(&daemon->done);
	pthread_mutex_unlock(&daemon->lock);
	return NULL;
}

static bool init_cond_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	bool ok;
	if (pthread_condattr_init(&attr) != 0)
		return false;
	ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
	     pthread_cond_init(cond, &attr) == 0;
	pthread_condattr_destroy(&attr);
	return ok;
}

/* Serves the snapshot persisted by the last run at once (SPEC §7), marked
 * stale until the first refresh succeeds. */
static void load_persisted(struct daemon *daemon)
{
	char as_of[DATE_TEXT_LEN], provenance[SNAPSHOT_PROVENANCE_LEN];
	if (!daemon->has_dp_key)
		return; /* its seal cannot be checked */
	provenance_of(&daemon->config, provenance);
	struct snapshot *persisted =
	    snapshot_load(daemon->config.state_dir, daemon->dp_key, provenance);
	if (persisted == NULL)
		return;
	daemon->served_key = snapshot_refresh_key(persisted);
	daemon->served_as_of = snapshot_as_of(persisted);
	/* Its content time, at or before its pull: max_age can only come early. */
	daemon->served_at = snapshot_generated_at(persisted);
	date_format(daemon->served_as_of, as_of);
	log_info("state: serving the persisted snapshot %s (as_of %s) until the first refresh",
	         snapshot_id(persisted), as_of);
	atomic_store(&daemon->stats.refresh_key, daemon->served_key);
	/* The last success known: when this snapshot was computed (a refresh
	 * that found the content unchanged since is not persisted, so it may be
	 * older). 0 would fire the "no fresh data" alert at every restart. */
	atomic_store(&daemon->stats.last_success_unix, daemon->served_at);
	snapshot_slot_replace(&daemon->slot, persisted);
}

bool daemon_init(struct daemon *daemon, struct config *config, int argc, char *const argv[],
                 char err[DAEMON_ERROR_LEN])
{
	uint64_t seed = 0;
	memset(daemon, 0, sizeof(*daemon));
	daemon->config = *config;
	memset(config, 0, sizeof(*config));
	daemon->argc = argc;
	daemon->argv = argv;
	daemon->served_key = -1;
	pthread_mutex_init(&daemon->lock, NULL);
	snapshot_slot_init(&daemon->slot);
	if (!init_cond_monotonic(&daemon->wake) || !init_cond_monotonic(&daemon->done)) {
		snprintf(err, DAEMON_ERROR_LEN, "cannot create condition variables");
		return false;
	}
	daemon->cancel = source_cancel_new();
	if (daemon->cancel == NULL) {
		snprintf(err, DAEMON_ERROR_LEN, "out of memory");
		return false;
	}
	/* Blocked here, before any thread exists, so every thread inherits the
	 * mask and only sigwait() in the main thread ever takes them. SIGPIPE
	 * stays blocked: a client hanging up is an EPIPE, not a death. */
	sigemptyset(&daemon->signals);
	sigaddset(&daemon->signals, SIGHUP);
	sigaddset(&daemon->signals, SIGTERM);
	sigaddset(&daemon->signals, SIGINT);
	sigaddset(&daemon->signals, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &daemon->signals, NULL) != 0) {
		snprintf(err, DAEMON_ERROR_LEN, "cannot block signals");
		return false;
	}
	atomic_store(&daemon->stats.started_unix, (int64_t)time(NULL));
	atomic_store(&daemon->stats.stale, true);
	atomic_store(&daemon->stats.refresh_key, -1);
	daemon->listen_at_start = strdup(daemon->config.listen);
	daemon->timezone_at_start = strdup(daemon->config.timezone);
	if (daemon->listen_at_start == NULL || daemon->timezone_at_start == NULL) {
		snprintf(err, DAEMON_ERROR_LEN, "out of memory");
		return false;
	}
	apply_timezone(daemon->config.timezone);
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	daemon->jitter_state = seed != 0 ? seed : 0x9e3779b97f4a7c15u;

	/* systemd makes the StateDirectory; by hand it may be missing. */
	if (mkdir(daemon->config.state_dir, 0700) != 0 && errno != EEXIST)
		log_warn("state_dir: cannot create %s", daemon->config.state_dir);
	/* SPEC §5: the key is only required in dp mode; in suppress mode it is
	 * made ahead so that switching to dp by SIGHUP keeps one key. */
	if (daemon_load_key(daemon->config.state_dir, true, daemon->dp_key, err)) {
		daemon->has_dp_key = true;
	} else if (daemon->config.disclosure_mode == DISCLOSURE_DP) {
		return false;
	} else {
		log_warnx("state_dir: %s (needed only in dp mode)", err);
		err[0] = '\0';
	}
	char ledger_err[RELEASE_ERROR_LEN];
	if (!release_ledger_load(daemon->config.state_dir, &daemon->ledger, ledger_err)) {
		/* Serving without it would publish settled periods again from
		 * today's data, and an attacker who kept the earlier releases
		 * would see the difference. */
		snprintf(err, DAEMON_ERROR_LEN,
		         "%s: restore ledger.bin from a backup of the state directory, or move it "
		         "away to accept that settled periods are published again",
		         ledger_err);
		return false;
	}
	config_source_identity(&daemon->config, daemon->source_at_start);
	if (daemon->ledger != NULL &&
	    !daemon_ledger_belongs(daemon->ledger, daemon->source_at_start, err))
		return false;
	load_persisted(daemon);
	if (daemon->ledger == NULL && daemon->served_key >= 0)
		log_warnx("state: %s holds a snapshot but no ledger.bin: the frozen periods of "
		          "earlier releases are lost and will be published again from today's "
		          "data, so releases kept by others may differ from the next one; "
		          "restore ledger.bin from a backup if there is one",
		          daemon->config.state_dir);
	else if (daemon->ledger != NULL)
		log_info("state: ledger with %llu frozen cells",
		         (unsigned long long)release_ledger_cells(daemon->ledger));
	return true;
}

/* The refresh watchdog (issue 16 row 1): a refresh past refresh_deadline
 * makes stats_stale() true by itself; this says so in the log, once per
 * refresh. The refresh thread logs when it ends. */
static void watch_refresh(struct daemon *daemon)
{
	int64_t started = atomic_load(&daemon->stats.refresh_started_ms);
	if (started == 0 || started == daemon->overdue_logged ||
	    !stats_refresh_overdue(&daemon->stats))
		return;
	daemon->overdue_logged = started;
	log_warnx("refresh: running for %.1f s, past refresh_deadline (%lld s): serving the last "
	          "snapshot as stale until it ends",
	          (double)stats_refresh_running_ms(&daemon->stats) / 1000,
	          (long long)atomic_load(&daemon->stats.refresh_deadline_ms) / 1000);
}

/* SIGHUP: same precedence, same flags. A bad file keeps the old config. */
static void reload(struct daemon *daemon)
{
	struct config next;
	struct http_options http_options;
	char err[CONFIG_ERROR_LEN];
	if (!config_load(&next, daemon->argc, daemon->argv, err)) {
		log_warnx("reload: %s; keeping the previous configuration", err);
		return;
	}
	if (!daemon_reload_same_source(daemon, &next)) {
		config_free(&next);
		return;
	}
	if (strcmp(next.listen, daemon->listen_at_start) != 0)
		log_warnx("reload: listen: a new address needs a restart; still serving on %s",
		          daemon->listen_at_start);
	if (strcmp(next.timezone, daemon->timezone_at_start) != 0) {
		/* TZ can only be set while the process has one thread. */
		log_warnx("reload: timezone: a new zone needs a restart; keeping %s",
		          daemon->timezone_at_start);
		char *kept = strdup(daemon->timezone_at_start);
		if (kept == NULL) {
			log_warnx("reload: out of memory; keeping the previous configuration");
			config_free(&next);
			return;
		}
		free(next.timezone);
		next.timezone = kept;
	}
	http_options_from(&next, &http_options);
	if (!http_reload(daemon->http, &http_options))
		log_warnx("reload: http: could not apply CORS, token or cache settings");
	pthread_mutex_lock(&daemon->lock);
	if (daemon->has_pending)
		config_free(&daemon->pending);
	daemon->pending = next;
	daemon->has_pending = true;
	daemon->refresh_now = true;
	pthread_cond_broadcast(&daemon->wake);
	pthread_mutex_unlock(&daemon->lock);
	log_info("reload: configuration applied; refreshing now");
}

/* SIGTERM: stop the schedule, drain HTTP, and wait a bounded time for a pull
 * in progress. Returns false when the refresh thread is still running. */
static bool shutdown_threads(struct daemon *daemon)
{
	struct timespec deadline;
	bool done;
	pthread_mutex_lock(&daemon->lock);
	daemon->stopping = true;
	pthread_cond_broadcast(&daemon->wake);
	pthread_mutex_unlock(&daemon->lock);
	/* a pull in flight stops now instead of running to its end */
	source_cancel_request(daemon->cancel);
	if (daemon->http != NULL) {
		http_stop(daemon->http); /* lets requests in flight finish */
		daemon->http = NULL;
	}
	if (!daemon->refresh_started)
		return true;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += DAEMON_STOP_WAIT_S;
	pthread_mutex_lock(&daemon->lock);
	while (!daemon->refresh_done) {
		if (pthread_cond_timedwait(&daemon->done, &daemon->lock, &deadline) == ETIMEDOUT)
			break;
	}
	done = daemon->refresh_done;
	pthread_mutex_unlock(&daemon->lock);
	if (!done) {
		log_warnx("stop: a pull is still running after %d s; exiting without it",
		          DAEMON_STOP_WAIT_S);
		return false;
	}
	pthread_join(daemon->refresh_thread, NULL);
	daemon->refresh_started = false;
	return true;
}

int daemon_run(struct daemon *daemon)
{
	struct http_options http_options;
	char http_err[HTTP_ERROR_LEN] = "";
	char target[256];
	int signal_number = 0;
	int rc;
	http_options_from(&daemon->config, &http_options);
	daemon->http = http_start(&http_options, &daemon->slot, &daemon->stats, http_err);
	if (daemon->http == NULL) {
		log_warnx("listen: cannot serve on %s: %s", daemon->config.listen, http_err);
		return 1;
	}
	config_describe_db(daemon->config.db, target, sizeof(target));
	log_info("listening on %s; database %s; refresh every %d s", daemon->config.listen, target,
	         daemon->config.refresh_s);
	/* From here on the refresh thread owns daemon->config. */
	rc = pthread_create(&daemon->refresh_thread, NULL, refresh_main, daemon);
	if (rc != 0) {
		errno = rc;
		log_warn("refresh: cannot start thread");
		http_stop(daemon->http);
		daemon->http = NULL;
		return 1;
	}
	daemon->refresh_started = true;
	if (!daemon_notify("READY=1"))
		log_warnx("notify: systemd was not told that the daemon is ready");

	for (;;) {
		/* Woken once a second without a signal to watch the refresh. */
		struct timespec tick = {.tv_sec = DAEMON_WATCHDOG_TICK_S, .tv_nsec = 0};
		int taken = sigtimedwait(&daemon->signals, NULL, &tick);
		watch_refresh(daemon);
		if (taken < 0)
			continue; /* the tick, or EINTR */
		signal_number = taken;
		if (signal_number == SIGHUP)
			reload(daemon);
		else if (signal_number == SIGTERM || signal_number == SIGINT)
			break;
	}
	log_info("stop: signal %d, draining", signal_number);
	if (!daemon_notify("STOPPING=1"))
		log_warnx("notify: systemd was not told that the daemon is stopping");
	if (!shutdown_threads(daemon))
		return 0; /* daemon_free must not touch what the thread still uses */
	log_info("stop: done");
	pthread_mutex_lock(&daemon->lock);
	bool refused = daemon->refused;
	pthread_mutex_unlock(&daemon->lock);
	return refused ? 1 : 0; /* require_read_only: a failed start for systemd */
}

void daemon_free(struct daemon *daemon)
{
	if (daemon->refresh_started)
		return; /* still running: the process exits and the OS reclaims */
	if (daemon->http != NULL)
		http_stop(daemon->http);
	config_free(&daemon->config);
	if (daemon->has_pending)
		config_free(&daemon->pending);
	free(daemon->listen_at_start);
	free(daemon->timezone_at_start);
	snapshot_slot_destroy(&daemon->slot);
	source_cancel_free(daemon->cancel);
	release_ledger_free(daemon->ledger);
	pthread_cond_destroy(&daemon->wake);
	pthread_cond_destroy(&daemon->done);
	pthread_mutex_destroy(&daemon->lock);
	memset(daemon->dp_key, 0, sizeof(daemon->dp_key));
	memset(daemon, 0, sizeof(*daemon));
}

/* --once: the ledger must be this database's, and the role must pass
 * require_read_only, as for the daemon. */
static bool once_guards(const struct config *config, const struct release_ledger *ledger,
                        char err[DAEMON_ERROR_LEN])
{
	char source[CONFIG_SOURCE_ID_LEN];
	struct source_options options;
	config_source_identity(config, source);
	if (ledger != NULL && !daemon_ledger_belongs(ledger, source, err))
		return false;
	source_options_from(config, NULL, &options);
	return daemon_guard_role_once(config, &options, err);
}

int daemon_once(const struct config *config)
{
	uint8_t key[DISCLOSURE_KEY_LEN] = {0}; /* read only when has_key */
	bool has_key = false, db_error = false;
	struct pipeline_output out;
	char err[DAEMON_ERROR_LEN] = "";
	char target[256];
	apply_timezone(config->timezone);
	config_describe_db(config->db, target, sizeof(target));
	if (config->disclosure_mode == DISCLOSURE_DP) {
		if (mkdir(config->state_dir, 0700) != 0 && errno != EEXIST)
			log_warn("state_dir: cannot create %s", config->state_dir);
		if (!daemon_load_key(config->state_dir, true, key, err)) {
			log_warnx("once: dp mode needs its key: %s", err);
			return 1;
		}
		has_key = true;
	}
	/* A --once export is a release too: it reads and extends the ledger of
	 * the state directory when there is one to write to. */
	struct release_ledger *ledger = NULL;
	char ledger_err[RELEASE_ERROR_LEN];
	bool keep_ledger = mkdir(config->state_dir, 0700) == 0 || errno == EEXIST;
	if (keep_ledger && !release_ledger_load(config->state_dir, &ledger, ledger_err)) {
		log_warnx("once: %s", ledger_err);
		return 1;
	}
	if (!keep_ledger)
		log_warnx("once: no state directory %s: settled periods are not frozen by this "
		          "export",
		          config->state_dir);
	if (!once_guards(config, ledger, err)) {
		log_warnx("once: %s", err);
		release_ledger_free(ledger);
		memset(key, 0, sizeof(key));
		return 1;
	}
	bool ran = pipeline_run(config, NULL, has_key ? key : NULL, ledger, effective_as_of(config),
	                        &out, &db_error, err);
	release_ledger_free(ledger);
	if (ran && keep_ledger && !release_ledger_save(out.ledger, config->state_dir, ledger_err)) {
		log_warnx("once: %s", ledger_err);
		release_ledger_free(out.ledger);
		snapshot_unref(out.snapshot);
		return 1;
	}
	if (ran)
		release_ledger_free(out.ledger);
	if (!ran) {
		memset(key, 0, sizeof(key));
		if (db_error)
			log_warnx("once: cannot read the database (%s): %s", target, err);
		else
			log_warnx("once: %s", err);
		return 1;
	}
	memset(key, 0, sizeof(key));
	if (mkdir(config->output, 0755) != 0 && errno != EEXIST) {
		log_warn("once: cannot create %s", config->output);
		snapshot_unref(out.snapshot);
		return 1;
	}
	if (!snapshot_write_files(out.snapshot, config->output)) {
		log_warnx("once: cannot write the tables under %s", config->output);
		snapshot_unref(out.snapshot);
		return 1;
	}
	log_info("once: wrote snapshot %s under %s", snapshot_id(out.snapshot), config->output);
	snapshot_unref(out.snapshot);
	return 0;
}
