/* Crash-safe replacement of small files: the new content goes to a
 * temporary file in the same directory (created O_EXCL, mode 0600), is
 * written and fsynced, then renamed over the target and the directory is
 * fsynced. After a crash the target holds either the old or the new
 * content, never a mix; a stray ".NAME.tmp-*" file may be left behind.
 *
 * Writing a set of files in two phases (prepare all, then commit all)
 * keeps a failure while writing (disk full, I/O error) from replacing any
 * of them.
 */
#ifndef DOCKSIDE_ATOMIC_FILE_H
#define DOCKSIDE_ATOMIC_FILE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct atomic_file {
	char path[PATH_MAX];      /* the target */
	char tmp_path[PATH_MAX];  /* "" when there is no temporary file */
};

/* Writes data to a new temporary file next to `path`, with `mode`
 * (exactly, whatever the umask), and fsyncs it. Returns 0, or -1 with
 * errno set and no temporary file left. */
int atomic_file_prepare(struct atomic_file *af, const char *path, const void *data, size_t len, mode_t mode);

/* Renames the temporary file over the target and fsyncs the directory.
 * Returns 0, or -1 with errno set (the temporary file is removed). */
int atomic_file_commit(struct atomic_file *af);

/* Removes the temporary file of a prepared, uncommitted file. */
void atomic_file_abort(struct atomic_file *af);

/* prepare + commit. */
int atomic_file_write(const char *path, const void *data, size_t len, mode_t mode);

/* fsyncs the directory holding `path` (so a rename in it is durable). */
int atomic_file_sync_parent(const char *path);

#endif
