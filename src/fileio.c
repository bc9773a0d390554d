/*
 * fileio.c — the one way libladder (and the ladder command) writes a file:
 * whole or not at all. The bytes go to a temporary file beside the target,
 * are flushed to disk, and the temporary file is renamed over the target
 * (or, when the target must not exist yet, linked to its name), then the
 * directory is flushed: a reader, a failed build or a crash sees the old
 * file or the new one, never half of one.
 */
#include "ladder.h"
#include "ladder/sys/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Tries at a free temporary name before giving up: each is a leftover of a
 * crashed run (a reused pid) or another process's file, never ours to
 * remove. */
#define TEMP_ATTEMPTS 100

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Create PATH.tmp-PID-N exclusively: O_EXCL never follows a symlink
 * planted at that name, and the counter keeps two threads apart. On
 * success *tmp is the name (the caller's to free); on failure it is NULL. */
static int create_temp(const char *path, char **tmp, int *fd)
{
	static atomic_uint counter;
	char *name = NULL;
	int error;

	for (int attempt = 0; attempt < TEMP_ATTEMPTS; attempt++) {
		ladder_free(name);
		name = ladder_mprintf("%s.tmp-%ld-%u", path, (long)getpid(), atomic_fetch_add(&counter, 1));
		if (name == NULL)
			return ladder_error_set(LADDER_ENOMEM, "out of memory writing '%s'", path);
		if ((*fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) >= 0) {
			*tmp = name;
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	error = ladder_error_set(LADDER_EIO, "cannot write '%s': creating '%s': %s", path, name, strerror(errno));
	ladder_free(name);
	return error;
}

/* Flush the directory holding path, so the rename itself survives a crash.
 * A file system that cannot flush a directory says EINVAL: nothing to do. */
static int sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? ladder_strdup(".") : ladder_strndup(path, slash == path ? 1 : (size_t)(slash - path));
	int fd, error = 0;

	if (dir == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory writing '%s'", path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || (fsync(fd) < 0 && errno != EINVAL))
		error = ladder_error_set(LADDER_EIO, "cannot write '%s': flushing directory '%s': %s", path, dir,
		                         strerror(errno));
	if (fd >= 0)
		close(fd);
	ladder_free(dir);
	return error;
}

int ladder_file_write(const char *path, const char *data, size_t len, unsigned int flags)
{
	char *tmp = NULL;
	struct stat st;
	int fd = -1;
	int error = 0;

	if (path == NULL || path[0] == '\0')
		return ladder_error_set(LADDER_EINVALID, "cannot write '': no output file name given");
	if (data == NULL && len > 0)
		return ladder_error_set(LADDER_EINVALID, "cannot write '%s': no data", path);
	if (lstat(path, &st) == 0) {
		if (flags & LADDER_WRITE_EXCLUSIVE)
			return ladder_error_set(LADDER_EIO, "cannot create '%s': %s", path, strerror(EEXIST));
		/* The rename would replace a device node, a FIFO or a symlink rather
		 * than write through it: only ever replace a regular file. */
		if (!S_ISREG(st.st_mode))
			return ladder_error_set(LADDER_EIO, "refusing to write '%s': it is not a regular file (write to "
			                                    "standard output and redirect instead)",
			                        path);
	}
	if ((error = create_temp(path, &tmp, &fd)) < 0)
		goto done;
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		error = ladder_error_set(LADDER_EIO, "cannot write '%s': writing '%s': %s", path, tmp, strerror(errno));
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		error = ladder_error_set(LADDER_EIO, "cannot write '%s': writing '%s': %s", path, tmp, strerror(errno));
		goto done;
	}
	fd = -1;
	if (flags & LADDER_WRITE_EXCLUSIVE) {
		/* link() refuses an existing name, even one that appeared after the
		 * check above, where rename() would replace it. */
		if (link(tmp, path) < 0) {
			error = ladder_error_set(LADDER_EIO, "cannot create '%s': %s", path, strerror(errno));
			goto done;
		}
		if (unlink(tmp) < 0) {
			error = ladder_error_set(LADDER_EIO, "cannot write '%s': removing '%s': %s", path, tmp,
			                         strerror(errno));
			goto done;
		}
	} else if (rename(tmp, path) < 0) {
		error = ladder_error_set(LADDER_EIO, "cannot write '%s': renaming '%s' over it: %s", path, tmp,
		                         strerror(errno));
		goto done;
	}
	ladder_free(tmp);
	tmp = NULL;
	error = sync_dir(path);
done:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL)
		(void)unlink(tmp);
	ladder_free(tmp);
	return error;
}
