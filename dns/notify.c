/*
 * notify.c: building NOTIFY messages and checking their answers; see
 * notify.h.
 */
#include <string.h>

#include "common/error.h"
#include "dns/notify.h"
#include "dns/wire.h"

size_t
notify_build(uint8_t *out, size_t cap, uint16_t id, const uint8_t *zone, size_t zlen,
             const struct tsig_key *k, uint64_t now, uint8_t mac[TSIG_MAC_MAX])
{
	size_t len = DNS_HEADER_LEN + zlen + 4, n;

	if (zlen == 0 || zlen > DNS_NAME_MAX || cap < len)
		return 0;
	/* RFC 1996 3.3: opcode NOTIFY, AA set, QTYPE SOA; no answer, the
	 * secondary asks for the SOA itself (3.7 makes it optional). */
	dns_put16(out, id);
	dns_put16(out + 2, (uint16_t)(DNS_OPCODE_NOTIFY << 11 | DNS_FLAG_AA));
	dns_put16(out + 4, 1);
	memset(out + 6, 0, 6);
	memcpy(out + DNS_HEADER_LEN, zone, zlen);
	dns_put16(out + DNS_HEADER_LEN + zlen, DNS_TYPE_SOA);
	dns_put16(out + DNS_HEADER_LEN + zlen + 2, DNS_CLASS_IN);
	if (k == NULL)
		return len;
	if (tsig_sign(out, len, cap, &n, k, NULL, 0, 0, now, TSIG_OK, NULL, 0, mac) != BURROW_OK)
		return 0;
	return n;
}

/* Why t (found in pkt) is not an acceptable signature by k over req_mac;
 * NULL if it is. */
static const char *
bad_signature(const uint8_t *pkt, size_t len, const struct tsig_rr *t,
              const struct tsig_key *k, const uint8_t *req_mac, size_t mac_len,
              uint64_t now)
{
	/* RFC 8945 5.3.2: a BADKEY/BADSIG answer carries a TSIG without a
	 * MAC, which anyone could have sent. */
	if (t->mac_len == 0)
		return t->error == TSIG_BADKEY ? "unsigned TSIG error BADKEY"
		    : t->error == TSIG_BADSIG ? "unsigned TSIG error BADSIG"
		    : "TSIG without a MAC";
	switch (tsig_verify(pkt, len, t, k, req_mac, mac_len, 0, now)) {
	case TSIG_OK:
		return NULL;
	case TSIG_BADKEY:
		return "signed with another key";
	case TSIG_BADTIME:
		return "signed outside the time window";
	case TSIG_BADTRUNC:
		return "truncated MAC";
	default:
		return "wrong MAC";
	}
}

int
notify_check(const uint8_t *pkt, size_t len, uint16_t id, const struct tsig_key *k,
             const uint8_t *req_mac, size_t mac_len, uint64_t now, int *rcode,
             const char **why)
{
	struct tsig_rr t;
	uint16_t flags;
	int rc;

	*why = NULL;
	if (len < DNS_HEADER_LEN || dns_get16(pkt) != id)
		return BURROW_ERR_PROTO;
	flags = dns_get16(pkt + 2);
	if (!(flags & DNS_FLAG_QR) || ((flags & DNS_OPCODE_MASK) >> 11) != DNS_OPCODE_NOTIFY)
		return BURROW_ERR_PROTO;
	rc = tsig_find(pkt, len, &t);
	if (rc != BURROW_OK && rc != BURROW_ERR_NOTFOUND)
		return BURROW_ERR_PROTO;
	*rcode = flags & 0x0F;
	if (k == NULL) {
		/* Unsigned NOTIFY: a signature we cannot check is refused. */
		*why = rc == BURROW_OK ? "signed, but the NOTIFY was not" : NULL;
		return rc == BURROW_OK ? BURROW_ERR_CRYPTO : BURROW_OK;
	}
	/* RFC 8945 5.4: to a signed request, an unsigned answer or one whose
	 * TSIG does not verify is not an answer (it may be spoofed). */
	*why = rc == BURROW_ERR_NOTFOUND ? "unsigned"
	    : bad_signature(pkt, len, &t, k, req_mac, mac_len, now);
	return *why != NULL ? BURROW_ERR_CRYPTO : BURROW_OK;
}
