/*
 * http_track.h: the responses of a connect-token tunnel, matched to the
 * requests the gate passed.  A FIFO of outstanding requests and a framer
 * for the response stream (RFC 9112 6.3: responses to HEAD, 1xx interim,
 * 204 and 304 have no body; then chunked, Content-Length, or until the
 * close), so that each Set-Cookie lands on the final response of the
 * request whose URL carried the token, a 101 is accepted only for the
 * upgrade request it answers, and an error page the gate wrote goes out
 * after the responses owed before it.  Pure: bytes in, decisions out.
 */
#ifndef BURROW_HTTP_TRACK_H
#define BURROW_HTTP_TRACK_H

#include <stddef.h>

#include "tunnels/gate.h"
#include "tunnels/http_body.h"

/* Requests one connection may have outstanding; the gate waits (reads no
 * more of the client) while the FIFO is full. */
#define HTTP_TRACK_MAX 16

struct http_track_entry {
	struct gate_request req;   /* cookie owned by the tracker */
	char *local;               /* an error page of ours, owned; NULL */
	size_t local_len;
};

struct http_track {
	struct http_track_entry q[HTTP_TRACK_MAX];
	int first, n;
	int state;                 /* internal */
	struct http_body body;
	int end_after_body;
};

enum http_track_action {
	HTTP_TRACK_WAIT,     /* buf is an incomplete head or chunk line */
	HTTP_TRACK_FORWARD,  /* send out->used bytes on to the client */
	HTTP_TRACK_HEAD,     /* a response head of out->used bytes: send its
	                      * first out->line_end bytes, then out->cookie (if
	                      * any), then the rest */
	HTTP_TRACK_LOCAL,    /* send out->local (ours, out->local_len bytes),
	                      * then close: it is the last response */
	HTTP_TRACK_DISCARD,  /* the response stream has ended: drop out->used */
	HTTP_TRACK_BAD,      /* bytes no outstanding request explains, or a
	                      * response we cannot frame: close */
};

struct http_track_out {
	size_t used, line_end;
	char *cookie;              /* malloc'd, now the caller's; or NULL */
	char *local;               /* HTTP_TRACK_LOCAL: now the caller's */
	size_t local_len;
	int upgrade_answered;      /* the response to an upgrade request: */
	int switched;              /*   101, raw bytes from now on */
	int ended;                 /* no request may follow (close) */
};

void http_track_init(struct http_track *t);
/* Frees the cookies and pages still queued. */
void http_track_free(struct http_track *t);

/* Queues a request passed to the container; takes req->cookie.  Returns
 * BURROW_OK or BURROW_ERR_LIMIT (full: req->cookie left to the caller). */
int http_track_push(struct http_track *t, struct gate_request *req);

/* Queues our own final response (malloc'd, taken over) after every
 * outstanding one.  BURROW_ERR_LIMIT if full (page left to the caller). */
int http_track_push_local(struct http_track *t, char *page, size_t len);

/* True when no further request may be queued now. */
int http_track_full(const struct http_track *t);
/* Requests still waiting for their response. */
int http_track_pending(const struct http_track *t);
/* True once the response stream has ended (a close, our page, a refused
 * upgrade): the connection ends when the client has what was sent. */
int http_track_ended(const struct http_track *t);

/* Decides what to do with the next bytes buf[0..len) from the target (a
 * contiguous prefix of what has not been used; len may be 0, which can
 * still yield HTTP_TRACK_LOCAL). */
enum http_track_action http_track_next(struct http_track *t, const char *buf, size_t len,
                                       struct http_track_out *out);

/* The target closed: the page of ours still queued, if any (malloc'd, now
 * the caller's; NULL if none), with the requests before it dropped, since
 * their responses will not come.  The stream has ended after it. */
char *http_track_take_local(struct http_track *t, size_t *len);

/* True if the target may close here without cutting a response short: a
 * body read until the close, or nothing outstanding. */
int http_track_eof_clean(const struct http_track *t);

#endif
