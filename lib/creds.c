/* The AWS credential chain: see creds.h. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "creds.h"
#include "diag.h"
#include "http.h"
#include "jsonscan.h"
#include "number.h"
#include "rfc3339.h"
#include "sigv4.h"

extern char	**environ;

#define FILE_MAX	(1024 * 1024)	/* shared files and token files */
#define PROCESS_MAX	(64 * 1024)	/* credential_process output */
#define PROCESS_MS	(60 * 1000)	/* and its time limit */
#define META_CONNECT_MS	1000L		/* metadata: fail fast */
#define IMDS_TOTAL_MS	1000L
#define ECS_TOTAL_MS	2000L
#define STS_CONNECT_MS	3000L
#define STS_TOTAL_MS	10000L
#define IMDS_TOKEN_TTL	"21600"
#define ECS_HOST	"http://169.254.170.2"
#define PROFILE_KEYS_MAX 16

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return -1;
}

static int
nomem(char *err, size_t errsz)
{
	return fail(err, errsz, "out of memory");
}

/* A set, non-empty environment variable, or NULL. */
static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static void
secret_free(char *p)
{
	if (p != NULL) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}

static void
buf_free(char *p, size_t n)
{
	if (p != NULL) {
		explicit_bzero(p, n);
		free(p);
	}
}

void
aws_creds_free(struct aws_creds *c)
{
	secret_free(c->akid);
	secret_free(c->secret);
	secret_free(c->token);
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
static int
creds_fill(struct aws_creds *c, const char *akid, const char *secret,
    const char *token, int64_t expiry, const char *source, char *err,
    size_t errsz)
{
	const char *why;

	memset(c, 0, sizeof(*c));
	if (token != NULL && *token == '\0')
		token = NULL;
	if ((why = creds_check(akid, secret, token)) != NULL)
		return fail(err, errsz, "%s: %s", source, why);
	if ((c->akid = strdup(akid)) == NULL ||
	    (c->secret = strdup(secret)) == NULL ||
	    (token != NULL && (c->token = strdup(token)) == NULL)) {
		aws_creds_free(c);
		return nomem(err, errsz);
	}
	c->expiry_ms = expiry;
	snprintf(c->source, sizeof(c->source), "%s", source);
	return 1;
}

/* Drops trailing whitespace, such as the newline after a token. */
static size_t
rtrim(char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return n;
}

/*
 * Reads a whole file of at most FILE_MAX bytes, NUL-terminated, into
 * *buf (freed with buf_free).  Returns 1, 0 if it does not exist, -1.
 */
static int
read_file(const char *path, char **buf, size_t *len, char *err, size_t errsz)
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
		return fail(err, errsz, "%s: %s", path, strerror(errno));
	}
	if ((b = malloc(FILE_MAX + 1)) == NULL) {
		close(fd);
		return nomem(err, errsz);
	}
	while ((r = read(fd, b + n, FILE_MAX + 1 - n)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 || (n += (size_t)r) > FILE_MAX) {
			fail(err, errsz, "%s: %s", path, r == -1 ?
			    strerror(errno) : "larger than 1 MiB");
			close(fd);
			buf_free(b, FILE_MAX + 1);
			return -1;
		}
	}
	close(fd);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 1;
}

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
	secret_free(*slot);
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
	secret_free(*p->cont);
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
		secret_free(p->plain[i]);
	}
	free(p->plain);
	p->plain = NULL;
}

void
aws_profile_clear(struct aws_profile_key *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		secret_free(k[i].value);
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
		return nomem(err, errsz);
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (ini_line(&p, s, n) == -1) {
			fail(err, errsz, "line %zu: %s", line,
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
	const char *p = env(var), *home = env("HOME");
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
		return fail(err, errsz, "too many profile keys");
	if ((r = read_file(path, &buf, &len, err, errsz)) != 1)
		return r;
	for (i = 0; i < n; i++)
		got[i].name = keys[i].name;
	r = aws_profile_parse(buf, len, config, profile, got, n, why,
	    sizeof(why));
	buf_free(buf, len);
	if (r == -1)
		return fail(err, errsz, "%s: %s", path, why);
	for (i = 0; i < n; i++)
		if (got[i].value != NULL) {
			secret_free(keys[i].value);
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
	    env("AWS_PROFILE");

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

	if (r == NULL && (r = env("AWS_REGION")) == NULL &&
	    (r = env("AWS_DEFAULT_REGION")) == NULL &&
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

/* Reads the child's stdout until EOF, PROCESS_MAX bytes or the deadline. */
static int
read_child(int fd, int64_t deadline, char *buf, size_t *len, char *err,
    size_t errsz)
{
	int64_t left;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t r;
	size_t n = 0;

	for (;;) {
		if ((left = deadline - tel_mono_ms()) <= 0)
			return fail(err, errsz, "timed out after %d s",
			    PROCESS_MS / 1000);
		if ((r = poll(&pfd, 1, (int)left)) <= 0) {
			if (r == -1 && errno != EINTR)
				return fail(err, errsz, "poll: %s",
				    strerror(errno));
			continue;
		}
		if ((r = read(fd, buf + n, PROCESS_MAX + 1 - n)) == 0)
			break;
		if (r == -1 && errno != EINTR)
			return fail(err, errsz, "read: %s", strerror(errno));
		if (r > 0 && (n += (size_t)r) > PROCESS_MAX)
			return fail(err, errsz, "output over %d bytes",
			    PROCESS_MAX);
	}
	buf[n] = '\0';
	*len = n;
	return 0;
}

/*
 * Reaps the child, killing it first if reading failed or if it is still
 * running at the deadline (it may have closed its stdout and lingered).
 */
static int
child_status(pid_t pid, int64_t deadline, int killed, char *err,
    size_t errsz)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	pid_t r;
	int st;

	while (!killed && (r = waitpid(pid, &st, WNOHANG)) != pid) {
		if (r == -1 && errno != EINTR)
			return fail(err, errsz, "waitpid: %s", strerror(errno));
		if (tel_mono_ms() >= deadline) {
			fail(err, errsz, "timed out after %d s", PROCESS_MS / 1000);
			killed = 1;
		} else
			nanosleep(&tick, NULL);
	}
	if (killed) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
		return -1;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		return fail(err, errsz, "exited with status %d",
		    WEXITSTATUS(st));
	if (WIFSIGNALED(st))
		return fail(err, errsz, "killed by signal %d", WTERMSIG(st));
	return 0;
}

/*
 * Runs cmd with /bin/sh -c, stdin from /dev/null, stderr shared, and
 * collects its stdout.  posix_spawn rather than fork: the caller may be
 * a librdkafka thread of a multithreaded program.
 */
static int
run_process(const char *cmd, char *buf, size_t *len, char *err, size_t errsz)
{
	posix_spawn_file_actions_t fa;
	char sh[] = "sh", dash_c[] = "-c", *copy, *argv[4];
	int64_t deadline = tel_mono_ms() + PROCESS_MS;
	int fds[2], e, rc = -1;
	pid_t pid;

	if ((copy = strdup(cmd)) == NULL)
		return nomem(err, errsz);
	argv[0] = sh;
	argv[1] = dash_c;
	argv[2] = copy;
	argv[3] = NULL;
	if (pipe2(fds, O_CLOEXEC) == -1) {
		fail(err, errsz, "pipe: %s", strerror(errno));
		goto out;
	}
	if ((e = posix_spawn_file_actions_init(&fa)) == 0) {
		if ((e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
		    O_RDONLY, 0)) == 0 &&
		    (e = posix_spawn_file_actions_adddup2(&fa, fds[1], 1)) == 0)
			e = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv,
			    environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(fds[1]);
	if (e != 0)
		fail(err, errsz, "cannot run /bin/sh: %s", strerror(e));
	else
		rc = child_status(pid, deadline, read_child(fds[0], deadline,
		    buf, len, err, errsz) == -1, err, errsz);
	close(fds[0]);
out:
	secret_free(copy);
	return rc;
}

/* How much of s[0..n) prints as it is, at most max: for server text. */
static int
clean_len(const char *s, size_t n, size_t max)
{
	size_t i;

	for (i = 0; i < n && i < max; i++)
		if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] >= 0x7f)
			break;
	return (int)i;
}

static int
parse_expiry(const char *s, size_t n, int64_t now, int64_t *ms,
    const char *src, char *err, size_t errsz)
{
	const char *why;

	if (tel_rfc3339_parse(s, n, ms, &why) == -1)
		return fail(err, errsz, "%s: Expiration: %s", src, why);
	if (*ms <= now)
		return fail(err, errsz, "%s: the credentials expired at %.*s",
		    src, clean_len(s, n, 40), s);
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
		return fail(err, errsz, "%s: Version is not 1", src);
	if (!process && code->type == JS_STRING && !(code->len == 7 &&
	    memcmp(code->val, "Success", 7) == 0))
		return fail(err, errsz, "%s: Code %.*s", src,
		    clean_len(code->val, code->len, 64), code->val);
	if (m[J_AKID].type != JS_STRING || m[J_SECRET].type != JS_STRING)
		return fail(err, errsz, "%s: no AccessKeyId or SecretAccessKey",
		    src);
	if (m[J_EXPIRY].type != JS_STRING && m[J_EXPIRY].type != JS_NONE)
		return fail(err, errsz, "%s: Expiration is not a string", src);
	return 0;
}

/* Credentials from credential_process output or a metadata reply. */
static int
json_creds(struct aws_creds *c, const char *buf, size_t len, int process,
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
		return fail(err, errsz, "%s: the reply is not a JSON object", src);
	if (json_shape(m, process, src, err, errsz) == -1 ||
	    (m[J_EXPIRY].type == JS_STRING && parse_expiry(m[J_EXPIRY].val,
	    m[J_EXPIRY].len, now, &expiry, src, err, errsz) == -1))
		return -1;
	for (i = 0; i < 3; i++)
		if (json_str(&m[i], &v[i]) == -1) {
			nomem(err, errsz);
			goto out;
		}
	rc = creds_fill(c, v[J_AKID], v[J_SECRET], v[J_TOKEN], expiry, src,
	    err, errsz);
out:
	for (i = 0; i < 3; i++)
		secret_free(v[i]);
	return rc;
}

static int
process_creds(struct aws_creds *c, const char *cmd, const char *src,
    int64_t now, char *err, size_t errsz)
{
	char *out, why[256];
	size_t len = 0;
	int rc = -1;

	if ((out = malloc(PROCESS_MAX + 1)) == NULL)
		return nomem(err, errsz);
	if (run_process(cmd, out, &len, why, sizeof(why)) == -1)
		fail(err, errsz, "%s: credential_process: %s", src, why);
	else
		rc = json_creds(c, out, len, 1, src, now, err, errsz);
	buf_free(out, PROCESS_MAX + 1);
	return rc;
}

/* The text of the first <tag>...</tag> in doc[0..len), not decoded. */
static int
xml_find(const char *doc, size_t len, const char *tag, const char **s,
    size_t *n)
{
	char open[64], close[64];
	const char *a, *b;
	int no, nc;

	no = snprintf(open, sizeof(open), "<%s>", tag);
	nc = snprintf(close, sizeof(close), "</%s>", tag);
	if (no < 0 || nc < 0 || (size_t)nc >= sizeof(close) ||
	    (a = memmem(doc, len, open, (size_t)no)) == NULL)
		return 0;
	a += no;
	if ((b = memmem(a, len - (size_t)(a - doc), close, (size_t)nc)) == NULL)
		return 0;
	*s = a;
	*n = (size_t)(b - a);
	return 1;
}

/* A copy of XML text with its five predefined entities decoded. */
static char *
xml_decode(const char *s, size_t n)
{
	static const char *const ent[] = { "&amp;", "&lt;", "&gt;", "&quot;",
	    "&apos;" };
	static const char chr[] = "&<>\"'";
	char *out = malloc(n + 1), *o = out;
	size_t i = 0, j, k = 0;

	if (out == NULL)
		return NULL;
	while (i < n) {
		for (j = 0; s[i] == '&' && j < 5; j++)
			if (n - i >= (k = strlen(ent[j])) &&
			    memcmp(s + i, ent[j], k) == 0)
				break;
		if (s[i] == '&' && j < 5) {
			*o++ = chr[j];
			i += k;
		} else
			*o++ = s[i++];
	}
	*o = '\0';
	return out;
}

/* The credentials in an AssumeRoleWithWebIdentity reply. */
static int
sts_creds(struct aws_creds *c, const struct http_resp *r, const char *src,
    int64_t now, char *err, size_t errsz)
{
	static const char *const tags[] = { "AccessKeyId", "SecretAccessKey",
	    "SessionToken", "Expiration" };
	const char *cs, *s;
	char *v[4] = { NULL, NULL, NULL, NULL };
	size_t cn, n;
	int64_t expiry;
	int rc = -1, i;

	if (!xml_find(r->body, r->len, "Credentials", &cs, &cn))
		return fail(err, errsz, "%s: no Credentials in the STS reply",
		    src);
	for (i = 0; i < 4; i++) {
		if (!xml_find(cs, cn, tags[i], &s, &n)) {
			fail(err, errsz, "%s: no %s in the STS reply", src,
			    tags[i]);
			goto out;
		}
		if ((v[i] = xml_decode(s, n)) == NULL) {
			nomem(err, errsz);
			goto out;
		}
	}
	if (parse_expiry(v[3], strlen(v[3]), now, &expiry, src, err,
	    errsz) == 0)
		rc = creds_fill(c, v[0], v[1], v[2], expiry, src, err, errsz);
out:
	for (i = 0; i < 4; i++)
		secret_free(v[i]);
	return rc;
}

/* STS's error Code and Message, unless the message echoes the token. */
static int
sts_error(const struct http_resp *r, const char *tok, const char *src,
    char *err, size_t errsz)
{
	const char *code = "", *msg = "";
	size_t cn = 0, mn = 0;

	xml_find(r->body, r->len, "Code", &code, &cn);
	xml_find(r->body, r->len, "Message", &msg, &mn);
	if (memmem(msg, mn, tok, strlen(tok)) != NULL)
		mn = 0;
	return fail(err, errsz, "%s: STS AssumeRoleWithWebIdentity: HTTP %ld "
	    "%.*s%s%.*s", src, r->status, clean_len(code, cn, 64), code,
	    mn ? ": " : "", clean_len(msg, mn, 200), msg);
}

/* AWS_ENDPOINT_URL_STS, else the regional endpoint, else the global one. */
static int
sts_url(const struct aws_creds_opts *o, char *url, size_t n, char *err,
    size_t errsz)
{
	const char *e = env("AWS_ENDPOINT_URL_STS");
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
		return fail(err, errsz, "AWS_ENDPOINT_URL_STS is too long");
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
	secret_free(t);
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
		return fail(err, errsz, "%s: STS at %s: %s", src, url, why);
	return 0;
}

/* Reads the token file afresh and trades it for credentials. */
static int
web_identity(struct aws_creds *c, const char *file, const char *role,
    const char *session, const struct aws_creds_opts *o, int64_t now,
    const char *src, char *err, size_t errsz)
{
	struct http_resp resp;
	char *tok = NULL, *body = NULL, url[1024], name[64];
	size_t len = 0;
	int rc = -1, r;

	if ((r = read_file(file, &tok, &len, err, errsz)) != 1) {
		if (r == 0)
			fail(err, errsz, "%s: token file %s: not found", src, file);
		return -1;
	}
	if ((len = rtrim(tok, len)) == 0) {
		fail(err, errsz, "%s: token file %s is empty", src, file);
		goto out;
	}
	if (session == NULL) {
		snprintf(name, sizeof(name), "tel-%lld", (long long)(now / 1000));
		session = name;
	}
	if (sts_url(o, url, sizeof(url), err, errsz) == -1)
		goto out;
	if ((body = sts_body(role, session, tok)) == NULL) {
		nomem(err, errsz);
		goto out;
	}
	if (sts_call(url, body, &resp, src, err, errsz) == -1)
		goto out;
	rc = resp.status == 200 ? sts_creds(c, &resp, src, now, err, errsz) :
	    sts_error(&resp, tok, src, err, errsz);
	http_resp_free(&resp);
out:
	buf_free(tok, len);
	secret_free(body);
	return rc;
}

/* AWS_METADATA_SERVICE_TIMEOUT (seconds, as the SDKs read it) or def. */
static long
meta_timeout(long def)
{
	const char *s = env("AWS_METADATA_SERVICE_TIMEOUT"), *e;
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
	const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	char scheme[16], host[256];
	int r;

	if (rel != NULL) {
		if (rel[0] != '/')
			return fail(err, errsz, "AWS_CONTAINER_CREDENTIALS_"
			    "RELATIVE_URI does not start with '/'");
		r = snprintf(url, n, "%s%s", ECS_HOST, rel);
	} else if (full != NULL) {
		if (http_url_host(full, scheme, sizeof(scheme), host,
		    sizeof(host)) == -1)
			return fail(err, errsz, "AWS_CONTAINER_CREDENTIALS_"
			    "FULL_URI is not an http(s) URL");
		if (strcmp(scheme, "https") != 0 &&
		    !(strcmp(scheme, "http") == 0 && local_host(host)))
			return fail(err, errsz, "AWS_CONTAINER_CREDENTIALS_"
			    "FULL_URI: plain http only to a loopback address, "
			    "169.254.170.2 or 169.254.170.23");
		r = snprintf(url, n, "%s", full);
	} else
		return 0;
	if (r < 0 || (size_t)r >= n)
		return fail(err, errsz, "the container credentials URI is too "
		    "long");
	return 1;
}

/* The Authorization value: the token file's content, else the variable. */
static int
container_auth(char **tok, char *err, size_t errsz)
{
	const char *file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *v = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	char *buf = NULL;
	size_t len = 0;
	int r;

	*tok = NULL;
	if (file != NULL) {
		if ((r = read_file(file, &buf, &len, err, errsz)) != 1)
			return r == 0 ? fail(err, errsz, "container credentials: "
			    "token file %s: not found", file) : -1;
		rtrim(buf, len);
		v = buf;
	}
	if (v != NULL && (*tok = strdup(v)) == NULL)
		r = nomem(err, errsz);
	else if (*tok != NULL && strpbrk(*tok, "\r\n") != NULL)
		r = fail(err, errsz, "container credentials: the authorization "
		    "token holds a line break");
	else
		r = 0;
	buf_free(buf, len);
	if (r == -1) {
		secret_free(*tok);
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

static int
source_container(struct aws_creds *c, int64_t now, char *err, size_t errsz)
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
		fail(err, errsz, "container credentials (%s): %s",
		    shown_url(url, shown, sizeof(shown)), why);
	else {
		rc = resp.status == 200 ? json_creds(c, resp.body, resp.len, 0,
		    "container", now, err, errsz) : fail(err, errsz,
		    "container credentials (%s): HTTP %ld",
		    shown_url(url, shown, sizeof(shown)), resp.status);
		http_resp_free(&resp);
	}
	secret_free(tok);
	return rc;
}

#define IMDS_ROLES	"/latest/meta-data/iam/security-credentials/"

static int
imds_disabled(void)
{
	const char *v = env("AWS_EC2_METADATA_DISABLED");

	return v != NULL && strcasecmp(v, "true") == 0;
}

static int
imds_base(char *out, size_t n)
{
	const char *e = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
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
		return fail(err, errsz, "instance metadata at %s: %s", base, why);
	if (resp->status != 200) {
		fail(err, errsz, "instance metadata at %s: %s: HTTP %ld%s", base,
		    what, resp->status, resp->status == 404 &&
		    strcmp(path, IMDS_ROLES) == 0 ? " (no IAM role attached to "
		    "the instance?)" : "");
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
		nomem(err, errsz);
	else if (*s == '\0') {
		fail(err, errsz, "instance metadata at %s: empty %s", base, what);
		free(s);
		s = NULL;
	}
	return s;
}

/* IMDSv2: a session token, the role's name, the role's credentials. */
static int
source_imds(struct aws_creds *c, int64_t now, char *err, size_t errsz)
{
	struct http_header h = { "X-aws-ec2-metadata-token-ttl-seconds",
	    IMDS_TOKEN_TTL };
	struct http_resp resp;
	char base[4096], path[4400], *tok, *role = NULL, *enc = NULL;
	int rc = -1;

	if (imds_base(base, sizeof(base)) == -1)
		return fail(err, errsz, "AWS_EC2_METADATA_SERVICE_ENDPOINT is "
		    "too long");
	if ((tok = imds_line(base, "PUT", "/latest/api/token", "session token",
	    &h, err, errsz)) == NULL)
		return -1;
	h = (struct http_header){ "X-aws-ec2-metadata-token", tok };
	if ((role = imds_line(base, "GET", IMDS_ROLES, "role name", &h, err,
	    errsz)) == NULL)
		goto out;
	if ((enc = sigv4_uri_encode(role, 0)) == NULL) {
		nomem(err, errsz);
		goto out;
	}
	snprintf(path, sizeof(path), "%s%s", IMDS_ROLES, enc);
	if (imds_request(base, "GET", path, "role credentials", &h, &resp, err,
	    errsz) == -1)
		goto out;
	rc = json_creds(c, resp.body, resp.len, 0, "imds", now, err, errsz);
	http_resp_free(&resp);
out:
	secret_free(tok);
	free(role);
	free(enc);
	return rc;
}

static int
source_env(struct aws_creds *c, char *err, size_t errsz)
{
	const char *a = env("AWS_ACCESS_KEY_ID");
	const char *s = env("AWS_SECRET_ACCESS_KEY");

	if (a == NULL && s == NULL)
		return 0;
	if (a == NULL || s == NULL)
		return fail(err, errsz, "env: %s is set but %s is not",
		    a ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    a ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	return creds_fill(c, a, s, env("AWS_SESSION_TOKEN"), 0, "env", err,
	    errsz);
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
		return fail(err, errsz, "%s: SSO profiles are not supported "
		    "(aws configure export-credentials can write a "
		    "credential_process)", src);
	if (v[K_ROLE] != NULL && v[K_WEBID] == NULL)
		return fail(err, errsz, "%s: role_arn without "
		    "web_identity_token_file (source_profile and "
		    "credential_source are not supported)", src);
	if (v[K_ROLE] != NULL)
		return web_identity(c, v[K_WEBID], v[K_ROLE], v[K_SESSION], o,
		    now, src, err, errsz);
	if ((v[K_AKID] == NULL) != (v[K_SECRET] == NULL))
		return fail(err, errsz, "%s: %s without %s", src,
		    v[K_AKID] ? profile_keys[K_AKID] : profile_keys[K_SECRET],
		    v[K_AKID] ? profile_keys[K_SECRET] : profile_keys[K_AKID]);
	if (v[K_AKID] != NULL)
		return creds_fill(c, v[K_AKID], v[K_SECRET], v[K_TOKEN], 0, src,
		    err, errsz);
	if (v[K_PROCESS] != NULL)
		return process_creds(c, v[K_PROCESS], src, now, err, errsz);
	return 0;
}

static int
source_profile(struct aws_creds *c, const struct aws_creds_opts *o,
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
		rc = fail(err, errsz, "profile %s not found in the shared "
		    "config and credentials files", name);
	if (rc == 1) {
		for (i = 0; i < K_N; i++)
			v[i] = k[i].value;
		snprintf(src, sizeof(src), "profile:%s", name);
		rc = profile_creds(c, v, src, o, now, err, errsz);
	}
	aws_profile_clear(k, K_N);
	return rc;
}

static int
source_web_identity(struct aws_creds *c, const struct aws_creds_opts *o,
    int64_t now, char *err, size_t errsz)
{
	const char *file = env("AWS_WEB_IDENTITY_TOKEN_FILE");
	const char *role = env("AWS_ROLE_ARN");

	if (file == NULL || role == NULL)
		return 0;
	return web_identity(c, file, role, env("AWS_ROLE_SESSION_NAME"), o, now,
	    "web-identity", err, errsz);
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
	    (r = source_profile(c, o, now, err, errsz)) != 0 ||
	    (r = source_web_identity(c, o, now, err, errsz)) != 0 ||
	    (r = source_container(c, now, err, errsz)) != 0)
		return r == 1 ? 0 : -1;
	if (imds_disabled())
		return fail(err, errsz, "no AWS credentials in the environment, "
		    "shared files, web identity or container settings, and "
		    "instance metadata is disabled");
	if ((r = source_imds(c, now, why, sizeof(why))) == 1)
		return 0;
	return fail(err, errsz, "no AWS credentials in the environment, "
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
		nomem(err, errsz);
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
		nomem(err, errsz);
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
		return fail(err, errsz, "cannot lock the credentials cache");
	if (cache_refresh(k, now, err, errsz) == 0) {
		if (aws_creds_copy(out, &k->cur) == -1)
			nomem(err, errsz);
		else
			rc = 0;
	}
	if (pthread_mutex_unlock(&k->mu) != 0 && rc == 0) {
		aws_creds_free(out);
		rc = fail(err, errsz, "cannot unlock the credentials cache");
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
