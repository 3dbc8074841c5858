/*
 * tsig.c: TSIG (RFC 8945) with HMAC-SHA256 over message buffers; see tsig.h.
 *
 * Debian 12's ldns 1.8.3 can sign and verify TSIG too, but only on an
 * ldns_pkt: a transfer of 100k names would be parsed back into packets just
 * to be signed.  These functions work on the wire bytes burrow-dns already
 * has, and the unit tests check them against ldns in both directions.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <ldns/ldns.h>

#include "common/base64.h"
#include "common/error.h"
#include "dns/tsig.h"

/* "hmac-sha256." in wire form (RFC 8945 6). */
static const uint8_t alg_sha256[] = "\x0bhmac-sha256";
#define ALG_SHA256_LEN 13

int
tsig_key_init(struct tsig_key *k, const char *name, const char *algorithm,
              const char *secret_b64)
{
	ldns_rdf *dname = NULL;
	size_t b64len, n;
	uint8_t tmp[sizeof(k->secret) + 3];
	int rc = BURROW_ERR_INVALID;

	memset(k, 0, sizeof(*k));
	if (name == NULL || algorithm == NULL || secret_b64 == NULL ||
	    strcmp(algorithm, "hmac-sha256") != 0)
		goto out;
	if (ldns_str2rdf_dname(&dname, name) != LDNS_STATUS_OK)
		goto out;
	ldns_dname2canonical(dname);
	if (ldns_rdf_size(dname) > sizeof(k->name))
		goto out;
	k->name_len = ldns_rdf_size(dname);
	memcpy(k->name, ldns_rdf_data(dname), k->name_len);
	b64len = strlen(secret_b64);
	if (base64_decode(secret_b64, b64len, tmp, sizeof(tmp), &n) != BURROW_OK)
		goto out;
	if (n == 0 || n > sizeof(k->secret))
		goto out;
	memcpy(k->secret, tmp, n);
	k->secret_len = n;
	rc = BURROW_OK;
out:
	OPENSSL_cleanse(tmp, sizeof(tmp));
	ldns_rdf_deep_free(dname);
	return rc;
}

/* Reads the name at off, following compression pointers (each must point
 * backwards, which rules out loops), into out as lower-case wire form.
 * Returns the offset past the name where it starts, or 0. */
static size_t
read_name(const uint8_t *msg, size_t len, size_t off, uint8_t *out, size_t *out_len)
{
	size_t end = 0, n = 0, limit = off;

	for (;;) {
		uint8_t c;
		if (off >= len)
			return 0;
		c = msg[off];
		if ((c & 0xC0) == 0xC0) {
			size_t ptr;
			if (off + 2 > len)
				return 0;
			ptr = (size_t)((c & 0x3F) << 8 | msg[off + 1]);
			if (end == 0)
				end = off + 2;
			if (ptr >= limit)
				return 0;
			limit = ptr;
			off = ptr;
			continue;
		}
		if (c & 0xC0)
			return 0;
		if (n + 1 + c > DNS_NAME_MAX || off + 1 + c > len)
			return 0;
		out[n++] = c;
		for (size_t i = 1; i <= c; i++) {
			uint8_t ch = msg[off + i];
			out[n++] = (ch >= 'A' && ch <= 'Z') ? (uint8_t)(ch + 32) : ch;
		}
		if (c == 0) {
			*out_len = n;
			return end != 0 ? end : off + 1;
		}
		off += 1 + (size_t)c;
	}
}

int
tsig_find(const uint8_t *msg, size_t len, struct tsig_rr *t)
{
	size_t off = DNS_HEADER_LEN, rr = 0, rdend;
	unsigned qd, an, ns, ar, i;
	uint16_t type = 0, rdlen, other_len;

	memset(t, 0, sizeof(*t));
	if (len < DNS_HEADER_LEN)
		return BURROW_ERR_PROTO;
	qd = dns_get16(msg + 4);
	an = dns_get16(msg + 6);
	ns = dns_get16(msg + 8);
	ar = dns_get16(msg + 10);
	if (ar == 0)
		return BURROW_ERR_NOTFOUND;
	for (i = 0; i < qd; i++) {
		if ((off = wire_skip_name(msg, len, off)) == 0 || len - off < 4)
			return BURROW_ERR_PROTO;
		off += 4;
	}
	for (i = 0; i < an + ns + ar; i++) {
		rr = off;
		if ((off = wire_skip_rr(msg, len, off, &type)) == 0)
			return BURROW_ERR_PROTO;
		/* RFC 8945 5.1: a TSIG anywhere but last is a FORMERR. */
		if (type == TSIG_TYPE && i != an + ns + ar - 1)
			return BURROW_ERR_PROTO;
	}
	if (type != TSIG_TYPE)
		return BURROW_ERR_NOTFOUND;
	if (off != len)
		return BURROW_ERR_PROTO;
	t->rr_off = rr;
	if ((off = read_name(msg, len, rr, t->key, &t->key_len)) == 0)
		return BURROW_ERR_PROTO;
	/* TYPE, CLASS ANY, TTL 0 (RFC 8945 4.2). */
	if (dns_get16(msg + off + 2) != DNS_CLASS_ANY)
		return BURROW_ERR_PROTO;
	rdlen = dns_get16(msg + off + 8);
	off += 10;
	rdend = off + rdlen;
	/* The algorithm name is not compressed (RFC 3597 4), read it plainly. */
	if ((off = read_name(msg, rdend, off, t->alg, &t->alg_len)) == 0 || rdend - off < 10)
		return BURROW_ERR_PROTO;
	t->time_signed = (uint64_t)dns_get16(msg + off) << 32 |
	    (uint64_t)dns_get16(msg + off + 2) << 16 | dns_get16(msg + off + 4);
	t->fudge = dns_get16(msg + off + 6);
	t->mac_len = dns_get16(msg + off + 8);
	off += 10;
	if (t->mac_len > TSIG_MAC_MAX || rdend - off < (size_t)t->mac_len + 6)
		return BURROW_ERR_PROTO;
	memcpy(t->mac, msg + off, t->mac_len);
	off += t->mac_len;
	t->orig_id = dns_get16(msg + off);
	t->error = dns_get16(msg + off + 2);
	other_len = dns_get16(msg + off + 4);
	off += 6;
	if (rdend - off != other_len)
		return BURROW_ERR_PROTO;
	t->other_off = off;
	t->other_len = other_len;
	return BURROW_OK;
}

/* ---- the MAC ---- */

struct mac {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
};

static int
mac_start(struct mac *m, const struct tsig_key *k)
{
	OSSL_PARAM params[2];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	m->ctx = NULL;
	if ((m->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (m->ctx = EVP_MAC_CTX_new(m->mac)) == NULL ||
	    EVP_MAC_init(m->ctx, k->secret, k->secret_len, params) != 1)
		return BURROW_ERR_CRYPTO;
	return BURROW_OK;
}

static void
mac_add(struct mac *m, const void *p, size_t n)
{
	if (n > 0)
		EVP_MAC_update(m->ctx, p, n);
}

static void
mac_add16(struct mac *m, uint16_t v)
{
	uint8_t b[2];

	dns_put16(b, v);
	mac_add(m, b, 2);
}

static void
mac_add_time(struct mac *m, uint64_t t, uint16_t fudge)
{
	uint8_t b[8];

	dns_put16(b, (uint16_t)(t >> 32));
	dns_put16(b + 2, (uint16_t)(t >> 16));
	dns_put16(b + 4, (uint16_t)t);
	dns_put16(b + 6, fudge);
	mac_add(m, b, 8);
}

static int
mac_end(struct mac *m, uint8_t out[TSIG_MAC_MAX])
{
	size_t n = 0;
	int ok = m->ctx != NULL && EVP_MAC_final(m->ctx, out, &n, TSIG_MAC_MAX) == 1 &&
	    n == TSIG_MAC_SHA256;

	EVP_MAC_CTX_free(m->ctx);
	EVP_MAC_free(m->mac);
	return ok ? BURROW_OK : BURROW_ERR_CRYPTO;
}

/* The digest of RFC 8945 4.3: prior MAC, the message as it was before the
 * TSIG was added (header given separately, for the original ID and the
 * ARCOUNT without the TSIG), then all TSIG variables or only the timers. */
static int
digest(const struct tsig_key *k, const uint8_t *prior, size_t prior_len,
       const uint8_t hdr[DNS_HEADER_LEN], const uint8_t *body, size_t body_len,
       int timers_only, uint64_t time_signed, uint16_t fudge, uint16_t error,
       const uint8_t *other, size_t other_len, uint8_t out[TSIG_MAC_MAX])
{
	struct mac m;

	if (mac_start(&m, k) != BURROW_OK) {
		EVP_MAC_CTX_free(m.ctx);
		EVP_MAC_free(m.mac);
		return BURROW_ERR_CRYPTO;
	}
	if (prior_len > 0) {
		mac_add16(&m, (uint16_t)prior_len);
		mac_add(&m, prior, prior_len);
	}
	mac_add(&m, hdr, DNS_HEADER_LEN);
	mac_add(&m, body, body_len);
	if (!timers_only) {
		mac_add(&m, k->name, k->name_len);
		mac_add16(&m, DNS_CLASS_ANY);
		mac_add16(&m, 0);
		mac_add16(&m, 0);          /* TTL 0, 32 bits */
		mac_add(&m, alg_sha256, ALG_SHA256_LEN);
	}
	mac_add_time(&m, time_signed, fudge);
	if (!timers_only) {
		mac_add16(&m, error);
		mac_add16(&m, (uint16_t)other_len);
		mac_add(&m, other, other_len);
	}
	return mac_end(&m, out);
}

int
tsig_verify(const uint8_t *msg, size_t len, const struct tsig_rr *t,
            const struct tsig_key *k, const uint8_t *prior, size_t prior_len,
            int timers_only, uint64_t now)
{
	uint8_t hdr[DNS_HEADER_LEN], mac[TSIG_MAC_MAX];
	uint64_t skew;

	if (t->rr_off < DNS_HEADER_LEN || t->rr_off > len)
		return TSIG_BADSIG;
	if (t->key_len != k->name_len || memcmp(t->key, k->name, k->name_len) != 0 ||
	    t->alg_len != ALG_SHA256_LEN || memcmp(t->alg, alg_sha256, ALG_SHA256_LEN) != 0)
		return TSIG_BADKEY;
	/* RFC 8945 5.2.2.1: shorter than half the hash (or than 10 bytes) is
	 * not acceptable; we accept only the full HMAC-SHA256. */
	if (t->mac_len != TSIG_MAC_SHA256)
		return t->mac_len < TSIG_MAC_SHA256 ? TSIG_BADTRUNC : TSIG_BADSIG;
	memcpy(hdr, msg, DNS_HEADER_LEN);
	dns_put16(hdr, t->orig_id);
	dns_put16(hdr + 10, (uint16_t)(dns_get16(msg + 10) - 1));
	if (digest(k, prior, prior_len, hdr, msg + DNS_HEADER_LEN, t->rr_off - DNS_HEADER_LEN,
	    timers_only, t->time_signed, t->fudge, t->error,
	    t->other_off + t->other_len <= len ? msg + t->other_off : NULL,
	    t->other_off + t->other_len <= len ? t->other_len : 0, mac) != BURROW_OK)
		return TSIG_BADSIG;
	if (CRYPTO_memcmp(mac, t->mac, TSIG_MAC_SHA256) != 0)
		return TSIG_BADSIG;
	/* RFC 8945 5.2.3: the time is checked only after the MAC. */
	skew = now > t->time_signed ? now - t->time_signed : t->time_signed - now;
	if (skew > t->fudge)
		return TSIG_BADTIME;
	return TSIG_OK;
}

/* Writes the TSIG RR into msg at len (room checked by the caller). */
static size_t
put_tsig(uint8_t *p, const uint8_t *key, size_t key_len, uint64_t now, uint16_t fudge,
         const uint8_t *mac, size_t mac_len, uint16_t orig_id, uint16_t error,
         const uint8_t *other, size_t other_len)
{
	size_t off = 0, rdlen = ALG_SHA256_LEN + 10 + mac_len + 6 + other_len;

	memcpy(p, key, key_len);
	off += key_len;
	dns_put16(p + off, TSIG_TYPE);
	dns_put16(p + off + 2, DNS_CLASS_ANY);
	memset(p + off + 4, 0, 4);
	dns_put16(p + off + 8, (uint16_t)rdlen);
	off += 10;
	memcpy(p + off, alg_sha256, ALG_SHA256_LEN);
	off += ALG_SHA256_LEN;
	dns_put16(p + off, (uint16_t)(now >> 32));
	dns_put16(p + off + 2, (uint16_t)(now >> 16));
	dns_put16(p + off + 4, (uint16_t)now);
	dns_put16(p + off + 6, fudge);
	dns_put16(p + off + 8, (uint16_t)mac_len);
	off += 10;
	if (mac_len > 0)
		memcpy(p + off, mac, mac_len);
	off += mac_len;
	dns_put16(p + off, orig_id);
	dns_put16(p + off + 2, error);
	dns_put16(p + off + 4, (uint16_t)other_len);
	off += 6;
	if (other_len > 0)
		memcpy(p + off, other, other_len);
	return off + other_len;
}

int
tsig_sign(uint8_t *msg, size_t len, size_t cap, size_t *out_len,
          const struct tsig_key *k, const uint8_t *prior, size_t prior_len,
          int timers_only, uint64_t now, uint16_t error,
          const uint8_t *other, size_t other_len, uint8_t mac[TSIG_MAC_MAX])
{
	size_t need = k->name_len + 10 + ALG_SHA256_LEN + 10 + TSIG_MAC_SHA256 + 6 + other_len;
	int rc;

	if (len < DNS_HEADER_LEN || cap < len || cap - len < need || other_len > 64)
		return BURROW_ERR_LIMIT;
	if ((rc = digest(k, prior, prior_len, msg, msg + DNS_HEADER_LEN, len - DNS_HEADER_LEN,
	    timers_only, now, TSIG_FUDGE, error, other, other_len, mac)) != BURROW_OK)
		return rc;
	len += put_tsig(msg + len, k->name, k->name_len, now, TSIG_FUDGE, mac, TSIG_MAC_SHA256,
	    dns_get16(msg), error, other, other_len);
	dns_put16(msg + 10, (uint16_t)(dns_get16(msg + 10) + 1));
	*out_len = len;
	return BURROW_OK;
}

int
tsig_append_error(uint8_t *msg, size_t len, size_t cap, size_t *out_len,
                  const struct tsig_rr *t, uint16_t error)
{
	size_t need = t->key_len + 10 + ALG_SHA256_LEN + 10 + 6;

	if (len < DNS_HEADER_LEN || cap < len || cap - len < need || t->key_len == 0)
		return BURROW_ERR_LIMIT;
	len += put_tsig(msg + len, t->key, t->key_len, t->time_signed, t->fudge, NULL, 0,
	    dns_get16(msg), error, NULL, 0);
	dns_put16(msg + 10, (uint16_t)(dns_get16(msg + 10) + 1));
	*out_len = len;
	return BURROW_OK;
}
