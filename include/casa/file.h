/*
 * file.h — writing a state file so that a crash leaves the old one or the
 * new one, never a torn one: the data to a temporary file in the same
 * directory, fsync, rename over the old file, fsync the directory (a rename
 * is durable only once the directory entry is). The snapshot and the release
 * ledger are written so. No logging: the caller names the failed step in its
 * own words; errno still says why.
 */
#ifndef CASA_FILE_H
#define CASA_FILE_H

#include "casa/common.h"

#include <stdbool.h>
#include <stddef.h>

/* The steps of file_replace(), in order. */
enum file_step {
	FILE_STEP_OPEN,     /* creating (or truncating) the temporary file */
	FILE_STEP_WRITE,    /* writing the data to it */
	FILE_STEP_FSYNC,    /* fsync of the temporary file */
	FILE_STEP_CLOSE,    /* closing it (a late write error shows here) */
	FILE_STEP_RENAME,   /* renaming it over the file */
	FILE_STEP_SYNC_DIR, /* opening or fsyncing the directory: the new file is in place,
	                       only the rename's durability is in doubt */
};

/* Writes all len bytes of data to fd, retrying short writes and EINTR.
 * false: errno says why (0-byte write: errno as write() left it). */
CASA_MUSTCHECK bool file_write_all(int fd, const void *data, size_t len);

/* Replaces path (in directory dir) by len bytes of data, durably, through
 * tmp_path (in dir too, created with mode 0600). On failure returns false,
 * with *failed the step that failed and errno its reason; the temporary
 * file is removed if this call created it and the rename did not take
 * place (at FILE_STEP_SYNC_DIR path already holds the data). */
CASA_MUSTCHECK bool file_replace(const char *dir, const char *tmp_path, const char *path,
                                 const void *data, size_t len, enum file_step *failed);

#endif
