/*
 * http.h — the HTTP stage (libmicrohttpd): serves the current snapshot's
 * bodies, /healthz, /readyz, /metrics and the dashboard files. Nothing is
 * computed per request beyond a lookup, a header check and a slice.
 */
#ifndef CASA_HTTP_H
#define CASA_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casa/common.h"
#include "casa/snapshot.h"
#include "casa/stats.h"

struct http_options {
	const char *listen_host;      /* "127.0.0.1" (default), "::1", "0.0.0.0" */
	uint16_t listen_port;         /* 8080 */
	const char *cors_origins;     /* comma-separated; "*" allowed; "" = none */
	const char *api_tokens;       /* comma-separated bearer tokens; "" = open */
	const char *dashboard_dir;    /* directory served at / */
	int refresh_seconds;          /* Cache-Control max-age follows it */
	int connection_timeout_s;     /* idle connection timeout */
	int connection_limit;         /* total connections */
	int per_ip_connection_limit;  /* connections per client address */
	int threads;                  /* worker threads */
};

#define HTTP_ERROR_LEN 256

struct http_server; /* opaque */

/* Starts listening. slot and stats must outlive the server. Options are
 * copied. Returns NULL and a message in err on failure. */
struct http_server *http_start(const struct http_options *options,
			       struct snapshot_slot *slot, struct stats *stats,
			       char err[HTTP_ERROR_LEN]) CASA_MUSTCHECK;
/* Applies reloadable options (CORS origins, tokens, max-age) to a running
 * server; listen address changes need a restart. */
bool http_reload(struct http_server *server, const struct http_options *options)
    CASA_MUSTCHECK;
/* Stops accepting, lets requests in flight finish, frees the server. */
void http_stop(struct http_server *server);

#endif
