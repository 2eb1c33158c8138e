/*
 * http.c — the HTTP stage (libmicrohttpd, SPEC §6): routes, content
 * negotiation, conditional requests, CORS, bearer tokens, limits.
 *
 * Nothing here computes a metric: a request looks a pre-rendered body up in
 * the snapshot it acquired, checks headers and sends it (or a slice of it).
 * The snapshot reference is released in the response's free callback, so a
 * refresh never frees a body that is still being written to a socket.
 * Request input never reaches SQL (there is none here) nor a log line, and
 * error bodies never echo it.
 */
#include "casa/http.h"

#include <dirent.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "casa/buf.h"
#include "casa/log.h"
#include "casa/metrics.h"
#include "http_internal.h"

#ifndef CASA_VERSION
#define CASA_VERSION "0.0.0"
#endif

/* Limits on hostile or broken requests. 2048 bytes is the classic safe URL
 * length; no legitimate query uses more than 5 parameters, so 16 leaves room
 * for cache-busters. The memory limit bounds the request line and headers
 * (MHD answers 414/431 itself past it). */
#define HTTP_URL_MAX             2048
#define HTTP_PARAMS_MAX          16
#define HTTP_MEMORY_LIMIT        (32 * 1024)
#define HTTP_DEFAULT_TIMEOUT_S   30
#define HTTP_DEFAULT_CONNECTIONS 512
#define HTTP_DEFAULT_PER_IP      64
/* http_stop waits this long for requests in flight before closing. */
#define HTTP_DRAIN_MS 5000
/* Dashboard files are small static assets; refuse anything bigger. */
#define HTTP_FILE_MAX  (16 * 1024 * 1024)
#define HTTP_FILES_MAX 256

static const char *const route_names[ROUTE_COUNT] = {"catalog",   "table",   "summary", "quality",
                                                     "openapi",   "healthz", "readyz",  "metrics",
                                                     "dashboard", "other"};

static const unsigned tracked_status[HTTP_STATUS_SLOTS - 1] = {200, 204, 304, 400, 401, 404,
                                                               405, 406, 414, 500, 503};

static int status_slot(unsigned status)
{
	for (int i = 0; i < HTTP_STATUS_SLOTS - 1; i++)
		if (tracked_status[i] == status)
			return i;
	return HTTP_STATUS_SLOTS - 1;
}

/* ---- configuration (reloadable) --------------------------------------- */

void http_config_free(struct http_config *config)
{
	if (config == NULL)
		return;
	for (size_t i = 0; i < config->origin_count; i++)
		free(config->origins[i]);
	for (size_t i = 0; i < config->token_count; i++)
		free(config->tokens[i]);
	free(config->origins);
	free(config->tokens);
	free(config);
}

/* Splits a comma-separated list, trimming blanks and dropping empty items. */
static bool split_list(const char *list, char ***out, size_t *count)
{
	*out = NULL;
	*count = 0;
	if (list == NULL)
		return true;
	size_t cap = 1;
	for (const char *p = list; *p; p++)
		cap += *p == ',';
	char **items = calloc(cap, sizeof(*items));
	if (items == NULL)
		return false;
	const char *p = list;
	while (*p) {
		const char *end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		const char *a = p, *b = end;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b > a) {
			items[*count] = strndup(a, (size_t)(b - a));
			if (items[*count] == NULL)
				goto fail;
			(*count)++;
		}
		p = *end ? end + 1 : end;
	}
	*out = items;
	return true;
fail:
	for (size_t i = 0; i < *count; i++)
		free(items[i]);
	free(items);
	*count = 0;
	return false;
}

struct http_config *http_config_new(const struct http_options *options)
{
	struct http_config *config = calloc(1, sizeof(*config));
	if (config == NULL)
		return NULL;
	atomic_init(&config->refs, 1);
	if (!split_list(options->cors_origins, &config->origins, &config->origin_count) ||
	    !split_list(options->api_tokens, &config->tokens, &config->token_count))
		goto fail;
	for (size_t i = 0; i < config->origin_count; i++)
		if (strcmp(config->origins[i], "*") == 0)
			config->any_origin = true;
	/* Cache-Control max-age follows the refresh schedule: a body cannot
	 * change sooner. At least 1 second so caches still coalesce polls. */
	config->max_age = options->refresh_seconds > 1 ? options->refresh_seconds : 1;
	return config;
fail:
	http_config_free(config);
	return NULL;
}

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

/* ---- header parsing (pure, tested in test_http.c) --------------------- */

/* Length-bounded case-insensitive equality. */
static bool token_equal(const char *a, size_t n, const char *b)
{
	return strlen(b) == n && strncasecmp(a, b, n) == 0;
}

double http_accept_q(const char *header, const char *token)
{
	if (header == NULL)
		return -1;
	double found = -1;
	const char *p = header;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		const char *start = p;
		while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
			p++;
		size_t n = (size_t)(p - start);
		double q = 1;
		/* parameters: only q matters */
		while (*p && *p != ',') {
			if (*p == ';') {
				p++;
				while (*p == ' ' || *p == '\t')
					p++;
				if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
					char *end;
					q = strtod(p + 2, &end);
					if (end == p + 2 || q < 0 || q > 1)
						q = 0;
					p = end;
					continue;
				}
			}
			if (*p && *p != ',')
				p++;
		}
		if (token_equal(start, n, token) && q > found)
			found = q;
	}
	return found;
}

bool http_accepts_gzip(const char *accept_encoding)
{
	double gzip = http_accept_q(accept_encoding, "gzip");
	double xgzip = http_accept_q(accept_encoding, "x-gzip");
	if (xgzip > gzip)
		gzip = xgzip;
	if (gzip >= 0)
		return gzip > 0;
	return http_accept_q(accept_encoding, "*") > 0;
}

bool http_prefers_csv(const char *accept)
{
	double csv = http_accept_q(accept, "text/csv");
	double json = http_accept_q(accept, "application/json");
	return csv > 0 && csv > json;
}

bool http_etag_matches(const char *if_none_match, const char *etag)
{
	if (if_none_match == NULL || etag == NULL || etag[0] == '\0')
		return false;
	/* Weak comparison (RFC 9110 §13.1.2): W/"x" matches "x". */
	size_t etag_len = strlen(etag);
	const char *p = if_none_match;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (*p == '*')
			return true;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		const char *start = p;
		if (*p == '"') {
			p++;
			while (*p && *p != '"')
				p++;
			if (*p == '"')
				p++;
		} else {
			while (*p && *p != ',' && *p != ' ')
				p++;
		}
		if ((size_t)(p - start) == etag_len && memcmp(start, etag, etag_len) == 0)
			return true;
		while (*p && *p != ',')
			p++;
	}
	return false;
}

bool http_token_ok(const struct http_config *config, const char *authorization)
{
	if (config->token_count == 0)
		return true;
	if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
		return false;
	const char *given = authorization + 7;
	while (*given == ' ')
		given++;
	size_t given_len = strlen(given);
	/* Constant time in the given token: every configured token is compared
	 * over its whole length, with no early exit on a mismatch. */
	unsigned ok = 0;
	for (size_t t = 0; t < config->token_count; t++) {
		const char *token = config->tokens[t];
		size_t len = strlen(token);
		unsigned diff = len != given_len;
		for (size_t i = 0; i < len; i++)
			diff |=
			    (unsigned char)token[i] ^ (unsigned char)(i < given_len ? given[i] : 0);
		ok |= diff == 0;
	}
	return ok != 0;
}

const char *http_cors_origin(const struct http_config *config, const char *origin)
{
	if (origin == NULL || origin[0] == '\0')
		return NULL;
	if (config->any_origin)
		return "*";
	for (size_t i = 0; i < config->origin_count; i++)
		if (strcmp(config->origins[i], origin) == 0)
			return config->origins[i];
	return NULL;
}

/* ---- dashboard files -------------------------------------------------- */

static const char *content_type_of(const char *name)
{
	static const struct {
		const char *ext;  /* file name suffix */
		const char *type; /* Content-Type */
	} types[] = {
	    {".html", "text/html; charset=utf-8"},
	    {".htm", "text/html; charset=utf-8"},
	    {".css", "text/css; charset=utf-8"},
	    {".js", "text/javascript; charset=utf-8"},
	    {".mjs", "text/javascript; charset=utf-8"},
	    {".json", "application/json; charset=utf-8"},
	    {".svg", "image/svg+xml"},
	    {".png", "image/png"},
	    {".ico", "image/x-icon"},
	    {".txt", "text/plain; charset=utf-8"},
	    {".map", "application/json; charset=utf-8"},
	    {".woff2", "font/woff2"},
	};
	size_t n = strlen(name);
	for (size_t i = 0; i < CASA_ARRAY_LEN(types); i++) {
		size_t e = strlen(types[i].ext);
		if (n > e && strcasecmp(name + n - e, types[i].ext) == 0)
			return types[i].type;
	}
	return "application/octet-stream";
}

bool http_plain_file_name(const char *name)
{
	if (name[0] == '\0' || name[0] == '.' || strlen(name) > 128)
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_'))
			return false;
	}
	return strstr(name, "..") == NULL;
}

static void files_free(struct http_server *server)
{
	for (size_t i = 0; i < server->file_count; i++) {
		free(server->files[i].name);
		free(server->files[i].data);
	}
	free(server->files);
	server->files = NULL;
	server->file_count = 0;
}

/* Reads the dashboard once at start: requests then never touch the disk, and
 * only names found here can ever be served (no path from the request). */
static void files_load(struct http_server *server, const char *dir)
{
	if (dir == NULL || dir[0] == '\0')
		return;
	DIR *d = opendir(dir);
	if (d == NULL) {
		log_warn("http: dashboard directory %s", dir);
		return;
	}
	server->files = calloc(HTTP_FILES_MAX, sizeof(*server->files));
	if (server->files == NULL) {
		closedir(d);
		return;
	}
	struct dirent *entry;
	while ((entry = readdir(d)) != NULL && server->file_count < HTTP_FILES_MAX) {
		if (!http_plain_file_name(entry->d_name))
			continue;
		char path[4096];
		if (snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name) >= (int)sizeof(path))
			continue;
		FILE *f = fopen(path, "rb");
		if (f == NULL)
			continue;
		struct stat st;
		if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
		    st.st_size > HTTP_FILE_MAX) {
			fclose(f);
			continue;
		}
		struct http_file *file = &server->files[server->file_count];
		file->len = (size_t)st.st_size;
		file->data = malloc(file->len + 1);
		file->name = strdup(entry->d_name);
		if (file->data == NULL || file->name == NULL ||
		    fread(file->data, 1, file->len, f) != file->len) {
			free(file->data);
			free(file->name);
			memset(file, 0, sizeof(*file));
			fclose(f);
			continue;
		}
		fclose(f);
		file->content_type = content_type_of(file->name);
		snprintf(file->etag, sizeof(file->etag), "\"%016llx\"",
		         (unsigned long long)snapshot_hash(file->data, file->len, 0));
		server->file_count++;
	}
	closedir(d);
}

static const struct http_file *file_find(const struct http_server *server, const char *name)
{
	for (size_t i = 0; i < server->file_count; i++)
		if (strcmp(server->files[i].name, name) == 0)
			return &server->files[i];
	return NULL;
}

/* ---- responses -------------------------------------------------------- */

/* Everything one request needs while it is answered. */
struct request {
	struct http_server *server;                 /* owner */
	struct MHD_Connection *conn;                /* MHD connection */
	struct http_config *config;                 /* acquired for the request */
	enum route route;                           /* for the request counters */
	bool head;                                  /* HEAD: MHD drops the body */
	const char *origin;                         /* Origin header or NULL */
	struct query_param params[HTTP_PARAMS_MAX]; /* query, decoded by MHD */
	size_t param_count;                         /* entries in params */
	size_t param_total;                         /* all parameters seen */
	bool param_duplicate;                       /* the same name twice */
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
	if (atomic_load(&req->server->stats->stale))
		MHD_add_response_header(response, "X-Casa-Stale", "true");
	MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
}

static enum MHD_Result queue(struct request *req, unsigned status, struct MHD_Response *response)
{
	if (response == NULL) {
		atomic_fetch_add(&req->server->requests[req->route][status_slot(500)], 1);
		return MHD_NO;
	}
	enum MHD_Result result = MHD_queue_response(req->conn, status, response);
	MHD_destroy_response(response);
	atomic_fetch_add(&req->server->requests[req->route][status_slot(status)], 1);
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
	buf_printf(&body, "{\"error\":{\"status\":%u,\"message\":\"%s\"", status, message);
	if (allowed != NULL) {
		buf_puts(&body, ",\"allowed\":[");
		for (size_t i = 0; i < allowed_count; i++)
			buf_printf(&body, "%s\"%s\"", i ? "," : "", allowed[i]);
		buf_puts(&body, "]");
	}
	buf_puts(&body, "}}\n");
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

static const char *param(const struct request *req, const char *name)
{
	for (size_t i = 0; i < req->param_count; i++)
		if (strcmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	return NULL;
}

static enum MHD_Result route_table(struct request *req, const char *id)
{
	static const char *const known[] = {"period_type", "by", "from", "to", "format"};
	const char *ids[METRIC_COUNT];
	const char *allowed[DIM_COUNT + PERIOD_TYPE_COUNT];
	for (int m = 0; m < METRIC_COUNT; m++)
		ids[m] = metrics_catalog[m].id;
	for (size_t i = 0; i < req->param_count; i++) {
		bool ok = false;
		for (size_t k = 0; k < CASA_ARRAY_LEN(known); k++)
			ok |= strcmp(req->params[i].name, known[k]) == 0;
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
	const char *text = param(req, "period_type");
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
	text = param(req, "by");
	enum dim dim = DIM_TOTAL;
	if (text != NULL &&
	    (!metrics_dim_parse(text, &dim) || (dim != DIM_TOTAL && !(def->dims & DIM_BIT(dim)))))
		return send_error(req, 400, "bad by: breakdown not available for this metric",
		                  allowed, n);

	static const char *const formats[] = {"json", "csv"};
	text = param(req, "format");
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
	const char *from_text = param(req, "from"), *to_text = param(req, "to");
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
		snapshot_unref(snapshot);
		return send_error(req, 404, "table not published in this snapshot", NULL, 0);
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

static enum MHD_Result route_readyz(struct request *req)
{
	struct http_server *server = req->server;
	struct snapshot *snapshot = snapshot_slot_acquire(server->slot);
	struct buf body = {0};
	char meta[SNAPSHOT_META_LEN] = "null", last[SNAPSHOT_TIME_LEN + 2] = "null";
	if (snapshot != NULL)
		snapshot_meta_json(snapshot, meta);
	int64_t last_success = atomic_load(&server->stats->last_success_unix);
	if (last_success > 0) {
		char when[SNAPSHOT_TIME_LEN];
		snapshot_format_rfc3339(last_success, when);
		snprintf(last, sizeof(last), "\"%s\"", when);
	}
	buf_printf(&body,
	           "{\"ready\":%s,\"stale\":%s,\"snapshot\":%s,\"last_success\":%s,"
	           "\"refresh_failures\":%llu,\"db_up\":%s}\n",
	           snapshot ? "true" : "false",
	           atomic_load(&server->stats->stale) ? "true" : "false", meta, last,
	           (unsigned long long)atomic_load(&server->stats->refresh_failures),
	           atomic_load(&server->stats->db_up) ? "true" : "false");
	unsigned status = snapshot != NULL ? 200 : 503;
	snapshot_unref(snapshot);
	if (body.failed) {
		free(body.data);
		return queue(req, 500, NULL);
	}
	enum MHD_Result result =
	    send_text(req, status, "application/json; charset=utf-8", body.data, body.len);
	free(body.data);
	return result;
}

static void prom_header(struct buf *t, const char *name, const char *type, const char *help)
{
	buf_printf(t, "# HELP casa_metrics_%s %s\n# TYPE casa_metrics_%s %s\n", name, help, name,
	           type);
}

/* Prometheus text exposition format 0.0.4. Labels are fixed names (tables,
 * rules, routes): never request input or data values. */
static void render_prometheus(struct http_server *server, struct buf *t)
{
	struct stats *stats = server->stats;
	struct snapshot *snapshot = snapshot_slot_acquire(server->slot);
	prom_header(t, "refresh_duration_seconds", "histogram", "Duration of refreshes.");
	uint64_t cumulative = 0;
	for (int b = 0; b <= STATS_REFRESH_BUCKETS; b++) {
		cumulative += atomic_load(&stats->refresh_buckets[b]);
		if (b < STATS_REFRESH_BUCKETS)
			buf_printf(t,
			           "casa_metrics_refresh_duration_seconds_bucket{le=\"%g\"} %llu\n",
			           stats_refresh_bucket_bounds[b], (unsigned long long)cumulative);
		else
			buf_printf(
			    t, "casa_metrics_refresh_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
			    (unsigned long long)cumulative);
	}
	buf_printf(t, "casa_metrics_refresh_duration_seconds_sum %.6f\n",
	           (double)atomic_load(&stats->refresh_seconds_sum_us) / 1e6);
	buf_printf(t, "casa_metrics_refresh_duration_seconds_count %llu\n",
	           (unsigned long long)cumulative);
	prom_header(t, "last_success_timestamp_seconds", "gauge",
	            "Unix time of the last successful refresh (0 = never).");
	buf_printf(t, "casa_metrics_last_success_timestamp_seconds %lld\n",
	           (long long)atomic_load(&stats->last_success_unix));
	prom_header(t, "refresh_failures_total", "counter", "Failed refresh attempts.");
	buf_printf(t, "casa_metrics_refresh_failures_total %llu\n",
	           (unsigned long long)atomic_load(&stats->refresh_failures));
	prom_header(t, "refreshes_total", "counter", "Refreshes that built a snapshot.");
	buf_printf(t, "casa_metrics_refreshes_total %llu\n",
	           (unsigned long long)atomic_load(&stats->refreshes));
	prom_header(t, "refresh_skipped_total", "counter",
	            "Refreshes skipped because the refresh key was unchanged.");
	buf_printf(t, "casa_metrics_refresh_skipped_total %llu\n",
	           (unsigned long long)atomic_load(&stats->refresh_skipped));
	prom_header(t, "refresh_key", "gauge",
	            "max(batch_id) of the source behind the last refresh (-1 = none).");
	buf_printf(t, "casa_metrics_refresh_key %lld\n",
	           (long long)atomic_load(&stats->refresh_key));
	prom_header(t, "rows_loaded", "gauge", "Rows read per source table in the last pull.");
	for (int i = 0; i < MODEL_TABLE_COUNT; i++)
		buf_printf(t, "casa_metrics_rows_loaded{table=\"%s\"} %llu\n", model_table_names[i],
		           (unsigned long long)atomic_load(&stats->rows_loaded[i]));
	prom_header(t, "dq_violations", "gauge", "Data-quality rule hits in the last build.");
	for (int i = 0; i < DQ_RULE_COUNT; i++)
		buf_printf(t, "casa_metrics_dq_violations{rule=\"%s\"} %llu\n",
		           model_dq_rule_names[i],
		           (unsigned long long)atomic_load(&stats->dq_violations[i]));
	prom_header(t, "suppressed_cells", "gauge", "Cells published as suppressed.");
	uint64_t suppressed = snapshot != NULL ? snapshot_suppressed_cells(snapshot)
	                                       : atomic_load(&stats->suppressed_cells);
	buf_printf(t, "casa_metrics_suppressed_cells %llu\n", (unsigned long long)suppressed);
	prom_header(t, "stale", "gauge", "1 when the served snapshot is stale.");
	buf_printf(t, "casa_metrics_stale %d\n", atomic_load(&stats->stale) ? 1 : 0);
	prom_header(t, "db_up", "gauge", "1 when the last contact with the database worked.");
	buf_printf(t, "casa_metrics_db_up %d\n", atomic_load(&stats->db_up) ? 1 : 0);
	prom_header(t, "snapshot_age_seconds", "gauge",
	            "Seconds since the served snapshot was computed (-1 = none).");
	long long age = -1;
	if (snapshot != NULL)
		age = (long long)time(NULL) - (long long)snapshot_generated_at(snapshot);
	buf_printf(t, "casa_metrics_snapshot_age_seconds %lld\n", age);
	prom_header(t, "http_requests_total", "counter", "HTTP requests by route and status.");
	for (int r = 0; r < ROUTE_COUNT; r++) {
		for (int s = 0; s < HTTP_STATUS_SLOTS; s++) {
			uint64_t n = atomic_load(&server->requests[r][s]);
			if (n == 0)
				continue;
			if (s < HTTP_STATUS_SLOTS - 1)
				buf_printf(t,
				           "casa_metrics_http_requests_total{route=\"%s\","
				           "code=\"%u\"} %llu\n",
				           route_names[r], tracked_status[s],
				           (unsigned long long)n);
			else
				buf_printf(t,
				           "casa_metrics_http_requests_total{route=\"%s\","
				           "code=\"other\"} %llu\n",
				           route_names[r], (unsigned long long)n);
		}
	}
	prom_header(t, "build_info", "gauge", "Build information.");
	buf_printf(t, "casa_metrics_build_info{version=\"%s\"} 1\n", CASA_VERSION);
	snapshot_unref(snapshot);
}

static enum MHD_Result route_metrics(struct request *req)
{
	struct buf body = {0};
	render_prometheus(req->server, &body);
	if (body.failed) {
		free(body.data);
		return queue(req, 500, NULL);
	}
	enum MHD_Result result =
	    send_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", body.data, body.len);
	free(body.data);
	return result;
}

static enum MHD_Result route_file(struct request *req, const char *name)
{
	const struct http_file *file =
	    http_plain_file_name(name) ? file_find(req->server, name) : NULL;
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

enum route http_route_of(const char *path, const char **rest)
{
	static const char table_prefix[] = "/api/v1/metrics/";
	*rest = NULL;
	if (strcmp(path, "/api/v1/metrics") == 0)
		return ROUTE_CATALOG;
	if (strncmp(path, table_prefix, sizeof(table_prefix) - 1) == 0) {
		*rest = path + sizeof(table_prefix) - 1;
		return ROUTE_TABLE;
	}
	if (strcmp(path, "/api/v1/summary") == 0)
		return ROUTE_SUMMARY;
	if (strcmp(path, "/api/v1/quality") == 0)
		return ROUTE_QUALITY;
	if (strcmp(path, "/api/v1/openapi.json") == 0)
		return ROUTE_OPENAPI;
	if (strcmp(path, "/healthz") == 0)
		return ROUTE_HEALTHZ;
	if (strcmp(path, "/readyz") == 0)
		return ROUTE_READYZ;
	if (strcmp(path, "/metrics") == 0)
		return ROUTE_METRICS;
	if (strcmp(path, "/") == 0) {
		*rest = "index.html";
		return ROUTE_DASHBOARD;
	}
	if (path[0] == '/' && strchr(path + 1, '/') == NULL && strncmp(path, "/api", 4) != 0) {
		*rest = path + 1;
		return ROUTE_DASHBOARD;
	}
	return ROUTE_OTHER;
}

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
	(void)kind;
	struct request *req = cls;
	req->param_total++;
	for (size_t i = 0; i < req->param_count; i++)
		if (strcmp(req->params[i].name, key) == 0)
			req->param_duplicate = true;
	if (req->param_count < HTTP_PARAMS_MAX) {
		req->params[req->param_count].name = key;
		req->params[req->param_count].value = value != NULL ? value : "";
		req->param_count++;
	}
	return MHD_YES;
}

static enum MHD_Result dispatch(struct request *req, const char *url, const char *method,
                                size_t uri_len)
{
	const char *rest = NULL;
	req->route = http_route_of(url, &rest);
	if (uri_len > HTTP_URL_MAX)
		return send_error(req, 414, "URL too long", NULL, 0);
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_param, req);
	if (req->param_total > HTTP_PARAMS_MAX)
		return send_error(req, 400, "too many query parameters", NULL, 0);
	if (req->param_duplicate)
		return send_error(req, 400, "repeated query parameter", NULL, 0);
	for (size_t i = 0; i < req->param_count; i++)
		if (strchr(req->params[i].value, '%') != NULL || strchr(req->params[i].name, '%'))
			return send_error(req, 400, "malformed percent-encoding", NULL, 0);
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
	case ROUTE_QUALITY:
		return route_resource(req, SNAPSHOT_QUALITY);
	case ROUTE_OPENAPI:
		return route_resource(req, SNAPSHOT_OPENAPI);
	case ROUTE_HEALTHZ:
		return send_text(req, 200, "application/json; charset=utf-8",
		                 "{\"status\":\"ok\"}\n", 16);
	case ROUTE_READYZ:
		return route_readyz(req);
	case ROUTE_METRICS:
		return route_metrics(req);
	case ROUTE_DASHBOARD:
		return route_file(req, rest);
	case ROUTE_OTHER:
	default:
		return send_error(req, 404, "not found", NULL, 0);
	}
}

/* con_cls carries request state as a tagged integer, never dereferenced:
 * the raw URI length + 1 (from uri_log(), shifted left by 2) and two flags.
 * Answering on the first call makes libmicrohttpd 0.9.75 close the
 * connection, so safe methods are answered on the second call (after the
 * headers), which keeps polling clients on one keep-alive connection. */
#define REQUEST_SEEN     ((uintptr_t)1)
#define REQUEST_ANSWERED ((uintptr_t)2)

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	return (void *)((uintptr_t)(strlen(uri) + 1) << 2);
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
	size_t uri_len = (state >> 2) > 0 ? (size_t)(state >> 2) - 1 : strlen(url);
	*con_cls = (void *)(state | REQUEST_SEEN | REQUEST_ANSWERED);
	struct request *req = calloc(1, sizeof(*req));
	if (req == NULL)
		return MHD_NO;
	req->server = server;
	req->conn = conn;
	req->config = config_acquire(server);
	req->route = ROUTE_OTHER;
	req->origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	enum MHD_Result result = dispatch(req, url, method, uri_len);
	config_release(req->config);
	free(req);
	return result;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char message[512];
	vsnprintf(message, sizeof(message), fmt, ap);
	size_t n = strlen(message);
	while (n > 0 && (message[n - 1] == '\n' || message[n - 1] == '\r'))
		message[--n] = '\0';
	log_warnx("http: %s", message);
}

/* ---- lifecycle -------------------------------------------------------- */

struct http_server *http_start(const struct http_options *options, struct snapshot_slot *slot,
                               struct stats *stats, char err[HTTP_ERROR_LEN])
{
	struct addrinfo hints, *addresses = NULL;
	struct http_server *server = calloc(1, sizeof(*server));
	err[0] = '\0';
	if (server == NULL) {
		snprintf(err, HTTP_ERROR_LEN, "out of memory");
		goto fail;
	}
	server->slot = slot;
	server->stats = stats;
	pthread_mutex_init(&server->config_lock, NULL);
	server->config = http_config_new(options);
	if (server->config == NULL) {
		snprintf(err, HTTP_ERROR_LEN, "out of memory");
		goto fail;
	}
	files_load(server, options->dashboard_dir);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	char port[16];
	snprintf(port, sizeof(port), "%u", (unsigned)options->listen_port);
	const char *host = options->listen_host && options->listen_host[0]
	                       ? options->listen_host
	                       : "127.0.0.1"; /* SPEC §7: loopback by default */
	int gai = getaddrinfo(host, port, &hints, &addresses);
	if (gai != 0 || addresses == NULL) {
		snprintf(err, HTTP_ERROR_LEN, "listen address %s: %s", host, gai_strerror(gai));
		goto fail;
	}
	unsigned flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (addresses->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	unsigned timeout = options->connection_timeout_s > 0
	                       ? (unsigned)options->connection_timeout_s
	                       : HTTP_DEFAULT_TIMEOUT_S;
	unsigned limit = options->connection_limit > 0 ? (unsigned)options->connection_limit
	                                               : HTTP_DEFAULT_CONNECTIONS;
	unsigned per_ip = options->per_ip_connection_limit > 0
	                      ? (unsigned)options->per_ip_connection_limit
	                      : HTTP_DEFAULT_PER_IP;
	/* one internal polling thread, or a pool when more are asked for (the
	 * pool option is left out for one thread) */
	unsigned threads = options->threads > 1 ? (unsigned)options->threads : 1;
	server->daemon = MHD_start_daemon(
	    flags, options->listen_port, NULL, NULL, handle, server, MHD_OPTION_EXTERNAL_LOGGER,
	    mhd_log, server, MHD_OPTION_SOCK_ADDR, addresses->ai_addr,
	    MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_CONNECTION_LIMIT, limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)HTTP_MEMORY_LIMIT, MHD_OPTION_URI_LOG_CALLBACK, uri_log, server,
	    threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads, MHD_OPTION_END);
	if (server->daemon == NULL) {
		snprintf(err, HTTP_ERROR_LEN, "cannot listen on %s port %u (in use or not allowed)",
		         host, (unsigned)options->listen_port);
		goto fail;
	}
	freeaddrinfo(addresses);
	log_info("http: listening on %s port %u", host, (unsigned)options->listen_port);
	return server;
fail:
	if (addresses != NULL)
		freeaddrinfo(addresses);
	if (server != NULL) {
		http_config_free(server->config);
		files_free(server);
		pthread_mutex_destroy(&server->config_lock);
		free(server);
	}
	return NULL;
}

bool http_reload(struct http_server *server, const struct http_options *options)
{
	struct http_config *next = http_config_new(options);
	if (next == NULL)
		return false;
	pthread_mutex_lock(&server->config_lock);
	struct http_config *old = server->config;
	server->config = next;
	pthread_mutex_unlock(&server->config_lock);
	config_release(old);
	return true;
}

void http_stop(struct http_server *server)
{
	if (server == NULL)
		return;
	/* Stop accepting: close the listening socket right away, so that new
	 * connections are refused instead of queueing in the backlog only to be
	 * reset by MHD_stop_daemon(). */
	MHD_socket listen_fd = MHD_quiesce_daemon(server->daemon);
	if (listen_fd != MHD_INVALID_SOCKET)
		close(listen_fd);
	/* Drain (bounded): bodies in flight, and connections already accepted
	 * whose request has not started yet, each get their answer. */
	for (int waited = 0; waited < HTTP_DRAIN_MS; waited += 10) {
		const union MHD_DaemonInfo *info =
		    MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (atomic_load(&server->in_flight) == 0 &&
		    (info == NULL || info->num_connections == 0))
			break;
		struct timespec pause = {0, 10 * 1000 * 1000};
		nanosleep(&pause, NULL);
	}
	MHD_stop_daemon(server->daemon);
	config_release(server->config);
	files_free(server);
	pthread_mutex_destroy(&server->config_lock);
	free(server);
}
