/*
 * test_copy_text.c — the COPY TO text-format row parser (src/copy_text.c) on
 * hand-made rows: escapes, \N and empty fields, integers at their limits,
 * dates and timestamps (days counted by hand from 1970-01-01), the years a
 * date cannot hold, invalid escapes and invalid UTF-8, and the character-
 * boundary cut of copy_text_decode().
 *
 * Days used below: 2025-01-01 is 55 * 365 + 14 leap days (1972..2024) =
 * 20089; 2025-03-01 is 20089 + 31 + 28 = 20148, i.e. 20148 * 86400 =
 * 1740787200 seconds. 2000-01-01 is 30 * 365 + 7 (1972..1996) = 10957, so
 * 2000-02-29 is 10957 + 31 + 28 = 11016.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/source_internal.h"

#define MARCH_1_2025      20148
#define MARCH_1_2025_UNIX 1740787200LL

static const enum copy_text_type one_text[] = {COPY_TEXT_TEXT};
static const enum copy_text_type one_bigint[] = {COPY_TEXT_BIGINT};

/* Parses a NUL-ended row of one column; the fault is checked by the caller. */
static bool parse_one(const char *row, const enum copy_text_type *type,
                      struct copy_text_field *field, struct copy_text_error *error)
{
	return copy_text_parse(row, strlen(row), type, 1, field, error);
}

/* Rows of one column that must fail, and how. */
static const struct {
	const char *row;           /* NUL-ended, no newline */
	enum copy_text_type type;  /* of the one column */
	enum copy_text_fault want; /* the fault */
} single_column_faults[] = {
    /* Empty is not null for a number or a date: it is malformed. */
    {"", COPY_TEXT_BIGINT, COPY_TEXT_BAD_INTEGER},
    {"", COPY_TEXT_DATE, COPY_TEXT_BAD_DATE},
    {"9223372036854775808", COPY_TEXT_BIGINT, COPY_TEXT_INTEGER_RANGE},  /* 2^63 */
    {"-9223372036854775809", COPY_TEXT_BIGINT, COPY_TEXT_INTEGER_RANGE}, /* -2^63 - 1 */
    {"18446744073709551616", COPY_TEXT_BIGINT, COPY_TEXT_INTEGER_RANGE}, /* 2^64 */
    {"123456789012345678901234", COPY_TEXT_BIGINT, COPY_TEXT_INTEGER_RANGE},
    {"12a", COPY_TEXT_BIGINT, COPY_TEXT_BAD_INTEGER},
    {"-", COPY_TEXT_BIGINT, COPY_TEXT_BAD_INTEGER},
    {" 1", COPY_TEXT_BIGINT, COPY_TEXT_BAD_INTEGER},
    {"+1", COPY_TEXT_BIGINT, COPY_TEXT_BAD_INTEGER},
    {"1.0", COPY_TEXT_BIGINT, COPY_TEXT_BAD_INTEGER},
    {"99999999999999999999x", COPY_TEXT_BIGINT, COPY_TEXT_BAD_INTEGER},
    {"1\\2", COPY_TEXT_BIGINT, COPY_TEXT_BAD_INTEGER},  /* a backslash is no part of a number */
    {"2025-02-29", COPY_TEXT_DATE, COPY_TEXT_BAD_DATE}, /* 2025 is not a leap year */
    {"2025-3-01", COPY_TEXT_DATE, COPY_TEXT_BAD_DATE},
    {"2025-03-01 ", COPY_TEXT_DATE, COPY_TEXT_BAD_DATE},
    {"Infinity", COPY_TEXT_DATE, COPY_TEXT_BAD_DATE},
    /* Years PostgreSQL accepts but a date here cannot hold. */
    {"10000-01-01", COPY_TEXT_DATE, COPY_TEXT_DATE_RANGE},
    {"0001-01-01 BC", COPY_TEXT_DATE, COPY_TEXT_DATE_RANGE},
    /* A BC timestamp (ISO style puts " BC" last) and a five-digit year. */
    {"0044-03-15 12:00:00+00:53:28 BC", COPY_TEXT_TIMESTAMPTZ, COPY_TEXT_DATE_RANGE},
    {"10000-01-01 00:00:00+00", COPY_TEXT_TIMESTAMPTZ, COPY_TEXT_DATE_RANGE},
    {"2025-03-01T12:00:00+00", COPY_TEXT_TIMESTAMPTZ, COPY_TEXT_BAD_TIMESTAMP},
    {"2025-03-01 12:00:00", COPY_TEXT_TIMESTAMPTZ, COPY_TEXT_BAD_TIMESTAMP},
    {"2025-03-01 12:00:00+00:3", COPY_TEXT_TIMESTAMPTZ, COPY_TEXT_BAD_TIMESTAMP},
    {"2025-02-30 12:00:00+00", COPY_TEXT_TIMESTAMPTZ, COPY_TEXT_BAD_TIMESTAMP},
    {"2025-03-01", COPY_TEXT_TIMESTAMPTZ, COPY_TEXT_BAD_TIMESTAMP},
    /* Escapes COPY TO does not write. */
    {"ab\\", COPY_TEXT_TEXT, COPY_TEXT_BAD_ESCAPE}, /* dangling at the end */
    {"\\", COPY_TEXT_TEXT, COPY_TEXT_BAD_ESCAPE},
    {"a\\N", COPY_TEXT_TEXT, COPY_TEXT_BAD_ESCAPE},  /* \N only as a whole field */
    {"\\x41", COPY_TEXT_TEXT, COPY_TEXT_BAD_ESCAPE}, /* COPY FROM only */
    {"\\101", COPY_TEXT_TEXT, COPY_TEXT_BAD_ESCAPE}, /* COPY FROM only */
    {"\\0", COPY_TEXT_TEXT, COPY_TEXT_BAD_ESCAPE},
    /* Invalid UTF-8. */
    {"\x80", COPY_TEXT_TEXT, COPY_TEXT_BAD_UTF8},             /* continuation first */
    {"ab\xc3", COPY_TEXT_TEXT, COPY_TEXT_BAD_UTF8},           /* cut short at the end */
    {"\xc3(", COPY_TEXT_TEXT, COPY_TEXT_BAD_UTF8},            /* no continuation */
    {"\xc0\xaf", COPY_TEXT_TEXT, COPY_TEXT_BAD_UTF8},         /* overlong '/' */
    {"\xe0\x80\xaf", COPY_TEXT_TEXT, COPY_TEXT_BAD_UTF8},     /* overlong '/' */
    {"\xed\xa0\x80", COPY_TEXT_TEXT, COPY_TEXT_BAD_UTF8},     /* surrogate U+D800 */
    {"\xf4\x90\x80\x80", COPY_TEXT_TEXT, COPY_TEXT_BAD_UTF8}, /* U+110000 */
    {"\xf5\x80\x80\x80", COPY_TEXT_TEXT, COPY_TEXT_BAD_UTF8},
    {"\xff", COPY_TEXT_TEXT, COPY_TEXT_BAD_UTF8},
    /* COPY TO writes a boolean as t or f, nothing else. */
    {"", COPY_TEXT_BOOLEAN, COPY_TEXT_BAD_BOOLEAN},
    {"true", COPY_TEXT_BOOLEAN, COPY_TEXT_BAD_BOOLEAN},
    {"T", COPY_TEXT_BOOLEAN, COPY_TEXT_BAD_BOOLEAN},
    {"1", COPY_TEXT_BOOLEAN, COPY_TEXT_BAD_BOOLEAN},
    {"tf", COPY_TEXT_BOOLEAN, COPY_TEXT_BAD_BOOLEAN},
};

/* The text field must decode to exactly want[0..want_len). */
static void expect_text(const struct copy_text_field *field, const char *want, size_t want_len)
{
	char out[64];
	ck_assert(!field->null);
	ck_assert_uint_eq(field->text_len, want_len);
	ck_assert_uint_eq(copy_text_decode(field, out, sizeof(out)), want_len);
	ck_assert(memcmp(out, want, want_len) == 0);
	ck_assert_int_eq(out[want_len], '\0');
}

START_TEST(test_escapes)
{
	static const enum copy_text_type types[] = {COPY_TEXT_TEXT, COPY_TEXT_TEXT, COPY_TEXT_TEXT,
	                                            COPY_TEXT_TEXT};
	/* Raw: a\tb\nc\\d <TAB> \b\f\r\v <TAB> \\N <TAB> x\\ <LF> */
	const char *row = "a\\tb\\nc\\\\d\t\\b\\f\\r\\v\t\\\\N\tx\\\\\n";
	struct copy_text_field f[4];
	struct copy_text_error error;
	ck_assert(copy_text_parse(row, strlen(row), types, 4, f, &error));
	expect_text(&f[0], "a\tb\nc\\d", 7); /* a TAB b LF c \ d */
	expect_text(&f[1], "\b\f\r\v", 4);
	/* An escaped backslash before N is the text "\N", not null. */
	expect_text(&f[2], "\\N", 2);
	/* "\\" then a raw tab: the tab separates, the backslash is data. */
	expect_text(&f[3], "x\\", 2);
}
END_TEST

START_TEST(test_null_and_empty)
{
	static const enum copy_text_type types[] = {COPY_TEXT_BIGINT, COPY_TEXT_TEXT,
	                                            COPY_TEXT_TEXT, COPY_TEXT_DATE,
	                                            COPY_TEXT_TIMESTAMPTZ};
	struct copy_text_field f[5];
	struct copy_text_error error;
	/* No trailing newline: allowed too. */
	const char *row = "\\N\t\t\\N\t\\N\t\\N";
	ck_assert(copy_text_parse(row, strlen(row), types, 5, f, &error));
	ck_assert(f[0].null);
	expect_text(&f[1], "", 0); /* empty, not null */
	ck_assert(f[2].null);
	ck_assert(f[3].null);
	ck_assert(f[4].null);
	/* A row of one empty field, with and without its newline. */
	ck_assert(parse_one("", one_text, f, &error));
	expect_text(&f[0], "", 0);
	ck_assert(parse_one("\n", one_text, f, &error));
	expect_text(&f[0], "", 0);
}
END_TEST

START_TEST(test_integers)
{
	static const enum copy_text_type types[] = {COPY_TEXT_BIGINT, COPY_TEXT_BIGINT,
	                                            COPY_TEXT_BIGINT, COPY_TEXT_BIGINT};
	struct copy_text_field f[4];
	struct copy_text_error error;
	const char *row = "42\t-7\t9223372036854775807\t-9223372036854775808\n";
	ck_assert(copy_text_parse(row, strlen(row), types, 4, f, &error));
	ck_assert_int_eq(f[0].bigint, 42);
	ck_assert_int_eq(f[1].bigint, -7);
	ck_assert(f[2].bigint == INT64_MAX); /* 2^63 - 1 */
	ck_assert(f[3].bigint == INT64_MIN); /* -2^63 */
}
END_TEST

START_TEST(test_dates)
{
	static const enum copy_text_type types[] = {COPY_TEXT_DATE, COPY_TEXT_DATE, COPY_TEXT_DATE,
	                                            COPY_TEXT_DATE, COPY_TEXT_DATE, COPY_TEXT_DATE};
	struct copy_text_field f[6];
	struct copy_text_error error;
	const char *row = "2025-03-01\t1970-01-01\t1969-12-31\t2000-02-29\tinfinity\t-infinity\n";
	ck_assert(copy_text_parse(row, strlen(row), types, 6, f, &error));
	ck_assert_int_eq(f[0].day, MARCH_1_2025);
	ck_assert_int_eq(f[1].day, 0);
	ck_assert_int_eq(f[2].day, -1);
	ck_assert_int_eq(f[3].day, 11016);
	/* An open end stays open. */
	ck_assert(f[4].null);
	ck_assert(f[5].null);
}
END_TEST

START_TEST(test_timestamps)
{
	static const enum copy_text_type types[] = {COPY_TEXT_TIMESTAMPTZ, COPY_TEXT_TIMESTAMPTZ,
	                                            COPY_TEXT_TIMESTAMPTZ, COPY_TEXT_TIMESTAMPTZ,
	                                            COPY_TEXT_TIMESTAMPTZ};
	struct copy_text_field f[5];
	struct copy_text_error error;
	const char *row = "2025-03-01 12:30:15+00\t2025-03-01 00:30:00.123456-05\t"
	                  "2025-03-01 23:00:00+05:30\t2025-03-01 00:00:00+00:53:28\tinfinity\n";
	ck_assert(copy_text_parse(row, strlen(row), types, 5, f, &error));
	/* 12:30:15 = 45015 s after midnight UTC. */
	ck_assert_int_eq(f[0].day, MARCH_1_2025);
	ck_assert_int_eq(f[0].at, MARCH_1_2025_UNIX + 45015);
	/* 00:30 at UTC-5 is 05:30 UTC: 1800 + 18000 s; the fraction is dropped;
	 * the day is the local one as printed. */
	ck_assert_int_eq(f[1].day, MARCH_1_2025);
	ck_assert_int_eq(f[1].at, MARCH_1_2025_UNIX + 1800 + 18000);
	/* 23:00 at UTC+5:30 is 17:30 UTC: 82800 - 19800 s. */
	ck_assert_int_eq(f[2].day, MARCH_1_2025);
	ck_assert_int_eq(f[2].at, MARCH_1_2025_UNIX + 82800 - 19800);
	/* A local mean time offset with seconds: 53 * 60 + 28 = 3208 s east. */
	ck_assert_int_eq(f[3].day, MARCH_1_2025);
	ck_assert_int_eq(f[3].at, MARCH_1_2025_UNIX - 3208);
	ck_assert(f[4].null);
}
END_TEST

START_TEST(test_booleans)
{
	static const enum copy_text_type types[] = {COPY_TEXT_BOOLEAN, COPY_TEXT_BOOLEAN,
	                                            COPY_TEXT_BOOLEAN};
	struct copy_text_field f[3];
	struct copy_text_error error;
	const char *row = "t\tf\t\\N\n";
	ck_assert(copy_text_parse(row, strlen(row), types, 3, f, &error));
	ck_assert(!f[0].null && f[0].boolean);
	ck_assert(!f[1].null && !f[1].boolean);
	ck_assert(f[2].null && !f[2].boolean);
}
END_TEST

START_TEST(test_single_column_faults)
{
	for (size_t i = 0; i < sizeof(single_column_faults) / sizeof(single_column_faults[0]);
	     i++) {
		const char *row = single_column_faults[i].row;
		struct copy_text_field field;
		struct copy_text_error error = {COPY_TEXT_FIELD_COUNT, 99};
		ck_assert_msg(!copy_text_parse(row, strlen(row), &single_column_faults[i].type, 1,
		                               &field, &error),
		              "case %zu accepted", i);
		ck_assert_msg(error.fault == single_column_faults[i].want,
		              "case %zu: fault %d, want %d", i, (int)error.fault,
		              (int)single_column_faults[i].want);
		ck_assert_int_eq(error.column, 0);
	}
}
END_TEST

START_TEST(test_field_count)
{
	static const enum copy_text_type types[] = {COPY_TEXT_BIGINT, COPY_TEXT_TEXT,
	                                            COPY_TEXT_DATE};
	struct copy_text_field f[COPY_TEXT_MAX_FIELDS + 1];
	struct copy_text_error error;
	ck_assert(!copy_text_parse("1\tx\n", 4, types, 3, f, &error));
	ck_assert_int_eq(error.fault, COPY_TEXT_FIELD_COUNT);
	ck_assert_int_eq(error.column, -1);
	/* A trailing tab starts a fourth (empty) field. */
	const char *four = "1\tx\t2025-01-01\t\n";
	ck_assert(!copy_text_parse(four, strlen(four), types, 3, f, &error));
	ck_assert_int_eq(error.fault, COPY_TEXT_FIELD_COUNT);
	ck_assert_int_eq(error.column, -1);
	/* Column counts the parser cannot hold are refused, not overrun. */
	ck_assert(!copy_text_parse("1", 1, types, 0, f, &error));
	ck_assert_int_eq(error.fault, COPY_TEXT_FIELD_COUNT);
	ck_assert(!copy_text_parse("1", 1, types, COPY_TEXT_MAX_FIELDS + 1, f, &error));
	ck_assert_int_eq(error.fault, COPY_TEXT_FIELD_COUNT);
}
END_TEST

START_TEST(test_invalid_escape)
{
	static const enum copy_text_type types[] = {COPY_TEXT_BIGINT, COPY_TEXT_TEXT,
	                                            COPY_TEXT_TEXT};
	struct copy_text_field f[3];
	struct copy_text_error error;
	/* The third field is the bad one: the error names column 2. */
	const char *row = "1\tok\t\\q\n";
	ck_assert(!copy_text_parse(row, strlen(row), types, 3, f, &error));
	ck_assert_int_eq(error.fault, COPY_TEXT_BAD_ESCAPE);
	ck_assert_int_eq(error.column, 2);
}
END_TEST

START_TEST(test_utf8)
{
	struct copy_text_field f[2];
	struct copy_text_error error;
	ck_assert(parse_one("Ca\xc3\xb1"
	                    "ada",
	                    one_text, f, &error));
	expect_text(&f[0],
	            "Ca\xc3\xb1"
	            "ada",
	            7);
	ck_assert(parse_one("\xf0\x9f\x98\x80", one_text, f, &error)); /* U+1F600 */
	ck_assert_uint_eq(f[0].text_len, 4);
	ck_assert(parse_one("\xef\xbf\xbf", one_text, f, &error));     /* U+FFFF */
	ck_assert(parse_one("\xf4\x8f\xbf\xbf", one_text, f, &error)); /* U+10FFFF */
	/* A byte that is invalid in a code column of a longer row. */
	static const enum copy_text_type types[] = {COPY_TEXT_BIGINT, COPY_TEXT_TEXT};
	ck_assert(!copy_text_parse("5\tx\xffy\n", 6, types, 2, f, &error));
	ck_assert_int_eq(error.fault, COPY_TEXT_BAD_UTF8);
	ck_assert_int_eq(error.column, 1);
	/* A NUL byte: PostgreSQL text cannot hold one, a C string ends there. */
	ck_assert(!copy_text_parse("a\0b", 3, one_text, 1, f, &error));
	ck_assert_int_eq(error.fault, COPY_TEXT_BAD_UTF8);
	ck_assert(!copy_text_parse("1\0", 2, one_bigint, 1, f, &error));
	ck_assert_int_eq(error.fault, COPY_TEXT_BAD_INTEGER);
}
END_TEST

START_TEST(test_decode_cut)
{
	struct copy_text_field f;
	struct copy_text_error error;
	char out[8];
	ck_assert(parse_one("Ca\xc3\xb1"
	                    "ada",
	                    one_text, &f, &error));
	/* Room for 3 bytes: C, a, and half of the two-byte n-tilde, dropped. */
	ck_assert_uint_eq(copy_text_decode(&f, out, 4), 2);
	ck_assert_str_eq(out, "Ca");
	/* Room for 4: the n-tilde whole. */
	ck_assert_uint_eq(copy_text_decode(&f, out, 5), 4);
	ck_assert_str_eq(out, "Ca\xc3\xb1");
	ck_assert_uint_eq(copy_text_decode(&f, out, 1), 0);
	ck_assert_str_eq(out, "");
	/* Three bytes of a four-byte character: nothing left. */
	ck_assert(parse_one("\xf0\x9f\x98\x80"
	                    "x",
	                    one_text, &f, &error));
	ck_assert_uint_eq(copy_text_decode(&f, out, 4), 0);
	ck_assert_str_eq(out, "");
	/* The cut counts decoded bytes: "a\tb" is 3 bytes, room for 2. */
	ck_assert(parse_one("a\\tb", one_text, &f, &error));
	ck_assert_uint_eq(copy_text_decode(&f, out, 3), 2);
	ck_assert_str_eq(out, "a\t");
}
END_TEST

START_TEST(test_fault_texts)
{
	/* Every fault has its own phrase (they end up in the log). */
	for (int a = COPY_TEXT_FIELD_COUNT; a <= COPY_TEXT_BAD_BOOLEAN; a++) {
		ck_assert_str_ne(copy_text_fault_text((enum copy_text_fault)a), "unknown fault");
		for (int b = a + 1; b <= COPY_TEXT_BAD_BOOLEAN; b++)
			ck_assert_str_ne(copy_text_fault_text((enum copy_text_fault)a),
			                 copy_text_fault_text((enum copy_text_fault)b));
	}
}
END_TEST

static Suite *copy_text_suite(void)
{
	Suite *s = suite_create("copy_text");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_escapes);
	tcase_add_test(tc, test_null_and_empty);
	tcase_add_test(tc, test_integers);
	tcase_add_test(tc, test_dates);
	tcase_add_test(tc, test_timestamps);
	tcase_add_test(tc, test_booleans);
	tcase_add_test(tc, test_single_column_faults);
	tcase_add_test(tc, test_field_count);
	tcase_add_test(tc, test_invalid_escape);
	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_decode_cut);
	tcase_add_test(tc, test_fault_texts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(copy_text_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
