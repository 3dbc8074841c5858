/*
 * acme.h: the operations of burrow-acme, an RFC 8555 client, in one header
 * (acme-client's extern.h habit).  The protocol core is pure functions over
 * buffers and JSON (jws.c, proto.c, csr.c, renew.c); http.c only moves bytes
 * with libcurl; client.c signs and retries; order.c walks one order through
 * its states, persisting each step in the store so a restart resumes it.
 */
#ifndef BURROW_ACME_H
#define BURROW_ACME_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/metrics.h"

struct store;

/* ---- keys and JWS (jws.c) ---- */

/* base64url without padding (common/base64.h) as a new string the caller
 * frees; NULL when out of memory. */
char *acme_b64(const void *data, size_t len);

/* Decodes unpadded base64url into a new buffer (caller frees) of *outlen
 * bytes followed by a NUL.  BURROW_ERR_INVALID, BURROW_ERR_NOMEM. */
int acme_b64_decode(const char *in, uint8_t **out, size_t *outlen);

enum acme_key_type { ACME_KEY_EC, ACME_KEY_RSA };

/* A fresh P-256 key (ACME_KEY_EC) or RSA-2048 key.  NULL on failure. */
EVP_PKEY *acme_key_new(enum acme_key_type type);

/* Reads a PEM private key; NULL if pem is not one.  Caller frees. */
EVP_PKEY *acme_key_from_pem(const char *pem);

/* The PKCS#8 PEM of key, caller frees; NULL on failure. */
char *acme_key_to_pem(EVP_PKEY *key);

/* The public JWK of an EC P-256 or RSA key with only the members RFC 7638
 * section 3.2 requires.  New reference, NULL for another key type. */
json_t *acme_jwk(EVP_PKEY *key);

/* The RFC 7638 thumbprint: base64url(SHA-256(JWK members in lexicographic
 * order, no white space)).  Caller frees; NULL on failure. */
char *acme_jwk_thumbprint(EVP_PKEY *key);

/* Turns a DER ECDSA-Sig-Value into the fixed 64-byte R||S of RFC 7518
 * section 3.4.  Returns BURROW_OK or BURROW_ERR_INVALID. */
int acme_ecdsa_der_to_raw(const uint8_t *der, size_t derlen, uint8_t out[64]);

/* Signs payload (NULL: the empty POST-as-GET payload, RFC 8555 6.3) as a
 * flattened JWS (RFC 8555 6.2): ES256 for EC keys, RS256 for RSA; the
 * protected header carries nonce (omitted if NULL), url, and kid if not
 * NULL else the jwk.  Returns JSON text the caller frees, NULL on failure. */
char *acme_jws(EVP_PKEY *key, const char *kid, const char *nonce,
               const char *url, const char *payload);

/* base64url(HMAC-SHA256(key, input)), the HS256 signature of RFC 7518
 * section 3.2.  Caller frees; NULL on failure. */
char *acme_hs256(const uint8_t *key, size_t keylen, const char *input);

/* The externalAccountBinding object of RFC 8555 section 7.3.4: a JWS over
 * the account's JWK, HS256 with the CA-given key id and base64url MAC key,
 * url the newAccount URL.  New reference; NULL (bad MAC key) on failure. */
json_t *acme_eab(EVP_PKEY *account_key, const char *eab_kid,
                 const char *mac_b64url, const char *url);

/* The inner JWS of a key change (RFC 8555 section 7.3.5), signed by the new
 * key: {account: kid, oldKey: JWK of old}.  JSON text caller frees. */
char *acme_key_change_inner(EVP_PKEY *old_key, EVP_PKEY *new_key,
                            const char *kid, const char *url);

/* The DNS-01 TXT value: base64url(SHA-256(token "." thumbprint)), RFC 8555
 * section 8.4.  Caller frees; NULL if token is not base64url. */
char *acme_dns01_txt(const char *token, const char *thumbprint);

/* ---- protocol documents (proto.c), pure JSON in and out ---- */

struct acme_directory {
	char *new_nonce, *new_account, *new_order, *revoke_cert, *key_change;
	char *renewal_info;   /* NULL unless the CA offers ARI (RFC 9773) */
	char *terms;          /* meta.termsOfService, may be NULL */
	int eab_required;     /* meta.externalAccountRequired */
};

/* Parses a directory.  BURROW_ERR_PROTO if a required URL is missing. */
int acme_directory_parse(const char *body, size_t len, struct acme_directory *d);
void acme_directory_clear(struct acme_directory *d);

/* A problem document (RFC 7807, RFC 8555 section 6.7).  type is without the
 * "urn:ietf:params:acme:error:" prefix when it has one. */
struct acme_problem {
	char type[128];
	char detail[512];
};

/* Fills p from body; when body is not a problem document type is "" and
 * detail is a short excerpt.  Never fails. */
void acme_problem_parse(const char *body, size_t len, struct acme_problem *p);

enum acme_retry {
	ACME_RETRY_NO, ACME_RETRY_NONCE, ACME_RETRY_LATER,
	ACME_RETRY_TRANSPORT  /* no answer at all; never from acme_retry_kind() */
};

/* What to do after an error answer: a fresh nonce for badNonce (RFC 8555
 * 6.5), wait and retry for rateLimited and 5xx, else give up. */
enum acme_retry acme_retry_kind(long http_status, const struct acme_problem *p);

/* Seconds from a Retry-After value (delay-seconds or HTTP-date, RFC 9110
 * 10.2.3) relative to now; BURROW_ERR_INVALID if it is neither. */
int acme_retry_after(const char *value, time_t now, unsigned *seconds);

/* Milliseconds to wait before poll number attempt (0 based): Retry-After
 * when the server gave one (retry_after_s > 0), else 100 ms doubling; both
 * bounded by ACME_BACKOFF_MAX_MS. */
#define ACME_BACKOFF_MAX_MS 10000u
unsigned acme_backoff_ms(unsigned attempt, unsigned retry_after_s);

enum acme_status {
	ACME_ST_UNKNOWN, ACME_ST_PENDING, ACME_ST_READY, ACME_ST_PROCESSING,
	ACME_ST_VALID, ACME_ST_INVALID, ACME_ST_EXPIRED, ACME_ST_DEACTIVATED,
	ACME_ST_REVOKED
};
enum acme_status acme_status_parse(const char *s);
const char *acme_status_name(enum acme_status st);

#define ACME_MAX_AUTHZ 8

struct acme_order {
	enum acme_status status;
	size_t nauthz;
	char *authz[ACME_MAX_AUTHZ];
	char *finalize;
	char *certificate;    /* once valid */
	char error[704];      /* "type: detail" of order.error, if any */
};

/* Parses an order object.  BURROW_ERR_PROTO if status or finalize is
 * missing or there are more than ACME_MAX_AUTHZ authorizations. */
int acme_order_parse(const char *body, size_t len, struct acme_order *o);
void acme_order_clear(struct acme_order *o);

/* The next thing to do with an order in state st (RFC 8555 7.1.6). */
enum acme_action {
	ACME_DO_AUTHORIZE, ACME_DO_FINALIZE, ACME_DO_POLL, ACME_DO_DOWNLOAD,
	ACME_DO_FAIL
};
enum acme_action acme_order_next(enum acme_status st);

struct acme_authz {
	enum acme_status status;
	char identifier[256];
	int wildcard;
	enum acme_status chall_status;  /* of the dns-01 challenge */
	char chall_url[1024];
	char token[256];
	char error[704];
};

/* Parses an authorization and picks its dns-01 challenge.
 * BURROW_ERR_PROTO if malformed or (while pending) without dns-01. */
int acme_authz_parse(const char *body, size_t len, struct acme_authz *a);

/* ---- CSR and certificate chain (csr.c) ---- */

/* base64url DER of a CSR for zone and *.zone signed by key (RFC 8555 7.4).
 * Caller frees; NULL on failure. */
char *acme_csr(EVP_PKEY *key, const char *zone);

struct acme_cert_info {
	time_t not_before, not_after;
	char serial[80];      /* hex */
	char names[1024];     /* "*.zone,zone" as issued */
};

/* Checks a PEM chain (leaf first) from the CA: every block parses, the leaf
 * holds key's public key and names zone and *.zone.  Fills info.
 * BURROW_ERR_PROTO with err set if not. */
int acme_chain_check(const char *chain_pem, EVP_PKEY *key, const char *zone,
                     struct acme_cert_info *info, char *err, size_t errsz);

/* The DER of the first certificate of a PEM chain in *der (caller frees). */
int acme_chain_leaf_der(const char *chain_pem, uint8_t **der, size_t *len);

/* ---- renewal (renew.c) ---- */

/* The ARI CertID of RFC 9773 section 4.1: base64url(AKI keyIdentifier) "."
 * base64url(serial DER content).  Caller frees; NULL if leaf has no AKI. */
char *acme_ari_cert_id(X509 *leaf);

/* Parses a RenewalInfo object (suggestedWindow start/end, RFC 3339).
 * BURROW_ERR_PROTO if malformed or end < start. */
int acme_ari_parse(const char *body, size_t len, time_t *start, time_t *end);

/* When to renew: a point inside the ARI window [start, end) chosen by rnd
 * (RFC 9773 section 4.2), or two thirds into the lifetime when there is no
 * window (start == 0). */
time_t acme_renew_at(time_t not_before, time_t not_after, time_t win_start,
                     time_t win_end, uint32_t rnd);

/* RFC 3339 "2025-01-02T03:04:05Z" (fractions and offsets allowed) to time_t. */
int acme_time_parse(const char *s, time_t *out);

/* ---- HTTPS (http.c): libcurl, bytes only ---- */

struct acme_http;

struct acme_resp {
	long status;
	char *body;           /* NUL terminated, owned */
	size_t len;
	char nonce[256];      /* Replay-Nonce */
	char location[1024];
	char retry_after[128];
	char content_type[128];
};

/* One connection-reusing handle verifying the server against ca_bundle
 * (NULL: the system store).  NULL on failure. */
struct acme_http *acme_http_new(const char *ca_bundle);
void acme_http_free(struct acme_http *h);
void acme_resp_clear(struct acme_resp *r);

enum acme_method { ACME_GET, ACME_HEAD, ACME_POST };

/* Performs one request; body is JOSE JSON for POST.  Any HTTP status is
 * BURROW_OK; a transport failure is BURROW_ERR_IO with err set. */
int acme_http_do(struct acme_http *h, enum acme_method m, const char *url,
                 const char *body, const char *accept, struct acme_resp *r,
                 char *err, size_t errsz);

/* ---- the signed-request client (client.c) ---- */

/* What burrow-acme counts for its metrics (acme/metrics.c): written by
 * every worker thread (metrics_add_shared), read at scrape time. */
enum acme_outcome { ACME_OUTCOME_ISSUED, ACME_OUTCOME_FAILED, ACME_OUTCOME_STOPPED,
                    ACME_OUTCOMES };
struct acme_stats {
	struct metrics_counter orders[ACME_OUTCOMES];  /* zones worked on, by outcome */
	struct metrics_counter badnonce;               /* requests resent after badNonce */
	struct metrics_counter requests;               /* signed requests sent */
};

struct acme_client {
	struct acme_http *http;
	char *directory_url;
	struct acme_directory dir;
	EVP_PKEY *key;        /* account key */
	char *kid;            /* account URL */
	int64_t account_id;
	char nonce[256];
	char err[1024];       /* one line: what failed */
	atomic_int *stop;     /* set by the daemon on SIGTERM; may be NULL */
	unsigned requests;          /* signed requests sent, retries included */
	unsigned badnonce_retries;  /* of those, resent after badNonce */
	struct acme_stats *stats;   /* the same, for the metrics; may be NULL */
};

/* Retries of one signed request, counted apart so that one kind never uses
 * up another's: a CA rejecting nonces does not shorten the backoff allowed
 * for its rate limits, nor the reverse.
 *
 * ACME_NONCE_RETRIES: a badNonce retry is one round trip with no wait, so
 * the budget can be large.  A request then fails only if its first attempt
 * and all 200 retries are rejected: at Pebble's PEBBLE_WFE_NONCEREJECT=90
 * that is 0.9^201 ~ 6.3e-10 per request, and a run of 50 signed requests
 * (account, order, authorizations, challenges, polls, finalize, download,
 * revoke, key change) fails with probability below 3.2e-8.  (The old 20
 * gave 0.9^21 ~ 0.11 per request: every issuance failed.)  A CA that
 * rejects more than that is broken; 201 round trips bound the cost. */
#define ACME_NONCE_RETRIES 200
#define ACME_LATER_RETRIES 5      /* rateLimited and 5xx, with backoff */

struct acme_retry_budget {
	unsigned nonce;             /* badNonce answers so far */
	unsigned later;             /* rateLimited, 5xx and transport failures */
};

/* Counts one failed attempt of kind against b (a zeroed budget per request)
 * and says whether the request may be sent again: 1 yes, 0 no.  Transport
 * failures share the ACME_RETRY_LATER budget, at most half of it.  Pure. */
int acme_retry_take(struct acme_retry_budget *b, enum acme_retry kind);

/* A client for directory_url; fetches nothing yet.  NULL on failure. */
struct acme_client *acme_client_new(const char *directory_url, const char *ca_bundle);
/* Frees c (NULL is fine), logging its request counters at debug level. */
void acme_client_free(struct acme_client *c);

/* GETs the directory.  BURROW_ERR_IO (unreachable), BURROW_ERR_PROTO. */
int acme_client_directory(struct acme_client *c);

/* A signed POST (payload NULL: POST-as-GET) with kid once registered,
 * retrying badNonce at once with the nonce the rejection carried, and
 * rateLimited/5xx/transport failures with bounded backoff (budgets above).
 * Any other error status is BURROW_ERR_PROTO with c->err "TYPE: DETAIL";
 * badNonce past its budget is BURROW_ERR_BUSY (try later, the order stays
 * open); resp holds the last answer. */
int acme_client_post(struct acme_client *c, const char *url, const char *payload,
                     const char *accept, struct acme_resp *resp);

struct acme_account_opts {
	const char *contact;        /* "mailto:..." or NULL */
	const char *eab_kid;        /* External Account Binding, or NULL */
	const char *eab_mac;        /* base64url HMAC key */
};

/* Loads the account for this directory from the store (making and storing
 * a P-256 key first if there is none) and registers or looks it up with
 * newAccount, storing its URL.  Errors as acme_client_post(), plus
 * BURROW_ERR_REFUSED when the CA needs EAB and none was given. */
int acme_client_account(struct acme_client *c, struct store *s,
                        const struct acme_account_opts *o);

/* Rolls the account key over (RFC 8555 7.3.5): the new key is kept in the
 * store as pending first, so a crash leaves it recoverable. */
int acme_client_key_change(struct acme_client *c, struct store *s);

/* Revokes the certificate whose DER is given (RFC 8555 7.6). */
int acme_client_revoke(struct acme_client *c, const uint8_t *der, size_t len);

/* Asks the CA's renewalInfo for leaf's window; BURROW_ERR_NOTFOUND if the
 * directory has no renewalInfo. */
int acme_client_ari(struct acme_client *c, X509 *leaf, time_t *start, time_t *end);

/* Sleeps ms in slices, returning early (BURROW_ERR_BUSY) once *stop is set. */
int acme_client_sleep(struct acme_client *c, unsigned ms);

/* ---- DNS check (dnscheck.c) ---- */

/* True if pkt (wire form) answers name with a TXT RRset holding every one
 * of the values.  Pure. */
int acme_dns_txt_present(const uint8_t *wire, size_t len, const char *name,
                         const char *const *values, size_t nvalues);

/* Asks server ("addr:port", burrow-dns) for name TXT until every value is
 * served or timeout_ms passes.  BURROW_OK, BURROW_ERR_BUSY (timeout or
 * stopped) with err set. */
int acme_dns_wait(const char *server, const char *name, const char *const *values,
                  size_t nvalues, unsigned timeout_ms, atomic_int *stop,
                  char *err, size_t errsz);

/* ---- one order, start to stored certificate (order.c) ---- */

typedef void (*acme_progress_fn)(void *ctx, const char *zone, const char *event,
                                 const char *detail);

struct acme_issue_opts {
	enum acme_key_type key_type;
	const char *dns_server;     /* burrow-dns "addr:port" */
	unsigned dns_timeout_ms;
	acme_progress_fn progress;  /* may be NULL */
	void *progress_ctx;
};

/* Obtains a wildcard + apex certificate for zone and stores it, resuming the
 * zone's unfinished order if there is one.  The account must be set up.
 * Errors: BURROW_ERR_NOTFOUND (zone), BURROW_ERR_PROTO (CA said no; c->err),
 * BURROW_ERR_IO (CA or store unreachable), BURROW_ERR_BUSY (stopped). */
int acme_issue(struct acme_client *c, struct store *s, const char *zone,
               const struct acme_issue_opts *o);

/* ---- many zones and the daemon (daemon.c) ---- */

struct acme_run_opts {
	const char *db_path;
	const char *directory_url;
	const char *ca_bundle;
	struct acme_account_opts account;
	struct acme_issue_opts issue;
	unsigned jobs;              /* worker threads */
	unsigned interval_s;        /* daemon: seconds between scans */
	int once;                   /* daemon: one scan, then exit */
	struct acme_stats *stats;   /* counted into when not NULL */
	const char *metrics_addr;   /* daemon: serve /metrics there (NULL: no) */
};

/* Issues certificates for the listed zones with opts->jobs workers at once.
 * Returns BURROW_OK if every zone got one, else the first error. */
int acme_issue_zones(const struct acme_run_opts *opts, const char *const *zones,
                     size_t nzones);

/* The daemon: every interval, issues what is missing and renews what is due
 * (ARI when offered, else two thirds of the lifetime), until SIGTERM/SIGINT. */
int acme_daemon(const struct acme_run_opts *opts);

/* ---- metrics.c ---- */

struct acme_metrics;
/* Serves GET /metrics on addr from a thread of its own: the counters of
 * stats (borrowed) and each zone's certificate expiry, read from the store
 * at db_path (its own read-only handle).  NULL on failure (logged). */
struct acme_metrics *acme_metrics_start(const char *addr, const char *db_path,
                                        const struct acme_stats *stats);
/* Stops serving and frees am.  NULL is fine. */
void acme_metrics_stop(struct acme_metrics *am);

/* Revokes zone's current certificate with the account of directory_url and
 * marks it revoked in the store.  err (size errsz) says why on failure. */
int acme_revoke_zone(struct store *s, const char *zone, const char *directory_url,
                     const char *ca_bundle, char *err, size_t errsz);

#endif
