/*
 * test_plan_dir.c — plans from migrations directories: golang-migrate pairs
 * (dotted names, differently named halves, morph's marker), dbmate, goose
 * and sql-migrate single files, and diesel's subdirectories load with the
 * right versions, names, text, lines, sources and annotations; empty ups
 * and downs load as the no-ops other tools run; a baseline brings its
 * floor; other files are ignored; and every bad input (NUL bytes, bad
 * UTF-8, too large, bad names, unreadable, dangling, duplicate, orphan,
 * neither format, two tools' markers, unknown markers) is refused with its
 * own message naming the file(s) and line.
 */
#define _GNU_SOURCE
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB ((size_t)1024 * 1024)
#define FILE_LIMIT (64 * MIB)

/* ---- helpers ------------------------------------------------------------ */

/* A fresh directory holding one file. */
static const char *dir_with(const char *name, const char *content)
{
	const char *dir = tu_tmpdir();
	tu_write(dir, name, content);
	return dir;
}

/* Hex SHA-256 of text with CRLF folded to LF, computed here, independently
 * of the library. */
static void sha256_folded(const char *text, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t len = strlen(text);

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	for (size_t i = 0; i < len; i++)
		if (!(text[i] == '\r' && i + 1 < len && text[i + 1] == '\n'))
			EVP_DigestUpdate(ctx, text + i, 1);
	EVP_DigestFinal_ex(ctx, md, &md_len);
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; i < md_len; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

/* Loading dir fails with code, leaves *out NULL, and the message holds
 * needle (and needle2 unless NULL). */
static void assert_load_fails(const char *dir, int code, const char *needle, const char *needle2)
{
	ladder_plan *plan = (ladder_plan *)&plan; /* a sentinel the call must clear */
	int error = ladder_plan_load_dir(&plan, dir);

	if (error == 0) {
		ladder_plan_free(plan);
		fail_msg("%s loaded; expected %d (%s) mentioning \"%s\"", dir, code, ladder_strerror(code), needle);
	}
	assert_null(plan);
	tu_assert_error(error, code, needle);
	if (needle2 != NULL)
		tu_assert_error(error, code, needle2);
}

static void assert_str_or_null(const char *got, const char *expected)
{
	if (expected == NULL)
		assert_null(got);
	else {
		assert_non_null(got);
		assert_string_equal(got, expected);
	}
}

/* Every field a directory load sets, for migration `index` of plan. */
static void assert_step(const ladder_plan *plan, size_t index, int64_t version, const char *name, const char *up,
                        const char *down, unsigned int up_flags, unsigned int down_flags, const char *source,
                        int up_line, const char *down_source, int down_line)
{
	const ladder_migration_def *def = ladder_plan_at(plan, index);
	char hex[65];

	assert_non_null(def);
	assert_int_equal(def->version, version);
	assert_string_equal(def->name, name);
	assert_string_equal(def->up_sql, up);
	assert_str_or_null(def->down_sql, down);
	assert_int_equal(def->up_flags, up_flags);
	assert_int_equal(def->down_flags, down_flags);
	assert_string_equal(def->source, source);
	assert_int_equal(def->up_line, up_line);
	assert_str_or_null(def->down_source, down_source);
	if (down != NULL)
		assert_int_equal(def->down_line, down_line);
	assert_null(def->up_fn);
	assert_null(def->down_fn);
	assert_null(def->check_sql);
	/* the recorded checksum is the SHA-256 of the up text */
	sha256_folded(up, hex);
	assert_string_equal(ladder_plan_checksum(plan, index), hex);
}

/* Write a file of exactly `size` bytes: `head`, then a hole of zeros the
 * file system does not store (so a 64 MiB file costs nothing). */
static void write_sparse(const char *path, const char *head, off_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, head, strlen(head)), (ssize_t)strlen(head));
	assert_int_equal(ftruncate(fd, size), 0);
	assert_int_equal(close(fd), 0);
}

/* dir loads (the plan is dropped) */
static void tu_plan_free_ok(const char *dir)
{
	ladder_plan_free(tu_plan(dir));
}

static int load_dir(void *dir)
{
	ladder_plan *plan = NULL;
	int code = ladder_plan_load_dir(&plan, dir);
	ladder_plan_free(plan);
	return code;
}

/*
 * Load dir in a child that chmod cannot fool: as nobody (65534) when the
 * suite runs as root (root reads mode 000 files), as ourselves otherwise.
 * Returns the code; the message comes back through a pipe.
 */
static int load_as_nobody(const char *dir, char *message, size_t size)
{
	return tu_as_nobody(load_dir, (void *)dir, "loading", message, size);
}

/* ---- both formats load -------------------------------------------------- */

static void golang_migrate_pairs_load_in_version_order(void **state)
{
	const char *dir = tu_tmpdir();
	ladder_plan *plan;
	(void)state;

	tu_write(dir, "1_create_users.up.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY);\n");
	tu_write(dir, "1_create_users.down.sql", "DROP TABLE users;\n");
	tu_write(dir, "2_add_email.up.sql", "ALTER TABLE users ADD COLUMN email TEXT;\n");
	/* "10" sorts before "2" as text: the order must be numeric */
	tu_write(dir, "10_index_email.up.sql", "CREATE INDEX users_email ON users (email);");
	tu_write(dir, "10_index_email.down.sql", "DROP INDEX users_email;");
	/* leading zeros are the same number */
	tu_write(dir, "0003_padded.up.sql", "CREATE TABLE p (x);\n");
	/* an empty or comment-only down is a revert that runs nothing (as in
	 * golang-migrate); it stays text, not a missing down */
	tu_write(dir, "4_nothing_to_undo.up.sql", "DELETE FROM users WHERE email IS NULL;\n");
	tu_write(dir, "4_nothing_to_undo.down.sql", "-- the rows are gone for good\n\n");
	tu_write(dir, "5_empty_down.up.sql", "CREATE TABLE e (x);\n");
	tu_write(dir, "5_empty_down.down.sql", "");

	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_count(plan), 6);
	assert_int_equal(ladder_plan_head(plan), 10);
	assert_null(ladder_plan_baseline(plan));
	assert_null(ladder_plan_baseline_checksum(plan));
	assert_int_equal(ladder_plan_floor(plan), 0);
	assert_step(plan, 0, 1, "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);\n", "DROP TABLE users;\n", 0,
	            0, tu_in(dir, "1_create_users.up.sql"), 1, tu_in(dir, "1_create_users.down.sql"), 1);
	assert_step(plan, 1, 2, "add_email", "ALTER TABLE users ADD COLUMN email TEXT;\n", NULL, 0, 0,
	            tu_in(dir, "2_add_email.up.sql"), 1, NULL, 0);
	assert_step(plan, 2, 3, "padded", "CREATE TABLE p (x);\n", NULL, 0, 0, tu_in(dir, "0003_padded.up.sql"), 1, NULL, 0);
	assert_step(plan, 3, 4, "nothing_to_undo", "DELETE FROM users WHERE email IS NULL;\n",
	            "-- the rows are gone for good\n\n", 0, 0, tu_in(dir, "4_nothing_to_undo.up.sql"), 1,
	            tu_in(dir, "4_nothing_to_undo.down.sql"), 1);
	assert_step(plan, 4, 5, "empty_down", "CREATE TABLE e (x);\n", "", 0, 0, tu_in(dir, "5_empty_down.up.sql"), 1,
	            tu_in(dir, "5_empty_down.down.sql"), 1);
	assert_step(plan, 5, 10, "index_email", "CREATE INDEX users_email ON users (email);", "DROP INDEX users_email;", 0,
	            0, tu_in(dir, "10_index_email.up.sql"), 1, tu_in(dir, "10_index_email.down.sql"), 1);
	assert_null(ladder_plan_at(plan, 6));
	ladder_plan_free(plan);
}

static void dbmate_files_load_with_their_sections_and_lines(void **state)
{
	const char *dir = tu_tmpdir();
	ladder_plan *plan;
	(void)state;

	tu_write(dir, "20240101120000_create_posts.sql",
	         "-- migrate:up\n"
	         "CREATE TABLE posts (id INTEGER);\n"
	         "CREATE INDEX posts_id ON posts (id);\n"
	         "\n"
	         "-- migrate:down\n"
	         "DROP TABLE posts;\n");
	/* down before up, a comment above both, dbmate's `--migrate:` spelling */
	tu_write(dir, "20240102000000_reversed.sql",
	         "-- a header comment is fine\n"
	         "--migrate:down\n"
	         "DROP TABLE r;\n"
	         "--\tmigrate:up\n"
	         "CREATE TABLE r (x);\n");
	/* up only, no final newline; `-- migrate:upgrade` is a comment */
	tu_write(dir, "20240103000000_up_only.sql",
	         "-- migrate:up\n"
	         "-- migrate:upgrade is just a comment\n"
	         "CREATE TABLE u (x);");
	/* an empty down section: a revert that runs nothing */
	tu_write(dir, "20240104000000_empty_down.sql", "-- migrate:up\nCREATE TABLE e (x);\n-- migrate:down\n\n");

	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_count(plan), 4);
	assert_int_equal(ladder_plan_head(plan), INT64_C(20240104000000));
	assert_step(plan, 0, INT64_C(20240101120000), "create_posts",
	            "CREATE TABLE posts (id INTEGER);\nCREATE INDEX posts_id ON posts (id);\n\n", "DROP TABLE posts;\n", 0,
	            0, tu_in(dir, "20240101120000_create_posts.sql"), 2, NULL, 6);
	assert_step(plan, 1, INT64_C(20240102000000), "reversed", "CREATE TABLE r (x);\n", "DROP TABLE r;\n", 0, 0,
	            tu_in(dir, "20240102000000_reversed.sql"), 5, NULL, 3);
	assert_step(plan, 2, INT64_C(20240103000000), "up_only", "-- migrate:upgrade is just a comment\nCREATE TABLE u (x);",
	            NULL, 0, 0, tu_in(dir, "20240103000000_up_only.sql"), 2, NULL, 0);
	assert_step(plan, 3, INT64_C(20240104000000), "empty_down", "CREATE TABLE e (x);\n", "\n", 0, 0,
	            tu_in(dir, "20240104000000_empty_down.sql"), 2, NULL, 4);
	ladder_plan_free(plan);
}

static void both_formats_mix_and_crlf_files_keep_their_sections(void **state)
{
	const char *dir = tu_tmpdir();
	ladder_plan *plan;
	char lf[65];
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "1_a.down.sql", "DROP TABLE a;\n");
	tu_write(dir, "2_b.sql", "-- migrate:up\r\nCREATE TABLE b (x);\r\n-- migrate:down\r\nDROP TABLE b;\r\n");
	tu_write(dir, "3_c.up.sql", "CREATE TABLE c (x);\r\n");

	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_count(plan), 3);
	assert_step(plan, 0, 1, "a", "CREATE TABLE a (x);\n", "DROP TABLE a;\n", 0, 0, tu_in(dir, "1_a.up.sql"), 1,
	            tu_in(dir, "1_a.down.sql"), 1);
	/* the CR of a marker line is not part of either section */
	assert_step(plan, 1, 2, "b", "CREATE TABLE b (x);\r\n", "DROP TABLE b;\r\n", 0, 0, tu_in(dir, "2_b.sql"), 2, NULL,
	            4);
	assert_step(plan, 2, 3, "c", "CREATE TABLE c (x);\r\n", NULL, 0, 0, tu_in(dir, "3_c.up.sql"), 1, NULL, 0);
	/* a CRLF checkout checksums like the LF original */
	sha256_folded("CREATE TABLE b (x);\n", lf);
	assert_string_equal(ladder_plan_checksum(plan, 1), lf);
	ladder_plan_free(plan);
}

static void annotations_land_on_their_side(void **state)
{
	const char *dir = tu_tmpdir();
	ladder_plan *plan;
	(void)state;

	tu_write(dir, "1_a.up.sql", "-- ladder:no-transaction\nCREATE TABLE a (x);\n");
	tu_write(dir, "1_a.down.sql", "-- undo a\n\n--   ladder:foreign-keys off  \nDROP TABLE a;\n");
	tu_write(dir, "2_b.sql",
	         "-- migrate:up transaction:false\n"
	         "CREATE TABLE b (x);\n"
	         "-- migrate:down\n"
	         "-- ladder:foreign-keys off\n"
	         "DROP TABLE b;\n");
	tu_write(dir, "3_c.sql",
	         "-- migrate:up\n"
	         "-- ladder:foreign-keys off\n"
	         "-- ladder:no-transaction\n"
	         "CREATE TABLE c (x);\n"
	         "-- migrate:down transaction:false\n"
	         "DROP TABLE c;\n");
	/* only the leading comment counts: after a statement it is a comment */
	tu_write(dir, "4_d.sql",
	         "-- migrate:up transaction:true\n"
	         "CREATE TABLE d (x);\n"
	         "-- ladder:no-transaction\n"
	         "-- migrate:down\n"
	         "DROP TABLE d;\n");
	tu_write(dir, "5_e.up.sql", "CREATE TABLE e (x);\n");
	tu_write(dir, "5_e.down.sql", "-- ladder:no-transaction\nDROP TABLE e;\n");

	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_count(plan), 5);
	assert_int_equal(ladder_plan_at(plan, 0)->up_flags, LADDER_NO_TRANSACTION);
	assert_int_equal(ladder_plan_at(plan, 0)->down_flags, LADDER_FOREIGN_KEYS_OFF);
	assert_int_equal(ladder_plan_at(plan, 1)->up_flags, LADDER_NO_TRANSACTION);
	assert_int_equal(ladder_plan_at(plan, 1)->down_flags, LADDER_FOREIGN_KEYS_OFF);
	assert_int_equal(ladder_plan_at(plan, 2)->up_flags, LADDER_NO_TRANSACTION | LADDER_FOREIGN_KEYS_OFF);
	assert_int_equal(ladder_plan_at(plan, 2)->down_flags, LADDER_NO_TRANSACTION);
	assert_int_equal(ladder_plan_at(plan, 3)->up_flags, 0);
	assert_int_equal(ladder_plan_at(plan, 3)->down_flags, 0);
	assert_int_equal(ladder_plan_at(plan, 4)->up_flags, 0);
	assert_int_equal(ladder_plan_at(plan, 4)->down_flags, LADDER_NO_TRANSACTION);
	/* annotations stay in the text (and so in the checksum) */
	assert_string_equal(ladder_plan_at(plan, 0)->up_sql, "-- ladder:no-transaction\nCREATE TABLE a (x);\n");
	assert_string_equal(ladder_plan_at(plan, 2)->up_sql,
	                    "-- ladder:foreign-keys off\n-- ladder:no-transaction\nCREATE TABLE c (x);\n");
	ladder_plan_free(plan);
}

static void unknown_annotations_and_options_are_refused_with_file_and_line(void **state)
{
	const char *dir;
	(void)state;

	dir = dir_with("1_a.up.sql", "-- header\n-- ladder:no-transactions\nCREATE TABLE a (x);\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/1_a.up.sql:2: unknown annotation 'ladder:no-transactions'", dir),
	                  NULL);

	dir = dir_with("1_a.up.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "1_a.down.sql", "\n\n-- ladder:foreign-keys of\nDROP TABLE a;\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/1_a.down.sql:3: unknown annotation 'ladder:foreign-keys of'", dir),
	                  NULL);

	/* in a dbmate down section, the line counts from the top of the file */
	dir = dir_with("2_b.sql", "-- migrate:up\nCREATE TABLE b (x);\n\n-- migrate:down\n-- ladder:fk off\nDROP TABLE b;\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/2_b.sql:5: unknown annotation 'ladder:fk off'", dir), NULL);

	dir = dir_with("2_b.sql", "-- migrate:up\n-- ladder:NO-TRANSACTION\nCREATE TABLE b (x);\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/2_b.sql:2: unknown annotation", dir), NULL);

	/* a misspelt dbmate option must not silently keep the transaction */
	dir = dir_with("3_c.sql", "-- migrate:up transaction:flase\nCREATE INDEX i ON t (x);\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/3_c.sql:1: unknown option 'transaction:flase'", dir), NULL);
	dir = dir_with("3_c.sql", "-- migrate:up\nCREATE TABLE c (x);\n-- migrate:down notransaction\nDROP TABLE c;\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/3_c.sql:3: unknown option 'notransaction'", dir), NULL);

	/* an annotation above both markers applies to nothing */
	dir = dir_with("4_d.sql", "-- about d\n-- ladder:no-transaction\n-- migrate:up\nCREATE INDEX i ON t (x);\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/4_d.sql:2: this annotation is above the first", dir), NULL);
	dir = dir_with("4_d.sql", "-- see the ladder: docs\n\n-- ladder:foreign-keys off\n-- migrate:up\nSELECT 1;\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/4_d.sql:3: this annotation is above the first", dir), NULL);
	/* the line is the one the annotation reader took: not one inside a block comment */
	dir = dir_with("4_d.sql", "/*\n-- ladder:irreversible\n*/\n-- ladder:no-transaction\n-- migrate:up\nSELECT 1;\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/4_d.sql:4: this annotation is above the first", dir), NULL);
	dir = dir_with("4_d.sql", "-- ladder:sometimes\n-- migrate:up\nCREATE INDEX i ON t (x);\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/4_d.sql:1: unknown annotation 'ladder:sometimes'", dir), NULL);

	dir = dir_with("5_base.baseline.sql", "-- ladder:flor 3\nCREATE TABLE t (x);\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/5_base.baseline.sql:1: unknown annotation 'ladder:flor 3'", dir),
	                  NULL);
}

static void baseline_loads_with_its_floor(void **state)
{
	const char *dir = tu_tmpdir();
	const char *baseline_sql = "-- ladder:floor 2\n-- the whole schema as of 3\n"
	                           "CREATE TABLE a (x);\nCREATE TABLE b (x);\nCREATE TABLE c (x);\n";
	const ladder_migration_def *base;
	ladder_plan *plan;
	char hex[65];
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (x);\n");
	tu_write(dir, "3_c.sql", "-- migrate:up\nCREATE TABLE c (x);\n");
	tu_write(dir, "3_schema.baseline.sql", baseline_sql);
	tu_write(dir, "4_d.up.sql", "CREATE TABLE d (x);\n");

	plan = tu_plan(dir);
	/* the baseline shares version 3 without clashing and is not a step */
	assert_int_equal(ladder_plan_count(plan), 4);
	assert_int_equal(ladder_plan_head(plan), 4);
	assert_int_equal(ladder_plan_at(plan, 2)->version, 3);
	assert_string_equal(ladder_plan_at(plan, 2)->name, "c");
	base = ladder_plan_baseline(plan);
	assert_non_null(base);
	assert_int_equal(base->version, 3);
	assert_string_equal(base->name, "schema");
	assert_string_equal(base->up_sql, baseline_sql);
	assert_null(base->down_sql);
	assert_string_equal(base->source, tu_in(dir, "3_schema.baseline.sql"));
	assert_int_equal(base->up_line, 1);
	assert_int_equal(base->up_flags, 0);
	assert_int_equal(ladder_plan_floor(plan), 2);
	sha256_folded(baseline_sql, hex);
	assert_string_equal(ladder_plan_baseline_checksum(plan), hex);
	ladder_plan_free(plan);

	/* a baseline alone is a plan; without a floor line the floor is 0 */
	dir = dir_with("7_all.baseline.sql", "-- ladder:no-transaction\nCREATE TABLE t (x);\n");
	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_count(plan), 0);
	assert_int_equal(ladder_plan_head(plan), 7);
	assert_int_equal(ladder_plan_floor(plan), 0);
	assert_int_equal(ladder_plan_baseline(plan)->up_flags, LADDER_NO_TRANSACTION);
	ladder_plan_free(plan);
}

static void bad_baselines_are_refused(void **state)
{
	const char *dir;
	(void)state;

	dir = dir_with("3_a.baseline.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "5_b.baseline.sql", "CREATE TABLE b (x);\n");
	assert_load_fails(dir, LADDER_EPLAN, "two baseline files",
	                  tu_fmt("'%s/3_a.baseline.sql' and '%s/5_b.baseline.sql'", dir, dir));

	dir = dir_with("3_a.baseline.sql", "\n-- nothing\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/3_a.baseline.sql:1: empty baseline", dir), NULL);

	dir = dir_with("3_a.baseline.sql", "-- ladder:floor soon\nCREATE TABLE a (x);\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/3_a.baseline.sql:1: 'ladder:floor soon'", dir),
	                  "the floor must be a version number");

	dir = dir_with("3_a.baseline.sql", "-- ladder:floor -1\nCREATE TABLE a (x);\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/3_a.baseline.sql:1:", dir), "the floor must be a version number");
}

static void other_files_and_subdirectories_are_ignored(void **state)
{
	const char *dir = tu_tmpdir();
	const char *elsewhere = tu_tmpdir();
	ladder_plan *plan;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "README.md", "# migrations\n\nNot SQL \xff\x00.\n");
	tu_write(dir, "notes.txt", "1_a.up.sql is the first\n");
	tu_write(dir, "Makefile", "all:\n");
	tu_write(dir, "1_a.up.sql.orig", "an editor's backup\n");
	tu_write(dir, "2_b.up.sql~", "another backup\n");
	/* dotfiles: editor swap files, a hidden migration-looking file */
	tu_write(dir, ".1_a.up.sql.swp", "\x00\x01");
	tu_write(dir, ".2_hidden.up.sql", "CREATE TABLE hidden (x);\n");
	tu_write(dir, ".sql", "garbage");
	/* subdirectories, even one named like a migration, are not descended */
	assert_int_equal(mkdir(tu_in(dir, "archive"), 0755), 0);
	tu_write(tu_in(dir, "archive"), "1_old.up.sql", "CREATE TABLE old (x);\n");
	tu_write(tu_in(dir, "archive"), "bad name.sql", "\xff");
	assert_int_equal(mkdir(tu_in(dir, "2_looks_like_one.sql"), 0755), 0);
	assert_int_equal(mkdir(tu_in(dir, ".git"), 0755), 0);
	/* a symlink to a directory is a directory */
	assert_int_equal(symlink(elsewhere, tu_in(dir, "3_linked_dir.sql")), 0);

	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_count(plan), 1);
	assert_string_equal(ladder_plan_at(plan, 0)->name, "a");
	assert_int_equal(ladder_plan_head(plan), 1);
	ladder_plan_free(plan);

	/* an empty directory is an empty plan */
	plan = tu_plan(tu_tmpdir());
	assert_int_equal(ladder_plan_count(plan), 0);
	assert_int_equal(ladder_plan_head(plan), 0);
	assert_null(ladder_plan_baseline(plan));
	ladder_plan_free(plan);

	/* a symlink to a migration file is followed */
	tu_write(elsewhere, "shared.sql.txt", "CREATE TABLE shared (x);\n");
	dir = tu_tmpdir();
	assert_int_equal(symlink(tu_in(elsewhere, "shared.sql.txt"), tu_in(dir, "5_shared.up.sql")), 0);
	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_count(plan), 1);
	assert_string_equal(ladder_plan_at(plan, 0)->up_sql, "CREATE TABLE shared (x);\n");
	assert_string_equal(ladder_plan_at(plan, 0)->source, tu_in(dir, "5_shared.up.sql"));
	ladder_plan_free(plan);
}

/* ---- other tools' names and markers ------------------------------------ */

static void dotted_names_load_as_golang_migrate_reads_them(void **state)
{
	const char *dir = tu_tmpdir();
	ladder_plan *plan;
	(void)state;

	tu_write(dir, "000056_upgrade_channels_v6.0.up.sql", "CREATE TABLE c (x);\n");
	tu_write(dir, "000056_upgrade_channels_v6.0.down.sql", "DROP TABLE c;\n");
	tu_write(dir, "0015_1.10.0_schema.up.sql", "CREATE TABLE s (x);\n");
	tu_write(dir, "12_v1.2_fix.sql", "-- migrate:up\nCREATE TABLE f (x);\n");
	tu_write(dir, "12_v1.2_fix.check.sql", "SELECT 1 WHERE 0;\n");
	tu_write(dir, "57_v7.0.baseline.sql", "CREATE TABLE everything (x);\n");
	/* the name runs to the LAST .up./.down.: golang-migrate's greedy (.*) */
	tu_write(dir, "60_a.up.down.sql", "DROP TABLE a;\n");
	tu_write(dir, "60_other.up.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "61_a.txt.sql", "-- migrate:up\nSELECT 1;\n");
	/* shapes published sets hold: a doubled dot golang-migrate reads, and
	 * sql-migrate's dash after the version */
	tu_write(dir, "70_ignore_autotag.up..sql", "CREATE TABLE t70 (x);\n");
	tu_write(dir, "70_ignore_autotag.down..sql", "DROP TABLE t70;\n");
	tu_write(dir, "20170426134008-init.sql", "-- +migrate Up\nCREATE TABLE i (x);\n-- +migrate Down\nDROP TABLE i;\n");

	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_count(plan), 7);
	assert_string_equal(ladder_plan_at(plan, 5)->name, "ignore_autotag");
	assert_string_equal(ladder_plan_at(plan, 5)->down_sql, "DROP TABLE t70;\n");
	assert_int_equal(ladder_plan_at(plan, 6)->version, 20170426134008);
	assert_string_equal(ladder_plan_at(plan, 6)->name, "init");
	assert_int_equal(ladder_plan_at(plan, 0)->version, 12);
	assert_string_equal(ladder_plan_at(plan, 0)->name, "v1.2_fix");
	assert_string_equal(ladder_plan_at(plan, 0)->check_sql, "SELECT 1 WHERE 0;\n");
	assert_int_equal(ladder_plan_at(plan, 1)->version, 15);
	assert_string_equal(ladder_plan_at(plan, 1)->name, "1.10.0_schema");
	assert_int_equal(ladder_plan_at(plan, 2)->version, 56);
	assert_string_equal(ladder_plan_at(plan, 2)->name, "upgrade_channels_v6.0");
	assert_string_equal(ladder_plan_at(plan, 2)->down_sql, "DROP TABLE c;\n");
	assert_string_equal(ladder_plan_baseline(plan)->name, "v7.0");
	assert_string_equal(ladder_plan_at(plan, 3)->name, "other");
	assert_string_equal(ladder_plan_at(plan, 3)->down_sql, "DROP TABLE a;\n");
	assert_string_equal(ladder_plan_at(plan, 3)->down_source, tu_in(dir, "60_a.up.down.sql"));
	assert_string_equal(ladder_plan_at(plan, 4)->name, "a.txt");
	ladder_plan_free(plan);

	/* a direction in capitals is a typo, not part of a single file's name */
	dir = dir_with("7_a.UP.sql", "CREATE TABLE a (x);\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/7_a.UP.sql: '.UP' is not a direction", dir), "lower case");
	dir = dir_with("7_a.Down.sql", "DROP TABLE a;\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/7_a.Down.sql: '.Down' is not a direction", dir), NULL);
}

static void ups_and_downs_pair_by_version_whatever_their_names(void **state)
{
	const char *dir = tu_tmpdir();
	ladder_plan *plan;
	(void)state;

	tu_write(dir, "30_add_x.up.sql", "CREATE TABLE x (a);\n");
	tu_write(dir, "30_drop_x.down.sql", "DROP TABLE x;\n");
	tu_write(dir, "031_zz.down.sql", "DROP TABLE y;\n");
	tu_write(dir, "31_aa.up.sql", "CREATE TABLE y (a);\n");
	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_count(plan), 2);
	assert_step(plan, 0, 30, "add_x", "CREATE TABLE x (a);\n", "DROP TABLE x;\n", 0, 0, tu_in(dir, "30_add_x.up.sql"),
	            1, tu_in(dir, "30_drop_x.down.sql"), 1);
	assert_step(plan, 1, 31, "aa", "CREATE TABLE y (a);\n", "DROP TABLE y;\n", 0, 0, tu_in(dir, "31_aa.up.sql"), 1,
	            tu_in(dir, "031_zz.down.sql"), 1);
	ladder_plan_free(plan);
}

static void morph_marks_a_file_nontransactional(void **state)
{
	const char *dir = tu_tmpdir();
	ladder_plan *plan;
	(void)state;

	tu_write(dir, "118_create_index_poststats.up.sql",
	         "-- morph:nontransactional\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (x);\n");
	tu_write(dir, "118_create_index_poststats.down.sql",
	         "-- undo it\n--morph:nontransactional\nDROP INDEX CONCURRENTLY IF EXISTS i;\n");
	tu_write(dir, "119_plain.up.sql", "CREATE TABLE p (x);\n-- morph:nontransactional\n");
	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_at(plan, 0)->up_flags, LADDER_NO_TRANSACTION);
	assert_int_equal(ladder_plan_at(plan, 0)->down_flags, LADDER_NO_TRANSACTION);
	/* after the first statement it is a comment, as ladder's own */
	assert_int_equal(ladder_plan_at(plan, 1)->up_flags, 0);
	ladder_plan_free(plan);

	dir = dir_with("5_a.up.sql", "-- morph:non-transactional\nCREATE INDEX CONCURRENTLY i ON t (x);\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/5_a.up.sql:1: unknown annotation 'morph:non-transactional'", dir),
	                  "morph:nontransactional");
}

static void goose_files_load_with_their_sections(void **state)
{
	const char *dir = tu_tmpdir();
	const char *fn = "-- +goose Up\n"
	                 "-- +goose StatementBegin\n"
	                 "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n"
	                 "  UPDATE a SET x = 1; UPDATE a SET y = 2;\n"
	                 "END;\n"
	                 "-- +goose StatementEnd\n"
	                 "\n"
	                 "-- +goose Down\n"
	                 "-- +goose StatementBegin\n"
	                 "DROP TRIGGER t;\n"
	                 "-- +goose StatementEnd\n";
	ladder_plan *plan;
	(void)state;

	tu_write(dir, "00001_create_a.sql", "-- +goose Up\nCREATE TABLE a (x, y);\n\n-- +goose Down\nDROP TABLE a;\n");
	tu_write(dir, "00002_trigger.sql", fn);
	/* NO TRANSACTION in the leading comment: both directions */
	tu_write(dir, "00003_index.sql",
	         "-- Thank you for giving goose a try!\n"
	         "-- +goose NO TRANSACTION\n"
	         "\n"
	         "-- +goose Up\n"
	         "CREATE INDEX i ON a (x);\n"
	         "-- +goose Down\n"
	         "DROP INDEX i;\n");
	/* goose's annotations are case-insensitive; an empty Down is a no-op,
	 * no Down at all cannot be reverted */
	tu_write(dir, "00004_case.sql", "--   +goose uP\nCREATE TABLE c (x);\n-- +goose DOWN\n");
	tu_write(dir, "00005_up_only.sql", "-- +goose Up\nCREATE TABLE u (x);\n");
	tu_write(dir, "00006_envsub_off.sql", "-- +goose ENVSUB OFF\n-- +goose Up\nSELECT 1;\n");
	/* goose takes NO TRANSACTION from anywhere in the file */
	tu_write(dir, "00007_late.sql", "-- +goose Up\nCREATE TABLE l (x);\n-- +goose Down\n-- +goose NO TRANSACTION\n");

	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_count(plan), 7);
	assert_step(plan, 0, 1, "create_a", "CREATE TABLE a (x, y);\n\n", "DROP TABLE a;\n", 0, 0,
	            tu_in(dir, "00001_create_a.sql"), 2, NULL, 5);
	/* the grouping lines stay in the text as the comments they are */
	assert_step(plan, 1, 2, "trigger",
	            "-- +goose StatementBegin\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE a SET x = 1; UPDATE a "
	            "SET y = 2;\nEND;\n-- +goose StatementEnd\n\n",
	            "-- +goose StatementBegin\nDROP TRIGGER t;\n-- +goose StatementEnd\n", 0, 0, tu_in(dir, "00002_trigger.sql"),
	            2, NULL, 9);
	assert_step(plan, 2, 3, "index", "CREATE INDEX i ON a (x);\n", "DROP INDEX i;\n", LADDER_NO_TRANSACTION,
	            LADDER_NO_TRANSACTION, tu_in(dir, "00003_index.sql"), 5, NULL, 7);
	assert_step(plan, 3, 4, "case", "CREATE TABLE c (x);\n", "", 0, 0, tu_in(dir, "00004_case.sql"), 2, NULL, 4);
	assert_step(plan, 4, 5, "up_only", "CREATE TABLE u (x);\n", NULL, 0, 0, tu_in(dir, "00005_up_only.sql"), 2, NULL, 0);
	assert_int_equal(ladder_plan_at(plan, 5)->up_flags, 0);
	assert_int_equal(ladder_plan_at(plan, 6)->up_flags, LADDER_NO_TRANSACTION);
	assert_int_equal(ladder_plan_at(plan, 6)->down_flags, LADDER_NO_TRANSACTION);
	ladder_plan_free(plan);
}

static void sql_migrate_files_load_with_their_sections(void **state)
{
	const char *dir = tu_tmpdir();
	ladder_plan *plan;
	(void)state;

	tu_write(dir, "1_init.sql", "-- +migrate Up\nCREATE TABLE people (id int);\n\n-- +migrate Down\nDROP TABLE people;\n");
	/* notransaction per direction; Down may come first */
	tu_write(dir, "2_index.sql",
	         "-- +migrate Down notransaction\n"
	         "DROP INDEX people_id;\n"
	         "-- +migrate Up notransaction\n"
	         "CREATE INDEX people_id ON people (id);\n");
	tu_write(dir, "20240101_fn.sql",
	         "-- +migrate Up\n"
	         "-- +migrate StatementBegin\n"
	         "CREATE TRIGGER t AFTER INSERT ON people BEGIN SELECT 1; END;\n"
	         "-- +migrate StatementEnd\n"
	         "-- +migrate Down\n"
	         "-- nothing to downgrade!\n");
	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_count(plan), 3);
	assert_step(plan, 0, 1, "init", "CREATE TABLE people (id int);\n\n", "DROP TABLE people;\n", 0, 0,
	            tu_in(dir, "1_init.sql"), 2, NULL, 5);
	assert_step(plan, 1, 2, "index", "CREATE INDEX people_id ON people (id);\n", "DROP INDEX people_id;\n",
	            LADDER_NO_TRANSACTION, LADDER_NO_TRANSACTION, tu_in(dir, "2_index.sql"), 4, NULL, 2);
	assert_step(plan, 2, 20240101, "fn",
	            "-- +migrate StatementBegin\nCREATE TRIGGER t AFTER INSERT ON people BEGIN SELECT 1; END;\n"
	            "-- +migrate StatementEnd\n",
	            "-- nothing to downgrade!\n", 0, 0, tu_in(dir, "20240101_fn.sql"), 2, NULL, 6);
	ladder_plan_free(plan);
}

static void bad_markers_of_other_tools_are_refused_with_file_and_line(void **state)
{
	static const struct {
		const char *text;
		const char *where; /* after "DIR/7_x.sql" */
		const char *what;
	} cases[] = {
		/* two tools in one file */
		{"-- migrate:up\nCREATE TABLE x (a);\n-- +goose Down\nDROP TABLE x;\n", ":3: a goose marker",
		 "in a dbmate file (line 1)"},
		{"-- +goose Up\nSELECT 1;\n-- +migrate Down\nSELECT 2;\n", ":3: a sql-migrate marker", "in a goose file"},
		{"-- +migrate Up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n", ":3: a dbmate marker", "in a sql-migrate file"},
		{"-- morph:nontransactional\n-- +goose Up\nCREATE INDEX i ON t (x);\n", ":1: a morph marker",
		 "in a goose file (line 2)"},
		{"-- +goose Up\n-- morph:nontransactional\nCREATE INDEX i ON t (x);\n", ":2: a morph marker", "in a goose file"},
		/* goose, as goose refuses it */
		{"-- +goose Up\n-- +goose Upp\nSELECT 1;\n", ":2: unknown goose annotation 'Upp'", "NO TRANSACTION"},
		{"-- +goose Up\nSELECT 1;\n  -- +goose Down\nSELECT 2;\n", ":3: an indented goose annotation", NULL},
		{"-- +goose Down\nSELECT 2;\n-- +goose Up\nSELECT 1;\n", ":1: '-- +goose Down' before '-- +goose Up'", NULL},
		{"-- +goose Up\nSELECT 1;\n-- +goose Up\nSELECT 2;\n", ":3: a second '-- +goose Up' line (the first is line 1)",
		 NULL},
		{"-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n", ":2: '-- +goose StatementBegin' has no", NULL},
		{"-- +goose Up\nSELECT 1;\n-- +goose StatementEnd\n", ":3: '-- +goose StatementEnd' without", NULL},
		{"-- +goose StatementBegin\n-- +goose Up\nSELECT 1;\n", ":1: '-- +goose StatementBegin' outside a section",
		 NULL},
		{"-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n-- +goose Down\nSELECT 2;\n",
		 ":2: '-- +goose StatementBegin' has no", NULL},
		{"-- +goose ENVSUB ON\n-- +goose Up\nSELECT '${X}';\n", ":1: '-- +goose ENVSUB ON'", "does not do"},
		{"-- +goose Up\n-- about -- +goose and +goose\nSELECT 1;\n", ":2: two '+goose' annotations", NULL},
		{"CREATE TABLE early (a);\n-- +goose Up\nSELECT 1;\n", ":1: SQL before the first '-- +goose' line", NULL},
		/* sql-migrate */
		{"-- +migrate Up notransactions\nSELECT 1;\n", ":1: unknown option 'notransactions'", "(known: notransaction)"},
		{"-- +migrate up\nSELECT 1;\n", ":1: unknown sql-migrate command 'up'", "(known: Up, Down"},
		{"-- +migrate Up\nSELECT 1;\n--  +migrate Down\nSELECT 2;\n", ":3: sql-migrate reads a command only", NULL},
		{"-- +migrate Up\n-- +migrate StatementBegin\nSELECT 1;\n", ":2: '-- +migrate StatementBegin' has no", NULL},
		{"-- +migrate Up\n-- +migrate StatementEnd now\nSELECT 1;\n", ":2: unknown option 'now'", "(it takes none)"},
		{"-- +migrate Up\nSELECT 1;\n-- +migrate Up\n", ":3: a second '-- +migrate Up' line", NULL},
		{"SELECT 0;\n-- +migrate Up\nSELECT 1;\n", ":1: SQL before the first '-- +migrate' line", NULL},
		/* ladder's own annotations above every section */
		{"-- ladder:no-transaction\n-- +goose Up\nSELECT 1;\n", ":1: this annotation is above the first '-- +goose'",
		 NULL},
	};
	const char *dir;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dir = dir_with("7_x.sql", cases[i].text);
		assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/7_x.sql%s", dir, cases[i].where), cases[i].what);
	}
	/* a Down alone is no migration, in any tool's format */
	dir = dir_with("7_x.sql", "-- +migrate Down\nDROP TABLE x;\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/7_x.sql: neither format", dir), "'-- +goose Up'");
	/* a section marker in a pair file: golang-migrate would run both
	 * "sections" as one up */
	dir = dir_with("8_x.up.sql", "-- migrate:up\nCREATE TABLE x (a);\n-- migrate:down\nDROP TABLE x;\n");
	assert_load_fails(dir, LADDER_EPLAN,
	                  tu_fmt("%s/8_x.up.sql:1: a dbmate section marker ('-- migrate:up') in an up or down file", dir),
	                  "name the file V_name.sql");
	dir = dir_with("8_x.up.sql", "CREATE TABLE x (a);\n");
	tu_write(dir, "8_x.down.sql", "-- +goose StatementBegin\nDROP TABLE x;\n-- +goose StatementEnd\n-- +goose down\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/8_x.down.sql:4: a goose section marker", dir), NULL);
	dir = dir_with("8_x.up.sql", "SELECT 1;\n-- +migrate Down\nSELECT 2;\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/8_x.up.sql:2: a sql-migrate section marker", dir), NULL);
	/* grouping lines alone are harmless comments there */
	dir = dir_with("8_x.up.sql", "-- +goose StatementBegin\nSELECT 1;\n-- +goose StatementEnd\n");
	tu_plan_free_ok(dir);
	/* goose matches `+goose` itself case-sensitively: this is a comment to
	 * goose too, so the file has no Up */
	dir = dir_with("7_x.sql", "-- +GOOSE Up\nSELECT 1;\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/7_x.sql: neither format", dir), NULL);
	/* prose that only mentions a tool is no marker */
	dir = dir_with("7_x.sql", "-- migrate:up\n-- we used to run +goose and sql-migrate\nSELECT 1;\n");
	tu_plan_free_ok(dir);
}

static void irreversible_means_no_down(void **state)
{
	const char *dir = tu_tmpdir();
	ladder_plan *plan;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "1_a.down.sql", "-- ladder:irreversible\n-- the data is gone\n");
	tu_write(dir, "2_b.sql", "-- migrate:up\n-- ladder:irreversible\nDELETE FROM a;\n-- migrate:down\n");
	tu_write(dir, "3_c.sql", "-- +goose Up\nSELECT 1;\n-- +goose Down\n-- ladder:irreversible\n");
	plan = tu_plan(dir);
	for (size_t i = 0; i < 3; i++) {
		assert_null(ladder_plan_at(plan, i)->down_sql);
		assert_null(ladder_plan_at(plan, i)->down_fn);
	}
	assert_int_equal(ladder_plan_at(plan, 0)->down_flags, LADDER_IRREVERSIBLE);
	assert_int_equal(ladder_plan_at(plan, 1)->up_flags, LADDER_IRREVERSIBLE);
	ladder_plan_free(plan);

	/* a down that says it cannot run and holds SQL is a contradiction */
	dir = dir_with("1_a.up.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "1_a.down.sql", "-- ladder:irreversible\nDROP TABLE a;\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/1_a.down.sql:1: migration 1 is marked 'ladder:irreversible'", dir),
	                  "remove the SQL or the annotation");
	dir = dir_with("2_b.sql", "-- migrate:up\n-- ladder:irreversible\nSELECT 1;\n-- migrate:down\nSELECT 2;\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/2_b.sql:5: migration 2 is marked 'ladder:irreversible'", dir),
	                  NULL);
}

static void diesel_directories_load(void **state)
{
	const char *dir = tu_tmpdir();
	const char *init = tu_in(dir, "00000000000000_diesel_initial_setup");
	const char *posts = tu_in(dir, "2019-01-01-000000_create_posts");
	const char *index = tu_in(dir, "2019-02-03-040506_index_posts");
	const char *irrev = tu_in(dir, "2019-03-01-000000_no_down");
	ladder_plan *plan;
	(void)state;

	assert_int_equal(mkdir(init, 0755), 0);
	tu_write(init, "up.sql", "-- This file was automatically created by Diesel\nSELECT 1;\n");
	tu_write(init, "down.sql", "SELECT 2;\n");
	assert_int_equal(mkdir(posts, 0755), 0);
	tu_write(posts, "up.sql", "CREATE TABLE posts (id INTEGER);\n");
	tu_write(posts, "down.sql", "DROP TABLE posts;\n");
	assert_int_equal(mkdir(index, 0755), 0);
	tu_write(index, "up.sql", "CREATE INDEX posts_id ON posts (id);\n");
	tu_write(index, "down.sql", "DROP INDEX posts_id;\n");
	tu_write(index, "metadata.toml", "# diesel\nrun_in_transaction = false\n");
	assert_int_equal(mkdir(irrev, 0755), 0);
	tu_write(irrev, "up.sql", "DELETE FROM posts;\n");
	/* not migrations: skipped as before */
	assert_int_equal(mkdir(tu_in(dir, "2019-04-01-000000_empty_dir"), 0755), 0);
	assert_int_equal(mkdir(tu_in(dir, "fixtures"), 0755), 0);
	tu_write(tu_in(dir, "fixtures"), "up.sql", "INSERT INTO posts VALUES (1);\n");
	tu_write(dir, "2019-05-01_notes", "not a directory\n");

	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_count(plan), 4);
	/* diesel's version 0 is ladder's 1 */
	assert_step(plan, 0, 1, "diesel_initial_setup", "-- This file was automatically created by Diesel\nSELECT 1;\n",
	            "SELECT 2;\n", 0, 0, tu_fmt("%s/up.sql", init), 1, tu_fmt("%s/down.sql", init), 1);
	assert_step(plan, 1, INT64_C(20190101000000), "create_posts", "CREATE TABLE posts (id INTEGER);\n",
	            "DROP TABLE posts;\n", 0, 0, tu_fmt("%s/up.sql", posts), 1, tu_fmt("%s/down.sql", posts), 1);
	assert_step(plan, 2, INT64_C(20190203040506), "index_posts", "CREATE INDEX posts_id ON posts (id);\n",
	            "DROP INDEX posts_id;\n", LADDER_NO_TRANSACTION, LADDER_NO_TRANSACTION, tu_fmt("%s/up.sql", index), 1,
	            tu_fmt("%s/down.sql", index), 1);
	assert_step(plan, 3, INT64_C(20190301000000), "no_down", "DELETE FROM posts;\n", NULL, 0, 0,
	            tu_fmt("%s/up.sql", irrev), 1, NULL, 0);
	ladder_plan_free(plan);

	/* a down without its up, an unknown setting, a clash with a flat file */
	dir = tu_tmpdir();
	assert_int_equal(mkdir(tu_in(dir, "2019-01-01-000000_x"), 0755), 0);
	tu_write(tu_in(dir, "2019-01-01-000000_x"), "down.sql", "DROP TABLE x;\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/2019-01-01-000000_x/down.sql: a down migration without its up", dir),
	                  NULL);
	dir = tu_tmpdir();
	assert_int_equal(mkdir(tu_in(dir, "2019-01-01-000000_x"), 0755), 0);
	tu_write(tu_in(dir, "2019-01-01-000000_x"), "up.sql", "CREATE TABLE x (a);\n");
	tu_write(tu_in(dir, "2019-01-01-000000_x"), "metadata.toml", "\nrun_in_transaction = no\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/2019-01-01-000000_x/metadata.toml:2: 'run_in_transaction = no'", dir),
	                  "known: run_in_transaction = true or false");
	tu_write(tu_in(dir, "2019-01-01-000000_x"), "metadata.toml", "run_in_transaction = true\n");
	tu_write(dir, "20190101000000_y.up.sql", "CREATE TABLE y (a);\n");
	assert_load_fails(dir, LADDER_EPLAN, "duplicate version 20190101000000:",
	                  tu_fmt("'%s/2019-01-01-000000_x/up.sql' and '%s/20190101000000_y.up.sql'", dir, dir));
}

/* ---- every bad input is refused, naming the file ---------------------- */

static void empty_ups_load_as_placeholders(void **state)
{
	const char *dir;
	ladder_plan *plan;
	(void)state;

	/* what `ladder new` writes, and what golang-migrate, dbmate and goose
	 * run as no-ops: the text stays, and is checksummed, as written */
	dir = dir_with("1_a.up.sql", "");
	tu_write(dir, "1_a.down.sql", "DROP TABLE a;\n");
	tu_write(dir, "2_b.up.sql", "  \n\t\n-- only a comment\n/* and a\n   block comment */\n\n");
	/* an unterminated block comment is no SQL either */
	tu_write(dir, "3_c.up.sql", "/* CREATE TABLE a (x);\n");
	tu_write(dir, "4_d.sql", "-- migrate:up\n-- nothing yet\n\n-- migrate:down\nDROP TABLE b;\n");
	tu_write(dir, "5_e.sql", "-- migrate:down\nDROP TABLE b;\n-- migrate:up\n");
	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_count(plan), 5);
	assert_step(plan, 0, 1, "a", "", "DROP TABLE a;\n", 0, 0, tu_in(dir, "1_a.up.sql"), 1, tu_in(dir, "1_a.down.sql"),
	            1);
	assert_step(plan, 1, 2, "b", "  \n\t\n-- only a comment\n/* and a\n   block comment */\n\n", NULL, 0, 0,
	            tu_in(dir, "2_b.up.sql"), 1, NULL, 0);
	assert_step(plan, 2, 3, "c", "/* CREATE TABLE a (x);\n", NULL, 0, 0, tu_in(dir, "3_c.up.sql"), 1, NULL, 0);
	assert_step(plan, 3, 4, "d", "-- nothing yet\n\n", "DROP TABLE b;\n", 0, 0, tu_in(dir, "4_d.sql"), 2, NULL, 5);
	assert_step(plan, 4, 5, "e", "", "DROP TABLE b;\n", 0, 0, tu_in(dir, "5_e.sql"), 4, NULL, 2);
	/* ladder_text_is_blank (public: the CLI warns with it) says which are */
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(ladder_text_is_blank(ladder_plan_at(plan, i)->up_sql), 1);
	assert_int_equal(ladder_text_is_blank(ladder_plan_at(plan, 0)->down_sql), 0);
	assert_int_equal(ladder_text_is_blank("-- a comment, then\nSELECT 1; -- a statement"), 0);
	ladder_plan_free(plan);

	/* an empty dbmate file has no markers at all */
	dir = dir_with("2_b.sql", "");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/2_b.sql: neither format", dir), NULL);
	/* a baseline of nothing is still a mistake */
	dir = dir_with("3_all.baseline.sql", "-- to do\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/3_all.baseline.sql:1: empty baseline", dir), NULL);
}

static void nul_bytes_are_refused_with_their_line(void **state)
{
	static const char up[] = "CREATE TABLE a (x);\n-- two\nINSERT INTO a VALUES ('\0');\n";
	static const char dbmate[] = "-- migrate:up\nCREATE TABLE b (x);\n-- migrate:down\n\0DROP TABLE b;\n";
	const char *dir;
	(void)state;

	dir = tu_tmpdir();
	tu_write(dir, "0_ignored.txt", "");
	tu_write(dir, "1_ok.up.sql", "CREATE TABLE ok (x);\n");
	tu_write_bytes(tu_in(dir, "2_a.up.sql"), up, sizeof(up) - 1);
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/2_a.up.sql:3: the file holds a NUL byte", dir), NULL);

	dir = dir_with("1_a.up.sql", "CREATE TABLE a (x);\n");
	tu_write_bytes(tu_in(dir, "1_a.down.sql"), "\0", 1);
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/1_a.down.sql:1: the file holds a NUL byte (byte 1)", dir), NULL);

	dir = tu_tmpdir();
	tu_write_bytes(tu_in(dir, "3_b.sql"), dbmate, sizeof(dbmate) - 1);
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/3_b.sql:4: the file holds a NUL byte", dir), NULL);

	/* a NUL after the last newline, at the very end */
	dir = tu_tmpdir();
	tu_write_bytes(tu_in(dir, "4_c.up.sql"), "SELECT 1;\n\0", 11);
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/4_c.up.sql:2: the file holds a NUL byte (byte 11)", dir), NULL);
}

static void invalid_utf8_is_refused_with_its_line(void **state)
{
	static const struct {
		const char *text;
		const char *where;
	} cases[] = {
		{"SELECT 1;\nSELECT 'caf\xe9';\n", ":2: invalid UTF-8 (byte 22 is 0xe9)"}, /* Latin-1 */
		{"\xff\xfe" "S\0E\0", ":1: invalid UTF-8 (byte 1 is 0xff)"},            /* UTF-16 */
		{"SELECT 1;\n\n\nSELECT '\xc0\xaf';\n", ":4: invalid UTF-8"},            /* overlong '/' */
		{"SELECT '\xed\xa0\x80';\n", ":1: invalid UTF-8"},                       /* a surrogate */
		{"SELECT '\xf4\x90\x80\x80';\n", ":1: invalid UTF-8"},                   /* past U+10FFFF */
		{"SELECT 1;\nSELECT '\xe2\x82", ":2: invalid UTF-8"},                    /* cut at the end */
		{"SELECT '\x80';\n", ":1: invalid UTF-8 (byte 9 is 0x80)"},              /* a lone continuation */
	};
	const char *dir;
	ladder_plan *plan;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dir = dir_with("1_a.up.sql", cases[i].text);
		assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/1_a.up.sql%s", dir, cases[i].where), NULL);
	}
	dir = dir_with("1_a.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT '\xe9t\xe9';\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/1_a.sql:4: invalid UTF-8", dir), NULL);

	/* real UTF-8, four-byte sequences included, loads */
	dir = dir_with("1_a.up.sql", "INSERT INTO t VALUES ('caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf');\n");
	plan = tu_plan(dir);
	assert_string_equal(ladder_plan_at(plan, 0)->up_sql,
	                    "INSERT INTO t VALUES ('caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf');\n");
	ladder_plan_free(plan);
}

static void files_over_64_mib_are_refused_and_64_mib_loads(void **state)
{
	const char *dir;
	const char *head = "CREATE TABLE big (x);\n";
	char *text;
	ladder_plan *plan;
	FILE *f;
	(void)state;

	/* sparse: refused from its size, before a byte is read */
	dir = tu_tmpdir();
	write_sparse(tu_in(dir, "1_big.up.sql"), head, (off_t)FILE_LIMIT + 1);
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/1_big.up.sql: file is too large (67108865 bytes", dir),
	                  "the limit is 64 MiB");
	dir = dir_with("1_a.up.sql", "CREATE TABLE a (x);\n");
	/* 4 GiB + 1: a size cut to 32 bits would read as 1 byte */
	write_sparse(tu_in(dir, "1_a.down.sql"), head, (off_t)4 * 1024 * MIB + 1);
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/1_a.down.sql: file is too large", dir), NULL);
	dir = tu_tmpdir();
	write_sparse(tu_in(dir, "2_big.sql"), "-- migrate:up\n", (off_t)FILE_LIMIT + 4096);
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/2_big.sql: file is too large", dir), NULL);

	/* exactly at the limit: real text (zeros would be NUL bytes) loads whole */
	text = malloc(FILE_LIMIT + 1);
	assert_non_null(text);
	memset(text, ' ', FILE_LIMIT);
	memcpy(text, head, strlen(head));
	for (size_t i = 4096; i < FILE_LIMIT; i += 4096)
		text[i] = '\n';
	text[FILE_LIMIT - 1] = '\n';
	text[FILE_LIMIT] = '\0';
	dir = tu_tmpdir();
	f = fopen(tu_in(dir, "1_big.up.sql"), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, FILE_LIMIT, f), FILE_LIMIT);
	assert_int_equal(fclose(f), 0);
	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_count(plan), 1);
	assert_int_equal(strlen(ladder_plan_at(plan, 0)->up_sql), FILE_LIMIT);
	assert_memory_equal(ladder_plan_at(plan, 0)->up_sql, text, FILE_LIMIT);
	ladder_plan_free(plan);
	free(text);
}

static void names_without_a_usable_version_are_refused(void **state)
{
	static const char *const unreadable[] = {
		"create_users.sql", "create_users.up.sql", "V1_init.sql", "1.up.sql", "1.sql", "1_.up.sql", "1_.sql",
		"1 init.up.sql", "_1_init.sql", "1_.down.sql", "1_.baseline.sql", "1_.check.sql",
	};
	const char *dir;
	ladder_plan *plan;
	(void)state;

	for (size_t i = 0; i < sizeof(unreadable) / sizeof(unreadable[0]); i++) {
		dir = dir_with(unreadable[i], "CREATE TABLE a (x);\n");
		assert_load_fails(dir, LADDER_EPLAN,
		                  tu_fmt("%s/%s: cannot read a version from the file name", dir, unreadable[i]),
		                  "expected VERSION_name.up.sql");
	}

	dir = dir_with("0_init.up.sql", "CREATE TABLE a (x);\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/0_init.up.sql: version 0 is not allowed", dir), NULL);
	dir = dir_with("0000_init.sql", "-- migrate:up\nCREATE TABLE a (x);\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/0000_init.sql: version 0 is not allowed", dir), NULL);

	dir = dir_with("9223372036854775808_a.up.sql", "CREATE TABLE a (x);\n");
	assert_load_fails(dir, LADDER_EPLAN,
	                  tu_fmt("%s/9223372036854775808_a.up.sql: version 9223372036854775808 is too large", dir),
	                  "the largest is 9223372036854775807");
	dir = dir_with("123456789012345678901234567890_a.sql", "-- migrate:up\nCREATE TABLE a (x);\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/123456789012345678901234567890_a.sql: version", dir),
	                  "is too large");

	/* the largest version there is loads, as does a dotted name */
	dir = dir_with("9223372036854775807_max.up.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "00000000000000000000000000001_first.up.sql", "CREATE TABLE f (x);\n");
	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_count(plan), 2);
	assert_int_equal(ladder_plan_at(plan, 0)->version, 1);
	assert_string_equal(ladder_plan_at(plan, 0)->name, "first");
	assert_int_equal(ladder_plan_at(plan, 1)->version, INT64_MAX);
	assert_string_equal(ladder_plan_at(plan, 1)->name, "max");
	assert_int_equal(ladder_plan_head(plan), INT64_MAX);
	ladder_plan_free(plan);
}

static void missing_directory_and_file_path_are_refused(void **state)
{
	const char *dir = tu_tmpdir();
	const char *file;
	ladder_plan *plan = NULL;
	(void)state;

	assert_load_fails(tu_in(dir, "nope"), LADDER_EIO, tu_fmt("migrations directory '%s/nope' does not exist", dir),
	                  NULL);
	assert_load_fails(tu_in(dir, "nope/deeper"), LADDER_EIO,
	                  tu_fmt("migrations directory '%s/nope/deeper' does not exist", dir), NULL);

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (x);\n");
	file = tu_in(dir, "1_a.up.sql");
	assert_load_fails(file, LADDER_EIO, tu_fmt("migrations directory '%s': %s", file, strerror(ENOTDIR)), NULL);

	tu_assert_error(ladder_plan_load_dir(&plan, NULL), LADDER_EINVALID, "NULL argument");
	tu_assert_error(ladder_plan_load_dir(NULL, dir), LADDER_EINVALID, "NULL argument");

	/* a trailing slash is fine, and messages do not double it */
	plan = tu_plan(tu_fmt("%s/", dir));
	assert_string_equal(ladder_plan_at(plan, 0)->source, file);
	ladder_plan_free(plan);
}

static void unreadable_files_and_directories_are_refused(void **state)
{
	char message[4096];
	const char *dir;
	int code;
	(void)state;

	/* nobody must reach the scratch directories at all */
	dir = dir_with("1_a.up.sql", "CREATE TABLE a (x);\n");
	assert_int_equal(chmod(dir, 0755), 0);
	code = load_as_nobody(dir, message, sizeof(message));
	if (code != 0)
		fail_msg("a readable directory did not load as nobody (is TMPDIR world-searchable?): %s", message);

	/* an unreadable up file, after a readable one */
	dir = dir_with("1_a.up.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (x);\n");
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(chmod(tu_in(dir, "2_b.up.sql"), 0), 0);
	code = load_as_nobody(dir, message, sizeof(message));
	tu_assert_message(code, LADDER_EIO, message, tu_fmt("%s/2_b.up.sql: cannot read: %s", dir, strerror(EACCES)));

	/* an unreadable down file */
	dir = dir_with("1_a.up.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "1_a.down.sql", "DROP TABLE a;\n");
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(chmod(tu_in(dir, "1_a.down.sql"), 0), 0);
	code = load_as_nobody(dir, message, sizeof(message));
	tu_assert_message(code, LADDER_EIO, message, tu_fmt("%s/1_a.down.sql: cannot read: %s", dir, strerror(EACCES)));

	/* an unreadable dbmate file and baseline */
	dir = dir_with("1_a.sql", "-- migrate:up\nCREATE TABLE a (x);\n");
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(chmod(tu_in(dir, "1_a.sql"), 0), 0);
	code = load_as_nobody(dir, message, sizeof(message));
	tu_assert_message(code, LADDER_EIO, message, tu_fmt("%s/1_a.sql: cannot read: %s", dir, strerror(EACCES)));
	dir = dir_with("1_a.baseline.sql", "CREATE TABLE a (x);\n");
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(chmod(tu_in(dir, "1_a.baseline.sql"), 0), 0);
	code = load_as_nobody(dir, message, sizeof(message));
	tu_assert_message(code, LADDER_EIO, message, tu_fmt("%s/1_a.baseline.sql: cannot read", dir));

	/* an unreadable directory */
	dir = dir_with("1_a.up.sql", "CREATE TABLE a (x);\n");
	assert_int_equal(chmod(dir, 0), 0);
	code = load_as_nobody(dir, message, sizeof(message));
	assert_int_equal(chmod(dir, 0700), 0); /* so the cleanup can remove it */
	tu_assert_message(code, LADDER_EIO, message, tu_fmt("migrations directory '%s': %s", dir, strerror(EACCES)));

	/* a directory nobody can list but not enter: the files cannot be stat'ed */
	dir = dir_with("1_a.up.sql", "CREATE TABLE a (x);\n");
	assert_int_equal(chmod(dir, 0644), 0);
	code = load_as_nobody(dir, message, sizeof(message));
	assert_int_equal(chmod(dir, 0700), 0);
	tu_assert_message(code, LADDER_EIO, message, tu_fmt("%s/1_a.up.sql: cannot read: %s", dir, strerror(EACCES)));
}

static void dangling_symlinks_and_special_files_are_refused(void **state)
{
	const char *dir;
	(void)state;

	dir = dir_with("1_a.up.sql", "CREATE TABLE a (x);\n");
	assert_int_equal(symlink("missing-target.sql", tu_in(dir, "2_b.up.sql")), 0);
	assert_load_fails(dir, LADDER_EIO, tu_fmt("%s/2_b.up.sql: cannot read: %s", dir, strerror(ENOENT)), NULL);

	dir = dir_with("1_a.up.sql", "CREATE TABLE a (x);\n");
	assert_int_equal(symlink("1_a.down.sql", tu_in(dir, "1_a.down.sql")), 0); /* a loop */
	assert_load_fails(dir, LADDER_EIO, tu_fmt("%s/1_a.down.sql: cannot read: %s", dir, strerror(ELOOP)), NULL);

	/* a FIFO would block a reader forever: refused without opening it */
	dir = dir_with("1_a.up.sql", "CREATE TABLE a (x);\n");
	assert_int_equal(mkfifo(tu_in(dir, "2_b.sql"), 0644), 0);
	assert_load_fails(dir, LADDER_EIO, tu_fmt("%s/2_b.sql: cannot read: not a regular file", dir), NULL);
}

static void duplicate_versions_are_refused_naming_both_files(void **state)
{
	static const struct {
		const char *first, *second;
		const char *version;
	} cases[] = {
		{"1_a.up.sql", "1_b.sql", "1"},          /* across formats */
		{"1_a.sql", "1_a.up.sql", "1"},          /* same name, both formats */
		{"1_a.down.sql", "1_a.sql", "1"},        /* a dbmate file and a down */
		{"01_b.up.sql", "1_a.up.sql", "1"},      /* same number, two spellings */
		{"005_y.sql", "5_x.sql", "5"},           /* two dbmate files */
		{"20240101_a.up.sql", "20240101_b.up.sql", "20240101"},
	};
	const char *dir;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dir = tu_tmpdir();
		tu_write(dir, "0100_other.up.sql", "CREATE TABLE other (x);\n");
		tu_write(dir, cases[i].first, "-- migrate:up\nCREATE TABLE a (x);\n");
		tu_write(dir, cases[i].second, "-- migrate:up\nCREATE TABLE b (x);\n");
		assert_load_fails(dir, LADDER_EPLAN, tu_fmt("duplicate version %s:", cases[i].version),
		                  tu_fmt("'%s/%s' and '%s/%s'", dir, cases[i].first, dir, cases[i].second));
	}

	/* two downs for one up */
	dir = tu_tmpdir();
	tu_write(dir, "2_a.up.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "2_a.down.sql", "DROP TABLE a;\n");
	tu_write(dir, "02_a.down.sql", "DROP TABLE a;\n");
	assert_load_fails(dir, LADDER_EPLAN, "duplicate version 2:",
	                  tu_fmt("'%s/02_a.down.sql' and '%s/2_a.down.sql'", dir, dir));
}

static void orphan_downs_are_refused(void **state)
{
	const char *dir;
	(void)state;

	dir = dir_with("1_a.up.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "2_b.down.sql", "DROP TABLE b;\n");
	assert_load_fails(dir, LADDER_EPLAN,
	                  tu_fmt("%s/2_b.down.sql: a down migration without its up (expected 2_b.up.sql beside it)", dir),
	                  NULL);

	/* a baseline at the same version is not the down's up */
	dir = dir_with("3_schema.baseline.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "3_schema.down.sql", "DROP TABLE a;\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/3_schema.down.sql: a down migration without its up", dir), NULL);

}

static void single_files_in_neither_format_are_refused(void **state)
{
	const char *dir;
	(void)state;

	dir = dir_with("4_x.sql", "CREATE TABLE x (id INTEGER);\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/4_x.sql: neither format", dir), "'-- migrate:up'");

	/* a down section alone is not a migration */
	dir = dir_with("4_x.sql", "-- migrate:down\nDROP TABLE x;\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/4_x.sql: neither format", dir), NULL);

	/* near misses are not markers */
	dir = dir_with("4_x.sql", "-- migrate:upgrade\nCREATE TABLE x (x);\n-- migrate: up\n-- MIGRATE:UP\n- migrate:up\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/4_x.sql: neither format", dir), NULL);

	/* SQL above the first marker belongs to neither section */
	dir = dir_with("4_x.sql", "-- hello\n\nCREATE TABLE early (x);\n-- migrate:up\nCREATE TABLE x (x);\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/4_x.sql:3: SQL before the first '-- migrate:' line", dir), NULL);

	/* one migration per file */
	dir = dir_with("4_x.sql", "-- migrate:up\nCREATE TABLE x (x);\n-- migrate:down\nDROP TABLE x;\n-- migrate:up\n"
	                          "CREATE TABLE y (x);\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/4_x.sql:5: a second '-- migrate:up' line", dir),
	                  "(the first is line 1)");
	dir = dir_with("4_x.sql", "-- migrate:down\nDROP TABLE x;\n-- migrate:up\nCREATE TABLE x (x);\n--migrate:down\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/4_x.sql:5: a second '-- migrate:down' line", dir),
	                  "(the first is line 1)");
}

static void the_first_problem_is_reported_the_same_way_every_time(void **state)
{
	const char *dir = tu_tmpdir();
	char first[4096];
	(void)state;

	/* several bad files: the one reported must not depend on readdir order */
	for (int i = 30; i >= 1; i--)
		tu_write(dir, tu_fmt("%d_bad.up.sql", i), "-- ladder:bogus\nSELECT 1;\n");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/1_bad.up.sql:1: unknown annotation", dir), NULL);
	snprintf(first, sizeof(first), "%s", ladder_error_last()->message);
	for (int i = 0; i < 3; i++) {
		assert_load_fails(dir, LADDER_EPLAN, "unknown annotation", NULL);
		assert_string_equal(ladder_error_last()->message, first);
	}
	/* names are checked before any file is read */
	tu_write(dir, "zz_no_version.sql", "");
	assert_load_fails(dir, LADDER_EPLAN, tu_fmt("%s/zz_no_version.sql: cannot read a version", dir), NULL);
}

/* The built-in SHA-256 against OpenSSL's, across the padding boundaries
 * (55, 56, 63, 64, 119, 120 bytes...) and with CRLF folded. */
static void checksums_match_an_independent_sha256(void **state)
{
	char text[300], hex[65];
	ladder_plan *plan;
	(void)state;

	assert_int_equal(ladder_plan_new(&plan), 0);
	for (int len = 0; len < 260; len++) {
		ladder_migration_def def = {0};
		for (int i = 0; i < len; i++)
			text[i] = i % 7 == 6 ? '\n' : i % 11 == 10 ? '\r' : (char)('a' + i % 26);
		text[len] = '\0';
		def.version = len + 1;
		def.name = "m";
		def.up_sql = text;
		assert_int_equal(ladder_plan_add(plan, &def), 0);
		sha256_folded(text, hex);
		assert_string_equal(ladder_plan_checksum(plan, (size_t)len), hex);
	}
	ladder_plan_free(plan);
}

/* -m one level too high: the plan would be empty and "up to date". */
static void migrations_only_in_a_subfolder_are_refused(void **state)
{
	const char *dir = tu_tmpdir();
	const char *sub = tu_keep(tu_in(dir, "migrations"));
	ladder_plan *plan;
	(void)state;

	assert_int_equal(mkdir(sub, 0755), 0);
	tu_write(sub, "1_t.up.sql", "CREATE TABLE t (x);\n");
	assert_load_fails(dir, LADDER_EPLAN,
	                  tu_fmt("migrations directory '%s' holds no migration, but its subfolder '%s' holds .sql files "
	                         "(1_t.up.sql)",
	                         dir, sub),
	                  "point -m at the folder");
	/* an empty directory is an empty plan, as for a new project */
	plan = tu_plan(tu_tmpdir());
	assert_int_equal(ladder_plan_count(plan), 0);
	ladder_plan_free(plan);
}

/* LADDER_LOAD_UPS_ONLY: what a no-op up needs and nothing more. The down
 * files are never opened (a broken one loads), the ups and their checksums
 * are the whole load's, a run applies from such a plan, and everything
 * that needs a down refuses it rather than see "no down". */
static void ups_only_loads_never_open_the_downs(void **state)
{
	const char *dir = tu_tmpdir();
	char path[4096], *c_source = NULL;
	ladder_plan *whole, *ups;
	ladder_db *db;
	ladder_result result;
	ladder_verify_report *report = NULL;
	ladder_step_info info;
	ladder_run_options down = LADDER_RUN_OPTIONS_INIT;
	static const char broken[] = "DROP TABLE a;\n\0oops";

	(void)state;
	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "1_a.down.sql", "DROP TABLE a;\n");
	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (x);\n");
	tu_write(dir, "2_b.down.sql", "DROP TABLE b;\n");
	whole = tu_plan(dir);
	assert_ptr_equal(ladder_plan_get(whole, 2), ladder_plan_at(whole, 1));
	assert_null(ladder_plan_get(whole, 3));
	assert_null(ladder_plan_get(NULL, 1));
	assert_int_equal(ladder_plan_load_dir_ext(&ups, dir, LADDER_LOAD_UPS_ONLY), 0);
	assert_int_equal(ladder_plan_count(ups), 2);
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(ladder_plan_at(ups, i)->up_sql, ladder_plan_at(whole, i)->up_sql);
		assert_string_equal(ladder_plan_checksum(ups, i), ladder_plan_checksum(whole, i));
		assert_null(ladder_plan_at(ups, i)->down_sql);
	}
	ladder_plan_free(ups);

	/* a down file the whole load refuses: the ups-only load never reads it */
	snprintf(path, sizeof(path), "%s/2_b.down.sql", dir);
	tu_write_bytes(path, broken, sizeof(broken) - 1);
	assert_load_fails(dir, LADDER_EPLAN, "2_b.down.sql", NULL);
	assert_int_equal(ladder_plan_load_dir_ext(&ups, dir, LADDER_LOAD_UPS_ONLY), 0);

	snprintf(path, sizeof(path), "%s/ups.db", tu_tmpdir());
	db = tu_open(path);
	assert_int_equal(ladder_migrate(&result, db, ups, NULL), 0);
	assert_int_equal(result.to_version, 2);
	assert_int_equal(ladder_migrate(&result, db, ups, NULL), 0);
	assert_true(result.fast_path); /* the same chain as the whole plan's */
	assert_int_equal(ladder_migrate(&result, db, whole, NULL), 0);
	assert_true(result.fast_path);

	/* what needs a down says why, never "no down" */
	down.steps = 1;
	tu_assert_error(ladder_down(&result, db, ups, &down), LADDER_EINVALID,
	                "ladder_down needs the plan's downs, and this plan was loaded without them");
	tu_assert_error(ladder_step_inspect(&info, db, ups, 2, LADDER_DOWN, 0), LADDER_EINVALID, "without them");
	assert_int_equal(ladder_step_inspect(&info, db, ups, 2, LADDER_UP, 0), 0);
	tu_assert_error(ladder_verify(&report, NULL, ups, NULL), LADDER_EINVALID, "ladder_verify needs the plan's downs");
	tu_assert_error(ladder_plan_render_c(&c_source, ups, "plan"), LADDER_EINVALID, "without them");
	assert_null(c_source);
	ladder_plan_free(ups);
	tu_assert_error(ladder_plan_load_dir_ext(&ups, dir, 0x80), LADDER_EINVALID, "unknown flags");
	assert_int_equal(ladder_plan_load_dir_ext(&ups, dir, LADDER_LOAD_UPS_ONLY), 0);
	ladder_plan_free(ups);
	ladder_db_close(db);
	ladder_plan_free(whole);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(migrations_only_in_a_subfolder_are_refused),
		cmocka_unit_test(golang_migrate_pairs_load_in_version_order),
		cmocka_unit_test(dbmate_files_load_with_their_sections_and_lines),
		cmocka_unit_test(both_formats_mix_and_crlf_files_keep_their_sections),
		cmocka_unit_test(annotations_land_on_their_side),
		cmocka_unit_test(unknown_annotations_and_options_are_refused_with_file_and_line),
		cmocka_unit_test(baseline_loads_with_its_floor),
		cmocka_unit_test(bad_baselines_are_refused),
		cmocka_unit_test(other_files_and_subdirectories_are_ignored),
		cmocka_unit_test(dotted_names_load_as_golang_migrate_reads_them),
		cmocka_unit_test(ups_and_downs_pair_by_version_whatever_their_names),
		cmocka_unit_test(morph_marks_a_file_nontransactional),
		cmocka_unit_test(goose_files_load_with_their_sections),
		cmocka_unit_test(sql_migrate_files_load_with_their_sections),
		cmocka_unit_test(bad_markers_of_other_tools_are_refused_with_file_and_line),
		cmocka_unit_test(irreversible_means_no_down),
		cmocka_unit_test(diesel_directories_load),
		cmocka_unit_test(empty_ups_load_as_placeholders),
		cmocka_unit_test(nul_bytes_are_refused_with_their_line),
		cmocka_unit_test(invalid_utf8_is_refused_with_its_line),
		cmocka_unit_test(files_over_64_mib_are_refused_and_64_mib_loads),
		cmocka_unit_test(names_without_a_usable_version_are_refused),
		cmocka_unit_test(missing_directory_and_file_path_are_refused),
		cmocka_unit_test(unreadable_files_and_directories_are_refused),
		cmocka_unit_test(dangling_symlinks_and_special_files_are_refused),
		cmocka_unit_test(duplicate_versions_are_refused_naming_both_files),
		cmocka_unit_test(orphan_downs_are_refused),
		cmocka_unit_test(single_files_in_neither_format_are_refused),
		cmocka_unit_test(the_first_problem_is_reported_the_same_way_every_time),
		cmocka_unit_test(checksums_match_an_independent_sha256),
		cmocka_unit_test(ups_only_loads_never_open_the_downs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
