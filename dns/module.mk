# bin/burrow-dns: the authoritative nameserver (see dns/server.h, dns/answer.h).
$(eval $(call subsystem,dns))
$(eval $(call program,burrow-dns,dns/dns_main.c,$(dns_LIB)))
bin/burrow-dns: LDLIBS += -lpthread

FUZZ_TARGETS += dns_query

.PHONY: bench-dns
bench-dns: all
	sh bench/dns.sh
