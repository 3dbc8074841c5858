/*
 * pg_io.h: libpq round trips under a deadline (engine_pg.c).
 *
 * libpq's blocking calls wait as long as the server does: a server that is
 * frozen (overloaded, stopped, behind a partition that drops without a
 * reset) keeps the TCP connection up, so neither keepalives nor
 * tcp_user_timeout end the wait, and a daemon's serving thread that reads
 * the store would stop answering.  These functions drive libpq's
 * asynchronous calls with poll() and give up at a deadline instead.
 * Nothing outside db/ includes it.
 */
#ifndef BURROW_DB_PG_IO_H
#define BURROW_DB_PG_IO_H

#include <stddef.h>

#include <libpq-fe.h>

/* Waits for the results of the query that a PQsend* call (which returned
 * sent) started on conn, for at most deadline_ms.  On success *out is the
 * last result (the caller's; NULL if there was none) and the return is 0.
 * -1: the deadline passed or the connection failed; conn is then unusable
 * until reset (a result may still be in flight). */
int pg_io_wait(PGconn *conn, int sent, int deadline_ms, PGresult **out);

/* Connects with the keyword/value arrays of PQconnectStartParams (dbname
 * expanded) within deadline_ms.  Returns the connection or NULL with the
 * reason in err (size errsz). */
PGconn *pg_io_connect(const char *const *keys, const char *const *values, int deadline_ms,
                      char *err, size_t errsz);

/* Re-makes conn's connection with its own parameters: pg_io_reset_start()
 * begins (0, or -1 if it cannot) and sets *st, which the caller keeps
 * for pg_io_reset_step(): that drives the reset for at most budget_ms (0:
 * only what needs no waiting) and returns 0 when connected, 1 while still
 * under way (call again later, with the same st), -1 when it failed
 * (PQerrorMessage(conn) says why). */
int pg_io_reset_start(PGconn *conn, PostgresPollingStatusType *st);
int pg_io_reset_step(PGconn *conn, PostgresPollingStatusType *st, int budget_ms);

#endif
