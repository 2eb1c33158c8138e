/*
 * metrics_days.c — the days pass, every metric counted per day in care:
 * days in care per group (the denominators of
 * runaway_episodes_per_1000_days, copied to moves_per_1000_days_in_care),
 * placement moves (moves_per_1000_days_in_care), missing episodes per day
 * (runaway_episodes_per_1000_days), and the placement_moves_per_1000_days
 * entry cohort (docs/metrics.md).
 *
 * No day-by-day loop: an episode is cut into segments over which the group
 * of one dimension is constant (birthdays for age_band, assignment
 * boundaries for advocate, placement boundaries for setting, nothing for
 * the others), and each segment adds its whole day count to each period it
 * overlaps.
 */
#include "metrics_internal.h"

#include <stdlib.h>

/* CFSR round 4: the cohort keeps stays of at least 8 days. */
#define COHORT_MIN_DAYS 8
/* Observation stops at the 18th birthday (SPEC §4): METRICS_BIRTHDAY_18. */

/* Scratch of the pass, reused across episodes. */
struct days_scratch {
	struct metrics_buf points;   /* setting segmentation cut points */
	struct metrics_buf assigned; /* merged assignment runs, start/end pairs */
	struct metrics_buf moves;    /* move dates of the episode */
};

/* The days of [start, end) that fall in period r of the axis. */
static int32_t days_in_period(const struct metrics_axis *axis, uint32_t r, int32_t start,
                              int32_t end)
{
	int32_t from = start > axis->bounds[r] ? start : axis->bounds[r];
	int32_t to = end < axis->bounds[r + 1] ? end : axis->bounds[r + 1];
	return to - from;
}

/* Adds the days of [start, end) to the cells of (metric, dim, group), for
 * every period type, walking only the periods the segment overlaps. */
static void add_segment(struct metrics_ctx *ctx, enum metric_id metric, enum dim dim,
                        uint32_t group, int32_t start, int32_t end, uint32_t child)
{
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		if (!ctx->tab[metric][t][dim])
			continue;
		const struct metrics_axis *axis = &ctx->axes[t];
		for (uint32_t r = metrics_row(ctx, (enum period_type)t, start);
		     r < axis->period_count && axis->bounds[r] < end; r++)
			metrics_cell_add(ctx, metric, (enum period_type)t, dim, r, group, 0,
			                 days_in_period(axis, r, start, end), child);
	}
}

/* The dimensions constant over an episode, walked once per period type. */
static void add_constant_segment(struct metrics_ctx *ctx, enum metric_id metric,
                                 const uint32_t groups[DIM_COUNT], int32_t start, int32_t end,
                                 uint32_t child)
{
	static const enum dim constant_dims[] = {DIM_TOTAL, DIM_COUNTY, DIM_SEX,
	                                         DIM_RACE_ETHNICITY};
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		if (!ctx->tab[metric][t][DIM_TOTAL])
			continue;
		const struct metrics_axis *axis = &ctx->axes[t];
		for (uint32_t r = metrics_row(ctx, (enum period_type)t, start);
		     r < axis->period_count && axis->bounds[r] < end; r++) {
			int32_t days = days_in_period(axis, r, start, end);
			for (size_t i = 0; i < CASA_ARRAY_LEN(constant_dims); i++)
				metrics_cell_add(ctx, metric, (enum period_type)t, constant_dims[i],
				                 r, groups[constant_dims[i]], 0, days, child);
		}
	}
}

static void add_age_segments(struct metrics_ctx *ctx, enum metric_id metric,
                             const struct metrics_birthdays *birthdays, int32_t start, int32_t end,
                             uint32_t child)
{
	int32_t from = start;
	uint32_t band = metrics_band_on(birthdays, start);
	while (from < end) {
		int32_t to = band < METRICS_BAND_BIRTHDAYS && birthdays->at[band] < end
		                 ? birthdays->at[band]
		                 : end;
		add_segment(ctx, metric, DIM_AGE_BAND, band, from, to, child);
		from = to;
		band++;
	}
}

/* Merges the episode's assignments, clipped to [start, end), into runs
 * (start/end pairs in buf). */
static bool merge_assignments(const struct model *model, const struct model_episode *episode,
                              int32_t start, int32_t end, struct metrics_buf *buf)
{
	buf->len = 0;
	if (!metrics_buf_reserve(buf, 2 * (size_t)episode->assignment_count))
		return false;
	const struct model_assignment *a = model->assignments + episode->first_assignment;
	for (uint32_t i = 0; i < episode->assignment_count; i++) {
		int32_t from = a[i].start_date > start ? a[i].start_date : start;
		int32_t to = a[i].end_date < end ? a[i].end_date : end;
		if (from >= to)
			continue;
		/* Sorted by start: extend the last run when they touch. */
		if (buf->len && from <= buf->v[buf->len - 1]) {
			if (to > buf->v[buf->len - 1])
				buf->v[buf->len - 1] = to;
			continue;
		}
		buf->v[buf->len++] = from;
		buf->v[buf->len++] = to;
	}
	return true;
}

static void add_advocate_segments(struct metrics_ctx *ctx, enum metric_id metric,
                                  const struct metrics_buf *runs, int32_t start, int32_t end,
                                  uint32_t child)
{
	int32_t from = start;
	for (size_t i = 0; i < runs->len; i += 2) {
		if (runs->v[i] > from)
			add_segment(ctx, metric, DIM_ADVOCATE, ADVOCATE_NOT_ASSIGNED, from,
			            runs->v[i], child);
		add_segment(ctx, metric, DIM_ADVOCATE, ADVOCATE_ASSIGNED, runs->v[i],
		            runs->v[i + 1], child);
		from = runs->v[i + 1];
	}
	if (from < end)
		add_segment(ctx, metric, DIM_ADVOCATE, ADVOCATE_NOT_ASSIGNED, from, end, child);
}

static int compare_day(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* Cuts [start, end) at every placement boundary and adds each run of equal
 * setting (the later placement wins overlapping days). */
static bool add_setting_segments(struct metrics_ctx *ctx, enum metric_id metric,
                                 const struct model_episode *episode, int32_t start, int32_t end,
                                 uint32_t child, struct metrics_buf *points)
{
	const struct model *model = ctx->model;
	const struct model_placement *pl = model->placements + episode->first_placement;
	points->len = 0;
	if (!metrics_buf_reserve(points, 2 + 2 * (size_t)episode->placement_count))
		return false;
	points->v[points->len++] = start;
	bool sorted = true; /* usual case: placements follow one another */
	for (uint32_t i = 0; i < episode->placement_count; i++) {
		int32_t cut[2] = {pl[i].start_date, pl[i].end_date};
		for (int k = 0; k < 2; k++) {
			if (cut[k] <= start || cut[k] >= end)
				continue;
			if (cut[k] < points->v[points->len - 1])
				sorted = false;
			points->v[points->len++] = cut[k];
		}
	}
	points->v[points->len++] = end;
	if (!sorted)
		qsort(points->v, points->len, sizeof *points->v, compare_day);

	int32_t run_start = start;
	uint32_t run_setting = metrics_setting_on(model, episode, start);
	for (size_t i = 1; i < points->len; i++) {
		int32_t from = points->v[i - 1], to = points->v[i];
		if (from == to)
			continue;
		uint32_t setting = metrics_setting_on(model, episode, from);
		if (setting != run_setting) {
			add_segment(ctx, metric, DIM_SETTING, run_setting, run_start, from, child);
			run_start = from;
			run_setting = setting;
		}
	}
	add_segment(ctx, metric, DIM_SETTING, run_setting, run_start, end, child);
	return true;
}

static bool is_assigned_in(const struct metrics_buf *runs, int32_t day)
{
	for (size_t i = 0; i < runs->len; i += 2) {
		if (runs->v[i] <= day && day < runs->v[i + 1])
			return true;
	}
	return false;
}

/* Assigned days of the runs inside [start, end). */
static int32_t assigned_days_in(const struct metrics_buf *runs, int32_t start, int32_t end)
{
	int32_t days = 0;
	for (size_t i = 0; i < runs->len; i += 2) {
		int32_t from = runs->v[i] > start ? runs->v[i] : start;
		int32_t to = runs->v[i + 1] < end ? runs->v[i + 1] : end;
		if (from < to)
			days += to - from;
	}
	return days;
}

/* placement_moves_per_1000_days: the episode is in the cohort of the year
 * and fiscal year of its removal. */
static void add_entry_cohort(struct metrics_ctx *ctx, const struct model_episode *episode,
                             uint32_t child, const uint32_t groups_at_removal[DIM_COUNT],
                             const struct metrics_birthdays *birthdays,
                             const struct days_scratch *scratch)
{
	const enum metric_id metric = METRIC_PLACEMENT_MOVES_PER_1000_DAYS;
	int32_t removal = episode->removal_date;
	int32_t end = metrics_episode_end(ctx, episode);
	int32_t adult = birthdays->at[METRICS_BIRTHDAY_18];
	if (removal >= adult || end - removal < COHORT_MIN_DAYS)
		return;
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		if (!ctx->tab[metric][t][DIM_TOTAL])
			continue;
		uint32_t row = metrics_row(ctx, (enum period_type)t, removal);
		int32_t stop = end;
		if (adult < stop)
			stop = adult;
		if (ctx->axes[t].bounds[row + 1] < stop)
			stop = ctx->axes[t].bounds[row + 1];
		int64_t moves[ADVOCATE_COUNT] = {0, 0};
		for (size_t i = 0; i < scratch->moves.len; i++) {
			int32_t day = scratch->moves.v[i];
			if (day >= removal && day < stop)
				moves[is_assigned_in(&scratch->assigned, day)
				          ? ADVOCATE_ASSIGNED
				          : ADVOCATE_NOT_ASSIGNED]++;
		}
		int64_t days[ADVOCATE_COUNT];
		days[ADVOCATE_ASSIGNED] = assigned_days_in(&scratch->assigned, removal, stop);
		days[ADVOCATE_NOT_ASSIGNED] = (stop - removal) - days[ADVOCATE_ASSIGNED];
		for (int d = 0; d < DIM_COUNT; d++) {
			if (!ctx->tab[metric][t][d] || d == DIM_ADVOCATE)
				continue;
			metrics_cell_add(ctx, metric, (enum period_type)t, (enum dim)d, row,
			                 groups_at_removal[d], moves[0] + moves[1], stop - removal,
			                 child);
		}
		for (uint32_t a = 0; a < ADVOCATE_COUNT; a++) {
			if (days[a] > 0 || moves[a] > 0)
				metrics_cell_add(ctx, metric, (enum period_type)t, DIM_ADVOCATE,
				                 row, a, moves[a], days[a], child);
		}
	}
}

/* Moves dated on days in care add to the numerators of
 * moves_per_1000_days_in_care; no stamp: the move's day in care already
 * counts the child in the same cell (copied in metrics.c). */
static void add_moves(struct metrics_ctx *ctx, const struct model_episode *episode,
                      uint32_t groups[DIM_COUNT], const struct metrics_birthdays *birthdays,
                      const struct days_scratch *scratch)
{
	const enum metric_id metric = METRIC_MOVES_PER_1000_DAYS_IN_CARE;
	int32_t end = metrics_episode_end(ctx, episode);
	for (size_t i = 0; i < scratch->moves.len; i++) {
		int32_t day = scratch->moves.v[i];
		if (day < episode->removal_date || day >= end)
			continue;
		groups[DIM_AGE_BAND] = metrics_band_on(birthdays, day);
		groups[DIM_ADVOCATE] = is_assigned_in(&scratch->assigned, day)
		                           ? ADVOCATE_ASSIGNED
		                           : ADVOCATE_NOT_ASSIGNED;
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
			uint32_t row = metrics_row(ctx, (enum period_type)t, day);
			for (int d = 0; d < DIM_COUNT; d++) {
				struct metrics_table *table = ctx->tab[metric][t][d];
				if (table)
					table->cells[(size_t)row * table->group_count + groups[d]]
					    .numerator++;
			}
		}
	}
}

/* Missing episodes beginning on a day in care: numerators of
 * runaway_episodes_per_1000_days, in the group of their begin day. */
static void add_missing_events(struct metrics_ctx *ctx, const struct model_episode *episode,
                               uint32_t child, uint32_t groups[DIM_COUNT],
                               const struct metrics_birthdays *birthdays,
                               const struct days_scratch *scratch)
{
	const struct model *model = ctx->model;
	int32_t end = metrics_episode_end(ctx, episode);
	for (uint32_t i = 0; i < episode->missing_count; i++) {
		int32_t day = model->missing[episode->first_missing + i].begin_day;
		if (day < episode->removal_date || day >= end)
			continue; /* the model promises this never happens */
		groups[DIM_AGE_BAND] = metrics_band_on(birthdays, day);
		groups[DIM_ADVOCATE] = is_assigned_in(&scratch->assigned, day)
		                           ? ADVOCATE_ASSIGNED
		                           : ADVOCATE_NOT_ASSIGNED;
		groups[DIM_SETTING] = metrics_went_missing_from(model, episode, day);
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
			uint32_t row = metrics_row(ctx, (enum period_type)t, day);
			for (int d = 0; d < DIM_COUNT; d++)
				if (ctx->tab[METRIC_RUNAWAY_EPISODES_PER_1000_DAYS][t][d])
					metrics_cell_add(ctx, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
					                 (enum period_type)t, (enum dim)d, row,
					                 groups[d], 1, 0, child);
		}
	}
}

bool metrics_pass_days(struct metrics_ctx *ctx)
{
	const struct model *model = ctx->model;
	const enum metric_id days_metric = METRIC_RUNAWAY_EPISODES_PER_1000_DAYS;
	struct days_scratch scratch = {{NULL, 0, 0}, {NULL, 0, 0}, {NULL, 0, 0}};
	uint32_t last_child = UINT32_MAX;
	struct metrics_birthdays birthdays = {{0, 0, 0, 0}};

	for (size_t e = ctx->episode_first; e < ctx->episode_last; e++) {
		const struct model_episode *episode = &model->episodes[e];
		uint32_t child = episode->child;
		const struct model_child *kid = &model->children[child];
		if (child != last_child) {
			metrics_birthdays_of(kid->birth_month, &birthdays);
			last_child = child;
		}
		int32_t start = episode->removal_date;
		int32_t end = metrics_episode_end(ctx, episode);
		if (start >= end)
			continue; /* no day in care through as_of */
		uint32_t groups[DIM_COUNT] = {0};
		groups[DIM_COUNTY] = episode->county;
		groups[DIM_SEX] = kid->sex;
		groups[DIM_RACE_ETHNICITY] = kid->race;

		if (!merge_assignments(model, episode, start, end, &scratch.assigned) ||
		    !metrics_episode_moves(model, episode, &scratch.moves))
			goto fail;
		add_constant_segment(ctx, days_metric, groups, start, end, child);
		add_age_segments(ctx, days_metric, &birthdays, start, end, child);
		add_advocate_segments(ctx, days_metric, &scratch.assigned, start, end, child);
		if (!add_setting_segments(ctx, days_metric, episode, start, end, child,
		                          &scratch.points))
			goto fail;
		add_moves(ctx, episode, groups, &birthdays, &scratch);
		add_missing_events(ctx, episode, child, groups, &birthdays, &scratch);

		/* Entry cohort (its own tables, every dim): age at removal;
		 * advocate split per day. */
		groups[DIM_AGE_BAND] = metrics_band_on(&birthdays, start);
		add_entry_cohort(ctx, episode, child, groups, &birthdays, &scratch);
	}
	free(scratch.points.v);
	free(scratch.assigned.v);
	free(scratch.moves.v);
	return true;
fail:
	free(scratch.points.v);
	free(scratch.assigned.v);
	free(scratch.moves.v);
	return false;
}
