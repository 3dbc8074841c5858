# bin/burrow: the operator CLI.
$(eval $(call subsystem,cli))
# dns/ and acme/ module.mk files are read after this one, so their archives
# are named by path: zone export uses burrow-dns's index (dns/export.h) and
# `burrow cert revoke` uses burrow-acme's client.
$(eval $(call program,burrow,cli/main.c,$(cli_LIB) $(domains_LIB) $(BUILD)/libdns.a $(BUILD)/libacme.a))
