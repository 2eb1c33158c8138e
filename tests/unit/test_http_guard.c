/*
 * test_http_guard.c — the slow-client guard of the HTTP stage (issue 16,
 * row 5): the deadline for a whole request, the keep-alive deadline and
 * the room kept for new connections. The clock is a parameter, so every
 * deadline below is worked out from the times given; the "connections"
 * are socket pairs, and a shut connection is one whose other end reads the
 * end of the stream. tests/integration/test_slow_clients.sh runs the same
 * against the real server and real slow clients.
 */
#include <check.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../src/http_internal.h"

#define PAIRS 20

/* ends[i][0] is what the guard watches (the server's side), ends[i][1] the
 * client's. */
static int ends[PAIRS][2];
static struct http_guard_entry entries[PAIRS];

static void pairs_open(void)
{
	for (int i = 0; i < PAIRS; i++)
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, ends[i]), 0);
}

static void pairs_close(void)
{
	for (int i = 0; i < PAIRS; i++) {
		close(ends[i][0]);
		close(ends[i][1]);
	}
}

/* The client's end of pair i sees the end of the stream within wait_ms. */
static bool was_shut(int i, int wait_ms)
{
	struct pollfd p = {.fd = ends[i][1], .events = POLLIN};
	if (poll(&p, 1, wait_ms) != 1)
		return false;
	char byte;
	return recv(ends[i][1], &byte, 1, MSG_DONTWAIT) == 0;
}

/* Pair i is accepted at now_ms. */
static void open_pair(struct http_guard *guard, int i, int64_t now_ms)
{
	http_guard_opened(guard, &entries[i], ends[i][0], now_ms);
}

/* MHD reports every connection closed before the guard goes: none is left
 * waiting. */
static void finish(struct http_guard *guard)
{
	for (int i = 0; i < PAIRS; i++)
		http_guard_closed(guard, &entries[i]);
	ck_assert_uint_eq(guard->waiting, 0);
	http_guard_destroy(guard);
	pairs_close();
}

/* Fresh pairs and a guard: header_s for a whole request, keep_alive_s
 * idle, connection limit `limit`. */
static struct http_guard begin(int header_s, int keep_alive_s, int limit)
{
	struct http_guard guard;
	pairs_open();
	ck_assert(http_guard_init(&guard, header_s, keep_alive_s, limit));
	return guard;
}

START_TEST(test_header_deadline)
{
	/* 10 s for a whole request */
	struct http_guard guard = begin(10, 30, 64);
	open_pair(&guard, 0, 0);
	open_pair(&guard, 1, 4000);
	/* pair 2 sends its request at once: answered, no longer waiting */
	open_pair(&guard, 2, 0);
	http_guard_answered(&guard, &entries[2]);
	/* deadlines: pair 0 at 0 + 10000, pair 1 at 4000 + 10000 */
	ck_assert_uint_eq(http_guard_sweep(&guard, 9999), 0);
	ck_assert_uint_eq(http_guard_sweep(&guard, 10000), 1);
	ck_assert(was_shut(0, 0));
	ck_assert(!was_shut(1, 0));
	ck_assert_uint_eq(http_guard_sweep(&guard, 13999), 0);
	ck_assert_uint_eq(http_guard_sweep(&guard, 14000), 1);
	ck_assert(was_shut(1, 0));
	ck_assert_uint_eq(http_guard_sweep(&guard, 100000), 0);
	ck_assert(!was_shut(2, 0));
	ck_assert_uint_eq(atomic_load(&guard.timed_out), 2);
	ck_assert_uint_eq(atomic_load(&guard.evicted), 0);
	/* a shut connection stays shut: MHD closes it, it is not kept alive */
	http_guard_kept(&guard, &entries[0], 20000);
	ck_assert_uint_eq(guard.waiting, 0);
	finish(&guard);
}
END_TEST

START_TEST(test_keep_alive_deadline)
{
	struct http_guard guard = begin(10, 30, 64);
	open_pair(&guard, 0, 0);
	http_guard_answered(&guard, &entries[0]);
	/* answered at 1000 and kept alive: its next request must be whole by
	 * 1000 + 30000 (idle) + 10000 (the request) = 41000 */
	http_guard_kept(&guard, &entries[0], 1000);
	ck_assert_uint_eq(http_guard_sweep(&guard, 40999), 0);
	ck_assert(!was_shut(0, 0));
	/* another one answered again at 2000 and kept: 2000 + 40000 = 42000 */
	open_pair(&guard, 1, 0);
	http_guard_answered(&guard, &entries[1]);
	http_guard_kept(&guard, &entries[1], 1500);
	http_guard_answered(&guard, &entries[1]);
	http_guard_kept(&guard, &entries[1], 2000);
	ck_assert_uint_eq(http_guard_sweep(&guard, 41000), 1);
	ck_assert(was_shut(0, 0));
	ck_assert(!was_shut(1, 0));
	ck_assert_uint_eq(http_guard_sweep(&guard, 42000), 1);
	ck_assert(was_shut(1, 0));
	/* closed by MHD: forgotten, never shut afterwards */
	open_pair(&guard, 2, 50000);
	http_guard_closed(&guard, &entries[2]);
	ck_assert_uint_eq(http_guard_sweep(&guard, 100000), 0);
	ck_assert(!was_shut(2, 0));
	finish(&guard);
}
END_TEST

START_TEST(test_room_for_new_connections)
{
	/* limit 16: 16 / 8 = 2 kept for new clients, room for 14 waiting */
	struct http_guard guard = begin(10, 30, 16);
	ck_assert_uint_eq(guard.room, 14);
	for (int i = 0; i < 14; i++)
		open_pair(&guard, i, i);
	for (int i = 0; i < 14; i++)
		ck_assert(!was_shut(i, 0));
	/* the 15th: 15 waiting > 14, the longest waiting (pair 0) goes */
	open_pair(&guard, 14, 14);
	ck_assert(was_shut(0, 0));
	ck_assert(!was_shut(1, 0));
	ck_assert(!was_shut(14, 0));
	/* pair 3 is answered (waits no more): the 16th finds 14 waiting and
	 * shuts nobody; the 17th shuts pair 1, the longest waiting */
	http_guard_answered(&guard, &entries[3]);
	open_pair(&guard, 15, 15);
	ck_assert(!was_shut(1, 0));
	open_pair(&guard, 16, 16);
	ck_assert(was_shut(1, 0));
	ck_assert(!was_shut(2, 0));
	ck_assert(!was_shut(3, 0));
	ck_assert_uint_eq(atomic_load(&guard.evicted), 2);
	ck_assert_uint_eq(guard.waiting, 14);
	finish(&guard);
}
END_TEST

START_TEST(test_never_shuts_the_newcomer)
{
	/* limit 1: 1 / 8 = 0, yet one is kept: room for 0 waiting. The new
	 * connection itself is never the one shut. */
	struct http_guard guard = begin(10, 30, 1);
	ck_assert_uint_eq(guard.room, 0);
	open_pair(&guard, 0, 0);
	ck_assert(!was_shut(0, 0));
	open_pair(&guard, 1, 1);
	ck_assert(was_shut(0, 0));
	ck_assert(!was_shut(1, 0));
	finish(&guard);
}
END_TEST

START_TEST(test_sweeper_thread)
{
	/* 1 s for a whole request; the sweeper looks every 100 ms */
	struct http_guard guard = begin(1, 30, 64);
	ck_assert(http_guard_start(&guard));
	int64_t now = http_guard_now_ms();
	open_pair(&guard, 0, now);
	open_pair(&guard, 1, now);
	http_guard_answered(&guard, &entries[1]);
	ck_assert(!was_shut(0, 500));
	/* due at now + 1000: shut by now + 1100, 2 s allowed for a busy box */
	ck_assert(was_shut(0, 2500));
	ck_assert(!was_shut(1, 0));
	finish(&guard);
}
END_TEST

static Suite *guard_suite(void)
{
	Suite *s = suite_create("http_guard");
	TCase *tc = tcase_create("guard");
	tcase_add_test(tc, test_header_deadline);
	tcase_add_test(tc, test_keep_alive_deadline);
	tcase_add_test(tc, test_room_for_new_connections);
	tcase_add_test(tc, test_never_shuts_the_newcomer);
	tcase_add_test(tc, test_sweeper_thread);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(guard_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
