/*
 * stats.h — operational counters shared between the daemon (writer) and the
 * HTTP stage (reader, for /readyz and /metrics). Every field is atomic, so no
 * lock is held on the request path. One instance lives in the daemon context.
 * Only aggregate counts appear here, never a row-level value.
 */
#ifndef CASA_STATS_H
#define CASA_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "casa/model.h"

/* Upper bounds (seconds) of the refresh-duration histogram buckets; the
 * last bucket is +Inf. */
#define STATS_REFRESH_BUCKETS 10
extern const double stats_refresh_bucket_bounds[STATS_REFRESH_BUCKETS];

struct stats {
	atomic_bool stale;                        /* last refresh failed / db unreachable;
	                                             read it through stats_stale() */
	atomic_int_least64_t refresh_started_ms;  /* CLOCK_MONOTONIC ms when the refresh in
	                                             progress began, 0 = none running */
	atomic_int_least64_t refresh_deadline_ms; /* its refresh_deadline, ms */
	atomic_bool db_up;                        /* last contact with the db worked */
	atomic_int_least64_t last_success_unix;   /* end of last good refresh, 0 = never */
	atomic_int_least64_t last_attempt_unix;   /* end of last refresh attempt */
	atomic_int_least64_t refresh_key;         /* max(batch_id) of the served data */
	atomic_uint_least64_t refresh_failures;   /* failed refresh attempts */
	atomic_uint_least64_t refreshes;          /* refreshes that built a snapshot */
	atomic_uint_least64_t refresh_skipped;    /* refresh key unchanged: no pull */
	atomic_uint_least64_t refresh_buckets[STATS_REFRESH_BUCKETS + 1]; /* counts */
	atomic_uint_least64_t refresh_seconds_sum_us;         /* histogram sum, microseconds */
	atomic_uint_least64_t rows_loaded[MODEL_TABLE_COUNT]; /* last pull */
	atomic_uint_least64_t dq_violations[DQ_RULE_COUNT];   /* last build */
	atomic_uint_least64_t suppressed_cells;               /* in the served snapshot */
	atomic_int_least64_t started_unix;                    /* process start */
};

/* Records one refresh duration into the histogram. */
void stats_observe_refresh(struct stats *stats, double seconds);

/* The refresh watchdog (issue 16 row 1): the refresh thread brackets each
 * refresh with these; deadline_s is the refresh_deadline setting. */
void stats_refresh_begin(struct stats *stats, int deadline_s);
void stats_refresh_end(struct stats *stats);
/* Milliseconds the refresh in progress has run, 0 when none is running. */
int64_t stats_refresh_running_ms(struct stats *stats);
/* A refresh is running past its deadline. */
bool stats_refresh_overdue(struct stats *stats);
/* What /readyz, /metrics and X-Casa-Stale say: the last refresh failed, or
 * the one in progress is past its deadline (the served snapshot may then be
 * long out of date although nothing has failed yet). */
bool stats_stale(struct stats *stats);

#endif
