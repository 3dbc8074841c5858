# bin/burrow-exit: the WireGuard exit-pool agent (proxies with static egress
# IPs).  make bench-exit compares it with a hand-configured WireGuard tunnel.
$(eval $(call subsystem,exit))
$(eval $(call program,burrow-exit,exit/exit_main.c,$(exit_LIB)))

FUZZ_TARGETS += wg_dump

.PHONY: bench-exit
bench-exit: deps all
	sh bench/exit.sh
