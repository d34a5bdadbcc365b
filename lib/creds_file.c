/*
 * The shared config and credentials files (creds.h, 2): their parser,
 * a profile's keys from both, and what those keys make of the profile.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "creds.h"
#include "creds_impl.h"

#define PROFILE_KEYS_MAX 16

/* The shared-file parser's state while it walks the lines. */
struct ini {
	int			 config;	/* [profile NAME] sections */
	const char		*profile;
	struct aws_profile_key	*keys;
	size_t			 nkeys;
	char			**plain;	/* config's [default]: see below */
	int			 in_section;	/* any [...] line seen */
	int			 collect;	/* in a section of the profile */
	int			 to_plain;	/* that section is [default] */
	int			 prefixed;	/* [profile default] seen */
	int			 found;
	int			 have_prop;	/* a property to continue */
	int			 sub;		/* its value began empty */
	char			**cont;		/* the value continued, if wanted */
	const char		*why;		/* what is malformed */
};

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* Trims blanks off both ends of s[0..*n). */
static const char *
trim(const char *s, size_t *n)
{
	while (*n > 0 && is_blank(*s)) {
		s++;
		(*n)--;
	}
	while (*n > 0 && is_blank(s[*n - 1]))
		(*n)--;
	return s;
}

static int
name_ok(const char *s, size_t n, const char *extra)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    (s[i] == '\0' || strchr(extra, s[i]) == NULL))
			return 0;
	return n > 0;
}

static int
ini_section(struct ini *p, const char *s, size_t n)
{
	const char *close = memchr(s, ']', n), *name = s + 1;
	size_t len;

	if (close == NULL) {
		p->why = "a profile definition must end with ']'";
		return -1;
	}
	len = (size_t)(close - name);
	name = trim(name, &len);
	p->in_section = 1;
	p->have_prop = p->collect = p->to_plain = 0;
	p->cont = NULL;
	if (p->config && !(len == 7 && memcmp(name, "default", 7) == 0)) {
		if (len < 8 || memcmp(name, "profile", 7) != 0 ||
		    !is_blank(name[7]))
			return 0;	/* not a profile: [sso-session x]... */
		name += 8;
		len -= 8;
		name = trim(name, &len);
	} else if (p->config)
		p->to_plain = 1;
	if (!name_ok(name, len, "-/.%@_:+") || strlen(p->profile) != len ||
	    memcmp(name, p->profile, len) != 0)
		return 0;
	p->collect = p->found = 1;
	if (p->config && !p->to_plain && strcmp(p->profile, "default") == 0)
		p->prefixed = 1;
	return 0;
}

/* The value: blanks trimmed, a comment after a blank cut off. */
static const char *
ini_value(const char *v, size_t *n)
{
	size_t i;

	v = trim(v, n);
	for (i = 1; i < *n; i++)
		if ((v[i] == '#' || v[i] == ';') && is_blank(v[i - 1])) {
			*n = i;
			break;
		}
	return trim(v, n);
}

static int
ini_property(struct ini *p, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n), *key = s, *v;
	size_t klen, vlen, i;
	char **slot, *val;

	if (!p->in_section) {
		p->why = "expected a profile definition";
		return -1;
	}
	if (eq == NULL) {
		p->why = "expected an '=' sign defining a property";
		return -1;
	}
	klen = (size_t)(eq - s);
	if ((key = trim(key, &klen), klen) == 0) {
		p->why = "a property without a name";
		return -1;
	}
	vlen = n - (size_t)(eq + 1 - s);
	v = ini_value(eq + 1, &vlen);
	p->have_prop = 1;
	p->sub = vlen == 0;
	p->cont = NULL;
	if (!p->collect || !name_ok(key, klen, "-_"))
		return 0;
	for (i = 0; i < p->nkeys; i++)
		if (strlen(p->keys[i].name) == klen &&
		    strncasecmp(p->keys[i].name, key, klen) == 0)
			break;
	if (i == p->nkeys)
		return 0;
	slot = p->to_plain ? &p->plain[i] : &p->keys[i].value;
	if ((val = strndup(v, vlen)) == NULL)
		return -1;
	creds_secret_free(*slot);
	*slot = val;
	p->cont = slot;
	return 0;
}

static int
ini_continuation(struct ini *p, const char *s, size_t n)
{
	const char *eq;
	size_t klen, old;
	char *val;

	if (!p->in_section || !p->have_prop) {
		p->why = p->in_section ? "expected a property definition, "
		    "found a continuation" : "expected a profile definition";
		return -1;
	}
	s = trim(s, &n);
	if (p->sub && (eq = memchr(s, '=', n)) == NULL) {
		p->why = "expected an '=' sign defining a sub-property";
		return -1;
	}
	if (p->sub && (klen = (size_t)(eq - s), trim(s, &klen), klen) == 0) {
		p->why = "a sub-property without a name";
		return -1;
	}
	if (p->cont == NULL)
		return 0;
	old = strlen(*p->cont);
	if ((val = malloc(old + n + 2)) == NULL)
		return -1;
	memcpy(val, *p->cont, old);
	val[old] = '\n';
	memcpy(val + old + 1, s, n);
	val[old + n + 1] = '\0';
	creds_secret_free(*p->cont);
	*p->cont = val;
	return 0;
}

static int
ini_line(struct ini *p, const char *s, size_t n)
{
	size_t i;

	if (memchr(s, '\0', n) != NULL) {	/* text files have none */
		p->why = "a NUL byte";
		return -1;
	}
	for (i = 0; i < n && is_blank(s[i]); i++)
		;
	if (i == n || s[i] == '#' || s[i] == ';')
		return 0;
	if (s[0] == '[')
		return ini_section(p, s, n);
	if (i > 0)
		return ini_continuation(p, s, n);
	return ini_property(p, s, n);
}

/* A config's [profile default] hides its [default]: the SDKs agree. */
static void
ini_finish(struct ini *p)
{
	size_t i;

	for (i = 0; p->plain != NULL && i < p->nkeys; i++) {
		if (!p->prefixed && p->keys[i].value == NULL) {
			p->keys[i].value = p->plain[i];
			p->plain[i] = NULL;
		}
		creds_secret_free(p->plain[i]);
	}
	free(p->plain);
	p->plain = NULL;
}

void
aws_profile_clear(struct aws_profile_key *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		creds_secret_free(k[i].value);
		k[i].value = NULL;
	}
}

int
aws_profile_parse(const char *buf, size_t len, int config,
    const char *profile, struct aws_profile_key *keys, size_t nkeys,
    char *err, size_t errsz)
{
	struct ini p = { .config = config, .profile = profile, .keys = keys,
	    .nkeys = nkeys };
	const char *s = buf, *end = buf + len, *nl;
	size_t n, line = 0;
	int rc = -1;

	for (n = 0; n < nkeys; n++)
		keys[n].value = NULL;
	if (config && strcmp(profile, "default") == 0 && nkeys > 0 &&
	    (p.plain = calloc(nkeys, sizeof(*p.plain))) == NULL)
		return creds_nomem(err, errsz);
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (ini_line(&p, s, n) == -1) {
			creds_fail(err, errsz, "line %zu: %s", line,
			    p.why ? p.why : "out of memory");
			goto out;
		}
		s = nl ? nl + 1 : end;
	}
	rc = p.found;
out:
	ini_finish(&p);
	if (rc == -1)
		aws_profile_clear(keys, nkeys);
	return rc;
}

/* A shared file's path: the variable's, else the default; "~/" expanded. */
static int
shared_path(const char *var, const char *def, char *out, size_t n)
{
	const char *p = creds_env(var), *home = creds_env("HOME");
	int r;

	if (p == NULL)
		p = def;
	if (p[0] == '~' && p[1] == '/') {
		if (home == NULL)
			return 0;	/* cron without HOME: no files */
		r = snprintf(out, n, "%s%s", home, p + 1);
	} else
		r = snprintf(out, n, "%s", p);
	return r >= 0 && (size_t)r < n;
}

/* Parses one shared file, its values overriding those in keys. */
static int
profile_file(const char *path, int config, const char *profile,
    struct aws_profile_key *keys, size_t n, char *err, size_t errsz)
{
	struct aws_profile_key got[PROFILE_KEYS_MAX];
	char *buf, why[256];
	size_t len, i;
	int r;

	if (n > PROFILE_KEYS_MAX)
		return creds_fail(err, errsz, "too many profile keys");
	if ((r = creds_read_file(path, &buf, &len, err, errsz)) != 1)
		return r;
	for (i = 0; i < n; i++)
		got[i].name = keys[i].name;
	r = aws_profile_parse(buf, len, config, profile, got, n, why,
	    sizeof(why));
	creds_buf_free(buf, len);
	if (r == -1)
		return creds_fail(err, errsz, "%s: %s", path, why);
	for (i = 0; i < n; i++)
		if (got[i].value != NULL) {
			creds_secret_free(keys[i].value);
			keys[i].value = got[i].value;
		}
	return r;
}

/* The profile's keys from both files, the credentials file winning. */
static int
profile_lookup(const char *profile, struct aws_profile_key *keys, size_t n,
    char *err, size_t errsz)
{
	char path[4096];
	size_t i;
	int a = 0, b = 0;

	for (i = 0; i < n; i++)
		keys[i].value = NULL;
	if ((shared_path("AWS_CONFIG_FILE", "~/.aws/config", path,
	    sizeof(path)) && (a = profile_file(path, 1, profile, keys, n, err,
	    errsz)) == -1) ||
	    (shared_path("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials",
	    path, sizeof(path)) && (b = profile_file(path, 0, profile, keys, n,
	    err, errsz)) == -1)) {
		aws_profile_clear(keys, n);
		return -1;
	}
	return a || b;
}

/* The profile to use, and whether someone asked for it by name. */
static const char *
profile_name(const char *option, int *named)
{
	const char *p = option != NULL && *option != '\0' ? option :
	    creds_env("AWS_PROFILE");

	*named = p != NULL && strcmp(p, "default") != 0;
	return p != NULL ? p : "default";
}

static int
region_ok(const char *r)
{
	size_t n = strlen(r);

	return n > 0 && n < 64 && r[0] != '-' && r[n - 1] != '-' &&
	    strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

int
aws_region(const char *option, const char *profile, char *out, size_t n)
{
	struct aws_profile_key k = { "region", NULL };
	const char *r = option != NULL && *option != '\0' ? option : NULL;
	char err[512];
	int named, rc = -1;

	if (r == NULL && (r = creds_env("AWS_REGION")) == NULL &&
	    (r = creds_env("AWS_DEFAULT_REGION")) == NULL &&
	    profile_lookup(profile_name(profile, &named), &k, 1, err,
	    sizeof(err)) == 1)
		r = k.value;
	if (r != NULL && region_ok(r) && strlen(r) < n) {
		snprintf(out, n, "%s", r);
		rc = 0;
	}
	aws_profile_clear(&k, 1);
	return rc;
}

enum { K_AKID, K_SECRET, K_TOKEN, K_PROCESS, K_ROLE, K_WEBID, K_SESSION,
    K_SOURCE, K_CREDSRC, K_SSO_URL, K_SSO_SESSION, K_N };

static const char *const profile_keys[K_N] = {
	"aws_access_key_id", "aws_secret_access_key", "aws_session_token",
	"credential_process", "role_arn", "web_identity_token_file",
	"role_session_name", "source_profile", "credential_source",
	"sso_start_url", "sso_session",
};

/* What the profile's keys say, in the order creds.h gives. */
static int
profile_creds(struct aws_creds *c, char *const *v, const char *src,
    const struct aws_creds_opts *o, int64_t now, char *err, size_t errsz)
{
	if (v[K_SSO_URL] != NULL || v[K_SSO_SESSION] != NULL)
		return creds_fail(err, errsz, "%s: SSO profiles are not "
		    "supported (aws configure export-credentials can write a "
		    "credential_process)", src);
	if (v[K_ROLE] != NULL && v[K_WEBID] == NULL)
		return creds_fail(err, errsz, "%s: role_arn without "
		    "web_identity_token_file (source_profile and "
		    "credential_source are not supported)", src);
	if (v[K_ROLE] != NULL)
		return creds_web_identity(c, v[K_WEBID], v[K_ROLE],
		    v[K_SESSION], o, now, src, err, errsz);
	if ((v[K_AKID] == NULL) != (v[K_SECRET] == NULL))
		return creds_fail(err, errsz, "%s: %s without %s", src,
		    v[K_AKID] ? profile_keys[K_AKID] : profile_keys[K_SECRET],
		    v[K_AKID] ? profile_keys[K_SECRET] : profile_keys[K_AKID]);
	if (v[K_AKID] != NULL)
		return creds_fill(c, v[K_AKID], v[K_SECRET], v[K_TOKEN], 0, src,
		    err, errsz);
	if (v[K_PROCESS] != NULL)
		return creds_process(c, v[K_PROCESS], src, now, err, errsz);
	return 0;
}

int
creds_source_profile(struct aws_creds *c, const struct aws_creds_opts *o,
    int64_t now, char *err, size_t errsz)
{
	struct aws_profile_key k[K_N];
	char *v[K_N], src[AWS_SOURCE_MAX];
	const char *name;
	int named, rc, i;

	name = profile_name(o->profile, &named);
	for (i = 0; i < K_N; i++)
		k[i].name = profile_keys[i];
	if ((rc = profile_lookup(name, k, K_N, err, errsz)) == 0 && named)
		rc = creds_fail(err, errsz, "profile %s not found in the "
		    "shared config and credentials files", name);
	if (rc == 1) {
		for (i = 0; i < K_N; i++)
			v[i] = k[i].value;
		snprintf(src, sizeof(src), "profile:%s", name);
		rc = profile_creds(c, v, src, o, now, err, errsz);
	}
	aws_profile_clear(k, K_N);
	return rc;
}
