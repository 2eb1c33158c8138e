/*
 * snapshot_internal.h — private to the snapshot stage (snapshot.c, openapi.c,
 * snapshot_store.c): the snapshot's layout, its arena and the text buffer
 * used to render bodies. Not for other stages: they use casa/snapshot.h.
 */
#ifndef CASA_SNAPSHOT_INTERNAL_H
#define CASA_SNAPSHOT_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casa/common.h"
#include "casa/metrics.h"
#include "casa/snapshot.h"

/* Bump allocator: everything of one snapshot, freed in one walk. */
struct snapshot_arena {
	struct arena_chunk *head; /* newest chunk, NULL when empty */
};

/* Returns n bytes aligned for any type, or NULL; freed with the arena. */
void *snapshot_arena_alloc(struct snapshot_arena *arena, size_t n);
/* Copies n bytes and appends a NUL; NULL when memory runs out. */
void *snapshot_arena_dup(struct snapshot_arena *arena, const void *data, size_t n);

/* Growable NUL-terminated text; `failed` sticks once memory runs out so
 * callers check once at the end. The caller frees data. */
struct snapshot_buf {
	char *data;  /* malloc'd, NUL-terminated when len > 0 */
	size_t len;  /* bytes used */
	size_t cap;  /* bytes allocated */
	bool failed; /* an allocation failed: content incomplete */
};

void snapshot_buf_reserve(struct snapshot_buf *buf, size_t extra);
void snapshot_buf_add(struct snapshot_buf *buf, const char *data, size_t n);
void snapshot_buf_puts(struct snapshot_buf *buf, const char *text);
void snapshot_buf_printf(struct snapshot_buf *buf, const char *fmt, ...) CASA_PRINTF(2, 3);
void snapshot_buf_json_string(struct snapshot_buf *buf, const char *text);

#define SNAPSHOT_NUMBER_LEN 32
/* At most 4 decimals, trailing zeros trimmed; "null" when not finite. */
void snapshot_format_number(double value, char out[SNAPSHOT_NUMBER_LEN]);

struct snapshot {
	atomic_uint refs;                                          /* slot + requests in flight */
	struct snapshot_arena arena;                               /* owns every byte below */
	char id[SNAPSHOT_ID_LEN];                                  /* hex of the content hash */
	int32_t as_of;                                             /* last day of data */
	int fy_start_month;                                        /* 1..12 */
	int64_t refresh_key;                                       /* max(batch_id), -1 if none */
	int64_t generated_at;                                      /* Unix seconds */
	int refresh_seconds;                                       /* schedule, for max-age */
	enum disclosure_mode mode;                                 /* suppress or dp */
	int min_cell;                                              /* k */
	bool calendar_year_blocks;                                 /* suppression_year = year */
	double epsilon;                                            /* dp only */
	uint64_t suppressed_cells;                                 /* published as suppressed */
	struct snapshot_body resources[SNAPSHOT_RESOURCE_COUNT];   /* catalog... */
	struct snapshot_table *tables;                             /* table_count, in the arena */
	size_t table_count;                                        /* published tables */
	int32_t index[METRIC_COUNT][PERIOD_TYPE_COUNT][DIM_COUNT]; /* -1 or table */
};

/* An empty snapshot (refcount 1, index all -1). */
struct snapshot *snapshot_alloc(void);
/* Sets body to a copy of data (plus gzip when asked and smaller) with ETags. */
bool snapshot_body_set(struct snapshot_arena *arena, struct snapshot_body *body, const char *data,
                       size_t len, bool with_gzip) CASA_MUSTCHECK;
/* Renders catalog, summary, quality and OpenAPI into snapshot->resources. */
bool snapshot_render_resources(struct snapshot *snapshot, const struct disclosure_result *result,
                               const struct model_quality *quality,
                               struct snapshot_buf *buf) CASA_MUSTCHECK;
/* OpenAPI 3.1 document, appended to buf (openapi.c). */
void snapshot_openapi_render(struct snapshot_buf *buf, const struct snapshot *snapshot,
                             const struct disclosure_result *result);

#endif
