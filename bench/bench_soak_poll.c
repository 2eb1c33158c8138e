/*
 * bench_soak_poll.c — the conditional pollers of bench/soak: keep-alive
 * connections, each revalidating one path with the ETag it was last sent
 * (If-None-Match), as a dashboard widget does, for a set time. A 304 is read
 * as headers only, whatever Content-Length says (RFC 9110 §8.6 lets a 304
 * carry the 200's length, and wrk 4.1 then waits for a body that never
 * comes); a 200 is read to its Content-Length and its ETag kept.
 *
 *   bench_soak_poll HOST PORT PATH CONNECTIONS SECONDS DELAY_MS
 *
 * Prints one line: requests=N ok=N not_modified=N failed=N etag_changes=N
 * p50_us=N p99_us=N p999_us=N max_us=N (failed: any other status, a
 * connection refused, closed or broken, or a 200 without an ETag; latency:
 * from writing the request to the last byte of the answer, answered
 * requests only). Exits 1 when a request failed.
 *
 * Latencies go into a log-linear histogram: exact below 128 µs, then 64
 * buckets per power of two, so a percentile is within 1/64 (1.6 %) of the
 * true value; it is printed as the upper bound of its bucket, never lower
 * than the truth.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETAG_MAX    64
#define LINEAR_US   128 /* below this, one bucket per microsecond */
#define SUB_BUCKETS 64  /* per power of two above it */
#define EXPONENTS   26  /* 64 µs << 26 > 4,000 s: any latency fits */
#define BUCKETS     (LINEAR_US + EXPONENTS * SUB_BUCKETS)

struct counts {
	atomic_ulong requests;     /* answered or failed */
	atomic_ulong ok;           /* 200 */
	atomic_ulong not_modified; /* 304 */
	atomic_ulong failed;       /* anything else */
	atomic_ulong etag_changes; /* a 200 with another ETag than the last */
};

/* The latencies of one connection, merged after the run. */
struct latencies {
	unsigned long count[BUCKETS]; /* answers per bucket */
	unsigned long max_us;         /* the slowest answer */
};

struct poller {
	struct sockaddr_in address; /* server */
	const char *host;           /* Host header */
	const char *path;           /* what is polled */
	double deadline;            /* monotonic seconds */
	long delay_ms;              /* between two requests of a connection */
	struct counts *counts;      /* shared by every connection */
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_to(const struct sockaddr_in *address)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)address, sizeof(*address)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The histogram bucket of a latency of us microseconds. */
static size_t bucket_of(unsigned long us)
{
	if (us < LINEAR_US)
		return us;
	/* us >> shift lands in [SUB_BUCKETS, 2 * SUB_BUCKETS): a bucket 2^shift
	 * wide above 64 * 2^shift, 1/64 of its value; shift >= 1 here */
	unsigned shift = 1;
	while ((us >> shift) >= 2 * SUB_BUCKETS)
		shift++;
	size_t index =
	    LINEAR_US + (size_t)(shift - 1) * SUB_BUCKETS + ((us >> shift) - SUB_BUCKETS);
	return index < BUCKETS ? index : BUCKETS - 1;
}

/* The largest latency that falls into bucket index. */
static unsigned long bucket_upper_us(size_t index)
{
	if (index < LINEAR_US)
		return index;
	size_t shift = (index - LINEAR_US) / SUB_BUCKETS + 1;
	unsigned long sub = SUB_BUCKETS + (index - LINEAR_US) % SUB_BUCKETS;
	return ((sub + 1) << shift) - 1;
}

/* The latency below which fraction of the answers fall (0 when none). */
static unsigned long percentile_us(const struct latencies *all, double fraction)
{
	unsigned long total = 0;
	for (size_t i = 0; i < BUCKETS; i++)
		total += all->count[i];
	if (total == 0)
		return 0;
	/* the rank of the answer at that fraction, counted from 1 */
	unsigned long rank = (unsigned long)(fraction * (double)total);
	if ((double)rank < fraction * (double)total || rank < 1)
		rank++;
	unsigned long seen = 0;
	for (size_t i = 0; i < BUCKETS; i++) {
		seen += all->count[i];
		if (seen >= rank)
			return bucket_upper_us(i) < all->max_us ? bucket_upper_us(i) : all->max_us;
	}
	return all->max_us;
}

/* The value of header name in the head (NUL-terminated) into out. */
static bool header_value(const char *head, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name);
	for (const char *line = strstr(head, "\r\n"); line != NULL;
	     line = strstr(line + 2, "\r\n")) {
		const char *start = line + 2;
		if (strncasecmp(start, name, n) != 0 || start[n] != ':')
			continue;
		start += n + 1;
		while (*start == ' ')
			start++;
		size_t len = strcspn(start, "\r");
		if (len >= cap)
			return false;
		memcpy(out, start, len);
		out[len] = '\0';
		return true;
	}
	return false;
}

/* One request and its answer on fd: the status (200, 304, other), -1 when
 * the connection broke or the answer is malformed. A 200's ETag replaces
 * etag (*changed: it was another, not the first). */
static int exchange(const struct poller *p, int fd, char etag[ETAG_MAX], bool *changed)
{
	char request[1024], head[8192], value[ETAG_MAX];
	int len = etag[0] != '\0'
	              ? snprintf(request, sizeof(request),
	                         "GET %s HTTP/1.1\r\nHost: %s\r\nIf-None-Match: %s\r\n\r\n",
	                         p->path, p->host, etag)
	              : snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n",
	                         p->path, p->host);
	if (len < 0 || (size_t)len >= sizeof(request) || write(fd, request, (size_t)len) != len)
		return -1;
	size_t got = 0;
	char *end = NULL;
	while (end == NULL) {
		if (got >= sizeof(head) - 1)
			return -1;
		ssize_t n = read(fd, head + got, sizeof(head) - 1 - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
		head[got] = '\0';
		end = strstr(head, "\r\n\r\n");
	}
	size_t body_read = got - (size_t)(end + 4 - head);
	end[2] = '\0'; /* the head ends with its last header line's CRLF */
	int status = atoi(head + 9);
	*changed = false;
	if (status != 200)
		return body_read == 0 ? status : -1; /* a 304 has no body */
	char length_text[32];
	if (!header_value(head, "Content-Length", length_text, sizeof(length_text)) ||
	    !header_value(head, "ETag", value, sizeof(value)))
		return -1;
	size_t length = strtoul(length_text, NULL, 10);
	char sink[16384];
	while (body_read < length) {
		size_t want = length - body_read < sizeof(sink) ? length - body_read : sizeof(sink);
		ssize_t n = read(fd, sink, want);
		if (n <= 0)
			return -1;
		body_read += (size_t)n;
	}
	if (body_read != length)
		return -1;
	if (strcmp(value, etag) != 0) {
		*changed = etag[0] != '\0';
		memcpy(etag, value, ETAG_MAX);
	}
	return 200;
}

struct connection {
	const struct poller *poller; /* shared settings */
	struct latencies *latencies; /* this connection's own */
};

static void *poll_loop(void *arg)
{
	const struct connection *c = arg;
	const struct poller *p = c->poller;
	char etag[ETAG_MAX] = "";
	struct timespec pause = {p->delay_ms / 1000, (p->delay_ms % 1000) * 1000000L};
	int fd = -1;
	while (now_seconds() < p->deadline) {
		bool changed = false;
		if (fd < 0)
			fd = connect_to(&p->address);
		double sent = now_seconds();
		int status = fd < 0 ? -1 : exchange(p, fd, etag, &changed);
		atomic_fetch_add(&p->counts->requests, 1);
		if (status == 200 || status == 304) {
			unsigned long us = (unsigned long)((now_seconds() - sent) * 1e6);
			c->latencies->count[bucket_of(us)]++;
			if (us > c->latencies->max_us)
				c->latencies->max_us = us;
		}
		if (status == 200) {
			atomic_fetch_add(&p->counts->ok, 1);
			if (changed)
				atomic_fetch_add(&p->counts->etag_changes, 1);
		} else if (status == 304) {
			atomic_fetch_add(&p->counts->not_modified, 1);
		} else {
			atomic_fetch_add(&p->counts->failed, 1);
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
		nanosleep(&pause, NULL);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	/* a write to a connection the server has shut fails with EPIPE and
	 * counts as such; it must not kill the client (SIGPIPE) */
	signal(SIGPIPE, SIG_IGN);
	if (argc != 7) {
		fprintf(stderr,
		        "usage: bench_soak_poll HOST PORT PATH CONNECTIONS SECONDS DELAY_MS\n");
		return 2;
	}
	int connections = atoi(argv[4]);
	double seconds = atof(argv[5]);
	long delay_ms = atol(argv[6]);
	if (connections < 1 || connections > 256 || seconds <= 0 || delay_ms < 0)
		return 2;
	char host[300];
	snprintf(host, sizeof(host), "%s:%s", argv[1], argv[2]);
	static struct counts counts;
	struct poller p = {.host = host, .path = argv[3], .delay_ms = delay_ms, .counts = &counts};
	p.address.sin_family = AF_INET;
	p.address.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &p.address.sin_addr) != 1)
		return 2;
	static pthread_t threads[256];
	static struct connection each[256];
	static struct latencies latencies[256], all;
	p.deadline = now_seconds() + seconds;
	for (int i = 0; i < connections; i++) {
		each[i] = (struct connection){.poller = &p, .latencies = &latencies[i]};
		if (pthread_create(&threads[i], NULL, poll_loop, &each[i]) != 0) {
			fprintf(stderr, "bench_soak_poll: cannot start thread %d\n", i);
			return 2; /* the threads started run to their deadline and die with us */
		}
	}
	for (int i = 0; i < connections; i++) {
		pthread_join(threads[i], NULL);
		for (size_t b = 0; b < BUCKETS; b++)
			all.count[b] += latencies[i].count[b];
		if (latencies[i].max_us > all.max_us)
			all.max_us = latencies[i].max_us;
	}
	printf("requests=%lu ok=%lu not_modified=%lu failed=%lu etag_changes=%lu p50_us=%lu "
	       "p99_us=%lu p999_us=%lu max_us=%lu\n",
	       atomic_load(&counts.requests), atomic_load(&counts.ok),
	       atomic_load(&counts.not_modified), atomic_load(&counts.failed),
	       atomic_load(&counts.etag_changes), percentile_us(&all, 0.50),
	       percentile_us(&all, 0.99), percentile_us(&all, 0.999), all.max_us);
	return atomic_load(&counts.failed) == 0 ? 0 : 1;
}
