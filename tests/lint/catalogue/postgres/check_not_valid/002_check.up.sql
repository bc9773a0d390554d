SET lock_timeout = '2s';
ALTER TABLE t ADD CONSTRAINT t_n_positive CHECK (n > 0) NOT VALID;
