/* For fuzz targets whose parser reads a file: one private directory per
 * process (/tmp/dockside-fuzz-<target>-<pid>-XXXXXX, removed at exit), and
 * the input written to a fixed name in it, with the mode the parser wants. */
#ifndef DOCKSIDE_FUZZ_FILE_H
#define DOCKSIDE_FUZZ_FILE_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fuzz_dir[256];
static char fuzz_written[16][512]; /* files to remove at exit */
static size_t fuzz_n_written;

static void fuzz_dir_remove(void)
{
	for (size_t i = 0; i < fuzz_n_written; i++)
		unlink(fuzz_written[i]);
	rmdir(fuzz_dir);
}

/* The directory, created on first use; exits when it cannot be made. */
static const char *fuzz_dir_get(const char *target)
{
	if (fuzz_dir[0])
		return fuzz_dir;
	snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/dockside-fuzz-%s-%ld-XXXXXX", target, (long)getpid());
	if (!mkdtemp(fuzz_dir)) {
		perror(fuzz_dir);
		exit(2);
	}
	atexit(fuzz_dir_remove);
	return fuzz_dir;
}

/* Writes data to <dir>/<name> with `mode` (exactly, whatever the umask)
 * and returns its path (static storage, valid until the next call with
 * the same name). Exits on a write error: the harness is broken then. */
static const char *fuzz_write_file(const char *target, const char *name, const uint8_t *data, size_t size,
				   mode_t mode)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", fuzz_dir_get(target), name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0 || fchmod(fd, mode) != 0 || (size && write(fd, data, size) != (ssize_t)size) ||
	    close(fd) != 0) {
		perror(path);
		exit(2);
	}
	bool known = false;
	for (size_t i = 0; i < fuzz_n_written; i++)
		known = known || strcmp(fuzz_written[i], path) == 0;
	if (!known && fuzz_n_written < sizeof fuzz_written / sizeof fuzz_written[0])
		snprintf(fuzz_written[fuzz_n_written++], sizeof fuzz_written[0], "%s", path);
	return path;
}

#endif
