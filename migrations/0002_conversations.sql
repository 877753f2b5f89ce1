-- Conversation state per chat, so a restart loses no conversation. The state is the engine's own
-- structure (dialog, step, script version, slots, language, results page) as JSON.
CREATE TABLE conversations (
    channel     TEXT NOT NULL CHECK (channel IN ('console', 'telegram')),
    chat_id     BIGINT NOT NULL,
    state       JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, chat_id)
);
