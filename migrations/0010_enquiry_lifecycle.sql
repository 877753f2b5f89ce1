-- The enquiry lifecycle: the history holds only the statuses `enquiry::store::Status` knows (as
-- `enquiries.status` already does), and a lead's contact is reminded once when it waits too long.
ALTER TABLE enquiry_events ADD CONSTRAINT enquiry_events_status CHECK (status IN
    ('submitted', 'forwarded', 'delivered', 'accepted', 'declined', 'info_requested', 'closed'));
ALTER TABLE enquiries ADD COLUMN reminded_at TIMESTAMPTZ;
-- Reminders look for delivered leads by age.
CREATE INDEX enquiries_waiting ON enquiries (updated_at) WHERE status = 'delivered' AND reminded_at IS NULL;

-- A company's contact details as it confirmed them in its last enquiry, offered for reuse (and editable)
-- in the next one; personal data: `/forget` deletes the row.
CREATE TABLE company_profiles (
    channel     TEXT NOT NULL,
    chat_id     BIGINT NOT NULL,
    company     TEXT NOT NULL,
    person      TEXT NOT NULL,
    contact     TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, chat_id)
);
