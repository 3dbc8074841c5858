/*
 * store.h: the Burrow store, shared by every program: one SQLite file (the
 * embedded default, one machine) or one PostgreSQL database (many machines;
 * db/engine.h says how the two engines sit under the same functions).
 *
 * All SQL lives in db/.  Every write is one transaction: it happens whole or
 * not at all, and a violated constraint comes back as BURROW_ERR_EXISTS or
 * BURROW_ERR_INVALID with store_errmsg() naming what was wrong.
 * Readers on a hot path (burrow-dns, burrow-edge) keep their own index and
 * read store_change_max() when the store watch (store_watch.h) says another
 * process wrote, to learn what to re-read.
 *
 * This header covers opening, zones, tunnels, records, edges, settings and the
 * change log.  ACME and certificates: store_cert.h; connect-token and TSIG
 * secrets: store_secret.h; proxies: store_proxy.h.
 */
#ifndef BURROW_STORE_H
#define BURROW_STORE_H

#include <stdint.h>

#include "common/names.h"

struct store;

enum store_open_flags {
	STORE_CREATE = 1 << 0,   /* create the file if missing */
	STORE_READONLY = 1 << 1, /* a reader: no migration, no writes */
};

/* Opens (and with STORE_CREATE creates) the store at path, applying pending
 * migrations.  path is a SQLite file, or a PostgreSQL database named by a
 * postgresql:// or postgres:// URI or a libpq "key=value ..." string (the
 * database must exist; STORE_CREATE creates Burrow's tables in it, without
 * it a database lacking them is BURROW_ERR_NOTFOUND).  On success *out is
 * the caller's, freed by store_close().
 * Errors: BURROW_ERR_NOTFOUND (no file and no STORE_CREATE), BURROW_ERR_SCHEMA
 * (file from a newer Burrow), BURROW_ERR_IO, BURROW_ERR_NOMEM.  On failure
 * errmsg (if not NULL, size errsz) says why.  A store file (or -wal, -shm)
 * that group or others can reach is opened all the same, with one warning
 * line (common/log.h) per process. */
int store_open(const char *path, int flags, struct store **out,
               char *errmsg, size_t errsz);

/* Makes the store file at path, and its -wal and -shm files where present,
 * mode 0600 if group or others can reach them (a store made by hand or
 * restored from a backup).  *changed gets how many files were changed, *was
 * their earlier mode bits OR'ed together (0 if none).  Opening such a store
 * works but logs a warning once.  Returns BURROW_OK, BURROW_ERR_NOTFOUND (no
 * file at path) or BURROW_ERR_IO (chmod failed; errno says why). */
int store_make_private(const char *path, int *changed, unsigned *was);

/* Closes the store; NULL is fine. */
void store_close(struct store *s);

/* The detail of the last error on s, "" if none.  Owned by s. */
const char *store_errmsg(const struct store *s);

/* The schema version this program writes, and the version of an open store. */
int store_schema_latest(void);
int store_schema_version(struct store *s);

/* Opens a store at path migrated only up to version (for tests of the
 * migration path).  Same ownership and errors as store_open(). */
int store_open_at_version(const char *path, int version, struct store **out);

/* ---- write-ahead log upkeep ---- */

/* For a writer on a hot path, from another connection (db/wal.c): copies
 * what it can of the log into the database without blocking readers
 * or writers (a passive checkpoint); *log_frames and *copied (may be NULL)
 * get the log's size and what is now in the database, in pages.  BURROW_OK
 * also when another checkpoint was running. */
int store_checkpoint(struct store *s, int *log_frames, int *copied);

/* ---- settings ---- */

/* The keys of the settings table, one name each for every program
 * (store_proxy.h has the proxy pools'). */
#define STORE_SETTING_TCP_PORT_RANGE "tcp_port_range"     /* LO-HI, burrow init */
#define STORE_SETTING_EDGE_TLS_PORT "edge_tls_port"       /* burrow init --tls-port */
#define STORE_SETTING_DELEGATION_ROOT "delegation_root"   /* where checks start */
#define STORE_SETTING_DELEGATION_PORT "delegation_port"
#define STORE_SETTING_ACME_DIRECTORY "acme.directory"
#define STORE_SETTING_ACME_CA_BUNDLE "acme.ca_bundle"
#define STORE_SETTING_ACME_DNS_SERVER "acme.dns_server"

/* Copies the value of key into out (size outsz), or def if unset.
 * Returns BURROW_OK or BURROW_ERR_IO. */
int store_setting_get(struct store *s, const char *key, const char *def,
                      char *out, size_t outsz);
int store_setting_set(struct store *s, const char *key, const char *value);

/* ---- zones ---- */

enum store_zone_kind { STORE_ZONE_BASE, STORE_ZONE_CUSTOM };

struct store_zone {
	int64_t id;
	char name[NAMES_MAX + 1];
	enum store_zone_kind kind;
	char workspace[64];
	char state[16];      /* active, pending, delegated, missing-ns, ... */
	char reason[256];    /* why the last delegation check said so */
	int64_t checked_at;
	uint32_t ttl;        /* TTL of the zone's own records */
	char soa_mname[NAMES_MAX + 1];
	char soa_rname[NAMES_MAX + 1];
	uint32_t soa_refresh, soa_retry, soa_expire, soa_minimum;
	uint32_t serial;     /* from the change log */
	int64_t created_at;
};

struct store_init_params {
	const char *zone;        /* base zone, e.g. "w.modal.host" */
	const char *const *ns;   /* NS host names */
	int ns_count;
	const char *edge_ipv4;   /* may be NULL */
	const char *edge_ipv6;   /* may be NULL */
	uint16_t tcp_port_min, tcp_port_max;
};

/* Creates the base zone with its NS set, edge addresses and port range.
 * Idempotent: if the base zone already exists with this name, changes
 * nothing and returns BURROW_OK; a different base zone is BURROW_ERR_EXISTS. */
int store_init(struct store *s, const struct store_init_params *p);

/* Looks a zone up by canonical name.  BURROW_ERR_NOTFOUND if absent. */
int store_zone_get(struct store *s, const char *name, struct store_zone *out);

/* The base zone.  BURROW_ERR_NOTFOUND if the store was never initialised. */
int store_zone_base(struct store *s, struct store_zone *out);

/* The zone that name falls in (longest suffix).  BURROW_ERR_NOTFOUND if none. */
int store_zone_for_name(struct store *s, const char *name, struct store_zone *out);

/* Calls cb for each zone in name order; a non-zero return from cb stops the
 * walk and is returned.  The struct is valid only during the call. */
typedef int (*store_zone_cb)(const struct store_zone *z, void *ctx);
int store_zone_list(struct store *s, store_zone_cb cb, void *ctx);

/* Calls cb with each NS host of the zone, in order. */
typedef int (*store_name_cb)(const char *name, void *ctx);
int store_zone_ns_list(struct store *s, int64_t zone_id, store_name_cb cb, void *ctx);

/* Registers a customer domain (state 'pending') served with the base zone's
 * NS set.  Refuses (BURROW_ERR_REFUSED) a name that equals, contains or lies
 * inside an existing zone; BURROW_ERR_EXISTS for the same name again. */
int store_domain_add(struct store *s, const char *name, const char *workspace,
                     struct store_zone *out);

/* Removes a customer domain and its records.  BURROW_ERR_NOTFOUND if absent,
 * BURROW_ERR_REFUSED for the base zone or while tunnels still use it. */
int store_domain_remove(struct store *s, const char *name);

/* Stores the result of a delegation check. */
int store_domain_set_state(struct store *s, const char *name, const char *state,
                           const char *reason);

/* ---- tunnels ---- */

enum store_tunnel_kind { STORE_TUNNEL_TLS, STORE_TUNNEL_H2, STORE_TUNNEL_TCP };

struct store_tunnel {
	int64_t id;
	char hostname[NAMES_MAX + 1];
	int64_t zone_id;
	char zone[NAMES_MAX + 1];
	char target_host[NAMES_MAX + 1];
	uint16_t target_port;
	enum store_tunnel_kind kind;
	uint16_t public_port;  /* kind tcp only, else 0 */
	int connect_token;
	char workspace[64];
	int64_t created_at;
	int64_t expires_at;    /* 0: never */
	char sandbox[64];      /* "" if not made for a sandbox */
};

struct store_tunnel_spec {
	const char *zone;        /* NULL: the base zone */
	const char *target_host;
	uint16_t target_port;
	enum store_tunnel_kind kind;
	int connect_token;
	const char *workspace;   /* may be NULL */
	int64_t expires_at;      /* unix seconds, 0: never */
};

/* What a runtime adds to a spec (store_tunnel_put). */
struct store_tunnel_place {
	const char *sandbox;     /* may be NULL; needs the spec's workspace */
	int max_per_workspace;   /* 0: no limit */
};

/* Creates a tunnel with a fresh random label under the zone (retrying on a
 * collision) and, for kind tcp, a free public port from the configured range.
 * Errors: BURROW_ERR_INVALID (bad spec, including tcp with connect_token),
 * BURROW_ERR_NOTFOUND (zone), BURROW_ERR_REFUSED (zone not usable: a
 * customer domain not delegated), BURROW_ERR_FULL (no free port/name). */
int store_tunnel_create(struct store *s, const struct store_tunnel_spec *spec,
                        struct store_tunnel *out);

/* store_tunnel_create() into place->sandbox (place may be NULL),
 * idempotent for a sandbox: if the workspace's sandbox already has a live tunnel to this target, *out gets it and
 * *created (may be NULL) is 0; one with another kind, zone or connect_token
 * is BURROW_ERR_EXISTS, and an expired one is replaced.  With
 * max_per_workspace, a workspace holding that many tunnels gets
 * BURROW_ERR_LIMIT.  now is the clock the lease is read against. */
int store_tunnel_put(struct store *s, const struct store_tunnel_spec *spec,
                     const struct store_tunnel_place *place, int64_t now,
                     struct store_tunnel *out, int *created);

/* 1 if t has a lease that ran out at or before now, else 0. */
int store_tunnel_expired(const struct store_tunnel *t, int64_t now);

int store_tunnel_get(struct store *s, const char *hostname, struct store_tunnel *out);

/* Removes a tunnel.  BURROW_ERR_NOTFOUND if absent. */
int store_tunnel_remove(struct store *s, const char *hostname);

/* Calls cb for each tunnel (of zone_id, or all if zone_id is 0). */
typedef int (*store_tunnel_cb)(const struct store_tunnel *t, void *ctx);
int store_tunnel_list(struct store *s, int64_t zone_id, store_tunnel_cb cb, void *ctx);

/* How many tunnels zone_id (0: every zone) has, into *count: a reader sizes
 * its tables before store_tunnel_list() fills them. */
int store_tunnel_count(struct store *s, int64_t zone_id, int64_t *count);

/* Calls cb for each live tunnel (not expired at now) of workspace, only
 * those of sandbox if not NULL, in id order. */
int store_tunnel_list_workspace(struct store *s, const char *workspace,
                                const char *sandbox, int64_t now,
                                store_tunnel_cb cb, void *ctx);

/* Removes tunnel hostname if it belongs to workspace.  BURROW_ERR_NOTFOUND
 * otherwise, whoever holds it. */
int store_tunnel_remove_in(struct store *s, const char *workspace, const char *hostname);

/* Sets expires_at of every live leased tunnel of the workspace's sandbox;
 * *renewed (may be NULL) gets the count.  Each row's update is logged, so
 * readers learn the new expiry.  BURROW_ERR_NOTFOUND if none was live. */
int store_tunnel_renew(struct store *s, const char *workspace, const char *sandbox,
                       int64_t now, int64_t expires_at, int *renewed);

/* Removes every tunnel of the workspace's sandbox; *removed (may be NULL)
 * gets the count.  BURROW_ERR_NOTFOUND if it had none. */
int store_tunnel_remove_sandbox(struct store *s, const char *workspace,
                                const char *sandbox, int *removed);

/* Removes every tunnel whose lease ran out at or before now, in one
 * transaction; *removed (may be NULL) gets the count. */
int store_tunnel_reap(struct store *s, int64_t now, int *removed);

const char *store_tunnel_kind_name(enum store_tunnel_kind kind);
/* Returns BURROW_OK or BURROW_ERR_INVALID for an unknown kind name. */
int store_tunnel_kind_parse(const char *name, enum store_tunnel_kind *kind);

/* ---- extra records (TXT, CAA, A, AAAA, CNAME, MX, SRV) ---- */

struct store_record {
	int64_t id;
	int64_t zone_id;
	char name[NAMES_MAX + 1];
	char type[16];
	uint32_t ttl;
	char rdata[4096];   /* presentation form */
};

/* Adds a record after checking with ldns that "name ttl IN type rdata" is a
 * valid RR inside a zone of ours.  Errors: BURROW_ERR_INVALID (bad type or
 * rdata), BURROW_ERR_NOTFOUND (no zone), BURROW_ERR_EXISTS (same RR). */
int store_record_add(struct store *s, const char *name, const char *type,
                     uint32_t ttl, const char *rdata, struct store_record *out);

/* Removes one record by id.  BURROW_ERR_NOTFOUND if absent. */
int store_record_remove(struct store *s, int64_t id);

/* Removes every record with this name and type (rdata NULL) or this exact
 * RR.  *removed (may be NULL) gets the count; none is BURROW_ERR_NOTFOUND. */
int store_record_remove_match(struct store *s, const char *name, const char *type,
                              const char *rdata, int *removed);

typedef int (*store_record_cb)(const struct store_record *r, void *ctx);
/* Each record of zone_id (0: all), or only those named name if not NULL. */
int store_record_list(struct store *s, int64_t zone_id, const char *name,
                      store_record_cb cb, void *ctx);

/* ---- edge addresses ---- */

struct store_edge {
	int64_t id;
	char address[48];
	int family;   /* 4 or 6 */
};

/* Errors: BURROW_ERR_INVALID (not an IP literal), BURROW_ERR_EXISTS. */
int store_edge_add(struct store *s, const char *address);
int store_edge_remove(struct store *s, const char *address);
typedef int (*store_edge_cb)(const struct store_edge *e, void *ctx);
int store_edge_list(struct store *s, store_edge_cb cb, void *ctx);

/* ---- change log ---- */

struct store_change {
	int64_t seq;
	int64_t zone_id;    /* 0: applies to every zone (edges) */
	char name[NAMES_MAX + 1];
	char op[8];         /* add, del, update, lease (only expires_at moved) */
};

/* The newest sequence number, 0 for an empty log. */
int store_change_max(struct store *s, int64_t *seq);

/* Calls cb for each change with seq > after, oldest first. */
typedef int (*store_change_cb)(const struct store_change *c, void *ctx);
int store_change_since(struct store *s, int64_t after, store_change_cb cb, void *ctx);

#endif
