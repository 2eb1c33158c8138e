/*
 * test_file.c — file_replace(), the durable write of the state files: the
 * new bytes replace the old file and leave no temporary file; a failed step
 * is named, keeps its errno, leaves the old file as it was and removes the
 * temporary file it created.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "casa/file.h"

static char dir[64];
static char tmp_path[128], path[128];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_file.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(tmp_path, sizeof(tmp_path), "%s/state.tmp", dir);
	snprintf(path, sizeof(path), "%s/state.bin", dir);
}

static void remove_dir(void)
{
	unlink(tmp_path);
	unlink(path);
	rmdir(path); /* the rename test makes it a directory */
	ck_assert_int_eq(rmdir(dir), 0);
}

/* The whole file's bytes, at most cap - 1, NUL-terminated; -1 when absent. */
static long read_text(const char *name, char *out, size_t cap)
{
	FILE *f = fopen(name, "rb");
	if (f == NULL)
		return -1;
	size_t n = fread(out, 1, cap - 1, f);
	fclose(f);
	out[n] = '\0';
	return (long)n;
}

START_TEST(test_replace_writes_and_replaces)
{
	make_dir();
	enum file_step failed = FILE_STEP_OPEN;
	char text[32];
	ck_assert(file_replace(dir, tmp_path, path, "first", 5, &failed));
	ck_assert_int_eq(read_text(path, text, sizeof(text)), 5);
	ck_assert_str_eq(text, "first");
	/* a shorter file over a longer one: nothing of the old one is left */
	ck_assert(file_replace(dir, tmp_path, path, "2nd", 3, &failed));
	ck_assert_int_eq(read_text(path, text, sizeof(text)), 3);
	ck_assert_str_eq(text, "2nd");
	ck_assert_int_eq(access(tmp_path, F_OK), -1);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	remove_dir();
}
END_TEST

START_TEST(test_failed_rename_keeps_errno_and_removes_tmp)
{
	make_dir();
	/* a directory where the file should be: rename(2) of a file over a
	 * directory fails with EISDIR */
	ck_assert_int_eq(mkdir(path, 0700), 0);
	enum file_step failed = FILE_STEP_OPEN;
	errno = 0;
	ck_assert(!file_replace(dir, tmp_path, path, "data", 4, &failed));
	ck_assert_int_eq(failed, FILE_STEP_RENAME);
	ck_assert_int_eq(errno, EISDIR);
	ck_assert_int_eq(access(tmp_path, F_OK), -1);
	remove_dir();
}
END_TEST

START_TEST(test_failed_open_names_the_step)
{
	make_dir();
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/no/such.tmp", dir);
	enum file_step failed = FILE_STEP_RENAME;
	ck_assert(!file_replace(dir, missing, path, "data", 4, &failed));
	ck_assert_int_eq(failed, FILE_STEP_OPEN);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(access(path, F_OK), -1);
	remove_dir();
}
END_TEST

static Suite *file_suite(void)
{
	Suite *s = suite_create("file");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_replace_writes_and_replaces);
	tcase_add_test(tc, test_failed_rename_keeps_errno_and_removes_tmp);
	tcase_add_test(tc, test_failed_open_names_the_step);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(file_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
