/*
 * test_snapshot.c — rendering (exact bytes), CSV escaping, ETag and id
 * stability, slicing, gzip, persistence and its refusal of damaged files,
 * the --once export. Every table is built by hand; expected bodies are
 * written out by hand below (the arithmetic is in the comments).
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "casa/disclosure.h"
#include "casa/interval.h"
#include "casa/metrics.h"
#include "casa/snapshot.h"
#include "test_files.h"

/* 2025-07-01T12:00:00Z: 2025-01-01 is day 55 * 365 + 14 leap days (1972 ..
 * 2024) = 20089; + 181 days (Jan..Jun 2025) = 20270; * 86400 = 1751328000;
 * + 12 h = 1751371200. */
#define GENERATED_AT 1751371200

/* The seven interval and change members of a row with none of them (a
 * suppressed row, a count, a first period), and the same as CSV fields. */
#define NO_STATS                                                                                   \
	"\"interval_low\":null,\"interval_high\":null,\"change_vs\":null,\"change\":null,"         \
	"\"change_low\":null,\"change_high\":null,\"change_direction\":null"
#define NO_CHANGE                                                                                  \
	"\"change_vs\":null,\"change\":null,\"change_low\":null,\"change_high\":null,"             \
	"\"change_direction\":null"
#define NO_STATS_CSV ",,,,,,,"

static struct disclosure_cell cell(int64_t numerator, int64_t denominator, double value)
{
	struct disclosure_cell c = {.numerator = numerator, .denominator = denominator};
	c.value = value;
	c.has_numerator = c.has_denominator = c.has_value = true;
	return c;
}

static struct disclosure_cell hidden(void)
{
	return (struct disclosure_cell){.suppressed = true};
}

/* A count: numerator = value, no denominator. */
static struct disclosure_cell count_cell(int64_t children)
{
	struct disclosure_cell c = cell(children, 0, (double)children);
	c.has_denominator = false;
	return c;
}

/* The hand-built result, as_of 2025-06-30, fiscal year from October. */
struct fixture {
	struct disclosure_cell discharges[2];  /* runaway_discharges_pct, year, total */
	struct disclosure_cell moves_fy[2];    /* moves_per_1000_days_in_care, FY, total */
	struct disclosure_cell still[2];       /* still_missing_count, month, advocate */
	struct disclosure_cell median[1];      /* days_missing_median, year, total */
	struct disclosure_cell county[3];      /* runaway_discharges_pct, year, county */
	struct disclosure_cell cohort[2];      /* placement_moves_per_1000_days, FY */
	struct disclosure_cell still_total[2]; /* still_missing_count, month, total */
	struct disclosure_table tables[7];     /* the tables above */
	char *counties[3];                     /* hostile-looking names for CSV */
	struct disclosure_result result;       /* what snapshot_build reads */
	struct model_quality quality;          /* a few counts */
	struct snapshot_info info;             /* refresh key 7, generated_at */
};

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	/* 2024: 12/150 = 8 %; 2025 (ends 2025-12-31 > as_of: partial) hidden */
	f->discharges[0] = cell(12, 150, 8);
	f->discharges[1] = hidden();
	/* FY2024 (2023-10-01..2024-09-30): 57/13225 * 1000 = 4.3100189 -> 4.31,
	 * stored with a binary artefact on purpose; FY2025 partial: 0/40 */
	f->moves_fy[0] = cell(57, 13225, 4.3100000000000005);
	f->moves_fy[1] = cell(0, 40, 0);
	/* a count: numerator = value, no denominator */
	f->still[0] = count_cell(12);
	f->still[1] = hidden();
	/* a quantile: no numerator, denominator = episodes; 2.5 days; its
	 * interval from the values at two ranks, 100000 s and 388800 s */
	f->median[0] = cell(0, 14, 2.5);
	f->median[0].has_numerator = false;
	f->median[0].has_quantile_interval = true;
	f->median[0].quantile_low_s = 100000;
	f->median[0].quantile_high_s = 388800;
	f->county[0] = cell(11, 100, 11);
	f->county[1] = hidden();
	f->county[2] = hidden();
	/* FY2024 complete: 40/10000 * 1000 = 4; FY2025 partial: 9/2000 = 4.5 */
	f->cohort[0] = cell(40, 10000, 4);
	f->cohort[1] = cell(9, 2000, 4.5);
	/* May 2025: 20 children; June: 25 (= 12 assigned + 13 hidden) */
	f->still_total[0] = count_cell(20);
	f->still_total[1] = count_cell(25);
	f->tables[0] = (struct disclosure_table){METRIC_RUNAWAY_DISCHARGES_PCT,
	                                         PERIOD_YEAR,
	                                         DIM_TOTAL,
	                                         2024,
	                                         2,
	                                         1,
	                                         f->discharges,
	                                         true,
	                                         2,
	                                         {0}};
	f->tables[1] = (struct disclosure_table){METRIC_MOVES_PER_1000_DAYS_IN_CARE,
	                                         PERIOD_FISCAL_YEAR,
	                                         DIM_TOTAL,
	                                         2024,
	                                         2,
	                                         1,
	                                         f->moves_fy,
	                                         true,
	                                         2,
	                                         {0}};
	f->tables[2] = (struct disclosure_table){METRIC_STILL_MISSING_COUNT,
	                                         PERIOD_MONTH,
	                                         DIM_ADVOCATE,
	                                         2025 * 12 + 5,
	                                         1,
	                                         2,
	                                         f->still,
	                                         true,
	                                         1,
	                                         {0}};
	f->tables[3] = (struct disclosure_table){METRIC_DAYS_MISSING_MEDIAN,
	                                         PERIOD_YEAR,
	                                         DIM_TOTAL,
	                                         2025,
	                                         1,
	                                         1,
	                                         f->median,
	                                         true,
	                                         1,
	                                         {0}};
	f->tables[4] = (struct disclosure_table){METRIC_RUNAWAY_DISCHARGES_PCT,
	                                         PERIOD_YEAR,
	                                         DIM_COUNTY,
	                                         2025,
	                                         1,
	                                         3,
	                                         f->county,
	                                         true,
	                                         1,
	                                         {0}};
	f->tables[5] = (struct disclosure_table){METRIC_PLACEMENT_MOVES_PER_1000_DAYS,
	                                         PERIOD_FISCAL_YEAR,
	                                         DIM_TOTAL,
	                                         2024,
	                                         2,
	                                         1,
	                                         f->cohort,
	                                         true,
	                                         2,
	                                         {0}};
	f->tables[6] = (struct disclosure_table){METRIC_STILL_MISSING_COUNT,
	                                         PERIOD_MONTH,
	                                         DIM_TOTAL,
	                                         2025 * 12 + 4,
	                                         2,
	                                         1,
	                                         f->still_total,
	                                         true,
	                                         2,
	                                         {0}};
	f->counties[0] = "Adams, North";
	f->counties[1] = "Baker \"B\"";
	f->counties[2] = "=Line\nTwo";
	f->result.as_of = date_from_ymd(2025, 6, 30);
	f->result.fy_start_month = 10;
	f->result.mode = DISCLOSURE_SUPPRESS;
	f->result.min_cell = 11;
	release_plan_default(&f->result.plan);
	f->result.settle_days = 30;
	f->result.tables = f->tables;
	f->result.table_count = 7;
	f->result.counties = f->counties;
	f->result.county_count = 3;
	f->quality.violations[DQ_DROP_DANGLING_PARENT] = 3;
	f->quality.rows_read[MODEL_CHILDREN] = 10;
	f->quality.rows_kept[MODEL_CHILDREN] = 9;
	f->info = (struct snapshot_info){7, GENERATED_AT, &f->quality, 300, 0.95};
}

/* A period that ends after as_of is partial, so provisional (marked at
 * build time, so that cells a test replaces get it too). */
static void mark_provisional(struct fixture *f)
{
	for (int t = 0; t < 7; t++) {
		struct disclosure_table *dt = &f->tables[t];
		for (uint32_t p = 0; p < dt->period_count; p++)
			for (uint32_t g = 0; g < dt->group_count; g++)
				dt->cells[p * dt->group_count + g].provisional =
				    period_last_day(dt->period_type, 10,
				                    dt->first_period + (int32_t)p) >
				    f->result.as_of;
	}
}

static struct snapshot *build(struct fixture *f)
{
	mark_provisional(f);
	struct snapshot *s = snapshot_build(&f->result, &f->info);
	ck_assert_ptr_nonnull(s);
	return s;
}

static const struct snapshot_body *table_body(const struct snapshot *s, enum metric_id m,
                                              enum period_type p, enum dim d,
                                              enum snapshot_format format)
{
	const struct snapshot_table *t = snapshot_table_find(s, m, p, d);
	ck_assert_ptr_nonnull(t);
	return &t->body[format];
}

static void assert_body(const struct snapshot_body *body, const char *expected)
{
	ck_assert_uint_eq(body->len, strlen(expected));
	ck_assert_str_eq(body->data, expected);
}

/* Clopper-Pearson 95 % of 12 of 150 (test_interval.c checks the method):
 * 4.20202647 % to 13.55738902 %, by bisection on the regularized incomplete
 * beta function with mpmath 1.3 at 40 digits (an implementation independent
 * of GSL); 4 decimals: 4.202 and 13.5574. */
START_TEST(test_table_json_exact)
{
	struct fixture f;
	fixture_init(&f);
	struct snapshot *s = build(&f);
	char expected[4096];
	snprintf(
	    expected, sizeof(expected),
	    "{\"metric\":\"runaway_discharges_pct\",\"title\":\"%s\",\"period_type\":\"year\","
	    "\"by\":null,\"unit\":\"%s\",\"confidence\":0.95,\"snapshot\":{\"id\":\"%s\","
	    "\"generated_at\":"
	    "\"2025-07-01T12:00:00Z\",\"as_of\":\"2025-06-30\"},\"disclosure\":{\"mode\":"
	    "\"suppress\",\"min_cell\":11,\"publish\":\"month:total quarter:all year:all "
	    "fiscal_year:all\",\"settle_days\":30},\"rows\":["
	    "{\"period\":\"2024\",\"period_start\":\"2024-01-01\",\"period_end\":\"2024-12-31\","
	    "\"partial\":false,\"provisional\":false,\"value\":8,\"numerator\":12,\"denominator\":"
	    "150,"
	    "\"suppressed\":false,\"interval_low\":4.202,\"interval_high\":13.5574," NO_CHANGE "},"
	    "{\"period\":\"2025\",\"period_start\":\"2025-01-01\",\"period_end\":\"2025-12-31\","
	    "\"partial\":true,\"provisional\":true,\"value\":null,\"numerator\":null,"
	    "\"denominator\":null,"
	    "\"suppressed\":true," NO_STATS "}]}\n",
	    metrics_catalog[METRIC_RUNAWAY_DISCHARGES_PCT].title,
	    metrics_catalog[METRIC_RUNAWAY_DISCHARGES_PCT].unit, snapshot_id(s));
	assert_body(
	    table_body(s, METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_TOTAL, SNAPSHOT_JSON),
	    expected);
	ck_assert_uint_eq(strlen(snapshot_id(s)), 16);
	snapshot_unref(s);
}
END_TEST

START_TEST(test_rows_numbers_and_groups)
{
	struct fixture f;
	fixture_init(&f);
	struct snapshot *s = build(&f);
	/* FY2024 with October start = 2023-10-01..2024-09-30; the artefact
	 * 4.3100000000000005 prints as 4.31; FY2025 ends 2025-09-30 > as_of.
	 * Intervals (Garwood 95 %, mpmath as above): 57 events are 43.171 to
	 * 73.849 events' worth, over 13225 days x 1000: 3.2644 to 5.5841. FY2025:
	 * 0 events, 0 to -ln(0.025) = 3.688879 x 1000 / 40 = 92.222; its change
	 * from 57 to 0 events: ratio 0 / 57 = 0, lower bound 0; the upper is the
	 * Clopper-Pearson upper bound of 0 of 57, pu = 1 - 0.025^(1/57) =
	 * 1 - e^(-0.0647172) = 0.0626668, as odds pu / (1 - pu) = 0.0668566,
	 * times the days 13225 / 40 = 330.625: 22.1047; it contains 1, so no
	 * clear change. */
	const struct snapshot_body *fy = table_body(s, METRIC_MOVES_PER_1000_DAYS_IN_CARE,
	                                            PERIOD_FISCAL_YEAR, DIM_TOTAL, SNAPSHOT_JSON);
	ck_assert_ptr_nonnull(strstr(
	    fy->data, "{\"period\":\"FY2024\",\"period_start\":\"2023-10-01\","
	              "\"period_end\":\"2024-09-30\",\"partial\":false,\"provisional\":false,"
	              "\"value\":4.31,\"numerator\":57,\"denominator\":13225,"
	              "\"suppressed\":false,\"interval_low\":3.2644,"
	              "\"interval_high\":5.5841," NO_CHANGE "}"));
	ck_assert_ptr_nonnull(
	    strstr(fy->data, "{\"period\":\"FY2025\",\"period_start\":\"2024-10-01\","
	                     "\"period_end\":\"2025-09-30\",\"partial\":true,\"provisional\":true,"
	                     "\"value\":0,\"numerator\":0,\"denominator\":40,"
	                     "\"suppressed\":false,\"interval_low\":0,"
	                     "\"interval_high\":92.222,\"change_vs\":\"FY2024\","
	                     "\"change\":0,\"change_low\":0,\"change_high\":22.1047,"
	                     "\"change_direction\":\"no_clear_change\"}"));
	ck_assert_ptr_null(strstr(fy->data, "4.3100000"));
	/* a count: denominator null, not suppressed; group key named after by;
	 * June 2025 ends on as_of, so it is complete */
	const struct snapshot_body *still =
	    table_body(s, METRIC_STILL_MISSING_COUNT, PERIOD_MONTH, DIM_ADVOCATE, SNAPSHOT_JSON);
	ck_assert_ptr_nonnull(strstr(still->data, "\"by\":\"advocate\""));
	ck_assert_ptr_nonnull(strstr(
	    still->data,
	    "\"rows\":[{\"period\":\"2025-06\",\"period_start\":\"2025-06-01\",\"period_end\":"
	    "\"2025-06-30\",\"partial\":false,\"provisional\":false,\"advocate\":\"assigned\","
	    "\"value\":12,\"numerator\":"
	    "12,\"denominator\":null,\"suppressed\":false," NO_STATS "},{\"period\":\"2025-06\","
	    "\"period_start\":"
	    "\"2025-06-01\",\"period_end\":\"2025-06-30\",\"partial\":false,\"provisional\":false,"
	    "\"advocate\":"
	    "\"not_assigned\",\"value\":null,\"numerator\":null,\"denominator\":null,"
	    "\"suppressed\":true," NO_STATS "}]}"));
	/* a quantile: numerator null, not suppressed; its interval in days,
	 * 100000 / 86400 = 1.157407 -> 1.1574 and 388800 / 86400 = 4.5; no
	 * change for a quantile */
	const struct snapshot_body *median =
	    table_body(s, METRIC_DAYS_MISSING_MEDIAN, PERIOD_YEAR, DIM_TOTAL, SNAPSHOT_JSON);
	ck_assert_ptr_nonnull(
	    strstr(median->data, "\"value\":2.5,\"numerator\":null,"
	                         "\"denominator\":14,\"suppressed\":false,"
	                         "\"interval_low\":1.1574,\"interval_high\":4.5," NO_CHANGE "}"));
	/* JSON escaping of group labels */
	const struct snapshot_body *county =
	    table_body(s, METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_COUNTY, SNAPSHOT_JSON);
	ck_assert_ptr_nonnull(strstr(county->data, "\"county\":\"Baker \\\"B\\\"\""));
	ck_assert_ptr_nonnull(strstr(county->data, "\"county\":\"=Line\\nTwo\""));
	snapshot_unref(s);
}
END_TEST

START_TEST(test_csv_exact_and_escaping)
{
	struct fixture f;
	fixture_init(&f);
	struct snapshot *s = build(&f);
	/* RFC 4180: CRLF; fields with a comma, quote or line break are quoted,
	 * quotes doubled; nulls are empty fields; a label starting with "="
	 * gets an apostrophe (no formula in a spreadsheet) and is quoted */
	/* The interval columns follow: Clopper-Pearson 95 % of 11 of 100 is
	 * 5.62070 % to 18.83011 % (mpmath, as above); a suppressed row's are
	 * empty, and so are a count's. */
	assert_body(
	    table_body(s, METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_COUNTY, SNAPSHOT_CSV),
	    "period,period_start,period_end,partial,provisional,county,value,numerator,denominator,"
	    "suppressed,interval_low,interval_high,change_vs,change,change_low,change_high,"
	    "change_direction\r\n"
	    "2025,2025-01-01,2025-12-31,true,true,\"Adams, "
	    "North\",11,11,100,false,5.6207,18.8301,,,,,"
	    "\r\n"
	    "2025,2025-01-01,2025-12-31,true,true,\"Baker \"\"B\"\"\",,,,true" NO_STATS_CSV "\r\n"
	    "2025,2025-01-01,2025-12-31,true,true,\"'=Line\nTwo\",,,,true" NO_STATS_CSV "\r\n");
	assert_body(
	    table_body(s, METRIC_STILL_MISSING_COUNT, PERIOD_MONTH, DIM_ADVOCATE, SNAPSHOT_CSV),
	    "period,period_start,period_end,partial,provisional,advocate,value,numerator,"
	    "denominator,"
	    "suppressed,interval_low,interval_high,change_vs,change,change_low,change_high,"
	    "change_direction\r\n"
	    "2025-06,2025-06-01,2025-06-30,false,false,assigned,12,12,,false" NO_STATS_CSV "\r\n"
	    "2025-06,2025-06-01,2025-06-30,false,false,not_assigned,,,,true" NO_STATS_CSV "\r\n");
	const struct snapshot_table *t =
	    snapshot_table_find(s, METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_COUNTY);
	ck_assert_str_eq(t->csv_filename, "runaway_discharges_pct_year_by_county_2025-06-30.csv");
	t = snapshot_table_find(s, METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_TOTAL);
	ck_assert_str_eq(t->csv_filename, "runaway_discharges_pct_year_2025-06-30.csv");
	ck_assert_ptr_null(
	    snapshot_table_find(s, METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_MONTH, DIM_TOTAL));
	snapshot_unref(s);
}
END_TEST

START_TEST(test_etag_and_id_stability)
{
	struct fixture f, g;
	fixture_init(&f);
	fixture_init(&g);
	struct snapshot *a = build(&f), *b = build(&g);
	/* built separately from equal content: equal ids and ETags */
	ck_assert_str_eq(snapshot_id(a), snapshot_id(b));
	for (size_t t = 0; t < f.result.table_count; t++) {
		const struct disclosure_table *dt = &f.tables[t];
		for (int fmt = 0; fmt < SNAPSHOT_FORMAT_COUNT; fmt++) {
			const struct snapshot_body *x =
			    table_body(a, dt->metric, dt->period_type, dt->dim, fmt);
			const struct snapshot_body *y =
			    table_body(b, dt->metric, dt->period_type, dt->dim, fmt);
			ck_assert_str_eq(x->etag, y->etag);
			ck_assert_str_eq(x->gzip_etag, y->gzip_etag);
			ck_assert_int_eq(x->etag[0], '"');
			ck_assert_uint_eq(strlen(x->etag), 18); /* quotes + 16 hex */
		}
	}
	for (int r = 0; r < SNAPSHOT_RESOURCE_COUNT; r++)
		ck_assert_str_eq(snapshot_resource(a, r)->etag, snapshot_resource(b, r)->etag);

	/* one changed cell: another id, another ETag for that table only */
	g.county[0] = cell(12, 100, 12);
	struct snapshot *c = build(&g);
	ck_assert_str_ne(snapshot_id(a), snapshot_id(c));
	ck_assert_str_ne(
	    table_body(a, METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_COUNTY, SNAPSHOT_JSON)
	        ->etag,
	    table_body(c, METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_COUNTY, SNAPSHOT_JSON)
	        ->etag);

	/* same data computed later: the id names the data, so it stays */
	g.county[0] = cell(11, 100, 11);
	g.info.generated_at += 300;
	struct snapshot *d = build(&g);
	ck_assert_str_eq(snapshot_id(a), snapshot_id(d));
	snapshot_unref(a);
	snapshot_unref(b);
	snapshot_unref(c);
	snapshot_unref(d);
}
END_TEST

static char *inflate_all(const char *data, size_t len, size_t *out_len)
{
	size_t cap = 1 << 20;
	char *out = malloc(cap);
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)out;
	zs.avail_out = (uInt)cap;
	ck_assert_int_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
	*out_len = zs.total_out;
	inflateEnd(&zs);
	return out;
}

START_TEST(test_gzip_round_trip)
{
	struct fixture f;
	fixture_init(&f);
	struct snapshot *s = build(&f);
	const struct snapshot_body *bodies[] = {
	    table_body(s, METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_TOTAL, SNAPSHOT_JSON),
	    snapshot_resource(s, SNAPSHOT_OPENAPI), snapshot_resource(s, SNAPSHOT_CATALOG)};
	for (size_t i = 0; i < CASA_ARRAY_LEN(bodies); i++) {
		ck_assert_ptr_nonnull(bodies[i]->gzip);
		ck_assert_uint_lt(bodies[i]->gzip_len, bodies[i]->len);
		size_t n;
		char *plain = inflate_all(bodies[i]->gzip, bodies[i]->gzip_len, &n);
		ck_assert_uint_eq(n, bodies[i]->len);
		ck_assert(memcmp(plain, bodies[i]->data, n) == 0);
		ck_assert_str_ne(bodies[i]->etag, bodies[i]->gzip_etag);
		free(plain);
	}
	snapshot_unref(s);
}
END_TEST

START_TEST(test_slices)
{
	struct fixture f;
	fixture_init(&f);
	struct snapshot *s = build(&f);
	const struct snapshot_table *t =
	    snapshot_table_find(s, METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_TOTAL);
	char *out;
	size_t len;
	char etag[SNAPSHOT_ETAG_LEN], etag2[SNAPSHOT_ETAG_LEN], full_etag[SNAPSHOT_ETAG_LEN];
	/* the full range reproduces the body */
	ck_assert(snapshot_table_slice(t, SNAPSHOT_JSON, 0, 1, &out, &len, full_etag));
	ck_assert_uint_eq(len, t->body[SNAPSHOT_JSON].len);
	ck_assert(memcmp(out, t->body[SNAPSHOT_JSON].data, len) == 0);
	free(out);
	/* only 2025: prefix + the 2025 row + suffix */
	ck_assert(snapshot_table_slice(t, SNAPSHOT_JSON, 1, 1, &out, &len, etag));
	const char *rows = strstr(out, "\"rows\":[");
	ck_assert_ptr_nonnull(rows);
	ck_assert_str_eq(
	    rows,
	    "\"rows\":[{\"period\":\"2025\",\"period_start\":\"2025-01-01\","
	    "\"period_end\":\"2025-12-31\",\"partial\":true,\"provisional\":true,\"value\":null,"
	    "\"numerator\":null,\"denominator\":null,\"suppressed\":true," NO_STATS "}]}\n");
	ck_assert(strncmp(out, t->body[SNAPSHOT_JSON].data, (size_t)(rows - out)) == 0);
	free(out);
	/* the same range again: the same ETag; another range: another one */
	ck_assert(snapshot_table_slice(t, SNAPSHOT_JSON, 1, 1, &out, &len, etag2));
	free(out);
	ck_assert_str_eq(etag, etag2);
	ck_assert_str_ne(etag, full_etag);
	ck_assert(snapshot_table_slice(t, SNAPSHOT_JSON, 0, 0, &out, &len, etag2));
	ck_assert_ptr_nonnull(strstr(out, "\"rows\":[{\"period\":\"2024\""));
	ck_assert_ptr_null(strstr(out, "\"period\":\"2025\""));
	free(out);
	ck_assert_str_ne(etag, etag2);
	/* empty range */
	ck_assert(snapshot_table_slice(t, SNAPSHOT_JSON, 1, 0, &out, &len, etag));
	ck_assert_ptr_nonnull(strstr(out, "\"rows\":[]}\n"));
	free(out);
	/* CSV: header + the 2024 row */
	ck_assert(snapshot_table_slice(t, SNAPSHOT_CSV, 0, 0, &out, &len, etag));
	ck_assert_str_eq(
	    out, "period,period_start,period_end,partial,provisional,value,numerator,denominator,"
	         "suppressed,interval_low,interval_high,change_vs,change,change_low,"
	         "change_high,change_direction\r\n"
	         "2024,2024-01-01,2024-12-31,false,false,8,12,150,false,4.202,13.5574,,,,,"
	         "\r\n");
	free(out);
	/* multi-group periods slice whole periods */
	const struct snapshot_table *g =
	    snapshot_table_find(s, METRIC_STILL_MISSING_COUNT, PERIOD_MONTH, DIM_ADVOCATE);
	ck_assert(snapshot_table_slice(g, SNAPSHOT_JSON, 0, 0, &out, &len, etag));
	ck_assert_uint_eq(len, g->body[SNAPSHOT_JSON].len);
	free(out);
	snapshot_unref(s);
}
END_TEST

/* The quality report of the fixture (10 children read, 9 kept, 3 dangling
 * parents) says these counts. */
static void check_quality(const struct snapshot *s, int read, int kept, int dangling)
{
	const char *quality = snapshot_resource(s, SNAPSHOT_QUALITY)->data;
	char want[256];
	snprintf(want, sizeof(want), "\"rows_read\":{\"children\":%d,", read);
	ck_assert_ptr_nonnull(strstr(quality, want));
	snprintf(want, sizeof(want), "\"rows_kept\":{\"children\":%d,", kept);
	ck_assert_ptr_nonnull(strstr(quality, want));
	snprintf(want, sizeof(want), "{\"rule\":\"%s\"",
	         model_dq_rule_names[DQ_DROP_DANGLING_PARENT]);
	const char *at = strstr(quality, want);
	ck_assert_ptr_nonnull(at);
	snprintf(want, sizeof(want), "\"action\":\"dropped\",\"count\":%d}", dangling);
	ck_assert_ptr_nonnull(strstr(at, want));
}

START_TEST(test_summary_catalog_quality)
{
	struct fixture f;
	fixture_init(&f);
	struct snapshot *s = build(&f);
	const char *summary = snapshot_resource(s, SNAPSHOT_SUMMARY)->data;
	/* placement_moves_per_1000_days allows no quarter: fiscal_year; last
	 * complete = FY2024 (FY2025 ends 2025-09-30 > as_of): 40/10000 -> 4;
	 * no earlier period, so previous and change are null; reference 4.48.
	 * statistics: the row's interval (Garwood 95 % of 40 events, 28.577 to
	 * 54.469, mpmath as above, x 1000 / 10000: 2.8577 to 5.4469) */
	ck_assert_ptr_nonnull(
	    strstr(summary,
	           "\"period_type\":\"fiscal_year\",\"period\":\"FY2024\",\"period_start\":"
	           "\"2023-10-01\",\"period_end\":\"2024-09-30\",\"partial\":false,\"provisional\":"
	           "false,\"value\":4,"
	           "\"numerator\":40,\"denominator\":10000,\"suppressed\":false,\"previous\":null,"
	           "\"change\":null,\"statistics\":{\"interval_low\":2.8577,\"interval_high\":"
	           "5.4469," NO_CHANGE "},\"higher_is_better\":false,\"reference\":4.48}"));
	/* still_missing_count: latest month 2025-06, 25 children; May 20;
	 * change 25 - 20 = 5; higher is not better; a count has no interval */
	ck_assert_ptr_nonnull(strstr(
	    summary,
	    "\"period_type\":\"month\",\"period\":\"2025-06\",\"period_start\":"
	    "\"2025-06-01\",\"period_end\":\"2025-06-30\",\"partial\":false,\"provisional\":false,"
	    "\"value\":25,"
	    "\"numerator\":25,\"denominator\":null,\"suppressed\":false,\"previous\":"
	    "{\"period\":\"2025-05\",\"value\":20,\"suppressed\":false},\"change\":5,"
	    "\"statistics\":{" NO_STATS "},\"higher_is_better\":false}"));
	/* moves_per_1000_days_in_care allows quarter, and no quarter table was
	 * given: it is left out rather than shown with another period type */
	ck_assert_ptr_null(strstr(summary, "\"metric\":\"moves_per_1000_days_in_care\""));

	const char *catalog = snapshot_resource(s, SNAPSHOT_CATALOG)->data;
	ck_assert_ptr_nonnull(strstr(catalog, "{\"id\":\"runaway_discharges_pct\""));
	ck_assert_ptr_nonnull(strstr(catalog, "\"by\":[\"county\",\"age_band\",\"sex\","
	                                      "\"race_ethnicity\",\"advocate\",\"setting\"]"));
	/* "by" names the breakdowns only ("total" is an absent by); only the
	 * published lists name "total" */
	for (const char *by = catalog; (by = strstr(by, "\"by\":[")) != NULL; by++) {
		const char *end = strchr(by, ']');
		ck_assert_ptr_nonnull(end);
		const char *total = strstr(by, "\"total\"");
		ck_assert(total == NULL || total > end);
	}
	/* higher_is_better for every metric: true, false, or null where
	 * neither direction is better (issue 14) */
	ck_assert_ptr_nonnull(strstr(catalog, "\"id\":\"screened_positive_pct\""));
	ck_assert_ptr_nonnull(strstr(strstr(catalog, "\"id\":\"screened_positive_pct\""),
	                             "\"higher_is_better\":null,"));
	ck_assert_ptr_nonnull(strstr(strstr(catalog, "\"id\":\"reported_ncmec_24h_pct\""),
	                             "\"higher_is_better\":true,"));
	/* every entry has one; the fixture has no trafficking table, so the
	 * three metrics of trafficking_identifications are left out (issue 17):
	 * 24 - 3 = 21 entries */
	ck_assert_ptr_null(strstr(catalog, "\"id\":\"trafficking_reported_le_24h_pct\""));
	const char *entry = catalog;
	int entries = 0;
	while ((entry = strstr(entry + 1, "\"higher_is_better\":")) != NULL)
		entries++;
	ck_assert_int_eq(entries, 21);

	/* published (issue 13 item 4): the default plan "month:total
	 * quarter:all year:all fiscal_year:all" met with each metric's own
	 * period types and breakdowns. runaway_discharges_pct allows all four
	 * period types and county, age_band, sex, race_ethnicity, advocate,
	 * setting: month -> total only; the others -> total and all six. */
	const char *runaway_breakdowns = "[\"total\",\"county\",\"age_band\",\"sex\","
	                                 "\"race_ethnicity\",\"advocate\",\"setting\"]";
	char want[512];
	snprintf(want, sizeof(want),
	         "\"published\":{\"month\":[\"total\"],\"quarter\":%s,\"year\":%s,"
	         "\"fiscal_year\":%s}",
	         runaway_breakdowns, runaway_breakdowns, runaway_breakdowns);
	ck_assert_ptr_nonnull(strstr(strstr(catalog, "{\"id\":\"runaway_discharges_pct\""), want));
	/* placement_moves_per_1000_days: year and fiscal year only, the base
	 * breakdowns (no setting): no month or quarter key at all */
	const char *base_breakdowns =
	    "[\"total\",\"county\",\"age_band\",\"sex\",\"race_ethnicity\",\"advocate\"]";
	snprintf(want, sizeof(want), "\"published\":{\"year\":%s,\"fiscal_year\":%s}",
	         base_breakdowns, base_breakdowns);
	ck_assert_ptr_nonnull(
	    strstr(strstr(catalog, "{\"id\":\"placement_moves_per_1000_days\""), want));
	/* every entry has one: 21 again */
	entry = catalog;
	entries = 0;
	while ((entry = strstr(entry + 1, "\"published\":{")) != NULL)
		entries++;
	ck_assert_int_eq(entries, 21);

	check_quality(s, 10, 9, 3);

	const char *openapi = snapshot_resource(s, SNAPSHOT_OPENAPI)->data;
	ck_assert_ptr_nonnull(strstr(openapi, "\"openapi\":\"3.1.0\""));
	ck_assert_ptr_nonnull(strstr(openapi, "\"runaway_within_12m_of_entry_pct\""));
	snapshot_unref(s);
}
END_TEST

/* The catalog's published object under a plan other than the default:
 * what the plan names and the metric allows, nothing else. */
START_TEST(test_catalog_published_follows_plan)
{
	struct fixture f;
	fixture_init(&f);
	char err[RELEASE_ERROR_LEN];
	ck_assert(
	    release_plan_parse("quarter:total+advocate fiscal_year:setting", &f.result.plan, err));
	struct snapshot *s = build(&f);
	const char *catalog = snapshot_resource(s, SNAPSHOT_CATALOG)->data;
	/* runaway_discharges_pct allows every period type and the setting; a
	 * breakdown brings its total with it (release.h): no month, no year */
	ck_assert_ptr_nonnull(strstr(strstr(catalog, "{\"id\":\"runaway_discharges_pct\""),
	                             "\"published\":{\"quarter\":[\"total\",\"advocate\"],"
	                             "\"fiscal_year\":[\"total\",\"setting\"]}"));
	/* placement_moves_per_1000_days: no quarter, no setting -> the fiscal
	 * year total only */
	ck_assert_ptr_nonnull(strstr(strstr(catalog, "{\"id\":\"placement_moves_per_1000_days\""),
	                             "\"published\":{\"fiscal_year\":[\"total\"]}"));
	snapshot_unref(s);
}
END_TEST

START_TEST(test_dp_mode_stated)
{
	struct fixture f;
	fixture_init(&f);
	f.result.mode = DISCLOSURE_DP;
	f.result.epsilon = 0.1;
	struct snapshot *s = build(&f);
	/* SPEC §5: the API states the mode and epsilon; issue 14: and that the
	 * intervals leave the noise out */
	const char *want =
	    "\"disclosure\":{\"mode\":\"dp\",\"min_cell\":11,\"publish\":"
	    "\"month:total quarter:all year:all fiscal_year:all\",\"settle_days\":30,"
	    "\"epsilon\":0.1,"
	    "\"intervals_include_noise\":false,\"interval_note\":\"Intervals are computed from "
	    "the noisy counts and do not include the noise. Quantile intervals and the "
	    "standardized advocate comparison are not published in dp mode.\"}";
	ck_assert_ptr_nonnull(strstr(
	    table_body(s, METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_TOTAL, SNAPSHOT_JSON)
	        ->data,
	    want));
	ck_assert_ptr_nonnull(strstr(snapshot_resource(s, SNAPSHOT_SUMMARY)->data, want));
	ck_assert_ptr_nonnull(strstr(snapshot_resource(s, SNAPSHOT_CATALOG)->data, want));
	/* row counts to the nearest multiple of k = 11 (half up): 10 and 9
	 * rows read and kept -> 11; 3 dangling parents -> 0 */
	check_quality(s, 11, 11, 0);
	ck_assert_uint_eq(snapshot_published_row_count(s, 16), 11); /* 16 + 5 = 21 -> 1 x 11 */
	ck_assert_uint_eq(snapshot_published_row_count(s, 17), 22); /* 17 + 5 = 22 -> 2 x 11 */
	/* another mode is other content: another id */
	struct fixture g;
	fixture_init(&g);
	struct snapshot *t = build(&g);
	ck_assert_str_ne(snapshot_id(s), snapshot_id(t));
	snapshot_unref(t);
	snapshot_unref(s);
}
END_TEST

/* A row with a zero denominator: published, no value, no interval. */
static struct disclosure_cell empty_cell(void)
{
	struct disclosure_cell c = cell(0, 0, 0);
	c.has_value = false;
	return c;
}

static struct disclosure_cell expected_cell(int64_t numerator, int64_t denominator, double expected)
{
	struct disclosure_cell c =
	    cell(numerator, denominator, 1000.0 * (double)numerator / (double)denominator);
	c.has_expected = true;
	c.expected = expected;
	return c;
}

/* Rows worked out by hand (issue 14), three quarters of 2024, as_of
 * 2025-06-30, 95 % unless said:
 *  - runaway rate, total: Q1 12 / 1000 days, Q2 0 / 1000, Q3 suppressed;
 *  - runaway discharges %, total: Q1 0 of 20, Q2 20 of 20, Q3 0 of 0;
 *  - runaway rate by advocate (standardized): Q1 assigned 8 / 400 days
 *    with 3.59 expected, not assigned suppressed; Q2 both 0 / 500 with 0
 *    expected; Q3 both suppressed. */
START_TEST(test_row_intervals_by_hand)
{
	struct disclosure_cell rate[3] = {cell(12, 1000, 12), cell(0, 1000, 0), hidden()};
	struct disclosure_cell percent[3] = {cell(0, 20, 0), cell(20, 20, 100), empty_cell()};
	struct disclosure_cell advocate[6] = {
	    expected_cell(8, 400, 3.59), hidden(), expected_cell(0, 500, 0),
	    expected_cell(0, 500, 0),    hidden(), hidden()};
	int32_t q1 = 2024 * 4;
	struct disclosure_table tables[3] = {{METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                      PERIOD_QUARTER,
	                                      DIM_TOTAL,
	                                      q1,
	                                      3,
	                                      1,
	                                      rate,
	                                      true,
	                                      3,
	                                      {0}},
	                                     {METRIC_RUNAWAY_DISCHARGES_PCT,
	                                      PERIOD_QUARTER,
	                                      DIM_TOTAL,
	                                      q1,
	                                      3,
	                                      1,
	                                      percent,
	                                      true,
	                                      3,
	                                      {0}},
	                                     {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS,
	                                      PERIOD_QUARTER,
	                                      DIM_ADVOCATE,
	                                      q1,
	                                      3,
	                                      2,
	                                      advocate,
	                                      true,
	                                      3,
	                                      {0}}};
	struct disclosure_result result = {.as_of = date_from_ymd(2025, 6, 30),
	                                   .fy_start_month = 10,
	                                   .mode = DISCLOSURE_SUPPRESS,
	                                   .min_cell = 11,
	                                   .tables = tables,
	                                   .table_count = 3};
	struct model_quality quality = {0};
	struct snapshot_info info = {1, GENERATED_AT, &quality, 300, 0.95};
	struct snapshot *s = snapshot_build(&result, &info);
	ck_assert_ptr_nonnull(s);

	/* Rate Q1: 12 events, Garwood chi2(0.025; 24) / 2 = 6.200575 to
	 * chi2(0.975; 26) / 2 = 20.961585 (mpmath, as above), x 1000 / 1000.
	 * Q2: 0 events: 0 to -ln(0.025) = 3.688879 -> 3.6889. Its change from
	 * 12 to 0 events over equal days: ratio 0, lower 0; upper from the
	 * Clopper-Pearson upper bound of 0 of 12, pu = 1 - 0.025^(1/12) =
	 * 1 - e^(-0.3074066) = 0.2646242, odds pu / (1 - pu) = 0.3598938 -> 0.3599:
	 * the whole interval is below 1, "down". Q3 suppressed: all null, and
	 * nothing compares with it. */
	const char *body = table_body(s, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_QUARTER,
	                              DIM_TOTAL, SNAPSHOT_JSON)
	                       ->data;
	ck_assert_ptr_nonnull(strstr(body, "\"value\":12,\"numerator\":12,\"denominator\":1000,"
	                                   "\"suppressed\":false,\"interval_low\":6.2006,"
	                                   "\"interval_high\":20.9616," NO_CHANGE "}"));
	ck_assert_ptr_nonnull(strstr(body, "\"value\":0,\"numerator\":0,\"denominator\":1000,"
	                                   "\"suppressed\":false,\"interval_low\":0,"
	                                   "\"interval_high\":3.6889,\"change_vs\":\"2024-Q1\","
	                                   "\"change\":0,\"change_low\":0,\"change_high\":0.3599,"
	                                   "\"change_direction\":\"down\"}"));
	ck_assert_ptr_nonnull(
	    strstr(body, "\"period\":\"2024-Q3\",\"period_start\":\"2024-07-01\","
	                 "\"period_end\":\"2024-09-30\",\"partial\":false,\"provisional\":false,"
	                 "\"value\":null,\"numerator\":null,\"denominator\":null,"
	                 "\"suppressed\":true," NO_STATS "}"));

	/* Percent Q1, 0 of 20: 0 to 1 - 0.025^(1/20) = 1 - e^(-0.1844440) =
	 * 0.1684335 -> 16.8433 %. Q2, 20 of 20: 0.025^(1/20) = 0.8315665 ->
	 * 83.1567 % to 100 %. Change: 100 - 0 = 100 points; Newcombe with
	 * z = 1.959964, z^2 = 3.841459: Wilson of 0 of 20 is 0 to
	 * z^2 / (20 + z^2) = 3.841459 / 23.841459 = 0.1611248, of 20 of 20 is
	 * 20 / 23.841459 = 0.8388752 to 1; low = 1 - sqrt((1 - 0.8388752)^2 +
	 * (0.1611248 - 0)^2) = 1 - 0.2278654 = 0.7721346 -> 77.2135 points,
	 * high = 1 + sqrt(0 + 0) = 100 points: above 0, "up". Q3, 0 of 0: no
	 * value, no interval, no comparison. */
	body =
	    table_body(s, METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_QUARTER, DIM_TOTAL, SNAPSHOT_JSON)
	        ->data;
	ck_assert_ptr_nonnull(strstr(body, "\"denominator\":20,\"suppressed\":false,"
	                                   "\"interval_low\":0,\"interval_high\":16.8433," NO_CHANGE
	                                   "}"));
	ck_assert_ptr_nonnull(strstr(body, "\"value\":100,\"numerator\":20,\"denominator\":20,"
	                                   "\"suppressed\":false,\"interval_low\":83.1567,"
	                                   "\"interval_high\":100,\"change_vs\":\"2024-Q1\","
	                                   "\"change\":100,\"change_low\":77.2135,"
	                                   "\"change_high\":100,\"change_direction\":\"up\"}"));
	ck_assert_ptr_nonnull(strstr(body, "\"value\":null,\"numerator\":0,\"denominator\":0,"
	                                   "\"suppressed\":false," NO_STATS "}"));

	/* Advocate Q1 assigned: 8 events over 400 days, Garwood of 8 is
	 * 3.453832 to 15.763189 (mpmath) x 1000 / 400 = 8.6346 to 39.408;
	 * smr = 8 / 3.59 = 2.228412 -> 2.2284, interval 3.453832 / 3.59 =
	 * 0.9621 to 15.763189 / 3.59 = 4.3909; the all-children rate of Q1 is
	 * the total's 12 per 1,000 days: standardized 2.228412 x 12 = 26.7409.
	 * Not assigned suppressed: every member null. Q2 assigned: 0 of 0
	 * expected, so no ratio (smr null), and from 8 events over 400 days to
	 * 0 over 500: ratio 0, upper = (1 - 0.025^(1/8)) / 0.025^(1/8) x 400 /
	 * 500 = 0.3693962 / 0.6306038 x 0.8 = 0.4686665 -> 0.4687, "down". */
	body = table_body(s, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_QUARTER, DIM_ADVOCATE,
	                  SNAPSHOT_JSON)
	           ->data;
	ck_assert_ptr_nonnull(strstr(
	    body, "\"advocate\":\"assigned\",\"value\":20,\"numerator\":8,\"denominator\":400,"
	          "\"suppressed\":false,\"interval_low\":8.6346,\"interval_high\":39.408," NO_CHANGE
	          ",\"expected\":3.59,\"smr\":2.2284,\"smr_low\":0.9621,\"smr_high\":4.3909,"
	          "\"standardized_value\":26.7409}"));
	ck_assert_ptr_nonnull(
	    strstr(body, "\"advocate\":\"not_assigned\",\"value\":null,\"numerator\":null,"
	                 "\"denominator\":null,\"suppressed\":true," NO_STATS
	                 ",\"expected\":null,\"smr\":null,\"smr_low\":null,\"smr_high\":null,"
	                 "\"standardized_value\":null}"));
	ck_assert_ptr_nonnull(strstr(
	    body, "\"advocate\":\"assigned\",\"value\":0,\"numerator\":0,\"denominator\":500,"
	          "\"suppressed\":false,\"interval_low\":0,\"interval_high\":7.3778,"
	          "\"change_vs\":\"2024-Q1\",\"change\":0,\"change_low\":0,\"change_high\":0.4687,"
	          "\"change_direction\":\"down\",\"expected\":0,\"smr\":null,\"smr_low\":null,"
	          "\"smr_high\":null,\"standardized_value\":null}"));
	const char *csv = table_body(s, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_QUARTER,
	                             DIM_ADVOCATE, SNAPSHOT_CSV)
	                      ->data;
	ck_assert_ptr_nonnull(strstr(csv, "change_direction,expected,smr,smr_low,smr_high,"
	                                  "standardized_value\r\n"));
	ck_assert_ptr_nonnull(strstr(csv, ",assigned,20,8,400,false,8.6346,39.408,,,,,,3.59,"
	                                  "2.2284,0.9621,4.3909,26.7409\r\n"));
	snapshot_unref(s);

	/* Liddell (1984), first example: 8 observed, 3.59 expected, 90 %
	 * limits 1.11 to 4.02. Garwood at 90 % of 8: chi2(0.05; 16) / 2 =
	 * 3.980823 and chi2(0.95; 18) / 2 = 14.434650 (mpmath), / 3.59 =
	 * 1.108864 and 4.020794. */
	info.confidence = 0.90;
	s = snapshot_build(&result, &info);
	ck_assert_ptr_nonnull(s);
	body = table_body(s, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, PERIOD_QUARTER, DIM_ADVOCATE,
	                  SNAPSHOT_JSON)
	           ->data;
	ck_assert_ptr_nonnull(strstr(body, "\"expected\":3.59,\"smr\":2.2284,\"smr_low\":1.1089,"
	                                   "\"smr_high\":4.0208,\"standardized_value\":26.7409}"));
	ck_assert_ptr_nonnull(strstr(body, "\"confidence\":0.9,"));
	snapshot_unref(s);

	/* A level the intervals refuse builds nothing. */
	info.confidence = 0.5;
	ck_assert_ptr_null(snapshot_build(&result, &info));
}
END_TEST

/* The seal of saved files (test_state_seal.c tests the seal itself). */
static const uint8_t store_secret[DISCLOSURE_KEY_LEN] = {42};
#define STORE_PROVENANCE "min_cell=11\nsource=test"

static void assert_same_body(const struct snapshot_body *a, const struct snapshot_body *b)
{
	ck_assert_uint_eq(a->len, b->len);
	ck_assert(memcmp(a->data, b->data, a->len) == 0);
	ck_assert_uint_eq(a->gzip_len, b->gzip_len);
	ck_assert((a->gzip == NULL) == (b->gzip == NULL));
	if (a->gzip != NULL)
		ck_assert(memcmp(a->gzip, b->gzip, a->gzip_len) == 0);
	ck_assert_str_eq(a->etag, b->etag);
	ck_assert_str_eq(a->gzip_etag, b->gzip_etag);
}

START_TEST(test_save_load_round_trip)
{
	struct fixture f;
	fixture_init(&f);
	struct snapshot *s = build(&f);
	char *dir = temp_dir();
	ck_assert(snapshot_save(s, dir, store_secret, STORE_PROVENANCE));
	struct snapshot *l = snapshot_load(dir, store_secret, STORE_PROVENANCE);
	ck_assert_ptr_nonnull(l);
	ck_assert_str_eq(snapshot_id(l), snapshot_id(s));
	ck_assert_int_eq(snapshot_as_of(l), snapshot_as_of(s));
	ck_assert_int_eq(snapshot_refresh_key(l), 7);
	ck_assert_int_eq(snapshot_generated_at(l), GENERATED_AT);
	ck_assert_uint_eq(snapshot_suppressed_cells(l), snapshot_suppressed_cells(s));
	for (int r = 0; r < SNAPSHOT_RESOURCE_COUNT; r++)
		assert_same_body(snapshot_resource(l, r), snapshot_resource(s, r));
	for (size_t t = 0; t < f.result.table_count; t++) {
		const struct disclosure_table *dt = &f.tables[t];
		const struct snapshot_table *a =
		    snapshot_table_find(s, dt->metric, dt->period_type, dt->dim);
		const struct snapshot_table *b =
		    snapshot_table_find(l, dt->metric, dt->period_type, dt->dim);
		ck_assert_ptr_nonnull(b);
		ck_assert_str_eq(a->csv_filename, b->csv_filename);
		for (int fmt = 0; fmt < SNAPSHOT_FORMAT_COUNT; fmt++) {
			assert_same_body(&a->body[fmt], &b->body[fmt]);
			char *x, *y;
			size_t xn, yn;
			char ex[SNAPSHOT_ETAG_LEN], ey[SNAPSHOT_ETAG_LEN];
			uint32_t last = a->period_count - 1;
			ck_assert(snapshot_table_slice(a, fmt, last, last, &x, &xn, ex));
			ck_assert(snapshot_table_slice(b, fmt, last, last, &y, &yn, ey));
			ck_assert_uint_eq(xn, yn);
			ck_assert(memcmp(x, y, xn) == 0);
			ck_assert_str_eq(ex, ey);
			free(x);
			free(y);
		}
	}
	/* no temporary file left behind */
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s/snapshot.tmp", dir);
	ck_assert_int_ne(access(tmp, F_OK), 0);
	snapshot_unref(l);
	snapshot_unref(s);
	remove_tree(dir);
	free(dir);
}
END_TEST

START_TEST(test_damaged_files_refused)
{
	struct fixture f;
	fixture_init(&f);
	struct snapshot *s = build(&f);
	char *dir = temp_dir();
	char path[512];
	snprintf(path, sizeof(path), "%s/snapshot.bin", dir);
	/* nothing saved yet */
	ck_assert_ptr_null(snapshot_load(dir, store_secret, STORE_PROVENANCE));
	ck_assert(snapshot_save(s, dir, store_secret, STORE_PROVENANCE));
	size_t len;
	unsigned char *good = read_file(path, &len);
	unsigned char *bad = malloc(len + 1);

	/* one flipped bit anywhere in the payload (CRC-32) */
	size_t positions[] = {32, 40, len / 2, len - 1};
	for (size_t i = 0; i < CASA_ARRAY_LEN(positions); i++) {
		memcpy(bad, good, len);
		bad[positions[i]] ^= 0x01;
		write_bytes(path, bad, len);
		ck_assert_ptr_null(snapshot_load(dir, store_secret, STORE_PROVENANCE));
	}
	/* a flipped bit in the header (version, length, checksums) */
	for (size_t pos = 8; pos < 32; pos += 5) {
		memcpy(bad, good, len);
		bad[pos] ^= 0x10;
		write_bytes(path, bad, len);
		ck_assert_ptr_null(snapshot_load(dir, store_secret, STORE_PROVENANCE));
	}
	/* truncated, by one byte and to the header only */
	write_bytes(path, good, len - 1);
	ck_assert_ptr_null(snapshot_load(dir, store_secret, STORE_PROVENANCE));
	write_bytes(path, good, 32);
	ck_assert_ptr_null(snapshot_load(dir, store_secret, STORE_PROVENANCE));
	write_bytes(path, good, 5);
	ck_assert_ptr_null(snapshot_load(dir, store_secret, STORE_PROVENANCE));
	/* one byte appended */
	memcpy(bad, good, len);
	bad[len] = 0;
	write_bytes(path, bad, len + 1);
	ck_assert_ptr_null(snapshot_load(dir, store_secret, STORE_PROVENANCE));
	/* foreign magic */
	memcpy(bad, good, len);
	memcpy(bad, "PGDMP\0\0\0", 8);
	write_bytes(path, bad, len);
	ck_assert_ptr_null(snapshot_load(dir, store_secret, STORE_PROVENANCE));
	/* and the intact file still loads (the checks above can pass) */
	write_bytes(path, good, len);
	struct snapshot *l = snapshot_load(dir, store_secret, STORE_PROVENANCE);
	ck_assert_ptr_nonnull(l);
	snapshot_unref(l);
	free(good);
	free(bad);
	snapshot_unref(s);
	remove_tree(dir);
	free(dir);
}
END_TEST

START_TEST(test_write_files)
{
	struct fixture f;
	fixture_init(&f);
	struct snapshot *s = build(&f);
	char *dir = temp_dir();
	char out[512], path[600];
	snprintf(out, sizeof(out), "%s/out", dir);
	ck_assert(snapshot_write_files(s, out));
	size_t len;
	snprintf(path, sizeof(path), "%s/runaway_discharges_pct/year_by_county.csv", out);
	unsigned char *csv = read_file(path, &len);
	const struct snapshot_body *body =
	    table_body(s, METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_COUNTY, SNAPSHOT_CSV);
	ck_assert_uint_eq(len, body->len);
	ck_assert(memcmp(csv, body->data, len) == 0);
	free(csv);
	const char *names[] = {"runaway_discharges_pct/year.json",
	                       "still_missing_count/month_by_advocate.json",
	                       "catalog.json",
	                       "summary.json",
	                       "quality.json",
	                       "openapi.json"};
	for (size_t i = 0; i < CASA_ARRAY_LEN(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", out, names[i]);
		ck_assert_msg(access(path, R_OK) == 0, "missing %s", names[i]);
	}
	snprintf(path, sizeof(path), "%s/manifest.json", out);
	unsigned char *manifest = read_file(path, &len);
	char *text = strndup((const char *)manifest, len);
	/* 3 counties x 1 period = 3 rows */
	ck_assert_ptr_nonnull(
	    strstr(text, "{\"path\":\"runaway_discharges_pct/year_by_county.csv\","));
	const char *entry = strstr(text, "runaway_discharges_pct/year_by_county.csv");
	ck_assert_ptr_nonnull(strstr(entry, "\"rows\":3}"));
	ck_assert_ptr_nonnull(strstr(text, "\"path\":\"openapi.json\""));
	free(text);
	free(manifest);
	snapshot_unref(s);
	remove_tree(dir);
	free(dir);
}
END_TEST

START_TEST(test_slot_keeps_old_snapshot_alive)
{
	struct fixture f;
	fixture_init(&f);
	struct snapshot_slot slot;
	snapshot_slot_init(&slot);
	ck_assert_ptr_null(snapshot_slot_acquire(&slot));
	snapshot_slot_replace(&slot, build(&f));
	struct snapshot *held = snapshot_slot_acquire(&slot);
	const struct snapshot_body *body = snapshot_resource(held, SNAPSHOT_SUMMARY);
	char *copy = strdup(body->data);
	f.info.generated_at += 1;
	snapshot_slot_replace(&slot, build(&f)); /* drops the slot's reference */
	/* the request's reference keeps the old bodies (ASan would catch a
	 * use after free here) */
	ck_assert_str_eq(body->data, copy);
	struct snapshot *now = snapshot_slot_acquire(&slot);
	ck_assert_ptr_ne(now, held);
	snapshot_unref(now);
	snapshot_unref(held);
	free(copy);
	snapshot_slot_destroy(&slot);
}
END_TEST

static Suite *snapshot_suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_table_json_exact);
	tcase_add_test(tc, test_rows_numbers_and_groups);
	tcase_add_test(tc, test_csv_exact_and_escaping);
	tcase_add_test(tc, test_etag_and_id_stability);
	tcase_add_test(tc, test_gzip_round_trip);
	tcase_add_test(tc, test_slices);
	tcase_add_test(tc, test_summary_catalog_quality);
	tcase_add_test(tc, test_catalog_published_follows_plan);
	tcase_add_test(tc, test_dp_mode_stated);
	tcase_add_test(tc, test_row_intervals_by_hand);
	tcase_add_test(tc, test_save_load_round_trip);
	tcase_add_test(tc, test_damaged_files_refused);
	tcase_add_test(tc, test_write_files);
	tcase_add_test(tc, test_slot_keeps_old_snapshot_alive);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* GSL aborts on an error by default (interval.h) */
	interval_init();
	SRunner *runner = srunner_create(snapshot_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
