/*
 * bench_pipeline.c — times every stage of one refresh on real data, as the
 * daemon runs it (src/daemon.c pipeline_run: each stage's input is freed as
 * soon as the next stage has its output, so the peak RSS printed here is the
 * daemon's), and prints the figures side by side.
 *
 *   bench_pipeline --db CONNINFO --as-of YYYY-MM-DD [--timezone TZ] [--runs N]
 *                  [--parallel N] [--metrics-threads N] [--state-dir DIR] [--tsv]
 *                  [--marks]
 *   bench_pipeline --db CONNINFO --unchanged N [--fresh] [--timezone TZ] [--tsv]
 *
 * Each figure is the best of the runs (the machine may be shared); CPU
 * seconds (user + system, every thread of this process) are printed next to
 * the wall time. --state-dir DIR adds the daemon's last step, persisting
 * the snapshot (snapshot_save) under DIR. --metrics-threads N: the metric
 * passes' threads (config metrics_threads, default 2). --tsv prints one
 * tab-separated line per run and a summary line for scripts (bench/run).
 * --marks prints, on stderr, where each stage began and ended on
 * CLOCK_MONOTONIC, the clock `perf record -k CLOCK_MONOTONIC` stamps its
 * samples with, so that `perf report --time` can cut a profile into stages
 * (bench/profile.sh).
 *
 * --unchanged N times, instead, what the daemon's refresh loop does when the
 * refresh key (max(batch_id)) has not moved: src/daemon.c refresh_once()
 * then calls source_refresh_key() (one max() on the key-check connection it
 * keeps open) and compares the key with the served one; nothing else runs.
 * One call that opens the connection, then N calls one after another: the
 * first's time, the N's median, p90 and the slowest. --fresh: a new
 * connection for every call, as the daemon did before issue 15.
 *
 * Prints aggregate figures only (row counts, bytes, seconds), never a row.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "casa/config.h"
#include "casa/date.h"
#include "casa/disclosure.h"
#include "casa/interval.h"
#include "casa/metrics.h"
#include "casa/model.h"
#include "casa/release.h"
#include "casa/snapshot.h"
#include "casa/source.h"

enum stage { PULL, MODEL, METRICS, DISCLOSURE, SNAPSHOT, PERSIST, STAGE_COUNT };

/* Short names for --tsv and --marks, long ones for the table. */
static const char *const stage_names[STAGE_COUNT] = {"pull",       "model",    "metrics",
                                                     "disclosure", "snapshot", "persist"};
static const char *const stage_titles[STAGE_COUNT] = {
    "pull (COPY + parse)", "model (validate + sort)",  "metrics (all tables)",
    "disclosure",          "snapshot (render + gzip)", "persist (state file)"};

/* What one run measured. */
struct run_figures {
	double seconds[STAGE_COUNT]; /* per stage; persist 0 without --state-dir */
	double cpu[STAGE_COUNT];     /* user + system CPU seconds of this process (all
	                                threads) per stage: on a shared machine less
	                                noisy than wall time */
	double total;                /* sum of the stages */
	size_t rows;                 /* source rows pulled, all tables */
	uint64_t bytes;              /* COPY payload bytes */
	size_t cells;                /* raw cells computed */
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User + system CPU seconds of the whole process so far. */
static double cpu_seconds(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: bench_pipeline --db CONNINFO --as-of YYYY-MM-DD "
	        "[--timezone TZ] [--runs N] [--parallel N] [--metrics-threads N] [--state-dir DIR] "
	        "[--tsv] [--marks]\n"
	        "       bench_pipeline --db CONNINFO --unchanged N [--fresh] [--timezone TZ] "
	        "[--tsv]\n");
	exit(2);
}

/* Ends stage `s` of run `run`: its seconds, and its mark when asked. */
static void stage_done(struct run_figures *fig, enum stage s, double started, double ended,
                       double *cpu_mark, bool marks, int run)
{
	double cpu = cpu_seconds();
	fig->seconds[s] = ended - started;
	fig->cpu[s] = cpu - *cpu_mark;
	*cpu_mark = cpu;
	if (marks)
		fprintf(stderr, "mark\t%d\t%s\t%.6f\t%.6f\n", run, stage_names[s], started, ended);
}

/* One refresh, freeing as the daemon frees. */
static bool run_once(const struct source_options *source, int32_t as_of, int metrics_threads,
                     const char *state_dir, bool marks, int run, struct run_figures *fig)
{
	struct model_raw raw = {0};
	struct source_stats stats = {0};
	struct model model = {0};
	struct metrics_result result = {0};
	struct disclosure_result protected_tables = {0};
	struct disclosure_options disclosure = {.mode = DISCLOSURE_SUPPRESS,
	                                        .min_cell = CONFIG_DEFAULT_MIN_CELL};
	struct metrics_options metrics = {.fy_start_month = CONFIG_DEFAULT_FY_START_MONTH,
	                                  .screening_window_s =
	                                      (int64_t)CONFIG_DEFAULT_SCREENING_WINDOW_HOURS * 3600,
	                                  .confidence = CONFIG_DEFAULT_CONFIDENCE,
	                                  .threads = metrics_threads};
	bool have_model = false, have_metrics = false, have_protected = false;
	struct snapshot *snap = NULL;
	enum model_failure model_failure;
	enum metrics_failure metrics_failure;
	struct source_error err;
	memset(fig, 0, sizeof(*fig));

	double cpu_mark = cpu_seconds();
	double t = now_seconds();
	if (!source_pull(source, &raw, &stats, &err)) {
		fprintf(stderr, "bench_pipeline: %s\n", err.message);
		goto fail;
	}
	double next = now_seconds();
	stage_done(fig, PULL, t, next, &cpu_mark, marks, run);
	for (int i = 0; i < MODEL_TABLE_COUNT; i++)
		fig->rows += stats.rows[i];
	fig->bytes = stats.bytes;

	t = next;
	if (!model_build_consuming(&raw, config_default_earliest_date(), as_of, &model,
	                           &model_failure)) {
		fprintf(stderr, "bench_pipeline: model: %s\n", model_failure_text(model_failure));
		goto fail;
	}
	have_model = true;
	/* kept for the snapshot: raw is freed now and the model after metrics,
	 * as the daemon frees them */
	const int64_t refresh_key = raw.refresh_key;
	model_raw_free(&raw);
	memset(&raw, 0, sizeof(raw));
	next = now_seconds();
	stage_done(fig, MODEL, t, next, &cpu_mark, marks, run);

	t = next;
	if (!metrics_compute(&model, &metrics, &result, &metrics_failure)) {
		fprintf(stderr, "bench_pipeline: metrics: %s\n",
		        metrics_failure_text(metrics_failure));
		goto fail;
	}
	have_metrics = true;
	const struct model_quality quality = model.quality;
	model_free(&model);
	have_model = false;
	next = now_seconds();
	stage_done(fig, METRICS, t, next, &cpu_mark, marks, run);
	for (size_t i = 0; i < result.table_count; i++)
		fig->cells += (size_t)result.tables[i].period_count * result.tables[i].group_count;

	t = next;
	/* a first release: no ledger (the daemon's is in its state directory) */
	struct release_options release = {
	    .settings = {.min_cell = disclosure.min_cell,
	                 .fy_start_month = metrics.fy_start_month,
	                 .settle_days = RELEASE_DEFAULT_SETTLE_DAYS,
	                 .screening_window_s = metrics.screening_window_s}};
	release_plan_default(&release.settings.plan);
	struct release_view view;
	char release_err[RELEASE_ERROR_LEN], disclosure_err[DISCLOSURE_ERROR_LEN];
	if (!release_apply(&result, NULL, &release, &view, release_err)) {
		fprintf(stderr, "bench_pipeline: %s\n", release_err);
		goto fail;
	}
	bool protected_ok =
	    disclosure_protect(&view, &disclosure, &protected_tables, disclosure_err);
	release_view_free(&view);
	if (!protected_ok) {
		fprintf(stderr, "bench_pipeline: %s\n", disclosure_err);
		goto fail;
	}
	have_protected = true;
	metrics_free(&result);
	have_metrics = false;
	next = now_seconds();
	stage_done(fig, DISCLOSURE, t, next, &cpu_mark, marks, run);

	t = next;
	struct snapshot_info info = {.refresh_key = refresh_key,
	                             .generated_at = (int64_t)time(NULL),
	                             .quality = &quality,
	                             .refresh_seconds = 300,
	                             .confidence = CONFIG_DEFAULT_CONFIDENCE};
	snap = snapshot_build(&protected_tables, &info);
	if (snap == NULL) {
		fprintf(stderr, "bench_pipeline: snapshot: out of memory\n");
		goto fail;
	}
	disclosure_free(&protected_tables);
	have_protected = false;
	next = now_seconds();
	stage_done(fig, SNAPSHOT, t, next, &cpu_mark, marks, run);

	if (state_dir != NULL) {
		t = next;
		/* The seal costs one HMAC over the file whatever the key and
		 * provenance: a fixed key and a short text stand in for the
		 * daemon's secret.key and settings. */
		static const uint8_t bench_secret[DISCLOSURE_KEY_LEN] = {0};
		if (!snapshot_save(snap, state_dir, bench_secret, "source=bench_pipeline")) {
			fprintf(stderr, "bench_pipeline: cannot persist the snapshot\n");
			goto fail;
		}
		next = now_seconds();
		stage_done(fig, PERSIST, t, next, &cpu_mark, marks, run);
	}
	for (int s = 0; s < STAGE_COUNT; s++)
		fig->total += fig->seconds[s];
	snapshot_unref(snap);
	return true;
fail:
	if (snap != NULL)
		snapshot_unref(snap);
	if (have_protected)
		disclosure_free(&protected_tables);
	if (have_metrics)
		metrics_free(&result);
	if (have_model)
		model_free(&model);
	model_raw_free(&raw);
	return false;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

#define MAX_UNCHANGED 10000

/* --unchanged: `times` skip-path checks, milliseconds each, through one
 * kept connection as the daemon's refresh thread keeps it (the first check
 * opens it: once per daemon, not per refresh, so it is printed apart); with
 * fresh, a new connection for every check (the daemon before issue 15). */
static int run_unchanged(const struct source_options *source, int times, bool fresh, bool tsv)
{
	static double ms[MAX_UNCHANGED];
	struct source_key_conn *kept = NULL;
	double first = 0;
	for (int i = 0; i <= times; i++) {
		struct source_error err;
		int64_t key;
		double started = now_seconds();
		if (!source_refresh_key(source, fresh ? NULL : &kept, &key, &err)) {
			fprintf(stderr, "bench_pipeline: %s\n", err.message);
			source_key_conn_close(&kept);
			return 1;
		}
		double took = (now_seconds() - started) * 1e3;
		if (i == 0)
			first = took;
		else
			ms[i - 1] = took;
	}
	source_key_conn_close(&kept);
	qsort(ms, (size_t)times, sizeof(ms[0]), compare_doubles);
	double median = ms[times / 2], p90 = ms[(times * 9) / 10], slowest = ms[times - 1];
	const char *how = fresh ? "a new connection each" : "one kept connection";
	if (tsv)
		printf(
		    "unchanged\tmedian_ms=%.2f\tp90_ms=%.2f\tmax_ms=%.2f\tfirst_ms=%.2f\ttimes=%d"
		    "\tconnection=%s\n",
		    median, p90, slowest, first, times, fresh ? "fresh" : "kept");
	else
		printf("unchanged refresh (source_refresh_key, %s), %d times after a first of "
		       "%.2f ms: median %.2f ms, p90 %.2f ms, slowest %.2f ms\n",
		       how, times, first, median, p90, slowest);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"as-of", required_argument, NULL, 'a'},
	    {"timezone", required_argument, NULL, 't'},
	    {"runs", required_argument, NULL, 'r'},
	    {"parallel", required_argument, NULL, 'p'},
	    {"metrics-threads", required_argument, NULL, 'M'},
	    {"state-dir", required_argument, NULL, 's'},
	    {"tsv", no_argument, NULL, 'v'},
	    {"marks", no_argument, NULL, 'm'},
	    {"unchanged", required_argument, NULL, 'u'},
	    {"fresh", no_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0}};
	/* The daemon's defaults (src/config.c). */
	struct source_options source = {.conninfo = "",
	                                .schema = "deid",
	                                .timezone = "UTC",
	                                .statement_timeout_s = 600,
	                                .connect_timeout_s = 10,
	                                .parallel = 2};
	const char *state_dir = NULL;
	bool tsv = false, marks = false, fresh = false;
	int32_t as_of = 0;
	int runs = 3, unchanged = 0, metrics_threads = CONFIG_DEFAULT_METRICS_THREADS;
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
		case 'M':
			metrics_threads = atoi(optarg);
			break;
		case 's':
			state_dir = optarg;
			break;
		case 'v':
			tsv = true;
			break;
		case 'm':
			marks = true;
			break;
		case 'f':
			fresh = true;
			break;
		case 'u':
			unchanged = atoi(optarg);
			if (unchanged < 1 || unchanged > MAX_UNCHANGED)
				usage();
			break;
		default:
			usage();
		}
	}
	if (unchanged > 0)
		return run_unchanged(&source, unchanged, fresh, tsv);
	if (as_of == 0 || runs < 1 || runs > 100 || source.parallel < 1)
		usage();
	interval_init();

	struct run_figures best = {0}, fig;
	double totals[100];
	for (int s = 0; s < STAGE_COUNT; s++)
		best.seconds[s] = best.cpu[s] = 1e300;
	best.total = 1e300;
	for (int run = 0; run < runs; run++) {
		if (!run_once(&source, as_of, metrics_threads, state_dir, marks, run, &fig))
			return 1;
		if (tsv) {
			printf("run\t%d", run);
			for (int s = 0; s < STAGE_COUNT; s++)
				printf("\t%.4f", fig.seconds[s]);
			printf("\t%.4f", fig.total);
			for (int s = 0; s < STAGE_COUNT; s++)
				printf("\t%.4f", fig.cpu[s]);
			printf("\n");
		}
		for (int s = 0; s < STAGE_COUNT; s++) {
			if (fig.seconds[s] < best.seconds[s])
				best.seconds[s] = fig.seconds[s];
			if (fig.cpu[s] < best.cpu[s])
				best.cpu[s] = fig.cpu[s];
		}
		if (fig.total < best.total)
			best.total = fig.total;
		totals[run] = fig.total;
		best.rows = fig.rows;
		best.bytes = fig.bytes;
		best.cells = fig.cells;
	}
	qsort(totals, (size_t)runs, sizeof(totals[0]), compare_doubles);
	double median = runs % 2 ? totals[runs / 2] : (totals[runs / 2 - 1] + totals[runs / 2]) / 2;
	struct rusage usage_now;
	long maxrss_kb = getrusage(RUSAGE_SELF, &usage_now) == 0 ? usage_now.ru_maxrss : 0;

	if (tsv) {
		/* best-of per stage, then the best and median whole runs */
		printf("best");
		for (int s = 0; s < STAGE_COUNT; s++)
			printf("\t%.4f", best.seconds[s]);
		printf("\t%.4f", best.total);
		for (int s = 0; s < STAGE_COUNT; s++)
			printf("\t%.4f", best.cpu[s]);
		printf("\n");
		printf(
		    "summary\trows=%zu\tbytes=%llu\tcells=%zu\tmaxrss_kb=%ld\tmedian=%.4f\truns=%d"
		    "\tparallel=%d\n",
		    best.rows, (unsigned long long)best.bytes, best.cells, maxrss_kb, median, runs,
		    source.parallel);
		return 0;
	}
	printf("rows pulled: %zu (%.1f MB of COPY text), cells computed: %zu, "
	       "%d connection(s), %d metrics thread(s), best of %d runs\n",
	       best.rows, (double)best.bytes / 1e6, best.cells, source.parallel, metrics_threads,
	       runs);
	for (int s = 0; s < STAGE_COUNT; s++)
		if (s != PERSIST || state_dir != NULL)
			printf("  %-26s %8.3f s  (CPU %.3f s)\n", stage_titles[s], best.seconds[s],
			       best.cpu[s]);
	printf("  %-26s %8.3f s (median %.3f s)\n", "whole refresh", best.total, median);
	printf("peak RSS: %.1f MB, %.0f bytes per source row\n", (double)maxrss_kb / 1024,
	       best.rows ? (double)maxrss_kb * 1024 / (double)best.rows : 0);
	printf("ratio metrics / pull:          %7.3f\n",
	       best.seconds[METRICS] / best.seconds[PULL]);
	printf("ratio (model+metrics) / pull:  %7.3f\n",
	       (best.seconds[MODEL] + best.seconds[METRICS]) / best.seconds[PULL]);
	return 0;
}
