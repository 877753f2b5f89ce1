-- Catalogue imports started from the web console: their progress (bytes read of the uploaded file) and,
-- once finished, their report (counts and the FILE:LINE list) or the error that stopped them. In the
-- database, not in one process's memory, so the progress page works whichever process serves it.
CREATE TABLE import_jobs (
    id           BIGSERIAL PRIMARY KEY,
    file         TEXT NOT NULL,
    started_by   TEXT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    bytes_total  BIGINT NOT NULL DEFAULT 0,
    bytes_done   BIGINT NOT NULL DEFAULT 0,
    finished_at  TIMESTAMPTZ,
    report       JSONB,
    error        TEXT
);
