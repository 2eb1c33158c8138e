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

#include <jansson.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "casa/hash.h"
#include "casa/log.h"
#include "casa/metrics.h"
#include "snapshot_internal.h"

/* ---- hashing, times --------------------------------------------------- */

uint64_t snapshot_hash(const void *data, size_t len, uint64_t seed)
{
	return hash_bytes(data, len, seed);
}

static void format_etag(uint64_t hash, bool gzip, char out[SNAPSHOT_ETAG_LEN])
{
	snprintf(out, SNAPSHOT_ETAG_LEN, "\"%016llx%s\"", (unsigned long long)hash,
	         gzip ? "-gz" : "");
}

void snapshot_etag_of(const char *data, size_t len, bool gzip, char out[SNAPSHOT_ETAG_LEN])
{
	format_etag(snapshot_hash(data, len, 0), gzip, out);
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
static bool gzip_body(struct buf_arena *arena, const char *data, size_t len, const char **out,
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
		*out = buf_arena_dup(arena, tmp, zs.total_out);
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

bool snapshot_body_set(struct buf_arena *arena, struct snapshot_body *body, const char *data,
                       size_t len, bool with_gzip)
{
	memset(body, 0, sizeof(*body));
	body->data = buf_arena_dup(arena, data, len);
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

static void buf_disclosure(struct buf *buf, const struct snapshot *snapshot)
{
	buf_printf(buf, "{\"mode\":\"%s\",\"min_cell\":%d",
	           snapshot->mode == DISCLOSURE_DP ? "dp" : "suppress", snapshot->min_cell);
	buf_printf(buf, ",\"publish\":\"%s\",\"settle_days\":%d", snapshot->plan_text,
	           snapshot->settle_days);
	if (snapshot->mode == DISCLOSURE_DP) {
		/* epsilon is configuration, not a rounded statistic: 15
		 * significant digits print 0.1 as 0.1 and keep tiny budgets */
		if (isfinite(snapshot->epsilon))
			buf_printf(buf, ",\"epsilon\":%.15g", snapshot->epsilon);
		else
			buf_puts(buf, ",\"epsilon\":null");
		/* the exact intervals are over the published (noisy) counts and
		 * do not widen for the noise (docs/privacy.md) */
		buf_puts(buf, ",\"intervals_include_noise\":false");
	}
	buf_puts(buf, "}");
}

static void buf_snapshot_meta(struct buf *buf, const struct snapshot *snapshot)
{
	char meta[SNAPSHOT_META_LEN];
	snapshot_meta_json(snapshot, meta);
	buf_puts(buf, meta);
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
	char value[BUF_NUMBER_LEN];       /* number or "null" */
	char numerator[BUF_NUMBER_LEN];   /* integer or "null" */
	char denominator[BUF_NUMBER_LEN]; /* integer or "null" */
};

static void cell_text(const struct disclosure_cell *cell, struct cell_text *out)
{
	strcpy(out->value, "null");
	strcpy(out->numerator, "null");
	strcpy(out->denominator, "null");
	if (cell->suppressed)
		return;
	if (cell->has_value)
		buf_format_number(cell->value, out->value);
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
                         struct buf *json, struct buf *csv)
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
	table->period_count = source->published_rows;
	table->group_count = source->group_count;
	for (int f = 0; f < SNAPSHOT_FORMAT_COUNT; f++) {
		size_t n = (size_t)source->published_rows + 1;
		table->row_start[f] = buf_arena_alloc(&snapshot->arena, n * sizeof(size_t));
		table->row_end[f] = buf_arena_alloc(&snapshot->arena, n * sizeof(size_t));
		if (table->row_start[f] == NULL || table->row_end[f] == NULL)
			return false;
	}
	char filename[256];
	snprintf(filename, sizeof(filename), "%s_%s%s%s_%s.csv", def->id, pt, by ? "_by_" : "",
	         by ? by : "", as_of);
	table->csv_filename = buf_arena_dup(&snapshot->arena, filename, strlen(filename));
	if (table->csv_filename == NULL)
		return false;

	json->len = 0;
	csv->len = 0;
	buf_puts(json, "{\"metric\":");
	buf_json_string(json, def->id);
	buf_puts(json, ",\"title\":");
	buf_json_string(json, def->title);
	buf_printf(json, ",\"period_type\":\"%s\",\"by\":", pt);
	if (by != NULL)
		buf_json_string(json, by);
	else
		buf_puts(json, "null");
	buf_puts(json, ",\"unit\":");
	buf_json_string(json, def->unit);
	buf_puts(json, ",\"snapshot\":");
	buf_snapshot_meta(json, snapshot);
	buf_puts(json, ",\"disclosure\":");
	buf_disclosure(json, snapshot);
	buf_puts(json, ",\"rows\":[");
	table->rows_open[SNAPSHOT_JSON] = json->len;

	buf_puts(csv, "period,period_start,period_end,partial,provisional,");
	if (by != NULL)
		buf_printf(csv, "%s,", by);
	buf_puts(csv, "value,numerator,denominator,suppressed\r\n");
	table->rows_open[SNAPSHOT_CSV] = csv->len;

	for (uint32_t p = 0; p < source->published_rows; p++) {
		int32_t index = source->first_period + (int32_t)p;
		char label[PERIOD_LABEL_LEN], start[DATE_TEXT_LEN], end[DATE_TEXT_LEN];
		period_label(source->period_type, index, label);
		int32_t last = period_last_day(source->period_type, result->fy_start_month, index);
		date_format(period_first_day(source->period_type, result->fy_start_month, index),
		            start);
		date_format(last, end);
		const char *partial = last > result->as_of ? "true" : "false";
		/* counts that may still change: partial, or not settled yet */
		const char *provisional =
		    source->group_count > 0 &&
		            source->cells[(size_t)p * source->group_count].provisional
		        ? "true"
		        : "false";
		if (p > 0 && source->group_count > 0)
			buf_puts(json, ",");
		table->row_start[SNAPSHOT_JSON][p] = json->len;
		table->row_start[SNAPSHOT_CSV][p] = csv->len;
		for (uint32_t g = 0; g < source->group_count; g++) {
			const struct disclosure_cell *cell =
			    &source->cells[(size_t)p * source->group_count + g];
			struct cell_text text;
			cell_text(cell, &text);
			const char *suppressed = cell->suppressed ? "true" : "false";
			if (g > 0)
				buf_puts(json, ",");
			buf_printf(json,
			           "{\"period\":\"%s\",\"period_start\":\"%s\","
			           "\"period_end\":\"%s\",\"partial\":%s,\"provisional\":%s,",
			           label, start, end, partial, provisional);
			buf_printf(csv, "%s,%s,%s,%s,%s,", label, start, end, partial, provisional);
			if (by != NULL) {
				const char *group = group_label(result, source->dim, g);
				buf_printf(json, "\"%s\":", by);
				buf_json_string(json, group);
				buf_puts(json, ",");
				buf_csv_field(csv, group);
				buf_puts(csv, ",");
			}
			buf_printf(json,
			           "\"value\":%s,\"numerator\":%s,\"denominator\":%s,"
			           "\"suppressed\":%s}",
			           text.value, text.numerator, text.denominator, suppressed);
			buf_printf(csv, "%s,%s,%s,%s\r\n", csv_null(text.value),
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
	buf_puts(json, "]}\n");
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

static void buf_value_or_null(struct buf *buf, const struct disclosure_cell *cell, bool numerator)
{
	char text[BUF_NUMBER_LEN];
	if (cell == NULL || cell->suppressed)
		buf_puts(buf, "null");
	else if (numerator && cell->has_numerator)
		buf_printf(buf, "%lld", (long long)cell->numerator);
	else if (!numerator && cell->has_value) {
		buf_format_number(cell->value, text);
		buf_puts(buf, text);
	} else
		buf_puts(buf, "null");
}

static void render_summary_entry(struct buf *buf, const struct disclosure_result *result,
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
	buf_puts(buf, "{\"metric\":");
	buf_json_string(buf, def->id);
	buf_puts(buf, ",\"title\":");
	buf_json_string(buf, def->title);
	buf_puts(buf, ",\"unit\":");
	buf_json_string(buf, def->unit);
	buf_printf(buf, ",\"period_type\":\"%s\"", period_type_name(table->period_type));
	const struct disclosure_cell *cell = NULL, *previous = NULL;
	if (chosen < 0) {
		buf_puts(buf, ",\"period\":null,\"period_start\":null,\"period_end\":null,"
		              "\"partial\":false,\"provisional\":false");
	} else {
		int32_t index = table->first_period + (int32_t)chosen;
		char label[PERIOD_LABEL_LEN], start[DATE_TEXT_LEN], end[DATE_TEXT_LEN];
		period_label(table->period_type, index, label);
		int32_t last = period_last_day(table->period_type, result->fy_start_month, index);
		date_format(period_first_day(table->period_type, result->fy_start_month, index),
		            start);
		date_format(last, end);
		cell = &table->cells[(size_t)chosen * table->group_count];
		buf_printf(buf,
		           ",\"period\":\"%s\",\"period_start\":\"%s\",\"period_end\":"
		           "\"%s\",\"partial\":%s,\"provisional\":%s",
		           label, start, end, last > result->as_of ? "true" : "false",
		           cell->provisional ? "true" : "false");
		if (chosen > 0)
			previous = &table->cells[(size_t)(chosen - 1) * table->group_count];
	}
	buf_puts(buf, ",\"value\":");
	buf_value_or_null(buf, cell, false);
	buf_puts(buf, ",\"numerator\":");
	buf_value_or_null(buf, cell, true);
	buf_puts(buf, ",\"denominator\":");
	if (cell != NULL && !cell->suppressed && cell->has_denominator)
		buf_printf(buf, "%lld", (long long)cell->denominator);
	else
		buf_puts(buf, "null");
	buf_printf(buf, ",\"suppressed\":%s", cell != NULL && cell->suppressed ? "true" : "false");
	buf_puts(buf, ",\"previous\":");
	if (previous == NULL) {
		buf_puts(buf, "null");
	} else {
		char label[PERIOD_LABEL_LEN];
		period_label(table->period_type, table->first_period + (int32_t)chosen - 1, label);
		buf_printf(buf, "{\"period\":\"%s\",\"value\":", label);
		buf_value_or_null(buf, previous, false);
		buf_printf(buf, ",\"suppressed\":%s}", previous->suppressed ? "true" : "false");
	}
	buf_puts(buf, ",\"change\":");
	if (cell != NULL && previous != NULL && !cell->suppressed && !previous->suppressed &&
	    cell->has_value && previous->has_value) {
		char text[BUF_NUMBER_LEN];
		/* both operands have at most 4 decimals: round the difference to
		 * 4 decimals to drop the binary artefact */
		buf_format_number(round((cell->value - previous->value) * 1e4) / 1e4, text);
		buf_puts(buf, text);
	} else {
		buf_puts(buf, "null");
	}
	buf_printf(buf, ",\"higher_is_better\":%s", def->higher_is_better ? "true" : "false");
	if (table->metric == METRIC_PLACEMENT_MOVES_PER_1000_DAYS) {
		char text[BUF_NUMBER_LEN];
		buf_format_number(CFSR4_NATIONAL_PLACEMENT_MOVES, text);
		buf_printf(buf, ",\"reference\":%s", text);
	}
	buf_puts(buf, "}");
}

static void render_summary(struct buf *buf, const struct snapshot *snapshot,
                           const struct disclosure_result *result)
{
	buf->len = 0;
	buf_puts(buf, "{\"snapshot\":");
	buf_snapshot_meta(buf, snapshot);
	buf_puts(buf, ",\"disclosure\":");
	buf_disclosure(buf, snapshot);
	buf_puts(buf, ",\"metrics\":[");
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
			buf_puts(buf, ",");
		first = false;
		render_summary_entry(buf, result, table);
	}
	buf_puts(buf, "]}\n");
}

/* ---- catalog, quality ------------------------------------------------- */

static const char *kind_name(enum metric_kind kind)
{
	static const char *const names[] = {"rate", "percent", "quantile", "count"};
	return (unsigned)kind < CASA_ARRAY_LEN(names) ? names[kind] : "unknown";
}

/* The disclosure and snapshot objects open every table body, which is
 * written by hand around its row offsets; the catalog takes the same text
 * as jansson values, so each object has one renderer. NULL when memory
 * runs out. */
static json_t *json_of(void (*render)(struct buf *, const struct snapshot *),
                       const struct snapshot *snapshot)
{
	struct buf text = {0};
	render(&text, snapshot);
	json_t *value = text.failed ? NULL : json_loads(text.data, 0, NULL);
	free(text.data);
	return value;
}

static json_t *catalog_entry(const struct metric_def *def)
{
	/* "total" is what an absent by means; the list names the breakdowns a
	 * client may ask for */
	json_t *by = json_array();
	for (int d = 1; d < DIM_COUNT; d++)
		if (def->dims & DIM_BIT(d))
			by = buf_json_append(by, json_string(metrics_dim_name((enum dim)d)));
	json_t *period_types = json_array();
	for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
		if (def->period_types & PERIOD_BIT(p))
			period_types = buf_json_append(
			    period_types, json_string(period_type_name((enum period_type)p)));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:b, s:b}", "id", def->id, "title",
	                 def->title, "unit", def->unit, "kind", kind_name(def->kind), "definition",
	                 def->definition, "by", by, "period_types", period_types, "child_based",
	                 def->child_based, "higher_is_better", def->higher_is_better);
}

static void render_catalog(struct buf *buf, const struct snapshot *snapshot)
{
	json_t *metrics = json_array();
	for (int m = 0; m < METRIC_COUNT; m++)
		metrics = buf_json_append(metrics, catalog_entry(&metrics_catalog[m]));
	buf->len = 0;
	buf_json_value(buf, json_pack("{s:o, s:o, s:o}", "metrics", metrics, "disclosure",
	                              json_of(buf_disclosure, snapshot), "snapshot",
	                              json_of(buf_snapshot_meta, snapshot)));
	buf_puts(buf, "\n");
}

/* /api/v1/disclosure: what protection cost, per published table (counts of
 * cells only, never a value: issue "utility, measured and served"). */
static void render_disclosure_report(struct buf *buf, const struct snapshot *snapshot,
                                     const struct disclosure_result *result)
{
	json_t *tables = json_array();
	uint64_t sum[6] = {0};
	for (size_t i = 0; i < result->table_count; i++) {
		const struct disclosure_table *t = &result->tables[i];
		if (!t->published)
			continue;
		const struct disclosure_table_counts *c = &t->counts;
		uint64_t v[6] = {c->cells,   c->safe,      c->safe_published,
		                 c->primary, c->secondary, c->frozen};
		for (int k = 0; k < 6; k++)
			sum[k] += v[k];
		tables = buf_json_append(
		    tables, json_pack("{s:s, s:s, s:s*, s:I, s:I, s:I, s:I, s:I, s:I}", "metric",
		                      metrics_catalog[t->metric].id, "period_type",
		                      period_type_name(t->period_type), "by",
		                      t->dim == DIM_TOTAL ? NULL : metrics_dim_name(t->dim),
		                      "cells", (json_int_t)v[0], "safe", (json_int_t)v[1],
		                      "safe_published", (json_int_t)v[2], "hidden_primary",
		                      (json_int_t)v[3], "hidden_secondary", (json_int_t)v[4],
		                      "hidden_frozen", (json_int_t)v[5]));
	}
	buf->len = 0;
	buf_json_value(buf, json_pack("{s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:o}",
	                              "snapshot", json_of(buf_snapshot_meta, snapshot),
	                              "disclosure", json_of(buf_disclosure, snapshot), "totals",
	                              "cells", (json_int_t)sum[0], "safe", (json_int_t)sum[1],
	                              "safe_published", (json_int_t)sum[2], "hidden_primary",
	                              (json_int_t)sum[3], "hidden_secondary", (json_int_t)sum[4],
	                              "hidden_frozen", (json_int_t)sum[5], "tables", tables));
	buf_puts(buf, "\n");
}

static const char *rule_action(int rule)
{
	if (rule < DQ_KEEP_OVERLAPPING_PLACEMENTS)
		return "dropped";
	if (rule < DQ_IGNORED_AFTER_AS_OF)
		return "kept";
	return "ignored";
}

static void render_quality(struct buf *buf, const struct snapshot *snapshot,
                           const struct model_quality *quality)
{
	static const struct model_quality none;
	if (quality == NULL)
		quality = &none;
	buf->len = 0;
	buf_puts(buf, "{\"snapshot\":");
	buf_snapshot_meta(buf, snapshot);
	buf_puts(buf, ",\"rows_read\":{");
	for (int t = 0; t < MODEL_TABLE_COUNT; t++)
		buf_printf(buf, "%s\"%s\":%llu", t ? "," : "", model_table_names[t],
		           (unsigned long long)snapshot_published_row_count(snapshot,
		                                                            quality->rows_read[t]));
	buf_puts(buf, "},\"rows_kept\":{");
	for (int t = 0; t < MODEL_TABLE_COUNT; t++)
		buf_printf(buf, "%s\"%s\":%llu", t ? "," : "", model_table_names[t],
		           (unsigned long long)snapshot_published_row_count(snapshot,
		                                                            quality->rows_kept[t]));
	buf_puts(buf, "},\"rules\":[");
	for (int r = 0; r < DQ_RULE_COUNT; r++) {
		buf_printf(buf, "%s{\"rule\":", r ? "," : "");
		buf_json_string(buf, model_dq_rule_names[r]);
		buf_puts(buf, ",\"description\":");
		buf_json_string(buf, model_dq_rule_descriptions[r]);
		buf_printf(buf, ",\"action\":\"%s\",\"count\":%llu}", rule_action(r),
		           (unsigned long long)snapshot_published_row_count(
		               snapshot, quality->violations[r]));
	}
	buf_puts(buf, "]}\n");
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
	for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
		h = hash_i64(h, result->plan.dims[p]);
	h = hash_i64(h, result->settle_days);
	h = hash_i64(h, result->mode == DISCLOSURE_DP ? llround(result->epsilon * 1e6) : 0);
	for (size_t c = 0; c < result->county_count; c++)
		h = hash_mix(h, result->counties[c], strlen(result->counties[c]) + 1);
	for (size_t t = 0; t < result->table_count; t++) {
		const struct disclosure_table *table = &result->tables[t];
		h = hash_i64(h, table->metric);
		h = hash_i64(h, table->period_type);
		h = hash_i64(h, table->dim);
		h = hash_i64(h, table->first_period);
		if (!table->published)
			continue;
		h = hash_i64(h, table->published_rows);
		h = hash_i64(h, table->group_count);
		size_t cells = (size_t)table->published_rows * table->group_count;
		for (size_t i = 0; i < cells; i++) {
			const struct disclosure_cell *cell = &table->cells[i];
			int64_t flags = cell->suppressed | cell->has_value << 1 |
			                cell->has_numerator << 2 | cell->has_denominator << 3 |
			                cell->provisional << 4;
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

/* Renders catalog, summary, quality and OpenAPI into snapshot->resources. */
static bool render_resources(struct snapshot *snapshot, const struct disclosure_result *result,
                             const struct model_quality *quality, struct buf *buf)
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
	render_disclosure_report(buf, snapshot, result);
	if (buf->failed ||
	    !snapshot_body_set(&snapshot->arena, &snapshot->resources[SNAPSHOT_DISCLOSURE],
	                       buf->data, buf->len, true))
		return false;
	buf->len = 0;
	buf_json_value(buf, snapshot_openapi_document());
	buf_puts(buf, "\n");
	if (buf->failed ||
	    !snapshot_body_set(&snapshot->arena, &snapshot->resources[SNAPSHOT_OPENAPI], buf->data,
	                       buf->len, true))
		return false;
	return true;
}

struct snapshot *snapshot_build(const struct disclosure_result *tables,
                                const struct snapshot_info *info)
{
	struct buf json = {0}, csv = {0};
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
	snapshot->plan = tables->plan;
	release_plan_format(&tables->plan, snapshot->plan_text);
	snapshot->settle_days = tables->settle_days;
	snapshot->epsilon = tables->epsilon;
	snapshot->table_count = 0;
	snapshot->tables = buf_arena_alloc(&snapshot->arena, (tables->table_count + 1) *
	                                                         sizeof(struct snapshot_table));
	if (snapshot->tables == NULL)
		goto fail;
	for (size_t i = 0; i < tables->table_count; i++) {
		const struct disclosure_table *source = &tables->tables[i];
		size_t t = snapshot->table_count;
		if (!source->published)
			continue; /* not in the publication plan */
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
		snapshot->table_count++;
	}
	if (!render_resources(snapshot, tables, info->quality, &json))
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
	buf_arena_free(&snapshot->arena);
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

bool snapshot_publishes(const struct snapshot *snapshot, enum period_type period_type, enum dim dim)
{
	return release_plan_has(&snapshot->plan, period_type, dim);
}

const char *snapshot_plan_text(const struct snapshot *snapshot)
{
	return snapshot->plan_text;
}

uint64_t snapshot_published_row_count(const struct snapshot *snapshot, uint64_t rows)
{
	return snapshot == NULL
	           ? rows
	           : disclosure_published_row_count(snapshot->mode, snapshot->min_cell, rows);
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
