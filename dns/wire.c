/*
 * wire.c: validating a query's header, question and OPT record.
 */
#include <string.h>

#include "dns/wire.h"

size_t
wire_skip_name(const uint8_t *msg, size_t len, size_t off)
{
	size_t total = 0;

	for (;;) {
		uint8_t c;
		if (off >= len)
			return 0;
		c = msg[off];
		if ((c & 0xC0) == 0xC0)
			return off + 2 <= len ? off + 2 : 0;
		if (c & 0xC0)
			return 0;
		if (c == 0)
			return off + 1;
		total += 1 + (size_t)c;
		if (total >= DNS_NAME_MAX)
			return 0;
		off += 1 + (size_t)c;
	}
}

size_t
wire_skip_rr(const uint8_t *msg, size_t len, size_t off, uint16_t *type)
{
	size_t rdlen;

	if ((off = wire_skip_name(msg, len, off)) == 0 || len - off < 10)
		return 0;
	if (type != NULL)
		*type = dns_get16(msg + off);
	rdlen = dns_get16(msg + off + 8);
	off += 10;
	return rdlen <= len - off ? off + rdlen : 0;
}

/* Reads the question name at off.  Compression pointers are refused in the
 * question (as NSD does): a query has nothing earlier to point at, and this
 * removes pointer loops by construction.  Returns the offset past the name,
 * or 0 if the name is malformed or runs past len. */
static size_t
parse_qname(const uint8_t *pkt, size_t len, size_t off, struct dns_query *q)
{
	size_t start = off, n = 0;
	uint8_t c;

	q->labels = 0;
	for (;;) {
		if (off >= len)
			return 0;
		c = pkt[off];
		if (c == 0)
			break;
		/* 0xC0 is a pointer, 0x40/0x80 are the obsolete extended label
		 * types (RFC 6891 5): none belongs in a question. */
		if (c & 0xC0)
			return 0;
		if (off + 1 + c >= len || off + 1 + c - start >= DNS_NAME_MAX)
			return 0;
		q->lname[n++] = c;
		for (size_t i = 1; i <= c; i++) {
			uint8_t ch = pkt[off + i];
			q->lname[n++] = (ch >= 'A' && ch <= 'Z') ? (uint8_t)(ch + 32) : ch;
		}
		off += 1 + (size_t)c;
		q->labels++;
	}
	q->lname[n++] = 0;
	q->qname_len = n;
	return off + 1;
}

/* Parses the OPT RR at off (RFC 6891 6.1.2).  Returns 0 if it is not a
 * well-formed OPT record, else the offset past it. */
static size_t
parse_opt(const uint8_t *pkt, size_t len, size_t off, struct dns_query *q)
{
	uint16_t rdlen;
	size_t end;

	if (len - off < DNS_OPT_LEN)
		return 0;
	/* Owner must be the root name, type OPT. */
	if (pkt[off] != 0 || dns_get16(pkt + off + 1) != DNS_TYPE_OPT)
		return 0;
	q->edns_size = dns_get16(pkt + off + 3);
	/* TTL: extended RCODE, VERSION, DO + Z. */
	q->edns = pkt[off + 6] != 0 ? DNS_EDNS_BADVERS : DNS_EDNS_OK;
	q->edns_do = (pkt[off + 7] & 0x80) != 0;
	rdlen = dns_get16(pkt + off + 9);
	off += DNS_OPT_LEN;
	if (rdlen > len - off)
		return 0;
	end = off + rdlen;
	/* Options are {code, length, data}; unknown codes are ignored
	 * (RFC 6891 6.1.2), but a malformed list is a FORMERR. */
	while (end - off >= 4) {
		uint16_t optlen = dns_get16(pkt + off + 2);
		off += 4;
		if (optlen > end - off)
			return 0;
		off += optlen;
	}
	return off == end ? end : 0;
}

/* True if the arcount records at off end with a TSIG record (RFC 8945
 * 5.1: it must be the last); its checks are xfr.c's business. */
static int
ends_with_tsig(const uint8_t *pkt, size_t len, size_t off, unsigned arcount)
{
	uint16_t type = 0;

	for (unsigned i = 0; i < arcount; i++)
		if ((off = wire_skip_rr(pkt, len, off, &type)) == 0)
			return 0;
	return type == DNS_TYPE_TSIG;
}

enum dns_parse_result
dns_query_parse(const uint8_t *pkt, size_t len, struct dns_query *q)
{
	uint16_t qdcount, ancount, nscount, arcount;
	size_t off;

	memset(q, 0, offsetof(struct dns_query, lname));
	q->edns = DNS_EDNS_NONE;
	/* Too short for a header: nothing to address an answer to. */
	if (len < DNS_HEADER_LEN)
		return DNS_PARSE_DROP;
	q->id = dns_get16(pkt);
	q->flags = dns_get16(pkt + 2);
	/* A response is never answered (RFC 1035 7.3; avoids reply loops). */
	if (q->flags & DNS_FLAG_QR)
		return DNS_PARSE_DROP;
	/* The opcode first, as NSD does: an opcode we do not know may give the
	 * rest of the message another layout (RFC 1035 4.1.1), so NOTIMP even
	 * without a question.  NOTIFY is parsed as a query and refused below. */
	if ((q->flags & DNS_OPCODE_MASK) != 0 &&
	    (q->flags & DNS_OPCODE_MASK) != DNS_OPCODE_NOTIFY << 11)
		return DNS_PARSE_NOTIMP;
	qdcount = dns_get16(pkt + 4);
	ancount = dns_get16(pkt + 6);
	nscount = dns_get16(pkt + 8);
	arcount = dns_get16(pkt + 10);

	if ((off = parse_qname(pkt, len, DNS_HEADER_LEN, q)) == 0 || len - off < 4)
		return DNS_PARSE_FORMERR;
	q->qtype = dns_get16(pkt + off);
	q->qclass = dns_get16(pkt + off + 2);
	off += 4;
	q->question_end = off;

	if ((q->flags & DNS_OPCODE_MASK) != 0)
		return DNS_PARSE_NOTIMP;
	/* RFC 9619: exactly one question. */
	if (qdcount != 1)
		return DNS_PARSE_FORMERR_BARE;
	/* Transfers go to xfr.c, which parses the rest (an IXFR carries the
	 * client's SOA in authority, RFC 1995 3); the OPT record, if it is
	 * the only extra, still shapes an error reply. */
	if (q->qtype == DNS_TYPE_AXFR || q->qtype == DNS_TYPE_IXFR) {
		if (ancount == 0 && nscount == 0 && arcount == 1 && parse_opt(pkt, len, off, q) == 0)
			q->edns = DNS_EDNS_NONE;
		return DNS_PARSE_XFR;
	}
	/* A query carries no answer or authority records and no RCODE. */
	if (ancount != 0 || nscount != 0 || (q->flags & 0x000F) != 0)
		return DNS_PARSE_FORMERR;
	/* A signed query (a secondary's SOA check) goes to xfr.c. */
	if (arcount > 0 && ends_with_tsig(pkt, len, off, arcount))
		return DNS_PARSE_TSIG;
	/* Otherwise the only additional record we accept is one OPT (RFC 6891
	 * 6.1.1: more than one is a FORMERR). */
	if (arcount > 1)
		return DNS_PARSE_FORMERR;
	if (arcount == 1 && parse_opt(pkt, len, off, q) == 0)
		return DNS_PARSE_FORMERR;
	return DNS_PARSE_OK;
}
