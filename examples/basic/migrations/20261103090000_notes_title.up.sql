-- ladder:foreign-keys off
-- SQLite's ALTER TABLE cannot add a constrained column, so rebuild the table
-- (https://www.sqlite.org/lang_altertable.html#otheralter); ladder checks
-- PRAGMA foreign_key_check before it commits.
CREATE TABLE notes_new (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title   TEXT NOT NULL DEFAULT '' CHECK (length(title) <= 200),
    body    TEXT NOT NULL
);
INSERT INTO notes_new (id, user_id, body) SELECT id, user_id, body FROM notes;
DROP TABLE notes;
ALTER TABLE notes_new RENAME TO notes;
CREATE INDEX notes_user ON notes(user_id);
