/*
 * test_config.c — configuration precedence and validation (SPEC §6), and
 * the daemon's start-up helpers that need no database (sd_notify, DP key).
 *
 * Expected values are the literals the tests themselves write into the file,
 * the environment and the flags, or the documented defaults (SPEC §3-§7).
 * Each test runs in its own process (check's fork mode), so environment
 * changes do not leak between tests.
 */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "casa/config.h"
#include "casa/daemon.h"
#include "casa/date.h"
#include "casa/metrics.h"

#define MAX_ARGS 16

/* Writes text to a fresh temporary file whose name goes into path. */
static void write_file(char path[64], const char *text)
{
	snprintf(path, 64, "/tmp/test_config_XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq((int)write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
}

/* Runs config_load over a NULL-terminated list of arguments. */
static bool load(struct config *config, char err[CONFIG_ERROR_LEN], const char *const args[])
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;
	argv[argc++] = (char *)"casa-metricsd";
	for (int i = 0; args[i] != NULL && argc < MAX_ARGS; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	return config_load(config, argc, argv, err);
}

static void clear_environment(void)
{
	extern char **environ;
	for (;;) {
		char name[128];
		char **entry = environ;
		while (*entry != NULL && strncmp(*entry, "CASA_METRICS_", 13) != 0)
			entry++;
		if (*entry == NULL)
			break;
		size_t n = strcspn(*entry, "=");
		snprintf(name, sizeof(name), "%.*s", (int)n, *entry);
		unsetenv(name);
	}
}

START_TEST(test_defaults)
{
	struct config c;
	char err[CONFIG_ERROR_LEN];
	const char *args[] = {NULL};
	clear_environment();
	setenv("TZ", "America/Chicago", 1);
	ck_assert_msg(load(&c, err, args), "%s", err);
	/* The documented defaults (SPEC §3, §5, §7; config.h). */
	ck_assert_int_eq(c.min_cell, 11);
	ck_assert_int_eq(c.refresh_s, 300);
	ck_assert_int_eq(c.fy_start_month, 10);
	ck_assert_int_eq(c.screening_window_hours, 72);
	ck_assert_int_eq(c.statement_timeout_s, 600);
	ck_assert_int_eq(c.connect_timeout_s, 10);
	ck_assert_int_eq(c.max_age_s, 86400);
	ck_assert_int_eq(c.source_parallel, 2);
	ck_assert_int_eq(c.http_threads, 4);
	ck_assert_int_eq(c.metrics_threads, 2); /* issue 15: the benchmark's 2 cores */
	ck_assert_int_eq(c.as_of, CONFIG_AS_OF_TODAY);
	ck_assert_int_eq(c.earliest_date, date_from_ymd(2000, 1, 1)); /* issue 16 row 1 */
	ck_assert_int_eq(config_default_earliest_date(), date_from_ymd(2000, 1, 1));
	ck_assert_int_eq(c.disclosure_mode, DISCLOSURE_SUPPRESS);
	ck_assert(c.dp_epsilon == 1.0);
	ck_assert(c.confidence == 0.95);
	/* SPEC §5 plan: totals of every period type, breakdowns of quarters,
	 * years and fiscal years, month x breakdown off; 30 settle days. */
	ck_assert_uint_eq(c.publish.dims[PERIOD_MONTH], DIM_BIT(DIM_TOTAL));
	ck_assert_uint_eq(c.publish.dims[PERIOD_QUARTER], (1u << DIM_COUNT) - 1);
	ck_assert_uint_eq(c.publish.dims[PERIOD_YEAR], (1u << DIM_COUNT) - 1);
	ck_assert_uint_eq(c.publish.dims[PERIOD_FISCAL_YEAR], (1u << DIM_COUNT) - 1);
	ck_assert_int_eq(c.settle_days, 30);
	ck_assert(!c.revise);
	ck_assert_str_eq(c.listen_host, "127.0.0.1");
	ck_assert_int_eq(c.listen_port, 8080);
	ck_assert_str_eq(c.schema, "deid");
	ck_assert_str_eq(c.db, "");
	ck_assert_str_eq(c.state_dir, "/var/lib/casa-metricsd");
	ck_assert_str_eq(c.timezone, "America/Chicago"); /* from $TZ */
	ck_assert_str_eq(c.tokens, "");
	ck_assert(!c.once && !c.check_config);
	config_free(&c);
}
END_TEST

/* The usage line of --flag, NUL-terminated in place, or NULL. */
static char *usage_line(char *usage, const char *flag)
{
	char needle[64];
	snprintf(needle, sizeof(needle), "\n  --%s ", flag);
	char *line = strstr(usage, needle);
	if (line == NULL)
		return NULL;
	line++;
	line[strcspn(line, "\n")] = '\0';
	return line;
}

/* --help states each default; test_defaults checks the values, against the
 * same documented numbers (SPEC §3-§7), so help and defaults cannot part. */
START_TEST(test_usage_states_defaults)
{
	static const struct {
		const char *flag;
		const char *says;
	} stated[] = {
	    {"listen", "(default 127.0.0.1:8080;"},
	    {"min-cell", "(default 11, at least 5)"},
	    {"refresh", "(default 300)"},
	    {"state-dir", "(default /var/lib/casa-metricsd)"},
	    {"schema", "(default deid)"},
	    {"fiscal-year-start-month", "(default 10, US federal)"},
	    {"screening-window-hours", "(default 72)"},
	    {"disclosure-mode", "suppress (default)"},
	    {"publish", "(default \"month:total quarter:all year:all fiscal_year:all\")"},
	    {"settle-days", "(default 30)"},
	    {"revise", "(default false)"},
	    {"dp-epsilon", "(default 1.0)"},
	    {"confidence", "(default 0.95)"},
	    {"statement-timeout", "(default 600)"},
	    {"connect-timeout", "(default 10)"},
	    {"max-age", "(default 86400)"},
	    {"source-parallel", "(default 2)"},
	    {"http-threads", "(default 4)"},
	    {"metrics-threads", "(default 2)"},
	    {"http-connection-limit", "(default 4096)"},
	    {"http-per-ip-limit", "(default 64)"},
	    {"http-timeout", "(default 30)"},
	};
	char *usage = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&usage, &len);
	ck_assert_ptr_nonnull(out);
	config_usage(out);
	ck_assert_int_eq(fclose(out), 0);
	for (size_t i = 0; i < CASA_ARRAY_LEN(stated); i++) {
		char *copy = strdup(usage);
		ck_assert_ptr_nonnull(copy);
		const char *line = usage_line(copy, stated[i].flag);
		ck_assert_msg(line != NULL, "--%s: no usage line", stated[i].flag);
		ck_assert_msg(strstr(line, stated[i].says) != NULL, "--%s: \"%s\" lacks \"%s\"",
		              stated[i].flag, line, stated[i].says);
		free(copy);
	}
	free(usage);
}
END_TEST

/* The catalog says the screening window in words: the default it states is
 * config's (metrics_catalog.c cannot include config.h, a later stage). */
START_TEST(test_catalog_states_default_window)
{
	char says[64];
	snprintf(says, sizeof(says), "(default %d hours)", CONFIG_DEFAULT_SCREENING_WINDOW_HOURS);
	const char *definition = metrics_catalog[METRIC_SCREENED_AFTER_RETURN_PCT].definition;
	ck_assert_ptr_nonnull(strstr(definition, says));
}
END_TEST

START_TEST(test_precedence)
{
	struct config c;
	char err[CONFIG_ERROR_LEN];
	char path[64];
	clear_environment();
	/* min_cell is set at all three levels, refresh at two, schema and
	 * fiscal year only in the file: each must come from the highest. */
	write_file(path, "# comment line\n"
	                 "min_cell = 20\n"
	                 "refresh = 100\n"
	                 "\n"
	                 "schema = \"file_schema\"\n"
	                 "fiscal_year_start_month = 7\n"
	                 "suppression_year = year\n" /* obsolete: accepted, ignored */
	                 "publish = quarter:total+advocate, fiscal_year:all\n"
	                 "settle_days = 45\n"
	                 "as_of = 2025-06-30\n"
	                 "earliest_date = 2010-01-01\n");
	setenv("CASA_METRICS_MIN_CELL", "30", 1);
	setenv("CASA_METRICS_EARLIEST_DATE", "2012-02-29", 1);
	setenv("CASA_METRICS_REFRESH", "50", 1);
	setenv("CASA_METRICS_AS_OF", "2025-01-31", 1);
	const char *args[] = {"--config", path, "--min-cell", "40", "--as-of=2024-12-31", NULL};
	ck_assert_msg(load(&c, err, args), "%s", err);
	ck_assert_int_eq(c.min_cell, 40);                       /* flag > env > file */
	ck_assert_int_eq(c.refresh_s, 50);                      /* env > file */
	ck_assert_str_eq(c.schema, "file_schema");              /* file > default, quotes removed */
	ck_assert_int_eq(c.fy_start_month, 7);                  /* file > default 10 */
	ck_assert_int_eq(c.as_of, date_from_ymd(2024, 12, 31)); /* --key=value form */
	ck_assert_int_eq(c.max_age_s, 86400);                   /* untouched default */
	/* the plan as the file wrote it: months and years publish nothing */
	ck_assert_uint_eq(c.publish.dims[PERIOD_MONTH], 0);
	ck_assert_uint_eq(c.publish.dims[PERIOD_QUARTER],
	                  DIM_BIT(DIM_TOTAL) | DIM_BIT(DIM_ADVOCATE));
	ck_assert_uint_eq(c.publish.dims[PERIOD_YEAR], 0);
	ck_assert_uint_eq(c.publish.dims[PERIOD_FISCAL_YEAR], (1u << DIM_COUNT) - 1);
	ck_assert_int_eq(c.settle_days, 45);
	ck_assert_int_eq(c.earliest_date, date_from_ymd(2012, 2, 29)); /* env > file */
	config_free(&c);
	const char *flag_args[] = {"--config", path, "--earliest-date", "2015-10-01", NULL};
	ck_assert_msg(load(&c, err, flag_args), "%s", err);
	ck_assert_int_eq(c.earliest_date, date_from_ymd(2015, 10, 1)); /* flag > env */
	config_free(&c);
	unlink(path);
}
END_TEST

/* One invalid value per key, through a flag. The error must name the key. */
static const struct bad_value {
	const char *flag;  /* --flag */
	const char *value; /* invalid */
	const char *key;   /* must appear in the message */
} bad_values[] = {
    {"--db", "host=h password=hunter2 nosuchkey=1", "db"},
    {"--db", "host='unterminated password=hunter2", "db"},
    {"--min-cell", "4", "min_cell"},
    {"--min-cell", "eleven", "min_cell"},
    {"--refresh", "0", "refresh"},
    {"--fiscal-year-start-month", "13", "fiscal_year_start_month"},
    {"--fiscal-year-start-month", "0", "fiscal_year_start_month"},
    {"--screening-window-hours", "0", "screening_window_hours"},
    {"--disclosure-mode", "noise", "disclosure_mode"},
    {"--publish", "quarter", "publish"},
    {"--publish", "week:total", "publish"},
    {"--publish", "quarter:county+", "publish"},
    {"--publish", "quarter:borough", "publish"},
    {"--publish", "quarter:all quarter:total", "publish"},
    {"--settle-days", "-1", "settle_days"},
    {"--settle-days", "3661", "settle_days"},
    {"--revise", "maybe", "revise"},
    {"--dp-epsilon", "0", "dp_epsilon"},
    {"--dp-epsilon", "-1", "dp_epsilon"},
    {"--dp-epsilon", "nan", "dp_epsilon"},
    {"--confidence", "0.5", "confidence"},
    {"--confidence", "1.0", "confidence"},
    {"--confidence", "95", "confidence"},
    {"--as-of", "2025-02-30", "as_of"},
    {"--as-of", "June 30", "as_of"},
    {"--earliest-date", "", "earliest_date"},
    {"--earliest-date", "1950-02-30", "earliest_date"},
    {"--earliest-date", "10000-01-01", "earliest_date"},
    {"--listen", "localhost:8080", "listen"},
    {"--listen", "127.0.0.1", "listen"},
    {"--listen", "127.0.0.1:0", "listen"},
    {"--listen", "127.0.0.1:65536", "listen"},
    {"--listen", "::1:8080", "listen"},
    {"--state-dir", "", "state_dir"},
    {"--schema", "", "schema"},
    {"--timezone", "", "timezone"},
    /* issue 16: every refresh failed on a zone that does not exist */
    {"--timezone", "Mars/Olympus", "timezone"},
    {"--timezone", "/etc/localtime", "timezone"},
    {"--timezone", "UTC0", "timezone"},
    /* issue 16: a port libpq cannot use made every refresh fail */
    {"--db", "host=127.0.0.1 port=notaport password=hunter2", "db"},
    {"--db", "host=127.0.0.1 port=5432,x password=hunter2", "db"},
    {"--db", "postgresql://u:hunter2@localhost:notaport/casa", "db"},
    {"--db", "port=70000", "db"},
    {"--dashboard-dir", "", "dashboard_dir"},
    {"--statement-timeout", "-1", "statement_timeout"},
    {"--connect-timeout", "abc", "connect_timeout"},
    {"--max-age", "0", "max_age"},
    {"--source-parallel", "0", "source_parallel"},
    {"--http-threads", "0", "http_threads"},
    /* 1..METRICS_THREADS_MAX (64) */
    {"--metrics-threads", "0", "metrics_threads"},
    {"--metrics-threads", "65", "metrics_threads"},
    {"--http-connection-limit", "0", "http_connection_limit"},
    {"--http-per-ip-limit", "-1", "http_per_ip_limit"},
    {"--http-timeout", "0", "http_timeout"},
};

START_TEST(test_bad_flag_names_key)
{
	const struct bad_value *bad = &bad_values[_i];
	struct config c;
	char err[CONFIG_ERROR_LEN];
	const char *args[] = {bad->flag, bad->value, NULL};
	clear_environment();
	ck_assert_msg(!load(&c, err, args), "%s %s accepted", bad->flag, bad->value);
	ck_assert_msg(strstr(err, bad->key) != NULL, "%s: \"%s\" does not name %s", bad->flag, err,
	              bad->key);
	/* No value is echoed back: a conninfo may hold a password. */
	ck_assert_msg(strstr(err, "hunter2") == NULL, "%s", err);
}
END_TEST

/* The same values through the environment: the message names the key. */
START_TEST(test_bad_env_names_key)
{
	const struct bad_value *bad = &bad_values[_i];
	struct config c;
	char err[CONFIG_ERROR_LEN];
	char name[128];
	const char *args[] = {NULL};
	clear_environment();
	snprintf(name, sizeof(name), "CASA_METRICS_%s", bad->key);
	for (char *p = name; *p != '\0'; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
	setenv(name, bad->value, 1);
	ck_assert_msg(!load(&c, err, args), "%s=%s accepted", name, bad->value);
	ck_assert_msg(strstr(err, bad->key) != NULL, "\"%s\" does not name %s", err, bad->key);
}
END_TEST

/* The same values in a file, on line 3: the message says FILE:3 and the key. */
START_TEST(test_bad_file_value_names_file_line_key)
{
	const struct bad_value *bad = &bad_values[_i];
	struct config c;
	char err[CONFIG_ERROR_LEN];
	char path[64], text[256], where[96];
	clear_environment();
	snprintf(text, sizeof(text), "# line 1\nrefresh = 60\n%s = \"%s\"\n", bad->key, bad->value);
	write_file(path, text);
	const char *args[] = {"--config", path, NULL};
	ck_assert_msg(!load(&c, err, args), "%s = %s accepted", bad->key, bad->value);
	snprintf(where, sizeof(where), "%s:3: %s", path, bad->key);
	ck_assert_msg(strstr(err, where) != NULL, "\"%s\" lacks \"%s\"", err, where);
	unlink(path);
}
END_TEST

/* issue 16 row 1: an earliest_date after as_of leaves nothing to compute. */
START_TEST(test_earliest_date_before_as_of)
{
	struct config c;
	char err[CONFIG_ERROR_LEN];
	clear_environment();
	const char *after[] = {"--as-of", "2025-06-30", "--earliest-date", "2025-07-01", NULL};
	ck_assert(!load(&c, err, after));
	ck_assert_msg(strstr(err, "earliest_date") != NULL, "%s", err);
	const char *same_day[] = {"--as-of", "2025-06-30", "--earliest-date", "2025-06-30", NULL};
	ck_assert_msg(load(&c, err, same_day), "%s", err);
	config_free(&c);
	/* as_of today: a date far ahead is refused; the environment too */
	setenv("CASA_METRICS_EARLIEST_DATE", "2999-01-01", 1);
	const char *none[] = {NULL};
	ck_assert(!load(&c, err, none));
	ck_assert_msg(strstr(err, "earliest_date") != NULL, "%s", err);
}
END_TEST

START_TEST(test_min_cell_floor)
{
	struct config c;
	char err[CONFIG_ERROR_LEN];
	const char *four[] = {"--min-cell", "4", NULL};
	const char *five[] = {"--min-cell", "5", NULL};
	clear_environment();
	/* SPEC §5: k is never below 5; 5 itself is allowed. */
	ck_assert(!load(&c, err, four));
	ck_assert_ptr_nonnull(strstr(err, "min_cell"));
	ck_assert_msg(load(&c, err, five), "%s", err);
	ck_assert_int_eq(c.min_cell, 5);
	config_free(&c);
}
END_TEST

START_TEST(test_publish_plan)
{
	struct config c;
	char err[CONFIG_ERROR_LEN];
	clear_environment();
	/* a breakdown brings its total along; the canonical text reads back */
	const char *args[] = {"--publish", "month:county, year:sex+age_band", "--revise=yes", NULL};
	ck_assert_msg(load(&c, err, args), "%s", err);
	ck_assert_uint_eq(c.publish.dims[PERIOD_MONTH], DIM_BIT(DIM_TOTAL) | DIM_BIT(DIM_COUNTY));
	ck_assert_uint_eq(c.publish.dims[PERIOD_QUARTER], 0);
	ck_assert_uint_eq(c.publish.dims[PERIOD_YEAR],
	                  DIM_BIT(DIM_TOTAL) | DIM_BIT(DIM_SEX) | DIM_BIT(DIM_AGE_BAND));
	ck_assert(c.revise);
	char text[RELEASE_PLAN_TEXT_LEN];
	release_plan_format(&c.publish, text);
	ck_assert_str_eq(text, "month:total+county year:total+age_band+sex");
	struct release_plan again;
	char perr[RELEASE_ERROR_LEN];
	ck_assert(release_plan_parse(text, &again, perr));
	ck_assert_mem_eq(&again, &c.publish, sizeof(again));
	config_free(&c);
	/* the default plan in its canonical form */
	struct release_plan def;
	release_plan_default(&def);
	release_plan_format(&def, text);
	ck_assert_str_eq(text, "month:total quarter:all year:all fiscal_year:all");
}
END_TEST

START_TEST(test_confidence_range)
{
	struct config c;
	char err[CONFIG_ERROR_LEN];
	const char *lowest[] = {"--confidence", "0.80", NULL};
	const char *highest[] = {"--confidence=0.999", NULL};
	const char *below[] = {"--confidence", "0.79", NULL};
	clear_environment();
	/* Both ends of 0.80..0.999 are allowed, just below is not. */
	ck_assert_msg(load(&c, err, lowest), "%s", err);
	ck_assert(c.confidence == 0.80);
	config_free(&c);
	ck_assert_msg(load(&c, err, highest), "%s", err);
	ck_assert(c.confidence == 0.999);
	config_free(&c);
	ck_assert(!load(&c, err, below));
	ck_assert_ptr_nonnull(strstr(err, "confidence"));
	/* The environment spelling. */
	setenv("CASA_METRICS_CONFIDENCE", "0.9", 1);
	const char *none[] = {NULL};
	ck_assert_msg(load(&c, err, none), "%s", err);
	ck_assert(c.confidence == 0.9);
	config_free(&c);
}
END_TEST

START_TEST(test_unknown_key_refused)
{
	struct config c;
	char err[CONFIG_ERROR_LEN], where[96];
	char path[64];
	clear_environment();
	write_file(path, "min_cell = 11\n\n  min_cels = 12\n");
	const char *args[] = {"--config", path, NULL};
	ck_assert(!load(&c, err, args));
	snprintf(where, sizeof(where), "%s:3:", path);
	ck_assert_msg(strstr(err, where) != NULL, "%s", err);
	ck_assert_msg(strstr(err, "min_cels") != NULL, "%s", err);
	unlink(path);

	const char *flag[] = {"--min-cels", "12", NULL};
	ck_assert(!load(&c, err, flag));
	ck_assert_msg(strstr(err, "min-cels") != NULL, "%s", err);

	setenv("CASA_METRICS_MIN_CELS", "12", 1);
	const char *none[] = {NULL};
	ck_assert(!load(&c, err, none));
	ck_assert_msg(strstr(err, "CASA_METRICS_MIN_CELS") != NULL, "%s", err);
}
END_TEST

/* issue 16: the second of two lines setting one key was silently the one
 * used. Refused, naming the key, its line and the first one. */
START_TEST(test_duplicate_key_refused)
{
	struct config c;
	char err[CONFIG_ERROR_LEN], where[96];
	char path[64];
	clear_environment();
	write_file(path, "min_cell = 11\nrefresh = 60\nmin_cell = 12\n");
	const char *args[] = {"--config", path, NULL};
	ck_assert(!load(&c, err, args));
	snprintf(where, sizeof(where), "%s:3: min_cell", path);
	ck_assert_msg(strstr(err, where) != NULL, "%s", err);
	ck_assert_msg(strstr(err, "line 1") != NULL, "%s", err);
	unlink(path);
	/* the same through config_parse_text(), the fuzz harness's entry */
	const char text[] = "timezone = UTC\n# comment\ntimezone = UTC\n";
	ck_assert(!config_parse_text(&c, text, strlen(text), "buffer", err));
	ck_assert_msg(strstr(err, "buffer:3: timezone") != NULL, "%s", err);
}
END_TEST

/* Zones that exist are accepted in each spelling; "UTC" needs no tzdata. */
START_TEST(test_timezones_accepted)
{
	static const char *const zones[] = {"UTC", "America/Chicago", "Europe/Berlin",
	                                    "America/Argentina/Buenos_Aires", "Etc/GMT+5"};
	struct config c;
	char err[CONFIG_ERROR_LEN];
	clear_environment();
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		const char *args[] = {"--timezone", zones[i], NULL};
		ck_assert_msg(load(&c, err, args), "%s: %s", zones[i], err);
		ck_assert_str_eq(c.timezone, zones[i]);
		config_free(&c);
	}
	/* the default from $TZ is checked as well */
	setenv("TZ", "Mars/Olympus", 1);
	const char *none[] = {NULL};
	ck_assert(!load(&c, err, none));
	ck_assert_msg(strstr(err, "timezone") != NULL, "%s", err);
}
END_TEST

START_TEST(test_file_syntax_errors)
{
	struct config c;
	char err[CONFIG_ERROR_LEN], where[96];
	char path[64];
	clear_environment();
	write_file(path, "min_cell 11\n");
	const char *args[] = {"--config", path, NULL};
	ck_assert(!load(&c, err, args));
	snprintf(where, sizeof(where), "%s:1:", path);
	ck_assert_msg(strstr(err, where) != NULL, "%s", err);
	unlink(path);

	write_file(path, "refresh = 60\nschema = \"deid\n");
	const char *args2[] = {"--config", path, NULL};
	ck_assert(!load(&c, err, args2));
	snprintf(where, sizeof(where), "%s:2: schema", path);
	ck_assert_msg(strstr(err, where) != NULL, "%s", err);
	unlink(path);

	const char *missing[] = {"--config", "/nonexistent/casa.conf", NULL};
	ck_assert(!load(&c, err, missing));
	ck_assert_msg(strstr(err, "/nonexistent/casa.conf") != NULL, "%s", err);

	/* CASA_METRICS_CONFIG names the file when --config does not. */
	setenv("CASA_METRICS_CONFIG", "/nonexistent/env.conf", 1);
	const char *none[] = {NULL};
	ck_assert(!load(&c, err, none));
	ck_assert_msg(strstr(err, "/nonexistent/env.conf") != NULL, "%s", err);
	ck_assert(!load(&c, err, missing)); /* the flag wins */
	ck_assert_msg(strstr(err, "/nonexistent/casa.conf") != NULL, "%s", err);
}
END_TEST

START_TEST(test_listen_and_quotes)
{
	struct config c;
	char err[CONFIG_ERROR_LEN];
	char path[64];
	clear_environment();
	write_file(path, "listen = '[::1]:9090'\n"
	                 "db = \"host=db.example port=5433 password=a#b\"\n"
	                 "cors_origins = https://a.example, https://b.example\n");
	const char *args[] = {"--config", path, NULL};
	ck_assert_msg(load(&c, err, args), "%s", err);
	ck_assert_str_eq(c.listen_host, "::1");
	ck_assert_int_eq(c.listen_port, 9090);
	/* '#' inside a value is not a comment (passwords may hold one). */
	ck_assert_str_eq(c.db, "host=db.example port=5433 password=a#b");
	ck_assert_str_eq(c.cors_origins, "https://a.example, https://b.example");
	config_free(&c);
	unlink(path);

	const char *v4[] = {"--listen", "0.0.0.0:18080", NULL};
	ck_assert_msg(load(&c, err, v4), "%s", err);
	ck_assert_str_eq(c.listen_host, "0.0.0.0");
	ck_assert_int_eq(c.listen_port, 18080);
	config_free(&c);
}
END_TEST

START_TEST(test_secrets_never_in_messages)
{
	struct config c;
	char err[CONFIG_ERROR_LEN], described[256];
	clear_environment();
	/* A bad value for db's neighbour: the message must not carry the
	 * password, nor the rejected value. */
	setenv("CASA_METRICS_DB", "host=h password=hunter2", 1);
	const char *args[] = {"--min-cell", "hunter3", NULL};
	ck_assert(!load(&c, err, args));
	ck_assert_ptr_null(strstr(err, "hunter"));

	config_describe_db("host=db.example port=5433 dbname=casa user=reader password=hunter2 "
	                   "sslmode=verify-full",
	                   described, sizeof(described));
	ck_assert_str_eq(described, "host=db.example port=5433 dbname=casa");
	config_describe_db("postgresql://reader:hunter2@db.example:6000/prod", described,
	                   sizeof(described));
	ck_assert_str_eq(described, "host=db.example port=6000 dbname=prod");
	config_describe_db("host='unterminated password=hunter2", described, sizeof(described));
	ck_assert_ptr_null(strstr(described, "hunter2"));
}
END_TEST

START_TEST(test_command_options)
{
	struct config c;
	char err[CONFIG_ERROR_LEN];
	clear_environment();
	const char *once_no_output[] = {"--once", NULL};
	ck_assert(!load(&c, err, once_no_output));
	ck_assert_ptr_nonnull(strstr(err, "--output"));

	const char *output_no_once[] = {"--output", "/tmp/x", NULL};
	ck_assert(!load(&c, err, output_no_once));

	const char *once[] = {"--once", "--output", "/tmp/out", "--check-config", NULL};
	ck_assert_msg(load(&c, err, once), "%s", err);
	ck_assert(c.once && c.check_config);
	ck_assert_str_eq(c.output, "/tmp/out");
	config_free(&c);

	const char *positional[] = {"serve", NULL};
	ck_assert(!load(&c, err, positional));

	const char *no_value[] = {"--refresh", NULL};
	ck_assert(!load(&c, err, no_value));
	ck_assert_ptr_nonnull(strstr(err, "refresh"));

	/* --help answers even when other settings are wrong. */
	setenv("CASA_METRICS_MIN_CELL", "1", 1);
	const char *help[] = {"--help", NULL};
	ck_assert_msg(load(&c, err, help), "%s", err);
	ck_assert(c.show_help);
	config_free(&c);
}
END_TEST

START_TEST(test_tokens_file)
{
	struct config c;
	char err[CONFIG_ERROR_LEN];
	char path[64];
	clear_environment();
	write_file(path, "# tokens\ntok-one\n\n  tok-two  \n");
	setenv("CASA_METRICS_API_TOKENS", "tok-env", 1);
	const char *args[] = {"--api-tokens-file", path, NULL};
	ck_assert_msg(load(&c, err, args), "%s", err);
	/* api_tokens first, then the file's tokens in file order. */
	ck_assert_str_eq(c.tokens, "tok-env,tok-one,tok-two");
	config_free(&c);
	unlink(path);

	const char *missing[] = {"--api-tokens-file", "/nonexistent/tokens", NULL};
	ck_assert(!load(&c, err, missing));
	ck_assert_ptr_nonnull(strstr(err, "api_tokens_file"));

	write_file(path, "tok one\n");
	const char *bad[] = {"--api-tokens-file", path, NULL};
	ck_assert(!load(&c, err, bad));
	ck_assert_ptr_nonnull(strstr(err, "api_tokens_file"));
	ck_assert_ptr_null(strstr(err, "tok one"));
	unlink(path);
}
END_TEST

/* The start-up helpers of daemon.h that need no database: sd_notify and the
 * DP key file (SPEC §5: 32 bytes from getrandom(), mode 0600). */
static void expect_notify(const char *address)
{
	struct sockaddr_un addr;
	char got[64];
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	size_t len = strlen(address);
	ck_assert_int_ge(fd, 0);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, address, len);
	if (address[0] == '@')
		addr.sun_path[0] = '\0';
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr,
	                      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)),
	                 0);
	setenv("NOTIFY_SOCKET", address, 1);
	ck_assert(daemon_notify("READY=1"));
	ssize_t n = recv(fd, got, sizeof(got) - 1, MSG_DONTWAIT);
	ck_assert_int_eq((int)n, 7);
	got[n] = '\0';
	ck_assert_str_eq(got, "READY=1");
	close(fd);
}

START_TEST(test_notify)
{
	char address[64];
	unsetenv("NOTIFY_SOCKET");
	ck_assert(daemon_notify("READY=1")); /* not under systemd: nothing to do */
	snprintf(address, sizeof(address), "@casa-test-notify-%d", (int)getpid());
	expect_notify(address); /* abstract namespace */
	snprintf(address, sizeof(address), "/tmp/casa-test-notify-%d", (int)getpid());
	unlink(address);
	expect_notify(address); /* file system socket */
	unlink(address);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	ck_assert(!daemon_notify("READY=1"));
}
END_TEST

START_TEST(test_dp_key)
{
	char dir[] = "/tmp/test_config_keyXXXXXX";
	char path[64], err[DAEMON_ERROR_LEN];
	uint8_t first[DISCLOSURE_KEY_LEN], second[DISCLOSURE_KEY_LEN], zero[DISCLOSURE_KEY_LEN];
	struct stat st;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/secret.key", dir);
	memset(zero, 0, sizeof(zero));

	ck_assert(!daemon_load_key(dir, false, first, err)); /* missing, not created */
	ck_assert_ptr_nonnull(strstr(err, "secret.key"));
	ck_assert_msg(daemon_load_key(dir, true, first, err), "%s", err);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq((int)(st.st_mode & 0777), 0600);
	ck_assert_int_eq((int)st.st_size, DISCLOSURE_KEY_LEN);
	/* 32 random bytes are all zero with probability 2^-256. */
	ck_assert(memcmp(first, zero, sizeof(zero)) != 0);
	ck_assert_msg(daemon_load_key(dir, true, second, err), "%s", err);
	ck_assert(memcmp(first, second, sizeof(first)) == 0); /* kept, not remade */

	ck_assert_int_eq(truncate(path, DISCLOSURE_KEY_LEN - 1), 0);
	ck_assert(!daemon_load_key(dir, true, second, err));
	ck_assert_ptr_nonnull(strstr(err, "secret.key"));
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *suite = suite_create("config");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_usage_states_defaults);
	tcase_add_test(tc, test_catalog_states_default_window);
	tcase_add_test(tc, test_precedence);
	tcase_add_loop_test(tc, test_bad_flag_names_key, 0, (int)CASA_ARRAY_LEN(bad_values));
	tcase_add_loop_test(tc, test_bad_env_names_key, 0, (int)CASA_ARRAY_LEN(bad_values));
	tcase_add_loop_test(tc, test_bad_file_value_names_file_line_key, 0,
	                    (int)CASA_ARRAY_LEN(bad_values));
	tcase_add_test(tc, test_earliest_date_before_as_of);
	tcase_add_test(tc, test_min_cell_floor);
	tcase_add_test(tc, test_confidence_range);
	tcase_add_test(tc, test_publish_plan);
	tcase_add_test(tc, test_unknown_key_refused);
	tcase_add_test(tc, test_duplicate_key_refused);
	tcase_add_test(tc, test_timezones_accepted);
	tcase_add_test(tc, test_file_syntax_errors);
	tcase_add_test(tc, test_listen_and_quotes);
	tcase_add_test(tc, test_secrets_never_in_messages);
	tcase_add_test(tc, test_command_options);
	tcase_add_test(tc, test_tokens_file);
	suite_add_tcase(suite, tc);
	TCase *helpers = tcase_create("daemon_helpers");
	tcase_add_test(helpers, test_notify);
	tcase_add_test(helpers, test_dp_key);
	suite_add_tcase(suite, helpers);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(config_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
