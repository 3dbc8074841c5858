/*
 * http_head.h: the HTTP/1.1 request head (RFC 9112 sections 2-5) as the edge
 * needs it for connect tokens: parse with limits, find the token, rewrite
 * the head before it reaches the container, and add Set-Cookie to a
 * response.  Pure functions over buffers; nothing here owns memory (a parsed
 * head points into the caller's buffer).
 */
#ifndef BURROW_HTTP_HEAD_H
#define BURROW_HTTP_HEAD_H

#include <stddef.h>

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

struct http_head {
	struct http_span method, target;
	int minor;                    /* HTTP/1.minor */
	struct http_header headers[HTTP_HEADERS_MAX];
	int nheaders;
	size_t len;                   /* bytes of the head, final CRLF included */
	int upgrade;                  /* Connection: upgrade and an Upgrade field */
	int has_body;                 /* Content-Length > 0 or Transfer-Encoding */
};

/* Parses the request head at the start of buf (len bytes).  Returns
 * BURROW_OK when a whole head is there (out->len says how long),
 * BURROW_ERR_BUSY if more bytes are needed, BURROW_ERR_PROTO if it is not a
 * valid HTTP/1.x request head, BURROW_ERR_LIMIT if a line, the head or the
 * field count is over the limits above. */
int http_head_parse(const char *buf, size_t len, struct http_head *out);

enum http_token_source {
	HTTP_TOKEN_NONE,
	HTTP_TOKEN_HEADER, /* Authorization: Bearer */
	HTTP_TOKEN_QUERY,  /* ?_modal_connect_token= */
	HTTP_TOKEN_COOKIE, /* Cookie: _modal_connect_token= */
};

#define HTTP_TOKEN_NAME "_modal_connect_token"

/* Finds the connect token: Authorization: Bearer first, then the query
 * parameter, then the cookie.  *tok points into the head's buffer (NULL
 * and 0 with HTTP_TOKEN_NONE). */
enum http_token_source http_head_token(const struct http_head *h, struct http_span *tok);

/* Writes the head the container gets into out (size outsz): the token
 * removed from wherever it was (query parameter, cookie, Bearer header),
 * every client-sent X-Verified-User-Data dropped, "X-Verified-User-Data:
 * metadata" added and, unless the request upgrades, Connection replaced by
 * "close" (so each request on the connection is checked: one request per
 * connection to the container).  *outlen gets the length.
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

/* True if name (len bytes) equals the NUL-terminated lower-case want,
 * ignoring ASCII case. */
int http_name_is(const char *name, size_t len, const char *want);

#endif
