# bin/burrow-api: the platform's HTTP/JSON control API (tunnels per sandbox,
# leases, connect tokens) over the store.  api/tunnel_json.c is also the
# CLI's writer of a tunnel's JSON.
$(eval $(call subsystem,api))
$(eval $(call program,burrow-api,api/api_main.c,$(api_LIB) $(tunnels_LIB)))

FUZZ_TARGETS += api_body

.PHONY: bench-api
bench-api: deps all
	bash bench/api.sh

# The write-ahead-log checkpointer is a thread (api/checkpoint.h).
bin/burrow-api: LDLIBS += -lpthread
