/* Unit tests: the edge's index following the store (tunnels/index.c) with
 * a real burrow-edge context on a loopback port: a handshake's lookup of a
 * name created a moment ago re-reads the change log, once per interval for
 * every unknown name; the store watch applies creates and removals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/error.h"
#include "db/store.h"
#include "tunnels/edge.h"

#define GUARD_SECONDS 30
#define NEVER_MS 600000   /* longer than any test: no poll, no second miss read */

struct fixture {
	char dir[64];
	char path[128];
	struct store *w;
	struct edge *e;
	struct event *guard;
	int timed_out;
};

static const char *const ns[] = { "w-ns-a.modal.host" };

static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *fx = arg;

	(void)fd;
	(void)what;
	fx->timed_out = 1;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct store_init_params p = { "w.modal.host", ns, 1, "127.0.0.1", NULL, 20000, 20999 };
	struct edge_config cfg = {
		.nlisten = 1,
		.ntcp_hosts = 1,
		.max_conns = 100,
		.max_conns_per_tunnel = 10,
		.handshake_ms = 1000,
		.head_ms = 1000,
		.idle_ms = 1000,
		.poll_ms = NEVER_MS,
		.fresh_ms = NEVER_MS,
	};

	if (fx == NULL)
		return -1;
	strcpy(fx->dir, "/tmp/burrow-edgeidx.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/burrow.db", fx->dir);
	if (store_open(fx->path, STORE_CREATE, &fx->w, NULL, 0) != BURROW_OK ||
	    store_init(fx->w, &p) != BURROW_OK)
		return -1;
	cfg.db_path = fx->path;
	cfg.listen[0] = "127.0.0.1:0";
	cfg.tcp_hosts[0] = "127.0.0.1";
	if ((fx->e = edge_new(&cfg)) == NULL ||
	    (fx->guard = evtimer_new(fx->e->base, guard_cb, fx)) == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	event_free(fx->guard);
	edge_free(fx->e);
	store_close(fx->w);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void
create(struct fixture *fx, char *hostname)
{
	struct store_tunnel_spec spec = { NULL, "127.0.0.1", 9, STORE_TUNNEL_TLS, 0, NULL, 0 };
	struct store_tunnel t;

	assert_int_equal(store_tunnel_create(fx->w, &spec, &t), BURROW_OK);
	strcpy(hostname, t.hostname);
}

/* Runs the edge's loop until hostname is indexed (want 1) or not (want 0). */
static void
run_until_indexed(struct fixture *fx, const char *hostname, int want)
{
	struct timeval tv = { GUARD_SECONDS, 0 };

	fx->timed_out = 0;
	evtimer_add(fx->guard, &tv);
	while (!fx->timed_out && (edge_index_tunnel(fx->e, hostname) != NULL) != want)
		event_base_loop(fx->e->base, EVLOOP_ONCE);
	evtimer_del(fx->guard);
	assert_false(fx->timed_out);
}

static void
test_miss_rereads_once_per_interval(void **state)
{
	struct fixture *fx = *state;
	char a[NAMES_MAX + 1], b[NAMES_MAX + 1];

	/* The loop has not run: only the lookup itself can learn of a. */
	create(fx, a);
	assert_null(edge_index_tunnel(fx->e, a));
	assert_non_null(edge_index_lookup_fresh(fx->e, a));
	/* Within the interval no unknown name reads again, however many. */
	create(fx, b);
	for (int i = 0; i < 1000; i++)
		assert_null(edge_index_lookup_fresh(fx->e, "nosuchtunnel00.w.modal.host"));
	assert_null(edge_index_lookup_fresh(fx->e, b));
	/* A known name never reads. */
	assert_non_null(edge_index_lookup_fresh(fx->e, a));
	/* The store watch brings b in. */
	run_until_indexed(fx, b, 1);
	assert_non_null(edge_index_lookup_fresh(fx->e, b));
	assert_int_equal(edge_index_poll(fx->e), 0);
}

static void
test_watch_applies_create_and_remove(void **state)
{
	struct fixture *fx = *state;
	char a[NAMES_MAX + 1];

	create(fx, a);
	run_until_indexed(fx, a, 1);
	assert_int_equal(store_tunnel_remove(fx->w, a), BURROW_OK);
	run_until_indexed(fx, a, 0);
	assert_null(edge_index_lookup_fresh(fx->e, a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_miss_rereads_once_per_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_applies_create_and_remove, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
