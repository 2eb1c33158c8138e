/*
 * http.c — the HTTP stage's server (libmicrohttpd, SPEC §6): routing, the
 * API tables and resources, content negotiation, conditional requests,
 * CORS, bearer tokens, limits. Parsing, the reloadable options, the
 * dashboard files and the ops endpoints live in the files listed in
 * http_internal.h; this file calls them, they never call it.
 *
 * Nothing here computes a metric: a request looks a pre-rendered body up in
 * the snapshot it acquired, checks headers and sends it (or a slice of it).
 * The snapshot reference is released in the response's free callback, so a
 * refresh never frees a body that is still being written to a socket.
 * Request input never reaches SQL (there is none here) nor a log line, and
 * error bodies never echo it.
 */
#include "casa/http.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "casa/buf.h"
#include "casa/log.h"
#include "casa/metrics.h"
#include "http_internal.h"

/* Limits on hostile or broken requests. 2048 bytes is the classic safe URL
 * length (the parameter count is bounded in http_request.c). The memory
 * limit bounds the request line and headers (MHD answers 414/431 itself
 * past it). */
#define HTTP_URL_MAX      2048
#define HTTP_MEMORY_LIMIT (32 * 1024)
/* http_stop waits this long for requests in flight before closing, and
 * closes once no connection has been busy for HTTP_QUIET_MS: long enough
 * for a worker that was inside accept() when the daemon was quiesced to
 * register its connection, and for a request already on the wire of a
 * keep-alive connection to be read. */
#define HTTP_DRAIN_MS 5000
#define HTTP_QUIET_MS 100

/* ---- configuration swap ----------------------------------------------- */

static struct http_config *config_acquire(struct http_server *server)
{
	pthread_mutex_lock(&server->config_lock);
	struct http_config *config = server->config;
	atomic_fetch_add(&config->refs, 1);
	pthread_mutex_unlock(&server->config_lock);
	return config;
}

static void config_release(struct http_config *config)
{
	if (config != NULL && atomic_fetch_sub(&config->refs, 1) == 1)
		http_config_free(config);
}

/* ---- responses -------------------------------------------------------- */

/* Everything one request needs while it is answered. */
struct request {
	struct http_server *server;  /* owner */
	struct MHD_Connection *conn; /* MHD connection */
	struct http_config *config;  /* acquired for the request */
	enum route route;            /* for the request counters */
	bool head;                   /* HEAD: MHD drops the body */
	const char *origin;          /* Origin header or NULL */
	struct http_query query;     /* decoded by MHD */
};

static const char *header(struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static void add_common_headers(struct request *req, struct MHD_Response *response)
{
	const char *allow = http_cors_origin(req->config, req->origin);
	if (allow != NULL) {
		MHD_add_response_header(response, "Access-Control-Allow-Origin", allow);
		MHD_add_response_header(response, "Access-Control-Expose-Headers",
		                        "ETag, X-Casa-Stale, Content-Disposition");
	}
	if (stats_stale(req->server->stats))
		MHD_add_response_header(response, "X-Casa-Stale", "true");
	MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
	/* Draining: this answer ends the connection, so that a keep-alive
	 * client's next request goes to a new one (refused) instead of racing
	 * the close. */
	if (atomic_load(&req->server->draining))
		MHD_add_response_header(response, "Connection", "close");
}

static enum MHD_Result queue(struct request *req, unsigned status, struct MHD_Response *response)
{
	if (response == NULL) {
		http_ops_count(req->server, req->route, 500);
		return MHD_NO;
	}
	enum MHD_Result result = MHD_queue_response(req->conn, status, response);
	MHD_destroy_response(response);
	http_ops_count(req->server, req->route, status);
	return result;
}

static struct MHD_Response *copy_response(const char *data, size_t len)
{
	return MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result send_text(struct request *req, unsigned status, const char *content_type,
                                 const char *body, size_t len)
{
	struct MHD_Response *response = copy_response(body, len);
	if (response == NULL)
		return queue(req, 500, NULL);
	MHD_add_response_header(response, "Content-Type", content_type);
	MHD_add_response_header(response, "Cache-Control", "no-store");
	MHD_add_response_header(response, "Vary", "Origin");
	add_common_headers(req, response);
	return queue(req, status, response);
}

/* {"error":{"status":N,"message":"...","allowed":[...]}}; allowed may be
 * NULL. The message is a fixed text of ours, never request input. */
static enum MHD_Result send_error(struct request *req, unsigned status, const char *message,
                                  const char *const *allowed, size_t allowed_count)
{
	struct buf body = {0};
	json_t *list = allowed != NULL ? json_array() : NULL;
	for (size_t i = 0; list != NULL && i < allowed_count; i++)
		list = buf_json_append(list, json_string(allowed[i]));
	if (allowed != NULL && list == NULL)
		return queue(req, 500, NULL);
	buf_json_value(&body, json_pack("{s:{s:i, s:s, s:o*}}", "error", "status", (int)status,
	                                "message", message, "allowed", list));
	buf_puts(&body, "\n");
	if (body.failed) {
		free(body.data);
		return queue(req, 500, NULL);
	}
	struct MHD_Response *response = copy_response(body.data, body.len);
	free(body.data);
	if (response == NULL)
		return queue(req, 500, NULL);
	MHD_add_response_header(response, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(response, "Cache-Control", "no-store");
	MHD_add_response_header(response, "Vary", "Origin");
	if (status == 401)
		MHD_add_response_header(response, "WWW-Authenticate",
		                        "Bearer realm=\"casa-metricsd\"");
	if (status == 405)
		MHD_add_response_header(response, "Allow", "GET, HEAD, OPTIONS");
	if (status == 503)
		MHD_add_response_header(response, "Retry-After", "5");
	add_common_headers(req, response);
	return queue(req, status, response);
}

/* Reference held by a response on the snapshot it sends from. */
struct snapshot_hold {
	struct snapshot *snapshot;  /* released in the free callback */
	struct http_server *server; /* for the in-flight count */
};

/* Keeps the snapshot alive until MHD is done with the body. */
static void release_snapshot(void *cls)
{
	struct snapshot_hold *hold = cls;
	snapshot_unref(hold->snapshot);
	atomic_fetch_sub(&hold->server->in_flight, 1);
	free(hold);
}

/* Sends a body from the snapshot (or a malloc'd slice, owned when `owned`),
 * with the caching headers of SPEC §6. Takes over the snapshot reference. */
static enum MHD_Result send_cached(struct request *req, struct snapshot *snapshot, const char *data,
                                   size_t len, bool owned, const char *etag, bool gzip,
                                   const char *content_type, const char *filename,
                                   int64_t generated_at)
{
	struct MHD_Response *response;
	/* A 304 is built from the same body: libmicrohttpd sends no body for
	 * it but keeps Content-Length equal to the 200's. RFC 9110 §8.6 allows
	 * that and forbids any other value (an empty response would carry
	 * "Content-Length: 0"). Old HTTP parsers (wrk 4.1) wait for a body
	 * after such a 304; bench/bench_poll measures the 304 path instead. */
	bool not_modified = http_etag_matches(header(req, "If-None-Match"), etag);
	if (owned) {
		response = MHD_create_response_from_buffer(len, (void *)(uintptr_t)data,
		                                           MHD_RESPMEM_MUST_FREE);
		if (response == NULL)
			free((void *)(uintptr_t)data);
		snapshot_unref(snapshot);
	} else {
		struct snapshot_hold *hold = malloc(sizeof(*hold));
		if (hold == NULL) {
			snapshot_unref(snapshot);
			return queue(req, 500, NULL);
		}
		hold->snapshot = snapshot;
		hold->server = req->server;
		atomic_fetch_add(&req->server->in_flight, 1);
		response = MHD_create_response_from_buffer_with_free_callback_cls(
		    len, (void *)(uintptr_t)data, release_snapshot, hold);
		if (response == NULL)
			release_snapshot(hold);
	}
	if (response == NULL)
		return queue(req, 500, NULL);
	char cache[64], modified[SNAPSHOT_TIME_LEN];
	snprintf(cache, sizeof(cache), "public, max-age=%d", req->config->max_age);
	snapshot_format_http_date(generated_at, modified);
	MHD_add_response_header(response, "ETag", etag);
	MHD_add_response_header(response, "Cache-Control", cache);
	MHD_add_response_header(response, "Last-Modified", modified);
	MHD_add_response_header(response, "Vary", "Accept, Accept-Encoding, Origin");
	if (!not_modified) {
		MHD_add_response_header(response, "Content-Type", content_type);
		if (gzip)
			MHD_add_response_header(response, "Content-Encoding", "gzip");
		if (filename != NULL) {
			char disposition[320];
			snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s\"",
			         filename);
			MHD_add_response_header(response, "Content-Disposition", disposition);
		}
	}
	add_common_headers(req, response);
	return queue(req, not_modified ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, response);
}

static enum MHD_Result send_body(struct request *req, struct snapshot *snapshot,
                                 const struct snapshot_body *body, const char *content_type,
                                 const char *filename)
{
	bool gzip = body->gzip != NULL && http_accepts_gzip(header(req, "Accept-Encoding"));
	int64_t generated_at = snapshot_generated_at(snapshot);
	if (gzip)
		return send_cached(req, snapshot, body->gzip, body->gzip_len, false,
		                   body->gzip_etag, true, content_type, filename, generated_at);
	return send_cached(req, snapshot, body->data, body->len, false, body->etag, false,
	                   content_type, filename, generated_at);
}

/* ---- routes ----------------------------------------------------------- */

static enum MHD_Result route_table(struct request *req, const char *id)
{
	static const char *const known[] = {"period_type", "by", "from", "to", "format"};
	const char *ids[METRIC_COUNT];
	const char *allowed[DIM_COUNT + PERIOD_TYPE_COUNT];
	for (int m = 0; m < METRIC_COUNT; m++)
		ids[m] = metrics_catalog[m].id;
	for (size_t i = 0; i < req->query.count; i++) {
		bool ok = false;
		for (size_t k = 0; k < CASA_ARRAY_LEN(known); k++)
			ok |= strcmp(req->query.params[i].name, known[k]) == 0;
		if (!ok)
			return send_error(req, 400, "unknown query parameter", known,
			                  CASA_ARRAY_LEN(known));
	}
	enum metric_id metric;
	if (!metrics_find(id, &metric))
		return send_error(req, 404, "unknown metric", ids, METRIC_COUNT);
	const struct metric_def *def = &metrics_catalog[metric];

	size_t n = 0;
	for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
		if (def->period_types & PERIOD_BIT(p))
			allowed[n++] = period_type_name((enum period_type)p);
	const char *text = http_query_get(&req->query, "period_type");
	enum period_type period_type = PERIOD_YEAR; /* SPEC §6 default */
	if (text != NULL && !period_type_parse(text, &period_type))
		return send_error(req, 400, "bad period_type", allowed, n);
	if (!(def->period_types & PERIOD_BIT(period_type)))
		return send_error(req, 400, "period_type not available for this metric", allowed,
		                  n);

	n = 0;
	for (int d = 0; d < DIM_COUNT; d++)
		if (d == DIM_TOTAL || (def->dims & DIM_BIT(d)))
			allowed[n++] = metrics_dim_name((enum dim)d);
	text = http_query_get(&req->query, "by");
	enum dim dim = DIM_TOTAL;
	if (text != NULL &&
	    (!metrics_dim_parse(text, &dim) || (dim != DIM_TOTAL && !(def->dims & DIM_BIT(dim)))))
		return send_error(req, 400, "bad by: breakdown not available for this metric",
		                  allowed, n);

	static const char *const formats[] = {"json", "csv"};
	text = http_query_get(&req->query, "format");
	enum snapshot_format format = SNAPSHOT_JSON;
	if (text != NULL) {
		if (strcmp(text, "csv") == 0)
			format = SNAPSHOT_CSV;
		else if (strcmp(text, "json") != 0)
			return send_error(req, 400, "bad format", formats, 2);
	} else if (http_prefers_csv(header(req, "Accept"))) {
		format = SNAPSHOT_CSV;
	}

	static const char *const label_formats[PERIOD_TYPE_COUNT][1] = {{"YYYY-MM (e.g. 2025-03)"},
	                                                                {"YYYY-Qn (e.g. 2025-Q1)"},
	                                                                {"YYYY (e.g. 2025)"},
	                                                                {"FYYYYY (e.g. FY2025)"}};
	const char *from_text = http_query_get(&req->query, "from"),
	           *to_text = http_query_get(&req->query, "to");
	int32_t from_index = INT32_MIN, to_index = INT32_MAX;
	if (from_text != NULL && !period_label_parse(period_type, from_text, &from_index))
		return send_error(req, 400, "bad from: expected a period label of the period_type",
		                  label_formats[period_type], 1);
	if (to_text != NULL && !period_label_parse(period_type, to_text, &to_index))
		return send_error(req, 400, "bad to: expected a period label of the period_type",
		                  label_formats[period_type], 1);
	if (from_index > to_index)
		return send_error(req, 400, "from is after to", label_formats[period_type], 1);

	struct snapshot *snapshot = snapshot_slot_acquire(req->server->slot);
	if (snapshot == NULL)
		return send_error(req, 503, "no snapshot yet: the first refresh has not finished",
		                  NULL, 0);
	const struct snapshot_table *table =
	    snapshot_table_find(snapshot, metric, period_type, dim);
	if (table == NULL) {
		/* SPEC §5: an unpublished table answers 404 naming the setting */
		char message[RELEASE_PLAN_TEXT_LEN + 160];
		if (!snapshot_publishes(snapshot, period_type, dim))
			snprintf(message, sizeof(message),
			         "table not published: the publication plan (setting publish = "
			         "\"%s\") leaves out %s by %s",
			         snapshot_plan_text(snapshot), period_type_name(period_type),
			         metrics_dim_name(dim));
		else
			snprintf(message, sizeof(message), "table not published in this snapshot");
		snapshot_unref(snapshot);
		return send_error(req, 404, message, NULL, 0);
	}
	const char *content_type =
	    format == SNAPSHOT_CSV ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";
	const char *filename = format == SNAPSHOT_CSV ? table->csv_filename : NULL;
	if (from_text == NULL && to_text == NULL)
		return send_body(req, snapshot, &table->body[format], content_type, filename);

	/* Slice: clamp the labels to the table's periods (an empty
	 * intersection gives no rows). */
	int64_t first = table->first_period;
	int64_t last = first + (int64_t)table->period_count - 1;
	int64_t lo = from_index < first ? first : from_index;
	int64_t hi = to_index > last ? last : to_index;
	uint32_t from = 1, to = 0; /* empty */
	if (lo <= hi && table->period_count > 0) {
		from = (uint32_t)(lo - first);
		to = (uint32_t)(hi - first);
	}
	char *data = NULL, etag[SNAPSHOT_ETAG_LEN];
	size_t len = 0;
	if (!snapshot_table_slice(table, format, from, to, &data, &len, etag)) {
		snapshot_unref(snapshot);
		return queue(req, 500, NULL);
	}
	return send_cached(req, snapshot, data, len, true, etag, false, content_type, filename,
	                   snapshot_generated_at(snapshot));
}

static enum MHD_Result route_resource(struct request *req, enum snapshot_resource resource)
{
	struct snapshot *snapshot = snapshot_slot_acquire(req->server->slot);
	if (snapshot == NULL)
		return send_error(req, 503, "no snapshot yet: the first refresh has not finished",
		                  NULL, 0);
	return send_body(req, snapshot, snapshot_resource(snapshot, resource),
	                 "application/json; charset=utf-8", NULL);
}

static enum MHD_Result route_ops(struct request *req)
{
	struct buf body = {0};
	const char *content_type;
	unsigned status = http_ops_render(req->server, req->route, &body, &content_type);
	if (body.failed) {
		free(body.data);
		return queue(req, 500, NULL);
	}
	enum MHD_Result result = send_text(req, status, content_type, body.data, body.len);
	free(body.data);
	return result;
}

static enum MHD_Result route_file(struct request *req, const char *name)
{
	const struct http_file *file = http_files_find(&req->server->files, name);
	if (file == NULL)
		return send_error(req, 404, "not found", NULL, 0);
	bool not_modified = http_etag_matches(header(req, "If-None-Match"), file->etag);
	/* files live as long as the server; a 304 keeps the 200's length */
	struct MHD_Response *response =
	    MHD_create_response_from_buffer(file->len, file->data, MHD_RESPMEM_PERSISTENT);
	if (response == NULL)
		return queue(req, 500, NULL);
	MHD_add_response_header(response, "ETag", file->etag);
	MHD_add_response_header(response, "Cache-Control", "no-cache");
	if (!not_modified)
		MHD_add_response_header(response, "Content-Type", file->content_type);
	add_common_headers(req, response);
	return queue(req, not_modified ? 304 : 200, response);
}

static enum MHD_Result preflight(struct request *req)
{
	struct MHD_Response *response =
	    MHD_create_response_from_buffer(0, (void *)(uintptr_t) "", MHD_RESPMEM_PERSISTENT);
	if (response == NULL)
		return queue(req, 500, NULL);
	MHD_add_response_header(response, "Allow", "GET, HEAD, OPTIONS");
	if (http_cors_origin(req->config, req->origin) != NULL) {
		MHD_add_response_header(response, "Access-Control-Allow-Methods",
		                        "GET, HEAD, OPTIONS");
		MHD_add_response_header(response, "Access-Control-Allow-Headers",
		                        "Authorization, If-None-Match, Accept");
		MHD_add_response_header(response, "Access-Control-Max-Age", "600");
	}
	MHD_add_response_header(response, "Vary", "Origin");
	add_common_headers(req, response);
	return queue(req, MHD_HTTP_NO_CONTENT, response);
}

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
	(void)kind;
	http_query_add(cls, key, value);
	return MHD_YES;
}

static enum MHD_Result dispatch(struct request *req, const char *url, const char *method,
                                size_t uri_len)
{
	const char *rest = NULL;
	req->route = http_route_of(url, &rest);
	if (uri_len > HTTP_URL_MAX)
		return send_error(req, 414, "URL too long", NULL, 0);
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_param, &req->query);
	const char *problem = http_query_problem(&req->query);
	if (problem != NULL)
		return send_error(req, 400, problem, NULL, 0);
	if (strcmp(method, "OPTIONS") == 0)
		return preflight(req);
	req->head = strcmp(method, "HEAD") == 0;
	if (strcmp(method, "GET") != 0 && !req->head)
		return send_error(req, 405, "method not allowed", NULL, 0);
	bool protected = req->route == ROUTE_METRICS || strncmp(url, "/api/", 5) == 0;
	if (protected && !http_token_ok(req->config, header(req, "Authorization")))
		return send_error(req, 401, "bearer token required", NULL, 0);
	switch (req->route) {
	case ROUTE_CATALOG:
		return route_resource(req, SNAPSHOT_CATALOG);
	case ROUTE_TABLE:
		return route_table(req, rest);
	case ROUTE_SUMMARY:
		return route_resource(req, SNAPSHOT_SUMMARY);
	case ROUTE_DISCLOSURE:
		return route_resource(req, SNAPSHOT_DISCLOSURE);
	case ROUTE_QUALITY:
		return route_resource(req, SNAPSHOT_QUALITY);
	case ROUTE_OPENAPI:
		return route_resource(req, SNAPSHOT_OPENAPI);
	case ROUTE_HEALTHZ:
	case ROUTE_READYZ:
	case ROUTE_METRICS:
		return route_ops(req);
	case ROUTE_DASHBOARD:
		return route_file(req, rest);
	case ROUTE_OTHER:
	default:
		return send_error(req, 404, "not found", NULL, 0);
	}
}

/* con_cls carries request state as a tagged integer, never dereferenced:
 * the raw URI length + 1 (from uri_log(), shifted left by 3) and three
 * flags.
 * Answering on the first call makes libmicrohttpd 0.9.75 close the
 * connection, so safe methods are answered on the second call (after the
 * headers), which keeps polling clients on one keep-alive connection. */
#define REQUEST_SEEN     ((uintptr_t)1)
#define REQUEST_ANSWERED ((uintptr_t)2)
#define REQUEST_NUL      ((uintptr_t)4) /* %00 in the target as sent */
#define REQUEST_SHIFT    3

/* What a connection is doing, for the drain of http_stop(): a connection
 * is busy from its accept until its first answer, and again from each
 * further request line to that request's end; idle between keep-alive
 * requests. Only the connection's own worker thread touches it. */
enum connection_phase {
	CONNECTION_NEW,     /* accepted, no request yet: a client is about to send one */
	CONNECTION_REQUEST, /* a request is being read or answered */
	CONNECTION_IDLE,    /* answered, kept alive, nothing sent since */
};

/* MHD's socket context: one per connection, from its accept to its close. */
struct connection_state {
	enum connection_phase phase;   /* for the drain */
	struct http_guard_entry guard; /* for the slow-client guard */
};

static struct connection_state *connection_state_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info != NULL ? info->socket_context : NULL;
}

/* MHD_OPTION_NOTIFY_CONNECTION: a connection opened or closed. A state
 * that cannot be allocated leaves the connection untracked (counted idle,
 * not guarded). */
static void connection_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
	struct http_server *server = cls;
	struct connection_state *state = *socket_context;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *info =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		state = info != NULL ? malloc(sizeof(*state)) : NULL;
		if (state != NULL) {
			state->phase = CONNECTION_NEW;
			atomic_fetch_add(&server->busy_connections, 1);
			http_guard_opened(&server->guard, &state->guard, info->connect_fd,
			                  http_guard_now_ms());
		}
		*socket_context = state;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && state != NULL) {
		http_guard_closed(&server->guard, &state->guard);
		if (state->phase != CONNECTION_IDLE)
			atomic_fetch_sub(&server->busy_connections, 1);
		free(state);
		*socket_context = NULL;
	}
}

/* MHD_OPTION_NOTIFY_COMPLETED: a request was answered (or aborted). MHD
 * calls it once after every uri_log() call. */
static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode code)
{
	struct http_server *server = cls;
	struct connection_state *state = connection_state_of(conn);
	(void)con_cls;
	(void)code;
	if (state == NULL)
		return;
	if (state->phase == CONNECTION_REQUEST) {
		state->phase = CONNECTION_IDLE;
		atomic_fetch_sub(&server->busy_connections, 1);
	}
	/* an aborted request's connection closes next: harmless */
	http_guard_kept(&server->guard, &state->guard, http_guard_now_ms());
}

/* The first sight of a request (its request line). */
static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_server *server = cls;
	struct connection_state *state = connection_state_of(conn);
	if (state != NULL) {
		if (state->phase == CONNECTION_IDLE)
			atomic_fetch_add(&server->busy_connections, 1);
		state->phase = CONNECTION_REQUEST;
	}
	atomic_fetch_add(&server->requests_started, 1);
	uintptr_t nul = http_target_has_nul(uri) ? REQUEST_NUL : 0;
	return (void *)(((uintptr_t)(strlen(uri) + 1) << REQUEST_SHIFT) | nul);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
	(void)version;
	(void)upload_data;
	struct http_server *server = cls;
	uintptr_t state = (uintptr_t)*con_cls;
	if (state & REQUEST_ANSWERED) {
		/* a body after the answer was queued: discard it */
		*upload_data_size = 0;
		return MHD_YES;
	}
	bool safe = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
	            strcmp(method, "OPTIONS") == 0;
	if (safe && !(state & REQUEST_SEEN)) {
		*con_cls = (void *)(state | REQUEST_SEEN);
		return MHD_YES;
	}
	if (safe && *upload_data_size != 0) {
		*upload_data_size = 0; /* a body on a GET means nothing here */
		return MHD_YES;
	}
	size_t uri_len =
	    (state >> REQUEST_SHIFT) > 0 ? (size_t)(state >> REQUEST_SHIFT) - 1 : strlen(url);
	*con_cls = (void *)(state | REQUEST_SEEN | REQUEST_ANSWERED);
	struct connection_state *connection = connection_state_of(conn);
	if (connection != NULL)
		http_guard_answered(&server->guard, &connection->guard);
	struct request *req = calloc(1, sizeof(*req));
	if (req == NULL)
		return MHD_NO;
	req->server = server;
	req->conn = conn;
	req->config = config_acquire(server);
	req->route = ROUTE_OTHER;
	req->origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	enum MHD_Result result = state & REQUEST_NUL
	                             ? send_error(req, 400, "NUL byte (%00) in the URL", NULL, 0)
	                             : dispatch(req, url, method, uri_len);
	config_release(req->config);
	free(req);
	return result;
}

/* fmt is libmicrohttpd's own; the attribute tells -Wformat=2 (clang) so. */
static void mhd_log(void *cls, const char *fmt, va_list ap) CASA_PRINTF(2, 0);
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *server = cls;
	char message[HTTP_LOG_MESSAGE_LEN];
	struct timespec now;
	unsigned repeated;
	vsnprintf(message, sizeof(message), fmt, ap);
	size_t n = strlen(message);
	while (n > 0 && (message[n - 1] == '\n' || message[n - 1] == '\r'))
		message[--n] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&server->log_lock);
	bool admitted = http_log_admit(&server->log_limit, message,
	                               (double)now.tv_sec + (double)now.tv_nsec / 1e9, &repeated);
	if (repeated > 0)
		log_warnx("http: the last message repeated %u more times", repeated);
	if (admitted)
		log_warnx("http: %s", message);
	pthread_mutex_unlock(&server->log_lock);
}

/* ---- lifecycle -------------------------------------------------------- */

/* The configuration stage owns the defaults (config.c); here a missing or
 * out-of-range value is a caller's mistake, refused with its name rather
 * than replaced. */
static bool options_valid(const struct http_options *options, char err[HTTP_ERROR_LEN])
{
	const char *bad = NULL;
	if (options->listen_host == NULL || options->listen_host[0] == '\0')
		bad = "listen_host: empty";
	else if (options->refresh_seconds < 1)
		bad = "refresh_seconds: must be at least 1 (it sets Cache-Control max-age)";
	else if (options->connection_timeout_s < 1)
		bad = "connection_timeout_s: must be at least 1";
	else if (options->header_timeout_s < 1)
		bad = "header_timeout_s: must be at least 1";
	else if (options->connection_limit < 1)
		bad = "connection_limit: must be at least 1";
	else if (options->per_ip_connection_limit < 0)
		bad = "per_ip_connection_limit: must be 0 (no limit) or more";
	else if (options->threads < 1)
		bad = "threads: must be at least 1";
	if (bad != NULL)
		snprintf(err, HTTP_ERROR_LEN, "invalid option %s", bad);
	return bad == NULL;
}

/* Descriptors the process needs besides its HTTP connections: the
 * listening socket, an epoll and a wake-up pipe per HTTP thread, the
 * database connections of a pull (source_parallel <= 16), state files. */
#define HTTP_OTHER_FDS 128

/* Raises the soft open-file limit to what connection_limit needs, within
 * the hard limit (Debian starts services with a soft limit of 1024 and a
 * hard one far above). Past the limit, accept() fails and libmicrohttpd
 * stops accepting for a while, which a flood of slow clients would cause
 * at will. */
static void raise_open_file_limit(int connection_limit)
{
	struct rlimit limit;
	rlim_t needed = (rlim_t)connection_limit + HTTP_OTHER_FDS;
	if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= needed)
		return;
	rlim_t was = limit.rlim_cur;
	limit.rlim_cur = limit.rlim_max < needed ? limit.rlim_max : needed;
	if (limit.rlim_cur > was && setrlimit(RLIMIT_NOFILE, &limit) == 0)
		log_info("http: open-file limit raised from %llu to %llu for %d connections",
		         (unsigned long long)was, (unsigned long long)limit.rlim_cur,
		         connection_limit);
	else
		limit.rlim_cur = was;
	if (limit.rlim_cur < needed)
		log_warnx("http: the open-file limit (%llu) is below http_connection_limit + %d; "
		          "connections past it wait unanswered (raise LimitNOFILE)",
		          (unsigned long long)limit.rlim_cur, HTTP_OTHER_FDS);
}

struct http_server *http_start(const struct http_options *options, struct snapshot_slot *slot,
                               struct stats *stats, char err[HTTP_ERROR_LEN])
{
	bool guarded = false;
	struct addrinfo hints, *addresses = NULL;
	struct http_server *server = NULL;
	err[0] = '\0';
	if (!options_valid(options, err))
		goto fail;
	server = calloc(1, sizeof(*server));
	if (server == NULL) {
		snprintf(err, HTTP_ERROR_LEN, "out of memory");
		goto fail;
	}
	server->slot = slot;
	server->stats = stats;
	pthread_mutex_init(&server->config_lock, NULL);
	pthread_mutex_init(&server->log_lock, NULL);
	server->config = http_config_new(options);
	if (server->config == NULL) {
		snprintf(err, HTTP_ERROR_LEN, "out of memory");
		goto fail;
	}
	http_files_load(&server->files, options->dashboard_dir);
	if (!http_guard_init(&server->guard, options->header_timeout_s,
	                     options->connection_timeout_s, options->connection_limit)) {
		snprintf(err, HTTP_ERROR_LEN, "cannot create a lock");
		goto fail;
	}
	guarded = true;
	raise_open_file_limit(options->connection_limit);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	char port[16];
	snprintf(port, sizeof(port), "%u", (unsigned)options->listen_port);
	const char *host = options->listen_host;
	int gai = getaddrinfo(host, port, &hints, &addresses);
	if (gai != 0 || addresses == NULL) {
		snprintf(err, HTTP_ERROR_LEN, "listen address %s: %s", host, gai_strerror(gai));
		goto fail;
	}
	unsigned flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (addresses->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	unsigned timeout = (unsigned)options->connection_timeout_s;
	unsigned limit = (unsigned)options->connection_limit;
	unsigned per_ip = (unsigned)options->per_ip_connection_limit; /* MHD: 0 = no limit */
	/* one internal polling thread, or a pool when more are asked for (the
	 * pool option is left out for one thread) */
	unsigned threads = (unsigned)options->threads;
	server->daemon = MHD_start_daemon(
	    flags, options->listen_port, NULL, NULL, handle, server, MHD_OPTION_EXTERNAL_LOGGER,
	    mhd_log, server, MHD_OPTION_SOCK_ADDR, addresses->ai_addr,
	    MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_CONNECTION_LIMIT, limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)HTTP_MEMORY_LIMIT, MHD_OPTION_URI_LOG_CALLBACK, uri_log, server,
	    MHD_OPTION_NOTIFY_CONNECTION, connection_notify, server, MHD_OPTION_NOTIFY_COMPLETED,
	    request_completed, server, threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
	    threads, MHD_OPTION_END);
	if (server->daemon == NULL) {
		snprintf(err, HTTP_ERROR_LEN, "cannot listen on %s port %u (in use or not allowed)",
		         host, (unsigned)options->listen_port);
		goto fail;
	}
	if (!http_guard_start(&server->guard)) {
		MHD_stop_daemon(server->daemon);
		snprintf(err, HTTP_ERROR_LEN, "cannot start the slow-client thread");
		goto fail;
	}
	freeaddrinfo(addresses);
	log_info("http: listening on %s port %u", host, (unsigned)options->listen_port);
	return server;
fail:
	if (addresses != NULL)
		freeaddrinfo(addresses);
	if (server != NULL) {
		if (guarded)
			http_guard_destroy(&server->guard);
		http_config_free(server->config);
		http_files_free(&server->files);
		pthread_mutex_destroy(&server->config_lock);
		pthread_mutex_destroy(&server->log_lock);
		free(server);
	}
	return NULL;
}

bool http_reload(struct http_server *server, const struct http_options *options)
{
	char err[HTTP_ERROR_LEN];
	if (!options_valid(options, err)) {
		log_warnx("http: reload: %s", err);
		return false;
	}
	struct http_config *next = http_config_new(options);
	if (next == NULL) {
		log_warnx("http: reload: out of memory");
		return false;
	}
	pthread_mutex_lock(&server->config_lock);
	struct http_config *old = server->config;
	server->config = next;
	pthread_mutex_unlock(&server->config_lock);
	config_release(old);
	return true;
}

/* Hands the connections the kernel completed but MHD had not accepted yet
 * to MHD, so that closing the listening socket does not reset them.
 * Returns how many. */
static unsigned adopt_queued_connections(struct http_server *server, int listen_fd)
{
	unsigned adopted = 0;
	int flags = fcntl(listen_fd, F_GETFL);
	if (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return 0;
	for (;;) {
		struct sockaddr_storage addr;
		socklen_t len = sizeof(addr);
		int fd = accept(listen_fd, (struct sockaddr *)&addr, &len);
		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0)
			break;                        /* EAGAIN: the queue is empty */
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC); /* as MHD's own sockets */
		/* on failure MHD closes fd itself */
		if (MHD_add_connection(server->daemon, fd, (struct sockaddr *)&addr, len) ==
		    MHD_YES)
			adopted++;
	}
	return adopted;
}

/* Waits (bounded) until no connection has been busy for HTTP_QUIET_MS;
 * returns the connections still busy at the deadline. */
static int drain(struct http_server *server)
{
	const int step_ms = 10;
	uint_least64_t seen = atomic_load(&server->requests_started);
	int quiet_ms = 0;
	for (int waited = 0; waited < HTTP_DRAIN_MS; waited += step_ms) {
		struct timespec pause = {0, step_ms * 1000L * 1000L};
		nanosleep(&pause, NULL);
		uint_least64_t started = atomic_load(&server->requests_started);
		bool idle = atomic_load(&server->busy_connections) == 0 &&
		            atomic_load(&server->in_flight) == 0 && started == seen;
		quiet_ms = idle ? quiet_ms + step_ms : 0;
		seen = started;
		if (quiet_ms >= HTTP_QUIET_MS)
			return 0;
	}
	return atomic_load(&server->busy_connections);
}

void http_stop(struct http_server *server)
{
	if (server == NULL)
		return;
	/* Stop accepting, and close the listening socket right away so that
	 * new connections are refused: a connection the kernel had already
	 * completed is first handed to MHD and answered. Only then do answers
	 * say Connection: close, so a client told to reconnect is refused. */
	MHD_socket listen_fd = MHD_quiesce_daemon(server->daemon);
	unsigned adopted = 0;
	if (listen_fd != MHD_INVALID_SOCKET) {
		adopted = adopt_queued_connections(server, listen_fd);
		close(listen_fd);
	}
	atomic_store(&server->draining, true);
	/* Drain: every connection accepted gets the answer to the request it
	 * sent or is sending; connections idle between keep-alive requests are
	 * closed with the daemon. */
	int busy = drain(server);
	if (adopted > 0)
		log_info("http: stop: took over %u connections queued at the listening socket",
		         adopted);
	if (busy > 0)
		log_warnx("http: stop: %d connections still busy after %d ms; closing them", busy,
		          HTTP_DRAIN_MS);
	MHD_stop_daemon(server->daemon);
	/* after MHD: no connection is reported to the guard any more */
	http_guard_destroy(&server->guard);
	unsigned repeated = http_log_flush(&server->log_limit);
	if (repeated > 0)
		log_warnx("http: the last message repeated %u more times", repeated);
	config_release(server->config);
	http_files_free(&server->files);
	pthread_mutex_destroy(&server->config_lock);
	pthread_mutex_destroy(&server->log_lock);
	free(server);
}
