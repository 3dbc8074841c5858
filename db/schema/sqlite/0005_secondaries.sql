-- Version 5: the secondary nameservers (NSD, Knot, BIND) that burrow-dns
-- sends NOTIFY to and lets transfer every zone, each with its TSIG key.

CREATE TABLE secondaries (
	id         INTEGER PRIMARY KEY,
	address    TEXT NOT NULL,             -- canonical IP literal
	port       INTEGER NOT NULL DEFAULT 53 CHECK (port BETWEEN 1 AND 65535),
	key_name   TEXT NOT NULL REFERENCES tsig_keys(name) ON DELETE RESTRICT,
	created_at INTEGER NOT NULL,
	UNIQUE (address, port)
);
