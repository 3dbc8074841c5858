-- Version 2: ACME accounts, orders in flight and issued certificates.

CREATE TABLE acme_accounts (
	id            INTEGER PRIMARY KEY,
	directory_url TEXT NOT NULL UNIQUE,
	key_pem       TEXT NOT NULL,          -- account key (ES256)
	next_key_pem  TEXT NOT NULL DEFAULT '', -- key being rolled over to (keyChange)
	kid           TEXT NOT NULL DEFAULT '', -- account URL once registered
	contact       TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL
);

-- One row per order so an interrupted issuance resumes where it stopped.
CREATE TABLE acme_orders (
	id           INTEGER PRIMARY KEY,
	zone_id      INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
	account_id   INTEGER NOT NULL REFERENCES acme_accounts(id) ON DELETE CASCADE,
	order_url    TEXT NOT NULL DEFAULT '',
	-- The order's status as last seen at the CA (pending, ready, processing,
	-- valid, invalid), then 'done' or 'failed' once finished here.
	status       TEXT NOT NULL DEFAULT 'pending',
	step         TEXT NOT NULL DEFAULT 'created',
	key_type     TEXT NOT NULL DEFAULT 'ecdsa' CHECK (key_type IN ('ecdsa', 'rsa')),
	key_pem      TEXT NOT NULL DEFAULT '', -- certificate key, made before finalize
	state_json   TEXT NOT NULL DEFAULT '{}', -- {"txt": [values published]}
	error        TEXT NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
CREATE INDEX acme_orders_zone ON acme_orders(zone_id);

CREATE TABLE certificates (
	id          INTEGER PRIMARY KEY,
	zone_id     INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
	names       TEXT NOT NULL,            -- comma separated SANs
	chain_pem   TEXT NOT NULL,            -- leaf first
	key_pem     TEXT NOT NULL,
	key_type    TEXT NOT NULL DEFAULT 'ecdsa',
	serial      TEXT NOT NULL DEFAULT '',
	not_before  INTEGER NOT NULL,
	not_after   INTEGER NOT NULL,
	renew_after INTEGER NOT NULL,
	revoked_at  INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL
);
CREATE INDEX certificates_zone ON certificates(zone_id, not_after);

-- Edges and other readers follow certificate changes through the log too.
CREATE TRIGGER certificates_add AFTER INSERT ON certificates BEGIN
	INSERT INTO changes(zone_id, name, op, at)
	SELECT id, name, 'update', unixepoch() FROM zones WHERE id = NEW.zone_id;
END;
CREATE TRIGGER certificates_update AFTER UPDATE ON certificates BEGIN
	INSERT INTO changes(zone_id, name, op, at)
	SELECT id, name, 'update', unixepoch() FROM zones WHERE id = NEW.zone_id;
END;
