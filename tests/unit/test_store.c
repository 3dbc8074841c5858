/* Unit tests: the store (migrations, constraints, tunnels, records, change
 * log, concurrent writers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>


#include "common/error.h"
#include "common/log.h"
#include "db/store.h"
#include "db/store_cert.h"
#include "tests/unit/store_target.h"

struct fixture {
	char dir[64];
	char path[512];
	struct store *s;
};

static const char *const default_ns[] = { "w-ns-a.modal.host", "w-ns-b.modal.host" };

static void
init_params(struct store_init_params *p)
{
	memset(p, 0, sizeof(*p));
	p->zone = "w.modal.host";
	p->ns = default_ns;
	p->ns_count = 2;
	p->edge_ipv4 = "127.0.0.1";
	p->tcp_port_min = 20000;
	p->tcp_port_max = 29999;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct store_init_params p;

	strcpy(f->dir, "/tmp/burrow-unit.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (test_store_target(f->dir, "burrow.db", f->path, sizeof(f->path)) != 0)
		return -1;
	if (store_open(f->path, STORE_CREATE, &f->s, NULL, 0) != BURROW_OK)
		return -1;
	init_params(&p);
	if (store_init(f->s, &p) != BURROW_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Counts rows with the engine's own client, beside the store, to prove
 * nothing changed. */
static int
count_rows(const char *path, const char *table)
{
	return test_count_rows(path, table);
}

static void
test_migrate_from_empty(void **state)
{
	struct fixture *f = *state;

	struct stat st;

	assert_int_equal(store_schema_version(f->s), store_schema_latest());
	assert_true(store_schema_latest() >= 4);
	/* Private keys live in the store: owner-only from the start (a
	 * PostgreSQL store's access is the server's). */
	if (test_pg_url() == NULL) {
		assert_int_equal(stat(f->path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	assert_int_equal(count_rows(f->path, "certificates"), 0);
	assert_int_equal(count_rows(f->path, "proxies"), 0);
}

static void
test_migrate_from_v1(void **state)
{
	struct fixture *f = *state;
	struct store_init_params p;
	struct store_tunnel t;
	struct store *old = NULL, *s = NULL;
	char path[512];

	assert_int_equal(test_store_target(f->dir, "v1.db", path, sizeof(path)), 0);
	assert_int_equal(store_open_at_version(path, 1, &old), BURROW_OK);
	assert_int_equal(store_schema_version(old), 1);
	init_params(&p);
	assert_int_equal(store_init(old, &p), BURROW_OK);
	store_close(old);
	/* A tunnel as version 1 wrote it: today's store code writes today's
	 * columns, so the engine's own client writes the old row. */
	assert_int_equal(test_sql(path, "INSERT INTO tunnels(hostname, zone_id, "
	    "target_host, target_port, kind, created_at) SELECT 'v1tunnel.' || name, id, "
	    "'10.0.0.5', 8000, 'tls', 1 FROM zones"), 0);
	assert_int_equal(count_rows(path, "certificates"), -1);

	assert_int_equal(store_open(path, 0, &s, NULL, 0), BURROW_OK);
	assert_int_equal(store_schema_version(s), store_schema_latest());
	assert_int_equal(count_rows(path, "certificates"), 0);
	assert_int_equal(store_tunnel_get(s, "v1tunnel.w.modal.host", &t), BURROW_OK);
	assert_string_equal(t.sandbox, "");
	store_close(s);
}

static void
test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char err[256];

	assert_int_equal(test_set_schema_version(f->path, store_schema_latest() + 1), 0);
	assert_int_equal(store_open(f->path, 0, &s, err, sizeof(err)), BURROW_ERR_SCHEMA);
	assert_null(s);
	assert_non_null(strstr(err, "newer"));
	assert_int_equal(store_open(f->path, STORE_READONLY, &s, err, sizeof(err)),
	    BURROW_ERR_SCHEMA);
}

static void
test_missing_store(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char path[512], err[256];

	/* On PostgreSQL: a database (schema) without Burrow's tables. */
	assert_int_equal(test_store_target(f->dir, "absent.db", path, sizeof(path)), 0);
	assert_int_equal(store_open(path, 0, &s, err, sizeof(err)), BURROW_ERR_NOTFOUND);
	assert_non_null(strstr(err, "burrow init"));
	if (test_pg_url() == NULL)
		assert_int_equal(access(path, F_OK), -1);
	else
		assert_int_equal(test_count_rows(path, "zones"), -1);
}

static int
mode_of(const char *path, const char *suffix)
{
	char name[600];
	struct stat st;

	snprintf(name, sizeof(name), "%s%s", path, suffix);
	return stat(name, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static int
chmod_all(const char *path, mode_t mode)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char name[600];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%s%s", path, suffix[i]);
		if (chmod(name, mode) != 0)
			return -1;
	}
	return 0;
}

/* A store restored from a backup as 0644: it still opens (with one warning
 * naming it and its mode), and what 'burrow init' calls makes the store and
 * its WAL companions 0600 again. */
static void
test_exposed_store(void **state)
{
	struct fixture *f = *state;
	struct store_zone z;
	struct store *s = NULL;
	char logpath[160], line[512];
	unsigned was;
	int changed, lines = 0;
	FILE *log;

	if (test_pg_url() != NULL)
		skip();   /* no file: the server guards a PostgreSQL store */
	/* The fixture's store is open in WAL mode: -wal and -shm exist. */
	assert_int_equal(chmod_all(f->path, 0644), 0);
	assert_int_equal(store_make_private(f->path, &changed, &was), BURROW_OK);
	assert_int_equal(changed, 3);
	assert_int_equal(was, 0644);
	assert_int_equal(mode_of(f->path, ""), 0600);
	assert_int_equal(mode_of(f->path, "-wal"), 0600);
	assert_int_equal(mode_of(f->path, "-shm"), 0600);
	assert_int_equal(store_make_private(f->path, &changed, &was), BURROW_OK);
	assert_int_equal(changed, 0);
	assert_int_equal(was, 0);

	assert_int_equal(chmod(f->path, 0644), 0);
	snprintf(logpath, sizeof(logpath), "%s/log", f->dir);
	assert_int_equal(log_init("test_store", logpath, LOG_LEVEL_INFO), BURROW_OK);
	assert_int_equal(store_open(f->path, 0, &s, NULL, 0), BURROW_OK);
	assert_int_equal(store_zone_base(s, &z), BURROW_OK);
	store_close(s);
	assert_int_equal(store_open(f->path, STORE_READONLY, &s, NULL, 0), BURROW_OK);
	store_close(s);
	assert_int_equal(log_init("test_store", NULL, LOG_LEVEL_INFO), BURROW_OK);
	assert_non_null(log = fopen(logpath, "r"));
	while (fgets(line, sizeof(line), log) != NULL) {
		lines++;
		assert_non_null(strstr(line, f->path));
		assert_non_null(strstr(line, "is mode 0644"));
		assert_non_null(strstr(line, "burrow init"));
	}
	fclose(log);
	assert_int_equal(lines, 1);   /* once per process, not per open */
	assert_int_equal(mode_of(f->path, ""), 0644);   /* opening changes nothing */

	snprintf(logpath, sizeof(logpath), "%s/absent.db", f->dir);
	assert_int_equal(store_make_private(logpath, &changed, &was), BURROW_ERR_NOTFOUND);
}

static void
test_init_idempotent(void **state)
{
	struct fixture *f = *state;
	struct store_init_params p;
	int zones = count_rows(f->path, "zones"), changes = count_rows(f->path, "changes");

	init_params(&p);
	assert_int_equal(store_init(f->s, &p), BURROW_OK);
	assert_int_equal(count_rows(f->path, "zones"), zones);
	assert_int_equal(count_rows(f->path, "changes"), changes);
	p.zone = "other.example.com";
	assert_int_equal(store_init(f->s, &p), BURROW_ERR_EXISTS);
	assert_int_equal(count_rows(f->path, "zones"), zones);
}

static void
test_tunnel_create(void **state)
{
	struct fixture *f = *state;
	struct store_tunnel_spec spec = { NULL, "10.0.0.5", 8000, STORE_TUNNEL_TLS, 0, "ws", 0 };
	struct store_tunnel t, u;

	assert_int_equal(store_tunnel_create(f->s, &spec, &t), BURROW_OK);
	assert_int_equal(strlen(t.hostname), 14 + 1 + strlen("w.modal.host"));
	assert_string_equal(t.hostname + 15, "w.modal.host");
	assert_int_equal(t.public_port, 0);
	assert_string_equal(t.zone, "w.modal.host");
	spec.kind = STORE_TUNNEL_TCP;
	assert_int_equal(store_tunnel_create(f->s, &spec, &u), BURROW_OK);
	assert_true(u.public_port >= 20000 && u.public_port <= 29999);
	assert_string_not_equal(t.hostname, u.hostname);
	assert_int_equal(store_tunnel_remove(f->s, t.hostname), BURROW_OK);
	assert_int_equal(store_tunnel_remove(f->s, t.hostname), BURROW_ERR_NOTFOUND);
	assert_int_equal(store_tunnel_get(f->s, t.hostname, &t), BURROW_ERR_NOTFOUND);
}

static void
test_tunnel_bad_input(void **state)
{
	struct fixture *f = *state;
	struct store_tunnel_spec spec = { NULL, "10.0.0.5", 0, STORE_TUNNEL_TLS, 0, NULL, 0 };
	struct store_tunnel t;
	int before = count_rows(f->path, "tunnels");

	assert_int_equal(store_tunnel_create(f->s, &spec, &t), BURROW_ERR_INVALID);
	spec.target_port = 80;
	spec.target_host = "bad host";
	assert_int_equal(store_tunnel_create(f->s, &spec, &t), BURROW_ERR_INVALID);
	spec.target_host = "10.0.0.5";
	spec.zone = "unknown.example.com";
	assert_int_equal(store_tunnel_create(f->s, &spec, &t), BURROW_ERR_NOTFOUND);
	assert_non_null(strstr(store_errmsg(f->s), "unknown.example.com"));
	spec.zone = "not a zone";
	assert_int_equal(store_tunnel_create(f->s, &spec, &t), BURROW_ERR_INVALID);
	/* Connect tokens on a tcp tunnel would protect nothing (issue #10). */
	spec.zone = NULL;
	spec.kind = STORE_TUNNEL_TCP;
	spec.connect_token = 1;
	assert_int_equal(store_tunnel_create(f->s, &spec, &t), BURROW_ERR_INVALID);
	assert_non_null(strstr(store_errmsg(f->s), "not tcp"));
	assert_int_equal(count_rows(f->path, "tunnels"), before);
}

static void
test_tcp_ports_run_out(void **state)
{
	struct fixture *f = *state;
	struct store_tunnel_spec spec = { NULL, "10.0.0.5", 80, STORE_TUNNEL_TCP, 0, NULL, 0 };
	struct store_tunnel a, b, c;

	assert_int_equal(store_setting_set(f->s, "tcp_port_range", "30000-30001"), BURROW_OK);
	assert_int_equal(store_tunnel_create(f->s, &spec, &a), BURROW_OK);
	assert_int_equal(store_tunnel_create(f->s, &spec, &b), BURROW_OK);
	assert_int_not_equal(a.public_port, b.public_port);
	assert_int_equal(store_tunnel_create(f->s, &spec, &c), BURROW_ERR_FULL);
	assert_int_equal(count_rows(f->path, "tunnels"), 2);
	assert_int_equal(store_tunnel_remove(f->s, a.hostname), BURROW_OK);
	assert_int_equal(store_tunnel_create(f->s, &spec, &c), BURROW_OK);
	assert_int_equal(c.public_port, a.public_port);
}

static void
test_domains(void **state)
{
	struct fixture *f = *state;
	struct store_tunnel_spec spec = { "sandbox.example.com", "10.0.0.5", 80,
	    STORE_TUNNEL_TLS, 0, NULL, 0 };
	struct store_tunnel t;
	struct store_zone z;
	int zones;

	assert_int_equal(store_domain_add(f->s, "Sandbox.Example.com", "ws1", &z), BURROW_OK);
	assert_string_equal(z.name, "sandbox.example.com");
	assert_string_equal(z.state, "pending");
	assert_string_equal(z.soa_mname, "w-ns-a.modal.host");
	zones = count_rows(f->path, "zones");
	assert_int_equal(store_domain_add(f->s, "sandbox.example.com", "ws1", NULL), BURROW_ERR_EXISTS);
	assert_int_equal(store_domain_add(f->s, "a.sandbox.example.com", "ws2", NULL), BURROW_ERR_REFUSED);
	assert_int_equal(store_domain_add(f->s, "example.com", "ws2", NULL), BURROW_ERR_REFUSED);
	assert_int_equal(store_domain_add(f->s, "x.w.modal.host", "ws2", NULL), BURROW_ERR_REFUSED);
	assert_int_equal(store_domain_add(f->s, "modal.host", "ws2", NULL), BURROW_ERR_REFUSED);
	assert_int_equal(store_domain_add(f->s, "bad..name", "ws2", NULL), BURROW_ERR_INVALID);
	assert_int_equal(store_domain_add(f->s, "ok.example.org", "", NULL), BURROW_ERR_INVALID);
	assert_int_equal(count_rows(f->path, "zones"), zones);
	/* Pending domains get no tunnels until delegated. */
	assert_int_equal(store_tunnel_create(f->s, &spec, &t), BURROW_ERR_REFUSED);
	assert_int_equal(store_domain_set_state(f->s, "sandbox.example.com", "delegated", "ok"),
	    BURROW_OK);
	assert_int_equal(store_tunnel_create(f->s, &spec, &t), BURROW_OK);
	assert_string_equal(t.hostname + 15, "sandbox.example.com");
	assert_int_equal(store_domain_remove(f->s, "sandbox.example.com"), BURROW_ERR_REFUSED);
	assert_int_equal(store_tunnel_remove(f->s, t.hostname), BURROW_OK);
	assert_int_equal(store_domain_remove(f->s, "sandbox.example.com"), BURROW_OK);
	assert_int_equal(store_domain_remove(f->s, "w.modal.host"), BURROW_ERR_REFUSED);
	assert_int_equal(store_domain_remove(f->s, "sandbox.example.com"), BURROW_ERR_NOTFOUND);
	assert_int_equal(store_zone_for_name(f->s, "abc.w.modal.host", &z), BURROW_OK);
	assert_string_equal(z.name, "w.modal.host");
	assert_int_equal(store_zone_for_name(f->s, "abc.xw.modal.host", &z), BURROW_ERR_NOTFOUND);
}

static void
test_records(void **state)
{
	struct fixture *f = *state;
	struct store_record r;
	int removed = 0;

	assert_int_equal(store_record_add(f->s, "_acme-challenge.w.modal.host", "txt", 60,
	    "\"abc\"", &r), BURROW_OK);
	assert_string_equal(r.type, "TXT");
	assert_string_equal(r.rdata, "\"abc\"");
	assert_int_equal(store_record_add(f->s, "_acme-challenge.w.modal.host", "TXT", 60,
	    "abc", NULL), BURROW_ERR_EXISTS);
	assert_int_equal(store_record_add(f->s, "w.modal.host", "CAA", 300,
	    "0 issue \"letsencrypt.org\"", NULL), BURROW_OK);
	assert_int_equal(store_record_add(f->s, "w.modal.host", "A", 60, "300.1.1.1", NULL),
	    BURROW_ERR_INVALID);
	assert_int_equal(store_record_add(f->s, "w.modal.host", "SOA", 60, "a b 1 2 3 4 5", NULL),
	    BURROW_ERR_INVALID);
	assert_int_equal(store_record_add(f->s, "x.example.org", "TXT", 60, "x", NULL),
	    BURROW_ERR_NOTFOUND);
	assert_int_equal(count_rows(f->path, "records"), 2);
	assert_int_equal(store_record_remove_match(f->s, "_acme-challenge.w.modal.host", "TXT",
	    NULL, &removed), BURROW_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(store_record_remove(f->s, r.id), BURROW_ERR_NOTFOUND);
}

struct seen {
	int adds, dels;
	char name[NAMES_MAX + 1];
};

static int
see_change(const struct store_change *c, void *ctx)
{
	struct seen *s = ctx;

	if (strcmp(c->op, "add") == 0)
		s->adds++;
	if (strcmp(c->op, "del") == 0)
		s->dels++;
	snprintf(s->name, sizeof(s->name), "%s", c->name);
	return 0;
}

static void
test_change_log_serial(void **state)
{
	struct fixture *f = *state;
	struct store_tunnel_spec spec = { NULL, "10.0.0.5", 80, STORE_TUNNEL_TLS, 0, NULL, 0 };
	struct store_tunnel t;
	struct store_zone before, after;
	struct seen seen = { 0, 0, "" };
	int64_t seq;

	assert_int_equal(store_zone_base(f->s, &before), BURROW_OK);
	assert_int_equal(store_change_max(f->s, &seq), BURROW_OK);
	assert_int_equal(store_tunnel_create(f->s, &spec, &t), BURROW_OK);
	assert_int_equal(store_zone_base(f->s, &after), BURROW_OK);
	assert_true(after.serial > before.serial);
	assert_int_equal(store_change_since(f->s, seq, see_change, &seen), BURROW_OK);
	assert_int_equal(seen.adds, 1);
	assert_string_equal(seen.name, t.hostname);
	assert_int_equal(store_tunnel_remove(f->s, t.hostname), BURROW_OK);
	assert_int_equal(store_change_since(f->s, seq, see_change, &seen), BURROW_OK);
	assert_int_equal(seen.dels, 1);
	/* An edge change moves every zone's serial. */
	assert_int_equal(store_edge_add(f->s, "::1"), BURROW_OK);
	assert_int_equal(store_zone_base(f->s, &before), BURROW_OK);
	assert_true(before.serial > after.serial);
	assert_int_equal(store_edge_add(f->s, "0:0::1"), BURROW_ERR_EXISTS);
	assert_int_equal(store_edge_add(f->s, "not-an-ip"), BURROW_ERR_INVALID);
}

struct last_op {
	char op[8];
	int n;
};

static int
see_op(const struct store_change *c, void *ctx)
{
	struct last_op *l = ctx;

	snprintf(l->op, sizeof(l->op), "%s", c->op);
	l->n++;
	return 0;
}

/* The op logged since *seq (one change expected); advances *seq. */
static const char *
logged_op(struct fixture *f, int64_t *seq, struct last_op *l)
{
	l->n = 0;
	assert_int_equal(store_change_since(f->s, *seq, see_op, l), BURROW_OK);
	assert_int_equal(l->n, 1);
	assert_int_equal(store_change_max(f->s, seq), BURROW_OK);
	return l->op;
}

/* A renewal (an UPDATE of expires_at alone) is logged as 'lease', which
 * every reader sees and the zone's serial ignores; any other change to
 * the row is 'update' and moves it. */
static void
test_renewal_logged_as_lease(void **state)
{
	struct fixture *f = *state;
	int64_t now = time(NULL), seq;
	struct store_tunnel_spec spec = { NULL, "10.0.0.5", 80, STORE_TUNNEL_TLS, 0, "ws",
	    now + 60 };
	struct store_tunnel t;
	struct store_zone before, after;
	struct last_op l;
	char sql[NAMES_MAX + 96];
	int n = 0;

	assert_int_equal(store_tunnel_create(f->s, &spec, &t), BURROW_OK);
	assert_int_equal(store_zone_base(f->s, &before), BURROW_OK);
	assert_int_equal(store_change_max(f->s, &seq), BURROW_OK);
	assert_int_equal(store_tunnel_renew(f->s, "ws", "", now, now + 120, &n), BURROW_OK);
	assert_int_equal(n, 1);
	assert_string_equal(logged_op(f, &seq, &l), "lease");
	assert_int_equal(store_zone_base(f->s, &after), BURROW_OK);
	assert_int_equal(after.serial, before.serial);

	snprintf(sql, sizeof(sql), "UPDATE tunnels SET target_port = 81 WHERE hostname = '%s'",
	    t.hostname);
	assert_int_equal(test_sql(f->path, sql), 0);
	assert_string_equal(logged_op(f, &seq, &l), "update");
	assert_int_equal(store_zone_base(f->s, &after), BURROW_OK);
	assert_int_equal(after.serial, (uint32_t)seq);
}

/* Version 7 rebuilds the SQLite change log: every seq, the serial and the
 * sequence behind them survive, so no reader's position moves. */
static void
test_migrate_from_v6_keeps_log(void **state)
{
	struct fixture *f = *state;
	struct store_init_params p;
	struct store_tunnel t;
	struct store_tunnel_spec spec = { NULL, "10.0.0.5", 80, STORE_TUNNEL_TLS, 0, NULL, 0 };
	struct store_zone z6, z7;
	struct store *old = NULL, *s = NULL;
	int64_t max6, max7;
	char path[512];

	assert_int_equal(test_store_target(f->dir, "v6.db", path, sizeof(path)), 0);
	assert_int_equal(store_open_at_version(path, 6, &old), BURROW_OK);
	init_params(&p);
	assert_int_equal(store_init(old, &p), BURROW_OK);
	spec.expires_at = time(NULL) + 60;
	assert_int_equal(store_tunnel_create(old, &spec, &t), BURROW_OK);
	assert_int_equal(store_zone_base(old, &z6), BURROW_OK);
	assert_int_equal(store_change_max(old, &max6), BURROW_OK);
	store_close(old);
	/* A renewal as version 6 logged it ('update'), the newest row: it
	 * stays as it was, serial included. */
	assert_int_equal(test_sql(path, "UPDATE tunnels SET expires_at = expires_at + 60"), 0);
	max6++;

	assert_int_equal(store_open(path, 0, &s, NULL, 0), BURROW_OK);
	assert_int_equal(store_schema_version(s), store_schema_latest());
	assert_int_equal(store_change_max(s, &max7), BURROW_OK);
	assert_int_equal(max7, max6);
	assert_int_equal(store_zone_base(s, &z7), BURROW_OK);
	assert_int_equal(z7.serial, (uint32_t)max6);
	assert_true(z7.serial > z6.serial);
	assert_int_equal(store_tunnel_create(s, &spec, &t), BURROW_OK);
	assert_int_equal(store_change_max(s, &max7), BURROW_OK);
	assert_int_equal(max7, max6 + 1);
	store_close(s);
}

#define WRITERS 2
#define PER_WRITER 150

static void
test_concurrent_writers(void **state)
{
	struct fixture *f = *state;
	pid_t pids[WRITERS];
	int i, status;

	for (i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct store_tunnel_spec spec = { NULL, "10.0.0.5", 80,
			    i == 0 ? STORE_TUNNEL_TLS : STORE_TUNNEL_TCP, 0, NULL, 0 };
			struct store *s = NULL;
			struct store_tunnel t;
			int n, failed = 0;

			if (store_open(f->path, 0, &s, NULL, 0) != BURROW_OK)
				_exit(2);
			for (n = 0; n < PER_WRITER; n++)
				if (store_tunnel_create(s, &spec, &t) != BURROW_OK) {
					fprintf(stderr, "writer %d: %s\n", i, store_errmsg(s));
					failed++;
				}
			store_close(s);
			_exit(failed == 0 ? 0 : 1);
		}
	}
	for (i = 0; i < WRITERS; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(count_rows(f->path, "tunnels"), WRITERS * PER_WRITER);
}

static void
test_certificates(void **state)
{
	struct fixture *f = *state;
	struct store_cert c, cur;

	memset(&c, 0, sizeof(c));
	strcpy(c.names, "*.w.modal.host,w.modal.host");
	c.chain_pem = "-----BEGIN CERTIFICATE-----\n";
	c.key_pem = "";
	assert_int_equal(store_cert_add(f->s, "w.modal.host", &c), BURROW_ERR_INVALID);
	c.key_pem = "-----BEGIN PRIVATE KEY-----\n";
	c.not_after = 100;
	assert_int_equal(store_cert_add(f->s, "nope.example.com", &c), BURROW_ERR_NOTFOUND);
	assert_int_equal(store_cert_current(f->s, "w.modal.host", &cur), BURROW_ERR_NOTFOUND);
	assert_int_equal(store_cert_add(f->s, "w.modal.host", &c), BURROW_OK);
	c.not_after = 200;
	assert_int_equal(store_cert_add(f->s, "w.modal.host", &c), BURROW_OK);
	assert_int_equal(store_cert_current(f->s, "w.modal.host", &cur), BURROW_OK);
	assert_int_equal(cur.not_after, 200);
	assert_string_equal(cur.chain_pem, c.chain_pem);
	assert_int_equal(store_cert_mark_revoked(f->s, cur.id), BURROW_OK);
	store_cert_clear(&cur);
	assert_int_equal(store_cert_current(f->s, "w.modal.host", &cur), BURROW_OK);
	assert_int_equal(cur.not_after, 100);
	store_cert_clear(&cur);
}

/* Runs sql on c, which must succeed. */
static void
pg_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	assert_true(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
	PQclear(r);
}

/* PostgreSQL: the sequence-gap problem.  A transaction that drew change
 * seq N and has not committed holds every other writer back (the writers'
 * lock, db/engine_pg.c), so no reader can see N + 1 while N may still
 * commit: nothing is visible until it does, and then N < N + 1 in commit
 * order.  Here the held transaction is a raw psql-like session, whose
 * change-log trigger takes the lock too. */
static void
test_change_order(void **state)
{
	struct fixture *f = *state;
	PGconn *c = PQconnectdb(f->path);
	int64_t before, during;
	int i, status, waiting = 0;
	pid_t pid;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	assert_int_equal(store_change_max(f->s, &before), BURROW_OK);
	pg_ok(c, "BEGIN");
	pg_ok(c, "INSERT INTO edges(address, family, created_at) VALUES ('192.0.2.77', 4, 0)");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *s = NULL;
		int rc = BURROW_ERR_IO;

		if (store_open(f->path, 0, &s, NULL, 0) == BURROW_OK)
			rc = store_edge_add(s, "192.0.2.78");
		store_close(s);
		_exit(rc == BURROW_OK ? 0 : 1);
	}
	/* Until the writer waits for the lock (generous: a busy machine). */
	for (i = 0; i < 12000 && !waiting; i++) {
		waiting = test_sql(f->path, "SELECT count(*) FROM pg_locks "
		    "WHERE locktype = 'advisory' AND NOT granted") > 0;
		if (!waiting)
			usleep(10000);
	}
	assert_true(waiting);
	assert_int_equal(store_change_max(f->s, &during), BURROW_OK);
	assert_int_equal(during, before);
	pg_ok(c, "COMMIT");
	PQfinish(c);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(test_sql(f->path, "SELECT CASE WHEN "
	    "(SELECT seq FROM changes WHERE name = '192.0.2.77') < "
	    "(SELECT seq FROM changes WHERE name = '192.0.2.78') THEN 1 ELSE 0 END"), 1);
}

/* Sends sig to every other client backend of the store's database (the
 * connections of the stores this test opened); returns how many. */
static int
signal_backends(const char *target, int sig)
{
	PGconn *c = PQconnectdb(target);
	PGresult *r = PQexec(c, "SELECT pid FROM pg_stat_activity WHERE datname = "
	    "current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'");
	int i, n = 0;

	for (i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++)
		n += kill((pid_t)strtol(PQgetvalue(r, i, 0), NULL, 10), sig) == 0;
	PQclear(r);
	PQfinish(c);
	return n;
}

/* PostgreSQL: a server that stops answering without closing (overload, a
 * partition; here its backends are stopped) must not hang a reader: the
 * read fails with BURROW_ERR_IO at the deadline, the next at once (no
 * round trip during the backoff), and reads work again once it answers. */
static void
test_frozen_server(void **state)
{
	struct fixture *f = *state;
	struct store *r = NULL;
	int64_t seq;
	int i, stopped, rc = BURROW_ERR_IO;

	assert_int_equal(store_open(f->path, STORE_READONLY, &r, NULL, 0), BURROW_OK);
	assert_int_equal(store_change_max(r, &seq), BURROW_OK);
	stopped = signal_backends(f->path, SIGSTOP);
	assert_true(stopped >= 2);   /* the reader's and the fixture's */
	assert_int_equal(store_change_max(r, &seq), BURROW_ERR_IO);
	assert_int_equal(store_change_max(r, &seq), BURROW_ERR_IO);
	assert_non_null(strstr(store_errmsg(r), "next try"));
	assert_int_equal(signal_backends(f->path, SIGCONT), stopped);
	/* Back within the backoff (at most 5 s; generous for a busy box). */
	for (i = 0; i < 3000 && rc != BURROW_OK; i++)
		if ((rc = store_change_max(r, &seq)) != BURROW_OK)
			usleep(10000);
	assert_int_equal(rc, BURROW_OK);
	store_close(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_from_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v6_keeps_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renewal_logged_as_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exposed_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tunnel_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tunnel_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_ports_run_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_domains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_log_serial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_certificates, setup, teardown),
		/* The last two: PostgreSQL only (tests/e2e/store_pg.sh). */
		cmocka_unit_test_setup_teardown(test_change_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frozen_server, setup, teardown),
	};
	size_t n = sizeof(tests) / sizeof(tests[0]) - (test_pg_url() == NULL ? 2 : 0);

	return _cmocka_run_group_tests("tests", tests, n, NULL, NULL);
}
