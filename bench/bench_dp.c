/*
 * bench_dp — how accurate the dp mode is (docs/privacy.md "The dp mode"):
 * pulls generated data, builds the release view once, protects it in dp
 * mode under several secret keys and prints, for a few tables, the median
 * and 90th percentile of the relative error of the published value against
 * the true one, over the published rows that are not partial and every key.
 * Also the epsilon each noised series gets (--budget). Prints error figures
 * and budget shares only, never a cell value.
 *
 *   bench_dp --db CONNINFO --as-of YYYY-MM-DD [--epsilon E] [--keys N]
 *            [--min-numerator N] [--fy-start-month M] [--timezone TZ]
 *            [--schema S] [--publish PLAN] [--settle-days N] [--budget]
 *
 * --min-numerator N counts only the rows whose true numerator is N or more
 * (the error of a noisy count falls as the count grows).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/disclosure_internal.h"
#include "casa/date.h"
#include "casa/disclosure.h"
#include "casa/metrics.h"
#include "casa/release.h"
#include "bench_common.h"

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: bench_dp --db CONNINFO --as-of YYYY-MM-DD [--epsilon E] [--keys N]\n"
	        "       [--min-numerator N] [--fy-start-month M] [--timezone TZ]\n"
	        "       [--schema S] [--publish PLAN] [--settle-days N] [--budget]\n");
	exit(2);
}

/* The tables whose accuracy is reported. */
static const struct {
	enum metric_id metric;
	enum period_type period_type;
	enum dim dim;
} targets[] = {
    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_QUARTER, DIM_TOTAL},
    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_QUARTER, DIM_ADVOCATE},
    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_QUARTER, DIM_SEX},
    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_QUARTER, DIM_AGE_BAND},
    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_YEAR, DIM_TOTAL},
    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_MONTH, DIM_TOTAL},
    {METRIC_REPORTED_NCMEC_24H_PCT, PERIOD_QUARTER, DIM_TOTAL},
    {METRIC_YOUTH_WITH_RUNAWAY_PCT, PERIOD_QUARTER, DIM_TOTAL},
    {METRIC_TWO_OR_FEWER_PLACEMENTS_PCT, PERIOD_YEAR, DIM_TOTAL},
};

/* Relative errors gathered for one target. */
struct errors {
	double *rel;   /* |published - true| / true, one per (row, group, key) */
	size_t count;  /* entries used */
	size_t room;   /* entries allocated */
	size_t zero;   /* rows with a true value of 0 (no relative error) */
	size_t small;  /* rows under --min-numerator */
	size_t hidden; /* rows published without a value (withheld, or a
	                  noisy denominator of 0) */
};

static bool push(struct errors *e, double rel)
{
	if (e->count == e->room) {
		size_t room = e->room ? 2 * e->room : 256;
		double *more = realloc(e->rel, room * sizeof(double));
		if (more == NULL)
			return false;
		e->rel = more;
		e->room = room;
	}
	e->rel[e->count++] = rel;
	return true;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank quantile of sorted values. */
static double quantile(const double *sorted, size_t n, double q)
{
	if (n == 0)
		return 0;
	size_t rank = (size_t)(q * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	return sorted[rank > n ? n - 1 : rank - 1];
}

static bool gather(const struct release_view *view, const struct disclosure_result *pub,
                   size_t target, int64_t min_numerator, struct errors *e)
{
	const struct metric_def *def = &metrics_catalog[targets[target].metric];
	const struct metrics_table *t = metrics_table_find(
	    &view->raw, targets[target].metric, targets[target].period_type, targets[target].dim);
	const struct disclosure_table *dt = disclosure_table_find(
	    pub, targets[target].metric, targets[target].period_type, targets[target].dim);
	if (t == NULL || dt == NULL || !dt->published)
		return true;
	for (uint32_t p = 0; p < dt->published_rows; p++) {
		int32_t period = t->first_period + (int32_t)p;
		if (period_last_day(t->period_type, view->raw.fy_start_month, period) >
		    view->raw.as_of)
			continue; /* partial */
		for (uint32_t g = 0; g < t->group_count; g++) {
			const struct metrics_cell *raw = &t->cells[(size_t)p * t->group_count + g];
			const struct disclosure_cell *cell =
			    &dt->cells[(size_t)p * t->group_count + g];
			if (raw->denominator <= 0 || raw->numerator <= 0) {
				e->zero++;
				continue;
			}
			if (raw->numerator < min_numerator) {
				e->small++;
				continue;
			}
			if (cell->suppressed || !cell->has_value) {
				e->hidden++;
				continue;
			}
			double truth =
			    (double)def->scale * (double)raw->numerator / (double)raw->denominator;
			double rel =
			    cell->value > truth ? cell->value - truth : truth - cell->value;
			if (!push(e, rel / truth))
				return false;
		}
	}
	return true;
}

static void print_budget(const struct release_view *view, double epsilon)
{
	struct disclosure_dp_series *series;
	size_t count;
	if (!disclosure_dp_budget(view, epsilon, &series, &count)) {
		fprintf(stderr, "bench_dp: out of memory\n");
		exit(2);
	}
	double sum = 0;
	printf("budget (%zu noised series):\n", count);
	for (size_t i = 0; i < count; i++) {
		double eps = (double)series[i].eps_num / (double)series[i].eps_den;
		sum += eps;
		printf("  %-34s %-11s %-8s %-14s eps %.5f\n", metrics_catalog[series[i].metric].id,
		       series[i].field == DISCLOSURE_FIELD_NUMERATOR ? "numerator" : "denominator",
		       period_type_name(series[i].period_type), metrics_dim_name(series[i].dim),
		       eps);
	}
	printf("  sum of eps %.6f\n", sum);
	free(series);
}

int main(int argc, char **argv)
{
	struct bench_release b;
	bench_release_defaults(&b, DISCLOSURE_DP);
	b.protect.epsilon = 1.0;
	int keys = 20;
	int64_t min_numerator = 0;
	bool budget = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--budget") == 0) {
			budget = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		int taken = bench_release_option(&b, "bench_dp", argv[i - 1], v);
		if (taken < 0)
			return 2;
		if (taken)
			continue;
		if (strcmp(argv[i - 1], "--epsilon") == 0)
			b.protect.epsilon = atof(v);
		else if (strcmp(argv[i - 1], "--keys") == 0)
			keys = atoi(v);
		else if (strcmp(argv[i - 1], "--min-numerator") == 0)
			min_numerator = atoll(v);
		else
			usage();
	}
	int32_t as_of;
	if (!(b.protect.epsilon > 0) || !bench_release_finish(&b, &as_of) || keys < 1)
		usage();

	struct metrics_result cells;
	if (!bench_compute_metrics("bench_dp", &b.source, as_of, &b.metrics, &cells))
		return 2;
	struct release_view view;
	char rerr[RELEASE_ERROR_LEN];
	if (!release_apply(&cells, NULL, &b.release, &view, rerr)) {
		fprintf(stderr, "bench_dp: %s\n", rerr);
		return 2;
	}
	if (budget)
		print_budget(&view, b.protect.epsilon);

	struct errors errors[CASA_ARRAY_LEN(targets)];
	memset(errors, 0, sizeof(errors));
	double slowest = 0;
	for (int k = 0; k < keys; k++) {
		/* a key per run, fixed so that the figures can be reproduced */
		for (int byte = 0; byte < DISCLOSURE_KEY_LEN; byte++)
			b.protect.key[byte] = (uint8_t)(k * 131 + byte * 29 + 7);
		struct disclosure_result pub;
		char derr[DISCLOSURE_ERROR_LEN];
		double started = now_seconds();
		if (!disclosure_protect(&view, &b.protect, &pub, derr)) {
			fprintf(stderr, "bench_dp: %s\n", derr);
			return 2;
		}
		double seconds = now_seconds() - started;
		if (seconds > slowest)
			slowest = seconds;
		for (size_t i = 0; i < CASA_ARRAY_LEN(targets); i++)
			if (!gather(&view, &pub, i, min_numerator, &errors[i])) {
				fprintf(stderr, "bench_dp: out of memory\n");
				return 2;
			}
		disclosure_free(&pub);
	}
	printf("epsilon %g, %d keys, protection at most %.3f s\n", b.protect.epsilon, keys,
	       slowest);
	printf("relative error of the published value (rows not partial, every key):\n");
	printf("  %-34s %-8s %-9s %8s %8s %8s %7s\n", "metric", "period", "by", "cells", "median",
	       "p90", "<=10%");
	for (size_t i = 0; i < CASA_ARRAY_LEN(targets); i++) {
		struct errors *e = &errors[i];
		qsort(e->rel, e->count, sizeof(double), compare_double);
		size_t within = 0;
		for (size_t j = 0; j < e->count; j++)
			within += e->rel[j] <= 0.10;
		printf("  %-34s %-8s %-9s %8zu %7.1f%% %7.1f%% %6.0f%%",
		       metrics_catalog[targets[i].metric].id,
		       period_type_name(targets[i].period_type), metrics_dim_name(targets[i].dim),
		       e->count, 100 * quantile(e->rel, e->count, 0.5),
		       100 * quantile(e->rel, e->count, 0.9),
		       e->count ? 100.0 * (double)within / (double)e->count : 0.0);
		if (e->zero || e->small || e->hidden)
			printf("  (left out: %zu true zeros, %zu small, %zu without a value)",
			       e->zero, e->small, e->hidden);
		printf("\n");
		free(e->rel);
	}
	release_view_free(&view);
	metrics_free(&cells);
	return 0;
}
