/*
 * xfr.h: zone transfers (AXFR, RFC 5936; IXFR, RFC 1995) and TSIG-signed
 * queries (RFC 8945), away from the hot query path: dns_answer() hands
 * these requests over (DNS_ANSWER_XFR) and the server calls xfr_handle().
 *
 * Only secondaries of the store (store_secondary.h) may transfer: the
 * request must come from a secondary's address and be signed with that
 * secondary's key.  Unsigned or unlisted: REFUSED; a key we do not know or
 * a bad signature: NOTAUTH with the TSIG error, unsigned (RFC 8945 5.3.2).
 *
 * Pure: no sockets, the time is passed in.  A transfer takes a snapshot of
 * the zone (or of the journal) under the caller's read lock, so its later
 * messages need no lock at all.
 */
#ifndef BURROW_DNS_XFR_H
#define BURROW_DNS_XFR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/answer.h"
#include "dns/ixfr_journal.h"
#include "dns/tsig.h"
#include "dns/zone_index.h"

struct xfr_secondary {
	char address[48];                /* canonical IP literal */
	uint16_t port;
	char key_name[DNS_NAME_MAX * 4 + 2];
	struct tsig_key key;
};

/* Who may transfer (and gets NOTIFY): a snapshot of the store's table. */
struct xfr_acl {
	struct xfr_secondary *sec;       /* owned */
	int n;
};

struct xfr_ctx {
	const struct zone_index *idx;
	const struct ixfr_journal *journal;
	const struct xfr_acl *acl;
	uint64_t now;                    /* Unix time, for TSIG */
};

/* The remaining messages of one transfer. */
struct xfr_stream;

/* Answers pkt (len bytes) that dns_answer() passed on, received over
 * transport from peer.  A single response goes to out (cap bytes, at least
 * DNS_EDNS_SIZE) and its length is returned (0: no answer).  A transfer
 * over TCP returns 0 and sets *stream instead (the caller's, freed with
 * xfr_stream_free()); what was decided is written to note (notesz bytes)
 * for the log. */
size_t xfr_handle(const struct xfr_ctx *ctx, const uint8_t *pkt, size_t len,
                  enum dns_transport transport, const struct sockaddr *peer,
                  uint8_t *out, size_t cap, struct xfr_stream **stream,
                  char *note, size_t notesz);

/* Writes the next message of the transfer (at most cap bytes, cap must be
 * DNS_MSG_MAX) into out and returns its length; 0 when the transfer is
 * complete.  Messages are TSIG-signed as RFC 8945 5.3.1 describes. */
size_t xfr_stream_next(struct xfr_stream *s, uint64_t now, uint8_t *out, size_t cap);

/* Records and messages sent so far. */
void xfr_stream_stats(const struct xfr_stream *s, uint32_t *records, uint32_t *messages);

void xfr_stream_free(struct xfr_stream *s);

/* Frees the secondaries of acl (acl itself is the caller's). */
void xfr_acl_clear(struct xfr_acl *acl);

/* The canonical text of a socket address's IP (no port) into out. */
void xfr_peer_text(const struct sockaddr *sa, char *out, size_t outsz);

#endif
