# bin/burrow-api: the platform's HTTP/JSON control API (tunnels per sandbox,
# leases, connect tokens) over the store.  api/tunnel_json.c is also the
# CLI's writer of a tunnel's JSON.
$(eval $(call subsystem,api))


.PHONY: bench-api
bench-api: deps all
	sh bench/api.sh
