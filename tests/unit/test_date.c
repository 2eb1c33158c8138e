/*
 * test_date.c — calendar arithmetic and periods (SPEC §3). Expected values are
 * worked out by hand in the comments.
 */
#include <check.h>
#include <stdlib.h>

#include "casa/date.h"

static int32_t d(const char *text)
{
	int32_t out = 0;
	ck_assert_msg(date_parse(text, 10, &out), "bad date %s", text);
	return out;
}

START_TEST(test_epoch_and_round_trip)
{
	char text[DATE_TEXT_LEN];
	ck_assert_int_eq(date_from_ymd(1970, 1, 1), 0);
	/* 2000-01-01: 30 years of 365 days + 7 leap days (1972, 76, 80, 84, 88,
	 * 92, 96) = 10957; 2000-03-01 adds January (31) and February 2000 (29,
	 * divisible by 400) = 11017. */
	ck_assert_int_eq(date_from_ymd(2000, 1, 1), 10957);
	ck_assert_int_eq(date_from_ymd(2000, 3, 1), 11017);
	date_format(date_from_ymd(2024, 2, 29), text);
	ck_assert_str_eq(text, "2024-02-29");
	for (int32_t day = -800000; day < 800000; day += 97) {
		int y, m, dd;
		date_to_ymd(day, &y, &m, &dd);
		ck_assert_int_eq(date_from_ymd(y, m, dd), day);
	}
}
END_TEST

START_TEST(test_parse_rejects)
{
	int32_t out;
	ck_assert(!date_parse("2023-02-29", 10, &out)); /* 2023 is not a leap year */
	ck_assert(date_parse("2024-02-29", 10, &out));
	ck_assert(!date_parse("1900-02-29", 10, &out)); /* divisible by 100, not 400 */
	ck_assert(date_parse("2000-02-29", 10, &out));  /* divisible by 400 */
	ck_assert(!date_parse("2024-13-01", 10, &out));
	ck_assert(!date_parse("2024-04-31", 10, &out));
	ck_assert(!date_parse("2024-4-1", 8, &out));
	ck_assert(!date_parse("2024/04/01", 10, &out));
	ck_assert(!date_parse("2024-04-0x", 10, &out));
}
END_TEST

START_TEST(test_half_open_days)
{
	/* Enter 2024-02-28, leave 2024-03-01: days 02-28 and 02-29 = 2 days. */
	ck_assert_int_eq(d("2024-03-01") - d("2024-02-28"), 2);
	/* Enter one day, leave the next: 1 day in care. */
	ck_assert_int_eq(d("2025-01-02") - d("2025-01-01"), 1);
	/* A whole leap year: 366 days, a common year 365. */
	ck_assert_int_eq(d("2025-01-01") - d("2024-01-01"), 366);
	ck_assert_int_eq(d("2026-01-01") - d("2025-01-01"), 365);
}
END_TEST

START_TEST(test_ages)
{
	int32_t born = d("2007-03-01");
	/* The 18th birthday is birth_month + 18 years = 2025-03-01. */
	ck_assert_int_eq(date_add_years(born, 18), d("2025-03-01"));
	ck_assert_int_eq(date_age_years(born, d("2025-02-28")), 17);
	ck_assert_int_eq(date_age_years(born, d("2025-03-01")), 18);
	ck_assert_int_eq(date_age_years(born, d("2007-03-01")), 0);
	ck_assert_int_eq(date_age_years(born, d("2007-02-28")), -1);
	/* 29 February plus one year is 28 February. */
	ck_assert_int_eq(date_add_years(d("2024-02-29"), 1), d("2025-02-28"));
	ck_assert_int_eq(date_add_years(d("2024-02-29"), 4), d("2028-02-29"));
}
END_TEST

START_TEST(test_periods)
{
	char label[PERIOD_LABEL_LEN];
	int32_t i;
	/* 2025-03-15: month index 2025*12 + 2 = 24302; quarter 2025*4 + 0 = 8100. */
	ck_assert_int_eq(period_index_of(PERIOD_MONTH, 10, d("2025-03-15")), 24302);
	ck_assert_int_eq(period_index_of(PERIOD_QUARTER, 10, d("2025-03-15")), 8100);
	ck_assert_int_eq(period_index_of(PERIOD_YEAR, 10, d("2025-03-15")), 2025);
	period_label(PERIOD_MONTH, 24302, label);
	ck_assert_str_eq(label, "2025-03");
	period_label(PERIOD_QUARTER, 8100, label);
	ck_assert_str_eq(label, "2025-Q1");
	ck_assert_int_eq(period_first_day(PERIOD_QUARTER, 10, 8100), d("2025-01-01"));
	ck_assert_int_eq(period_last_day(PERIOD_QUARTER, 10, 8100), d("2025-03-31"));
	/* Leap February: last day 2024-02-29. */
	ck_assert_int_eq(period_last_day(PERIOD_MONTH, 10, 2024 * 12 + 1), d("2024-02-29"));
	ck_assert(period_label_parse(PERIOD_QUARTER, "2025-Q4", &i) && i == 2025 * 4 + 3);
	ck_assert(!period_label_parse(PERIOD_QUARTER, "2025-Q5", &i));
	ck_assert(!period_label_parse(PERIOD_MONTH, "2025-13", &i));
	ck_assert(period_label_parse(PERIOD_FISCAL_YEAR, "FY2025", &i) && i == 2025);
	ck_assert(!period_label_parse(PERIOD_YEAR, "FY2025", &i));
}
END_TEST

START_TEST(test_fiscal_years)
{
	char label[PERIOD_LABEL_LEN];
	/* Federal FY (start October): FY2025 = 2024-10-01 .. 2025-09-30. */
	ck_assert_int_eq(period_index_of(PERIOD_FISCAL_YEAR, 10, d("2024-09-30")), 2024);
	ck_assert_int_eq(period_index_of(PERIOD_FISCAL_YEAR, 10, d("2024-10-01")), 2025);
	ck_assert_int_eq(period_index_of(PERIOD_FISCAL_YEAR, 10, d("2025-09-30")), 2025);
	ck_assert_int_eq(period_first_day(PERIOD_FISCAL_YEAR, 10, 2025), d("2024-10-01"));
	ck_assert_int_eq(period_last_day(PERIOD_FISCAL_YEAR, 10, 2025), d("2025-09-30"));
	period_label(PERIOD_FISCAL_YEAR, 2025, label);
	ck_assert_str_eq(label, "FY2025");
	/* July start (many states): FY2025 = 2024-07-01 .. 2025-06-30. */
	ck_assert_int_eq(period_index_of(PERIOD_FISCAL_YEAR, 7, d("2024-07-01")), 2025);
	ck_assert_int_eq(period_index_of(PERIOD_FISCAL_YEAR, 7, d("2024-06-30")), 2024);
	ck_assert_int_eq(period_first_day(PERIOD_FISCAL_YEAR, 7, 2025), d("2024-07-01"));
	/* January start: the fiscal year is the calendar year. */
	ck_assert_int_eq(period_index_of(PERIOD_FISCAL_YEAR, 1, d("2025-01-01")), 2025);
	ck_assert_int_eq(period_index_of(PERIOD_FISCAL_YEAR, 1, d("2025-12-31")), 2025);
	ck_assert_int_eq(period_last_day(PERIOD_FISCAL_YEAR, 1, 2025), d("2025-12-31"));
	/* FY2024 (October start) holds 2023-10-01 .. 2024-09-30: 366 days (Feb 2024). */
	ck_assert_int_eq(period_last_day(PERIOD_FISCAL_YEAR, 10, 2024) -
			     period_first_day(PERIOD_FISCAL_YEAR, 10, 2024) + 1,
			 366);
}
END_TEST

static Suite *date_suite(void)
{
	Suite *s = suite_create("date");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_epoch_and_round_trip);
	tcase_add_test(tc, test_parse_rejects);
	tcase_add_test(tc, test_half_open_days);
	tcase_add_test(tc, test_ages);
	tcase_add_test(tc, test_periods);
	tcase_add_test(tc, test_fiscal_years);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(date_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
