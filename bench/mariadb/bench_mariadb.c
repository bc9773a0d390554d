/*
 * bench_mariadb.c — ladder on MariaDB against raw libmariadb doing the same
 * work in the same run, printed as medians and ratios:
 *   1. applying 200 and 1,000 migrations read from a directory (a mix of
 *      CREATE TABLE, ALTER TABLE ADD COLUMN, CREATE INDEX, INSERT, UPDATE,
 *      DELETE; three statements a migration, one a line) to a fresh
 *      database, by the library in process (load the directory, open,
 *      migrate, close) and by one `ladder up` process, against the same
 *      files' statements sent one by one with mysql_real_query in autocommit
 *      (goal: at most 1.2x, ladder's per-statement record included);
 *   2. a no-op migrate against one `SELECT 1` round trip: on a connection
 *      kept open, and as connect + no-op + close against connect + SELECT 1
 *      + close over TCP loopback and over the Unix socket (goal: 1.5x);
 *   3. the statements each side sends and the fsyncs they cost, from the
 *      server's own counters (SHOW GLOBAL STATUS: Questions, Connections,
 *      Innodb_data_fsyncs, Com_*), in runs apart from the timed ones: one
 *      statement is one round trip (neither side sends several in one
 *      packet).
 * The server is one tests/mariadb/server.sh started (`make bench` does, once
 * with its data in memory and once on disk); LADDER_MARIADB_SERVER_DIR names
 * the folder given to `server.sh start`. The output says where the data is.
 *
 * Usage: ladder-bench-mariadb [--quick] [--reps N]  (--quick: no 1,000 run;
 * N: runs of each timing, 3 by default)
 */
#define _GNU_SOURCE
#include <ladder.h>

#include "benchutil.h"

#include <mysql.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TMPFS_MAGIC_NUMBER 0x01021994

extern char **environ;

/* The server, from the files server.sh writes in its folder. */
static struct {
	char url[512];  /* mariadb://ladder:PW@127.0.0.1:PORT/ */
	char user[64], password[128], host[64], socket[512], datadir[512];
	unsigned int port;
} server;

static MYSQL *admin;
static int db_counter;
static char ladder_cli[PATH_MAX];

static void read_line(const char *dir, const char *file, char *out, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((f = fopen(path, "r")) == NULL || fgets(out, (int)len, f) == NULL)
		bench_die(path, "cannot read it (start a server with tests/mariadb/server.sh start DIR)");
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
}

/* server.url is mariadb://USER:PASSWORD@HOST:PORT/ (server.sh's own, so no
 * percent-encoding to undo). */
static void server_load(void)
{
	const char *dir = getenv("LADDER_MARIADB_SERVER_DIR");
	char port[16];
	const char *p, *colon, *at, *hcolon;

	if (dir == NULL || dir[0] == '\0')
		bench_die("LADDER_MARIADB_SERVER_DIR",
		          "not set (start a server with tests/mariadb/server.sh start DIR and point it at DIR)");
	read_line(dir, "url", server.url, sizeof(server.url));
	read_line(dir, "socket", server.socket, sizeof(server.socket));
	read_line(dir, "datadir", server.datadir, sizeof(server.datadir));
	read_line(dir, "port", port, sizeof(port));
	server.port = (unsigned int)atoi(port);
	p = strstr(server.url, "://");
	if (p == NULL || (colon = strchr(p + 3, ':')) == NULL || (at = strrchr(p, '@')) == NULL ||
	    (hcolon = strchr(at, ':')) == NULL)
		bench_die(server.url, "expected mariadb://USER:PASSWORD@HOST:PORT/");
	snprintf(server.user, sizeof(server.user), "%.*s", (int)(colon - (p + 3)), p + 3);
	snprintf(server.password, sizeof(server.password), "%.*s", (int)(at - colon - 1), colon + 1);
	snprintf(server.host, sizeof(server.host), "%.*s", (int)(hcolon - at - 1), at + 1);
}

/* Where the server keeps its data: tmpfs is memory, anything else waits
 * on the disk's fsync. */
static const char *storage_kind(void)
{
	struct statfs fs;
	if (statfs(server.datadir, &fs) == 0 && fs.f_type == TMPFS_MAGIC_NUMBER)
		return "in memory (tmpfs)";
	return "on disk (every DDL statement waits for fsync)";
}

/* --- raw libmariadb -------------------------------------------------------------- */

enum transport { TCP, SOCKET };

static MYSQL *raw_connect(enum transport how, const char *db)
{
	MYSQL *my = mysql_init(NULL);
	if (my == NULL)
		bench_die("mysql_init", "out of memory");
	/* the character set ladder asks for in the same handshake */
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (mysql_real_connect(my, how == TCP ? server.host : "localhost", server.user, server.password, db,
	                       how == TCP ? server.port : 0, how == SOCKET ? server.socket : NULL, 0) == NULL)
		bench_die("raw connect", mysql_error(my));
	return my;
}

static void raw_query(MYSQL *my, const char *sql, size_t len)
{
	if (mysql_real_query(my, sql, (unsigned long)len) != 0)
		bench_die(sql, mysql_error(my));
	if (mysql_field_count(my) > 0) {
		MYSQL_RES *res = mysql_store_result(my);
		if (res == NULL)
			bench_die(sql, mysql_error(my));
		mysql_free_result(res);
	}
}

static void admin_exec(const char *sql)
{
	raw_query(admin, sql, strlen(sql));
}

static void fresh_db(char *name, size_t len)
{
	char sql[256];
	snprintf(name, len, "ladder_bench_%d_%d", (int)getpid(), ++db_counter);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	admin_exec(sql);
}

static void drop_db(const char *name)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
	admin_exec(sql);
}

static void ladder_url(char *url, size_t len, enum transport how, const char *db)
{
	if (how == TCP)
		snprintf(url, len, "%s%s", server.url, db);
	else
		snprintf(url, len, "mariadb://%s:%s@localhost/%s?socket=%s", server.user, server.password, db,
		         server.socket);
}

/* --- the migrations directory ------------------------------------------------------ */

/* Migration i (from 1) works on table t<k>, k = (i + 3) / 4, in a cycle of
 * four: create it (with rows and an index), add a column and fill it, add
 * another and an index, then change rows. Twelve statements a cycle, five
 * of them DDL. One statement a line: the raw side splits on newlines. */
static char *migration_up(int i)
{
	int k = (i + 3) / 4;
	char *sql = NULL;
	int r = -1;

	switch ((i - 1) % 4) {
	case 0:
		r = asprintf(&sql,
		             "CREATE TABLE t%d (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, "
		             "created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP) ENGINE=InnoDB;\n"
		             "INSERT INTO t%d (name) VALUES ('a'), ('b'), ('c');\n"
		             "CREATE INDEX t%d_name ON t%d (name);\n",
		             k, k, k, k);
		break;
	case 1:
		r = asprintf(&sql,
		             "ALTER TABLE t%d ADD COLUMN score INT NOT NULL DEFAULT 0;\n"
		             "UPDATE t%d SET score = id * 10;\n"
		             "INSERT INTO t%d (name, score) VALUES ('d', 40);\n",
		             k, k, k);
		break;
	case 2:
		r = asprintf(&sql,
		             "ALTER TABLE t%d ADD COLUMN note VARCHAR(200) NULL;\n"
		             "CREATE INDEX t%d_score ON t%d (score);\n"
		             "UPDATE t%d SET note = CONCAT('n', id) WHERE score > 10;\n",
		             k, k, k, k);
		break;
	default:
		r = asprintf(&sql,
		             "INSERT INTO t%d (name, score, note) VALUES ('e', 50, 'x'), ('f', 60, 'y');\n"
		             "UPDATE t%d SET score = score + 1 WHERE name = 'a';\n"
		             "DELETE FROM t%d WHERE name = 'f';\n",
		             k, k, k);
	}
	if (r < 0)
		exit(1);
	return sql;
}

static const char *const migration_down[] = {
	"DROP TABLE t%d;\n",
	"ALTER TABLE t%d DROP COLUMN score;\n",
	"DROP INDEX t%d_score ON t%d;\nALTER TABLE t%d DROP COLUMN note;\n",
	"-- rows only\n",
};

typedef struct {
	char dir[PATH_MAX];
	int n;
	char **up_paths; /* [n], in version order */
} migration_dir;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		bench_die(path, strerror(errno));
}

static void migration_dir_make(migration_dir *m, int n)
{
	char path[PATH_MAX + 64], *down;
	const char *tmp = getenv("TMPDIR");

	snprintf(m->dir, sizeof(m->dir), "%s/ladder-bench-maria-%d-XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp", n);
	if (mkdtemp(m->dir) == NULL)
		bench_die("mkdtemp", strerror(errno));
	m->n = n;
	if ((m->up_paths = calloc((size_t)n, sizeof(char *))) == NULL)
		exit(1);
	for (int i = 1; i <= n; i++) {
		int k = (i + 3) / 4;
		char *up = migration_up(i);
		snprintf(path, sizeof(path), "%s/%05d_step%d.up.sql", m->dir, i, i);
		write_file(path, up);
		if ((m->up_paths[i - 1] = strdup(path)) == NULL)
			exit(1);
		if (asprintf(&down, migration_down[(i - 1) % 4], k, k, k) < 0)
			exit(1);
		snprintf(path, sizeof(path), "%s/%05d_step%d.down.sql", m->dir, i, i);
		write_file(path, down);
		free(up);
		free(down);
	}
}

static void migration_dir_free(migration_dir *m)
{
	char cmd[PATH_MAX + 16];
	for (int i = 0; i < m->n; i++)
		free(m->up_paths[i]);
	free(m->up_paths);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", m->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench-mariadb: could not remove %s\n", m->dir);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *text;
	long size;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		bench_die(path, strerror(errno));
	if ((text = malloc((size_t)size + 1)) == NULL)
		exit(1);
	if (fread(text, 1, (size_t)size, f) != (size_t)size)
		bench_die(path, "short read");
	fclose(f);
	text[size] = '\0';
	*len = (size_t)size;
	return text;
}

/* --- 1. apply ----------------------------------------------------------------------- */

/* The raw engine's side: connect, then every file's statements one by one
 * (one a line, the trailing ';' kept, as the mariadb client sends them),
 * each its own autocommit transaction. */
static double apply_raw(const migration_dir *m, const char *db)
{
	double start = bench_now();
	MYSQL *my = raw_connect(TCP, db);
	for (int i = 0; i < m->n; i++) {
		size_t len;
		char *text = slurp(m->up_paths[i], &len), *line = text, *nl;
		for (; *line != '\0'; line = nl + 1) {
			if ((nl = strchr(line, '\n')) == NULL)
				nl = line + strlen(line);
			if (nl > line)
				raw_query(my, line, (size_t)(nl - line));
			if (*nl == '\0')
				break;
		}
		free(text);
	}
	mysql_close(my);
	return bench_now() - start;
}

/* The library: load the directory, open, migrate, close. */
static double apply_ladder(const migration_dir *m, const char *db)
{
	ladder_plan *plan = NULL;
	ladder_db *ldb = NULL;
	ladder_result result;
	char url[1024];
	double start = bench_now();

	ladder_url(url, sizeof(url), TCP, db);
	if (ladder_plan_load_dir(&plan, m->dir) < 0 || ladder_db_open(&ldb, url, NULL) < 0 ||
	    ladder_migrate(&result, ldb, plan, NULL) < 0)
		bench_die_ladder("apply");
	ladder_db_close(ldb);
	ladder_plan_free(plan);
	if (result.applied != (size_t)m->n)
		bench_die("apply", "ladder did not apply every migration");
	return bench_now() - start;
}

/* One `ladder -d URL -m DIR up` process, its output discarded. */
static double run_cli(const char *dir, const char *db, const char *command)
{
	char url[1024];
	char *argv[] = {ladder_cli, "-d", url, "-m", (char *)dir, (char *)command, NULL};
	posix_spawn_file_actions_t actions;
	pid_t pid;
	int status;
	double start;

	ladder_url(url, sizeof(url), TCP, db);
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
	start = bench_now();
	if (posix_spawn(&pid, ladder_cli, &actions, NULL, argv, environ) != 0)
		bench_die(ladder_cli, strerror(errno));
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		bench_die("ladder up", "the process failed");
	posix_spawn_file_actions_destroy(&actions);
	return bench_now() - start;
}

/* CPU seconds this process has used: the client's own work (the server's
 * is in the wall time). */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double best(const double *v, int n)
{
	double m = v[0];
	for (int i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

/* Medians and their ratio, then the ratio of the best runs (what a quiet
 * machine gives: other work on a loaded one delays every round trip). */
static void print_row(const char *label, const double *ladder, const double *raw, int reps, const char *unit,
                      double scale)
{
	double l = bench_median(ladder, reps), r = bench_median(raw, reps);
	printf("  %-52s %10.2f %s %10.2f %s %7.2fx   (best %.2fx)\n", label, l * scale, unit, r * scale, unit, l / r,
	       best(ladder, reps) / best(raw, reps));
}

static void bench_apply(int n, int reps)
{
	migration_dir m;
	double *t_lib = calloc((size_t)reps, sizeof(double));
	double *t_cli = calloc((size_t)reps, sizeof(double));
	double *t_raw = calloc((size_t)reps, sizeof(double));
	double cpu_lib = 0, cpu_raw = 0;
	char name[128], label[96];

	migration_dir_make(&m, n);
	for (int r = 0; r < reps; r++) {
		/* the three sides in turns, so none always runs on a warmer server */
		for (int s = 0; s < 3; s++) {
			int side = (s + r) % 3;
			double cpu = cpu_now();
			fresh_db(name, sizeof(name));
			if (side == 0) {
				cpu = cpu_now();
				t_lib[r] = apply_ladder(&m, name);
				cpu_lib += cpu_now() - cpu;
			} else if (side == 1) {
				t_cli[r] = run_cli(m.dir, name, "up");
			} else {
				cpu = cpu_now();
				t_raw[r] = apply_raw(&m, name);
				cpu_raw += cpu_now() - cpu;
			}
			drop_db(name);
		}
	}
	snprintf(label, sizeof(label), "apply %d (%d statements), library", n, n * 3);
	print_row(label, t_lib, t_raw, reps, "s ", 1);
	snprintf(label, sizeof(label), "apply %d, `ladder up` process", n);
	print_row(label, t_cli, t_raw, reps, "s ", 1);
	printf("  %-52s %10.1f us %10.1f us   client CPU per statement\n", "", cpu_lib / reps / (n * 3) * 1e6,
	       cpu_raw / reps / (n * 3) * 1e6);
	migration_dir_free(&m);
	free(t_lib);
	free(t_cli);
	free(t_raw);
}

/* --- 2. no-op ----------------------------------------------------------------------- */

static void select_1(MYSQL *my)
{
	raw_query(my, "SELECT 1", 8);
}

static void noop(ladder_db *ldb, const ladder_plan *plan)
{
	ladder_result result;
	if (ladder_migrate(&result, ldb, plan, NULL) < 0 || !result.fast_path)
		bench_die_ladder("no-op migrate");
}

/* Calls on one open connection, in blocks of 100 taken in turns: ladder's
 * no-op, the one query it sends (the history's newest row) over raw
 * libmariadb, and SELECT 1. The middle one splits ladder's cost into the
 * query's and the client's. */
static void bench_noop_open(const ladder_plan *plan, const char *db, int reps)
{
	const int calls = 2000;
	double *t_l = calloc((size_t)reps, sizeof(double)), *t_h = calloc((size_t)reps, sizeof(double));
	double *t_r = calloc((size_t)reps, sizeof(double));
	double cpu_l = 0, cpu_r = 0;
	ladder_db *ldb = NULL;
	MYSQL *my;
	char url[1024], head[512];

	ladder_url(url, sizeof(url), TCP, db);
	snprintf(head, sizeof(head), "SELECT version, chain, state FROM `%s`.`ladder_history` ORDER BY version DESC LIMIT 1",
	         db);
	if (ladder_db_open(&ldb, url, NULL) < 0)
		bench_die_ladder("open");
	my = ladder_db_native(ldb);
	for (int r = 0; r < reps; r++) {
		for (int block = 0; block < calls / 100; block++) {
			double start = bench_now(), cpu = cpu_now();
			for (int i = 0; i < 100; i++)
				noop(ldb, plan);
			t_l[r] += bench_now() - start;
			cpu_l += cpu_now() - cpu;
			start = bench_now();
			for (int i = 0; i < 100; i++)
				raw_query(my, head, strlen(head));
			t_h[r] += bench_now() - start;
			start = bench_now();
			cpu = cpu_now();
			for (int i = 0; i < 100; i++)
				select_1(my);
			t_r[r] += bench_now() - start;
			cpu_r += cpu_now() - cpu;
		}
		t_l[r] /= calls;
		t_h[r] /= calls;
		t_r[r] /= calls;
	}
	print_row("no-op migrate vs SELECT 1, connection kept (TCP)", t_l, t_r, reps, "us", 1e6);
	print_row("  raw: the no-op's history read vs SELECT 1", t_h, t_r, reps, "us", 1e6);
	printf("  %-52s %10.1f us %10.1f us   client CPU per call\n", "", cpu_l / reps / calls * 1e6,
	       cpu_r / reps / calls * 1e6);
	ladder_db_close(ldb);
	free(t_l);
	free(t_h);
	free(t_r);
}

static void connect_noop_close(const ladder_plan *plan, enum transport how, const char *db)
{
	ladder_db *ldb = NULL;
	char url[1024];
	ladder_url(url, sizeof(url), how, db);
	if (ladder_db_open(&ldb, url, NULL) < 0)
		bench_die_ladder("open");
	noop(ldb, plan);
	ladder_db_close(ldb);
}

static void connect_select_close(enum transport how, const char *db)
{
	MYSQL *my = raw_connect(how, db);
	select_1(my);
	mysql_close(my);
}

/* Whole connections, in blocks of 50 taken in turns. */
static void bench_noop_connect(const ladder_plan *plan, enum transport how, const char *db, int reps)
{
	const int calls = 500;
	double *t_l = calloc((size_t)reps, sizeof(double)), *t_r = calloc((size_t)reps, sizeof(double));

	for (int r = 0; r < reps; r++) {
		for (int block = 0; block < calls / 50; block++) {
			double start = bench_now();
			for (int i = 0; i < 50; i++)
				connect_noop_close(plan, how, db);
			t_l[r] += bench_now() - start;
			start = bench_now();
			for (int i = 0; i < 50; i++)
				connect_select_close(how, db);
			t_r[r] += bench_now() - start;
		}
		t_l[r] /= calls;
		t_r[r] /= calls;
	}
	print_row(how == TCP ? "connect + no-op + close vs + SELECT 1, TCP loopback"
	                     : "connect + no-op + close vs + SELECT 1, Unix socket",
	          t_l, t_r, reps, "us", 1e6);
	free(t_l);
	free(t_r);
}

/* --- 3. what each side sends --------------------------------------------------------- */

#define MAX_COUNTERS 512

typedef struct {
	int n;
	char name[MAX_COUNTERS][64];
	long long value[MAX_COUNTERS];
} counters;

static void counters_read(counters *c)
{
	const char *sql = "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Connections', 'Innodb_data_fsyncs') "
	                  "OR Variable_name LIKE 'Com\\_%'";
	MYSQL_RES *res;
	MYSQL_ROW row;

	/* a session closed just now adds its counters to the global ones when
	 * the server has finished with it, after the client has gone on */
	usleep(100000);
	if (mysql_query(admin, sql) != 0 || (res = mysql_store_result(admin)) == NULL)
		bench_die("SHOW GLOBAL STATUS", mysql_error(admin));
	c->n = 0;
	while ((row = mysql_fetch_row(res)) != NULL && c->n < MAX_COUNTERS) {
		snprintf(c->name[c->n], sizeof(c->name[0]), "%s", row[0]);
		c->value[c->n++] = atoll(row[1]);
	}
	mysql_free_result(res);
}

/* after - before, less what reading the counters itself adds (one SHOW
 * STATUS: measured once as the difference of two reads in a row). */
static counters overhead;

static void counters_delta(counters *d, const counters *before, const counters *after)
{
	*d = *after;
	for (int i = 0; i < d->n; i++)
		d->value[i] -= before->value[i] + overhead.value[i];
}

static long long counter(const counters *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->name[i], name) == 0)
			return c->value[i];
	return 0;
}

/* The least each counter moved over three pairs of reads in a row: the
 * global sums are taken from the live sessions' counters, and an idle
 * session's can lag. */
static void counters_measure_overhead(void)
{
	counters a, b;
	for (int pair = 0; pair < 3; pair++) {
		counters_read(&a);
		counters_read(&b);
		for (int i = 0; i < b.n; i++) {
			long long moved = b.value[i] - a.value[i];
			if (pair == 0 || moved < overhead.value[i])
				overhead.value[i] = moved;
		}
		if (pair == 0) {
			overhead.n = b.n;
			memcpy(overhead.name, b.name, sizeof(b.name));
		}
	}
}

/* "Questions N (Com_x a, Com_y b, ...)" of delta d divided by `per`. */
static void print_counters(const char *label, const counters *d, int per)
{
	printf("  %-52s %8.1f statements", label, (double)counter(d, "Questions") / per);
	if (counter(d, "Connections") > 0)
		printf(", %.1f connections", (double)counter(d, "Connections") / per);
	printf(", %.1f InnoDB fsyncs", (double)counter(d, "Innodb_data_fsyncs") / per);
	printf(":");
	for (int i = 0; i < d->n; i++)
		if (strncmp(d->name[i], "Com_", 4) == 0 && d->value[i] != 0)
			printf(" %s %.4g", d->name[i] + 4, (double)d->value[i] / per);
	printf("\n");
}

static void bench_counts(const ladder_plan *plan200, const char *current_db)
{
	migration_dir m;
	counters before, after, d;
	char name[128];
	ladder_db *ldb = NULL;
	char url[1024];
	const int per = 20;

	counters_measure_overhead();
	migration_dir_make(&m, 200);

	fresh_db(name, sizeof(name));
	counters_read(&before);
	apply_ladder(&m, name);
	counters_read(&after);
	counters_delta(&d, &before, &after);
	print_counters("apply 200, library", &d, 1);
	drop_db(name);

	fresh_db(name, sizeof(name));
	counters_read(&before);
	apply_raw(&m, name);
	counters_read(&after);
	counters_delta(&d, &before, &after);
	print_counters("apply 200, raw", &d, 1);
	drop_db(name);

	fresh_db(name, sizeof(name));
	counters_read(&before);
	run_cli(m.dir, name, "up");
	counters_read(&after);
	counters_delta(&d, &before, &after);
	print_counters("apply 200, `ladder up` process", &d, 1);
	drop_db(name);

	ladder_url(url, sizeof(url), TCP, current_db);
	if (ladder_db_open(&ldb, url, NULL) < 0)
		bench_die_ladder("open");
	noop(ldb, plan200); /* anything said once per connection, out of the count */
	counters_read(&before);
	for (int i = 0; i < per; i++)
		noop(ldb, plan200);
	counters_read(&after);
	counters_delta(&d, &before, &after);
	print_counters("no-op migrate, connection kept (per call)", &d, per);
	ladder_db_close(ldb);

	counters_read(&before);
	for (int i = 0; i < per; i++)
		connect_noop_close(plan200, TCP, current_db);
	counters_read(&after);
	counters_delta(&d, &before, &after);
	print_counters("connect + no-op + close (per call)", &d, per);

	counters_read(&before);
	for (int i = 0; i < per; i++)
		connect_select_close(TCP, current_db);
	counters_read(&after);
	counters_delta(&d, &before, &after);
	print_counters("connect + SELECT 1 + close (per call)", &d, per);

	counters_read(&before);
	run_cli(m.dir, current_db, "up");
	counters_read(&after);
	counters_delta(&d, &before, &after);
	print_counters("`ladder up` process, no-op", &d, 1);

	migration_dir_free(&m);
}

/* --- main ----------------------------------------------------------------------------- */

static void find_cli(void)
{
	char self[PATH_MAX - 16];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (len < 0)
		bench_die("/proc/self/exe", strerror(errno));
	self[len] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		bench_die(self, "no directory");
	*slash = '\0';
	snprintf(ladder_cli, sizeof(ladder_cli), "%s/ladder", self);
	if (access(ladder_cli, X_OK) != 0)
		bench_die(ladder_cli, "not found beside this program (build the ladder CLI)");
}

int main(int argc, char **argv)
{
	int quick = 0, reps = 3;
	migration_dir m;
	ladder_plan *plan = NULL;
	ladder_db *ldb = NULL;
	char name[128], url[1024];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = 1;
		else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc && atoi(argv[i + 1]) > 0)
			reps = atoi(argv[++i]);
		else
			bench_die(argv[i], "usage: ladder-bench-mariadb [--quick] [--reps N]");
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	server_load();
	find_cli();
	admin = raw_connect(TCP, NULL);
	printf("ladder %s, MariaDB %s (libmariadb %s), data %s\n", LADDER_VERSION_STRING, mysql_get_server_info(admin),
	       mysql_get_client_info(), storage_kind());
	printf("medians of %d runs, ladder and raw in turns, each apply on a fresh database\n\n", reps);
	printf("  %-52s %13s %13s %8s\n", "benchmark", "ladder", "raw", "ratio");

	bench_apply(200, reps);
	if (!quick)
		bench_apply(1000, reps);

	/* no-op: a database current with the 200-migration directory */
	migration_dir_make(&m, 200);
	if (ladder_plan_load_dir(&plan, m.dir) < 0)
		bench_die_ladder("plan");
	fresh_db(name, sizeof(name));
	ladder_url(url, sizeof(url), TCP, name);
	if (ladder_db_open(&ldb, url, NULL) < 0 || ladder_migrate(NULL, ldb, plan, NULL) < 0)
		bench_die_ladder("no-op setup");
	ladder_db_close(ldb);
	bench_noop_open(plan, name, reps);
	bench_noop_connect(plan, TCP, name, reps);
	bench_noop_connect(plan, SOCKET, name, reps);

	printf("\nStatements the server counted (SHOW GLOBAL STATUS deltas, runs apart from the timed ones):\n");
	bench_counts(plan, name);
	drop_db(name);
	ladder_plan_free(plan);
	migration_dir_free(&m);
	mysql_close(admin);
	return 0;
}
