/*
 * disclosure_dp.c — the optional "dp" mode of SPEC §5. docs/privacy.md
 * ("The dp mode") gives the reasons and the measured accuracy; this comment
 * says how it is done.
 *
 * Noise: two-sided geometric (discrete Laplace) noise, P(Z = z) proportional
 * to exp(-eps * |z|), sampled exactly with Canonne, Kamath and Steinke, "The
 * Discrete Gaussian for Differential Privacy" (NeurIPS 2020), Algorithms 1
 * and 2: integer and rational arithmetic only. The random bits are
 * HMAC-SHA-256 under the secret key over the count's identity and its true
 * count (the cell key method): the same count always gets the same noise, so
 * polling, or a frozen cell served again, cannot average it away.
 *
 * Families: a family is one count, noised once, that one or more metrics
 * publish: the runaway episodes (the runaway rate's numerator, the reporting
 * percentages' denominators and returned_within_7_days_pct's denominator in
 * periods closed 7 days), days in care (both day-based rates), episodes
 * screened (screened_after_return_pct's numerator, screened_positive_pct's
 * denominator). Every other (metric, count) is a family of its own. Quantiles
 * (days missing) are withheld: every published row is suppressed.
 *
 * Series: a family's count at one period type and breakdown, noised in every
 * published row. One event (a missing episode, a day in care, a child in a
 * period) falls in one cell of a series, so a series costs its epsilon once;
 * the budget is the sum over the series of the publication plan, split by
 * fixed weights (plan_budget) and counted exactly in rationals.
 *
 * Levels of a count that adds up over time: quarter totals are noised
 * directly and anchor the months (noised too, then fitted to add up to their
 * quarter); years (and fiscal years that start on a quarter) are sums of
 * quarters. A breakdown is noised at the finest period type the plan
 * publishes it for (quarters by default) and longer periods are its sums.
 * Counts that do not add up over time (children, entry cohorts) are noised
 * at every published level.
 *
 * Post-processing: nothing is clamped before it is summed. A noised total
 * is clamped to [0, its denominator]; the groups of a breakdown (and the
 * months of a quarter) are fitted to their total: the nearest non-negative
 * vector (Euclidean projection) with that sum, rounded to integers with the
 * sum kept, in integer arithmetic (disclosure_dp_fit).
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

/* ---- fitting to a total ---- */

/* sum over i of clamp(x[i] - theta, 0, cap[i]) (no upper bound without cap) */
static int64_t fitted_sum(const int64_t *x, const int64_t *cap, size_t n, int64_t theta)
{
	int64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t v = x[i] - theta;
		if (v < 0)
			v = 0;
		if (cap != NULL && v > cap[i])
			v = cap[i];
		sum += v;
	}
	return sum;
}

bool disclosure_dp_fit(int64_t *x, const int64_t *cap, size_t n, int64_t target)
{
	if (n == 0)
		return true;
	int64_t room = 0, top = x[0], bottom = x[0];
	for (size_t i = 0; i < n; i++) {
		if (x[i] > top)
			top = x[i];
		if (cap != NULL && x[i] - cap[i] < bottom)
			bottom = x[i] - cap[i];
		room += cap != NULL ? (cap[i] > 0 ? cap[i] : 0) : 0;
	}
	if (target <= 0 || (cap != NULL && target >= room)) {
		/* all zero, or every index at its cap (the caps leave no choice) */
		for (size_t i = 0; i < n; i++)
			x[i] = target <= 0 || cap[i] < 0 ? 0 : cap[i];
		return true;
	}
	/* The projection is clamp(x - theta, 0, cap) for the real theta where
	 * the sum is target; the sum falls as theta grows. lo: sum >= target
	 * (every index at its cap, or the top one alone gives target); hi: sum
	 * 0 < target. Binary search for the largest integer lo. */
	int64_t lo = cap != NULL ? bottom : top - target, hi = top;
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (fitted_sum(x, cap, n, mid) >= target)
			lo = mid;
		else
			hi = mid;
	}
	/* On (lo, lo + 1) the sum is linear with slope -(active indices):
	 * those strictly between 0 and their cap. Each active index takes
	 * x - lo - 1 plus the same fraction; the units that fraction adds up to
	 * go one each to the largest x (then the lower index), so the rounding
	 * keeps the sum and moves no index by a whole unit. */
	bool *active = calloc(n, sizeof(bool));
	int64_t *fitted = malloc(n * sizeof(int64_t));
	if (active == NULL || fitted == NULL) {
		free(active);
		free(fitted);
		return false;
	}
	int64_t units = target;
	for (size_t i = 0; i < n; i++) {
		active[i] = x[i] >= lo + 1 && (cap == NULL || x[i] - cap[i] <= lo);
		fitted[i] = x[i] - lo - 1;
		if (fitted[i] < 0)
			fitted[i] = 0;
		if (cap != NULL && fitted[i] > cap[i])
			fitted[i] = cap[i];
		units -= fitted[i];
	}
	for (; units > 0; units--) {
		size_t best = n;
		for (size_t i = 0; i < n; i++)
			if (active[i] && (best == n || x[i] > x[best]))
				best = i;
		if (best == n)
			break; /* cannot happen: units <= active indices */
		active[best] = false;
		fitted[best]++;
	}
	memcpy(x, fitted, n * sizeof(int64_t));
	free(active);
	free(fitted);
	return true;
}

/* ---- families, levels, budget ---- */

#define DP_NONE INT64_MIN /* a count not decided (not published) */

/* Counts that two metrics publish: (metric, field) publishes the count of
 * (source, source_field), noised once there. Equal by definition
 * (docs/metrics.md); the suppress mode links the same pairs. */
static const struct {
	enum metric_id metric; /* publishes ... */
	int field;             /* ... this count (DISCLOSURE_FIELD_*) */
	enum metric_id source; /* the family's own metric */
	int source_field;      /* and count */
} shared_counts[] = {
    {METRIC_REPORTED_LE_24H_PCT, DISCLOSURE_FIELD_DENOMINATOR,
     METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, DISCLOSURE_FIELD_NUMERATOR},
    {METRIC_REPORTED_NCMEC_24H_PCT, DISCLOSURE_FIELD_DENOMINATOR,
     METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, DISCLOSURE_FIELD_NUMERATOR},
    /* equal in periods closed 7 days before as_of; the others are withheld */
    {METRIC_RETURNED_WITHIN_7_DAYS_PCT, DISCLOSURE_FIELD_DENOMINATOR,
     METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, DISCLOSURE_FIELD_NUMERATOR},
    {METRIC_MOVES_PER_1000_DAYS_IN_CARE, DISCLOSURE_FIELD_DENOMINATOR,
     METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, DISCLOSURE_FIELD_DENOMINATOR},
    {METRIC_SCREENED_POSITIVE_PCT, DISCLOSURE_FIELD_DENOMINATOR, METRIC_SCREENED_AFTER_RETURN_PCT,
     DISCLOSURE_FIELD_NUMERATOR},
};

/* Relative weights of the period types (month, quarter, year, fiscal year)
 * within a family's totals and within its breakdowns: quarters are what the
 * dashboard compares and they anchor the months, so they get the most. */
static const uint64_t period_weight[PERIOD_TYPE_COUNT] = {1, 3, 2, 2};
/* The totals' share of a family's epsilon when it also publishes breakdowns
 * (the rest goes to the breakdowns). */
#define DP_TOTALS_SHARE_NUM 2
#define DP_TOTALS_SHARE_DEN 3

enum dp_role {
	DP_ABSENT,   /* not published: nothing decided */
	DP_MEASURED, /* noised here (a series of the budget) */
	DP_DERIVED,  /* sums of another level of the same breakdown */
};

/* One family at one period type and breakdown. */
struct dp_level {
	const struct metrics_table *raw; /* true counts (the source metric's table
	                                    when it has one), NULL if none */
	bool published;                  /* some member publishes the table */
	int32_t last;                    /* last period some member publishes */
	enum dp_role role;               /* see above */
	int parent;                      /* DP_MEASURED: fitted to the totals of this
	                                    period type (-1: clamped alone) */
	enum period_type from;           /* DP_DERIVED: sums of this period type */
	uint64_t eps_num, eps_den;       /* DP_MEASURED: epsilon of each count */
	int64_t *value;                  /* published counts in raw's layout, DP_NONE
	                                    where not decided; owned */
};

struct dp_family {
	enum metric_id metric;                               /* source of the count */
	int field;                                           /* DISCLOSURE_FIELD_* */
	bool additive;                                       /* adds up over time */
	unsigned units;                                      /* published (metric, field)
	                                                        that publish it */
	int cap;                                             /* family bounding it (a
	                                                        percentage's denominator), -1 */
	bool done;                                           /* values decided */
	struct dp_level level[PERIOD_TYPE_COUNT][DIM_COUNT]; /* by period type, dim */
};

struct dp_state {
	const struct release_view *view;           /* the release */
	const uint8_t *key;                        /* secret key (options) */
	int fy;                                    /* fiscal year start month */
	uint64_t eps_units;                        /* epsilon * 10^6 */
	struct dp_family family[METRIC_COUNT * 2]; /* families in use */
	size_t family_count;                       /* entries used */
	int of[METRIC_COUNT][2];                   /* family of (metric, field), -1 */
	uint8_t (*county_id)[8];                   /* SHA-256 prefix of each county
	                                              name: stable when counties are
	                                              added; owned */
};

static bool kind_has_field(enum metric_kind kind, int field)
{
	return field == DISCLOSURE_FIELD_NUMERATOR ? disclosure_kind_has_numerator(kind)
	                                           : disclosure_kind_has_denominator(kind);
}

static int family_index(struct dp_state *s, enum metric_id metric, int field)
{
	enum metric_id source = metric;
	int source_field = field;
	for (size_t i = 0; i < CASA_ARRAY_LEN(shared_counts); i++)
		if (shared_counts[i].metric == metric && shared_counts[i].field == field) {
			source = shared_counts[i].source;
			source_field = shared_counts[i].source_field;
		}
	for (size_t f = 0; f < s->family_count; f++)
		if (s->family[f].metric == source && s->family[f].field == source_field)
			return (int)f;
	struct dp_family *f = &s->family[s->family_count];
	memset(f, 0, sizeof(*f));
	f->metric = source;
	f->field = source_field;
	f->additive = (metrics_catalog[source].time_additive >> source_field) & 1u;
	f->cap = -1;
	for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
		for (int d = 0; d < DIM_COUNT; d++) {
			f->level[p][d].last = INT32_MIN;
			f->level[p][d].parent = -1;
		}
	return (int)s->family_count++;
}

/* Families and what each member table publishes. */
static void collect_families(struct dp_state *s)
{
	const struct metrics_result *raw = &s->view->raw;
	bool published[METRIC_COUNT] = {false};
	for (int m = 0; m < METRIC_COUNT; m++)
		s->of[m][0] = s->of[m][1] = -1;
	for (size_t i = 0; i < raw->table_count; i++) {
		const struct metrics_table *t = &raw->tables[i];
		const struct release_table *rt = &s->view->tables[i];
		enum metric_kind kind = metrics_catalog[t->metric].kind;
		if (kind == METRIC_KIND_QUANTILE)
			continue; /* withheld */
		published[t->metric] |= rt->published;
		for (int field = 0; field < 2; field++) {
			if (!kind_has_field(kind, field))
				continue;
			if (s->of[t->metric][field] < 0)
				s->of[t->metric][field] = family_index(s, t->metric, field);
			struct dp_family *f = &s->family[s->of[t->metric][field]];
			struct dp_level *l = &f->level[t->period_type][t->dim];
			if (l->raw == NULL || t->metric == f->metric)
				l->raw = t;
			if (!rt->published || rt->published_rows == 0)
				continue;
			l->published = true;
			int32_t last = t->first_period + (int32_t)rt->published_rows - 1;
			if (last > l->last)
				l->last = last;
		}
	}
	for (int m = 0; m < METRIC_COUNT; m++)
		for (int field = 0; field < 2; field++)
			if (published[m] && s->of[m][field] >= 0)
				s->family[s->of[m][field]].units++;
	/* a percentage's numerator never exceeds its denominator */
	for (int m = 0; m < METRIC_COUNT; m++)
		if (metrics_catalog[m].kind == METRIC_KIND_PERCENT && s->of[m][0] >= 0 &&
		    s->of[m][1] >= 0 && s->family[s->of[m][0]].cap < 0)
			s->family[s->of[m][0]].cap = s->of[m][1];
}

/* True when fiscal years are made of whole quarters (they start in January,
 * April, July or October). */
static bool fiscal_year_on_quarters(int fy)
{
	return (fy - 1) % 3 == 0;
}

static void measure(struct dp_level *l, int parent)
{
	l->role = DP_MEASURED;
	l->parent = parent;
}

static void derive(struct dp_level *l, enum period_type from)
{
	l->role = DP_DERIVED;
	l->from = from;
}

/* Which levels of a family are noised and which are sums (see the top of
 * the file). Only published levels take part. */
static void plan_levels(struct dp_family *f, int fy)
{
	for (int d = 0; d < DIM_COUNT; d++) {
		struct dp_level *l[PERIOD_TYPE_COUNT];
		bool pub[PERIOD_TYPE_COUNT];
		for (int p = 0; p < PERIOD_TYPE_COUNT; p++) {
			l[p] = &f->level[p][d];
			pub[p] = l[p]->published && l[p]->raw != NULL;
		}
		/* noised at each published period type: a total alone, a
		 * breakdown fitted to the total of the same period type */
		bool each = !f->additive || (!pub[PERIOD_MONTH] && !pub[PERIOD_QUARTER]);
		if (each) {
			for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
				if (pub[p])
					measure(l[p], d == DIM_TOTAL ? -1 : p);
			continue;
		}
		if (d == DIM_TOTAL && pub[PERIOD_QUARTER]) {
			measure(l[PERIOD_QUARTER], -1);
			if (pub[PERIOD_MONTH])
				measure(l[PERIOD_MONTH], PERIOD_QUARTER);
			if (pub[PERIOD_YEAR])
				derive(l[PERIOD_YEAR], PERIOD_QUARTER);
			if (pub[PERIOD_FISCAL_YEAR]) {
				if (fiscal_year_on_quarters(fy))
					derive(l[PERIOD_FISCAL_YEAR], PERIOD_QUARTER);
				else if (pub[PERIOD_MONTH])
					derive(l[PERIOD_FISCAL_YEAR], PERIOD_MONTH);
				else
					measure(l[PERIOD_FISCAL_YEAR], -1);
			}
		} else if (d == DIM_TOTAL && pub[PERIOD_MONTH]) {
			/* the longest published period anchors the months */
			int anchor = pub[PERIOD_YEAR]          ? PERIOD_YEAR
			             : pub[PERIOD_FISCAL_YEAR] ? PERIOD_FISCAL_YEAR
			                                       : -1;
			if (anchor >= 0)
				measure(l[anchor], -1);
			measure(l[PERIOD_MONTH], anchor);
			for (int p = PERIOD_YEAR; p <= PERIOD_FISCAL_YEAR; p++)
				if (pub[p] && p != anchor)
					derive(l[p], PERIOD_MONTH);
		} else {
			/* a breakdown at its finest published period type */
			enum period_type base = pub[PERIOD_MONTH] ? PERIOD_MONTH : PERIOD_QUARTER;
			measure(l[base], base);
			for (int p = base + 1; p < PERIOD_TYPE_COUNT; p++) {
				if (!pub[p])
					continue;
				if (p == PERIOD_FISCAL_YEAR && base == PERIOD_QUARTER &&
				    !fiscal_year_on_quarters(fy))
					measure(l[p], p);
				else
					derive(l[p], base);
			}
		}
	}
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b != 0) {
		uint64_t r = a % b;
		a = b;
		b = r;
	}
	return a;
}

/*
 * The budget: epsilon is split over the families in proportion to the
 * published (metric, count) pairs each serves (a count three metrics
 * publish gets three shares, spent once); a family's share goes 2/3 to its
 * totals and 1/3 to its breakdowns (all of it to the totals when it has no
 * breakdown); within each part, over the noised levels by period_weight.
 * eps of a level = epsilon * units / U * part * weight / part's weights,
 * kept as a reduced fraction, so the levels add up to epsilon exactly.
 */
static void plan_budget(struct dp_state *s)
{
	uint64_t all_units = 0;
	for (size_t f = 0; f < s->family_count; f++)
		all_units += s->family[f].units;
	for (size_t fi = 0; fi < s->family_count; fi++) {
		struct dp_family *f = &s->family[fi];
		plan_levels(f, s->fy);
		uint64_t weight[2] = {0, 0}; /* totals, breakdowns */
		for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
			for (int d = 0; d < DIM_COUNT; d++)
				if (f->level[p][d].role == DP_MEASURED)
					weight[d != DIM_TOTAL] += period_weight[p];
		uint64_t share_num[2] = {DP_TOTALS_SHARE_NUM,
		                         DP_TOTALS_SHARE_DEN - DP_TOTALS_SHARE_NUM};
		uint64_t share_den = DP_TOTALS_SHARE_DEN;
		if (weight[0] == 0 || weight[1] == 0) {
			share_num[0] = share_num[1] = 1;
			share_den = 1;
		}
		for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
			for (int d = 0; d < DIM_COUNT; d++) {
				struct dp_level *l = &f->level[p][d];
				if (l->role != DP_MEASURED)
					continue;
				int part = d != DIM_TOTAL;
				uint64_t num =
				    s->eps_units * f->units * share_num[part] * period_weight[p];
				uint64_t den = (uint64_t)DISCLOSURE_DP_EPS_UNITS * all_units *
				               share_den * weight[part];
				uint64_t g = gcd(num, den);
				l->eps_num = num / g;
				l->eps_den = den / g;
			}
	}
}

static bool plan(struct dp_state *s, const struct release_view *view, double epsilon)
{
	memset(s, 0, sizeof(*s));
	s->view = view;
	s->fy = view->raw.fy_start_month;
	/* epsilon to a rational eps_units / 10^6, once (configuration, not a
	 * random draw); at least one unit so the noise stays finite */
	double eps = epsilon > 0 ? epsilon : 0;
	if (eps > 1e6)
		eps = 1e6; /* far beyond any meaningful budget; keeps the products in range */
	s->eps_units = (uint64_t)(eps * DISCLOSURE_DP_EPS_UNITS + 0.5);
	if (s->eps_units == 0)
		s->eps_units = 1;
	collect_families(s);
	plan_budget(s);
	size_t counties = view->raw.county_count;
	s->county_id = calloc(counties ? counties : 1, sizeof(*s->county_id));
	if (s->county_id == NULL)
		return false;
	for (size_t c = 0; c < counties; c++) {
		uint8_t digest[SHA256_DIGEST_LEN];
		struct sha256 h;
		sha256_init(&h);
		sha256_update(&h, (const uint8_t *)view->raw.counties[c],
		              strlen(view->raw.counties[c]));
		sha256_final(&h, digest);
		memcpy(s->county_id[c], digest, sizeof(s->county_id[c]));
	}
	return true;
}

static void plan_free(struct dp_state *s)
{
	for (size_t f = 0; f < s->family_count; f++)
		for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
			for (int d = 0; d < DIM_COUNT; d++)
				free(s->family[f].level[p][d].value);
	free(s->county_id);
	memset(s, 0, sizeof(*s));
}

bool disclosure_dp_budget(const struct release_view *view, double epsilon,
                          struct disclosure_dp_series **out, size_t *count)
{
	struct dp_state s;
	*out = NULL;
	*count = 0;
	if (!plan(&s, view, epsilon))
		goto fail;
	*out = calloc(s.family_count * PERIOD_TYPE_COUNT * DIM_COUNT + 1, sizeof(**out));
	if (*out == NULL)
		goto fail;
	for (size_t f = 0; f < s.family_count; f++)
		for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
			for (int d = 0; d < DIM_COUNT; d++) {
				const struct dp_level *l = &s.family[f].level[p][d];
				if (l->role != DP_MEASURED)
					continue;
				(*out)[(*count)++] = (struct disclosure_dp_series){
				    .metric = s.family[f].metric,
				    .field = s.family[f].field,
				    .period_type = (enum period_type)p,
				    .dim = (enum dim)d,
				    .eps_num = l->eps_num,
				    .eps_den = l->eps_den,
				};
			}
	plan_free(&s);
	return true;
fail:
	plan_free(&s);
	return false;
}

/* ---- deciding the published counts ---- */

/* Counts never reach this: "no cap" in a fit. */
#define DP_NO_CAP ((int64_t)1 << 50)

static size_t put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return 4;
}

/* The true count plus its noise (not clamped: sums and fits come first).
 * The identity of a count: family, period type, breakdown, period, group
 * (a county by its name, so adding a county changes no other noise). */
static int64_t noisy(const struct dp_state *s, const struct dp_family *f, int p, int d,
                     int32_t period, uint32_t g, int64_t count)
{
	const struct dp_level *l = &f->level[p][d];
	uint8_t seed[32];
	size_t n = 0;
	seed[n++] = (uint8_t)f->metric;
	seed[n++] = (uint8_t)f->field;
	seed[n++] = (uint8_t)p;
	seed[n++] = (uint8_t)d;
	n += put_u32(seed + n, (uint32_t)period);
	if (d == DIM_COUNTY) {
		memcpy(seed + n, s->county_id[g], 8);
		n += 8;
	} else {
		n += put_u32(seed + n, g);
		n += put_u32(seed + n, 0);
	}
	n += put_u32(seed + n, (uint32_t)((uint64_t)count & 0xffffffffu));
	n += put_u32(seed + n, (uint32_t)((uint64_t)count >> 32));
	struct disclosure_prf prf;
	disclosure_prf_init(&prf, s->key, seed, n);
	return count + disclosure_dp_discrete_laplace(&prf, l->eps_num, l->eps_den);
}

/* Row of period in a level's table, or -1 outside it. */
static long row_of(const struct dp_level *l, int32_t period)
{
	if (l->raw == NULL || period < l->raw->first_period ||
	    period >= l->raw->first_period + (int32_t)l->raw->period_count)
		return -1;
	return (long)(period - l->raw->first_period);
}

/* The decided count of (period, group), DP_NONE when there is none. */
static int64_t value_at(const struct dp_level *l, int32_t period, uint32_t g)
{
	long row = row_of(l, period);
	if (row < 0 || l->value == NULL || g >= l->raw->group_count)
		return DP_NONE;
	return l->value[(size_t)row * l->raw->group_count + g];
}

/* The upper bound of a count: its percentage's denominator, DP_NO_CAP. */
static int64_t cap_at(const struct dp_state *s, const struct dp_family *f, int p, int d,
                      int32_t period, uint32_t g)
{
	if (f->cap < 0)
		return DP_NO_CAP;
	int64_t v = value_at(&s->family[f->cap].level[p][d], period, g);
	return v == DP_NONE ? DP_NO_CAP : v;
}

static int64_t true_count(const struct dp_family *f, const struct dp_level *l, long row, uint32_t g)
{
	const struct metrics_cell *c = &l->raw->cells[(size_t)row * l->raw->group_count + g];
	return f->field == DISCLOSURE_FIELD_NUMERATOR ? c->numerator : c->denominator;
}

/* Periods of type inner inside period of type outer. */
static void periods_within(int fy, int outer, int32_t period, int inner, int32_t *first,
                           int32_t *last)
{
	*first = period_index_of((enum period_type)inner, fy,
	                         period_first_day((enum period_type)outer, fy, period));
	*last = period_index_of((enum period_type)inner, fy,
	                        period_last_day((enum period_type)outer, fy, period));
}

static int64_t clamp_count(int64_t v, int64_t cap)
{
	return v < 0 ? 0 : v > cap ? cap : v;
}

/* A noised level published as it is: each count clamped to [0, cap]. */
static void decide_alone(const struct dp_state *s, struct dp_family *f, int p, int d)
{
	struct dp_level *l = &f->level[p][d];
	for (int32_t period = l->raw->first_period; period <= l->last; period++) {
		long row = row_of(l, period);
		for (uint32_t g = 0; row >= 0 && g < l->raw->group_count; g++)
			l->value[(size_t)row * l->raw->group_count + g] =
			    clamp_count(noisy(s, f, p, d, period, g, true_count(f, l, row, g)),
			                cap_at(s, f, p, d, period, g));
	}
}

/* A noised level fitted to its parent totals: the groups of each period,
 * or the months of each anchor period, add up to the parent's count. */
static bool decide_fitted(const struct dp_state *s, struct dp_family *f, int p, int d)
{
	struct dp_level *l = &f->level[p][d];
	const struct dp_level *parent = &f->level[l->parent][DIM_TOTAL];
	const uint32_t groups = l->raw->group_count;
	/* at most 12 months in a year, and one period of the same type */
	size_t room = (size_t)12 * groups + 1;
	int64_t *x = malloc(room * sizeof(int64_t)), *cap = malloc(room * sizeof(int64_t));
	bool ok = x != NULL && cap != NULL;
	int32_t period = l->raw->first_period;
	while (ok && period <= l->last) {
		int32_t anchor =
		    period_index_of((enum period_type)l->parent, s->fy,
		                    period_first_day((enum period_type)p, s->fy, period));
		int32_t first, last;
		periods_within(s->fy, l->parent, anchor, p, &first, &last);
		if (first < period)
			first = period;
		if (last > l->last)
			last = l->last;
		size_t n = 0;
		for (int32_t c = first; c <= last; c++) {
			long row = row_of(l, c);
			for (uint32_t g = 0; row >= 0 && g < groups && n < room; g++) {
				x[n] = noisy(s, f, p, d, c, g, true_count(f, l, row, g));
				cap[n++] = cap_at(s, f, p, d, c, g);
			}
		}
		int64_t target = value_at(parent, anchor, 0);
		if (target == DP_NONE) {
			for (size_t i = 0; i < n; i++)
				x[i] = clamp_count(x[i], cap[i]);
		} else {
			ok = disclosure_dp_fit(x, f->cap >= 0 ? cap : NULL, n, target);
		}
		n = 0;
		for (int32_t c = first; ok && c <= last; c++) {
			long row = row_of(l, c);
			for (uint32_t g = 0; row >= 0 && g < groups && n < room; g++)
				l->value[(size_t)row * groups + g] = x[n++];
		}
		period = last + 1;
	}
	free(x);
	free(cap);
	return ok;
}

/* A level that is the sum of another of the same breakdown. A period that
 * needs an undecided one stays undecided (it is then withheld). */
static void decide_sum(const struct dp_state *s, struct dp_family *f, int p, int d)
{
	struct dp_level *l = &f->level[p][d];
	const struct dp_level *base = &f->level[l->from][d];
	for (int32_t period = l->raw->first_period; period <= l->last; period++) {
		long row = row_of(l, period);
		int32_t first, last;
		periods_within(s->fy, p, period, (int)l->from, &first, &last);
		for (uint32_t g = 0; row >= 0 && g < l->raw->group_count; g++) {
			int64_t sum = 0;
			for (int32_t c = first; c <= last && sum != DP_NONE; c++) {
				if (row_of(base, c) < 0)
					continue; /* before the data or after as_of: nothing */
				int64_t v = value_at(base, c, g);
				sum = v == DP_NONE ? DP_NONE : sum + v;
			}
			l->value[(size_t)row * l->raw->group_count + g] = sum;
		}
	}
}

/* Decides every published count of a family: totals before breakdowns (a
 * breakdown is fitted to its totals), within each the levels noised alone,
 * then those fitted to them, then the sums. */
static bool decide_family(const struct dp_state *s, struct dp_family *f)
{
	for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
		for (int d = 0; d < DIM_COUNT; d++) {
			struct dp_level *l = &f->level[p][d];
			if (l->role == DP_ABSENT)
				continue;
			size_t n = (size_t)l->raw->period_count * l->raw->group_count;
			l->value = malloc((n ? n : 1) * sizeof(int64_t));
			if (l->value == NULL)
				return false;
			for (size_t c = 0; c < n; c++)
				l->value[c] = DP_NONE;
		}
	for (int part = 0; part < 2; part++)
		for (int step = 0; step < 3; step++)
			for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
				for (int d = 0; d < DIM_COUNT; d++) {
					struct dp_level *l = &f->level[p][d];
					if ((d != DIM_TOTAL) != part)
						continue;
					if (step == 0 && l->role == DP_MEASURED && l->parent < 0)
						decide_alone(s, f, p, d);
					if (step == 1 && l->role == DP_MEASURED && l->parent >= 0 &&
					    !decide_fitted(s, f, p, d))
						return false;
					if (step == 2 && l->role == DP_DERIVED)
						decide_sum(s, f, p, d);
				}
	f->done = true;
	return true;
}

/* returned_within_7_days_pct counts episodes beginning up to as_of - 7: its
 * denominator is the runaway count only in periods closed by then. */
static bool withheld(const struct release_view *view, const struct metrics_table *t, int32_t period)
{
	if (metrics_catalog[t->metric].kind == METRIC_KIND_QUANTILE)
		return true;
	return t->metric == METRIC_RETURNED_WITHIN_7_DAYS_PCT &&
	       period_last_day(t->period_type, view->raw.fy_start_month, period) >
	           view->raw.as_of - 7;
}

/* Writes the published cells of view table i from the families. */
static void publish_table(const struct dp_state *s, size_t i, int min_cell, uint8_t *secret,
                          struct disclosure_result *out)
{
	const struct metrics_table *t = &s->view->raw.tables[i];
	const struct release_table *rt = &s->view->tables[i];
	const struct metric_def *def = &metrics_catalog[t->metric];
	struct disclosure_table *dt = &out->tables[i];
	for (uint32_t p = 0; p < rt->published_rows; p++) {
		int32_t period = t->first_period + (int32_t)p;
		for (uint32_t g = 0; g < t->group_count; g++) {
			size_t c = (size_t)p * t->group_count + g;
			const struct metrics_cell *raw = &t->cells[c];
			struct disclosure_cell *cell = &dt->cells[c];
			bool safe = raw->children >= min_cell &&
			            disclosure_primary_fields(def->kind, raw, min_cell) == 0;
			dt->counts.cells++;
			dt->counts.safe += safe;
			int64_t count[2] = {0, 0};
			bool hidden = withheld(s->view, t, period);
			for (int field = 0; field < 2 && !hidden; field++) {
				if (!kind_has_field(def->kind, field))
					continue;
				const struct dp_family *f = &s->family[s->of[t->metric][field]];
				count[field] =
				    value_at(&f->level[t->period_type][t->dim], period, g);
				hidden = count[field] == DP_NONE;
			}
			if (hidden) {
				cell->suppressed = true;
				secret[c] = disclosure_kind_fields(def->kind);
				dt->counts.primary++;
				out->suppressed_primary++;
				continue;
			}
			cell->has_numerator = disclosure_kind_has_numerator(def->kind);
			cell->has_denominator = disclosure_kind_has_denominator(def->kind);
			cell->numerator = count[DISCLOSURE_FIELD_NUMERATOR];
			cell->denominator = count[DISCLOSURE_FIELD_DENOMINATOR];
			disclosure_set_value(def, raw->quantile_2s, cell);
			dt->counts.safe_published += safe;
		}
	}
}

bool disclosure_dp_fill(const struct release_view *view, const struct disclosure_options *options,
                        int min_cell, struct disclosure_result *out)
{
	struct dp_state s;
	bool ok = plan(&s, view, options->epsilon);
	s.key = options->key;
	/* a percentage's numerator after its denominator (its cap) */
	for (size_t round = 0; ok && round < s.family_count; round++)
		for (size_t f = 0; ok && f < s.family_count; f++) {
			struct dp_family *family = &s.family[f];
			if (family->done || (family->cap >= 0 && !s.family[family->cap].done))
				continue;
			ok = decide_family(&s, family);
		}
	size_t offset = 0;
	for (size_t i = 0; ok && i < view->raw.table_count; i++) {
		publish_table(&s, i, min_cell, out->secret + offset, out);
		offset +=
		    (size_t)view->raw.tables[i].period_count * view->raw.tables[i].group_count;
	}
	plan_free(&s);
	return ok;
}
