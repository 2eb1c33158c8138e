/*
 * date.c — civil-calendar conversions (Howard Hinnant's days_from_civil /
 * civil_from_days algorithms) and reporting periods.
 */
#include "casa/date.h"

#include <string.h>

int32_t date_from_ymd(int year, int month, int day)
{
	int y = year - (month <= 2);
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

void date_to_ymd(int32_t date, int *year, int *month, int *day)
{
	int32_t z = date + 719468;
	int32_t era = (z >= 0 ? z : z - 146096) / 146097;
	int32_t doe = z - era * 146097;
	int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int32_t mp = (5 * doy + 2) / 153;
	int32_t d = doy - (153 * mp + 2) / 5 + 1;
	int32_t m = mp < 10 ? mp + 3 : mp - 9;
	*year = (int)(yoe + era * 400 + (m <= 2));
	*month = (int)m;
	*day = (int)d;
}

static bool is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

static bool parse_digits(const char *text, int n, int *out)
{
	int value = 0;
	for (int i = 0; i < n; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		value = value * 10 + (text[i] - '0');
	}
	*out = value;
	return true;
}

bool date_parse(const char *text, size_t n, int32_t *out)
{
	int y, m, d;
	if (n != 10 || text[4] != '-' || text[7] != '-')
		return false;
	if (!parse_digits(text, 4, &y) || !parse_digits(text + 5, 2, &m) ||
	    !parse_digits(text + 8, 2, &d))
		return false;
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return false;
	*out = date_from_ymd(y, m, d);
	return true;
}

/* Writes n decimal digits of value (years outside 0..9999 wrap, which no
 * source date reaches) and returns the end. */
static char *put_digits(char *out, int value, int n)
{
	unsigned v = (unsigned)value;
	for (int i = n - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return out + n;
}

void date_format(int32_t date, char out[DATE_TEXT_LEN])
{
	int y, m, d;
	date_to_ymd(date, &y, &m, &d);
	char *p = put_digits(out, y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p = '\0';
}

int32_t date_add_years(int32_t date, int years)
{
	int y, m, d;
	date_to_ymd(date, &y, &m, &d);
	y += years;
	if (m == 2 && d == 29 && !is_leap(y))
		d = 28;
	return date_from_ymd(y, m, d);
}

int date_age_years(int32_t birth_month, int32_t date)
{
	int by, bm, bd, y, m, d;
	date_to_ymd(birth_month, &by, &bm, &bd);
	date_to_ymd(date, &y, &m, &d);
	int age = y - by;
	if (m < bm || (m == bm && d < bd))
		age--;
	return age;
}

static const char *const period_names[PERIOD_TYPE_COUNT] = {
    "month", "quarter", "year", "fiscal_year"};

const char *period_type_name(enum period_type type)
{
	return period_names[type];
}

bool period_type_parse(const char *name, enum period_type *out)
{
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		if (strcmp(name, period_names[t]) == 0) {
			*out = (enum period_type)t;
			return true;
		}
	}
	return false;
}

/* Months to add to a month index so that dividing by 12 gives the fiscal
 * year (the calendar year the fiscal year ends in). */
static int fy_offset(int fy_start_month)
{
	return fy_start_month == 1 ? 0 : 13 - fy_start_month;
}

static int32_t floor_div(int32_t a, int32_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int32_t period_index_of(enum period_type type, int fy_start_month, int32_t date)
{
	int y, m, d;
	date_to_ymd(date, &y, &m, &d);
	int32_t month_index = y * 12 + (m - 1);
	switch (type) {
	case PERIOD_MONTH:
		return month_index;
	case PERIOD_QUARTER:
		return y * 4 + (m - 1) / 3;
	case PERIOD_YEAR:
		return y;
	case PERIOD_FISCAL_YEAR:
	default:
		return floor_div(month_index + fy_offset(fy_start_month), 12);
	}
}

/* First month index of a period. */
static int32_t first_month(enum period_type type, int fy_start_month, int32_t index)
{
	switch (type) {
	case PERIOD_MONTH:
		return index;
	case PERIOD_QUARTER:
		return index * 3;
	case PERIOD_YEAR:
		return index * 12;
	case PERIOD_FISCAL_YEAR:
	default:
		return index * 12 - fy_offset(fy_start_month);
	}
}

static int32_t month_first_day(int32_t month_index)
{
	return date_from_ymd(floor_div(month_index, 12),
			     month_index - floor_div(month_index, 12) * 12 + 1, 1);
}

int32_t period_first_day(enum period_type type, int fy_start_month, int32_t index)
{
	return month_first_day(first_month(type, fy_start_month, index));
}

int32_t period_last_day(enum period_type type, int fy_start_month, int32_t index)
{
	return period_first_day(type, fy_start_month, index + 1) - 1;
}

void period_label(enum period_type type, int32_t index, char out[PERIOD_LABEL_LEN])
{
	char *p = out;
	switch (type) {
	case PERIOD_MONTH:
		p = put_digits(p, floor_div(index, 12), 4);
		*p++ = '-';
		p = put_digits(p, index - floor_div(index, 12) * 12 + 1, 2);
		break;
	case PERIOD_QUARTER:
		p = put_digits(p, floor_div(index, 4), 4);
		*p++ = '-';
		*p++ = 'Q';
		p = put_digits(p, index - floor_div(index, 4) * 4 + 1, 1);
		break;
	case PERIOD_YEAR:
		p = put_digits(p, index, 4);
		break;
	case PERIOD_FISCAL_YEAR:
	default:
		*p++ = 'F';
		*p++ = 'Y';
		p = put_digits(p, index, 4);
		break;
	}
	*p = '\0';
}

bool period_label_parse(enum period_type type, const char *text, int32_t *index)
{
	size_t n = strlen(text);
	int y, part;
	switch (type) {
	case PERIOD_MONTH:
		if (n != 7 || text[4] != '-' || !parse_digits(text, 4, &y) ||
		    !parse_digits(text + 5, 2, &part) || part < 1 || part > 12)
			return false;
		*index = y * 12 + part - 1;
		return true;
	case PERIOD_QUARTER:
		if (n != 7 || text[4] != '-' || text[5] != 'Q' || !parse_digits(text, 4, &y) ||
		    !parse_digits(text + 6, 1, &part) || part < 1 || part > 4)
			return false;
		*index = y * 4 + part - 1;
		return true;
	case PERIOD_YEAR:
		if (n != 4 || !parse_digits(text, 4, &y))
			return false;
		*index = y;
		return true;
	case PERIOD_FISCAL_YEAR:
	default:
		if (n != 6 || text[0] != 'F' || text[1] != 'Y' || !parse_digits(text + 2, 4, &y))
			return false;
		*index = y;
		return true;
	}
}
