/*
 * delegation.c: the delegation check, an iterative walk with ldns.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "common/netaddr.h"
#include "domains/delegation.h"

/* Bounds that keep a hostile or broken parent from walking us in circles. */
#define WALK_MAX_REFERRALS 16
#define WALK_MAX_DEPTH 3        /* nested look-ups of NS host addresses */
#define WALK_MAX_SERVERS 8

struct walk {
	const struct delegation_params *p;
	struct delegation_result *out;
};

struct servers {
	ldns_rdf *addr[WALK_MAX_SERVERS];
	int count;
};

static void
servers_clear(struct servers *s)
{
	int i;

	for (i = 0; i < s->count; i++)
		ldns_rdf_deep_free(s->addr[i]);
	s->count = 0;
}

static void
servers_add(struct servers *s, const ldns_rdf *addr)
{
	int i;

	if (s->count == WALK_MAX_SERVERS)
		return;
	for (i = 0; i < s->count; i++)
		if (ldns_rdf_compare(s->addr[i], addr) == 0)
			return;
	if ((s->addr[s->count] = ldns_rdf_clone(addr)) != NULL)
		s->count++;
}

static int
fail(struct walk *w, const char *fmt, const char *a, const char *b)
{
	snprintf(w->out->reason, sizeof(w->out->reason), fmt, a, b);
	return BURROW_ERR_IO;
}

/* Asks the servers in turn (no recursion desired) until one answers. */
static ldns_pkt *
ask(struct walk *w, const struct servers *srv, const ldns_rdf *qname, ldns_rr_type qtype)
{
	struct timeval tv = { w->p->timeout_ms / 1000, (w->p->timeout_ms % 1000) * 1000 };
	ldns_pkt *pkt = NULL;
	int i;

	for (i = 0; i < srv->count && pkt == NULL; i++) {
		ldns_resolver *res = ldns_resolver_new();

		if (res == NULL)
			return NULL;
		ldns_resolver_set_port(res, w->p->port);
		ldns_resolver_set_recursive(res, false);
		ldns_resolver_set_retry(res, 2);
		ldns_resolver_set_timeout(res, tv);
		ldns_resolver_set_random(res, false);
		if (ldns_resolver_push_nameserver(res, srv->addr[i]) == LDNS_STATUS_OK &&
		    ldns_resolver_send(&pkt, res, qname, qtype, LDNS_RR_CLASS_IN, 0) != LDNS_STATUS_OK)
			pkt = NULL;
		ldns_resolver_deep_free(res);
	}
	return pkt;
}

/* The NS records of section list owned by owner (NULL: any owner). */
static ldns_rr_list *
ns_records(const ldns_rr_list *section, const ldns_rdf *owner)
{
	ldns_rr_list *out = ldns_rr_list_new();
	size_t i;

	for (i = 0; out != NULL && i < ldns_rr_list_rr_count(section); i++) {
		ldns_rr *rr = ldns_rr_list_rr(section, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS)
			continue;
		if (owner != NULL && ldns_dname_compare(ldns_rr_owner(rr), owner) != 0)
			continue;
		ldns_rr_list_push_rr(out, rr);  /* borrowed, freed with the packet */
	}
	return out;
}

static int resolve_host(struct walk *w, const ldns_rdf *host, int depth, struct servers *out);

/* Addresses of the NS hosts in ns: glue from the packet's additional section
 * first, else a walk of their own from the root. */
static int
ns_addresses(struct walk *w, const ldns_pkt *pkt, const ldns_rr_list *ns, int depth,
             struct servers *out)
{
	const ldns_rr_list *extra = ldns_pkt_additional(pkt);
	size_t i, j;

	for (i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		const ldns_rdf *host = ldns_rr_rdf(ldns_rr_list_rr(ns, i), 0);
		for (j = 0; j < ldns_rr_list_rr_count(extra); j++) {
			ldns_rr *rr = ldns_rr_list_rr(extra, j);
			ldns_rr_type t = ldns_rr_get_type(rr);
			if ((t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA) &&
			    ldns_dname_compare(ldns_rr_owner(rr), host) == 0)
				servers_add(out, ldns_rr_rdf(rr, 0));
		}
	}
	for (i = 0; out->count == 0 && i < ldns_rr_list_rr_count(ns); i++)
		if (depth < WALK_MAX_DEPTH)
			resolve_host(w, ldns_rr_rdf(ldns_rr_list_rr(ns, i), 0), depth + 1, out);
	return out->count > 0 ? BURROW_OK : BURROW_ERR_NOTFOUND;
}

static int
root_servers(struct walk *w, struct servers *s)
{
	int family = netaddr_ip_family(w->p->root);
	ldns_rdf *addr;

	if (family == 0)
		return BURROW_ERR_INVALID;
	addr = ldns_rdf_new_frm_str(family == 4 ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
	    w->p->root);
	if (addr == NULL)
		return BURROW_ERR_NOMEM;
	servers_add(s, addr);
	ldns_rdf_deep_free(addr);
	return BURROW_OK;
}

/*
 * Follows referrals from the root for qname/qtype.  Stops at an answer from
 * an authoritative server, at NXDOMAIN, or (for NS) at the referral whose
 * owner is qname itself: that is the parent speaking of its child
 * (RFC 1034 section 4.2.1).  *out is the caller's.
 */
static int
iterate(struct walk *w, const ldns_rdf *qname, ldns_rr_type qtype, int depth, ldns_pkt **out)
{
	struct servers srv = { { NULL }, 0 };
	ldns_rdf *cut = ldns_dname_new_frm_str(".");
	ldns_pkt *pkt = NULL;
	int hops, rc = BURROW_ERR_IO;

	*out = NULL;
	if (cut == NULL || (rc = root_servers(w, &srv)) != BURROW_OK)
		goto done;
	rc = BURROW_ERR_IO;
	for (hops = 0; hops < WALK_MAX_REFERRALS; hops++) {
		ldns_rr_list *ns;
		ldns_rdf *owner;
		char *qs = ldns_rdf2str(qname);

		ldns_pkt_free(pkt);
		pkt = ask(w, &srv, qname, qtype);
		if (pkt == NULL) {
			fail(w, "no answer from the servers of %s while looking up %s",
			    "the zone above", qs != NULL ? qs : "?");
			free(qs);
			goto done;
		}
		free(qs);
		if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NXDOMAIN || ldns_pkt_aa(pkt)) {
			*out = pkt;
			pkt = NULL;
			rc = BURROW_OK;
			goto done;
		}
		if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR) {
			fail(w, "a server answered %s%s", ldns_pkt_rcode2str(ldns_pkt_get_rcode(pkt)), "");
			goto done;
		}
		ns = ns_records(ldns_pkt_authority(pkt), NULL);
		owner = ldns_rr_list_rr_count(ns) > 0 ? ldns_rr_owner(ldns_rr_list_rr(ns, 0)) : NULL;
		/* A referral must move down towards qname, or the walk loops. */
		if (owner == NULL || !ldns_dname_is_subdomain(owner, cut) ||
		    (ldns_dname_compare(owner, qname) != 0 && !ldns_dname_is_subdomain(qname, owner))) {
			ldns_rr_list_free(ns);
			fail(w, "a server gave %s%s", owner == NULL ? "neither an answer nor a referral"
			    : "a referral that does not lead down", "");
			goto done;
		}
		if (qtype == LDNS_RR_TYPE_NS && ldns_dname_compare(owner, qname) == 0) {
			ldns_rr_list_free(ns);
			*out = pkt;
			pkt = NULL;
			rc = BURROW_OK;
			goto done;
		}
		ldns_rdf_deep_free(cut);
		cut = ldns_rdf_clone(owner);
		servers_clear(&srv);
		rc = ns_addresses(w, pkt, ns, depth, &srv);
		ldns_rr_list_free(ns);
		if (rc != BURROW_OK || cut == NULL) {
			fail(w, "no address for the nameservers of a zone above the domain%s%s", "", "");
			rc = BURROW_ERR_IO;
			goto done;
		}
		rc = BURROW_ERR_IO;
	}
	fail(w, "more than %s referrals%s", "16", "");
done:
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(cut);
	servers_clear(&srv);
	return rc;
}

/* A and AAAA of host by a walk of its own. */
static int
resolve_host(struct walk *w, const ldns_rdf *host, int depth, struct servers *out)
{
	static const ldns_rr_type types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
	ldns_pkt *pkt;
	size_t t, i;

	for (t = 0; t < 2; t++) {
		if (iterate(w, host, types[t], depth, &pkt) != BURROW_OK)
			continue;
		for (i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(pkt)); i++) {
			ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(pkt), i);
			if (ldns_rr_get_type(rr) == types[t])
				servers_add(out, ldns_rr_rdf(rr, 0));
		}
		ldns_pkt_free(pkt);
	}
	return out->count > 0 ? BURROW_OK : BURROW_ERR_NOTFOUND;
}

/* Writes the NS host names of ns, without final dots, comma separated. */
static void
ns_text(const ldns_rr_list *ns, char *out, size_t outsz)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		char *s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ns, i), 0));
		size_t len = s != NULL ? strlen(s) : 0;
		int n;

		if (len > 0 && s[len - 1] == '.')
			s[--len] = '\0';
		n = snprintf(out + used, outsz - used, "%s%s", i > 0 ? ", " : "", s != NULL ? s : "?");
		free(s);
		if (n < 0 || (size_t)n >= outsz - used)
			return;
		used += (size_t)n;
	}
}

static int
ns_listed(const ldns_rr_list *ns, const char *host)
{
	ldns_rdf *want = ldns_dname_new_frm_str(host);
	size_t i;
	int found = 0;

	for (i = 0; want != NULL && !found && i < ldns_rr_list_rr_count(ns); i++)
		found = ldns_dname_compare(ldns_rr_rdf(ldns_rr_list_rr(ns, i), 0), want) == 0;
	ldns_rdf_deep_free(want);
	return found;
}

static int
same_ns_set(const struct delegation_params *p, const ldns_rr_list *ns)
{
	int i;

	if ((int)ldns_rr_list_rr_count(ns) != p->ns_count)
		return 0;
	for (i = 0; i < p->ns_count; i++)
		if (!ns_listed(ns, p->ns[i]))
			return 0;
	return 1;
}

/* True if one of our servers answers NAME's SOA authoritatively: otherwise a
 * resolver following the delegation gets nowhere (a lame delegation). */
static int
answers_for(struct walk *w, const ldns_pkt *referral, const ldns_rr_list *ns,
            const ldns_rdf *name)
{
	struct servers srv = { { NULL }, 0 };
	ldns_pkt *pkt;
	int ok = 0, i;

	if (ns_addresses(w, referral, ns, 0, &srv) != BURROW_OK)
		return 0;
	for (i = 0; i < srv.count && !ok; i++) {
		struct servers one = { { srv.addr[i] }, 1 };
		if ((pkt = ask(w, &one, name, LDNS_RR_TYPE_SOA)) == NULL)
			continue;
		ok = ldns_pkt_aa(pkt) && ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NOERROR &&
		    ldns_rr_list_rr_count(ldns_pkt_answer(pkt)) > 0;
		ldns_pkt_free(pkt);
	}
	servers_clear(&srv);
	return ok;
}

static void
judge(struct walk *w, const ldns_pkt *pkt, const ldns_rdf *name)
{
	struct delegation_result *out = w->out;
	ldns_rr_list *ns;
	char found[400];

	if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NXDOMAIN) {
		out->state = DELEGATION_MISSING_NS;
		snprintf(out->reason, sizeof(out->reason),
		    "missing NS: the parent zone says %s does not exist", w->p->name);
		return;
	}
	/* The parent's referral (authority), or the child's own apex NS set
	 * when one server hosts both (answer). */
	ns = ns_records(ldns_pkt_authority(pkt), name);
	if (ns != NULL && ldns_rr_list_rr_count(ns) == 0) {
		ldns_rr_list_free(ns);
		ns = ns_records(ldns_pkt_answer(pkt), name);
	}
	if (ns == NULL || ldns_rr_list_rr_count(ns) == 0) {
		out->state = DELEGATION_MISSING_NS;
		snprintf(out->reason, sizeof(out->reason),
		    "missing NS: the parent zone has no NS records for %s", w->p->name);
	} else if (!same_ns_set(w->p, ns)) {
		ns_text(ns, found, sizeof(found));
		out->state = DELEGATION_WRONG_NS;
		snprintf(out->reason, sizeof(out->reason), "wrong NS: %s", found);
	} else if (!answers_for(w, pkt, ns, name)) {
		out->state = DELEGATION_LAME;
		snprintf(out->reason, sizeof(out->reason),
		    "lame: delegated to our nameservers, but none answers for %s", w->p->name);
	} else {
		out->state = DELEGATION_DELEGATED;
		snprintf(out->reason, sizeof(out->reason), "delegated");
	}
	ldns_rr_list_free(ns);
}

int
delegation_check(const struct delegation_params *p, struct delegation_result *out)
{
	struct walk w = { p, out };
	ldns_rdf *name = NULL;
	ldns_pkt *pkt = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (p->name == NULL || p->ns_count < 1 || p->root == NULL || p->port == 0)
		return BURROW_ERR_INVALID;
	if ((name = ldns_dname_new_frm_str(p->name)) == NULL)
		return BURROW_ERR_INVALID;
	rc = iterate(&w, name, LDNS_RR_TYPE_NS, 0, &pkt);
	if (rc == BURROW_OK)
		judge(&w, pkt, name);
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(name);
	return rc;
}

const char *
delegation_state_name(enum delegation_state state)
{
	switch (state) {
	case DELEGATION_DELEGATED:  return "delegated";
	case DELEGATION_MISSING_NS: return "missing-ns";
	case DELEGATION_WRONG_NS:   return "wrong-ns";
	case DELEGATION_LAME:       return "lame";
	}
	return "unknown";
}
