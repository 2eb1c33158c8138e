/*
 * date.h — calendar arithmetic on day numbers, and reporting periods.
 *
 * A date is an int32_t count of days since 1970-01-01 (proleptic Gregorian).
 * Every interval in the project is half-open, [start, end): a row covers
 * start <= d < end (SPEC §3). DATE_OPEN stands for a null end ("through
 * as_of"); it compares greater than every real date.
 *
 * A period is named by (period type, index):
 *   month       index = year * 12 + (month - 1)
 *   quarter     index = year * 4 + (month - 1) / 3
 *   year        index = year
 *   fiscal_year index = the calendar year in which the fiscal year ends
 *                       (FY2025 with start month 10 = 2024-10-01..2025-09-30;
 *                       with start month 1, FY2025 = calendar 2025)
 * Pure functions, no I/O, no state.
 */
#ifndef CASA_DATE_H
#define CASA_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DATE_OPEN INT32_MAX /* null end date: open through as_of */
#define DATE_TEXT_LEN 11    /* "YYYY-MM-DD" plus NUL */

int32_t date_from_ymd(int year, int month, int day);
void date_to_ymd(int32_t date, int *year, int *month, int *day);

/* Parses exactly "YYYY-MM-DD" (n bytes, no NUL needed); false when malformed
 * or not a real calendar day. */
bool date_parse(const char *text, size_t n, int32_t *out);
/* Writes "YYYY-MM-DD" and a NUL into out. */
void date_format(int32_t date, char out[DATE_TEXT_LEN]);

/* The same day of month `years` later; 29 February becomes 28 February in a
 * non-leap year. */
int32_t date_add_years(int32_t date, int years);
/* Whole years from birth_month to date (SPEC §3: age at a date); negative
 * when date is before birth. */
int date_age_years(int32_t birth_month, int32_t date);

enum period_type {
	PERIOD_MONTH,
	PERIOD_QUARTER,
	PERIOD_YEAR,
	PERIOD_FISCAL_YEAR,
	PERIOD_TYPE_COUNT
};

/* "month", "quarter", "year", "fiscal_year". */
const char *period_type_name(enum period_type type);
/* false when name is none of the above. */
bool period_type_parse(const char *name, enum period_type *out);

/* fy_start_month: 1..12 (10 = US federal fiscal year). */
int32_t period_index_of(enum period_type type, int fy_start_month, int32_t date);
int32_t period_first_day(enum period_type type, int fy_start_month, int32_t index);
int32_t period_last_day(enum period_type type, int fy_start_month, int32_t index);

#define PERIOD_LABEL_LEN 16
/* "2025-03", "2025-Q1", "2025", "FY2025". */
void period_label(enum period_type type, int32_t index, char out[PERIOD_LABEL_LEN]);
/* Parses a label of the given type (used for from/to); false when malformed. */
bool period_label_parse(enum period_type type, const char *text, int32_t *index);

#endif
