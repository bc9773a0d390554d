-- migrate:up
CREATE TABLE notes (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    body    TEXT NOT NULL
);
CREATE INDEX notes_user ON notes(user_id);

-- migrate:down
DROP TABLE notes;
