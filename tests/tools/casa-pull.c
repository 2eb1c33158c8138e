/*
 * casa-pull — test tool: source_pull() + model_build(), then one JSON object
 * of aggregate counts on stdout (rows read and kept per table, data-quality
 * counts per rule, timings). Never a key or a row-level value.
 *
 *   casa-pull --db CONNINFO --as-of YYYY-MM-DD [--timezone TZ] [--schema S]
 *             [--parallel N] [--statement-timeout SECONDS]
 *             [--earliest-date YYYY-MM-DD (default: the daemon's)]
 *   casa-pull --db CONNINFO --refresh-key [--schema S]
 *
 * Exits 1 with the source's message on stderr when the pull fails, and a
 * second line "failure: KIND" (source_failure_name()).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casa/config.h"
#include "casa/date.h"
#include "casa/model.h"
#include "casa/source.h"

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: casa-pull --db CONNINFO --as-of YYYY-MM-DD [--timezone TZ] "
	                "[--schema S] [--parallel N] [--statement-timeout SECONDS] "
	                "[--earliest-date YYYY-MM-DD]\n");
	exit(2);
}

/* The tables the quality report shows (the optional one when present). */
static json_t *per_table(const struct model_quality *quality,
                         const uint64_t counts[MODEL_TABLE_COUNT])
{
	json_t *object = json_object();
	for (int t = 0; t < MODEL_TABLE_COUNT; t++)
		if (model_quality_shows_table(quality, (enum model_table)t))
			json_object_set_new(object, model_table_names[t],
			                    json_integer((json_int_t)counts[t]));
	return object;
}

int main(int argc, char **argv)
{
	struct source_options options = {
	    .conninfo = NULL,
	    .schema = "deid",
	    .timezone = NULL,
	    .statement_timeout_s = 0,
	    .connect_timeout_s = 10,
	    .parallel = 2,
	};
	const char *as_of_text = NULL;
	const char *earliest_text = CONFIG_DEFAULT_EARLIEST_DATE;
	bool refresh_key_only = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--refresh-key") == 0) {
			refresh_key_only = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--db") == 0)
			options.conninfo = argv[++i];
		else if (strcmp(argv[i], "--as-of") == 0)
			as_of_text = argv[++i];
		else if (strcmp(argv[i], "--earliest-date") == 0)
			earliest_text = argv[++i];
		else if (strcmp(argv[i], "--timezone") == 0)
			options.timezone = argv[++i];
		else if (strcmp(argv[i], "--schema") == 0)
			options.schema = argv[++i];
		else if (strcmp(argv[i], "--parallel") == 0)
			options.parallel = atoi(argv[++i]);
		else if (strcmp(argv[i], "--statement-timeout") == 0)
			options.statement_timeout_s = atoi(argv[++i]);
		else
			usage();
	}
	struct source_error err;
	if (refresh_key_only && options.conninfo != NULL) {
		int64_t key;
		if (!source_refresh_key(&options, NULL, &key, &err)) {
			fprintf(stderr, "%s\nfailure: %s\n", err.message,
			        source_failure_name(err.kind));
			return 1;
		}
		printf("{\"refresh_key\": %lld}\n", (long long)key);
		return 0;
	}
	int32_t as_of, earliest;
	if (options.conninfo == NULL || as_of_text == NULL ||
	    !date_parse(as_of_text, strlen(as_of_text), &as_of) ||
	    !date_parse(earliest_text, strlen(earliest_text), &earliest) || options.parallel < 1)
		usage();

	struct model_raw raw = {0};
	struct source_stats stats;
	struct model model;
	enum model_failure model_failure;
	if (!source_pull(&options, &raw, &stats, &err)) {
		fprintf(stderr, "%s\nfailure: %s\n", err.message, source_failure_name(err.kind));
		model_raw_free(&raw);
		return 1;
	}
	double model_started = now_seconds(), model_cpu_started = cpu_seconds();
	if (!model_build(&raw, earliest, as_of, &model, &model_failure)) {
		fprintf(stderr, "casa-pull: model: %s\n", model_failure_text(model_failure));
		model_raw_free(&raw);
		return 1;
	}
	double model_seconds = now_seconds() - model_started;
	double model_cpu = cpu_seconds() - model_cpu_started;

	json_t *out = json_object();
	json_object_set_new(out, "rows_read", per_table(&model.quality, model.quality.rows_read));
	json_object_set_new(out, "rows_kept", per_table(&model.quality, model.quality.rows_kept));
	json_t *quality = json_object();
	for (int r = 0; r < DQ_RULE_COUNT; r++)
		if (model_quality_shows_rule(&model.quality, (enum dq_rule)r))
			json_object_set_new(quality, model_dq_rule_names[r],
			                    json_integer((json_int_t)model.quality.violations[r]));
	json_object_set_new(out, "quality", quality);
	json_object_set_new(out, "episodes", json_integer((json_int_t)model.episode_count));
	json_object_set_new(out, "children", json_integer((json_int_t)model.child_count));
	json_object_set_new(out, "counties", json_integer((json_int_t)model.county_count));
	/* County names are group labels the API serves, not row values. */
	json_t *county_names = json_array();
	for (size_t i = 0; i < model.county_count; i++)
		json_array_append_new(county_names, json_string(model.counties[i]));
	json_object_set_new(out, "county_names", county_names);
	json_object_set_new(out, "refresh_key", json_integer((json_int_t)raw.refresh_key));
	char first_day[DATE_TEXT_LEN];
	date_format(model.first_day, first_day);
	json_object_set_new(out, "first_day", json_string(first_day));
	json_object_set_new(out, "bytes", json_integer((json_int_t)stats.bytes));
	json_t *seconds = json_object();
	json_object_set_new(seconds, "pull", json_real(stats.seconds));
	json_object_set_new(seconds, "model", json_real(model_seconds));
	json_object_set_new(seconds, "model_cpu", json_real(model_cpu));
	json_object_set_new(out, "seconds", seconds);
	char *text = json_dumps(out, JSON_INDENT(2));
	puts(text ? text : "{}");
	free(text);
	json_decref(out);
	model_free(&model);
	model_raw_free(&raw);
	return 0;
}
