SET lock_timeout = '2s';
-- ladder:lint-ignore drop-colum because typo
ALTER TABLE t DROP COLUMN n;
