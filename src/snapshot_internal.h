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

#endif
