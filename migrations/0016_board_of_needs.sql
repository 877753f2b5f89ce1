-- The board of needs: a need that found no good match, posted by the company with its consent so that
-- institutions' tech-transfer contacts can answer it with one of their patents. Contacts see only the
-- need's words and industries, never who posted it; (channel, chat_id) is kept to tell the company of
-- answers and is deleted with the need (withdrawn, expired and pruned, or /forget).
CREATE TABLE board_needs (
    id            BIGSERIAL PRIMARY KEY,
    channel       TEXT NOT NULL,
    chat_id       BIGINT NOT NULL,
    lang          TEXT NOT NULL,
    need          TEXT NOT NULL CHECK (char_length(need) BETWEEN 1 AND 2000),
    -- The industries the need is about (its industry filter, or those of its closest patents); contacts
    -- see it when one of their institution's patents is in one of them. Empty: shown to every contact.
    industries    TEXT[] NOT NULL DEFAULT '{}',
    posted_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ NOT NULL,
    withdrawn_at  TIMESTAMPTZ
);
CREATE INDEX board_needs_open ON board_needs (expires_at) WHERE withdrawn_at IS NULL;
CREATE INDEX board_needs_of_chat ON board_needs (channel, chat_id);

-- An institution's answer: one of its patents, with a short offer. One answer per patent and need.
CREATE TABLE board_answers (
    id              BIGSERIAL PRIMARY KEY,
    need_id         BIGINT NOT NULL REFERENCES board_needs (id) ON DELETE CASCADE,
    institution_id  BIGINT NOT NULL REFERENCES institutions (id),
    patent_number   TEXT NOT NULL,
    offer           TEXT NOT NULL DEFAULT '' CHECK (char_length(offer) <= 500),
    -- Who answered (channel and user id of the contact), for the audit of who did what.
    channel         TEXT NOT NULL,
    user_id         BIGINT NOT NULL,
    answered_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (need_id, patent_number)
);
CREATE INDEX board_answers_by_institution ON board_answers (institution_id, need_id);
