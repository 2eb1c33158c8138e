/*
 * metrics.c — metrics_compute(), which lays out every table of the catalog
 * (metrics_catalog.c) and runs the passes of metrics_days.c,
 * metrics_events.c, metrics_children.c, metrics_cohorts.c and
 * metrics_strata.c over slices of children on options->threads threads,
 * sums the slices and then runs the quantile passes; and the lookups into
 * a result. The reading of every rule is docs/metrics.md.
 */
#include "metrics_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "casa/interval.h"

/* METRICS_THREADS_MAX as text, for the failure's phrase. */
#define THREADS_MAX_TEXT(macro)  THREADS_MAX_TEXT_(macro)
#define THREADS_MAX_TEXT_(value) #value

long metrics_table_key(enum metric_id metric, enum period_type period_type, enum dim dim)
{
	return ((long)metric * PERIOD_TYPE_COUNT + (long)period_type) * DIM_COUNT + (long)dim;
}

const struct metrics_table *metrics_table_find(const struct metrics_result *result,
                                               enum metric_id metric, enum period_type period_type,
                                               enum dim dim)
{
	/* Tables are sorted by (metric, period type, dim): binary search. */
	size_t lo = 0, hi = result->table_count;
	long key = metrics_table_key(metric, period_type, dim);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct metrics_table *t = &result->tables[mid];
		long k = metrics_table_key(t->metric, t->period_type, t->dim);
		if (k == key)
			return t;
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

uint32_t metrics_group_count(const struct metrics_result *result, enum dim dim)
{
	if (dim == DIM_COUNTY)
		return (uint32_t)result->county_count;
	return metrics_fixed_group_count(dim);
}

const char *metrics_result_group_label(const struct metrics_result *result, enum dim dim,
                                       uint32_t group)
{
	if (dim == DIM_COUNTY)
		return group < result->county_count ? result->counties[group] : NULL;
	return metrics_group_label(dim, group);
}

/* ---- layout ---- */

static void ctx_free(struct metrics_ctx *ctx)
{
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		free(ctx->axes[t].bounds);
		free(ctx->axes[t].day_row);
	}
	for (int m = 0; m < METRIC_COUNT; m++)
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
			for (int d = 0; d < DIM_COUNT; d++)
				free(ctx->stamp[m][t][d]);
	metrics_strata_free(ctx);
	memset(ctx, 0, sizeof *ctx);
}

/* -fanalyzer: "use of uninitialized value" bounds[row + 1]: the first loop
 * writes bounds[0..period_count], and row + 1 never passes period_count
 * because every day is before bounds[period_count], the first day after
 * as_of's period. */
CASA_ANALYZER_IGNORE("-Wanalyzer-use-of-uninitialized-value")
static bool axis_init(struct metrics_ctx *ctx, enum period_type type)
{
	struct metrics_axis *axis = &ctx->axes[type];
	int fy = ctx->fy_start_month;
	axis->first_period = period_index_of(type, fy, ctx->first_day);
	int32_t last = period_index_of(type, fy, ctx->as_of);
	axis->period_count = (uint32_t)(last - axis->first_period + 1);
	axis->bounds = malloc((axis->period_count + 1) * sizeof *axis->bounds);
	axis->day_row = malloc(ctx->day_count * sizeof *axis->day_row);
	if (!axis->bounds || !axis->day_row)
		return false;
	for (uint32_t r = 0; r <= axis->period_count; r++)
		axis->bounds[r] = period_first_day(type, fy, axis->first_period + (int32_t)r);
	uint32_t row = 0;
	for (uint32_t i = 0; i < ctx->day_count; i++) {
		int32_t day = ctx->first_day + (int32_t)i;
		while (axis->bounds[row + 1] <= day)
			row++;
		axis->day_row[i] = row;
	}
	return true;
}
CASA_ANALYZER_END

/* -fanalyzer: "leak" of a stamp array: it is stored in ctx->stamp[m][t][d]
 * (variable indices, which GCC 12 does not follow) before any goto fail,
 * and ctx_free() frees every entry. */
CASA_ANALYZER_IGNORE("-Wanalyzer-malloc-leak")
static bool ctx_init(struct metrics_ctx *ctx, const struct model *model,
                     const struct metrics_options *options, struct metrics_result *out)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->model = model;
	ctx->as_of = model->as_of;
	ctx->first_day = model->first_day <= model->as_of ? model->first_day : model->as_of;
	ctx->day_count = (uint32_t)(ctx->as_of - ctx->first_day + 1);
	ctx->fy_start_month = out->fy_start_month;
	ctx->screening_window_s = options->screening_window_s;
	ctx->confidence = options->confidence;
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		if (!axis_init(ctx, (enum period_type)t))
			goto fail;
	}

	size_t count = 0;
	for (int m = 0; m < METRIC_COUNT; m++)
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
			for (int d = 0; d < DIM_COUNT; d++)
				if ((metrics_catalog[m].period_types & PERIOD_BIT(t)) &&
				    (metrics_catalog[m].dims & DIM_BIT(d)))
					count++;
	out->tables = calloc(count, sizeof *out->tables);
	if (!out->tables)
		goto fail;
	for (int m = 0; m < METRIC_COUNT; m++) {
		/* A source without trafficking_identifications: the trafficking
		 * metrics have no table at all (not empty ones). */
		if (metrics_catalog[m].needs_identifications && !model->has_identifications)
			continue;
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
			for (int d = 0; d < DIM_COUNT; d++) {
				if (!(metrics_catalog[m].period_types & PERIOD_BIT(t)) ||
				    !(metrics_catalog[m].dims & DIM_BIT(d)))
					continue;
				struct metrics_table *table = &out->tables[out->table_count++];
				table->metric = (enum metric_id)m;
				table->period_type = (enum period_type)t;
				table->dim = (enum dim)d;
				table->first_period = ctx->axes[t].first_period;
				table->period_count = ctx->axes[t].period_count;
				table->group_count = metrics_group_count(out, (enum dim)d);
				size_t cells = (size_t)table->period_count * table->group_count;
				/* calloc(0) may return NULL: allocate at least one. */
				table->cells = calloc(cells ? cells : 1, sizeof *table->cells);
				ctx->stamp[m][t][d] =
				    calloc(cells ? cells : 1, sizeof *ctx->stamp[m][t][d]);
				if (!table->cells || !ctx->stamp[m][t][d])
					goto fail;
				ctx->tab[m][t][d] = table;
				struct metrics_slot *slot =
				    &ctx->slots[m][t][ctx->slot_count[m][t]++];
				slot->table = table;
				slot->stamp = ctx->stamp[m][t][d];
				slot->dim = (enum dim)d;
			}
		}
	}
	return true;
fail:
	return false;
}
CASA_ANALYZER_END

/* moves_per_1000_days_in_care has the denominators (days in care) and the
 * children of runaway_episodes_per_1000_days: every move falls on a day in
 * care of the same group (moves start placements, which start in care). */
static void copy_days_in_care(struct metrics_ctx *ctx)
{
	for (int t = 0; t < PERIOD_TYPE_COUNT; t++) {
		for (int d = 0; d < DIM_COUNT; d++) {
			struct metrics_table *moves =
			    ctx->tab[METRIC_MOVES_PER_1000_DAYS_IN_CARE][t][d];
			const struct metrics_table *days =
			    ctx->tab[METRIC_RUNAWAY_EPISODES_PER_1000_DAYS][t][d];
			if (!moves || !days)
				continue;
			size_t cells = (size_t)moves->period_count * moves->group_count;
			for (size_t i = 0; i < cells; i++) {
				moves->cells[i].denominator = days->cells[i].denominator;
				moves->cells[i].children = days->cells[i].children;
			}
		}
	}
}

/* ---- slices of children on threads ---- */

/* One slice after the first (which the main ctx runs, into the result's
 * tables): a ctx with the main one's axes and settings, and its own zeroed
 * copy of every table and stamp array. */
struct metrics_worker {
	struct metrics_ctx ctx;       /* axes borrowed from the main ctx */
	struct metrics_table *tables; /* copies of the result's tables, own cells */
	size_t table_count;           /* entries in tables */
	pthread_t thread;             /* when started */
	bool started;                 /* the thread runs (else run inline) */
	bool ok;                      /* its passes succeeded */
};

/* Where slice k of n begins: at the k/n share of the episodes, moved on to
 * the first episode of a child, so a child is in one slice only (its
 * stamps, reference days and cohorts see all its episodes). */
static size_t slice_first(const struct model *model, unsigned k, unsigned n)
{
	size_t e = (size_t)((uint64_t)model->episode_count * k / n);
	while (e > 0 && e < model->episode_count &&
	       model->episodes[e].child == model->episodes[e - 1].child)
		e++;
	return e;
}

/* Every count of one slice. */
static bool run_slice(struct metrics_ctx *ctx)
{
	return metrics_pass_children(ctx) && metrics_pass_days(ctx) && metrics_pass_missing(ctx) &&
	       metrics_pass_cohorts(ctx) && metrics_pass_strata(ctx);
}

static void *run_worker(void *arg)
{
	struct metrics_worker *w = arg;
	w->ok = run_slice(&w->ctx);
	return NULL;
}

/* Frees what the worker owns (not the borrowed axes). */
static void worker_free(struct metrics_worker *w)
{
	for (int m = 0; m < METRIC_COUNT; m++)
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
			for (int d = 0; d < DIM_COUNT; d++)
				free(w->ctx.stamp[m][t][d]);
	metrics_strata_free(&w->ctx);
	for (size_t i = 0; i < w->table_count; i++)
		free(w->tables[i].cells);
	free(w->tables);
	memset(w, 0, sizeof *w);
}

/* -fanalyzer: "leak" of a stamp or cell array: each is stored in
 * w->ctx.stamp[m][t][d] or w->tables[i].cells (variable indices, which
 * GCC 12 does not follow) before any return, and worker_free() frees every
 * entry. */
CASA_ANALYZER_IGNORE("-Wanalyzer-malloc-leak")
static bool worker_init(struct metrics_worker *w, const struct metrics_ctx *main_ctx,
                        const struct metrics_result *out, size_t first, size_t last)
{
	memset(w, 0, sizeof *w);
	w->ctx = *main_ctx;
	w->ctx.strata = NULL;
	w->ctx.episode_first = first;
	w->ctx.episode_last = last;
	memset(w->ctx.stamp, 0, sizeof w->ctx.stamp);
	w->tables = calloc(out->table_count ? out->table_count : 1, sizeof *w->tables);
	if (!w->tables)
		return false;
	w->table_count = out->table_count;
	for (size_t i = 0; i < out->table_count; i++) {
		size_t cells = (size_t)out->tables[i].period_count * out->tables[i].group_count;
		w->tables[i] = out->tables[i];
		w->tables[i].cells = calloc(cells ? cells : 1, sizeof *w->tables[i].cells);
		if (!w->tables[i].cells)
			return false;
	}
	for (int m = 0; m < METRIC_COUNT; m++)
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
			for (int d = 0; d < DIM_COUNT; d++) {
				const struct metrics_table *table = main_ctx->tab[m][t][d];
				if (!table)
					continue;
				size_t cells = (size_t)table->period_count * table->group_count;
				w->ctx.tab[m][t][d] = &w->tables[table - out->tables];
				w->ctx.stamp[m][t][d] =
				    calloc(cells ? cells : 1, sizeof *w->ctx.stamp[m][t][d]);
				if (!w->ctx.stamp[m][t][d])
					return false;
			}
	for (int m = 0; m < METRIC_COUNT; m++)
		for (int t = 0; t < PERIOD_TYPE_COUNT; t++)
			for (uint32_t k = 0; k < w->ctx.slot_count[m][t]; k++) {
				struct metrics_slot *slot = &w->ctx.slots[m][t][k];
				slot->table = w->ctx.tab[m][t][slot->dim];
				slot->stamp = w->ctx.stamp[m][t][slot->dim];
			}
	return true;
}
CASA_ANALYZER_END

/* Adds a worker's counts into the result: every count is an integer sum,
 * and a child's episodes are all in one slice, so the distinct children
 * of the slices add up. The quantiles and expected counts come later. */
static void worker_merge(struct metrics_ctx *main_ctx, struct metrics_result *out,
                         const struct metrics_worker *w)
{
	for (size_t i = 0; i < out->table_count; i++) {
		struct metrics_cell *to = out->tables[i].cells;
		const struct metrics_cell *from = w->tables[i].cells;
		size_t cells = (size_t)out->tables[i].period_count * out->tables[i].group_count;
		for (size_t c = 0; c < cells; c++) {
			to[c].numerator += from[c].numerator;
			to[c].denominator += from[c].denominator;
			to[c].children += from[c].children;
		}
	}
	metrics_strata_merge(main_ctx, &w->ctx);
}

static void *run_quantiles_assignment(void *arg)
{
	return metrics_quantiles_assignment(arg) ? arg : NULL;
}

/* The slices: the main ctx runs the first, each worker one of the
 * others, on its own thread when one starts. */
static bool run_slices(struct metrics_ctx *ctx, struct metrics_result *out,
                       struct metrics_worker *workers, unsigned n)
{
	bool ok = true;
	for (unsigned k = 1; k < n; k++) {
		struct metrics_worker *w = &workers[k - 1];
		if (!worker_init(w, ctx, out, slice_first(ctx->model, k, n),
		                 slice_first(ctx->model, k + 1, n))) {
			ok = false;
			break;
		}
		w->started = pthread_create(&w->thread, NULL, run_worker, w) == 0;
	}
	ok = ok && run_slice(ctx);
	for (unsigned k = 1; k < n; k++) {
		struct metrics_worker *w = &workers[k - 1];
		if (w->started)
			pthread_join(w->thread, NULL);
		else if (ok && w->tables)
			w->ok = run_slice(&w->ctx);
		ok = ok && w->ok;
	}
	if (ok)
		for (unsigned k = 1; k < n; k++)
			worker_merge(ctx, out, &workers[k - 1]);
	for (unsigned k = 1; k < n; k++)
		worker_free(&workers[k - 1]);
	return ok;
}

/* The two quantile passes, on two threads when there are. */
static bool run_quantiles(struct metrics_ctx *ctx, unsigned n)
{
	pthread_t thread;
	bool threaded = n > 1 && pthread_create(&thread, NULL, run_quantiles_assignment, ctx) == 0;
	bool assignment_ok = threaded || metrics_quantiles_assignment(ctx);
	bool missing_ok = metrics_quantiles_missing(ctx);
	if (threaded) {
		void *ret = NULL;
		pthread_join(thread, &ret);
		assignment_ok = ret != NULL;
	}
	return assignment_ok && missing_ok;
}

const char *metrics_failure_text(enum metrics_failure failure)
{
	switch (failure) {
	case METRICS_FAILED_MEMORY:
		return "out of memory";
	case METRICS_FAILED_FY_START_MONTH:
		return "fiscal year start month is not 1..12";
	case METRICS_FAILED_SCREENING_WINDOW:
		return "screening window is not a positive number of seconds";
	case METRICS_FAILED_CONFIDENCE:
		return "confidence level is not one an interval accepts";
	case METRICS_FAILED_THREADS:
		return "thread count is not 1.." THREADS_MAX_TEXT(METRICS_THREADS_MAX);
	}
	return "unknown failure";
}

/* -fanalyzer: "leak of strdup" for out->counties[i]: stored at a variable
 * index of a heap array, which GCC 12 does not follow; on failure
 * metrics_free() frees the county_count names already copied. */
CASA_ANALYZER_IGNORE("-Wanalyzer-malloc-leak")
bool metrics_compute(const struct model *model, const struct metrics_options *options,
                     struct metrics_result *out, enum metrics_failure *failure)
{
	struct metrics_ctx ctx;
	enum metrics_failure why = METRICS_FAILED_MEMORY;
	memset(&ctx, 0, sizeof ctx);
	memset(out, 0, sizeof *out);
	/* The stage has no defaults (config.c owns them): a value out of range
	 * is the caller's mistake, refused rather than replaced. */
	if (options->fy_start_month < 1 || options->fy_start_month > 12) {
		why = METRICS_FAILED_FY_START_MONTH;
		goto fail;
	}
	if (options->screening_window_s <= 0) {
		why = METRICS_FAILED_SCREENING_WINDOW;
		goto fail;
	}
	if (!interval_confidence_valid(options->confidence)) {
		why = METRICS_FAILED_CONFIDENCE;
		goto fail;
	}
	if (options->threads < 1 || options->threads > METRICS_THREADS_MAX) {
		why = METRICS_FAILED_THREADS;
		goto fail;
	}
	out->as_of = model->as_of;
	out->fy_start_month = options->fy_start_month;
	if (model->county_count) {
		out->counties = calloc(model->county_count, sizeof *out->counties);
		if (!out->counties)
			goto fail;
		for (size_t i = 0; i < model->county_count; i++) {
			out->counties[i] = strdup(model->counties[i]);
			if (!out->counties[i])
				goto fail;
			out->county_count = i + 1;
		}
	}
	if (!ctx_init(&ctx, model, options, out))
		goto fail;

	/* Slices of children on options->threads threads, then the
	 * quantiles, which need every cell's count. */
	unsigned n = (unsigned)options->threads;
	struct metrics_worker *workers = NULL;
	if (n > 1) {
		workers = calloc(n - 1, sizeof *workers);
		if (!workers)
			goto fail;
	}
	ctx.episode_first = 0;
	ctx.episode_last = slice_first(model, 1, n);
	bool counted = run_slices(&ctx, out, workers, n);
	free(workers);
	if (!counted || !run_quantiles(&ctx, n))
		goto fail;
	copy_days_in_care(&ctx);
	metrics_strata_finish(&ctx);
	ctx_free(&ctx);
	return true;
fail:
	ctx_free(&ctx);
	metrics_free(out);
	*failure = why;
	return false;
}
CASA_ANALYZER_END

void metrics_free(struct metrics_result *result)
{
	if (!result)
		return;
	for (size_t i = 0; i < result->table_count; i++)
		free(result->tables[i].cells);
	free(result->tables);
	for (size_t i = 0; i < result->county_count; i++)
		free(result->counties[i]);
	free(result->counties);
	memset(result, 0, sizeof *result);
}
