/*
 * Web identity (creds.h, 3, and a profile's role_arn): a token file
 * traded for credentials with STS AssumeRoleWithWebIdentity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creds.h"
#include "creds_impl.h"
#include "http.h"
#include "sigv4.h"
#include "xml.h"

#define STS_CONNECT_MS	3000L
#define STS_TOTAL_MS	10000L

/* The credentials in an AssumeRoleWithWebIdentity reply. */
static int
sts_creds(struct aws_creds *c, const struct http_resp *r, const char *src,
    int64_t now, char *err, size_t errsz)
{
	static const char *const tags[] = { "AccessKeyId", "SecretAccessKey",
	    "SessionToken", "Expiration" };
	const char *cs;
	char *v[4] = { NULL, NULL, NULL, NULL };
	size_t cn, off = 0;
	int64_t expiry;
	int rc = -1, i, found;

	if (!xml_next(r->body, r->len, "Credentials", &off, &cs, &cn))
		return creds_fail(err, errsz, "%s: no Credentials in the STS "
		    "reply", src);
	for (i = 0; i < 4; i++)
		if ((found = xml_dup(cs, cn, tags[i], &v[i])) != 1) {
			if (found == 0)
				creds_fail(err, errsz, "%s: no %s in the STS "
				    "reply", src, tags[i]);
			else
				creds_nomem(err, errsz);
			goto out;
		}
	if (creds_parse_expiry(v[3], strlen(v[3]), now, &expiry, src, err,
	    errsz) == 0)
		rc = creds_fill(c, v[0], v[1], v[2], expiry, src, err, errsz);
out:
	for (i = 0; i < 4; i++)
		creds_secret_free(v[i]);
	return rc;
}

/* STS's error Code and Message, unless the message echoes the token. */
static int
sts_error(const struct http_resp *r, const char *tok, const char *src,
    char *err, size_t errsz)
{
	const char *code = "", *msg = "";
	size_t cn = 0, mn = 0, coff = 0, moff = 0;

	xml_next(r->body, r->len, "Code", &coff, &code, &cn);
	xml_next(r->body, r->len, "Message", &moff, &msg, &mn);
	if (memmem(msg, mn, tok, strlen(tok)) != NULL)
		mn = 0;
	return creds_fail(err, errsz, "%s: STS AssumeRoleWithWebIdentity: "
	    "HTTP %ld %.*s%s%.*s", src, r->status,
	    creds_clean_len(code, cn, 64), code, mn ? ": " : "",
	    creds_clean_len(msg, mn, 200), msg);
}

/* AWS_ENDPOINT_URL_STS, else the regional endpoint, else the global one. */
static int
sts_url(const struct aws_creds_opts *o, char *url, size_t n, char *err,
    size_t errsz)
{
	const char *e = creds_env("AWS_ENDPOINT_URL_STS");
	char region[64];
	size_t len;
	int r;

	if (e != NULL) {
		for (len = strlen(e); len > 0 && e[len - 1] == '/'; len--)
			;
		r = snprintf(url, n, "%.*s/", (int)len, e);
	} else if (aws_region(o->region, o->profile, region,
	    sizeof(region)) == 0)
		r = snprintf(url, n, "https://sts.%s.amazonaws.com%s/", region,
		    strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
	else
		r = snprintf(url, n, "https://sts.amazonaws.com/");
	if (r < 0 || (size_t)r >= n)
		return creds_fail(err, errsz, "AWS_ENDPOINT_URL_STS is too "
		    "long");
	return 0;
}

/* The form body of the (unsigned) AssumeRoleWithWebIdentity call. */
static char *
sts_body(const char *role, const char *session, const char *tok)
{
	char *r = sigv4_uri_encode(role, 0), *s = sigv4_uri_encode(session, 0);
	char *t = sigv4_uri_encode(tok, 0), *body = NULL;

	if (r != NULL && s != NULL && t != NULL &&
	    asprintf(&body, "Action=AssumeRoleWithWebIdentity&"
	    "Version=2011-06-15&RoleArn=%s&RoleSessionName=%s&"
	    "WebIdentityToken=%s", r, s, t) == -1)
		body = NULL;
	free(r);
	free(s);
	creds_secret_free(t);
	return body;
}

static int
sts_call(const char *url, const char *body, struct http_resp *resp,
    const char *src, char *err, size_t errsz)
{
	static const struct http_header h[] = {
		{ "Content-Type",
		    "application/x-www-form-urlencoded; charset=utf-8" },
	};
	struct http_req req = { .method = "POST", .url = url, .headers = h,
	    .nheaders = 1, .connect_ms = STS_CONNECT_MS,
	    .total_ms = STS_TOTAL_MS };
	char why[256];

	req.body.kind = HTTP_BODY_MEM;
	req.body.mem = body;
	req.body.len = strlen(body);
	if (http_do(&req, resp, why, sizeof(why)) == -1)
		return creds_fail(err, errsz, "%s: STS at %s: %s", src, url,
		    why);
	return 0;
}

/* Reads the token file afresh and trades it for credentials. */
int
creds_web_identity(struct aws_creds *c, const char *file, const char *role,
    const char *session, const struct aws_creds_opts *o, int64_t now,
    const char *src, char *err, size_t errsz)
{
	struct http_resp resp;
	char *tok = NULL, *body = NULL, url[1024], name[64];
	size_t len = 0;
	int rc = -1, r;

	if ((r = creds_read_file(file, &tok, &len, err, errsz)) != 1) {
		if (r == 0)
			creds_fail(err, errsz, "%s: token file %s: not found",
			    src, file);
		return -1;
	}
	if ((len = creds_rtrim(tok, len)) == 0) {
		creds_fail(err, errsz, "%s: token file %s is empty", src, file);
		goto out;
	}
	if (session == NULL) {
		snprintf(name, sizeof(name), "tel-%lld", (long long)(now / 1000));
		session = name;
	}
	if (sts_url(o, url, sizeof(url), err, errsz) == -1)
		goto out;
	if ((body = sts_body(role, session, tok)) == NULL) {
		creds_nomem(err, errsz);
		goto out;
	}
	if (sts_call(url, body, &resp, src, err, errsz) == -1)
		goto out;
	rc = resp.status == 200 ? sts_creds(c, &resp, src, now, err, errsz) :
	    sts_error(&resp, tok, src, err, errsz);
	http_resp_free(&resp);
out:
	creds_buf_free(tok, len);
	creds_secret_free(body);
	return rc;
}

int
creds_source_web_identity(struct aws_creds *c,
    const struct aws_creds_opts *o, int64_t now, char *err, size_t errsz)
{
	const char *file = creds_env("AWS_WEB_IDENTITY_TOKEN_FILE");
	const char *role = creds_env("AWS_ROLE_ARN");

	if (file == NULL || role == NULL)
		return 0;
	return creds_web_identity(c, file, role,
	    creds_env("AWS_ROLE_SESSION_NAME"), o, now, "web-identity", err,
	    errsz);
}
