CREATE TABLE t (id bigint PRIMARY KEY, created_at timestamptz NOT NULL);
