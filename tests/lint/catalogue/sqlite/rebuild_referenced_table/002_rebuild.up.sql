CREATE TABLE p_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO p_new (id, name) SELECT id, coalesce(name, '') FROM p;
DROP TABLE p;
ALTER TABLE p_new RENAME TO p;
