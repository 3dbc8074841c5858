# bin/burrow-edge: the tunnel edge (TLS by SNI, raw TCP tunnels, h2, connect
# tokens).  The WireGuard exit agent lives in exit/.
$(eval $(call subsystem,tunnels))
$(eval $(call program,burrow-edge,tunnels/edge_main.c,$(tunnels_LIB)))

FUZZ_TARGETS += edge_http_head edge_gate edge_token edge_sni

# make bench-edge: burrow-edge against HAProxy with wrk (bench/edge.sh).
.PHONY: bench-edge
bench-edge: deps all
	bash bench/edge.sh

# make bench-edge-idle: memory per idle and per relaying connection, and the
# rates under 10,000 idle TLS connections plus slowloris (bench/edge_idle.sh).
.PHONY: bench-edge-idle
bench-edge-idle: deps all $(BUILD)/bench/edge_conns
	BUILD=$(BUILD) bash bench/edge_idle.sh

# The connection holder those benchmarks use (bench/edge_conns.c).
$(BUILD)/bench/edge_conns: bench/edge_conns.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

# make bench-edge-callgrind: user-space instructions per unit under
# callgrind, burrow-edge beside HAProxy (stable on a loaded machine).
.PHONY: bench-edge-callgrind
bench-edge-callgrind: deps all
	bash bench/edge_callgrind.sh

# make bench-metrics: burrow-edge req/s and burrow-dns QPS with --metrics
# off and on, rates and CPU per unit (bench/metrics.sh; BENCH_RUNS=3).
.PHONY: bench-metrics
bench-metrics: deps all $(BUILD)/bench/dns_populate
	BUILD=$(BUILD) bash bench/metrics.sh
