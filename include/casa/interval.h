/*
 * interval.h — how sure a published number is: exact confidence intervals
 * for rates, percentages, changes between periods, standardized ratios and
 * order-statistic quantiles (issue 14; the methods, in plain words and with
 * their citations, are in docs/methods.md).
 *
 * Pure functions over counts and doubles: no I/O, no state, nothing for the
 * caller to free. Every quantile is a root of a GSL distribution function
 * (gsl_sf_gamma_inc_P/Q, gsl_sf_beta_inc), found by Halley's method from a
 * normal approximation in two evaluations (a snapshot computes tens of
 * thousands); when that does not converge, GSL's inverse (gsl_cdf_*_Pinv),
 * and where that fails too (GSL 2.7 does for counts in the hundreds and
 * up), GSL's Brent solver on the same function (whose small state is
 * allocated and freed inside the call). Nothing here hand-codes a special
 * function: the approximations are only starting points.
 *
 * `confidence` is the two-sided level, INTERVAL_CONFIDENCE_MIN to
 * INTERVAL_CONFIDENCE_MAX; alpha = 1 - confidence. A function that returns
 * false leaves *out untouched and means "no interval": the caller publishes
 * null. An upper bound of INFINITY means "no upper bound" (a ratio over a
 * previous period with no events); the JSON and CSV layers write it as null.
 *
 * Counts above INTERVAL_COUNT_MAX are refused (false): GSL 2.7's incomplete
 * beta returns NaN from about 1.5 million trials and its chi-square CDF
 * drifts from about 3 million events, so a larger count would give no
 * interval or a wrong one.
 */
#ifndef CASA_INTERVAL_H
#define CASA_INTERVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "casa/common.h"

/* The levels the intervals accept; the default is config's. */
#define INTERVAL_CONFIDENCE_MIN 0.80
#define INTERVAL_CONFIDENCE_MAX 0.999
#define INTERVAL_COUNT_MAX      1000000

struct interval {
	double low;  /* lower bound, in the unit of the estimate */
	double high; /* upper bound; INFINITY = no upper bound (published as null) */
};

/* Where a change's interval lies against "no change" (1 for a ratio, 0 for
 * a difference). Only UP and DOWN may be drawn as an arrow or coloured. */
enum interval_direction {
	INTERVAL_NO_CLEAR_CHANGE, /* the interval contains no change */
	INTERVAL_UP,              /* wholly above no change */
	INTERVAL_DOWN             /* wholly below no change */
};

/* A change from the previous period to the current one. */
struct interval_change {
	double estimate;                   /* ratio, or difference in points */
	struct interval interval;          /* its confidence interval */
	enum interval_direction direction; /* interval against no change */
};

/*
 * Switches GSL's error handler from abort() to returning NaN, which this
 * module checks. GSL's handler is process-wide, so this belongs to start-up:
 * call it once before any thread calls an interval_ function (the daemon's
 * main, and every test or tool that uses this module).
 */
void interval_init(void);

/* True when confidence is a level this module accepts. */
bool interval_confidence_valid(double confidence);

/*
 * Rate per `scale` units of exposure (per 1,000 days: scale 1000) for
 * `events` over `exposure`: the exact Poisson interval of Garwood (1936),
 *   low  = chi2_inv(alpha/2; 2n) / 2 * scale / exposure  (0 when n = 0)
 *   high = chi2_inv(1 - alpha/2; 2n + 2) / 2 * scale / exposure.
 * False when exposure or scale is <= 0, or events < 0 or > INTERVAL_COUNT_MAX.
 */
bool interval_poisson_rate(int64_t events, double exposure, double scale, double confidence,
                           struct interval *out) CASA_MUSTCHECK;

/*
 * Percentage numerator / denominator x 100: the exact binomial interval of
 * Clopper and Pearson (1934), in percent,
 *   low  = beta_inv(alpha/2; n, d - n + 1)      (0 when n = 0)
 *   high = beta_inv(1 - alpha/2; n + 1, d - n)  (1 when n = d).
 * False when denominator <= 0 or > INTERVAL_COUNT_MAX, or numerator is
 * outside 0..denominator (a noisy DP count can be).
 */
bool interval_proportion_percent(int64_t numerator, int64_t denominator, double confidence,
                                 struct interval *out) CASA_MUSTCHECK;

/*
 * Rate ratio current / previous, (n2/d2) / (n1/d1), with the exact
 * conditional interval: given n1 + n2 events, n2 is binomial, and the
 * Clopper-Pearson interval (pl, pu) of the share n2 / (n1 + n2) maps to
 *   low = pl / (1 - pl) * d1 / d2,  high = pu / (1 - pu) * d1 / d2.
 * When n1 = 0 (and n2 > 0) the estimate and the upper bound are INFINITY:
 * nothing bounds a rise from zero events. When n2 = 0 the lower bound is 0.
 * False when n1 + n2 = 0 (no events in either period: nothing to compare),
 * an exposure is <= 0, or a count is negative or n1 + n2 is above
 * INTERVAL_COUNT_MAX. The direction is against a ratio of 1.
 */
bool interval_rate_ratio(int64_t previous_events, double previous_exposure, int64_t current_events,
                         double current_exposure, double confidence,
                         struct interval_change *out) CASA_MUSTCHECK;

/*
 * Difference of two percentages, current minus previous, in percentage
 * points, with Newcombe's (1998) hybrid score interval (his method 10:
 * Wilson score intervals (l1, u1), (l2, u2) of each proportion without
 * continuity correction, z = Phi_inv(1 - alpha/2)):
 *   diff = p2 - p1
 *   low  = diff - sqrt((p2 - l2)^2 + (u1 - p1)^2)
 *   high = diff + sqrt((u2 - p2)^2 + (p1 - l1)^2), all x 100.
 * An approximate interval (coverage close to, not always above, the level).
 * False under the same conditions as interval_proportion_percent() for
 * either period. The direction is against a difference of 0.
 */
bool interval_proportion_difference(int64_t previous_numerator, int64_t previous_denominator,
                                    int64_t current_numerator, int64_t current_denominator,
                                    double confidence, struct interval_change *out) CASA_MUSTCHECK;

/*
 * Standardized ratio observed / expected (indirect standardization) with
 * the exact Poisson interval of the observed count divided by expected
 * (Ulm 1990; Liddell 1984). *smr = observed / expected. False when
 * expected <= 0 or is not finite, or observed is negative or above
 * INTERVAL_COUNT_MAX.
 */
bool interval_smr(int64_t observed, double expected, double confidence, double *smr,
                  struct interval *out) CASA_MUSTCHECK;

/*
 * UP when low > null_value, DOWN when high < null_value, otherwise
 * NO_CLEAR_CHANGE (also for NaN bounds). null_value is 1 for a ratio and 0
 * for a difference.
 */
enum interval_direction interval_change_direction(double low, double high, double null_value);

/* "up", "down" or "no_clear_change": the API's change_direction values. */
const char *interval_direction_name(enum interval_direction direction);

/*
 * Distribution-free interval for the q-quantile (q = 0.5: the median; 0.9:
 * the p90) of n values, as 1-based ranks into the sorted values: the
 * interval is (x_(low_rank), x_(high_rank)), chosen from Binomial(n, q) so
 * that it covers the true quantile with probability >= confidence. The rank
 * rule (docs/methods.md, "Medians and p90"): with F the Binomial(n, q) CDF,
 *   lower tail  L(r) = F(r - 1)       = P(x_(r) above the quantile)
 *   upper tail  U(s) = 1 - F(s - 1)   = P(x_(s) below the quantile)
 *   r = the largest rank with L(r) <= alpha/2, s = the smallest with
 *   U(s) <= alpha/2 (equal tails);
 *   when even r = 1 has L(1) > alpha/2, r = 1 and s gets the rest of alpha:
 *   the smallest s with U(s) <= alpha - L(1); the same the other way round
 *   when even s = n has U(n) > alpha/2.
 * False when no pair reaches the confidence (n too small: for the median at
 * 95% that is n <= 5, for the p90 n <= 28), when n < 2, n is above
 * INTERVAL_COUNT_MAX, or q is outside (0, 1). Only n is needed, not the
 * values, so the caller can use it where the raw data are gone.
 */
bool interval_quantile_ranks(int64_t n, double q, double confidence, int64_t *low_rank,
                             int64_t *high_rank) CASA_MUSTCHECK;

#endif
