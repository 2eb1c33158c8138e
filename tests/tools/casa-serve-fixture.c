/*
 * casa-serve-fixture — serves a hand-built snapshot with http_start() so
 * tests/integration/test_http.sh can exercise every route with curl, without
 * PostgreSQL.
 *
 * usage: casa-serve-fixture PORT [--tokens LIST] [--cors LIST]
 *                                [--dashboard DIR] [--empty] [--stale] [--churn]
 * --churn replaces the snapshot every few milliseconds from another thread
 * (a refresh storm), so a test can check that requests in flight keep their
 * snapshot alive (under ASan, a use after free aborts).
 * Prints "ready" on stdout once listening; exits 2 when the port is taken
 * (the script then tries another); stops on SIGTERM or SIGINT.
 *
 * The data (as_of 2025-06-30, fiscal year from October):
 *   runaway_discharges_pct, quarter, total: 2024-Q3 .. 2025-Q2
 *     2024-Q3 12/150 = 8%   2024-Q4 suppressed   2025-Q1 15/120 = 12.5%
 *     2025-Q2 0/40 = 0%
 *   runaway_discharges_pct, year, total: 2024 27/300 = 9%; 2025 (partial,
 *     periods end 2025-12-31 > as_of) suppressed
 *   runaway_discharges_pct, year, by county (counties "Adams" and
 *     "Baker, \"North\""): 2024: 14/160 = 8.75% and 13/140 = 9.2857%;
 *     2025: both suppressed
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casa/disclosure.h"
#include "casa/http.h"
#include "casa/interval.h"
#include "casa/log.h"
#include "casa/snapshot.h"
#include "casa/stats.h"

static struct disclosure_cell cell(int64_t numerator, int64_t denominator, double value)
{
	struct disclosure_cell c = {.numerator = numerator, .denominator = denominator};
	c.value = value;
	c.has_numerator = c.has_denominator = c.has_value = true;
	return c;
}

static struct disclosure_cell hidden(void)
{
	return (struct disclosure_cell){.suppressed = true};
}

struct churn {
	struct snapshot_slot *slot;             /* where snapshots are swapped */
	const struct disclosure_result *result; /* what they are built from */
	struct snapshot_info info;              /* generated_at changes each time */
	atomic_bool stop;                       /* set by main at exit */
	atomic_ulong swaps;                     /* snapshots replaced */
};

static void *churn_main(void *arg)
{
	struct churn *churn = arg;
	struct timespec pause = {0, 2 * 1000 * 1000};
	while (!atomic_load(&churn->stop)) {
		churn->info.generated_at++;
		struct snapshot *next = snapshot_build(churn->result, &churn->info);
		if (next != NULL) {
			snapshot_slot_replace(churn->slot, next);
			atomic_fetch_add(&churn->swaps, 1);
		}
		nanosleep(&pause, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr,
		        "usage: %s PORT [--tokens L] [--cors L] [--dashboard DIR] "
		        "[--empty] [--stale]\n",
		        argv[0]);
		return 1;
	}
	struct http_options options = {
	    .listen_host = "127.0.0.1",
	    .listen_port = (uint16_t)atoi(argv[1]),
	    .cors_origins = "",
	    .api_tokens = "",
	    .dashboard_dir = NULL,
	    .refresh_seconds = 300,
	    .connection_timeout_s = 10,
	    .header_timeout_s = 10,
	    .connection_limit = 64,
	    .per_ip_connection_limit = 32,
	    .threads = 2,
	};
	bool empty = false, stale = false, churning = false;
	interval_init(); /* before any thread: GSL's handler is process-wide */
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--tokens") == 0 && i + 1 < argc)
			options.api_tokens = argv[++i];
		else if (strcmp(argv[i], "--cors") == 0 && i + 1 < argc)
			options.cors_origins = argv[++i];
		else if (strcmp(argv[i], "--dashboard") == 0 && i + 1 < argc)
			options.dashboard_dir = argv[++i];
		else if (strcmp(argv[i], "--empty") == 0)
			empty = true;
		else if (strcmp(argv[i], "--stale") == 0)
			stale = true;
		else if (strcmp(argv[i], "--churn") == 0)
			churning = true;
	}

	struct disclosure_cell quarter[4] = {cell(12, 150, 8), hidden(), cell(15, 120, 12.5),
	                                     cell(0, 40, 0)};
	struct disclosure_cell year[2] = {cell(27, 300, 9), hidden()};
	struct disclosure_cell county[4] = {cell(14, 160, 8.75), cell(13, 140, 9.2857), hidden(),
	                                    hidden()};
	struct disclosure_table tables[3] = {
	    {METRIC_RUNAWAY_DISCHARGES_PCT,
	     PERIOD_QUARTER,
	     DIM_TOTAL,
	     2024 * 4 + 2,
	     4,
	     1,
	     quarter,
	     true,
	     4,
	     {0}},
	    {METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_TOTAL, 2024, 2, 1, year, true, 2, {0}},
	    {METRIC_RUNAWAY_DISCHARGES_PCT,
	     PERIOD_YEAR,
	     DIM_COUNTY,
	     2024,
	     2,
	     2,
	     county,
	     true,
	     2,
	     {0}},
	};
	char *counties[2] = {"Adams", "Baker, \"North\""};
	struct disclosure_result result = {
	    .as_of = date_from_ymd(2025, 6, 30),
	    .fy_start_month = 10,
	    .mode = DISCLOSURE_SUPPRESS,
	    .min_cell = 11,
	    .tables = tables,
	    .table_count = 3,
	    .counties = counties,
	    .county_count = 2,
	    .settle_days = 30,
	};
	release_plan_default(&result.plan);
	/* periods that end after as_of are partial, hence provisional */
	for (size_t t = 0; t < 3; t++)
		for (uint32_t p = 0; p < tables[t].period_count; p++)
			for (uint32_t g = 0; g < tables[t].group_count; g++)
				tables[t].cells[p * tables[t].group_count + g].provisional =
				    period_last_day(tables[t].period_type, 10,
				                    tables[t].first_period + (int32_t)p) >
				    result.as_of;
	struct model_quality quality = {0};
	quality.violations[DQ_DROP_DUPLICATE_KEY] = 2;
	quality.rows_read[MODEL_EPISODES] = 300;
	quality.rows_kept[MODEL_EPISODES] = 298;
	/* 2025-07-01T12:00:00Z */
	struct snapshot_info info = {7, 1751371200, &quality, 300, 0.95};

	static struct stats stats;
	atomic_store(&stats.stale, stale);
	atomic_store(&stats.db_up, !stale);
	atomic_store(&stats.last_success_unix, empty ? 0 : 1751371200);
	atomic_store(&stats.refresh_failures, stale ? 3 : 0);
	atomic_store(&stats.refreshes, empty ? 0 : 1);
	stats_observe_refresh(&stats, 0.3);

	struct snapshot_slot slot;
	snapshot_slot_init(&slot);
	if (!empty) {
		struct snapshot *snapshot = snapshot_build(&result, &info);
		if (snapshot == NULL) {
			fprintf(stderr, "snapshot_build failed\n");
			return 1;
		}
		snapshot_slot_replace(&slot, snapshot);
	}

	sigset_t signals;
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);

	char err[HTTP_ERROR_LEN];
	struct http_server *server = http_start(&options, &slot, &stats, err);
	if (server == NULL) {
		fprintf(stderr, "http_start: %s\n", err);
		snapshot_slot_destroy(&slot);
		return 2;
	}
	static struct churn churn;
	pthread_t churn_thread;
	churn.slot = &slot;
	churn.result = &result;
	churn.info = info;
	if (churning && pthread_create(&churn_thread, NULL, churn_main, &churn) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		churning = false;
	}
	printf("ready\n");
	fflush(stdout);
	int sig = 0;
	sigwait(&signals, &sig);
	if (churning) {
		atomic_store(&churn.stop, true);
		pthread_join(churn_thread, NULL);
		fprintf(stderr, "churn: %lu snapshots replaced\n", atomic_load(&churn.swaps));
	}
	http_stop(server);
	snapshot_slot_destroy(&slot);
	return 0;
}
