# bin/burrow-dns: the authoritative nameserver (see dns/README or dns/*.h).
