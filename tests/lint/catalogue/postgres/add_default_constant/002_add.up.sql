SET lock_timeout = '2s';
ALTER TABLE t ADD COLUMN state text DEFAULT 'new';
