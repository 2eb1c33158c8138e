/*
 * snapshot_internal.h — private to the snapshot stage (snapshot.c, openapi.c,
 * snapshot_store.c): the snapshot's layout and the helpers its files share.
 * Not for other stages: they use casa/snapshot.h.
 */
#ifndef CASA_SNAPSHOT_INTERNAL_H
#define CASA_SNAPSHOT_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casa/buf.h"
#include "casa/common.h"
#include "casa/date.h"
#include "casa/interval.h"
#include "casa/metrics.h"
#include "casa/release.h"
#include "casa/snapshot.h"

struct snapshot {
	atomic_uint refs;                                          /* slot + requests in flight */
	struct buf_arena arena;                                    /* owns every byte below */
	char id[SNAPSHOT_ID_LEN];                                  /* hex of the content hash */
	int32_t as_of;                                             /* last day of data */
	int fy_start_month;                                        /* 1..12 */
	int64_t refresh_key;                                       /* max(batch_id), -1 if none */
	int64_t generated_at;                                      /* Unix seconds */
	int refresh_seconds;                                       /* schedule, for max-age */
	enum disclosure_mode mode;                                 /* suppress or dp */
	int min_cell;                                              /* k */
	struct release_plan plan;                                  /* published tables */
	char plan_text[RELEASE_PLAN_TEXT_LEN];                     /* the plan as configured */
	int settle_days;                                           /* breakdowns wait this long */
	double epsilon;                                            /* dp only */
	double confidence;                                         /* level of the intervals */
	uint64_t suppressed_cells;                                 /* published as suppressed */
	struct snapshot_body resources[SNAPSHOT_RESOURCE_COUNT];   /* catalog... */
	struct snapshot_table *tables;                             /* table_count, in the arena */
	size_t table_count;                                        /* published tables */
	int32_t index[METRIC_COUNT][PERIOD_TYPE_COUNT][DIM_COUNT]; /* -1 or table */
};

/* An empty snapshot (refcount 1, index all -1). */
struct snapshot *snapshot_alloc(void);
/* The ETag of len bytes at data as snapshot_body_set() gives it (gzip: the
 * "-gz" form), so that a loaded file can be checked against its bytes. */
void snapshot_etag_of(const char *data, size_t len, bool gzip, char out[SNAPSHOT_ETAG_LEN]);
/* Sets body to a copy of data (plus gzip when asked and smaller) with ETags. */
bool snapshot_body_set(struct buf_arena *arena, struct snapshot_body *body, const char *data,
                       size_t len, bool with_gzip) CASA_MUSTCHECK;
/* The OpenAPI 3.1 document (openapi.c): a new jansson value the caller
 * releases, NULL when memory runs out. It depends on the catalog only, not
 * on a snapshot's data. */
struct json_t *snapshot_openapi_document(void);
/* snapshot_load() once the file is read: checks and decodes the size bytes
 * of a state file (name is for the log line only). Returns a new snapshot
 * (refcount 1) or NULL, logging why it was refused. Also the fuzz target of
 * the state-file loader (tests/fuzz/). */
struct snapshot *snapshot_load_bytes(const unsigned char *data, size_t size, const char *name);

/* ---- snapshot_stats.c: the interval and change columns (issue 14) ---- */

/* One row's figures as text: a number, a label or "null". */
struct snapshot_row_stats {
	char interval_low[BUF_NUMBER_LEN];       /* interval of the value */
	char interval_high[BUF_NUMBER_LEN];      /* its upper end */
	char change_vs[PERIOD_LABEL_LEN];        /* previous period compared */
	char change[BUF_NUMBER_LEN];             /* ratio (rates), points (percent) */
	char change_low[BUF_NUMBER_LEN];         /* interval of the change */
	char change_high[BUF_NUMBER_LEN];        /* its upper end */
	char change_direction[24];               /* up, down, no_clear_change */
	bool standardized;                       /* the five below are columns */
	char expected[BUF_NUMBER_LEN];           /* events expected (standardized) */
	char smr[BUF_NUMBER_LEN];                /* observed / expected */
	char smr_low[BUF_NUMBER_LEN];            /* its interval */
	char smr_high[BUF_NUMBER_LEN];           /* its upper end */
	char standardized_value[BUF_NUMBER_LEN]; /* smr x the all-children rate */
};

/* Exact Poisson intervals of event counts per unit of exposure, by count:
 * a rate's interval is its count's, scaled, and many cells share a count
 * (a snapshot computes thousands). Direct-mapped: a slot holds the last
 * count that fell in it. For one confidence level; zero-initialise. */
#define SNAPSHOT_POISSON_CACHE_SLOTS 4096
struct snapshot_poisson_cache {
	int64_t count[SNAPSHOT_POISSON_CACHE_SLOTS];        /* events of each slot */
	struct interval mean[SNAPSHOT_POISSON_CACHE_SLOTS]; /* interval of that count */
	bool filled[SNAPSHOT_POISSON_CACHE_SLOTS];          /* slot holds a count */
};

/* The figures of row (period, group) of a published table (period is a row
 * index, 0-based). total: the same metric and period type without
 * breakdown, for the standardized value (NULL: none); confidence: a level
 * interval_confidence_valid() accepts; cache: NULL, or one used for this
 * level only. */
void snapshot_row_stats(const struct disclosure_table *table, const struct disclosure_table *total,
                        uint32_t period, uint32_t group, double confidence,
                        struct snapshot_poisson_cache *cache, struct snapshot_row_stats *out);
/* Appends the figures as JSON members ("\"interval_low\":...", no leading
 * comma) or CSV fields (",..."), and the CSV header's column names
 * (",interval_low,..."). */
void snapshot_row_stats_json(struct buf *buf, const struct snapshot_row_stats *stats);
void snapshot_row_stats_csv(struct buf *buf, const struct snapshot_row_stats *stats);
void snapshot_row_stats_csv_header(struct buf *buf, bool standardized);

#endif
