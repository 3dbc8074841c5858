-- Version 4: WireGuard exit pools.  A proxy has 1 to 5 static IPs; each IP
-- has its own WireGuard key pair, UDP port and peer-address blocks (one IPv4,
-- one IPv6 ULA, both inside the tunnel); each workload is a peer of one IP.

CREATE TABLE proxies (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	workspace  TEXT NOT NULL,
	plan       TEXT NOT NULL CHECK (plan IN ('team', 'enterprise')),
	created_at INTEGER NOT NULL,
	UNIQUE (workspace, name)
);

CREATE TABLE proxy_ips (
	id          INTEGER PRIMARY KEY,
	proxy_id    INTEGER NOT NULL REFERENCES proxies(id) ON DELETE CASCADE,
	address     TEXT NOT NULL UNIQUE,     -- the static egress IP (canonical)
	node        TEXT NOT NULL DEFAULT '', -- exit node hosting it
	private_key TEXT NOT NULL,            -- base64 X25519, never printed
	public_key  TEXT NOT NULL,
	listen_port INTEGER NOT NULL UNIQUE CHECK (listen_port BETWEEN 1 AND 65535),
	peer_cidr4  TEXT NOT NULL UNIQUE,     -- e.g. 10.128.3.0/24; .1 is the exit
	peer_cidr6  TEXT NOT NULL UNIQUE,     -- e.g. fd62:7572:726f:77::3:0/112
	created_at  INTEGER NOT NULL
);
CREATE INDEX proxy_ips_proxy ON proxy_ips(proxy_id);

-- A connected workload.  host is its index in the IP's blocks: address4 and
-- address6 are the blocks' base plus host.  Disconnect or idle expiry
-- deletes the row, which frees the address at once.
CREATE TABLE proxy_peers (
	id             INTEGER PRIMARY KEY,
	proxy_ip_id    INTEGER NOT NULL REFERENCES proxy_ips(id) ON DELETE CASCADE,
	public_key     TEXT NOT NULL,
	host           INTEGER NOT NULL CHECK (host >= 2),
	address4       TEXT NOT NULL,
	address6       TEXT NOT NULL,
	block_network  INTEGER NOT NULL DEFAULT 0 CHECK (block_network IN (0, 1)),
	cidr_allowlist TEXT NOT NULL DEFAULT '', -- comma separated, '' = any
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,          -- last connect
	UNIQUE (proxy_ip_id, public_key),
	UNIQUE (proxy_ip_id, host)
);

-- Bearer tokens for the exit agent's HTTP API, scoped to one workspace.
-- Only the SHA-256 of a token is kept; the token is shown once at creation.
CREATE TABLE exit_api_tokens (
	id         INTEGER PRIMARY KEY,
	workspace  TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,      -- hex SHA-256
	created_at INTEGER NOT NULL
);

-- Exit agents poll max(seq) and reconcile when it moves.
CREATE TABLE proxy_changes (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	at  INTEGER NOT NULL
);
CREATE TRIGGER proxy_ips_add AFTER INSERT ON proxy_ips BEGIN
	INSERT INTO proxy_changes(at) VALUES (unixepoch());
END;
CREATE TRIGGER proxy_ips_del AFTER DELETE ON proxy_ips BEGIN
	INSERT INTO proxy_changes(at) VALUES (unixepoch());
END;
CREATE TRIGGER proxy_peers_add AFTER INSERT ON proxy_peers BEGIN
	INSERT INTO proxy_changes(at) VALUES (unixepoch());
END;
CREATE TRIGGER proxy_peers_update AFTER UPDATE ON proxy_peers BEGIN
	INSERT INTO proxy_changes(at) VALUES (unixepoch());
END;
CREATE TRIGGER proxy_peers_del AFTER DELETE ON proxy_peers BEGIN
	INSERT INTO proxy_changes(at) VALUES (unixepoch());
END;
