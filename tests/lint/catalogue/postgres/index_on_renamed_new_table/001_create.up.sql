CREATE TABLE t_tmp (id bigint PRIMARY KEY, a text);
ALTER TABLE t_tmp RENAME TO t;
CREATE INDEX t_a ON t (a);
