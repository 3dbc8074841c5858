-- Version 7: a renewal is logged as op 'lease', not 'update'.  A lease is
-- not zone content (AXFR/IXFR keep an expired name until its row is
-- deleted; burrow-dns answers NXDOMAIN from the lease alone), so a change
-- that only moves expires_at must not move the zone's SOA serial: at a
-- thousand sandboxes renewing every 10 s that was 100 serials, IXFR deltas
-- and NOTIFYs a second.  It is still logged, so every reader (burrow-dns's
-- answers, burrow-edge's handshakes) follows it.  The serial becomes the
-- largest seq among the zone's rows other than 'lease' (db/internal.h).

-- SQLite cannot change a CHECK constraint: the log is copied into a table
-- that allows 'lease' (seq values kept, so no reader's position moves).
-- The other tables' triggers name "changes" in their bodies; legacy
-- renaming leaves them as written (the new table takes that name) instead
-- of failing on a trigger that names a table just dropped.
PRAGMA legacy_alter_table = ON;
CREATE TABLE changes_v7 (
	seq     INTEGER PRIMARY KEY AUTOINCREMENT,
	zone_id INTEGER,
	name    TEXT NOT NULL,
	op      TEXT NOT NULL CHECK (op IN ('add', 'del', 'update', 'lease')),
	at      INTEGER NOT NULL
);
INSERT INTO changes_v7(seq, zone_id, name, op, at)
	SELECT seq, zone_id, name, op, at FROM changes ORDER BY seq;
DROP TABLE changes;
ALTER TABLE changes_v7 RENAME TO changes;
PRAGMA legacy_alter_table = OFF;
CREATE INDEX changes_zone ON changes(zone_id, seq);
-- The serial's max(seq) stays one index probe however many renewals
-- follow the zone's last content change.
CREATE INDEX changes_serial ON changes(zone_id, seq) WHERE op <> 'lease';

-- 'lease' when no column but expires_at changed (IS: public_port may be
-- NULL).  A column added to tunnels later must be compared here too.
DROP TRIGGER tunnels_update;
CREATE TRIGGER tunnels_update AFTER UPDATE ON tunnels BEGIN
	INSERT INTO changes(zone_id, name, op, at) VALUES (NEW.zone_id, NEW.hostname,
	    CASE WHEN NEW.id IS OLD.id AND NEW.hostname IS OLD.hostname
	          AND NEW.zone_id IS OLD.zone_id AND NEW.target_host IS OLD.target_host
	          AND NEW.target_port IS OLD.target_port AND NEW.kind IS OLD.kind
	          AND NEW.public_port IS OLD.public_port
	          AND NEW.connect_token IS OLD.connect_token
	          AND NEW.workspace IS OLD.workspace AND NEW.created_at IS OLD.created_at
	          AND NEW.sandbox IS OLD.sandbox
	         THEN 'lease' ELSE 'update' END, unixepoch());
END;
