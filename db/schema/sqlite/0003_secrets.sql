-- Version 3: signing keys for connect tokens (rotated by key id) and TSIG keys
-- for zone transfers.

CREATE TABLE secrets (
	id         INTEGER PRIMARY KEY,
	purpose    TEXT NOT NULL CHECK (purpose IN ('connect-token')),
	key_id     TEXT NOT NULL UNIQUE,
	secret     BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	retired_at INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE tsig_keys (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	algorithm  TEXT NOT NULL DEFAULT 'hmac-sha256',
	secret     TEXT NOT NULL,             -- base64
	created_at INTEGER NOT NULL
);
