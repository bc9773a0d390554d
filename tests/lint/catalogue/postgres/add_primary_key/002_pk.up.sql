SET lock_timeout = '2s';
ALTER TABLE t ADD PRIMARY KEY (id);
