/*
 * stats.c — the refresh-duration histogram.
 */
#include "casa/stats.h"

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
