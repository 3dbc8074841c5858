/*
 * http_head.h: HTTP/1.1 message heads (RFC 9112 sections 2-7) as the edge
 * needs them for connect tokens: parse a request head with limits, find
 * the token, rewrite the head before it reaches the container; parse a
 * response head and a trailer section for framing.  Pure functions over
 * buffers; nothing here owns memory (a parsed head points into the
 * caller's buffer).
 */
#ifndef BURROW_HTTP_HEAD_H
#define BURROW_HTTP_HEAD_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX 32768      /* whole head, request line included */
#define HTTP_LINE_MAX 8192       /* one request line or field line */
#define HTTP_HEADERS_MAX 100

struct http_span {
	const char *p;
	size_t len;
};

struct http_header {
	struct http_span name, value; /* value without surrounding OWS */
};

/* How a message body is delimited (RFC 9112 6.3). */
enum http_body_kind {
	HTTP_BODY_NONE,
	HTTP_BODY_LENGTH,   /* Content-Length bytes */
	HTTP_BODY_CHUNKED,  /* chunked transfer coding, then trailers */
	HTTP_BODY_CLOSE,    /* until the sender closes (responses only) */
};

struct http_head {
	struct http_span method, target;
	int minor;                    /* HTTP/1.minor */
	struct http_header headers[HTTP_HEADERS_MAX];
	int nheaders;
	size_t len;                   /* bytes of the head, final CRLF included */
	int upgrade;                  /* Connection: upgrade and an Upgrade field */
	int upgrade_asked;            /* either of the two is there */
	struct http_span upgrade_value; /* the Upgrade field's value */
	int has_body;                 /* Content-Length > 0 or Transfer-Encoding */
	enum http_body_kind body;     /* NONE, LENGTH or CHUNKED */
	uint64_t content_length;
	int close;                    /* no request may follow this one */
	int is_head;                  /* method HEAD: the response has no body */
};

/* Parses the request head at the start of buf (len bytes).  Returns
 * BURROW_OK when a whole head is there (out->len says how long),
 * BURROW_ERR_BUSY if more bytes are needed, BURROW_ERR_PROTO if it is not a
 * valid HTTP/1.x request head (bad syntax, a target that is not
 * origin-form, absolute-form or OPTIONS *, framing another reader could
 * take differently), BURROW_ERR_LIMIT if a line, the head or the field
 * count is over the limits above. */
int http_head_parse(const char *buf, size_t len, struct http_head *out);

enum http_token_source {
	HTTP_TOKEN_NONE,
	HTTP_TOKEN_HEADER,   /* Authorization: Bearer */
	HTTP_TOKEN_QUERY,    /* ?_modal_connect_token= */
	HTTP_TOKEN_COOKIE,   /* Cookie: _modal_connect_token= */
	HTTP_TOKEN_CONFLICT, /* one place holds two different tokens */
};

#define HTTP_TOKEN_NAME "_modal_connect_token"

/* Finds the connect token: Authorization: Bearer first, then the query
 * parameter, then the cookie (a fresh URL token wins over an old cookie).
 * Every occurrence in the place chosen must be the same token, else
 * HTTP_TOKEN_CONFLICT: nobody can say which one the request means.  *tok
 * points into the head's buffer (NULL and 0 with NONE and CONFLICT). */
enum http_token_source http_head_token(const struct http_head *h, struct http_span *tok);

/* Writes the head the container gets into out (size outsz): every copy of
 * the token removed (query parameters, cookies, Bearer headers), every
 * field whose name reads as X-Verified-User-Data dropped, the client's
 * Connection and Keep-Alive replaced by ours (Upgrade, close, or none:
 * persistent), and "X-Verified-User-Data: metadata" added.  A target left
 * as only a query becomes "/" plus that query.  *outlen gets the length.
 * Returns BURROW_OK or BURROW_ERR_LIMIT (out too small). */
int http_head_rewrite(const struct http_head *h, const char *metadata, char *out,
                      size_t outsz, size_t *outlen);

/* Looks at the response head at the start of buf: *status gets the code and
 * *line_end the offset just past the status line's CRLF, *head_end (may be
 * NULL) the offset past the head's final CRLF or 0 if not there yet.
 * Returns BURROW_OK, BURROW_ERR_BUSY (status line incomplete) or
 * BURROW_ERR_PROTO. */
int http_response_status(const char *buf, size_t len, int *status, size_t *line_end,
                         size_t *head_end);

struct http_response {
	int status;
	size_t line_end;              /* just past the status line's CRLF */
	size_t len;                   /* the whole head */
	enum http_body_kind body;     /* before the request method is known */
	uint64_t content_length;
	int close;                    /* Connection: close, or HTTP/1.0 */
};

/* Parses a whole response head at the start of buf for its framing
 * (RFC 9112 6.3 items 3-8; the caller applies items 1-2, which depend on
 * the request).  Returns BURROW_OK, BURROW_ERR_BUSY, BURROW_ERR_PROTO (not
 * HTTP/1.x, bad Content-Length) or BURROW_ERR_LIMIT. */
int http_response_parse(const char *buf, size_t len, struct http_response *out);

/* Checks the trailer section at the start of buf (RFC 9112 7.1.2: field
 * lines, then an empty line).  *outlen gets its length.  Returns BURROW_OK,
 * BURROW_ERR_BUSY, BURROW_ERR_LIMIT, or BURROW_ERR_PROTO for bad syntax and,
 * if strict, for a field a server might merge into the head and read as
 * identity or framing (X-Verified-User-Data look-alikes, Content-Length,
 * Transfer-Encoding, Host). */
int http_trailer_parse(const char *buf, size_t len, int strict, size_t *outlen);

/* True if name (len bytes) equals the NUL-terminated lower-case want,
 * ignoring ASCII case. */
int http_name_is(const char *name, size_t len, const char *want);

/* True if name reads as X-Verified-User-Data to a server that ignores
 * case and takes '_' for '-' (CGI, WSGI and PHP map both to one name). */
int http_name_is_identity(const char *name, size_t len);

#endif
