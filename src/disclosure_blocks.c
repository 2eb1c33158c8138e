/*
 * disclosure_blocks.c — the block pattern of complementary suppression, for
 * the counts that add up over time (docs/privacy.md "Recovery by
 * subtraction", step 0). Called by suppress_metric() in src/disclosure.c
 * before the cell-by-cell passes.
 *
 * Cell by cell choices chain through the two time hierarchies (quarters in
 * years and in fiscal years) and pin counts that each relation alone leaves
 * free; hiding whole blocks gives intervals that can be worked out:
 *   - a column block: group g of a breakdown hidden for every period of one
 *     period type. Groups hidden in a period have, together, a known sum R
 *     (the total minus the published groups); with their longer period
 *     published, a hidden month of g lies anywhere in
 *     [max(0, c + R - N), min(R, c)] (c: g's quarter, N: the hidden groups'
 *     quarter; the Frechet bounds of a two-way table with known margins).
 *     Blocks nest (a group hidden for quarters is hidden for months, or its
 *     months give the quarter away), and a group hidden for quarters is
 *     hidden for fiscal years too, or year minus fiscal year chains the
 *     fourth quarters from the first year on;
 *   - a row block: a secret total hides every group and the total of the
 *     months of its quarter, or, for a secret quarter, year or fiscal year
 *     total, the months and quarters of the calendar year(s) concerned, and
 *     the fiscal years overlapping a block without containing it.
 * Groups are added to a column block, smallest share of the period type
 * first, until every hidden cell has at least k - 1 of room. What this
 * reasoning does not cover (other fiscal-year starts, chains across several
 * blocks) is left to the cell-by-cell passes that follow.
 */
#include <stdlib.h>
#include <string.h>

#include "disclosure_cells.h"

struct blocks {
	int fy;                                   /* fiscal-year start month */
	long table[PERIOD_TYPE_COUNT][DIM_COUNT]; /* mc table index, -1 when absent */
	uint8_t *row[PERIOD_TYPE_COUNT];          /* hidden rows, by period offset */
	uint8_t *col[PERIOD_TYPE_COUNT];          /* hidden groups of the breakdown at hand */
	int64_t *room;                            /* scratch: hidden sum per period offset */
};

static const struct metrics_table *blocks_table(const struct metric_cells *mc,
                                                const struct blocks *b, int t, int d)
{
	return b->table[t][d] < 0 ? NULL : &mc->raw->tables[mc->table_ids[b->table[t][d]]];
}

/* Offset in level t's tables of the period of level t containing `day`, or
 * -1 outside them. */
static long blocks_offset(const struct metric_cells *mc, const struct blocks *b, int t, int32_t day)
{
	const struct metrics_table *tt = blocks_table(mc, b, t, DIM_TOTAL);
	int32_t p = period_index_of((enum period_type)t, b->fy, day);
	if (tt == NULL || p < tt->first_period || p >= tt->first_period + (int32_t)tt->period_count)
		return -1;
	return p - tt->first_period;
}

static int32_t blocks_first_day(const struct metric_cells *mc, const struct blocks *b, int t,
                                long off)
{
	const struct metrics_table *tt = blocks_table(mc, b, t, DIM_TOTAL);
	return period_first_day((enum period_type)t, b->fy, tt->first_period + (int32_t)off);
}

static int32_t blocks_last_day(const struct metric_cells *mc, const struct blocks *b, int t,
                               long off)
{
	const struct metrics_table *tt = blocks_table(mc, b, t, DIM_TOTAL);
	return period_last_day((enum period_type)t, b->fy, tt->first_period + (int32_t)off);
}

static size_t blocks_cell(const struct metric_cells *mc, const struct blocks *b, int t, int d,
                          long off, uint32_t g)
{
	const struct metrics_table *tt = blocks_table(mc, b, t, d);
	return mc->base[b->table[t][d]] + (size_t)off * tt->group_count + g;
}

/* Hides the rows of level t (months or quarters) inside [d0, d1]. */
static void blocks_hide_rows(const struct metric_cells *mc, struct blocks *b, int t, int32_t d0,
                             int32_t d1)
{
	const struct metrics_table *tt = blocks_table(mc, b, t, DIM_TOTAL);
	if (tt == NULL)
		return;
	for (uint32_t i = 0; i < tt->period_count; i++)
		if (blocks_first_day(mc, b, t, i) >= d0 && blocks_last_day(mc, b, t, i) <= d1)
			b->row[t][i] = 1;
}

/* Row blocks from the secret cells of the total. */
static void blocks_rows(const struct metric_cells *mc, struct blocks *b, int f)
{
	const struct metrics_table *years = blocks_table(mc, b, PERIOD_YEAR, DIM_TOTAL);
	bool *year_block = NULL;
	if (years != NULL)
		year_block = calloc(years->period_count, sizeof(bool));
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		const struct metrics_table *tt = blocks_table(mc, b, t, DIM_TOTAL);
		if (tt == NULL)
			continue;
		for (uint32_t i = 0; i < tt->period_count; i++) {
			uint8_t w = mc->why[blocks_cell(mc, b, t, DIM_TOTAL, i, 0)];
			if (!is_secret(w, f) || (w & (CELLS_WHY_BLOCK << f)))
				continue;
			b->row[t][i] = 1;
			int32_t d0 = blocks_first_day(mc, b, t, i),
			        d1 = blocks_last_day(mc, b, t, i);
			if (t == PERIOD_MONTH) {
				long q = blocks_offset(mc, b, PERIOD_QUARTER, d0);
				if (q >= 0)
					blocks_hide_rows(mc, b, PERIOD_MONTH,
					                 blocks_first_day(mc, b, PERIOD_QUARTER, q),
					                 blocks_last_day(mc, b, PERIOD_QUARTER, q));
				continue;
			}
			/* a quarter, a year, a fiscal year: the calendar years it
			 * touches become year blocks */
			if (year_block == NULL)
				continue;
			for (long y = 0; y < (long)years->period_count; y++)
				if (blocks_first_day(mc, b, PERIOD_YEAR, y) <= d1 &&
				    blocks_last_day(mc, b, PERIOD_YEAR, y) >= d0)
					year_block[y] = true;
		}
	}
	for (long y = 0; year_block != NULL && y < (long)years->period_count; y++) {
		if (!year_block[y])
			continue;
		int32_t d0 = blocks_first_day(mc, b, PERIOD_YEAR, y);
		int32_t d1 = blocks_last_day(mc, b, PERIOD_YEAR, y);
		blocks_hide_rows(mc, b, PERIOD_MONTH, d0, d1);
		blocks_hide_rows(mc, b, PERIOD_QUARTER, d0, d1);
	}
	free(year_block);
	/* A fiscal year overlapping hidden months without containing all of
	 * them is their difference with the published parts: hide it. */
	const struct metrics_table *fys = blocks_table(mc, b, PERIOD_FISCAL_YEAR, DIM_TOTAL);
	const struct metrics_table *months = blocks_table(mc, b, PERIOD_MONTH, DIM_TOTAL);
	if (fys == NULL || months == NULL)
		return;
	for (long i = 0; i < (long)months->period_count; i++) {
		if (!b->row[PERIOD_MONTH][i])
			continue;
		/* the block of month i: its quarter's months, or its year's */
		int32_t d0 = blocks_first_day(mc, b, PERIOD_MONTH, i);
		long q = blocks_offset(mc, b, PERIOD_QUARTER, d0);
		long y = blocks_offset(mc, b, PERIOD_YEAR, d0);
		bool whole_year = q >= 0 && b->row[PERIOD_QUARTER][q];
		int32_t b0, b1;
		if (whole_year && y >= 0) {
			b0 = blocks_first_day(mc, b, PERIOD_YEAR, y);
			b1 = blocks_last_day(mc, b, PERIOD_YEAR, y);
		} else if (q >= 0) {
			b0 = blocks_first_day(mc, b, PERIOD_QUARTER, q);
			b1 = blocks_last_day(mc, b, PERIOD_QUARTER, q);
		} else {
			continue;
		}
		long fi = blocks_offset(mc, b, PERIOD_FISCAL_YEAR, d0);
		if (fi < 0)
			continue;
		if (blocks_first_day(mc, b, PERIOD_FISCAL_YEAR, fi) > b0 ||
		    blocks_last_day(mc, b, PERIOD_FISCAL_YEAR, fi) < b1)
			b->row[PERIOD_FISCAL_YEAR][fi] = 1;
	}
}

/* Column blocks nest (see above); true when a group was added. */
static bool blocks_nest(struct blocks *b, uint32_t groups)
{
	bool changed = false;
	uint8_t *m = b->col[PERIOD_MONTH], *q = b->col[PERIOD_QUARTER];
	uint8_t *y = b->col[PERIOD_YEAR], *fy = b->col[PERIOD_FISCAL_YEAR];
	bool aligned = (b->fy - 1) % 3 == 0;
	for (uint32_t g = 0; g < groups; g++) {
		uint8_t before = (uint8_t)(m[g] | q[g] << 1 | y[g] << 2 | fy[g] << 3);
		if (b->fy == 1) {
			y[g] = fy[g] = y[g] | fy[g];
			q[g] |= y[g];
		} else if (aligned) {
			/* quarters hidden, years and fiscal years published: year
			 * minus fiscal year chains the fourth quarters; the fiscal
			 * year goes unless the year is hidden already */
			q[g] |= y[g] | fy[g];
			fy[g] |= q[g] & (uint8_t)!y[g];
		} else {
			q[g] |= y[g];
			m[g] |= fy[g];
		}
		m[g] |= q[g];
		if (!aligned)
			fy[g] = m[g];
		uint8_t after = (uint8_t)(m[g] | q[g] << 1 | y[g] << 2 | fy[g] << 3);
		changed = changed || before != after;
	}
	return changed;
}

/* Level whose periods are made of level t's (month -> quarter, quarter ->
 * year), or -1 for the longest periods. */
static int blocks_parent(int t)
{
	return t == PERIOD_MONTH ? PERIOD_QUARTER : t == PERIOD_QUARTER ? PERIOD_YEAR : -1;
}

/* One group to add to breakdown d's column block at level t so that every
 * hidden cell has room; -1 when none is needed (or none is left). */
static long blocks_need(const struct metric_cells *mc, struct blocks *b, int t, int d, int f,
                        int min_cell)
{
	const struct metrics_table *tt = blocks_table(mc, b, t, d);
	const int64_t *v = mc->values[f];
	uint8_t *col = b->col[t];
	uint32_t hidden = 0;
	for (uint32_t g = 0; g < tt->group_count; g++)
		hidden += col[g];
	if (hidden == 0)
		return -1;
	for (uint32_t i = 0; i < tt->period_count; i++) {
		b->room[i] = 0;
		for (uint32_t g = 0; g < tt->group_count; g++)
			if (col[g])
				b->room[i] += v[blocks_cell(mc, b, t, d, i, g)];
	}
	int par = blocks_parent(t);
	const struct metrics_table *pt = par >= 0 ? blocks_table(mc, b, par, d) : NULL;
	for (uint32_t i = 0; i < tt->period_count; i++) {
		if (b->row[t][i])
			continue; /* a row block: protected as a block */
		if (v[blocks_cell(mc, b, t, DIM_TOTAL, i, 0)] == 0)
			continue; /* a published zero total: its groups are zeros */
		int64_t r = b->room[i];
		int64_t n = r;
		long pi = -1;
		if (pt != NULL) {
			int32_t d0 = blocks_first_day(mc, b, t, i);
			pi = blocks_offset(mc, b, par, d0);
			if (pi >= 0) {
				int32_t p0 = blocks_first_day(mc, b, par, pi);
				int32_t p1 = blocks_last_day(mc, b, par, pi);
				n = 0;
				for (uint32_t j = 0; j < tt->period_count; j++)
					if (blocks_first_day(mc, b, t, j) >= p0 &&
					    blocks_last_day(mc, b, t, j) <= p1)
						n += b->room[j];
			}
		}
		bool short_of_room = false;
		for (uint32_t g = 0; g < tt->group_count && !short_of_room; g++) {
			if (!col[g])
				continue;
			/* alone, a hidden group is the total minus the others */
			int64_t w = hidden >= 2 ? r : 0;
			if (pi >= 0 && !b->col[par][g]) {
				int64_t c = v[blocks_cell(mc, b, par, d, pi, g)];
				if (c == 0)
					continue; /* a child of a published zero */
				int64_t lo = r + c - n > 0 ? r + c - n : 0;
				w = (r < c ? r : c) - lo;
			}
			short_of_room = w < min_cell - 1;
		}
		if (!short_of_room)
			continue;
		/* the group with the smallest share of this period type among
		 * those with something in this period */
		long best = -1;
		int64_t best_sum = 0;
		for (uint32_t g = 0; g < tt->group_count; g++) {
			if (col[g] || v[blocks_cell(mc, b, t, d, i, g)] <= 0)
				continue;
			int64_t sum = 0;
			for (uint32_t j = 0; j < tt->period_count; j++)
				sum += v[blocks_cell(mc, b, t, d, j, g)];
			if (best < 0 || sum < best_sum) {
				best = g;
				best_sum = sum;
			}
		}
		if (best >= 0)
			return best;
	}
	return -1;
}

/* Lays the blocks for field f of a time-additive metric into mc->why. */
bool disclosure_blocks_seed(struct metric_cells *mc, int f, int min_cell)
{
	struct blocks b = {.fy = mc->raw->fy_start_month};
	bool ok = false;
	uint32_t widest = 1, longest = 1;
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
		for (int d = 0; d < DIM_COUNT; d++) {
			b.table[t][d] =
			    disclosure_metric_table(mc, (enum period_type)t, (enum dim)d);
			if (b.table[t][d] < 0)
				continue;
			const struct metrics_table *tt = blocks_table(mc, &b, t, d);
			const struct metrics_table *tot = blocks_table(mc, &b, t, DIM_TOTAL);
			if (tot == NULL || tt->first_period != tot->first_period ||
			    tt->period_count != tot->period_count)
				return true; /* not the expected shape: leave it to the passes */
			if (tt->group_count > widest)
				widest = tt->group_count;
			if (tt->period_count > longest)
				longest = tt->period_count;
		}
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
		if (b.table[t][DIM_TOTAL] < 0)
			return true;
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		b.row[t] = calloc(longest, 1);
		b.col[t] = calloc(widest, 1);
		if (b.row[t] == NULL || b.col[t] == NULL)
			goto done;
	}
	b.room = calloc(longest, sizeof(int64_t));
	if (b.room == NULL)
		goto done;
	blocks_rows(mc, &b, f);
	for (int d = 0; d < DIM_COUNT; d++) {
		if (d == DIM_TOTAL || b.table[PERIOD_MONTH][d] < 0)
			continue;
		uint32_t groups = blocks_table(mc, &b, PERIOD_MONTH, d)->group_count;
		bool shaped = true;
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
			shaped = shaped && b.table[t][d] >= 0 &&
			         blocks_table(mc, &b, t, d)->group_count == groups;
		if (!shaped)
			continue;
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
			memset(b.col[t], 0, widest);
			const struct metrics_table *tt = blocks_table(mc, &b, t, d);
			for (uint32_t i = 0; i < tt->period_count; i++)
				for (uint32_t g = 0; g < groups; g++)
					if (!b.row[t][i] &&
					    is_secret(mc->why[blocks_cell(mc, &b, t, d, i, g)], f))
						b.col[t][g] = 1;
		}
		for (bool again = true; again;) {
			blocks_nest(&b, groups);
			again = false;
			for (int t = PERIOD_FISCAL_YEAR; t >= 0 && !again; t--) {
				long add = blocks_need(mc, &b, t, d, f, min_cell);
				if (add >= 0) {
					b.col[t][add] = 1;
					again = true;
				}
			}
		}
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
			const struct metrics_table *tt = blocks_table(mc, &b, t, d);
			for (uint32_t i = 0; i < tt->period_count; i++)
				for (uint32_t g = 0; g < groups; g++)
					if (b.col[t][g] || b.row[t][i])
						mc->why[blocks_cell(mc, &b, t, d, i, g)] |=
						    (uint8_t)((1u | CELLS_WHY_BLOCK) << f);
		}
	}
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		const struct metrics_table *tt = blocks_table(mc, &b, t, DIM_TOTAL);
		for (uint32_t i = 0; i < tt->period_count; i++)
			if (b.row[t][i])
				mc->why[blocks_cell(mc, &b, t, DIM_TOTAL, i, 0)] |=
				    (uint8_t)((1u | CELLS_WHY_BLOCK) << f);
	}
	ok = true;
done:
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		free(b.row[t]);
		free(b.col[t]);
	}
	free(b.room);
	return ok;
}
