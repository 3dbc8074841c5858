/*
 * renew.c: when to renew.  ACME Renewal Information (RFC 9773) when the CA
 * offers it, else two thirds into the certificate's lifetime.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "common/error.h"

char *
acme_ari_cert_id(X509 *leaf)
{
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(leaf);
	unsigned char *der = NULL;
	char *a = NULL, *b = NULL, *out = NULL;
	int len;

	if (aki == NULL || ASN1_STRING_length(aki) <= 0)
		return NULL;
	/* RFC 9773 4.1: the serial's DER encoding without tag and length.  A
	 * serial is at most 20 octets (RFC 5280 4.1.2.2), so the length is
	 * one byte and the header two. */
	if ((len = i2d_ASN1_INTEGER(X509_get0_serialNumber(leaf), &der)) < 3 ||
	    der[1] >= 0x80)
		goto out;
	if ((a = acme_b64(ASN1_STRING_get0_data(aki),
	    (size_t)ASN1_STRING_length(aki))) == NULL ||
	    (b = acme_b64(der + 2, (size_t)len - 2)) == NULL)
		goto out;
	if (asprintf(&out, "%s.%s", a, b) < 0)
		out = NULL;
out:
	OPENSSL_free(der);
	free(a);
	free(b);
	return out;
}

int
acme_time_parse(const char *s, time_t *out)
{
	struct tm tm;
	const char *p;
	int sign, hh, mm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || (p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return BURROW_ERR_INVALID;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	t = timegm(&tm);
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		*out = t;
		return BURROW_OK;
	}
	if ((*p != '+' && *p != '-') || sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 ||
	    strlen(p) != 6 || hh > 23 || mm > 59)
		return BURROW_ERR_INVALID;
	sign = *p == '+' ? 1 : -1;
	*out = t - sign * (hh * 3600 + mm * 60);
	return BURROW_OK;
}

int
acme_ari_parse(const char *body, size_t len, time_t *start, time_t *end)
{
	json_t *root, *win;
	int rc = BURROW_ERR_PROTO;

	if ((root = json_loadb(body, len, 0, NULL)) == NULL)
		return rc;
	win = json_object_get(root, "suggestedWindow");
	if (json_is_object(win) &&
	    acme_time_parse(json_string_value(json_object_get(win, "start")), start) == 0 &&
	    acme_time_parse(json_string_value(json_object_get(win, "end")), end) == 0 &&
	    *end >= *start)
		rc = BURROW_OK;
	json_decref(root);
	return rc;
}

time_t
acme_renew_at(time_t not_before, time_t not_after, time_t win_start, time_t win_end,
              uint32_t rnd)
{
	/* RFC 9773 4.2: pick a uniformly random point in the window so that
	 * many clients do not renew at the same second. */
	if (win_start > 0 && win_end > win_start)
		return win_start + (time_t)((uint64_t)rnd % (uint64_t)(win_end - win_start));
	if (win_start > 0)
		return win_start;
	return not_before + (not_after - not_before) / 3 * 2;
}
