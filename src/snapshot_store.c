/*
 * snapshot_store.c — persistence of a rendered snapshot (SPEC §7: a restart
 * serves at once, before the database answers) and the --once export.
 *
 * File layout (all integers little-endian):
 *   header, 32 bytes: magic "CASASNAP", u32 version, u32 header length (32),
 *                     u64 payload length, u32 CRC-32 of the payload,
 *                     u32 CRC-32 of the 28 header bytes before it
 *   payload: metadata, the resources, then every table with its bodies and
 *            row offsets (see put_snapshot()).
 *   seal: u64 length and the text of the provenance (the settings and source
 *         the snapshot was built under, one "key=value" per line), then the
 *         HMAC-SHA-256 of every byte before it under a key derived from the
 *         daemon's secret.key.
 * A file that fails any check is refused as a whole: never half-trusted.
 * The CRCs catch a torn or damaged file; the HMAC refuses a file written by
 * anyone without the key (a payload altered and its CRCs recomputed, a file
 * of another installation); a file whose provenance differs from the
 * daemon's (another k, publication plan, database...) is not served, since
 * it would publish under settings the operator no longer chose. At load,
 * every body's ETag is computed again from its bytes, a gzip body must
 * inflate to its identity body, and every JSON table must name the
 * snapshot's id and dates: what is served is what the ETags and id say.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "casa/date.h"
#include "casa/file.h"
#include "casa/log.h"
#include "casa/sha256.h"
#include "snapshot_internal.h"

static const char snapshot_magic[8] = {'C', 'A', 'S', 'A', 'S', 'N', 'A', 'P'};
/* Bump when the payload layout changes: older files are then refused and
 * the daemon waits for its first refresh instead. */
/* 5: the seal (provenance, HMAC-SHA-256) over issue 14's bodies (intervals,
 * change, SMR); 4 sealed the bodies without them, so a 4 is refused. */
#define SNAPSHOT_FILE_VERSION 5
#define SNAPSHOT_HEADER_LEN   32
/* The HMAC key is derived from secret.key under this label, so that it is
 * never the key the dp noise is drawn with. */
#define SNAPSHOT_SEAL_LABEL "casa-metricsd snapshot.bin seal"
/* Refuse absurd sizes before allocating (a foreign or corrupted header). */
#define SNAPSHOT_FILE_MAX ((uint64_t)4 << 30)

/* ---- encoding --------------------------------------------------------- */

static void put_u32(struct buf *buf, uint32_t v)
{
	char b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (char)(v >> (8 * i));
	buf_add(buf, b, 4);
}

static void put_u64(struct buf *buf, uint64_t v)
{
	char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (char)(v >> (8 * i));
	buf_add(buf, b, 8);
}

static void put_blob(struct buf *buf, const char *data, size_t len)
{
	put_u64(buf, len);
	if (len > 0)
		buf_add(buf, data, len);
}

static void put_str(struct buf *buf, const char *text)
{
	put_blob(buf, text, strlen(text));
}

static void put_body(struct buf *buf, const struct snapshot_body *body)
{
	put_blob(buf, body->data, body->len);
	put_blob(buf, body->gzip, body->gzip ? body->gzip_len : 0);
	put_str(buf, body->etag);
	put_str(buf, body->gzip_etag);
}

static void put_snapshot(struct buf *buf, const struct snapshot *s)
{
	uint64_t epsilon_bits;
	memcpy(&epsilon_bits, &s->epsilon, sizeof(epsilon_bits));
	put_str(buf, s->id);
	put_u32(buf, (uint32_t)s->as_of);
	put_u32(buf, (uint32_t)s->fy_start_month);
	put_u64(buf, (uint64_t)s->refresh_key);
	put_u64(buf, (uint64_t)s->generated_at);
	put_u32(buf, (uint32_t)s->refresh_seconds);
	put_u32(buf, (uint32_t)s->mode);
	put_u32(buf, (uint32_t)s->min_cell);
	for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
		put_u32(buf, s->plan.dims[p]);
	put_str(buf, s->plan_text);
	put_u32(buf, (uint32_t)s->settle_days);
	put_u64(buf, epsilon_bits);
	put_u64(buf, s->suppressed_cells);
	put_u32(buf, SNAPSHOT_RESOURCE_COUNT);
	for (int r = 0; r < SNAPSHOT_RESOURCE_COUNT; r++)
		put_body(buf, &s->resources[r]);
	put_u64(buf, s->table_count);
	for (size_t t = 0; t < s->table_count; t++) {
		const struct snapshot_table *table = &s->tables[t];
		put_u32(buf, (uint32_t)table->metric);
		put_u32(buf, (uint32_t)table->period_type);
		put_u32(buf, (uint32_t)table->dim);
		put_u32(buf, (uint32_t)table->first_period);
		put_u32(buf, table->period_count);
		put_u32(buf, table->group_count);
		for (int f = 0; f < SNAPSHOT_FORMAT_COUNT; f++) {
			put_body(buf, &table->body[f]);
			put_u64(buf, table->rows_open[f]);
			put_u64(buf, table->rows_close[f]);
			for (uint32_t p = 0; p < table->period_count; p++) {
				put_u64(buf, table->row_start[f][p]);
				put_u64(buf, table->row_end[f][p]);
			}
		}
		put_str(buf, table->csv_filename);
	}
}

/* ---- decoding --------------------------------------------------------- */

struct reader {
	const unsigned char *p; /* next byte */
	size_t left;            /* bytes after p */
	bool bad;               /* ran past the end or met an invalid field */
	const char *why;        /* first problem, for the log line */
};

static void reader_fail(struct reader *r, const char *why)
{
	if (!r->bad)
		r->why = why;
	r->bad = true;
	r->left = 0;
}

static uint64_t get_u64(struct reader *r)
{
	if (r->left < 8) {
		reader_fail(r, "truncated");
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += 8;
	r->left -= 8;
	return v;
}

static uint32_t get_u32(struct reader *r)
{
	if (r->left < 4) {
		reader_fail(r, "truncated");
		return 0;
	}
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v |= (uint32_t)r->p[i] << (8 * i);
	r->p += 4;
	r->left -= 4;
	return v;
}

/* Copies a length-prefixed blob into the arena (NUL-terminated). */
static const char *get_blob(struct reader *r, struct buf_arena *arena, size_t *len)
{
	uint64_t n = get_u64(r);
	if (r->bad || n > r->left) {
		reader_fail(r, "field longer than the file");
		return NULL;
	}
	const char *copy = buf_arena_dup(arena, r->p, (size_t)n);
	if (copy == NULL) {
		reader_fail(r, "out of memory");
		return NULL;
	}
	r->p += n;
	r->left -= (size_t)n;
	*len = (size_t)n;
	return copy;
}

static void get_fixed_str(struct reader *r, char *out, size_t cap)
{
	uint64_t n = get_u64(r);
	if (r->bad || n >= cap || n > r->left) {
		reader_fail(r, "string field too long");
		out[0] = '\0';
		return;
	}
	memcpy(out, r->p, (size_t)n);
	out[n] = '\0';
	r->p += n;
	r->left -= (size_t)n;
}

/* n lowercase hex digits at text. */
static bool hex_digits(const char *text, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
			return false;
	return true;
}

/* An ETag as snapshot.c writes it: "<16 hex digits>" or, for gzip,
 * "<16 hex digits>-gz". It goes into headers as it is. */
static bool etag_valid(const char *etag, bool gzip)
{
	size_t n = strlen(etag), want = gzip ? 21 : 18;
	return n == want && etag[0] == '"' && hex_digits(etag + 1, 16) &&
	       (!gzip || memcmp(etag + 17, "-gz", 3) == 0) && etag[n - 1] == '"';
}

static void get_body(struct reader *r, struct buf_arena *arena, struct snapshot_body *body)
{
	memset(body, 0, sizeof(*body));
	body->data = get_blob(r, arena, &body->len);
	size_t gzip_len = 0;
	const char *gzip = get_blob(r, arena, &gzip_len);
	if (gzip_len > 0) {
		body->gzip = gzip;
		body->gzip_len = gzip_len;
	}
	get_fixed_str(r, body->etag, sizeof(body->etag));
	get_fixed_str(r, body->gzip_etag, sizeof(body->gzip_etag));
	if (!r->bad && (!etag_valid(body->etag, false) ||
	                (body->gzip != NULL && !etag_valid(body->gzip_etag, true))))
		reader_fail(r, "bad ETag");
}

static bool get_table(struct reader *r, struct snapshot *s, struct snapshot_table *table)
{
	memset(table, 0, sizeof(*table));
	uint32_t metric = get_u32(r), period_type = get_u32(r), dim = get_u32(r);
	table->first_period = (int32_t)get_u32(r);
	table->period_count = get_u32(r);
	table->group_count = get_u32(r);
	if (r->bad || metric >= METRIC_COUNT || period_type >= PERIOD_TYPE_COUNT ||
	    dim >= DIM_COUNT || s->index[metric][period_type][dim] >= 0) {
		reader_fail(r, "bad table identity");
		return false;
	}
	/* each period stores 16 bytes of offsets per format: refuse counts the
	 * remaining payload cannot hold before allocating for them */
	if ((uint64_t)table->period_count * 32 > r->left) {
		reader_fail(r, "period count larger than the file");
		return false;
	}
	table->metric = (enum metric_id)metric;
	table->period_type = (enum period_type)period_type;
	table->dim = (enum dim)dim;
	for (int f = 0; f < SNAPSHOT_FORMAT_COUNT; f++) {
		struct snapshot_body *body = &table->body[f];
		get_body(r, &s->arena, body);
		table->rows_open[f] = (size_t)get_u64(r);
		table->rows_close[f] = (size_t)get_u64(r);
		size_t n = (size_t)table->period_count + 1;
		table->row_start[f] = buf_arena_alloc(&s->arena, n * sizeof(size_t));
		table->row_end[f] = buf_arena_alloc(&s->arena, n * sizeof(size_t));
		if (table->row_start[f] == NULL || table->row_end[f] == NULL) {
			reader_fail(r, "out of memory");
			return false;
		}
		if (r->bad || table->rows_open[f] > table->rows_close[f] ||
		    table->rows_close[f] > body->len) {
			reader_fail(r, "bad row section");
			return false;
		}
		size_t previous = table->rows_open[f];
		for (uint32_t p = 0; p < table->period_count; p++) {
			size_t start = (size_t)get_u64(r), end = (size_t)get_u64(r);
			if (r->bad || start < previous || end < start ||
			    end > table->rows_close[f]) {
				reader_fail(r, "bad row offsets");
				return false;
			}
			table->row_start[f][p] = start;
			table->row_end[f][p] = end;
			previous = end;
		}
	}
	size_t name_len = 0;
	table->csv_filename = get_blob(r, &s->arena, &name_len);
	if (r->bad || name_len == 0 || strpbrk(table->csv_filename, "/\"\\\r\n") != NULL) {
		reader_fail(r, "bad file name");
		return false;
	}
	return true;
}

/* ---- the content against its ETags and id ---------------------------- */

/* Whether gzip inflates to exactly the len bytes at data. */
static bool gzip_inflates_to(const char *gzip, size_t gzip_len, const char *data, size_t len)
{
	unsigned char chunk[16384];
	z_stream zs;
	size_t matched = 0;
	int rc = Z_OK;
	memset(&zs, 0, sizeof(zs));
	if (gzip_len > UINT_MAX || inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return false;
	zs.next_in = (Bytef *)(uintptr_t)gzip;
	zs.avail_in = (uInt)gzip_len;
	while (rc == Z_OK) {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		rc = inflate(&zs, Z_NO_FLUSH);
		size_t produced = sizeof(chunk) - zs.avail_out;
		if ((rc != Z_OK && rc != Z_STREAM_END) || produced > len - matched ||
		    /* cppcheck-suppress uninitvar ; inflate() wrote the produced bytes */
		    memcmp(chunk, data + matched, produced) != 0) {
			rc = Z_DATA_ERROR;
			break;
		}
		matched += produced;
		if (rc == Z_OK && produced == 0 && zs.avail_in == 0)
			rc = Z_DATA_ERROR; /* input ends before the stream does */
	}
	inflateEnd(&zs);
	return rc == Z_STREAM_END && matched == len && zs.avail_in == 0;
}

/* Whether the n bytes at text hold needle (memmem is a GNU extension). */
static bool holds(const char *text, size_t n, const char *needle)
{
	size_t needle_len = strlen(needle);
	for (size_t i = 0; i + needle_len <= n; i++)
		if (text[i] == needle[0] && memcmp(text + i, needle, needle_len) == 0)
			return true;
	return false;
}

/* A body is what its ETags say: both computed again from the bytes, and the
 * gzip bytes inflate to the identity bytes. */
static bool body_matches(const struct snapshot_body *body)
{
	char etag[SNAPSHOT_ETAG_LEN];
	snapshot_etag_of(body->data, body->len, false, etag);
	if (strcmp(etag, body->etag) != 0)
		return false;
	if (body->gzip == NULL)
		return true;
	snapshot_etag_of(body->gzip, body->gzip_len, true, etag);
	return strcmp(etag, body->gzip_etag) == 0 &&
	       gzip_inflates_to(body->gzip, body->gzip_len, body->data, body->len);
}

/* Every body against its ETags; every JSON table's head against the id,
 * generated_at and as_of of the metadata (the id hashes the protected cells,
 * which the file does not hold: what can be checked is that the tables say
 * they belong to it). */
static void verify_content(struct reader *r, const struct snapshot *s)
{
	char meta[SNAPSHOT_META_LEN + 16];
	snprintf(meta, sizeof(meta), "\"snapshot\":");
	snapshot_meta_json(s, meta + strlen(meta));
	for (int i = 0; i < SNAPSHOT_RESOURCE_COUNT; i++)
		if (!body_matches(&s->resources[i])) {
			reader_fail(r, "a resource body does not match its ETag");
			return;
		}
	for (size_t t = 0; t < s->table_count; t++) {
		const struct snapshot_table *table = &s->tables[t];
		for (int f = 0; f < SNAPSHOT_FORMAT_COUNT; f++)
			if (!body_matches(&table->body[f])) {
				reader_fail(r, "a table body does not match its ETag");
				return;
			}
		const struct snapshot_body *json = &table->body[SNAPSHOT_JSON];
		if (!holds(json->data, table->rows_open[SNAPSHOT_JSON], meta)) {
			reader_fail(r, "a table names another snapshot id or date");
			return;
		}
	}
}

static struct snapshot *decode(const unsigned char *payload, size_t len, const char **why)
{
	struct reader r = {payload, len, false, NULL};
	struct snapshot *s = snapshot_alloc();
	if (s == NULL) {
		*why = "out of memory";
		return NULL;
	}
	get_fixed_str(&r, s->id, sizeof(s->id));
	s->as_of = (int32_t)get_u32(&r);
	s->fy_start_month = (int)get_u32(&r);
	s->refresh_key = (int64_t)get_u64(&r);
	s->generated_at = (int64_t)get_u64(&r);
	s->refresh_seconds = (int)get_u32(&r);
	uint32_t mode = get_u32(&r);
	s->min_cell = (int)get_u32(&r);
	for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
		s->plan.dims[p] = get_u32(&r);
	get_fixed_str(&r, s->plan_text, sizeof(s->plan_text));
	s->settle_days = (int)get_u32(&r);
	uint64_t epsilon_bits = get_u64(&r);
	memcpy(&s->epsilon, &epsilon_bits, sizeof(s->epsilon));
	s->suppressed_cells = get_u64(&r);
	/* as_of within the years a date prints with four digits (date.h) */
	if (!r.bad &&
	    (strlen(s->id) != SNAPSHOT_ID_LEN - 1 || !hex_digits(s->id, SNAPSHOT_ID_LEN - 1) ||
	     s->fy_start_month < 1 || s->fy_start_month > 12 || mode > DISCLOSURE_DP ||
	     s->as_of < date_from_ymd(0, 1, 1) || s->as_of > date_from_ymd(9999, 12, 31)))
		reader_fail(&r, "bad metadata");
	s->mode = (enum disclosure_mode)mode;
	if (!r.bad && get_u32(&r) != SNAPSHOT_RESOURCE_COUNT)
		reader_fail(&r, "bad resource count");
	for (int i = 0; i < SNAPSHOT_RESOURCE_COUNT && !r.bad; i++)
		get_body(&r, &s->arena, &s->resources[i]);
	uint64_t table_count = get_u64(&r);
	/* a table takes well over 100 bytes: bound the count by the payload */
	if (!r.bad && table_count > r.left / 64)
		reader_fail(&r, "table count larger than the file");
	if (!r.bad) {
		s->table_count = (size_t)table_count;
		s->tables = buf_arena_alloc(&s->arena, (s->table_count + 1) * sizeof(*s->tables));
		if (s->tables == NULL)
			reader_fail(&r, "out of memory");
	}
	for (size_t t = 0; t < s->table_count && !r.bad; t++) {
		if (!get_table(&r, s, &s->tables[t]))
			break;
		const struct snapshot_table *table = &s->tables[t];
		s->index[table->metric][table->period_type][table->dim] = (int32_t)t;
	}
	if (!r.bad && r.left != 0)
		reader_fail(&r, "trailing bytes");
	if (!r.bad)
		verify_content(&r, s);
	if (r.bad) {
		*why = r.why;
		snapshot_unref(s);
		return NULL;
	}
	return s;
}

/* ---- save, load ------------------------------------------------------- */

static void header_bytes(unsigned char out[SNAPSHOT_HEADER_LEN], uint64_t payload_len,
                         uint32_t payload_crc)
{
	struct buf buf = {0};
	buf_add(&buf, snapshot_magic, sizeof(snapshot_magic));
	put_u32(&buf, SNAPSHOT_FILE_VERSION);
	put_u32(&buf, SNAPSHOT_HEADER_LEN);
	put_u64(&buf, payload_len);
	put_u32(&buf, payload_crc);
	memset(out, 0, SNAPSHOT_HEADER_LEN);
	if (!buf.failed && buf.len == SNAPSHOT_HEADER_LEN - 4)
		memcpy(out, buf.data, buf.len);
	free(buf.data);
	uint32_t header_crc = (uint32_t)crc32(0L, out, SNAPSHOT_HEADER_LEN - 4);
	for (int i = 0; i < 4; i++)
		out[SNAPSHOT_HEADER_LEN - 4 + i] = (unsigned char)(header_crc >> (8 * i));
}

static uint32_t crc32_of(const unsigned char *data, size_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);
	while (len > 0) {
		uInt chunk = len > (1u << 30) ? (1u << 30) : (uInt)len;
		crc = crc32(crc, data, chunk);
		data += chunk;
		len -= chunk;
	}
	return (uint32_t)crc;
}

/* The HMAC key of the seal, derived from the daemon's secret. */
static void seal_key(const uint8_t secret[DISCLOSURE_KEY_LEN], uint8_t key[SHA256_DIGEST_LEN])
{
	hmac_sha256(secret, DISCLOSURE_KEY_LEN, (const uint8_t *)SNAPSHOT_SEAL_LABEL,
	            strlen(SNAPSHOT_SEAL_LABEL), key);
}

/* Appends the seal to file (header and payload already in it). */
static void put_seal(struct buf *file, const uint8_t secret[DISCLOSURE_KEY_LEN],
                     const char *provenance)
{
	uint8_t key[SHA256_DIGEST_LEN], mac[SHA256_DIGEST_LEN];
	put_str(file, provenance);
	if (file->failed)
		return;
	seal_key(secret, key);
	hmac_sha256(key, sizeof(key), (const uint8_t *)file->data, file->len, mac);
	buf_add(file, (const char *)mac, sizeof(mac));
	memset(key, 0, sizeof(key));
}

bool snapshot_save(const struct snapshot *snapshot, const char *dir,
                   const uint8_t secret[DISCLOSURE_KEY_LEN], const char *provenance)
{
	struct buf file = {0};
	char tmp_path[4096], final_path[4096];
	if (snprintf(tmp_path, sizeof(tmp_path), "%s/snapshot.tmp", dir) >= (int)sizeof(tmp_path) ||
	    snprintf(final_path, sizeof(final_path), "%s/snapshot.bin", dir) >=
	        (int)sizeof(final_path)) {
		log_warnx("%s: state directory path too long", __func__);
		goto fail;
	}
	if (strlen(provenance) >= SNAPSHOT_PROVENANCE_LEN) {
		log_warnx("%s: provenance too long", __func__);
		goto fail;
	}
	/* the state directory may not exist yet on a first start */
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_warn("%s: mkdir %s", __func__, dir);
		goto fail;
	}
	/* one buffer: header (filled in once the payload is known), payload,
	 * seal, so that the HMAC covers them in one call */
	unsigned char header[SNAPSHOT_HEADER_LEN] = {0};
	buf_add(&file, (const char *)header, sizeof(header));
	put_snapshot(&file, snapshot);
	if (!file.failed) {
		size_t payload_len = file.len - SNAPSHOT_HEADER_LEN;
		header_bytes(
		    header, payload_len,
		    crc32_of((const unsigned char *)file.data + SNAPSHOT_HEADER_LEN, payload_len));
		memcpy(file.data, header, sizeof(header));
		put_seal(&file, secret, provenance);
	}
	if (file.failed) {
		log_warnx("%s: out of memory", __func__);
		goto fail;
	}
	enum file_step failed;
	if (!file_replace(dir, tmp_path, final_path, file.data, file.len, &failed)) {
		static const char *const verbs[] = {
		    [FILE_STEP_OPEN] = "open",        [FILE_STEP_WRITE] = "write",
		    [FILE_STEP_FSYNC] = "fsync",      [FILE_STEP_CLOSE] = "close",
		    [FILE_STEP_RENAME] = "rename to", [FILE_STEP_SYNC_DIR] = "fsync directory"};
		const char *what = failed == FILE_STEP_RENAME     ? final_path
		                   : failed == FILE_STEP_SYNC_DIR ? dir
		                                                  : tmp_path;
		log_warn("%s: %s %s", __func__, verbs[failed], what);
		goto fail;
	}
	free(file.data);
	return true;
fail:
	free(file.data);
	return false;
}

struct snapshot *snapshot_load_bytes(const unsigned char *data, size_t size, const char *name)
{
	/* logged as snapshot_load: operators and tests look for that name */
	if (size < SNAPSHOT_HEADER_LEN || (uint64_t)size > SNAPSHOT_FILE_MAX) {
		log_warnx("snapshot_load: %s: refused, size %zu out of range", name, size);
		return NULL;
	}
	if (memcmp(data, snapshot_magic, sizeof(snapshot_magic)) != 0) {
		log_warnx("snapshot_load: %s: refused, not a snapshot file (bad magic)", name);
		return NULL;
	}
	struct reader r = {data + 8, SNAPSHOT_HEADER_LEN - 8, false, NULL};
	uint32_t version = get_u32(&r), header_len = get_u32(&r);
	uint64_t payload_len = get_u64(&r);
	uint32_t payload_crc = get_u32(&r), header_crc = get_u32(&r);
	if (header_crc != (uint32_t)crc32(0L, data, SNAPSHOT_HEADER_LEN - 4)) {
		log_warnx("snapshot_load: %s: refused, header checksum mismatch", name);
		return NULL;
	}
	if (version != SNAPSHOT_FILE_VERSION || header_len != SNAPSHOT_HEADER_LEN) {
		log_warnx("snapshot_load: %s: refused, file version %" PRIu32
		          " (this build reads %d)",
		          name, version, SNAPSHOT_FILE_VERSION);
		return NULL;
	}
	if (payload_len != size - SNAPSHOT_HEADER_LEN) {
		log_warnx("snapshot_load: %s: refused, length mismatch (truncated or extended)",
		          name);
		return NULL;
	}
	if (crc32_of(data + SNAPSHOT_HEADER_LEN, (size_t)payload_len) != payload_crc) {
		log_warnx("snapshot_load: %s: refused, payload checksum mismatch", name);
		return NULL;
	}
	const char *why = "invalid";
	struct snapshot *snapshot = decode(data + SNAPSHOT_HEADER_LEN, (size_t)payload_len, &why);
	if (snapshot == NULL)
		log_warnx("snapshot_load: %s: refused, %s", name, why);
	return snapshot;
}

/* The first line in which two provenance texts differ, as "saved line
 * (this daemon: current line)" for the log line. */
static void first_difference(const char *saved, size_t saved_len, const char *current, char *out,
                             size_t n)
{
	const char *a = saved, *a_end = saved + saved_len, *b = current;
	while (a < a_end || *b != '\0') {
		const char *a_nl = memchr(a, '\n', (size_t)(a_end - a));
		size_t a_len = a_nl != NULL ? (size_t)(a_nl - a) : (size_t)(a_end - a);
		size_t b_len = strcspn(b, "\n");
		if (a_len != b_len || memcmp(a, b, a_len) != 0) {
			snprintf(out, n, "%.*s (this daemon: %.*s)",
			         (int)(a_len > 200 ? 200 : a_len), a,
			         (int)(b_len > 200 ? 200 : b_len), b);
			return;
		}
		a += a_len + (a_nl != NULL);
		b += b_len + (b[b_len] == '\n');
	}
	snprintf(out, n, "(no difference)");
}

/* Checks the seal of a state file: the header's version, the HMAC, then the
 * provenance. Returns the bytes of header and payload it covers, 0 when the
 * file is refused or not to be served (logged). */
static size_t unseal(const unsigned char *data, size_t size,
                     const uint8_t secret[DISCLOSURE_KEY_LEN], const char *provenance,
                     const char *path)
{
	uint8_t key[SHA256_DIGEST_LEN], mac[SHA256_DIGEST_LEN];
	size_t sealed = size - SHA256_DIGEST_LEN;
	unsigned char differs = 0;
	if (size < SNAPSHOT_HEADER_LEN + 8 + SHA256_DIGEST_LEN ||
	    memcmp(data, snapshot_magic, sizeof(snapshot_magic)) != 0) {
		log_warnx("snapshot_load: %s: refused, not a snapshot file", path);
		return 0;
	}
	struct reader r = {data + 8, SNAPSHOT_HEADER_LEN - 8, false, NULL};
	uint32_t version = get_u32(&r);
	(void)get_u32(&r);
	uint64_t payload_len = get_u64(&r);
	if (version != SNAPSHOT_FILE_VERSION) {
		log_warnx("snapshot_load: %s: refused, file version %" PRIu32
		          " (this build reads %d)",
		          path, version, SNAPSHOT_FILE_VERSION);
		return 0;
	}
	seal_key(secret, key);
	hmac_sha256(key, sizeof(key), data, sealed, mac);
	memset(key, 0, sizeof(key));
	for (size_t i = 0; i < SHA256_DIGEST_LEN; i++)
		differs |= mac[i] ^ data[sealed + i];
	if (differs != 0) {
		log_warnx("snapshot_load: %s: refused, not sealed with this state directory's "
		          "secret.key (altered, or written by another installation)",
		          path);
		return 0;
	}
	/* sealed by this daemon: the lengths are its own, but check them anyway */
	if (payload_len > sealed - SNAPSHOT_HEADER_LEN - 8) {
		log_warnx("snapshot_load: %s: refused, length mismatch", path);
		return 0;
	}
	size_t covered = SNAPSHOT_HEADER_LEN + (size_t)payload_len;
	r = (struct reader){data + covered, sealed - covered, false, NULL};
	uint64_t provenance_len = get_u64(&r);
	if (r.bad || provenance_len != r.left) {
		log_warnx("snapshot_load: %s: refused, length mismatch", path);
		return 0;
	}
	const char *saved = (const char *)r.p;
	if (provenance_len != strlen(provenance) ||
	    memcmp(saved, provenance, provenance_len) != 0) {
		char difference[512];
		first_difference(saved, (size_t)provenance_len, provenance, difference,
		                 sizeof(difference));
		log_warnx(
		    "snapshot_load: %s: not served, it was built under other settings or from "
		    "another source: %s; waiting for the first refresh",
		    path, difference);
		return 0;
	}
	return covered;
}

struct snapshot *snapshot_load(const char *dir, const uint8_t secret[DISCLOSURE_KEY_LEN],
                               const char *provenance)
{
	char path[4096];
	unsigned char *data = NULL;
	struct snapshot *snapshot = NULL;
	int fd = -1;
	if (snprintf(path, sizeof(path), "%s/snapshot.bin", dir) >= (int)sizeof(path)) {
		log_warnx("%s: state directory path too long", __func__);
		goto fail;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			log_info("%s: no saved snapshot in %s", __func__, dir);
		else
			log_warn("%s: open %s", __func__, path);
		goto fail;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_warnx("%s: %s is not a regular file", __func__, path);
		goto fail;
	}
	if (st.st_size < SNAPSHOT_HEADER_LEN || (uint64_t)st.st_size > SNAPSHOT_FILE_MAX) {
		log_warnx("%s: %s: refused, size %lld out of range", __func__, path,
		          (long long)st.st_size);
		goto fail;
	}
	size_t size = (size_t)st.st_size;
	/* calloc, not malloc: gcc -fanalyzer does not see the read() loop fill
	 * the buffer; zeroing a few MB once at start is nothing. */
	data = calloc(size, 1);
	if (data == NULL) {
		log_warnx("%s: out of memory", __func__);
		goto fail;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, data + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("%s: read %s", __func__, path);
			goto fail;
		}
		got += (size_t)n;
	}
	size_t covered = unseal(data, size, secret, provenance, path);
	if (covered > 0)
		snapshot = snapshot_load_bytes(data, covered, path);
fail:
	if (fd >= 0)
		close(fd);
	free(data);
	return snapshot;
}

/* ---- --once --output -------------------------------------------------- */

static bool write_file(const char *dir, const char *name, const char *data, size_t len)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		log_warnx("%s: output path too long", __func__);
		return false;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_warn("%s: open %s", __func__, path);
		return false;
	}
	bool ok = file_write_all(fd, data, len);
	if (!ok)
		log_warn("%s: write %s", __func__, path);
	if (close(fd) != 0 && ok) {
		log_warn("%s: close %s", __func__, path);
		ok = false;
	}
	return ok;
}

static bool make_dir(const char *path)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return true;
	log_warn("%s: mkdir %s", __func__, path);
	return false;
}

static void manifest_entry(struct buf *manifest, bool *first, const char *name, const char *data,
                           size_t len, int64_t rows)
{
	buf_printf(manifest, "%s{\"path\":", *first ? "" : ",");
	buf_json_string(manifest, name);
	buf_printf(manifest, ",\"bytes\":%zu,\"hash\":\"%016llx\"", len,
	           (unsigned long long)snapshot_hash(data, len, 0));
	if (rows >= 0)
		buf_printf(manifest, ",\"rows\":%lld", (long long)rows);
	buf_puts(manifest, "}");
	*first = false;
}

bool snapshot_write_files(const struct snapshot *snapshot, const char *dir)
{
	static const char *const resource_files[SNAPSHOT_RESOURCE_COUNT] = {
	    "catalog.json", "summary.json", "quality.json", "openapi.json", "disclosure.json"};
	static const char *const extensions[SNAPSHOT_FORMAT_COUNT] = {"json", "csv"};
	struct buf manifest = {0};
	bool first = true;
	char meta[SNAPSHOT_META_LEN];
	if (!make_dir(dir))
		goto fail;
	snapshot_meta_json(snapshot, meta);
	buf_printf(&manifest, "{\"snapshot\":%s,\"hash\":\"fnv1a64-splitmix64\",\"files\":[", meta);
	for (size_t t = 0; t < snapshot->table_count; t++) {
		const struct snapshot_table *table = &snapshot->tables[t];
		const char *metric = metrics_catalog[table->metric].id;
		char sub[4096];
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, metric) >= (int)sizeof(sub) ||
		    !make_dir(sub))
			goto fail;
		for (int f = 0; f < SNAPSHOT_FORMAT_COUNT; f++) {
			char name[256];
			if (table->dim == DIM_TOTAL)
				snprintf(name, sizeof(name), "%s/%s.%s", metric,
				         period_type_name(table->period_type), extensions[f]);
			else
				snprintf(name, sizeof(name), "%s/%s_by_%s.%s", metric,
				         period_type_name(table->period_type),
				         metrics_dim_name(table->dim), extensions[f]);
			const struct snapshot_body *body = &table->body[f];
			if (!write_file(dir, name, body->data, body->len))
				goto fail;
			manifest_entry(&manifest, &first, name, body->data, body->len,
			               (int64_t)table->period_count * table->group_count);
		}
	}
	for (int r = 0; r < SNAPSHOT_RESOURCE_COUNT; r++) {
		const struct snapshot_body *body = &snapshot->resources[r];
		if (!write_file(dir, resource_files[r], body->data, body->len))
			goto fail;
		manifest_entry(&manifest, &first, resource_files[r], body->data, body->len, -1);
	}
	buf_puts(&manifest, "]}\n");
	if (manifest.failed) {
		log_warnx("%s: out of memory", __func__);
		goto fail;
	}
	if (!write_file(dir, "manifest.json", manifest.data, manifest.len))
		goto fail;
	free(manifest.data);
	return true;
fail:
	free(manifest.data);
	return false;
}
