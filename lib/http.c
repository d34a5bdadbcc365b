/* HTTP client over libcurl: see http.h. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "http.h"

static pthread_once_t	init_once = PTHREAD_ONCE_INIT;
static CURLcode		init_rc = CURLE_FAILED_INIT;

/*
 * One transfer and the state its callbacks share; a multi-handle API
 * would keep one per easy handle and reuse xfer_init and xfer_done.
 */
struct xfer {
	const struct http_req	*req;
	struct http_resp	*resp;
	CURL			*curl;
	struct curl_slist	*hdrs;
	uint64_t		 sent;		/* request body bytes given */
	size_t			 cap, max;	/* response body buffer, bound */
	int			 too_big;
	int			 read_errno;	/* the request body's read */
	int			 stopped;	/* req->stop was seen set */
	char			 errbuf[CURL_ERROR_SIZE];
};

static void
global_init(void)
{
	init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
http_init(char *err, size_t errsz)
{
	if (pthread_once(&init_once, global_init) != 0 || init_rc != CURLE_OK) {
		snprintf(err, errsz, "curl_global_init failed");
		return -1;
	}
	return 0;
}

static void
wipe_free(char *p, size_t n)
{
	if (p != NULL) {
		explicit_bzero(p, n);
		free(p);
	}
}

/* Grows the body by copying, as realloc could leave a secret behind. */
static int
body_grow(struct xfer *x, size_t need)
{
	size_t cap = x->cap ? x->cap : 4096;
	char *p;

	while (cap < need)
		cap *= 2;
	if (cap > x->max + 1)
		cap = x->max + 1;
	if ((p = malloc(cap)) == NULL)
		return -1;
	if (x->resp->body != NULL)
		memcpy(p, x->resp->body, x->resp->len + 1);
	wipe_free(x->resp->body, x->cap);
	x->resp->body = p;
	x->cap = cap;
	return 0;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	struct http_resp *r = x->resp;
	size_t len = size * n;

	if (len > x->max - r->len) {
		x->too_big = 1;
		return 0;
	}
	if (r->len + len + 1 > x->cap && body_grow(x, r->len + len + 1) == -1)
		return 0;
	memcpy(r->body + r->len, data, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static void
kept_clear(struct http_resp *r)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		wipe_free(r->headers[i].value, strlen(r->headers[i].value));
	}
	r->nheaders = 0;
}

/* Keeps value v[0..n) for name, replacing an earlier one. */
static int
kept_set(struct http_resp *r, const char *name, const char *v, size_t n)
{
	char *val = strndup(v, n);
	size_t i;

	if (val == NULL)
		return -1;
	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0) {
			wipe_free(r->headers[i].value, strlen(r->headers[i].value));
			r->headers[i].value = val;
			return 0;
		}
	if ((r->headers[i].name = strdup(name)) == NULL) {
		free(val);
		return -1;
	}
	r->headers[i].value = val;
	r->nheaders++;
	return 0;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, nlen, i;
	const char *colon, *v, *end = data + len;

	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		kept_clear(x->resp);	/* a new response, after a 100 say */
		return len;
	}
	if ((colon = memchr(data, ':', len)) == NULL)
		return len;
	nlen = (size_t)(colon - data);
	for (i = 0; i < x->req->nkeep; i++)
		if (strlen(x->req->keep[i]) == nlen &&
		    strncasecmp(x->req->keep[i], data, nlen) == 0)
			break;
	if (i == x->req->nkeep)
		return len;
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	if (kept_set(x->resp, x->req->keep[i], v, (size_t)(end - v)) == -1)
		return 0;
	return len;
}

static size_t
on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	const struct http_body *b = &x->req->body;
	uint64_t left = b->len - x->sent;
	size_t want = size * n;
	ssize_t r;

	if (left < want)
		want = (size_t)left;
	if (want == 0)
		return 0;
	if (b->kind == HTTP_BODY_MEM)
		memcpy(buf, (const char *)b->mem + x->sent, want);
	else {
		do
			r = pread(b->fd, buf, want, (off_t)(b->off + (int64_t)x->sent));
		while (r == -1 && errno == EINTR);
		if (r <= 0) {
			x->read_errno = r == -1 ? errno : EIO;	/* EIO: short */
			return CURL_READFUNC_ABORT;
		}
		want = (size_t)r;
	}
	x->sent += want;
	return want;
}

/* curl rewinds the body to resend it, e.g. on a reused dead connection. */
static int
on_seek(void *arg, curl_off_t off, int origin)
{
	struct xfer *x = arg;

	if (origin != SEEK_SET || off < 0 || (uint64_t)off > x->req->body.len)
		return CURL_SEEKFUNC_FAIL;
	x->sent = (uint64_t)off;
	return CURL_SEEKFUNC_OK;
}

/* Copies of the header lines are wiped: they may carry a token. */
static void
slist_free(struct curl_slist *l)
{
	struct curl_slist *s;

	for (s = l; s != NULL; s = s->next)
		explicit_bzero(s->data, strlen(s->data));
	curl_slist_free_all(l);
}

static int
add_header(struct xfer *x, const char *name, const char *value)
{
	struct curl_slist *l;
	char *line;
	int n;

	/* "Name;" is curl's way to send a header with an empty value */
	n = *value ? asprintf(&line, "%s: %s", name, value) :
	    asprintf(&line, "%s;", name);
	if (n == -1)
		return -1;
	l = curl_slist_append(x->hdrs, line);
	wipe_free(line, (size_t)n);
	if (l == NULL)
		return -1;
	x->hdrs = l;
	return 0;
}

static int
set_headers(struct xfer *x, char *err, size_t errsz)
{
	const struct http_header *h = x->req->headers;
	struct curl_slist *l;
	size_t i;

	for (i = 0; i < x->req->nheaders; i++) {
		if (*h[i].name == '\0' || strpbrk(h[i].name, ":\r\n") != NULL ||
		    strpbrk(h[i].value, "\r\n") != NULL) {
			snprintf(err, errsz, "bad request header %s",
			    strpbrk(h[i].name, "\r\n") ? "name" : h[i].name);
			return -1;
		}
		if (add_header(x, h[i].name, h[i].value) == -1)
			goto nomem;
	}
	/* "Expect:" drops the 100-continue round trip: the bodies are small */
	if ((l = curl_slist_append(x->hdrs, "Expect:")) == NULL)
		goto nomem;
	x->hdrs = l;
	if (curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, x->hdrs) != CURLE_OK)
		goto nomem;
	return 0;
nomem:
	snprintf(err, errsz, "out of memory");
	return -1;
}

/* The method, and the body if there is one (any method but GET/HEAD). */
static int
set_method(struct xfer *x)
{
	const struct http_req *r = x->req;
	CURL *c = x->curl;
	int upload = r->body.kind != HTTP_BODY_NONE ||
	    strcmp(r->method, "PUT") == 0 || strcmp(r->method, "POST") == 0;

	if (strcmp(r->method, "HEAD") == 0)
		return curl_easy_setopt(c, CURLOPT_NOBODY, 1L) == CURLE_OK ? 0 : -1;
	if (!upload && strcmp(r->method, "GET") == 0)
		return curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) == CURLE_OK ? 0 : -1;
	if (upload && (curl_easy_setopt(c, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
	    (curl_off_t)r->body.len) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_READDATA, x) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SEEKDATA, x) != CURLE_OK))
		return -1;
	return curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method) ==
	    CURLE_OK ? 0 : -1;
}

/* Gives up a transfer once the caller's stop flag is set. */
static int
on_progress(void *arg, curl_off_t dlt, curl_off_t dln, curl_off_t ult,
    curl_off_t uln)
{
	struct xfer *x = arg;

	(void)dlt, (void)dln, (void)ult, (void)uln;
	if (*x->req->stop) {
		x->stopped = 1;
		return 1;
	}
	return 0;
}

/* Optional limits: a stalled transfer, the caller's stop flag. */
static int
set_limits(struct xfer *x)
{
	const struct http_req *r = x->req;
	CURL *c = x->curl;

	if (r->stall_s > 0 &&
	    (curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, r->stall_s) != CURLE_OK))
		return -1;
	if (r->stop != NULL &&
	    (curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_XFERINFODATA, x) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) != CURLE_OK))
		return -1;
	return 0;
}

static int
set_options(struct xfer *x)
{
	const struct http_req *r = x->req;
	CURL *c = x->curl;

	/*
	 * No signals (curl runs on librdkafka's threads too), the path as
	 * given (signed requests: "/../" in an S3 key is no dot segment),
	 * no redirects,
	 * no scheme but HTTP(S); proxies from the environment unless the
	 * endpoint is link-local, where no proxy could reach it.
	 */
	if (curl_easy_setopt(c, CURLOPT_URL, r->url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "tel/" TEL_VERSION) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, x) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HEADERDATA, x) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, r->connect_ms) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, r->total_ms) != CURLE_OK)
		return -1;
	if (r->no_proxy &&
	    curl_easy_setopt(c, CURLOPT_NOPROXY, "*") != CURLE_OK)
		return -1;
	if (set_limits(x) == -1)
		return -1;
	return set_method(x);
}

/*
 * A file body must hold its range before anything is sent: a server
 * may answer before reading it all, and a short file would go unseen.
 */
static int
body_fits(const struct http_body *b, char *err, size_t errsz)
{
	struct stat st;

	if (b->kind != HTTP_BODY_FD)
		return 0;
	if (fstat(b->fd, &st) == -1) {
		snprintf(err, errsz, "reading the request body: %s",
		    strerror(errno));
		return -1;
	}
	if (b->off < 0 || (uint64_t)st.st_size < (uint64_t)b->off ||
	    (uint64_t)st.st_size - (uint64_t)b->off < b->len) {
		snprintf(err, errsz, "reading the request body: file too short");
		return -1;
	}
	return 0;
}

/* With curl non-NULL, a kept handle reset for this request. */
static int
xfer_init(struct xfer *x, CURL *curl, const struct http_req *r,
    struct http_resp *resp, char *err, size_t errsz)
{
	memset(x, 0, sizeof(*x));
	memset(resp, 0, sizeof(*resp));
	x->req = r;
	x->resp = resp;
	x->max = r->max_body ? r->max_body : HTTP_MAX_BODY;
	if (r->body.kind == HTTP_BODY_MEM && r->body.mem == NULL && r->body.len) {
		snprintf(err, errsz, "request body missing");
		return -1;
	}
	if (body_fits(&r->body, err, errsz) == -1)
		return -1;
	if (http_init(err, errsz) == -1)
		return -1;
	if ((r->nkeep > 0 && (resp->headers = calloc(r->nkeep,
	    sizeof(*resp->headers))) == NULL) ||
	    (x->curl = curl != NULL ? curl : curl_easy_init()) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	if (set_headers(x, err, errsz) == -1)
		return -1;
	if (set_options(x) == -1) {
		snprintf(err, errsz, "cannot set up a curl request");
		return -1;
	}
	return 0;
}

/* The outcome of a finished transfer: a status and a body, or why not. */
static int
xfer_done(struct xfer *x, CURLcode rc, char *err, size_t errsz)
{
	struct http_resp *r = x->resp;

	if (rc != CURLE_OK) {
		if (x->stopped)
			snprintf(err, errsz, "interrupted");
		else if (x->too_big)
			snprintf(err, errsz, "response body over %zu bytes", x->max);
		else if (x->read_errno != 0)
			snprintf(err, errsz, "reading the request body: %s",
			    x->read_errno == EIO ? "file too short" :
			    strerror(x->read_errno));
		else
			snprintf(err, errsz, "%s", x->errbuf[0] ? x->errbuf :
			    curl_easy_strerror(rc));
		return -1;
	}
	if (curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &r->status) !=
	    CURLE_OK || (r->body == NULL && (r->body = calloc(1, 1)) == NULL)) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	return 0;
}

struct http_conn {
	CURL	*curl;
};

struct http_conn *
http_conn_new(void)
{
	char err[64];

	if (http_init(err, sizeof(err)) == -1)
		return NULL;
	return calloc(1, sizeof(struct http_conn));
}

void
http_conn_free(struct http_conn *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	free(c);
}

/*
 * One request on a kept handle (conn) or a fresh one.  A kept handle is
 * reset, which drops the last request's options but keeps its open
 * connections, DNS and TLS session caches.
 */
static int
perform(struct http_conn *conn, const struct http_req *r,
    struct http_resp *resp, char *err, size_t errsz)
{
	struct xfer x;
	CURL *kept = NULL;
	int rc = -1;

	if (conn != NULL && conn->curl != NULL) {
		curl_easy_reset(conn->curl);
		kept = conn->curl;
	}
	rc = xfer_init(&x, kept, r, resp, err, errsz);
	if (conn != NULL && x.curl != NULL)
		conn->curl = x.curl;
	if (rc == -1)
		goto out;
	rc = -1;
	if (xfer_done(&x, curl_easy_perform(x.curl), err, errsz) == -1)
		goto out;
	rc = 0;
out:
	/* the handle must not keep pointers into this request */
	if (x.curl != NULL && conn != NULL)
		curl_easy_reset(x.curl);
	else if (x.curl != NULL)
		curl_easy_cleanup(x.curl);
	slist_free(x.hdrs);
	if (rc == -1)
		http_resp_free(resp);
	return rc;
}

int
http_do(const struct http_req *r, struct http_resp *resp, char *err,
    size_t errsz)
{
	return perform(NULL, r, resp, err, errsz);
}

int
http_conn_do(struct http_conn *conn, const struct http_req *r,
    struct http_resp *resp, char *err, size_t errsz)
{
	return perform(conn, r, resp, err, errsz);
}

const char *
http_resp_header(const struct http_resp *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

void
http_resp_free(struct http_resp *r)
{
	kept_clear(r);
	free(r->headers);
	wipe_free(r->body, r->len);
	memset(r, 0, sizeof(*r));
}

int
http_url_host(const char *url, char *scheme, size_t ssz, char *host,
    size_t hsz)
{
	CURLU *u;
	char *s = NULL, *h = NULL, *p;
	size_t n;
	int rc = -1;

	if ((u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &s, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK)
		goto out;
	p = h;
	n = strlen(p);
	if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {	/* IPv6 literal */
		p++;
		n -= 2;
	}
	if (strlen(s) >= ssz || n >= hsz)
		goto out;
	snprintf(scheme, ssz, "%s", s);
	snprintf(host, hsz, "%.*s", (int)n, p);
	for (p = host; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	rc = 0;
out:
	curl_free(s);
	curl_free(h);
	curl_url_cleanup(u);
	return rc;
}

/*
 * The endpoint's scheme and host[:port] as curl will send it in Host:
 * lowercase, the scheme's default port left out.
 */
int
http_endpoint(const char *url, char *scheme, size_t ssz, char *host,
    size_t hsz)
{
	const char *a = strstr(url, "://"), *end;
	size_t n, i;

	if (a == NULL || (size_t)(a - url) >= ssz)
		goto bad;
	snprintf(scheme, ssz, "%.*s", (int)(a - url), url);
	for (i = 0; scheme[i] != '\0'; i++)
		scheme[i] = (char)tolower((unsigned char)scheme[i]);
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		goto bad;
	a += 3;
	end = a + strcspn(a, "/?#");
	if (strcmp(end, "") != 0 && strcmp(end, "/") != 0)
		goto bad;
	if ((n = (size_t)(end - a)) == 0 || n >= hsz || memchr(a, '@', n))
		goto bad;
	for (i = 0; i < n; i++)
		host[i] = (char)tolower((unsigned char)a[i]);
	host[n] = '\0';
	if ((strcmp(scheme, "https") == 0 && n > 4 &&
	    strcmp(host + n - 4, ":443") == 0) ||
	    (strcmp(scheme, "http") == 0 && n > 3 &&
	    strcmp(host + n - 3, ":80") == 0))
		*strrchr(host, ':') = '\0';
	return 0;
bad:
	return -1;
}
