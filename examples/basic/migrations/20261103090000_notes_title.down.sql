-- ladder:foreign-keys off
CREATE TABLE notes_old (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    body    TEXT NOT NULL
);
INSERT INTO notes_old (id, user_id, body) SELECT id, user_id, body FROM notes;
DROP TABLE notes;
ALTER TABLE notes_old RENAME TO notes;
CREATE INDEX notes_user ON notes(user_id);
