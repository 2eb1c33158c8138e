/*
 * bench_poll.c — the widget polling path: many keep-alive connections each
 * revalidating one table with If-None-Match, as dashboard widgets do every
 * few seconds. Counts 304 answers per second.
 *
 *   bench_poll HOST PORT PATH ETAG CONNECTIONS SECONDS
 *
 * wrk 4.1's HTTP parser waits for a body after a 304 that carries the 200's
 * Content-Length (which RFC 9110 §8.6 allows), so it cannot measure this
 * path; this client reads a 304 as headers only, whatever Content-Length
 * says, and runs the same way against casa-metricsd and nginx.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct poller {
	struct sockaddr_in address; /* server */
	const char *request;        /* the whole request, sent again and again */
	size_t request_len;         /* its length */
	double deadline;            /* monotonic seconds */
	atomic_ulong *answers;      /* 304s received, all pollers */
	atomic_ulong *errors;       /* anything else */
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads one response head (to the blank line); true when it is a 304. */
static int read_head(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	while (len < cap - 1) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			return strncmp(buf, "HTTP/1.1 304", 12) == 0 ? 1 : 0;
	}
	return -1;
}

static void *poll_loop(void *arg)
{
	struct poller *p = arg;
	char buf[4096];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&p->address, sizeof(p->address)) != 0) {
		atomic_fetch_add(p->errors, 1);
		close(fd);
		return NULL;
	}
	while (now_seconds() < p->deadline) {
		if (write(fd, p->request, p->request_len) != (ssize_t)p->request_len) {
			atomic_fetch_add(p->errors, 1);
			break;
		}
		int head = read_head(fd, buf, sizeof(buf));
		if (head < 0) {
			atomic_fetch_add(p->errors, 1);
			break;
		}
		atomic_fetch_add(head ? p->answers : p->errors, 1);
	}
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: bench_poll HOST PORT PATH ETAG CONNECTIONS SECONDS\n");
		return 2;
	}
	int connections = atoi(argv[5]);
	double seconds = atof(argv[6]);
	if (connections < 1 || connections > 256 || seconds <= 0)
		return 2;
	char request[2048];
	int len = snprintf(request, sizeof(request),
			   "GET %s HTTP/1.1\r\nHost: %s:%s\r\nIf-None-Match: %s\r\n\r\n", argv[3],
			   argv[1], argv[2], argv[4]);
	if (len < 0 || (size_t)len >= sizeof(request))
		return 2;
	atomic_ulong answers = 0, errors = 0;
	struct poller p = {.request = request, .request_len = (size_t)len,
			   .answers = &answers, .errors = &errors};
	p.address.sin_family = AF_INET;
	p.address.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &p.address.sin_addr) != 1)
		return 2;
	pthread_t threads[256];
	double start = now_seconds();
	p.deadline = start + seconds;
	for (int i = 0; i < connections; i++)
		pthread_create(&threads[i], NULL, poll_loop, &p);
	for (int i = 0; i < connections; i++)
		pthread_join(threads[i], NULL);
	double elapsed = now_seconds() - start;
	printf("%.0f 304/s (%lu answers, %lu errors, %d connections, %.1f s)\n",
	       (double)atomic_load(&answers) / elapsed, atomic_load(&answers),
	       atomic_load(&errors), connections, elapsed);
	return atomic_load(&errors) == 0 ? 0 : 1;
}
