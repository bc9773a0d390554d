SET lock_timeout = '2s';
ALTER TABLE t RENAME TO things;
