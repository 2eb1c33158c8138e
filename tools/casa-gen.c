/*
 * casa-gen — synthetic de-identified foster-care data for the demo, the tests
 * and the benchmarks (SPEC §2 source contract). Never used on real data.
 *
 *   casa-gen --db CONNINFO [--children N] [--seed S] [--as-of YYYY-MM-DD]
 *            [--years Y] [--counties N] [--small-counties] [--bad-rows]
 *            [--bad-report FILE] [--schema NAME] [--no-identifications]
 *
 * It replaces the five data tables of the schema in one transaction (TRUNCATE,
 * then COPY ... FROM STDIN), and the optional trafficking_identifications
 * when the schema has it (--no-identifications drops it instead: a source
 * that does not record identifications), and appends one row to
 * extract_batches, so the refresh key changes on every load.
 *
 * Determinism and memory: every child draws from its own PRNG stream, seeded
 * from (seed, child index), and keys are a bijection of a running index. The
 * generator therefore runs the whole simulation once per table and writes only
 * that table's rows: a cheap pass per table instead of holding the data set in
 * memory, and every pass sees exactly the same rows. Identifications draw from
 * streams of their own (per child, and for their bad rows), and their keys
 * from a salt drawn after all the others, so adding the table moved no row
 * of the other tables for a given seed.
 *
 * Time: row starts (removal, placement start, went_missing_at, assignment
 * start, identified_at) are on or before as_of; ends, returns, reports and
 * screenings may fall after as_of when as_of is in the past, but never after
 * now (a value after now has not happened yet and is written as null).
 * went_missing_at is kept at least one day inside the days in care (and
 * before as_of), so the day it begins is in care in every time zone from
 * UTC-12 to UTC+14; so is an identification with while_in_care true.
 *
 * With --bad-rows, contract-breaking rows are appended, each breaking exactly
 * one data-quality rule (enum dq_rule in include/casa/model.h), several per
 * rule, after the constraints that would reject them have been removed.
 * --bad-report FILE (with or without --bad-rows) writes, per rule name, the
 * exact count the daemon must report: the injected rows, plus the realistic
 * law-enforcement reports filed before the agency was informed that the clean
 * data contains (keep_report_before_informed, and keep_report_before_identified
 * when identifications are generated). Every other rule is 0 on clean data,
 * in any time zone from UTC-12 to UTC+14. The two identification rules
 * appear in the report only when the identifications table is loaded.
 *
 * Privacy: it prints aggregate counts only; no row value reaches stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

/* The tool is built without the casa library (libpq and libm only), so it
 * carries its own must-check macro, as include/casa/common.h does. */
#if defined(__GNUC__)
#define GEN_MUSTCHECK __attribute__((warn_unused_result))
#else
#define GEN_MUSTCHECK
#endif

#define GEN_DAY_SECONDS   86400
#define GEN_HOUR          3600
#define GEN_NO_DAY        INT32_MAX           /* an end that has not happened (null) */
#define GEN_NO_TS         INT64_MAX           /* a timestamp that has not happened (null) */
#define GEN_BUF_SIZE      (4 << 20)           /* COPY data is sent in 4 MiB chunks */
#define GEN_MAX_PIECES    320                 /* placement rows of one episode */
#define GEN_MAX_MISSING   32                  /* missing episodes of one episode */
#define GEN_MAX_MOVES     5                   /* 1-6 regular placements per episode */
#define GEN_DANGLING_BASE (UINT64_C(1) << 40) /* key indices never used by rows */
#define GEN_HISTORY_DAYS  30                  /* synthetic extract_batches history */
#define GEN_ID_STREAM     UINT64_C(0x1DE0000000000000) /* identification streams */
#define GEN_ID_BAD_STREAM UINT64_C(0xBAD1000000000000) /* their bad rows */

enum gen_table {
	GEN_CHILDREN,
	GEN_EPISODES,
	GEN_PLACEMENTS,
	GEN_MISSING,
	GEN_ASSIGNMENTS,
	GEN_IDENTIFICATIONS, /* optional: loaded only when the schema has it */
	GEN_TABLE_COUNT
};

/* Key salts: one per table and one for providers. The provider salt was
 * drawn sixth before the identifications table existed and stays so; the
 * identifications' salt is drawn last. */
#define GEN_PROVIDER_SALT GEN_TABLE_COUNT
#define GEN_SALT_COUNT    (GEN_TABLE_COUNT + 1)

static const char *const gen_table_names[GEN_TABLE_COUNT] = {
    "children",
    "episodes",
    "placements",
    "missing_episodes",
    "advocate_assignments",
    "trafficking_identifications",
};

static const char *const gen_copy_columns[GEN_TABLE_COUNT] = {
    "child_key, birth_month, sex, race_ethnicity",
    "episode_key, child_key, county, removal_date, discharge_date, discharge_reason",
    "placement_key, episode_key, setting, provider_key, start_date, end_date",
    ("missing_key, episode_key, went_missing_at, agency_informed_at, returned_at, "
     "reported_le_at, reported_ncmec_at, screened_at, screen_result"),
    "assignment_key, episode_key, start_date, end_date",
    "identification_key, episode_key, identified_at, while_in_care, reported_le_at",
};

/* Rule names in enum dq_rule order (include/casa/model.h). */
enum gen_rule {
	GEN_DUPLICATE_KEY,
	GEN_DANGLING_PARENT,
	GEN_EPISODE_ENDS_BEFORE_START,
	GEN_PLACEMENT_ENDS_BEFORE_START,
	GEN_PLACEMENT_UNKNOWN_SETTING,
	GEN_PLACEMENT_OUTSIDE_CARE,
	GEN_ASSIGNMENT_ENDS_BEFORE_START,
	GEN_ASSIGNMENT_OUTSIDE_CARE,
	GEN_MISSING_RETURNS_BEFORE_MISSING,
	GEN_MISSING_OUTSIDE_CARE,
	GEN_NULL_REQUIRED,
	GEN_OVERLAPPING_PLACEMENTS,
	GEN_PLACEMENT_AFTER_DISCHARGE,
	GEN_REPORT_BEFORE_INFORMED,
	GEN_SCREEN_BEFORE_RETURN,
	GEN_UNKNOWN_SEX,
	GEN_UNKNOWN_RACE,
	GEN_UNKNOWN_DISCHARGE_REASON,
	GEN_UNKNOWN_SCREEN_RESULT,
	GEN_BIRTH_MONTH_NOT_FIRST,
	GEN_COUNTY_NAME_CUT, /* issue 16 row 3: none generated (county names are short) */
	GEN_IGNORED_AFTER_AS_OF,
	GEN_PARENT_DROPPED,       /* the earlier rules' rows stay as they were: later ones append */
	GEN_BEFORE_EARLIEST_DATE, /* issue 16 row 1 */
	/* Issue 16 row 2: rows the source cannot read. None is generated (the
	 * report says 0): tests/integration/test_unreadable_rows.sh makes them. */
	GEN_DATE_OUT_OF_RANGE,
	GEN_TEXT_INVALID_ENCODING,
	/* Issue 17: reported only with identifications (so does the daemon). */
	GEN_IDENTIFICATION_OUTSIDE_CARE,
	GEN_REPORT_BEFORE_IDENTIFIED,
	GEN_RULE_COUNT
};
#define GEN_FIRST_IDENTIFICATION_RULE GEN_IDENTIFICATION_OUTSIDE_CARE

static const char *const gen_rule_names[GEN_RULE_COUNT] = {
    "drop_duplicate_key",
    "drop_dangling_parent",
    "drop_episode_ends_before_start",
    "drop_placement_ends_before_start",
    "drop_placement_unknown_setting",
    "drop_placement_outside_care",
    "drop_assignment_ends_before_start",
    "drop_assignment_outside_care",
    "drop_missing_returns_before_missing",
    "drop_missing_outside_care",
    "drop_null_required",
    "keep_overlapping_placements",
    "keep_placement_after_discharge",
    "keep_report_before_informed",
    "keep_screen_before_return",
    "keep_unknown_sex",
    "keep_unknown_race",
    "keep_unknown_discharge_reason",
    "keep_unknown_screen_result",
    "keep_birth_month_not_first",
    "keep_county_name_cut",
    "ignored_after_as_of",
    "drop_parent_dropped",
    "drop_before_earliest_date",
    "drop_date_out_of_range",
    "drop_text_invalid_encoding",
    "drop_identification_outside_care",
    "keep_report_before_identified",
};

/* Placement settings (SPEC §2); the last five are temporary. */
enum gen_setting {
	GEN_RELATIVE_HOME,
	GEN_FOSTER_HOME,
	GEN_PRE_ADOPTIVE_HOME,
	GEN_GROUP_HOME,
	GEN_INSTITUTION,
	GEN_SIL,
	GEN_TRIAL_HOME_VISIT,
	GEN_RUNAWAY,
	GEN_RESPITE,
	GEN_HOSPITAL,
	GEN_DETENTION,
	GEN_SETTING_COUNT
};

static const char *const gen_setting_codes[GEN_SETTING_COUNT] = {
    "relative_home",    "foster_home", "pre_adoptive_home",
    "group_home",       "institution", "supervised_independent_living",
    "trial_home_visit", "runaway",     "respite",
    "hospital",         "detention",
};

enum gen_reason {
	GEN_REUNIFICATION,
	GEN_RELATIVE,
	GEN_ADOPTION,
	GEN_GUARDIANSHIP,
	GEN_EMANCIPATION,
	GEN_TRANSFER,
	GEN_REASON_RUNAWAY,
	GEN_DEATH,
	GEN_OTHER,
	GEN_REASON_COUNT
};

static const char *const gen_reason_codes[GEN_REASON_COUNT] = {
    "reunification", "relative", "adoption", "guardianship", "emancipation",
    "transfer",      "runaway",  "death",    "other",
};

static const char *const gen_sex_codes[] = {"female", "male", "other", "unknown"};
/* Per 10 000 children; roughly AFCARS FY2022 (sex "other" is new and rare). */
static const unsigned gen_sex_weights[] = {4900, 5050, 20, 30};

static const char *const gen_race_codes[] = {"aian", "asian", "black",       "hispanic",
                                             "nhpi", "white", "multiracial", "unknown"};
/* Per 1 000 children; AFCARS FY2022 in-care shares, rounded. */
static const unsigned gen_race_weights[] = {20, 6, 220, 210, 2, 430, 100, 12};

/* Per 1 000 entries by age at removal 0..17: AFCARS FY2022 entries are ~18%
 * infants, ~30% aged 1-5, the rest spread over 6-17 with teens common. */
static const unsigned gen_age_weights[18] = {180, 60, 60, 60, 60, 60, 44, 44, 44,
                                             44,  44, 44, 44, 44, 44, 44, 40, 40};

/* Discharge reasons for children who did not age out, per 1 000; AFCARS
 * FY2022 exits: reunification ~47%, adoption ~25%, guardianship ~11%, living
 * with a relative ~6%, transfer ~2%, other and death the rest. */
static const unsigned gen_reason_weights_young[GEN_REASON_COUNT] = {460, 60, 300, 110, 0,
                                                                    30,  0,  5,   35};
static const unsigned gen_reason_weights_teen[GEN_REASON_COUNT] = {560, 90, 80, 120, 0,
                                                                   60,  30, 3,  57};

/* County names: a fixed list, used in order (the first ones are the big ones). */
static const char *const gen_county_names[] = {
    "Adams",  "Baker",   "Carson",  "Dawson",   "Elmore",  "Franklin", "Grant",     "Harlan",
    "Irwin",  "Jackson", "Kimball", "Lincoln",  "Madison", "Nelson",   "Owen",      "Pierce",
    "Quay",   "Ross",    "Sherman", "Taylor",   "Union",   "Vernon",   "Warren",    "Yates",
    "Allen",  "Benton",  "Clay",    "Dodge",    "Essex",   "Fulton",   "Greene",    "Hardin",
    "Iron",   "Jasper",  "Knox",    "Logan",    "Marion",  "Noble",    "Ottawa",    "Perry",
    "Rusk",   "Scott",   "Tipton",  "Upshur",   "Vance",   "Wayne",    "Young",     "Boone",
    "Custer", "Dallas",  "Fayette", "Garfield", "Hancock", "Howard",   "Jefferson", "Kent",
    "Lake",   "Monroe",  "Newton",  "Orange",   "Polk",    "Randolph", "Stark",     "Trego",
    "Uinta",  "Valley",  "Wells",   "Bates",    "Cedar",   "Davis",    "Elbert",    "Floyd",
    "Gibson", "Henry",   "Ionia",   "Johnson",  "Kearny",  "Lamar",    "Mercer",    "Nash",
    "Osage",  "Putnam",  "Rice",    "Sumner",   "Todd",    "Utah",     "Vilas",     "Washington",
    "Yuma",   "Bell",
};
#define GEN_MAX_COUNTIES ((unsigned)(sizeof(gen_county_names) / sizeof(gen_county_names[0])))

struct gen_options {
	const char *conninfo;    /* libpq conninfo */
	uint64_t children;       /* children to generate */
	uint64_t seed;           /* PRNG seed */
	int32_t as_of;           /* last day of data (days since 1970-01-01) */
	int years;               /* history before as_of */
	unsigned counties;       /* number of counties */
	bool small_counties;     /* many counties, most tiny (disclosure tests) */
	bool bad_rows;           /* inject contract-breaking rows */
	const char *bad_report;  /* JSON file of expected rule counts, or NULL */
	const char *schema;      /* source schema */
	bool no_identifications; /* drop the optional identifications table */
};

/* xoshiro256** (Blackman & Vigna), seeded through splitmix64. */
struct gen_rng {
	uint64_t s[4]; /* state, never all zero */
};

/* COPY output of one pass: rows of the target table go to data, flushed to
 * the connection when full. */
struct gen_out {
	PGconn *conn; /* connection in COPY IN state */
	char *data;   /* pending bytes */
	size_t len;   /* bytes pending */
	size_t cap;   /* bytes allocated */
	bool failed;  /* a send failed; the pass is aborted */
};

/* What the bad identification rows refer to: a clean simulated episode,
 * discharged well before as_of, and two episodes that other bad rows left out.
 * --bad-rows adds no episode for them, so the episodes table keeps its rows. */
struct gen_id_host {
	int64_t episode_key;     /* 0 until an episode qualifies */
	int32_t removal;         /* first day in care */
	int32_t discharge;       /* first day not in care, on or before as_of - 30 */
	int64_t orphan_episode;  /* left out because its child was (0 until one is) */
	int64_t dropped_episode; /* left out by its own rule, ends before start (or 0) */
};

struct gen_ctx {
	const struct gen_options *opt;       /* options */
	int64_t now;                         /* Unix seconds; nothing happens after */
	int32_t today;                       /* day of now: end dates after it are null */
	uint64_t salt[GEN_SALT_COUNT];       /* key salts per table, and providers */
	double county_cdf[GEN_MAX_COUNTIES]; /* cumulative county weights */
	unsigned county_count;               /* counties in use */
	uint64_t provider_pool;              /* distinct caregivers and facilities */
	bool identifications;                /* the identifications table is loaded */
	enum gen_table target;               /* the table this pass writes */
	struct gen_out *out;                 /* where target rows go */
	uint64_t next[GEN_TABLE_COUNT];      /* next key index per table */
	uint64_t rows[GEN_TABLE_COUNT];      /* rows written per table */
	uint64_t expected[GEN_RULE_COUNT];   /* what the daemon must count */
	uint64_t open_episodes;              /* episodes open at as_of (stats) */
	uint64_t reentered_children;         /* children with 2+ episodes (stats) */
	uint64_t missing_children;           /* children ever missing (stats) */
	struct gen_id_host id_host;          /* what bad identification rows refer to */
};

/* ---- PRNG ---------------------------------------------------------------- */

static uint64_t gen_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static void gen_rng_seed(struct gen_rng *rng, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * UINT64_C(0xD1B54A32D192ED03));
	for (int i = 0; i < 4; i++)
		rng->s[i] = gen_splitmix64(&x);
}

static uint64_t gen_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t gen_next(struct gen_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = gen_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = gen_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, 1). */
static double gen_unit(struct gen_rng *rng)
{
	return (double)(gen_next(rng) >> 11) * 0x1.0p-53;
}

static bool gen_chance(struct gen_rng *rng, double p)
{
	return gen_unit(rng) < p;
}

/* Uniform integer in [lo, hi] (lo <= hi); the modulo bias is negligible. */
static int64_t gen_range(struct gen_rng *rng, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(gen_next(rng) % (uint64_t)(hi - lo + 1));
}

static unsigned gen_pick(struct gen_rng *rng, const unsigned *weights, unsigned n)
{
	unsigned total = 0;
	for (unsigned i = 0; i < n; i++)
		total += weights[i];
	uint64_t r = gen_next(rng) % total;
	for (unsigned i = 0; i < n; i++) {
		if (r < weights[i])
			return i;
		r -= weights[i];
	}
	return n - 1;
}

static double gen_normal(struct gen_rng *rng)
{
	double u = 1.0 - gen_unit(rng); /* (0, 1]: log is finite */
	double v = gen_unit(rng);
	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Knuth's method; fine for the small means used here. */
static unsigned gen_poisson(struct gen_rng *rng, double mean)
{
	if (mean <= 0)
		return 0;
	if (mean > 30)
		mean = 30;
	double limit = exp(-mean), p = 1.0;
	unsigned k = 0;
	do {
		k++;
		p *= gen_unit(rng);
	} while (p > limit);
	return k - 1;
}

/* A pseudonymous key: a bijection of the 62-bit index space (xor-shift and
 * odd multipliers are invertible modulo 2^62), so distinct indices give
 * distinct keys, and keys carry no order or count. */
static int64_t gen_key(uint64_t salt, uint64_t index)
{
	const uint64_t mask = (UINT64_C(1) << 62) - 1;
	uint64_t x = (index ^ salt) & mask;
	x ^= x >> 31;
	x = (x * UINT64_C(0x9E3779B97F4A7C15)) & mask;
	x ^= x >> 29;
	x = (x * UINT64_C(0xBF58476D1CE4E5B9)) & mask;
	x ^= x >> 32;
	return (int64_t)x + 1;
}

/* ---- dates (Howard Hinnant's civil calendar algorithms) ------------------ */

static int32_t gen_days_from_civil(int y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int32_t)doe - 719468;
}

static void gen_civil_from_days(int32_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int yy = (int)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

/* Whole years from birth_month (the 1st of a month) to day. */
static int gen_age(int32_t birth_month, int32_t day)
{
	int by, y;
	unsigned bm, bd, m, d;
	gen_civil_from_days(birth_month, &by, &bm, &bd);
	gen_civil_from_days(day, &y, &m, &d);
	return y - by - (m < bm || (m == bm && d < bd));
}

/* The day a child born in birth_month turns `years` (the 1st of that month). */
static int32_t gen_birthday(int32_t birth_month, int years)
{
	int y;
	unsigned m, d;
	gen_civil_from_days(birth_month, &y, &m, &d);
	return gen_days_from_civil(y + years, m, 1);
}

GEN_MUSTCHECK static bool gen_parse_date(const char *text, int32_t *out)
{
	int y;
	unsigned m, d;
	char tail;
	if (sscanf(text, "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 ||
	    d > 31)
		return false;
	int32_t day = gen_days_from_civil(y, m, d);
	int yy;
	unsigned mm, dd;
	gen_civil_from_days(day, &yy, &mm, &dd);
	if (yy != y || mm != m || dd != d)
		return false;
	*out = day;
	return true;
}

/* ---- COPY text output ---------------------------------------------------- */

static void gen_flush(struct gen_out *out)
{
	if (out->failed || out->len == 0)
		return;
	if (PQputCopyData(out->conn, out->data, (int)out->len) != 1)
		out->failed = true;
	out->len = 0;
}

/* Room for one row (no row is longer than 512 bytes). */
static char *gen_room(struct gen_out *out)
{
	if (out->len + 512 > out->cap)
		gen_flush(out);
	return out->data + out->len;
}

static char *gen_put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *gen_put_tab(char *p)
{
	*p++ = '\t';
	return p;
}

static char *gen_put_null(char *p)
{
	return gen_put_str(p, "\\N");
}

static char *gen_put_int(char *p, int64_t v)
{
	char tmp[24];
	int n = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	if (v < 0)
		*p++ = '-';
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *gen_put_2(char *p, unsigned v)
{
	*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

static char *gen_put_date_dm(char *p, int32_t day, unsigned day_of_month)
{
	int y;
	unsigned m, d;
	gen_civil_from_days(day, &y, &m, &d);
	p = gen_put_int(p, y);
	*p++ = '-';
	p = gen_put_2(p, m);
	*p++ = '-';
	return gen_put_2(p, day_of_month ? day_of_month : d);
}

/* A date, or null for GEN_NO_DAY. */
static char *gen_put_date(char *p, int32_t day)
{
	return day == GEN_NO_DAY ? gen_put_null(p) : gen_put_date_dm(p, day, 0);
}

/* ISO timestamp with an explicit +00 offset, or null for GEN_NO_TS. */
static char *gen_put_ts(char *p, int64_t ts)
{
	if (ts == GEN_NO_TS)
		return gen_put_null(p);
	int64_t day =
	    ts >= 0 ? ts / GEN_DAY_SECONDS : -((-ts + GEN_DAY_SECONDS - 1) / GEN_DAY_SECONDS);
	int64_t sec = ts - day * GEN_DAY_SECONDS;
	p = gen_put_date_dm(p, (int32_t)day, 0);
	*p++ = ' ';
	p = gen_put_2(p, (unsigned)(sec / 3600));
	*p++ = ':';
	p = gen_put_2(p, (unsigned)(sec / 60 % 60));
	*p++ = ':';
	p = gen_put_2(p, (unsigned)(sec % 60));
	return gen_put_str(p, "+00");
}

static char *gen_put_text(char *p, const char *code)
{
	return code ? gen_put_str(p, code) : gen_put_null(p);
}

static void gen_end_row(struct gen_ctx *ctx, char *p)
{
	*p++ = '\n';
	ctx->out->len = (size_t)(p - ctx->out->data);
}

/* ---- row emitters: every pass counts every row, only the target writes ---- */

/* birth_day_of_month: 0 writes the 1st (the contract); else that day (bad). */
static void gen_emit_child(struct gen_ctx *ctx, int64_t child_key, int32_t birth_month,
                           bool has_birth, unsigned birth_day_of_month, const char *sex,
                           const char *race)
{
	ctx->rows[GEN_CHILDREN]++;
	if (ctx->target != GEN_CHILDREN)
		return;
	char *p = gen_room(ctx->out);
	p = gen_put_tab(gen_put_int(p, child_key));
	p = has_birth ? gen_put_date_dm(p, birth_month, birth_day_of_month ? birth_day_of_month : 1)
	              : gen_put_null(p);
	p = gen_put_tab(p);
	p = gen_put_tab(gen_put_text(p, sex));
	gen_end_row(ctx, gen_put_text(p, race));
}

static void gen_emit_episode(struct gen_ctx *ctx, int64_t episode_key, int64_t child_key,
                             const char *county, int32_t removal, int32_t discharge,
                             const char *reason)
{
	ctx->rows[GEN_EPISODES]++;
	if (ctx->target != GEN_EPISODES)
		return;
	char *p = gen_room(ctx->out);
	p = gen_put_tab(gen_put_int(p, episode_key));
	p = gen_put_tab(gen_put_int(p, child_key));
	p = gen_put_tab(gen_put_text(p, county));
	p = gen_put_tab(gen_put_date(p, removal));
	p = gen_put_tab(gen_put_date(p, discharge));
	gen_end_row(ctx, gen_put_text(p, discharge == GEN_NO_DAY ? NULL : reason));
}

/* provider_key 0 writes null. */
static void gen_emit_placement(struct gen_ctx *ctx, int64_t placement_key, int64_t episode_key,
                               const char *setting, int64_t provider_key, int32_t start,
                               int32_t end)
{
	ctx->rows[GEN_PLACEMENTS]++;
	if (ctx->target != GEN_PLACEMENTS)
		return;
	char *p = gen_room(ctx->out);
	p = gen_put_tab(gen_put_int(p, placement_key));
	p = gen_put_tab(gen_put_int(p, episode_key));
	p = gen_put_tab(gen_put_str(p, setting));
	p = gen_put_tab(provider_key ? gen_put_int(p, provider_key) : gen_put_null(p));
	p = gen_put_tab(gen_put_date(p, start));
	gen_end_row(ctx, gen_put_date(p, end));
}

struct gen_missing {
	int64_t went_missing_at;    /* never GEN_NO_TS */
	int64_t agency_informed_at; /* GEN_NO_TS: null */
	int64_t returned_at;        /* GEN_NO_TS: not returned by now */
	int64_t reported_le_at;     /* GEN_NO_TS: none */
	int64_t reported_ncmec_at;  /* GEN_NO_TS: none */
	int64_t screened_at;        /* GEN_NO_TS: none */
	const char *screen_result;  /* NULL: null */
};

static void gen_emit_missing(struct gen_ctx *ctx, int64_t missing_key, int64_t episode_key,
                             const struct gen_missing *m)
{
	ctx->rows[GEN_MISSING]++;
	if (ctx->target != GEN_MISSING)
		return;
	char *p = gen_room(ctx->out);
	p = gen_put_tab(gen_put_int(p, missing_key));
	p = gen_put_tab(gen_put_int(p, episode_key));
	p = gen_put_tab(gen_put_ts(p, m->went_missing_at));
	p = gen_put_tab(gen_put_ts(p, m->agency_informed_at));
	p = gen_put_tab(gen_put_ts(p, m->returned_at));
	p = gen_put_tab(gen_put_ts(p, m->reported_le_at));
	p = gen_put_tab(gen_put_ts(p, m->reported_ncmec_at));
	p = gen_put_tab(gen_put_ts(p, m->screened_at));
	gen_end_row(ctx, gen_put_text(p, m->screen_result));
}

static void gen_emit_assignment(struct gen_ctx *ctx, int64_t assignment_key, int64_t episode_key,
                                int32_t start, int32_t end)
{
	ctx->rows[GEN_ASSIGNMENTS]++;
	if (ctx->target != GEN_ASSIGNMENTS)
		return;
	char *p = gen_room(ctx->out);
	p = gen_put_tab(gen_put_int(p, assignment_key));
	p = gen_put_tab(gen_put_int(p, episode_key));
	p = gen_put_tab(gen_put_date(p, start));
	gen_end_row(ctx, gen_put_date(p, end));
}

/* reported_le_at GEN_NO_TS writes null. */
static void gen_emit_identification(struct gen_ctx *ctx, int64_t identification_key,
                                    int64_t episode_key, int64_t identified_at, bool while_in_care,
                                    int64_t reported_le_at)
{
	ctx->rows[GEN_IDENTIFICATIONS]++;
	if (ctx->target != GEN_IDENTIFICATIONS)
		return;
	char *p = gen_room(ctx->out);
	p = gen_put_tab(gen_put_int(p, identification_key));
	p = gen_put_tab(gen_put_int(p, episode_key));
	p = gen_put_tab(gen_put_ts(p, identified_at));
	p = gen_put_tab(gen_put_str(p, while_in_care ? "t" : "f"));
	gen_end_row(ctx, gen_put_ts(p, reported_le_at));
}

static int64_t gen_new_key(struct gen_ctx *ctx, enum gen_table table)
{
	return gen_key(ctx->salt[table], ctx->next[table]++);
}

static int64_t gen_provider(struct gen_ctx *ctx, struct gen_rng *rng)
{
	return gen_key(ctx->salt[GEN_PROVIDER_SALT], gen_next(rng) % ctx->provider_pool);
}

/* An end date as the source would hold it now: null when still in the future. */
static int32_t gen_end_now(const struct gen_ctx *ctx, int32_t day)
{
	return day > ctx->today ? GEN_NO_DAY : day;
}

static int64_t gen_ts_now(const struct gen_ctx *ctx, int64_t ts)
{
	return ts > ctx->now ? GEN_NO_TS : ts;
}

/* ---- the simulation of one episode -------------------------------------- */

/* A placement row of an episode: [start, end), end GEN_NO_DAY when open. */
struct gen_piece {
	int32_t start;    /* first day */
	int32_t end;      /* first day not covered, or GEN_NO_DAY */
	uint8_t setting;  /* enum gen_setting */
	int64_t provider; /* 0: null */
};

struct gen_episode {
	int64_t episode_key;                         /* key */
	int32_t removal;                             /* first day in care */
	int32_t discharge;                           /* natural end (may be after now) */
	unsigned reason;                             /* enum gen_reason */
	struct gen_piece pieces[GEN_MAX_PIECES];     /* placement rows in order */
	unsigned piece_count;                        /* used pieces */
	struct gen_missing missing[GEN_MAX_MISSING]; /* missing episodes */
	unsigned missing_count;                      /* used missing episodes */
	bool missing_at_discharge;                   /* a missing episode spans the discharge */
	int32_t busy_until;                          /* no new event before this day */
};

static void gen_add_piece(struct gen_episode *ep, int32_t start, int32_t end, unsigned setting,
                          int64_t provider)
{
	if (start >= end || ep->piece_count == GEN_MAX_PIECES)
		return;
	ep->pieces[ep->piece_count++] = (struct gen_piece){
	    .start = start, .end = end, .setting = (uint8_t)setting, .provider = provider};
}

/* The first placement and each move: settings by age. AFCARS FY2022 in-care:
 * non-relative foster home 44%, relative 35%, institution 9%, group home 4%,
 * pre-adoptive 4%, supervised independent living 2%; teens are placed in
 * group homes and institutions far more often than young children. */
static unsigned gen_regular_setting(struct gen_rng *rng, int age, bool last_before_adoption)
{
	if (last_before_adoption && gen_chance(rng, 0.7))
		return GEN_PRE_ADOPTIVE_HOME;
	if (age < 12) {
		static const unsigned w[] = {38, 53, 4, 3, 2, 0};
		return gen_pick(rng, w, 6);
	}
	if (age < 16) {
		static const unsigned w[] = {24, 38, 2, 20, 16, 0};
		return gen_pick(rng, w, 6);
	}
	static const unsigned w[] = {18, 32, 1, 22, 15, 12};
	return gen_pick(rng, w, 6);
}

/* Runaways per day in care. Missing-from-care episodes are concentrated in
 * teens, and far more in congregate care (group homes, institutions) than in
 * family settings; girls run slightly more often (cf. Courtney & Zinn 2009,
 * Chapin Hall; Illinois CFRC). */
static double gen_runaway_rate(int age, unsigned setting, bool female)
{
	bool congregate = setting == GEN_GROUP_HOME || setting == GEN_INSTITUTION;
	double rate;
	if (age < 6)
		rate = 0;
	else if (age < 12)
		rate = 0.00004;
	else if (age < 15)
		rate = congregate ? 0.0030 : 0.0005;
	else if (age < 18)
		rate = congregate ? 0.0050 : 0.0010;
	else
		rate = 0.0006;
	return female ? rate * 1.2 : rate;
}

/* How long a runaway stays away: half come back within a day, a long tail
 * lasts weeks to months (NCMEC and state audits report similar shapes). */
static int64_t gen_missing_seconds(struct gen_rng *rng)
{
	double u = gen_unit(rng);
	if (u < 0.45)
		return gen_range(rng, 2 * GEN_HOUR, 24 * GEN_HOUR);
	if (u < 0.80)
		return gen_range(rng, 24 * GEN_HOUR, 7 * 24 * GEN_HOUR);
	if (u < 0.95)
		return gen_range(rng, 7 * 24 * GEN_HOUR, 30 * 24 * GEN_HOUR);
	return gen_range(rng, 30 * 24 * GEN_HOUR, 180 * 24 * GEN_HOUR);
}

/* A report delay around the 24-hour mark (42 U.S.C. 671(a)(35)(B)); the HHS
 * OIG audit A-07-21-06102 found ~47% of episodes never reported to NCMEC and
 * ~22% late. */
static int64_t gen_report_delay(struct gen_rng *rng, double within_24h)
{
	if (gen_chance(rng, within_24h))
		return gen_range(rng, 10 * 60, 24 * GEN_HOUR);
	if (gen_chance(rng, 0.7))
		return gen_range(rng, 24 * GEN_HOUR + 60, 4 * 24 * GEN_HOUR);
	return gen_range(rng, 4 * 24 * GEN_HOUR, 30 * 24 * GEN_HOUR);
}

/* One missing episode that goes missing on day `day` (in care, see the header
 * comment). Fills *m; returns the return day (GEN_NO_DAY if not back by now). */
static int32_t gen_make_missing(struct gen_ctx *ctx, struct gen_rng *rng, int32_t day,
                                struct gen_missing *m)
{
	const int64_t as_of_start = (int64_t)ctx->opt->as_of * GEN_DAY_SECONDS;
	/* Most runaways leave in the afternoon or evening. */
	int64_t second = gen_chance(rng, 0.7) ? gen_range(rng, 14 * GEN_HOUR, 24 * GEN_HOUR - 1)
	                                      : gen_range(rng, 0, 14 * GEN_HOUR - 1);
	int64_t went = (int64_t)day * GEN_DAY_SECONDS + second;
	int64_t back = went + gen_missing_seconds(rng);
	*m = (struct gen_missing){.went_missing_at = went,
	                          .agency_informed_at = GEN_NO_TS,
	                          .returned_at = gen_ts_now(ctx, back),
	                          .reported_le_at = GEN_NO_TS,
	                          .reported_ncmec_at = GEN_NO_TS,
	                          .screened_at = GEN_NO_TS,
	                          .screen_result = NULL};
	/* A caregiver often tells the agency hours later. */
	if (gen_chance(rng, 0.6))
		m->agency_informed_at = went + gen_range(rng, GEN_HOUR, 12 * GEN_HOUR);
	int64_t clock = m->agency_informed_at == GEN_NO_TS ? went : m->agency_informed_at;
	/* Sometimes the caregiver calls the police before the agency hears of it.
	 * Only where every instant is a day clear of as_of, so the daemon counts
	 * it in every time zone (keep_report_before_informed). */
	bool early_ok = m->agency_informed_at != GEN_NO_TS &&
	                m->agency_informed_at < as_of_start - GEN_DAY_SECONDS;
	if (early_ok && gen_chance(rng, 0.03)) {
		m->reported_le_at = went + (m->agency_informed_at - went) / 2;
		ctx->expected[GEN_REPORT_BEFORE_INFORMED]++;
	} else if (gen_chance(rng, 0.85)) {
		m->reported_le_at = gen_ts_now(ctx, clock + gen_report_delay(rng, 0.75));
	}
	if (gen_chance(rng, 0.55))
		m->reported_ncmec_at = gen_ts_now(ctx, clock + gen_report_delay(rng, 0.6));
	if (m->returned_at != GEN_NO_TS && gen_chance(rng, 0.7)) {
		int64_t delay = gen_chance(rng, 0.8)
		                    ? gen_range(rng, GEN_HOUR, 72 * GEN_HOUR)
		                    : gen_range(rng, 72 * GEN_HOUR + 60, 14 * 24 * GEN_HOUR);
		m->screened_at = gen_ts_now(ctx, m->returned_at + delay);
		if (m->screened_at != GEN_NO_TS) {
			static const char *const results[] = {"negative", "positive",
			                                      "inconclusive"};
			static const unsigned w[] = {80, 8, 12};
			m->screen_result = results[gen_pick(rng, w, 3)];
		}
	}
	if (back > ctx->now)
		return GEN_NO_DAY;
	return (int32_t)(back / GEN_DAY_SECONDS);
}

/* Interruptions of one regular placement [a, b): runaways, respite, hospital
 * stays, detention. Pieces of the regular placement resume with the same
 * provider afterwards (a return to the same home is not a move, SPEC §4).
 * care_end: first day no row may start on (min(discharge, as_of + 1)). */
static void gen_fill_placement(struct gen_ctx *ctx, struct gen_rng *rng, struct gen_episode *ep,
                               int32_t a, int32_t b, int32_t care_end, unsigned setting,
                               int64_t provider, int age, bool female)
{
	int32_t last = (b < care_end ? b : care_end) - 2; /* latest event start */
	int32_t cursor = a;
	double runaway = gen_runaway_rate(age, setting, female);
	double respite = setting <= GEN_PRE_ADOPTIVE_HOME ? 0.0004 : 0;
	double hospital = 0.00015;
	double detention =
	    age >= 12 ? (setting == GEN_GROUP_HOME || setting == GEN_INSTITUTION ? 0.0008 : 0.0003)
	              : 0;
	double total = runaway + respite + hospital + detention;
	if (last <= a + 1 || total <= 0) {
		gen_add_piece(ep, a, b, setting, provider);
		return;
	}
	unsigned n = gen_poisson(rng, total * (double)(last - a));
	int32_t starts[24];
	if (n > 24)
		n = 24;
	for (unsigned i = 0; i < n; i++)
		starts[i] = (int32_t)gen_range(rng, a + 1, last);
	for (unsigned i = 1; i < n; i++) /* insertion sort: n is tiny */
		for (unsigned j = i; j > 0 && starts[j - 1] > starts[j]; j--) {
			int32_t t = starts[j];
			starts[j] = starts[j - 1];
			starts[j - 1] = t;
		}
	for (unsigned i = 0; i < n; i++) {
		int32_t t = starts[i];
		if (t <= ep->busy_until || t < cursor)
			continue;
		double kind = gen_unit(rng) * total;
		if (kind < runaway) {
			if (ep->missing_count == GEN_MAX_MISSING)
				continue;
			struct gen_missing *m = &ep->missing[ep->missing_count++];
			int32_t back = gen_make_missing(ctx, rng, t, m);
			/* Agencies often record the runaway itself as a placement. */
			bool recorded = (back == GEN_NO_DAY || back > t) && gen_chance(rng, 0.4);
			int32_t temp_end = back == GEN_NO_DAY || back > b ? b : back;
			if (back == GEN_NO_DAY || back >= ep->discharge)
				ep->missing_at_discharge = true;
			if (recorded) {
				gen_add_piece(ep, cursor, t, setting, provider);
				gen_add_piece(ep, t, temp_end, GEN_RUNAWAY, 0);
				cursor = temp_end;
			}
			if (back == GEN_NO_DAY) {
				ep->busy_until = INT32_MAX; /* still missing: nothing else */
				break;
			}
			ep->busy_until = back + 1;
			continue;
		}
		kind -= runaway;
		unsigned temp;
		int32_t days;
		if (kind < respite) {
			temp = GEN_RESPITE;
			days = (int32_t)gen_range(rng, 2, 14);
		} else if (kind < respite + hospital) {
			temp = GEN_HOSPITAL;
			days = (int32_t)gen_range(rng, 1, 20);
		} else {
			temp = GEN_DETENTION;
			days = (int32_t)gen_range(rng, 1, 60);
		}
		int32_t temp_end = t + days < b ? t + days : b;
		int64_t facility =
		    temp == GEN_RESPITE || temp == GEN_HOSPITAL || temp == GEN_DETENTION
		        ? gen_provider(ctx, rng)
		        : 0;
		gen_add_piece(ep, cursor, t, setting, provider);
		gen_add_piece(ep, t, temp_end, temp, facility);
		cursor = temp_end;
		ep->busy_until = temp_end + 1;
	}
	gen_add_piece(ep, cursor, b, setting, provider);
}

/* Simulates one episode from removal; ep->discharge is its natural end (it
 * may lie after as_of or now). */
static void gen_simulate_episode(struct gen_ctx *ctx, struct gen_rng *rng, struct gen_episode *ep,
                                 int32_t birth_month, bool female)
{
	const int32_t as_of = ctx->opt->as_of;
	int32_t removal = ep->removal;
	int age = gen_age(birth_month, removal);
	/* Length of stay: AFCARS median time in care is about 15 months with a
	 * long tail; a share of entries leave within days. */
	int32_t length;
	if (gen_chance(rng, 0.08))
		length = (int32_t)gen_range(rng, 1, 14);
	else
		length = (int32_t)(exp(log(520.0) + 1.0 * gen_normal(rng)) + 1);
	if (length > 12 * 365)
		length = 12 * 365;
	int32_t discharge = removal + length;
	int32_t b18 = gen_birthday(birth_month, 18);
	if (discharge > b18 && removal < b18) {
		/* Most age out at 18; some stay in extended foster care up to 21. */
		if (gen_chance(rng, 0.65))
			discharge = b18;
		else if (discharge > gen_birthday(birth_month, 21))
			discharge = gen_birthday(birth_month, 21);
		ep->reason = GEN_EMANCIPATION;
	} else {
		ep->reason =
		    gen_pick(rng, age < 12 ? gen_reason_weights_young : gen_reason_weights_teen,
		             GEN_REASON_COUNT);
	}
	if (discharge <= removal)
		discharge = removal + 1;
	ep->discharge = discharge;
	ep->piece_count = 0;
	ep->missing_count = 0;
	ep->missing_at_discharge = false;
	ep->busy_until = removal;

	int32_t care_end = discharge < as_of + 1 ? discharge : as_of + 1;
	/* Moves: about 4.5 per 1 000 days in care (CFSR round 4 national
	 * performance 4.48), more for teens. */
	double rate = age >= 12 ? 0.0065 : 0.0040;
	unsigned moves = gen_poisson(rng, rate * (double)(care_end - removal));
	if (moves > GEN_MAX_MOVES)
		moves = GEN_MAX_MOVES;
	int32_t bounds[GEN_MAX_MOVES + 2];
	unsigned nb = 0;
	bounds[nb++] = removal;
	if (care_end - removal > 2) {
		int32_t cand[GEN_MAX_MOVES];
		for (unsigned i = 0; i < moves; i++)
			cand[i] = (int32_t)gen_range(rng, removal + 1, care_end - 1);
		for (unsigned i = 1; i < moves; i++)
			for (unsigned j = i; j > 0 && cand[j - 1] > cand[j]; j--) {
				int32_t t = cand[j];
				cand[j] = cand[j - 1];
				cand[j - 1] = t;
			}
		for (unsigned i = 0; i < moves; i++)
			if (cand[i] > bounds[nb - 1])
				bounds[nb++] = cand[i];
	}
	/* A trial home visit often ends an episode that ends in reunification. */
	int32_t regular_end = discharge;
	if (ep->reason == GEN_REUNIFICATION && discharge - bounds[nb - 1] > 60 &&
	    gen_chance(rng, 0.4)) {
		int32_t thv = discharge - (int32_t)gen_range(rng, 14, 60);
		if (thv <= as_of)
			regular_end = thv;
	}
	bounds[nb] = regular_end;
	for (unsigned i = 0; i < nb; i++) {
		int32_t a = bounds[i], b = bounds[i + 1];
		int age_then = gen_age(birth_month, a);
		bool last_before_adoption = ep->reason == GEN_ADOPTION && i == nb - 1 && i > 0;
		unsigned setting = gen_regular_setting(rng, age_then, last_before_adoption);
		gen_fill_placement(ctx, rng, ep, a, b, care_end, setting, gen_provider(ctx, rng),
		                   age_then, female);
	}
	if (regular_end < discharge)
		gen_add_piece(ep, regular_end, discharge, GEN_TRIAL_HOME_VISIT, 0);
	/* A teen still missing at discharge is discharged as a runaway (AFCARS
	 * exit reason "runaway"). */
	if (ep->missing_at_discharge && gen_age(birth_month, discharge) >= 14 &&
	    ep->reason != GEN_EMANCIPATION && gen_chance(rng, 0.7))
		ep->reason = GEN_REASON_RUNAWAY;
}

/* Writes an episode's rows as the source would hold them now. */
static void gen_emit_simulated(struct gen_ctx *ctx, struct gen_rng *rng,
                               const struct gen_episode *ep, int64_t child_key, const char *county)
{
	const int32_t as_of = ctx->opt->as_of;
	int32_t discharge = gen_end_now(ctx, ep->discharge);
	if (ep->discharge > as_of)
		ctx->open_episodes++;
	gen_emit_episode(ctx, ep->episode_key, child_key, county, ep->removal, discharge,
	                 gen_reason_codes[ep->reason]);
	for (unsigned i = 0; i < ep->piece_count; i++) {
		const struct gen_piece *pc = &ep->pieces[i];
		if (pc->start > as_of)
			break; /* not happened by as_of: the source has no row yet */
		gen_emit_placement(ctx, gen_new_key(ctx, GEN_PLACEMENTS), ep->episode_key,
		                   gen_setting_codes[pc->setting], pc->provider, pc->start,
		                   gen_end_now(ctx, pc->end));
	}
	for (unsigned i = 0; i < ep->missing_count; i++)
		gen_emit_missing(ctx, gen_new_key(ctx, GEN_MISSING), ep->episode_key,
		                 &ep->missing[i]);
	/* CASA advocates serve a part of the children in care (National CASA/GAL
	 * annual reports); assignment often comes weeks to months after removal. */
	int32_t care_end = ep->discharge < as_of + 1 ? ep->discharge : as_of + 1;
	if (!gen_chance(rng, 0.5))
		return;
	int32_t start = ep->removal + 1 + (int32_t)(-log(1.0 - gen_unit(rng)) * 45.0);
	if (start >= care_end)
		return;
	int32_t end = ep->discharge;
	bool early_end = gen_chance(rng, 0.25) && ep->discharge - start > 40;
	if (early_end)
		end = (int32_t)gen_range(rng, start + 30, ep->discharge - 1);
	gen_emit_assignment(ctx, gen_new_key(ctx, GEN_ASSIGNMENTS), ep->episode_key, start,
	                    gen_end_now(ctx, end));
	/* A new advocate after a gap. */
	if (early_end && gen_chance(rng, 0.4)) {
		int32_t next = end + (int32_t)gen_range(rng, 7, 90);
		if (next < care_end)
			gen_emit_assignment(ctx, gen_new_key(ctx, GEN_ASSIGNMENTS), ep->episode_key,
			                    next, gen_end_now(ctx, ep->discharge));
	}
}

/* ---- trafficking identifications (issue 17) ------------------------------ */

/* One identification of episode ep at instant t (care_end: min(discharge,
 * as_of + 1)). while_in_care is true only on a day in care in every time zone
 * (a day clear of both ends), like went_missing_at; false elsewhere, which no
 * rule checks. Not yet happened (at or after as_of's start, or after now): no
 * row. Law enforcement hears of ~78% within 24 h (42 U.S.C. 671(a)(35)(A)),
 * ~12% later, ~7% never; in ~3% the police knew first and their report
 * precedes the identification (keep_report_before_identified, only a day
 * clear of as_of so that every time zone counts it). */
static void gen_identify_at(struct gen_ctx *ctx, struct gen_rng *rng, const struct gen_episode *ep,
                            int32_t care_end, int64_t t)
{
	const int64_t as_of_start = (int64_t)ctx->opt->as_of * GEN_DAY_SECONDS;
	if (t >= as_of_start || t > ctx->now)
		return;
	int32_t day = (int32_t)(t / GEN_DAY_SECONDS);
	bool in_care = day >= ep->removal + 1 && day <= care_end - 2;
	int64_t report = GEN_NO_TS;
	double u = gen_unit(rng);
	if (u < 0.03 && t < as_of_start - GEN_DAY_SECONDS) {
		report = t - gen_range(rng, GEN_HOUR, 12 * GEN_HOUR);
		ctx->expected[GEN_REPORT_BEFORE_IDENTIFIED]++;
	} else if (u < 0.81) {
		report = gen_ts_now(ctx, t + gen_range(rng, 5 * 60, 24 * GEN_HOUR));
	} else if (u < 0.93) {
		report =
		    gen_ts_now(ctx, t + gen_range(rng, 24 * GEN_HOUR + 60, 10 * GEN_DAY_SECONDS));
	}
	gen_emit_identification(ctx, gen_new_key(ctx, GEN_IDENTIFICATIONS), ep->episode_key, t,
	                        in_care, report);
}

/* An instant of day `day` in office hours (08:00-20:00 UTC). */
static int64_t gen_office_time(struct gen_rng *rng, int32_t day)
{
	return (int64_t)day * GEN_DAY_SECONDS + gen_range(rng, 8 * GEN_HOUR, 20 * GEN_HOUR);
}

/* Identifications of one simulated episode. They concentrate on teens who
 * ran away: about one missing episode of a girl aged 12-17 in ten, of a boy
 * one in twenty (the HHS OIG found boys screened less after a return,
 * OEI-07-20-00280), most at or soon after the return (within 30 days), some
 * months later, some while still missing; a few teens are identified at entry
 * (before the removal: not in care) or in care without a runaway; some
 * discharged as runaways are identified later, no longer in care. That
 * gives roughly 10-20 identifications per 1 000 children served a year. */
static void gen_identifications(struct gen_ctx *ctx, struct gen_rng *rng,
                                const struct gen_episode *ep, int32_t birth_month, bool female)
{
	const int32_t as_of = ctx->opt->as_of;
	int32_t care_end = ep->discharge < as_of + 1 ? ep->discharge : as_of + 1;
	double sex_factor = female ? 1.0 : 0.5;
	for (unsigned i = 0; i < ep->missing_count; i++) {
		const struct gen_missing *m = &ep->missing[i];
		int age = gen_age(birth_month, (int32_t)(m->went_missing_at / GEN_DAY_SECONDS));
		double p = age < 12 ? 0.005 : age < 18 ? 0.10 * sex_factor : 0.03 * sex_factor;
		if (!gen_chance(rng, p))
			continue;
		int64_t t;
		double u = gen_unit(rng);
		if (m->returned_at == GEN_NO_TS)
			t = m->went_missing_at +
			    gen_range(rng, GEN_DAY_SECONDS, 60 * GEN_DAY_SECONDS);
		else if (u < 0.55)
			t = m->returned_at + gen_range(rng, 0, 72 * GEN_HOUR);
		else if (u < 0.80)
			t = m->returned_at +
			    gen_range(rng, 72 * GEN_HOUR + 1, 30 * GEN_DAY_SECONDS);
		else
			t = m->returned_at +
			    gen_range(rng, 30 * GEN_DAY_SECONDS + 1, 120 * GEN_DAY_SECONDS);
		gen_identify_at(ctx, rng, ep, care_end, t);
	}
	int age = gen_age(birth_month, ep->removal);
	if (age >= 12 && age < 18 && gen_chance(rng, female ? 0.012 : 0.006)) {
		bool at_entry = gen_chance(rng, 0.4) || care_end - ep->removal < 4;
		int32_t day = at_entry ? ep->removal - (int32_t)gen_range(rng, 0, 30)
		                       : (int32_t)gen_range(rng, ep->removal + 1, care_end - 2);
		gen_identify_at(ctx, rng, ep, care_end, gen_office_time(rng, day));
	}
	if (ep->reason == GEN_REASON_RUNAWAY && ep->discharge <= as_of && gen_chance(rng, 0.15))
		gen_identify_at(
		    ctx, rng, ep, care_end,
		    gen_office_time(rng, ep->discharge + (int32_t)gen_range(rng, 1, 365)));
}

static const char *gen_pick_county(const struct gen_ctx *ctx, struct gen_rng *rng)
{
	double u = gen_unit(rng) * ctx->county_cdf[ctx->county_count - 1];
	for (unsigned i = 0; i < ctx->county_count; i++)
		if (u < ctx->county_cdf[i])
			return gen_county_names[i];
	return gen_county_names[ctx->county_count - 1];
}

static void gen_child(struct gen_ctx *ctx, uint64_t index, struct gen_episode *ep)
{
	const int32_t as_of = ctx->opt->as_of;
	struct gen_rng rng;
	gen_rng_seed(&rng, ctx->opt->seed, index + 1);
	int64_t child_key = gen_new_key(ctx, GEN_CHILDREN);
	const char *county = gen_pick_county(ctx, &rng);
	unsigned sex = gen_pick(&rng, gen_sex_weights, 4);
	unsigned race = gen_pick(&rng, gen_race_weights, 8);
	int32_t span = (int32_t)(ctx->opt->years * 365.25);
	int32_t removal = as_of - (int32_t)gen_range(&rng, 0, span > 0 ? span : 0);
	int age = (int)gen_pick(&rng, gen_age_weights, 18);
	int y;
	unsigned m, d;
	gen_civil_from_days(removal, &y, &m, &d);
	int months = y * 12 + (int)m - 1 - age * 12 - (int)gen_range(&rng, 0, 11);
	int32_t birth_month = gen_days_from_civil(months / 12, (unsigned)(months % 12) + 1, 1);
	gen_emit_child(ctx, child_key, birth_month, true, 0, gen_sex_codes[sex],
	               gen_race_codes[race]);
	/* The identifications' own stream: the child's stream above stays as it
	 * was before identifications existed. */
	struct gen_rng id_rng;
	gen_rng_seed(&id_rng, ctx->opt->seed, GEN_ID_STREAM | (index + 1));

	unsigned episodes = 0;
	bool ever_missing = false;
	for (;;) {
		ep->episode_key = gen_new_key(ctx, GEN_EPISODES);
		ep->removal = removal;
		gen_simulate_episode(ctx, &rng, ep, birth_month, sex == 0);
		ever_missing = ever_missing || ep->missing_count > 0;
		gen_emit_simulated(ctx, &rng, ep, child_key, county);
		if (ctx->identifications)
			gen_identifications(ctx, &id_rng, ep, birth_month, sex == 0);
		if (!ctx->id_host.episode_key && ep->discharge <= as_of - 30 &&
		    ep->discharge - ep->removal >= 20)
			ctx->id_host = (struct gen_id_host){.episode_key = ep->episode_key,
			                                    .removal = ep->removal,
			                                    .discharge = ep->discharge};
		episodes++;
		/* Re-entry: ~15-20% of children come back into care (CFSR re-entry
		 * indicator ~8% within 12 months; more over longer windows), all
		 * of them after going home. */
		bool home = ep->reason == GEN_REUNIFICATION || ep->reason == GEN_RELATIVE ||
		            ep->reason == GEN_GUARDIANSHIP;
		if (!home || ep->discharge > as_of || episodes >= 4 || !gen_chance(&rng, 0.45))
			break;
		removal = ep->discharge + 30 + (int32_t)(-log(1.0 - gen_unit(&rng)) * 300.0);
		if (removal > as_of || gen_age(birth_month, removal) >= 18)
			break;
		if (gen_chance(&rng, 0.1))
			county = gen_pick_county(ctx, &rng);
	}
	if (episodes > 1)
		ctx->reentered_children++;
	if (ever_missing)
		ctx->missing_children++;
}

/* ---- contract-breaking rows (--bad-rows) -------------------------------- */

/* A clean host: a child, a discharged episode [removal, discharge) and one
 * foster-home placement covering it. Options bend exactly one thing. */
struct gen_host {
	int64_t child_key;         /* out */
	int64_t episode_key;       /* out */
	int32_t removal;           /* out: first day in care */
	int32_t discharge;         /* out: GEN_NO_DAY for an open host */
	const char *sex;           /* override, or NULL */
	const char *race;          /* override, or NULL */
	const char *reason;        /* override, or NULL */
	unsigned birth_day;        /* 0: the 1st */
	int32_t placement_overrun; /* days the placement runs past discharge */
	bool open;                 /* still in care */
	bool duplicate_child;      /* write the child row twice */
	bool duplicate_episode;    /* write the episode row twice */
	bool duplicate_placement;  /* write the placement row twice */
};

static void gen_host(struct gen_ctx *ctx, struct gen_rng *rng, struct gen_host *h)
{
	const int32_t as_of = ctx->opt->as_of;
	h->removal = as_of - 900 + (int32_t)gen_range(rng, 0, 300);
	h->discharge = h->open ? GEN_NO_DAY : h->removal + 300;
	h->child_key = gen_new_key(ctx, GEN_CHILDREN);
	h->episode_key = gen_new_key(ctx, GEN_EPISODES);
	int y;
	unsigned m, d;
	gen_civil_from_days(h->removal, &y, &m, &d);
	int32_t birth = gen_days_from_civil(y - 14, m, 1);
	for (int i = 0; i < (h->duplicate_child ? 2 : 1); i++)
		gen_emit_child(ctx, h->child_key, birth, true, h->birth_day,
		               h->sex ? h->sex : "female", h->race ? h->race : "white");
	for (int i = 0; i < (h->duplicate_episode ? 2 : 1); i++)
		gen_emit_episode(ctx, h->episode_key, h->child_key, gen_county_names[0], h->removal,
		                 h->discharge, h->reason ? h->reason : "reunification");
	int64_t placement_key = gen_new_key(ctx, GEN_PLACEMENTS);
	int32_t end = h->open ? GEN_NO_DAY : h->discharge + h->placement_overrun;
	for (int i = 0; i < (h->duplicate_placement ? 2 : 1); i++)
		gen_emit_placement(ctx, placement_key, h->episode_key, "foster_home",
		                   gen_provider(ctx, rng), h->removal, end);
}

/* A clean missing episode beginning `offset` days after removal, at 10:00
 * UTC: went, informed +2 h, LE +3 h, NCMEC +5 h, back after 2 days, screened
 * 5 h after the return, negative. */
static struct gen_missing gen_clean_missing(int32_t removal, int32_t offset)
{
	int64_t went = (int64_t)(removal + offset) * GEN_DAY_SECONDS + 10 * GEN_HOUR;
	int64_t back = went + 2 * GEN_DAY_SECONDS;
	return (struct gen_missing){.went_missing_at = went,
	                            .agency_informed_at = went + 2 * GEN_HOUR,
	                            .returned_at = back,
	                            .reported_le_at = went + 3 * GEN_HOUR,
	                            .reported_ncmec_at = went + 5 * GEN_HOUR,
	                            .screened_at = back + 5 * GEN_HOUR,
	                            .screen_result = "negative"};
}

/* The identifications' bad rows, several of each kind, all on the clean
 * host episode ctx->id_host (discharged on or before as_of - 30, 20+ days)
 * or a dangling key, at 12:00 UTC so that the day is the same rule's in
 * every time zone: a dangling episode key; an exact copy of a clean row (a
 * day in care, reported an hour later); while_in_care true but dated ten or
 * more days before the removal, or three or more after the discharge; and
 * one on an episode that gen_bad_rows() left out (drop_parent_dropped). */
static void gen_bad_identifications(struct gen_ctx *ctx, uint64_t *dangling)
{
	const struct gen_id_host *h = &ctx->id_host;
	const int32_t as_of = ctx->opt->as_of;
	struct gen_rng rng;
	gen_rng_seed(&rng, ctx->opt->seed, GEN_ID_BAD_STREAM);
	if (!h->episode_key)
		return; /* no discharged episode to refer to (a tiny data set) */
	unsigned n = 5 + (unsigned)gen_range(&rng, 0, 1);
	for (unsigned j = 0; j < n; j++) {
		int64_t t = (int64_t)(as_of - 100 - (int32_t)j) * GEN_DAY_SECONDS + 12 * GEN_HOUR;
		gen_emit_identification(ctx, gen_new_key(ctx, GEN_IDENTIFICATIONS),
		                        gen_key(ctx->salt[GEN_EPISODES], (*dangling)++), t,
		                        j % 2 == 0, t + 2 * GEN_HOUR);
		ctx->expected[GEN_DANGLING_PARENT]++;

		int32_t day = h->removal + 1 + (int32_t)j % (h->discharge - h->removal - 2);
		t = (int64_t)day * GEN_DAY_SECONDS + 12 * GEN_HOUR;
		int64_t key = gen_new_key(ctx, GEN_IDENTIFICATIONS);
		for (int copy = 0; copy < 2; copy++)
			gen_emit_identification(ctx, key, h->episode_key, t, true, t + GEN_HOUR);
		ctx->expected[GEN_DUPLICATE_KEY]++;

		day = j % 2 ? h->removal - 10 - (int32_t)j : h->discharge + 3 + (int32_t)j;
		t = (int64_t)day * GEN_DAY_SECONDS + 12 * GEN_HOUR;
		gen_emit_identification(ctx, gen_new_key(ctx, GEN_IDENTIFICATIONS), h->episode_key,
		                        t, true, t + GEN_HOUR);
		ctx->expected[GEN_IDENTIFICATION_OUTSIDE_CARE]++;

		/* On an episode left out by another rule (its child's, or its own):
		 * parent dropped, before any rule of the identification's own. */
		int64_t dropped = j % 2 ? h->dropped_episode : h->orphan_episode;
		if (dropped) {
			t = (int64_t)(as_of - 200 - (int32_t)j) * GEN_DAY_SECONDS + 12 * GEN_HOUR;
			gen_emit_identification(ctx, gen_new_key(ctx, GEN_IDENTIFICATIONS), dropped,
			                        t, j % 2 == 0, t + GEN_HOUR);
			ctx->expected[GEN_PARENT_DROPPED]++;
		}
	}
}

static void gen_bad_rows(struct gen_ctx *ctx)
{
	static const char *const bad_settings[] = {"shelter", "kinship", "FH", "jail"};
	static const char *const bad_sex[] = {"X", "U", "9", "nonbinary"};
	static const char *const bad_race[] = {"other", "W", "two_or_more", "7"};
	static const char *const bad_reason[] = {"aged_out", "AWOL", "99", "closed"};
	static const char *const bad_screen[] = {"pending", "refused", "POS", "yes"};
	const int32_t as_of = ctx->opt->as_of;
	struct gen_rng rng;
	gen_rng_seed(&rng, ctx->opt->seed, UINT64_C(0xBAD0000000000000));
	uint64_t dangling = GEN_DANGLING_BASE;

	for (unsigned rule = 0; rule < GEN_FIRST_IDENTIFICATION_RULE; rule++) {
		if (rule == GEN_DATE_OUT_OF_RANGE || rule == GEN_TEXT_INVALID_ENCODING ||
		    rule == GEN_COUNTY_NAME_CUT)
			continue;
		unsigned n = 5 + (unsigned)gen_range(&rng, 0, 1); /* every variant at least once */
		for (unsigned j = 0; j < n; j++) {
			struct gen_host h = {0};
			struct gen_missing m;
			switch ((enum gen_rule)rule) {
			case GEN_DUPLICATE_KEY:
				/* An exact copy of a clean row, one table after another. */
				h.duplicate_child = j % 5 == 0;
				h.duplicate_episode = j % 5 == 1;
				h.duplicate_placement = j % 5 == 2;
				gen_host(ctx, &rng, &h);
				if (j % 5 == 3) {
					m = gen_clean_missing(h.removal, 40);
					int64_t key = gen_new_key(ctx, GEN_MISSING);
					gen_emit_missing(ctx, key, h.episode_key, &m);
					gen_emit_missing(ctx, key, h.episode_key, &m);
				} else if (j % 5 == 4) {
					int64_t key = gen_new_key(ctx, GEN_ASSIGNMENTS);
					gen_emit_assignment(ctx, key, h.episode_key, h.removal + 20,
					                    h.discharge);
					gen_emit_assignment(ctx, key, h.episode_key, h.removal + 20,
					                    h.discharge);
				}
				break;
			case GEN_DANGLING_PARENT: {
				int64_t episode = gen_key(ctx->salt[GEN_EPISODES], dangling);
				int64_t child = gen_key(ctx->salt[GEN_CHILDREN], dangling++);
				int32_t day = as_of - 600;
				if (j % 4 == 0) {
					gen_emit_placement(ctx, gen_new_key(ctx, GEN_PLACEMENTS),
					                   episode, "foster_home", 0, day,
					                   day + 30);
				} else if (j % 4 == 1) {
					m = gen_clean_missing(day, 0);
					gen_emit_missing(ctx, gen_new_key(ctx, GEN_MISSING),
					                 episode, &m);
				} else if (j % 4 == 2) {
					gen_emit_assignment(ctx, gen_new_key(ctx, GEN_ASSIGNMENTS),
					                    episode, day, day + 30);
				} else {
					gen_emit_episode(ctx, gen_new_key(ctx, GEN_EPISODES), child,
					                 gen_county_names[0], day, day + 30,
					                 "reunification");
				}
				break;
			}
			case GEN_EPISODE_ENDS_BEFORE_START: {
				/* With a placement and a missing episode of its own: they go
				 * with it (parent dropped). j == 0: discharged on the removal
				 * day, kept with no day in care (issue 17): its placement and
				 * missing episode fall to their outside-care rules instead. */
				int64_t child = gen_new_key(ctx, GEN_CHILDREN);
				int64_t episode = gen_new_key(ctx, GEN_EPISODES);
				int32_t removal = as_of - 500;
				gen_emit_child(ctx, child, gen_days_from_civil(2012, 3, 1), true, 0,
				               "male", "black");
				gen_emit_episode(ctx, episode, child, gen_county_names[0], removal,
				                 removal - (int32_t)j * 7, "reunification");
				gen_emit_placement(ctx, gen_new_key(ctx, GEN_PLACEMENTS), episode,
				                   "foster_home", 0, removal, removal + 10);
				m = gen_clean_missing(removal, 3);
				gen_emit_missing(ctx, gen_new_key(ctx, GEN_MISSING), episode, &m);
				if (j == 0) {
					ctx->expected[GEN_PLACEMENT_OUTSIDE_CARE]++;
					ctx->expected[GEN_MISSING_OUTSIDE_CARE]++;
					continue; /* not an episode ending before it starts */
				}
				ctx->expected[GEN_PARENT_DROPPED] += 2;
				ctx->id_host.dropped_episode = episode;
				break;
			}
			case GEN_PLACEMENT_ENDS_BEFORE_START:
				gen_host(ctx, &rng, &h);
				gen_emit_placement(ctx, gen_new_key(ctx, GEN_PLACEMENTS),
				                   h.episode_key, "group_home", 0, h.removal + 50,
				                   h.removal + 50 - (int32_t)j * 5);
				break;
			case GEN_PLACEMENT_UNKNOWN_SETTING:
				gen_host(ctx, &rng, &h);
				gen_emit_placement(ctx, gen_new_key(ctx, GEN_PLACEMENTS),
				                   h.episode_key, bad_settings[j % 4], 0,
				                   h.removal + 50, h.removal + 60);
				break;
			case GEN_PLACEMENT_OUTSIDE_CARE:
				gen_host(ctx, &rng, &h);
				gen_emit_placement(ctx, gen_new_key(ctx, GEN_PLACEMENTS),
				                   h.episode_key, "relative_home", 0,
				                   h.removal - 30, h.removal - 10);
				break;
			case GEN_ASSIGNMENT_ENDS_BEFORE_START:
				gen_host(ctx, &rng, &h);
				gen_emit_assignment(ctx, gen_new_key(ctx, GEN_ASSIGNMENTS),
				                    h.episode_key, h.removal + 50,
				                    h.removal + 50 - (int32_t)j * 5);
				break;
			case GEN_ASSIGNMENT_OUTSIDE_CARE:
				/* Before removal, or from the discharge day on. */
				gen_host(ctx, &rng, &h);
				if (j % 2 == 0)
					gen_emit_assignment(ctx, gen_new_key(ctx, GEN_ASSIGNMENTS),
					                    h.episode_key, h.removal - 30,
					                    h.removal - 5);
				else
					gen_emit_assignment(ctx, gen_new_key(ctx, GEN_ASSIGNMENTS),
					                    h.episode_key, h.discharge + (int32_t)j,
					                    h.discharge + 40);
				break;
			case GEN_MISSING_RETURNS_BEFORE_MISSING:
				gen_host(ctx, &rng, &h);
				m = gen_clean_missing(h.removal, 60);
				m.returned_at = m.went_missing_at - 2 * GEN_DAY_SECONDS;
				m.screened_at = GEN_NO_TS;
				m.screen_result = NULL;
				gen_emit_missing(ctx, gen_new_key(ctx, GEN_MISSING), h.episode_key,
				                 &m);
				break;
			case GEN_MISSING_OUTSIDE_CARE:
				/* Ten days before removal, or five days after discharge. */
				gen_host(ctx, &rng, &h);
				m = gen_clean_missing(h.removal, j % 2 == 0 ? -10 : 305);
				gen_emit_missing(ctx, gen_new_key(ctx, GEN_MISSING), h.episode_key,
				                 &m);
				break;
			case GEN_NULL_REQUIRED:
				/* Null birth_month; null county; null removal_date; null
				 * placement start_date; null assignment start_date. */
				if (j % 5 == 0) {
					gen_emit_child(ctx, gen_new_key(ctx, GEN_CHILDREN), 0,
					               false, 0, "male", "white");
				} else if (j % 5 <= 2) {
					int64_t child = gen_new_key(ctx, GEN_CHILDREN);
					int32_t day = as_of - 400;
					gen_emit_child(ctx, child, gen_days_from_civil(2011, 7, 1),
					               true, 0, "male", "white");
					gen_emit_episode(ctx, gen_new_key(ctx, GEN_EPISODES), child,
					                 j % 5 == 1 ? NULL : gen_county_names[0],
					                 j % 5 == 2 ? GEN_NO_DAY : day, day + 30,
					                 "reunification");
				} else {
					gen_host(ctx, &rng, &h);
					if (j % 5 == 3)
						gen_emit_placement(ctx,
						                   gen_new_key(ctx, GEN_PLACEMENTS),
						                   h.episode_key, "foster_home", 0,
						                   GEN_NO_DAY, h.removal + 60);
					else
						gen_emit_assignment(
						    ctx, gen_new_key(ctx, GEN_ASSIGNMENTS),
						    h.episode_key, GEN_NO_DAY, h.removal + 60);
				}
				break;
			case GEN_OVERLAPPING_PLACEMENTS:
				/* Inside the host's only placement: overlaps one earlier one. */
				gen_host(ctx, &rng, &h);
				gen_emit_placement(ctx, gen_new_key(ctx, GEN_PLACEMENTS),
				                   h.episode_key, "relative_home", 0,
				                   h.removal + 50, h.removal + 150);
				break;
			case GEN_PLACEMENT_AFTER_DISCHARGE:
				h.placement_overrun = 10 + (int32_t)j;
				gen_host(ctx, &rng, &h);
				break;
			case GEN_REPORT_BEFORE_INFORMED:
				/* One report column early per row: LE, NCMEC, or LE before
				 * went_missing_at when agency_informed_at is null. */
				gen_host(ctx, &rng, &h);
				m = gen_clean_missing(h.removal, 70);
				m.agency_informed_at = m.went_missing_at + 6 * GEN_HOUR;
				m.reported_le_at = m.agency_informed_at + GEN_HOUR;
				m.reported_ncmec_at = m.agency_informed_at + 2 * GEN_HOUR;
				if (j % 3 == 0) {
					m.reported_le_at = m.went_missing_at + 2 * GEN_HOUR;
				} else if (j % 3 == 1) {
					m.reported_ncmec_at = m.went_missing_at + 3 * GEN_HOUR;
				} else {
					m.agency_informed_at = GEN_NO_TS;
					m.reported_le_at = m.went_missing_at - GEN_HOUR;
					m.reported_ncmec_at = m.went_missing_at + 4 * GEN_HOUR;
				}
				gen_emit_missing(ctx, gen_new_key(ctx, GEN_MISSING), h.episode_key,
				                 &m);
				break;
			case GEN_SCREEN_BEFORE_RETURN:
				gen_host(ctx, &rng, &h);
				m = gen_clean_missing(h.removal, 80);
				m.screened_at = m.returned_at - 5 * GEN_HOUR;
				gen_emit_missing(ctx, gen_new_key(ctx, GEN_MISSING), h.episode_key,
				                 &m);
				break;
			case GEN_UNKNOWN_SEX:
				h.sex = bad_sex[j % 4];
				gen_host(ctx, &rng, &h);
				break;
			case GEN_UNKNOWN_RACE:
				h.race = bad_race[j % 4];
				gen_host(ctx, &rng, &h);
				break;
			case GEN_UNKNOWN_DISCHARGE_REASON:
				h.reason = bad_reason[j % 4];
				gen_host(ctx, &rng, &h);
				break;
			case GEN_UNKNOWN_SCREEN_RESULT:
				gen_host(ctx, &rng, &h);
				m = gen_clean_missing(h.removal, 90);
				m.screen_result = bad_screen[j % 4];
				gen_emit_missing(ctx, gen_new_key(ctx, GEN_MISSING), h.episode_key,
				                 &m);
				break;
			case GEN_BIRTH_MONTH_NOT_FIRST:
				h.birth_day = 2 + j;
				gen_host(ctx, &rng, &h);
				break;
			case GEN_IGNORED_AFTER_AS_OF:
				/* An open host; a row of it starting after as_of (a
				 * placement, an assignment, a missing episode), or a whole
				 * episode removed after as_of. */
				h.open = true;
				gen_host(ctx, &rng, &h);
				if (j % 4 == 0) {
					gen_emit_placement(ctx, gen_new_key(ctx, GEN_PLACEMENTS),
					                   h.episode_key, "group_home", 0,
					                   as_of + 10, GEN_NO_DAY);
				} else if (j % 4 == 1) {
					gen_emit_assignment(ctx, gen_new_key(ctx, GEN_ASSIGNMENTS),
					                    h.episode_key, as_of + 3, GEN_NO_DAY);
				} else if (j % 4 == 2) {
					m = gen_clean_missing(as_of, 3);
					m.returned_at = GEN_NO_TS;
					m.screened_at = GEN_NO_TS;
					m.screen_result = NULL;
					gen_emit_missing(ctx, gen_new_key(ctx, GEN_MISSING),
					                 h.episode_key, &m);
				} else {
					gen_emit_episode(ctx, gen_new_key(ctx, GEN_EPISODES),
					                 h.child_key, gen_county_names[0],
					                 as_of + 5, GEN_NO_DAY, NULL);
				}
				break;
			case GEN_PARENT_DROPPED: {
				/* An episode (with a placement, j odd) of a child whose
				 * birth_month is null: the child falls to null_required,
				 * counted there; its episode (and the placement) to this
				 * rule. */
				int64_t child = gen_new_key(ctx, GEN_CHILDREN);
				int64_t episode = gen_new_key(ctx, GEN_EPISODES);
				int32_t removal = as_of - 450 + (int32_t)j;
				gen_emit_child(ctx, child, 0, false, 0, "female", "white");
				ctx->expected[GEN_NULL_REQUIRED]++;
				gen_emit_episode(ctx, episode, child, gen_county_names[0], removal,
				                 removal + 20, "reunification");
				ctx->id_host.orphan_episode = episode;
				if (j % 2 == 1) {
					gen_emit_placement(ctx, gen_new_key(ctx, GEN_PLACEMENTS),
					                   episode, "foster_home", 0, removal,
					                   removal + 20);
					ctx->expected[GEN_PARENT_DROPPED]++;
				}
				break;
			}
			case GEN_BEFORE_EARLIEST_DATE: {
				/* A row starting before the daemon's default earliest_date
				 * (CONFIG_DEFAULT_EARLIEST_DATE, 2000-01-01): a whole episode
				 * removed in 1950 + j, whose placement dated 2001 goes with
				 * it (parent dropped); a clean host's placement or
				 * assignment starting in 1999. */
				int32_t last_1999 = gen_days_from_civil(1999, 12, 31) - (int32_t)j;
				if (j % 3 == 0) {
					int64_t child = gen_new_key(ctx, GEN_CHILDREN);
					int64_t episode = gen_new_key(ctx, GEN_EPISODES);
					int32_t removal = gen_days_from_civil(1950 + (int)j, 3, 1);
					gen_emit_child(ctx, child, gen_days_from_civil(1945, 6, 1),
					               true, 0, "female", "white");
					gen_emit_episode(ctx, episode, child, gen_county_names[0],
					                 removal, removal + 400, "reunification");
					gen_emit_placement(ctx, gen_new_key(ctx, GEN_PLACEMENTS),
					                   episode, "foster_home", 0,
					                   gen_days_from_civil(2001, 1, 1),
					                   GEN_NO_DAY);
					ctx->expected[GEN_PARENT_DROPPED]++;
				} else {
					gen_host(ctx, &rng, &h);
					if (j % 3 == 1)
						gen_emit_placement(ctx,
						                   gen_new_key(ctx, GEN_PLACEMENTS),
						                   h.episode_key, "foster_home", 0,
						                   last_1999 - 30, last_1999);
					else
						gen_emit_assignment(
						    ctx, gen_new_key(ctx, GEN_ASSIGNMENTS),
						    h.episode_key, last_1999 - 30, last_1999);
				}
				break;
			}
			case GEN_COUNTY_NAME_CUT: /* skipped above */
			case GEN_DATE_OUT_OF_RANGE:
			case GEN_TEXT_INVALID_ENCODING:
			case GEN_IDENTIFICATION_OUTSIDE_CARE: /* gen_bad_identifications() */
			case GEN_REPORT_BEFORE_IDENTIFIED:
			case GEN_RULE_COUNT:
				break;
			}
			ctx->expected[rule]++;
		}
	}
	if (ctx->identifications)
		gen_bad_identifications(ctx, &dangling);
}

/* ---- database ------------------------------------------------------------ */

static const char *gen_field(const PGresult *res, int field)
{
	const char *value = res ? PQresultErrorField(res, field) : NULL;
	return value ? value : "-";
}

/* Reports a failed statement without any row value: data exceptions (class
 * 22) and integrity violations (class 23) quote values in their messages and
 * details, so for them only the SQLSTATE and the table, column and constraint
 * names are printed. */
static void gen_sql_error(PGconn *conn, const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (state && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0))
		fprintf(stderr, "casa-gen: %s: SQLSTATE %s (table %s, column %s, constraint %s)\n",
		        what, state, gen_field(res, PG_DIAG_TABLE_NAME),
		        gen_field(res, PG_DIAG_COLUMN_NAME),
		        gen_field(res, PG_DIAG_CONSTRAINT_NAME));
	else if (res && PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY))
		fprintf(stderr, "casa-gen: %s: %s\n", what,
		        gen_field(res, PG_DIAG_MESSAGE_PRIMARY));
	else
		fprintf(stderr, "casa-gen: %s: %s", what, PQerrorMessage(conn));
}

GEN_MUSTCHECK static bool gen_exec(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok)
		gen_sql_error(conn, res, "statement");
	PQclear(res);
	return ok;
}

/* Runs a query that takes the schema name as $1; caller PQclear()s the
 * result, NULL on failure (already reported). */
static PGresult *gen_query_schema(PGconn *conn, const char *sql, const char *schema)
{
	const char *params[1] = {schema};
	PGresult *res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		gen_sql_error(conn, res, "catalog query");
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Executes the SQL statement in column col of every row of res. */
GEN_MUSTCHECK static bool gen_exec_column(PGconn *conn, PGresult *res, int col)
{
	for (int i = 0; i < PQntuples(res); i++)
		if (!PQgetisnull(res, i, col) && !gen_exec(conn, PQgetvalue(res, i, col)))
			return false;
	return true;
}

#define GEN_TABLES_SQL                                                                             \
	"ARRAY['children','episodes','placements','missing_episodes','advocate_assignments',"      \
	"'trafficking_identifications','extract_batches']"

/* Whether the schema has the optional identifications table. */
static const char gen_identifications_sql[] =
    "SELECT 1 FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace "
    "WHERE n.nspname = $1 AND t.relname = 'trafficking_identifications' AND t.relkind IN ('r','p')";

/* Constraints of the tables: drop and re-create statements, foreign keys
 * first (they depend on the primary keys). With `all`, CHECKs too. */
static const char gen_constraints_sql[] =
    "SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),"
    "       format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,"
    "              pg_get_constraintdef(c.oid)),"
    "       c.contype "
    "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
    " JOIN pg_namespace n ON n.oid = t.relnamespace "
    "WHERE n.nspname = $1 AND t.relname = ANY(" GEN_TABLES_SQL ") AND c.contype IN "
    "('f','p','u','c') ORDER BY (c.contype = 'f') DESC, (c.contype = 'c') DESC, c.conname";

/* Plain indexes (not behind a constraint): dropped for the load, rebuilt after. */
static const char gen_indexes_sql[] =
    "SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid) "
    "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
    " JOIN pg_namespace n ON n.oid = t.relnamespace "
    "WHERE n.nspname = $1 AND t.relname = ANY(" GEN_TABLES_SQL ") AND NOT EXISTS "
    "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1";

static const char gen_not_null_sql[] =
    "SELECT format('ALTER TABLE %I.%I ALTER COLUMN %I DROP NOT NULL', n.nspname, t.relname,"
    "              a.attname) "
    "FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid"
    " JOIN pg_namespace n ON n.oid = t.relnamespace "
    "WHERE n.nspname = $1 AND t.relname = ANY(" GEN_TABLES_SQL ") AND a.attnum > 0"
    " AND NOT a.attisdropped AND a.attnotnull ORDER BY 1";

GEN_MUSTCHECK static bool gen_copy_table(struct gen_ctx *ctx, PGconn *conn,
                                         const char *schema_ident, enum gen_table table)
{
	char sql[512];
	const char *abort_reason = "out of memory";
	struct gen_out out = {.conn = conn, .cap = GEN_BUF_SIZE};
	struct gen_episode *ep = NULL;
	snprintf(sql, sizeof sql, "COPY %s.%s (%s) FROM STDIN WITH (FREEZE)", schema_ident,
	         gen_table_names[table], gen_copy_columns[table]);
	PGresult *res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		gen_sql_error(conn, res, gen_table_names[table]);
		PQclear(res);
		return false;
	}
	PQclear(res);
	out.data = malloc(out.cap);
	ep = malloc(sizeof *ep);
	if (!out.data || !ep)
		goto fail;
	/* A new pass: the same simulation from the start. */
	memset(ctx->next, 0, sizeof ctx->next);
	memset(ctx->rows, 0, sizeof ctx->rows);
	memset(ctx->expected, 0, sizeof ctx->expected);
	ctx->open_episodes = ctx->reentered_children = ctx->missing_children = 0;
	ctx->id_host = (struct gen_id_host){0};
	ctx->target = table;
	ctx->out = &out;
	for (uint64_t i = 0; i < ctx->opt->children && !out.failed; i++)
		gen_child(ctx, i, ep);
	if (ctx->opt->bad_rows)
		gen_bad_rows(ctx);
	gen_flush(&out);
	abort_reason = out.failed ? "send failed" : NULL;
fail:
	free(ep);
	free(out.data);
	/* End the COPY either way, and read its outcome (an abort is an error). */
	bool ok = PQputCopyEnd(conn, abort_reason) == 1;
	bool reported = false;
	while ((res = PQgetResult(conn))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			ok = false;
			if (!reported)
				gen_sql_error(conn, res, gen_table_names[table]);
			reported = true;
		}
		PQclear(res);
	}
	if (!ok && !reported)
		fprintf(stderr, "casa-gen: COPY %s: %s\n", gen_table_names[table],
		        abort_reason ? abort_reason : "failed");
	return ok && !abort_reason;
}

GEN_MUSTCHECK static bool gen_write_report(const struct gen_ctx *ctx, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "casa-gen: %s: %s\n", path, strerror(errno));
		return false;
	}
	unsigned rules = ctx->identifications ? GEN_RULE_COUNT : GEN_FIRST_IDENTIFICATION_RULE;
	fputs("{\n", f);
	for (unsigned r = 0; r < rules; r++)
		fprintf(f, "  \"%s\": %" PRIu64 "%s\n", gen_rule_names[r], ctx->expected[r],
		        r + 1 < rules ? "," : "");
	fputs("}\n", f);
	bool ok = fflush(f) == 0 && !ferror(f);
	if (fclose(f) != 0)
		ok = false;
	if (!ok)
		fprintf(stderr, "casa-gen: %s: write failed\n", path);
	return ok;
}

static double gen_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether this load writes the table (the identifications are optional). */
static bool gen_loads(const struct gen_ctx *ctx, enum gen_table table)
{
	return table != GEN_IDENTIFICATIONS || ctx->identifications;
}

/* "schema.children, schema.episodes, ..." for the data tables loaded. */
static void gen_table_list(const struct gen_ctx *ctx, char *buf, size_t size,
                           const char *schema_ident)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int t = 0; t < GEN_TABLE_COUNT && len < size; t++)
		if (gen_loads(ctx, (enum gen_table)t))
			len += (size_t)snprintf(buf + len, size - len, "%s%s.%s", t ? ", " : "",
			                        schema_ident, gen_table_names[t]);
}

GEN_MUSTCHECK static bool gen_load(struct gen_ctx *ctx)
{
	const struct gen_options *opt = ctx->opt;
	double t0 = gen_seconds();
	bool ok = false;
	PGresult *constraints = NULL, *indexes = NULL, *not_null = NULL, *res = NULL;
	char *schema_ident = NULL;
	char sql[1024], tables[768];
	PGconn *conn = PQconnectdb(opt->conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "casa-gen: connect: %s", PQerrorMessage(conn));
		goto fail;
	}
	schema_ident = PQescapeIdentifier(conn, opt->schema, strlen(opt->schema));
	if (!schema_ident || !gen_exec(conn, "BEGIN") ||
	    !gen_exec(conn, "SET LOCAL client_min_messages = warning"))
		goto fail;
	if (opt->no_identifications) {
		snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s.trafficking_identifications",
		         schema_ident);
		if (!gen_exec(conn, sql))
			goto fail;
	}
	res = gen_query_schema(conn, gen_identifications_sql, opt->schema);
	if (!res)
		goto fail;
	ctx->identifications = PQntuples(res) > 0;
	PQclear(res);
	res = NULL;
	gen_table_list(ctx, tables, sizeof tables, schema_ident);
	snprintf(sql, sizeof sql, "LOCK TABLE %s, %s.extract_batches IN ACCESS EXCLUSIVE MODE",
	         tables, schema_ident);
	if (!gen_exec(conn, sql))
		goto fail;
	constraints = gen_query_schema(conn, gen_constraints_sql, opt->schema);
	indexes = gen_query_schema(conn, gen_indexes_sql, opt->schema);
	if (!constraints || !indexes)
		goto fail;
	/* Loading without keys and indexes, then building them once, is several
	 * times faster than checking every row; the re-created constraints
	 * still validate every row. CHECKs stay: they are cheap per row. */
	for (int i = 0; i < PQntuples(constraints); i++) {
		char type = PQgetvalue(constraints, i, 2)[0];
		if ((type != 'c' || opt->bad_rows) &&
		    !gen_exec(conn, PQgetvalue(constraints, i, 0)))
			goto fail;
	}
	if (!gen_exec_column(conn, indexes, 0))
		goto fail;
	if (opt->bad_rows) {
		not_null = gen_query_schema(conn, gen_not_null_sql, opt->schema);
		if (!not_null || !gen_exec_column(conn, not_null, 0))
			goto fail;
		fprintf(
		    stderr,
		    "casa-gen: --bad-rows: removed %d CHECK/FOREIGN KEY/PRIMARY KEY/UNIQUE "
		    "constraints and %d NOT NULL constraints of schema %s (they stay removed)\n",
		    PQntuples(constraints), PQntuples(not_null), opt->schema);
	}
	snprintf(sql, sizeof sql, "TRUNCATE %s", tables);
	if (!gen_exec(conn, sql))
		goto fail;
	for (int t = 0; t < GEN_TABLE_COUNT; t++) {
		if (!gen_loads(ctx, (enum gen_table)t))
			continue;
		double t1 = gen_seconds();
		if (!gen_copy_table(ctx, conn, schema_ident, (enum gen_table)t))
			goto fail;
		fprintf(stderr, "casa-gen: %-27s %10" PRIu64 " rows  %6.1f s\n", gen_table_names[t],
		        ctx->rows[t], gen_seconds() - t1);
	}
	double t2 = gen_seconds();
	if (!gen_exec_column(conn, indexes, 1))
		goto fail;
	if (!opt->bad_rows)
		for (int i = PQntuples(constraints) - 1; i >= 0; i--)
			if (PQgetvalue(constraints, i, 2)[0] != 'c' &&
			    !gen_exec(conn, PQgetvalue(constraints, i, 1)))
				goto fail;
	fprintf(stderr, "casa-gen: %s rebuilt in %.1f s\n",
	        opt->bad_rows ? "indexes" : "keys, indexes and constraints", gen_seconds() - t2);
	/* The ETL log: a month of daily loads on a fresh schema, then this load
	 * as max + 1, so the refresh key changes on every load. */
	snprintf(sql, sizeof sql,
	         "INSERT INTO %s.extract_batches (batch_id, loaded_at) "
	         "SELECT g, now() - make_interval(days => %d - g) FROM generate_series(1, %d) g "
	         "WHERE NOT EXISTS (SELECT 1 FROM %s.extract_batches)",
	         schema_ident, GEN_HISTORY_DAYS, GEN_HISTORY_DAYS, schema_ident);
	if (!gen_exec(conn, sql))
		goto fail;
	snprintf(sql, sizeof sql,
	         "INSERT INTO %s.extract_batches (batch_id, loaded_at) "
	         "SELECT coalesce(max(batch_id), 0) + 1, now() FROM %s.extract_batches "
	         "RETURNING batch_id",
	         schema_ident, schema_ident);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		gen_sql_error(conn, res, "extract_batches");
		goto fail;
	}
	fprintf(stderr, "casa-gen: extract_batches: batch %s\n", PQgetvalue(res, 0, 0));
	if (!gen_exec(conn, "COMMIT"))
		goto fail;
	for (int t = 0; t < GEN_TABLE_COUNT; t++) {
		snprintf(sql, sizeof sql, "ANALYZE %s.%s", schema_ident, gen_table_names[t]);
		if (gen_loads(ctx, (enum gen_table)t) && !gen_exec(conn, sql))
			goto fail;
	}
	uint64_t total = 0;
	for (int t = 0; t < GEN_TABLE_COUNT; t++)
		total += ctx->rows[t];
	double secs = gen_seconds() - t0;
	fprintf(stderr,
	        "casa-gen: %" PRIu64 " rows in %.1f s (%.0f rows/s); %.1f%% of episodes open at "
	        "as_of, %.1f%% of children re-entered, %.1f%% ever missing\n",
	        total, secs, (double)total / (secs > 0 ? secs : 1),
	        100.0 * (double)ctx->open_episodes /
	            (double)(ctx->rows[GEN_EPISODES] + (ctx->rows[GEN_EPISODES] == 0)),
	        100.0 * (double)ctx->reentered_children / (double)opt->children,
	        100.0 * (double)ctx->missing_children / (double)opt->children);
	ok = true;
fail:
	PQclear(res);
	PQclear(constraints);
	PQclear(indexes);
	PQclear(not_null);
	PQfreemem(schema_ident);
	PQfinish(conn);
	return ok;
}

static void gen_usage(FILE *f)
{
	fputs("usage: casa-gen --db CONNINFO [--children N=10000] [--seed S=1]\n"
	      "                [--as-of YYYY-MM-DD (default today)] [--years Y=6]\n"
	      "                [--counties N=12] [--small-counties] [--bad-rows]\n"
	      "                [--bad-report FILE] [--schema deid] [--no-identifications]\n",
	      f);
}

GEN_MUSTCHECK static bool gen_parse_u64(const char *text, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

GEN_MUSTCHECK static bool gen_parse_args(int argc, char **argv, struct gen_options *opt)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"children", required_argument, NULL, 'n'},
	    {"seed", required_argument, NULL, 's'},
	    {"as-of", required_argument, NULL, 'a'},
	    {"years", required_argument, NULL, 'y'},
	    {"counties", required_argument, NULL, 'c'},
	    {"small-counties", no_argument, NULL, 'S'},
	    {"bad-rows", no_argument, NULL, 'b'},
	    {"bad-report", required_argument, NULL, 'r'},
	    {"schema", required_argument, NULL, 'm'},
	    {"no-identifications", no_argument, NULL, 'I'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opt->conninfo = optarg;
			break;
		case 'n':
			if (!gen_parse_u64(optarg, 1, 100000000, &opt->children))
				goto bad;
			break;
		case 's':
			if (!gen_parse_u64(optarg, 0, UINT64_MAX, &opt->seed))
				goto bad;
			break;
		case 'a':
			if (!gen_parse_date(optarg, &opt->as_of))
				goto bad;
			break;
		case 'y':
			if (!gen_parse_u64(optarg, 1, 50, &v))
				goto bad;
			opt->years = (int)v;
			break;
		case 'c':
			if (!gen_parse_u64(optarg, 1, GEN_MAX_COUNTIES, &v))
				goto bad;
			opt->counties = (unsigned)v;
			break;
		case 'S':
			opt->small_counties = true;
			break;
		case 'b':
			opt->bad_rows = true;
			break;
		case 'r':
			opt->bad_report = optarg;
			break;
		case 'm':
			opt->schema = optarg;
			break;
		case 'I':
			opt->no_identifications = true;
			break;
		case 'h':
			gen_usage(stdout);
			exit(0);
		default:
			gen_usage(stderr);
			return false;
		}
	}
	if (optind != argc || !opt->conninfo) {
		gen_usage(stderr);
		return false;
	}
	return true;
bad:
	fprintf(stderr, "casa-gen: invalid option value: %s\n", optarg);
	gen_usage(stderr);
	return false;
}

/* County sizes are skewed (a few urban counties hold most children): Zipf
 * weights 1/rank. --small-counties adds a long tail of tiny counties, each
 * expected to hold 1-8 children, for disclosure-control tests. */
static void gen_counties(struct gen_ctx *ctx)
{
	const struct gen_options *opt = ctx->opt;
	unsigned big = opt->counties, total = big;
	if (opt->small_counties) {
		big = big > 4 ? 4 : big;
		total = opt->counties > 64 ? opt->counties : 64;
	}
	double tail = 0, zipf = 0, cum = 0;
	for (unsigned i = big; i < total; i++)
		tail += (1.0 + (double)(i % 8)) / (double)opt->children;
	/* With very few children the tail is capped at half of them. */
	double tail_scale = tail > 0.5 ? 0.5 / tail : 1.0;
	tail *= tail_scale;
	for (unsigned i = 0; i < big; i++)
		zipf += 1.0 / (i + 1);
	for (unsigned i = 0; i < total; i++) {
		if (i < big)
			cum += (1.0 - tail) / (i + 1) / zipf;
		else
			cum += tail_scale * (1.0 + (double)(i % 8)) / (double)opt->children;
		ctx->county_cdf[i] = cum;
	}
	ctx->county_count = total;
}

int main(int argc, char **argv)
{
	time_t now = time(NULL);
	struct gen_options opt = {.children = 10000,
	                          .seed = 1,
	                          .as_of = (int32_t)(now / GEN_DAY_SECONDS),
	                          .years = 6,
	                          .counties = 12,
	                          .schema = "deid"};
	if (!gen_parse_args(argc, argv, &opt))
		return 2;
	struct gen_ctx ctx = {.opt = &opt, .now = (int64_t)now};
	/* Nothing can have happened after now; an as_of in the future moves the
	 * horizon to its end. */
	if ((int64_t)opt.as_of * GEN_DAY_SECONDS > ctx.now)
		ctx.now = (int64_t)(opt.as_of + 1) * GEN_DAY_SECONDS - 1;
	ctx.today = (int32_t)(ctx.now / GEN_DAY_SECONDS);
	uint64_t salt_seed = opt.seed ^ UINT64_C(0x6361736167656e31);
	for (int i = 0; i < GEN_IDENTIFICATIONS; i++)
		ctx.salt[i] = gen_splitmix64(&salt_seed);
	ctx.salt[GEN_PROVIDER_SALT] = gen_splitmix64(&salt_seed);
	ctx.salt[GEN_IDENTIFICATIONS] = gen_splitmix64(&salt_seed);
	/* About one caregiver or facility for every three children. */
	ctx.provider_pool = opt.children / 3 + 50;
	gen_counties(&ctx);
	if (!gen_load(&ctx))
		return 1;
	if (opt.bad_report && !gen_write_report(&ctx, opt.bad_report))
		return 1;
	return 0;
}
