# bin/burrow: the operator CLI.
$(eval $(call subsystem,cli))
# zone export uses burrow-dns's index (dns/export.h): the CLI links libdns too.
$(eval $(call program,burrow,cli/main.c,$(cli_LIB) $(BUILD)/libdns.a))
