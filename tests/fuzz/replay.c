/*
 * replay.c — runs a fuzz harness over files, without libFuzzer: the main()
 * of the replay tests (CMake: fuzz/<harness>), so that the seed corpus and
 * every crash ever found run in the normal suite under gcc and under the
 * ASan pass.
 *
 *   replay_<harness> PATH...   each PATH a file or a directory of files
 *
 * Exit 0 when every input went through; a crash or a failed check inside
 * the harness aborts (and fails the test). An empty corpus is an error: a
 * replay of nothing cannot fail.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Reads a whole file into a malloc'd buffer (caller frees); NULL on error. */
static uint8_t *read_input(const char *path, size_t *len)
{
	FILE *file = fopen(path, "rb");
	uint8_t *data = NULL;
	long size;
	if (file == NULL)
		goto fail;
	if (fseek(file, 0, SEEK_END) != 0 || (size = ftell(file)) < 0 ||
	    fseek(file, 0, SEEK_SET) != 0)
		goto fail;
	/* one spare byte: malloc(0) may return NULL */
	data = malloc((size_t)size + 1);
	if (data == NULL || fread(data, 1, (size_t)size, file) != (size_t)size)
		goto fail;
	fclose(file);
	*len = (size_t)size;
	return data;
fail:
	if (file != NULL)
		fclose(file);
	free(data);
	return NULL;
}

static bool replay_file(const char *path)
{
	size_t len = 0;
	uint8_t *data = read_input(path, &len);
	if (data == NULL) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		return false;
	}
	/* an exact-size copy, so that ASan sees a read past the input */
	uint8_t *exact = malloc(len ? len : 1);
	if (exact == NULL) {
		free(data);
		return false;
	}
	memcpy(exact, data, len);
	free(data);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return true;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays the plain files of dir in name order; adds them to *count. */
static bool replay_dir(const char *dir, size_t *count)
{
	DIR *handle = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	bool ok = false;
	struct dirent *entry;
	if (handle == NULL) {
		fprintf(stderr, "replay: cannot open %s\n", dir);
		return false;
	}
	while ((entry = readdir(handle)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **grown = realloc(names, cap * sizeof(*names));
			if (grown == NULL)
				goto fail;
			names = grown;
		}
		size_t len = strlen(dir) + strlen(entry->d_name) + 2;
		names[n] = malloc(len);
		if (names[n] == NULL)
			goto fail;
		snprintf(names[n], len, "%s/%s", dir, entry->d_name);
		n++;
	}
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(names[i], &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (!replay_file(names[i]))
			goto fail;
		(*count)++;
	}
	ok = true;
fail:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(handle);
	return ok;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE-OR-DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: not found\n", argv[i]);
			return 1;
		}
		if (S_ISDIR(st.st_mode) ? !replay_dir(argv[i], &count) : !replay_file(argv[i]))
			return 1;
		if (!S_ISDIR(st.st_mode))
			count++;
	}
	if (count == 0) {
		fprintf(stderr, "replay: no input in the corpus\n");
		return 1;
	}
	printf("replay: %zu inputs, no failure\n", count);
	return 0;
}
