/*
 * http_internal.h — private to the HTTP stage. Other stages use casa/http.h.
 *
 * Files and the way their calls run (never back):
 *   http.c          server, routing, API tables, ETag/gzip/CORS/auth on
 *                   responses; calls each file below
 *   http_request.c  pure parsing of paths and query strings (headers: see
 *                   casa/http.h); calls nothing of the stage
 *   http_config.c   the reloadable options: CORS origins, bearer tokens,
 *                   max-age; calls nothing of the stage
 *   http_files.c    the dashboard files served under /; calls http_request.c
 *   http_ops.c      /healthz, /readyz, /metrics and the request counters
 *                   behind /metrics; calls nothing of the stage
 *   http_guard.c    slow clients: the deadline for a whole request and
 *                   the room kept for new connections; calls nothing of
 *                   the stage
 */
#ifndef CASA_HTTP_INTERNAL_H
#define CASA_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casa/buf.h"
#include "casa/http.h"
#include "casa/snapshot.h"
#include "casa/stats.h"

/* Fixed route names for the request counters (never the raw URL). */
enum route {
	ROUTE_CATALOG,
	ROUTE_TABLE,
	ROUTE_SUMMARY,
	ROUTE_QUALITY,
	ROUTE_DISCLOSURE, /* /api/v1/disclosure */
	ROUTE_OPENAPI,
	ROUTE_HEALTHZ,
	ROUTE_READYZ,
	ROUTE_METRICS,
	ROUTE_DASHBOARD,
	ROUTE_OTHER,
	ROUTE_COUNT
};

/* Tracked statuses (see tracked_status in http_ops.c) plus "other". */
#define HTTP_STATUS_SLOTS 12

/* libmicrohttpd's own log lines repeat under a flood (one per refused
 * connection): the same line is logged at most once per HTTP_LOG_WINDOW_S,
 * the copies in between counted (syslog's "last message repeated"). */
#define HTTP_LOG_WINDOW_S    10
#define HTTP_LOG_MESSAGE_LEN 256

struct http_log_limit {
	char last[HTTP_LOG_MESSAGE_LEN]; /* the last message logged */
	double logged_at;                /* when, monotonic seconds */
	unsigned repeated;               /* copies of it since, not logged */
};

/* Immutable once built; requests hold a reference, http_reload swaps it. */
struct http_config {
	atomic_uint refs;    /* server + requests using it */
	char **origins;      /* allowed CORS origins */
	size_t origin_count; /* entries in origins */
	bool any_origin;     /* "*" configured */
	char **tokens;       /* bearer tokens */
	size_t token_count;  /* entries in tokens; 0 = open */
	int max_age;         /* Cache-Control max-age, >= 1 */
};

/* A dashboard file, read once at start. */
struct http_file {
	char *name;               /* plain file name */
	char *data;               /* content */
	size_t len;               /* bytes */
	const char *content_type; /* from the extension */
	char etag[24];            /* quoted content hash */
};

/* The dashboard: every file the server may send under /, owned. */
struct http_files {
	struct http_file *entries; /* malloc'd */
	size_t count;              /* entries in use */
};

/* A connection as the slow-client guard sees it, from its accept to its
 * close. A connection "waits" while the server has no whole request of it
 * to answer: from its accept, and again from each answer on a kept-alive
 * connection. Owned by the connection's state in http.c; the links belong
 * to the guard (under its lock). */
struct http_guard_entry {
	struct http_guard_entry *older; /* waiting list: waited longer */
	struct http_guard_entry *newer; /* waiting list: waited less long */
	int fd;                         /* the connection's socket (MHD owns and closes it) */
	int64_t since_ms;               /* began to wait, monotonic ms */
	int64_t deadline_ms;            /* shut down if still waiting then */
	bool waiting;                   /* in the waiting list */
	bool shut;                      /* shut down by the guard; MHD closes it next */
};

/* Closes slow connections: a connection that has not sent a whole request
 * (request line, headers, body) header_ms after its accept, or keep_alive_ms
 * + header_ms after its previous answer, is shut down; and a new connection
 * that finds `room` connections already waiting shuts the one that has
 * waited longest. Together they keep a share of the connection limit for
 * clients that send their request at once, however many slow ones come. */
struct http_guard {
	pthread_mutex_t lock;            /* guards the list and every entry's links */
	struct http_guard_entry *oldest; /* waiting list, longest waiting first */
	struct http_guard_entry *newest; /* its other end */
	size_t waiting;                  /* entries in the list */
	size_t room;                     /* waiting entries before the longest is shut */
	int64_t header_ms;               /* time for a whole request */
	int64_t keep_alive_ms;           /* idle time allowed before the next one */
	atomic_uint_least64_t timed_out; /* shut at their deadline, ever */
	atomic_uint_least64_t evicted;   /* shut to make room, ever */
	uint_least64_t logged_timed_out; /* timed_out at the last log line */
	uint_least64_t logged_evicted;   /* evicted at the last log line */
	int64_t logged_at_ms;            /* when that line was logged */
	pthread_cond_t wake;             /* tells the sweeper to stop */
	pthread_t sweeper;               /* shuts connections at their deadline */
	bool sweeper_started;            /* sweeper is to be joined */
	bool stopping;                   /* sweeper: end now */
};

struct http_server {
	struct MHD_Daemon *daemon;   /* libmicrohttpd */
	struct snapshot_slot *slot;  /* snapshot being served (not owned) */
	struct stats *stats;         /* daemon counters (not owned) */
	pthread_mutex_t config_lock; /* guards the config pointer swap */
	struct http_config *config;  /* current configuration */
	struct http_files files;     /* dashboard files */
	atomic_int in_flight;        /* responses still holding a snapshot */
	atomic_bool draining;        /* http_stop() began: responses say Connection: close */
	atomic_int busy_connections; /* accepted and waiting for or in a request (not idle
	                                between keep-alive requests) */
	atomic_uint_least64_t requests_started; /* request lines read, ever */
	atomic_uint_least64_t requests[ROUTE_COUNT][HTTP_STATUS_SLOTS]; /* counters */
	pthread_mutex_t log_lock;        /* guards log_limit (MHD logs from any thread) */
	struct http_log_limit log_limit; /* repeated MHD log lines */
	struct http_guard guard;         /* slow clients */
};

/*
 * http_request.c — pure functions over request text, no I/O and no
 * allocation: safe to fuzz one by one.
 */

/* The route of a decoded path. rest receives the metric id of a table
 * route or the file name of a dashboard route (pointing into path, or a
 * constant), NULL otherwise. */
enum route http_route_of(const char *path, const char **rest);

/* No legitimate query uses more than 5 parameters; 16 leaves room for
 * cache-busters. */
#define HTTP_PARAMS_MAX 16

struct query_param {
	const char *name;  /* decoded by MHD, valid during the call */
	const char *value; /* "" when absent */
};

/* The query string as MHD hands it over, one parameter at a time.
 * Zero-initialise; the strings are borrowed, not copied. */
struct http_query {
	struct query_param params[HTTP_PARAMS_MAX]; /* the first parameters seen */
	size_t count;                               /* entries in params */
	size_t total;                               /* all parameters seen */
	bool duplicate;                             /* the same name twice */
};

/* Records one parameter (value NULL for "?name" without "="). */
void http_query_add(struct http_query *query, const char *name, const char *value);
/* NULL for an acceptable query, else why it is refused (a fixed text for
 * the 400 body: too many, repeated, or a '%' left after decoding). */
const char *http_query_problem(const struct http_query *query);
/* The value of parameter name, or NULL when absent. */
const char *http_query_get(const struct http_query *query, const char *name);
/* true when the request target as sent (not decoded) holds %00: decoded,
 * it would end the path, a name or a value early, so that
 * "/index.html%00.js" would read as "/index.html". */
bool http_target_has_nul(const char *target);

/*
 * http_files.c — the dashboard, read once at start.
 */

/* Reads the plain files of dir (NULL or "" = no dashboard). An unreadable
 * directory is logged; a file that cannot be read, is not regular or is
 * too big is left out. */
void http_files_load(struct http_files *files, const char *dir);
void http_files_free(struct http_files *files);
/* The file called name, or NULL (also for a name that is not plain). The
 * file lives until http_files_free(). */
const struct http_file *http_files_find(const struct http_files *files, const char *name);

/*
 * http_guard.c — slow clients. Every call but init and stop may come from
 * any thread; now_ms is http_guard_now_ms() (a parameter so that tests
 * can set the clock).
 */

/* Monotonic milliseconds. */
int64_t http_guard_now_ms(void);
/* Sets the guard up, its sweeper not started: header_timeout_s for a whole
 * request, keep_alive_s the idle timeout of kept-alive connections,
 * connection_limit the server's. false when a lock cannot be made. */
bool http_guard_init(struct http_guard *guard, int header_timeout_s, int keep_alive_s,
                     int connection_limit) CASA_MUSTCHECK;
/* Starts the thread that shuts connections at their deadline (every
 * HTTP_GUARD_TICK_MS). false when it cannot start. */
bool http_guard_start(struct http_guard *guard) CASA_MUSTCHECK;
/* Stops the sweeper (if started), logs the counts not logged yet and
 * frees the locks. Entries still registered are left alone. */
void http_guard_destroy(struct http_guard *guard);
/* A connection was accepted on socket fd: it waits from now; when more
 * than `room` connections wait, the ones that waited longest (never this
 * one) are shut down. */
void http_guard_opened(struct http_guard *guard, struct http_guard_entry *entry, int fd,
                       int64_t now_ms);
/* Its request is whole and being answered: it waits no more. */
void http_guard_answered(struct http_guard *guard, struct http_guard_entry *entry);
/* Its answer went out and it is kept alive: it waits for the next
 * request from now (unless the guard shut it). */
void http_guard_kept(struct http_guard *guard, struct http_guard_entry *entry, int64_t now_ms);
/* MHD is closing it (the socket is still open): forgotten. */
void http_guard_closed(struct http_guard *guard, struct http_guard_entry *entry);
/* Shuts down every waiting connection past its deadline; returns how many. */
unsigned http_guard_sweep(struct http_guard *guard, int64_t now_ms);

/*
 * http_ops.c — operational endpoints and counters.
 */

/* Whether to log message at monotonic time now; *repeated receives the
 * copies of the previous message left out since it was logged (0: none),
 * to be reported first. */
bool http_log_admit(struct http_log_limit *limit, const char *message, double now,
                    unsigned *repeated);
/* The copies left out since the last line logged (at stop), and forgets
 * them. */
unsigned http_log_flush(struct http_log_limit *limit);

/* Counts one answered request under its route and status. */
void http_ops_count(struct http_server *server, enum route route, unsigned status);
/* Renders the body of ROUTE_HEALTHZ, ROUTE_READYZ or ROUTE_METRICS into
 * body (the caller frees body->data) and returns the status to send with
 * it; *content_type receives a constant. body->failed means memory ran
 * out. */
unsigned http_ops_render(struct http_server *server, enum route route, struct buf *body,
                         const char **content_type);

#endif
