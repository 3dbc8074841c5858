# bin/burrow-acme: the RFC 8555 client (acme/acme.h).
$(eval $(call subsystem,acme))
$(eval $(call program,burrow-acme,acme/acme_main.c,$(acme_LIB)))
FUZZ_TARGETS += acme_proto
