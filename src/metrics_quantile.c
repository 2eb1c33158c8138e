/*
 * metrics_quantile.c — the ranks of the quantiles' order-statistic intervals
 * (issue 14; the rank rule is interval_quantile_ranks(), docs/methods.md
 * "Medians and p90"). A quantile pass visits each cell's values in ascending
 * order and keeps the two values at these ranks (metrics_quantile_capture).
 */
#include "metrics_internal.h"

#include <stdlib.h>

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

bool metrics_quantile_ranks(const struct metrics_table *const *tables, size_t count, double q,
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
