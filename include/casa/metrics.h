/*
 * metrics.h — every metric of SPEC §4, for every period type and breakdown.
 *
 * Pure: metrics_compute() reads a struct model and returns raw cells. Raw
 * cells are NOT publishable (they rest on any number of children); only the
 * disclosure stage turns them into protected cells, and only protected cells
 * reach a snapshot or the wire.
 *
 * The catalog (metrics_catalog[]) is the single table that says what each
 * metric is: id, title, unit, definition, kind, allowed breakdowns and period
 * types. Everything else (API catalog, OpenAPI enum lists, docs) reads it.
 * docs/metrics.md fixes every reading of the spec the engine follows.
 */
#ifndef CASA_METRICS_H
#define CASA_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casa/common.h"
#include "casa/date.h"
#include "casa/model.h"

enum metric_id {
	METRIC_PLACEMENT_MOVES_PER_1000_DAYS,
	METRIC_MOVES_PER_1000_DAYS_IN_CARE,
	METRIC_TWO_OR_FEWER_PLACEMENTS_PCT,
	METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	METRIC_YOUTH_WITH_RUNAWAY_PCT,
	METRIC_REPEAT_RUNAWAY_PCT,
	METRIC_DAYS_MISSING_MEDIAN,
	METRIC_DAYS_MISSING_P90,
	METRIC_RETURNED_WITHIN_7_DAYS_PCT,
	METRIC_STILL_MISSING_COUNT,
	METRIC_REPORTED_LE_24H_PCT,
	METRIC_REPORTED_NCMEC_24H_PCT,
	METRIC_SCREENED_AFTER_RETURN_PCT,
	METRIC_SCREENED_POSITIVE_PCT,
	METRIC_RUNAWAY_DISCHARGES_PCT,
	METRIC_RUNAWAY_WITHIN_12M_OF_ENTRY_PCT,
	/* issue 17: permanency, re-entry, the program's reach */
	METRIC_PERMANENCY_12M_ENTRIES_PCT,
	METRIC_REENTRY_12M_PCT,
	METRIC_PERMANENCY_12M_AFTER_ASSIGNMENT_PCT,
	METRIC_DAYS_TO_ASSIGNMENT_MEDIAN,
	METRIC_ADVOCATE_REACH_PCT,
	/* issue 17: trafficking identification (optional source table) */
	METRIC_TRAFFICKING_IDENTIFIED_PER_1000_SERVED,
	METRIC_IDENTIFIED_AFTER_MISSING_PCT,
	METRIC_TRAFFICKING_REPORTED_LE_24H_PCT,
	METRIC_COUNT
};

/* How a cell's value is formed, which also decides the disclosure rules. */
enum metric_kind {
	METRIC_KIND_RATE,     /* value = 1000 * numerator / denominator (days) */
	METRIC_KIND_PERCENT,  /* value = 100 * numerator / denominator; complement rule */
	METRIC_KIND_QUANTILE, /* value = a duration in days; denominator = episodes;
	                         numerator not applicable (null) */
	METRIC_KIND_COUNT     /* value = numerator = a count; denominator null */
};

enum dim {
	DIM_TOTAL, /* no breakdown: one group */
	DIM_COUNTY,
	DIM_AGE_BAND,
	DIM_SEX,
	DIM_RACE_ETHNICITY,
	DIM_ADVOCATE,
	DIM_LOS_BAND, /* only two_or_fewer_placements_pct */
	DIM_SETTING,  /* runaway metrics */
	DIM_COUNT
};

enum age_band { AGE_0_5, AGE_6_11, AGE_12_14, AGE_15_17, AGE_18_PLUS, AGE_BAND_COUNT };
enum advocate { ADVOCATE_ASSIGNED, ADVOCATE_NOT_ASSIGNED, ADVOCATE_COUNT };
enum los_band { LOS_LT12M, LOS_12TO24M, LOS_24MPLUS, LOS_BAND_COUNT };
/* Groups of DIM_SETTING: the enum setting values, then "no_placement" for
 * days in care that no placement covers. */
#define SETTING_GROUP_NO_PLACEMENT SETTING_COUNT
#define SETTING_GROUP_COUNT        (SETTING_COUNT + 1)

#define DIM_BIT(d)    (1u << (d))
#define PERIOD_BIT(p) (1u << (p))

/* Which way a change is good news (dashboards' arrows and colours). */
enum metric_direction {
	METRIC_BETTER_NEITHER, /* no direction: more identifications may mean
	                          better detection or more harm */
	METRIC_BETTER_HIGHER,
	METRIC_BETTER_LOWER,
};

/* A published figure to read the metric against, with who measured it. */
struct metric_reference {
	enum dim dim;       /* DIM_TOTAL, or the breakdown `group` belongs to */
	uint32_t group;     /* group of a fixed dimension; 0 for DIM_TOTAL */
	double value;       /* in the metric's unit */
	const char *source; /* who measured it, over what */
};
#define METRIC_REFERENCES_MAX 3

/* Which row of its summary period type /api/v1/summary shows. */
enum metric_summary_row {
	METRIC_SUMMARY_LAST_COMPLETE, /* the last period ending on or before as_of */
	METRIC_SUMMARY_LATEST,        /* the latest, even partial: a stock ("now") */
	METRIC_SUMMARY_LAST_SETTLED,  /* the last whose cells no longer change:
	                                 last day + observation_lag_days <= as_of
	                                 (the 12-month cohorts) */
};

/* observation_lag_days of the metrics that wait for the screening window
 * (config screening_window_hours): see metrics_observation_lag_days(). */
#define METRIC_LAG_SCREENING_WINDOW (-1)

/* The two counts of a cell, and their bits in metric_def.time_additive. */
enum metric_field { METRIC_FIELD_NUMERATOR, METRIC_FIELD_DENOMINATOR };
#define METRIC_COUNT_NUMERATOR   (1u << METRIC_FIELD_NUMERATOR)   /* 0x1 */
#define METRIC_COUNT_DENOMINATOR (1u << METRIC_FIELD_DENOMINATOR) /* 0x2 */

/* Everything the program knows about one metric: the API catalog, the
 * summary, the OpenAPI enums, the dashboards (through the API) and the
 * disclosure stage all read it here, and nowhere else. */
struct metric_def {
	const char *id;               /* "runaway_episodes_per_1000_days" */
	const char *title;            /* short, for charts */
	const char *unit;             /* "per 1,000 days in care", "percent", "days", ... */
	const char *definition;       /* the SPEC §4 text, served by the API */
	enum metric_kind kind;        /* see above */
	int scale;                    /* 1000, 100 or 1 */
	uint32_t dims;                /* DIM_BIT mask of allowed breakdowns (DIM_TOTAL always) */
	uint32_t period_types;        /* PERIOD_BIT mask of allowed period types */
	bool child_based;             /* counts children: one group per child */
	uint8_t time_additive;        /* METRIC_COUNT_* bits of the counts whose months
	                                 add up to quarters, years and fiscal years
	                                 (docs/metrics.md "Additivity") */
	enum metric_direction better; /* for arrows and colours */
	struct metric_reference references[METRIC_REFERENCES_MAX]; /* benchmarks */
	uint8_t reference_count;                                   /* used entries */
	enum period_type summary_period_type;                      /* the summary's period type */
	enum metric_summary_row summary_row;                       /* and its row */
	int observation_lag_days;   /* days after a period's last day until its cells
	                               stop changing by definition (windows that reach
	                               past it); METRIC_LAG_SCREENING_WINDOW for the
	                               screening window. Read it through
	                               metrics_observation_lag_days(), which also
	                               makes linked counts settle together */
	bool needs_identifications; /* reads the optional trafficking_identifications
	                               table: left out when the source has none */
};

extern const struct metric_def metrics_catalog[METRIC_COUNT];

/* Where two metrics publish the same count. */
enum metric_equal_scope {
	METRIC_EQUAL_ALL,             /* every cell of the tables both have */
	METRIC_EQUAL_CLOSED_7_DAYS,   /* periods whose last day <= as_of - 7 */
	METRIC_EQUAL_CLOSED_30_DAYS,  /* periods whose last day <= as_of - 30 */
	METRIC_EQUAL_CLOSED_364_DAYS, /* periods whose last day <= as_of - 364: every
	                                 12-month window from the period has elapsed */
	METRIC_EQUAL_AGE_12_PLUS,     /* age_band tables, bands 12-14 and up */
};

/*
 * Counts two metrics publish as the same number, cell for cell in the
 * tables (period type, breakdown) both have, within scope: a count hidden
 * in one must be hidden in the other, and the two must settle together.
 * field_a, field_b: enum metric_field.
 */
struct metric_equal_count {
	enum metric_id a;              /* one metric */
	int field_a;                   /* its count */
	enum metric_id b;              /* the other metric */
	int field_b;                   /* its equal count */
	enum metric_equal_scope scope; /* where they are equal */
};
extern const struct metric_equal_count metrics_equal_counts[];
extern const size_t metrics_equal_count_count;

/* Whether link's counts are equal in the cell of (period ending on
 * period_last_day, dim, group) of a snapshot as of as_of. */
bool metrics_equal_count_holds(const struct metric_equal_count *link, int32_t period_last_day,
                               int32_t as_of, enum dim dim, uint32_t group);

/* Days after a period's last day until the metric's cells, and every count
 * linked to them in metrics_equal_counts[], stop changing: the largest
 * observation_lag_days of the metric's linked group, the screening window
 * (screening_window_s > 0) counting as its whole days, rounded up. */
int metrics_observation_lag_days(enum metric_id metric, int64_t screening_window_s);

/* Dimension names as in the API ("county", "age_band", ...; DIM_TOTAL: "total"). */
const char *metrics_dim_name(enum dim dim);
bool metrics_dim_parse(const char *name, enum dim *out);
/* Group labels of the fixed dimensions ("0-5", "assigned", "lt12m", a setting
 * code, a sex or race code). Counties come from model.counties. */
const char *metrics_group_label(enum dim dim, uint32_t group);
/* false when id is not a metric. */
bool metrics_find(const char *id, enum metric_id *out);
/* True for the tables whose cells carry an indirectly standardized expected
 * count (issue 14): the advocate breakdown of runaway_episodes_per_1000_days
 * and moves_per_1000_days_in_care, for quarters, years and fiscal years. */
bool metrics_table_standardized(enum metric_id metric, enum period_type period_type, enum dim dim);

/*
 * One raw cell. Exact integers; value is derived by the disclosure stage
 * (value = scale * numerator / denominator, rounded to 4 decimals) except for
 * quantiles, where `quantile_2s` holds the exact statistic.
 */
struct metrics_cell {
	int64_t numerator;          /* events, moves, children, episodes meeting the test */
	int64_t denominator;        /* days in care, children, episodes */
	int64_t children;           /* distinct children the cell rests on */
	int64_t quantile_2s;        /* METRIC_KIND_QUANTILE: twice the statistic in
	                               seconds, so a median of an even count (mean of
	                               two middle values) stays exact; value in days =
	                               quantile_2s / (2 * 86400) */
	int64_t quantile_low_s;     /* valid when has_quantile_interval: the value
	                               at the interval's lower rank
	                               (interval_quantile_ranks), in seconds */
	int64_t quantile_high_s;    /* the same at the upper rank */
	double expected;            /* valid when has_expected: events expected at
	                               the rates of all children of the same age
	                               band and setting (metrics_strata.c) */
	bool has_quantile_interval; /* false when too few values for one */
	bool has_expected;          /* metrics_table_standardized() tables only */
};

/*
 * One table: a metric for one period type and one breakdown. Cells are laid
 * out [period][group]: cell (p, g) = cells[p * group_count + g], for period
 * index first_period + p. Periods run from the one containing model.first_day
 * to the one containing as_of, every one of them present (zeros included).
 */
struct metrics_table {
	enum metric_id metric;
	enum period_type period_type;
	enum dim dim;
	int32_t first_period;       /* period index (see date.h) of row 0 */
	uint32_t period_count;      /* rows of periods */
	uint32_t group_count;       /* 1 for DIM_TOTAL */
	struct metrics_cell *cells; /* period_count * group_count */
};

struct metrics_result {
	int32_t as_of;                /* copied from the model */
	int fy_start_month;           /* 1..12 */
	struct metrics_table *tables; /* every allowed (metric, period type, dim),
	                                 ordered by metric, period type, dim */
	size_t table_count;
	char **counties; /* copy of model.counties (group labels) */
	size_t county_count;
};

/* Every field is required: the stage has no defaults (config.h holds them,
 * CONFIG_DEFAULT_*), and metrics_compute() refuses a value out of range. */
struct metrics_options {
	int fy_start_month;         /* first month of the fiscal year, 1..12 */
	int64_t screening_window_s; /* screened_after_return_pct window, > 0 */
	double confidence;          /* level of the quantiles' intervals, one
	                               interval_confidence_valid() accepts */
	int threads;                /* threads the passes run on, 1..METRICS_THREADS_MAX:
	                               each takes a slice of the children into its
	                               own cells, summed at the end, so every cell
	                               is the same for any number of threads */
};
/* The most threads metrics_compute() takes (config metrics_threads). */
#define METRICS_THREADS_MAX 64

/* Why metrics_compute() failed. */
enum metrics_failure {
	METRICS_FAILED_MEMORY,           /* out of memory */
	METRICS_FAILED_FY_START_MONTH,   /* options->fy_start_month not 1..12 */
	METRICS_FAILED_SCREENING_WINDOW, /* options->screening_window_s <= 0 */
	METRICS_FAILED_CONFIDENCE,       /* options->confidence out of range */
	METRICS_FAILED_THREADS,          /* options->threads not 1..METRICS_THREADS_MAX */
};

/* A short phrase for logs ("out of memory", ...); static storage. */
const char *metrics_failure_text(enum metrics_failure failure);

/* The order tables are kept in (result->tables, the release ledger's): by
 * metric, then period type, then dim, as one number to compare. */
long metrics_table_key(enum metric_id metric, enum period_type period_type, enum dim dim);
/* Finds the table for (metric, period type, dim); NULL when not allowed. */
const struct metrics_table *metrics_table_find(const struct metrics_result *result,
                                               enum metric_id metric, enum period_type period_type,
                                               enum dim dim);
/* Number of groups of a dimension for this result (counties vary). */
uint32_t metrics_group_count(const struct metrics_result *result, enum dim dim);
/* Label of group g of dim for this result (county names included). */
const char *metrics_result_group_label(const struct metrics_result *result, enum dim dim,
                                       uint32_t group);

/* Computes every table. On failure returns false, leaves *out empty and
 * says why in *failure (written only then). options and failure are
 * required. Caller frees with metrics_free(). model is not modified and may
 * be freed afterwards. */
bool metrics_compute(const struct model *model, const struct metrics_options *options,
                     struct metrics_result *out, enum metrics_failure *failure) CASA_MUSTCHECK;
void metrics_free(struct metrics_result *result);

#endif
