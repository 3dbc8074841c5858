/*
 * notify.h: NOTIFY (RFC 1996) to the secondaries on every serial change.
 *
 * notify_build() and notify_check() are pure functions over buffers; the
 * sender (notify_send.c) owns a UDP socket per address family in the
 * server's first event loop, retries with backoff until a secondary
 * acknowledges (with its TSIG key, when the NOTIFY was signed), and never
 * blocks answering.
 */
#ifndef BURROW_DNS_NOTIFY_H
#define BURROW_DNS_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "dns/tsig.h"
#include "dns/xfr.h"

/* Writes a NOTIFY for zone (lower-case wire name, zlen bytes) with id,
 * signed with k at time now (k NULL: unsigned), into out (cap bytes);
 * the request MAC goes to mac.  Returns the length, 0 if it does not fit. */
size_t notify_build(uint8_t *out, size_t cap, uint16_t id, const uint8_t *zone,
                    size_t zlen, const struct tsig_key *k, uint64_t now,
                    uint8_t mac[TSIG_MAC_MAX]);

/* Checks that pkt (len bytes) answers our NOTIFY id: a response with the
 * NOTIFY opcode.  For a NOTIFY signed with k (not NULL) the answer must be
 * signed with k over req_mac (RFC 8945 5.4); k NULL (an unsigned NOTIFY)
 * takes an unsigned answer.  *rcode gets the RCODE.  Errors:
 * BURROW_ERR_PROTO (not that answer, or malformed), BURROW_ERR_CRYPTO (no
 * acceptable signature: *why, a static string, says which).  Pure. */
int notify_check(const uint8_t *pkt, size_t len, uint16_t id, const struct tsig_key *k,
                 const uint8_t *req_mac, size_t mac_len, uint64_t now, int *rcode,
                 const char **why);

struct notify_sender;

/* A sender in base; NULL on failure (logged).  Free with
 * notify_sender_free() (NULL is fine). */
struct notify_sender *notify_sender_new(struct event_base *base);
void notify_sender_free(struct notify_sender *ns);

/* Queues a NOTIFY of zone (wire, lower case; text for the log) at serial to
 * sec, sent now and retried (1, 2, 4, 8, 16 s) until acknowledged: signed
 * with sec->key (none if its name is empty), when only a validly signed
 * answer ends the retries.  A newer serial replaces a pending one for the
 * same secondary and zone.
 * Errors: BURROW_ERR_NOMEM, BURROW_ERR_INVALID (address). */
int notify_sender_queue(struct notify_sender *ns, const struct xfr_secondary *sec,
                        const uint8_t *zone, size_t zlen, const char *zone_text,
                        uint32_t serial);

/* Pending notifications (for tests and logs). */
size_t notify_sender_pending(const struct notify_sender *ns);

#endif
