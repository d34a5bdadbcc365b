/*
 * Kafka options to librdkafka configuration.  -X follows kcat: a global
 * or topic property by name ("topic." may prefix the latter), "list"
 * prints them all.  -F reads a properties file of name=value lines.
 */
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "clock.h"
#include "creds.h"
#include "diag.h"
#include "kafka.h"
#include "mskiam.h"
#include "sigv4.h"

/*
 * --msk-iam state, one per process: librdkafka hands the token callback
 * the tool's opaque, so there is no other place for it.
 */
static struct {
	struct aws_creds_cache	*cache;
	char			 region[64];
} msk;

/*
 * Property names whose values are secrets: librdkafka's own sensitive
 * set (passwords, private keys, client secrets, JAAS-like configs).
 */
int
kafka_prop_secret(const char *name)
{
	static const char *const words[] = {
		"password", "secret", ".key", "key.pem", "jaas", "token",
		"oauthbearer.config",
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strstr(name, words[i]) != NULL)
			return 1;
	}
	return 0;
}

int
kafka_opt_X(struct kafka_opts *o, char *arg)
{
	char **p, *eq = strchr(arg, '=');

	if (strcmp(arg, "list") == 0) {
		rd_kafka_conf_properties_show(stdout);
		if (fflush(stdout) == EOF || ferror(stdout))
			exit(1);
		exit(0);
	}
	if (eq == NULL || eq == arg)
		return -1;
	p = realloc(o->props, (o->nprops + 1) * sizeof(*p));
	if (p == NULL)
		return -1;
	o->props = p;
	if ((o->props[o->nprops] = strdup(arg)) == NULL)
		return -1;
	o->nprops++;
	*eq = '\0';
	if (kafka_prop_secret(arg))	/* not for ps(1) to show */
		memset(eq + 1, '*', strlen(eq + 1));
	*eq = '=';
	return 0;
}

int
kafka_getopt(struct kafka_opts *o, int ch, char *arg, tel_usage_fn usage)
{
	switch (ch) {
	case 'F':
		o->file = arg;
		return 1;
	case 'X':
		if (kafka_opt_X(o, arg) == -1)
			tel_bad_option("-X", "", "expected prop=value or list",
			    usage);
		return 1;
	case 'b':
		o->brokers = arg;
		return 1;
	case 'q':
		o->verbose = -1;
		return 1;
	case 'v':
		if (o->verbose >= 0)
			o->verbose++;
		return 1;
	case KAFKA_OPT_MSK_IAM:
		o->msk_iam = 1;
		return 1;
	case KAFKA_OPT_REGION:
		o->region = arg;
		return 1;
	}
	return 0;
}

void
kafka_opts_free(struct kafka_opts *o)
{
	size_t i;

	for (i = 0; i < o->nprops; i++) {
		explicit_bzero(o->props[i], strlen(o->props[i]));
		free(o->props[i]);
	}
	free(o->props);
	o->props = NULL;
	o->nprops = 0;
	if (msk.cache != NULL) {
		aws_creds_cache_free(msk.cache);
		msk.cache = NULL;
	}
}

/* Sets one property; a message naming where it came from on failure. */
static int
set_prop(rd_kafka_conf_t *conf, const char *name, const char *value,
    const char *where, char *err, size_t errsz)
{
	char why[512];

	if (strncmp(name, "topic.", 6) == 0 &&
	    rd_kafka_conf_set(conf, name, value, why, sizeof(why)) ==
	    RD_KAFKA_CONF_UNKNOWN)
		name += 6;	/* kcat's spelling of a topic property */
	switch (rd_kafka_conf_set(conf, name, value, why, sizeof(why))) {
	case RD_KAFKA_CONF_OK:
		return 0;
	case RD_KAFKA_CONF_UNKNOWN:
		snprintf(err, errsz, "%s: unknown property \"%s\" (-X list "
		    "shows them)", where, name);
		break;
	default:
		if (kafka_prop_secret(name))
			snprintf(err, errsz, "%s: invalid value for \"%s\"",
			    where, name);
		else
			snprintf(err, errsz, "%s: %s", where, why);
		break;
	}
	explicit_bzero(why, sizeof(why));
	return -1;
}

/* Blanks around a name and before a value are not theirs. */
static char *
skip_blanks(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* "name=value" from -X, or a file line (blanks trimmed); value may be empty. */
static int
set_pair(rd_kafka_conf_t *conf, char *pair, int blanks, const char *where,
    char *err, size_t errsz)
{
	char *eq = strchr(pair, '=');
	int r;

	if (eq == NULL || eq == pair) {
		snprintf(err, errsz, "%s: expected name=value", where);
		return -1;
	}
	*eq = '\0';
	if (blanks)
		r = set_prop(conf, trim(pair), skip_blanks(eq + 1), where, err,
		    errsz);
	else
		r = set_prop(conf, pair, eq + 1, where, err, errsz);
	*eq = '=';
	return r;
}

/* A properties file: name=value lines, # comments, blank lines. */
static int
read_file(rd_kafka_conf_t *conf, const char *path, char *err, size_t errsz)
{
	FILE *fp;
	char *line = NULL, *s, where[512];
	size_t cap = 0, n = 0;
	int r = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, fp) != -1) {
		n++;
		line[strcspn(line, "\r\n")] = '\0';
		s = skip_blanks(line);
		if (*s == '\0' || *s == '#' || *s == '!')
			continue;
		snprintf(where, sizeof(where), "%s:%zu", path, n);
		if (set_pair(conf, s, 1, where, err, errsz) == -1)
			goto out;
	}
	if (ferror(fp)) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (line != NULL)
		explicit_bzero(line, cap);
	free(line);
	fclose(fp);
	return r;
}

/* librdkafka's log lines, as "prog: kafka: FAC: message". */
static void
log_line(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	char line[1024];

	(void)rk;
	(void)level;
	/* a broker's own words can be in it (SASL, errors) */
	fprintf(stderr, "%s: kafka: %s: %s\n", program_invocation_short_name,
	    fac, tel_printable_copy(line, sizeof(line), buf));
}

/*
 * Errors reach the tools' error callbacks, which report them once; the
 * log adds librdkafka's own detail: -v notices, -vv debug levels.
 */
static const char *
log_level(int verbose)
{
	if (verbose <= 0)
		return "2";
	return verbose == 1 ? "5" : "7";
}

/* The effective value of a property, "" if unset. */
static void
conf_get(rd_kafka_conf_t *conf, const char *name, char *buf, size_t sz)
{
	size_t n = sz;

	if (rd_kafka_conf_get(conf, name, buf, &n) != RD_KAFKA_CONF_OK)
		buf[0] = '\0';
}

static int
has_brokers(rd_kafka_conf_t *conf)
{
	size_t n = 0;

	/* asked for its size only: the value may be long */
	if (rd_kafka_conf_get(conf, "bootstrap.servers", NULL, &n) ==
	    RD_KAFKA_CONF_OK && n > 1)
		return 1;
	return kafka_conf_int(conf, "test.mock.num.brokers", 0) > 0;
}

long long
kafka_conf_int(rd_kafka_conf_t *conf, const char *name, long long def)
{
	char buf[64], *end;
	long long v;

	conf_get(conf, name, buf, sizeof(buf));
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (buf[0] == '\0' || *end != '\0' || errno != 0)
		return def;
	return v;
}

/*
 * librdkafka asks for a token at start and again at 80% of its life:
 * a presigned kafka-cluster:Connect URL made from the chain's current
 * credentials.  It may run on a librdkafka thread; the cache locks.
 */
static void
on_token_refresh(rd_kafka_t *rk, const char *config, void *opaque)
{
	struct aws_creds c;
	struct sigv4_creds sc;
	char err[512], *tok = NULL;
	int64_t now = tel_now_ms(), life;

	(void)config;
	(void)opaque;
	memset(&c, 0, sizeof(c));
	if (aws_creds_get(msk.cache, now, &c, err, sizeof(err)) == -1)
		goto fail;
	sc.akid = c.akid;
	sc.secret = c.secret;
	sc.token = c.token;
	if (msk_iam_token(&sc, msk.region, now, c.expiry_ms,
	    "tel/" TEL_VERSION, &tok, &life) == -1) {
		snprintf(err, sizeof(err), "MSK IAM token: %s", strerror(errno));
		goto fail;
	}
	if (rd_kafka_oauthbearer_set_token(rk, tok, life, "tel-msk-iam", NULL,
	    0, err, sizeof(err)) != RD_KAFKA_RESP_ERR_NO_ERROR)
		goto fail;
	goto out;
fail:
	fprintf(stderr, "%s: --msk-iam: %s\n", program_invocation_short_name,
	    err);
	rd_kafka_oauthbearer_set_token_failure(rk, err);
out:
	msk_token_free(tok);
	aws_creds_free(&c);
}

/* The region: --region, the environment or profile, else the brokers. */
static int
msk_region(const struct kafka_opts *o, const char *brokers, char *err,
    size_t errsz)
{
	if (aws_region(o->region, NULL, msk.region, sizeof(msk.region)) == 0 &&
	    msk.region[0] != '\0')
		return 0;
	if (brokers != NULL && msk_region_from_host(brokers, msk.region,
	    sizeof(msk.region)) == 0)
		return 0;
	snprintf(err, errsz, "--msk-iam: no region: give --region or set "
	    "AWS_REGION");
	return -1;
}

/*
 * SASL_SSL with OAUTHBEARER, set before the file and -X so that they
 * can still add to it (a CA file, say).  Credentials are looked up once
 * now, so that a job without any fails at once and says why.
 */
static int
msk_setup(rd_kafka_conf_t *conf, const struct kafka_opts *o,
    const char *brokers, char *err, size_t errsz)
{
	struct aws_creds_opts co = { NULL, NULL };
	struct aws_creds c;

	if (msk_region(o, brokers, err, errsz) == -1)
		return -1;
	co.region = msk.region;
	if (msk.cache == NULL &&
	    (msk.cache = aws_creds_cache_new(&co, err, errsz)) == NULL)
		return -1;
	memset(&c, 0, sizeof(c));
	if (aws_creds_get(msk.cache, tel_now_ms(), &c, err, errsz) == -1)
		return -1;
	aws_creds_free(&c);
	if (set_prop(conf, "security.protocol", "SASL_SSL", "--msk-iam", err,
	    errsz) == -1 || set_prop(conf, "sasl.mechanisms", "OAUTHBEARER",
	    "--msk-iam", err, errsz) == -1)
		return -1;
	rd_kafka_conf_set_oauthbearer_token_refresh_cb(conf, on_token_refresh);
	rd_kafka_conf_enable_sasl_queue(conf, 1);
	return 0;
}

rd_kafka_conf_t *
kafka_conf(const struct kafka_opts *o, const struct kafka_default *defs,
    char *err, size_t errsz)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	const char *file = o->file ? o->file : getenv("TEL_KAFKA_CONFIG");
	const char *brokers = o->brokers ? o->brokers : getenv("TEL_BROKERS");
	size_t i;

	rd_kafka_conf_set_log_cb(conf, log_line);
	if (set_prop(conf, "log_level", log_level(o->verbose), "log_level",
	    err, errsz) == -1)
		goto fail;
	for (; defs != NULL && defs->name != NULL; defs++) {
		if (set_prop(conf, defs->name, defs->value, "default", err,
		    errsz) == -1)
			goto fail;
	}
	if (o->msk_iam && msk_setup(conf, o, brokers, err, errsz) == -1)
		goto fail;
	if (file != NULL && *file != '\0' &&
	    read_file(conf, file, err, errsz) == -1)
		goto fail;
	if (brokers != NULL && set_prop(conf, "bootstrap.servers", brokers,
	    "-b", err, errsz) == -1)
		goto fail;
	for (i = 0; i < o->nprops; i++) {
		if (set_pair(conf, o->props[i], 0, "-X", err, errsz) == -1)
			goto fail;
	}
	if (!has_brokers(conf)) {
		snprintf(err, errsz, "no brokers: give -b or set TEL_BROKERS");
		goto fail;
	}
	return conf;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

rd_kafka_t *
kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf,
    const struct kafka_opts *o, char *err, size_t errsz)
{
	rd_kafka_error_t *e;
	rd_kafka_t *rk;

	if ((rk = rd_kafka_new(type, conf, err, errsz)) == NULL) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	/* tokens are fetched on librdkafka's thread, before any poll */
	if (o->msk_iam &&
	    (e = rd_kafka_sasl_background_callbacks_enable(rk)) != NULL) {
		snprintf(err, errsz, "--msk-iam: %s", rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
		rd_kafka_destroy(rk);
		return NULL;
	}
	return rk;
}

int
kafka_error_ends(rd_kafka_t *rk, int e, const char *reason)
{
	char why[512];

	if (e == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, why, sizeof(why));
		tel_printable(why);
		warnx("fatal: %s", why);
		return 1;
	}
	if (e == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
		warnx("authentication failed: %s", reason);
		return 1;
	}
	return 0;
}
