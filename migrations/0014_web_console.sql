-- The web console: one-time sign-in links sent in the chat (`/web`) and the sessions they open. Only
-- SHA-256 hashes of the link tokens and session ids are stored, so a copy of the database signs nobody in.
-- Who signed in is (channel, chat_id, user_id); the role (contact or admin) is looked up on every request.
CREATE TABLE web_links (
    token_hash  BYTEA PRIMARY KEY,
    channel     TEXT NOT NULL,
    chat_id     BIGINT NOT NULL,
    user_id     BIGINT NOT NULL,
    lang        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX web_links_expiry ON web_links (expires_at);

CREATE TABLE web_sessions (
    id_hash     BYTEA PRIMARY KEY,
    channel     TEXT NOT NULL,
    chat_id     BIGINT NOT NULL,
    user_id     BIGINT NOT NULL,
    lang        TEXT NOT NULL,
    -- Every state-changing form carries it; compared in constant time.
    csrf        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
