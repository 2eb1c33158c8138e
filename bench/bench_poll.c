/*
 * bench_poll.c — the widget polling path: many keep-alive connections each
 * revalidating one table with If-None-Match, as dashboard widgets do every
 * few seconds. Counts 304 answers per second and their latency.
 *
 *   bench_poll HOST PORT PATH ETAG CONNECTIONS SECONDS [THREADS]
 *
 * wrk 4.1's HTTP parser waits for a body after a 304 that carries the 200's
 * Content-Length (which RFC 9110 §8.6 allows), so it cannot measure this
 * path; this client reads a 304 as headers only, whatever Content-Length
 * says, and runs the same way against casa-metricsd and nginx. Like wrk it
 * keeps every connection busy (closed loop): THREADS (default 2) threads
 * each drive their share of the connections through epoll, so 512 or 4096
 * connections cost no more threads than 16.
 *
 * The connections are opened first, then the clock starts. Prints
 * "N 304/s (...)" and then p50, p99 and p99.9 of the time from
 * sending a request to reading the end of its response head. Any answer
 * but a 304 counts as an error (and its connection is opened again).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 65536
#define MAX_THREADS     64
#define HEAD_CAP        4096
/* Latency histogram: 10 µs buckets up to 10 s, the rest in the last one. */
#define BUCKET_US 10
#define BUCKETS   1000000

struct connection {
	int fd;              /* -1 while closed */
	double sent_at;      /* monotonic seconds the request went out */
	size_t head_len;     /* bytes of the response head read so far */
	char head[HEAD_CAP]; /* the response head being read */
};

struct poller {
	struct sockaddr_in address;   /* server */
	const char *request;          /* the whole request, sent again and again */
	size_t request_len;           /* its length */
	pthread_barrier_t *connected; /* every thread has opened its connections */
	pthread_barrier_t *go;        /* deadline set: start sending */
	double deadline;              /* monotonic seconds */
	int connections;              /* this thread's share */
	unsigned long answers;        /* 304s received */
	unsigned long errors;         /* anything else, and failed writes or reads */
	unsigned *histogram;          /* BUCKETS counters of latency */
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Opens c; false when the server refuses. */
static bool open_connection(struct poller *p, int epoll_fd, struct connection *c)
{
	int one = 1;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return false;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	if (connect(c->fd, (const struct sockaddr *)&p->address, sizeof(p->address)) != 0 ||
	    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
		close(c->fd);
		c->fd = -1;
		return false;
	}
	c->head_len = 0;
	return true;
}

static bool send_request(struct poller *p, struct connection *c)
{
	c->head_len = 0;
	c->sent_at = now_seconds();
	return write(c->fd, p->request, p->request_len) == (ssize_t)p->request_len;
}

static void record(struct poller *p, double seconds)
{
	long bucket = (long)(seconds * 1e6 / BUCKET_US);
	if (bucket >= BUCKETS)
		bucket = BUCKETS - 1;
	p->histogram[bucket < 0 ? 0 : bucket]++;
}

/* Reads what c has; at the end of a response head counts it and sends the
 * next request. false: the connection is to be closed. */
static bool on_readable(struct poller *p, struct connection *c)
{
	ssize_t n = read(c->fd, c->head + c->head_len, HEAD_CAP - 1 - c->head_len);
	if (n <= 0)
		return n < 0 && (errno == EAGAIN || errno == EINTR);
	c->head_len += (size_t)n;
	c->head[c->head_len] = '\0';
	if (strstr(c->head, "\r\n\r\n") == NULL)
		return c->head_len < HEAD_CAP - 1;
	double now = now_seconds();
	/* A 304 ends at its head; anything else may carry a body we do not
	 * read, so its connection starts over. */
	if (strncmp(c->head, "HTTP/1.1 304", 12) != 0)
		return false;
	record(p, now - c->sent_at);
	p->answers++;
	if (now >= p->deadline)
		return false;
	return send_request(p, c);
}

static void *poll_loop(void *arg)
{
	struct poller *p = arg;
	struct epoll_event events[256];
	struct connection *conns = calloc((size_t)p->connections, sizeof(*conns));
	int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	int open_count = 0;
	/* Connections are opened before the clock starts, as a widget's are
	 * long open when it polls: the figure is requests, not handshakes. */
	for (int i = 0; conns != NULL && epoll_fd >= 0 && i < p->connections; i++) {
		if (open_connection(p, epoll_fd, &conns[i]))
			open_count++;
		else
			p->errors++;
	}
	pthread_barrier_wait(p->connected);
	pthread_barrier_wait(p->go);
	if (conns == NULL || epoll_fd < 0) {
		p->errors++;
		goto done;
	}
	for (int i = 0; i < p->connections; i++) {
		if (conns[i].fd >= 0 && !send_request(p, &conns[i])) {
			p->errors++;
			close(conns[i].fd);
			conns[i].fd = -1;
			open_count--;
		}
	}
	while (open_count > 0) {
		double left = p->deadline - now_seconds();
		int n =
		    epoll_wait(epoll_fd, events, 256, left > 0 ? (int)(left * 1000) + 100 : 100);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			struct connection *c = events[i].data.ptr;
			if (on_readable(p, c))
				continue;
			bool finished = now_seconds() >= p->deadline;
			if (!finished)
				p->errors++;
			close(c->fd); /* also leaves the epoll set */
			c->fd = -1;
			open_count--;
			if (!finished) {
				if (open_connection(p, epoll_fd, c) && send_request(p, c))
					open_count++;
				else
					p->errors++;
			}
		}
	}
done:
	if (conns != NULL)
		for (int i = 0; i < p->connections; i++)
			if (conns[i].fd >= 0)
				close(conns[i].fd);
	if (epoll_fd >= 0)
		close(epoll_fd);
	free(conns);
	return NULL;
}

/* The latency at quantile q (0..1) of the merged histogram, milliseconds. */
static double quantile_ms(const unsigned long *merged, unsigned long total, double q)
{
	unsigned long rank = (unsigned long)(q * (double)total);
	unsigned long seen = 0;
	for (long b = 0; b < BUCKETS; b++) {
		seen += merged[b];
		if (seen > rank)
			return (double)(b + 1) * BUCKET_US / 1e3;
	}
	return (double)BUCKETS * BUCKET_US / 1e3;
}

int main(int argc, char **argv)
{
	/* a write to a connection the server has shut fails with EPIPE and
	 * counts as such; it must not kill the client (SIGPIPE) */
	signal(SIGPIPE, SIG_IGN);
	if (argc != 7 && argc != 8) {
		fprintf(stderr,
		        "usage: bench_poll HOST PORT PATH ETAG CONNECTIONS SECONDS [THREADS]\n");
		return 2;
	}
	int connections = atoi(argv[5]);
	double seconds = atof(argv[6]);
	int threads = argc == 8 ? atoi(argv[7]) : 2;
	if (connections < 1 || connections > MAX_CONNECTIONS || seconds <= 0 || threads < 1 ||
	    threads > MAX_THREADS)
		return 2;
	if (threads > connections)
		threads = connections;
	char request[2048];
	int len = snprintf(request, sizeof(request),
	                   "GET %s HTTP/1.1\r\nHost: %s:%s\r\nIf-None-Match: %s\r\n\r\n", argv[3],
	                   argv[1], argv[2], argv[4]);
	if (len < 0 || (size_t)len >= sizeof(request))
		return 2;
	static struct poller pollers[MAX_THREADS];
	static unsigned long merged[BUCKETS];
	pthread_t ids[MAX_THREADS];
	pthread_barrier_t connected, go;
	pthread_barrier_init(&connected, NULL, (unsigned)threads + 1);
	pthread_barrier_init(&go, NULL, (unsigned)threads + 1);
	for (int t = 0; t < threads; t++) {
		struct poller *p = &pollers[t];
		p->request = request;
		p->request_len = (size_t)len;
		p->address.sin_family = AF_INET;
		p->address.sin_port = htons((uint16_t)atoi(argv[2]));
		if (inet_pton(AF_INET, argv[1], &p->address.sin_addr) != 1)
			return 2;
		p->connected = &connected;
		p->go = &go;
		p->connections = connections / threads + (t < connections % threads);
		p->histogram = calloc(BUCKETS, sizeof(*p->histogram));
		if (p->histogram == NULL)
			return 1;
		pthread_create(&ids[t], NULL, poll_loop, p);
	}
	double connect_started = now_seconds();
	pthread_barrier_wait(&connected);
	double start = now_seconds();
	for (int t = 0; t < threads; t++)
		pollers[t].deadline = start + seconds;
	pthread_barrier_wait(&go);
	unsigned long answers = 0, errors = 0;
	for (int t = 0; t < threads; t++) {
		pthread_join(ids[t], NULL);
		answers += pollers[t].answers;
		errors += pollers[t].errors;
		for (long b = 0; b < BUCKETS; b++)
			merged[b] += pollers[t].histogram[b];
		free(pollers[t].histogram);
	}
	double elapsed = now_seconds() - start;
	printf("%.0f 304/s (%lu answers, %lu errors, %d connections opened in %.2f s, %d threads, "
	       "%.1f s) p50 %.2fms p99 %.2fms p99.9 %.2fms\n",
	       (double)answers / elapsed, answers, errors, connections, start - connect_started,
	       threads, elapsed, quantile_ms(merged, answers, 0.50),
	       quantile_ms(merged, answers, 0.99), quantile_ms(merged, answers, 0.999));
	return errors == 0 ? 0 : 1;
}
