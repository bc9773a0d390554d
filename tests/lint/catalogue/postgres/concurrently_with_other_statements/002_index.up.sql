SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY t_a ON t (a);
ALTER TABLE t ADD COLUMN b text;
