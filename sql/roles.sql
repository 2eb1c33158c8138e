-- The daemon's read-only login role (SPEC §2, §7): USAGE and SELECT on the
-- de-identified schema and nothing else. Run as a superuser or the schema
-- owner. Set the password out of band:
--   psql -v ON_ERROR_STOP=1 -f sql/roles.sql
--   psql -c "ALTER ROLE casa_metricsd PASSWORD '...'"      (or use a client cert)
BEGIN;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'casa_metricsd') THEN
        CREATE ROLE casa_metricsd LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
    END IF;
END
$$;

-- Every session of the role is read-only, even if it forgets to ask.
ALTER ROLE casa_metricsd SET default_transaction_read_only = on;
ALTER ROLE casa_metricsd SET statement_timeout = '10min';

REVOKE ALL ON SCHEMA public FROM casa_metricsd;
GRANT USAGE ON SCHEMA deid TO casa_metricsd;
-- Every table, the optional trafficking_identifications included.
GRANT SELECT ON ALL TABLES IN SCHEMA deid TO casa_metricsd;
ALTER DEFAULT PRIVILEGES IN SCHEMA deid GRANT SELECT ON TABLES TO casa_metricsd;

COMMIT;
