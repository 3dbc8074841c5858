# bin/burrow-edge: the tunnel edge (TLS by SNI, raw TCP tunnels, h2, connect
# tokens).  The WireGuard exit agent lives in exit/.
$(eval $(call subsystem,tunnels))
$(eval $(call program,burrow-edge,tunnels/edge_main.c,$(tunnels_LIB)))

FUZZ_TARGETS += edge_http_head edge_gate edge_token edge_sni

# make bench-edge: burrow-edge against HAProxy with wrk (bench/edge.sh).
.PHONY: bench-edge
bench-edge: deps all
	bash bench/edge.sh
