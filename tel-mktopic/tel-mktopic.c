/*
 * tel-mktopic: makes sure Kafka topics exist as asked, or shows them.
 * One NDJSON line per topic on stdout says what became of it.  See
 * tel-mktopic(1).
 */
#include <err.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "clock.h"
#include "kafka.h"
#include "metrics.h"
#include "mktopic.h"

#define PARTITIONS_DEFAULT	20
#define PARTITIONS_MAX		100000		/* librdkafka's limit */
#define REPLICATION_DEFAULT	3
#define RETENTION_DEFAULT	"604800000"	/* 7 days, in ms */
#define TIMEOUT_DEFAULT		30000		/* ms */
#define TOPIC_NAME_MAX		249		/* Kafka's limit */

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: tel-mktopic [-hqVv] [-b brokers] [-c key=value] [-F file]\n"
	    "                   [-P partitions] [-R replication] [-X prop=value]\n"
	    "                   [--describe] [--dry-run] [--metrics file]\n"
	    "                   [--metrics-interval duration] [--msk-iam]\n"
	    "                   [--region region] [--retention duration]\n"
	    "                   [--timeout duration] -t topic ...\n");
}

#define bad_option(o, a, w)	tel_bad_option(o, a, w, usage)

enum { OPT_DESCRIBE = 256, OPT_DRY_RUN, OPT_RETENTION, OPT_TIMEOUT };

static const struct option longopts[] = {
	{ "brokers", required_argument, NULL, 'b' },
	{ "config", required_argument, NULL, 'F' },
	{ "describe", no_argument, NULL, OPT_DESCRIBE },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "help", no_argument, NULL, 'h' },
	METRICS_LONGOPTS,
	{ "msk-iam", no_argument, NULL, KAFKA_OPT_MSK_IAM },
	{ "partitions", required_argument, NULL, 'P' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "region", required_argument, NULL, KAFKA_OPT_REGION },
	{ "replication-factor", required_argument, NULL, 'R' },
	{ "retention", required_argument, NULL, OPT_RETENTION },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "topic", required_argument, NULL, 't' },
	{ "topic-config", required_argument, NULL, 'c' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Kafka's rule: 1-249 of [A-Za-z0-9._-], and not "." or "..". */
static void
check_topic(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > TOPIC_NAME_MAX)
		bad_option("-t", s, "a topic name has 1 to 249 characters");
	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") != n)
		bad_option("-t", s, "a topic name has only ASCII letters, "
		    "digits, '.', '_' and '-'");
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		bad_option("-t", s, "not a topic name");
}

static void
add_topic(struct opts *o, const char *name)
{
	const char **p;
	size_t i;

	check_topic(name);
	for (i = 0; i < o->ntopics; i++) {
		if (strcmp(o->topics[i], name) == 0)
			return;		/* one line per topic */
	}
	if ((p = realloc(o->topics, (o->ntopics + 1) * sizeof(*p))) == NULL)
		err(1, NULL);
	o->topics = p;
	o->topics[o->ntopics++] = name;
}

/* Sets a topic config; a later one of the same name replaces it. */
static void
set_config(struct opts *o, const char *name, size_t namelen,
    const char *value, int explicit)
{
	struct asked *a;
	size_t i;

	for (i = 0; i < o->ncfg; i++) {
		if (strlen(o->cfg[i].name) == namelen &&
		    strncmp(o->cfg[i].name, name, namelen) == 0)
			break;
	}
	if (i == o->ncfg) {
		if ((a = realloc(o->cfg, (o->ncfg + 1) * sizeof(*a))) == NULL)
			err(1, NULL);
		o->cfg = a;
		if ((o->cfg[i].name = strndup(name, namelen)) == NULL)
			err(1, NULL);
		o->ncfg++;
	} else
		free(o->cfg[i].value);
	if ((o->cfg[i].value = strdup(value)) == NULL)
		err(1, NULL);
	o->cfg[i].explicit = explicit;
}

static void
opt_config(struct opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg)
		bad_option("-c", arg, "expected key=value");
	set_config(o, arg, (size_t)(eq - arg), eq + 1, 1);
}

/* A duration, or -1 / infinite for no limit (retention.ms=-1). */
static void
opt_retention(struct opts *o, const char *arg)
{
	char ms[32];

	if (strcmp(arg, "-1") == 0 || strcmp(arg, "infinite") == 0)
		snprintf(ms, sizeof(ms), "-1");
	else
		snprintf(ms, sizeof(ms), "%" PRIu64,
		    tel_duration_option("--retention", arg, 1, usage));
	set_config(o, "retention.ms", strlen("retention.ms"), ms, 1);
}

static void
opt_timeout(struct opts *o, const char *arg)
{
	o->timeout_ms = tel_duration_option("--timeout", arg, 1, usage);
	if (o->timeout_ms > INT_MAX)
		bad_option("--timeout", arg, "too long");
}

static void
topic_option(struct opts *o, int ch, const char *arg)
{
	switch (ch) {
	case 'P':
		o->partitions = (int)tel_num_option("-P", arg, 1,
		    PARTITIONS_MAX, usage);
		break;
	case 'R':
		o->replication = (int)tel_num_option("-R", arg, 1, INT16_MAX,
		    usage);
		break;
	case 'c':
		opt_config(o, arg);
		break;
	case 't':
		add_topic(o, arg);
		break;
	case OPT_RETENTION:
		opt_retention(o, arg);
		break;
	case OPT_TIMEOUT:
		opt_timeout(o, arg);
		break;
	default:
		usage(stderr);
		exit(2);
	}
}

static void
parse_args(int argc, char *argv[], struct opts *o, struct metrics *m)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "F:P:R:VX:b:c:hqt:v", longopts,
	    NULL)) != -1) {
		if (kafka_getopt(&o->k, ch, optarg, usage))
			continue;	/* the Kafka client's, as in every tool */
		if (metrics_getopt(m, ch, optarg, usage))
			continue;
		switch (ch) {
		case 'V':
			printf("tel-mktopic %s (librdkafka %s)\n", TEL_VERSION,
			    rd_kafka_version_str());
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_DESCRIBE:
			o->describe = 1;
			break;
		case OPT_DRY_RUN:
			o->dry_run = 1;
			break;
		default:
			topic_option(o, ch, optarg);
			break;
		}
	}
	if (optind != argc)
		bad_option("argument", argv[optind], "unexpected");
	if (o->ntopics == 0 && !o->describe)
		bad_option("-t", "", "a topic is required");
	if (o->describe && o->dry_run)
		bad_option("--dry-run", "", "makes no sense with --describe");
}

static void
free_opts(struct opts *o)
{
	size_t i;

	for (i = 0; i < o->ncfg; i++) {
		free(o->cfg[i].name);
		free(o->cfg[i].value);
	}
	free(o->cfg);
	free(o->topics);
	kafka_opts_free(&o->k);
}

/* --describe without -t: every topic the broker lists. */
static void
all_topics(struct ctx *c, const rd_kafka_metadata_t *md)
{
	int i;

	for (i = 0; i < md->topic_cnt; i++) {
		if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR)
			add_topic(&c->o, md->topics[i].topic);
	}
}

static void
make_topics(struct ctx *c)
{
	size_t i;

	if ((c->t = calloc(c->o.ntopics, sizeof(*c->t))) == NULL)
		err(1, NULL);
	c->nt = c->o.ntopics;
	for (i = 0; i < c->nt; i++)
		c->t[i].name = c->o.topics[i];
}

static const rd_kafka_metadata_topic_t *
find_topic(const rd_kafka_metadata_t *md, const char *name)
{
	int i;

	for (i = 0; i < md->topic_cnt; i++) {
		if (strcmp(md->topics[i].topic, name) == 0)
			return &md->topics[i];
	}
	return NULL;
}

/* A topic the broker does not list: an error, or one to create. */
static void
classify_missing(const struct ctx *c, struct topic *t,
    const rd_kafka_metadata_t *md)
{
	if (t->res == R_RACED)
		t->res = R_ERROR;	/* "exists", yet not listed: keep why */
	else if (c->o.describe)
		topic_fail(t, "UNKNOWN_TOPIC_OR_PART", "no such topic");
	else if (c->o.replication > md->broker_cnt)
		topic_fail(t, "INVALID_REPLICATION_FACTOR",
		    "replication factor %d exceeds the %d broker(s) available",
		    c->o.replication, md->broker_cnt);
	else
		t->res = R_MISSING;
}

/* Sorts pending (and raced) topics by what the broker's metadata says. */
static void
classify(struct ctx *c, const rd_kafka_metadata_t *md)
{
	const rd_kafka_metadata_topic_t *mt;
	struct topic *t;
	size_t i;

	for (i = 0; i < c->nt; i++) {
		t = &c->t[i];
		if (t->res != R_PENDING && t->res != R_RACED)
			continue;
		mt = find_topic(md, t->name);
		if (mt != NULL && mt->err == RD_KAFKA_RESP_ERR_NO_ERROR)
			topic_found(t, mt);
		else if (mt != NULL &&
		    mt->err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
			topic_fail(t, rd_kafka_err2name(mt->err), "%s",
			    rd_kafka_err2str(mt->err));
		else
			classify_missing(c, t, md);
	}
}

/* The topics in state res, as pointers; their count. */
static size_t
select_topics(struct ctx *c, enum result res, struct topic ***sel)
{
	size_t i, n = 0;

	if ((*sel = calloc(c->nt + 1, sizeof(**sel))) == NULL)
		err(1, NULL);
	for (i = 0; i < c->nt; i++) {
		if (c->t[i].res == res)
			(*sel)[n++] = &c->t[i];
	}
	return n;
}

/*
 * Every topic still waiting gets the same error (no broker answered),
 * said once on stderr.
 */
static void
fail_all(struct ctx *c, const char *code, const char *msg)
{
	size_t i;

	if (c->o.k.verbose >= 0)
		warnx("%s", msg);
	for (i = 0; i < c->nt; i++) {
		if (c->t[i].res == R_PENDING || c->t[i].res == R_RACED) {
			topic_fail(&c->t[i], code, "%s", msg);
			c->t[i].said = 1;
		}
	}
}

/* Metadata, then the topics sorted by it; -1 if no broker answered. */
static int
look(struct ctx *c)
{
	const rd_kafka_metadata_t *md;
	char msg[ERR_MAX];
	int e;

	if ((e = admin_metadata(c, &md, msg, sizeof(msg))) != 0) {
		if (c->t == NULL)
			make_topics(c);
		fail_all(c, rd_kafka_err2name((rd_kafka_resp_err_t)e), msg);
		return -1;
	}
	c->md[c->nmd++] = md;
	if (c->t == NULL) {
		if (c->o.ntopics == 0)
			all_topics(c, md);
		make_topics(c);
	}
	classify(c, md);
	return 0;
}

static void
create_missing(struct ctx *c)
{
	struct topic **sel;
	size_t n;

	if ((n = select_topics(c, R_MISSING, &sel)) > 0)
		admin_create(c, sel, n);
	free(sel);
	if ((n = select_topics(c, R_RACED, &sel)) > 0)
		look(c);	/* created meanwhile by someone else */
	free(sel);
}

static void
describe_existing(struct ctx *c)
{
	struct topic **sel;
	size_t n, i;

	if ((n = select_topics(c, R_EXISTS, &sel)) > 0)
		admin_describe(c, sel, n);
	if (!c->o.describe) {
		for (i = 0; i < n; i++)
			topic_compare(c, sel[i]);
	}
	free(sel);
}

/* One line per topic on stdout; 0 if every topic is as asked. */
static int
finish(struct ctx *c)
{
	int status = 0;
	size_t i;

	for (i = 0; i < c->nt; i++) {
		report_message(c, &c->t[i]);
		if (report(c, &c->t[i]) == -1)
			return 1;
		if (c->t[i].res == R_ERROR || c->t[i].res == R_DIFFERS)
			status = 1;
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warn("stdout");
		return 1;
	}
	return status;
}

/* What became of the topics, for -v and --metrics. */
struct tally {
	uint64_t	topics, created, exists, differs, validated, errors;
};

static void
count(const struct ctx *c, struct tally *n)
{
	size_t i;

	for (i = 0; i < c->nt; i++) {
		n->topics++;
		switch (c->t[i].res) {
		case R_CREATED:
			n->created++;
			break;
		case R_EXISTS:
			n->exists++;
			break;
		case R_DIFFERS:
			n->differs++;
			break;
		case R_VALIDATED:
			n->validated++;
			break;
		default:
			n->errors++;
			break;
		}
	}
}

static void
defaults(struct opts *o)
{
	size_t i;

	for (i = 0; i < o->ncfg; i++) {
		if (strcmp(o->cfg[i].name, "retention.ms") == 0)
			return;
	}
	set_config(o, "retention.ms", strlen("retention.ms"),
	    RETENTION_DEFAULT, 0);
}

int
main(int argc, char *argv[])
{
	struct ctx c;
	struct tally n = { 0 };
	const struct metric table[] = {
		M_COUNTER("topics", &n.topics, "Topics looked at.", 0),
		M_COUNTER("created", &n.created, "Topics created.", 0),
		M_COUNTER("exists", &n.exists, "Topics that exist as asked.", 0),
		M_COUNTER("differs", &n.differs, "Topics that exist but "
		    "differ from what was asked.", 0),
		M_COUNTER("validated", &n.validated, "Topics that would be "
		    "created (--dry-run).", 0),
		M_COUNTER("errors", &n.errors, "Topics that failed.", 0),
		M_SECONDS("seconds"),
	};
	struct metrics met;
	int status, looked;

	memset(&c, 0, sizeof(c));
	c.o.partitions = PARTITIONS_DEFAULT;
	c.o.replication = REPLICATION_DEFAULT;
	c.o.timeout_ms = TIMEOUT_DEFAULT;
	metrics_init(&met, "tel-mktopic");
	parse_args(argc, argv, &c.o, &met);
	defaults(&c.o);
	metrics_start(&met, table, sizeof(table) / sizeof(table[0]), 0);
	signal(SIGPIPE, SIG_IGN);	/* a broken stdout is an error, seen */
	c.deadline = tel_mono_ms() + (int64_t)c.o.timeout_ms;
	admin_open(&c);
	if ((looked = look(&c) == 0)) {
		if (!c.o.describe)
			create_missing(&c);
		describe_existing(&c);
	}
	status = finish(&c) || !looked;
	count(&c, &n);
	metrics_finish(&met, status);
	if (c.o.k.verbose > 0)
		metrics_summary(&met, stderr);
	admin_close(&c);
	free(c.t);
	free_opts(&c.o);
	return status;
}
