/*
 * disclosure_cell.c — the rules for one cell (SPEC §5): which counts a metric
 * kind publishes, the primary suppression rule, and the published value;
 * and how the row counts next to the tables are published.
 * Used by every part of the disclosure stage; calls none of them.
 */
#include <string.h>

#include "casa/disclosure.h"
#include "disclosure_internal.h"

const char *disclosure_mode_name(enum disclosure_mode mode)
{
	return mode == DISCLOSURE_DP ? "dp" : "suppress";
}

bool disclosure_mode_parse(const char *name, enum disclosure_mode *out)
{
	if (name == NULL)
		return false;
	if (strcmp(name, "suppress") == 0) {
		*out = DISCLOSURE_SUPPRESS;
		return true;
	}
	if (strcmp(name, "dp") == 0) {
		*out = DISCLOSURE_DP;
		return true;
	}
	return false;
}

uint64_t disclosure_published_row_count(enum disclosure_mode mode, int min_cell, uint64_t rows)
{
	if (mode != DISCLOSURE_DP)
		return rows;
	uint64_t k =
	    min_cell > DISCLOSURE_MIN_CELL_FLOOR ? (uint64_t)min_cell : DISCLOSURE_MIN_CELL_FLOOR;
	return (rows + k / 2) / k * k;
}

bool disclosure_kind_has_numerator(enum metric_kind kind)
{
	return kind != METRIC_KIND_QUANTILE;
}

bool disclosure_kind_has_denominator(enum metric_kind kind)
{
	return kind != METRIC_KIND_COUNT;
}

uint8_t disclosure_kind_fields(enum metric_kind kind)
{
	uint8_t f = 0;
	if (disclosure_kind_has_numerator(kind))
		f |= DISCLOSURE_SECRET_NUMERATOR;
	if (disclosure_kind_has_denominator(kind))
		f |= DISCLOSURE_SECRET_DENOMINATOR;
	return f;
}

static bool in_small_range(int64_t count, int min_cell)
{
	return count >= 1 && count <= min_cell - 1;
}

uint8_t disclosure_primary_fields(enum metric_kind kind, const struct metrics_cell *cell,
                                  int min_cell)
{
	const uint8_t num = DISCLOSURE_SECRET_NUMERATOR;
	/* No child at all: an empty cell, published as such (SPEC §5 reading in
	 * docs/privacy.md). */
	if (cell->children == 0 && cell->numerator == 0 && cell->denominator == 0)
		return 0;
	/* Fewer than k children: every count of the cell is about them. */
	if (cell->children < min_cell)
		return disclosure_kind_fields(kind);
	/* Otherwise the denominator rests on k children or more and is not
	 * sensitive; a small numerator (or complement: denominator - numerator,
	 * which the denominator and the numerator give away) is. */
	switch (kind) {
	case METRIC_KIND_RATE:
	case METRIC_KIND_COUNT:
		return in_small_range(cell->numerator, min_cell) ? num : 0;
	case METRIC_KIND_PERCENT:
		return in_small_range(cell->numerator, min_cell) ||
		               in_small_range(cell->denominator - cell->numerator, min_cell)
		           ? num
		           : 0;
	case METRIC_KIND_QUANTILE:
		/* the statistic of fewer than k episodes: its episode count is
		 * what is hidden (a quantile has no numerator) */
		return cell->denominator < min_cell ? disclosure_kind_fields(kind) : 0;
	}
	return disclosure_kind_fields(kind);
}

/* round(num * 10^4 / den) half up, for num >= 0, den > 0: exact integer
 * arithmetic whenever 2 * num * 10^4 fits in 64 bits (every real count). */
static double rounded_ratio(int64_t num, int64_t den)
{
	if (num <= (INT64_MAX - den) / 20000)
		return (double)((2 * num * 10000 + den) / (2 * den)) / 10000.0;
	long double q = (long double)num * 10000.0L / (long double)den;
	return (double)((int64_t)(q + 0.5L)) / 10000.0;
}

void disclosure_set_value(const struct metric_def *def, int64_t quantile_2s,
                          struct disclosure_cell *cell)
{
	cell->has_value = false;
	cell->value = 0.0;
	switch (def->kind) {
	case METRIC_KIND_COUNT:
		cell->value = (double)cell->numerator;
		cell->has_value = cell->has_numerator;
		return;
	case METRIC_KIND_QUANTILE:
		if (!cell->has_denominator || cell->denominator <= 0)
			return;
		/* quantile_2s is twice the statistic in seconds: days = 2s / 172800 */
		cell->value = rounded_ratio(quantile_2s < 0 ? 0 : quantile_2s, 2 * 86400);
		cell->has_value = true;
		return;
	case METRIC_KIND_RATE:
	case METRIC_KIND_PERCENT:
		if (!cell->has_numerator || !cell->has_denominator || cell->denominator <= 0)
			return;
		cell->value =
		    rounded_ratio((int64_t)def->scale * cell->numerator, cell->denominator);
		cell->has_value = true;
		return;
	}
}
