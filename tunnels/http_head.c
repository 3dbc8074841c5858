/*
 * http_head.c: a strict HTTP/1.1 request-head parser and the connect-token
 * rewrite (see http_head.h).  Strict on purpose: the edge adds a header the
 * container trusts, so any request the container might read differently
 * from us (obs-fold, bare LF, space before the colon, conflicting framing)
 * is refused rather than guessed at (RFC 9112 sections 2.2, 5.1, 5.2, 6.1).
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

/* Finds the next CRLF-terminated line at buf[off..len).  *end is the offset
 * of the CR.  BURROW_ERR_BUSY if no LF yet, BURROW_ERR_PROTO for a bare LF. */
static int
next_line(const char *buf, size_t len, size_t off, size_t *end)
{
	size_t avail = len - off, scan = avail < HTTP_LINE_MAX + 2 ? avail : HTTP_LINE_MAX + 2;
	const char *lf = memchr(buf + off, '\n', scan);

	if (lf == NULL)
		return avail >= HTTP_LINE_MAX + 2 ? BURROW_ERR_LIMIT : BURROW_ERR_BUSY;
	if (lf == buf + off || lf[-1] != '\r')
		return BURROW_ERR_PROTO;
	*end = (size_t)(lf - 1 - buf);
	if (*end - off > HTTP_LINE_MAX)
		return BURROW_ERR_LIMIT;
	return BURROW_OK;
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

/* True if the comma-separated list v contains the token want (lower case). */
static int
list_has(struct http_span v, const char *want)
{
	size_t i = 0, s, e;

	while (i < v.len) {
		while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ','))
			i++;
		s = i;
		while (i < v.len && v.p[i] != ',')
			i++;
		e = i;
		while (e > s && (v.p[e - 1] == ' ' || v.p[e - 1] == '\t'))
			e--;
		if (e > s && http_name_is(v.p + s, e - s, want))
			return 1;
	}
	return 0;
}

/* Framing and routing fields the container must read the way we do. */
static int
check_semantics(struct http_head *h)
{
	int i, hosts = 0, te = 0, cl = 0, conn_upgrade = 0, upgrade = 0;
	struct http_span clv = { NULL, 0 };

	for (i = 0; i < h->nheaders; i++) {
		struct http_header *f = &h->headers[i];
		if (http_name_is(f->name.p, f->name.len, "host")) {
			hosts++;
		} else if (http_name_is(f->name.p, f->name.len, "transfer-encoding")) {
			te = 1;
		} else if (http_name_is(f->name.p, f->name.len, "content-length")) {
			size_t k;
			if (f->value.len == 0 || f->value.len > 18)
				return BURROW_ERR_PROTO;
			for (k = 0; k < f->value.len; k++)
				if (f->value.p[k] < '0' || f->value.p[k] > '9')
					return BURROW_ERR_PROTO;
			/* Repeated Content-Length must agree (RFC 9112 6.3). */
			if (cl && (clv.len != f->value.len ||
			    memcmp(clv.p, f->value.p, clv.len) != 0))
				return BURROW_ERR_PROTO;
			cl = 1;
			clv = f->value;
		} else if (http_name_is(f->name.p, f->name.len, "connection")) {
			conn_upgrade |= list_has(f->value, "upgrade");
		} else if (http_name_is(f->name.p, f->name.len, "upgrade")) {
			upgrade = 1;
		}
	}
	/* HTTP/1.1 needs exactly one Host (RFC 9112 3.2); both framings at
	 * once is the classic smuggling vector (RFC 9112 6.1). */
	if (hosts > 1 || (h->minor >= 1 && hosts == 0) || (te && cl))
		return BURROW_ERR_PROTO;
	h->has_body = te;
	if (cl) {
		size_t k;
		for (k = 0; k < clv.len; k++)
			if (clv.p[k] != '0')
				h->has_body = 1;
	}
	h->upgrade = conn_upgrade && upgrade;
	return BURROW_OK;
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
	if ((rc = next_line(buf, len, off, &end)) != BURROW_OK)
		goto out;
	if ((rc = parse_request_line(buf + off, end - off, out)) != BURROW_OK)
		goto out;
	off = end + 2;
	for (;;) {
		if (off > HTTP_HEAD_MAX) {
			rc = BURROW_ERR_LIMIT;
			goto out;
		}
		if ((rc = next_line(buf, len, off, &end)) != BURROW_OK)
			goto out;
		if (end == off)
			break;
		if (out->nheaders == HTTP_HEADERS_MAX) {
			rc = BURROW_ERR_LIMIT;
			goto out;
		}
		if ((rc = parse_field(buf + off, end - off, &out->headers[out->nheaders])) != BURROW_OK)
			goto out;
		out->nheaders++;
		off = end + 2;
	}
	out->len = end + 2;
	if (out->len > HTTP_HEAD_MAX) {
		rc = BURROW_ERR_LIMIT;
		goto out;
	}
	rc = check_semantics(out);
out:
	/* Whatever is still missing, a head already past the limit never fits. */
	if (rc == BURROW_ERR_BUSY && len > HTTP_HEAD_MAX)
		rc = BURROW_ERR_LIMIT;
	return rc;
}

/* The query parameter HTTP_TOKEN_NAME in target: *param spans "name=value"
 * and *val the value.  0 if absent. */
static int
query_param(struct http_span target, struct http_span *param, struct http_span *val)
{
	const char *q = memchr(target.p, '?', target.len);
	const char *end = target.p + target.len, *s, *e;
	size_t nl = strlen(HTTP_TOKEN_NAME);

	if (q == NULL)
		return 0;
	for (s = q + 1; s < end; s = e + 1) {
		for (e = s; e < end && *e != '&' && *e != '#'; e++)
			;
		if ((size_t)(e - s) > nl && memcmp(s, HTTP_TOKEN_NAME, nl) == 0 && s[nl] == '=') {
			param->p = s;
			param->len = (size_t)(e - s);
			val->p = s + nl + 1;
			val->len = (size_t)(e - s) - nl - 1;
			return 1;
		}
		if (e < end && *e == '#')
			break;
	}
	return 0;
}

/* The token cookie among the "name=value" pairs of a Cookie value
 * (RFC 6265 section 5.4).  0 if absent. */
static int
cookie_find(struct http_span v, struct http_span *val)
{
	size_t i = 0, s, nl = strlen(HTTP_TOKEN_NAME);

	while (i < v.len) {
		while (i < v.len && (v.p[i] == ' ' || v.p[i] == ';'))
			i++;
		s = i;
		while (i < v.len && v.p[i] != ';')
			i++;
		if (i - s > nl && memcmp(v.p + s, HTTP_TOKEN_NAME, nl) == 0 && v.p[s + nl] == '=') {
			val->p = v.p + s + nl + 1;
			val->len = i - s - nl - 1;
			while (val->len > 0 && val->p[val->len - 1] == ' ')
				val->len--;
			return 1;
		}
	}
	return 0;
}

static int
bearer(const struct http_header *f, struct http_span *tok)
{
	const struct http_span *v = &f->value;
	size_t i = 7;

	if (!http_name_is(f->name.p, f->name.len, "authorization") || v->len <= 7 ||
	    !http_name_is(v->p, 6, "bearer") || v->p[6] != ' ')
		return 0;
	while (i < v->len && v->p[i] == ' ')
		i++;
	if (i == v->len)
		return 0;
	tok->p = v->p + i;
	tok->len = v->len - i;
	return 1;
}

enum http_token_source
http_head_token(const struct http_head *h, struct http_span *tok)
{
	struct http_span param;
	int i;

	tok->p = NULL;
	tok->len = 0;
	for (i = 0; i < h->nheaders; i++)
		if (bearer(&h->headers[i], tok))
			return HTTP_TOKEN_HEADER;
	if (query_param(h->target, &param, tok))
		return HTTP_TOKEN_QUERY;
	for (i = 0; i < h->nheaders; i++)
		if (http_name_is(h->headers[i].name.p, h->headers[i].name.len, "cookie") &&
		    cookie_find(h->headers[i].value, tok))
			return HTTP_TOKEN_COOKIE;
	return HTTP_TOKEN_NONE;
}

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

/* The target without the token parameter (and without a '?' left alone). */
static void
put_target(struct out *o, struct http_span t)
{
	struct http_span param, val;
	const char *ps, *pe, *end = t.p + t.len;

	if (!query_param(t, &param, &val)) {
		put(o, t.p, t.len);
		return;
	}
	ps = param.p;
	pe = param.p + param.len;
	if (pe < end && *pe == '&') {
		pe++;                          /* "a&TOKEN&b" -> "a&b", "?TOKEN&b" -> "?b" */
	} else if (ps[-1] == '&') {
		ps--;                          /* "a&TOKEN" -> "a" */
	} else {
		ps--;                          /* "?TOKEN" alone: drop the '?' too */
	}
	put(o, t.p, (size_t)(ps - t.p));
	put(o, pe, (size_t)(end - pe));
}

/* The Cookie field without the token cookie; nothing if none is left. */
static void
put_cookie(struct out *o, const struct http_header *f)
{
	struct http_span v = f->value;
	size_t i = 0, s, e, nl = strlen(HTTP_TOKEN_NAME);
	int first = 1;

	while (i < v.len) {
		while (i < v.len && (v.p[i] == ' ' || v.p[i] == ';'))
			i++;
		s = i;
		while (i < v.len && v.p[i] != ';')
			i++;
		for (e = i; e > s && v.p[e - 1] == ' '; e--)
			;
		if (e == s || (e - s > nl && memcmp(v.p + s, HTTP_TOKEN_NAME, nl) == 0 &&
		    v.p[s + nl] == '='))
			continue;
		if (first) {
			put(o, f->name.p, f->name.len);
			puts_(o, ": ");
		} else {
			puts_(o, "; ");
		}
		put(o, v.p + s, e - s);
		first = 0;
	}
	if (!first)
		puts_(o, "\r\n");
}

int
http_head_rewrite(const struct http_head *h, const char *metadata, char *outbuf,
                  size_t outsz, size_t *outlen)
{
	struct out o = { outbuf, outsz, 0, 0 };
	struct http_span tok;
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
		if (http_name_is(f->name.p, f->name.len, "x-verified-user-data") || bearer(f, &tok))
			continue;
		if (!h->upgrade && (http_name_is(f->name.p, f->name.len, "connection") ||
		    http_name_is(f->name.p, f->name.len, "keep-alive")))
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
	if (!h->upgrade)
		puts_(&o, "Connection: close\r\n");
	puts_(&o, "X-Verified-User-Data: ");
	puts_(&o, metadata);
	puts_(&o, "\r\n\r\n");
	if (o.full)
		return BURROW_ERR_LIMIT;
	*outlen = o.len;
	return BURROW_OK;
}

int
http_response_status(const char *buf, size_t len, int *status, size_t *line_end,
                     size_t *head_end)
{
	size_t end, i;
	int rc;

	if ((rc = next_line(buf, len, 0, &end)) != BURROW_OK)
		return rc == BURROW_ERR_LIMIT ? BURROW_ERR_PROTO : rc;
	if (end < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ')
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
