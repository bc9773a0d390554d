CREATE TABLE t (id bigint PRIMARY KEY, price numeric(10,2));
