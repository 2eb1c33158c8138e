/*
 * metrics_events.c — the missing pass, every metric counted per event: the
 * episode-based runaway metrics (returned_within_7_days_pct, the reporting
 * and screening percentages), the two days_missing quantiles,
 * runaway_discharges_pct (per discharge), the
 * runaway_within_12m_of_entry_pct entry cohort (per episode) and
 * identified_after_missing_pct (per missing episode, against every
 * identification of its child).
 * The reading of every rule is docs/metrics.md.
 */
#include "metrics_internal.h"

#include <stdlib.h>

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
/* identified_after_missing_pct: identified within 30 days (720 hours) of
 * the return, counted once those 30 days have passed (docs/metrics.md). */
#define IDENTIFIED_WINDOW_DAYS 30
#define IDENTIFIED_WINDOW_S    (IDENTIFIED_WINDOW_DAYS * 24 * 3600)

/* The episodes of one child: model.episodes[first, last). */
struct child_episodes {
	size_t first; /* index of the child's first episode */
	size_t last;  /* one past its last */
};

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

/* Whether the child (any of its episodes) was identified as a trafficking
 * victim from the return to 30 days after it. */
static bool identified_after(const struct metrics_ctx *ctx, struct child_episodes range,
                             int64_t returned_at)
{
	const struct model *model = ctx->model;
	for (size_t e = range.first; e < range.last; e++) {
		const struct model_episode *episode = &model->episodes[e];
		const struct model_identification *i =
		    model->identifications + episode->first_identification;
		for (uint32_t k = 0; k < episode->identification_count; k++)
			if (i[k].identified_at >= returned_at &&
			    i[k].identified_at - returned_at <= IDENTIFIED_WINDOW_S)
				return true;
	}
	return false;
}

static void add_missing(struct metrics_ctx *ctx, const struct model_episode *episode,
                        const struct metrics_birthdays *birthdays,
                        const struct model_missing *missing, uint32_t child,
                        struct child_episodes range)
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
	/* Returns whose 30 days have passed by as_of. */
	bool identifiable = returned && missing->end_day <= ctx->as_of - IDENTIFIED_WINDOW_DAYS;
	bool identified = identifiable && identified_after(ctx, range, missing->returned_at);
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
		if (identifiable)
			metrics_add_groups(ctx, METRIC_IDENTIFIED_AFTER_MISSING_PCT, type, end_row,
			                   groups, identified, 1, child);
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
	/* Left out until its full 12 months have elapsed, even when an early
	 * discharge closed the window: counting the early leavers first would
	 * fill a recent cohort with short stays. */
	if (!metrics_12_months_elapsed(ctx, removal))
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

/* Quantiles: visit returned missing episodes by ascending duration
 * (metrics_quantile.c picks, per cell, the ranks of the statistic and of
 * its interval). */
static bool fill_quantiles(struct metrics_ctx *ctx, const struct quantile_item *items, size_t count)
{
	const struct model *model = ctx->model;
	struct metrics_quantile_pass pass;
	if (!metrics_quantile_begin(ctx, &pass, METRIC_DAYS_MISSING_MEDIAN,
	                            METRIC_DAYS_MISSING_P90))
		return false;
	for (size_t i = 0; i < count; i++) {
		const struct model_episode *episode = &model->episodes[items[i].episode];
		const struct model_missing *missing = &model->missing[items[i].missing];
		uint32_t groups[DIM_COUNT];
		struct metrics_birthdays birthdays;
		metrics_birthdays_of(model->children[episode->child].birth_month, &birthdays);
		missing_groups(ctx, episode, &birthdays, missing, groups);
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
			metrics_quantile_add(
			    ctx, &pass, (enum period_type)t,
			    metrics_row(ctx, (enum period_type)t, missing->end_day), groups,
			    items[i].duration_s);
	}
	metrics_quantile_end(&pass);
	return true;
}

bool metrics_pass_missing(struct metrics_ctx *ctx)
{
	const struct model *model = ctx->model;
	struct metrics_birthdays birthdays = {{0, 0, 0, 0}};
	uint32_t last_child = UINT32_MAX;
	struct child_episodes range = {0, 0};
	for (size_t e = ctx->episode_first; e < ctx->episode_last; e++) {
		const struct model_episode *episode = &model->episodes[e];
		uint32_t child = episode->child;
		int32_t end = metrics_episode_end(ctx, episode);
		if (child != last_child) {
			metrics_birthdays_of(model->children[child].birth_month, &birthdays);
			last_child = child;
			range.first = e;
			range.last = metrics_child_end(model, e);
		}
		for (uint32_t i = 0; i < episode->missing_count; i++) {
			const struct model_missing *missing =
			    &model->missing[episode->first_missing + i];
			/* The model promises begin on a day in care and end >= begin. */
			if (missing->begin_day < episode->removal_date || missing->begin_day >= end)
				continue;
			add_missing(ctx, episode, &birthdays, missing, child, range);
		}
		add_discharge(ctx, episode, &birthdays, child);
		add_entry_runaway(ctx, episode, &birthdays, child);
	}
	return true;
}

bool metrics_quantiles_missing(struct metrics_ctx *ctx)
{
	const struct model *model = ctx->model;
	size_t item_count = 0;
	bool ok = false;
	/* at least one: never a NULL array to index */
	struct quantile_item *items =
	    malloc((model->missing_count ? model->missing_count : 1) * sizeof *items);
	if (!items)
		goto fail;
	/* The returned missing episodes metrics_pass_missing() counted in
	 * the medians' denominators, of every slice. */
	for (size_t e = 0; e < model->episode_count; e++) {
		const struct model_episode *episode = &model->episodes[e];
		int32_t end = metrics_episode_end(ctx, episode);
		for (uint32_t i = 0; i < episode->missing_count; i++) {
			const struct model_missing *missing =
			    &model->missing[episode->first_missing + i];
			if (missing->begin_day < episode->removal_date ||
			    missing->begin_day >= end || missing->returned_at == TS_NONE ||
			    missing->end_day == DATE_OPEN)
				continue;
			items[item_count].duration_s =
			    missing->returned_at - missing->went_missing_at;
			items[item_count].episode = (uint32_t)e;
			items[item_count].missing = episode->first_missing + i;
			item_count++;
		}
	}
	if (item_count)
		qsort(items, item_count, sizeof *items, compare_item);
	ok = fill_quantiles(ctx, items, item_count);
fail:
	free(items);
	return ok;
}
