/*
 * http_track.c: response framing and the FIFO of outstanding requests
 * (see http_track.h).  The container is the customer's own code, so its
 * responses are not hostile the way client bytes are; what matters is
 * never to take the wrong response for the wrong request: anything we
 * cannot frame ends the connection instead.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "tunnels/http_track.h"

enum { T_HEAD, T_BODY, T_SWITCHED, T_ENDED };

void
http_track_init(struct http_track *t)
{
	memset(t, 0, sizeof(*t));
	t->state = T_HEAD;
}

void
http_track_free(struct http_track *t)
{
	int i;

	for (i = 0; i < t->n; i++) {
		struct http_track_entry *e = &t->q[(t->first + i) % HTTP_TRACK_MAX];
		free(e->req.cookie);
		free(e->local);
	}
	t->n = 0;
}

/* One slot stays free for the error page the gate may still write while
 * the FIFO holds the request whose body it was reading. */
int
http_track_full(const struct http_track *t)
{
	return t->n >= HTTP_TRACK_MAX - 1;
}

int
http_track_pending(const struct http_track *t)
{
	return t->n;
}

static struct http_track_entry *
slot(struct http_track *t)
{
	struct http_track_entry *e;

	if (t->n == HTTP_TRACK_MAX)
		return NULL;
	e = &t->q[(t->first + t->n++) % HTTP_TRACK_MAX];
	memset(e, 0, sizeof(*e));
	return e;
}

int
http_track_push(struct http_track *t, struct gate_request *req)
{
	struct http_track_entry *e;

	if (http_track_full(t) || (e = slot(t)) == NULL)
		return BURROW_ERR_LIMIT;
	e->req = *req;
	req->cookie = NULL;
	return BURROW_OK;
}

int
http_track_push_local(struct http_track *t, char *page, size_t len)
{
	struct http_track_entry *e = slot(t);

	if (e == NULL)
		return BURROW_ERR_LIMIT;
	e->local = page;
	e->local_len = len;
	return BURROW_OK;
}

static void
pop(struct http_track *t)
{
	t->first = (t->first + 1) % HTTP_TRACK_MAX;
	t->n--;
}

char *
http_track_take_local(struct http_track *t, size_t *len)
{
	struct http_track_entry *e;
	char *page;

	while (t->n > 0) {
		e = &t->q[t->first];
		if (e->local != NULL) {
			page = e->local;
			*len = e->local_len;
			e->local = NULL;
			pop(t);
			t->state = T_ENDED;
			return page;
		}
		free(e->req.cookie);
		pop(t);
	}
	return NULL;
}

int
http_track_ended(const struct http_track *t)
{
	return t->state == T_ENDED;
}

int
http_track_eof_clean(const struct http_track *t)
{
	return t->state == T_ENDED || t->state == T_SWITCHED ||
	    (t->state == T_HEAD && t->n == 0) ||
	    (t->state == T_BODY && t->body.kind == HTTP_BODY_CLOSE);
}

/* A final response to the request at the front (RFC 9112 6.3 items 1-2
 * come from the request: HEAD, 204 and 304 have no body). */
static void
final_response(struct http_track *t, const struct http_response *r,
               struct http_track_out *out)
{
	struct http_track_entry *e = &t->q[t->first];
	enum http_body_kind body = r->body;
	int end;

	if (e->req.is_head || r->status == 204 || r->status == 304)
		body = HTTP_BODY_NONE;
	out->cookie = e->req.cookie;
	e->req.cookie = NULL;
	out->upgrade_answered = e->req.upgrade;
	end = r->close || e->req.close || body == HTTP_BODY_CLOSE;
	out->ended = end;
	pop(t);
	if (body == HTTP_BODY_NONE) {
		t->state = end ? T_ENDED : T_HEAD;
		return;
	}
	http_body_start(&t->body, body, r->content_length, 0);
	t->end_after_body = end;
	t->state = T_BODY;
}

static enum http_track_action
head_step(struct http_track *t, const char *buf, size_t len, struct http_track_out *out)
{
	struct http_track_entry *e = &t->q[t->first];
	struct http_response r;
	int rc;

	if (t->n == 0)
		return len == 0 ? HTTP_TRACK_WAIT : HTTP_TRACK_BAD;   /* unsolicited */
	if (e->local != NULL) {
		out->local = e->local;
		out->local_len = e->local_len;
		e->local = NULL;
		pop(t);
		t->state = T_ENDED;
		out->ended = 1;
		return HTTP_TRACK_LOCAL;
	}
	if (len == 0)
		return HTTP_TRACK_WAIT;
	if ((rc = http_response_parse(buf, len, &r)) == BURROW_ERR_BUSY)
		return HTTP_TRACK_WAIT;
	if (rc != BURROW_OK || r.status < 100)
		return HTTP_TRACK_BAD;
	out->used = r.len;
	out->line_end = r.line_end;
	if (r.status == 101) {
		/* Only the upgrade request it answers may switch protocols. */
		if (!e->req.upgrade)
			return HTTP_TRACK_BAD;
		out->cookie = e->req.cookie;
		e->req.cookie = NULL;
		out->upgrade_answered = out->switched = 1;
		pop(t);
		t->state = T_SWITCHED;
		return HTTP_TRACK_HEAD;
	}
	if (r.status < 200)       /* interim (RFC 9110 15.2): the final follows */
		return HTTP_TRACK_HEAD;
	final_response(t, &r, out);
	return HTTP_TRACK_HEAD;
}

static enum http_track_action
body_step(struct http_track *t, const char *buf, size_t len, struct http_track_out *out)
{
	switch (http_body_next(&t->body, buf, len, &out->used)) {
	case HTTP_BODY_NEED:
		return HTTP_TRACK_WAIT;
	case HTTP_BODY_MOVE:
		if (!http_body_done(&t->body))
			return HTTP_TRACK_FORWARD;
		break;
	case HTTP_BODY_DONE:
		break;
	case HTTP_BODY_BAD:
		return HTTP_TRACK_BAD;
	}
	t->state = t->end_after_body ? T_ENDED : T_HEAD;
	return HTTP_TRACK_FORWARD;
}

enum http_track_action
http_track_next(struct http_track *t, const char *buf, size_t len, struct http_track_out *out)
{
	memset(out, 0, sizeof(*out));
	switch (t->state) {
	case T_HEAD:
		return head_step(t, buf, len, out);
	case T_BODY:
		return body_step(t, buf, len, out);
	case T_SWITCHED:
		out->used = len;
		return len == 0 ? HTTP_TRACK_WAIT : HTTP_TRACK_FORWARD;
	}
	out->used = len;
	return HTTP_TRACK_DISCARD;
}
