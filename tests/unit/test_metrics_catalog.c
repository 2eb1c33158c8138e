/*
 * test_metrics_catalog.c — the metric catalog, labels and table layout.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "casa/interval.h"
#include "casa/metrics.h"

START_TEST(test_catalog_complete)
{
	/* 16 metrics (SPEC §4 tables: 3 placement + 13 runaway). */
	ck_assert_int_eq(METRIC_COUNT, 16);
	for (int m = 0; m < METRIC_COUNT; m++) {
		const struct metric_def *def = &metrics_catalog[m];
		ck_assert_ptr_nonnull(def->id);
		ck_assert_ptr_nonnull(def->title);
		ck_assert_ptr_nonnull(def->unit);
		ck_assert_ptr_nonnull(def->definition);
		ck_assert(strlen(def->definition) > 40);
		ck_assert(def->dims & DIM_BIT(DIM_TOTAL));
		ck_assert(def->period_types != 0);
		enum metric_id found;
		ck_assert(metrics_find(def->id, &found));
		ck_assert_int_eq(found, m);
		int scale = def->kind == METRIC_KIND_RATE      ? 1000
		            : def->kind == METRIC_KIND_PERCENT ? 100
		                                               : 1;
		ck_assert_int_eq(def->scale, scale);
	}
	enum metric_id dummy;
	ck_assert(!metrics_find("no_such_metric", &dummy));
	ck_assert(!metrics_find("", &dummy));
}
END_TEST

START_TEST(test_catalog_rules)
{
	/* Entry cohorts are annual only (SPEC §4). */
	uint32_t annual = PERIOD_BIT(PERIOD_YEAR) | PERIOD_BIT(PERIOD_FISCAL_YEAR);
	ck_assert_uint_eq(metrics_catalog[METRIC_PLACEMENT_MOVES_PER_1000_DAYS].period_types,
	                  annual);
	ck_assert_uint_eq(metrics_catalog[METRIC_RUNAWAY_WITHIN_12M_OF_ENTRY_PCT].period_types,
	                  annual);
	/* los_band only on two_or_fewer; setting only on the runaway metrics
	 * (docs/metrics.md), not on the entry cohort. */
	for (int m = 0; m < METRIC_COUNT; m++) {
		bool los = metrics_catalog[m].dims & DIM_BIT(DIM_LOS_BAND);
		ck_assert_int_eq(los, m == METRIC_TWO_OR_FEWER_PLACEMENTS_PCT);
		bool setting = metrics_catalog[m].dims & DIM_BIT(DIM_SETTING);
		ck_assert_int_eq(setting, m >= METRIC_RUNAWAY_EPISODES_PER_1000_DAYS &&
		                              m <= METRIC_RUNAWAY_DISCHARGES_PCT);
	}
	/* Child-based: exactly the four of docs/metrics.md. */
	for (int m = 0; m < METRIC_COUNT; m++)
		ck_assert_int_eq(
		    metrics_catalog[m].child_based,
		    m == METRIC_TWO_OR_FEWER_PLACEMENTS_PCT || m == METRIC_YOUTH_WITH_RUNAWAY_PCT ||
		        m == METRIC_REPEAT_RUNAWAY_PCT || m == METRIC_STILL_MISSING_COUNT);
	/* Additive in time (docs/metrics.md): moves_per_1000_days_in_care,
	 * runaway_episodes_per_1000_days, returned_within_7_days_pct, the two
	 * reported_*_24h_pct, screened_after_return_pct, screened_positive_pct,
	 * runaway_discharges_pct = 8 metrics. */
	int additive = 0;
	for (int m = 0; m < METRIC_COUNT; m++)
		additive += metrics_catalog[m].additive_in_time;
	ck_assert_int_eq(additive, 8);
	ck_assert(metrics_catalog[METRIC_SCREENED_POSITIVE_PCT].additive_in_time);
	ck_assert(!metrics_catalog[METRIC_DAYS_MISSING_MEDIAN].additive_in_time);
	ck_assert_int_eq(metrics_catalog[METRIC_STILL_MISSING_COUNT].kind, METRIC_KIND_COUNT);
	ck_assert_int_eq(metrics_catalog[METRIC_DAYS_MISSING_P90].kind, METRIC_KIND_QUANTILE);
}
END_TEST

START_TEST(test_labels)
{
	enum dim d;
	for (int i = 0; i < DIM_COUNT; i++) {
		ck_assert(metrics_dim_parse(metrics_dim_name((enum dim)i), &d));
		ck_assert_int_eq(d, i);
	}
	ck_assert(metrics_dim_parse("race_ethnicity", &d));
	ck_assert_int_eq(d, DIM_RACE_ETHNICITY);
	ck_assert(!metrics_dim_parse("Race", &d));
	ck_assert_str_eq(metrics_group_label(DIM_AGE_BAND, AGE_15_17), "15-17");
	ck_assert_str_eq(metrics_group_label(DIM_AGE_BAND, AGE_18_PLUS), "18+");
	ck_assert_str_eq(metrics_group_label(DIM_ADVOCATE, ADVOCATE_NOT_ASSIGNED), "not_assigned");
	ck_assert_str_eq(metrics_group_label(DIM_LOS_BAND, LOS_12TO24M), "12to24m");
	ck_assert_str_eq(metrics_group_label(DIM_SETTING, SETTING_RUNAWAY), "runaway");
	ck_assert_str_eq(metrics_group_label(DIM_SETTING, SETTING_GROUP_NO_PLACEMENT),
	                 "no_placement");
	ck_assert_str_eq(metrics_group_label(DIM_SEX, SEX_UNKNOWN), "unknown");
	ck_assert_str_eq(metrics_group_label(DIM_RACE_ETHNICITY, RACE_MULTIRACIAL), "multiracial");
	ck_assert_ptr_null(metrics_group_label(DIM_SETTING, SETTING_GROUP_COUNT));
	ck_assert_ptr_null(metrics_group_label(DIM_COUNTY, 0));
}
END_TEST

START_TEST(test_layout_empty_model)
{
	/* No episodes: one period per type (first_day = as_of = 2025-03-15),
	 * every allowed table present, in (metric, period type, dim) order. */
	char alpha[] = "Alpha", beta[] = "Beta";
	char *counties[] = {alpha, beta};
	struct model model;
	memset(&model, 0, sizeof model);
	model.as_of = date_from_ymd(2025, 3, 15);
	model.first_day = model.as_of;
	model.counties = counties;
	model.county_count = 2;
	struct metrics_options options = {10, 259200, 0.95};
	struct metrics_result result;
	enum metrics_failure failure;
	ck_assert(metrics_compute(&model, &options, &result, &failure));
	size_t expected = 0;
	for (int m = 0; m < METRIC_COUNT; m++)
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
			for (int d = 0; d < DIM_COUNT; d++)
				expected += (metrics_catalog[m].period_types & PERIOD_BIT(t)) &&
				            (metrics_catalog[m].dims & DIM_BIT(d));
	ck_assert_uint_eq(result.table_count, expected);
	for (size_t i = 1; i < result.table_count; i++) {
		const struct metrics_table *a = &result.tables[i - 1], *b = &result.tables[i];
		long ka = ((long)a->metric * 4 + a->period_type) * DIM_COUNT + a->dim;
		long kb = ((long)b->metric * 4 + b->period_type) * DIM_COUNT + b->dim;
		ck_assert(ka < kb);
	}
	const struct metrics_table *t = metrics_table_find(
	    &result, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_FISCAL_YEAR, DIM_COUNTY);
	ck_assert_ptr_nonnull(t);
	/* 2025-03-15 is in FY2025 (2024-10-01..2025-09-30). */
	ck_assert_int_eq(t->first_period, 2025);
	ck_assert_uint_eq(t->period_count, 1);
	ck_assert_uint_eq(t->group_count, 2);
	ck_assert_int_eq(t->cells[0].denominator, 0);
	ck_assert_ptr_null(metrics_table_find(&result, METRIC_PLACEMENT_MOVES_PER_1000_DAYS,
	                                      PERIOD_MONTH, DIM_TOTAL));
	ck_assert_ptr_null(metrics_table_find(&result, METRIC_MOVES_PER_1000_DAYS_IN_CARE,
	                                      PERIOD_MONTH, DIM_SETTING));
	t = metrics_table_find(&result, METRIC_YOUTH_WITH_RUNAWAY_PCT, PERIOD_MONTH, DIM_SETTING);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->group_count, 12);
	/* Month index = year * 12 + month - 1. */
	ck_assert_int_eq(t->first_period, 2025 * 12 + 2);
	ck_assert_uint_eq(metrics_group_count(&result, DIM_COUNTY), 2);
	ck_assert_uint_eq(metrics_group_count(&result, DIM_AGE_BAND), 5);
	ck_assert_uint_eq(metrics_group_count(&result, DIM_SEX), 4);
	ck_assert_uint_eq(metrics_group_count(&result, DIM_RACE_ETHNICITY), 8);
	ck_assert_str_eq(metrics_result_group_label(&result, DIM_COUNTY, 1), "Beta");
	ck_assert_ptr_null(metrics_result_group_label(&result, DIM_COUNTY, 2));
	/* The result keeps its own copy of the county names. */
	ck_assert_ptr_ne(result.counties[0], alpha);
	ck_assert_int_eq(result.fy_start_month, 10);
	metrics_free(&result);
}
END_TEST

START_TEST(test_options_refused)
{
	/* The stage has no defaults: each value out of range is refused with
	 * its own reason, and the result is left empty. */
	struct model model;
	memset(&model, 0, sizeof model);
	model.as_of = date_from_ymd(2025, 3, 15);
	model.first_day = model.as_of;
	static const struct {
		struct metrics_options options;
		enum metrics_failure expected;
	} cases[] = {
	    {{0, 259200, 0.95}, METRICS_FAILED_FY_START_MONTH},
	    {{13, 259200, 0.95}, METRICS_FAILED_FY_START_MONTH},
	    {{10, 0, 0.95}, METRICS_FAILED_SCREENING_WINDOW},
	    {{10, -3600, 0.95}, METRICS_FAILED_SCREENING_WINDOW},
	    /* Both wrong: the month is checked first. */
	    {{-1, 0, 0.95}, METRICS_FAILED_FY_START_MONTH},
	    /* The level's range is INTERVAL_CONFIDENCE_MIN..MAX (0.80..0.999);
	     * 0 is what a caller that forgets the field passes. */
	    {{10, 259200, 0}, METRICS_FAILED_CONFIDENCE},
	    {{10, 259200, 0.9999}, METRICS_FAILED_CONFIDENCE},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct metrics_result result;
		/* Not a reason the call can give for these options. */
		enum metrics_failure failure = METRICS_FAILED_MEMORY;
		ck_assert(!metrics_compute(&model, &cases[i].options, &result, &failure));
		ck_assert_int_eq(failure, cases[i].expected);
		ck_assert_uint_eq(result.table_count, 0);
		ck_assert_ptr_null(result.tables);
	}
	ck_assert_str_eq(metrics_failure_text(METRICS_FAILED_FY_START_MONTH),
	                 "fiscal year start month is not 1..12");
	ck_assert_str_eq(metrics_failure_text(METRICS_FAILED_MEMORY), "out of memory");
	ck_assert_str_eq(metrics_failure_text(METRICS_FAILED_CONFIDENCE),
	                 "confidence level is not one an interval accepts");
}
END_TEST

static Suite *catalog_suite(void)
{
	Suite *s = suite_create("metrics_catalog");
	TCase *tc = tcase_create("catalog");
	tcase_add_test(tc, test_catalog_complete);
	tcase_add_test(tc, test_catalog_rules);
	tcase_add_test(tc, test_labels);
	tcase_add_test(tc, test_layout_empty_model);
	tcase_add_test(tc, test_options_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* GSL aborts on an error by default (interval.h) */
	interval_init();
	SRunner *runner = srunner_create(catalog_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
