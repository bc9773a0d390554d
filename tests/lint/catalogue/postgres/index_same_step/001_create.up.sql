CREATE TABLE t (id bigint PRIMARY KEY, a text);
CREATE INDEX t_a ON t (a);
