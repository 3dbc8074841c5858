/*
 * daemon.c: many zones at once.  A bounded pool of worker threads, each with
 * its own store handle and HTTPS connection, takes zones from one queue, so
 * a slow CA answer or DNS check for one zone never holds up another.  The
 * main thread scans the store on a timer (sigtimedwait doubles as the timer
 * and the SIGTERM/SIGHUP handler, so there is no signal-handler state).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "acme/acme.h"
#include "common/error.h"
#include "common/log.h"
#include "db/store_acme.h"
#include "db/store_cert.h"

#define RETRY_MAX_S 3600     /* longest wait before retrying a failed zone */
#define ARI_RECHECK_S 21600  /* RFC 9773 4.3: poll renewalInfo a few times a day */

struct zone_state {
	char zone[NAMES_MAX + 1];
	time_t retry_at, ari_next;
	unsigned failures;
	int busy;                  /* queued or being worked on */
};

struct pool {
	const struct acme_run_opts *opts;
	pthread_mutex_t mu;
	pthread_cond_t work, idle;
	char **queue;
	size_t qhead, qlen, qcap;
	size_t running;
	int closing;               /* no more work: workers leave when idle */
	atomic_int stop;
	int first_err;
	size_t ok, failed;
	struct zone_state *zs;
	size_t nzs, zscap;
	pthread_t *threads;
	unsigned nthreads;
};

/* The bookkeeping of zone, added on first sight.  Called with mu held. */
static struct zone_state *
zone_state(struct pool *p, const char *zone)
{
	struct zone_state *n;
	size_t i;

	for (i = 0; i < p->nzs; i++)
		if (strcmp(p->zs[i].zone, zone) == 0)
			return &p->zs[i];
	if (p->nzs == p->zscap) {
		size_t cap = p->zscap ? p->zscap * 2 : 16;

		if ((n = realloc(p->zs, cap * sizeof(*n))) == NULL)
			return NULL;
		p->zs = n;
		p->zscap = cap;
	}
	n = &p->zs[p->nzs++];
	memset(n, 0, sizeof(*n));
	snprintf(n->zone, sizeof(n->zone), "%s", zone);
	return n;
}

/* Queues zone unless it is already queued or running.  Called with mu held. */
static int
enqueue(struct pool *p, const char *zone)
{
	struct zone_state *z = zone_state(p, zone);
	char **q;
	size_t i, cap;

	if (z == NULL)
		return BURROW_ERR_NOMEM;
	if (z->busy)
		return BURROW_OK;
	if (p->qlen == p->qcap) {
		cap = p->qcap ? p->qcap * 2 : 16;
		if ((q = malloc(cap * sizeof(*q))) == NULL)
			return BURROW_ERR_NOMEM;
		for (i = 0; i < p->qlen; i++)
			q[i] = p->queue[(p->qhead + i) % p->qcap];
		free(p->queue);
		p->queue = q;
		p->qcap = cap;
		p->qhead = 0;
	}
	if ((p->queue[(p->qhead + p->qlen) % p->qcap] = strdup(zone)) == NULL)
		return BURROW_ERR_NOMEM;
	p->qlen++;
	z->busy = 1;
	pthread_cond_signal(&p->work);
	return BURROW_OK;
}

/* Directory and account for one worker's client (the account itself was
 * registered by the main thread, so this only reads it back). */
static int
client_setup(struct acme_client *c, struct store *s, const struct acme_run_opts *o)
{
	int rc;

	if ((rc = acme_client_directory(c)) != BURROW_OK)
		return rc;
	return acme_client_account(c, s, &o->account);
}

static void
finish_job(struct pool *p, const char *zone, int rc, const char *err)
{
	struct zone_state *z;
	unsigned delay;

	pthread_mutex_lock(&p->mu);
	p->running--;
	if ((z = zone_state(p, zone)) != NULL) {
		z->busy = 0;
		if (rc == BURROW_OK) {
			z->failures = 0;
			z->retry_at = 0;
		} else if (rc != BURROW_ERR_BUSY || !atomic_load(&p->stop)) {
			delay = p->opts->interval_s > 0 ? p->opts->interval_s : 60;
			delay <<= z->failures < 10 ? z->failures : 10;
			z->retry_at = time(NULL) + (delay < RETRY_MAX_S ? delay : RETRY_MAX_S);
			z->failures++;
		}
	}
	if (p->opts->stats != NULL)
		metrics_add_shared(&p->opts->stats->orders[rc == BURROW_OK ? ACME_OUTCOME_ISSUED :
		    rc == BURROW_ERR_BUSY && atomic_load(&p->stop) ? ACME_OUTCOME_STOPPED :
		    ACME_OUTCOME_FAILED], 1);
	if (rc == BURROW_OK) {
		p->ok++;
	} else {
		p->failed++;
		if (p->first_err == BURROW_OK)
			p->first_err = rc;
		if (p->opts->issue.progress != NULL)
			p->opts->issue.progress(p->opts->issue.progress_ctx, zone, "failed", err);
		log_error("%s: %s", zone, err);
	}
	pthread_cond_broadcast(&p->idle);
	pthread_mutex_unlock(&p->mu);
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	struct store *s = NULL;
	struct acme_client *c = NULL;
	char errbuf[1024], *zone;
	int rc, ready = 0;

	if (store_open(p->opts->db_path, 0, &s, errbuf, sizeof(errbuf)) != BURROW_OK) {
		log_error("cannot open the store %s: %s", p->opts->db_path, errbuf);
		s = NULL;
	}
	if ((c = acme_client_new(p->opts->directory_url, p->opts->ca_bundle)) != NULL) {
		c->stop = &p->stop;
		c->stats = p->opts->stats;
	}
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->qlen == 0 && !p->closing && !atomic_load(&p->stop))
			pthread_cond_wait(&p->work, &p->mu);
		if (atomic_load(&p->stop) || p->qlen == 0) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		zone = p->queue[p->qhead];
		p->qhead = (p->qhead + 1) % p->qcap;
		p->qlen--;
		p->running++;
		pthread_mutex_unlock(&p->mu);
		if (s == NULL || c == NULL) {
			rc = BURROW_ERR_IO;
			snprintf(errbuf, sizeof(errbuf), "worker has no store or client");
		} else if (!ready && (rc = client_setup(c, s, p->opts)) != BURROW_OK) {
			snprintf(errbuf, sizeof(errbuf), "%s", c->err);
		} else {
			ready = 1;
			rc = acme_issue(c, s, zone, &p->opts->issue);
			snprintf(errbuf, sizeof(errbuf), "%s", rc != BURROW_OK ? c->err : "");
		}
		finish_job(p, zone, rc, errbuf);
		free(zone);
	}
	acme_client_free(c);
	store_close(s);
	return NULL;
}

static struct pool *
pool_new(const struct acme_run_opts *o, unsigned nthreads)
{
	struct pool *p = calloc(1, sizeof(*p));
	unsigned i;

	if (p == NULL)
		return NULL;
	p->opts = o;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->idle, NULL);
	atomic_init(&p->stop, 0);
	if ((p->threads = calloc(nthreads, sizeof(*p->threads))) == NULL)
		return p;
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
			break;
		p->nthreads++;
	}
	return p;
}

/* Tells the workers to finish (stop: abandon work in progress), joins them
 * and frees the pool. */
static void
pool_free(struct pool *p, int stop)
{
	size_t i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->closing = 1;
	if (stop)
		atomic_store(&p->stop, 1);
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	for (i = 0; i < p->qlen; i++)
		free(p->queue[(p->qhead + i) % p->qcap]);
	free(p->queue);
	free(p->zs);
	free(p->threads);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->idle);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* Registers (or finds) the account once, before any worker needs it, and
 * remembers the directory for `burrow cert revoke` and later runs. */
static int
setup_account(struct acme_client *c, struct store *s, const struct acme_run_opts *o)
{
	int rc;

	if ((rc = acme_client_directory(c)) != BURROW_OK)
		return rc;
	if ((rc = acme_client_account(c, s, &o->account)) != BURROW_OK)
		return rc;
	store_setting_set(s, "acme.directory", o->directory_url);
	if (o->ca_bundle != NULL)
		store_setting_set(s, "acme.ca_bundle", o->ca_bundle);
	return BURROW_OK;
}

int
acme_issue_zones(const struct acme_run_opts *o, const char *const *zones, size_t nzones)
{
	struct store *s = NULL;
	struct acme_client *c = NULL;
	struct pool *p = NULL;
	char errbuf[512];
	size_t i;
	int rc;

	if ((rc = store_open(o->db_path, 0, &s, errbuf, sizeof(errbuf))) != BURROW_OK) {
		log_error("cannot open the store %s: %s", o->db_path, errbuf);
		return rc;
	}
	for (i = 0; i < nzones; i++) {
		struct store_zone z;

		if (store_zone_get(s, zones[i], &z) != BURROW_OK) {
			log_error("%s: no such zone in the store", zones[i]);
			rc = BURROW_ERR_NOTFOUND;
			goto out;
		}
	}
	if ((c = acme_client_new(o->directory_url, o->ca_bundle)) == NULL) {
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	if ((rc = setup_account(c, s, o)) != BURROW_OK) {
		log_error("%s", c->err);
		goto out;
	}
	if ((p = pool_new(o, o->jobs < nzones ? (o->jobs ? o->jobs : 1) : (unsigned)nzones))
	    == NULL || p->nthreads == 0) {
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < nzones && rc == BURROW_OK; i++)
		rc = enqueue(p, zones[i]);
	while (p->qlen > 0 || p->running > 0)
		pthread_cond_wait(&p->idle, &p->mu);
	if (rc == BURROW_OK)
		rc = p->first_err;
	pthread_mutex_unlock(&p->mu);
out:
	pool_free(p, 0);
	acme_client_free(c);
	store_close(s);
	return rc;
}

/* ---- the daemon ---- */

struct scan {
	struct pool *p;
	struct store *s;
	struct acme_client *c;
	char (*zones)[NAMES_MAX + 1];
	size_t n, cap;
};

static int
collect_zone(const struct store_zone *z, void *arg)
{
	struct scan *sc = arg;
	char (*n)[NAMES_MAX + 1];

	/* Only zones we serve: the base zone and delegated customer domains. */
	if (strcmp(z->state, "active") != 0 && strcmp(z->state, "delegated") != 0)
		return 0;
	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 16;
		if ((n = realloc(sc->zones, sc->cap * sizeof(*n))) == NULL)
			return BURROW_ERR_NOMEM;
		sc->zones = n;
	}
	snprintf(sc->zones[sc->n++], NAMES_MAX + 1, "%s", z->name);
	return 0;
}

/* Asks renewalInfo for the current certificate's window and moves its
 * renew_after accordingly (RFC 9773 section 4.2). */
static void
check_ari(struct scan *sc, struct store_cert *cert)
{
	BIO *bio;
	X509 *leaf = NULL;
	time_t start, end, at;
	uint32_t rnd = 0;

	if ((bio = BIO_new_mem_buf(cert->chain_pem, -1)) == NULL)
		return;
	leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (leaf != NULL && acme_client_ari(sc->c, leaf, &start, &end) == BURROW_OK) {
		/* Keep a point already inside the window; else pick one. */
		if (cert->renew_after < start || cert->renew_after >= end) {
			RAND_bytes((unsigned char *)&rnd, sizeof(rnd));
			at = acme_renew_at(cert->not_before, cert->not_after, start, end, rnd);
			if (store_acme_cert_set_renew_after(sc->s, cert->id, at) == BURROW_OK)
				cert->renew_after = at;
		}
	}
	X509_free(leaf);
}

static void
scan_zones(struct scan *sc)
{
	struct store_cert cert;
	struct zone_state *z;
	time_t now = time(NULL);
	size_t i;
	int rc, due, busy;

	sc->n = 0;
	if (store_zone_list(sc->s, collect_zone, sc) != BURROW_OK) {
		log_error("cannot list zones: %s", store_errmsg(sc->s));
		return;
	}
	for (i = 0; i < sc->n; i++) {
		pthread_mutex_lock(&sc->p->mu);
		z = zone_state(sc->p, sc->zones[i]);
		busy = z == NULL || z->busy || now < z->retry_at;
		pthread_mutex_unlock(&sc->p->mu);
		if (busy)
			continue;
		memset(&cert, 0, sizeof(cert));
		rc = store_cert_current(sc->s, sc->zones[i], &cert);
		if (rc == BURROW_ERR_NOTFOUND) {
			due = 1;
			log_info("%s: no certificate yet, issuing", sc->zones[i]);
		} else if (rc == BURROW_OK) {
			if (sc->c->dir.renewal_info != NULL && now >= z->ari_next) {
				check_ari(sc, &cert);
				z->ari_next = now + ARI_RECHECK_S;
			}
			due = now >= cert.renew_after;
			if (due)
				log_info("%s: certificate %s is due for renewal", sc->zones[i],
				    cert.serial);
		} else {
			log_error("%s: %s", sc->zones[i], store_errmsg(sc->s));
			due = 0;
		}
		store_cert_clear(&cert);
		if (due) {
			pthread_mutex_lock(&sc->p->mu);
			enqueue(sc->p, sc->zones[i]);
			pthread_mutex_unlock(&sc->p->mu);
		}
	}
}

int
acme_daemon(const struct acme_run_opts *o)
{
	struct acme_metrics *metrics = NULL;
	struct scan sc;
	struct timespec ts;
	sigset_t set;
	char errbuf[512];
	int sig, rc, ready = 0;

	memset(&sc, 0, sizeof(sc));
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked here, inherited by the workers, taken by sigtimedwait. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((rc = store_open(o->db_path, 0, &sc.s, errbuf, sizeof(errbuf))) != BURROW_OK) {
		log_error("cannot open the store %s: %s", o->db_path, errbuf);
		return rc;
	}
	if ((sc.c = acme_client_new(o->directory_url, o->ca_bundle)) == NULL ||
	    (sc.p = pool_new(o, o->jobs ? o->jobs : 1)) == NULL || sc.p->nthreads == 0) {
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	sc.c->stop = &sc.p->stop;
	sc.c->stats = o->stats;
	if (o->metrics_addr != NULL &&
	    (metrics = acme_metrics_start(o->metrics_addr, o->db_path, o->stats)) == NULL) {
		rc = BURROW_ERR_IO;
		goto out;
	}
	log_info("running: directory %s, %u workers, scan every %us", o->directory_url,
	    sc.p->nthreads, o->interval_s);
	for (;;) {
		if (!ready) {
			if ((rc = setup_account(sc.c, sc.s, o)) == BURROW_OK)
				ready = 1;
			else
				log_error("%s (retrying)", sc.c->err);
		}
		if (ready)
			scan_zones(&sc);
		if (o->once) {
			pthread_mutex_lock(&sc.p->mu);
			while (sc.p->qlen > 0 || sc.p->running > 0)
				pthread_cond_wait(&sc.p->idle, &sc.p->mu);
			rc = ready ? sc.p->first_err : rc;
			pthread_mutex_unlock(&sc.p->mu);
			break;
		}
		/* Until the CA has answered once, try again every second. */
		ts.tv_sec = !ready ? 1 : o->interval_s > 0 ? o->interval_s : 60;
		ts.tv_nsec = 0;
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("stopping on signal %d", sig);
			rc = BURROW_OK;
			break;
		}
		if (sig == SIGHUP)
			log_reopen();
	}
out:
	acme_metrics_stop(metrics);
	pool_free(sc.p, 1);
	acme_client_free(sc.c);
	store_close(sc.s);
	free(sc.zones);
	return rc;
}
