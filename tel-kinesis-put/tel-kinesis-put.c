/*
 * tel-kinesis-put: NDJSON lines in, one Kinesis record per line, sent
 * with PutRecords by -j lanes.  Lines that are rejected or never stored
 * come out on stdout, verbatim, so they can be fed back in.  See
 * tel-kinesis-put(1).
 *
 *	tel-kinesis-put.c	options, setup, the end of a run
 *	input.c			lines read, checked, keyed, sorted to lanes
 *	batch.c			a lane's batch and its PutRecords body
 *	lane.c			the lanes: calls, retries, failures
 */
#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "diag.h"
#include "kput.h"

#define LINE_MAX_DEFAULT	(16 * 1024 * 1024)
#define LINE_MAX_MAX		(1024 * 1024 * 1024)
#define LANES_DEFAULT		4

volatile sig_atomic_t kput_stop;

static void
on_signal(int sig)
{
	(void)sig;
	if (kput_stop < 2)
		kput_stop++;	/* the second: give up at once */
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: tel-kinesis-put [-hqVv] [-j lanes] [-k field] [--endpoint url]\n"
	    "                       [--flush-timeout duration] [--hash-key field]\n"
	    "                       [--max-line size] [--metrics file]\n"
	    "                       [--metrics-interval duration] [--no-validate]\n"
	    "                       [--profile name] [--region region]\n"
	    "                       [--retry-timeout duration] -t stream\n");
}

#define bad_option(o, a, w)	tel_bad_option(o, a, w, usage)

enum { OPT_FLUSH_TIMEOUT = 256, OPT_HASH_KEY, OPT_MAX_LINE,
    OPT_NO_VALIDATE, OPT_RETRY_TIMEOUT };

static const struct option longopts[] = {
	{ "flush-timeout", required_argument, NULL, OPT_FLUSH_TIMEOUT },
	{ "hash-key", required_argument, NULL, OPT_HASH_KEY },
	{ "help", no_argument, NULL, 'h' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "key", required_argument, NULL, 'k' },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	KINESIS_LONGOPTS,
	METRICS_LONGOPTS,
	{ "no-validate", no_argument, NULL, OPT_NO_VALIDATE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "retry-timeout", required_argument, NULL, OPT_RETRY_TIMEOUT },
	{ "stream", required_argument, NULL, 't' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const char *
field_option(const char *opt, const char *s)
{
	if (*s == '\0')
		bad_option(opt, s, "an empty member name");
	return s;
}

static void
long_option(struct kput_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case OPT_FLUSH_TIMEOUT:
		o->flush_ms = tel_duration_option("--flush-timeout", arg, 0,
		    usage);
		break;
	case OPT_HASH_KEY:
		o->hash_field = field_option("--hash-key", arg);
		break;
	case OPT_MAX_LINE:
		o->max_line = tel_size_option("--max-line", arg, 1, usage);
		if (o->max_line > LINE_MAX_MAX)
			bad_option("--max-line", arg, "too large");
		break;
	case OPT_NO_VALIDATE:
		o->validate = 0;
		break;
	case OPT_RETRY_TIMEOUT:
		o->retry_ms = tel_duration_option("--retry-timeout", arg, 0,
		    usage);
		break;
	default:
		if (!kinesis_getopt(&o->k, ch, arg, usage)) {
			usage(stderr);
			exit(2);
		}
	}
}

static void
parse_args(int argc, char *argv[], struct kput_opts *o, struct metrics *m)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "Vhj:k:qt:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'V':
			printf("tel-kinesis-put %s\n", TEL_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case 'j':
			o->lanes = (unsigned)tel_num_option("-j", optarg, 1,
			    KPUT_LANES_MAX, usage);
			break;
		case 'k':
			o->key_field = field_option("-k", optarg);
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
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: reads return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a broken stdout is an error, seen */
}

/* The client, stdout, the locks and the lanes with their threads. */
static void
setup(struct kput *p)
{
	char why[512];

	p->o.k.prog = "tel-kinesis-put";
	p->o.k.trace = p->o.verbose > 1;
	p->o.k.stop = &p->abandon;	/* calls end only when we give up */
	if (kinesis_init(&p->k, &p->o.k, why, sizeof(why)) == -1)
		errx(1, "%s", why);
	if (pthread_mutex_init(&p->mu, NULL) != 0 ||
	    pthread_mutex_init(&p->out_mu, NULL) != 0)
		errx(1, "pthread_mutex_init");
	if (ndjson_writer_init(&p->out, STDOUT_FILENO, 0) == -1 ||
	    asprintf(&p->stream_json, "\"StreamName\":\"%s\"",
	    p->o.stream) == -1)
		err(1, NULL);
	p->stream_json_len = strlen(p->stream_json);
	if (lanes_start(p) == -1)
		errx(1, "cannot start the lanes");
}

/* The end's reports on stderr; the exit status. */
static int
finish(struct kput *p)
{
	struct kput_stats *s = &p->st;
	uint64_t lost = s->rejected + s->failed + s->unsent;

	if (ndjson_flush(&p->out) == -1 && !p->out_failed) {
		tel_warn("stdout");
		p->out_failed = 1;
	}
	if (p->reported > KPUT_REPORT_MAX)
		tel_warnx("%llu more lines not delivered",
		    (unsigned long long)(p->reported - KPUT_REPORT_MAX));
	if (p->out_failed && lost > 0)
		tel_warnx("stdout failed: some of the %llu lines not stored "
		    "are lost", (unsigned long long)lost);
	return lost > 0 || p->out_failed || p->read_failed || kput_stop;
}

static void
cleanup(struct kput *p)
{
	free(p->stream_json);
	ndjson_writer_free(&p->out);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->out_mu);
	kinesis_free(&p->k);
}

int
main(int argc, char *argv[])
{
	static struct kput p;
	struct ndjson_reader r;
	int status;

	p.o.lanes = LANES_DEFAULT;
	p.o.flush_ms = 10000;
	p.o.retry_ms = 300000;
	p.o.max_line = LINE_MAX_DEFAULT;
	p.o.validate = 1;
	metrics_init(&p.metrics, "tel-kinesis-put");
	parse_args(argc, argv, &p.o, &p.metrics);
	catch_signals();
	/* declared here: the stream is known only now */
	const struct metric table[] = {
		M_LABEL("stream", p.o.stream, 0),
		M_COUNTER("read", &p.st.read, "Lines read from stdin.", 0),
		M_COUNTER("put", &p.st.put, "Records stored by Kinesis.",
		    METRIC_PROGRESS),
		M_COUNTER("rejected", &p.st.rejected, "Lines rejected (not "
		    "JSON, too long, a bad key), given back on stdout.",
		    METRIC_PROGRESS),
		M_COUNTER("failed", &p.st.failed, "Records not stored after "
		    "retries, given back on stdout.", METRIC_PROGRESS),
		M_COUNTER("unsent", &p.st.unsent, "Lines read but not sent "
		    "(stopped), given back on stdout.", 0),
		M_COUNTER("empty", &p.st.empty, "Empty lines skipped.", 0),
		M_COUNTER("unkeyed", &p.st.unkeyed, "Lines without the -k "
		    "field, sent with a random partition key.", 0),
		M_COUNTER("retried", &p.st.retried, "Records sent again.", 0),
		M_COUNTER("throttled", &p.st.throttled, "Records refused for "
		    "throughput (shard or KMS limits).", 0),
		M_COUNTER("calls", &p.st.calls, "PutRecords calls, retries "
		    "included.", 0),
		M_COUNTER("call_errors", &p.st.call_errors, "PutRecords calls "
		    "that failed as a whole.", 0),
		M_COUNTER("bytes", &p.st.bytes, "Bytes of the records stored.",
		    0),
		M_GAUGE("in_flight", &p.st.in_flight, "Records in calls now.",
		    METRIC_NOJSON),
		M_SECONDS("seconds"),
	};
	metrics_start(&p.metrics, table, sizeof(table) / sizeof(table[0]),
	    p.o.verbose >= 0);
	setup(&p);
	if (metrics_thread_start(&p.metrics, &p.mu) == -1)
		tel_warnx("--metrics: cannot start a thread; written at exit "
		    "only");
	if (ndjson_reader_init(&r, STDIN_FILENO, p.o.max_line) == -1)
		err(1, NULL);
	kput_input(&p, &r);
	lanes_finish(&p);
	status = finish(&p);
	metrics_finish(&p.metrics, status);
	if (p.o.verbose > 0)
		metrics_summary(&p.metrics, stderr);
	ndjson_reader_free(&r);
	cleanup(&p);
	return status;
}
