/*
 * disclosure_dp.c — the optional "dp" mode of SPEC §5.
 *
 * Every published count (numerators, and denominators that are counts) gets
 * two-sided geometric noise (the discrete Laplace distribution,
 * P(Z = z) proportional to exp(-eps_count * |z|)), sampled exactly with the
 * algorithms of Canonne, Kamath and Steinke, "The Discrete Gaussian for
 * Differential Privacy" (NeurIPS 2020), Algorithms 1 and 2: integer and
 * rational arithmetic only, no floating-point sampling.
 *
 * The random bits come from HMAC-SHA-256 under the secret key over the cell
 * identity (metric, period type, dim, period index, group, field) and the
 * true count: the cell key method. The same cell with the same count always
 * gets the same noise, so polling, or a cell unchanged across refreshes,
 * cannot average the noise away (SPEC §5).
 *
 * Budget: the configured epsilon is split evenly over the noised tables, and
 * within a table over its counts per cell (two for rates and percentages,
 * one otherwise): eps_count = epsilon / tables / counts. For metrics that
 * add up over time (days, events), only the months are noised; quarters,
 * years and fiscal years are their sums, so they are consistent with them
 * and cost no budget. Post-processing then makes every breakdown add up to
 * its total (largest remainders; a percentage's numerator never above its
 * denominator). See docs/privacy.md for what that does and does not
 * guarantee. Quantile cells are not noised; they keep the primary
 * suppression rule.
 */
#include <stdlib.h>
#include <string.h>

#include "casa/disclosure.h"
#include "casa/sha256.h"
#include "disclosure_internal.h"

/* ---- keyed bit stream ---- */

void disclosure_prf_init(struct disclosure_prf *prf, const uint8_t key[DISCLOSURE_KEY_LEN],
                         const uint8_t *seed, size_t seed_len)
{
	memset(prf, 0, sizeof(*prf));
	memcpy(prf->key, key, DISCLOSURE_KEY_LEN);
	if (seed_len > sizeof(prf->seed) - 4)
		seed_len = sizeof(prf->seed) - 4;
	memcpy(prf->seed, seed, seed_len);
	prf->seed_len = seed_len;
}

static unsigned prf_bit(struct disclosure_prf *prf)
{
	if (prf->bits_left == 0) {
		uint8_t msg[sizeof(prf->seed)];
		memcpy(msg, prf->seed, prf->seed_len);
		for (int i = 0; i < 4; i++)
			msg[prf->seed_len + (size_t)i] = (uint8_t)(prf->counter >> (8 * i));
		hmac_sha256(prf->key, DISCLOSURE_KEY_LEN, msg, prf->seed_len + 4, prf->block);
		prf->counter++;
		prf->bits_left = 8 * DISCLOSURE_SHA256_LEN;
	}
	prf->bits_left--;
	unsigned pos = 8 * DISCLOSURE_SHA256_LEN - 1 - prf->bits_left;
	return (prf->block[pos / 8] >> (pos % 8)) & 1u;
}

/* Uniform on {0, ..., n - 1}, n >= 1, by rejection (exact). */
static uint64_t prf_uniform(struct disclosure_prf *prf, uint64_t n)
{
	if (n <= 1)
		return 0;
	unsigned bits = 0;
	while (bits < 64 && ((n - 1) >> bits) != 0)
		bits++;
	for (;;) {
		uint64_t x = 0;
		for (unsigned i = 0; i < bits; i++)
			x = (x << 1) | prf_bit(prf);
		if (x < n)
			return x;
	}
}

/* Bernoulli(num / den), 0 <= num <= den, den >= 1. */
static bool bernoulli_rational(struct disclosure_prf *prf, uint64_t num, uint64_t den)
{
	return prf_uniform(prf, den) < num;
}

/* Bernoulli(exp(-num / den)), num >= 0, den >= 1 (CKS Algorithm 1). */
static bool bernoulli_exp(struct disclosure_prf *prf, uint64_t num, uint64_t den)
{
	while (num > den) {
		/* exp(-g) = exp(-1)^floor(g) * exp(-(g - floor(g))) */
		if (!bernoulli_exp(prf, 1, 1))
			return false;
		num -= den;
	}
	uint64_t k = 1;
	/* num / (den * k) <= 1; den * k stays far below 2^64 since k is a
	 * Poisson-like count that is almost never above 20. */
	while (k < UINT64_MAX / den && bernoulli_rational(prf, num, den * k))
		k++;
	return k % 2 == 1;
}

int64_t disclosure_dp_discrete_laplace(struct disclosure_prf *prf, uint64_t eps_num,
                                       uint64_t eps_den)
{
	/* CKS Algorithm 2 with s = eps_num, t = eps_den: scale t / s. */
	uint64_t s = eps_num ? eps_num : 1, t = eps_den ? eps_den : 1;
	for (;;) {
		uint64_t u = prf_uniform(prf, t);
		if (!bernoulli_exp(prf, u, t))
			continue;
		uint64_t v = 0;
		while (bernoulli_exp(prf, 1, 1))
			v++;
		uint64_t x = u + t * v;
		int64_t y = (int64_t)(x / s);
		bool negative = prf_bit(prf);
		if (negative && y == 0)
			continue;
		return negative ? -y : y;
	}
}

/* ---- dp tables ---- */

static size_t put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return 4;
}

/* Noisy version of one true count of a cell, clamped at zero. */
static int64_t noisy_count(const struct disclosure_options *options, const struct metrics_table *t,
                           uint32_t p, uint32_t g, int field, int64_t count, uint64_t eps_num,
                           uint64_t eps_den)
{
	uint8_t seed[32];
	size_t n = 0;
	seed[n++] = (uint8_t)t->metric;
	seed[n++] = (uint8_t)t->period_type;
	seed[n++] = (uint8_t)t->dim;
	seed[n++] = (uint8_t)field;
	n += put_u32(seed + n, (uint32_t)(t->first_period + (int32_t)p));
	n += put_u32(seed + n, g);
	n += put_u32(seed + n, (uint32_t)((uint64_t)count & 0xffffffffu));
	n += put_u32(seed + n, (uint32_t)((uint64_t)count >> 32));
	struct disclosure_prf prf;
	disclosure_prf_init(&prf, options->key, seed, n);
	int64_t noisy = count + disclosure_dp_discrete_laplace(&prf, eps_num, eps_den);
	return noisy < 0 ? 0 : noisy;
}

/* Where a table's counts come from in dp mode. */
enum dp_source {
	DP_NOISED,  /* noised here, from its own true counts */
	DP_SUMMED,  /* sums of the noised months of the same metric and dim */
	DP_SKIPPED, /* quantiles: primary suppression only */
};

/* A time-additive metric (days, events) whose months are published: its
 * longer periods are sums of months, so only the months are noised. */
static long month_source(const struct metrics_result *raw, const struct metrics_table *t)
{
	const struct metric_def *def = &metrics_catalog[t->metric];
	if (def->time_additive != (METRIC_COUNT_NUMERATOR | METRIC_COUNT_DENOMINATOR) ||
	    def->kind == METRIC_KIND_QUANTILE ||
	    t->period_type == PERIOD_MONTH)
		return -1;
	const struct metrics_table *m = metrics_table_find(raw, t->metric, PERIOD_MONTH, t->dim);
	if (m == NULL || m->group_count != t->group_count)
		return -1;
	return m - raw->tables;
}

static enum dp_source table_source(const struct metrics_result *raw, const struct metrics_table *t)
{
	if (metrics_catalog[t->metric].kind == METRIC_KIND_QUANTILE)
		return DP_SKIPPED;
	return month_source(raw, t) >= 0 ? DP_SUMMED : DP_NOISED;
}

static int64_t *field_of(struct disclosure_cell *c, int field)
{
	return field == 0 ? &c->numerator : &c->denominator;
}

/* Scratch for apportion(), n entries each. */
struct apportion_scratch {
	int64_t *share; /* weight of each index */
	int64_t *rem;   /* share * left mod weight: the fractional part, scaled */
	bool *fixed;    /* at its cap (or capped at 0) */
	bool *bumped;   /* got one of the remainder units */
};

/* floor(a * b / c) and (a * b) mod c for a, b >= 0, c > 0; the remainder is
 * 0 when a * b does not fit in 64 bits (then long double gives the quotient,
 * far beyond any count this daemon sees). */
static int64_t muldiv(int64_t a, int64_t b, int64_t c, int64_t *rem)
{
	if (a == 0 || b <= INT64_MAX / a) {
		*rem = a * b % c;
		return a * b / c;
	}
	*rem = 0;
	return (int64_t)((long double)a * (long double)b / (long double)c);
}

/*
 * Post-processing: x[0..n) (noisy, >= 0) rounded to integers that add up to
 * `target`, in proportion to x (equal shares when x is all zero), never above
 * cap[i] when cap is given (the caps must add up to target or more); largest
 * remainders first, ties to the lower index. Integer arithmetic: exact, and
 * the same on every machine.
 */
static void apportion(int64_t *x, const int64_t *cap, size_t n, int64_t target,
                      const struct apportion_scratch *s)
{
	for (size_t i = 0; i < n; i++) {
		s->share[i] = x[i];
		s->fixed[i] = cap != NULL && cap[i] <= 0;
		if (s->fixed[i])
			x[i] = 0;
	}
	for (;;) {
		int64_t weight = 0, left = target, free_count = 0;
		for (size_t i = 0; i < n; i++) {
			if (s->fixed[i]) {
				left -= x[i];
			} else {
				weight += s->share[i];
				free_count++;
			}
		}
		if (free_count == 0 || left < 0)
			return; /* cannot happen when the caps add up to target */
		bool equal = weight == 0;
		int64_t given = 0;
		for (size_t i = 0; i < n; i++) {
			s->bumped[i] = false;
			if (s->fixed[i])
				continue;
			x[i] = muldiv(equal ? 1 : s->share[i], left, equal ? free_count : weight,
			              &s->rem[i]);
			given += x[i];
		}
		/* fewer units left over than free indices: one each, to the
		 * largest remainders */
		for (int64_t r = left - given; r > 0; r--) {
			long best = -1;
			for (size_t i = 0; i < n; i++)
				if (!s->fixed[i] && !s->bumped[i] &&
				    (best < 0 || s->rem[i] > s->rem[best]))
					best = (long)i;
			if (best < 0)
				break;
			x[best]++;
			s->bumped[best] = true;
		}
		bool capped = false;
		for (size_t i = 0; cap != NULL && i < n; i++)
			if (!s->fixed[i] && x[i] > cap[i]) {
				x[i] = cap[i];
				s->fixed[i] = true;
				capped = true;
			}
		if (!capped)
			return;
	}
}

bool disclosure_dp_apportion(int64_t *x, const int64_t *cap, size_t n, int64_t target)
{
	struct apportion_scratch s = {
	    .share = malloc((n ? n : 1) * sizeof(int64_t)),
	    .rem = malloc((n ? n : 1) * sizeof(int64_t)),
	    .fixed = malloc((n ? n : 1) * sizeof(bool)),
	    .bumped = malloc((n ? n : 1) * sizeof(bool)),
	};
	bool ok = s.share && s.rem && s.fixed && s.bumped;
	if (ok)
		apportion(x, cap, n, target, &s);
	free(s.share);
	free(s.rem);
	free(s.fixed);
	free(s.bumped);
	return ok;
}

/* Makes every breakdown of table group `total` (a DIM_TOTAL table) add up
 * to it, period by period: denominators first, then numerators capped by
 * the group's denominator for percentages. */
static bool make_groups_add_up(const struct metrics_result *raw, struct disclosure_result *out,
                               size_t total)
{
	const struct metrics_table *tt = &raw->tables[total];
	const struct metric_def *def = &metrics_catalog[tt->metric];
	bool ok = true;
	for (size_t i = 0; i < raw->table_count && ok; i++) {
		const struct metrics_table *t = &raw->tables[i];
		if (t->metric != tt->metric || t->period_type != tt->period_type ||
		    t->dim == DIM_TOTAL || t->first_period != tt->first_period ||
		    t->period_count != tt->period_count)
			continue;
		size_t n = t->group_count;
		int64_t *x = malloc(n * sizeof(int64_t)), *cap = malloc(n * sizeof(int64_t));
		struct apportion_scratch scratch = {
		    .share = malloc(n * sizeof(int64_t)),
		    .rem = malloc(n * sizeof(int64_t)),
		    .fixed = malloc(n * sizeof(bool)),
		    .bumped = malloc(n * sizeof(bool)),
		};
		ok = x && cap && scratch.share && scratch.rem && scratch.fixed && scratch.bumped;
		for (uint32_t p = 0; ok && p < t->period_count; p++) {
			struct disclosure_cell *row = &out->tables[i].cells[(size_t)p * n];
			struct disclosure_cell *sum = &out->tables[total].cells[p];
			for (int f = 1; f >= 0; f--) {
				if (f == 1 && !disclosure_kind_has_denominator(def->kind))
					continue;
				if (f == 0 && !disclosure_kind_has_numerator(def->kind))
					continue;
				for (size_t g = 0; g < n; g++) {
					x[g] = *field_of(&row[g], f);
					cap[g] = row[g].denominator;
				}
				bool capped = f == 0 && def->kind == METRIC_KIND_PERCENT;
				apportion(x, capped ? cap : NULL, n, *field_of(sum, f), &scratch);
				for (size_t g = 0; g < n; g++)
					*field_of(&row[g], f) = x[g];
			}
		}
		free(x);
		free(cap);
		free(scratch.share);
		free(scratch.rem);
		free(scratch.fixed);
		free(scratch.bumped);
	}
	return ok;
}

bool disclosure_dp_fill(const struct metrics_result *raw, const struct disclosure_options *options,
                        int min_cell, struct disclosure_result *out)
{
	/* epsilon to a rational eps_units / 10^6, once (configuration, not a
	 * random draw); at least one unit so the noise stays finite. */
	double eps = options->epsilon > 0 ? options->epsilon : 0;
	if (eps > 1e6)
		eps = 1e6; /* far beyond any meaningful budget; keeps eps * 10^6 in range */
	uint64_t eps_units = (uint64_t)(eps * DISCLOSURE_DP_EPS_UNITS + 0.5);
	if (eps_units == 0)
		eps_units = 1;
	/* The budget is split over the tables that are noised; the others are
	 * post-processing of those (sums of months) or not noised (quantiles). */
	uint64_t tables = 0;
	for (size_t i = 0; i < raw->table_count; i++)
		tables += table_source(raw, &raw->tables[i]) == DP_NOISED;
	if (tables == 0)
		tables = 1;

	/* 1. noise: months of time-additive metrics, every table of the others */
	for (size_t i = 0; i < raw->table_count; i++) {
		const struct metrics_table *t = &raw->tables[i];
		const struct metric_def *def = &metrics_catalog[t->metric];
		enum dp_source source = table_source(raw, t);
		bool has_num = disclosure_kind_has_numerator(def->kind);
		bool has_den = disclosure_kind_has_denominator(def->kind);
		uint64_t counts = (has_num && has_den) ? 2 : 1;
		/* eps_count = epsilon / tables / counts = eps_units / (10^6 * tables * counts) */
		uint64_t eps_den = (uint64_t)DISCLOSURE_DP_EPS_UNITS * tables * counts;
		for (size_t c = 0; c < (size_t)t->period_count * t->group_count; c++) {
			const struct metrics_cell *cell = &t->cells[c];
			struct disclosure_cell *dc = &out->tables[i].cells[c];
			uint32_t p = (uint32_t)(c / t->group_count),
			         g = (uint32_t)(c % t->group_count);
			memset(dc, 0, sizeof(*dc));
			if (source == DP_SKIPPED &&
			    disclosure_primary_suppressed(def->kind, cell, min_cell)) {
				dc->suppressed = true;
				out->suppressed_primary++;
				continue;
			}
			dc->has_numerator = has_num;
			dc->has_denominator = has_den;
			if (source == DP_SUMMED)
				continue; /* step 3 */
			if (has_num)
				dc->numerator = noisy_count(options, t, p, g, 0, cell->numerator,
				                            eps_units, eps_den);
			if (has_den)
				dc->denominator = noisy_count(
				    options, t, p, g, 1, cell->denominator, eps_units, eps_den);
			/* Post-processing: a percentage's numerator cannot exceed its
			 * denominator. */
			if (def->kind == METRIC_KIND_PERCENT && dc->numerator > dc->denominator)
				dc->numerator = dc->denominator;
		}
	}
	/* 2. post-processing: every breakdown adds up to its total */
	for (size_t i = 0; i < raw->table_count; i++)
		if (raw->tables[i].dim == DIM_TOTAL &&
		    table_source(raw, &raw->tables[i]) == DP_NOISED &&
		    !make_groups_add_up(raw, out, i))
			return false;
	/* 3. post-processing: quarters, years and fiscal years of time-additive
	 * metrics are the sums of their noisy months */
	for (size_t i = 0; i < raw->table_count; i++) {
		const struct metrics_table *t = &raw->tables[i];
		long m = month_source(raw, t);
		if (m < 0)
			continue;
		const struct metrics_table *mt = &raw->tables[m];
		int fy = raw->fy_start_month;
		for (uint32_t p = 0; p < t->period_count; p++) {
			int32_t d0 =
			    period_first_day(t->period_type, fy, t->first_period + (int32_t)p);
			int32_t d1 =
			    period_last_day(t->period_type, fy, t->first_period + (int32_t)p);
			int32_t m0 = period_index_of(PERIOD_MONTH, fy, d0) - mt->first_period;
			int32_t m1 = period_index_of(PERIOD_MONTH, fy, d1) - mt->first_period;
			for (uint32_t g = 0; g < t->group_count; g++) {
				struct disclosure_cell *dc =
				    &out->tables[i].cells[(size_t)p * t->group_count + g];
				for (int32_t k = m0 < 0 ? 0 : m0;
				     k <= m1 && k < (int32_t)mt->period_count; k++) {
					const struct disclosure_cell *mc =
					    &out->tables[m].cells[(size_t)k * t->group_count + g];
					dc->numerator += mc->numerator;
					dc->denominator += mc->denominator;
				}
			}
		}
	}
	/* values from the published counts */
	for (size_t i = 0; i < raw->table_count; i++) {
		const struct metrics_table *t = &raw->tables[i];
		for (size_t c = 0; c < (size_t)t->period_count * t->group_count; c++)
			if (!out->tables[i].cells[c].suppressed)
				disclosure_set_value(&metrics_catalog[t->metric],
				                     t->cells[c].quantile_2s,
				                     &out->tables[i].cells[c]);
	}
	return true;
}
