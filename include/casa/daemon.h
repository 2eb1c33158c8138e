/*
 * daemon.h — the daemon context: schedule, signals, state, the glue between
 * the pipeline stages (SPEC §6 CLI, §7 Operation).
 *
 * struct daemon is THE context: configuration, counters, the snapshot slot,
 * the HTTP server, the refresh thread and the signal set all live here; the
 * daemon keeps no hidden global state. Signals are never handled
 * asynchronously: the main thread blocks SIGHUP, SIGTERM, SIGINT and SIGPIPE
 * before any thread starts (threads inherit the mask) and takes them with
 * sigtimedwait() in daemon_run(), waking every DAEMON_WATCHDOG_TICK_S to log
 * a refresh running past refresh_deadline.
 *
 * Threads and ownership:
 *   - the main thread owns `listen_at_start`, `timezone_at_start`,
 *     `overdue_logged` and the HTTP server; on SIGHUP it loads a new config
 *     and hands it over through `pending` (under `lock`);
 *   - the refresh thread owns `config` after daemon_run() starts it, and
 *     swaps in `pending` at the top of each cycle;
 *   - `stats` is atomic and read by the HTTP stage; `slot` has its own lock.
 */
#ifndef CASA_DAEMON_H
#define CASA_DAEMON_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "casa/common.h"
#include "casa/config.h"
#include "casa/disclosure.h"
#include "casa/http.h"
#include "casa/release.h"
#include "casa/snapshot.h"
#include "casa/stats.h"

struct source_cancel;   /* casa/source.h */
struct source_key_conn; /* casa/source.h */

#define DAEMON_ERROR_LEN 512
/* SPEC §7 capped exponential backoff: never wait longer than this between
 * retries while the database is down, nor longer than the refresh interval. */
#define DAEMON_BACKOFF_CAP_S 60
/* How long SIGTERM waits for a pull in progress before exiting anyway (the
 * source stage has no cancellation hook; systemd's stop timeout is 90 s). */
#define DAEMON_STOP_WAIT_S 10
/* How often the main thread looks at the refresh in progress (watchdog). */
#define DAEMON_WATCHDOG_TICK_S 1
#define DAEMON_KEY_FILE        "secret.key"

struct daemon {
	struct config config;               /* refresh thread's (main's until start) */
	struct config pending;              /* reloaded config waiting for the refresh thread */
	bool has_pending;                   /* pending is filled; guarded by lock */
	int argc;                           /* argv for SIGHUP reloads (same flags) */
	char *const *argv;                  /* not owned; main()'s argv */
	char *listen_at_start;              /* owned; listen changes need a restart */
	char *timezone_at_start;            /* owned; TZ is set once, before threads */
	pthread_mutex_t lock;               /* guards pending, wake flags */
	pthread_cond_t wake;                /* refresh thread sleeps on it (monotonic) */
	bool stopping;                      /* SIGTERM/SIGINT seen; guarded by lock */
	bool refresh_now;                   /* SIGHUP asked for a refresh; guarded by lock */
	bool refresh_done;                  /* refresh thread has returned; guarded by lock */
	pthread_cond_t done;                /* signalled when refresh_done is set */
	sigset_t signals;                   /* the set blocked in all threads */
	struct stats stats;                 /* counters for /readyz and /metrics */
	struct snapshot_slot slot;          /* the snapshot being served */
	struct http_server *http;           /* NULL until started */
	pthread_t refresh_thread;           /* valid when refresh_started */
	bool refresh_started;               /* the thread was created */
	uint8_t dp_key[DISCLOSURE_KEY_LEN]; /* secret for dp noise (SPEC §5) */
	bool has_dp_key;                    /* dp_key was loaded or created */
	struct source_cancel *cancel;       /* SIGTERM cancels a pull in flight */
	struct release_ledger *ledger;      /* frozen cells of earlier releases, owned by
	                                       the refresh thread; NULL = none yet */
	char source_at_start[CONFIG_SOURCE_ID_LEN]; /* the database the state dir is for */
	bool refused;                               /* require_read_only stopped the daemon;
	                                               guarded by lock */
	int64_t overdue_logged;                     /* main thread: refresh_started_ms of the
	                                               overdue refresh already logged */
	/* refresh-thread state */
	int64_t served_key;               /* refresh key of the served data, -1 none */
	int32_t served_as_of;             /* as_of of the served snapshot */
	int64_t served_at;                /* last full pull of the served data */
	bool failing;                     /* last attempt failed (log state changes) */
	bool role_checked;                /* the role of this config was checked (daemon_guard.c) */
	struct source_key_conn *key_conn; /* kept open for refresh-key checks; NULL =
	                                     none; closed when the thread ends */
	unsigned failures_in_row;         /* consecutive failed attempts (backoff) */
	uint64_t jitter_state;            /* xorshift state for backoff jitter */
};

/*
 * Sets up the context from a loaded config (taken over: *config is zeroed)
 * and blocks the daemon's signals in the calling thread. argv is kept for
 * reloads. Loads or creates the DP key, loads the persisted snapshot and
 * serves nothing yet. Returns false with a message in err.
 */
bool daemon_init(struct daemon *daemon, struct config *config, int argc, char *const argv[],
                 char err[DAEMON_ERROR_LEN]) CASA_MUSTCHECK;

/* Starts HTTP and the refresh thread, tells systemd it is ready, and handles
 * signals until SIGTERM/SIGINT; then drains and stops. Returns the exit
 * status (0 after a clean stop, 1 when start-up failed). */
int daemon_run(struct daemon *daemon);

/* Releases everything daemon_init() and daemon_run() acquired. */
void daemon_free(struct daemon *daemon);

/* --once --output DIR: one full pull and compute, files written, no HTTP.
 * Returns the exit status (1 with a message when the database cannot be
 * reached or anything else fails). */
int daemon_once(const struct config *config);

/* Reads DIR/secret.key (32 bytes); when missing and create is true, makes one
 * from getrandom() with mode 0600. */
bool daemon_load_key(const char *state_dir, bool create, uint8_t key[DISCLOSURE_KEY_LEN],
                     char err[DAEMON_ERROR_LEN]) CASA_MUSTCHECK;

/* Sends one sd_notify state ("READY=1") to $NOTIFY_SOCKET (abstract when it
 * starts with '@'). Returns true when there is no socket to tell. */
bool daemon_notify(const char *state) CASA_MUSTCHECK;

#endif
