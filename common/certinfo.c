#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/certinfo.h"
#include "common/error.h"

static int64_t
asn1_time_unix(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static void
collect_names(X509 *leaf, char *out, size_t outsz)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	size_t used = 0;
	int i;

	out[0] = '\0';
	for (i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
		const unsigned char *dns;
		int len, n;

		if (gn->type != GEN_DNS)
			continue;
		dns = ASN1_STRING_get0_data(gn->d.dNSName);
		len = ASN1_STRING_length(gn->d.dNSName);
		n = snprintf(out + used, outsz - used, "%s%.*s", used > 0 ? "," : "", len, dns);
		if (n < 0 || (size_t)n >= outsz - used)
			break;
		used += (size_t)n;
	}
	GENERAL_NAMES_free(sans);
}

static void
collect_serial(X509 *leaf, char *out, size_t outsz)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

	snprintf(out, outsz, "%s", hex != NULL ? hex : "");
	OPENSSL_free(hex);
	BN_free(bn);
}

static int
check_key(X509 *leaf, const char *key_pem)
{
	BIO *bio = BIO_new_mem_buf(key_pem, -1);
	EVP_PKEY *key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	int ok = key != NULL && X509_check_private_key(leaf, key) == 1;

	EVP_PKEY_free(key);
	BIO_free(bio);
	return ok ? BURROW_OK : BURROW_ERR_INVALID;
}

int
certinfo_read(const char *chain_pem, const char *key_pem, struct certinfo *out)
{
	BIO *bio = NULL;
	X509 *leaf = NULL, *next = NULL;
	EVP_PKEY *pub;
	int rc = BURROW_ERR_INVALID;

	memset(out, 0, sizeof(*out));
	if (chain_pem == NULL || (bio = BIO_new_mem_buf(chain_pem, -1)) == NULL)
		goto out;
	if ((leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL)
		goto out;
	out->chain_length = 1;
	while ((next = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		out->chain_length++;
		X509_free(next);
	}
	collect_names(leaf, out->names, sizeof(out->names));
	collect_serial(leaf, out->serial, sizeof(out->serial));
	out->not_before = asn1_time_unix(X509_get0_notBefore(leaf));
	out->not_after = asn1_time_unix(X509_get0_notAfter(leaf));
	pub = X509_get0_pubkey(leaf);
	snprintf(out->key_type, sizeof(out->key_type), "%s",
	    pub != NULL && EVP_PKEY_base_id(pub) == EVP_PKEY_RSA ? "rsa" : "ecdsa");
	rc = key_pem != NULL ? check_key(leaf, key_pem) : BURROW_OK;
out:
	X509_free(leaf);
	BIO_free(bio);
	return rc;
}

int
certinfo_covers(const char *names, const char *host)
{
	const char *p = names, *dot = strchr(host, '.');
	size_t len;

	while (*p != '\0') {
		len = strcspn(p, ",");
		if (len == strlen(host) && strncasecmp(p, host, len) == 0)
			return 1;
		/* "*.zone" covers "label.zone", never "zone" or "a.b.zone". */
		if (len > 2 && p[0] == '*' && p[1] == '.' && dot != NULL &&
		    strlen(dot + 1) == len - 2 && strncasecmp(p + 2, dot + 1, len - 2) == 0)
			return 1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}
