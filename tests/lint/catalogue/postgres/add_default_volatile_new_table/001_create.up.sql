CREATE TABLE t (id bigint PRIMARY KEY);
ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid();
