/*
 * gate.h: the connect-token gate, a state machine over the bytes a client
 * sends on a tunnel created with --connect-token.  Every request head is
 * parsed, its token verified and the head rewritten before the container
 * sees it; bodies are framed (Content-Length or chunked) so the next head
 * is found and checked too, however the requests are pipelined or split.
 * After a WebSocket upgrade request nothing moves until the response says
 * 101 (then raw bytes) or anything else (then the request stream ends).
 *
 * Pure: no sockets, no clock (now is passed in), no store (keys come from
 * the lookup callback), no logging (each refusal carries its reason).
 */
#ifndef BURROW_GATE_H
#define BURROW_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "tunnels/http_body.h"
#include "tunnels/token.h"

enum gate_state {
	GATE_AT_HEAD,    /* the next bytes start a request head */
	GATE_IN_BODY,    /* inside a request body */
	GATE_HELD,       /* an upgrade request waits for its response */
	GATE_SWITCHED,   /* 101: WebSocket bytes, not HTTP */
	GATE_ENDED,      /* no more requests: what follows is dropped */
};

struct gate {
	const char *hostname;      /* the tunnel; tokens must name it */
	token_key_lookup lookup;
	void *lookup_ctx;
	enum gate_state state;
	struct http_body body;
	int end_after_body;        /* the request said close (or HTTP/1.0) */
};

enum gate_action {
	GATE_WAIT,     /* buf is an incomplete head, chunk line or trailer:
	                * keep it and call again with more bytes after it */
	GATE_FORWARD,  /* send the first out->used bytes on as they are
	                * (used may be 0: call again) */
	GATE_PASS,     /* a checked head: send out->data (out->len bytes) in
	                * place of the first out->used bytes */
	GATE_DENY,     /* out->data is the error response for the client, to
	                * go after the responses already owed; nothing more
	                * goes to the target and the connection ends */
	GATE_HOLD,     /* nothing moves until the upgrade is answered */
	GATE_DISCARD,  /* the request stream has ended: drop out->used bytes */
};

/* A request passed on, as the response side must know it. */
struct gate_request {
	int is_head;               /* HEAD: its response has no body */
	int upgrade;               /* a 101 may answer it */
	int close;                 /* the last request on the connection */
	char *cookie;              /* Set-Cookie line for its response, or NULL */
};

struct gate_out {
	size_t used;
	char *data;                /* malloc'd, the caller frees; NULL if out of memory */
	size_t len;
	struct gate_request req;   /* GATE_PASS: cookie malloc'd, the caller owns it */
	int status;                /* GATE_DENY: the status sent */
	const char *reason;        /* GATE_DENY: for the log line (static) */
	const char *code;          /* GATE_DENY: the reason as a metric label,
	                            * [a-z_] (static; docs/metrics.md) */
};

/* Starts the gate of one connection to tunnel hostname (the string must
 * outlive the gate); lookup finds signing keys by id. */
void gate_init(struct gate *g, const char *hostname, token_key_lookup lookup, void *ctx);

/* Decides what to do with the bytes buf[0..len) the client sent next (a
 * contiguous prefix of everything not yet used; a head is looked at within
 * its first HTTP_HEAD_MAX + 1 bytes).  Fills *out as the action says. */
enum gate_action gate_next(struct gate *g, const char *buf, size_t len, int64_t now,
                           struct gate_out *out);

/* The response to the upgrade request came: 101 (switched, raw bytes from
 * now on) or any other status (the request stream ends). */
void gate_upgrade_answered(struct gate *g, int switched);

/* The response side ended the request stream (the container closes, or a
 * response we cannot frame): no request may follow. */
void gate_end(struct gate *g);

#endif
