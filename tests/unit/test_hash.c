/*
 * test_hash.c — the one non-cryptographic hash: FNV-1a 64 against the
 * published FNV test vectors, the splitmix64 finalizer against the published
 * first outputs of splitmix64 seeded with 0, and hash_bytes() (persisted in
 * ETags, ids and the state manifest) against an independent Python
 * implementation, so that a change of algorithm cannot go unnoticed.
 */
#include <check.h>
#include <stdlib.h>

#include "casa/hash.h"

START_TEST(test_fnv1a64_vectors)
{
	ck_assert_uint_eq(hash_fnv1a64("", 0, 0), 0xcbf29ce484222325ULL); /* the offset basis */
	ck_assert_uint_eq(hash_fnv1a64("a", 1, 0), 0xaf63dc4c8601ec8cULL);
	ck_assert_uint_eq(hash_fnv1a64("foobar", 6, 0), 0x85944171f73967e8ULL);
	/* The seed is XORed into the offset basis: ...25 ^ 1 = ...24. */
	ck_assert_uint_eq(hash_fnv1a64("", 0, 1), 0xcbf29ce484222324ULL);
}
END_TEST

START_TEST(test_mix64_splitmix)
{
	/* splitmix64 returns mix(state) after adding the golden gamma
	 * 0x9e3779b97f4a7c15 to the state: seed 0 gives mix(gamma), then
	 * mix(2 * gamma). */
	ck_assert_uint_eq(hash_mix64(0x9e3779b97f4a7c15ULL), 0xe220a8397b1dcdafULL);
	ck_assert_uint_eq(hash_mix64(0x3c6ef372fe94f82aULL), 0x6e789e6aa1b965f4ULL);
	ck_assert_uint_eq(hash_mix64(0), 0); /* 0 is a fixed point of every step */
}
END_TEST

START_TEST(test_hash_bytes_stable)
{
	/* Python: h = 14695981039346656037 ^ seed; per byte h = ((h ^ b) *
	 * 1099511628211) mod 2^64; then the mix (>>30, *0xbf58476d1ce4e5b9,
	 * >>27, *0x94d049bb133111eb, >>31). */
	ck_assert_uint_eq(hash_bytes("", 0, 0), 0xf52a15e9a9b5e89bULL);
	ck_assert_uint_eq(hash_bytes("foobar", 6, 0), 0x404da9e3b74078c2ULL);
	ck_assert_uint_eq(hash_bytes("abc", 3, 42), 0x9833f1986f525f72ULL);
}
END_TEST

static Suite *hash_suite(void)
{
	Suite *s = suite_create("hash");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_fnv1a64_vectors);
	tcase_add_test(tc, test_mix64_splitmix);
	tcase_add_test(tc, test_hash_bytes_stable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hash_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
