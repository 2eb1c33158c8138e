/*
 * test_audit.c — one release against the attacker's audit (SPEC §5: "an
 * attacker's linear reasoning over every published table must leave every
 * suppressed count with an interval of at least k possible values").
 *
 * The raw cells come from a small independent simulation written here (60
 * counties of 1-30 children, 24 months, seven metrics of every kind —
 * a rate, percentages additive in time and child-based, a quantile, a
 * count — with the links between them, four breakdowns, every period type),
 * so that every relation and link of docs/metrics.md holds exactly. They
 * become a release with release_apply() and are protected with
 * disclosure_protect(); the audit (tests/audit/) must find nothing. It must
 * also catch weakened protection, which shows it is not vacuous: primary
 * suppression alone on the simulation, and hand-made cases for each of its
 * relations and bounds.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casa/date.h"
#include "casa/disclosure.h"
#include "casa/metrics.h"
#include "casa/release.h"

#include "../audit/audit.c"

#define GEN_COUNTIES    60
#define GEN_MONTHS      24 /* January 2024 .. December 2025 */
#define GEN_FIRST_MONTH (2024 * 12)

/* Metric order of a metrics_result: by metric id. */
static const enum metric_id gen_metrics[] = {
    METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, /* rate, additive in time; the base */
    METRIC_YOUTH_WITH_RUNAWAY_PCT,         /* percentage, child-based */
    METRIC_REPEAT_RUNAWAY_PCT,             /* child-based; denominator = youth numerator 12+ */
    METRIC_DAYS_MISSING_MEDIAN,            /* quantile: episode counts only */
    METRIC_STILL_MISSING_COUNT,            /* count, child-based stock */
    METRIC_REPORTED_LE_24H_PCT,            /* denominator = runaway numerator */
    METRIC_RUNAWAY_DISCHARGES_PCT,         /* percentage, additive in time */
};
static const enum dim gen_dims[] = {DIM_TOTAL, DIM_COUNTY, DIM_AGE_BAND, DIM_SEX, DIM_ADVOCATE};

struct gen_child {
	uint32_t county;                 /* 0..59 */
	uint32_t sex;                    /* enum sex */
	uint32_t age_band;               /* enum age_band, fixed for the simulation */
	uint32_t advocate;               /* enum advocate, fixed too */
	int entry;                       /* first month in care (0-based) */
	int exit;                        /* first month not in care; GEN_MONTHS = still in */
	bool runaway_discharge;          /* discharged with reason runaway */
	uint8_t events[GEN_MONTHS];      /* missing episodes beginning (and ending) that month */
	uint8_t reported[GEN_MONTHS];    /* of them, reported within 24 hours */
	bool missing_at_end[GEN_MONTHS]; /* still missing on the month's last day */
};

struct gen {
	struct metrics_result raw;        /* the tables below */
	struct metrics_cell *cells;       /* all cells, table after table */
	char *county_names[GEN_COUNTIES]; /* group labels */
};

static uint64_t gen_next(uint64_t *state)
{
	/* xorshift64*: plenty for test data */
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ull;
}

static uint32_t gen_below(uint64_t *state, uint32_t n)
{
	return (uint32_t)((gen_next(state) >> 33) % n);
}

static uint32_t group_of(const struct gen_child *c, enum dim dim)
{
	switch (dim) {
	case DIM_COUNTY:
		return c->county;
	case DIM_AGE_BAND:
		return c->age_band;
	case DIM_SEX:
		return c->sex;
	case DIM_ADVOCATE:
		return c->advocate;
	default:
		return 0;
	}
}

static uint32_t groups_of(enum dim dim)
{
	switch (dim) {
	case DIM_COUNTY:
		return GEN_COUNTIES;
	case DIM_AGE_BAND:
		return AGE_BAND_COUNT;
	case DIM_SEX:
		return SEX_COUNT;
	case DIM_ADVOCATE:
		return ADVOCATE_COUNT;
	default:
		return 1;
	}
}

static int32_t month_day(int month)
{
	return period_first_day(PERIOD_MONTH, 1, GEN_FIRST_MONTH + month);
}

static void gen_free(struct gen *gen)
{
	free(gen->raw.tables);
	free(gen->cells);
	for (int i = 0; i < GEN_COUNTIES; i++)
		free(gen->county_names[i]);
	memset(gen, 0, sizeof(*gen));
}

static void gen_child_draw(struct gen_child *c, uint32_t county, uint64_t *rng)
{
	memset(c, 0, sizeof(*c));
	c->county = county;
	c->sex = gen_below(rng, 10) < 6 ? gen_below(rng, 2) : gen_below(rng, SEX_COUNT);
	c->age_band = gen_below(rng, AGE_BAND_COUNT);
	c->advocate = gen_below(rng, ADVOCATE_COUNT);
	c->entry = (int)gen_below(rng, GEN_MONTHS);
	c->exit = c->entry + 1 + (int)gen_below(rng, 30);
	if (c->exit > GEN_MONTHS)
		c->exit = GEN_MONTHS;
	c->runaway_discharge = gen_below(rng, 4) == 0;
	uint32_t runner = c->age_band >= AGE_12_14 ? 12 : 40; /* 1 in runner months */
	for (int m = c->entry; m < c->exit; m++) {
		if (gen_below(rng, runner) != 0)
			continue;
		c->events[m] = (uint8_t)(1 + gen_below(rng, 2));
		for (int e = 0; e < c->events[m]; e++)
			c->reported[m] += gen_below(rng, 10) < 8;
		c->missing_at_end[m] = gen_below(rng, 3) == 0;
	}
}

/* Adds one child's contributions to row `row` of table t: the months of
 * the period inside the simulation, as docs/metrics.md defines each metric. */
static void gen_add(struct gen *gen, size_t t, uint32_t row, const struct gen_child *c)
{
	struct metrics_table *table = &gen->raw.tables[t];
	int fy = gen->raw.fy_start_month;
	int32_t period = table->first_period + (int32_t)row;
	int m_lo =
	    period_index_of(PERIOD_MONTH, fy, period_first_day(table->period_type, fy, period)) -
	    GEN_FIRST_MONTH;
	int m_hi =
	    period_index_of(PERIOD_MONTH, fy, period_last_day(table->period_type, fy, period)) -
	    GEN_FIRST_MONTH;
	if (m_lo < 0)
		m_lo = 0;
	if (m_hi > GEN_MONTHS - 1)
		m_hi = GEN_MONTHS - 1; /* measured through as_of */
	int64_t days = 0, events = 0, reported = 0;
	bool served = false;
	for (int m = m_lo; m <= m_hi; m++) {
		if (m < c->entry || m >= c->exit)
			continue;
		served = true;
		days += month_day(m + 1) - month_day(m);
		events += c->events[m];
		reported += c->reported[m];
	}
	bool discharged = c->exit < GEN_MONTHS && c->exit >= m_lo && c->exit <= m_hi;
	bool still_missing = c->entry <= m_hi && m_hi < c->exit && c->missing_at_end[m_hi];
	struct metrics_cell *cell =
	    &table->cells[(size_t)row * table->group_count + group_of(c, table->dim)];
	bool counted = false;
	switch (table->metric) {
	case METRIC_RUNAWAY_EPISODES_PER_1000_DAYS:
		counted = served;
		cell->denominator += days;
		cell->numerator += events;
		break;
	case METRIC_YOUTH_WITH_RUNAWAY_PCT:
		counted = served && c->age_band >= AGE_12_14;
		cell->denominator += counted;
		cell->numerator += counted && events > 0;
		break;
	case METRIC_REPEAT_RUNAWAY_PCT:
		counted = events > 0;
		cell->denominator += counted;
		cell->numerator += events >= 2;
		break;
	case METRIC_DAYS_MISSING_MEDIAN:
		/* each missing episode ends in the month it began */
		counted = events > 0;
		cell->denominator += events;
		if (counted)
			cell->quantile_2s = 2 * 86400;
		break;
	case METRIC_STILL_MISSING_COUNT:
		counted = still_missing;
		cell->numerator += still_missing;
		break;
	case METRIC_REPORTED_LE_24H_PCT:
		counted = events > 0;
		cell->denominator += events;
		cell->numerator += reported;
		break;
	default: /* runaway_discharges_pct: episodes discharged in the period */
		counted = discharged;
		cell->denominator += discharged;
		cell->numerator += discharged && c->runaway_discharge;
		break;
	}
	cell->children += counted; /* one child counts once per cell */
}

static void gen_build(struct gen *gen, uint64_t seed, int fy_start_month)
{
	memset(gen, 0, sizeof(*gen));
	uint64_t rng = seed * 0x9e3779b97f4a7c15ull + 1;
	gen->raw.fy_start_month = fy_start_month;
	gen->raw.as_of = month_day(GEN_MONTHS) - 1;
	for (int i = 0; i < GEN_COUNTIES; i++) {
		char name[32];
		snprintf(name, sizeof(name), "county-%02d", i);
		gen->county_names[i] = strdup(name);
		ck_assert_ptr_nonnull(gen->county_names[i]);
	}
	gen->raw.counties = gen->county_names;
	gen->raw.county_count = GEN_COUNTIES;

	/* tables ordered by metric, period type, dim */
	size_t table_count =
	    CASA_ARRAY_LEN(gen_metrics) * PERIOD_TYPE_COUNT * CASA_ARRAY_LEN(gen_dims);
	gen->raw.tables = calloc(table_count, sizeof(struct metrics_table));
	ck_assert_ptr_nonnull(gen->raw.tables);
	int32_t first_day = month_day(0), last_day = gen->raw.as_of;
	size_t offsets[CASA_ARRAY_LEN(gen_metrics) * PERIOD_TYPE_COUNT * CASA_ARRAY_LEN(gen_dims)];
	size_t cell_total = 0;
	for (size_t mi = 0, t = 0; mi < CASA_ARRAY_LEN(gen_metrics); mi++)
		for (int pt = 0; pt < PERIOD_TYPE_COUNT; pt++)
			for (size_t di = 0; di < CASA_ARRAY_LEN(gen_dims); di++, t++) {
				struct metrics_table *table = &gen->raw.tables[t];
				table->metric = gen_metrics[mi];
				table->period_type = (enum period_type)pt;
				table->dim = gen_dims[di];
				table->first_period =
				    period_index_of(table->period_type, fy_start_month, first_day);
				table->period_count =
				    (uint32_t)(period_index_of(table->period_type, fy_start_month,
				                               last_day) -
				               table->first_period + 1);
				table->group_count = groups_of(table->dim);
				offsets[t] = cell_total;
				cell_total += (size_t)table->period_count * table->group_count;
			}
	gen->raw.table_count = table_count;
	gen->cells = calloc(cell_total, sizeof(struct metrics_cell));
	ck_assert_ptr_nonnull(gen->cells);
	for (size_t t = 0; t < table_count; t++)
		gen->raw.tables[t].cells = gen->cells + offsets[t];

	for (uint32_t county = 0; county < GEN_COUNTIES; county++) {
		uint32_t size = 1 + gen_below(&rng, 30);
		for (uint32_t i = 0; i < size; i++) {
			struct gen_child c;
			gen_child_draw(&c, county, &rng);
			for (size_t t = 0; t < table_count; t++)
				for (uint32_t row = 0; row < gen->raw.tables[t].period_count; row++)
					gen_add(gen, t, row, &c);
		}
	}
}

/* The release of gen's counts: SPEC §5 defaults (or the plan given), no
 * earlier release. */
static void gen_view(const struct gen *gen, int k, const char *plan, struct release_view *view)
{
	struct release_options options;
	memset(&options, 0, sizeof(options));
	options.settings.min_cell = k;
	options.settings.fy_start_month = gen->raw.fy_start_month;
	options.settings.settle_days = RELEASE_DEFAULT_SETTLE_DAYS;
	options.settings.screening_window_s = 72 * 3600;
	options.settings.mode = DISCLOSURE_SUPPRESS;
	char err[RELEASE_ERROR_LEN];
	if (plan == NULL)
		release_plan_default(&options.settings.plan);
	else
		ck_assert_msg(release_plan_parse(plan, &options.settings.plan, err), "%s", err);
	ck_assert_msg(release_apply(&gen->raw, NULL, &options, view, err), "%s", err);
}

static struct disclosure_options options_k(int k)
{
	struct disclosure_options o;
	memset(&o, 0, sizeof(o));
	o.mode = DISCLOSURE_SUPPRESS;
	o.min_cell = k;
	return o;
}

static void print_report(const char *what, const struct audit_report *r)
{
	fprintf(stderr, "audit %s: {", what);
	audit_report_print(stderr, r);
	fprintf(stderr, "}\n");
}

/* ---- disclosure_protect() must pass ---- */

static void run_protected(uint64_t seed, int k, int fy_start_month, const char *plan)
{
	struct gen gen;
	gen_build(&gen, seed, fy_start_month);
	struct release_view view;
	gen_view(&gen, k, plan, &view);
	struct disclosure_options o = options_k(k);
	struct disclosure_result pub;
	char derr[DISCLOSURE_ERROR_LEN];
	ck_assert_msg(disclosure_protect(&view, &o, &pub, derr), "%s", derr);
	struct audit_report report = {.verbose = true};
	char err[AUDIT_ERROR_LEN];
	ck_assert_msg(audit_run(&view, &pub, &report, err), "%s", err);
	char what[192];
	snprintf(what, sizeof(what), "seed %llu k %d fy %d%s%s: %llu primary, %llu secondary;",
	         (unsigned long long)seed, k, fy_start_month, plan ? " plan " : "",
	         plan ? plan : "", (unsigned long long)pub.suppressed_primary,
	         (unsigned long long)pub.suppressed_secondary);
	print_report(what, &report);
	/* The data must exercise both kinds of suppression, the links and the
	 * ">= 1" bounds, or the test proves nothing. */
	ck_assert_uint_gt(pub.suppressed_primary, 0);
	ck_assert_uint_gt(pub.suppressed_secondary, 0);
	ck_assert_uint_gt(report.unknowns, 0);
	ck_assert_uint_gt(report.links, 0);
	ck_assert_uint_gt(report.nonempty, 0);
	ck_assert_uint_eq(report.failures, 0);
	disclosure_free(&pub);
	release_view_free(&view);
	gen_free(&gen);
}

START_TEST(test_audit_protected_seeds)
{
	run_protected((uint64_t)_i + 1, 11, 10, NULL);
}
END_TEST

START_TEST(test_audit_protected_k5)
{
	run_protected(42, 5, 10, NULL);
}
END_TEST

START_TEST(test_audit_protected_january_fy)
{
	/* a year and its fiscal year are one period: linked */
	run_protected(7, 11, 1, NULL);
}
END_TEST

START_TEST(test_audit_protected_september_fy)
{
	/* the fiscal year does not start a quarter: months tile it, quarters
	 * do not */
	run_protected(8, 11, 9, NULL);
}
END_TEST

START_TEST(test_audit_protected_month_breakdowns)
{
	/* month x breakdown published too: months -> quarter in every group */
	run_protected(9, 11, 10, "month:all quarter:all year:all fiscal_year:all");
}
END_TEST

/* ---- results written by hand ---- */

/* A result publishing the view's counts, hiding cell flat with the counts
 * hide[flat] (DISCLOSURE_SECRET_* bits; 0 = published). Caller frees with
 * hand_result_free(). */
static void result_from_mask(const struct release_view *view, int k, const uint8_t *hide,
                             struct disclosure_result *out)
{
	memset(out, 0, sizeof(*out));
	out->min_cell = k;
	out->as_of = view->raw.as_of;
	out->fy_start_month = view->raw.fy_start_month;
	out->table_count = view->raw.table_count;
	out->tables = calloc(out->table_count, sizeof(*out->tables));
	ck_assert_ptr_nonnull(out->tables);
	size_t flat = 0;
	for (size_t t = 0; t < view->raw.table_count; t++) {
		const struct metrics_table *raw = &view->raw.tables[t];
		struct disclosure_table *dt = &out->tables[t];
		dt->metric = raw->metric;
		dt->period_type = raw->period_type;
		dt->dim = raw->dim;
		dt->first_period = raw->first_period;
		dt->period_count = raw->period_count;
		dt->group_count = raw->group_count;
		dt->published = view->tables[t].published;
		dt->published_rows = view->tables[t].published_rows;
		size_t n = (size_t)raw->period_count * raw->group_count;
		dt->cells = calloc(n ? n : 1, sizeof(*dt->cells));
		ck_assert_ptr_nonnull(dt->cells);
		unsigned fields = kind_fields(metrics_catalog[raw->metric].kind);
		for (size_t c = 0; c < n; c++, flat++) {
			struct disclosure_cell *cell = &dt->cells[c];
			if (hide[flat]) {
				cell->suppressed = true;
				continue;
			}
			cell->has_numerator = (fields & DISCLOSURE_SECRET_NUMERATOR) != 0;
			cell->numerator = raw->cells[c].numerator;
			cell->has_denominator = (fields & DISCLOSURE_SECRET_DENOMINATOR) != 0;
			cell->denominator = raw->cells[c].denominator;
		}
	}
	out->secret = malloc(flat ? flat : 1);
	ck_assert_ptr_nonnull(out->secret);
	memcpy(out->secret, hide, flat);
}

static void hand_result_free(struct disclosure_result *result)
{
	for (size_t t = 0; t < result->table_count; t++)
		free(result->tables[t].cells);
	free(result->tables);
	free(result->secret);
	memset(result, 0, sizeof(*result));
}

/* (a) Primary suppression alone (SPEC §5's rule, plus every count of a
 * group too small to hide in), written here from the view: the attacker
 * must recover counts by subtraction. */
START_TEST(test_audit_catches_primary_only)
{
	const int k = 11;
	struct gen gen;
	gen_build(&gen, 1, 10);
	struct release_view view;
	gen_view(&gen, k, NULL, &view);
	size_t cells = 0;
	for (size_t t = 0; t < view.raw.table_count; t++)
		cells += (size_t)view.raw.tables[t].period_count * view.raw.tables[t].group_count;
	uint8_t *hide = calloc(cells ? cells : 1, 1);
	ck_assert_ptr_nonnull(hide);
	size_t flat = 0;
	for (size_t t = 0; t < view.raw.table_count; t++) {
		const struct metrics_table *tab = &view.raw.tables[t];
		enum metric_kind kind = metrics_catalog[tab->metric].kind;
		const struct metrics_table *base = metrics_table_find(
		    &view.raw, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, tab->period_type, tab->dim);
		ck_assert_ptr_nonnull(base);
		ck_assert_int_eq(base->first_period, tab->first_period);
		for (size_t c = 0; c < (size_t)tab->period_count * tab->group_count; c++, flat++)
			hide[flat] = (uint8_t)(base->cells[c].children < k
			                           ? kind_fields(kind)
			                           : audit_primary_counts(kind, &tab->cells[c], k));
	}
	struct disclosure_result pub;
	result_from_mask(&view, k, hide, &pub);
	struct audit_report report = {0};
	char err[AUDIT_ERROR_LEN];
	ck_assert_msg(audit_run(&view, &pub, &report, err), "%s", err);
	print_report("primary only, seed 1", &report);
	/* every failure is a count recovered by the LP: the primary rule
	 * itself is met */
	ck_assert_uint_gt(report.exposed, 0);
	ck_assert_uint_eq(report.failures, report.exposed);
	hand_result_free(&pub);
	free(hide);
	release_view_free(&view);
	gen_free(&gen);
}
END_TEST

/*
 * Small releases written cell by cell: one calendar year (2025) of a few
 * metrics, total and by sex (female, male, other, unknown), every row
 * published. The runaway rate's children are the base of each group; every
 * base here is at least k = 11, so no group is too small to hide in.
 */
#define HAND_TABLES 6
#define HAND_YEAR   2025

struct hand {
	struct metrics_cell cells[HAND_TABLES][SEX_COUNT]; /* true counts */
	struct metrics_table tables[HAND_TABLES];          /* view->raw */
	struct release_table release[HAND_TABLES];         /* all published */
	struct release_view view;                          /* the release */
	uint8_t hide[HAND_TABLES * SEX_COUNT];             /* flat hidden counts */
	size_t offset[HAND_TABLES];                        /* first flat cell */
	size_t count;                                      /* tables used */
	size_t cells_used;                                 /* flat cells used */
};

/* The runaway rate by sex: base (children) 40, 40, 70, 15; no missing
 * episode unless numerators are given. */
static const struct metrics_cell hand_runaway_total = {
    .numerator = 0, .denominator = 49500, .children = 165, .quantile_2s = 0};
static const struct metrics_cell hand_runaway_sex[SEX_COUNT] = {
    {.numerator = 0, .denominator = 12000, .children = 40, .quantile_2s = 0},
    {.numerator = 0, .denominator = 12000, .children = 40, .quantile_2s = 0},
    {.numerator = 0, .denominator = 21000, .children = 70, .quantile_2s = 0},
    {.numerator = 0, .denominator = 4500, .children = 15, .quantile_2s = 0}};

static size_t hand_add(struct hand *h, enum metric_id metric, enum dim dim,
                       const struct metrics_cell *cells)
{
	ck_assert_uint_lt(h->count, HAND_TABLES);
	size_t t = h->count++;
	uint32_t groups = dim == DIM_TOTAL ? 1 : SEX_COUNT;
	memcpy(h->cells[t], cells, groups * sizeof(*cells));
	h->tables[t] =
	    (struct metrics_table){metric, PERIOD_YEAR, dim, HAND_YEAR, 1, groups, h->cells[t]};
	h->release[t] = (struct release_table){.published = true, .published_rows = 1};
	h->offset[t] = h->cells_used;
	h->cells_used += groups;
	return t;
}

static void hand_view(struct hand *h)
{
	memset(&h->view, 0, sizeof(h->view));
	h->view.raw.tables = h->tables;
	h->view.raw.table_count = h->count;
	h->view.raw.as_of = date_from_ymd(2026, 6, 30);
	h->view.raw.fy_start_month = 10;
	h->view.tables = h->release;
}

static void hand_hide(struct hand *h, size_t table, uint32_t group, unsigned counts)
{
	h->hide[h->offset[table] + group] = (uint8_t)counts;
}

/* Runs the audit on the hand release with k = 11. */
static void hand_audit(struct hand *h, struct audit_report *report)
{
	hand_view(h);
	struct disclosure_result pub;
	result_from_mask(&h->view, 11, h->hide, &pub);
	char err[AUDIT_ERROR_LEN];
	ck_assert_msg(audit_run(&h->view, &pub, report, err), "%s", err);
	hand_result_free(&pub);
}

static void hand_with_runaway_base(struct hand *h)
{
	memset(h, 0, sizeof(*h));
	hand_add(h, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, DIM_TOTAL, &hand_runaway_total);
	hand_add(h, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, DIM_SEX, hand_runaway_sex);
}

/* runaway_discharges_pct for 2025, total and by sex, over the runaway
 * base; returns the by-sex table. */
static size_t hand_discharges(struct hand *h, struct metrics_cell total,
                              const struct metrics_cell sex[SEX_COUNT])
{
	hand_with_runaway_base(h);
	hand_add(h, METRIC_RUNAWAY_DISCHARGES_PCT, DIM_TOTAL, &total);
	return hand_add(h, METRIC_RUNAWAY_DISCHARGES_PCT, DIM_SEX, sex);
}

/* Hides the same counts of female and male. */
static void hand_hide_female_male(struct hand *h, size_t table, unsigned counts)
{
	hand_hide(h, table, SEX_FEMALE, counts);
	hand_hide(h, table, SEX_MALE, counts);
}

/* (b) Two hidden cells of one relation adding up to 2. */
START_TEST(test_audit_catches_small_pair)
{
	/* runaway_discharges_pct: total 25 / 150 = female 1/40 + male 1/40 +
	 * other 23/70 + unknown 0/0 (numerators 1+1+23+0 = 25, denominators
	 * 40+40+70+0 = 150). Female and male fall under the primary rule
	 * (numerator 1): their numerators are secret, their denominators (40
	 * children) known. Hiding them alone: female + male = 25 - 23 - 0 = 2,
	 * so each lies in [0, 2]: 3 values < 11 -> 2 exposed. */
	struct hand h;
	const struct metrics_cell sex[SEX_COUNT] = {
	    {.numerator = 1, .denominator = 40, .children = 40, .quantile_2s = 0},
	    {.numerator = 1, .denominator = 40, .children = 40, .quantile_2s = 0},
	    {.numerator = 23, .denominator = 70, .children = 70, .quantile_2s = 0},
	    {.numerator = 0, .denominator = 0, .children = 0, .quantile_2s = 0}};
	size_t by_sex = hand_discharges(
	    &h,
	    (struct metrics_cell){
	        .numerator = 25, .denominator = 150, .children = 150, .quantile_2s = 0},
	    sex);
	hand_hide_female_male(&h, by_sex, DISCLOSURE_SECRET_NUMERATOR);
	struct audit_report report = {0};
	hand_audit(&h, &report);
	ck_assert_uint_eq(report.secret_counts, 2);
	ck_assert_uint_eq(report.unknowns, 2);
	ck_assert_uint_eq(report.exposed, 2);
	ck_assert_uint_eq(report.failures, 2);
	ck_assert_double_eq(report.narrowest, 2);

	/* Hiding other's numerator too: female + male + other = 25, each at
	 * most its denominator (40, 40, 70): female in [0, 25], 26 values;
	 * other in [25 - 80, 25] = [0, 25]: no failure. */
	hand_hide(&h, by_sex, SEX_OTHER, DISCLOSURE_SECRET_NUMERATOR);
	hand_audit(&h, &report);
	ck_assert_uint_eq(report.unknowns, 3);
	ck_assert_uint_eq(report.failures, 0);
}
END_TEST

/* (c) The policy's ">= 1": a hidden cell outside a small group is not
 * empty, which takes one unit of room from its partner. */
START_TEST(test_audit_catches_nonempty)
{
	/* runaway_discharges_pct by sex: female 0/4 and male 0/6 rest on fewer
	 * than 11 children, so both their counts are secret; other 0/70,
	 * unknown 0/0 (empty); total 0/80. Numerators: the total's published 0
	 * pins both at 0 by a zero alone (exempt). Denominators: female +
	 * male = 80 - 70 - 0 = 10. Without ">= 1": female in [0, 10], 11
	 * values, enough for k = 11. With it (both groups' base, 40 children,
	 * is at least k, so a hidden cell there is not empty): male >= 1 gives
	 * female <= 9, and female >= 1: [1, 9], 9 values -> both exposed. */
	struct hand h;
	const struct metrics_cell sex[SEX_COUNT] = {
	    {.numerator = 0, .denominator = 4, .children = 4, .quantile_2s = 0},
	    {.numerator = 0, .denominator = 6, .children = 6, .quantile_2s = 0},
	    {.numerator = 0, .denominator = 70, .children = 70, .quantile_2s = 0},
	    {.numerator = 0, .denominator = 0, .children = 0, .quantile_2s = 0}};
	size_t by_sex = hand_discharges(
	    &h,
	    (struct metrics_cell){
	        .numerator = 0, .denominator = 80, .children = 80, .quantile_2s = 0},
	    sex);
	hand_hide_female_male(&h, by_sex, DISCLOSURE_SECRET_FIELDS);
	struct audit_report report = {.without_nonempty = true};
	hand_audit(&h, &report);
	ck_assert_uint_eq(report.secret_counts, 4);
	ck_assert_uint_eq(report.zero_exempt, 2);
	ck_assert_uint_eq(report.nonempty, 0);
	ck_assert_uint_eq(report.failures, 0);
	ck_assert_double_eq(report.narrowest, -1);

	report = (struct audit_report){0};
	hand_audit(&h, &report);
	ck_assert_uint_eq(report.nonempty, 2);
	ck_assert_uint_eq(report.zero_exempt, 2);
	ck_assert_uint_eq(report.exposed, 2);
	ck_assert_uint_eq(report.failures, 2);
	ck_assert_double_eq(report.narrowest, 8);
}
END_TEST

/* (d) numerator <= denominator: two small complements hidden together. */
START_TEST(test_audit_catches_numerator_bound)
{
	/* runaway_discharges_pct by sex: female 38/40 and male 48/50 hide
	 * their numerators (complement 2: secret; denominators known); other
	 * 23/70; total 109/160. female + male = 109 - 23 - 0 = 86. The sum
	 * alone would leave female in [0, 86]; with numerator <= denominator,
	 * male <= 50 gives female >= 36 and female <= 40: [36, 40], 5 values
	 * (male [46, 50]) -> 2 exposed. */
	struct hand h;
	const struct metrics_cell sex[SEX_COUNT] = {
	    {.numerator = 38, .denominator = 40, .children = 40, .quantile_2s = 0},
	    {.numerator = 48, .denominator = 50, .children = 50, .quantile_2s = 0},
	    {.numerator = 23, .denominator = 70, .children = 70, .quantile_2s = 0},
	    {.numerator = 0, .denominator = 0, .children = 0, .quantile_2s = 0}};
	size_t by_sex = hand_discharges(
	    &h,
	    (struct metrics_cell){
	        .numerator = 109, .denominator = 160, .children = 160, .quantile_2s = 0},
	    sex);
	hand_hide_female_male(&h, by_sex, DISCLOSURE_SECRET_NUMERATOR);
	struct audit_report report = {0};
	hand_audit(&h, &report);
	ck_assert_uint_eq(report.exposed, 2);
	ck_assert_uint_eq(report.failures, 2);
	ck_assert_double_eq(report.narrowest, 4);

	/* Other's numerator hidden too: female + male + other = 109 with
	 * bounds 40, 50, 70: female >= 109 - 120 < 0, so [0, 40]; male
	 * [0, 50]; other [109 - 90, 70] = [19, 70]: no failure. */
	hand_hide(&h, by_sex, SEX_OTHER, DISCLOSURE_SECRET_NUMERATOR);
	hand_audit(&h, &report);
	ck_assert_uint_eq(report.failures, 0);
}
END_TEST

/* (e) A count hidden in one metric but published in a linked one. */
START_TEST(test_audit_catches_link)
{
	/* Missing episodes: runaway rate numerators 100 = female 40 + male 60
	 * (+ 0 + 0) are reported_le_24h_pct's denominators (reported 25/40,
	 * 45/60, total 70/100). Hiding the runaway numerators of female and
	 * male (each alone would lie in [0, 100]) while the reporting table
	 * publishes 40 and 60 gives them away: 2 exposed. */
	struct hand h;
	memset(&h, 0, sizeof(h));
	const struct metrics_cell runaway_total = {
	    .numerator = 100, .denominator = 49500, .children = 165, .quantile_2s = 0};
	struct metrics_cell runaway_sex[SEX_COUNT];
	memcpy(runaway_sex, hand_runaway_sex, sizeof(runaway_sex));
	runaway_sex[SEX_FEMALE].numerator = 40;
	runaway_sex[SEX_MALE].numerator = 60;
	hand_add(&h, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, DIM_TOTAL, &runaway_total);
	size_t runaway = hand_add(&h, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, DIM_SEX, runaway_sex);
	const struct metrics_cell reported_total = {
	    .numerator = 70, .denominator = 100, .children = 80, .quantile_2s = 0};
	struct metrics_cell reported_sex[SEX_COUNT] = {
	    {.numerator = 25, .denominator = 40, .children = 35, .quantile_2s = 0},
	    {.numerator = 45, .denominator = 60, .children = 45, .quantile_2s = 0},
	    {.numerator = 0, .denominator = 0, .children = 0, .quantile_2s = 0},
	    {.numerator = 0, .denominator = 0, .children = 0, .quantile_2s = 0}};
	hand_add(&h, METRIC_REPORTED_LE_24H_PCT, DIM_TOTAL, &reported_total);
	size_t reported = hand_add(&h, METRIC_REPORTED_LE_24H_PCT, DIM_SEX, reported_sex);
	hand_hide_female_male(&h, runaway, DISCLOSURE_SECRET_NUMERATOR);
	struct audit_report report = {0};
	hand_audit(&h, &report);
	ck_assert_uint_eq(report.links, 5); /* total + 4 groups */
	ck_assert_uint_eq(report.unknowns, 0);
	ck_assert_uint_eq(report.exposed, 2);
	ck_assert_uint_eq(report.failures, 2);

	/* Hiding the reporting denominators of female and male too: one
	 * unknown each, female + male = 100 in both tables, and the published
	 * reported numerators (25, 45) bound them below: female in
	 * [25, 100 - 45] = [25, 55], male in [45, 75]: no failure. */
	hand_hide_female_male(&h, reported, DISCLOSURE_SECRET_DENOMINATOR);
	hand_audit(&h, &report);
	ck_assert_uint_eq(report.secret_counts, 4);
	ck_assert_uint_eq(report.unknowns, 2);
	ck_assert_uint_eq(report.failures, 0);

	/* A wrong link list shows: counts assumed equal that are not stop the
	 * audit with the link's name. */
	h.cells[reported][SEX_FEMALE].denominator = 41;
	hand_view(&h);
	struct disclosure_result pub;
	result_from_mask(&h.view, 11, h.hide, &pub);
	char err[AUDIT_ERROR_LEN];
	ck_assert(!audit_run(&h.view, &pub, &report, err));
	ck_assert_ptr_nonnull(strstr(err, "runaway rate numerator = reported_le_24h_pct"));
	hand_result_free(&pub);
}
END_TEST

static Suite *audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *hand = tcase_create("hand");
	tcase_add_test(hand, test_audit_catches_small_pair);
	tcase_add_test(hand, test_audit_catches_nonempty);
	tcase_add_test(hand, test_audit_catches_numerator_bound);
	tcase_add_test(hand, test_audit_catches_link);
	suite_add_tcase(s, hand);
	TCase *sim = tcase_create("simulated");
	tcase_set_timeout(sim, 240);
	tcase_add_test(sim, test_audit_catches_primary_only);
	tcase_add_loop_test(sim, test_audit_protected_seeds, 0, 3);
	tcase_add_test(sim, test_audit_protected_k5);
	tcase_add_test(sim, test_audit_protected_january_fy);
	tcase_add_test(sim, test_audit_protected_september_fy);
	suite_add_tcase(s, sim);
	TCase *months = tcase_create("months");
	tcase_set_timeout(months, 240);
	tcase_add_test(months, test_audit_protected_month_breakdowns);
	suite_add_tcase(s, months);
	return s;
}

int main(void)
{
	if (!audit_have_glpk()) {
		printf("test_audit: skipped: %s\n", AUDIT_NO_GLPK);
		return AUDIT_SKIP_STATUS;
	}
	SRunner *sr = srunner_create(audit_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
