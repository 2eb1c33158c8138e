/*
 * disclosure.c — raw metric cells to publishable cells (SPEC §5).
 *
 * Suppress mode (secrecy is decided per (cell, field): numerator and
 * denominator; a cell with a secret count is published with nulls, its other
 * count is assumed known to the attacker, docs/privacy.md "Threat model"):
 *   1. primary rule on every cell (disclosure_primary_fields): fewer than k
 *      children -> every count of the cell is secret; numerator in 1..k-1,
 *      percentages' complement in 1..k-1, counts in 1..k-1 -> the numerator
 *      only (the denominator rests on k children or more); quantiles on
 *      fewer than k episodes -> their episode count; a cell with no children
 *      at all is an empty cell and is published (it says nothing about any
 *      child);
 *   2. complementary suppression, metric by metric and field by field, over
 *      a graph of additive relations (docs/metrics.md "Additivity"): groups
 *      of a breakdown -> the total of the same period; for time-additive
 *      counts months -> quarter, months and quarters -> year and fiscal year,
 *      and each overlapping (year, fiscal year) pair; for each group and the
 *      total.
 *      (0) for a count that adds up over time, blocks first
 *          (src/disclosure_blocks.c): a hidden cell hides the time block
 *          around it in its own group (the months of its quarter; the
 *          months and quarters of its fiscal or calendar year, and the
 *          years of the other kind straddling them), with partners taking
 *          the same block until each hidden cell has room (k - 1 or more
 *          by the Frechet bounds of its block); a secret total hides its
 *          block in every group. Cell-by-cell choices chained through the
 *          two time hierarchies and pinned what each relation alone left
 *          free; blocks do not;
 *      (a) a sum relation (a total and its parts; not the year / fiscal-
 *          year overlaps, which equate two differences) is safe for field f
 *          when no member's f is secret, or at least two are and their true
 *          values add up to k or more; otherwise the f of the non-zero member
 *          whose f is not secret that opens the fewest new relations, then
 *          the smallest, becomes secret too;
 *      (b) an attacker's interval propagation over all relations of f, with
 *          every non-secret f known, must leave each secret f a range of
 *          BOUND_MARGIN * (k - 1); otherwise a non-zero non-secret member of
 *          the relation bounding it most, chosen as in (a), becomes secret;
 *      in (a) and (b) the parts are chosen before the total (totals rest on
 *      the most children and are read first), ties broken by the lower cell
 *      identity; (a) and (b) repeat to a fixed point, and catch what the
 *      blocks do not cover. Zeros are never chosen: a published zero
 *      discloses nothing about a child (SPEC §5);
 *   3. counts shared by two metrics (shared_counts[], specific fields) are
 *      secret in both when secret in one, and step 2 runs again for the
 *      metrics that changed.
 * Everything is a deterministic function of the raw cells, so the same data
 * gives byte-identical tables. tests/audit/ checks the outcome with an
 * attacker's linear program (docs/privacy.md).
 */
#include "casa/disclosure.h"

#include <stdlib.h>
#include <string.h>

#include "casa/log.h"
#include "disclosure_cells.h"
#include "disclosure_internal.h"

#define SECRET_FIELDS DISCLOSURE_SECRET_FIELDS

/* Relations as member lists: members[start[r] .. start[r + 1]), read as the
 * equation sum(members before split[r]) = sum(members from split[r] on);
 * for parent = sum(children) the parent alone is on the left. */
struct relations {
	uint32_t *members;   /* cell ids, the left side first */
	size_t member_count; /* used */
	size_t member_cap;   /* allocated */
	size_t *start;       /* relation r begins at start[r] */
	size_t *split;       /* relation r's right side begins at split[r] */
	uint8_t *fields;     /* bit f set: relation holds for field f */
	size_t count;        /* relations */
	size_t cap;          /* allocated (start has cap + 1) */
};

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

bool disclosure_kind_has_numerator(enum metric_kind kind)
{
	return kind != METRIC_KIND_QUANTILE;
}

bool disclosure_kind_has_denominator(enum metric_kind kind)
{
	return kind != METRIC_KIND_COUNT;
}

static bool in_small_range(int64_t count, int min_cell)
{
	return count >= 1 && count <= min_cell - 1;
}

static uint8_t kind_fields(enum metric_kind kind);

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
		return kind_fields(kind);
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
		return cell->denominator < min_cell ? kind_fields(kind) : 0;
	}
	return kind_fields(kind);
}

bool disclosure_primary_suppressed(enum metric_kind kind, const struct metrics_cell *cell,
                                   int min_cell)
{
	return disclosure_primary_fields(kind, cell, min_cell) != 0;
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

/* Appends a relation: members[0 .. left) = members[left .. n). */
static bool relations_push(struct relations *rel, const uint32_t *members, size_t n, size_t left,
                           uint8_t fields)
{
	if (rel->count + 1 >= rel->cap) {
		size_t cap = rel->cap ? rel->cap * 2 : 256;
		size_t *start = realloc(rel->start, (cap + 1) * sizeof(*start));
		if (start == NULL)
			return false;
		rel->start = start;
		size_t *split = realloc(rel->split, cap * sizeof(*split));
		if (split == NULL)
			return false;
		rel->split = split;
		uint8_t *f = realloc(rel->fields, cap);
		if (f == NULL)
			return false;
		rel->fields = f;
		rel->cap = cap;
	}
	if (rel->member_count + n > rel->member_cap) {
		size_t cap = rel->member_cap ? rel->member_cap : 1024;
		while (cap < rel->member_count + n)
			cap *= 2;
		uint32_t *m = realloc(rel->members, cap * sizeof(*m));
		if (m == NULL)
			return false;
		rel->members = m;
		rel->member_cap = cap;
	}
	if (rel->count == 0)
		rel->start[0] = 0;
	memcpy(rel->members + rel->member_count, members, n * sizeof(*members));
	rel->member_count += n;
	rel->fields[rel->count] = fields;
	rel->split[rel->count] = rel->start[rel->count] + left;
	rel->count++;
	rel->start[rel->count] = rel->member_count;
	return true;
}

static void relations_free(struct relations *rel)
{
	free(rel->members);
	free(rel->start);
	free(rel->split);
	free(rel->fields);
	memset(rel, 0, sizeof(*rel));
}

long disclosure_metric_table(const struct metric_cells *mc, enum period_type type, enum dim dim)
{
	for (size_t i = 0; i < mc->table_count; i++) {
		const struct metrics_table *t = &mc->raw->tables[mc->table_ids[i]];
		if (t->period_type == type && t->dim == dim)
			return (long)i;
	}
	return -1;
}

/* Cell id of (period index, group) in mc's table i, or -1 when the period is
 * outside the table (a period with no data at all: known zero). */
static long cell_id(const struct metric_cells *mc, long i, int32_t period, uint32_t group)
{
	const struct metrics_table *t = &mc->raw->tables[mc->table_ids[i]];
	if (period < t->first_period || period >= t->first_period + (int32_t)t->period_count)
		return -1;
	return (long)(mc->base[i] + (size_t)(period - t->first_period) * t->group_count + group);
}

static uint8_t kind_fields(enum metric_kind kind)
{
	uint8_t f = 0;
	if (disclosure_kind_has_numerator(kind))
		f |= 1u << FIELD_NUMERATOR;
	if (disclosure_kind_has_denominator(kind))
		f |= 1u << FIELD_DENOMINATOR;
	return f;
}

/* Groups of a breakdown add up to the total of the same period, for every
 * count of every metric (docs/metrics.md "Additivity"). */
static bool add_group_relations(const struct metric_cells *mc, uint8_t fields,
                                struct relations *rel, uint32_t *scratch)
{
	for (size_t i = 0; i < mc->table_count; i++) {
		const struct metrics_table *t = &mc->raw->tables[mc->table_ids[i]];
		if (t->dim == DIM_TOTAL)
			continue;
		long total = disclosure_metric_table(mc, t->period_type, DIM_TOTAL);
		if (total < 0)
			continue;
		for (uint32_t p = 0; p < t->period_count; p++) {
			long parent = cell_id(mc, total, t->first_period + (int32_t)p, 0);
			if (parent < 0)
				continue;
			size_t n = 0;
			scratch[n++] = (uint32_t)parent;
			for (uint32_t g = 0; g < t->group_count; g++)
				scratch[n++] =
				    (uint32_t)(mc->base[i] + (size_t)p * t->group_count + g);
			if (!relations_push(rel, scratch, n, 1, fields))
				return false;
		}
	}
	return true;
}

/* Fine periods inside each coarse period add up to it, for each group of each
 * breakdown (and the total). Only where the fine periods tile the coarse one
 * exactly (quarters tile a fiscal year only when it starts a quarter). */
static bool add_time_relations(const struct metric_cells *mc, uint8_t fields, struct relations *rel,
                               uint32_t *scratch)
{
	static const enum period_type pairs[][2] = {
	    {PERIOD_MONTH, PERIOD_QUARTER},       {PERIOD_MONTH, PERIOD_YEAR},
	    {PERIOD_QUARTER, PERIOD_YEAR},        {PERIOD_MONTH, PERIOD_FISCAL_YEAR},
	    {PERIOD_QUARTER, PERIOD_FISCAL_YEAR},
	};
	int fy = mc->raw->fy_start_month;
	for (size_t pi = 0; pi < CASA_ARRAY_LEN(pairs); pi++) {
		enum period_type fine = pairs[pi][0], coarse = pairs[pi][1];
		for (int d = 0; d < DIM_COUNT; d++) {
			long ci = disclosure_metric_table(mc, coarse, (enum dim)d);
			long fi = disclosure_metric_table(mc, fine, (enum dim)d);
			if (ci < 0 || fi < 0)
				continue;
			const struct metrics_table *ct = &mc->raw->tables[mc->table_ids[ci]];
			const struct metrics_table *ft = &mc->raw->tables[mc->table_ids[fi]];
			if (ct->group_count != ft->group_count)
				continue;
			for (uint32_t p = 0; p < ct->period_count; p++) {
				int32_t c = ct->first_period + (int32_t)p;
				int32_t first_day = period_first_day(coarse, fy, c);
				int32_t last_day = period_last_day(coarse, fy, c);
				int32_t f0 = period_index_of(fine, fy, first_day);
				int32_t f1 = period_index_of(fine, fy, last_day);
				if (period_first_day(fine, fy, f0) != first_day ||
				    period_last_day(fine, fy, f1) != last_day)
					continue; /* not tiled */
				for (uint32_t g = 0; g < ct->group_count; g++) {
					size_t n = 0;
					scratch[n++] = (uint32_t)cell_id(mc, ci, c, g);
					for (int32_t f = f0; f <= f1; f++) {
						long id = cell_id(mc, fi, f, g);
						if (id >= 0)
							scratch[n++] = (uint32_t)id;
					}
					if (!relations_push(rel, scratch, n, 1, fields))
						return false;
				}
			}
		}
	}
	return true;
}

/* True when fine periods tile [first_day, last_day] exactly. */
static bool fine_tiles(enum period_type fine, int fy, int32_t first_day, int32_t last_day)
{
	return period_first_day(fine, fy, period_index_of(fine, fy, first_day)) == first_day &&
	       period_last_day(fine, fy, period_index_of(fine, fy, last_day)) == last_day;
}

/*
 * Calendar and fiscal years overlap: subtracting a published fiscal year from
 * a published year leaves (fine periods of the year outside the fiscal year)
 * - (fine periods of the fiscal year outside the year), e.g. Q4 of this year
 * minus Q4 of last year with an October fiscal year, and last year's Q4 is a
 * known zero before the data starts. No single relation above says so, so
 * each overlapping (year, fiscal year) pair is a relation too: its members
 * are both cells and the fine cells of the symmetric difference. With a
 * January fiscal year the two are the same period: {year, fiscal year}.
 */
/* Marks a relation that equates two differences (the year / fiscal-year
 * overlaps): only the attacker's interval pass judges it; the sum rule of
 * complementary_pass() is for a total and its parts, and applied to a
 * difference it would chain hidden quarters through every year. */
#define REL_DIFFERENCE 0x80

static bool add_overlap_relations(const struct metric_cells *mc, uint8_t fields,
                                  struct relations *rel, uint32_t *scratch)
{
	static const enum period_type fines[] = {PERIOD_QUARTER, PERIOD_MONTH};
	int fy = mc->raw->fy_start_month;
	for (int d = 0; d < DIM_COUNT; d++) {
		long yi = disclosure_metric_table(mc, PERIOD_YEAR, (enum dim)d);
		long fi = disclosure_metric_table(mc, PERIOD_FISCAL_YEAR, (enum dim)d);
		if (yi < 0 || fi < 0)
			continue;
		const struct metrics_table *yt = &mc->raw->tables[mc->table_ids[yi]];
		const struct metrics_table *ft = &mc->raw->tables[mc->table_ids[fi]];
		if (yt->group_count != ft->group_count)
			continue;
		for (size_t k = 0; k < CASA_ARRAY_LEN(fines); k++) {
			long si = disclosure_metric_table(mc, fines[k], (enum dim)d);
			if (si < 0)
				continue;
			const struct metrics_table *st = &mc->raw->tables[mc->table_ids[si]];
			if (st->group_count != yt->group_count)
				continue;
			for (uint32_t yp = 0; yp < yt->period_count; yp++) {
				int32_t y = yt->first_period + (int32_t)yp;
				int32_t y0 = period_first_day(PERIOD_YEAR, fy, y);
				int32_t y1 = period_last_day(PERIOD_YEAR, fy, y);
				for (uint32_t fp = 0; fp < ft->period_count; fp++) {
					int32_t f = ft->first_period + (int32_t)fp;
					int32_t f0 = period_first_day(PERIOD_FISCAL_YEAR, fy, f);
					int32_t f1 = period_last_day(PERIOD_FISCAL_YEAR, fy, f);
					if (f1 < y0 || f0 > y1)
						continue; /* no overlap */
					if (!fine_tiles(fines[k], fy, y0, y1) ||
					    !fine_tiles(fines[k], fy, f0, f1))
						continue;
					int32_t lo = y0 < f0 ? y0 : f0, hi = y1 > f1 ? y1 : f1;
					int32_t s0 = period_index_of(fines[k], fy, lo);
					int32_t s1 = period_index_of(fines[k], fy, hi);
					for (uint32_t g = 0; g < yt->group_count; g++) {
						/* year + (fiscal-year-only parts) = fiscal
						 * year + (year-only parts) */
						size_t n = 0, left = 1;
						scratch[n++] = (uint32_t)cell_id(mc, yi, y, g);
						for (int side = 0; side < 2; side++) {
							if (side == 1) {
								left = n;
								scratch[n++] =
								    (uint32_t)cell_id(mc, fi, f, g);
							}
							for (int32_t s = s0; s <= s1; s++) {
								int32_t day = period_first_day(
								    fines[k], fy, s);
								bool in_year =
								    day >= y0 && day <= y1;
								bool in_fy = day >= f0 && day <= f1;
								long id = cell_id(mc, si, s, g);
								bool wanted =
								    side == 0 ? (in_fy && !in_year)
								              : (in_year && !in_fy);
								if (wanted && id >= 0)
									scratch[n++] = (uint32_t)id;
							}
						}
						if (!relations_push(rel, scratch, n, left,
						                    fields | REL_DIFFERENCE))
							return false;
					}
				}
			}
		}
	}
	return true;
}

static long smallest_candidate(const struct metric_cells *mc, const struct relations *rel, size_t r,
                               int f);

/* One pass of complementary suppression over every relation; true when a
 * cell was added. See the file comment for the rule. */
static bool complementary_pass(struct metric_cells *mc, const struct relations *rel, int min_cell)
{
	bool changed = false;
	for (size_t r = 0; r < rel->count; r++) {
		if (rel->fields[r] & REL_DIFFERENCE)
			continue;
		for (int f = 0; f < FIELD_COUNT; f++) {
			if (!(rel->fields[r] & (1u << f)))
				continue;
			const int64_t *v = mc->values[f];
			size_t suppressed = 0;
			int64_t sum = 0;
			for (size_t m = rel->start[r]; m < rel->start[r + 1]; m++) {
				uint32_t id = rel->members[m];
				if (is_secret(mc->why[id], f)) {
					suppressed++;
					sum += v[id];
				}
			}
			while (suppressed > 0 && (suppressed == 1 || sum < min_cell)) {
				long best = smallest_candidate(mc, rel, r, f);
				if (best < 0)
					break; /* every other member is a known zero */
				mc->why[best] |= (uint8_t)(1u << f);
				suppressed++;
				sum += v[best];
				changed = true;
			}
		}
	}
	return changed;
}

/*
 * The attacker, approximately: interval bounds propagation over every
 * relation (each member of an equation lies between what the other members'
 * bounds allow), from "known = exact, secret = [0, inf)" (known: published,
 * or a non-secret count of a suppressed cell). These are
 * outer bounds of the linear-programming interval the audit computes, so a
 * cell found too narrow here is certainly exposed; the audit in tests/audit/
 * checks the rest.
 */
#define BOUND_INF (INT64_MAX / 4)
/* Room the propagation must find, in units of k - 1. Propagation is a
 * weaker attacker than the audit's linear program. Before blocks, the
 * cell-by-cell pattern needed 5x (at 1x the audit found exposed counts on
 * the unit seeds), and that margin spread suppression up to the totals.
 * Blocks have exact intervals (disclosure_blocks_seed), and at 1x the audit finds
 * nothing on the unit seeds, tests/integration/test_audit.sh and 20,000
 * generated children (docs/privacy.md "The margin"). */
#ifndef BOUND_MARGIN /* -DBOUND_MARGIN=n: for measurements with tests/audit only */
#define BOUND_MARGIN 1
#endif
#define BOUND_SWEEPS 64 /* enough for the chains of a few years; bounds stay valid if cut */

struct side_sum {
	int64_t lo;       /* sum of lower bounds */
	int64_t hi;       /* sum of finite upper bounds */
	size_t unbounded; /* members with no upper bound */
};

static struct side_sum side_sum(const uint32_t *m, size_t n, const int64_t *lo, const int64_t *hi)
{
	struct side_sum s = {0, 0, 0};
	for (size_t i = 0; i < n; i++) {
		s.lo += lo[m[i]];
		if (hi[m[i]] >= BOUND_INF)
			s.unbounded++;
		else
			s.hi += hi[m[i]];
	}
	return s;
}

/* Bounds for member `id` of side `own` implied by relation r. */
static void implied_bounds(uint32_t id, struct side_sum own, struct side_sum other,
                           const int64_t *lo, const int64_t *hi, int64_t *new_lo, int64_t *new_hi)
{
	/* x = sum(other) - sum(own without x) */
	bool own_rest_unbounded = own.unbounded - (hi[id] >= BOUND_INF ? 1 : 0) > 0;
	int64_t own_rest_hi = own.hi - (hi[id] >= BOUND_INF ? 0 : hi[id]);
	*new_lo = own_rest_unbounded ? 0 : other.lo - own_rest_hi;
	*new_hi = other.unbounded ? BOUND_INF : other.hi - (own.lo - lo[id]);
}

static void propagate_bounds(const struct metric_cells *mc, const struct relations *rel, int f,
                             int64_t *lo, int64_t *hi)
{
	for (size_t id = 0; id < mc->cell_count; id++) {
		/* known: published, or a non-secret count of a suppressed cell */
		bool known = !is_secret(mc->why[id], f);
		lo[id] = known ? mc->values[f][id] : 0;
		hi[id] = known ? mc->values[f][id] : BOUND_INF;
	}
	for (int sweep = 0; sweep < BOUND_SWEEPS; sweep++) {
		bool changed = false;
		for (size_t r = 0; r < rel->count; r++) {
			if (!(rel->fields[r] & (1u << f)))
				continue;
			const uint32_t *a = rel->members + rel->start[r];
			size_t na = rel->split[r] - rel->start[r];
			const uint32_t *b = rel->members + rel->split[r];
			size_t nb = rel->start[r + 1] - rel->split[r];
			struct side_sum sa = side_sum(a, na, lo, hi), sb = side_sum(b, nb, lo, hi);
			for (size_t i = 0; i < na + nb; i++) {
				uint32_t id = i < na ? a[i] : b[i - na];
				if (!is_secret(mc->why[id], f))
					continue;
				int64_t nlo, nhi;
				if (i < na)
					implied_bounds(id, sa, sb, lo, hi, &nlo, &nhi);
				else
					implied_bounds(id, sb, sa, lo, hi, &nlo, &nhi);
				if (nlo > lo[id]) {
					lo[id] = nlo;
					changed = true;
				}
				if (nhi < hi[id]) {
					hi[id] = nhi;
					changed = true;
				}
			}
		}
		if (!changed)
			break;
	}
}

/* Relations of field f containing cell id (other than relation skip) that
 * have no secret f yet: hiding id there leaves it alone, so each of them
 * will need one more hidden cell. The lower, the cheaper the candidate. */
static unsigned new_exposures(const struct metric_cells *mc, uint32_t id, size_t skip, int f);

/* Best non-zero published member of members[from, to) for field f: the one
 * that opens the fewest new relations (new_exposures: it lies where other
 * cells are hidden already, so hidden cells form rectangles instead of
 * chains), then the smallest value, ties to the lower identity; or -1. */
static long smallest_in(const struct metric_cells *mc, const struct relations *rel, size_t from,
                        size_t to, int f, size_t r)
{
	long best = -1;
	unsigned best_cost = 0;
	const int64_t *v = mc->values[f];
	for (size_t m = from; m < to; m++) {
		uint32_t id = rel->members[m];
		if (is_secret(mc->why[id], f) || v[id] <= 0)
			continue;
		unsigned cost = new_exposures(mc, id, r, f);
		if (best < 0 || cost < best_cost ||
		    (cost == best_cost &&
		     /* cppcheck-suppress arrayIndexThenCheck ; id < best breaks a tie
		      * between two cell ids, it is no bounds check */
		     (v[id] < v[best] || (v[id] == v[best] && id < (uint32_t)best)))) {
			best = id;
			best_cost = cost;
		}
	}
	return best;
}

/* The cell to hide next in relation r for field f: the best published
 * member (smallest_in) of the right side (the parts: groups, months,
 * quarters), and only when none is left, of the left side (the total or the
 * longer period). Totals rest on the most children and are what a program
 * director reads first, so they are hidden last. -1 when nothing can be
 * hidden. */
static long smallest_candidate(const struct metric_cells *mc, const struct relations *rel, size_t r,
                               int f)
{
	long best = smallest_in(mc, rel, rel->split[r], rel->start[r + 1], f, r);
	return best >= 0 ? best : smallest_in(mc, rel, rel->start[r], rel->split[r], f, r);
}

/* Relations each cell belongs to: rels[first[c] .. first[c + 1]). */
struct membership {
	size_t *first;  /* cell_count + 1 offsets */
	uint32_t *rels; /* relation ids */
};

static bool membership_build(const struct metric_cells *mc, const struct relations *rel,
                             struct membership *ms)
{
	ms->first = calloc(mc->cell_count + 1, sizeof(size_t));
	ms->rels = malloc((rel->member_count ? rel->member_count : 1) * sizeof(uint32_t));
	if (ms->first == NULL || ms->rels == NULL)
		return false;
	for (size_t m = 0; m < rel->member_count; m++)
		ms->first[rel->members[m] + 1]++;
	for (size_t c = 0; c < mc->cell_count; c++)
		ms->first[c + 1] += ms->first[c];
	size_t *fill = calloc(mc->cell_count, sizeof(size_t));
	if (fill == NULL)
		return false;
	for (size_t r = 0; r < rel->count; r++)
		for (size_t m = rel->start[r]; m < rel->start[r + 1]; m++) {
			uint32_t id = rel->members[m];
			ms->rels[ms->first[id] + fill[id]++] = (uint32_t)r;
		}
	free(fill);
	return true;
}

static unsigned new_exposures(const struct metric_cells *mc, uint32_t id, size_t skip, int f)
{
	if (mc->ms == NULL)
		return 0;
	const struct relations *rel = mc->rel;
	unsigned n = 0;
	for (size_t j = mc->ms->first[id]; j < mc->ms->first[id + 1]; j++) {
		size_t r = mc->ms->rels[j];
		if (r == skip || !(rel->fields[r] & (1u << f)) || (rel->fields[r] & REL_DIFFERENCE))
			continue;
		bool any = false;
		for (size_t m = rel->start[r]; m < rel->start[r + 1] && !any; m++)
			any = is_secret(mc->why[rel->members[m]], f);
		n += !any;
	}
	return n;
}

/*
 * For every suppressed count whose propagated interval holds fewer than k
 * values (and is not pinned at zero: zeros are published), hides the
 * smallest non-zero published member of the relation that bounds it most
 * tightly. Sets *changed when a cell was added.
 */
static bool attack_pass(struct metric_cells *mc, const struct relations *rel,
                        const struct membership *ms, int min_cell, bool *changed)
{
	int64_t *lo = malloc(mc->cell_count * sizeof(int64_t));
	int64_t *hi = malloc(mc->cell_count * sizeof(int64_t));
	/* A relation widened in this pass is judged again on fresh bounds in
	 * the next one, so that one exposure does not pull in several cells. */
	bool *touched = calloc(rel->count ? rel->count : 1, sizeof(bool));
	if (lo == NULL || hi == NULL || touched == NULL) {
		free(lo);
		free(hi);
		free(touched);
		return false;
	}
	for (int f = 0; f < FIELD_COUNT; f++) {
		bool used = false;
		for (size_t r = 0; r < rel->count && !used; r++)
			used = rel->fields[r] & (1u << f);
		if (!used)
			continue;
		propagate_bounds(mc, rel, f, lo, hi);
		memset(touched, 0, (rel->count ? rel->count : 1) * sizeof(bool));
		for (size_t id = 0; id < mc->cell_count; id++) {
			if (!is_secret(mc->why[id], f) || hi[id] >= BOUND_INF || hi[id] == 0 ||
			    hi[id] - lo[id] >= BOUND_MARGIN * (min_cell - 1))
				continue;
			long best_rel = -1;
			int64_t best_width = BOUND_INF;
			for (size_t j = ms->first[id]; j < ms->first[id + 1]; j++) {
				size_t r = ms->rels[j];
				if (!(rel->fields[r] & (1u << f)) ||
				    smallest_candidate(mc, rel, r, f) < 0)
					continue;
				const uint32_t *a = rel->members + rel->start[r];
				size_t na = rel->split[r] - rel->start[r];
				const uint32_t *b = rel->members + rel->split[r];
				size_t nb = rel->start[r + 1] - rel->split[r];
				struct side_sum sa = side_sum(a, na, lo, hi),
				                sb = side_sum(b, nb, lo, hi);
				bool left = false;
				for (size_t i = 0; i < na; i++)
					left = left || a[i] == id;
				int64_t nlo, nhi;
				if (left)
					implied_bounds((uint32_t)id, sa, sb, lo, hi, &nlo, &nhi);
				else
					implied_bounds((uint32_t)id, sb, sa, lo, hi, &nlo, &nhi);
				if (nlo < 0)
					nlo = 0; /* counts are never negative */
				int64_t width = nhi >= BOUND_INF ? BOUND_INF : nhi - nlo;
				/* Only a relation that narrows the count by itself is a
				 * cause: hiding more of a relation that leaves it wide
				 * cannot widen it, and would only spread suppression
				 * (from a tiny group to the total of its breakdown). */
				if (width >= BOUND_MARGIN * (min_cell - 1))
					continue;
				if (best_rel < 0 || width < best_width) {
					best_rel = (long)r;
					best_width = width;
				}
			}
			if (best_rel < 0)
				continue; /* nothing left to hide around it */
			*changed = true;  /* judged again in the next pass */
			if (touched[best_rel])
				continue;
			long add = smallest_candidate(mc, rel, (size_t)best_rel, f);
			mc->why[add] |= (uint8_t)(1u << f);
			touched[best_rel] = true;
		}
	}
	free(lo);
	free(hi);
	free(touched);
	return true;
}

/* Decides mc->why for every cell of one metric. */
static bool suppress_metric(struct metric_cells *mc, const struct metric_def *def, int min_cell)
{
	bool ok = false;
	struct relations rel = {0};
	struct membership ms = {0};
	uint32_t *scratch = NULL;
	size_t widest = 0;

	for (size_t i = 0; i < mc->table_count; i++) {
		const struct metrics_table *t = &mc->raw->tables[mc->table_ids[i]];
		size_t w = t->group_count > t->period_count ? t->group_count : t->period_count;
		if (w > widest)
			widest = w;
		for (size_t c = 0; c < (size_t)t->period_count * t->group_count; c++) {
			const struct metrics_cell *cell = &t->cells[c];
			size_t id = mc->base[i] + c;
			mc->values[FIELD_NUMERATOR][id] =
			    disclosure_kind_has_numerator(def->kind) ? cell->numerator : 0;
			mc->values[FIELD_DENOMINATOR][id] =
			    disclosure_kind_has_denominator(def->kind) ? cell->denominator : 0;
			/* the caller may have made some count secret already (a
			 * shared count); the primary rule adds its own */
			uint8_t primary = disclosure_primary_fields(def->kind, cell, min_cell);
			if (primary)
				mc->why[id] |= (uint8_t)(primary | CELLS_WHY_PRIMARY);
		}
	}
	/* A relation has at most 1 + max(groups, periods) members, or two years
	 * and the 2 x 11 months of their symmetric difference. */
	scratch = malloc((widest + 64) * sizeof(*scratch));
	if (scratch == NULL)
		goto fail;

	uint8_t fields = kind_fields(def->kind);
	if (!add_group_relations(mc, fields, &rel, scratch))
		goto fail;
	/* Time additivity: counts of day- and event-based metrics; a quantile's
	 * denominator (episodes ending in the period) adds up over time as well,
	 * so an attacker can use it even though the quantile itself cannot. */
	uint8_t time_fields = def->time_additive & fields;
	if (time_fields && !add_time_relations(mc, time_fields, &rel, scratch))
		goto fail;
	if (time_fields && !add_overlap_relations(mc, time_fields, &rel, scratch))
		goto fail;

	for (int f = 0; f < FIELD_COUNT; f++)
		if ((time_fields & (1u << f)) && !disclosure_blocks_seed(mc, f, min_cell))
			goto fail;
	if (!membership_build(mc, &rel, &ms))
		goto fail;
	/* ms and rel outlive every use: only the passes below read them
	 * through mc, and nothing reads mc after this function returns */
	/* cppcheck-suppress autoVariables */
	mc->ms = &ms;
	/* cppcheck-suppress autoVariables */
	mc->rel = &rel;
	for (bool changed = true; changed;) {
		while (complementary_pass(mc, &rel, min_cell))
			;
		changed = false;
		if (!attack_pass(mc, &rel, &ms, min_cell, &changed))
			goto fail;
	}
	ok = true;
fail:
	free(ms.first);
	free(ms.rels);
	free(scratch);
	relations_free(&rel);
	return ok;
}

static void publish_suppressed(struct disclosure_cell *out)
{
	memset(out, 0, sizeof(*out));
	out->suppressed = true;
}

static void publish_cell(const struct metric_def *def, const struct metrics_cell *cell,
                         struct disclosure_cell *out)
{
	memset(out, 0, sizeof(*out));
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

/* Suppress mode for metric m: decides why[] (indexed by offset[table] + cell
 * over all tables) for every cell of its tables, starting from what why[]
 * already holds. */
static bool decide_metric(const struct metrics_result *raw, enum metric_id m, int min_cell,
                          bool calendar_year_blocks, const size_t *offset, uint8_t *why)
{
	bool ok = false;
	struct metric_cells mc = {.raw = raw, .calendar_year_blocks = calendar_year_blocks};
	const struct metric_def *def = &metrics_catalog[m];

	for (size_t i = 0; i < raw->table_count; i++) {
		if (raw->tables[i].metric != m)
			continue;
		if (mc.table_count == CASA_ARRAY_LEN(mc.table_ids))
			break; /* cannot happen: one table per (period type, dim) */
		mc.table_ids[mc.table_count] = i;
		mc.base[mc.table_count] = mc.cell_count;
		mc.cell_count += (size_t)raw->tables[i].period_count * raw->tables[i].group_count;
		mc.table_count++;
	}
	if (mc.cell_count == 0)
		return true;
	if (mc.cell_count > UINT32_MAX)
		return false;
	mc.values[FIELD_NUMERATOR] = calloc(mc.cell_count, sizeof(int64_t));
	mc.values[FIELD_DENOMINATOR] = calloc(mc.cell_count, sizeof(int64_t));
	mc.why = calloc(mc.cell_count, 1);
	if (!mc.values[FIELD_NUMERATOR] || !mc.values[FIELD_DENOMINATOR] || !mc.why)
		goto fail;
	for (size_t i = 0; i < mc.table_count; i++) {
		const struct metrics_table *t = &raw->tables[mc.table_ids[i]];
		memcpy(mc.why + mc.base[i], why + offset[mc.table_ids[i]],
		       (size_t)t->period_count * t->group_count);
	}
	if (!suppress_metric(&mc, def, min_cell))
		goto fail;
	for (size_t i = 0; i < mc.table_count; i++) {
		const struct metrics_table *t = &raw->tables[mc.table_ids[i]];
		memcpy(why + offset[mc.table_ids[i]], mc.why + mc.base[i],
		       (size_t)t->period_count * t->group_count);
	}
	ok = true;
fail:
	free(mc.values[FIELD_NUMERATOR]);
	free(mc.values[FIELD_DENOMINATOR]);
	free(mc.why);
	return ok;
}

/*
 * Counts that two metrics publish under different names (docs/metrics.md),
 * as (metric, field) pairs: missing episodes beginning in the period (runaway
 * rate numerator, the reporting percentages' denominators); days in care
 * (both day-based rates' denominators); episodes screened within the window
 * (screened_after_return_pct numerator, screened_positive_pct denominator);
 * missing episodes that end with a return in the period (the quantiles' and
 * screened_after_return_pct's denominators). A count secret in one must be
 * secret in the other, or the other publishes it: the link is between these
 * fields only (a reporting cell hidden for its small numerator leaves the
 * runaway cell alone). Both metrics are decided again, until nothing changes.
 */
static const struct {
	enum metric_id a; /* one metric */
	int field_a;      /* its count (enum cells_field) */
	enum metric_id b; /* the other metric */
	int field_b;      /* its equal count */
} shared_counts[] = {
    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, FIELD_NUMERATOR, METRIC_REPORTED_LE_24H_PCT,
     FIELD_DENOMINATOR},
    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, FIELD_NUMERATOR, METRIC_REPORTED_NCMEC_24H_PCT,
     FIELD_DENOMINATOR},
    {METRIC_REPORTED_LE_24H_PCT, FIELD_DENOMINATOR, METRIC_REPORTED_NCMEC_24H_PCT,
     FIELD_DENOMINATOR},
    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, FIELD_DENOMINATOR, METRIC_MOVES_PER_1000_DAYS_IN_CARE,
     FIELD_DENOMINATOR},
    {METRIC_SCREENED_AFTER_RETURN_PCT, FIELD_NUMERATOR, METRIC_SCREENED_POSITIVE_PCT,
     FIELD_DENOMINATOR},
    {METRIC_DAYS_MISSING_MEDIAN, FIELD_DENOMINATOR, METRIC_DAYS_MISSING_P90, FIELD_DENOMINATOR},
    {METRIC_DAYS_MISSING_MEDIAN, FIELD_DENOMINATOR, METRIC_SCREENED_AFTER_RETURN_PCT,
     FIELD_DENOMINATOR},
    {METRIC_DAYS_MISSING_P90, FIELD_DENOMINATOR, METRIC_SCREENED_AFTER_RETURN_PCT,
     FIELD_DENOMINATOR},
};

/* Makes each shared count secret in both metrics when secret in either;
 * marks the metrics that changed in dirty[]. */
static void sync_shared_counts(const struct metrics_result *raw, const size_t *offset, uint8_t *why,
                               bool dirty[METRIC_COUNT])
{
	for (size_t l = 0; l < CASA_ARRAY_LEN(shared_counts); l++) {
		const uint8_t bit_a = (uint8_t)(1u << shared_counts[l].field_a);
		const uint8_t bit_b = (uint8_t)(1u << shared_counts[l].field_b);
		for (size_t i = 0; i < raw->table_count; i++) {
			const struct metrics_table *a = &raw->tables[i];
			if (a->metric != shared_counts[l].a)
				continue;
			const struct metrics_table *b = NULL;
			size_t j = 0;
			for (; j < raw->table_count; j++) {
				b = &raw->tables[j];
				if (b->metric == shared_counts[l].b &&
				    b->period_type == a->period_type && b->dim == a->dim)
					break;
			}
			if (j == raw->table_count || b->first_period != a->first_period ||
			    b->period_count != a->period_count || b->group_count != a->group_count)
				continue;
			for (size_t c = 0; c < (size_t)a->period_count * a->group_count; c++) {
				uint8_t *wa = &why[offset[i] + c], *wb = &why[offset[j] + c];
				bool sa = (*wa & bit_a) != 0, sb = (*wb & bit_b) != 0;
				if (sa == sb)
					continue;
				/* a count covered by a block in one metric is covered
				 * by the same block in the other: every count of the
				 * block comes across */
				if (!sa) {
					*wa |= bit_a;
					if (*wb & (CELLS_WHY_BLOCK << shared_counts[l].field_b))
						*wa |= (uint8_t)(CELLS_WHY_BLOCK
						                 << shared_counts[l].field_a);
					dirty[a->metric] = true;
				} else {
					*wb |= bit_b;
					if (*wa & (CELLS_WHY_BLOCK << shared_counts[l].field_a))
						*wb |= (uint8_t)(CELLS_WHY_BLOCK
						                 << shared_counts[l].field_b);
					dirty[b->metric] = true;
				}
			}
		}
	}
}

/* Suppress mode: decides the secret bits of every cell into why[] (indexed
 * by offset[table] + cell, zeroed by the caller). */
static bool decide_all(const struct metrics_result *raw, int min_cell, bool calendar_year_blocks,
                       const size_t *offset, uint8_t *why)
{
	bool dirty[METRIC_COUNT];
	for (int m = 0; m < METRIC_COUNT; m++)
		dirty[m] = true;
	for (bool again = true; again;) {
		for (int m = 0; m < METRIC_COUNT; m++) {
			if (!dirty[m])
				continue;
			dirty[m] = false;
			if (!decide_metric(raw, (enum metric_id)m, min_cell, calendar_year_blocks,
			                   offset, why))
				return false;
		}
		sync_shared_counts(raw, offset, why, dirty);
		again = false;
		for (int m = 0; m < METRIC_COUNT; m++)
			again = again || dirty[m];
	}
	return true;
}

/* offset[i] = first cell of table i in a flat array over all tables;
 * offset[table_count] = all cells. NULL when memory runs out. */
static size_t *table_offsets(const struct metrics_result *raw)
{
	size_t *offset = calloc(raw->table_count + 1, sizeof(size_t));
	if (offset == NULL)
		return NULL;
	for (size_t i = 0; i < raw->table_count; i++)
		offset[i + 1] =
		    offset[i] + (size_t)raw->tables[i].period_count * raw->tables[i].group_count;
	return offset;
}

uint8_t *disclosure_secret_fields(const struct metrics_result *raw, int min_cell,
                                  bool calendar_year_blocks)
{
	if (min_cell < DISCLOSURE_MIN_CELL_FLOOR)
		min_cell = DISCLOSURE_MIN_CELL_FLOOR;
	size_t *offset = table_offsets(raw);
	if (offset == NULL)
		return NULL;
	uint8_t *why = calloc(offset[raw->table_count] ? offset[raw->table_count] : 1, 1);
	if (why != NULL && !decide_all(raw, min_cell, calendar_year_blocks, offset, why)) {
		free(why);
		why = NULL;
	}
	if (why != NULL)
		for (size_t c = 0; c < offset[raw->table_count]; c++)
			why[c] &= SECRET_FIELDS;
	free(offset);
	return why;
}

/* Suppress mode: decides every cell, then writes out->tables. */
static bool protect_all(const struct metrics_result *raw, int min_cell, bool calendar_year_blocks,
                        struct disclosure_result *out)
{
	bool ok = false;
	size_t *offset = table_offsets(raw);
	uint8_t *why = NULL;
	if (offset == NULL)
		goto fail;
	why = calloc(offset[raw->table_count] ? offset[raw->table_count] : 1, 1);
	if (why == NULL)
		goto fail;
	if (!decide_all(raw, min_cell, calendar_year_blocks, offset, why))
		goto fail;

	for (size_t i = 0; i < raw->table_count; i++) {
		const struct metrics_table *t = &raw->tables[i];
		const struct metric_def *def = &metrics_catalog[t->metric];
		struct disclosure_table *dt = &out->tables[i];
		for (size_t c = 0; c < (size_t)t->period_count * t->group_count; c++) {
			uint8_t w = why[offset[i] + c];
			if (!(w & SECRET_FIELDS)) {
				publish_cell(def, &t->cells[c], &dt->cells[c]);
				continue;
			}
			/* a secret numerator or denominator: the row is null (the
			 * other count may be known elsewhere, see docs/privacy.md) */
			publish_suppressed(&dt->cells[c]);
			if (w & CELLS_WHY_PRIMARY)
				out->suppressed_primary++;
			else
				out->suppressed_secondary++;
		}
	}
	ok = true;
fail:
	free(offset);
	free(why);
	return ok;
}

/* -fanalyzer: "leak of strdup" for out->counties[i]: stored at a variable
 * index of a heap array, which GCC 12 does not follow; the fail path
 * frees them through disclosure_free(). */
CASA_ANALYZER_IGNORE("-Wanalyzer-malloc-leak")
bool disclosure_protect(const struct metrics_result *raw, const struct disclosure_options *options,
                        struct disclosure_result *out)
{
	memset(out, 0, sizeof(*out));
	int min_cell = options->min_cell;
	if (min_cell < DISCLOSURE_MIN_CELL_FLOOR) {
		/* SPEC §5: k is never below 5, whatever the configuration says. */
		log_warnx("disclosure: min_cell %d raised to %d", min_cell,
		          DISCLOSURE_MIN_CELL_FLOOR);
		min_cell = DISCLOSURE_MIN_CELL_FLOOR;
	}
	out->as_of = raw->as_of;
	out->fy_start_month = raw->fy_start_month;
	out->mode = options->mode;
	out->min_cell = min_cell;
	out->calendar_year_blocks = options->calendar_year_blocks;
	out->epsilon = options->mode == DISCLOSURE_DP ? options->epsilon : 0.0;

	if (raw->county_count > 0) {
		out->counties = calloc(raw->county_count, sizeof(char *));
		if (out->counties == NULL)
			goto fail;
		out->county_count = raw->county_count;
		for (size_t i = 0; i < raw->county_count; i++) {
			out->counties[i] = strdup(raw->counties[i]);
			if (out->counties[i] == NULL)
				goto fail;
		}
	}
	if (raw->table_count > 0) {
		out->tables = calloc(raw->table_count, sizeof(*out->tables));
		if (out->tables == NULL)
			goto fail;
		out->table_count = raw->table_count;
	}
	for (size_t i = 0; i < raw->table_count; i++) {
		const struct metrics_table *t = &raw->tables[i];
		struct disclosure_table *dt = &out->tables[i];
		dt->metric = t->metric;
		dt->period_type = t->period_type;
		dt->dim = t->dim;
		dt->first_period = t->first_period;
		dt->period_count = t->period_count;
		dt->group_count = t->group_count;
		size_t n = (size_t)t->period_count * t->group_count;
		dt->cells = calloc(n ? n : 1, sizeof(*dt->cells));
		if (dt->cells == NULL)
			goto fail;
	}

	if (options->mode == DISCLOSURE_DP) {
		if (!disclosure_dp_fill(raw, options, min_cell, out))
			goto fail;
		return true;
	}
	if (!protect_all(raw, min_cell, options->calendar_year_blocks, out))
		goto fail;
	return true;
fail:
	log_warnx("disclosure: out of memory");
	disclosure_free(out);
	return false;
}
CASA_ANALYZER_END

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
