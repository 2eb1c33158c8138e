/*
 * release_internal.h — the ledger's layout, shared by src/release.c (views and
 * commits) and src/release_store.c (the file). Not a public interface.
 */
#ifndef CASA_RELEASE_INTERNAL_H
#define CASA_RELEASE_INTERNAL_H

#include <stdint.h>

#include "casa/release.h"

#define RELEASE_FIELD_NUM 0x01u /* numerator (DISCLOSURE_SECRET_NUMERATOR) */
#define RELEASE_FIELD_DEN 0x02u /* denominator (DISCLOSURE_SECRET_DENOMINATOR) */

/* frozen_cell.flags */
#define RELEASE_FROZEN_PUBLISHED                                                                   \
	0x01u /* part of a published table (else a month                                           \
	         of the additive basis only) */

struct release_frozen_cell {
	int64_t numerator;   /* as frozen */
	int64_t denominator; /* as frozen */
	int64_t children;    /* distinct children then (disclosure input only) */
	int64_t quantile_2s; /* quantiles: twice the statistic in seconds */
	uint8_t secret;      /* DISCLOSURE_SECRET_* bits decided then */
	uint8_t flags;       /* RELEASE_FROZEN_* */
};

/* The frozen rows of one table: periods first_period .. + row_count - 1. */
struct release_frozen_table {
	enum metric_id metric;             /* which metric */
	enum period_type period_type;      /* rows' period type */
	enum dim dim;                      /* breakdown */
	int32_t first_period;              /* period index of row 0 */
	uint32_t row_count;                /* frozen rows */
	uint32_t group_count;              /* groups (ledger counties for DIM_COUNTY) */
	struct release_frozen_cell *cells; /* row_count * group_count, owned */
};

struct release_ledger {
	struct release_settings settings;    /* what the frozen cells were built under */
	char source[RELEASE_SOURCE_LEN];     /* the database they were read from, "" unknown */
	char **counties;                     /* sorted county labels, owned */
	size_t county_count;                 /* entries in counties */
	struct release_frozen_table *tables; /* sorted by (metric, period type, dim) */
	size_t table_count;                  /* entries in tables */
};

const struct release_frozen_table *release_ledger_find(const struct release_ledger *ledger,
                                                       enum metric_id metric, enum period_type type,
                                                       enum dim dim);
/* RELEASE_FIELD_* counts of a metric that add up over time. */
uint8_t release_additive_fields(enum metric_id metric);

#endif
