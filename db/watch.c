/*
 * watch.c: inotify on the store's directory, driven by a libevent loop; see
 * store_watch.h for when the reader's function runs and why.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/error.h"
#include "common/log.h"
#include "db/internal.h"
#include "db/store_watch.h"

/* Reads after the one a write caused: STORE_WATCH_GAP_MS << 0 .. << 7 later
 * (2 ms .. 256 ms), for a commit that was not visible yet; a writer that
 * stays open (burrow-acme) gives no event after its commit. */
#define WATCH_RECHECKS 8

/* What a writer does to a store: a commit writes the -wal (created by the
 * first writer after the last connection closed) and then, once visible,
 * touches its times (engine_sqlite.c), a checkpoint writes the store file,
 * a writer closes them, a restore renames a file into place.  Readers open
 * both read-only: their reads raise none of these. */
#define WATCH_MASK (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO | \
                    IN_DELETE | IN_ONLYDIR)

struct store_watch {
	struct event_base *base;
	store_watch_fn fn;
	void *ctx;
	int poll_ms;
	int fd;                     /* inotify; -1 when only polling */
	char dir[PATH_MAX];         /* where the store lives */
	char name[NAME_MAX + 1];    /* the store file's name */
	char wal[NAME_MAX + 5];     /* and its write-ahead log's */
	struct event *io_ev, *soon_ev, *poll_ev;
	int64_t last_us;            /* monotonic time of the last read */
	int step;                   /* rechecks done since the last news */
	int empty;                  /* the last read found nothing new */
	/* PostgreSQL: the LISTEN connection instead of inotify. */
	const struct db_engine *eng;   /* NULL for a SQLite store */
	char target[STORE_TARGET_MAX]; /* the store's connection string */
	void *listen;
	struct event *listen_ev, *retry_ev;
	int retry_ms;               /* the next reconnection's delay */
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
arm(struct store_watch *w, int64_t us)
{
	struct timeval tv = { (time_t)(us / 1000000), (suseconds_t)(us % 1000000) };

	evtimer_add(w->soon_ev, &tv);   /* replaces a later one still pending */
}

static void
read_log(struct store_watch *w)
{
	w->last_us = now_us();
	w->empty = w->fn(w->ctx) <= 0;
	if (!w->empty)
		w->step = 0;   /* news: more of the same burst may follow */
	if (w->step < WATCH_RECHECKS)
		arm(w, ((int64_t)STORE_WATCH_GAP_MS * 1000) << w->step++);
}

/* Reads the log at once when told to or when STORE_WATCH_GAP_MS has passed
 * since the last read, else when it will have: a storm of commits or
 * notifications costs one read per gap. */
static void
read_or_wait(struct store_watch *w, int at_once)
{
	int64_t since = now_us() - w->last_us, gap = (int64_t)STORE_WATCH_GAP_MS * 1000;

	if (at_once || since >= gap)
		read_log(w);
	else
		arm(w, gap - since);
}

enum drained {
	DRAINED_STORE = 1 << 0,   /* the store or its -wal changed */
	DRAINED_CLOSED = 1 << 1,  /* a writer closed one: its commits are visible */
	DRAINED_GONE = 1 << 2,    /* the directory is no longer watched */
	DRAINED_COMMITTED = 1 << 3, /* a writer's commit is visible (-wal touched) */
};

/* Reads every queued event into a set of enum drained.  An overflowed
 * queue dropped events, any of which may have been ours. */
static int
drain(struct store_watch *w)
{
	_Alignas(struct inotify_event) char buf[4096];
	int result = 0;
	ssize_t n;

	for (;;) {
		n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_IGNORED)   /* deleted or unmounted */
				result |= DRAINED_GONE;
			if (ev->mask & IN_Q_OVERFLOW)
				result |= DRAINED_STORE | DRAINED_CLOSED;
			if (ev->len == 0 ||
			    (strcmp(ev->name, w->name) != 0 && strcmp(ev->name, w->wal) != 0))
				continue;
			result |= DRAINED_STORE;
			if (ev->mask & IN_CLOSE_WRITE)
				result |= DRAINED_CLOSED;
			if (ev->mask & IN_ATTRIB)
				result |= DRAINED_COMMITTED;
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		result |= DRAINED_GONE;
	return result;
}

static void
stop_watching(struct store_watch *w)
{
	if (w->io_ev != NULL)
		event_free(w->io_ev);
	w->io_ev = NULL;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/* A write: read at once, except within STORE_WATCH_GAP_MS of the last
 * read, where it waits for the gap (a storm of commits is one read per
 * gap).  The first -wal write of a commit wakes us before the commit is
 * visible, so a sign that it is does not wait when the read it woke found
 * nothing: a writer's close (the CLI exiting), or the touch of the -wal a
 * writer that stays open (burrow-api) makes after each commit.  (Waiting
 * for the gap there made most names the API had just created answer
 * NXDOMAIN to a client that asked at once.) */
static void
io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store_watch *w = arg;
	int d = drain(w);

	(void)fd;
	(void)what;
	if (d & DRAINED_GONE) {
		log_warn("store directory %s is no longer watched: changes are read every %d ms",
		    w->dir, w->poll_ms);
		stop_watching(w);
		d |= DRAINED_CLOSED;
	}
	if (d == 0)
		return;
	w->step = 0;
	read_or_wait(w, (d & DRAINED_CLOSED) || ((d & DRAINED_COMMITTED) && w->empty));
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	read_log(arg);
}

/* The store's directory and file names, after symbolic links: SQLite puts
 * the -wal beside the file a link points to. */
static int
split_path(struct store_watch *w, const char *db_path)
{
	char *real = realpath(db_path, NULL);
	const char *path = real != NULL ? real : db_path;
	const char *slash = strrchr(path, '/');
	const char *name = slash != NULL ? slash + 1 : path;
	size_t dlen = slash == NULL ? 0 : slash == path ? 1 : (size_t)(slash - path);
	int rc = BURROW_ERR_INVALID;

	if (*name == '\0' || strlen(name) > NAME_MAX || dlen >= sizeof(w->dir))
		goto out;
	if (slash == NULL) {
		snprintf(w->dir, sizeof(w->dir), ".");
	} else {
		memcpy(w->dir, path, dlen);
		w->dir[dlen] = '\0';
	}
	snprintf(w->name, sizeof(w->name), "%s", name);
	snprintf(w->wal, sizeof(w->wal), "%s-wal", name);
	rc = BURROW_OK;
out:
	free(real);
	return rc;
}

static void
start_watching(struct store_watch *w)
{
	int err = 0;

	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0 ||
	    inotify_add_watch(w->fd, w->dir, WATCH_MASK) < 0)
		err = errno;
	else if ((w->io_ev = event_new(w->base, w->fd, EV_READ | EV_PERSIST, io_cb, w)) == NULL ||
	    event_add(w->io_ev, NULL) != 0)
		err = ENOMEM;
	if (err == 0)
		return;
	log_warn("store directory %s cannot be watched (%s): changes are read every %d ms",
	    w->dir, strerror(err), w->poll_ms);
	stop_watching(w);
}

/* store_watch_new() for the store file at db_path. */
static int
watch_path(struct event_base *base, const char *db_path, int poll_ms, store_watch_fn fn,
           void *ctx, struct store_watch **out)
{
	struct store_watch *w;
	struct timeval tv = { poll_ms / 1000, (poll_ms % 1000) * 1000 };
	int rc;

	*out = NULL;
	if (base == NULL || fn == NULL || poll_ms < 1)
		return BURROW_ERR_INVALID;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return BURROW_ERR_NOMEM;
	w->base = base;
	w->fn = fn;
	w->ctx = ctx;
	w->poll_ms = poll_ms;
	w->fd = -1;
	w->step = WATCH_RECHECKS;
	if ((rc = split_path(w, db_path)) != BURROW_OK)
		goto fail;
	rc = BURROW_ERR_NOMEM;
	w->soon_ev = evtimer_new(base, timer_cb, w);
	w->poll_ev = event_new(base, -1, EV_PERSIST, timer_cb, w);
	if (w->soon_ev == NULL || w->poll_ev == NULL || event_add(w->poll_ev, &tv) != 0)
		goto fail;
	/* A loop that was starved past the deadline of a deferred read runs
	 * it before the clients that came meanwhile (if the base has
	 * priorities): they were promised the write.  At most one per gap, so
	 * it cannot starve them. */
	event_priority_set(w->soon_ev, 0);
	start_watching(w);
	arm(w, 0);
	*out = w;
	return BURROW_OK;
fail:
	store_watch_free(w);
	return rc;
}

/* Reconnection delays after a lost LISTEN connection: 100 ms doubling to
 * 5 s, so a restarting server is not hammered; the poll keeps reading the
 * log (the store's own connection reconnects by itself) meanwhile. */
#define LISTEN_RETRY_FIRST_MS 100
#define LISTEN_RETRY_MAX_MS 5000

static void listen_start(struct store_watch *w);

static void
listen_stop(struct store_watch *w)
{
	if (w->listen_ev != NULL)
		event_free(w->listen_ev);
	w->listen_ev = NULL;
	if (w->listen != NULL)
		w->eng->listen_close(w->listen);
	w->listen = NULL;
}

static void
listen_retry_later(struct store_watch *w)
{
	struct timeval tv = { w->retry_ms / 1000, (w->retry_ms % 1000) * 1000 };

	evtimer_add(w->retry_ev, &tv);
	w->retry_ms = w->retry_ms * 2 > LISTEN_RETRY_MAX_MS ? LISTEN_RETRY_MAX_MS : w->retry_ms * 2;
}

/* A notification (sent at commit, so the change is visible): read the log,
 * at most once per gap as for inotify.  A lost connection is re-made
 * later, and the read after it catches up by sequence. */
static void
listen_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store_watch *w = arg;
	int rc = w->eng->listen_drain(w->listen);

	(void)fd;
	(void)what;
	if (rc < 0) {
		log_warn("store notifications lost: reconnecting; changes are read every %d ms "
		    "meanwhile", w->poll_ms);
		listen_stop(w);
		listen_retry_later(w);
		read_log(w);
		return;
	}
	if (rc == 0)
		return;
	w->step = WATCH_RECHECKS;   /* visible at once: no rechecks needed */
	read_or_wait(w, 0);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	listen_start(arg);
}

static void
listen_start(struct store_watch *w)
{
	int fd = -1;

	if ((w->listen = w->eng->listen_open(w->target, &fd)) == NULL) {
		listen_retry_later(w);
		return;
	}
	if ((w->listen_ev = event_new(w->base, fd, EV_READ | EV_PERSIST, listen_cb, w)) == NULL ||
	    event_add(w->listen_ev, NULL) != 0) {
		listen_stop(w);
		listen_retry_later(w);
		return;
	}
	if (w->retry_ms > LISTEN_RETRY_FIRST_MS)
		log_info("store notifications back");
	w->retry_ms = LISTEN_RETRY_FIRST_MS;
	arm(w, 0);   /* what was written while we were not listening */
}

/* store_watch_new() for a store whose engine notifies (PostgreSQL). */
static int
watch_listen(struct event_base *base, struct store *s, int poll_ms, store_watch_fn fn,
             void *ctx, struct store_watch **out)
{
	struct store_watch *w;
	struct timeval tv = { poll_ms / 1000, (poll_ms % 1000) * 1000 };

	*out = NULL;
	if (base == NULL || fn == NULL || poll_ms < 1)
		return BURROW_ERR_INVALID;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return BURROW_ERR_NOMEM;
	w->base = base;
	w->fn = fn;
	w->ctx = ctx;
	w->poll_ms = poll_ms;
	w->fd = -1;
	w->step = WATCH_RECHECKS;
	w->eng = s->eng;
	snprintf(w->target, sizeof(w->target), "%s", s->target);
	w->retry_ms = LISTEN_RETRY_FIRST_MS;
	w->soon_ev = evtimer_new(base, timer_cb, w);
	w->poll_ev = event_new(base, -1, EV_PERSIST, timer_cb, w);
	w->retry_ev = evtimer_new(base, retry_cb, w);
	if (w->soon_ev == NULL || w->poll_ev == NULL || w->retry_ev == NULL ||
	    event_add(w->poll_ev, &tv) != 0) {
		store_watch_free(w);
		return BURROW_ERR_NOMEM;
	}
	event_priority_set(w->soon_ev, 0);
	listen_start(w);
	if (w->listen == NULL)
		log_warn("store notifications unavailable: changes are read every %d ms "
		    "until they are", poll_ms);
	arm(w, 0);
	*out = w;
	return BURROW_OK;
}

int
store_watch_new(struct event_base *base, struct store *s, int poll_ms, store_watch_fn fn,
                void *ctx, struct store_watch **out)
{
	*out = NULL;
	if (s == NULL)
		return BURROW_ERR_INVALID;
	if (s->eng->listen_open != NULL)
		return watch_listen(base, s, poll_ms, fn, ctx, out);
	/* An in-memory SQLite store has no file another process could write. */
	if (s->target[0] == '\0' || strcmp(s->target, ":memory:") == 0)
		return BURROW_ERR_INVALID;
	return watch_path(base, s->target, poll_ms, fn, ctx, out);
}

int
store_watch_active(const struct store_watch *w)
{
	return w != NULL && (w->fd >= 0 || w->listen != NULL);
}

void
store_watch_free(struct store_watch *w)
{
	if (w == NULL)
		return;
	stop_watching(w);
	if (w->eng != NULL)
		listen_stop(w);
	if (w->retry_ev != NULL)
		event_free(w->retry_ev);
	if (w->soon_ev != NULL)
		event_free(w->soon_ev);
	if (w->poll_ev != NULL)
		event_free(w->poll_ev);
	free(w);
}
