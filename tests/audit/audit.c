/*
 * audit.c — see audit.h. Test code: compiled into test_audit and casa-audit
 * by #include, never into the daemon.
 *
 * GLPK is loaded with dlopen() so the test builds with the project's CMake
 * globs (which link tests with `casa` and `check` only); with CMake lines for
 * -lglpk the loader could become a plain link (see docs/privacy.md).
 *
 * Method. Unknowns: the suppressed counts of one field of one metric. For
 * each relation parent = sum(children) holding one or more unknowns, one
 * equality row. x* (the true counts) is feasible by construction (checked).
 * An unknown is safe when two feasible points differ in it by k - 1 or more
 * (then, by convexity, at least k integers lie between): every LP solution
 * is such a witness for all unknowns at once, so most unknowns are proven
 * safe by a few LPs; the others get their exact LP minimum and maximum.
 * Integrality: the bound is the LP relaxation's (an outer bound of the
 * attacker's integer interval; these sum tables are network-like, where the
 * two agree).
 */
#include "audit.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casa/date.h"

#if defined(__has_include)
#if __has_include(<glpk.h>)
#include <glpk.h>
#define AUDIT_HAVE_GLPK 1
#endif
#endif

#ifdef AUDIT_HAVE_GLPK

struct glpk_api {
	void *handle;
	glp_prob *(*create_prob)(void);
	void (*delete_prob)(glp_prob *);
	void (*set_obj_dir)(glp_prob *, int);
	int (*add_rows)(glp_prob *, int);
	int (*add_cols)(glp_prob *, int);
	void (*set_row_bnds)(glp_prob *, int, int, double, double);
	void (*set_col_bnds)(glp_prob *, int, int, double, double);
	void (*set_obj_coef)(glp_prob *, int, double);
	void (*load_matrix)(glp_prob *, int, const int[], const int[], const double[]);
	void (*init_smcp)(glp_smcp *);
	int (*simplex)(glp_prob *, const glp_smcp *);
	int (*get_status)(glp_prob *);
	double (*get_col_prim)(glp_prob *, int);
	int (*term_out)(int);
};

static bool glpk_sym(void *handle, const char *name, void *fn, size_t size)
{
	void *sym = dlsym(handle, name);
	if (sym == NULL)
		return false;
	memcpy(fn, &sym, size); /* object to function pointer, as POSIX allows */
	return true;
}

#define GLPK_SYM(g, field, name) glpk_sym((g)->handle, name, &(g)->field, sizeof((g)->field))

static bool glpk_load(struct glpk_api *g, char err[AUDIT_ERROR_LEN])
{
	memset(g, 0, sizeof(*g));
	g->handle = dlopen("libglpk.so.40", RTLD_NOW | RTLD_LOCAL);
	if (g->handle == NULL)
		g->handle = dlopen("libglpk.so", RTLD_NOW | RTLD_LOCAL);
	if (g->handle == NULL) {
		snprintf(err, AUDIT_ERROR_LEN, "audit: GLPK not found (apt-get install libglpk-dev)");
		return false;
	}
	if (!GLPK_SYM(g, create_prob, "glp_create_prob") ||
	    !GLPK_SYM(g, delete_prob, "glp_delete_prob") ||
	    !GLPK_SYM(g, set_obj_dir, "glp_set_obj_dir") ||
	    !GLPK_SYM(g, add_rows, "glp_add_rows") || !GLPK_SYM(g, add_cols, "glp_add_cols") ||
	    !GLPK_SYM(g, set_row_bnds, "glp_set_row_bnds") ||
	    !GLPK_SYM(g, set_col_bnds, "glp_set_col_bnds") ||
	    !GLPK_SYM(g, set_obj_coef, "glp_set_obj_coef") ||
	    !GLPK_SYM(g, load_matrix, "glp_load_matrix") ||
	    !GLPK_SYM(g, init_smcp, "glp_init_smcp") || !GLPK_SYM(g, simplex, "glp_simplex") ||
	    !GLPK_SYM(g, get_status, "glp_get_status") ||
	    !GLPK_SYM(g, get_col_prim, "glp_get_col_prim") ||
	    !GLPK_SYM(g, term_out, "glp_term_out")) {
		snprintf(err, AUDIT_ERROR_LEN, "audit: GLPK lacks a needed function");
		dlclose(g->handle);
		return false;
	}
	g->term_out(GLP_OFF);
	return true;
}

/* All cells of one metric, numbered table by table. */
struct audit_metric {
	const struct metrics_result *raw;    /* true counts */
	const struct disclosure_result *pub; /* what was published */
	size_t table[PERIOD_TYPE_COUNT * DIM_COUNT]; /* table indexes of the metric */
	size_t base[PERIOD_TYPE_COUNT * DIM_COUNT];  /* first cell number of each */
	size_t table_count;                  /* tables of the metric */
	size_t cell_count;                   /* cells of the metric */
};

/* Relations as member lists, the parent first. */
struct audit_relations {
	size_t *members;  /* cell numbers */
	size_t *start;    /* relation r: members[start[r] .. start[r + 1]) */
	size_t count;     /* relations */
	size_t used;      /* members used */
	size_t cap_rel;   /* allocated relations */
	size_t cap_mem;   /* allocated members */
};

static bool rel_add(struct audit_relations *rel, const size_t *members, size_t n)
{
	if (rel->count + 2 > rel->cap_rel) {
		size_t cap = rel->cap_rel ? 2 * rel->cap_rel : 512;
		size_t *s = realloc(rel->start, cap * sizeof(*s));
		if (s == NULL)
			return false;
		rel->start = s;
		rel->cap_rel = cap;
	}
	if (rel->used + n > rel->cap_mem) {
		size_t cap = rel->cap_mem ? 2 * rel->cap_mem : 4096;
		while (cap < rel->used + n)
			cap *= 2;
		size_t *m = realloc(rel->members, cap * sizeof(*m));
		if (m == NULL)
			return false;
		rel->members = m;
		rel->cap_mem = cap;
	}
	rel->start[rel->count] = rel->used;
	memcpy(rel->members + rel->used, members, n * sizeof(*members));
	rel->used += n;
	rel->count++;
	rel->start[rel->count] = rel->used;
	return true;
}

static const struct metrics_table *am_table(const struct audit_metric *am, size_t i)
{
	return &am->raw->tables[am->table[i]];
}

static long am_find(const struct audit_metric *am, enum period_type type, enum dim dim)
{
	for (size_t i = 0; i < am->table_count; i++)
		if (am_table(am, i)->period_type == type && am_table(am, i)->dim == dim)
			return (long)i;
	return -1;
}

/* Enumerates the relations of one metric for one field (see audit.h). */
static bool enumerate_relations(const struct audit_metric *am, bool time_additive,
				struct audit_relations *rel)
{
	size_t *members = malloc((am->cell_count + 1) * sizeof(*members));
	if (members == NULL)
		return false;
	/* groups -> total of the same period */
	for (size_t i = 0; i < am->table_count; i++) {
		const struct metrics_table *t = am_table(am, i);
		long ti = am_find(am, t->period_type, DIM_TOTAL);
		if (t->dim == DIM_TOTAL || ti < 0)
			continue;
		const struct metrics_table *tot = am_table(am, (size_t)ti);
		for (uint32_t p = 0; p < t->period_count; p++) {
			int32_t period = t->first_period + (int32_t)p;
			if (period < tot->first_period ||
			    period >= tot->first_period + (int32_t)tot->period_count)
				continue;
			size_t n = 0;
			members[n++] = am->base[ti] + (size_t)(period - tot->first_period);
			for (uint32_t g = 0; g < t->group_count; g++)
				members[n++] = am->base[i] + (size_t)p * t->group_count + g;
			if (!rel_add(rel, members, n))
				goto fail;
		}
	}
	if (!time_additive)
		goto done;
	/* finer periods that tile a coarser one, group by group */
	for (size_t ci = 0; ci < am->table_count; ci++) {
		for (size_t fi = 0; fi < am->table_count; fi++) {
			const struct metrics_table *c = am_table(am, ci), *f = am_table(am, fi);
			if (c->dim != f->dim || c->group_count != f->group_count)
				continue;
			bool finer = (f->period_type == PERIOD_MONTH && c->period_type != PERIOD_MONTH) ||
				     (f->period_type == PERIOD_QUARTER &&
				      (c->period_type == PERIOD_YEAR ||
				       c->period_type == PERIOD_FISCAL_YEAR));
			if (!finer)
				continue;
			int fy = am->raw->fy_start_month;
			for (uint32_t p = 0; p < c->period_count; p++) {
				int32_t cp = c->first_period + (int32_t)p;
				int32_t a = period_first_day(c->period_type, fy, cp);
				int32_t b = period_last_day(c->period_type, fy, cp);
				int32_t f0 = period_index_of(f->period_type, fy, a);
				bool tiles = period_first_day(f->period_type, fy, f0) == a;
				int32_t f1 = f0;
				while (period_last_day(f->period_type, fy, f1) < b)
					f1++;
				tiles = tiles && period_last_day(f->period_type, fy, f1) == b;
				if (!tiles)
					continue;
				for (uint32_t g = 0; g < c->group_count; g++) {
					size_t n = 0;
					members[n++] = am->base[ci] + (size_t)p * c->group_count + g;
					for (int32_t fp = f0; fp <= f1; fp++) {
						/* a period outside the table has no data: a known 0 */
						if (fp < f->first_period ||
						    fp >= f->first_period + (int32_t)f->period_count)
							continue;
						members[n++] = am->base[fi] +
							       (size_t)(fp - f->first_period) * f->group_count +
							       g;
					}
					if (!rel_add(rel, members, n))
						goto fail;
				}
			}
		}
	}
done:
	free(members);
	return true;
fail:
	free(members);
	return false;
}

static const struct disclosure_cell *pub_cell(const struct audit_metric *am, size_t id,
					      const struct metrics_cell **raw_out)
{
	size_t i = am->table_count - 1;
	while (am->base[i] > id)
		i--;
	const struct metrics_table *t = am_table(am, i);
	*raw_out = &t->cells[id - am->base[i]];
	return &am->pub->tables[am->table[i]].cells[id - am->base[i]];
}

static void describe(const struct audit_metric *am, size_t id, int field)
{
	size_t i = am->table_count - 1;
	while (am->base[i] > id)
		i--;
	const struct metrics_table *t = am_table(am, i);
	size_t c = id - am->base[i];
	char label[PERIOD_LABEL_LEN];
	period_label(t->period_type, t->first_period + (int32_t)(c / t->group_count), label);
	fprintf(stderr, "audit: exposed: %s %s by=%s period=%s group=%zu %s\n",
		metrics_catalog[t->metric].id, period_type_name(t->period_type),
		metrics_dim_name(t->dim), label, c % t->group_count,
		field == 0 ? "numerator" : "denominator");
}

static int64_t true_value(const struct metrics_cell *cell, int field)
{
	return field == 0 ? cell->numerator : cell->denominator;
}

/* Audits one field of one metric. */
static bool audit_field(struct glpk_api *g, const struct audit_metric *am, int field,
			bool time_additive, struct audit_report *report, char err[AUDIT_ERROR_LEN])
{
	bool ok = false;
	int k = am->pub->min_cell;
	struct audit_relations rel = {0};
	int *column = calloc(am->cell_count, sizeof(int)); /* 1-based unknown, 0 = published */
	bool *zero = calloc(am->cell_count, sizeof(bool)); /* forced 0 by published zeros */
	size_t *unknown = NULL;
	double *lo_seen = NULL, *hi_seen = NULL;
	bool *proven = NULL;
	int *ia = NULL, *ja = NULL;
	double *ar = NULL;
	glp_prob *lp = NULL;
	if (column == NULL || zero == NULL)
		goto oom;

	size_t n_unknown = 0;
	for (size_t id = 0; id < am->cell_count; id++) {
		const struct metrics_cell *raw;
		const struct disclosure_cell *pc = pub_cell(am, id, &raw);
		if (pc->suppressed)
			column[id] = (int)++n_unknown;
		else if (true_value(raw, field) == 0)
			zero[id] = true;
	}
	if (n_unknown == 0) {
		ok = true;
		goto done;
	}
	if (!enumerate_relations(am, time_additive, &rel))
		goto oom;

	/* Zeros the attacker derives from published zeros alone: children of a
	 * zero parent, a parent of zero children. */
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t r = 0; r < rel.count; r++) {
			size_t s = rel.start[r], e = rel.start[r + 1];
			bool all_children = true;
			for (size_t m = s + 1; m < e; m++)
				all_children = all_children && zero[rel.members[m]];
			if (all_children && !zero[rel.members[s]]) {
				zero[rel.members[s]] = true;
				changed = true;
			}
			if (zero[rel.members[s]])
				for (size_t m = s + 1; m < e; m++)
					if (!zero[rel.members[m]]) {
						zero[rel.members[m]] = true;
						changed = true;
					}
		}
	}

	unknown = malloc(n_unknown * sizeof(*unknown));
	lo_seen = malloc(n_unknown * sizeof(double));
	hi_seen = malloc(n_unknown * sizeof(double));
	proven = calloc(n_unknown, sizeof(bool));
	ia = malloc((rel.used + 1) * sizeof(int));
	ja = malloc((rel.used + 1) * sizeof(int));
	ar = malloc((rel.used + 1) * sizeof(double));
	if (!unknown || !lo_seen || !hi_seen || !proven || !ia || !ja || !ar)
		goto oom;
	for (size_t id = 0; id < am->cell_count; id++) {
		if (column[id] == 0)
			continue;
		const struct metrics_cell *raw;
		(void)pub_cell(am, id, &raw);
		unknown[column[id] - 1] = id;
		lo_seen[column[id] - 1] = hi_seen[column[id] - 1] = (double)true_value(raw, field);
	}

	lp = g->create_prob();
	g->add_cols(lp, (int)n_unknown);
	for (size_t j = 1; j <= n_unknown; j++)
		g->set_col_bnds(lp, (int)j, GLP_LO, 0.0, 0.0);
	int rows = 0, nz = 0;
	for (size_t r = 0; r < rel.count; r++) {
		size_t s = rel.start[r], e = rel.start[r + 1];
		int64_t rhs = 0, rhs_true = 0;
		bool has_unknown = false;
		for (size_t m = s; m < e; m++) {
			const struct metrics_cell *raw;
			(void)pub_cell(am, rel.members[m], &raw);
			int64_t sign = m == s ? 1 : -1; /* parent - children = 0 */
			rhs_true += sign * true_value(raw, field);
			if (column[rel.members[m]])
				has_unknown = true;
			else
				rhs -= sign * true_value(raw, field);
		}
		if (rhs_true != 0) {
			snprintf(err, AUDIT_ERROR_LEN,
				 "audit: raw cells of %s do not add up (relation %zu, %s)",
				 metrics_catalog[am_table(am, 0)->metric].id, r,
				 field == 0 ? "numerator" : "denominator");
			goto done;
		}
		if (!has_unknown)
			continue;
		rows++;
		g->add_rows(lp, 1);
		g->set_row_bnds(lp, rows, GLP_FX, (double)rhs, (double)rhs);
		for (size_t m = s; m < e; m++) {
			if (!column[rel.members[m]])
				continue;
			nz++;
			ia[nz] = rows;
			ja[nz] = column[rel.members[m]];
			ar[nz] = m == s ? 1.0 : -1.0;
		}
	}
	report->relations += (uint64_t)rows;
	report->unknowns += n_unknown;
	if (nz > 0)
		g->load_matrix(lp, nz, ia, ja, ar);

	glp_smcp parm;
	g->init_smcp(&parm);
	parm.msg_lev = GLP_MSG_OFF;
	parm.presolve = GLP_OFF;
	const double need = (double)(k - 1) - 1e-6;

	/* Solves with the current objective; folds the solution into the
	 * witnesses. Returns the status (GLP_OPT, GLP_UNBND, ...). */
#define SOLVE(status_out)                                                                    \
	do {                                                                                 \
		report->lp_solves++;                                                         \
		int rc_ = g->simplex(lp, &parm);                                             \
		if (rc_ != 0) {                                                              \
			g->init_smcp(&parm); /* retry from a fresh basis with presolve */    \
			parm.msg_lev = GLP_MSG_OFF;                                          \
			parm.presolve = GLP_ON;                                              \
			rc_ = g->simplex(lp, &parm);                                         \
			parm.presolve = GLP_OFF;                                             \
		}                                                                            \
		(status_out) = rc_ == 0 ? g->get_status(lp) : -1;                            \
		if ((status_out) == GLP_OPT)                                                 \
			for (size_t j_ = 0; j_ < n_unknown; j_++) {                          \
				double v_ = g->get_col_prim(lp, (int)j_ + 1);                \
				if (v_ < lo_seen[j_])                                        \
					lo_seen[j_] = v_;                                    \
				if (v_ > hi_seen[j_])                                        \
					hi_seen[j_] = v_;                                    \
			}                                                                    \
	} while (0)

	int status;
	/* Batch witnesses: push every unknown up, then down. */
	for (int dir = 0; dir < 2; dir++) {
		g->set_obj_dir(lp, dir == 0 ? GLP_MAX : GLP_MIN);
		for (size_t j = 1; j <= n_unknown; j++)
			g->set_obj_coef(lp, (int)j, 1.0);
		SOLVE(status);
		(void)status;
	}
	for (size_t j = 1; j <= n_unknown; j++)
		g->set_obj_coef(lp, (int)j, 0.0);

	for (size_t j = 0; j < n_unknown; j++) {
		if (hi_seen[j] - lo_seen[j] >= need)
			continue;
		double lo = lo_seen[j], hi = hi_seen[j];
		bool unbounded = false;
		g->set_obj_coef(lp, (int)j + 1, 1.0);
		g->set_obj_dir(lp, GLP_MAX);
		SOLVE(status);
		if (status == GLP_UNBND)
			unbounded = true;
		else if (status == GLP_OPT)
			hi = g->get_col_prim(lp, (int)j + 1);
		if (!unbounded && hi_seen[j] - lo_seen[j] < need) {
			g->set_obj_dir(lp, GLP_MIN);
			SOLVE(status);
			if (status == GLP_OPT)
				lo = g->get_col_prim(lp, (int)j + 1);
		}
		g->set_obj_coef(lp, (int)j + 1, 0.0);
		if (unbounded || hi_seen[j] - lo_seen[j] >= need)
			continue;
		double width = floor(hi + 1e-6) - ceil(lo - 1e-6);
		if (report->narrowest < 0 || width < report->narrowest)
			report->narrowest = width;
		if (width >= (double)(k - 1))
			continue;
		if (hi < 0.5 && zero[unknown[j]]) {
			report->zero_exempt++;
			continue;
		}
		report->failures++;
		if (report->verbose)
			describe(am, unknown[j], field);
	}
#undef SOLVE
	ok = true;
	goto done;
oom:
	snprintf(err, AUDIT_ERROR_LEN, "audit: out of memory");
done:
	if (lp)
		g->delete_prob(lp);
	free(ia);
	free(ja);
	free(ar);
	free(proven);
	free(unknown);
	free(lo_seen);
	free(hi_seen);
	free(column);
	free(zero);
	free(rel.members);
	free(rel.start);
	return ok;
}

bool audit_run(const struct metrics_result *raw, const struct disclosure_result *pub,
	       struct audit_report *report, char err[AUDIT_ERROR_LEN])
{
	struct glpk_api g;
	bool verbose = report->verbose;
	memset(report, 0, sizeof(*report));
	report->verbose = verbose;
	report->narrowest = -1;
	err[0] = '\0';
	if (raw->table_count != pub->table_count) {
		snprintf(err, AUDIT_ERROR_LEN, "audit: table counts differ");
		return false;
	}
	if (!glpk_load(&g, err))
		return false;
	bool ok = true;
	for (int m = 0; m < METRIC_COUNT && ok; m++) {
		struct audit_metric am = {.raw = raw, .pub = pub};
		for (size_t i = 0; i < raw->table_count; i++) {
			if (raw->tables[i].metric != (enum metric_id)m)
				continue;
			if (am.table_count == CASA_ARRAY_LEN(am.table))
				break;
			am.table[am.table_count] = i;
			am.base[am.table_count] = am.cell_count;
			am.cell_count +=
			    (size_t)raw->tables[i].period_count * raw->tables[i].group_count;
			am.table_count++;
		}
		if (am.cell_count == 0)
			continue;
		const struct metric_def *def = &metrics_catalog[m];
		if (def->kind != METRIC_KIND_QUANTILE)
			ok = audit_field(&g, &am, 0, def->additive_in_time, report, err);
		if (ok && def->kind != METRIC_KIND_COUNT)
			ok = audit_field(&g, &am, 1,
					 def->additive_in_time || def->kind == METRIC_KIND_QUANTILE,
					 report, err);
	}
	dlclose(g.handle);
	return ok;
}

#else /* no <glpk.h> at build time */

bool audit_run(const struct metrics_result *raw, const struct disclosure_result *pub,
	       struct audit_report *report, char err[AUDIT_ERROR_LEN])
{
	(void)raw;
	(void)pub;
	memset(report, 0, sizeof(*report));
	snprintf(err, AUDIT_ERROR_LEN,
		 "audit: built without <glpk.h> (apt-get install libglpk-dev)");
	return false;
}

#endif
