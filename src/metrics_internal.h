/*
 * metrics_internal.h — shared by src/metrics*.c only (not a public header).
 *
 * metrics.c builds a struct metrics_ctx (period axes, a day -> period-row
 * lookup, a pointer to every table and its child stamps) from the catalog
 * (metrics_catalog.c) and runs five passes over a slice of the sorted
 * model (whole children: ctx->episode_first..episode_last), each filling
 * its own tables:
 *   metrics_pass_days      (metrics_days.c) per day in care: days in care,
 *                          moves, missing episodes per day, the
 *                          placement-moves entry cohort;
 *   metrics_pass_missing   (metrics_events.c) per event: episode-based
 *                          runaway metrics, the quantiles' counts (their
 *                          values: metrics_quantiles_missing), runaway
 *                          discharges, the 12-month entry cohort,
 *                          identified after missing;
 *   metrics_pass_children  (metrics_children.c) per child: the child-based
 *                          metrics, the program's reach, identifications
 *                          per 1,000 children served;
 *   metrics_pass_cohorts   (metrics_cohorts.c) per child: permanency and
 *                          re-entry of the entry cohort, the assignment
 *                          cohort (its median's values:
 *                          metrics_quantiles_assignment), identifications
 *                          reported in 24 hours;
 *   metrics_pass_strata    (metrics_strata.c) per day in care and event: the
 *                          internal age band x setting strata behind the
 *                          advocate tables' expected counts (issue 14),
 *                          written to the cells by metrics_strata_finish()
 *                          once every pass is done.
 * With options->threads = n, metrics.c cuts the episodes into n slices of
 * whole children and gives each slice a ctx of its own (the main one's
 * axes, its own zeroed copy of every table, its own stamps and strata);
 * the slices run at once, and their counts, all integers, are summed into
 * the result: a child is in one slice only, so the per-slice distinct
 * children add up too. The quantile passes (days missing, days to
 * assignment) need every cell's count first: they run after the sum, over
 * the whole model, and pick their statistics and intervals through
 * metrics_quantile.c.
 * The passes read episodes through metrics_episode.c, which calls no other
 * metrics file: calls run metrics.c -> passes -> metrics_episode.c.
 * Every pass visits its slice's episodes in model order (sorted by child),
 * which is what makes the per-cell `last child` stamp count distinct
 * children.
 */
#ifndef CASA_METRICS_INTERNAL_H
#define CASA_METRICS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casa/common.h"
#include "casa/date.h"
#include "casa/metrics.h"
#include "casa/model.h"

/* ---- metrics_catalog.c ---- */

/* Groups of a dimension whose groups are fixed; 0 for
 * DIM_COUNTY, whose groups are the model's counties. */
uint32_t metrics_fixed_group_count(enum dim dim);

/* ---- metrics.c: the context every pass fills ---- */

/* Rows of one period type: period first_period + r is row r. */
struct metrics_axis {
	int32_t first_period;  /* period index of row 0 */
	uint32_t period_count; /* rows */
	int32_t *bounds;       /* period_count + 1 first days: row r is
	                          [bounds[r], bounds[r + 1]); owned by the ctx */
	uint32_t *day_row;     /* row of each day first_day..as_of; owned */
};

/* One allowed table of a (metric, period type), for the hot loops. */
struct metrics_slot {
	struct metrics_table *table; /* in the result */
	uint32_t *stamp;             /* child stamps of its cells */
	enum dim dim;                /* the table's breakdown */
};

struct metrics_strata; /* metrics_strata.c */

struct metrics_ctx {
	const struct model *model;                   /* borrowed, read only */
	int32_t as_of;                               /* last day of data */
	int32_t first_day;                           /* day of day_row[0] (model.first_day) */
	uint32_t day_count;                          /* as_of - first_day + 1 */
	int fy_start_month;                          /* 1..12 */
	int64_t screening_window_s;                  /* screened_after_return_pct window */
	double confidence;                           /* level of the quantiles' intervals */
	size_t episode_first;                        /* the slice the passes visit: */
	size_t episode_last;                         /* model.episodes[first, last), whole
	                                                children */
	struct metrics_strata *strata;               /* metrics_pass_strata's sums; owned */
	struct metrics_axis axes[PERIOD_TYPE_COUNT]; /* one per period type */
	struct metrics_table *tab[METRIC_COUNT][PERIOD_TYPE_COUNT][DIM_COUNT]; /* NULL when
	                          not allowed; points into the result */
	uint32_t *stamp[METRIC_COUNT][PERIOD_TYPE_COUNT][DIM_COUNT];           /* per cell: child
	                                    index + 1 last counted; owned */
	struct metrics_slot slots[METRIC_COUNT][PERIOD_TYPE_COUNT][DIM_COUNT]; /* allowed
	                          tables of (metric, type), packed */
	uint8_t slot_count[METRIC_COUNT][PERIOD_TYPE_COUNT]; /* entries in slots */
};

/* The exclusive end of the days in care: min(discharge, as_of + 1). */
static inline int32_t metrics_episode_end(const struct metrics_ctx *ctx,
                                          const struct model_episode *episode)
{
	return episode->discharge_date <= ctx->as_of ? episode->discharge_date : ctx->as_of + 1;
}

/* Row of a day (first_day <= day <= as_of) for a period type. */
static inline uint32_t metrics_row(const struct metrics_ctx *ctx, enum period_type type,
                                   int32_t day)
{
	return ctx->axes[type].day_row[day - ctx->first_day];
}

/* Row of a day on or before as_of that may precede first_day (an
 * identification dated before any removal): false when it is before the
 * table's first period, so in no cell of it (docs/metrics.md). */
static inline bool metrics_row_any(const struct metrics_ctx *ctx, enum period_type type,
                                   int32_t day, uint32_t *row)
{
	if (day >= ctx->first_day) {
		*row = metrics_row(ctx, type, day);
		return true;
	}
	*row = 0;
	return day >= ctx->axes[type].bounds[0];
}

/* Adds to one cell and counts the child once per cell (visits come in
 * child order). */
static inline void metrics_cell_add(struct metrics_ctx *ctx, enum metric_id metric,
                                    enum period_type type, enum dim dim, uint32_t row,
                                    uint32_t group, int64_t numerator, int64_t denominator,
                                    uint32_t child)
{
	struct metrics_table *table = ctx->tab[metric][type][dim];
	size_t i = (size_t)row * table->group_count + group;
	table->cells[i].numerator += numerator;
	table->cells[i].denominator += denominator;
	if (ctx->stamp[metric][type][dim][i] != child + 1) {
		ctx->stamp[metric][type][dim][i] = child + 1;
		table->cells[i].children++;
	}
}

/* Adds to the cell of every allowed breakdown of metric for one period row;
 * groups[dim] is the group of the thing counted in each dimension. */
static inline void metrics_add_groups(struct metrics_ctx *ctx, enum metric_id metric,
                                      enum period_type type, uint32_t row,
                                      const uint32_t groups[DIM_COUNT], int64_t numerator,
                                      int64_t denominator, uint32_t child)
{
	const struct metrics_slot *slot = ctx->slots[metric][type];
	for (uint32_t k = ctx->slot_count[metric][type]; k-- > 0; slot++) {
		size_t i = (size_t)row * slot->table->group_count + groups[slot->dim];
		struct metrics_cell *cell = &slot->table->cells[i];
		cell->numerator += numerator;
		cell->denominator += denominator;
		if (slot->stamp[i] != child + 1) {
			slot->stamp[i] = child + 1;
			cell->children++;
		}
	}
}

/* As metrics_add_groups, for a caller that adds each child at most once
 * per (metric, period type, row): the child pass. No stamp to check. */
static inline void metrics_add_groups_once(struct metrics_ctx *ctx, enum metric_id metric,
                                           enum period_type type, uint32_t row,
                                           const uint32_t groups[DIM_COUNT], int64_t numerator,
                                           int64_t denominator)
{
	const struct metrics_slot *slot = ctx->slots[metric][type];
	for (uint32_t k = ctx->slot_count[metric][type]; k-- > 0; slot++) {
		struct metrics_cell *cell =
		    &slot->table->cells[(size_t)row * slot->table->group_count + groups[slot->dim]];
		cell->numerator += numerator;
		cell->denominator += denominator;
		cell->children++;
	}
}

/* The end of the child's episodes starting at model.episodes[first]: they
 * are model.episodes[first, metrics_child_end(model, first)). */
static inline size_t metrics_child_end(const struct model *model, size_t first)
{
	size_t last = first + 1;
	while (last < model->episode_count &&
	       model->episodes[last].child == model->episodes[first].child)
		last++;
	return last;
}

/* ---- metrics_episode.c: what an episode is on a day, for every pass ---- */

/* Growable int32 scratch buffer, reused across episodes (no per-episode
 * malloc). Owner frees v. */
struct metrics_buf {
	int32_t *v; /* values */
	size_t len; /* used */
	size_t cap; /* allocated */
};

bool metrics_buf_reserve(struct metrics_buf *buf, size_t cap) CASA_MUSTCHECK;

/* The birthdays at which the SPEC §3 age band changes: 6, 12, 15, 18. */
#define METRICS_BAND_BIRTHDAYS (AGE_BAND_COUNT - 1)
#define METRICS_BIRTHDAY_12    1 /* index of the 12th birthday (youth, cohort) */
#define METRICS_BIRTHDAY_18    3 /* index of the 18th birthday (adulthood) */
struct metrics_birthdays {
	int32_t at[METRICS_BAND_BIRTHDAYS]; /* dates of the 6th, 12th, 15th, 18th */
};

void metrics_birthdays_of(int32_t birth_month, struct metrics_birthdays *out);

/* Age band on a day: the number of band birthdays passed, so a day before
 * birth (bad data) is 0-5, as docs/metrics.md says. Same as banding
 * date_age_years(), without calendar arithmetic. */
static inline uint32_t metrics_band_on(const struct metrics_birthdays *birthdays, int32_t day)
{
	uint32_t band = 0;
	while (band < METRICS_BAND_BIRTHDAYS && birthdays->at[band] <= day)
		band++;
	return band;
}

/* Setting of a day: the covering placement latest in (start, key) order, or
 * SETTING_GROUP_NO_PLACEMENT. */
uint32_t metrics_setting_on(const struct model *model, const struct model_episode *episode,
                            int32_t day);
/* The setting a missing episode beginning on `day` went missing from
 * (docs/metrics.md, runaway_episodes_per_1000_days). */
uint32_t metrics_went_missing_from(const struct model *model, const struct model_episode *episode,
                                   int32_t day);
/* ADVOCATE_ASSIGNED when one of the episode's assignments covers day. */
uint32_t metrics_advocate_on(const struct model *model, const struct model_episode *episode,
                             int32_t day);
/* Groups of a trafficking identification of episode (docs/metrics.md):
 * those of its day when that is a day in care of the episode; otherwise
 * the episode's county, the age on its day, the child's sex and race and
 * not_assigned. */
void metrics_identification_groups(const struct metrics_ctx *ctx,
                                   const struct model_episode *episode,
                                   const struct metrics_birthdays *birthdays,
                                   const struct model_identification *identification,
                                   uint32_t groups[DIM_COUNT]);
/* Dates of the episode's placement moves (SPEC §4), ascending, into
 * moves->v (reserved here to placement_count); false when out of memory. */
bool metrics_episode_moves(const struct model *model, const struct model_episode *episode,
                           struct metrics_buf *moves) CASA_MUSTCHECK;
/* The same moves as the placements moved into: their indices from
 * episode->first_placement, ascending. */
bool metrics_episode_move_placements(const struct model *model, const struct model_episode *episode,
                                     struct metrics_buf *moves) CASA_MUSTCHECK;

/* ---- metrics_quantile.c: exact quantiles and their intervals ---- */

/* The 1-based ranks into a cell's sorted values whose values bound the
 * interval of its quantile (interval_quantile_ranks); 0, 0 when the cell
 * has too few values for one. */
struct metrics_quantile_ranks {
	int64_t low;  /* rank of the lower bound, 0 = no interval */
	int64_t high; /* rank of the upper bound */
};

/* One quantile pass: the median of a metric and, unless METRIC_COUNT, the
 * p90 of another over the same values (same tables, same denominators). */
struct metrics_quantile_pass {
	enum metric_id median; /* the median's metric */
	enum metric_id p90;    /* the p90's metric, or METRIC_COUNT */
	struct metrics_quantile_ranks *ranks[2][PERIOD_TYPE_COUNT][DIM_COUNT]; /* interval
	                          ranks per cell of the median ([0]) and p90 ([1])
	                          tables; owned, NULL where no table */
};

/* Exact quantiles of a metric whose cell denominators (the number of
 * values) are known. metrics_quantile_begin() resets the child stamps of
 * the median's tables (the children are counted by then) to count the
 * values seen per cell, and works out every cell's interval ranks (false
 * when out of memory; nothing then to end). metrics_quantile_add() then
 * takes every value in ascending order with the cell it belongs to (row of
 * each period type, groups): the median's quantile_2s receives the sum of
 * ranks (n+1)/2 and n/2+1 (twice the median, exact), the p90's twice the
 * ceil(0.9 n)-th value (nearest rank), and each cell the values at its
 * interval's ranks. metrics_quantile_end() frees the ranks. */
bool metrics_quantile_begin(struct metrics_ctx *ctx, struct metrics_quantile_pass *pass,
                            enum metric_id median, enum metric_id p90) CASA_MUSTCHECK;
void metrics_quantile_add(struct metrics_ctx *ctx, const struct metrics_quantile_pass *pass,
                          enum period_type type, uint32_t row, const uint32_t groups[DIM_COUNT],
                          int64_t value);
void metrics_quantile_end(struct metrics_quantile_pass *pass);

/* ---- the passes ---- */

/* The passes over ctx's slice of children (every count but the
 * quantiles'). */
bool metrics_pass_days(struct metrics_ctx *ctx) CASA_MUSTCHECK;
bool metrics_pass_missing(struct metrics_ctx *ctx) CASA_MUSTCHECK;
bool metrics_pass_children(struct metrics_ctx *ctx) CASA_MUSTCHECK;
bool metrics_pass_cohorts(struct metrics_ctx *ctx) CASA_MUSTCHECK;
/* The quantiles, over the whole model, once every slice's counts are in
 * ctx's tables: days_missing_median and _p90 (metrics_events.c), and
 * days_to_assignment_median (metrics_cohorts.c). The two touch disjoint
 * tables and stamps, so they may run at once. false: out of memory. */
bool metrics_quantiles_missing(struct metrics_ctx *ctx) CASA_MUSTCHECK;
bool metrics_quantiles_assignment(struct metrics_ctx *ctx) CASA_MUSTCHECK;

/* The 12 months of issue 17's windows: "within 12 months of t" is before
 * t + 365 days, and a window counts once t + 365 <= as_of + 1. */
#define METRICS_12_MONTHS_DAYS 365
static inline bool metrics_12_months_elapsed(const struct metrics_ctx *ctx, int32_t start)
{
	return start + METRICS_12_MONTHS_DAYS <= ctx->as_of + 1;
}

/* Sums days and events per stratum into ctx->strata (its own memory: runs
 * beside the other passes); metrics_strata_finish() then writes the
 * expected counts into the standardized tables' cells, after every pass,
 * and metrics_strata_free() (ctx_free) releases the sums. */
bool metrics_pass_strata(struct metrics_ctx *ctx) CASA_MUSTCHECK;
/* Adds the sums of another slice's ctx (`from`, whose pass ran) into
 * into's (whose pass ran too). */
void metrics_strata_merge(struct metrics_ctx *into, const struct metrics_ctx *from);
void metrics_strata_finish(struct metrics_ctx *ctx);
void metrics_strata_free(struct metrics_ctx *ctx);

#endif
