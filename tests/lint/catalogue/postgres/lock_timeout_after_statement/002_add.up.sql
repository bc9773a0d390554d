ALTER TABLE t ADD COLUMN b text;
SET lock_timeout = '2s';
ALTER TABLE t ADD COLUMN c text;
