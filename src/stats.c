/*
 * stats.c — the refresh-duration histogram and the refresh watchdog.
 */
#include "casa/stats.h"

#include <time.h>

/* Refreshes take from well under a second (tiny programs) to about a minute
 * (millions of children); buckets span that range. */
const double stats_refresh_bucket_bounds[STATS_REFRESH_BUCKETS] = {0.1, 0.25, 0.5, 1,  2.5,
                                                                   5,   10,   30,  60, 120};

void stats_observe_refresh(struct stats *stats, double seconds)
{
	int bucket = 0;
	while (bucket < STATS_REFRESH_BUCKETS && seconds > stats_refresh_bucket_bounds[bucket])
		bucket++;
	atomic_fetch_add(&stats->refresh_buckets[bucket], 1);
	atomic_fetch_add(&stats->refresh_seconds_sum_us, (uint64_t)(seconds * 1e6));
}

static int64_t monotonic_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void stats_refresh_begin(struct stats *stats, int deadline_s)
{
	int64_t now = monotonic_ms();
	atomic_store(&stats->refresh_deadline_ms, (int64_t)deadline_s * 1000);
	atomic_store(&stats->refresh_started_ms, now > 0 ? now : 1); /* 0 means none */
}

void stats_refresh_end(struct stats *stats)
{
	atomic_store(&stats->refresh_started_ms, 0);
}

int64_t stats_refresh_running_ms(struct stats *stats)
{
	int64_t started = atomic_load(&stats->refresh_started_ms);
	return started == 0 ? 0 : monotonic_ms() - started;
}

bool stats_refresh_overdue(struct stats *stats)
{
	int64_t running = stats_refresh_running_ms(stats);
	return running > 0 && running > atomic_load(&stats->refresh_deadline_ms);
}

bool stats_stale(struct stats *stats)
{
	return atomic_load(&stats->stale) || stats_refresh_overdue(stats);
}
