/*
 * mock-kafka: an in-process Kafka for the offline demo.  It runs
 * librdkafka's mock cluster, creates the topics (the mock does not
 * implement CreateTopics), prints the bootstrap servers on standard
 * output, and serves until SIGINT, SIGTERM or end of standard input.
 * Then it prints one JSON line per topic with the partitions' offsets,
 * so that a caller can check the mock's bounded log dropped nothing.
 *
 * Not a tool: built for `make demo`, never installed.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "args.h"

#define TOPICS_MAX	16
#define QUERY_MS	5000	/* bound on each offsets query at exit */

struct opts {
	const char	*topics[TOPICS_MAX];
	int		 ntopics;
	int		 brokers;
	int		 partitions;
};

static volatile sig_atomic_t stop;

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: mock-kafka [-h] [-n brokers] [-P partitions] "
	    "-t topic ...\n");
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
parse(int argc, char **argv, struct opts *o)
{
	int ch;

	o->brokers = 1;
	o->partitions = 4;
	while ((ch = getopt(argc, argv, "hn:P:t:")) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			exit(0);
		case 'n':
			o->brokers = (int)tel_num_option("-n", optarg, 1, 16,
			    usage);
			break;
		case 'P':
			o->partitions = (int)tel_num_option("-P", optarg, 1,
			    1000, usage);
			break;
		case 't':
			if (o->ntopics == TOPICS_MAX)
				tel_bad_option("-t", optarg, "too many topics",
				    usage);
			/* Kafka's alphabet, which also keeps report() JSON */
			if (*optarg == '\0' || strspn(optarg, "abcdefghijklm"
			    "nopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "._-") != strlen(optarg))
				tel_bad_option("-t", optarg, "not a topic name",
				    usage);
			o->topics[o->ntopics++] = optarg;
			break;
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc || o->ntopics == 0) {
		usage(stderr);
		exit(2);
	}
}

/*
 * The cluster hangs off a client handle; test.mock.num.brokers makes
 * that handle's own bootstrap servers the mock's, which the offsets
 * query at exit needs.
 */
static rd_kafka_t *
cluster_new(const struct opts *o)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;
	char n[16], err[512];

	snprintf(n, sizeof(n), "%d", o->brokers);
	/* warnings and worse: not the notice that the mock is on */
	if (rd_kafka_conf_set(conf, "test.mock.num.brokers", n, err,
	    sizeof(err)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "log_level", "4", err, sizeof(err)) !=
	    RD_KAFKA_CONF_OK)
		errx(1, "%s", err);
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err,
	    sizeof(err))) == NULL)
		errx(1, "%s", err);
	if (rd_kafka_handle_mock_cluster(rk) == NULL)
		errx(1, "librdkafka made no mock cluster");
	return rk;
}

static void
topics_create(rd_kafka_t *rk, const struct opts *o)
{
	rd_kafka_mock_cluster_t *mc = rd_kafka_handle_mock_cluster(rk);
	rd_kafka_resp_err_t e;
	int i, rf = o->brokers < 3 ? o->brokers : 3;

	for (i = 0; i < o->ntopics; i++) {
		e = rd_kafka_mock_topic_create(mc, o->topics[i], o->partitions,
		    rf);
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
			errx(1, "%s: %s", o->topics[i], rd_kafka_err2str(e));
	}
}

/*
 * Serves until a signal or end of input; input itself is ignored.
 * ppoll() that finds input ready leaves a pending signal pending, so
 * that is looked for too.  -1 if standard input failed.
 */
static int
serve(void)
{
	struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
	sigset_t none, pending;
	char buf[512];
	ssize_t n;

	sigemptyset(&none);
	while (!stop) {
		if (ppoll(&pfd, 1, NULL, &none) == -1) {
			if (errno != EINTR)
				err(1, "ppoll");
			continue;
		}
		if (sigpending(&pending) == 0 &&
		    (sigismember(&pending, SIGINT) ||
		    sigismember(&pending, SIGTERM)))
			return 0;
		if ((n = read(STDIN_FILENO, buf, sizeof(buf))) == 0)
			return 0;
		if (n == -1 && errno != EINTR && errno != EAGAIN) {
			warn("stdin");
			return -1;
		}
	}
	return 0;
}

/*
 * One line per topic: the sum over partitions of the low and the high
 * watermark.  A low watermark above 0 means the mock's log (5 MiB or
 * 100000 message sets a partition) dropped its oldest messages.
 */
static int
report(rd_kafka_t *rk, const struct opts *o)
{
	rd_kafka_resp_err_t e;
	int64_t lo, hi, sumlo, sumhi;
	int i, p;

	for (i = 0; i < o->ntopics; i++) {
		sumlo = sumhi = 0;
		for (p = 0; p < o->partitions; p++) {
			e = rd_kafka_query_watermark_offsets(rk, o->topics[i],
			    p, &lo, &hi, QUERY_MS);
			if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
				warnx("%s [%d]: %s", o->topics[i], p,
				    rd_kafka_err2str(e));
				return -1;
			}
			sumlo += lo;
			sumhi += hi;
		}
		printf("{\"topic\":\"%s\",\"partitions\":%d,\"messages\":%"
		    PRId64 ",\"dropped\":%" PRId64 "}\n", o->topics[i],
		    o->partitions, sumhi - sumlo, sumlo);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct sigaction sa;
	sigset_t block;
	rd_kafka_t *rk;
	int rc = 0;

	memset(&o, 0, sizeof(o));
	parse(argc, argv, &o);

	/* blocked but for ppoll(), so that no signal slips between checks */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	rk = cluster_new(&o);
	topics_create(rk, &o);
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(
	    rd_kafka_handle_mock_cluster(rk)));
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	if (serve() == -1)
		rc = 1;
	if (report(rk, &o) == -1)
		rc = 1;
	rd_kafka_destroy(rk);
	if (fclose(stdout) == EOF) {
		warn("stdout");
		rc = 1;
	}
	return rc;
}
