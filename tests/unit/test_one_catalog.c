/*
 * test_one_catalog.c — the catalog (src/metrics_catalog.c) is the one home
 * of what a metric is: the daemon's page (dashboards/app.js, index.html)
 * and the Grafana file (dashboards/grafana/casa-metricsd.json) may name a
 * metric id, but only one the catalog has, and never repeat a title, a
 * reference value or its source: they read those from the API.
 *
 * A word of the files that looks like an identifier with two or more
 * underscores is either a catalog id or a known word of the API (breakdown,
 * group and period type names from the catalog, the JSON keys below);
 * anything else is reported as a metric id the catalog lacks.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casa/date.h"
#include "casa/metrics.h"

#ifndef CASA_SOURCE_DIR
#error "CASA_SOURCE_DIR: set by CMakeLists.txt for this test"
#endif

/* JSON keys and Grafana words the files may use: not metric ids. Add a
 * word here only when it is not a metric. */
static const char *const api_words[] = {
    /* the daemon's API */
    "period_type", "period_types", "period_start", "period_end", "higher_is_better", "min_cell",
    "last_success", "as_of", "generated_at", "api_tokens", "child_based", "time_additive",
    "observation_lag_days", "equal_counts", "its_count", "requires_table", "interval_low",
    "interval_high", "change_vs", "change_low", "change_high", "change_direction", "smr_low",
    "smr_high", "standardized_value", "last_complete", "last_settled",
    /* Grafana and its Infinity data source */
    "api_base", "url_options", "root_selector", "computed_columns", "value_and_name"};

static char *read_file(const char *relative)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", CASA_SOURCE_DIR, relative);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *text = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = '\0';
	fclose(f);
	return text;
}

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '.';
}

/* A word of the API vocabulary that is not a metric id. */
static bool known_word(const char *word)
{
	for (size_t i = 0; i < sizeof(api_words) / sizeof(api_words[0]); i++)
		if (strcmp(word, api_words[i]) == 0)
			return true;
	for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
		if (strcmp(word, period_type_name((enum period_type)p)) == 0)
			return true;
	for (int d = 0; d < DIM_COUNT; d++) {
		if (strcmp(word, metrics_dim_name((enum dim)d)) == 0)
			return true;
		for (uint32_t g = 0; metrics_group_label((enum dim)d, g) != NULL; g++)
			if (strcmp(word, metrics_group_label((enum dim)d, g)) == 0)
				return true;
	}
	return false;
}

/* Counts what `text` (from file `name`) says that only the catalog may say;
 * prints each finding. *ids receives the catalog ids it names. */
static int catalog_repeats(const char *name, const char *text, int *ids)
{
	int problems = 0;
	*ids = 0;
	/* words with two underscores or more: a catalog id or a known word */
	for (const char *p = text; *p != '\0';) {
		/* a word starts with a letter or digit ("__inputs" is Grafana's) */
		if (!is_word_char(*p) || *p == '_' || (p > text && is_word_char(p[-1]))) {
			p++;
			continue;
		}
		const char *end = p;
		int underscores = 0;
		while (is_word_char(*end))
			underscores += *end++ == '_';
		char word[128];
		size_t n =
		    (size_t)(end - p) < sizeof(word) - 1 ? (size_t)(end - p) : sizeof(word) - 1;
		memcpy(word, p, n);
		word[n] = '\0';
		p = end;
		if (underscores < 2 || known_word(word))
			continue;
		enum metric_id id;
		if (metrics_find(word, &id)) {
			(*ids)++;
			continue;
		}
		fprintf(stderr, "%s: names \"%s\", which is not a metric of the catalog\n", name,
		        word);
		problems++;
	}
	for (int m = 0; m < METRIC_COUNT; m++) {
		const struct metric_def *def = &metrics_catalog[m];
		if (strstr(text, def->title) != NULL) {
			fprintf(stderr, "%s: repeats the title of %s\n", name, def->id);
			problems++;
		}
		for (int r = 0; r < def->reference_count; r++) {
			const struct metric_reference *ref = &def->references[r];
			if (strstr(text, ref->source) != NULL) {
				fprintf(stderr, "%s: repeats the source of a reference of %s\n",
				        name, def->id);
				problems++;
			}
			/* a whole number (35) is too common to look for; 4.48 is not */
			char number[32];
			snprintf(number, sizeof(number), "%g", ref->value);
			if (strchr(number, '.') == NULL)
				continue;
			size_t len = strlen(number);
			for (const char *at = strstr(text, number); at != NULL;
			     at = strstr(at + 1, number)) {
				if ((at > text && is_number_char(at[-1])) ||
				    is_number_char(at[len]))
					continue;
				fprintf(stderr, "%s: repeats the reference %s of %s\n", name,
				        number, def->id);
				problems++;
			}
		}
	}
	return problems;
}

START_TEST(test_checker_can_fail)
{
	/* A page that names a metric the catalog lacks, repeats a title and
	 * hard-codes the CFSR reference: three findings. The catalog id and
	 * the API words are fine. */
	char page[512];
	snprintf(
	    page, sizeof(page),
	    "const ids = ['runaway_episodes_per_1000_dayz', 'runaway_episodes_per_1000_days'];\n"
	    "h3('%s'); const REF = 4.48; const px = 14.48; by = 'race_ethnicity';\n"
	    "x.period_type; y.supervised_independent_living;\n",
	    metrics_catalog[METRIC_STILL_MISSING_COUNT].title);
	int ids;
	ck_assert_int_eq(catalog_repeats("synthetic page", page, &ids), 3);
	ck_assert_int_eq(ids, 1);
}
END_TEST

START_TEST(test_page_and_grafana_read_the_catalog)
{
	static const char *const files[] = {"dashboards/app.js", "dashboards/index.html",
	                                    "dashboards/grafana/casa-metricsd.json"};
	int problems = 0, ids_named = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *text = read_file(files[i]);
		int ids;
		problems += catalog_repeats(files[i], text, &ids);
		ids_named += ids;
		free(text);
	}
	ck_assert_int_eq(problems, 0);
	/* the files were read: the page and the Grafana file name metrics */
	ck_assert_int_gt(ids_named, 10);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("one_catalog");
	TCase *tc = tcase_create("dashboards");
	tcase_add_test(tc, test_checker_can_fail);
	tcase_add_test(tc, test_page_and_grafana_read_the_catalog);
	suite_add_tcase(s, tc);
	SRunner *runner = srunner_create(s);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
