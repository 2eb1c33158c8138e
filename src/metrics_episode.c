/*
 * metrics_episode.c — what one episode is on a given day, as every pass
 * reads it: the setting of a day, the setting a child went missing from,
 * whether an advocate covered a day, the dates of placement moves, the
 * birthdays that change the age band; and the growable scratch buffer they
 * fill. Leaf of the metrics stage: calls nothing in the other metrics files.
 * The reading of every rule is docs/metrics.md.
 */
#include "metrics_internal.h"

#include <stdlib.h>

bool metrics_buf_reserve(struct metrics_buf *buf, size_t cap)
{
	if (cap <= buf->cap)
		return true;
	size_t new_cap = buf->cap ? buf->cap : 16;
	while (new_cap < cap)
		new_cap *= 2;
	int32_t *v = realloc(buf->v, new_cap * sizeof *v);
	if (!v)
		return false;
	buf->v = v;
	buf->cap = new_cap;
	return true;
}

void metrics_birthdays_of(int32_t birth_month, struct metrics_birthdays *out)
{
	/* SPEC §3 bands 0-5, 6-11, 12-14, 15-17, 18+. */
	static const int years[METRICS_BAND_BIRTHDAYS] = {6, 12, 15, 18};
	for (int i = 0; i < METRICS_BAND_BIRTHDAYS; i++)
		out->at[i] = date_add_years(birth_month, years[i]);
}

uint32_t metrics_setting_on(const struct model *model, const struct model_episode *episode,
                            int32_t day)
{
	const struct model_placement *pl = model->placements + episode->first_placement;
	/* Overlaps: the later placement in (start, key) order wins the day. */
	for (uint32_t i = episode->placement_count; i-- > 0;) {
		if (pl[i].start_date <= day && day < pl[i].end_date)
			return pl[i].setting;
	}
	return SETTING_GROUP_NO_PLACEMENT;
}

uint32_t metrics_went_missing_from(const struct model *model, const struct model_episode *episode,
                                   int32_t day)
{
	const struct model_placement *pl = model->placements + episode->first_placement;
	for (uint32_t i = episode->placement_count; i-- > 0;) {
		if (pl[i].start_date <= day && day < pl[i].end_date) {
			/* Agencies often record the runaway itself as a placement
			 * starting that day: the child went missing from the one
			 * before it (SPEC §4). */
			if (pl[i].setting == SETTING_RUNAWAY && pl[i].start_date == day)
				return i > 0 ? pl[i - 1].setting : SETTING_GROUP_NO_PLACEMENT;
			return pl[i].setting;
		}
	}
	return SETTING_GROUP_NO_PLACEMENT;
}

uint32_t metrics_advocate_on(const struct model *model, const struct model_episode *episode,
                             int32_t day)
{
	const struct model_assignment *a = model->assignments + episode->first_assignment;
	for (uint32_t i = 0; i < episode->assignment_count; i++) {
		if (a[i].start_date <= day && day < a[i].end_date)
			return ADVOCATE_ASSIGNED;
	}
	return ADVOCATE_NOT_ASSIGNED;
}

void metrics_identification_groups(const struct metrics_ctx *ctx,
                                   const struct model_episode *episode,
                                   const struct metrics_birthdays *birthdays,
                                   const struct model_identification *identification,
                                   uint32_t groups[DIM_COUNT])
{
	const struct model *model = ctx->model;
	const struct model_child *kid = &model->children[episode->child];
	int32_t day = identification->day;
	bool in_care = day >= episode->removal_date && day < metrics_episode_end(ctx, episode);
	groups[DIM_TOTAL] = 0;
	groups[DIM_COUNTY] = episode->county;
	groups[DIM_AGE_BAND] = metrics_band_on(birthdays, day);
	groups[DIM_SEX] = kid->sex;
	groups[DIM_RACE_ETHNICITY] = kid->race;
	/* An advocate counts on days in care only, even when an open
	 * assignment runs past the discharge. */
	groups[DIM_ADVOCATE] =
	    in_care ? metrics_advocate_on(model, episode, day) : ADVOCATE_NOT_ASSIGNED;
	groups[DIM_LOS_BAND] = 0;
	groups[DIM_SETTING] =
	    in_care ? metrics_setting_on(model, episode, day) : SETTING_GROUP_NO_PLACEMENT;
}

bool metrics_episode_move_placements(const struct model *model, const struct model_episode *episode,
                                     struct metrics_buf *moves)
{
	moves->len = 0;
	if (!metrics_buf_reserve(moves, episode->placement_count))
		return false;
	const struct model_placement *pl = model->placements + episode->first_placement;
	const struct model_placement *previous = NULL; /* last non-temporary one */
	for (uint32_t i = 0; i < episode->placement_count; i++) {
		if (model_setting_is_temporary((enum setting)pl[i].setting))
			continue;
		/* A return to the same non-null provider is not a move. */
		if (previous && !(previous->has_provider && pl[i].has_provider &&
		                  previous->provider_key == pl[i].provider_key))
			moves->v[moves->len++] = (int32_t)i;
		previous = &pl[i];
	}
	return true;
}

bool metrics_episode_moves(const struct model *model, const struct model_episode *episode,
                           struct metrics_buf *moves)
{
	if (!metrics_episode_move_placements(model, episode, moves))
		return false;
	const struct model_placement *pl = model->placements + episode->first_placement;
	for (size_t i = 0; i < moves->len; i++)
		moves->v[i] = pl[moves->v[i]].start_date;
	return true;
}
