SET lock_timeout = '2s';
-- ladder:lint-ignore drop-column because nothing has read n since release 4.2
ALTER TABLE t DROP COLUMN n;
