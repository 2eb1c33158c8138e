/*
 * http_internal.h — private to http.c: the server and its reloadable
 * configuration. Other stages use casa/http.h.
 */
#ifndef CASA_HTTP_INTERNAL_H
#define CASA_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casa/http.h"
#include "casa/snapshot.h"
#include "casa/stats.h"

/* Fixed route names for the request counters (never the raw URL). */
enum route {
	ROUTE_CATALOG,
	ROUTE_TABLE,
	ROUTE_SUMMARY,
	ROUTE_QUALITY,
	ROUTE_OPENAPI,
	ROUTE_HEALTHZ,
	ROUTE_READYZ,
	ROUTE_METRICS,
	ROUTE_DASHBOARD,
	ROUTE_OTHER,
	ROUTE_COUNT
};

/* Tracked statuses (see tracked_status in http.c) plus "other". */
#define HTTP_STATUS_SLOTS 12

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

struct query_param {
	const char *name;  /* decoded by MHD, valid during the call */
	const char *value; /* "" when absent */
};

/* Reference held by a response on the snapshot it sends from. */
struct snapshot_hold {
	struct snapshot *snapshot;  /* released in the free callback */
	struct http_server *server; /* for the in-flight count */
};

struct http_server {
	struct MHD_Daemon *daemon;   /* libmicrohttpd */
	struct snapshot_slot *slot;  /* snapshot being served (not owned) */
	struct stats *stats;         /* daemon counters (not owned) */
	pthread_mutex_t config_lock; /* guards the config pointer swap */
	struct http_config *config;  /* current configuration */
	struct http_file *files;     /* dashboard files */
	size_t file_count;           /* entries in files */
	atomic_int in_flight;        /* responses still holding a snapshot */
	atomic_uint_least64_t requests[ROUTE_COUNT][HTTP_STATUS_SLOTS]; /* counters */
};

enum route http_route_of(const char *path, const char **rest);

#endif
