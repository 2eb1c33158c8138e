/*
 * snapshot.c — renders protected tables into ready-to-send bodies, once per
 * snapshot (SPEC §6), and shares them between the slot and requests in
 * flight by reference counting.
 *
 * Everything a snapshot owns lives in one arena, so the last unref frees it
 * in one walk. Bodies are rendered into a reusable growable buffer and then
 * copied into the arena with their gzip twin and ETags.
 */
#include "casa/snapshot.h"

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "casa/log.h"
#include "casa/metrics.h"
#include "snapshot_internal.h"

/* ---- arena ------------------------------------------------------------ */

#define ARENA_CHUNK (256 * 1024)

struct arena_chunk {
	struct arena_chunk *next; /* older chunk */
	size_t used;              /* bytes handed out */
	size_t cap;               /* bytes in data */
	max_align_t data[];       /* storage */
};

void *snapshot_arena_alloc(struct snapshot_arena *arena, size_t n)
{
	size_t align = sizeof(max_align_t);
	n = (n + align - 1) / align * align;
	if (n == 0)
		n = align;
	struct arena_chunk *chunk = arena->head;
	if (chunk == NULL || chunk->cap - chunk->used < n) {
		size_t cap = n > ARENA_CHUNK / 2 ? n : ARENA_CHUNK;
		chunk = malloc(sizeof(*chunk) + cap);
		if (chunk == NULL)
			return NULL;
		chunk->cap = cap;
		chunk->used = 0;
		if (n > ARENA_CHUNK / 2 && arena->head != NULL) {
			/* big blocks go behind the current chunk so its free space
			 * stays usable */
			chunk->next = arena->head->next;
			arena->head->next = chunk;
		} else {
			chunk->next = arena->head;
			arena->head = chunk;
		}
	}
	void *p = (char *)chunk->data + chunk->used;
	chunk->used += n;
	return p;
}

void *snapshot_arena_dup(struct snapshot_arena *arena, const void *data, size_t n)
{
	void *p = snapshot_arena_alloc(arena, n + 1);
	if (p == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, data, n);
	((char *)p)[n] = '\0';
	return p;
}

static void arena_free(struct snapshot_arena *arena)
{
	struct arena_chunk *chunk = arena->head;
	while (chunk != NULL) {
		struct arena_chunk *next = chunk->next;
		free(chunk);
		chunk = next;
	}
	arena->head = NULL;
}

/* ---- growable text buffer -------------------------------------------- */

void snapshot_buf_reserve(struct snapshot_buf *buf, size_t extra)
{
	if (buf->failed || buf->cap - buf->len > extra)
		return;
	size_t cap = buf->cap ? buf->cap : 4096;
	while (cap - buf->len <= extra)
		cap *= 2;
	char *data = realloc(buf->data, cap);
	if (data == NULL) {
		buf->failed = true;
		return;
	}
	buf->data = data;
	buf->cap = cap;
}

void snapshot_buf_add(struct snapshot_buf *buf, const char *data, size_t n)
{
	snapshot_buf_reserve(buf, n);
	if (buf->failed)
		return;
	memcpy(buf->data + buf->len, data, n);
	buf->len += n;
	buf->data[buf->len] = '\0';
}

void snapshot_buf_puts(struct snapshot_buf *buf, const char *text)
{
	snapshot_buf_add(buf, text, strlen(text));
}

void snapshot_buf_printf(struct snapshot_buf *buf, const char *fmt, ...)
{
	/* one vsnprintf into the free space in the common case; a second one
	 * only when the buffer has to grow */
	if (buf->failed)
		return;
	size_t room = buf->cap - buf->len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(room ? buf->data + buf->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		buf->failed = true;
		return;
	}
	if ((size_t)n < room) {
		buf->len += (size_t)n;
		return;
	}
	snapshot_buf_reserve(buf, (size_t)n);
	if (buf->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t)n;
}

/* JSON string with quotes; control characters as \u00XX (RFC 8259 §7). */
void snapshot_buf_json_string(struct snapshot_buf *buf, const char *text)
{
	snapshot_buf_add(buf, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '"')
			snapshot_buf_add(buf, "\\\"", 2);
		else if (*p == '\\')
			snapshot_buf_add(buf, "\\\\", 2);
		else if (*p == '\n')
			snapshot_buf_add(buf, "\\n", 2);
		else if (*p == '\r')
			snapshot_buf_add(buf, "\\r", 2);
		else if (*p == '\t')
			snapshot_buf_add(buf, "\\t", 2);
		else if (*p < 0x20 || *p == 0x7f)
			snapshot_buf_printf(buf, "\\u%04x", *p);
		else
			snapshot_buf_add(buf, (const char *)p, 1);
	}
	snapshot_buf_add(buf, "\"", 1);
}

/* A CSV field (RFC 4180 §2): quoted when it holds a comma, quote, CR or LF.
 * Used for group labels, the only free text in a CSV body: a label that
 * starts like a spreadsheet formula (=, +, -, @, tab, CR) gets a leading
 * apostrophe so that opening a grant export cannot run it (OWASP "CSV
 * injection"); the JSON body keeps the label as it is. */
static void buf_csv_field(struct snapshot_buf *buf, const char *text)
{
	bool formula = text[0] != '\0' && strchr("=+-@\t\r", text[0]) != NULL;
	if (!formula && strpbrk(text, ",\"\r\n") == NULL) {
		snapshot_buf_puts(buf, text);
		return;
	}
	snapshot_buf_add(buf, "\"", 1);
	if (formula)
		snapshot_buf_add(buf, "'", 1);
	for (const char *p = text; *p; p++) {
		if (*p == '"')
			snapshot_buf_add(buf, "\"\"", 2);
		else
			snapshot_buf_add(buf, p, 1);
	}
	snapshot_buf_add(buf, "\"", 1);
}

/* Values are rounded to 4 decimals by the disclosure stage (SPEC §4: "not
 * rounded by more than 4 decimals"); print them with exactly that many and
 * trim trailing zeros, so 4.31 never becomes 4.3100000000000005. */
void snapshot_format_number(double value, char out[SNAPSHOT_NUMBER_LEN])
{
	if (!isfinite(value) || fabs(value) > 1e15) {
		strcpy(out, "null");
		return;
	}
	snprintf(out, SNAPSHOT_NUMBER_LEN, "%.4f", value);
	char *dot = strchr(out, '.');
	if (dot != NULL) {
		char *end = out + strlen(out) - 1;
		while (end > dot && *end == '0')
			*end-- = '\0';
		if (end == dot)
			*end = '\0';
	}
	if (strcmp(out, "-0") == 0)
		strcpy(out, "0");
}

/* ---- hashing, times --------------------------------------------------- */

uint64_t snapshot_hash(const void *data, size_t len, uint64_t seed)
{
	/* FNV-1a 64 (offset basis 14695981039346656037, prime 1099511628211),
	 * then the splitmix64 finalizer so that every input bit reaches every
	 * output bit. */
	uint64_t h = 14695981039346656037ULL ^ seed;
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

static void format_etag(uint64_t hash, bool gzip, char out[SNAPSHOT_ETAG_LEN])
{
	snprintf(out, SNAPSHOT_ETAG_LEN, "\"%016llx%s\"", (unsigned long long)hash,
	         gzip ? "-gz" : "");
}

void snapshot_format_rfc3339(int64_t unix_seconds, char out[SNAPSHOT_TIME_LEN])
{
	time_t t = (time_t)unix_seconds;
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL) {
		strcpy(out, "1970-01-01T00:00:00Z");
		return;
	}
	snprintf(out, SNAPSHOT_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void snapshot_format_http_date(int64_t unix_seconds, char out[SNAPSHOT_TIME_LEN])
{
	/* RFC 9110 §5.6.7 IMF-fixdate; names spelled out so the locale cannot
	 * change them. */
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)unix_seconds;
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL) {
		strcpy(out, "Thu, 01 Jan 1970 00:00:00 GMT");
		return;
	}
	snprintf(out, SNAPSHOT_TIME_LEN, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
	         tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	         tm.tm_sec);
}

/* ---- bodies ----------------------------------------------------------- */

/* gzip (RFC 1952), level 6: on these repetitive JSON and CSV bodies level 9
 * saves under 5 % more bytes for twice the time (measured with
 * bench_pipeline). deflate's gzip wrapper writes mtime 0, so equal input
 * gives equal bytes. */
static bool gzip_body(struct snapshot_arena *arena, const char *data, size_t len, const char **out,
                      size_t *out_len)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	*out = NULL;
	*out_len = 0;
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	uLong bound = deflateBound(&zs, (uLong)len);
	unsigned char *tmp = malloc(bound);
	if (tmp == NULL)
		goto fail;
	zs.next_in = (Bytef *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	zs.next_out = tmp;
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		goto fail;
	if (zs.total_out < len) {
		*out = snapshot_arena_dup(arena, tmp, zs.total_out);
		if (*out == NULL)
			goto fail;
		*out_len = zs.total_out;
	}
	free(tmp);
	deflateEnd(&zs);
	return true;
fail:
	free(tmp);
	deflateEnd(&zs);
	return false;
}

bool snapshot_body_set(struct snapshot_arena *arena, struct snapshot_body *body, const char *data,
                       size_t len, bool with_gzip)
{
	memset(body, 0, sizeof(*body));
	body->data = snapshot_arena_dup(arena, data, len);
	if (body->data == NULL)
		return false;
	body->len = len;
	format_etag(snapshot_hash(data, len, 0), false, body->etag);
	if (with_gzip && len >= 128) {
		if (!gzip_body(arena, data, len, &body->gzip, &body->gzip_len))
			return false;
		if (body->gzip != NULL)
			format_etag(snapshot_hash(body->gzip, body->gzip_len, 0), true,
			            body->gzip_etag);
	}
	return true;
}

/* ---- snapshot metadata ---------------------------------------------- */

void snapshot_meta_json(const struct snapshot *snapshot, char out[SNAPSHOT_META_LEN])
{
	char generated[SNAPSHOT_TIME_LEN], as_of[DATE_TEXT_LEN];
	snapshot_format_rfc3339(snapshot->generated_at, generated);
	date_format(snapshot->as_of, as_of);
	snprintf(out, SNAPSHOT_META_LEN, "{\"id\":\"%s\",\"generated_at\":\"%s\",\"as_of\":\"%s\"}",
	         snapshot->id, generated, as_of);
}

static void buf_disclosure(struct snapshot_buf *buf, const struct snapshot *snapshot)
{
	snapshot_buf_printf(buf, "{\"mode\":\"%s\",\"min_cell\":%d",
	                    snapshot->mode == DISCLOSURE_DP ? "dp" : "suppress",
	                    snapshot->min_cell);
	if (snapshot->mode == DISCLOSURE_SUPPRESS)
		snapshot_buf_printf(buf, ",\"suppression_year\":\"%s\"",
		                    snapshot->calendar_year_blocks ? "year" : "fiscal_year");
	if (snapshot->mode == DISCLOSURE_DP) {
		/* epsilon is configuration, not a rounded statistic: 15
		 * significant digits print 0.1 as 0.1 and keep tiny budgets */
		if (isfinite(snapshot->epsilon))
			snapshot_buf_printf(buf, ",\"epsilon\":%.15g", snapshot->epsilon);
		else
			snapshot_buf_puts(buf, ",\"epsilon\":null");
	}
	snapshot_buf_puts(buf, "}");
}

static void buf_snapshot_meta(struct snapshot_buf *buf, const struct snapshot *snapshot)
{
	char meta[SNAPSHOT_META_LEN];
	snapshot_meta_json(snapshot, meta);
	snapshot_buf_puts(buf, meta);
}

/* ---- tables ----------------------------------------------------------- */

static const char *group_label(const struct disclosure_result *result, enum dim dim, uint32_t group)
{
	if (dim == DIM_COUNTY)
		return group < result->county_count ? result->counties[group] : "unknown";
	const char *label = metrics_group_label(dim, group);
	return label != NULL ? label : "unknown";
}

struct cell_text {
	char value[SNAPSHOT_NUMBER_LEN];       /* number or "null" */
	char numerator[SNAPSHOT_NUMBER_LEN];   /* integer or "null" */
	char denominator[SNAPSHOT_NUMBER_LEN]; /* integer or "null" */
};

static void cell_text(const struct disclosure_cell *cell, struct cell_text *out)
{
	strcpy(out->value, "null");
	strcpy(out->numerator, "null");
	strcpy(out->denominator, "null");
	if (cell->suppressed)
		return;
	if (cell->has_value)
		snapshot_format_number(cell->value, out->value);
	if (cell->has_numerator)
		snprintf(out->numerator, sizeof(out->numerator), "%lld",
		         (long long)cell->numerator);
	if (cell->has_denominator)
		snprintf(out->denominator, sizeof(out->denominator), "%lld",
		         (long long)cell->denominator);
}

/* CSV uses empty fields for nulls. */
static const char *csv_null(const char *text)
{
	return strcmp(text, "null") == 0 ? "" : text;
}

static bool render_table(struct snapshot *snapshot, const struct disclosure_result *result,
                         const struct disclosure_table *source, struct snapshot_table *table,
                         struct snapshot_buf *json, struct snapshot_buf *csv)
{
	const struct metric_def *def = &metrics_catalog[source->metric];
	const char *by = source->dim == DIM_TOTAL ? NULL : metrics_dim_name(source->dim);
	const char *pt = period_type_name(source->period_type);
	char as_of[DATE_TEXT_LEN];
	date_format(result->as_of, as_of);

	memset(table, 0, sizeof(*table));
	table->metric = source->metric;
	table->period_type = source->period_type;
	table->dim = source->dim;
	table->first_period = source->first_period;
	table->period_count = source->period_count;
	table->group_count = source->group_count;
	for (int f = 0; f < SNAPSHOT_FORMAT_COUNT; f++) {
		size_t n = (size_t)source->period_count + 1;
		table->row_start[f] = snapshot_arena_alloc(&snapshot->arena, n * sizeof(size_t));
		table->row_end[f] = snapshot_arena_alloc(&snapshot->arena, n * sizeof(size_t));
		if (table->row_start[f] == NULL || table->row_end[f] == NULL)
			return false;
	}
	char filename[256];
	snprintf(filename, sizeof(filename), "%s_%s%s%s_%s.csv", def->id, pt, by ? "_by_" : "",
	         by ? by : "", as_of);
	table->csv_filename = snapshot_arena_dup(&snapshot->arena, filename, strlen(filename));
	if (table->csv_filename == NULL)
		return false;

	json->len = 0;
	csv->len = 0;
	snapshot_buf_puts(json, "{\"metric\":");
	snapshot_buf_json_string(json, def->id);
	snapshot_buf_puts(json, ",\"title\":");
	snapshot_buf_json_string(json, def->title);
	snapshot_buf_printf(json, ",\"period_type\":\"%s\",\"by\":", pt);
	if (by != NULL)
		snapshot_buf_json_string(json, by);
	else
		snapshot_buf_puts(json, "null");
	snapshot_buf_puts(json, ",\"unit\":");
	snapshot_buf_json_string(json, def->unit);
	snapshot_buf_puts(json, ",\"snapshot\":");
	buf_snapshot_meta(json, snapshot);
	snapshot_buf_puts(json, ",\"disclosure\":");
	buf_disclosure(json, snapshot);
	snapshot_buf_puts(json, ",\"rows\":[");
	table->rows_open[SNAPSHOT_JSON] = json->len;

	snapshot_buf_puts(csv, "period,period_start,period_end,partial,");
	if (by != NULL)
		snapshot_buf_printf(csv, "%s,", by);
	snapshot_buf_puts(csv, "value,numerator,denominator,suppressed\r\n");
	table->rows_open[SNAPSHOT_CSV] = csv->len;

	for (uint32_t p = 0; p < source->period_count; p++) {
		int32_t index = source->first_period + (int32_t)p;
		char label[PERIOD_LABEL_LEN], start[DATE_TEXT_LEN], end[DATE_TEXT_LEN];
		period_label(source->period_type, index, label);
		int32_t last = period_last_day(source->period_type, result->fy_start_month, index);
		date_format(period_first_day(source->period_type, result->fy_start_month, index),
		            start);
		date_format(last, end);
		const char *partial = last > result->as_of ? "true" : "false";
		if (p > 0 && source->group_count > 0)
			snapshot_buf_puts(json, ",");
		table->row_start[SNAPSHOT_JSON][p] = json->len;
		table->row_start[SNAPSHOT_CSV][p] = csv->len;
		for (uint32_t g = 0; g < source->group_count; g++) {
			const struct disclosure_cell *cell =
			    &source->cells[(size_t)p * source->group_count + g];
			struct cell_text text;
			cell_text(cell, &text);
			const char *suppressed = cell->suppressed ? "true" : "false";
			if (g > 0)
				snapshot_buf_puts(json, ",");
			snapshot_buf_printf(json,
			                    "{\"period\":\"%s\",\"period_start\":\"%s\","
			                    "\"period_end\":\"%s\",\"partial\":%s,",
			                    label, start, end, partial);
			snapshot_buf_printf(csv, "%s,%s,%s,%s,", label, start, end, partial);
			if (by != NULL) {
				const char *group = group_label(result, source->dim, g);
				snapshot_buf_printf(json, "\"%s\":", by);
				snapshot_buf_json_string(json, group);
				snapshot_buf_puts(json, ",");
				buf_csv_field(csv, group);
				snapshot_buf_puts(csv, ",");
			}
			snapshot_buf_printf(json,
			                    "\"value\":%s,\"numerator\":%s,\"denominator\":%s,"
			                    "\"suppressed\":%s}",
			                    text.value, text.numerator, text.denominator,
			                    suppressed);
			snapshot_buf_printf(csv, "%s,%s,%s,%s\r\n", csv_null(text.value),
			                    csv_null(text.numerator), csv_null(text.denominator),
			                    suppressed);
			if (cell->suppressed)
				snapshot->suppressed_cells++;
		}
		table->row_end[SNAPSHOT_JSON][p] = json->len;
		table->row_end[SNAPSHOT_CSV][p] = csv->len;
	}
	table->rows_close[SNAPSHOT_JSON] = json->len;
	table->rows_close[SNAPSHOT_CSV] = csv->len;
	snapshot_buf_puts(json, "]}\n");
	if (json->failed || csv->failed)
		return false;
	return snapshot_body_set(&snapshot->arena, &table->body[SNAPSHOT_JSON], json->data,
	                         json->len, true) &&
	       snapshot_body_set(&snapshot->arena, &table->body[SNAPSHOT_CSV], csv->data, csv->len,
	                         true);
}

bool snapshot_table_slice(const struct snapshot_table *table, enum snapshot_format format,
                          uint32_t from, uint32_t to, char **out, size_t *out_len,
                          char etag[SNAPSHOT_ETAG_LEN])
{
	const struct snapshot_body *body = &table->body[format];
	size_t prefix = table->rows_open[format];
	size_t suffix = body->len - table->rows_close[format];
	size_t middle = 0, middle_start = 0;
	if (from <= to && to < table->period_count) {
		middle_start = table->row_start[format][from];
		middle = table->row_end[format][to] - middle_start;
	}
	char *data = malloc(prefix + middle + suffix + 1);
	if (data == NULL)
		return false;
	memcpy(data, body->data, prefix);
	memcpy(data + prefix, body->data + middle_start, middle);
	memcpy(data + prefix + middle, body->data + table->rows_close[format], suffix);
	data[prefix + middle + suffix] = '\0';
	*out = data;
	*out_len = prefix + middle + suffix;
	/* The slice's bytes are a function of the table's bytes and the range,
	 * so hashing those keeps the ETag strong and stable across replicas. */
	char key[SNAPSHOT_ETAG_LEN + 32];
	int n = snprintf(key, sizeof(key), "%s/%u/%u", body->etag, from, to);
	format_etag(snapshot_hash(key, (size_t)n, 0), false, etag);
	return true;
}

/* ---- summary ---------------------------------------------------------- */

/* National performance for the CFSR round 4 placement-stability indicator
 * (SPEC §4: about 4.48 moves per 1,000 days, entries in FY2021). */
#define CFSR4_NATIONAL_PLACEMENT_MOVES 4.48

static void buf_value_or_null(struct snapshot_buf *buf, const struct disclosure_cell *cell,
                              bool numerator)
{
	char text[SNAPSHOT_NUMBER_LEN];
	if (cell == NULL || cell->suppressed)
		snapshot_buf_puts(buf, "null");
	else if (numerator && cell->has_numerator)
		snapshot_buf_printf(buf, "%lld", (long long)cell->numerator);
	else if (!numerator && cell->has_value) {
		snapshot_format_number(cell->value, text);
		snapshot_buf_puts(buf, text);
	} else
		snapshot_buf_puts(buf, "null");
}

static void render_summary_entry(struct snapshot_buf *buf, const struct disclosure_result *result,
                                 const struct disclosure_table *table)
{
	const struct metric_def *def = &metrics_catalog[table->metric];
	bool stock = table->metric == METRIC_STILL_MISSING_COUNT;
	/* The widget shows the last complete period; a stock ("still missing
	 * now") shows the latest month even when it is partial. */
	int64_t chosen = -1;
	for (int64_t p = (int64_t)table->period_count - 1; p >= 0; p--) {
		int32_t index = table->first_period + (int32_t)p;
		if (stock || period_last_day(table->period_type, result->fy_start_month, index) <=
		                 result->as_of) {
			chosen = p;
			break;
		}
	}
	snapshot_buf_puts(buf, "{\"metric\":");
	snapshot_buf_json_string(buf, def->id);
	snapshot_buf_puts(buf, ",\"title\":");
	snapshot_buf_json_string(buf, def->title);
	snapshot_buf_puts(buf, ",\"unit\":");
	snapshot_buf_json_string(buf, def->unit);
	snapshot_buf_printf(buf, ",\"period_type\":\"%s\"", period_type_name(table->period_type));
	const struct disclosure_cell *cell = NULL, *previous = NULL;
	if (chosen < 0) {
		snapshot_buf_puts(buf, ",\"period\":null,\"period_start\":null,\"period_end\":null,"
		                       "\"partial\":false");
	} else {
		int32_t index = table->first_period + (int32_t)chosen;
		char label[PERIOD_LABEL_LEN], start[DATE_TEXT_LEN], end[DATE_TEXT_LEN];
		period_label(table->period_type, index, label);
		int32_t last = period_last_day(table->period_type, result->fy_start_month, index);
		date_format(period_first_day(table->period_type, result->fy_start_month, index),
		            start);
		date_format(last, end);
		snapshot_buf_printf(buf,
		                    ",\"period\":\"%s\",\"period_start\":\"%s\",\"period_end\":"
		                    "\"%s\",\"partial\":%s",
		                    label, start, end, last > result->as_of ? "true" : "false");
		cell = &table->cells[(size_t)chosen * table->group_count];
		if (chosen > 0)
			previous = &table->cells[(size_t)(chosen - 1) * table->group_count];
	}
	snapshot_buf_puts(buf, ",\"value\":");
	buf_value_or_null(buf, cell, false);
	snapshot_buf_puts(buf, ",\"numerator\":");
	buf_value_or_null(buf, cell, true);
	snapshot_buf_puts(buf, ",\"denominator\":");
	if (cell != NULL && !cell->suppressed && cell->has_denominator)
		snapshot_buf_printf(buf, "%lld", (long long)cell->denominator);
	else
		snapshot_buf_puts(buf, "null");
	snapshot_buf_printf(buf, ",\"suppressed\":%s",
	                    cell != NULL && cell->suppressed ? "true" : "false");
	snapshot_buf_puts(buf, ",\"previous\":");
	if (previous == NULL) {
		snapshot_buf_puts(buf, "null");
	} else {
		char label[PERIOD_LABEL_LEN];
		period_label(table->period_type, table->first_period + (int32_t)chosen - 1, label);
		snapshot_buf_printf(buf, "{\"period\":\"%s\",\"value\":", label);
		buf_value_or_null(buf, previous, false);
		snapshot_buf_printf(buf, ",\"suppressed\":%s}",
		                    previous->suppressed ? "true" : "false");
	}
	snapshot_buf_puts(buf, ",\"change\":");
	if (cell != NULL && previous != NULL && !cell->suppressed && !previous->suppressed &&
	    cell->has_value && previous->has_value) {
		char text[SNAPSHOT_NUMBER_LEN];
		/* both operands have at most 4 decimals: round the difference to
		 * 4 decimals to drop the binary artefact */
		snapshot_format_number(round((cell->value - previous->value) * 1e4) / 1e4, text);
		snapshot_buf_puts(buf, text);
	} else {
		snapshot_buf_puts(buf, "null");
	}
	snapshot_buf_printf(buf, ",\"higher_is_better\":%s",
	                    def->higher_is_better ? "true" : "false");
	if (table->metric == METRIC_PLACEMENT_MOVES_PER_1000_DAYS) {
		char text[SNAPSHOT_NUMBER_LEN];
		snapshot_format_number(CFSR4_NATIONAL_PLACEMENT_MOVES, text);
		snapshot_buf_printf(buf, ",\"reference\":%s", text);
	}
	snapshot_buf_puts(buf, "}");
}

static void render_summary(struct snapshot_buf *buf, const struct snapshot *snapshot,
                           const struct disclosure_result *result)
{
	buf->len = 0;
	snapshot_buf_puts(buf, "{\"snapshot\":");
	buf_snapshot_meta(buf, snapshot);
	snapshot_buf_puts(buf, ",\"disclosure\":");
	buf_disclosure(buf, snapshot);
	snapshot_buf_puts(buf, ",\"metrics\":[");
	bool first = true;
	for (int m = 0; m < METRIC_COUNT; m++) {
		const struct metric_def *def = &metrics_catalog[m];
		enum period_type pt;
		if (m == METRIC_STILL_MISSING_COUNT)
			pt = PERIOD_MONTH;
		else if (def->period_types & PERIOD_BIT(PERIOD_QUARTER))
			pt = PERIOD_QUARTER;
		else
			pt = PERIOD_FISCAL_YEAR;
		const struct disclosure_table *table = NULL;
		for (size_t t = 0; t < result->table_count; t++) {
			const struct disclosure_table *candidate = &result->tables[t];
			if (candidate->metric == (enum metric_id)m &&
			    candidate->period_type == pt && candidate->dim == DIM_TOTAL &&
			    candidate->group_count == 1)
				table = candidate;
		}
		if (table == NULL)
			continue;
		if (!first)
			snapshot_buf_puts(buf, ",");
		first = false;
		render_summary_entry(buf, result, table);
	}
	snapshot_buf_puts(buf, "]}\n");
}

/* ---- catalog, quality ------------------------------------------------- */

static const char *kind_name(enum metric_kind kind)
{
	static const char *const names[] = {"rate", "percent", "quantile", "count"};
	return (unsigned)kind < CASA_ARRAY_LEN(names) ? names[kind] : "unknown";
}

static void render_catalog(struct snapshot_buf *buf, const struct snapshot *snapshot)
{
	buf->len = 0;
	snapshot_buf_puts(buf, "{\"metrics\":[");
	for (int m = 0; m < METRIC_COUNT; m++) {
		const struct metric_def *def = &metrics_catalog[m];
		if (m > 0)
			snapshot_buf_puts(buf, ",");
		snapshot_buf_puts(buf, "{\"id\":");
		snapshot_buf_json_string(buf, def->id);
		snapshot_buf_puts(buf, ",\"title\":");
		snapshot_buf_json_string(buf, def->title);
		snapshot_buf_puts(buf, ",\"unit\":");
		snapshot_buf_json_string(buf, def->unit);
		snapshot_buf_printf(buf, ",\"kind\":\"%s\",\"definition\":", kind_name(def->kind));
		snapshot_buf_json_string(buf, def->definition);
		/* "total" is what an absent by means; the list names the
		 * breakdowns a client may ask for */
		snapshot_buf_puts(buf, ",\"by\":[");
		bool first = true;
		for (int d = 1; d < DIM_COUNT; d++) {
			if (!(def->dims & DIM_BIT(d)))
				continue;
			snapshot_buf_printf(buf, "%s\"%s\"", first ? "" : ",",
			                    metrics_dim_name((enum dim)d));
			first = false;
		}
		snapshot_buf_puts(buf, "],\"period_types\":[");
		first = true;
		for (int p = 0; p < PERIOD_TYPE_COUNT; p++) {
			if (!(def->period_types & PERIOD_BIT(p)))
				continue;
			snapshot_buf_printf(buf, "%s\"%s\"", first ? "" : ",",
			                    period_type_name((enum period_type)p));
			first = false;
		}
		snapshot_buf_printf(buf, "],\"child_based\":%s,\"higher_is_better\":%s}",
		                    def->child_based ? "true" : "false",
		                    def->higher_is_better ? "true" : "false");
	}
	snapshot_buf_puts(buf, "],\"disclosure\":");
	buf_disclosure(buf, snapshot);
	snapshot_buf_puts(buf, ",\"snapshot\":");
	buf_snapshot_meta(buf, snapshot);
	snapshot_buf_puts(buf, "}\n");
}

static const char *rule_action(int rule)
{
	if (rule < DQ_KEEP_OVERLAPPING_PLACEMENTS)
		return "dropped";
	if (rule < DQ_IGNORED_AFTER_AS_OF)
		return "kept";
	return "ignored";
}

static void render_quality(struct snapshot_buf *buf, const struct snapshot *snapshot,
                           const struct model_quality *quality)
{
	static const struct model_quality none;
	if (quality == NULL)
		quality = &none;
	buf->len = 0;
	snapshot_buf_puts(buf, "{\"snapshot\":");
	buf_snapshot_meta(buf, snapshot);
	snapshot_buf_puts(buf, ",\"rows_read\":{");
	for (int t = 0; t < MODEL_TABLE_COUNT; t++)
		snapshot_buf_printf(buf, "%s\"%s\":%llu", t ? "," : "", model_table_names[t],
		                    (unsigned long long)quality->rows_read[t]);
	snapshot_buf_puts(buf, "},\"rows_kept\":{");
	for (int t = 0; t < MODEL_TABLE_COUNT; t++)
		snapshot_buf_printf(buf, "%s\"%s\":%llu", t ? "," : "", model_table_names[t],
		                    (unsigned long long)quality->rows_kept[t]);
	snapshot_buf_puts(buf, "},\"rules\":[");
	for (int r = 0; r < DQ_RULE_COUNT; r++) {
		snapshot_buf_printf(buf, "%s{\"rule\":", r ? "," : "");
		snapshot_buf_json_string(buf, model_dq_rule_names[r]);
		snapshot_buf_puts(buf, ",\"description\":");
		snapshot_buf_json_string(buf, model_dq_rule_descriptions[r]);
		snapshot_buf_printf(buf, ",\"action\":\"%s\",\"count\":%llu}", rule_action(r),
		                    (unsigned long long)quality->violations[r]);
	}
	snapshot_buf_puts(buf, "]}\n");
}

/* ---- id --------------------------------------------------------------- */

static uint64_t hash_mix(uint64_t h, const void *data, size_t len)
{
	return snapshot_hash(data, len, h);
}

static uint64_t hash_i64(uint64_t h, int64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)((uint64_t)v >> (8 * i));
	return hash_mix(h, b, 8);
}

/* The id names the published content: every protected cell, the group
 * labels, the disclosure settings, as_of and the quality counts. It leaves
 * out generated_at and the refresh key, so the same data gives the same id
 * on every replica and after every rebuild. */
static uint64_t content_hash(const struct disclosure_result *result,
                             const struct model_quality *quality)
{
	uint64_t h = hash_i64(0, result->as_of);
	h = hash_i64(h, result->fy_start_month);
	h = hash_i64(h, result->mode);
	h = hash_i64(h, result->min_cell);
	h = hash_i64(h, result->calendar_year_blocks);
	h = hash_i64(h, result->mode == DISCLOSURE_DP ? llround(result->epsilon * 1e6) : 0);
	for (size_t c = 0; c < result->county_count; c++)
		h = hash_mix(h, result->counties[c], strlen(result->counties[c]) + 1);
	for (size_t t = 0; t < result->table_count; t++) {
		const struct disclosure_table *table = &result->tables[t];
		h = hash_i64(h, table->metric);
		h = hash_i64(h, table->period_type);
		h = hash_i64(h, table->dim);
		h = hash_i64(h, table->first_period);
		h = hash_i64(h, table->period_count);
		h = hash_i64(h, table->group_count);
		size_t cells = (size_t)table->period_count * table->group_count;
		for (size_t i = 0; i < cells; i++) {
			const struct disclosure_cell *cell = &table->cells[i];
			int64_t flags = cell->suppressed | cell->has_value << 1 |
			                cell->has_numerator << 2 | cell->has_denominator << 3;
			h = hash_i64(h, flags);
			h = hash_i64(h, cell->has_numerator ? cell->numerator : 0);
			h = hash_i64(h, cell->has_denominator ? cell->denominator : 0);
			h = hash_i64(h, cell->has_value ? llround(cell->value * 1e4) : 0);
		}
	}
	if (quality != NULL) {
		for (int r = 0; r < DQ_RULE_COUNT; r++)
			h = hash_i64(h, (int64_t)quality->violations[r]);
		for (int t = 0; t < MODEL_TABLE_COUNT; t++) {
			h = hash_i64(h, (int64_t)quality->rows_read[t]);
			h = hash_i64(h, (int64_t)quality->rows_kept[t]);
		}
	}
	return h;
}

/* ---- build, refcount -------------------------------------------------- */

struct snapshot *snapshot_alloc(void)
{
	struct snapshot *snapshot = calloc(1, sizeof(*snapshot));
	if (snapshot == NULL)
		return NULL;
	atomic_init(&snapshot->refs, 1);
	for (int m = 0; m < METRIC_COUNT; m++)
		for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
			for (int d = 0; d < DIM_COUNT; d++)
				snapshot->index[m][p][d] = -1;
	return snapshot;
}

bool snapshot_render_resources(struct snapshot *snapshot, const struct disclosure_result *result,
                               const struct model_quality *quality, struct snapshot_buf *buf)
{
	render_catalog(buf, snapshot);
	if (buf->failed ||
	    !snapshot_body_set(&snapshot->arena, &snapshot->resources[SNAPSHOT_CATALOG], buf->data,
	                       buf->len, true))
		return false;
	render_summary(buf, snapshot, result);
	if (buf->failed ||
	    !snapshot_body_set(&snapshot->arena, &snapshot->resources[SNAPSHOT_SUMMARY], buf->data,
	                       buf->len, true))
		return false;
	render_quality(buf, snapshot, quality);
	if (buf->failed ||
	    !snapshot_body_set(&snapshot->arena, &snapshot->resources[SNAPSHOT_QUALITY], buf->data,
	                       buf->len, true))
		return false;
	buf->len = 0;
	snapshot_openapi_render(buf, snapshot, result);
	if (buf->failed ||
	    !snapshot_body_set(&snapshot->arena, &snapshot->resources[SNAPSHOT_OPENAPI], buf->data,
	                       buf->len, true))
		return false;
	return true;
}

struct snapshot *snapshot_build(const struct disclosure_result *tables,
                                const struct snapshot_info *info)
{
	struct snapshot_buf json = {0}, csv = {0};
	struct snapshot *snapshot = snapshot_alloc();
	if (snapshot == NULL)
		goto fail;
	snprintf(snapshot->id, sizeof(snapshot->id), "%016llx",
	         (unsigned long long)content_hash(tables, info->quality));
	snapshot->as_of = tables->as_of;
	snapshot->fy_start_month = tables->fy_start_month;
	snapshot->refresh_key = info->refresh_key;
	snapshot->generated_at = info->generated_at;
	snapshot->refresh_seconds = info->refresh_seconds;
	snapshot->mode = tables->mode;
	snapshot->min_cell = tables->min_cell;
	snapshot->calendar_year_blocks = tables->calendar_year_blocks;
	snapshot->epsilon = tables->epsilon;
	snapshot->table_count = tables->table_count;
	snapshot->tables = snapshot_arena_alloc(
	    &snapshot->arena, (tables->table_count + 1) * sizeof(struct snapshot_table));
	if (snapshot->tables == NULL)
		goto fail;
	for (size_t t = 0; t < tables->table_count; t++) {
		const struct disclosure_table *source = &tables->tables[t];
		if ((unsigned)source->metric >= METRIC_COUNT ||
		    (unsigned)source->period_type >= PERIOD_TYPE_COUNT ||
		    (unsigned)source->dim >= DIM_COUNT) {
			log_warnx("%s: table %zu has an unknown metric, period type or "
			          "breakdown",
			          __func__, t);
			goto fail;
		}
		if (!render_table(snapshot, tables, source, &snapshot->tables[t], &json, &csv))
			goto fail;
		snapshot->index[source->metric][source->period_type][source->dim] = (int32_t)t;
	}
	if (!snapshot_render_resources(snapshot, tables, info->quality, &json))
		goto fail;
	free(json.data);
	free(csv.data);
	return snapshot;
fail:
	free(json.data);
	free(csv.data);
	if (snapshot != NULL)
		snapshot_unref(snapshot);
	return NULL;
}

struct snapshot *snapshot_ref(struct snapshot *snapshot)
{
	if (snapshot != NULL)
		atomic_fetch_add_explicit(&snapshot->refs, 1, memory_order_relaxed);
	return snapshot;
}

void snapshot_unref(struct snapshot *snapshot)
{
	if (snapshot == NULL)
		return;
	if (atomic_fetch_sub_explicit(&snapshot->refs, 1, memory_order_acq_rel) != 1)
		return;
	arena_free(&snapshot->arena);
	free(snapshot);
}

const char *snapshot_id(const struct snapshot *snapshot)
{
	return snapshot->id;
}

int32_t snapshot_as_of(const struct snapshot *snapshot)
{
	return snapshot->as_of;
}

int64_t snapshot_refresh_key(const struct snapshot *snapshot)
{
	return snapshot->refresh_key;
}

int64_t snapshot_generated_at(const struct snapshot *snapshot)
{
	return snapshot->generated_at;
}

int snapshot_fy_start_month(const struct snapshot *snapshot)
{
	return snapshot->fy_start_month;
}

uint64_t snapshot_suppressed_cells(const struct snapshot *snapshot)
{
	return snapshot->suppressed_cells;
}

const struct snapshot_table *snapshot_table_find(const struct snapshot *snapshot,
                                                 enum metric_id metric,
                                                 enum period_type period_type, enum dim dim)
{
	if ((unsigned)metric >= METRIC_COUNT || (unsigned)period_type >= PERIOD_TYPE_COUNT ||
	    (unsigned)dim >= DIM_COUNT)
		return NULL;
	int32_t t = snapshot->index[metric][period_type][dim];
	return t < 0 ? NULL : &snapshot->tables[t];
}

const struct snapshot_body *snapshot_resource(const struct snapshot *snapshot,
                                              enum snapshot_resource resource)
{
	if ((unsigned)resource >= SNAPSHOT_RESOURCE_COUNT)
		return NULL;
	return &snapshot->resources[resource];
}

/* ---- slot ------------------------------------------------------------- */

void snapshot_slot_init(struct snapshot_slot *slot)
{
	pthread_mutex_init(&slot->lock, NULL);
	slot->current = NULL;
}

struct snapshot *snapshot_slot_acquire(struct snapshot_slot *slot)
{
	pthread_mutex_lock(&slot->lock);
	struct snapshot *snapshot = snapshot_ref(slot->current);
	pthread_mutex_unlock(&slot->lock);
	return snapshot;
}

void snapshot_slot_replace(struct snapshot_slot *slot, struct snapshot *next)
{
	pthread_mutex_lock(&slot->lock);
	struct snapshot *old = slot->current;
	slot->current = next;
	pthread_mutex_unlock(&slot->lock);
	/* the old one may be large: free it outside the lock */
	snapshot_unref(old);
}

void snapshot_slot_destroy(struct snapshot_slot *slot)
{
	snapshot_unref(slot->current);
	slot->current = NULL;
	pthread_mutex_destroy(&slot->lock);
}
