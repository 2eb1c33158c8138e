/*
 * test_disclosure.c — the suppression engine (SPEC §5, src/disclosure_suppress.c)
 * on hand-built cells turned into a release view. Every expectation is worked
 * out by hand in the comment next to it.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "casa/date.h"
#include "casa/disclosure.h"
#include "casa/metrics.h"
#include "casa/release.h"
#include "../../src/disclosure_internal.h"

#define K 11

/* A hand-built metrics_result: tables must be added in (metric, period type,
 * dim) order, as metrics_compute lays them out. */
struct fixture {
	struct metrics_result raw;         /* points into tables below */
	struct metrics_table tables[16];   /* hand-filled */
	struct metrics_cell cells[16][64]; /* cells of each table */
	char *counties[4];                 /* county labels */
	struct release_options options;    /* plan, settle days */
};

static void fixture_init(struct fixture *fx, int32_t as_of, const char *plan)
{
	memset(fx, 0, sizeof(*fx));
	fx->raw.tables = fx->tables;
	fx->raw.fy_start_month = 10;
	fx->raw.as_of = as_of;
	fx->options.settings.min_cell = K;
	fx->options.settings.fy_start_month = 10;
	fx->options.settings.settle_days = 30;
	fx->options.settings.screening_window_s = 72 * 3600;
	char err[RELEASE_ERROR_LEN];
	ck_assert_msg(release_plan_parse(plan, &fx->options.settings.plan, err), "%s", err);
}

static struct metrics_table *add_table(struct fixture *fx, enum metric_id metric,
                                       enum period_type type, enum dim dim, int32_t first_period,
                                       uint32_t periods, uint32_t groups)
{
	size_t i = fx->raw.table_count++;
	ck_assert_uint_lt(i, 16);
	ck_assert_uint_le((size_t)periods * groups, 64);
	struct metrics_table *t = &fx->tables[i];
	t->metric = metric;
	t->period_type = type;
	t->dim = dim;
	t->first_period = first_period;
	t->period_count = periods;
	t->group_count = groups;
	t->cells = fx->cells[i];
	return t;
}

static void set_cell(struct metrics_table *t, uint32_t p, uint32_t g, int64_t num, int64_t den,
                     int64_t children)
{
	struct metrics_cell *c = &t->cells[p * t->group_count + g];
	c->numerator = num;
	c->denominator = den;
	c->children = children;
}

/* Protects the fixture as one release with no earlier one. */
static void protect(struct fixture *fx, struct disclosure_result *out)
{
	struct release_view view;
	char rerr[RELEASE_ERROR_LEN], derr[DISCLOSURE_ERROR_LEN];
	ck_assert_msg(release_apply(&fx->raw, NULL, &fx->options, &view, rerr), "%s", rerr);
	struct disclosure_options o;
	memset(&o, 0, sizeof(o));
	o.mode = DISCLOSURE_SUPPRESS;
	o.min_cell = K;
	ck_assert_msg(disclosure_protect(&view, &o, out, derr), "%s", derr);
	release_view_free(&view);
}

static bool hidden(const struct disclosure_result *out, size_t table, uint32_t p, uint32_t g)
{
	const struct disclosure_table *t = &out->tables[table];
	ck_assert_uint_lt(p, t->published_rows);
	return t->cells[p * t->group_count + g].suppressed;
}

/* ---- the primary rule ---- */

START_TEST(test_primary_rule)
{
	struct metrics_cell c = {0};
	/* fewer than k children: every count of the cell */
	c = (struct metrics_cell){
	    .numerator = 20, .denominator = 400, .children = 10, .quantile_2s = 0};
	ck_assert_uint_eq(disclosure_primary_fields(METRIC_KIND_RATE, &c, K), 0x3);
	/* numerator 1..k-1 with k children or more: the numerator only */
	c = (struct metrics_cell){
	    .numerator = 10, .denominator = 400, .children = 30, .quantile_2s = 0};
	ck_assert_uint_eq(disclosure_primary_fields(METRIC_KIND_RATE, &c, K), 0x1);
	/* a percentage's complement 25 - 20 = 5 in 1..10: the numerator */
	c = (struct metrics_cell){
	    .numerator = 20, .denominator = 25, .children = 25, .quantile_2s = 0};
	ck_assert_uint_eq(disclosure_primary_fields(METRIC_KIND_PERCENT, &c, K), 0x1);
	/* zero is not a small count; an empty cell is nobody */
	c = (struct metrics_cell){
	    .numerator = 0, .denominator = 400, .children = 30, .quantile_2s = 0};
	ck_assert_uint_eq(disclosure_primary_fields(METRIC_KIND_RATE, &c, K), 0);
	c = (struct metrics_cell){
	    .numerator = 0, .denominator = 0, .children = 0, .quantile_2s = 0};
	ck_assert_uint_eq(disclosure_primary_fields(METRIC_KIND_PERCENT, &c, K), 0);
	/* a quantile on 10 episodes: its episode count */
	c = (struct metrics_cell){
	    .numerator = 0, .denominator = 10, .children = 10, .quantile_2s = 1000};
	ck_assert_uint_eq(disclosure_primary_fields(METRIC_KIND_QUANTILE, &c, K), 0x2);
}
END_TEST

/* ---- a rectangle inside one year ---- */

/*
 * runaway_episodes_per_1000_days, quarters of 2024 by advocate and the year,
 * as of 2025-02-15 (2024 settled: its last day + 7 + 30 = 2025-02-06).
 * Runaway episodes (numerators), days in care 1000 per cell, children =
 * 100 + episodes:
 *              Q1   Q2   Q3   Q4   year
 *   assigned    3   20   25   30     78
 *   not        50   55   60   65    230
 * Only assigned Q1 (3) is secret (numerator 1..10). Its room must reach
 * k - 1 = 10. Without a fiscal year published, the four quarters share the
 * same longer period (2024): a rectangle of two quarters x both groups keeps
 * every relation. Candidates and their price (3000 per quarter cell +
 * children):
 *   {Q1,Q2}: assigned Q2 (3120) + not Q1 (3150) + not Q2 (3155) = 9425
 *   {Q1,Q3}: 3125 + 3150 + 3160 = 9435;  {Q1,Q4}: 9445
 *   a year-based star hides year cells (9000 each): dearer.
 * {Q1,Q2}: assigned Q1 can rise by what assigned Q2 gives up (20) and what
 * not-assigned Q1 gives up (50): 20; it can fall to 0: 3; room 23 >= 10.
 * Each other cell of the rectangle has room too: assigned Q2 rises by
 * min(assigned Q1 3, not Q2 55) = 3 and falls by min(20, not Q1 50) = 20;
 * not Q1: +3 / -20; not Q2: +20 / -3: all 23 >= 10, so nothing more.
 * Expected: exactly those four cells hidden; every total and year published.
 */
START_TEST(test_rectangle_in_a_year)
{
	struct fixture fx;
	fixture_init(&fx, date_from_ymd(2025, 2, 15), "quarter:total+advocate year:total+advocate");
	int32_t q0 = 2024 * 4;
	/* quarter rows 2024-Q1 .. 2025-Q1, year rows 2024 .. 2025 */
	struct metrics_table *qt = add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                     PERIOD_QUARTER, DIM_TOTAL, q0, 5, 1);
	struct metrics_table *qa = add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                     PERIOD_QUARTER, DIM_ADVOCATE, q0, 5, 2);
	struct metrics_table *yt = add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                     PERIOD_YEAR, DIM_TOTAL, 2024, 2, 1);
	struct metrics_table *ya = add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                     PERIOD_YEAR, DIM_ADVOCATE, 2024, 2, 2);
	const int64_t assigned[4] = {3, 20, 25, 30}, not_assigned[4] = {50, 55, 60, 65};
	for (uint32_t q = 0; q < 4; q++) {
		set_cell(qa, q, 0, assigned[q], 1000, 100 + assigned[q]);
		set_cell(qa, q, 1, not_assigned[q], 1000, 100 + not_assigned[q]);
		set_cell(qt, q, 0, assigned[q] + not_assigned[q], 2000, 200);
	}
	set_cell(ya, 0, 0, 78, 4000, 150);
	set_cell(ya, 0, 1, 230, 4000, 200);
	set_cell(yt, 0, 0, 308, 8000, 300);
	/* 2025: no data yet, but children in care (the totals are published) */
	set_cell(qt, 4, 0, 0, 500, 40);
	set_cell(yt, 1, 0, 0, 500, 40);
	struct disclosure_result out;
	protect(&fx, &out);
	/* breakdowns: the four settled quarters and the settled year only */
	ck_assert_uint_eq(out.tables[1].published_rows, 4);
	ck_assert_uint_eq(out.tables[3].published_rows, 1);
	ck_assert(hidden(&out, 1, 0, 0) && hidden(&out, 1, 1, 0));   /* assigned Q1, Q2 */
	ck_assert(hidden(&out, 1, 0, 1) && hidden(&out, 1, 1, 1));   /* not assigned Q1, Q2 */
	ck_assert(!hidden(&out, 1, 2, 0) && !hidden(&out, 1, 3, 0)); /* Q3, Q4 published */
	ck_assert(!hidden(&out, 1, 2, 1) && !hidden(&out, 1, 3, 1));
	for (uint32_t q = 0; q < 5; q++)
		ck_assert(!hidden(&out, 0, q, 0));                   /* totals */
	ck_assert(!hidden(&out, 3, 0, 0) && !hidden(&out, 3, 0, 1)); /* years */
	ck_assert_uint_eq(out.suppressed_primary, 1);
	ck_assert_uint_eq(out.suppressed_secondary, 3);
	ck_assert_uint_eq(out.unprotected, 0);
	/* the unsettled total is provisional, the settled ones are not */
	ck_assert(out.tables[0].cells[4].provisional && !out.tables[0].cells[3].provisional);
	/* the counts served per table: 4 quarters x 2 groups, 6 safe (3 is not),
	 * 4 of the 6 published */
	ck_assert_uint_eq(out.tables[1].counts.cells, 8);
	ck_assert_uint_eq(out.tables[1].counts.safe, 7);
	ck_assert_uint_eq(out.tables[1].counts.safe_published, 4);
	disclosure_free(&out);
}
END_TEST

/* ---- a small month total ---- */

/*
 * Month totals only (no breakdown by month), runaway episodes per month of
 * 2024-Q1: January 4, February 20, March 25; the quarter 49 and the year
 * published. January (4) is secret. Months of one quarter share every
 * longer period, and no breakdown holds a month, so the column alone moves:
 * January rises by what the other hidden month gives up. Price of hiding
 * February (children 120) is below March's (125): February. Room: rise
 * min(inf, 20) = 20, fall 4: 24 >= 10. February: rise by January's 4, fall
 * by 20 (January rises freely): 24. Expected: January and February hidden,
 * March, the quarter and the year published; the quarter's breakdown alone
 * (2 groups) is untouched.
 */
START_TEST(test_small_month_total)
{
	struct fixture fx;
	fixture_init(&fx, date_from_ymd(2024, 12, 31), "month:total quarter:total year:total");
	struct metrics_table *mt = add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                     PERIOD_MONTH, DIM_TOTAL, 2024 * 12, 12, 1);
	struct metrics_table *qt = add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                     PERIOD_QUARTER, DIM_TOTAL, 2024 * 4, 4, 1);
	struct metrics_table *yt = add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                     PERIOD_YEAR, DIM_TOTAL, 2024, 1, 1);
	const int64_t month[12] = {4, 20, 25, 30, 30, 30, 30, 30, 30, 30, 30, 30};
	int64_t year = 0;
	for (uint32_t m = 0; m < 12; m++) {
		set_cell(mt, m, 0, month[m], 1000, 100 + month[m]);
		year += month[m];
	}
	set_cell(qt, 0, 0, 49, 3000, 200);
	for (uint32_t q = 1; q < 4; q++)
		set_cell(qt, q, 0, 90, 3000, 200);
	set_cell(yt, 0, 0, year, 12000, 400);
	struct disclosure_result out;
	protect(&fx, &out);
	ck_assert(hidden(&out, 0, 0, 0) && hidden(&out, 0, 1, 0));
	ck_assert(!hidden(&out, 0, 2, 0));
	ck_assert(!hidden(&out, 1, 0, 0) && !hidden(&out, 2, 0, 0));
	ck_assert_uint_eq(out.suppressed_primary + out.suppressed_secondary, 2);
	ck_assert_uint_eq(out.unprotected, 0);
	disclosure_free(&out);
}
END_TEST

/* ---- a group too small to hide in ---- */

/*
 * repeat_runaway_pct (children with a runaway episode: % with two or more)
 * and the runaway rate, whose days-in-care cell gives each group-period its
 * base (children with a day in care). Year 2024 by county:
 *   county   base   repeat: num/den  runaway: num/den
 *   Adams     200        12/40          60/20000
 *   Baker     150        11/35          50/15000
 *   Cole        6         0/0            0/600
 * Cole's base is 6 < k: every count of every Cole cell is hidden, its empty
 * repeat cell and zero runaway count included ("hidden" must not mean
 * "someone there ran away"). A zero must still have k - 1 of room: it can
 * only rise, by what another hidden county gives up. Repeat numerators:
 * Cole 0 with Adams (12) and Baker (11) both published: the cheaper
 * partner by children (35 < 40) is Baker: numerator room rise 11 (Baker
 * 11 -> 0), fall 0: 11 >= 10. Its denominator (0) likewise with Baker's 35.
 * Runaway count (a rate's numerator) Cole 0: partner Baker (cheaper,
 * 15000 days < 20000 are not what the price counts: children 150 < 200),
 * rise 50 >= 10. Expected: Cole hidden in both metrics; Baker hidden in
 * both (the partner); Adams and the totals published.
 */
START_TEST(test_small_group_hides_zeros)
{
	struct fixture fx;
	fixture_init(&fx, date_from_ymd(2025, 12, 31), "year:total+county");
	fx.counties[0] = "Adams";
	fx.counties[1] = "Baker";
	fx.counties[2] = "Cole";
	fx.raw.counties = fx.counties;
	fx.raw.county_count = 3;
	struct metrics_table *rt = add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                     PERIOD_YEAR, DIM_TOTAL, 2024, 1, 1);
	struct metrics_table *rc = add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                     PERIOD_YEAR, DIM_COUNTY, 2024, 1, 3);
	struct metrics_table *pt =
	    add_table(&fx, METRIC_REPEAT_RUNAWAY_PCT, PERIOD_YEAR, DIM_TOTAL, 2024, 1, 1);
	struct metrics_table *pc =
	    add_table(&fx, METRIC_REPEAT_RUNAWAY_PCT, PERIOD_YEAR, DIM_COUNTY, 2024, 1, 3);
	set_cell(rc, 0, 0, 60, 20000, 200);
	set_cell(rc, 0, 1, 50, 15000, 150);
	set_cell(rc, 0, 2, 0, 600, 6);
	set_cell(rt, 0, 0, 110, 35600, 356);
	set_cell(pc, 0, 0, 12, 40, 40);
	set_cell(pc, 0, 1, 11, 35, 35);
	set_cell(pc, 0, 2, 0, 0, 0);
	set_cell(pt, 0, 0, 23, 75, 75);
	struct disclosure_result out;
	protect(&fx, &out);
	ck_assert(hidden(&out, 1, 0, 2) && hidden(&out, 3, 0, 2));   /* Cole, both metrics */
	ck_assert(hidden(&out, 1, 0, 1) && hidden(&out, 3, 0, 1));   /* Baker, the partner */
	ck_assert(!hidden(&out, 1, 0, 0) && !hidden(&out, 3, 0, 0)); /* Adams */
	ck_assert(!hidden(&out, 0, 0, 0) && !hidden(&out, 2, 0, 0)); /* totals */
	ck_assert_uint_eq(out.unprotected, 0);
	disclosure_free(&out);
}
END_TEST

/* ---- frozen cells and revisions ---- */

/*
 * The rectangle of test_rectangle_in_a_year, released once (ledger), then
 * the data change: one more runaway in assigned Q3 (25 -> 26, children
 * 125 -> 126) and 2024 as a whole (78 -> 79). Without revise, the next
 * release serves every settled cell frozen: assigned Q3 still 25, the
 * year 78 (the year is the sum of its frozen months... here of its frozen
 * quarters' months: with no month table, the year's own frozen count), and
 * the same four cells hidden. With revise, the revised cells are compared
 * with what was published: assigned Q3 moved by 1 child (< k): hidden; the
 * assigned year cell moved by 1: hidden; their partners follow.
 */
START_TEST(test_frozen_then_revised)
{
	struct fixture fx;
	fixture_init(&fx, date_from_ymd(2025, 2, 15), "quarter:total+advocate year:total+advocate");
	int32_t q0 = 2024 * 4;
	struct metrics_table *qt = add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                     PERIOD_QUARTER, DIM_TOTAL, q0, 5, 1);
	struct metrics_table *qa = add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                     PERIOD_QUARTER, DIM_ADVOCATE, q0, 5, 2);
	struct metrics_table *yt = add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                     PERIOD_YEAR, DIM_TOTAL, 2024, 2, 1);
	struct metrics_table *ya = add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                     PERIOD_YEAR, DIM_ADVOCATE, 2024, 2, 2);
	const int64_t assigned[4] = {3, 20, 25, 30}, not_assigned[4] = {50, 55, 60, 65};
	for (uint32_t q = 0; q < 4; q++) {
		set_cell(qa, q, 0, assigned[q], 1000, 100 + assigned[q]);
		set_cell(qa, q, 1, not_assigned[q], 1000, 100 + not_assigned[q]);
		set_cell(qt, q, 0, assigned[q] + not_assigned[q], 2000, 200);
	}
	set_cell(ya, 0, 0, 78, 4000, 150);
	set_cell(ya, 0, 1, 230, 4000, 200);
	set_cell(yt, 0, 0, 308, 8000, 300);
	set_cell(qt, 4, 0, 0, 500, 40);
	set_cell(yt, 1, 0, 0, 500, 40);

	/* release 1 */
	struct release_view view;
	char rerr[RELEASE_ERROR_LEN], derr[DISCLOSURE_ERROR_LEN];
	struct disclosure_options o;
	memset(&o, 0, sizeof(o));
	o.mode = DISCLOSURE_SUPPRESS;
	o.min_cell = K;
	struct disclosure_result first;
	ck_assert(release_apply(&fx.raw, NULL, &fx.options, &view, rerr));
	ck_assert(disclosure_protect(&view, &o, &first, derr));
	struct release_ledger *ledger = release_commit(&view, first.secret, &fx.options, rerr);
	ck_assert_ptr_nonnull(ledger);
	release_view_free(&view);

	/* late data */
	set_cell(qa, 2, 0, 26, 1000, 126);
	set_cell(qt, 2, 0, 86, 2000, 201);
	set_cell(ya, 0, 0, 79, 4000, 151);
	set_cell(yt, 0, 0, 309, 8000, 301);

	/* release 2: frozen */
	struct disclosure_result second;
	ck_assert(release_apply(&fx.raw, ledger, &fx.options, &view, rerr));
	ck_assert(!view.revision);
	ck_assert(disclosure_protect(&view, &o, &second, derr));
	release_view_free(&view);
	for (size_t t = 0; t < 4; t++)
		for (size_t c = 0;
		     c < (size_t)first.tables[t].published_rows * first.tables[t].group_count;
		     c++) {
			const struct disclosure_cell *a = &first.tables[t].cells[c],
			                             *b = &second.tables[t].cells[c];
			ck_assert(a->suppressed == b->suppressed);
			ck_assert_int_eq(a->numerator, b->numerator);
			ck_assert_int_eq(a->denominator, b->denominator);
		}
	ck_assert_int_eq(second.tables[1].cells[2 * 2 + 0].numerator, 25); /* assigned Q3 */
	ck_assert_int_eq(second.tables[3].cells[0].numerator, 78);         /* assigned 2024 */

	/* release 3: a revision */
	fx.options.revise = true;
	struct disclosure_result third;
	ck_assert(release_apply(&fx.raw, ledger, &fx.options, &view, rerr));
	ck_assert(view.revision);
	ck_assert_uint_eq(view.revised_cells,
	                  4); /* assigned Q3, total Q3, assigned and total 2024 */
	ck_assert(disclosure_protect(&view, &o, &third, derr));
	release_view_free(&view);
	ck_assert(third.tables[1].cells[2 * 2 + 0].suppressed); /* assigned Q3: 1 child moved */
	ck_assert(third.tables[3].cells[0].suppressed);         /* assigned 2024: 1 child */
	/* no published cell of the revision differs from release 1 by 1..k-1 */
	for (size_t t = 0; t < 4; t++)
		for (size_t c = 0;
		     c < (size_t)first.tables[t].published_rows * first.tables[t].group_count;
		     c++) {
			const struct disclosure_cell *a = &first.tables[t].cells[c],
			                             *b = &third.tables[t].cells[c];
			if (a->suppressed || b->suppressed)
				continue;
			int64_t d = b->numerator - a->numerator;
			ck_assert(d == 0 || d >= K || d <= -K);
		}
	disclosure_free(&first);
	disclosure_free(&second);
	disclosure_free(&third);
	release_ledger_free(ledger);
}
END_TEST

static Suite *disclosure_suite(void)
{
	Suite *s = suite_create("disclosure");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_primary_rule);
	tcase_add_test(tc, test_rectangle_in_a_year);
	tcase_add_test(tc, test_small_month_total);
	tcase_add_test(tc, test_small_group_hides_zeros);
	tcase_add_test(tc, test_frozen_then_revised);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(disclosure_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
