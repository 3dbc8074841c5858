/*
 * metrics.h: Prometheus metrics for every daemon.
 *
 * Hot paths keep their own counters (struct metrics_counter, in the
 * daemon's context or per thread) and never take a lock: one writer per
 * counter adds with a relaxed load and a relaxed store (a plain add on
 * x86), and the scrape reads them relaxed.  A counter written by several
 * threads uses metrics_add_shared() (an atomic add).  At scrape time each
 * collector the daemon registered writes its families from those counters
 * into a struct metrics_out, in the text exposition format 0.0.4 (HELP and
 * TYPE lines, escaped label values, one block per family); the module adds
 * burrow_build_info{program,version} (common/version.h), the process start
 * time and uptime.
 *
 * metrics_listen() serves GET /metrics with libevent's evhttp on the
 * daemon's own event base (so collectors run on the loop that owns the
 * counters); metrics_listen_thread() gives a daemon without a loop
 * (burrow-acme) one thread of its own.  Other paths get 404, other methods
 * 405.
 */
#ifndef BURROW_METRICS_H
#define BURROW_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct event_base;

/* ---- values kept by the daemon ---- */

struct metrics_counter {
	_Atomic uint64_t v;
};

/* Adds n: only for a counter with one writing thread (no lock prefix). */
static inline void
metrics_add(struct metrics_counter *c, uint64_t n)
{
	atomic_store_explicit(&c->v, atomic_load_explicit(&c->v, memory_order_relaxed) + n,
	    memory_order_relaxed);
}

/* Adds n from any thread (an atomic add): for counters off the hot path
 * that several threads write. */
static inline void
metrics_add_shared(struct metrics_counter *c, uint64_t n)
{
	atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}

static inline uint64_t
metrics_get(const struct metrics_counter *c)
{
	return atomic_load_explicit((_Atomic uint64_t *)&c->v, memory_order_relaxed);
}

/* Most bucket bounds a histogram has (plus the +Inf bucket). */
#define METRICS_BUCKETS_MAX 24

/* A histogram with fixed bucket bounds, in integer units of the caller's
 * choice (microseconds, bytes); the exposition divides them by divisor
 * (1e6 for microseconds shown as seconds: a division rounds correctly,
 * where a product with 1e-6 would not).  One writer, like metrics_add. */
struct metrics_histogram {
	const uint64_t *bounds;       /* ascending upper bounds, borrowed */
	size_t nbounds;               /* at most METRICS_BUCKETS_MAX */
	double divisor;
	struct metrics_counter buckets[METRICS_BUCKETS_MAX + 1];  /* not cumulative */
	struct metrics_counter sum;
};

/* Zeroes h with nbounds bounds (which must outlive it, ascending).
 * BURROW_ERR_INVALID if there are too many or they are not ascending. */
int metrics_histogram_init(struct metrics_histogram *h, const uint64_t *bounds, size_t nbounds,
                           double divisor);

/* Counts one observation of v units: a short linear scan of the bounds. */
static inline void
metrics_observe(struct metrics_histogram *h, uint64_t v)
{
	size_t i = 0;

	while (i < h->nbounds && v > h->bounds[i])
		i++;
	metrics_add(&h->buckets[i], 1);
	metrics_add(&h->sum, v);
}

/* ---- the exposition, written by collectors at scrape time ---- */

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE, METRICS_HISTOGRAM };

struct metrics_label {
	const char *name;             /* [a-zA-Z_][a-zA-Z0-9_]*, a constant */
	const char *value;            /* any bytes: escaped on output */
};

/* Where a scrape is written: an evbuffer and the family being written. */
struct metrics_out {
	struct evbuffer *buf;         /* borrowed */
	const char *family;
	enum metrics_type type;
	int err;                      /* set once a write failed (BURROW_ERR_NOMEM) */
};

/* Starts a family: its HELP and TYPE lines.  name is a constant metric
 * name; help is escaped (backslash, newline).  Every sample of the family
 * follows before the next family starts. */
void metrics_family(struct metrics_out *o, const char *name, enum metrics_type type,
                    const char *help);

/* One sample of the current family with nlabels labels (values escaped). */
void metrics_sample(struct metrics_out *o, const struct metrics_label *labels, size_t nlabels,
                    double value);
/* The same for integer values, written exactly (no rounding past 2^53). */
void metrics_sample_u64(struct metrics_out *o, const struct metrics_label *labels,
                        size_t nlabels, uint64_t value);
void metrics_sample_i64(struct metrics_out *o, const struct metrics_label *labels,
                        size_t nlabels, int64_t value);

/* A histogram sample of the current (histogram) family from raw bucket
 * counts: counts[i] observations in (bounds[i-1], bounds[i]] and
 * counts[nbounds] above the last bound, sum their total.  Writes the
 * cumulative _bucket lines with le, then _sum (left out if sum is NaN: a
 * source that counts buckets only) and _count. */
void metrics_sample_buckets(struct metrics_out *o, const struct metrics_label *labels,
                            size_t nlabels, const double *bounds, const uint64_t *counts,
                            size_t nbounds, double sum);
/* The same from a struct metrics_histogram (read relaxed). */
void metrics_sample_histogram(struct metrics_out *o, const struct metrics_label *labels,
                              size_t nlabels, const struct metrics_histogram *h);

/* Appends value escaped as a label value (\\, \", \n) to o->buf. */
void metrics_escape_label(struct metrics_out *o, const char *value);

/* ---- the registry and the HTTP side ---- */

struct metrics;

/* Writes the daemon's families at scrape time (on the serving thread). */
typedef void (*metrics_collect_fn)(struct metrics_out *o, void *arg);

/* A registry for program (e.g. "burrow-edge"); the start time is now.
 * NULL on allocation failure.  metrics_free() releases it. */
struct metrics *metrics_new(const char *program);

/* Adds a collector, called with arg on every scrape in the order added.
 * BURROW_OK or BURROW_ERR_LIMIT (more than 8). */
int metrics_add_collector(struct metrics *m, metrics_collect_fn fn, void *arg);

/* Writes a whole scrape into buf: the process families, then every
 * collector's.  BURROW_OK or BURROW_ERR_NOMEM. */
int metrics_render(struct metrics *m, struct evbuffer *buf);

/* Serves GET /metrics on addr ("ADDR:PORT", "[V6]:PORT", numeric) with
 * evhttp on base, whose thread runs the collectors.  BURROW_OK,
 * BURROW_ERR_INVALID (addr) or BURROW_ERR_IO (bind; logged). */
int metrics_listen(struct metrics *m, struct event_base *base, const char *addr);

/* The same on an event base and thread of the registry's own, for a
 * daemon without an event loop: its collectors must read only atomics or
 * their own handles.  Stopped by metrics_free(). */
int metrics_listen_thread(struct metrics *m, const char *addr);

/* The bound port of the listener (0 if none): for tests binding port 0. */
int metrics_port(const struct metrics *m);

/* Stops serving (joining the thread, if any) and frees m.  NULL is fine.
 * With metrics_listen(), call before freeing base. */
void metrics_free(struct metrics *m);

#endif
