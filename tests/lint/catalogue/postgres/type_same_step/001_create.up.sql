CREATE TABLE t (id bigint PRIMARY KEY, qty integer);
ALTER TABLE t ALTER COLUMN qty TYPE bigint;
