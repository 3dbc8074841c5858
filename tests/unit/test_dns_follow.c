/*
 * test_dns_follow.c: the change log read ahead and applied in chunks
 * (index_load_batch_*, dns/index_load.h), as the server's change follower
 * does: the result equals one index_load_changes() over the same log, the
 * index is untouched until a chunk is applied, and each chunk's SOA serial
 * is the sequence number of its newest change; a renewal (op 'lease') moves
 * the node's lease and nothing else, the serial included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ldns/ldns.h>
#include <sqlite3.h>

#include "common/error.h"
#include "db/store.h"
#include "dns/index_load.h"
#include "dns/zone_index.h"

#define ZONE "w.follow.test"
#define CREATES 150   /* more than two chunks of 64 */

struct fixture {
	char dir[64], path[128];
	struct store *w, *r;
	char names[CREATES][NAMES_MAX + 1];
	int64_t seq0;
};

static int
setup(void **state)
{
	static const char *const ns[] = { "ns-a.follow.example" };
	struct store_init_params p = { ZONE, ns, 1, "192.0.2.1", NULL, 20000, 20999 };
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	strcpy(fx->dir, "/tmp/burrow-dnsfollow.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/burrow.db", fx->dir);
	if (store_open(fx->path, STORE_CREATE, &fx->w, NULL, 0) != BURROW_OK ||
	    store_init(fx->w, &p) != BURROW_OK ||
	    store_open(fx->path, STORE_READONLY, &fx->r, NULL, 0) != BURROW_OK ||
	    store_change_max(fx->r, &fx->seq0) != BURROW_OK)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[160];

	store_close(fx->r);
	store_close(fx->w);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static const struct dns_node *
lookup(const struct zone_index *idx, const char *name)
{
	ldns_rdf *d = NULL;
	const struct dns_node *n;

	assert_int_equal(ldns_str2rdf_dname(&d, name), LDNS_STATUS_OK);
	ldns_dname2canonical(d);
	n = zone_index_lookup(idx, ldns_rdf_data(d), ldns_rdf_size(d));
	ldns_rdf_deep_free(d);
	return n;
}

/* An index loaded from the store as it was at setup. */
static struct zone_index *
loaded_before(struct fixture *fx)
{
	struct zone_index *idx = zone_index_new();
	int64_t seq;

	assert_non_null(idx);
	assert_int_equal(index_load_all(fx->r, idx, &seq), BURROW_OK);
	assert_int_equal(seq, fx->seq0);
	return idx;
}

static void
chunks_equal_one_pass(void **state)
{
	struct fixture *fx = *state;
	struct store_tunnel_spec spec = { NULL, "10.0.0.1", 8080, STORE_TUNNEL_TLS, 0, "t", 0 };
	struct zone_index *chunked = loaded_before(fx), *whole = loaded_before(fx);
	struct index_load_batch *b = NULL;
	struct store_tunnel t;
	int64_t seq = fx->seq0, seq_whole = fx->seq0, max;
	size_t before = zone_index_count(chunked);
	int applied, total = 0, chunks = 0;

	for (int i = 0; i < CREATES; i++) {
		assert_int_equal(store_tunnel_create(fx->w, &spec, &t), BURROW_OK);
		snprintf(fx->names[i], sizeof(fx->names[i]), "%s", t.hostname);
	}
	/* A record on an existing name and one at the apex, in the same log. */
	assert_int_equal(store_record_add(fx->w, fx->names[3], "TXT", 300, "\"three\"", NULL),
	    BURROW_OK);
	assert_int_equal(store_record_add(fx->w, ZONE, "TXT", 300, "\"apex\"", NULL), BURROW_OK);
	assert_int_equal(store_tunnel_remove(fx->w, fx->names[7]), BURROW_OK);
	assert_int_equal(store_change_max(fx->r, &max), BURROW_OK);

	assert_int_equal(index_load_batch_new(fx->r, seq, &b), BURROW_OK);
	while (!index_load_batch_done(b)) {
		assert_int_equal(index_load_batch_read(fx->r, chunked, b, 64), BURROW_OK);
		/* Read ahead: nothing in the index changed yet. */
		if (chunks == 0)
			assert_int_equal(zone_index_count(chunked), before);
		assert_int_equal(index_load_batch_apply(fx->r, chunked, b, &seq, &applied, NULL),
		    BURROW_OK);
		assert_true(applied > 0 && applied <= 64);
		assert_int_equal(zone_index_zones(chunked)->serial, (uint32_t)seq);
		total += applied;
		chunks++;
	}
	index_load_batch_free(b);
	assert_true(chunks >= 3);
	assert_int_equal(seq, max);
	assert_int_equal(total, (int)(max - fx->seq0));

	assert_int_equal(index_load_changes(fx->r, whole, &seq_whole, &applied), BURROW_OK);
	assert_int_equal(seq_whole, max);
	assert_int_equal(zone_index_count(chunked), zone_index_count(whole));
	assert_int_equal(zone_index_zones(chunked)->serial, zone_index_zones(whole)->serial);
	for (int i = 0; i < CREATES; i++) {
		const struct dns_node *n = lookup(chunked, fx->names[i]);
		if (i == 7) {
			assert_null(n);
			assert_null(lookup(whole, fx->names[i]));
			continue;
		}
		assert_non_null(n);
		assert_non_null(lookup(whole, fx->names[i]));
		assert_non_null(zone_index_rrset(n, DNS_TYPE_A));
	}
	assert_non_null(zone_index_rrset(lookup(chunked, fx->names[3]), DNS_TYPE_TXT));
	assert_non_null(zone_index_rrset(lookup(chunked, ZONE), DNS_TYPE_TXT));
	assert_non_null(zone_index_rrset(lookup(whole, ZONE), DNS_TYPE_TXT));

	/* Nothing new: an empty batch is done at once. */
	assert_int_equal(index_load_batch_new(fx->r, seq, &b), BURROW_OK);
	assert_true(index_load_batch_done(b));
	index_load_batch_free(b);
	zone_index_free(chunked);
	zone_index_free(whole);
}

/* Applies every change after *seq to idx, a chunk at a time. */
static void
follow(struct fixture *fx, struct zone_index *idx, int64_t *seq)
{
	struct index_load_batch *b = NULL;
	int applied;

	assert_int_equal(index_load_batch_new(fx->r, *seq, &b), BURROW_OK);
	while (!index_load_batch_done(b)) {
		assert_int_equal(index_load_batch_read(fx->r, idx, b, 64), BURROW_OK);
		assert_int_equal(index_load_batch_apply(fx->r, idx, b, seq, &applied, NULL),
		    BURROW_OK);
	}
	index_load_batch_free(b);
}

/* A leased tunnel of workspace "ws" (sandbox ""), its name in name. */
static void
leased_tunnel(struct fixture *fx, int64_t expires_at, char *name)
{
	struct store_tunnel_spec spec = { NULL, "10.0.0.2", 8080, STORE_TUNNEL_TLS, 0, "ws",
	    expires_at };
	struct store_tunnel t;

	assert_int_equal(store_tunnel_create(fx->w, &spec, &t), BURROW_OK);
	snprintf(name, NAMES_MAX + 1, "%s", t.hostname);
}

/* The UPDATE of expires_at alone that store_tunnel_renew() makes, with any
 * value (it only takes future ones, of live leases). */
static void
set_lease(struct fixture *fx, const char *name, int64_t expires_at)
{
	char sql[NAMES_MAX + 96];
	sqlite3 *db = NULL;

	snprintf(sql, sizeof(sql), "UPDATE tunnels SET expires_at = %lld WHERE hostname = '%s'",
	    (long long)expires_at, name);
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_busy_timeout(db, 10000), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
}

static void
renewal_moves_lease_not_serial(void **state)
{
	struct fixture *fx = *state;
	struct zone_index *idx = loaded_before(fx);
	int64_t seq = fx->seq0, now = time(NULL), max;
	struct store_zone z;
	uint32_t serial;
	char name[NAMES_MAX + 1];
	int n = 0;

	leased_tunnel(fx, now + 3600, name);
	follow(fx, idx, &seq);
	serial = zone_index_zones(idx)->serial;
	assert_int_equal(serial, (uint32_t)seq);
	assert_int_equal(lookup(idx, name)->expires, (uint32_t)(now + 3600));

	/* burrow-api's renewal: the lease moves, the serial stays. */
	assert_int_equal(store_tunnel_renew(fx->w, "ws", "", now, now + 7200, &n), BURROW_OK);
	assert_int_equal(n, 1);
	follow(fx, idx, &seq);
	assert_int_equal(zone_index_zones(idx)->serial, serial);
	assert_int_equal(lookup(idx, name)->expires, (uint32_t)(now + 7200));

	/* Cut to the past: the answer path's lease is over, the serial stays. */
	set_lease(fx, name, 1000);
	assert_int_equal(store_change_max(fx->r, &max), BURROW_OK);
	follow(fx, idx, &seq);
	assert_int_equal(seq, max);
	assert_int_equal(zone_index_zones(idx)->serial, serial);
	assert_int_equal(lookup(idx, name)->expires, 1000);
	assert_true(zone_index_lease_over(lookup(idx, name), (uint64_t)now));
	assert_non_null(zone_index_rrset(lookup(idx, name), DNS_TYPE_A));
	/* The store says the same serial, so a restarted burrow-dns agrees. */
	assert_int_equal(store_zone_get(fx->r, ZONE, &z), BURROW_OK);
	assert_int_equal(z.serial, serial);

	/* Renewed again: the lease moves back, still the same serial. */
	set_lease(fx, name, now + 9000);
	follow(fx, idx, &seq);
	assert_int_equal(zone_index_zones(idx)->serial, serial);
	assert_int_equal(lookup(idx, name)->expires, (uint32_t)(now + 9000));
	assert_false(zone_index_lease_over(lookup(idx, name), (uint64_t)now));

	/* Content (a new tunnel) still moves it. */
	leased_tunnel(fx, 0, name);
	follow(fx, idx, &seq);
	assert_true(zone_index_zones(idx)->serial > serial);
	assert_int_equal(zone_index_zones(idx)->serial, (uint32_t)seq);
	zone_index_free(idx);
}

/* A renewal whose row was deleted after the log was read: the name stays
 * until its own 'del' is applied (with the serial that removal brings), or
 * the zone would change without a serial and IXFR would lose the delete. */
static void
renewal_of_a_removed_row(void **state)
{
	struct fixture *fx = *state;
	struct zone_index *idx = loaded_before(fx);
	struct index_load_batch *b = NULL;
	int64_t seq = fx->seq0, now = time(NULL);
	uint32_t serial;
	char name[NAMES_MAX + 1];
	int applied;

	leased_tunnel(fx, now + 3600, name);
	follow(fx, idx, &seq);
	serial = zone_index_zones(idx)->serial;
	set_lease(fx, name, now + 7200);
	assert_int_equal(index_load_batch_new(fx->r, seq, &b), BURROW_OK);
	assert_int_equal(store_tunnel_remove(fx->w, name), BURROW_OK);
	assert_int_equal(index_load_batch_read(fx->r, idx, b, 64), BURROW_OK);
	assert_int_equal(index_load_batch_apply(fx->r, idx, b, &seq, &applied, NULL), BURROW_OK);
	assert_int_equal(applied, 1);
	assert_true(index_load_batch_done(b));
	index_load_batch_free(b);
	assert_non_null(lookup(idx, name));
	assert_int_equal(zone_index_zones(idx)->serial, serial);

	follow(fx, idx, &seq);
	assert_null(lookup(idx, name));
	assert_int_equal(zone_index_zones(idx)->serial, (uint32_t)seq);
	zone_index_free(idx);
}

/* A new tunnel and its renewal in one chunk: the renewal, listed last,
 * does not stand in for the add (it only reads the lease). */
static void
add_then_renewal_in_one_chunk(void **state)
{
	struct fixture *fx = *state;
	struct zone_index *idx = loaded_before(fx);
	int64_t seq = fx->seq0, now = time(NULL), added;
	char name[NAMES_MAX + 1];

	leased_tunnel(fx, now + 3600, name);
	assert_int_equal(store_change_max(fx->r, &added), BURROW_OK);
	set_lease(fx, name, now + 7200);
	follow(fx, idx, &seq);
	assert_true(seq > added);
	assert_non_null(lookup(idx, name));
	assert_non_null(zone_index_rrset(lookup(idx, name), DNS_TYPE_A));
	assert_int_equal(lookup(idx, name)->expires, (uint32_t)(now + 7200));
	assert_int_equal(zone_index_zones(idx)->serial, (uint32_t)added);
	zone_index_free(idx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(chunks_equal_one_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(renewal_moves_lease_not_serial, setup, teardown),
		cmocka_unit_test_setup_teardown(renewal_of_a_removed_row, setup, teardown),
		cmocka_unit_test_setup_teardown(add_then_renewal_in_one_chunk, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
