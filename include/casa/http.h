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

/* Every value is explicit: the configuration stage owns the defaults
 * (config.c), and http_start() refuses a value out of range instead of
 * putting one of its own in its place. */
struct http_options {
	const char *listen_host;     /* address to bind: "127.0.0.1", "::1", "0.0.0.0" */
	uint16_t listen_port;        /* TCP port */
	const char *cors_origins;    /* comma-separated; "*" allowed; "" or NULL = none */
	const char *api_tokens;      /* comma-separated bearer tokens; "" or NULL = open */
	const char *dashboard_dir;   /* directory served at /; NULL or "" = none */
	int refresh_seconds;         /* >= 1; Cache-Control max-age follows it */
	int connection_timeout_s;    /* >= 1; idle connection timeout */
	int header_timeout_s;        /* >= 1; time for a whole request (slow clients) */
	int connection_limit;        /* >= 1; total connections */
	int per_ip_connection_limit; /* >= 0; connections per client address, 0 = no limit */
	int threads;                 /* >= 1; worker threads */
};

#define HTTP_ERROR_LEN 256

struct http_server; /* opaque */

/* Starts listening. slot and stats must outlive the server. Options are
 * copied. Returns NULL and a message in err on failure, including an
 * option out of the ranges above (the message names it). */
struct http_server *http_start(const struct http_options *options, struct snapshot_slot *slot,
                               struct stats *stats, char err[HTTP_ERROR_LEN]) CASA_MUSTCHECK;
/* Applies reloadable options (CORS origins, tokens, max-age) to a running
 * server; listen address changes need a restart. false (logged, the
 * running configuration kept) for an option out of range or when memory
 * runs out. */
bool http_reload(struct http_server *server, const struct http_options *options) CASA_MUSTCHECK;
/* Stops accepting, lets requests in flight finish, frees the server. */
void http_stop(struct http_server *server);

/*
 * Request-header helpers, pure and exposed for tests (tests/unit/test_http.c).
 */
struct http_config; /* parsed reloadable options: origins, tokens, max-age */

/* Parses options (copied); options->refresh_seconds must be >= 1. NULL
 * when memory runs out; free with http_config_free(). */
struct http_config *http_config_new(const struct http_options *options);
void http_config_free(struct http_config *config);
/* Highest q-value the Accept-style header gives token (case-insensitive,
 * exact match), -1 when the token is absent or header is NULL. */
double http_accept_q(const char *header, const char *token);
/* Accept-Encoding allows gzip (gzip, x-gzip or "*" with q > 0). */
bool http_accepts_gzip(const char *accept_encoding);
/* Accept asks for text/csv with a higher q than application/json. */
bool http_prefers_csv(const char *accept);
/* If-None-Match (a list, "*", W/ prefixes) matches the quoted etag. */
bool http_etag_matches(const char *if_none_match, const char *etag);
/* Authorization carries one of the configured bearer tokens (always true
 * when none is configured); constant time in the token bytes. */
bool http_token_ok(const struct http_config *config, const char *authorization);
/* Access-Control-Allow-Origin value for origin, or NULL when not allowed.
 * The returned string lives as long as config. */
const char *http_cors_origin(const struct http_config *config, const char *origin);
/* A dashboard file name: letters, digits, '.', '-', '_', no leading dot. */
bool http_plain_file_name(const char *name);

#endif
