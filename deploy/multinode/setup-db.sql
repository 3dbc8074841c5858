-- The Burrow database on the PostgreSQL primary (tested with PostgreSQL 15).
-- Run once as a superuser on the database host:
--   sudo -u postgres psql -f setup-db.sql
-- psql then asks for the role's password (use e.g. openssl rand -base64 24)
-- and sends only its SCRAM hash: the password is in no command line, no
-- server log and no shell history.  Put it in every Burrow host's passfile
-- (pgpass.example).
SET password_encryption = 'scram-sha-256';
CREATE ROLE burrow LOGIN CONNECTION LIMIT 100;
\password burrow
-- The role owns its database, so 'burrow init --db URL' can create the
-- schema (PostgreSQL 15: the public schema belongs to the database owner)
-- and later Burrow versions can migrate it forward on open.
CREATE DATABASE burrow OWNER burrow ENCODING 'UTF8' TEMPLATE template0;
-- No one else connects to it.
REVOKE ALL ON DATABASE burrow FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE burrow TO burrow;
