/*
 * disclosure.c — raw metric cells to publishable cells (SPEC §5): the entry
 * point. Lays out the result like the release view, then hands the
 * decision to the mode: suppress (disclosure_suppress.c) or dp
 * (disclosure_dp.c). The rules for one cell are disclosure_cell.c's.
 * docs/privacy.md explains the threat model and both modes.
 */
#include "casa/disclosure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casa/log.h"
#include "disclosure_internal.h"

static void publish_cell(const struct metric_def *def, const struct metrics_cell *cell,
                         struct disclosure_cell *out)
{
	out->has_numerator = disclosure_kind_has_numerator(def->kind);
	out->numerator = out->has_numerator ? cell->numerator : 0;
	out->has_denominator = disclosure_kind_has_denominator(def->kind);
	out->denominator = out->has_denominator ? cell->denominator : 0;
	disclosure_set_value(def, cell->quantile_2s, out);
	/* issue 14: the interval of a published quantile and the expected count
	 * of a published advocate group go with their cell */
	out->has_quantile_interval = out->has_value && cell->has_quantile_interval;
	out->quantile_low_s = out->has_quantile_interval ? cell->quantile_low_s : 0;
	out->quantile_high_s = out->has_quantile_interval ? cell->quantile_high_s : 0;
	out->has_expected = cell->has_expected;
	out->expected = cell->has_expected ? cell->expected : 0.0;
}

/* Suppress mode: decides every published cell, then writes out->tables. */
static bool protect_suppress(const struct release_view *view, int min_cell,
                             struct disclosure_result *out)
{
	struct disclosure_suppress_stats stats;
	if (!disclosure_suppress(view, min_cell, out->secret, &stats))
		return false;
	size_t offset = 0;
	for (size_t i = 0; i < view->raw.table_count; i++) {
		const struct metrics_table *t = &view->raw.tables[i];
		const struct metric_def *def = &metrics_catalog[t->metric];
		struct disclosure_table *dt = &out->tables[i];
		for (size_t c = 0; c < (size_t)dt->published_rows * t->group_count; c++) {
			const struct metrics_cell *cell = &t->cells[c];
			bool safe = cell->children >= min_cell &&
			            disclosure_primary_fields(def->kind, cell, min_cell) == 0;
			dt->counts.cells++;
			dt->counts.safe += safe;
			bool primary = (out->secret[offset + c] & DISCLOSURE_WHY_PRIMARY) != 0;
			out->secret[offset + c] &= DISCLOSURE_SECRET_FIELDS;
			if (!out->secret[offset + c]) {
				publish_cell(def, cell, &dt->cells[c]);
				dt->counts.safe_published += safe;
				continue;
			}
			dt->cells[c].suppressed = true; /* every number null */
			uint8_t state = view->tables[i].state[c];
			if (state & RELEASE_FROZEN)
				dt->counts.frozen++;
			else if (primary)
				dt->counts.primary++;
			else
				dt->counts.secondary++;
		}
		offset += (size_t)t->period_count * t->group_count;
	}
	out->suppressed_primary = stats.primary;
	out->suppressed_secondary = stats.secondary;
	out->suppressed_frozen = stats.frozen;
	out->unprotected = stats.unprotected;
	if (stats.unprotected > 0)
		log_warnx("disclosure: %llu secret counts have less than k - 1 of room",
		          (unsigned long long)stats.unprotected);
	return true;
}

/* -fanalyzer: "leak of strdup" stored at a variable index of out->counties
 * (GCC 12 does not follow it); a failed layout is freed by disclosure_free(). */
CASA_ANALYZER_IGNORE("-Wanalyzer-malloc-leak")
/* Lays out out->tables like the view's (cells zeroed, provisional marks). */
static bool layout(const struct release_view *view, struct disclosure_result *out)
{
	const struct metrics_result *raw = &view->raw;
	size_t total = 0;
	if (raw->county_count > 0) {
		out->counties = calloc(raw->county_count, sizeof(char *));
		if (out->counties == NULL)
			return false;
		out->county_count = raw->county_count;
		for (size_t i = 0; i < raw->county_count; i++) {
			out->counties[i] = strdup(raw->counties[i]);
			if (out->counties[i] == NULL)
				return false;
		}
	}
	out->tables = calloc(raw->table_count + 1, sizeof(*out->tables));
	if (out->tables == NULL)
		return false;
	out->table_count = raw->table_count;
	for (size_t i = 0; i < raw->table_count; i++) {
		const struct metrics_table *t = &raw->tables[i];
		const struct release_table *rt = &view->tables[i];
		struct disclosure_table *dt = &out->tables[i];
		dt->metric = t->metric;
		dt->period_type = t->period_type;
		dt->dim = t->dim;
		dt->first_period = t->first_period;
		dt->period_count = t->period_count;
		dt->group_count = t->group_count;
		dt->published = rt->published;
		dt->published_rows = rt->published_rows;
		size_t n = (size_t)t->period_count * t->group_count;
		dt->cells = calloc(n ? n : 1, sizeof(*dt->cells));
		if (dt->cells == NULL)
			return false;
		for (size_t c = 0; c < n; c++)
			dt->cells[c].provisional = !(rt->state[c] & RELEASE_SETTLED);
		total += n;
	}
	out->secret = calloc(total ? total : 1, 1);
	return out->secret != NULL;
}
CASA_ANALYZER_END

bool disclosure_protect(const struct release_view *view, const struct disclosure_options *options,
                        struct disclosure_result *out, char err[DISCLOSURE_ERROR_LEN])
{
	memset(out, 0, sizeof(*out));
	int min_cell = options->min_cell;
	if (min_cell < DISCLOSURE_MIN_CELL_FLOOR) {
		/* SPEC §5: k is never below 5, whatever the configuration says. */
		log_warnx("disclosure: min_cell %d raised to %d", min_cell,
		          DISCLOSURE_MIN_CELL_FLOOR);
		min_cell = DISCLOSURE_MIN_CELL_FLOOR;
	}
	out->as_of = view->raw.as_of;
	out->fy_start_month = view->raw.fy_start_month;
	out->mode = options->mode;
	out->min_cell = min_cell;
	out->epsilon = options->mode == DISCLOSURE_DP ? options->epsilon : 0.0;
	out->plan = view->plan;
	out->settle_days = view->settle_days;
	out->revision = view->revision;
	if (!layout(view, out))
		goto oom;
	if (options->mode == DISCLOSURE_DP) {
		if (!disclosure_dp_fill(view, options, min_cell, out))
			goto oom;
		return true;
	}
	if (!protect_suppress(view, min_cell, out))
		goto oom;
	return true;
oom:
	snprintf(err, DISCLOSURE_ERROR_LEN, "disclosure: out of memory");
	disclosure_free(out);
	return false;
}

void disclosure_free(struct disclosure_result *result)
{
	if (result == NULL)
		return;
	for (size_t i = 0; i < result->table_count; i++)
		free(result->tables[i].cells);
	free(result->tables);
	for (size_t i = 0; i < result->county_count; i++)
		free(result->counties[i]);
	free(result->counties);
	free(result->secret);
	memset(result, 0, sizeof(*result));
}

const struct disclosure_table *disclosure_table_find(const struct disclosure_result *result,
                                                     enum metric_id metric,
                                                     enum period_type period_type, enum dim dim)
{
	for (size_t i = 0; i < result->table_count; i++) {
		const struct disclosure_table *t = &result->tables[i];
		if (t->metric == metric && t->period_type == period_type && t->dim == dim)
			return t;
	}
	return NULL;
}

const char *disclosure_group_label(const struct disclosure_result *result, enum dim dim,
                                   uint32_t group)
{
	if (dim == DIM_COUNTY)
		return group < result->county_count ? result->counties[group] : NULL;
	return metrics_group_label(dim, group);
}
