CREATE TABLE t (id bigint PRIMARY KEY, country varchar(2));
