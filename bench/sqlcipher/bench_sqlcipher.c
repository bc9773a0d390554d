/*
 * bench_sqlcipher.c — what an encrypted file costs an application start:
 * the no-op open of a SQLite file already at the head of a 3-step plan,
 * ladder (ladder_db_open with sqlite_key + a no-op ladder_migrate +
 * ladder_db_close) against the raw engine opening the same file in the same
 * run (sqlite3_open_v2 + PRAGMA key + reading the version + close), both on
 * this program's SQLCipher. Three kinds of file, each with both version
 * stores (user_version, as the vault uses; the history table):
 *   - encrypted with a passphrase, SQLCipher 4's defaults (PBKDF2 derives
 *     the key from it, slow on purpose: the figure an application pays);
 *   - encrypted with a raw key (x'<64 hex digits>', no derivation), which
 *     shows ladder's own overhead once the derivation is out of the way;
 *   - plain, no key (beside the plain-SQLite figures of `ladder-bench`).
 * The raw side of the user_version store reads PRAGMA user_version; that of
 * the history table reads SELECT max(version) FROM ladder_history (the same
 * work: the schema loaded, the table read), and its row also gives the
 * ratio to a raw PRAGMA user_version, the baseline `ladder-bench` uses.
 * Medians of wall time, and of CPU time, which a busy machine disturbs less.
 * Usage: ladder-bench-sqlcipher [--quick]   (--quick: fewer repetitions)
 */
#define _GNU_SOURCE
#include <ladder.h>

#include "benchutil.h"

#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PLAN_STEPS 3

static const char migration_template[] =
	"CREATE TABLE t%d (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER);\n"
	"INSERT INTO t%d (name, n) VALUES ('a', 1), ('b', 2), ('c', 3);\n"
	"CREATE INDEX t%d_name ON t%d (name);\n";

static const char passphrase[] = "correct horse battery staple";
static const char raw_key[] = "x'2DD29CA851E7B56E4697B0E1F08507293D761A05CE4D1B628663F411A8086D99'";

static char scratch[256];

/* One file the rows open: where, with which key, which version store. */
typedef struct {
	char path[512];
	const char *key;   /* NULL: a plain file */
	const char *store; /* "user_version", or NULL: the history table */
	const ladder_plan *plan;
} bench_file;

/* What one timed open does. */
enum side { SIDE_LADDER, SIDE_RAW_STORE, SIDE_RAW_USER_VERSION, NSIDES };

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void open_options(ladder_open_options *opts, const bench_file *f)
{
	ladder_open_options init = LADDER_OPEN_OPTIONS_INIT;
	*opts = init;
	opts->sqlite_key = f->key;
	opts->store = f->store;
}

/* ladder's side: open, a no-op migrate (the fast path), close. */
static void ladder_open_noop(const bench_file *f)
{
	ladder_open_options opts;
	ladder_db *db = NULL;
	ladder_result result;

	open_options(&opts, f);
	if (ladder_db_open(&db, f->path, &opts) < 0 || ladder_migrate(&result, db, f->plan, NULL) < 0)
		bench_die_ladder(f->path);
	if (!result.fast_path || result.applied != 0 || result.to_version != PLAN_STEPS)
		bench_die(f->path, "the no-op run was not a no-op");
	ladder_db_close(db);
}

/* The raw engine's side: open, the key, one read of the version, close;
 * dies unless the read finds `expect` (when >= 0). */
static void raw_open_read(const bench_file *f, const char *query, int expect)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		bench_die(f->path, sqlite3_errmsg(db));
	if (f->key != NULL) {
		char *sql = sqlite3_mprintf("PRAGMA key = %Q", f->key);
		rc = sql == NULL ? SQLITE_NOMEM : sqlite3_exec(db, sql, NULL, NULL, NULL);
		sqlite3_free(sql);
		if (rc != SQLITE_OK)
			bench_die(f->path, sqlite3_errmsg(db));
	}
	if (sqlite3_prepare_v2(db, query, -1, &stmt, NULL) != SQLITE_OK || sqlite3_step(stmt) != SQLITE_ROW)
		bench_die(f->path, sqlite3_errmsg(db));
	if (expect >= 0 && sqlite3_column_int(stmt, 0) != expect)
		bench_die(f->path, "the raw read did not find the plan's head");
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

static void run_side(enum side side, const bench_file *f)
{
	switch (side) {
	case SIDE_LADDER:
		ladder_open_noop(f);
		break;
	case SIDE_RAW_STORE:
		raw_open_read(f, f->store != NULL ? "PRAGMA user_version" : "SELECT max(version) FROM ladder_history",
		              PLAN_STEPS);
		break;
	default: /* the history table's file: whatever its header holds */
		raw_open_read(f, "PRAGMA user_version", -1);
		break;
	}
}

/* Write the file and bring it to the plan's head with ladder; check that
 * an encrypted one is (its first bytes are not SQLite's header) and a
 * plain one is not. */
static void make_file(bench_file *f, const char *name, const char *key, const char *store, const ladder_plan *plan)
{
	ladder_open_options opts;
	ladder_db *db = NULL;
	ladder_result result;
	char header[16] = {0};
	FILE *in;

	snprintf(f->path, sizeof(f->path), "%s/%s", scratch, name);
	f->key = key;
	f->store = store;
	f->plan = plan;
	open_options(&opts, f);
	if (ladder_db_open(&db, f->path, &opts) < 0 || ladder_migrate(&result, db, plan, NULL) < 0)
		bench_die_ladder(f->path);
	ladder_db_close(db);
	if (result.applied != PLAN_STEPS)
		bench_die(f->path, "the plan was not applied");
	if ((in = fopen(f->path, "rb")) == NULL || fread(header, 1, sizeof(header), in) != sizeof(header))
		bench_die(f->path, "cannot read the file back");
	fclose(in);
	if ((memcmp(header, "SQLite format 3", 16) == 0) != (key == NULL))
		bench_die(f->path, key != NULL ? "written unencrypted" : "not a plain SQLite file");
}

/* One row: `reps` rounds, each timing `calls` opens of every side in turn
 * (which side goes first rotates), then the medians per open. */
static void bench_row(const char *label, const bench_file *f, int calls, int reps)
{
	int nsides = f->store != NULL ? 2 : 3;
	double *wall[NSIDES], *cpu[NSIDES], w[NSIDES], c[NSIDES], scale;
	const char *unit;

	for (int s = 0; s < nsides; s++) {
		wall[s] = calloc((size_t)reps, sizeof(double));
		cpu[s] = calloc((size_t)reps, sizeof(double));
		if (wall[s] == NULL || cpu[s] == NULL)
			exit(1);
		run_side((enum side)s, f); /* warm the page cache and the code */
	}
	for (int r = 0; r < reps; r++)
		for (int k = 0; k < nsides; k++) {
			int s = (r + k) % nsides;
			double start = bench_now(), cpu_start = cpu_now();
			for (int i = 0; i < calls; i++)
				run_side((enum side)s, f);
			cpu[s][r] = (cpu_now() - cpu_start) / calls;
			wall[s][r] = (bench_now() - start) / calls;
		}
	for (int s = 0; s < nsides; s++) {
		w[s] = bench_median(wall[s], reps);
		c[s] = bench_median(cpu[s], reps);
		free(wall[s]);
		free(cpu[s]);
	}
	if (w[SIDE_LADDER] >= 1e-3)
		scale = 1e3, unit = "ms";
	else
		scale = 1e6, unit = "us";
	printf("%-46s %10.2f %s %10.2f %s %8.2fx   (CPU %.2f vs %.2f %s: %.2fx", label, w[SIDE_LADDER] * scale, unit,
	       w[SIDE_RAW_STORE] * scale, unit, w[SIDE_LADDER] / w[SIDE_RAW_STORE], c[SIDE_LADDER] * scale,
	       c[SIDE_RAW_STORE] * scale, unit, c[SIDE_RAW_STORE] > 0 ? c[SIDE_LADDER] / c[SIDE_RAW_STORE] : 0.0);
	if (nsides == 3)
		printf("; raw PRAGMA user_version %.2f %s: %.2fx", w[SIDE_RAW_USER_VERSION] * scale, unit,
		       w[SIDE_LADDER] / w[SIDE_RAW_USER_VERSION]);
	printf(")\n");
	fflush(stdout);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static void print_versions(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	char cipher[64] = "none";

	if (sqlite3_open(":memory:", &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA cipher_version", -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		snprintf(cipher, sizeof(cipher), "%s", (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	if (strcmp(cipher, "none") == 0)
		bench_die("PRAGMA cipher_version", "this program is not linked with SQLCipher");
	printf("ladder %s, SQLCipher %s (SQLite %s); no-op open of a file at the head of a %d-step plan\n",
	       LADDER_VERSION_STRING, cipher, sqlite3_libversion(), PLAN_STEPS);
}

int main(int argc, char **argv)
{
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	int slow_reps = quick ? 3 : 11, fast_reps = quick ? 3 : 11, fast_calls = quick ? 50 : 200;
	bench_plan g;
	ladder_plan *plan;
	bench_file files[6];
	static const struct {
		const char *name, *label;
		int passphrase, raw;
		const char *store;
	} rows[6] = {
		{"pass-uv.db", "passphrase, user_version store", 1, 0, "user_version"},
		{"pass-history.db", "passphrase, history store", 1, 0, NULL},
		{"rawkey-uv.db", "raw key, user_version store", 0, 1, "user_version"},
		{"rawkey-history.db", "raw key, history store", 0, 1, NULL},
		{"plain-uv.db", "plain file, user_version store", 0, 0, "user_version"},
		{"plain-history.db", "plain file, history store", 0, 0, NULL},
	};

	snprintf(scratch, sizeof(scratch), "%s/ladder-bench-sqlcipher-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(scratch) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	print_versions();
	printf("medians of %d rounds (passphrase: 1 open per side per round; the others: %d), sides in turns\n\n",
	       slow_reps, fast_calls);
	printf("%-46s %13s %13s %9s\n", "no-op open (ladder vs raw open+key+read)", "ladder", "raw engine", "ratio");

	bench_plan_generate(&g, migration_template, PLAN_STEPS);
	plan = bench_plan_build(&g);
	for (int i = 0; i < 6; i++) {
		const char *key = rows[i].passphrase ? passphrase : rows[i].raw ? raw_key : NULL;
		make_file(&files[i], rows[i].name, key, rows[i].store, plan);
	}
	for (int i = 0; i < 6; i++) {
		int slow = rows[i].passphrase;
		bench_row(rows[i].label, &files[i], slow ? 1 : fast_calls, slow ? slow_reps : fast_reps);
	}
	ladder_plan_free(plan);
	bench_plan_free(&g);
	nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
