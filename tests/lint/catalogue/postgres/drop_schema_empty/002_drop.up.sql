DROP SCHEMA scratch;
