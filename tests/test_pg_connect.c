/*
 * test_pg_connect.c — connecting to PostgreSQL: URLs, key=value strings and
 * Unix sockets as libpq reads them, one clear line per failure (wrong port,
 * bad password, unknown database, invalid string) with the password never
 * shown, the display name, and wrapping an application's PGconn * (left
 * open, its settings put back, no statements left behind).
 */
#define _GNU_SOURCE
#include "pgutil.h"

#include <ladder/postgres.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WRONG_PASSWORD "Wr0ng-Secret-77"

/* Open must fail with code; the message is one line holding needle and
 * never the secret. Returns the message. */
static const char *refused(const char *url, int code, const char *needle, const char *secret)
{
	ladder_db *db = NULL;
	const char *message;

	tu_assert_error(ladder_db_open(&db, url, NULL), code, needle);
	assert_null(db);
	message = ladder_error_last()->message;
	if (strchr(message, '\n') != NULL)
		fail_msg("the message is more than one line: %s", message);
	if (secret != NULL && strstr(message, secret) != NULL)
		fail_msg("the message shows the password: %s", message);
	return tu_keep(message);
}

static void wrong_port(void **state)
{
	(void)state;
	refused("postgres://postgres@127.0.0.1:1/postgres", LADDER_EDB,
	        "cannot connect to postgres://postgres@127.0.0.1:1/postgres: connection to server at \"127.0.0.1\", "
	        "port 1 failed: Connection refused",
	        NULL);
}

static void bad_password_is_masked(void **state)
{
	const char *expect = tu_keep(tu_fmt("cannot connect to postgres://%s@127.0.0.1:%d/postgres: ", PGU_PW_USER,
	                                    pgu_port()));
	const char *m;
	(void)state;

	m = refused(pgu_url(PGU_PW_USER, WRONG_PASSWORD, "postgres"), LADDER_EDB, expect, WRONG_PASSWORD);
	assert_non_null(strstr(m, "password authentication failed for user \"ladder_pw\""));
	m = refused(tu_fmt("host=127.0.0.1 port=%d user=%s password=%s dbname=postgres", pgu_port(), PGU_PW_USER,
	                   WRONG_PASSWORD),
	            LADDER_EDB, expect, WRONG_PASSWORD);
	assert_non_null(strstr(m, "password authentication failed"));
	/* a password libpq found elsewhere is masked too */
	setenv("PGPASSWORD", "Env-Secret-99", 1);
	refused(pgu_url(PGU_PW_USER, NULL, "postgres"), LADDER_EDB, "password authentication failed", "Env-Secret-99");
	unsetenv("PGPASSWORD");
	/* no password at all */
	refused(pgu_url(PGU_PW_USER, NULL, "postgres"), LADDER_EDB, expect, NULL);
}

static void unknown_database(void **state)
{
	(void)state;
	refused(pgu_url("postgres", NULL, "no_such_db_here"), LADDER_EDB, "database \"no_such_db_here\" does not exist",
	        NULL);
}

static void invalid_connection_string(void **state)
{
	(void)state;
	refused("host=127.0.0.1 bogus=1", LADDER_EINVALID,
	        "invalid connection string: it names an option libpq does not know (nothing of the string is repeated",
	        "bogus");
	refused(tu_fmt("postgres://%s:%s@127.0.0.1:%d/postgres?bogus=1", PGU_PW_USER, WRONG_PASSWORD, pgu_port()),
	        LADDER_EINVALID, "its query names a parameter libpq does not know", WRONG_PASSWORD);
}

/* The CLI's stdout and stderr together, run on a plan of one step with
 * DATABASE_URL set to env_url (or unset) and args after -m. */
/* `ladder status` with url in DATABASE_URL (from_env) or in -d, run
 * without a shell (the URL may hold quotes); stdout and stderr together. */
static char *run_cli(const char *url, int from_env)
{
	const char *dir = tu_tmpdir();
	char buf[8192];
	size_t len = 0;
	ssize_t got;
	int fds[2], status;
	pid_t pid;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE cli_a (id integer);\n");
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *argv[] = {(char *)LADDER_CLI, "--no-dotenv", "-m", (char *)dir, "-d", (char *)url, "status", NULL};
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		if (from_env) {
			setenv("DATABASE_URL", url, 1);
			argv[4] = "status";
			argv[5] = NULL;
		}
		execv(LADDER_CLI, argv);
		_exit(127);
	}
	close(fds[1]);
	while (len < sizeof(buf) - 1 && (got = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)got;
	buf[len] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	return strdup(buf);
}

/* Connection strings an operator can get wrong, each holding a password:
 * whatever fails, the message names none of it. */
static void hostile_connection_strings(void **state)
{
	static const struct {
		const char *url;     /* %d: the server's port */
		const char *secret;  /* must appear nowhere */
		const char *needle;  /* what the message says instead */
	} cases[] = {
		{"postgres://app:S3cretA@[::1/shop", "S3cretA", "IPv6 host lacks its closing ']'"},
		{"postgres://app:S3cr%%zzetB@127.0.0.1:%d/postgres", "S3cr", "not followed by two hex digits"},
		{"postgres://app@127.0.0.1:%d/postgres?password=S3cr%%zzC", "S3cr", "not followed by two hex digits"},
		{"postgres://app:S3c@retD@127.0.0.1:%d/postgres", "retD", "not percent-encoded (write %40 and %2F)"},
		{"postgres://app:S3c/retE@127.0.0.1:%d/postgres", "retE", "not percent-encoded"},
		{"postgresql://app:pa@ss@wXrdZ@127.0.0.1:%d/postgres", "wXrdZ", "not percent-encoded"},
		{"host=127.0.0.1 port=%d password=S3cretF dbname", "S3cretF", "a word has no '='"},
		{"host=127.0.0.1 port=%d password='S3cretG", "S3cretG", "a quoted value is not closed"},
		{"host=127.0.0.1 port=%d S3cretH=1", "S3cretH", "names an option libpq does not know"},
		{"postgres://app:S3cretI@127.0.0.1:%d/postgres?S3cretI=1", "S3cretI", "names a parameter"},
		{"postgres://app:S3cretJ@127.0.0.1:%d/postgres?sslmode=S3cretJ", "S3cretJ", "cannot connect"},
		{"postgres://ladder_pw:S3cretK@127.0.0.1:%d/postgres", "S3cretK", "password authentication failed"},
		{"host=127.0.0.1 port=%d user=ladder_pw password=S3cretL dbname=postgres", "S3cretL",
		 "password authentication failed"},
		{"postgres://ladder_pw:S3cretM@127.0.0.1:%d/no_such_db", "S3cretM", "cannot connect"},
		{"postgres://app:S3cretN@127.0.0.1:1/postgres", "S3cretN", "Connection refused"},
		{"postgres://S3cretO:S3cretO@127.0.0.1:1/postgres", "S3cretO", "cannot connect to postgres://****@127.0.0.1:1/"},
		{"postgres://e:e@127.0.0.1:1/postgres", NULL, "cannot connect to postgres://****@127.0.0.1:1/postgres: "},
		{"postgres://app:%%53%%33cretP@127.0.0.1:%d/postgres", "S3cretP", "cannot connect"},
		{"postgres://app:S3cretQ@127.0.0.1:%d/postgres?host=/nonexistent", "S3cretQ", "cannot connect"},
		{"postgres://app:S3c@retR@127.0.0.1:%d/postgres", "retR", "not percent-encoded"},
		{"host=127.0.0.1 port=%d user=ladder_pw password='S3c retS' dbname=postgres", "retS",
		 "password authentication failed"},
		{"postgres://ladder_pw@127.0.0.1:%d/postgres?password=S3cretT", "S3cretT", "password authentication failed"},
		{"postgres://ladder_pw:S3c%%40retU@127.0.0.1:%d/postgres", "retU", "password authentication failed"},
		{"postgres://ladder_pw:S3c%%2FretV@127.0.0.1:%d/postgres", "retV", "password authentication failed"},
		{"host=127.0.0.1 port=%d user=ladder_pw password='S3c\\'retW' dbname=postgres", "retW",
		 "password authentication failed"},
		{"password=S3cretX host=127.0.0.1 port=%d user=ladder_pw dbname=postgres", "S3cretX",
		 "password authentication failed"},
		{"host=127.0.0.1 port=%d user=postgres password=S3cretY dbname=no_such_db", "S3cretY", "no_such_db"},
		{"host=127.0.0.1 port=1 password=S3cretZ", "S3cretZ", "Connection refused"},
		{"postgres://app:S3cretAA@127.0.0.1:1,127.0.0.1:2/postgres", "S3cretAA", "cannot connect"},
		{"postgress://app:S3cretAB@127.0.0.1:%d/postgres", "S3cretAB", "no driver for URLs of scheme 'postgress:'"},
		{"oracle://app:S3cretAC@127.0.0.1:%d/postgres", "S3cretAC", "no driver for URLs of scheme 'oracle:'"},
		{"postgres://app:S3cretAD@127.0.0.1:%d/postgres?sslmode=require", "S3cretAD", "cannot connect"},
		{"postgres://app:S3cretAE@127.0.0.1:99999/postgres", "S3cretAE", "cannot connect"},
		{"postgres://app:S3cretAF@127.0.0.1:%d/postgres?connect_timeout=S3cretAF", "S3cretAF", "cannot connect"},
		{"postgres://app:S3cr%%ZZetAG@127.0.0.1:%d/postgres", "S3cr", "not followed by two hex digits"},
		{"postgres://ladder_pw:S3cretAH@/postgres?host=127.0.0.1&port=%d", "S3cretAH", "password authentication failed"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ladder_db *db = NULL;
		const char *url = tu_fmt(cases[i].url, pgu_port());
		const char *message;

		assert_true(ladder_db_open(&db, url, NULL) < 0);
		assert_null(db);
		message = ladder_error_last()->message;
		if (cases[i].secret != NULL && strstr(message, cases[i].secret) != NULL)
			fail_msg("case %zu shows the password: %s", i, message);
		if (strstr(message, cases[i].needle) == NULL)
			fail_msg("case %zu: the message lacks \"%s\": %s", i, cases[i].needle, message);
		if (strchr(message, '\n') != NULL)
			fail_msg("case %zu: the message is more than one line: %s", i, message);
		/* and through the CLI, from -d and from DATABASE_URL, on stdout and stderr */
		for (int from_env = 0; from_env < 2; from_env++) {
			char *out = run_cli(url, from_env);
			if (cases[i].secret != NULL && strstr(out, cases[i].secret) != NULL)
				fail_msg("case %zu (%s): the CLI shows the password: %s", i, from_env ? "DATABASE_URL" : "-d", out);
			if (strstr(out, "ladder: error: ") != out || strstr(out, cases[i].needle) == NULL)
				fail_msg("case %zu (%s): the CLI does not say \"%s\": %s", i, from_env ? "DATABASE_URL" : "-d",
				         cases[i].needle, out);
			free(out);
		}
	}
}

static const char *application_name(ladder_db *db)
{
	PGresult *res = PQexec(ladder_db_native(db), "SHOW application_name");
	const char *name;

	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	name = tu_keep(PQgetvalue(res, 0, 0));
	PQclear(res);
	return name;
}

static void display_never_shows_the_password(void **state)
{
	const char *dir = tu_tmpdir();
	ladder_db *db = pgu_open(pgu_url(PGU_PW_USER, PGU_PW_PASSWORD, "postgres"), NULL, NULL);
	ladder_status *status = NULL;
	ladder_plan *plan;
	(void)state;

	assert_string_equal(ladder_db_display_name(db),
	                    tu_fmt("postgres://%s@127.0.0.1:%d/postgres", PGU_PW_USER, pgu_port()));
	/* named in pg_stat_activity, for a migrator waiting on its lock, unless
	 * the URL names itself */
	assert_string_equal(application_name(db), "ladder");
	{
		ladder_db *named = pgu_open(tu_fmt("%s?application_name=shop-api", pgu_url(PGU_PW_USER, PGU_PW_PASSWORD,
		                                                                            "postgres")),
		                            NULL, NULL);
		assert_string_equal(application_name(named), "shop-api");
		ladder_db_close(named);
	}
	/* a run that fails (ladder_pw may not create in public) shows no password */
	tu_write(dir, "1_a.up.sql", "CREATE TABLE pw_a (id integer);\n");
	plan = tu_plan(dir);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EDB, "42501");
	assert_null(strstr(ladder_error_last()->message, PGU_PW_PASSWORD));
	assert_int_equal(ladder_status_get(&status, db, plan), 0);
	ladder_status_free(status);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

/* The data folder server.sh wrote beside the URL file: its socket lives there. */
static const char *socket_dir(void)
{
	char *file = strdup(getenv("LADDER_PG_URL_FILE"));
	char line[512] = "";
	FILE *f;

	assert_non_null(file);
	f = fopen(tu_fmt("%s/datadir", dirname(file)), "r");
	free(file);
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	return tu_keep(line);
}

static void key_value_and_socket_forms(void **state)
{
	ladder_db *db = NULL;
	const char *sock = socket_dir();
	(void)state;

	db = pgu_open(tu_fmt("host=127.0.0.1 port=%d user=postgres dbname=postgres", pgu_port()), NULL, NULL);
	assert_string_equal(ladder_db_display_name(db), tu_fmt("postgres://postgres@127.0.0.1:%d/postgres", pgu_port()));
	ladder_db_close(db);

	db = pgu_open(tu_fmt("postgresql:///postgres?host=%s&port=%d&user=postgres", sock, pgu_port()), NULL, NULL);
	assert_string_equal(ladder_db_display_name(db),
	                    tu_fmt("postgres://postgres@:%d/postgres?host=%s", pgu_port(), sock));
	ladder_db_close(db);

	/* and the display name is itself a URL libpq reads back */
	db = pgu_open(tu_fmt("postgres://postgres@:%d/postgres?host=%s", pgu_port(), sock), NULL, NULL);
	ladder_db_close(db);
}

static void user_version_store_is_sqlite_only(void **state)
{
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_db *db = NULL;
	(void)state;

	opts.store = "user_version";
	tu_assert_error(ladder_db_open(&db, pgu_server_url(), &opts), LADDER_EUNSUPPORTED, "SQLite-only");
	assert_null(db);
}

static int callback_sees_the_application_handle(void *native, void *user)
{
	PGresult *res;
	int error = 0;

	if (native != user)
		return ladder_error_set(LADDER_EMIGRATION, "the callback got another handle");
	res = PQexec(native, "INSERT INTO w VALUES (42)");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		error = ladder_error_set(LADDER_EMIGRATION, "%s", PQerrorMessage(native));
	PQclear(res);
	return error;
}

static void wrapped_connection(void **state)
{
	ladder_migration_def steps[] = {
		{.version = 1, .name = "w", .up_sql = "CREATE TABLE w (id integer);", .down_sql = "DROP TABLE w;"},
		{.version = 2, .name = "fill", .up_fn = callback_sees_the_application_handle},
	};
	const ladder_plan_def def = {steps, 2, NULL, 0};
	const char *url = pgu_new_db("wrap", NULL);
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	PGconn *raw = pgu_connect(url);
	ladder_plan *plan = NULL;
	ladder_db *db = NULL;
	ladder_result result;
	char *settings;
	(void)state;

	steps[1].user = raw;
	assert_int_equal(ladder_plan_from_def(&plan, &def), 0);
	opts.schema = "app schema";
	opts.ddl_lock_timeout_ms = 250;
	assert_int_equal(ladder_postgres_wrap(&db, raw, &opts), 0);
	assert_ptr_equal(ladder_db_native(db), raw);
	assert_string_equal(ladder_db_engine(db), "postgres");
	assert_string_equal(ladder_db_display_name(db), tu_fmt("postgres://postgres@127.0.0.1:%d/%s", pgu_port(),
	                                                       strrchr(url, '/') + 1));
	pgu_exec(raw, "BEGIN");
	tu_assert_error(tu_up(db, plan, 0), LADDER_EINVALID, "open transaction");
	pgu_exec(raw, "COMMIT");
	pgu_exec(raw, "SET lock_timeout = '7s'");
	if (ladder_migrate(&result, db, plan, NULL) < 0)
		fail_msg("%s", ladder_error_last()->message);
	assert_int_equal(result.applied, 2);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	ladder_db_close(db);

	/* the migrations ran in the schema; the application's session is as it was */
	assert_int_equal(pgu_conn_int(raw, "SELECT id FROM \"app schema\".w"), 42);
	assert_int_equal(pgu_conn_int(raw, "SELECT count(*) FROM pg_prepared_statements"), 0);
	assert_int_equal(pgu_conn_int(raw, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), 0);
	{
		PGresult *res = PQexec(raw, "SELECT current_setting('search_path') || ' / ' || current_setting('lock_timeout')");
		settings = strdup(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	assert_string_equal(settings, "\"$user\", public / 7s");
	free(settings);

	/* a broken handle is refused, and a refused wrap leaves it alone */
	opts.store = "nonsense";
	tu_assert_error(ladder_postgres_wrap(&db, raw, &opts), LADDER_EINVALID, "unknown version store");
	assert_int_equal(pgu_conn_int(raw, "SELECT 1"), 1);
	PQfinish(raw);
	raw = PQconnectdb("postgres://postgres@127.0.0.1:1/postgres");
	tu_assert_error(ladder_postgres_wrap(&db, raw, NULL), LADDER_EINVALID, "not open");
	PQfinish(raw);
	ladder_plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wrong_port),
		cmocka_unit_test(bad_password_is_masked),
		cmocka_unit_test(unknown_database),
		cmocka_unit_test(invalid_connection_string),
		cmocka_unit_test(hostile_connection_strings),
		cmocka_unit_test(display_never_shows_the_password),
		cmocka_unit_test(key_value_and_socket_forms),
		cmocka_unit_test(user_version_store_is_sqlite_only),
		cmocka_unit_test(wrapped_connection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
