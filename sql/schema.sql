-- casa-metricsd source contract (SPEC §2): the de-identified schema `deid`.
--
-- All keys are pseudonymous surrogate integers. Nothing here can name a
-- child: no names, case numbers, addresses or exact birth dates. The CHECK
-- constraints document the contract; the daemon does not rely on them (a
-- source without them is validated row by row and violations are counted).
--
-- psql -v ON_ERROR_STOP=1 -f sql/schema.sql
BEGIN;

CREATE SCHEMA IF NOT EXISTS deid;

CREATE TABLE IF NOT EXISTS deid.children (
    child_key       bigint PRIMARY KEY,
    birth_month     date NOT NULL CHECK (extract(day FROM birth_month) = 1),
    sex             text CHECK (sex IN ('female', 'male', 'other', 'unknown')),
    race_ethnicity  text CHECK (race_ethnicity IN ('aian', 'asian', 'black', 'hispanic',
                                                   'nhpi', 'white', 'multiracial', 'unknown'))
);

CREATE TABLE IF NOT EXISTS deid.episodes (
    episode_key       bigint PRIMARY KEY,
    child_key         bigint NOT NULL REFERENCES deid.children (child_key),
    county            text NOT NULL,
    removal_date      date NOT NULL,
    discharge_date    date,
    discharge_reason  text CHECK (discharge_reason IN ('reunification', 'relative', 'adoption',
                                                       'guardianship', 'emancipation', 'transfer',
                                                       'runaway', 'death', 'other'))
);

CREATE TABLE IF NOT EXISTS deid.placements (
    placement_key  bigint PRIMARY KEY,
    episode_key    bigint NOT NULL REFERENCES deid.episodes (episode_key),
    setting        text NOT NULL CHECK (setting IN ('relative_home', 'foster_home',
                       'pre_adoptive_home', 'group_home', 'institution',
                       'supervised_independent_living', 'trial_home_visit', 'runaway',
                       'respite', 'hospital', 'detention')),
    provider_key   bigint,
    start_date     date NOT NULL,
    end_date       date
);

CREATE TABLE IF NOT EXISTS deid.missing_episodes (
    missing_key         bigint PRIMARY KEY,
    episode_key         bigint NOT NULL REFERENCES deid.episodes (episode_key),
    went_missing_at     timestamptz NOT NULL,
    agency_informed_at  timestamptz,
    returned_at         timestamptz,
    reported_le_at      timestamptz,
    reported_ncmec_at   timestamptz,
    screened_at         timestamptz,
    screen_result       text CHECK (screen_result IN ('positive', 'negative', 'inconclusive'))
);

CREATE TABLE IF NOT EXISTS deid.advocate_assignments (
    assignment_key  bigint PRIMARY KEY,
    episode_key     bigint NOT NULL REFERENCES deid.episodes (episode_key),
    start_date      date NOT NULL,
    end_date        date
);

-- Optional (issue 17): trafficking identifications (42 U.S.C. 671(a)(9)(C),
-- AFCARS 2020). while_in_care false: identified while not in foster care
-- (before the removal, or after the discharge), dated anywhere; true: dated
-- on a day in care of the episode. A source that does not record
-- identifications should drop this table: absent, the daemon leaves the
-- trafficking metrics out; present and empty, it reads "no child identified".
CREATE TABLE IF NOT EXISTS deid.trafficking_identifications (
    identification_key  bigint PRIMARY KEY,
    episode_key         bigint NOT NULL REFERENCES deid.episodes (episode_key),
    identified_at       timestamptz NOT NULL,
    while_in_care       boolean NOT NULL,
    reported_le_at      timestamptz           -- report to law enforcement
);

-- The ETL appends one row per load; max(batch_id) is the refresh key.
CREATE TABLE IF NOT EXISTS deid.extract_batches (
    batch_id   bigint PRIMARY KEY,
    loaded_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS episodes_child_key ON deid.episodes (child_key);
CREATE INDEX IF NOT EXISTS placements_episode_key ON deid.placements (episode_key);
CREATE INDEX IF NOT EXISTS missing_episodes_episode_key ON deid.missing_episodes (episode_key);
CREATE INDEX IF NOT EXISTS advocate_assignments_episode_key
    ON deid.advocate_assignments (episode_key);
CREATE INDEX IF NOT EXISTS trafficking_identifications_episode_key
    ON deid.trafficking_identifications (episode_key);

COMMIT;
