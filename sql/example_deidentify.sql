-- Worked example (SPEC §2): building the de-identified schema `deid` from an
-- identified case-management table. Everything here is fictional; adapt the
-- `cms_example` tables to your case-management system's extract.
--
--   psql -v ON_ERROR_STOP=1 -v secret="$(cat /etc/casa/deid.key)" \
--        [-v target=deid] -f sql/example_deidentify.sql
--
-- It REPLACES the contents of the target schema (default `deid`, which must
-- exist: apply sql/schema.sql first) in one transaction, so the daemon sees
-- either the old extract or the new one, never half of it. The optional
-- trafficking_identifications table is filled when the target has it (drop
-- it from the target if your system does not record identifications).
--
-- The choices, and why:
--   * Keys are a keyed hash (HMAC-SHA-256) of the identifier, first 8 bytes as
--     a bigint. A plain hash of a case number can be reversed by hashing every
--     possible case number; a keyed hash cannot without the key. The same key
--     gives the same pseudonym on every load, so refreshes line up. 64 bits
--     make a collision negligible (about n^2 / 2^65: ~3e-8 for a million
--     children), and the primary keys would reject one rather than merge two
--     children silently. Each table hashes with its own prefix, so a child's
--     key and an episode's key cannot be matched against each other.
--   * The key lives outside the database (a file readable by the ETL only).
--     Rotating it changes every pseudonym: that is a full re-extract, not an
--     update.
--   * Birth date is truncated to the month: age in whole years (SPEC §3) and
--     age bands need no more, and an exact birth date together with a county
--     is close to identifying.
--   * Nothing else leaves: no names, case numbers, addresses, caseworker or
--     advocate names, narratives. Event dates stay exact because every metric
--     is built on them; they are never published row by row (the daemon only
--     serves aggregates, behind disclosure control, SPEC §5).
--   * Codes are mapped to the contract's code lists here, in the ETL; an
--     unmapped code is passed through and shows in the daemon's data-quality
--     report instead of being guessed.
\set ON_ERROR_STOP 1
\if :{?secret}
\else
DO $$ BEGIN RAISE EXCEPTION 'example_deidentify.sql: pass the HMAC key with -v secret=...'; END $$;
\endif
\if :{?target}
\else
\set target deid
\endif

BEGIN;

CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- ---- The identified source (an example; never readable by the daemon) ----

CREATE SCHEMA IF NOT EXISTS cms_example;

CREATE TABLE IF NOT EXISTS cms_example.case_children (
    case_number  text PRIMARY KEY,      -- court / agency case number
    first_name   text NOT NULL,
    last_name    text NOT NULL,
    dob          date NOT NULL,         -- exact birth date: never leaves
    gender       text,                  -- CMS codes: F, M, X, U
    race         text,                  -- CMS codes, see the mapping below
    address      text
);

CREATE TABLE IF NOT EXISTS cms_example.removals (
    removal_id       bigint PRIMARY KEY,
    case_number      text NOT NULL REFERENCES cms_example.case_children,
    county           text NOT NULL,
    removal_date     date NOT NULL,
    discharge_date   date,
    discharge_code   text,              -- CMS codes: REU, REL, ADO, GDN, EMA, TRF, RUN, DTH, OTH
    caseworker_name  text
);

CREATE TABLE IF NOT EXISTS cms_example.placements (
    placement_id      bigint PRIMARY KEY,
    removal_id        bigint NOT NULL REFERENCES cms_example.removals,
    setting           text NOT NULL,    -- already the contract's setting codes here
    provider_license  text,             -- foster home / facility licence number
    provider_name     text,
    start_date        date NOT NULL,
    end_date          date
);

CREATE TABLE IF NOT EXISTS cms_example.missing_reports (
    report_id           bigint PRIMARY KEY,
    removal_id          bigint NOT NULL REFERENCES cms_example.removals,
    went_missing_at     timestamptz NOT NULL,
    agency_informed_at  timestamptz,
    returned_at         timestamptz,
    reported_le_at      timestamptz,
    le_report_number    text,           -- police report number: never leaves
    reported_ncmec_at   timestamptz,
    screened_at         timestamptz,
    screen_result       text,           -- POS, NEG, INC
    narrative           text            -- free text: never leaves
);

-- Sex-trafficking identifications (42 U.S.C. 671(a)(9)(C)) and the report to
-- law enforcement (671(a)(35)(A)).
CREATE TABLE IF NOT EXISTS cms_example.trafficking_victims (
    identification_id   bigint PRIMARY KEY,
    removal_id          bigint NOT NULL REFERENCES cms_example.removals,
    identified_at       timestamptz NOT NULL,
    in_foster_care      text NOT NULL,  -- CMS codes: Y (while in care), N (before entry / after exit)
    reported_le_at      timestamptz,
    le_report_number    text,           -- police report number: never leaves
    narrative           text            -- free text: never leaves
);

CREATE TABLE IF NOT EXISTS cms_example.casa_assignments (
    assignment_id  bigint PRIMARY KEY,
    removal_id     bigint NOT NULL REFERENCES cms_example.removals,
    advocate_name  text,
    start_date     date NOT NULL,
    end_date       date
);

-- A few fictional rows so the example runs end to end.
INSERT INTO cms_example.case_children VALUES
    ('2021-JV-00417', 'Jane', 'Example', '2009-04-17', 'F', 'WHT', '1 Example Rd'),
    ('2022-JV-01033', 'John', 'Sample', '2016-11-02', 'M', 'BLK', '2 Sample St')
ON CONFLICT DO NOTHING;
INSERT INTO cms_example.removals VALUES
    (1, '2021-JV-00417', 'Adams', '2023-02-10', NULL, NULL, 'A. Worker'),
    (2, '2022-JV-01033', 'Baker', '2022-05-01', '2023-08-15', 'REU', 'B. Worker')
ON CONFLICT DO NOTHING;
INSERT INTO cms_example.placements VALUES
    (10, 1, 'foster_home', 'FH-1001', 'The Smiths', '2023-02-10', '2023-09-01'),
    (11, 1, 'group_home', 'GH-2002', 'Hillside House', '2023-09-01', '2024-03-05'),
    (12, 1, 'runaway', NULL, NULL, '2024-03-05', '2024-03-09'),
    (13, 1, 'group_home', 'GH-2002', 'Hillside House', '2024-03-09', NULL),
    (14, 2, 'relative_home', 'RH-3003', 'Aunt', '2022-05-01', '2023-08-15')
ON CONFLICT DO NOTHING;
INSERT INTO cms_example.missing_reports VALUES
    (100, 1, '2024-03-05 21:30+00', '2024-03-06 07:00+00', '2024-03-09 16:00+00',
     '2024-03-06 08:15+00', 'PD-24-5521', '2024-03-06 11:40+00', '2024-03-10 10:00+00', 'NEG',
     'free text that must never leave the CMS')
ON CONFLICT DO NOTHING;
INSERT INTO cms_example.casa_assignments VALUES
    (1000, 1, 'C. Advocate', '2023-04-01', NULL)
ON CONFLICT DO NOTHING;
INSERT INTO cms_example.trafficking_victims VALUES
    (500, 1, '2024-03-12 15:00+00', 'Y', '2024-03-12 17:30+00', 'PD-24-5690',
     'free text that must never leave the CMS')
ON CONFLICT DO NOTHING;

-- ---- The extract ----------------------------------------------------------

-- A pseudonymous key: HMAC-SHA-256(prefix || identifier, secret), first 8
-- bytes read as a signed bigint. The prefix keeps the key spaces of the
-- tables apart.
CREATE OR REPLACE FUNCTION pg_temp.pseudonym(prefix text, identifier text, secret text)
RETURNS bigint LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT ('x' || encode(substr(hmac(prefix || ':' || identifier, secret, 'sha256'), 1, 8),
                          'hex'))::bit(64)::bigint
$$;

SELECT to_regclass(:'target' || '.trafficking_identifications') IS NOT NULL
       AS has_identifications \gset
\set optional_tables ''
\if :has_identifications
\set optional_tables ', ' :target '.trafficking_identifications'
\endif
TRUNCATE :target.advocate_assignments, :target.missing_episodes, :target.placements,
         :target.episodes, :target.children :optional_tables;

INSERT INTO :target.children (child_key, birth_month, sex, race_ethnicity)
SELECT pg_temp.pseudonym('child', c.case_number, :'secret'),
       date_trunc('month', c.dob)::date,            -- month only (see above)
       CASE c.gender WHEN 'F' THEN 'female' WHEN 'M' THEN 'male' WHEN 'X' THEN 'other'
                     WHEN 'U' THEN 'unknown' ELSE c.gender END,
       CASE c.race WHEN 'AIA' THEN 'aian' WHEN 'ASN' THEN 'asian' WHEN 'BLK' THEN 'black'
                   WHEN 'HIS' THEN 'hispanic' WHEN 'NHP' THEN 'nhpi' WHEN 'WHT' THEN 'white'
                   WHEN 'MUL' THEN 'multiracial' WHEN 'UNK' THEN 'unknown' ELSE c.race END
FROM cms_example.case_children c;

INSERT INTO :target.episodes (episode_key, child_key, county, removal_date, discharge_date,
                              discharge_reason)
SELECT pg_temp.pseudonym('episode', r.removal_id::text, :'secret'),
       pg_temp.pseudonym('child', r.case_number, :'secret'),
       r.county,                                   -- counties are aggregates' groups
       r.removal_date, r.discharge_date,
       CASE r.discharge_code WHEN 'REU' THEN 'reunification' WHEN 'REL' THEN 'relative'
            WHEN 'ADO' THEN 'adoption' WHEN 'GDN' THEN 'guardianship'
            WHEN 'EMA' THEN 'emancipation' WHEN 'TRF' THEN 'transfer' WHEN 'RUN' THEN 'runaway'
            WHEN 'DTH' THEN 'death' WHEN 'OTH' THEN 'other' ELSE r.discharge_code END
FROM cms_example.removals r;

INSERT INTO :target.placements (placement_key, episode_key, setting, provider_key, start_date,
                                end_date)
SELECT pg_temp.pseudonym('placement', p.placement_id::text, :'secret'),
       pg_temp.pseudonym('episode', p.removal_id::text, :'secret'),
       p.setting,
       -- Same home, same pseudonym: a return to the same home is not a move
       -- (SPEC §4). Null stays null (the runaway placement has no provider).
       pg_temp.pseudonym('provider', p.provider_license, :'secret'),
       p.start_date, p.end_date
FROM cms_example.placements p;

INSERT INTO :target.missing_episodes (missing_key, episode_key, went_missing_at,
                                      agency_informed_at, returned_at, reported_le_at,
                                      reported_ncmec_at, screened_at, screen_result)
SELECT pg_temp.pseudonym('missing', m.report_id::text, :'secret'),
       pg_temp.pseudonym('episode', m.removal_id::text, :'secret'),
       m.went_missing_at, m.agency_informed_at, m.returned_at, m.reported_le_at,
       m.reported_ncmec_at, m.screened_at,
       CASE m.screen_result WHEN 'POS' THEN 'positive' WHEN 'NEG' THEN 'negative'
            WHEN 'INC' THEN 'inconclusive' ELSE m.screen_result END
FROM cms_example.missing_reports m;   -- report numbers and narratives stay behind

INSERT INTO :target.advocate_assignments (assignment_key, episode_key, start_date, end_date)
SELECT pg_temp.pseudonym('assignment', a.assignment_id::text, :'secret'),
       pg_temp.pseudonym('episode', a.removal_id::text, :'secret'),
       a.start_date, a.end_date                     -- the advocate's name stays behind
FROM cms_example.casa_assignments a;

\if :has_identifications
INSERT INTO :target.trafficking_identifications (identification_key, episode_key, identified_at,
                                                 while_in_care, reported_le_at)
SELECT pg_temp.pseudonym('identification', t.identification_id::text, :'secret'),
       pg_temp.pseudonym('episode', t.removal_id::text, :'secret'),
       t.identified_at,
       CASE t.in_foster_care WHEN 'Y' THEN true WHEN 'N' THEN false END,
       t.reported_le_at
FROM cms_example.trafficking_victims t;  -- report numbers and narratives stay behind
\endif

-- The refresh key (SPEC §2): one row per load.
INSERT INTO :target.extract_batches (batch_id, loaded_at)
SELECT coalesce(max(batch_id), 0) + 1, now() FROM :target.extract_batches;

COMMIT;
