/*
 * metrics_strata.c — the fair advocate comparison of issue 14 (indirect
 * standardization, docs/methods.md): for the advocate tables of
 * runaway_episodes_per_1000_days and moves_per_1000_days_in_care, quarters
 * and longer, each group's expected count
 *   expected_g = sum over strata s of D_{g,s} * O_s / D_s
 * with s = age band x placement setting, D days in care, O events, O_s and
 * D_s over all children in the period (strata with D_s = 0 add nothing).
 *
 * Strata are attributed as by=age_band and by=setting attribute them
 * (docs/metrics.md): a day in care takes the age band and setting of that
 * day; a missing episode those of the day it began (the setting it went
 * missing from); a move the age band of its day and the setting of the
 * placement it moves into. The strata are internal: only `expected` of each
 * group reaches a cell, and the disclosure stage publishes it only with the
 * group's own cell.
 */
#include "metrics_internal.h"

#include <stdlib.h>

#define STRATA (AGE_BAND_COUNT * SETTING_GROUP_COUNT)

/* The two rates compared, in the order of struct strata_type.events. */
static const enum metric_id standardized_metrics[] = {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
                                                      METRIC_MOVES_PER_1000_DAYS_IN_CARE};
#define RATE_COUNT CASA_ARRAY_LEN(standardized_metrics)

/* Sums of one period type, laid out [row][advocate][stratum]. */
struct strata_type {
	bool used;                   /* a standardized table has this period type */
	int64_t *days;               /* days in care */
	int64_t *events[RATE_COUNT]; /* missing episodes begun, moves */
};

struct metrics_strata {
	struct strata_type types[PERIOD_TYPE_COUNT]; /* by period type */
};

bool metrics_table_standardized(enum metric_id metric, enum period_type period_type, enum dim dim)
{
	/* Quarters and longer (issue 14): a month's strata are too thin. */
	if (dim != DIM_ADVOCATE || period_type == PERIOD_MONTH ||
	    (unsigned)period_type >= PERIOD_TYPE_COUNT)
		return false;
	for (size_t i = 0; i < RATE_COUNT; i++)
		if (standardized_metrics[i] == metric)
			return true;
	return false;
}

static size_t sum_index(uint32_t row, uint32_t advocate, uint32_t stratum)
{
	return ((size_t)row * ADVOCATE_COUNT + advocate) * STRATA + stratum;
}

static uint32_t stratum_of(uint32_t band, uint32_t setting)
{
	return band * SETTING_GROUP_COUNT + setting;
}

void metrics_strata_free(struct metrics_ctx *ctx)
{
	if (!ctx->strata)
		return;
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		free(ctx->strata->types[t].days);
		for (size_t i = 0; i < RATE_COUNT; i++)
			free(ctx->strata->types[t].events[i]);
	}
	free(ctx->strata);
	ctx->strata = NULL;
}

static bool strata_alloc(struct metrics_ctx *ctx)
{
	ctx->strata = calloc(1, sizeof *ctx->strata);
	if (!ctx->strata)
		return false;
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		struct strata_type *type = &ctx->strata->types[t];
		for (size_t i = 0; i < RATE_COUNT; i++)
			if (ctx->tab[standardized_metrics[i]][t][DIM_ADVOCATE] &&
			    metrics_table_standardized(standardized_metrics[i], (enum period_type)t,
			                               DIM_ADVOCATE))
				type->used = true;
		if (!type->used)
			continue;
		size_t n = sum_index(ctx->axes[t].period_count, 0, 0);
		type->days = calloc(n ? n : 1, sizeof *type->days);
		if (!type->days)
			return false;
		for (size_t i = 0; i < RATE_COUNT; i++) {
			type->events[i] = calloc(n ? n : 1, sizeof *type->events[i]);
			if (!type->events[i])
				return false;
		}
	}
	return true;
}

/* Days [start, end), all of one advocate group and stratum, into every
 * period they overlap. */
static void add_days(struct metrics_ctx *ctx, uint32_t advocate, uint32_t stratum, int32_t start,
                     int32_t end)
{
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		const struct strata_type *type = &ctx->strata->types[t];
		if (!type->used)
			continue;
		const int32_t *bounds = ctx->axes[t].bounds;
		uint32_t rows = ctx->axes[t].period_count;
		/* rows overlapping [start, end): its part of each */
		for (uint32_t r = metrics_row(ctx, (enum period_type)t, start);
		     r < rows && bounds[r] < end; r++)
			type->days[sum_index(r, advocate, stratum)] +=
			    (end < bounds[r + 1] ? end : bounds[r + 1]) -
			    (start > bounds[r] ? start : bounds[r]);
	}
}

static void add_event(struct metrics_ctx *ctx, size_t rate, int32_t day, uint32_t advocate,
                      uint32_t stratum)
{
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		const struct strata_type *type = &ctx->strata->types[t];
		if (type->used)
			type->events[rate][sum_index(metrics_row(ctx, (enum period_type)t, day),
			                             advocate, stratum)]++;
	}
}

/* Insertion sort: an episode has a handful of cut points, mostly in order
 * already (qsort's calls cost more than the sorting). */
static void sort_days(int32_t *days, size_t count)
{
	for (size_t i = 1; i < count; i++) {
		int32_t day = days[i];
		size_t j = i;
		for (; j > 0 && days[j - 1] > day; j--)
			days[j] = days[j - 1];
		days[j] = day;
	}
}

static void add_cut(struct metrics_buf *cuts, int32_t day, int32_t start, int32_t end)
{
	if (day > start && day < end)
		cuts->v[cuts->len++] = day;
}

/* Cuts the episode's days in care wherever the age band, the advocate or
 * the setting can change, and adds each piece to its stratum. */
static bool add_episode_days(struct metrics_ctx *ctx, const struct model_episode *episode,
                             const struct metrics_birthdays *birthdays, int32_t start, int32_t end,
                             struct metrics_buf *cuts)
{
	const struct model *model = ctx->model;
	const struct model_placement *pl = model->placements + episode->first_placement;
	const struct model_assignment *as = model->assignments + episode->first_assignment;
	cuts->len = 0;
	if (!metrics_buf_reserve(
	        cuts, 2 + METRICS_BAND_BIRTHDAYS +
	                  2 * ((size_t)episode->placement_count + episode->assignment_count)))
		return false;
	cuts->v[cuts->len++] = start;
	for (int i = 0; i < METRICS_BAND_BIRTHDAYS; i++)
		add_cut(cuts, birthdays->at[i], start, end);
	for (uint32_t i = 0; i < episode->placement_count; i++) {
		add_cut(cuts, pl[i].start_date, start, end);
		add_cut(cuts, pl[i].end_date, start, end);
	}
	for (uint32_t i = 0; i < episode->assignment_count; i++) {
		add_cut(cuts, as[i].start_date, start, end);
		add_cut(cuts, as[i].end_date, start, end);
	}
	cuts->v[cuts->len++] = end;
	sort_days(cuts->v, cuts->len);
	for (size_t i = 1; i < cuts->len; i++) {
		int32_t from = cuts->v[i - 1], to = cuts->v[i];
		if (from == to)
			continue;
		uint32_t stratum = stratum_of(metrics_band_on(birthdays, from),
		                              metrics_setting_on(model, episode, from));
		add_days(ctx, metrics_advocate_on(model, episode, from), stratum, from, to);
	}
	return true;
}

bool metrics_pass_strata(struct metrics_ctx *ctx)
{
	const struct model *model = ctx->model;
	struct metrics_buf cuts = {NULL, 0, 0}, moves = {NULL, 0, 0};
	struct metrics_birthdays birthdays = {{0, 0, 0, 0}};
	uint32_t last_child = UINT32_MAX;
	bool ok = false;
	if (!strata_alloc(ctx))
		goto fail;
	for (size_t e = ctx->episode_first; e < ctx->episode_last; e++) {
		const struct model_episode *episode = &model->episodes[e];
		if (episode->child != last_child) {
			metrics_birthdays_of(model->children[episode->child].birth_month,
			                     &birthdays);
			last_child = episode->child;
		}
		int32_t start = episode->removal_date;
		int32_t end = metrics_episode_end(ctx, episode);
		if (start >= end)
			continue; /* no day in care through as_of */
		if (!add_episode_days(ctx, episode, &birthdays, start, end, &cuts))
			goto fail;
		for (uint32_t i = 0; i < episode->missing_count; i++) {
			int32_t day = model->missing[episode->first_missing + i].begin_day;
			if (day < start || day >= end)
				continue; /* the model promises this never happens */
			add_event(ctx, 0, day, metrics_advocate_on(model, episode, day),
			          stratum_of(metrics_band_on(&birthdays, day),
			                     metrics_went_missing_from(model, episode, day)));
		}
		if (!metrics_episode_move_placements(model, episode, &moves))
			goto fail;
		const struct model_placement *pl = model->placements + episode->first_placement;
		for (size_t i = 0; i < moves.len; i++) {
			const struct model_placement *into = &pl[moves.v[i]];
			int32_t day = into->start_date;
			if (day < start || day >= end)
				continue;
			add_event(ctx, 1, day, metrics_advocate_on(model, episode, day),
			          stratum_of(metrics_band_on(&birthdays, day), into->setting));
		}
	}
	ok = true;
fail:
	free(cuts.v);
	free(moves.v);
	return ok;
}

void metrics_strata_merge(struct metrics_ctx *into, const struct metrics_ctx *from)
{
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		struct strata_type *to = &into->strata->types[t];
		const struct strata_type *add = &from->strata->types[t];
		if (!to->used)
			continue;
		/* the same axes, so the same layout */
		size_t n = sum_index(into->axes[t].period_count, 0, 0);
		for (size_t k = 0; k < n; k++) {
			to->days[k] += add->days[k];
			for (size_t i = 0; i < RATE_COUNT; i++)
				to->events[i][k] += add->events[i][k];
		}
	}
}

void metrics_strata_finish(struct metrics_ctx *ctx)
{
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		const struct strata_type *type = &ctx->strata->types[t];
		if (!type->used)
			continue;
		for (size_t i = 0; i < RATE_COUNT; i++) {
			struct metrics_table *table =
			    ctx->tab[standardized_metrics[i]][t][DIM_ADVOCATE];
			if (!table)
				continue;
			for (uint32_t r = 0; r < table->period_count; r++) {
				double expected[ADVOCATE_COUNT] = {0, 0};
				for (uint32_t s = 0; s < STRATA; s++) {
					int64_t days = 0, events = 0;
					for (uint32_t g = 0; g < ADVOCATE_COUNT; g++) {
						days += type->days[sum_index(r, g, s)];
						events += type->events[i][sum_index(r, g, s)];
					}
					if (days == 0)
						continue;
					for (uint32_t g = 0; g < ADVOCATE_COUNT; g++)
						expected[g] +=
						    (double)type->days[sum_index(r, g, s)] *
						    (double)events / (double)days;
				}
				for (uint32_t g = 0; g < ADVOCATE_COUNT; g++) {
					struct metrics_cell *cell =
					    &table->cells[(size_t)r * table->group_count + g];
					cell->expected = expected[g];
					cell->has_expected = true;
				}
			}
		}
	}
}
