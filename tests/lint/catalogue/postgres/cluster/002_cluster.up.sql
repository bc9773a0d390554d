SET lock_timeout = '2s';
CLUSTER t USING t_a;
