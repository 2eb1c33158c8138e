/*
 * http_guard.c — slow clients (issue 16, row 5). libmicrohttpd's own
 * timeout is an idle timeout: a client that sends one byte a second is
 * never idle, and 1,100 of them held every slot of the connection limit
 * while a normal request waited unanswered in the listen queue. Here a
 * connection has http_header_timeout seconds for a whole request, and the
 * connections waiting for one may fill only part of the limit: a new
 * connection beyond that shuts down the connection that has waited
 * longest, which is a slow client's (a normal client's request arrives
 * with its connection), or an idle kept-alive one that can reconnect.
 *
 * Shutting down is shutdown(2) on the socket from the guard's side, never
 * close(2): libmicrohttpd sees the end of the stream, closes the
 * connection in its own thread and only then closes the descriptor. The
 * descriptor cannot have been reused while its entry is in the list,
 * because MHD reports a connection closed (http_guard_closed, under the
 * same lock) before it closes the socket.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "casa/log.h"
#include "http_internal.h"

/* How often the sweeper looks for connections past their deadline: the
 * deadline is kept to within this. */
#define HTTP_GUARD_TICK_MS 100
/* One connection in eight is kept for connections that send their
 * request at once: at the default limit (4096) that is 512 new clients
 * at the same moment, far above what the dashboards and scrapers of one
 * deployment open. */
#define HTTP_GUARD_RESERVE_DIVISOR 8

int64_t http_guard_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool http_guard_init(struct http_guard *guard, int header_timeout_s, int keep_alive_s,
                     int connection_limit)
{
	pthread_condattr_t attr;
	bool attr_made = false, lock_made = false;
	*guard = (struct http_guard){0};
	guard->header_ms = (int64_t)header_timeout_s * 1000;
	guard->keep_alive_ms = (int64_t)keep_alive_s * 1000;
	size_t limit = connection_limit > 0 ? (size_t)connection_limit : 1;
	size_t reserve = limit / HTTP_GUARD_RESERVE_DIVISOR;
	guard->room = limit - (reserve > 0 ? reserve : 1);
	if (pthread_mutex_init(&guard->lock, NULL) != 0)
		goto fail;
	lock_made = true;
	if (pthread_condattr_init(&attr) != 0)
		goto fail;
	attr_made = true;
	/* the sweeper's pauses follow the monotonic clock, as the deadlines */
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&guard->wake, &attr) != 0)
		goto fail;
	pthread_condattr_destroy(&attr);
	return true;
fail:
	if (attr_made)
		pthread_condattr_destroy(&attr);
	if (lock_made)
		pthread_mutex_destroy(&guard->lock);
	return false;
}

static void unlink_entry(struct http_guard *guard, struct http_guard_entry *entry)
{
	if (!entry->waiting)
		return;
	if (entry->older != NULL)
		entry->older->newer = entry->newer;
	else
		guard->oldest = entry->newer;
	if (entry->newer != NULL)
		entry->newer->older = entry->older;
	else
		guard->newest = entry->older;
	entry->older = entry->newer = NULL;
	entry->waiting = false;
	guard->waiting--;
}

static void append_entry(struct http_guard *guard, struct http_guard_entry *entry, int64_t since,
                         int64_t deadline)
{
	entry->since_ms = since;
	entry->deadline_ms = deadline;
	entry->older = guard->newest;
	entry->newer = NULL;
	if (guard->newest != NULL)
		guard->newest->newer = entry;
	else
		guard->oldest = entry;
	guard->newest = entry;
	entry->waiting = true;
	guard->waiting++;
}

static void shut_entry(struct http_guard *guard, struct http_guard_entry *entry)
{
	unlink_entry(guard, entry);
	entry->shut = true;
	/* ENOTCONN: the client has gone already; MHD finds out by itself */
	if (shutdown(entry->fd, SHUT_RDWR) != 0 && errno != ENOTCONN)
		log_warn("http: shutting down a slow connection");
}

void http_guard_opened(struct http_guard *guard, struct http_guard_entry *entry, int fd,
                       int64_t now_ms)
{
	*entry = (struct http_guard_entry){.fd = fd};
	pthread_mutex_lock(&guard->lock);
	append_entry(guard, entry, now_ms, now_ms + guard->header_ms);
	while (guard->waiting > guard->room && guard->oldest != entry) {
		shut_entry(guard, guard->oldest);
		atomic_fetch_add(&guard->evicted, 1);
	}
	pthread_mutex_unlock(&guard->lock);
}

void http_guard_answered(struct http_guard *guard, struct http_guard_entry *entry)
{
	pthread_mutex_lock(&guard->lock);
	unlink_entry(guard, entry);
	pthread_mutex_unlock(&guard->lock);
}

void http_guard_kept(struct http_guard *guard, struct http_guard_entry *entry, int64_t now_ms)
{
	pthread_mutex_lock(&guard->lock);
	if (!entry->shut) {
		unlink_entry(guard, entry); /* a pipelined request may not have left it */
		append_entry(guard, entry, now_ms,
		             now_ms + guard->keep_alive_ms + guard->header_ms);
	}
	pthread_mutex_unlock(&guard->lock);
}

void http_guard_closed(struct http_guard *guard, struct http_guard_entry *entry)
{
	pthread_mutex_lock(&guard->lock);
	unlink_entry(guard, entry);
	entry->shut = true;
	pthread_mutex_unlock(&guard->lock);
}

static unsigned sweep_locked(struct http_guard *guard, int64_t now_ms)
{
	unsigned shut = 0;
	/* The list is in the order connections began to wait; a kept-alive
	 * connection's deadline is later than a new one's that began at the
	 * same time, so the walk goes on past a live entry, and stops at the
	 * first that began to wait less than header_ms ago: no deadline comes
	 * before since + header_ms. */
	struct http_guard_entry *entry = guard->oldest;
	while (entry != NULL && entry->since_ms + guard->header_ms <= now_ms) {
		struct http_guard_entry *next = entry->newer;
		if (entry->deadline_ms <= now_ms) {
			shut_entry(guard, entry);
			shut++;
		}
		entry = next;
	}
	atomic_fetch_add(&guard->timed_out, shut);
	return shut;
}

unsigned http_guard_sweep(struct http_guard *guard, int64_t now_ms)
{
	pthread_mutex_lock(&guard->lock);
	unsigned shut = sweep_locked(guard, now_ms);
	pthread_mutex_unlock(&guard->lock);
	return shut;
}

/* One line for what the guard shut since the last line, at most one per
 * HTTP_LOG_WINDOW_S while it goes on (a flood of slow clients must not
 * become a flood of log lines); `force` at stop. Under the lock. */
static void log_counts(struct http_guard *guard, int64_t now_ms, bool force)
{
	uint_least64_t timed_out = atomic_load(&guard->timed_out);
	uint_least64_t evicted = atomic_load(&guard->evicted);
	if (timed_out == guard->logged_timed_out && evicted == guard->logged_evicted)
		return;
	if (!force && guard->logged_at_ms != 0 &&
	    now_ms - guard->logged_at_ms < (int64_t)HTTP_LOG_WINDOW_S * 1000)
		return;
	log_warnx("http: slow clients: shut %llu connections without a whole request after "
	          "%lld s, and %llu waiting longest to make room for new ones",
	          (unsigned long long)(timed_out - guard->logged_timed_out),
	          (long long)(guard->header_ms / 1000),
	          (unsigned long long)(evicted - guard->logged_evicted));
	guard->logged_timed_out = timed_out;
	guard->logged_evicted = evicted;
	guard->logged_at_ms = now_ms;
}

static void *sweeper_main(void *arg)
{
	struct http_guard *guard = arg;
	pthread_mutex_lock(&guard->lock);
	while (!guard->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += HTTP_GUARD_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		int rc = pthread_cond_timedwait(&guard->wake, &guard->lock, &until);
		if (rc != 0 && rc != ETIMEDOUT && rc != EINTR)
			break;
		if (guard->stopping)
			break;
		int64_t now = http_guard_now_ms();
		sweep_locked(guard, now);
		log_counts(guard, now, false);
	}
	pthread_mutex_unlock(&guard->lock);
	return NULL;
}

bool http_guard_start(struct http_guard *guard)
{
	guard->sweeper_started = pthread_create(&guard->sweeper, NULL, sweeper_main, guard) == 0;
	return guard->sweeper_started;
}

void http_guard_destroy(struct http_guard *guard)
{
	if (guard->sweeper_started) {
		pthread_mutex_lock(&guard->lock);
		guard->stopping = true;
		pthread_cond_signal(&guard->wake);
		pthread_mutex_unlock(&guard->lock);
		pthread_join(guard->sweeper, NULL);
		guard->sweeper_started = false;
	}
	pthread_mutex_lock(&guard->lock);
	log_counts(guard, http_guard_now_ms(), true);
	pthread_mutex_unlock(&guard->lock);
	pthread_cond_destroy(&guard->wake);
	pthread_mutex_destroy(&guard->lock);
}
