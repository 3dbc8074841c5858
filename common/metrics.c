/*
 * metrics.c: the Prometheus text exposition (format 0.0.4), the process
 * families every daemon has, and GET /metrics over libevent's evhttp.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "common/error.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/netaddr.h"
#include "common/version.h"

#define COLLECTORS_MAX 8
/* A scrape request is a request line and a few headers. */
#define HTTP_HEADERS_MAX 8192
#define HTTP_BODY_MAX 1024
#define HTTP_TIMEOUT_S 10

struct collector {
	metrics_collect_fn fn;
	void *arg;
};

struct metrics {
	char program[64];
	struct timespec start_real;       /* for process_start_time_seconds */
	struct timespec start_mono;       /* for the uptime */
	struct collector collectors[COLLECTORS_MAX];
	size_t ncollectors;
	struct evhttp *http;
	int port;
	/* metrics_listen_thread: the registry's own loop */
	struct event_base *own_base;
	struct event *wake_ev;
	int wake[2];
	pthread_t thread;
	int thread_started;
};

/* ---- the text format ---- */

static void
put(struct metrics_out *o, const char *s, size_t n)
{
	if (o->err == BURROW_OK && evbuffer_add(o->buf, s, n) != 0)
		o->err = BURROW_ERR_NOMEM;
}

static void
put_str(struct metrics_out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Label values escape backslash, double quote and newline; HELP text only
 * backslash and newline (the exposition format's two escaping rules). */
static void
escaped(struct metrics_out *o, const char *s, int quote)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *esc = *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" :
		    quote && *s == '"' ? "\\\"" : NULL;
		if (esc == NULL)
			continue;
		put(o, run, (size_t)(s - run));
		put_str(o, esc);
		run = s + 1;
	}
	put(o, run, (size_t)(s - run));
}

void
metrics_escape_label(struct metrics_out *o, const char *value)
{
	escaped(o, value != NULL ? value : "", 1);
}

/* The shortest of %.15g and %.17g that reads back as v; Inf and NaN as
 * the format spells them. */
static void
format_double(double v, char *out, size_t outsz)
{
	if (isnan(v)) {
		snprintf(out, outsz, "NaN");
	} else if (isinf(v)) {
		snprintf(out, outsz, v > 0 ? "+Inf" : "-Inf");
	} else {
		snprintf(out, outsz, "%.15g", v);
		if (strtod(out, NULL) != v)
			snprintf(out, outsz, "%.17g", v);
	}
}

void
metrics_family(struct metrics_out *o, const char *name, enum metrics_type type,
               const char *help)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };

	o->family = name;
	o->type = type;
	put_str(o, "# HELP ");
	put_str(o, name);
	put_str(o, " ");
	escaped(o, help, 0);
	put_str(o, "\n# TYPE ");
	put_str(o, name);
	put_str(o, " ");
	put_str(o, types[type]);
	put_str(o, "\n");
}

/* name{a="x",b="y"[,extra="v"]} with the value text after a space. */
static void
line(struct metrics_out *o, const char *suffix, const struct metrics_label *labels,
     size_t nlabels, const struct metrics_label *extra, const char *value)
{
	size_t i;

	put_str(o, o->family);
	put_str(o, suffix);
	if (nlabels > 0 || extra != NULL) {
		put_str(o, "{");
		for (i = 0; i < nlabels + (extra != NULL); i++) {
			const struct metrics_label *l = i < nlabels ? &labels[i] : extra;
			if (i > 0)
				put_str(o, ",");
			put_str(o, l->name);
			put_str(o, "=\"");
			metrics_escape_label(o, l->value);
			put_str(o, "\"");
		}
		put_str(o, "}");
	}
	put_str(o, " ");
	put_str(o, value);
	put_str(o, "\n");
}

void
metrics_sample(struct metrics_out *o, const struct metrics_label *labels, size_t nlabels,
               double value)
{
	char v[40];

	format_double(value, v, sizeof(v));
	line(o, "", labels, nlabels, NULL, v);
}

void
metrics_sample_u64(struct metrics_out *o, const struct metrics_label *labels, size_t nlabels,
                   uint64_t value)
{
	char v[24];

	snprintf(v, sizeof(v), "%llu", (unsigned long long)value);
	line(o, "", labels, nlabels, NULL, v);
}

void
metrics_sample_i64(struct metrics_out *o, const struct metrics_label *labels, size_t nlabels,
                   int64_t value)
{
	char v[24];

	snprintf(v, sizeof(v), "%lld", (long long)value);
	line(o, "", labels, nlabels, NULL, v);
}

void
metrics_sample_buckets(struct metrics_out *o, const struct metrics_label *labels,
                       size_t nlabels, const double *bounds, const uint64_t *counts,
                       size_t nbounds, double sum)
{
	struct metrics_label le = { "le", NULL };
	char bound[40], v[40];
	uint64_t total = 0;
	size_t i;

	for (i = 0; i <= nbounds; i++) {
		total += counts[i];
		if (i < nbounds)
			format_double(bounds[i], bound, sizeof(bound));
		else
			snprintf(bound, sizeof(bound), "+Inf");
		le.value = bound;
		snprintf(v, sizeof(v), "%llu", (unsigned long long)total);
		line(o, "_bucket", labels, nlabels, &le, v);
	}
	if (!isnan(sum)) {
		format_double(sum, v, sizeof(v));
		line(o, "_sum", labels, nlabels, NULL, v);
	}
	snprintf(v, sizeof(v), "%llu", (unsigned long long)total);
	line(o, "_count", labels, nlabels, NULL, v);
}

int
metrics_histogram_init(struct metrics_histogram *h, const uint64_t *bounds, size_t nbounds,
                       double divisor)
{
	size_t i;

	memset(h, 0, sizeof(*h));
	if (nbounds > METRICS_BUCKETS_MAX)
		return BURROW_ERR_INVALID;
	for (i = 1; i < nbounds; i++)
		if (bounds[i] <= bounds[i - 1])
			return BURROW_ERR_INVALID;
	h->bounds = bounds;
	h->nbounds = nbounds;
	h->divisor = divisor > 0 ? divisor : 1;
	return BURROW_OK;
}

void
metrics_sample_histogram(struct metrics_out *o, const struct metrics_label *labels,
                         size_t nlabels, const struct metrics_histogram *h)
{
	double bounds[METRICS_BUCKETS_MAX];
	uint64_t counts[METRICS_BUCKETS_MAX + 1];
	size_t i;

	for (i = 0; i < h->nbounds; i++)
		bounds[i] = (double)h->bounds[i] / h->divisor;
	for (i = 0; i <= h->nbounds; i++)
		counts[i] = metrics_get(&h->buckets[i]);
	metrics_sample_buckets(o, labels, nlabels, bounds, counts, h->nbounds,
	    (double)metrics_get(&h->sum) / h->divisor);
}

/* ---- the registry ---- */

struct metrics *
metrics_new(const char *program)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	snprintf(m->program, sizeof(m->program), "%s", program);
	clock_gettime(CLOCK_REALTIME, &m->start_real);
	clock_gettime(CLOCK_MONOTONIC, &m->start_mono);
	m->wake[0] = m->wake[1] = -1;
	return m;
}

int
metrics_add_collector(struct metrics *m, metrics_collect_fn fn, void *arg)
{
	if (m->ncollectors == COLLECTORS_MAX)
		return BURROW_ERR_LIMIT;
	m->collectors[m->ncollectors].fn = fn;
	m->collectors[m->ncollectors++].arg = arg;
	return BURROW_OK;
}

/* Resident set size from /proc/self/statm (pages), 0 if unreadable. */
static uint64_t
resident_bytes(void)
{
	unsigned long long size = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* What every daemon exposes: build info, start time, uptime, CPU, memory
 * (the client libraries' standard process_* names, so dashboards work). */
static void
process_families(struct metrics *m, struct metrics_out *o)
{
	struct metrics_label build[] = {
		{ "program", m->program }, { "version", burrow_version() },
	};
	struct timespec now;
	struct rusage ru;

	metrics_family(o, "burrow_build_info", METRICS_GAUGE,
	    "Always 1: the program and its version as labels.");
	metrics_sample_u64(o, build, 2, 1);
	metrics_family(o, "process_start_time_seconds", METRICS_GAUGE,
	    "Start time of the process since the Unix epoch, in seconds.");
	metrics_sample(o, NULL, 0, (double)m->start_real.tv_sec + m->start_real.tv_nsec / 1e9);
	clock_gettime(CLOCK_MONOTONIC, &now);
	metrics_family(o, "burrow_uptime_seconds", METRICS_GAUGE,
	    "Seconds since the process started (monotonic clock).");
	metrics_sample(o, NULL, 0, (double)(now.tv_sec - m->start_mono.tv_sec) +
	    (now.tv_nsec - m->start_mono.tv_nsec) / 1e9);
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		metrics_family(o, "process_cpu_seconds_total", METRICS_COUNTER,
		    "User and system CPU time spent, in seconds.");
		metrics_sample(o, NULL, 0, (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	}
	metrics_family(o, "process_resident_memory_bytes", METRICS_GAUGE,
	    "Resident memory size, in bytes.");
	metrics_sample_u64(o, NULL, 0, resident_bytes());
}

int
metrics_render(struct metrics *m, struct evbuffer *buf)
{
	struct metrics_out o = { .buf = buf, .err = BURROW_OK };
	size_t i;

	process_families(m, &o);
	for (i = 0; i < m->ncollectors; i++)
		m->collectors[i].fn(&o, m->collectors[i].arg);
	return o.err;
}

/* ---- HTTP ---- */

static void
serve_metrics(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *body;

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		/* evhttp_send_error() would drop the Allow header (RFC 9110
		 * 15.5.6 wants it). */
		if ((body = evbuffer_new()) != NULL)
			evbuffer_add_printf(body, "405 Method Not Allowed\n");
		evhttp_add_header(h, "Allow", "GET, HEAD");
		evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
		evhttp_send_reply(req, 405, "Method Not Allowed", body);
		if (body != NULL)
			evbuffer_free(body);
		return;
	}
	if ((body = evbuffer_new()) == NULL || metrics_render(m, body) != BURROW_OK) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		if (body != NULL)
			evbuffer_free(body);
		return;
	}
	evhttp_add_header(h, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

static void
serve_other(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evhttp_send_error(req, HTTP_NOTFOUND, NULL);
}

/* A listening socket on addr; its port in *port.  -1 on failure (logged). */
static int
bind_addr(const char *addr, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd, one = 1;

	if (netaddr_parse_listen(addr, &ss, &len) != BURROW_OK)
		return -2;
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 64) != 0)
		goto fail;
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
fail:
	log_error("metrics: cannot listen on %s: %s", addr, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

int
metrics_listen(struct metrics *m, struct event_base *base, const char *addr)
{
	int fd;

	if (m->http != NULL)
		return BURROW_ERR_INVALID;
	if ((fd = bind_addr(addr, &m->port)) == -2)
		return BURROW_ERR_INVALID;
	if (fd < 0)
		return BURROW_ERR_IO;
	if ((m->http = evhttp_new(base)) == NULL ||
	    evhttp_accept_socket_with_handle(m->http, fd) == NULL) {
		log_error("metrics: cannot serve HTTP on %s", addr);
		close(fd);
		if (m->http != NULL)
			evhttp_free(m->http);
		m->http = NULL;
		return BURROW_ERR_IO;
	}
	/* Every method reaches the handler, which answers 405 itself
	 * (evhttp's own refusal of a disallowed method is a 501). */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(m->http, HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(m->http, HTTP_BODY_MAX);
	evhttp_set_timeout(m->http, HTTP_TIMEOUT_S);
	evhttp_set_cb(m->http, "/metrics", serve_metrics, m);
	evhttp_set_gencb(m->http, serve_other, m);
	log_info("metrics on http://%s/metrics", addr);
	return BURROW_OK;
}

int
metrics_port(const struct metrics *m)
{
	return m->http != NULL ? m->port : 0;
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void *
serve_thread(void *arg)
{
	struct metrics *m = arg;

	event_base_dispatch(m->own_base);
	return NULL;
}

int
metrics_listen_thread(struct metrics *m, const char *addr)
{
	sigset_t all, old;
	int rc;

	if (m->own_base != NULL)
		return BURROW_ERR_INVALID;
	if ((m->own_base = event_base_new()) == NULL ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, m->wake) != 0 ||
	    (m->wake_ev = event_new(m->own_base, m->wake[0], EV_READ, wake_cb,
	    m->own_base)) == NULL || event_add(m->wake_ev, NULL) != 0)
		return BURROW_ERR_NOMEM;
	if ((rc = metrics_listen(m, m->own_base, addr)) != BURROW_OK)
		return rc;
	/* The thread blocks every signal: the daemon's own threads take them
	 * as they arrange (burrow-dns: its first loop; burrow-acme:
	 * sigtimedwait), and a scraper that hangs up mid-answer is an EPIPE
	 * here, never a SIGPIPE (evbuffer writes with writev). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&m->thread, NULL, serve_thread, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return BURROW_ERR_NOMEM;
	m->thread_started = 1;
	return BURROW_OK;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	if (m->thread_started) {
		/* A socketpair with room for a byte: only EINTR can delay it. */
		while (write(m->wake[1], "x", 1) != 1 && errno == EINTR)
			;
		pthread_join(m->thread, NULL);
	}
	if (m->http != NULL)
		evhttp_free(m->http);
	if (m->wake_ev != NULL)
		event_free(m->wake_ev);
	if (m->wake[0] >= 0)
		close(m->wake[0]);
	if (m->wake[1] >= 0)
		close(m->wake[1]);
	if (m->own_base != NULL)
		event_base_free(m->own_base);
	free(m);
}
