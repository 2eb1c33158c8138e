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

/* Counts whose months add up to every longer period (both, for day- and
 * event-based metrics). */
#define ADDITIVE (METRIC_COUNT_NUMERATOR | METRIC_COUNT_DENOMINATOR)

/* The summary's default: the last complete quarter. */
#define SUMMARY_QUARTER                                                                            \
	.summary_period_type = PERIOD_QUARTER, .summary_row = METRIC_SUMMARY_LAST_COMPLETE

/* CFSR round 4 national performance, placement stability (SPEC §4). */
#define CFSR4_PLACEMENT_SOURCE "CFSR round 4 national performance, entries in FY2021"
/* CFSR round 2 median state (SPEC §4, two_or_fewer_placements_pct). */
#define CFSR2_PLACEMENTS_SOURCE "CFSR round 2 median state, FY2004"
/* HHS OIG (2022), screening of children returning from missing (issue 17). */
#define OIG_SCREENING_SOURCE                                                                       \
	"HHS OIG, 2022: children returning from missing with a record of a trafficking screening " \
	"(65% had none: 72% of boys, 59% of girls)"

/* The advocate comparison of the two day-based rates (issue 14,
 * metrics_strata.c, docs/methods.md), in plain words. */
#define STANDARDIZED_TEXT                                                                          \
	" By advocate (quarters, years and fiscal years) each group is also compared fairly: "     \
	"expected is the number of events it would have had at the rates of all children of the "  \
	"same age band and placement setting, over its own days in care; smr = observed / "        \
	"expected, with an exact interval (1.3: 30% more than expected after accounting for the "  \
	"children's ages and placement settings); standardized_value = smr x the rate of all "     \
	"children."

/* The interval of a median (interval_quantile_ranks), in plain words. */
#define MEDIAN_INTERVAL_TEXT                                                                       \
	" Its interval is two of the sorted values, chosen by rank; there is none (null) when "    \
	"too few episodes reach the confidence level: 5 or fewer at 95%."

const struct metric_def metrics_catalog[METRIC_COUNT] = {
    [METRIC_PLACEMENT_MOVES_PER_1000_DAYS] =
        {.id = "placement_moves_per_1000_days",
         .title = "Placement moves per 1,000 days (entry cohort)",
         .unit = "per 1,000 days in care",
         .definition =
             "Federal CFSR round 4 placement-stability indicator. Cohort: episodes with "
             "removal_date in the period, child under 18 at removal, and at least 8 days in "
             "care in all (to discharge, or through as_of). Each is observed from removal to "
             "the earliest of discharge, 18th birthday, end of period, or as_of. Denominator: "
             "days in care observed. Numerator: placement moves observed (a move is the start "
             "of each non-temporary placement after the first, unless it returns to the same "
             "provider). A child with two entries in the period counts both.",
         .kind = METRIC_KIND_RATE,
         .scale = 1000,
         .dims = DIMS_BASE,
         .period_types = PERIODS_ANNUAL,
         .better = METRIC_BETTER_LOWER,
         .references = {{DIM_TOTAL, 0, 4.48, CFSR4_PLACEMENT_SOURCE}},
         .reference_count = 1,
         .summary_period_type = PERIOD_FISCAL_YEAR,
         .summary_row = METRIC_SUMMARY_LAST_COMPLETE},
    [METRIC_MOVES_PER_1000_DAYS_IN_CARE] =
        {.id = "moves_per_1000_days_in_care",
         .title = "Placement moves per 1,000 days in care",
         .unit = "per 1,000 days in care",
         .definition =
             "Every episode: placement moves dated inside the period per 1,000 days "
             "in care inside the period. No age or length-of-stay exclusion." STANDARDIZED_TEXT,
         .kind = METRIC_KIND_RATE,
         .scale = 1000,
         .dims = DIMS_BASE,
         .period_types = PERIODS_ALL,
         .time_additive = ADDITIVE,
         .better = METRIC_BETTER_LOWER,
         SUMMARY_QUARTER},
    [METRIC_TWO_OR_FEWER_PLACEMENTS_PCT] =
        {.id = "two_or_fewer_placements_pct",
         .title = "Two or fewer placement settings",
         .unit = "percent",
         .definition =
             "Children served in the period, using the child's latest episode served: time "
             "in care from removal to the earliest of discharge, the day after the period "
             "ends and the day after as_of gives the length-of-stay band lt12m (8-364 days), "
             "12to24m (365-729) or 24mplus (730+); stays under 8 days are left out. Value: % "
             "whose episode had at most two placement settings (1 + moves) started before "
             "that point.",
         .kind = METRIC_KIND_PERCENT,
         .scale = 100,
         .dims = DIMS_BASE | DIM_BIT(DIM_LOS_BAND),
         .period_types = PERIODS_ALL,
         .child_based = true,
         .better = METRIC_BETTER_HIGHER,
         .references = {{DIM_LOS_BAND, LOS_LT12M, 83.3, CFSR2_PLACEMENTS_SOURCE},
                        {DIM_LOS_BAND, LOS_12TO24M, 59.9, CFSR2_PLACEMENTS_SOURCE},
                        {DIM_LOS_BAND, LOS_24MPLUS, 33.9, CFSR2_PLACEMENTS_SOURCE}},
         .reference_count = 3,
         SUMMARY_QUARTER},
    [METRIC_RUNAWAY_EPISODES_PER_1000_DAYS] =
        {.id = "runaway_episodes_per_1000_days",
         .title = "Runaway episodes per 1,000 days in care",
         .unit = "per 1,000 days in care",
         .definition =
             "Missing episodes that begin in the period per 1,000 days in care in the "
             "period. By setting, a day in care takes the setting of the placement covering "
             "it; a missing episode takes the setting the child went missing from: the "
             "placement covering the day it began, unless that placement has the setting "
             "runaway and starts that day, in which case the placement before "
             "it." STANDARDIZED_TEXT,
         .kind = METRIC_KIND_RATE,
         .scale = 1000,
         .dims = DIMS_RUNAWAY,
         .period_types = PERIODS_ALL,
         .time_additive = ADDITIVE,
         .better = METRIC_BETTER_LOWER,
         SUMMARY_QUARTER},
    [METRIC_YOUTH_WITH_RUNAWAY_PCT] =
        {.id = "youth_with_runaway_pct",
         .title = "Youth 12+ with a runaway episode",
         .unit = "percent",
         .definition = "Children served in the period who are 12 or older on their last day "
                       "in care in the period: % with at least one missing episode beginning "
                       "in the period.",
         .kind = METRIC_KIND_PERCENT,
         .scale = 100,
         .dims = DIMS_RUNAWAY,
         .period_types = PERIODS_ALL,
         .child_based = true,
         .better = METRIC_BETTER_LOWER,
         SUMMARY_QUARTER},
    [METRIC_REPEAT_RUNAWAY_PCT] =
        {.id = "repeat_runaway_pct",
         .title = "Repeat runaways",
         .unit = "percent",
         .definition =
             "Children with a missing episode beginning in the period: % with two or more.",
         .kind = METRIC_KIND_PERCENT,
         .scale = 100,
         .dims = DIMS_RUNAWAY,
         .period_types = PERIODS_ALL,
         .child_based = true,
         .better = METRIC_BETTER_LOWER,
         SUMMARY_QUARTER},
    [METRIC_DAYS_MISSING_MEDIAN] =
        {.id = "days_missing_median",
         .title = "Median days missing",
         .unit = "days",
         .definition =
             "Over missing episodes that end (the child returned) in the period: the median "
             "duration from went_missing_at to returned_at, in days, exact; the mean of the "
             "two middle values for an even count. Denominator: number of "
             "episodes." MEDIAN_INTERVAL_TEXT,
         .kind = METRIC_KIND_QUANTILE,
         .scale = 1,
         .dims = DIMS_RUNAWAY,
         .period_types = PERIODS_ALL,
         .time_additive = METRIC_COUNT_DENOMINATOR,
         .better = METRIC_BETTER_LOWER,
         SUMMARY_QUARTER,
         .observation_lag_days = METRIC_LAG_SCREENING_WINDOW},
    [METRIC_DAYS_MISSING_P90] =
        {.id = "days_missing_p90",
         .title = "90th percentile of days missing",
         .unit = "days",
         .definition = "Over missing episodes that end (the child returned) in the period: "
                       "the 90th percentile (nearest rank, the ceil(0.9 n)-th smallest) of "
                       "the duration from went_missing_at to returned_at, in days, exact. "
                       "Denominator: number of episodes. Its interval is two of the sorted "
                       "durations, chosen by rank; there is none (null) when too few episodes "
                       "reach the confidence level: 28 or fewer at 95%.",
         .kind = METRIC_KIND_QUANTILE,
         .scale = 1,
         .dims = DIMS_RUNAWAY,
         .period_types = PERIODS_ALL,
         .time_additive = METRIC_COUNT_DENOMINATOR,
         .better = METRIC_BETTER_LOWER,
         SUMMARY_QUARTER,
         .observation_lag_days = METRIC_LAG_SCREENING_WINDOW},
    [METRIC_RETURNED_WITHIN_7_DAYS_PCT] =
        {.id = "returned_within_7_days_pct",
         .title = "Returned within 7 days",
         .unit = "percent",
         .definition = "Missing episodes beginning in the period on or before as_of - 7 days: "
                       "% whose return came within 168 hours.",
         .kind = METRIC_KIND_PERCENT,
         .scale = 100,
         .dims = DIMS_RUNAWAY,
         .period_types = PERIODS_ALL,
         .time_additive = ADDITIVE,
         .better = METRIC_BETTER_HIGHER,
         SUMMARY_QUARTER,
         .observation_lag_days = 7},
    [METRIC_STILL_MISSING_COUNT] =
        {.id = "still_missing_count",
         .title = "Children still missing",
         .unit = "children",
         .definition = "Distinct children with a missing episode that began on or before the "
                       "period's last day (or as_of) and had not ended by then.",
         .kind = METRIC_KIND_COUNT,
         .scale = 1,
         .dims = DIMS_RUNAWAY,
         .period_types = PERIODS_ALL,
         .child_based = true,
         .better = METRIC_BETTER_LOWER,
         .summary_period_type = PERIOD_MONTH,
         .summary_row = METRIC_SUMMARY_LATEST},
    [METRIC_REPORTED_LE_24H_PCT] =
        {.id = "reported_le_24h_pct",
         .title = "Reported to law enforcement within 24 hours",
         .unit = "percent",
         .definition =
             "Missing episodes beginning in the period: % with a report to law enforcement "
             "at or after the moment the agency learned of it (agency_informed_at, or "
             "went_missing_at when null) and within 24 hours of that moment (42 U.S.C. "
             "671(a)(35)(B)).",
         .kind = METRIC_KIND_PERCENT,
         .scale = 100,
         .dims = DIMS_RUNAWAY,
         .period_types = PERIODS_ALL,
         .time_additive = ADDITIVE,
         .better = METRIC_BETTER_HIGHER,
         SUMMARY_QUARTER,
         .observation_lag_days = 1},
    [METRIC_REPORTED_NCMEC_24H_PCT] =
        {.id = "reported_ncmec_24h_pct",
         .title = "Reported to NCMEC within 24 hours",
         .unit = "percent",
         .definition =
             "Missing episodes beginning in the period: % with a report to NCMEC at or after "
             "the moment the agency learned of it (agency_informed_at, or went_missing_at "
             "when null) and within 24 hours of that moment (42 U.S.C. 671(a)(35)(B)); the "
             "HHS OIG audit A-07-21-06102 found about 47% of episodes never reported to "
             "NCMEC and 22% late.",
         .kind = METRIC_KIND_PERCENT,
         .scale = 100,
         .dims = DIMS_RUNAWAY,
         .period_types = PERIODS_ALL,
         .time_additive = ADDITIVE,
         .better = METRIC_BETTER_HIGHER,
         SUMMARY_QUARTER,
         .observation_lag_days = 1},
    [METRIC_SCREENED_AFTER_RETURN_PCT] =
        {.id = "screened_after_return_pct",
         .title = "Screened for trafficking after return",
         .unit = "percent",
         .definition = "Missing episodes ending in the period: % with a trafficking screening "
                       "dated from the return to the end of the screening window after it "
                       "(default 72 hours).",
         .kind = METRIC_KIND_PERCENT,
         .scale = 100,
         .dims = DIMS_RUNAWAY,
         .period_types = PERIODS_ALL,
         .time_additive = ADDITIVE,
         .better = METRIC_BETTER_HIGHER,
         /* The OIG counted any record of a screening, not one within
          * the window: a figure to read against, not the same measure. */
         .references = {{DIM_TOTAL, 0, 35.0, OIG_SCREENING_SOURCE},
                        {DIM_SEX, SEX_MALE, 28.0, OIG_SCREENING_SOURCE},
                        {DIM_SEX, SEX_FEMALE, 41.0, OIG_SCREENING_SOURCE}},
         .reference_count = 3,
         SUMMARY_QUARTER,
         .observation_lag_days = METRIC_LAG_SCREENING_WINDOW},
    /* Neither direction is better: more positive screens mean more victims
     * found, or more children trafficked, not a better or worse program. */
    [METRIC_SCREENED_POSITIVE_PCT] =
        {.id = "screened_positive_pct",
         .title = "Screened positive for trafficking",
         .unit = "percent",
         .definition = "Of the missing episodes ending in the period that were screened "
                       "within the window after return: % with screen_result = positive.",
         .kind = METRIC_KIND_PERCENT,
         .scale = 100,
         .dims = DIMS_RUNAWAY,
         .period_types = PERIODS_ALL,
         .time_additive = ADDITIVE,
         .better = METRIC_BETTER_NEITHER,
         SUMMARY_QUARTER,
         .observation_lag_days = METRIC_LAG_SCREENING_WINDOW},
    [METRIC_RUNAWAY_DISCHARGES_PCT] =
        {.id = "runaway_discharges_pct",
         .title = "Discharges to runaway",
         .unit = "percent",
         .definition = "Episodes discharged in the period: % with discharge_reason = runaway.",
         .kind = METRIC_KIND_PERCENT,
         .scale = 100,
         .dims = DIMS_RUNAWAY,
         .period_types = PERIODS_ALL,
         .time_additive = ADDITIVE,
         .better = METRIC_BETTER_LOWER,
         SUMMARY_QUARTER},
    [METRIC_RUNAWAY_WITHIN_12M_OF_ENTRY_PCT] =
        {.id = "runaway_within_12m_of_entry_pct",
         .title = "Runaway within 12 months of entry",
         .unit = "percent",
         .definition =
             "Entry cohort: episodes with removal_date in the period, child aged 12-17 at "
             "removal, more than 7 days in care in all. Window: from removal to the earlier of "
             "discharge and removal + 365 days (exclusive). Value: % with a missing episode "
             "beginning in the window (Illinois Children and Family Research Center outcome "
             "indicator). An episode is left out of both sides until its full 365 days have "
             "elapsed by as_of (removal + 365 <= as_of + 1), even when an early discharge "
             "closed its window, so recent cohorts are not biased toward short stays.",
         .kind = METRIC_KIND_PERCENT,
         .scale = 100,
         .dims = DIMS_BASE,
         .period_types = PERIODS_ANNUAL,
         .better = METRIC_BETTER_LOWER,
         .summary_period_type = PERIOD_FISCAL_YEAR,
         .summary_row = METRIC_SUMMARY_LAST_SETTLED,
         .observation_lag_days = 365},
    [METRIC_PERMANENCY_12M_ENTRIES_PCT] =
        {.id = "permanency_12m_entries_pct",
         .title = "Permanency within 12 months of entry",
         .unit = "percent",
         .definition =
             "CFSR round 4 permanency in 12 months for children entering care. Entry cohort: "
             "each child's first episode with removal_date in the period (earliest removal, "
             "then key) among those of a child under 18 at removal with at least 8 days in "
             "care in all; counted once its full 12 months have elapsed (removal + 365 <= "
             "as_of + 1). Value: % discharged to permanency (reunification, relative, "
             "guardianship or adoption) before removal + 365 days and before the 18th "
             "birthday.",
         .kind = METRIC_KIND_PERCENT,
         .scale = 100,
         .dims = DIMS_BASE,
         .period_types = PERIODS_ANNUAL,
         .better = METRIC_BETTER_HIGHER,
         .summary_period_type = PERIOD_FISCAL_YEAR,
         .summary_row = METRIC_SUMMARY_LAST_SETTLED,
         .observation_lag_days = 365},
    [METRIC_REENTRY_12M_PCT] =
        {.id = "reentry_12m_pct",
         .title = "Re-entry within 12 months of exit",
         .unit = "percent",
         .definition =
             "CFSR round 4 re-entry. Of the period's entry cohort (as for "
             "permanency_12m_entries_pct), the first entries discharged before removal + 365 "
             "days to reunification, relative or guardianship, counted once the exit's own 12 "
             "months have elapsed (discharge + 365 <= as_of + 1): % whose child has another "
             "episode with removal_date from the discharge date to discharge + 364 days.",
         .kind = METRIC_KIND_PERCENT,
         .scale = 100,
         .dims = DIMS_BASE,
         .period_types = PERIODS_ANNUAL,
         .better = METRIC_BETTER_LOWER,
         .summary_period_type = PERIOD_FISCAL_YEAR,
         .summary_row = METRIC_SUMMARY_LAST_SETTLED,
         .observation_lag_days = 730},
    [METRIC_PERMANENCY_12M_AFTER_ASSIGNMENT_PCT] =
        {.id = "permanency_12m_after_assignment_pct",
         .title = "Permanency within 12 months of advocate assignment",
         .unit = "percent",
         .definition =
             "Episodes whose first CASA advocate assignment (the earliest-starting one) starts "
             "in the period, counted once 12 months from that start have elapsed (start + 365 "
             "<= as_of + 1): % discharged to permanency (reunification, relative, "
             "guardianship or adoption) before start + 365 days. An episode counts, not a "
             "child; no age or length-of-stay exclusion.",
         .kind = METRIC_KIND_PERCENT,
         .scale = 100,
         .dims = DIMS_BASE,
         .period_types = PERIODS_ANNUAL,
         .better = METRIC_BETTER_HIGHER,
         .summary_period_type = PERIOD_FISCAL_YEAR,
         .summary_row = METRIC_SUMMARY_LAST_SETTLED,
         .observation_lag_days = 365},
    [METRIC_DAYS_TO_ASSIGNMENT_MEDIAN] =
        {.id = "days_to_assignment_median",
         .title = "Median days from removal to advocate assignment",
         .unit = "days",
         .definition =
             "Episodes whose first CASA advocate assignment starts in the period: the median "
             "number of days from removal to that start (0 when it starts on the removal "
             "day); the mean of the two middle values for an even count. Denominator: number "
             "of episodes." MEDIAN_INTERVAL_TEXT,
         .kind = METRIC_KIND_QUANTILE,
         .scale = 1,
         .dims = DIMS_BASE,
         .period_types = PERIODS_ALL,
         .time_additive = METRIC_COUNT_DENOMINATOR,
         .better = METRIC_BETTER_LOWER,
         SUMMARY_QUARTER},
    [METRIC_ADVOCATE_REACH_PCT] =
        {.id = "advocate_reach_pct",
         .title = "Children in care with a CASA advocate",
         .unit = "percent",
         .definition =
             "Children in care on the period's last day (or as_of, when earlier): % with a "
             "CASA advocate assignment covering that day.",
         .kind = METRIC_KIND_PERCENT,
         .scale = 100,
         .dims = DIMS_BASE,
         .period_types = PERIODS_ALL,
         .child_based = true,
         .better = METRIC_BETTER_HIGHER,
         .summary_period_type = PERIOD_MONTH,
         .summary_row = METRIC_SUMMARY_LATEST},
    [METRIC_TRAFFICKING_IDENTIFIED_PER_1000_SERVED] =
        {.id = "trafficking_identified_per_1000_served",
         .title = "Trafficking identifications per 1,000 children served",
         .unit = "per 1,000 children served",
         .definition = "Trafficking identifications dated in the period (in care or not) per 1,000 "
                       "children served in the period (at least one day in care in it).",
         .kind = METRIC_KIND_RATE,
         .scale = 1000,
         .dims = DIMS_BASE,
         .period_types = PERIODS_ANNUAL,
         .time_additive = METRIC_COUNT_NUMERATOR,
         .better = METRIC_BETTER_NEITHER,
         .summary_period_type = PERIOD_FISCAL_YEAR,
         .summary_row = METRIC_SUMMARY_LAST_COMPLETE,
         .needs_identifications = true},
    [METRIC_IDENTIFIED_AFTER_MISSING_PCT] =
        {.id = "identified_after_missing_pct",
         .title = "Identified as trafficked within 30 days of return",
         .unit = "percent",
         .definition =
             "Missing episodes that end with a return in the period, once 30 days have "
             "passed since (end day on or before as_of - 30): % whose child was identified "
             "as a trafficking victim from the return to 30 days (720 hours) after it.",
         .kind = METRIC_KIND_PERCENT,
         .scale = 100,
         .dims = DIMS_BASE,
         .period_types = PERIODS_ALL,
         .time_additive = ADDITIVE,
         .better = METRIC_BETTER_NEITHER,
         .summary_period_type = PERIOD_QUARTER,
         .summary_row = METRIC_SUMMARY_LAST_SETTLED,
         .observation_lag_days = 30,
         .needs_identifications = true},
    [METRIC_TRAFFICKING_REPORTED_LE_24H_PCT] =
        {.id = "trafficking_reported_le_24h_pct",
         .title = "Identified victims reported to law enforcement within 24 hours",
         .unit = "percent",
         .definition = "Trafficking identifications dated in the period: % with a report to law "
                       "enforcement at or after the identification and within 24 hours of it (42 "
                       "U.S.C. 671(a)(35)(A): immediately, and in no case later than 24 hours).",
         .kind = METRIC_KIND_PERCENT,
         .scale = 100,
         .dims = DIMS_BASE,
         .period_types = PERIODS_ALL,
         .time_additive = ADDITIVE,
         .better = METRIC_BETTER_HIGHER,
         SUMMARY_QUARTER,
         .observation_lag_days = 1,
         .needs_identifications = true},
};

/* Linked counts (docs/metrics.md "Counts two metrics share"). */
const struct metric_equal_count metrics_equal_counts[] = {
    /* Missing episodes beginning in the period. */
    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, METRIC_FIELD_NUMERATOR, METRIC_REPORTED_LE_24H_PCT,
     METRIC_FIELD_DENOMINATOR, METRIC_EQUAL_ALL},
    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, METRIC_FIELD_NUMERATOR, METRIC_REPORTED_NCMEC_24H_PCT,
     METRIC_FIELD_DENOMINATOR, METRIC_EQUAL_ALL},
    /* ... all of which have had their 7 days once the period is 7 days old. */
    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, METRIC_FIELD_NUMERATOR,
     METRIC_RETURNED_WITHIN_7_DAYS_PCT, METRIC_FIELD_DENOMINATOR, METRIC_EQUAL_CLOSED_7_DAYS},
    /* Days in care. */
    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, METRIC_FIELD_DENOMINATOR,
     METRIC_MOVES_PER_1000_DAYS_IN_CARE, METRIC_FIELD_DENOMINATOR, METRIC_EQUAL_ALL},
    /* Episodes screened within the window after return. */
    {METRIC_SCREENED_AFTER_RETURN_PCT, METRIC_FIELD_NUMERATOR, METRIC_SCREENED_POSITIVE_PCT,
     METRIC_FIELD_DENOMINATOR, METRIC_EQUAL_ALL},
    /* Missing episodes ending with a return in the period. */
    {METRIC_DAYS_MISSING_MEDIAN, METRIC_FIELD_DENOMINATOR, METRIC_DAYS_MISSING_P90,
     METRIC_FIELD_DENOMINATOR, METRIC_EQUAL_ALL},
    {METRIC_DAYS_MISSING_MEDIAN, METRIC_FIELD_DENOMINATOR, METRIC_SCREENED_AFTER_RETURN_PCT,
     METRIC_FIELD_DENOMINATOR, METRIC_EQUAL_ALL},
    /* Children 12+ with a missing episode beginning in the period. */
    {METRIC_YOUTH_WITH_RUNAWAY_PCT, METRIC_FIELD_NUMERATOR, METRIC_REPEAT_RUNAWAY_PCT,
     METRIC_FIELD_DENOMINATOR, METRIC_EQUAL_AGE_12_PLUS},
    /* Issue 17. Missing episodes ending with a return, once 30 days old. */
    {METRIC_SCREENED_AFTER_RETURN_PCT, METRIC_FIELD_DENOMINATOR,
     METRIC_IDENTIFIED_AFTER_MISSING_PCT, METRIC_FIELD_DENOMINATOR, METRIC_EQUAL_CLOSED_30_DAYS},
    /* Episodes whose first assignment starts in the period, once all 12
     * months from each start have elapsed. */
    {METRIC_DAYS_TO_ASSIGNMENT_MEDIAN, METRIC_FIELD_DENOMINATOR,
     METRIC_PERMANENCY_12M_AFTER_ASSIGNMENT_PCT, METRIC_FIELD_DENOMINATOR,
     METRIC_EQUAL_CLOSED_364_DAYS},
    /* Identifications dated in the period. */
    {METRIC_TRAFFICKING_IDENTIFIED_PER_1000_SERVED, METRIC_FIELD_NUMERATOR,
     METRIC_TRAFFICKING_REPORTED_LE_24H_PCT, METRIC_FIELD_DENOMINATOR, METRIC_EQUAL_ALL},
};
const size_t metrics_equal_count_count = CASA_ARRAY_LEN(metrics_equal_counts);

bool metrics_equal_count_holds(const struct metric_equal_count *link, int32_t period_last_day,
                               int32_t as_of, enum dim dim, uint32_t group)
{
	switch (link->scope) {
	case METRIC_EQUAL_ALL:
		return true;
	case METRIC_EQUAL_CLOSED_7_DAYS:
		return period_last_day <= as_of - 7;
	case METRIC_EQUAL_CLOSED_30_DAYS:
		return period_last_day <= as_of - 30;
	case METRIC_EQUAL_CLOSED_364_DAYS:
		/* a window starting on the last day: last + 365 <= as_of + 1 */
		return period_last_day <= as_of - 364;
	case METRIC_EQUAL_AGE_12_PLUS:
		return dim == DIM_AGE_BAND && group >= AGE_12_14;
	}
	return false;
}

/* The lag of one metric by itself, the screening window resolved. */
static int own_lag_days(enum metric_id metric, int64_t screening_window_s)
{
	int lag = metrics_catalog[metric].observation_lag_days;
	if (lag != METRIC_LAG_SCREENING_WINDOW)
		return lag;
	if (screening_window_s <= 0)
		return 0;
	return (int)((screening_window_s + 86400 - 1) / 86400);
}

int metrics_observation_lag_days(enum metric_id metric, int64_t screening_window_s)
{
	/* The metric's linked group: grow it until no link adds a member. */
	bool in_group[METRIC_COUNT] = {false};
	in_group[metric] = true;
	for (bool grew = true; grew;) {
		grew = false;
		for (size_t l = 0; l < metrics_equal_count_count; l++) {
			const struct metric_equal_count *link = &metrics_equal_counts[l];
			if (in_group[link->a] != in_group[link->b]) {
				in_group[link->a] = in_group[link->b] = true;
				grew = true;
			}
		}
	}
	int lag = 0;
	for (int m = 0; m < METRIC_COUNT; m++) {
		int own = in_group[m] ? own_lag_days((enum metric_id)m, screening_window_s) : 0;
		if (own > lag)
			lag = own;
	}
	return lag;
}

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
