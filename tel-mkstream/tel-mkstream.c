/*
 * tel-mkstream: makes sure Kinesis data streams exist as asked.  One
 * NDJSON line per stream on stdout says what became of it.  See
 * tel-mkstream(1).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "clock.h"
#include "diag.h"
#include "metrics.h"
#include "mkstream.h"
#include "number.h"

#define SHARDS_DEFAULT		1
#define SHARDS_MAX		100000		/* CreateStream's limit */
#define RETENTION_MIN		24		/* hours, the API's limits */
#define RETENTION_MAX		8760
#define HOUR_MS			3600000ULL
#define WAIT_DEFAULT		"5m"
#define WAIT_DEFAULT_MS		(5 * 60 * 1000)
#define WAIT_MAX_MS		(24 * HOUR_MS)
#define ATTEMPT_MAX_MS		30000		/* one call, at most */

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: tel-mkstream [-hqVv] [-P shards | --on-demand] "
	    "[-t stream ...]\n"
	    "                    [--endpoint url] [--metrics file]\n"
	    "                    [--metrics-interval duration] "
	    "[--profile name]\n"
	    "                    [--region region] [--retention hours]\n"
	    "                    [--wait duration] [stream ...]\n");
}

#define bad_option(o, a, w)	tel_bad_option(o, a, w, usage)

enum { OPT_ON_DEMAND = 256, OPT_RETENTION, OPT_WAIT };

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	KINESIS_LONGOPTS,
	METRICS_LONGOPTS,
	{ "on-demand", no_argument, NULL, OPT_ON_DEMAND },
	{ "quiet", no_argument, NULL, 'q' },
	{ "retention", required_argument, NULL, OPT_RETENTION },
	{ "shards", required_argument, NULL, 'P' },
	{ "stream", required_argument, NULL, 't' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ NULL, 0, NULL, 0 },
};

void
oom(void)
{
	tel_warnx("out of memory");
	exit(1);
}

static void
add_stream(struct opts *o, const char *name)
{
	const char **p;
	size_t i;

	kinesis_stream_option("stream", name, usage);
	for (i = 0; i < o->nstreams; i++) {
		if (strcmp(o->streams[i], name) == 0)
			return;		/* one line per stream */
	}
	if ((p = realloc(o->streams, (o->nstreams + 1) * sizeof(*p))) == NULL)
		oom();
	o->streams = p;
	o->streams[o->nstreams++] = name;
}

/*
 * Hours: a bare number, as the API counts them (so not seconds, as a
 * bare duration is elsewhere), or a duration of whole hours ("7d").
 */
static int
opt_retention(const char *arg)
{
	const char *errstr;
	uint64_t h;

	if (arg[0] != '\0' && strspn(arg, "0123456789") == strlen(arg)) {
		h = (uint64_t)tel_strtonum(arg, 0, RETENTION_MAX + 1, &errstr);
		if (errstr != NULL)
			h = RETENTION_MAX + 1;
	} else {
		h = tel_duration_option("--retention", arg, 1, usage);
		if (h % HOUR_MS != 0)
			bad_option("--retention", arg, "not whole hours");
		h /= HOUR_MS;
	}
	if (h < RETENTION_MIN || h > RETENTION_MAX)
		bad_option("--retention", arg, "not 24 to 8760 hours");
	return (int)h;
}

/* The options that say what to make, and where. */
static void
stream_option(struct opts *o, int ch, const char *arg, int *shards_given)
{
	switch (ch) {
	case 'P':
		o->shards = (int)tel_num_option("-P", arg, 1, SHARDS_MAX,
		    usage);
		*shards_given = 1;
		break;
	case OPT_ON_DEMAND:
		o->on_demand = 1;
		break;
	case OPT_RETENTION:
		o->retention = opt_retention(arg);
		break;
	case OPT_WAIT:
		o->wait_ms = tel_duration_option("--wait", arg, 1000, usage);
		if (o->wait_ms > WAIT_MAX_MS)
			bad_option("--wait", arg, "over 24h");
		o->wait_arg = arg;
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
	int ch, shards_given = 0;

	while ((ch = getopt_long(argc, argv, "P:Vhqt:v", longopts, NULL)) !=
	    -1) {
		if (metrics_getopt(m, ch, optarg, usage))
			continue;
		switch (ch) {
		case 'V':
			printf("tel-mkstream %s\n", TEL_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case 'q':
			o->verbose = -1;
			break;
		case 't':
			add_stream(o, optarg);
			break;
		case 'v':
			if (o->verbose >= 0)
				o->verbose++;
			break;
		default:
			stream_option(o, ch, optarg, &shards_given);
			break;
		}
	}
	if (shards_given && o->on_demand)
		bad_option("--on-demand", "", "not with -P: an on-demand "
		    "stream has as many shards as it needs");
	for (; optind < argc; optind++)
		add_stream(o, argv[optind]);
	if (o->nstreams == 0)
		bad_option("stream", "", "a stream name is required");
}

/* What became of the streams, for -v and --metrics. */
struct tally {
	uint64_t	streams, created, exists, differs, errors;
};

static void
count(const struct stream *s, struct tally *n)
{
	n->streams++;
	if (s->res == R_CREATED)
		n->created++;
	else if (s->res == R_EXISTS)
		n->exists++;
	else if (s->res == R_DIFFERS)
		n->differs++;
	else
		n->errors++;
}

/*
 * Find, or create; wait for ACTIVE; then either set the retention of a
 * stream made now, or hold one that was there against the ask.  A stream
 * that was there is never changed.  Looking first costs a call, but a
 * stream that exists needs no CreateStream (nor the right to call it).
 */
static void
make_stream(struct ctx *c, struct stream *s)
{
	int found, made = 0;

	s->deadline = tel_mono_ms() + (int64_t)c->o.wait_ms;
	if ((found = stream_find(c, s)) == -1)
		return;
	if (!found && (made = stream_create(c, s)) == -1)
		return;
	if (stream_wait(c, s, !found, 0) == -1)
		return;
	if (!made) {
		stream_compare(c, s);
		return;
	}
	if (c->o.retention != 0 && c->o.retention != s->sum.retention &&
	    (stream_set_retention(c, s) == -1 ||
	    stream_wait(c, s, 1, c->o.retention) == -1))
		return;
	s->res = R_CREATED;
}

/*
 * Every stream from i on fails alike, said once (if say): there is no
 * client, or the service did not answer and would not for the next
 * stream either.
 */
static void
fail_rest(struct ctx *c, struct stream *st, size_t i, const char *code,
    const char *msg, int say)
{
	if (say && c->o.verbose >= 0)
		tel_warnx("%s", msg);
	for (; i < c->o.nstreams; i++) {
		stream_fail(&st[i], code, "%s", msg);
		st[i].said = 1;
	}
}

/* Each stream in turn, its line out as soon as it is done. */
static int
run(struct ctx *c, struct stream *st, struct tally *n)
{
	char msg[ERR_MAX];
	size_t i;
	int status = 0, ready;

	for (i = 0; i < c->o.nstreams; i++)
		st[i].name = c->o.streams[i];
	ready = kinesis_init(&c->k, &c->o.k, msg, sizeof(msg)) == 0;
	if (!ready)
		fail_rest(c, st, 0, "_SETUP", msg, 1);
	else if (kinesis_conn_init(&c->conn, &c->k) == -1)
		oom();
	for (i = 0; i < c->o.nstreams; i++) {
		if (st[i].res == R_PENDING)
			make_stream(c, &st[i]);
		if (!st[i].said && strcmp(st[i].code, "_TRANSPORT") == 0)
			fail_rest(c, st, i + 1, st[i].code, st[i].error, 0);
		count(&st[i], n);
		report_message(c, &st[i]);
		if (st[i].res != R_CREATED && st[i].res != R_EXISTS)
			status = 1;
		if (report(c, &st[i]) == -1) {
			status = 1;
			break;
		}
	}
	if (ready) {
		kinesis_conn_free(&c->conn);
		kinesis_free(&c->k);
	}
	return status;
}

int
main(int argc, char *argv[])
{
	struct ctx c;
	struct stream *st;
	struct tally n = { 0 };
	const struct metric table[] = {
		M_COUNTER("streams", &n.streams, "Streams looked at.", 0),
		M_COUNTER("created", &n.created, "Streams created.", 0),
		M_COUNTER("exists", &n.exists, "Streams that exist as "
		    "asked.", 0),
		M_COUNTER("differs", &n.differs, "Streams that exist but "
		    "differ from what was asked.", 0),
		M_COUNTER("errors", &n.errors, "Streams that failed.", 0),
		M_SECONDS("seconds"),
	};
	struct metrics met;
	int status;

	memset(&c, 0, sizeof(c));
	c.o.shards = SHARDS_DEFAULT;
	c.o.wait_ms = WAIT_DEFAULT_MS;
	c.o.wait_arg = WAIT_DEFAULT;
	c.o.k.prog = "tel-mkstream";
	metrics_init(&met, "tel-mkstream");
	parse_args(argc, argv, &c.o, &met);
	c.o.k.trace = c.o.verbose > 1;
	/* one call may not take the whole --wait, nor 30 s */
	c.o.k.timeout_ms = (long)(c.o.wait_ms < ATTEMPT_MAX_MS ?
	    c.o.wait_ms : ATTEMPT_MAX_MS);
	if ((st = calloc(c.o.nstreams, sizeof(*st))) == NULL)
		oom();
	metrics_start(&met, table, sizeof(table) / sizeof(table[0]), 0);
	signal(SIGPIPE, SIG_IGN);	/* a broken stdout is an error, seen */
	status = run(&c, st, &n);
	if (fclose(stdout) == EOF) {
		tel_warn("stdout");
		status = 1;
	}
	metrics_finish(&met, status);
	if (c.o.verbose > 0)
		metrics_summary(&met, stderr);
	free(st);
	free(c.o.streams);
	return status;
}
