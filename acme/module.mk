# bin/burrow-acme: the RFC 8555 client (acme/acme.h).
$(eval $(call subsystem,acme))
$(eval $(call program,burrow-acme,acme/acme_main.c,$(acme_LIB)))
FUZZ_TARGETS += acme_proto

# make bench-acme: burrow-acme beside lego on N (50) customer domains.
.PHONY: bench-acme
bench-acme: deps all
	bash bench/acme_bench.sh
