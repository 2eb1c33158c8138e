/*
 * bench_disclosure — what protection costs and how long it takes, on real
 * (generated) data: pulls, builds the model and the metrics once, then
 * times release_apply() + disclosure_protect() and prints, per metric and
 * period type, the safe cells published (cells safe by themselves: k
 * children or more and no count under the primary rule) for the totals and
 * the breakdowns, and the figures the disclosure issue sets goals for.
 * Counts of cells only, never a cell value.
 *
 *   bench_disclosure --db CONNINFO --as-of YYYY-MM-DD [--min-cell K]
 *                    [--fy-start-month M] [--timezone TZ] [--schema S]
 *                    [--publish PLAN] [--settle-days N] [--runs N] [--quiet]
 *                    [--json]
 *
 * --json prints the same figures as one JSON object instead (the utility
 * regression test, tests/integration/test_utility.sh, reads it):
 *   {"seconds", "primary", "secondary", "frozen", "unprotected",
 *    "goals": {NAME: {"published", "safe"}},
 *    "metrics": {ID: {"totals": {...}, "breakdowns": {...}}}}
 * with the goals named totals, advocate_sex_age_quarter, _year, _fy and
 * runaway_breakdowns (every runaway-rate breakdown, quarter and longer),
 * and per metric its tables summed over the period types.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casa/config.h"
#include "casa/date.h"
#include "casa/disclosure.h"
#include "casa/metrics.h"
#include "casa/model.h"
#include "casa/release.h"
#include "casa/source.h"
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
	        "usage: bench_disclosure --db CONNINFO --as-of YYYY-MM-DD [--min-cell K]\n"
	        "       [--fy-start-month M] [--timezone TZ] [--schema S] [--publish PLAN]\n"
	        "       [--settle-days N] [--runs N] [--quiet] [--json]\n");
	exit(2);
}

struct tally {
	uint64_t safe, published; /* safe cells, safe cells published */
};

static void add(struct tally *t, const struct disclosure_table_counts *c)
{
	t->safe += c->safe;
	t->published += c->safe_published;
}

static void put(const char *label, const struct tally *t)
{
	printf("  %-58s %6llu / %6llu  %5.1f%%\n", label, (unsigned long long)t->published,
	       (unsigned long long)t->safe,
	       t->safe ? 100.0 * (double)t->published / (double)t->safe : 100.0);
}

/* The published shares: per metric and period type (totals, breakdowns),
 * and the ones the disclosure issue sets goals for. */
struct figures {
	struct tally tot[METRIC_COUNT][PERIOD_TYPE_COUNT]; /* totals */
	struct tally bd[METRIC_COUNT][PERIOD_TYPE_COUNT];  /* breakdowns */
	struct tally totals;                               /* every total */
	struct tally advocate_sex_age[PERIOD_TYPE_COUNT];  /* runaway rate by these */
	struct tally runaway_bd; /* runaway rate, every breakdown, quarter and longer */
};

static void count_figures(const struct disclosure_result *pub, struct figures *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < pub->table_count; i++) {
		const struct disclosure_table *t = &pub->tables[i];
		if (!t->published)
			continue;
		if (t->dim == DIM_TOTAL) {
			add(&f->tot[t->metric][t->period_type], &t->counts);
			add(&f->totals, &t->counts);
			continue;
		}
		add(&f->bd[t->metric][t->period_type], &t->counts);
		if (t->metric == METRIC_RUNAWAY_EPISODES_PER_1000_DAYS &&
		    t->period_type != PERIOD_MONTH) {
			add(&f->runaway_bd, &t->counts);
			if (t->dim == DIM_ADVOCATE || t->dim == DIM_SEX || t->dim == DIM_AGE_BAND)
				add(&f->advocate_sex_age[t->period_type], &t->counts);
		}
	}
}

static void report(const struct disclosure_result *pub, double seconds)
{
	static const char *const pt_name[PERIOD_TYPE_COUNT] = {"month", "quarter", "year", "fy"};
	printf("protection: %.3f s; primary %llu, secondary %llu, frozen %llu cells; "
	       "unprotected counts %llu\n",
	       seconds, (unsigned long long)pub->suppressed_primary,
	       (unsigned long long)pub->suppressed_secondary,
	       (unsigned long long)pub->suppressed_frozen, (unsigned long long)pub->unprotected);
	printf("safe cells published (published / safe):\n");
	struct figures f;
	count_figures(pub, &f);
	for (int m = 0; m < METRIC_COUNT; m++) {
		printf("%s\n", metrics_catalog[m].id);
		for (int p = 0; p < PERIOD_TYPE_COUNT; p++) {
			char label[96];
			if (f.tot[m][p].safe || f.tot[m][p].published) {
				snprintf(label, sizeof(label), "total %s", pt_name[p]);
				put(label, &f.tot[m][p]);
			}
			if (f.bd[m][p].safe || f.bd[m][p].published) {
				snprintf(label, sizeof(label), "breakdowns %s", pt_name[p]);
				put(label, &f.bd[m][p]);
			}
		}
	}
	printf("runaway rate by breakdown:\n");
	for (int d = 1; d < DIM_COUNT; d++)
		for (int p = PERIOD_QUARTER; p < PERIOD_TYPE_COUNT; p++) {
			const struct disclosure_table *t =
			    disclosure_table_find(pub, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
			                          (enum period_type)p, (enum dim)d);
			if (t == NULL || !t->published)
				continue;
			struct tally one = {0};
			add(&one, &t->counts);
			char label[96];
			snprintf(label, sizeof(label), "  %s %s", metrics_dim_name((enum dim)d),
			         pt_name[p]);
			put(label, &one);
		}
	printf("goals:\n");
	put("totals, every metric and period type (goal 100%)", &f.totals);
	for (int p = PERIOD_QUARTER; p < PERIOD_TYPE_COUNT; p++) {
		char label[96];
		snprintf(label, sizeof(label),
		         "runaway rate by advocate, sex, age band, %s (goal 90%%)", pt_name[p]);
		put(label, &f.advocate_sex_age[p]);
	}
	put("runaway rate, every breakdown, quarter and longer (goal 70%)", &f.runaway_bd);
}

static void put_json(const char *name, const struct tally *t, bool comma)
{
	printf("\"%s\":{\"published\":%llu,\"safe\":%llu}%s", name,
	       (unsigned long long)t->published, (unsigned long long)t->safe, comma ? "," : "");
}

/* The figures of report() as one JSON object (the header comment). Counts
 * of cells only. */
static void report_json(const struct disclosure_result *pub, double seconds)
{
	static const char *const pt_name[PERIOD_TYPE_COUNT] = {"quarter", "year", "fy"};
	struct figures f;
	count_figures(pub, &f);
	printf("{\"seconds\":%.3f,\"primary\":%llu,\"secondary\":%llu,\"frozen\":%llu,"
	       "\"unprotected\":%llu,\"metrics\":{",
	       seconds, (unsigned long long)pub->suppressed_primary,
	       (unsigned long long)pub->suppressed_secondary,
	       (unsigned long long)pub->suppressed_frozen, (unsigned long long)pub->unprotected);
	for (int m = 0; m < METRIC_COUNT; m++) {
		struct tally tot = {0}, bd = {0};
		for (int p = 0; p < PERIOD_TYPE_COUNT; p++) {
			tot.safe += f.tot[m][p].safe;
			tot.published += f.tot[m][p].published;
			bd.safe += f.bd[m][p].safe;
			bd.published += f.bd[m][p].published;
		}
		printf("%s\"%s\":{", m ? "," : "", metrics_catalog[m].id);
		put_json("totals", &tot, true);
		put_json("breakdowns", &bd, false);
		printf("}");
	}
	printf("},\"goals\":{");
	put_json("totals", &f.totals, true);
	for (int p = PERIOD_QUARTER; p < PERIOD_TYPE_COUNT; p++) {
		char name[64];
		snprintf(name, sizeof(name), "advocate_sex_age_%s", pt_name[p - PERIOD_QUARTER]);
		put_json(name, &f.advocate_sex_age[p], true);
	}
	put_json("runaway_breakdowns", &f.runaway_bd, false);
	printf("}}\n");
}

int main(int argc, char **argv)
{
	struct bench_release b;
	bench_release_defaults(&b, DISCLOSURE_SUPPRESS);
	int runs = 1;
	bool quiet = false, json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quiet") == 0) {
			quiet = true;
			continue;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		int taken = bench_release_option(&b, "bench_disclosure", argv[i - 1], v);
		if (taken < 0)
			return 2;
		if (taken)
			continue;
		if (strcmp(argv[i - 1], "--runs") == 0)
			runs = atoi(v);
		else
			usage();
	}
	int32_t as_of;
	if (!bench_release_finish(&b, &as_of) || runs < 1)
		usage();

	struct metrics_result cells;
	if (!bench_compute_metrics("bench_disclosure", &b.source, as_of, &b.metrics, &cells))
		return 2;
	double best = 1e30;
	struct disclosure_result pub;
	memset(&pub, 0, sizeof(pub));
	for (int r = 0; r < runs; r++) {
		struct release_view view;
		char rerr[RELEASE_ERROR_LEN], derr[DISCLOSURE_ERROR_LEN];
		disclosure_free(&pub);
		double started = now_seconds();
		if (!release_apply(&cells, NULL, &b.release, &view, rerr)) {
			fprintf(stderr, "bench_disclosure: %s\n", rerr);
			return 2;
		}
		if (!disclosure_protect(&view, &b.protect, &pub, derr)) {
			fprintf(stderr, "bench_disclosure: %s\n", derr);
			return 2;
		}
		double seconds = now_seconds() - started;
		if (seconds < best)
			best = seconds;
		release_view_free(&view);
	}
	if (json)
		report_json(&pub, best);
	else if (quiet)
		printf("protection: %.3f s\n", best);
	else
		report(&pub, best);
	disclosure_free(&pub);
	metrics_free(&cells);
	return 0;
}
