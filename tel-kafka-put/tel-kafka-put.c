/*
 * tel-kafka-put: NDJSON lines in, one Kafka message per line.  Lines that
 * are rejected or never acknowledged come out on stdout, verbatim, so
 * they can be fed back in.  See tel-kafka-put(1).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "clock.h"
#include "jsonscan.h"
#include "diag.h"
#include "kafka.h"
#include "metrics.h"
#include "ndjson.h"

#define LINE_MAX_DEFAULT	(16 * 1024 * 1024)
#define REPORT_MAX		10	/* delivery failures named one by one */

struct opts {
	struct kafka_opts	 k;
	const char		*topic, *key_field;
	int32_t			 partition;
	uint64_t		 flush_ms, max_line;
	int			 validate;
};

struct stats {
	uint64_t	read, sent, acked, rejected, failed, empty, nokey;
	uint64_t	unsent;		/* read, then given back on a stop */
	uint64_t	bytes;
};

struct put {
	struct opts		 o;
	rd_kafka_t		*rk;
	rd_kafka_topic_t	*rkt;
	struct ndjson_writer	 out;
	struct stats		 st;
	struct metrics		 metrics;
	struct json_member	 key;
	char			*keybuf;
	size_t			 msg_max;
	int			 out_failed;	/* stdout broke: lines lost */
	int			 fatal;
};

static volatile sig_atomic_t got_stop;

static void
on_signal(int sig)
{
	(void)sig;
	got_stop = 1;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: tel-kafka-put [-hqVv] [-b brokers] [-F file] [-k field]\n"
	    "                     [-p partition] [-X prop=value] [-z codec]\n"
	    "                     [--flush-timeout duration] [--max-line size]\n"
	    "                     [--metrics file] [--metrics-interval duration]\n"
	    "                     [--msk-iam] [--no-validate] [--region region]\n"
	    "                     -t topic\n");
}

#define bad_option(o, a, w)	tel_bad_option(o, a, w, usage)

enum { OPT_FLUSH_TIMEOUT = 256, OPT_MAX_LINE, OPT_NO_VALIDATE };

static const struct option longopts[] = {
	{ "brokers", required_argument, NULL, 'b' },
	{ "config", required_argument, NULL, 'F' },
	{ "flush-timeout", required_argument, NULL, OPT_FLUSH_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ "key", required_argument, NULL, 'k' },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	METRICS_LONGOPTS,
	{ "msk-iam", no_argument, NULL, KAFKA_OPT_MSK_IAM },
	{ "no-validate", no_argument, NULL, OPT_NO_VALIDATE },
	{ "partition", required_argument, NULL, 'p' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "region", required_argument, NULL, KAFKA_OPT_REGION },
	{ "topic", required_argument, NULL, 't' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* -z codec: -X compression.codec=codec, in its place among the -X. */
static void
codec_prop(struct kafka_opts *k, const char *s)
{
	static const char *const ok[] = {
		"none", "gzip", "snappy", "lz4", "zstd",
	};
	char prop[64];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (strcmp(s, ok[i]) == 0)
			goto found;
	}
	bad_option("-z", s, "not one of none, gzip, snappy, lz4, zstd");
found:
	snprintf(prop, sizeof(prop), "compression.codec=%s", s);
	if (kafka_opt_X(k, prop) == -1)
		err(1, NULL);
}

static void
parse_args(int argc, char *argv[], struct opts *o, struct metrics *m)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "F:VX:b:hk:p:qt:vz:", longopts,
	    NULL)) != -1) {
		if (kafka_getopt(&o->k, ch, optarg, usage))
			continue;	/* the Kafka client's, as in every tool */
		switch (ch) {
		case 'V':
			printf("tel-kafka-put %s (librdkafka %s)\n", TEL_VERSION,
			    rd_kafka_version_str());
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case 'k':
			o->key_field = optarg;
			break;
		case 'p':
			o->partition = (int32_t)tel_num_option("-p", optarg, 0,
			    INT32_MAX, usage);
			break;
		case 't':
			o->topic = optarg;
			break;
		case 'z':
			codec_prop(&o->k, optarg);
			break;
		case OPT_FLUSH_TIMEOUT:
			o->flush_ms = tel_duration_option("--flush-timeout",
			    optarg, 0, usage);
			break;
		case OPT_MAX_LINE:
			o->max_line = tel_size_option("--max-line", optarg, 1,
			    usage);
			if (o->max_line > 1024 * 1024 * 1024)
				bad_option("--max-line", optarg, "too large");
			break;
		case OPT_NO_VALIDATE:
			o->validate = 0;
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
	if (o->topic == NULL || *o->topic == '\0')
		bad_option("-t", "", "a topic is required");
}

/* A line that did not make it: on stdout, as it came in. */
static void
give_back(struct put *p, const void *line, size_t len)
{
	if (p->out_failed)
		return;
	if (ndjson_put_line(&p->out, line, len) == -1) {
		warn("stdout");
		p->out_failed = 1;
	}
}

static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct put *p = opaque;

	(void)rk;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		p->st.acked++;
		return;
	}
	if (++p->st.failed <= REPORT_MAX)
		warnx("line %llu: not delivered: %s",
		    (unsigned long long)(uintptr_t)m->_private,
		    rd_kafka_err2str(m->err));
	give_back(p, m->payload, m->len);
}

static void
on_error(rd_kafka_t *rk, int e, const char *reason, void *opaque)
{
	struct put *p = opaque;
	char r[512];

	reason = tel_printable_copy(r, sizeof(r), reason);
	/* authentication: fail now, not at message.timeout.ms */
	if (kafka_error_ends(rk, e, reason)) {
		p->fatal = 1;
		got_stop = 1;
		return;
	}
	if (p->o.k.verbose >= 0)
		warnx("kafka: %s", reason);
}

static void
reject(struct put *p, const struct ndjson_line *l, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reject(struct put *p, const struct ndjson_line *l, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warnx("line %llu: %s", (unsigned long long)l->lineno, msg);
	p->st.rejected++;
	if (!l->too_long)
		give_back(p, l->ptr, l->len);
}

/* The message key: the -k field's string (unescaped) or scalar text. */
static int
line_key(struct put *p, const void **key, size_t *klen)
{
	const struct json_member *m = &p->key;

	*key = NULL;
	*klen = 0;
	switch (m->type) {
	case JS_STRING:
		if (!m->escaped) {
			*key = m->val;
			*klen = m->len;
			return 0;
		}
		*klen = json_unescape(m->val, m->len, p->keybuf);
		*key = p->keybuf;
		return 0;
	case JS_NUMBER:
	case JS_TRUE:
	case JS_FALSE:
		*key = m->val;
		*klen = m->len;
		return 0;
	default:
		p->st.nokey++;
		return -1;
	}
}

/*
 * Hands one line to librdkafka, waiting while its queue is full.  A stop
 * while waiting gives the line back.
 */
static void
produce(struct put *p, const struct ndjson_line *l, size_t len)
{
	const void *key = NULL;
	size_t klen = 0;
	rd_kafka_resp_err_t e;

	if (p->o.key_field != NULL)
		line_key(p, &key, &klen);
	for (;;) {
		if (rd_kafka_produce(p->rkt, p->o.partition, RD_KAFKA_MSG_F_COPY,
		    (void *)(uintptr_t)l->ptr, len, key, klen,
		    (void *)(uintptr_t)l->lineno) == 0) {
			p->st.sent++;
			p->st.bytes += len;
			return;
		}
		e = rd_kafka_last_error();
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || got_stop)
			break;
		rd_kafka_poll(p->rk, 100);	/* backpressure */
		metrics_tick(&p->metrics);
	}
	if (e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
		reject(p, l, "%zu bytes: larger than message.max.bytes %zu",
		    len, p->msg_max);
	else if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
		reject(p, l, "not sent: stopped while the queue was full");
	else
		reject(p, l, "not sent: %s", rd_kafka_err2str(e));
}

static void
process_line(struct put *p, const struct ndjson_line *l)
{
	struct json_error e;
	size_t len = l->len, i;
	int top = JS_OBJECT;

	p->st.read++;
	if (l->too_long) {
		reject(p, l, "%llu bytes: longer than --max-line %llu; dropped",
		    (unsigned long long)l->total,
		    (unsigned long long)p->o.max_line);
		return;
	}
	for (i = 0; i < len && strchr(" \t\r", l->ptr[i]) != NULL; i++)
		;
	if (i == len) {
		p->st.empty++;
		return;
	}
	if (p->o.validate || p->o.key_field != NULL)
		top = json_scan(l->ptr, len, &p->key, p->o.key_field ? 1 : 0,
		    &e);
	if (top == -1 && p->o.validate) {
		if (!json_utf8_valid(l->ptr, len))
			reject(p, l, "invalid UTF-8");
		else
			reject(p, l, "invalid JSON: %s at byte %zu", e.msg,
			    e.offset);
		return;
	}
	if (top == -1)
		p->key.type = JS_NONE;
	produce(p, l, len);
}

/* Waits for input while serving delivery reports: 0, or -1 to stop. */
static int
wait_input(struct put *p, struct ndjson_reader *r)
{
	struct pollfd pfd = { r->fd, POLLIN, 0 };
	ssize_t n;

	for (;;) {
		rd_kafka_poll(p->rk, 0);
		if (got_stop)
			return -1;
		if (poll(&pfd, 1, 100) == -1 && errno != EINTR)
			err(1, "poll");
		metrics_tick(&p->metrics);
		if (got_stop)
			return -1;
		if (pfd.revents == 0)
			continue;
		if ((n = ndjson_fill(r)) >= 0)
			return 0;
		if (errno != EINTR && errno != EAGAIN) {
			warn("stdin");
			return -1;
		}
	}
}

static int
read_lines(struct put *p, struct ndjson_reader *r)
{
	struct ndjson_line l;
	unsigned n = 0;
	int rv;

	while (!got_stop) {
		rv = ndjson_next(r, &l);
		if (rv == NDJSON_EOF)
			return 0;
		if (rv == NDJSON_AGAIN) {
			if (wait_input(p, r) == -1)
				return -1;
			continue;
		}
		process_line(p, &l);
		if (++n % 1024 == 0) {
			rd_kafka_poll(p->rk, 0);
			metrics_tick(&p->metrics);
		}
	}
	return -1;
}

/*
 * After a stop, lines read but not sent go back too; what is still in
 * the pipe stays there for whoever reads it next.
 */
static void
give_back_buffered(struct put *p, struct ndjson_reader *r)
{
	struct ndjson_line l;
	uint64_t n = 0;

	while (ndjson_next(r, &l) == NDJSON_LINE) {
		if (l.too_long)
			continue;	/* reported as it is skipped */
		give_back(p, l.ptr, l.len);
		p->st.unsent++;
		n++;
	}
	if (n > 0)
		warnx("%llu lines read but not sent (stopped)",
		    (unsigned long long)n);
	if (r->end > r->start)
		warnx("%zu bytes of a partial line read but not sent",
		    r->end - r->start);
}

/*
 * Waits for every message to be acknowledged or to fail; after a stop,
 * only --flush-timeout more, then the rest is purged and given back.
 */
static void
drain(struct put *p)
{
	int64_t deadline = -1;

	while (rd_kafka_outq_len(p->rk) > 0) {
		if (got_stop && deadline == -1)	/* fatal: no point waiting */
			deadline = tel_mono_ms() + (p->fatal ? 0 :
			    (int64_t)p->o.flush_ms);
		if (deadline != -1 && tel_mono_ms() >= deadline)
			break;
		rd_kafka_flush(p->rk, 100);
		metrics_tick(&p->metrics);
	}
	if (rd_kafka_outq_len(p->rk) == 0)
		return;
	warnx("giving up on %d messages not acknowledged",
	    rd_kafka_outq_len(p->rk));
	rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE |
	    RD_KAFKA_PURGE_F_INFLIGHT);
	/* purged messages come back as failed reports, promptly */
	deadline = tel_mono_ms() + 5000;
	while (p->st.acked + p->st.failed < p->st.sent &&
	    tel_mono_ms() < deadline)
		rd_kafka_poll(p->rk, 100);
	if (p->st.acked + p->st.failed < p->st.sent)
		warnx("%llu messages in an unknown state: not reported back",
		    (unsigned long long)(p->st.sent - p->st.acked -
		    p->st.failed));
}

static const struct kafka_default defaults[] = {
	{ "acks", "all" },
	{ "enable.idempotence", "true" },
	{ "linger.ms", "20" },
	{ "batch.num.messages", "10000" },
	{ "partitioner", "murmur2_random" },	/* as Java clients place keys */
	{ NULL, NULL },
};

static void
setup(struct put *p)
{
	rd_kafka_conf_t *conf;
	char e[512];

	if ((conf = kafka_conf(&p->o.k, defaults, e, sizeof(e))) == NULL)
		errx(2, "%s", e);
	p->msg_max = (size_t)kafka_conf_int(conf, "message.max.bytes", 1000000);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_opaque(conf, p);
	if ((p->rk = kafka_new(RD_KAFKA_PRODUCER, conf, &p->o.k, e,
	    sizeof(e))) == NULL)
		errx(2, "%s", e);
	if ((p->rkt = rd_kafka_topic_new(p->rk, p->o.topic, NULL)) == NULL)
		errx(1, "-t %s: %s", p->o.topic,
		    rd_kafka_err2str(rd_kafka_last_error()));
	if (ndjson_writer_init(&p->out, STDOUT_FILENO, 0) == -1)
		err(1, NULL);
	if (p->o.key_field != NULL) {
		p->key.key = p->o.key_field;
		p->key.keylen = strlen(p->o.key_field);
		if ((p->keybuf = malloc(p->o.max_line)) == NULL)
			err(1, NULL);
	}
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

int
main(int argc, char *argv[])
{
	struct put p;
	struct ndjson_reader r;
	int status;

	memset(&p, 0, sizeof(p));
	p.o.partition = RD_KAFKA_PARTITION_UA;
	p.o.flush_ms = 10000;
	p.o.max_line = LINE_MAX_DEFAULT;
	p.o.validate = 1;
	metrics_init(&p.metrics, "tel-kafka-put");
	parse_args(argc, argv, &p.o, &p.metrics);
	catch_signals();
	/* declared here: the topic is known only now */
	const struct metric table[] = {
		M_LABEL("topic", p.o.topic, 0),
		M_COUNTER("read", &p.st.read, "Lines read from stdin.", 0),
		M_COUNTER("sent", &p.st.sent, "Messages handed to the "
		    "producer.", 0),
		M_COUNTER("acked", &p.st.acked, "Messages acknowledged by the "
		    "brokers.", METRIC_PROGRESS),
		M_COUNTER("rejected", &p.st.rejected, "Lines rejected (not "
		    "JSON, too long, too large), given back on stdout.",
		    METRIC_PROGRESS),
		M_COUNTER("failed", &p.st.failed, "Messages not delivered, "
		    "given back on stdout.", METRIC_PROGRESS),
		M_COUNTER("unsent", &p.st.unsent, "Lines read but not sent "
		    "(stopped), given back on stdout.", 0),
		M_COUNTER("empty", &p.st.empty, "Empty lines skipped.", 0),
		M_COUNTER("unkeyed", &p.st.nokey, "Lines without the -k "
		    "field, sent without a key.", 0),
		M_COUNTER("bytes", &p.st.bytes, "Bytes of the messages sent.",
		    0),
		M_SECONDS("seconds"),
	};
	metrics_start(&p.metrics, table, sizeof(table) / sizeof(table[0]),
	    p.o.k.verbose >= 0);
	setup(&p);
	if (ndjson_reader_init(&r, STDIN_FILENO, p.o.max_line) == -1)
		err(1, NULL);
	if (read_lines(&p, &r) == -1)
		give_back_buffered(&p, &r);
	drain(&p);
	if (ndjson_flush(&p.out) == -1 && !p.out_failed) {
		warn("stdout");
		p.out_failed = 1;
	}
	if (p.st.failed > REPORT_MAX)
		warnx("%llu more lines not delivered",
		    (unsigned long long)(p.st.failed - REPORT_MAX));
	if (p.out_failed && p.st.rejected + p.st.failed > 0)
		warnx("stdout failed: some of the %llu lines not delivered are "
		    "lost", (unsigned long long)(p.st.rejected + p.st.failed));
	status = p.st.rejected + p.st.failed + p.st.unsent > 0 || p.fatal ||
	    p.out_failed || p.st.acked != p.st.sent || got_stop;
	metrics_finish(&p.metrics, status);
	if (p.o.k.verbose > 0)
		metrics_summary(&p.metrics, stderr);
	rd_kafka_topic_destroy(p.rkt);
	rd_kafka_destroy(p.rk);
	ndjson_reader_free(&r);
	ndjson_writer_free(&p.out);
	free(p.keybuf);
	kafka_opts_free(&p.o.k);
	return status;
}
