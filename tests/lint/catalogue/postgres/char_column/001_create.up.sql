CREATE TABLE t (id bigint PRIMARY KEY, country char(2));
