/*
 * test_http.c — the request-header rules of the HTTP stage: content
 * negotiation with q-values (RFC 9110 §12.4.2), If-None-Match lists and weak
 * tags (§13.1.2), bearer tokens, CORS origins, dashboard file names. The
 * full server is exercised by tests/integration/test_http.sh.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../src/http_internal.h"
#include "casa/http.h"
#include "casa/interval.h"

static struct http_config *config(const char *origins, const char *tokens, int refresh)
{
	struct http_options options = {0};
	options.cors_origins = origins;
	options.api_tokens = tokens;
	options.refresh_seconds = refresh;
	struct http_config *c = http_config_new(&options);
	ck_assert_ptr_nonnull(c);
	return c;
}

START_TEST(test_accept_q)
{
	ck_assert(http_accept_q(NULL, "gzip") < 0);
	ck_assert(http_accept_q("br, deflate", "gzip") < 0);
	ck_assert(http_accept_q("gzip", "gzip") == 1);
	ck_assert(http_accept_q("deflate, GZIP;q=0.5", "gzip") == 0.5);
	ck_assert(http_accept_q("gzip;q=0", "gzip") == 0);
	ck_assert(http_accept_q("gzip ; q=0.8 , br", "gzip") == 0.8);
	/* "gzipx" is another token, not gzip */
	ck_assert(http_accept_q("gzipx", "gzip") < 0);
	/* out-of-range q counts as 0 */
	ck_assert(http_accept_q("gzip;q=7", "gzip") == 0);
}
END_TEST

START_TEST(test_gzip_negotiation)
{
	ck_assert(!http_accepts_gzip(NULL));
	ck_assert(!http_accepts_gzip(""));
	ck_assert(http_accepts_gzip("gzip, deflate, br"));
	ck_assert(http_accepts_gzip("x-gzip"));
	ck_assert(!http_accepts_gzip("gzip;q=0, identity"));
	ck_assert(http_accepts_gzip("*"));
	/* an explicit refusal wins over the wildcard */
	ck_assert(!http_accepts_gzip("*, gzip;q=0"));
	ck_assert(!http_accepts_gzip("*;q=0"));
	ck_assert(!http_accepts_gzip("identity"));
}
END_TEST

START_TEST(test_csv_negotiation)
{
	ck_assert(!http_prefers_csv(NULL));
	ck_assert(!http_prefers_csv("*/*"));
	ck_assert(!http_prefers_csv("text/html,application/xhtml+xml,*/*;q=0.8"));
	ck_assert(http_prefers_csv("text/csv"));
	ck_assert(http_prefers_csv("text/csv, */*;q=0.1"));
	ck_assert(http_prefers_csv("application/json;q=0.5, text/csv"));
	/* a tie goes to JSON, the default */
	ck_assert(!http_prefers_csv("text/csv, application/json"));
	ck_assert(!http_prefers_csv("text/csv;q=0"));
}
END_TEST

START_TEST(test_etag_matching)
{
	const char *etag = "\"0123456789abcdef\"";
	ck_assert(!http_etag_matches(NULL, etag));
	ck_assert(http_etag_matches("\"0123456789abcdef\"", etag));
	ck_assert(http_etag_matches("W/\"0123456789abcdef\"", etag));
	ck_assert(http_etag_matches("\"aaaa\", W/\"0123456789abcdef\"", etag));
	ck_assert(http_etag_matches("\"aaaa\",\"0123456789abcdef\" ", etag));
	ck_assert(http_etag_matches("*", etag));
	ck_assert(!http_etag_matches("\"0123456789abcde\"", etag));
	ck_assert(!http_etag_matches("\"0123456789abcdef-gz\"", etag));
	ck_assert(!http_etag_matches("0123456789abcdef", etag));
	ck_assert(!http_etag_matches("", etag));
}
END_TEST

START_TEST(test_tokens)
{
	struct http_config *open = config("", "", 300);
	ck_assert(http_token_ok(open, NULL));
	http_config_free(open);

	struct http_config *c = config("", " alpha-token , beta ", 300);
	ck_assert(!http_token_ok(c, NULL));
	ck_assert(!http_token_ok(c, ""));
	ck_assert(!http_token_ok(c, "alpha-token"));       /* no scheme */
	ck_assert(!http_token_ok(c, "Basic alpha-token")); /* wrong scheme */
	ck_assert(http_token_ok(c, "Bearer alpha-token"));
	ck_assert(http_token_ok(c, "bearer beta"));   /* scheme is case-insensitive */
	ck_assert(!http_token_ok(c, "Bearer alpha")); /* a prefix */
	ck_assert(!http_token_ok(c, "Bearer alpha-tokenX"));
	ck_assert(!http_token_ok(c, "Bearer betA")); /* the token is not */
	ck_assert(!http_token_ok(c, "Bearer "));
	http_config_free(c);
}
END_TEST

START_TEST(test_cors)
{
	struct http_config *none = config("", "", 300);
	ck_assert_ptr_null(http_cors_origin(none, "https://a.example"));
	http_config_free(none);

	struct http_config *c = config("https://a.example, https://b.example", "", 300);
	ck_assert_str_eq(http_cors_origin(c, "https://b.example"), "https://b.example");
	ck_assert_ptr_null(http_cors_origin(c, "https://a.example.evil"));
	ck_assert_ptr_null(http_cors_origin(c, "http://a.example"));
	ck_assert_ptr_null(http_cors_origin(c, NULL));
	http_config_free(c);

	struct http_config *any = config("*", "", 300);
	ck_assert_str_eq(http_cors_origin(any, "https://x.example"), "*");
	ck_assert_ptr_null(http_cors_origin(any, NULL));
	http_config_free(any);
}
END_TEST

START_TEST(test_file_names)
{
	ck_assert(http_plain_file_name("index.html"));
	ck_assert(http_plain_file_name("app-1.2_min.js"));
	ck_assert(!http_plain_file_name(""));
	ck_assert(!http_plain_file_name(".env"));
	ck_assert(!http_plain_file_name(".."));
	ck_assert(!http_plain_file_name("a..b"));
	ck_assert(!http_plain_file_name("../etc/passwd"));
	ck_assert(!http_plain_file_name("a/b"));
	ck_assert(!http_plain_file_name("a\\b"));
	ck_assert(!http_plain_file_name("a%2fb"));
}
END_TEST

START_TEST(test_routes)
{
	const char *rest = "unset";
	ck_assert_int_eq(http_route_of("/api/v1/metrics", &rest), ROUTE_CATALOG);
	ck_assert_ptr_null(rest);
	ck_assert_int_eq(http_route_of("/api/v1/metrics/days_missing_p90", &rest), ROUTE_TABLE);
	ck_assert_str_eq(rest, "days_missing_p90");
	ck_assert_int_eq(http_route_of("/api/v1/metrics/", &rest), ROUTE_TABLE);
	ck_assert_str_eq(rest, "");
	ck_assert_int_eq(http_route_of("/api/v1/openapi.json", &rest), ROUTE_OPENAPI);
	ck_assert_int_eq(http_route_of("/metrics", &rest), ROUTE_METRICS);
	ck_assert_int_eq(http_route_of("/metrics/", &rest), ROUTE_OTHER);
	ck_assert_int_eq(http_route_of("/", &rest), ROUTE_DASHBOARD);
	ck_assert_str_eq(rest, "index.html");
	ck_assert_int_eq(http_route_of("/app.js", &rest), ROUTE_DASHBOARD);
	ck_assert_str_eq(rest, "app.js");
	/* one level only, and nothing under /api is a file */
	ck_assert_int_eq(http_route_of("/a/b.js", &rest), ROUTE_OTHER);
	ck_assert_ptr_null(rest);
	ck_assert_int_eq(http_route_of("/api", &rest), ROUTE_OTHER);
	ck_assert_int_eq(http_route_of("/apis.js", &rest), ROUTE_OTHER);
	ck_assert_int_eq(http_route_of("", &rest), ROUTE_OTHER);
}
END_TEST

/* issue 16: "/index.html%00.js" was read as "/index.html". */
START_TEST(test_target_nul)
{
	ck_assert(http_target_has_nul("/index.html%00.js"));
	ck_assert(http_target_has_nul("/api/v1/metrics/x?by=county%00"));
	ck_assert(http_target_has_nul("/x?a%00b=1"));
	ck_assert(!http_target_has_nul("/api/v1/metrics/x?by=county%2500"));
	ck_assert(!http_target_has_nul("/x?a=%0"));
	ck_assert(!http_target_has_nul("/x?a=%010"));
}
END_TEST

/* Times in seconds; the window is HTTP_LOG_WINDOW_S = 10 s. */
START_TEST(test_log_limit)
{
	struct http_log_limit limit;
	unsigned repeated = 99;
	memset(&limit, 0, sizeof(limit));
	ck_assert(http_log_admit(&limit, "refused", 100.0, &repeated));
	ck_assert_uint_eq(repeated, 0);
	/* 101 and 105: inside the window opened at 100, counted */
	ck_assert(!http_log_admit(&limit, "refused", 101.0, &repeated));
	ck_assert(!http_log_admit(&limit, "refused", 105.0, &repeated));
	/* 110.5 - 100 >= 10: logged again, with the 2 left out */
	ck_assert(http_log_admit(&limit, "refused", 110.5, &repeated));
	ck_assert_uint_eq(repeated, 2);
	/* another message: logged at once; none of the first was left out */
	ck_assert(http_log_admit(&limit, "other", 111.0, &repeated));
	ck_assert_uint_eq(repeated, 0);
	ck_assert(!http_log_admit(&limit, "other", 112.0, &repeated));
	/* and back: logged, reporting the 1 copy of "other" left out */
	ck_assert(http_log_admit(&limit, "refused", 113.0, &repeated));
	ck_assert_uint_eq(repeated, 1);
	ck_assert(!http_log_admit(&limit, "refused", 114.0, &repeated));
	ck_assert(!http_log_admit(&limit, "refused", 115.0, &repeated));
	/* at stop: 2 left out, then none */
	ck_assert_uint_eq(http_log_flush(&limit), 2);
	ck_assert_uint_eq(http_log_flush(&limit), 0);
}
END_TEST

START_TEST(test_query)
{
	struct http_query q = {0};
	ck_assert_ptr_null(http_query_problem(&q));
	http_query_add(&q, "by", "county");
	http_query_add(&q, "format", NULL); /* "?format" without "=" */
	ck_assert_ptr_null(http_query_problem(&q));
	ck_assert_str_eq(http_query_get(&q, "by"), "county");
	ck_assert_str_eq(http_query_get(&q, "format"), "");
	ck_assert_ptr_null(http_query_get(&q, "from"));
	http_query_add(&q, "by", "sex");
	ck_assert_str_eq(http_query_problem(&q), "repeated query parameter");

	/* MHD turns %41 into "A"; a '%' left over was not followed by two
	 * hex digits */
	struct http_query bad = {0};
	http_query_add(&bad, "from", "2025%");
	ck_assert_str_eq(http_query_problem(&bad), "malformed percent-encoding");
	struct http_query bad_name = {0};
	http_query_add(&bad_name, "fr%om", "2025");
	ck_assert_str_eq(http_query_problem(&bad_name), "malformed percent-encoding");

	/* 16 distinct names pass; the 17th is one too many, even though only
	 * the first 16 are kept */
	struct http_query many = {0};
	char names[HTTP_PARAMS_MAX + 1][16]; /* "p" and any int */
	for (int i = 0; i <= HTTP_PARAMS_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "p%d", i);
		if (i == HTTP_PARAMS_MAX)
			ck_assert_ptr_null(http_query_problem(&many));
		http_query_add(&many, names[i], "1");
	}
	ck_assert_uint_eq(many.count, HTTP_PARAMS_MAX);
	ck_assert_uint_eq(many.total, HTTP_PARAMS_MAX + 1);
	ck_assert_str_eq(http_query_problem(&many), "too many query parameters");
}
END_TEST

/* ---- a live server in process: reload and snapshot replacement -------- */

/* Sends one request, returns the status code; body (if not NULL) gets the
 * whole response, NUL-terminated. */
static int request(uint16_t port, const char *path, const char *extra, char *response, size_t cap)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in addr = {0};
	addr.sin_family = AF_INET;
	addr.sin_port = htons(port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	char req[1024];
	int n = snprintf(req, sizeof(req),
	                 "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s\r\n", path, extra);
	ck_assert_int_eq(write(fd, req, (size_t)n), n);
	static char local[65536];
	if (response == NULL) {
		response = local;
		cap = sizeof(local);
	}
	size_t got = 0;
	ssize_t r;
	while (got + 1 < cap && (r = read(fd, response + got, cap - 1 - got)) > 0)
		got += (size_t)r;
	response[got] = '\0';
	close(fd);
	int status = 0;
	ck_assert_int_eq(sscanf(response, "HTTP/1.1 %d", &status), 1);
	return status;
}

static struct snapshot *small_snapshot(int64_t numerator)
{
	/* one table, 2024: numerator/200 as a percent */
	struct disclosure_cell cells[1] = {{.numerator = numerator,
	                                    .denominator = 200,
	                                    .value = 100.0 * (double)numerator / 200,
	                                    .has_numerator = true,
	                                    .has_denominator = true,
	                                    .has_value = true,
	                                    .suppressed = false}};
	struct disclosure_table table = {
	    METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_TOTAL, 2024, 1, 1, cells, true, 1, {0}};
	struct disclosure_result result = {0};
	result.as_of = date_from_ymd(2024, 12, 31);
	result.fy_start_month = 10;
	result.min_cell = 11;
	result.tables = &table;
	result.table_count = 1;
	struct model_quality quality = {0};
	struct snapshot_info info = {1, 1700000000, &quality, 60, 0.95};
	struct snapshot *s = snapshot_build(&result, &info);
	ck_assert_ptr_nonnull(s);
	return s;
}

START_TEST(test_live_reload_and_replace)
{
	static struct stats stats;
	struct snapshot_slot slot;
	snapshot_slot_init(&slot);
	struct http_options options = {0};
	options.listen_host = "127.0.0.1";
	options.cors_origins = "";
	options.api_tokens = "first-token";
	options.refresh_seconds = 60;
	options.connection_timeout_s = 10;
	options.header_timeout_s = 10;
	options.connection_limit = 16;
	options.per_ip_connection_limit = 0; /* no limit */
	options.threads = 2;
	char err[HTTP_ERROR_LEN];
	struct http_server *server = NULL;
	uint16_t port = 0;
	for (int attempt = 0; attempt < 20 && server == NULL; attempt++) {
		port = (uint16_t)(20000 + (getpid() * 7 + attempt * 7919) % 30000);
		options.listen_port = port;
		server = http_start(&options, &slot, &stats, err);
	}
	ck_assert_msg(server != NULL, "http_start: %s", err);
	const char *auth = "Authorization: Bearer first-token\r\n";

	/* before any snapshot: 503 for tables, 503 for readyz, 200 healthz */
	ck_assert_int_eq(request(port, "/api/v1/metrics/runaway_discharges_pct", auth, NULL, 0),
	                 503);
	ck_assert_int_eq(request(port, "/readyz", "", NULL, 0), 503);
	ck_assert_int_eq(request(port, "/healthz", "", NULL, 0), 200);

	/* 12/200 = 6 % */
	snapshot_slot_replace(&slot, small_snapshot(12));
	char body[65536];
	ck_assert_int_eq(
	    request(port, "/api/v1/metrics/runaway_discharges_pct", auth, body, sizeof(body)), 200);
	ck_assert_ptr_nonnull(strstr(body, "\"value\":6,\"numerator\":12"));
	ck_assert_ptr_nonnull(strstr(body, "Cache-Control: public, max-age=60"));
	ck_assert_int_eq(request(port, "/api/v1/metrics", "", NULL, 0), 401);

	/* a new snapshot replaces the old one for the next request: 13/200 =
	 * 6.5 % */
	snapshot_slot_replace(&slot, small_snapshot(13));
	ck_assert_int_eq(
	    request(port, "/api/v1/metrics/runaway_discharges_pct", auth, body, sizeof(body)), 200);
	ck_assert_ptr_nonnull(strstr(body, "\"value\":6.5,\"numerator\":13"));

	/* a reload with a value out of range is refused as a whole: the token
	 * still guards the API */
	options.api_tokens = "";
	options.refresh_seconds = 0;
	ck_assert(!http_reload(server, &options));
	ck_assert_int_eq(request(port, "/api/v1/metrics", "", NULL, 0), 401);

	/* reload: tokens off, a CORS origin on, max-age follows the schedule */
	options.cors_origins = "https://dash.example";
	options.refresh_seconds = 1;
	ck_assert(http_reload(server, &options));
	ck_assert_int_eq(request(port, "/api/v1/metrics/runaway_discharges_pct",
	                         "Origin: https://dash.example\r\n", body, sizeof(body)),
	                 200);
	ck_assert_ptr_nonnull(strstr(body, "Access-Control-Allow-Origin: https://dash.example"));
	ck_assert_ptr_nonnull(strstr(body, "Cache-Control: public, max-age=1"));
	ck_assert_int_eq(request(port, "/api/v1/metrics", "", NULL, 0), 200);

	http_stop(server);
	snapshot_slot_destroy(&slot);
}
END_TEST

/* Each option out of range is refused by name, before anything listens. */
START_TEST(test_start_refuses_bad_options)
{
	static struct stats stats;
	struct snapshot_slot slot;
	snapshot_slot_init(&slot);
	const struct http_options good = {.listen_host = "127.0.0.1",
	                                  .refresh_seconds = 60,
	                                  .connection_timeout_s = 10,
	                                  .header_timeout_s = 10,
	                                  .connection_limit = 16,
	                                  .per_ip_connection_limit = 4,
	                                  .threads = 1};
	static const struct {
		const char *name; /* named in the message */
		int field;        /* which option is broken */
	} cases[] = {
	    {"listen_host", 0},      {"refresh_seconds", 1},         {"connection_timeout_s", 2},
	    {"connection_limit", 3}, {"per_ip_connection_limit", 4}, {"threads", 5},
	    {"header_timeout_s", 6}};
	for (size_t i = 0; i < CASA_ARRAY_LEN(cases); i++) {
		struct http_options options = good;
		switch (cases[i].field) {
		case 0:
			options.listen_host = "";
			break;
		case 1:
			options.refresh_seconds = 0;
			break;
		case 2:
			options.connection_timeout_s = 0;
			break;
		case 3:
			options.connection_limit = 0;
			break;
		case 4:
			options.per_ip_connection_limit = -1;
			break;
		case 6:
			options.header_timeout_s = 0;
			break;
		default:
			options.threads = 0;
			break;
		}
		char err[HTTP_ERROR_LEN], want[64];
		snprintf(want, sizeof(want), "option %s:", cases[i].name);
		ck_assert_ptr_null(http_start(&options, &slot, &stats, err));
		ck_assert_msg(strstr(err, want) != NULL, "%s: %s", cases[i].name, err);
	}
	snapshot_slot_destroy(&slot);
}
END_TEST

/* The refresh watchdog behind /readyz's and X-Casa-Stale's stale (issue 16
 * row 1): a refresh running past its deadline makes the data stale by itself,
 * and stops doing so when it ends; the stale flag of a failed refresh stays. */
static void sleep_ms(long ms)
{
	struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&pause, &pause) != 0)
		;
}

START_TEST(test_stale_watchdog)
{
	static struct stats stats; /* zeroed: no refresh, not stale */
	ck_assert(!stats_stale(&stats));
	ck_assert_int_eq(stats_refresh_running_ms(&stats), 0);

	/* Within a one-hour deadline: running, not overdue, not stale. */
	stats_refresh_begin(&stats, 3600);
	sleep_ms(20);
	ck_assert_int_ge(stats_refresh_running_ms(&stats), 20);
	ck_assert(!stats_refresh_overdue(&stats));
	ck_assert(!stats_stale(&stats));
	stats_refresh_end(&stats);

	/* A zero deadline (below what config allows) is passed after 20 ms. */
	stats_refresh_begin(&stats, 0);
	sleep_ms(20);
	ck_assert(stats_refresh_overdue(&stats));
	ck_assert(stats_stale(&stats));
	ck_assert(!atomic_load(&stats.stale)); /* the flag itself is untouched */
	stats_refresh_end(&stats);
	ck_assert(!stats_refresh_overdue(&stats));
	ck_assert(!stats_stale(&stats));
	ck_assert_int_eq(stats_refresh_running_ms(&stats), 0);

	/* A failed refresh's flag holds with no refresh running. */
	atomic_store(&stats.stale, true);
	ck_assert(stats_stale(&stats));
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("headers");
	tcase_add_test(tc, test_accept_q);
	tcase_add_test(tc, test_gzip_negotiation);
	tcase_add_test(tc, test_csv_negotiation);
	tcase_add_test(tc, test_etag_matching);
	tcase_add_test(tc, test_tokens);
	tcase_add_test(tc, test_cors);
	tcase_add_test(tc, test_file_names);
	tcase_add_test(tc, test_routes);
	tcase_add_test(tc, test_query);
	tcase_add_test(tc, test_target_nul);
	tcase_add_test(tc, test_log_limit);
	tcase_add_test(tc, test_stale_watchdog);
	suite_add_tcase(s, tc);
	TCase *live = tcase_create("live");
	tcase_add_test(live, test_live_reload_and_replace);
	tcase_add_test(live, test_start_refuses_bad_options);
	suite_add_tcase(s, live);
	return s;
}

int main(void)
{
	/* GSL aborts on an error by default (interval.h) */
	interval_init();
	SRunner *runner = srunner_create(http_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
