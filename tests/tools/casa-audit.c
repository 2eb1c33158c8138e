/*
 * casa-audit — test tool: the attacker's audit (tests/audit/) on real data.
 * Runs source_pull(), model_build(), metrics_compute(), disclosure_protect()
 * and audit_run(), and prints one line of aggregate figures (cells,
 * suppressed cells, unknowns, failures). Never a key, a row-level value or a
 * cell value.
 *
 *   casa-audit --db CONNINFO --as-of YYYY-MM-DD [--min-cell K] [--schema S]
 *              [--timezone TZ] [--fy-start-month M] [--suppression-year fiscal_year|year]
 *              [--verbose]
 *              [--utility] [--no-audit]
 *
 * --utility prints, to stderr, what the suppression costs: per metric, the
 * suppressed cells of the total row per period type and of the breakdowns
 * (aggregate counts of cells, never a cell value). --no-audit skips the LP.
 *
 * Exit status: 0 when every secret count (docs/privacy.md) keeps at least k possible
 * values, 1 when the audit finds an exposed count, 2 on usage or pipeline
 * errors, 77 (skipped) when built without GLPK and the audit is asked for.
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
#include "casa/source.h"
#include "../../src/disclosure_internal.h"

#include "../audit/audit.c"

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: casa-audit --db CONNINFO --as-of YYYY-MM-DD [--min-cell K] "
	                "[--schema S] [--timezone TZ] [--fy-start-month M] [--verbose]\n"
	                "                  [--suppression-year fiscal_year|year]\n"
	                "                  [--utility] [--no-audit]\n");
	exit(2);
}

/* Per metric and period type: primary + secondary suppressed / non-empty
 * cells of the total row, and suppressed / non-empty cells of the breakdowns.
 * Counts of cells only.
 */
static void print_utility(const struct metrics_result *raw, const struct disclosure_result *pub)
{
	static const char *const short_name[PERIOD_TYPE_COUNT] = {"month", "quarter", "year", "fy"};
	for (int m = 0; m < METRIC_COUNT; m++) {
		char line[512];
		int len = snprintf(line, sizeof(line), "%-36s", metrics_catalog[m].id);
		uint64_t bd_supp[PERIOD_TYPE_COUNT] = {0}, bd_cells[PERIOD_TYPE_COUNT] = {0};
		for (size_t i = 0; i < pub->table_count; i++) {
			const struct disclosure_table *t = &pub->tables[i];
			if ((int)t->metric != m)
				continue;
			uint64_t supp = 0, cells = 0, primary = 0;
			for (size_t c = 0; c < (size_t)t->period_count * t->group_count; c++) {
				const struct disclosure_cell *cell = &t->cells[c];
				if (!cell->suppressed && cell->has_numerator &&
				    cell->numerator == 0 && cell->has_denominator &&
				    cell->denominator == 0)
					continue; /* empty */
				cells++;
				supp += cell->suppressed;
				primary += disclosure_primary_suppressed(metrics_catalog[m].kind,
				                                         &raw->tables[i].cells[c],
				                                         pub->min_cell);
			}
			if (t->dim == DIM_TOTAL) {
				if (len < (int)sizeof(line))
					len += snprintf(line + len, sizeof(line) - (size_t)len,
					                " %s %llu+%llu/%llu",
					                short_name[t->period_type],
					                (unsigned long long)primary,
					                (unsigned long long)(supp - primary),
					                (unsigned long long)cells);
			} else {
				bd_supp[t->period_type] += supp;
				bd_cells[t->period_type] += cells;
			}
		}
		fprintf(stderr, "%s\n%36s breakdowns", line, "");
		for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
			if (bd_cells[p] > 0)
				fprintf(stderr, " %s %llu/%llu", short_name[p],
				        (unsigned long long)bd_supp[p],
				        (unsigned long long)bd_cells[p]);
		fprintf(stderr, "\n");
	}
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
	                                  .confidence = INTERVAL_CONFIDENCE_DEFAULT};
	enum model_failure model_failure;
	enum metrics_failure metrics_failure;
	struct disclosure_options protect;
	memset(&protect, 0, sizeof(protect));
	protect.mode = DISCLOSURE_SUPPRESS;
	protect.min_cell = DISCLOSURE_DEFAULT_MIN_CELL;
	const char *as_of_text = NULL;
	bool verbose = false, utility = false, run_audit = true;

	interval_init();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--verbose") == 0) {
			verbose = true; /* names exposed cells (identity only, no value) */
			continue;
		}
		if (strcmp(argv[i], "--utility") == 0) {
			utility = true;
			continue;
		}
		if (strcmp(argv[i], "--no-audit") == 0) {
			run_audit = false;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--db") == 0)
			source.conninfo = argv[++i];
		else if (strcmp(argv[i], "--as-of") == 0)
			as_of_text = argv[++i];
		else if (strcmp(argv[i], "--min-cell") == 0)
			protect.min_cell = atoi(argv[++i]);
		else if (strcmp(argv[i], "--schema") == 0)
			source.schema = argv[++i];
		else if (strcmp(argv[i], "--timezone") == 0)
			source.timezone = argv[++i];
		else if (strcmp(argv[i], "--fy-start-month") == 0)
			metrics.fy_start_month = atoi(argv[++i]);
		else if (strcmp(argv[i], "--suppression-year") == 0)
			protect.calendar_year_blocks = strcmp(argv[++i], "year") == 0;
		else
			usage();
	}
	int32_t as_of;
	if (as_of_text == NULL || !date_parse(as_of_text, strlen(as_of_text), &as_of))
		usage();
	if (metrics.fy_start_month < 1 || metrics.fy_start_month > 12)
		usage();
	/* Before the pull: a skip should not cost a refresh. */
	if (run_audit && !audit_have_glpk()) {
		fprintf(stderr, "casa-audit: skipped: %s\n", AUDIT_NO_GLPK);
		return AUDIT_SKIP_STATUS;
	}

	int status = 2;
	struct model_raw raw;
	struct model model;
	struct metrics_result cells;
	struct disclosure_result pub;
	bool have_model = false, have_cells = false, have_pub = false;
	struct source_error err;
	memset(&raw, 0, sizeof(raw));
	struct source_stats stats;
	if (!source_pull(&source, &raw, &stats, &err)) {
		fprintf(stderr, "casa-audit: %s\n", err.message);
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
	double started = now_seconds();
	if (!disclosure_protect(&cells, &protect, &pub)) {
		fprintf(stderr, "casa-audit: disclosure_protect: out of memory\n");
		goto done;
	}
	have_pub = true;
	double protect_seconds = now_seconds() - started;

	if (utility)
		print_utility(&cells, &pub);
	struct audit_report report = {.verbose = verbose};
	char audit_err[AUDIT_ERROR_LEN];
	if (run_audit && !audit_run(&cells, &pub, &report, audit_err)) {
		fprintf(stderr, "casa-audit: %s\n", audit_err);
		goto done;
	}
	uint64_t cell_count = 0;
	for (size_t i = 0; i < pub.table_count; i++)
		cell_count += (uint64_t)pub.tables[i].period_count * pub.tables[i].group_count;
	printf("{\"min_cell\": %d, \"tables\": %zu, \"cells\": %llu, \"suppressed_primary\": %llu, "
	       "\"suppressed_secondary\": %llu, \"unknowns\": %llu, \"relations\": %llu, "
	       "\"lp_solves\": %llu, \"zero_exempt\": %llu, \"failures\": %llu, "
	       "\"protect_seconds\": %.3f}\n",
	       pub.min_cell, pub.table_count, (unsigned long long)cell_count,
	       (unsigned long long)pub.suppressed_primary,
	       (unsigned long long)pub.suppressed_secondary, (unsigned long long)report.unknowns,
	       (unsigned long long)report.relations, (unsigned long long)report.lp_solves,
	       (unsigned long long)report.zero_exempt, (unsigned long long)report.failures,
	       protect_seconds);
	status = report.failures == 0 ? 0 : 1;
done:
	if (have_pub)
		disclosure_free(&pub);
	if (have_cells)
		metrics_free(&cells);
	if (have_model)
		model_free(&model);
	model_raw_free(&raw);
	return status;
}
