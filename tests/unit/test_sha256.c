/*
 * test_sha256.c — SHA-256 against the FIPS 180-4 examples (NIST's "abc",
 * two-block and one-million-"a" messages, and the empty message), and
 * HMAC-SHA-256 against the RFC 4231 test cases. Every expected digest is the
 * published one.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casa/sha256.h"

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* The digest of text, fed in pieces of `piece` bytes, as hex. */
static void digest_hex(const char *text, size_t len, size_t piece,
                       char out[2 * SHA256_DIGEST_LEN + 1])
{
	struct sha256 s;
	uint8_t digest[SHA256_DIGEST_LEN];
	sha256_init(&s);
	for (size_t at = 0; at < len; at += piece)
		sha256_update(&s, (const uint8_t *)text + at, len - at < piece ? len - at : piece);
	sha256_final(&s, digest);
	hex(digest, sizeof(digest), out);
}

START_TEST(test_sha256_fips)
{
	char text[2 * SHA256_DIGEST_LEN + 1];
	digest_hex("", 0, 1, text);
	ck_assert_str_eq(text, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	digest_hex("abc", 3, 3, text);
	ck_assert_str_eq(text, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* 56 bytes: the padding needs a second block. */
	const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	for (size_t piece = 1; piece <= 56; piece += 55) {
		digest_hex(two_blocks, strlen(two_blocks), piece, text);
		ck_assert_str_eq(
		    text, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	}
}
END_TEST

START_TEST(test_sha256_million_a)
{
	size_t len = 1000000;
	char *a = malloc(len);
	ck_assert_ptr_nonnull(a);
	memset(a, 'a', len);
	char text[2 * SHA256_DIGEST_LEN + 1];
	/* 1000 bytes at a time: pieces that straddle block boundaries. */
	digest_hex(a, len, 1000, text);
	ck_assert_str_eq(text, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(a);
}
END_TEST

START_TEST(test_hmac_rfc4231)
{
	uint8_t mac[SHA256_DIGEST_LEN];
	char text[2 * SHA256_DIGEST_LEN + 1];
	/* RFC 4231 test case 1: key 0x0b * 20, "Hi There". */
	uint8_t key1[20];
	memset(key1, 0x0b, sizeof(key1));
	hmac_sha256(key1, sizeof(key1), (const uint8_t *)"Hi There", 8, mac);
	hex(mac, sizeof(mac), text);
	ck_assert_str_eq(text, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	/* Test case 2: key "Jefe". */
	const char *msg = "what do ya want for nothing?";
	hmac_sha256((const uint8_t *)"Jefe", 4, (const uint8_t *)msg, strlen(msg), mac);
	hex(mac, sizeof(mac), text);
	ck_assert_str_eq(text, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* Test case 6: a 131-byte key (hashed first), "Test Using Larger Than
	 * Block-Size Key - Hash Key First". */
	uint8_t key6[131];
	memset(key6, 0xaa, sizeof(key6));
	msg = "Test Using Larger Than Block-Size Key - Hash Key First";
	hmac_sha256(key6, sizeof(key6), (const uint8_t *)msg, strlen(msg), mac);
	hex(mac, sizeof(mac), text);
	ck_assert_str_eq(text, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	/* Test case 7: the same key, a message longer than a block. */
	msg = "This is a test using a larger than block-size key and a larger than block-size "
	      "data. The key needs to be hashed before being used by the HMAC algorithm.";
	hmac_sha256(key6, sizeof(key6), (const uint8_t *)msg, strlen(msg), mac);
	hex(mac, sizeof(mac), text);
	ck_assert_str_eq(text, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}
END_TEST

static Suite *sha256_suite(void)
{
	Suite *s = suite_create("sha256");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_sha256_fips);
	tcase_add_test(tc, test_sha256_million_a);
	tcase_add_test(tc, test_hmac_rfc4231);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sha256_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
