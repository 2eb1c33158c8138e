/*
 * metrics_quantile.c — exact quantiles and their order-statistic intervals
 * (issue 14; the rank rule is interval_quantile_ranks(), docs/methods.md
 * "Medians and p90"). A quantile pass visits each cell's values in ascending
 * order, picks the ranks of the statistic and keeps the two values at the
 * ranks of its interval.
 */
#include "metrics_internal.h"

#include <stdlib.h>
#include <string.h>

#include "casa/interval.h"

static int compare_count(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Index of n in the ascending distinct counts (n is one of them). */
static size_t find_count(const int64_t *counts, size_t count, int64_t n)
{
	size_t lo = 0, hi = count;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (counts[mid] <= n)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* ranks[c] for every cell c of each of `count` tables of one quantile q:
 * out[i] (allocated here, cells of tables[i]; caller frees each) from the
 * cells' denominators (the number of values). The ranks depend on n only,
 * so they are computed once per distinct n over all the tables. false
 * when out of memory (then nothing is left to free). */
static bool quantile_ranks(const struct metrics_table *const *tables, size_t count, double q,
                           double confidence, struct metrics_quantile_ranks **out)
{
	bool ok = false;
	size_t cells = 0, distinct = 0;
	int64_t *counts = NULL;
	struct metrics_quantile_ranks *by_count = NULL;
	for (size_t i = 0; i < count; i++)
		out[i] = NULL;
	for (size_t i = 0; i < count; i++)
		cells += (size_t)tables[i]->period_count * tables[i]->group_count;
	counts = malloc((cells ? cells : 1) * sizeof *counts);
	if (!counts)
		goto fail;
	/* Many cells share a count (every table splits the same values), and
	 * the rule costs a search over a binomial distribution function: once
	 * per distinct count. */
	for (size_t i = 0; i < count; i++) {
		size_t n = (size_t)tables[i]->period_count * tables[i]->group_count;
		for (size_t c = 0; c < n; c++)
			counts[distinct++] = tables[i]->cells[c].denominator;
	}
	qsort(counts, distinct, sizeof *counts, compare_count);
	size_t unique = 0;
	for (size_t k = 0; k < distinct; k++)
		if (unique == 0 || counts[unique - 1] != counts[k])
			counts[unique++] = counts[k];
	by_count = calloc(unique ? unique : 1, sizeof *by_count);
	if (!by_count)
		goto fail;
	for (size_t k = 0; k < unique; k++) {
		struct metrics_quantile_ranks *r = &by_count[k];
		if (!interval_quantile_ranks(counts[k], q, confidence, &r->low, &r->high))
			r->low = r->high = 0; /* too few values: no interval */
	}
	for (size_t i = 0; i < count; i++) {
		size_t n = (size_t)tables[i]->period_count * tables[i]->group_count;
		out[i] = malloc((n ? n : 1) * sizeof *out[i]);
		if (!out[i])
			goto fail;
		for (size_t c = 0; c < n; c++)
			out[i][c] =
			    by_count[find_count(counts, unique, tables[i]->cells[c].denominator)];
	}
	ok = true;
fail:
	if (!ok)
		for (size_t i = 0; i < count; i++) {
			free(out[i]);
			out[i] = NULL;
		}
	free(counts);
	free(by_count);
	return ok;
}

/* Records the value at `rank` (values visited in ascending order) into the
 * cell's interval when rank is one of its interval's ranks. */
static void capture(struct metrics_cell *cell, const struct metrics_quantile_ranks *ranks,
                    int64_t rank, int64_t value)
{
	if (rank == ranks->low)
		cell->quantile_low_s = value;
	/* high > low >= 1 when there is an interval, never 0 */
	if (rank == ranks->high) {
		cell->quantile_high_s = value;
		cell->has_quantile_interval = true;
	}
}

bool metrics_quantile_begin(struct metrics_ctx *ctx, struct metrics_quantile_pass *pass,
                            enum metric_id median, enum metric_id p90)
{
	/* The median and p90 tables of each (type, dim) share their cells'
	 * values; tables[k][i], ranks[k][i]: of the median (k = 0) or the p90
	 * (k = 1), for the i-th (type, dim) that has a table. */
	const struct metrics_table *tables[2][PERIOD_TYPE_COUNT * DIM_COUNT];
	struct metrics_quantile_ranks *ranks[2][PERIOD_TYPE_COUNT * DIM_COUNT] = {{NULL}};
	size_t table_count = 0;
	bool ok = false;
	memset(pass, 0, sizeof *pass);
	pass->median = median;
	pass->p90 = p90;
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
		for (int d = 0; d < DIM_COUNT; d++) {
			const struct metrics_table *table = ctx->tab[median][t][d];
			if (!table)
				continue;
			memset(ctx->stamp[median][t][d], 0,
			       (size_t)table->period_count * table->group_count * sizeof(uint32_t));
			tables[0][table_count] = table;
			tables[1][table_count] = p90 != METRIC_COUNT ? ctx->tab[p90][t][d] : NULL;
			table_count++;
		}
	if (!quantile_ranks(tables[0], table_count, 0.5, ctx->confidence, ranks[0]))
		goto fail;
	if (p90 != METRIC_COUNT &&
	    !quantile_ranks(tables[1], table_count, 0.9, ctx->confidence, ranks[1]))
		goto fail;
	for (int t = 0, i = 0; t < PERIOD_TYPE_COUNT; t++)
		for (int d = 0; d < DIM_COUNT; d++) {
			if (!ctx->tab[median][t][d])
				continue;
			/* i: the same order as above */
			pass->ranks[0][t][d] = ranks[0][i];
			pass->ranks[1][t][d] = ranks[1][i];
			i++;
		}
	ok = true;
fail:
	if (!ok)
		for (size_t k = 0; k < table_count; k++) {
			free(ranks[0][k]);
			free(ranks[1][k]);
		}
	return ok;
}

void metrics_quantile_add(struct metrics_ctx *ctx, const struct metrics_quantile_pass *pass,
                          enum period_type type, uint32_t row, const uint32_t groups[DIM_COUNT],
                          int64_t value)
{
	for (int d = 0; d < DIM_COUNT; d++) {
		struct metrics_table *table = ctx->tab[pass->median][type][d];
		if (!table)
			continue;
		size_t c = (size_t)row * table->group_count + groups[d];
		int64_t n = table->cells[c].denominator;
		int64_t rank = ++ctx->stamp[pass->median][type][d][c];
		/* Median: ranks (n+1)/2 and n/2+1 (the same one for odd n),
		 * summed: twice the statistic. */
		if (rank == (n + 1) / 2)
			table->cells[c].quantile_2s += value;
		if (rank == n / 2 + 1)
			table->cells[c].quantile_2s += value;
		capture(&table->cells[c], &pass->ranks[0][type][d][c], rank, value);
		if (pass->p90 == METRIC_COUNT)
			continue;
		struct metrics_cell *p90 = &ctx->tab[pass->p90][type][d]->cells[c];
		/* p90, nearest rank: ceil(0.9 n) = (9n + 9) / 10. */
		if (rank == (9 * n + 9) / 10)
			p90->quantile_2s = 2 * value;
		capture(p90, &pass->ranks[1][type][d][c], rank, value);
	}
}

void metrics_quantile_end(struct metrics_quantile_pass *pass)
{
	for (int k = 0; k < 2; k++)
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
			for (int d = 0; d < DIM_COUNT; d++) {
				free(pass->ranks[k][t][d]);
				pass->ranks[k][t][d] = NULL;
			}
}
