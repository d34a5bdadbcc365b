/*
 * tel-batch: NDJSON records in, sealed gzip batches in a spool directory
 * out, one manifest line per batch on stdout.  Control lines (tel(7))
 * never go into a batch: each is passed on once every batch open when it
 * came is sealed and announced.  See tel-batch(1).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "clock.h"
#include "tel-batch.h"

static volatile sig_atomic_t got_stop, got_seal;

static void
on_signal(int sig)
{
	if (sig == SIGHUP || sig == SIGUSR1)
		got_seal = 1;
	else
		got_stop = 1;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: tel-batch [-hqVv] -d spool [-j threads] [-l level]\n"
	    "                 [--compression none | gzip] [--error-prefix prefix]\n"
	    "                 [--max-age duration] [--max-bytes size]\n"
	    "                 [--max-compressed size] [--max-line size]\n"
	    "                 [--max-open n] [--max-partitions n]\n"
	    "                 [--max-records n] [--metrics file]\n"
	    "                 [--metrics-interval duration] [--name name]\n"
	    "                 [--prefix prefix] [--sync duration] [--time-field field]\n"
	    "                 [--time-format format]\n");
}

#define bad_option(o, a, w)	tel_bad_option(o, a, w, usage)
#define num_arg(o, a, lo, hi)	tel_num_option(o, a, lo, hi, usage)
#define size_arg(o, a, lo)	tel_size_option(o, a, lo, usage)
#define duration_arg(o, a, lo)	tel_duration_option(o, a, lo, usage)

enum { OPT_COMPRESSION = 256, OPT_ERROR_PREFIX, OPT_MAX_AGE, OPT_MAX_BYTES, OPT_MAX_COMPRESSED,
    OPT_MAX_LINE, OPT_MAX_OPEN, OPT_MAX_PARTITIONS, OPT_MAX_RECORDS,
    OPT_NAME, OPT_PREFIX,
    OPT_SYNC, OPT_TIME_FIELD, OPT_TIME_FORMAT };

static const struct option longopts[] = {
	{ "compression", required_argument, NULL, OPT_COMPRESSION },
	{ "error-prefix", required_argument, NULL, OPT_ERROR_PREFIX },
	{ "help", no_argument, NULL, 'h' },
	{ "level", required_argument, NULL, 'l' },
	{ "max-age", required_argument, NULL, OPT_MAX_AGE },
	{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
	{ "max-compressed", required_argument, NULL, OPT_MAX_COMPRESSED },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	{ "max-open", required_argument, NULL, OPT_MAX_OPEN },
	{ "max-partitions", required_argument, NULL, OPT_MAX_PARTITIONS },
	{ "max-records", required_argument, NULL, OPT_MAX_RECORDS },
	METRICS_LONGOPTS,
	{ "name", required_argument, NULL, OPT_NAME },
	{ "prefix", required_argument, NULL, OPT_PREFIX },
	{ "quiet", no_argument, NULL, 'q' },
	{ "spool", required_argument, NULL, 'd' },
	{ "sync", required_argument, NULL, OPT_SYNC },
	{ "threads", required_argument, NULL, 'j' },
	{ "time-field", required_argument, NULL, OPT_TIME_FIELD },
	{ "time-format", required_argument, NULL, OPT_TIME_FORMAT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void
parse_args(int argc, char *argv[], struct opts *o, struct metrics *m)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "Vd:hj:l:qv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'V':
			printf("tel-batch %s\n", TEL_VERSION);
			exit(0);
		case 'd':
			o->spool = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'j':
			o->threads = (int)num_arg("-j", optarg, 0,
			    GZ_THREADS_MAX);
			break;
		case 'l':
			o->level = (int)num_arg("-l", optarg, 0, 9);
			break;
		case 'q':
			o->verbose = -1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case METRICS_OPT_FILE:
		case METRICS_OPT_INTERVAL:
			metrics_getopt(m, ch, optarg, usage);
			break;
		case OPT_COMPRESSION:
			if (strcmp(optarg, "none") != 0 &&
			    strcmp(optarg, "gzip") != 0)
				bad_option("--compression", optarg,
				    "not none or gzip");
			o->plain = strcmp(optarg, "none") == 0;
			break;
		case OPT_ERROR_PREFIX:
			o->error_prefix = optarg;
			break;
		case OPT_MAX_AGE:
			o->max_age = duration_arg("--max-age", optarg, 1);
			break;
		case OPT_MAX_BYTES:
			o->max_bytes = size_arg("--max-bytes", optarg, 1);
			break;
		case OPT_MAX_COMPRESSED:
			o->max_compressed = size_arg("--max-compressed", optarg, 1);
			break;
		case OPT_MAX_LINE:
			o->max_line = size_arg("--max-line", optarg, 1);
			if (o->max_line > 256 * 1024 * 1024)
				bad_option("--max-line", optarg, "too large");
			break;
		case OPT_MAX_OPEN:
			o->max_open = num_arg("--max-open", optarg, 1, 4096);
			break;
		case OPT_MAX_PARTITIONS:
			o->max_partitions = num_arg("--max-partitions", optarg,
			    1, 1000000);
			break;
		case OPT_MAX_RECORDS:
			o->max_records = num_arg("--max-records", optarg, 1,
			    LLONG_MAX);
			break;
		case OPT_NAME:
			o->name = optarg;
			if (*optarg == '\0' || strpbrk(optarg, "/\\%") != NULL ||
			    strlen(optarg) > 64)
				bad_option("--name", optarg,
				    "must be 1-64 bytes without / \\ %");
			break;
		case OPT_PREFIX:
			o->prefix = optarg;
			break;
		case OPT_SYNC:
			o->sync = duration_arg("--sync", optarg, 1);
			break;
		case OPT_TIME_FORMAT:
			o->time_format = optarg;
			break;
		case OPT_TIME_FIELD:
			o->time_field = optarg;
			break;
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc)
		bad_option("argument", argv[optind], "unexpected");
	if (o->spool == NULL)
		bad_option("-d", "", "the spool directory is required");
	if (o->time_format != NULL && o->time_field == NULL)
		bad_option("--time-format", o->time_format,
		    "needs --time-field");
}

/*
 * As many compressing threads as CPUs, up to 4: deflate is the work, and
 * 4 outrun what tel-kafka-cat feeds one pipeline.
 */
static int
default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 4 ? 4 : (int)n;
}

/*
 * A prefix of no partition key expands alike for every record: if the
 * key it makes is one no key may be (a timestamp format of "..", say),
 * that is a usage error, not an error record each.
 */
static void
check_prefix(const struct prefix *p, const char *opt, const char *arg)
{
	char key[4 * KEY_MAX];
	const char *why, *field = NULL;
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (p->parts[i].kind == P_FIELD)
			return;
	}
	if (prefix_eval(p, tel_now_ms(), NULL, "processing-failed", key,
	    sizeof(key), &why, &field) == -2)
		bad_option(opt, arg, why);
}

static void
setup_prefixes(struct ctx *c)
{
	char err[256];
	size_t i;

	if (prefix_parse(c->o.prefix, 0, &c->prefix, c->names, &c->nnames,
	    MAX_FIELDS, err, sizeof(err)) == -1)
		bad_option("--prefix", c->o.prefix, err);
	if (prefix_parse(c->o.error_prefix, 1, &c->eprefix, NULL, &c->nnames,
	    0, err, sizeof(err)) == -1)
		bad_option("--error-prefix", c->o.error_prefix, err);
	check_prefix(&c->prefix, "--prefix", c->o.prefix);
	check_prefix(&c->eprefix, "--error-prefix", c->o.error_prefix);
	/* members: the partition keys, then the time field unless it is one */
	for (c->nm = 0; c->nm < c->nnames; c->nm++) {
		c->m[c->nm].key = c->names[c->nm];
		c->m[c->nm].keylen = strlen(c->names[c->nm]);
	}
	if (c->o.time_field == NULL)
		return;
	for (i = 0; i < c->nnames; i++) {
		if (strcmp(c->names[i], c->o.time_field) == 0)
			break;
	}
	c->time_idx = i;
	if (i == c->nnames) {
		c->m[c->nm].key = c->o.time_field;
		c->m[c->nm++].keylen = strlen(c->o.time_field);
	}
}

/* Seals batches past --max-age, syncs on --sync; returns ms to the next. */
static int
timers(struct ctx *c, int64_t *next_sync)
{
	int64_t now = tel_mono_ms(), wait = -1, left;
	size_t i;
	int dirty = 0;

	flush_all(c, now);
	for (i = c->nopen; i-- > 0;) {
		if (expired(c, i, now))
			seal_slot(c, i);
	}
	for (i = 0; i < c->nopen; i++)
		dirty |= c->open[i]->gz.inlen > 0;
	if (now >= *next_sync) {
		flush_all(c, 0);
		for (i = 0; i < c->nopen; i++) {
			if (batch_sync(c->open[i]) == -1) {
				warn("%s", c->open[i]->path);
				c->failed = 1;
			}
		}
		*next_sync = now + (int64_t)c->o.sync;
		dirty = 0;
	}
	if (dirty)
		wait = *next_sync - now;
	for (i = 0; i < c->nopen; i++) {
		left = c->open[i]->opened + (int64_t)c->o.max_age - now;
		if (wait == -1 || left < wait)
			wait = left;
	}
	return wait < 0 ? -1 : wait > INT_MAX ? INT_MAX : (int)wait;
}

/* Reads stdin until EOF, a stop signal, or trouble; seals on time. */
static void
run(struct ctx *c, struct ndjson_reader *r, const sigset_t *waitmask)
{
	struct ndjson_line l;
	struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
	struct timespec ts, *tp;
	int64_t next_sync = tel_mono_ms() + (int64_t)c->o.sync;
	int rc, wait, mwait;

	while (!got_stop && !c->failed && !c->sp.out_failed) {
		while ((rc = ndjson_next(r, &l)) == NDJSON_LINE) {
			if (process_line(c, &l) == -1) {
				c->failed = 1;
				return;
			}
		}
		if (rc == NDJSON_EOF)
			return;
		if (got_seal) {
			got_seal = 0;
			seal_all(c);
		}
		wait = timers(c, &next_sync);
		if ((mwait = metrics_timeout(&c->metrics)) >= 0 &&
		    (wait == -1 || mwait < wait))
			wait = mwait;
		ts.tv_sec = wait / 1000;
		ts.tv_nsec = (long)(wait % 1000) * 1000000;
		tp = wait >= 0 ? &ts : NULL;
		rc = ppoll(&pfd, 1, tp, waitmask);
		metrics_tick(&c->metrics);
		if (rc == -1) {
			if (errno != EINTR)
				err(1, "poll");
			continue;
		}
		if (pfd.revents != 0 && ndjson_fill(r) == -1 && errno != EINTR &&
		    errno != EAGAIN) {
			warn("stdin");
			c->failed = 1;
		}
	}
}

/* Signals arrive only inside ppoll, so none slips between check and wait. */
static void
setup_signals(sigset_t *waitmask)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1 };
	struct sigaction sa;
	sigset_t block;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	signal(SIGPIPE, SIG_IGN);	/* a broken stdout is an error we report */
	/* a file past the size limit is a write error (EFBIG), on any thread */
	signal(SIGXFSZ, SIG_IGN);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigdelset(waitmask, sigs[i]);	/* even if blocked on entry */
}

int
main(int argc, char *argv[])
{
	struct ctx c = { .o = {
		.name = "tel",
		.prefix = "telemetry/year=!{timestamp:yyyy}/month=!{timestamp:MM}/"
		    "day=!{timestamp:dd}/hour=!{timestamp:HH}/",
		.error_prefix = "errors/!{firehose:error-output-type}/"
		    "year=!{timestamp:yyyy}/month=!{timestamp:MM}/"
		    "day=!{timestamp:dd}/",
		.max_bytes = 128ULL << 20, .max_age = 300000, .sync = 1000,
		.max_open = 64, .max_line = TEL_LINE_MAX_DEFAULT, .level = 6,
		.max_partitions = 500,
		.threads = -1,
	} };
	/* the -v summary and the --metrics file */
	const struct metric table[] = {
		M_COUNTER("lines", &c.st.lines, "Lines read from stdin.", 0),
		M_COUNTER("records", &c.st.records, "Records put into batches.",
		    METRIC_PROGRESS),
		M_COUNTER("errors", &c.st.errors, "Lines put into error "
		    "batches.", 0),
		M_COUNTER("empty", &c.st.empty, "Empty lines skipped.", 0),
		M_COUNTER("batches", &c.sp.sealed, "Batches sealed.",
		    METRIC_PROGRESS),
		M_COUNTER("error_batches", &c.sp.sealed_error, "Error batches "
		    "sealed.", 0),
		M_COUNTER("raw_bytes", &c.sp.raw, "Bytes of records in sealed "
		    "batches, before compression.", 0),
		M_COUNTER("bytes", &c.sp.bytes, "Bytes of sealed batch files.",
		    0),
		M_COUNTER("control_lines", &c.st.control, "Control lines "
		    "(checkpoints) passed on once what came before was sealed.",
		    0),
		M_SECONDS("seconds"),
	};
	struct ndjson_writer out;
	struct ndjson_reader r;
	sigset_t waitmask;
	int status;

	metrics_init(&c.metrics, "tel-batch");
	parse_args(argc, argv, &c.o, &c.metrics);
	setup_prefixes(&c);
	if ((c.open = calloc(c.o.max_open, sizeof(*c.open))) == NULL ||
	    ndjson_reader_init(&r, STDIN_FILENO, c.o.max_line) == -1 ||
	    ndjson_writer_init(&out, STDOUT_FILENO, 0) == -1)
		err(1, NULL);
	if (tel_prng_seed_random(&c.sp.rng) == -1)
		err(1, "getrandom");
	c.sp.level = c.o.level;
	c.sp.threads = c.o.threads >= 0 ? c.o.threads : default_threads();
	c.sp.name = c.o.name;
	c.sp.max_line = c.o.max_line;
	c.sp.plain = c.o.plain;
	c.sp.out = &out;
	setup_signals(&waitmask);
	metrics_start(&c.metrics, table, sizeof(table) / sizeof(table[0]), 1);
	if (spool_open(&c.sp, c.o.spool) == -1) {
		c.failed = 1;
		goto out;
	}
	if (spool_recover(&c.sp) == -1)
		c.recover_failed = 1;	/* said why; the rest goes on */
	run(&c, &r, &waitmask);
	seal_all(&c);
	if (!c.sp.out_failed && close(STDOUT_FILENO) == -1) {
		warn("stdout");
		c.failed = 1;
	}
out:
	status = c.failed || c.recover_failed || c.sp.out_failed ? 1 : 0;
	metrics_finish(&c.metrics, status);
	if (c.o.verbose > 0)
		metrics_summary(&c.metrics, stderr);
	spool_close(&c.sp);
	prefix_free(&c.prefix);
	prefix_free(&c.eprefix);
	ndjson_reader_free(&r);
	ndjson_writer_free(&out);
	free(c.open);
	free(c.rec);
	while (c.nheld > 0)
		free(c.held[--c.nheld].line);
	free(c.held);
	return status;
}
