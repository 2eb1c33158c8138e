/*
 * interval.c — exact confidence intervals for published cells (issue 14;
 * docs/methods.md says the same in plain words, with the citations).
 */
#include "casa/interval.h"

#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include <gsl/gsl_sf_gamma.h>

/* Brent on [0, 1] halves the bracket at worst every few steps; 300 steps
 * reach double precision from any start with a wide margin. */
#define ROOT_MAX_ITERATIONS 300
#define ROOT_RELATIVE_TOL   1e-13

void interval_init(void)
{
	gsl_set_error_handler_off();
}

bool interval_confidence_valid(double confidence)
{
	return isfinite(confidence) && confidence >= INTERVAL_CONFIDENCE_MIN &&
	       confidence <= INTERVAL_CONFIDENCE_MAX;
}

/* A CDF with up to two shape parameters, and the probability whose quantile
 * is wanted: the root of cdf(x) - probability. */
struct quantile_target {
	double (*cdf)(double x, double a, double b); /* GSL's CDF */
	double a;                                    /* first shape parameter */
	double b;                                    /* second; unused by chi-square */
	double probability;                          /* 0 < probability < 1 */
};

static double quantile_gap(double x, void *params)
{
	const struct quantile_target *target = params;
	return target->cdf(x, target->a, target->b) - target->probability;
}

static double chisq_cdf(double x, double degrees_of_freedom, double unused)
{
	(void)unused;
	return gsl_cdf_chisq_P(x, degrees_of_freedom);
}

/* The root of GSL's CDF in [low, high], which must bracket it. Used where
 * GSL's own inverse gives up (GSL 2.7's beta and chi-square inverses fail to
 * converge for counts from the hundreds up, returning NaN). */
static bool quantile_by_root(const struct quantile_target *target, double low, double high,
                             double *out)
{
	bool ok = false;
	gsl_function gap = {quantile_gap, (void *)target};
	gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
	if (solver == NULL)
		return false;
	if (gsl_root_fsolver_set(solver, &gap, low, high) != GSL_SUCCESS)
		goto fail;
	for (int i = 0; i < ROOT_MAX_ITERATIONS; i++) {
		if (gsl_root_fsolver_iterate(solver) != GSL_SUCCESS)
			goto fail;
		double bracket_low = gsl_root_fsolver_x_lower(solver);
		double bracket_high = gsl_root_fsolver_x_upper(solver);
		if (gsl_root_test_interval(bracket_low, bracket_high, 0, ROOT_RELATIVE_TOL) ==
		    GSL_SUCCESS) {
			*out = gsl_root_fsolver_root(solver);
			ok = isfinite(*out);
			break;
		}
	}
fail:
	gsl_root_fsolver_free(solver);
	return ok;
}

/*
 * The fast path (issue 14: a snapshot computes tens of thousands of
 * intervals). GSL's inverses take 4 to 20 evaluations of the distribution
 * function each; Halley's method on the same GSL distribution function,
 * started from a normal approximation, takes 2. The root is the same
 * quantile, to 12 significant digits or to the accuracy of GSL's function
 * where that is lower; anything unusual (no convergence, a density that
 * underflows) falls back to GSL's inverse and then to Brent.
 */
#define HALLEY_MAX_ITERATIONS 50
#define HALLEY_RELATIVE_TOL   1e-12
/* A step this small that no longer halves has reached the accuracy of the
 * distribution function itself (GSL's incomplete beta at a million trials). */
#define HALLEY_NOISE_TOL 1e-10

/* F(x) - p for a distribution function F, with the density f = F' and
 * f'/f for Halley's correction. The gap is computed through the smaller
 * tail (p > 0.5: (1 - p) - Q(x)), so a quantile near 1 keeps its digits. */
struct root_target {
	double (*gap)(double x, const struct root_target *target);     /* increasing in x */
	double (*density)(double x, const struct root_target *target); /* F'(x) */
	double (*slope)(double x, const struct root_target *target);   /* F''(x) / F'(x) */
	double a;                                                      /* first shape */
	double b;                                                      /* second (beta) */
	double p;                                                      /* 0 < p < 1 */
	double log_norm; /* log of the density's constant */
	double low;      /* F(low) <= p */
	double high;     /* F(high) >= p, may be INFINITY */
};

static bool halley_root(const struct root_target *target, double x, double *out)
{
	double low = target->low, high = target->high, previous = INFINITY;
	for (int i = 0; i < HALLEY_MAX_ITERATIONS; i++) {
		double gap = target->gap(x, target);
		if (!isfinite(gap))
			return false;
		if (gap < 0)
			low = x;
		else
			high = x;
		double density = target->density(x, target);
		double next = NAN;
		if (density > 0 && isfinite(density)) {
			double step = gap / density;
			double halley = 0.5 * step * target->slope(x, target);
			if (fabs(halley) < 0.5)
				step /= 1 - halley;
			next = x - step;
			/* After a Halley step the error is of the order of the step
			 * cubed: a step this small is the answer. */
			if (fabs(step) <= HALLEY_RELATIVE_TOL * fabs(x) ||
			    (fabs(step) <= HALLEY_NOISE_TOL * fabs(x) &&
			     fabs(step) >= 0.5 * previous)) {
				*out = next;
				return isfinite(next);
			}
			previous = fabs(step);
		}
		/* Outside the bracket (or no density): bisect, or double an
		 * unbounded bracket. */
		if (!(next > low && next < high))
			next = isfinite(high) ? 0.5 * (low + high) : 2 * x;
		x = next;
	}
	return false;
}

static double beta_gap(double x, const struct root_target *t)
{
	if (t->p > 0.5)
		return (1 - t->p) - gsl_sf_beta_inc(t->b, t->a, 1 - x);
	return gsl_sf_beta_inc(t->a, t->b, x) - t->p;
}

static double beta_density(double x, const struct root_target *t)
{
	return exp((t->a - 1) * log(x) + (t->b - 1) * log1p(-x) - t->log_norm);
}

static double beta_slope(double x, const struct root_target *t)
{
	return (t->a - 1) / x - (t->b - 1) / (1 - x);
}

/* A start for the p-quantile of Beta(a, b), a, b >= 1: the closed forms
 * when a or b is 1, else Abramowitz and Stegun 26.5.22 (a normal
 * approximation; relative error about 1e-5 at the counts published). */
static double beta_start(double p, double a, double b)
{
	if (a == 1)
		return -expm1(log1p(-p) / b);
	if (b == 1)
		return pow(p, 1 / a);
	double y = gsl_cdf_ugaussian_Qinv(p);
	double lambda = (y * y - 3) / 6;
	double h = 2 / (1 / (2 * a - 1) + 1 / (2 * b - 1));
	double w = y * sqrt(h + lambda) / h -
	           (1 / (2 * b - 1) - 1 / (2 * a - 1)) * (lambda + 5.0 / 6 - 2 / (3 * h));
	double x = a / (a + b * exp(2 * w));
	return x > 0 && x < 1 ? x : a / (a + b);
}

/* The p-quantile of Beta(a, b). */
static bool beta_quantile(double p, double a, double b, double *out)
{
	if (a >= 1 && b >= 1) {
		struct root_target target = {beta_gap, beta_density,        beta_slope, a, b,
		                             p,        gsl_sf_lnbeta(a, b), 0,          1};
		double x;
		if (halley_root(&target, beta_start(p, a, b), &x) && x >= 0 && x <= 1) {
			*out = x;
			return true;
		}
	}
	double x = gsl_cdf_beta_Pinv(p, a, b);
	if (isfinite(x) && x >= 0 && x <= 1) {
		*out = x;
		return true;
	}
	struct quantile_target target = {gsl_cdf_beta_P, a, b, p};
	return quantile_by_root(&target, 0, 1, out);
}

/* The p-quantile of the chi-square distribution with nu degrees of freedom. */
static bool chisq_quantile(double p, double nu, double *out)
{
	double x = gsl_cdf_chisq_Pinv(p, nu);
	if (isfinite(x) && x >= 0) {
		*out = x;
		return true;
	}
	struct quantile_target target = {chisq_cdf, nu, 0, p};
	/* The mean is nu and the standard deviation sqrt(2 nu); p <= 0.9995
	 * lies within a few deviations, so 20 of them bracket it, and doubling
	 * covers the heavy tail of small nu. */
	double high = nu + 20 * sqrt(2 * nu) + 20;
	for (int i = 0; i < 64 && chisq_cdf(high, nu, 0) < p; i++)
		high *= 2;
	return quantile_by_root(&target, 0, high, out);
}

static double gamma_gap(double x, const struct root_target *t)
{
	if (t->p > 0.5)
		return (1 - t->p) - gsl_sf_gamma_inc_Q(t->a, x);
	return gsl_sf_gamma_inc_P(t->a, x) - t->p;
}

static double gamma_density(double x, const struct root_target *t)
{
	return exp((t->a - 1) * log(x) - x - t->log_norm);
}

static double gamma_slope(double x, const struct root_target *t)
{
	return (t->a - 1) / x - 1;
}

/* The p-quantile of Gamma(a, 1), a >= 1: half the chi-square quantile with
 * 2a degrees of freedom. Start: Wilson and Hilferty's cube-root normal
 * approximation (1931), or the first term of the series for a small p. */
static bool gamma_quantile(double p, double a, double *out)
{
	double c = 1 / (9 * a);
	double cube = 1 - c + gsl_cdf_ugaussian_Pinv(p) * sqrt(c);
	double start = a * cube * cube * cube;
	if (!(start > 0))
		start = exp((log(p) + gsl_sf_lngamma(a + 1)) / a);
	struct root_target target = {gamma_gap, gamma_density,     gamma_slope, a,       0,
	                             p,         gsl_sf_lngamma(a), 0,           INFINITY};
	if (a >= 1 && halley_root(&target, start, out) && *out >= 0)
		return true;
	if (!chisq_quantile(p, 2 * a, out))
		return false;
	*out /= 2;
	return true;
}

static bool proportion_valid(int64_t numerator, int64_t denominator)
{
	return denominator > 0 && denominator <= INTERVAL_COUNT_MAX && numerator >= 0 &&
	       numerator <= denominator;
}

/* Clopper-Pearson interval of the proportion n / d, as a proportion. */
static bool clopper_pearson(int64_t n, int64_t d, double confidence, struct interval *out)
{
	double alpha = 1 - confidence;
	struct interval result = {0, 1};
	if (!interval_confidence_valid(confidence) || !proportion_valid(n, d))
		return false;
	if (n > 0 && !beta_quantile(alpha / 2, (double)n, (double)(d - n + 1), &result.low))
		return false;
	if (n < d && !beta_quantile(1 - alpha / 2, (double)(n + 1), (double)(d - n), &result.high))
		return false;
	*out = result;
	return true;
}

/* Garwood interval of a Poisson mean for an observed count n. */
static bool garwood(int64_t n, double confidence, struct interval *out)
{
	double alpha = 1 - confidence;
	struct interval result = {0, 0};
	if (!interval_confidence_valid(confidence) || n < 0 || n > INTERVAL_COUNT_MAX)
		return false;
	/* chi2(p; 2n) / 2 is the p-quantile of Gamma(n, 1) */
	if (n > 0 && !gamma_quantile(alpha / 2, (double)n, &result.low))
		return false;
	if (!gamma_quantile(1 - alpha / 2, (double)n + 1, &result.high))
		return false;
	*out = result;
	return true;
}

bool interval_poisson_rate(int64_t events, double exposure, double scale, double confidence,
                           struct interval *out)
{
	struct interval mean;
	if (!(exposure > 0) || !isfinite(exposure) || !(scale > 0) || !isfinite(scale))
		return false;
	if (!garwood(events, confidence, &mean))
		return false;
	out->low = mean.low * scale / exposure;
	out->high = mean.high * scale / exposure;
	return true;
}

bool interval_proportion_percent(int64_t numerator, int64_t denominator, double confidence,
                                 struct interval *out)
{
	struct interval proportion;
	if (!clopper_pearson(numerator, denominator, confidence, &proportion))
		return false;
	out->low = proportion.low * 100;
	out->high = proportion.high * 100;
	return true;
}

bool interval_rate_ratio(int64_t previous_events, double previous_exposure, int64_t current_events,
                         double current_exposure, double confidence, struct interval_change *out)
{
	struct interval share; /* of the current period in all events */
	if (!(previous_exposure > 0) || !isfinite(previous_exposure) || !(current_exposure > 0) ||
	    !isfinite(current_exposure) || previous_events < 0 || current_events < 0 ||
	    previous_events > INTERVAL_COUNT_MAX || current_events > INTERVAL_COUNT_MAX)
		return false;
	int64_t events = previous_events + current_events;
	if (events == 0 || !clopper_pearson(current_events, events, confidence, &share))
		return false;
	double exposure_ratio = previous_exposure / current_exposure;
	/* pu = 1 exactly when the previous period had no events: the odds
	 * pu / (1 - pu) are unbounded, and so is the ratio. */
	out->interval.low = share.low / (1 - share.low) * exposure_ratio;
	out->interval.high =
	    share.high < 1 ? share.high / (1 - share.high) * exposure_ratio : INFINITY;
	out->estimate = previous_events > 0
	                    ? (double)current_events / (double)previous_events * exposure_ratio
	                    : INFINITY;
	out->direction = interval_change_direction(out->interval.low, out->interval.high, 1);
	return true;
}

/* Wilson score interval (no continuity correction) of n / d, z given. */
static struct interval wilson(int64_t n, int64_t d, double z)
{
	double trials = (double)d;
	double p = (double)n / trials;
	double z2 = z * z;
	double centre = p + z2 / (2 * trials);
	double half = z * sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials));
	double scale = 1 + z2 / trials;
	struct interval result = {(centre - half) / scale, (centre + half) / scale};
	/* At p = 0 or 1 the bound is exactly 0 or 1 in real arithmetic; keep
	 * rounding from moving it outside. */
	if (n == 0)
		result.low = 0;
	if (n == d)
		result.high = 1;
	return result;
}

bool interval_proportion_difference(int64_t previous_numerator, int64_t previous_denominator,
                                    int64_t current_numerator, int64_t current_denominator,
                                    double confidence, struct interval_change *out)
{
	if (!interval_confidence_valid(confidence) ||
	    !proportion_valid(previous_numerator, previous_denominator) ||
	    !proportion_valid(current_numerator, current_denominator))
		return false;
	double z = gsl_cdf_ugaussian_Pinv(1 - (1 - confidence) / 2);
	if (!isfinite(z))
		return false;
	double p1 = (double)previous_numerator / (double)previous_denominator;
	double p2 = (double)current_numerator / (double)current_denominator;
	struct interval w1 = wilson(previous_numerator, previous_denominator, z);
	struct interval w2 = wilson(current_numerator, current_denominator, z);
	double difference = p2 - p1;
	double below = sqrt((p2 - w2.low) * (p2 - w2.low) + (w1.high - p1) * (w1.high - p1));
	double above = sqrt((w2.high - p2) * (w2.high - p2) + (p1 - w1.low) * (p1 - w1.low));
	out->estimate = difference * 100;
	out->interval.low = (difference - below) * 100;
	out->interval.high = (difference + above) * 100;
	out->direction = interval_change_direction(out->interval.low, out->interval.high, 0);
	return true;
}

bool interval_smr(int64_t observed, double expected, double confidence, double *smr,
                  struct interval *out)
{
	struct interval mean;
	if (!(expected > 0) || !isfinite(expected) || !garwood(observed, confidence, &mean))
		return false;
	*smr = (double)observed / expected;
	out->low = mean.low / expected;
	out->high = mean.high / expected;
	return true;
}

enum interval_direction interval_change_direction(double low, double high, double null_value)
{
	if (low > null_value)
		return INTERVAL_UP;
	if (high < null_value)
		return INTERVAL_DOWN;
	return INTERVAL_NO_CLEAR_CHANGE;
}

const char *interval_direction_name(enum interval_direction direction)
{
	switch (direction) {
	case INTERVAL_UP:
		return "up";
	case INTERVAL_DOWN:
		return "down";
	case INTERVAL_NO_CLEAR_CHANGE:
		break;
	}
	return "no_clear_change";
}

/*
 * Order statistics and the quantile. With B ~ Binomial(n, q) the number of
 * values at or below the true q-quantile, the r-th smallest value lies above
 * the quantile exactly when B <= r - 1, and the s-th lies below it when
 * B >= s (for a continuous distribution; with ties the coverage can only
 * grow). So
 *   lower tail L(r) = P(B <= r - 1) = F(r - 1)
 *   upper tail U(s) = P(B >= s)     = 1 - F(s - 1)
 * and (x_(r), x_(s)) covers the quantile with probability 1 - L(r) - U(s).
 */

/* Largest r in 1..n with L(r) <= budget, or 0 when even L(1) is above it. */
static int64_t lower_rank_within(int64_t n, double q, double budget)
{
	unsigned trials = (unsigned)n;
	if (gsl_cdf_binomial_P(0, q, trials) > budget)
		return 0;
	/* L grows with r: keep L(found) <= budget < L(beyond). */
	int64_t found = 1, beyond = n + 1;
	while (beyond - found > 1) {
		int64_t middle = found + (beyond - found) / 2;
		if (gsl_cdf_binomial_P((unsigned)(middle - 1), q, trials) <= budget)
			found = middle;
		else
			beyond = middle;
	}
	return found;
}

/* Smallest s in 1..n with U(s) <= budget, or 0 when even U(n) is above it. */
static int64_t upper_rank_within(int64_t n, double q, double budget)
{
	unsigned trials = (unsigned)n;
	/* gsl_cdf_binomial_Q(k) = P(B > k) = U(k + 1), computed without the
	 * cancellation of 1 - F. */
	if (gsl_cdf_binomial_Q((unsigned)(n - 1), q, trials) > budget)
		return 0;
	/* U shrinks as s grows: keep U(found) <= budget < U(before). */
	int64_t before = 0, found = n;
	while (found - before > 1) {
		int64_t middle = before + (found - before) / 2;
		if (gsl_cdf_binomial_Q((unsigned)(middle - 1), q, trials) <= budget)
			found = middle;
		else
			before = middle;
	}
	return found;
}

bool interval_quantile_ranks(int64_t n, double q, double confidence, int64_t *low_rank,
                             int64_t *high_rank)
{
	if (!interval_confidence_valid(confidence) || n < 2 || n > INTERVAL_COUNT_MAX ||
	    !(q > 0 && q < 1))
		return false;
	double alpha = 1 - confidence;
	int64_t r = lower_rank_within(n, q, alpha / 2);
	int64_t s = upper_rank_within(n, q, alpha / 2);
	if (r == 0 && s == 0)
		return false;
	/* One end cannot get its tail down to alpha/2 even at the extreme
	 * rank: it takes the extreme rank, the other end the rest of alpha. */
	if (r == 0) {
		r = 1;
		s = upper_rank_within(n, q, alpha - gsl_cdf_binomial_P(0, q, (unsigned)n));
	} else if (s == 0) {
		s = n;
		r = lower_rank_within(
		    n, q, alpha - gsl_cdf_binomial_Q((unsigned)(n - 1), q, (unsigned)n));
	}
	if (r == 0 || s == 0 || r >= s)
		return false;
	*low_rank = r;
	*high_rank = s;
	return true;
}
