/*
 * bench_slow_clients.c — slow clients ("slowloris") against the HTTP server,
 * and a normal client timing its requests meanwhile (issue 16, row 5).
 *
 *   bench_slow_clients PORT [--slow N] [--addresses A] [--seconds S]
 *                           [--path PATH] [--probe-ms MS] [--probe-from ADDR]
 *                           [--ramp S]
 *
 * N slow connections (default 2000) come from A loopback addresses (default
 * 50: 127.1.0.1, 127.1.0.2, ...; 127.0.0.0/8 is all loopback on Linux), so a
 * per-address limit sees N / A each. Every slow connection sends one byte a
 * second of a request whose headers never end. When the server closes one,
 * it is opened again at the next tick of its second, as an attacker keeping
 * N connections would (slowhttptest does the same).
 *
 * Once the N connections are open (or after --ramp seconds, default 5), a
 * normal client (from --probe-from, default 127.0.0.1) sends GET PATH
 * (default /healthz) on a new connection every --probe-ms (default 50)
 * milliseconds until --seconds (default 20) have passed since the start,
 * and times each from connect() to the end of the answer. A probe not
 * answered with a 200 within 5 s is a failure and counts as 5000 ms.
 *
 * Prints one "name value" line per figure: the probes' count, failures and
 * p50/p99/max in milliseconds; how many slow connections were open at the
 * least and on average while probing (as the client sees them: the kernel
 * completes a handshake even when the server does not accept), how many
 * connect() calls succeeded or failed, how many the server closed and how
 * long those had lived since their connect() (min / median / max seconds). Exits 0 unless its own
 * arguments or resources fail: the caller judges the figures.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SLOW           60000
#define MAX_ADDRESSES      60000
#define PROBE_TIMEOUT_S    5.0
#define PROBE_RESPONSE_CAP (1 << 20)

/* A request line and headers that never end: after the prefix the client
 * repeats one header line forever. */
static const char slow_prefix[] = "GET /api/v1/summary HTTP/1.1\r\nHost: casa\r\n";
static const char slow_filler[] = "X-Slow: a\r\n";

enum slow_state {
	SLOW_IDLE,       /* closed; opened again at next_at */
	SLOW_CONNECTING, /* connect() under way */
	SLOW_OPEN,       /* connected, trickling */
};

struct slow_connection {
	int fd;                /* -1 when idle */
	enum slow_state state; /* see above */
	int address;           /* index of its source address */
	double opened_at;      /* monotonic seconds connect() was called: never after the
	                          server's accept, so a lifetime is never short */
	double next_at;        /* next byte (open) or next connect() (idle) */
	size_t sent;           /* bytes of the endless request sent */
};

/* Shared between the slow loop and the probe thread. */
struct run {
	struct sockaddr_in server;  /* 127.0.0.1:PORT */
	struct in_addr probe_from;  /* the normal client's address */
	const char *path;           /* what the normal client asks for */
	int slow;                   /* slow connections wanted */
	int addresses;              /* source addresses they come from */
	double start;               /* monotonic seconds */
	double end;                 /* start + --seconds */
	double ramp;                /* at most this long before probing starts */
	int probe_ms;               /* pause between probes */
	atomic_int open_now;        /* slow connections open (slow loop writes) */
	atomic_bool probing;        /* probe thread has started timing */
	double *probe_ms_samples;   /* latencies of the probes */
	int probes;                 /* entries in probe_ms_samples */
	int probe_capacity;         /* allocated entries */
	int probe_failures;         /* probes without a 200 in time */
	unsigned long connects;     /* slow connect()s that succeeded */
	unsigned long refused;      /* slow connect()s that failed */
	unsigned long closed;       /* slow connections the server closed */
	double *lifetimes;          /* seconds each closed one had lived */
	unsigned long lifetime_cap; /* allocated entries */
	long open_min;              /* least open while probing, -1 before */
	double open_sum;            /* sum of samples while probing */
	unsigned long open_samples; /* samples taken while probing */
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct in_addr slow_address(int index)
{
	/* 127.1.0.1 .. 127.1.0.250, 127.1.1.1, ...: never a .0 or a .255 */
	struct in_addr a;
	unsigned host = (127u << 24) | (1u << 16) | ((unsigned)(index / 250) << 8) |
	                (unsigned)(index % 250 + 1);
	a.s_addr = htonl(host);
	return a;
}

static int socket_from(struct in_addr from)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr = from};
	if (bind(fd, (const struct sockaddr *)&local, sizeof(local)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void slow_open(struct run *run, int epoll_fd, struct slow_connection *c, double now)
{
	c->fd = socket_from(slow_address(c->address));
	c->sent = 0;
	if (c->fd < 0) {
		run->refused++;
		c->state = SLOW_IDLE;
		c->next_at = now + 1.0;
		return;
	}
	int rc = connect(c->fd, (const struct sockaddr *)&run->server, sizeof(run->server));
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.ptr = c};
	if ((rc != 0 && errno != EINPROGRESS) || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c->fd, &ev)) {
		close(c->fd);
		c->fd = -1;
		run->refused++;
		c->state = SLOW_IDLE;
		c->next_at = now + 1.0;
		return;
	}
	c->state = SLOW_CONNECTING;
	c->opened_at = now;
}

static void slow_close(struct run *run, struct slow_connection *c, double now, bool by_server)
{
	if (c->state == SLOW_OPEN) {
		run->open_now--;
		if (by_server) {
			run->closed++;
			if (run->closed <= run->lifetime_cap)
				run->lifetimes[run->closed - 1] = now - c->opened_at;
		}
	} else if (c->state == SLOW_CONNECTING) {
		run->refused++;
	}
	close(c->fd); /* also leaves the epoll set */
	c->fd = -1;
	c->state = SLOW_IDLE;
	c->next_at = now + 1.0;
}

/* One more byte of the endless request. */
static bool slow_trickle(struct slow_connection *c)
{
	size_t prefix = sizeof(slow_prefix) - 1, filler = sizeof(slow_filler) - 1;
	char byte =
	    c->sent < prefix ? slow_prefix[c->sent] : slow_filler[(c->sent - prefix) % filler];
	if (write(c->fd, &byte, 1) != 1)
		return errno == EAGAIN;
	c->sent++;
	return true;
}

static void on_event(struct run *run, int epoll_fd, struct slow_connection *c, uint32_t events,
                     double now)
{
	if (c->state == SLOW_CONNECTING) {
		int error = 0;
		socklen_t len = sizeof(error);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0 ||
		    (events & (EPOLLERR | EPOLLHUP)) || !(events & EPOLLOUT)) {
			slow_close(run, c, now, false);
			return;
		}
		c->state = SLOW_OPEN;
		c->next_at = now; /* the first byte at once */
		run->connects++;
		run->open_now++;
		/* from now on only the server letting go matters */
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
		if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
			slow_close(run, c, now, false);
		return;
	}
	if (c->state != SLOW_OPEN)
		return;
	/* The request never ends, so anything readable (a 4xx, the end of
	 * the stream, a reset) means the server let go. */
	char sink[512];
	ssize_t n = read(c->fd, sink, sizeof(sink));
	if (n < 0 && errno == EAGAIN && !(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	slow_close(run, c, now, true);
}

static void slow_loop(struct run *run, struct slow_connection *conns, int epoll_fd)
{
	struct epoll_event events[512];
	double next_sample = 0;
	for (;;) {
		double now = now_seconds();
		if (now >= run->end)
			break;
		int n = epoll_wait(epoll_fd, events, 512, 20);
		now = now_seconds();
		for (int i = 0; i < n; i++)
			on_event(run, epoll_fd, events[i].data.ptr, events[i].events, now);
		for (int i = 0; i < run->slow; i++) {
			struct slow_connection *c = &conns[i];
			if (c->next_at > now)
				continue;
			if (c->state == SLOW_IDLE) {
				slow_open(run, epoll_fd, c, now);
			} else if (c->state == SLOW_OPEN) {
				if (!slow_trickle(c))
					slow_close(run, c, now, true);
				else
					c->next_at = now + 1.0;
			}
		}
		if (run->probing && now >= next_sample) {
			next_sample = now + 0.1;
			if (run->open_min < 0 || run->open_now < run->open_min)
				run->open_min = run->open_now;
			run->open_sum += run->open_now;
			run->open_samples++;
		}
	}
}

/* One normal request on a new connection; its latency in ms, or a
 * negative number when it got no 200 within PROBE_TIMEOUT_S. */
static double probe_once(const struct run *run, char *response)
{
	double t0 = now_seconds(), deadline = t0 + PROBE_TIMEOUT_S;
	char request[512];
	int len = snprintf(request, sizeof(request),
	                   "GET %s HTTP/1.1\r\nHost: casa\r\nConnection: close\r\n\r\n", run->path);
	int fd = socket_from(run->probe_from);
	size_t got = 0, sent = 0;
	bool ok = false;
	if (fd < 0 || len < 0 || (size_t)len >= sizeof(request))
		goto done;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&run->server, sizeof(run->server)) != 0 &&
	    errno != EINPROGRESS)
		goto done;
	for (;;) {
		double left = deadline - now_seconds();
		if (left <= 0)
			goto done;
		struct pollfd p = {.fd = fd, .events = sent < (size_t)len ? POLLOUT : POLLIN};
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		if (sent < (size_t)len) {
			ssize_t w = write(fd, request + sent, (size_t)len - sent);
			if (w < 0 && errno != EAGAIN)
				goto done;
			sent += w > 0 ? (size_t)w : 0;
			continue;
		}
		ssize_t r = read(fd, response + got, PROBE_RESPONSE_CAP - 1 - got);
		if (r < 0 && errno == EAGAIN)
			continue;
		if (r <= 0 || got + (size_t)r >= PROBE_RESPONSE_CAP - 1)
			break; /* Connection: close: the end of the answer */
		got += (size_t)r;
	}
	response[got] = '\0';
	ok = strncmp(response, "HTTP/1.1 200", 12) == 0 && strstr(response, "\r\n\r\n") != NULL;
done:
	if (fd >= 0)
		close(fd);
	return ok ? (now_seconds() - t0) * 1000.0 : -1.0;
}

static void *probe_main(void *arg)
{
	struct run *run = arg;
	char *response = malloc(PROBE_RESPONSE_CAP);
	if (response == NULL)
		return NULL;
	while (run->open_now < run->slow && now_seconds() < run->start + run->ramp)
		usleep(10000);
	run->probing = 1;
	while (now_seconds() < run->end && run->probes < run->probe_capacity) {
		double ms = probe_once(run, response);
		if (ms < 0) {
			run->probe_failures++;
			ms = PROBE_TIMEOUT_S * 1000.0;
		}
		run->probe_ms_samples[run->probes++] = ms;
		usleep((useconds_t)run->probe_ms * 1000u);
	}
	free(response);
	return NULL;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The value at quantile q of n sorted values (nearest rank). */
static double quantile(const double *sorted, size_t n, double q)
{
	if (n == 0)
		return -1;
	size_t rank = (size_t)(q * (double)n + 0.999999);
	return sorted[rank == 0 ? 0 : rank - 1];
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_slow_clients PORT [--slow N] [--addresses A] [--seconds S] "
	                "[--path PATH] [--probe-ms MS] [--probe-from ADDR] [--ramp S]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static struct run run;
	double seconds = 20;
	const char *probe_from = "127.0.0.1";
	/* a write to a connection the server has shut fails with EPIPE and
	 * counts as such; it must not kill the client (SIGPIPE) */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		return usage();
	run.server.sin_family = AF_INET;
	run.server.sin_port = htons((uint16_t)atoi(argv[1]));
	run.server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	run.slow = 2000;
	run.addresses = 50;
	run.path = "/healthz";
	run.probe_ms = 50;
	run.ramp = 5;
	run.open_min = -1;
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *name = argv[i], *value = argv[i + 1];
		if (strcmp(name, "--slow") == 0)
			run.slow = atoi(value);
		else if (strcmp(name, "--addresses") == 0)
			run.addresses = atoi(value);
		else if (strcmp(name, "--seconds") == 0)
			seconds = atof(value);
		else if (strcmp(name, "--path") == 0)
			run.path = value;
		else if (strcmp(name, "--probe-ms") == 0)
			run.probe_ms = atoi(value);
		else if (strcmp(name, "--probe-from") == 0)
			probe_from = value;
		else if (strcmp(name, "--ramp") == 0)
			run.ramp = atof(value);
		else
			return usage();
	}
	if (argc % 2 != 0 || run.slow < 0 || run.slow > MAX_SLOW || run.addresses < 1 ||
	    run.addresses > MAX_ADDRESSES || seconds <= 0 || run.probe_ms < 0 ||
	    inet_pton(AF_INET, probe_from, &run.probe_from) != 1)
		return usage();
	run.probe_capacity = (int)(seconds * 1000) + 16;
	run.probe_ms_samples = calloc((size_t)run.probe_capacity, sizeof(double));
	run.lifetime_cap = (unsigned long)run.slow * (unsigned long)(seconds + 1) + 16;
	run.lifetimes = calloc(run.lifetime_cap, sizeof(double));
	struct slow_connection *conns = calloc((size_t)run.slow + 1, sizeof(*conns));
	int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (run.probe_ms_samples == NULL || run.lifetimes == NULL || conns == NULL || epoll_fd < 0)
		return 1;
	run.start = now_seconds();
	run.end = run.start + seconds;
	for (int i = 0; i < run.slow; i++) {
		conns[i].fd = -1;
		conns[i].address = i % run.addresses;
		slow_open(&run, epoll_fd, &conns[i], now_seconds());
	}
	pthread_t probe;
	if (pthread_create(&probe, NULL, probe_main, &run) != 0)
		return 1;
	slow_loop(&run, conns, epoll_fd);
	pthread_join(probe, NULL);

	qsort(run.probe_ms_samples, (size_t)run.probes, sizeof(double), by_value);
	size_t lived = run.closed < run.lifetime_cap ? run.closed : run.lifetime_cap;
	qsort(run.lifetimes, lived, sizeof(double), by_value);
	printf("slow %d\naddresses %d\nseconds %.0f\n", run.slow, run.addresses, seconds);
	printf("slow_open_min %ld\nslow_open_mean %.0f\n", run.open_min,
	       run.open_samples > 0 ? run.open_sum / (double)run.open_samples : -1.0);
	printf("slow_connects %lu\nslow_connect_failures %lu\nslow_closed_by_server %lu\n",
	       run.connects, run.refused, run.closed);
	printf("slow_lifetime_min_s %.2f\nslow_lifetime_median_s %.2f\nslow_lifetime_max_s %.2f\n",
	       quantile(run.lifetimes, lived, 0), quantile(run.lifetimes, lived, 0.5),
	       quantile(run.lifetimes, lived, 1));
	printf("probes %d\nprobe_failures %d\n", run.probes, run.probe_failures);
	printf("probe_p50_ms %.2f\nprobe_p99_ms %.2f\nprobe_max_ms %.2f\n",
	       quantile(run.probe_ms_samples, (size_t)run.probes, 0.5),
	       quantile(run.probe_ms_samples, (size_t)run.probes, 0.99),
	       quantile(run.probe_ms_samples, (size_t)run.probes, 1));
	for (int i = 0; i < run.slow; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	close(epoll_fd);
	free(conns);
	free(run.probe_ms_samples);
	free(run.lifetimes);
	return 0;
}
