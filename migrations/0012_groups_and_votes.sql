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
