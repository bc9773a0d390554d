/*
 * foreign.h — other migration tools' history tables (golang-migrate, dbmate,
 * goose, sql-migrate): reading which versions each applied, by that tool's
 * own rules, for `ladder adopt --from TOOL`; and spotting such a table (or a
 * light store's stamp) in a database that has no ladder history yet, so
 * that `up` refuses with the adopt command to run instead of failing on
 * "table already exists", and `status` says the same as a note.
 */
#ifndef LADDER_FOREIGN_H
#define LADDER_FOREIGN_H

#include "db.h"
#include "plan.h"

typedef enum {
	FOREIGN_GOLANG_MIGRATE = 1, /* schema_migrations(version bigint, dirty bool): the head alone */
	FOREIGN_DBMATE,             /* schema_migrations(version varchar): one row per version */
	FOREIGN_GOOSE,              /* goose_db_version(id, version_id, is_applied, tstamp): a log */
	FOREIGN_SQL_MIGRATE,        /* gorp_migrations(id "1_init.sql", applied_at) */
} foreign_tool;

typedef struct foreign_source {
	foreign_tool tool;
	const char *name;            /* "golang-migrate", ... */
	char table[LADDER_NAME_MAX]; /* the tool's table, its default or as renamed */
} foreign_source;

/* Parse `from`: "TOOL" or "TOOL:TABLE". Returns 1 when it names a tool
 * (filling *out), 0 when it does not (a light store spec), or a negative
 * code for a tool with an unusable table name. */
int foreign_parse(foreign_source *out, const char *from);

/* The plan steps the tool's table records as applied, as indexes into
 * plan->steps (ascending, malloc'd into *steps), and the tool's head.
 * Refuses, naming versions: a dirty golang-migrate row; an applied version
 * the plan lacks; a plan version below the head the tool never applied.
 * Call inside the adopt transaction: it only reads. */
int foreign_applied(size_t **steps, size_t *count, int64_t *head, ladder_db *db, const foreign_source *src,
                    const ladder_plan *plan);

typedef struct foreign_finding {
	char note[1536];                  /* what was found; "" when nothing */
	char source[LADDER_NAME_MAX + 16]; /* what ladder_adopt's `from` takes to
	                                      record it ("dbmate", "user_version",
	                                      "comment:T"); "" with no refusal */
	int refuse;                       /* ladder_migrate must refuse */
} foreign_finding;

/* For a database whose history store does not exist yet: another tool's
 * history, SQLite user_version above 0, or a PostgreSQL comment stamp (a
 * refusal, with the source to adopt from); or a table that bears a tool's
 * name but is no history of that tool's (a note only). Nothing when the
 * store is a light one. */
int foreign_detect(foreign_finding *out, ladder_db *db);

/* foreign_detect as a refusal (LADDER_EFOREIGN) for `up`, before anything
 * runs; 0 when there is nothing foreign. Only on the slow path. */
int foreign_refuse(ladder_db *db);

#endif /* LADDER_FOREIGN_H */
