SET lock_timeout = '2s';
ALTER TABLE t ADD COLUMN bucket bigint DEFAULT (random() * 100)::bigint;
