/*
 * disclosure.h — the only way from raw metric cells to publishable ones
 * (SPEC §5).
 *
 * disclosure_protect() takes the raw metrics_result and returns a
 * disclosure_result made of struct disclosure_cell, a different type from
 * struct metrics_cell on purpose: the snapshot and every serializer accept
 * only disclosure types, so an unprotected number cannot be published by
 * mistake.
 *
 * Mode "suppress" (default): primary suppression (fewer than k children;
 * numerator in 1..k-1; for percentages, complement in 1..k-1; quantiles on
 * fewer than k episodes) and complementary suppression over every additive
 * relation (groups -> total, months -> quarter, quarters -> year and fiscal
 * year, breakdowns of one metric), to a fixed point, deterministic.
 * Mode "dp": counts get exact discrete Laplace noise keyed by a secret key,
 * the cell identity and the true count (cell key method).
 */
#ifndef CASA_DISCLOSURE_H
#define CASA_DISCLOSURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casa/common.h"
#include "casa/metrics.h"

/* SPEC §5: k is configurable (its default is config's) but never below 5. */
#define DISCLOSURE_MIN_CELL_FLOOR 5
#define DISCLOSURE_KEY_LEN        32

enum disclosure_mode { DISCLOSURE_SUPPRESS, DISCLOSURE_DP };

struct disclosure_options {
	enum disclosure_mode mode;
	int min_cell;                    /* k, >= DISCLOSURE_MIN_CELL_FLOOR */
	double epsilon;                  /* dp: total budget over all tables */
	bool calendar_year_blocks;       /* suppress: blocks of calendar years, so that
	                                    years' breakdowns stay whole and fiscal
	                                    years' give way (default: the opposite) */
	uint8_t key[DISCLOSURE_KEY_LEN]; /* dp: secret from getrandom(), state dir */
};

/* A publishable cell. When suppressed, every number is absent. The
 * quantile interval and the expected count are copied from the raw cell
 * only where the cell itself is published (suppress mode); dp mode leaves
 * them out (they rest on counts the noise does not cover). */
struct disclosure_cell {
	int64_t numerator;          /* valid when has_numerator */
	int64_t denominator;        /* valid when has_denominator */
	double value;               /* valid when has_value; rounded to 4 decimals */
	bool has_numerator;         /* false when suppressed or not applicable */
	bool has_denominator;       /* false when suppressed or not applicable */
	bool has_value;             /* false when suppressed or denominator 0 */
	bool suppressed;            /* true: the row is published with nulls */
	bool has_quantile_interval; /* quantiles: the two values below are valid */
	bool has_expected;          /* standardized tables: expected is valid */
	int64_t quantile_low_s;     /* interval of a quantile, seconds: lower end */
	int64_t quantile_high_s;    /* upper end */
	double expected;            /* indirectly standardized expected count */
};

/* Same layout as struct metrics_table: cells[p * group_count + g]. */
struct disclosure_table {
	enum metric_id metric;
	enum period_type period_type;
	enum dim dim;
	int32_t first_period;
	uint32_t period_count;
	uint32_t group_count;
	struct disclosure_cell *cells;
};

struct disclosure_result {
	int32_t as_of;
	int fy_start_month;
	enum disclosure_mode mode;
	int min_cell;
	double epsilon;                  /* dp only */
	bool calendar_year_blocks;       /* suppress: as in the options */
	struct disclosure_table *tables; /* same order as metrics_result.tables */
	size_t table_count;
	char **counties; /* group labels for DIM_COUNTY (owned copy) */
	size_t county_count;
	uint64_t suppressed_primary;   /* cells hidden by the primary rule */
	uint64_t suppressed_secondary; /* cells hidden to protect others */
};

const char *disclosure_mode_name(enum disclosure_mode mode); /* "suppress", "dp" */
bool disclosure_mode_parse(const char *name, enum disclosure_mode *out);

/* Protects every table of raw. Returns false only when memory runs out.
 * Caller frees with disclosure_free(). raw may be freed afterwards. */
bool disclosure_protect(const struct metrics_result *raw, const struct disclosure_options *options,
                        struct disclosure_result *out) CASA_MUSTCHECK;
void disclosure_free(struct disclosure_result *result);

const struct disclosure_table *disclosure_table_find(const struct disclosure_result *result,
                                                     enum metric_id metric,
                                                     enum period_type period_type, enum dim dim);
const char *disclosure_group_label(const struct disclosure_result *result, enum dim dim,
                                   uint32_t group);

#endif
