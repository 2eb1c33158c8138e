/*
 * disclosure_suppress.c — suppress mode: which counts of a release are
 * secret (SPEC §5; docs/privacy.md "Complementary suppression").
 *
 * The attacker knows every published count of this release and of every
 * earlier one (frozen cells are the same numbers), every relation between
 * them (groups add up to their total; months to quarters, months and
 * quarters to years and fiscal years, for counts that add up over time),
 * that two metrics publishing the same count publish the same number, that
 * counts are non-negative, that a percentage's numerator is at most its
 * denominator, and what the policy implies about a hidden cell: outside a
 * group too small to hide in, an empty cell is always published, so a
 * hidden cell there is not empty. Every secret count must keep at least k
 * possible values.
 *
 * How it is decided:
 *   1. Counts become variables: the numerator and denominator of every
 *      published cell, counts two metrics share joined into one.
 *   2. Primary secrets: the primary rule (disclosure_cell.c) on each new
 *      cell; every count of every cell of a group-period whose base (the
 *      children with a day in care in that group and period) is below k,
 *      zeros and empty cells included, so that "hidden" never means
 *      "someone there ran away"; in a revision, every cell whose counts
 *      moved by a few children since the release that published it; and
 *      the secrets of frozen cells, decided by earlier releases.
 *   3. Protection by construction. A hidden count x is safe when the hidden
 *      cells hold a way to move x by k - 1 while every published count
 *      stays what it is: a perturbation in the kernel of every relation.
 *      Such perturbations are built as tau (x) gamma: tau a vector over the
 *      periods of x's column that keeps its time relations (x's period
 *      against another period with the same longer periods, or x's period
 *      with every longer period holding it), gamma the group part (x's
 *      group against partner groups of the same breakdown, or, for a
 *      total, one group in every breakdown). Partners add their room ("a
 *      star"): x can rise by the sum of what each partner can give. If the
 *      hidden cells already hold enough room for x, nothing is added;
 *      otherwise the star that needs the cheapest new cells is hidden:
 *      months before quarters before years, totals only for a secret total,
 *      never a frozen published cell, never an empty cell outside a small
 *      group. Every cell a star hides is protected by that star too. A
 *      count only the last resort could protect waits for every other
 *      secret first (the work queue, once).
 *   4. The room of a star is a proof: the attacker's feasible set contains
 *      the whole segment, so the interval of x is at least that wide
 *      whatever else is published. tests/audit/ checks the outcome with a
 *      linear program.
 * The same view always gives the same secrets: candidates are tried in a
 * fixed order and ties go to the lower cell identity.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "casa/log.h"
#include "disclosure_internal.h"

#define NUM       DISCLOSURE_FIELD_NUMERATOR
#define DEN       DISCLOSURE_FIELD_DENOMINATOR
#define UNBOUNDED (INT64_MAX / 4)
#define NO_VAR    UINT32_MAX

/* Cell flags */
#define CELL_PUBLISHED 0x01u /* table and row published: its counts are variables */
#define CELL_FIXED     0x02u /* frozen published: never hidden */
#define CELL_SMALL     0x04u /* its group-period's base is below k: may hide empties */
#define CELL_EMPTY     0x08u /* no child: denominator 0 (a count: numerator 0) */
#define CELL_HIDDEN    0x10u /* suppressed: published with nulls */
#define CELL_PRIMARY   0x20u /* some count secret by step 2 (for the figures) */

/* Variable flags */
#define VAR_SECRET 0x01u /* unknown to the attacker */
#define VAR_FIXED  0x02u /* published somewhere already (frozen): known */
#define VAR_QUEUED 0x04u /* in the work queue */
#define VAR_ZERO   0x10u /* known to be 0 from published zeros (find_known_zeros) */
#define VAR_PIN    0x20u /* a published 0 that pins a secret count: never a complement */
#define VAR_LATER  0x40u /* sent to the back of the queue once (protect: the last resort) */

/* Relations in compressed rows: relation r has members
 * rel_var[rel_start[r] .. rel_start[r + 1]) with signs rel_sign (+1 the
 * whole, -1 its parts: the signed sum is 0). */
struct relations {
	uint32_t *var;  /* member variables */
	int8_t *sign;   /* +1 or -1 */
	size_t *start;  /* count + 1 offsets */
	size_t count;   /* relations */
	size_t used;    /* members */
	size_t cap;     /* members allocated */
	size_t cap_rel; /* relations allocated */
};

/* A term of a perturbation. */
struct term {
	uint32_t var;  /* variable */
	int coef;      /* +1 or -1 */
	bool attached; /* a numerator moving with its denominator: under it by
	                  construction, so no upper bound of its own */
};

#define MAX_TAU      16      /* rows of a time vector */
#define TOTAL_WEIGHT 1000000 /* price of a total against a quarter's 3 */
#define MAX_TERMS    64      /* cells of one column under tau, attached numerators included */

/* A time vector over the rows of one column: rows named by (period type,
 * period index). */
struct tau {
	int n;                          /* entries */
	enum period_type type[MAX_TAU]; /* row period type */
	int32_t period[MAX_TAU];        /* row period index */
	int coef[MAX_TAU];              /* +1 or -1 */
};

struct share;

struct engine {
	const struct release_view *view;  /* borrowed */
	const struct metrics_result *raw; /* &view->raw */
	int k;                            /* min_cell */
	size_t *offset;                   /* first flat cell of each table; table_count + 1 */
	size_t cells;                     /* flat cells over all tables */
	uint16_t *cell_tab;               /* table of each flat cell */
	int32_t tab[METRIC_COUNT][PERIOD_TYPE_COUNT][DIM_COUNT]; /* table index or -1 */
	int64_t *value;       /* count per variable (any member's) */
	int64_t *lb;          /* lower bound per root once hidden */
	uint8_t *cell;        /* CELL_* per flat cell */
	uint32_t *parent;     /* union-find over 2 * cells variable ids */
	uint8_t *var;         /* VAR_* per root variable */
	int64_t *best_up;     /* room found so far per root */
	int64_t *best_down;   /* room found so far per root */
	uint32_t *var_cells;  /* cells of each root: CSR over var_first */
	size_t *var_first;    /* 2 * cells + 1 offsets */
	struct relations rel; /* every relation */
	size_t *member_first; /* per variable: its memberships (CSR) */
	uint32_t *member_rel; /* relation ids */
	int8_t *member_sign;  /* sign in that relation */
	int64_t *acc;         /* per relation, scratch for validation */
	uint32_t *queue;      /* work queue of secret roots */
	size_t queue_head, queue_tail, queue_cap;
	uint64_t unprotected;                /* secrets left with too little room */
	uint8_t comp[METRIC_COUNT][2];       /* component id of (metric, field) under the links
	                                        that hold in whole tables */
	struct rect_partner *rect_partners;  /* scratch: a partner per group */
	int co_move;                         /* search mode: a percentage's numerator moves
	                                        with its denominator, that one with its own
	                                        ... this many levels deep (column_terms) */
	bool free_dens;                      /* search mode: no numerator moves with its
	                                        denominator (attached(), lower_bound()) */
	bool coupled[METRIC_COUNT];          /* a percentage whose numerator moves with its
	                                        denominator in a star (see attached()) */
	int64_t *lb_free;                    /* lower bounds in the free_dens mode */
	uint32_t lift_var;                   /* search mode: the numerator whose cap is
	                                        lifted by its denominator's star, or NO_VAR */
	int64_t lift_ub;                     /* its lifted cap (lift_var only) */
	bool lift_rising;                    /* search mode: no cap on a term of x's
	                                        group rising with x (chain_found checks
	                                        the sum) */
	enum dim lift_dim;                   /* x's breakdown (lift_rising) */
	uint32_t lift_group;                 /* x's group (lift_rising) */
	int32_t *star_of;                    /* per root: its own saved star, or -1 */
	int64_t *star_rise;                  /* per root: how far its own star raises it */
	size_t *saved_first;                 /* saved star s: terms saved_first[s] .. [s + 1) */
	size_t saved_stars, saved_stars_cap; /* saved stars and saved_first slots */
	struct share *saved;                 /* terms of every saved star */
	size_t saved_n, saved_cap;           /* saved terms used and allocated */
};

/* ---- small helpers ---- */

static int64_t sat_add(int64_t a, int64_t b)
{
	return a >= UNBOUNDED - b ? UNBOUNDED : a + b;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static inline uint32_t var_id(size_t cell, int field)
{
	return (uint32_t)(2 * cell + (size_t)field);
}

static uint32_t find(struct engine *e, uint32_t v)
{
	while (e->parent[v] != v) {
		e->parent[v] = e->parent[e->parent[v]];
		v = e->parent[v];
	}
	return v;
}

static void unite(struct engine *e, uint32_t a, uint32_t b)
{
	a = find(e, a);
	b = find(e, b);
	if (a == b)
		return;
	/* the lower id is the root: deterministic */
	if (a < b)
		e->parent[b] = a;
	else
		e->parent[a] = b;
}

static size_t table_index(const struct engine *e, const struct metrics_table *t)
{
	return (size_t)(t - e->raw->tables);
}

static const struct metrics_table *find_table(const struct engine *e, enum metric_id m,
                                              enum period_type type, enum dim dim)
{
	int32_t i = e->tab[m][type][dim];
	return i < 0 ? NULL : &e->raw->tables[i];
}

/* Flat cell of (table, period, group), or SIZE_MAX when the period is
 * outside the table's published rows. */
static size_t cell_at(const struct engine *e, const struct metrics_table *t, int32_t period,
                      uint32_t group)
{
	size_t i = table_index(e, t);
	if (!e->view->tables[i].published || period < t->first_period ||
	    period >= t->first_period + (int32_t)e->view->tables[i].published_rows ||
	    group >= t->group_count)
		return SIZE_MAX;
	return e->offset[i] + (size_t)(period - t->first_period) * t->group_count + group;
}

/* Table and position of a flat cell. */
static const struct metrics_table *cell_table(const struct engine *e, size_t cell, uint32_t *row,
                                              uint32_t *group)
{
	size_t i = e->cell_tab[cell];
	const struct metrics_table *t = &e->raw->tables[i];
	size_t local = cell - e->offset[i];
	*row = (uint32_t)(local / t->group_count);
	*group = (uint32_t)(local % t->group_count);
	return t;
}

static int64_t cell_count(const struct engine *e, size_t cell, int field)
{
	uint32_t row, group;
	const struct metrics_table *t = cell_table(e, cell, &row, &group);
	const struct metrics_cell *c = &t->cells[(size_t)row * t->group_count + group];
	return field == NUM ? c->numerator : c->denominator;
}

static int64_t var_value(struct engine *e, uint32_t root)
{
	return e->value[root];
}

static bool has_field(enum metric_kind kind, int field)
{
	return field == NUM ? disclosure_kind_has_numerator(kind)
	                    : disclosure_kind_has_denominator(kind);
}

/* The count that says whether a cell has any child at all. */
static int emptiness_field(enum metric_kind kind)
{
	return kind == METRIC_KIND_COUNT ? NUM : DEN;
}

/* ---- variables and links ---- */

/* Whether counts two metrics publish under different names
 * (metrics_equal_counts[], docs/metrics.md) are equal in this cell. */
static bool link_holds(const struct engine *e, const struct metric_equal_count *link,
                       const struct metrics_table *t, int32_t period, uint32_t group)
{
	return metrics_equal_count_holds(
	    link, period_last_day(t->period_type, e->raw->fy_start_month, period), e->raw->as_of,
	    t->dim, group);
}

static void join_links(struct engine *e)
{
	for (size_t l = 0; l < metrics_equal_count_count; l++) {
		for (size_t i = 0; i < e->raw->table_count; i++) {
			const struct metrics_table *a = &e->raw->tables[i];
			if (a->metric != metrics_equal_counts[l].a || !e->view->tables[i].published)
				continue;
			const struct metrics_table *b =
			    find_table(e, metrics_equal_counts[l].b, a->period_type, a->dim);
			if (b == NULL || b->group_count != a->group_count)
				continue;
			for (uint32_t p = 0; p < e->view->tables[i].published_rows; p++) {
				int32_t period = a->first_period + (int32_t)p;
				for (uint32_t g = 0; g < a->group_count; g++) {
					size_t ca = cell_at(e, a, period, g),
					       cb = cell_at(e, b, period, g);
					if (ca == SIZE_MAX || cb == SIZE_MAX ||
					    !link_holds(e, &metrics_equal_counts[l], a, period, g))
						continue;
					unite(e, var_id(ca, metrics_equal_counts[l].field_a),
					      var_id(cb, metrics_equal_counts[l].field_b));
				}
			}
		}
	}
	/* With a January fiscal year, fiscal year N is calendar year N: the
	 * same cells under two names, every count of every metric (for counts
	 * of children no relation says so). */
	if (e->raw->fy_start_month == 1)
		for (size_t i = 0; i < e->raw->table_count; i++) {
			const struct metrics_table *y = &e->raw->tables[i];
			if (y->period_type != PERIOD_YEAR || !e->view->tables[i].published)
				continue;
			const struct metrics_table *f =
			    find_table(e, y->metric, PERIOD_FISCAL_YEAR, y->dim);
			if (f == NULL || f->group_count != y->group_count)
				continue;
			for (uint32_t p = 0; p < e->view->tables[i].published_rows; p++)
				for (uint32_t g = 0; g < y->group_count; g++) {
					int32_t period = y->first_period + (int32_t)p;
					size_t cy = cell_at(e, y, period, g),
					       cf = cell_at(e, f, period, g);
					if (cy == SIZE_MAX || cf == SIZE_MAX)
						continue;
					unite(e, var_id(cy, NUM), var_id(cf, NUM));
					unite(e, var_id(cy, DEN), var_id(cf, DEN));
				}
		}
	/* components of (metric, field) under the links that hold everywhere:
	 * their tables together form one set of columns */
	int comp_parent[METRIC_COUNT * 2];
	for (int i = 0; i < METRIC_COUNT * 2; i++)
		comp_parent[i] = i;
	for (size_t l = 0; l < metrics_equal_count_count; l++) {
		if (metrics_equal_counts[l].scope == METRIC_EQUAL_AGE_12_PLUS)
			continue;
		int a = (int)metrics_equal_counts[l].a * 2 + metrics_equal_counts[l].field_a;
		int b = (int)metrics_equal_counts[l].b * 2 + metrics_equal_counts[l].field_b;
		while (comp_parent[a] != a)
			a = comp_parent[a];
		while (comp_parent[b] != b)
			b = comp_parent[b];
		if (a != b)
			comp_parent[a > b ? a : b] = a < b ? a : b;
	}
	for (int i = 0; i < METRIC_COUNT * 2; i++) {
		int r = i;
		while (comp_parent[r] != r)
			r = comp_parent[r];
		e->comp[i / 2][i % 2] = (uint8_t)r;
	}
}

/* ---- relations ---- */

static bool rel_push(struct relations *rel, const struct term *terms, size_t n)
{
	if (rel->count + 2 > rel->cap_rel) {
		size_t cap = rel->cap_rel ? rel->cap_rel * 2 : 1024;
		size_t *s = realloc(rel->start, cap * sizeof(*s));
		if (s == NULL)
			return false;
		rel->start = s;
		rel->cap_rel = cap;
	}
	if (rel->used + n > rel->cap) {
		size_t cap = rel->cap ? rel->cap * 2 : 8192;
		while (cap < rel->used + n)
			cap *= 2;
		uint32_t *v = realloc(rel->var, cap * sizeof(*v));
		if (v == NULL)
			return false;
		rel->var = v;
		int8_t *s = realloc(rel->sign, cap);
		if (s == NULL)
			return false;
		rel->sign = s;
		rel->cap = cap;
	}
	if (rel->count == 0)
		rel->start[0] = 0;
	for (size_t i = 0; i < n; i++) {
		rel->var[rel->used + i] = terms[i].var;
		rel->sign[rel->used + i] = (int8_t)terms[i].coef;
	}
	rel->used += n;
	rel->count++;
	rel->start[rel->count] = rel->used;
	return true;
}

/* The fine periods of type fine that tile coarse period `period`, as
 * [*f0, *f1]; false when they do not tile it exactly. */
static bool tiles(enum period_type fine, enum period_type coarse, int fy, int32_t period,
                  int32_t *f0, int32_t *f1)
{
	int32_t a = period_first_day(coarse, fy, period), b = period_last_day(coarse, fy, period);
	*f0 = period_index_of(fine, fy, a);
	*f1 = period_index_of(fine, fy, b);
	return period_first_day(fine, fy, *f0) == a && period_last_day(fine, fy, *f1) == b;
}

static bool finer(enum period_type fine, enum period_type coarse)
{
	return (fine == PERIOD_MONTH && coarse != PERIOD_MONTH) ||
	       (fine == PERIOD_QUARTER && (coarse == PERIOD_YEAR || coarse == PERIOD_FISCAL_YEAR));
}

static bool additive_field(enum metric_id m, int field)
{
	return (metrics_catalog[m].time_additive >> field) & 1u;
}

/* Adds every relation of every published table (see the file comment). */
static bool build_relations(struct engine *e, struct term *scratch)
{
	const struct metrics_result *raw = e->raw;
	int fy = raw->fy_start_month;
	for (size_t i = 0; i < raw->table_count; i++) {
		const struct metrics_table *t = &raw->tables[i];
		const struct release_table *rt = &e->view->tables[i];
		if (!rt->published)
			continue;
		const struct metric_def *def = &metrics_catalog[t->metric];
		for (int f = 0; f < 2; f++) {
			if (!has_field(def->kind, f))
				continue;
			/* groups -> total of the same period */
			const struct metrics_table *tot =
			    t->dim == DIM_TOTAL
			        ? NULL
			        : find_table(e, t->metric, t->period_type, DIM_TOTAL);
			for (uint32_t p = 0; tot != NULL && p < rt->published_rows; p++) {
				int32_t period = t->first_period + (int32_t)p;
				size_t whole = cell_at(e, tot, period, 0);
				if (whole == SIZE_MAX)
					continue;
				size_t n = 0;
				scratch[n++] = (struct term){var_id(whole, f), 1, false};
				for (uint32_t g = 0; g < t->group_count; g++)
					scratch[n++] = (struct term){
					    var_id(e->offset[i] + (size_t)p * t->group_count + g,
					           f),
					    -1, false};
				if (!rel_push(&e->rel, scratch, n))
					return false;
			}
			if (!additive_field(t->metric, f))
				continue;
			/* finer periods that tile this one, group by group */
			for (int fine = 0; fine < PERIOD_TYPE_COUNT; fine++) {
				if (!finer((enum period_type)fine, t->period_type))
					continue;
				const struct metrics_table *ft =
				    find_table(e, t->metric, (enum period_type)fine, t->dim);
				if (ft == NULL || !e->view->tables[table_index(e, ft)].published ||
				    ft->group_count != t->group_count)
					continue;
				for (uint32_t p = 0; p < rt->published_rows; p++) {
					int32_t period = t->first_period + (int32_t)p, f0, f1;
					if (!tiles((enum period_type)fine, t->period_type, fy,
					           period, &f0, &f1))
						continue;
					bool complete = true;
					for (int32_t fp = f0; fp <= f1 && complete; fp++)
						complete = fp < ft->first_period ||
						           fp >= ft->first_period +
						                     (int32_t)ft->period_count ||
						           cell_at(e, ft, fp, 0) != SIZE_MAX;
					if (!complete)
						continue;
					for (uint32_t g = 0; g < t->group_count; g++) {
						if (rt->state[(size_t)p * t->group_count + g] &
						    RELEASE_OUTSIDE)
							continue; /* its months do not add up to it
							           */
						size_t n = 0;
						scratch[n++] = (struct term){
						    var_id(e->offset[i] +
						               (size_t)p * t->group_count + g,
						           f),
						    1, false};
						for (int32_t fp = f0; fp <= f1; fp++) {
							size_t c = cell_at(e, ft, fp, g);
							if (c !=
							    SIZE_MAX) /* else before the data: 0 */
								scratch[n++] = (struct term){
								    var_id(c, f), -1, false};
						}
						if (!rel_push(&e->rel, scratch, n))
							return false;
					}
				}
			}
		}
	}
	return true;
}

/* Rewrites relation members as roots and builds the membership index. */
static bool index_relations(struct engine *e)
{
	size_t vars = 2 * e->cells;
	for (size_t m = 0; m < e->rel.used; m++)
		e->rel.var[m] = find(e, e->rel.var[m]);
	e->member_first = calloc(vars + 1, sizeof(size_t));
	e->member_rel = malloc((e->rel.used + 1) * sizeof(uint32_t));
	e->member_sign = malloc(e->rel.used + 1);
	e->acc = calloc(e->rel.count + 1, sizeof(int64_t));
	size_t *fill = calloc(vars + 1, sizeof(size_t));
	if (!e->member_first || !e->member_rel || !e->member_sign || !e->acc || !fill) {
		free(fill);
		return false;
	}
	for (size_t m = 0; m < e->rel.used; m++)
		e->member_first[e->rel.var[m] + 1]++;
	for (size_t v = 0; v < vars; v++)
		e->member_first[v + 1] += e->member_first[v];
	for (size_t r = 0; r < e->rel.count; r++)
		for (size_t m = e->rel.start[r]; m < e->rel.start[r + 1]; m++) {
			uint32_t v = e->rel.var[m];
			size_t at = e->member_first[v] + fill[v]++;
			e->member_rel[at] = (uint32_t)r;
			e->member_sign[at] = e->rel.sign[m];
		}
	free(fill);
	return true;
}

/* True when the terms keep every relation (signed sums unchanged). */
/* True when the terms keep every relation that holds one of
 * terms[focus .. n) (focus 0: every relation they touch). */
static bool in_kernel_from(struct engine *e, const struct term *terms, size_t n, size_t focus)
{
	bool ok = true;
	for (size_t i = 0; i < n; i++)
		for (size_t j = e->member_first[terms[i].var];
		     j < e->member_first[terms[i].var + 1]; j++)
			e->acc[e->member_rel[j]] += (int64_t)e->member_sign[j] * terms[i].coef;
	for (size_t i = focus; i < n; i++)
		for (size_t j = e->member_first[terms[i].var];
		     j < e->member_first[terms[i].var + 1]; j++)
			if (e->acc[e->member_rel[j]] != 0)
				ok = false;
	for (size_t i = 0; i < n; i++)
		for (size_t j = e->member_first[terms[i].var];
		     j < e->member_first[terms[i].var + 1]; j++)
			e->acc[e->member_rel[j]] = 0;
	return ok;
}

static bool in_kernel(struct engine *e, const struct term *terms, size_t n)
{
	return in_kernel_from(e, terms, n, 0);
}

/* ---- primary secrets ---- */

/* The base of a group-period: children with a day in care in that group
 * and period (the days-in-care cell of the runaway rate, which has every
 * breakdown but the length-of-stay band; that band's own children). */
static int64_t base_children(const struct engine *e, const struct metrics_table *t, uint32_t row,
                             uint32_t group)
{
	int32_t period = t->first_period + (int32_t)row;
	const struct metrics_table *b =
	    t->dim == DIM_LOS_BAND
	        ? t
	        : find_table(e, METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, t->period_type, t->dim);
	if (b == NULL || period < b->first_period ||
	    period >= b->first_period + (int32_t)b->period_count || group >= b->group_count)
		return 0;
	return b->cells[(size_t)(period - b->first_period) * b->group_count + group].children;
}

static bool small_change(int64_t before, int64_t after, int k)
{
	int64_t d = after > before ? after - before : before - after;
	return d >= 1 && d <= k - 1;
}

/* Revision: the counts of a cell an earlier release published moved. The
 * difference is about the children whose rows changed; when fewer than k
 * children moved (or a count moved by 1..k-1), the revised cell is hidden. */
static uint8_t revision_fields(enum metric_kind kind, const struct metrics_cell *now,
                               const struct metrics_cell *before, int k)
{
	bool changed = now->numerator != before->numerator ||
	               now->denominator != before->denominator ||
	               now->children != before->children || now->quantile_2s != before->quantile_2s;
	if (!changed)
		return 0;
	uint8_t all =
	    (uint8_t)((disclosure_kind_has_numerator(kind) ? DISCLOSURE_SECRET_NUMERATOR : 0) |
	              (disclosure_kind_has_denominator(kind) ? DISCLOSURE_SECRET_DENOMINATOR : 0));
	int64_t dc = now->children - before->children;
	if (dc < k && dc > -k)
		return all;
	uint8_t f = 0;
	if (small_change(before->numerator, now->numerator, k))
		f |= DISCLOSURE_SECRET_NUMERATOR;
	if (small_change(before->denominator, now->denominator, k))
		f |= DISCLOSURE_SECRET_DENOMINATOR;
	return f & all;
}

/* Marks published cells and their primary secrets; returns the secret
 * fields per cell in why. */
static void primary_pass(struct engine *e, uint8_t *why)
{
	for (size_t i = 0; i < e->raw->table_count; i++) {
		const struct metrics_table *t = &e->raw->tables[i];
		const struct release_table *rt = &e->view->tables[i];
		if (!rt->published)
			continue;
		enum metric_kind kind = metrics_catalog[t->metric].kind;
		for (uint32_t p = 0; p < rt->published_rows; p++) {
			for (uint32_t g = 0; g < t->group_count; g++) {
				size_t local = (size_t)p * t->group_count + g;
				size_t c = e->offset[i] + local;
				const struct metrics_cell *cell = &t->cells[local];
				uint8_t state = rt->state[local];
				e->cell[c] |= CELL_PUBLISHED;
				int64_t empty_count = emptiness_field(kind) == NUM
				                          ? cell->numerator
				                          : cell->denominator;
				if (empty_count == 0)
					e->cell[c] |= CELL_EMPTY;
				if (base_children(e, t, p, g) < e->k)
					e->cell[c] |= CELL_SMALL;
				if (state & RELEASE_FROZEN) {
					uint8_t s = (uint8_t)((state >> RELEASE_SECRET_SHIFT) &
					                      DISCLOSURE_SECRET_FIELDS);
					if (s)
						why[c] |= s;
					else
						e->cell[c] |= CELL_FIXED;
					continue;
				}
				uint8_t s = disclosure_primary_fields(kind, cell, e->k);
				if ((e->cell[c] & CELL_SMALL) || (state & RELEASE_OUTSIDE))
					s |= disclosure_kind_fields(kind);
				if ((state & RELEASE_PREVIOUS) && rt->prev != NULL)
					s |= revision_fields(kind, cell, &rt->prev[local], e->k);
				if (s) {
					why[c] |= s;
					e->cell[c] |= CELL_PRIMARY;
				}
			}
		}
	}
}

/* ---- the work queue ---- */

static bool enqueue(struct engine *e, uint32_t v)
{
	if (e->var[v] & VAR_QUEUED)
		return true;
	if (e->queue_tail == e->queue_cap) {
		size_t cap = e->queue_cap ? e->queue_cap * 2 : 4096;
		uint32_t *q = realloc(e->queue, cap * sizeof(*q));
		if (q == NULL)
			return false;
		e->queue = q;
		e->queue_cap = cap;
	}
	e->queue[e->queue_tail++] = v;
	e->var[v] |= VAR_QUEUED;
	return true;
}

/* Puts root v, taken off the queue, at its back again. */
static bool requeue(struct engine *e, uint32_t v)
{
	e->var[v] &= (uint8_t)~VAR_QUEUED;
	return enqueue(e, v);
}

/* Makes root v secret and hides every cell holding it. */
static bool make_secret(struct engine *e, uint32_t v)
{
	if (e->var[v] & VAR_SECRET)
		return true;
	e->var[v] |= VAR_SECRET;
	for (size_t j = e->var_first[v]; j < e->var_first[v + 1]; j++)
		e->cell[e->var_cells[j] / 2] |= CELL_HIDDEN;
	return enqueue(e, v);
}

/* ---- bounds the attacker knows ---- */

static uint32_t attached(struct engine *e, uint32_t member);

/* Lowest value of root v the attacker allows once v is hidden: 1 when a
 * cell of v outside a small group has v as its emptiness count (hidden
 * there means not empty); with dens, a percentage's denominator is at least
 * its numerator (true numerator: a witness, not a bound). */
static int64_t compute_lower_bound(struct engine *e, uint32_t v, bool dens)
{
	int64_t lb = 0;
	/* Only a count no other metric publishes: a hidden cell whose
	 * emptiness count is shared may be empty (hidden because the other
	 * metric's cell is), so the policy implies nothing about it. */
	bool shared = e->var_first[v + 1] - e->var_first[v] > 1;
	for (size_t j = e->var_first[v]; j < e->var_first[v + 1]; j++) {
		uint32_t member = e->var_cells[j];
		size_t c = member / 2;
		int f = (int)(member % 2);
		uint32_t row, group;
		const struct metrics_table *t = cell_table(e, c, &row, &group);
		enum metric_kind kind = metrics_catalog[t->metric].kind;
		if (!shared && !(e->cell[c] & CELL_SMALL) && f == emptiness_field(kind) && lb < 1)
			lb = 1;
		if (dens && kind == METRIC_KIND_PERCENT && f == DEN &&
		    attached(e, member) == NO_VAR) {
			int64_t num = t->cells[(size_t)row * t->group_count + group].numerator;
			if (num > lb)
				lb = num;
		}
	}
	return lb;
}

static int64_t lower_bound(struct engine *e, uint32_t v)
{
	return e->free_dens ? e->lb_free[v] : e->lb[v];
}

/* Highest value: a percentage's numerator is at most its denominator (the
 * lifted search mode raises this cap for one numerator: lift_holds). */
static int64_t upper_bound(struct engine *e, uint32_t v)
{
	int64_t ub = UNBOUNDED;
	for (size_t j = e->var_first[v]; j < e->var_first[v + 1]; j++) {
		uint32_t member = e->var_cells[j];
		if (member % 2 != NUM)
			continue;
		uint32_t row, group;
		const struct metrics_table *t = cell_table(e, member / 2, &row, &group);
		if (metrics_catalog[t->metric].kind != METRIC_KIND_PERCENT)
			continue;
		int64_t den = t->cells[(size_t)row * t->group_count + group].denominator;
		if (den < ub)
			ub = den;
	}
	return ub;
}

/* Whether cell c's emptiness count is its own (no other metric publishes
 * it): then an empty c outside a small group is always published. */
static bool emptiness_is_own(struct engine *e, size_t c)
{
	uint32_t row, group;
	const struct metrics_table *t = cell_table(e, c, &row, &group);
	uint32_t v = find(e, var_id(c, emptiness_field(metrics_catalog[t->metric].kind)));
	return e->var_first[v + 1] - e->var_first[v] <= 1;
}

/* Whether root v may be hidden: never a count published by an earlier
 * release, never a count of an empty cell outside a small group. */
static bool may_hide(struct engine *e, uint32_t v)
{
	if (e->var[v] & VAR_SECRET)
		return true;
	if (e->var[v] & (VAR_FIXED | VAR_PIN))
		return false;
	for (size_t j = e->var_first[v]; j < e->var_first[v + 1]; j++) {
		size_t c = e->var_cells[j] / 2;
		uint8_t f = e->cell[c];
		if (f & CELL_FIXED)
			return false;
		if ((f & CELL_EMPTY) && !(f & CELL_SMALL) && !(f & CELL_HIDDEN) &&
		    emptiness_is_own(e, c))
			return false; /* policy: such a cell is published */
	}
	return var_value(e, v) >= lower_bound(e, v);
}

/* Price of hiding root v: nothing when every cell of it is hidden already;
 * else by the longest period and whether it is a total (docs/privacy.md
 * "Cost"): months before quarters before years, totals last. */
static int64_t hide_cost(struct engine *e, uint32_t v)
{
	int64_t cost = 0;
	for (size_t j = e->var_first[v]; j < e->var_first[v + 1]; j++) {
		size_t c = e->var_cells[j] / 2;
		if (e->cell[c] & CELL_HIDDEN)
			continue;
		uint32_t row, group;
		const struct metrics_table *t = cell_table(e, c, &row, &group);
		static const int64_t weight[PERIOD_TYPE_COUNT] = {1, 3, 9, 9};
		int64_t w = t->dim == DIM_TOTAL ? TOTAL_WEIGHT : weight[t->period_type];
		int64_t children = t->cells[(size_t)row * t->group_count + group].children;
		cost += w * 1000 + (children < 999 ? children : 999);
	}
	return cost;
}

/* ---- columns and time vectors ---- */

/* Members of a component (links holding in whole tables): the (metric, field) pairs whose tables
 * hold the same counts. */
struct component {
	int n;                                   /* members */
	enum metric_id metric[2 * METRIC_COUNT]; /* member metric, the base first */
	int field[2 * METRIC_COUNT];             /* member field */
};

/* Whether a component's counts add up in time: true when any of its
 * members does, since the shared variable then sits in that member's
 * tiling relations (days to assignment's denominator holds permanency
 * after assignment's, which has no quarters of its own). */
static bool additive_component(const struct component *comp)
{
	for (int i = 0; i < comp->n; i++)
		if (additive_field(comp->metric[i], comp->field[i]))
			return true;
	return false;
}

/* Whether a component's cell at a coordinate is in no time relation: a
 * longer period holding counts dated before its first month
 * (RELEASE_OUTSIDE) in any member (the trafficking rate has no months, the
 * 24-hour percentage it is linked to has). */
static bool outside_months(const struct engine *e, const struct component *comp,
                           enum period_type type, enum dim dim, int32_t period, uint32_t group)
{
	for (int i = 0; i < comp->n; i++) {
		const struct metrics_table *t = find_table(e, comp->metric[i], type, dim);
		if (t == NULL || period < t->first_period ||
		    period >= t->first_period + (int32_t)t->period_count)
			continue;
		const struct release_table *rt = &e->view->tables[t - e->raw->tables];
		if (rt->state[(size_t)(period - t->first_period) * t->group_count + group] &
		    RELEASE_OUTSIDE)
			return true;
	}
	return false;
}

static void component_of(const struct engine *e, enum metric_id m0, int f0, struct component *out)
{
	out->n = 0;
	out->metric[out->n] = m0;
	out->field[out->n++] = f0;
	for (int m = 0; m < METRIC_COUNT; m++)
		for (int f = 0; f < 2; f++)
			if (e->comp[m][f] == e->comp[m0][f0] && !(m == (int)m0 && f == f0)) {
				out->metric[out->n] = (enum metric_id)m;
				out->field[out->n++] = f;
			}
}

/* The root variable at a coordinate of a component, or NO_VAR when no
 * member publishes that cell. */
static uint32_t coord_var(struct engine *e, const struct component *comp, enum period_type type,
                          enum dim dim, int32_t period, uint32_t group)
{
	for (int i = 0; i < comp->n; i++) {
		const struct metrics_table *t = find_table(e, comp->metric[i], type, dim);
		if (t == NULL)
			continue;
		size_t c = cell_at(e, t, period, group);
		if (c != SIZE_MAX)
			return find(e, var_id(c, comp->field[i]));
	}
	return NO_VAR;
}

static uint32_t dim_groups(const struct engine *e, enum dim dim)
{
	return metrics_group_count(e->raw, dim);
}

/* Whether (type, period) of dim is a published row of the component. */
static bool row_published(struct engine *e, const struct component *comp, enum period_type type,
                          enum dim dim, int32_t period)
{
	return dim_groups(e, dim) > 0 && coord_var(e, comp, type, dim, period, 0) != NO_VAR;
}

/* The finest period type of a column that has time relations: months when
 * published for dim, else quarters; -1 when neither is (years and fiscal
 * years alone are not nested). */
static int finest_type(struct engine *e, const struct component *comp, enum dim dim)
{
	for (int type = PERIOD_MONTH; type <= PERIOD_QUARTER; type++)
		for (int i = 0; i < comp->n; i++) {
			const struct metrics_table *t =
			    find_table(e, comp->metric[i], (enum period_type)type, dim);
			if (t != NULL && e->view->tables[table_index(e, t)].published)
				return type;
		}
	return -1;
}

/* Longer published periods whose relation holds row r of type fine. */
static int containers(struct engine *e, const struct component *comp, enum dim dim,
                      enum period_type fine, int32_t r, enum period_type type_out[3],
                      int32_t period_out[3])
{
	int fy = e->raw->fy_start_month, n = 0;
	for (int c = PERIOD_QUARTER; c < PERIOD_TYPE_COUNT; c++) {
		if (!finer(fine, (enum period_type)c))
			continue;
		int32_t P = period_index_of((enum period_type)c, fy, period_first_day(fine, fy, r));
		int32_t f0, f1;
		if (!tiles(fine, (enum period_type)c, fy, P, &f0, &f1) ||
		    !row_published(e, comp, (enum period_type)c, dim, P))
			continue;
		/* the relation exists only when every part is published (or
		 * before the data) */
		const struct metrics_table *ft = NULL;
		for (int i = 0; i < comp->n && ft == NULL; i++)
			ft =
			    find_table(e, comp->metric[i], fine, dim); /* not all members have it */
		bool complete = true;
		for (int32_t fp = f0; fp <= f1 && complete; fp++) {
			complete =
			    ft != NULL && (fp < ft->first_period ||
			                   fp >= ft->first_period + (int32_t)ft->period_count ||
			                   row_published(e, comp, fine, dim, fp));
		}
		if (!complete)
			continue;
		type_out[n] = (enum period_type)c;
		period_out[n++] = P;
	}
	return n;
}

static void tau_add(struct tau *tau, enum period_type type, int32_t period, int coef)
{
	for (int i = 0; i < tau->n; i++)
		if (tau->type[i] == type && tau->period[i] == period) {
			tau->coef[i] += coef;
			return;
		}
	if (tau->n < MAX_TAU) {
		tau->type[tau->n] = type;
		tau->period[tau->n] = period;
		tau->coef[tau->n++] = coef;
	}
}

static void tau_compact(struct tau *tau)
{
	int n = 0;
	for (int i = 0; i < tau->n; i++)
		if (tau->coef[i] != 0) {
			tau->type[n] = tau->type[i];
			tau->period[n] = tau->period[i];
			tau->coef[n++] = tau->coef[i];
		}
	tau->n = n;
}

/* tau(t, t2): +t - t2 + the longer periods holding t and not t2 - those
 * holding t2 and not t (has_t2 false: t and every longer period holding
 * it). Keeps every time relation of the column. */
static void make_tau(struct engine *e, const struct component *comp, enum dim dim,
                     enum period_type fine, int32_t t, bool has_t2, int32_t t2, struct tau *out)
{
	enum period_type ct[3], ct2[3];
	int32_t cp[3], cp2[3];
	out->n = 0;
	tau_add(out, fine, t, 1);
	int n = containers(e, comp, dim, fine, t, ct, cp);
	for (int i = 0; i < n; i++)
		tau_add(out, ct[i], cp[i], 1);
	if (has_t2) {
		tau_add(out, fine, t2, -1);
		int n2 = containers(e, comp, dim, fine, t2, ct2, cp2);
		for (int i = 0; i < n2; i++)
			tau_add(out, ct2[i], cp2[i], -1);
	}
	tau_compact(out);
}

static int tau_coef(const struct tau *tau, enum period_type type, int32_t period)
{
	for (int i = 0; i < tau->n; i++)
		if (tau->type[i] == type && tau->period[i] == period)
			return tau->coef[i];
	return 0;
}

/* ---- stars ---- */

/* Room of a set of terms moved together by +1 per unit: how far up and down
 * (in units) before a bound is hit. */
/* Whether root v is a count of x's group (lift_rising): x's column, its
 * denominators and their longer periods, not a partner's. */
static bool in_lift_group(struct engine *e, uint32_t v)
{
	for (size_t j = e->var_first[v]; j < e->var_first[v + 1]; j++) {
		uint32_t row, group;
		const struct metrics_table *t = cell_table(e, e->var_cells[j] / 2, &row, &group);
		if (t->dim == e->lift_dim && group == e->lift_group)
			return true;
	}
	return false;
}

static void room(struct engine *e, const struct term *terms, int n, int64_t *up, int64_t *down)
{
	int64_t u = UNBOUNDED, d = UNBOUNDED;
	for (int i = 0; i < n; i++) {
		uint32_t v = terms[i].var;
		int64_t val = var_value(e, v), lb = lower_bound(e, v);
		int64_t ub = terms[i].attached  ? UNBOUNDED
		             : v == e->lift_var ? e->lift_ub
		             : e->lift_rising && terms[i].coef > 0 && in_lift_group(e, v)
		                 ? UNBOUNDED
		                 : upper_bound(e, v);
		int64_t rise = ub >= UNBOUNDED ? UNBOUNDED : ub - val, fall = val - lb;
		if (rise < 0)
			rise = 0;
		if (fall < 0)
			fall = 0;
		if (terms[i].coef > 0) {
			u = u < rise ? u : rise;
			d = d < fall ? d : fall;
		} else {
			u = u < fall ? u : fall;
			d = d < rise ? d : rise;
		}
	}
	*up = u;
	*down = d;
}

/* One partner group of a star: its terms and what it can give. */
struct partner {
	uint32_t group;               /* group index */
	int64_t cost;                 /* price of hiding its cells */
	int64_t up, down;             /* room of its terms, in x's units */
	struct term terms[MAX_TERMS]; /* its cells */
	int n;                        /* terms */
};

static int compare_partners(const void *a, const void *b)
{
	const struct partner *p = a, *q = b;
	if (p->cost != q->cost)
		return p->cost < q->cost ? -1 : 1;
	if (p->up != q->up)
		return p->up > q->up ? -1 : 1;
	if (p->down != q->down)
		return p->down > q->down ? -1 : 1;
	return p->group < q->group ? -1 : p->group > q->group;
}

/* A chosen star: terms to hide and the room it gives x. */
struct star {
	int64_t cost;       /* price of the cells it hides */
	int64_t up, down;   /* room it gives x */
	struct term *terms; /* every cell of it (x's column first) */
	int64_t *term_up;   /* room each term gets (its own direction) */
	int64_t *term_down; /* same, downwards */
	uint32_t *group;    /* per term: terms of one group move by coef times one amount */
	uint32_t groups;    /* groups begun (star_add) */
	size_t n, cap;      /* terms used and allocated */
	bool rect;          /* a rectangle: its terms' coef is not their direction */
};

static bool star_push(struct star *s, struct term t, int64_t up, int64_t down)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct term *nt = realloc(s->terms, cap * sizeof(*nt));
		if (nt == NULL)
			return false;
		s->terms = nt;
		int64_t *nu = realloc(s->term_up, cap * sizeof(*nu));
		if (nu == NULL)
			return false;
		s->term_up = nu;
		int64_t *nd = realloc(s->term_down, cap * sizeof(*nd));
		if (nd == NULL)
			return false;
		s->term_down = nd;
		uint32_t *ng = realloc(s->group, cap * sizeof(*ng));
		if (ng == NULL)
			return false;
		s->group = ng;
		s->cap = cap;
	}
	s->group[s->n] = s->groups;
	s->terms[s->n] = t;
	s->term_up[s->n] = up;
	s->term_down[s->n] = down;
	s->n++;
	return true;
}

static void star_free(struct star *s)
{
	free(s->terms);
	free(s->term_up);
	free(s->term_down);
	free(s->group);
	memset(s, 0, sizeof(*s));
}

/* A percentage's numerator that moves with its denominator (coupled
 * metric, numerator hideable, not in the free search mode): the numerator
 * of cell c when member is c's denominator, else NO_VAR. */
static uint32_t attached(struct engine *e, uint32_t member)
{
	if (member % 2 != DEN || e->free_dens)
		return NO_VAR;
	uint32_t row, group;
	const struct metrics_table *t = cell_table(e, member / 2, &row, &group);
	if (metrics_catalog[t->metric].kind != METRIC_KIND_PERCENT || !e->coupled[t->metric])
		return NO_VAR;
	uint32_t nv = find(e, var_id(member / 2, NUM));
	if (e->var_first[nv] == e->var_first[nv + 1])
		return NO_VAR;
	if (e->var[nv] & VAR_SECRET)
		return nv;
	if (e->var[nv] & VAR_FIXED)
		return NO_VAR;
	for (size_t j = e->var_first[nv]; j < e->var_first[nv + 1]; j++)
		if (e->cell[e->var_cells[j] / 2] & CELL_FIXED)
			return NO_VAR;
	return nv;
}

/*
 * A denominator term drags along the numerators of its coupled
 * percentages: den - num (the complement) stays, so num <= den holds
 * whatever the move, and the denominator can fall as far as its numerator
 * can (instead of only by the complement). The numerators' relations are
 * the same tables' (the same pattern keeps them). Returns the new count.
 */
static int attach_numerators(struct engine *e, uint32_t v, int coef, struct term *out, int n)
{
	for (size_t j = e->var_first[v]; j < e->var_first[v + 1] && n < MAX_TERMS; j++) {
		uint32_t nv = attached(e, e->var_cells[j]);
		if (nv == NO_VAR || nv == v)
			continue;
		bool seen = false;
		for (int i = 0; i < n && !seen; i++)
			seen = out[i].var == nv;
		if (!seen)
			out[n++] = (struct term){nv, coef, true};
	}
	return n;
}

/* The denominator of the percentage whose numerator is root v (first such
 * cell), when it is another variable; else NO_VAR. */
static uint32_t co_moving_denominator(struct engine *e, uint32_t v)
{
	for (size_t j = e->var_first[v]; j < e->var_first[v + 1]; j++) {
		uint32_t member = e->var_cells[j];
		uint32_t row, group;
		const struct metrics_table *t = cell_table(e, member / 2, &row, &group);
		if (member % 2 == NUM && metrics_catalog[t->metric].kind == METRIC_KIND_PERCENT) {
			uint32_t dv = find(e, var_id(member / 2, DEN));
			return dv != v ? dv : NO_VAR;
		}
	}
	return NO_VAR;
}

/* Builds the terms of group g under tau (sign flips the coefficients); false
 * when a cell is missing or may not be hidden. */
static bool column_terms(struct engine *e, const struct component *comp, enum dim dim, uint32_t g,
                         const struct tau *tau, int sign, struct term *out, int *n_out,
                         int64_t *cost)
{
	int n = 0;
	*cost = 0;
	for (int i = 0; i < tau->n; i++) {
		uint32_t v = coord_var(e, comp, tau->type[i], dim, tau->period[i], g);
		if (v == NO_VAR)
			return false;
		if (!may_hide(e, v))
			return false;
		out[n++] = (struct term){v, sign * tau->coef[i], false};
		*cost += hide_cost(e, v);
		n = attach_numerators(e, v, sign * tau->coef[i], out, n);
		/* a numerator with its denominator, that denominator with its
		 * own when it is a numerator too (screened positive, screened,
		 * returned), each under the next whatever the move */
		uint32_t nv = v;
		for (int depth = 0; depth < e->co_move; depth++) {
			int at = n - 1;
			uint32_t dv = co_moving_denominator(e, nv);
			while (at >= 0 && out[at].var != nv)
				at--;
			if (dv == NO_VAR || at < 0)
				break;
			bool seen = false;
			for (int q = 0; q < n && !seen; q++)
				seen = out[q].var == dv;
			if (seen)
				break;
			if (!may_hide(e, dv) || n >= MAX_TERMS)
				return false;
			out[at].attached = true; /* its denominator rises with it */
			out[n++] = (struct term){dv, sign * tau->coef[i], false};
			*cost += hide_cost(e, dv);
			nv = dv;
		}
	}
	*n_out = n;
	return true;
}

/* Restriction of tau to the rows published for dim. */
static void tau_for_dim(struct engine *e, const struct component *comp, const struct tau *tau,
                        enum dim dim, struct tau *out)
{
	out->n = 0;
	for (int i = 0; i < tau->n; i++)
		if (row_published(e, comp, tau->type[i], dim, tau->period[i])) {
			out->type[out->n] = tau->type[i];
			out->period[out->n] = tau->period[i];
			out->coef[out->n++] = tau->coef[i];
		}
}

/* Chooses partners (sorted) until they give `want_up` and `want_down`;
 * returns how many, or -1 when they cannot. */
static int take_greedy(const struct partner *p, int n, int64_t want_up, int64_t want_down,
                       int64_t *up, int64_t *down, int64_t *cost)
{
	*up = 0;
	*down = 0;
	*cost = 0;
	for (int i = 0; i < n; i++) {
		if (*up >= want_up && *down >= want_down)
			return i;
		*up = sat_add(*up, p[i].up);
		*down = sat_add(*down, p[i].down);
		*cost += p[i].cost;
	}
	return *up >= want_up && *down >= want_down ? n : -1;
}

#define TAKE_STATES 1024 /* (want_up + 1) * (want_down + 1) the exact choice handles */

/* What one candidate of a cover gives and costs. */
struct cover_item {
	int64_t up, down, cost;
};

/*
 * The cheapest set of items that gives `wu` up and `wd` down together (a
 * covering knapsack over the room capped at what is wanted): chosen[i] set
 * for each item of it. 1 when found, 0 when no set gives enough, -1 when
 * the room asked is too large for the table or memory runs out (the
 * caller takes the cheapest first instead). Ties keep the set built from
 * the items listed first, so the same data gives the same choice.
 */
static int cheapest_cover(const struct cover_item *it, int n, int64_t wu, int64_t wd,
                          uint8_t *chosen)
{
	if (wu < 0)
		wu = 0;
	if (wd < 0)
		wd = 0;
	if ((wu + 1) * (wd + 1) > TAKE_STATES)
		return -1;
	int cols = (int)wd + 1, states = ((int)wu + 1) * cols;
	int16_t *from = malloc((size_t)n * (size_t)states * sizeof(*from) + 1);
	if (from == NULL)
		return -1;
	int64_t best[TAKE_STATES], next[TAKE_STATES];
	for (int st = 0; st < states; st++)
		best[st] = -1; /* unreachable */
	best[0] = 0;
	for (int i = 0; i < n; i++) {
		int16_t *fi = from + (size_t)i * (size_t)states;
		int64_t pu = min64(it[i].up, wu), pd = min64(it[i].down, wd);
		for (int st = 0; st < states; st++) {
			next[st] = best[st];
			fi[st] = -1; /* not taken */
		}
		for (int st = 0; st < states; st++) {
			if (best[st] < 0)
				continue;
			int64_t u = min64(st / cols + pu, wu), d = min64(st % cols + pd, wd);
			int to = (int)(u * cols + d);
			int64_t c = best[st] + it[i].cost;
			if (next[to] < 0 || c < next[to]) {
				next[to] = c;
				fi[to] = (int16_t)st;
			}
		}
		memcpy(best, next, (size_t)states * sizeof(best[0]));
	}
	int st = states - 1;
	bool found = best[st] >= 0;
	for (int i = n - 1; i >= 0; i--) {
		int16_t f = found ? from[(size_t)i * (size_t)states + (size_t)st] : -1;
		chosen[i] = f >= 0;
		if (chosen[i])
			st = f;
	}
	free(from);
	return found ? 1 : 0;
}

/*
 * Chooses the cheapest set of partners that gives `want_up` and `want_down`
 * (cheapest_cover), moves it to the front of p in its sorted order and
 * returns its size, or -1 when no set can. Taking the cheapest first until
 * enough was taken chose many small partners, each giving a little room
 * and each hiding its cells, where one larger partner alone gives it all:
 * at 20,000 children a small setting's quarter hid the year of 7 other
 * settings.
 */
static int take_partners(struct partner *p, int n, int64_t want_up, int64_t want_down, int64_t *up,
                         int64_t *down, int64_t *cost)
{
	if (n <= 0 || (want_up <= 0 && want_down <= 0))
		return take_greedy(p, n, want_up, want_down, up, down, cost);
	struct cover_item *it = malloc((size_t)n * (sizeof(*it) + 1));
	if (it == NULL)
		return take_greedy(p, n, want_up, want_down, up, down, cost);
	uint8_t *chosen = (uint8_t *)(it + n);
	for (int i = 0; i < n; i++)
		it[i] = (struct cover_item){p[i].up, p[i].down, p[i].cost};
	int r = cheapest_cover(it, n, want_up, want_down, chosen);
	if (r <= 0) {
		free(it);
		return r < 0 ? take_greedy(p, n, want_up, want_down, up, down, cost) : -1;
	}
	int taken = 0;
	*up = 0;
	*down = 0;
	*cost = 0;
	for (int i = 0; i < n; i++) {
		if (!chosen[i])
			continue;
		*up = sat_add(*up, p[i].up);
		*down = sat_add(*down, p[i].down);
		*cost += p[i].cost;
		if (i != taken) {
			/* rotate p[taken .. i] right by one: the order kept on both sides
			 * (the ones between are not chosen) */
			struct partner tmp = p[i];
			memmove(&p[taken + 1], &p[taken], (size_t)(i - taken) * sizeof(*p));
			p[taken] = tmp;
		}
		taken++;
	}
	free(it);
	return taken;
}

/* Partners of one breakdown for a star under tau_d: every group but skip
 * (UINT32_MAX: none), with terms of coefficient sign * tau_d; out has room
 * for every group of dim. Sorted, cheapest first. */
static int list_partners(struct engine *e, const struct component *comp, enum dim dim,
                         const struct tau *tau_d, int sign, uint32_t skip, struct partner *out)
{
	int n = 0;
	uint32_t groups = dim_groups(e, dim);
	for (uint32_t g = 0; g < groups; g++) {
		if (g == skip)
			continue;
		struct partner *p = &out[n];
		p->group = g;
		if (!column_terms(e, comp, dim, g, tau_d, sign, p->terms, &p->n, &p->cost))
			continue;
		/* in x's units: x up by 1 moves the partner's terms by their coef */
		room(e, p->terms, p->n, &p->up, &p->down);
		if (p->up == 0 && p->down == 0)
			continue;
		n++;
	}
	qsort(out, (size_t)n, sizeof(*out), compare_partners);
	return n;
}

/* Adds terms (with the room each gets) to a star. */
static bool star_add(struct star *s, const struct term *terms, int n, int64_t up, int64_t down)
{
	s->groups++; /* these terms move together */
	for (int i = 0; i < n; i++) {
		int64_t u = terms[i].coef > 0 ? up : down, d = terms[i].coef > 0 ? down : up;
		if (!star_push(s, terms[i], u, d))
			return false;
	}
	return true;
}

/* One dim's partners of a candidate star. */
struct dim_partners {
	enum dim dim;         /* breakdown */
	struct partner *list; /* sorted candidates (room for every group) */
	int n;                /* candidates */
	int taken;            /* how many the star uses */
	int64_t up, down;     /* what the taken ones give */
};

/* Drops partner i of dp (it broke a relation). */
static void drop_partner(struct dim_partners *dp, int i)
{
	memmove(&dp->list[i], &dp->list[i + 1], (size_t)(dp->n - i - 1) * sizeof(dp->list[0]));
	dp->n--;
}

/* Whether the unit pattern made of base terms, partner j of dps[i] and the
 * first partner of every other dim keeps every relation. */
static bool unit_ok(struct engine *e, const struct term *base, int nb, struct dim_partners *dps,
                    bool total_star, int i, int j)
{
	struct term unit[MAX_TERMS * 2];
	int un = 0;
	for (int q = 0; q < nb; q++)
		unit[un++] = base[q];
	for (int q = 0; q < dps[i].list[j].n; q++)
		unit[un++] = dps[i].list[j].terms[q];
	/* A group star: x's column and one partner must keep every relation
	 * they touch. A total star: the total's relations with the other
	 * breakdowns are kept by their own partners, so only the relations
	 * this partner is in are judged (else a bad partner of one breakdown
	 * would condemn every partner of another). */
	return in_kernel_from(e, unit, (size_t)un, total_star ? (size_t)nb : 0);
}

/* Takes partners of every dim until each gives want_up and want_down
 * (dropping partners whose unit pattern breaks a relation); partners
 * listed before `fixed` of dims[i] are always taken. false when a dim
 * cannot give enough. */
static bool take_all(struct engine *e, const struct term *base, int nb, struct dim_partners *dps,
                     int ndp, bool total_star, int64_t want_up, int64_t want_down, int64_t *cost)
{
	for (int i = 0; i < ndp; i++) {
		for (;;) {
			int64_t pu, pd, pc;
			int taken =
			    take_partners(dps[i].list, dps[i].n, want_up, want_down, &pu, &pd, &pc);
			if (taken < 0)
				return false;
			int bad = -1;
			for (int j = 0; j < taken && bad < 0; j++)
				if (!unit_ok(e, base, nb, dps, total_star, i, j))
					bad = j;
			if (bad >= 0) {
				drop_partner(&dps[i], bad);
				continue;
			}
			dps[i].taken = taken;
			dps[i].up = pu;
			dps[i].down = pd;
			*cost += pc;
			break;
		}
	}
	return true;
}

/* Records a star as the best so far when it is cheaper (ties: wider). */
static bool better(const struct star *best, bool found, int64_t cost, int64_t up, int64_t down)
{
	if (!found)
		return true;
	if (cost != best->cost)
		return cost < best->cost;
	return sat_add(up, down) > sat_add(best->up, best->down);
}

/* Adds every taken partner of dps to the star: a partner moves by at most
 * its own room and by what the rest of the star lets the base move. */
static bool star_add_partners(struct star *best, const struct dim_partners *dps, int ndp,
                              int64_t base_up, int64_t base_down)
{
	for (int i = 0; i < ndp; i++) {
		int64_t rest_up = base_up, rest_down = base_down;
		for (int o = 0; o < ndp; o++)
			if (o != i) {
				rest_up = min64(rest_up, dps[o].up);
				rest_down = min64(rest_down, dps[o].down);
			}
		for (int j = 0; j < dps[i].taken; j++) {
			const struct partner *p = &dps[i].list[j];
			if (!star_add(best, p->terms, p->n, min64(rest_up, p->up),
			              min64(rest_down, p->down)))
				return false;
		}
	}
	return true;
}

/* Group star: x's column (dim, group) against partner groups of the same
 * dim. Returns false only when memory runs out. */
static bool try_group_star(struct engine *e, const struct component *comp, enum dim dim,
                           uint32_t group, const struct tau *tau, int64_t need,
                           struct dim_partners *dps, struct star *best, bool *found)
{
	struct term xterms[MAX_TERMS];
	int xn;
	int64_t xcost, xu, xd;
	if (!column_terms(e, comp, dim, group, tau, 1, xterms, &xn, &xcost))
		return true;
	if (*found && xcost >= best->cost)
		return true; /* cannot beat the best star */
	room(e, xterms, xn, &xu, &xd);
	if (sat_add(xu, xd) < need)
		return true;
	dps[0].dim = dim;
	dps[0].n = list_partners(e, comp, dim, tau, -1, group, dps[0].list);
	/* two ways to split the room: x's own fall first, or its rise first */
	int64_t splits[2][2] = {{need - min64(xd, need), min64(xd, need)},
	                        {min64(xu, need), need - min64(xu, need)}};
	for (int s = 0; s < 2; s++) {
		if (splits[s][0] > xu || splits[s][1] > xd)
			continue;
		int64_t cost = xcost;
		if (!take_all(e, xterms, xn, dps, 1, false, splits[s][0], splits[s][1], &cost))
			continue;
		int64_t up = min64(xu, dps[0].up), down = min64(xd, dps[0].down);
		if (sat_add(up, down) < need || !better(best, *found, cost, up, down))
			continue;
		best->n = 0;
		best->rect = false;
		best->cost = cost;
		best->up = up;
		best->down = down;
		if (!star_add(best, xterms, xn, up, down) ||
		    !star_add_partners(best, dps, 1, xu, xd))
			return false;
		*found = true;
	}
	return true;
}

/* tau for the total column: the same move seen from the total's finest
 * published rows. Where the total publishes months under a breakdown's
 * quarters, each quarter of tau takes one of its months along (the
 * cheapest to hide, then the largest); then every longer period of the
 * total's column that holds a moved row moves with it (a calendar year
 * whose breakdown is not published yet still has a published total). */
static void refine_for_total(struct engine *e, const struct component *comp, const struct tau *tau,
                             struct tau *out)
{
	*out = *tau;
	if (!additive_component(comp))
		return; /* no time relation to keep */
	int fine = finest_type(e, comp, DIM_TOTAL);
	if (fine < 0)
		return;
	int fy = e->raw->fy_start_month;
	struct tau rows = {0};
	for (int i = 0; i < tau->n; i++)
		if ((int)tau->type[i] == fine)
			tau_add(&rows, tau->type[i], tau->period[i], tau->coef[i]);
	for (int i = 0; fine == PERIOD_MONTH && i < tau->n; i++) {
		if (tau->type[i] != PERIOD_QUARTER)
			continue;
		int32_t m0 = period_index_of(PERIOD_MONTH, fy,
		                             period_first_day(PERIOD_QUARTER, fy, tau->period[i]));
		int have = 0; /* months of this quarter tau already moves */
		for (int32_t m = m0; m < m0 + 3; m++)
			have += tau_coef(tau, PERIOD_MONTH, m);
		if (have == tau->coef[i])
			continue;
		int32_t best = -1;
		int64_t best_cost = 0, best_value = 0;
		for (int32_t m = m0; m < m0 + 3; m++) {
			uint32_t v = coord_var(e, comp, PERIOD_MONTH, DIM_TOTAL, m, 0);
			if (v == NO_VAR || !may_hide(e, v))
				continue;
			int64_t cost = hide_cost(e, v), value = var_value(e, v);
			if (best < 0 || cost < best_cost ||
			    (cost == best_cost && value > best_value)) {
				best = m;
				best_cost = cost;
				best_value = value;
			}
		}
		if (best < 0)
			return; /* leave tau as it is: the unit check refuses it */
		tau_add(&rows, PERIOD_MONTH, best, tau->coef[i] - have);
	}
	tau_compact(&rows);
	if (rows.n == 0)
		return;
	out->n = 0;
	for (int i = 0; i < rows.n; i++) {
		enum period_type ct[3];
		int32_t cp[3];
		tau_add(out, rows.type[i], rows.period[i], rows.coef[i]);
		int n = containers(e, comp, DIM_TOTAL, rows.type[i], rows.period[i], ct, cp);
		for (int c = 0; c < n; c++)
			tau_add(out, ct[c], cp[c], rows.coef[i]);
	}
	tau_compact(out);
}

/* Total star: the total column under tau, with one group (or several) of
 * every breakdown published on tau's rows moving with it. When x is a
 * group (dim, group), that group is forced into its dim and the room is
 * x's own; when x is the total, the room is the total's. */
static bool try_total_star(struct engine *e, const struct component *comp, enum dim dim,
                           uint32_t group, const struct tau *tau, int64_t need,
                           struct dim_partners *dps, struct star *best, bool *found)
{
	struct term tterms[MAX_TERMS];
	int tn;
	int64_t tcost, tu, td;
	struct tau total_tau;
	refine_for_total(e, comp, tau, &total_tau);
	if (!column_terms(e, comp, DIM_TOTAL, 0, &total_tau, 1, tterms, &tn, &tcost) ||
	    (*found && tcost >= best->cost))
		return true;
	room(e, tterms, tn, &tu, &td);
	int ndp = 0, forced = -1;
	for (int d = 1; d < DIM_COUNT; d++) {
		struct tau td_tau;
		tau_for_dim(e, comp, tau, (enum dim)d, &td_tau);
		if (td_tau.n == 0)
			continue;
		dps[ndp].dim = (enum dim)d;
		dps[ndp].n =
		    list_partners(e, comp, (enum dim)d, &td_tau, 1, UINT32_MAX, dps[ndp].list);
		if ((enum dim)d == dim) {
			/* x's own group is the one that moves in its dim */
			int at = -1;
			for (int j = 0; j < dps[ndp].n && at < 0; j++)
				if (dps[ndp].list[j].group == group)
					at = j;
			if (at < 0)
				return true;
			dps[ndp].list[0] = dps[ndp].list[at];
			dps[ndp].n = 1;
			forced = ndp;
		}
		ndp++;
	}
	if (dim != DIM_TOTAL && forced < 0)
		return true;
	if (ndp == 0) {
		/* no breakdown on these rows: the total's own cells are the whole
		 * perturbation when no relation holds them */
		if (!in_kernel(e, tterms, (size_t)tn) || sat_add(tu, td) < need ||
		    !better(best, *found, tcost, tu, td))
			return true;
		best->n = 0;
		best->rect = false;
		best->cost = tcost;
		best->up = tu;
		best->down = td;
		*found = true;
		return star_add(best, tterms, tn, tu, td);
	}
	/* x's reach: the total's, and for a group its own room */
	int64_t xu = tu, xd = td;
	if (forced >= 0) {
		xu = min64(xu, dps[forced].list[0].up);
		xd = min64(xd, dps[forced].list[0].down);
	}
	if (sat_add(xu, xd) < need)
		return true;
	int64_t splits[2][2] = {{need - min64(xd, need), min64(xd, need)},
	                        {min64(xu, need), need - min64(xu, need)}};
	for (int s = 0; s < 2; s++) {
		if (splits[s][0] > xu || splits[s][1] > xd)
			continue;
		int64_t cost = tcost;
		if (!take_all(e, tterms, tn, dps, ndp, true, splits[s][0], splits[s][1], &cost))
			continue;
		/* each partner was judged on its own relations; the whole unit
		 * (the total's column with one partner of every breakdown) must
		 * keep every relation, the total's own time relations included */
		struct term unit[MAX_TERMS * (DIM_COUNT + 1)];
		size_t un = 0;
		for (int q = 0; q < tn; q++)
			unit[un++] = tterms[q];
		for (int i = 0; i < ndp; i++)
			for (int q = 0; q < dps[i].list[0].n; q++)
				unit[un++] = dps[i].list[0].terms[q];
		if (!in_kernel(e, unit, un))
			continue;
		int64_t up = tu, down = td;
		for (int i = 0; i < ndp; i++) {
			up = min64(up, dps[i].up);
			down = min64(down, dps[i].down);
		}
		if (sat_add(up, down) < need || !better(best, *found, cost, up, down))
			continue;
		best->n = 0;
		best->rect = false;
		best->cost = cost;
		best->up = up;
		best->down = down;
		if (!star_add(best, tterms, tn, up, down) ||
		    !star_add_partners(best, dps, ndp, tu, td))
			return false;
		*found = true;
	}
	return true;
}

/*
 * Counts known to be 0 from published zeros alone: a published 0, every part
 * of a whole known to be 0, a whole all of whose parts are known to be 0,
 * to a fixed point (a quarter inside a published empty year, then the
 * fiscal year that holds only that quarter). A secret count known to be 0
 * says nothing about any child; the zeros that pin it are empty cells,
 * published whatever the data, so the exemption reveals nothing either.
 * Computed once, before any complement is chosen; a published zero that
 * pins something is never chosen as a complement afterwards (may_hide).
 */
static void find_known_zeros(struct engine *e)
{
	size_t vars = 2 * e->cells;
	for (size_t v = 0; v < vars; v++)
		if (e->parent[v] == v && e->var_first[v] != e->var_first[v + 1] &&
		    !(e->var[v] & VAR_SECRET) && e->value[v] == 0)
			e->var[v] |= VAR_ZERO;
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t r = 0; r < e->rel.count; r++) {
			bool whole_zero = false, parts_zero = true;
			for (size_t m = e->rel.start[r]; m < e->rel.start[r + 1]; m++) {
				bool zero = (e->var[e->rel.var[m]] & VAR_ZERO) != 0;
				if (e->rel.sign[m] > 0)
					whole_zero = whole_zero || zero;
				else
					parts_zero = parts_zero && zero;
			}
			if (!whole_zero && !parts_zero)
				continue;
			bool pins = false;
			for (size_t m = e->rel.start[r]; m < e->rel.start[r + 1]; m++) {
				uint8_t *f = &e->var[e->rel.var[m]];
				pins = pins || (*f & VAR_SECRET);
				if (!(*f & VAR_ZERO)) {
					*f |= VAR_ZERO;
					changed = true;
				}
			}
			if (!pins)
				continue;
			/* the published zeros of this relation keep a secret at 0 */
			for (size_t m = e->rel.start[r]; m < e->rel.start[r + 1]; m++) {
				uint8_t *f = &e->var[e->rel.var[m]];
				if (!(*f & VAR_SECRET))
					*f |= VAR_PIN;
			}
		}
	}
}

static bool pinned_zero(struct engine *e, uint32_t x)
{
	return (e->var[x] & VAR_ZERO) != 0;
}

/* ---- rectangles ---- */

/* One cell of a rectangle: its terms, price and room. */
struct rect_cell {
	struct term terms[MAX_TERMS / 4]; /* the count and its attached numerators */
	int n;                            /* terms */
	int64_t cost;                     /* price of hiding it */
	int64_t rise, fall;               /* room up and down */
};

#define RECT_ROWS 4 /* x's row and up to 3 rows of its atom */

/* One partner column of a rectangle: its cell in every row. */
struct rect_partner {
	uint32_t group;                    /* group index */
	int64_t cost;                      /* price of its cells */
	int64_t fall_x_row;                /* its fall in x's row (what x can rise by) */
	int64_t fall_other_rows;           /* its falls in the other rows (x's fall) */
	struct rect_cell cells[RECT_ROWS]; /* row 0 is x's row */
};

static bool rect_cell_of(struct engine *e, const struct component *comp, enum dim dim,
                         enum period_type type, int32_t period, uint32_t group,
                         struct rect_cell *out)
{
	struct tau one = {.n = 1, .type = {type}, .period = {period}, .coef = {1}};
	struct term terms[MAX_TERMS];
	int n;
	if (!column_terms(e, comp, dim, group, &one, 1, terms, &n, &out->cost) ||
	    n > (int)CASA_ARRAY_LEN(out->terms))
		return false;
	memcpy(out->terms, terms, (size_t)n * sizeof(terms[0]));
	out->n = n;
	room(e, out->terms, n, &out->rise, &out->fall);
	return true;
}

static int compare_rect_partners(const void *a, const void *b)
{
	const struct rect_partner *p = a, *q = b;
	if (p->cost != q->cost)
		return p->cost < q->cost ? -1 : 1;
	int64_t sp = sat_add(p->fall_x_row, p->fall_other_rows);
	int64_t sq = sat_add(q->fall_x_row, q->fall_other_rows);
	if (sp != sq)
		return sp > sq ? -1 : 1;
	return p->group < q->group ? -1 : p->group > q->group;
}

/* Whether partner p of a rectangle keeps every relation: each unit (x's
 * row, another row) x (x's column, p). */
static bool rect_partner_ok(struct engine *e, const struct rect_cell *xcol, int nrows,
                            const struct rect_partner *p)
{
	bool valid = true;
	for (int r = 1; r < nrows && valid; r++) {
		struct term unit[MAX_TERMS];
		int un = 0;
		const struct rect_cell *cs[4] = {&xcol[0], &xcol[r], &p->cells[0], &p->cells[r]};
		const int sign[4] = {1, -1, -1, 1};
		for (int q = 0; q < 4; q++)
			for (int i = 0; i < cs[q]->n && un < MAX_TERMS; i++) {
				unit[un] = cs[q]->terms[i];
				unit[un++].coef *= sign[q];
			}
		valid = in_kernel(e, unit, (size_t)un);
	}
	return valid;
}

/* The cheapest partners of a rectangle that give want_up and want_down
 * (cheapest_cover over the partners that keep every relation; those that
 * do not are dropped), moved to the front of partners. false when the
 * cover cannot be used (the caller takes the cheapest first). */
static bool rect_cheapest(struct engine *e, const struct rect_cell *xcol, int nrows,
                          struct rect_partner *partners, int *np, int64_t want_up,
                          int64_t want_down, int *taken, int64_t *up_sum, int64_t *down_sum,
                          int64_t *pcost)
{
	if (*np <= 0 || (want_up <= 0 && want_down <= 0))
		return false;
	struct cover_item *it = malloc((size_t)*np * (sizeof(*it) + 1));
	if (it == NULL)
		return false;
	uint8_t *chosen = (uint8_t *)(it + *np);
	for (;;) {
		int n = *np;
		for (int i = 0; i < n; i++)
			it[i] = (struct cover_item){partners[i].fall_x_row,
			                            partners[i].fall_other_rows, partners[i].cost};
		if (cheapest_cover(it, n, want_up, want_down, chosen) <= 0) {
			free(it);
			return false;
		}
		int bad = -1;
		for (int i = 0; i < n && bad < 0; i++)
			if (chosen[i] && !rect_partner_ok(e, xcol, nrows, &partners[i]))
				bad = i;
		if (bad < 0)
			break;
		memmove(&partners[bad], &partners[bad + 1],
		        (size_t)(n - bad - 1) * sizeof(*partners));
		(*np)--;
	}
	*taken = 0;
	*up_sum = 0;
	*down_sum = 0;
	*pcost = 0;
	for (int i = 0; i < *np; i++) {
		if (!chosen[i])
			continue;
		*up_sum = sat_add(*up_sum, partners[i].fall_x_row);
		*down_sum = sat_add(*down_sum, partners[i].fall_other_rows);
		*pcost += partners[i].cost;
		if (i != *taken) {
			/* rotate partners[taken .. i] right by one (those between are
			 * not chosen) */
			struct rect_partner tmp = partners[i];
			memmove(&partners[*taken + 1], &partners[*taken],
			        (size_t)(i - *taken) * sizeof(*partners));
			partners[*taken] = tmp;
		}
		(*taken)++;
	}
	free(it);
	return true;
}

/*
 * Rectangle: x's cell and other hidden rows of its atom (same longer
 * periods, so no time relation sees them move) in x's column, times x's
 * column and partner columns. With every margin fixed, x can rise by what
 * the other rows of its column can give up, and by what the partners can
 * give up in its row; it can fall by what the other cells can give up
 * (the cells that rise have no upper bound: rectangles with a bounded
 * rise are not tried). That is the whole room of the sub-table.
 */
static bool try_rect_star(struct engine *e, const struct component *comp, enum dim dim,
                          uint32_t group, enum period_type type, const int32_t *rows, int nrows,
                          int64_t need, struct rect_partner *partners, struct star *best,
                          bool *found)
{
	struct rect_cell xcol[RECT_ROWS];
	int64_t cost = 0, col_fall = 0;
	for (int r = 0; r < nrows; r++) {
		if (!rect_cell_of(e, comp, dim, type, rows[r], group, &xcol[r]) ||
		    (r > 0 && xcol[r].rise < UNBOUNDED))
			return true;
		cost += xcol[r].cost;
		if (r > 0)
			col_fall = sat_add(col_fall, xcol[r].fall);
	}
	if (*found && cost >= best->cost)
		return true;
	int64_t xu = min64(xcol[0].rise, col_fall), xd = xcol[0].fall;
	if (sat_add(xu, xd) < need)
		return true;
	int np = 0;
	if (dim == DIM_TOTAL) {
		/* a total's rows hold no group relation when no breakdown is
		 * published for them (months): the column alone is the pattern */
		for (int d = 1; d < DIM_COUNT; d++)
			for (int r = 0; r < nrows; r++)
				if (row_published(e, comp, type, (enum dim)d, rows[r]))
					return true;
		int64_t up = xu, down = xd;
		bool valid = true;
		for (int r = 1; r < nrows && valid; r++) {
			struct term unit[MAX_TERMS];
			int un = 0;
			for (int i = 0; i < xcol[0].n; i++)
				unit[un++] = xcol[0].terms[i];
			for (int i = 0; i < xcol[r].n && un < MAX_TERMS; i++) {
				unit[un] = xcol[r].terms[i];
				unit[un].coef = -unit[un].coef;
				un++;
			}
			valid = in_kernel(e, unit, (size_t)un);
		}
		if (!valid || sat_add(up, down) < need || !better(best, *found, cost, up, down))
			return true;
		best->n = 0;
		best->rect = true;
		best->cost = cost;
		best->up = up;
		best->down = down;
		for (int r = 0; r < nrows; r++) {
			int64_t others = 0;
			for (int r2 = 0; r2 < nrows; r2++)
				if (r2 != r)
					others = sat_add(others, xcol[r2].fall);
			int64_t cu = r == 0 ? up : min64(xcol[r].rise, others);
			int64_t cd = r == 0 ? down : xcol[r].fall;
			if (!star_add(best, xcol[r].terms, xcol[r].n, cu, cd))
				return false;
		}
		*found = true;
		return true;
	}
	uint32_t groups = dim_groups(e, dim);
	for (uint32_t g = 0; g < groups; g++) {
		if (g == group)
			continue;
		struct rect_partner *p = &partners[np];
		p->group = g;
		p->cost = 0;
		p->fall_other_rows = 0;
		bool ok = true;
		for (int r = 0; r < nrows && ok; r++) {
			ok = rect_cell_of(e, comp, dim, type, rows[r], g, &p->cells[r]) &&
			     p->cells[r].rise >= UNBOUNDED;
			if (!ok)
				break;
			p->cost += p->cells[r].cost;
			if (r > 0)
				p->fall_other_rows = sat_add(p->fall_other_rows, p->cells[r].fall);
		}
		if (!ok)
			continue;
		p->fall_x_row = p->cells[0].fall;
		if (p->fall_x_row == 0 && p->fall_other_rows == 0)
			continue;
		np++;
	}
	qsort(partners, (size_t)np, sizeof(*partners), compare_rect_partners);
	int64_t splits[2][2] = {{need - min64(xd, need), min64(xd, need)},
	                        {min64(xu, need), need - min64(xu, need)}};
	for (int s = 0; s < 2; s++) {
		int64_t want_up = splits[s][0], want_down = splits[s][1];
		if (want_up > xu || want_down > xd)
			continue;
		int64_t up_sum = 0, down_sum = 0, pcost = 0;
		int taken = 0;
		/* the cheapest cover of valid partners, or else the cheapest
		 * first (the valid ones) until enough */
		bool covered = rect_cheapest(e, xcol, nrows, partners, &np, want_up, want_down,
		                             &taken, &up_sum, &down_sum, &pcost);
		while (!covered && taken < np && (up_sum < want_up || down_sum < want_down)) {
			if (!rect_partner_ok(e, xcol, nrows, &partners[taken])) {
				memmove(&partners[taken], &partners[taken + 1],
				        (size_t)(np - taken - 1) * sizeof(*partners));
				np--;
				continue;
			}
			up_sum = sat_add(up_sum, partners[taken].fall_x_row);
			down_sum = sat_add(down_sum, partners[taken].fall_other_rows);
			pcost += partners[taken].cost;
			taken++;
		}
		int64_t up = min64(xu, up_sum), down = min64(xd, down_sum);
		if (sat_add(up, down) < need || !better(best, *found, cost + pcost, up, down))
			continue;
		/* every cell of the rectangle gets the room of the rectangle seen
		 * from that cell */
		int cols = taken + 1;
		best->n = 0;
		best->rect = true;
		best->cost = cost + pcost;
		best->up = up;
		best->down = down;
		for (int c = 0; c < cols; c++)
			for (int r = 0; r < nrows; r++) {
				const struct rect_cell *cell =
				    c == 0 ? &xcol[r] : &partners[c - 1].cells[r];
				int64_t col_others = 0, row_others = 0, rest = 0;
				for (int c2 = 0; c2 < cols; c2++)
					for (int r2 = 0; r2 < nrows; r2++) {
						const struct rect_cell *o =
						    c2 == 0 ? &xcol[r2]
						            : &partners[c2 - 1].cells[r2];
						if (c2 == c && r2 != r)
							col_others = sat_add(col_others, o->fall);
						else if (r2 == r && c2 != c)
							row_others = sat_add(row_others, o->fall);
						else if (r2 != r && c2 != c)
							rest = sat_add(rest, o->fall);
					}
				int64_t cu = min64(cell->rise, min64(col_others, row_others));
				int64_t cd = min64(cell->fall, rest);
				if (c == 0 && r == 0) {
					cu = up;
					cd = down;
				}
				if (!star_add(best, cell->terms, cell->n, cu, cd))
					return false;
			}
		*found = true;
	}
	return true;
}

/* Rows of x's atom: rows of the same type as x whose longer periods are
 * the same as x's (so moving between them keeps every time relation). */
static int atom_rows(struct engine *e, const struct component *comp, enum dim dim,
                     enum period_type fine, int32_t t, int32_t *out, int max)
{
	enum period_type ct[3], ct2[3];
	int32_t cp[3], cp2[3];
	int n = containers(e, comp, dim, fine, t, ct, cp), k = 0;
	int window = fine == PERIOD_MONTH ? 2 : 3;
	for (int32_t r = t - window; r <= t + window && k < max; r++) {
		if (r == t || !row_published(e, comp, fine, dim, r))
			continue;
		int n2 = containers(e, comp, dim, fine, r, ct2, cp2);
		bool same = n2 == n;
		for (int i = 0; i < n && same; i++)
			same = ct[i] == ct2[i] && cp[i] == cp2[i];
		if (same)
			out[k++] = r;
	}
	return k;
}

/* Every star of x under tau: for a group, against other groups, then with
 * the total; for a total, with groups of every breakdown. */
static bool try_star(struct engine *e, const struct component *comp, enum dim dim, uint32_t group,
                     const struct tau *tau, int64_t need, struct dim_partners *dps,
                     struct star *best, bool *found)
{
	if (dim != DIM_TOTAL && !try_group_star(e, comp, dim, group, tau, need, dps, best, found))
		return false;
	/* a total costs more than any group star: try it only when none was
	 * found, or when x is the total */
	if (dim != DIM_TOTAL && *found && best->cost < TOTAL_WEIGHT * 1000)
		return true;
	return try_total_star(e, comp, dim, group, tau, need, dps, best, found);
}

/* ---- the last resort ---- */

/* The (metric, count) pairs that move together in a fallback: x's
 * component and every count linked to one of them, even where the link
 * holds for some cells only (the youth and repeat percentages in the 12+
 * age bands). */
static int extended_members(const struct engine *e, enum metric_id m0, int f0,
                            enum metric_id *metric, int *field, int max)
{
	int n = 0;
	metric[n] = m0;
	field[n++] = f0;
	for (int i = 0; i < n; i++) {
		for (int m = 0; m < METRIC_COUNT; m++)
			for (int f = 0; f < 2; f++) {
				bool join = e->comp[m][f] == e->comp[metric[i]][field[i]];
				/* a percentage's numerator rises with its denominator */
				join = join || ((enum metric_id)m == metric[i] && f == DEN &&
				                field[i] == NUM &&
				                metrics_catalog[m].kind == METRIC_KIND_PERCENT);
				for (size_t l = 0; l < metrics_equal_count_count && !join; l++)
					join = (metrics_equal_counts[l].a == metric[i] &&
					        metrics_equal_counts[l].field_a == field[i] &&
					        metrics_equal_counts[l].b == (enum metric_id)m &&
					        metrics_equal_counts[l].field_b == f) ||
					       (metrics_equal_counts[l].b == metric[i] &&
					        metrics_equal_counts[l].field_b == field[i] &&
					        metrics_equal_counts[l].a == (enum metric_id)m &&
					        metrics_equal_counts[l].field_a == f);
				bool seen = false;
				for (int j = 0; j < n && !seen; j++)
					seen = metric[j] == (enum metric_id)m && field[j] == f;
				if (join && !seen && n < max) {
					metric[n] = (enum metric_id)m;
					field[n++] = f;
				}
			}
	}
	return n;
}

/* Adds the count of every member at a coordinate (each distinct variable
 * once, a percentage's numerator with its denominator so that num <= den
 * holds whatever the rise). false when a cell may not be hidden. */
static bool add_rising(struct engine *e, const enum metric_id *metric, const int *field, int n,
                       enum period_type type, enum dim dim, int32_t period, uint32_t group,
                       struct star *out, int64_t *cost)
{
	for (int i = 0; i < n; i++) {
		const struct metrics_table *t = find_table(e, metric[i], type, dim);
		size_t c = t ? cell_at(e, t, period, group) : SIZE_MAX;
		if (c == SIZE_MAX)
			continue;
		uint32_t vars[2] = {find(e, var_id(c, field[i])), NO_VAR};
		bool percent_num =
		    metrics_catalog[metric[i]].kind == METRIC_KIND_PERCENT && field[i] == NUM;
		if (percent_num)
			vars[1] = find(e, var_id(c, DEN));
		for (int k = 0; k < 2 && vars[k] != NO_VAR; k++) {
			/* a count met again as a numerator whose denominator
			 * rises too loses its cap there */
			bool attached = percent_num && k == 0, seen = false;
			for (size_t j = 0; j < out->n && !seen; j++)
				if (out->terms[j].var == vars[k]) {
					seen = true;
					out->terms[j].attached |= attached;
				}
			if (seen)
				continue;
			if (!may_hide(e, vars[k]))
				return false;
			*cost += hide_cost(e, vars[k]);
			/* a numerator whose denominator rises with it has no cap */
			if (!star_push(out, (struct term){vars[k], 1, attached}, 0, 0))
				return false;
		}
	}
	return true;
}

/* One rise of try_fallback: x's period with every longer period tau holds. */
static bool rise_with(struct engine *e, const struct metrics_table *t, uint32_t group,
                      const struct component *comp, const struct tau *tau, int64_t need,
                      struct star *best, bool *found)
{
	const enum metric_id *metric = comp->metric;
	const int *fields = comp->field;
	int n = comp->n;
	struct tau total_tau;
	refine_for_total(e, comp, tau, &total_tau);

	struct star s = {0};
	int64_t cost = 0;
	bool ok = true;
	for (int i = 0; i < total_tau.n && ok; i++)
		ok = add_rising(e, metric, fields, n, total_tau.type[i], DIM_TOTAL,
		                total_tau.period[i], 0, &s, &cost);
	for (int d = 1; d < DIM_COUNT && ok; d++) {
		struct tau td;
		tau_for_dim(e, comp, tau, (enum dim)d, &td);
		if (td.n == 0)
			continue;
		/* x's own group in its breakdown; elsewhere the cheapest group
		 * whose cells may all be hidden */
		uint32_t groups = dim_groups(e, (enum dim)d), chosen = UINT32_MAX;
		int64_t chosen_cost = 0;
		for (uint32_t g = 0; g < groups; g++) {
			if ((enum dim)d == t->dim && g != group)
				continue;
			struct star trial = {0};
			int64_t c = 0;
			bool good = true;
			for (int i = 0; i < td.n && good; i++)
				good = add_rising(e, metric, fields, n, td.type[i], (enum dim)d,
				                  td.period[i], g, &trial, &c);
			star_free(&trial);
			if (good && (chosen == UINT32_MAX || c < chosen_cost)) {
				chosen = g;
				chosen_cost = c;
			}
		}
		if (chosen == UINT32_MAX) {
			ok = false;
			break;
		}
		for (int i = 0; i < td.n && ok; i++)
			ok = add_rising(e, metric, fields, n, td.type[i], (enum dim)d, td.period[i],
			                chosen, &s, &cost);
	}
	if (!ok || !in_kernel(e, s.terms, s.n)) {
		star_free(&s);
		return true;
	}
	int64_t up, down;
	room(e, s.terms, (int)s.n, &up, &down);
	if (sat_add(up, down) < need) {
		star_free(&s);
		return true;
	}
	for (size_t i = 0; i < s.n; i++) {
		s.term_up[i] = up;
		s.term_down[i] = down;
	}
	s.cost = cost;
	s.up = up;
	s.down = down;
	star_free(best);
	*best = s;
	*found = true;
	return true;
}

/*
 * When no star gives x enough room (small and early periods, counts linked
 * on some cells only, numerators hemmed in by their denominators): x rises
 * with its whole row. Its total, the longer periods holding it, and one
 * group of every other breakdown rise by the same amount, in every metric
 * that publishes a count linked to it, each numerator of a percentage with
 * its denominator. Nothing falls, so the rise has no bound: x's room
 * upward is unlimited. The price is high (totals), which is why this comes
 * last. Where x's period is tiled by finer ones, one of them rises (the
 * first that may: an empty one outside a small group may not). Returns
 * false only when memory runs out; *found tells success.
 */
static bool try_fallback(struct engine *e, const struct metrics_table *t, int32_t period,
                         uint32_t group, int field, int64_t need, struct star *best, bool *found)
{
	/* everything that rises: its periods are those of the finest member
	 * (a numerator rises with a denominator that has quarters) */
	struct component comp;
	comp.n = extended_members(e, t->metric, field, comp.metric, comp.field, 2 * METRIC_COUNT);
	int fy = e->raw->fy_start_month;

	struct tau tau = {.n = 1, .type = {t->period_type}, .period = {period}, .coef = {1}};
	int fine = additive_component(&comp) &&
	                   !outside_months(e, &comp, t->period_type, t->dim, period, group)
	               ? finest_type(e, &comp, t->dim)
	               : -1;
	if (fine < 0)
		return rise_with(e, t, group, &comp, &tau, need, best, found);
	int32_t t0 = period, t1 = period;
	if ((int)t->period_type != fine &&
	    !tiles((enum period_type)fine, t->period_type, fy, period, &t0, &t1))
		return true;
	for (int32_t r = t0; r <= t1 && !*found; r++) {
		if (!row_published(e, &comp, (enum period_type)fine, t->dim, r))
			continue;
		make_tau(e, &comp, t->dim, (enum period_type)fine, r, false, 0, &tau);
		if (tau_coef(&tau, t->period_type, period) != 1)
			continue;
		if (!rise_with(e, t, group, &comp, &tau, need, best, found))
			return false;
	}
	return true;
}

/* ---- a numerator's cap lifted by its denominator's own star ---- */

/*
 * A percentage's numerator x is at most its denominator d. When d is secret
 * and a star of its own raises it by up to u (a perturbation in the kernel),
 * x may rise past d's value: x's star plus d's star raising d by what x
 * needs is in the kernel too, being a sum of two. Its bounds are checked on
 * the sum, each group of terms (what moves by one amount: a column, a
 * partner, a rectangle's cell) moving anywhere within its room, capped by
 * what its star's root moves (a group moves by a share of that, never
 * more). The numerator then needs no co-moving denominator chain, whose
 * other tables (days missing, screened after return) would be hidden. The
 * chain's second level the same way (chain_found): the numerator moving
 * with its denominator, whose rise past its own denominator a star of
 * that one, found for the purpose, pays.
 */

/* A group's share in a sum of stars: a term moving by coef times the
 * group's amount, which lies in lo .. hi. */
struct share {
	uint32_t var;   /* root variable */
	int coef;       /* +1 or -1 */
	uint32_t group; /* terms of one group move by one amount */
	int64_t lo, hi; /* the group's amount */
};

/* The amount range of term i of star s: its room either way. */
static void group_range(const struct star *s, size_t i, int64_t *lo, int64_t *hi)
{
	int64_t up = s->terms[i].coef > 0 ? s->term_up[i] : s->term_down[i];
	int64_t down = s->terms[i].coef > 0 ? s->term_down[i] : s->term_up[i];
	*lo = -down;
	*hi = up;
}

/* Saves the star protect() chose; it becomes the own star of every term
 * met once in it whose own star raises it less. At that term's extreme no
 * group moves by more than it does (a group or total star moves x's
 * column by what one partner moves); a rectangle is x's own only (its
 * other cells' extremes are not spelt out). */
static bool save_chosen_star(struct engine *e, uint32_t x, const struct star *s)
{
	if (e->saved_stars + 2 > e->saved_stars_cap) {
		size_t cap = e->saved_stars_cap ? 2 * e->saved_stars_cap : 1024;
		size_t *f = realloc(e->saved_first, cap * sizeof(*f));
		if (f == NULL)
			return false;
		e->saved_first = f;
		e->saved_stars_cap = cap;
	}
	if (e->saved_n + s->n > e->saved_cap) {
		size_t cap = e->saved_cap ? 2 * e->saved_cap : 65536;
		while (cap < e->saved_n + s->n)
			cap *= 2;
		struct share *t = realloc(e->saved, cap * sizeof(*t));
		if (t == NULL)
			return false;
		e->saved = t;
		e->saved_cap = cap;
	}
	int32_t at = (int32_t)e->saved_stars++;
	e->saved_first[at] = e->saved_n;
	for (size_t i = 0; i < s->n; i++) {
		struct share *sh = &e->saved[e->saved_n++];
		*sh = (struct share){s->terms[i].var, s->terms[i].coef, s->group[i], 0, 0};
		group_range(s, i, &sh->lo, &sh->hi);
	}
	e->saved_first[at + 1] = e->saved_n;
	for (size_t i = 0; i < s->n; i++) {
		uint32_t v = s->terms[i].var;
		if ((e->star_of[v] >= 0 && e->star_rise[v] >= s->term_up[i]) || (s->rect && v != x))
			continue;
		bool once = true;
		for (size_t j = 0; j < s->n && once; j++)
			once = j == i || s->terms[j].var != v;
		if (once) {
			e->star_of[v] = at;
			e->star_rise[v] = s->term_up[i];
		}
	}
	return true;
}

/* The one denominator of every percentage whose numerator is root x, or
 * NO_VAR (none, several, x itself). */
static uint32_t sole_denominator(struct engine *e, uint32_t x)
{
	uint32_t d = NO_VAR;
	for (size_t j = e->var_first[x]; j < e->var_first[x + 1]; j++) {
		uint32_t member = e->var_cells[j];
		uint32_t row, group;
		const struct metrics_table *t = cell_table(e, member / 2, &row, &group);
		if (member % 2 != NUM || metrics_catalog[t->metric].kind != METRIC_KIND_PERCENT)
			continue;
		uint32_t dv = find(e, var_id(member / 2, DEN));
		if (dv == x || (d != NO_VAR && dv != d))
			return NO_VAR;
		d = dv;
	}
	return d;
}

/* d's rise room in its own saved star, 0 when it has none. */
static int64_t saved_rise(struct engine *e, uint32_t d)
{
	return e->star_of[d] < 0 ? 0 : e->star_rise[d];
}

/* Extreme of (a - b) over the sum (b NO_VAR: of a alone): its highest, or
 * with `low` its lowest value, each group's amount free in its range. */
static int64_t extreme_move(const struct share *sh, size_t n, uint32_t a, uint32_t b, bool low)
{
	int64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (sh[i].var != a && sh[i].var != b)
			continue;
		/* the first share of its group in a or b sums the group's weight */
		bool first = true;
		for (size_t j = 0; j < i && first; j++)
			first = !(sh[j].group == sh[i].group && (sh[j].var == a || sh[j].var == b));
		if (!first)
			continue;
		int64_t weight = 0;
		for (size_t j = i; j < n; j++)
			if (sh[j].group == sh[i].group)
				weight += sh[j].var == a   ? sh[j].coef
				          : sh[j].var == b ? -sh[j].coef
				                           : 0;
		int64_t amount = (weight > 0) != low ? sh[i].hi : sh[i].lo;
		total = sat_add(total, weight * amount);
	}
	return total;
}

/* Whether every bound holds over the sum: non-negative (at least 1 where
 * the policy implies it), every percentage's numerator at most its
 * denominator. */
static bool shares_hold(struct engine *e, const struct share *sh, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t v = sh[i].var;
		if (var_value(e, v) + extreme_move(sh, n, v, NO_VAR, true) <
		    compute_lower_bound(e, v, false))
			return false;
		for (size_t j = e->var_first[v]; j < e->var_first[v + 1]; j++) {
			uint32_t member = e->var_cells[j];
			uint32_t row, group;
			const struct metrics_table *t = cell_table(e, member / 2, &row, &group);
			if (metrics_catalog[t->metric].kind != METRIC_KIND_PERCENT)
				continue;
			uint32_t nv = find(e, var_id(member / 2, NUM));
			uint32_t dv = find(e, var_id(member / 2, DEN));
			if (sat_add(var_value(e, nv) - var_value(e, dv),
			            extreme_move(sh, n, nv, dv, false)) > 0)
				return false;
		}
	}
	return true;
}

/*
 * Checks x's lifted star s (found with x capped at d's value plus the rise
 * of d's own star): x rising by up to `rise` while d's star raises d by what
 * x needs. *holds tells; false only when memory runs out.
 */
static bool lift_holds_with(struct engine *e, uint32_t x, uint32_t d, const struct star *s,
                            int64_t rise, const struct share *dsh, size_t dn, int64_t d_rise,
                            bool *holds)
{
	*holds = false;
	int64_t need_d = var_value(e, x) + rise - var_value(e, d);
	if (need_d < 0)
		need_d = 0;
	if (need_d > d_rise)
		return true;
	/* each root in its own star only: x moves by what its star moves it,
	 * d by exactly what x needs */
	size_t xs = SIZE_MAX;
	for (size_t i = 0; i < s->n; i++) {
		if (s->terms[i].var == d || (s->terms[i].var == x && xs != SIZE_MAX))
			return true;
		if (s->terms[i].var == x)
			xs = i;
	}
	if (xs == SIZE_MAX || s->terms[xs].coef < 0)
		return true;
	size_t ds_at = SIZE_MAX;
	for (size_t i = 0; i < dn; i++) {
		if (dsh[i].var == x)
			return true;
		if (dsh[i].var == d)
			ds_at = i;
	}
	if (need_d > 0 && ds_at == SIZE_MAX)
		return true;
	struct share *sh = malloc((s->n + (need_d > 0 ? dn : 0) + 1) * sizeof(*sh));
	if (sh == NULL)
		return false;
	size_t n = 0;
	const uint32_t other = 1u << 31; /* d's star's groups */
	for (size_t i = 0; i < s->n; i++) {
		sh[n] = (struct share){s->terms[i].var, s->terms[i].coef, s->group[i], 0, 0};
		group_range(s, i, &sh[n].lo, &sh[n].hi);
		sh[n].lo = -min64(-sh[n].lo, rise);
		sh[n].hi = min64(sh[n].hi, rise);
		n++;
	}
	for (size_t i = 0; i < s->n; i++)
		if (sh[i].group == s->group[xs]) { /* x's group: x rises by 0 .. rise */
			sh[i].lo = 0;
			sh[i].hi = rise;
		}
	for (size_t i = 0; need_d > 0 && i < dn; i++) {
		sh[n] = dsh[i];
		sh[n].group |= other;
		if (dsh[i].group == dsh[ds_at].group) {
			/* d's group: d rises by exactly need_d */
			sh[n].lo = sh[n].hi = dsh[ds_at].coef * need_d;
		} else {
			sh[n].lo = -min64(-sh[n].lo, need_d);
			sh[n].hi = min64(sh[n].hi, need_d);
		}
		n++;
	}
	*holds = shares_hold(e, sh, n);
	free(sh);
	return true;
}

/* lift_holds_with d's own saved star. */
static bool lift_holds(struct engine *e, uint32_t x, uint32_t d, const struct star *s, int64_t rise,
                       bool *holds)
{
	int32_t ds = e->star_of[d];
	size_t from = ds >= 0 ? e->saved_first[ds] : 0, to = ds >= 0 ? e->saved_first[ds + 1] : 0;
	return lift_holds_with(e, x, d, s, rise, ds >= 0 ? e->saved + from : NULL, to - from,
	                       saved_rise(e, d), holds);
}

/* What a lifted star keeps once its sum holds for x rising by `rise`: x
 * that rise, and the numerators x carries (x a co-moving denominator:
 * they rise with it, in its group); every other term only the room that
 * does not lean on the lift, the way it moves when x falls (a rectangle's
 * terms carry no direction: none). */
static void lift_keep(struct star *best, uint32_t x, int64_t rise)
{
	uint32_t xg = UINT32_MAX;
	for (size_t i = 0; i < best->n && xg == UINT32_MAX; i++)
		if (best->terms[i].var == x)
			xg = best->group[i];
	best->up = rise;
	for (size_t i = 0; i < best->n; i++) {
		if (best->terms[i].var == x || (!best->rect && best->terms[i].attached &&
		                                best->terms[i].coef > 0 && best->group[i] == xg)) {
			best->term_up[i] = rise;
			continue;
		}
		if (best->terms[i].coef < 0)
			best->term_down[i] = 0;
		else if (best->rect)
			best->term_up[i] = best->term_down[i] = 0;
		else
			best->term_up[i] = 0;
	}
}

/*
 * A star found with x's cap lifted: holds when x's rise (all of it, else
 * what x needs beyond its fall) passes lift_holds. Then x keeps that rise;
 * every other term keeps only the room that does not lean on the lift, the
 * way it moves when x falls (a rectangle's terms carry no direction: none).
 * Else the star is dropped (*found false).
 */
static bool lift_found(struct engine *e, uint32_t x, uint32_t den, int64_t need, struct star *best,
                       bool *found)
{
	int64_t rises[2] = {best->up, need - min64(best->down, need)};
	bool holds = false;
	int64_t rise = 0;
	for (int i = 0; i < 2 && !holds; i++) {
		rise = rises[i];
		if (rise < 0 || rise > best->up || (i == 1 && rise == rises[0]))
			continue;
		if (!lift_holds(e, x, den, best, rise, &holds))
			return false;
	}
	if (!holds || sat_add(rise, best->down) < need) {
		best->n = 0;
		*found = false;
		return true;
	}
	lift_keep(best, x, rise);
	return true;
}

/* One search for a star giving root x `need` of room, in the engine's
 * current search mode; false only when memory runs out. */
static bool search_star(struct engine *e, uint32_t x, int64_t need, struct dim_partners *dps,
                        struct star *best, bool *found)
{
	uint32_t member = e->var_cells[e->var_first[x]];
	uint32_t row, group;
	const struct metrics_table *t = cell_table(e, member / 2, &row, &group);
	int field = (int)(member % 2);
	int32_t period = t->first_period + (int32_t)row;
	struct component comp;
	component_of(e, t->metric, field, &comp);
	int fy = e->raw->fy_start_month;
	bool ok = true;
	int fine = additive_component(&comp) &&
	                   !outside_months(e, &comp, t->period_type, t->dim, period, group)
	               ? finest_type(e, &comp, t->dim)
	               : -1;
	int32_t t0 = period, t1 = period;
	bool nested = fine >= 0;
	if (nested && (int)t->period_type != fine) {
		nested = tiles((enum period_type)fine, t->period_type, fy, period, &t0, &t1);
		if (nested) {
			/* its relation exists only when its parts are published */
			struct tau probe;
			make_tau(e, &comp, t->dim, (enum period_type)fine, t0, false, 0, &probe);
			nested = tau_coef(&probe, t->period_type, period) != 0;
		}
	}
	if (!nested) {
		struct tau tau = {
		    .n = 1, .type = {t->period_type}, .period = {period}, .coef = {1}};
		ok = try_star(e, &comp, t->dim, group, &tau, need, dps, best, found);
	} else {
		if ((int)t->period_type == fine) {
			/* rectangles inside x's atom first: no longer period moves */
			int32_t atom[RECT_ROWS - 1], rows[RECT_ROWS];
			int na = atom_rows(e, &comp, t->dim, (enum period_type)fine, period, atom,
			                   RECT_ROWS - 1);
			rows[0] = period;
			for (int mask = 1; mask < (1 << na) && ok; mask++) {
				int nrows = 1;
				for (int i = 0; i < na; i++)
					if (mask & (1 << i))
						rows[nrows++] = atom[i];
				ok = try_rect_star(e, &comp, t->dim, group, t->period_type, rows,
				                   nrows, need, e->rect_partners, best, found);
			}
		}
		int window = fine == PERIOD_MONTH ? 12 : 4;
		for (int32_t tt = t0; tt <= t1 && ok && !(*found && best->cost == 0); tt++) {
			if (!row_published(e, &comp, (enum period_type)fine, t->dim, tt))
				continue;
			for (int32_t t2 = tt - window - 1;
			     t2 <= tt + window && ok && !(*found && best->cost == 0); t2++) {
				bool has_t2 = t2 >= tt - window;
				if (has_t2 &&
				    (t2 == tt ||
				     !row_published(e, &comp, (enum period_type)fine, t->dim, t2)))
					continue;
				struct tau tau;
				make_tau(e, &comp, t->dim, (enum period_type)fine, tt, has_t2, t2,
				         &tau);
				int c = tau_coef(&tau, t->period_type, period);
				if (c == 0)
					continue;
				for (int i = 0; i < tau.n && c < 0; i++)
					tau.coef[i] = -tau.coef[i];
				ok =
				    try_star(e, &comp, t->dim, group, &tau, need, dps, best, found);
			}
		}
	}
	return ok;
}

/* Hides every cell of a chosen star; each term keeps the room it gives. */
static bool apply_star(struct engine *e, const struct star *s)
{
	for (size_t i = 0; i < s->n; i++) {
		uint32_t v = s->terms[i].var;
		if (s->term_up[i] > e->best_up[v])
			e->best_up[v] = s->term_up[i];
		if (s->term_down[i] > e->best_down[v])
			e->best_down[v] = s->term_down[i];
		if (!make_secret(e, v))
			return false;
	}
	return true;
}

/*
 * The chain's second level (screened positive x, screened den, returned
 * den2): x's star was found with x moving with den and no cap on the terms
 * of x's group rising with x (lift_rising; its partners keep their caps),
 * so den may rise past den2. It holds when a
 * star of den2's own in which den does not move (no numerator with its
 * denominator: den2 falls only to its numerator), found for the purpose,
 * raises den2 by what den needs and every bound holds on the sum of the
 * two (lift_holds_with). Then den2's star is hidden and saved as den2's
 * own, and x's star keeps what lift_keep leaves it; else *found is false.
 * The chain's third level, den2 moving with den in every partner, is not
 * needed: den2's partners give den2 room that den's partners need not.
 */
static bool chain_found(struct engine *e, uint32_t x, uint32_t den, uint32_t den2, int64_t need,
                        struct dim_partners *dps, struct star *best, bool *found)
{
	int64_t rise = need - min64(best->down, need);
	int64_t need_d = var_value(e, den) + rise - var_value(e, den2);
	struct star dstar = {0};
	bool dfound = false, holds = false, ok = true;
	if (rise <= best->up && need_d <= 0) {
		ok = lift_holds_with(e, den, den2, best, rise, NULL, 0, 0, &holds);
	} else if (rise <= best->up) {
		/* den2's search: its own fall counts in the room asked, so that
		 * the rise is at least need_d whichever way the room splits */
		e->lift_var = NO_VAR;
		e->lift_rising = false;
		e->co_move = 0;
		e->free_dens = true;
		int64_t fall = var_value(e, den2) - lower_bound(e, den2);
		ok = search_star(e, den2, sat_add(need_d, fall > 0 ? fall : 0), dps, &dstar,
		                 &dfound);
		bool apart = dfound && dstar.up >= need_d;
		for (size_t i = 0; apart && i < dstar.n; i++)
			apart = dstar.terms[i].var != x && dstar.terms[i].var != den;
		struct share *dsh = apart ? malloc(dstar.n * sizeof(*dsh)) : NULL;
		ok = ok && (!apart || dsh != NULL);
		int64_t d_rise = 0;
		for (size_t i = 0; ok && apart && i < dstar.n; i++) {
			dsh[i] = (struct share){dstar.terms[i].var, dstar.terms[i].coef,
			                        dstar.group[i], 0, 0};
			group_range(&dstar, i, &dsh[i].lo, &dsh[i].hi);
			if (dstar.terms[i].var == den2 && dstar.term_up[i] > d_rise)
				d_rise = dstar.term_up[i];
		}
		if (ok && apart)
			ok =
			    lift_holds_with(e, den, den2, best, rise, dsh, dstar.n, d_rise, &holds);
		free(dsh);
		if (ok && holds)
			ok = apply_star(e, &dstar) && save_chosen_star(e, den2, &dstar);
	}
	star_free(&dstar);
	if (!ok)
		return false;
	if (!holds) {
		best->n = 0;
		*found = false;
		return true;
	}
	lift_keep(best, den, rise);
	return true;
}

static bool protect(struct engine *e, uint32_t x, struct dim_partners *dps);

/* Makes sure secret root x has k - 1 of room (see the file comment), or
 * puts x at the back of the queue once before the last resort. */
static bool protect(struct engine *e, uint32_t x, struct dim_partners *dps)
{
	const int64_t need = e->k - 1;
	if (sat_add(e->best_up[x], e->best_down[x]) >= need || pinned_zero(e, x))
		return true;
	uint32_t member = e->var_cells[e->var_first[x]];
	uint32_t row, group;
	const struct metrics_table *t = cell_table(e, member / 2, &row, &group);
	int field = (int)(member % 2);
	int32_t period = t->first_period + (int32_t)row;

	uint32_t den = sole_denominator(e, x);
	bool liftable = den != NO_VAR && (e->var[den] & VAR_SECRET) && !pinned_zero(e, den);
	int64_t den_rise = liftable ? saved_rise(e, den) : 0;
	/* the chain's second level (chain_found) */
	uint32_t den2 = den != NO_VAR ? sole_denominator(e, den) : NO_VAR;
	bool chainable = den2 != NO_VAR && den2 != x && (e->var[den] & VAR_SECRET) &&
	                 (e->var[den2] & VAR_SECRET) && !pinned_zero(e, den2);

	struct star best = {0};
	bool found = false, ok = true, lifted = false;
	/* first each count alone (the numerators of coupled percentages with
	 * their denominators); then no numerator with its denominator (each
	 * denominator falls only to its numerator); then, if that gives too
	 * little room, every percentage's numerator with its denominator
	 * (co_move), and last that denominator with its own, three levels
	 * deep (screened positive, screened, returned: the price is the
	 * denominators' other tables, so it comes last). Before co-moving,
	 * the first two again with a numerator's cap lifted by its secret
	 * denominator's own star (lift_holds), which hides nothing of the
	 * denominator's other tables. */
	for (int mode = 0; mode < 7 && ok && !found; mode++) {
		bool lift_mode = mode == 2 || mode == 3, chain_mode = mode == 5;
		if ((lift_mode && den_rise <= 0) || (chain_mode && !chainable))
			continue;
		lifted = lift_mode || chain_mode;
		e->lift_var = lift_mode ? x : NO_VAR;
		e->lift_ub = lift_mode ? sat_add(var_value(e, den), den_rise) : 0;
		e->lift_rising = chain_mode;
		e->lift_dim = t->dim;
		e->lift_group = group;
		e->free_dens = mode == 1 || mode == 3;
		e->co_move = mode < 4 ? 0 : mode < 6 ? 1 : 3;
		ok = search_star(e, x, need, dps, &best, &found);
		if (ok && found && lift_mode)
			ok = lift_found(e, x, den, need, &best, &found);
		if (ok && found && chain_mode)
			ok = chain_found(e, x, den, den2, need, dps, &best, &found);
	}
	e->lift_var = NO_VAR;
	e->lift_rising = false;
	e->co_move = 0;
	e->free_dens = false;
	if (!ok) {
		star_free(&best);
		return false;
	}
	if (!found && !(e->var[x] & VAR_LATER)) {
		/* the last resort raises totals and longer periods: first let
		 * every other secret be protected, whose stars often leave x
		 * room among cells hidden already (at 20,000 children: 36 more
		 * totals published, 14 breakdown cells fewer) */
		star_free(&best);
		e->var[x] |= VAR_LATER;
		return requeue(e, x);
	}
	if (!found && !try_fallback(e, t, period, group, field, need, &best, &found)) {
		star_free(&best);
		return false;
	}
	if (!found) {
		star_free(&best);
		e->unprotected++;
		return true;
	}
	if (!lifted && !save_chosen_star(e, x, &best)) {
		star_free(&best);
		return false;
	}
	ok = apply_star(e, &best);
	star_free(&best);
	return ok;
}

/* ---- entry ---- */

static void engine_free(struct engine *e)
{
	free(e->offset);
	free(e->cell_tab);
	free(e->value);
	free(e->lb);
	free(e->lb_free);
	free(e->cell);
	free(e->parent);
	free(e->var);
	free(e->best_up);
	free(e->best_down);
	free(e->var_cells);
	free(e->var_first);
	free(e->rel.var);
	free(e->rel.sign);
	free(e->rel.start);
	free(e->member_first);
	free(e->member_rel);
	free(e->member_sign);
	free(e->acc);
	free(e->queue);
	free(e->rect_partners);
	free(e->star_of);
	free(e->star_rise);
	free(e->saved_first);
	free(e->saved);
}

/* Cells of each root variable, ascending (the first is its representative). */
static bool index_variables(struct engine *e)
{
	size_t vars = 2 * e->cells;
	e->var_first = calloc(vars + 1, sizeof(size_t));
	e->var_cells = malloc((vars + 1) * sizeof(uint32_t));
	size_t *fill = calloc(vars + 1, sizeof(size_t));
	if (e->var_first == NULL || e->var_cells == NULL || fill == NULL) {
		free(fill);
		return false;
	}
	for (size_t v = 0; v < vars; v++)
		if (e->cell[v / 2] & CELL_PUBLISHED)
			e->var_first[find(e, (uint32_t)v) + 1]++;
	for (size_t v = 0; v < vars; v++)
		e->var_first[v + 1] += e->var_first[v];
	for (size_t v = 0; v < vars; v++) {
		if (!(e->cell[v / 2] & CELL_PUBLISHED))
			continue;
		uint32_t r = find(e, (uint32_t)v);
		e->var_cells[e->var_first[r] + fill[r]++] = (uint32_t)v;
	}
	free(fill);
	return true;
}

bool disclosure_suppress(const struct release_view *view, int min_cell, uint8_t *secret,
                         struct disclosure_suppress_stats *stats)
{
	bool ok = false;
	struct engine e = {.view = view, .raw = &view->raw, .k = min_cell, .lift_var = NO_VAR};
	uint8_t *why = NULL;
	struct term *scratch = NULL;
	struct dim_partners *dps = NULL;
	const struct metrics_result *raw = &view->raw;
	memset(stats, 0, sizeof(*stats));

	e.offset = calloc(raw->table_count + 1, sizeof(size_t));
	if (e.offset == NULL)
		goto fail;
	size_t widest = 0;
	for (size_t i = 0; i < raw->table_count; i++) {
		size_t n = (size_t)raw->tables[i].period_count * raw->tables[i].group_count;
		e.offset[i + 1] = e.offset[i] + n;
		if (raw->tables[i].group_count > widest)
			widest = raw->tables[i].group_count;
		if (raw->tables[i].period_count > widest)
			widest = raw->tables[i].period_count;
	}
	e.cells = e.offset[raw->table_count];
	if (2 * e.cells >= UINT32_MAX || raw->table_count > UINT16_MAX)
		goto fail;
	e.cell_tab = malloc((e.cells + 1) * sizeof(uint16_t));
	if (e.cell_tab == NULL)
		goto fail;
	for (size_t i = 0; i < raw->table_count; i++)
		for (size_t c = e.offset[i]; c < e.offset[i + 1]; c++)
			e.cell_tab[c] = (uint16_t)i;
	for (int m = 0; m < METRIC_COUNT; m++)
		for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
			for (int d = 0; d < DIM_COUNT; d++) {
				const struct metrics_table *t = metrics_table_find(
				    raw, (enum metric_id)m, (enum period_type)p, (enum dim)d);
				e.tab[m][p][d] = t ? (int32_t)(t - raw->tables) : -1;
			}
	size_t vars = 2 * e.cells;
	e.cell = calloc(e.cells + 1, 1);
	why = calloc(e.cells + 1, 1);
	e.parent = malloc((vars + 1) * sizeof(uint32_t));
	e.var = calloc(vars + 1, 1);
	e.best_up = calloc(vars + 1, sizeof(int64_t));
	e.value = malloc((vars + 1) * sizeof(int64_t));
	e.lb = calloc(vars + 1, sizeof(int64_t));
	e.lb_free = calloc(vars + 1, sizeof(int64_t));
	e.best_down = calloc(vars + 1, sizeof(int64_t));
	e.star_of = malloc((vars + 1) * sizeof(int32_t));
	e.star_rise = calloc(vars + 1, sizeof(int64_t));
	scratch = malloc((widest + 2) * sizeof(*scratch));
	dps = calloc(DIM_COUNT, sizeof(*dps));
	if (!e.cell || !why || !e.parent || !e.var || !e.best_up || !e.best_down || !e.value ||
	    !e.lb || !e.lb_free || !e.star_of || !e.star_rise || !scratch || !dps)
		goto fail;
	for (size_t v = 0; v <= vars; v++)
		e.star_of[v] = -1;
	uint32_t most_groups = 1;
	for (int d = 0; d < DIM_COUNT; d++)
		if (metrics_group_count(raw, (enum dim)d) > most_groups)
			most_groups = metrics_group_count(raw, (enum dim)d);
	e.rect_partners = calloc(most_groups + 1, sizeof(struct rect_partner));
	if (e.rect_partners == NULL)
		goto fail;
	for (int d = 0; d < DIM_COUNT; d++) {
		/* any slot may hold any dim's partners */
		dps[d].list = calloc(most_groups + 1, sizeof(struct partner));
		if (dps[d].list == NULL)
			goto fail;
	}
	for (size_t v = 0; v < vars; v++) {
		e.parent[v] = (uint32_t)v;
		e.value[v] = cell_count(&e, v / 2, (int)(v % 2));
	}

	primary_pass(&e, why);
	join_links(&e);
	if (!build_relations(&e, scratch) || !index_relations(&e) || !index_variables(&e))
		goto fail;

	/* A percentage above one half has more room in its numerator than in
	 * its complement: its numerator moves with a moving denominator. */
	for (size_t i = 0; i < raw->table_count; i++) {
		const struct metrics_table *t = &raw->tables[i];
		if (t->dim != DIM_TOTAL || metrics_catalog[t->metric].kind != METRIC_KIND_PERCENT)
			continue;
		int64_t num = 0, den = 0;
		for (uint32_t p = 0; p < t->period_count; p++) {
			num += t->cells[p].numerator;
			den += t->cells[p].denominator;
		}
		if (2 * num >= den && den > 0)
			e.coupled[t->metric] = true;
	}

	for (size_t v = 0; v < vars; v++)
		if (e.parent[v] == v && e.var_first[v] != e.var_first[v + 1]) {
			e.lb[v] = compute_lower_bound(&e, (uint32_t)v, true);
			e.free_dens = true;
			e.lb_free[v] = compute_lower_bound(&e, (uint32_t)v, true);
			e.free_dens = false;
		}

	/* variables: secret when a cell makes its count secret; fixed when an
	 * earlier release published it */
	uint64_t conflicts = 0;
	for (size_t c = 0; c < e.cells; c++) {
		if (!(e.cell[c] & CELL_PUBLISHED))
			continue;
		for (int f = 0; f < 2; f++) {
			uint32_t r = find(&e, var_id(c, f));
			if (e.var_first[r] == e.var_first[r + 1])
				continue; /* a field the kind does not have: never in a relation */
			if (e.cell[c] & CELL_FIXED)
				e.var[r] |= VAR_FIXED;
		}
	}
	for (size_t c = 0; c < e.cells; c++) {
		for (int f = 0; f < 2; f++) {
			if (!(why[c] & (1u << f)))
				continue;
			uint32_t r = find(&e, var_id(c, f));
			if (e.var[r] & VAR_FIXED) {
				conflicts++; /* published by an earlier release: known */
				continue;
			}
			if (!make_secret(&e, r))
				goto fail;
		}
	}
	if (conflicts > 0)
		log_warnx("disclosure: %llu secret counts were published by an earlier release",
		          (unsigned long long)conflicts);

	find_known_zeros(&e);
	while (e.queue_head < e.queue_tail) {
		uint32_t x = e.queue[e.queue_head++];
		if (!protect(&e, x, dps))
			goto fail;
	}

	for (size_t c = 0; c < e.cells; c++) {
		if (!(e.cell[c] & CELL_PUBLISHED))
			continue;
		uint8_t s = 0;
		for (int f = 0; f < 2; f++) {
			uint32_t r = find(&e, var_id(c, f));
			if ((e.var[r] & VAR_SECRET) && e.var_first[r] != e.var_first[r + 1])
				s |= (uint8_t)(1u << f);
		}
		secret[c] = s;
		if (!s)
			continue;
		if (e.cell[c] & CELL_PRIMARY) {
			secret[c] |= DISCLOSURE_WHY_PRIMARY;
			stats->primary++;
		} else if (why[c])
			stats->frozen++;
		else
			stats->secondary++;
	}
	stats->unprotected = e.unprotected;
	stats->conflicts = conflicts;
	ok = true;
fail:
	free(why);
	free(scratch);
	for (int d = 0; dps != NULL && d < DIM_COUNT; d++)
		free(dps[d].list);
	free(dps);
	engine_free(&e);
	return ok;
}
