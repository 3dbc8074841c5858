/*
 * certinfo.h: what a PEM certificate chain says about itself, for storing
 * and listing certificates (issued by ACME or imported by an operator).
 */
#ifndef BURROW_CERTINFO_H
#define BURROW_CERTINFO_H

#include <stdint.h>

struct certinfo {
	char names[1024];      /* the leaf's DNS SANs, comma separated */
	char serial[80];       /* hex */
	char key_type[8];      /* ecdsa or rsa */
	int64_t not_before, not_after;
	int chain_length;      /* certificates in the PEM text */
};

/* Reads the chain (leaf first) and, if key_pem is not NULL, checks that the
 * key belongs to the leaf.  Errors: BURROW_ERR_INVALID (no certificate, bad
 * PEM, key mismatch), BURROW_ERR_NOMEM. */
int certinfo_read(const char *chain_pem, const char *key_pem, struct certinfo *out);

/* True if the comma separated SAN list names covers host exactly or by a
 * wildcard one label deep (RFC 6125 section 6.4.3). */
int certinfo_covers(const char *names, const char *host);

#endif
