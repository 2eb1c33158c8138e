/*
 * disclosure.h — the only way from raw metric cells to publishable ones
 * (SPEC §5).
 *
 * disclosure_protect() takes a release view (release.h: today's counts with
 * every settled cell frozen, the publication plan, what earlier releases
 * decided) and returns a disclosure_result made of struct disclosure_cell,
 * a different type from struct metrics_cell on purpose: the snapshot and
 * every serializer accept only disclosure types, so an unprotected number
 * cannot be published by mistake.
 *
 * Mode "suppress" (default, src/disclosure_suppress.c): primary suppression
 * (fewer than k children; numerator in 1..k-1; for percentages, complement
 * in 1..k-1; quantiles on fewer than k episodes; every cell of a group too
 * small to hide in; a revised cell that moved by a few children) and
 * complementary suppression that proves k - 1 of room for every secret
 * count, frozen decisions kept.
 * Mode "dp" (src/disclosure_dp.c): counts get exact discrete Laplace noise
 * keyed by a secret key, the cell identity and the true count (cell key
 * method), epsilon split over the series of the publication plan; a count
 * several metrics publish is noised once; quantiles are withheld.
 */
#ifndef CASA_DISCLOSURE_H
#define CASA_DISCLOSURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casa/common.h"
#include "casa/metrics.h"
#include "casa/release.h"

/* SPEC §5: k is configurable (its default is config's) but never below 5. */
#define DISCLOSURE_MIN_CELL_FLOOR 5
#define DISCLOSURE_KEY_LEN        32

enum disclosure_mode { DISCLOSURE_SUPPRESS, DISCLOSURE_DP };

/* Secrecy per (cell, count) (docs/privacy.md "Threat model"): which counts
 * of a cell are secret. A cell with any secret count is published with
 * nulls; its other count is not secret (the attacker may know it). */
#define DISCLOSURE_SECRET_NUMERATOR   0x01u
#define DISCLOSURE_SECRET_DENOMINATOR 0x02u
#define DISCLOSURE_SECRET_FIELDS      0x03u

struct disclosure_options {
	enum disclosure_mode mode;
	int min_cell;                    /* k, >= DISCLOSURE_MIN_CELL_FLOOR */
	double epsilon;                  /* dp: total budget over the published tables */
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
	bool provisional;           /* the period is partial or not settled yet: its
	                               counts may still change (totals only) */
};

/* What protection cost one table (counts of cells only; /api/v1/disclosure,
 * bench/disclosure). A cell is safe when it could be published by itself:
 * k children or more, no count under the primary rule. */
struct disclosure_table_counts {
	uint32_t cells;          /* published rows x groups */
	uint32_t safe;           /* cells safe by themselves */
	uint32_t safe_published; /* safe cells published */
	uint32_t primary;        /* cells hidden by a primary rule */
	uint32_t secondary;      /* cells hidden to protect others */
	uint32_t frozen;         /* cells hidden by an earlier release */
};

/* Same layout as struct metrics_table: cells[p * group_count + g]. Only
 * rows 0 .. published_rows - 1 of a published table are published. */
struct disclosure_table {
	enum metric_id metric;                 /* which metric */
	enum period_type period_type;          /* rows' period type */
	enum dim dim;                          /* breakdown */
	int32_t first_period;                  /* period index of row 0 */
	uint32_t period_count;                 /* rows laid out */
	uint32_t group_count;                  /* groups per row */
	struct disclosure_cell *cells;         /* period_count * group_count */
	bool published;                        /* in the publication plan */
	uint32_t published_rows;               /* rows published (settled ones for a breakdown) */
	struct disclosure_table_counts counts; /* what protection cost */
};

struct disclosure_result {
	int32_t as_of;
	int fy_start_month;
	enum disclosure_mode mode;
	int min_cell;
	double epsilon;                  /* dp only */
	struct release_plan plan;        /* published tables */
	int settle_days;                 /* breakdowns wait this long */
	bool revision;                   /* this release revises frozen periods */
	struct disclosure_table *tables; /* same order as the view's tables */
	size_t table_count;              /* entries in tables */
	char **counties;                 /* group labels for DIM_COUNTY (owned copy) */
	size_t county_count;             /* entries in counties */
	uint8_t *secret;                 /* DISCLOSURE_SECRET_* per view cell, tables in
	                                    order (release_commit's input); owned */
	uint64_t suppressed_primary;     /* cells hidden by the primary rule */
	uint64_t suppressed_secondary;   /* cells hidden to protect others */
	uint64_t suppressed_frozen;      /* cells hidden by an earlier release */
	uint64_t unprotected;            /* secret counts left with less than k - 1
	                                    of room (should be 0; logged) */
};

const char *disclosure_mode_name(enum disclosure_mode mode); /* "suppress", "dp" */
bool disclosure_mode_parse(const char *name, enum disclosure_mode *out);

/* A row count published next to the tables (/api/v1/quality, /metrics):
 * in dp mode rounded to the nearest multiple of k (half up), so that it
 * moves only when it crosses one, never with each new row (SPEC §5); exact
 * in suppress mode. */
uint64_t disclosure_published_row_count(enum disclosure_mode mode, int min_cell, uint64_t rows);

#define DISCLOSURE_ERROR_LEN 256

/* Protects every published table of the view. false with the reason in err
 * (out of memory, too many cells). Caller frees with disclosure_free(); the
 * view may be freed afterwards. */
bool disclosure_protect(const struct release_view *view, const struct disclosure_options *options,
                        struct disclosure_result *out,
                        char err[DISCLOSURE_ERROR_LEN]) CASA_MUSTCHECK;
void disclosure_free(struct disclosure_result *result);

const struct disclosure_table *disclosure_table_find(const struct disclosure_result *result,
                                                     enum metric_id metric,
                                                     enum period_type period_type, enum dim dim);
const char *disclosure_group_label(const struct disclosure_result *result, enum dim dim,
                                   uint32_t group);

#endif
