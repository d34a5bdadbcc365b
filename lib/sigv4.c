/* AWS Signature Version 4: see sigv4.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base64.h"
#include "rfc3339.h"
#include "sigv4.h"

/* A growing string; a failed append poisons it, checked once at the end. */
struct sb {
	char	*p;
	size_t	 len, cap;
	int	 failed;
};

static void
sb_add(struct sb *b, const char *s, size_t n)
{
	char *np;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;

		if ((np = realloc(b->p, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* Appends the strings one per line, without a newline after the last. */
static void
sb_lines(struct sb *b, const char *const *lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_add(b, "\n", 1);
		sb_str(b, lines[i]);
	}
}

/* The string, or NULL (and nothing leaked) if an append failed. */
static char *
sb_done(struct sb *b)
{
	if (b->failed || b->p == NULL) {
		free(b->p);
		return b->failed ? NULL : strdup("");
	}
	return b->p;
}

void
sigv4_amzdate(int64_t ms, char *out)
{
	struct tel_civil c;

	tel_civil_from_ms(ms, &c);
	snprintf(out, 17, "%04d%02d%02dT%02d%02d%02dZ", c.year, c.month, c.day,
	    c.hour, c.min, c.sec);
}

char *
sigv4_uri_encode(const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	struct sb b = { 0 };
	char esc[3];

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
		    (keep_slash && c == '/'))
			sb_add(&b, s, 1);
		else {
			esc[0] = '%';
			esc[1] = hex[c >> 4];
			esc[2] = hex[c & 15];
			sb_add(&b, esc, 3);
		}
	}
	return sb_done(&b);
}

struct pair {
	char	*name, *value;
};

static int
pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

char *
sigv4_canonical_query(const struct sigv4_param *q, size_t n)
{
	struct pair *p = calloc(n + 1, sizeof(*p));
	struct sb b = { 0 };
	size_t i;

	if (p == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		p[i].name = sigv4_uri_encode(q[i].name, 0);
		p[i].value = sigv4_uri_encode(q[i].value ? q[i].value : "", 0);
		if (p[i].name == NULL || p[i].value == NULL)
			b.failed = 1;
	}
	if (!b.failed)
		qsort(p, n, sizeof(*p), pair_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_str(&b, "&");
		if (!b.failed) {
			sb_str(&b, p[i].name);
			sb_str(&b, "=");
			sb_str(&b, p[i].value);
		}
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
	return sb_done(&b);
}

/* Lowercase name; value trimmed, inner runs of spaces made one. */
static struct pair
header_pair(const char *name, const char *value)
{
	struct pair p = { strdup(name), malloc(strlen(value) + 1) };
	char *o = p.value, *s;

	if (p.name == NULL || p.value == NULL)
		return p;
	for (s = p.name; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
	while (*value == ' ' || *value == '\t')
		value++;
	for (; *value != '\0'; value++) {
		if ((*value == ' ' || *value == '\t') &&
		    (value[1] == ' ' || value[1] == '\t' || value[1] == '\0'))
			continue;
		*o++ = *value == '\t' ? ' ' : *value;
	}
	*o = '\0';
	return p;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pair *)a)->name,
	    ((const struct pair *)b)->name);
}

char *
sigv4_canonical_headers(const struct sigv4_req *r, char **signed_headers)
{
	size_t n = r->nheaders + 1, i;
	struct pair *p = calloc(n, sizeof(*p));
	struct sb b = { 0 }, s = { 0 };

	*signed_headers = NULL;
	if (p == NULL)
		return NULL;
	p[0] = header_pair("host", r->host);
	for (i = 1; i < n; i++)
		p[i] = header_pair(r->headers[i - 1].name, r->headers[i - 1].value);
	for (i = 0; i < n; i++)
		b.failed |= p[i].name == NULL || p[i].value == NULL;
	if (!b.failed)	/* stable for equal names: their values join in order */
		for (i = 1; i < n; i++) {
			size_t j = i;

			while (j > 0 && name_cmp(&p[j - 1], &p[j]) > 0) {
				struct pair t = p[j];

				p[j] = p[j - 1];
				p[--j] = t;
			}
		}
	for (i = 0; i < n && !b.failed; i++) {
		if (i > 0 && strcmp(p[i].name, p[i - 1].name) == 0) {
			b.len--;	/* "name:v1,v2\n" */
			sb_str(&b, ",");
		} else {
			if (i > 0)
				sb_str(&s, ";");
			sb_str(&s, p[i].name);
			sb_str(&b, p[i].name);
			sb_str(&b, ":");
		}
		sb_str(&b, p[i].value);
		sb_str(&b, "\n");
	}
	for (i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
	if ((*signed_headers = sb_done(&s)) == NULL) {
		free(sb_done(&b));
		return NULL;
	}
	return sb_done(&b);
}

char *
sigv4_canonical_request(const struct sigv4_req *r, const char *query,
    char **signed_headers)
{
	char *path = sigv4_uri_encode(*r->path ? r->path : "/", 1);
	char *headers = sigv4_canonical_headers(r, signed_headers);
	struct sb b = { 0 };

	if (path == NULL || headers == NULL)
		b.failed = 1;
	else {
		/* the headers end in a newline: a blank line follows them */
		const char *const lines[] = { r->method, path, query, headers,
		    *signed_headers, r->payload_hash };

		sb_lines(&b, lines, 6);
	}
	free(path);
	free(headers);
	return sb_done(&b);
}

int
sigv4_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len;

	if (EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32)
		return -1;
	hex_encode(md, 32, out);
	return 0;
}

char *
sigv4_string_to_sign(const char *amzdate, const char *scope, const char *creq)
{
	char hash[65];
	const char *const lines[] = { "AWS4-HMAC-SHA256", amzdate, scope, hash };
	struct sb b = { 0 };

	if (sigv4_sha256_hex(creq, strlen(creq), hash) == -1)
		return NULL;
	sb_lines(&b, lines, 4);
	return sb_done(&b);
}

static int
hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int len = 0;

	if (HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
	    strlen(msg), out, &len) == NULL || len != 32)
		return -1;
	return 0;
}

int
sigv4_signing_key(const char *secret, const char *date8, const char *region,
    const char *service, unsigned char key[32])
{
	size_t n = strlen(secret) + 5;
	char *k = malloc(n);
	unsigned char a[32], b[32];
	int rc = -1;

	if (k == NULL)
		return -1;
	snprintf(k, n, "AWS4%s", secret);
	if (hmac(k, n - 1, date8, a) == -1 || hmac(a, 32, region, b) == -1 ||
	    hmac(b, 32, service, a) == -1 || hmac(a, 32, "aws4_request", key) == -1)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(k, n);
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	free(k);
	return rc;
}

int
sigv4_signature(const unsigned char key[32], const char *sts, char hex[65])
{
	unsigned char sig[32];

	if (hmac(key, 32, sts, sig) == -1)
		return -1;
	hex_encode(sig, 32, hex);
	return 0;
}

/* The scope and signature of a canonical request; sig[65]. */
static int
sign(const char *creq, const struct sigv4_creds *c, const char *region,
    const char *service, const char *amzdate, char *scope, size_t slen,
    char sig[65])
{
	unsigned char key[32];
	char date8[9], *sts = NULL;
	int rc = -1;

	memcpy(date8, amzdate, 8);
	date8[8] = '\0';
	snprintf(scope, slen, "%s/%s/%s/aws4_request", date8, region, service);
	if ((sts = sigv4_string_to_sign(amzdate, scope, creq)) == NULL ||
	    sigv4_signing_key(c->secret, date8, region, service, key) == -1 ||
	    sigv4_signature(key, sts, sig) == -1)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	free(sts);
	return rc;
}

char *
sigv4_authorization(const struct sigv4_req *r, const struct sigv4_creds *c,
    const char *region, const char *service, int64_t ms)
{
	char amzdate[17], scope[256], sig[65], *query, *creq = NULL;
	char *signed_headers = NULL, *out = NULL;

	sigv4_amzdate(ms, amzdate);
	if ((query = sigv4_canonical_query(r->query, r->nquery)) == NULL ||
	    (creq = sigv4_canonical_request(r, query, &signed_headers)) == NULL ||
	    sign(creq, c, region, service, amzdate, scope, sizeof(scope),
	    sig) == -1)
		goto out;
	if (asprintf(&out, "AWS4-HMAC-SHA256 Credential=%s/%s,SignedHeaders=%s,"
	    "Signature=%s", c->akid, scope, signed_headers, sig) == -1)
		out = NULL;
out:
	free(query);
	free(creq);
	free(signed_headers);
	return out;
}

char *
sigv4_presign(const struct sigv4_req *r, const struct sigv4_creds *c,
    const char *region, const char *service, int64_t ms, unsigned expires)
{
	struct sigv4_param *q = calloc(r->nquery + 6, sizeof(*q));
	char amzdate[17], scope[256], cred[512], exp[16], sig[65];
	char *query = NULL, *creq = NULL, *signed_headers = NULL, *out = NULL;
	char *sh = NULL, *list = NULL;
	size_t n = r->nquery;

	if (q == NULL)
		return NULL;
	sigv4_amzdate(ms, amzdate);
	if (n > 0)
		memcpy(q, r->query, n * sizeof(*q));
	/* the signed header list is part of what is signed */
	if ((sh = sigv4_canonical_headers(r, &list)) == NULL)
		goto out;
	snprintf(cred, sizeof(cred), "%s/%.8s/%s/%s/aws4_request", c->akid,
	    amzdate, region, service);
	snprintf(exp, sizeof(exp), "%u", expires);
	q[n++] = (struct sigv4_param){ "X-Amz-Algorithm", "AWS4-HMAC-SHA256" };
	q[n++] = (struct sigv4_param){ "X-Amz-Credential", cred };
	q[n++] = (struct sigv4_param){ "X-Amz-Date", amzdate };
	q[n++] = (struct sigv4_param){ "X-Amz-Expires", exp };
	q[n++] = (struct sigv4_param){ "X-Amz-SignedHeaders", list };
	if (c->token != NULL)
		q[n++] = (struct sigv4_param){ "X-Amz-Security-Token", c->token };
	if ((query = sigv4_canonical_query(q, n)) == NULL ||
	    (creq = sigv4_canonical_request(r, query, &signed_headers)) == NULL ||
	    sign(creq, c, region, service, amzdate, scope, sizeof(scope),
	    sig) == -1)
		goto out;
	if (asprintf(&out, "%s&X-Amz-Signature=%s", query, sig) == -1)
		out = NULL;
out:
	free(q);
	free(sh);
	free(list);
	free(query);
	free(creq);
	free(signed_headers);
	return out;
}
