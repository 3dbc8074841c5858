-- Version 6: the control API (burrow-api).  A tunnel belongs to a sandbox
-- of its workspace, so a runtime finds, renews and removes a sandbox's
-- tunnels at once; expires_at (from version 1) becomes a lease.

ALTER TABLE tunnels ADD COLUMN sandbox TEXT NOT NULL DEFAULT '';
CREATE INDEX tunnels_sandbox ON tunnels(workspace, sandbox);
-- The reaper's scan: only leased rows are in it.
CREATE INDEX tunnels_expiry ON tunnels(expires_at) WHERE expires_at > 0;

-- One credential per workspace for every API (burrow-api and the exit
-- agent's).  Only the SHA-256 of a key is kept; the key is shown once.
CREATE TABLE api_keys (
	id         INTEGER PRIMARY KEY,
	workspace  TEXT NOT NULL,
	key_hash   TEXT NOT NULL UNIQUE,      -- hex SHA-256 of the key's text
	created_at INTEGER NOT NULL
);
CREATE INDEX api_keys_workspace ON api_keys(workspace);

-- The exit agent's tokens were hashed the same way: they keep working.
INSERT INTO api_keys(workspace, key_hash, created_at)
	SELECT workspace, token_hash, created_at FROM exit_api_tokens;
DROP TABLE exit_api_tokens;
