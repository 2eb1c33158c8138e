/*
 * snapshot_stats.c — how sure each published row is (issue 14): the
 * interval of its value, the change from the previous period of the same
 * type with its interval and direction, and, for the advocate tables of
 * the two day-based rates, the indirectly standardized comparison. The
 * methods are interval.c's (docs/methods.md); this file only decides which
 * published cells each figure is computed from and how it is written.
 *
 * Everything here is computed from published cells alone (their numerator,
 * denominator, the interval values and the expected count disclosure
 * passed on), so a figure tells no more than the cells it comes from; a
 * suppressed cell or one with a zero denominator gets nulls.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "casa/interval.h"
#include "snapshot_internal.h"

static void set_null(char *text)
{
	strcpy(text, "null");
}

/* A published figure: 4 decimals like every value; an infinite bound (no
 * upper bound) is null. */
static void set_number(char text[BUF_NUMBER_LEN], double value)
{
	buf_format_number(value, text);
}

/* Seconds as days, rounded half up to 4 decimals in integers as the
 * quantile's own value is (disclosure_set_value), so that an interval end
 * equal to the value prints the same digits. */
static void set_days(char text[BUF_NUMBER_LEN], int64_t seconds)
{
	const int64_t day_s = 86400;
	if (seconds < 0)
		seconds = 0;
	int64_t units = (2 * seconds * 10000 + day_s) / (2 * day_s);
	set_number(text, (double)units / 10000.0);
}

/* A cell whose numbers can be used: published, with a denominator above 0. */
static bool usable(const struct disclosure_cell *cell)
{
	return cell != NULL && !cell->suppressed && cell->has_value && cell->has_numerator &&
	       cell->has_denominator && cell->denominator > 0;
}

static void set_interval(struct snapshot_row_stats *out, const struct interval *interval)
{
	set_number(out->interval_low, interval->low);
	set_number(out->interval_high, interval->high);
}

static void set_change(struct snapshot_row_stats *out, const struct interval_change *change)
{
	set_number(out->change, change->estimate);
	set_number(out->change_low, change->interval.low);
	set_number(out->change_high, change->interval.high);
	snprintf(out->change_direction, sizeof(out->change_direction), "%s",
	         interval_direction_name(change->direction));
}

/* The standardized comparison of one advocate group (docs/methods.md). */
static void set_standardized(struct snapshot_row_stats *out, const struct metric_def *def,
                             const struct disclosure_cell *cell,
                             const struct disclosure_cell *total, double confidence)
{
	double smr;
	struct interval bounds;
	if (!usable(cell) || !cell->has_expected)
		return;
	set_number(out->expected, cell->expected);
	if (!interval_smr(cell->numerator, cell->expected, confidence, &smr, &bounds))
		return; /* nothing expected: no ratio */
	set_number(out->smr, smr);
	set_number(out->smr_low, bounds.low);
	set_number(out->smr_high, bounds.high);
	/* The all-children rate is the published total's: without it the
	 * standardized value would publish the total's rate. */
	if (usable(total))
		set_number(out->standardized_value, smr * def->scale * (double)total->numerator /
		                                        (double)total->denominator);
}

/* interval_poisson_rate() through the cache: the count's interval per unit
 * of exposure, scaled as interval_poisson_rate() scales it (the same
 * arithmetic, so the same digits). */
static bool poisson_rate(struct snapshot_poisson_cache *cache, int64_t events, double exposure,
                         double scale, double confidence, struct interval *out)
{
	if (cache == NULL || events < 0)
		return interval_poisson_rate(events, exposure, scale, confidence, out);
	size_t slot = (size_t)events % SNAPSHOT_POISSON_CACHE_SLOTS;
	if (!cache->filled[slot] || cache->count[slot] != events) {
		if (!interval_poisson_rate(events, 1, 1, confidence, &cache->mean[slot]))
			return false;
		cache->count[slot] = events;
		cache->filled[slot] = true;
	}
	if (!(exposure > 0) || !isfinite(exposure))
		return false;
	out->low = cache->mean[slot].low * scale / exposure;
	out->high = cache->mean[slot].high * scale / exposure;
	return true;
}

void snapshot_row_stats(const struct disclosure_table *table, const struct disclosure_table *total,
                        uint32_t period, uint32_t group, double confidence,
                        struct snapshot_poisson_cache *cache, struct snapshot_row_stats *out)
{
	const struct metric_def *def = &metrics_catalog[table->metric];
	const struct disclosure_cell *cell =
	    &table->cells[(size_t)period * table->group_count + group];
	const struct disclosure_cell *previous =
	    period > 0 ? &table->cells[(size_t)(period - 1) * table->group_count + group] : NULL;
	struct interval interval;
	struct interval_change change;
	char *const fields[] = {out->interval_low,     out->interval_high, out->change_vs,
	                        out->change,           out->change_low,    out->change_high,
	                        out->change_direction, out->expected,      out->smr,
	                        out->smr_low,          out->smr_high,      out->standardized_value};
	for (size_t i = 0; i < CASA_ARRAY_LEN(fields); i++)
		set_null(fields[i]);
	out->standardized =
	    metrics_table_standardized(table->metric, table->period_type, table->dim);

	switch (def->kind) {
	case METRIC_KIND_QUANTILE:
		if (!cell->suppressed && cell->has_value && cell->has_quantile_interval) {
			set_days(out->interval_low, cell->quantile_low_s);
			set_days(out->interval_high, cell->quantile_high_s);
		}
		return; /* a quantile has no change (issue 14) */
	case METRIC_KIND_COUNT:
		return; /* counts: null (issue 14) */
	case METRIC_KIND_RATE:
	case METRIC_KIND_PERCENT:
		break;
	}
	if (!usable(cell))
		return;
	bool rate = def->kind == METRIC_KIND_RATE;
	if (rate ? poisson_rate(cache, cell->numerator, (double)cell->denominator, def->scale,
	                        confidence, &interval)
	         : interval_proportion_percent(cell->numerator, cell->denominator, confidence,
	                                       &interval))
		set_interval(out, &interval);
	if (out->standardized) {
		/* the total of the same period: same axis, one group */
		int64_t row = (int64_t)table->first_period + period -
		              (total != NULL ? total->first_period : 0);
		const struct disclosure_cell *all =
		    total != NULL && row >= 0 && row < (int64_t)total->period_count
		        ? &total->cells[(size_t)row * total->group_count]
		        : NULL;
		set_standardized(out, def, cell, all, confidence);
	}
	if (!usable(previous))
		return;
	period_label(table->period_type, table->first_period + (int32_t)period - 1, out->change_vs);
	/* No events in either period, or counts beyond the module's range:
	 * compared, no change to state. */
	strcpy(out->change_direction, interval_direction_name(INTERVAL_NO_CLEAR_CHANGE));
	if (rate ? interval_rate_ratio(previous->numerator, (double)previous->denominator,
	                               cell->numerator, (double)cell->denominator, confidence,
	                               &change)
	         : interval_proportion_difference(previous->numerator, previous->denominator,
	                                          cell->numerator, cell->denominator, confidence,
	                                          &change))
		set_change(out, &change);
}

/* The members in order, each with its name and whether it is a string;
 * written with buf_puts (a snapshot writes a few hundred thousand of them,
 * and format strings cost more than the numbers). */
struct stats_member {
	const char *name;  /* JSON member and CSV column */
	size_t offset;     /* of its text in struct snapshot_row_stats */
	bool text;         /* a label: quoted in JSON */
	bool standardized; /* only in the standardized tables */
};

#define MEMBER(field, text, standardized)                                                          \
	{                                                                                          \
#field, offsetof(struct snapshot_row_stats, field), text, standardized             \
	}
static const struct stats_member members[] = {
    MEMBER(interval_low, false, false),
    MEMBER(interval_high, false, false),
    MEMBER(change_vs, true, false),
    MEMBER(change, false, false),
    MEMBER(change_low, false, false),
    MEMBER(change_high, false, false),
    MEMBER(change_direction, true, false),
    MEMBER(expected, false, true),
    MEMBER(smr, false, true),
    MEMBER(smr_low, false, true),
    MEMBER(smr_high, false, true),
    MEMBER(standardized_value, false, true),
};

static const char *member_text(const struct snapshot_row_stats *stats,
                               const struct stats_member *member)
{
	return (const char *)stats + member->offset;
}

void snapshot_row_stats_json(struct buf *buf, const struct snapshot_row_stats *stats)
{
	for (size_t i = 0; i < CASA_ARRAY_LEN(members); i++) {
		if (members[i].standardized && !stats->standardized)
			break;
		const char *text = member_text(stats, &members[i]);
		/* labels and names from this program, never data: no escaping */
		bool quoted = members[i].text && strcmp(text, "null") != 0;
		buf_puts(buf, i > 0 ? ",\"" : "\"");
		buf_puts(buf, members[i].name);
		buf_puts(buf, quoted ? "\":\"" : "\":");
		buf_puts(buf, text);
		if (quoted)
			buf_puts(buf, "\"");
	}
}

void snapshot_row_stats_csv_header(struct buf *buf, bool standardized)
{
	for (size_t i = 0; i < CASA_ARRAY_LEN(members); i++) {
		if (members[i].standardized && !standardized)
			break;
		buf_puts(buf, ",");
		buf_puts(buf, members[i].name);
	}
}

void snapshot_row_stats_csv(struct buf *buf, const struct snapshot_row_stats *stats)
{
	for (size_t i = 0; i < CASA_ARRAY_LEN(members); i++) {
		if (members[i].standardized && !stats->standardized)
			break;
		const char *text = member_text(stats, &members[i]);
		buf_puts(buf, ","); /* a null is an empty field */
		if (strcmp(text, "null") != 0)
			buf_puts(buf, text);
	}
}
