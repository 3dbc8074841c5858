/*
 * Fuzz target: every parser burrow-acme runs on what a CA (or a DNS server)
 * sends back: directory, problem, order, authorization, renewal info,
 * Retry-After, the DNS-01 answer check and the certificate chain.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const values[] = { "abc", "def" };
	struct acme_directory d;
	struct acme_problem p;
	struct acme_order o;
	struct acme_authz a;
	time_t s, e;
	unsigned secs;
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (acme_directory_parse(text, size, &d) == 0)
		acme_directory_clear(&d);
	acme_problem_parse(text, size, &p);
	if (acme_order_parse(text, size, &o) == 0)
		acme_order_clear(&o);
	acme_authz_parse(text, size, &a);
	acme_ari_parse(text, size, &s, &e);
	acme_retry_after(text, 0, &secs);
	acme_time_parse(text, &s);
	acme_dns_txt_present(data, size, "_acme-challenge.z.test", values, 2);
	free(text);
	return 0;
}
