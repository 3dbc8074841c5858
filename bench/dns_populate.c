/*
 * dns_populate.c: fills a store with N tunnels for the burrow-dns benchmark
 * (through the store API, like 'burrow tunnel create' N times, without N
 * processes) and prints their host names, one a line.
 *   dns_populate DB ZONE N
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/error.h"
#include "db/store.h"

int
main(int argc, char **argv)
{
	const char *ns[] = { "w-ns-a.bench.example", "w-ns-b.bench.example" };
	struct store_init_params ip = { NULL, ns, 2, "192.0.2.10", "2001:db8::10", 20000, 30000 };
	struct store_tunnel_spec spec = { NULL, "10.0.0.1", 8080, STORE_TUNNEL_TLS, 0, "bench", 0 };
	struct store_tunnel t;
	struct store *s = NULL;
	char err[512];
	long n;

	if (argc != 4 || (n = atol(argv[3])) < 0) {
		fprintf(stderr, "usage: dns_populate DB ZONE N\n");
		return 2;
	}
	ip.zone = argv[2];
	if (store_open(argv[1], STORE_CREATE, &s, err, sizeof(err)) != BURROW_OK) {
		fprintf(stderr, "dns_populate: %s\n", err);
		return 1;
	}
	if (store_init(s, &ip) != BURROW_OK) {
		fprintf(stderr, "dns_populate: init: %s\n", store_errmsg(s));
		store_close(s);
		return 1;
	}
	for (long i = 0; i < n; i++) {
		if (store_tunnel_create(s, &spec, &t) != BURROW_OK) {
			fprintf(stderr, "dns_populate: tunnel %ld: %s\n", i, store_errmsg(s));
			store_close(s);
			return 1;
		}
		printf("%s\n", t.hostname);
	}
	store_close(s);
	return 0;
}
