-- Poison updates never block others. An update the inbox cannot store, or the bot cannot handle, after a
-- bounded number of tries is parked here (its raw bytes, as Telegram sent them or as the inbox held them)
-- and the bot moves on; operators see it in /outbox and in /metrics.
CREATE TABLE parked_updates (
    id          BIGSERIAL PRIMARY KEY,
    -- Null when Telegram's body could not even be read as an update.
    update_id   BIGINT,
    channel     TEXT NOT NULL,
    -- bytea, not text: what could not be stored as text (a NUL, say) must still be kept exactly.
    raw         BYTEA NOT NULL,
    error       TEXT NOT NULL,
    attempts    INT NOT NULL,
    parked_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX parked_updates_by_time ON parked_updates (parked_at);

-- A stored update whose handling failed is tried again only after this time, so one poison update does not
-- hold every worker (the claim takes the oldest pending update first).
ALTER TABLE telegram_updates ADD COLUMN retry_at TIMESTAMPTZ;
