/*
 * test_fileio.c — ladder_file_write, the one writer behind `embed -o`,
 * `dump --out` and `new`: the file lands whole with the bytes given, an
 * existing file is replaced whole, and every failure — a target that is a
 * directory, a FIFO or a symlink, a parent that does not exist or is a
 * file, a directory the writer may not write to, a write that fails half
 * way, an exclusive create over an existing file — leaves the old content
 * as it was and no temporary file behind, with an error naming the path and
 * the system's reason.
 */
#define _GNU_SOURCE
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

/* The names in dir, sorted, space-separated (kept until exit). */
static const char *listing(const char *dir)
{
	struct dirent **names;
	tu_buf b = {0};
	int n = scandir(dir, &names, NULL, alphasort);

	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0) {
			tu_buf_add(&b, names[i]->d_name);
			tu_buf_add(&b, " ");
		}
		free(names[i]);
	}
	free(names);
	tu_buf_add(&b, "");
	{
		const char *kept = tu_keep(b.buf);
		free(b.buf);
		return kept;
	}
}

/* The file's bytes, exactly len of them. */
static void assert_content(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "rb");
	char buf[256];
	size_t n;

	if (f == NULL)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(n, len);
	assert_memory_equal(buf, data, len);
}

static const char old_text[] = "the previous content\n";

/* dir/name holding old_text; returns the path. */
static const char *old_file(const char *dir, const char *name)
{
	tu_write(dir, name, old_text);
	return tu_in(dir, name);
}

/* ---- writing ------------------------------------------------------------ */

static void writes_the_bytes_given_and_replaces_a_file_whole(void **state)
{
	const char *dir = tu_tmpdir();
	const char *path = tu_in(dir, "out.txt");
	static const char binary[] = {'a', '\0', 'b', '\n', '\xff'};
	struct stat st;
	(void)state;

	assert_int_equal(ladder_file_write(path, "first\n", 6, 0), 0);
	assert_content(path, "first\n", 6);
	assert_string_equal(listing(dir), "out.txt ");
	/* not writable by others; readable by the owner's group at most */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0137, 0);
	assert_true(S_ISREG(st.st_mode));

	/* a shorter text replaces the longer one whole, bytes as given */
	assert_int_equal(ladder_file_write(path, binary, sizeof(binary), 0), 0);
	assert_content(path, binary, sizeof(binary));
	assert_int_equal(ladder_file_write(path, "", 0, 0), 0);
	assert_content(path, "", 0);
	assert_string_equal(listing(dir), "out.txt ");

	/* a bare name is written in the working directory */
	{
		char cwd[4096];
		assert_non_null(getcwd(cwd, sizeof(cwd)));
		assert_int_equal(chdir(dir), 0);
		assert_int_equal(ladder_file_write("bare.txt", "x", 1, 0), 0);
		assert_int_equal(chdir(cwd), 0);
		assert_content(tu_in(dir, "bare.txt"), "x", 1);
		assert_string_equal(listing(dir), "bare.txt out.txt ");
	}
}

static void exclusive_creates_only_a_new_file(void **state)
{
	const char *dir = tu_tmpdir();
	const char *fresh = tu_in(dir, "1_a.up.sql");
	const char *taken = old_file(dir, "2_b.up.sql");
	(void)state;

	assert_int_equal(ladder_file_write(fresh, "-- new\n", 7, LADDER_WRITE_EXCLUSIVE), 0);
	assert_content(fresh, "-- new\n", 7);

	tu_assert_error(ladder_file_write(taken, "clobbered\n", 10, LADDER_WRITE_EXCLUSIVE), LADDER_EIO,
	                tu_fmt("cannot create '%s': %s", taken, strerror(EEXIST)));
	assert_content(taken, old_text, strlen(old_text));
	/* the new one is not replaced either */
	tu_assert_error(ladder_file_write(fresh, "again\n", 6, LADDER_WRITE_EXCLUSIVE), LADDER_EIO,
	                tu_fmt("cannot create '%s'", fresh));
	assert_content(fresh, "-- new\n", 7);
	/* a dangling symlink is a name that exists */
	assert_int_equal(symlink("nowhere", tu_in(dir, "3_c.up.sql")), 0);
	tu_assert_error(ladder_file_write(tu_in(dir, "3_c.up.sql"), "x", 1, LADDER_WRITE_EXCLUSIVE), LADDER_EIO,
	                strerror(EEXIST));
	assert_string_equal(listing(dir), "1_a.up.sql 2_b.up.sql 3_c.up.sql ");
}

/* ---- refusals ----------------------------------------------------------- */

static void targets_that_are_not_regular_files_are_refused(void **state)
{
	const char *dir = tu_tmpdir();
	const char *as_dir = tu_in(dir, "a_dir");
	const char *fifo = tu_in(dir, "a_fifo");
	const char *link = tu_in(dir, "a_link");
	const char *linked = old_file(dir, "linked");
	struct stat st;
	(void)state;

	assert_int_equal(mkdir(as_dir, 0755), 0);
	tu_write(as_dir, "inside", "kept\n");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(symlink("linked", link), 0);

	tu_assert_error(ladder_file_write(as_dir, "x", 1, 0), LADDER_EIO,
	                tu_fmt("refusing to write '%s': it is not a regular file", as_dir));
	assert_string_equal(listing(as_dir), "inside ");
	tu_assert_error(ladder_file_write(fifo, "x", 1, 0), LADDER_EIO,
	                tu_fmt("refusing to write '%s': it is not a regular file", fifo));
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	/* a symlink is neither written through nor replaced */
	tu_assert_error(ladder_file_write(link, "x", 1, 0), LADDER_EIO,
	                tu_fmt("refusing to write '%s': it is not a regular file", link));
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_content(linked, old_text, strlen(old_text));
	assert_string_equal(listing(dir), "a_dir a_fifo a_link linked ");

	tu_assert_error(ladder_file_write("", "x", 1, 0), LADDER_EINVALID, "cannot write '': no output file name");
	tu_assert_error(ladder_file_write(NULL, "x", 1, 0), LADDER_EINVALID, "no output file name");
	tu_assert_error(ladder_file_write(tu_in(dir, "new"), NULL, 1, 0), LADDER_EINVALID, "no data");
	assert_string_equal(listing(dir), "a_dir a_fifo a_link linked ");
}

static void a_parent_that_is_missing_or_a_file_is_reported(void **state)
{
	const char *dir = tu_tmpdir();
	const char *missing = tu_in(dir, "no/such/dir/out.txt");
	const char *under_file;
	(void)state;

	old_file(dir, "plain");
	under_file = tu_in(dir, "plain/out.txt");
	tu_assert_error(ladder_file_write(missing, "x", 1, 0), LADDER_EIO,
	                tu_fmt("cannot write '%s': creating '%s.tmp-", missing, missing));
	tu_assert_error(LADDER_EIO, LADDER_EIO, strerror(ENOENT));
	tu_assert_error(ladder_file_write(under_file, "x", 1, LADDER_WRITE_EXCLUSIVE), LADDER_EIO,
	                tu_fmt("cannot write '%s'", under_file));
	tu_assert_error(LADDER_EIO, LADDER_EIO, strerror(ENOTDIR));
	assert_string_equal(listing(dir), "plain ");
	assert_content(tu_in(dir, "plain"), old_text, strlen(old_text));
}

typedef struct write_args {
	const char *path;
	size_t len;             /* bytes of 'x' to write */
	rlim_t max_file_size;   /* 0: no limit set */
} write_args;

static int write_in_child(void *ctx)
{
	const write_args *w = ctx;
	char *data = malloc(w->len);
	int code;

	if (data == NULL)
		return LADDER_ENOMEM;
	memset(data, 'x', w->len);
	if (w->max_file_size > 0) {
		/* a write past the limit fails with EFBIG instead of a signal */
		struct rlimit limit = {w->max_file_size, w->max_file_size};
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &limit) < 0)
			return LADDER_ERROR;
	}
	code = ladder_file_write(w->path, data, w->len, 0);
	free(data);
	return code;
}

/* write_in_child as nobody (when the suite runs as root), with dir's mode
 * set to dir_mode meanwhile; the child's message lands in message. */
static int write_as_nobody(const char *dir, mode_t dir_mode, const write_args *w, char message[4096])
{
	int code;

	assert_int_equal(chmod(dir, dir_mode), 0);
	code = tu_as_nobody(write_in_child, (void *)w, "writing", message, 4096);
	assert_int_equal(chmod(dir, 0700), 0);
	return code;
}

static void a_directory_the_writer_may_not_write_to_keeps_the_old_file(void **state)
{
	const char *dir = tu_tmpdir();
	const char *target = old_file(dir, "plan.c");
	write_args w = {target, 10, 0};
	char message[4096];
	int code;
	(void)state;

	/* the old file is writable by anyone, its directory by no one but root:
	 * the child (nobody, when the suite runs as root) cannot create the
	 * temporary file beside it */
	assert_int_equal(chmod(target, 0666), 0);
	code = write_as_nobody(dir, 0555, &w, message);
	tu_assert_message(code, LADDER_EIO, message, tu_fmt("cannot write '%s'", target));
	tu_assert_message(code, LADDER_EIO, message, strerror(EACCES));
	assert_content(target, old_text, strlen(old_text));
	assert_string_equal(listing(dir), "plan.c ");
}

static void a_write_that_fails_half_way_removes_its_temporary_file(void **state)
{
	const char *dir = tu_tmpdir();
	const char *target = old_file(dir, "schema.txt");
	write_args w = {target, 4096, 1024};
	char message[4096];
	int code;
	(void)state;

	/* open to the child (nobody when run as root): only the file size
	 * limit stops it, after the temporary file holds 1024 bytes */
	code = write_as_nobody(dir, 0777, &w, message);
	tu_assert_message(code, LADDER_EIO, message, tu_fmt("cannot write '%s': writing '%s.tmp-", target, target));
	tu_assert_message(code, LADDER_EIO, message, strerror(EFBIG));
	assert_content(target, old_text, strlen(old_text));
	assert_string_equal(listing(dir), "schema.txt ");

	/* under the limit the same child writes it */
	w.len = 512;
	code = write_as_nobody(dir, 0777, &w, message);
	if (code != 0)
		fail_msg("writing 512 bytes under a 1024-byte limit failed: %s", message);
	assert_string_equal(listing(dir), "schema.txt ");
	{
		struct stat st;
		assert_int_equal(stat(target, &st), 0);
		assert_int_equal(st.st_size, 512);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_the_bytes_given_and_replaces_a_file_whole),
		cmocka_unit_test(exclusive_creates_only_a_new_file),
		cmocka_unit_test(targets_that_are_not_regular_files_are_refused),
		cmocka_unit_test(a_parent_that_is_missing_or_a_file_is_reported),
		cmocka_unit_test(a_directory_the_writer_may_not_write_to_keeps_the_old_file),
		cmocka_unit_test(a_write_that_fails_half_way_removes_its_temporary_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
