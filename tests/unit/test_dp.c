/*
 * test_dp.c — the dp mode of SPEC §5: the exact discrete Laplace sampler
 * against its distribution (mean, variance, P(0), tail), the fit of noisy
 * groups to their total on hand-worked cases, the budget split of a tiny
 * publication plan worked out by hand, and on releases built by
 * release_apply(): shared counts published identically by every metric,
 * groups adding up to totals and months to quarters and years, the cell key
 * property (same key, view and counts: same bodies; another key: other
 * noise; a changed count moves only its own cells) and frozen periods
 * served unchanged after late data. HMAC-SHA-256 is tested in
 * test_sha256.c.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "casa/date.h"
#include "casa/disclosure.h"
#include "casa/metrics.h"
#include "casa/release.h"
#include "../../src/disclosure_internal.h"

/* ---- the sampler ---- */

/* n draws of the sampler with P(z) ~ exp(-|z| s / t), each from its own seed. */
static void draw(uint64_t s, uint64_t t, int n, int64_t *out)
{
	uint8_t key[DISCLOSURE_KEY_LEN];
	for (int i = 0; i < DISCLOSURE_KEY_LEN; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (int i = 0; i < n; i++) {
		uint8_t seed[4] = {(uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i >> 16),
		                   (uint8_t)(i >> 24)};
		struct disclosure_prf prf;
		disclosure_prf_init(&prf, key, seed, sizeof(seed));
		out[i] = disclosure_dp_discrete_laplace(&prf, s, t);
	}
}

/* Checks the sample against the two-sided geometric law with p = exp(-eps):
 * mean 0, variance 2p / (1 - p)^2, P(0) = (1 - p) / (1 + p),
 * P(|Z| >= m) = 2 p^m / (1 + p) for m >= 1. Tolerances are about 5 standard
 * errors of each statistic for n draws. */
static void check_law(uint64_t s, uint64_t t, int tail_m)
{
	enum { N = 100000 };
	static int64_t z[N];
	draw(s, t, N, z);
	double eps = (double)s / (double)t, p = exp(-eps);
	double var_expected = 2 * p / ((1 - p) * (1 - p));
	double p0_expected = (1 - p) / (1 + p);
	double tail_expected = 2 * pow(p, tail_m) / (1 + p);
	double sum = 0, sum2 = 0;
	int zeros = 0, tail = 0;
	for (int i = 0; i < N; i++) {
		sum += (double)z[i];
		sum2 += (double)z[i] * (double)z[i];
		zeros += z[i] == 0;
		tail += llabs(z[i]) >= tail_m;
	}
	double mean = sum / N, var = sum2 / N - mean * mean;
	double se_mean = sqrt(var_expected / N);
	/* Var of the sample variance ~ (mu4 - sigma^4) / n; mu4 <= 6 sigma^4 for
	 * this law (Laplace limit), so se <= sigma^2 * sqrt(5 / n). */
	double se_var = var_expected * sqrt(5.0 / N);
	ck_assert_msg(fabs(mean) < 5 * se_mean, "mean %f", mean);
	ck_assert_msg(fabs(var - var_expected) < 5 * se_var, "var %f expected %f", var,
	              var_expected);
	double f0 = (double)zeros / N, ft = (double)tail / N;
	ck_assert_msg(fabs(f0 - p0_expected) < 5 * sqrt(p0_expected * (1 - p0_expected) / N),
	              "P(0) %f expected %f", f0, p0_expected);
	ck_assert_msg(fabs(ft - tail_expected) < 5 * sqrt(tail_expected * (1 - tail_expected) / N),
	              "tail %f expected %f", ft, tail_expected);
}

START_TEST(test_sampler_eps_half)
{
	/* eps = 1/2: p = e^-0.5 = 0.60653; variance 2p/(1-p)^2 = 1.21306 /
	 * 0.15482 = 7.8353; P(0) = 0.39347 / 1.60653 = 0.24492;
	 * P(|Z| >= 5) = 2 e^-2.5 / 1.60653 = 0.16417 / 1.60653 = 0.10219. */
	check_law(1, 2, 5);
}
END_TEST

START_TEST(test_sampler_eps_three_halves)
{
	/* eps = 3/2 (s > 1 exercises the floor(X / s) step): p = e^-1.5 =
	 * 0.22313; variance 0.44626 / 0.60353 = 0.73941; P(|Z| >= 2) =
	 * 2 * 0.049787 / 1.22313 = 0.08141. */
	check_law(3, 2, 2);
}
END_TEST

START_TEST(test_sampler_small_eps_scale)
{
	/* eps = 0.05 = 50000 / 10^6 (the rational form of a configured
	 * epsilon): variance 2p/(1-p)^2 with p = e^-0.05 = 0.951229:
	 * 1.902459 / 0.0023786 = 799.83. */
	check_law(50000, 1000000, 40);
}
END_TEST

/* ---- fitting noisy groups to their total ---- */

START_TEST(test_fit)
{
	/* 5 3 0 2 to 13: the projection is x - theta with 10 - 4 theta = 13,
	 * theta = -3/4: 5.75 3.75 0.75 2.75. Integers: floors 5 3 0 2 (10), 3
	 * units to the largest x: indexes 0, 1, 3 -> 6 4 0 3. */
	int64_t a[4] = {5, 3, 0, 2};
	ck_assert(disclosure_dp_fit(a, NULL, 4, 13));
	ck_assert(a[0] == 6 && a[1] == 4 && a[2] == 0 && a[3] == 3);
	/* A negative noisy group: -50 400 to 380: theta = 20 puts the first
	 * at 0 (clamped) and the second at 380. */
	int64_t b[2] = {-50, 400};
	ck_assert(disclosure_dp_fit(b, NULL, 2, 380));
	ck_assert(b[0] == 0 && b[1] == 380);
	/* Above the total: 5 3 0 2 to 6: 10 - 4 theta > 6 until index 2 drops
	 * out at theta = 0: then 10 - 3 theta = 6, theta = 4/3: 3.67 1.67 0
	 * 0.67. Floors 3 1 0 0 (4), 2 units to the largest x among the
	 * active 0, 1, 3: indexes 0 and 1 -> 4 2 0 0. */
	int64_t c[4] = {5, 3, 0, 2};
	ck_assert(disclosure_dp_fit(c, NULL, 4, 6));
	ck_assert(c[0] == 4 && c[1] == 2 && c[2] == 0 && c[3] == 0);
	/* Caps (a numerator under its denominator): 10 10 10 capped at 2 50
	 * 50 to 24: 2 + 2 (10 - theta) = 24, theta = -1: 2 11 11. */
	int64_t d[3] = {10, 10, 10};
	const int64_t cap_d[3] = {2, 50, 50};
	ck_assert(disclosure_dp_fit(d, cap_d, 3, 24));
	ck_assert(d[0] == 2 && d[1] == 11 && d[2] == 11);
	/* Ties: 1 1 1 to 4: 4/3 each; floors 1 1 1, the unit to the lowest
	 * index -> 2 1 1. All zero to 5 over two: 2.5 each -> 3 2. */
	int64_t e[3] = {1, 1, 1};
	ck_assert(disclosure_dp_fit(e, NULL, 3, 4));
	ck_assert(e[0] == 2 && e[1] == 1 && e[2] == 1);
	int64_t f[2] = {0, 0};
	ck_assert(disclosure_dp_fit(f, NULL, 2, 5));
	ck_assert(f[0] == 3 && f[1] == 2);
	/* Target 0: all zero. Caps adding up to less than the target: every
	 * index at its cap. */
	int64_t g[2] = {7, -3};
	ck_assert(disclosure_dp_fit(g, NULL, 2, 0));
	ck_assert(g[0] == 0 && g[1] == 0);
	int64_t h[2] = {5, 5};
	const int64_t cap_h[2] = {1, 2};
	ck_assert(disclosure_dp_fit(h, cap_h, 2, 10));
	ck_assert(h[0] == 1 && h[1] == 2);
}
END_TEST

/* ---- a tiny release ---- */

/*
 * Today's counts: runaway_episodes_per_1000_days and reported_le_24h_pct
 * (events: add up over time) and youth_with_runaway_pct (children: does
 * not), months 2024-07 .. as_of, by advocate (2 groups). Month k (0 = 2024-07), group g: runaway
 * episodes 20 + 3k + 7g, days in care 3000 + 50k + 400g; reported to law enforcement within 24 h:
 * half the episodes (integer); totals, quarters and years are sums. Youth:
 * per period (any type) and group, 30 + period % 7 + 5g of 200 + 3 (period
 * % 5) + 40g children; the total is the sum of the groups.
 */
#define MONTH0 (2024 * 12 + 6) /* 2024-07 */

static int64_t episodes(int k, uint32_t g)
{
	return 20 + 3 * k + 7 * (int64_t)g;
}

static int64_t days(int k, uint32_t g)
{
	return 3000 + 50 * k + 400 * (int64_t)g;
}

/* One cell of today's counts. */
static struct metrics_cell today_cell(enum metric_id metric, enum period_type type, int32_t period,
                                      uint32_t groups, uint32_t group)
{
	struct metrics_cell c = {0};
	for (uint32_t g = 0; g < 2; g++) {
		if (groups > 1 && g != group)
			continue;
		if (metric == METRIC_YOUTH_WITH_RUNAWAY_PCT) {
			c.numerator += 30 + period % 7 + 5 * (int64_t)g;
			c.denominator += 200 + 3 * (period % 5) + 40 * (int64_t)g;
			continue;
		}
		int32_t first =
		    period_index_of(PERIOD_MONTH, 10, period_first_day(type, 10, period));
		int32_t last = period_index_of(PERIOD_MONTH, 10, period_last_day(type, 10, period));
		for (int32_t m = first; m <= last; m++) {
			int k = m - MONTH0;
			if (k < 0)
				continue;
			if (metric == METRIC_RUNAWAY_EPISODES_PER_1000_DAYS) {
				c.numerator += episodes(k, g);
				c.denominator += days(k, g);
			} else { /* reported_le_24h_pct */
				c.numerator += episodes(k, g) / 2;
				c.denominator += episodes(k, g);
			}
		}
	}
	c.children = c.denominator;
	return c;
}

static void add_table(struct metrics_result *r, enum metric_id metric, enum period_type type,
                      enum dim dim)
{
	struct metrics_table *t = &r->tables[r->table_count++];
	const int32_t first_day = date_from_ymd(2024, 7, 1);
	t->metric = metric;
	t->period_type = type;
	t->dim = dim;
	t->first_period = period_index_of(type, 10, first_day);
	t->period_count = (uint32_t)(period_index_of(type, 10, r->as_of) - t->first_period + 1);
	t->group_count = dim == DIM_TOTAL ? 1 : 2;
	t->cells = calloc((size_t)t->period_count * t->group_count, sizeof(*t->cells));
	ck_assert_ptr_nonnull(t->cells);
	for (uint32_t p = 0; p < t->period_count; p++)
		for (uint32_t g = 0; g < t->group_count; g++)
			t->cells[p * t->group_count + g] = today_cell(
			    metric, type, t->first_period + (int32_t)p, t->group_count, g);
}

/* Today's counts, tables in (metric, period type, dim) order as metrics
 * lays them out: for each metric, month, quarter and year by total and by
 * advocate. Caller frees with metrics_free(). */
static void tiny_today(struct metrics_result *r, int32_t as_of)
{
	static const enum metric_id metrics[3] = {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                          METRIC_YOUTH_WITH_RUNAWAY_PCT,
	                                          METRIC_REPORTED_LE_24H_PCT};
	memset(r, 0, sizeof(*r));
	r->as_of = as_of;
	r->fy_start_month = 10;
	r->tables = calloc(18, sizeof(*r->tables));
	ck_assert_ptr_nonnull(r->tables);
	for (int m = 0; m < 3; m++)
		for (int p = PERIOD_MONTH; p <= PERIOD_YEAR; p++) {
			add_table(r, metrics[m], (enum period_type)p, DIM_TOTAL);
			add_table(r, metrics[m], (enum period_type)p, DIM_ADVOCATE);
		}
}

/* The plan of most tests: month totals, quarter totals and advocate, year
 * totals; month and year by advocate are not published. */
#define TINY_PLAN "month:total quarter:advocate year:total"

static struct release_options tiny_options(const char *plan, double epsilon)
{
	struct release_options o;
	memset(&o, 0, sizeof(o));
	char err[RELEASE_ERROR_LEN];
	ck_assert(release_plan_parse(plan, &o.settings.plan, err));
	o.settings.min_cell = 11;
	o.settings.fy_start_month = 10;
	o.settings.settle_days = 30;
	o.settings.screening_window_s = 72 * 3600;
	o.settings.mode = DISCLOSURE_DP;
	o.settings.epsilon = epsilon;
	strcpy(o.settings.timezone, "UTC");
	return o;
}

static struct disclosure_options dp_options(uint8_t key_byte, double epsilon)
{
	struct disclosure_options o;
	memset(&o, 0, sizeof(o));
	o.mode = DISCLOSURE_DP;
	o.min_cell = 11;
	o.epsilon = epsilon;
	memset(o.key, key_byte, sizeof(o.key));
	return o;
}

static void tiny_view(const struct metrics_result *today, const struct release_ledger *ledger,
                      const char *plan, double epsilon, struct release_view *view)
{
	struct release_options o = tiny_options(plan, epsilon);
	char err[RELEASE_ERROR_LEN];
	ck_assert_msg(release_apply(today, ledger, &o, view, err), "%s", err);
}

static void protect(const struct release_view *view, uint8_t key_byte, double epsilon,
                    struct disclosure_result *out)
{
	struct disclosure_options o = dp_options(key_byte, epsilon);
	char err[DISCLOSURE_ERROR_LEN];
	ck_assert_msg(disclosure_protect(view, &o, out, err), "%s", err);
}

static const struct disclosure_table *
table(const struct disclosure_result *r, enum metric_id metric, enum period_type type, enum dim dim)
{
	const struct disclosure_table *t = disclosure_table_find(r, metric, type, dim);
	ck_assert_ptr_nonnull(t);
	return t;
}

START_TEST(test_budget_by_hand)
{
	/*
	 * Published (metric, count) pairs: runaway episodes (the runaway
	 * numerator and the reporting denominator: one count, 2 shares), days
	 * in care, reports within 24 h, youth numerator and denominator: 6
	 * shares. epsilon 1.2 (read as 1200000 / 10^6).
	 * Runaway episodes, 2/6 of epsilon = 0.4: totals 2/3 (0.2667) between
	 * quarters (weight 3) and months (1), years are sums: quarter 0.2 =
	 * 1/5, month 1/15; the advocate breakdown 1/3 (0.1333) at quarters
	 * only (years by advocate are not published): 2/15.
	 * Days in care and reports within 24 h, 1/6 = 0.2 each: quarter
	 * 0.2 * 2/3 * 3/4 = 1/10, month 1/30, quarter by advocate 0.2 / 3 =
	 * 1/15.
	 * Youth numerator and denominator (children: every published level
	 * noised), 0.2 each: totals 2/3 of it, 0.1333 = 6/45, over month
	 * (weight 1), quarter (3) and year (2): month 1/45, quarter 3/45 =
	 * 1/15, year 2/45; quarter by advocate 0.2 / 3 = 1/15.
	 * Sum: 1/5 + 1/15 + 2/15 + 2 (1/10 + 1/30 + 1/15) + 2 (1/45 + 1/15 +
	 * 2/45 + 1/15) = 0.4 + 0.4 + 0.4 = 1.2.
	 */
	static const struct {
		enum metric_id metric;
		int field;
		enum period_type type;
		enum dim dim;
		uint64_t num, den;
	} want[] = {
	    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, DISCLOSURE_FIELD_NUMERATOR, PERIOD_MONTH,
	     DIM_TOTAL, 1, 15},
	    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, DISCLOSURE_FIELD_NUMERATOR, PERIOD_QUARTER,
	     DIM_TOTAL, 1, 5},
	    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, DISCLOSURE_FIELD_NUMERATOR, PERIOD_QUARTER,
	     DIM_ADVOCATE, 2, 15},
	    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, DISCLOSURE_FIELD_DENOMINATOR, PERIOD_MONTH,
	     DIM_TOTAL, 1, 30},
	    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, DISCLOSURE_FIELD_DENOMINATOR, PERIOD_QUARTER,
	     DIM_TOTAL, 1, 10},
	    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, DISCLOSURE_FIELD_DENOMINATOR, PERIOD_QUARTER,
	     DIM_ADVOCATE, 1, 15},
	    {METRIC_REPORTED_LE_24H_PCT, DISCLOSURE_FIELD_NUMERATOR, PERIOD_MONTH, DIM_TOTAL, 1,
	     30},
	    {METRIC_REPORTED_LE_24H_PCT, DISCLOSURE_FIELD_NUMERATOR, PERIOD_QUARTER, DIM_TOTAL, 1,
	     10},
	    {METRIC_REPORTED_LE_24H_PCT, DISCLOSURE_FIELD_NUMERATOR, PERIOD_QUARTER, DIM_ADVOCATE,
	     1, 15},
	    {METRIC_YOUTH_WITH_RUNAWAY_PCT, DISCLOSURE_FIELD_NUMERATOR, PERIOD_MONTH, DIM_TOTAL, 1,
	     45},
	    {METRIC_YOUTH_WITH_RUNAWAY_PCT, DISCLOSURE_FIELD_NUMERATOR, PERIOD_QUARTER, DIM_TOTAL,
	     1, 15},
	    {METRIC_YOUTH_WITH_RUNAWAY_PCT, DISCLOSURE_FIELD_NUMERATOR, PERIOD_QUARTER,
	     DIM_ADVOCATE, 1, 15},
	    {METRIC_YOUTH_WITH_RUNAWAY_PCT, DISCLOSURE_FIELD_NUMERATOR, PERIOD_YEAR, DIM_TOTAL, 2,
	     45},
	    {METRIC_YOUTH_WITH_RUNAWAY_PCT, DISCLOSURE_FIELD_DENOMINATOR, PERIOD_MONTH, DIM_TOTAL,
	     1, 45},
	    {METRIC_YOUTH_WITH_RUNAWAY_PCT, DISCLOSURE_FIELD_DENOMINATOR, PERIOD_QUARTER, DIM_TOTAL,
	     1, 15},
	    {METRIC_YOUTH_WITH_RUNAWAY_PCT, DISCLOSURE_FIELD_DENOMINATOR, PERIOD_QUARTER,
	     DIM_ADVOCATE, 1, 15},
	    {METRIC_YOUTH_WITH_RUNAWAY_PCT, DISCLOSURE_FIELD_DENOMINATOR, PERIOD_YEAR, DIM_TOTAL, 2,
	     45},
	};
	struct metrics_result today;
	struct release_view view;
	tiny_today(&today, date_from_ymd(2025, 6, 30));
	tiny_view(&today, NULL, TINY_PLAN, 1.2, &view);
	struct disclosure_dp_series *series;
	size_t count;
	ck_assert(disclosure_dp_budget(&view, 1.2, &series, &count));
	/* nothing else is noised: not the reporting denominator (the runaway
	 * count), not the years of events (sums), not the unpublished tables */
	ck_assert_uint_eq(count, CASA_ARRAY_LEN(want));
	for (size_t w = 0; w < CASA_ARRAY_LEN(want); w++) {
		size_t hits = 0;
		for (size_t i = 0; i < count; i++) {
			if (series[i].metric != want[w].metric ||
			    series[i].field != want[w].field ||
			    series[i].period_type != want[w].type || series[i].dim != want[w].dim)
				continue;
			hits++;
			ck_assert_msg(
			    series[i].eps_num == want[w].num && series[i].eps_den == want[w].den,
			    "series %zu: %llu/%llu, want %llu/%llu", w,
			    (unsigned long long)series[i].eps_num,
			    (unsigned long long)series[i].eps_den, (unsigned long long)want[w].num,
			    (unsigned long long)want[w].den);
		}
		ck_assert_uint_eq(hits, 1);
	}
	free(series);
	release_view_free(&view);
	metrics_free(&today);
}
END_TEST

/* The published cell of (period, group), which must be published. */
static const struct disclosure_cell *cell_at(const struct disclosure_table *t, int32_t period,
                                             uint32_t g)
{
	ck_assert(period >= t->first_period &&
	          period < t->first_period + (int32_t)t->published_rows);
	return &t->cells[(size_t)(period - t->first_period) * t->group_count + g];
}

START_TEST(test_shared_and_consistent)
{
	/* epsilon 1.2 as above: runaway counts get eps 1/5 a quarter, noise of
	 * a few units. Whatever the noise: */
	struct metrics_result today;
	struct release_view view;
	struct disclosure_result out;
	tiny_today(&today, date_from_ymd(2025, 6, 30));
	tiny_view(&today, NULL, TINY_PLAN, 1.2, &view);
	protect(&view, 7, 1.2, &out);
	const enum metric_id runaway = METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                     reported = METRIC_REPORTED_LE_24H_PCT;
	int noisy = 0;
	for (int p = PERIOD_MONTH; p <= PERIOD_YEAR; p++)
		for (int d = 0; d < DIM_COUNT; d++) {
			const struct disclosure_table *r =
			    disclosure_table_find(&out, runaway, (enum period_type)p, (enum dim)d);
			const struct disclosure_table *l =
			    disclosure_table_find(&out, reported, (enum period_type)p, (enum dim)d);
			if (r == NULL || !r->published)
				continue;
			ck_assert(l != NULL && l->published &&
			          l->published_rows == r->published_rows);
			const struct metrics_table *raw = metrics_table_find(
			    &view.raw, runaway, (enum period_type)p, (enum dim)d);
			for (size_t c = 0; c < (size_t)r->published_rows * r->group_count; c++) {
				/* the runaway count is noised once: the reporting
				 * denominator is the runaway numerator */
				ck_assert(!r->cells[c].suppressed && !l->cells[c].suppressed);
				ck_assert_int_eq(r->cells[c].numerator, l->cells[c].denominator);
				/* a numerator never exceeds its denominator */
				ck_assert_int_ge(l->cells[c].numerator, 0);
				ck_assert_int_le(l->cells[c].numerator, l->cells[c].denominator);
				noisy += r->cells[c].numerator != raw->cells[c].numerator;
			}
		}
	/* and it is noisy: with eps 1/5, P(no noise) = (1 - e^-0.2) / (1 +
	 * e^-0.2) = 0.0997 for a quarter; 12 months and 4 quarters all exact
	 * would be a broken sampler */
	ck_assert_int_gt(noisy, 0);

	/* groups add up to the total; months to quarters; quarters to years */
	for (int m = 0; m < 3; m++) {
		enum metric_id metric = m == 0   ? runaway
		                        : m == 1 ? reported
		                                 : METRIC_YOUTH_WITH_RUNAWAY_PCT;
		const struct disclosure_table *qt = table(&out, metric, PERIOD_QUARTER, DIM_TOTAL),
		                              *qa =
		                                  table(&out, metric, PERIOD_QUARTER, DIM_ADVOCATE);
		ck_assert_uint_eq(qa->published_rows, 3); /* 2024-Q3 .. 2025-Q1 settled */
		for (uint32_t p = 0; p < qa->published_rows; p++) {
			int32_t q = qa->first_period + (int32_t)p;
			const struct disclosure_cell *a = cell_at(qa, q, 0), *b = cell_at(qa, q, 1),
			                             *t = cell_at(qt, q, 0);
			ck_assert_int_eq(a->numerator + b->numerator, t->numerator);
			ck_assert_int_eq(a->denominator + b->denominator, t->denominator);
		}
		if (m == 2)
			continue; /* children do not add up over time */
		const struct disclosure_table *mt = table(&out, metric, PERIOD_MONTH, DIM_TOTAL),
		                              *yt = table(&out, metric, PERIOD_YEAR, DIM_TOTAL);
		for (uint32_t p = 0; p < qt->published_rows; p++) {
			int32_t q = qt->first_period + (int32_t)p;
			int64_t n = 0, d = 0;
			for (int32_t month = 3 * (q - 2024 * 4) + 2024 * 12;
			     month < 3 * (q - 2024 * 4) + 2024 * 12 + 3; month++) {
				n += cell_at(mt, month, 0)->numerator;
				d += cell_at(mt, month, 0)->denominator;
			}
			ck_assert_int_eq(n, cell_at(qt, q, 0)->numerator);
			ck_assert_int_eq(d, cell_at(qt, q, 0)->denominator);
		}
		/* 2024 = 2024-Q3 + 2024-Q4 (the data begin in July); 2025 =
		 * 2025-Q1 + 2025-Q2 */
		for (int32_t y = 2024; y <= 2025; y++) {
			int32_t q0 = y * 4 + (y == 2024 ? 2 : 0);
			ck_assert_int_eq(cell_at(yt, y, 0)->numerator,
			                 cell_at(qt, q0, 0)->numerator +
			                     cell_at(qt, q0 + 1, 0)->numerator);
			ck_assert_int_eq(cell_at(yt, y, 0)->denominator,
			                 cell_at(qt, q0, 0)->denominator +
			                     cell_at(qt, q0 + 1, 0)->denominator);
		}
	}
	disclosure_free(&out);
	release_view_free(&view);
	metrics_free(&today);
}
END_TEST

/* Checks that every published breakdown of metric adds up to its total,
 * row by row, and, for counts that add up over time, that every published
 * row of a period type is the sum of the published rows of each shorter
 * one inside it. Returns the sums checked. */
static int check_adds_up(const struct disclosure_result *out, enum metric_id metric)
{
	int checked = 0;
	for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
		for (int d = DIM_TOTAL + 1; d < DIM_COUNT; d++) {
			const struct disclosure_table *t =
			    disclosure_table_find(out, metric, (enum period_type)p, (enum dim)d);
			if (t == NULL || !t->published)
				continue;
			const struct disclosure_table *total =
			    table(out, metric, (enum period_type)p, DIM_TOTAL);
			for (uint32_t r = 0; r < t->published_rows; r++) {
				int32_t period = t->first_period + (int32_t)r;
				int64_t n = 0, den = 0;
				for (uint32_t g = 0; g < t->group_count; g++) {
					n += cell_at(t, period, g)->numerator;
					den += cell_at(t, period, g)->denominator;
				}
				ck_assert_int_eq(n, cell_at(total, period, 0)->numerator);
				ck_assert_int_eq(den, cell_at(total, period, 0)->denominator);
				checked++;
			}
		}
	if (metrics_catalog[metric].time_additive !=
	    (METRIC_COUNT_NUMERATOR | METRIC_COUNT_DENOMINATOR))
		return checked;
	for (int d = 0; d < DIM_COUNT; d++)
		for (int inner = 0; inner < PERIOD_TYPE_COUNT; inner++)
			for (int outer = inner + 1; outer < PERIOD_TYPE_COUNT; outer++) {
				const struct disclosure_table *in = disclosure_table_find(
				    out, metric, (enum period_type)inner, (enum dim)d);
				const struct disclosure_table *t = disclosure_table_find(
				    out, metric, (enum period_type)outer, (enum dim)d);
				if (in == NULL || t == NULL || !in->published || !t->published)
					continue;
				for (uint32_t r = 0; r < t->published_rows; r++) {
					int32_t period = t->first_period + (int32_t)r;
					int32_t first = period_index_of(
					    (enum period_type)inner, 10,
					    period_first_day((enum period_type)outer, 10, period));
					int32_t last = period_index_of(
					    (enum period_type)inner, 10,
					    period_last_day((enum period_type)outer, 10, period));
					if (last >= in->first_period + (int32_t)in->period_count)
						last = in->first_period +
						       (int32_t)in->period_count -
						       1; /* after as_of: nothing */
					if (last >= in->first_period + (int32_t)in->published_rows)
						continue; /* not all published */
					for (uint32_t g = 0; g < t->group_count; g++) {
						int64_t n = 0, den = 0;
						for (int32_t i = first; i <= last; i++) {
							if (i < in->first_period)
								continue; /* before the data */
							n += cell_at(in, i, g)->numerator;
							den += cell_at(in, i, g)->denominator;
						}
						ck_assert_int_eq(n,
						                 cell_at(t, period, g)->numerator);
						ck_assert_int_eq(
						    den, cell_at(t, period, g)->denominator);
						checked++;
					}
				}
			}
	return checked;
}

START_TEST(test_other_plans_add_up)
{
	/* A breakdown noised by month (month by advocate published: quarters
	 * by advocate are not, years by advocate are its sums), and months
	 * anchored on years (no quarter published). */
	static const char *const plans[] = {"month:advocate quarter:total year:advocate",
	                                    "month:total year:total"};
	/* sums checked, worked out from the plan: months 2024-07 .. 2025-06,
	 * quarters 2024-Q3 .. 2025-Q2, years 2024 and 2025; breakdowns of
	 * settled periods only (last day + lag + 30 <= 2025-06-30): runaways
	 * and reports share their count, so both settle with the 7 days of
	 * returned_within_7_days_pct: months through 2025-04 (April's last
	 * day + 37 = 06-06; May's = 07-07 is too late); youth (lag 0) through
	 * 2025-05; the year 2024.
	 * Plan 1, runaways: groups to totals, 10 months + 1 year; months to
	 * quarters 4, months to years 2, quarters to years 2 (totals); months
	 * to the year 2024 by advocate, 2 groups: 11 + 8 + 2 = 21. Reports: the
	 * same 21. Youth (does not add up over time): 11 + 1 = 12.
	 * Plan 2: months to years, 2, for each count of events. */
	static const int want[2][3] = {{21, 12, 21}, {2, 0, 2}};
	static const enum metric_id metrics[3] = {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                          METRIC_YOUTH_WITH_RUNAWAY_PCT,
	                                          METRIC_REPORTED_LE_24H_PCT};
	for (size_t i = 0; i < CASA_ARRAY_LEN(plans); i++) {
		struct metrics_result today;
		struct release_view view;
		struct disclosure_result out;
		tiny_today(&today, date_from_ymd(2025, 6, 30));
		tiny_view(&today, NULL, plans[i], 1.2, &view);
		protect(&view, 9, 1.2, &out);
		for (int m = 0; m < 3; m++)
			ck_assert_int_eq(check_adds_up(&out, metrics[m]), want[i][m]);
		disclosure_free(&out);
		release_view_free(&view);
		metrics_free(&today);
	}
}
END_TEST

/* Every published cell of a and b equal, table by table. */
static bool same_cells(const struct disclosure_result *a, const struct disclosure_result *b)
{
	if (a->table_count != b->table_count)
		return false;
	for (size_t i = 0; i < a->table_count; i++) {
		const struct disclosure_table *x = &a->tables[i], *y = &b->tables[i];
		if (x->published_rows != y->published_rows || x->group_count != y->group_count ||
		    memcmp(x->cells, y->cells,
		           (size_t)x->published_rows * x->group_count * sizeof(*x->cells)) != 0)
			return false;
	}
	return true;
}

START_TEST(test_cell_key)
{
	struct metrics_result today;
	struct release_view view;
	struct disclosure_result a, b, c;
	tiny_today(&today, date_from_ymd(2025, 6, 30));
	tiny_view(&today, NULL, TINY_PLAN, 1.2, &view);
	protect(&view, 1, 1.2, &a);
	protect(&view, 1, 1.2, &b);
	ck_assert_str_eq(disclosure_mode_name(a.mode), "dp");
	ck_assert_double_eq(a.epsilon, 1.2);
	/* same key, same view: the same bodies (polling cannot average) */
	ck_assert(same_cells(&a, &b));
	/* another key: other noise (P(no noise) is at most 0.1 per count, so
	 * a whole release unchanged would be a key that is not used) */
	protect(&view, 2, 1.2, &c);
	ck_assert(!same_cells(&a, &c));
	disclosure_free(&b);
	disclosure_free(&c);

	/* One changed count, youth's quarter 2024-Q4 total numerator (noised
	 * by itself: children do not add up over time): every other youth
	 * total is published as before; so is everything of the other
	 * metrics. */
	const int32_t q4 = 2024 * 4 + 3;
	struct metrics_table *yq = (struct metrics_table *)metrics_table_find(
	    &view.raw, METRIC_YOUTH_WITH_RUNAWAY_PCT, PERIOD_QUARTER, DIM_TOTAL);
	yq->cells[q4 - yq->first_period].numerator += 1;
	protect(&view, 1, 1.2, &b);
	for (size_t i = 0; i < a.table_count; i++) {
		const struct disclosure_table *x = &a.tables[i], *y = &b.tables[i];
		for (uint32_t p = 0; p < x->published_rows; p++)
			for (uint32_t g = 0; g < x->group_count; g++) {
				bool changed_row = x->metric == METRIC_YOUTH_WITH_RUNAWAY_PCT &&
				                   x->period_type == PERIOD_QUARTER &&
				                   x->first_period + (int32_t)p == q4;
				if (changed_row)
					continue; /* its total, and the groups fitted to it */
				size_t k = (size_t)p * x->group_count + g;
				ck_assert(memcmp(&x->cells[k], &y->cells[k], sizeof(x->cells[k])) ==
				          0);
			}
	}
	disclosure_free(&a);
	disclosure_free(&b);
	release_view_free(&view);
	metrics_free(&today);
}
END_TEST

START_TEST(test_frozen_after_late_data)
{
	/* Release 1 on 2025-06-30; release 2 a month later, with late data:
	 * one more runaway episode (reported in time) in November 2024, a
	 * settled month, and one in June 2025, then the open quarter. Release 2
	 * reads the ledger: the quarters 2024-Q3 .. 2025-Q1 and the year 2024,
	 * settled in release 1, keep their published counts (same frozen
	 * counts, same key: same noise), by advocate too. */
	struct metrics_result today, later;
	struct release_view view1, view2;
	struct disclosure_result one, two;
	tiny_today(&today, date_from_ymd(2025, 6, 30));
	tiny_view(&today, NULL, TINY_PLAN, 1.2, &view1);
	protect(&view1, 5, 1.2, &one);
	struct release_options o = tiny_options(TINY_PLAN, 1.2);
	char err[RELEASE_ERROR_LEN];
	struct release_ledger *ledger = release_commit(&view1, one.secret, &o, err);
	ck_assert_msg(ledger != NULL, "%s", err);

	tiny_today(&later, date_from_ymd(2025, 7, 31));
	const int32_t late[2] = {2024 * 12 + 10, 2025 * 12 + 5}; /* 2024-11, 2025-06 */
	for (size_t i = 0; i < later.table_count; i++) {
		struct metrics_table *t = &later.tables[i];
		if (t->metric == METRIC_YOUTH_WITH_RUNAWAY_PCT)
			continue;
		for (int l = 0; l < 2; l++) {
			int32_t day = period_first_day(PERIOD_MONTH, 10, late[l]);
			uint32_t p =
			    (uint32_t)(period_index_of(t->period_type, 10, day) - t->first_period);
			/* group 0 (assigned), and the total */
			t->cells[p * t->group_count].numerator += 1;
			t->cells[p * t->group_count].denominator +=
			    t->metric == METRIC_REPORTED_LE_24H_PCT;
		}
	}
	tiny_view(&later, ledger, TINY_PLAN, 1.2, &view2);
	protect(&view2, 5, 1.2, &two);
	int frozen = 0;
	for (size_t i = 0; i < one.table_count; i++) {
		const struct disclosure_table *x = &one.tables[i], *y = &two.tables[i];
		if (x->period_type == PERIOD_MONTH || !x->published)
			continue;
		ck_assert_uint_le(x->published_rows, y->published_rows);
		ck_assert_int_eq(x->first_period, y->first_period);
		for (uint32_t p = 0; p < x->published_rows; p++) {
			int32_t period = x->first_period + (int32_t)p;
			if (!release_settled(x->period_type, 10, period, 1, 30, today.as_of))
				continue;
			for (uint32_t g = 0; g < x->group_count; g++) {
				size_t c = (size_t)p * x->group_count + g;
				ck_assert(memcmp(&x->cells[c], &y->cells[c], sizeof(x->cells[c])) ==
				          0);
				frozen++;
			}
		}
	}
	/* quarters 3 x (runaway, reporting, youth) x (total + 2 groups), year
	 * 2024 x 3 metrics */
	ck_assert_int_eq(frozen, 3 * 3 * 3 + 3);
	disclosure_free(&one);
	disclosure_free(&two);
	release_view_free(&view1);
	release_view_free(&view2);
	release_ledger_free(ledger);
	metrics_free(&today);
	metrics_free(&later);
}
END_TEST

START_TEST(test_withheld)
{
	/* Quantiles (days missing) are withheld in dp mode: every published
	 * row suppressed, with nulls. returned_within_7_days_pct counts
	 * episodes beginning up to as_of - 7: with as_of 2025-04-03, March
	 * 2025 ended 3 days ago, so its rows (and 2025-Q1's, which ends the
	 * same day, and the open April) are withheld; February is published
	 * and its denominator is the runaway numerator. */
	static struct metrics_cell cells[4][12];
	struct metrics_table tables[4] = {
	    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_MONTH, DIM_TOTAL, 2025 * 12, 4, 1,
	     cells[0]},
	    {METRIC_DAYS_MISSING_MEDIAN, PERIOD_MONTH, DIM_TOTAL, 2025 * 12, 4, 1, cells[1]},
	    {METRIC_RETURNED_WITHIN_7_DAYS_PCT, PERIOD_MONTH, DIM_TOTAL, 2025 * 12, 4, 1, cells[2]},
	    {METRIC_RETURNED_WITHIN_7_DAYS_PCT, PERIOD_QUARTER, DIM_TOTAL, 2025 * 4, 2, 1,
	     cells[3]},
	};
	for (int m = 0; m < 4; m++) {
		cells[0][m] =
		    (struct metrics_cell){.numerator = 40, .denominator = 9000, .children = 300};
		cells[1][m] =
		    (struct metrics_cell){.denominator = 30, .children = 30, .quantile_2s = 345600};
		cells[2][m] =
		    (struct metrics_cell){.numerator = 30, .denominator = 40, .children = 40};
	}
	cells[3][0] = (struct metrics_cell){.numerator = 90, .denominator = 120, .children = 100};
	cells[3][1] = (struct metrics_cell){.numerator = 10, .denominator = 13, .children = 12};
	struct metrics_result raw = {.as_of = date_from_ymd(2025, 4, 3), .fy_start_month = 10};
	raw.tables = tables;
	raw.table_count = 4;
	uint8_t state[4][12] = {{0}};
	struct release_table rt[4] = {
	    {.published = true, .published_rows = 4, .state = state[0]},
	    {.published = true, .published_rows = 4, .state = state[1]},
	    {.published = true, .published_rows = 4, .state = state[2]},
	    {.published = true, .published_rows = 2, .state = state[3]},
	};
	struct release_view view = {.raw = raw, .tables = rt};
	struct disclosure_result out;
	protect(&view, 3, 1.0, &out);
	for (int m = 0; m < 4; m++)
		ck_assert(out.tables[1].cells[m].suppressed && !out.tables[1].cells[m].has_value);
	ck_assert(!out.tables[2].cells[0].suppressed && !out.tables[2].cells[1].suppressed);
	ck_assert(out.tables[2].cells[2].suppressed && out.tables[2].cells[3].suppressed);
	ck_assert(out.tables[3].cells[0].suppressed && out.tables[3].cells[1].suppressed);
	for (int m = 0; m < 2; m++)
		ck_assert_int_eq(out.tables[2].cells[m].denominator,
		                 out.tables[0].cells[m].numerator);
	/* 4 quantile rows, 2 months and 2 quarters of returns */
	ck_assert_uint_eq(out.suppressed_primary, 8);
	disclosure_free(&out);
}
END_TEST

static Suite *dp_suite(void)
{
	Suite *s = suite_create("dp");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sampler_eps_half);
	tcase_add_test(tc, test_sampler_eps_three_halves);
	tcase_add_test(tc, test_sampler_small_eps_scale);
	tcase_add_test(tc, test_fit);
	tcase_add_test(tc, test_budget_by_hand);
	tcase_add_test(tc, test_shared_and_consistent);
	tcase_add_test(tc, test_other_plans_add_up);
	tcase_add_test(tc, test_cell_key);
	tcase_add_test(tc, test_frozen_after_late_data);
	tcase_add_test(tc, test_withheld);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dp_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
