/*
 * http_files.c — the dashboard (SPEC §6 "GET /"): every plain file of the
 * dashboard directory, read once at start and served from memory.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "casa/log.h"
#include "http_internal.h"

/* Dashboard files are small static assets; refuse anything bigger. */
#define HTTP_FILE_MAX  (16 * 1024 * 1024)
#define HTTP_FILES_MAX 256

static const char *content_type_of(const char *name)
{
	static const struct {
		const char *ext;  /* file name suffix */
		const char *type; /* Content-Type */
	} types[] = {
	    {".html", "text/html; charset=utf-8"},
	    {".htm", "text/html; charset=utf-8"},
	    {".css", "text/css; charset=utf-8"},
	    {".js", "text/javascript; charset=utf-8"},
	    {".mjs", "text/javascript; charset=utf-8"},
	    {".json", "application/json; charset=utf-8"},
	    {".svg", "image/svg+xml"},
	    {".png", "image/png"},
	    {".ico", "image/x-icon"},
	    {".txt", "text/plain; charset=utf-8"},
	    {".map", "application/json; charset=utf-8"},
	    {".woff2", "font/woff2"},
	};
	size_t n = strlen(name);
	for (size_t i = 0; i < CASA_ARRAY_LEN(types); i++) {
		size_t e = strlen(types[i].ext);
		if (n > e && strcasecmp(name + n - e, types[i].ext) == 0)
			return types[i].type;
	}
	return "application/octet-stream";
}

void http_files_free(struct http_files *files)
{
	for (size_t i = 0; i < files->count; i++) {
		free(files->entries[i].name);
		free(files->entries[i].data);
	}
	free(files->entries);
	files->entries = NULL;
	files->count = 0;
}

/* Reads the dashboard once at start: requests then never touch the disk, and
 * only names found here can ever be served (no path from the request). */
/* -fanalyzer: "leak of malloc/strdup" where data and name are stored into
 * files->entries[files->count]: GCC 12 does not follow a pointer stored at a
 * variable index of a heap array. A failed read frees both; a kept file
 * lives until http_files_free(). */
CASA_ANALYZER_IGNORE("-Wanalyzer-malloc-leak")
void http_files_load(struct http_files *files, const char *dir)
{
	if (dir == NULL || dir[0] == '\0')
		return;
	DIR *d = opendir(dir);
	if (d == NULL) {
		log_warn("http: dashboard directory %s", dir);
		return;
	}
	files->entries = calloc(HTTP_FILES_MAX, sizeof(*files->entries));
	if (files->entries == NULL) {
		closedir(d);
		return;
	}
	struct dirent *entry;
	while ((entry = readdir(d)) != NULL && files->count < HTTP_FILES_MAX) {
		if (!http_plain_file_name(entry->d_name))
			continue;
		char path[4096];
		if (snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name) >= (int)sizeof(path))
			continue;
		FILE *f = fopen(path, "rb");
		if (f == NULL)
			continue;
		struct stat st;
		if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
		    st.st_size > HTTP_FILE_MAX) {
			fclose(f);
			continue;
		}
		struct http_file *file = &files->entries[files->count];
		file->len = (size_t)st.st_size;
		file->data = malloc(file->len + 1);
		file->name = strdup(entry->d_name);
		if (file->data == NULL || file->name == NULL ||
		    fread(file->data, 1, file->len, f) != file->len) {
			free(file->data);
			free(file->name);
			memset(file, 0, sizeof(*file));
			fclose(f);
			continue;
		}
		fclose(f);
		file->content_type = content_type_of(file->name);
		snprintf(file->etag, sizeof(file->etag), "\"%016llx\"",
		         (unsigned long long)snapshot_hash(file->data, file->len, 0));
		files->count++;
	}
	closedir(d);
}
CASA_ANALYZER_END

const struct http_file *http_files_find(const struct http_files *files, const char *name)
{
	if (!http_plain_file_name(name))
		return NULL;
	for (size_t i = 0; i < files->count; i++)
		if (strcmp(files->entries[i].name, name) == 0)
			return &files->entries[i];
	return NULL;
}
