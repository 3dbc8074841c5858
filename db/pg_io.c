/*
 * pg_io.c: libpq round trips under a deadline; see pg_io.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "db/pg_io.h"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline (absolute, ms) passes.
 * Returns 0 when ready (or interrupted: the caller looks again), -1 on
 * timeout or error. */
static int
ready(int fd, short events, int64_t deadline)
{
	struct pollfd p = { fd, events, 0 };
	int64_t left = deadline - now_ms();
	int n;

	if (fd < 0 || left <= 0)
		return -1;
	n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	return n == 0 && now_ms() >= deadline ? -1 : 0;
}

int
pg_io_wait(PGconn *conn, int sent, int deadline_ms, PGresult **out)
{
	int64_t deadline = now_ms() + deadline_ms;
	PGresult *res, *last = NULL;
	int flush;

	*out = NULL;
	if (!sent)
		return -1;
	for (;;) {
		if ((flush = PQflush(conn)) < 0)
			goto fail;
		if (flush == 0 && !PQisBusy(conn)) {
			if ((res = PQgetResult(conn)) == NULL)
				break;
			/* Several statements: keep the last result (an error
			 * stops the rest, so it is the last). */
			PQclear(last);
			last = res;
			continue;
		}
		if (ready(PQsocket(conn), (short)(POLLIN | (flush ? POLLOUT : 0)), deadline) != 0)
			goto fail;
		if (PQconsumeInput(conn) == 0)
			goto fail;
	}
	*out = last;
	return 0;
fail:
	PQclear(last);
	return -1;
}

/* Drives a connection started by PQconnectStart* or PQresetStart until the
 * deadline; poll_fn is PQconnectPoll or PQresetPoll and *st its last
 * answer (PGRES_POLLING_WRITING before the first call, as libpq asks).
 * Returns 0 when connected, 1 at the deadline, -1 when it failed. */
static int
drive(PGconn *conn, PostgresPollingStatusType (*poll_fn)(PGconn *),
      PostgresPollingStatusType *st, int64_t deadline)
{
	for (;;) {
		if (*st == PGRES_POLLING_OK)
			return 0;
		if (*st == PGRES_POLLING_FAILED)
			return -1;
		if (ready(PQsocket(conn), *st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
		    deadline) != 0) {
			/* Not ready by the deadline; a zero budget still looks
			 * once without waiting. */
			struct pollfd p = { PQsocket(conn),
			    *st == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0 };
			if (p.fd < 0 || poll(&p, 1, 0) != 1)
				return 1;
		}
		*st = poll_fn(conn);
	}
}

PGconn *
pg_io_connect(const char *const *keys, const char *const *values, int deadline_ms,
              char *err, size_t errsz)
{
	PGconn *conn = PQconnectStartParams(keys, values, 1);

	if (conn == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	if (PQstatus(conn) == CONNECTION_BAD ||
	    drive(conn, PQconnectPoll, &st, now_ms() + deadline_ms) != 0) {
		if (PQstatus(conn) == CONNECTION_BAD)
			snprintf(err, errsz, "%s", PQerrorMessage(conn));
		else
			snprintf(err, errsz, "no answer from the server within %d ms", deadline_ms);
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

int
pg_io_reset_start(PGconn *conn, PostgresPollingStatusType *st)
{
	/* libpq: before the first poll, act as if it asked for writing. */
	*st = PGRES_POLLING_WRITING;
	return PQresetStart(conn) ? 0 : -1;
}

/* PQresetPoll is only called once the socket is ready for what it last
 * asked (a connect in progress is not a connection yet), so the answer is
 * kept between calls. */
int
pg_io_reset_step(PGconn *conn, PostgresPollingStatusType *st, int budget_ms)
{
	return drive(conn, PQresetPoll, st, now_ms() + budget_ms);
}
