CREATE TABLE t (id bigint PRIMARY KEY, code varchar(10));
