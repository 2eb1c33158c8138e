/*
 * test_release.c — settling, the view of a release, the ledger and its file
 * (include/casa/release.h). Expected values are worked out by hand in the
 * comments.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casa/date.h"
#include "casa/disclosure.h"
#include "casa/metrics.h"
#include "casa/release.h"

START_TEST(test_settled_days)
{
	/* 2025-Q1 ends 2025-03-31; with a lag of 7 days and 30 settle days it
	 * settles on 2025-03-31 + 37 = 2025-05-07 */
	int32_t q1 = 2025 * 4;
	ck_assert(!release_settled(PERIOD_QUARTER, 10, q1, 7, 30, date_from_ymd(2025, 5, 6)));
	ck_assert(release_settled(PERIOD_QUARTER, 10, q1, 7, 30, date_from_ymd(2025, 5, 7)));
	/* FY2025 (October start) ends 2025-09-30: with no lag, 2025-10-30 */
	ck_assert(
	    !release_settled(PERIOD_FISCAL_YEAR, 10, 2025, 0, 30, date_from_ymd(2025, 10, 29)));
	ck_assert(
	    release_settled(PERIOD_FISCAL_YEAR, 10, 2025, 0, 30, date_from_ymd(2025, 10, 30)));
}
END_TEST

/* A small result: runaway rate, months and quarters of 2024, by county. */
struct fixture {
	struct metrics_result raw;
	struct metrics_table tables[4];
	struct metrics_cell cells[4][64];
	char *counties[3];
	struct release_options options;
};

static void fixture_init(struct fixture *fx, size_t counties)
{
	memset(fx, 0, sizeof(*fx));
	static char *names[3] = {"Adams", "Baker", "Cole"};
	fx->raw.as_of = date_from_ymd(2024, 12, 31);
	fx->raw.fy_start_month = 10;
	fx->raw.tables = fx->tables;
	fx->raw.table_count = 4;
	fx->raw.counties = fx->counties;
	fx->raw.county_count = counties;
	for (size_t i = 0; i < counties; i++)
		fx->counties[i] = names[i];
	const struct {
		enum period_type type;
		enum dim dim;
		int32_t first;
		uint32_t periods;
	} layout[4] = {{PERIOD_MONTH, DIM_TOTAL, 2024 * 12, 12},
	               {PERIOD_MONTH, DIM_COUNTY, 2024 * 12, 12},
	               {PERIOD_QUARTER, DIM_TOTAL, 2024 * 4, 4},
	               {PERIOD_QUARTER, DIM_COUNTY, 2024 * 4, 4}};
	for (int i = 0; i < 4; i++) {
		struct metrics_table *t = &fx->tables[i];
		t->metric = METRIC_RUNAWAY_EPISODES_PER_1000_DAYS;
		t->period_type = layout[i].type;
		t->dim = layout[i].dim;
		t->first_period = layout[i].first;
		t->period_count = layout[i].periods;
		t->group_count = layout[i].dim == DIM_COUNTY ? (uint32_t)counties : 1;
		t->cells = fx->cells[i];
	}
	/* every county: 5 runaways and 300 days a month; quarters and totals
	 * are the sums (the metrics stage guarantees it) */
	for (uint32_t m = 0; m < 12; m++) {
		for (uint32_t g = 0; g < counties; g++)
			fx->cells[1][m * counties + g] = (struct metrics_cell){
			    .numerator = 5, .denominator = 300, .children = 20, .quantile_2s = 0};
		fx->cells[0][m] = (struct metrics_cell){.numerator = 5 * (int64_t)counties,
		                                        .denominator = 300 * (int64_t)counties,
		                                        .children = 20 * (int64_t)counties,
		                                        .quantile_2s = 0};
	}
	for (uint32_t q = 0; q < 4; q++) {
		for (uint32_t g = 0; g < counties; g++)
			fx->cells[3][q * counties + g] = (struct metrics_cell){
			    .numerator = 15, .denominator = 900, .children = 25, .quantile_2s = 0};
		fx->cells[2][q] = (struct metrics_cell){.numerator = 15 * (int64_t)counties,
		                                        .denominator = 900 * (int64_t)counties,
		                                        .children = 25 * (int64_t)counties,
		                                        .quantile_2s = 0};
	}
	fx->options.settings.min_cell = 11;
	fx->options.settings.fy_start_month = 10;
	fx->options.settings.settle_days = 30;
	fx->options.settings.screening_window_s = 72 * 3600;
	release_plan_default(&fx->options.settings.plan);
}

/*
 * as_of 2024-12-31, settle 30, lag 7: a month settles 37 days after its last
 * day. November ends 11-30: 11-30 + 37 = 2025-01-06 > as_of: not settled;
 * October ends 10-31: 12-07 <= as_of: settled. So months Jan..Oct (10) are
 * settled; quarters: Q3 ends 09-30 -> 11-06 settled, Q4 not: 3 settled.
 * The plan publishes month totals (all 12 rows) and quarter breakdowns
 * (the 3 settled rows); month x county is not published but its settled
 * months are frozen (the additive basis).
 */
START_TEST(test_view_rows_and_ledger)
{
	struct fixture fx;
	fixture_init(&fx, 2);
	struct release_view view;
	char err[RELEASE_ERROR_LEN];
	ck_assert_msg(release_apply(&fx.raw, NULL, &fx.options, &view, err), "%s", err);
	ck_assert(view.tables[0].published && view.tables[0].published_rows == 12);
	ck_assert(!view.tables[1].published);
	ck_assert(view.tables[3].published && view.tables[3].published_rows == 3);
	ck_assert(view.tables[1].state[9 * 2] & RELEASE_SETTLED);     /* October */
	ck_assert(!(view.tables[1].state[10 * 2] & RELEASE_SETTLED)); /* November */
	uint8_t secret[4 * 64] = {0};
	struct release_ledger *ledger = release_commit(&view, secret, &fx.options, err);
	ck_assert_ptr_nonnull(ledger);
	/* frozen: 10 month totals + 10 x 2 county months + 3 quarter totals + 3
	 * x 2 quarter cells = 39 */
	ck_assert_uint_eq(release_ledger_cells(ledger), 39);
	release_view_free(&view);

	/*
	 * Late data: 3 more runaways in Adams in March (a frozen month) and a
	 * new county Cole with 4 runaways in February (frozen too) and 2 in
	 * December (not settled). The next view serves the frozen months, and
	 * the quarters are the sums of the view's months: Q1 Adams stays
	 * 5 + 5 + 5 = 15 (not 18); Cole's frozen February is 0 (it had no row
	 * when February froze), its Q1 0; its December 2 (open); Q4 county
	 * cells are the sums of Oct (frozen) + Nov + Dec: Cole 0 + 0 + 2 = 2.
	 * The month totals keep the frozen values: March 10 (not 13).
	 */
	struct fixture late;
	fixture_init(&late, 3);
	for (uint32_t m = 0; m < 12; m++)
		late.cells[1][m * 3 + 2] = (struct metrics_cell){
		    .numerator = 0, .denominator = 0, .children = 0, .quantile_2s = 0};
	for (uint32_t q = 0; q < 4; q++)
		late.cells[3][q * 3 + 2] = (struct metrics_cell){
		    .numerator = 0, .denominator = 0, .children = 0, .quantile_2s = 0};
	late.cells[1][2 * 3 + 0].numerator = 8; /* Adams March */
	late.cells[1][1 * 3 + 2] = (struct metrics_cell){
	    .numerator = 4, .denominator = 60, .children = 3, .quantile_2s = 0};
	late.cells[1][11 * 3 + 2] = (struct metrics_cell){
	    .numerator = 2, .denominator = 31, .children = 1, .quantile_2s = 0};
	late.cells[0][2].numerator += 3;
	late.cells[0][1].numerator += 4;
	late.cells[0][11].numerator += 2;
	late.cells[3][0 * 3 + 0].numerator = 18;
	late.cells[3][0 * 3 + 2] = (struct metrics_cell){
	    .numerator = 4, .denominator = 60, .children = 3, .quantile_2s = 0};
	late.cells[3][3 * 3 + 2] = (struct metrics_cell){
	    .numerator = 2, .denominator = 31, .children = 1, .quantile_2s = 0};
	ck_assert_msg(release_apply(&late.raw, ledger, &late.options, &view, err), "%s", err);
	ck_assert(!view.revision);
	ck_assert_uint_eq(view.raw.county_count, 3);
	const struct metrics_table *mc = &view.raw.tables[1], *qc = &view.raw.tables[3],
	                           *mt = &view.raw.tables[0];
	ck_assert_int_eq(mc->cells[2 * 3 + 0].numerator, 5);  /* Adams March, frozen */
	ck_assert_int_eq(mc->cells[1 * 3 + 2].numerator, 0);  /* Cole February, frozen 0 */
	ck_assert_int_eq(mc->cells[11 * 3 + 2].numerator, 2); /* Cole December, open */
	ck_assert_int_eq(qc->cells[0 * 3 + 0].numerator, 15); /* Adams Q1 */
	ck_assert_int_eq(qc->cells[0 * 3 + 2].numerator, 0);  /* Cole Q1 */
	ck_assert_int_eq(qc->cells[3 * 3 + 2].numerator, 2);  /* Cole Q4 */
	ck_assert_int_eq(mt->cells[2].numerator, 10);         /* March total, frozen */
	ck_assert(view.tables[3].state[0] & RELEASE_FROZEN);
	release_view_free(&view);

	/* A revision takes today's counts and keeps the published ones for
	 * comparison: Adams Q1 18 now, 15 before. */
	late.options.revise = true;
	ck_assert_msg(release_apply(&late.raw, ledger, &late.options, &view, err), "%s", err);
	ck_assert(view.revision);
	ck_assert_int_eq(view.raw.tables[3].cells[0].numerator, 18);
	ck_assert(view.tables[3].state[0] & RELEASE_PREVIOUS);
	ck_assert_int_eq(view.tables[3].prev[0].numerator, 15);
	release_view_free(&view);

	/* Other settings are a revision too (k changed). */
	late.options.revise = false;
	late.options.settings.min_cell = 12;
	ck_assert_msg(release_apply(&late.raw, ledger, &late.options, &view, err), "%s", err);
	ck_assert(view.revision);
	release_view_free(&view);
	release_ledger_free(ledger);
}
END_TEST

/*
 * Counts dated before the first month (a trafficking identification before
 * the first removal) are in no month but in their quarter. Months start in
 * February here; Adams's Q1 holds Feb 5 + Mar 5 + 2 dated in January = 12
 * runaways and 300 + 300 + 300 = 900 days. The view keeps 12 / 900 (months
 * alone would give 10 / 600) and marks Q1 RELEASE_OUTSIDE: its months do not
 * add up to it. Q2 (Apr + May + Jun = 15) is not marked.
 */
START_TEST(test_counts_before_the_first_month)
{
	struct fixture fx;
	fixture_init(&fx, 2);
	for (int i = 0; i < 2; i++) {
		fx.tables[i].first_period = 2024 * 12 + 1;
		fx.tables[i].period_count = 11;
	}
	fx.cells[3][0 * 2 + 0].numerator = 12;
	fx.cells[2][0].numerator = 12 + 15; /* Baker: Feb 5 + Mar 5 + 5 in January */
	struct release_view view;
	char err[RELEASE_ERROR_LEN];
	ck_assert_msg(release_apply(&fx.raw, NULL, &fx.options, &view, err), "%s", err);
	const struct metrics_table *qc = &view.raw.tables[3], *qt = &view.raw.tables[2];
	ck_assert_int_eq(qc->cells[0].numerator, 12);
	ck_assert_int_eq(qc->cells[0].denominator, 900);
	ck_assert_int_eq(qt->cells[0].numerator, 27);
	ck_assert(view.tables[3].state[0] & RELEASE_OUTSIDE);
	ck_assert(view.tables[2].state[0] & RELEASE_OUTSIDE);
	ck_assert_int_eq(qc->cells[1 * 2 + 0].numerator, 15);
	ck_assert(!(view.tables[3].state[1 * 2 + 0] & RELEASE_OUTSIDE));
	release_view_free(&view);
}
END_TEST

START_TEST(test_ledger_file)
{
	struct fixture fx;
	fixture_init(&fx, 2);
	snprintf(fx.options.settings.timezone, sizeof(fx.options.settings.timezone), "UTC");
	struct release_view view;
	char err[RELEASE_ERROR_LEN];
	ck_assert(release_apply(&fx.raw, NULL, &fx.options, &view, err));
	uint8_t secret[4 * 64] = {0};
	secret[view.raw.tables[0].period_count + view.raw.tables[1].period_count * 2] = 0x1;
	struct release_ledger *ledger = release_commit(&view, secret, &fx.options, err);
	ck_assert_ptr_nonnull(ledger);
	release_view_free(&view);

	char dir[] = "/tmp/casa-ledger-test.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* no file: no ledger, not an error */
	struct release_ledger *loaded = NULL;
	ck_assert(release_ledger_load(dir, &loaded, err));
	ck_assert_ptr_null(loaded);
	ck_assert_msg(release_ledger_save(ledger, dir, err), "%s", err);
	ck_assert_msg(release_ledger_load(dir, &loaded, err), "%s", err);
	ck_assert_ptr_nonnull(loaded);
	ck_assert(release_settings_equal(release_ledger_settings(loaded),
	                                 release_ledger_settings(ledger)));
	ck_assert_uint_eq(release_ledger_cells(loaded), release_ledger_cells(ledger));
	/* the same view from both: the frozen secret bit came back (quarter
	 * total Q1 hidden) */
	ck_assert(release_apply(&fx.raw, loaded, &fx.options, &view, err));
	ck_assert(view.tables[2].state[0] & RELEASE_SECRET_NUM);
	ck_assert(!(view.tables[2].state[1] & RELEASE_SECRET_NUM));
	release_view_free(&view);
	release_ledger_free(loaded);

	/* one flipped byte anywhere: refused as a whole */
	char path[64];
	snprintf(path, sizeof(path), "%s/ledger.bin", dir);
	FILE *f = fopen(path, "r+b");
	ck_assert_ptr_nonnull(f);
	fseek(f, 40, SEEK_SET);
	int c = fgetc(f);
	fseek(f, 40, SEEK_SET);
	fputc(c ^ 0x20, f);
	fclose(f);
	ck_assert(!release_ledger_load(dir, &loaded, err));
	ck_assert_ptr_nonnull(strstr(err, "corrupted"));
	unlink(path);
	rmdir(dir);
	release_ledger_free(ledger);
}
END_TEST

static Suite *release_suite(void)
{
	Suite *s = suite_create("release");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_settled_days);
	tcase_add_test(tc, test_view_rows_and_ledger);
	tcase_add_test(tc, test_counts_before_the_first_month);
	tcase_add_test(tc, test_ledger_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(release_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
