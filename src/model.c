/*
 * model.c — data-quality rules of SPEC §2 and the sorted, validated model.
 *
 * Each table goes through the same steps, in the order the counting
 * conventions fix (first match wins, one count per row):
 *   0. the source could not read the row             -> drop_date_out_of_range,
 *      (counted by the source, its key never seen)      drop_text_invalid_encoding
 *   1. a contract NOT NULL column is null          -> drop_null_required
 *   2. second and later rows with a seen key         -> drop_duplicate_key
 *   3. the row's own start is after as_of            -> ignored_after_as_of
 *      the row's own start is before earliest_date   -> drop_before_earliest_date
 *   4. parent key absent from the parent table       -> drop_dangling_parent
 *      parent present but not kept                   -> drop_parent_dropped
 *   5. the table's own rules (ends before start, unknown setting, outside
 *      care), then the kept-and-counted rules (recoding, clipping).
 *
 * Readings where the conventions leave a choice:
 *   - rule 2 counts a key as seen even when its first row fell to rule 1
 *     (the first row with a null birth_month and a clean second row with
 *     the same key: one null_required, one duplicate_key, no child);
 *   - a placement with a null end in a discharged episode is closed at the
 *     discharge without a count: the row never said it ended after it;
 *   - every timestamp after as_of reads as TS_NONE (SPEC §3: anything dated
 *     after as_of is ignored), agency_informed_at included, which then falls
 *     back to went_missing_at like a null one: a snapshot never depends on
 *     data dated after its as_of.
 *
 * Keys are only sorted and joined: a radix sort of (key, row) pairs gives
 * both duplicate detection (the first of a run of equal keys is its least
 * row, the earliest in stream order) and the parent joins (merge of two
 * sorted key lists), in linear time. No key leaves this file except inside
 * the model arrays.
 *
 * Memory: model_build_consuming() frees each table's raw rows once its
 * model table is built, the placements (the largest) last and written over
 * their own raw rows; the key sorts are in place and each scratch array is
 * freed after its step, so that the peak is the raw placements, the other
 * model tables and a few bytes per placement (bench/RESULTS.md).
 */
#include "casa/model.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casa/date.h"

const char *const model_dq_rule_names[DQ_RULE_COUNT] = {
    "drop_duplicate_key",
    "drop_dangling_parent",
    "drop_parent_dropped",
    "drop_episode_ends_before_start",
    "drop_placement_ends_before_start",
    "drop_placement_unknown_setting",
    "drop_placement_outside_care",
    "drop_assignment_ends_before_start",
    "drop_assignment_outside_care",
    "drop_missing_returns_before_missing",
    "drop_missing_outside_care",
    "drop_identification_outside_care",
    "drop_null_required",
    "drop_before_earliest_date",
    "drop_date_out_of_range",
    "drop_text_invalid_encoding",
    "keep_overlapping_placements",
    "keep_placement_after_discharge",
    "keep_report_before_informed",
    "keep_report_before_identified",
    "keep_screen_before_return",
    "keep_unknown_sex",
    "keep_unknown_race",
    "keep_unknown_discharge_reason",
    "keep_unknown_screen_result",
    "keep_birth_month_not_first",
    "keep_county_name_cut",
    "ignored_after_as_of",
};

const char *const model_dq_rule_descriptions[DQ_RULE_COUNT] = {
    "Rows left out because an earlier row of the same table has the same key.",
    "Rows left out because their parent key (child or episode) is not in the parent table.",
    "Rows left out because their parent row (child or episode) was itself left out by a rule "
    "(or starts after as_of).",
    "Episodes left out, with their placements, missing episodes, assignments and "
    "identifications, because the discharge date is before the removal date (an episode "
    "discharged on its removal day is kept, with no day in care).",
    "Placements left out because the end date is not after the start date.",
    "Placements left out because the setting is not a contract code.",
    "Placements left out because they start on a day that is not in care of their episode.",
    "Advocate assignments left out because the end date is not after the start date.",
    "Advocate assignments left out because they start on a day that is not in care of their "
    "episode.",
    "Missing episodes left out because the return is before the child went missing.",
    "Missing episodes left out because they begin on a day that is not in care of their "
    "episode.",
    "Trafficking identifications left out because they are marked while in care but dated "
    "on a day that is not in care of their episode.",
    "Rows left out because a required column is null.",
    "Rows left out because their own start (removal_date, start_date, went_missing_at, "
    "identified_at) is before earliest_date, so that no period before it is computed.",
    "Rows left out because a date or timestamp is before year 1 (BC) or after 9999 (the row "
    "is not read, so no other rule sees it).",
    "Rows left out because a text column holds bytes that are not valid in the database's "
    "encoding, or not UTF-8 in a SQL_ASCII database (the row is not read, so no other rule "
    "sees it).",
    "Placements kept that overlap an earlier-starting placement of the same episode (the "
    "later-starting one gives the setting of the shared days).",
    "Placements kept that end after their episode's discharge (cut at discharge).",
    "Law-enforcement or NCMEC reports dated before the agency learned the child was missing "
    "(kept, not a timely report), one per report.",
    "Trafficking identifications kept whose law-enforcement report is dated before the "
    "identification (not a timely report).",
    "Trafficking screenings dated before the return (kept, not a screening after return).",
    "Children kept whose sex is not a contract code (read as unknown).",
    "Children kept whose race_ethnicity is not a contract code (read as unknown).",
    "Episodes kept whose discharge_reason is not a contract code (read as other).",
    "Missing episodes kept whose screen_result is not a contract code (read as not positive).",
    "Children kept whose birth_month is not the 1st of a month (truncated to the 1st).",
    "Episodes kept whose county name is longer than 255 bytes (published cut at a character "
    "boundary, with an ellipsis and 16 hex digits of a hash of the whole name, so that two "
    "long names never merge).",
    "Rows starting after as_of, ignored (not a violation).",
};

const char *const model_table_names[MODEL_TABLE_COUNT] = {"children",
                                                          "episodes",
                                                          "placements",
                                                          "missing_episodes",
                                                          "advocate_assignments",
                                                          "trafficking_identifications"};

bool model_quality_shows_rule(const struct model_quality *quality, enum dq_rule rule)
{
	return quality->has_identifications || (rule != DQ_DROP_IDENTIFICATION_OUTSIDE_CARE &&
	                                        rule != DQ_KEEP_REPORT_BEFORE_IDENTIFIED);
}

bool model_quality_shows_table(const struct model_quality *quality, enum model_table table)
{
	return quality->has_identifications || table != MODEL_IDENTIFICATIONS;
}

bool model_setting_is_temporary(enum setting setting)
{
	/* SPEC §2: the temporary settings follow the six placement settings. */
	return setting >= SETTING_TRIAL_HOME_VISIT && setting < SETTING_COUNT;
}

bool model_raw_county(struct model_raw *raw, const char *name, size_t n, uint32_t *index)
{
	/* Few distinct counties; the source keeps its own hash in front of this.
	 * Search from the newest: rows of one county tend to come together. */
	for (size_t i = raw->county_count; i-- > 0;) {
		if (strncmp(raw->counties[i], name, n) == 0 && raw->counties[i][n] == '\0') {
			*index = (uint32_t)i;
			return true;
		}
	}
	if (raw->county_count == raw->county_cap) {
		size_t cap = raw->county_cap ? raw->county_cap * 2 : 64;
		char **grown = realloc(raw->counties, cap * sizeof(*grown));
		if (grown == NULL)
			return false;
		raw->counties = grown;
		raw->county_cap = cap;
	}
	char *copy = malloc(n + 1);
	if (copy == NULL)
		return false;
	memcpy(copy, name, n);
	copy[n] = '\0';
	raw->counties[raw->county_count] = copy;
	*index = (uint32_t)raw->county_count++;
	return true;
}

void model_raw_free(struct model_raw *raw)
{
	if (raw == NULL)
		return;
	free(raw->children);
	free(raw->episodes);
	free(raw->placements);
	free(raw->missing);
	free(raw->assignments);
	free(raw->identifications);
	for (size_t i = 0; i < raw->county_count; i++)
		free(raw->counties[i]);
	free(raw->counties);
	memset(raw, 0, sizeof(*raw));
}

void model_free(struct model *model)
{
	if (model == NULL)
		return;
	free(model->children);
	free(model->episodes);
	free(model->placements);
	free(model->missing);
	free(model->assignments);
	free(model->identifications);
	for (size_t i = 0; i < model->county_count; i++)
		free(model->counties[i]);
	free(model->counties);
	memset(model, 0, sizeof(*model));
}

/* ---- sorting and joining ---------------------------------------------- */

/* Maps a signed value to an unsigned one with the same order. */
static uint64_t order_i64(int64_t value)
{
	return (uint64_t)value ^ (UINT64_C(1) << 63);
}

static uint32_t order_i32(int32_t value)
{
	return (uint32_t)value ^ (UINT32_C(1) << 31);
}

/* Sorting: one most-significant-digit pass on the top MSD_BITS varying bits
 * splits the pairs into buckets small enough to stay in cache (a thousand
 * or so at a million rows), then each bucket is finished by least-significant
 * byte passes (or insertion sort when tiny). Every step is stable, so equal
 * keys keep their input order, which the duplicate rule relies on (the first
 * row of a key in stream order is the one kept). Pseudonymous keys from a
 * keyed hash use all 64 bits; sequential keys only the low ones: both cost
 * a couple of passes over memory. */
#define MSD_BITS     12
#define SMALL_BUCKET 32
#define BYTE_BUCKETS 256

/* Stable insertion sort of a tiny run. */
static void insertion_sort(uint64_t *keys, uint32_t *rows, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint64_t key = keys[i];
		uint32_t row = rows[i];
		size_t j = i;
		for (; j > 0 && keys[j - 1] > key; j--) {
			keys[j] = keys[j - 1];
			rows[j] = rows[j - 1];
		}
		keys[j] = key;
		rows[j] = row;
	}
}

/* Stable LSD sort of the pairs by their low `bits` bits, a byte per pass,
 * using tmp_* as scratch; the result is left in keys/rows. */
static void sort_low_bits(uint64_t *keys, uint32_t *rows, size_t n, unsigned bits,
                          uint64_t *tmp_keys, uint32_t *tmp_rows)
{
	size_t count[BYTE_BUCKETS];
	uint64_t *src_keys = keys, *dst_keys = tmp_keys;
	uint32_t *src_rows = rows, *dst_rows = tmp_rows;
	if (n <= SMALL_BUCKET) {
		insertion_sort(keys, rows, n);
		return;
	}
	for (unsigned shift = 0; shift < bits; shift += 8) {
		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < n; i++)
			count[(src_keys[i] >> shift) & (BYTE_BUCKETS - 1)]++;
		if (count[(src_keys[0] >> shift) & (BYTE_BUCKETS - 1)] == n)
			continue;
		size_t offset = 0;
		for (size_t d = 0; d < BYTE_BUCKETS; d++) {
			size_t c = count[d];
			count[d] = offset;
			offset += c;
		}
		for (size_t i = 0; i < n; i++) {
			size_t at = count[(src_keys[i] >> shift) & (BYTE_BUCKETS - 1)]++;
			dst_keys[at] = src_keys[i];
			dst_rows[at] = src_rows[i];
		}
		uint64_t *swap_keys = src_keys;
		src_keys = dst_keys;
		dst_keys = swap_keys;
		uint32_t *swap_rows = src_rows;
		src_rows = dst_rows;
		dst_rows = swap_rows;
	}
	if (src_keys != keys) {
		memcpy(keys, src_keys, n * sizeof(*keys));
		memcpy(rows, src_rows, n * sizeof(*rows));
	}
}

/* Stable sort of the pairs (keys[i], rows[i]) by key. */
static bool radix_sort(uint64_t *keys, uint32_t *rows, size_t n)
{
	bool ok = false;
	size_t *count = NULL;
	uint64_t *tmp_keys = NULL;
	uint32_t *tmp_rows = NULL;
	uint64_t varying = 0;
	for (size_t i = 1; i < n; i++)
		varying |= keys[i] ^ keys[0];
	if (varying == 0)
		return true; /* all equal (or n < 2): already in order */
	unsigned bits = 64 - (unsigned)__builtin_clzll(varying);
	unsigned msd_bits = bits < MSD_BITS ? bits : MSD_BITS;
	unsigned shift = bits - msd_bits;
	size_t buckets = (size_t)1 << msd_bits;
	count = calloc(buckets + 1, sizeof(*count));
	tmp_keys = malloc(n * sizeof(*tmp_keys));
	tmp_rows = malloc(n * sizeof(*tmp_rows));
	if (count == NULL || tmp_keys == NULL || tmp_rows == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++)
		count[((keys[i] >> shift) & (buckets - 1)) + 1]++;
	for (size_t d = 1; d <= buckets; d++)
		count[d] += count[d - 1];
	/* count[d] is now where bucket d starts; scatter moves it to its end. */
	for (size_t i = 0; i < n; i++) {
		size_t at = count[(keys[i] >> shift) & (buckets - 1)]++;
		tmp_keys[at] = keys[i];
		tmp_rows[at] = rows[i];
	}
	size_t start = 0;
	for (size_t d = 0; d < buckets; d++) {
		size_t end = count[d];
		if (end - start > 1 && shift > 0)
			sort_low_bits(tmp_keys + start, tmp_rows + start, end - start, shift,
			              keys + start, rows + start);
		start = end;
	}
	memcpy(keys, tmp_keys, n * sizeof(*keys));
	memcpy(rows, tmp_rows, n * sizeof(*rows));
	ok = true;
fail:
	free(count);
	free(tmp_keys);
	free(tmp_rows);
	return ok;
}

/*
 * Sort of the pairs by key that keeps no order among equal keys, in place:
 * one most-significant-digit pass that moves each pair straight to its
 * bucket (American flag sort), then each bucket by sort_low_bits() with
 * scratch the size of the largest bucket only. radix_sort() needs scratch
 * for all n pairs (12 bytes each); the key index and the parent join do
 * not need its stability, and at the peak of the build those 12 bytes per
 * row are what does not fit.
 */
static bool radix_sort_in_place(uint64_t *keys, uint32_t *rows, size_t n)
{
	bool ok = false;
	size_t *start = NULL, *next = NULL;
	uint64_t *tmp_keys = NULL;
	uint32_t *tmp_rows = NULL;
	uint64_t varying = 0;
	for (size_t i = 1; i < n; i++)
		varying |= keys[i] ^ keys[0];
	if (varying == 0)
		return true; /* all equal (or n < 2) */
	unsigned bits = 64 - (unsigned)__builtin_clzll(varying);
	unsigned msd_bits = bits < MSD_BITS ? bits : MSD_BITS;
	unsigned shift = bits - msd_bits;
	size_t buckets = (size_t)1 << msd_bits;
	start = calloc(buckets + 1, sizeof(*start));
	next = malloc(buckets * sizeof(*next));
	if (start == NULL || next == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++)
		start[((keys[i] >> shift) & (buckets - 1)) + 1]++;
	size_t largest = 0;
	for (size_t d = 0; d < buckets; d++) {
		if (start[d + 1] > largest)
			largest = start[d + 1];
		start[d + 1] += start[d];
		next[d] = start[d];
	}
	/* Each pair not in its bucket displaces the one at its bucket's next
	 * free place, until a pair of bucket d comes back to place i. */
	for (size_t d = 0; d < buckets; d++) {
		while (next[d] < start[d + 1]) {
			size_t i = next[d];
			uint64_t key = keys[i];
			uint32_t row = rows[i];
			size_t t = (key >> shift) & (buckets - 1);
			while (t != d) {
				size_t j = next[t]++;
				uint64_t swap_key = keys[j];
				uint32_t swap_row = rows[j];
				keys[j] = key;
				rows[j] = row;
				key = swap_key;
				row = swap_row;
				t = (key >> shift) & (buckets - 1);
			}
			keys[i] = key;
			rows[i] = row;
			next[d]++;
		}
	}
	if (shift > 0 && largest > SMALL_BUCKET) {
		tmp_keys = malloc(largest * sizeof(*tmp_keys));
		tmp_rows = malloc(largest * sizeof(*tmp_rows));
		if (tmp_keys == NULL || tmp_rows == NULL)
			goto fail;
	}
	for (size_t d = 0; shift > 0 && d < buckets; d++) {
		size_t size = start[d + 1] - start[d];
		if (size > 1)
			sort_low_bits(keys + start[d], rows + start[d], size, shift, tmp_keys,
			              tmp_rows);
	}
	ok = true;
fail:
	free(start);
	free(next);
	free(tmp_keys);
	free(tmp_rows);
	return ok;
}

/* The key-order and output-order loops read raw rows out of stream order:
 * asking for a row a few iterations early hides most of the memory latency. */
#define PREFETCH_AHEAD 8
#if defined(__GNUC__)
#define PREFETCH(address) __builtin_prefetch(address)
#else
#define PREFETCH(address) ((void)(address))
#endif

/* What became of a raw row. */
enum fate {
	FATE_PENDING, /* not decided yet */
	FATE_KEPT,    /* in the model */
	FATE_DROPPED, /* left out, counted by one rule */
	FATE_IGNORED, /* starts after as_of */
};

/* A table's distinct keys in ascending order with the stream index of the
 * first row carrying each one. */
struct key_index {
	uint64_t *keys; /* order_i64() of the key, ascending, distinct */
	uint32_t *rows; /* row of the first occurrence of keys[i] */
	size_t count;   /* distinct non-null keys */
};

static void key_index_free(struct key_index *index)
{
	free(index->keys);
	free(index->rows);
	memset(index, 0, sizeof(*index));
}

/* One column of a table of raw rows: the field at `base + i * stride`.
 * The rules read keys and starts straight from the raw rows rather than
 * from copies, so that no per-row copy of a column is alive at the peak. */
struct column {
	const char *base; /* the field of row 0; NULL when the table is empty */
	size_t stride;    /* bytes from one row to the next */
};

static struct column column_of(const void *rows, size_t stride, size_t offset)
{
	struct column c = {NULL, stride};
	if (rows != NULL)
		c.base = (const char *)rows + offset;
	return c;
}

#define COLUMN(rows, type, field) column_of((rows), sizeof(type), offsetof(type, field))

static int64_t column_i64(struct column c, size_t i)
{
	int64_t value;
	memcpy(&value, c.base + i * c.stride, sizeof(value));
	return value;
}

static int32_t column_i32(struct column c, size_t i)
{
	int32_t value;
	memcpy(&value, c.base + i * c.stride, sizeof(value));
	return value;
}

/*
 * Builds the key index of a table from the key column of rows [0..n)
 * (MODEL_RAW_KEY_NULL for null) and marks the second and later rows of a
 * key as duplicates (rule 2), unless rule 1 already dropped them. With
 * keep_keys false the index is only its rows (out->keys NULL, enough for
 * collect_kept()): the sorted keys are freed here.
 */
static bool index_keys(struct column keys, size_t n, bool keep_keys, uint8_t *fate,
                       struct model_quality *quality, struct key_index *out)
{
	memset(out, 0, sizeof(*out));
	uint64_t *sorted = malloc((n ? n : 1) * sizeof(*sorted));
	out->rows = malloc((n ? n : 1) * sizeof(*out->rows));
	if (sorted == NULL || out->rows == NULL)
		goto fail;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t key = column_i64(keys, i);
		if (key == MODEL_RAW_KEY_NULL)
			continue;
		sorted[m] = order_i64(key);
		out->rows[m] = (uint32_t)i;
		m++;
	}
	if (!radix_sort_in_place(sorted, out->rows, m))
		goto fail;
	/* Equal keys are in no particular order: the first of a key in stream
	 * order is the least row of its run. */
	size_t distinct = 0;
	for (size_t i = 0; i < m;) {
		uint32_t first = out->rows[i];
		size_t end = i + 1;
		for (; end < m && sorted[end] == sorted[i]; end++) {
			if (out->rows[end] < first)
				first = out->rows[end];
		}
		for (size_t k = i; end - i > 1 && k < end; k++) {
			uint32_t row = out->rows[k];
			if (row != first && fate[row] == FATE_PENDING) {
				fate[row] = FATE_DROPPED;
				quality->violations[DQ_DROP_DUPLICATE_KEY]++;
			}
		}
		sorted[distinct] = sorted[i];
		out->rows[distinct] = first; /* distinct <= i: the run is read */
		distinct++;
		i = end;
	}
	out->count = distinct;
	if (keep_keys)
		out->keys = sorted;
	else
		free(sorted);
	return true;
fail:
	free(sorted);
	key_index_free(out);
	return false;
}

/*
 * For every row still pending, finds the parent's first row by merging the
 * rows sorted by parent key with the parent's key index: parent_row[i] is
 * the parent row, or UINT32_MAX when the key is absent. Rows already decided
 * are skipped. rows[0..n) is the caller's scratch.
 */
static bool join_parent(struct column parent_keys, size_t n, const uint8_t *fate,
                        const struct key_index *parent, uint32_t *parent_row, uint32_t *rows)
{
	bool ok = false;
	uint64_t *keys = malloc((n ? n : 1) * sizeof(*keys));
	if (keys == NULL)
		return false;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		parent_row[i] = UINT32_MAX;
		if (fate[i] != FATE_PENDING)
			continue;
		keys[m] = order_i64(column_i64(parent_keys, i));
		rows[m] = (uint32_t)i;
		m++;
	}
	/* rows of one parent key may come in any order: each gets that parent */
	if (!radix_sort_in_place(keys, rows, m))
		goto fail;
	size_t j = 0;
	for (size_t i = 0; i < m; i++) {
		while (j < parent->count && parent->keys[j] < keys[i])
			j++;
		if (j < parent->count && parent->keys[j] == keys[i])
			parent_row[rows[i]] = parent->rows[j];
	}
	ok = true;
fail:
	free(keys);
	return ok;
}

/* The days a row may start on: [earliest, as_of]. */
struct data_window {
	int32_t earliest; /* earliest_date, or MODEL_EARLIEST_NONE */
	int32_t as_of;    /* last day of data */
};

/*
 * Rules 3 and 4 for a child table: decides rows still pending whose start is
 * after as_of (ignored) or before earliest_date (dropped), whose parent is
 * absent (dangling) or not kept (parent dropped). starts holds the row's own
 * start day.
 */
static void apply_parent_rules(size_t n, struct column starts, struct data_window window,
                               const uint32_t *parent_row, const uint8_t *parent_fate,
                               uint8_t *fate, struct model_quality *quality)
{
	for (size_t i = 0; i < n; i++) {
		if (fate[i] != FATE_PENDING)
			continue;
		int32_t start = column_i32(starts, i);
		if (start > window.as_of) {
			fate[i] = FATE_IGNORED;
			quality->violations[DQ_IGNORED_AFTER_AS_OF]++;
		} else if (start < window.earliest) {
			fate[i] = FATE_DROPPED;
			quality->violations[DQ_DROP_BEFORE_EARLIEST_DATE]++;
		} else if (parent_row[i] == UINT32_MAX) {
			fate[i] = FATE_DROPPED;
			quality->violations[DQ_DROP_DANGLING_PARENT]++;
		} else if (parent_fate[parent_row[i]] != FATE_KEPT) {
			fate[i] = FATE_DROPPED;
			quality->violations[DQ_DROP_PARENT_DROPPED]++;
		}
	}
}

/* The kept rows of a table in key order; returns how many. */
static size_t collect_kept(const struct key_index *own, const uint8_t *fate, uint32_t *rows)
{
	size_t count = 0;
	for (size_t k = 0; k < own->count; k++) {
		if (fate[own->rows[k]] == FATE_KEPT)
			rows[count++] = own->rows[k];
	}
	return count;
}

/* ---- the build ---------------------------------------------------------- */

/* Scratch state of one model_build() call. */
struct build {
	struct model_raw *raw;         /* input: each table's rows are freed (the
	                                  placements' reused) once it is built */
	int32_t earliest;              /* earliest_date, or MODEL_EARLIEST_NONE */
	int32_t as_of;                 /* last day of data */
	struct model *model;           /* output */
	struct model_quality *quality; /* = &model->quality */
	uint32_t *parent_row;          /* scratch join result, one per row of the
	                                  largest table */
	uint8_t *child_fate;           /* per raw child row */
	uint8_t *episode_fate;         /* per raw episode row */
	uint32_t *child_out;           /* raw child row -> model.children index */
	uint32_t *episode_out;         /* raw episode row -> model.episodes index */
	int32_t *episode_start;        /* raw episode row -> removal date (kept rows) */
	int32_t *episode_end;          /* raw episode row -> first day not in care */
	struct key_index children;     /* child keys */
	struct key_index episodes;     /* episode keys */
	enum model_failure failure;    /* why the build failed: memory unless said */
};

/* Counts a kept row's code column: returns the code index, or fallback
 * (counting `rule`) when it is not a code; `null_value` for null. */
static int recode(uint8_t code, int null_value, int fallback, enum dq_rule rule,
                  struct model_quality *quality)
{
	if (code == MODEL_RAW_CODE_NULL)
		return null_value;
	if (code != MODEL_RAW_CODE_UNKNOWN)
		return code - 1;
	quality->violations[rule]++;
	return fallback;
}

static bool build_children(struct build *b)
{
	const struct model_raw *raw = b->raw;
	size_t n = raw->child_count;
	struct model_quality *quality = b->quality;
	b->child_fate = calloc(n ? n : 1, 1);
	b->child_out = malloc((n ? n : 1) * sizeof(*b->child_out));
	if (b->child_fate == NULL || b->child_out == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct model_raw_child *row = &raw->children[i];
		b->child_out[i] = UINT32_MAX;
		if (row->child_key == MODEL_RAW_KEY_NULL || !row->has_birth_month) {
			b->child_fate[i] = FATE_DROPPED;
			quality->violations[DQ_DROP_NULL_REQUIRED]++;
		}
	}
	if (!index_keys(COLUMN(raw->children, struct model_raw_child, child_key), n, true,
	                b->child_fate, quality, &b->children))
		return false;
	struct model *model = b->model;
	model->children =
	    malloc((b->children.count ? b->children.count : 1) * sizeof(*model->children));
	if (model->children == NULL)
		return false;
	/* The index is in key order, so the kept children come out sorted. */
	for (size_t k = 0; k < b->children.count; k++) {
		uint32_t r = b->children.rows[k];
		if (k + PREFETCH_AHEAD < b->children.count)
			PREFETCH(&raw->children[b->children.rows[k + PREFETCH_AHEAD]]);
		if (b->child_fate[r] != FATE_PENDING)
			continue;
		const struct model_raw_child *row = &raw->children[r];
		struct model_child *child = &model->children[model->child_count];
		int y, m, d;
		b->child_fate[r] = FATE_KEPT;
		b->child_out[r] = (uint32_t)model->child_count++;
		child->child_key = row->child_key;
		date_to_ymd(row->birth_month, &y, &m, &d);
		child->birth_month = row->birth_month;
		if (d != 1) {
			child->birth_month = date_from_ymd(y, m, 1);
			quality->violations[DQ_KEEP_BIRTH_MONTH_NOT_FIRST]++;
		}
		child->sex = (uint8_t)recode(row->sex, SEX_UNKNOWN, SEX_UNKNOWN,
		                             DQ_KEEP_UNKNOWN_SEX, quality);
		child->race = (uint8_t)recode(row->race, RACE_UNKNOWN, RACE_UNKNOWN,
		                              DQ_KEEP_UNKNOWN_RACE, quality);
	}
	quality->rows_kept[MODEL_CHILDREN] = model->child_count;
	return true;
}

static int compare_county(const void *a, const void *b)
{
	return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

/* Distinct counties of the kept episodes, sorted by name; fills remap
 * (raw county index -> model county index). */
static bool build_counties(struct build *b, const uint32_t *kept, size_t kept_count,
                           uint32_t *remap)
{
	const struct model_raw *raw = b->raw;
	struct model *model = b->model;
	bool ok = false;
	char ***used = NULL;
	size_t used_count = 0;
	uint8_t *seen = calloc(raw->county_count ? raw->county_count : 1, 1);
	used = malloc((raw->county_count ? raw->county_count : 1) * sizeof(*used));
	if (seen == NULL || used == NULL)
		goto fail;
	for (size_t k = 0; k < kept_count; k++) {
		uint32_t c = raw->episodes[kept[k]].county;
		if (!seen[c]) {
			seen[c] = 1;
			used[used_count++] = &raw->counties[c];
		}
	}
	/* model_episode.county is 16 bits wide; a source with more distinct
	 * counties than that is not a county list. Refused rather than served
	 * with wrong groups. */
	if (used_count > (size_t)UINT16_MAX + 1) {
		b->failure = MODEL_FAILED_TOO_MANY_COUNTIES;
		goto fail;
	}
	qsort(used, used_count, sizeof(*used), compare_county);
	model->counties = calloc(used_count ? used_count : 1, sizeof(*model->counties));
	if (model->counties == NULL)
		goto fail;
	for (size_t i = 0; i < used_count; i++) {
		model->counties[i] = strdup(*used[i]);
		if (model->counties[i] == NULL)
			goto fail;
		model->county_count++;
		remap[used[i] - raw->counties] = (uint32_t)i;
	}
	ok = true;
fail:
	free(seen);
	free(used);
	return ok;
}

static bool build_episodes(struct build *b)
{
	const struct model_raw *raw = b->raw;
	size_t n = raw->episode_count;
	struct model_quality *quality = b->quality;
	struct model *model = b->model;
	bool ok = false;
	uint64_t *sort_keys = NULL;
	uint32_t *kept = NULL;
	uint32_t *remap = NULL;
	b->episode_fate = calloc(n ? n : 1, 1);
	b->episode_out = malloc((n ? n : 1) * sizeof(*b->episode_out));
	b->episode_start = malloc((n ? n : 1) * sizeof(*b->episode_start));
	b->episode_end = malloc((n ? n : 1) * sizeof(*b->episode_end));
	kept = malloc((n ? n : 1) * sizeof(*kept));
	if (b->episode_fate == NULL || b->episode_out == NULL || b->episode_start == NULL ||
	    b->episode_end == NULL || kept == NULL)
		goto fail;
	uint8_t *fate = b->episode_fate;
	for (size_t i = 0; i < n; i++) {
		const struct model_raw_episode *row = &raw->episodes[i];
		b->episode_out[i] = UINT32_MAX;
		if (row->episode_key == MODEL_RAW_KEY_NULL ||
		    row->child_key == MODEL_RAW_KEY_NULL || !row->has_county ||
		    !row->has_removal_date || row->county >= raw->county_count) {
			fate[i] = FATE_DROPPED;
			quality->violations[DQ_DROP_NULL_REQUIRED]++;
		}
	}
	if (!index_keys(COLUMN(raw->episodes, struct model_raw_episode, episode_key), n, true, fate,
	                quality, &b->episodes))
		goto fail;
	/* kept is free until collect_kept: the join's scratch */
	if (!join_parent(COLUMN(raw->episodes, struct model_raw_episode, child_key), n, fate,
	                 &b->children, b->parent_row, kept))
		goto fail;
	apply_parent_rules(n, COLUMN(raw->episodes, struct model_raw_episode, removal_date),
	                   (struct data_window){b->earliest, b->as_of}, b->parent_row,
	                   b->child_fate, fate, quality);
	/* The children's index and fates have served: only child_out is read
	 * from here on. */
	key_index_free(&b->children);
	free(b->child_fate);
	b->child_fate = NULL;

	/* Own rule in stream order (sequential reads), then the kept rows in
	 * episode-key order (index order) with their (child, removal) key. */
	sort_keys = malloc((n ? n : 1) * sizeof(*sort_keys));
	remap = malloc((raw->county_count ? raw->county_count : 1) * sizeof(*remap));
	if (sort_keys == NULL || remap == NULL)
		goto fail;
	for (uint32_t r = 0; r < n; r++) {
		const struct model_raw_episode *row = &raw->episodes[r];
		if (fate[r] != FATE_PENDING)
			continue;
		/* SPEC §2: an episode that ends before it starts. One discharged on
		 * its removal day is real, with no day in care (issue 17). */
		if (row->has_discharge_date && row->discharge_date < row->removal_date) {
			fate[r] = FATE_DROPPED;
			quality->violations[DQ_DROP_EPISODE_ENDS_BEFORE_START]++;
			continue;
		}
		fate[r] = FATE_KEPT;
		b->episode_start[r] = row->removal_date;
		b->episode_end[r] = row->has_discharge_date && row->discharge_date <= b->as_of
		                        ? row->discharge_date
		                        : DATE_OPEN;
	}
	size_t kept_count = collect_kept(&b->episodes, fate, kept);
	for (size_t k = 0; k < kept_count; k++) {
		uint32_t r = kept[k];
		/* (child, removal) */
		sort_keys[k] = ((uint64_t)b->child_out[b->parent_row[r]] << 32) |
		               order_i32(raw->episodes[r].removal_date);
	}
	/* Stable: ties of (child, removal) stay in episode-key order. */
	if (!radix_sort(sort_keys, kept, kept_count))
		goto fail;
	if (!build_counties(b, kept, kept_count, remap))
		goto fail;
	model->episodes = calloc(kept_count ? kept_count : 1, sizeof(*model->episodes));
	if (model->episodes == NULL)
		goto fail;
	model->first_day = b->as_of;
	for (size_t k = 0; k < kept_count; k++) {
		uint32_t r = kept[k];
		const struct model_raw_episode *row = &raw->episodes[r];
		if (k + PREFETCH_AHEAD < kept_count)
			PREFETCH(&raw->episodes[kept[k + PREFETCH_AHEAD]]);
		struct model_episode *episode = &model->episodes[k];
		b->episode_out[r] = (uint32_t)k;
		episode->episode_key = row->episode_key;
		episode->child = b->child_out[b->parent_row[r]];
		episode->county = (uint16_t)remap[row->county];
		if (row->county_cut)
			quality->violations[DQ_KEEP_COUNTY_NAME_CUT]++;
		episode->removal_date = row->removal_date;
		episode->discharge_date = b->episode_end[r];
		int reason = recode(row->discharge_reason, REASON_OTHER, REASON_OTHER,
		                    DQ_KEEP_UNKNOWN_DISCHARGE_REASON, quality);
		/* Still in care as of as_of: no reason yet, whatever the row says. */
		episode->discharge_reason =
		    (uint8_t)(episode->discharge_date == DATE_OPEN ? REASON_NONE : reason);
		if (row->removal_date < model->first_day)
			model->first_day = row->removal_date;
	}
	model->episode_count = kept_count;
	quality->rows_kept[MODEL_EPISODES] = kept_count;
	free(b->child_out);
	b->child_out = NULL;
	ok = true;
fail:
	free(sort_keys);
	free(kept);
	free(remap);
	return ok;
}

/* A day in care of the (kept) episode in raw row r (SPEC §3). */
static bool in_care(const struct build *b, uint32_t r, int32_t day)
{
	return day >= b->episode_start[r] && day < b->episode_end[r] && day <= b->as_of;
}

/* Sorts kept rows (given in own-key order) by (episode, start) and returns
 * the permutation in *rows; `start_key` holds one 64-bit start per row. */
static bool sort_by_episode(struct build *b, uint32_t *rows, size_t count,
                            const uint64_t *start_key)
{
	bool ok = false;
	uint64_t *keys = malloc((count ? count : 1) * sizeof(*keys));
	if (keys == NULL)
		return false;
	for (size_t k = 0; k < count; k++)
		keys[k] = start_key[rows[k]];
	if (!radix_sort(keys, rows, count))
		goto fail;
	for (size_t k = 0; k < count; k++)
		keys[k] = b->episode_out[b->parent_row[rows[k]]];
	if (!radix_sort(keys, rows, count))
		goto fail;
	ok = true;
fail:
	free(keys);
	return ok;
}

/* Sets first/count of each episode for one child table from the sorted rows. */
static void link_episodes(struct build *b, const uint32_t *rows, size_t count, int table)
{
	struct model_episode *episodes = b->model->episodes;
	for (size_t k = count; k-- > 0;) {
		struct model_episode *e = &episodes[b->episode_out[b->parent_row[rows[k]]]];
		switch (table) {
		case MODEL_PLACEMENTS:
			e->first_placement = (uint32_t)k;
			e->placement_count++;
			break;
		case MODEL_MISSING:
			e->first_missing = (uint32_t)k;
			e->missing_count++;
			break;
		case MODEL_IDENTIFICATIONS:
			e->first_identification = (uint32_t)k;
			e->identification_count++;
			break;
		default:
			e->first_assignment = (uint32_t)k;
			e->assignment_count++;
			break;
		}
	}
}

/*
 * The frame shared by the tables whose parent is an episode (placements,
 * missing episodes, assignments, identifications). Each build_* names the
 * columns of its raw rows (own key, episode key, start day) in child_init(),
 * marks rule 1 with child_drop_null(), runs child_rules() (rules 2-4),
 * decides its own rules into fate[] and start_key[], orders the kept rows
 * with child_order(), writes its output rows in that order, and ends with
 * child_link(). Each scratch array lives only as long as its step: with
 * the raw rows and the output alive, the scratch sets the build's peak.
 */
struct child_pass {
	size_t n;             /* raw rows of the table */
	struct column keys;   /* own key of each raw row */
	struct column parent; /* episode key of each raw row */
	struct column starts; /* own start day of each raw row */
	uint8_t *fate;        /* FATE_* per raw row */
	uint64_t *start_key;  /* per kept raw row: its order inside the episode,
	                         from child_rules until child_order */
	uint32_t *rows;       /* kept raw rows, in (episode, start) order after child_order */
	size_t count;         /* kept rows */
	struct key_index own; /* the table's own keys (rows only), until child_order */
};

static bool child_init(struct child_pass *p, size_t n, struct column keys, struct column parent,
                       struct column starts)
{
	memset(p, 0, sizeof(*p));
	p->n = n;
	p->keys = keys;
	p->parent = parent;
	p->starts = starts;
	p->fate = calloc(n ? n : 1, 1);
	p->rows = malloc((n ? n : 1) * sizeof(*p->rows));
	return p->fate != NULL && p->rows != NULL;
}

static void child_free(struct child_pass *p)
{
	key_index_free(&p->own);
	free(p->fate);
	free(p->start_key);
	free(p->rows);
	memset(p, 0, sizeof(*p));
}

/* Rule 1: a required column of raw row i is null. */
static void child_drop_null(struct build *b, struct child_pass *p, size_t i)
{
	p->fate[i] = FATE_DROPPED;
	b->quality->violations[DQ_DROP_NULL_REQUIRED]++;
}

/* Rules 2-4: on return fate[i] is decided except for rows that passed them
 * (still pending), and b->parent_row holds their episode row. With
 * start_keys, start_key is allocated for the table's own rules. */
static bool child_rules(struct build *b, struct child_pass *p, bool start_keys)
{
	size_t n = p->n;
	if (!index_keys(p->keys, n, false, p->fate, b->quality, &p->own))
		return false;
	/* p->rows is free until child_order: the join's scratch */
	if (!join_parent(p->parent, n, p->fate, &b->episodes, b->parent_row, p->rows))
		return false;
	apply_parent_rules(n, p->starts, (struct data_window){b->earliest, b->as_of}, b->parent_row,
	                   b->episode_fate, p->fate, b->quality);
	if (!start_keys)
		return true;
	p->start_key = malloc((n ? n : 1) * sizeof(*p->start_key));
	return p->start_key != NULL;
}

/* The kept rows, ordered by (episode, start_key), ties in own-key order. */
static bool child_order(struct build *b, struct child_pass *p)
{
	p->count = collect_kept(&p->own, p->fate, p->rows);
	key_index_free(&p->own);
	free(p->fate);
	p->fate = NULL;
	bool ok = sort_by_episode(b, p->rows, p->count, p->start_key);
	free(p->start_key);
	p->start_key = NULL;
	return ok;
}

static void child_link(struct build *b, struct child_pass *p, int table)
{
	link_episodes(b, p->rows, p->count, table);
	b->quality->rows_kept[table] = p->count;
}

/* The placements are the largest table (about 60% of the source rows):
 * their model rows are written over their raw rows, which are larger, and
 * then put in order in place, so that the raw and the model placements are
 * never both alive. */
_Static_assert(sizeof(struct model_placement) <= sizeof(struct model_raw_placement),
               "a model placement fits where its raw row was");

/* Rows per block of the permutation below: 4096 placements, 128 KB, stay
 * in the second-level cache. */
#define PERMUTE_BLOCK 4096

static void swap_placements(struct model_placement *out, uint32_t *dest, size_t i, size_t j)
{
	struct model_placement row;
	memcpy(&row, &out[i], sizeof(row));
	memcpy(&out[i], &out[j], sizeof(row));
	memcpy(&out[j], &row, sizeof(row));
	uint32_t to = dest[i];
	dest[i] = dest[j];
	dest[j] = to;
}

/*
 * Moves each out[i] to out[dest[i]] in place; dest[0..n) is a permutation of
 * 0..n-1, and is spent. Following each cycle of the permutation straight
 * through the array costs a cache and TLB miss per row, each waiting on the
 * one before: first each row goes to the block of its place (one in-place
 * bucket pass: the blocks' write fronts are few and advance in order), then
 * the cycles are followed inside each block, in cache. Without memory for
 * the block fronts, the second step alone does it, only slower.
 */
static void permute_placements(struct model_placement *out, uint32_t *dest, size_t n)
{
	size_t blocks = (n + PERMUTE_BLOCK - 1) / PERMUTE_BLOCK;
	size_t *next = malloc((blocks ? blocks : 1) * sizeof(*next));
	if (next != NULL) {
		for (size_t b = 0; b < blocks; b++)
			next[b] = b * PERMUTE_BLOCK;
		for (size_t b = 0; b < blocks; b++) {
			size_t end = (b + 1) * PERMUTE_BLOCK < n ? (b + 1) * PERMUTE_BLOCK : n;
			/* block b receives exactly the rows whose place is in it */
			while (next[b] < end) {
				size_t i = next[b];
				size_t t = dest[i] / PERMUTE_BLOCK;
				while (t != b) {
					swap_placements(out, dest, i, next[t]++);
					t = dest[i] / PERMUTE_BLOCK;
				}
				next[b]++;
			}
		}
		free(next);
	}
	for (size_t i = 0; i < n; i++) {
		while (dest[i] != i)
			swap_placements(out, dest, i, dest[i]);
	}
}

/*
 * Orders the kept placements rows[0..count) (given in key order) by
 * (episode, start), ties in key order: a counting sort by episode (model
 * episode indices are dense), then each episode's run by start, insertion
 * sort when short, radix sort when long (cost follows rows). Needs 4 bytes
 * per kept row and per episode, where a radix sort of 64-bit keys needs 20
 * per row: this is the build's peak.
 */
static bool sort_placements(const struct build *b, const struct model_placement *out,
                            uint32_t *rows, size_t count)
{
	bool ok = false;
	size_t episodes = b->model->episode_count;
	uint32_t *at = calloc(episodes + 1, sizeof(*at));
	uint32_t *sorted = malloc((count ? count : 1) * sizeof(*sorted));
	uint64_t *keys = NULL;
	if (at == NULL || sorted == NULL)
		goto fail;
	for (size_t k = 0; k < count; k++)
		at[b->episode_out[b->parent_row[rows[k]]] + 1]++;
	for (size_t e = 1; e <= episodes; e++)
		at[e] += at[e - 1];
	/* at[e] is where episode e's run starts; the scatter moves it to its end */
	for (size_t k = 0; k < count; k++) {
		uint32_t r = rows[k];
		sorted[at[b->episode_out[b->parent_row[r]]]++] = r;
	}
	size_t start = 0;
	for (size_t e = 0; e < episodes; e++) {
		size_t end = at[e];
		size_t n = end - start;
		uint32_t *run = sorted + start;
		if (n > SMALL_BUCKET) {
			keys = malloc(n * sizeof(*keys));
			if (keys == NULL)
				goto fail;
			for (size_t i = 0; i < n; i++)
				keys[i] = order_i32(out[run[i]].start_date);
			if (!radix_sort(keys, run, n))
				goto fail;
			free(keys);
			keys = NULL;
		} else {
			/* stable: a row moves only past rows with a later start */
			for (size_t i = 1; i < n; i++) {
				uint32_t r = run[i];
				int32_t day = out[r].start_date;
				size_t j = i;
				for (; j > 0 && out[run[j - 1]].start_date > day; j--)
					run[j] = run[j - 1];
				run[j] = r;
			}
		}
		start = end;
	}
	memcpy(rows, sorted, count * sizeof(*rows));
	ok = true;
fail:
	free(at);
	free(sorted);
	free(keys);
	return ok;
}

static bool build_placements(struct build *b)
{
	struct model_raw *raw = b->raw;
	struct model_quality *quality = b->quality;
	struct model *model = b->model;
	bool ok = false;
	struct child_pass p;
	if (!child_init(&p, raw->placement_count,
	                COLUMN(raw->placements, struct model_raw_placement, placement_key),
	                COLUMN(raw->placements, struct model_raw_placement, episode_key),
	                COLUMN(raw->placements, struct model_raw_placement, start_date)))
		goto fail;
	for (size_t i = 0; i < p.n; i++) {
		const struct model_raw_placement *row = &raw->placements[i];
		if (row->placement_key == MODEL_RAW_KEY_NULL ||
		    row->episode_key == MODEL_RAW_KEY_NULL || row->setting == MODEL_RAW_CODE_NULL ||
		    !row->has_start_date)
			child_drop_null(b, &p, i);
	}
	if (!child_rules(b, &p, false))
		goto fail;
	/* Own rules in stream order (sequential reads); a kept row's model row
	 * is written at its own index over the raw rows: model row r ends at
	 * byte 32(r+1) at most, before raw row r+1 begins (40(r+1)), so no raw
	 * row is overwritten before it is read. */
	struct model_placement *out = (struct model_placement *)(void *)raw->placements;
	for (uint32_t r = 0; r < p.n; r++) {
		struct model_raw_placement row;
		if (p.fate[r] != FATE_PENDING)
			continue;
		memcpy(&row, &raw->placements[r], sizeof(row));
		p.fate[r] = FATE_DROPPED;
		if (row.has_end_date && row.end_date <= row.start_date) {
			quality->violations[DQ_DROP_PLACEMENT_ENDS_BEFORE_START]++;
			continue;
		}
		if (row.setting == MODEL_RAW_CODE_UNKNOWN) {
			quality->violations[DQ_DROP_PLACEMENT_UNKNOWN_SETTING]++;
			continue;
		}
		if (!in_care(b, b->parent_row[r], row.start_date)) {
			quality->violations[DQ_DROP_PLACEMENT_OUTSIDE_CARE]++;
			continue;
		}
		p.fate[r] = FATE_KEPT;
		struct model_placement placement;
		memset(&placement, 0, sizeof(placement));
		int32_t discharge = b->episode_end[b->parent_row[r]];
		placement.placement_key = row.placement_key;
		placement.provider_key = row.has_provider ? row.provider_key : 0;
		placement.has_provider = row.has_provider;
		placement.setting = (uint8_t)(row.setting - 1); /* a known code */
		placement.start_date = row.start_date;
		placement.end_date =
		    row.has_end_date && row.end_date <= b->as_of ? row.end_date : DATE_OPEN;
		if (discharge != DATE_OPEN && placement.end_date > discharge) {
			/* A null end in a discharged episode is only closed, not a
			 * violation: the row never said it ended after discharge. */
			if (row.has_end_date)
				quality->violations[DQ_KEEP_PLACEMENT_AFTER_DISCHARGE]++;
			placement.end_date = discharge;
		}
		memcpy(&out[r], &placement, sizeof(placement));
	}
	/* The kept rows in key order, then by (episode, start). */
	size_t n = p.n;
	size_t count = collect_kept(&p.own, p.fate, p.rows);
	key_index_free(&p.own);
	if (!sort_placements(b, out, p.rows, count))
		goto fail;
	p.count = count;
	uint32_t previous_episode = UINT32_MAX;
	int32_t covered_until = 0; /* max end of the earlier placements of the episode */
	for (size_t k = 0; k < count; k++) {
		uint32_t r = p.rows[k];
		const struct model_placement *placement = &out[r];
		uint32_t episode = b->episode_out[b->parent_row[r]];
		if (episode != previous_episode) {
			previous_episode = episode;
			covered_until = placement->end_date;
		} else {
			if (placement->start_date < covered_until)
				quality->violations[DQ_KEEP_OVERLAPPING_PLACEMENTS]++;
			if (placement->end_date > covered_until)
				covered_until = placement->end_date;
		}
	}
	child_link(b, &p, MODEL_PLACEMENTS);
	/* The rows left out follow the kept ones, so that rows is a whole
	 * permutation; then the kept rows are moved to 0..count in place.
	 * Placements are built last: parent_row is free now, and holds each
	 * raw row's place. */
	size_t m = count;
	for (uint32_t r = 0; r < n; r++) {
		if (p.fate[r] != FATE_KEPT)
			p.rows[m++] = r;
	}
	uint32_t *dest = b->parent_row;
	for (size_t k = 0; k < n; k++)
		dest[p.rows[k]] = (uint32_t)k;
	permute_placements(out, dest, n);
	if (out == NULL) {
		model->placements = calloc(1, sizeof(*model->placements));
		if (model->placements == NULL)
			goto fail;
	} else {
		struct model_placement *shrunk =
		    realloc(out, (count ? count : 1) * sizeof(*model->placements));
		model->placements = shrunk != NULL ? shrunk : out;
		raw->placements = NULL; /* now the model's */
		raw->placement_count = raw->placement_cap = 0;
	}
	model->placement_count = count;
	ok = true;
fail:
	child_free(&p);
	return ok;
}

/* A timestamp as of as_of: TS_NONE when null or dated after as_of. */
static int64_t as_of_ts(int64_t at, int32_t day, int32_t as_of)
{
	return at == TS_NONE || day > as_of ? TS_NONE : at;
}

static bool build_missing(struct build *b)
{
	const struct model_raw *raw = b->raw;
	struct model_quality *quality = b->quality;
	struct model *model = b->model;
	bool ok = false;
	struct child_pass p;
	if (!child_init(&p, raw->missing_count,
	                COLUMN(raw->missing, struct model_raw_missing, missing_key),
	                COLUMN(raw->missing, struct model_raw_missing, episode_key),
	                COLUMN(raw->missing, struct model_raw_missing, went_missing_day)))
		goto fail;
	for (size_t i = 0; i < p.n; i++) {
		const struct model_raw_missing *row = &raw->missing[i];
		if (row->missing_key == MODEL_RAW_KEY_NULL ||
		    row->episode_key == MODEL_RAW_KEY_NULL || row->went_missing_at == TS_NONE)
			child_drop_null(b, &p, i);
	}
	if (!child_rules(b, &p, true))
		goto fail;
	/* Rules in stream order (sequential reads), then the kept rows in key
	 * order (the sort keeps ties in that order). */
	for (uint32_t r = 0; r < p.n; r++) {
		const struct model_raw_missing *row = &raw->missing[r];
		if (p.fate[r] != FATE_PENDING)
			continue;
		p.fate[r] = FATE_DROPPED;
		if (row->returned_at != TS_NONE && row->returned_at < row->went_missing_at)
			quality->violations[DQ_DROP_MISSING_RETURNS_BEFORE_MISSING]++;
		else if (!in_care(b, b->parent_row[r], row->went_missing_day))
			quality->violations[DQ_DROP_MISSING_OUTSIDE_CARE]++;
		else {
			p.fate[r] = FATE_KEPT;
			p.start_key[r] = order_i64(row->went_missing_at);
		}
	}
	if (!child_order(b, &p))
		goto fail;
	size_t count = p.count;
	const uint32_t *rows = p.rows;
	model->missing = calloc(count ? count : 1, sizeof(*model->missing));
	if (model->missing == NULL)
		goto fail;
	int32_t as_of = b->as_of;
	for (size_t k = 0; k < count; k++) {
		const struct model_raw_missing *row = &raw->missing[rows[k]];
		if (k + PREFETCH_AHEAD < count)
			PREFETCH(&raw->missing[rows[k + PREFETCH_AHEAD]]);
		struct model_missing *missing = &model->missing[k];
		missing->went_missing_at = row->went_missing_at;
		/* SPEC §2: a null agency_informed_at means at went_missing_at;
		 * SPEC §3: one dated after as_of is ignored, so it reads as null. */
		int64_t informed =
		    as_of_ts(row->agency_informed_at, row->agency_informed_day, as_of);
		missing->agency_informed_at = informed == TS_NONE ? row->went_missing_at : informed;
		missing->returned_at = as_of_ts(row->returned_at, row->returned_day, as_of);
		missing->reported_le_at =
		    as_of_ts(row->reported_le_at, row->reported_le_day, as_of);
		missing->reported_ncmec_at =
		    as_of_ts(row->reported_ncmec_at, row->reported_ncmec_day, as_of);
		missing->screened_at = as_of_ts(row->screened_at, row->screened_day, as_of);
		missing->begin_day = row->went_missing_day;
		missing->end_day = missing->returned_at == TS_NONE ? DATE_OPEN : row->returned_day;
		int64_t clock = missing->agency_informed_at;
		if (missing->reported_le_at != TS_NONE && missing->reported_le_at < clock)
			quality->violations[DQ_KEEP_REPORT_BEFORE_INFORMED]++;
		if (missing->reported_ncmec_at != TS_NONE && missing->reported_ncmec_at < clock)
			quality->violations[DQ_KEEP_REPORT_BEFORE_INFORMED]++;
		if (missing->screened_at != TS_NONE && missing->returned_at != TS_NONE &&
		    missing->screened_at < missing->returned_at)
			quality->violations[DQ_KEEP_SCREEN_BEFORE_RETURN]++;
		int screen = recode(row->screen_result, -1, SCREEN_OTHER - SCREEN_POSITIVE,
		                    DQ_KEEP_UNKNOWN_SCREEN_RESULT, quality);
		missing->screen_result = (uint8_t)(screen + SCREEN_POSITIVE);
	}
	child_link(b, &p, MODEL_MISSING);
	model->missing_count = count;
	ok = true;
fail:
	child_free(&p);
	return ok;
}

static bool build_assignments(struct build *b)
{
	const struct model_raw *raw = b->raw;
	struct model_quality *quality = b->quality;
	struct model *model = b->model;
	bool ok = false;
	struct child_pass p;
	if (!child_init(&p, raw->assignment_count,
	                COLUMN(raw->assignments, struct model_raw_assignment, assignment_key),
	                COLUMN(raw->assignments, struct model_raw_assignment, episode_key),
	                COLUMN(raw->assignments, struct model_raw_assignment, start_date)))
		goto fail;
	for (size_t i = 0; i < p.n; i++) {
		const struct model_raw_assignment *row = &raw->assignments[i];
		if (row->assignment_key == MODEL_RAW_KEY_NULL ||
		    row->episode_key == MODEL_RAW_KEY_NULL || !row->has_start_date)
			child_drop_null(b, &p, i);
	}
	if (!child_rules(b, &p, true))
		goto fail;
	/* Rules in stream order (sequential reads), then the kept rows in key
	 * order (the sort keeps ties in that order). */
	for (uint32_t r = 0; r < p.n; r++) {
		const struct model_raw_assignment *row = &raw->assignments[r];
		if (p.fate[r] != FATE_PENDING)
			continue;
		p.fate[r] = FATE_DROPPED;
		if (row->has_end_date && row->end_date <= row->start_date)
			quality->violations[DQ_DROP_ASSIGNMENT_ENDS_BEFORE_START]++;
		else if (!in_care(b, b->parent_row[r], row->start_date))
			quality->violations[DQ_DROP_ASSIGNMENT_OUTSIDE_CARE]++;
		else {
			p.fate[r] = FATE_KEPT;
			p.start_key[r] = order_i32(row->start_date);
		}
	}
	if (!child_order(b, &p))
		goto fail;
	size_t count = p.count;
	const uint32_t *rows = p.rows;
	model->assignments = calloc(count ? count : 1, sizeof(*model->assignments));
	if (model->assignments == NULL)
		goto fail;
	for (size_t k = 0; k < count; k++) {
		const struct model_raw_assignment *row = &raw->assignments[rows[k]];
		if (k + PREFETCH_AHEAD < count)
			PREFETCH(&raw->assignments[rows[k + PREFETCH_AHEAD]]);
		struct model_assignment *assignment = &model->assignments[k];
		assignment->start_date = row->start_date;
		assignment->end_date =
		    row->has_end_date && row->end_date <= b->as_of ? row->end_date : DATE_OPEN;
	}
	child_link(b, &p, MODEL_ASSIGNMENTS);
	model->assignment_count = count;
	ok = true;
fail:
	child_free(&p);
	return ok;
}

static bool build_identifications(struct build *b)
{
	const struct model_raw *raw = b->raw;
	struct model_quality *quality = b->quality;
	struct model *model = b->model;
	bool ok = false;
	struct child_pass p;
	if (!child_init(
	        &p, raw->identification_count,
	        COLUMN(raw->identifications, struct model_raw_identification, identification_key),
	        COLUMN(raw->identifications, struct model_raw_identification, episode_key),
	        COLUMN(raw->identifications, struct model_raw_identification, identified_day)))
		goto fail;
	for (size_t i = 0; i < p.n; i++) {
		const struct model_raw_identification *row = &raw->identifications[i];
		if (row->identification_key == MODEL_RAW_KEY_NULL ||
		    row->episode_key == MODEL_RAW_KEY_NULL || row->identified_at == TS_NONE ||
		    !row->has_while_in_care)
			child_drop_null(b, &p, i);
	}
	if (!child_rules(b, &p, true))
		goto fail;
	/* Identified while not in care (before the removal, after the
	 * discharge) may be dated anywhere; while in care, on a day in care. */
	for (uint32_t r = 0; r < p.n; r++) {
		const struct model_raw_identification *row = &raw->identifications[r];
		if (p.fate[r] != FATE_PENDING)
			continue;
		if (row->while_in_care && !in_care(b, b->parent_row[r], row->identified_day)) {
			p.fate[r] = FATE_DROPPED;
			quality->violations[DQ_DROP_IDENTIFICATION_OUTSIDE_CARE]++;
			continue;
		}
		p.fate[r] = FATE_KEPT;
		p.start_key[r] = order_i64(row->identified_at);
	}
	if (!child_order(b, &p))
		goto fail;
	size_t count = p.count;
	model->identifications = calloc(count ? count : 1, sizeof(*model->identifications));
	if (model->identifications == NULL)
		goto fail;
	for (size_t k = 0; k < count; k++) {
		const struct model_raw_identification *row = &raw->identifications[p.rows[k]];
		struct model_identification *identification = &model->identifications[k];
		identification->identified_at = row->identified_at;
		identification->day = row->identified_day;
		identification->while_in_care = row->while_in_care;
		identification->reported_le_at =
		    as_of_ts(row->reported_le_at, row->reported_le_day, b->as_of);
		/* Like a missing episode's report before the agency's clock: kept,
		 * and not a timely report. */
		if (identification->reported_le_at != TS_NONE &&
		    identification->reported_le_at < identification->identified_at)
			quality->violations[DQ_KEEP_REPORT_BEFORE_IDENTIFIED]++;
	}
	child_link(b, &p, MODEL_IDENTIFICATIONS);
	model->identification_count = count;
	ok = true;
fail:
	child_free(&p);
	return ok;
}

const char *model_failure_text(enum model_failure failure)
{
	switch (failure) {
	case MODEL_FAILED_MEMORY:
		return "out of memory";
	case MODEL_FAILED_TOO_MANY_ROWS:
		return "a table has 4294967295 rows or more (row indices are 32 bits)";
	case MODEL_FAILED_TOO_MANY_COUNTIES:
		return "more than 65536 distinct counties (the county index is 16 bits)";
	}
	return "unknown failure";
}

/* Frees one array of raw rows and empties it. */
#define RELEASE_ROWS(raw, rows, count, cap)                                                        \
	do {                                                                                       \
		free((raw)->rows);                                                                 \
		(raw)->rows = NULL;                                                                \
		(raw)->count = (raw)->cap = 0;                                                     \
	} while (0)

/* Frees the raw rows of one table (model_build_consuming()). */
static void raw_release(struct model_raw *raw, enum model_table table)
{
	switch (table) {
	case MODEL_CHILDREN:
		RELEASE_ROWS(raw, children, child_count, child_cap);
		break;
	case MODEL_EPISODES:
		RELEASE_ROWS(raw, episodes, episode_count, episode_cap);
		break;
	case MODEL_PLACEMENTS:
		RELEASE_ROWS(raw, placements, placement_count, placement_cap);
		break;
	case MODEL_MISSING:
		RELEASE_ROWS(raw, missing, missing_count, missing_cap);
		break;
	case MODEL_ASSIGNMENTS:
		RELEASE_ROWS(raw, assignments, assignment_count, assignment_cap);
		break;
	case MODEL_IDENTIFICATIONS:
		RELEASE_ROWS(raw, identifications, identification_count, identification_cap);
		break;
	case MODEL_TABLE_COUNT:
		break;
	}
}

/* Builds one table, then frees its raw rows. */
static bool build_table(struct build *b, enum model_table table)
{
	bool ok = false;
	switch (table) {
	case MODEL_CHILDREN:
		ok = build_children(b);
		break;
	case MODEL_EPISODES:
		ok = build_episodes(b);
		break;
	case MODEL_PLACEMENTS:
		ok = build_placements(b);
		break;
	case MODEL_MISSING:
		ok = build_missing(b);
		break;
	case MODEL_ASSIGNMENTS:
		ok = build_assignments(b);
		break;
	case MODEL_IDENTIFICATIONS:
		ok = build_identifications(b);
		break;
	case MODEL_TABLE_COUNT:
		break;
	}
	raw_release(b->raw, table);
	return ok;
}

bool model_build_consuming(struct model_raw *raw, int32_t earliest, int32_t as_of,
                           struct model *out, enum model_failure *failure)
{
	/* Parents first; then the episodes' child tables, whose order changes
	 * nothing but the peak: placements, the largest raw table, last, when
	 * the others' raw rows are freed and only their (smaller) model
	 * tables are alive. */
	static const enum model_table order[MODEL_TABLE_COUNT] = {
	    MODEL_CHILDREN,        MODEL_EPISODES, MODEL_ASSIGNMENTS,
	    MODEL_IDENTIFICATIONS, MODEL_MISSING,  MODEL_PLACEMENTS};
	struct build b = {.raw = raw,
	                  .earliest = earliest,
	                  .as_of = as_of,
	                  .model = out,
	                  .failure = MODEL_FAILED_MEMORY};
	bool ok = false;
	memset(out, 0, sizeof(*out));
	out->as_of = as_of;
	out->first_day = as_of;
	b.quality = &out->quality;
	b.quality->rows_read[MODEL_CHILDREN] = raw->child_count;
	b.quality->rows_read[MODEL_EPISODES] = raw->episode_count;
	b.quality->rows_read[MODEL_PLACEMENTS] = raw->placement_count;
	b.quality->rows_read[MODEL_MISSING] = raw->missing_count;
	b.quality->rows_read[MODEL_ASSIGNMENTS] = raw->assignment_count;
	b.quality->rows_read[MODEL_IDENTIFICATIONS] = raw->identification_count;
	for (int t = 0; t < MODEL_TABLE_COUNT; t++) {
		/* read from the source, left out there: rows_read = kept + drops */
		b.quality->rows_read[t] += raw->dates_out_of_range[t] + raw->text_invalid[t];
		b.quality->violations[DQ_DROP_DATE_OUT_OF_RANGE] += raw->dates_out_of_range[t];
		b.quality->violations[DQ_DROP_TEXT_INVALID_ENCODING] += raw->text_invalid[t];
	}
	b.quality->has_identifications = raw->has_identifications;
	out->has_identifications = raw->has_identifications;
	size_t largest = 1;
	for (int t = 0; t < MODEL_TABLE_COUNT; t++) {
		if (b.quality->rows_read[t] > largest)
			largest = (size_t)b.quality->rows_read[t];
	}
	/* Row indices are uint32_t; the top value marks "no row". */
	if (largest >= UINT32_MAX) {
		b.failure = MODEL_FAILED_TOO_MANY_ROWS;
		goto fail;
	}
	b.parent_row = malloc(largest * sizeof(*b.parent_row));
	if (b.parent_row == NULL)
		goto fail;
	for (int t = 0; t < MODEL_TABLE_COUNT; t++) {
		if (!build_table(&b, order[t]))
			goto fail;
	}
	ok = true;
fail:
	for (int t = 0; t < MODEL_TABLE_COUNT; t++)
		raw_release(raw, (enum model_table)t);
	free(b.parent_row);
	free(b.child_fate);
	free(b.episode_fate);
	free(b.child_out);
	free(b.episode_out);
	free(b.episode_start);
	free(b.episode_end);
	key_index_free(&b.children);
	key_index_free(&b.episodes);
	if (!ok) {
		model_free(out);
		*failure = b.failure;
	}
	return ok;
}

/* A copy of n rows of `size` bytes (NULL for none); sets *failed when
 * out of memory, or when n rows were said but there is no array. */
static void *copy_rows(const void *rows, size_t n, size_t size, bool *failed)
{
	if (n == 0)
		return NULL;
	void *copy = rows != NULL ? malloc(n * size) : NULL;
	if (copy == NULL)
		*failed = true;
	else
		memcpy(copy, rows, n * size);
	return copy;
}

bool model_build(const struct model_raw *raw, int32_t earliest, int32_t as_of, struct model *out,
                 enum model_failure *failure)
{
	/* The same build on a copy of the rows (tests and tools; the pipeline
	 * consumes its own). The counties are shared: the build only reads
	 * them, and the copy's are not freed. */
	bool failed = false;
	struct model_raw copy = *raw;
	/* A table too long for 32-bit row indices is refused before anything
	 * is copied (model_build_consuming() says so first thing). */
	size_t counts[] = {raw->child_count,   raw->episode_count,    raw->placement_count,
	                   raw->missing_count, raw->assignment_count, raw->identification_count};
	for (size_t t = 0; t < CASA_ARRAY_LEN(counts); t++) {
		if (counts[t] >= UINT32_MAX) {
			memset(out, 0, sizeof(*out));
			*failure = MODEL_FAILED_TOO_MANY_ROWS;
			return false;
		}
	}
	copy.children = copy_rows(raw->children, raw->child_count, sizeof(*raw->children), &failed);
	copy.episodes =
	    copy_rows(raw->episodes, raw->episode_count, sizeof(*raw->episodes), &failed);
	copy.placements =
	    copy_rows(raw->placements, raw->placement_count, sizeof(*raw->placements), &failed);
	copy.missing = copy_rows(raw->missing, raw->missing_count, sizeof(*raw->missing), &failed);
	copy.assignments =
	    copy_rows(raw->assignments, raw->assignment_count, sizeof(*raw->assignments), &failed);
	copy.identifications = copy_rows(raw->identifications, raw->identification_count,
	                                 sizeof(*raw->identifications), &failed);
	copy.child_cap = copy.child_count;
	copy.episode_cap = copy.episode_count;
	copy.placement_cap = copy.placement_count;
	copy.missing_cap = copy.missing_count;
	copy.assignment_cap = copy.assignment_count;
	copy.identification_cap = copy.identification_count;
	if (failed) {
		for (int t = 0; t < MODEL_TABLE_COUNT; t++)
			raw_release(&copy, (enum model_table)t);
		memset(out, 0, sizeof(*out));
		*failure = MODEL_FAILED_MEMORY;
		return false;
	}
	return model_build_consuming(&copy, earliest, as_of, out, failure);
}
