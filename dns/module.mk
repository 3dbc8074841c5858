# bin/burrow-dns: the authoritative nameserver (see dns/server.h, dns/answer.h).
$(eval $(call subsystem,dns))
$(eval $(call program,burrow-dns,dns/dns_main.c,$(dns_LIB)))
bin/burrow-dns: LDLIBS += -lpthread

FUZZ_TARGETS += dns_query dns_xfr

.PHONY: bench-dns
bench-dns: deps all
	bash bench/dns.sh

# The benchmark's store filler (bench/dns_populate.c), built on demand.
$(BUILD)/bench/dns_populate: bench/dns_populate.c $(BURROW_LIBS) $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BURROW_LIBS) $(LDLIBS)

# The burst (creates under load) and overload (flood, then normal load)
# figures of bench/dns.sh, apart: each takes a minute or more.
.PHONY: bench-dns-burst bench-dns-overload
bench-dns-burst: deps all
	bash bench/dns.sh burst
bench-dns-overload: deps all
	bash bench/dns.sh overload
