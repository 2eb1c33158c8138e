/*
 * bench_pipeline.c — times every stage of one refresh on real data and prints
 * the figures side by side, with the ratio the metrics issue asks for:
 * computing every metric, period and breakdown must take less time than
 * pulling the rows from PostgreSQL.
 *
 *   bench_pipeline --db CONNINFO --as-of YYYY-MM-DD [--timezone TZ] [--runs N]
 *
 * Prints aggregate figures only (row counts and seconds), never a row.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casa/config.h"
#include "casa/date.h"
#include "casa/disclosure.h"
#include "casa/interval.h"
#include "casa/metrics.h"
#include "casa/model.h"
#include "casa/snapshot.h"
#include "casa/source.h"

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_pipeline --db CONNINFO --as-of YYYY-MM-DD "
	                "[--timezone TZ] [--runs N] [--parallel N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
	    {"db", required_argument, NULL, 'd'},       {"as-of", required_argument, NULL, 'a'},
	    {"timezone", required_argument, NULL, 't'}, {"runs", required_argument, NULL, 'r'},
	    {"parallel", required_argument, NULL, 'p'}, {NULL, 0, NULL, 0}};
	struct source_options source = {.conninfo = "",
	                                .schema = "deid",
	                                .timezone = "UTC",
	                                .statement_timeout_s = 0,
	                                .connect_timeout_s = 10,
	                                .parallel = 2};
	int32_t as_of = 0;
	int runs = 3;
	int opt;
	while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			source.conninfo = optarg;
			break;
		case 'a':
			if (!date_parse(optarg, strlen(optarg), &as_of))
				usage();
			break;
		case 't':
			source.timezone = optarg;
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'p':
			source.parallel = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (as_of == 0 || runs < 1)
		usage();
	interval_init();

	double best[5] = {1e9, 1e9, 1e9, 1e9, 1e9};
	const char *names[5] = {"pull (COPY + parse)", "model (validate + sort)",
	                        "metrics (all tables)", "disclosure", "snapshot (render + gzip)"};
	size_t rows = 0, cells = 0;
	for (int run = 0; run < runs; run++) {
		struct model_raw raw = {0};
		struct source_stats stats = {0};
		struct model model = {0};
		struct metrics_result result = {0};
		struct disclosure_result protected_tables = {0};
		struct disclosure_options disclosure = {.mode = DISCLOSURE_SUPPRESS,
		                                        .min_cell = DISCLOSURE_DEFAULT_MIN_CELL};
		struct metrics_options metrics = {
		    .fy_start_month = CONFIG_DEFAULT_FY_START_MONTH,
		    .screening_window_s = (int64_t)CONFIG_DEFAULT_SCREENING_WINDOW_HOURS * 3600,
		    .confidence = INTERVAL_CONFIDENCE_DEFAULT};
		enum model_failure model_failure;
		enum metrics_failure metrics_failure;
		struct source_error err;
		double t[6];
		t[0] = now_seconds();
		if (!source_pull(&source, &raw, &stats, &err)) {
			fprintf(stderr, "bench_pipeline: %s\n", err.message);
			return 1;
		}
		t[1] = now_seconds();
		if (!model_build(&raw, as_of, &model, &model_failure)) {
			fprintf(stderr, "bench_pipeline: model: %s\n",
			        model_failure_text(model_failure));
			return 1;
		}
		t[2] = now_seconds();
		if (!metrics_compute(&model, &metrics, &result, &metrics_failure)) {
			fprintf(stderr, "bench_pipeline: metrics: %s\n",
			        metrics_failure_text(metrics_failure));
			return 1;
		}
		t[3] = now_seconds();
		if (!disclosure_protect(&result, &disclosure, &protected_tables))
			return 1;
		t[4] = now_seconds();
		struct snapshot_info info = {.refresh_key = raw.refresh_key,
		                             .generated_at = (int64_t)time(NULL),
		                             .quality = &model.quality,
		                             .refresh_seconds = 300,
		                             .confidence = INTERVAL_CONFIDENCE_DEFAULT};
		struct snapshot *snap = snapshot_build(&protected_tables, &info);
		if (snap == NULL)
			return 1;
		t[5] = now_seconds();
		for (int i = 0; i < 5; i++)
			if (t[i + 1] - t[i] < best[i])
				best[i] = t[i + 1] - t[i];
		rows = 0;
		for (int i = 0; i < MODEL_TABLE_COUNT; i++)
			rows += stats.rows[i];
		cells = 0;
		for (size_t i = 0; i < result.table_count; i++)
			cells +=
			    (size_t)result.tables[i].period_count * result.tables[i].group_count;
		snapshot_unref(snap);
		disclosure_free(&protected_tables);
		metrics_free(&result);
		model_free(&model);
		model_raw_free(&raw);
	}
	printf("rows pulled: %zu, cells computed: %zu, best of %d runs\n", rows, cells, runs);
	for (int i = 0; i < 5; i++)
		printf("  %-26s %8.3f s\n", names[i], best[i]);
	printf("ratio metrics / pull:        %8.3f  (goal: < 1)\n", best[2] / best[0]);
	printf("ratio (model+metrics) / pull: %7.3f\n", (best[1] + best[2]) / best[0]);
	return 0;
}
