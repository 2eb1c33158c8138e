/*
 * disclosure_internal.h — pieces of the disclosure stage shared between
 * src/disclosure.c, src/disclosure_dp.c and their tests. Not a public
 * interface: nothing outside the disclosure stage and its tests includes it.
 */
#ifndef CASA_DISCLOSURE_INTERNAL_H
#define CASA_DISCLOSURE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casa/disclosure.h"
#include "casa/metrics.h"
#include "casa/release.h"
#include "casa/sha256.h"

/* Which counts a metric kind publishes (SPEC §4: quantiles have no
 * numerator, counts no denominator). */
bool disclosure_kind_has_numerator(enum metric_kind kind);
bool disclosure_kind_has_denominator(enum metric_kind kind);

/* The two counts of a cell, as bit positions of DISCLOSURE_SECRET_*. */
#define DISCLOSURE_FIELD_NUMERATOR   0
#define DISCLOSURE_FIELD_DENOMINATOR 1

/* DISCLOSURE_SECRET_* bits of the counts a metric kind publishes. */
uint8_t disclosure_kind_fields(enum metric_kind kind);

/* The primary rule of SPEC §5 for one raw cell and cell size k, as the
 * counts it makes secret: fewer than k children -> every count of the cell;
 * numerator (or a percentage's complement, or a count) in 1..k-1 -> the
 * numerator only; a quantile on fewer than k episodes -> its episode count.
 * 0 for an empty cell (no child at all). */
uint8_t disclosure_primary_fields(enum metric_kind kind, const struct metrics_cell *cell,
                                  int min_cell);

/* Suppress mode (disclosure_suppress.c). */
struct disclosure_suppress_stats {
	uint64_t primary;     /* cells hidden by a primary rule */
	uint64_t secondary;   /* cells hidden to protect others */
	uint64_t frozen;      /* cells hidden by an earlier release */
	uint64_t unprotected; /* secret counts left with less than k - 1 of room */
	uint64_t conflicts;   /* secret counts an earlier release had published */
};

/* Decides the secret counts of every published cell of view: one
 * DISCLOSURE_SECRET_* mask per cell of view->raw (tables in order) into
 * secret (zeroed by the caller; unpublished cells stay 0), plus
 * DISCLOSURE_WHY_PRIMARY on a cell hidden by a primary rule of this
 * release. false when memory runs out. */
#define DISCLOSURE_WHY_PRIMARY 0x04u
bool disclosure_suppress(const struct release_view *view, int min_cell, uint8_t *secret,
                         struct disclosure_suppress_stats *stats) CASA_MUSTCHECK;

/* Fills cell->value / has_value from published counts (4 decimals, exact
 * integer rounding, half up); value null when the denominator is 0. */
void disclosure_set_value(const struct metric_def *def, int64_t quantile_2s,
                          struct disclosure_cell *cell);

/* --- dp mode (disclosure_dp.c) --- */

/* The random bits are HMAC-SHA-256 blocks (casa/sha256.h). */
#define DISCLOSURE_SHA256_LEN SHA256_DIGEST_LEN

/* A stream of uniform bits from HMAC-SHA-256(key, seed || block counter). */
struct disclosure_prf {
	uint8_t key[DISCLOSURE_KEY_LEN];      /* secret key (copy) */
	uint8_t seed[64];                     /* the cell identity and true count */
	size_t seed_len;                      /* bytes used in seed */
	uint32_t counter;                     /* next block to draw */
	uint8_t block[DISCLOSURE_SHA256_LEN]; /* current block */
	unsigned bits_left;                   /* unread bits in block */
};

void disclosure_prf_init(struct disclosure_prf *prf, const uint8_t key[DISCLOSURE_KEY_LEN],
                         const uint8_t *seed, size_t seed_len);

/* Exact two-sided geometric (discrete Laplace) variate with
 * P(Z = z) proportional to exp(-|z| * eps_num / eps_den), eps_num, eps_den >= 1
 * (Canonne, Kamath, Steinke 2020, Algorithms 1 and 2). Integer arithmetic only. */
int64_t disclosure_dp_discrete_laplace(struct disclosure_prf *prf, uint64_t eps_num,
                                       uint64_t eps_den);

/* dp mode: fills the published cells of out->tables (laid out like the
 * view by disclosure.c) and out->secret (the withheld cells) from the view.
 * false when memory runs out. */
bool disclosure_dp_fill(const struct release_view *view, const struct disclosure_options *options,
                        int min_cell, struct disclosure_result *out) CASA_MUSTCHECK;

/* One series of the dp budget: a count at one period type and breakdown,
 * noised in every published row with the same epsilon (one event falls in
 * one of its cells). The count is named by the metric that owns it; the
 * metrics that share it (disclosure_dp.c, shared_counts) publish the same
 * noisy numbers. */
struct disclosure_dp_series {
	enum metric_id metric;        /* the count's own metric */
	int field;                    /* DISCLOSURE_FIELD_* */
	enum period_type period_type; /* level noised */
	enum dim dim;                 /* level noised */
	uint64_t eps_num;             /* epsilon of each count = eps_num / eps_den, */
	uint64_t eps_den;             /* reduced; the series add up to epsilon */
};

/* The series dp mode noises for view under a total budget epsilon. *out
 * (caller frees) gets *count entries. false when memory runs out. */
bool disclosure_dp_budget(const struct release_view *view, double epsilon,
                          struct disclosure_dp_series **out, size_t *count) CASA_MUSTCHECK;

/* dp post-processing: x[0..n) (noisy, any sign) replaced by the integers
 * nearest to its Euclidean projection on {y : 0 <= y[i] <= cap[i] (cap may
 * be NULL: no upper bound), sum y = target}, rounded so that the sum is
 * exactly target: each index moves less than one unit from the projection;
 * the units the fractions add up to go to the largest x first, then the
 * lower index. Integer arithmetic only. When the caps add up to less than
 * target every index is at its cap. false when memory runs out. */
bool disclosure_dp_fit(int64_t *x, const int64_t *cap, size_t n, int64_t target) CASA_MUSTCHECK;

/* Denominator of the rational per-count epsilon: epsilon is read to 6
 * decimals (a configuration value, converted once, not a random draw). */
#define DISCLOSURE_DP_EPS_UNITS 1000000

#endif
