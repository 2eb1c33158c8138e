/*
 * metrics_events.c — the missing pass (episode-based runaway metrics, the
 * two quantiles, runaway discharges, the 12-month entry cohort) and the
 * child pass (the child-based metrics: two_or_fewer_placements_pct,
 * youth_with_runaway_pct, repeat_runaway_pct, still_missing_count).
 * The reading of every rule is docs/metrics.md.
 */
#include "metrics_internal.h"

#include <stdlib.h>
#include <string.h>

#define SECONDS_PER_DAY 86400
/* returned_within_7_days_pct: 7 days, 168 hours (SPEC §4). */
#define RETURN_WINDOW_DAYS 7
#define RETURN_WINDOW_S    (168 * 3600)
/* 42 U.S.C. 671(a)(35)(B): report within 24 hours after receiving it. */
#define REPORT_WINDOW_S (24 * 3600)
/* Illinois CFRC indicator: runaway within 12 months (365 days) of entry,
 * stays of more than 7 days, youth 12-17 at removal (the 12th and 18th
 * birthdays of struct metrics_birthdays). */
#define ENTRY_WINDOW_DAYS 365
#define ENTRY_MIN_DAYS    8
/* two_or_fewer_placements_pct length-of-stay bands (CFSR round 2). */
#define LOS_MIN_DAYS 8
#define LOS_12M_DAYS 365
#define LOS_24M_DAYS 730
/* "Youth" of youth_with_runaway_pct: 12 or older on the reference day,
 * i.e. on or after the 12th birthday (METRICS_BIRTHDAY_12). */

/* ---- missing pass ---- */

/* A returned missing episode, for the quantile pass. */
struct quantile_item {
	int64_t duration_s; /* returned_at - went_missing_at */
	uint32_t episode;   /* index into model.episodes */
	uint32_t missing;   /* index into model.missing */
};

static int compare_item(const void *a, const void *b)
{
	const struct quantile_item *x = a, *y = b;
	if (x->duration_s != y->duration_s)
		return x->duration_s < y->duration_s ? -1 : 1;
	return (x->missing > y->missing) - (x->missing < y->missing);
}

/* t0 <= report <= t0 + 24 h; a missing report (TS_NONE) is not timely. */
static bool reported_in_time(int64_t t0, int64_t report)
{
	return report != TS_NONE && report >= t0 && report - t0 <= REPORT_WINDOW_S;
}

/* Groups of a missing episode: those of its begin day, the setting it went
 * missing from. */
static void missing_groups(const struct metrics_ctx *ctx, const struct model_episode *episode,
                           const struct metrics_birthdays *birthdays,
                           const struct model_missing *missing, uint32_t groups[DIM_COUNT])
{
	const struct model *model = ctx->model;
	const struct model_child *kid = &model->children[episode->child];
	groups[DIM_TOTAL] = 0;
	groups[DIM_COUNTY] = episode->county;
	groups[DIM_AGE_BAND] = metrics_band_on(birthdays, missing->begin_day);
	groups[DIM_SEX] = kid->sex;
	groups[DIM_RACE_ETHNICITY] = kid->race;
	groups[DIM_ADVOCATE] = metrics_advocate_on(model, episode, missing->begin_day);
	groups[DIM_LOS_BAND] = 0;
	groups[DIM_SETTING] = metrics_went_missing_from(model, episode, missing->begin_day);
}

static void add_missing(struct metrics_ctx *ctx, const struct model_episode *episode,
                        const struct metrics_birthdays *birthdays,
                        const struct model_missing *missing, uint32_t child)
{
	uint32_t groups[DIM_COUNT];
	missing_groups(ctx, episode, birthdays, missing, groups);
	bool returned = missing->returned_at != TS_NONE && missing->end_day != DATE_OPEN;
	int64_t duration = returned ? missing->returned_at - missing->went_missing_at : 0;
	int64_t t0 = missing->agency_informed_at != TS_NONE ? missing->agency_informed_at
	                                                    : missing->went_missing_at;
	bool screened = returned && missing->screened_at != TS_NONE &&
	                missing->screened_at >= missing->returned_at &&
	                missing->screened_at - missing->returned_at <= ctx->screening_window_s;
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		enum period_type type = (enum period_type)t;
		uint32_t begin_row = metrics_row(ctx, type, missing->begin_day);
		/* Only begins that have had 7 days to end by as_of. */
		if (missing->begin_day <= ctx->as_of - RETURN_WINDOW_DAYS)
			metrics_add_groups(ctx, METRIC_RETURNED_WITHIN_7_DAYS_PCT, type, begin_row,
			                   groups, returned && duration <= RETURN_WINDOW_S, 1,
			                   child);
		metrics_add_groups(ctx, METRIC_REPORTED_LE_24H_PCT, type, begin_row, groups,
		                   reported_in_time(t0, missing->reported_le_at), 1, child);
		metrics_add_groups(ctx, METRIC_REPORTED_NCMEC_24H_PCT, type, begin_row, groups,
		                   reported_in_time(t0, missing->reported_ncmec_at), 1, child);
		if (!returned)
			continue;
		uint32_t end_row = metrics_row(ctx, type, missing->end_day);
		metrics_add_groups(ctx, METRIC_DAYS_MISSING_MEDIAN, type, end_row, groups, 0, 1,
		                   child);
		metrics_add_groups(ctx, METRIC_DAYS_MISSING_P90, type, end_row, groups, 0, 1,
		                   child);
		metrics_add_groups(ctx, METRIC_SCREENED_AFTER_RETURN_PCT, type, end_row, groups,
		                   screened, 1, child);
		if (screened)
			metrics_add_groups(ctx, METRIC_SCREENED_POSITIVE_PCT, type, end_row, groups,
			                   missing->screen_result == SCREEN_POSITIVE, 1, child);
	}
}

/* runaway_discharges_pct: age on the discharge day; setting and advocate of
 * the last day in care. */
static void add_discharge(struct metrics_ctx *ctx, const struct model_episode *episode,
                          const struct metrics_birthdays *birthdays, uint32_t child)
{
	const struct model *model = ctx->model;
	const struct model_child *kid = &model->children[child];
	int32_t day = episode->discharge_date;
	if (day == DATE_OPEN || day > ctx->as_of)
		return;
	uint32_t groups[DIM_COUNT] = {0};
	groups[DIM_COUNTY] = episode->county;
	groups[DIM_AGE_BAND] = metrics_band_on(birthdays, day);
	groups[DIM_SEX] = kid->sex;
	groups[DIM_RACE_ETHNICITY] = kid->race;
	groups[DIM_ADVOCATE] = metrics_advocate_on(model, episode, day - 1);
	groups[DIM_SETTING] = metrics_setting_on(model, episode, day - 1);
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
		metrics_add_groups(ctx, METRIC_RUNAWAY_DISCHARGES_PCT, (enum period_type)t,
		                   metrics_row(ctx, (enum period_type)t, day), groups,
		                   episode->discharge_reason == REASON_RUNAWAY, 1, child);
}

/* runaway_within_12m_of_entry_pct for one episode. */
static void add_entry_runaway(struct metrics_ctx *ctx, const struct model_episode *episode,
                              const struct metrics_birthdays *birthdays, uint32_t child)
{
	const struct model *model = ctx->model;
	const struct model_child *kid = &model->children[child];
	int32_t removal = episode->removal_date;
	/* Aged 12-17 at removal. */
	if (removal < birthdays->at[METRICS_BIRTHDAY_12] ||
	    removal >= birthdays->at[METRICS_BIRTHDAY_18])
		return;
	if (metrics_episode_end(ctx, episode) - removal < ENTRY_MIN_DAYS)
		return;
	int32_t window_end = removal + ENTRY_WINDOW_DAYS;
	if (episode->discharge_date < window_end)
		window_end = episode->discharge_date;
	/* Windows still open at as_of would bias recent cohorts: left out. */
	if (window_end > ctx->as_of + 1)
		return;
	bool ran = false;
	for (uint32_t i = 0; i < episode->missing_count && !ran; i++) {
		int32_t day = model->missing[episode->first_missing + i].begin_day;
		ran = day >= removal && day < window_end;
	}
	bool assigned = false;
	const struct model_assignment *a = model->assignments + episode->first_assignment;
	for (uint32_t i = 0; i < episode->assignment_count && !assigned; i++)
		assigned = a[i].start_date < window_end && a[i].end_date > removal;
	uint32_t groups[DIM_COUNT] = {0};
	groups[DIM_COUNTY] = episode->county;
	groups[DIM_AGE_BAND] = metrics_band_on(birthdays, removal);
	groups[DIM_SEX] = kid->sex;
	groups[DIM_RACE_ETHNICITY] = kid->race;
	groups[DIM_ADVOCATE] = assigned ? ADVOCATE_ASSIGNED : ADVOCATE_NOT_ASSIGNED;
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		if (!ctx->tab[METRIC_RUNAWAY_WITHIN_12M_OF_ENTRY_PCT][t][DIM_TOTAL])
			continue;
		metrics_add_groups(ctx, METRIC_RUNAWAY_WITHIN_12M_OF_ENTRY_PCT, (enum period_type)t,
		                   metrics_row(ctx, (enum period_type)t, removal), groups, ran, 1,
		                   child);
	}
}

/* Quantiles: visit returned missing episodes by ascending duration and
 * pick, per cell, the ranks the statistic needs (the denominator n of the
 * cell is already known). The stamps of the median tables count the
 * episodes seen per cell. */
static void fill_quantiles(struct metrics_ctx *ctx, const struct quantile_item *items, size_t count)
{
	const struct model *model = ctx->model;
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
		for (int d = 0; d < DIM_COUNT; d++)
			if (ctx->tab[METRIC_DAYS_MISSING_MEDIAN][t][d]) {
				const struct metrics_table *table =
				    ctx->tab[METRIC_DAYS_MISSING_MEDIAN][t][d];
				memset(ctx->stamp[METRIC_DAYS_MISSING_MEDIAN][t][d], 0,
				       (size_t)table->period_count * table->group_count *
				           sizeof(uint32_t));
			}
	for (size_t i = 0; i < count; i++) {
		const struct model_episode *episode = &model->episodes[items[i].episode];
		const struct model_missing *missing = &model->missing[items[i].missing];
		uint32_t groups[DIM_COUNT];
		struct metrics_birthdays birthdays;
		metrics_birthdays_of(model->children[episode->child].birth_month, &birthdays);
		missing_groups(ctx, episode, &birthdays, missing, groups);
		int64_t value = items[i].duration_s;
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
			uint32_t row = metrics_row(ctx, (enum period_type)t, missing->end_day);
			for (int d = 0; d < DIM_COUNT; d++) {
				struct metrics_table *median =
				    ctx->tab[METRIC_DAYS_MISSING_MEDIAN][t][d];
				struct metrics_table *p90 = ctx->tab[METRIC_DAYS_MISSING_P90][t][d];
				if (!median)
					continue;
				size_t c = (size_t)row * median->group_count + groups[d];
				int64_t n = median->cells[c].denominator;
				int64_t rank = ++ctx->stamp[METRIC_DAYS_MISSING_MEDIAN][t][d][c];
				/* Median: ranks (n+1)/2 and n/2+1 (the same one for odd
				 * n), summed: twice the statistic. */
				if (rank == (n + 1) / 2)
					median->cells[c].quantile_2s += value;
				if (rank == n / 2 + 1)
					median->cells[c].quantile_2s += value;
				/* p90, nearest rank: ceil(0.9 n) = (9n + 9) / 10. */
				if (rank == (9 * n + 9) / 10)
					p90->cells[c].quantile_2s = 2 * value;
			}
		}
	}
}

bool metrics_pass_missing(struct metrics_ctx *ctx)
{
	const struct model *model = ctx->model;
	struct quantile_item *items = NULL;
	size_t item_count = 0;
	struct metrics_birthdays birthdays = {{0, 0, 0, 0}};
	uint32_t last_child = UINT32_MAX;
	if (model->missing_count) {
		items = malloc(model->missing_count * sizeof *items);
		if (!items)
			goto fail;
	}
	for (size_t e = 0; e < model->episode_count; e++) {
		const struct model_episode *episode = &model->episodes[e];
		uint32_t child = episode->child;
		int32_t end = metrics_episode_end(ctx, episode);
		if (child != last_child) {
			metrics_birthdays_of(model->children[child].birth_month, &birthdays);
			last_child = child;
		}
		for (uint32_t i = 0; i < episode->missing_count; i++) {
			const struct model_missing *missing =
			    &model->missing[episode->first_missing + i];
			/* The model promises begin on a day in care and end >= begin. */
			if (missing->begin_day < episode->removal_date || missing->begin_day >= end)
				continue;
			add_missing(ctx, episode, &birthdays, missing, child);
			if (missing->returned_at != TS_NONE && missing->end_day != DATE_OPEN) {
				items[item_count].duration_s =
				    missing->returned_at - missing->went_missing_at;
				items[item_count].episode = (uint32_t)e;
				items[item_count].missing = episode->first_missing + i;
				item_count++;
			}
		}
		add_discharge(ctx, episode, &birthdays, child);
		add_entry_runaway(ctx, episode, &birthdays, child);
	}
	if (item_count)
		qsort(items, item_count, sizeof *items, compare_item);
	fill_quantiles(ctx, items, item_count);
	free(items);
	return true;
fail:
	free(items);
	return false;
}

/* ---- child pass ---- */

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
		if (episode->removal_date > r)
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
	for (size_t first = 0; first < model->episode_count;) {
		uint32_t child = model->episodes[first].child;
		size_t last = first + 1;
		while (last < model->episode_count && model->episodes[last].child == child)
			last++;
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
		first = last;
	}
	child_scratch_free(&s);
	return true;
fail:
	child_scratch_free(&s);
	return false;
}
