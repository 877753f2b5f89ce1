-- The web console's script editor: every version of a dialog script file that a publish (or a rollback)
-- replaced, so that an admin can compare it with the current text and publish it again. The current text
-- is the file itself; this table holds what came before.
CREATE TABLE script_history (
    id                BIGSERIAL PRIMARY KEY,
    -- The file's name in the dialogs folder (`intake.toml`).
    file              TEXT NOT NULL,
    -- The replaced version, exactly as it was on disk.
    content           TEXT NOT NULL,
    -- Who published this version with the editor, and when; NULL when it came from elsewhere (the folder
    -- as deployed, or an edit by hand after the last publish).
    published_channel TEXT,
    published_by      BIGINT,
    published_at      TIMESTAMPTZ,
    -- What replaced it: a publish, or a rollback to the earlier version `rollback_of`; by whom and when.
    replaced_how      TEXT NOT NULL CHECK (replaced_how IN ('publish', 'rollback')),
    rollback_of       BIGINT REFERENCES script_history (id),
    replaced_channel  TEXT NOT NULL,
    replaced_by       BIGINT NOT NULL,
    replaced_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- SHA-256 of the text that replaced it: whether the file still holds what was published then.
    replaced_sha      BYTEA NOT NULL,
    CHECK ((replaced_how = 'rollback') = (rollback_of IS NOT NULL))
);
CREATE INDEX script_history_file ON script_history (file, id DESC);

-- The editor's tries are conversations on the channel `web-try`, played inside a transaction that is
-- always rolled back (so no such row is ever committed), apart from every real chat.
ALTER TABLE conversations DROP CONSTRAINT conversations_channel_check;
ALTER TABLE conversations ADD CONSTRAINT conversations_channel_check
    CHECK (channel IN ('console', 'telegram', 'web-try'));
