/*
 * file.c — see include/casa/file.h.
 */
#include "casa/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

bool file_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

bool file_replace(const char *dir, const char *tmp_path, const char *path, const void *data,
                  size_t len, enum file_step *failed)
{
	int saved;
	int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		*failed = FILE_STEP_OPEN;
		return false;
	}
	if (!file_write_all(fd, data, len)) {
		*failed = FILE_STEP_WRITE;
		goto fail;
	}
	if (fsync(fd) != 0) {
		*failed = FILE_STEP_FSYNC;
		goto fail;
	}
	int closed = close(fd);
	fd = -1;
	if (closed != 0) {
		*failed = FILE_STEP_CLOSE;
		goto fail;
	}
	if (rename(tmp_path, path) != 0) {
		*failed = FILE_STEP_RENAME;
		goto fail;
	}
	int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		*failed = FILE_STEP_SYNC_DIR;
		return false;
	}
	if (fsync(dir_fd) != 0) {
		saved = errno;
		close(dir_fd);
		errno = saved;
		*failed = FILE_STEP_SYNC_DIR;
		return false;
	}
	close(dir_fd);
	return true;
fail:
	/* the caller reports errno: the clean-up must not change it */
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp_path);
	errno = saved;
	return false;
}
