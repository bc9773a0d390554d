SET lock_timeout = '2s';
DROP SCHEMA archive CASCADE;
