SET lock_timeout = '2s';
ALTER TABLE t ADD COLUMN n2 bigint GENERATED ALWAYS AS (n * 2) STORED;
