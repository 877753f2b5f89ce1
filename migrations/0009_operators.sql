-- Operators: anonymous usage statistics, saved needs with pushes, the audit log, privacy notices.

-- What happened, without who: no chat id, no free text beyond the words of a need.
CREATE TABLE usage_events (
    id             BIGSERIAL PRIMARY KEY,
    at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    kind           TEXT NOT NULL CHECK (kind IN ('search', 'no_match', 'shown', 'details', 'thumb_up', 'thumb_down')),
    patent_number  TEXT,
    institution    TEXT,
    industry       TEXT,
    terms          TEXT[]
);
CREATE INDEX usage_events_at ON usage_events (at);

-- A company's saved need: pushed once per new or changed patent that matches it well.
CREATE TABLE subscriptions (
    id           BIGSERIAL PRIMARY KEY,
    channel      TEXT NOT NULL,
    chat_id      BIGINT NOT NULL,
    need         TEXT NOT NULL,
    filters      JSONB NOT NULL,
    lang         TEXT NOT NULL,
    -- Only patents changed after the subscription are news to it.
    created_seq  BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_of ON subscriptions (channel, chat_id);

CREATE TABLE subscription_pushes (
    subscription_id  BIGINT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    patent_number    TEXT NOT NULL,
    at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (subscription_id, patent_number)
);

-- How far the push worker has looked at catalogue changes (one row; locked by the process doing it).
CREATE TABLE subscription_cursor (
    id          INT PRIMARY KEY CHECK (id = 1),
    change_seq  BIGINT NOT NULL
);
INSERT INTO subscription_cursor (id, change_seq) SELECT 1, coalesce(max(change_seq), 0) FROM patents;

CREATE TABLE audit_log (
    id       BIGSERIAL PRIMARY KEY,
    at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    channel  TEXT NOT NULL,
    user_id  BIGINT NOT NULL,
    action   TEXT NOT NULL,
    detail   TEXT
);

-- Companies that have read the privacy notice (shown before their first enquiry).
CREATE TABLE privacy_notices (
    channel  TEXT NOT NULL,
    chat_id  BIGINT NOT NULL,
    at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, chat_id)
);
