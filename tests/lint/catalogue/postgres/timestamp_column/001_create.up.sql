CREATE TABLE t (id bigint PRIMARY KEY, created_at timestamp NOT NULL);
