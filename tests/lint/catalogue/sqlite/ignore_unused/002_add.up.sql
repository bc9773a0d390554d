-- ladder:lint-ignore drop-table because nothing
ALTER TABLE t ADD COLUMN b TEXT;
