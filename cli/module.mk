# bin/burrow: the operator CLI.
$(eval $(call subsystem,cli))
# acme/module.mk is read after this file, so its archive is named by path
# here (`burrow cert revoke` uses burrow-acme's client).
$(eval $(call program,burrow,cli/main.c,$(cli_LIB) $(domains_LIB) $(BUILD)/libacme.a))
