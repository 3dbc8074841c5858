/*
 * http_body.c: the message-body framer (see http_body.h).  Strict for the
 * same reason as http_head.c: a chunk line the container reads another way
 * (a bare LF, an overflowing size, a stray CR in an extension) would let
 * bytes we took for body be read as a request head we never checked.
 */
#include <string.h>

#include "common/error.h"
#include "tunnels/http_body.h"

enum { B_LENGTH, B_SIZE, B_DATA, B_DATA_CRLF, B_TRAILER, B_CLOSE, B_DONE };

void
http_body_start(struct http_body *b, enum http_body_kind kind, uint64_t length, int strict)
{
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->strict = strict;
	b->left = length;
	switch (kind) {
	case HTTP_BODY_LENGTH:
		b->state = length > 0 ? B_LENGTH : B_DONE;
		break;
	case HTTP_BODY_CHUNKED:
		b->state = B_SIZE;
		break;
	case HTTP_BODY_CLOSE:
		b->state = B_CLOSE;
		break;
	case HTTP_BODY_NONE:
		b->state = B_DONE;
		break;
	}
}

int
http_body_done(const struct http_body *b)
{
	return b->state == B_DONE;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* chunk-size [ chunk-ext ] CRLF (RFC 9112 7.1, 7.1.1): 1*HEXDIG, then
 * optional BWS and ";"-led extensions of visible characters, SP or HTAB.
 * n is the line without its CRLF. */
static int
parse_size_line(const char *p, size_t n, uint64_t *size)
{
	size_t i = 0;
	int d;

	*size = 0;
	for (; i < n && (d = hexval((unsigned char)p[i])) >= 0; i++) {
		*size = *size * 16 + (uint64_t)d;
		if (*size > HTTP_CHUNK_MAX)
			return BURROW_ERR_LIMIT;
	}
	if (i == 0)
		return BURROW_ERR_PROTO;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i == n)
		return BURROW_OK;
	if (p[i] != ';')
		return BURROW_ERR_PROTO;
	for (; i < n; i++)
		if (!((unsigned char)p[i] >= 0x20 && p[i] != 0x7f) && p[i] != '\t')
			return BURROW_ERR_PROTO;
	return BURROW_OK;
}

/* A complete chunk-size line at buf: its length with CRLF in *n. */
static enum http_body_step
size_line(struct http_body *b, const char *buf, size_t len, size_t *n)
{
	size_t scan = len < HTTP_LINE_MAX + 2 ? len : HTTP_LINE_MAX + 2;
	const char *lf = memchr(buf, '\n', scan);
	size_t end;

	if (lf == NULL)
		return len >= HTTP_LINE_MAX + 2 ? HTTP_BODY_BAD : HTTP_BODY_NEED;
	if (lf == buf || lf[-1] != '\r')
		return HTTP_BODY_BAD;
	end = (size_t)(lf - 1 - buf);
	if (memchr(buf, '\r', end) != NULL || parse_size_line(buf, end, &b->left) != BURROW_OK)
		return HTTP_BODY_BAD;
	*n = end + 2;
	/* The last chunk (size 0) is followed by the trailer section. */
	b->state = b->left == 0 ? B_TRAILER : B_DATA;
	return HTTP_BODY_MOVE;
}

static enum http_body_step
data_crlf(struct http_body *b, const char *buf, size_t len, size_t *n)
{
	if (len == 0 || (len == 1 && buf[0] == '\r'))
		return HTTP_BODY_NEED;
	if (buf[0] != '\r' || buf[1] != '\n')
		return HTTP_BODY_BAD;
	*n = 2;
	b->state = B_SIZE;
	return HTTP_BODY_MOVE;
}

static enum http_body_step
trailer(struct http_body *b, const char *buf, size_t len, size_t *n)
{
	int rc = http_trailer_parse(buf, len, b->strict, n);

	if (rc == BURROW_ERR_BUSY)
		return HTTP_BODY_NEED;
	if (rc != BURROW_OK)
		return HTTP_BODY_BAD;
	b->state = B_DONE;
	return HTTP_BODY_MOVE;
}

/* Data bytes: as many as are there, up to what the length or chunk says. */
static enum http_body_step
data(struct http_body *b, size_t len, size_t *n, int next)
{
	if (len == 0)
		return HTTP_BODY_NEED;
	*n = (uint64_t)len < b->left ? len : (size_t)b->left;
	b->left -= *n;
	if (b->left == 0)
		b->state = next;
	return HTTP_BODY_MOVE;
}

enum http_body_step
http_body_next(struct http_body *b, const char *buf, size_t len, size_t *n)
{
	*n = 0;
	switch (b->state) {
	case B_LENGTH:
		return data(b, len, n, B_DONE);
	case B_SIZE:
		return size_line(b, buf, len, n);
	case B_DATA:
		return data(b, len, n, B_DATA_CRLF);
	case B_DATA_CRLF:
		return data_crlf(b, buf, len, n);
	case B_TRAILER:
		return trailer(b, buf, len, n);
	case B_CLOSE:
		if (len == 0)
			return HTTP_BODY_NEED;
		*n = len;
		return HTTP_BODY_MOVE;
	}
	return HTTP_BODY_DONE;
}
