/*
 * test_metrics_engine.c — every metric of docs/metrics.md on small
 * hand-built models; each expectation is worked out by hand in a comment.
 *
 * Models are built here directly (struct model arrays with their first_* /
 * *_count indices), so these tests do not depend on model_build().
 * Timestamps are UTC: the day of a timestamp is floor(ts / 86400).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "casa/config.h"
#include "casa/interval.h"
#include "casa/metrics.h"

#define DAY_S       86400
#define HOUR_S      3600
#define NO_PROVIDER (-1)
#define OPEN        DATE_OPEN

/* A tiny model under construction: rows are appended in model order
 * (children and episodes sorted, each episode's rows right after it). */
struct fixture {
	struct model model;                /* points into the arrays below */
	struct model_child children[32];   /* by child index */
	struct model_episode episodes[32]; /* sorted by child */
	struct model_placement placements[64];
	struct model_missing missing[64];
	struct model_assignment assignments[32];
	struct model_identification identifications[32];
	char *counties[2];            /* "Alpha", "Beta" */
	struct metrics_result result; /* computed by fx_compute */
	bool computed;                /* result must be freed */
};

static char county_alpha[] = "Alpha";
static char county_beta[] = "Beta";
static struct fixture fx;

static int32_t D(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

/* Unix seconds of a UTC day plus hours and seconds. */
static int64_t TS(int32_t day, int hours, int seconds)
{
	return (int64_t)day * DAY_S + hours * HOUR_S + seconds;
}

static void fx_init(int32_t as_of)
{
	if (fx.computed)
		metrics_free(&fx.result);
	memset(&fx, 0, sizeof fx);
	fx.counties[0] = county_alpha;
	fx.counties[1] = county_beta;
	fx.model.as_of = as_of;
	fx.model.children = fx.children;
	fx.model.episodes = fx.episodes;
	fx.model.placements = fx.placements;
	fx.model.missing = fx.missing;
	fx.model.assignments = fx.assignments;
	fx.model.identifications = fx.identifications;
	fx.model.has_identifications = true;
	fx.model.counties = fx.counties;
	fx.model.county_count = 2;
}

static uint32_t fx_child(int birth_year, int birth_month, enum sex sex, enum race race)
{
	uint32_t i = (uint32_t)fx.model.child_count++;
	fx.children[i].child_key = 1000 + i;
	fx.children[i].birth_month = D(birth_year, birth_month, 1);
	fx.children[i].sex = (uint8_t)sex;
	fx.children[i].race = (uint8_t)race;
	return i;
}

static struct model_episode *fx_episode(uint32_t child, uint16_t county, int32_t removal,
                                        int32_t discharge, enum discharge_reason reason)
{
	struct model_episode *e = &fx.episodes[fx.model.episode_count++];
	e->episode_key = 5000 + (int64_t)fx.model.episode_count;
	e->child = child;
	e->county = county;
	e->removal_date = removal;
	e->discharge_date = discharge;
	e->discharge_reason = (uint8_t)(discharge == OPEN ? REASON_NONE : reason);
	e->first_placement = (uint32_t)fx.model.placement_count;
	e->first_missing = (uint32_t)fx.model.missing_count;
	e->first_assignment = (uint32_t)fx.model.assignment_count;
	e->first_identification = (uint32_t)fx.model.identification_count;
	return e;
}

/* Rows below belong to the last episode added. */
static void fx_placement(enum setting setting, int64_t provider, int32_t start, int32_t end)
{
	struct model_placement *p = &fx.placements[fx.model.placement_count++];
	p->placement_key = (int64_t)fx.model.placement_count;
	p->provider_key = provider;
	p->has_provider = provider != NO_PROVIDER;
	p->setting = (uint8_t)setting;
	p->start_date = start;
	p->end_date = end;
	fx.episodes[fx.model.episode_count - 1].placement_count++;
}

static struct model_missing *fx_missing(int64_t went, int64_t returned)
{
	struct model_missing *m = &fx.missing[fx.model.missing_count++];
	m->went_missing_at = went;
	m->agency_informed_at = went;
	m->returned_at = returned;
	m->reported_le_at = TS_NONE;
	m->reported_ncmec_at = TS_NONE;
	m->screened_at = TS_NONE;
	m->begin_day = (int32_t)(went / DAY_S);
	m->end_day = returned == TS_NONE ? OPEN : (int32_t)(returned / DAY_S);
	m->screen_result = SCREEN_NONE;
	fx.episodes[fx.model.episode_count - 1].missing_count++;
	return m;
}

static void fx_assignment(int32_t start, int32_t end)
{
	struct model_assignment *a = &fx.assignments[fx.model.assignment_count++];
	a->start_date = start;
	a->end_date = end;
	fx.episodes[fx.model.episode_count - 1].assignment_count++;
}

/* A trafficking identification at `at`; while_in_care as the model would
 * have it (the day is then one in care). */
static void fx_identification(int64_t at, bool while_in_care, int64_t reported_le_at)
{
	struct model_identification *i = &fx.identifications[fx.model.identification_count++];
	i->identified_at = at;
	i->day = (int32_t)(at / DAY_S);
	i->while_in_care = while_in_care;
	i->reported_le_at = reported_le_at;
	fx.episodes[fx.model.episode_count - 1].identification_count++;
}

static void fx_compute(int fy_start_month)
{
	fx.model.first_day = fx.model.as_of;
	for (size_t i = 0; i < fx.model.episode_count; i++)
		if (fx.episodes[i].removal_date < fx.model.first_day)
			fx.model.first_day = fx.episodes[i].removal_date;
	struct metrics_options options = {fy_start_month, 72 * HOUR_S, 0.95,
	                                  CONFIG_DEFAULT_METRICS_THREADS};
	enum metrics_failure failure;
	ck_assert(metrics_compute(&fx.model, &options, &fx.result, &failure));
	fx.computed = true;
}

static void fx_teardown(void)
{
	if (fx.computed)
		metrics_free(&fx.result);
	fx.computed = false;
}

/* The cell of (metric, type, dim) for the period containing `day`. */
static const struct metrics_cell *cell(enum metric_id metric, enum period_type type, enum dim dim,
                                       int32_t day, uint32_t group)
{
	const struct metrics_table *t = metrics_table_find(&fx.result, metric, type, dim);
	ck_assert_ptr_nonnull(t);
	int32_t row = period_index_of(type, fx.result.fy_start_month, day) - t->first_period;
	ck_assert_int_ge(row, 0);
	ck_assert_int_lt(row, (int32_t)t->period_count);
	ck_assert_uint_lt(group, t->group_count);
	return &t->cells[(size_t)row * t->group_count + group];
}

#define ND(metric, type, dim, day, group, num, den)                                                \
	do {                                                                                       \
		const struct metrics_cell *c_ = cell(metric, type, dim, day, group);               \
		ck_assert_int_eq(c_->numerator, num);                                              \
		ck_assert_int_eq(c_->denominator, den);                                            \
	} while (0)
#define TOTAL(metric, type, day, num, den) ND(metric, type, DIM_TOTAL, day, 0, num, den)

/* A quantile cell's interval: the values at its two ranks, in seconds. */
static void assert_interval(const struct metrics_cell *x, int64_t low_s, int64_t high_s)
{
	ck_assert(x->has_quantile_interval);
	ck_assert_int_eq(x->quantile_low_s, low_s);
	ck_assert_int_eq(x->quantile_high_s, high_s);
}

/* ==== days in care and moves ==== */

START_TEST(test_days_in_care_edges)
{
	fx_init(D(2024, 12, 31));
	/* Child 0: in care 2024-01-30 .. discharged 2024-02-02. Days in care:
	 * Jan 30, Jan 31, Feb 1 = 3 (the discharge day is not in care):
	 * January 2, February 1. */
	uint32_t c0 = fx_child(2010, 5, SEX_FEMALE, RACE_WHITE);
	fx_episode(c0, 0, D(2024, 1, 30), D(2024, 2, 2), REASON_REUNIFICATION);
	/* Child 1: enters 2024-03-10, leaves 2024-03-11: one day. */
	uint32_t c1 = fx_child(2010, 5, SEX_MALE, RACE_BLACK);
	fx_episode(c1, 1, D(2024, 3, 10), D(2024, 3, 11), REASON_REUNIFICATION);
	fx_compute(10);
	enum metric_id m = METRIC_MOVES_PER_1000_DAYS_IN_CARE;
	TOTAL(m, PERIOD_MONTH, D(2024, 1, 1), 0, 2);
	TOTAL(m, PERIOD_MONTH, D(2024, 2, 1), 0, 1);
	TOTAL(m, PERIOD_MONTH, D(2024, 3, 1), 0, 1);
	/* Q1: 3 + 1 = 4; year 2024 and FY2024 (2023-10..2024-09): 4. */
	TOTAL(m, PERIOD_QUARTER, D(2024, 1, 1), 0, 4);
	TOTAL(m, PERIOD_YEAR, D(2024, 1, 1), 0, 4);
	TOTAL(m, PERIOD_FISCAL_YEAR, D(2024, 1, 1), 0, 4);
	/* By county: Alpha 3 (child 0), Beta 1 (child 1) in Q1. */
	ND(m, PERIOD_QUARTER, DIM_COUNTY, D(2024, 1, 1), 0, 0, 3);
	ND(m, PERIOD_QUARTER, DIM_COUNTY, D(2024, 1, 1), 1, 0, 1);
	ND(m, PERIOD_QUARTER, DIM_SEX, D(2024, 1, 1), SEX_MALE, 0, 1);
	ND(m, PERIOD_QUARTER, DIM_RACE_ETHNICITY, D(2024, 1, 1), RACE_WHITE, 0, 3);
	/* Distinct children: 2 in Q1 total, 1 in January. */
	ck_assert_int_eq(cell(m, PERIOD_QUARTER, DIM_TOTAL, D(2024, 1, 1), 0)->children, 2);
	ck_assert_int_eq(cell(m, PERIOD_MONTH, DIM_TOTAL, D(2024, 1, 1), 0)->children, 1);
	/* The same denominators serve runaway_episodes_per_1000_days. */
	TOTAL(METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_QUARTER, D(2024, 1, 1), 0, 4);
	/* Periods run from 2024-01 (first removal) to 2024-12 (as_of). */
	const struct metrics_table *t = metrics_table_find(&fx.result, m, PERIOD_MONTH, DIM_TOTAL);
	ck_assert_int_eq(t->first_period, 2024 * 12);
	ck_assert_uint_eq(t->period_count, 12);
	/* FY2024 (2023-10-01..2024-09-30) and FY2025 (contains as_of). */
	t = metrics_table_find(&fx.result, m, PERIOD_FISCAL_YEAR, DIM_TOTAL);
	ck_assert_int_eq(t->first_period, 2024);
	ck_assert_uint_eq(t->period_count, 2);
}
END_TEST

START_TEST(test_leap_year_partial_period)
{
	/* Open episode from 2024-02-01, as_of 2024-03-05: February 2024 has 29
	 * days in care; March is partial, measured through as_of: 1..5 = 5.
	 * Q1 = 29 + 5 = 34. */
	fx_init(D(2024, 3, 5));
	uint32_t c = fx_child(2015, 1, SEX_FEMALE, RACE_ASIAN);
	fx_episode(c, 0, D(2024, 2, 1), OPEN, REASON_NONE);
	fx_compute(10);
	enum metric_id m = METRIC_MOVES_PER_1000_DAYS_IN_CARE;
	TOTAL(m, PERIOD_MONTH, D(2024, 2, 1), 0, 29);
	TOTAL(m, PERIOD_MONTH, D(2024, 3, 1), 0, 5);
	TOTAL(m, PERIOD_QUARTER, D(2024, 1, 1), 0, 34);
	/* No placement at all: every day is no_placement by setting. */
	ND(METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_MONTH, DIM_SETTING, D(2024, 2, 1),
	   SETTING_GROUP_NO_PLACEMENT, 0, 29);
}
END_TEST

START_TEST(test_moves_rules)
{
	fx_init(D(2024, 12, 31));
	uint32_t c = fx_child(2012, 6, SEX_MALE, RACE_HISPANIC);
	fx_episode(c, 0, D(2024, 1, 1), OPEN, REASON_NONE);
	fx_placement(SETTING_FOSTER_HOME, 100, D(2024, 1, 1), D(2024, 2, 1));     /* initial */
	fx_placement(SETTING_HOSPITAL, 7, D(2024, 2, 1), D(2024, 2, 5));          /* temporary */
	fx_placement(SETTING_FOSTER_HOME, 100, D(2024, 2, 5), D(2024, 3, 1));     /* same home */
	fx_placement(SETTING_GROUP_HOME, 200, D(2024, 3, 1), D(2024, 4, 1));      /* move Mar 1 */
	fx_placement(SETTING_RUNAWAY, NO_PROVIDER, D(2024, 4, 1), D(2024, 4, 3)); /* temporary */
	fx_placement(SETTING_FOSTER_HOME, NO_PROVIDER, D(2024, 4, 3), D(2024, 5, 1)); /* move */
	fx_placement(SETTING_FOSTER_HOME, NO_PROVIDER, D(2024, 5, 1),
	             OPEN); /* null != null: move */
	/* Second child: two placements starting on the removal day: the second
	 * is a move dated on the removal day (2024-06-10). */
	uint32_t c2 = fx_child(2012, 6, SEX_FEMALE, RACE_HISPANIC);
	fx_episode(c2, 0, D(2024, 6, 10), D(2024, 6, 20), REASON_RELATIVE);
	fx_placement(SETTING_FOSTER_HOME, 1, D(2024, 6, 10), D(2024, 6, 20));
	fx_placement(SETTING_RELATIVE_HOME, 2, D(2024, 6, 10), D(2024, 6, 20));
	fx_compute(10);
	enum metric_id m = METRIC_MOVES_PER_1000_DAYS_IN_CARE;
	/* Moves: Mar 1, Apr 3, May 1 (child 0), Jun 10 (child 1). */
	TOTAL(m, PERIOD_MONTH, D(2024, 1, 1), 0, 31);
	TOTAL(m, PERIOD_MONTH, D(2024, 2, 1), 0, 29);
	TOTAL(m, PERIOD_MONTH, D(2024, 3, 1), 1, 31);
	TOTAL(m, PERIOD_MONTH, D(2024, 4, 1), 1, 30);
	TOTAL(m, PERIOD_MONTH, D(2024, 5, 1), 1, 31);
	/* June: 30 days (child 0) + Jun 10..19 = 10 days (child 1). */
	TOTAL(m, PERIOD_MONTH, D(2024, 6, 1), 1, 40);
	/* Year 2024: 4 moves; 366 days (leap year) + 10 = 376. */
	TOTAL(m, PERIOD_YEAR, D(2024, 1, 1), 4, 376);
	/* FY2024 = 2023-10..2024-09: moves Mar, Apr, May, Jun = 4; days
	 * Jan 1..Sep 30 2024 = 274, + 10 = 284. FY2025: Oct..Dec = 92, 0 moves. */
	TOTAL(m, PERIOD_FISCAL_YEAR, D(2024, 1, 1), 4, 284);
	TOTAL(m, PERIOD_FISCAL_YEAR, D(2024, 10, 1), 0, 92);
	/* Days by setting (runaway denominators), child 0:
	 * Feb: hospital Feb 1..4 = 4, foster Feb 5..29 = 25.
	 * Apr: runaway Apr 1..2 = 2, foster Apr 3..30 = 28. */
	enum metric_id r = METRIC_RUNAWAY_EPISODES_PER_1000_DAYS;
	ND(r, PERIOD_MONTH, DIM_SETTING, D(2024, 2, 1), SETTING_HOSPITAL, 0, 4);
	ND(r, PERIOD_MONTH, DIM_SETTING, D(2024, 2, 1), SETTING_FOSTER_HOME, 0, 25);
	ND(r, PERIOD_MONTH, DIM_SETTING, D(2024, 4, 1), SETTING_RUNAWAY, 0, 2);
	ND(r, PERIOD_MONTH, DIM_SETTING, D(2024, 4, 1), SETTING_FOSTER_HOME, 0, 28);
	ND(r, PERIOD_MONTH, DIM_SETTING, D(2024, 3, 1), SETTING_GROUP_HOME, 0, 31);
	/* June: child 1's relative placement (later in order) wins Jun 10..19. */
	ND(r, PERIOD_MONTH, DIM_SETTING, D(2024, 6, 1), SETTING_RELATIVE_HOME, 0, 10);
	ND(r, PERIOD_MONTH, DIM_SETTING, D(2024, 6, 1), SETTING_FOSTER_HOME, 0, 30);
	/* Sex: the move on Jun 10 is the girl's. */
	ND(m, PERIOD_MONTH, DIM_SEX, D(2024, 6, 1), SEX_FEMALE, 1, 10);
	ND(m, PERIOD_MONTH, DIM_SEX, D(2024, 6, 1), SEX_MALE, 0, 30);
}
END_TEST

START_TEST(test_overlap_and_gap_settings)
{
	/* Episode Jan 1 .. Feb 5 2024. Foster Jan 1..Jan 31 (exclusive), a
	 * relative placement Jan 10..Jan 20 overlapping it (later in order:
	 * wins Jan 10..19 = 10 days); foster keeps Jan 1..9 (9) and Jan 20..30
	 * (11) = 20; Jan 31..Feb 4 no placement = 1 + 4 = 5 days. */
	fx_init(D(2024, 6, 30));
	uint32_t c = fx_child(2011, 1, SEX_OTHER, RACE_NHPI);
	fx_episode(c, 1, D(2024, 1, 1), D(2024, 2, 5), REASON_ADOPTION);
	fx_placement(SETTING_FOSTER_HOME, 1, D(2024, 1, 1), D(2024, 1, 31));
	fx_placement(SETTING_RELATIVE_HOME, 2, D(2024, 1, 10), D(2024, 1, 20));
	fx_compute(10);
	enum metric_id r = METRIC_RUNAWAY_EPISODES_PER_1000_DAYS;
	ND(r, PERIOD_MONTH, DIM_SETTING, D(2024, 1, 1), SETTING_RELATIVE_HOME, 0, 10);
	ND(r, PERIOD_MONTH, DIM_SETTING, D(2024, 1, 1), SETTING_FOSTER_HOME, 0, 20);
	ND(r, PERIOD_MONTH, DIM_SETTING, D(2024, 1, 1), SETTING_GROUP_NO_PLACEMENT, 0, 1);
	ND(r, PERIOD_MONTH, DIM_SETTING, D(2024, 2, 1), SETTING_GROUP_NO_PLACEMENT, 0, 4);
	ND(r, PERIOD_QUARTER, DIM_SETTING, D(2024, 1, 1), SETTING_GROUP_NO_PLACEMENT, 0, 5);
	/* The relative placement is a move on Jan 10 (provider 2 != 1); the
	 * foster days after it are not a new placement. */
	TOTAL(METRIC_MOVES_PER_1000_DAYS_IN_CARE, PERIOD_MONTH, D(2024, 1, 1), 1, 31);
}
END_TEST

START_TEST(test_advocate_per_day)
{
	/* Episode Jan 1 .. Mar 1 2024 (60 days: Jan 31 + Feb 29). Assignments
	 * Jan 15..Feb 10 and Feb 1..Feb 20 overlap: union Jan 15..Feb 19.
	 * Jan: assigned 15..31 = 17, not 1..14 = 14.
	 * Feb: assigned 1..19 = 19, not 20..29 = 10.
	 * Moves: Jan 5 (not assigned), Feb 15 (assigned). */
	fx_init(D(2024, 6, 30));
	uint32_t c = fx_child(2010, 1, SEX_FEMALE, RACE_AIAN);
	fx_episode(c, 0, D(2024, 1, 1), D(2024, 3, 1), REASON_REUNIFICATION);
	fx_placement(SETTING_FOSTER_HOME, 1, D(2024, 1, 1), D(2024, 1, 5));
	fx_placement(SETTING_FOSTER_HOME, 2, D(2024, 1, 5), D(2024, 2, 15));
	fx_placement(SETTING_GROUP_HOME, 3, D(2024, 2, 15), D(2024, 3, 1));
	fx_assignment(D(2024, 1, 15), D(2024, 2, 10));
	fx_assignment(D(2024, 2, 1), D(2024, 2, 20));
	fx_compute(10);
	enum metric_id m = METRIC_MOVES_PER_1000_DAYS_IN_CARE;
	ND(m, PERIOD_MONTH, DIM_ADVOCATE, D(2024, 1, 1), ADVOCATE_ASSIGNED, 0, 17);
	ND(m, PERIOD_MONTH, DIM_ADVOCATE, D(2024, 1, 1), ADVOCATE_NOT_ASSIGNED, 1, 14);
	ND(m, PERIOD_MONTH, DIM_ADVOCATE, D(2024, 2, 1), ADVOCATE_ASSIGNED, 1, 19);
	ND(m, PERIOD_MONTH, DIM_ADVOCATE, D(2024, 2, 1), ADVOCATE_NOT_ASSIGNED, 0, 10);
	/* Q1: assigned 36 days 1 move, not assigned 24 days 1 move. */
	ND(m, PERIOD_QUARTER, DIM_ADVOCATE, D(2024, 1, 1), ADVOCATE_ASSIGNED, 1, 36);
	ND(m, PERIOD_QUARTER, DIM_ADVOCATE, D(2024, 1, 1), ADVOCATE_NOT_ASSIGNED, 1, 24);
	/* One child in each advocate group (a day-based split). */
	ck_assert_int_eq(
	    cell(m, PERIOD_QUARTER, DIM_ADVOCATE, D(2024, 1, 1), ADVOCATE_ASSIGNED)->children, 1);
}
END_TEST

START_TEST(test_age_band_per_day)
{
	/* Born 2012-03: 12th birthday 2024-03-01. Episode Feb 1 .. Apr 1 2024:
	 * February (29 days) at age 11 (6-11), March (31) at 12 (12-14). A move
	 * on 2024-03-01, the birthday itself, is at age 12. */
	fx_init(D(2024, 6, 30));
	uint32_t c = fx_child(2012, 3, SEX_MALE, RACE_WHITE);
	fx_episode(c, 0, D(2024, 2, 1), D(2024, 4, 1), REASON_REUNIFICATION);
	fx_placement(SETTING_FOSTER_HOME, 1, D(2024, 2, 1), D(2024, 3, 1));
	fx_placement(SETTING_FOSTER_HOME, 2, D(2024, 3, 1), D(2024, 4, 1));
	fx_compute(10);
	enum metric_id m = METRIC_MOVES_PER_1000_DAYS_IN_CARE;
	ND(m, PERIOD_QUARTER, DIM_AGE_BAND, D(2024, 1, 1), AGE_6_11, 0, 29);
	ND(m, PERIOD_QUARTER, DIM_AGE_BAND, D(2024, 1, 1), AGE_12_14, 1, 31);
	ND(m, PERIOD_QUARTER, DIM_AGE_BAND, D(2024, 1, 1), AGE_0_5, 0, 0);
}
END_TEST

START_TEST(test_entry_cohort_moves)
{
	/* as_of 2025-06-30, fiscal year from October. */
	fx_init(D(2025, 6, 30));
	/* A: removal 2024-09-20 (FY2024), open; moves 2024-09-25 and
	 * 2024-10-05. FY2024 ends 2024-09-30: observed Sep 20..30 = 11 days,
	 * 1 move. Year 2024: Sep 20..Dec 31 = 11 + 31 + 30 + 31 = 103 days,
	 * 2 moves. */
	uint32_t a = fx_child(2010, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(a, 0, D(2024, 9, 20), OPEN, REASON_NONE);
	fx_placement(SETTING_FOSTER_HOME, 1, D(2024, 9, 20), D(2024, 9, 25));
	fx_placement(SETTING_FOSTER_HOME, 2, D(2024, 9, 25), D(2024, 10, 5));
	fx_placement(SETTING_FOSTER_HOME, 3, D(2024, 10, 5), OPEN);
	/* B: 7 days in care (2024-03-01..03-08): not in the cohort. */
	uint32_t b = fx_child(2010, 1, SEX_MALE, RACE_WHITE);
	fx_episode(b, 0, D(2024, 3, 1), D(2024, 3, 8), REASON_REUNIFICATION);
	/* C: 8 days (2024-05-01..05-09): in, 8 days observed. */
	uint32_t cc = fx_child(2010, 1, SEX_MALE, RACE_WHITE);
	fx_episode(cc, 1, D(2024, 5, 1), D(2024, 5, 9), REASON_REUNIFICATION);
	/* D: born 2006-07, 18th birthday 2024-07-01; removal 2024-06-20 at 17:
	 * observed Jun 20..30 = 11 days; the birthday is not observed. A move
	 * on the birthday is not counted either. */
	uint32_t d = fx_child(2006, 7, SEX_FEMALE, RACE_BLACK);
	fx_episode(d, 0, D(2024, 6, 20), OPEN, REASON_NONE);
	fx_placement(SETTING_FOSTER_HOME, 1, D(2024, 6, 20), D(2024, 7, 1));
	fx_placement(SETTING_GROUP_HOME, 2, D(2024, 7, 1), OPEN);
	/* E: 18 at removal (born 2006-01, removal 2024-02-01): left out. */
	uint32_t e = fx_child(2006, 1, SEX_FEMALE, RACE_BLACK);
	fx_episode(e, 0, D(2024, 2, 1), OPEN, REASON_NONE);
	/* F: removal 2024-10-01 = first day of FY2025. FY2025 observed through
	 * as_of: Oct 31 + Nov 30 + Dec 31 + Jan 31 + Feb 28 + Mar 31 + Apr 30 +
	 * May 31 + Jun 30 = 273 days. Year 2024: Oct..Dec = 92 days. */
	uint32_t f = fx_child(2014, 1, SEX_MALE, RACE_ASIAN);
	fx_episode(f, 0, D(2024, 10, 1), OPEN, REASON_NONE);
	/* G: removal 2024-09-30 = last day of FY2024, open: FY2024 1 day;
	 * year 2024: Sep 30 + 92 = 93 days. */
	uint32_t g = fx_child(2014, 1, SEX_MALE, RACE_ASIAN);
	fx_episode(g, 0, D(2024, 9, 30), OPEN, REASON_NONE);
	fx_compute(10);
	enum metric_id m = METRIC_PLACEMENT_MOVES_PER_1000_DAYS;
	/* Year 2024: 103 + 8 + 11 + 92 + 93 = 307 days; moves: A's 2. */
	TOTAL(m, PERIOD_YEAR, D(2024, 1, 1), 2, 307);
	/* FY2024: 11 + 8 + 11 + 1 = 31 days; 1 move. FY2025: F's 273. */
	TOTAL(m, PERIOD_FISCAL_YEAR, D(2024, 9, 30), 1, 31);
	TOTAL(m, PERIOD_FISCAL_YEAR, D(2024, 10, 1), 0, 273);
	/* Age at removal: D is 15-17 (11 days), E not at all (18+ empty). */
	ND(m, PERIOD_YEAR, DIM_AGE_BAND, D(2024, 1, 1), AGE_15_17, 0, 11);
	ND(m, PERIOD_YEAR, DIM_AGE_BAND, D(2024, 1, 1), AGE_18_PLUS, 0, 0);
	/* Counties: C in Beta (8 days), the rest Alpha (307 - 8 = 299). */
	ND(m, PERIOD_YEAR, DIM_COUNTY, D(2024, 1, 1), 1, 0, 8);
	ND(m, PERIOD_YEAR, DIM_COUNTY, D(2024, 1, 1), 0, 2, 299);
	/* Children: A, C, D, F, G = 5 in year 2024. */
	ck_assert_int_eq(cell(m, PERIOD_YEAR, DIM_TOTAL, D(2024, 1, 1), 0)->children, 5);
	/* No assignments: everything is not_assigned. */
	ND(m, PERIOD_YEAR, DIM_ADVOCATE, D(2024, 1, 1), ADVOCATE_NOT_ASSIGNED, 2, 307);
	ND(m, PERIOD_YEAR, DIM_ADVOCATE, D(2024, 1, 1), ADVOCATE_ASSIGNED, 0, 0);
}
END_TEST

START_TEST(test_entry_cohort_advocate_split)
{
	/* Removal 2024-03-01, open, as_of 2024-12-31, age 10. Assignment
	 * 2024-03-11..2024-04-01: year 2024 observed Mar 1..Dec 31 = 306 days;
	 * assigned Mar 11..31 = 21, not assigned 285. Moves 2024-03-15
	 * (assigned) and 2024-05-01 (not). */
	fx_init(D(2024, 12, 31));
	uint32_t c = fx_child(2014, 1, SEX_FEMALE, RACE_UNKNOWN);
	fx_episode(c, 0, D(2024, 3, 1), OPEN, REASON_NONE);
	fx_placement(SETTING_FOSTER_HOME, 1, D(2024, 3, 1), D(2024, 3, 15));
	fx_placement(SETTING_FOSTER_HOME, 2, D(2024, 3, 15), D(2024, 5, 1));
	fx_placement(SETTING_FOSTER_HOME, 3, D(2024, 5, 1), OPEN);
	fx_assignment(D(2024, 3, 11), D(2024, 4, 1));
	fx_compute(10);
	enum metric_id m = METRIC_PLACEMENT_MOVES_PER_1000_DAYS;
	TOTAL(m, PERIOD_YEAR, D(2024, 1, 1), 2, 306);
	ND(m, PERIOD_YEAR, DIM_ADVOCATE, D(2024, 1, 1), ADVOCATE_ASSIGNED, 1, 21);
	ND(m, PERIOD_YEAR, DIM_ADVOCATE, D(2024, 1, 1), ADVOCATE_NOT_ASSIGNED, 1, 285);
	/* FY2024 ends 2024-09-30: Mar 1..Sep 30 = 214 days, both moves. */
	TOTAL(m, PERIOD_FISCAL_YEAR, D(2024, 3, 1), 2, 214);
}
END_TEST

START_TEST(test_two_or_fewer)
{
	fx_init(D(2024, 12, 31));
	/* Child 0: removal 2024-01-01, open; moves 2024-03-01, 2024-06-01.
	 * Jan: stop Feb 1, los 31 (lt12m), 1 placement -> yes.
	 * Mar: stop Apr 1, 1 move before -> 2 placements -> yes.
	 * Jun: stop Jul 1, 2 moves -> 3 -> no.
	 * Year 2024: stop = as_of + 1 = 2025-01-01, los 366 (12to24m), no. */
	uint32_t c0 = fx_child(2010, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(c0, 0, D(2024, 1, 1), OPEN, REASON_NONE);
	fx_placement(SETTING_FOSTER_HOME, 1, D(2024, 1, 1), D(2024, 3, 1));
	fx_placement(SETTING_FOSTER_HOME, 2, D(2024, 3, 1), D(2024, 6, 1));
	fx_placement(SETTING_FOSTER_HOME, 3, D(2024, 6, 1), OPEN);
	/* Child 1: 7 days (Jan 1..Jan 8): under 8, left out. */
	uint32_t c1 = fx_child(2010, 1, SEX_MALE, RACE_WHITE);
	fx_episode(c1, 0, D(2024, 1, 1), D(2024, 1, 8), REASON_REUNIFICATION);
	/* Child 2: exactly 8 days (Jan 10..Jan 18): kept, 0 placements -> yes. */
	uint32_t c2 = fx_child(2010, 1, SEX_MALE, RACE_WHITE);
	fx_episode(c2, 1, D(2024, 1, 10), D(2024, 1, 18), REASON_REUNIFICATION);
	/* Child 3: first episode 2023-11-01..2024-01-10 with 3 placements
	 * (2 moves), second 2024-01-20 open, one placement. January's latest
	 * episode served is the second: stop Feb 1, los 12 -> yes. December
	 * 2023: the first, stop 2024-01-01, los 61, 3 placements -> no. */
	uint32_t c3 = fx_child(2010, 1, SEX_FEMALE, RACE_BLACK);
	fx_episode(c3, 0, D(2023, 11, 1), D(2024, 1, 10), REASON_REUNIFICATION);
	fx_placement(SETTING_FOSTER_HOME, 1, D(2023, 11, 1), D(2023, 11, 10));
	fx_placement(SETTING_FOSTER_HOME, 2, D(2023, 11, 10), D(2023, 12, 1));
	fx_placement(SETTING_FOSTER_HOME, 3, D(2023, 12, 1), D(2024, 1, 10));
	fx_episode(c3, 1, D(2024, 1, 20), OPEN, REASON_NONE);
	fx_placement(SETTING_GROUP_HOME, 4, D(2024, 1, 20), OPEN);
	fx_compute(10);
	enum metric_id m = METRIC_TWO_OR_FEWER_PLACEMENTS_PCT;
	/* Jan 2024: children 0 (yes), 2 (yes), 3 (yes); 1 left out: 3/3. */
	TOTAL(m, PERIOD_MONTH, D(2024, 1, 1), 3, 3);
	TOTAL(m, PERIOD_MONTH, D(2023, 12, 1), 0, 1);
	/* Mar: child 0 yes (stop Apr 1: 1 move), child 3 yes: 2/2.
	 * Jun: child 0 no, child 3 yes: 1/2. */
	TOTAL(m, PERIOD_MONTH, D(2024, 3, 1), 2, 2);
	TOTAL(m, PERIOD_MONTH, D(2024, 6, 1), 1, 2);
	/* Los bands in Jan: all lt12m; year 2024: child 0 los 366 (12to24m,
	 * no), child 2 8 (lt12m, yes), child 3 second episode 2024-01-20 ..
	 * 2025-01-01 = 347 (lt12m, yes). */
	ND(m, PERIOD_YEAR, DIM_LOS_BAND, D(2024, 1, 1), LOS_12TO24M, 0, 1);
	ND(m, PERIOD_YEAR, DIM_LOS_BAND, D(2024, 1, 1), LOS_LT12M, 2, 2);
	/* County by reference day: child 3's last day in Jan is in the Beta
	 * episode; child 2 Beta; child 0 Alpha. */
	ND(m, PERIOD_MONTH, DIM_COUNTY, D(2024, 1, 1), 1, 2, 2);
	ND(m, PERIOD_MONTH, DIM_COUNTY, D(2024, 1, 1), 0, 1, 1);
	/* FY2024 (2023-10-01..2024-09-30): child 3's latest served episode is
	 * the second (stop 2024-10-01, los 255, 1 placement) -> yes; child 0
	 * stop 2024-10-01, los 274, 2 moves -> no; child 2 yes: 2/3. */
	TOTAL(m, PERIOD_FISCAL_YEAR, D(2024, 1, 1), 2, 3);
}
END_TEST

START_TEST(test_los_bands)
{
	/* Open episode from 2022-01-01, one placement, as_of 2024-12-31.
	 * Month 2022-11: stop 2022-12-01, los 334 -> lt12m.
	 * Month 2022-12: stop 2023-01-01, los 365 -> 12to24m.
	 * Month 2023-11: stop 2023-12-01, los 699 -> 12to24m.
	 * Month 2023-12: stop 2024-01-01, los 730 -> 24mplus. */
	fx_init(D(2024, 12, 31));
	uint32_t c = fx_child(2015, 1, SEX_MALE, RACE_WHITE);
	fx_episode(c, 0, D(2022, 1, 1), OPEN, REASON_NONE);
	fx_placement(SETTING_FOSTER_HOME, 1, D(2022, 1, 1), OPEN);
	fx_compute(10);
	enum metric_id m = METRIC_TWO_OR_FEWER_PLACEMENTS_PCT;
	ND(m, PERIOD_MONTH, DIM_LOS_BAND, D(2022, 11, 1), LOS_LT12M, 1, 1);
	ND(m, PERIOD_MONTH, DIM_LOS_BAND, D(2022, 12, 1), LOS_12TO24M, 1, 1);
	ND(m, PERIOD_MONTH, DIM_LOS_BAND, D(2022, 12, 1), LOS_LT12M, 0, 0);
	ND(m, PERIOD_MONTH, DIM_LOS_BAND, D(2023, 11, 1), LOS_12TO24M, 1, 1);
	ND(m, PERIOD_MONTH, DIM_LOS_BAND, D(2023, 12, 1), LOS_24MPLUS, 1, 1);
	/* Month 2022-01: stop Feb 1, los 31: kept. */
	TOTAL(m, PERIOD_MONTH, D(2022, 1, 1), 1, 1);
}
END_TEST

/* ==== runaway ==== */

START_TEST(test_runaway_setting_rule)
{
	fx_init(D(2024, 6, 30));
	/* Foster (provider 1) Jan 1..Mar 10, runaway placement Mar 10..Mar 15,
	 * foster (provider 1) again from Mar 15. */
	uint32_t c = fx_child(2009, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(c, 0, D(2024, 1, 1), OPEN, REASON_NONE);
	fx_placement(SETTING_FOSTER_HOME, 1, D(2024, 1, 1), D(2024, 3, 10));
	fx_placement(SETTING_RUNAWAY, NO_PROVIDER, D(2024, 3, 10), D(2024, 3, 15));
	fx_placement(SETTING_FOSTER_HOME, 1, D(2024, 3, 15), OPEN);
	/* M1 begins Mar 10, the day the runaway placement starts: went missing
	 * from foster. */
	fx_missing(TS(D(2024, 3, 10), 10, 0), TS(D(2024, 3, 15), 8, 0));
	/* M2 begins Mar 12 inside the runaway placement (not its first day):
	 * setting runaway. */
	fx_missing(TS(D(2024, 3, 12), 1, 0), TS(D(2024, 3, 13), 1, 0));
	/* M3 begins Apr 2 in foster. */
	fx_missing(TS(D(2024, 4, 2), 22, 0), TS_NONE);
	/* A second child, no placements: went missing from no_placement. A
	 * runaway placement starting on the begin day as the first placement
	 * also gives no_placement (nothing before it). */
	uint32_t c2 = fx_child(2009, 1, SEX_MALE, RACE_WHITE);
	fx_episode(c2, 1, D(2024, 3, 1), D(2024, 3, 31), REASON_RUNAWAY);
	fx_missing(TS(D(2024, 3, 5), 0, 0), TS(D(2024, 3, 6), 0, 0));
	uint32_t c3 = fx_child(2009, 1, SEX_MALE, RACE_WHITE);
	fx_episode(c3, 1, D(2024, 3, 20), D(2024, 3, 25), REASON_OTHER);
	fx_placement(SETTING_RUNAWAY, NO_PROVIDER, D(2024, 3, 20), D(2024, 3, 25));
	fx_missing(TS(D(2024, 3, 20), 5, 0), TS(D(2024, 3, 21), 0, 0));
	fx_compute(10);
	enum metric_id r = METRIC_RUNAWAY_EPISODES_PER_1000_DAYS;
	/* March days: child 0 foster Mar 1..9 (9) + Mar 15..31 (17) = 26,
	 * runaway Mar 10..14 = 5; child 1 Mar 1..30 = 30 no_placement; child 2
	 * Mar 20..24 = 5 runaway. Total 31 + 30 + 5 = 66.
	 * Events: M1 foster, M2 runaway, child 1 no_placement, child 2
	 * no_placement = 4. */
	TOTAL(r, PERIOD_MONTH, D(2024, 3, 1), 4, 66);
	ND(r, PERIOD_MONTH, DIM_SETTING, D(2024, 3, 1), SETTING_FOSTER_HOME, 1, 26);
	ND(r, PERIOD_MONTH, DIM_SETTING, D(2024, 3, 1), SETTING_RUNAWAY, 1, 10);
	ND(r, PERIOD_MONTH, DIM_SETTING, D(2024, 3, 1), SETTING_GROUP_NO_PLACEMENT, 2, 30);
	/* Child 2 went missing from no_placement without a no_placement day:
	 * the event alone makes it count in that cell: children 1 and 2. */
	ck_assert_int_eq(
	    cell(r, PERIOD_MONTH, DIM_SETTING, D(2024, 3, 1), SETTING_GROUP_NO_PLACEMENT)->children,
	    2);
	ND(r, PERIOD_MONTH, DIM_SETTING, D(2024, 4, 1), SETTING_FOSTER_HOME, 1, 30);
	/* Sum over the settings equals the total: 1 + 1 + 2 = 4 events. */
	/* Repeat runaway, March: child 0 has 2 (M1, M2), child 1 one, child 2
	 * one: 1/3. April: child 0 one: 0/1. */
	TOTAL(METRIC_REPEAT_RUNAWAY_PCT, PERIOD_MONTH, D(2024, 3, 1), 1, 3);
	TOTAL(METRIC_REPEAT_RUNAWAY_PCT, PERIOD_MONTH, D(2024, 4, 1), 0, 1);
	/* runaway_discharges_pct, March: child 1 (runaway, discharged Mar 31)
	 * and child 2 (other, Mar 25): 1/2. Setting of the last day in care:
	 * child 1 no_placement, child 2 runaway. */
	TOTAL(METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_MONTH, D(2024, 3, 1), 1, 2);
	ND(METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_MONTH, DIM_SETTING, D(2024, 3, 1),
	   SETTING_GROUP_NO_PLACEMENT, 1, 1);
	ND(METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_MONTH, DIM_SETTING, D(2024, 3, 1), SETTING_RUNAWAY,
	   0, 1);
}
END_TEST

START_TEST(test_youth_with_runaway)
{
	fx_init(D(2024, 6, 30));
	/* A: 13 (born 2010-06), in care all March, two missing in March. */
	uint32_t a = fx_child(2010, 6, SEX_FEMALE, RACE_WHITE);
	fx_episode(a, 0, D(2024, 1, 1), OPEN, REASON_NONE);
	fx_missing(TS(D(2024, 3, 3), 0, 0), TS(D(2024, 3, 4), 0, 0));
	fx_missing(TS(D(2024, 3, 8), 0, 0), TS(D(2024, 3, 9), 0, 0));
	/* B: born 2012-03, 12th birthday 2024-03-01; Feb 1..Mar 5 in care, no
	 * missing. March reference day Mar 4: 12 -> in; February reference day
	 * Feb 29: 11 -> out. */
	uint32_t b = fx_child(2012, 3, SEX_MALE, RACE_WHITE);
	fx_episode(b, 0, D(2024, 2, 1), D(2024, 3, 5), REASON_REUNIFICATION);
	/* C: 11 (born 2012-06), one missing in March: not youth, but counts
	 * for repeat_runaway_pct. */
	uint32_t c = fx_child(2012, 6, SEX_MALE, RACE_BLACK);
	fx_episode(c, 0, D(2024, 3, 1), OPEN, REASON_NONE);
	fx_missing(TS(D(2024, 3, 10), 0, 0), TS(D(2024, 3, 11), 0, 0));
	/* D: 15, two episodes in March: Alpha Mar 1..Mar 10 (missing Mar 2),
	 * Beta Mar 20 onwards. Reference day Mar 31 -> county Beta. */
	uint32_t d = fx_child(2008, 6, SEX_FEMALE, RACE_BLACK);
	fx_episode(d, 0, D(2024, 3, 1), D(2024, 3, 10), REASON_RUNAWAY);
	fx_missing(TS(D(2024, 3, 2), 0, 0), TS(D(2024, 3, 2), 5, 0));
	fx_episode(d, 1, D(2024, 3, 20), OPEN, REASON_NONE);
	fx_compute(10);
	enum metric_id y = METRIC_YOUTH_WITH_RUNAWAY_PCT;
	/* March: youth A, B, D = 3; with a missing episode A, D = 2. */
	TOTAL(y, PERIOD_MONTH, D(2024, 3, 1), 2, 3);
	/* February: A only (B is 11 on Feb 29): 0/1. */
	TOTAL(y, PERIOD_MONTH, D(2024, 2, 1), 0, 1);
	/* Counties (reference day): A Alpha, B Alpha, D Beta. */
	ND(y, PERIOD_MONTH, DIM_COUNTY, D(2024, 3, 1), 0, 1, 2);
	ND(y, PERIOD_MONTH, DIM_COUNTY, D(2024, 3, 1), 1, 1, 1);
	/* Age bands (reference day Mar 31 for A: 13; B Mar 4: 12; D: 15). */
	ND(y, PERIOD_MONTH, DIM_AGE_BAND, D(2024, 3, 1), AGE_12_14, 1, 2);
	ND(y, PERIOD_MONTH, DIM_AGE_BAND, D(2024, 3, 1), AGE_15_17, 1, 1);
	/* Children per county cell add up to the total (3). */
	ck_assert_int_eq(cell(y, PERIOD_MONTH, DIM_COUNTY, D(2024, 3, 1), 0)->children +
	                     cell(y, PERIOD_MONTH, DIM_COUNTY, D(2024, 3, 1), 1)->children,
	                 3);
	/* Repeat, March: A (2), C (1), D (1): 1/3. */
	TOTAL(METRIC_REPEAT_RUNAWAY_PCT, PERIOD_MONTH, D(2024, 3, 1), 1, 3);
	/* Q1: same children, same counts; year too. */
	TOTAL(y, PERIOD_QUARTER, D(2024, 1, 1), 2, 3);
}
END_TEST

START_TEST(test_days_missing_quantiles)
{
	fx_init(D(2024, 12, 31));
	uint32_t c = fx_child(2009, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(c, 0, D(2024, 1, 1), OPEN, REASON_NONE);
	/* January: 4 returns, durations 1 d, 2 d, 3.5 d, 10 d (begins Jan 1..4).
	 * Median (even n = 4) = (2 + 3.5) / 2 = 2.75 d; twice in seconds:
	 * (172800 + 302400) = 475200. p90: ceil(3.6) = 4th = 10 d -> 2 * 864000
	 * = 1728000. The 10-day one ends Jan 14: still January. */
	fx_missing(TS(D(2024, 1, 1), 0, 0), TS(D(2024, 1, 2), 0, 0));
	fx_missing(TS(D(2024, 1, 2), 0, 0), TS(D(2024, 1, 4), 0, 0));
	fx_missing(TS(D(2024, 1, 3), 0, 0), TS(D(2024, 1, 6), 12, 0));
	fx_missing(TS(D(2024, 1, 4), 0, 0), TS(D(2024, 1, 14), 0, 0));
	/* March: 10 returns of 1..10 hours (begins Mar 1..10, 08:00).
	 * Median = (5 + 6) / 2 h -> twice = 11 h = 39600 s; p90 nearest rank
	 * n = 10 -> 9th = 9 h -> 64800. */
	for (int h = 1; h <= 10; h++)
		fx_missing(TS(D(2024, 3, h), 8, 0), TS(D(2024, 3, h), 8 + h, 0));
	/* May: 11 returns of 1..11 hours (reverse order of begin). Median =
	 * 6th = 6 h -> 43200; p90 n = 11 -> 10th = 10 h -> 72000. */
	for (int h = 11; h >= 1; h--)
		fx_missing(TS(D(2024, 5, 12 - h), 1, 0), TS(D(2024, 5, 12 - h), 1 + h, 0));
	/* July: one return of 3 h + 7 s: median = p90 = 10807 s -> 21614. */
	fx_missing(TS(D(2024, 7, 1), 0, 0), TS(D(2024, 7, 1), 3, 7));
	/* August: one that began in July and returned in August (end-day
	 * period): 2 days -> 345600; and one not returned: ignored. */
	fx_missing(TS(D(2024, 7, 31), 12, 0), TS(D(2024, 8, 2), 12, 0));
	fx_missing(TS(D(2024, 8, 5), 0, 0), TS_NONE);
	fx_compute(10);
	enum metric_id med = METRIC_DAYS_MISSING_MEDIAN, p90 = METRIC_DAYS_MISSING_P90;
	const struct metrics_cell *x = cell(med, PERIOD_MONTH, DIM_TOTAL, D(2024, 1, 1), 0);
	ck_assert_int_eq(x->denominator, 4);
	ck_assert_int_eq(x->quantile_2s, 475200);
	ck_assert_int_eq(cell(p90, PERIOD_MONTH, DIM_TOTAL, D(2024, 1, 1), 0)->quantile_2s,
	                 1728000);
	ck_assert_int_eq(cell(med, PERIOD_MONTH, DIM_TOTAL, D(2024, 3, 1), 0)->quantile_2s, 39600);
	ck_assert_int_eq(cell(p90, PERIOD_MONTH, DIM_TOTAL, D(2024, 3, 1), 0)->quantile_2s, 64800);
	ck_assert_int_eq(cell(med, PERIOD_MONTH, DIM_TOTAL, D(2024, 5, 1), 0)->quantile_2s, 43200);
	ck_assert_int_eq(cell(p90, PERIOD_MONTH, DIM_TOTAL, D(2024, 5, 1), 0)->quantile_2s, 72000);
	ck_assert_int_eq(cell(p90, PERIOD_MONTH, DIM_TOTAL, D(2024, 5, 1), 0)->denominator, 11);
	ck_assert_int_eq(cell(med, PERIOD_MONTH, DIM_TOTAL, D(2024, 7, 1), 0)->quantile_2s, 21614);
	ck_assert_int_eq(cell(p90, PERIOD_MONTH, DIM_TOTAL, D(2024, 7, 1), 0)->quantile_2s, 21614);
	ck_assert_int_eq(cell(med, PERIOD_MONTH, DIM_TOTAL, D(2024, 8, 1), 0)->quantile_2s, 345600);
	ck_assert_int_eq(cell(med, PERIOD_MONTH, DIM_TOTAL, D(2024, 8, 1), 0)->denominator, 1);
	/* Q1: the 14 January and March durations, sorted (hours): 1..10, 24,
	 * 48, 84, 240. n = 14: median = (7th + 8th) = 7 h + 8 h = 15 h = 54000;
	 * p90 = ceil(12.6) = 13th = 84 h = 302400 -> 604800. */
	ck_assert_int_eq(cell(med, PERIOD_QUARTER, DIM_TOTAL, D(2024, 1, 1), 0)->quantile_2s,
	                 54000);
	ck_assert_int_eq(cell(p90, PERIOD_QUARTER, DIM_TOTAL, D(2024, 1, 1), 0)->quantile_2s,
	                 604800);
	/* An empty cell: 0 episodes, no statistic. */
	ck_assert_int_eq(cell(med, PERIOD_MONTH, DIM_TOTAL, D(2024, 2, 1), 0)->denominator, 0);

	/* The intervals (issue 14, docs/methods.md "Medians and p90"), 95 %:
	 * with B ~ Binomial(n, 1/2) the lower rank r is the largest with
	 * P(B <= r - 1) <= 0.025, the upper s = n + 1 - r by symmetry.
	 * n = 10: P(B <= 1) = 11/1024 = 0.0107, P(B <= 2) = 56/1024 = 0.0547:
	 * (2nd, 9th) = 2 h, 9 h. n = 11: P(B <= 1) = 12/2048 = 0.0059,
	 * P(B <= 2) = 67/2048 = 0.0327: (2nd, 10th) = 2 h, 10 h. n = 14:
	 * P(B <= 2) = 106/16384 = 0.0065, P(B <= 3) = 470/16384 = 0.0287:
	 * (3rd, 12th) = 3 h, 48 h. n = 4 (January): even r = 1, s = 4 leave
	 * 2/16 = 0.125 > 0.05 outside: no interval. A p90 of up to 28 values
	 * has none (docs/methods.md). */
	assert_interval(cell(med, PERIOD_MONTH, DIM_TOTAL, D(2024, 3, 1), 0), 2 * HOUR_S,
	                9 * HOUR_S);
	assert_interval(cell(med, PERIOD_MONTH, DIM_TOTAL, D(2024, 5, 1), 0), 2 * HOUR_S,
	                10 * HOUR_S);
	assert_interval(cell(med, PERIOD_QUARTER, DIM_TOTAL, D(2024, 1, 1), 0), 3 * HOUR_S,
	                48 * HOUR_S);
	ck_assert(!cell(med, PERIOD_MONTH, DIM_TOTAL, D(2024, 1, 1), 0)->has_quantile_interval);
	ck_assert(!cell(p90, PERIOD_QUARTER, DIM_TOTAL, D(2024, 1, 1), 0)->has_quantile_interval);
	/* The year: 27 returns, sorted (hours) 1, 1, 2, 2, 3, 3, 3 h 7 s, 4, 4,
	 * 5, 5, ..., 10, 10, 11, 24, 48, 48, 84, 240. P(B <= 7) = 0.0096,
	 * P(B <= 8) = 0.0261 (Binomial(27, 1/2)): ranks (8, 20), the 8th is
	 * 4 h and the 20th 10 h. */
	ck_assert_int_eq(cell(med, PERIOD_YEAR, DIM_TOTAL, D(2024, 1, 1), 0)->denominator, 27);
	assert_interval(cell(med, PERIOD_YEAR, DIM_TOTAL, D(2024, 1, 1), 0), 4 * HOUR_S,
	                10 * HOUR_S);
	/* The same ranks by dimension: the one child is every group's. */
	assert_interval(cell(med, PERIOD_YEAR, DIM_SEX, D(2024, 1, 1), SEX_FEMALE), 4 * HOUR_S,
	                10 * HOUR_S);
}
END_TEST

START_TEST(test_p90_interval)
{
	/* 40 returns of 1..40 hours in April 2024. p90 at 95 %, B ~
	 * Binomial(40, 0.9): P(B <= 31) = 0.0155 <= 0.025 < P(B <= 32), so
	 * r = 32; P(B >= 40) = 0.9^40 = 0.0148 <= 0.025 < P(B >= 39) = 0.0805,
	 * so s = 40: (32 h, 40 h). The median: Binomial(40, 1/2),
	 * P(B <= 13) = 0.0192, P(B <= 14) = 0.0403: (14th, 27th) = 14 h, 27 h. */
	fx_init(D(2024, 6, 30));
	uint32_t c = fx_child(2009, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(c, 0, D(2024, 1, 1), OPEN, REASON_NONE);
	for (int h = 1; h <= 40; h++)
		fx_missing(TS(D(2024, 4, 1), 0, h), TS(D(2024, 4, 1), 0, h) + (int64_t)h * HOUR_S);
	fx_compute(10);
	const struct metrics_cell *x =
	    cell(METRIC_DAYS_MISSING_P90, PERIOD_MONTH, DIM_TOTAL, D(2024, 4, 1), 0);
	ck_assert_int_eq(x->denominator, 40);
	assert_interval(x, 32 * HOUR_S, 40 * HOUR_S);
	assert_interval(cell(METRIC_DAYS_MISSING_MEDIAN, PERIOD_MONTH, DIM_TOTAL, D(2024, 4, 1), 0),
	                14 * HOUR_S, 27 * HOUR_S);
}
END_TEST

START_TEST(test_returned_within_7_days)
{
	/* as_of 2024-06-30: begins on or before 2024-06-23 only. */
	fx_init(D(2024, 6, 30));
	uint32_t c = fx_child(2009, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(c, 0, D(2024, 6, 1), OPEN, REASON_NONE);
	/* Exactly 168 h: within. */
	fx_missing(TS(D(2024, 6, 1), 0, 0), TS(D(2024, 6, 8), 0, 0));
	/* 168 h + 1 s: not within. */
	fx_missing(TS(D(2024, 6, 2), 0, 0), TS(D(2024, 6, 9), 0, 1));
	/* Not returned by as_of (a return after as_of is TS_NONE): not. */
	fx_missing(TS(D(2024, 6, 3), 0, 0), TS_NONE);
	/* Begins Jun 23 = as_of - 7: counted, returned in 1 h: within. */
	fx_missing(TS(D(2024, 6, 23), 0, 0), TS(D(2024, 6, 23), 1, 0));
	/* Begins Jun 24: not yet 7 days: left out. */
	fx_missing(TS(D(2024, 6, 24), 0, 0), TS(D(2024, 6, 24), 1, 0));
	fx_compute(10);
	/* 2 within out of 4. */
	TOTAL(METRIC_RETURNED_WITHIN_7_DAYS_PCT, PERIOD_MONTH, D(2024, 6, 1), 2, 4);
	/* runaway episodes: all 5 begin in June; days Jun 1..30 = 30. */
	TOTAL(METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_MONTH, D(2024, 6, 1), 5, 30);
}
END_TEST

START_TEST(test_still_missing)
{
	fx_init(D(2024, 6, 15));
	/* Child 0: missing 2024-01-15, returned 2024-03-10: still missing at
	 * r = Jan 31 and Feb 29, not at Mar 31; Q1 (r = Mar 31): no. */
	uint32_t c0 = fx_child(2009, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(c0, 0, D(2024, 1, 1), OPEN, REASON_NONE);
	fx_missing(TS(D(2024, 1, 15), 0, 0), TS(D(2024, 3, 10), 0, 0));
	/* Child 1: missing Mar 31 23:00, back Apr 1: still missing at r =
	 * Mar 31 (end day Apr 1 > r); Q1 yes; April no. Also two open missing
	 * episodes from May: counted once (distinct children). */
	uint32_t c1 = fx_child(2009, 1, SEX_MALE, RACE_WHITE);
	fx_episode(c1, 1, D(2024, 3, 1), OPEN, REASON_NONE);
	fx_missing(TS(D(2024, 3, 31), 23, 0), TS(D(2024, 4, 1), 1, 0));
	fx_missing(TS(D(2024, 5, 20), 0, 0), TS_NONE);
	fx_missing(TS(D(2024, 5, 25), 0, 0), TS_NONE);
	/* Child 2: missing from a group home since 2024-01-20, discharged
	 * (runaway) 2024-01-25 while missing, never returned: still missing in
	 * every period from January; February has no day in care: reference
	 * day Jan 24 (group home), age on Jan 24. */
	uint32_t c2 = fx_child(2009, 1, SEX_MALE, RACE_BLACK);
	fx_episode(c2, 0, D(2024, 1, 10), D(2024, 1, 25), REASON_RUNAWAY);
	fx_placement(SETTING_GROUP_HOME, 1, D(2024, 1, 10), D(2024, 1, 25));
	fx_assignment(D(2024, 1, 20), OPEN);
	fx_missing(TS(D(2024, 1, 20), 0, 0), TS_NONE);
	fx_compute(10);
	enum metric_id s = METRIC_STILL_MISSING_COUNT;
	/* Jan: children 0, 2 = 2. Feb: 0, 2 = 2. Mar: 1, 2 = 2. Apr: 2 = 1.
	 * May: 1, 2 = 2. Jun (partial, r = as_of Jun 15): 1, 2 = 2. */
	TOTAL(s, PERIOD_MONTH, D(2024, 1, 1), 2, 0);
	TOTAL(s, PERIOD_MONTH, D(2024, 2, 1), 2, 0);
	TOTAL(s, PERIOD_MONTH, D(2024, 3, 1), 2, 0);
	TOTAL(s, PERIOD_MONTH, D(2024, 4, 1), 1, 0);
	TOTAL(s, PERIOD_MONTH, D(2024, 5, 1), 2, 0);
	TOTAL(s, PERIOD_MONTH, D(2024, 6, 1), 2, 0);
	/* Q1 (r = Mar 31): children 1, 2. Q2 (r = as_of): 1, 2. */
	TOTAL(s, PERIOD_QUARTER, D(2024, 1, 1), 2, 0);
	TOTAL(s, PERIOD_QUARTER, D(2024, 4, 1), 2, 0);
	/* February by setting: child 0 foster? no: no placement ->
	 * no_placement; child 2 group home (its reference day Jan 24). */
	ND(s, PERIOD_MONTH, DIM_SETTING, D(2024, 2, 1), SETTING_GROUP_HOME, 1, 0);
	ND(s, PERIOD_MONTH, DIM_SETTING, D(2024, 2, 1), SETTING_GROUP_NO_PLACEMENT, 1, 0);
	/* Advocate, February: child 2 has no day in care: its reference day
	 * Jan 24 is assigned; child 0 not assigned. */
	ND(s, PERIOD_MONTH, DIM_ADVOCATE, D(2024, 2, 1), ADVOCATE_ASSIGNED, 1, 0);
	ND(s, PERIOD_MONTH, DIM_ADVOCATE, D(2024, 2, 1), ADVOCATE_NOT_ASSIGNED, 1, 0);
	ND(s, PERIOD_MONTH, DIM_RACE_ETHNICITY, D(2024, 2, 1), RACE_BLACK, 1, 0);
	ck_assert_int_eq(cell(s, PERIOD_MONTH, DIM_TOTAL, D(2024, 5, 1), 0)->children, 2);
}
END_TEST

START_TEST(test_reports_and_screening)
{
	fx_init(D(2024, 6, 30));
	uint32_t c = fx_child(2009, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(c, 0, D(2024, 1, 1), OPEN, REASON_NONE);
	struct model_missing *m;
	/* t0 = agency_informed_at = went + 5 h. LE at t0 exactly: timely;
	 * NCMEC at t0 + 24 h exactly: timely. */
	m = fx_missing(TS(D(2024, 2, 1), 0, 0), TS(D(2024, 2, 2), 0, 0));
	m->agency_informed_at = TS(D(2024, 2, 1), 5, 0);
	m->reported_le_at = m->agency_informed_at;
	m->reported_ncmec_at = m->agency_informed_at + 86400;
	/* Screened exactly at return: in window; positive. */
	m->screened_at = m->returned_at;
	m->screen_result = SCREEN_POSITIVE;
	/* LE 1 s before t0 (between going missing and the agency learning of
	 * it): not timely. NCMEC at t0 + 24 h + 1 s: late. Screened at return
	 * + 72 h exactly: in window; negative. */
	m = fx_missing(TS(D(2024, 2, 3), 0, 0), TS(D(2024, 2, 4), 0, 0));
	m->agency_informed_at = TS(D(2024, 2, 3), 2, 0);
	m->reported_le_at = m->agency_informed_at - 1;
	m->reported_ncmec_at = m->agency_informed_at + 86401;
	m->screened_at = m->returned_at + 259200;
	m->screen_result = SCREEN_NEGATIVE;
	/* No reports; screened 1 s after the window: not screened. */
	m = fx_missing(TS(D(2024, 2, 5), 0, 0), TS(D(2024, 2, 6), 0, 0));
	m->screened_at = m->returned_at + 259201;
	m->screen_result = SCREEN_POSITIVE;
	/* LE 1 h after went_missing_at (agency_informed = went): timely.
	 * Screened before return: not a screening after return. */
	m = fx_missing(TS(D(2024, 2, 7), 0, 0), TS(D(2024, 2, 8), 0, 0));
	m->reported_le_at = TS(D(2024, 2, 7), 1, 0);
	m->screened_at = m->returned_at - 1;
	m->screen_result = SCREEN_POSITIVE;
	/* Not returned: not in the screening denominators. */
	m = fx_missing(TS(D(2024, 2, 9), 0, 0), TS_NONE);
	fx_compute(10);
	/* LE: timely 1st and 4th of 5 -> 2/5. NCMEC: 1st only -> 1/5. */
	TOTAL(METRIC_REPORTED_LE_24H_PCT, PERIOD_MONTH, D(2024, 2, 1), 2, 5);
	TOTAL(METRIC_REPORTED_NCMEC_24H_PCT, PERIOD_MONTH, D(2024, 2, 1), 1, 5);
	/* Screening: 4 returned in February; screened in window: 1st, 2nd. */
	TOTAL(METRIC_SCREENED_AFTER_RETURN_PCT, PERIOD_MONTH, D(2024, 2, 1), 2, 4);
	/* Positive among those two: the 1st -> 1/2. */
	TOTAL(METRIC_SCREENED_POSITIVE_PCT, PERIOD_MONTH, D(2024, 2, 1), 1, 2);
}
END_TEST

START_TEST(test_entry_runaway_12m)
{
	/* as_of 2025-06-30; an entry counts once its full 12 months have
	 * elapsed: removal + 365 <= as_of + 1 = 2025-07-01. */
	fx_init(D(2025, 6, 30));
	/* A: 14 at removal 2024-03-01, discharged 2024-06-01 (w = Jun 1),
	 * missing 2024-04-10: yes. */
	uint32_t a = fx_child(2010, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(a, 0, D(2024, 3, 1), D(2024, 6, 1), REASON_REUNIFICATION);
	fx_missing(TS(D(2024, 4, 10), 0, 0), TS(D(2024, 4, 11), 0, 0));
	/* B: 13 at removal 2024-05-01, open: w = 2025-05-01 <= 2025-07-01;
	 * missing 2025-04-30 (last window day): yes; assigned 2025-04-01. */
	uint32_t b = fx_child(2011, 1, SEX_MALE, RACE_WHITE);
	fx_episode(b, 0, D(2024, 5, 1), OPEN, REASON_NONE);
	fx_assignment(D(2025, 4, 1), OPEN);
	fx_missing(TS(D(2025, 4, 30), 0, 0), TS_NONE);
	/* C: 15 at removal 2024-08-01, open: w = 2025-08-01 > as_of + 1: left
	 * out of both sides. */
	uint32_t cc = fx_child(2009, 1, SEX_MALE, RACE_WHITE);
	fx_episode(cc, 0, D(2024, 8, 1), OPEN, REASON_NONE);
	fx_missing(TS(D(2024, 9, 1), 0, 0), TS_NONE);
	/* D: 16, removal 2024-02-01, open: w = removal + 365 = 2025-01-31
	 * (2024 is leap); missing begins 2025-01-31 = w: outside: no. An
	 * assignment that starts on w does not cover the window. */
	uint32_t d = fx_child(2008, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(d, 1, D(2024, 2, 1), OPEN, REASON_NONE);
	fx_assignment(D(2025, 1, 31), OPEN);
	fx_missing(TS(D(2025, 1, 31), 0, 0), TS_NONE);
	/* E: 11 at removal: out. F: 12, 7 days: out. G: 12, 8 days: in, no. */
	uint32_t e = fx_child(2013, 1, SEX_MALE, RACE_WHITE);
	fx_episode(e, 0, D(2024, 3, 1), D(2024, 6, 1), REASON_REUNIFICATION);
	fx_missing(TS(D(2024, 3, 5), 0, 0), TS(D(2024, 3, 6), 0, 0));
	uint32_t f = fx_child(2012, 1, SEX_MALE, RACE_WHITE);
	fx_episode(f, 0, D(2024, 3, 1), D(2024, 3, 8), REASON_RUNAWAY);
	fx_missing(TS(D(2024, 3, 5), 0, 0), TS_NONE);
	uint32_t g = fx_child(2012, 1, SEX_MALE, RACE_WHITE);
	fx_episode(g, 0, D(2024, 3, 1), D(2024, 3, 9), REASON_REUNIFICATION);
	/* H: 13, removal 2024-09-01, discharged 2024-10-01 after running on
	 * 09-10: the window closed early, but 12 months have not elapsed
	 * (2025-09-01): left out, like the children still in care. */
	uint32_t h = fx_child(2011, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(h, 0, D(2024, 9, 1), D(2024, 10, 1), REASON_REUNIFICATION);
	fx_missing(TS(D(2024, 9, 10), 0, 0), TS(D(2024, 9, 11), 0, 0));
	/* I: 13, removal 2024-07-01 + 365 = as_of + 1: counted; missing on
	 * 2025-06-30, the window's last day: yes. J: 14, removal 2024-07-02,
	 * discharged 07-20 after running: one day short, left out. */
	uint32_t i = fx_child(2011, 1, SEX_MALE, RACE_WHITE);
	fx_episode(i, 0, D(2024, 7, 1), OPEN, REASON_NONE);
	fx_missing(TS(D(2025, 6, 30), 0, 0), TS_NONE);
	uint32_t j = fx_child(2010, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(j, 0, D(2024, 7, 2), D(2024, 7, 20), REASON_REUNIFICATION);
	fx_missing(TS(D(2024, 7, 10), 0, 0), TS(D(2024, 7, 11), 0, 0));
	fx_compute(10);
	enum metric_id m = METRIC_RUNAWAY_WITHIN_12M_OF_ENTRY_PCT;
	/* Year 2024 cohort: A (yes), B (yes), D (no), G (no), I (yes) = 3/5. */
	TOTAL(m, PERIOD_YEAR, D(2024, 1, 1), 3, 5);
	/* FY2024 (2023-10..2024-09): the same five: 3/5. */
	TOTAL(m, PERIOD_FISCAL_YEAR, D(2024, 1, 1), 3, 5);
	/* Advocate: B assigned (2025-04-01 is inside its window); D not. */
	ND(m, PERIOD_YEAR, DIM_ADVOCATE, D(2024, 1, 1), ADVOCATE_ASSIGNED, 1, 1);
	ND(m, PERIOD_YEAR, DIM_ADVOCATE, D(2024, 1, 1), ADVOCATE_NOT_ASSIGNED, 2, 4);
	/* Age at removal: A 14, B 13, I 13 (yes), G 12 (no) -> 12-14 3/4;
	 * D 16 -> 15-17 (0/1). */
	ND(m, PERIOD_YEAR, DIM_AGE_BAND, D(2024, 1, 1), AGE_12_14, 3, 4);
	ND(m, PERIOD_YEAR, DIM_AGE_BAND, D(2024, 1, 1), AGE_15_17, 0, 1);
	ND(m, PERIOD_YEAR, DIM_COUNTY, D(2024, 1, 1), 1, 0, 1);
}
END_TEST

/* The median cell's statistic: twice the median in seconds. */
#define Q2S(metric, type, dim, day, group, den, days2)                                             \
	do {                                                                                       \
		const struct metrics_cell *c_ = cell(metric, type, dim, day, group);               \
		ck_assert_int_eq(c_->denominator, den);                                            \
		ck_assert_int_eq(c_->quantile_2s, (int64_t)(days2)*DAY_S);                         \
	} while (0)

/* ==== issue 17 ==== */

START_TEST(test_same_day_episode)
{
	/* An episode discharged on its removal day is kept with no day in
	 * care: a discharge, never a day, a child served or a cohort entry. */
	fx_init(D(2024, 12, 31));
	/* S: 3 years old, same-day episode 2024-06-03. */
	uint32_t s = fx_child(2021, 2, SEX_MALE, RACE_WHITE);
	fx_episode(s, 0, D(2024, 6, 3), D(2024, 6, 3), REASON_REUNIFICATION);
	/* T: in a group home 2024-01-05..2024-06-19, runaway discharge on
	 * 06-20, missing since 06-15; back for one same-day episode 09-01. */
	uint32_t t = fx_child(2009, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(t, 0, D(2024, 1, 5), D(2024, 6, 20), REASON_RUNAWAY);
	fx_placement(SETTING_GROUP_HOME, 62, D(2024, 1, 5), D(2024, 6, 20));
	fx_missing(TS(D(2024, 6, 15), 10, 0), TS_NONE);
	fx_episode(t, 0, D(2024, 9, 1), D(2024, 9, 1), REASON_OTHER);
	fx_compute(10);
	enum metric_id rd = METRIC_RUNAWAY_DISCHARGES_PCT;
	/* June discharges: S (no), T (runaway) -> 1/2, two children. */
	TOTAL(rd, PERIOD_MONTH, D(2024, 6, 1), 1, 2);
	ck_assert_int_eq(cell(rd, PERIOD_MONTH, DIM_TOTAL, D(2024, 6, 1), 0)->children, 2);
	/* S has no last day in care: no_placement, not_assigned; age 3 on the
	 * discharge day. T: group home, not assigned, 15. */
	ND(rd, PERIOD_MONTH, DIM_SETTING, D(2024, 6, 1), SETTING_GROUP_NO_PLACEMENT, 0, 1);
	ND(rd, PERIOD_MONTH, DIM_SETTING, D(2024, 6, 1), SETTING_GROUP_HOME, 1, 1);
	ND(rd, PERIOD_MONTH, DIM_ADVOCATE, D(2024, 6, 1), ADVOCATE_NOT_ASSIGNED, 1, 2);
	ND(rd, PERIOD_MONTH, DIM_AGE_BAND, D(2024, 6, 1), AGE_0_5, 0, 1);
	/* 2024: S, T's runaway, T's same-day 09-01 -> 1/3. */
	TOTAL(rd, PERIOD_YEAR, D(2024, 1, 1), 1, 3);
	/* No day: June has T's 19 days (06-01..06-19) only, one child. */
	TOTAL(METRIC_MOVES_PER_1000_DAYS_IN_CARE, PERIOD_MONTH, D(2024, 6, 1), 0, 19);
	ck_assert_int_eq(
	    cell(METRIC_MOVES_PER_1000_DAYS_IN_CARE, PERIOD_MONTH, DIM_TOTAL, D(2024, 6, 1), 0)
	        ->children,
	    1);
	/* Children served in 2024: T only (S never in care; T's latest episode
	 * served is the stay, not the same-day one): 1 placement -> 1/1. */
	TOTAL(METRIC_TWO_OR_FEWER_PLACEMENTS_PCT, PERIOD_YEAR, D(2024, 1, 1), 1, 1);
	/* T still missing at 2024-09-30: its reference day is the stay's last
	 * day (06-19, group home), not the day before the same-day episode. */
	ND(METRIC_STILL_MISSING_COUNT, PERIOD_MONTH, DIM_SETTING, D(2024, 9, 1), SETTING_GROUP_HOME,
	   1, 0);
	/* No entry cohort: 0 days is under 8 (S's removal is no entry). */
	TOTAL(METRIC_PLACEMENT_MOVES_PER_1000_DAYS, PERIOD_YEAR, D(2024, 1, 1), 0, 167);
}
END_TEST

START_TEST(test_permanency_entries)
{
	/* as_of 2025-06-30: an entry counts once removal + 365 <= 2025-07-01. */
	fx_init(D(2025, 6, 30));
	/* K1 (10): 2024-03-01 -> 2025-02-28, reunification after 364 days:
	 * yes; assigned 2025-02-27, its last day in care, in the window. */
	uint32_t k1 = fx_child(2014, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(k1, 0, D(2024, 3, 1), D(2025, 2, 28), REASON_REUNIFICATION);
	fx_assignment(D(2025, 2, 27), OPEN);
	/* K2: discharged on removal + 365 = 2025-03-01: not within 12 months. */
	uint32_t k2 = fx_child(2014, 1, SEX_MALE, RACE_WHITE);
	fx_episode(k2, 0, D(2024, 3, 1), D(2025, 3, 1), REASON_REUNIFICATION);
	/* K3: 17 at removal, discharged home on the 18th birthday 2024-09-01:
	 * not before it, no. */
	uint32_t k3 = fx_child(2006, 9, SEX_FEMALE, RACE_BLACK);
	fx_episode(k3, 0, D(2024, 2, 1), D(2024, 9, 1), REASON_REUNIFICATION);
	/* K4: 18 at removal: out. */
	uint32_t k4 = fx_child(2006, 1, SEX_MALE, RACE_BLACK);
	fx_episode(k4, 0, D(2024, 2, 1), D(2024, 3, 1), REASON_EMANCIPATION);
	/* K5: 7 days (out), then 8 days to a relative (its first entry: yes),
	 * then an adoption (a second entry: not counted). */
	uint32_t k5 = fx_child(2016, 5, SEX_FEMALE, RACE_HISPANIC);
	fx_episode(k5, 0, D(2024, 1, 10), D(2024, 1, 17), REASON_REUNIFICATION);
	fx_episode(k5, 0, D(2024, 2, 1), D(2024, 2, 9), REASON_RELATIVE);
	fx_episode(k5, 0, D(2024, 4, 1), D(2024, 5, 1), REASON_ADOPTION);
	/* K6: removal 2024-07-01 + 365 = 2025-07-01 = as_of + 1: counted;
	 * guardianship: yes. K7: 2024-07-02, one day short: out. */
	uint32_t k6 = fx_child(2019, 3, SEX_MALE, RACE_WHITE);
	fx_episode(k6, 1, D(2024, 7, 1), D(2024, 12, 1), REASON_GUARDIANSHIP);
	uint32_t k7 = fx_child(2014, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(k7, 1, D(2024, 7, 2), D(2024, 8, 1), REASON_REUNIFICATION);
	/* K8: transfer (no). K9: still in care (no). */
	uint32_t k8 = fx_child(2014, 1, SEX_MALE, RACE_WHITE);
	fx_episode(k8, 0, D(2024, 5, 1), D(2024, 5, 20), REASON_TRANSFER);
	uint32_t k9 = fx_child(2014, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(k9, 0, D(2024, 4, 1), OPEN, REASON_NONE);
	fx_compute(10);
	enum metric_id p = METRIC_PERMANENCY_12M_ENTRIES_PCT;
	/* K1, K2, K3, K5, K6, K8, K9: yes for K1, K5, K6 -> 3/7. */
	TOTAL(p, PERIOD_YEAR, D(2024, 1, 1), 3, 7);
	ck_assert_int_eq(cell(p, PERIOD_YEAR, DIM_TOTAL, D(2024, 1, 1), 0)->children, 7);
	/* FY2024 = 2023-10-01..2024-09-30 holds the same removals. */
	TOTAL(p, PERIOD_FISCAL_YEAR, D(2024, 1, 1), 3, 7);
	/* Advocate in the first 12 months: K1 only. */
	ND(p, PERIOD_YEAR, DIM_ADVOCATE, D(2024, 1, 1), ADVOCATE_ASSIGNED, 1, 1);
	ND(p, PERIOD_YEAR, DIM_ADVOCATE, D(2024, 1, 1), ADVOCATE_NOT_ASSIGNED, 2, 6);
	/* Age at removal: K3 17 -> 15-17 (0/1); no 18+ cell (K4 is out). */
	ND(p, PERIOD_YEAR, DIM_AGE_BAND, D(2024, 1, 1), AGE_15_17, 0, 1);
	ND(p, PERIOD_YEAR, DIM_AGE_BAND, D(2024, 1, 1), AGE_18_PLUS, 0, 0);
	/* County Beta: K6 (yes); K7 immature. */
	ND(p, PERIOD_YEAR, DIM_COUNTY, D(2024, 1, 1), 1, 1, 1);
}
END_TEST

START_TEST(test_reentry)
{
	fx_init(D(2025, 6, 30));
	/* 2023 entries, exits home within 12 months. R1 re-enters on its
	 * discharge day: yes. */
	uint32_t r1 = fx_child(2015, 1, SEX_MALE, RACE_WHITE);
	fx_episode(r1, 0, D(2023, 1, 10), D(2023, 3, 1), REASON_REUNIFICATION);
	fx_episode(r1, 0, D(2023, 3, 1), D(2023, 5, 1), REASON_REUNIFICATION);
	/* R2: removed again on discharge + 365 = 2024-03-31 (2024 is leap):
	 * too late, no. R3: on discharge + 364: yes. */
	uint32_t r2 = fx_child(2015, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(r2, 0, D(2023, 2, 1), D(2023, 4, 1), REASON_RELATIVE);
	fx_episode(r2, 0, D(2024, 3, 31), OPEN, REASON_NONE);
	uint32_t r3 = fx_child(2015, 1, SEX_MALE, RACE_BLACK);
	fx_episode(r3, 0, D(2023, 2, 1), D(2023, 4, 1), REASON_GUARDIANSHIP);
	fx_episode(r3, 0, D(2024, 3, 30), OPEN, REASON_NONE);
	/* R4: re-enters for a same-day episode (any kept episode counts): yes. */
	uint32_t r4 = fx_child(2015, 1, SEX_FEMALE, RACE_BLACK);
	fx_episode(r4, 0, D(2023, 3, 1), D(2023, 6, 1), REASON_REUNIFICATION);
	fx_episode(r4, 0, D(2023, 8, 1), D(2023, 8, 1), REASON_REUNIFICATION);
	/* R5: adoption is no exit home; R6: reunified, no re-entry (no); R7:
	 * reunified after 366 days, not within 12 months. */
	uint32_t r5 = fx_child(2015, 1, SEX_MALE, RACE_WHITE);
	fx_episode(r5, 0, D(2023, 3, 1), D(2023, 5, 1), REASON_ADOPTION);
	uint32_t r6 = fx_child(2015, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(r6, 0, D(2023, 4, 1), D(2023, 5, 15), REASON_REUNIFICATION);
	uint32_t r7 = fx_child(2015, 1, SEX_MALE, RACE_WHITE);
	fx_episode(r7, 0, D(2023, 1, 5), D(2024, 1, 6), REASON_REUNIFICATION);
	fx_episode(r7, 0, D(2024, 2, 1), OPEN, REASON_NONE);
	/* Beta, 2024 entries: X1's exit 2024-07-01 + 365 = as_of + 1 counts
	 * (no re-entry); X2's exit 2024-07-02 waits. */
	uint32_t x1 = fx_child(2016, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(x1, 1, D(2024, 3, 1), D(2024, 7, 1), REASON_REUNIFICATION);
	uint32_t x2 = fx_child(2016, 1, SEX_MALE, RACE_WHITE);
	fx_episode(x2, 1, D(2024, 3, 1), D(2024, 7, 2), REASON_REUNIFICATION);
	fx_compute(10);
	enum metric_id r = METRIC_REENTRY_12M_PCT;
	/* 2023: R1, R2, R3, R4, R6 -> R1, R3, R4 re-entered: 3/5. */
	TOTAL(r, PERIOD_YEAR, D(2023, 1, 1), 3, 5);
	ck_assert_int_eq(cell(r, PERIOD_YEAR, DIM_TOTAL, D(2023, 1, 1), 0)->children, 5);
	/* Sex: male R1, R3 (2/2); female R2, R4, R6 (1/3). */
	ND(r, PERIOD_YEAR, DIM_SEX, D(2023, 1, 1), SEX_MALE, 2, 2);
	ND(r, PERIOD_YEAR, DIM_SEX, D(2023, 1, 1), SEX_FEMALE, 1, 3);
	/* 2024, Beta: X1 only, 0/1 (R2's and R3's 2024 episodes are open). */
	ND(r, PERIOD_YEAR, DIM_COUNTY, D(2024, 1, 1), 1, 0, 1);
	/* Permanency of the same 2023 cohort: R1..R6 home or adopted within
	 * 12 months (6), R7 not: 6/7. */
	TOTAL(METRIC_PERMANENCY_12M_ENTRIES_PCT, PERIOD_YEAR, D(2023, 1, 1), 6, 7);
}
END_TEST

START_TEST(test_assignment_cohort)
{
	fx_init(D(2025, 6, 30));
	/* A1: first assignment 2024-02-01 (the earliest start, listed first as
	 * the model sorts them), 17 days after removal; discharged home on
	 * start + 365 = 2025-01-31 (2024 is leap): not within. */
	uint32_t a1 = fx_child(2016, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(a1, 0, D(2024, 1, 15), D(2025, 1, 31), REASON_REUNIFICATION);
	fx_assignment(D(2024, 2, 1), D(2024, 2, 20));
	fx_assignment(D(2024, 3, 1), OPEN);
	/* A2: assigned on the removal day (0 days); adopted 2024-09-10: yes. */
	uint32_t a2 = fx_child(2016, 1, SEX_MALE, RACE_WHITE);
	fx_episode(a2, 0, D(2024, 3, 10), D(2024, 9, 10), REASON_ADOPTION);
	fx_assignment(D(2024, 3, 10), D(2024, 6, 30));
	/* A3: start 2024-07-02, one day short of 12 months: no permanency
	 * cell; 31 days in the median. */
	uint32_t a3 = fx_child(2016, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(a3, 0, D(2024, 6, 1), D(2024, 8, 1), REASON_REUNIFICATION);
	fx_assignment(D(2024, 7, 2), OPEN);
	/* A4: start 2024-07-01 + 365 = as_of + 1: counted; open: no; 61 days. */
	uint32_t a4 = fx_child(2016, 1, SEX_MALE, RACE_WHITE);
	fx_episode(a4, 1, D(2024, 5, 1), OPEN, REASON_NONE);
	fx_assignment(D(2024, 7, 1), OPEN);
	/* A5: start 2024-01-01, 31 days; discharge `other`: no. */
	uint32_t a5 = fx_child(2016, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(a5, 0, D(2023, 12, 1), D(2024, 10, 1), REASON_OTHER);
	fx_assignment(D(2024, 1, 1), OPEN);
	/* No assignment: in neither. */
	uint32_t a6 = fx_child(2016, 1, SEX_MALE, RACE_WHITE);
	fx_episode(a6, 0, D(2024, 2, 1), OPEN, REASON_NONE);
	fx_compute(10);
	enum metric_id p = METRIC_PERMANENCY_12M_AFTER_ASSIGNMENT_PCT;
	/* 2024: A1, A2, A4, A5 -> A2: 1/4, all `assigned`. */
	TOTAL(p, PERIOD_YEAR, D(2024, 1, 1), 1, 4);
	ND(p, PERIOD_YEAR, DIM_ADVOCATE, D(2024, 1, 1), ADVOCATE_ASSIGNED, 1, 4);
	ND(p, PERIOD_YEAR, DIM_ADVOCATE, D(2024, 1, 1), ADVOCATE_NOT_ASSIGNED, 0, 0);
	/* Age on the start: A1 8 (born 2016-01) -> 6-11. */
	ND(p, PERIOD_YEAR, DIM_AGE_BAND, D(2024, 1, 1), AGE_6_11, 1, 4);
	enum metric_id q = METRIC_DAYS_TO_ASSIGNMENT_MEDIAN;
	/* 2024: 17, 0, 31, 61, 31 -> 0 17 31 31 61, median 31: 2 x 31. */
	Q2S(q, PERIOD_YEAR, DIM_TOTAL, D(2024, 1, 1), 0, 5, 62);
	/* 2024-Q1: A5 31, A1 17, A2 0 -> 17: 2 x 17. Q3: A4 61, A3 31 ->
	 * (31 + 61) / 2 = 46: 2 x 46 = 92. */
	Q2S(q, PERIOD_QUARTER, DIM_TOTAL, D(2024, 1, 1), 0, 3, 34);
	Q2S(q, PERIOD_QUARTER, DIM_TOTAL, D(2024, 7, 1), 0, 2, 92);
	/* July 2024: both starts, even count: 92 too; Beta: A4 alone, 2 x 61. */
	Q2S(q, PERIOD_MONTH, DIM_TOTAL, D(2024, 7, 1), 0, 2, 92);
	Q2S(q, PERIOD_MONTH, DIM_COUNTY, D(2024, 7, 1), 1, 1, 122);
}
END_TEST

START_TEST(test_days_to_assignment_interval)
{
	/* Issue 14's order-statistic interval on issue 17's median (the same
	 * rank rule as days_missing_median, test_days_missing_quantiles). Ten
	 * episodes removed 2023-12-01, first assigned on 2024-01-01 + i^2 days
	 * (i = 0..9, all in 2024-Q1): 31 + i^2 days, sorted 31, 32, 35, 40, 47,
	 * 56, 67, 80, 95, 112. Quarter, n = 10: median (47 + 56) / 2 = 51.5,
	 * twice 103; ranks (2nd, 9th) as P(B <= 1) = 11/1024 <= 0.025 <
	 * P(B <= 2) = 56/1024: 32 and 95 days. January (i = 0..5, up to Jan 26),
	 * n = 6: P(B <= 0) = 1/64 = 0.0156 <= 0.025 < P(B <= 1) = 7/64, so
	 * (1st, 6th) = 31 and 56 days. Girls (even i: 31, 35, 47, 67, 95 days),
	 * n = 5: P(B <= 0) = 1/32 = 0.031 > 0.025 even at the 1st: no interval. */
	fx_init(D(2024, 6, 30));
	for (int i = 0; i < 10; i++) {
		uint32_t c = fx_child(2016, 1, i % 2 ? SEX_MALE : SEX_FEMALE, RACE_WHITE);
		fx_episode(c, 0, D(2023, 12, 1), OPEN, REASON_NONE);
		fx_assignment(D(2024, 1, 1) + i * i, OPEN);
	}
	fx_compute(10);
	enum metric_id q = METRIC_DAYS_TO_ASSIGNMENT_MEDIAN;
	Q2S(q, PERIOD_QUARTER, DIM_TOTAL, D(2024, 1, 1), 0, 10, 103);
	assert_interval(cell(q, PERIOD_QUARTER, DIM_TOTAL, D(2024, 1, 1), 0), 32 * DAY_S,
	                95 * DAY_S);
	assert_interval(cell(q, PERIOD_YEAR, DIM_TOTAL, D(2024, 1, 1), 0), 32 * DAY_S, 95 * DAY_S);
	ck_assert_int_eq(cell(q, PERIOD_MONTH, DIM_TOTAL, D(2024, 1, 1), 0)->denominator, 6);
	assert_interval(cell(q, PERIOD_MONTH, DIM_TOTAL, D(2024, 1, 1), 0), 31 * DAY_S, 56 * DAY_S);
	ck_assert_int_eq(cell(q, PERIOD_QUARTER, DIM_SEX, D(2024, 1, 1), SEX_FEMALE)->denominator,
	                 5);
	ck_assert(
	    !cell(q, PERIOD_QUARTER, DIM_SEX, D(2024, 1, 1), SEX_FEMALE)->has_quantile_interval);
	/* February: 2 starts (Feb 6, Feb 19), no interval */
	ck_assert(!cell(q, PERIOD_MONTH, DIM_TOTAL, D(2024, 2, 1), 0)->has_quantile_interval);
}
END_TEST

START_TEST(test_advocate_reach)
{
	fx_init(D(2025, 6, 30));
	/* June 2024, r = 06-30. B1: covered by an open assignment. */
	uint32_t b1 = fx_child(2016, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(b1, 0, D(2024, 1, 15), OPEN, REASON_NONE);
	fx_assignment(D(2024, 3, 1), OPEN);
	/* B2: its assignment ends on r: not covering r; assigned in June. */
	uint32_t b2 = fx_child(2016, 1, SEX_MALE, RACE_WHITE);
	fx_episode(b2, 0, D(2024, 3, 10), D(2024, 9, 10), REASON_ADOPTION);
	fx_assignment(D(2024, 3, 10), D(2024, 6, 30));
	/* B3 (Beta): assigned from 07-02 only. */
	uint32_t b3 = fx_child(2016, 1, SEX_FEMALE, RACE_WHITE);
	fx_episode(b3, 1, D(2024, 6, 1), D(2024, 8, 1), REASON_REUNIFICATION);
	fx_assignment(D(2024, 7, 2), OPEN);
	/* B4: discharged on r (not in care on it); B5: discharged in May. */
	uint32_t b4 = fx_child(2016, 1, SEX_MALE, RACE_WHITE);
	fx_episode(b4, 0, D(2024, 2, 1), D(2024, 6, 30), REASON_REUNIFICATION);
	fx_assignment(D(2024, 2, 1), OPEN);
	uint32_t b5 = fx_child(2016, 1, SEX_MALE, RACE_WHITE);
	fx_episode(b5, 0, D(2024, 2, 1), D(2024, 5, 15), REASON_REUNIFICATION);
	fx_compute(10);
	enum metric_id m = METRIC_ADVOCATE_REACH_PCT;
	/* June 2024: in care on r B1, B2, B3; covered B1: 1/3. */
	TOTAL(m, PERIOD_MONTH, D(2024, 6, 1), 1, 3);
	/* Child-based advocate group (an assignment covered a day in care of
	 * June): B1, B2 assigned (1/2); B3 not (0/1). County Beta: B3 (0/1). */
	ND(m, PERIOD_MONTH, DIM_ADVOCATE, D(2024, 6, 1), ADVOCATE_ASSIGNED, 1, 2);
	ND(m, PERIOD_MONTH, DIM_ADVOCATE, D(2024, 6, 1), ADVOCATE_NOT_ASSIGNED, 0, 1);
	ND(m, PERIOD_MONTH, DIM_COUNTY, D(2024, 6, 1), 1, 0, 1);
	/* July (r = 07-31): B1 yes, B2 no (its assignment ended), B3 yes: 2/3. */
	TOTAL(m, PERIOD_MONTH, D(2024, 7, 1), 2, 3);
	/* 2025, partial: r = as_of; only B1 is in care, covered: 1/1. */
	TOTAL(m, PERIOD_YEAR, D(2025, 1, 1), 1, 1);
}
END_TEST

/* The trafficking fixture: as_of 2025-06-30, fiscal year from October,
 * first removal 2024-01-10 (so the year tables start in 2024 and FY2024,
 * from 2023-10-01, starts earlier). */
static void trafficking_fixture(void)
{
	fx_init(D(2025, 6, 30));
	/* T1 (15 in 2025): missing 2025-03-01 10:00 -> 03-05 12:00; identified
	 * exactly 30 days after the return, reported exactly 24 h later;
	 * assigned from 2025-04-01. Also missing in October 2024. */
	uint32_t t1 = fx_child(2009, 6, SEX_FEMALE, RACE_WHITE);
	fx_episode(t1, 0, D(2024, 1, 10), OPEN, REASON_NONE);
	fx_assignment(D(2025, 4, 1), OPEN);
	fx_missing(TS(D(2024, 10, 1), 10, 0), TS(D(2024, 10, 3), 10, 0));
	fx_missing(TS(D(2025, 3, 1), 10, 0), TS(D(2025, 3, 5), 12, 0));
	fx_identification(TS(D(2025, 4, 4), 12, 0), true, TS(D(2025, 4, 5), 12, 0));
	/* T2 (male, 16): back 2025-03-12 08:00; identified 30 days and 1 s
	 * later, reported 1 s before that; again 2025-06-30, reported after
	 * as_of (none yet); back 2025-05-31 (= as_of - 30) too. */
	uint32_t t2 = fx_child(2008, 9, SEX_MALE, RACE_BLACK);
	fx_episode(t2, 0, D(2024, 2, 1), OPEN, REASON_NONE);
	fx_missing(TS(D(2025, 3, 10), 8, 0), TS(D(2025, 3, 12), 8, 0));
	fx_missing(TS(D(2025, 5, 30), 10, 0), TS(D(2025, 5, 31), 10, 0));
	fx_identification(TS(D(2025, 4, 11), 8, 1), true, TS(D(2025, 4, 11), 8, 0));
	fx_identification(TS(D(2025, 6, 30), 12, 0), true, TS_NONE);
	/* T3 (14 in 2025): episode 2024-03-01..2025-01-15 with an assignment
	 * running past it; missing from 2025-01-10 20:00 to 2025-02-01 10:00;
	 * identified 2025-01-31 (not in care, before the return), reported
	 * 24 h + 1 s later; then on her next episode 2025-03-02 (assigned),
	 * inside the 30 days after the return, reported 30 min later. */
	uint32_t t3 = fx_child(2010, 5, SEX_FEMALE, RACE_HISPANIC);
	fx_episode(t3, 0, D(2024, 3, 1), D(2025, 1, 15), REASON_RUNAWAY);
	fx_assignment(D(2024, 4, 1), OPEN);
	fx_missing(TS(D(2025, 1, 10), 20, 0), TS(D(2025, 2, 1), 10, 0));
	fx_identification(TS(D(2025, 1, 31), 10, 0), false, TS(D(2025, 2, 1), 10, 1));
	fx_episode(t3, 0, D(2025, 3, 1), OPEN, REASON_NONE);
	fx_assignment(D(2025, 3, 1), OPEN);
	fx_identification(TS(D(2025, 3, 2), 10, 0), true, TS(D(2025, 3, 2), 10, 1800));
	/* T4: back 2025-06-06, after as_of - 30: waits. */
	uint32_t t4 = fx_child(2008, 11, SEX_FEMALE, RACE_WHITE);
	fx_episode(t4, 0, D(2024, 5, 1), OPEN, REASON_NONE);
	fx_missing(TS(D(2025, 6, 5), 10, 0), TS(D(2025, 6, 6), 10, 0));
	/* T5: identified before her removal (not in care), reported 6 h
	 * later; and on 2023-12-15, before the first removal of the source. */
	uint32_t t5 = fx_child(2011, 2, SEX_FEMALE, RACE_BLACK);
	fx_episode(t5, 0, D(2024, 9, 1), OPEN, REASON_NONE);
	fx_identification(TS(D(2023, 12, 15), 10, 0), false, TS_NONE);
	fx_identification(TS(D(2024, 8, 20), 9, 0), false, TS(D(2024, 8, 20), 15, 0));
	fx_compute(10);
}

START_TEST(test_trafficking_reported_24h)
{
	trafficking_fixture();
	enum metric_id m = METRIC_TRAFFICKING_REPORTED_LE_24H_PCT;
	/* 2025: T1 (24 h exactly: yes), T2 x2 (1 s early; none by as_of: no),
	 * T3 x2 (24 h + 1 s: no; 30 min: yes) -> 2/5. 2024: T5's 08-20 (6 h:
	 * yes) -> 1/1; her 2023-12-15 is before the year table's first year. */
	TOTAL(m, PERIOD_YEAR, D(2025, 1, 1), 2, 5);
	TOTAL(m, PERIOD_YEAR, D(2024, 1, 1), 1, 1);
	/* FY2024 (2023-10-01..2024-09-30) holds both of T5's: 1/2. */
	TOTAL(m, PERIOD_FISCAL_YEAR, D(2024, 1, 1), 1, 2);
	ck_assert_int_eq(cell(m, PERIOD_FISCAL_YEAR, DIM_TOTAL, D(2024, 1, 1), 0)->children, 1);
	/* April 2025: T1 yes, T2 no -> 1/2. */
	TOTAL(m, PERIOD_MONTH, D(2025, 4, 1), 1, 2);
	/* The groups of the day: T1 (04-04) and T3 (03-02) assigned; T3's
	 * 01-31 is not a day in care (her open assignment does not count). */
	ND(m, PERIOD_YEAR, DIM_ADVOCATE, D(2025, 1, 1), ADVOCATE_ASSIGNED, 2, 2);
	ND(m, PERIOD_YEAR, DIM_ADVOCATE, D(2025, 1, 1), ADVOCATE_NOT_ASSIGNED, 0, 3);
	ND(m, PERIOD_YEAR, DIM_SEX, D(2025, 1, 1), SEX_MALE, 0, 2);
	ck_assert_int_eq(cell(m, PERIOD_YEAR, DIM_SEX, D(2025, 1, 1), SEX_MALE)->children, 1);
	/* Age on the day: T3 14 (12-14) both; T1 15, T2 16 (15-17). */
	ND(m, PERIOD_YEAR, DIM_AGE_BAND, D(2025, 1, 1), AGE_12_14, 1, 2);
	ND(m, PERIOD_YEAR, DIM_AGE_BAND, D(2025, 1, 1), AGE_15_17, 1, 3);
}
END_TEST

START_TEST(test_trafficking_per_1000_served)
{
	trafficking_fixture();
	enum metric_id m = METRIC_TRAFFICKING_IDENTIFIED_PER_1000_SERVED;
	/* 2025: 5 identifications over T1..T5 served = 5 children. 2024: T5's
	 * 08-20 over the same 5 served. FY2024: both of T5's over the 5
	 * served in it (T5 from 2024-09-01). */
	TOTAL(m, PERIOD_YEAR, D(2025, 1, 1), 5, 5);
	TOTAL(m, PERIOD_YEAR, D(2024, 1, 1), 1, 5);
	TOTAL(m, PERIOD_FISCAL_YEAR, D(2024, 1, 1), 2, 5);
	/* Numerator by the identification's day, denominator by the child:
	 * assigned identifications T1, T3 (2); children assigned in 2025 T1,
	 * T3 (2); not: T2 x2, T3's 01-31 (3) over T2, T4, T5 (3). */
	ND(m, PERIOD_YEAR, DIM_ADVOCATE, D(2025, 1, 1), ADVOCATE_ASSIGNED, 2, 2);
	ND(m, PERIOD_YEAR, DIM_ADVOCATE, D(2025, 1, 1), ADVOCATE_NOT_ASSIGNED, 3, 3);
	/* Each child once in a cell, identified and served: 5. */
	ck_assert_int_eq(cell(m, PERIOD_YEAR, DIM_TOTAL, D(2025, 1, 1), 0)->children, 5);
	/* No month or quarter tables. */
	ck_assert_ptr_null(metrics_table_find(&fx.result, m, PERIOD_MONTH, DIM_TOTAL));
}
END_TEST

START_TEST(test_identified_after_missing)
{
	trafficking_fixture();
	enum metric_id m = METRIC_IDENTIFIED_AFTER_MISSING_PCT;
	/* Returns on or before as_of - 30 = 2025-05-31. 2025: T1's (30 days
	 * exactly: yes), T2's 03-12 (30 days + 1 s: no), T2's 05-31 (no), T3's
	 * (identified on her next episode within 30 days: yes; her 01-31
	 * identification is before the return) -> 2/4. T4's 06-06 waits. */
	TOTAL(m, PERIOD_YEAR, D(2025, 1, 1), 2, 4);
	TOTAL(m, PERIOD_MONTH, D(2025, 3, 1), 1, 2);
	TOTAL(m, PERIOD_MONTH, D(2025, 2, 1), 1, 1);
	TOTAL(m, PERIOD_MONTH, D(2025, 5, 1), 0, 1);
	TOTAL(m, PERIOD_MONTH, D(2025, 6, 1), 0, 0);
	/* 2024: T1's October return, no identification: 0/1. */
	TOTAL(m, PERIOD_YEAR, D(2024, 1, 1), 0, 1);
	/* Groups of the begin day: T3's began under her assignment. */
	ND(m, PERIOD_YEAR, DIM_ADVOCATE, D(2025, 1, 1), ADVOCATE_ASSIGNED, 1, 1);
	ND(m, PERIOD_YEAR, DIM_ADVOCATE, D(2025, 1, 1), ADVOCATE_NOT_ASSIGNED, 1, 3);
}
END_TEST

START_TEST(test_without_identifications)
{
	/* A source without the table: no trafficking table at all; the other
	 * issue-17 metrics are there. */
	trafficking_fixture();
	metrics_free(&fx.result);
	fx.computed = false;
	fx.model.has_identifications = false;
	fx_compute(10);
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
		for (int m = METRIC_TRAFFICKING_IDENTIFIED_PER_1000_SERVED; m < METRIC_COUNT; m++)
			ck_assert_ptr_null(metrics_table_find(&fx.result, (enum metric_id)m,
			                                      (enum period_type)t, DIM_TOTAL));
	ck_assert_ptr_nonnull(
	    metrics_table_find(&fx.result, METRIC_ADVOCATE_REACH_PCT, PERIOD_MONTH, DIM_TOTAL));
}
END_TEST

START_TEST(test_standardized_expected)
{
	/* issue 14: expected_g = sum over strata s (age band x setting) of
	 * D_{g,s} O_s / D_s, for 2024-Q1 (91 days, as_of 2024-03-31).
	 * A (13, assigned throughout): foster Jan 1 - Feb 29 (60 days), moves
	 *   into a relative home Mar 1 (31 days); runs away Feb 1 from foster.
	 * B (15-17, not assigned): group home Jan 1 - Feb 14 (45 days), moves
	 *   into an institution Feb 15 (46 days); runs away Jan 10 (group
	 *   home) and Mar 5 (institution).
	 * C (13, not assigned): foster Jan 1 - Mar 14 (74 days), moves into a
	 *   relative home Mar 15 (17 days).
	 * D (not assigned, 12 on Feb 1): foster throughout: 31 days at 6-11,
	 *   60 at 12-14 (the age band of each day).
	 * Runaways: strata (12-14, foster) D = 60 + 74 + 60 = 194, O = 1;
	 * (15-17, group) 45, 1; (15-17, institution) 46, 1; the others O = 0.
	 * Assigned: 60 x 1 / 194 = 0.3092784; not assigned: (74 + 60) / 194 +
	 * 45 / 45 + 46 / 46 = 2.6907216 (the two add up to the 3 observed).
	 * Moves, in the stratum of the placement moved into: (12-14, relative)
	 * D = 31 + 17 = 48, O = 2; (15-17, institution) 46, 1. Assigned:
	 * 31 x 2 / 48 = 1.2916667; not assigned: 17 x 2 / 48 + 46 / 46 =
	 * 1.7083333. */
	fx_init(D(2024, 3, 31));
	uint32_t a = fx_child(2010, 6, SEX_FEMALE, RACE_WHITE);
	fx_episode(a, 0, D(2024, 1, 1), OPEN, REASON_NONE);
	fx_placement(SETTING_FOSTER_HOME, 1, D(2024, 1, 1), D(2024, 3, 1));
	fx_placement(SETTING_RELATIVE_HOME, 2, D(2024, 3, 1), OPEN);
	fx_assignment(D(2024, 1, 1), OPEN);
	fx_missing(TS(D(2024, 2, 1), 8, 0), TS(D(2024, 2, 2), 8, 0));
	uint32_t b = fx_child(2008, 3, SEX_MALE, RACE_BLACK);
	fx_episode(b, 0, D(2024, 1, 1), OPEN, REASON_NONE);
	fx_placement(SETTING_GROUP_HOME, 3, D(2024, 1, 1), D(2024, 2, 15));
	fx_placement(SETTING_INSTITUTION, 4, D(2024, 2, 15), OPEN);
	fx_missing(TS(D(2024, 1, 10), 8, 0), TS(D(2024, 1, 11), 8, 0));
	fx_missing(TS(D(2024, 3, 5), 8, 0), TS(D(2024, 3, 6), 8, 0));
	uint32_t c = fx_child(2010, 6, SEX_MALE, RACE_WHITE);
	fx_episode(c, 1, D(2024, 1, 1), OPEN, REASON_NONE);
	fx_placement(SETTING_FOSTER_HOME, 5, D(2024, 1, 1), D(2024, 3, 15));
	fx_placement(SETTING_RELATIVE_HOME, 6, D(2024, 3, 15), OPEN);
	uint32_t d = fx_child(2012, 2, SEX_FEMALE, RACE_BLACK);
	fx_episode(d, 1, D(2024, 1, 1), OPEN, REASON_NONE);
	fx_placement(SETTING_FOSTER_HOME, 7, D(2024, 1, 1), OPEN);
	fx_compute(10);
	/* metric, group, observed, expected */
	static const struct {
		enum metric_id metric;
		uint32_t group;
		int64_t observed;
		double expected;
	} want[] = {
	    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, ADVOCATE_ASSIGNED, 1, 60.0 / 194},
	    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, ADVOCATE_NOT_ASSIGNED, 2, 134.0 / 194 + 2},
	    {METRIC_MOVES_PER_1000_DAYS_IN_CARE, ADVOCATE_ASSIGNED, 1, 31.0 * 2 / 48},
	    {METRIC_MOVES_PER_1000_DAYS_IN_CARE, ADVOCATE_NOT_ASSIGNED, 2, 17.0 * 2 / 48 + 1},
	};
	const enum period_type types[] = {PERIOD_QUARTER, PERIOD_YEAR, PERIOD_FISCAL_YEAR};
	for (size_t i = 0; i < CASA_ARRAY_LEN(types); i++) {
		for (size_t k = 0; k < CASA_ARRAY_LEN(want); k++) {
			const struct metrics_cell *x = cell(want[k].metric, types[i], DIM_ADVOCATE,
			                                    D(2024, 1, 1), want[k].group);
			ck_assert(x->has_expected);
			ck_assert_int_eq(x->numerator, want[k].observed);
			ck_assert_double_eq_tol(x->expected, want[k].expected, 1e-12);
		}
	}
	/* Months carry no comparison (quarters and longer only), nor any
	 * other breakdown or metric. */
	ck_assert(!cell(METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_MONTH, DIM_ADVOCATE,
	                D(2024, 1, 1), ADVOCATE_ASSIGNED)
	               ->has_expected);
	ck_assert(!cell(METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_QUARTER, DIM_TOTAL,
	                D(2024, 1, 1), 0)
	               ->has_expected);
	ck_assert(!cell(METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_QUARTER, DIM_ADVOCATE, D(2024, 1, 1),
	                ADVOCATE_ASSIGNED)
	               ->has_expected);
	ck_assert(metrics_table_standardized(METRIC_MOVES_PER_1000_DAYS_IN_CARE, PERIOD_YEAR,
	                                     DIM_ADVOCATE));
	ck_assert(!metrics_table_standardized(METRIC_MOVES_PER_1000_DAYS_IN_CARE, PERIOD_MONTH,
	                                      DIM_ADVOCATE));
	ck_assert(!metrics_table_standardized(METRIC_PLACEMENT_MOVES_PER_1000_DAYS, PERIOD_YEAR,
	                                      DIM_ADVOCATE));
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("metrics_engine");
	TCase *placement = tcase_create("placement");
	tcase_add_checked_fixture(placement, NULL, fx_teardown);
	tcase_add_test(placement, test_days_in_care_edges);
	tcase_add_test(placement, test_leap_year_partial_period);
	tcase_add_test(placement, test_moves_rules);
	tcase_add_test(placement, test_overlap_and_gap_settings);
	tcase_add_test(placement, test_advocate_per_day);
	tcase_add_test(placement, test_age_band_per_day);
	tcase_add_test(placement, test_entry_cohort_moves);
	tcase_add_test(placement, test_entry_cohort_advocate_split);
	tcase_add_test(placement, test_two_or_fewer);
	tcase_add_test(placement, test_los_bands);
	tcase_add_test(placement, test_standardized_expected);
	suite_add_tcase(s, placement);
	TCase *runaway = tcase_create("runaway");
	tcase_add_checked_fixture(runaway, NULL, fx_teardown);
	tcase_add_test(runaway, test_runaway_setting_rule);
	tcase_add_test(runaway, test_youth_with_runaway);
	tcase_add_test(runaway, test_days_missing_quantiles);
	tcase_add_test(runaway, test_p90_interval);
	tcase_add_test(runaway, test_returned_within_7_days);
	tcase_add_test(runaway, test_still_missing);
	tcase_add_test(runaway, test_reports_and_screening);
	tcase_add_test(runaway, test_entry_runaway_12m);
	suite_add_tcase(s, runaway);
	TCase *issue17 = tcase_create("issue17");
	tcase_add_checked_fixture(issue17, NULL, fx_teardown);
	tcase_add_test(issue17, test_same_day_episode);
	tcase_add_test(issue17, test_permanency_entries);
	tcase_add_test(issue17, test_reentry);
	tcase_add_test(issue17, test_assignment_cohort);
	tcase_add_test(issue17, test_days_to_assignment_interval);
	tcase_add_test(issue17, test_advocate_reach);
	tcase_add_test(issue17, test_trafficking_reported_24h);
	tcase_add_test(issue17, test_trafficking_per_1000_served);
	tcase_add_test(issue17, test_identified_after_missing);
	tcase_add_test(issue17, test_without_identifications);
	suite_add_tcase(s, issue17);
	return s;
}

int main(void)
{
	/* GSL aborts on an error by default (interval.h) */
	interval_init();
	SRunner *runner = srunner_create(engine_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
