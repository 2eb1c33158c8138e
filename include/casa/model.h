/*
 * model.h — the validated, in-memory form of the de-identified source.
 *
 * Pipeline: source (raw rows, exactly as COPY gave them) -> model_build()
 * -> struct model (validated, compact, sorted) -> metrics.
 *
 * model_build() applies every data-quality rule of SPEC §2, counts each
 * violation per rule (never per row: no key is kept outside the arrays),
 * leaves out what a rule drops and clips what a rule keeps. The metrics
 * stage can then trust the model completely:
 *   - every episode has earliest <= removal <= as_of, removal <= discharge (equal: a
 *     same-day episode, kept with no day in care), and
 *     discharge == DATE_OPEN when it was null or after as_of; its child exists;
 *   - placements of an episode are sorted by (start, placement_key), start in
 *     care, start < end, end cut at discharge; DATE_OPEN when open or after
 *     as_of; temporary settings kept (metrics decides what counts);
 *   - missing episodes of an episode are sorted by (went_missing_at,
 *     missing_key), begin on a day in care, and end (if returned by as_of)
 *     on or after the day they begin; timestamps after as_of are TS_NONE;
 *   - assignments of an episode are sorted by (start, assignment_key), start
 *     in care, start < end, DATE_OPEN when open or after as_of;
 *   - trafficking identifications of an episode are sorted by
 *     (identified_at, identification_key), dated on or before as_of, on a
 *     day in care when while_in_care; reported_le_at after as_of is TS_NONE;
 *   - episodes are sorted by (child, removal_date, episode_key), children by
 *     child_key, so one pass visits a child's episodes together.
 *
 * Ownership: model_build() returns a model that owns all its arrays; free
 * it with model_free(). It does not keep pointers into the raw rows.
 */
#ifndef CASA_MODEL_H
#define CASA_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casa/common.h"

#define TS_NONE INT64_MIN /* null timestamp */
/* A null key or parent-key column in struct model_raw (keys have no has_*
 * flag); model_build() counts such a row as drop_null_required. */
#define MODEL_RAW_KEY_NULL INT64_MIN

enum sex { SEX_FEMALE, SEX_MALE, SEX_OTHER, SEX_UNKNOWN, SEX_COUNT };

enum race {
	RACE_AIAN,
	RACE_ASIAN,
	RACE_BLACK,
	RACE_HISPANIC,
	RACE_NHPI,
	RACE_WHITE,
	RACE_MULTIRACIAL,
	RACE_UNKNOWN,
	RACE_COUNT
};

enum discharge_reason {
	REASON_REUNIFICATION,
	REASON_RELATIVE,
	REASON_ADOPTION,
	REASON_GUARDIANSHIP,
	REASON_EMANCIPATION,
	REASON_TRANSFER,
	REASON_RUNAWAY,
	REASON_DEATH,
	REASON_OTHER,
	REASON_NONE, /* still in care (null discharge_reason) */
	REASON_COUNT
};

enum setting {
	SETTING_RELATIVE_HOME,
	SETTING_FOSTER_HOME,
	SETTING_PRE_ADOPTIVE_HOME,
	SETTING_GROUP_HOME,
	SETTING_INSTITUTION,
	SETTING_SUPERVISED_INDEPENDENT_LIVING,
	/* temporary settings: never a placement move (SPEC §4) */
	SETTING_TRIAL_HOME_VISIT,
	SETTING_RUNAWAY,
	SETTING_RESPITE,
	SETTING_HOSPITAL,
	SETTING_DETENTION,
	SETTING_COUNT
};

enum screen_result {
	SCREEN_NONE, /* null */
	SCREEN_POSITIVE,
	SCREEN_NEGATIVE,
	SCREEN_INCONCLUSIVE,
	SCREEN_OTHER, /* a code outside the contract */
	SCREEN_COUNT
};

/* Code lists in enum order; the text is the source's (and the API's) code. */
extern const char *const model_sex_codes[SEX_COUNT];
extern const char *const model_race_codes[RACE_COUNT];
extern const char *const model_reason_codes[REASON_COUNT]; /* REASON_NONE: "" */
extern const char *const model_setting_codes[SETTING_COUNT];

bool model_setting_is_temporary(enum setting setting);

struct model_child {
	int64_t child_key;   /* pseudonymous; never leaves the process */
	int32_t birth_month; /* date, the 1st of a month */
	uint8_t sex;         /* enum sex */
	uint8_t race;        /* enum race */
};

struct model_episode {
	int64_t episode_key;           /* pseudonymous; never leaves the process */
	uint32_t child;                /* index into model.children */
	uint16_t county;               /* index into model.counties */
	uint8_t discharge_reason;      /* enum discharge_reason */
	int32_t removal_date;          /* first day in care */
	int32_t discharge_date;        /* first day not in care, or DATE_OPEN */
	uint32_t first_placement;      /* index into model.placements */
	uint32_t placement_count;      /* placements of this episode */
	uint32_t first_missing;        /* index into model.missing */
	uint32_t missing_count;        /* missing episodes of this episode */
	uint32_t first_assignment;     /* index into model.assignments */
	uint32_t assignment_count;     /* advocate assignments of this episode */
	uint32_t first_identification; /* index into model.identifications */
	uint32_t identification_count; /* trafficking identifications of this episode */
};

struct model_placement {
	int64_t placement_key; /* tie-break for ordering only */
	int64_t provider_key;  /* pseudonymous caregiver; valid if has_provider */
	bool has_provider;     /* provider_key was not null */
	uint8_t setting;       /* enum setting */
	int32_t start_date;    /* first day covered */
	int32_t end_date;      /* first day not covered, or DATE_OPEN */
};

/* Timestamps are Unix seconds; the *_day fields are the same instants as
 * dates in the configured time zone (SPEC §3). */
struct model_missing {
	int64_t went_missing_at;    /* never TS_NONE */
	int64_t agency_informed_at; /* went_missing_at when null in the source */
	int64_t returned_at;        /* TS_NONE: not returned by as_of */
	int64_t reported_le_at;     /* TS_NONE: none by as_of */
	int64_t reported_ncmec_at;  /* TS_NONE: none by as_of */
	int64_t screened_at;        /* TS_NONE: none by as_of */
	int32_t begin_day;          /* date of went_missing_at */
	int32_t end_day;            /* date of returned_at, or DATE_OPEN */
	uint8_t screen_result;      /* enum screen_result */
};

struct model_assignment {
	int32_t start_date; /* first day covered */
	int32_t end_date;   /* first day not covered, or DATE_OPEN */
};

/* A trafficking identification (issue 17, AFCARS 2020): Unix seconds, and
 * its date in the configured time zone. */
struct model_identification {
	int64_t identified_at;  /* never TS_NONE */
	int64_t reported_le_at; /* TS_NONE: no report to law enforcement by as_of */
	int32_t day;            /* date of identified_at */
	bool while_in_care;     /* the source's flag: day is then a day in care */
};

/* Data-quality rules (SPEC §2). DQ_DROP_* rows are left out; DQ_KEEP_* rows
 * are kept (possibly clipped or recoded) and counted; DQ_IGNORED_* are not
 * violations, only information. */
enum dq_rule {
	DQ_DROP_DUPLICATE_KEY,             /* second row with the same key, any table */
	DQ_DROP_DANGLING_PARENT,           /* parent key absent from its table */
	DQ_DROP_PARENT_DROPPED,            /* parent key present, but no row of it kept
	                                      (a child or episode left out by a rule) */
	DQ_DROP_EPISODE_ENDS_BEFORE_START, /* with its child rows */
	DQ_DROP_PLACEMENT_ENDS_BEFORE_START,
	DQ_DROP_PLACEMENT_UNKNOWN_SETTING,
	DQ_DROP_PLACEMENT_OUTSIDE_CARE, /* starts on a day not in care */
	DQ_DROP_ASSIGNMENT_ENDS_BEFORE_START,
	DQ_DROP_ASSIGNMENT_OUTSIDE_CARE,
	DQ_DROP_MISSING_RETURNS_BEFORE_MISSING,
	DQ_DROP_MISSING_OUTSIDE_CARE,        /* begins on a day not in care */
	DQ_DROP_IDENTIFICATION_OUTSIDE_CARE, /* while_in_care, dated on a day not in care */
	DQ_DROP_NULL_REQUIRED,               /* a not-null contract column was null */
	DQ_DROP_BEFORE_EARLIEST_DATE,        /* the row's own start is before earliest_date */
	DQ_DROP_DATE_OUT_OF_RANGE,           /* a date or timestamp BC or after 9999: the
	                                        source could not read the row */
	DQ_DROP_TEXT_INVALID_ENCODING,       /* text not valid in the database's encoding
	                                        (SQL_ASCII: not UTF-8): not read either */
	DQ_KEEP_OVERLAPPING_PLACEMENTS,      /* later-starting one wins the days */
	DQ_KEEP_PLACEMENT_AFTER_DISCHARGE,   /* cut at discharge */
	DQ_KEEP_REPORT_BEFORE_INFORMED,      /* LE or NCMEC report before the clock */
	DQ_KEEP_REPORT_BEFORE_IDENTIFIED,    /* LE report before the identification */
	DQ_KEEP_SCREEN_BEFORE_RETURN,
	DQ_KEEP_UNKNOWN_SEX,
	DQ_KEEP_UNKNOWN_RACE,
	DQ_KEEP_UNKNOWN_DISCHARGE_REASON,
	DQ_KEEP_UNKNOWN_SCREEN_RESULT,
	DQ_KEEP_BIRTH_MONTH_NOT_FIRST, /* truncated to the 1st */
	DQ_KEEP_COUNTY_NAME_CUT,       /* county name over MODEL_COUNTY_NAME_MAX bytes:
	                                  published as model_county_label() */
	DQ_IGNORED_AFTER_AS_OF,        /* rows starting after as_of */
	DQ_RULE_COUNT
};

/* Stable snake_case names used by /api/v1/quality and /metrics. */
extern const char *const model_dq_rule_names[DQ_RULE_COUNT];
/* One sentence per rule, for the API and docs. */
extern const char *const model_dq_rule_descriptions[DQ_RULE_COUNT];

enum model_table {
	MODEL_CHILDREN,
	MODEL_EPISODES,
	MODEL_PLACEMENTS,
	MODEL_MISSING,
	MODEL_ASSIGNMENTS,
	MODEL_IDENTIFICATIONS, /* optional: trafficking_identifications */
	MODEL_TABLE_COUNT
};
extern const char *const model_table_names[MODEL_TABLE_COUNT]; /* SQL names */

struct model_quality {
	uint64_t violations[DQ_RULE_COUNT];    /* rows per rule */
	uint64_t rows_read[MODEL_TABLE_COUNT]; /* as the source gave them */
	uint64_t rows_kept[MODEL_TABLE_COUNT]; /* in the model */
	bool has_identifications;              /* the source has trafficking_identifications:
	                                          its table and its two rules are reported */
};

/* Whether the quality report shows rule / table: the identifications'
 * own ones only when the source has the table. */
bool model_quality_shows_rule(const struct model_quality *quality, enum dq_rule rule);
bool model_quality_shows_table(const struct model_quality *quality, enum model_table table);

struct model {
	int32_t as_of;                /* last day of data */
	int32_t first_day;            /* earliest kept removal_date (never before
	                                 earliest_date), or as_of if none */
	struct model_child *children; /* sorted by child_key */
	size_t child_count;
	struct model_episode *episodes; /* sorted by (child, removal, key) */
	size_t episode_count;
	struct model_placement *placements; /* grouped by episode, see above */
	size_t placement_count;
	struct model_missing *missing; /* grouped by episode */
	size_t missing_count;
	struct model_assignment *assignments; /* grouped by episode */
	size_t assignment_count;
	struct model_identification *identifications; /* grouped by episode */
	size_t identification_count;
	bool has_identifications; /* the source has the optional table; without
	                             it the trafficking metrics are left out */
	char **counties;          /* sorted, distinct county names */
	size_t county_count;
	struct model_quality quality; /* per-rule counts */
};

/*
 * Raw rows, as the source stage hands them over: columns already parsed into
 * numbers and dates, codes recoded by model_raw_code() (the model counts the
 * unknown ones). A `has_*` flag false means SQL NULL. Fields are ordered by
 * size: at a million children the raw rows are most of the peak memory.
 */

/* A code column of a raw row: MODEL_RAW_CODE_NULL (0, so a zeroed row
 * reads as null), the code's index in its list plus 1, or
 * MODEL_RAW_CODE_UNKNOWN for text that is no contract code (an empty
 * string and text cut for length included). */
#define MODEL_RAW_CODE_NULL    0
#define MODEL_RAW_CODE_UNKNOWN 255

/* The code lists a raw code column is recoded against. */
enum model_code_list {
	MODEL_CODES_SEX,     /* model_sex_codes */
	MODEL_CODES_RACE,    /* model_race_codes */
	MODEL_CODES_REASON,  /* model_reason_codes up to REASON_OTHER */
	MODEL_CODES_SETTING, /* model_setting_codes */
	MODEL_CODES_SCREEN,  /* the contract's screen_result codes, from SCREEN_POSITIVE */
};

/* The raw code of text in `list`: MODEL_RAW_CODE_NULL for "" (the source
 * passes "" only for SQL NULL), else as above. */
uint8_t model_raw_code(enum model_code_list list, const char *text);

struct model_raw_child {
	int64_t child_key;
	int32_t birth_month;
	bool has_birth_month;
	uint8_t sex;  /* raw code of MODEL_CODES_SEX */
	uint8_t race; /* raw code of MODEL_CODES_RACE */
};

struct model_raw_episode {
	int64_t episode_key;
	int64_t child_key;
	uint32_t county; /* index into model_raw.counties */
	int32_t removal_date;
	int32_t discharge_date;
	bool has_county;
	bool county_cut; /* the name was longer than MODEL_COUNTY_NAME_MAX: counties
	                    holds its model_county_label() */
	bool has_removal_date;
	bool has_discharge_date;
	uint8_t discharge_reason; /* raw code of MODEL_CODES_REASON */
};

struct model_raw_placement {
	int64_t placement_key;
	int64_t episode_key;
	int64_t provider_key;
	int32_t start_date;
	int32_t end_date;
	bool has_provider;
	bool has_start_date;
	bool has_end_date;
	uint8_t setting; /* raw code of MODEL_CODES_SETTING */
};

/* Each timestamp: Unix seconds plus its date in the configured time zone
 * (the source asks PostgreSQL for both). *_at == TS_NONE for null. */
struct model_raw_missing {
	int64_t missing_key;
	int64_t episode_key;
	int64_t went_missing_at;
	int64_t agency_informed_at;
	int64_t returned_at;
	int64_t reported_le_at;
	int64_t reported_ncmec_at;
	int64_t screened_at;
	int32_t went_missing_day;
	int32_t agency_informed_day;
	int32_t returned_day;
	int32_t reported_le_day;
	int32_t reported_ncmec_day;
	int32_t screened_day;
	uint8_t screen_result; /* raw code of MODEL_CODES_SCREEN */
};

struct model_raw_assignment {
	int64_t assignment_key;
	int64_t episode_key;
	int32_t start_date;
	int32_t end_date;
	bool has_start_date;
	bool has_end_date;
};

struct model_raw_identification {
	int64_t identification_key;
	int64_t episode_key;
	int64_t identified_at;  /* TS_NONE for null */
	int64_t reported_le_at; /* TS_NONE for null */
	int32_t identified_day;
	int32_t reported_le_day;
	bool has_while_in_care;
	bool while_in_care;
};

/* Growable arrays filled by the source stage; freed by model_raw_free(). */
struct model_raw {
	struct model_raw_child *children;
	size_t child_count, child_cap;
	struct model_raw_episode *episodes;
	size_t episode_count, episode_cap;
	struct model_raw_placement *placements;
	size_t placement_count, placement_cap;
	struct model_raw_missing *missing;
	size_t missing_count, missing_cap;
	struct model_raw_assignment *assignments;
	size_t assignment_count, assignment_cap;
	struct model_raw_identification *identifications;
	size_t identification_count, identification_cap;
	bool has_identifications; /* the source has trafficking_identifications */
	char **counties;          /* distinct county names, in first-seen order */
	size_t county_count, county_cap;
	/* Rows the source left out because it could not read them, per table;
	 * they are in no array above and meet no other rule (issue 16 row 2:
	 * one such row used to stop the whole pull). */
	uint64_t dates_out_of_range[MODEL_TABLE_COUNT]; /* DQ_DROP_DATE_OUT_OF_RANGE */
	uint64_t text_invalid[MODEL_TABLE_COUNT];       /* DQ_DROP_TEXT_INVALID_ENCODING */
	int64_t refresh_key;       /* max(batch_id) of extract_batches, -1 if none */
	int64_t refresh_loaded_at; /* loaded_at of that batch, Unix seconds; 0 if none */
};

/* The longest county name published, in bytes. */
#define MODEL_COUNTY_NAME_MAX 255

/*
 * A county name as published (issue 16 row 3): name[0..n) itself when it is
 * at most MODEL_COUNTY_NAME_MAX bytes; a longer one cut at a UTF-8 character
 * boundary and followed by "…" and the 16 hex digits of hash_bytes() of the
 * whole name, so that two long names that begin alike stay two counties and
 * the same name always gives the same label (replicas agree). name must be
 * valid UTF-8 (the parser checks it); out is then NUL-terminated valid UTF-8.
 * Returns true when the name was cut.
 */
bool model_county_label(const char *name, size_t n, char out[MODEL_COUNTY_NAME_MAX + 1]);

/* Interns a county name (n bytes) into raw->counties; returns its index, or
 * false on allocation failure. */
bool model_raw_county(struct model_raw *raw, const char *name, size_t n,
                      uint32_t *index) CASA_MUSTCHECK;
void model_raw_free(struct model_raw *raw);

/* Why model_build() failed. */
enum model_failure {
	MODEL_FAILED_MEMORY,            /* out of memory */
	MODEL_FAILED_TOO_MANY_ROWS,     /* a table holds UINT32_MAX rows or more: row
	                                   indices are 32 bits */
	MODEL_FAILED_TOO_MANY_COUNTIES, /* the kept episodes name more than 65536
	                                   counties: model_episode.county is 16 bits */
};

/* A short phrase for logs ("out of memory", ...); static storage. */
const char *model_failure_text(enum model_failure failure);

/* No earliest_date: every row on or before as_of counts (tests and tools
 * that want no lower limit). */
#define MODEL_EARLIEST_NONE INT32_MIN

/* Validates and sorts raw rows into *out (SPEC §2). Rows whose own start
 * (removal_date, start_date, went_missing_at, identified_at) is before
 * `earliest` (the earliest_date setting, or MODEL_EARLIEST_NONE) are left
 * out and counted as drop_before_earliest_date, so no period before it ever
 * reaches the tables (issue 16: one episode dated 1950 widened every period
 * axis by 75 years). Does not modify raw.
 * On failure returns false, leaves *out empty and says why in *failure
 * (written only then; required). On success the caller frees *out with
 * model_free(). */
bool model_build(const struct model_raw *raw, int32_t earliest, int32_t as_of, struct model *out,
                 enum model_failure *failure) CASA_MUSTCHECK;
/* model_build() that frees each table of raw's rows as soon as its model
 * table is built (parents first, placements last; the placements' model
 * rows are written over their raw rows), so that the raw rows and the model
 * are never both whole in memory: the pipeline's peak. On
 * return, success or not, raw's row arrays are freed (counts 0); its
 * counties, refresh key and the rest stay for model_raw_free(). */
bool model_build_consuming(struct model_raw *raw, int32_t earliest, int32_t as_of,
                           struct model *out, enum model_failure *failure) CASA_MUSTCHECK;
void model_free(struct model *model);

/* Code lookups: false when the text is not a contract code. */
bool model_setting_parse(const char *code, enum setting *out);

#endif
