/*
 * http_body.h: where an HTTP/1.1 message body ends (RFC 9112 6 and 7), as a
 * state machine over the bytes after the head.  It only tells how many of
 * the bytes it is shown belong to the body; it copies and owns nothing.
 * Both directions of a connect-token tunnel use it: requests so the next
 * head is found and checked, responses so each one is matched to its
 * request.
 */
#ifndef BURROW_HTTP_BODY_H
#define BURROW_HTTP_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "tunnels/http_head.h"

/* A chunk size beyond this is refused: no real body is that large, and it
 * keeps the arithmetic far from overflow. */
#define HTTP_CHUNK_MAX ((uint64_t)1 << 48)

struct http_body {
	enum http_body_kind kind;
	int state;                 /* internal */
	uint64_t left;             /* bytes of data still to come */
	int strict;                /* refuse identity and framing trailers */
};

enum http_body_step {
	HTTP_BODY_NEED,  /* buf starts an incomplete chunk line or trailer
	                  * section (or is empty): show it again with more */
	HTTP_BODY_MOVE,  /* the first *n bytes of buf belong to the body */
	HTTP_BODY_DONE,  /* the body has ended; buf is not part of it */
	HTTP_BODY_BAD,   /* malformed or oversized framing */
};

/* Starts a body of the given kind (length: its Content-Length).  strict:
 * a request, whose trailers the container must not read as identity. */
void http_body_start(struct http_body *b, enum http_body_kind kind, uint64_t length,
                     int strict);

/* Looks at the next bytes of the message (len may be 0).  See the steps
 * above; *n is set for HTTP_BODY_MOVE.  Each chunk-size line and the
 * trailer section move whole, once complete and checked (RFC 9112 7.1:
 * hex size, extensions of visible characters, CRLF only). */
enum http_body_step http_body_next(struct http_body *b, const char *buf, size_t len,
                                   size_t *n);

/* True once the body has ended. */
int http_body_done(const struct http_body *b);

#endif
