/*
 * tsig.h: TSIG (RFC 8945) with HMAC-SHA256, as pure functions over message
 * buffers: finding and checking the TSIG record of a request, signing a
 * response or each message of a multi-message transfer (section 5.3.1).
 *
 * No sockets, no clock: the caller passes the time, so every function is
 * testable and fuzzable alone.  The MAC is computed with OpenSSL.
 */
#ifndef BURROW_DNS_TSIG_H
#define BURROW_DNS_TSIG_H

#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

#define TSIG_TYPE DNS_TYPE_TSIG
#define TSIG_MAC_MAX 64
#define TSIG_MAC_SHA256 32
#define TSIG_FUDGE 300          /* seconds, RFC 8945 10 recommends 300 */
/* Room a TSIG record takes at the end of a message (names up to 255). */
#define TSIG_RR_MAX (DNS_NAME_MAX + 10 + DNS_NAME_MAX + 16 + TSIG_MAC_MAX + 6)

/* TSIG error codes (RFC 8945 4.2, 5.2). */
enum tsig_error {
	TSIG_OK = 0, TSIG_BADSIG = 16, TSIG_BADKEY = 17, TSIG_BADTIME = 18,
	TSIG_BADTRUNC = 22,
};

/* A key: its name in lower-case wire form and the decoded secret. */
struct tsig_key {
	uint8_t name[DNS_NAME_MAX];
	size_t name_len;
	uint8_t secret[128];
	size_t secret_len;
};

/* The TSIG record found at the end of a message. */
struct tsig_rr {
	size_t rr_off;                 /* where the TSIG RR starts */
	uint8_t key[DNS_NAME_MAX];     /* key name, lower-case wire form */
	size_t key_len;
	uint8_t alg[DNS_NAME_MAX];     /* algorithm name, lower-case wire form */
	size_t alg_len;
	uint64_t time_signed;          /* 48 bits */
	uint16_t fudge;
	uint8_t mac[TSIG_MAC_MAX];
	uint16_t mac_len;
	uint16_t orig_id, error;
	size_t other_off;              /* other data: msg + other_off */
	uint16_t other_len;
};

/* Fills k from a key name ("xfr" or "xfr.example"), an algorithm (only
 * "hmac-sha256") and a base64 secret.  Errors: BURROW_ERR_INVALID. */
int tsig_key_init(struct tsig_key *k, const char *name, const char *algorithm,
                  const char *secret_b64);

/* Finds the TSIG record of msg, which must be the last record of the
 * additional section (RFC 8945 5.1), and parses it into *t.
 * Errors: BURROW_ERR_NOTFOUND (no TSIG), BURROW_ERR_PROTO (malformed
 * message, TSIG not last, or a TSIG record that does not parse). */
int tsig_find(const uint8_t *msg, size_t len, struct tsig_rr *t);

/* Checks the MAC of msg (len bytes) whose TSIG record t was found by
 * tsig_find(), with key k.  prior (prior_len bytes, may be 0) is the MAC of
 * the request this answers or of the previous message of a stream; with
 * timers_only set only the timers are digested (RFC 8945 5.3.1).  now is
 * the Unix time.  Returns TSIG_OK or the TSIG error to report (BADKEY when
 * the key or algorithm is not k's, BADSIG, BADTIME, BADTRUNC). */
int tsig_verify(const uint8_t *msg, size_t len, const struct tsig_rr *t,
                const struct tsig_key *k, const uint8_t *prior, size_t prior_len,
                int timers_only, uint64_t now);

/* Appends a TSIG record signed with k to msg (len bytes used, cap bytes
 * available) and increments ARCOUNT; *out_len is the new length and the MAC
 * goes to mac (TSIG_MAC_MAX bytes) for the next message of a stream.
 * prior/timers_only as for tsig_verify().  error and other/other_len
 * (BADTIME's server time, RFC 8945 5.2.3) fill the record's error fields.
 * Errors: BURROW_ERR_LIMIT (no room), BURROW_ERR_CRYPTO. */
int tsig_sign(uint8_t *msg, size_t len, size_t cap, size_t *out_len,
              const struct tsig_key *k, const uint8_t *prior, size_t prior_len,
              int timers_only, uint64_t now, uint16_t error,
              const uint8_t *other, size_t other_len, uint8_t mac[TSIG_MAC_MAX]);

/* Appends an unsigned TSIG record (empty MAC) carrying error for key name
 * t->key, as RFC 8945 5.3.2 wants for BADKEY and BADSIG answers.
 * Errors: BURROW_ERR_LIMIT. */
int tsig_append_error(uint8_t *msg, size_t len, size_t cap, size_t *out_len,
                      const struct tsig_rr *t, uint16_t error);

#endif
