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
#include "casa/sha256.h"

/* Which counts a metric kind publishes (SPEC §4: quantiles have no
 * numerator, counts no denominator). */
bool disclosure_kind_has_numerator(enum metric_kind kind);
bool disclosure_kind_has_denominator(enum metric_kind kind);

/* Secrecy per (cell, field) (docs/privacy.md "Threat model"): which counts
 * of a cell are secret. A cell with any secret count is published with
 * nulls; its other counts are not secret (the attacker may know them). */
#define DISCLOSURE_SECRET_NUMERATOR   0x01u
#define DISCLOSURE_SECRET_DENOMINATOR 0x02u
#define DISCLOSURE_SECRET_FIELDS      0x03u

/* The primary rule of SPEC §5 for one raw cell and cell size k, as the
 * counts it makes secret: fewer than k children -> every count of the cell;
 * numerator (or a percentage's complement, or a count) in 1..k-1 -> the
 * numerator only; a quantile on fewer than k episodes -> its episode count.
 * 0 for an empty cell (no child at all). */
uint8_t disclosure_primary_fields(enum metric_kind kind, const struct metrics_cell *cell,
                                  int min_cell);

/* The primary rule of SPEC §5 for one raw cell and cell size k: true when
 * disclosure_primary_fields() makes some count secret. */
bool disclosure_primary_suppressed(enum metric_kind kind, const struct metrics_cell *cell,
                                   int min_cell);

/* Suppress mode's decision (what disclosure_protect() publishes), per
 * (cell, field): one DISCLOSURE_SECRET_* mask per cell of raw, tables in
 * order, cells in table order. k is raised to the floor as in
 * disclosure_protect(). For the audit (tests/audit/). Caller frees; NULL
 * when memory runs out. */
uint8_t *disclosure_secret_fields(const struct metrics_result *raw, int min_cell,
                                  bool calendar_year_blocks);

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

/* dp mode: fills out->tables[*].cells from raw (tables already allocated and
 * shaped like raw). Quantile cells keep primary suppression. false when
 * memory runs out. */
bool disclosure_dp_fill(const struct metrics_result *raw, const struct disclosure_options *options,
                        int min_cell, struct disclosure_result *out) CASA_MUSTCHECK;

/* dp post-processing: x[0..n) (>= 0) rounded to integers adding up to
 * target, in proportion to x (equal shares when all zero), never above cap[i]
 * when cap is not NULL; largest remainders first, ties to the lower index.
 * false when memory runs out. */
bool disclosure_dp_apportion(int64_t *x, const int64_t *cap, size_t n, int64_t target);

/* Denominator of the rational per-count epsilon: epsilon is read to 6
 * decimals (a configuration value, converted once, not a random draw). */
#define DISCLOSURE_DP_EPS_UNITS 1000000

#endif
