/*
 * wire.h: the query side of the DNS wire format (and generic name/RR walkers
 * that TSIG and IXFR use), as pure functions over a
 * buffer (no sockets, no allocation), so the parser can be fuzzed alone.
 *
 * dns_query_parse() validates the header, the one question and an optional
 * EDNS(0) OPT record (RFC 1035 4.1, RFC 6891 6.1) and says what to do with a
 * packet: answer it, drop it, or answer with an error code.  The checks and
 * their order follow NSD's query_process() so both servers agree on bad input.
 */
#ifndef BURROW_DNS_WIRE_H
#define BURROW_DNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12
#define DNS_NAME_MAX 255       /* wire form, with the root label */
#define DNS_UDP_MIN 512        /* RFC 1035 4.2.1 */
#define DNS_EDNS_SIZE 1232     /* our UDP payload (DNS flag day 2020) */
#define DNS_MSG_MAX 65535      /* TCP, RFC 7766 */
#define DNS_OPT_LEN 11         /* an OPT RR without options */

/* Header flag bits (host order of the second 16-bit word). */
#define DNS_FLAG_QR 0x8000
#define DNS_OPCODE_NOTIFY 4       /* RFC 1996 */
#define DNS_FLAG_AA 0x0400
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_AD 0x0020        /* RFC 4035 3.2.3 */
#define DNS_OPCODE_MASK 0x7800

enum dns_rcode {
	DNS_RCODE_NOERROR = 0, DNS_RCODE_FORMERR = 1, DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3, DNS_RCODE_NOTIMP = 4, DNS_RCODE_REFUSED = 5,
	DNS_RCODE_NOTAUTH = 9, DNS_RCODE_BADVERS = 16,
};

enum dns_type {
	DNS_TYPE_A = 1, DNS_TYPE_NS = 2, DNS_TYPE_SOA = 6, DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16, DNS_TYPE_AAAA = 28, DNS_TYPE_SRV = 33, DNS_TYPE_OPT = 41,
	DNS_TYPE_TSIG = 250,
	DNS_TYPE_IXFR = 251, DNS_TYPE_AXFR = 252, DNS_TYPE_ANY = 255, DNS_TYPE_CAA = 257,
};

enum dns_class { DNS_CLASS_IN = 1, DNS_CLASS_CH = 3, DNS_CLASS_ANY = 255 };

/* What to do with a packet. */
enum dns_parse_result {
	DNS_PARSE_OK,            /* a well-formed query: look it up */
	DNS_PARSE_DROP,          /* no answer at all (too short, a response) */
	DNS_PARSE_FORMERR,       /* FORMERR, RD kept, no question */
	DNS_PARSE_FORMERR_BARE,  /* FORMERR, all flags cleared (QDCOUNT != 1) */
	DNS_PARSE_NOTIMP,        /* NOTIMP: an opcode other than QUERY */
	DNS_PARSE_XFR,           /* AXFR or IXFR: for xfr.c (question valid) */
	DNS_PARSE_TSIG,          /* ends with a TSIG record: for xfr.c */
};

enum dns_edns { DNS_EDNS_NONE, DNS_EDNS_OK, DNS_EDNS_BADVERS };

struct dns_query {
	uint16_t id;
	uint16_t flags;            /* as received */
	size_t qname_len;          /* wire length of the name, root label included */
	uint8_t lname[DNS_NAME_MAX]; /* the name lower-cased (ASCII only) */
	int labels;                /* labels before the root */
	uint16_t qtype, qclass;
	size_t question_end;       /* offset just past QCLASS */
	enum dns_edns edns;
	uint16_t edns_size;        /* the client's UDP payload size, as sent */
	int edns_do;               /* the DO bit (RFC 3225) */
};

/* Parses pkt (len bytes, not modified, never read past len) into *q.
 * Fields of q are valid as far as the result says: the question for
 * DNS_PARSE_OK, only id and flags for the error results. */
enum dns_parse_result dns_query_parse(const uint8_t *pkt, size_t len,
                                      struct dns_query *q);

/* Skips the name at off in msg (compression pointers end it).  Returns the
 * offset past it or 0 if it runs past len or is malformed. */
size_t wire_skip_name(const uint8_t *msg, size_t len, size_t off);

/* Skips one resource record at off; returns the offset past it or 0.  If
 * type is not NULL it gets the RR's type. */
size_t wire_skip_rr(const uint8_t *msg, size_t len, size_t off, uint16_t *type);

/* Big-endian helpers. */
static inline uint16_t
dns_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline void
dns_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

#endif
