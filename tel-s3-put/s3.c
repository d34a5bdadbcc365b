/* S3 requests: addressing, signing, retries.  See s3.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "diag.h"
#include "s3.h"
#include "xml.h"

#define MAX_HEADERS	16
#define BACKOFF_BASE_MS	100
#define BACKOFF_CAP_MS	20000
#define CONNECT_MS	10000

enum verdict { V_RETRY, V_SKEW, V_CREDS, V_FATAL };

/* A name AWS serves as bucket.s3.region.amazonaws.com: no dots either. */
static int
dns_bucket(const char *b)
{
	size_t n = strlen(b), i;

	if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)b[i]) && !isdigit((unsigned char)b[i]) &&
		    b[i] != '-')
			return 0;
	return 1;
}

static int
setup_address(struct s3 *s, char *err, size_t errsz)
{
	char scheme[16], host[400], ep[512];
	const char *url = s->o.endpoint;
	size_t hl;
	int virt;

	if (url == NULL) {
		snprintf(ep, sizeof(ep), "https://s3.%s.amazonaws.com", s->region);
		url = ep;
	}
	if (http_endpoint(url, scheme, sizeof(scheme), host, sizeof(host)) ==
	    -1) {
		snprintf(err, errsz, "--endpoint %s: not http(s)://HOST[:PORT]",
		    url);
		return -1;
	}
	hl = strlen(host);
	virt = !s->o.path_style && dns_bucket(s->o.bucket) && hl > 14 &&
	    strcmp(host + hl - 14, ".amazonaws.com") == 0;
	snprintf(s->host, sizeof(s->host), "%s%s%s", virt ? s->o.bucket : "",
	    virt ? "." : "", host);
	snprintf(s->base, sizeof(s->base), "%s://%s", scheme, s->host);
	if (asprintf(&s->prefix, "%s%s", virt ? "" : "/",
	    virt ? "" : s->o.bucket) == -1) {
		s->prefix = NULL;
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	return 0;
}

int
s3_init(struct s3 *s, const struct s3_opts *o, char *err, size_t errsz)
{
	struct aws_creds cr;

	memset(s, 0, sizeof(*s));
	s->o = *o;
	if (aws_region(o->region, o->profile, s->region, sizeof(s->region)) ==
	    -1) {
		if (o->region != NULL || o->endpoint == NULL) {
			snprintf(err, errsz, "no region: use --region or "
			    "AWS_REGION");
			return -1;
		}
		/* an S3-compatible store: any region name it accepts */
		snprintf(s->region, sizeof(s->region), "us-east-1");
	}
	s->co.profile = o->profile;
	s->co.region = s->region;
	if (setup_address(s, err, errsz) == -1)
		return -1;
	if (tel_prng_seed_random(&s->rng) == -1)
		tel_prng_seed(&s->rng, (uint64_t)tel_now_ms());
	if ((s->conn = http_conn_new()) == NULL) {
		snprintf(err, errsz, "cannot set up HTTP");
		return -1;
	}
	/* credentials now: a job without any fails at once, saying why */
	if ((s->cc = aws_creds_cache_new(&s->co, err, errsz)) == NULL)
		return -1;
	memset(&cr, 0, sizeof(cr));
	if (aws_creds_get(s->cc, tel_now_ms(), &cr, err, errsz) == -1)
		return -1;
	aws_creds_free(&cr);
	s->own_cc = 1;
	return 0;
}

int
s3_init_worker(struct s3 *s, const struct s3 *parent, char *err,
    size_t errsz)
{
	memset(s, 0, sizeof(*s));
	s->o = parent->o;
	s->co = parent->co;
	s->co.region = s->region;
	memcpy(s->region, parent->region, sizeof(s->region));
	memcpy(s->host, parent->host, sizeof(s->host));
	memcpy(s->base, parent->base, sizeof(s->base));
	s->cc = parent->cc;
	s->skew_ms = parent->skew_ms;
	if (tel_prng_seed_random(&s->rng) == -1)
		tel_prng_seed(&s->rng, (uint64_t)tel_now_ms() ^ (uintptr_t)s);
	if ((s->prefix = strdup(parent->prefix)) == NULL ||
	    (s->conn = http_conn_new()) == NULL) {
		snprintf(err, errsz, "cannot set up HTTP");
		return -1;
	}
	return 0;
}

void
s3_free(struct s3 *s)
{
	if (s->cc != NULL && s->own_cc)
		aws_creds_cache_free(s->cc);
	http_conn_free(s->conn);
	free(s->prefix);
	s->cc = NULL;
	s->conn = NULL;
	s->prefix = NULL;
}

void
s3_reply_free(struct s3_reply *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

void
s3_reply_describe(const struct s3_reply *r, char *buf, size_t n)
{
	if (r->status == 0)
		snprintf(buf, n, "%s", r->why[0] ? r->why : "no response");
	else
		snprintf(buf, n, "%s: %s (HTTP %ld, request id %s)", r->code,
		    r->message[0] ? r->message : "no message", r->status,
		    r->request_id[0] ? r->request_id : "none");
}

/* Path (raw, for signing) and URL (encoded once, as signed) of a call. */
static int
make_url(const struct s3 *s, const struct s3_call *c, char **path,
    char **url)
{
	char *enc = NULL, *q = NULL;
	int rc = -1;

	*path = *url = NULL;
	if (asprintf(path, "%s/%s", s->prefix, c->key ? c->key : "") == -1) {
		*path = NULL;
		return -1;
	}
	if ((enc = sigv4_uri_encode(*path, 1)) == NULL ||
	    (q = sigv4_canonical_query(c->query, c->nquery)) == NULL)
		goto out;
	if (asprintf(url, "%s%s%s%s", s->base, enc, *q ? "?" : "", q) == -1) {
		*url = NULL;
		goto out;
	}
	rc = 0;
out:
	free(enc);
	free(q);
	return rc;
}

/* The headers of one attempt, signed at now_ms; auth is malloc'd. */
static int
sign(struct s3 *s, const struct s3_call *c, const char *path,
    const struct aws_creds *cr, int64_t now_ms, struct http_header *h,
    size_t *nh, char amzdate[17], char **auth)
{
	struct sigv4_param p[MAX_HEADERS + 3];
	struct sigv4_creds sc = { cr->akid, cr->secret, cr->token };
	struct sigv4_req rq = { .method = c->method, .host = s->host,
	    .path = path, .query = c->query, .nquery = c->nquery,
	    .headers = p, .payload_hash = c->sha256 };
	size_t i, n = 0;

	sigv4_amzdate(now_ms, amzdate);
	for (i = 0; i < c->nheaders && i < MAX_HEADERS; i++) {
		p[n].name = c->headers[i].name;
		p[n++].value = c->headers[i].value;
	}
	p[n].name = "x-amz-content-sha256";
	p[n++].value = c->sha256;
	p[n].name = "x-amz-date";
	p[n++].value = amzdate;
	if (cr->token != NULL) {
		p[n].name = "x-amz-security-token";
		p[n++].value = cr->token;
	}
	rq.nheaders = n;
	if ((*auth = sigv4_authorization(&rq, &sc, s->region, "s3",
	    now_ms)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		h[i].name = p[i].name;
		h[i].value = p[i].value;
	}
	h[n].name = "authorization";
	h[n++].value = *auth;
	*nh = n;
	return 0;
}

/*
 * What a reply says goes to a terminal: no control bytes, and no secret
 * a hostile or careless server echoes back.
 */
static void
tame(struct s3_reply *r, const struct aws_creds *cr)
{
	char *f[] = { r->code, r->message, r->request_id, r->etag,
	    r->version_id };
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		tel_printable(f[i]);
		tel_redact(f[i], cr->token);
		tel_redact(f[i], cr->secret);
	}
}

/* Fills r from a response: status, ids, and the error if there is one. */
static int
take_response(struct s3_reply *r, struct http_resp *hr)
{
	const char *v;

	r->status = hr->status;
	r->code[0] = r->message[0] = r->etag[0] = r->version_id[0] = '\0';
	if ((v = http_resp_header(hr, "x-amz-request-id")) != NULL)
		snprintf(r->request_id, sizeof(r->request_id), "%s", v);
	if ((v = http_resp_header(hr, "etag")) != NULL)
		snprintf(r->etag, sizeof(r->etag), "%s", v);
	if ((v = http_resp_header(hr, "x-amz-version-id")) != NULL)
		snprintf(r->version_id, sizeof(r->version_id), "%s", v);
	free(r->body);
	r->body = hr->body;
	r->len = hr->len;
	hr->body = NULL;	/* S3 replies carry no secrets: no wiping */
	if (r->status / 100 == 2 && !xml_is_error(r->body, r->len))
		return 0;
	if (!xml_text(r->body, r->len, "Code", r->code, sizeof(r->code)))
		snprintf(r->code, sizeof(r->code), "HTTP%ld", r->status);
	xml_text(r->body, r->len, "Message", r->message, sizeof(r->message));
	if (xml_text(r->body, r->len, "RequestId", r->request_id,
	    sizeof(r->request_id)) == 0 &&
	    (v = http_resp_header(hr, "x-amz-request-id")) != NULL)
		snprintf(r->request_id, sizeof(r->request_id), "%s", v);
	return -1;
}

/* Server time from a Date header, as ms since the epoch; -1 if none. */
static int64_t
http_date_ms(const char *v)
{
	struct tm tm;
	const char *end;

	if (v == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm)) == NULL ||
	    *end != '\0')
		return -1;
	return (int64_t)timegm(&tm) * 1000;
}

static enum verdict
classify(const struct s3_reply *r)
{
	static const char *const transient[] = { "SlowDown", "RequestTimeout",
	    "InternalError", "ServiceUnavailable", "Throttling",
	    "ThrottlingException", "RequestLimitExceeded",
	    "OperationAborted", "XMinioServerNotInitialized" };
	size_t i;

	if (r->status == 0)
		return strcmp(r->why, "interrupted") == 0 ? V_FATAL : V_RETRY;
	if (strcmp(r->code, "RequestTimeTooSkewed") == 0)
		return V_SKEW;
	if (strcmp(r->code, "ExpiredToken") == 0 ||
	    strcmp(r->code, "TokenRefreshRequired") == 0)
		return V_CREDS;
	for (i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
		if (strcmp(r->code, transient[i]) == 0)
			return V_RETRY;
	return r->status >= 500 || r->status == 429 ? V_RETRY : V_FATAL;
}

/* Reports one attempt at -v: method, object, outcome, time. */
static void
trace(const struct s3 *s, const struct s3_call *c, const struct s3_reply *r,
    int64_t t0)
{
	size_t i;

	if (!s->o.verbose)
		return;
	/* one line, whole: -j workers trace at once (t4002 saw them mixed) */
	flockfile(stderr);
	fprintf(stderr, "tel-s3-put: %s s3://%s/%s", c->method, s->o.bucket,
	    c->key ? c->key : "");
	for (i = 0; i < c->nquery; i++)
		fprintf(stderr, "%c%s%s%s", i ? '&' : '?', c->query[i].name,
		    c->query[i].value ? "=" : "",
		    c->query[i].value ? c->query[i].value : "");
	if (r->status != 0)
		fprintf(stderr, ": %ld%s%s", r->status, r->code[0] ? " " : "",
		    r->code);
	else
		fprintf(stderr, ": %s", r->why);
	fprintf(stderr, " (%lld ms)\n", (long long)(tel_mono_ms() - t0));
	funlockfile(stderr);
}

/* One signed attempt: 0 done, -1 failed (see r), -2 failed for good. */
static int
attempt(struct s3 *s, const struct s3_call *c, const char *path,
    const char *url, struct s3_reply *r)
{
	static const char *const keep[] = { "etag", "x-amz-version-id",
	    "x-amz-request-id", "date" };
	struct http_header h[MAX_HEADERS + 4];
	struct http_req hq = { .method = c->method, .url = url, .headers = h,
	    .body = c->body, .connect_ms = CONNECT_MS, .stall_s = s->o.stall_s,
	    .keep = keep, .nkeep = 4, .stop = c->no_stop ? NULL : s->stop };
	struct http_resp hr;
	struct aws_creds cr;
	char amzdate[17], *auth = NULL;
	int64_t t0 = tel_mono_ms(), d;
	int rc = -2;

	memset(&cr, 0, sizeof(cr));
	r->status = 0;
	if (c->deadline > 0 && (hq.total_ms = (long)(c->deadline - t0)) <= 0)
		hq.total_ms = 1;
	if (aws_creds_get(s->cc, tel_now_ms(), &cr, r->why, sizeof(r->why)) ==
	    -1)
		goto out;
	if (sign(s, c, path, &cr, tel_now_ms() + s->skew_ms, h, &hq.nheaders,
	    amzdate, &auth) == -1) {
		snprintf(r->why, sizeof(r->why), "cannot sign the request");
		goto out;
	}
	rc = -1;
	if (http_conn_do(s->conn, &hq, &hr, r->why, sizeof(r->why)) == -1)
		goto out;
	rc = take_response(r, &hr);
	tame(r, &cr);
	if (rc == -1 && strcmp(r->code, "RequestTimeTooSkewed") == 0 &&
	    (d = http_date_ms(http_resp_header(&hr, "date"))) > 0)
		s->skew_ms = d - tel_now_ms();
	http_resp_free(&hr);
out:
	trace(s, c, r, t0);
	free(auth);
	aws_creds_free(&cr);
	return rc;
}

/* Sleeps for a backoff with full jitter; -1 if past the deadline or stopped. */
static int
backoff(struct s3 *s, const struct s3_call *c, const struct s3_reply *r,
    unsigned max)
{
	uint64_t cap = BACKOFF_BASE_MS << (r->attempts < 16 ? r->attempts : 16);
	int64_t delay, until;
	struct timespec ts = { 0, 50 * 1000000L };
	char why[512];

	if (cap > BACKOFF_CAP_MS)
		cap = BACKOFF_CAP_MS;
	delay = (int64_t)tel_prng_below(&s->rng, cap) + 1;
	until = tel_mono_ms() + delay;
	if (c->deadline > 0 && until >= c->deadline)
		return -1;
	if (!s->o.quiet) {
		s3_reply_describe(r, why, sizeof(why));
		tel_warnx("s3://%s/%s: %s; retrying in %lld ms (attempt %u of %u)",
		    s->o.bucket, c->key ? c->key : "", why, (long long)delay,
		    r->attempts + 1, max);
	}
	while (tel_mono_ms() < until) {
		if (!c->no_stop && s->stop != NULL && *s->stop)
			return -1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Starts the credential chain afresh: the token it gave has expired. */
static int
refresh(struct s3 *s, struct s3_reply *r)
{
	struct aws_creds_cache *cc;

	if ((cc = aws_creds_cache_new(&s->co, r->why, sizeof(r->why))) ==
	    NULL)
		return -1;
	if (s->own_cc)
		aws_creds_cache_free(s->cc);
	s->cc = cc;	/* a worker's own from now on: the shared one may be in use */
	s->own_cc = 1;
	return 0;
}

int
s3_do(struct s3 *s, const struct s3_call *c, struct s3_reply *r)
{
	unsigned max = s->o.max_attempts ? s->o.max_attempts : 5;
	int skewed = 0, refreshed = 0, rc = -1, a;
	char *path = NULL, *url = NULL;
	enum verdict v;

	s3_reply_free(r);
	if (make_url(s, c, &path, &url) == -1) {
		snprintf(r->why, sizeof(r->why), "out of memory");
		goto out;
	}
	for (r->attempts = 1;; r->attempts++) {
		if ((a = attempt(s, c, path, url, r)) == 0) {
			rc = 0;
			break;
		}
		if (a == -2 || (v = classify(r)) == V_FATAL ||
		    r->attempts >= max)
			break;
		if (v == V_SKEW && !skewed) {
			skewed = 1;	/* signed again with the server's time */
			continue;
		}
		if (v == V_CREDS) {
			if (refreshed++ || refresh(s, r) == -1)
				break;
			continue;
		}
		if (backoff(s, c, r, max) == -1)
			break;
	}
out:
	free(path);
	free(url);
	return rc;
}
