/*
 * test_metrics_property.c — properties of metrics_compute() on a
 * pseudo-random model built here (fixed seed, so failures reproduce):
 *   - groups of every breakdown add up to the total (docs/metrics.md,
 *     "Additivity"), and child-based groups add up in children too;
 *   - months add up to quarters, years and fiscal years for the counts
 *     the catalog marks time_additive;
 *   - days in care, moves and missing episodes per month and group agree
 *     with a naive day-by-day count written independently below;
 *   - 1, 2, 3 and 64 threads give the same cells (issue 15).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "casa/config.h"
#include "casa/interval.h"
#include "casa/metrics.h"

#define DAY_S 86400
/* A fiscal year other than the default, so month -> FY sums are tested
 * with a start month that is not a quarter start either. */
#define FY_START 7

struct gen {
	struct model model; /* points into the arrays */
	struct model_child *children;
	struct model_episode *episodes;
	struct model_placement *placements;
	struct model_missing *missing;
	struct model_assignment *assignments;
	struct model_identification *identifications;
	char *counties[3]; /* borrowed literals */
	uint64_t state;    /* LCG state */
};

static char name_a[] = "Ash", name_b[] = "Birch", name_c[] = "Cedar";

static uint32_t rnd(struct gen *g, uint32_t n)
{
	g->state = g->state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)((g->state >> 33) % n);
}

/* Builds a model obeying every promise of model.h. */
static void gen_build(struct gen *g, size_t child_count, uint64_t seed)
{
	memset(g, 0, sizeof *g);
	g->state = seed;
	int32_t as_of = date_from_ymd(2024, 6, 15);
	size_t max_ep = child_count * 3;
	g->children = calloc(child_count, sizeof *g->children);
	g->episodes = calloc(max_ep, sizeof *g->episodes);
	g->placements = calloc(max_ep * 6, sizeof *g->placements);
	g->missing = calloc(max_ep * 4, sizeof *g->missing);
	g->assignments = calloc(max_ep * 3, sizeof *g->assignments);
	g->identifications = calloc(max_ep, sizeof *g->identifications);
	ck_assert(g->children && g->episodes && g->placements && g->missing && g->assignments &&
	          g->identifications);
	g->counties[0] = name_a;
	g->counties[1] = name_b;
	g->counties[2] = name_c;
	struct model *m = &g->model;
	m->as_of = as_of;
	m->first_day = as_of;
	m->counties = g->counties;
	m->county_count = 3;
	int32_t earliest = date_from_ymd(2020, 11, 1);
	for (size_t c = 0; c < child_count; c++) {
		struct model_child *kid = &g->children[c];
		kid->child_key = (int64_t)c;
		kid->birth_month = date_from_ymd(2002 + (int)rnd(g, 22), 1 + (int)rnd(g, 12), 1);
		kid->sex = (uint8_t)rnd(g, SEX_COUNT);
		kid->race = (uint8_t)rnd(g, RACE_COUNT);
		int32_t day = earliest + (int32_t)rnd(g, 900);
		int episodes = 1 + (int)rnd(g, 3);
		for (int k = 0; k < episodes && day <= as_of; k++) {
			struct model_episode *e = &g->episodes[m->episode_count++];
			e->episode_key = (int64_t)m->episode_count;
			e->child = (uint32_t)c;
			e->county = (uint16_t)rnd(g, 3);
			e->removal_date = day;
			/* one in 25 discharged on its removal day: no day in care */
			int32_t length =
			    rnd(g, 25) == 0 ? 0 : 1 + (int32_t)rnd(g, rnd(g, 4) ? 400 : 1200);
			int32_t discharge = day + length;
			e->discharge_date = discharge > as_of ? DATE_OPEN : discharge;
			e->discharge_reason =
			    (uint8_t)(e->discharge_date == DATE_OPEN ? REASON_NONE
			                                             : rnd(g, REASON_NONE));
			int32_t end = discharge > as_of ? as_of + 1 : discharge;
			if (day < m->first_day)
				m->first_day = day;
			/* Placements: a chain from removal, sometimes a gap or
			 * an overlap, ends cut at discharge. */
			e->first_placement = (uint32_t)m->placement_count;
			int32_t start = day + (rnd(g, 5) == 0 ? (int32_t)rnd(g, 5) : 0);
			int places = (int)rnd(g, 7);
			for (int p = 0; p < places && start < end; p++) {
				struct model_placement *pl = &g->placements[m->placement_count++];
				pl->placement_key = (int64_t)m->placement_count;
				pl->setting = (uint8_t)rnd(g, SETTING_COUNT);
				pl->has_provider = rnd(g, 4) != 0;
				pl->provider_key = pl->has_provider ? (int64_t)rnd(g, 3) : 0;
				pl->start_date = start;
				int32_t stop = start + 1 + (int32_t)rnd(g, 120);
				pl->end_date = stop >= end ? (e->discharge_date == DATE_OPEN
				                                  ? DATE_OPEN
				                                  : e->discharge_date)
				                           : stop;
				e->placement_count++;
				int32_t next =
				    stop + (rnd(g, 6) == 0 ? (int32_t)rnd(g, 10) - 5 : 0);
				start = next > start ? next : start + 1;
			}
			/* Missing episodes: begin on a day in care, sorted. */
			e->first_missing = (uint32_t)m->missing_count;
			int missing = rnd(g, 3) == 0 ? (int)rnd(g, 5) : 0;
			int64_t at = (int64_t)day * DAY_S + rnd(g, DAY_S);
			for (int i = 0; i < missing; i++) {
				at += (int64_t)rnd(g, 40 * DAY_S);
				if (at >= (int64_t)end * DAY_S)
					break;
				struct model_missing *mm = &g->missing[m->missing_count++];
				mm->went_missing_at = at;
				mm->begin_day = (int32_t)(at / DAY_S);
				mm->agency_informed_at = at + (rnd(g, 2) ? 0 : rnd(g, 20000));
				int64_t back = at + rnd(g, rnd(g, 2) ? 3 * DAY_S : 30 * DAY_S);
				bool returned = rnd(g, 6) != 0 && back / DAY_S <= as_of;
				mm->returned_at = returned ? back : TS_NONE;
				mm->end_day = returned ? (int32_t)(back / DAY_S) : DATE_OPEN;
				mm->reported_le_at =
				    rnd(g, 3) ? mm->agency_informed_at + rnd(g, 2 * DAY_S) - 3600
				              : TS_NONE;
				mm->reported_ncmec_at =
				    rnd(g, 2) ? mm->agency_informed_at + rnd(g, 2 * DAY_S)
				              : TS_NONE;
				mm->screened_at = returned && rnd(g, 2)
				                      ? back + rnd(g, 5 * DAY_S) - 3600
				                      : TS_NONE;
				if (mm->screened_at != TS_NONE && mm->screened_at / DAY_S > as_of)
					mm->screened_at = TS_NONE;
				if (mm->reported_le_at != TS_NONE &&
				    mm->reported_le_at / DAY_S > as_of)
					mm->reported_le_at = TS_NONE;
				if (mm->reported_ncmec_at != TS_NONE &&
				    mm->reported_ncmec_at / DAY_S > as_of)
					mm->reported_ncmec_at = TS_NONE;
				mm->screen_result = (uint8_t)rnd(g, SCREEN_COUNT);
				e->missing_count++;
			}
			/* Assignments: start in care, sorted, may overlap. */
			e->first_assignment = (uint32_t)m->assignment_count;
			int assignments = (int)rnd(g, 3);
			int32_t from = day;
			for (int i = 0; i < assignments; i++) {
				from += (int32_t)rnd(g, 200);
				if (from >= end)
					break;
				struct model_assignment *a = &g->assignments[m->assignment_count++];
				a->start_date = from;
				int32_t to = from + 1 + (int32_t)rnd(g, 300);
				a->end_date = to > as_of ? DATE_OPEN : to;
				e->assignment_count++;
			}
			/* Identifications: some in care, some a month before the
			 * removal or after the discharge (not in care). */
			e->first_identification = (uint32_t)m->identification_count;
			int32_t on = day - 30 + (int32_t)rnd(g, (uint32_t)(end - day) + 60);
			if (rnd(g, 4) == 0 && on <= as_of) {
				struct model_identification *i =
				    &g->identifications[m->identification_count++];
				i->day = on;
				i->identified_at = (int64_t)on * DAY_S + rnd(g, DAY_S);
				i->while_in_care = on >= day && on < end;
				i->reported_le_at =
				    rnd(g, 2) ? i->identified_at + rnd(g, 2 * DAY_S) - 3600
				              : TS_NONE;
				if (i->reported_le_at != TS_NONE &&
				    i->reported_le_at / DAY_S > as_of)
					i->reported_le_at = TS_NONE;
				e->identification_count++;
			}
			day = end + 1 + (int32_t)rnd(g, 300);
		}
	}
	m->children = g->children;
	m->child_count = child_count;
	m->episodes = g->episodes;
	m->placements = g->placements;
	m->missing = g->missing;
	m->assignments = g->assignments;
	m->identifications = g->identifications;
	m->has_identifications = true;
}

static void gen_free(struct gen *g)
{
	free(g->children);
	free(g->episodes);
	free(g->placements);
	free(g->missing);
	free(g->assignments);
	free(g->identifications);
}

static struct gen gen;
static struct metrics_result result;

static void setup(void)
{
	gen_build(&gen, 400, 20240615);
	struct metrics_options options = {FY_START, 72 * 3600, 0.95,
	                                  CONFIG_DEFAULT_METRICS_THREADS};
	enum metrics_failure failure;
	ck_assert(metrics_compute(&gen.model, &options, &result, &failure));
}

static void teardown(void)
{
	metrics_free(&result);
	gen_free(&gen);
}

START_TEST(test_groups_add_up)
{
	int checked = 0;
	for (size_t i = 0; i < result.table_count; i++) {
		const struct metrics_table *t = &result.tables[i];
		if (t->dim == DIM_TOTAL)
			continue;
		const struct metrics_table *total =
		    metrics_table_find(&result, t->metric, t->period_type, DIM_TOTAL);
		ck_assert_ptr_nonnull(total);
		ck_assert_uint_eq(total->period_count, t->period_count);
		for (uint32_t p = 0; p < t->period_count; p++) {
			int64_t num = 0, den = 0, children = 0;
			for (uint32_t g = 0; g < t->group_count; g++) {
				const struct metrics_cell *c = &t->cells[p * t->group_count + g];
				num += c->numerator;
				den += c->denominator;
				children += c->children;
				ck_assert_int_le(c->children, total->cells[p].children);
			}
			ck_assert_int_eq(num, total->cells[p].numerator);
			ck_assert_int_eq(den, total->cells[p].denominator);
			/* Child-based: each child in exactly one group. */
			if (metrics_catalog[t->metric].child_based)
				ck_assert_int_eq(children, total->cells[p].children);
			else
				ck_assert_int_ge(children, total->cells[p].children);
			checked += total->cells[p].denominator > 0 || total->cells[p].numerator > 0;
		}
	}
	/* The model is big enough that most cells are not empty. */
	ck_assert_int_gt(checked, 1000);
}
END_TEST

/* Sums the month rows inside the period `index` of `type`. */
static void month_sum(const struct metrics_table *months, enum period_type type, int32_t index,
                      uint32_t group, int64_t *num, int64_t *den)
{
	int32_t first = period_first_day(type, FY_START, index);
	int32_t last = period_last_day(type, FY_START, index);
	*num = 0;
	*den = 0;
	for (uint32_t p = 0; p < months->period_count; p++) {
		int32_t day =
		    period_first_day(PERIOD_MONTH, FY_START, months->first_period + (int32_t)p);
		if (day < first || day > last)
			continue;
		*num += months->cells[p * months->group_count + group].numerator;
		*den += months->cells[p * months->group_count + group].denominator;
	}
}

START_TEST(test_months_add_up)
{
	int metrics = 0;
	for (int m = 0; m < METRIC_COUNT; m++) {
		uint8_t additive = metrics_catalog[m].time_additive;
		if (!additive)
			continue;
		metrics++;
		for (int d = 0; d < DIM_COUNT; d++) {
			const struct metrics_table *months = metrics_table_find(
			    &result, (enum metric_id)m, PERIOD_MONTH, (enum dim)d);
			if (!months)
				continue;
			for (int t = PERIOD_QUARTER; t < PERIOD_TYPE_COUNT; t++) {
				const struct metrics_table *big = metrics_table_find(
				    &result, (enum metric_id)m, (enum period_type)t, (enum dim)d);
				ck_assert_ptr_nonnull(big);
				for (uint32_t p = 0; p < big->period_count; p++)
					for (uint32_t g = 0; g < big->group_count; g++) {
						int64_t num, den;
						month_sum(months, (enum period_type)t,
						          big->first_period + (int32_t)p, g, &num,
						          &den);
						const struct metrics_cell *c =
						    &big->cells[p * big->group_count + g];
						if (additive & METRIC_COUNT_NUMERATOR)
							ck_assert_int_eq(num, c->numerator);
						if (additive & METRIC_COUNT_DENOMINATOR)
							ck_assert_int_eq(den, c->denominator);
					}
			}
		}
	}
	/* the 8 day- and event-based metrics and the 2 quantiles of SPEC §4;
	 * issue 17: days_to_assignment_median (episodes),
	 * identified_after_missing_pct, trafficking_reported_le_24h_pct and the
	 * numerator of trafficking_identified_per_1000_served (no months) */
	ck_assert_int_eq(metrics, 14);
}
END_TEST

/* ---- naive day-by-day reference ---- */

static uint32_t naive_band(int age)
{
	return age < 6 ? 0 : age < 12 ? 1 : age < 15 ? 2 : age < 18 ? 3 : 4;
}

static uint32_t naive_setting(const struct model_episode *e, int32_t day)
{
	uint32_t setting = SETTING_GROUP_NO_PLACEMENT;
	for (uint32_t i = 0; i < e->placement_count; i++) {
		const struct model_placement *p = &gen.placements[e->first_placement + i];
		if (p->start_date <= day && day < p->end_date)
			setting = p->setting; /* the later one in order wins */
	}
	return setting;
}

static uint32_t naive_advocate(const struct model_episode *e, int32_t day)
{
	for (uint32_t i = 0; i < e->assignment_count; i++) {
		const struct model_assignment *a = &gen.assignments[e->first_assignment + i];
		if (a->start_date <= day && day < a->end_date)
			return ADVOCATE_ASSIGNED;
	}
	return ADVOCATE_NOT_ASSIGNED;
}

static void naive_groups(const struct model_episode *e, int32_t day, uint32_t g[DIM_COUNT])
{
	const struct model_child *kid = &gen.children[e->child];
	g[DIM_TOTAL] = 0;
	g[DIM_COUNTY] = e->county;
	g[DIM_AGE_BAND] = naive_band(date_age_years(kid->birth_month, day));
	g[DIM_SEX] = kid->sex;
	g[DIM_RACE_ETHNICITY] = kid->race;
	g[DIM_ADVOCATE] = naive_advocate(e, day);
	g[DIM_LOS_BAND] = 0;
	g[DIM_SETTING] = naive_setting(e, day);
}

static int64_t *at(int64_t *a, const struct metrics_table *t, int32_t day, uint32_t g)
{
	int32_t row = period_index_of(PERIOD_MONTH, FY_START, day) - t->first_period;
	return &a[(size_t)row * t->group_count + g];
}

START_TEST(test_naive_days_moves_missing)
{
	const struct model *m = &gen.model;
	for (int d = 0; d < DIM_COUNT; d++) {
		const struct metrics_table *runaway = metrics_table_find(
		    &result, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_MONTH, (enum dim)d);
		const struct metrics_table *moves = metrics_table_find(
		    &result, METRIC_MOVES_PER_1000_DAYS_IN_CARE, PERIOD_MONTH, (enum dim)d);
		if (!runaway)
			continue;
		size_t cells = (size_t)runaway->period_count * runaway->group_count;
		int64_t *days = calloc(cells, sizeof *days);
		int64_t *events = calloc(cells, sizeof *events);
		int64_t *moved = calloc(cells, sizeof *moved);
		ck_assert(days && events && moved);
		uint32_t g[DIM_COUNT];
		for (size_t i = 0; i < m->episode_count; i++) {
			const struct model_episode *e = &m->episodes[i];
			int32_t end =
			    e->discharge_date <= m->as_of ? e->discharge_date : m->as_of + 1;
			for (int32_t day = e->removal_date; day < end; day++) {
				naive_groups(e, day, g);
				(*at(days, runaway, day, g[d]))++;
			}
			/* Moves: non-temporary placements after the first,
			 * except a return to the same non-null provider. */
			const struct model_placement *prev = NULL;
			for (uint32_t k = 0; k < e->placement_count; k++) {
				const struct model_placement *p =
				    &gen.placements[e->first_placement + k];
				if (p->setting >= SETTING_TRIAL_HOME_VISIT)
					continue;
				bool same = prev && prev->has_provider && p->has_provider &&
				            prev->provider_key == p->provider_key;
				if (prev && !same && p->start_date < end) {
					naive_groups(e, p->start_date, g);
					(*at(moved, runaway, p->start_date, g[d]))++;
				}
				prev = p;
			}
			for (uint32_t k = 0; k < e->missing_count; k++) {
				const struct model_missing *mm = &gen.missing[e->first_missing + k];
				naive_groups(e, mm->begin_day, g);
				/* Went missing from: a runaway placement starting
				 * that day hands the setting to the one before it. */
				uint32_t cover = UINT32_MAX;
				for (uint32_t j = 0; j < e->placement_count; j++) {
					const struct model_placement *p =
					    &gen.placements[e->first_placement + j];
					if (p->start_date <= mm->begin_day &&
					    mm->begin_day < p->end_date)
						cover = j;
				}
				if (cover == UINT32_MAX)
					g[DIM_SETTING] = SETTING_GROUP_NO_PLACEMENT;
				else if (gen.placements[e->first_placement + cover].setting ==
				             SETTING_RUNAWAY &&
				         gen.placements[e->first_placement + cover].start_date ==
				             mm->begin_day)
					g[DIM_SETTING] =
					    cover == 0
					        ? SETTING_GROUP_NO_PLACEMENT
					        : gen.placements[e->first_placement + cover - 1]
					              .setting;
				(*at(events, runaway, mm->begin_day, g[d]))++;
			}
		}
		for (size_t c = 0; c < cells; c++) {
			ck_assert_int_eq(runaway->cells[c].denominator, days[c]);
			ck_assert_int_eq(runaway->cells[c].numerator, events[c]);
			if (moves) {
				ck_assert_int_eq(moves->cells[c].denominator, days[c]);
				ck_assert_int_eq(moves->cells[c].numerator, moved[c]);
			}
		}
		free(days);
		free(events);
		free(moved);
	}
}
END_TEST

/* Child-based metrics, day by day for each child and period, straight
 * from docs/metrics.md; compared on every period type and breakdown. */
struct naive_child {
	int64_t num[METRIC_COUNT]; /* per metric, this child's contribution */
	int64_t den[METRIC_COUNT];
	bool counted[METRIC_COUNT]; /* contributes to the cell */
};

static void naive_child_period(const struct model *m, size_t first, size_t last, int32_t ps,
                               int32_t pe, uint32_t g[DIM_COUNT], struct naive_child *out)
{
	memset(out, 0, sizeof *out);
	int32_t r = pe < m->as_of ? pe : m->as_of;
	int32_t ref_day = INT32_MIN, any_day = INT32_MIN;
	size_t ref_ep = first, any_ep = first, latest = SIZE_MAX;
	bool assigned = false;
	int begins = 0;
	bool still = false;
	for (size_t i = first; i < last; i++) {
		const struct model_episode *e = &m->episodes[i];
		int32_t end = e->discharge_date <= m->as_of ? e->discharge_date : m->as_of + 1;
		for (int32_t d = e->removal_date; d < end && d <= r; d++) {
			if (d >= any_day) {
				any_day = d;
				any_ep = i;
			}
			if (d < ps)
				continue;
			if (d >= ref_day) {
				ref_day = d;
				ref_ep = i;
			}
			latest = i;
			if (naive_advocate(e, d) == ADVOCATE_ASSIGNED)
				assigned = true;
		}
		for (uint32_t k = 0; k < e->missing_count; k++) {
			const struct model_missing *mm = &gen.missing[e->first_missing + k];
			if (mm->begin_day >= ps && mm->begin_day <= r)
				begins++;
			if (mm->begin_day <= r && (mm->returned_at == TS_NONE || mm->end_day > r))
				still = true;
		}
	}
	bool served = latest != SIZE_MAX;
	if (served) {
		naive_groups(&m->episodes[ref_ep], ref_day, g);
		g[DIM_ADVOCATE] = assigned ? ADVOCATE_ASSIGNED : ADVOCATE_NOT_ASSIGNED;
		const struct model_child *kid = &gen.children[m->episodes[ref_ep].child];
		if (date_age_years(kid->birth_month, ref_day) >= 12) {
			out->counted[METRIC_YOUTH_WITH_RUNAWAY_PCT] = true;
			out->den[METRIC_YOUTH_WITH_RUNAWAY_PCT] = 1;
			out->num[METRIC_YOUTH_WITH_RUNAWAY_PCT] = begins >= 1;
		}
		if (begins >= 1) {
			out->counted[METRIC_REPEAT_RUNAWAY_PCT] = true;
			out->den[METRIC_REPEAT_RUNAWAY_PCT] = 1;
			out->num[METRIC_REPEAT_RUNAWAY_PCT] = begins >= 2;
		}
		const struct model_episode *e = &m->episodes[latest];
		int32_t end = e->discharge_date <= m->as_of ? e->discharge_date : m->as_of + 1;
		int32_t stop = end < pe + 1 ? end : pe + 1;
		int32_t los = stop - e->removal_date;
		if (los >= 8) {
			int placements = 0;
			const struct model_placement *prev = NULL;
			for (uint32_t k = 0; k < e->placement_count; k++) {
				const struct model_placement *p =
				    &gen.placements[e->first_placement + k];
				if (p->setting >= SETTING_TRIAL_HOME_VISIT || p->start_date >= stop)
					continue;
				if (!(prev && prev->has_provider && p->has_provider &&
				      prev->provider_key == p->provider_key))
					placements++;
				prev = p;
			}
			/* 1 + moves: the first placement counts as one even
			 * when it is missing (0 placements = 1 + 0 moves). */
			int settings = placements ? placements : 1;
			g[DIM_LOS_BAND] = los < 365   ? LOS_LT12M
			                  : los < 730 ? LOS_12TO24M
			                              : LOS_24MPLUS;
			out->counted[METRIC_TWO_OR_FEWER_PLACEMENTS_PCT] = true;
			out->den[METRIC_TWO_OR_FEWER_PLACEMENTS_PCT] = 1;
			out->num[METRIC_TWO_OR_FEWER_PLACEMENTS_PCT] = settings <= 2;
		}
	}
	if (still) {
		if (!served) {
			naive_groups(&m->episodes[any_ep], any_day, g);
			g[DIM_LOS_BAND] = 0;
		}
		out->counted[METRIC_STILL_MISSING_COUNT] = true;
		out->num[METRIC_STILL_MISSING_COUNT] = 1;
	}
}

START_TEST(test_naive_child_based)
{
	static const enum metric_id child_metrics[] = {
	    METRIC_TWO_OR_FEWER_PLACEMENTS_PCT, METRIC_YOUTH_WITH_RUNAWAY_PCT,
	    METRIC_REPEAT_RUNAWAY_PCT, METRIC_STILL_MISSING_COUNT};
	const struct model *m = &gen.model;
	int nonzero = 0;
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		const struct metrics_table *ref = metrics_table_find(
		    &result, METRIC_STILL_MISSING_COUNT, (enum period_type)t, DIM_TOTAL);
		/* Expected cells of every (metric, dim) of this period type. */
		int64_t *expect[METRIC_COUNT][DIM_COUNT][3];
		memset(expect, 0, sizeof expect);
		for (size_t k = 0; k < CASA_ARRAY_LEN(child_metrics); k++)
			for (int d = 0; d < DIM_COUNT; d++) {
				const struct metrics_table *tab = metrics_table_find(
				    &result, child_metrics[k], (enum period_type)t, (enum dim)d);
				if (!tab)
					continue;
				for (int j = 0; j < 3; j++) {
					expect[child_metrics[k]][d][j] =
					    calloc((size_t)tab->period_count * tab->group_count,
					           sizeof(int64_t));
					ck_assert_ptr_nonnull(expect[child_metrics[k]][d][j]);
				}
			}
		for (size_t first = 0; first < m->episode_count;) {
			size_t last = first + 1;
			while (last < m->episode_count &&
			       m->episodes[last].child == m->episodes[first].child)
				last++;
			for (uint32_t p = 0; p < ref->period_count; p++) {
				int32_t index = ref->first_period + (int32_t)p;
				int32_t ps = period_first_day((enum period_type)t, FY_START, index);
				int32_t pe = period_last_day((enum period_type)t, FY_START, index);
				uint32_t g[DIM_COUNT];
				struct naive_child nc;
				naive_child_period(m, first, last, ps, pe, g, &nc);
				for (size_t k = 0; k < CASA_ARRAY_LEN(child_metrics); k++) {
					enum metric_id id = child_metrics[k];
					if (!nc.counted[id])
						continue;
					for (int d = 0; d < DIM_COUNT; d++) {
						const struct metrics_table *tab =
						    metrics_table_find(&result, id,
						                       (enum period_type)t,
						                       (enum dim)d);
						if (!tab)
							continue;
						size_t c = (size_t)p * tab->group_count + g[d];
						expect[id][d][0][c] += nc.num[id];
						expect[id][d][1][c] += nc.den[id];
						expect[id][d][2][c] += 1;
					}
				}
			}
			first = last;
		}
		for (size_t k = 0; k < CASA_ARRAY_LEN(child_metrics); k++)
			for (int d = 0; d < DIM_COUNT; d++) {
				enum metric_id id = child_metrics[k];
				const struct metrics_table *tab = metrics_table_find(
				    &result, id, (enum period_type)t, (enum dim)d);
				if (!tab)
					continue;
				for (size_t c = 0; c < (size_t)tab->period_count * tab->group_count;
				     c++) {
					ck_assert_int_eq(tab->cells[c].numerator,
					                 expect[id][d][0][c]);
					ck_assert_int_eq(tab->cells[c].denominator,
					                 expect[id][d][1][c]);
					ck_assert_int_eq(tab->cells[c].children,
					                 expect[id][d][2][c]);
					nonzero += expect[id][d][1][c] != 0;
				}
				for (int j = 0; j < 3; j++)
					free(expect[id][d][j]);
			}
	}
	ck_assert_int_gt(nonzero, 500);
}
END_TEST

/* Episode-based metrics and the two entry cohorts, straight from
 * docs/metrics.md, on every period type and breakdown. */
struct expect {
	int64_t *num[METRIC_COUNT][PERIOD_TYPE_COUNT][DIM_COUNT]; /* NULL: not allowed */
	int64_t *den[METRIC_COUNT][PERIOD_TYPE_COUNT][DIM_COUNT];
	int64_t **values[METRIC_COUNT][PERIOD_TYPE_COUNT][DIM_COUNT]; /* durations */
	size_t *value_count[METRIC_COUNT][PERIOD_TYPE_COUNT][DIM_COUNT];
};

static void expect_add(struct expect *x, enum metric_id id, int32_t day,
                       const uint32_t g[DIM_COUNT], int64_t num, int64_t den, int64_t value)
{
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
		for (int d = 0; d < DIM_COUNT; d++) {
			const struct metrics_table *tab =
			    metrics_table_find(&result, id, (enum period_type)t, (enum dim)d);
			if (!tab)
				continue;
			int32_t row =
			    period_index_of((enum period_type)t, FY_START, day) - tab->first_period;
			size_t c = (size_t)row * tab->group_count + g[d];
			if (!x->num[id][t][d]) {
				size_t n = (size_t)tab->period_count * tab->group_count;
				x->num[id][t][d] = calloc(n, sizeof(int64_t));
				x->den[id][t][d] = calloc(n, sizeof(int64_t));
				x->values[id][t][d] = calloc(n, sizeof(int64_t *));
				x->value_count[id][t][d] = calloc(n, sizeof(size_t));
			}
			x->num[id][t][d][c] += num;
			x->den[id][t][d][c] += den;
			if (value >= 0) {
				size_t k = x->value_count[id][t][d][c]++;
				x->values[id][t][d][c] =
				    realloc(x->values[id][t][d][c], (k + 1) * sizeof(int64_t));
				x->values[id][t][d][c][k] = value;
			}
		}
}

static int compare_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static uint32_t naive_went_missing_from(const struct model_episode *e, int32_t day)
{
	uint32_t cover = UINT32_MAX;
	for (uint32_t j = 0; j < e->placement_count; j++) {
		const struct model_placement *p = &gen.placements[e->first_placement + j];
		if (p->start_date <= day && day < p->end_date)
			cover = j;
	}
	if (cover == UINT32_MAX)
		return SETTING_GROUP_NO_PLACEMENT;
	const struct model_placement *p = &gen.placements[e->first_placement + cover];
	if (p->setting == SETTING_RUNAWAY && p->start_date == day)
		return cover == 0 ? SETTING_GROUP_NO_PLACEMENT : (p - 1)->setting;
	return p->setting;
}

START_TEST(test_naive_episode_based)
{
	const struct model *m = &gen.model;
	static struct expect x;
	memset(&x, 0, sizeof x);
	uint32_t g[DIM_COUNT];
	for (size_t i = 0; i < m->episode_count; i++) {
		const struct model_episode *e = &m->episodes[i];
		const struct model_child *kid = &gen.children[e->child];
		int32_t end = e->discharge_date <= m->as_of ? e->discharge_date : m->as_of + 1;
		for (uint32_t k = 0; k < e->missing_count; k++) {
			const struct model_missing *mm = &gen.missing[e->first_missing + k];
			naive_groups(e, mm->begin_day, g);
			g[DIM_SETTING] = naive_went_missing_from(e, mm->begin_day);
			bool back = mm->returned_at != TS_NONE;
			int64_t dur = back ? mm->returned_at - mm->went_missing_at : 0;
			if (mm->begin_day <= m->as_of - 7)
				expect_add(&x, METRIC_RETURNED_WITHIN_7_DAYS_PCT, mm->begin_day, g,
				           back && dur <= 168 * 3600, 1, -1);
			int64_t t0 = mm->agency_informed_at;
			expect_add(&x, METRIC_REPORTED_LE_24H_PCT, mm->begin_day, g,
			           mm->reported_le_at != TS_NONE && mm->reported_le_at >= t0 &&
			               mm->reported_le_at <= t0 + 86400,
			           1, -1);
			expect_add(&x, METRIC_REPORTED_NCMEC_24H_PCT, mm->begin_day, g,
			           mm->reported_ncmec_at != TS_NONE &&
			               mm->reported_ncmec_at >= t0 &&
			               mm->reported_ncmec_at <= t0 + 86400,
			           1, -1);
			if (!back)
				continue;
			bool screened = mm->screened_at != TS_NONE &&
			                mm->screened_at >= mm->returned_at &&
			                mm->screened_at <= mm->returned_at + 72 * 3600;
			expect_add(&x, METRIC_SCREENED_AFTER_RETURN_PCT, mm->end_day, g, screened,
			           1, -1);
			if (screened)
				expect_add(&x, METRIC_SCREENED_POSITIVE_PCT, mm->end_day, g,
				           mm->screen_result == SCREEN_POSITIVE, 1, -1);
			expect_add(&x, METRIC_DAYS_MISSING_MEDIAN, mm->end_day, g, 0, 1, dur);
		}
		if (e->discharge_date != DATE_OPEN) {
			naive_groups(e, e->discharge_date - 1, g);
			g[DIM_AGE_BAND] =
			    naive_band(date_age_years(kid->birth_month, e->discharge_date));
			expect_add(&x, METRIC_RUNAWAY_DISCHARGES_PCT, e->discharge_date, g,
			           e->discharge_reason == REASON_RUNAWAY, 1, -1);
		}
		int age = date_age_years(kid->birth_month, e->removal_date);
		naive_groups(e, e->removal_date, g);
		/* Runaway within 12 months of entry: 12-17, more than 7 days,
		 * counted once its full 12 months have elapsed. */
		int32_t w = e->removal_date + 365;
		if (e->discharge_date < w)
			w = e->discharge_date;
		if (age >= 12 && age < 18 && end - e->removal_date > 7 &&
		    e->removal_date + 365 <= m->as_of + 1) {
			bool ran = false, assigned = false;
			for (uint32_t k = 0; k < e->missing_count; k++) {
				int32_t b = gen.missing[e->first_missing + k].begin_day;
				ran = ran || (b >= e->removal_date && b < w);
			}
			for (int32_t d = e->removal_date; d < w; d++)
				assigned = assigned || naive_advocate(e, d) == ADVOCATE_ASSIGNED;
			g[DIM_ADVOCATE] = assigned ? ADVOCATE_ASSIGNED : ADVOCATE_NOT_ASSIGNED;
			expect_add(&x, METRIC_RUNAWAY_WITHIN_12M_OF_ENTRY_PCT, e->removal_date, g,
			           ran, 1, -1);
		}
		/* CFSR entry cohort, day by day over the observed range. */
		if (age < 18 && end - e->removal_date >= 8) {
			int32_t adult = date_add_years(kid->birth_month, 18);
			for (int t = PERIOD_YEAR; t <= PERIOD_FISCAL_YEAR; t++) {
				int32_t pe =
				    period_last_day((enum period_type)t, FY_START,
				                    period_index_of((enum period_type)t, FY_START,
				                                    e->removal_date));
				for (int32_t d = e->removal_date; d < end && d < adult && d <= pe;
				     d++) {
					naive_groups(e, d, g);
					g[DIM_AGE_BAND] = naive_band(age);
					int64_t moves = 0;
					const struct model_placement *prev = NULL;
					for (uint32_t k = 0; k < e->placement_count; k++) {
						const struct model_placement *p =
						    &gen.placements[e->first_placement + k];
						if (p->setting >= SETTING_TRIAL_HOME_VISIT)
							continue;
						if (prev && p->start_date == d &&
						    !(prev->has_provider && p->has_provider &&
						      prev->provider_key == p->provider_key))
							moves++;
						prev = p;
					}
					for (int dd = 0; dd < DIM_COUNT; dd++) {
						const struct metrics_table *tab =
						    metrics_table_find(
						        &result,
						        METRIC_PLACEMENT_MOVES_PER_1000_DAYS,
						        (enum period_type)t, (enum dim)dd);
						if (!tab)
							continue;
						enum metric_id id =
						    METRIC_PLACEMENT_MOVES_PER_1000_DAYS;
						if (!x.num[id][t][dd]) {
							size_t n = (size_t)tab->period_count *
							           tab->group_count;
							x.num[id][t][dd] =
							    calloc(n, sizeof(int64_t));
							x.den[id][t][dd] =
							    calloc(n, sizeof(int64_t));
						}
						int32_t row =
						    period_index_of((enum period_type)t, FY_START,
						                    e->removal_date) -
						    tab->first_period;
						size_t c = (size_t)row * tab->group_count + g[dd];
						x.num[id][t][dd][c] += moves;
						x.den[id][t][dd][c] += 1;
					}
				}
			}
		}
	}
	int compared = 0;
	for (size_t i = 0; i < result.table_count; i++) {
		const struct metrics_table *tab = &result.tables[i];
		enum metric_id id = tab->metric;
		bool quantile = id == METRIC_DAYS_MISSING_MEDIAN || id == METRIC_DAYS_MISSING_P90;
		enum metric_id source = quantile ? METRIC_DAYS_MISSING_MEDIAN : id;
		bool episode_based =
		    quantile || id == METRIC_RETURNED_WITHIN_7_DAYS_PCT ||
		    id == METRIC_REPORTED_LE_24H_PCT || id == METRIC_REPORTED_NCMEC_24H_PCT ||
		    id == METRIC_SCREENED_AFTER_RETURN_PCT || id == METRIC_SCREENED_POSITIVE_PCT ||
		    id == METRIC_RUNAWAY_DISCHARGES_PCT ||
		    id == METRIC_RUNAWAY_WITHIN_12M_OF_ENTRY_PCT ||
		    id == METRIC_PLACEMENT_MOVES_PER_1000_DAYS;
		if (!episode_based)
			continue;
		int64_t *num = x.num[source][tab->period_type][tab->dim];
		int64_t *den = x.den[source][tab->period_type][tab->dim];
		ck_assert_ptr_nonnull(den);
		for (size_t c = 0; c < (size_t)tab->period_count * tab->group_count; c++) {
			ck_assert_int_eq(tab->cells[c].denominator, den[c]);
			if (!quantile) {
				ck_assert_int_eq(tab->cells[c].numerator, num[c]);
				compared += den[c] > 0;
				continue;
			}
			size_t n = x.value_count[source][tab->period_type][tab->dim][c];
			int64_t *v = x.values[source][tab->period_type][tab->dim][c];
			ck_assert_int_eq((int64_t)n, den[c]);
			if (!n)
				continue;
			qsort(v, n, sizeof *v, compare_i64);
			/* Median: middle value, or the two middle values' sum
			 * for even n; p90: the ceil(0.9 n)-th smallest. */
			int64_t twice = id == METRIC_DAYS_MISSING_MEDIAN
			                    ? (n % 2 ? 2 * v[n / 2] : v[n / 2 - 1] + v[n / 2])
			                    : 2 * v[(size_t)((9 * (int64_t)n + 9) / 10) - 1];
			ck_assert_int_eq(tab->cells[c].quantile_2s, twice);
			compared++;
		}
	}
	ck_assert_int_gt(compared, 1000);
	for (int id = 0; id < METRIC_COUNT; id++)
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
			for (int d = 0; d < DIM_COUNT; d++) {
				if (x.values[id][t][d]) {
					const struct metrics_table *tab =
					    metrics_table_find(&result, (enum metric_id)id,
					                       (enum period_type)t, (enum dim)d);
					for (size_t c = 0;
					     c < (size_t)tab->period_count * tab->group_count; c++)
						free(x.values[id][t][d][c]);
				}
				free(x.num[id][t][d]);
				free(x.den[id][t][d]);
				free(x.values[id][t][d]);
				free(x.value_count[id][t][d]);
			}
}
END_TEST

START_TEST(test_deterministic)
{
	/* Same model, same cells (threads must not change anything). */
	struct metrics_result again;
	struct metrics_options options = {FY_START, 72 * 3600, 0.95,
	                                  CONFIG_DEFAULT_METRICS_THREADS};
	enum metrics_failure failure;
	ck_assert(metrics_compute(&gen.model, &options, &again, &failure));
	ck_assert_uint_eq(again.table_count, result.table_count);
	for (size_t i = 0; i < result.table_count; i++) {
		const struct metrics_table *a = &result.tables[i], *b = &again.tables[i];
		size_t cells = (size_t)a->period_count * a->group_count;
		ck_assert_int_eq(memcmp(a->cells, b->cells, cells * sizeof *a->cells), 0);
	}
	metrics_free(&again);
}
END_TEST

/* Every table and cell of a and b, field by field (exact: counts are
 * integers, and the quantiles and expected counts are worked out from the
 * summed counts, so a thread count changes no bit). */
static void assert_same_result(const struct metrics_result *a, const struct metrics_result *b,
                               int threads)
{
	ck_assert_uint_eq(a->table_count, b->table_count);
	for (size_t i = 0; i < a->table_count; i++) {
		const struct metrics_table *x = &a->tables[i], *y = &b->tables[i];
		ck_assert(x->metric == y->metric && x->period_type == y->period_type &&
		          x->dim == y->dim && x->first_period == y->first_period);
		ck_assert_uint_eq(x->period_count, y->period_count);
		ck_assert_uint_eq(x->group_count, y->group_count);
		for (size_t c = 0; c < (size_t)x->period_count * x->group_count; c++) {
			const struct metrics_cell *p = &x->cells[c], *q = &y->cells[c];
			ck_assert_msg(
			    p->numerator == q->numerator && p->denominator == q->denominator &&
			        p->children == q->children && p->quantile_2s == q->quantile_2s &&
			        p->has_quantile_interval == q->has_quantile_interval &&
			        p->quantile_low_s == q->quantile_low_s &&
			        p->quantile_high_s == q->quantile_high_s &&
			        p->has_expected == q->has_expected &&
			        memcmp(&p->expected, &q->expected, sizeof p->expected) == 0,
			    "%d threads: %s table %zu cell %zu differs", threads,
			    metrics_catalog[x->metric].id, i, c);
		}
	}
}

/* What the cells hold, so the comparison below compares something: sums
 * over every cell of every table. */
struct result_sums {
	int64_t numerators, denominators, children, quantiles, intervals, expected;
};

static struct result_sums sum_result(const struct metrics_result *r)
{
	struct result_sums sums = {0, 0, 0, 0, 0, 0};
	for (size_t i = 0; i < r->table_count; i++)
		for (size_t c = 0; c < (size_t)r->tables[i].period_count * r->tables[i].group_count;
		     c++) {
			const struct metrics_cell *cell = &r->tables[i].cells[c];
			sums.numerators += cell->numerator;
			sums.denominators += cell->denominator;
			sums.children += cell->children;
			sums.quantiles += cell->quantile_2s != 0;
			sums.intervals += cell->has_quantile_interval;
			sums.expected += cell->has_expected && cell->expected > 0;
		}
	return sums;
}

START_TEST(test_threads_same_cells)
{
	/* Issue 15: the passes run over slices of children, one per thread,
	 * into cells of their own, summed at the end. 1 thread is the whole
	 * model in one slice; 2 and 3 (400 children do not split evenly in
	 * 3: slices of whole children, uneven) and 64 must give every cell
	 * of every table bit for bit. */
	struct metrics_options options = {FY_START, 72 * 3600, 0.95, 1};
	struct metrics_result one;
	enum metrics_failure failure;
	ck_assert(metrics_compute(&gen.model, &options, &one, &failure));
	/* Not an empty comparison: counts, distinct children, quantiles with
	 * intervals and expected counts are all there. */
	struct result_sums sums = sum_result(&one);
	ck_assert(sums.numerators > 0 && sums.denominators > 0 && sums.children > 0);
	ck_assert(sums.quantiles > 0 && sums.intervals > 0 && sums.expected > 0);
	static const int threads[] = {2, 3, 64};
	for (size_t k = 0; k < sizeof threads / sizeof threads[0]; k++) {
		struct metrics_result many;
		options.threads = threads[k];
		ck_assert(metrics_compute(&gen.model, &options, &many, &failure));
		assert_same_result(&one, &many, threads[k]);
		metrics_free(&many);
	}
	metrics_free(&one);
}
END_TEST

START_TEST(test_threads_more_than_children)
{
	/* 3 children on 5 threads: slices with no child at all add nothing. */
	struct gen small;
	gen_build(&small, 3, 77);
	struct metrics_options options = {FY_START, 72 * 3600, 0.95, 1};
	struct metrics_result one, five;
	enum metrics_failure failure;
	ck_assert(metrics_compute(&small.model, &options, &one, &failure));
	ck_assert(sum_result(&one).denominators > 0);
	options.threads = 5;
	ck_assert(metrics_compute(&small.model, &options, &five, &failure));
	assert_same_result(&one, &five, 5);
	metrics_free(&one);
	metrics_free(&five);
	gen_free(&small);
}
END_TEST

static Suite *property_suite(void)
{
	Suite *s = suite_create("metrics_property");
	TCase *tc = tcase_create("random_model");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_groups_add_up);
	tcase_add_test(tc, test_months_add_up);
	tcase_add_test(tc, test_naive_days_moves_missing);
	tcase_add_test(tc, test_naive_child_based);
	tcase_add_test(tc, test_naive_episode_based);
	tcase_add_test(tc, test_deterministic);
	tcase_add_test(tc, test_threads_same_cells);
	tcase_add_test(tc, test_threads_more_than_children);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* GSL aborts on an error by default (interval.h) */
	interval_init();
	SRunner *runner = srunner_create(property_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
