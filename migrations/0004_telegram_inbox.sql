-- Telegram updates as received: stored (idempotently, by update_id) before Telegram is told they arrived,
-- then processed from here, so an update survives a crash between the two.
CREATE TABLE telegram_updates (
    update_id     BIGINT PRIMARY KEY,
    payload       JSONB NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at  TIMESTAMPTZ,
    attempts      INT NOT NULL DEFAULT 0,
    last_error    TEXT
);
CREATE INDEX telegram_updates_pending ON telegram_updates (update_id) WHERE processed_at IS NULL;
