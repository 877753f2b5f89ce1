-- Open-licence declarations travel like enquiries; the terms the company accepted are kept with them.
ALTER TABLE enquiries ADD COLUMN kind TEXT NOT NULL DEFAULT 'enquiry' CHECK (kind IN ('enquiry', 'declaration'));
ALTER TABLE enquiries ADD COLUMN terms TEXT;

-- Companies rate a patent when their enquiry closes; one rating per enquiry.
CREATE TABLE enterprise_ratings (
    enquiry_id  BIGINT PRIMARY KEY REFERENCES enquiries (id) ON DELETE CASCADE,
    patent_id   BIGINT NOT NULL REFERENCES patents (id) ON DELETE CASCADE,
    rating      SMALLINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Running totals, so reading a patent needs no aggregate; the imported rating acts as one prior vote.
ALTER TABLE patents ADD COLUMN rating_feedback_sum INT NOT NULL DEFAULT 0;
ALTER TABLE patents ADD COLUMN rating_feedback_count INT NOT NULL DEFAULT 0;
