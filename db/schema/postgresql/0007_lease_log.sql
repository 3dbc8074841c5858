-- Version 7: a renewal is logged as op 'lease', not 'update'; see
-- db/schema/sqlite/0007_lease_log.sql for why.  The serial becomes the
-- largest seq among the zone's rows other than 'lease' (db/internal.h).

ALTER TABLE changes DROP CONSTRAINT changes_op_check;
ALTER TABLE changes ADD CONSTRAINT changes_op_check
	CHECK (op IN ('add', 'del', 'update', 'lease'));
CREATE INDEX changes_serial ON changes(zone_id, seq) WHERE op <> 'lease';

-- 'lease' when no column but expires_at changed: the rows compared whole,
-- so a column added to tunnels later counts as content without an edit.
CREATE OR REPLACE FUNCTION tunnels_log() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		PERFORM burrow_log(OLD.zone_id, OLD.hostname, 'del');
	ELSIF TG_OP = 'INSERT' THEN
		PERFORM burrow_log(NEW.zone_id, NEW.hostname, 'add');
	ELSIF to_jsonb(NEW) - 'expires_at' = to_jsonb(OLD) - 'expires_at' THEN
		PERFORM burrow_log(NEW.zone_id, NEW.hostname, 'lease');
	ELSE
		PERFORM burrow_log(NEW.zone_id, NEW.hostname, 'update');
	END IF;
	RETURN NULL;
END
$$;
