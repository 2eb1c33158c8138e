/*
 * test_buf.c — the shared text toolkit: number format, JSON and CSV
 * escaping, growth, failure that sticks, the arena. Expected texts are
 * worked out by hand from the rules in casa/buf.h.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "casa/buf.h"

static void assert_number(double value, const char *expected)
{
	char out[BUF_NUMBER_LEN];
	buf_format_number(value, out);
	ck_assert_str_eq(out, expected);
}

START_TEST(test_number_format)
{
	/* 4 decimals, trailing zeros and a bare point trimmed */
	assert_number(4.3100000000000005, "4.31"); /* %.4f = 4.3100 */
	assert_number(2.5, "2.5");
	assert_number(100, "100"); /* 100.0000 -> 100 */
	assert_number(-3.1, "-3.1");
	assert_number(0.00004, "0");  /* %.4f = 0.0000 */
	assert_number(-0.00004, "0"); /* -0.0000 -> -0 -> 0 */
	assert_number(1e15, "1000000000000000");
	assert_number(1.5e15, "null"); /* beyond 1e15 */
	assert_number(NAN, "null");
	assert_number(-INFINITY, "null");
}
END_TEST

START_TEST(test_json_string)
{
	struct buf buf = {0};
	buf_json_string(&buf, "a\"b\\c\n\t\x01\x7f/é");
	/* quote and backslash escaped, \n \t by name, 0x01 and 0x7f as \u00XX,
	 * '/' and UTF-8 kept */
	ck_assert_str_eq(buf.data, "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f/é\"");
	ck_assert_uint_eq(buf.len, strlen(buf.data));
	ck_assert(!buf.failed);
	free(buf.data);
}
END_TEST

START_TEST(test_csv_field)
{
	struct buf buf = {0};
	buf_csv_field(&buf, "plain");
	buf_puts(&buf, "|");
	buf_csv_field(&buf, "a,b");
	buf_puts(&buf, "|");
	buf_csv_field(&buf, "say \"hi\"");
	buf_puts(&buf, "|");
	buf_csv_field(&buf, "=1+2");
	buf_puts(&buf, "|");
	buf_csv_field(&buf, "-5");
	buf_puts(&buf, "|");
	buf_csv_field(&buf, "");
	/* RFC 4180 quoting; a leading = or - gets an apostrophe inside quotes */
	ck_assert_str_eq(buf.data, "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"'=1+2\"|\"'-5\"|");
	free(buf.data);
}
END_TEST

START_TEST(test_growth_and_printf)
{
	struct buf buf = {0};
	char big[10001];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_printf(&buf, "%d:", 42);
	buf_printf(&buf, "%s", big); /* past the first 4096 bytes: grows */
	buf_add(&buf, "!", 1);
	ck_assert(!buf.failed);
	ck_assert_uint_eq(buf.len, 3 + 10000 + 1);
	ck_assert_uint_eq(strlen(buf.data), buf.len);
	ck_assert(strncmp(buf.data, "42:xxx", 6) == 0);
	ck_assert_int_eq(buf.data[buf.len - 1], '!');
	free(buf.data);
}
END_TEST

START_TEST(test_json_failure_sticks)
{
	struct buf buf = {0};
	buf_puts(&buf, "{");
	buf_json_value(&buf, NULL); /* a constructor that ran out of memory */
	ck_assert(buf.failed);
	buf_puts(&buf, "}"); /* ignored once failed */
	ck_assert_uint_eq(buf.len, 1);
	ck_assert_ptr_null(buf_json_append(NULL, NULL));
	free(buf.data);
}
END_TEST

START_TEST(test_arena)
{
	struct buf_arena arena = {0};
	char *a = buf_arena_alloc(&arena, 3);
	double *b = buf_arena_alloc(&arena, sizeof(double));
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	/* every block is aligned for any type */
	ck_assert_uint_eq((uintptr_t)b % _Alignof(max_align_t), 0);
	*b = 1.5;
	char *copy = buf_arena_dup(&arena, "abcdef", 3);
	ck_assert_str_eq(copy, "abc");
	/* blocks are rounded up to sizeof(max_align_t) (copy's 3 + 1 bytes to
	 * one unit); chunks hold 256 KiB, so 200 KiB still fit behind copy ... */
	char *large = buf_arena_alloc(&arena, 200 * 1024);
	ck_assert_ptr_eq(large, copy + sizeof(max_align_t));
	/* ... another 200 KiB do not: a block over half a chunk gets a chunk
	 * of its own, and the 56 KiB left in the current one stay in use */
	char *second = buf_arena_alloc(&arena, 200 * 1024);
	ck_assert_ptr_nonnull(second);
	memset(large, 1, 200 * 1024);
	memset(second, 2, 200 * 1024);
	char *after = buf_arena_alloc(&arena, 8);
	ck_assert_ptr_eq(after, large + 200 * 1024);
	ck_assert(*b == 1.5);
	buf_arena_free(&arena);
	ck_assert_ptr_null(arena.head);
}
END_TEST

static Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");
	tcase_add_test(tc, test_number_format);
	tcase_add_test(tc, test_json_string);
	tcase_add_test(tc, test_csv_field);
	tcase_add_test(tc, test_growth_and_printf);
	tcase_add_test(tc, test_json_failure_sticks);
	tcase_add_test(tc, test_arena);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(buf_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
