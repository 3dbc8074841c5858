# bin/burrow: the operator CLI.
$(eval $(call subsystem,cli))
$(eval $(call program,burrow,cli/main.c,$(cli_LIB) $(domains_LIB) $(exit_LIB) $(tunnels_LIB)))
