/*
 * bench_common.h — what the benchmarks of the release and disclosure stages
 * share: the command-line settings of a release, and pulling the source,
 * building the model and computing every metric. Header only: every
 * benchmark source is a program of its own.
 */
#ifndef CASA_BENCH_COMMON_H
#define CASA_BENCH_COMMON_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casa/config.h"
#include "casa/date.h"
#include "casa/disclosure.h"
#include "casa/interval.h"
#include "casa/metrics.h"
#include "casa/model.h"
#include "casa/release.h"
#include "casa/source.h"

/* The settings of one release, as the options below set them. */
struct bench_release {
	struct source_options source;      /* --db, --schema, --timezone */
	struct metrics_options metrics;    /* --fy-start-month */
	struct release_options release;    /* --publish, --settle-days */
	struct disclosure_options protect; /* mode, --min-cell */
	const char *as_of_text;            /* --as-of */
};

/* The daemon's defaults, in the given disclosure mode. */
static inline void bench_release_defaults(struct bench_release *b, enum disclosure_mode mode)
{
	memset(b, 0, sizeof(*b));
	b->source = (struct source_options){
	    .conninfo = "", .schema = "deid", .connect_timeout_s = 10, .parallel = 2};
	b->metrics = (struct metrics_options){.fy_start_month = CONFIG_DEFAULT_FY_START_MONTH,
	                                      .screening_window_s =
	                                          CONFIG_DEFAULT_SCREENING_WINDOW_HOURS * 3600,
	                                      .confidence = CONFIG_DEFAULT_CONFIDENCE,
	                                      .threads = CONFIG_DEFAULT_METRICS_THREADS};
	interval_init(); /* metrics_compute's quantile intervals (interval.h) */
	release_plan_default(&b->release.settings.plan);
	b->release.settings.settle_days = RELEASE_DEFAULT_SETTLE_DAYS;
	b->protect.mode = mode;
	b->protect.min_cell = CONFIG_DEFAULT_MIN_CELL;
}

/* Takes "flag value" when it is one of the shared options: 1 when taken, 0
 * when the flag is not one of them, -1 when the value is refused (printed,
 * prefixed with the program's name). */
static inline int bench_release_option(struct bench_release *b, const char *name, const char *flag,
                                       const char *value)
{
	if (strcmp(flag, "--db") == 0)
		b->source.conninfo = value;
	else if (strcmp(flag, "--as-of") == 0)
		b->as_of_text = value;
	else if (strcmp(flag, "--min-cell") == 0)
		b->protect.min_cell = atoi(value);
	else if (strcmp(flag, "--schema") == 0)
		b->source.schema = value;
	else if (strcmp(flag, "--timezone") == 0)
		b->source.timezone = value;
	else if (strcmp(flag, "--fy-start-month") == 0)
		b->metrics.fy_start_month = atoi(value);
	else if (strcmp(flag, "--settle-days") == 0)
		b->release.settings.settle_days = atoi(value);
	else if (strcmp(flag, "--publish") == 0) {
		char err[RELEASE_ERROR_LEN];
		if (!release_plan_parse(value, &b->release.settings.plan, err)) {
			fprintf(stderr, "%s: %s\n", name, err);
			return -1;
		}
	} else
		return 0;
	return 1;
}

/* After the options: as_of (false when missing or malformed), and the
 * release settings that follow from the others. */
static inline bool bench_release_finish(struct bench_release *b, int32_t *as_of)
{
	if (b->as_of_text == NULL || !date_parse(b->as_of_text, strlen(b->as_of_text), as_of))
		return false;
	struct release_settings *settings = &b->release.settings;
	settings->min_cell = b->protect.min_cell;
	settings->fy_start_month = b->metrics.fy_start_month;
	settings->screening_window_s = b->metrics.screening_window_s;
	settings->mode = (uint32_t)b->protect.mode;
	settings->epsilon = b->protect.mode == DISCLOSURE_DP ? b->protect.epsilon : 0;
	return true;
}

/* Fills *out (caller frees with metrics_free()); on failure prints why,
 * prefixed with the program's name, and returns false. */
static inline bool bench_compute_metrics(const char *name, const struct source_options *source,
                                         int32_t as_of, const struct metrics_options *metrics,
                                         struct metrics_result *out)
{
	struct model_raw raw;
	struct model model;
	struct source_stats stats;
	struct source_error err;
	memset(&raw, 0, sizeof(raw));
	if (!source_pull(source, &raw, &stats, &err)) {
		fprintf(stderr, "%s: %s\n", name, err.message);
		return false;
	}
	enum model_failure model_failure;
	if (!model_build(&raw, config_default_earliest_date(), as_of, &model, &model_failure)) {
		fprintf(stderr, "%s: model: %s\n", name, model_failure_text(model_failure));
		model_raw_free(&raw);
		return false;
	}
	model_raw_free(&raw);
	enum metrics_failure metrics_failure;
	bool ok = metrics_compute(&model, metrics, out, &metrics_failure);
	if (!ok)
		fprintf(stderr, "%s: metrics: %s\n", name, metrics_failure_text(metrics_failure));
	model_free(&model);
	return ok;
}

#endif
