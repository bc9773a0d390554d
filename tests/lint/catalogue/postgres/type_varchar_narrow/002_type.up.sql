SET lock_timeout = '2s';
ALTER TABLE t ALTER COLUMN code TYPE varchar(10);
