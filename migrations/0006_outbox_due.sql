-- Senders take pending messages oldest first; without this index every claim sorted the whole backlog.
CREATE INDEX outbox_due ON outbox (id) WHERE sent_at IS NULL AND dead_at IS NULL;
