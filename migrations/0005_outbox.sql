-- Updates are processed per chat in order: the chat is stored with each update so a worker can take the
-- oldest pending update of a chat no other worker is handling.
ALTER TABLE telegram_updates ADD COLUMN chat_id BIGINT;
UPDATE telegram_updates SET chat_id = (payload->>'chat_id')::bigint WHERE payload ? 'chat_id';
CREATE INDEX telegram_updates_pending_chat ON telegram_updates (chat_id, update_id) WHERE processed_at IS NULL;

-- Messages waiting to be delivered, written in the same transaction as the change that caused them (a
-- reply, a lead for an institution's contact, a status notice), so a crash loses none and doubles none.
CREATE TABLE outbox (
    id               BIGSERIAL PRIMARY KEY,
    channel          TEXT NOT NULL,
    chat_id          BIGINT NOT NULL,
    message          JSONB NOT NULL,
    -- Set when delivering this message moves an enquiry forward (forwarded -> delivered).
    enquiry_id       BIGINT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts         INT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at          TIMESTAMPTZ,
    dead_at          TIMESTAMPTZ,
    last_error       TEXT
);
-- Pending messages, per chat in order: only the oldest of a chat is ever claimed, so a chat's messages
-- arrive in the order they were written even with several senders.
CREATE INDEX outbox_pending ON outbox (channel, chat_id, id) WHERE sent_at IS NULL AND dead_at IS NULL;
