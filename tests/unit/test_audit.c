/*
 * test_audit.c — complementary suppression against the attacker's audit
 * (SPEC §5: "an attacker's linear reasoning over every published table must
 * leave every suppressed count with an interval of at least k possible
 * values").
 *
 * The raw cells come from a small independent simulation written here (60
 * counties of 1-30 children, 24 months, four metrics of different kinds,
 * every period type, four breakdowns), so that every additive relation of
 * docs/metrics.md holds exactly. The audit (tests/audit/) must pass on
 * disclosure_protect()'s output and must fail on weakened protection, which
 * shows it is not vacuous.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casa/date.h"
#include "casa/disclosure.h"
#include "casa/metrics.h"
#include "../../src/disclosure_internal.h"

#include "../audit/audit.c"

#define GEN_COUNTIES    60
#define GEN_MONTHS      24 /* January 2024 .. December 2025 */
#define GEN_FIRST_MONTH (2024 * 12)

static const enum metric_id gen_metrics[] = {
    METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, /* rate, additive in time */
    METRIC_YOUTH_WITH_RUNAWAY_PCT,         /* percent, child-based, not additive in time */
    METRIC_DAYS_MISSING_MEDIAN,            /* quantile: episode counts only */
    METRIC_RUNAWAY_DISCHARGES_PCT,         /* percent, additive in time */
};
static const enum dim gen_dims[] = {DIM_TOTAL, DIM_COUNTY, DIM_AGE_BAND, DIM_SEX};

struct gen_child {
	uint32_t county;            /* 0..59 */
	uint32_t sex;               /* enum sex */
	uint32_t age_band;          /* enum age_band, fixed for the simulation */
	int entry;                  /* first month in care (0-based) */
	int exit;                   /* first month not in care; GEN_MONTHS = still in care */
	bool runaway_discharge;     /* discharged with reason runaway (when exit < GEN_MONTHS) */
	uint8_t events[GEN_MONTHS]; /* missing episodes beginning in each month */
};

struct gen {
	struct metrics_result raw;        /* the tables below */
	int64_t *stamp;                   /* per cell: last child counted + 1 */
	size_t cell_total;                /* cells over all tables */
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
	default:
		return 0;
	}
}

static uint32_t groups_of(enum dim dim)
{
	return dim == DIM_COUNTY     ? GEN_COUNTIES
	       : dim == DIM_AGE_BAND ? AGE_BAND_COUNT
	       : dim == DIM_SEX      ? SEX_COUNT
	                             : 1;
}

static int32_t month_day(int month)
{
	return period_first_day(PERIOD_MONTH, 10, GEN_FIRST_MONTH + month);
}

/* Adds to cell (table t, period of month, group of child); counts the child
 * once per cell. */
static struct metrics_cell *cell_for(struct gen *gen, size_t t, int month,
                                     const struct gen_child *c, int64_t child_index)
{
	struct metrics_table *table = &gen->raw.tables[t];
	int32_t period =
	    period_index_of(table->period_type, gen->raw.fy_start_month, month_day(month));
	size_t idx =
	    (size_t)(period - table->first_period) * table->group_count + group_of(c, table->dim);
	size_t global = (size_t)(table->cells - gen->cells) + idx;
	struct metrics_cell *cell = &table->cells[idx];
	if (gen->stamp[global] != child_index + 1) {
		gen->stamp[global] = child_index + 1;
		cell->children++;
	}
	return cell;
}

static void gen_free(struct gen *gen)
{
	free(gen->raw.tables);
	free(gen->cells);
	free(gen->stamp);
	for (int i = 0; i < GEN_COUNTIES; i++)
		free(gen->county_names[i]);
	memset(gen, 0, sizeof(*gen));
}

static void gen_build(struct gen *gen, uint64_t seed)
{
	memset(gen, 0, sizeof(*gen));
	uint64_t rng = seed * 0x9e3779b97f4a7c15ull + 1;
	gen->raw.fy_start_month = 10;
	gen->raw.as_of = date_from_ymd(2025, 12, 31);
	for (int i = 0; i < GEN_COUNTIES; i++) {
		char name[32];
		snprintf(name, sizeof(name), "county-%02d", i);
		gen->county_names[i] = strdup(name);
	}
	gen->raw.counties = gen->county_names;
	gen->raw.county_count = GEN_COUNTIES;

	/* tables ordered by metric, period type, dim */
	size_t table_count =
	    CASA_ARRAY_LEN(gen_metrics) * PERIOD_TYPE_COUNT * CASA_ARRAY_LEN(gen_dims);
	gen->raw.tables = calloc(table_count, sizeof(struct metrics_table));
	ck_assert_ptr_nonnull(gen->raw.tables);
	int32_t first_day = month_day(0), last_day = month_day(GEN_MONTHS) - 1;
	size_t offsets[64];
	for (size_t mi = 0, t = 0; mi < CASA_ARRAY_LEN(gen_metrics); mi++)
		for (int pt = 0; pt < PERIOD_TYPE_COUNT; pt++)
			for (size_t di = 0; di < CASA_ARRAY_LEN(gen_dims); di++, t++) {
				struct metrics_table *table = &gen->raw.tables[t];
				table->metric = gen_metrics[mi];
				table->period_type = (enum period_type)pt;
				table->dim = gen_dims[di];
				table->first_period =
				    period_index_of(table->period_type, 10, first_day);
				table->period_count =
				    (uint32_t)(period_index_of(table->period_type, 10, last_day) -
				               table->first_period + 1);
				table->group_count = groups_of(table->dim);
				offsets[t] = gen->cell_total;
				gen->cell_total += (size_t)table->period_count * table->group_count;
			}
	gen->raw.table_count = table_count;
	gen->cells = calloc(gen->cell_total, sizeof(struct metrics_cell));
	gen->stamp = calloc(gen->cell_total, sizeof(int64_t));
	ck_assert(gen->cells && gen->stamp);
	for (size_t t = 0; t < table_count; t++)
		gen->raw.tables[t].cells = gen->cells + offsets[t];

	int64_t child_index = 0;
	for (uint32_t county = 0; county < GEN_COUNTIES; county++) {
		uint32_t size = 1 + gen_below(&rng, 30);
		for (uint32_t i = 0; i < size; i++, child_index++) {
			struct gen_child c = {.county = county};
			c.sex = gen_below(&rng, 10) < 6 ? gen_below(&rng, 2)
			                                : gen_below(&rng, SEX_COUNT);
			c.age_band = gen_below(&rng, AGE_BAND_COUNT);
			c.entry = (int)gen_below(&rng, GEN_MONTHS);
			c.exit = c.entry + 1 + (int)gen_below(&rng, 30);
			if (c.exit > GEN_MONTHS)
				c.exit = GEN_MONTHS;
			c.runaway_discharge = gen_below(&rng, 4) == 0;
			uint32_t runner =
			    c.age_band >= AGE_12_14 ? 12 : 40; /* 1 in runner months */
			for (int m = c.entry; m < c.exit; m++)
				c.events[m] = gen_below(&rng, runner) == 0
				                  ? (uint8_t)(1 + gen_below(&rng, 2))
				                  : 0;

			for (size_t t = 0; t < table_count; t++) {
				const struct metrics_table *table = &gen->raw.tables[t];
				switch (table->metric) {
				case METRIC_RUNAWAY_EPISODES_PER_1000_DAYS:
					for (int m = c.entry; m < c.exit; m++) {
						struct metrics_cell *cell =
						    cell_for(gen, t, m, &c, child_index);
						cell->denominator +=
						    month_day(m + 1) - month_day(m);
						cell->numerator += c.events[m];
					}
					break;
				case METRIC_DAYS_MISSING_MEDIAN:
					/* each missing episode ends in the month it began */
					for (int m = c.entry; m < c.exit; m++)
						if (c.events[m]) {
							struct metrics_cell *cell =
							    cell_for(gen, t, m, &c, child_index);
							cell->denominator += c.events[m];
							cell->quantile_2s = 2 * 86400;
						}
					break;
				case METRIC_RUNAWAY_DISCHARGES_PCT:
					if (c.exit < GEN_MONTHS) {
						struct metrics_cell *cell =
						    cell_for(gen, t, c.exit, &c, child_index);
						cell->denominator++;
						cell->numerator += c.runaway_discharge;
					}
					break;
				default: {
					/* youth_with_runaway_pct: children 12+ served in the
					 * period; numerator: with a missing episode in it.
					 * Months are visited in order, so a period's months
					 * are contiguous. */
					if (c.age_band < AGE_12_14)
						break;
					int32_t last_period = INT32_MIN;
					struct metrics_cell *cell = NULL;
					bool counted = false;
					for (int m = c.entry; m < c.exit; m++) {
						int32_t period = period_index_of(table->period_type,
						                                 10, month_day(m));
						if (period != last_period) {
							cell = cell_for(gen, t, m, &c, child_index);
							cell->denominator++;
							last_period = period;
							counted = false;
						}
						if (c.events[m] && !counted) {
							cell->numerator++;
							counted = true;
						}
					}
					break;
				}
				}
			}
		}
	}
}

static struct disclosure_options options_k(int k)
{
	struct disclosure_options o;
	memset(&o, 0, sizeof(o));
	o.mode = DISCLOSURE_SUPPRESS;
	o.min_cell = k;
	return o;
}

static void run_protected(uint64_t seed, int k)
{
	struct gen gen;
	gen_build(&gen, seed);
	struct disclosure_options o = options_k(k);
	struct disclosure_result pub;
	ck_assert(disclosure_protect(&gen.raw, &o, &pub));
	struct audit_report report = {.verbose = true};
	char err[AUDIT_ERROR_LEN];
	ck_assert_msg(audit_run(&gen.raw, &pub, &report, err), "%s", err);
	fprintf(stderr,
	        "audit seed %llu k %d: %llu primary, %llu secondary, %llu unknowns, %llu "
	        "relations, %llu LPs, %llu zero-exempt, %llu failures\n",
	        (unsigned long long)seed, k, (unsigned long long)pub.suppressed_primary,
	        (unsigned long long)pub.suppressed_secondary, (unsigned long long)report.unknowns,
	        (unsigned long long)report.relations, (unsigned long long)report.lp_solves,
	        (unsigned long long)report.zero_exempt, (unsigned long long)report.failures);
	/* The data must exercise both kinds of suppression, or the test proves
	 * nothing. */
	ck_assert_uint_gt(pub.suppressed_primary, 0);
	ck_assert_uint_gt(pub.suppressed_secondary, 0);
	ck_assert_uint_gt(report.unknowns, 0);
	ck_assert_uint_eq(report.failures, 0);
	disclosure_free(&pub);
	gen_free(&gen);
}

START_TEST(test_audit_protected_seeds)
{
	run_protected((uint64_t)_i + 1, 11);
}
END_TEST

START_TEST(test_audit_protected_k5)
{
	run_protected(42, 5);
}
END_TEST

/* Publishes raw with the primary rule only (what a missing complementary
 * step would do). */
static void primary_only(const struct metrics_result *raw, int k, struct disclosure_result *pub)
{
	struct disclosure_options o = options_k(k);
	ck_assert(disclosure_protect(raw, &o, pub));
	for (size_t i = 0; i < raw->table_count; i++) {
		const struct metrics_table *t = &raw->tables[i];
		const struct metric_def *def = &metrics_catalog[t->metric];
		for (size_t c = 0; c < (size_t)t->period_count * t->group_count; c++) {
			struct disclosure_cell *dc = &pub->tables[i].cells[c];
			memset(dc, 0, sizeof(*dc));
			if (disclosure_primary_suppressed(def->kind, &t->cells[c], k)) {
				dc->suppressed = true;
				continue;
			}
			dc->has_numerator = disclosure_kind_has_numerator(def->kind);
			dc->numerator = t->cells[c].numerator;
			dc->has_denominator = disclosure_kind_has_denominator(def->kind);
			dc->denominator = t->cells[c].denominator;
		}
	}
}

START_TEST(test_audit_catches_primary_only)
{
	struct gen gen;
	gen_build(&gen, 1);
	struct disclosure_result pub;
	primary_only(&gen.raw, 11, &pub);
	struct audit_report report = {0};
	char err[AUDIT_ERROR_LEN];
	ck_assert_msg(audit_run(&gen.raw, &pub, &report, err), "%s", err);
	fprintf(stderr, "audit primary only: %llu of %llu unknowns exposed\n",
	        (unsigned long long)report.failures, (unsigned long long)report.unknowns);
	ck_assert_uint_gt(report.failures, 0);
	disclosure_free(&pub);
	gen_free(&gen);
}
END_TEST

START_TEST(test_audit_catches_small_pair)
{
	/* Total 25 = female 1 + male 1 + other 23 + unknown 0 (numerators of
	 * runaway_discharges_pct, one year). Hiding female and male only: the
	 * attacker knows female + male = 25 - 23 - 0 = 2, so each lies in
	 * [0, 2]: 3 values < 11 -> 2 failures. Their denominators (40 children
	 * each, >= k) are not secret: the attacker is assumed to know them, so
	 * the unknowns are the 2 numerators. Hiding other as well (its numerator
	 * becomes secret; its denominator, 70 children, stays known): female +
	 * male + other = 25, each in [0, 25]: 26 values >= 11 -> no failure,
	 * 3 unknowns. */
	struct metrics_cell total = {.numerator = 25, .denominator = 150, .children = 150};
	struct metrics_cell sex[4] = {{.numerator = 1, .denominator = 40, .children = 40},
	                              {.numerator = 1, .denominator = 40, .children = 40},
	                              {.numerator = 23, .denominator = 70, .children = 70},
	                              {.numerator = 0}};
	struct metrics_table tables[2] = {
	    {METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_TOTAL, 2025, 1, 1, &total},
	    {METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_SEX, 2025, 1, 4, sex}};
	struct metrics_result raw = {.tables = tables, .table_count = 2, .fy_start_month = 10};
	struct disclosure_cell pub_total = {
	    .numerator = 25, .denominator = 150, .has_numerator = true, .has_denominator = true};
	struct disclosure_cell pub_sex[4] = {
	    {.suppressed = true},
	    {.suppressed = true},
	    {.numerator = 23, .denominator = 70, .has_numerator = true, .has_denominator = true},
	    {.has_numerator = true, .has_denominator = true}};
	struct disclosure_table pub_tables[2] = {
	    {METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_TOTAL, 2025, 1, 1, &pub_total},
	    {METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_SEX, 2025, 1, 4, pub_sex}};
	struct disclosure_result pub = {.tables = pub_tables, .table_count = 2, .min_cell = 11};
	struct audit_report report = {0};
	char err[AUDIT_ERROR_LEN];
	ck_assert_msg(audit_run(&raw, &pub, &report, err), "%s", err);
	ck_assert_uint_eq(report.unknowns, 2);
	ck_assert_uint_eq(report.failures, 2);

	pub_sex[2] = (struct disclosure_cell){.suppressed = true};
	ck_assert_msg(audit_run(&raw, &pub, &report, err), "%s", err);
	ck_assert_uint_eq(report.unknowns, 3);
	ck_assert_uint_eq(report.failures, 0);

	/* And what disclosure_protect itself does with these cells: female and
	 * male are primary (numerator 1), sum 2 < 11, so other (23, the smallest
	 * non-zero published member) is hidden too; then female + male + other
	 * = 25 - 0 = 25 leaves each [0, 25], 26 values: the total stays
	 * published, and the audit agrees (the case above). */
	struct disclosure_options o = options_k(11);
	struct disclosure_result real;
	ck_assert(disclosure_protect(&raw, &o, &real));
	ck_assert(real.tables[1].cells[0].suppressed && real.tables[1].cells[1].suppressed);
	ck_assert(real.tables[1].cells[2].suppressed);
	ck_assert(!real.tables[0].cells[0].suppressed);
	ck_assert(!real.tables[1].cells[3].suppressed);
	ck_assert_msg(audit_run(&raw, &real, &report, err), "%s", err);
	ck_assert_uint_eq(report.failures, 0);
	disclosure_free(&real);
}
END_TEST

static Suite *audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_audit_catches_small_pair);
	tcase_add_test(tc, test_audit_catches_primary_only);
	tcase_add_loop_test(tc, test_audit_protected_seeds, 0, 3);
	tcase_add_test(tc, test_audit_protected_k5);
	suite_add_tcase(s, tc);
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
