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
	int64_t refresh_key;         /* max(batch_id) of the source, -1 if none */
	int64_t generated_at;        /* Unix seconds when computed */
	const struct model_quality *quality; /* copied */
	int refresh_seconds;         /* schedule, for Cache-Control max-age */
};

/* Builds a snapshot from protected tables (copied; caller keeps ownership of
 * its arguments). Returns NULL when memory runs out. Refcount starts at 1. */
struct snapshot *snapshot_build(const struct disclosure_result *tables,
				const struct snapshot_info *info) CASA_MUSTCHECK;
struct snapshot *snapshot_ref(struct snapshot *snapshot);
void snapshot_unref(struct snapshot *snapshot);

/* Snapshot id (hex of the content hash), valid while a reference is held. */
const char *snapshot_id(const struct snapshot *snapshot);
int32_t snapshot_as_of(const struct snapshot *snapshot);
int64_t snapshot_refresh_key(const struct snapshot *snapshot);
int64_t snapshot_generated_at(const struct snapshot *snapshot);

/* Persistence (SPEC §7): write to DIR/snapshot.tmp, fsync, rename to
 * DIR/snapshot.bin; versioned header and checksum. snapshot_load() returns
 * NULL (and logs why) for a missing, corrupted or foreign file. */
bool snapshot_save(const struct snapshot *snapshot, const char *dir) CASA_MUSTCHECK;
struct snapshot *snapshot_load(const char *dir);

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

#endif
