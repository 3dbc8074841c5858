/*
 * checkpoint.c: the checkpointer thread (checkpoint.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "api/checkpoint.h"
#include "common/error.h"
#include "common/log.h"
#include "db/store.h"

struct api_checkpointer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;                /* under lock */
	int interval_ms;
	struct store *store;     /* the thread's own connection */
};

static void
deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *
run(void *arg)
{
	struct api_checkpointer *c = arg;
	struct timespec ts;
	int stop = 0, warned = 0;

	while (!stop) {
		pthread_mutex_lock(&c->lock);
		deadline(&ts, c->interval_ms);
		while (!c->stop && pthread_cond_timedwait(&c->wake, &c->lock, &ts) != ETIMEDOUT)
			;
		stop = c->stop;
		pthread_mutex_unlock(&c->lock);
		/* One line for a run of failures, not one per interval. */
		if (store_checkpoint(c->store, NULL, NULL) != BURROW_OK) {
			if (!warned)
				log_warn("checkpoint failed: %s", store_errmsg(c->store));
			warned = 1;
		} else {
			warned = 0;
		}
	}
	return NULL;
}

struct api_checkpointer *
api_checkpointer_start(const char *path, int interval_ms)
{
	struct api_checkpointer *c = calloc(1, sizeof(*c));
	pthread_condattr_t attr;
	char err[512];

	if (c == NULL)
		return NULL;
	c->interval_ms = interval_ms;
	if (store_open(path, 0, &c->store, err, sizeof(err)) != BURROW_OK) {
		log_warn("checkpointer: %s; SQLite checkpoints in the commits alone", err);
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&c->thread, NULL, run, c) != 0) {
		log_warn("checkpointer: no thread; SQLite checkpoints in the commits alone");
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->lock);
		store_close(c->store);
		free(c);
		return NULL;
	}
	return c;
}

void
api_checkpointer_stop(struct api_checkpointer *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	store_close(c->store);
	free(c);
}
