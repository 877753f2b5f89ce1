-- Thumbs on results are votes: one per user and patent, changed or withdrawn by pressing again; the
-- statistics count votes, not presses. (Thumb presses recorded before this migration stay in
-- usage_events, where nothing counts them any more: they cannot be told apart per user.)
CREATE TABLE patent_votes (
    channel        TEXT NOT NULL,
    user_id        BIGINT NOT NULL,
    patent_number  TEXT NOT NULL,
    -- As shown with the result, like usage_events: the statistics of one institution filter on it.
    institution    TEXT NOT NULL,
    up             BOOLEAN NOT NULL,
    at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, user_id, patent_number)
);
CREATE INDEX patent_votes_at ON patent_votes (at);

-- Group chats of institutions: a tech-transfer office's group (several staff, one inbox of leads). A
-- registered contact sends /group there (or registers there with an invite code); the institution's
-- leads, answers and reminders then go to its groups instead of its contacts' own chats. Who may act
-- on a lead is decided by the contact's user id, never by the chat.
CREATE TABLE institution_groups (
    id              BIGSERIAL PRIMARY KEY,
    institution_id  BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    channel         TEXT NOT NULL,
    chat_id         BIGINT NOT NULL,
    -- The contact who registered the group (cleared when that person uses /forget).
    added_by        BIGINT,
    added_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (channel, chat_id)
);
CREATE INDEX institution_groups_of ON institution_groups (institution_id);

-- Contacts are people: a row's chat is the person's own chat (a private chat's id is its user's). A
-- row registered in a group before this migration (chat <> user) made the whole group a "contact":
-- the group becomes the institution's group, and the person who registered it its contact.
INSERT INTO institution_groups (institution_id, channel, chat_id, added_by)
SELECT DISTINCT ON (channel, chat_id) institution_id, channel, chat_id, user_id
FROM contact_chats WHERE chat_id <> user_id
ORDER BY channel, chat_id, registered_at DESC
ON CONFLICT (channel, chat_id) DO NOTHING;
-- One row per person: their own chat's row wins, then their latest registration.
DELETE FROM contact_chats c USING contact_chats d
WHERE c.chat_id <> c.user_id AND d.channel = c.channel AND d.user_id = c.user_id
  AND (d.chat_id = d.user_id OR d.registered_at > c.registered_at OR (d.registered_at = c.registered_at AND d.id > c.id));
UPDATE contact_chats SET chat_id = user_id WHERE chat_id <> user_id;
CREATE UNIQUE INDEX contact_chats_user ON contact_chats (channel, user_id);
