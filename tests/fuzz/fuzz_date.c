/*
 * fuzz_date.c — the date and period parsers (src/date.c): date_parse() as
 * the COPY parser and the configuration use it, the COPY parser's
 * timestamp with time zone (one column, src/copy_text.c), and
 * period_label_parse() as the API reads from/to.
 *
 * Input: byte 0 picks the fiscal year's first month (1..12), the rest is
 * the text. Properties: an accepted date or label prints back to the same
 * text; a period's first day is not after its last and both lie in it; the
 * calendar arithmetic on an accepted date stays consistent.
 */
#include <string.h>

#include "../../src/source_internal.h"
#include "casa/date.h"
#include "fuzz.h"

static void check_date(const char *text, size_t n, int fy_start_month)
{
	int32_t day;
	if (!date_parse(text, n, &day))
		return;
	char printed[DATE_TEXT_LEN];
	date_format(day, printed);
	FUZZ_CHECK(n == 10 && memcmp(printed, text, 10) == 0);
	int y, m, d;
	date_to_ymd(day, &y, &m, &d);
	FUZZ_CHECK(date_from_ymd(y, m, d) == day);
	FUZZ_CHECK(date_age_years(day, day) == 0);
	int32_t later = date_add_years(day, 1);
	FUZZ_CHECK(later - day >= 365 && later - day <= 366);
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		enum period_type type = (enum period_type)t;
		int32_t index = period_index_of(type, fy_start_month, day);
		FUZZ_CHECK(period_first_day(type, fy_start_month, index) <= day);
		FUZZ_CHECK(period_last_day(type, fy_start_month, index) >= day);
	}
}

static void check_timestamp(const char *text, size_t n)
{
	static const enum copy_text_type one_timestamp[] = {COPY_TEXT_TIMESTAMPTZ};
	struct copy_text_field field;
	struct copy_text_error error;
	if (!copy_text_parse(text, n, one_timestamp, 1, &field, &error)) {
		FUZZ_CHECK(error.column == 0 || error.column == -1);
		return;
	}
	if (field.null)
		return;
	int32_t day;
	FUZZ_CHECK(date_parse(text, 10, &day) && day == field.day);
}

static void check_labels(const char *text, int fy_start_month)
{
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		enum period_type type = (enum period_type)t;
		int32_t index;
		if (!period_label_parse(type, text, &index))
			continue;
		char label[PERIOD_LABEL_LEN];
		period_label(type, index, label);
		FUZZ_CHECK(strcmp(label, text) == 0);
		int32_t first = period_first_day(type, fy_start_month, index);
		int32_t last = period_last_day(type, fy_start_month, index);
		FUZZ_CHECK(first <= last);
		FUZZ_CHECK(period_index_of(type, fy_start_month, first) == index);
		FUZZ_CHECK(period_index_of(type, fy_start_month, last) == index);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int fy_start_month = 1 + data[0] % 12;
	size_t n = size - 1;
	/* the API hands period_label_parse() a C string: cut at a NUL */
	char *text = malloc(n + 1);
	FUZZ_CHECK(text != NULL);
	memcpy(text, data + 1, n);
	text[n] = '\0';
	check_date(text, n, fy_start_month);
	check_timestamp(text, n);
	check_labels(text, fy_start_month);
	free(text);
	return 0;
}
