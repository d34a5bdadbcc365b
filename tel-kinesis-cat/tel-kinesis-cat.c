/*
 * tel-kinesis-cat: the records of a Kinesis data stream, one NDJSON line
 * each, from every shard.  With -G, where each shard was left is kept in
 * a state file once the line is written (state.c), or with --ack once a
 * checkpoint after it has come back from the last stage (checkpoint.c).
 * See tel-kinesis-cat(1) and tel(7).
 */
#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "clock.h"
#include "diag.h"
#include "kcat.h"
#include "number.h"
#include "rfc3339.h"

#define ACK_TIMEOUT_MAX	(24 * 3600 * 1000ULL)
#define CHECKPOINT_MAX	(3600 * 1000ULL)
#define POLL_MAX	(3600 * 1000ULL)

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
	    "usage: tel-kinesis-cat [-EehqVv] [-c count] [-G name] [-o offset]\n"
	    "                       [--ack file] [--ack-timeout duration]\n"
	    "                       [--checkpoint-interval duration]\n"
	    "                       [--endpoint url] [--metrics file]\n"
	    "                       [--metrics-interval duration]\n"
	    "                       [--poll-interval duration] [--profile name]\n"
	    "                       [--raw] [--region region] [--state-dir dir]\n"
	    "                       -t stream\n");
}

#define bad_option(o, a, w)	tel_bad_option(o, a, w, usage)

enum { OPT_ACK = 256, OPT_ACK_TIMEOUT, OPT_CHECKPOINT_INTERVAL,
    OPT_POLL_INTERVAL, OPT_RAW, OPT_STATE_DIR };

static const struct option longopts[] = {
	{ "ack", required_argument, NULL, OPT_ACK },
	{ "ack-timeout", required_argument, NULL, OPT_ACK_TIMEOUT },
	{ "checkpoint-interval", required_argument, NULL,
	    OPT_CHECKPOINT_INTERVAL },
	{ "count", required_argument, NULL, 'c' },
	{ "envelope", no_argument, NULL, 'E' },
	{ "exit", no_argument, NULL, 'e' },
	{ "group", required_argument, NULL, 'G' },
	{ "help", no_argument, NULL, 'h' },
	KINESIS_LONGOPTS,
	METRICS_LONGOPTS,
	{ "offset", required_argument, NULL, 'o' },
	{ "poll-interval", required_argument, NULL, OPT_POLL_INTERVAL },
	{ "quiet", no_argument, NULL, 'q' },
	{ "raw", no_argument, NULL, OPT_RAW },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "stream", required_argument, NULL, 't' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* -o beginning|end|s@TIME */
static void
parse_offset(struct opts *o, const char *s)
{
	const char *errstr;
	long long n;

	if (strcmp(s, "beginning") == 0)
		o->start = START_BEGINNING;
	else if (strcmp(s, "end") == 0)
		o->start = START_END;
	else if (strncmp(s, "s@", 2) == 0) {
		o->start = START_TIME;
		n = tel_strtonum(s + 2, 0, LLONG_MAX, &errstr);
		if (errstr == NULL)
			o->since_ms = n;
		else if (tel_rfc3339_parse(s + 2, strlen(s + 2), &o->since_ms,
		    &errstr) == -1 || o->since_ms < 0)
			bad_option("-o", s, "TIME is neither ms since the epoch "
			    "nor an RFC 3339 time after 1970");
	} else
		bad_option("-o", s, "expected beginning, end or s@TIME");
}

/*
 * A consumer name: a stream's rule without dots, for the state file's
 * name is STREAM.NAME.
 */
static const char *
group_option(const char *s)
{
	if (strchr(s, '.') != NULL)
		bad_option("-G", s, "not 1 to 128 of [a-zA-Z0-9_-]");
	return kinesis_stream_option("-G", s, usage);
}

static uint64_t
duration(const char *opt, const char *arg, uint64_t min, uint64_t max,
    const char *over)
{
	uint64_t ms = tel_duration_option(opt, arg, min, usage);

	if (ms > max)
		bad_option(opt, arg, over);
	return ms;
}

static void
long_option(struct opts *o, int ch, const char *arg)
{
	switch (ch) {
	case OPT_ACK:
		o->ack = arg;
		break;
	case OPT_ACK_TIMEOUT:
		o->ack_ms = duration("--ack-timeout", arg, 1, ACK_TIMEOUT_MAX,
		    "over 24h");
		break;
	case OPT_CHECKPOINT_INTERVAL:
		o->checkpoint_ms = duration("--checkpoint-interval", arg, 1,
		    CHECKPOINT_MAX, "over 1h");
		break;
	case OPT_POLL_INTERVAL:
		o->poll_ms = duration("--poll-interval", arg, 200, POLL_MAX,
		    "over 1h");
		break;
	case OPT_RAW:
		o->raw = 1;
		break;
	case OPT_STATE_DIR:
		o->state_dir = arg;
		break;
	default:
		if (!kinesis_getopt(&o->k, ch, arg, usage)) {
			usage(stderr);
			exit(2);
		}
	}
}

static void
parse_args(int argc, char *argv[], struct opts *o, struct metrics *m)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "EG:Vc:eho:qt:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'E':
			o->envelope = 1;
			break;
		case 'G':
			o->group = group_option(optarg);
			break;
		case 'V':
			printf("tel-kinesis-cat %s\n", TEL_VERSION);
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
		case 'q':
			o->verbose = -1;
			break;
		case 't':
			o->stream = kinesis_stream_option("-t", optarg, usage);
			break;
		case 'v':
			if (o->verbose >= 0)
				o->verbose++;
			break;
		case METRICS_OPT_FILE:
		case METRICS_OPT_INTERVAL:
			metrics_getopt(m, ch, optarg, usage);
			break;
		default:
			long_option(o, ch, optarg);
		}
	}
	if (optind != argc)
		bad_option("argument", argv[optind], "unexpected");
	if (o->stream == NULL)
		bad_option("-t", "", "a stream is required");
	if (o->ack != NULL && o->group == NULL)
		bad_option("--ack", o->ack, "needs a consumer name (-G): "
		    "without one no position is kept");
}

/* The readable shard due soonest: now, or *wait ms from now. */
static struct shard *
next_due(struct kcat *c, int64_t *wait)
{
	struct shard *best = NULL;
	int64_t now = tel_mono_ms();
	size_t i;

	for (i = 0; i < c->nsh; i++) {
		struct shard *s = &c->sh[i];

		if (readable(c, s) && (best == NULL || s->next_at <
		    best->next_at))
			best = s;
	}
	*wait = best == NULL ? 100 : best->next_at - now;
	return best != NULL && best->next_at <= now ? best : NULL;
}

static void
tick(struct kcat *c)
{
	size_t i;

	c->max_behind_ms = 0;
	for (i = 0; i < c->nsh; i++)
		if (readable(c, &c->sh[i]) &&
		    c->sh[i].behind_ms > c->max_behind_ms)
			c->max_behind_ms = c->sh[i].behind_ms;
	if (c->acking || c->state_path != NULL)
		tick_ack(c);
	metrics_tick(&c->metrics);
}

/*
 * -e: every shard caught up.  The shards are then listed once more, so
 * that one born since (a split) is read too; without an answer, later.
 */
static int
finished(struct kcat *c)
{
	if (!c->o.exit_eof || !all_caught_up(c))
		return 0;
	switch (relist_shards(c)) {
	case -1:
		c->failed = 1;
		return 1;
	case 1:
		return 0;	/* no answer: later */
	}
	return all_caught_up(c);
}

static void
idle_wait(struct kcat *c, int64_t wait)
{
	struct timespec ts;

	flush_out(c);		/* idle: let the reader have it */
	tick(c);
	if (wait > 100)
		wait = 100;
	if (wait <= 0)
		return;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)wait * 1000000L;
	nanosleep(&ts, NULL);
}

static void
consume(struct kcat *c)
{
	struct shard *s;
	int64_t wait;

	while (!got_stop && !c->done) {
		if (c->relist && relist_shards(c) == -1) {
			c->failed = 1;
			break;
		}
		if ((s = next_due(c, &wait)) != NULL) {
			poll_shard(c, s);
			tick(c);
			continue;
		}
		if (finished(c))
			break;
		idle_wait(c, wait);
	}
}

static void
put_behind(const struct metrics *m, FILE *fp, void *arg)
{
	const struct kcat *c = arg;
	char labels[256], v[32];
	size_t i, n = 0;

	for (i = 0; i < c->nsh; i++) {
		const struct shard *s = &c->sh[i];

		if (!s->listed || s->ended)
			continue;
		if (n++ == 0)
			metrics_put_header(m, fp, "millis_behind_latest", "",
			    "gauge", "How far the last read was behind the "
			    "shard's tip (the iterator age), per open shard.");
		snprintf(labels, sizeof(labels), "shard=\"%s\"", s->id);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)s->behind_ms);
		metrics_put_sample(m, fp, "millis_behind_latest", "", labels, v);
	}
}

static void
setup(struct kcat *c)
{
	char why[512];

	c->o.k.prog = "tel-kinesis-cat";
	c->o.k.trace = c->o.verbose > 1;
	c->o.k.stop = &got_stop;
	if (kinesis_init(&c->k, &c->o.k, why, sizeof(why)) == -1)
		errx(1, "%s", why);
	if (kinesis_conn_init(&c->conn, &c->k) == -1 ||
	    ndjson_writer_init(&c->out, STDOUT_FILENO, 0) == -1)
		err(1, NULL);
	if (c->o.group != NULL && state_open(c) == -1)
		exit(1);
	if (list_shards(c, 0) != 0)
		exit(1);
	c->last_save = tel_mono_ms();
}

static void
finish(struct kcat *c)
{
	if (c->acking)
		ack_finish(c);
	else if (c->state_path != NULL)
		keep_written(c);
	flush_out(c);
	if (!c->out_closed && close(STDOUT_FILENO) == -1 && !c->out_broken) {
		tel_warn("stdout");
		c->failed = 1;
	}
	c->out_closed = 1;
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
	signal(SIGPIPE, SIG_IGN);	/* EPIPE stops us before keeping */
}

static void
cleanup(struct kcat *c)
{
	size_t i;

	for (i = 0; i < c->nsh; i++)
		free(c->sh[i].iter);
	free(c->sh);
	free(c->data);
	value_buf_free(&c->vb);
	value_buf_free(&c->env);
	if (c->acking)
		ack_free(&c->ack, free_payload);
	state_close(c);
	ndjson_writer_free(&c->out);
	kinesis_conn_free(&c->conn);
	kinesis_free(&c->k);
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

static void
defaults(struct kcat *c)
{
	memset(c, 0, sizeof(*c));
	c->stop = &got_stop;
	c->signals = &got_signals;
	c->lockfd = -1;
	c->o.poll_ms = 1000;
	c->o.ack_ms = 600000;
	c->o.checkpoint_ms = 1000;
}

int
main(int argc, char *argv[])
{
	struct kcat c;
	const char *early;
	int status;

	defaults(&c);
	metrics_init(&c.metrics, "tel-kinesis-cat");
	early = open_ack_early(argc, argv, &c.ack);
	parse_args(argc, argv, &c.o, &c.metrics);
	if (early != NULL && (c.o.ack == NULL || strcmp(early, c.o.ack) != 0))
		ack_free(&c.ack, NULL);	/* a stream named --ack, say */
	if (c.o.ack != NULL && (early == NULL || strcmp(early, c.o.ack) != 0) &&
	    ack_open(&c.ack, c.o.ack) == -1)
		err(1, "--ack %s", c.o.ack);
	c.acking = c.o.ack != NULL;
	catch_signals();
	/* declared here: the labels are known only now */
	const struct metric table[] = {
		M_LABEL("stream", c.o.stream, METRIC_NOJSON),
		M_LABEL("consumer", c.o.group, METRIC_NOJSON),
		M_COUNTER("records", &c.st.records, "Kinesis records read.", 0),
		M_COUNTER("lines", &c.st.lines, "Lines written to stdout.",
		    METRIC_PROGRESS),
		M_COUNTER("skipped", &c.st.skipped, "Records skipped: not "
		    "JSON.", 0),
		M_COUNTER("corrupt", &c.st.errors, "Corrupt KPL aggregates, "
		    "handed on as error lines.", 0),
		M_COUNTER("bytes", &c.st.bytes, "Bytes written to stdout.",
		    METRIC_PROGRESS),
		M_COUNTER("calls", &c.st.calls, "Kinesis API calls.", 0),
		M_COUNTER("throttled", &c.st.throttled, "Calls throttled "
		    "(ProvisionedThroughputExceeded).", 0),
		M_GAUGE("shards", &c.st.shards, "Shards listed.", 0),
		M_GAUGE("millis_behind_latest_max", &c.max_behind_ms, "The "
		    "most any open shard is behind its tip.", 0),
		M_COUNTER("checkpoints", &c.ack.sent, "Checkpoints written "
		    "(--ack).", 0),
		M_COUNTER("checkpoints_returned", &c.ack.returned,
		    "Checkpoints that came back and were kept.", 0),
		M_COUNTER("state_saves", &c.st.saves, "State file writes.", 0),
		M_SECONDS("seconds"),
	};
	metrics_extra(&c.metrics, put_behind, &c);
	metrics_start(&c.metrics, table, sizeof(table) / sizeof(table[0]),
	    c.o.verbose >= 0);
	setup(&c);
	if (c.acking && ack_start(&c.ack) == -1)
		errx(1, "--ack: cannot start a thread");
	consume(&c);
	finish(&c);
	status = c.failed || c.st.skipped > 0 || c.st.errors > 0;
	metrics_finish(&c.metrics, status);
	if (c.o.verbose > 0)
		metrics_summary(&c.metrics, stderr);
	cleanup(&c);
	return status;
}
