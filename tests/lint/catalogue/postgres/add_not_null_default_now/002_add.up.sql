SET lock_timeout = '2s';
ALTER TABLE t ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
