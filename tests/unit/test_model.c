/*
 * test_model.c — model_build(): every data-quality rule of SPEC §2 with the
 * counting conventions (one offender per rule next to clean rows), ordering,
 * clipping at as_of and discharge, recoding. Expected values are worked out
 * by hand in the comments; as_of is 2025-06-30 throughout.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casa/config.h"
#include "casa/date.h"
#include "casa/hash.h"
#include "casa/model.h"

#define NUL INT64_MIN /* a null key column, as src/source.c stores it */
/* earliest_date of every test but test_earliest_date: the daemon's default,
 * before any date of the fixtures. */
#define EARLIEST d(CONFIG_DEFAULT_EARLIEST_DATE)
#define OPEN_END 0 /* "no end date" in the helpers below */

static int32_t d(const char *text)
{
	int32_t out = 0;
	ck_assert_msg(date_parse(text, 10, &out), "bad date %s", text);
	return out;
}

/* Unix seconds of day text at hour h UTC (the tests use UTC dates). */
static int64_t ts(const char *text, int h)
{
	return (int64_t)d(text) * 86400 + h * 3600;
}

static void *grow(void *array, size_t count, size_t size)
{
	void *grown = realloc(array, (count + 1) * size);
	ck_assert_ptr_nonnull(grown);
	memset((char *)grown + count * size, 0, size);
	return grown;
}

static void child(struct model_raw *raw, int64_t key, const char *birth, const char *sex,
                  const char *race)
{
	raw->children = grow(raw->children, raw->child_count, sizeof(*raw->children));
	struct model_raw_child *row = &raw->children[raw->child_count++];
	row->child_key = key;
	row->has_birth_month = birth != NULL;
	row->birth_month = birth ? d(birth) : 0;
	row->sex = model_raw_code(MODEL_CODES_SEX, sex);
	row->race = model_raw_code(MODEL_CODES_RACE, race);
}

static void episode(struct model_raw *raw, int64_t key, int64_t child_key, const char *county,
                    const char *removal, const char *discharge, const char *reason)
{
	raw->episodes = grow(raw->episodes, raw->episode_count, sizeof(*raw->episodes));
	struct model_raw_episode *row = &raw->episodes[raw->episode_count++];
	row->episode_key = key;
	row->child_key = child_key;
	row->has_county = county != NULL;
	if (county)
		ck_assert(model_raw_county(raw, county, strlen(county), &row->county));
	row->has_removal_date = removal != NULL;
	row->removal_date = removal ? d(removal) : 0;
	row->has_discharge_date = discharge != NULL;
	row->discharge_date = discharge ? d(discharge) : 0;
	row->discharge_reason = model_raw_code(MODEL_CODES_REASON, reason);
}

static void placement(struct model_raw *raw, int64_t key, int64_t episode_key, const char *setting,
                      int64_t provider, const char *start, const char *end)
{
	raw->placements = grow(raw->placements, raw->placement_count, sizeof(*raw->placements));
	struct model_raw_placement *row = &raw->placements[raw->placement_count++];
	row->placement_key = key;
	row->episode_key = episode_key;
	row->setting = model_raw_code(MODEL_CODES_SETTING, setting);
	row->has_provider = provider != 0;
	row->provider_key = provider;
	row->has_start_date = start != NULL;
	row->start_date = start ? d(start) : 0;
	row->has_end_date = end != NULL;
	row->end_date = end ? d(end) : 0;
}

/* A missing episode; times are (date, hour) pairs, date NULL for null. */
struct when {
	const char *date; /* NULL: null timestamp */
	int hour;         /* UTC */
};

static void set_ts(struct when w, int64_t *at, int32_t *day)
{
	*at = w.date ? ts(w.date, w.hour) : TS_NONE;
	*day = w.date ? d(w.date) : 0;
}

static void missing(struct model_raw *raw, int64_t key, int64_t episode_key, struct when went,
                    struct when informed, struct when returned, struct when le, struct when ncmec,
                    struct when screened, const char *result)
{
	raw->missing = grow(raw->missing, raw->missing_count, sizeof(*raw->missing));
	struct model_raw_missing *row = &raw->missing[raw->missing_count++];
	row->missing_key = key;
	row->episode_key = episode_key;
	set_ts(went, &row->went_missing_at, &row->went_missing_day);
	set_ts(informed, &row->agency_informed_at, &row->agency_informed_day);
	set_ts(returned, &row->returned_at, &row->returned_day);
	set_ts(le, &row->reported_le_at, &row->reported_le_day);
	set_ts(ncmec, &row->reported_ncmec_at, &row->reported_ncmec_day);
	set_ts(screened, &row->screened_at, &row->screened_day);
	row->screen_result = model_raw_code(MODEL_CODES_SCREEN, result);
}

static void assignment(struct model_raw *raw, int64_t key, int64_t episode_key, const char *start,
                       const char *end)
{
	raw->assignments = grow(raw->assignments, raw->assignment_count, sizeof(*raw->assignments));
	struct model_raw_assignment *row = &raw->assignments[raw->assignment_count++];
	row->assignment_key = key;
	row->episode_key = episode_key;
	row->has_start_date = start != NULL;
	row->start_date = start ? d(start) : 0;
	row->has_end_date = end != NULL;
	row->end_date = end ? d(end) : 0;
}

static void identification(struct model_raw *raw, int64_t key, int64_t episode_key,
                           struct when identified, int while_in_care, struct when le)
{
	raw->identifications =
	    grow(raw->identifications, raw->identification_count, sizeof(*raw->identifications));
	struct model_raw_identification *row = &raw->identifications[raw->identification_count++];
	row->identification_key = key;
	row->episode_key = episode_key;
	set_ts(identified, &row->identified_at, &row->identified_day);
	row->has_while_in_care = while_in_care >= 0; /* -1: null */
	row->while_in_care = while_in_care == 1;
	set_ts(le, &row->reported_le_at, &row->reported_le_day);
	raw->has_identifications = true;
}

static const struct when none = {NULL, 0};

static struct when at(const char *date, int hour)
{
	struct when w = {date, hour};
	return w;
}

/* The layout of tests/fixtures/quality.sql, built in memory, without the
 * cases only the source stage sees (empty codes, infinity, escapes, the
 * time-zone probe). */
static void build_every_rule(struct model_raw *raw)
{
	/* children: 1, 2 clean; 3 kept with three counted rules; 4 null
	 * birth_month; 1 again (duplicate); 6 clean with null codes. */
	child(raw, 1, "2010-05-01", "female", "black");
	child(raw, 2, "2011-03-01", "male", "white");
	child(raw, 3, "2012-07-15", "girl", "martian");
	child(raw, 4, NULL, "female", "asian");
	child(raw, 1, "2010-01-01", "male", "white");
	child(raw, 6, "2013-01-01", "", "");

	episode(raw, 10, 1, "Cook", "2024-01-01", NULL, "");
	episode(raw, 11, 2, "Lake", "2024-02-01", "2024-06-01", "reunification");
	episode(raw, 12, 3, "Cook", "2024-03-01", "2024-09-01", "ran_off"); /* unknown reason */
	episode(raw, 13, 99, "Cook", "2024-01-01", NULL, "");               /* dangling */
	episode(raw, 14, 4, "Cook", "2024-01-01", NULL, "");                /* child dropped */
	episode(raw, 15, 2, "Lake", "2024-08-01", "2024-07-31", "other");   /* ends before start */
	episode(raw, 16, 6, NULL, "2024-01-01", NULL, "");                  /* null county */
	episode(raw, 17, 6, "Will", "2025-07-15", NULL, "");                /* ignored */
	episode(raw, 10, 2, "Kane", "2023-01-01", NULL, "");                /* duplicate */
	episode(raw, 18, 6, "Lake", "2024-05-01", "2025-08-01", "adoption");
	episode(raw, 19, 6, "DuPage", "2024-10-01", "2024-10-05", "");

	placement(raw, 100, 10, "foster_home", 5, "2024-01-01", "2024-03-01");
	placement(raw, 101, 10, "group_home", 0, "2024-03-01", NULL);
	placement(raw, 102, 10, "respite", 0, "2024-04-01", "2024-04-03");     /* overlaps 101 */
	placement(raw, 103, 11, "foster_home", 7, "2024-02-01", "2024-07-01"); /* after discharge */
	placement(raw, 104, 11, "castle", 0, "2024-03-01", NULL);              /* unknown setting */
	placement(raw, 105, 11, "foster_home", 0, "2024-05-01", "2024-04-01"); /* ends before */
	placement(raw, 106, 11, "foster_home", 0, "2024-06-01", NULL);         /* discharge day */
	placement(raw, 107, 13, "foster_home", 0, "2024-01-01", NULL);         /* parent dropped */
	placement(raw, 108, 999, "foster_home", 0, "2024-01-01", NULL);        /* dangling */
	placement(raw, 109, 17, "foster_home", 0, "2025-07-15", NULL);         /* ignored */
	placement(raw, 110, 15, "foster_home", 0, "2024-08-01", NULL);         /* parent dropped */
	placement(raw, 111, 10, "", 0, "2024-01-01", NULL);                    /* null setting */
	placement(raw, 100, 11, "foster_home", 0, "2024-02-01", NULL);         /* duplicate */
	placement(raw, 112, 12, "relative_home", 0, "2024-03-01", "2025-12-01"); /* after disch. */
	placement(raw, 113, 12, "hospital", 0, "2024-08-01", "2024-08-10");      /* overlaps 112 */
	placement(raw, 114, 18, "foster_home", 0, "2024-05-01", "2025-09-01");
	placement(raw, 115, 12, "foster_home", 0, "2024-02-15", NULL); /* before removal */
	placement(raw, 116, 10, "foster_home", 0, "2025-06-30", NULL); /* overlaps 101 */

	missing(raw, 1000, 10, at("2024-03-05", 10), none, at("2024-03-07", 10),
	        at("2024-03-05", 12), at("2024-03-05", 13), at("2024-03-08", 10), "negative");
	missing(raw, 1001, 10, at("2024-04-10", 10), at("2024-04-10", 12), none,
	        at("2024-04-10", 11), at("2024-04-09", 9), none, ""); /* 2 reports early */
	missing(raw, 1002, 10, at("2024-05-01", 10), none, at("2024-05-03", 10), none, none,
	        at("2024-05-02", 10), "maybe"); /* screen early, unknown result */
	missing(raw, 1003, 11, at("2024-06-01", 10), none, none, none, none, none, "");
	missing(raw, 1004, 10, at("2024-05-10", 10), none, at("2024-05-09", 10), none, none, none,
	        "");                                                    /* returns before */
	missing(raw, 1005, 10, none, none, none, none, none, none, ""); /* null */
	missing(raw, 1006, 555, at("2024-05-10", 10), none, none, none, none, none, "");
	missing(raw, 1007, 10, at("2025-07-01", 10), none, none, none, none, none, "");
	missing(raw, 1000, 11, at("2024-03-01", 10), none, none, none, none, none, "");
	missing(raw, 1008, 14, at("2024-03-01", 10), none, none, none, none, none, "");
	missing(raw, 1009, 18, at("2025-06-20", 10), none, at("2025-07-02", 10), none, none, none,
	        "");
	missing(raw, 1011, 10, at("2025-06-29", 10), at("2025-07-03", 10), none,
	        at("2025-07-02", 10), none, none, "");

	assignment(raw, 1, 10, "2024-01-05", NULL);
	assignment(raw, 2, 11, "2024-03-01", "2024-02-01"); /* ends before */
	assignment(raw, 3, 11, "2024-07-01", NULL);         /* after discharge */
	assignment(raw, 4, 11, "2024-02-01", "2025-09-01");
	assignment(raw, 5, 777, "2024-01-01", NULL); /* dangling */
	assignment(raw, 6, 10, NULL, NULL);          /* null start */
	assignment(raw, 1, 11, "2024-02-01", NULL);  /* duplicate */
	assignment(raw, 7, 10, "2025-08-01", NULL);  /* ignored */
	assignment(raw, 8, 15, "2024-08-01", NULL);  /* parent dropped */
}

START_TEST(test_every_rule_counted)
{
	struct model_raw raw = {0};
	struct model model;
	enum model_failure failure;
	build_every_rule(&raw);
	ck_assert(model_build(&raw, EARLIEST, d("2025-06-30"), &model, &failure));
	const uint64_t *v = model.quality.violations;
	/* One duplicate per table: child 1, episode 10, placement 100,
	 * missing 1000, assignment 1 = 5. */
	ck_assert_uint_eq(v[DQ_DROP_DUPLICATE_KEY], 5);
	/* episode 13 (child 99), placement 108, missing 1006, assignment 5 = 4 */
	ck_assert_uint_eq(v[DQ_DROP_DANGLING_PARENT], 4);
	/* issue 16: rows whose parent was left out were counted by no rule.
	 * Episode 14 (child 4 null), missing 1008 (episode 14), placement 107
	 * (episode 13 dangling), placement 110 and assignment 8 (episode 15
	 * ends before start) = 5. */
	ck_assert_uint_eq(v[DQ_DROP_PARENT_DROPPED], 5);
	/* child 4, episode 16, placement 111, missing 1005, assignment 6 = 5. */
	ck_assert_uint_eq(v[DQ_DROP_NULL_REQUIRED], 5);
	/* episode 17, placement 109, missing 1007, assignment 7 = 4. */
	ck_assert_uint_eq(v[DQ_IGNORED_AFTER_AS_OF], 4);
	ck_assert_uint_eq(v[DQ_DROP_EPISODE_ENDS_BEFORE_START], 1);      /* 15 */
	ck_assert_uint_eq(v[DQ_DROP_PLACEMENT_ENDS_BEFORE_START], 1);    /* 105 */
	ck_assert_uint_eq(v[DQ_DROP_PLACEMENT_UNKNOWN_SETTING], 1);      /* 104 */
	ck_assert_uint_eq(v[DQ_DROP_PLACEMENT_OUTSIDE_CARE], 2);         /* 106, 115 */
	ck_assert_uint_eq(v[DQ_DROP_ASSIGNMENT_ENDS_BEFORE_START], 1);   /* 2 */
	ck_assert_uint_eq(v[DQ_DROP_ASSIGNMENT_OUTSIDE_CARE], 1);        /* 3 */
	ck_assert_uint_eq(v[DQ_DROP_MISSING_RETURNS_BEFORE_MISSING], 1); /* 1004 */
	ck_assert_uint_eq(v[DQ_DROP_MISSING_OUTSIDE_CARE], 1);           /* 1003 */
	ck_assert_uint_eq(v[DQ_KEEP_OVERLAPPING_PLACEMENTS], 3);         /* 102, 113, 116 */
	ck_assert_uint_eq(v[DQ_KEEP_PLACEMENT_AFTER_DISCHARGE], 2);      /* 103, 112 */
	/* 1001: LE 11:00 and NCMEC (the day before) both before 12:00; 1011's
	 * report is dated after as_of, so it does not exist yet. */
	ck_assert_uint_eq(v[DQ_KEEP_REPORT_BEFORE_INFORMED], 2);
	ck_assert_uint_eq(v[DQ_KEEP_SCREEN_BEFORE_RETURN], 1);     /* 1002 */
	ck_assert_uint_eq(v[DQ_KEEP_UNKNOWN_SEX], 1);              /* "girl" */
	ck_assert_uint_eq(v[DQ_KEEP_UNKNOWN_RACE], 1);             /* "martian" */
	ck_assert_uint_eq(v[DQ_KEEP_UNKNOWN_DISCHARGE_REASON], 1); /* "ran_off" */
	ck_assert_uint_eq(v[DQ_KEEP_UNKNOWN_SCREEN_RESULT], 1);    /* "maybe" */
	ck_assert_uint_eq(v[DQ_KEEP_BIRTH_MONTH_NOT_FIRST], 1);    /* 2012-07-15 */

	const uint64_t *read = model.quality.rows_read, *kept = model.quality.rows_kept;
	ck_assert_uint_eq(read[MODEL_CHILDREN], 6);
	ck_assert_uint_eq(read[MODEL_EPISODES], 11);
	ck_assert_uint_eq(read[MODEL_PLACEMENTS], 18);
	ck_assert_uint_eq(read[MODEL_MISSING], 12);
	ck_assert_uint_eq(read[MODEL_ASSIGNMENTS], 9);
	ck_assert_uint_eq(kept[MODEL_CHILDREN], 4);    /* 1, 2, 3, 6 */
	ck_assert_uint_eq(kept[MODEL_EPISODES], 5);    /* 10, 11, 12, 18, 19 */
	ck_assert_uint_eq(kept[MODEL_PLACEMENTS], 8);  /* 100-103, 112-114, 116 */
	ck_assert_uint_eq(kept[MODEL_MISSING], 5);     /* 1000-1002, 1009, 1011 */
	ck_assert_uint_eq(kept[MODEL_ASSIGNMENTS], 2); /* 1, 4 */
	/* Every row read is kept or counted by exactly one rule: read 6 + 11 +
	 * 18 + 12 + 9 = 56 = kept 4 + 5 + 8 + 5 + 2 = 24, plus the rules that
	 * leave rows out: 5 duplicates + 4 dangling + 5 parent dropped + 5 null +
	 * 4 ignored + 1 + 1 + 1 + 2 + 1 + 1 + 1 + 1 (own rules) = 32. */
	uint64_t read_all = 0, accounted = 0;
	for (int t = 0; t < MODEL_TABLE_COUNT; t++) {
		read_all += read[t];
		accounted += kept[t];
	}
	for (int r = 0; r < DQ_RULE_COUNT; r++)
		if (strncmp(model_dq_rule_names[r], "drop_", 5) == 0 ||
		    strncmp(model_dq_rule_names[r], "ignored_", 8) == 0)
			accounted += v[r];
	ck_assert_uint_eq(read_all, 56);
	ck_assert_uint_eq(accounted, 56);
	ck_assert_uint_eq(model.child_count, 4);
	ck_assert_uint_eq(model.episode_count, 5);
	ck_assert_uint_eq(model.placement_count, 8);
	ck_assert_uint_eq(model.missing_count, 5);
	ck_assert_uint_eq(model.assignment_count, 2);
	ck_assert_int_eq(model.first_day, d("2024-01-01"));

	/* Counties of kept episodes only, by name: Kane (duplicate) and Will
	 * (ignored) are out. */
	ck_assert_uint_eq(model.county_count, 3);
	ck_assert_str_eq(model.counties[0], "Cook");
	ck_assert_str_eq(model.counties[1], "DuPage");
	ck_assert_str_eq(model.counties[2], "Lake");
	model_free(&model);
	model_raw_free(&raw);
}
END_TEST

START_TEST(test_clean_rows_survive_in_order)
{
	struct model_raw raw = {0};
	struct model model;
	enum model_failure failure;
	build_every_rule(&raw);
	ck_assert(model_build(&raw, EARLIEST, d("2025-06-30"), &model, &failure));
	/* Children by key: 1, 2, 3, 6. Child 1 keeps the first row's values. */
	ck_assert_int_eq(model.children[0].child_key, 1);
	ck_assert_int_eq(model.children[0].birth_month, d("2010-05-01"));
	ck_assert_int_eq(model.children[0].sex, SEX_FEMALE);
	ck_assert_int_eq(model.children[0].race, RACE_BLACK);
	ck_assert_int_eq(model.children[2].child_key, 3);
	ck_assert_int_eq(model.children[2].birth_month, d("2012-07-01")); /* truncated */
	ck_assert_int_eq(model.children[2].sex, SEX_UNKNOWN);
	ck_assert_int_eq(model.children[2].race, RACE_UNKNOWN);
	ck_assert_int_eq(model.children[3].child_key, 6);
	ck_assert_int_eq(model.children[3].sex, SEX_UNKNOWN); /* null: unknown */

	/* Episodes by (child, removal): 10 (child 1), 11 (child 2), 12 (child
	 * 3), then child 6: 18 (2024-05-01) before 19 (2024-10-01). */
	static const int64_t keys[] = {10, 11, 12, 18, 19};
	static const uint32_t children[] = {0, 1, 2, 3, 3};
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(model.episodes[i].episode_key, keys[i]);
		ck_assert_uint_eq(model.episodes[i].child, children[i]);
	}
	struct model_episode *e10 = &model.episodes[0], *e11 = &model.episodes[1],
	                     *e12 = &model.episodes[2], *e18 = &model.episodes[3],
	                     *e19 = &model.episodes[4];
	ck_assert_str_eq(model.counties[e10->county], "Cook");
	ck_assert_str_eq(model.counties[e18->county], "Lake");
	ck_assert_str_eq(model.counties[e19->county], "DuPage");
	ck_assert_int_eq(e10->discharge_date, DATE_OPEN);
	ck_assert_int_eq(e10->discharge_reason, REASON_NONE);
	ck_assert_int_eq(e11->discharge_reason, REASON_REUNIFICATION);
	ck_assert_int_eq(e12->discharge_reason, REASON_OTHER); /* "ran_off" */
	/* 18: discharged 2025-08-01, after as_of: still in care, no reason. */
	ck_assert_int_eq(e18->discharge_date, DATE_OPEN);
	ck_assert_int_eq(e18->discharge_reason, REASON_NONE);
	/* 19: null reason with a discharge reads as other. */
	ck_assert_int_eq(e19->discharge_date, d("2024-10-05"));
	ck_assert_int_eq(e19->discharge_reason, REASON_OTHER);

	/* Placements of 10: 100, 101, 102, 116 by start; 11: 103; 12: 112, 113;
	 * 18: 114; 19: none. */
	ck_assert_uint_eq(e10->first_placement, 0);
	ck_assert_uint_eq(e10->placement_count, 4);
	ck_assert_uint_eq(e11->first_placement, 4);
	ck_assert_uint_eq(e11->placement_count, 1);
	ck_assert_uint_eq(e12->first_placement, 5);
	ck_assert_uint_eq(e12->placement_count, 2);
	ck_assert_uint_eq(e18->first_placement, 7);
	ck_assert_uint_eq(e18->placement_count, 1);
	ck_assert_uint_eq(e19->placement_count, 0);
	static const int64_t placement_keys[] = {100, 101, 102, 116, 103, 112, 113, 114};
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(model.placements[i].placement_key, placement_keys[i]);
	struct model_placement *p = model.placements;
	ck_assert(p[0].has_provider);
	ck_assert_int_eq(p[0].provider_key, 5);
	ck_assert(!p[1].has_provider);
	ck_assert_int_eq(p[0].setting, SETTING_FOSTER_HOME);
	ck_assert_int_eq(p[2].setting, SETTING_RESPITE);
	ck_assert_int_eq(p[1].end_date, DATE_OPEN);
	/* 103: 2024-07-01 cut at discharge 2024-06-01. */
	ck_assert_int_eq(p[4].end_date, d("2024-06-01"));
	/* 112: 2025-12-01 is after as_of (open), then cut at 2024-09-01. */
	ck_assert_int_eq(p[5].end_date, d("2024-09-01"));
	/* 114: 2025-09-01 after as_of, episode open: open. */
	ck_assert_int_eq(p[7].end_date, DATE_OPEN);

	/* Missing of 10: 1000, 1001, 1002, 1011 by went_missing_at; 18: 1009. */
	ck_assert_uint_eq(e10->first_missing, 0);
	ck_assert_uint_eq(e10->missing_count, 4);
	ck_assert_uint_eq(e18->first_missing, 4);
	ck_assert_uint_eq(e18->missing_count, 1);
	ck_assert_uint_eq(e11->missing_count, 0);
	struct model_missing *m = model.missing;
	ck_assert_int_eq(m[0].went_missing_at, ts("2024-03-05", 10));
	ck_assert_int_eq(m[0].agency_informed_at, ts("2024-03-05", 10)); /* null: went */
	ck_assert_int_eq(m[0].returned_at, ts("2024-03-07", 10));
	ck_assert_int_eq(m[0].begin_day, d("2024-03-05"));
	ck_assert_int_eq(m[0].end_day, d("2024-03-07"));
	ck_assert_int_eq(m[0].screen_result, SCREEN_NEGATIVE);
	ck_assert_int_eq(m[1].agency_informed_at, ts("2024-04-10", 12));
	ck_assert_int_eq(m[1].returned_at, TS_NONE);
	ck_assert_int_eq(m[1].end_day, DATE_OPEN);
	ck_assert_int_eq(m[1].screen_result, SCREEN_NONE);
	ck_assert_int_eq(m[2].screen_result, SCREEN_OTHER); /* "maybe" */
	/* 1011: the report of 2025-07-02 is after as_of: none yet. The agency
	 * learned of it on 2025-07-03, also after as_of: ignored (SPEC §3), so
	 * the clock reads as a null one, went_missing_at. */
	ck_assert_int_eq(m[3].reported_le_at, TS_NONE);
	ck_assert_int_eq(m[3].agency_informed_at, ts("2025-06-29", 10));
	/* 1009: returned 2025-07-02, after as_of: not returned. */
	ck_assert_int_eq(m[4].returned_at, TS_NONE);
	ck_assert_int_eq(m[4].end_day, DATE_OPEN);

	/* Assignments: 1 on episode 10, 4 on 11 (end after as_of: open). */
	ck_assert_uint_eq(e10->first_assignment, 0);
	ck_assert_uint_eq(e10->assignment_count, 1);
	ck_assert_uint_eq(e11->first_assignment, 1);
	ck_assert_uint_eq(e11->assignment_count, 1);
	ck_assert_int_eq(model.assignments[1].end_date, DATE_OPEN);
	model_free(&model);
	model_raw_free(&raw);
}
END_TEST

START_TEST(test_sort_ties_and_keys)
{
	struct model_raw raw = {0};
	struct model model;
	enum model_failure failure;
	/* Children and episodes given in reverse; negative keys sort first. */
	child(&raw, 50, "2010-01-01", "male", "asian");
	child(&raw, -7, "2011-01-01", "female", "nhpi");
	/* Child 50: two episodes on the same day, tie broken by key (31 < 40);
	 * an earlier one (2023) comes first. */
	episode(&raw, 40, 50, "B", "2024-01-01", "2024-02-01", "relative");
	episode(&raw, 31, 50, "B", "2024-01-01", "2024-03-01", "adoption");
	episode(&raw, 99, 50, "A", "2023-01-01", "2023-06-01", "runaway");
	episode(&raw, 5, -7, "C", "2024-01-01", NULL, "");
	/* Placements of 31 with equal starts: by key 7 < 8 < 9 whatever the
	 * stream order; 8 and 9 overlap earlier-ordered ones (2 counts). */
	placement(&raw, 9, 31, "foster_home", 0, "2024-01-10", "2024-01-20");
	placement(&raw, 7, 31, "foster_home", 0, "2024-01-10", "2024-01-20");
	placement(&raw, 8, 31, "runaway", 0, "2024-01-10", "2024-01-11");
	placement(&raw, 6, 31, "foster_home", 0, "2024-01-01", "2024-01-10");
	/* Missing of 5: equal went_missing_at ordered by key (3 < 4), then a
	 * later one with a smaller key (1). */
	missing(&raw, 1, 5, at("2024-05-02", 0), none, none, none, none, none, "");
	missing(&raw, 4, 5, at("2024-05-01", 8), none, none, none, none, none, "");
	missing(&raw, 3, 5, at("2024-05-01", 8), none, none, none, none, none, "positive");
	assignment(&raw, 2, 5, "2024-03-01", NULL);
	assignment(&raw, 1, 5, "2024-01-01", "2024-03-01");
	ck_assert(model_build(&raw, EARLIEST, d("2025-06-30"), &model, &failure));
	ck_assert_uint_eq(model.child_count, 2);
	ck_assert_int_eq(model.children[0].child_key, -7);
	ck_assert_int_eq(model.children[1].child_key, 50);
	static const int64_t episode_keys[] = {5, 99, 31, 40};
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(model.episodes[i].episode_key, episode_keys[i]);
	ck_assert_uint_eq(model.episodes[0].child, 0);
	ck_assert_uint_eq(model.episodes[1].child, 1);
	ck_assert_int_eq(model.episodes[1].discharge_reason, REASON_RUNAWAY);
	ck_assert_int_eq(model.first_day, d("2023-01-01"));
	/* Counties A, B, C: episode 5 is in C (index 2). */
	ck_assert_uint_eq(model.episodes[0].county, 2);
	ck_assert_uint_eq(model.episodes[1].county, 0);
	static const int64_t placement_keys[] = {6, 7, 8, 9};
	ck_assert_uint_eq(model.episodes[2].placement_count, 4);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(model.placements[i].placement_key, placement_keys[i]);
	ck_assert_uint_eq(model.quality.violations[DQ_KEEP_OVERLAPPING_PLACEMENTS], 2);
	ck_assert_uint_eq(model.episodes[0].missing_count, 3);
	ck_assert_int_eq(model.missing[0].screen_result, SCREEN_POSITIVE);       /* key 3 */
	ck_assert_int_eq(model.missing[1].screen_result, SCREEN_NONE);           /* key 4 */
	ck_assert_int_eq(model.missing[2].went_missing_at, ts("2024-05-02", 0)); /* key 1 */
	ck_assert_int_eq(model.assignments[0].start_date, d("2024-01-01"));
	ck_assert_int_eq(model.assignments[1].start_date, d("2024-03-01"));
	for (int r = 0; r < DQ_RULE_COUNT; r++) {
		if (r != DQ_KEEP_OVERLAPPING_PLACEMENTS)
			ck_assert_uint_eq(model.quality.violations[r], 0);
	}
	model_free(&model);
	model_raw_free(&raw);
}
END_TEST

START_TEST(test_first_match_wins)
{
	struct model_raw raw = {0};
	struct model model;
	enum model_failure failure;
	child(&raw, 1, "2010-01-01", "female", "white");
	/* Key 20: first row has a null removal_date (null_required); the second
	 * row with key 20 is still a duplicate (the key was seen), so no episode
	 * 20 is kept and placement 200 goes with it (parent dropped). */
	episode(&raw, 20, 1, "X", NULL, NULL, "");
	episode(&raw, 20, 1, "X", "2024-01-01", NULL, "");
	placement(&raw, 200, 20, "foster_home", 0, "2024-01-01", NULL);
	/* A null key is null_required, never a duplicate of another null. */
	episode(&raw, NUL, 1, "X", "2024-01-01", NULL, "");
	episode(&raw, NUL, 1, "X", "2024-01-01", NULL, "");
	/* Episode 21 clean. Placement 210: dangling AND after as_of: rule 3
	 * (ignored) comes before rule 4 (dangling). Placement 211: null setting
	 * and unknown episode: null_required first. Placement 212: ends before
	 * start and unknown setting: ends_before_start first. 213: unknown
	 * setting and outside care: unknown setting first. */
	episode(&raw, 21, 1, "X", "2024-01-01", "2024-12-01", "");
	placement(&raw, 210, 888, "foster_home", 0, "2025-07-01", NULL);
	placement(&raw, 211, 888, "", 0, "2024-01-01", NULL);
	placement(&raw, 212, 21, "castle", 0, "2024-03-01", "2024-02-01");
	placement(&raw, 213, 21, "castle", 0, "2023-03-01", NULL);
	/* Missing 300: returns before it went missing AND begins outside care:
	 * returns_before first. Missing 301 starts after as_of on an unknown
	 * episode: ignored. */
	missing(&raw, 300, 21, at("2023-05-02", 0), none, at("2023-05-01", 0), none, none, none,
	        "");
	missing(&raw, 301, 888, at("2025-07-02", 0), none, none, none, none, none, "");
	/* Placement 214: a null end in a discharged episode is closed at
	 * discharge but not counted; 215 ends exactly at discharge: fine. */
	placement(&raw, 214, 21, "foster_home", 0, "2024-06-01", NULL);
	placement(&raw, 215, 21, "foster_home", 0, "2024-01-01", "2024-06-01");
	ck_assert(model_build(&raw, EARLIEST, d("2025-06-30"), &model, &failure));
	const uint64_t *v = model.quality.violations;
	ck_assert_uint_eq(v[DQ_DROP_NULL_REQUIRED], 4);  /* episode 20, two null keys, 211 */
	ck_assert_uint_eq(v[DQ_DROP_DUPLICATE_KEY], 1);  /* second episode 20 */
	ck_assert_uint_eq(v[DQ_IGNORED_AFTER_AS_OF], 2); /* 210, 301 */
	ck_assert_uint_eq(v[DQ_DROP_DANGLING_PARENT], 0);
	ck_assert_uint_eq(v[DQ_DROP_PARENT_DROPPED], 1);              /* 200 */
	ck_assert_uint_eq(v[DQ_DROP_PLACEMENT_ENDS_BEFORE_START], 1); /* 212 */
	ck_assert_uint_eq(v[DQ_DROP_PLACEMENT_UNKNOWN_SETTING], 1);   /* 213 */
	ck_assert_uint_eq(v[DQ_DROP_PLACEMENT_OUTSIDE_CARE], 0);
	ck_assert_uint_eq(v[DQ_DROP_MISSING_RETURNS_BEFORE_MISSING], 1); /* 300 */
	ck_assert_uint_eq(v[DQ_DROP_MISSING_OUTSIDE_CARE], 0);
	ck_assert_uint_eq(v[DQ_KEEP_PLACEMENT_AFTER_DISCHARGE], 0);
	ck_assert_uint_eq(v[DQ_KEEP_OVERLAPPING_PLACEMENTS], 0);
	ck_assert_uint_eq(model.episode_count, 1);
	ck_assert_uint_eq(model.placement_count, 2);
	ck_assert_int_eq(model.placements[0].placement_key, 215);
	ck_assert_int_eq(model.placements[1].placement_key, 214);
	ck_assert_int_eq(model.placements[1].end_date, d("2024-12-01"));
	model_free(&model);
	model_raw_free(&raw);
}
END_TEST

START_TEST(test_in_care_boundaries)
{
	struct model_raw raw = {0};
	struct model model;
	enum model_failure failure;
	child(&raw, 1, "2008-01-01", "female", "white");
	/* In care 2024-01-01 .. 2024-01-31 (discharge 02-01 is not in care). */
	episode(&raw, 1, 1, "X", "2024-01-01", "2024-02-01", "runaway");
	placement(&raw, 1, 1, "foster_home", 0, "2024-01-01", "2024-01-02"); /* 1st day: in */
	placement(&raw, 2, 1, "foster_home", 0, "2024-01-31", NULL);         /* last day: in */
	placement(&raw, 3, 1, "foster_home", 0, "2023-12-31", NULL);         /* day before: out */
	placement(&raw, 4, 1, "foster_home", 0, "2024-02-01", NULL); /* discharge day: out */
	placement(&raw, 5, 1, "foster_home", 0, "2024-01-05",
	          "2024-01-05");                            /* empty: ends before */
	assignment(&raw, 1, 1, "2024-01-31", NULL);         /* in */
	assignment(&raw, 2, 1, "2024-02-01", NULL);         /* out */
	assignment(&raw, 3, 1, "2024-01-10", "2024-01-10"); /* empty: ends before */
	/* A missing episode late on the last day in care: in; on the discharge
	 * day: out. Returned at the same instant: kept (zero duration). */
	missing(&raw, 1, 1, at("2024-01-31", 23), none, at("2024-01-31", 23), none, none,
	        at("2024-01-31", 23), "negative");
	missing(&raw, 2, 1, at("2024-02-01", 0), none, none, none, none, none, "");
	/* Open episode: as_of itself is in care, the next day is ignored. */
	episode(&raw, 2, 1, "X", "2025-06-01", NULL, "");
	missing(&raw, 3, 2, at("2025-06-30", 23), none, none, none, none, none, "");
	missing(&raw, 4, 2, at("2025-07-01", 0), none, none, none, none, none, "");
	ck_assert(model_build(&raw, EARLIEST, d("2025-06-30"), &model, &failure));
	const uint64_t *v = model.quality.violations;
	ck_assert_uint_eq(v[DQ_DROP_PLACEMENT_OUTSIDE_CARE], 2);       /* 3, 4 */
	ck_assert_uint_eq(v[DQ_DROP_PLACEMENT_ENDS_BEFORE_START], 1);  /* 5 */
	ck_assert_uint_eq(v[DQ_DROP_ASSIGNMENT_OUTSIDE_CARE], 1);      /* 2 */
	ck_assert_uint_eq(v[DQ_DROP_ASSIGNMENT_ENDS_BEFORE_START], 1); /* 3 */
	ck_assert_uint_eq(v[DQ_DROP_MISSING_OUTSIDE_CARE], 1);         /* 2 */
	ck_assert_uint_eq(v[DQ_IGNORED_AFTER_AS_OF], 1);               /* 4 */
	ck_assert_uint_eq(v[DQ_KEEP_SCREEN_BEFORE_RETURN], 0);         /* equal: not before */
	/* Placement 2 (open) is closed at discharge: not counted (null end). */
	ck_assert_uint_eq(v[DQ_KEEP_PLACEMENT_AFTER_DISCHARGE], 0);
	ck_assert_uint_eq(model.placement_count, 2);
	ck_assert_int_eq(model.placements[1].end_date, d("2024-02-01"));
	ck_assert_uint_eq(model.missing_count, 2);
	ck_assert_int_eq(model.missing[0].end_day, d("2024-01-31"));
	ck_assert_uint_eq(model.assignment_count, 1);
	ck_assert_int_eq(model.episodes[0].discharge_reason, REASON_RUNAWAY);
	model_free(&model);
	model_raw_free(&raw);
}
END_TEST

START_TEST(test_empty_and_codes)
{
	struct model_raw raw = {0};
	struct model model;
	enum model_failure failure;
	ck_assert(model_build(&raw, EARLIEST, d("2025-06-30"), &model, &failure));
	ck_assert_uint_eq(model.episode_count, 0);
	ck_assert_uint_eq(model.county_count, 0);
	ck_assert_int_eq(model.first_day, d("2025-06-30"));
	for (int r = 0; r < DQ_RULE_COUNT; r++)
		ck_assert_uint_eq(model.quality.violations[r], 0);
	model_free(&model);

	/* Every contract code reads as itself; names follow the enum. */
	for (int s = 0; s < SEX_COUNT; s++)
		child(&raw, s + 1, "2010-01-01", model_sex_codes[s], model_race_codes[s]);
	for (int r = SEX_COUNT; r < RACE_COUNT; r++)
		child(&raw, r + 1, "2010-01-01", "", model_race_codes[r]);
	ck_assert(model_build(&raw, EARLIEST, d("2025-06-30"), &model, &failure));
	for (int s = 0; s < SEX_COUNT; s++)
		ck_assert_int_eq(model.children[s].sex, s);
	for (int r = 0; r < RACE_COUNT; r++)
		ck_assert_int_eq(model.children[r].race, r);
	ck_assert_uint_eq(model.quality.violations[DQ_KEEP_UNKNOWN_SEX], 0);
	ck_assert_uint_eq(model.quality.violations[DQ_KEEP_UNKNOWN_RACE], 0);
	model_free(&model);
	model_raw_free(&raw);

	enum setting setting;
	ck_assert(model_setting_parse("supervised_independent_living", &setting));
	ck_assert_int_eq(setting, SETTING_SUPERVISED_INDEPENDENT_LIVING);
	ck_assert(!model_setting_parse("Foster_home", &setting));
	ck_assert(!model_setting_is_temporary(SETTING_SUPERVISED_INDEPENDENT_LIVING));
	ck_assert(model_setting_is_temporary(SETTING_TRIAL_HOME_VISIT));
	ck_assert(model_setting_is_temporary(SETTING_DETENTION));
	ck_assert_str_eq(model_dq_rule_names[DQ_DROP_DUPLICATE_KEY], "drop_duplicate_key");
	ck_assert_str_eq(model_dq_rule_names[DQ_IGNORED_AFTER_AS_OF], "ignored_after_as_of");
	ck_assert_str_eq(model_dq_rule_names[DQ_KEEP_BIRTH_MONTH_NOT_FIRST],
	                 "keep_birth_month_not_first");
	ck_assert_str_eq(model_table_names[MODEL_MISSING], "missing_episodes");
	for (int r = 0; r < DQ_RULE_COUNT; r++)
		ck_assert_ptr_nonnull(model_dq_rule_descriptions[r]);

	/* County interning: same name, same index; prefix is another name. */
	uint32_t a, b, c;
	ck_assert(model_raw_county(&raw, "Lake", 4, &a));
	ck_assert(model_raw_county(&raw, "Lake County", 4, &b));
	ck_assert(model_raw_county(&raw, "Lake County", 11, &c));
	ck_assert_uint_eq(a, b);
	ck_assert_uint_ne(a, c);
	ck_assert_uint_eq(raw.county_count, 2);
	model_raw_free(&raw);
}
END_TEST

START_TEST(test_same_day_episode)
{
	/* Issue 17: an episode discharged on its removal day is real, with no
	 * day in care; one discharged the day before its removal still ends
	 * before it starts. The same-day one has no day in care, so every row
	 * that must start on one falls to its outside-care rule. */
	struct model_raw raw = {0};
	struct model model;
	enum model_failure failure;
	child(&raw, 1, "2021-02-01", "male", "white");
	episode(&raw, 20, 1, "Cook", "2024-06-03", "2024-06-03", "reunification");
	episode(&raw, 21, 1, "Cook", "2024-06-10", "2024-06-09", "other"); /* ends before */
	placement(&raw, 200, 20, "foster_home", 61, "2024-06-03", "2024-06-05");
	assignment(&raw, 20, 20, "2024-06-03", "2024-06-05");
	missing(&raw, 2000, 20, at("2024-06-03", 10), none, none, none, none, none, "");
	identification(&raw, 1, 20, at("2024-06-03", 10), 1, none);     /* in care: no day */
	identification(&raw, 2, 20, at("2024-06-03", 11), 0, none);     /* not in care: kept */
	placement(&raw, 210, 21, "foster_home", 0, "2024-06-10", NULL); /* parent dropped */
	ck_assert(model_build(&raw, EARLIEST, d("2025-06-30"), &model, &failure));
	const uint64_t *v = model.quality.violations;
	ck_assert_uint_eq(v[DQ_DROP_EPISODE_ENDS_BEFORE_START], 1);   /* 21 */
	ck_assert_uint_eq(v[DQ_DROP_PARENT_DROPPED], 1);              /* 210 */
	ck_assert_uint_eq(v[DQ_DROP_PLACEMENT_OUTSIDE_CARE], 1);      /* 200 */
	ck_assert_uint_eq(v[DQ_DROP_ASSIGNMENT_OUTSIDE_CARE], 1);     /* 20 */
	ck_assert_uint_eq(v[DQ_DROP_MISSING_OUTSIDE_CARE], 1);        /* 2000 */
	ck_assert_uint_eq(v[DQ_DROP_IDENTIFICATION_OUTSIDE_CARE], 1); /* 1 */
	ck_assert_uint_eq(model.episode_count, 1);
	ck_assert_int_eq(model.episodes[0].episode_key, 20);
	ck_assert_int_eq(model.episodes[0].removal_date, d("2024-06-03"));
	ck_assert_int_eq(model.episodes[0].discharge_date, d("2024-06-03"));
	ck_assert_int_eq(model.episodes[0].discharge_reason, REASON_REUNIFICATION);
	ck_assert_uint_eq(model.episodes[0].placement_count, 0);
	ck_assert_uint_eq(model.episodes[0].identification_count, 1);
	ck_assert(!model.identifications[0].while_in_care);
	ck_assert_int_eq(model.first_day, d("2024-06-03"));
	model_free(&model);
	model_raw_free(&raw);
}
END_TEST

START_TEST(test_identification_rules)
{
	/* docs/metrics.md "Trafficking identification", first match wins.
	 * Episode 10 open from 2024-01-01; 11 in care 2024-02-01..2024-05-31;
	 * 15 ends before it starts and 16's child has a null birth_month (each
	 * dropped with its rows, counted as parent dropped). */
	struct model_raw raw = {0};
	struct model model;
	enum model_failure failure;
	child(&raw, 1, "2010-05-01", "female", "black");
	child(&raw, 2, NULL, "male", "white"); /* null birth_month */
	episode(&raw, 10, 1, "Cook", "2024-01-01", NULL, "");
	episode(&raw, 11, 1, "Cook", "2024-02-01", "2024-06-01", "reunification");
	episode(&raw, 15, 1, "Cook", "2024-08-01", "2024-07-31", "other");
	episode(&raw, 16, 2, "Cook", "2024-03-01", NULL, ""); /* child dropped */
	identification(&raw, 1, 11, at("2024-03-01", 10), 1, at("2024-03-01", 12)); /* kept */
	identification(&raw, 1, 10, at("2024-03-02", 10), 1, none);                 /* duplicate */
	identification(&raw, 2, 11, none, 1, none);                                 /* null at */
	identification(&raw, 3, 11, at("2024-03-01", 10), -1, none);                /* null flag */
	identification(&raw, NUL, 11, at("2024-03-01", 10), 1, none);               /* null key */
	identification(&raw, 4, NUL, at("2024-03-01", 10), 1, none); /* null episode */
	identification(&raw, 6, 999, at("2024-03-01", 10), 1, none); /* dangling */
	identification(&raw, 7, 11, at("2025-07-01", 10), 0, none);  /* after as_of */
	identification(&raw, 8, 11, at("2024-06-01", 10), 1, none);  /* discharge day: out */
	identification(&raw, 9, 11, at("2024-01-31", 10), 1, none);  /* before removal: out */
	identification(&raw, 10, 11, at("2024-08-01", 10), 0, none); /* after discharge: kept */
	/* kept; reported an hour before the identification: counted */
	identification(&raw, 11, 10, at("2024-05-01", 10), 1, at("2024-05-01", 9));
	/* kept; the report of 2025-07-01 is after as_of: none yet, not counted */
	identification(&raw, 12, 10, at("2025-06-30", 20), 1, at("2025-07-01", 2));
	identification(&raw, 13, 15, at("2024-08-01", 10), 0, none); /* episode dropped */
	identification(&raw, 14, 16, at("2024-04-01", 10), 1, none); /* its child dropped */
	ck_assert(model_build(&raw, EARLIEST, d("2025-06-30"), &model, &failure));
	const uint64_t *v = model.quality.violations;
	ck_assert(model.has_identifications);
	ck_assert(model.quality.has_identifications);
	ck_assert_uint_eq(v[DQ_DROP_NULL_REQUIRED], 5);               /* child 2; 2, 3, null, 4 */
	ck_assert_uint_eq(v[DQ_DROP_DUPLICATE_KEY], 1);               /* 1 again */
	ck_assert_uint_eq(v[DQ_DROP_DANGLING_PARENT], 1);             /* 6 */
	ck_assert_uint_eq(v[DQ_IGNORED_AFTER_AS_OF], 1);              /* 7 */
	ck_assert_uint_eq(v[DQ_DROP_IDENTIFICATION_OUTSIDE_CARE], 2); /* 8, 9 */
	ck_assert_uint_eq(v[DQ_KEEP_REPORT_BEFORE_IDENTIFIED], 1);    /* 11 */
	ck_assert_uint_eq(v[DQ_DROP_EPISODE_ENDS_BEFORE_START], 1);   /* 15 */
	/* issue 16 on the issue-17 table: identification 13 (episode 15),
	 * episode 16 (child 2) and identification 14 (episode 16) = 3. */
	ck_assert_uint_eq(v[DQ_DROP_PARENT_DROPPED], 3);
	/* Every identification read is kept or left out by one rule: 15 = 4
	 * kept + 4 null + 1 duplicate + 1 dangling + 1 ignored + 2 outside
	 * care + 2 parent dropped (13, 14). */
	ck_assert_uint_eq(model.quality.rows_read[MODEL_IDENTIFICATIONS], 15);
	ck_assert_uint_eq(model.quality.rows_kept[MODEL_IDENTIFICATIONS], 4);
	/* By episode (10, then 11) and identified_at: 11, 12; 1, 10. */
	const struct model_episode *e10 = &model.episodes[0], *e11 = &model.episodes[1];
	ck_assert_uint_eq(e10->first_identification, 0);
	ck_assert_uint_eq(e10->identification_count, 2);
	ck_assert_uint_eq(e11->first_identification, 2);
	ck_assert_uint_eq(e11->identification_count, 2);
	const struct model_identification *i = model.identifications;
	ck_assert_int_eq(i[0].identified_at, ts("2024-05-01", 10));
	ck_assert_int_eq(i[0].reported_le_at, ts("2024-05-01", 9));
	ck_assert_int_eq(i[1].day, d("2025-06-30"));
	ck_assert_int_eq(i[1].reported_le_at, TS_NONE);
	ck_assert_int_eq(i[2].reported_le_at, ts("2024-03-01", 12));
	ck_assert(i[2].while_in_care);
	ck_assert_int_eq(i[3].day, d("2024-08-01"));
	ck_assert(!i[3].while_in_care);
	/* The report shows the identifications' table and rules only when the
	 * source has the table. */
	ck_assert(model_quality_shows_rule(&model.quality, DQ_KEEP_REPORT_BEFORE_IDENTIFIED));
	struct model_quality without = model.quality;
	without.has_identifications = false;
	ck_assert(!model_quality_shows_rule(&without, DQ_KEEP_REPORT_BEFORE_IDENTIFIED));
	ck_assert(!model_quality_shows_rule(&without, DQ_DROP_IDENTIFICATION_OUTSIDE_CARE));
	ck_assert(model_quality_shows_rule(&without, DQ_KEEP_REPORT_BEFORE_INFORMED));
	ck_assert(!model_quality_shows_table(&without, MODEL_IDENTIFICATIONS));
	ck_assert(model_quality_shows_table(&without, MODEL_ASSIGNMENTS));
	model_free(&model);
	model_raw_free(&raw);
}
END_TEST

/* Many rows: the radix sorts must agree with a direct check of the order. */
START_TEST(test_earliest_date)
{
	/* issue 16 row 1: rows starting before earliest_date (2000-01-01 here)
	 * are dropped by their own rule, before the parent rules, and never
	 * widen the period axes (first_day). Episode 10 was removed in 1950;
	 * episode 11 on 2000-01-01, the first day allowed. */
	struct model_raw raw = {0};
	struct model model;
	enum model_failure failure;
	int32_t earliest = d("2000-01-01");
	child(&raw, 1, "1940-05-01", "female", "black"); /* a birth month has no limit */
	child(&raw, 2, "1995-05-01", "male", "white");
	episode(&raw, 10, 1, "Cook", "1950-03-01", NULL, "");
	episode(&raw, 11, 2, "Lake", "2000-01-01", NULL, "");
	placement(&raw, 100, 10, "foster_home", 0, "1950-03-01", NULL); /* own start */
	placement(&raw, 101, 10, "foster_home", 0, "2001-01-01", NULL); /* parent dropped */
	placement(&raw, 102, 11, "foster_home", 0, "1999-12-31", NULL); /* own start */
	placement(&raw, 103, 11, "group_home", 0, "2000-01-01", NULL);  /* kept */
	missing(&raw, 1000, 10, at("2005-01-01", 10), none, none, none, none, none,
	        ""); /* parent dropped */
	missing(&raw, 1001, 11, at("1999-12-31", 23), none, none, none, none, none,
	        "");                                 /* own start, a day before */
	assignment(&raw, 1, 11, "1999-06-01", NULL); /* own start */
	assignment(&raw, 2, 11, "2000-02-01", NULL); /* kept */
	/* Not while in care, so dated anywhere, but not before earliest_date. */
	identification(&raw, 1, 11, at("1999-01-01", 10), 0, none);
	identification(&raw, 2, 11, at("2000-01-01", 0), 1, none); /* kept */

	ck_assert(model_build(&raw, earliest, d("2025-06-30"), &model, &failure));
	const uint64_t *v = model.quality.violations;
	/* episode 10, placements 100 and 102, missing 1001, assignment 1,
	 * identification 1 = 6 */
	ck_assert_uint_eq(v[DQ_DROP_BEFORE_EARLIEST_DATE], 6);
	/* placement 101 and missing 1000 of episode 10 = 2 */
	ck_assert_uint_eq(v[DQ_DROP_PARENT_DROPPED], 2);
	ck_assert_uint_eq(v[DQ_DROP_PLACEMENT_OUTSIDE_CARE], 0);
	ck_assert_uint_eq(model.episode_count, 1);
	ck_assert_uint_eq(model.placement_count, 1);
	ck_assert_uint_eq(model.missing_count, 0);
	ck_assert_uint_eq(model.assignment_count, 1);
	ck_assert_uint_eq(model.identification_count, 1);
	ck_assert_uint_eq(model.child_count, 2); /* children have no start date */
	ck_assert_int_eq(model.first_day, earliest);
	ck_assert_uint_eq(model.county_count, 1); /* Cook only on the dropped episode */
	ck_assert_str_eq(model.counties[0], "Lake");
	model_free(&model);

	/* Without a lower limit the 1950 episode counts and widens the axes;
	 * placement 102 and missing 1001 then start on a day not in care. */
	ck_assert(model_build(&raw, MODEL_EARLIEST_NONE, d("2025-06-30"), &model, &failure));
	ck_assert_uint_eq(model.quality.violations[DQ_DROP_BEFORE_EARLIEST_DATE], 0);
	ck_assert_uint_eq(model.quality.violations[DQ_DROP_PLACEMENT_OUTSIDE_CARE], 1);
	ck_assert_uint_eq(model.quality.violations[DQ_DROP_MISSING_OUTSIDE_CARE], 1);
	ck_assert_uint_eq(model.episode_count, 2);
	ck_assert_int_eq(model.first_day, d("1950-03-01"));
	ck_assert_str_eq(model_dq_rule_names[DQ_DROP_BEFORE_EARLIEST_DATE],
	                 "drop_before_earliest_date");
	model_free(&model);
	model_raw_free(&raw);
}
END_TEST

START_TEST(test_rows_left_out_unread)
{
	/* issue 16 row 2: rows the source could not read come as counts per
	 * table; they are read rows (rows_read = kept + drops) counted by their
	 * rule, and meet no other rule. Placements: 2 read and kept + 3 with a
	 * date out of range + 1 with invalid text = 6 read. */
	struct model_raw raw = {0};
	struct model model;
	enum model_failure failure;
	child(&raw, 1, "2010-01-01", "female", "black");
	episode(&raw, 10, 1, "Cook", "2024-01-01", NULL, "");
	placement(&raw, 100, 10, "foster_home", 0, "2024-01-01", NULL);
	placement(&raw, 101, 10, "group_home", 0, "2024-02-01", NULL);
	raw.dates_out_of_range[MODEL_PLACEMENTS] = 3;
	raw.text_invalid[MODEL_PLACEMENTS] = 1;
	raw.dates_out_of_range[MODEL_CHILDREN] = 1;
	raw.text_invalid[MODEL_EPISODES] = 2;
	ck_assert(model_build(&raw, EARLIEST, d("2025-06-30"), &model, &failure));
	const struct model_quality *q = &model.quality;
	ck_assert_uint_eq(q->violations[DQ_DROP_DATE_OUT_OF_RANGE], 4);     /* 3 + 1 */
	ck_assert_uint_eq(q->violations[DQ_DROP_TEXT_INVALID_ENCODING], 3); /* 1 + 2 */
	ck_assert_uint_eq(q->rows_read[MODEL_PLACEMENTS], 6);
	ck_assert_uint_eq(q->rows_kept[MODEL_PLACEMENTS], 2);
	ck_assert_uint_eq(q->rows_read[MODEL_CHILDREN], 2);
	ck_assert_uint_eq(q->rows_read[MODEL_EPISODES], 3);
	ck_assert_uint_eq(q->rows_kept[MODEL_EPISODES], 1);
	ck_assert_uint_eq(q->violations[DQ_DROP_DUPLICATE_KEY], 0);
	ck_assert_uint_eq(q->violations[DQ_DROP_NULL_REQUIRED], 0);
	ck_assert_str_eq(model_dq_rule_names[DQ_DROP_DATE_OUT_OF_RANGE], "drop_date_out_of_range");
	ck_assert_str_eq(model_dq_rule_names[DQ_DROP_TEXT_INVALID_ENCODING],
	                 "drop_text_invalid_encoding");
	model_free(&model);
	model_raw_free(&raw);
}
END_TEST

/* Independent of the code under test: every character of text is a whole
 * UTF-8 sequence (a lead byte and as many continuation bytes as it says). */
static bool whole_utf8(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	while (*p != 0) {
		int width = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 0;
		if (width == 0)
			return false; /* a continuation byte where a character starts */
		for (int i = 1; i < width; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += width;
	}
	return true;
}

START_TEST(test_county_label)
{
	/* issue 16 row 3: names cut at 255 bytes inside a character gave invalid
	 * JSON, and two names equal in their first 255 bytes merged. */
	char name[512], other[512], label[MODEL_COUNTY_NAME_MAX + 1];
	char label2[MODEL_COUNTY_NAME_MAX + 1], hex[17];

	ck_assert(!model_county_label("Cook", 4, label));
	ck_assert_str_eq(label, "Cook");
	memset(name, 'a', 255); /* exactly the limit: kept whole */
	ck_assert(!model_county_label(name, 255, label));
	ck_assert_uint_eq(strlen(label), 255);

	/* 256 ASCII bytes: the first 236, "…" (3 bytes), 16 hex digits = 255 */
	memset(name, 'a', 256);
	name[256] = '\0';
	ck_assert(model_county_label(name, 256, label));
	ck_assert_uint_eq(strlen(label), 255);
	ck_assert(memcmp(label, name, 236) == 0);
	ck_assert(memcmp(label + 236, "\xe2\x80\xa6", 3) == 0);
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)hash_bytes(name, 256, 0));
	ck_assert_str_eq(label + 239, hex);

	/* "a" then 150 "é" (301 bytes): byte 236 is the second byte of an "é"
	 * (leads at 1, 3, ..., 235, 237), so the cut keeps 235 bytes, "a" and
	 * 117 "é", and the label is 235 + 3 + 16 = 254 bytes. */
	size_t n = 0;
	name[n++] = 'a';
	for (int i = 0; i < 150; i++) {
		name[n++] = (char)0xc3;
		name[n++] = (char)0xa9;
	}
	name[n] = '\0';
	ck_assert(model_county_label(name, n, label));
	ck_assert_uint_eq(strlen(label), 254);
	ck_assert(memcmp(label, name, 235) == 0);
	ck_assert(memcmp(label + 235, "\xe2\x80\xa6", 3) == 0);
	ck_assert(whole_utf8(label));

	/* Equal first 255 bytes (127 "é" and "x"), different ends: two labels,
	 * the same cut (118 "é" = 236 bytes), different hashes. The same name
	 * always gives the same label. */
	n = 0;
	for (int i = 0; i < 127; i++) {
		name[n++] = (char)0xc3;
		name[n++] = (char)0xa9;
	}
	name[n++] = 'x';
	memcpy(other, name, n);
	memcpy(name + n, "Alpha", 6);
	memcpy(other + n, "Beta", 5);
	ck_assert(model_county_label(name, strlen(name), label));
	ck_assert(model_county_label(other, strlen(other), label2));
	ck_assert_str_ne(label, label2);
	ck_assert(memcmp(label, label2, 236 + 3) == 0);
	ck_assert(whole_utf8(label) && whole_utf8(label2));
	ck_assert(model_county_label(name, strlen(name), label2));
	ck_assert_str_eq(label, label2);

	/* Counted on kept episodes only: 10 kept, 11 dangling. */
	struct model_raw raw = {0};
	struct model model;
	enum model_failure failure;
	child(&raw, 1, "2010-01-01", "female", "black");
	episode(&raw, 10, 1, label, "2024-01-01", NULL, "");
	episode(&raw, 11, 99, label, "2024-01-01", NULL, "");
	raw.episodes[0].county_cut = raw.episodes[1].county_cut = true;
	ck_assert(model_build(&raw, EARLIEST, d("2025-06-30"), &model, &failure));
	ck_assert_uint_eq(model.quality.violations[DQ_KEEP_COUNTY_NAME_CUT], 1);
	ck_assert_str_eq(model.counties[0], label);
	model_free(&model);
	model_raw_free(&raw);
}
END_TEST

START_TEST(test_large_sorted)
{
	struct model_raw raw = {0};
	struct model model;
	enum model_failure failure;
	enum { CHILDREN = 3000 };
	raw.children = calloc(CHILDREN, sizeof(*raw.children));
	raw.episodes = calloc(2 * CHILDREN, sizeof(*raw.episodes));
	raw.placements = calloc(6 * CHILDREN, sizeof(*raw.placements));
	ck_assert(raw.children && raw.episodes && raw.placements);
	uint32_t county;
	ck_assert(model_raw_county(&raw, "X", 1, &county));
	raw.child_count = CHILDREN;
	uint64_t state = 12345;
	for (int i = 0; i < CHILDREN; i++) {
		/* Pseudo-random distinct keys: an odd multiplier is a bijection. */
		int64_t key = (int64_t)((uint64_t)(i + 1) * 0x9E3779B97F4A7C15u);
		raw.children[i] = (struct model_raw_child){
		    .child_key = key, .birth_month = d("2010-01-01"), .has_birth_month = true};
		for (int e = 0; e < 2; e++) {
			state = state * 6364136223846793005u + 1442695040888963407u;
			int32_t removal = d("2020-01-01") + (int32_t)((state >> 33) % 1500);
			int64_t episode_key = (int64_t)(state >> 1);
			raw.episodes[raw.episode_count++] =
			    (struct model_raw_episode){.episode_key = episode_key,
			                               .child_key = key,
			                               .county = county,
			                               .has_county = true,
			                               .removal_date = removal,
			                               .has_removal_date = true};
			for (int p = 0; p < 3; p++) {
				raw.placements[raw.placement_count] = (struct model_raw_placement){
				    .placement_key = (int64_t)raw.placement_count * 7919 % 100003,
				    .episode_key = episode_key,
				    .has_start_date = true,
				    .start_date =
				        removal + (int32_t)((state >> (10 + p * 7)) % 50)};
				raw.placements[raw.placement_count].setting =
				    model_raw_code(MODEL_CODES_SETTING, "foster_home");
				raw.placement_count++;
			}
		}
	}
	ck_assert(model_build(&raw, EARLIEST, d("2025-06-30"), &model, &failure));
	ck_assert_uint_eq(model.child_count, CHILDREN);
	ck_assert_uint_eq(model.episode_count, 2 * CHILDREN);
	ck_assert_uint_eq(model.placement_count, 6 * CHILDREN);
	for (size_t i = 1; i < model.child_count; i++)
		ck_assert(model.children[i - 1].child_key < model.children[i].child_key);
	for (size_t i = 0; i < model.episode_count; i++) {
		const struct model_episode *e = &model.episodes[i];
		if (i > 0) {
			const struct model_episode *p = &model.episodes[i - 1];
			ck_assert(p->child < e->child ||
			          (p->child == e->child && (p->removal_date < e->removal_date ||
			                                    (p->removal_date == e->removal_date &&
			                                     p->episode_key < e->episode_key))));
		}
		ck_assert_uint_eq(e->placement_count, 3);
		for (uint32_t k = 1; k < 3; k++) {
			const struct model_placement *a =
			    &model.placements[e->first_placement + k - 1];
			const struct model_placement *b = &model.placements[e->first_placement + k];
			ck_assert(a->start_date < b->start_date ||
			          (a->start_date == b->start_date &&
			           a->placement_key < b->placement_key));
		}
	}
	model_free(&model);
	model_raw_free(&raw);
}
END_TEST

/* Duplicate keys beyond the tiny-table paths: 5000 placements of one
 * episode, 1000 keys five times each (key(i) = (1 + 7i mod 1000) << 30),
 * then 100 rows with keys 1..100. The sorts' first digit (12 of 40 varying
 * bits) spreads the first 1000 keys over buckets, moving rows across each
 * other (a Python model of the bucket pass finds 841 runs of a key whose
 * first row after it is not the earliest), and puts the 100 small keys in
 * one bucket, over the insertion-sort size (byte passes with scratch).
 * Rule 2 keeps the first row of a key in stream order: the rows i < 1000
 * (7 is invertible mod 1000, so they hold each key once) and the last 100,
 * 4000 duplicates. Row i starts on day removal + (i * 37) mod 301: a key's
 * duplicates (rows i + 1000j, 37000 mod 301 = 278) start on other days
 * than its first row, and the starts are not in key order. The episode's
 * 1100 placements come out by (start, key), a run far over the
 * insertion-sort size. */
START_TEST(test_large_duplicates)
{
	enum { ROWS = 5000, KEYS = 1000, SMALL = 100 };
	struct model_raw raw = {0};
	struct model model;
	enum model_failure failure;
	child(&raw, 1, "2010-01-01", "female", "black");
	episode(&raw, 10, 1, "Cook", "2020-01-01", NULL, "");
	int32_t removal = d("2020-01-01");
	raw.placements = calloc(ROWS + SMALL, sizeof(*raw.placements));
	ck_assert_ptr_nonnull(raw.placements);
	for (int i = 0; i < ROWS + SMALL; i++) {
		raw.placements[i] = (struct model_raw_placement){
		    .placement_key = i < ROWS ? (1 + (int64_t)i * 7 % KEYS) << 30 : i - ROWS + 1,
		    .episode_key = 10,
		    .has_start_date = true,
		    .start_date = removal + (int32_t)((i * 37) % 301),
		    .setting = model_raw_code(MODEL_CODES_SETTING, "foster_home")};
	}
	raw.placement_count = ROWS + SMALL;
	ck_assert(model_build(&raw, EARLIEST, d("2025-06-30"), &model, &failure));
	ck_assert_uint_eq(model.quality.violations[DQ_DROP_DUPLICATE_KEY], ROWS - KEYS);
	ck_assert_uint_eq(model.placement_count, KEYS + SMALL);
	ck_assert_uint_eq(model.episodes[0].placement_count, KEYS + SMALL);
	for (size_t k = 0; k < model.placement_count; k++) {
		const struct model_placement *p = &model.placements[k];
		/* the row kept for this key: its first one */
		int first = -1;
		for (int i = 0; i < ROWS + SMALL && first < 0; i++) {
			if (raw.placements[i].placement_key == p->placement_key)
				first = i;
		}
		ck_assert(first >= 0 && (first < KEYS || first >= ROWS));
		ck_assert_int_eq(p->start_date, removal + (first * 37) % 301);
		if (k > 0) {
			const struct model_placement *q = &model.placements[k - 1];
			ck_assert(q->start_date < p->start_date ||
			          (q->start_date == p->start_date &&
			           q->placement_key < p->placement_key));
		}
	}
	model_free(&model);
	model_raw_free(&raw);
}
END_TEST

/* The county index of model_episode is 16 bits: 65536 counties fit, one more
 * is refused with its own reason (not "out of memory"), and only the
 * counties of kept episodes count. */
START_TEST(test_too_many_counties)
{
	enum { COUNTIES = 65536 + 1 };
	struct model_raw raw = {0};
	struct model model;
	enum model_failure failure = MODEL_FAILED_MEMORY;
	/* One child and one episode per county; the names are filled in
	 * directly (model_raw_county() searches linearly). */
	raw.children = calloc(COUNTIES, sizeof(*raw.children));
	raw.episodes = calloc(COUNTIES, sizeof(*raw.episodes));
	raw.counties = calloc(COUNTIES, sizeof(*raw.counties));
	ck_assert(raw.children && raw.episodes && raw.counties);
	raw.county_cap = COUNTIES;
	for (uint32_t i = 0; i < COUNTIES; i++) {
		raw.counties[i] = malloc(8);
		ck_assert_ptr_nonnull(raw.counties[i]);
		snprintf(raw.counties[i], 8, "c%05u", i);
		raw.county_count++;
		raw.children[i] = (struct model_raw_child){
		    .child_key = i + 1, .birth_month = d("2010-01-01"), .has_birth_month = true};
		raw.episodes[i] = (struct model_raw_episode){.episode_key = i + 1,
		                                             .child_key = i + 1,
		                                             .county = i,
		                                             .has_county = true,
		                                             .removal_date = d("2024-01-01"),
		                                             .has_removal_date = true};
	}
	raw.child_count = COUNTIES;
	raw.episode_count = COUNTIES;

	/* The last episode dropped (null removal_date): 65536 counties kept,
	 * the largest index 65535 still fits. */
	raw.episodes[COUNTIES - 1].has_removal_date = false;
	ck_assert(model_build(&raw, EARLIEST, d("2025-06-30"), &model, &failure));
	ck_assert_uint_eq(model.county_count, 65536);
	ck_assert_uint_eq(model.episodes[model.episode_count - 1].county, 65535);
	ck_assert_str_eq(model.counties[65535], "c65535");
	model_free(&model);

	/* All kept: 65537 counties. */
	raw.episodes[COUNTIES - 1].has_removal_date = true;
	ck_assert(!model_build(&raw, EARLIEST, d("2025-06-30"), &model, &failure));
	ck_assert_int_eq(failure, MODEL_FAILED_TOO_MANY_COUNTIES);
	ck_assert_str_eq(model_failure_text(failure),
	                 "more than 65536 distinct counties (the county index is 16 bits)");
	/* Nothing half-built is left behind. */
	ck_assert_uint_eq(model.episode_count, 0);
	ck_assert_ptr_null(model.counties);
	model_raw_free(&raw);
}
END_TEST

/* Row indices are 32 bits with UINT32_MAX for "no row": a table that long is
 * refused before any row is read (so no rows need exist here). */
START_TEST(test_too_many_rows)
{
	struct model_raw raw = {0};
	struct model model;
	enum model_failure failure = MODEL_FAILED_MEMORY;
	raw.placement_count = UINT32_MAX;
	ck_assert(!model_build(&raw, EARLIEST, d("2025-06-30"), &model, &failure));
	ck_assert_int_eq(failure, MODEL_FAILED_TOO_MANY_ROWS);
	ck_assert_ptr_null(model.placements);
}
END_TEST

static Suite *model_suite(void)
{
	Suite *suite = suite_create("model");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_every_rule_counted);
	tcase_add_test(tc, test_clean_rows_survive_in_order);
	tcase_add_test(tc, test_sort_ties_and_keys);
	tcase_add_test(tc, test_same_day_episode);
	tcase_add_test(tc, test_identification_rules);
	tcase_add_test(tc, test_first_match_wins);
	tcase_add_test(tc, test_in_care_boundaries);
	tcase_add_test(tc, test_empty_and_codes);
	tcase_add_test(tc, test_earliest_date);
	tcase_add_test(tc, test_rows_left_out_unread);
	tcase_add_test(tc, test_county_label);
	tcase_add_test(tc, test_large_sorted);
	tcase_add_test(tc, test_large_duplicates);
	tcase_add_test(tc, test_too_many_counties);
	tcase_add_test(tc, test_too_many_rows);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(model_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
