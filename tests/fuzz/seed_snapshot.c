/*
 * seed_snapshot.c — the seed of the state-file harness
 * (tests/fuzz/corpus/snapshot_load/), written through snapshot_save() so
 * that it is a file a daemon really writes: two small tables (a yearly
 * total and a county breakdown with one suppressed cell), the resources,
 * as_of 2025-06-30.
 *
 *   seed_snapshot write DIR    writes DIR/snapshot.bin (sealed, as the
 *                              daemon writes it) and DIR/seed.bin
 *   seed_snapshot check FILE   exit 0 when FILE loads, 1 when refused
 *
 * The harness fuzzes snapshot_load_bytes(), what snapshot_load() reads once
 * the seal (provenance and HMAC) has been checked: a file's header and
 * payload, without the seal. seed.bin is that part of snapshot.bin. The
 * key and provenance below are stand-ins; the seal is not in the seed.
 *
 * The suite runs `check` on the committed seed (CMake test
 * fuzz/snapshot_load_seed): once the file format changes the seed is
 * refused, and the harness would only fuzz the header checks. Write a new
 * seed then: seed_snapshot write DIR && cp DIR/seed.bin
 * tests/fuzz/corpus/snapshot_load/seed.bin
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/snapshot_internal.h"
#include "casa/config.h"
#include "casa/date.h"
#include "casa/disclosure.h"
#include "casa/interval.h"
#include "casa/snapshot.h"

/* 2025-07-01T12:00:00Z (as in tests/unit/test_snapshot.c) */
#define GENERATED_AT 1751371200
#define HEADER_LEN   32 /* see the layout at the top of snapshot_store.c */

/* Reads all of path into *data (malloc'd, the caller frees it). */
static bool read_all(const char *path, unsigned char **data, size_t *size)
{
	FILE *file = fopen(path, "rb");
	long n = -1;
	*data = NULL;
	if (file == NULL || fseek(file, 0, SEEK_END) != 0 || (n = ftell(file)) < 0 ||
	    fseek(file, 0, SEEK_SET) != 0)
		goto fail;
	*data = malloc((size_t)n + 1);
	if (*data == NULL || fread(*data, 1, (size_t)n, file) != (size_t)n)
		goto fail;
	fclose(file);
	*size = (size_t)n;
	return true;
fail:
	fprintf(stderr, "seed_snapshot: cannot read %s\n", path);
	if (file != NULL)
		fclose(file);
	free(*data);
	*data = NULL;
	return false;
}

/* Writes the header and payload of DIR/snapshot.bin to DIR/seed.bin. */
static int write_unsealed(const char *dir)
{
	char path[4096];
	unsigned char *data = NULL;
	size_t size = 0, covered;
	uint64_t payload_len = 0;
	FILE *out = NULL;
	int rc = 1;
	snprintf(path, sizeof(path), "%s/snapshot.bin", dir);
	if (!read_all(path, &data, &size) || size < HEADER_LEN)
		goto fail;
	for (int i = 0; i < 8; i++)
		payload_len |= (uint64_t)data[16 + i] << (8 * i);
	if (payload_len > size - HEADER_LEN)
		goto fail;
	covered = HEADER_LEN + (size_t)payload_len;
	snprintf(path, sizeof(path), "%s/seed.bin", dir);
	out = fopen(path, "wb");
	if (out == NULL || fwrite(data, 1, covered, out) != covered)
		goto fail;
	rc = 0;
fail:
	if (out != NULL && fclose(out) != 0)
		rc = 1;
	if (rc != 0)
		fprintf(stderr, "seed_snapshot: cannot write %s/seed.bin\n", dir);
	free(data);
	return rc;
}

static int write_seed(const char *dir)
{
	static struct disclosure_cell total[2] = {
	    {.numerator = 12,
	     .denominator = 150,
	     .value = 8,
	     .has_numerator = true,
	     .has_denominator = true,
	     .has_value = true},  /* 2024: 12/150 = 8 % */
	    {.suppressed = true}, /* 2025 */
	};
	static struct disclosure_cell county[2] = {
	    {.numerator = 11,
	     .denominator = 100,
	     .value = 11,
	     .has_numerator = true,
	     .has_denominator = true,
	     .has_value = true}, /* 11/100 = 11 % */
	    {.suppressed = true},
	};
	struct disclosure_table tables[2] = {
	    {METRIC_RUNAWAY_DISCHARGES_PCT,
	     PERIOD_YEAR,
	     DIM_TOTAL,
	     2024,
	     2,
	     1,
	     total,
	     true,
	     2,
	     {0}},
	    {METRIC_RUNAWAY_DISCHARGES_PCT,
	     PERIOD_YEAR,
	     DIM_COUNTY,
	     2025,
	     1,
	     2,
	     county,
	     true,
	     1,
	     {0}},
	};
	char *counties[2] = {"Adams", "Baker"};
	struct disclosure_result result;
	struct model_quality quality;
	memset(&result, 0, sizeof(result));
	memset(&quality, 0, sizeof(quality));
	result.as_of = date_from_ymd(2025, 6, 30);
	result.fy_start_month = 10;
	result.mode = DISCLOSURE_SUPPRESS;
	result.min_cell = 11;
	result.tables = tables;
	result.table_count = 2;
	result.counties = counties;
	result.county_count = 2;
	quality.rows_read[MODEL_CHILDREN] = 10;
	quality.rows_kept[MODEL_CHILDREN] = 10;
	struct snapshot_info info = {.refresh_key = 7,
	                             .generated_at = GENERATED_AT,
	                             .quality = &quality,
	                             .refresh_seconds = 300,
	                             .confidence = CONFIG_DEFAULT_CONFIDENCE};
	static const uint8_t secret[DISCLOSURE_KEY_LEN] = {0};
	struct snapshot *s = snapshot_build(&result, &info);
	if (s == NULL || !snapshot_save(s, dir, secret, "source=seed_snapshot")) {
		fprintf(stderr, "seed_snapshot: cannot write %s/snapshot.bin\n", dir);
		snapshot_unref(s);
		return 1;
	}
	snapshot_unref(s);
	return write_unsealed(dir);
}

static int check_seed(const char *path)
{
	unsigned char *data = NULL;
	size_t size = 0;
	if (!read_all(path, &data, &size))
		return 1;
	struct snapshot *s = snapshot_load_bytes(data, size, path);
	free(data);
	if (s == NULL) {
		fprintf(stderr,
		        "seed_snapshot: %s is refused: write a new seed (see the top of "
		        "tests/fuzz/seed_snapshot.c)\n",
		        path);
		return 1;
	}
	snapshot_unref(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "write") == 0)
		return write_seed(argv[2]);
	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return check_seed(argv[2]);
	fprintf(stderr, "usage: seed_snapshot write DIR | check FILE\n");
	return 2;
}
