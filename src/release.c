/*
 * release.c — the publication plan, settling, and the ledger of frozen cells
 * (include/casa/release.h; docs/privacy.md "Releases").
 *
 * The view of a release is today's counts with every settled cell replaced
 * by its frozen counts, and every count that adds up over time re-summed
 * from the (frozen) months, so that all tables of one release agree with
 * each other and with every earlier release.
 */
#include "casa/release.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "release_internal.h"

/* ---- publication plan ---- */

#define PERIODS_WITH_BREAKDOWNS                                                                    \
	(PERIOD_BIT(PERIOD_QUARTER) | PERIOD_BIT(PERIOD_YEAR) | PERIOD_BIT(PERIOD_FISCAL_YEAR))
#define ALL_DIMS ((1u << DIM_COUNT) - 1u)

void release_plan_default(struct release_plan *plan)
{
	for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
		plan->dims[p] =
		    (PERIODS_WITH_BREAKDOWNS & PERIOD_BIT(p)) ? ALL_DIMS : DIM_BIT(DIM_TOTAL);
}

bool release_plan_has(const struct release_plan *plan, enum period_type type, enum dim dim)
{
	return (unsigned)type < PERIOD_TYPE_COUNT && (plan->dims[type] & DIM_BIT(dim)) != 0;
}

static bool is_separator(char c)
{
	return c == ' ' || c == ',' || c == '\t';
}

/* Parses the dims of one token ("all", "total", "county+advocate"). */
static bool parse_dims(const char *text, size_t n, uint32_t *out)
{
	if (n == 3 && memcmp(text, "all", 3) == 0) {
		*out = ALL_DIMS;
		return true;
	}
	uint32_t dims = 0;
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && text[j] != '+')
			j++;
		char name[32];
		if (j == i || j - i >= sizeof(name))
			return false;
		memcpy(name, text + i, j - i);
		name[j - i] = '\0';
		enum dim dim;
		if (!metrics_dim_parse(name, &dim))
			return false;
		dims |= DIM_BIT(dim);
		i = j + 1;
		if (j + 1 == n && text[j] == '+')
			return false; /* trailing '+' */
	}
	if (dims == 0)
		return false;
	/* a breakdown is read against its total */
	*out = dims | DIM_BIT(DIM_TOTAL);
	return true;
}

bool release_plan_parse(const char *text, struct release_plan *plan, char err[RELEASE_ERROR_LEN])
{
	struct release_plan parsed = {{0}};
	bool seen[PERIOD_TYPE_COUNT] = {false};
	size_t i = 0, len = strlen(text);
	while (i < len) {
		while (i < len && is_separator(text[i]))
			i++;
		if (i == len)
			break;
		size_t j = i;
		while (j < len && !is_separator(text[j]))
			j++;
		const char *token = text + i;
		size_t n = j - i;
		const char *colon = memchr(token, ':', n);
		char type_name[32];
		size_t type_len = colon ? (size_t)(colon - token) : 0;
		enum period_type type;
		if (colon == NULL || type_len == 0 || type_len >= sizeof(type_name)) {
			snprintf(err, RELEASE_ERROR_LEN,
			         "\"%.*s\" is not <period type>:<breakdowns> (e.g. "
			         "quarter:all, month:total)",
			         (int)(n > 40 ? 40 : n), token);
			return false;
		}
		memcpy(type_name, token, type_len);
		type_name[type_len] = '\0';
		if (!period_type_parse(type_name, &type)) {
			snprintf(err, RELEASE_ERROR_LEN,
			         "unknown period type (allowed: month, quarter, year, "
			         "fiscal_year)");
			return false;
		}
		if (seen[type]) {
			snprintf(err, RELEASE_ERROR_LEN, "%s named twice", type_name);
			return false;
		}
		seen[type] = true;
		if (!parse_dims(colon + 1, n - type_len - 1, &parsed.dims[type])) {
			snprintf(
			    err, RELEASE_ERROR_LEN,
			    "%s: breakdowns must be all, total, or names joined by '+' "
			    "(total, county, age_band, sex, race_ethnicity, advocate, los_band, "
			    "setting)",
			    type_name);
			return false;
		}
		i = j;
	}
	*plan = parsed;
	return true;
}

void release_plan_format(const struct release_plan *plan, char out[RELEASE_PLAN_TEXT_LEN])
{
	size_t n = 0;
	out[0] = '\0';
	for (int p = 0; p < PERIOD_TYPE_COUNT; p++) {
		uint32_t dims = plan->dims[p];
		if (dims == 0)
			continue;
		n += (size_t)snprintf(out + n, RELEASE_PLAN_TEXT_LEN - n, "%s%s:", n ? " " : "",
		                      period_type_name((enum period_type)p));
		if (dims == ALL_DIMS) {
			n += (size_t)snprintf(out + n, RELEASE_PLAN_TEXT_LEN - n, "all");
			continue;
		}
		bool first = true;
		for (int d = 0; d < DIM_COUNT; d++) {
			if (!(dims & DIM_BIT(d)))
				continue;
			n += (size_t)snprintf(out + n, RELEASE_PLAN_TEXT_LEN - n, "%s%s",
			                      first ? "" : "+", metrics_dim_name((enum dim)d));
			first = false;
		}
	}
}

/* ---- settling ---- */

bool release_settled(enum period_type type, int fy_start_month, int32_t period, int lag_days,
                     int settle_days, int32_t as_of)
{
	int64_t ready =
	    (int64_t)period_last_day(type, fy_start_month, period) + lag_days + settle_days;
	return ready <= as_of;
}

/* ---- the ledger in memory ---- */

bool release_settings_equal(const struct release_settings *a, const struct release_settings *b)
{
	return a->min_cell == b->min_cell && a->fy_start_month == b->fy_start_month &&
	       a->settle_days == b->settle_days && a->screening_window_s == b->screening_window_s &&
	       a->mode == b->mode && a->epsilon == b->epsilon &&
	       memcmp(a->plan.dims, b->plan.dims, sizeof(a->plan.dims)) == 0 &&
	       strcmp(a->timezone, b->timezone) == 0;
}

struct release_ledger *release_ledger_new(const struct release_settings *settings)
{
	struct release_ledger *ledger = calloc(1, sizeof(*ledger));
	if (ledger != NULL)
		ledger->settings = *settings;
	return ledger;
}

void release_ledger_free(struct release_ledger *ledger)
{
	if (ledger == NULL)
		return;
	for (size_t i = 0; i < ledger->table_count; i++)
		free(ledger->tables[i].cells);
	free(ledger->tables);
	for (size_t i = 0; i < ledger->county_count; i++)
		free(ledger->counties[i]);
	free(ledger->counties);
	free(ledger);
}

const struct release_settings *release_ledger_settings(const struct release_ledger *ledger)
{
	return &ledger->settings;
}

const char *release_ledger_source(const struct release_ledger *ledger)
{
	return ledger->source;
}

uint64_t release_ledger_cells(const struct release_ledger *ledger)
{
	uint64_t n = 0;
	for (size_t i = 0; i < ledger->table_count; i++)
		n += (uint64_t)ledger->tables[i].row_count * ledger->tables[i].group_count;
	return n;
}

const struct release_frozen_table *release_ledger_find(const struct release_ledger *ledger,
                                                       enum metric_id metric, enum period_type type,
                                                       enum dim dim)
{
	long key = metrics_table_key(metric, type, dim);
	size_t lo = 0, hi = ledger->table_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct release_frozen_table *t = &ledger->tables[mid];
		long k = metrics_table_key(t->metric, t->period_type, t->dim);
		if (k == key)
			return t;
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Counts that add up over time for metric m (they are re-summed from the
 * months): the catalog's time_additive bits, which are RELEASE_FIELD_*. */
uint8_t release_additive_fields(enum metric_id metric)
{
	_Static_assert(METRIC_COUNT_NUMERATOR == RELEASE_FIELD_NUM &&
	                   METRIC_COUNT_DENOMINATOR == RELEASE_FIELD_DEN,
	               "time_additive bits are the release's field bits");
	return metrics_catalog[metric].time_additive;
}

/* ---- the view ---- */

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Index of name in a sorted list, or -1. */
static long find_name(char *const *names, size_t n, const char *name)
{
	char *const *hit = bsearch(&name, names, n, sizeof(*names), compare_names);
	return hit ? (long)(hit - names) : -1;
}

/* -fanalyzer: "leak of strdup/calloc" where the copy is stored at a variable
 * index of a heap array (GCC 12 does not follow such a pointer, as in
 * http_files.c); on failure the caller frees the whole view or ledger with
 * release_view_free() / release_ledger_free(), which free every element. */
CASA_ANALYZER_IGNORE("-Wanalyzer-malloc-leak")
/* The union of today's counties and the ledger's, sorted; remaps of both
 * into it. */
static bool union_counties(const struct metrics_result *today, const struct release_ledger *ledger,
                           struct metrics_result *out, uint32_t **today_map, uint32_t **ledger_map)
{
	size_t n_today = today->county_count, n_ledger = ledger ? ledger->county_count : 0;
	char **all = calloc(n_today + n_ledger + 1, sizeof(*all));
	if (all == NULL)
		return false;
	size_t n = 0;
	for (size_t i = 0; i < n_today; i++)
		all[n++] = today->counties[i];
	for (size_t i = 0; i < n_ledger; i++)
		all[n++] = ledger->counties[i];
	qsort(all, n, sizeof(*all), compare_names);
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++)
		if (distinct == 0 || strcmp(all[distinct - 1], all[i]) != 0)
			all[distinct++] = all[i];
	out->counties = calloc(distinct + 1, sizeof(char *));
	*today_map = calloc(n_today + 1, sizeof(uint32_t));
	*ledger_map = calloc(n_ledger + 1, sizeof(uint32_t));
	if (out->counties == NULL || *today_map == NULL || *ledger_map == NULL) {
		free(all);
		return false;
	}
	for (size_t i = 0; i < distinct; i++) {
		out->counties[i] = strdup(all[i]);
		if (out->counties[i] == NULL) {
			free(all);
			return false;
		}
		out->county_count = i + 1;
	}
	free(all);
	for (size_t i = 0; i < n_today; i++)
		(*today_map)[i] = (uint32_t)find_name(out->counties, distinct, today->counties[i]);
	for (size_t i = 0; i < n_ledger; i++)
		(*ledger_map)[i] =
		    (uint32_t)find_name(out->counties, distinct, ledger->counties[i]);
	return true;
}
CASA_ANALYZER_END

/* Group g of the view in a source table whose county list is mapped by map
 * (NULL for fixed dims): the source group index, or -1. Linear in counties
 * only through the inverse map built by the caller. */
static void invert_map(const uint32_t *map, size_t n, long *inverse, size_t view_n)
{
	for (size_t g = 0; g < view_n; g++)
		inverse[g] = -1;
	for (size_t i = 0; i < n; i++)
		inverse[map[i]] = (long)i;
}

static bool cell_in(int32_t first, uint32_t count, int32_t period)
{
	return period >= first && period < first + (int32_t)count;
}

static bool counts_differ(const struct metrics_cell *a, const struct release_frozen_cell *b)
{
	return a->numerator != b->numerator || a->denominator != b->denominator ||
	       a->children != b->children || a->quantile_2s != b->quantile_2s;
}

/* The frozen counts of a cell. Today's quantile interval and expected count
 * (issue 14) stay only when today's counts are the frozen ones: else they
 * describe rows the release does not publish, and would move with them. */
static void copy_counts(struct metrics_cell *dst, const struct release_frozen_cell *src)
{
	if (counts_differ(dst, src)) {
		dst->has_quantile_interval = false;
		dst->quantile_low_s = dst->quantile_high_s = 0;
		dst->has_expected = false;
		dst->expected = 0.0;
	}
	dst->numerator = src->numerator;
	dst->denominator = src->denominator;
	dst->children = src->children;
	dst->quantile_2s = src->quantile_2s;
}

/* Today's counts of one cell by period and view group (zero when today has
 * no such cell). */
static struct metrics_cell today_cell(const struct metrics_result *today, enum metric_id m,
                                      enum period_type type, enum dim dim, int32_t period,
                                      uint32_t g, const long *today_inverse)
{
	struct metrics_cell none = {0};
	const struct metrics_table *t = metrics_table_find(today, m, type, dim);
	long sg = dim == DIM_COUNTY ? today_inverse[g] : (long)g;
	if (t == NULL || sg < 0 || (uint32_t)sg >= t->group_count ||
	    !cell_in(t->first_period, t->period_count, period))
		return none;
	return t->cells[(size_t)(period - t->first_period) * t->group_count + (size_t)sg];
}

/* Re-sums the additive counts of every longer-period cell of metric m from
 * the view's months, so a frozen month is what every longer period holds.
 * What today's longer cell holds outside its months (counts dated before
 * the first month) is kept, and the cell marked RELEASE_OUTSIDE. */
static void resum_from_months(struct release_view *view, const struct metrics_result *today,
                              const long *today_inverse, enum metric_id m)
{
	uint8_t fields = release_additive_fields(m);
	if (fields == 0)
		return;
	struct metrics_result *raw = &view->raw;
	int fy = raw->fy_start_month;
	for (size_t i = 0; i < raw->table_count; i++) {
		struct metrics_table *t = &raw->tables[i];
		if (t->metric != m || t->period_type == PERIOD_MONTH)
			continue;
		const struct metrics_table *months =
		    metrics_table_find(raw, m, PERIOD_MONTH, t->dim);
		if (months == NULL || months->group_count != t->group_count)
			continue;
		for (uint32_t p = 0; p < t->period_count; p++) {
			int32_t period = t->first_period + (int32_t)p;
			int32_t m0 = period_index_of(PERIOD_MONTH, fy,
			                             period_first_day(t->period_type, fy, period));
			int32_t m1 = period_index_of(PERIOD_MONTH, fy,
			                             period_last_day(t->period_type, fy, period));
			for (uint32_t g = 0; g < t->group_count; g++) {
				struct metrics_cell whole = today_cell(
				    today, m, t->period_type, t->dim, period, g, today_inverse);
				int64_t num = whole.numerator, den = whole.denominator;
				for (int32_t mo = m0; mo <= m1; mo++) {
					struct metrics_cell part = today_cell(
					    today, m, PERIOD_MONTH, t->dim, mo, g, today_inverse);
					num -= part.numerator;
					den -= part.denominator;
				}
				bool outside = ((fields & RELEASE_FIELD_NUM) && num != 0) ||
				               ((fields & RELEASE_FIELD_DEN) && den != 0);
				if (outside)
					view->tables[i].state[(size_t)p * t->group_count + g] |=
					    RELEASE_OUTSIDE;
				for (int32_t mo = m0; mo <= m1; mo++) {
					if (!cell_in(months->first_period, months->period_count,
					             mo))
						continue;
					const struct metrics_cell *c =
					    &months->cells[(size_t)(mo - months->first_period) *
					                       months->group_count +
					                   g];
					num += c->numerator;
					den += c->denominator;
				}
				struct metrics_cell *cell =
				    &t->cells[(size_t)p * t->group_count + g];
				bool moved =
				    ((fields & RELEASE_FIELD_NUM) && cell->numerator != num) ||
				    ((fields & RELEASE_FIELD_DEN) && cell->denominator != den);
				if (moved) { /* as copy_counts: today's extras no longer fit */
					cell->has_quantile_interval = false;
					cell->has_expected = false;
				}
				if (fields & RELEASE_FIELD_NUM)
					cell->numerator = num;
				if (fields & RELEASE_FIELD_DEN)
					cell->denominator = den;
			}
		}
	}
}

/* -fanalyzer: "leak of strdup/calloc" where the copy is stored at a variable
 * index of a heap array (GCC 12 does not follow such a pointer, as in
 * http_files.c); on failure the caller frees the whole view or ledger with
 * release_view_free() / release_ledger_free(), which free every element. */
CASA_ANALYZER_IGNORE("-Wanalyzer-malloc-leak")
/* Builds view table i from today's table and the ledger's. */
static bool view_table(struct release_view *view, size_t i, const struct metrics_result *today,
                       const struct release_ledger *ledger, const long *today_inverse,
                       const long *ledger_inverse, const struct release_options *options)
{
	const struct metrics_table *src = &today->tables[i];
	struct metrics_table *t = &view->raw.tables[i];
	struct release_table *rt = &view->tables[i];
	const struct release_frozen_table *frozen =
	    ledger ? release_ledger_find(ledger, src->metric, src->period_type, src->dim) : NULL;
	const int fy = today->fy_start_month;
	const int lag =
	    metrics_observation_lag_days(src->metric, options->settings.screening_window_s);

	t->metric = src->metric;
	t->period_type = src->period_type;
	t->dim = src->dim;
	t->first_period = src->first_period;
	if (frozen != NULL && frozen->row_count > 0 && frozen->first_period < t->first_period)
		t->first_period = frozen->first_period;
	int32_t last = src->first_period + (int32_t)src->period_count - 1;
	t->period_count = (uint32_t)(last - t->first_period + 1);
	t->group_count =
	    src->dim == DIM_COUNTY ? (uint32_t)view->raw.county_count : src->group_count;
	size_t n = (size_t)t->period_count * t->group_count;
	t->cells = calloc(n ? n : 1, sizeof(*t->cells));
	rt->state = calloc(n ? n : 1, 1);
	if (t->cells == NULL || rt->state == NULL)
		return false;
	rt->published = release_plan_has(&options->settings.plan, t->period_type, t->dim);
	rt->lag_days = lag;

	for (uint32_t p = 0; p < t->period_count; p++) {
		int32_t period = t->first_period + (int32_t)p;
		bool settled = release_settled(t->period_type, fy, period, lag,
		                               options->settings.settle_days, today->as_of);
		for (uint32_t g = 0; g < t->group_count; g++) {
			size_t c = (size_t)p * t->group_count + g;
			long sg = src->dim == DIM_COUNTY ? today_inverse[g] : (long)g;
			if (sg >= 0 && cell_in(src->first_period, src->period_count, period))
				t->cells[c] = src->cells[(size_t)(period - src->first_period) *
				                             src->group_count +
				                         (size_t)sg];
			rt->state[c] = settled ? RELEASE_SETTLED : 0;
			if (!settled || frozen == NULL ||
			    !cell_in(frozen->first_period, frozen->row_count, period))
				continue;
			/* A frozen period: every group has a frozen cell; a group
			 * the ledger did not know had no rows then (zero). */
			long fg = src->dim == DIM_COUNTY ? ledger_inverse[g] : (long)g;
			struct release_frozen_cell zero = {0};
			const struct release_frozen_cell *f =
			    fg >= 0 && (uint32_t)fg < frozen->group_count
			        ? &frozen->cells[(size_t)(period - frozen->first_period) *
			                             frozen->group_count +
			                         (size_t)fg]
			        : &zero;
			if (!view->revision) {
				copy_counts(&t->cells[c], f);
				rt->state[c] |=
				    (uint8_t)(RELEASE_FROZEN |
				              ((f->secret & 0x03u) << RELEASE_SECRET_SHIFT));
				continue;
			}
			if (!(f->flags & RELEASE_FROZEN_PUBLISHED))
				continue;
			if (rt->prev == NULL) {
				rt->prev = calloc(n ? n : 1, sizeof(*rt->prev));
				if (rt->prev == NULL)
					return false;
			}
			copy_counts(&rt->prev[c], f);
			rt->state[c] |= RELEASE_PREVIOUS;
			/* the secret bits of the earlier release: a count hidden
			 * then stays unknown; one published then is known */
			rt->state[c] |= (uint8_t)((f->secret & 0x03u) << RELEASE_SECRET_SHIFT);
			if (counts_differ(&t->cells[c], f) && rt->published)
				view->revised_cells++;
		}
	}
	return true;
}
CASA_ANALYZER_END

/* Rows 0..n-1 published: all of a total's, the leading settled rows of a
 * breakdown's (settling goes in period order). */
static void set_published_rows(struct release_view *view, size_t i)
{
	struct metrics_table *t = &view->raw.tables[i];
	struct release_table *rt = &view->tables[i];
	if (!rt->published) {
		rt->published_rows = 0;
		return;
	}
	if (t->dim == DIM_TOTAL) {
		rt->published_rows = t->period_count;
		return;
	}
	uint32_t rows = 0;
	while (rows < t->period_count &&
	       (rt->state[(size_t)rows * t->group_count] & RELEASE_SETTLED))
		rows++;
	if (t->group_count == 0) {
		/* no group at all: as many rows as are settled */
		int fy = view->raw.fy_start_month;
		while (rows < t->period_count &&
		       release_settled(t->period_type, fy, t->first_period + (int32_t)rows,
		                       rt->lag_days, view->settle_days, view->raw.as_of))
			rows++;
	}
	rt->published_rows = rows;
}

bool release_apply(const struct metrics_result *today, const struct release_ledger *ledger,
                   const struct release_options *options, struct release_view *out,
                   char err[RELEASE_ERROR_LEN])
{
	uint32_t *today_map = NULL, *ledger_map = NULL;
	long *today_inverse = NULL, *ledger_inverse = NULL;
	memset(out, 0, sizeof(*out));
	out->plan = options->settings.plan;
	out->settle_days = options->settings.settle_days;
	out->revision =
	    ledger != NULL &&
	    (options->revise || !release_settings_equal(&ledger->settings, &options->settings));
	out->raw.as_of = today->as_of;
	out->raw.fy_start_month = today->fy_start_month;
	if (today->fy_start_month != options->settings.fy_start_month) {
		snprintf(err, RELEASE_ERROR_LEN,
		         "release: metrics computed with another fiscal year start");
		return false;
	}
	if (!union_counties(today, ledger, &out->raw, &today_map, &ledger_map))
		goto oom;
	size_t view_counties = out->raw.county_count;
	today_inverse = malloc((view_counties + 1) * sizeof(long));
	ledger_inverse = malloc((view_counties + 1) * sizeof(long));
	if (today_inverse == NULL || ledger_inverse == NULL)
		goto oom;
	invert_map(today_map, today->county_count, today_inverse, view_counties);
	invert_map(ledger_map, ledger ? ledger->county_count : 0, ledger_inverse, view_counties);

	out->raw.tables = calloc(today->table_count + 1, sizeof(*out->raw.tables));
	out->tables = calloc(today->table_count + 1, sizeof(*out->tables));
	if (out->raw.tables == NULL || out->tables == NULL)
		goto oom;
	out->raw.table_count = today->table_count;
	for (size_t i = 0; i < today->table_count; i++)
		if (!view_table(out, i, today, ledger, today_inverse, ledger_inverse, options))
			goto oom;
	for (int m = 0; m < METRIC_COUNT; m++)
		resum_from_months(out, today, today_inverse, (enum metric_id)m);
	for (size_t i = 0; i < today->table_count; i++)
		set_published_rows(out, i);
	free(today_map);
	free(ledger_map);
	free(today_inverse);
	free(ledger_inverse);
	return true;
oom:
	snprintf(err, RELEASE_ERROR_LEN, "release: out of memory");
	free(today_map);
	free(ledger_map);
	free(today_inverse);
	free(ledger_inverse);
	release_view_free(out);
	return false;
}

void release_view_free(struct release_view *view)
{
	if (view == NULL)
		return;
	for (size_t i = 0; i < view->raw.table_count; i++) {
		free(view->raw.tables[i].cells);
		if (view->tables != NULL) {
			free(view->tables[i].state);
			free(view->tables[i].prev);
		}
	}
	free(view->raw.tables);
	free(view->tables);
	for (size_t i = 0; i < view->raw.county_count; i++)
		free(view->raw.counties[i]);
	free(view->raw.counties);
	memset(view, 0, sizeof(*view));
}

/* ---- the next ledger ---- */

/* Leading settled rows of view table i (settling goes in period order). */
static uint32_t settled_rows(const struct release_view *view, size_t i)
{
	const struct metrics_table *t = &view->raw.tables[i];
	const struct release_table *rt = &view->tables[i];
	int fy = view->raw.fy_start_month;
	uint32_t rows = 0;
	while (rows < t->period_count) {
		bool settled =
		    t->group_count > 0
		        ? (rt->state[(size_t)rows * t->group_count] & RELEASE_SETTLED) != 0
		        : release_settled(t->period_type, fy, t->first_period + (int32_t)rows,
		                          rt->lag_days, view->settle_days, view->raw.as_of);
		if (!settled)
			break;
		rows++;
	}
	return rows;
}

/* -fanalyzer: "leak of strdup/calloc" where the copy is stored at a variable
 * index of a heap array (GCC 12 does not follow such a pointer, as in
 * http_files.c); on failure the caller frees the whole view or ledger with
 * release_view_free() / release_ledger_free(), which free every element. */
CASA_ANALYZER_IGNORE("-Wanalyzer-malloc-leak")
struct release_ledger *release_commit(const struct release_view *view, const uint8_t *secret,
                                      const struct release_options *options,
                                      char err[RELEASE_ERROR_LEN])
{
	struct release_ledger *ledger = release_ledger_new(&options->settings);
	if (ledger == NULL)
		goto oom;
	memcpy(ledger->source, options->source, sizeof(ledger->source));
	const struct metrics_result *raw = &view->raw;
	ledger->counties = calloc(raw->county_count + 1, sizeof(char *));
	ledger->tables = calloc(raw->table_count + 1, sizeof(*ledger->tables));
	if (ledger->counties == NULL || ledger->tables == NULL)
		goto oom;
	for (size_t i = 0; i < raw->county_count; i++) {
		ledger->counties[i] = strdup(raw->counties[i]);
		if (ledger->counties[i] == NULL)
			goto oom;
		ledger->county_count = i + 1;
	}
	size_t offset = 0;
	for (size_t i = 0; i < raw->table_count; i++) {
		const struct metrics_table *t = &raw->tables[i];
		const struct release_table *rt = &view->tables[i];
		size_t cells = (size_t)t->period_count * t->group_count;
		bool month_basis =
		    t->period_type == PERIOD_MONTH && release_additive_fields(t->metric) != 0;
		uint32_t rows = settled_rows(view, i);
		if ((!rt->published && !month_basis) || rows == 0) {
			offset += cells;
			continue;
		}
		struct release_frozen_table *f = &ledger->tables[ledger->table_count];
		f->metric = t->metric;
		f->period_type = t->period_type;
		f->dim = t->dim;
		f->first_period = t->first_period;
		f->row_count = rows;
		f->group_count = t->group_count;
		size_t n = (size_t)rows * t->group_count;
		f->cells = calloc(n ? n : 1, sizeof(*f->cells));
		if (f->cells == NULL)
			goto oom;
		ledger->table_count++;
		for (size_t c = 0; c < n; c++) {
			const struct metrics_cell *src = &t->cells[c];
			struct release_frozen_cell *dst = &f->cells[c];
			dst->numerator = src->numerator;
			dst->denominator = src->denominator;
			dst->children = src->children;
			dst->quantile_2s = src->quantile_2s;
			dst->flags = rt->published ? RELEASE_FROZEN_PUBLISHED : 0;
			dst->secret =
			    rt->published && secret ? (uint8_t)(secret[offset + c] & 0x03u) : 0;
		}
		offset += cells;
	}
	/* tables are in (metric, period type, dim) order, as metrics lays them */
	return ledger;
oom:
	snprintf(err, RELEASE_ERROR_LEN, "release: out of memory");
	release_ledger_free(ledger);
	return NULL;
}
CASA_ANALYZER_END
