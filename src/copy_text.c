/*
 * copy_text.c — one row of PostgreSQL's COPY TO text format (see
 * source_internal.h for the grammar it accepts and why it is strict).
 */
#include <stdio.h>
#include <string.h>

#include "casa/date.h"
#include "casa/hash.h"
#include "casa/model.h"
#include "source_internal.h"

const char *copy_text_fault_text(enum copy_text_fault fault)
{
	switch (fault) {
	case COPY_TEXT_FIELD_COUNT:
		return "wrong number of fields";
	case COPY_TEXT_BAD_ESCAPE:
		return "invalid backslash escape";
	case COPY_TEXT_BAD_UTF8:
		return "not valid UTF-8 text";
	case COPY_TEXT_BAD_INTEGER:
		return "malformed integer";
	case COPY_TEXT_INTEGER_RANGE:
		return "integer out of range";
	case COPY_TEXT_BAD_DATE:
		return "not a date in YYYY-MM-DD form";
	case COPY_TEXT_DATE_RANGE:
		return "year before 1 AD or after 9999";
	case COPY_TEXT_BAD_TIMESTAMP:
		return "not an ISO timestamp with time zone";
	case COPY_TEXT_BAD_BOOLEAN:
		return "not a boolean (t or f)";
	}
	return "unknown fault";
}

/* The next byte of a field's text, one escape decoded: 1 = *byte set,
 * 0 = end of the field, -1 = an escape COPY TO does not write. */
static int next_byte(const char **cursor, const char *end, uint8_t *byte)
{
	const char *p = *cursor;
	if (p == end)
		return 0;
	char c = *p++;
	if (c == '\\') {
		if (p == end)
			return -1;
		switch (*p++) {
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'v':
			c = '\v';
			break;
		case '\\':
			c = '\\';
			break;
		default:
			return -1;
		}
	}
	*byte = (uint8_t)c;
	*cursor = p;
	return 1;
}

/* UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates, nothing
 * above U+10FFFF), fed one byte at a time. */
struct utf8_check {
	int pending;  /* continuation bytes still due */
	uint8_t low;  /* smallest allowed next continuation byte */
	uint8_t high; /* largest allowed next continuation byte */
};

static bool utf8_accepts(struct utf8_check *check, uint8_t b)
{
	if (check->pending > 0) {
		if (b < check->low || b > check->high)
			return false;
		check->pending--;
		check->low = 0x80;
		check->high = 0xbf;
		return true;
	}
	/* PostgreSQL's text types cannot hold a NUL, and C strings end there. */
	if (b == 0)
		return false;
	if (b < 0x80)
		return true;
	check->low = 0x80;
	check->high = 0xbf;
	if (b >= 0xc2 && b <= 0xdf) {
		check->pending = 1;
	} else if (b >= 0xe0 && b <= 0xef) {
		check->pending = 2;
		if (b == 0xe0)
			check->low = 0xa0; /* no overlong three-byte form */
		if (b == 0xed)
			check->high = 0x9f; /* no surrogate */
	} else if (b >= 0xf0 && b <= 0xf4) {
		check->pending = 3;
		if (b == 0xf0)
			check->low = 0x90; /* no overlong four-byte form */
		if (b == 0xf4)
			check->high = 0x8f; /* nothing above U+10FFFF */
	} else {
		return false;
	}
	return true;
}

static bool parse_text(struct copy_text_field *f, enum copy_text_fault *fault)
{
	const char *p = f->raw, *end = f->raw + f->raw_len;
	struct utf8_check check = {0, 0x80, 0xbf};
	uint8_t byte;
	int step;
	size_t n = 0;
	while ((step = next_byte(&p, end, &byte)) > 0) {
		if (!utf8_accepts(&check, byte)) {
			*fault = COPY_TEXT_BAD_UTF8;
			return false;
		}
		n++;
	}
	if (step < 0) {
		*fault = COPY_TEXT_BAD_ESCAPE;
		return false;
	}
	if (check.pending > 0) {
		*fault = COPY_TEXT_BAD_UTF8;
		return false;
	}
	f->text_len = n;
	return true;
}

static bool parse_bigint(struct copy_text_field *f, enum copy_text_fault *fault)
{
	const char *p = f->raw, *end = f->raw + f->raw_len;
	bool negative = p < end && *p == '-';
	if (negative)
		p++;
	/* -INT64_MIN does not fit an int64_t: count in uint64_t up to it. */
	uint64_t limit = (uint64_t)INT64_MAX + negative;
	uint64_t value = 0;
	bool too_big = false;
	if (p == end) {
		*fault = COPY_TEXT_BAD_INTEGER;
		return false;
	}
	for (; p < end; p++) {
		if (*p < '0' || *p > '9') {
			*fault = COPY_TEXT_BAD_INTEGER;
			return false;
		}
		uint64_t digit = (uint64_t)(*p - '0');
		if (value > (limit - digit) / 10)
			too_big = true;
		else
			value = value * 10 + digit;
	}
	if (too_big) {
		*fault = COPY_TEXT_INTEGER_RANGE;
		return false;
	}
	f->bigint = negative ? (int64_t)(0 - value) : (int64_t)value;
	return true;
}

/* 'infinity' and '-infinity' are valid dates and timestamps in PostgreSQL. */
static bool is_infinity(const struct copy_text_field *f)
{
	return (f->raw_len == 8 && memcmp(f->raw, "infinity", 8) == 0) ||
	       (f->raw_len == 9 && memcmp(f->raw, "-infinity", 9) == 0);
}

/* By its shape, a date or timestamp PostgreSQL wrote for a year a date here
 * cannot hold: ISO style ends a BC one with " BC" and gives a year after 9999
 * five or more digits. */
static bool year_out_of_range(const struct copy_text_field *f)
{
	const char *p = f->raw;
	size_t n = f->raw_len, digits = 0;
	if (n >= 3 && memcmp(p + n - 3, " BC", 3) == 0)
		return true;
	while (digits < n && p[digits] >= '0' && p[digits] <= '9')
		digits++;
	return digits > 4 && digits < n && p[digits] == '-';
}

static bool parse_date(struct copy_text_field *f, enum copy_text_fault *fault)
{
	if (is_infinity(f)) {
		f->null = true;
		return true;
	}
	if (date_parse(f->raw, f->raw_len, &f->day))
		return true;
	*fault = year_out_of_range(f) ? COPY_TEXT_DATE_RANGE : COPY_TEXT_BAD_DATE;
	return false;
}

static bool two_digits(const char *p, int *out)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return false;
	*out = (p[0] - '0') * 10 + (p[1] - '0');
	return true;
}

/*
 * "YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM[:SS]]": the date as printed is the
 * local date (SPEC §3); the offset gives Unix seconds.
 */
static bool parse_timestamp(struct copy_text_field *f, enum copy_text_fault *fault)
{
	const char *p = f->raw, *end = f->raw + f->raw_len;
	int h, m, s, oh, om = 0, os = 0;
	if (is_infinity(f)) {
		f->null = true;
		return true;
	}
	if (f->raw_len < 22 || !date_parse(p, 10, &f->day) || p[10] != ' ' ||
	    !two_digits(p + 11, &h) || p[13] != ':' || !two_digits(p + 14, &m) || p[16] != ':' ||
	    !two_digits(p + 17, &s))
		goto malformed;
	p += 19;
	if (*p == '.') {
		p++;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (end - p < 3 || (*p != '+' && *p != '-') || !two_digits(p + 1, &oh))
		goto malformed;
	int sign = *p == '-' ? -1 : 1;
	p += 3;
	if (end - p >= 3 && *p == ':') {
		if (!two_digits(p + 1, &om))
			goto malformed;
		p += 3;
	}
	if (end - p >= 3 && *p == ':') {
		if (!two_digits(p + 1, &os))
			goto malformed;
		p += 3;
	}
	if (p != end)
		goto malformed;
	f->at = (int64_t)f->day * 86400 + h * 3600 + m * 60 + s - sign * (oh * 3600 + om * 60 + os);
	return true;
malformed:
	*fault = year_out_of_range(f) ? COPY_TEXT_DATE_RANGE : COPY_TEXT_BAD_TIMESTAMP;
	return false;
}

/* A boolean as COPY TO writes it (boolout): exactly "t" or "f". */
static bool parse_boolean(struct copy_text_field *f, enum copy_text_fault *fault)
{
	if (f->raw_len == 1 && (f->raw[0] == 't' || f->raw[0] == 'f')) {
		f->boolean = f->raw[0] == 't';
		return true;
	}
	*fault = COPY_TEXT_BAD_BOOLEAN;
	return false;
}

static bool parse_field(struct copy_text_field *f, enum copy_text_type type,
                        enum copy_text_fault *fault)
{
	f->null = f->raw_len == 2 && f->raw[0] == '\\' && f->raw[1] == 'N';
	f->bigint = 0;
	f->day = 0;
	f->at = 0;
	f->text_len = 0;
	f->boolean = false;
	if (f->null)
		return true;
	switch (type) {
	case COPY_TEXT_BOOLEAN:
		return parse_boolean(f, fault);
	case COPY_TEXT_BIGINT:
		return parse_bigint(f, fault);
	case COPY_TEXT_TEXT:
		return parse_text(f, fault);
	case COPY_TEXT_DATE:
		return parse_date(f, fault);
	case COPY_TEXT_TIMESTAMPTZ:
	default:
		return parse_timestamp(f, fault);
	}
}

bool copy_text_parse(const char *row, size_t len, const enum copy_text_type *types, int count,
                     struct copy_text_field *fields, struct copy_text_error *error)
{
	enum copy_text_fault fault = COPY_TEXT_FIELD_COUNT;
	int column = -1;
	int n = 0;
	if (count < 1 || count > COPY_TEXT_MAX_FIELDS)
		goto fail;
	if (len > 0 && row[len - 1] == '\n')
		len--;
	/* COPY TO writes a tab inside a value as "\t", so every raw tab ends a
	 * field. */
	const char *p = row, *end = row + len;
	for (;;) {
		const char *tab = p < end ? memchr(p, '\t', (size_t)(end - p)) : NULL;
		const char *stop = tab ? tab : end;
		if (n == count)
			goto fail;
		fields[n].raw = p;
		fields[n].raw_len = (size_t)(stop - p);
		n++;
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	if (n != count)
		goto fail;
	for (column = 0; column < count; column++) {
		if (!parse_field(&fields[column], types[column], &fault))
			goto fail;
	}
	return true;
fail:
	error->fault = fault;
	error->column = column;
	return false;
}

size_t copy_text_decode(const struct copy_text_field *field, char *out, size_t cap)
{
	const char *p = field->raw, *end = field->raw + field->raw_len;
	uint8_t byte;
	size_t n = 0;
	bool cut = false;
	while (next_byte(&p, end, &byte) > 0) {
		if (n + 1 >= cap) {
			cut = true;
			break;
		}
		out[n++] = (char)byte;
	}
	if (cut && n > 0) {
		/* Drop a character whose last bytes did not fit. */
		size_t lead = n - 1;
		while (lead > 0 && ((uint8_t)out[lead] & 0xc0) == 0x80)
			lead--;
		uint8_t b = (uint8_t)out[lead];
		size_t width = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
		if (lead + width > n)
			n = lead;
	}
	out[n] = '\0';
	return n;
}

/* model_county_label (casa/model.h) lives here, in the source stage that
 * reads the names: a pure function of the text, like the parser above. */
/* "…" (U+2026) and 16 hex digits: what a cut name ends with. */
#define CUT_MARK     "\xe2\x80\xa6"
#define CUT_MARK_LEN 3
#define CUT_HASH_LEN 16
#define CUT_KEEP_MAX (MODEL_COUNTY_NAME_MAX - CUT_MARK_LEN - CUT_HASH_LEN)

bool model_county_label(const char *name, size_t n, char out[MODEL_COUNTY_NAME_MAX + 1])
{
	if (n <= MODEL_COUNTY_NAME_MAX) {
		memcpy(out, name, n);
		out[n] = '\0';
		return false;
	}
	/* Back up over continuation bytes (10xxxxxx): the cut falls before the
	 * first byte of a character, never inside one. */
	size_t keep = CUT_KEEP_MAX;
	while (keep > 0 && ((unsigned char)name[keep] & 0xc0) == 0x80)
		keep--;
	memcpy(out, name, keep);
	snprintf(out + keep, MODEL_COUNTY_NAME_MAX + 1 - keep, CUT_MARK "%016llx",
	         (unsigned long long)hash_bytes(name, n, 0));
	return true;
}
