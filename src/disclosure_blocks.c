/*
 * disclosure_blocks.c — the block pattern of complementary suppression, for
 * the counts that add up over time (docs/privacy.md "Recovery by
 * subtraction", step 0). Called by suppress_metric() in src/disclosure.c
 * before the cell-by-cell passes.
 *
 * Cell by cell choices chain through the two time hierarchies (quarters in
 * years and in fiscal years) and pin counts that each relation alone leaves
 * free; hiding whole blocks gives intervals that can be worked out.
 *
 * A time block is what one column (a group, or the total) must hide around
 * a hidden cell so that its own time relations say nothing: for a month,
 * the three months of its quarter; for a quarter, a year or a fiscal year,
 * the months and quarters of the long period(s) it touches (fiscal years,
 * or calendar years with suppression_year = year, or when fiscal years do
 * not start a quarter); and the long periods of the other kind that
 * straddle the block (sums of hidden and published parts: year minus
 * fiscal year would otherwise chain the fourth quarters from the first year
 * on). Blocks are taken inside the months of the data; where the data holds
 * one month of a quarter or one quarter of a long period, the block grows
 * (a sum of one part is that part).
 *   - A secret count of the total hides its time block in every group and
 *     the total (a row block).
 *   - A secret count of a group hides its time block in that group. The
 *     groups hidden in a period then have, together, a known sum R (the
 *     total minus the published groups); each lies in [0, R] when there are
 *     two or more, and with its longer period published (c), a hidden
 *     month lies in [max(0, c + R - N), min(R, c)] (N: the hidden groups'
 *     quarter; the Frechet bounds of a two-way table with known margins).
 *     Partners join, smallest share of the period type first, each taking
 *     the block of the group it pairs with, until the hidden groups of
 *     every period add up to k or more and each hidden cell has k - 1 of
 *     room.
 * What this reasoning does not cover (chains across several blocks) is left
 * to the cell-by-cell passes that follow.
 */
#include <stdlib.h>
#include <string.h>

#include "disclosure_cells.h"

struct blocks {
	int fy;                                   /* fiscal-year start month */
	long table[PERIOD_TYPE_COUNT][DIM_COUNT]; /* mc table index, -1 when absent */
	uint8_t *row[PERIOD_TYPE_COUNT];          /* hidden rows, by period offset */
	uint8_t *cell[PERIOD_TYPE_COUNT];         /* breakdown at hand: HIDE_* by offset, group */
	uint8_t *seed_type[PERIOD_TYPE_COUNT];    /* the cell whose block hid it: level ... */
	int32_t *seed_offset[PERIOD_TYPE_COUNT];  /* ... and offset (same layout as cell) */
	int seed_t;                               /* the block being laid: its cell's level */
	long seed_i;                              /* and offset */
	uint32_t groups;                          /* groups of the breakdown at hand */
	int basis;                                /* PERIOD_FISCAL_YEAR or PERIOD_YEAR: what
	                                             blocks are made of (see hide_long_block) */
};

#define HIDE_NONE  0 /* published, as far as blocks go */
#define HIDE_BLOCK 1 /* hidden with the time block around it */
#define HIDE_SUM   2 /* a long period straddling a block: hidden, adds hidden parts */

/* -fanalyzer, for the rest of the file: "dereference of NULL" of what
 * blocks_table() returns. It is NULL only for a table that does not exist,
 * and every dereference is of a table checked to exist:
 * disclosure_blocks_seed() returns before any block work unless every
 * level's total exists, and skips a breakdown missing at any level; GCC 12
 * does not carry those checks through the loops. */
CASA_ANALYZER_IGNORE("-Wanalyzer-null-dereference")

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

/* Marks cell (offset i of level t, group g) of the breakdown at hand. */
static void mark(const struct metric_cells *mc, struct blocks *b, int t, long i, uint32_t g,
                 uint8_t how)
{
	const struct metrics_table *tt = blocks_table(mc, b, t, DIM_TOTAL);
	if (i < 0 || i >= (long)tt->period_count)
		return; /* outside the data: a known zero */
	size_t at = (size_t)i * b->groups + g;
	uint8_t *c = &b->cell[t][at];
	if (*c == HIDE_NONE) {
		b->seed_type[t][at] = (uint8_t)b->seed_t;
		b->seed_offset[t][at] = (int32_t)b->seed_i;
	}
	if (*c == HIDE_NONE || how == HIDE_BLOCK)
		*c = how;
}

/* Hides group g's periods of level t inside [d0, d1]. */
static void hide_span(const struct metric_cells *mc, struct blocks *b, int t, int32_t d0,
                      int32_t d1, uint32_t g)
{
	const struct metrics_table *tt = blocks_table(mc, b, t, DIM_TOTAL);
	for (uint32_t i = 0; i < tt->period_count; i++)
		if (blocks_first_day(mc, b, t, i) >= d0 && blocks_last_day(mc, b, t, i) <= d1)
			mark(mc, b, t, i, g, HIDE_BLOCK);
}

/* Hides group g's periods of level t that overlap the block [d0, d1]
 * without containing all of it, both taken inside the months of the data
 * (before and after them every count is a known zero): such a period is a
 * sum of hidden and published parts, or a part of the block's sum, and
 * published it would give a part of the block away. With containing_too,
 * also those containing it (a block of one period: its sum is its value). */
static void hide_straddling(const struct metric_cells *mc, struct blocks *b, int t, int32_t d0,
                            int32_t d1, uint32_t g, bool containing_too)
{
	const struct metrics_table *months = blocks_table(mc, b, PERIOD_MONTH, DIM_TOTAL);
	const struct metrics_table *tt = blocks_table(mc, b, t, DIM_TOTAL);
	int32_t data0 = blocks_first_day(mc, b, PERIOD_MONTH, 0);
	int32_t data1 = blocks_last_day(mc, b, PERIOD_MONTH, (long)months->period_count - 1);
	d0 = d0 < data0 ? data0 : d0;
	d1 = d1 > data1 ? data1 : d1;
	for (uint32_t i = 0; i < tt->period_count; i++) {
		int32_t f0 = blocks_first_day(mc, b, t, i), f1 = blocks_last_day(mc, b, t, i);
		f0 = f0 < data0 ? data0 : f0;
		f1 = f1 > data1 ? data1 : f1;
		if (f0 <= d1 && f1 >= d0 && (containing_too || f0 > d0 || f1 < d1))
			mark(mc, b, t, i, g, HIDE_SUM);
	}
}

/* Periods of level t inside [d0, d1], in the tables (with data). */
static long periods_inside(const struct metric_cells *mc, const struct blocks *b, int t, int32_t d0,
                           int32_t d1)
{
	const struct metrics_table *tt = blocks_table(mc, b, t, DIM_TOTAL);
	long n = 0;
	for (uint32_t i = 0; i < tt->period_count; i++)
		n += blocks_first_day(mc, b, t, i) >= d0 && blocks_last_day(mc, b, t, i) <= d1;
	return n;
}

/* The months and quarters of the long period (a fiscal year, or with
 * b->basis a calendar year) containing `day`, and the long periods of the
 * other kind that straddle it. */
static void hide_long_block(const struct metric_cells *mc, struct blocks *b, int32_t day,
                            uint32_t g)
{
	int basis = b->basis, other = basis == PERIOD_YEAR ? PERIOD_FISCAL_YEAR : PERIOD_YEAR;
	int32_t p = period_index_of((enum period_type)basis, b->fy, day);
	int32_t p0 = period_first_day((enum period_type)basis, b->fy, p);
	int32_t p1 = period_last_day((enum period_type)basis, b->fy, p);
	/* one quarter of data in the long period (the data starts or ends
	 * there): the long period, and any other containing it, would be that
	 * quarter */
	bool single = periods_inside(mc, b, PERIOD_QUARTER, p0, p1) <= 1;
	hide_span(mc, b, PERIOD_MONTH, p0, p1, g);
	hide_span(mc, b, PERIOD_QUARTER, p0, p1, g);
	hide_straddling(mc, b, PERIOD_QUARTER, p0, p1, g, false);
	hide_straddling(mc, b, other, p0, p1, g, single);
	if (single)
		mark(mc, b, basis, blocks_offset(mc, b, basis, day), g, HIDE_BLOCK);
}

/* Hides group g's time block around its cell (level t, offset i). */
static void hide_block(const struct metric_cells *mc, struct blocks *b, int t, long i, uint32_t g)
{
	int32_t d0 = blocks_first_day(mc, b, t, i), d1 = blocks_last_day(mc, b, t, i);
	b->seed_t = t;
	b->seed_i = i;
	mark(mc, b, t, i, g, HIDE_BLOCK);
	if (t == PERIOD_MONTH) {
		int32_t q = period_index_of(PERIOD_QUARTER, b->fy, d0);
		int32_t q0 = period_first_day(PERIOD_QUARTER, b->fy, q);
		int32_t q1 = period_last_day(PERIOD_QUARTER, b->fy, q);
		if (periods_inside(mc, b, PERIOD_MONTH, q0, q1) <= 1) {
			/* one month of data in its quarter: the quarter would be
			 * that month; hide the quarter's block instead */
			long qi = blocks_offset(mc, b, PERIOD_QUARTER, d0);
			if (qi >= 0) {
				hide_block(mc, b, PERIOD_QUARTER, qi, g);
				return;
			}
		}
		hide_span(mc, b, PERIOD_MONTH, q0, q1, g);
		hide_straddling(mc, b, PERIOD_FISCAL_YEAR, q0, q1, g, false);
		return;
	}
	/* a quarter, a year, a fiscal year: the long periods it touches */
	for (int32_t day = d0; day <= d1;) {
		hide_long_block(mc, b, day, g);
		day = period_last_day((enum period_type)b->basis, b->fy,
		                      period_index_of((enum period_type)b->basis, b->fy, day)) +
		      1;
	}
	/* with a January fiscal year, the year and the fiscal year are one count */
	if (b->fy == 1 && t == PERIOD_YEAR)
		mark(mc, b, PERIOD_FISCAL_YEAR, blocks_offset(mc, b, PERIOD_FISCAL_YEAR, d0), g,
		     HIDE_BLOCK);
	if (b->fy == 1 && t == PERIOD_FISCAL_YEAR)
		mark(mc, b, PERIOD_YEAR, blocks_offset(mc, b, PERIOD_YEAR, d0), g, HIDE_BLOCK);
}

/* Row blocks: the time block of every secret count of the total, laid out
 * like a column (the total is one group) and then hidden in every group. */
static void blocks_rows(const struct metric_cells *mc, struct blocks *b, int f, size_t cells)
{
	b->groups = 1;
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
		memset(b->cell[t], 0, cells);
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		const struct metrics_table *tt = blocks_table(mc, b, t, DIM_TOTAL);
		for (uint32_t i = 0; i < tt->period_count; i++) {
			uint8_t w = mc->why[blocks_cell(mc, b, t, DIM_TOTAL, i, 0)];
			/* a count hidden by a block already sits in one */
			if (is_secret(w, f) && !(w & (CELLS_WHY_BLOCK << f)))
				hide_block(mc, b, t, i, 0);
		}
	}
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		const struct metrics_table *tt = blocks_table(mc, b, t, DIM_TOTAL);
		for (uint32_t i = 0; i < tt->period_count; i++)
			b->row[t][i] = b->cell[t][i] != HIDE_NONE;
	}
}

/* Level whose periods are made of level t's (month -> quarter, quarter ->
 * the long period of the blocks), or -1 for the longest periods. */
static int blocks_parent(const struct blocks *b, int t)
{
	return t == PERIOD_MONTH ? PERIOD_QUARTER : t == PERIOD_QUARTER ? b->basis : -1;
}

static bool hidden(const struct blocks *b, int t, long i, uint32_t g)
{
	return b->cell[t][(size_t)i * b->groups + g] != HIDE_NONE;
}

/* True when some hidden cell of period i (level t) of breakdown d has less
 * than k - 1 of room (see the file comment). */
static bool short_of_room(const struct metric_cells *mc, struct blocks *b, int t, int d, long i,
                          int f, int min_cell)
{
	const int64_t *v = mc->values[f];
	uint32_t count = 0;
	int64_t r = 0;
	for (uint32_t g = 0; g < b->groups; g++)
		if (hidden(b, t, i, g)) {
			count++;
			r += v[blocks_cell(mc, b, t, d, i, g)];
		}
	if (count == 0)
		return false;
	int par = blocks_parent(b, t);
	int32_t d0 = blocks_first_day(mc, b, t, i);
	long pi = par >= 0 ? blocks_offset(mc, b, par, d0) : -1;
	int64_t n = 0; /* the hidden groups over the siblings of period i */
	if (pi >= 0) {
		int32_t p0 = blocks_first_day(mc, b, par, pi), p1 = blocks_last_day(mc, b, par, pi);
		const struct metrics_table *tt = blocks_table(mc, b, t, DIM_TOTAL);
		for (uint32_t j = 0; j < tt->period_count; j++) {
			if (blocks_first_day(mc, b, t, j) < p0 || blocks_last_day(mc, b, t, j) > p1)
				continue;
			for (uint32_t g = 0; g < b->groups; g++)
				if (hidden(b, t, i, g))
					n += v[blocks_cell(mc, b, t, d, j, g)];
		}
	}
	for (uint32_t g = 0; g < b->groups; g++) {
		if (!hidden(b, t, i, g))
			continue;
		/* alone, a hidden group is the total minus the others; and the
		 * hidden groups of a period add up to k or more (SPEC §5) */
		int64_t w = count >= 2 && r >= min_cell ? r : 0;
		if (pi >= 0 && !hidden(b, par, pi, g) && !b->row[par][pi]) {
			int64_t c = v[blocks_cell(mc, b, par, d, pi, g)];
			if (c == 0)
				continue; /* a child of a published zero */
			int64_t lo = r + c - n > 0 ? r + c - n : 0;
			w = (r < c ? r : c) - lo;
		}
		if (w < min_cell - 1)
			return true;
	}
	return false;
}

/* Adds one partner where a period of breakdown d lacks room; false when
 * every period has room (or nothing is left to add). */
static bool add_partner(const struct metric_cells *mc, struct blocks *b, int d, int f, int min_cell)
{
	const int64_t *v = mc->values[f];
	for (int t = PERIOD_FISCAL_YEAR; t >= 0; t--) {
		const struct metrics_table *tt = blocks_table(mc, b, t, d);
		for (uint32_t i = 0; i < tt->period_count; i++) {
			if (b->row[t][i] || v[blocks_cell(mc, b, t, DIM_TOTAL, i, 0)] == 0)
				continue; /* a row block; a published zero total */
			if (!short_of_room(mc, b, t, d, i, f, min_cell))
				continue;
			/* the group with the smallest share of this period type
			 * among those with something in this period */
			long best = -1;
			int64_t best_sum = 0;
			for (uint32_t g = 0; g < b->groups; g++) {
				if (hidden(b, t, i, g) || v[blocks_cell(mc, b, t, d, i, g)] <= 0)
					continue;
				int64_t sum = 0;
				for (uint32_t j = 0; j < tt->period_count; j++)
					sum += v[blocks_cell(mc, b, t, d, j, g)];
				if (best < 0 || sum < best_sum) {
					best = g;
					best_sum = sum;
				}
			}
			if (best >= 0) {
				/* the partner takes the same block as the first
				 * hidden group of the period, so that the two
				 * pair up everywhere in it (a block around the
				 * partner's own cell could reach other years) */
				uint32_t first = 0;
				while (!hidden(b, t, i, first))
					first++;
				size_t at = (size_t)i * b->groups + first;
				hide_block(mc, b, b->seed_type[t][at], b->seed_offset[t][at],
				           (uint32_t)best);
				return true;
			}
		}
	}
	return false;
}

/* Lays the blocks for field f of a time-additive metric into mc->why. */
bool disclosure_blocks_seed(struct metric_cells *mc, int f, int min_cell)
{
	struct blocks b = {.fy = mc->raw->fy_start_month};
	bool ok = false;
	uint32_t widest = 1, longest = 1;
	/* Blocks are made of fiscal years, so that fiscal years' breakdowns
	 * stay whole (grant reports); the calendar years that straddle a block
	 * give way. suppression_year = year turns it round. A fiscal year that
	 * does not start a quarter cannot hold whole quarters: calendar years
	 * then. On 20,000 generated children the two cost the same (about
	 * 20,000 secondary cells) and mirror each other. */
	b.basis =
	    mc->calendar_year_blocks || (b.fy - 1) % 3 != 0 ? PERIOD_YEAR : PERIOD_FISCAL_YEAR;
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
		b.cell[t] = calloc((size_t)longest * widest, 1);
		b.seed_type[t] = calloc((size_t)longest * widest, 1);
		b.seed_offset[t] = calloc((size_t)longest * widest, sizeof(int32_t));
		if (b.row[t] == NULL || b.cell[t] == NULL || b.seed_type[t] == NULL ||
		    b.seed_offset[t] == NULL)
			goto done;
	}
	blocks_rows(mc, &b, f, (size_t)longest * widest);
	for (int d = 0; d < DIM_COUNT; d++) {
		if (d == DIM_TOTAL || b.table[PERIOD_MONTH][d] < 0)
			continue;
		b.groups = blocks_table(mc, &b, PERIOD_MONTH, d)->group_count;
		bool shaped = true;
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
			shaped = shaped && b.table[t][d] >= 0 &&
			         blocks_table(mc, &b, t, d)->group_count == b.groups;
		if (!shaped)
			continue;
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
			memset(b.cell[t], 0, (size_t)longest * widest);
		/* every secret cell outside a row block, with its time block */
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
			const struct metrics_table *tt = blocks_table(mc, &b, t, d);
			for (uint32_t i = 0; i < tt->period_count; i++)
				for (uint32_t g = 0; g < b.groups; g++)
					if (!b.row[t][i] &&
					    is_secret(mc->why[blocks_cell(mc, &b, t, d, i, g)], f))
						hide_block(mc, &b, t, i, g);
		}
		while (add_partner(mc, &b, d, f, min_cell))
			;
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
			const struct metrics_table *tt = blocks_table(mc, &b, t, d);
			for (uint32_t i = 0; i < tt->period_count; i++)
				for (uint32_t g = 0; g < b.groups; g++)
					if (b.row[t][i] || hidden(&b, t, i, g))
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
		free(b.cell[t]);
		free(b.seed_type[t]);
		free(b.seed_offset[t]);
	}
	return ok;
}
CASA_ANALYZER_END
