/*
 * tel-kafka-cat: Kafka messages in, one NDJSON line per message out.
 * With a group, a message's offset is stored only once its line has been
 * written to stdout, so a crash of this process replays and never skips;
 * with --ack, only once a checkpoint written after the line has come back
 * from the last stage (checkpoint.c), so a crash of any stage replays.  See
 * tel-kafka-cat(1) and tel(7).
 */
#include <err.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cat.h"
#include "clock.h"
#include "number.h"
#include "rfc3339.h"

#define ACK_TIMEOUT_MAX	(24 * 3600 * 1000ULL)
#define CHECKPOINT_MAX	(3600 * 1000ULL)

static volatile sig_atomic_t got_stop, got_signals;

static void
on_signal(int sig)
{
	(void)sig;
	got_stop = 1;
	got_signals++;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: tel-kafka-cat [-EehqVv] [-b brokers] [-c count] [-F file]\n"
	    "                     [-G group] [-o offset] [-p partition]\n"
	    "                     [-X prop=value] [--ack file]\n"
	    "                     [--ack-timeout duration]\n"
	    "                     [--checkpoint-interval duration]\n"
	    "                     [--close-timeout duration]\n"
	    "                     [--metrics file] [--metrics-interval duration]\n"
	    "                     [--msk-iam] [--raw] [--region region]\n"
	    "                     -t topic ...\n");
}

#define bad_option(o, a, w)	tel_bad_option(o, a, w, usage)

enum { OPT_ACK = 256, OPT_ACK_TIMEOUT, OPT_CHECKPOINT_INTERVAL,
    OPT_CLOSE_TIMEOUT, OPT_RAW };

static const struct option longopts[] = {
	{ "ack", required_argument, NULL, OPT_ACK },
	{ "ack-timeout", required_argument, NULL, OPT_ACK_TIMEOUT },
	{ "brokers", required_argument, NULL, 'b' },
	{ "checkpoint-interval", required_argument, NULL,
	    OPT_CHECKPOINT_INTERVAL },
	{ "close-timeout", required_argument, NULL, OPT_CLOSE_TIMEOUT },
	{ "config", required_argument, NULL, 'F' },
	{ "count", required_argument, NULL, 'c' },
	{ "envelope", no_argument, NULL, 'E' },
	{ "exit", no_argument, NULL, 'e' },
	{ "group", required_argument, NULL, 'G' },
	{ "help", no_argument, NULL, 'h' },
	METRICS_LONGOPTS,
	{ "msk-iam", no_argument, NULL, KAFKA_OPT_MSK_IAM },
	{ "offset", required_argument, NULL, 'o' },
	{ "partition", required_argument, NULL, 'p' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "raw", no_argument, NULL, OPT_RAW },
	{ "region", required_argument, NULL, KAFKA_OPT_REGION },
	{ "topic", required_argument, NULL, 't' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* -o beginning|end|stored|N|-N|s@TIME */
static void
parse_offset(struct opts *o, const char *s)
{
	const char *errstr;
	long long n;

	o->offset_given = 1;
	if (strcmp(s, "beginning") == 0)
		o->offset = RD_KAFKA_OFFSET_BEGINNING;
	else if (strcmp(s, "end") == 0)
		o->offset = RD_KAFKA_OFFSET_END;
	else if (strcmp(s, "stored") == 0)
		o->offset = RD_KAFKA_OFFSET_STORED;
	else if (strncmp(s, "s@", 2) == 0) {
		n = tel_strtonum(s + 2, 0, LLONG_MAX, &errstr);
		if (errstr == NULL)
			o->since = n;
		else if (tel_rfc3339_parse(s + 2, strlen(s + 2), &o->since,
		    &errstr) == -1 || o->since < 0)
			bad_option("-o", s, "TIME is neither ms since the epoch "
			    "nor an RFC 3339 time after 1970");
	} else if (s[0] == '-') {
		n = tel_strtonum(s + 1, 1, LLONG_MAX / 2, &errstr);
		if (errstr != NULL)
			bad_option("-o", s, "not a count from the end");
		o->offset = RD_KAFKA_OFFSET_TAIL(n);
	} else {
		n = tel_strtonum(s, 0, LLONG_MAX, &errstr);
		if (errstr != NULL)
			bad_option("-o", s, "expected beginning, end, stored, "
			    "N, -N or s@TIME");
		o->offset = n;
	}
}

/* What -G allows of -o and -p, and the reverse. */
static void
check_args(const struct opts *o)
{
	if (o->group == NULL) {
		if (o->offset == RD_KAFKA_OFFSET_STORED)
			bad_option("-o", "stored", "needs a group (-G)");
		if (o->ack != NULL)
			bad_option("--ack", o->ack, "needs a group (-G): "
			    "without one nothing is committed");
		return;
	}
	if (o->partition != -1)
		bad_option("-G", o->group, "not with -p: the group assigns "
		    "partitions");
	if (o->since != -1 || (o->offset_given &&
	    o->offset != RD_KAFKA_OFFSET_BEGINNING &&
	    o->offset != RD_KAFKA_OFFSET_END &&
	    o->offset != RD_KAFKA_OFFSET_STORED))
		bad_option("-o", "", "with -G only beginning, end or stored "
		    "(where the group has no committed offset)");
}

static void
parse_args(int argc, char *argv[], struct opts *o, struct metrics *m)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "EF:G:VX:b:c:eho:p:qt:v", longopts,
	    NULL)) != -1) {
		if (kafka_getopt(&o->k, ch, optarg, usage))
			continue;	/* the Kafka client's, as in every tool */
		switch (ch) {
		case 'E':
			o->envelope = 1;
			break;
		case 'G':
			o->group = optarg;
			break;
		case 'V':
			printf("tel-kafka-cat %s (librdkafka %s)\n", TEL_VERSION,
			    rd_kafka_version_str());
			exit(0);
		case 'c':
			o->count = tel_num_option("-c", optarg, 1, LLONG_MAX,
			    usage);
			break;
		case 'e':
			o->exit_eof = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'o':
			parse_offset(o, optarg);
			break;
		case 'p':
			o->partition = (int32_t)tel_num_option("-p", optarg, 0,
			    INT32_MAX, usage);
			break;
		case 't':
			if (o->ntopics == MAX_TOPICS)
				bad_option("-t", optarg, "too many topics");
			if (*optarg == '\0')
				bad_option("-t", optarg, "empty topic name");
			o->topics[o->ntopics++] = optarg;
			break;
		case OPT_ACK:
			o->ack = optarg;
			break;
		case OPT_ACK_TIMEOUT:
			o->ack_ms = tel_duration_option("--ack-timeout", optarg,
			    1, usage);
			if (o->ack_ms > ACK_TIMEOUT_MAX)
				bad_option("--ack-timeout", optarg, "over 24h");
			break;
		case OPT_CHECKPOINT_INTERVAL:
			o->checkpoint_ms = tel_duration_option(
			    "--checkpoint-interval", optarg, 1, usage);
			if (o->checkpoint_ms > CHECKPOINT_MAX)
				bad_option("--checkpoint-interval", optarg,
				    "over 1h");
			break;
		case OPT_CLOSE_TIMEOUT:
			o->close_ms = tel_duration_option("--close-timeout",
			    optarg, 1000, usage);
			break;
		case OPT_RAW:
			o->raw = 1;
			break;
		case METRICS_OPT_FILE:
		case METRICS_OPT_INTERVAL:
			metrics_getopt(m, ch, optarg, usage);
			break;
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc)
		bad_option("argument", argv[optind], "unexpected");
	if (o->ntopics == 0)
		bad_option("-t", "", "a topic is required");
	check_args(o);
}

/* Errors that come as messages: ends of partitions, missing topics. */
static void
message_error(struct cat *c, const rd_kafka_message_t *m)
{
	const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL;
	struct part *p;

	switch (m->err) {
	case RD_KAFKA_RESP_ERR__PARTITION_EOF:
		c->st.eofs++;
		p = find_part(c, intern(c, topic), m->partition);
		if (p != NULL)
			p->eof = 1;
		check_done(c);
		return;
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
	case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_INCONSISTENT_GROUP_PROTOCOL:
	case RD_KAFKA_RESP_ERR_INVALID_GROUP_ID:
	case RD_KAFKA_RESP_ERR__INVALID_ARG:
		warnx("%s%s%s", topic ? topic : "", topic ? ": " : "",
		    rd_kafka_message_errstr(m));
		c->failed = 1;
		got_stop = 1;
		return;
	default:
		warnx("%s", rd_kafka_message_errstr(m));
		return;
	}
}

/* Nothing to read: -e may be done, or may wait too long for a group. */
static void
idle(struct cat *c)
{
	if (c->nparts > c->maxparts)
		c->maxparts = c->nparts;
	check_done(c);
	if (c->o.exit_eof && c->o.group != NULL && !c->assigned &&
	    tel_mono_ms() - c->st.began > c->assign_ms) {
		warnx("-G %s: no partitions assigned within %lld s", c->o.group,
		    (long long)c->assign_ms / 1000);
		c->failed = 1;
		got_stop = 1;
	}
}

/* What is due now and then: checkpoints, commits, lag, metrics. */
static void
tick(struct cat *c)
{
	if (c->acking)
		tick_ack(c);
	update_lag(c);
	metrics_tick(&c->metrics);
}

static void
consume(struct cat *c)
{
	rd_kafka_message_t *m;
	unsigned n = 0;

	while (!got_stop && !c->done) {
		if (++n % 1024 == 0)
			tick(c);
		if ((m = rd_kafka_consumer_poll(c->rk, 0)) == NULL) {
			tick(c);
			flush_out(c);	/* idle: let the reader have it */
			if ((m = rd_kafka_consumer_poll(c->rk, 100)) == NULL) {
				idle(c);
				continue;
			}
		}
		if (m->err)
			message_error(c, m);
		else
			emit(c, m);
		rd_kafka_message_destroy(m);
	}
}

/* The -t topics as one label value: "a,b". */
static char *
topic_list(const struct opts *o)
{
	size_t i, n = 1;
	char *s;

	for (i = 0; i < o->ntopics; i++)
		n += strlen(o->topics[i]) + 1;
	if ((s = calloc(1, n)) == NULL)
		err(1, NULL);
	for (i = 0; i < o->ntopics; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, o->topics[i]);
	}
	return s;
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);	/* EPIPE stops us before storing */
}

static void
cleanup(struct cat *c)
{
	size_t i;

	for (i = 0; i < c->nnames; i++)
		free(c->names[i]);
	free(c->names);
	free(c->parts);
	free(c->pend);
	value_buf_free(&c->vb);
	value_buf_free(&c->env);
	free(c->lags);
	if (c->acking)
		ack_free(&c->ack, free);
	ndjson_writer_free(&c->out);
	kafka_opts_free(&c->o.k);
}

/*
 * --ack FILE is opened before anything can fail: the last stage, started
 * by the same shell, waits in its open of the FIFO until then, and a
 * usage error must not leave the pipeline hanging.  The path, or NULL.
 */
static const char *
open_ack_early(int argc, char *argv[], struct ack *a)
{
	const char *path = NULL;
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--ack") == 0 && i + 1 < argc)
			path = argv[i + 1];
		else if (strncmp(argv[i], "--ack=", 6) == 0)
			path = argv[i] + 6;
	}
	if (path == NULL || ack_open(a, path) == -1)
		return NULL;
	return path;
}

int
main(int argc, char *argv[])
{
	struct cat c;
	const char *early;
	char *topics;
	int status;

	memset(&c, 0, sizeof(c));
	c.stop = &got_stop;
	c.signals = &got_signals;
	c.o.offset = RD_KAFKA_OFFSET_BEGINNING;
	c.o.since = -1;
	c.o.partition = -1;
	c.o.close_ms = 10000;
	c.o.ack_ms = 600000;
	c.o.checkpoint_ms = 1000;
	metrics_init(&c.metrics, "tel-kafka-cat");
	early = open_ack_early(argc, argv, &c.ack);
	parse_args(argc, argv, &c.o, &c.metrics);
	if (early != NULL && (c.o.ack == NULL || strcmp(early, c.o.ack) != 0))
		ack_free(&c.ack, free);	/* a topic named --ack, say */
	if (c.o.ack != NULL && (early == NULL || strcmp(early, c.o.ack) != 0) &&
	    ack_open(&c.ack, c.o.ack) == -1)
		err(1, "--ack %s", c.o.ack);
	c.acking = c.o.ack != NULL;
	catch_signals();
	c.st.began = tel_mono_ms();
	topics = topic_list(&c.o);
	/* declared here: the labels are known only now */
	const struct metric table[] = {
		M_LABEL("topic", topics, METRIC_NOJSON),
		M_LABEL("group", c.o.group, METRIC_NOJSON),
		M_COUNTER("messages", &c.st.messages, "Messages consumed.", 0),
		M_COUNTER("lines", &c.st.lines, "Lines written to stdout.",
		    METRIC_PROGRESS),
		M_COUNTER("skipped", &c.st.skipped, "Messages skipped: not "
		    "JSON, or tombstones.", 0),
		M_COUNTER("bytes", &c.st.bytes, "Bytes written to stdout.",
		    METRIC_PROGRESS),
		M_GAUGE("partitions", &c.maxparts, "Most partitions held at "
		    "once.", 0),
		M_COUNTER("checkpoints", &c.ack.sent, "Checkpoints written "
		    "(--ack).", 0),
		M_COUNTER("checkpoints_returned", &c.ack.returned,
		    "Checkpoints that came back and were committed.", 0),
		M_GAUGE("checkpoint_age_seconds", &c.ack.age_s, "Age of the "
		    "oldest checkpoint not yet back.", METRIC_NOJSON),
		M_SECONDS("seconds"),
	};
	metrics_extra(&c.metrics, put_lag, &c);
	metrics_start(&c.metrics, table, sizeof(table) / sizeof(table[0]),
	    c.o.k.verbose >= 0);
	setup(&c);
	if (c.acking && ack_start(&c.ack) == -1)
		errx(1, "--ack: cannot start a thread");
	consume(&c);
	finish(&c);
	status = c.failed || c.st.skipped > 0;
	metrics_finish(&c.metrics, status);
	if (c.o.k.verbose > 0)
		metrics_summary(&c.metrics, stderr);
	cleanup(&c);
	free(topics);
	return status;
}
