/*
 * answer.c: assembling responses from prebuilt RRsets.
 *
 * The response starts with the query's own header and question, copied as
 * sent (so the name keeps the client's case, RFC 1034 4.1 / 4.3.3-style
 * 0x20 randomisation survives).  Every owner name is then a pointer into
 * that question: the query name itself at offset 12, the zone apex at
 * 12 + (query name length - apex length), other names as their own labels
 * followed by a pointer to the apex.
 */
#include <string.h>

#include "dns/answer.h"

/* Sections in NSD's order: additional A records before AAAA records. */
enum section { SEC_ANSWER, SEC_AUTHORITY, SEC_ADD_A, SEC_ADD_AAAA, SEC_COUNT };

#define PLAN_MAX 64

struct plan_item {
	enum section section;
	const struct dns_node *owner;
	const struct dns_rrset *rrset;
};

struct ctx {
	const struct zone_index *idx;
	const struct dns_query *q;
	const struct dns_zone *zone;
	const struct dns_node *qnode;   /* node of the query name, if it exists */
	uint64_t now;                   /* for leases (zone_index_lease_over) */
	struct plan_item plan[PLAN_MAX];
	int nplan;
	uint8_t *out;
	size_t pos, limit;
	uint16_t apex_ptr;              /* offset of the apex inside the question */
	uint16_t counts[3];
	int tc;
};

/* Adds an RRset to the plan once; a later request for a higher section
 * moves it up (as NSD's answer_add_rrset does). */
static void
plan_add(struct ctx *c, enum section s, const struct dns_node *owner,
         const struct dns_rrset *r)
{
	if (r == NULL)
		return;
	for (int i = 0; i < c->nplan; i++) {
		if (c->plan[i].rrset == r && c->plan[i].owner == owner) {
			if (s < c->plan[i].section)
				c->plan[i].section = s;
			return;
		}
	}
	if (c->nplan == PLAN_MAX)
		return;
	c->plan[c->nplan].section = s;
	c->plan[c->nplan].owner = owner;
	c->plan[c->nplan].rrset = r;
	c->nplan++;
}

/* RFC 1035 3.3.9 / 3.3.11 and RFC 1034 4.3.2 step 6: addresses of NS and
 * MX targets inside the zone go in the additional section. */
static void
plan_additional(struct ctx *c, const struct dns_rrset *r)
{
	const uint8_t *t = r->targets;

	for (int i = 0; i < r->ntargets; i++) {
		size_t len = 0;
		while (t[len] != 0)
			len += 1 + (size_t)t[len];
		len++;
		if (zone_index_in_zone(t, len, c->zone)) {
			const struct dns_node *n = zone_index_lookup(c->idx, t, len);
			if (n != NULL && n->zone == c->zone) {
				plan_add(c, SEC_ADD_A, n, zone_index_rrset_at(n, DNS_TYPE_A, c->now));
				plan_add(c, SEC_ADD_AAAA, n,
				    zone_index_rrset_at(n, DNS_TYPE_AAAA, c->now));
			}
		}
		t += len;
	}
}

static void
plan_rrset(struct ctx *c, enum section s, const struct dns_node *owner,
           const struct dns_rrset *r)
{
	if (r == NULL)
		return;
	plan_add(c, s, owner, r);
	if (r->ntargets > 0)
		plan_additional(c, r);
}

/* Writes the owner name of RRs of node: a pointer where one reaches it. */
static size_t
owner_len(const struct ctx *c, const struct dns_node *n)
{
	if (n == c->qnode || n == c->zone->apex)
		return 2;
	return (size_t)n->name_len - c->zone->name_len + 2;
}

static void
owner_put(const struct ctx *c, const struct dns_node *n, uint8_t *p)
{
	size_t rel;

	if (n == c->qnode) {
		dns_put16(p, 0xC000 | DNS_HEADER_LEN);
		return;
	}
	rel = (size_t)n->name_len - c->zone->name_len;
	memcpy(p, n->name, rel);
	dns_put16(p + rel, (uint16_t)(0xC000 | c->apex_ptr));
}

/* Copies the RRs of item into the packet.  Returns how many fitted; an
 * answer or authority RRset that does not fit whole is left out and sets TC
 * (RFC 2181 9); the additional section takes what fits. */
static int
put_rrset(struct ctx *c, const struct plan_item *it)
{
	const struct dns_rrset *r = it->rrset;
	size_t olen = owner_len(c, it->owner), start = c->pos, off = 0;
	int added = 0, fi = 0;

	for (uint16_t i = 0; i < r->rr_count; i++) {
		size_t rrlen = 10 + (size_t)dns_get16(r->body + off + 8);
		uint8_t *p = c->out + c->pos;
		if (c->pos + olen + rrlen > c->limit)
			break;
		owner_put(c, it->owner, p);
		memcpy(p + olen, r->body + off, rrlen);
		for (; fi < r->nfix && r->fix[fi].rr == i; fi++)
			dns_put16(p + olen + r->fix[fi].pos,
			    (uint16_t)(0xC000 | (c->apex_ptr + r->fix[fi].add)));
		c->pos += olen + rrlen;
		off += rrlen;
		added++;
	}
	if (added < r->rr_count && it->section <= SEC_AUTHORITY) {
		c->pos = start;
		c->tc = 1;
		return 0;
	}
	return added;
}

static void
encode(struct ctx *c)
{
	for (int s = SEC_ANSWER; s < SEC_COUNT && !c->tc; s++) {
		for (int i = 0; i < c->nplan && !c->tc; i++) {
			if ((int)c->plan[i].section != s)
				continue;
			int n = put_rrset(c, &c->plan[i]);
			c->counts[s < SEC_ADD_A ? s : 2] += (uint16_t)n;
		}
	}
}

/* Appends an OPT RR (RFC 6891 6.1.2) with our payload size; ede, if not 0,
 * adds an Extended DNS Error option with that info-code (RFC 8914). */
static size_t
put_opt(uint8_t *p, int ext_rcode, int do_bit, uint16_t ede)
{
	p[0] = 0;
	dns_put16(p + 1, DNS_TYPE_OPT);
	dns_put16(p + 3, DNS_EDNS_SIZE);
	p[5] = (uint8_t)ext_rcode;
	p[6] = 0;                           /* version 0 */
	dns_put16(p + 7, do_bit ? 0x8000 : 0);
	dns_put16(p + 9, ede ? 6 : 0);
	if (!ede)
		return DNS_OPT_LEN;
	dns_put16(p + 11, 15);              /* EDE option code */
	dns_put16(p + 13, 2);
	dns_put16(p + 15, ede);
	return DNS_OPT_LEN + 6;
}

static void
put_header(uint8_t *out, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
           uint16_t ns, uint16_t ar)
{
	dns_put16(out, id);
	dns_put16(out + 2, flags);
	dns_put16(out + 4, qd);
	dns_put16(out + 6, an);
	dns_put16(out + 8, ns);
	dns_put16(out + 10, ar);
}

/* A response of the header alone (NSD's query_error): the query's flags
 * but AD, which an answer we did not validate must not carry. */
static size_t
reply_bare(const struct dns_query *q, uint16_t flags, int rcode, uint8_t *out)
{
	flags &= (uint16_t)~(0x000F | DNS_FLAG_AD);
	put_header(out, q->id, (uint16_t)(flags | DNS_FLAG_QR | rcode), 0, 0, 0, 0);
	return DNS_HEADER_LEN;
}

/* A response with the question and no records: REFUSED, NOTAUTH, BADVERS. */
static size_t
reply_question(const struct dns_query *q, const uint8_t *pkt, int rcode, uint16_t ede,
               int with_question, uint8_t *out)
{
	size_t pos = DNS_HEADER_LEN;
	uint16_t flags = (uint16_t)(DNS_FLAG_QR | (rcode & 0x0F));

	/* NSD keeps RD, except in its refusal of a zone transfer. */
	if (rcode != DNS_RCODE_NOTAUTH)
		flags |= q->flags & DNS_FLAG_RD;

	if (with_question) {
		memcpy(out + pos, pkt + DNS_HEADER_LEN, q->question_end - DNS_HEADER_LEN);
		pos = q->question_end;
	}
	if (q->edns != DNS_EDNS_NONE)
		pos += put_opt(out + pos, rcode >> 4, q->edns_do, ede);
	put_header(out, q->id, flags, with_question ? 1 : 0, 0, 0, q->edns != DNS_EDNS_NONE);
	return pos;
}

/* Finds the zone and, if it exists, the node of the query name.  A tunnel
 * name whose lease is over, with nothing else at or below it, is absent:
 * NXDOMAIN like a removed one, until the reaper deletes its row. */
static const struct dns_zone *
find_zone(const struct zone_index *idx, const struct dns_query *q, uint32_t hash,
          uint64_t now, const struct dns_node **qnode)
{
	const struct dns_node *n = zone_index_lookup_hashed(idx, q->lname, q->qname_len, hash);
	size_t off = 0;

	*qnode = n;
	if (n != NULL && zone_index_lease_over(n, now) && n->rrsets == NULL && n->children == 0)
		*qnode = NULL;
	if (n != NULL)
		return n->zone;
	/* The closest existing ancestor decides the zone: zones never
	 * overlap, and every node lies in exactly one zone. */
	while (q->lname[off] != 0) {
		off += 1 + (size_t)q->lname[off];
		if ((n = zone_index_lookup(idx, q->lname + off, q->qname_len - off)) != NULL)
			return n->zone;
	}
	return NULL;
}

/* RFC 8482 4.1: one RRset answers ANY, the first by type (SOA at the apex). */
static const struct dns_rrset *
any_rrset(const struct dns_node *n, uint64_t now)
{
	static const uint16_t order[] = { DNS_TYPE_SOA, DNS_TYPE_A, DNS_TYPE_AAAA };
	const struct dns_rrset *r;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if ((r = zone_index_rrset_at(n, order[i], now)) != NULL)
			return r;
	return n->rrsets;
}

/* Tells cls (if not NULL) what the response is: name is the query name
 * for RRL_POSITIVE, the zone apex for the others (NULL: the root). */
static void
classify(struct rrl_class *cls, enum rrl_kind kind, const uint8_t *name, size_t name_len,
         uint16_t qtype, size_t head_len)
{
	if (cls == NULL)
		return;
	cls->kind = kind;
	cls->qtype = qtype;
	cls->head_len = (uint16_t)head_len;
	if (name == NULL) {
		name = (const uint8_t *)"";
		name_len = 1;
	}
	cls->name_len = (uint8_t)name_len;
	memcpy(cls->name, name, name_len);
}

/* The answer to a packet dns_query_parse() did not find a plain query. */
static size_t
answer_unparsed(const struct dns_query *q, enum dns_parse_result pr, const uint8_t *pkt,
                enum dns_transport transport, uint8_t *out, struct rrl_class *cls)
{
	classify(cls, RRL_ERROR, NULL, 0, 0, DNS_HEADER_LEN);
	switch (pr) {
	case DNS_PARSE_DROP:
		return 0;
	case DNS_PARSE_FORMERR:
		return reply_bare(q, (q->flags & (DNS_FLAG_RD | DNS_OPCODE_MASK)), DNS_RCODE_FORMERR, out);
	case DNS_PARSE_FORMERR_BARE:
		return reply_bare(q, q->flags & DNS_OPCODE_MASK, DNS_RCODE_FORMERR, out);
	case DNS_PARSE_NOTIMP:
		return reply_bare(q, q->flags, DNS_RCODE_NOTIMP, out);
	case DNS_PARSE_XFR:
	case DNS_PARSE_TSIG:
		/* xfr.c's replies carry the question. */
		classify(cls, RRL_ERROR, NULL, 0, 0, q->question_end);
		/* RFC 5936 4.2: AXFR only over TCP; NOTIMP over UDP, as NSD. */
		if (pr == DNS_PARSE_XFR && q->qtype == DNS_TYPE_AXFR && transport == DNS_UDP)
			return reply_question(q, pkt, DNS_RCODE_NOTIMP, 0, 1, out);
		return DNS_ANSWER_XFR;
	case DNS_PARSE_OK:
		break;
	}
	return 0;
}

/* Refuses what no zone of ours could answer: returns the reply, or 0 if
 * the query is for the zones to answer. */
static size_t
answer_unsupported(const struct dns_query *q, const uint8_t *pkt, uint8_t *out,
                   struct rrl_class *cls)
{
	classify(cls, RRL_ERROR, NULL, 0, 0, q->question_end);
	/* RFC 6891 6.1.3: an unknown version gets BADVERS and nothing else. */
	if (q->edns == DNS_EDNS_BADVERS)
		return reply_question(q, pkt, DNS_RCODE_BADVERS, 0, 1, out);
	if (q->qclass != DNS_CLASS_IN && q->qclass != DNS_CLASS_ANY) {
		/* EDE 21, "Not Supported"; NSD keeps the question only for CH. */
		if (q->qclass != DNS_CLASS_CH)
			classify(cls, RRL_ERROR, NULL, 0, 0, DNS_HEADER_LEN);
		return reply_question(q, pkt, DNS_RCODE_REFUSED, 21, q->qclass == DNS_CLASS_CH, out);
	}
	return 0;
}

size_t
dns_answer(const struct zone_index *idx, const uint8_t *pkt, size_t len,
           enum dns_transport transport, uint8_t *out, size_t cap)
{
	return dns_answer_at(idx, pkt, len, transport, 0, out, cap, NULL);
}

size_t
dns_answer_at(const struct zone_index *idx, const uint8_t *pkt, size_t len,
              enum dns_transport transport, uint64_t now, uint8_t *out, size_t cap,
              struct rrl_class *cls)
{
	struct dns_prepared p;

	dns_answer_prepare(idx, pkt, len, &p);
	return dns_answer_prepared(idx, &p, pkt, transport, now, out, cap, cls);
}

void
dns_answer_prepare(const struct zone_index *idx, const uint8_t *pkt, size_t len,
                   struct dns_prepared *p)
{
	p->pr = dns_query_parse(pkt, len, &p->q);
	p->hash = 0;
	if (p->pr == DNS_PARSE_OK) {
		p->hash = zone_index_hash(idx, p->q.lname, p->q.qname_len);
		zone_index_prefetch_bucket(idx, p->hash);
	}
}

void
dns_answer_prefetch(const struct zone_index *idx, const struct dns_prepared *p)
{
	if (p->pr == DNS_PARSE_OK)
		zone_index_prefetch_node(idx, p->hash);
}

size_t
dns_answer_prepared(const struct zone_index *idx, const struct dns_prepared *p,
                    const uint8_t *pkt, enum dns_transport transport, uint64_t now,
                    uint8_t *out, size_t cap, struct rrl_class *cls)
{
	const struct dns_query *q = &p->q;
	struct ctx c;
	size_t limit;
	uint16_t flags;
	int rcode = DNS_RCODE_NOERROR, answered = 0;

	if (p->pr != DNS_PARSE_OK)
		return answer_unparsed(q, p->pr, pkt, transport, out, cls);
	if ((limit = answer_unsupported(q, pkt, out, cls)) != 0)
		return limit;

	memset(&c, 0, offsetof(struct ctx, plan));
	c.nplan = 0;
	c.tc = 0;
	memset(c.counts, 0, sizeof(c.counts));
	c.idx = idx;
	c.q = q;
	c.now = now;
	if ((c.zone = find_zone(idx, q, p->hash, now, &c.qnode)) == NULL)
		/* Not ours: REFUSED, no recursion (RFC 1034 4.3.1); EDE 20. */
		return reply_question(q, pkt, DNS_RCODE_REFUSED, 20, 1, out);

	/* Response size: RFC 1035 4.2.1 512 bytes without EDNS, else the
	 * client's payload size capped at ours (RFC 6891 6.2.5). */
	if (transport == DNS_TCP)
		limit = DNS_MSG_MAX;
	else if (q->edns == DNS_EDNS_NONE || q->edns_size <= DNS_UDP_MIN)
		limit = DNS_UDP_MIN;
	else
		limit = q->edns_size < DNS_EDNS_SIZE ? q->edns_size : DNS_EDNS_SIZE;
	if (limit > cap)
		limit = cap;
	if (q->edns != DNS_EDNS_NONE)
		limit -= DNS_OPT_LEN;
	c.out = out;
	c.limit = limit;
	c.apex_ptr = (uint16_t)(DNS_HEADER_LEN + q->qname_len - c.zone->name_len);

	if (c.qnode == NULL) {
		rcode = DNS_RCODE_NXDOMAIN;
	} else {
		const struct dns_rrset *r = q->qtype == DNS_TYPE_ANY ? any_rrset(c.qnode, now)
		    : zone_index_rrset_at(c.qnode, q->qtype, now);
		if (r != NULL) {
			answered = 1;
			plan_rrset(&c, SEC_ANSWER, c.qnode, r);
			/* NSD's default (not minimal-responses): the zone's NS
			 * set in authority, except for ANY (RFC 8482). */
			if (q->qclass != DNS_CLASS_ANY && q->qtype != DNS_TYPE_ANY)
				plan_rrset(&c, SEC_AUTHORITY, c.zone->apex, c.zone->ns);
		}
	}
	if (answered)
		classify(cls, RRL_POSITIVE, q->lname, q->qname_len, q->qtype, q->question_end);
	else
		classify(cls, rcode == DNS_RCODE_NXDOMAIN ? RRL_NXDOMAIN : RRL_NODATA,
		    c.zone->name, c.zone->name_len, 0, q->question_end);
	/* Negative answers (NXDOMAIN, or NODATA incl. an empty non-terminal)
	 * carry the SOA in authority, TTL min(SOA TTL, MINIMUM): RFC 2308 3. */
	if (c.nplan == 0 && q->qclass != DNS_CLASS_ANY)
		plan_add(&c, SEC_AUTHORITY, c.zone->apex, c.zone->soa_neg);

	memcpy(out + DNS_HEADER_LEN, pkt + DNS_HEADER_LEN, q->question_end - DNS_HEADER_LEN);
	c.pos = q->question_end;
	encode(&c);
	if (q->edns != DNS_EDNS_NONE)
		c.pos += put_opt(out + c.pos, 0, q->edns_do, 0);
	flags = (uint16_t)(DNS_FLAG_QR | (q->flags & DNS_FLAG_RD) | rcode);
	if (q->qclass != DNS_CLASS_ANY)
		flags |= DNS_FLAG_AA;
	if (c.tc)
		flags |= DNS_FLAG_TC;
	put_header(out, q->id, flags, 1, c.counts[0], c.counts[1],
	    (uint16_t)(c.counts[2] + (q->edns != DNS_EDNS_NONE)));
	return c.pos;
}
