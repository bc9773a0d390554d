SET lock_timeout = '2s';
ALTER TABLE t ADD CONSTRAINT t_n_not_null CHECK (n IS NOT NULL) NOT VALID;
