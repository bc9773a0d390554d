CREATE TABLE t (id bigint PRIMARY KEY, a text, n bigint);
ALTER TABLE t DROP COLUMN n;
