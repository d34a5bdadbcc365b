/*
 * The AWS credential chain and its cache: see creds.h.  The sources
 * have files of their own (creds_file.c, creds_sts.c, creds_metadata.c,
 * creds_process.c); what they share is here, declared in creds_impl.h.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creds.h"
#include "creds_impl.h"
#include "diag.h"
#include "jsonscan.h"
#include "rfc3339.h"

#define FILE_MAX	(1024 * 1024)	/* shared files and token files */

int
creds_fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	/* it may quote a server, a file or a variable: nothing raw */
	tel_printable(err);
	return -1;
}

int
creds_nomem(char *err, size_t errsz)
{
	return creds_fail(err, errsz, "out of memory");
}

/* A set, non-empty environment variable, or NULL. */
const char *
creds_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

void
creds_secret_free(char *p)
{
	if (p != NULL) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}

void
creds_buf_free(char *p, size_t n)
{
	if (p != NULL) {
		explicit_bzero(p, n);
		free(p);
	}
}

void
aws_creds_free(struct aws_creds *c)
{
	creds_secret_free(c->akid);
	creds_secret_free(c->secret);
	creds_secret_free(c->token);
	memset(c, 0, sizeof(*c));
}

int
aws_creds_copy(struct aws_creds *to, const struct aws_creds *from)
{
	*to = *from;
	to->akid = to->secret = to->token = NULL;
	if ((from->akid != NULL && (to->akid = strdup(from->akid)) == NULL) ||
	    (from->secret != NULL &&
	    (to->secret = strdup(from->secret)) == NULL) ||
	    (from->token != NULL && (to->token = strdup(from->token)) == NULL)) {
		aws_creds_free(to);
		return -1;
	}
	return 0;
}

/* The key id goes into signatures' scope and the token into a header. */
static const char *
creds_check(const char *akid, const char *secret, const char *token)
{
	const char *p;

	if (*akid == '\0' || *secret == '\0')
		return "empty access key id or secret key";
	if (strlen(akid) > 128)
		return "access key id too long";
	for (p = akid; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '/')
			return "access key id with a space, '/' or a control byte";
	for (p = token ? token : ""; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return "session token with a control byte";
	return NULL;
}

/* Fills c with copies; an empty token is none.  Returns 1. */
int
creds_fill(struct aws_creds *c, const char *akid, const char *secret,
    const char *token, int64_t expiry, const char *source, char *err,
    size_t errsz)
{
	const char *why;

	memset(c, 0, sizeof(*c));
	if (token != NULL && *token == '\0')
		token = NULL;
	if ((why = creds_check(akid, secret, token)) != NULL)
		return creds_fail(err, errsz, "%s: %s", source, why);
	if ((c->akid = strdup(akid)) == NULL ||
	    (c->secret = strdup(secret)) == NULL ||
	    (token != NULL && (c->token = strdup(token)) == NULL)) {
		aws_creds_free(c);
		return creds_nomem(err, errsz);
	}
	c->expiry_ms = expiry;
	snprintf(c->source, sizeof(c->source), "%s", source);
	return 1;
}

/* Drops trailing whitespace, such as the newline after a token. */
size_t
creds_rtrim(char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return n;
}

/*
 * Reads a whole file of at most FILE_MAX bytes, NUL-terminated, into
 * *buf (freed with creds_buf_free).  Returns 1, 0 if it does not exist, -1.
 */
int
creds_read_file(const char *path, char **buf, size_t *len, char *err,
    size_t errsz)
{
	char *b;
	size_t n = 0;
	ssize_t r;
	int fd;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return creds_fail(err, errsz, "%s: %s", path, strerror(errno));
	}
	if ((b = malloc(FILE_MAX + 1)) == NULL) {
		close(fd);
		return creds_nomem(err, errsz);
	}
	while ((r = read(fd, b + n, FILE_MAX + 1 - n)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 || (n += (size_t)r) > FILE_MAX) {
			creds_fail(err, errsz, "%s: %s", path, r == -1 ?
			    strerror(errno) : "larger than 1 MiB");
			close(fd);
			creds_buf_free(b, FILE_MAX + 1);
			return -1;
		}
	}
	close(fd);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 1;
}

/* How much of s[0..n) prints as it is, at most max: for server text. */
int
creds_clean_len(const char *s, size_t n, size_t max)
{
	size_t i;

	for (i = 0; i < n && i < max; i++)
		if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] >= 0x7f)
			break;
	return (int)i;
}

int
creds_parse_expiry(const char *s, size_t n, int64_t now, int64_t *ms,
    const char *src, char *err, size_t errsz)
{
	const char *why;

	if (tel_rfc3339_parse(s, n, ms, &why) == -1)
		return creds_fail(err, errsz, "%s: Expiration: %s", src, why);
	if (*ms <= now)
		return creds_fail(err, errsz, "%s: the credentials expired at "
		    "%.*s", src, creds_clean_len(s, n, 40), s);
	return 0;
}

/* A JSON string member, unescaped; -1 out of memory. */
static int
json_str(const struct json_member *m, char **out)
{
	size_t n;

	*out = NULL;
	if (m->type != JS_STRING)
		return 0;
	if ((*out = malloc(m->len + 1)) == NULL)
		return -1;
	if (m->escaped)
		n = json_unescape(m->val, m->len, *out);
	else {
		memcpy(*out, m->val, m->len);
		n = m->len;
	}
	(*out)[n] = '\0';
	return 0;
}

enum { J_AKID, J_SECRET, J_TOKEN, J_EXPIRY, J_VERSION, J_CODE, J_N };

/* The shape a reply must have: credential_process's or a metadata one. */
static int
json_shape(const struct json_member *m, int process, const char *src,
    char *err, size_t errsz)
{
	const struct json_member *v = &m[J_VERSION], *code = &m[J_CODE];

	if (process && (v->type != JS_NUMBER || v->len != 1 || *v->val != '1'))
		return creds_fail(err, errsz, "%s: Version is not 1", src);
	if (!process && code->type == JS_STRING && !(code->len == 7 &&
	    memcmp(code->val, "Success", 7) == 0))
		return creds_fail(err, errsz, "%s: Code %.*s", src,
		    creds_clean_len(code->val, code->len, 64), code->val);
	if (m[J_AKID].type != JS_STRING || m[J_SECRET].type != JS_STRING)
		return creds_fail(err, errsz, "%s: no AccessKeyId or "
		    "SecretAccessKey", src);
	if (m[J_EXPIRY].type != JS_STRING && m[J_EXPIRY].type != JS_NONE)
		return creds_fail(err, errsz, "%s: Expiration is not a string",
		    src);
	return 0;
}

/* Credentials from credential_process output or a metadata reply. */
int
creds_json(struct aws_creds *c, const char *buf, size_t len, int process,
    const char *src, int64_t now, char *err, size_t errsz)
{
	struct json_member m[J_N] = {
		{ .key = "AccessKeyId", .keylen = 11 },
		{ .key = "SecretAccessKey", .keylen = 15 },
		{ .key = process ? "SessionToken" : "Token",
		    .keylen = process ? 12 : 5 },
		{ .key = "Expiration", .keylen = 10 },
		{ .key = "Version", .keylen = 7 },
		{ .key = "Code", .keylen = 4 },
	};
	struct json_error je;
	char *v[3] = { NULL, NULL, NULL };
	int64_t expiry = 0;
	int rc = -1, i;

	if (json_scan(buf, len, m, J_N, &je) != JS_OBJECT)
		return creds_fail(err, errsz, "%s: the reply is not a JSON "
		    "object", src);
	if (json_shape(m, process, src, err, errsz) == -1 ||
	    (m[J_EXPIRY].type == JS_STRING &&
	    creds_parse_expiry(m[J_EXPIRY].val, m[J_EXPIRY].len, now, &expiry,
	    src, err, errsz) == -1))
		return -1;
	for (i = 0; i < 3; i++)
		if (json_str(&m[i], &v[i]) == -1) {
			creds_nomem(err, errsz);
			goto out;
		}
	rc = creds_fill(c, v[J_AKID], v[J_SECRET], v[J_TOKEN], expiry, src,
	    err, errsz);
out:
	for (i = 0; i < 3; i++)
		creds_secret_free(v[i]);
	return rc;
}

static int
source_env(struct aws_creds *c, char *err, size_t errsz)
{
	const char *a = creds_env("AWS_ACCESS_KEY_ID");
	const char *s = creds_env("AWS_SECRET_ACCESS_KEY");

	if (a == NULL && s == NULL)
		return 0;
	if (a == NULL || s == NULL)
		return creds_fail(err, errsz, "env: %s is set but %s is not",
		    a ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    a ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	return creds_fill(c, a, s, creds_env("AWS_SESSION_TOKEN"), 0, "env",
	    err, errsz);
}

int
aws_creds_load(struct aws_creds *c, const struct aws_creds_opts *o,
    int64_t now, char *err, size_t errsz)
{
	static const struct aws_creds_opts none;
	char why[512];
	int r;

	memset(c, 0, sizeof(*c));
	if (o == NULL)
		o = &none;
	if ((r = source_env(c, err, errsz)) != 0 ||
	    (r = creds_source_profile(c, o, now, err, errsz)) != 0 ||
	    (r = creds_source_web_identity(c, o, now, err, errsz)) != 0 ||
	    (r = creds_source_container(c, now, err, errsz)) != 0)
		return r == 1 ? 0 : -1;
	if (creds_imds_disabled())
		return creds_fail(err, errsz, "no AWS credentials in the "
		    "environment, shared files, web identity or container "
		    "settings, and instance metadata is disabled");
	if ((r = creds_source_imds(c, now, why, sizeof(why))) == 1)
		return 0;
	return creds_fail(err, errsz, "no AWS credentials in the environment, "
	    "shared files, web identity or container settings; %s", why);
}

struct aws_creds_cache {
	pthread_mutex_t		 mu;
	struct aws_creds	 cur;		/* akid NULL: none yet */
	int64_t			 retry_ms;	/* no refresh before */
	char			*profile, *region;
	struct aws_creds_opts	 opts;		/* pointing at the two */
};

enum aws_creds_state
aws_creds_state(const struct aws_creds *c, int64_t now)
{
	if (c->akid == NULL)
		return AWS_CREDS_EXPIRED;
	if (c->expiry_ms == 0 || c->expiry_ms - now > AWS_CREDS_REFRESH_MS)
		return AWS_CREDS_FRESH;
	if (c->expiry_ms - now > AWS_CREDS_MIN_MS)
		return AWS_CREDS_STALE;
	return AWS_CREDS_EXPIRED;
}

struct aws_creds_cache *
aws_creds_cache_new(const struct aws_creds_opts *o, char *err, size_t errsz)
{
	struct aws_creds_cache *k = calloc(1, sizeof(*k));

	if (k == NULL) {
		creds_nomem(err, errsz);
		return NULL;
	}
	if ((o != NULL && o->profile != NULL &&
	    (k->profile = strdup(o->profile)) == NULL) ||
	    (o != NULL && o->region != NULL &&
	    (k->region = strdup(o->region)) == NULL) ||
	    pthread_mutex_init(&k->mu, NULL) != 0) {
		free(k->profile);
		free(k->region);
		free(k);
		creds_nomem(err, errsz);
		return NULL;
	}
	k->opts.profile = k->profile;
	k->opts.region = k->region;
	return k;
}

/*
 * Refreshes the cached credentials if their state asks for it, with the
 * lock held.  A failed refresh keeps stale ones and waits before the
 * next try, as does one that brought back no fresh ones (short-lived
 * credentials) so that every call does not ask the endpoint again.
 */
static int
cache_refresh(struct aws_creds_cache *k, int64_t now, char *err,
    size_t errsz)
{
	enum aws_creds_state s = aws_creds_state(&k->cur, now);
	struct aws_creds fresh;

	if (s == AWS_CREDS_FRESH || (s == AWS_CREDS_STALE && now < k->retry_ms))
		return 0;
	if (aws_creds_load(&fresh, &k->opts, now, err, errsz) == -1) {
		k->retry_ms = now + AWS_CREDS_RETRY_MS;
		return s == AWS_CREDS_STALE ? 0 : -1;
	}
	aws_creds_free(&k->cur);
	k->cur = fresh;
	k->retry_ms = aws_creds_state(&fresh, now) == AWS_CREDS_FRESH ? 0 :
	    now + AWS_CREDS_RETRY_MS;
	return 0;
}

int
aws_creds_get(struct aws_creds_cache *k, int64_t now, struct aws_creds *out,
    char *err, size_t errsz)
{
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (pthread_mutex_lock(&k->mu) != 0)
		return creds_fail(err, errsz, "cannot lock the credentials "
		    "cache");
	if (cache_refresh(k, now, err, errsz) == 0) {
		if (aws_creds_copy(out, &k->cur) == -1)
			creds_nomem(err, errsz);
		else
			rc = 0;
	}
	if (pthread_mutex_unlock(&k->mu) != 0 && rc == 0) {
		aws_creds_free(out);
		rc = creds_fail(err, errsz, "cannot unlock the credentials "
		    "cache");
	}
	return rc;
}

void
aws_creds_cache_free(struct aws_creds_cache *k)
{
	if (k == NULL)
		return;
	aws_creds_free(&k->cur);
	pthread_mutex_destroy(&k->mu);
	free(k->profile);
	free(k->region);
	free(k);
}
