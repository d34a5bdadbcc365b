/*
 * tel-gen: realistic streaming-viewer (or truck-sensor) telemetry as
 * NDJSON on stdout.  See tel-gen(1).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "clock.h"
#include "gen.h"
#include "metrics.h"
#include "ndjson.h"
#include "number.h"

#define WINDOW_MS	300000	/* an unpaced run fills the 5 minutes before --start */
#define MAX_SESSIONS	16384

struct config {
	const struct model	*model;
	struct gen_opts		 opts;
	uint64_t		 count;		/* UINT64_MAX: until stopped */
	int64_t			 start_ms;
	double			 rate;		/* events/s; 0: unpaced */
	uint64_t		 duration_ms;
	double			 corrupt;
	int			 seeded, verbose, have_count, have_start;
	uint64_t		 seed;
	struct metrics		 metrics;
};

struct stats {
	uint64_t	events, corrupt;
};

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

/* SIGINT and SIGTERM stop the run, unless they were ignored on entry. */
static void
setup_signals(sigset_t *waitmask)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 2; i++) {
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, NULL, waitmask);
	sigdelset(waitmask, SIGINT);	/* even if blocked on entry */
	sigdelset(waitmask, SIGTERM);
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: tel-gen [-hVv] [-d duration] [-n count] [-r rate] [-s seed]\n"
	    "               [--anomalies fraction] [--corrupt fraction]\n"
	    "               [--customers n] [--metrics file]\n"
	    "               [--metrics-interval duration] [--schema viewer|truck]\n"
	    "               [--sessions n] [--start time] [--titles n] [--trucks n]\n");
}

#define bad_option(o, a, w)	tel_bad_option(o, a, w, usage)
#define num_arg(o, a, lo, hi)	tel_num_option(o, a, lo, hi, usage)

/* --start: RFC 3339, or milliseconds since the epoch. */
static int64_t
time_arg(const char *arg)
{
	const char *errstr;
	int64_t ms;

	if (arg[0] >= '0' && arg[0] <= '9' && strchr(arg, '-') == NULL)
		return (int64_t)num_arg("--start", arg, WINDOW_MS,
		    253402300799999LL);
	if (tel_rfc3339_parse(arg, strlen(arg), &ms, &errstr) == -1)
		bad_option("--start", arg, errstr);
	if (ms < WINDOW_MS || ms > 253402300799999LL)
		bad_option("--start", arg, "out of range");
	return ms;
}

enum { OPT_ANOMALIES = 256, OPT_CORRUPT, OPT_CUSTOMERS, OPT_SCHEMA,
    OPT_SESSIONS, OPT_START, OPT_TITLES, OPT_TRUCKS };

static const struct option longopts[] = {
	{ "anomalies", required_argument, NULL, OPT_ANOMALIES },
	{ "count", required_argument, NULL, 'n' },
	{ "corrupt", required_argument, NULL, OPT_CORRUPT },
	{ "customers", required_argument, NULL, OPT_CUSTOMERS },
	{ "duration", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	METRICS_LONGOPTS,
	{ "rate", required_argument, NULL, 'r' },
	{ "schema", required_argument, NULL, OPT_SCHEMA },
	{ "seed", required_argument, NULL, 's' },
	{ "sessions", required_argument, NULL, OPT_SESSIONS },
	{ "start", required_argument, NULL, OPT_START },
	{ "titles", required_argument, NULL, OPT_TITLES },
	{ "trucks", required_argument, NULL, OPT_TRUCKS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void
parse_args(int argc, char *argv[], struct config *c)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "Vd:hn:r:s:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'V':
			printf("tel-gen %s\n", TEL_VERSION);
			exit(0);
		case 'd':
			c->duration_ms = tel_duration_option("-d", optarg, 0,
			    usage);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'n':
			c->count = num_arg("-n", optarg, 0, 1000000000000LL);
			c->have_count = 1;
			break;
		case 'r':
			c->rate = tel_real_option("-r", optarg, 0.001, 1e7,
			    usage);
			break;
		case 's':
			c->seed = num_arg("-s", optarg, 0, LLONG_MAX);
			c->seeded = 1;
			break;
		case 'v':
			c->verbose = 1;
			break;
		case METRICS_OPT_FILE:
		case METRICS_OPT_INTERVAL:
			metrics_getopt(&c->metrics, ch, optarg, usage);
			break;
		case OPT_ANOMALIES:
			c->opts.anomalies = tel_real_option("--anomalies",
			    optarg, 0, 1, usage);
			break;
		case OPT_CORRUPT:
			c->corrupt = tel_real_option("--corrupt", optarg, 0, 1,
			    usage);
			break;
		case OPT_CUSTOMERS:
			c->opts.customers = num_arg("--customers", optarg, 1,
			    99999999);
			break;
		case OPT_SCHEMA:
			if (strcmp(optarg, "viewer") == 0)
				c->model = &viewer_model;
			else if (strcmp(optarg, "truck") == 0)
				c->model = &truck_model;
			else
				bad_option("--schema", optarg,
				    "unknown schema (viewer or truck)");
			break;
		case OPT_SESSIONS:
			c->opts.sessions = num_arg("--sessions", optarg, 1,
			    MAX_SESSIONS);
			break;
		case OPT_START:
			c->start_ms = time_arg(optarg);
			c->have_start = 1;
			break;
		case OPT_TITLES:
			c->opts.titles = num_arg("--titles", optarg, 1, 999999);
			break;
		case OPT_TRUCKS:
			c->opts.trucks = num_arg("--trucks", optarg, 1, 99999);
			break;
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc)
		bad_option("argument", argv[optind], "unexpected");
	if (c->duration_ms > 0 && c->rate == 0)
		bad_option("-d", "", "needs -r: only a paced run has a duration");
}

/* Enough concurrent sessions that each speaks about every 12 s. */
static uint64_t
default_sessions(double per_second)
{
	double n = per_second * 12;

	if (n < 1)
		return 1;
	return n > MAX_SESSIONS ? MAX_SESSIONS : (uint64_t)n;
}

static void
configure(struct config *c, struct tel_prng *rng)
{
	if (c->seeded)
		tel_prng_seed(rng, c->seed);
	else if (tel_prng_seed_random(rng) == -1)
		err(1, "getrandom");
	if (!c->have_count)	/* like the scheduled generator it replaces */
		c->count = c->rate > 0 ? UINT64_MAX :
		    2000 + tel_prng_below(rng, 23001);
	if (!c->have_start)
		c->start_ms = tel_now_ms();
	if (c->opts.sessions == 0)
		c->opts.sessions = default_sessions(c->rate > 0 ? c->rate :
		    (double)c->count * 1000 / WINDOW_MS);
}

/* Writes one event; returns -1 with errno on a write error. */
static int
emit(const struct config *c, void *m, struct tel_prng *rng,
    struct ndjson_writer *w, int64_t now, struct stats *st)
{
	char *p = ndjson_reserve(w, EVENT_MAX);
	size_t n;

	if (p == NULL)
		return -1;
	n = c->model->event(m, rng, now, p);
	if (c->corrupt > 0 && tel_prng_chance(rng, c->corrupt)) {
		n = corrupt_line(rng, p, n);
		st->corrupt++;
	}
	p[n] = '\n';
	ndjson_commit(w, n + 1);
	st->events++;
	return 0;
}

/* Unpaced: event k falls at a jittered point of its slot in the window. */
static int
run_unpaced(struct config *c, void *m, struct tel_prng *rng,
    struct ndjson_writer *w, struct stats *st)
{
	int64_t t0 = c->start_ms - WINDOW_MS;
	double slot = (double)WINDOW_MS / (double)(c->count ? c->count : 1);
	uint64_t k;

	for (k = 0; k < c->count && !stop_signal; k++) {
		int64_t now = t0 + (int64_t)(((double)k +
		    tel_prng_double(rng)) * slot);

		if (emit(c, m, rng, w, now, st) == -1)
			return -1;
		if ((k & 4095) == 0)
			metrics_tick(&c->metrics);
	}
	return 0;
}

/*
 * Sleeps until the monotonic time due, waking for the metrics when they
 * are due; -1 if a stop signal came first.  Signals are blocked between
 * the check and the wait, so none is missed.
 */
static int
wait_until(const struct timespec *due, const sigset_t *waitmask,
    struct metrics *mt)
{
	struct timespec now, left;
	sigset_t block, old;
	int tmo;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (;;) {
		if (stop_signal)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = due->tv_sec - now.tv_sec;
		left.tv_nsec = due->tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		if (left.tv_sec < 0)
			break;
		if ((tmo = metrics_timeout(mt)) >= 0 &&
		    left.tv_sec * 1000 + left.tv_nsec / 1000000 > tmo) {
			left.tv_sec = tmo / 1000;
			left.tv_nsec = (tmo % 1000) * 1000000L;
		}
		ppoll(NULL, 0, &left, waitmask);
		metrics_tick(mt);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return stop_signal ? -1 : 0;
}

/* Paced: event k is due k/rate seconds after the start, stamped in real time. */
static int
run_paced(struct config *c, void *m, struct tel_prng *rng,
    struct ndjson_writer *w, struct stats *st, const sigset_t *waitmask)
{
	struct timespec t0, due;
	int64_t last = 0, now;
	uint64_t k;
	double at;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0; k < c->count && !stop_signal; k++) {
		at = (double)k / c->rate;
		if (c->duration_ms > 0 && at * 1000 >= (double)c->duration_ms)
			break;
		due.tv_sec = t0.tv_sec + (time_t)at;
		due.tv_nsec = t0.tv_nsec + (long)((at - (double)(time_t)at) * 1e9);
		if (due.tv_nsec >= 1000000000L) {
			due.tv_sec++;
			due.tv_nsec -= 1000000000L;
		}
		if (ndjson_flush(w) == -1)	/* consumers see events on time */
			return -1;
		if (wait_until(&due, waitmask, &c->metrics) == -1)
			break;
		now = tel_now_ms();
		if (now < last)		/* the wall clock stepped back */
			now = last;
		last = now;
		if (emit(c, m, rng, w, now, st) == -1)
			return -1;
	}
	return 0;
}

/* Cut short by a signal: die of it, as the shell reports (128+N). */
static int
cut_short(const struct config *c)
{
	return stop_signal && (c->have_count || c->duration_ms > 0 ||
	    c->rate == 0);
}

int
main(int argc, char *argv[])
{
	struct config c = { .model = &viewer_model, .opts = {
	    .customers = 100000, .titles = 5000, .trucks = 50, .sessions = 0,
	    .anomalies = 0.03 } };
	struct stats st = { 0, 0 };
	struct ndjson_writer w;
	sigset_t waitmask;
	struct tel_prng rng;
	void *m;
	int rc, status;

	metrics_init(&c.metrics, "tel-gen");
	parse_args(argc, argv, &c);
	configure(&c, &rng);
	setup_signals(&waitmask);
	if (ndjson_writer_init(&w, STDOUT_FILENO, 0) == -1)
		err(1, NULL);
	/* declared here: the schema is known only now */
	const struct metric table[] = {
		M_LABEL("schema", c.model->name, 0),
		M_COUNTER("events", &st.events, "Events written to stdout.",
		    METRIC_PROGRESS),
		M_COUNTER("corrupt", &st.corrupt, "Events corrupted on "
		    "purpose (--corrupt).", 0),
		M_COUNTER("bytes", &w.bytes, "Bytes written to stdout.",
		    METRIC_PROGRESS),
		M_SECONDS("seconds"),
		M_RATE("events_per_second", &st.events),
	};
	metrics_start(&c.metrics, table, sizeof(table) / sizeof(table[0]), 1);
	w.interrupt = &stop_signal;	/* a stop ends even a blocked write */
	if ((m = c.model->init(&c.opts, &rng, c.start_ms - WINDOW_MS)) == NULL)
		err(1, NULL);
	rc = c.rate > 0 ? run_paced(&c, m, &rng, &w, &st, &waitmask) :
	    run_unpaced(&c, m, &rng, &w, &st);
	if (rc == 0)
		rc = ndjson_flush(&w);
	if (rc == -1 && errno != EPIPE && !(errno == EINTR && stop_signal))
		warn("stdout");
	if (rc == 0 && close(STDOUT_FILENO) == -1) {
		warn("stdout");
		rc = -1;
	}
	status = cut_short(&c) ? 128 + stop_signal : rc == 0 ? 0 : 1;
	metrics_finish(&c.metrics, status);
	if (c.verbose)
		metrics_summary(&c.metrics, stderr);
	c.model->fini(m);
	ndjson_writer_free(&w);
	if (cut_short(&c)) {
		/* die of the signal, so the caller knows */
		signal(stop_signal, SIG_DFL);
		raise(stop_signal);
	}
	return status;
}
