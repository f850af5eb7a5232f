#include "sync/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/util.h"

/* Splits path into directory (or ".") and base name. */
static int split_path(const char *path, char *dir, size_t dir_size, const char **base)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		*base = path;
		return str_copy(dir, dir_size, ".") ? 0 : -1;
	}
	*base = slash + 1;
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= dir_size)
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

int atomic_file_sync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *base;
	if (split_path(path, dir, sizeof dir, &base) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Creates a fresh temporary file next to af->path; returns its fd. The
 * name is unpredictable enough to not collide; O_EXCL makes sure a file
 * placed there by someone else is never written through. */
static int create_temp(struct atomic_file *af)
{
	char dir[PATH_MAX];
	const char *base;
	static unsigned counter;
	if (split_path(af->path, dir, sizeof dir, &base) < 0 || !*base) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (int attempt = 0; attempt < 100; attempt++) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t salt = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32) ^ (uint64_t)++counter * 0x9E3779B97F4A7C15u;
		int n = snprintf(af->tmp_path, sizeof af->tmp_path, "%s/.%s.tmp-%016llx", dir, base,
				 (unsigned long long)salt);
		if (n < 0 || (size_t)n >= sizeof af->tmp_path) {
			af->tmp_path[0] = '\0';
			errno = ENAMETOOLONG;
			return -1;
		}
		int fd = open(af->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			break;
	}
	af->tmp_path[0] = '\0';
	return -1;
}

int atomic_file_prepare(struct atomic_file *af, const char *path, const void *data, size_t len, mode_t mode)
{
	memset(af, 0, sizeof *af);
	if (!str_copy(af->path, sizeof af->path, path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = create_temp(af);
	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		int saved = errno;
		close(fd);
		atomic_file_abort(af);
		errno = saved;
		return -1;
	}
	if (close(fd) < 0) {
		int saved = errno;
		atomic_file_abort(af);
		errno = saved;
		return -1;
	}
	return 0;
}

int atomic_file_commit(struct atomic_file *af)
{
	if (!af->tmp_path[0]) {
		errno = EINVAL;
		return -1;
	}
	if (rename(af->tmp_path, af->path) < 0) {
		int saved = errno;
		atomic_file_abort(af);
		errno = saved;
		return -1;
	}
	af->tmp_path[0] = '\0';
	return atomic_file_sync_parent(af->path);
}

void atomic_file_abort(struct atomic_file *af)
{
	if (af->tmp_path[0])
		unlink(af->tmp_path);
	af->tmp_path[0] = '\0';
}

int atomic_file_write(const char *path, const void *data, size_t len, mode_t mode)
{
	struct atomic_file af;
	if (atomic_file_prepare(&af, path, data, len, mode) < 0)
		return -1;
	return atomic_file_commit(&af);
}
