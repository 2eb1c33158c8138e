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
