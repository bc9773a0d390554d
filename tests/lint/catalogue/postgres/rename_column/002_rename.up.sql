SET lock_timeout = '2s';
ALTER TABLE t RENAME COLUMN a TO title;
