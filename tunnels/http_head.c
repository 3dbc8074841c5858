/*
 * http_head.c: a strict HTTP/1.1 head parser and the connect-token rewrite
 * (see http_head.h).  Strict on purpose: the edge adds a header the
 * container trusts, so any request the container might read differently
 * from us (obs-fold, bare LF, space before the colon, conflicting framing,
 * a transfer coding we do not frame) is refused rather than guessed at
 * (RFC 9112 sections 2.2, 5.1, 5.2, 6.1, 6.3).
 */
#include <string.h>

#include "common/error.h"
#include "tunnels/http_head.h"

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int
http_name_is(const char *name, size_t len, const char *want)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (want[i] == '\0' || lower((unsigned char)name[i]) != want[i])
			return 0;
	return want[len] == '\0';
}

int
http_name_is_identity(const char *name, size_t len)
{
	static const char want[] = "x-verified-user-data";
	size_t i;

	if (len != sizeof(want) - 1)
		return 0;
	for (i = 0; i < len; i++) {
		int c = name[i] == '_' ? '-' : lower((unsigned char)name[i]);
		if (c != want[i])
			return 0;
	}
	return 1;
}

/* tchar, RFC 9110 section 5.6.2. */
static int
tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* field-value characters: VCHAR, obs-text, SP, HTAB (RFC 9110 5.5). */
static int
vchar(int c)
{
	return (c >= 0x21 && c != 0x7f) || c == ' ' || c == '\t';
}

/* Finds the next CRLF-terminated line of at most max bytes at
 * buf[off..len).  *end is the offset of the CR.  BURROW_ERR_BUSY if no LF
 * yet, BURROW_ERR_PROTO for a bare LF, BURROW_ERR_LIMIT if too long. */
static int
next_line(const char *buf, size_t len, size_t off, size_t max, size_t *end)
{
	size_t avail = len - off, scan = avail < max + 2 ? avail : max + 2;
	const char *lf = memchr(buf + off, '\n', scan);

	if (lf == NULL)
		return avail >= max + 2 ? BURROW_ERR_LIMIT : BURROW_ERR_BUSY;
	if (lf == buf + off || lf[-1] != '\r')
		return BURROW_ERR_PROTO;
	*end = (size_t)(lf - 1 - buf);
	if (*end - off > max)
		return BURROW_ERR_LIMIT;
	return BURROW_OK;
}

static int
alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The request-target forms a server answers (RFC 9112 3.2): origin-form
 * "/path?query", absolute-form "scheme://authority...", and "*" for OPTIONS.
 * Authority-form (CONNECT) would turn the connection into a tunnel we
 * could not check, and a bare query or empty target is no form at all. */
static int
target_ok(struct http_span m, struct http_span t)
{
	size_t i = 0;

	if (memchr(t.p, '#', t.len) != NULL)   /* a fragment is never sent */
		return 0;
	if (t.p[0] == '/')
		return 1;
	if (t.len == 1 && t.p[0] == '*')
		return m.len == 7 && memcmp(m.p, "OPTIONS", 7) == 0;
	if (!alpha((unsigned char)t.p[0]))
		return 0;
	while (i < t.len && (alpha((unsigned char)t.p[i]) || (t.p[i] >= '0' && t.p[i] <= '9') ||
	    t.p[i] == '+' || t.p[i] == '-' || t.p[i] == '.'))
		i++;
	return i + 3 < t.len && memcmp(t.p + i, "://", 3) == 0 && t.p[i + 3] != '/' &&
	    t.p[i + 3] != '?';
}

static int
parse_request_line(const char *p, size_t n, struct http_head *h)
{
	size_t i = 0, start;

	for (start = i; i < n && tchar((unsigned char)p[i]); i++)
		;
	if (i == start || i >= n || p[i] != ' ')
		return BURROW_ERR_PROTO;
	h->method.p = p + start;
	h->method.len = i - start;
	for (start = ++i; i < n && p[i] > 0x20 && p[i] < 0x7f; i++)
		;
	if (i == start || i >= n || p[i] != ' ')
		return BURROW_ERR_PROTO;
	h->target.p = p + start;
	h->target.len = i - start;
	i++;
	if (n - i != 8 || memcmp(p + i, "HTTP/1.", 7) != 0 || p[i + 7] < '0' || p[i + 7] > '9')
		return BURROW_ERR_PROTO;
	h->minor = p[i + 7] - '0';
	if (!target_ok(h->method, h->target))
		return BURROW_ERR_PROTO;
	h->is_head = h->method.len == 4 && memcmp(h->method.p, "HEAD", 4) == 0;
	return BURROW_OK;
}

static int
parse_field(const char *p, size_t n, struct http_header *f)
{
	size_t i, vs, ve;

	for (i = 0; i < n && tchar((unsigned char)p[i]); i++)
		;
	/* No whitespace between name and colon (RFC 9112 5.1), no obs-fold. */
	if (i == 0 || i >= n || p[i] != ':')
		return BURROW_ERR_PROTO;
	f->name.p = p;
	f->name.len = i;
	for (vs = i + 1; vs < n && (p[vs] == ' ' || p[vs] == '\t'); vs++)
		;
	for (ve = n; ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t'); ve--)
		;
	for (i = vs; i < ve; i++)
		if (!vchar((unsigned char)p[i]))
			return BURROW_ERR_PROTO;
	f->value.p = p + vs;
	f->value.len = ve - vs;
	return BURROW_OK;
}

/* The next element of the comma-separated list v from *i on, without OWS;
 * 0 at the end. */
static int
list_next(struct http_span v, size_t *i, struct http_span *elt)
{
	size_t s, e;

	for (;;) {
		while (*i < v.len && (v.p[*i] == ' ' || v.p[*i] == '\t' || v.p[*i] == ','))
			(*i)++;
		if (*i >= v.len)
			return 0;
		s = *i;
		while (*i < v.len && v.p[*i] != ',')
			(*i)++;
		for (e = *i; e > s && (v.p[e - 1] == ' ' || v.p[e - 1] == '\t'); e--)
			;
		elt->p = v.p + s;
		elt->len = e - s;
		return 1;
	}
}

/* True if the comma-separated list v contains the token want (lower case). */
static int
list_has(struct http_span v, const char *want)
{
	struct http_span elt;
	size_t i = 0;

	while (list_next(v, &i, &elt))
		if (http_name_is(elt.p, elt.len, want))
			return 1;
	return 0;
}

/* Content-Length: 1*DIGIT, at most 18 of them (fits in 63 bits). */
static int
parse_length(struct http_span v, uint64_t *out)
{
	size_t k;

	if (v.len == 0 || v.len > 18)
		return BURROW_ERR_PROTO;
	*out = 0;
	for (k = 0; k < v.len; k++) {
		if (v.p[k] < '0' || v.p[k] > '9')
			return BURROW_ERR_PROTO;
		*out = *out * 10 + (uint64_t)(v.p[k] - '0');
	}
	return BURROW_OK;
}

struct seen {
	int hosts, te, cl, upgrades, conn_upgrade;
};

static int
note_field(struct http_head *h, const struct http_header *f, struct seen *s)
{
	if (http_name_is(f->name.p, f->name.len, "host")) {
		s->hosts++;
	} else if (http_name_is(f->name.p, f->name.len, "transfer-encoding")) {
		/* Only "chunked" alone: we frame nothing else, and a list
		 * ("chunked, identity", "gzip, chunked") or a second field is
		 * where proxies and servers disagree (RFC 9112 6.1). */
		if (s->te++ || !http_name_is(f->value.p, f->value.len, "chunked"))
			return BURROW_ERR_PROTO;
	} else if (http_name_is(f->name.p, f->name.len, "content-length")) {
		/* One Content-Length, plain digits (RFC 9112 6.3 item 5). */
		if (s->cl++ || parse_length(f->value, &h->content_length) != BURROW_OK)
			return BURROW_ERR_PROTO;
	} else if (http_name_is(f->name.p, f->name.len, "connection")) {
		s->conn_upgrade |= list_has(f->value, "upgrade");
		if (list_has(f->value, "close"))
			h->close = 1;
	} else if (http_name_is(f->name.p, f->name.len, "upgrade")) {
		s->upgrades++;
		h->upgrade_value = f->value;
	}
	return BURROW_OK;
}

/* Framing and routing fields the container must read the way we do. */
static int
check_semantics(struct http_head *h)
{
	struct seen s = { 0, 0, 0, 0, 0 };
	int i;

	for (i = 0; i < h->nheaders; i++)
		if (note_field(h, &h->headers[i], &s) != BURROW_OK)
			return BURROW_ERR_PROTO;
	/* HTTP/1.1 needs exactly one Host (RFC 9112 3.2); both framings at
	 * once is the classic smuggling vector (RFC 9112 6.1), and HTTP/1.0
	 * has no chunked coding to trust. */
	if (s.hosts > 1 || (h->minor >= 1 && s.hosts == 0) || (s.te && s.cl) ||
	    (s.te && h->minor == 0) || s.upgrades > 1)
		return BURROW_ERR_PROTO;
	if (s.te)
		h->body = HTTP_BODY_CHUNKED;
	else if (s.cl && h->content_length > 0)
		h->body = HTTP_BODY_LENGTH;
	h->has_body = h->body != HTTP_BODY_NONE;
	h->upgrade = s.conn_upgrade && s.upgrades;
	h->upgrade_asked = s.conn_upgrade || s.upgrades;
	/* HTTP/1.0 is not persistent unless both sides say so; we do not
	 * say so (RFC 9112 9.3). */
	if (h->minor == 0)
		h->close = 1;
	return BURROW_OK;
}

/* Parses field lines from off until the empty line; *end_out is the
 * offset of the empty line's CR. */
static int
parse_fields(const char *buf, size_t len, size_t off, struct http_header *fields, int *n,
             size_t *end_out)
{
	size_t end;
	int rc;

	for (;;) {
		if (off > HTTP_HEAD_MAX)
			return BURROW_ERR_LIMIT;
		if ((rc = next_line(buf, len, off, HTTP_LINE_MAX, &end)) != BURROW_OK)
			return rc;
		if (end == off)
			break;
		if (*n == HTTP_HEADERS_MAX)
			return BURROW_ERR_LIMIT;
		if ((rc = parse_field(buf + off, end - off, &fields[*n])) != BURROW_OK)
			return rc;
		(*n)++;
		off = end + 2;
	}
	*end_out = end;
	return end + 2 > HTTP_HEAD_MAX ? BURROW_ERR_LIMIT : BURROW_OK;
}

int
http_head_parse(const char *buf, size_t len, struct http_head *out)
{
	size_t off = 0, end;
	int rc;

	memset(out, 0, sizeof(*out));
	/* A server SHOULD ignore at least one empty line before the
	 * request-line (RFC 9112 2.2). */
	while (off + 1 < len && buf[off] == '\r' && buf[off + 1] == '\n' && off < 8)
		off += 2;
	if ((rc = next_line(buf, len, off, HTTP_LINE_MAX, &end)) != BURROW_OK)
		goto out;
	if ((rc = parse_request_line(buf + off, end - off, out)) != BURROW_OK)
		goto out;
	if ((rc = parse_fields(buf, len, end + 2, out->headers, &out->nheaders, &end)) != BURROW_OK)
		goto out;
	out->len = end + 2;
	rc = check_semantics(out);
out:
	/* Whatever is still missing, a head already past the limit never fits. */
	if (rc == BURROW_ERR_BUSY && len > HTTP_HEAD_MAX)
		rc = BURROW_ERR_LIMIT;
	return rc;
}

/* ---- the connect token ---- */

/* The next "&"-separated parameter of a query from *i on (may be empty);
 * 0 at the end. */
static int
param_next(struct http_span q, size_t *i, struct http_span *param)
{
	size_t s = *i;

	if (*i > q.len)
		return 0;
	while (*i < q.len && q.p[*i] != '&')
		(*i)++;
	param->p = q.p + s;
	param->len = *i - s;
	(*i)++;
	return 1;
}

/* The next ";"-separated cookie pair of a Cookie value from *i on, without
 * surrounding spaces (RFC 6265 5.4); 0 at the end. */
static int
cookie_next(struct http_span v, size_t *i, struct http_span *pair)
{
	size_t s, e;

	while (*i < v.len && (v.p[*i] == ' ' || v.p[*i] == '\t' || v.p[*i] == ';'))
		(*i)++;
	if (*i >= v.len)
		return 0;
	s = *i;
	while (*i < v.len && v.p[*i] != ';')
		(*i)++;
	for (e = *i; e > s && (v.p[e - 1] == ' ' || v.p[e - 1] == '\t'); e--)
		;
	pair->p = v.p + s;
	pair->len = e - s;
	return 1;
}

/* True if pair ("name=value" or "name") is named HTTP_TOKEN_NAME, as a
 * query parameter or a cookie; *val gets the value. */
static int
token_pair(struct http_span pair, struct http_span *val)
{
	const char *eq = memchr(pair.p, '=', pair.len);
	size_t nl = strlen(HTTP_TOKEN_NAME), n = eq != NULL ? (size_t)(eq - pair.p) : pair.len;

	while (n > 0 && (pair.p[n - 1] == ' ' || pair.p[n - 1] == '\t'))
		n--;
	if (n != nl || memcmp(pair.p, HTTP_TOKEN_NAME, nl) != 0)
		return 0;
	val->p = eq != NULL ? eq + 1 : pair.p + pair.len;
	val->len = (size_t)(pair.p + pair.len - val->p);
	while (val->len > 0 && (val->p[0] == ' ' || val->p[0] == '\t')) {
		val->p++;
		val->len--;
	}
	return 1;
}

/* The query of a target ("" if none). */
static struct http_span
target_query(struct http_span t, struct http_span *path)
{
	const char *q = memchr(t.p, '?', t.len);
	struct http_span r = { t.p + t.len, 0 };

	path->p = t.p;
	path->len = q != NULL ? (size_t)(q - t.p) : t.len;
	if (q != NULL) {
		r.p = q + 1;
		r.len = (size_t)(t.p + t.len - r.p);
	}
	return r;
}

static int
bearer(const struct http_header *f, struct http_span *tok)
{
	const struct http_span *v = &f->value;
	size_t i = 7;

	if (!http_name_is(f->name.p, f->name.len, "authorization") || v->len <= 7 ||
	    !http_name_is(v->p, 6, "bearer") || (v->p[6] != ' ' && v->p[6] != '\t'))
		return 0;
	while (i < v->len && (v->p[i] == ' ' || v->p[i] == '\t'))
		i++;
	tok->p = v->p + i;
	tok->len = v->len - i;
	return 1;
}

/* Every occurrence seen in one place: the first, and whether any other
 * differs from it. */
struct found {
	struct http_span first;
	int n, differ;
};

static void
found_add(struct found *f, struct http_span v)
{
	if (f->n++ == 0)
		f->first = v;
	else if (v.len != f->first.len || memcmp(v.p, f->first.p, v.len) != 0)
		f->differ = 1;
}

static enum http_token_source
found_pick(const struct found *f, enum http_token_source src, struct http_span *tok)
{
	if (f->differ)
		return HTTP_TOKEN_CONFLICT;
	*tok = f->first;
	return src;
}

enum http_token_source
http_head_token(const struct http_head *h, struct http_span *tok)
{
	struct found hdr = { { NULL, 0 }, 0, 0 }, qry = hdr, ck = hdr;
	struct http_span path, q = target_query(h->target, &path), pair, val;
	size_t i;
	int k;

	tok->p = NULL;
	tok->len = 0;
	for (k = 0; k < h->nheaders; k++) {
		const struct http_header *f = &h->headers[k];
		if (bearer(f, &val))
			found_add(&hdr, val);
		else if (http_name_is(f->name.p, f->name.len, "cookie"))
			for (i = 0; cookie_next(f->value, &i, &pair);)
				if (token_pair(pair, &val))
					found_add(&ck, val);
	}
	for (i = 0; q.len > 0 && param_next(q, &i, &pair);)
		if (token_pair(pair, &val))
			found_add(&qry, val);
	if (hdr.n > 0)
		return found_pick(&hdr, HTTP_TOKEN_HEADER, tok);
	if (qry.n > 0)
		return found_pick(&qry, HTTP_TOKEN_QUERY, tok);
	if (ck.n > 0)
		return found_pick(&ck, HTTP_TOKEN_COOKIE, tok);
	return HTTP_TOKEN_NONE;
}

/* ---- the rewrite ---- */

struct out {
	char *p;
	size_t size, len;
	int full;
};

static void
put(struct out *o, const char *p, size_t n)
{
	if (o->full || n > o->size - o->len) {
		o->full = 1;
		return;
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* The target without any token parameter (and without a '?' left alone);
 * a path left empty becomes "/". */
static void
put_target(struct out *o, struct http_span t)
{
	struct http_span path, q = target_query(t, &path), pair, val;
	size_t i, kept = 0;

	if (path.len == 0)
		puts_(o, "/");
	put(o, path.p, path.len);
	for (i = 0; q.len > 0 && param_next(q, &i, &pair);) {
		if (token_pair(pair, &val))
			continue;
		puts_(o, kept++ == 0 ? "?" : "&");
		put(o, pair.p, pair.len);
	}
}

/* The Cookie field without the token cookies; nothing if none is left. */
static void
put_cookie(struct out *o, const struct http_header *f)
{
	struct http_span pair, val;
	size_t i;
	int first = 1;

	for (i = 0; cookie_next(f->value, &i, &pair);) {
		if (token_pair(pair, &val))
			continue;
		if (first) {
			put(o, f->name.p, f->name.len);
			puts_(o, ": ");
		} else {
			puts_(o, "; ");
		}
		put(o, pair.p, pair.len);
		first = 0;
	}
	if (!first)
		puts_(o, "\r\n");
}

/* Fields the container must not get from the client: identity look-alikes,
 * the token, and our hop's connection options (RFC 9110 7.6.1: a proxy
 * replaces Connection; dropping it also drops any field the client named
 * in it, which the container would otherwise remove, ours included). */
static int
drop_field(const struct http_header *f)
{
	struct http_span tok;

	return http_name_is_identity(f->name.p, f->name.len) || bearer(f, &tok) ||
	    http_name_is(f->name.p, f->name.len, "connection") ||
	    http_name_is(f->name.p, f->name.len, "keep-alive") ||
	    http_name_is(f->name.p, f->name.len, "proxy-connection");
}

int
http_head_rewrite(const struct http_head *h, const char *metadata, char *outbuf,
                  size_t outsz, size_t *outlen)
{
	struct out o = { outbuf, outsz, 0, 0 };
	char minor[2] = { (char)('0' + h->minor), '\0' };
	int i;

	put(&o, h->method.p, h->method.len);
	puts_(&o, " ");
	put_target(&o, h->target);
	puts_(&o, " HTTP/1.");
	puts_(&o, minor);
	puts_(&o, "\r\n");
	for (i = 0; i < h->nheaders; i++) {
		const struct http_header *f = &h->headers[i];
		if (drop_field(f))
			continue;
		if (http_name_is(f->name.p, f->name.len, "cookie")) {
			put_cookie(&o, f);
			continue;
		}
		put(&o, f->name.p, f->name.len);
		puts_(&o, ": ");
		put(&o, f->value.p, f->value.len);
		puts_(&o, "\r\n");
	}
	if (h->upgrade)
		puts_(&o, "Connection: Upgrade\r\n");
	else if (h->close)
		puts_(&o, "Connection: close\r\n");
	puts_(&o, "X-Verified-User-Data: ");
	puts_(&o, metadata);
	puts_(&o, "\r\n\r\n");
	if (o.full)
		return BURROW_ERR_LIMIT;
	*outlen = o.len;
	return BURROW_OK;
}

/* ---- responses and trailers ---- */

int
http_response_status(const char *buf, size_t len, int *status, size_t *line_end,
                     size_t *head_end)
{
	size_t end, i;
	int rc;

	if ((rc = next_line(buf, len, 0, HTTP_LINE_MAX, &end)) != BURROW_OK)
		return rc == BURROW_ERR_LIMIT ? BURROW_ERR_PROTO : rc;
	if (end < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[7] < '0' || buf[7] > '9' ||
	    buf[8] != ' ' || (end > 12 && buf[12] != ' '))
		return BURROW_ERR_PROTO;
	*status = 0;
	for (i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return BURROW_ERR_PROTO;
		*status = *status * 10 + buf[i] - '0';
	}
	*line_end = end + 2;
	if (head_end != NULL) {
		*head_end = 0;
		for (i = end; i + 3 < len; i++) {
			if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' &&
			    buf[i + 3] == '\n') {
				*head_end = i + 4;
				break;
			}
		}
	}
	return BURROW_OK;
}

/* What one response field says about framing.  Several Content-Length
 * fields must agree; a Transfer-Encoding whose last coding is not chunked
 * leaves only the close to end the body (RFC 9112 6.3 items 4-5). */
static int
note_response_field(const struct http_header *f, struct http_response *r, int *cl, int *te)
{
	struct http_span elt, last = { NULL, 0 };
	uint64_t n;
	size_t i = 0;

	if (http_name_is(f->name.p, f->name.len, "content-length")) {
		if (parse_length(f->value, &n) != BURROW_OK || (*cl && n != r->content_length))
			return BURROW_ERR_PROTO;
		*cl = 1;
		r->content_length = n;
	} else if (http_name_is(f->name.p, f->name.len, "transfer-encoding")) {
		while (list_next(f->value, &i, &elt))
			last = elt;
		*te = last.p != NULL && http_name_is(last.p, last.len, "chunked") ? 1 : 2;
	} else if (http_name_is(f->name.p, f->name.len, "connection")) {
		if (list_has(f->value, "close"))
			r->close = 1;
		if (list_has(f->value, "keep-alive"))
			r->close = r->close == 2 ? 0 : r->close;
	}
	return BURROW_OK;
}

int
http_response_parse(const char *buf, size_t len, struct http_response *out)
{
	struct http_header f;
	size_t off, end;
	int rc, cl = 0, te = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = http_response_status(buf, len, &out->status, &out->line_end, NULL)) != BURROW_OK)
		return rc;
	/* HTTP/1.0: persistent only with Connection: keep-alive (2 marks
	 * "close unless told otherwise"). */
	if (buf[7] == '0')
		out->close = 2;
	for (off = out->line_end;; off = end + 2) {
		if (off > HTTP_HEAD_MAX)
			return BURROW_ERR_LIMIT;
		if ((rc = next_line(buf, len, off, HTTP_HEAD_MAX, &end)) != BURROW_OK)
			return rc == BURROW_ERR_BUSY && len > HTTP_HEAD_MAX ? BURROW_ERR_LIMIT : rc;
		if (end == off)
			break;
		if ((rc = parse_field(buf + off, end - off, &f)) != BURROW_OK ||
		    (rc = note_response_field(&f, out, &cl, &te)) != BURROW_OK)
			return rc;
	}
	out->len = end + 2;
	if (out->len > HTTP_HEAD_MAX)
		return BURROW_ERR_LIMIT;
	out->close = out->close != 0;
	if (te == 1)
		out->body = HTTP_BODY_CHUNKED;
	else if (te == 2)
		out->body = HTTP_BODY_CLOSE;
	else if (cl)
		out->body = out->content_length > 0 ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
	else
		out->body = HTTP_BODY_CLOSE;
	return BURROW_OK;
}

/* Trailer fields a server may fold into the head (RFC 9110 6.5.2 lets it):
 * there they would read as identity or framing. */
static int
trailer_forbidden(const struct http_header *f)
{
	return http_name_is_identity(f->name.p, f->name.len) ||
	    http_name_is(f->name.p, f->name.len, "content-length") ||
	    http_name_is(f->name.p, f->name.len, "transfer-encoding") ||
	    http_name_is(f->name.p, f->name.len, "host");
}

int
http_trailer_parse(const char *buf, size_t len, int strict, size_t *outlen)
{
	struct http_header f;
	size_t off, end;
	int rc, n = 0;

	for (off = 0;; off = end + 2) {
		if (off > HTTP_HEAD_MAX)
			return BURROW_ERR_LIMIT;
		if ((rc = next_line(buf, len, off, HTTP_LINE_MAX, &end)) != BURROW_OK)
			return rc == BURROW_ERR_BUSY && len > HTTP_HEAD_MAX ? BURROW_ERR_LIMIT : rc;
		if (end == off)
			break;
		if (++n > HTTP_HEADERS_MAX)
			return BURROW_ERR_LIMIT;
		if ((rc = parse_field(buf + off, end - off, &f)) != BURROW_OK)
			return rc;
		if (strict && trailer_forbidden(&f))
			return BURROW_ERR_PROTO;
	}
	*outlen = end + 2;
	return *outlen > HTTP_HEAD_MAX ? BURROW_ERR_LIMIT : BURROW_OK;
}
