/*
 * test_dp.c — the dp mode of SPEC §5: the exact discrete Laplace sampler
 * against its distribution (mean, variance, P(0), tail), and the cell key
 * property (deterministic per key, cell and count; different under another
 * key). Its HMAC-SHA-256 is tested in test_sha256.c.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "casa/date.h"
#include "casa/disclosure.h"
#include "casa/metrics.h"
#include "../../src/disclosure_internal.h"

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
	/* eps = 0.05 = 50000 / 10^6 (the rational form used for the configured
	 * epsilon): variance 2p/(1-p)^2 with p = e^-0.05 = 0.951229:
	 * 1.902459 / 0.0023786 = 799.83. */
	check_law(50000, 1000000, 40);
}
END_TEST

/* A small dp result: 3 years x 4 sex groups of runaway_discharges_pct. */
static struct metrics_table dp_table;
static struct metrics_cell dp_cells[12];
static struct metrics_result dp_raw;

static void dp_fixture(void)
{
	memset(&dp_raw, 0, sizeof(dp_raw));
	dp_table = (struct metrics_table){.metric = METRIC_RUNAWAY_DISCHARGES_PCT,
	                                  .period_type = PERIOD_YEAR,
	                                  .dim = DIM_SEX,
	                                  .first_period = 2023,
	                                  .period_count = 3,
	                                  .group_count = 4,
	                                  .cells = dp_cells};
	for (int i = 0; i < 12; i++)
		dp_cells[i] = (struct metrics_cell){
		    .numerator = i, .denominator = 3 * i + 5, .children = 3 * i + 5};
	dp_raw.tables = &dp_table;
	dp_raw.table_count = 1;
	dp_raw.fy_start_month = 10;
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

START_TEST(test_cell_key_determinism)
{
	dp_fixture();
	struct disclosure_options o = dp_options(1, 0.5);
	struct disclosure_result a, b, c;
	ck_assert(disclosure_protect(&dp_raw, &o, &a));
	ck_assert(disclosure_protect(&dp_raw, &o, &b));
	ck_assert_str_eq(disclosure_mode_name(a.mode), "dp");
	ck_assert_double_eq(a.epsilon, 0.5);
	/* Same key, cells and counts: identical noise (polling cannot average it). */
	ck_assert(
	    memcmp(a.tables[0].cells, b.tables[0].cells, sizeof(struct disclosure_cell) * 12) == 0);
	/* Another key: with eps_count = 0.5 / 1 table / 2 counts = 0.25, P(noise
	 * = 0) = (1 - e^-0.25) / (1 + e^-0.25) = 0.1244, so 24 counts agreeing by
	 * chance is vanishingly unlikely; demand at least one difference. */
	struct disclosure_options o2 = dp_options(2, 0.5);
	ck_assert(disclosure_protect(&dp_raw, &o2, &c));
	int differ = 0;
	for (int i = 0; i < 12; i++)
		differ += a.tables[0].cells[i].numerator != c.tables[0].cells[i].numerator ||
		          a.tables[0].cells[i].denominator != c.tables[0].cells[i].denominator;
	ck_assert_int_gt(differ, 0);
	/* Post-processing: counts clamped at 0, percentage numerator <= denominator,
	 * nothing suppressed (no quantile here), value from the noisy counts. */
	for (int i = 0; i < 12; i++) {
		const struct disclosure_cell *cell = &a.tables[0].cells[i];
		ck_assert(!cell->suppressed && cell->has_numerator && cell->has_denominator);
		ck_assert_int_ge(cell->numerator, 0);
		ck_assert_int_le(cell->numerator, cell->denominator);
		if (cell->denominator > 0)
			ck_assert_double_eq_tol(
			    cell->value,
			    100.0 * (double)cell->numerator / (double)cell->denominator, 5e-5);
	}
	disclosure_free(&c);

	/* A later refresh where only cell 5's count changed: every other cell
	 * keeps its noise (the noise depends on identity and true count). */
	dp_cells[5].numerator += 1;
	ck_assert(disclosure_protect(&dp_raw, &o, &c));
	for (int i = 0; i < 12; i++) {
		if (i == 5)
			continue;
		ck_assert_int_eq(a.tables[0].cells[i].numerator, c.tables[0].cells[i].numerator);
		ck_assert_int_eq(a.tables[0].cells[i].denominator,
		                 c.tables[0].cells[i].denominator);
	}
	disclosure_free(&a);
	disclosure_free(&b);
	disclosure_free(&c);
}
END_TEST

START_TEST(test_apportion)
{
	/* 5 3 0 2 to 13: weight 10; 5*13/10 = 6 r 5, 3*13/10 = 3 r 9, 0, 2*13/10
	 * = 2 r 6; given 11, 2 units left: the largest remainders, 9 (index 1)
	 * and 6 (index 3) -> 6 4 0 3. */
	int64_t a[4] = {5, 3, 0, 2};
	ck_assert(disclosure_dp_apportion(a, NULL, 4, 13));
	ck_assert(a[0] == 6 && a[1] == 4 && a[2] == 0 && a[3] == 3);
	/* The same to 12 with caps 5 10 10 1: 6 r 0, 3 r 6, 0, 2 r 4, one unit
	 * left to index 1 -> 6 4 0 2; index 0 over its cap 5, index 3 over 1:
	 * fixed there; again with 12 - 5 - 1 = 6 over indexes 1 and 2 (shares 3
	 * and 0): 6 and 0 -> 5 6 0 1. */
	int64_t b[4] = {5, 3, 0, 2};
	const int64_t cap[4] = {5, 10, 10, 1};
	ck_assert(disclosure_dp_apportion(b, cap, 4, 12));
	ck_assert(b[0] == 5 && b[1] == 6 && b[2] == 0 && b[3] == 1);
	/* All zero, 4 to share: equal shares 4/3 = 1 r 1 each, the unit left
	 * to the lowest index -> 2 1 1. */
	int64_t c[3] = {0, 0, 0};
	ck_assert(disclosure_dp_apportion(c, NULL, 3, 4));
	ck_assert(c[0] == 2 && c[1] == 1 && c[2] == 1);
}
END_TEST

/* reported_le_24h_pct (a percentage of events: adds up over time) for
 * Jan..Mar 2025 and 2025-Q1, total and by sex. True counts: group g, month m
 * numerator 10 + g + m, denominator 20 + 2g + m; the total their sums. */
static struct metrics_table cons_tables[4];
static struct metrics_cell cons_cells[4][12];

static void consistency_fixture(struct metrics_result *raw)
{
	memset(raw, 0, sizeof(*raw));
	const enum period_type types[2] = {PERIOD_MONTH, PERIOD_QUARTER};
	const int32_t first[2] = {2025 * 12, 2025 * 4};
	for (int t = 0; t < 2; t++)
		for (int d = 0; d < 2; d++) {
			struct metrics_table *tab = &cons_tables[t * 2 + d];
			*tab = (struct metrics_table){.metric = METRIC_REPORTED_LE_24H_PCT,
			                              .period_type = types[t],
			                              .dim = d ? DIM_SEX : DIM_TOTAL,
			                              .first_period = first[t],
			                              .period_count = t ? 1 : 3,
			                              .group_count = d ? 4 : 1,
			                              .cells = cons_cells[t * 2 + d]};
			for (uint32_t p = 0; p < tab->period_count; p++)
				for (uint32_t g = 0; g < tab->group_count; g++) {
					struct metrics_cell *c =
					    &tab->cells[p * tab->group_count + g];
					memset(c, 0, sizeof(*c));
					for (int m = 0; m < 3; m++) {
						if (!t && m != (int)p)
							continue;
						for (int gg = 0; gg < 4; gg++) {
							if (d && gg != (int)g)
								continue;
							c->numerator += 10 + gg + m;
							c->denominator += 20 + 2 * gg + m;
						}
					}
					c->children = c->denominator;
				}
		}
	raw->tables = cons_tables;
	raw->table_count = 4;
	raw->fy_start_month = 10;
}

START_TEST(test_dp_consistent)
{
	/* With epsilon 0.5 over the two month tables (the quarter tables are
	 * sums and take none): eps_count = 0.5 / 2 / 2 = 0.125, noise of a few
	 * units. Whatever the noise: the groups add up to the total in every
	 * month, each quarter is the sum of its months, a numerator never
	 * exceeds its denominator, and nothing is negative. */
	struct metrics_result raw;
	consistency_fixture(&raw);
	struct disclosure_options o = dp_options(7, 0.5);
	struct disclosure_result out;
	ck_assert(disclosure_protect(&raw, &o, &out));
	int noisy = 0;
	for (int t = 0; t < 2; t++) {
		const struct disclosure_table *tot = &out.tables[t * 2],
		                              *sex = &out.tables[t * 2 + 1];
		for (uint32_t p = 0; p < tot->period_count; p++) {
			int64_t n = 0, d = 0;
			for (uint32_t g = 0; g < 4; g++) {
				const struct disclosure_cell *c = &sex->cells[p * 4 + g];
				ck_assert(c->numerator >= 0 && c->numerator <= c->denominator);
				n += c->numerator;
				d += c->denominator;
			}
			ck_assert_int_eq(n, tot->cells[p].numerator);
			ck_assert_int_eq(d, tot->cells[p].denominator);
			noisy +=
			    tot->cells[p].denominator != raw.tables[t * 2].cells[p].denominator;
		}
	}
	for (uint32_t g = 0; g < 4; g++) {
		int64_t n = 0, d = 0;
		for (uint32_t m = 0; m < 3; m++) {
			n += out.tables[1].cells[m * 4 + g].numerator;
			d += out.tables[1].cells[m * 4 + g].denominator;
		}
		ck_assert_int_eq(n, out.tables[3].cells[g].numerator);
		ck_assert_int_eq(d, out.tables[3].cells[g].denominator);
	}
	ck_assert_int_eq(out.tables[2].cells[0].denominator,
	                 out.tables[0].cells[0].denominator + out.tables[0].cells[1].denominator +
	                     out.tables[0].cells[2].denominator);
	ck_assert_int_gt(noisy, 0); /* and it is noisy: P(no noise) = 0.06 per count */
	disclosure_free(&out);
}
END_TEST

START_TEST(test_dp_quantile_primary)
{
	/* Quantiles are not noised: they keep primary suppression (10 episodes <
	 * 11 -> suppressed; 11 episodes -> the exact 2.0 days = 345600 / 172800). */
	struct metrics_cell cells[2] = {{.denominator = 10, .children = 10, .quantile_2s = 345600},
	                                {.denominator = 11, .children = 11, .quantile_2s = 345600}};
	struct metrics_table t = {.metric = METRIC_DAYS_MISSING_MEDIAN,
	                          .period_type = PERIOD_YEAR,
	                          .dim = DIM_TOTAL,
	                          .first_period = 2024,
	                          .period_count = 2,
	                          .group_count = 1,
	                          .cells = cells};
	struct metrics_result raw = {.tables = &t, .table_count = 1, .fy_start_month = 10};
	struct disclosure_options o = dp_options(3, 1.0);
	struct disclosure_result out;
	ck_assert(disclosure_protect(&raw, &o, &out));
	ck_assert(out.tables[0].cells[0].suppressed);
	ck_assert(!out.tables[0].cells[1].suppressed);
	ck_assert_double_eq_tol(out.tables[0].cells[1].value, 2.0, 1e-9);
	ck_assert(!out.tables[0].cells[1].has_numerator);
	ck_assert_uint_eq(out.suppressed_primary, 1);
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
	tcase_add_test(tc, test_cell_key_determinism);
	tcase_add_test(tc, test_apportion);
	tcase_add_test(tc, test_dp_consistent);
	tcase_add_test(tc, test_dp_quantile_primary);
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
