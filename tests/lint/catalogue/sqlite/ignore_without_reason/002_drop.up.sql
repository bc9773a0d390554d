-- ladder:lint-ignore drop-table
DROP TABLE t;
