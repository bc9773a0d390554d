SET lock_timeout = '2s';
ALTER TABLE t ADD COLUMN seen_at timestamp;
