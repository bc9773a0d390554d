-- ladder:lint-ignore drop-table because t moved to the archive database in release 3
DROP TABLE t;
