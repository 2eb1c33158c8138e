/*
 * casa-audit — test tool: the attacker's audit (tests/audit/) of one
 * release on real data. Runs source_pull(), model_build(),
 * metrics_compute(), release_apply() (no ledger: a first release),
 * disclosure_protect() and audit_run(), and prints one JSON line of
 * aggregate figures (cells, unknowns, relations, solves, failures by kind,
 * seconds). Never a key, a row-level value or a cell value; --verbose names
 * each failing count on stderr (metric, period type, breakdown, period,
 * group, field).
 *
 *   casa-audit --db CONNINFO --as-of YYYY-MM-DD [--min-cell K]
 *              [--fy-start-month M] [--publish PLAN] [--settle-days N]
 *              [--schema S] [--timezone TZ] [--verbose]
 *
 * Exit status: 0 when the audit finds no failure, 1 when it finds one, 2 on
 * usage or pipeline errors, 77 (skipped) when built without GLPK.
 */
#include <stdbool.h>
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
#include "casa/release.h"
#include "casa/source.h"

#include "../audit/audit.c"

static void usage(void)
{
	fprintf(stderr,
	        "usage: casa-audit --db CONNINFO --as-of YYYY-MM-DD [--min-cell K]\n"
	        "                  [--fy-start-month M] [--publish PLAN] [--settle-days N]\n"
	        "                  [--schema S] [--timezone TZ] [--verbose]\n");
	exit(2);
}

static void print_report(const struct disclosure_result *pub, const struct release_view *view,
                         const struct audit_report *r, double protect_seconds)
{
	uint64_t published_cells = 0;
	for (size_t i = 0; i < view->raw.table_count; i++)
		if (view->tables[i].published)
			published_cells += (uint64_t)view->tables[i].published_rows *
			                   view->raw.tables[i].group_count;
	printf("{\"min_cell\": %d, \"tables\": %zu, \"published_cells\": %llu, "
	       "\"suppressed_primary\": %llu, \"suppressed_secondary\": %llu, "
	       "\"engine_unprotected\": %llu, \"protect_seconds\": %.3f, ",
	       pub->min_cell, view->raw.table_count, (unsigned long long)published_cells,
	       (unsigned long long)pub->suppressed_primary,
	       (unsigned long long)pub->suppressed_secondary, (unsigned long long)pub->unprotected,
	       protect_seconds);
	audit_report_print(stdout, r);
	printf("}\n");
}

int main(int argc, char **argv)
{
	struct source_options source = {
	    .conninfo = "",
	    .schema = "deid",
	    .timezone = NULL,
	    .statement_timeout_s = 0,
	    .connect_timeout_s = 10,
	    .parallel = 2,
	};
	struct metrics_options metrics = {.fy_start_month = CONFIG_DEFAULT_FY_START_MONTH,
	                                  .screening_window_s =
	                                      (int64_t)CONFIG_DEFAULT_SCREENING_WINDOW_HOURS * 3600,
	                                  .confidence = CONFIG_DEFAULT_CONFIDENCE,
	                                  .threads = CONFIG_DEFAULT_METRICS_THREADS};
	struct release_options release;
	memset(&release, 0, sizeof(release));
	release_plan_default(&release.settings.plan);
	release.settings.settle_days = RELEASE_DEFAULT_SETTLE_DAYS;
	struct disclosure_options protect;
	memset(&protect, 0, sizeof(protect));
	protect.mode = DISCLOSURE_SUPPRESS;
	protect.min_cell = CONFIG_DEFAULT_MIN_CELL;
	const char *as_of_text = NULL;
	struct audit_report report;
	memset(&report, 0, sizeof(report));

	interval_init();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--verbose") == 0) {
			report.verbose = true; /* names failing counts (identity only) */
			continue;
		}
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		if (strcmp(argv[i - 1], "--db") == 0)
			source.conninfo = v;
		else if (strcmp(argv[i - 1], "--as-of") == 0)
			as_of_text = v;
		else if (strcmp(argv[i - 1], "--min-cell") == 0)
			protect.min_cell = atoi(v);
		else if (strcmp(argv[i - 1], "--fy-start-month") == 0)
			metrics.fy_start_month = atoi(v);
		else if (strcmp(argv[i - 1], "--settle-days") == 0)
			release.settings.settle_days = atoi(v);
		else if (strcmp(argv[i - 1], "--schema") == 0)
			source.schema = v;
		else if (strcmp(argv[i - 1], "--timezone") == 0)
			source.timezone = v;
		else if (strcmp(argv[i - 1], "--publish") == 0) {
			char err[RELEASE_ERROR_LEN];
			if (!release_plan_parse(v, &release.settings.plan, err)) {
				fprintf(stderr, "casa-audit: %s\n", err);
				return 2;
			}
		} else
			usage();
	}
	int32_t as_of;
	if (as_of_text == NULL || !date_parse(as_of_text, strlen(as_of_text), &as_of))
		usage();
	if (metrics.fy_start_month < 1 || metrics.fy_start_month > 12 ||
	    protect.min_cell < DISCLOSURE_MIN_CELL_FLOOR || release.settings.settle_days < 0 ||
	    release.settings.settle_days > RELEASE_MAX_SETTLE_DAYS)
		usage();
	/* Before the pull: a skip should not cost a refresh. */
	if (!audit_have_glpk()) {
		fprintf(stderr, "casa-audit: skipped: %s\n", AUDIT_NO_GLPK);
		return AUDIT_SKIP_STATUS;
	}
	release.settings.min_cell = protect.min_cell;
	release.settings.fy_start_month = metrics.fy_start_month;
	release.settings.screening_window_s = metrics.screening_window_s;
	release.settings.mode = (uint32_t)protect.mode;

	int status = 2;
	struct model_raw raw;
	struct model model;
	struct metrics_result cells;
	struct release_view view;
	struct disclosure_result pub;
	bool have_model = false, have_cells = false, have_view = false, have_pub = false;
	struct source_error source_err;
	struct source_stats stats;
	enum model_failure model_failure;
	enum metrics_failure metrics_failure;
	char release_err[RELEASE_ERROR_LEN], protect_err[DISCLOSURE_ERROR_LEN];
	char audit_err[AUDIT_ERROR_LEN];
	memset(&raw, 0, sizeof(raw));
	if (!source_pull(&source, &raw, &stats, &source_err)) {
		fprintf(stderr, "casa-audit: %s\n", source_err.message);
		goto done;
	}
	if (!model_build(&raw, config_default_earliest_date(), as_of, &model, &model_failure)) {
		fprintf(stderr, "casa-audit: model_build: %s\n", model_failure_text(model_failure));
		goto done;
	}
	have_model = true;
	if (!metrics_compute(&model, &metrics, &cells, &metrics_failure)) {
		fprintf(stderr, "casa-audit: metrics_compute: %s\n",
		        metrics_failure_text(metrics_failure));
		goto done;
	}
	have_cells = true;
	double started = audit_now();
	if (!release_apply(&cells, NULL, &release, &view, release_err)) {
		fprintf(stderr, "casa-audit: %s\n", release_err);
		goto done;
	}
	have_view = true;
	if (!disclosure_protect(&view, &protect, &pub, protect_err)) {
		fprintf(stderr, "casa-audit: %s\n", protect_err);
		goto done;
	}
	have_pub = true;
	double protect_seconds = audit_now() - started;
	if (!audit_run(&view, &pub, &report, audit_err)) {
		fprintf(stderr, "casa-audit: %s\n", audit_err);
		goto done;
	}
	print_report(&pub, &view, &report, protect_seconds);
	status = report.failures == 0 ? 0 : 1;
done:
	if (have_pub)
		disclosure_free(&pub);
	if (have_view)
		release_view_free(&view);
	if (have_cells)
		metrics_free(&cells);
	if (have_model)
		model_free(&model);
	model_raw_free(&raw);
	return status;
}
