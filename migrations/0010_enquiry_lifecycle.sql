-- The enquiry lifecycle: the history holds only the statuses `enquiry::store::Status` knows (as
-- `enquiries.status` already does), and a lead's contact is reminded once when it waits too long.
ALTER TABLE enquiry_events ADD CONSTRAINT enquiry_events_status CHECK (status IN
    ('submitted', 'forwarded', 'delivered', 'accepted', 'declined', 'info_requested', 'closed'));
ALTER TABLE enquiries ADD COLUMN reminded_at TIMESTAMPTZ;
-- Reminders look for delivered leads by age.
CREATE INDEX enquiries_waiting ON enquiries (updated_at) WHERE status = 'delivered' AND reminded_at IS NULL;
