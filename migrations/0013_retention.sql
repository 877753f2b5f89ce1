-- Retention: handled updates, delivered messages and audit entries are deleted by age once a day
-- (`queqiao prune`). These indexes find the old ones without reading the whole table; each only covers
-- the rows that can ever be pruned. (usage_events already has usage_events_at.)
CREATE INDEX telegram_updates_handled ON telegram_updates (processed_at) WHERE processed_at IS NOT NULL;
CREATE INDEX outbox_delivered ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX audit_log_at ON audit_log (at);
