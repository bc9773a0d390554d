/*
 * test_mariadb_sql.c — the MariaDB SQL reader without a server
 * (drivers/mariadb/mariadb_split.c, mariadb_actions.c): where real
 * migration sets split (mysqldump output with its executable comments and
 * DELIMITER ;;, Rails/Laravel/Flyway migrations, routines and triggers
 * with and without DELIMITER, compound statements, strings and comments
 * that hold ';', CRLF text), how each statement is classified for the
 * core (implicit commit or not, transaction control), the errors for
 * unterminated text with their offsets, and what each DDL form reports to
 * lint and to the catalog check after a crash.
 */
#include "testutil.h"

#include "mariadb_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- splitting ----------------------------------------------------------------------- */

typedef struct want {
	const char *text; /* the statement exactly: sql[offset .. offset+len) */
	ladder_stmt_kind kind;
	const char *what;
} want;

#define P LADDER_STMT_PLAIN
#define IC LADDER_STMT_IMPLICIT_COMMIT
#define TXO LADDER_STMT_TX_OTHER

static const char *kind_name(ladder_stmt_kind kind)
{
	switch (kind) {
	case LADDER_STMT_PLAIN: return "PLAIN";
	case LADDER_STMT_BEGIN: return "BEGIN";
	case LADDER_STMT_COMMIT: return "COMMIT";
	case LADDER_STMT_ROLLBACK: return "ROLLBACK";
	case LADDER_STMT_TX_OTHER: return "TX_OTHER";
	case LADDER_STMT_SAVEPOINT: return "SAVEPOINT";
	case LADDER_STMT_IMPLICIT_COMMIT: return "IMPLICIT_COMMIT";
	default: return "other";
	}
}

static void check_split(const char *sql, const want *wants, size_t n)
{
	ladder_stmt *stmts = NULL;
	size_t count = 0, bad = 0;
	int rc = ladder_mariadb_split(sql, strlen(sql), &stmts, &count, &bad);

	if (rc != 0)
		fail_msg("split failed (%d at %zu): %s\n%s", rc, bad, ladder_error_last()->message, sql);
	for (size_t i = 0; i < count || i < n; i++) {
		const char *got = i < count ? tu_fmt("%.*s", (int)stmts[i].len, sql + stmts[i].offset) : "(none)";
		if (i >= n || i >= count || strcmp(got, wants[i].text) != 0 || stmts[i].kind != wants[i].kind ||
		    strcmp(stmts[i].what, wants[i].what) != 0)
			fail_msg("statement %zu of %zu (expected %zu):\n  got  [%s] %s \"%s\"\n  want [%s] %s \"%s\"", i,
			         count, n, got, i < count ? kind_name(stmts[i].kind) : "-", i < count ? stmts[i].what : "-",
			         i < n ? wants[i].text : "(none)", i < n ? kind_name(wants[i].kind) : "-",
			         i < n ? wants[i].what : "-");
	}
	ladder_free(stmts);
}

#define SPLIT(sql, ...) \
	check_split(sql, (const want[]){__VA_ARGS__}, sizeof((const want[]){__VA_ARGS__}) / sizeof(want))

static void check_none(const char *sql)
{
	ladder_stmt *stmts = NULL;
	size_t count = 99, bad = 0;
	assert_int_equal(ladder_mariadb_split(sql, strlen(sql), &stmts, &count, &bad), 0);
	assert_int_equal(count, 0);
	ladder_free(stmts);
}

/* One statement alone: its kind and what. */
static void check_one(const char *sql, ladder_stmt_kind kind, const char *what)
{
	check_split(sql, &(want){sql, kind, what}, 1);
}

static void check_error(const char *sql, size_t offset, const char *message)
{
	ladder_stmt *stmts = NULL;
	size_t count = 0, bad = 12345;
	int rc = ladder_mariadb_split(sql, strlen(sql), &stmts, &count, &bad);
	if (rc != LADDER_EPLAN)
		fail_msg("expected LADDER_EPLAN, got %d for:\n%s", rc, sql);
	if (strstr(ladder_error_last()->message, message) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", ladder_error_last()->message, message);
	if (bad != offset)
		fail_msg("bad offset %zu, expected %zu (\"%.10s\")", bad, offset, sql + offset);
	assert_null(stmts);
}

static void splits_plain_statements_at_their_semicolons(void **state)
{
	(void)state;
	SPLIT("CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1);\n",
	      {"CREATE TABLE t (a INT);", IC, "CREATE TABLE"}, {"INSERT INTO t VALUES (1);", P, "INSERT"});
	/* a trailing statement without a semicolon ends at its last token */
	SPLIT("SELECT 1;\nSELECT 2  \n-- bye\n", {"SELECT 1;", P, "SELECT"}, {"SELECT 2", P, "SELECT"});
	/* empty statements and blank text are left out */
	SPLIT(";;\n ; SELECT 1;;; ", {"SELECT 1;", P, "SELECT"});
	check_none("");
	check_none("  \n\t");
	check_none("-- only a comment\n/* and; another */\n# and a third;\n;\n");
	/* the offset is the first token's, past blanks and comments */
	{
		const char *sql = "  \n-- c;\n/* d; */ # e;\n  SELECT 1 ;  ";
		ladder_stmt *stmts = NULL;
		size_t count = 0, bad = 0;
		assert_int_equal(ladder_mariadb_split(sql, strlen(sql), &stmts, &count, &bad), 0);
		assert_int_equal(count, 1);
		assert_int_equal(stmts[0].offset, (size_t)(strstr(sql, "SELECT") - sql));
		assert_int_equal(stmts[0].len, strlen("SELECT 1 ;"));
		ladder_free(stmts);
	}
	/* keywords in any case */
	SPLIT("alter table t add c int;begin;Commit Work;", {"alter table t add c int;", IC, "ALTER TABLE"},
	      {"begin;", LADDER_STMT_BEGIN, "BEGIN"}, {"Commit Work;", LADDER_STMT_COMMIT, "COMMIT"});
}

static void quotes_and_comments_hide_semicolons(void **state)
{
	(void)state;
	SPLIT("INSERT INTO t VALUES ('a;b', 'c -- d', 'e # f', \"g;h\", '/* i */');SELECT 1;",
	      {"INSERT INTO t VALUES ('a;b', 'c -- d', 'e # f', \"g;h\", '/* i */');", P, "INSERT"},
	      {"SELECT 1;", P, "SELECT"});
	/* backslash escapes and doubled quotes */
	SPLIT("INSERT INTO t VALUES ('it\\'s; fine', 'x''y;z', \"q\\\"; r\", \"a\"\"b;\");SELECT 2;",
	      {"INSERT INTO t VALUES ('it\\'s; fine', 'x''y;z', \"q\\\"; r\", \"a\"\"b;\");", P, "INSERT"},
	      {"SELECT 2;", P, "SELECT"});
	/* an escaped backslash ends before the quote: 'a\\' is closed */
	SPLIT("SELECT 'a\\\\';SELECT 3;", {"SELECT 'a\\\\';", P, "SELECT"}, {"SELECT 3;", P, "SELECT"});
	/* `quoted names` with doubled backticks; no escapes in them */
	SPLIT("CREATE TABLE `we;ird``name` (`a;b\\` INT);SELECT 1;",
	      {"CREATE TABLE `we;ird``name` (`a;b\\` INT);", IC, "CREATE TABLE"}, {"SELECT 1;", P, "SELECT"});
	/* introducers: N'', X'', B'', _charset'' */
	SPLIT("SELECT N'a;b', X'3B', b'01', _utf8mb4'x;y' COLLATE utf8mb4_bin;SELECT 1;",
	      {"SELECT N'a;b', X'3B', b'01', _utf8mb4'x;y' COLLATE utf8mb4_bin;", P, "SELECT"},
	      {"SELECT 1;", P, "SELECT"});
	/* comments: -- needs white space after it; # and C-style */
	SPLIT("SELECT 1--1;\nSELECT 5 --x;\nSELECT 6 -- not; this\n;SELECT 7 --\t;\n;SELECT 8;--",
	      {"SELECT 1--1;", P, "SELECT"}, {"SELECT 5 --x;", P, "SELECT"},
	      {"SELECT 6 -- not; this\n;", P, "SELECT"}, {"SELECT 7 --\t;\n;", P, "SELECT"}, {"SELECT 8;", P, "SELECT"});
	SPLIT("SELECT 1 # not; the end\n, 2;SELECT /* ; */ 3;/* lead; */ SELECT 4;",
	      {"SELECT 1 # not; the end\n, 2;", P, "SELECT"}, {"SELECT /* ; */ 3;", P, "SELECT"},
	      {"SELECT 4;", P, "SELECT"});
	/* CRLF line endings */
	SPLIT("CREATE TABLE t (a INT);\r\nINSERT INTO t VALUES (1); -- one\r\n\r\nSELECT 1\r\n",
	      {"CREATE TABLE t (a INT);", IC, "CREATE TABLE"}, {"INSERT INTO t VALUES (1);", P, "INSERT"},
	      {"SELECT 1", P, "SELECT"});
	/* numbers, variables and operators that look like other things */
	SPLIT("SET @a := .5e-3, @`b;c` = 1, @@session.sql_mode = 'x';SELECT 0x3B, 1abc FROM t;",
	      {"SET @a := .5e-3, @`b;c` = 1, @@session.sql_mode = 'x';", P, "SET"},
	      {"SELECT 0x3B, 1abc FROM t;", P, "SELECT"});
}

static void reads_mysqldump_output(void **state)
{
	(void)state;
	SPLIT("-- MySQL dump 10.13  Distrib 10.11.6-MariaDB\n"
	      "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
	      "/*!40101 SET NAMES utf8mb4 */;\n"
	      "/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n"
	      "/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */;\n"
	      "/*!40103 SET @OLD_AUTOCOMMIT=@@AUTOCOMMIT */;\n"
	      "\n"
	      "--\n"
	      "-- Table structure for table `users`\n"
	      "--\n"
	      "\n"
	      "DROP TABLE IF EXISTS `users`;\n"
	      "/*!40101 SET @saved_cs_client     = @@character_set_client */;\n"
	      "CREATE TABLE `users` (\n"
	      "  `id` int(11) NOT NULL AUTO_INCREMENT,\n"
	      "  `name` varchar(255) DEFAULT NULL,\n"
	      "  PRIMARY KEY (`id`)\n"
	      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;\n"
	      "/*!40101 SET character_set_client = @saved_cs_client */;\n"
	      "LOCK TABLES `users` WRITE;\n"
	      "/*!40000 ALTER TABLE `users` DISABLE KEYS */;\n"
	      "INSERT INTO `users` VALUES (1,'a;b'),(2,'it\\'s'),(3,'--x');\n"
	      "/*!40000 ALTER TABLE `users` ENABLE KEYS */;\n"
	      "UNLOCK TABLES;\n"
	      "/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;\n"
	      "DELIMITER ;;\n"
	      "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER users_bi BEFORE INSERT ON "
	      "users FOR EACH ROW BEGIN\n"
	      "  IF NEW.name IS NULL THEN SET NEW.name = 'x'; END IF;\n"
	      "END */;;\n"
	      "DELIMITER ;\n"
	      "/*!50003 SET sql_mode              = @saved_sql_mode */ ;\n"
	      "/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n",
	      {"/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;", P, "SET"},
	      {"/*!40101 SET NAMES utf8mb4 */;", P, "SET"},
	      {"/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;", P, "SET"},
	      {"/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */;", P, "SET"},
	      /* reads autocommit, sets a user variable: no change */
	      {"/*!40103 SET @OLD_AUTOCOMMIT=@@AUTOCOMMIT */;", P, "SET"},
	      {"DROP TABLE IF EXISTS `users`;", IC, "DROP TABLE"},
	      {"/*!40101 SET @saved_cs_client     = @@character_set_client */;", P, "SET"},
	      {"CREATE TABLE `users` (\n"
	       "  `id` int(11) NOT NULL AUTO_INCREMENT,\n"
	       "  `name` varchar(255) DEFAULT NULL,\n"
	       "  PRIMARY KEY (`id`)\n"
	       ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;",
	       IC, "CREATE TABLE"},
	      {"/*!40101 SET character_set_client = @saved_cs_client */;", P, "SET"},
	      {"LOCK TABLES `users` WRITE;", IC, "LOCK TABLES"},
	      {"/*!40000 ALTER TABLE `users` DISABLE KEYS */;", IC, "ALTER TABLE"},
	      {"INSERT INTO `users` VALUES (1,'a;b'),(2,'it\\'s'),(3,'--x');", P, "INSERT"},
	      {"/*!40000 ALTER TABLE `users` ENABLE KEYS */;", IC, "ALTER TABLE"},
	      {"UNLOCK TABLES;", TXO, "UNLOCK TABLES"},
	      {"/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;", P, "SET"},
	      {"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER users_bi BEFORE INSERT ON "
	       "users FOR EACH ROW BEGIN\n"
	       "  IF NEW.name IS NULL THEN SET NEW.name = 'x'; END IF;\n"
	       "END */",
	       IC, "CREATE TRIGGER"},
	      {"/*!50003 SET sql_mode              = @saved_sql_mode */ ;", P, "SET"},
	      {"/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;", P, "SET"});
	/* executable comments: without a version, with 6 digits, inside a statement */
	SPLIT("/*! SET NAMES utf8 */;/*!999999 SET a=1 */;CREATE TABLE p (a INT) /*!50100 PARTITION BY HASH (a) */;",
	      {"/*! SET NAMES utf8 */;", P, "SET"}, {"/*!999999 SET a=1 */;", P, "SET"},
	      {"CREATE TABLE p (a INT) /*!50100 PARTITION BY HASH (a) */;", IC, "CREATE TABLE"});
	/* a comment holding only a comment is no statement */
	check_none("/*!40101 */;\n/* plain */;");
}

static void keeps_routine_bodies_whole_without_delimiter(void **state)
{
	static const char procedure[] =
		"CREATE DEFINER=`admin`@`%` PROCEDURE p(IN n INT)\n"
		"BEGIN\n"
		"  DECLARE i INT DEFAULT 0;\n"
		"  DECLARE done INT DEFAULT 0;\n"
		"  DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1;\n"
		"  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;\n"
		"  lbl: LOOP\n"
		"    SET i = i + 1;\n"
		"    IF i > n THEN LEAVE lbl; ELSEIF i = 2 THEN ITERATE lbl; ELSE SET done = 0; END IF;\n"
		"    SET @x = CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END;\n"
		"    CASE i WHEN 1 THEN SELECT 'one'; WHEN 2 THEN SELECT IF(i > 1, 'a', 'b'); ELSE BEGIN END; END CASE;\n"
		"  END LOOP lbl;\n"
		"  WHILE i > 0 DO SET i = i - 1; DO IF(i > 5, 1, 0); END WHILE;\n"
		"  outer_block: BEGIN\n"
		"    REPEAT SET i = i + 1; UNTIL i >= 3 END REPEAT;\n"
		"    SELECT REPEAT('x', 3), t.end, (CASE WHEN 1 THEN 2 END) FROM t;\n"
		"  END outer_block;\n"
		"END;";
	const char *sql = tu_keep(tu_fmt("%s\nCALL p(3);\n", procedure));

	(void)state;
	SPLIT(sql, {procedure, IC, "CREATE PROCEDURE"}, {"CALL p(3);", IC, "CALL"});
	/* functions: a BEGIN body, a RETURN of a CASE expression, of IF() */
	SPLIT("CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN CASE WHEN x > 0 THEN 1 ELSE 0 END;\n"
	      "CREATE OR REPLACE FUNCTION g(x INT) RETURNS INT RETURN IF(x > 0, x, -x);\n"
	      "CREATE FUNCTION IF NOT EXISTS h() RETURNS INT BEGIN DECLARE r INT; SET r = 1; RETURN r; END;\n"
	      "SELECT f(1);",
	      {"CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN CASE WHEN x > 0 THEN 1 ELSE 0 END;", IC,
	       "CREATE FUNCTION"},
	      {"CREATE OR REPLACE FUNCTION g(x INT) RETURNS INT RETURN IF(x > 0, x, -x);", IC, "CREATE FUNCTION"},
	      {"CREATE FUNCTION IF NOT EXISTS h() RETURNS INT BEGIN DECLARE r INT; SET r = 1; RETURN r; END;", IC,
	       "CREATE FUNCTION"},
	      {"SELECT f(1);", P, "SELECT"});
	/* triggers: a one-statement body ends at its semicolon */
	SPLIT("CREATE TRIGGER t1 BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1;\n"
	      "INSERT INTO x VALUES (1);\n"
	      "CREATE TRIGGER t2 BEFORE UPDATE ON x FOR EACH ROW IF NEW.a < 0 THEN SET NEW.a = 0; END IF;\n"
	      "CREATE OR REPLACE DEFINER=`root`@`localhost` TRIGGER t3 AFTER INSERT ON x FOR EACH ROW BEGIN INSERT "
	      "INTO log VALUES (NEW.a); UPDATE c SET n = n + 1; END;\n"
	      "CREATE TRIGGER t4 BEFORE INSERT ON x FOR EACH ROW FOLLOWS t1 BEGIN SET NEW.b = 2; END;\n"
	      "CREATE TRIGGER t5 BEFORE INSERT ON x FOR EACH ROW SET NEW.c = CASE NEW.a WHEN 1 THEN 'a' END;\n"
	      "DROP TRIGGER IF EXISTS t1;",
	      {"CREATE TRIGGER t1 BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1;", IC, "CREATE TRIGGER"},
	      {"INSERT INTO x VALUES (1);", P, "INSERT"},
	      {"CREATE TRIGGER t2 BEFORE UPDATE ON x FOR EACH ROW IF NEW.a < 0 THEN SET NEW.a = 0; END IF;", IC,
	       "CREATE TRIGGER"},
	      {"CREATE OR REPLACE DEFINER=`root`@`localhost` TRIGGER t3 AFTER INSERT ON x FOR EACH ROW BEGIN INSERT "
	       "INTO log VALUES (NEW.a); UPDATE c SET n = n + 1; END;",
	       IC, "CREATE TRIGGER"},
	      {"CREATE TRIGGER t4 BEFORE INSERT ON x FOR EACH ROW FOLLOWS t1 BEGIN SET NEW.b = 2; END;", IC,
	       "CREATE TRIGGER"},
	      {"CREATE TRIGGER t5 BEFORE INSERT ON x FOR EACH ROW SET NEW.c = CASE NEW.a WHEN 1 THEN 'a' END;", IC,
	       "CREATE TRIGGER"},
	      {"DROP TRIGGER IF EXISTS t1;", IC, "DROP TRIGGER"});
	/* events: ON SCHEDULE ... DO BEGIN ... END, and ALTER EVENT ... DO */
	SPLIT("CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM log WHERE ts < NOW() - INTERVAL 30 DAY; "
	      "OPTIMIZE TABLE log; END;\n"
	      "ALTER EVENT e DO BEGIN DELETE FROM log; END;\n"
	      "CREATE PROCEDURE q() SELECT 1;\n"
	      "CREATE PROCEDURE r() label1: WHILE 1 DO LEAVE label1; END WHILE label1;\n",
	      {"CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM log WHERE ts < NOW() - INTERVAL 30 DAY; "
	       "OPTIMIZE TABLE log; END;",
	       IC, "CREATE EVENT"},
	      {"ALTER EVENT e DO BEGIN DELETE FROM log; END;", IC, "ALTER EVENT"},
	      {"CREATE PROCEDURE q() SELECT 1;", IC, "CREATE PROCEDURE"},
	      {"CREATE PROCEDURE r() label1: WHILE 1 DO LEAVE label1; END WHILE label1;", IC, "CREATE PROCEDURE"});
	/* CASE as an expression in plain statements: no nesting there */
	SPLIT("UPDATE t SET a = CASE WHEN b THEN 1 ELSE 2 END;SELECT IF(a, 1, 2), CASE a WHEN 1 THEN 'x' END FROM t;",
	      {"UPDATE t SET a = CASE WHEN b THEN 1 ELSE 2 END;", P, "UPDATE"},
	      {"SELECT IF(a, 1, 2), CASE a WHEN 1 THEN 'x' END FROM t;", P, "SELECT"});
}

static void reads_compound_statements_outside_routines(void **state)
{
	(void)state;
	/* anonymous blocks are classified by what their body runs */
	SPLIT("BEGIN NOT ATOMIC\n"
	      "  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 't' AND column_name = 'c') "
	      "THEN\n"
	      "    ALTER TABLE t ADD c INT;\n"
	      "  END IF;\n"
	      "END;\n"
	      "BEGIN NOT ATOMIC DECLARE x INT; SET x = 1; INSERT INTO t VALUES (x); END;\n"
	      "IF (SELECT COUNT(*) FROM t) = 0 THEN INSERT INTO t VALUES (1); END IF;\n"
	      /* the server refuses a label outside a routine, but the
	       * statement stays whole: one error, not several odd ones */
	      "lbl: BEGIN NOT ATOMIC SELECT 1; END lbl;\n"
	      "WHILE @i < 3 DO SET @i = @i + 1; END WHILE;\n"
	      "BEGIN NOT ATOMIC START TRANSACTION; INSERT INTO t VALUES (2); COMMIT; END;\n"
	      "SELECT 1;",
	      {"BEGIN NOT ATOMIC\n"
	       "  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 't' AND column_name = 'c') "
	       "THEN\n"
	       "    ALTER TABLE t ADD c INT;\n"
	       "  END IF;\n"
	       "END;",
	       IC, "BEGIN NOT ATOMIC"},
	      {"BEGIN NOT ATOMIC DECLARE x INT; SET x = 1; INSERT INTO t VALUES (x); END;", P, "BEGIN NOT ATOMIC"},
	      {"IF (SELECT COUNT(*) FROM t) = 0 THEN INSERT INTO t VALUES (1); END IF;", P, "IF"},
	      {"lbl: BEGIN NOT ATOMIC SELECT 1; END lbl;", P, "labelled block"},
	      {"WHILE @i < 3 DO SET @i = @i + 1; END WHILE;", P, "WHILE"},
	      {"BEGIN NOT ATOMIC START TRANSACTION; INSERT INTO t VALUES (2); COMMIT; END;", TXO, "BEGIN NOT ATOMIC"},
	      {"SELECT 1;", P, "SELECT"});
}

static void obeys_the_delimiter_command(void **state)
{
	(void)state;
	SPLIT("DELIMITER $$\n"
	      "CREATE PROCEDURE p()\n"
	      "BEGIN\n"
	      "  SELECT 1;\n"
	      "  SELECT 2;\n"
	      "END$$\n"
	      "CREATE FUNCTION f() RETURNS INT\n"
	      "BEGIN\n"
	      "  RETURN 1;\n"
	      "END $$\n"
	      "DELIMITER ;\n"
	      "CALL p();\n",
	      {"CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND", IC, "CREATE PROCEDURE"},
	      {"CREATE FUNCTION f() RETURNS INT\nBEGIN\n  RETURN 1;\nEND", IC, "CREATE FUNCTION"},
	      {"CALL p();", IC, "CALL"});
	/* any delimiter, in any case of the command; not inside strings */
	SPLIT("delimiter //\nSELECT 1//\nSELECT 'a//b'//\n  DELIMITER ;\nSELECT 3;",
	      {"SELECT 1", P, "SELECT"}, {"SELECT 'a//b'", P, "SELECT"}, {"SELECT 3;", P, "SELECT"});
	/* plain statements still end at ';' inside a section; a routine only at the delimiter */
	SPLIT("DELIMITER $$\nSELECT 1; SELECT 2$$\nCREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1; "
	      "$$\nDELIMITER ;",
	      {"SELECT 1;", P, "SELECT"}, {"SELECT 2", P, "SELECT"},
	      {"CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1;", IC, "CREATE TRIGGER"});
	/* a DELIMITER line ends a statement left without its terminator */
	SPLIT("DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END\nDELIMITER ;\nSELECT 2;",
	      {"CREATE PROCEDURE p() BEGIN SELECT 1; END", IC, "CREATE PROCEDURE"}, {"SELECT 2;", P, "SELECT"});
	/* a column named delimiter is no command */
	SPLIT("CREATE TABLE csv (\ndelimiter CHAR(1)\n);",
	      {"CREATE TABLE csv (\ndelimiter CHAR(1)\n);", IC, "CREATE TABLE"});
	check_error("SELECT 1;\nDELIMITER\n", 10, "DELIMITER without a delimiter");
}

static void classifies_transaction_control(void **state)
{
	(void)state;
	SPLIT("BEGIN;\nBEGIN WORK;\nSTART TRANSACTION READ WRITE;\nstart transaction with consistent snapshot;\n"
	      "COMMIT;\nCOMMIT WORK;\nROLLBACK;\nROLLBACK WORK;\n"
	      "SAVEPOINT s1;\nROLLBACK TO SAVEPOINT s1;\nROLLBACK WORK TO s1;\nRELEASE SAVEPOINT s1;\n"
	      "COMMIT AND CHAIN;\nCOMMIT WORK AND NO CHAIN;\nROLLBACK AND CHAIN;\nROLLBACK RELEASE;\nCOMMIT NO RELEASE;\n"
	      "XA START 'x';\nXA END 'x';\nXA COMMIT 'x';\n",
	      {"BEGIN;", LADDER_STMT_BEGIN, "BEGIN"}, {"BEGIN WORK;", LADDER_STMT_BEGIN, "BEGIN"},
	      {"START TRANSACTION READ WRITE;", LADDER_STMT_BEGIN, "START TRANSACTION"},
	      {"start transaction with consistent snapshot;", LADDER_STMT_BEGIN, "START TRANSACTION"},
	      {"COMMIT;", LADDER_STMT_COMMIT, "COMMIT"}, {"COMMIT WORK;", LADDER_STMT_COMMIT, "COMMIT"},
	      {"ROLLBACK;", LADDER_STMT_ROLLBACK, "ROLLBACK"}, {"ROLLBACK WORK;", LADDER_STMT_ROLLBACK, "ROLLBACK"},
	      {"SAVEPOINT s1;", LADDER_STMT_SAVEPOINT, "SAVEPOINT"},
	      {"ROLLBACK TO SAVEPOINT s1;", LADDER_STMT_SAVEPOINT, "ROLLBACK TO SAVEPOINT"},
	      {"ROLLBACK WORK TO s1;", LADDER_STMT_SAVEPOINT, "ROLLBACK TO SAVEPOINT"},
	      {"RELEASE SAVEPOINT s1;", LADDER_STMT_SAVEPOINT, "RELEASE SAVEPOINT"},
	      {"COMMIT AND CHAIN;", TXO, "COMMIT AND CHAIN"}, {"COMMIT WORK AND NO CHAIN;", LADDER_STMT_COMMIT, "COMMIT"},
	      {"ROLLBACK AND CHAIN;", TXO, "ROLLBACK AND CHAIN"}, {"ROLLBACK RELEASE;", TXO, "ROLLBACK RELEASE"},
	      {"COMMIT NO RELEASE;", LADDER_STMT_COMMIT, "COMMIT"}, {"XA START 'x';", TXO, "XA START"},
	      {"XA END 'x';", TXO, "XA END"}, {"XA COMMIT 'x';", TXO, "XA COMMIT"});
	SPLIT("SET autocommit = 0;\nSET @@session.autocommit=1;\nSET SESSION sql_mode = '', autocommit = 1;\n"
	      "SET @@autocommit := 0;\nSET @old = @@autocommit, @x = 1;\n"
	      "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED;\nSET NAMES utf8mb4;\n"
	      "UNLOCK TABLES;\nLOCK TABLE t WRITE, u READ;\n",
	      {"SET autocommit = 0;", TXO, "SET autocommit"}, {"SET @@session.autocommit=1;", TXO, "SET autocommit"},
	      {"SET SESSION sql_mode = '', autocommit = 1;", TXO, "SET autocommit"},
	      {"SET @@autocommit := 0;", TXO, "SET autocommit"}, {"SET @old = @@autocommit, @x = 1;", P, "SET"},
	      {"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED;", P, "SET"}, {"SET NAMES utf8mb4;", P, "SET"},
	      {"UNLOCK TABLES;", TXO, "UNLOCK TABLES"}, {"LOCK TABLE t WRITE, u READ;", IC, "LOCK TABLES"});
}

static void classifies_what_commits_implicitly(void **state)
{
	static const struct {
		const char *sql, *what;
		ladder_stmt_kind kind;
	} cases[] = {
		{"ALTER TABLE t ADD c INT;", "ALTER TABLE", IC},
		{"ALTER ONLINE IGNORE TABLE t FORCE;", "ALTER TABLE", IC},
		{"CREATE INDEX i ON t (a);", "CREATE INDEX", IC},
		{"CREATE UNIQUE INDEX i ON t (a);", "CREATE INDEX", IC},
		{"DROP INDEX i ON t;", "DROP INDEX", IC},
		{"CREATE OR REPLACE VIEW v AS SELECT 1;", "CREATE VIEW", IC},
		{"CREATE ALGORITHM=MERGE DEFINER=`a`@`%` SQL SECURITY INVOKER VIEW v AS SELECT 1;", "CREATE VIEW", IC},
		{"ALTER DEFINER=CURRENT_USER VIEW v AS SELECT 2;", "ALTER VIEW", IC},
		{"CREATE DATABASE IF NOT EXISTS d;", "CREATE DATABASE", IC},
		{"CREATE SCHEMA d;", "CREATE SCHEMA", IC},
		{"DROP DATABASE d;", "DROP DATABASE", IC},
		{"ALTER DATABASE d CHARACTER SET utf8mb4;", "ALTER DATABASE", IC},
		{"RENAME TABLE a TO b;", "RENAME TABLE", IC},
		{"RENAME USER u TO v;", "RENAME USER", IC},
		{"TRUNCATE t;", "TRUNCATE TABLE", IC},
		{"TRUNCATE TABLE t;", "TRUNCATE TABLE", IC},
		{"GRANT SELECT ON *.* TO 'u'@'%';", "GRANT", IC},
		{"REVOKE ALL ON db.* FROM u;", "REVOKE", IC},
		{"CREATE USER 'u'@'%' IDENTIFIED BY 'p;w';", "CREATE USER", IC},
		{"ALTER USER u ACCOUNT LOCK;", "ALTER USER", IC},
		{"DROP USER IF EXISTS u;", "DROP USER", IC},
		{"CREATE ROLE r;", "CREATE ROLE", IC},
		{"SET PASSWORD FOR u = PASSWORD('x;y');", "SET PASSWORD", IC},
		{"ANALYZE TABLE t;", "ANALYZE TABLE", IC},
		{"OPTIMIZE NO_WRITE_TO_BINLOG TABLE t;", "OPTIMIZE TABLE", IC},
		{"CHECK TABLE t;", "CHECK TABLE", IC},
		{"REPAIR LOCAL TABLE t;", "REPAIR TABLE", IC},
		{"CACHE INDEX t IN c;", "CACHE INDEX", IC},
		{"LOAD INDEX INTO CACHE t;", "LOAD INDEX INTO CACHE", IC},
		{"FLUSH PRIVILEGES;", "FLUSH", IC},
		{"RESET QUERY CACHE;", "RESET", IC},
		{"CREATE SEQUENCE s START WITH 1;", "CREATE SEQUENCE", IC},
		{"DROP SEQUENCE s;", "DROP SEQUENCE", IC},
		{"CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (HOST 'h');", "CREATE SERVER", IC},
		{"INSTALL SONAME 'ha_blackhole';", "INSTALL SONAME", IC},
		{"UNINSTALL PLUGIN blackhole;", "UNINSTALL PLUGIN", IC},
		{"CALL p();", "CALL", IC},
		{"EXECUTE stmt;", "EXECUTE", IC},
		{"DROP PROCEDURE IF EXISTS p;", "DROP PROCEDURE", IC},
		{"CREATE DEFINER=CURRENT_USER PROCEDURE p() SELECT 1;", "CREATE PROCEDURE", IC},
		{"CREATE PACKAGE BODY pk AS END;", "CREATE PACKAGE BODY", IC},
		{"SET STATEMENT max_statement_time=60 FOR ALTER TABLE t FORCE;", "ALTER TABLE", IC},
		{"SET STATEMENT lock_wait_timeout=5, foreign_key_checks=0 FOR INSERT INTO t VALUES (1);", "INSERT", P},
		{"CREATE TEMPORARY TABLE tmp (a INT);", "CREATE TEMPORARY TABLE", P},
		{"CREATE OR REPLACE TEMPORARY TABLE tmp AS SELECT 1;", "CREATE TEMPORARY TABLE", P},
		{"DROP TEMPORARY TABLE IF EXISTS tmp;", "DROP TEMPORARY TABLE", P},
		{"INSERT INTO t VALUES (1);", "INSERT", P},
		{"UPDATE t SET a = 1;", "UPDATE", P},
		{"DELETE FROM t;", "DELETE", P},
		{"REPLACE INTO t VALUES (1);", "REPLACE", P},
		{"SELECT * FROM t FOR UPDATE;", "SELECT", P},
		{"DO SLEEP(0);", "DO", P},
		{"LOAD DATA INFILE '/tmp/x' INTO TABLE t;", "LOAD DATA", P},
		{"WITH x AS (SELECT 1) SELECT * FROM x;", "WITH", P},
		{"(SELECT 1) UNION (SELECT 2);", "SELECT", P},
		{"PREPARE stmt FROM @sql;", "PREPARE", P},
		{"DEALLOCATE PREPARE stmt;", "DEALLOCATE PREPARE", P},
		{"DROP PREPARE stmt;", "DEALLOCATE PREPARE", P},
		{"CHECKSUM TABLE t;", "CHECKSUM", P},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_one(cases[i].sql, cases[i].kind, cases[i].what);
}

static void reads_framework_migrations(void **state)
{
	(void)state;
	/* Rails */
	SPLIT("CREATE TABLE `schema_migrations` (`version` varchar(255) NOT NULL PRIMARY KEY);\n"
	      "ALTER TABLE `users` ADD `email` varchar(255) DEFAULT '' NOT NULL;\n"
	      "CREATE UNIQUE INDEX `index_users_on_email` ON `users` (`email`);\n",
	      {"CREATE TABLE `schema_migrations` (`version` varchar(255) NOT NULL PRIMARY KEY);", IC, "CREATE TABLE"},
	      {"ALTER TABLE `users` ADD `email` varchar(255) DEFAULT '' NOT NULL;", IC, "ALTER TABLE"},
	      {"CREATE UNIQUE INDEX `index_users_on_email` ON `users` (`email`);", IC, "CREATE INDEX"});
	/* Laravel */
	SPLIT("alter table `users` add `votes` int unsigned not null default '0' after `email`;\n"
	      "alter table `users` add index `users_votes_index`(`votes`);\n",
	      {"alter table `users` add `votes` int unsigned not null default '0' after `email`;", IC, "ALTER TABLE"},
	      {"alter table `users` add index `users_votes_index`(`votes`);", IC, "ALTER TABLE"});
	/* conditional DDL through a prepared statement, a common idiom */
	SPLIT("SET @exists = (SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND "
	      "table_name = 't' AND column_name = 'c');\n"
	      "SET @sql = IF(@exists = 0, 'ALTER TABLE t ADD COLUMN c INT; -- x', 'SELECT 1');\n"
	      "PREPARE stmt FROM @sql;\nEXECUTE stmt;\nDEALLOCATE PREPARE stmt;\n",
	      {"SET @exists = (SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND "
	       "table_name = 't' AND column_name = 'c');",
	       P, "SET"},
	      {"SET @sql = IF(@exists = 0, 'ALTER TABLE t ADD COLUMN c INT; -- x', 'SELECT 1');", P, "SET"},
	      {"PREPARE stmt FROM @sql;", P, "PREPARE"}, {"EXECUTE stmt;", IC, "EXECUTE"},
	      {"DEALLOCATE PREPARE stmt;", P, "DEALLOCATE PREPARE"});
}

static void refuses_unterminated_text_where_it_starts(void **state)
{
	(void)state;
	check_error("SELECT 1;\nSELECT 'abc;\n", 17, "unterminated string");
	check_error("SELECT 'it\\'s", 7, "unterminated string");
	check_error("SELECT \"x;", 7, "unterminated string");
	check_error("SELECT x'41", 7, "unterminated string");
	check_error("SELECT `x;", 7, "unterminated quoted name");
	check_error("SELECT 1; /* never closed;", 10, "unterminated comment");
	check_error("SELECT 1;\n/*!40101 SET NAMES utf8 ;", 10, "unterminated executable comment");
	check_error("CREATE PROCEDURE p() BEGIN SELECT 1;", 0, "unterminated compound statement");
	check_error("SELECT 1;\r\nBEGIN NOT ATOMIC SELECT 1; ", 11, "unterminated compound statement");
	check_error("CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN IF 1 THEN SET NEW.a = 1; END;", 0,
	            "unterminated compound statement");
	check_error("DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1;", 13, "unterminated compound statement");
}

/* --- actions ----------------------------------------------------------------------- */

typedef struct seen {
	const char *sql;
	ladder_stmt *stmts;
	size_t nstmts;
	tu_buf out;
	int stop_after; /* return 7 from this action on (1-based); 0 never */
	int calls;
} seen;

static const char *action_name(ladder_action_kind kind)
{
	switch (kind) {
	case LADDER_ACT_CREATE_TABLE: return "CREATE_TABLE";
	case LADDER_ACT_DROP_TABLE: return "DROP_TABLE";
	case LADDER_ACT_RENAME_TABLE: return "RENAME_TABLE";
	case LADDER_ACT_COLUMN: return "COLUMN";
	case LADDER_ACT_ADD_COLUMN: return "ADD_COLUMN";
	case LADDER_ACT_DROP_COLUMN: return "DROP_COLUMN";
	case LADDER_ACT_RENAME_COLUMN: return "RENAME_COLUMN";
	case LADDER_ACT_ALTER_COLUMN_TYPE: return "ALTER_COLUMN_TYPE";
	case LADDER_ACT_ADD_CONSTRAINT: return "ADD_CONSTRAINT";
	case LADDER_ACT_CREATE_INDEX: return "CREATE_INDEX";
	case LADDER_ACT_DROP_INDEX: return "DROP_INDEX";
	case LADDER_ACT_DROP_SCHEMA: return "DROP_SCHEMA";
	case LADDER_ACT_LOCK_TABLE: return "LOCK_TABLE";
	case LADDER_ACT_FAILED: return "FAILED";
	default: return "OTHER";
	}
}

/* One line per action: KIND [schema.]table[.column] name=.. type=..
 * flags @the text at its offset (up to white space, '(' ',' or ';'). */
static int collect(void *ctx, const ladder_action *a)
{
	static const struct {
		unsigned int flag;
		const char *name;
	} flags[] = {
		{LADDER_ACTF_TEMPORARY, "TEMP"}, {LADDER_ACTF_IF_EXISTS, "IF_EXISTS"}, {LADDER_ACTF_PRIMARY_KEY, "PK"},
		{LADDER_ACTF_UNIQUE, "UNIQUE"},  {LADDER_ACTF_NOT_NULL, "NOT_NULL"},   {LADDER_ACTF_DEFAULT, "DEFAULT"},
		{LADDER_ACTF_FILLS, "FILLS"},    {LADDER_ACTF_FOREIGN_KEY, "FK"},      {LADDER_ACTF_CHECK, "CHECK"},
	};
	seen *s = ctx;
	size_t end = a->offset, k;
	int in_statement = 0;

	s->calls++;
	for (k = 0; k < s->nstmts; k++)
		if (a->stmt_offset == s->stmts[k].offset && a->offset >= s->stmts[k].offset &&
		    a->offset < s->stmts[k].offset + s->stmts[k].len)
			in_statement = 1;
	if (!in_statement && a->kind != LADDER_ACT_FAILED)
		fail_msg("action %s at %zu: stmt_offset %zu is no statement's start", action_name(a->kind), a->offset,
		         a->stmt_offset);
	if (s->out.len > 0)
		tu_buf_add(&s->out, "\n");
	tu_buf_add(&s->out, action_name(a->kind));
	tu_buf_add(&s->out, " ");
	if (a->schema[0] != '\0')
		tu_buf_add(&s->out, tu_fmt("%s.", a->schema));
	tu_buf_add(&s->out, a->table);
	if (a->column[0] != '\0')
		tu_buf_add(&s->out, tu_fmt(".%s", a->column));
	if (a->name[0] != '\0' || a->kind == LADDER_ACT_CREATE_INDEX || a->kind == LADDER_ACT_ADD_CONSTRAINT)
		tu_buf_add(&s->out, tu_fmt(" name=%s", a->name));
	if (a->type[0] != '\0')
		tu_buf_add(&s->out, tu_fmt(" type=%s", a->type));
	for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
		if (a->flags & flags[k].flag)
			tu_buf_add(&s->out, tu_fmt(" %s", flags[k].name));
	if (a->detail[0] != '\0')
		tu_buf_add(&s->out, tu_fmt(" [%s]", a->detail));
	while (s->sql[end] != '\0' && strchr(" \t\r\n(,;", s->sql[end]) == NULL)
		end++;
	tu_buf_add(&s->out, tu_fmt(" @%.*s", (int)(end - a->offset), s->sql + a->offset));
	return s->stop_after > 0 && s->calls >= s->stop_after ? 7 : 0;
}

static char *actions_of(const char *sql, int stop_after, int *rc)
{
	seen s = {0};
	size_t bad;

	s.sql = sql;
	s.stop_after = stop_after;
	if (ladder_mariadb_split(sql, strlen(sql), &s.stmts, &s.nstmts, &bad) != 0)
		s.nstmts = 0;
	*rc = ladder_mariadb_read_actions(NULL, sql, strlen(sql), collect, &s);
	ladder_free(s.stmts);
	return s.out.buf != NULL ? s.out.buf : strdup("");
}

static void check_actions(const char *sql, const char *expected)
{
	int rc;
	char *got = actions_of(sql, 0, &rc);
	assert_int_equal(rc, 0);
	if (strcmp(got, expected) != 0)
		fail_msg("actions of:\n%s\ngot:\n%s\nwant:\n%s", sql, got, expected);
	free(got);
}

static void reports_create_table_and_its_columns(void **state)
{
	(void)state;
	check_actions("CREATE TABLE IF NOT EXISTS `shop`.`Orders` (\n"
	              "  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,\n"
	              "  `user id` INT(11) NOT NULL DEFAULT 0,\n"
	              "  note VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT 'a, b',\n"
	              "  price DECIMAL(10, 2) DEFAULT '0.00',\n"
	              "  kind ENUM('a', 'b,c') NOT NULL,\n"
	              "  flag BOOLEAN,\n"
	              "  total DOUBLE PRECISION AS (price * 2) STORED,\n"
	              "  code CHARACTER VARYING(5) UNIQUE,\n"
	              "  uid INTEGER REFERENCES users (id),\n"
	              "  period INT,\n"
	              "  PRIMARY KEY (id),\n"
	              "  KEY idx_user (`user id`),\n"
	              "  CONSTRAINT fk FOREIGN KEY (uid) REFERENCES users (id),\n"
	              "  CHECK (price >= 0)\n"
	              ") ENGINE=InnoDB /*!40101 DEFAULT CHARSET=utf8mb4 */;",
	              "CREATE_TABLE shop.Orders IF_EXISTS @CREATE\n"
	              "COLUMN shop.Orders.id type=bigint unsigned NOT_NULL FILLS @id\n"
	              "COLUMN shop.Orders.user id type=int(11) NOT_NULL DEFAULT @`user\n"
	              "COLUMN shop.Orders.note type=varchar(20) @note\n"
	              "COLUMN shop.Orders.price type=decimal(10,2) DEFAULT @price\n"
	              "COLUMN shop.Orders.kind type=enum('a','b,c') NOT_NULL @kind\n"
	              "COLUMN shop.Orders.flag type=tinyint(1) @flag\n"
	              "COLUMN shop.Orders.total type=double FILLS @total\n"
	              "COLUMN shop.Orders.code type=varchar(5) UNIQUE @code\n"
	              "COLUMN shop.Orders.uid type=int FK @uid\n"
	              "COLUMN shop.Orders.period type=int @period");
	/* mysqldump's form, executable comments around it */
	check_actions("/*!40101 SET @saved_cs_client     = @@character_set_client */;\n"
	              "CREATE TABLE `users` (\n"
	              "  `id` int(11) NOT NULL AUTO_INCREMENT,\n"
	              "  `name` varchar(255) DEFAULT NULL,\n"
	              "  PRIMARY KEY (`id`)\n"
	              ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;\n"
	              "/*!40101 SET character_set_client = @saved_cs_client */;",
	              "CREATE_TABLE users @CREATE\n"
	              "COLUMN users.id type=int(11) NOT_NULL FILLS @`id`\n"
	              "COLUMN users.name type=varchar(255) DEFAULT @`name`");
	/* LIKE and AS SELECT: the table alone; TEMPORARY marks every action */
	check_actions("CREATE TABLE b LIKE a;\nCREATE TABLE c (LIKE a);\nCREATE OR REPLACE TABLE d AS SELECT * FROM a;\n"
	              "CREATE TABLE e SELECT 1 AS x;\nCREATE TEMPORARY TABLE tmp (a INT NOT NULL);",
	              "CREATE_TABLE b @CREATE\nCREATE_TABLE c @CREATE\nCREATE_TABLE d @CREATE\nCREATE_TABLE e @CREATE\n"
	              "CREATE_TABLE tmp TEMP @CREATE\nCOLUMN tmp.a type=int TEMP NOT_NULL @a");
}

static void reports_drops_renames_and_truncates(void **state)
{
	(void)state;
	check_actions("DROP TABLE IF EXISTS a, `db`.`b` CASCADE;\nDROP TEMPORARY TABLE t;\nDROP TABLE `x``y`;",
	              "DROP_TABLE a IF_EXISTS @a\nDROP_TABLE db.b IF_EXISTS @`db`.`b`\nDROP_TABLE t TEMP @t\n"
	              "DROP_TABLE x`y @`x``y`");
	check_actions("RENAME TABLE a TO b, db.c TO db.d;",
	              "RENAME_TABLE a name=b @a\nRENAME_TABLE db.c name=d @db.c");
	check_actions("DROP INDEX i ON t;\nDROP INDEX IF EXISTS `j` ON db.t;",
	              "DROP_INDEX t name=i @DROP\nDROP_INDEX db.t name=j IF_EXISTS @DROP");
	check_actions("DROP DATABASE IF EXISTS shop;\nDROP SCHEMA `s`;",
	              "DROP_SCHEMA  name=shop IF_EXISTS @DROP\nDROP_SCHEMA  name=s @DROP");
	check_actions("TRUNCATE TABLE t;\ntruncate db.u;", "LOCK_TABLE t @TRUNCATE\nLOCK_TABLE db.u @truncate");
}

static void reports_each_alter_table_clause(void **state)
{
	(void)state;
	check_actions("ALTER TABLE `app`.`users`\n"
	              "  ADD COLUMN email VARCHAR(255) NOT NULL DEFAULT '' AFTER name,\n"
	              "  ADD age INT,\n"
	              "  ADD COLUMN IF NOT EXISTS (a INT, b TEXT NOT NULL),\n"
	              "  DROP COLUMN IF EXISTS legacy,\n"
	              "  DROP old,\n"
	              "  CHANGE COLUMN nick nickname VARCHAR(50) NOT NULL,\n"
	              "  CHANGE score Score BIGINT,\n"
	              "  MODIFY COLUMN bio TEXT,\n"
	              "  MODIFY status ENUM('on','off') DEFAULT 'on',\n"
	              "  RENAME COLUMN x TO y,\n"
	              "  ADD INDEX idx_email (email),\n"
	              "  ADD UNIQUE KEY uq_nick (nickname(10)),\n"
	              "  ADD FULLTEXT INDEX ft_bio (bio),\n"
	              "  ADD INDEX (age),\n"
	              "  ADD PRIMARY KEY (id),\n"
	              "  ADD CONSTRAINT fk_team FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE,\n"
	              "  ADD CONSTRAINT uq_mail UNIQUE (email, org_id),\n"
	              "  ADD CONSTRAINT chk_age CHECK (age >= 0),\n"
	              "  ADD FOREIGN KEY (org_id) REFERENCES orgs (id),\n"
	              "  DROP INDEX idx_old,\n"
	              "  DROP KEY `k2`,\n"
	              "  DROP PRIMARY KEY,\n"
	              "  DROP FOREIGN KEY fk_old,\n"
	              "  DROP CONSTRAINT chk_old,\n"
	              "  ALTER COLUMN age SET DEFAULT 0,\n"
	              "  ENGINE = InnoDB,\n"
	              "  ALGORITHM = INPLACE, LOCK = NONE;",
	              "ADD_COLUMN app.users.email type=varchar(255) NOT_NULL DEFAULT @ADD\n"
	              "ADD_COLUMN app.users.age type=int @ADD\n"
	              "ADD_COLUMN app.users.a type=int IF_EXISTS @a\n"
	              "ADD_COLUMN app.users.b type=text IF_EXISTS NOT_NULL @b\n"
	              "DROP_COLUMN app.users.legacy IF_EXISTS @DROP\n"
	              "DROP_COLUMN app.users.old @DROP\n"
	              "RENAME_COLUMN app.users.nick name=nickname @CHANGE\n"
	              "ALTER_COLUMN_TYPE app.users.nickname type=varchar(50) NOT_NULL @CHANGE\n"
	              "ALTER_COLUMN_TYPE app.users.Score type=bigint @CHANGE\n"
	              "ALTER_COLUMN_TYPE app.users.bio type=text @MODIFY\n"
	              "ALTER_COLUMN_TYPE app.users.status type=enum('on','off') DEFAULT @MODIFY\n"
	              "RENAME_COLUMN app.users.x name=y @RENAME\n"
	              "CREATE_INDEX app.users name=idx_email @ADD\n"
	              "CREATE_INDEX app.users name=uq_nick UNIQUE @ADD\n"
	              "CREATE_INDEX app.users name=ft_bio @ADD\n"
	              "CREATE_INDEX app.users name= @ADD\n"
	              "ADD_CONSTRAINT app.users.id name=PRIMARY PK UNIQUE @ADD\n"
	              "ADD_CONSTRAINT app.users.team_id name=fk_team FK [REFERENCES teams] @ADD\n"
	              "ADD_CONSTRAINT app.users name=uq_mail UNIQUE @ADD\n"
	              "ADD_CONSTRAINT app.users name=chk_age CHECK @ADD\n"
	              "ADD_CONSTRAINT app.users.org_id name= FK [REFERENCES orgs] @ADD\n"
	              "DROP_INDEX app.users name=idx_old @DROP\n"
	              "DROP_INDEX app.users name=k2 @DROP\n"
	              "DROP_INDEX app.users name=PRIMARY PK @DROP");
	check_actions("ALTER TABLE t RENAME TO t2;\nALTER TABLE t RENAME AS db.t3;\nALTER TABLE t RENAME t4;\n"
	              "ALTER TABLE t RENAME INDEX a TO b;\nALTER TABLE t ENGINE=InnoDB;\n"
	              "ALTER TABLE t ADD c INT FIRST, ADD CONSTRAINT PRIMARY KEY (c);",
	              "RENAME_TABLE t name=t2 @RENAME\nRENAME_TABLE t name=t3 @RENAME\nRENAME_TABLE t name=t4 @RENAME\n"
	              "ADD_COLUMN t.c type=int @ADD\nADD_CONSTRAINT t.c name=PRIMARY PK UNIQUE @ADD");
	/* Laravel and Flyway forms; SET STATEMENT ... FOR */
	check_actions("alter table `users` add `votes` int unsigned not null default '0' after `email`;\n"
	              "alter table `users` add index `users_votes_index`(`votes`);\n"
	              "ALTER TABLE orders ADD CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES shop.users (id);\n"
	              "SET STATEMENT max_statement_time = 60 FOR ALTER TABLE t ADD COLUMN z DATETIME(6) NULL;",
	              "ADD_COLUMN users.votes type=int unsigned NOT_NULL DEFAULT @add\n"
	              "CREATE_INDEX users name=users_votes_index @add\n"
	              "ADD_CONSTRAINT orders.user_id name=fk_orders_user FK [REFERENCES shop.users] @ADD\n"
	              "ADD_COLUMN t.z type=datetime(6) @ADD");
}

static void reports_create_index(void **state)
{
	(void)state;
	check_actions("CREATE UNIQUE INDEX IF NOT EXISTS ux ON db.t (a, b);\nCREATE INDEX i USING BTREE ON t (a);\n"
	              "CREATE OR REPLACE FULLTEXT INDEX f ON t (c);\ncreate index `Mixed` on `T` (`a`(10) DESC);",
	              "CREATE_INDEX db.t name=ux IF_EXISTS UNIQUE @CREATE\nCREATE_INDEX t name=i @CREATE\n"
	              "CREATE_INDEX t name=f @CREATE\nCREATE_INDEX T name=Mixed @create");
}

static void reports_nothing_it_does_not_model(void **state)
{
	(void)state;
	/* a routine's body is not run when the routine is created */
	check_actions("INSERT INTO t VALUES (1);\nSELECT 1;\nCREATE VIEW v AS SELECT 1;\n"
	              "CREATE PROCEDURE p() BEGIN CREATE TABLE x (a INT); DROP TABLE y; END;\n"
	              "DROP PROCEDURE p;\n/*!40000 ALTER TABLE `users` DISABLE KEYS */;\nLOCK TABLES t WRITE;\n"
	              "BEGIN NOT ATOMIC ALTER TABLE t ADD c INT; END;\nCREATE DATABASE d;\nCALL p();",
	              "");
	/* the DELIMITER lines are the client's */
	check_actions("DELIMITER $$\nCREATE TABLE a (x INT)$$\nDELIMITER ;\nDROP TABLE a;",
	              "CREATE_TABLE a @CREATE\nCOLUMN a.x type=int @x\nDROP_TABLE a @a");
}

static void reports_unreadable_text_as_a_failure(void **state)
{
	int rc;
	char *got;

	(void)state;
	check_actions("CREATE TABLE t (a INT);\nINSERT INTO t VALUES ('x);\n",
	              "FAILED  [unterminated string] @'x)");
	/* a nonzero return from the callback stops the walk and is returned */
	got = actions_of("DROP TABLE a, b, c; DROP TABLE d;", 2, &rc);
	assert_int_equal(rc, 7);
	assert_string_equal(got, "DROP_TABLE a @a\nDROP_TABLE b @b");
	free(got);
}

static int count_actions(void *ctx, const ladder_action *action)
{
	(void)action;
	(*(int *)ctx)++;
	return 0;
}

/* Every prefix of texts full of quotes, comments, bodies and delimiters,
 * each in a buffer of exactly its length (so that a read past the end is
 * caught under ASan): split and read_actions answer or refuse, and
 * refuse only with LADDER_EPLAN at an offset inside the text. */
static void every_prefix_is_read_within_its_bounds(void **state)
{
	static const char *const texts[] = {
		"/*!40101 SET NAMES utf8 */;\nDELIMITER ;;\n/*!50003 CREATE*/ /*!50003 TRIGGER t BEFORE INSERT ON x FOR "
		"EACH ROW BEGIN IF NEW.a THEN SET NEW.b = 'x;y'; END IF; END */;;\nDELIMITER ;\nSELECT `a``b`, \"c\\\"d\", "
		"_utf8'e', X'3B', @@session.x, @'v', 1e5, .5 -- z\r\n# w\nFROM t;",
		"CREATE PROCEDURE p() BEGIN DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN END; l: LOOP CASE WHEN 1 THEN "
		"LEAVE l; END CASE; END LOOP l; END;\nALTER TABLE `d`.`t` ADD COLUMN (a INT, b ENUM('x','y')), "
		"CHANGE a b VARCHAR(3) NOT NULL, ADD CONSTRAINT c FOREIGN KEY (b) REFERENCES u (id), DROP PRIMARY KEY;",
	};
	(void)state;
	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
		size_t total = strlen(texts[t]);
		for (size_t len = 0; len <= total; len++) {
			char *copy = malloc(len > 0 ? len : 1);
			ladder_stmt *stmts = NULL;
			size_t count = 0, bad = 0;
			int rc, n = 0;

			memcpy(copy, texts[t], len);
			rc = ladder_mariadb_split(copy, len, &stmts, &count, &bad);
			if (rc != 0 && (rc != LADDER_EPLAN || bad >= len))
				fail_msg("prefix %zu of text %zu: %d at %zu", len, t, rc, bad);
			for (size_t i = 0; rc == 0 && i < count; i++)
				assert_true(stmts[i].offset + stmts[i].len <= len && stmts[i].len > 0);
			ladder_free(stmts);
			assert_int_equal(ladder_mariadb_read_actions(NULL, copy, len, count_actions, &n), 0);
			free(copy);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(splits_plain_statements_at_their_semicolons),
		cmocka_unit_test(quotes_and_comments_hide_semicolons),
		cmocka_unit_test(reads_mysqldump_output),
		cmocka_unit_test(keeps_routine_bodies_whole_without_delimiter),
		cmocka_unit_test(reads_compound_statements_outside_routines),
		cmocka_unit_test(obeys_the_delimiter_command),
		cmocka_unit_test(classifies_transaction_control),
		cmocka_unit_test(classifies_what_commits_implicitly),
		cmocka_unit_test(reads_framework_migrations),
		cmocka_unit_test(refuses_unterminated_text_where_it_starts),
		cmocka_unit_test(reports_create_table_and_its_columns),
		cmocka_unit_test(reports_drops_renames_and_truncates),
		cmocka_unit_test(reports_each_alter_table_clause),
		cmocka_unit_test(reports_create_index),
		cmocka_unit_test(reports_nothing_it_does_not_model),
		cmocka_unit_test(reports_unreadable_text_as_a_failure),
		cmocka_unit_test(every_prefix_is_read_within_its_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
