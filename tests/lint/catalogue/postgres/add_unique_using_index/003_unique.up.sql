SET lock_timeout = '2s';
ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE USING INDEX t_a_key;
