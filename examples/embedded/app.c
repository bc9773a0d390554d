/*
 * app.c — an application that ships its migrations inside its binary and
 * migrates its database on every start: the way libladder is meant to be
 * used. The plan comes from `ladder embed` (see examples/CMakeLists.txt).
 *
 *   embedded_app DATABASE_FILE
 */
#include <ladder.h>

#include <inttypes.h>
#include <stdio.h>

extern const ladder_plan_def basic_plan;

int main(int argc, char **argv)
{
	ladder_plan *plan = NULL;
	ladder_db *db = NULL;
	ladder_result result;
	int error;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DATABASE_FILE\n", argv[0]);
		return 2;
	}
	if ((error = ladder_plan_from_def(&plan, &basic_plan)) < 0 || (error = ladder_db_open(&db, argv[1], NULL)) < 0 ||
	    (error = ladder_migrate(&result, db, plan, NULL)) < 0) {
		fprintf(stderr, "embedded_app: %s\n", ladder_error_last()->message);
		goto done;
	}
	printf("database at version %" PRId64 " (%zu step(s) applied%s)\n", result.to_version, result.applied,
	       result.fast_path ? ", fast path" : "");
done:
	ladder_db_close(db);
	ladder_plan_free(plan);
	return error < 0 ? 1 : 0;
}
