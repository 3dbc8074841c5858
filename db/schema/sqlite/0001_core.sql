-- Version 1: zones, tunnels, extra records, edge addresses, settings and the
-- change log every reader follows.  Names are stored canonical: lower case,
-- no final dot.

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- The base zone and every customer domain.  A customer domain starts
-- 'pending' and becomes 'delegated' once the parent's NS set points at us.
CREATE TABLE zones (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	kind       TEXT NOT NULL CHECK (kind IN ('base', 'custom')),
	workspace  TEXT NOT NULL DEFAULT '',
	state      TEXT NOT NULL DEFAULT 'active'
	           CHECK (state IN ('active', 'pending', 'delegated', 'missing-ns',
	                            'wrong-ns', 'lame', 'undelegated')),
	reason     TEXT NOT NULL DEFAULT '',
	checked_at INTEGER NOT NULL DEFAULT 0,
	ttl        INTEGER NOT NULL DEFAULT 60 CHECK (ttl BETWEEN 0 AND 2147483647),
	soa_mname  TEXT NOT NULL,
	soa_rname  TEXT NOT NULL,
	soa_refresh INTEGER NOT NULL DEFAULT 3600,
	soa_retry  INTEGER NOT NULL DEFAULT 600,
	soa_expire INTEGER NOT NULL DEFAULT 1209600,
	soa_minimum INTEGER NOT NULL DEFAULT 30,
	created_at INTEGER NOT NULL
);

CREATE TABLE zone_ns (
	zone_id  INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	host     TEXT NOT NULL,
	PRIMARY KEY (zone_id, host)
);

-- Addresses every tunnel name resolves to.
CREATE TABLE edges (
	id         INTEGER PRIMARY KEY,
	address    TEXT NOT NULL UNIQUE,
	family     INTEGER NOT NULL CHECK (family IN (4, 6)),
	created_at INTEGER NOT NULL
);

CREATE TABLE tunnels (
	id            INTEGER PRIMARY KEY,
	hostname      TEXT NOT NULL UNIQUE,
	zone_id       INTEGER NOT NULL REFERENCES zones(id) ON DELETE RESTRICT,
	target_host   TEXT NOT NULL,
	target_port   INTEGER NOT NULL CHECK (target_port BETWEEN 1 AND 65535),
	kind          TEXT NOT NULL CHECK (kind IN ('tls', 'h2', 'tcp')),
	public_port   INTEGER UNIQUE CHECK (public_port BETWEEN 1 AND 65535),
	connect_token INTEGER NOT NULL DEFAULT 0 CHECK (connect_token IN (0, 1)),
	workspace     TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	expires_at    INTEGER NOT NULL DEFAULT 0,
	CHECK ((kind = 'tcp') = (public_port IS NOT NULL))
);
CREATE INDEX tunnels_zone ON tunnels(zone_id);

-- Extra resource records in presentation form: _acme-challenge TXT, CAA, ...
CREATE TABLE records (
	id         INTEGER PRIMARY KEY,
	zone_id    INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	type       TEXT NOT NULL,
	ttl        INTEGER NOT NULL CHECK (ttl BETWEEN 0 AND 2147483647),
	rdata      TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (name, type, rdata)
);
CREATE INDEX records_zone ON records(zone_id);

-- Every change to what a zone serves.  A zone's SOA serial is the largest
-- seq among its rows and the rows for all zones (zone_id NULL: edges).
-- Readers poll max(seq) and re-read only the names listed after their last.
CREATE TABLE changes (
	seq     INTEGER PRIMARY KEY AUTOINCREMENT,
	zone_id INTEGER,
	name    TEXT NOT NULL,
	op      TEXT NOT NULL CHECK (op IN ('add', 'del', 'update')),
	at      INTEGER NOT NULL
);
CREATE INDEX changes_zone ON changes(zone_id, seq);

-- Triggers keep the log complete whatever path a write takes.
CREATE TRIGGER zones_add AFTER INSERT ON zones BEGIN
	INSERT INTO changes(zone_id, name, op, at) VALUES (NEW.id, NEW.name, 'add', unixepoch());
END;
CREATE TRIGGER zones_update AFTER UPDATE ON zones BEGIN
	INSERT INTO changes(zone_id, name, op, at) VALUES (NEW.id, NEW.name, 'update', unixepoch());
END;
CREATE TRIGGER zones_del AFTER DELETE ON zones BEGIN
	INSERT INTO changes(zone_id, name, op, at) VALUES (OLD.id, OLD.name, 'del', unixepoch());
END;
CREATE TRIGGER zone_ns_add AFTER INSERT ON zone_ns BEGIN
	INSERT INTO changes(zone_id, name, op, at)
	SELECT id, name, 'update', unixepoch() FROM zones WHERE id = NEW.zone_id;
END;
CREATE TRIGGER zone_ns_del AFTER DELETE ON zone_ns BEGIN
	INSERT INTO changes(zone_id, name, op, at)
	SELECT id, name, 'update', unixepoch() FROM zones WHERE id = OLD.zone_id;
END;
CREATE TRIGGER edges_add AFTER INSERT ON edges BEGIN
	INSERT INTO changes(zone_id, name, op, at) VALUES (NULL, NEW.address, 'add', unixepoch());
END;
CREATE TRIGGER edges_del AFTER DELETE ON edges BEGIN
	INSERT INTO changes(zone_id, name, op, at) VALUES (NULL, OLD.address, 'del', unixepoch());
END;
CREATE TRIGGER tunnels_add AFTER INSERT ON tunnels BEGIN
	INSERT INTO changes(zone_id, name, op, at) VALUES (NEW.zone_id, NEW.hostname, 'add', unixepoch());
END;
CREATE TRIGGER tunnels_update AFTER UPDATE ON tunnels BEGIN
	INSERT INTO changes(zone_id, name, op, at) VALUES (NEW.zone_id, NEW.hostname, 'update', unixepoch());
END;
CREATE TRIGGER tunnels_del AFTER DELETE ON tunnels BEGIN
	INSERT INTO changes(zone_id, name, op, at) VALUES (OLD.zone_id, OLD.hostname, 'del', unixepoch());
END;
CREATE TRIGGER records_add AFTER INSERT ON records BEGIN
	INSERT INTO changes(zone_id, name, op, at) VALUES (NEW.zone_id, NEW.name, 'add', unixepoch());
END;
CREATE TRIGGER records_del AFTER DELETE ON records BEGIN
	INSERT INTO changes(zone_id, name, op, at) VALUES (OLD.zone_id, OLD.name, 'del', unixepoch());
END;
