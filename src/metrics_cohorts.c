/*
 * metrics_cohorts.c — the cohort pass (issue 17), one child at a time:
 *   - the entry cohort (each child's first qualifying entry per year and
 *     fiscal year): permanency_12m_entries_pct and reentry_12m_pct;
 *   - the assignment cohort (episodes by the start of their first advocate
 *     assignment): permanency_12m_after_assignment_pct and
 *     days_to_assignment_median;
 *   - trafficking_reported_le_24h_pct, per identification.
 * The reading of every rule is docs/metrics.md.
 */
#include "metrics_internal.h"

#include <stdlib.h>
#include <string.h>

/* CFSR round 4 entry cohort: under 18 at removal, at least 8 days in care. */
#define ENTRY_MIN_DAYS 8
/* 42 U.S.C. 671(a)(35)(A): report "immediately, and in no case later than
 * 24 hours" after identifying a victim. */
#define REPORT_WINDOW_S (24 * 3600)
#define DAY_S           86400

/* An episode of the assignment cohort, for the median pass. */
struct assignment_item {
	int64_t days;     /* removal to the first assignment's start */
	uint32_t episode; /* index into model.episodes */
};

struct cohort_scratch {
	struct assignment_item *items; /* one per episode with an assignment */
	size_t item_count;             /* used */
};

/* Permanency: reunification, relative, guardianship or adoption
 * (docs/metrics.md); a discharge after as_of has no reason yet. */
static bool is_permanency(uint8_t reason)
{
	return reason == REASON_REUNIFICATION || reason == REASON_RELATIVE ||
	       reason == REASON_GUARDIANSHIP || reason == REASON_ADOPTION;
}

/* Discharged to permanency before start + 365 days. */
static bool permanent_within_12_months(const struct model_episode *episode, int32_t start)
{
	return is_permanency(episode->discharge_reason) && episode->discharge_date != DATE_OPEN &&
	       episode->discharge_date < start + METRICS_12_MONTHS_DAYS;
}

/* An exit home whose re-entry the CFSR counts (adoption is not one). */
static bool is_exit_home(uint8_t reason)
{
	return reason == REASON_REUNIFICATION || reason == REASON_RELATIVE ||
	       reason == REASON_GUARDIANSHIP;
}

/* Groups of an entry: the episode's county, the age at removal, the child's
 * sex and race, assigned when an assignment covered a day in care of the
 * first 12 months, [removal, min(end, removal + 365)). */
static void entry_groups(const struct metrics_ctx *ctx, const struct model_episode *episode,
                         const struct metrics_birthdays *birthdays, uint32_t groups[DIM_COUNT])
{
	const struct model *model = ctx->model;
	const struct model_child *kid = &model->children[episode->child];
	int32_t removal = episode->removal_date;
	int32_t until = metrics_episode_end(ctx, episode);
	if (removal + METRICS_12_MONTHS_DAYS < until)
		until = removal + METRICS_12_MONTHS_DAYS;
	bool assigned = false;
	const struct model_assignment *a = model->assignments + episode->first_assignment;
	for (uint32_t i = 0; i < episode->assignment_count && !assigned; i++)
		assigned = a[i].start_date < until && a[i].end_date > removal;
	memset(groups, 0, DIM_COUNT * sizeof(*groups));
	groups[DIM_COUNTY] = episode->county;
	groups[DIM_AGE_BAND] = metrics_band_on(birthdays, removal);
	groups[DIM_SEX] = kid->sex;
	groups[DIM_RACE_ETHNICITY] = kid->race;
	groups[DIM_ADVOCATE] = assigned ? ADVOCATE_ASSIGNED : ADVOCATE_NOT_ASSIGNED;
}

/* Whether another episode of the child (episodes[first, last)) was removed
 * within 12 months of exit's discharge, that day included. */
static bool reentered(const struct metrics_ctx *ctx, size_t first, size_t last, size_t exit)
{
	const struct model_episode *episodes = ctx->model->episodes;
	int32_t discharge = episodes[exit].discharge_date;
	for (size_t e = first; e < last; e++)
		if (e != exit && episodes[e].removal_date >= discharge &&
		    episodes[e].removal_date < discharge + METRICS_12_MONTHS_DAYS)
			return true;
	return false;
}

/* The entry cohort of one child: per year and fiscal year row, its first
 * entry that passes the exclusions (episodes come in (removal, key) order,
 * so the first one seen in a row). */
static void add_entries(struct metrics_ctx *ctx, const struct metrics_birthdays *birthdays,
                        uint32_t child, size_t first, size_t last)
{
	const struct model *model = ctx->model;
	int32_t adult = birthdays->at[METRICS_BIRTHDAY_18];
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		enum period_type type = (enum period_type)t;
		if (!ctx->tab[METRIC_PERMANENCY_12M_ENTRIES_PCT][t][DIM_TOTAL])
			continue;
		uint32_t done = UINT32_MAX; /* row whose first entry is taken */
		for (size_t e = first; e < last; e++) {
			const struct model_episode *episode = &model->episodes[e];
			int32_t removal = episode->removal_date;
			if (removal >= adult ||
			    metrics_episode_end(ctx, episode) - removal < ENTRY_MIN_DAYS)
				continue;
			uint32_t row = metrics_row(ctx, type, removal);
			if (row == done)
				continue;
			done = row;
			/* Mature or not, this is the child's entry of the row. */
			if (!metrics_12_months_elapsed(ctx, removal))
				continue;
			uint32_t groups[DIM_COUNT];
			entry_groups(ctx, episode, birthdays, groups);
			/* ... and before the 18th birthday (a discharge on it is not). */
			bool permanent = permanent_within_12_months(episode, removal) &&
			                 episode->discharge_date < adult;
			metrics_add_groups(ctx, METRIC_PERMANENCY_12M_ENTRIES_PCT, type, row,
			                   groups, permanent, 1, child);
			if (is_exit_home(episode->discharge_reason) &&
			    episode->discharge_date != DATE_OPEN &&
			    episode->discharge_date < removal + METRICS_12_MONTHS_DAYS &&
			    metrics_12_months_elapsed(ctx, episode->discharge_date))
				metrics_add_groups(ctx, METRIC_REENTRY_12M_PCT, type, row, groups,
				                   reentered(ctx, first, last, e), 1, child);
		}
	}
}

/* Groups of an episode of the assignment cohort: county, the age on s (the
 * first assignment's start, returned), sex, race, and `assigned`. */
static int32_t assignment_groups(const struct metrics_ctx *ctx, const struct model_episode *episode,
                                 const struct metrics_birthdays *birthdays,
                                 uint32_t groups[DIM_COUNT])
{
	const struct model *model = ctx->model;
	const struct model_child *kid = &model->children[episode->child];
	int32_t start = model->assignments[episode->first_assignment].start_date;
	memset(groups, 0, DIM_COUNT * sizeof(*groups));
	groups[DIM_COUNTY] = episode->county;
	groups[DIM_AGE_BAND] = metrics_band_on(birthdays, start);
	groups[DIM_SEX] = kid->sex;
	groups[DIM_RACE_ETHNICITY] = kid->race;
	groups[DIM_ADVOCATE] = ADVOCATE_ASSIGNED;
	return start;
}

/* The assignment cohort of one episode: dated on s, the start of its first
 * (earliest-starting) assignment; every episode is `assigned`. */
static void add_assignment(struct metrics_ctx *ctx, const struct metrics_birthdays *birthdays,
                           uint32_t child, size_t e)
{
	const struct model_episode *episode = &ctx->model->episodes[e];
	if (episode->assignment_count == 0)
		return;
	uint32_t groups[DIM_COUNT];
	int32_t start = assignment_groups(ctx, episode, birthdays, groups);
	bool mature = metrics_12_months_elapsed(ctx, start);
	bool permanent = permanent_within_12_months(episode, start);
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		enum period_type type = (enum period_type)t;
		uint32_t row = metrics_row(ctx, type, start);
		metrics_add_groups(ctx, METRIC_DAYS_TO_ASSIGNMENT_MEDIAN, type, row, groups, 0, 1,
		                   child);
		if (mature)
			metrics_add_groups(ctx, METRIC_PERMANENCY_12M_AFTER_ASSIGNMENT_PCT, type,
			                   row, groups, permanent, 1, child);
	}
}

/* trafficking_reported_le_24h_pct for the identifications of one episode. */
static void add_reports(struct metrics_ctx *ctx, const struct metrics_birthdays *birthdays,
                        uint32_t child, const struct model_episode *episode)
{
	const struct model *model = ctx->model;
	for (uint32_t i = 0; i < episode->identification_count; i++) {
		const struct model_identification *identification =
		    &model->identifications[episode->first_identification + i];
		int64_t at = identification->identified_at, report = identification->reported_le_at;
		/* at or after the identification, and at most 24 hours later */
		bool timely = report != TS_NONE && report >= at && report - at <= REPORT_WINDOW_S;
		uint32_t groups[DIM_COUNT];
		metrics_identification_groups(ctx, episode, birthdays, identification, groups);
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
			uint32_t row;
			if (metrics_row_any(ctx, (enum period_type)t, identification->day, &row))
				metrics_add_groups(ctx, METRIC_TRAFFICKING_REPORTED_LE_24H_PCT,
				                   (enum period_type)t, row, groups, timely, 1,
				                   child);
		}
	}
}

static int compare_item(const void *a, const void *b)
{
	const struct assignment_item *x = a, *y = b;
	if (x->days != y->days)
		return x->days < y->days ? -1 : 1;
	return (x->episode > y->episode) - (x->episode < y->episode);
}

/* days_to_assignment_median and its interval: the cohort by ascending
 * days (metrics_quantile.c). */
static bool fill_medians(struct metrics_ctx *ctx, const struct cohort_scratch *s)
{
	const struct model *model = ctx->model;
	struct metrics_quantile_pass pass;
	if (!metrics_quantile_begin(ctx, &pass, METRIC_DAYS_TO_ASSIGNMENT_MEDIAN, METRIC_COUNT))
		return false;
	for (size_t i = 0; i < s->item_count; i++) {
		const struct model_episode *episode = &model->episodes[s->items[i].episode];
		struct metrics_birthdays birthdays;
		metrics_birthdays_of(model->children[episode->child].birth_month, &birthdays);
		uint32_t groups[DIM_COUNT];
		int32_t start = assignment_groups(ctx, episode, &birthdays, groups);
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
			metrics_quantile_add(ctx, &pass, (enum period_type)t,
			                     metrics_row(ctx, (enum period_type)t, start), groups,
			                     s->items[i].days * DAY_S);
	}
	metrics_quantile_end(&pass);
	return true;
}

bool metrics_pass_cohorts(struct metrics_ctx *ctx)
{
	const struct model *model = ctx->model;
	for (size_t first = ctx->episode_first; first < ctx->episode_last;) {
		uint32_t child = model->episodes[first].child;
		size_t last = metrics_child_end(model, first);
		struct metrics_birthdays birthdays;
		metrics_birthdays_of(model->children[child].birth_month, &birthdays);
		add_entries(ctx, &birthdays, child, first, last);
		for (size_t e = first; e < last; e++) {
			add_assignment(ctx, &birthdays, child, e);
			add_reports(ctx, &birthdays, child, &model->episodes[e]);
		}
		first = last;
	}
	return true;
}

bool metrics_quantiles_assignment(struct metrics_ctx *ctx)
{
	const struct model *model = ctx->model;
	struct cohort_scratch s = {NULL, 0};
	bool ok = false;
	/* at least one: never a NULL array to index */
	s.items = malloc((model->episode_count ? model->episode_count : 1) * sizeof(*s.items));
	if (!s.items)
		goto fail;
	/* The assignment cohort of every slice (add_assignment): each episode
	 * with an assignment, by the start of its first one. */
	for (size_t e = 0; e < model->episode_count; e++) {
		const struct model_episode *episode = &model->episodes[e];
		if (episode->assignment_count == 0)
			continue;
		s.items[s.item_count].days =
		    model->assignments[episode->first_assignment].start_date -
		    episode->removal_date;
		s.items[s.item_count].episode = (uint32_t)e;
		s.item_count++;
	}
	if (s.item_count)
		qsort(s.items, s.item_count, sizeof(*s.items), compare_item);
	ok = fill_medians(ctx, &s);
fail:
	free(s.items);
	return ok;
}
