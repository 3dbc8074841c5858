/*
 * http.c: HTTPS with libcurl.  Moves bytes and the four headers ACME uses;
 * knows nothing of JWS or orders.  TLS verification is always on: the CA
 * bundle may be replaced (Pebble's test CA), never switched off.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "acme/acme.h"
#include "common/error.h"

#define HTTP_BODY_MAX (4u << 20) /* a certificate chain is a few KB */

struct acme_http {
	CURL *curl;
	char *ca_bundle;
};

struct acme_http *
acme_http_new(const char *ca_bundle)
{
	struct acme_http *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	if ((h->curl = curl_easy_init()) == NULL ||
	    (ca_bundle != NULL && (h->ca_bundle = strdup(ca_bundle)) == NULL)) {
		acme_http_free(h);
		return NULL;
	}
	return h;
}

void
acme_http_free(struct acme_http *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h->ca_bundle);
	free(h);
}

void
acme_resp_clear(struct acme_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct acme_resp *r = arg;
	size_t len = size * n;
	char *p;

	if (r->len + len > HTTP_BODY_MAX)
		return 0;
	if ((p = realloc(r->body, r->len + len + 1)) == NULL)
		return 0;
	memcpy(p + r->len, data, len);
	r->len += len;
	p[r->len] = '\0';
	r->body = p;
	return len;
}

/* Copies the value of "Name: value\r\n" into out if line is that header. */
static void
header_value(const char *line, size_t len, const char *name, char *out, size_t outsz)
{
	size_t nlen = strlen(name), vlen;
	const char *v;

	if (len <= nlen || line[nlen] != ':' || strncasecmp(line, name, nlen) != 0)
		return;
	v = line + nlen + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
	    v[vlen - 1] == ' '))
		vlen--;
	if (vlen >= outsz)
		return;
	memcpy(out, v, vlen);
	out[vlen] = '\0';
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct acme_resp *r = arg;
	size_t len = size * n;

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new response (after 100 Continue): forget older headers. */
		r->nonce[0] = r->location[0] = r->retry_after[0] = '\0';
		r->content_type[0] = '\0';
	}
	header_value(data, len, "Replay-Nonce", r->nonce, sizeof(r->nonce));
	header_value(data, len, "Location", r->location, sizeof(r->location));
	header_value(data, len, "Retry-After", r->retry_after, sizeof(r->retry_after));
	header_value(data, len, "Content-Type", r->content_type, sizeof(r->content_type));
	return len;
}

int
acme_http_do(struct acme_http *h, enum acme_method m, const char *url,
             const char *body, const char *accept, struct acme_resp *r,
             char *err, size_t errsz)
{
	struct curl_slist *hdrs = NULL, *tmp;
	char errbuf[CURL_ERROR_SIZE] = "", line[256];
	CURL *c = h->curl;
	CURLcode cc;
	int rc = BURROW_ERR_IO;

	memset(r, 0, sizeof(*r));
	curl_easy_reset(c);
	snprintf(line, sizeof(line), "Accept: %s", accept != NULL ? accept : "application/json");
	if ((tmp = curl_slist_append(hdrs, line)) == NULL)
		goto nomem;
	hdrs = tmp;
	if (m == ACME_POST) {
		if ((tmp = curl_slist_append(hdrs, "Content-Type: application/jose+json")) == NULL)
			goto nomem;
		hdrs = tmp;
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	} else if (m == ACME_HEAD) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "burrow-acme/1");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_bundle != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_bundle);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		snprintf(err, errsz, "%s: %s", url, errbuf[0] != '\0' ? errbuf
		    : curl_easy_strerror(cc));
		acme_resp_clear(r);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->body == NULL && (r->body = strdup("")) == NULL)
		goto nomem;
	rc = BURROW_OK;
	goto out;
nomem:
	snprintf(err, errsz, "out of memory");
	rc = BURROW_ERR_NOMEM;
out:
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	return rc;
}
