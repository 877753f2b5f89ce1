-- The patent catalogue: institutions, their tech-transfer contacts, and patents.
-- The database enforces the interchange format's rules itself, so no writer (import, admin SQL, a future
-- API) can store a record the format forbids.

CREATE SEQUENCE catalog_change_seq;

CREATE TABLE institutions (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 200),
    region      TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE contacts (
    id               BIGSERIAL PRIMARY KEY,
    institution_id   BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    -- Order of the contact inside its institution record, so an export gives the list back as imported.
    position         INT NOT NULL,
    name             TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    email            TEXT,
    telegram_chat_id BIGINT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (institution_id, name)
);

CREATE TABLE patents (
    id                    BIGSERIAL PRIMARY KEY,
    number                TEXT NOT NULL UNIQUE CHECK (number ~ '^CN[0-9]{9}[ABCUYS]$'),
    title                 TEXT NOT NULL CHECK (char_length(title) <= 200),
    abstract              TEXT NOT NULL CHECK (char_length(abstract) <= 20000),
    claims                TEXT CHECK (char_length(claims) <= 20000),
    keywords              TEXT[] NOT NULL DEFAULT '{}',
    ipc                   TEXT[] NOT NULL DEFAULT '{}',
    patent_type           TEXT NOT NULL CHECK (patent_type IN ('invention', 'utility_model', 'design')),
    legal_status          TEXT NOT NULL CHECK (legal_status IN ('granted', 'pending', 'lapsed')),
    institution_id        BIGINT NOT NULL REFERENCES institutions (id),
    inventors             TEXT[] NOT NULL DEFAULT '{}',
    application_date      DATE,
    industry              TEXT NOT NULL DEFAULT '',
    license_modes         TEXT[] NOT NULL CHECK (
                              cardinality(license_modes) >= 1
                              AND license_modes <@ ARRAY['transfer', 'exclusive', 'sole', 'ordinary', 'open']),
    open_payment          TEXT CHECK (open_payment IN ('lump_sum', 'royalty', 'entry_plus_royalty')),
    open_fee_cny          BIGINT CHECK (open_fee_cny >= 0),
    open_royalty_percent  DOUBLE PRECISION CHECK (open_royalty_percent > 0 AND open_royalty_percent <= 100),
    open_term_years       INT CHECK (open_term_years >= 1),
    asking_price_cny      BIGINT CHECK (asking_price_cny >= 0),
    rating_institution    SMALLINT CHECK (rating_institution BETWEEN 1 AND 5),
    rating_enterprise     SMALLINT CHECK (rating_enterprise BETWEEN 1 AND 5),
    -- Bumped on every insert and update; the matching index catches up from the highest value it has seen.
    change_seq            BIGINT NOT NULL DEFAULT nextval('catalog_change_seq'),
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),

    -- Patent Law arts. 50-52: an open licence only on a granted patent, never with an exclusive or sole one.
    CONSTRAINT open_licence_terms_present CHECK (
        ('open' = ANY (license_modes)) = (open_payment IS NOT NULL)),
    CONSTRAINT open_licence_only_granted CHECK (
        NOT ('open' = ANY (license_modes)) OR legal_status = 'granted'),
    CONSTRAINT open_licence_not_exclusive CHECK (
        NOT ('open' = ANY (license_modes) AND license_modes && ARRAY['exclusive', 'sole'])),
    CONSTRAINT open_licence_fee_matches_payment CHECK (
        (open_fee_cny IS NOT NULL) = COALESCE(open_payment IN ('lump_sum', 'entry_plus_royalty'), false)),
    CONSTRAINT open_licence_royalty_matches_payment CHECK (
        (open_royalty_percent IS NOT NULL) = COALESCE(open_payment IN ('royalty', 'entry_plus_royalty'), false)),
    CONSTRAINT open_licence_term_with_payment CHECK ((open_payment IS NULL) = (open_term_years IS NULL)),
    CONSTRAINT has_some_text CHECK (btrim(title) <> '' OR btrim(abstract) <> ''),
    CONSTRAINT rating_needs_institution_side CHECK (
        rating_enterprise IS NULL OR rating_institution IS NOT NULL)
);

-- Deliberately no secondary indexes on patents: each one costs about a tenth of bulk-import throughput.
-- Readers that scan by change_seq (the matching index catching up) do so once per import, after checking the
-- sequence's last value; institutions are never deleted, so the foreign key needs no index either.

CREATE FUNCTION bump_patent_change_seq() RETURNS trigger AS $$
BEGIN
    NEW.change_seq := nextval('catalog_change_seq');
    NEW.updated_at := now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER patents_bump_change_seq BEFORE UPDATE ON patents
    FOR EACH ROW EXECUTE FUNCTION bump_patent_change_seq();
