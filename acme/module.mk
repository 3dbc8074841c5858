# bin/burrow-acme: the RFC 8555 client.
