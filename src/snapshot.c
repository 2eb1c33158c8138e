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
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "casa/hash.h"
#include "casa/interval.h"
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
		/* issue 14: the rows' intervals come from the noisy counts */
		buf_puts(buf, ",\"intervals_include_noise\":false,\"interval_note\":"
		              "\"Intervals are computed from the noisy counts and do not include "
		              "the noise. Quantile intervals and the standardized advocate "
		              "comparison are not published in dp mode.\"");
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

/* One thread's share of the tables (issue 14: the rows' intervals doubled
 * the rendering; two threads bring it back). Shares take every other table,
 * so they take about the same time; each writes only its tables' slots,
 * its own arena (adopted by the snapshot afterwards) and counters. */
#define RENDER_SHARES 2
struct render_share {
	struct snapshot *snapshot;              /* read, and its tables[] slots written */
	const struct disclosure_result *result; /* the tables rendered */
	size_t first;                           /* tables first, first + RENDER_SHARES, ... */
	struct buf_arena arena;                 /* blocks of this share's tables */
	uint64_t suppressed;                    /* cells published as suppressed */
	struct snapshot_poisson_cache *cache;   /* this share's own */
	bool ok;                                /* every table rendered */
};

static bool render_table(struct render_share *share, const struct disclosure_table *source,
                         struct snapshot_table *table, struct buf *json, struct buf *csv)
{
	struct snapshot *snapshot = share->snapshot;
	const struct disclosure_result *result = share->result;
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
		table->row_start[f] = buf_arena_alloc(&share->arena, n * sizeof(size_t));
		table->row_end[f] = buf_arena_alloc(&share->arena, n * sizeof(size_t));
		if (table->row_start[f] == NULL || table->row_end[f] == NULL)
			return false;
	}
	char filename[256];
	snprintf(filename, sizeof(filename), "%s_%s%s%s_%s.csv", def->id, pt, by ? "_by_" : "",
	         by ? by : "", as_of);
	table->csv_filename = buf_arena_dup(&share->arena, filename, strlen(filename));
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
	/* the level of every interval in the rows (issue 14) */
	buf_printf(json, ",\"confidence\":%.15g", snapshot->confidence);
	buf_puts(json, ",\"snapshot\":");
	buf_snapshot_meta(json, snapshot);
	buf_puts(json, ",\"disclosure\":");
	buf_disclosure(json, snapshot);
	buf_puts(json, ",\"rows\":[");
	table->rows_open[SNAPSHOT_JSON] = json->len;

	buf_puts(csv, "period,period_start,period_end,partial,provisional,");
	if (by != NULL)
		buf_printf(csv, "%s,", by);
	buf_puts(csv, "value,numerator,denominator,suppressed");
	snapshot_row_stats_csv_header(
	    csv, metrics_table_standardized(source->metric, source->period_type, source->dim));
	buf_puts(csv, "\r\n");
	table->rows_open[SNAPSHOT_CSV] = csv->len;
	const struct disclosure_table *total =
	    disclosure_table_find(result, source->metric, source->period_type, DIM_TOTAL);

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
			struct snapshot_row_stats stats;
			snapshot_row_stats(source, total, p, g, snapshot->confidence, share->cache,
			                   &stats);
			buf_printf(json,
			           "\"value\":%s,\"numerator\":%s,\"denominator\":%s,"
			           "\"suppressed\":%s",
			           text.value, text.numerator, text.denominator, suppressed);
			buf_puts(json, ",");
			snapshot_row_stats_json(json, &stats);
			buf_puts(json, "}");
			buf_printf(csv, "%s,%s,%s,%s", csv_null(text.value),
			           csv_null(text.numerator), csv_null(text.denominator),
			           suppressed);
			snapshot_row_stats_csv(csv, &stats);
			buf_puts(csv, "\r\n");
			if (cell->suppressed)
				share->suppressed++;
		}
		table->row_end[SNAPSHOT_JSON][p] = json->len;
		table->row_end[SNAPSHOT_CSV][p] = csv->len;
	}
	table->rows_close[SNAPSHOT_JSON] = json->len;
	table->rows_close[SNAPSHOT_CSV] = csv->len;
	buf_puts(json, "]}\n");
	if (json->failed || csv->failed)
		return false;
	return snapshot_body_set(&share->arena, &table->body[SNAPSHOT_JSON], json->data, json->len,
	                         true) &&
	       snapshot_body_set(&share->arena, &table->body[SNAPSHOT_CSV], csv->data, csv->len,
	                         true);
}

static void *render_share_run(void *arg)
{
	struct render_share *share = arg;
	struct buf json = {0}, csv = {0};
	share->ok = true;
	/* a table out of the publication plan has no slot (snapshot->index) */
	for (size_t t = share->first; share->ok && t < share->result->table_count;
	     t += RENDER_SHARES) {
		const struct disclosure_table *source = &share->result->tables[t];
		if (!source->published)
			continue;
		int32_t slot =
		    share->snapshot->index[source->metric][source->period_type][source->dim];
		share->ok =
		    render_table(share, source, &share->snapshot->tables[slot], &json, &csv);
	}
	free(json.data);
	free(csv.data);
	return NULL;
}

/* Renders every table, on two threads when one can be started; the shares'
 * blocks go to the snapshot's arena whatever happens, so its unref frees
 * them. */
static bool render_tables(struct snapshot *snapshot, const struct disclosure_result *result)
{
	struct render_share shares[RENDER_SHARES];
	bool ok = true;
	memset(shares, 0, sizeof(shares));
	for (size_t i = 0; i < RENDER_SHARES; i++) {
		shares[i].snapshot = snapshot;
		shares[i].result = result;
		shares[i].first = i;
		shares[i].cache = calloc(1, sizeof(*shares[i].cache));
		ok = ok && shares[i].cache != NULL;
	}
	if (ok) {
		pthread_t thread;
		bool threaded = pthread_create(&thread, NULL, render_share_run, &shares[1]) == 0;
		render_share_run(&shares[0]);
		if (threaded)
			pthread_join(thread, NULL);
		else
			render_share_run(&shares[1]);
	}
	for (size_t i = 0; i < RENDER_SHARES; i++) {
		ok = ok && shares[i].ok;
		buf_arena_adopt(&snapshot->arena, &shares[i].arena);
		snapshot->suppressed_cells += shares[i].suppressed;
		free(shares[i].cache);
	}
	return ok;
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

/* The catalog's reference for the whole population, or NULL. */
static const struct metric_reference *total_reference(const struct metric_def *def)
{
	for (int r = 0; r < def->reference_count; r++)
		if (def->references[r].dim == DIM_TOTAL)
			return &def->references[r];
	return NULL;
}

static const char *direction_json(enum metric_direction better)
{
	return better == METRIC_BETTER_HIGHER  ? "true"
	       : better == METRIC_BETTER_LOWER ? "false"
	                                       : "null";
}

/* Whether the summary may show period `index` of table (the catalog's
 * summary_row). */
static bool summary_row_allowed(const struct metric_def *def,
                                const struct disclosure_result *result,
                                const struct disclosure_table *table, int32_t index)
{
	int32_t last = period_last_day(table->period_type, result->fy_start_month, index);
	switch (def->summary_row) {
	case METRIC_SUMMARY_LATEST:
		return true;
	case METRIC_SUMMARY_LAST_SETTLED:
		return last + def->observation_lag_days <= result->as_of;
	case METRIC_SUMMARY_LAST_COMPLETE:
		break;
	}
	return last <= result->as_of;
}

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
                                 const struct disclosure_table *table, double confidence)
{
	const struct metric_def *def = &metrics_catalog[table->metric];
	int64_t chosen = -1;
	for (int64_t p = (int64_t)table->period_count - 1; p >= 0; p--) {
		if (summary_row_allowed(def, result, table, table->first_period + (int32_t)p)) {
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
	/* the row's interval and change, same fields and meanings (issue 14);
	 * the change above stays the difference of the two values */
	buf_puts(buf, ",\"statistics\":");
	if (cell != NULL) {
		struct snapshot_row_stats stats;
		snapshot_row_stats(table, NULL, (uint32_t)chosen, 0, confidence, NULL, &stats);
		buf_puts(buf, "{");
		snapshot_row_stats_json(buf, &stats);
		buf_puts(buf, "}");
	} else {
		buf_puts(buf, "null");
	}
	buf_printf(buf, ",\"higher_is_better\":%s", direction_json(def->better));
	const struct metric_reference *reference = total_reference(def);
	if (reference != NULL) {
		char text[BUF_NUMBER_LEN];
		buf_format_number(reference->value, text);
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
	buf_printf(buf, ",\"confidence\":%.15g", snapshot->confidence);
	buf_puts(buf, ",\"metrics\":[");
	bool first = true;
	for (int m = 0; m < METRIC_COUNT; m++) {
		enum period_type pt = metrics_catalog[m].summary_period_type;
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
		render_summary_entry(buf, result, table, snapshot->confidence);
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

static json_t *direction_value(enum metric_direction better)
{
	return better == METRIC_BETTER_NEITHER ? json_null()
	                                       : json_boolean(better == METRIC_BETTER_HIGHER);
}

static const char *const field_names[] = {"numerator", "denominator"};

static const char *scope_name(enum metric_equal_scope scope)
{
	switch (scope) {
	case METRIC_EQUAL_ALL:
		return "all";
	case METRIC_EQUAL_CLOSED_7_DAYS:
		return "periods_closed_7_days";
	case METRIC_EQUAL_CLOSED_30_DAYS:
		return "periods_closed_30_days";
	case METRIC_EQUAL_CLOSED_364_DAYS:
		return "periods_closed_364_days";
	case METRIC_EQUAL_AGE_12_PLUS:
		return "age_bands_12_plus";
	}
	return "unknown";
}

static const char *summary_row_name(enum metric_summary_row row)
{
	switch (row) {
	case METRIC_SUMMARY_LATEST:
		return "latest";
	case METRIC_SUMMARY_LAST_SETTLED:
		return "last_settled";
	case METRIC_SUMMARY_LAST_COMPLETE:
		break;
	}
	return "last_complete";
}

static json_t *reference_value(const struct metric_reference *reference)
{
	json_t *value =
	    json_pack("{s:f, s:s}", "value", reference->value, "source", reference->source);
	if (value != NULL && reference->dim != DIM_TOTAL &&
	    (json_object_set_new(value, "by", json_string(metrics_dim_name(reference->dim))) ||
	     json_object_set_new(
	         value, "group",
	         json_string(metrics_group_label(reference->dim, reference->group))))) {
		json_decref(value);
		return NULL;
	}
	return value;
}

/* The counts of metric m another metric publishes too, from m's side. */
static json_t *equal_counts_of(enum metric_id m)
{
	json_t *list = json_array();
	for (size_t l = 0; l < metrics_equal_count_count; l++) {
		const struct metric_equal_count *link = &metrics_equal_counts[l];
		if (link->a != m && link->b != m)
			continue;
		bool mine_a = link->a == m;
		list = buf_json_append(
		    list, json_pack("{s:s, s:s, s:s, s:s}", "count",
		                    field_names[mine_a ? link->field_a : link->field_b], "metric",
		                    metrics_catalog[mine_a ? link->b : link->a].id, "its_count",
		                    field_names[mine_a ? link->field_b : link->field_a], "where",
		                    scope_name(link->scope)));
	}
	return list;
}

/* The tables of metric m a client can fetch: per period type the metric
 * allows, "total" and the breakdowns the plan publishes (the same test the
 * 404 of an unpublished table makes), so a client never asks for one that
 * is not there. A period type with none is left out. */
static json_t *published_tables(const struct metric_def *def, const struct release_plan *plan)
{
	json_t *published = json_object();
	for (int p = 0; p < PERIOD_TYPE_COUNT; p++) {
		if (!(def->period_types & PERIOD_BIT(p)))
			continue;
		json_t *tables = json_array();
		for (int d = 0; d < DIM_COUNT; d++)
			if ((def->dims & DIM_BIT(d)) &&
			    release_plan_has(plan, (enum period_type)p, (enum dim)d))
				tables = buf_json_append(
				    tables, json_string(metrics_dim_name((enum dim)d)));
		if (json_array_size(tables) == 0) {
			json_decref(tables);
		} else if (json_object_set_new(published, period_type_name((enum period_type)p),
		                               tables) != 0) {
			/* out of memory (tables is released): json_pack fails on NULL */
			json_decref(published);
			published = NULL;
		}
	}
	return published;
}

static json_t *catalog_entry(enum metric_id m, const struct release_plan *plan)
{
	const struct metric_def *def = &metrics_catalog[m];
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
	json_t *references = json_array();
	for (int r = 0; r < def->reference_count; r++)
		references = buf_json_append(references, reference_value(&def->references[r]));
	const struct metric_reference *total = total_reference(def);
	/* the screening window is configuration, not a catalog fact */
	json_t *lag = def->observation_lag_days == METRIC_LAG_SCREENING_WINDOW
	                  ? json_string("screening_window")
	                  : json_integer(def->observation_lag_days);
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:b, s:o, s:o, s:o, s:{s:b, s:b}, s:{s:s, s:s}, "
	    "s:o, s:o, s:o, s:o}",
	    "id", def->id, "title", def->title, "unit", def->unit, "kind", kind_name(def->kind),
	    "definition", def->definition, "by", by, "period_types", period_types, "child_based",
	    def->child_based, "higher_is_better", direction_value(def->better), "reference",
	    total ? reference_value(total) : json_null(), "references", references, "time_additive",
	    "numerator", (def->time_additive & METRIC_COUNT_NUMERATOR) != 0, "denominator",
	    (def->time_additive & METRIC_COUNT_DENOMINATOR) != 0, "summary", "period_type",
	    period_type_name(def->summary_period_type), "row", summary_row_name(def->summary_row),
	    "observation_lag_days", lag, "equal_counts", equal_counts_of(m), "requires_table",
	    def->needs_identifications ? json_string("trafficking_identifications") : json_null(),
	    "published", published_tables(def, plan));
}

/* Whether the result has a table of metric m: a metric reading the
 * optional identifications table has none when the source lacks it, and
 * is then left out of the catalog. */
static bool result_has_metric(const struct disclosure_result *result, enum metric_id m)
{
	for (size_t t = 0; t < result->table_count; t++)
		if (result->tables[t].metric == m)
			return true;
	return false;
}

static void render_catalog(struct buf *buf, const struct snapshot *snapshot,
                           const struct disclosure_result *result)
{
	json_t *metrics = json_array();
	for (int m = 0; m < METRIC_COUNT; m++) {
		if (metrics_catalog[m].needs_identifications &&
		    !result_has_metric(result, (enum metric_id)m))
			continue;
		metrics =
		    buf_json_append(metrics, catalog_entry((enum metric_id)m, &snapshot->plan));
	}
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
	const char *sep = "";
	buf_puts(buf, ",\"rows_read\":{");
	for (int t = 0; t < MODEL_TABLE_COUNT; t++) {
		if (!model_quality_shows_table(quality, (enum model_table)t))
			continue;
		buf_printf(buf, "%s\"%s\":%llu", sep, model_table_names[t],
		           (unsigned long long)snapshot_published_row_count(snapshot,
		                                                            quality->rows_read[t]));
		sep = ",";
	}
	sep = "";
	buf_puts(buf, "},\"rows_kept\":{");
	for (int t = 0; t < MODEL_TABLE_COUNT; t++) {
		if (!model_quality_shows_table(quality, (enum model_table)t))
			continue;
		buf_printf(buf, "%s\"%s\":%llu", sep, model_table_names[t],
		           (unsigned long long)snapshot_published_row_count(snapshot,
		                                                            quality->rows_kept[t]));
		sep = ",";
	}
	sep = "";
	buf_puts(buf, "},\"rules\":[");
	for (int r = 0; r < DQ_RULE_COUNT; r++) {
		if (!model_quality_shows_rule(quality, (enum dq_rule)r))
			continue;
		buf_printf(buf, "%s{\"rule\":", sep);
		sep = ",";
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
                             const struct model_quality *quality, double confidence)
{
	uint64_t h = hash_i64(0, result->as_of);
	h = hash_i64(h, result->fy_start_month);
	h = hash_i64(h, result->mode);
	h = hash_i64(h, result->min_cell);
	for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
		h = hash_i64(h, result->plan.dims[p]);
	h = hash_i64(h, result->settle_days);
	h = hash_i64(h, result->mode == DISCLOSURE_DP ? llround(result->epsilon * 1e6) : 0);
	/* the level changes every interval in the rows */
	h = hash_i64(h, llround(confidence * 1e6));
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
			h = hash_i64(h, cell->has_quantile_interval ? cell->quantile_low_s : -1);
			h = hash_i64(h, cell->has_quantile_interval ? cell->quantile_high_s : -1);
			h = hash_i64(h, cell->has_expected ? llround(cell->expected * 1e4) : -1);
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
	render_catalog(buf, snapshot, result);
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
	struct buf json = {0};
	struct snapshot *snapshot = NULL;
	if (!interval_confidence_valid(info->confidence)) {
		log_warnx("%s: confidence %g is not a level the intervals accept", __func__,
		          info->confidence);
		goto fail;
	}
	snapshot = snapshot_alloc();
	if (snapshot == NULL)
		goto fail;
	snprintf(snapshot->id, sizeof(snapshot->id), "%016llx",
	         (unsigned long long)content_hash(tables, info->quality, info->confidence));
	snapshot->confidence = info->confidence;
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
		snapshot->index[source->metric][source->period_type][source->dim] = (int32_t)t;
		snapshot->table_count++;
	}
	if (!render_tables(snapshot, tables) ||
	    !render_resources(snapshot, tables, info->quality, &json))
		goto fail;
	free(json.data);
	return snapshot;
fail:
	free(json.data);
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
