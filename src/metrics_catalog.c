/*
 * metrics_catalog.c — what the metrics and their breakdowns are: the metric
 * catalog (SPEC §4; everything that describes a metric reads it), the
 * dimension names and the group labels of the fixed dimensions. Data and
 * lookups only; computing is metrics.c and the pass files.
 * The reading of every rule is docs/metrics.md.
 */
#include "metrics_internal.h"

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

/* The advocate comparison of the two day-based rates (issue 14,
 * metrics_strata.c, docs/methods.md), in plain words. */
#define STANDARDIZED_TEXT                                                                          \
	" By advocate (quarters, years and fiscal years) each group is also compared fairly: "     \
	"expected is the number of events it would have had at the rates of all children of the "  \
	"same age band and placement setting, over its own days in care; smr = observed / "        \
	"expected, with an exact interval (1.3: 30% more than expected after accounting for the "  \
	"children's ages and placement settings); standardized_value = smr x the rate of all "     \
	"children."

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
         METRIC_KIND_RATE, 1000, DIMS_BASE, PERIODS_ANNUAL, false, false, METRIC_BETTER_LOWER},
    [METRIC_MOVES_PER_1000_DAYS_IN_CARE] =
        {"moves_per_1000_days_in_care", "Placement moves per 1,000 days in care",
         "per 1,000 days in care",
         "Every episode: placement moves dated inside the period per 1,000 days in care inside "
         "the period. No age or length-of-stay exclusion. Lower is better." STANDARDIZED_TEXT,
         METRIC_KIND_RATE, 1000, DIMS_BASE, PERIODS_ALL, false, true, METRIC_BETTER_LOWER},
    [METRIC_TWO_OR_FEWER_PLACEMENTS_PCT] =
        {"two_or_fewer_placements_pct", "Two or fewer placement settings", "percent",
         "Children served in the period, using the child's latest episode served: time in care "
         "from removal to the earliest of discharge, the day after the period ends and the day "
         "after as_of gives the length-of-stay band lt12m (8-364 days), 12to24m (365-729) or "
         "24mplus (730+); stays under 8 days are left out. Value: % whose episode had at most "
         "two placement settings (1 + moves) started before that point. Reference: the CFSR "
         "round 2 median state was 83.3%, 59.9%, 33.9% for the three bands (FY2004).",
         METRIC_KIND_PERCENT, 100, DIMS_BASE | DIM_BIT(DIM_LOS_BAND), PERIODS_ALL, true, false,
         METRIC_BETTER_HIGHER},
    [METRIC_RUNAWAY_EPISODES_PER_1000_DAYS] =
        {"runaway_episodes_per_1000_days", "Runaway episodes per 1,000 days in care",
         "per 1,000 days in care",
         "Missing episodes that begin in the period per 1,000 days in care in the period. By "
         "setting, a day in care takes the setting of the placement covering it; a missing "
         "episode takes the setting the child went missing from: the placement covering the day "
         "it began, unless that placement has the setting runaway and starts that day, in which "
         "case the placement before it." STANDARDIZED_TEXT,
         METRIC_KIND_RATE, 1000, DIMS_RUNAWAY, PERIODS_ALL, false, true, METRIC_BETTER_LOWER},
    [METRIC_YOUTH_WITH_RUNAWAY_PCT] =
        {"youth_with_runaway_pct", "Youth 12+ with a runaway episode", "percent",
         "Children served in the period who are 12 or older on their last day in care in the "
         "period: % with at least one missing episode beginning in the period.",
         METRIC_KIND_PERCENT, 100, DIMS_RUNAWAY, PERIODS_ALL, true, false, METRIC_BETTER_LOWER},
    [METRIC_REPEAT_RUNAWAY_PCT] =
        {"repeat_runaway_pct", "Repeat runaways", "percent",
         "Children with a missing episode beginning in the period: % with two or more.",
         METRIC_KIND_PERCENT, 100, DIMS_RUNAWAY, PERIODS_ALL, true, false, METRIC_BETTER_LOWER},
    [METRIC_DAYS_MISSING_MEDIAN] =
        {"days_missing_median", "Median days missing", "days",
         "Over missing episodes that end (the child returned) in the period: the median "
         "duration from went_missing_at to returned_at, in days, exact; the mean of the two "
         "middle values for an even count. Denominator: number of episodes. Its interval is "
         "two of the sorted durations, chosen by rank; there is none (null) when too few "
         "episodes reach the confidence level: 5 or fewer at 95%.",
         METRIC_KIND_QUANTILE, 1, DIMS_RUNAWAY, PERIODS_ALL, false, false, METRIC_BETTER_LOWER},
    [METRIC_DAYS_MISSING_P90] =
        {"days_missing_p90", "90th percentile of days missing", "days",
         "Over missing episodes that end (the child returned) in the period: the 90th "
         "percentile (nearest rank, the ceil(0.9 n)-th smallest) of the duration from "
         "went_missing_at to returned_at, in days, exact. Denominator: number of episodes. "
         "Its interval is two of the sorted durations, chosen by rank; there is none (null) "
         "when too few episodes reach the confidence level: 28 or fewer at 95%.",
         METRIC_KIND_QUANTILE, 1, DIMS_RUNAWAY, PERIODS_ALL, false, false, METRIC_BETTER_LOWER},
    [METRIC_RETURNED_WITHIN_7_DAYS_PCT] =
        {"returned_within_7_days_pct", "Returned within 7 days", "percent",
         "Missing episodes beginning in the period on or before as_of - 7 days: % whose return "
         "came within 168 hours.",
         METRIC_KIND_PERCENT, 100, DIMS_RUNAWAY, PERIODS_ALL, false, true, METRIC_BETTER_HIGHER},
    [METRIC_STILL_MISSING_COUNT] =
        {"still_missing_count", "Children still missing", "children",
         "Distinct children with a missing episode that began on or before the period's last "
         "day (or as_of) and had not ended by then.",
         METRIC_KIND_COUNT, 1, DIMS_RUNAWAY, PERIODS_ALL, true, false, METRIC_BETTER_LOWER},
    [METRIC_REPORTED_LE_24H_PCT] =
        {"reported_le_24h_pct", "Reported to law enforcement within 24 hours", "percent",
         "Missing episodes beginning in the period: % with a report to law enforcement at or "
         "after the moment the agency learned of it (agency_informed_at, or went_missing_at when "
         "null) and within 24 hours of that moment (42 U.S.C. 671(a)(35)(B)).",
         METRIC_KIND_PERCENT, 100, DIMS_RUNAWAY, PERIODS_ALL, false, true, METRIC_BETTER_HIGHER},
    [METRIC_REPORTED_NCMEC_24H_PCT] =
        {"reported_ncmec_24h_pct", "Reported to NCMEC within 24 hours", "percent",
         "Missing episodes beginning in the period: % with a report to NCMEC at or after the "
         "moment the agency learned of it (agency_informed_at, or went_missing_at when null) "
         "and within 24 hours of that moment (42 U.S.C. 671(a)(35)(B)); the HHS OIG audit "
         "A-07-21-06102 found about 47% of episodes never reported to NCMEC and 22% late.",
         METRIC_KIND_PERCENT, 100, DIMS_RUNAWAY, PERIODS_ALL, false, true, METRIC_BETTER_HIGHER},
    [METRIC_SCREENED_AFTER_RETURN_PCT] =
        {"screened_after_return_pct", "Screened for trafficking after return", "percent",
         "Missing episodes ending in the period: % with a trafficking screening dated from the "
         "return to the end of the screening window after it (default 72 hours).",
         METRIC_KIND_PERCENT, 100, DIMS_RUNAWAY, PERIODS_ALL, false, true, METRIC_BETTER_HIGHER},
    /* Neither direction is better: more positive screens mean more victims
     * found, or more children trafficked, not a better or worse program. */
    [METRIC_SCREENED_POSITIVE_PCT] =
        {"screened_positive_pct", "Screened positive for trafficking", "percent",
         "Of the missing episodes ending in the period that were screened within the window "
         "after return: % with screen_result = positive.",
         METRIC_KIND_PERCENT, 100, DIMS_RUNAWAY, PERIODS_ALL, false, true, METRIC_BETTER_NEITHER},
    [METRIC_RUNAWAY_DISCHARGES_PCT] =
        {"runaway_discharges_pct", "Discharges to runaway", "percent",
         "Episodes discharged in the period: % with discharge_reason = runaway.",
         METRIC_KIND_PERCENT, 100, DIMS_RUNAWAY, PERIODS_ALL, false, true, METRIC_BETTER_LOWER},
    [METRIC_RUNAWAY_WITHIN_12M_OF_ENTRY_PCT] =
        {"runaway_within_12m_of_entry_pct", "Runaway within 12 months of entry", "percent",
         "Entry cohort: episodes with removal_date in the period, child aged 12-17 at removal, "
         "more than 7 days in care in all. Window: from removal to the earlier of discharge and "
         "removal + 365 days (exclusive). Value: % with a missing episode beginning in the "
         "window (Illinois Children and Family Research Center outcome indicator). An episode "
         "whose window has not closed by as_of is left out of both sides.",
         METRIC_KIND_PERCENT, 100, DIMS_BASE, PERIODS_ANNUAL, false, false, METRIC_BETTER_LOWER},
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

uint32_t metrics_fixed_group_count(enum dim dim)
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
	if (group >= metrics_fixed_group_count(dim))
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
