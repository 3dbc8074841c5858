/*
 * rrl.h: response rate limiting (RRL) for UDP, as NSD and Knot ship it.
 *
 * An authoritative server on the Internet is an amplifier: a forged query
 * of 40 bytes from a victim's address makes us send the victim a response
 * of hundreds.  RRL counts responses per client netblock (/24 for IPv4,
 * /56 for IPv6, Knot's blocks) and per response class, and lets rate of
 * them through per second; the rest are dropped, except every slip-th,
 * which goes out truncated (TC=1, empty) so a real resolver behind that
 * address retries over TCP, which cannot be forged.  TCP is never limited.
 *
 * Response classes (NSD's choices, rrl.c's rrl_classify):
 *   positive  (query name, query type): one name's answer, one type
 *   NODATA    the zone apex: every empty answer of a zone is one class
 *   NXDOMAIN  the zone apex: a random-subdomain flood is one class
 *   error     the zone apex, or the root if no zone of ours matched
 *             (REFUSED, FORMERR, NOTIMP, BADVERS): one class per netblock
 * NSD also has a referral class; burrow-dns serves no delegations, so no
 * response is a referral.
 *
 * Memory is one fixed table of buckets allocated by rrl_new() and never
 * grown: a flood from random addresses only evicts buckets.  A bucket is
 * found by a keyed 64-bit hash of (netblock, class); two slots per key
 * (the older one is evicted), so a busy bucket survives most collisions.
 * Not thread-safe: one table per worker thread, so no lock per query.  A
 * netblock whose queries reach several workers (SO_REUSEPORT spreads
 * source ports) gets rate per second from each, as with NSD's per-child
 * tables.
 */
#ifndef BURROW_DNS_RRL_H
#define BURROW_DNS_RRL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/netaddr.h"
#include "dns/wire.h"

#define RRL_DEFAULT_RATE 200     /* responses per second (NSD's suggestion) */
#define RRL_DEFAULT_SLIP 2
#define RRL_DEFAULT_BUCKETS 65536
#define RRL_EXEMPT_MAX 32

enum rrl_kind { RRL_POSITIVE, RRL_NODATA, RRL_NXDOMAIN, RRL_ERROR };

/* What a response is, as far as rate limiting cares; dns_answer_at()
 * (answer.h) fills it in. */
struct rrl_class {
	enum rrl_kind kind;
	uint16_t qtype;               /* RRL_POSITIVE only */
	uint16_t head_len;            /* header and question bytes: what a slip keeps */
	uint8_t name_len;
	uint8_t name[DNS_NAME_MAX];   /* lower-case wire: query name or zone apex */
};

struct rrl_config {
	uint32_t rate;                /* per netblock and class per second; 0: off */
	uint32_t slip;                /* every slip-th limited response is sent
	                               * truncated; 0: none (all dropped), 1: all */
	size_t buckets;               /* table size (a power of two); 0: default */
	struct netaddr_cidr exempt[RRL_EXEMPT_MAX]; /* never limited */
	int nexempt;
};

enum rrl_verdict { RRL_ANSWER, RRL_DROP, RRL_SLIP };

struct rrl;

/* A table for one worker thread, with a fresh random hash key; copies cfg.
 * NULL on allocation failure or if cfg->rate is 0 (nothing to limit).
 * Free with rrl_free() (NULL is fine). */
struct rrl *rrl_new(const struct rrl_config *cfg);
void rrl_free(struct rrl *r);

/* Counts one response of class cls to client at now (seconds, any epoch;
 * a clock that steps back only resets the buckets it meets) and says
 * whether to send it, drop it or send it truncated. */
enum rrl_verdict rrl_decide(struct rrl *r, const struct sockaddr *client,
                            const struct rrl_class *cls, uint32_t now);

/* Turns the response resp[0..len) of class cls into its slip in place:
 * header and question only, TC set, no records (as NSD's rrl_slip).
 * Returns the new length. */
size_t rrl_slip_write(uint8_t *resp, size_t len, const struct rrl_class *cls);

/* The UDP hook: rrl_decide(), then rrl_slip_write() for a slip.  Returns
 * the length to send (0: drop it) and sets *verdict (for the counters).
 * r NULL (RRL off): len unchanged, RRL_ANSWER. */
size_t rrl_apply(struct rrl *r, const struct sockaddr *client, const struct rrl_class *cls,
                 uint32_t now, uint8_t *resp, size_t len, enum rrl_verdict *verdict);

#endif
