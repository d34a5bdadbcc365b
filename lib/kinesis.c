/* The Kinesis Data Streams JSON API: see kinesis.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "diag.h"
#include "kinesis.h"
#include "sigv4.h"

#define TARGET_PREFIX	"Kinesis_20131202."
#define CONTENT_TYPE	"application/x-amz-json-1.1"
#define CONNECT_MS	10000
#define TIMEOUT_MS	30000
#define BACKOFF_BASE_MS	100
#define BACKOFF_CAP_MS	10000

/* The endpoint: option, AWS's per-service and global variables, else AWS. */
static int
setup_address(struct kinesis *k, char *err, size_t errsz)
{
	char scheme[16], def[512];
	const char *url = k->o.endpoint;

	if (url == NULL || *url == '\0')
		url = getenv("AWS_ENDPOINT_URL_KINESIS");
	if (url == NULL || *url == '\0')
		url = getenv("AWS_ENDPOINT_URL");
	if (url == NULL || *url == '\0') {
		snprintf(def, sizeof(def), "https://kinesis.%s.amazonaws.com",
		    k->region);
		url = def;
	}
	if (http_endpoint(url, scheme, sizeof(scheme), k->host,
	    sizeof(k->host)) == -1) {
		/* not echoed: a user:password@ in it would be printed */
		snprintf(err, errsz, "endpoint: not http(s)://HOST[:PORT] "
		    "(no user, path or query)");
		return -1;
	}
	snprintf(k->url, sizeof(k->url), "%s://%s/", scheme, k->host);
	return 0;
}

int
kinesis_init(struct kinesis *k, const struct kinesis_opts *o, char *err,
    size_t errsz)
{
	struct aws_creds cr;
	int explicit = o->endpoint != NULL ||
	    getenv("AWS_ENDPOINT_URL_KINESIS") != NULL ||
	    getenv("AWS_ENDPOINT_URL") != NULL;

	memset(k, 0, sizeof(*k));
	k->o = *o;
	if (k->o.timeout_ms <= 0)
		k->o.timeout_ms = TIMEOUT_MS;
	if (aws_region(o->region, o->profile, k->region, sizeof(k->region)) ==
	    -1) {
		if (o->region != NULL || !explicit) {
			snprintf(err, errsz, "no region: use --region or "
			    "AWS_REGION");
			return -1;
		}
		/* a local server (kinesalite): any region it accepts */
		snprintf(k->region, sizeof(k->region), "us-east-1");
	}
	if (setup_address(k, err, errsz) == -1)
		return -1;
	k->co.profile = o->profile;
	k->co.region = k->region;
	if ((k->cc = aws_creds_cache_new(&k->co, err, errsz)) == NULL)
		return -1;
	memset(&cr, 0, sizeof(cr));
	if (aws_creds_get(k->cc, tel_now_ms(), &cr, err, errsz) == -1) {
		kinesis_free(k);
		return -1;
	}
	aws_creds_free(&cr);
	return 0;
}

void
kinesis_free(struct kinesis *k)
{
	if (k->cc != NULL)
		aws_creds_cache_free(k->cc);
	k->cc = NULL;
}

int
kinesis_conn_init(struct kinesis_conn *c, struct kinesis *k)
{
	memset(c, 0, sizeof(*c));
	c->k = k;
	if (tel_prng_seed_random(&c->rng) == -1)
		tel_prng_seed(&c->rng, (uint64_t)tel_now_ms() ^ (uintptr_t)c);
	if ((c->http = http_conn_new()) == NULL)
		return -1;
	return 0;
}

void
kinesis_conn_free(struct kinesis_conn *c)
{
	http_conn_free(c->http);
	c->http = NULL;
}

int
kinesis_sign(const char *host, const char *region, const char *op,
    const void *body, size_t len, const struct aws_creds *cr, int64_t now_ms,
    struct kinesis_signed *s)
{
	struct sigv4_param p[4];
	struct sigv4_creds sc = { cr->akid, cr->secret, cr->token };
	struct sigv4_req rq = { .method = "POST", .host = host, .path = "/",
	    .headers = p };
	char hash[65];
	size_t i, n = 0;

	memset(s, 0, sizeof(*s));
	if (sigv4_sha256_hex(body, len, hash) == -1)
		return -1;
	rq.payload_hash = hash;
	sigv4_amzdate(now_ms, s->amzdate);
	snprintf(s->target, sizeof(s->target), TARGET_PREFIX "%s", op);
	p[n].name = "content-type";
	p[n++].value = CONTENT_TYPE;
	p[n].name = "x-amz-date";
	p[n++].value = s->amzdate;
	if (cr->token != NULL) {
		p[n].name = "x-amz-security-token";
		p[n++].value = cr->token;
	}
	p[n].name = "x-amz-target";
	p[n++].value = s->target;
	rq.nheaders = n;
	if ((s->auth = sigv4_authorization(&rq, &sc, region, "kinesis",
	    now_ms)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		s->h[i].name = p[i].name;
		s->h[i].value = p[i].value;
	}
	s->h[n].name = "authorization";
	s->h[n++].value = s->auth;
	s->n = n;
	return 0;
}

const char *
kinesis_str(const json_t *o, const char *name)
{
	const json_t *v = json_object_get(o, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The error kind, short: "com.amazon.coral...#Name:..." gives "Name". */
static void
error_type(struct kinesis_reply *r, const char *t)
{
	const char *h;

	if (t == NULL || *t == '\0') {
		snprintf(r->type, sizeof(r->type), "HTTP%ld", r->status);
		return;
	}
	if ((h = strrchr(t, '#')) != NULL)
		t = h + 1;
	snprintf(r->type, sizeof(r->type), "%.*s", (int)strcspn(t, ":"), t);
}

/* The kinds that mean "later": throttling, the service's own trouble. */
static enum kinesis_verdict
classify(const struct kinesis_reply *r)
{
	static const char *const later[] = {
		"ProvisionedThroughputExceededException",
		"LimitExceededException", "KMSThrottlingException",
		"ThrottlingException", "InternalFailure", "InternalFailureException",
		"ServiceUnavailable", "ServiceUnavailableException",
		"ExpiredTokenException", "RequestExpired",
	};
	size_t i;

	for (i = 0; i < sizeof(later) / sizeof(later[0]); i++)
		if (strcmp(r->type, later[i]) == 0)
			return KINESIS_RETRY;
	return r->status >= 500 || r->status == 429 ? KINESIS_RETRY :
	    KINESIS_FAIL;
}

/* Fills r from an answer; its text is tamed: no control bytes, no secret. */
static void
take_reply(struct kinesis_reply *r, struct http_resp *hr,
    const struct aws_creds *cr)
{
	json_t *j;
	const char *v;

	r->status = hr->status;
	if ((v = http_resp_header(hr, "x-amzn-requestid")) != NULL)
		snprintf(r->request_id, sizeof(r->request_id), "%s", v);
	/* CreateStream and the retention calls answer 200 with no body */
	if (r->status / 100 == 2 && hr->len == 0) {
		r->json = json_object();
		r->verdict = r->json != NULL ? KINESIS_OK : KINESIS_RETRY;
		return;
	}
	j = json_loadb(hr->body ? hr->body : "", hr->len, 0, NULL);
	if (r->status / 100 == 2 && json_is_object(j)) {
		r->json = j;
		r->verdict = KINESIS_OK;
		return;
	}
	if (r->status / 100 == 2) {
		snprintf(r->type, sizeof(r->type), "InvalidReply");
		snprintf(r->message, sizeof(r->message), "a reply that is not "
		    "a JSON object");
	} else {
		v = kinesis_str(j, "__type");
		error_type(r, v ? v : http_resp_header(hr, "x-amzn-errortype"));
		if ((v = kinesis_str(j, "message")) != NULL ||
		    (v = kinesis_str(j, "Message")) != NULL)
			snprintf(r->message, sizeof(r->message), "%s", v);
	}
	json_decref(j);
	tel_printable(r->type);
	tel_printable(r->message);
	tel_printable(r->request_id);
	tel_redact(r->message, cr->token);
	tel_redact(r->message, cr->secret);
	r->verdict = r->status / 100 == 2 ? KINESIS_RETRY : classify(r);
}

/* -vv: one line per attempt, whole (threads trace at once). */
static void
trace(const struct kinesis_conn *c, const char *op,
    const struct kinesis_reply *r, size_t len, int64_t t0)
{
	if (!c->k->o.trace)
		return;
	if (r->status == 0)
		tel_warnx("%s %zu bytes: no answer: %s (%lld ms)", op, len,
		    r->message, (long long)(tel_mono_ms() - t0));
	else
		tel_warnx("%s %zu bytes: HTTP %ld %s (%lld ms)", op, len,
		    r->status, r->type[0] ? r->type : "OK",
		    (long long)(tel_mono_ms() - t0));
}

/* Server time from a Date header: signing again with it cures a skew. */
static void
learn_skew(struct kinesis *k, const struct http_resp *hr)
{
	const char *v = http_resp_header(hr, "date");
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if (v == NULL || (end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT",
	    &tm)) == NULL || *end != '\0')
		return;
	atomic_store(&k->skew_ms, (int64_t)timegm(&tm) * 1000 - tel_now_ms());
}

/* The attempt itself, with credentials in hand. */
static void
send_signed(struct kinesis_conn *c, const char *op, const char *body,
    size_t len, const struct aws_creds *cr, struct kinesis_reply *r)
{
	static const char *const keep[] = { "x-amzn-requestid",
	    "x-amzn-errortype", "date" };
	struct kinesis *k = c->k;
	struct kinesis_signed s;
	struct http_req hq = { .method = "POST", .url = k->url,
	    .body = { HTTP_BODY_MEM, body, -1, 0, len },
	    .connect_ms = CONNECT_MS, .total_ms = k->o.timeout_ms,
	    .max_body = KINESIS_REPLY_MAX, .keep = keep, .nkeep = 3,
	    .stop = k->o.stop };
	struct http_resp hr;
	char why[256];

	if (kinesis_sign(k->host, k->region, op, body, len, cr,
	    tel_now_ms() + atomic_load(&k->skew_ms), &s) == -1) {
		free(s.auth);
		snprintf(r->type, sizeof(r->type), "NoMemory");
		snprintf(r->message, sizeof(r->message), "cannot sign");
		r->verdict = KINESIS_FAIL;
		return;
	}
	hq.headers = s.h;
	hq.nheaders = s.n;
	if (http_conn_do(c->http, &hq, &hr, why, sizeof(why)) == -1) {
		snprintf(r->message, sizeof(r->message), "%s", why);
		r->verdict = k->o.stop != NULL && *k->o.stop ? KINESIS_FAIL :
		    KINESIS_RETRY;
	} else {
		take_reply(r, &hr, cr);
		if (strcmp(r->type, "InvalidSignatureException") == 0 &&
		    strstr(r->message, "expired") != NULL) {
			learn_skew(k, &hr);	/* our clock is off: again */
			r->verdict = KINESIS_RETRY;
		}
		http_resp_free(&hr);
	}
	free(s.auth);
}

enum kinesis_verdict
kinesis_call(struct kinesis_conn *c, const char *op, const char *body,
    size_t len, struct kinesis_reply *r)
{
	struct aws_creds cr;
	int64_t t0 = tel_mono_ms();
	unsigned attempts = r->attempts;

	kinesis_reply_free(r);
	r->attempts = attempts;
	memset(&cr, 0, sizeof(cr));
	if (aws_creds_get(c->k->cc, tel_now_ms(), &cr, r->message,
	    sizeof(r->message)) == -1) {
		snprintf(r->type, sizeof(r->type), "NoCredentials");
		r->verdict = KINESIS_RETRY;	/* a metadata hiccup passes */
		goto out;
	}
	send_signed(c, op, body, len, &cr, r);
out:
	trace(c, op, r, len, t0);
	aws_creds_free(&cr);
	return r->verdict;
}

int64_t
kinesis_backoff_ms(struct kinesis_conn *c, unsigned n, int64_t base,
    int64_t cap)
{
	uint64_t top = (uint64_t)base << (n < 20 ? n : 20);

	if (top > (uint64_t)cap)
		top = (uint64_t)cap;
	return (int64_t)tel_prng_below(&c->rng, top) + 1;
}

int
kinesis_sleep(const struct kinesis *k, int64_t ms)
{
	int64_t until = tel_mono_ms() + ms, left;
	struct timespec ts;

	while ((left = until - tel_mono_ms()) > 0) {
		if (k->o.stop != NULL && *k->o.stop)
			return -1;
		if (left > 50)
			left = 50;	/* a signal is seen within 50 ms */
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000L;
		nanosleep(&ts, NULL);
	}
	return k->o.stop != NULL && *k->o.stop ? -1 : 0;
}

enum kinesis_verdict
kinesis_do(struct kinesis_conn *c, const char *op, const char *body,
    size_t len, unsigned max, struct kinesis_reply *r)
{
	char why[512];
	int64_t d;

	if (max == 0)
		max = 10;
	for (r->attempts = 1;; r->attempts++) {
		if (kinesis_call(c, op, body, len, r) != KINESIS_RETRY ||
		    r->attempts >= max)
			return r->verdict;
		d = kinesis_backoff_ms(c, r->attempts, BACKOFF_BASE_MS,
		    BACKOFF_CAP_MS);
		if (c->k->o.trace) {
			kinesis_reply_describe(r, why, sizeof(why));
			tel_warnx("%s: %s; retrying in %lld ms", op, why,
			    (long long)d);
		}
		if (kinesis_sleep(c->k, d) == -1)
			return r->verdict = KINESIS_FAIL;
	}
}

void
kinesis_reply_describe(const struct kinesis_reply *r, char *buf, size_t n)
{
	if (r->status == 0)
		snprintf(buf, n, "%s%s%s", r->type[0] ? r->type : "",
		    r->type[0] ? ": " : "",
		    r->message[0] ? r->message : "no response");
	else
		snprintf(buf, n, "%s: %s (HTTP %ld, request id %s)", r->type,
		    r->message[0] ? r->message : "no message", r->status,
		    r->request_id[0] ? r->request_id : "none");
}

void
kinesis_reply_free(struct kinesis_reply *r)
{
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

int
kinesis_getopt(struct kinesis_opts *o, int ch, const char *arg,
    tel_usage_fn usage)
{
	size_t n;

	switch (ch) {
	case KINESIS_OPT_ENDPOINT:
		if (strncmp(arg, "http://", 7) != 0 &&
		    strncmp(arg, "https://", 8) != 0)
			tel_bad_option("--endpoint", arg, "not http:// or "
			    "https://", usage);
		o->endpoint = arg;
		return 1;
	case KINESIS_OPT_PROFILE:
		if (*arg == '\0')
			tel_bad_option("--profile", arg, "empty", usage);
		o->profile = arg;
		return 1;
	case KINESIS_OPT_REGION:
		n = strlen(arg);
		if (n == 0 || n > 32 ||
		    strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
			tel_bad_option("--region", arg, "not a region name",
			    usage);
		o->region = arg;
		return 1;
	default:
		return 0;
	}
}

const char *
kinesis_stream_option(const char *opt, const char *s, tel_usage_fn usage)
{
	size_t n = strlen(s);

	if (n == 0 || n > KINESIS_STREAM_NAME_MAX ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-") != n)
		tel_bad_option(opt, s, "not 1 to 128 of [a-zA-Z0-9_.-]", usage);
	return s;
}
