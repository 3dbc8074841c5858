/*
 * xfr.c: AXFR, IXFR and TSIG-signed queries; see xfr.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "dns/wire.h"
#include "dns/xfr.h"

/* Room kept in every message for its TSIG record. */
#define XFR_MSG_LIMIT (DNS_MSG_MAX - TSIG_RR_MAX)
/* A signed query other than a transfer is at most this long. */
#define UDP_STRIP_MAX DNS_MSG_MAX

struct xfr_stream {
	uint16_t id;
	uint8_t question[DNS_NAME_MAX + 4];
	size_t qlen;
	struct tsig_key key;
	uint8_t mac[TSIG_MAC_MAX];       /* request MAC, then each message's */
	size_t mac_len;
	int messages;
	struct rrbuf rrs;                /* the records to send, in order */
	size_t pos;
	uint32_t sent;
};

void
xfr_acl_clear(struct xfr_acl *acl)
{
	free(acl->sec);
	acl->sec = NULL;
	acl->n = 0;
}

void
xfr_peer_text(const struct sockaddr *sa, char *out, size_t outsz)
{
	const void *a = NULL;

	if (sa != NULL && sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa != NULL && sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (a == NULL || inet_ntop(sa->sa_family, a, out, (socklen_t)outsz) == NULL)
		snprintf(out, outsz, "?");
}

void
xfr_stream_free(struct xfr_stream *s)
{
	if (s == NULL)
		return;
	rrbuf_clear(&s->rrs);
	memset(&s->key, 0, sizeof(s->key));
	free(s);
}

void
xfr_stream_stats(const struct xfr_stream *s, uint32_t *records, uint32_t *messages)
{
	*records = s->sent;
	*messages = (uint32_t)s->messages;
}

/* A response with the question and no records (REFUSED, NOTAUTH, ...). */
static size_t
reply(const uint8_t *pkt, const struct dns_query *q, int rcode, int aa, uint8_t *out)
{
	uint16_t flags = (uint16_t)(DNS_FLAG_QR | (q->flags & DNS_FLAG_RD) | (rcode & 0x0F));

	if (aa)
		flags |= DNS_FLAG_AA;
	memcpy(out + DNS_HEADER_LEN, pkt + DNS_HEADER_LEN, q->question_end - DNS_HEADER_LEN);
	dns_put16(out, q->id);
	dns_put16(out + 2, flags);
	dns_put16(out + 4, 1);
	memset(out + 6, 0, 6);
	return q->question_end;
}

/* Signs out (len bytes) as the answer to a request with MAC t->mac, or
 * returns it unsigned if there is no key.  0 if it cannot be signed. */
static size_t
sign_reply(uint8_t *out, size_t len, size_t cap, const struct tsig_key *k,
           const struct tsig_rr *t, uint64_t now)
{
	uint8_t mac[TSIG_MAC_MAX];
	size_t n;

	if (k == NULL)
		return len;
	if (tsig_sign(out, len, cap, &n, k, t->mac, t->mac_len, 0, now, TSIG_OK, NULL, 0, mac)
	    != BURROW_OK)
		return 0;
	return n;
}

/* The secondary (if any) whose key signed t; by key name only. */
static const struct xfr_secondary *
key_by_name(const struct xfr_acl *acl, const struct tsig_rr *t)
{
	for (int i = 0; acl != NULL && i < acl->n; i++)
		if (acl->sec[i].key.name_len == t->key_len &&
		    memcmp(acl->sec[i].key.name, t->key, t->key_len) == 0)
			return &acl->sec[i];
	return NULL;
}

/* True if a secondary at this address uses key k. */
static int
allowed(const struct xfr_acl *acl, const char *peer, const struct tsig_key *k)
{
	for (int i = 0; acl != NULL && i < acl->n; i++)
		if (strcmp(acl->sec[i].address, peer) == 0 &&
		    acl->sec[i].key.name_len == k->name_len &&
		    memcmp(acl->sec[i].key.name, k->name, k->name_len) == 0)
			return 1;
	return 0;
}

/* The client's serial from the SOA in the authority section of an IXFR
 * request (RFC 1995 3).  Returns BURROW_OK or BURROW_ERR_PROTO. */
static int
ixfr_serial(const uint8_t *pkt, size_t len, const struct dns_query *q, uint32_t *serial)
{
	size_t off = q->question_end, rd;
	uint16_t type = 0;
	unsigned an = dns_get16(pkt + 6), ns = dns_get16(pkt + 8);

	for (unsigned i = 0; i < an; i++)
		if ((off = wire_skip_rr(pkt, len, off, NULL)) == 0)
			return BURROW_ERR_PROTO;
	if (ns < 1 || wire_skip_rr(pkt, len, off, &type) == 0 || type != DNS_TYPE_SOA)
		return BURROW_ERR_PROTO;
	off = wire_skip_name(pkt, len, off) + 10;
	rd = off;
	if ((off = wire_skip_name(pkt, len, off)) == 0 ||
	    (off = wire_skip_name(pkt, len, off)) == 0 || len - off < 4 ||
	    off + 4 > rd + dns_get16(pkt + rd - 2))
		return BURROW_ERR_PROTO;
	*serial = (uint32_t)dns_get16(pkt + off) << 16 | dns_get16(pkt + off + 2);
	return BURROW_OK;
}

/* The zone whose apex is the query name, or NULL. */
static const struct dns_zone *
zone_at(const struct zone_index *idx, const struct dns_query *q)
{
	const struct dns_node *n = zone_index_lookup(idx, q->lname, q->qname_len);

	return n != NULL && n == n->zone->apex ? n->zone : NULL;
}

static struct xfr_stream *
stream_new(const struct dns_query *q, const uint8_t *pkt, const struct tsig_key *k,
           const struct tsig_rr *t)
{
	struct xfr_stream *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->id = q->id;
	s->qlen = q->question_end - DNS_HEADER_LEN;
	memcpy(s->question, pkt + DNS_HEADER_LEN, s->qlen);
	s->key = *k;
	memcpy(s->mac, t->mac, t->mac_len);
	s->mac_len = t->mac_len;
	return s;
}

size_t
xfr_handle(const struct xfr_ctx *ctx, const uint8_t *pkt, size_t len,
           enum dns_transport transport, const struct sockaddr *peer,
           uint8_t *out, size_t cap, struct xfr_stream **stream,
           char *note, size_t notesz)
{
	struct dns_query q;
	struct tsig_rr t;
	const struct xfr_secondary *sec;
	const struct tsig_key *key = NULL;
	const struct dns_zone *z;
	struct xfr_stream *s = NULL;
	enum dns_parse_result pr;
	char who[64];
	uint32_t serial = 0;
	size_t n;
	int rc, err, xfr;

	*stream = NULL;
	snprintf(note, notesz, "-");
	xfr_peer_text(peer, who, sizeof(who));
	pr = dns_query_parse(pkt, len, &q);
	if (pr != DNS_PARSE_XFR && pr != DNS_PARSE_TSIG)
		return 0;            /* dns_answer() deals with everything else */
	if (cap < DNS_EDNS_SIZE || q.question_end > cap)
		return 0;
	xfr = q.qtype == DNS_TYPE_AXFR || q.qtype == DNS_TYPE_IXFR;

	rc = tsig_find(pkt, len, &t);
	if (rc == BURROW_ERR_PROTO) {
		snprintf(note, notesz, "%s: malformed, FORMERR", who);
		return reply(pkt, &q, DNS_RCODE_FORMERR, 0, out);
	}
	if (rc == BURROW_OK) {
		/* RFC 8945 5.2: unknown key or bad MAC: NOTAUTH and the TSIG
		 * error, unsigned (5.3.2); a bad time is signed, with ours. */
		sec = key_by_name(ctx->acl, &t);
		err = sec != NULL ? tsig_verify(pkt, len, &t, &sec->key, NULL, 0, 0, ctx->now)
		    : TSIG_BADKEY;
		if (err == TSIG_BADTIME) {
			uint8_t other[6], mac[TSIG_MAC_MAX];
			dns_put16(other, (uint16_t)(ctx->now >> 32));
			dns_put16(other + 2, (uint16_t)(ctx->now >> 16));
			dns_put16(other + 4, (uint16_t)ctx->now);
			n = reply(pkt, &q, DNS_RCODE_NOTAUTH, 0, out);
			snprintf(note, notesz, "%s: TSIG BADTIME, NOTAUTH", who);
			return tsig_sign(out, n, cap, &n, &sec->key, t.mac, t.mac_len, 0, ctx->now,
			    TSIG_BADTIME, other, sizeof(other), mac) == BURROW_OK ? n : 0;
		}
		if (err != TSIG_OK) {
			n = reply(pkt, &q, DNS_RCODE_NOTAUTH, 0, out);
			snprintf(note, notesz, "%s: TSIG %s, NOTAUTH", who,
			    err == TSIG_BADKEY ? "BADKEY" : err == TSIG_BADTRUNC ? "BADTRUNC" : "BADSIG");
			return tsig_append_error(out, n, cap, &n, &t, (uint16_t)err) == BURROW_OK ? n : 0;
		}
		key = &sec->key;
	}

	if (!xfr) {
		/* A signed query (a secondary's SOA check): answer the message
		 * without its TSIG, then sign the answer (RFC 8945 5.3). */
		uint8_t stripped[UDP_STRIP_MAX];
		if (key == NULL || t.rr_off > sizeof(stripped))
			return reply(pkt, &q, DNS_RCODE_FORMERR, 0, out);
		memcpy(stripped, pkt, t.rr_off);
		dns_put16(stripped + 10, (uint16_t)(dns_get16(pkt + 10) - 1));
		/* Leave room for our TSIG: key name, algorithm, MAC, fields. */
		n = dns_answer_at(ctx->idx, stripped, t.rr_off, transport, ctx->now, out,
		    cap - (key->name_len + 71), NULL);
		if (n == 0 || n == DNS_ANSWER_XFR)
			return 0;
		return sign_reply(out, n, cap, key, &t, ctx->now);
	}

	/* A transfer: only a secondary at this address with its own key. */
	if (key == NULL || !allowed(ctx->acl, who, key)) {
		snprintf(note, notesz, "%s: %s refused (%s)", who,
		    q.qtype == DNS_TYPE_AXFR ? "AXFR" : "IXFR",
		    key == NULL ? "no TSIG" : "key not allowed for this address");
		return sign_reply(out, reply(pkt, &q, DNS_RCODE_REFUSED, 0, out), cap, key, &t,
		    ctx->now);
	}
	if (q.qclass != DNS_CLASS_IN || (z = zone_at(ctx->idx, &q)) == NULL) {
		snprintf(note, notesz, "%s: transfer of a zone we do not serve, NOTAUTH", who);
		return sign_reply(out, reply(pkt, &q, DNS_RCODE_NOTAUTH, 0, out), cap, key, &t,
		    ctx->now);
	}
	if (q.qtype == DNS_TYPE_IXFR && ixfr_serial(pkt, len, &q, &serial) != BURROW_OK) {
		snprintf(note, notesz, "%s: IXFR without a SOA, FORMERR", who);
		return sign_reply(out, reply(pkt, &q, DNS_RCODE_FORMERR, 0, out), cap, key, &t,
		    ctx->now);
	}
	/* RFC 1995 2 and 4: up to date (or asking over UDP): the SOA alone;
	 * a TCP client that is behind then gets the whole transfer. */
	if (q.qtype == DNS_TYPE_IXFR && (serial == z->serial || transport == DNS_UDP)) {
		struct rrbuf soa = { NULL, 0, 0, 0, 0 };
		rrbuf_put_soa(&soa, z);
		n = reply(pkt, &q, DNS_RCODE_NOERROR, 1, out);
		if (soa.failed || n + soa.len > cap - TSIG_RR_MAX) {
			rrbuf_clear(&soa);
			return 0;
		}
		memcpy(out + n, soa.data, soa.len);
		n += soa.len;
		dns_put16(out + 6, 1);
		rrbuf_clear(&soa);
		snprintf(note, notesz, "%s: IXFR from %u: current serial %u", who, serial, z->serial);
		return sign_reply(out, n, cap, key, &t, ctx->now);
	}
	if ((s = stream_new(&q, pkt, key, &t)) == NULL)
		return 0;
	if (q.qtype == DNS_TYPE_IXFR && ctx->journal != NULL &&
	    ixfr_journal_answer(ctx->journal, z, serial, &s->rrs) == BURROW_OK) {
		snprintf(note, notesz, "%s: IXFR %u -> %u: %u records", who, serial, z->serial,
		    s->rrs.count);
	} else {
		/* RFC 1995 4: no history back to the client's serial: the
		 * whole zone, in AXFR form, answers the IXFR. */
		rrbuf_clear(&s->rrs);
		rrbuf_put_zone(&s->rrs, ctx->idx, z);
		snprintf(note, notesz, "%s: %s serial %u: %u records", who,
		    q.qtype == DNS_TYPE_AXFR ? "AXFR" : "IXFR (whole zone)", z->serial, s->rrs.count);
	}
	if (s->rrs.failed) {
		xfr_stream_free(s);
		return 0;
	}
	*stream = s;
	return 0;
}

size_t
xfr_stream_next(struct xfr_stream *s, uint64_t now, uint8_t *out, size_t cap)
{
	size_t pos, n;
	uint16_t count = 0;
	uint8_t mac[TSIG_MAC_MAX];

	if (s->pos >= s->rrs.len || cap < DNS_MSG_MAX)
		return 0;
	/* RFC 5936 2.2: every message repeats the question; AA set. */
	dns_put16(out, s->id);
	dns_put16(out + 2, DNS_FLAG_QR | DNS_FLAG_AA);
	dns_put16(out + 4, 1);
	memset(out + 6, 0, 6);
	memcpy(out + DNS_HEADER_LEN, s->question, s->qlen);
	pos = DNS_HEADER_LEN + s->qlen;
	while (s->pos < s->rrs.len && count < UINT16_MAX) {
		size_t l = rrbuf_rr_len(s->rrs.data + s->pos);
		if (pos + l > XFR_MSG_LIMIT && count > 0)
			break;
		if (pos + l > XFR_MSG_LIMIT)
			return 0;   /* one record too large for a message */
		memcpy(out + pos, s->rrs.data + s->pos, l);
		pos += l;
		s->pos += l;
		count++;
	}
	dns_put16(out + 6, count);
	s->sent += count;
	/* RFC 8945 5.3.1: the first message is signed with the request's
	 * MAC and all variables, each later one with the previous MAC and
	 * the timers only. */
	if (tsig_sign(out, pos, cap, &n, &s->key, s->mac, s->mac_len, s->messages > 0, now,
	    TSIG_OK, NULL, 0, mac) != BURROW_OK)
		return 0;
	memcpy(s->mac, mac, TSIG_MAC_SHA256);
	s->mac_len = TSIG_MAC_SHA256;
	s->messages++;
	return n;
}
