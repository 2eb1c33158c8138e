/*
 * http_ops.c — what operators and orchestrators poll (SPEC §6-7): /healthz
 * (process alive), /readyz (serving a snapshot, stale or not) and /metrics
 * (Prometheus text), with the per-route request counters it exposes.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "casa/model.h"
#include "casa/version.h"
#include "http_internal.h"

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

bool http_log_admit(struct http_log_limit *limit, const char *message, double now,
                    unsigned *repeated)
{
	*repeated = 0;
	if (strncmp(message, limit->last, sizeof(limit->last) - 1) == 0 &&
	    now - limit->logged_at < HTTP_LOG_WINDOW_S) {
		limit->repeated++;
		return false;
	}
	*repeated = limit->repeated;
	limit->repeated = 0;
	snprintf(limit->last, sizeof(limit->last), "%s", message);
	limit->logged_at = now;
	return true;
}

unsigned http_log_flush(struct http_log_limit *limit)
{
	unsigned repeated = limit->repeated;
	limit->repeated = 0;
	return repeated;
}

void http_ops_count(struct http_server *server, enum route route, unsigned status)
{
	atomic_fetch_add(&server->requests[route][status_slot(status)], 1);
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
	/* row counts as the snapshot's disclosure mode publishes them (dp:
	 * rounded to k, so a new row does not show by itself) */
	prom_header(t, "rows_loaded", "gauge",
	            "Rows read per source table in the last pull (dp mode: rounded to min_cell).");
	for (int i = 0; i < MODEL_TABLE_COUNT; i++)
		buf_printf(t, "casa_metrics_rows_loaded{table=\"%s\"} %llu\n", model_table_names[i],
		           (unsigned long long)snapshot_published_row_count(
		               snapshot, atomic_load(&stats->rows_loaded[i])));
	prom_header(t, "dq_violations", "gauge",
	            "Data-quality rule hits in the last build (dp mode: rounded to min_cell).");
	for (int i = 0; i < DQ_RULE_COUNT; i++)
		buf_printf(t, "casa_metrics_dq_violations{rule=\"%s\"} %llu\n",
		           model_dq_rule_names[i],
		           (unsigned long long)snapshot_published_row_count(
		               snapshot, atomic_load(&stats->dq_violations[i])));
	prom_header(t, "suppressed_cells", "gauge", "Cells published as suppressed.");
	uint64_t suppressed = snapshot != NULL ? snapshot_suppressed_cells(snapshot)
	                                       : atomic_load(&stats->suppressed_cells);
	buf_printf(t, "casa_metrics_suppressed_cells %llu\n", (unsigned long long)suppressed);
	prom_header(t, "stale", "gauge",
	            "1 when the served snapshot is stale (the last refresh failed, or the one in "
	            "progress is past refresh_deadline).");
	buf_printf(t, "casa_metrics_stale %d\n", stats_stale(stats) ? 1 : 0);
	prom_header(t, "refresh_running_seconds", "gauge",
	            "Seconds the refresh in progress has run (0 = none running).");
	buf_printf(t, "casa_metrics_refresh_running_seconds %.3f\n",
	           (double)stats_refresh_running_ms(stats) / 1000);
	prom_header(t, "db_up", "gauge", "1 when the last contact with the database worked.");
	buf_printf(t, "casa_metrics_db_up %d\n", atomic_load(&stats->db_up) ? 1 : 0);
	prom_header(
	    t, "snapshot_age_seconds", "gauge",
	    "Seconds since the served snapshot's generated_at: its batch's loaded_at or the "
	    "start of its as_of day, the later (-1 = none).");
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
	prom_header(t, "http_connections_shut_total", "counter",
	            "Connections shut without an answer for want of a whole request: at "
	            "http_header_timeout, or waiting longest when new ones needed room.");
	buf_printf(t, "casa_metrics_http_connections_shut_total{reason=\"deadline\"} %llu\n",
	           (unsigned long long)atomic_load(&server->guard.timed_out));
	buf_printf(t, "casa_metrics_http_connections_shut_total{reason=\"room\"} %llu\n",
	           (unsigned long long)atomic_load(&server->guard.evicted));
	prom_header(t, "build_info", "gauge", "Build information.");
	buf_printf(t, "casa_metrics_build_info{version=\"%s\"} 1\n", CASA_VERSION);
	snapshot_unref(snapshot);
}

static unsigned render_readyz(struct http_server *server, struct buf *body)
{
	struct snapshot *snapshot = snapshot_slot_acquire(server->slot);
	json_t *meta = json_null(), *last = json_null();
	if (snapshot != NULL) {
		/* the snapshot stage owns the shape of its description; readyz
		 * embeds it as it is */
		char text[SNAPSHOT_META_LEN];
		snapshot_meta_json(snapshot, text);
		meta = json_loads(text, 0, NULL);
	}
	int64_t last_success = atomic_load(&server->stats->last_success_unix);
	if (last_success > 0) {
		char when[SNAPSHOT_TIME_LEN];
		snapshot_format_rfc3339(last_success, when);
		last = json_string(when);
	}
	buf_json_value(body, json_pack("{s:b, s:b, s:o, s:o, s:I, s:b}", "ready", snapshot != NULL,
	                               "stale", stats_stale(server->stats), "snapshot", meta,
	                               "last_success", last, "refresh_failures",
	                               (json_int_t)atomic_load(&server->stats->refresh_failures),
	                               "db_up", atomic_load(&server->stats->db_up)));
	buf_puts(body, "\n");
	unsigned status = snapshot != NULL ? 200 : 503;
	snapshot_unref(snapshot);
	return status;
}

unsigned http_ops_render(struct http_server *server, enum route route, struct buf *body,
                         const char **content_type)
{
	*content_type = "application/json; charset=utf-8";
	switch (route) {
	case ROUTE_READYZ:
		return render_readyz(server, body);
	case ROUTE_METRICS:
		*content_type = "text/plain; version=0.0.4; charset=utf-8";
		render_prometheus(server, body);
		return 200;
	case ROUTE_HEALTHZ:
	default:
		buf_puts(body, "{\"status\":\"ok\"}\n");
		return 200;
	}
}
