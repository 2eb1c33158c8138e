/*
 * fuzz_copy_text.c — the COPY TO text row parser (src/copy_text.c).
 *
 * Input: byte 0 picks the column count (1..COPY_TEXT_MAX_FIELDS), bytes
 * 1..4 the column types (3 bits each, little-endian, modulo the number of
 * types), the rest is the row as PQgetCopyData() would hand it over.
 * Properties of an accepted row: fields tile the row; a date prints back to
 * its own text; an integer reads as strtoll() reads it; a timestamp's
 * instant is its printed date and time shifted by at most the largest
 * offset the grammar allows; a text field decodes to text_len bytes with no
 * NUL inside, and a cut decode is a UTF-8-valid prefix of the whole one; a
 * boolean is the one letter t or f it was read from.
 */
#include <errno.h>
#include <string.h>

#include "../../src/source_internal.h"
#include "casa/date.h"
#include "fuzz.h"

#define HEADER_BYTES 5
#define TYPE_COUNT   (COPY_TEXT_BOOLEAN + 1) /* the last of enum copy_text_type */
/* HH, MM, SS and the offset's three parts are two digits each: 99 at most. */
#define TIMESTAMP_SLACK_S (2 * (99 * 3600 + 99 * 60 + 99))

/* Whole characters only (the cut of copy_text_decode). */
static bool utf8_complete(const char *text, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char b = (unsigned char)text[i];
		size_t width = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
		if (i + width > n)
			return false;
		i += width;
	}
	return true;
}

static void check_text(const struct copy_text_field *field)
{
	size_t cap = field->text_len + 1;
	char *whole = malloc(cap);
	FUZZ_CHECK(whole != NULL);
	FUZZ_CHECK(copy_text_decode(field, whole, cap) == field->text_len);
	FUZZ_CHECK(whole[field->text_len] == '\0');
	FUZZ_CHECK(strlen(whole) == field->text_len);
	for (size_t small = 1; small <= field->text_len && small <= 8; small++) {
		char cut[9];
		size_t n = copy_text_decode(field, cut, small);
		FUZZ_CHECK(n < small && cut[n] == '\0');
		FUZZ_CHECK(memcmp(cut, whole, n) == 0);
		FUZZ_CHECK(utf8_complete(cut, n));
	}
	free(whole);
}

static void check_bigint(const struct copy_text_field *field)
{
	/* leading zeros make the text as long as the input */
	char *text = malloc(field->raw_len + 1);
	FUZZ_CHECK(text != NULL);
	memcpy(text, field->raw, field->raw_len);
	text[field->raw_len] = '\0';
	errno = 0;
	long long value = strtoll(text, NULL, 10);
	FUZZ_CHECK(errno == 0 && value == field->bigint);
	free(text);
}

static void check_date(const struct copy_text_field *field)
{
	char text[DATE_TEXT_LEN];
	date_format(field->day, text);
	FUZZ_CHECK(field->raw_len == 10 && memcmp(text, field->raw, 10) == 0);
}

static void check_boolean(const struct copy_text_field *field)
{
	FUZZ_CHECK(field->raw_len == 1 && field->raw[0] == (field->boolean ? 't' : 'f'));
}

static void check_timestamp(const struct copy_text_field *field)
{
	int32_t day;
	FUZZ_CHECK(date_parse(field->raw, 10, &day) && day == field->day);
	int64_t shift = field->at - (int64_t)day * 86400;
	FUZZ_CHECK(shift >= -TIMESTAMP_SLACK_S && shift <= TIMESTAMP_SLACK_S);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum copy_text_type types[COPY_TEXT_MAX_FIELDS];
	struct copy_text_field fields[COPY_TEXT_MAX_FIELDS];
	struct copy_text_error error;
	if (size < HEADER_BYTES)
		return 0;
	int count = 1 + data[0] % COPY_TEXT_MAX_FIELDS;
	uint32_t bits = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
	                (uint32_t)data[4] << 24;
	for (int c = 0; c < count; c++)
		types[c] = (enum copy_text_type)(((bits >> (3 * c)) & 7) % TYPE_COUNT);
	const char *row = (const char *)data + HEADER_BYTES;
	size_t len = size - HEADER_BYTES;
	if (!copy_text_parse(row, len, types, count, fields, &error)) {
		FUZZ_CHECK(error.column >= -1 && error.column < count);
		FUZZ_CHECK(copy_text_fault_text(error.fault) != NULL);
		return 0;
	}
	/* The fields tile the row: one tab between neighbours, the first at
	 * the start, the last at the end (before an optional newline). */
	size_t body = len > 0 && row[len - 1] == '\n' ? len - 1 : len;
	FUZZ_CHECK(fields[0].raw == row);
	for (int c = 0; c + 1 < count; c++)
		FUZZ_CHECK(fields[c].raw + fields[c].raw_len + 1 == fields[c + 1].raw &&
		           fields[c].raw[fields[c].raw_len] == '\t');
	FUZZ_CHECK(fields[count - 1].raw + fields[count - 1].raw_len == row + body);
	for (int c = 0; c < count; c++) {
		const struct copy_text_field *field = &fields[c];
		if (field->null)
			continue;
		switch (types[c]) {
		case COPY_TEXT_TEXT:
			check_text(field);
			break;
		case COPY_TEXT_BIGINT:
			check_bigint(field);
			break;
		case COPY_TEXT_DATE:
			check_date(field);
			break;
		case COPY_TEXT_TIMESTAMPTZ:
			check_timestamp(field);
			break;
		case COPY_TEXT_BOOLEAN:
			check_boolean(field);
			break;
		}
	}
	return 0;
}
