-- Enquiry forwarding: institutions' registered chat contacts, single-use invite codes, enquiries with
-- their status history.

-- A tech-transfer staff member's chat, registered with an invite code; leads for the institution go here.
CREATE TABLE contact_chats (
    id              BIGSERIAL PRIMARY KEY,
    institution_id  BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    channel         TEXT NOT NULL,
    chat_id         BIGINT NOT NULL,
    user_id         BIGINT NOT NULL,
    registered_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (channel, chat_id)
);

CREATE TABLE invites (
    code            TEXT PRIMARY KEY,
    institution_id  BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ,
    used_by         BIGINT
);

CREATE TABLE enquiries (
    id              BIGSERIAL PRIMARY KEY,
    patent_number   TEXT NOT NULL,
    institution_id  BIGINT NOT NULL REFERENCES institutions (id),
    channel         TEXT NOT NULL,
    chat_id         BIGINT NOT NULL,
    company         TEXT NOT NULL,
    person          TEXT NOT NULL,
    contact         TEXT NOT NULL,
    message         TEXT NOT NULL,
    mode            TEXT NOT NULL CHECK (mode IN ('transfer', 'license', 'open')),
    status          TEXT NOT NULL CHECK (status IN
                        ('submitted', 'forwarded', 'delivered', 'accepted', 'declined', 'info_requested', 'closed')),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- One open enquiry per company and patent; the database enforces it even against two racing requests.
CREATE UNIQUE INDEX enquiries_one_open ON enquiries (channel, chat_id, patent_number)
    WHERE status NOT IN ('declined', 'closed');
CREATE INDEX enquiries_by_company ON enquiries (channel, chat_id, created_at);
CREATE INDEX enquiries_by_institution ON enquiries (institution_id, status);

CREATE TABLE enquiry_events (
    id          BIGSERIAL PRIMARY KEY,
    enquiry_id  BIGINT NOT NULL REFERENCES enquiries (id) ON DELETE CASCADE,
    status      TEXT NOT NULL,
    note        TEXT,
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX enquiry_events_of ON enquiry_events (enquiry_id, id);

ALTER TABLE outbox ADD CONSTRAINT outbox_enquiry FOREIGN KEY (enquiry_id) REFERENCES enquiries (id) ON DELETE SET NULL;
