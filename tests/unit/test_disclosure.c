/*
 * test_disclosure.c — primary and complementary suppression (SPEC §5) on
 * hand-built raw cells. Every expectation is worked out by hand in the
 * comment next to it.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "casa/date.h"
#include "casa/disclosure.h"
#include "casa/metrics.h"
#include "../../src/disclosure_internal.h"

#define K 11

/* A hand-built metrics_result: up to 8 tables. */
struct fixture {
	struct metrics_result raw;         /* points into tables below */
	struct metrics_table tables[8];    /* hand-filled */
	struct metrics_cell cells[8][128]; /* cells of each table */
};

static struct metrics_table *add_table(struct fixture *fx, enum metric_id metric,
                                       enum period_type type, enum dim dim, int32_t first_period,
                                       uint32_t periods, uint32_t groups)
{
	size_t i = fx->raw.table_count++;
	struct metrics_table *t = &fx->tables[i];
	t->metric = metric;
	t->period_type = type;
	t->dim = dim;
	t->first_period = first_period;
	t->period_count = periods;
	t->group_count = groups;
	t->cells = fx->cells[i];
	fx->raw.tables = fx->tables;
	fx->raw.fy_start_month = 10;
	fx->raw.as_of = date_from_ymd(2025, 12, 31);
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

static struct disclosure_options suppress_options(int k)
{
	struct disclosure_options o;
	memset(&o, 0, sizeof(o));
	o.mode = DISCLOSURE_SUPPRESS;
	o.min_cell = k;
	return o;
}

/* Protects a one-cell, one-table result (no relations at all, so only the
 * primary rule acts) and returns the published cell. */
static struct disclosure_cell protect_one(enum metric_id metric, int64_t num, int64_t den,
                                          int64_t children, int64_t quantile_2s, int k)
{
	static struct fixture fx;
	memset(&fx, 0, sizeof(fx));
	struct metrics_table *t = add_table(&fx, metric, PERIOD_YEAR, DIM_TOTAL, 2025, 1, 1);
	set_cell(t, 0, 0, num, den, children);
	t->cells[0].quantile_2s = quantile_2s;
	struct disclosure_options o = suppress_options(k);
	struct disclosure_result out;
	ck_assert(disclosure_protect(&fx.raw, &o, &out));
	struct disclosure_cell c = out.tables[0].cells[0];
	disclosure_free(&out);
	return c;
}

START_TEST(test_catalog_kinds)
{
	/* The cases below rely on these kinds (SPEC §4). */
	ck_assert_int_eq(metrics_catalog[METRIC_MOVES_PER_1000_DAYS_IN_CARE].kind,
	                 METRIC_KIND_RATE);
	ck_assert_int_eq(metrics_catalog[METRIC_RUNAWAY_DISCHARGES_PCT].kind, METRIC_KIND_PERCENT);
	ck_assert(metrics_catalog[METRIC_RUNAWAY_DISCHARGES_PCT].time_additive);
	ck_assert_int_eq(metrics_catalog[METRIC_YOUTH_WITH_RUNAWAY_PCT].kind, METRIC_KIND_PERCENT);
	ck_assert(!metrics_catalog[METRIC_YOUTH_WITH_RUNAWAY_PCT].time_additive);
	ck_assert_int_eq(metrics_catalog[METRIC_DAYS_MISSING_MEDIAN].kind, METRIC_KIND_QUANTILE);
	ck_assert_int_eq(metrics_catalog[METRIC_STILL_MISSING_COUNT].kind, METRIC_KIND_COUNT);
}
END_TEST

START_TEST(test_primary_rate)
{
	const enum metric_id m = METRIC_MOVES_PER_1000_DAYS_IN_CARE;
	/* 10 moves is in 1..k-1 = 1..10: suppressed, every number absent. */
	struct disclosure_cell c = protect_one(m, 10, 5000, 40, 0, K);
	ck_assert(c.suppressed);
	ck_assert(!c.has_numerator && !c.has_denominator && !c.has_value);
	/* 0 moves over 4000 days, 40 children: a zero is published, value 0. */
	c = protect_one(m, 0, 4000, 40, 0, K);
	ck_assert(!c.suppressed && c.has_value);
	ck_assert_int_eq(c.numerator, 0);
	ck_assert_double_eq(c.value, 0.0);
	/* 20 moves but only 10 children (< 11): suppressed. */
	c = protect_one(m, 20, 3000, 10, 0, K);
	ck_assert(c.suppressed);
	/* 11 moves over 2000 days, 11 children: 1000 * 11 / 2000 = 5.5. */
	c = protect_one(m, 11, 2000, 11, 0, K);
	ck_assert(!c.suppressed);
	ck_assert_int_eq(c.numerator, 11);
	ck_assert_int_eq(c.denominator, 2000);
	ck_assert_double_eq_tol(c.value, 5.5, 1e-9);
	/* 1000 * 11 / 3000 = 3.66666.. -> 3.6667 (4 decimals, half up). */
	c = protect_one(m, 11, 3000, 11, 0, K);
	ck_assert_double_eq_tol(c.value, 3.6667, 1e-9);
}
END_TEST

START_TEST(test_primary_percent)
{
	const enum metric_id m = METRIC_RUNAWAY_DISCHARGES_PCT;
	/* complement 30 - 25 = 5 in 1..10: suppressed. */
	struct disclosure_cell c = protect_one(m, 25, 30, 30, 0, K);
	ck_assert(c.suppressed);
	/* 19 of 30: complement 11, numerator 19: published, 100 * 19 / 30 =
	 * 63.3333.. -> 63.3333. */
	c = protect_one(m, 19, 30, 30, 0, K);
	ck_assert(!c.suppressed);
	ck_assert_double_eq_tol(c.value, 63.3333, 1e-9);
	/* 2 of 3 -> 66.666.. -> 66.6667, here with k = 5 ... but 3 children < 5:
	 * suppressed. */
	c = protect_one(m, 2, 3, 3, 0, 5);
	ck_assert(c.suppressed);
	/* 0 of 30 and 30 of 30: numerator 0 / complement 0 are zeros, published
	 * (0 % and 100 %). */
	c = protect_one(m, 0, 30, 30, 0, K);
	ck_assert(!c.suppressed);
	ck_assert_double_eq(c.value, 0.0);
	c = protect_one(m, 30, 30, 30, 0, K);
	ck_assert(!c.suppressed);
	ck_assert_double_eq(c.value, 100.0);
	/* No child at all: the empty cell, published with a null value. */
	c = protect_one(m, 0, 0, 0, 0, K);
	ck_assert(!c.suppressed);
	ck_assert(c.has_numerator && c.has_denominator && !c.has_value);
	ck_assert_int_eq(c.denominator, 0);
}
END_TEST

START_TEST(test_primary_quantile_and_count)
{
	/* 10 episodes (< 11): suppressed whatever the statistic. */
	struct disclosure_cell c = protect_one(METRIC_DAYS_MISSING_MEDIAN, 0, 10, 10, 100, K);
	ck_assert(c.suppressed);
	/* 11 episodes, 11 children, median 3.5 days: quantile_2s = 2 * 3.5 *
	 * 86400 = 604800 -> 604800 / 172800 = 3.5; no numerator published. */
	c = protect_one(METRIC_DAYS_MISSING_MEDIAN, 0, 11, 11, 604800, K);
	ck_assert(!c.suppressed && c.has_value && !c.has_numerator && c.has_denominator);
	ck_assert_int_eq(c.denominator, 11);
	ck_assert_double_eq_tol(c.value, 3.5, 1e-9);
	/* 11 episodes but 10 children: suppressed. */
	c = protect_one(METRIC_DAYS_MISSING_MEDIAN, 0, 11, 10, 604800, K);
	ck_assert(c.suppressed);
	/* 1 hour = 3600 s: 2s = 7200 -> 7200 / 172800 = 0.041666.. -> 0.0417. */
	c = protect_one(METRIC_DAYS_MISSING_P90, 0, 12, 12, 7200, K);
	ck_assert_double_eq_tol(c.value, 0.0417, 1e-9);
	/* still missing: 5 children -> suppressed; 11 -> value 11, no denominator. */
	c = protect_one(METRIC_STILL_MISSING_COUNT, 5, 0, 5, 0, K);
	ck_assert(c.suppressed);
	c = protect_one(METRIC_STILL_MISSING_COUNT, 11, 0, 11, 0, K);
	ck_assert(!c.suppressed && c.has_numerator && !c.has_denominator && c.has_value);
	ck_assert_double_eq(c.value, 11.0);
	/* zero still missing: published 0. */
	c = protect_one(METRIC_STILL_MISSING_COUNT, 0, 0, 0, 0, K);
	ck_assert(!c.suppressed && c.has_value);
	ck_assert_double_eq(c.value, 0.0);
}
END_TEST

START_TEST(test_min_cell_floor)
{
	/* k = 3 is raised to the floor 5: 4 children are then too few, 5 are
	 * enough (numerator 5 = k, not in 1..4). */
	struct disclosure_cell c = protect_one(METRIC_MOVES_PER_1000_DAYS_IN_CARE, 5, 900, 4, 0, 3);
	ck_assert(c.suppressed);
	c = protect_one(METRIC_MOVES_PER_1000_DAYS_IN_CARE, 5, 900, 5, 0, 3);
	ck_assert(!c.suppressed);
	/* 1000 * 5 / 900 = 5.5555.. -> 5.5556 */
	ck_assert_double_eq_tol(c.value, 5.5556, 1e-9);
}
END_TEST

/* by=sex for runaway_discharges_pct, one year; groups female, male, other,
 * unknown (enum sex order). */
static void sex_fixture(struct fixture *fx, const int64_t num[4], const int64_t den[4])
{
	memset(fx, 0, sizeof(*fx));
	struct metrics_table *total =
	    add_table(fx, METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_TOTAL, 2025, 1, 1);
	struct metrics_table *sex =
	    add_table(fx, METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_SEX, 2025, 1, 4);
	int64_t tn = 0, td = 0;
	for (uint32_t g = 0; g < 4; g++) {
		/* one episode per child: children = denominator */
		set_cell(sex, 0, g, num[g], den[g], den[g]);
		tn += num[g];
		td += den[g];
	}
	set_cell(total, 0, 0, tn, td, td);
}

START_TEST(test_complementary_groups)
{
	struct fixture fx;
	/* female 3/40 (numerator 3: primary), male 40/60, other 0/0 (empty),
	 * unknown 12/30; total 55/130.
	 * Step 1, relation sums: numerators 55 = 3 + 40 + 0 + 12 with only female
	 * secret (sum 3 < 11): the smallest non-zero known member, unknown
	 * (12 < 40 < 55), becomes secret; now 3 + 12 = 15 >= 11.
	 * Step 2, bounds: female + unknown = 55 - 40 - 0 = 15, so each lies in
	 * [0, 15]: 16 possible values >= 11, nothing more to hide. Denominators:
	 * no cell rests on fewer than 11 children, none is secret.
	 * Result: female primary; unknown secondary; male and total published. */
	const int64_t num[4] = {3, 40, 0, 12}, den[4] = {40, 60, 0, 30};
	sex_fixture(&fx, num, den);
	struct disclosure_options o = suppress_options(K);
	struct disclosure_result out;
	ck_assert(disclosure_protect(&fx.raw, &o, &out));
	const struct disclosure_table *t =
	    disclosure_table_find(&out, METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_SEX);
	ck_assert_ptr_nonnull(t);
	ck_assert(t->cells[0].suppressed);
	ck_assert(!t->cells[1].suppressed);
	ck_assert(!t->cells[2].suppressed);
	ck_assert(t->cells[3].suppressed);
	ck_assert(!out.tables[0].cells[0].suppressed);
	ck_assert_uint_eq(out.suppressed_primary, 1);
	ck_assert_uint_eq(out.suppressed_secondary, 1);
	ck_assert_str_eq(disclosure_group_label(&out, DIM_SEX, 3), "unknown");
	disclosure_free(&out);
}
END_TEST

START_TEST(test_complementary_tie_and_two_extra)
{
	struct fixture fx;
	struct disclosure_options o = suppress_options(K);
	struct disclosure_result out;
	/* Tie: female 3/40 primary; male 55/90 and unknown 55/80 are equal
	 * candidates; the lower cell identity (male, group 1) is hidden. Then
	 * female + male = 113 - 55 - 0 = 58: each in [0, 58], done. */
	const int64_t num1[4] = {3, 55, 0, 55}, den1[4] = {40, 90, 0, 80};
	sex_fixture(&fx, num1, den1);
	ck_assert(disclosure_protect(&fx.raw, &o, &out));
	ck_assert(out.tables[1].cells[1].suppressed);
	ck_assert(!out.tables[1].cells[3].suppressed);
	ck_assert_uint_eq(out.suppressed_secondary, 1);
	disclosure_free(&out);

	/* Two primaries summing to 2 + 3 = 5 < 11: add the smallest non-zero,
	 * other 12 (< 40 < 57): 17 >= 11. Bounds: female + male + other = 57 -
	 * 40 = 17, each in [0, 17]: 18 values >= 11. Unknown and the total
	 * published: 2 primary, 1 secondary. */
	const int64_t num2[4] = {2, 3, 12, 40}, den2[4] = {40, 50, 30, 70};
	sex_fixture(&fx, num2, den2);
	ck_assert(disclosure_protect(&fx.raw, &o, &out));
	ck_assert(out.tables[1].cells[0].suppressed && out.tables[1].cells[1].suppressed);
	ck_assert(out.tables[1].cells[2].suppressed && !out.tables[1].cells[3].suppressed);
	ck_assert(!out.tables[0].cells[0].suppressed);
	ck_assert_uint_eq(out.suppressed_primary, 2);
	ck_assert_uint_eq(out.suppressed_secondary, 1);
	disclosure_free(&out);
}
END_TEST

/* Months Jan..Mar 2025 and 2025-Q1 totals of `metric`. */
static void quarter_fixture(struct fixture *fx, enum metric_id metric)
{
	memset(fx, 0, sizeof(*fx));
	struct metrics_table *months =
	    add_table(fx, metric, PERIOD_MONTH, DIM_TOTAL, 2025 * 12 + 0, 3, 1);
	struct metrics_table *quarter =
	    add_table(fx, metric, PERIOD_QUARTER, DIM_TOTAL, 2025 * 4 + 0, 1, 1);
	/* complements 98, 50, 45, 193: only Jan's numerator is small */
	set_cell(months, 0, 0, 2, 100, 100);    /* Jan: numerator 2 -> primary */
	set_cell(months, 1, 0, 50, 100, 100);   /* Feb */
	set_cell(months, 2, 0, 55, 100, 100);   /* Mar */
	set_cell(quarter, 0, 0, 107, 300, 250); /* 2 + 50 + 55 = 107; 100 * 3 = 300 */
}

START_TEST(test_complementary_time)
{
	struct fixture fx;
	struct disclosure_options o = suppress_options(K);
	struct disclosure_result out;
	/* runaway_discharges_pct adds up over time: Q1 107 = Jan 2 + Feb 50 + Mar
	 * 55, so Jan alone would be 107 - 50 - 55. The smallest other non-zero
	 * member is Feb (50 < 55 < 107): hidden; 2 + 50 = 52 >= 11, and Jan, Feb
	 * each in [0, 52]: 53 values >= 11. */
	quarter_fixture(&fx, METRIC_RUNAWAY_DISCHARGES_PCT);
	ck_assert(disclosure_protect(&fx.raw, &o, &out));
	ck_assert(out.tables[0].cells[0].suppressed);
	ck_assert(out.tables[0].cells[1].suppressed);
	ck_assert(!out.tables[0].cells[2].suppressed);
	ck_assert(!out.tables[1].cells[0].suppressed);
	disclosure_free(&out);

	/* youth_with_runaway_pct counts children: not additive over time, so Jan
	 * alone is hidden. */
	quarter_fixture(&fx, METRIC_YOUTH_WITH_RUNAWAY_PCT);
	ck_assert(disclosure_protect(&fx.raw, &o, &out));
	ck_assert(out.tables[0].cells[0].suppressed);
	ck_assert(!out.tables[0].cells[1].suppressed);
	ck_assert_uint_eq(out.suppressed_secondary, 0);
	disclosure_free(&out);
}
END_TEST

START_TEST(test_complementary_cascade)
{
	/* Groups and time together: months Jan..Mar by sex (female, male, other,
	 * unknown) and their totals, and Q1 by sex and total.
	 * female: Jan 3, Feb 50, Mar 50 -> Q1 103
	 * male:   Jan 50, Feb 50, Mar 50 -> Q1 150 (ties everywhere)
	 * other, unknown: 0
	 * Jan female (3) is primary. Month Jan by sex: female + male = total,
	 * hidden {3} -> add the smallest non-zero: male Jan 50 (id lower than the
	 * total's? no: the total table comes first, but total Jan = 53 > 50).
	 * Then time, female row: Q1 103 = 3 + 50 + 50 -> hidden {Jan 3}: add Feb
	 * female (50, lower id than Mar). Time, male row: hidden {Jan 50} alone ->
	 * add Feb male. Month Feb by sex: hidden {female 50, male 50}: safe.
	 * Result: Jan and Feb of female and male hidden, Mar and every total
	 * published: 1 primary, 3 secondary. Bounds: with a = Jan female,
	 * a + Jan male = 53, a + Feb female = 53, Feb female + Feb male = 100:
	 * every hidden cell can move over a range of 53 values >= 11.
	 * Only numerators are secret: every cell rests on 100 children or more,
	 * so no denominator is. */
	struct fixture fx;
	memset(&fx, 0, sizeof(fx));
	const enum metric_id m = METRIC_RUNAWAY_DISCHARGES_PCT;
	struct metrics_table *mt = add_table(&fx, m, PERIOD_MONTH, DIM_TOTAL, 2025 * 12, 3, 1);
	struct metrics_table *ms = add_table(&fx, m, PERIOD_MONTH, DIM_SEX, 2025 * 12, 3, 4);
	struct metrics_table *qt = add_table(&fx, m, PERIOD_QUARTER, DIM_TOTAL, 2025 * 4, 1, 1);
	struct metrics_table *qs = add_table(&fx, m, PERIOD_QUARTER, DIM_SEX, 2025 * 4, 1, 4);
	const int64_t female[3] = {3, 50, 50}, male[3] = {50, 50, 50};
	for (uint32_t p = 0; p < 3; p++) {
		set_cell(ms, p, 0, female[p], 100, 100);
		set_cell(ms, p, 1, male[p], 100, 100);
		set_cell(mt, p, 0, female[p] + male[p], 200, 200);
	}
	set_cell(qs, 0, 0, 103, 300, 150);
	set_cell(qs, 0, 1, 150, 300, 150);
	set_cell(qt, 0, 0, 253, 600, 300);
	struct disclosure_options o = suppress_options(K);
	struct disclosure_result out;
	ck_assert(disclosure_protect(&fx.raw, &o, &out));
	const struct disclosure_table *s = &out.tables[1];
	ck_assert(s->cells[0 * 4 + 0].suppressed && s->cells[0 * 4 + 1].suppressed);
	ck_assert(s->cells[1 * 4 + 0].suppressed && s->cells[1 * 4 + 1].suppressed);
	ck_assert(!s->cells[2 * 4 + 0].suppressed && !s->cells[2 * 4 + 1].suppressed);
	for (uint32_t p = 0; p < 3; p++)
		ck_assert(!out.tables[0].cells[p].suppressed);
	ck_assert(!out.tables[2].cells[0].suppressed);
	ck_assert(!out.tables[3].cells[0].suppressed && !out.tables[3].cells[1].suppressed);
	ck_assert_uint_eq(out.suppressed_primary, 1);
	ck_assert_uint_eq(out.suppressed_secondary, 3);
	disclosure_free(&out);
}
END_TEST

/* runaway_episodes_per_1000_days (adds up over time) by sex, 2025-Q1 only,
 * with a January fiscal year (FY2025 = 2025): months Jan..Mar, Q1, the year
 * and the fiscal year (the last two hold Q1 only: the fixture stops there).
 * num[g][month] episodes; days per month female 600, male 750, other 60;
 * children female 20, male 25, other 2; unknown has nothing (empty cells);
 * the total is the sum of the groups (47 children). */
static void block_fixture(struct fixture *fx, const int64_t num[3][3])
{
	memset(fx, 0, sizeof(*fx));
	const int64_t den[3] = {600, 750, 60}, kids[3] = {20, 25, 2};
	const enum period_type types[4] = {PERIOD_MONTH, PERIOD_QUARTER, PERIOD_YEAR,
	                                   PERIOD_FISCAL_YEAR};
	const int32_t first[4] = {2025 * 12, 2025 * 4, 2025, 2025};
	for (int t = 0; t < 4; t++) {
		uint32_t periods = t == 0 ? 3 : 1, months = t == 0 ? 1 : 3;
		struct metrics_table *tot = add_table(fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
		                                      types[t], DIM_TOTAL, first[t], periods, 1);
		struct metrics_table *sex = add_table(fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
		                                      types[t], DIM_SEX, first[t], periods, 4);
		for (uint32_t p = 0; p < periods; p++) {
			int64_t tn = 0, td = 0;
			for (uint32_t g = 0; g < 3; g++) {
				int64_t n = 0;
				for (uint32_t m = 0; m < months; m++)
					n += num[g][t == 0 ? p : m];
				set_cell(sex, p, g, n, den[g] * months, kids[g]);
				tn += n;
				td += den[g] * months;
			}
			set_cell(tot, p, 0, tn, td, 47);
		}
	}
	fx->raw.fy_start_month = 1;
}

/* Protects block_fixture(num) and checks the pattern: female and other
 * hidden in every period, male, unknown and the total published, except the
 * months of every column when months_hidden. */
static void check_block_pattern(const int64_t num[3][3], bool months_hidden)
{
	struct fixture fx;
	block_fixture(&fx, num);
	struct disclosure_options o = suppress_options(K);
	struct disclosure_result out;
	ck_assert(disclosure_protect(&fx.raw, &o, &out));
	for (size_t i = 0; i < fx.raw.table_count; i++) {
		const struct disclosure_table *t = &out.tables[i];
		for (uint32_t c = 0; c < t->period_count * t->group_count; c++) {
			bool month = t->period_type == PERIOD_MONTH;
			bool hidden_group = t->dim == DIM_SEX && (c % 4 == 0 || c % 4 == 2);
			ck_assert_msg(t->cells[c].suppressed ==
			                  ((months_hidden && month) || hidden_group),
			              "table %zu cell %u", i, c);
		}
	}
	if (!months_hidden) {
		/* other: 3 months + Q1 + year + FY = 6 primary; female 6 secondary;
		 * unknown's empty cells published as zeros */
		ck_assert_uint_eq(out.suppressed_primary, 6);
		ck_assert_uint_eq(out.suppressed_secondary, 6);
		ck_assert(out.tables[1].cells[3].has_numerator &&
		          out.tables[1].cells[3].numerator == 0);
	}
	disclosure_free(&out);
}

START_TEST(test_blocks_columns)
{
	/* female 30 30 30 (Q1 90), male 40 40 40 (120), other 1 0 2 (3);
	 * total 71 70 72 (213).
	 * other rests on 2 children: both counts secret in every period, so
	 * its whole column is a block at every period type.
	 * Numerators: hidden alone, other is the total minus the published
	 * groups, so a partner joins, the group with the smallest share of the
	 * fiscal year (the longest period, decided first) among those with
	 * episodes: female 90 < male 120. Then every period has 2 hidden
	 * groups with room: months 31, 30, 32, Q1 / year / FY 93, all >= 10.
	 * Denominators: the same, female 1800 < male 2250 days, room >= 660.
	 * Published: male and the total everywhere; unknown's empty cells. */
	const int64_t num[3][3] = {{30, 30, 30}, {40, 40, 40}, {1, 0, 2}};
	check_block_pattern(num, false);
}
END_TEST

START_TEST(test_blocks_rows)
{
	/* female 30 2 30 (Q1 62), male 40 3 40 (83), other 1 0 2 (3); total
	 * 71 5 72 (148). The total's February numerator (5) is primary: a row
	 * block hides every cell of the months of its quarter, January to
	 * March, total and groups alike (numerators); Q1, the year and the
	 * fiscal year stay published, so each hidden month of a column lies in
	 * [0, that column's Q1] (male 83, total 148): with the months' cells
	 * free and their sums known, all of a column's quarter can sit in any
	 * one month. Above the months, as before: other needs a partner, female
	 * (62 < 83) for numerators and denominators; male and the total are
	 * published. */
	const int64_t num[3][3] = {{30, 2, 30}, {40, 3, 40}, {1, 0, 2}};
	check_block_pattern(num, true);
}
END_TEST

/* runaway_episodes_per_1000_days by sex, January 2024 to December 2025, an
 * October fiscal year: months, quarters, years 2024-2025 and fiscal years
 * 2024-2026. Per month: female 30 episodes, male 40, unknown 12 except
 * January-March 2025 (1 each), other nothing; days 600 / 750 / 300,
 * children 20 / 25 / 15 (all >= k). Only unknown's January-March 2025 and
 * its 2025-Q1 (3 episodes) are secret: its year 2025 (108 + 3 = 111) and
 * fiscal year 2025 (October 2024 - September 2025: 36 + 3 + 72 = 111) are
 * not. */
static void straddle_fixture(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	const enum period_type types[4] = {PERIOD_MONTH, PERIOD_QUARTER, PERIOD_YEAR,
	                                   PERIOD_FISCAL_YEAR};
	const int32_t first[4] = {2024 * 12, 2024 * 4, 2024, 2024};
	const uint32_t periods[4] = {24, 8, 2, 3};
	const int64_t per_month[3] = {30, 40, 12}, days[3] = {600, 750, 300},
	              kids[3] = {20, 25, 15};
	for (int t = 0; t < 4; t++) {
		struct metrics_table *tot = add_table(fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
		                                      types[t], DIM_TOTAL, first[t], periods[t], 1);
		struct metrics_table *sex = add_table(fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
		                                      types[t], DIM_SEX, first[t], periods[t], 4);
		for (uint32_t p = 0; p < periods[t]; p++) {
			int32_t d0 = period_first_day(types[t], 10, first[t] + (int32_t)p);
			int32_t d1 = period_last_day(types[t], 10, first[t] + (int32_t)p);
			int64_t tn = 0, td = 0;
			for (uint32_t g = 0; g < 3; g++) {
				int64_t n = 0, dd = 0;
				for (int32_t m = 2024 * 12; m < 2026 * 12; m++) {
					if (period_first_day(PERIOD_MONTH, 10, m) < d0 ||
					    period_last_day(PERIOD_MONTH, 10, m) > d1)
						continue;
					bool low = g == 2 && m >= 2025 * 12 && m <= 2025 * 12 + 2;
					n += low ? 1 : per_month[g];
					dd += days[g];
				}
				/* sex groups: female 0, male 1, other 2, unknown 3 */
				uint32_t group = g == 2 ? 3 : g;
				set_cell(sex, p, group, n, dd, dd ? kids[g] : 0);
				tn += n;
				td += dd;
			}
			set_cell(tot, p, 0, tn, td, td ? 60 : 0);
		}
	}
}

START_TEST(test_blocks_suppression_year)
{
	/* unknown's 2025-Q1 is secret. Its time block, inside the data
	 * (January 2024 - December 2025):
	 * - suppression_year = fiscal_year: the months and quarters of FY2025
	 *   (October 2024 - September 2025), and the calendar years that overlap
	 *   it without containing it, 2024 and 2025 (each a sum of hidden and
	 *   published months): FY2024-FY2026 stay published, both years hidden;
	 * - suppression_year = year: the months and quarters of 2025, and the
	 *   fiscal years overlapping it without containing it, FY2025 and FY2026
	 *   (October - December 2025 inside the data): both years stay
	 *   published, FY2024 too.
	 * Partners (female, the smallest share) take the same block; unknown's
	 * own cells show the choice. Tables: 0/1 months, 2/3 quarters, 4/5
	 * years, 6/7 fiscal years (total / sex); unknown is group 3. */
	struct fixture fx;
	straddle_fixture(&fx);
	for (int calendar = 0; calendar < 2; calendar++) {
		struct disclosure_options o = suppress_options(K);
		o.calendar_year_blocks = calendar;
		struct disclosure_result out;
		ck_assert(disclosure_protect(&fx.raw, &o, &out));
		const struct disclosure_cell *year = out.tables[5].cells, *fy = out.tables[7].cells;
		for (int y = 0; y < 2; y++)
			ck_assert_msg(year[y * 4 + 3].suppressed == !calendar,
			              "year %d, calendar %d", 2024 + y, calendar);
		ck_assert_msg(!fy[0 * 4 + 3].suppressed, "FY2024, calendar %d", calendar);
		for (int f = 1; f < 3; f++)
			ck_assert_msg(fy[f * 4 + 3].suppressed == (bool)calendar,
			              "FY%d, calendar %d", 2024 + f, calendar);
		/* October 2024: in the fiscal-year block only */
		ck_assert(out.tables[1].cells[9 * 4 + 3].suppressed == !calendar);
		/* January 2024: in neither */
		ck_assert(!out.tables[1].cells[0 * 4 + 3].suppressed);
		/* totals: nothing secret, nothing hidden */
		for (int t = 0; t < 8; t += 2)
			for (uint32_t p = 0; p < out.tables[t].period_count; p++)
				ck_assert(!out.tables[t].cells[p].suppressed);
		ck_assert_int_eq(out.calendar_year_blocks, calendar);
		disclosure_free(&out);
	}
}
END_TEST

START_TEST(test_shared_counts)
{
	/* runaway_episodes_per_1000_days' numerator (missing episodes beginning
	 * in the period) is the denominator of reported_le_24h_pct; secrecy is
	 * linked between those two counts only (docs/privacy.md).
	 * Female, 2025: 15 episodes over 900 days, 40 children: publishable for
	 * the rate (15 >= 11). 12 of the 15 were reported in time: complement
	 * 15 - 12 = 3 in 1..10, so reported_le hides the cell, but only its
	 * numerator is secret: the denominator 15 rests on 14 >= k children and
	 * is published by the rate anyway. The rate cell stays published.
	 * Male: 12 episodes over 800 days, 35 children (publishable for the
	 * rate), but the reporting cell rests on 9 < k children: both its counts
	 * are secret, the denominator 12 too, so the rate, which would publish
	 * 12, hides its cell (secondary). No total table: no relation. */
	struct fixture fx;
	memset(&fx, 0, sizeof(fx));
	struct metrics_table *rate =
	    add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_YEAR, DIM_SEX, 2025, 1, 2);
	struct metrics_table *le =
	    add_table(&fx, METRIC_REPORTED_LE_24H_PCT, PERIOD_YEAR, DIM_SEX, 2025, 1, 2);
	set_cell(rate, 0, 0, 15, 900, 40);
	set_cell(rate, 0, 1, 12, 800, 35);
	set_cell(le, 0, 0, 12, 15, 14);
	set_cell(le, 0, 1, 6, 12, 9);
	struct disclosure_options o = suppress_options(K);
	struct disclosure_result out;
	ck_assert(disclosure_protect(&fx.raw, &o, &out));
	ck_assert(out.tables[1].cells[0].suppressed && out.tables[1].cells[1].suppressed);
	ck_assert(!out.tables[0].cells[0].suppressed);
	ck_assert_int_eq(out.tables[0].cells[0].numerator, 15);
	ck_assert_int_eq(out.tables[0].cells[0].denominator, 900);
	ck_assert(out.tables[0].cells[1].suppressed);
	ck_assert_uint_eq(out.suppressed_primary, 2);
	ck_assert_uint_eq(out.suppressed_secondary, 1);
	/* what is secret, per (cell, field) */
	uint8_t *secret = disclosure_secret_fields(&fx.raw, K, false);
	ck_assert_ptr_nonnull(secret);
	ck_assert_uint_eq(secret[0], 0);                           /* rate female */
	ck_assert_uint_eq(secret[1], DISCLOSURE_SECRET_NUMERATOR); /* rate male */
	ck_assert_uint_eq(secret[2], DISCLOSURE_SECRET_NUMERATOR); /* le female */
	ck_assert_uint_eq(secret[3], DISCLOSURE_SECRET_FIELDS);    /* le male */
	free(secret);
	disclosure_free(&out);
}
END_TEST

START_TEST(test_shared_counts_totals_published)
{
	/* Totals resting on thousands of children are published although the
	 * linked reporting total is hidden for its small complement (the bug of
	 * a whole-cell link: the reporting total hid the runaway total).
	 * One year, k = 11. (num / den / children)
	 *   runaway rate: total 1045 / 2000000 / 6000; female 480 / 950000 /
	 *     2900; male 500 / 1000000 / 3000; other 60 / 30000 / 80;
	 *     unknown 5 / 20000 / 40.
	 *   reported_le: total 1040 / 1045 / 1000; female 478 / 480 / 470; male
	 *     497 / 500 / 490; other 60 / 60 / 60; unknown 5 / 5 / 5
	 *   (reporting denominators = runaway numerators, cell by cell).
	 * Primary: rate unknown numerator (5); reporting total, female, male
	 * numerators (complements 5, 2, 3); reporting unknown both counts
	 * (5 < k children).
	 * Rate numerators, total = groups: one secret member (5) -> the smallest
	 * non-zero known member, other (60), becomes secret: 65 >= 11, and each
	 * ranges over [0, 65], 66 values >= 11. Rate denominators: nothing
	 * secret.
	 * Shared counts: rate other numerator -> reporting other denominator
	 * (secondary); rate unknown numerator <-> reporting unknown denominator
	 * (both secret already). The reporting female, male and total
	 * denominators are not secret, so the rate's female, male and total
	 * stay published.
	 * Reporting numerators: total, female, male, unknown secret, other (60)
	 * known: safe, no upper bound. Reporting denominators: 1045 = 480 + 500 +
	 * other + unknown, other + unknown = 65, each in [0, 65]: safe.
	 * Published: rate total, female, male. Suppressed: rate other (secondary)
	 * and unknown (primary); every reporting cell (other secondary, the four
	 * others primary): 5 primary, 2 secondary. */
	struct fixture fx;
	memset(&fx, 0, sizeof(fx));
	struct metrics_table *rt = add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                     PERIOD_YEAR, DIM_TOTAL, 2025, 1, 1);
	struct metrics_table *rs =
	    add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_YEAR, DIM_SEX, 2025, 1, 4);
	struct metrics_table *lt =
	    add_table(&fx, METRIC_REPORTED_LE_24H_PCT, PERIOD_YEAR, DIM_TOTAL, 2025, 1, 1);
	struct metrics_table *ls =
	    add_table(&fx, METRIC_REPORTED_LE_24H_PCT, PERIOD_YEAR, DIM_SEX, 2025, 1, 4);
	set_cell(rt, 0, 0, 1045, 2000000, 6000);
	set_cell(rs, 0, 0, 480, 950000, 2900);
	set_cell(rs, 0, 1, 500, 1000000, 3000);
	set_cell(rs, 0, 2, 60, 30000, 80);
	set_cell(rs, 0, 3, 5, 20000, 40);
	set_cell(lt, 0, 0, 1040, 1045, 1000);
	set_cell(ls, 0, 0, 478, 480, 470);
	set_cell(ls, 0, 1, 497, 500, 490);
	set_cell(ls, 0, 2, 60, 60, 60);
	set_cell(ls, 0, 3, 5, 5, 5);
	struct disclosure_options o = suppress_options(K);
	struct disclosure_result out;
	ck_assert(disclosure_protect(&fx.raw, &o, &out));
	const struct disclosure_cell *total = &out.tables[0].cells[0];
	ck_assert(!total->suppressed);
	ck_assert_int_eq(total->numerator, 1045);
	ck_assert_int_eq(total->denominator, 2000000);
	ck_assert(!out.tables[1].cells[0].suppressed && !out.tables[1].cells[1].suppressed);
	ck_assert(out.tables[1].cells[2].suppressed && out.tables[1].cells[3].suppressed);
	ck_assert(out.tables[2].cells[0].suppressed);
	for (uint32_t g = 0; g < 4; g++)
		ck_assert(out.tables[3].cells[g].suppressed);
	ck_assert_uint_eq(out.suppressed_primary, 5);
	ck_assert_uint_eq(out.suppressed_secondary, 2);
	disclosure_free(&out);
}
END_TEST

START_TEST(test_deterministic)
{
	/* The same raw cells give byte-identical protected cells. */
	struct fixture fx;
	memset(&fx, 0, sizeof(fx));
	struct metrics_table *t = add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_YEAR,
	                                    DIM_TOTAL, 2020, 6, 1);
	struct metrics_table *s =
	    add_table(&fx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_YEAR, DIM_SEX, 2020, 6, 4);
	unsigned seed = 7;
	for (uint32_t p = 0; p < 6; p++) {
		int64_t tn = 0, td = 0;
		for (uint32_t g = 0; g < 4; g++) {
			seed = seed * 1103515245u + 12345u;
			int64_t n = (seed >> 16) % 15, d = 100 + (seed >> 8) % 50;
			set_cell(s, p, g, n, d, 11 + (seed >> 4) % 5);
			tn += n;
			td += d;
		}
		set_cell(t, p, 0, tn, td, 60);
	}
	struct disclosure_options o = suppress_options(K);
	struct disclosure_result a, b;
	ck_assert(disclosure_protect(&fx.raw, &o, &a));
	ck_assert(disclosure_protect(&fx.raw, &o, &b));
	ck_assert_uint_eq(a.table_count, b.table_count);
	for (size_t i = 0; i < a.table_count; i++)
		ck_assert(memcmp(a.tables[i].cells, b.tables[i].cells,
		                 a.tables[i].period_count * a.tables[i].group_count *
		                     sizeof(struct disclosure_cell)) == 0);
	ck_assert_uint_eq(a.suppressed_secondary, b.suppressed_secondary);
	disclosure_free(&a);
	disclosure_free(&b);
}
END_TEST

START_TEST(test_mode_names)
{
	enum disclosure_mode mode;
	ck_assert_str_eq(disclosure_mode_name(DISCLOSURE_SUPPRESS), "suppress");
	ck_assert_str_eq(disclosure_mode_name(DISCLOSURE_DP), "dp");
	ck_assert(disclosure_mode_parse("dp", &mode));
	ck_assert_int_eq(mode, DISCLOSURE_DP);
	ck_assert(disclosure_mode_parse("suppress", &mode));
	ck_assert_int_eq(mode, DISCLOSURE_SUPPRESS);
	ck_assert(!disclosure_mode_parse("none", &mode));
	ck_assert(!disclosure_mode_parse(NULL, &mode));
}
END_TEST

static Suite *disclosure_suite(void)
{
	Suite *s = suite_create("disclosure");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_catalog_kinds);
	tcase_add_test(tc, test_primary_rate);
	tcase_add_test(tc, test_primary_percent);
	tcase_add_test(tc, test_primary_quantile_and_count);
	tcase_add_test(tc, test_min_cell_floor);
	tcase_add_test(tc, test_complementary_groups);
	tcase_add_test(tc, test_complementary_tie_and_two_extra);
	tcase_add_test(tc, test_complementary_time);
	tcase_add_test(tc, test_complementary_cascade);
	tcase_add_test(tc, test_blocks_columns);
	tcase_add_test(tc, test_blocks_rows);
	tcase_add_test(tc, test_blocks_suppression_year);
	tcase_add_test(tc, test_shared_counts);
	tcase_add_test(tc, test_shared_counts_totals_published);
	tcase_add_test(tc, test_deterministic);
	tcase_add_test(tc, test_mode_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(disclosure_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
