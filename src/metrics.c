/*
 * metrics.c — the metric catalog, group labels, table layout and lookups,
 * and metrics_compute(), which lays out every table and runs the passes of
 * metrics_placement.c and metrics_runaway.c (two threads when available).
 * The reading of every rule is docs/metrics.md.
 */
#include "metrics_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Breakdowns shared by every metric (SPEC §4 "Breakdowns"). */
#define DIMS_BASE                                                                                  \
	(DIM_BIT(DIM_TOTAL) | DIM_BIT(DIM_COUNTY) | DIM_BIT(DIM_AGE_BAND) | DIM_BIT(DIM_SEX) |     \
	 DIM_BIT(DIM_RACE_ETHNICITY) | DIM_BIT(DIM_ADVOCATE))
/* Runaway metrics add the setting (docs/metrics.md). */
#define DIMS_RUNAWAY (DIMS_BASE | DIM_BIT(DIM_SETTING))
#define PERIODS_ALL                                                                                \
	(PERIOD_BIT(PERIOD_MONTH) | PERIOD_BIT(PERIOD_QUARTER) | PERIOD_BIT(PERIOD_YEAR) |         \
	 PERIOD_BIT(PERIOD_FISCAL_YEAR))
/* Entry cohorts are annual (CFSR round 4 uses fiscal-year entries). */
#define PERIODS_ANNUAL (PERIOD_BIT(PERIOD_YEAR) | PERIOD_BIT(PERIOD_FISCAL_YEAR))

/* SPEC §4 default screening window: 72 hours after return. */
#define DEFAULT_SCREENING_WINDOW_S (72 * 3600)
/* SPEC §3: default fiscal year = US federal (October). */
#define DEFAULT_FY_START_MONTH 10

const struct metric_def metrics_catalog[METRIC_COUNT] = {
    [METRIC_PLACEMENT_MOVES_PER_1000_DAYS] =
        {"placement_moves_per_1000_days", "Placement moves per 1,000 days (entry cohort)",
         "per 1,000 days in care",
         "Federal CFSR round 4 placement-stability indicator. Cohort: episodes with removal_date "
         "in the period, child under 18 at removal, and at least 8 days in care in all (to "
         "discharge, or through as_of). Each is observed from removal to the earliest of "
         "discharge, 18th birthday, end of period, or as_of. Denominator: days in care observed. "
         "Numerator: placement moves observed (a move is the start of each non-temporary "
         "placement after the first, unless it returns to the same provider). A child with two "
         "entries in the period counts both. Lower is better; national performance about 4.48 "
         "(entries in FY2021).",
         METRIC_KIND_RATE, 1000, DIMS_BASE, PERIODS_ANNUAL, false, false, false},
    [METRIC_MOVES_PER_1000_DAYS_IN_CARE] =
        {"moves_per_1000_days_in_care", "Placement moves per 1,000 days in care",
         "per 1,000 days in care",
         "Every episode: placement moves dated inside the period per 1,000 days in care inside "
         "the period. No age or length-of-stay exclusion. Lower is better.",
         METRIC_KIND_RATE, 1000, DIMS_BASE, PERIODS_ALL, false, true, false},
    [METRIC_TWO_OR_FEWER_PLACEMENTS_PCT] =
        {"two_or_fewer_placements_pct", "Two or fewer placement settings", "percent",
         "Children served in the period, using the child's latest episode served: time in care "
         "from removal to the earliest of discharge, the day after the period ends and the day "
         "after as_of gives the length-of-stay band lt12m (8-364 days), 12to24m (365-729) or "
         "24mplus (730+); stays under 8 days are left out. Value: % whose episode had at most "
         "two placement settings (1 + moves) started before that point. Reference: the CFSR "
         "round 2 median state was 83.3%, 59.9%, 33.9% for the three bands (FY2004).",
         METRIC_KIND_PERCENT, 100, DIMS_BASE | DIM_BIT(DIM_LOS_BAND), PERIODS_ALL, true, false,
         true},
    [METRIC_RUNAWAY_EPISODES_PER_1000_DAYS] =
        {"runaway_episodes_per_1000_days", "Runaway episodes per 1,000 days in care",
         "per 1,000 days in care",
         "Missing episodes that begin in the period per 1,000 days in care in the period. By "
         "setting, a day in care takes the setting of the placement covering it; a missing "
         "episode takes the setting the child went missing from: the placement covering the day "
         "it began, unless that placement has the setting runaway and starts that day, in which "
         "case the placement before it.",
         METRIC_KIND_RATE, 1000, DIMS_RUNAWAY, PERIODS_ALL, false, true, false},
    [METRIC_YOUTH_WITH_RUNAWAY_PCT] =
        {"youth_with_runaway_pct", "Youth 12+ with a runaway episode", "percent",
         "Children served in the period who are 12 or older on their last day in care in the "
         "period: % with at least one missing episode beginning in the period.",
         METRIC_KIND_PERCENT, 100, DIMS_RUNAWAY, PERIODS_ALL, true, false, false},
    [METRIC_REPEAT_RUNAWAY_PCT] =
        {"repeat_runaway_pct", "Repeat runaways", "percent",
         "Children with a missing episode beginning in the period: % with two or more.",
         METRIC_KIND_PERCENT, 100, DIMS_RUNAWAY, PERIODS_ALL, true, false, false},
    [METRIC_DAYS_MISSING_MEDIAN] =
        {"days_missing_median", "Median days missing", "days",
         "Over missing episodes that end (the child returned) in the period: the median "
         "duration from went_missing_at to returned_at, in days, exact; the mean of the two "
         "middle values for an even count. Denominator: number of episodes.",
         METRIC_KIND_QUANTILE, 1, DIMS_RUNAWAY, PERIODS_ALL, false, false, false},
    [METRIC_DAYS_MISSING_P90] =
        {"days_missing_p90", "90th percentile of days missing", "days",
         "Over missing episodes that end (the child returned) in the period: the 90th "
         "percentile (nearest rank, the ceil(0.9 n)-th smallest) of the duration from "
         "went_missing_at to returned_at, in days, exact. Denominator: number of episodes.",
         METRIC_KIND_QUANTILE, 1, DIMS_RUNAWAY, PERIODS_ALL, false, false, false},
    [METRIC_RETURNED_WITHIN_7_DAYS_PCT] =
        {"returned_within_7_days_pct", "Returned within 7 days", "percent",
         "Missing episodes beginning in the period on or before as_of - 7 days: % whose return "
         "came within 168 hours.",
         METRIC_KIND_PERCENT, 100, DIMS_RUNAWAY, PERIODS_ALL, false, true, true},
    [METRIC_STILL_MISSING_COUNT] =
        {"still_missing_count", "Children still missing", "children",
         "Distinct children with a missing episode that began on or before the period's last "
         "day (or as_of) and had not ended by then.",
         METRIC_KIND_COUNT, 1, DIMS_RUNAWAY, PERIODS_ALL, true, false, false},
    [METRIC_REPORTED_LE_24H_PCT] =
        {"reported_le_24h_pct", "Reported to law enforcement within 24 hours", "percent",
         "Missing episodes beginning in the period: % with a report to law enforcement at or "
         "after the moment the agency learned of it (agency_informed_at, or went_missing_at when "
         "null) and within 24 hours of that moment (42 U.S.C. 671(a)(35)(B)).",
         METRIC_KIND_PERCENT, 100, DIMS_RUNAWAY, PERIODS_ALL, false, true, true},
    [METRIC_REPORTED_NCMEC_24H_PCT] =
        {"reported_ncmec_24h_pct", "Reported to NCMEC within 24 hours", "percent",
         "Missing episodes beginning in the period: % with a report to NCMEC at or after the "
         "moment the agency learned of it (agency_informed_at, or went_missing_at when null) "
         "and within 24 hours of that moment (42 U.S.C. 671(a)(35)(B)); the HHS OIG audit "
         "A-07-21-06102 found about 47% of episodes never reported to NCMEC and 22% late.",
         METRIC_KIND_PERCENT, 100, DIMS_RUNAWAY, PERIODS_ALL, false, true, true},
    [METRIC_SCREENED_AFTER_RETURN_PCT] =
        {"screened_after_return_pct", "Screened for trafficking after return", "percent",
         "Missing episodes ending in the period: % with a trafficking screening dated from the "
         "return to the end of the screening window after it (default 72 hours).",
         METRIC_KIND_PERCENT, 100, DIMS_RUNAWAY, PERIODS_ALL, false, true, true},
    [METRIC_SCREENED_POSITIVE_PCT] =
        {"screened_positive_pct", "Screened positive for trafficking", "percent",
         "Of the missing episodes ending in the period that were screened within the window "
         "after return: % with screen_result = positive.",
         METRIC_KIND_PERCENT, 100, DIMS_RUNAWAY, PERIODS_ALL, false, true, false},
    [METRIC_RUNAWAY_DISCHARGES_PCT] =
        {"runaway_discharges_pct", "Discharges to runaway", "percent",
         "Episodes discharged in the period: % with discharge_reason = runaway.",
         METRIC_KIND_PERCENT, 100, DIMS_RUNAWAY, PERIODS_ALL, false, true, false},
    [METRIC_RUNAWAY_WITHIN_12M_OF_ENTRY_PCT] =
        {"runaway_within_12m_of_entry_pct", "Runaway within 12 months of entry", "percent",
         "Entry cohort: episodes with removal_date in the period, child aged 12-17 at removal, "
         "more than 7 days in care in all. Window: from removal to the earlier of discharge and "
         "removal + 365 days (exclusive). Value: % with a missing episode beginning in the "
         "window (Illinois Children and Family Research Center outcome indicator). An episode "
         "whose window has not closed by as_of is left out of both sides.",
         METRIC_KIND_PERCENT, 100, DIMS_BASE, PERIODS_ANNUAL, false, false, false},
};

static const char *const dim_names[DIM_COUNT] = {
    "total", "county", "age_band", "sex", "race_ethnicity", "advocate", "los_band", "setting"};
static const char *const age_labels[AGE_BAND_COUNT] = {"0-5", "6-11", "12-14", "15-17", "18+"};
static const char *const advocate_labels[ADVOCATE_COUNT] = {"assigned", "not_assigned"};
static const char *const los_labels[LOS_BAND_COUNT] = {"lt12m", "12to24m", "24mplus"};
/* Setting groups: the source's setting codes (model_setting_codes), then
 * the days no placement covers. */
static const char no_placement_label[] = "no_placement";

const char *metrics_dim_name(enum dim dim)
{
	return (unsigned)dim < DIM_COUNT ? dim_names[dim] : NULL;
}

bool metrics_dim_parse(const char *name, enum dim *out)
{
	for (int d = 0; d < DIM_COUNT; d++) {
		if (strcmp(name, dim_names[d]) == 0) {
			*out = (enum dim)d;
			return true;
		}
	}
	return false;
}

static uint32_t fixed_group_count(enum dim dim)
{
	switch (dim) {
	case DIM_TOTAL:
		return 1;
	case DIM_AGE_BAND:
		return AGE_BAND_COUNT;
	case DIM_SEX:
		return SEX_COUNT;
	case DIM_RACE_ETHNICITY:
		return RACE_COUNT;
	case DIM_ADVOCATE:
		return ADVOCATE_COUNT;
	case DIM_LOS_BAND:
		return LOS_BAND_COUNT;
	case DIM_SETTING:
		return SETTING_GROUP_COUNT;
	case DIM_COUNTY:
	default:
		return 0;
	}
}

const char *metrics_group_label(enum dim dim, uint32_t group)
{
	if (group >= fixed_group_count(dim))
		return NULL;
	switch (dim) {
	case DIM_TOTAL:
		return "total";
	case DIM_AGE_BAND:
		return age_labels[group];
	case DIM_SEX:
		return model_sex_codes[group];
	case DIM_RACE_ETHNICITY:
		return model_race_codes[group];
	case DIM_ADVOCATE:
		return advocate_labels[group];
	case DIM_LOS_BAND:
		return los_labels[group];
	case DIM_SETTING:
		return group == SETTING_GROUP_NO_PLACEMENT ? no_placement_label
		                                           : model_setting_codes[group];
	case DIM_COUNTY:
	default:
		return NULL;
	}
}

bool metrics_find(const char *id, enum metric_id *out)
{
	for (int m = 0; m < METRIC_COUNT; m++) {
		if (strcmp(id, metrics_catalog[m].id) == 0) {
			*out = (enum metric_id)m;
			return true;
		}
	}
	return false;
}

const struct metrics_table *metrics_table_find(const struct metrics_result *result,
                                               enum metric_id metric, enum period_type period_type,
                                               enum dim dim)
{
	/* Tables are sorted by (metric, period type, dim): binary search. */
	size_t lo = 0, hi = result->table_count;
	long key = ((long)metric * PERIOD_TYPE_COUNT + (long)period_type) * DIM_COUNT + (long)dim;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct metrics_table *t = &result->tables[mid];
		long k = ((long)t->metric * PERIOD_TYPE_COUNT + (long)t->period_type) * DIM_COUNT +
		         (long)t->dim;
		if (k == key)
			return t;
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

uint32_t metrics_group_count(const struct metrics_result *result, enum dim dim)
{
	if (dim == DIM_COUNTY)
		return (uint32_t)result->county_count;
	return fixed_group_count(dim);
}

const char *metrics_result_group_label(const struct metrics_result *result, enum dim dim,
                                       uint32_t group)
{
	if (dim == DIM_COUNTY)
		return group < result->county_count ? result->counties[group] : NULL;
	return metrics_group_label(dim, group);
}

/* ---- layout ---- */

static void ctx_free(struct metrics_ctx *ctx)
{
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		free(ctx->axes[t].bounds);
		free(ctx->axes[t].day_row);
	}
	for (int m = 0; m < METRIC_COUNT; m++)
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
			for (int d = 0; d < DIM_COUNT; d++)
				free(ctx->stamp[m][t][d]);
	memset(ctx, 0, sizeof *ctx);
}

static bool axis_init(struct metrics_ctx *ctx, enum period_type type)
{
	struct metrics_axis *axis = &ctx->axes[type];
	int fy = ctx->fy_start_month;
	axis->first_period = period_index_of(type, fy, ctx->first_day);
	int32_t last = period_index_of(type, fy, ctx->as_of);
	axis->period_count = (uint32_t)(last - axis->first_period + 1);
	axis->bounds = malloc((axis->period_count + 1) * sizeof *axis->bounds);
	axis->day_row = malloc(ctx->day_count * sizeof *axis->day_row);
	if (!axis->bounds || !axis->day_row)
		return false;
	for (uint32_t r = 0; r <= axis->period_count; r++)
		axis->bounds[r] = period_first_day(type, fy, axis->first_period + (int32_t)r);
	uint32_t row = 0;
	for (uint32_t i = 0; i < ctx->day_count; i++) {
		int32_t day = ctx->first_day + (int32_t)i;
		while (axis->bounds[row + 1] <= day)
			row++;
		axis->day_row[i] = row;
	}
	return true;
}

static bool ctx_init(struct metrics_ctx *ctx, const struct model *model,
                     const struct metrics_options *options, struct metrics_result *out)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->model = model;
	ctx->as_of = model->as_of;
	ctx->first_day = model->first_day <= model->as_of ? model->first_day : model->as_of;
	ctx->day_count = (uint32_t)(ctx->as_of - ctx->first_day + 1);
	ctx->fy_start_month = out->fy_start_month;
	ctx->screening_window_s = options && options->screening_window_s > 0
	                              ? options->screening_window_s
	                              : DEFAULT_SCREENING_WINDOW_S;
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		if (!axis_init(ctx, (enum period_type)t))
			goto fail;
	}

	size_t count = 0;
	for (int m = 0; m < METRIC_COUNT; m++)
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
			for (int d = 0; d < DIM_COUNT; d++)
				if ((metrics_catalog[m].period_types & PERIOD_BIT(t)) &&
				    (metrics_catalog[m].dims & DIM_BIT(d)))
					count++;
	out->tables = calloc(count, sizeof *out->tables);
	if (!out->tables)
		goto fail;
	for (int m = 0; m < METRIC_COUNT; m++) {
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
			for (int d = 0; d < DIM_COUNT; d++) {
				if (!(metrics_catalog[m].period_types & PERIOD_BIT(t)) ||
				    !(metrics_catalog[m].dims & DIM_BIT(d)))
					continue;
				struct metrics_table *table = &out->tables[out->table_count++];
				table->metric = (enum metric_id)m;
				table->period_type = (enum period_type)t;
				table->dim = (enum dim)d;
				table->first_period = ctx->axes[t].first_period;
				table->period_count = ctx->axes[t].period_count;
				table->group_count = metrics_group_count(out, (enum dim)d);
				size_t cells = (size_t)table->period_count * table->group_count;
				/* calloc(0) may return NULL: allocate at least one. */
				table->cells = calloc(cells ? cells : 1, sizeof *table->cells);
				ctx->stamp[m][t][d] =
				    calloc(cells ? cells : 1, sizeof *ctx->stamp[m][t][d]);
				if (!table->cells || !ctx->stamp[m][t][d])
					goto fail;
				ctx->tab[m][t][d] = table;
				struct metrics_slot *slot =
				    &ctx->slots[m][t][ctx->slot_count[m][t]++];
				slot->table = table;
				slot->stamp = ctx->stamp[m][t][d];
				slot->dim = (enum dim)d;
			}
		}
	}
	return true;
fail:
	return false;
}

/* moves_per_1000_days_in_care has the denominators (days in care) and the
 * children of runaway_episodes_per_1000_days: every move falls on a day in
 * care of the same group (moves start placements, which start in care). */
static void copy_days_in_care(struct metrics_ctx *ctx)
{
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		for (int d = 0; d < DIM_COUNT; d++) {
			struct metrics_table *moves =
			    ctx->tab[METRIC_MOVES_PER_1000_DAYS_IN_CARE][t][d];
			const struct metrics_table *days =
			    ctx->tab[METRIC_RUNAWAY_EPISODES_PER_1000_DAYS][t][d];
			if (!moves || !days)
				continue;
			size_t cells = (size_t)moves->period_count * moves->group_count;
			for (size_t i = 0; i < cells; i++) {
				moves->cells[i].denominator = days->cells[i].denominator;
				moves->cells[i].children = days->cells[i].children;
			}
		}
	}
}

/* The second thread's share: the missing pass and half the days pass. */
static void *run_second_thread(void *arg)
{
	return metrics_pass_missing(arg) && metrics_pass_days(arg, METRICS_DAYS_SEGMENTED) ? arg
	                                                                                   : NULL;
}

bool metrics_compute(const struct model *model, const struct metrics_options *options,
                     struct metrics_result *out)
{
	struct metrics_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	memset(out, 0, sizeof *out);
	out->as_of = model->as_of;
	out->fy_start_month =
	    options && options->fy_start_month >= 1 && options->fy_start_month <= 12
	        ? options->fy_start_month
	        : DEFAULT_FY_START_MONTH;
	if (model->county_count) {
		out->counties = calloc(model->county_count, sizeof *out->counties);
		if (!out->counties)
			goto fail;
		for (size_t i = 0; i < model->county_count; i++) {
			out->counties[i] = strdup(model->counties[i]);
			if (!out->counties[i])
				goto fail;
			out->county_count = i + 1;
		}
	}
	if (!ctx_init(&ctx, model, options, out))
		goto fail;

	/* Two threads over disjoint tables, shares measured to take about
	 * the same time: the child pass and the constant-breakdown half of the
	 * days pass here; the missing pass and the other half there. */
	pthread_t thread;
	bool threaded = pthread_create(&thread, NULL, run_second_thread, &ctx) == 0;
	bool second_ok = threaded || run_second_thread(&ctx) != NULL;
	bool first_ok =
	    metrics_pass_children(&ctx) && metrics_pass_days(&ctx, METRICS_DAYS_CONSTANT);
	if (threaded) {
		void *ret = NULL;
		pthread_join(thread, &ret);
		second_ok = ret != NULL;
	}
	if (!first_ok || !second_ok)
		goto fail;
	copy_days_in_care(&ctx);
	ctx_free(&ctx);
	return true;
fail:
	ctx_free(&ctx);
	metrics_free(out);
	return false;
}

void metrics_free(struct metrics_result *result)
{
	if (!result)
		return;
	for (size_t i = 0; i < result->table_count; i++)
		free(result->tables[i].cells);
	free(result->tables);
	for (size_t i = 0; i < result->county_count; i++)
		free(result->counties[i]);
	free(result->counties);
	memset(result, 0, sizeof *result);
}
