/*
 * release_store.c — the ledger file (include/casa/release.h): every frozen
 * cell of earlier releases, so that a restart, or a refresh after late data,
 * serves the same published numbers (docs/privacy.md "Releases").
 *
 * File DIR/ledger.bin (integers little-endian, counts as LEB128 varints,
 * signed ones zigzag-encoded):
 *   header, 24 bytes: magic "CASALEDG", u32 version, u32 0, u64 payload length
 *   payload: settings; the source identity (length-prefixed, version 2 on);
 *            counties (varint n, then n length-prefixed names);
 *            tables (varint n, then per table: metric id, period type and
 *            breakdown as names, first period, rows, groups, then rows x
 *            groups cells of numerator, denominator, children, quantile,
 *            and one byte of secret bits and flags)
 *   trailer: SHA-256 of header and payload (32 bytes).
 * Written to ledger.tmp, fsynced, renamed over ledger.bin, directory fsynced.
 * A file that fails any check is refused as a whole. Metrics, period types
 * and breakdowns are stored by name, so a catalog that gains or reorders
 * entries still reads an older ledger (a table of a metric that no longer
 * exists is dropped, with a log line).
 *
 * The ledger holds aggregate counts, suppressed ones included (a later
 * release must add up with them): it is as sensitive as the published
 * figures' raw inputs and lives in the state directory (mode 0700) beside
 * the dp key. No row-level value or key is ever in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "casa/buf.h"
#include "casa/file.h"
#include "casa/log.h"
#include "casa/sha256.h"
#include "release_internal.h"

static const char ledger_magic[8] = {'C', 'A', 'S', 'A', 'L', 'E', 'D', 'G'};
#define LEDGER_VERSION 2 /* 2: the source identity after the settings */
/* Read too: its ledger belongs to the source the daemon reads (it was
 * written before identities were kept, by the same installation). */
#define LEDGER_VERSION_NO_SOURCE 1
#define LEDGER_HEADER_LEN        24
#define LEDGER_FILE              "ledger.bin"
#define LEDGER_TMP               "ledger.tmp"
/* Refuse absurd sizes before allocating (a foreign or corrupted header). */
#define LEDGER_FILE_MAX ((uint64_t)4 << 30)

/* ---- encoding ---- */

static void put_varint(struct buf *buf, uint64_t v)
{
	char b[10];
	size_t n = 0;
	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		b[n++] = (char)(byte | (v ? 0x80 : 0));
	} while (v);
	buf_add(buf, b, n);
}

static void put_signed(struct buf *buf, int64_t v)
{
	/* zigzag: 0, -1, 1, -2 ... as 0, 1, 2, 3 ...; the sign mask written out,
	 * not as v >> 63 (right shift of a negative value is implementation-defined) */
	put_varint(buf, ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0));
}

static void put_name(struct buf *buf, const char *text)
{
	size_t n = strlen(text);
	put_varint(buf, n);
	buf_add(buf, text, n);
}

static void put_fixed(struct buf *buf, uint64_t v, int bytes)
{
	char b[8];
	for (int i = 0; i < bytes; i++)
		b[i] = (char)(v >> (8 * i));
	buf_add(buf, b, (size_t)bytes);
}

static void put_settings(struct buf *buf, const struct release_settings *s)
{
	uint64_t epsilon_bits;
	memcpy(&epsilon_bits, &s->epsilon, sizeof(epsilon_bits));
	put_signed(buf, s->min_cell);
	put_signed(buf, s->fy_start_month);
	put_signed(buf, s->settle_days);
	put_signed(buf, s->screening_window_s);
	put_varint(buf, s->mode);
	put_fixed(buf, epsilon_bits, 8);
	put_varint(buf, PERIOD_TYPE_COUNT);
	for (int p = 0; p < PERIOD_TYPE_COUNT; p++) {
		/* the plan by names, so a reordered dim enum still reads */
		put_name(buf, period_type_name((enum period_type)p));
		uint32_t n = 0;
		for (int d = 0; d < DIM_COUNT; d++)
			n += (s->plan.dims[p] & DIM_BIT(d)) != 0;
		put_varint(buf, n);
		for (int d = 0; d < DIM_COUNT; d++)
			if (s->plan.dims[p] & DIM_BIT(d))
				put_name(buf, metrics_dim_name((enum dim)d));
	}
	put_name(buf, s->timezone);
}

static void put_ledger(struct buf *buf, const struct release_ledger *ledger)
{
	put_settings(buf, &ledger->settings);
	put_name(buf, ledger->source);
	put_varint(buf, ledger->county_count);
	for (size_t i = 0; i < ledger->county_count; i++)
		put_name(buf, ledger->counties[i]);
	put_varint(buf, ledger->table_count);
	for (size_t i = 0; i < ledger->table_count; i++) {
		const struct release_frozen_table *t = &ledger->tables[i];
		put_name(buf, metrics_catalog[t->metric].id);
		put_name(buf, period_type_name(t->period_type));
		put_name(buf, metrics_dim_name(t->dim));
		put_signed(buf, t->first_period);
		put_varint(buf, t->row_count);
		put_varint(buf, t->group_count);
		for (size_t c = 0; c < (size_t)t->row_count * t->group_count; c++) {
			const struct release_frozen_cell *cell = &t->cells[c];
			put_signed(buf, cell->numerator);
			put_signed(buf, cell->denominator);
			put_signed(buf, cell->children);
			put_signed(buf, cell->quantile_2s);
			char b = (char)((cell->secret & 0x0f) | (cell->flags << 4));
			buf_add(buf, &b, 1);
		}
	}
}

/* ---- decoding ---- */

struct reader {
	const uint8_t *p; /* next byte */
	size_t left;      /* bytes after p */
	bool bad;         /* ran past the end or met an invalid field */
};

static uint64_t get_varint(struct reader *r)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (r->left == 0) {
			r->bad = true;
			return 0;
		}
		uint8_t byte = *r->p++;
		r->left--;
		v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

static int64_t get_signed(struct reader *r)
{
	uint64_t z = get_varint(r);
	return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
}

static uint64_t get_fixed(struct reader *r, int bytes)
{
	if (r->left < (size_t)bytes) {
		r->bad = true;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += bytes;
	r->left -= (size_t)bytes;
	return v;
}

/* A name into out (NUL-terminated, at most n - 1 bytes). */
static void get_name(struct reader *r, char *out, size_t n)
{
	uint64_t len = get_varint(r);
	if (r->bad || len >= n || len > r->left) {
		r->bad = true;
		out[0] = '\0';
		return;
	}
	memcpy(out, r->p, len);
	out[len] = '\0';
	r->p += len;
	r->left -= len;
}

static bool get_settings(struct reader *r, struct release_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->min_cell = (int)get_signed(r);
	s->fy_start_month = (int)get_signed(r);
	s->settle_days = (int)get_signed(r);
	s->screening_window_s = get_signed(r);
	s->mode = (uint32_t)get_varint(r);
	uint64_t epsilon_bits = get_fixed(r, 8);
	memcpy(&s->epsilon, &epsilon_bits, sizeof(s->epsilon));
	uint64_t types = get_varint(r);
	for (uint64_t i = 0; i < types && !r->bad; i++) {
		char name[32];
		enum period_type type;
		get_name(r, name, sizeof(name));
		bool known = period_type_parse(name, &type);
		uint64_t n = get_varint(r);
		for (uint64_t j = 0; j < n && !r->bad; j++) {
			enum dim dim;
			get_name(r, name, sizeof(name));
			if (known && metrics_dim_parse(name, &dim))
				s->plan.dims[type] |= DIM_BIT(dim);
		}
	}
	get_name(r, s->timezone, sizeof(s->timezone));
	return !r->bad;
}

static bool get_ledger(struct reader *r, uint32_t version, struct release_ledger *ledger)
{
	if (!get_settings(r, &ledger->settings))
		return false;
	if (version != LEDGER_VERSION_NO_SOURCE)
		get_name(r, ledger->source, sizeof(ledger->source));
	uint64_t counties = get_varint(r);
	if (r->bad || counties > r->left)
		return false;
	ledger->counties = calloc(counties + 1, sizeof(char *));
	if (ledger->counties == NULL)
		return false;
	for (uint64_t i = 0; i < counties; i++) {
		char name[1024];
		get_name(r, name, sizeof(name));
		if (r->bad || (ledger->counties[i] = strdup(name)) == NULL)
			return false;
		ledger->county_count = i + 1;
		/* the view looks counties up by binary search */
		if (i > 0 && strcmp(ledger->counties[i - 1], name) >= 0)
			return false;
	}
	uint64_t tables = get_varint(r);
	if (r->bad || tables > r->left)
		return false;
	ledger->tables = calloc(tables + 1, sizeof(*ledger->tables));
	if (ledger->tables == NULL)
		return false;
	long previous = -1;
	for (uint64_t i = 0; i < tables; i++) {
		char metric_name[64], type_name[32], dim_name[32];
		get_name(r, metric_name, sizeof(metric_name));
		get_name(r, type_name, sizeof(type_name));
		get_name(r, dim_name, sizeof(dim_name));
		int64_t first = get_signed(r);
		uint64_t rows = get_varint(r), groups = get_varint(r);
		if (r->bad || rows > r->left || groups > r->left || rows * groups > r->left)
			return false;
		enum metric_id metric;
		enum period_type type;
		enum dim dim;
		bool known = metrics_find(metric_name, &metric) &&
		             period_type_parse(type_name, &type) &&
		             metrics_dim_parse(dim_name, &dim);
		uint32_t expected = known && dim == DIM_COUNTY ? (uint32_t)ledger->county_count
		                    : known                    ? metrics_group_count(NULL, dim)
		                                               : 0;
		if (known && groups != expected) {
			log_warnx("ledger: %s %s by %s has %llu groups, the catalog %u: dropped",
			          metric_name, type_name, dim_name, (unsigned long long)groups,
			          expected);
			known = false;
		}
		struct release_frozen_table *t = &ledger->tables[ledger->table_count];
		size_t n = (size_t)(rows * groups);
		if (known) {
			t->cells = calloc(n ? n : 1, sizeof(*t->cells));
			if (t->cells == NULL)
				return false;
		}
		for (size_t c = 0; c < n && !r->bad; c++) {
			struct release_frozen_cell cell;
			cell.numerator = get_signed(r);
			cell.denominator = get_signed(r);
			cell.children = get_signed(r);
			cell.quantile_2s = get_signed(r);
			uint8_t b = (uint8_t)get_fixed(r, 1);
			cell.secret = b & 0x0f;
			cell.flags = b >> 4;
			if (known)
				t->cells[c] = cell;
		}
		if (r->bad)
			return false;
		if (!known) {
			if (!metrics_find(metric_name, &metric))
				log_warnx("ledger: frozen cells of %s, no longer a metric: dropped",
				          metric_name);
			continue;
		}
		long key = metrics_table_key(metric, type, dim);
		if (key <= previous)
			return false; /* tables are sorted, each once */
		previous = key;
		t->metric = metric;
		t->period_type = type;
		t->dim = dim;
		t->first_period = (int32_t)first;
		t->row_count = (uint32_t)rows;
		t->group_count = (uint32_t)groups;
		ledger->table_count++;
	}
	return r->left == 0;
}

/* ---- files ---- */

bool release_ledger_save(const struct release_ledger *ledger, const char *dir,
                         char err[RELEASE_ERROR_LEN])
{
	struct buf file = {0};
	char tmp[4096], path[4096];
	snprintf(tmp, sizeof(tmp), "%s/%s", dir, LEDGER_TMP);
	snprintf(path, sizeof(path), "%s/%s", dir, LEDGER_FILE);

	buf_add(&file, ledger_magic, sizeof(ledger_magic));
	put_fixed(&file, LEDGER_VERSION, 4);
	put_fixed(&file, 0, 4);
	put_fixed(&file, 0, 8); /* payload length, patched below */
	put_ledger(&file, ledger);
	if (file.failed) {
		snprintf(err, RELEASE_ERROR_LEN, "ledger: out of memory");
		goto fail;
	}
	uint64_t payload = file.len - LEDGER_HEADER_LEN;
	for (int i = 0; i < 8; i++)
		file.data[16 + i] = (char)(payload >> (8 * i));
	uint8_t digest[SHA256_DIGEST_LEN];
	struct sha256 h;
	sha256_init(&h);
	sha256_update(&h, (const uint8_t *)file.data, file.len);
	sha256_final(&h, digest);
	buf_add(&file, (const char *)digest, sizeof(digest));
	if (file.failed) {
		snprintf(err, RELEASE_ERROR_LEN, "ledger: out of memory");
		goto fail;
	}

	/* the directory's fsync is best effort here (the new ledger is in
	 * place by then), where snapshot_save() reports it */
	enum file_step failed;
	if (!file_replace(dir, tmp, path, file.data, file.len, &failed) &&
	    failed != FILE_STEP_SYNC_DIR) {
		snprintf(err, RELEASE_ERROR_LEN,
		         "ledger: cannot %s " LEDGER_TMP " in the state directory: %s",
		         failed == FILE_STEP_RENAME ? "rename" : "write", strerror(errno));
		goto fail;
	}
	free(file.data);
	return true;
fail:
	unlink(tmp); /* also one a crash left behind */
	free(file.data);
	return false;
}

bool release_ledger_load(const char *dir, struct release_ledger **out, char err[RELEASE_ERROR_LEN])
{
	char path[4096];
	uint8_t *data = NULL;
	struct release_ledger *ledger = NULL;
	*out = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, LEDGER_FILE);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return true; /* no ledger: nothing frozen yet */
		snprintf(err, RELEASE_ERROR_LEN,
		         "ledger: cannot open " LEDGER_FILE " in the state directory: %s",
		         strerror(errno));
		return false;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size < LEDGER_HEADER_LEN + SHA256_DIGEST_LEN ||
	    (uint64_t)st.st_size > LEDGER_FILE_MAX) {
		snprintf(err, RELEASE_ERROR_LEN, "ledger: " LEDGER_FILE " has an impossible size");
		goto fail;
	}
	size_t size = (size_t)st.st_size;
	data = malloc(size);
	if (data == NULL) {
		snprintf(err, RELEASE_ERROR_LEN, "ledger: out of memory");
		goto fail;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, data + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, RELEASE_ERROR_LEN, "ledger: cannot read " LEDGER_FILE);
			goto fail;
		}
		got += (size_t)n;
	}
	uint8_t digest[SHA256_DIGEST_LEN];
	struct sha256 h;
	sha256_init(&h);
	sha256_update(&h, data, size - SHA256_DIGEST_LEN);
	sha256_final(&h, digest);
	struct reader r = {data, size - SHA256_DIGEST_LEN, false};
	if (memcmp(digest, data + size - SHA256_DIGEST_LEN, SHA256_DIGEST_LEN) != 0 ||
	    memcmp(data, ledger_magic, sizeof(ledger_magic)) != 0) {
		snprintf(err, RELEASE_ERROR_LEN, "ledger: " LEDGER_FILE " is corrupted (checksum)");
		goto fail;
	}
	r.p += sizeof(ledger_magic);
	r.left -= sizeof(ledger_magic);
	uint32_t version = (uint32_t)get_fixed(&r, 4);
	(void)get_fixed(&r, 4);
	uint64_t payload = get_fixed(&r, 8);
	if ((version != LEDGER_VERSION && version != LEDGER_VERSION_NO_SOURCE) ||
	    payload != r.left) {
		snprintf(err, RELEASE_ERROR_LEN,
		         "ledger: " LEDGER_FILE " has version %" PRIu32 " (this build reads %u)",
		         version, (unsigned)LEDGER_VERSION);
		goto fail;
	}
	ledger = calloc(1, sizeof(*ledger));
	if (ledger == NULL || !get_ledger(&r, version, ledger)) {
		snprintf(err, RELEASE_ERROR_LEN, "ledger: " LEDGER_FILE " is malformed");
		goto fail;
	}
	close(fd);
	free(data);
	*out = ledger;
	return true;
fail:
	close(fd);
	free(data);
	release_ledger_free(ledger);
	return false;
}
