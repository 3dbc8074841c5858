/* Unit tests: the store watch (db/store_watch.h).  Real SQLite writers
 * (this process and forked ones), real inotify, a real libevent loop.  No
 * test waits for a time: each runs the loop until the reader has seen what
 * was written, with a guard that fails the test if that never happens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>
#include "common/error.h"
#include "db/store.h"
#include "db/store_watch.h"
#include "tests/unit/store_target.h"

#define GUARD_SECONDS 30
#define NO_POLL_MS 600000   /* the safety poll never fires during a test */

/* A reader as the daemons have one: a read-only store and what it saw. */
struct follower {
	struct store *r;
	int64_t seen;
	int reads, news;
	int hide;                 /* pretend the next reads found nothing */
};

struct fixture {
	char dir[64];
	char path[512];
	struct store *w;          /* the writer */
	struct event_base *base;
	struct event *guard;
	int timed_out;
	struct follower f[2];
	struct store_watch *watch[2];
};

static const char *const ns[] = { "w-ns-a.modal.host" };

static int
follow(void *arg)
{
	struct follower *f = arg;
	int64_t max;

	f->reads++;
	if (store_change_max(f->r, &max) != BURROW_OK)
		return BURROW_ERR_IO;
	if (f->hide > 0) {
		f->hide--;
		return 0;
	}
	if (max <= f->seen)
		return 0;
	f->seen = max;
	f->news++;
	return 1;
}

static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *fx = arg;

	(void)fd;
	(void)what;
	fx->timed_out = 1;
}

static int
open_writer(struct fixture *fx)
{
	return store_open(fx->path, STORE_CREATE, &fx->w, NULL, 0);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct store_init_params p = { "w.modal.host", ns, 1, "127.0.0.1", NULL, 20000, 20999 };

	if (fx == NULL)
		return -1;
	strcpy(fx->dir, "/tmp/burrow-watch.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	if (test_store_target(fx->dir, "burrow.db", fx->path, sizeof(fx->path)) != 0)
		return -1;
	if (open_writer(fx) != BURROW_OK || store_init(fx->w, &p) != BURROW_OK)
		return -1;
	if ((fx->base = event_base_new()) == NULL ||
	    (fx->guard = evtimer_new(fx->base, guard_cb, fx)) == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	for (int i = 0; i < 2; i++) {
		store_watch_free(fx->watch[i]);
		store_close(fx->f[i].r);
	}
	event_free(fx->guard);
	event_base_free(fx->base);
	store_close(fx->w);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

/* Reader i on path: a read-only store, its current position, a watch. */
static void
start_reader(struct fixture *fx, int i, const char *path, int poll_ms)
{
	struct follower *f = &fx->f[i];

	assert_int_equal(store_open(path, STORE_READONLY, &f->r, NULL, 0), BURROW_OK);
	assert_int_equal(store_change_max(f->r, &f->seen), BURROW_OK);
	assert_int_equal(store_watch_new(fx->base, f->r, poll_ms, follow, f, &fx->watch[i]),
	    BURROW_OK);
}

static int64_t
writer_max(struct fixture *fx)
{
	int64_t max;

	assert_int_equal(store_change_max(fx->w, &max), BURROW_OK);
	return max;
}

/* Runs the loop until every started reader has seen want (or the guard
 * fires, which fails the test). */
static void
run_until(struct fixture *fx, int64_t want)
{
	struct timeval tv = { GUARD_SECONDS, 0 };

	fx->timed_out = 0;
	evtimer_add(fx->guard, &tv);
	for (;;) {
		int done = 1;
		for (int i = 0; i < 2; i++)
			if (fx->watch[i] != NULL && fx->f[i].seen < want)
				done = 0;
		if (done || fx->timed_out)
			break;
		event_base_loop(fx->base, EVLOOP_ONCE);
	}
	evtimer_del(fx->guard);
	assert_false(fx->timed_out);
}

/* Runs the loop until reader 0's watch listens again (or the guard fires). */
static void
run_until_listening(struct fixture *fx)
{
	struct timeval tv = { GUARD_SECONDS, 0 };

	fx->timed_out = 0;
	evtimer_add(fx->guard, &tv);
	while (!store_watch_active(fx->watch[0]) && !fx->timed_out)
		event_base_loop(fx->base, EVLOOP_ONCE);
	evtimer_del(fx->guard);
	assert_false(fx->timed_out);
}

static void
create_tunnel(struct store *s, char *hostname)
{
	struct store_tunnel_spec spec = { NULL, "10.0.0.1", 8080, STORE_TUNNEL_TLS, 0, NULL, 0 };
	struct store_tunnel t;

	assert_int_equal(store_tunnel_create(s, &spec, &t), BURROW_OK);
	if (hostname != NULL)
		strcpy(hostname, t.hostname);
}

/* The first read, due at once after store_watch_new(), has happened. */
static void
settle(struct fixture *fx)
{
	while (fx->f[0].reads == 0 || (fx->watch[1] != NULL && fx->f[1].reads == 0))
		event_base_loop(fx->base, EVLOOP_ONCE);
}

static void
test_wakes_on_commit(void **state)
{
	struct fixture *fx = *state;
	char host[NAMES_MAX + 1];

	start_reader(fx, 0, fx->path, NO_POLL_MS);
	assert_true(store_watch_active(fx->watch[0]));
	settle(fx);
	create_tunnel(fx->w, host);
	run_until(fx, writer_max(fx));
	assert_int_equal(store_tunnel_remove(fx->w, host), BURROW_OK);
	run_until(fx, writer_max(fx));
	assert_int_equal(fx->f[0].news, 2);
}

/* A writer that stays open says when its commit is visible: it touches
 * the -wal (IN_ATTRIB) after the commit, beside the writes that came
 * before it (the watch reads at once on that even within its gap). */
static void
test_open_writer_announces_commit(void **state)
{
	struct fixture *fx = *state;
	_Alignas(struct inotify_event) char buf[4096];
	char wal[600];
	int fd, attrib = 0;
	ssize_t n;

	if (test_pg_url() != NULL)
		skip();   /* SQLite's files */
	snprintf(wal, sizeof(wal), "burrow.db-wal");
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(inotify_add_watch(fd, fx->dir, IN_ATTRIB) >= 0);
	create_tunnel(fx->w, NULL);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			p += sizeof(*ev) + ev->len;
			if (ev->len > 0 && strcmp(ev->name, wal) == 0 && (ev->mask & IN_ATTRIB))
				attrib++;
		}
	}
	close(fd);
	assert_true(attrib >= 1);
}

/* Two readers, three writer processes committing at the same time. */
static void
test_two_readers_many_writers(void **state)
{
	struct fixture *fx = *state;
	pid_t pids[3];
	int status;

	start_reader(fx, 0, fx->path, NO_POLL_MS);
	start_reader(fx, 1, fx->path, NO_POLL_MS);
	settle(fx);
	for (int i = 0; i < 3; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct store *s = NULL;
			if (store_open(fx->path, 0, &s, NULL, 0) != BURROW_OK)
				_exit(1);
			for (int n = 0; n < 20; n++) {
				struct store_tunnel_spec spec = { NULL, "10.0.0.2", 80,
				    STORE_TUNNEL_TLS, 0, NULL, 0 };
				struct store_tunnel t;
				if (store_tunnel_create(s, &spec, &t) != BURROW_OK)
					_exit(1);
			}
			store_close(s);
			_exit(0);
		}
	}
	for (int i = 0; i < 3; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	run_until(fx, writer_max(fx));
	assert_int_equal(fx->f[0].seen, fx->f[1].seen);
}

/* The last connection's close checkpoints and deletes the -wal: a reader
 * that starts then must still see the writer that creates it again. */
static void
test_wal_missing_at_start(void **state)
{
	struct fixture *fx = *state;
	char wal[600];
	struct stat st;

	if (test_pg_url() != NULL)
		skip();   /* SQLite's files and their visibility race */

	store_close(fx->w);
	fx->w = NULL;
	snprintf(wal, sizeof(wal), "%s-wal", fx->path);
	assert_int_not_equal(stat(wal, &st), 0);
	start_reader(fx, 0, fx->path, NO_POLL_MS);
	settle(fx);
	assert_int_equal(open_writer(fx), BURROW_OK);
	create_tunnel(fx->w, NULL);
	run_until(fx, writer_max(fx));
}

/* A checkpoint that truncates the -wal, then more commits. */
static void
test_after_checkpoint(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *db = NULL;
	char wal[600];
	struct stat st;

	if (test_pg_url() != NULL)
		skip();   /* SQLite's files and their visibility race */

	start_reader(fx, 0, fx->path, NO_POLL_MS);
	settle(fx);
	create_tunnel(fx->w, NULL);
	run_until(fx, writer_max(fx));
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	snprintf(wal, sizeof(wal), "%s-wal", fx->path);
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_size, 0);
	create_tunnel(fx->w, NULL);
	run_until(fx, writer_max(fx));
	assert_int_equal(fx->f[0].news, 2);
}

/* 500 commits while the loop is busy elsewhere cost one read that applies
 * them all, not 500. */
static void
test_burst_is_one_read(void **state)
{
	struct fixture *fx = *state;
	int reads;

	start_reader(fx, 0, fx->path, NO_POLL_MS);
	settle(fx);
	reads = fx->f[0].reads;
	for (int i = 0; i < 500; i++)
		create_tunnel(fx->w, NULL);
	run_until(fx, writer_max(fx));
	assert_int_equal(fx->f[0].reads, reads + 1);
	assert_int_equal(fx->f[0].news, 1);
}

/* A wake-up whose commit is not visible yet (here: the reader pretends so
 * three times) is not lost: the watch reads again without another event. */
static void
test_rechecks_when_nothing_new(void **state)
{
	struct fixture *fx = *state;
	int reads;

	if (test_pg_url() != NULL)
		skip();   /* SQLite's files and their visibility race */

	start_reader(fx, 0, fx->path, NO_POLL_MS);
	settle(fx);
	reads = fx->f[0].reads;
	fx->f[0].hide = 3;
	create_tunnel(fx->w, NULL);
	run_until(fx, writer_max(fx));
	assert_int_equal(fx->f[0].reads, reads + 4);
}

/* Only the store and its -wal count; other files in the directory (logs,
 * the -shm, look-alike names) wake nobody. */
static void
test_other_files_ignored(void **state)
{
	struct fixture *fx = *state;
	static const char *const others[] = { "edge.log", "burrow.db-shm", "burrow.db-wal2",
	    "burrow.d", "burrow.db-journal" };
	char path[600];
	int reads, fd;

	if (test_pg_url() != NULL)
		skip();   /* SQLite's files and their visibility race */

	start_reader(fx, 0, fx->path, NO_POLL_MS);
	settle(fx);
	reads = fx->f[0].reads;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fx->dir, others[i]);
		if (strcmp(others[i], "burrow.db-shm") == 0)
			fd = open(path, O_WRONLY);   /* SQLite's: touch, do not clobber */
		else
			fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "", 0), 0);
		close(fd);
	}
	for (int i = 0; i < 3; i++)
		event_base_loop(fx->base, EVLOOP_NONBLOCK);
	assert_int_equal(fx->f[0].reads, reads);
	/* A writer closing the -wal is one. */
	snprintf(path, sizeof(path), "%s-wal", fx->path);
	assert_true((fd = open(path, O_WRONLY)) >= 0);
	close(fd);
	event_base_loop(fx->base, EVLOOP_NONBLOCK);
	assert_int_equal(fx->f[0].reads, reads + 1);
}

/* A store reached through a symbolic link in another directory: the watch
 * follows the file SQLite opened. */
static void
test_symlink(void **state)
{
	struct fixture *fx = *state;
	char sub[96], link[160];

	if (test_pg_url() != NULL)
		skip();   /* SQLite's files and their visibility race */

	snprintf(sub, sizeof(sub), "%s/links", fx->dir);
	snprintf(link, sizeof(link), "%s/store.db", sub);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(symlink(fx->path, link), 0);
	start_reader(fx, 0, link, NO_POLL_MS);
	assert_true(store_watch_active(fx->watch[0]));
	settle(fx);
	create_tunnel(fx->w, NULL);
	run_until(fx, writer_max(fx));
}

/* Without inotify (here: no file descriptor left for it) the poll alone
 * still follows the store. */
static void
test_poll_without_inotify(void **state)
{
	struct fixture *fx = *state;
	struct follower *f = &fx->f[0];
	struct rlimit old, low;
	int fd, rc;

	assert_int_equal(store_open(fx->path, STORE_READONLY, &f->r, NULL, 0), BURROW_OK);
	assert_int_equal(store_change_max(f->r, &f->seen), BURROW_OK);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	assert_true((fd = dup(0)) >= 0);
	close(fd);
	low = old;
	low.rlim_cur = (rlim_t)fd;   /* the next descriptor is refused */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	rc = store_watch_new(fx->base, f->r, 5, follow, f, &fx->watch[0]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(rc, BURROW_OK);
	assert_false(store_watch_active(fx->watch[0]));
	create_tunnel(fx->w, NULL);
	run_until(fx, writer_max(fx));
}

/* PostgreSQL: the server drops every connection (a restart, a failover).
 * The writer and the reader's store reconnect on their next statement;
 * the watch re-makes its LISTEN connection after a backoff and reads what
 * was committed meanwhile, with the poll never firing. */
static void
test_reconnect(void **state)
{
	struct fixture *fx = *state;

	start_reader(fx, 0, fx->path, NO_POLL_MS);
	assert_true(store_watch_active(fx->watch[0]));
	settle(fx);
	assert_true(test_sql(fx->path, "SELECT count(pg_terminate_backend(pid)) "
	    "FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
	    "AND datname = current_database()") >= 2);
	create_tunnel(fx->w, NULL);
	run_until(fx, writer_max(fx));
	create_tunnel(fx->w, NULL);   /* while the watch is not listening */
	run_until(fx, writer_max(fx));
	run_until_listening(fx);
	create_tunnel(fx->w, NULL);
	run_until(fx, writer_max(fx));
}

static void
test_bad_arguments(void **state)
{
	struct fixture *fx = *state;
	struct store_watch *w = (struct store_watch *)1;

	start_reader(fx, 0, fx->path, NO_POLL_MS);
	assert_int_equal(store_watch_new(fx->base, fx->f[0].r, 0, follow, &fx->f[0], &w),
	    BURROW_ERR_INVALID);
	assert_null(w);
	assert_int_equal(store_watch_new(fx->base, NULL, 10, follow, &fx->f[0], &w),
	    BURROW_ERR_INVALID);
	store_watch_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_wakes_on_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_writer_announces_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_readers_many_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_missing_at_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_after_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_burst_is_one_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rechecks_when_nothing_new, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_files_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_without_inotify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
		/* Last: PostgreSQL only (tests/e2e/store_pg.sh). */
		cmocka_unit_test_setup_teardown(test_reconnect, setup, teardown),
	};
	size_t n = sizeof(tests) / sizeof(tests[0]) - (test_pg_url() == NULL ? 1 : 0);

	return _cmocka_run_group_tests("tests", tests, n, NULL, NULL);
}
