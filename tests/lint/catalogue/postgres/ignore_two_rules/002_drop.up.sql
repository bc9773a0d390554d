-- ladder:lint-ignore drop-column,lock-timeout-missing because the table is tiny and n is unused
ALTER TABLE t DROP COLUMN n;
