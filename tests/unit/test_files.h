/*
 * test_files.h — scratch directories and whole-file reads and writes for the
 * unit tests that persist state (test_snapshot.c, test_state_seal.c). Each
 * helper fails the running test on any error.
 */
#ifndef CASA_TEST_FILES_H
#define CASA_TEST_FILES_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A new empty directory under /tmp; the caller frees the name. */
static inline char *temp_dir(void)
{
	char *dir = strdup("/tmp/casa-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static inline void remove_tree(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The whole file (the caller frees it) and its length. */
static inline unsigned char *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	ck_assert_ptr_nonnull(fp);
	fseek(fp, 0, SEEK_END);
	*len = (size_t)ftell(fp);
	fseek(fp, 0, SEEK_SET);
	unsigned char *data = malloc(*len + 1);
	ck_assert_uint_eq(fread(data, 1, *len, fp), *len);
	fclose(fp);
	return data;
}

static inline void write_bytes(const char *path, const unsigned char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

#endif
