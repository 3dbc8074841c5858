# bin/burrow: the operator CLI.  It links the subsystems whose logic its verbs
# run: domain verify (domains/), zone export from burrow-dns's own index
# (dns/), certificate revocation with burrow-acme's client (acme/), proxy
# configuration (exit/), connect tokens (tunnels/), a tunnel's JSON (api/).
$(eval $(call subsystem,cli))
$(eval $(call program,burrow,cli/main.c,$(cli_LIB) $(domains_LIB) $(dns_LIB) $(acme_LIB) $(exit_LIB) $(tunnels_LIB) $(api_LIB)))
