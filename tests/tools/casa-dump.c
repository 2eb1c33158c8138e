/*
 * casa-dump — TEST-ONLY tool for the SQL cross-check (tests/crosscheck/).
 *
 * It prints RAW, UNPROTECTED metric cells: no disclosure control is applied.
 * It exists only to compare the C engine with the independent SQL
 * implementation (tests/crosscheck/metrics.sql) on synthetic data from
 * tools/casa-gen. Never run it against real data; the daemon never does this
 * and this tool is never installed.
 *
 *   casa-dump --db CONNINFO --as-of YYYY-MM-DD [--timezone TZ] [--fy-start M]
 *             [--schema S] [--window-s SECONDS]
 *
 * Runs source_pull -> model_build -> metrics_compute and writes to stdout one
 * CSV line per cell whose numerator or denominator is nonzero:
 *   metric,period_type,dim,period,group,numerator,denominator,quantile_2s,children,
 *   expected
 * (header first; a field that does not apply to the metric's kind is empty:
 * the numerator of a quantile, the denominator of a count, the quantile of
 * anything else; the group of the total is empty; children = the distinct
 * children the cell rests on, disclosure control's input; expected = the
 * advocate comparison's expected count (issue 14), 17 significant digits,
 * empty outside its tables).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casa/config.h"
#include "casa/date.h"
#include "casa/interval.h"
#include "casa/metrics.h"
#include "casa/model.h"
#include "casa/source.h"

struct dump_options {
	const char *conninfo;       /* --db */
	const char *timezone;       /* --timezone; NULL = the process TZ (or UTC) */
	const char *schema;         /* --schema */
	int32_t as_of;              /* --as-of */
	int fy_start_month;         /* --fy-start */
	int64_t screening_window_s; /* --window-s */
};

static void usage(void)
{
	fprintf(stderr, "usage: casa-dump --db CONNINFO --as-of YYYY-MM-DD [--timezone TZ] "
	                "[--fy-start M] [--schema S] [--window-s SECONDS]\n");
}

static CASA_MUSTCHECK bool parse_long(const char *text, long min, long max, long *out)
{
	char *end = NULL;
	errno = 0;
	long value = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < min || value > max)
		return false;
	*out = value;
	return true;
}

static CASA_MUSTCHECK bool parse_args(int argc, char **argv, struct dump_options *options)
{
	bool have_as_of = false;
	long value;

	/* The daemon's defaults (SPEC §3 and §4). */
	options->conninfo = NULL;
	options->timezone = getenv("TZ");
	options->schema = "deid";
	options->fy_start_month = CONFIG_DEFAULT_FY_START_MONTH;
	options->screening_window_s = (int64_t)CONFIG_DEFAULT_SCREENING_WINDOW_HOURS * 3600;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(arg, "--help") == 0) {
			usage();
			return false;
		}
		if (next == NULL) {
			fprintf(stderr, "casa-dump: %s needs a value\n", arg);
			return false;
		}
		i++;
		if (strcmp(arg, "--db") == 0) {
			options->conninfo = next;
		} else if (strcmp(arg, "--as-of") == 0) {
			if (!date_parse(next, strlen(next), &options->as_of)) {
				fprintf(stderr, "casa-dump: --as-of wants YYYY-MM-DD\n");
				return false;
			}
			have_as_of = true;
		} else if (strcmp(arg, "--timezone") == 0) {
			options->timezone = next;
		} else if (strcmp(arg, "--schema") == 0) {
			options->schema = next;
		} else if (strcmp(arg, "--fy-start") == 0) {
			if (!parse_long(next, 1, 12, &value)) {
				fprintf(stderr, "casa-dump: --fy-start wants 1..12\n");
				return false;
			}
			options->fy_start_month = (int)value;
		} else if (strcmp(arg, "--window-s") == 0) {
			if (!parse_long(next, 1, 100L * 86400, &value)) {
				fprintf(stderr, "casa-dump: --window-s wants seconds\n");
				return false;
			}
			options->screening_window_s = value;
		} else {
			fprintf(stderr, "casa-dump: unknown option %s\n", arg);
			return false;
		}
	}
	if (options->conninfo == NULL || !have_as_of) {
		usage();
		return false;
	}
	if (options->timezone == NULL || options->timezone[0] == '\0')
		options->timezone = "UTC";
	return true;
}

/* Writes a CSV field, quoted when it holds a comma, quote or line break
 * (county names are free text). */
static void put_field(const char *text)
{
	if (strpbrk(text, ",\"\r\n") == NULL) {
		fputs(text, stdout);
		return;
	}
	putchar('"');
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	putchar('"');
}

static void dump_table(const struct metrics_result *result, const struct metrics_table *table)
{
	const struct metric_def *def = &metrics_catalog[table->metric];
	char period[PERIOD_LABEL_LEN];

	for (uint32_t p = 0; p < table->period_count; p++) {
		period_label(table->period_type, table->first_period + (int32_t)p, period);
		for (uint32_t g = 0; g < table->group_count; g++) {
			const struct metrics_cell *cell =
			    &table->cells[(size_t)p * table->group_count + g];
			bool is_quantile = def->kind == METRIC_KIND_QUANTILE;
			bool is_count = def->kind == METRIC_KIND_COUNT;
			int64_t numerator = is_quantile ? 0 : cell->numerator;
			int64_t denominator = is_count ? 0 : cell->denominator;
			if (numerator == 0 && denominator == 0)
				continue;
			put_field(def->id);
			printf(",%s,%s,%s,", period_type_name(table->period_type),
			       metrics_dim_name(table->dim), period);
			if (table->dim != DIM_TOTAL)
				put_field(metrics_result_group_label(result, table->dim, g));
			putchar(',');
			if (!is_quantile)
				printf("%" PRId64, cell->numerator);
			putchar(',');
			if (!is_count)
				printf("%" PRId64, cell->denominator);
			putchar(',');
			if (is_quantile)
				printf("%" PRId64, cell->quantile_2s);
			printf(",%" PRId64 ",", cell->children);
			if (cell->has_expected)
				printf("%.17g", cell->expected);
			putchar('\n');
		}
	}
}

int main(int argc, char **argv)
{
	struct dump_options options;
	struct model_raw raw;
	struct model model;
	struct metrics_result result;
	struct source_stats stats;
	struct source_options source;
	struct metrics_options metrics_options;
	enum model_failure model_failure;
	enum metrics_failure metrics_failure;
	struct source_error err;
	bool have_model = false, have_result = false;
	int status = 1;

	memset(&raw, 0, sizeof(raw));
	memset(&model, 0, sizeof(model));
	memset(&result, 0, sizeof(result));
	memset(&stats, 0, sizeof(stats));
	memset(&source, 0, sizeof(source));
	memset(&metrics_options, 0, sizeof(metrics_options));
	if (!parse_args(argc, argv, &options))
		return 2;
	interval_init();

	source.conninfo = options.conninfo;
	source.schema = options.schema;
	source.timezone = options.timezone;
	source.connect_timeout_s = 10;
	source.parallel = 1;
	metrics_options.fy_start_month = options.fy_start_month;
	metrics_options.screening_window_s = options.screening_window_s;
	metrics_options.confidence = CONFIG_DEFAULT_CONFIDENCE;
	metrics_options.threads = CONFIG_DEFAULT_METRICS_THREADS;
	if (!source_pull(&source, &raw, &stats, &err)) {
		fprintf(stderr, "casa-dump: source: %s\n", err.message);
		goto fail;
	}
	if (!model_build(&raw, config_default_earliest_date(), options.as_of, &model,
	                 &model_failure)) {
		fprintf(stderr, "casa-dump: model: %s\n", model_failure_text(model_failure));
		goto fail;
	}
	have_model = true;
	if (!metrics_compute(&model, &metrics_options, &result, &metrics_failure)) {
		fprintf(stderr, "casa-dump: metrics: %s\n", metrics_failure_text(metrics_failure));
		goto fail;
	}
	have_result = true;

	puts("metric,period_type,dim,period,group,numerator,denominator,quantile_2s,children,"
	     "expected");
	for (size_t t = 0; t < result.table_count; t++)
		dump_table(&result, &result.tables[t]);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "casa-dump: write failed\n");
		goto fail;
	}
	status = 0;
fail:
	if (have_result)
		metrics_free(&result);
	if (have_model)
		model_free(&model);
	model_raw_free(&raw);
	return status;
}
