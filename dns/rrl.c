/*
 * rrl.c: response rate limiting; see rrl.h.
 *
 * Each bucket holds the responses left in its current second: a new second
 * refills it to rate, each response takes one, an empty bucket limits.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "dns/rrl.h"

struct rrl_bucket {
	uint64_t tag;          /* the key's hash; 0: empty */
	uint32_t second;       /* the second left counts for */
	uint32_t left;         /* responses still allowed in that second */
	uint32_t limited;      /* limited responses since the last slip */
};

struct rrl {
	struct rrl_config cfg;
	uint64_t key[2];       /* hash key: clients must not choose collisions */
	size_t mask;           /* buckets - 1 */
	struct rrl_bucket *b;
};

/* Longest hashed key: family, netblock, kind, type, name. */
#define KEY_MAX (1 + 7 + 1 + 2 + DNS_NAME_MAX)

struct rrl *
rrl_new(const struct rrl_config *cfg)
{
	struct rrl *r;
	size_t n = cfg->buckets ? cfg->buckets : RRL_DEFAULT_BUCKETS;

	if (cfg->rate == 0 || (n & (n - 1)) != 0 || n < 2)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	/* calloc: untouched buckets cost no resident memory. */
	if ((r->b = calloc(n, sizeof(*r->b))) == NULL ||
	    RAND_bytes((unsigned char *)r->key, sizeof(r->key)) != 1) {
		rrl_free(r);
		return NULL;
	}
	r->cfg = *cfg;
	r->mask = n - 1;
	return r;
}

void
rrl_free(struct rrl *r)
{
	if (r == NULL)
		return;
	free(r->b);
	free(r);
}

/* A 64-bit finaliser (murmur3's): every input bit reaches every output bit. */
static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* Keyed hash of p[0..len): 8 bytes a round, the length in the last one. */
static uint64_t
hash_key(const struct rrl *r, const uint8_t *p, size_t len)
{
	uint64_t h = r->key[0], w;
	size_t off = 0;

	for (; len - off >= 8; off += 8) {
		memcpy(&w, p + off, 8);
		h = mix(h ^ w) + r->key[1];
	}
	w = 0;
	memcpy(&w, p + off, len - off);
	h = mix(h ^ w ^ ((uint64_t)len << 56));
	return h != 0 ? h : 1;
}

/* Writes the client's netblock (a family byte, then /24 or /56) to out and
 * returns its length, or 0 for an address family we cannot group. */
static size_t
netblock(const struct sockaddr *sa, uint8_t *out)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *a;

	if (sa->sa_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
		if (memcmp(a, mapped, sizeof(mapped)) != 0) {
			out[0] = 6;
			memcpy(out + 1, a, 7);
			return 8;
		}
		a += sizeof(mapped);   /* ::ffff:a.b.c.d is the IPv4 client */
	} else {
		return 0;
	}
	out[0] = 4;
	memcpy(out + 1, a, 3);
	return 4;
}

static int
exempt(const struct rrl *r, const struct sockaddr *client)
{
	for (int i = 0; i < r->cfg.nexempt; i++)
		if (netaddr_cidr_contains(&r->cfg.exempt[i], client))
			return 1;
	return 0;
}

/* True if bucket a is the better one to give away than b: empty, else
 * used longer ago, else with more of its budget left (a limited flow, the
 * one that matters, keeps its bucket against a passing newcomer). */
static int
evict_first(const struct rrl_bucket *a, const struct rrl_bucket *b, uint32_t now)
{
	if (a->tag == 0 || b->tag == 0)
		return a->tag == 0;
	/* Unsigned distance: a clock that stepped back counts as old. */
	if (a->second != b->second)
		return now - a->second > now - b->second;
	return a->left >= b->left;
}

/* The bucket of tag: one of two neighbouring slots, else one of them
 * reset for tag. */
static struct rrl_bucket *
bucket(struct rrl *r, uint64_t tag, uint32_t now)
{
	struct rrl_bucket *a = &r->b[(tag >> 1) & r->mask & ~(size_t)1], *b = a + 1, *v;

	if (a->tag == tag)
		return a;
	if (b->tag == tag)
		return b;
	v = evict_first(a, b, now) ? a : b;
	v->tag = tag;
	v->second = now;
	v->left = r->cfg.rate;
	v->limited = 0;
	return v;
}

enum rrl_verdict
rrl_decide(struct rrl *r, const struct sockaddr *client, const struct rrl_class *cls,
           uint32_t now)
{
	uint8_t key[KEY_MAX];
	size_t n;
	struct rrl_bucket *b;

	if (exempt(r, client) || (n = netblock(client, key)) == 0)
		return RRL_ANSWER;
	key[n++] = (uint8_t)cls->kind;
	key[n++] = (uint8_t)(cls->kind == RRL_POSITIVE ? cls->qtype >> 8 : 0);
	key[n++] = (uint8_t)(cls->kind == RRL_POSITIVE ? cls->qtype : 0);
	memcpy(key + n, cls->name, cls->name_len);
	n += cls->name_len;
	b = bucket(r, hash_key(r, key, n), now);
	if (b->second != now) {
		b->second = now;
		b->left = r->cfg.rate;
	}
	if (b->left > 0) {
		b->left--;
		return RRL_ANSWER;
	}
	if (r->cfg.slip > 0 && ++b->limited >= r->cfg.slip) {
		b->limited = 0;
		return RRL_SLIP;
	}
	return RRL_DROP;
}

size_t
rrl_slip_write(uint8_t *resp, size_t len, const struct rrl_class *cls)
{
	size_t keep = cls->head_len;

	if (len < DNS_HEADER_LEN)
		return len;
	if (keep < DNS_HEADER_LEN || keep > len)
		keep = DNS_HEADER_LEN;
	resp[2] |= DNS_FLAG_TC >> 8;
	if (keep == DNS_HEADER_LEN)
		dns_put16(resp + 4, 0);
	dns_put16(resp + 6, 0);
	dns_put16(resp + 8, 0);
	dns_put16(resp + 10, 0);
	return keep;
}

size_t
rrl_apply(struct rrl *r, const struct sockaddr *client, const struct rrl_class *cls,
          uint32_t now, uint8_t *resp, size_t len, enum rrl_verdict *verdict)
{
	*verdict = RRL_ANSWER;
	if (r == NULL || len == 0)
		return len;
	switch ((*verdict = rrl_decide(r, client, cls, now))) {
	case RRL_ANSWER:
		return len;
	case RRL_SLIP:
		return rrl_slip_write(resp, len, cls);
	case RRL_DROP:
		break;
	}
	return 0;
}
