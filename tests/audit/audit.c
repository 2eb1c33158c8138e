/*
 * audit.c — see audit.h. Test code: compiled into test_audit and casa-audit
 * by #include, never into the daemon.
 *
 * Method. Every count of a published row of a published table is a node
 * (2 * flat cell + field); nodes that two metrics publish under different
 * names are joined (union-find) into one class. A class holding a known
 * node is known; the others are the LP's variables. Each relation becomes a
 * row over variables, the known classes moved to the right-hand side; a
 * percentage adds numerator - denominator <= 0. The variables split into
 * independent components (connected by rows), one program each.
 *
 * The true counts are feasible by construction (checked: a relation or
 * link the raw counts break stops the audit, which catches a wrong list).
 * A variable is safe when two feasible points differ in it by k - 1 whole
 * units: every LP solution is such a witness for all variables at once, so
 * most are proven safe by a few solves pushing many variables up and down
 * together, and only the others get their exact minimum and maximum.
 * (Tried and dropped: random sign patterns, and rounds pushing only
 * variables that share no row; neither proved more per solve.) Variables
 * pinned at 0 by known zeros alone (a part of a zero whole, a whole of zero
 * parts) are exempt and fixed at 0: no solve.
 * Integrality: the bound is the LP relaxation's, an outer bound of the
 * attacker's integer interval (these sum tables are network-like, where the
 * two mostly agree).
 */
#include "audit.h"

#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casa/date.h"
#include "casa/metrics.h"

static double audit_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define NUM          0 /* numerator field */
#define DEN          1 /* denominator field */
#define FIELD_BIT(f) (1u << (f))
_Static_assert(FIELD_BIT(NUM) == DISCLOSURE_SECRET_NUMERATOR, "numerator bit");
_Static_assert(FIELD_BIT(DEN) == DISCLOSURE_SECRET_DENOMINATOR, "denominator bit");

/* Counts a cell of this kind has: bit NUM unless a quantile (null
 * numerator), bit DEN unless a count (null denominator). */
static unsigned kind_fields(enum metric_kind kind)
{
	return (kind != METRIC_KIND_QUANTILE ? FIELD_BIT(NUM) : 0u) |
	       (kind != METRIC_KIND_COUNT ? FIELD_BIT(DEN) : 0u);
}

/* The count that is 0 exactly when the cell is empty: a count's number,
 * otherwise the denominator (days, children, episodes). */
static int emptiness_field(enum metric_kind kind)
{
	return kind == METRIC_KIND_COUNT ? NUM : DEN;
}

/* The primary rule of SPEC §5 as the counts it makes secret (docs/privacy.md
 * "What is secret"): every count of a cell on fewer than k children; the
 * numerator when it is 1..k-1 or, for a percentage, when the complement is;
 * a quantile's episode count when under k. A cell with no child at all is
 * fine. */
static unsigned audit_primary_counts(enum metric_kind kind, const struct metrics_cell *c, int k)
{
	if (c->children == 0 && c->numerator == 0 && c->denominator == 0)
		return 0;
	if (c->children < k)
		return kind_fields(kind);
	bool small_numerator = c->numerator >= 1 && c->numerator < k;
	int64_t complement = c->denominator - c->numerator;
	switch (kind) {
	case METRIC_KIND_RATE:
	case METRIC_KIND_COUNT:
		return small_numerator ? FIELD_BIT(NUM) : 0u;
	case METRIC_KIND_PERCENT:
		return small_numerator || (complement >= 1 && complement < k) ? FIELD_BIT(NUM) : 0u;
	case METRIC_KIND_QUANTILE:
		return c->denominator < k ? FIELD_BIT(DEN) : 0u;
	}
	return kind_fields(kind);
}

void audit_report_print(FILE *out, const struct audit_report *r)
{
	fprintf(out,
	        "\"secret_counts\": %llu, \"unknowns\": %llu, \"links\": %llu, "
	        "\"relations\": %llu, \"nonempty\": %llu, \"components\": %llu, "
	        "\"largest_component\": %llu, \"lp_solves\": %llu, \"zero_exempt\": %llu, "
	        "\"narrowest\": %.0f, \"failures\": %llu, \"exposed\": %llu, "
	        "\"published_primary\": %llu, \"published_small\": %llu, "
	        "\"suppressed_empty\": %llu, \"unmarked\": %llu, \"audit_seconds\": %.3f",
	        (unsigned long long)r->secret_counts, (unsigned long long)r->unknowns,
	        (unsigned long long)r->links, (unsigned long long)r->relations,
	        (unsigned long long)r->nonempty, (unsigned long long)r->components,
	        (unsigned long long)r->largest, (unsigned long long)r->lp_solves,
	        (unsigned long long)r->zero_exempt, r->narrowest, (unsigned long long)r->failures,
	        (unsigned long long)r->exposed, (unsigned long long)r->published_primary,
	        (unsigned long long)r->published_small, (unsigned long long)r->suppressed_empty,
	        (unsigned long long)r->unmarked, r->seconds);
}

#ifdef CASA_HAVE_GLPK
#include <glpk.h>

bool audit_have_glpk(void)
{
	return true;
}

/* Node flags */
#define NODE_IN       0x01u /* a count of a published row of a published table */
#define NODE_SECRET   0x02u /* unknown to the attacker */
#define NODE_NONEMPTY 0x04u /* >= 1: suppressed, not empty by policy */
/* Class flags, on the class's root node */
#define CLASS_KNOWN    0x10u /* some node of the class is known */
#define CLASS_ZERO     0x20u /* 0 by known zeros alone */
#define CLASS_NONEMPTY 0x40u /* some node is NODE_NONEMPTY */

#define NO_TABLE -1L

/*
 * Counts that two metrics publish under different names (docs/metrics.md,
 * SPEC §4): missing episodes beginning in the period; days in care;
 * episodes screened within the window; missing episodes ending with a
 * return; children 12 and older with a missing episode. Written from the
 * definitions, not from the engine's list.
 */
enum link_scope {
	SCOPE_EVERY_CELL,
	SCOPE_CLOSED_7_DAYS,   /* periods whose last day is on or before as_of - 7:
	                          returned_within_7_days_pct counts episodes up to
	                          as_of - 7 only */
	SCOPE_CLOSED_30_DAYS,  /* periods ended 30 days or more before as_of:
	                          identified_after_missing_pct counts returns with
	                          their 30 days elapsed only */
	SCOPE_CLOSED_364_DAYS, /* periods ended 364 days or more before as_of: the
	                          12-month cohort after assignment counts
	                          assignments with their year elapsed only */
	SCOPE_AGE_12_PLUS      /* age_band tables, bands 12-14 and older: the youth
	                          percentage counts children 12+ only */
};

static const struct {
	const char *name;      /* for the error when the counts differ */
	enum metric_id a;      /* one metric */
	int field_a;           /* its count */
	enum metric_id b;      /* the other */
	int field_b;           /* its equal count */
	enum link_scope scope; /* where they are equal */
} audit_links[] = {
    {"missing episodes: runaway rate numerator = reported_le_24h_pct denominator",
     METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, NUM, METRIC_REPORTED_LE_24H_PCT, DEN, SCOPE_EVERY_CELL},
    {"missing episodes: runaway rate numerator = reported_ncmec_24h_pct denominator",
     METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, NUM, METRIC_REPORTED_NCMEC_24H_PCT, DEN,
     SCOPE_EVERY_CELL},
    {"missing episodes: runaway rate numerator = returned_within_7_days_pct denominator",
     METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, NUM, METRIC_RETURNED_WITHIN_7_DAYS_PCT, DEN,
     SCOPE_CLOSED_7_DAYS},
    {"days in care: runaway rate denominator = moves_per_1000_days_in_care denominator",
     METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, DEN, METRIC_MOVES_PER_1000_DAYS_IN_CARE, DEN,
     SCOPE_EVERY_CELL},
    {"screened episodes: screened_after_return_pct numerator = screened_positive_pct "
     "denominator",
     METRIC_SCREENED_AFTER_RETURN_PCT, NUM, METRIC_SCREENED_POSITIVE_PCT, DEN, SCOPE_EVERY_CELL},
    {"returned episodes: days_missing_median denominator = days_missing_p90 denominator",
     METRIC_DAYS_MISSING_MEDIAN, DEN, METRIC_DAYS_MISSING_P90, DEN, SCOPE_EVERY_CELL},
    {"returned episodes: days_missing_median denominator = screened_after_return_pct "
     "denominator",
     METRIC_DAYS_MISSING_MEDIAN, DEN, METRIC_SCREENED_AFTER_RETURN_PCT, DEN, SCOPE_EVERY_CELL},
    {"runaway children 12+: youth_with_runaway_pct numerator = repeat_runaway_pct denominator",
     METRIC_YOUTH_WITH_RUNAWAY_PCT, NUM, METRIC_REPEAT_RUNAWAY_PCT, DEN, SCOPE_AGE_12_PLUS},
    {"returned episodes: screened_after_return_pct denominator = "
     "identified_after_missing_pct denominator",
     METRIC_SCREENED_AFTER_RETURN_PCT, DEN, METRIC_IDENTIFIED_AFTER_MISSING_PCT, DEN,
     SCOPE_CLOSED_30_DAYS},
    {"first assignments: days_to_assignment_median denominator = "
     "permanency_12m_after_assignment_pct denominator",
     METRIC_DAYS_TO_ASSIGNMENT_MEDIAN, DEN, METRIC_PERMANENCY_12M_AFTER_ASSIGNMENT_PCT, DEN,
     SCOPE_CLOSED_364_DAYS},
    {"identifications: trafficking_identified_per_1000_served numerator = "
     "trafficking_reported_le_24h_pct denominator",
     METRIC_TRAFFICKING_IDENTIFIED_PER_1000_SERVED, NUM, METRIC_TRAFFICKING_REPORTED_LE_24H_PCT,
     DEN, SCOPE_EVERY_CELL},
};

/* Rows in compressed form: row r has members member[start[r] ..
 * start[r + 1]) with coefficients coef (+1 the whole, -1 its parts). */
struct audit_rows {
	uint32_t *member;   /* nodes (relations) or variables (LP rows) */
	int8_t *coef;       /* +1 or -1 (LP rows: merged, any small integer) */
	size_t *start;      /* count + 1 offsets */
	int64_t *rhs;       /* LP rows: right-hand side */
	bool *upper;        /* LP rows: "<= rhs" instead of "= rhs" */
	size_t count;       /* rows */
	size_t used;        /* members */
	size_t cap_members; /* allocated members */
	size_t cap_rows;    /* allocated rows */
};

struct audit {
	const struct release_view *view;        /* borrowed */
	const struct metrics_result *raw;       /* &view->raw: the true counts */
	const struct disclosure_result *result; /* borrowed */
	struct audit_report *report;            /* figures */
	int k;                                  /* min_cell */
	char *err;                              /* AUDIT_ERROR_LEN */
	size_t *offset;                         /* first flat cell of each table, + 1 */
	size_t cells;                           /* flat cells */
	long table_of[METRIC_COUNT][PERIOD_TYPE_COUNT][DIM_COUNT]; /* or NO_TABLE */
	uint8_t *flag;               /* NODE_ and CLASS_ bits per node */
	int64_t *value;              /* true count per node */
	uint32_t *parent;            /* union-find: equal counts */
	struct audit_rows relations; /* node-level equalities */
	struct audit_rows lp;        /* variable-level rows */
	uint32_t *var_of;            /* per root node: variable + 1, else 0 */
	uint32_t *var_root;          /* per variable: its root node */
	size_t vars;                 /* variables */
	bool *var_exposed;           /* per variable: fewer than k values */
};

/* ---- rows ---- */

static bool rows_push(struct audit_rows *rows, uint32_t member, int coef)
{
	if (rows->start == NULL) {
		rows->cap_rows = 1024;
		rows->start = malloc((rows->cap_rows + 1) * sizeof(*rows->start));
		rows->rhs = malloc(rows->cap_rows * sizeof(*rows->rhs));
		rows->upper = malloc(rows->cap_rows * sizeof(*rows->upper));
		if (rows->start == NULL || rows->rhs == NULL || rows->upper == NULL)
			return false;
		rows->start[0] = 0;
	}
	if (rows->used == rows->cap_members) {
		size_t cap = rows->cap_members ? 2 * rows->cap_members : 8192;
		uint32_t *m = realloc(rows->member, cap * sizeof(*m));
		if (m == NULL)
			return false;
		rows->member = m;
		int8_t *c = realloc(rows->coef, cap * sizeof(*c));
		if (c == NULL)
			return false;
		rows->coef = c;
		rows->cap_members = cap;
	}
	rows->member[rows->used] = member;
	rows->coef[rows->used] = (int8_t)coef;
	rows->used++;
	return true;
}

/* Closes the row of the members pushed since the last one. */
static bool rows_end(struct audit_rows *rows, int64_t rhs, bool upper)
{
	if (rows->count == rows->cap_rows) {
		size_t cap = 2 * rows->cap_rows;
		size_t *s = realloc(rows->start, (cap + 1) * sizeof(*s));
		if (s == NULL)
			return false;
		rows->start = s;
		int64_t *r = realloc(rows->rhs, cap * sizeof(*r));
		if (r == NULL)
			return false;
		rows->rhs = r;
		bool *u = realloc(rows->upper, cap * sizeof(*u));
		if (u == NULL)
			return false;
		rows->upper = u;
		rows->cap_rows = cap;
	}
	rows->rhs[rows->count] = rhs;
	rows->upper[rows->count] = upper;
	rows->count++;
	rows->start[rows->count] = rows->used;
	return true;
}

/* Drops the members pushed since the last row. */
static void rows_discard(struct audit_rows *rows)
{
	rows->used = rows->start ? rows->start[rows->count] : 0;
}

static void rows_free(struct audit_rows *rows)
{
	free(rows->member);
	free(rows->coef);
	free(rows->start);
	free(rows->rhs);
	free(rows->upper);
	memset(rows, 0, sizeof(*rows));
}

/* ---- cells and their identity ---- */

/* Counts that add up over time (the catalog's time_additive: events and
 * days add up over months, children and cohorts counted once do not). */
static bool adds_up_in_time(enum metric_id metric, int field)
{
	return (metrics_catalog[metric].time_additive >> field) & 1u;
}

static size_t table_of_flat(const struct audit *a, size_t flat)
{
	size_t lo = 0, hi = a->raw->table_count; /* offset[lo] <= flat < offset[hi] */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (a->offset[mid] <= flat)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* "metric period_type by=dim period=label group=label field": which count,
 * never its value. */
static void node_identity(const struct audit *a, uint32_t node, char *out, size_t len)
{
	size_t flat = node / 2, t = table_of_flat(a, flat);
	const struct metrics_table *tab = &a->raw->tables[t];
	size_t c = flat - a->offset[t];
	uint32_t g = (uint32_t)(c % tab->group_count);
	char period[PERIOD_LABEL_LEN];
	period_label(tab->period_type, tab->first_period + (int32_t)(c / tab->group_count), period);
	const char *group =
	    tab->dim == DIM_TOTAL ? "total" : metrics_result_group_label(a->raw, tab->dim, g);
	snprintf(out, len, "%s %s by=%s period=%s group=%s %s", metrics_catalog[tab->metric].id,
	         period_type_name(tab->period_type), metrics_dim_name(tab->dim), period,
	         group ? group : "?", node % 2 == NUM ? "numerator" : "denominator");
}

static void say_failure(const struct audit *a, const char *kind, uint32_t node)
{
	if (!a->report->verbose)
		return;
	char id[256];
	node_identity(a, node, id, sizeof(id));
	fprintf(stderr, "audit: %s: %s\n", kind, id);
}

static bool audit_error(struct audit *a, const char *what, uint32_t node)
{
	char id[200];
	node_identity(a, node, id, sizeof(id));
	snprintf(a->err, AUDIT_ERROR_LEN, "audit: %s: %s", what, id);
	return false;
}

static bool audit_oom(struct audit *a)
{
	snprintf(a->err, AUDIT_ERROR_LEN, "audit: out of memory");
	return false;
}

static uint32_t node_at(const struct audit *a, size_t t, uint32_t row, uint32_t group, int field)
{
	const struct metrics_table *tab = &a->raw->tables[t];
	return (uint32_t)(2 * (a->offset[t] + (size_t)row * tab->group_count + group) +
	                  (size_t)field);
}

static bool row_published(const struct audit *a, size_t t, uint32_t row)
{
	return a->view->tables[t].published && row < a->view->tables[t].published_rows;
}

/* Row of period in table t, or -1 when the table does not hold it. */
static long row_of(const struct audit *a, size_t t, int32_t period)
{
	const struct metrics_table *tab = &a->raw->tables[t];
	if (period < tab->first_period || period >= tab->first_period + (int32_t)tab->period_count)
		return -1;
	return (long)(period - tab->first_period);
}

/* ---- step 1: what the attacker knows, and the cells that fail outright ---- */

/* The base of a group-period: the children with a day in care in that
 * group and period (the runaway rate's cell), the cell's own children for
 * the los_band breakdown (two_or_fewer_placements_pct only). */
static bool cell_base(struct audit *a, size_t t, uint32_t row, uint32_t g, int64_t *base)
{
	const struct metrics_table *tab = &a->raw->tables[t];
	if (tab->dim == DIM_LOS_BAND) {
		*base = tab->cells[(size_t)row * tab->group_count + g].children;
		return true;
	}
	long b = a->table_of[METRIC_RUNAWAY_EPISODES_PER_1000_DAYS][tab->period_type][tab->dim];
	if (b == NO_TABLE)
		return false;
	long brow = row_of(a, (size_t)b, tab->first_period + (int32_t)row);
	const struct metrics_table *bt = &a->raw->tables[b];
	if (brow < 0 || g >= bt->group_count)
		return false;
	*base = bt->cells[(size_t)brow * bt->group_count + g].children;
	return true;
}

static bool in_scope(const struct audit *a, enum link_scope scope, const struct metrics_table *t,
                     int32_t period, uint32_t g);

/* Whether another metric publishes the same count as this cell's field
 * (a link holding here, both rows published), or, with a January fiscal
 * year, the year and fiscal year of the same index are both published.
 * The policy's ">= 1" for a hidden cell outside a small group concerns a
 * count of the cell's own only: a shared count may be secret because of
 * the other metric's cell, and its cell hidden while empty. */
static bool count_is_shared(const struct audit *a, size_t t, uint32_t row, uint32_t g, int field)
{
	const struct metrics_table *tab = &a->raw->tables[t];
	int32_t period = tab->first_period + (int32_t)row;
	for (size_t l = 0; l < CASA_ARRAY_LEN(audit_links); l++)
		for (int side = 0; side < 2; side++) {
			enum metric_id m = side ? audit_links[l].b : audit_links[l].a;
			enum metric_id o = side ? audit_links[l].a : audit_links[l].b;
			int f = side ? audit_links[l].field_b : audit_links[l].field_a;
			if (m != tab->metric || f != field)
				continue;
			long ot = a->table_of[o][tab->period_type][tab->dim];
			if (ot == NO_TABLE || !a->view->tables[ot].published)
				continue;
			long orow = row_of(a, (size_t)ot, period);
			if (orow < 0 || (uint32_t)orow >= a->view->tables[ot].published_rows)
				continue;
			if (in_scope(a, audit_links[l].scope, tab, period, g))
				return true;
		}
	if (a->raw->fy_start_month == 1 &&
	    (tab->period_type == PERIOD_YEAR || tab->period_type == PERIOD_FISCAL_YEAR)) {
		enum period_type other =
		    tab->period_type == PERIOD_YEAR ? PERIOD_FISCAL_YEAR : PERIOD_YEAR;
		long ot = a->table_of[tab->metric][other][tab->dim];
		if (ot != NO_TABLE && a->view->tables[ot].published) {
			long orow = row_of(a, (size_t)ot, period);
			return orow >= 0 && (uint32_t)orow < a->view->tables[ot].published_rows;
		}
	}
	return false;
}

static bool classify_cells(struct audit *a)
{
	struct audit_report *r = a->report;
	const uint8_t *secret_of = a->result->secret;
	for (size_t t = 0; t < a->raw->table_count; t++) {
		const struct metrics_table *tab = &a->raw->tables[t];
		const struct disclosure_table *dt = &a->result->tables[t];
		enum metric_kind kind = metrics_catalog[tab->metric].kind;
		unsigned fields = kind_fields(kind);
		int e = emptiness_field(kind);
		if (!a->view->tables[t].published)
			continue;
		for (uint32_t row = 0; row < a->view->tables[t].published_rows; row++)
			for (uint32_t g = 0; g < tab->group_count; g++) {
				size_t c = (size_t)row * tab->group_count + g;
				size_t flat = a->offset[t] + c;
				const struct metrics_cell *cell = &tab->cells[c];
				const struct disclosure_cell *pub = &dt->cells[c];
				uint32_t first = (uint32_t)(2 * flat);
				a->value[first + NUM] = cell->numerator;
				a->value[first + DEN] = cell->denominator;
				for (int f = NUM; f <= DEN; f++)
					if (fields & FIELD_BIT(f))
						a->flag[first + (uint32_t)f] |= NODE_IN;
				int64_t base;
				if (!cell_base(a, t, row, g, &base))
					return audit_error(a, "no base (runaway rate cell) for",
					                   first + (uint32_t)e);
				bool small = base < a->k;
				/* a group too small to hide in hides every count */
				unsigned must =
				    small ? fields : audit_primary_counts(kind, cell, a->k);
				unsigned marked = secret_of[flat] & fields;
				if (!pub->suppressed) {
					if (marked != 0)
						return audit_error(
						    a, "published cell marked secret", first);
					if ((fields & FIELD_BIT(NUM)) &&
					    (!pub->has_numerator ||
					     pub->numerator != cell->numerator))
						return audit_error(
						    a, "published numerator is not the view's",
						    first);
					if ((fields & FIELD_BIT(DEN)) &&
					    (!pub->has_denominator ||
					     pub->denominator != cell->denominator))
						return audit_error(
						    a, "published denominator is not the view's",
						    first + DEN);
					if (audit_primary_counts(kind, cell, a->k)) {
						r->published_primary++;
						say_failure(a, "published under the primary rule",
						            first + (uint32_t)e);
					}
					if (small) {
						r->published_small++;
						say_failure(a, "published in a small group",
						            first + (uint32_t)e);
					}
					continue;
				}
				for (int f = NUM; f <= DEN; f++)
					if (must & ~marked & FIELD_BIT(f)) {
						r->unmarked++;
						say_failure(a, "secret count not marked secret",
						            first + (uint32_t)f);
					}
				unsigned secret = marked | must;
				for (int f = NUM; f <= DEN; f++)
					if (secret & FIELD_BIT(f))
						a->flag[first + (uint32_t)f] |= NODE_SECRET;
				if (small || count_is_shared(a, t, row, g, e))
					continue;
				if (a->value[first + (uint32_t)e] == 0) {
					r->suppressed_empty++;
					say_failure(a,
					            "suppressed empty cell outside a small group",
					            first + (uint32_t)e);
				} else if ((secret & FIELD_BIT(e)) && !r->without_nonempty) {
					a->flag[first + (uint32_t)e] |= NODE_NONEMPTY;
				}
			}
	}
	return true;
}

/* ---- step 2: equal counts ---- */

static uint32_t find_root(uint32_t *parent, uint32_t x)
{
	while (parent[x] != x)
		x = parent[x] = parent[parent[x]];
	return x;
}

/* Joins two published counts the attacker knows to be equal. */
static bool join(struct audit *a, uint32_t x, uint32_t y, const char *name)
{
	if (!(a->flag[x] & NODE_IN) || !(a->flag[y] & NODE_IN))
		return true; /* not both published: nothing to equate */
	if (a->value[x] != a->value[y]) {
		char what[200];
		snprintf(what, sizeof(what), "link does not hold (%s)", name);
		return audit_error(a, what, x);
	}
	uint32_t rx = find_root(a->parent, x), ry = find_root(a->parent, y);
	if (rx != ry) {
		a->parent[rx < ry ? ry : rx] = rx < ry ? rx : ry;
		a->report->links++;
	}
	return true;
}

static bool in_scope(const struct audit *a, enum link_scope scope, const struct metrics_table *t,
                     int32_t period, uint32_t g)
{
	switch (scope) {
	case SCOPE_EVERY_CELL:
		return true;
	case SCOPE_CLOSED_7_DAYS:
		return period_last_day(t->period_type, a->raw->fy_start_month, period) <=
		       a->raw->as_of - 7;
	case SCOPE_CLOSED_30_DAYS:
		return period_last_day(t->period_type, a->raw->fy_start_month, period) <=
		       a->raw->as_of - 30;
	case SCOPE_CLOSED_364_DAYS:
		return period_last_day(t->period_type, a->raw->fy_start_month, period) <=
		       a->raw->as_of - 364;
	case SCOPE_AGE_12_PLUS:
		return t->dim == DIM_AGE_BAND && g >= AGE_12_14;
	}
	return false;
}

/* Joins cell by cell the same (period, group) of two tables of the same
 * period type and breakdown. */
static bool join_tables(struct audit *a, long ta, int field_a, long tb, int field_b,
                        enum link_scope scope, const char *name)
{
	if (ta == NO_TABLE || tb == NO_TABLE)
		return true;
	const struct metrics_table *A = &a->raw->tables[ta], *B = &a->raw->tables[tb];
	for (uint32_t row = 0; row < A->period_count; row++) {
		int32_t period = A->first_period + (int32_t)row;
		long brow = row_of(a, (size_t)tb, period);
		if (brow < 0)
			continue;
		for (uint32_t g = 0; g < A->group_count && g < B->group_count; g++) {
			if (!in_scope(a, scope, A, period, g))
				continue;
			if (!join(a, node_at(a, (size_t)ta, row, g, field_a),
			          node_at(a, (size_t)tb, (uint32_t)brow, g, field_b), name))
				return false;
		}
	}
	return true;
}

static bool join_links(struct audit *a)
{
	for (size_t l = 0; l < CASA_ARRAY_LEN(audit_links); l++)
		for (int pt = 0; pt < PERIOD_TYPE_COUNT; pt++)
			for (int d = 0; d < DIM_COUNT; d++)
				if (!join_tables(a, a->table_of[audit_links[l].a][pt][d],
				                 audit_links[l].field_a,
				                 a->table_of[audit_links[l].b][pt][d],
				                 audit_links[l].field_b, audit_links[l].scope,
				                 audit_links[l].name))
					return false;
	/* With a January fiscal year, FY N is calendar year N: the same
	 * period under two names, every count. */
	if (a->raw->fy_start_month != 1)
		return true;
	for (int m = 0; m < METRIC_COUNT; m++)
		for (int d = 0; d < DIM_COUNT; d++)
			for (int f = NUM; f <= DEN; f++)
				if (!join_tables(a, a->table_of[m][PERIOD_YEAR][d], f,
				                 a->table_of[m][PERIOD_FISCAL_YEAR][d], f,
				                 SCOPE_EVERY_CELL,
				                 "a January fiscal year is its calendar year"))
					return false;
	return true;
}

/* ---- step 3: relations ---- */

/* Closes a relation pushed as whole (+1) and parts (-1): the raw counts
 * must satisfy it. */
static bool relation_end(struct audit *a, const char *what)
{
	struct audit_rows *rows = &a->relations;
	size_t s = rows->start[rows->count];
	int64_t sum = 0;
	for (size_t m = s; m < rows->used; m++)
		sum += rows->coef[m] * a->value[rows->member[m]];
	if (sum != 0)
		return audit_error(a, what, rows->member[s]);
	return rows_end(rows, 0, false) || audit_oom(a);
}

/* Groups -> total of the same period, for every published row of a
 * published breakdown whose total is published. */
static bool group_relations(struct audit *a)
{
	for (size_t t = 0; t < a->raw->table_count; t++) {
		const struct metrics_table *tab = &a->raw->tables[t];
		long total = a->table_of[tab->metric][tab->period_type][DIM_TOTAL];
		if (tab->dim == DIM_TOTAL || total == NO_TABLE || !a->view->tables[t].published)
			continue;
		unsigned fields = kind_fields(metrics_catalog[tab->metric].kind);
		for (uint32_t row = 0; row < a->view->tables[t].published_rows; row++) {
			long trow = row_of(a, (size_t)total, tab->first_period + (int32_t)row);
			if (trow < 0 || !row_published(a, (size_t)total, (uint32_t)trow))
				continue;
			for (int f = NUM; f <= DEN; f++) {
				if (!(fields & FIELD_BIT(f)))
					continue;
				bool ok =
				    rows_push(&a->relations,
				              node_at(a, (size_t)total, (uint32_t)trow, 0, f), 1);
				for (uint32_t g = 0; ok && g < tab->group_count; g++)
					ok = rows_push(&a->relations, node_at(a, t, row, g, f), -1);
				if (!ok)
					return audit_oom(a);
				if (!relation_end(a, "raw groups do not add up to their total"))
					return false;
			}
		}
	}
	return true;
}

/* Finer periods tiling a coarser one, group by group, for counts that add
 * up over time: months -> quarter, year, fiscal year; quarters -> year, and
 * fiscal year when it starts a quarter (the tiling test decides). Only
 * when the coarse row and every finer row inside it that the table holds
 * are published; finer periods outside the table hold no data (zero). */
static bool time_relations(struct audit *a)
{
	static const struct {
		enum period_type fine, coarse;
	} pairs[] = {{PERIOD_MONTH, PERIOD_QUARTER},
	             {PERIOD_MONTH, PERIOD_YEAR},
	             {PERIOD_MONTH, PERIOD_FISCAL_YEAR},
	             {PERIOD_QUARTER, PERIOD_YEAR},
	             {PERIOD_QUARTER, PERIOD_FISCAL_YEAR}};
	int fy = a->raw->fy_start_month;
	for (int m = 0; m < METRIC_COUNT; m++)
		for (int d = 0; d < DIM_COUNT; d++)
			for (size_t p = 0; p < CASA_ARRAY_LEN(pairs); p++) {
				long tc = a->table_of[m][pairs[p].coarse][d];
				long tf = a->table_of[m][pairs[p].fine][d];
				if (tc == NO_TABLE || tf == NO_TABLE)
					continue;
				const struct metrics_table *C = &a->raw->tables[tc];
				const struct metrics_table *F = &a->raw->tables[tf];
				unsigned fields = kind_fields(metrics_catalog[m].kind);
				for (uint32_t row = 0; row < C->period_count; row++) {
					if (!row_published(a, (size_t)tc, row))
						continue;
					int32_t cp = C->first_period + (int32_t)row;
					int32_t first = period_first_day(C->period_type, fy, cp);
					int32_t last = period_last_day(C->period_type, fy, cp);
					int32_t f0 = period_index_of(F->period_type, fy, first);
					int32_t f1 = period_index_of(F->period_type, fy, last);
					if (period_first_day(F->period_type, fy, f0) != first ||
					    period_last_day(F->period_type, fy, f1) != last)
						continue; /* does not tile */
					bool all = true;
					for (int32_t fp = f0; fp <= f1 && all; fp++) {
						long fr = row_of(a, (size_t)tf, fp);
						all = fr < 0 ||
						      row_published(a, (size_t)tf, (uint32_t)fr);
					}
					if (!all)
						continue;
					for (int f = NUM; f <= DEN; f++) {
						if (!(fields & FIELD_BIT(f)) ||
						    !adds_up_in_time((enum metric_id)m, f))
							continue;
						for (uint32_t g = 0; g < C->group_count; g++) {
							/* counts dated before the first month
							 * (identifications before the first
							 * removal): no relation to know */
							if (a->view->tables[tc].state
							        [(size_t)row * C->group_count + g] &
							    RELEASE_OUTSIDE)
								continue;
							bool ok = rows_push(
							    &a->relations,
							    node_at(a, (size_t)tc, row, g, f), 1);
							for (int32_t fp = f0; ok && fp <= f1;
							     fp++) {
								long fr = row_of(a, (size_t)tf, fp);
								if (fr >= 0)
									ok = rows_push(
									    &a->relations,
									    node_at(a, (size_t)tf,
									            (uint32_t)fr, g,
									            f),
									    -1);
							}
							if (!ok)
								return audit_error(
								    a, "out of memory", 0);
							if (!relation_end(
							        a,
							        "raw finer periods do not add up "
							        "to the longer one"))
								return false;
						}
					}
				}
			}
	return true;
}

/* ---- step 4: classes, zeros, variables ---- */

static void mark_classes(struct audit *a)
{
	size_t nodes = 2 * a->cells;
	for (uint32_t x = 0; x < nodes; x++) {
		if (!(a->flag[x] & NODE_IN))
			continue;
		uint32_t root = find_root(a->parent, x);
		if (!(a->flag[x] & NODE_SECRET))
			a->flag[root] |= CLASS_KNOWN;
		if (a->flag[x] & NODE_NONEMPTY)
			a->flag[root] |= CLASS_NONEMPTY;
	}
	/* zeros the attacker derives from known zeros alone */
	for (uint32_t x = 0; x < nodes; x++)
		if ((a->flag[x] & NODE_IN) && a->parent[x] == x && (a->flag[x] & CLASS_KNOWN) &&
		    a->value[x] == 0)
			a->flag[x] |= CLASS_ZERO;
	const struct audit_rows *rel = &a->relations;
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t r = 0; r < rel->count; r++) {
			size_t s = rel->start[r], e = rel->start[r + 1];
			uint32_t whole = find_root(a->parent, rel->member[s]);
			bool parts_zero = true;
			for (size_t m = s + 1; m < e && parts_zero; m++)
				parts_zero =
				    a->flag[find_root(a->parent, rel->member[m])] & CLASS_ZERO;
			if (parts_zero && !(a->flag[whole] & CLASS_ZERO)) {
				a->flag[whole] |= CLASS_ZERO;
				changed = true;
			}
			if (!(a->flag[whole] & CLASS_ZERO))
				continue;
			for (size_t m = s + 1; m < e; m++) {
				uint32_t part = find_root(a->parent, rel->member[m]);
				if (!(a->flag[part] & CLASS_ZERO)) {
					a->flag[part] |= CLASS_ZERO;
					changed = true;
				}
			}
		}
	}
}

static bool number_variables(struct audit *a)
{
	size_t nodes = 2 * a->cells;
	for (uint32_t x = 0; x < nodes; x++)
		if ((a->flag[x] & NODE_IN) && a->parent[x] == x && !(a->flag[x] & CLASS_KNOWN))
			a->vars++;
	a->var_root = malloc((a->vars + 1) * sizeof(*a->var_root));
	a->var_exposed = calloc(a->vars + 1, sizeof(*a->var_exposed));
	if (a->var_root == NULL || a->var_exposed == NULL)
		return false;
	size_t v = 0;
	for (uint32_t x = 0; x < nodes; x++)
		if ((a->flag[x] & NODE_IN) && a->parent[x] == x && !(a->flag[x] & CLASS_KNOWN)) {
			a->var_root[v] = x;
			a->var_of[x] = (uint32_t)++v;
			a->report->nonempty += (a->flag[x] & CLASS_NONEMPTY) != 0;
		}
	a->report->unknowns = a->vars;
	return true;
}

/* Adds one member to the LP row being built, merging a variable that is
 * already in it; a known class goes to the right-hand side. */
static bool lp_term(struct audit *a, uint32_t node, int coef, int64_t *rhs, long *pos_of)
{
	uint32_t root = find_root(a->parent, node);
	if (a->flag[root] & CLASS_KNOWN) {
		*rhs -= coef * a->value[root];
		return true;
	}
	uint32_t var = a->var_of[root] - 1;
	if (pos_of[var] >= 0) {
		a->lp.coef[pos_of[var]] = (int8_t)(a->lp.coef[pos_of[var]] + coef);
		return true;
	}
	pos_of[var] = (long)a->lp.used;
	return rows_push(&a->lp, var, coef);
}

/* Closes the LP row: drops zero coefficients, and the row when no variable
 * is left (the raw counts satisfy it: checked before). */
static bool lp_end(struct audit *a, int64_t rhs, bool upper, long *pos_of)
{
	struct audit_rows *lp = &a->lp;
	size_t s = lp->start ? lp->start[lp->count] : 0, w = s;
	for (size_t m = s; m < lp->used; m++) {
		pos_of[lp->member[m]] = -1;
		if (lp->coef[m] == 0)
			continue;
		lp->member[w] = lp->member[m];
		lp->coef[w] = lp->coef[m];
		w++;
	}
	lp->used = w;
	if (w == s) {
		rows_discard(lp);
		return true;
	}
	return rows_end(lp, rhs, upper);
}

static bool build_lp_rows(struct audit *a)
{
	long *pos_of = malloc((a->vars + 1) * sizeof(long));
	if (pos_of == NULL)
		return false;
	for (size_t v = 0; v < a->vars; v++)
		pos_of[v] = -1;
	/* the first member starts the row arrays */
	bool ok = rows_push(&a->lp, 0, 0);
	rows_discard(&a->lp);
	const struct audit_rows *rel = &a->relations;
	for (size_t r = 0; ok && r < rel->count; r++) {
		int64_t rhs = 0;
		for (size_t m = rel->start[r]; ok && m < rel->start[r + 1]; m++)
			ok = lp_term(a, rel->member[m], rel->coef[m], &rhs, pos_of);
		ok = ok && lp_end(a, rhs, false, pos_of);
	}
	/* a percentage's numerator is at most its denominator */
	for (size_t t = 0; ok && t < a->raw->table_count; t++) {
		const struct metrics_table *tab = &a->raw->tables[t];
		if (metrics_catalog[tab->metric].kind != METRIC_KIND_PERCENT ||
		    !a->view->tables[t].published)
			continue;
		for (uint32_t row = 0; ok && row < a->view->tables[t].published_rows; row++)
			for (uint32_t g = 0; ok && g < tab->group_count; g++) {
				uint32_t num = node_at(a, t, row, g, NUM);
				uint32_t den = node_at(a, t, row, g, DEN);
				if (a->value[num] > a->value[den]) {
					free(pos_of);
					return audit_error(a, "raw numerator above its denominator",
					                   num);
				}
				int64_t rhs = 0;
				ok = lp_term(a, num, 1, &rhs, pos_of) &&
				     lp_term(a, den, -1, &rhs, pos_of) &&
				     lp_end(a, rhs, true, pos_of);
			}
	}
	free(pos_of);
	if (!ok)
		snprintf(a->err, AUDIT_ERROR_LEN, "audit: out of memory");
	a->report->relations = a->lp.count;
	return ok;
}

/* ---- step 5: the linear programs ---- */

struct component {
	uint32_t *vars;  /* variables of the component */
	size_t nv;       /* entries in vars */
	size_t *rows;    /* LP rows of the component */
	size_t nr;       /* entries in rows */
	double *lo, *hi; /* smallest and largest value seen per local variable */
	bool *unbounded; /* no largest value */
	bool *fixed;     /* pinned at 0 by known zeros alone */
};

static bool wide(const struct audit *a, const struct component *c, size_t j)
{
	return c->unbounded[j] ||
	       floor(c->hi[j] + 1e-6) - ceil(c->lo[j] - 1e-6) >= (double)(a->k - 1);
}

/* Runs the simplex from the current basis; folds a feasible solution into
 * the witnesses. false when GLPK cannot solve it at all. */
static bool lp_solve(struct audit *a, glp_prob *lp, struct component *c, int *status)
{
	glp_smcp parm;
	glp_init_smcp(&parm);
	parm.msg_lev = GLP_MSG_OFF;
	a->report->lp_solves++;
	int rc = glp_simplex(lp, &parm);
	if (rc != 0) {
		/* a bad basis: start again from the standard one, presolved */
		glp_std_basis(lp);
		parm.presolve = GLP_ON;
		rc = glp_simplex(lp, &parm);
	}
	if (rc != 0) {
		snprintf(a->err, AUDIT_ERROR_LEN, "audit: GLPK simplex failed (code %d)", rc);
		return false;
	}
	*status = glp_get_status(lp);
	if (glp_get_prim_stat(lp) != GLP_FEAS) {
		snprintf(a->err, AUDIT_ERROR_LEN,
		         "audit: no feasible point, although the true counts are one");
		return false;
	}
	for (size_t j = 0; j < c->nv; j++) {
		double v = glp_get_col_prim(lp, (int)j + 1);
		if (v < c->lo[j])
			c->lo[j] = v;
		if (v > c->hi[j])
			c->hi[j] = v;
	}
	return true;
}

static bool solve_component(struct audit *a, struct component *c, uint32_t *col_of)
{
	struct audit_report *r = a->report;
	bool ok = false;
	int *ia = NULL, *ja = NULL;
	double *ar = NULL;
	glp_prob *lp = NULL;
	size_t open = 0;
	for (size_t j = 0; j < c->nv; j++) {
		uint32_t root = a->var_root[c->vars[j]];
		col_of[c->vars[j]] = (uint32_t)j + 1;
		c->lo[j] = c->hi[j] = (double)a->value[root];
		c->unbounded[j] = false;
		c->fixed[j] = (a->flag[root] & CLASS_ZERO) != 0;
		open += !c->fixed[j];
	}
	if (open == 0 || c->nr == 0) {
		/* nothing to solve, or no relation at all: unbounded above */
		for (size_t j = 0; j < c->nv; j++)
			c->unbounded[j] = !c->fixed[j];
		ok = true;
		goto done;
	}
	size_t nz = 0;
	for (size_t i = 0; i < c->nr; i++)
		nz += a->lp.start[c->rows[i] + 1] - a->lp.start[c->rows[i]];
	ia = malloc((nz + 1) * sizeof(int));
	ja = malloc((nz + 1) * sizeof(int));
	ar = malloc((nz + 1) * sizeof(double));
	lp = glp_create_prob();
	if (ia == NULL || ja == NULL || ar == NULL) {
		snprintf(a->err, AUDIT_ERROR_LEN, "audit: out of memory");
		goto done;
	}
	glp_add_cols(lp, (int)c->nv);
	for (size_t j = 0; j < c->nv; j++) {
		uint32_t root = a->var_root[c->vars[j]];
		if (c->fixed[j])
			glp_set_col_bnds(lp, (int)j + 1, GLP_FX, 0.0, 0.0);
		else
			glp_set_col_bnds(lp, (int)j + 1, GLP_LO,
			                 (a->flag[root] & CLASS_NONEMPTY) ? 1.0 : 0.0, 0.0);
	}
	if (c->nr > 0)
		glp_add_rows(lp, (int)c->nr);
	size_t loaded = 0;
	for (size_t i = 0; i < c->nr; i++) {
		size_t row = c->rows[i];
		double rhs = (double)a->lp.rhs[row];
		glp_set_row_bnds(lp, (int)i + 1, a->lp.upper[row] ? GLP_UP : GLP_FX, rhs, rhs);
		for (size_t m = a->lp.start[row]; m < a->lp.start[row + 1]; m++) {
			loaded++;
			ia[loaded] = (int)i + 1;
			ja[loaded] = (int)col_of[a->lp.member[m]];
			ar[loaded] = a->lp.coef[m];
		}
	}
	if (loaded > 0)
		glp_load_matrix(lp, (int)loaded, ia, ja, ar);

	/* Batch witnesses: push every open variable up, then down, and again
	 * on those not yet shown wide while that proves some: most counts of
	 * a component move together, and one solve for many is far cheaper
	 * than two for each. */
	int status;
	for (size_t left = c->nv + 1;;) {
		size_t narrow = 0;
		for (size_t j = 0; j < c->nv; j++) {
			bool todo = !c->fixed[j] && !wide(a, c, j);
			narrow += todo;
			glp_set_obj_coef(lp, (int)j + 1, todo ? 1.0 : 0.0);
		}
		if (narrow == 0 || narrow >= left || (left <= c->nv && narrow < 4))
			break;
		left = narrow;
		for (int dir = 0; dir < 2; dir++) {
			glp_set_obj_dir(lp, dir == 0 ? GLP_MAX : GLP_MIN);
			if (!lp_solve(a, lp, c, &status))
				goto done;
		}
	}
	for (size_t j = 0; j < c->nv; j++)
		glp_set_obj_coef(lp, (int)j + 1, 0.0);
	/* Then each variable still narrow: its exact maximum, then minimum. */
	for (size_t j = 0; j < c->nv; j++) {
		if (c->fixed[j] || wide(a, c, j))
			continue;
		glp_set_obj_coef(lp, (int)j + 1, 1.0);
		glp_set_obj_dir(lp, GLP_MAX);
		if (!lp_solve(a, lp, c, &status))
			goto done;
		if (status == GLP_UNBND)
			c->unbounded[j] = true;
		if (!wide(a, c, j)) {
			glp_set_obj_dir(lp, GLP_MIN);
			if (!lp_solve(a, lp, c, &status))
				goto done;
		}
		glp_set_obj_coef(lp, (int)j + 1, 0.0);
		if (wide(a, c, j))
			continue;
		double width = floor(c->hi[j] + 1e-6) - ceil(c->lo[j] - 1e-6);
		if (r->narrowest < 0 || width < r->narrowest)
			r->narrowest = width;
		a->var_exposed[c->vars[j]] = true;
	}
	ok = true;
done:
	if (lp != NULL)
		glp_delete_prob(lp);
	free(ia);
	free(ja);
	free(ar);
	return ok;
}

/* Splits the variables into components connected by LP rows and solves
 * each. */
static bool solve_all(struct audit *a)
{
	size_t nv = a->vars, nr = a->lp.count;
	bool ok = false;
	uint32_t *comp = malloc((nv + 1) * sizeof(*comp));
	size_t *var_start = calloc(nv + 2, sizeof(*var_start));
	size_t *row_start = calloc(nv + 2, sizeof(*row_start));
	uint32_t *vars = malloc((nv + 1) * sizeof(*vars));
	size_t *rows = malloc((nr + 1) * sizeof(*rows));
	uint32_t *col_of = calloc(nv + 1, sizeof(*col_of));
	struct component c;
	memset(&c, 0, sizeof(c));
	c.lo = malloc((nv + 1) * sizeof(double));
	c.hi = malloc((nv + 1) * sizeof(double));
	c.unbounded = malloc((nv + 1) * sizeof(bool));
	c.fixed = malloc((nv + 1) * sizeof(bool));
	if (!comp || !var_start || !row_start || !vars || !rows || !col_of || !c.lo || !c.hi ||
	    !c.unbounded || !c.fixed) {
		snprintf(a->err, AUDIT_ERROR_LEN, "audit: out of memory");
		goto done;
	}
	for (uint32_t v = 0; v < nv; v++)
		comp[v] = v;
	for (size_t i = 0; i < nr; i++) {
		size_t s = a->lp.start[i];
		uint32_t first = find_root(comp, a->lp.member[s]);
		for (size_t m = s + 1; m < a->lp.start[i + 1]; m++) {
			uint32_t other = find_root(comp, a->lp.member[m]);
			if (other != first)
				comp[other] = first;
		}
	}
	/* counting sort of variables and rows by component root */
	for (uint32_t v = 0; v < nv; v++)
		var_start[find_root(comp, v) + 1]++;
	for (size_t i = 0; i < nr; i++)
		row_start[find_root(comp, a->lp.member[a->lp.start[i]]) + 1]++;
	for (size_t v = 0; v < nv; v++) {
		var_start[v + 1] += var_start[v];
		row_start[v + 1] += row_start[v];
	}
	for (uint32_t v = 0; v < nv; v++)
		vars[var_start[find_root(comp, v)]++] = v;
	for (size_t i = 0; i < nr; i++)
		rows[row_start[find_root(comp, a->lp.member[a->lp.start[i]])]++] = i;
	/* the fills moved each start to the next component's */
	size_t v0 = 0, r0 = 0;
	for (uint32_t root = 0; root < nv; root++) {
		size_t v1 = var_start[root], r1 = row_start[root];
		if (v1 == v0)
			continue;
		c.vars = vars + v0;
		c.nv = v1 - v0;
		c.rows = rows + r0;
		c.nr = r1 - r0;
		a->report->components++;
		if (c.nv > a->report->largest)
			a->report->largest = c.nv;
		if (!solve_component(a, &c, col_of))
			goto done;
		v0 = v1;
		r0 = r1;
	}
	ok = true;
done:
	free(comp);
	free(var_start);
	free(row_start);
	free(vars);
	free(rows);
	free(col_of);
	free(c.lo);
	free(c.hi);
	free(c.unbounded);
	free(c.fixed);
	return ok;
}

/* ---- the verdict per secret count ---- */

static void judge_secrets(struct audit *a)
{
	struct audit_report *r = a->report;
	size_t nodes = 2 * a->cells;
	for (uint32_t x = 0; x < nodes; x++) {
		if ((a->flag[x] & (NODE_IN | NODE_SECRET)) != (NODE_IN | NODE_SECRET))
			continue;
		r->secret_counts++;
		uint32_t root = find_root(a->parent, x);
		if (a->flag[root] & CLASS_ZERO) {
			r->zero_exempt++;
			continue;
		}
		/* a known class: a linked count published elsewhere */
		bool exposed = (a->flag[root] & CLASS_KNOWN) || a->var_exposed[a->var_of[root] - 1];
		if (!exposed)
			continue;
		r->exposed++;
		say_failure(a, "exposed", x);
	}
}

static bool check_shapes(struct audit *a)
{
	const struct metrics_result *raw = a->raw;
	if (a->result->table_count != raw->table_count || a->result->secret == NULL) {
		snprintf(a->err, AUDIT_ERROR_LEN, "audit: the result does not match the view");
		return false;
	}
	for (size_t t = 0; t < raw->table_count; t++) {
		const struct metrics_table *v = &raw->tables[t];
		const struct disclosure_table *d = &a->result->tables[t];
		if (d->metric != v->metric || d->period_type != v->period_type ||
		    d->dim != v->dim || d->first_period != v->first_period ||
		    d->period_count != v->period_count || d->group_count != v->group_count) {
			snprintf(a->err, AUDIT_ERROR_LEN,
			         "audit: result table %zu does not match the view's", t);
			return false;
		}
		if (v->group_count == 0 && v->period_count > 0) {
			snprintf(a->err, AUDIT_ERROR_LEN, "audit: table %zu has no group", t);
			return false;
		}
	}
	return true;
}

bool audit_run(const struct release_view *view, const struct disclosure_result *result,
               struct audit_report *report, char err[AUDIT_ERROR_LEN])
{
	struct audit_report in = *report;
	memset(report, 0, sizeof(*report));
	report->verbose = in.verbose;
	report->without_nonempty = in.without_nonempty;
	report->narrowest = -1;
	double started = audit_now();
	err[0] = '\0';
	struct audit a;
	memset(&a, 0, sizeof(a));
	a.view = view;
	a.raw = &view->raw;
	a.result = result;
	a.report = report;
	a.k = result->min_cell;
	a.err = err;
	bool ok = false;
	/* glp_simplex() builds its working copy of the problem at every call:
	 * with glibc's default thresholds those blocks are mmap()ed and
	 * returned each time, and page faults took half the audit's time.
	 * Keeping freed memory in the heap halves it (a process setting: this
	 * file runs only in the audit's own programs). */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	glp_term_out(GLP_OFF);
	if (!check_shapes(&a))
		return false;
	for (int m = 0; m < METRIC_COUNT; m++)
		for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
			for (int d = 0; d < DIM_COUNT; d++)
				a.table_of[m][p][d] = NO_TABLE;
	a.offset = malloc((a.raw->table_count + 1) * sizeof(size_t));
	if (a.offset == NULL)
		goto oom;
	a.offset[0] = 0;
	for (size_t t = 0; t < a.raw->table_count; t++) {
		const struct metrics_table *tab = &a.raw->tables[t];
		a.offset[t + 1] = a.offset[t] + (size_t)tab->period_count * tab->group_count;
		a.table_of[tab->metric][tab->period_type][tab->dim] = (long)t;
	}
	a.cells = a.offset[a.raw->table_count];
	if (2 * a.cells >= UINT32_MAX) {
		snprintf(err, AUDIT_ERROR_LEN, "audit: too many cells");
		goto done;
	}
	size_t nodes = 2 * a.cells;
	a.flag = calloc(nodes + 1, 1);
	a.value = calloc(nodes + 1, sizeof(int64_t));
	a.parent = malloc((nodes + 1) * sizeof(uint32_t));
	a.var_of = calloc(nodes + 1, sizeof(uint32_t));
	if (a.flag == NULL || a.value == NULL || a.parent == NULL || a.var_of == NULL)
		goto oom;
	for (uint32_t x = 0; x < nodes; x++)
		a.parent[x] = x;
	if (!classify_cells(&a) || !join_links(&a) || !group_relations(&a) || !time_relations(&a))
		goto done;
	mark_classes(&a);
	if (!number_variables(&a))
		goto oom;
	if (!build_lp_rows(&a) || !solve_all(&a))
		goto done;
	judge_secrets(&a);
	report->failures = report->exposed + report->published_primary + report->published_small +
	                   report->suppressed_empty + report->unmarked;
	ok = true;
	goto done;
oom:
	snprintf(err, AUDIT_ERROR_LEN, "audit: out of memory");
done:
	rows_free(&a.relations);
	rows_free(&a.lp);
	free(a.offset);
	free(a.flag);
	free(a.value);
	free(a.parent);
	free(a.var_of);
	free(a.var_root);
	free(a.var_exposed);
	glp_free_env(); /* GLPK's environment, allocated on first use */
	report->seconds = audit_now() - started;
	return ok;
}

#else /* built without GLPK */

bool audit_have_glpk(void)
{
	return false;
}

bool audit_run(const struct release_view *view, const struct disclosure_result *result,
               struct audit_report *report, char err[AUDIT_ERROR_LEN])
{
	(void)view;
	(void)result;
	(void)audit_now;
	(void)audit_primary_counts;
	(void)emptiness_field;
	memset(report, 0, sizeof(*report));
	snprintf(err, AUDIT_ERROR_LEN, "audit: %s", AUDIT_NO_GLPK);
	return false;
}

#endif
