/* Manifest lines in, result lines out: see manifest.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"
#include "manifest.h"

enum { M_FILE, M_KEY, M_SHA256, M_BYTES, M_N };

/* A string member, unescaped and NUL-free, malloc'd into *out. */
static int
take_string(const struct json_member *m, const char *name, char **out,
    char *err, size_t errsz)
{
	size_t n;

	if (m->type != JS_STRING) {
		snprintf(err, errsz, m->type == JS_NONE ? "no \"%s\"" :
		    "\"%s\" is not a string", name);
		return -1;
	}
	if ((*out = malloc(m->len + 1)) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	n = m->escaped ? json_unescape(m->val, m->len, *out) : m->len;
	if (!m->escaped)
		memcpy(*out, m->val, n);
	(*out)[n] = '\0';
	if (strlen(*out) != n || n == 0) {
		snprintf(err, errsz, "\"%s\" is empty or holds a NUL", name);
		return -1;
	}
	return 0;
}

static int
take_sha256(const struct json_member *m, struct manifest *mf, char *err,
    size_t errsz)
{
	size_t i;

	if (m->type == JS_NONE)
		return 0;
	if (m->type != JS_STRING || m->len != 64 || m->escaped)
		goto bad;
	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)m->val[i]))
			goto bad;
	for (i = 0; i < 64; i++)
		mf->sha256[i] = (char)tolower((unsigned char)m->val[i]);
	mf->sha256[64] = '\0';
	return 0;
bad:
	snprintf(err, errsz, "\"sha256\" is not 64 hex digits");
	return -1;
}

static int
take_bytes(const struct json_member *m, struct manifest *mf, char *err,
    size_t errsz)
{
	int64_t v = 0;
	size_t i;

	if (m->type == JS_NONE)
		return 0;
	if (m->type != JS_NUMBER || m->len > 18)
		goto bad;
	for (i = 0; i < m->len; i++) {
		if (m->val[i] < '0' || m->val[i] > '9')
			goto bad;
		v = v * 10 + (m->val[i] - '0');
	}
	mf->bytes = v;
	return 0;
bad:
	snprintf(err, errsz, "\"bytes\" is not a byte count");
	return -1;
}

int
manifest_parse(const char *p, size_t n, struct manifest *mf, char *err,
    size_t errsz)
{
	struct json_member m[M_N] = {
		{ .key = "file", .keylen = 4 }, { .key = "key", .keylen = 3 },
		{ .key = "sha256", .keylen = 6 }, { .key = "bytes", .keylen = 5 },
	};
	struct json_error je;
	int t;

	memset(mf, 0, sizeof(*mf));
	mf->bytes = -1;
	if ((t = json_scan(p, n, m, M_N, &je)) == -1) {
		snprintf(err, errsz, "not JSON: %s at byte %zu", je.msg,
		    je.offset + 1);
		return -1;
	}
	if (t != JS_OBJECT) {
		snprintf(err, errsz, "not a JSON object");
		return -1;
	}
	while (n > 0 && isspace((unsigned char)*p))
		p++, n--;
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	mf->line = p;
	mf->len = n;
	if (take_string(&m[M_FILE], "file", &mf->file, err, errsz) == -1 ||
	    take_string(&m[M_KEY], "key", &mf->key, err, errsz) == -1 ||
	    key_check(mf->key, err, errsz) == -1 ||
	    take_sha256(&m[M_SHA256], mf, err, errsz) == -1 ||
	    take_bytes(&m[M_BYTES], mf, err, errsz) == -1) {
		manifest_free(mf);
		return -1;
	}
	return 0;
}

void
manifest_free(struct manifest *mf)
{
	free(mf->file);
	free(mf->key);
	mf->file = mf->key = NULL;
}

int
key_check(const char *key, char *err, size_t errsz)
{
	size_t n = strlen(key), i;

	if (n == 0 || n > KEY_MAX) {
		snprintf(err, errsz, "the key must be 1-%d bytes", KEY_MAX);
		return -1;
	}
	if (!json_utf8_valid(key, n)) {
		snprintf(err, errsz, "the key is not UTF-8");
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f) {
			snprintf(err, errsz, "the key holds a control character");
			return -1;
		}
	return 0;
}

/* Appends ,"name":"value" (escaped) at o; returns the bytes written. */
static size_t
put_str(char *o, int first, const char *name, const char *v)
{
	size_t k = (size_t)sprintf(o, "%s\"%s\":", first ? "" : ",", name);

	return k + json_escape(v, strlen(v), o + k);
}

int
manifest_result(const struct manifest *m, const struct result *r,
    char **out, size_t *outlen)
{
	size_t head = m->len - 1, cap, o;	/* up to the closing brace */
	const char *ver = r->version_id != NULL ? r->version_id : "";
	int empty;
	char *p;

	while (head > 0 && isspace((unsigned char)m->line[head - 1]))
		head--;
	empty = head > 0 && m->line[head - 1] == '{';
	cap = head + 6 * (strlen(r->bucket) + strlen(r->etag) +
	    strlen(ver)) + 128;
	if ((p = malloc(cap)) == NULL)
		return -1;
	memcpy(p, m->line, head);
	o = head;
	o += put_str(p + o, empty, "bucket", r->bucket);
	o += put_str(p + o, 0, "etag", r->etag);
	if (*ver != '\0')
		o += put_str(p + o, 0, "version_id", ver);
	o += (size_t)sprintf(p + o, ",\"attempts\":%u,\"ms\":%lld}",
	    r->attempts, (long long)r->ms);
	*out = p;
	*outlen = o;
	return 0;
}

char *
manifest_make(const char *file, const char *key)
{
	size_t fl = strlen(file), kl = strlen(key);
	char *p;
	size_t o;

	if ((p = malloc(6 * (fl + kl) + 32)) == NULL)
		return NULL;
	o = (size_t)sprintf(p, "{\"file\":");
	o += json_escape(file, fl, p + o);
	o += (size_t)sprintf(p + o, ",\"key\":");
	o += json_escape(key, kl, p + o);
	p[o++] = '}';
	p[o] = '\0';
	return p;
}
