/*
 * snapshot.h — an immutable, reference-counted set of ready-to-send bodies.
 *
 * snapshot_build() renders every published table (JSON and CSV, gzip of each,
 * a strong content-derived ETag) plus the catalog, summary, quality report
 * and OpenAPI document, once. The HTTP stage only looks bodies up and sends
 * them: nothing is computed per request. It accepts only protected cells
 * (struct disclosure_result): there is no way to hand it a raw metric.
 *
 * Lifetime: a snapshot is shared by the slot (the one being served) and every
 * request that acquired it; the last snapshot_unref() frees it, so a new
 * snapshot can replace the old one while requests in flight finish with
 * theirs.
 */
#ifndef CASA_SNAPSHOT_H
#define CASA_SNAPSHOT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casa/common.h"
#include "casa/disclosure.h"
#include "casa/model.h"

struct snapshot; /* opaque */

/* What the snapshot says about itself, beyond the tables. */
struct snapshot_info {
	int64_t refresh_key;                 /* max(batch_id) of the source, -1 if none */
	int64_t generated_at;                /* Unix seconds when computed */
	const struct model_quality *quality; /* copied */
	int refresh_seconds;                 /* schedule, for Cache-Control max-age */
	double confidence;                   /* level of the rows' intervals (issue 14),
	                                        interval_confidence_valid() */
};

/* Builds a snapshot from protected tables (copied; caller keeps ownership of
 * its arguments). Returns NULL when memory runs out or info->confidence is
 * not a level interval.h accepts (logged). Refcount starts at 1. Needs
 * interval_init() once at start-up. */
struct snapshot *snapshot_build(const struct disclosure_result *tables,
                                const struct snapshot_info *info) CASA_MUSTCHECK;
struct snapshot *snapshot_ref(struct snapshot *snapshot);
void snapshot_unref(struct snapshot *snapshot);

/* Snapshot id (hex of the content hash), valid while a reference is held.
 * The hash covers every published cell, group label, disclosure setting,
 * as_of and quality count, not generated_at: the same data gives the same id
 * on every replica and rebuild. */
const char *snapshot_id(const struct snapshot *snapshot);
int32_t snapshot_as_of(const struct snapshot *snapshot);
int64_t snapshot_refresh_key(const struct snapshot *snapshot);
int64_t snapshot_generated_at(const struct snapshot *snapshot);

/* Persistence (SPEC §7): write to DIR/snapshot.tmp, fsync, rename to
 * DIR/snapshot.bin; versioned header, checksums, and a seal: the provenance
 * text (the settings and source the snapshot was built under, "key=value"
 * lines, under SNAPSHOT_PROVENANCE_LEN bytes) and an HMAC-SHA-256 under a
 * key derived from secret (the daemon's secret.key). snapshot_load() returns
 * NULL (and logs why) for a missing, corrupted or foreign file, one sealed
 * with another secret, one whose bodies do not match their ETags, and one
 * whose provenance is not exactly the one given (not to be served under
 * this configuration). */
#define SNAPSHOT_PROVENANCE_LEN 2048
bool snapshot_save(const struct snapshot *snapshot, const char *dir,
                   const uint8_t secret[DISCLOSURE_KEY_LEN], const char *provenance) CASA_MUSTCHECK;
struct snapshot *snapshot_load(const char *dir, const uint8_t secret[DISCLOSURE_KEY_LEN],
                               const char *provenance);

/* Writes every table as JSON and CSV, plus catalog, summary, quality and a
 * manifest, under dir (--once --output). */
bool snapshot_write_files(const struct snapshot *snapshot, const char *dir) CASA_MUSTCHECK;

/* The slot holding the snapshot being served. */
struct snapshot_slot {
	pthread_mutex_t lock;     /* guards current only for the pointer swap */
	struct snapshot *current; /* NULL until the first snapshot */
};

void snapshot_slot_init(struct snapshot_slot *slot);
/* Returns a new reference to the current snapshot (NULL if none); the caller
 * releases it with snapshot_unref(). */
struct snapshot *snapshot_slot_acquire(struct snapshot_slot *slot);
/* Replaces the current snapshot; takes ownership of next's reference. */
void snapshot_slot_replace(struct snapshot_slot *slot, struct snapshot *next);
void snapshot_slot_destroy(struct snapshot_slot *slot);

/*
 * Lookups for the HTTP stage. Every pointer returned below points into the
 * snapshot and is valid while the caller holds a reference to it.
 */

/* '"' + 16 hex digits + optional "-gz" + '"' + NUL. */
#define SNAPSHOT_ETAG_LEN 24
#define SNAPSHOT_ID_LEN   17 /* 16 hex digits + NUL */

/* A ready-to-send body: identity bytes, gzip bytes (NULL when gzip would not
 * be smaller), and a strong ETag for each (derived from the bytes, so
 * identical bodies have identical ETags across snapshots and replicas). */
struct snapshot_body {
	const char *data;                  /* identity encoding */
	size_t len;                        /* bytes of data */
	const char *gzip;                  /* gzip encoding, or NULL */
	size_t gzip_len;                   /* bytes of gzip */
	char etag[SNAPSHOT_ETAG_LEN];      /* of data, quoted */
	char gzip_etag[SNAPSHOT_ETAG_LEN]; /* of gzip, quoted ("...-gz") */
};

enum snapshot_format { SNAPSHOT_JSON, SNAPSHOT_CSV, SNAPSHOT_FORMAT_COUNT };

enum snapshot_resource {
	SNAPSHOT_CATALOG,    /* /api/v1/metrics */
	SNAPSHOT_SUMMARY,    /* /api/v1/summary */
	SNAPSHOT_QUALITY,    /* /api/v1/quality */
	SNAPSHOT_OPENAPI,    /* /api/v1/openapi.json */
	SNAPSHOT_DISCLOSURE, /* /api/v1/disclosure: what protection cost, per table */
	SNAPSHOT_RESOURCE_COUNT
};

/* One published table (metric x period type x breakdown), pre-rendered.
 * Rows of period p (0-based) occupy bytes [row_start[f][p], row_end[f][p])
 * of body[f]; the rows section is [rows_open[f], rows_close[f]), so a slice
 * is body[0, rows_open) + body[row_start[from], row_end[to]) +
 * body[rows_close, len). */
struct snapshot_table {
	enum metric_id metric;                            /* which metric */
	enum period_type period_type;                     /* rows' period type */
	enum dim dim;                                     /* breakdown, DIM_TOTAL for none */
	int32_t first_period;                             /* period index of row 0 (date.h) */
	uint32_t period_count;                            /* periods in the table */
	uint32_t group_count;                             /* rows per period */
	struct snapshot_body body[SNAPSHOT_FORMAT_COUNT]; /* JSON and CSV */
	size_t rows_open[SNAPSHOT_FORMAT_COUNT];          /* end of the prefix */
	size_t rows_close[SNAPSHOT_FORMAT_COUNT];         /* start of the suffix */
	size_t *row_start[SNAPSHOT_FORMAT_COUNT];         /* per period, period_count */
	size_t *row_end[SNAPSHOT_FORMAT_COUNT];           /* per period, period_count */
	const char *csv_filename; /* "<metric>_<pt>[_by_<dim>]_<as_of>.csv" */
};

/* Whether the publication plan of the snapshot publishes (period type,
 * breakdown) tables, and the plan as text ("month:total quarter:all ..."). */
bool snapshot_publishes(const struct snapshot *snapshot, enum period_type period_type,
                        enum dim dim);
const char *snapshot_plan_text(const struct snapshot *snapshot);

/* NULL when the snapshot has no such table (not allowed by the catalog). */
const struct snapshot_table *snapshot_table_find(const struct snapshot *snapshot,
                                                 enum metric_id metric,
                                                 enum period_type period_type, enum dim dim);
const struct snapshot_body *snapshot_resource(const struct snapshot *snapshot,
                                              enum snapshot_resource resource);

/* Renders rows of periods from..to (0-based, inclusive; from > to gives no
 * rows) with the table's prefix and suffix into a new buffer the caller
 * frees with free(). etag receives a strong ETag derived from the table's
 * ETag and the range. false when memory runs out. */
bool snapshot_table_slice(const struct snapshot_table *table, enum snapshot_format format,
                          uint32_t from, uint32_t to, char **out, size_t *out_len,
                          char etag[SNAPSHOT_ETAG_LEN]) CASA_MUSTCHECK;

int snapshot_fy_start_month(const struct snapshot *snapshot);
/* Cells published as suppressed in this snapshot (for /metrics). */
uint64_t snapshot_suppressed_cells(const struct snapshot *snapshot);
/* A source row count as this snapshot's disclosure mode publishes it
 * (disclosure_published_row_count); exact when snapshot is NULL. */
uint64_t snapshot_published_row_count(const struct snapshot *snapshot, uint64_t rows);
/* Writes {"id":...,"generated_at":...,"as_of":...} (NUL-terminated, at most
 * SNAPSHOT_META_LEN bytes) for /readyz. */
#define SNAPSHOT_META_LEN 160
void snapshot_meta_json(const struct snapshot *snapshot, char out[SNAPSHOT_META_LEN]);

/* 64-bit content hash used for ETags, ids and the manifest (FNV-1a with a
 * final avalanche; not cryptographic). */
uint64_t snapshot_hash(const void *data, size_t len, uint64_t seed);
/* RFC 3339 UTC ("2026-11-27T12:00:00Z") and IMF-fixdate (HTTP dates). */
#define SNAPSHOT_TIME_LEN 80 /* room for any int year, see snprintf */
void snapshot_format_rfc3339(int64_t unix_seconds, char out[SNAPSHOT_TIME_LEN]);
void snapshot_format_http_date(int64_t unix_seconds, char out[SNAPSHOT_TIME_LEN]);

#endif
