/*
 * csr.c: the certificate signing request sent to finalize (RFC 8555 7.4)
 * and the checks on the chain that comes back before it is stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "common/error.h"

char *
acme_csr(EVP_PKEY *key, const char *zone)
{
	X509_REQ *req = NULL;
	X509_NAME *name = NULL;
	X509_EXTENSION *ext = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	unsigned char *der = NULL;
	char san[2 * 256 + 16];
	char *out = NULL;
	int len;

	if ((req = X509_REQ_new()) == NULL || X509_REQ_set_version(req, 0) != 1 ||
	    (name = X509_NAME_new()) == NULL)
		goto out;
	/* A CN is limited to 64 characters (RFC 5280 ub-common-name); the
	 * names that count are in subjectAltName anyway. */
	if (strlen(zone) <= 64 && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)zone, -1, -1, 0) != 1)
		goto out;
	if (X509_REQ_set_subject_name(req, name) != 1)
		goto out;
	snprintf(san, sizeof(san), "DNS:%s,DNS:*.%s", zone, zone);
	if ((ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san)) == NULL ||
	    (exts = sk_X509_EXTENSION_new_null()) == NULL ||
	    sk_X509_EXTENSION_push(exts, ext) == 0)
		goto out;
	ext = NULL;
	if (X509_REQ_add_extensions(req, exts) != 1 || X509_REQ_set_pubkey(req, key) != 1 ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0)
		goto out;
	if ((len = i2d_X509_REQ(req, &der)) <= 0)
		goto out;
	out = acme_b64(der, (size_t)len);
out:
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(name);
	X509_REQ_free(req);
	OPENSSL_free(der);
	return out;
}

static int
asn1_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return BURROW_ERR_INVALID;
	*out = timegm(&tm);
	return BURROW_OK;
}

/* Appends the leaf's DNS names to info->names; sets the two found flags. */
static int
leaf_names(X509 *leaf, const char *zone, struct acme_cert_info *info,
           int *apex, int *wild)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	const char *dns;
	size_t used = 0;
	int i, n;

	*apex = *wild = 0;
	if ((gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL)) == NULL)
		return BURROW_ERR_INVALID;
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_DNS)
			continue;
		dns = (const char *)ASN1_STRING_get0_data(g->d.dNSName);
		if (strcasecmp(dns, zone) == 0)
			*apex = 1;
		else if (strncmp(dns, "*.", 2) == 0 && strcasecmp(dns + 2, zone) == 0)
			*wild = 1;
		n = snprintf(info->names + used, sizeof(info->names) - used, "%s%s",
		    used > 0 ? "," : "", dns);
		if (n < 0 || (size_t)n >= sizeof(info->names) - used)
			break;
		used += (size_t)n;
	}
	GENERAL_NAMES_free(gens);
	return BURROW_OK;
}

int
acme_chain_check(const char *chain_pem, EVP_PKEY *key, const char *zone,
                 struct acme_cert_info *info, char *err, size_t errsz)
{
	BIO *bio = NULL;
	X509 *leaf = NULL, *next;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	int count = 0, apex, wild, rc = BURROW_ERR_PROTO;

	memset(info, 0, sizeof(*info));
	if ((bio = BIO_new_mem_buf(chain_pem, -1)) == NULL) {
		snprintf(err, errsz, "out of memory");
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	if ((leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		snprintf(err, errsz, "certificate download is not a PEM chain");
		goto out;
	}
	for (count = 1; (next = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL; count++)
		X509_free(next);
	if (X509_check_private_key(leaf, key) != 1) {
		snprintf(err, errsz, "issued certificate does not match our key");
		goto out;
	}
	if (leaf_names(leaf, zone, info, &apex, &wild) != BURROW_OK || !apex || !wild) {
		snprintf(err, errsz, "issued certificate lacks %s or *.%s", zone, zone);
		goto out;
	}
	if (asn1_time(X509_get0_notBefore(leaf), &info->not_before) != BURROW_OK ||
	    asn1_time(X509_get0_notAfter(leaf), &info->not_after) != BURROW_OK ||
	    info->not_after <= info->not_before) {
		snprintf(err, errsz, "issued certificate has unreadable validity");
		goto out;
	}
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL)) == NULL ||
	    (hex = BN_bn2hex(bn)) == NULL) {
		snprintf(err, errsz, "issued certificate has no serial");
		goto out;
	}
	snprintf(info->serial, sizeof(info->serial), "%s", hex);
	rc = BURROW_OK;
out:
	BIO_free(bio);
	X509_free(leaf);
	BN_free(bn);
	OPENSSL_free(hex);
	return rc;
}

int
acme_chain_leaf_der(const char *chain_pem, uint8_t **der, size_t *len)
{
	BIO *bio;
	X509 *leaf = NULL;
	unsigned char *buf = NULL;
	int n, rc = BURROW_ERR_INVALID;

	*der = NULL;
	*len = 0;
	if ((bio = BIO_new_mem_buf(chain_pem, -1)) == NULL)
		return BURROW_ERR_NOMEM;
	if ((leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
	    (n = i2d_X509(leaf, &buf)) <= 0)
		goto out;
	if ((*der = malloc((size_t)n)) == NULL) {
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	memcpy(*der, buf, (size_t)n);
	*len = (size_t)n;
	rc = BURROW_OK;
out:
	OPENSSL_free(buf);
	X509_free(leaf);
	BIO_free(bio);
	return rc;
}
