/*
 * fuzz_snapshot_load.c — the state-file loader (src/snapshot_store.c,
 * snapshot_load_bytes()): what a restart reads back from the state
 * directory before the database answers (SPEC §7), once the file's seal
 * (provenance and HMAC-SHA-256, checked first) has been found good: an
 * input is a state file's header and payload, without the seal.
 *
 * Each input is tried twice: as it is (the header checks), and with its
 * length and both CRC-32s recomputed, so that mutations get past the
 * checksums into the payload decoder. Properties of an accepted snapshot:
 * what the server later does with it is safe (every table sliced over its
 * whole range and over a range picked by the input, the /readyz metadata
 * and the HTTP dates rendered) and what it serves is well-formed (a
 * 16-hex-digit id, quoted ETags, an as_of with a four-digit year).
 */
#include <string.h>
#include <zlib.h>

#include "../../src/snapshot_internal.h"
#include "fuzz.h"

#define HEADER_LEN 32 /* see the layout at the top of snapshot_store.c */

static void put_u32(unsigned char *out, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		out[i] = (unsigned char)(v >> (8 * i));
}

static bool is_hex(const char *text)
{
	for (; *text != '\0'; text++)
		if (!((*text >= '0' && *text <= '9') || (*text >= 'a' && *text <= 'f')))
			return false;
	return true;
}

static void check_etag(const char *etag)
{
	size_t n = strlen(etag);
	FUZZ_CHECK(n >= 2 && etag[0] == '"' && etag[n - 1] == '"');
	FUZZ_CHECK(strchr(etag + 1, '"') == etag + n - 1);
}

static void check_slice(const struct snapshot_table *table, int format, uint32_t from, uint32_t to)
{
	char *out = NULL, etag[SNAPSHOT_ETAG_LEN];
	size_t len = 0;
	FUZZ_CHECK(
	    snapshot_table_slice(table, (enum snapshot_format)format, from, to, &out, &len, etag));
	FUZZ_CHECK(len <= table->body[format].len && out[len] == '\0');
	free(out);
}

static void check_accepted(const struct snapshot *s, const uint8_t *data, size_t size)
{
	char meta[SNAPSHOT_META_LEN], date[SNAPSHOT_TIME_LEN];
	FUZZ_CHECK(strlen(s->id) == SNAPSHOT_ID_LEN - 1 && is_hex(s->id));
	snapshot_meta_json(s, meta);
	snapshot_format_http_date(s->generated_at, date);
	snapshot_format_rfc3339(s->generated_at, date);
	char as_of[DATE_TEXT_LEN];
	date_format(s->as_of, as_of);
	int32_t parsed;
	FUZZ_CHECK(date_parse(as_of, strlen(as_of), &parsed) && parsed == s->as_of);
	for (int r = 0; r < SNAPSHOT_RESOURCE_COUNT; r++)
		check_etag(snapshot_resource(s, (enum snapshot_resource)r)->etag);
	/* a range the input picks (its last byte) */
	uint32_t pick = size > 0 ? data[size - 1] : 0;
	for (size_t t = 0; t < s->table_count; t++) {
		const struct snapshot_table *table = &s->tables[t];
		FUZZ_CHECK(snapshot_table_find(s, table->metric, table->period_type, table->dim) ==
		           table);
		for (int f = 0; f < SNAPSHOT_FORMAT_COUNT; f++) {
			check_etag(table->body[f].etag);
			if (table->period_count == 0)
				continue;
			check_slice(table, f, 0, table->period_count - 1);
			uint32_t from = pick % table->period_count;
			check_slice(table, f, from, from + (pick >> 4) % table->period_count);
		}
	}
}

static void try_load(const uint8_t *data, size_t size)
{
	struct snapshot *s = snapshot_load_bytes(data, size, "fuzz");
	if (s == NULL)
		return;
	check_accepted(s, data, size);
	snapshot_unref(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	try_load(data, size);
	if (size < HEADER_LEN)
		return 0;
	unsigned char *fixed = malloc(size);
	FUZZ_CHECK(fixed != NULL);
	memcpy(fixed, data, size);
	uint64_t payload_len = size - HEADER_LEN;
	for (int i = 0; i < 8; i++)
		fixed[16 + i] = (unsigned char)(payload_len >> (8 * i));
	put_u32(fixed + 24, (uint32_t)crc32(0L, fixed + HEADER_LEN, (uInt)payload_len));
	put_u32(fixed + 28, (uint32_t)crc32(0L, fixed, HEADER_LEN - 4));
	try_load(fixed, size);
	free(fixed);
	return 0;
}
