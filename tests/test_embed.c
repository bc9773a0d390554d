/*
 * test_embed.c — ladder_plan_write_c and ladder_plan_render_c: the C they
 * give compiles with -Wall -Wextra -Werror, carries each migration's
 * precomputed checksum and every byte of SQL escaped right (a real program
 * linked against the library loads it, dumps it identically to the
 * directory plan and migrates a database the directory plan then finds
 * current), and it is deterministic and atomic. Callback plans, bad
 * symbols and unwritable paths are refused, leaving no file behind.
 */
#define _GNU_SOURCE
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* The dump is compiled here and, as text, into the program that links the
 * generated file: both sides print a plan the same way. */
#define TWICE(...)                                                                                             \
	__VA_ARGS__                                                                                                \
	static const char dump_source[] = #__VA_ARGS__;

TWICE(
static void dump_text(FILE *f, const char *label, const char *s) {
	fprintf(f, "%s=", label);
	if (s == NULL)
		fputs("NULL", f);
	else
		for (; *s; s++)
			fprintf(f, "%02x", (unsigned char)*s);
	fputc('\n', f);
}

static void dump_def(FILE *f, const ladder_migration_def *d, const char *checksum) {
	fprintf(f, "version=%lld up_flags=%u down_flags=%u up_line=%d down_line=%d callbacks=%d\n",
	        (long long)d->version, d->up_flags, d->down_flags, d->up_line, d->down_line,
	        d->up_fn != NULL || d->down_fn != NULL);
	dump_text(f, "name", d->name);
	dump_text(f, "up", d->up_sql);
	dump_text(f, "down", d->down_sql);
	dump_text(f, "check", d->check_sql);
	dump_text(f, "source", d->source);
	dump_text(f, "down_source", d->down_source);
	fprintf(f, "checksum=%s\n", checksum != NULL ? checksum : "NULL");
}

static void dump_plan(FILE *f, const ladder_plan *plan) {
	fprintf(f, "count=%zu head=%lld floor=%lld\n", ladder_plan_count(plan), (long long)ladder_plan_head(plan),
	        (long long)ladder_plan_floor(plan));
	for (size_t i = 0; i < ladder_plan_count(plan); i++)
		dump_def(f, ladder_plan_at(plan, i), ladder_plan_checksum(plan, i));
	if (ladder_plan_baseline(plan) != NULL) {
		fputs("baseline\n", f);
		dump_def(f, ladder_plan_baseline(plan), ladder_plan_baseline_checksum(plan));
	}
}
)

/* ---- helpers ------------------------------------------------------------ */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	long size;

	if (f == NULL)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	len = fread(buf, 1, (size_t)size, f);
	assert_int_equal(len, (size_t)size);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static char *dump_of(const ladder_plan *plan)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	dump_plan(f, plan);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* Entries of dir other than . and .. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Run a shell command; on failure show its output. */
static int run(const char *command, const char *log)
{
	int status;

	fflush(NULL);
	status = system(command);
	if (status == -1)
		fail_msg("cannot run: %s", command);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *output = slurp(log);
		print_message("$ %s\n%s\n", command, output);
		free(output);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	}
	return 0;
}

/* Compile a generated file as an application would, warnings as errors. */
static void assert_compiles(const char *c_path, const char *o_path)
{
	const char *work = tu_tmpdir();
	const char *log = tu_in(work, "cc.log");
	const char *command = tu_keep(tu_fmt("cc -std=c11 -Wall -Wextra -Werror -I'%s/include' -c '%s' -o '%s' >'%s' 2>&1",
	                                     LADDER_SOURCE_DIR, c_path, o_path, log));
	if (run(command, log) != 0)
		fail_msg("the generated %s does not compile", c_path);
}

/* Link object (the compiled generated file defining `symbol`) into a program
 * that loads the plan, writes its dump to dump_path and, given a database
 * path, migrates it. Returns the program's path. */
static const char *build_program(const char *object, const char *symbol)
{
	const char *work = tu_tmpdir();
	const char *main_c = tu_in(work, "main.c");
	const char *program = tu_in(work, "program");
	const char *log = tu_in(work, "link.log");
	char cli[4096];
	const char *libdir;
	const char *extra = "";
	const char *sanitize = "";
	struct stat st;
	FILE *f;

	snprintf(cli, sizeof(cli), "%s", LADDER_CLI);
	libdir = tu_keep(tu_fmt("%s/../lib", dirname(cli)));
	if (stat(LADDER_SOURCE_DIR "/drivers/postgres", &st) == 0 && S_ISDIR(st.st_mode))
		extra = " -lpq -lpg_query";
#if defined(__SANITIZE_ADDRESS__)
	sanitize = " -fsanitize=address,undefined";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	sanitize = " -fsanitize=address,undefined";
#endif
#endif

	f = fopen(main_c, "w");
	assert_non_null(f);
	fprintf(f,
	        "#include <ladder.h>\n#include <stdio.h>\n\n"
	        "extern const ladder_plan_def %s;\n\n%s\n\n"
	        "int main(int argc, char **argv)\n"
	        "{\n"
	        "\tladder_plan *plan = NULL;\n"
	        "\tladder_db *db = NULL;\n"
	        "\tladder_result result;\n"
	        "\tFILE *out;\n"
	        "\tif (argc < 2 || ladder_plan_from_def(&plan, &%s) < 0) {\n"
	        "\t\tfprintf(stderr, \"from_def: %%s\\n\", ladder_error_last()->message);\n"
	        "\t\treturn 1;\n"
	        "\t}\n"
	        "\tif ((out = fopen(argv[1], \"w\")) == NULL)\n"
	        "\t\treturn 2;\n"
	        "\tdump_plan(out, plan);\n"
	        "\tfclose(out);\n"
	        "\tif (argc > 2) {\n"
	        "\t\tif (ladder_db_open(&db, argv[2], NULL) < 0 || ladder_migrate(&result, db, plan, NULL) < 0) {\n"
	        "\t\t\tfprintf(stderr, \"migrate: %%s\\n\", ladder_error_last()->message);\n"
	        "\t\t\treturn 3;\n"
	        "\t\t}\n"
	        "\t\tprintf(\"%%lld %%zu\\n\", (long long)result.to_version, result.applied);\n"
	        "\t\tladder_db_close(db);\n"
	        "\t}\n"
	        "\tladder_plan_free(plan);\n"
	        "\treturn 0;\n"
	        "}\n",
	        symbol, dump_source, symbol);
	assert_int_equal(fclose(f), 0);
	if (run(tu_fmt("cc -std=c11 -I'%s/include' '%s' '%s' '%s/libladder.a' -lsqlite3 -lcrypto -lpthread%s%s -o '%s' "
	               ">'%s' 2>&1",
	               LADDER_SOURCE_DIR, main_c, object, libdir, extra, sanitize, program, log),
	        log) != 0)
		fail_msg("cannot link a program against %s", object);
	return program;
}

/* Write plan as C, compile it, link it and check the program loads the
 * very plan the test holds. Returns the program. */
static const char *round_trip(const ladder_plan *plan, const char *symbol, char **c_text)
{
	const char *work = tu_tmpdir();
	const char *c_path = tu_in(work, "plan.c");
	const char *o_path = tu_in(work, "plan.o");
	const char *dump_path = tu_in(work, "dump.txt");
	const char *program;
	char *expected, *got;

	assert_int_equal(ladder_plan_write_c(plan, symbol, c_path), 0);
	assert_compiles(c_path, o_path);
	program = build_program(o_path, symbol);
	if (run(tu_fmt("'%s' '%s' >'%s.out' 2>&1", program, dump_path, dump_path), tu_fmt("%s.out", dump_path)) != 0)
		fail_msg("the program linking %s failed", c_path);
	expected = dump_of(plan);
	got = slurp(dump_path);
	assert_string_equal(got, expected);
	free(expected);
	free(got);
	if (c_text != NULL)
		*c_text = slurp(c_path);
	return program;
}

static void assert_contains(const char *text, const char *needle)
{
	if (strstr(text, needle) == NULL)
		fail_msg("the generated C lacks:\n%s", needle);
}

/*
 * A migrations directory whose path and SQL try to break the generated C:
 * the path holds a comment end, a comment start, trigraphs and UTF-8; the
 * SQL quotes, backslashes, trigraphs, tabs, control bytes, CRLF and emoji.
 */
#define TRICKY_INSERT                                                                                          \
	"INSERT INTO t (s) VALUES ('say \"hi\" \\ \\n ?\?= ?\?/ ?\?\?! */ /* tab\tend caf\xc3\xa9 \xf0\x9f\x98\x80');\n"
#define TRICKY_VALUE "say \"hi\" \\ \\n ?\?= ?\?/ ?\?\?! */ /* tab\tend caf\xc3\xa9 \xf0\x9f\x98\x80"

static const char *tricky_dir(void)
{
	const char *base = tu_tmpdir();
	const char *dir;

	assert_int_equal(mkdir(tu_in(base, "we*"), 0755), 0);
	assert_int_equal(mkdir(tu_in(base, "we*/ird?\?"), 0755), 0);
	dir = tu_in(base, "we*/ird?\?/*migs caf\xc3\xa9 back\\slash");
	assert_int_equal(mkdir(dir, 0755), 0);
	tu_write(dir, "1_create_t.up.sql", "-- ladder:no-transaction\nCREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT);\n");
	tu_write(dir, "1_create_t.down.sql", "-- ladder:foreign-keys off\nDROP TABLE t;\n");
	tu_write(dir, "2_tricky.sql",
	         "-- migrate:up transaction:false\n"
	         "-- quotes, backslashes, trigraphs, tabs, a comment end\n" TRICKY_INSERT
	         "-- control bytes: <\x01"
	         "7> <\x7f"
	         "> lone\rcr, trailing backslash \\\n"
	         "-- migrate:down\n"
	         "DELETE FROM t;\n");
	tu_write(dir, "3_crlf.up.sql", "CREATE TABLE u (x);\r\nINSERT INTO u VALUES (1);\r\n");
	tu_write(dir, "4_no_newline.up.sql", "CREATE TABLE v (x)");
	return dir;
}

static const char *baseline_dir(void)
{
	const char *dir = tu_tmpdir();
	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "1_a.down.sql", "DROP TABLE a;\n");
	tu_write(dir, "2_b.sql", "-- migrate:up\nCREATE TABLE b (x);\n-- migrate:down\nDROP TABLE b;\n");
	tu_write(dir, "2_schema.baseline.sql",
	         "-- ladder:floor 1\n-- ladder:no-transaction\nCREATE TABLE a (x);\nCREATE TABLE b (x);\n");
	tu_write(dir, "3_c.up.sql", "CREATE TABLE c (x);\n");
	return dir;
}

static int noop_step(void *native, void *user)
{
	(void)native, (void)user;
	return 0;
}

typedef struct {
	const ladder_plan *plan;
	const char *out_path;
} write_c_args;

static int write_c(void *arg)
{
	const write_c_args *w = arg;
	return ladder_plan_write_c(w->plan, "app_plan", w->out_path);
}

/*
 * Call ladder_plan_write_c in a child that cannot write where root could:
 * as nobody when the suite runs as root, as ourselves otherwise. Returns the
 * code; the message comes back through a pipe.
 */
static int write_c_as_nobody(const ladder_plan *plan, const char *out_path, char *message, size_t size)
{
	write_c_args w = {plan, out_path};
	return tu_as_nobody(write_c, &w, "writing", message, size);
}

/* ---- the generated C ---------------------------------------------------- */

static void generated_c_compiles_with_warnings_as_errors(void **state)
{
	const char *work = tu_tmpdir();
	ladder_plan *plan;
	char *text;
	const char *comment_end;
	(void)state;

	/* both formats, annotations, hostile path and SQL */
	plan = tu_plan(tricky_dir());
	assert_int_equal(ladder_plan_write_c(plan, "app_migrations", tu_in(work, "tricky.c")), 0);
	ladder_plan_free(plan);
	assert_compiles(tu_in(work, "tricky.c"), tu_in(work, "tricky.o"));
	/* the header comment survives the path: its first end is its own */
	text = slurp(tu_in(work, "tricky.c"));
	assert_true(strncmp(text, "/*\n * Generated by `ladder embed` from the migrations in ", 56) == 0);
	comment_end = strstr(text, "*/");
	assert_non_null(comment_end);
	assert_true(comment_end > strstr(text, "ladder_plan_from_def(&plan, &app_migrations)"));
	assert_null(strstr(text, "??"));
	free(text);

	/* a baseline and a floor */
	plan = tu_plan(baseline_dir());
	assert_int_equal(ladder_plan_write_c(plan, "with_baseline", tu_in(work, "baseline.c")), 0);
	ladder_plan_free(plan);
	assert_compiles(tu_in(work, "baseline.c"), tu_in(work, "baseline.o"));

	/* an empty plan, and a plan that is only a baseline */
	plan = tu_plan(tu_tmpdir());
	assert_int_equal(ladder_plan_write_c(plan, "nothing", tu_in(work, "empty.c")), 0);
	ladder_plan_free(plan);
	assert_compiles(tu_in(work, "empty.c"), tu_in(work, "empty.o"));
	text = slurp(tu_in(work, "empty.c"));
	assert_contains(text, "\t.migrations = NULL,\n\t.count = 0,\n\t.baseline = NULL,\n\t.floor = 0LL,\n");
	free(text);
	{
		const char *dir = tu_tmpdir();
		tu_write(dir, "9_all.baseline.sql", "CREATE TABLE a (x);\n");
		plan = tu_plan(dir);
	}
	assert_int_equal(ladder_plan_write_c(plan, "only_baseline", tu_in(work, "only.c")), 0);
	ladder_plan_free(plan);
	assert_compiles(tu_in(work, "only.c"), tu_in(work, "only.o"));

	/* writing leaves nothing but the outputs */
	assert_int_equal(count_entries(work), 8);
}

static void generated_c_holds_checksums_flags_and_escaped_sql(void **state)
{
	const char *dir = tricky_dir();
	const char *work = tu_tmpdir();
	ladder_plan *plan = tu_plan(dir);
	char *text;
	(void)state;

	assert_int_equal(ladder_plan_write_c(plan, "app_migrations", tu_in(work, "plan.c")), 0);
	text = slurp(tu_in(work, "plan.c"));

	/* every precomputed checksum, each in its own entry */
	assert_int_equal(ladder_plan_count(plan), 4);
	for (size_t i = 0; i < ladder_plan_count(plan); i++) {
		const char *checksum = ladder_plan_checksum(plan, i);
		const char *at;
		assert_int_equal(strlen(checksum), 64);
		at = strstr(text, tu_fmt("\t\t.checksum = \"%s\",\n", checksum));
		if (at == NULL)
			fail_msg("checksum of migration %zu (%s) missing", i, checksum);
		/* after its own version, before the next one */
		assert_true(at > strstr(text, tu_fmt(".version = %lldLL,", (long long)ladder_plan_at(plan, i)->version)));
	}

	/* flags by name, on their side */
	assert_contains(text, "\t\t.version = 1LL,\n\t\t.name = \"create_t\",\n");
	assert_contains(text, "\t\t.up_flags = LADDER_NO_TRANSACTION,\n\t\t.down_flags = LADDER_FOREIGN_KEYS_OFF,\n");
	assert_contains(text, "\t\t.up_flags = LADDER_NO_TRANSACTION,\n\t\t.down_flags = 0,\n");

	/* one literal per SQL line, escaped */
	assert_contains(text, "\t\t.up_sql =\n"
	                      "\t\t\t\"-- ladder:no-transaction\\n\"\n"
	                      "\t\t\t\"CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT);\\n\",\n");
	assert_contains(text, "\t\t\t\"INSERT INTO t (s) VALUES ('say \\\"hi\\\" \\\\ \\\\n ?\\?= ?\\?/ ?\\?\\?! */ /* "
	                      "tab\\tend caf\\303\\251 \\360\\237\\230\\200');\\n\"\n");
	/* octal escapes take three digits, so the 7 after \001 stays a 7 */
	assert_contains(text, "\t\t\t\"-- control bytes: <\\0017> <\\177> lone\\rcr, trailing backslash \\\\\\n\",\n");
	assert_contains(text, "\t\t.up_sql =\n\t\t\t\"CREATE TABLE u (x);\\r\\n\"\n"
	                      "\t\t\t\"INSERT INTO u VALUES (1);\\r\\n\",\n");
	assert_contains(text, "\t\t.up_sql = \"CREATE TABLE v (x)\",\n\t\t.down_sql = NULL,\n");
	assert_contains(text, "\t\t.down_sql = \"DELETE FROM t;\\n\",\n");

	/* where each side came from, for error messages at run time */
	assert_contains(text, "\t\t.up_line = 2,\n\t\t.down_line = 6,\n\t\t.down_source = NULL,\n");
	assert_contains(text, "\t\t.down_source = \"");
	assert_contains(text, "1_create_t.down.sql\",\n");
	assert_contains(text, "/we*/ird?\\?/*migs caf\\303\\251 back\\\\slash/2_tricky.sql\",\n");

	assert_contains(text, "#include <ladder.h>\n");
	assert_contains(text, "extern const ladder_plan_def app_migrations;\n");
	assert_contains(text, "const ladder_plan_def app_migrations = {\n\t.migrations = app_migrations_migrations,\n"
	                      "\t.count = 4,\n\t.baseline = NULL,\n\t.floor = 0LL,\n};\n");
	free(text);
	ladder_plan_free(plan);
}

static void embedded_plan_round_trips_through_a_real_program(void **state)
{
	const char *dir = tricky_dir();
	const char *db_path = tu_in(tu_tmpdir(), "app.db");
	const char *out = tu_in(tu_tmpdir(), "out.txt");
	const char *program;
	ladder_plan *plan = tu_plan(dir);
	ladder_db *db;
	ladder_result result;
	char *printed;
	(void)state;

	/* the program's plan dumps exactly like the directory's */
	program = round_trip(plan, "app_migrations", NULL);

	/* and migrates a database: the SQL ran byte for byte */
	if (run(tu_fmt("'%s' /dev/null '%s' >'%s' 2>&1", program, db_path, out), out) != 0)
		fail_msg("the embedded plan did not migrate %s", db_path);
	printed = slurp(out);
	assert_string_equal(printed, "4 4\n");
	free(printed);
	tu_assert_text(db_path, "SELECT s FROM t", TRICKY_VALUE "\n");
	tu_assert_text(db_path, "SELECT x FROM u", "1\n");

	/* the directory plan finds that database current: same checksums, same chain */
	db = tu_open(db_path);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	assert_int_equal(result.applied, 0);
	assert_int_equal(result.to_version, 4);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void baseline_and_floor_round_trip(void **state)
{
	const char *dir = baseline_dir();
	const char *db_path = tu_in(tu_tmpdir(), "app.db");
	const char *out = tu_in(tu_tmpdir(), "out.txt");
	const char *program;
	ladder_plan *plan = tu_plan(dir);
	ladder_db *db;
	ladder_result result;
	char *text, *printed;
	(void)state;

	program = round_trip(plan, "with_baseline", &text);
	assert_contains(text, "static const ladder_migration_def with_baseline_baseline = {\n\t.version = 2LL,\n"
	                      "\t.name = \"schema\",\n");
	assert_contains(text, tu_fmt("\t.checksum = \"%s\",\n", ladder_plan_baseline_checksum(plan)));
	assert_contains(text, "\t.up_flags = LADDER_NO_TRANSACTION,\n");
	assert_contains(text, "\t.baseline = &with_baseline_baseline,\n\t.floor = 1LL,\n};\n");
	assert_contains(text, "3 migrations (versions 1 to 3), a baseline at version 2, floor 1.\n");
	free(text);

	/* an empty database takes the baseline, then 3 */
	if (run(tu_fmt("'%s' /dev/null '%s' >'%s' 2>&1", program, db_path, out), out) != 0)
		fail_msg("the embedded plan did not migrate %s", db_path);
	printed = slurp(out);
	assert_string_equal(printed, "3 2\n");
	free(printed);
	db = tu_open(db_path);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void every_character_round_trips(void **state)
{
	char sql[1024];
	char name[] = "odd \"name\" \\ ?\?/ */";
	char check[] = "SELECT 1 WHERE '?\?(' = '\\'";
	size_t len = 0;
	ladder_plan *plan = NULL;
	ladder_migration_def def = {0};
	(void)state;

	/* every ASCII byte but NUL, each after every kind of escape, then UTF-8 */
	len += (size_t)snprintf(sql + len, sizeof(sql) - len, "SELECT 1; --");
	for (int c = 1; c < 0x80; c++) {
		sql[len++] = (char)c;
		sql[len++] = (char)('0' + c % 10);
	}
	len += (size_t)snprintf(sql + len, sizeof(sql) - len,
	                        "\n\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbd\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"
	                        "????????\\\\\\\n\n\n\"\"\r\r\n");
	sql[len] = '\0';
	assert_true(len < sizeof(sql) - 1);

	assert_int_equal(ladder_plan_new(&plan), 0);
	def.version = 7;
	def.name = name;
	def.up_sql = sql;
	def.down_sql = "\n\x01\x02\x03\t\t\v\f\x1b[0m\n";
	def.check_sql = check;
	def.source = "we*/ird?\?/1_x.sql";
	def.up_line = 3;
	def.down_line = 40;
	def.down_source = "\x7f\x01";
	assert_int_equal(ladder_plan_add(plan, &def), 0);
	def.version = 8;
	def.name = "explicit_checksum";
	def.up_sql = "SELECT 2;";
	def.down_sql = NULL;
	def.check_sql = NULL;
	def.checksum = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	def.up_flags = LADDER_FOREIGN_KEYS_OFF;
	assert_int_equal(ladder_plan_add(plan, &def), 0);
	assert_int_equal(ladder_plan_set_floor(plan, 7), 0);

	round_trip(plan, "every_byte", NULL);
	ladder_plan_free(plan);
}

static void output_is_deterministic_atomic_and_rendered_in_memory(void **state)
{
	const char *work = tu_tmpdir();
	const char *path = tu_in(work, "plan.c");
	const char *dir = baseline_dir();
	ladder_plan *plan = tu_plan(dir);
	ladder_plan *other;
	char *first, *second, *rendered = NULL;
	struct stat st;
	(void)state;

	assert_int_equal(ladder_plan_write_c(plan, "app_plan", path), 0);
	first = slurp(path);
	sleep(1); /* a date or time in the output would differ now */
	/* from a second load of the same directory: no addresses, no order luck */
	other = tu_plan(dir);
	assert_int_equal(ladder_plan_write_c(other, "app_plan", path), 0);
	second = slurp(path);
	assert_string_equal(first, second);
	free(second);

	/* a new plan replaces the file whole */
	{
		const char *small_dir = tu_tmpdir();
		ladder_plan *small;
		tu_write(small_dir, "1_only.up.sql", "CREATE TABLE only_one (x);\n");
		small = tu_plan(small_dir);
		assert_int_equal(ladder_plan_write_c(small, "app_plan", path), 0);
		ladder_plan_free(small);
	}
	second = slurp(path);
	assert_non_null(strstr(second, "only_one"));
	assert_null(strstr(second, "CREATE TABLE c"));
	assert_null(strstr(second, "schema"));
	assert_int_equal(count_entries(work), 1);
	/* readable by the build, not writable by others */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 022, 0);
	free(second);

	/* the same bytes in memory, for a caller that prints them: the library
	 * itself never writes to standard output, so "-" and NULL name no file */
	assert_int_equal(ladder_plan_render_c(&rendered, other, "app_plan"), 0);
	assert_string_equal(rendered, first);
	ladder_free(rendered);
	tu_assert_error(ladder_plan_write_c(other, "app_plan", "-"), LADDER_EINVALID, "'-' is not a file name");
	tu_assert_error(ladder_plan_write_c(other, "app_plan", NULL), LADDER_EINVALID, "ladder_plan_render_c()");
	assert_int_equal(count_entries(work), 1);
	tu_assert_error(ladder_plan_render_c(&rendered, NULL, "app_plan"), LADDER_EINVALID, "plan is NULL");
	assert_null(rendered);
	free(first);
	ladder_plan_free(plan);
	ladder_plan_free(other);
}

/* ---- refusals ----------------------------------------------------------- */

static void plans_with_callbacks_are_refused(void **state)
{
	const char *work = tu_tmpdir();
	const char *path = tu_in(work, "plan.c");
	ladder_migration_def def = {0};
	ladder_plan *plan = NULL;
	(void)state;

	assert_int_equal(ladder_plan_new(&plan), 0);
	def.version = 1;
	def.name = "create";
	def.up_sql = "CREATE TABLE t (x);";
	assert_int_equal(ladder_plan_add(plan, &def), 0);
	def.version = 2;
	def.name = "fill";
	def.up_sql = NULL;
	def.up_fn = noop_step;
	assert_int_equal(ladder_plan_add(plan, &def), 0);
	tu_assert_error(ladder_plan_write_c(plan, "app_plan", path), LADDER_EUNSUPPORTED,
	                "migration 2 (fill) has a C callback: only SQL migrations can be embedded");
	assert_int_equal(count_entries(work), 0);
	ladder_plan_free(plan);

	/* a down callback alone is enough */
	assert_int_equal(ladder_plan_new(&plan), 0);
	def.version = 3;
	def.name = "undo_in_c";
	def.up_sql = "CREATE TABLE u (x);";
	def.up_fn = NULL;
	def.down_fn = noop_step;
	assert_int_equal(ladder_plan_add(plan, &def), 0);
	tu_assert_error(ladder_plan_write_c(plan, "app_plan", "-"), LADDER_EUNSUPPORTED, "migration 3 (undo_in_c)");
	ladder_plan_free(plan);

	/* and so is a baseline in C */
	assert_int_equal(ladder_plan_new(&plan), 0);
	def.version = 5;
	def.name = "seed";
	def.up_sql = NULL;
	def.up_fn = noop_step;
	def.down_fn = NULL;
	assert_int_equal(ladder_plan_set_baseline(plan, &def), 0);
	tu_assert_error(ladder_plan_write_c(plan, "app_plan", path), LADDER_EUNSUPPORTED,
	                "baseline 5 (seed) has a C callback");
	assert_int_equal(count_entries(work), 0);
	ladder_plan_free(plan);

	tu_assert_error(ladder_plan_write_c(NULL, "app_plan", path), LADDER_EINVALID, "plan is NULL");
	assert_int_equal(count_entries(work), 0);
}

static void assert_symbols_refused(const ladder_plan *plan, const char *work, const char *const *symbols,
                                   size_t count, const char *why)
{
	for (size_t i = 0; i < count; i++)
		tu_assert_error(ladder_plan_write_c(plan, symbols[i], tu_in(work, "plan.c")), LADDER_EINVALID,
		                tu_fmt("symbol '%s' %s", symbols[i], why));
	assert_int_equal(count_entries(work), 0);
}

static void symbols_that_are_not_usable_c_names_are_refused(void **state)
{
	static const char *const not_identifiers[] = {
		"", "1plan", "my-plan", "my plan", "plan.c", "plan;", "caf\xc3\xa9", "$plan", "plan\n",
	};
	static const char *const keywords[] = {"int", "static", "return", "struct", "bool", "typeof", "asm"};
	static const char *const reserved[] = {"_Bool", "_Static_assert", "__func__", "__plan", "_Plan"};
	const char *work = tu_tmpdir();
	ladder_plan *plan = tu_plan(baseline_dir());
	(void)state;

	tu_assert_error(ladder_plan_write_c(plan, NULL, tu_in(work, "plan.c")), LADDER_EINVALID,
	                "symbol '(null)' is not a C identifier");
	assert_symbols_refused(plan, work, not_identifiers, sizeof(not_identifiers) / sizeof(not_identifiers[0]),
	                       "is not a C identifier");
	assert_symbols_refused(plan, work, keywords, sizeof(keywords) / sizeof(keywords[0]), "is a C keyword");
	assert_symbols_refused(plan, work, reserved, sizeof(reserved) / sizeof(reserved[0]), "is reserved for the C");
	assert_int_equal(count_entries(work), 0);

	/* the ones that are usable compile, the CLI's default among them */
	{
		static const char *const good[] = {"_x", "Plan2", "ladder_migrations", "a", "_plan_", "Ladder_plan",
		                                   "integer", "INTERVAL"};
		for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			const char *c_path = tu_in(work, tu_fmt("good%zu.c", i));
			if (ladder_plan_write_c(plan, good[i], c_path) < 0)
				fail_msg("symbol '%s' refused: %s", good[i], ladder_error_last()->message);
			assert_compiles(c_path, tu_in(work, tu_fmt("good%zu.o", i)));
		}
	}
	ladder_plan_free(plan);
}

static void symbols_the_header_declares_are_refused(void **state)
{
	/* valid identifiers that <ladder.h> or what it includes declares: the
	 * generated file would not compile */
	static const char *const library[] = {
		"ladder_plan", "ladder_plan_def", "ladder_migration_def", "ladder_migrate", "ladder_future_api",
		"LADDER_NO_TRANSACTION", "LADDER_EPLAN",
	};
	static const char *const standard[] = {"NULL", "size_t", "offsetof", "SIZE_MAX"};
	static const char *const stdint[] = {"int64_t", "uint_least8_t", "intptr_t", "INT64_MAX", "UINT32_C"};
	const char *work = tu_tmpdir();
	ladder_plan *plan = tu_plan(baseline_dir());
	char *header, *p;
	int checked = 0;
	(void)state;

	assert_symbols_refused(plan, work, library, sizeof(library) / sizeof(library[0]), "is in libladder's namespace");
	assert_symbols_refused(plan, work, standard, sizeof(standard) / sizeof(standard[0]), "is declared by <stddef.h>");
	assert_symbols_refused(plan, work, stdint, sizeof(stdint) / sizeof(stdint[0]), "is reserved for <stdint.h>");

	/* every name ladder.h declares, today and as it grows, is refused; and it
	 * never declares the CLI's default */
	header = slurp(LADDER_SOURCE_DIR "/include/ladder.h");
	for (p = header; *p;) {
		char name[256];
		size_t n = 0;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_')) {
			p++;
			continue;
		}
		while (((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_')) {
			if (n + 1 < sizeof(name))
				name[n++] = *p;
			p++;
		}
		name[n] = '\0';
		assert_string_not_equal(name, "ladder_migrations");
		if (strncmp(name, "ladder_", 7) == 0 || strncmp(name, "LADDER_", 7) == 0) {
			const char *one[] = {name};
			assert_symbols_refused(plan, work, one, 1, "is in libladder's namespace");
			checked++;
		}
	}
	assert_true(checked > 50);
	free(header);
	ladder_plan_free(plan);
}

static void unwritable_output_paths_are_refused_leaving_no_file(void **state)
{
	const char *work = tu_tmpdir();
	const char *missing = tu_in(work, "no/such/dir/plan.c");
	const char *as_dir = tu_in(work, "plan.c");
	ladder_plan *plan = tu_plan(baseline_dir());
	char message[4096];
	char *kept;
	int code;
	(void)state;

	/* a directory that does not exist */
	tu_assert_error(ladder_plan_write_c(plan, "app_plan", missing), LADDER_EIO,
	                tu_fmt("cannot write '%s'", missing));
	tu_assert_error(LADDER_EIO, LADDER_EIO, strerror(ENOENT));
	assert_int_equal(count_entries(work), 0);

	/* the path is a directory: refused, and the temporary file is gone */
	assert_int_equal(mkdir(as_dir, 0755), 0);
	tu_assert_error(ladder_plan_write_c(plan, "app_plan", as_dir), LADDER_EIO,
	                tu_fmt("refusing to write '%s': it is not a regular file", as_dir));
	assert_int_equal(count_entries(work), 1);
	assert_int_equal(count_entries(as_dir), 0);

	/* a directory we may not write to: nothing created, the old file kept */
	{
		const char *ro = tu_tmpdir();
		const char *target = tu_in(ro, "plan.c");
		tu_write(ro, "plan.c", "/* the previous build's plan */\n");
		assert_int_equal(chmod(target, 0666), 0);
		assert_int_equal(chmod(ro, 0555), 0);
		code = write_c_as_nobody(plan, target, message, sizeof(message));
		assert_int_equal(chmod(ro, 0700), 0);
		if (code != LADDER_EIO || strstr(message, tu_fmt("cannot write '%s'", target)) == NULL ||
		    strstr(message, strerror(EACCES)) == NULL)
			fail_msg("expected an EIO naming %s (%s), got %d: %s", target, strerror(EACCES), code, message);
		assert_int_equal(count_entries(ro), 1);
		kept = slurp(target);
		assert_string_equal(kept, "/* the previous build's plan */\n");
		free(kept);
	}

	/* an empty path names no file */
	{
		char cwd[4096];
		const char *here = tu_tmpdir();
		assert_non_null(getcwd(cwd, sizeof(cwd)));
		assert_int_equal(chdir(here), 0);
		code = ladder_plan_write_c(plan, "app_plan", "");
		assert_int_equal(chdir(cwd), 0);
		tu_assert_error(code, LADDER_EINVALID, "cannot write '': no output file name");
		assert_int_equal(count_entries(here), 0);
	}
	ladder_plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(generated_c_compiles_with_warnings_as_errors),
		cmocka_unit_test(generated_c_holds_checksums_flags_and_escaped_sql),
		cmocka_unit_test(embedded_plan_round_trips_through_a_real_program),
		cmocka_unit_test(baseline_and_floor_round_trip),
		cmocka_unit_test(every_character_round_trips),
		cmocka_unit_test(output_is_deterministic_atomic_and_rendered_in_memory),
		cmocka_unit_test(plans_with_callbacks_are_refused),
		cmocka_unit_test(symbols_that_are_not_usable_c_names_are_refused),
		cmocka_unit_test(symbols_the_header_declares_are_refused),
		cmocka_unit_test(unwritable_output_paths_are_refused_leaving_no_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
