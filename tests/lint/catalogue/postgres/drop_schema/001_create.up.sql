CREATE SCHEMA archive;
CREATE TABLE archive.t (id bigint PRIMARY KEY);
