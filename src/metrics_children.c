/*
 * metrics_children.c — the child pass, every metric that counts children
 * once per period: two_or_fewer_placements_pct, youth_with_runaway_pct,
 * repeat_runaway_pct, still_missing_count, advocate_reach_pct, and
 * trafficking_identified_per_1000_served (children served, and the
 * identifications over them: one pass, so a cell counts each child once).
 * Each child's episodes are walked together, one period type at a time.
 * The reading of every rule is docs/metrics.md.
 */
#include "metrics_internal.h"

#include <stdlib.h>
#include <string.h>

/* two_or_fewer_placements_pct length-of-stay bands (CFSR round 2). */
#define LOS_MIN_DAYS 8
#define LOS_12M_DAYS 365
#define LOS_24M_DAYS 730
/* "Youth" of youth_with_runaway_pct: 12 or older on the reference day,
 * i.e. on or after the 12th birthday (METRICS_BIRTHDAY_12). */

/* What one child did in one period row. */
struct child_row {
	uint32_t stamp;       /* child + 1 when the fields belong to this child */
	int32_t ref_day;      /* last day in care in the period (served) */
	uint32_t ref_episode; /* episode in care on ref_day (latest in order) */
	uint32_t latest;      /* latest episode served (greatest removal, key) */
	uint32_t begins;      /* missing episodes beginning in the period */
	bool served;          /* >= 1 day in care in the period */
	bool assigned;        /* an assignment covered one of those days */
	bool still_missing;   /* missing at the reference date r = pe' */
};

struct child_scratch {
	struct child_row *rows[PERIOD_TYPE_COUNT]; /* per row of each period type */
	uint32_t *touched[PERIOD_TYPE_COUNT];      /* rows used by the child */
	uint32_t touched_count[PERIOD_TYPE_COUNT]; /* entries in touched */
	struct metrics_buf moves;                  /* move dates, all episodes */
	uint32_t *move_offset;                     /* per episode of the child, +1 */
	size_t move_offset_cap;                    /* allocated entries */
	struct metrics_birthdays birthdays;        /* of the child */
};

static struct child_row *touch(struct child_scratch *s, enum period_type type, uint32_t row,
                               uint32_t child)
{
	struct child_row *cr = &s->rows[type][row];
	if (cr->stamp != child + 1) {
		memset(cr, 0, sizeof *cr);
		cr->stamp = child + 1;
		s->touched[type][s->touched_count[type]++] = row;
	}
	return cr;
}

static uint32_t los_band_of(int32_t los)
{
	if (los < LOS_12M_DAYS)
		return LOS_LT12M;
	if (los < LOS_24M_DAYS)
		return LOS_12TO24M;
	return LOS_24MPLUS;
}

/* Walks one child's episodes (first..last-1) for one period type. */
static void collect_rows(struct metrics_ctx *ctx, struct child_scratch *s, enum period_type type,
                         uint32_t child, size_t first, size_t last)
{
	const struct model *model = ctx->model;
	const struct metrics_axis *axis = &ctx->axes[type];
	for (size_t e = first; e < last; e++) {
		const struct model_episode *episode = &model->episodes[e];
		int32_t start = episode->removal_date;
		int32_t end = metrics_episode_end(ctx, episode);
		if (start >= end)
			continue;
		for (uint32_t r = metrics_row(ctx, type, start);
		     r < axis->period_count && axis->bounds[r] < end; r++) {
			struct child_row *cr = touch(s, type, r, child);
			int32_t last_day =
			    (end < axis->bounds[r + 1] ? end : axis->bounds[r + 1]) - 1;
			if (!cr->served || last_day >= cr->ref_day) {
				cr->ref_day = last_day;
				cr->ref_episode = (uint32_t)e;
			}
			cr->served = true;
			cr->latest = (uint32_t)e;
		}
		const struct model_assignment *a = model->assignments + episode->first_assignment;
		for (uint32_t i = 0; i < episode->assignment_count; i++) {
			int32_t from = a[i].start_date > start ? a[i].start_date : start;
			int32_t to = a[i].end_date < end ? a[i].end_date : end;
			for (uint32_t r = from < to ? metrics_row(ctx, type, from)
			                            : axis->period_count;
			     r < axis->period_count && axis->bounds[r] < to; r++)
				touch(s, type, r, child)->assigned = true;
		}
		for (uint32_t i = 0; i < episode->missing_count; i++) {
			const struct model_missing *m = &model->missing[episode->first_missing + i];
			if (m->begin_day < start || m->begin_day >= end)
				continue;
			touch(s, type, metrics_row(ctx, type, m->begin_day), child)->begins++;
			/* Still missing at r = min(pe, as_of) while begin <= r < end day. */
			int32_t back = m->returned_at != TS_NONE ? m->end_day : DATE_OPEN;
			for (uint32_t r = metrics_row(ctx, type, m->begin_day);
			     r < axis->period_count; r++) {
				int32_t ref = axis->bounds[r + 1] - 1;
				if (ref > ctx->as_of)
					ref = ctx->as_of;
				if (ref >= back)
					break;
				touch(s, type, r, child)->still_missing = true;
			}
		}
	}
}

/* Reference day of a still-missing child not served in the period: its
 * last day in care on or before r. */
static void last_day_before(const struct metrics_ctx *ctx, size_t first, size_t last, int32_t r,
                            int32_t *day, uint32_t *episode_index)
{
	const struct model *model = ctx->model;
	*day = INT32_MIN;
	*episode_index = (uint32_t)first;
	for (size_t e = first; e < last; e++) {
		const struct model_episode *episode = &model->episodes[e];
		/* a same-day episode has no day in care to be one */
		if (episode->removal_date > r ||
		    metrics_episode_end(ctx, episode) <= episode->removal_date)
			continue;
		int32_t d = metrics_episode_end(ctx, episode) - 1;
		if (d > r)
			d = r;
		if (d >= *day) {
			*day = d;
			*episode_index = (uint32_t)e;
		}
	}
}

static void child_groups(const struct metrics_ctx *ctx, uint32_t child,
                         const struct metrics_birthdays *birthdays, int32_t day,
                         uint32_t episode_index, bool assigned, uint32_t groups[DIM_COUNT])
{
	const struct model *model = ctx->model;
	const struct model_child *kid = &model->children[child];
	const struct model_episode *episode = &model->episodes[episode_index];
	groups[DIM_TOTAL] = 0;
	groups[DIM_COUNTY] = episode->county;
	groups[DIM_AGE_BAND] = metrics_band_on(birthdays, day);
	groups[DIM_SEX] = kid->sex;
	groups[DIM_RACE_ETHNICITY] = kid->race;
	groups[DIM_ADVOCATE] = assigned ? ADVOCATE_ASSIGNED : ADVOCATE_NOT_ASSIGNED;
	groups[DIM_LOS_BAND] = 0;
	groups[DIM_SETTING] = metrics_setting_on(model, episode, day);
}

/* advocate_reach_pct: whether an assignment of an episode in care on day
 * r covers r. */
static bool reached_on(const struct metrics_ctx *ctx, size_t first, size_t last, int32_t r)
{
	const struct model *model = ctx->model;
	for (size_t e = first; e < last; e++) {
		const struct model_episode *episode = &model->episodes[e];
		if (episode->removal_date <= r && r < metrics_episode_end(ctx, episode) &&
		    metrics_advocate_on(model, episode, r) == ADVOCATE_ASSIGNED)
			return true;
	}
	return false;
}

static void emit_row(struct metrics_ctx *ctx, struct child_scratch *s, enum period_type type,
                     uint32_t child, size_t first, size_t last, uint32_t row)
{
	const struct model *model = ctx->model;
	const struct child_row *cr = &s->rows[type][row];
	const struct metrics_axis *axis = &ctx->axes[type];
	uint32_t groups[DIM_COUNT];
	if (cr->served) {
		child_groups(ctx, child, &s->birthdays, cr->ref_day, cr->ref_episode, cr->assigned,
		             groups);
		/* Youth: 12 or older on the reference day. */
		if (cr->ref_day >= s->birthdays.at[METRICS_BIRTHDAY_12])
			metrics_add_groups_once(ctx, METRIC_YOUTH_WITH_RUNAWAY_PCT, type, row,
			                        groups, cr->begins >= 1, 1);
		if (cr->begins >= 1)
			metrics_add_groups_once(ctx, METRIC_REPEAT_RUNAWAY_PCT, type, row, groups,
			                        cr->begins >= 2, 1);

		const struct model_episode *latest = &model->episodes[cr->latest];
		int32_t stop = metrics_episode_end(ctx, latest);
		if (axis->bounds[row + 1] < stop)
			stop = axis->bounds[row + 1];
		int32_t los = stop - latest->removal_date;
		if (los >= LOS_MIN_DAYS) {
			uint32_t k = cr->latest - (uint32_t)first;
			int64_t moves = 0;
			for (uint32_t i = s->move_offset[k]; i < s->move_offset[k + 1]; i++)
				moves += s->moves.v[i] < stop;
			groups[DIM_LOS_BAND] = los_band_of(los);
			/* At most two placement settings: 1 + moves <= 2. */
			metrics_add_groups_once(ctx, METRIC_TWO_OR_FEWER_PLACEMENTS_PCT, type, row,
			                        groups, 1 + moves <= 2, 1);
		}
		/* In care on r = min(pe, as_of) exactly when the last day in care
		 * in the period is r; the groups of r are then those above. */
		int32_t r =
		    axis->bounds[row + 1] - 1 < ctx->as_of ? axis->bounds[row + 1] - 1 : ctx->as_of;
		if (cr->ref_day == r)
			metrics_add_groups_once(ctx, METRIC_ADVOCATE_REACH_PCT, type, row, groups,
			                        reached_on(ctx, first, last, r), 1);
		/* Stamped: the child's identifications add to the same cells. */
		metrics_add_groups(ctx, METRIC_TRAFFICKING_IDENTIFIED_PER_1000_SERVED, type, row,
		                   groups, 0, 1, child);
	}
	if (cr->still_missing) {
		int32_t r = axis->bounds[row + 1] - 1;
		if (r > ctx->as_of)
			r = ctx->as_of;
		if (cr->served) {
			/* The last day in care in the period is the one before r. */
			child_groups(ctx, child, &s->birthdays, cr->ref_day, cr->ref_episode,
			             cr->assigned, groups);
		} else {
			int32_t day;
			uint32_t episode_index;
			last_day_before(ctx, first, last, r, &day, &episode_index);
			child_groups(ctx, child, &s->birthdays, day, episode_index,
			             metrics_advocate_on(model, &model->episodes[episode_index],
			                                 day) == ADVOCATE_ASSIGNED,
			             groups);
		}
		metrics_add_groups_once(ctx, METRIC_STILL_MISSING_COUNT, type, row, groups, 1, 0);
	}
}

/* trafficking_identified_per_1000_served numerators: the child's
 * identifications dated in the period, served in it or not. */
static void add_identifications(struct metrics_ctx *ctx, const struct metrics_birthdays *birthdays,
                                uint32_t child, size_t first, size_t last)
{
	const struct model *model = ctx->model;
	for (size_t e = first; e < last; e++) {
		const struct model_episode *episode = &model->episodes[e];
		for (uint32_t i = 0; i < episode->identification_count; i++) {
			const struct model_identification *identification =
			    &model->identifications[episode->first_identification + i];
			uint32_t groups[DIM_COUNT];
			metrics_identification_groups(ctx, episode, birthdays, identification,
			                              groups);
			for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
				uint32_t row;
				if (metrics_row_any(ctx, (enum period_type)t, identification->day,
				                    &row))
					metrics_add_groups(
					    ctx, METRIC_TRAFFICKING_IDENTIFIED_PER_1000_SERVED,
					    (enum period_type)t, row, groups, 1, 0, child);
			}
		}
	}
}

static void child_scratch_free(struct child_scratch *s)
{
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		free(s->rows[t]);
		free(s->touched[t]);
	}
	free(s->moves.v);
	free(s->move_offset);
}

/* Move dates of the child's episodes, in one buffer with offsets. */
static bool collect_moves(const struct model *model, struct child_scratch *s, size_t first,
                          size_t last)
{
	struct metrics_buf one = {NULL, 0, 0};
	size_t n = last - first;
	if (n + 1 > s->move_offset_cap) {
		uint32_t *offset = realloc(s->move_offset, (n + 1) * sizeof *offset);
		if (!offset)
			goto fail;
		s->move_offset = offset;
		s->move_offset_cap = n + 1;
	}
	s->moves.len = 0;
	for (size_t e = first; e < last; e++) {
		if (!metrics_episode_moves(model, &model->episodes[e], &one) ||
		    !metrics_buf_reserve(&s->moves, s->moves.len + one.len))
			goto fail;
		s->move_offset[e - first] = (uint32_t)s->moves.len;
		if (one.len)
			memcpy(s->moves.v + s->moves.len, one.v, one.len * sizeof *one.v);
		s->moves.len += one.len;
	}
	s->move_offset[n] = (uint32_t)s->moves.len;
	free(one.v);
	return true;
fail:
	free(one.v);
	return false;
}

bool metrics_pass_children(struct metrics_ctx *ctx)
{
	const struct model *model = ctx->model;
	struct child_scratch s;
	memset(&s, 0, sizeof s);
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		uint32_t n = ctx->axes[t].period_count;
		s.rows[t] = calloc(n, sizeof *s.rows[t]);
		s.touched[t] = malloc(n * sizeof *s.touched[t]);
		if (!s.rows[t] || !s.touched[t])
			goto fail;
	}
	for (size_t first = ctx->episode_first; first < ctx->episode_last;) {
		uint32_t child = model->episodes[first].child;
		size_t last = metrics_child_end(model, first);
		if (!collect_moves(model, &s, first, last))
			goto fail;
		metrics_birthdays_of(model->children[child].birth_month, &s.birthdays);
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
			enum period_type type = (enum period_type)t;
			s.touched_count[t] = 0;
			collect_rows(ctx, &s, type, child, first, last);
			for (uint32_t i = 0; i < s.touched_count[t]; i++)
				emit_row(ctx, &s, type, child, first, last, s.touched[t][i]);
		}
		add_identifications(ctx, &s.birthdays, child, first, last);
		first = last;
	}
	child_scratch_free(&s);
	return true;
fail:
	child_scratch_free(&s);
	return false;
}
