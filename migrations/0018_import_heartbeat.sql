-- A running import's process writes its progress every half second; the heartbeat says when it last did.
-- An unfinished import whose heartbeat stopped belonged to a process that stopped (a restart, a crash):
-- its transaction was rolled back, and the console shows it as interrupted instead of running for ever.
ALTER TABLE import_jobs ADD COLUMN heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now();
