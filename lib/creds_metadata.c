/*
 * The metadata endpoints (creds.h, 4 and 5): container credentials and
 * EC2 instance metadata (IMDSv2), both over plain http as a rule, both
 * failing fast.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "creds.h"
#include "creds_impl.h"
#include "diag.h"
#include "http.h"
#include "number.h"
#include "sigv4.h"

#define META_CONNECT_MS	1000L		/* metadata: fail fast */
#define IMDS_TOTAL_MS	1000L
#define ECS_TOTAL_MS	2000L
#define IMDS_TOKEN_TTL	"21600"
#define ECS_HOST	"http://169.254.170.2"

/* AWS_METADATA_SERVICE_TIMEOUT (seconds, as the SDKs read it) or def. */
static long
meta_timeout(long def)
{
	const char *s = creds_env("AWS_METADATA_SERVICE_TIMEOUT"), *e;
	long long v;

	if (s == NULL)
		return def;
	v = tel_strtonum(s, 1, 3600, &e);
	return e == NULL ? (long)v * 1000 : def;
}

/* Plain http is for loopback and the ECS/EKS agents' link-local hosts. */
static int
local_host(const char *h)
{
	struct in_addr a;

	if (strcmp(h, "localhost") == 0 || strcmp(h, "::1") == 0 ||
	    strcmp(h, "169.254.170.2") == 0 || strcmp(h, "169.254.170.23") == 0 ||
	    strcmp(h, "fd00:ec2::23") == 0)
		return 1;
	return inet_pton(AF_INET, h, &a) == 1 && ntohl(a.s_addr) >> 24 == 127;
}

int
aws_container_url(char *url, size_t n, char *err, size_t errsz)
{
	const char *rel = creds_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = creds_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	char scheme[16], host[256];
	int r;

	if (rel != NULL) {
		if (rel[0] != '/')
			return creds_fail(err, errsz,
			    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI does not "
			    "start with '/'");
		r = snprintf(url, n, "%s%s", ECS_HOST, rel);
	} else if (full != NULL) {
		if (http_url_host(full, scheme, sizeof(scheme), host,
		    sizeof(host)) == -1)
			return creds_fail(err, errsz,
			    "AWS_CONTAINER_CREDENTIALS_FULL_URI is not an "
			    "http(s) URL");
		if (strcmp(scheme, "https") != 0 &&
		    !(strcmp(scheme, "http") == 0 && local_host(host)))
			return creds_fail(err, errsz,
			    "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http "
			    "only to a loopback address, 169.254.170.2 or "
			    "169.254.170.23");
		r = snprintf(url, n, "%s", full);
	} else
		return 0;
	if (r < 0 || (size_t)r >= n)
		return creds_fail(err, errsz, "the container credentials URI "
		    "is too long");
	return 1;
}

/* The Authorization value: the token file's content, else the variable. */
static int
container_auth(char **tok, char *err, size_t errsz)
{
	const char *file = creds_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *v = creds_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	char *buf = NULL;
	size_t len = 0;
	int r;

	*tok = NULL;
	if (file != NULL) {
		if ((r = creds_read_file(file, &buf, &len, err, errsz)) != 1)
			return r == 0 ? creds_fail(err, errsz, "container "
			    "credentials: token file %s: not found", file) : -1;
		creds_rtrim(buf, len);
		v = buf;
	}
	if (v != NULL && (*tok = strdup(v)) == NULL)
		r = creds_nomem(err, errsz);
	else if (*tok != NULL && strpbrk(*tok, "\r\n") != NULL)
		r = creds_fail(err, errsz, "container credentials: the "
		    "authorization token holds a line break");
	else
		r = 0;
	creds_buf_free(buf, len);
	if (r == -1) {
		creds_secret_free(*tok);
		*tok = NULL;
	}
	return r;
}

/*
 * The URL as a message shows it: without its query, which may hold a
 * token, and without user information; control bytes made printable.
 */
static const char *
shown_url(const char *url, char *buf, size_t n)
{
	const char *host = strstr(url, "://"), *at;
	size_t scheme = host ? (size_t)(host + 3 - url) : 0, len;

	host = url + scheme;
	len = strcspn(host, "/?#");
	if ((at = memchr(host, '@', len)) != NULL)
		host = at + 1;	/* user:password@ */
	snprintf(buf, n, "%.*s%.*s", (int)scheme, url,
	    (int)strcspn(host, "?#"), host);
	tel_printable(buf);
	return buf;
}

int
creds_source_container(struct aws_creds *c, int64_t now, char *err,
    size_t errsz)
{
	struct http_header h = { "Authorization", NULL };
	struct http_req req = { .method = "GET", .total_ms =
	    meta_timeout(ECS_TOTAL_MS) };
	struct http_resp resp;
	char url[4096], *tok = NULL, why[256], shown[512];
	int r, rc = -1;

	if ((r = aws_container_url(url, sizeof(url), err, errsz)) != 1)
		return r;
	if (container_auth(&tok, err, errsz) == -1)
		return -1;
	req.url = url;
	req.no_proxy = strncmp(url, "http:", 5) == 0;
	req.connect_ms = req.total_ms < META_CONNECT_MS ? req.total_ms :
	    META_CONNECT_MS;
	if ((h.value = tok) != NULL) {
		req.headers = &h;
		req.nheaders = 1;
	}
	if (http_do(&req, &resp, why, sizeof(why)) == -1)
		creds_fail(err, errsz, "container credentials (%s): %s",
		    shown_url(url, shown, sizeof(shown)), why);
	else {
		rc = resp.status == 200 ? creds_json(c, resp.body, resp.len, 0,
		    "container", now, err, errsz) : creds_fail(err, errsz,
		    "container credentials (%s): HTTP %ld",
		    shown_url(url, shown, sizeof(shown)), resp.status);
		http_resp_free(&resp);
	}
	creds_secret_free(tok);
	return rc;
}

#define IMDS_ROLES	"/latest/meta-data/iam/security-credentials/"

int
creds_imds_disabled(void)
{
	const char *v = creds_env("AWS_EC2_METADATA_DISABLED");

	return v != NULL && strcasecmp(v, "true") == 0;
}

static int
imds_base(char *out, size_t n)
{
	const char *e = creds_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = creds_env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	size_t len;
	int r;

	if (e == NULL)
		e = mode != NULL && strcasecmp(mode, "IPv6") == 0 ?
		    "http://[fd00:ec2::254]" : "http://169.254.169.254";
	for (len = strlen(e); len > 0 && e[len - 1] == '/'; len--)
		;
	r = snprintf(out, n, "%.*s", (int)len, e);
	return r >= 0 && (size_t)r < n ? 0 : -1;
}

/* One metadata request with header h; anything but a 200 is an error. */
static int
imds_request(const char *base, const char *method, const char *path,
    const char *what, const struct http_header *h, struct http_resp *resp,
    char *err, size_t errsz)
{
	struct http_req req = { .method = method, .headers = h, .nheaders = 1,
	    .total_ms = meta_timeout(IMDS_TOTAL_MS), .max_body = 64 * 1024,
	    .no_proxy = 1 };
	char url[4400], why[256];

	snprintf(url, sizeof(url), "%s%s", base, path);
	req.url = url;
	req.connect_ms = req.total_ms < META_CONNECT_MS ? req.total_ms :
	    META_CONNECT_MS;
	if (http_do(&req, resp, why, sizeof(why)) == -1)
		return creds_fail(err, errsz, "instance metadata at %s: %s",
		    base, why);
	if (resp->status != 200) {
		creds_fail(err, errsz, "instance metadata at %s: %s: "
		    "HTTP %ld%s", base, what, resp->status,
		    resp->status == 404 && strcmp(path, IMDS_ROLES) == 0 ?
		    " (no IAM role attached to the instance?)" : "");
		http_resp_free(resp);
		return -1;
	}
	return 0;
}

/* The first line of a 200 reply to GET path (or PUT, for the token). */
static char *
imds_line(const char *base, const char *method, const char *path,
    const char *what, const struct http_header *h, char *err, size_t errsz)
{
	struct http_resp resp;
	char *s;

	if (imds_request(base, method, path, what, h, &resp, err, errsz) == -1)
		return NULL;
	s = strndup(resp.body, strcspn(resp.body, "\r\n"));
	http_resp_free(&resp);
	if (s == NULL)
		creds_nomem(err, errsz);
	else if (*s == '\0') {
		creds_fail(err, errsz, "instance metadata at %s: empty %s",
		    base, what);
		free(s);
		s = NULL;
	}
	return s;
}

/* IMDSv2: a session token, the role's name, the role's credentials. */
int
creds_source_imds(struct aws_creds *c, int64_t now, char *err, size_t errsz)
{
	struct http_header h = { "X-aws-ec2-metadata-token-ttl-seconds",
	    IMDS_TOKEN_TTL };
	struct http_resp resp;
	char base[4096], path[4400], *tok, *role = NULL, *enc = NULL;
	int rc = -1;

	if (imds_base(base, sizeof(base)) == -1)
		return creds_fail(err, errsz,
		    "AWS_EC2_METADATA_SERVICE_ENDPOINT is too long");
	if ((tok = imds_line(base, "PUT", "/latest/api/token", "session token",
	    &h, err, errsz)) == NULL)
		return -1;
	h = (struct http_header){ "X-aws-ec2-metadata-token", tok };
	if ((role = imds_line(base, "GET", IMDS_ROLES, "role name", &h, err,
	    errsz)) == NULL)
		goto out;
	if ((enc = sigv4_uri_encode(role, 0)) == NULL) {
		creds_nomem(err, errsz);
		goto out;
	}
	snprintf(path, sizeof(path), "%s%s", IMDS_ROLES, enc);
	if (imds_request(base, "GET", path, "role credentials", &h, &resp, err,
	    errsz) == -1)
		goto out;
	rc = creds_json(c, resp.body, resp.len, 0, "imds", now, err, errsz);
	http_resp_free(&resp);
out:
	creds_secret_free(tok);
	free(role);
	free(enc);
	return rc;
}
