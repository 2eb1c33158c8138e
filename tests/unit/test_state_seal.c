/*
 * test_state_seal.c — the state directory's trust (issue 16, rows 4 and 10):
 * a snapshot file is served only when its HMAC is this secret's, its
 * provenance is this daemon's, and every body matches its ETags and names
 * the snapshot's id; a ledger records the database it was read from, and
 * one of another database is refused while a version 1 ledger (no source
 * recorded) is taken as this one's.
 *
 * Files are altered the way the attacker did: a payload byte
 * changed and both CRC-32s recomputed; a whole consistent file under
 * another key; a consistent file with the original's HMAC.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../../src/daemon_internal.h"
#include "../../src/snapshot_internal.h"
#include "casa/date.h"
#include "casa/interval.h"
#include "casa/release.h"
#include "casa/sha256.h"
#include "casa/snapshot.h"
#include "test_files.h"

#define HEADER_LEN 32 /* snapshot_store.c's header */
#define MAC_LEN    32 /* HMAC-SHA-256 at the end */
#define PROVENANCE "min_cell=11\nsource=host=db port=5432 dbname=casa schema=deid"

static const uint8_t secret_a[DISCLOSURE_KEY_LEN] = {1, 2, 3};
static const uint8_t secret_b[DISCLOSURE_KEY_LEN] = {1, 2, 4};

/* A yearly total over two years: 2024 is 12/150 = 8 %, 2025 is
 * numerator_2025/160. The JSON body is longer than 128 bytes, so it has a
 * gzip body too. */
static struct snapshot *build(int64_t numerator_2025)
{
	struct disclosure_cell cells[2] = {
	    {.numerator = 12,
	     .denominator = 150,
	     .value = 8,
	     .has_numerator = true,
	     .has_denominator = true,
	     .has_value = true},
	    {.numerator = numerator_2025,
	     .denominator = 160,
	     .value = (double)numerator_2025 * 100 / 160,
	     .has_numerator = true,
	     .has_denominator = true,
	     .has_value = true},
	};
	struct disclosure_table table = {
	    METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_TOTAL, 2024, 2, 1, cells, true, 2, {0}};
	struct disclosure_result result;
	struct model_quality quality;
	memset(&result, 0, sizeof(result));
	memset(&quality, 0, sizeof(quality));
	result.as_of = date_from_ymd(2025, 6, 30);
	result.fy_start_month = 10;
	result.mode = DISCLOSURE_SUPPRESS;
	result.min_cell = 11;
	release_plan_default(&result.plan);
	result.settle_days = 30;
	result.tables = &table;
	result.table_count = 1;
	/* 2025-07-01T12:00:00Z, as in test_snapshot.c */
	struct snapshot_info info = {.refresh_key = 7,
	                             .generated_at = 1751371200,
	                             .quality = &quality,
	                             .refresh_seconds = 300,
	                             .confidence = CONFIG_DEFAULT_CONFIDENCE};
	struct snapshot *s = snapshot_build(&result, &info);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* A snapshot and its file as saved, sealed with a secret. */
struct saved {
	struct snapshot *snapshot; /* as built */
	unsigned char *file;       /* snapshot.bin's bytes */
	size_t len;                /* bytes of file */
};

/* Builds the snapshot with numerator_2025 and saves it sealed with secret. */
static void save(struct saved *out, int64_t numerator_2025, const uint8_t *secret)
{
	char *dir = temp_dir(), path[512];
	out->snapshot = build(numerator_2025);
	ck_assert(snapshot_save(out->snapshot, dir, secret, PROVENANCE));
	snprintf(path, sizeof(path), "%s/snapshot.bin", dir);
	out->file = read_file(path, &out->len);
	remove_tree(dir);
	free(dir);
}

static void saved_free(struct saved *saved)
{
	snapshot_unref(saved->snapshot);
	free(saved->file);
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Header and payload: what the CRCs cover and snapshot_load_bytes reads. */
static size_t covered(const unsigned char *file)
{
	return HEADER_LEN + (size_t)get_u64(file + 16);
}

/* What the attacker did: both CRC-32s made right again. */
static void recompute_crcs(unsigned char *file)
{
	size_t payload = covered(file) - HEADER_LEN;
	put_u32(file + 24, (uint32_t)crc32(0L, file + HEADER_LEN, (uInt)payload));
	put_u32(file + 28, (uint32_t)crc32(0L, file, HEADER_LEN - 4));
}

/* The offset of text (the first time it occurs) in the n bytes at file. */
static size_t find(const unsigned char *file, size_t n, const char *text)
{
	size_t len = strlen(text);
	for (size_t i = 0; i + len <= n; i++)
		if (memcmp(file + i, text, len) == 0)
			return i;
	ck_abort_msg("\"%s\" not in the file", text);
	return 0;
}

/* Loads bytes as the daemon would, from a directory of their own. */
static struct snapshot *load(const unsigned char *data, size_t len, const uint8_t *secret,
                             const char *provenance)
{
	char *dir = temp_dir(), path[512];
	snprintf(path, sizeof(path), "%s/snapshot.bin", dir);
	write_bytes(path, data, len);
	struct snapshot *s = snapshot_load(dir, secret, provenance);
	remove_tree(dir);
	free(dir);
	return s;
}

START_TEST(test_good_file_served)
{
	struct saved a;
	save(&a, 20, secret_a);
	struct snapshot *l = load(a.file, a.len, secret_a, PROVENANCE);
	ck_assert_ptr_nonnull(l);
	ck_assert_str_eq(snapshot_id(l), snapshot_id(a.snapshot));
	const struct snapshot_table *t =
	    snapshot_table_find(l, METRIC_RUNAWAY_DISCHARGES_PCT, PERIOD_YEAR, DIM_TOTAL);
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(t->body[SNAPSHOT_JSON].gzip); /* the gzip check ran */
	snapshot_unref(l);
	saved_free(&a);
}
END_TEST

START_TEST(test_altered_body_crc_recomputed_refused)
{
	struct saved a;
	save(&a, 20, secret_a);
	/* 2025: 20/160 = 12.5 % published; the attacker makes it 21 */
	size_t at = find(a.file, covered(a.file), "\"numerator\":20,");
	a.file[at + 13] = '1';
	recompute_crcs(a.file);
	/* the unauthenticated layer already refuses it: the body no longer
	 * matches its ETag */
	ck_assert_ptr_null(snapshot_load_bytes(a.file, covered(a.file), "altered"));
	ck_assert_ptr_null(load(a.file, a.len, secret_a, PROVENANCE));
	saved_free(&a);
}
END_TEST

START_TEST(test_id_altered_crc_recomputed_refused)
{
	struct saved a;
	save(&a, 20, secret_a);
	/* the id is the first field of the payload (u64 length 16, then the
	 * hex digits): one digit changed names another snapshot */
	unsigned char *id = a.file + HEADER_LEN + 8;
	ck_assert_int_eq(memcmp(id, snapshot_id(a.snapshot), 16), 0);
	id[0] = id[0] == '0' ? '1' : '0';
	recompute_crcs(a.file);
	ck_assert_ptr_null(snapshot_load_bytes(a.file, covered(a.file), "altered id"));
	saved_free(&a);
}
END_TEST

START_TEST(test_consistent_file_without_the_key_refused)
{
	/* everything recomputed but the HMAC: a consistent file of other data
	 * (2025 is 21/160), its ETags, gzip, id and CRCs right, carrying the
	 * HMAC of the original */
	struct saved original, forged;
	save(&original, 20, secret_a);
	save(&forged, 21, secret_b);
	ck_assert_str_ne(snapshot_id(original.snapshot), snapshot_id(forged.snapshot));
	memcpy(forged.file + forged.len - MAC_LEN, original.file + original.len - MAC_LEN, MAC_LEN);
	struct snapshot *inner = snapshot_load_bytes(forged.file, covered(forged.file), "forged");
	ck_assert_ptr_nonnull(inner); /* consistent: only the HMAC tells */
	snapshot_unref(inner);
	ck_assert_ptr_null(load(forged.file, forged.len, secret_a, PROVENANCE));
	saved_free(&original);
	saved_free(&forged);
}
END_TEST

START_TEST(test_file_of_another_key_refused)
{
	struct saved b;
	save(&b, 20, secret_b);
	ck_assert_ptr_null(load(b.file, b.len, secret_a, PROVENANCE));
	struct snapshot *l = load(b.file, b.len, secret_b, PROVENANCE);
	ck_assert_ptr_nonnull(l); /* the refusal above was the key's */
	snapshot_unref(l);
	saved_free(&b);
}
END_TEST

START_TEST(test_other_provenance_not_served)
{
	struct saved a;
	save(&a, 20, secret_a);
	/* k = 11 saved, k = 20 now; then the same settings from another db */
	ck_assert_ptr_null(load(a.file, a.len, secret_a,
	                        "min_cell=20\nsource=host=db port=5432 dbname=casa schema=deid"));
	ck_assert_ptr_null(load(a.file, a.len, secret_a,
	                        "min_cell=11\nsource=host=db port=5432 dbname=other schema=deid"));
	/* a prefix of the saved provenance is another provenance too */
	ck_assert_ptr_null(load(a.file, a.len, secret_a, "min_cell=11"));
	struct snapshot *l = load(a.file, a.len, secret_a, PROVENANCE);
	ck_assert_ptr_nonnull(l);
	snapshot_unref(l);
	saved_free(&a);
}
END_TEST

/* ---- the ledger's source ---------------------------------------------- */

#define SOURCE_A "host=db port=5432 dbname=casa schema=deid"
#define SOURCE_B "host=db port=5432 dbname=other schema=deid"

/* Saves an empty ledger committed with source into dir. */
static void save_ledger(const char *dir, const char *source)
{
	struct release_view view;
	struct release_options options;
	char err[RELEASE_ERROR_LEN];
	memset(&view, 0, sizeof(view));
	memset(&options, 0, sizeof(options));
	options.settings.min_cell = 11;
	options.settings.fy_start_month = 10;
	snprintf(options.source, sizeof(options.source), "%s", source);
	struct release_ledger *ledger = release_commit(&view, NULL, &options, err);
	ck_assert_msg(ledger != NULL, "%s", err);
	ck_assert(release_ledger_save(ledger, dir, err));
	release_ledger_free(ledger);
}

START_TEST(test_ledger_source_recorded_and_checked)
{
	char *dir = temp_dir();
	char err[RELEASE_ERROR_LEN], why[DAEMON_ERROR_LEN];
	struct release_ledger *ledger = NULL;
	save_ledger(dir, SOURCE_A);
	ck_assert(release_ledger_load(dir, &ledger, err));
	ck_assert_ptr_nonnull(ledger);
	ck_assert_str_eq(release_ledger_source(ledger), SOURCE_A);
	ck_assert(daemon_ledger_belongs(ledger, SOURCE_A, why));
	ck_assert(!daemon_ledger_belongs(ledger, SOURCE_B, why));
	/* the message names both, so the operator knows which directory is whose */
	ck_assert_ptr_nonnull(strstr(why, SOURCE_A));
	ck_assert_ptr_nonnull(strstr(why, SOURCE_B));
	release_ledger_free(ledger);
	remove_tree(dir);
	free(dir);
}
END_TEST

START_TEST(test_ledger_version_1_adopted)
{
	/* A version 1 file is a version 2 one without the source name (its
	 * varint length, one byte below 128, and its bytes) after the
	 * settings: cut it out, set the version, the payload length and the
	 * SHA-256 trailer. */
	char *dir = temp_dir(), path[512];
	char err[RELEASE_ERROR_LEN], why[DAEMON_ERROR_LEN];
	save_ledger(dir, SOURCE_B);
	snprintf(path, sizeof(path), "%s/ledger.bin", dir);
	size_t len;
	unsigned char *file = read_file(path, &len);
	size_t at = find(file, len, SOURCE_B);
	size_t cut = strlen(SOURCE_B) + 1;
	ck_assert_uint_eq(file[at - 1], strlen(SOURCE_B));
	memmove(file + at - 1, file + at - 1 + cut, len - (at - 1 + cut));
	len -= cut;
	put_u32(file + 8, 1);
	uint64_t payload = get_u64(file + 16) - cut;
	for (int i = 0; i < 8; i++)
		file[16 + i] = (unsigned char)(payload >> (8 * i));
	struct sha256 h;
	sha256_init(&h);
	sha256_update(&h, file, len - SHA256_DIGEST_LEN);
	sha256_final(&h, file + len - SHA256_DIGEST_LEN);
	write_bytes(path, file, len);
	struct release_ledger *ledger = NULL;
	ck_assert_msg(release_ledger_load(dir, &ledger, err), "%s", err);
	ck_assert_str_eq(release_ledger_source(ledger), "");
	/* written before sources were recorded: this daemon's */
	ck_assert(daemon_ledger_belongs(ledger, SOURCE_A, why));
	release_ledger_free(ledger);
	free(file);
	remove_tree(dir);
	free(dir);
}
END_TEST

static Suite *seal_suite(void)
{
	Suite *s = suite_create("state_seal");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_good_file_served);
	tcase_add_test(tc, test_altered_body_crc_recomputed_refused);
	tcase_add_test(tc, test_id_altered_crc_recomputed_refused);
	tcase_add_test(tc, test_consistent_file_without_the_key_refused);
	tcase_add_test(tc, test_file_of_another_key_refused);
	tcase_add_test(tc, test_other_provenance_not_served);
	tcase_add_test(tc, test_ledger_source_recorded_and_checked);
	tcase_add_test(tc, test_ledger_version_1_adopted);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(seal_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
