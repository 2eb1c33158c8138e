/*
 * audit.c — see audit.h. Test code: compiled into test_audit and casa-audit
 * by #include, never into the daemon.
 *
 * GLPK is an optional dependency declared in CMakeLists.txt: the two
 * programs that include this file are linked with it and built with
 * CASA_HAVE_GLPK when it is found; without it audit_run() says so and they
 * exit AUDIT_SKIP_STATUS.
 *
 * Method. Unknowns: the secret counts of one field of one metric (or of
 * a component of linked counts of several metrics, see audit_links); every
 * other count is known (see audit_secrecy). For
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

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casa/date.h"
#include "../../src/disclosure_internal.h"

#ifdef CASA_HAVE_GLPK
#include <glpk.h>

bool audit_have_glpk(void)
{
	return true;
}

/* The GLPK functions the audit calls. A table because the audit was written
 * against a dlopen() loader; it can call glp_* directly when it next changes. */
struct glpk_api {
	glp_prob *(*create_prob)(void);                             /* glp_create_prob */
	void (*delete_prob)(glp_prob *);                            /* glp_delete_prob */
	void (*set_obj_dir)(glp_prob *, int);                       /* glp_set_obj_dir */
	int (*add_rows)(glp_prob *, int);                           /* glp_add_rows */
	int (*add_cols)(glp_prob *, int);                           /* glp_add_cols */
	void (*set_row_bnds)(glp_prob *, int, int, double, double); /* glp_set_row_bnds */
	void (*set_col_bnds)(glp_prob *, int, int, double, double); /* glp_set_col_bnds */
	void (*set_obj_coef)(glp_prob *, int, double);              /* glp_set_obj_coef */
	void (*load_matrix)(glp_prob *, int, const int[], const int[],
	                    const double[]);          /* glp_load_matrix */
	void (*init_smcp)(glp_smcp *);                /* glp_init_smcp */
	int (*simplex)(glp_prob *, const glp_smcp *); /* glp_simplex */
	int (*get_status)(glp_prob *);                /* glp_get_status */
	double (*get_col_prim)(glp_prob *, int);      /* glp_get_col_prim */
	int (*term_out)(int);                         /* glp_term_out */
	int (*free_env)(void);                        /* glp_free_env */
};

static void glpk_bind(struct glpk_api *g)
{
	g->create_prob = glp_create_prob;
	g->delete_prob = glp_delete_prob;
	g->set_obj_dir = glp_set_obj_dir;
	g->add_rows = glp_add_rows;
	g->add_cols = glp_add_cols;
	g->set_row_bnds = glp_set_row_bnds;
	g->set_col_bnds = glp_set_col_bnds;
	g->set_obj_coef = glp_set_obj_coef;
	g->load_matrix = glp_load_matrix;
	g->init_smcp = glp_init_smcp;
	g->simplex = glp_simplex;
	g->get_status = glp_get_status;
	g->get_col_prim = glp_get_col_prim;
	g->term_out = glp_term_out;
	g->free_env = glp_free_env;
	g->term_out(GLP_OFF);
}

/* All cells of one metric, numbered table by table. */
struct audit_metric {
	const struct metrics_result *raw;            /* true counts */
	const struct disclosure_result *pub;         /* what was published */
	size_t table[PERIOD_TYPE_COUNT * DIM_COUNT]; /* table indexes of the metric */
	size_t base[PERIOD_TYPE_COUNT * DIM_COUNT];  /* first cell number of each */
	size_t table_count;                          /* tables of the metric */
	size_t cell_count;                           /* cells of the metric */
};

/* Relations as member lists, the parent first. */
struct audit_relations {
	size_t *members; /* cell numbers */
	size_t *start;   /* relation r: members[start[r] .. start[r + 1]) */
	size_t count;    /* relations */
	size_t used;     /* members used */
	size_t cap_rel;  /* allocated relations */
	size_t cap_mem;  /* allocated members */
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

static bool rel_add_at(struct audit_relations *rel, size_t *members, size_t n, size_t offset)
{
	for (size_t i = 0; i < n; i++)
		members[i] += offset;
	return rel_add(rel, members, n);
}

/* Enumerates the relations of one metric for one field (see audit.h), cell
 * numbers shifted by offset. */
static bool enumerate_relations(const struct audit_metric *am, bool time_additive, size_t offset,
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
			if (!rel_add_at(rel, members, n, offset))
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
			bool finer =
			    (f->period_type == PERIOD_MONTH && c->period_type != PERIOD_MONTH) ||
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
					members[n++] =
					    am->base[ci] + (size_t)p * c->group_count + g;
					for (int32_t fp = f0; fp <= f1; fp++) {
						/* a period outside the table has no data: a known 0
						 */
						if (fp < f->first_period ||
						    fp >=
						        f->first_period + (int32_t)f->period_count)
							continue;
						members[n++] = am->base[fi] +
						               (size_t)(fp - f->first_period) *
						                   f->group_count +
						               g;
					}
					if (!rel_add_at(rel, members, n, offset))
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

/* One count (a field of a metric) inside a component of counts that are
 * equal cell by cell (shared counts, see audit_links). */
struct audit_count {
	struct audit_metric am; /* the metric's tables */
	int field;              /* 0 numerator, 1 denominator */
	bool time_additive;     /* months, quarters add up */
	size_t base;            /* first cell number in the component */
};

#define AUDIT_MAX_LINKED 4

struct audit_component {
	struct audit_count counts[AUDIT_MAX_LINKED]; /* members */
	size_t count;                                /* members used */
	size_t cell_count;                           /* cells over all members */
	int min_cell;                                /* k */
	const uint8_t *secret; /* DISCLOSURE_SECRET_* bits by flat cell (offset[table] + cell) */
	const size_t *offset;  /* first flat cell of each table */
};

/* The raw and published cell behind component cell id, and its count. */
static const struct disclosure_cell *comp_cell(const struct audit_component *comp, size_t id,
                                               const struct metrics_cell **raw_out,
                                               const struct audit_count **count_out,
                                               size_t *table_out, size_t *cell_out)
{
	size_t q = comp->count - 1;
	while (comp->counts[q].base > id)
		q--;
	const struct audit_metric *am = &comp->counts[q].am;
	size_t local = id - comp->counts[q].base;
	size_t i = am->table_count - 1;
	while (am->base[i] > local)
		i--;
	*raw_out = &am_table(am, i)->cells[local - am->base[i]];
	if (count_out)
		*count_out = &comp->counts[q];
	if (table_out)
		*table_out = am->table[i];
	if (cell_out)
		*cell_out = local - am->base[i];
	return &am->pub->tables[am->table[i]].cells[local - am->base[i]];
}

static int64_t comp_value(const struct audit_component *comp, size_t id)
{
	const struct metrics_cell *raw;
	const struct audit_count *q;
	(void)comp_cell(comp, id, &raw, &q, NULL, NULL);
	return q->field == 0 ? raw->numerator : raw->denominator;
}

static void describe(const struct audit_component *comp, size_t id)
{
	const struct metrics_cell *raw;
	const struct audit_count *q;
	size_t table, c;
	(void)comp_cell(comp, id, &raw, &q, &table, &c);
	const struct metrics_table *t = &q->am.raw->tables[table];
	char label[PERIOD_LABEL_LEN];
	period_label(t->period_type, t->first_period + (int32_t)(c / t->group_count), label);
	fprintf(stderr, "audit: exposed: %s %s by=%s period=%s group=%zu %s\n",
	        metrics_catalog[t->metric].id, period_type_name(t->period_type),
	        metrics_dim_name(t->dim), label, c % t->group_count,
	        q->field == 0 ? "numerator" : "denominator");
}

/* Equalities between members of a component: the same (period type, dim,
 * period, group) cell of two linked counts holds the same number. */
static bool enumerate_links(const struct audit_component *comp, struct audit_relations *rel)
{
	for (size_t qa = 0; qa < comp->count; qa++)
		for (size_t qb = qa + 1; qb < comp->count; qb++) {
			const struct audit_count *a = &comp->counts[qa], *b = &comp->counts[qb];
			for (size_t i = 0; i < a->am.table_count; i++) {
				const struct metrics_table *ta = am_table(&a->am, i);
				long j = am_find(&b->am, ta->period_type, ta->dim);
				if (j < 0)
					continue;
				const struct metrics_table *tb = am_table(&b->am, (size_t)j);
				if (ta->first_period != tb->first_period ||
				    ta->period_count != tb->period_count ||
				    ta->group_count != tb->group_count)
					continue;
				for (size_t c = 0; c < (size_t)ta->period_count * ta->group_count;
				     c++) {
					size_t pair[2] = {a->base + a->am.base[i] + c,
					                  b->base + b->am.base[j] + c};
					if (!rel_add(rel, pair, 2))
						return false;
				}
			}
		}
	return true;
}

/* Audits one component of counts (usually one field of one metric). */
static bool audit_component(struct glpk_api *g, const struct audit_component *comp,
                            struct audit_report *report, char err[AUDIT_ERROR_LEN])
{
	bool ok = false;
	int k = comp->min_cell;
	struct audit_relations rel = {0};
	int *column = calloc(comp->cell_count, sizeof(int)); /* 1-based unknown, 0 = published */
	bool *zero = calloc(comp->cell_count, sizeof(bool)); /* forced 0 by published zeros */
	size_t *unknown = NULL;
	double *lo_seen = NULL, *hi_seen = NULL;
	int *ia = NULL, *ja = NULL;
	double *ar = NULL;
	glp_prob *lp = NULL;
	if (column == NULL || zero == NULL)
		goto oom;

	/* Unknowns: the secret counts. Every other count is known to the
	 * attacker: published, or a non-secret count of a suppressed cell
	 * (assumed learnt elsewhere, docs/privacy.md "Threat model"). */
	size_t n_unknown = 0;
	for (size_t id = 0; id < comp->cell_count; id++) {
		const struct metrics_cell *raw;
		const struct audit_count *q;
		size_t table, c;
		(void)comp_cell(comp, id, &raw, &q, &table, &c);
		if (comp->secret[comp->offset[table] + c] & (1u << q->field))
			column[id] = (int)++n_unknown;
		else if (comp_value(comp, id) == 0)
			zero[id] = true;
	}
	if (n_unknown == 0) {
		ok = true;
		goto done;
	}
	for (size_t q = 0; q < comp->count; q++)
		if (!enumerate_relations(&comp->counts[q].am, comp->counts[q].time_additive,
		                         comp->counts[q].base, &rel))
			goto oom;
	size_t plain_relations = rel.count; /* the links come after */
	if (!enumerate_links(comp, &rel))
		goto oom;

	/* Zeros the attacker derives from known zeros alone: children of a
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
	ia = malloc((rel.used + 1) * sizeof(int));
	ja = malloc((rel.used + 1) * sizeof(int));
	ar = malloc((rel.used + 1) * sizeof(double));
	if (!unknown || !lo_seen || !hi_seen || !ia || !ja || !ar)
		goto oom;
	for (size_t id = 0; id < comp->cell_count; id++) {
		if (column[id] == 0)
			continue;
		unknown[column[id] - 1] = id;
		lo_seen[column[id] - 1] = hi_seen[column[id] - 1] = (double)comp_value(comp, id);
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
			int64_t sign = m == s ? 1 : -1; /* parent - children = 0 */
			int64_t v = comp_value(comp, rel.members[m]);
			rhs_true += sign * v;
			if (column[rel.members[m]])
				has_unknown = true;
			else
				rhs -= sign * v;
		}
		if (rhs_true != 0) {
			/* the raw cells break a relation of docs/metrics.md, or two
			 * counts assumed equal (audit_links) are not */
			const struct audit_count *q;
			const struct metrics_cell *raw;
			(void)comp_cell(comp, rel.members[s], &raw, &q, NULL, NULL);
			snprintf(err, AUDIT_ERROR_LEN, "audit: raw %s of %s: %s %zu does not hold",
			         q->field == 0 ? "numerators" : "denominators",
			         metrics_catalog[q->am.raw->tables[q->am.table[0]].metric].id,
			         r < plain_relations ? "relation" : "shared-count link", r);
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
#define SOLVE(status_out)                                                                          \
	do {                                                                                       \
		report->lp_solves++;                                                               \
		int rc_ = g->simplex(lp, &parm);                                                   \
		if (rc_ != 0) {                                                                    \
			g->init_smcp(&parm); /* retry from a fresh basis with presolve */          \
			parm.msg_lev = GLP_MSG_OFF;                                                \
			parm.presolve = GLP_ON;                                                    \
			rc_ = g->simplex(lp, &parm);                                               \
			parm.presolve = GLP_OFF;                                                   \
		}                                                                                  \
		(status_out) = rc_ == 0 ? g->get_status(lp) : -1;                                  \
		if ((status_out) == GLP_OPT)                                                       \
			for (size_t j_ = 0; j_ < n_unknown; j_++) {                                \
				double v_ = g->get_col_prim(lp, (int)j_ + 1);                      \
				if (v_ < lo_seen[j_])                                              \
					lo_seen[j_] = v_;                                          \
				if (v_ > hi_seen[j_])                                              \
					hi_seen[j_] = v_;                                          \
			}                                                                          \
	} while (0)

	int status;
	/* Batch witnesses: push every unknown up, then down. (Extra random sign
	 * patterns were tried: they prove almost nothing more.) */
	for (int dir = 0; dir < 2; dir++) {
		g->set_obj_dir(lp, dir == 0 ? GLP_MAX : GLP_MIN);
		for (size_t j = 1; j <= n_unknown; j++)
			g->set_obj_coef(lp, (int)j, 1.0);
		SOLVE(status);
		(void)status;
	}
	/* Then the same on the unknowns not yet shown wide, as long as that
	 * proves some of them wide: most counts of a block move together, and
	 * one solve for many is far cheaper than two for each. */
	for (size_t left = n_unknown + 1;;) {
		size_t narrow = 0;
		for (size_t j = 0; j < n_unknown; j++) {
			bool open = hi_seen[j] - lo_seen[j] < need && !zero[unknown[j]];
			narrow += open;
			g->set_obj_coef(lp, (int)j + 1, open ? 1.0 : 0.0);
		}
		if (narrow < 8 || narrow >= left)
			break; /* few left, or no progress: one by one */
		left = narrow;
		for (int dir = 0; dir < 2; dir++) {
			g->set_obj_dir(lp, dir == 0 ? GLP_MAX : GLP_MIN);
			SOLVE(status);
		}
	}
	for (size_t j = 1; j <= n_unknown; j++)
		g->set_obj_coef(lp, (int)j, 0.0);

	for (size_t j = 0; j < n_unknown; j++) {
		if (hi_seen[j] - lo_seen[j] >= need)
			continue;
		if (zero[unknown[j]]) {
			/* pinned at 0 by published zeros alone (see above): no
			 * solve needed, its largest value is 0 */
			report->zero_exempt++;
			continue;
		}
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
			describe(comp, unknown[j]);
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
	free(unknown);
	free(lo_seen);
	free(hi_seen);
	free(column);
	free(zero);
	free(rel.members);
	free(rel.start);
	return ok;
}

/* Counts published by two metrics (docs/metrics.md), as (metric, field)
 * pairs; field 0 numerator, 1 denominator. Kept apart from src/disclosure.c
 * on purpose: if the engine's counts were not equal, the audit says so
 * ("shared-count link does not hold"). */
static const struct {
	enum metric_id a; /* one metric */
	int field_a;      /* its count: 0 numerator, 1 denominator */
	enum metric_id b; /* the other metric */
	int field_b;      /* its equal count */
} audit_links[] = {
    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, 0, METRIC_REPORTED_LE_24H_PCT, 1},
    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, 0, METRIC_REPORTED_NCMEC_24H_PCT, 1},
    {METRIC_RUNAWAY_EPISODES_PER_1000_DAYS, 1, METRIC_MOVES_PER_1000_DAYS_IN_CARE, 1},
    {METRIC_SCREENED_AFTER_RETURN_PCT, 0, METRIC_SCREENED_POSITIVE_PCT, 1},
    {METRIC_DAYS_MISSING_MEDIAN, 1, METRIC_DAYS_MISSING_P90, 1},
    {METRIC_DAYS_MISSING_MEDIAN, 1, METRIC_SCREENED_AFTER_RETURN_PCT, 1},
};

/* The primary rule of SPEC §5 as the counts it makes secret (written here
 * apart from src/disclosure.c): bit 0 numerator, bit 1 denominator. */
static unsigned audit_primary(enum metric_kind kind, const struct metrics_cell *c, int k)
{
	unsigned all =
	    (kind != METRIC_KIND_QUANTILE ? 1u : 0u) | (kind != METRIC_KIND_COUNT ? 2u : 0u);
	if (c->children == 0 && c->numerator == 0 && c->denominator == 0)
		return 0; /* empty cell */
	if (c->children < k)
		return all;
	bool small_num = c->numerator >= 1 && c->numerator < k;
	int64_t comp = c->denominator - c->numerator;
	switch (kind) {
	case METRIC_KIND_RATE:
	case METRIC_KIND_COUNT:
		return small_num ? 1u : 0u;
	case METRIC_KIND_PERCENT:
		return small_num || (comp >= 1 && comp < k) ? 1u : 0u;
	case METRIC_KIND_QUANTILE:
		return c->denominator < k ? all : 0u;
	}
	return all;
}

/*
 * Which counts the attacker does not know, per cell: none for a published
 * cell (a primary-sensitive count published is a failure); for a suppressed
 * cell, the counts the engine made secret (disclosure_secret_fields()) and
 * those the primary rule above makes secret, or every count when neither
 * says anything (a cell hidden by a hand-made publication). The other counts
 * of a suppressed cell are known (docs/privacy.md "Threat model").
 */
static void audit_secrecy(const struct metrics_result *raw, const struct disclosure_result *pub,
                          uint8_t *secret, const size_t *offset, struct audit_report *report)
{
	for (size_t i = 0; i < raw->table_count; i++) {
		const struct metrics_table *t = &raw->tables[i];
		enum metric_kind kind = metrics_catalog[t->metric].kind;
		unsigned all = (kind != METRIC_KIND_QUANTILE ? 1u : 0u) |
		               (kind != METRIC_KIND_COUNT ? 2u : 0u);
		for (size_t c = 0; c < (size_t)t->period_count * t->group_count; c++) {
			uint8_t *bits = &secret[offset[i] + c];
			unsigned need = audit_primary(kind, &t->cells[c], pub->min_cell);
			if (pub->tables[i].cells[c].suppressed) {
				*bits = (uint8_t)((*bits | need) & all);
				if (*bits == 0)
					*bits = (uint8_t)all;
				continue;
			}
			*bits = 0;
			if (need == 0)
				continue;
			report->failures++;
			if (report->verbose) {
				char label[PERIOD_LABEL_LEN];
				period_label(t->period_type,
				             t->first_period + (int32_t)(c / t->group_count),
				             label);
				fprintf(
				    stderr,
				    "audit: published: %s %s by=%s period=%s group=%zu falls under "
				    "the primary rule\n",
				    metrics_catalog[t->metric].id, period_type_name(t->period_type),
				    metrics_dim_name(t->dim), label, c % t->group_count);
			}
		}
	}
}

static int link_root(int *parent, int x)
{
	while (parent[x] != x)
		x = parent[x] = parent[parent[x]];
	return x;
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
	/* Which counts are secret (per cell and field), as the engine decided
	 * them: the publication only says which cells are null. */
	size_t *offset = calloc(raw->table_count + 1, sizeof(size_t));
	if (offset == NULL) {
		snprintf(err, AUDIT_ERROR_LEN, "audit: out of memory");
		return false;
	}
	for (size_t i = 0; i < raw->table_count; i++)
		offset[i + 1] =
		    offset[i] + (size_t)raw->tables[i].period_count * raw->tables[i].group_count;
	uint8_t *secret = disclosure_secret_fields(raw, pub->min_cell, pub->calendar_year_blocks);
	if (secret == NULL) {
		free(offset);
		snprintf(err, AUDIT_ERROR_LEN, "audit: out of memory");
		return false;
	}
	glpk_bind(&g);
	audit_secrecy(raw, pub, secret, offset, report);

	/* the metric's tables, and which counts it has */
	struct audit_metric metric[METRIC_COUNT];
	bool has[METRIC_COUNT][2];
	for (int m = 0; m < METRIC_COUNT; m++) {
		struct audit_metric *am = &metric[m];
		memset(am, 0, sizeof(*am));
		am->raw = raw;
		am->pub = pub;
		for (size_t i = 0; i < raw->table_count; i++) {
			if (raw->tables[i].metric != (enum metric_id)m)
				continue;
			if (am->table_count == CASA_ARRAY_LEN(am->table))
				break;
			am->table[am->table_count] = i;
			am->base[am->table_count] = am->cell_count;
			am->cell_count +=
			    (size_t)raw->tables[i].period_count * raw->tables[i].group_count;
			am->table_count++;
		}
		enum metric_kind kind = metrics_catalog[m].kind;
		has[m][0] = am->cell_count > 0 && kind != METRIC_KIND_QUANTILE;
		has[m][1] = am->cell_count > 0 && kind != METRIC_KIND_COUNT;
	}
	/* components of linked counts: node = 2 * metric + field */
	int parent[2 * METRIC_COUNT];
	for (int x = 0; x < 2 * METRIC_COUNT; x++)
		parent[x] = x;
	for (size_t l = 0; l < CASA_ARRAY_LEN(audit_links); l++) {
		int xa = 2 * (int)audit_links[l].a + audit_links[l].field_a;
		int xb = 2 * (int)audit_links[l].b + audit_links[l].field_b;
		if (!has[audit_links[l].a][audit_links[l].field_a] ||
		    !has[audit_links[l].b][audit_links[l].field_b])
			continue;
		parent[link_root(parent, xa)] = link_root(parent, xb);
	}

	bool ok = true;
	for (int root = 0; root < 2 * METRIC_COUNT && ok; root++) {
		if (link_root(parent, root) != root)
			continue;
		struct audit_component comp = {
		    .min_cell = pub->min_cell, .secret = secret, .offset = offset};
		for (int x = 0; x < 2 * METRIC_COUNT; x++) {
			int m = x / 2, field = x % 2;
			if (link_root(parent, x) != root || !has[m][field] ||
			    comp.count == AUDIT_MAX_LINKED)
				continue;
			const struct metric_def *def = &metrics_catalog[m];
			struct audit_count *q = &comp.counts[comp.count++];
			q->am = metric[m];
			q->field = field;
			q->time_additive = (def->time_additive >> field) & 1u;
			q->base = comp.cell_count;
			comp.cell_count += metric[m].cell_count;
		}
		if (comp.count > 0)
			ok = audit_component(&g, &comp, report, err);
	}
	g.free_env(); /* GLPK's environment, allocated on first use */
	free(secret);
	free(offset);
	return ok;
}

#else /* built without GLPK */

bool audit_have_glpk(void)
{
	return false;
}

bool audit_run(const struct metrics_result *raw, const struct disclosure_result *pub,
               struct audit_report *report, char err[AUDIT_ERROR_LEN])
{
	(void)raw;
	(void)pub;
	memset(report, 0, sizeof(*report));
	snprintf(err, AUDIT_ERROR_LEN, "audit: %s", AUDIT_NO_GLPK);
	return false;
}

#endif
