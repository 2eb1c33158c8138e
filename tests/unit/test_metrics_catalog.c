/*
 * test_metrics_catalog.c — the metric catalog, labels and table layout.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "casa/config.h"
#include "casa/interval.h"
#include "casa/metrics.h"

START_TEST(test_catalog_complete)
{
	/* 16 metrics (SPEC §4 tables: 3 placement + 13 runaway) and the 8 of
	 * issue 17. */
	ck_assert_int_eq(METRIC_COUNT, 24);
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
	/* Child-based: exactly the five of docs/metrics.md (the denominator of
	 * trafficking_identified_per_1000_served is too, not its numerator). */
	for (int m = 0; m < METRIC_COUNT; m++)
		ck_assert_int_eq(
		    metrics_catalog[m].child_based,
		    m == METRIC_TWO_OR_FEWER_PLACEMENTS_PCT || m == METRIC_YOUTH_WITH_RUNAWAY_PCT ||
		        m == METRIC_REPEAT_RUNAWAY_PCT || m == METRIC_STILL_MISSING_COUNT ||
		        m == METRIC_ADVOCATE_REACH_PCT);
	/* Issue 17: the annual cohorts; the trafficking metrics read the
	 * optional table; none has a setting or los_band breakdown. */
	ck_assert_uint_eq(metrics_catalog[METRIC_PERMANENCY_12M_ENTRIES_PCT].period_types, annual);
	ck_assert_uint_eq(metrics_catalog[METRIC_REENTRY_12M_PCT].period_types, annual);
	ck_assert_uint_eq(metrics_catalog[METRIC_PERMANENCY_12M_AFTER_ASSIGNMENT_PCT].period_types,
	                  annual);
	ck_assert_uint_eq(
	    metrics_catalog[METRIC_TRAFFICKING_IDENTIFIED_PER_1000_SERVED].period_types, annual);
	for (int m = METRIC_PERMANENCY_12M_ENTRIES_PCT; m < METRIC_COUNT; m++) {
		ck_assert_int_eq(metrics_catalog[m].needs_identifications,
		                 m >= METRIC_TRAFFICKING_IDENTIFIED_PER_1000_SERVED);
		ck_assert_uint_eq(metrics_catalog[m].dims,
		                  DIM_BIT(DIM_TOTAL) | DIM_BIT(DIM_COUNTY) | DIM_BIT(DIM_AGE_BAND) |
		                      DIM_BIT(DIM_SEX) | DIM_BIT(DIM_RACE_ETHNICITY) |
		                      DIM_BIT(DIM_ADVOCATE));
	}
	/* Additive in time (docs/metrics.md): both counts of
	 * moves_per_1000_days_in_care, runaway_episodes_per_1000_days,
	 * returned_within_7_days_pct, the two reported_*_24h_pct,
	 * screened_after_return_pct, screened_positive_pct and
	 * runaway_discharges_pct = 8 metrics; the denominators (episodes) of the
	 * two days_missing quantiles. */
	const uint8_t both = METRIC_COUNT_NUMERATOR | METRIC_COUNT_DENOMINATOR;
	int additive = 0, denominators_only = 0;
	for (int m = 0; m < METRIC_COUNT; m++) {
		additive += metrics_catalog[m].time_additive == both;
		denominators_only += metrics_catalog[m].time_additive == METRIC_COUNT_DENOMINATOR;
	}
	/* issue 17: identified_after_missing_pct and
	 * trafficking_reported_le_24h_pct both; days_to_assignment_median its
	 * episodes; trafficking_identified_per_1000_served its numerator only
	 * (children served do not add up) */
	ck_assert_int_eq(additive, 10);
	ck_assert_int_eq(denominators_only, 3);
	ck_assert_uint_eq(
	    metrics_catalog[METRIC_TRAFFICKING_IDENTIFIED_PER_1000_SERVED].time_additive,
	    METRIC_COUNT_NUMERATOR);
	ck_assert_uint_eq(METRIC_COUNT_NUMERATOR, 0x1);
	ck_assert_uint_eq(METRIC_COUNT_DENOMINATOR, 0x2);
	ck_assert_uint_eq(metrics_catalog[METRIC_SCREENED_POSITIVE_PCT].time_additive, both);
	ck_assert_uint_eq(metrics_catalog[METRIC_DAYS_MISSING_MEDIAN].time_additive,
	                  METRIC_COUNT_DENOMINATOR);
	ck_assert_uint_eq(metrics_catalog[METRIC_YOUTH_WITH_RUNAWAY_PCT].time_additive, 0);
	ck_assert_int_eq(metrics_catalog[METRIC_STILL_MISSING_COUNT].kind, METRIC_KIND_COUNT);
	ck_assert_int_eq(metrics_catalog[METRIC_DAYS_MISSING_P90].kind, METRIC_KIND_QUANTILE);
}
END_TEST

/* Counts a metric of this kind publishes (SPEC §4: a quantile has no
 * numerator, a count no denominator). */
static bool has_field(enum metric_kind kind, int field)
{
	if (kind == METRIC_KIND_QUANTILE)
		return field == METRIC_FIELD_DENOMINATOR;
	if (kind == METRIC_KIND_COUNT)
		return field == METRIC_FIELD_NUMERATOR;
	return true;
}

START_TEST(test_catalog_facts)
{
	for (int m = 0; m < METRIC_COUNT; m++) {
		const struct metric_def *def = &metrics_catalog[m];
		/* The summary's period type is one the metric has; a settled row
		 * needs a lag of its own. */
		ck_assert(def->period_types & PERIOD_BIT(def->summary_period_type));
		if (def->summary_row == METRIC_SUMMARY_LAST_SETTLED)
			ck_assert_int_gt(def->observation_lag_days, 0);
		ck_assert_int_le(def->reference_count, METRIC_REFERENCES_MAX);
		for (int r = 0; r < def->reference_count; r++) {
			const struct metric_reference *ref = &def->references[r];
			ck_assert(ref->dim == DIM_TOTAL || (def->dims & DIM_BIT(ref->dim)));
			ck_assert_ptr_nonnull(metrics_group_label(ref->dim, ref->group));
			ck_assert_ptr_nonnull(ref->source);
		}
		/* ids and titles are each one metric's */
		for (int o = 0; o < m; o++) {
			ck_assert_str_ne(metrics_catalog[o].id, def->id);
			ck_assert_str_ne(metrics_catalog[o].title, def->title);
		}
	}
	/* SPEC §4: CFSR round 4 national performance 4.48, lower is better. */
	const struct metric_def *cfsr = &metrics_catalog[METRIC_PLACEMENT_MOVES_PER_1000_DAYS];
	ck_assert_int_eq(cfsr->reference_count, 1);
	ck_assert_int_eq(cfsr->references[0].dim, DIM_TOTAL);
	ck_assert_double_eq(cfsr->references[0].value, 4.48);
	ck_assert_int_eq(cfsr->better, METRIC_BETTER_LOWER);
	/* SPEC §4: 83.3, 59.9, 33.9 by los_band. */
	const struct metric_def *two = &metrics_catalog[METRIC_TWO_OR_FEWER_PLACEMENTS_PCT];
	ck_assert_int_eq(two->reference_count, 3);
	ck_assert_int_eq(two->references[1].group, LOS_12TO24M);
	ck_assert_double_eq(two->references[1].value, 59.9);
	/* A stock shows its latest month. */
	ck_assert_int_eq(metrics_catalog[METRIC_STILL_MISSING_COUNT].summary_period_type,
	                 PERIOD_MONTH);
	ck_assert_int_eq(metrics_catalog[METRIC_STILL_MISSING_COUNT].summary_row,
	                 METRIC_SUMMARY_LATEST);
}
END_TEST

START_TEST(test_equal_counts)
{
	for (size_t l = 0; l < metrics_equal_count_count; l++) {
		const struct metric_equal_count *link = &metrics_equal_counts[l];
		const struct metric_def *a = &metrics_catalog[link->a],
		                        *b = &metrics_catalog[link->b];
		ck_assert(has_field(a->kind, link->field_a));
		ck_assert(has_field(b->kind, link->field_b));
		/* they share a table, and the age_band one for AGE_12_PLUS */
		ck_assert(a->period_types & b->period_types);
		ck_assert(a->dims & b->dims & DIM_BIT(DIM_TOTAL));
		if (link->scope == METRIC_EQUAL_AGE_12_PLUS)
			ck_assert(a->dims & b->dims & DIM_BIT(DIM_AGE_BAND));
		/* linked counts settle together, whatever the window */
		for (int64_t window = 3600; window <= 40 * 86400; window *= 3)
			ck_assert_int_eq(metrics_observation_lag_days(link->a, window),
			                 metrics_observation_lag_days(link->b, window));
	}
	/* The lead's list: runaway num = LE den = NCMEC den; num = returned den
	 * (periods 7 days old); den = moves den; screened num = positive den;
	 * median den = p90 den = screened den; youth num = repeat den (12+). */
	ck_assert_uint_ge(metrics_equal_count_count, 8);

	int32_t as_of = date_from_ymd(2025, 6, 30);
	struct metric_equal_count closed7 = {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, 0,
	                                     METRIC_RETURNED_WITHIN_7_DAYS_PCT, 1,
	                                     METRIC_EQUAL_CLOSED_7_DAYS};
	/* 2025-06-23 = as_of - 7: every begin has had its 7 days; 06-24 not */
	ck_assert(
	    metrics_equal_count_holds(&closed7, date_from_ymd(2025, 6, 23), as_of, DIM_TOTAL, 0));
	ck_assert(
	    !metrics_equal_count_holds(&closed7, date_from_ymd(2025, 6, 24), as_of, DIM_TOTAL, 0));
	struct metric_equal_count closed30 = closed7, closed364 = closed7, age = closed7;
	closed30.scope = METRIC_EQUAL_CLOSED_30_DAYS;
	closed364.scope = METRIC_EQUAL_CLOSED_364_DAYS;
	age.scope = METRIC_EQUAL_AGE_12_PLUS;
	/* 2025-05-31 = as_of - 30 */
	ck_assert(
	    metrics_equal_count_holds(&closed30, date_from_ymd(2025, 5, 31), as_of, DIM_TOTAL, 0));
	ck_assert(
	    !metrics_equal_count_holds(&closed30, date_from_ymd(2025, 6, 1), as_of, DIM_TOTAL, 0));
	/* a window from 2024-07-01 ends 2025-07-01 = as_of + 1: elapsed */
	ck_assert(
	    metrics_equal_count_holds(&closed364, date_from_ymd(2024, 7, 1), as_of, DIM_TOTAL, 0));
	ck_assert(
	    !metrics_equal_count_holds(&closed364, date_from_ymd(2024, 7, 2), as_of, DIM_TOTAL, 0));
	ck_assert(metrics_equal_count_holds(&age, as_of, as_of, DIM_AGE_BAND, AGE_12_14));
	ck_assert(metrics_equal_count_holds(&age, as_of, as_of, DIM_AGE_BAND, AGE_18_PLUS));
	ck_assert(!metrics_equal_count_holds(&age, as_of, as_of, DIM_AGE_BAND, AGE_6_11));
	ck_assert(!metrics_equal_count_holds(&age, as_of, as_of, DIM_TOTAL, 0));
}
END_TEST

START_TEST(test_observation_lags)
{
	const int64_t hours72 = 72 * 3600;
	/* runaway episodes share their count with the reporting (1 day) and
	 * returned_within_7_days_pct (7): the group settles after 7 */
	ck_assert_int_eq(metrics_catalog[METRIC_REPORTED_LE_24H_PCT].observation_lag_days, 1);
	ck_assert_int_eq(metrics_observation_lag_days(METRIC_REPORTED_LE_24H_PCT, hours72), 7);
	ck_assert_int_eq(metrics_observation_lag_days(METRIC_MOVES_PER_1000_DAYS_IN_CARE, hours72),
	                 7);
	/* the screening window's group: the quantiles and screening shares
	 * share the count of returned episodes with identified_after_missing_pct
	 * (30 days), which dominates a 72-hour window; a 31-day window plus one
	 * second rounds up to 32 */
	ck_assert_int_eq(metrics_observation_lag_days(METRIC_DAYS_MISSING_P90, hours72), 30);
	ck_assert_int_eq(metrics_observation_lag_days(METRIC_SCREENED_POSITIVE_PCT, 31 * 86400 + 1),
	                 32);
	ck_assert_int_eq(
	    metrics_observation_lag_days(METRIC_IDENTIFIED_AFTER_MISSING_PCT, 31 * 86400 + 1), 32);
	/* issue 17: exits wait 12 months after entry, then 12 after the exit;
	 * the median of days to assignment settles with the assignment
	 * cohort whose count it shares */
	ck_assert_int_eq(metrics_observation_lag_days(METRIC_REENTRY_12M_PCT, hours72), 730);
	ck_assert_int_eq(metrics_observation_lag_days(METRIC_DAYS_TO_ASSIGNMENT_MEDIAN, hours72),
	                 365);
	ck_assert_int_eq(metrics_observation_lag_days(METRIC_ADVOCATE_REACH_PCT, hours72), 0);
	ck_assert_int_eq(
	    metrics_observation_lag_days(METRIC_TRAFFICKING_IDENTIFIED_PER_1000_SERVED, hours72),
	    1);
	/* the full 12 months of the entry window */
	ck_assert_int_eq(
	    metrics_observation_lag_days(METRIC_RUNAWAY_WITHIN_12M_OF_ENTRY_PCT, hours72), 365);
	ck_assert_int_eq(metrics_observation_lag_days(METRIC_YOUTH_WITH_RUNAWAY_PCT, hours72), 0);
	ck_assert_int_eq(metrics_observation_lag_days(METRIC_STILL_MISSING_COUNT, hours72), 0);
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
	struct metrics_options options = {10, 259200, 0.95, CONFIG_DEFAULT_METRICS_THREADS};
	struct metrics_result result;
	enum metrics_failure failure;
	ck_assert(metrics_compute(&model, &options, &result, &failure));
	/* without trafficking_identifications its three metrics have none */
	size_t expected = 0;
	for (int m = 0; m < METRIC_COUNT; m++)
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
			for (int d = 0; d < DIM_COUNT; d++)
				expected += (metrics_catalog[m].period_types & PERIOD_BIT(t)) &&
				            (metrics_catalog[m].dims & DIM_BIT(d)) &&
				            !metrics_catalog[m].needs_identifications;
	ck_assert_uint_eq(result.table_count, expected);
	ck_assert_ptr_null(metrics_table_find(&result, METRIC_TRAFFICKING_REPORTED_LE_24H_PCT,
	                                      PERIOD_MONTH, DIM_TOTAL));
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
	    {{0, 259200, 0.95, 1}, METRICS_FAILED_FY_START_MONTH},
	    {{13, 259200, 0.95, 1}, METRICS_FAILED_FY_START_MONTH},
	    {{10, 0, 0.95, 1}, METRICS_FAILED_SCREENING_WINDOW},
	    {{10, -3600, 0.95, 1}, METRICS_FAILED_SCREENING_WINDOW},
	    /* Both wrong: the month is checked first. */
	    {{-1, 0, 0.95, 1}, METRICS_FAILED_FY_START_MONTH},
	    /* The level's range is INTERVAL_CONFIDENCE_MIN..MAX (0.80..0.999);
	     * 0 is what a caller that forgets the field passes. */
	    {{10, 259200, 0, 1}, METRICS_FAILED_CONFIDENCE},
	    {{10, 259200, 0.9999, 1}, METRICS_FAILED_CONFIDENCE},
	    /* threads: 1..METRICS_THREADS_MAX (64); 0 is a forgotten field */
	    {{10, 259200, 0.95, 0}, METRICS_FAILED_THREADS},
	    {{10, 259200, 0.95, -2}, METRICS_FAILED_THREADS},
	    {{10, 259200, 0.95, 65}, METRICS_FAILED_THREADS},
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
	ck_assert_str_eq(metrics_failure_text(METRICS_FAILED_THREADS), "thread count is not 1..64");
}
END_TEST

static Suite *catalog_suite(void)
{
	Suite *s = suite_create("metrics_catalog");
	TCase *tc = tcase_create("catalog");
	tcase_add_test(tc, test_catalog_complete);
	tcase_add_test(tc, test_catalog_rules);
	tcase_add_test(tc, test_catalog_facts);
	tcase_add_test(tc, test_equal_counts);
	tcase_add_test(tc, test_observation_lags);
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
