/*
 * tel-kafka-cat: Kafka messages in, one NDJSON line per message out.
 * With a group, a message's offset is stored only once its line has been
 * written to stdout, so a crash of this process replays and never skips;
 * with --ack, only once a checkpoint written after the line has come back
 * from the last stage (ack.c), so a crash of any stage replays.  See
 * tel-kafka-cat(1) and tel(7).
 */
#include <err.h>
#include <fcntl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ack.h"
#include "args.h"
#include "control.h"
#include "jsonscan.h"
#include "kafka.h"
#include "metrics.h"
#include "ndjson.h"
#include "number.h"
#include "rfc3339.h"
#include "value.h"

#define MAX_TOPICS	64
#define SETTLE_MS	3000	/* -G -e: no rebalance for this long */
#define ACK_TIMEOUT_MAX	(24 * 3600 * 1000ULL)
#define CHECKPOINT_MAX	(3600 * 1000ULL)

struct opts {
	struct kafka_opts	 k;
	const char		*topics[MAX_TOPICS];
	size_t			 ntopics;
	const char		*group;
	int64_t			 offset;	/* RD_KAFKA_OFFSET_* or >= 0 */
	int64_t			 since;		/* s@TIME in ms, or -1 */
	int32_t			 partition;	/* -p, or -1 for all */
	uint64_t		 count, close_ms;
	const char		*ack;		/* --ack FILE */
	uint64_t		 ack_ms, checkpoint_ms;
	int			 exit_eof, envelope, raw, offset_given;
};

struct part {
	const char	*topic;		/* interned */
	int32_t		 partition;
	int		 eof;
	int		 dirty;		/* --ack: lines since the checkpoint */
	int64_t		 next;		/* --ack: last line's offset + 1 */
	int64_t		 pos;		/* last message's offset + 1, or -1 */
};

/* A partition's lag behind its high watermark, as last seen. */
struct lag {
	const char	*topic;		/* interned */
	int32_t		 partition;
	int64_t		 lag;
};

struct pend {
	const char	*topic;
	int32_t		 partition;
	int64_t		 next;		/* offset to store: last written + 1 */
};

struct stats {
	uint64_t	messages, lines, skipped, bytes, eofs;
	int64_t		began;
};

struct cat {
	struct opts		 o;
	rd_kafka_t		*rk;
	struct ndjson_writer	 out;
	char			*line, *env;	/* rendered value, envelope */
	size_t			 linecap, envcap;
	struct part		*parts;		/* the current assignment */
	size_t			 nparts, capparts;
	struct pend		*pend;		/* buffered, not yet stored */
	size_t			 npend, cappend;
	char			**names;	/* interned topic names */
	size_t			 nnames;
	struct stats		 st;
	struct metrics		 metrics;
	int			 assigned;	/* an assignment has been seen */
	int			 coop;		/* cooperative rebalancing */
	int64_t			 rebalanced;	/* when, monotonic ms */
	uint64_t		 maxparts;	/* most partitions held */
	int64_t			 assign_ms;	/* -G -e: give up unassigned */
	int			 done, failed, out_broken;
	int			 closing;	/* the final commit is under way */
	struct ack		 ack;		/* --ack */
	int			 acking, out_closed, ack_warned;
	int64_t			 last_checkpoint;	/* monotonic ms */
	struct ack_pos		*pos;		/* a checkpoint's positions */
	size_t			 cappos;
	struct lag		*lags;		/* --metrics, kept past a revoke */
	size_t			 nlags;
	int64_t			 lag_at;	/* when, monotonic ms */
};

static volatile sig_atomic_t got_stop, got_signals;

static void
on_signal(int sig)
{
	(void)sig;
	got_stop = 1;
	got_signals++;
}

static void
on_alarm(int sig)
{
	static const char msg[] = "tel-kafka-cat: close timed out\n";

	(void)sig;
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
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

/* Topic names live as long as the run, so pointers can be compared. */
static const char *
intern(struct cat *c, const char *name)
{
	char **p;
	size_t i;

	for (i = 0; i < c->nnames; i++) {
		if (strcmp(c->names[i], name) == 0)
			return c->names[i];
	}
	if ((p = realloc(c->names, (c->nnames + 1) * sizeof(*p))) == NULL ||
	    (p[c->nnames] = strdup(name)) == NULL)
		err(1, NULL);
	c->names = p;
	return c->names[c->nnames++];
}

static struct part *
find_part(struct cat *c, const char *topic, int32_t partition)
{
	size_t i;

	for (i = 0; i < c->nparts; i++) {
		if (c->parts[i].topic == topic &&
		    c->parts[i].partition == partition)
			return &c->parts[i];
	}
	return NULL;
}

static void
track_add(struct cat *c, const rd_kafka_topic_partition_list_t *l)
{
	const char *t;
	int i;

	for (i = 0; i < l->cnt; i++) {
		t = intern(c, l->elems[i].topic);
		if (find_part(c, t, l->elems[i].partition) != NULL)
			continue;
		if (c->nparts == c->capparts) {
			c->capparts = c->capparts ? 2 * c->capparts : 16;
			c->parts = reallocarray(c->parts, c->capparts,
			    sizeof(*c->parts));
			if (c->parts == NULL)
				err(1, NULL);
		}
		memset(&c->parts[c->nparts], 0, sizeof(c->parts[0]));
		c->parts[c->nparts].topic = t;
		c->parts[c->nparts].partition = l->elems[i].partition;
		c->parts[c->nparts++].pos = -1;
	}
	c->assigned = 1;
}

static void
track_remove(struct cat *c, const rd_kafka_topic_partition_list_t *l)
{
	struct part *p;
	int i;

	for (i = 0; i < l->cnt; i++) {
		p = find_part(c, intern(c, l->elems[i].topic),
		    l->elems[i].partition);
		if (p != NULL)
			*p = c->parts[--c->nparts];
	}
}

/*
 * -e: done once every assigned partition sits at its end.  A member the
 * group gives nothing waits for the group to settle first: cooperative
 * rebalancing hands out partitions in a second round.
 */
static void
check_done(struct cat *c)
{
	int64_t quiet = tel_mono_ms() - c->rebalanced;
	size_t i;

	if (!c->o.exit_eof || !c->assigned)
		return;
	for (i = 0; i < c->nparts; i++) {
		if (!c->parts[i].eof)
			return;
	}
	if (c->o.group != NULL && quiet < (c->nparts == 0 ? SETTLE_MS :
	    c->coop ? SETTLE_MS / 3 : 0))
		return;
	c->done = 1;
}

/* Remembers that a line for this message sits in the output buffer. */
static void
pend_add(struct cat *c, const char *topic, int32_t partition, int64_t off)
{
	struct pend *p = c->npend ? &c->pend[c->npend - 1] : NULL;

	if (p != NULL && p->topic == topic && p->partition == partition) {
		p->next = off + 1;
		return;
	}
	if (c->npend == c->cappend) {
		c->cappend = c->cappend ? 2 * c->cappend : 64;
		if ((c->pend = reallocarray(c->pend, c->cappend,
		    sizeof(*c->pend))) == NULL)
			err(1, NULL);
	}
	c->pend[c->npend].topic = topic;
	c->pend[c->npend].partition = partition;
	c->pend[c->npend++].next = off + 1;
}

/* Stores the offsets of lines now written; later entries win. */
static void
store_pending(struct cat *c)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_topic_partition_t *e;
	rd_kafka_resp_err_t r;
	size_t i;

	if (c->npend == 0)
		return;
	if (c->o.group == NULL) {
		c->npend = 0;
		return;
	}
	l = rd_kafka_topic_partition_list_new((int)c->npend);
	for (i = 0; i < c->npend; i++) {
		e = rd_kafka_topic_partition_list_find(l, c->pend[i].topic,
		    c->pend[i].partition);
		if (e == NULL)
			e = rd_kafka_topic_partition_list_add(l,
			    c->pend[i].topic, c->pend[i].partition);
		e->offset = c->pend[i].next;
	}
	c->npend = 0;
	r = rd_kafka_offsets_store(c->rk, l);
	if (r != RD_KAFKA_RESP_ERR_NO_ERROR && c->o.k.verbose > 0)
		warnx("storing offsets: %s", rd_kafka_err2str(r));
	rd_kafka_topic_partition_list_destroy(l);
}

/*
 * Writes out the buffered lines, then stores their offsets.  On a write
 * error nothing more is stored: those lines may not have been written.
 */
static int
flush_out(struct cat *c)
{
	if (c->out_broken || c->out_closed)
		return -1;
	if (ndjson_flush(&c->out) == -1) {
		warn("stdout");
		c->out_broken = 1;
		c->failed = 1;
		c->npend = 0;
		got_stop = 1;
		return -1;
	}
	store_pending(c);
	return 0;
}

/* Room to render n bytes; NULL if there is not that much memory. */
static char *
line_room(struct cat *c, size_t n)
{
	if (n > c->linecap) {
		free(c->line);
		c->linecap = 0;
		if ((c->line = malloc(n)) == NULL)
			return NULL;
		c->linecap = n;
	}
	return c->line;
}

/*
 * The value as line text: JSON as it is (compacted if it spans lines),
 * else with --raw a JSON string.  NULL if the message is to be skipped.
 */
static const char *
render_value(struct cat *c, const rd_kafka_message_t *m, size_t *n,
    char *why, size_t whysz)
{
	struct json_error e;
	const char *v = m->payload;

	if (v == NULL) {
		if (!c->o.raw) {
			snprintf(why, whysz, "no value (a tombstone)");
			return NULL;
		}
		*n = 4;
		return "null";
	}
	if (json_scan(v, m->len, NULL, 0, &e) == -1) {
		if (!c->o.raw) {
			if (!json_utf8_valid(v, m->len))
				snprintf(why, whysz, "not JSON: invalid UTF-8");
			else
				snprintf(why, whysz, "not JSON: %s at byte %zu",
				    e.msg, e.offset);
			return NULL;
		}
		if (line_room(c, VALUE_STRING_MAX(m->len)) == NULL)
			goto nomem;
		*n = value_string(v, m->len, c->line);
		return c->line;
	}
	if (control_reserved(v, m->len)) {
		/* a filter could make it a control line: never a record */
		if (!c->o.raw) {
			snprintf(why, whysz, "a top-level \"%s\" member, "
			    "which tel(7) reserves", CONTROL_MEMBER);
			return NULL;
		}
		if (line_room(c, VALUE_STRING_MAX(m->len)) == NULL)
			goto nomem;
		*n = value_string(v, m->len, c->line);
		return c->line;
	}
	*n = m->len;
	if (!value_multiline(v, m->len))
		return v;
	if (line_room(c, m->len) == NULL)
		goto nomem;
	*n = value_compact(v, m->len, c->line);
	return c->line;
nomem:
	/* skipped, not fatal: else the same message stops every run */
	snprintf(why, whysz, "%zu bytes: no memory to render it", m->len);
	return NULL;
}

/* -E: the message's coordinates around its value, in a second buffer. */
static const char *
envelope(struct cat *c, const rd_kafka_message_t *m, const char *v,
    size_t *n)
{
	rd_kafka_timestamp_type_t tt;
	const char *topic = rd_kafka_topic_name(m->rkt);
	size_t need = 128 + VALUE_STRING_MAX(strlen(topic)) +
	    VALUE_STRING_MAX(m->key_len) + *n, o;
	int64_t ts = rd_kafka_message_timestamp(m, &tt);
	char *buf;

	if (need > c->envcap) {
		free(c->env);
		if ((c->env = malloc(need)) == NULL)
			err(1, NULL);
		c->envcap = need;
	}
	buf = c->env;
	o = (size_t)sprintf(buf, "{\"topic\":");
	o += value_string(topic, strlen(topic), buf + o);
	o += (size_t)sprintf(buf + o, ",\"partition\":%" PRId32 ",\"offset\":%"
	    PRId64 ",\"timestamp\":", m->partition, m->offset);
	o += (size_t)(ts == -1 ? sprintf(buf + o, "null") :
	    sprintf(buf + o, "%" PRId64, ts));
	o += (size_t)sprintf(buf + o, ",\"key\":");
	if (m->key == NULL)
		o += (size_t)sprintf(buf + o, "null");
	else
		o += value_string(m->key, m->key_len, buf + o);
	o += (size_t)sprintf(buf + o, ",\"value\":");
	memcpy(buf + o, v, *n);
	o += *n;
	buf[o++] = '}';
	*n = o;
	return buf;
}

/*
 * A message is dealt with: its offset is stored once its line is out
 * (pend_add), or with --ack noted for the next checkpoint.  A message of
 * a partition no longer held is read again by its owner.
 */
static void
advance(struct cat *c, struct part *p, const char *topic, int32_t partition,
    int64_t off)
{
	if (p != NULL)
		p->pos = off + 1;
	if (!c->acking) {
		pend_add(c, topic, partition, off);
		return;
	}
	if (p != NULL) {
		p->next = off + 1;
		p->dirty = 1;
	}
}

/* Buffers a line; -1 if stdout broke (then nothing more is stored). */
static int
put_line(struct cat *c, const char *v, size_t n)
{
	if (c->out.len + n + 1 > c->out.cap && flush_out(c) == -1)
		return -1;
	if (ndjson_put_line(&c->out, v, n) == -1) {
		warn("stdout");
		c->out_broken = c->failed = 1;
		c->npend = 0;
		got_stop = 1;
		return -1;
	}
	return 0;
}

/*
 * --ack: a checkpoint after the lines written since the last one, with
 * the offsets it covers; none if no partition moved (but for a flush).
 */
static void
checkpoint(struct cat *c, int64_t now, int flush)
{
	char line[CONTROL_CHECKPOINT_MAX];
	size_t i, n = 0, len;

	c->last_checkpoint = now;
	if (c->out_broken || c->out_closed)
		return;
	if (c->cappos < c->nparts) {
		free(c->pos);
		if ((c->pos = calloc(c->nparts, sizeof(*c->pos))) == NULL)
			err(1, NULL);
		c->cappos = c->nparts;
	}
	for (i = 0; i < c->nparts; i++) {
		if (!c->parts[i].dirty)
			continue;
		c->pos[n].topic = c->parts[i].topic;
		c->pos[n].partition = c->parts[i].partition;
		c->pos[n++].next = c->parts[i].next;
		c->parts[i].dirty = 0;
	}
	/* the last one also when only earlier ones are out: it flushes them */
	if (n == 0 && !(flush && c->ack.n > 0))
		return;
	if ((len = ack_checkpoint(&c->ack, c->pos, n, line, now, flush)) == 0)
		err(1, NULL);
	put_line(c, line, len);
}

/* Commits the offsets that returned checkpoints cover. */
static void
commit_returned(struct cat *c)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;

	if ((l = ack_take(&c->ack)) == NULL)
		return;
	if (l->cnt > 0) {
		/* stored too: the commit at close includes them */
		if ((e = rd_kafka_offsets_store(c->rk, l)) != 0 &&
		    c->o.k.verbose > 0)
			warnx("storing offsets: %s", rd_kafka_err2str(e));
		rd_kafka_commit(c->rk, l, 1);
	}
	if (c->o.k.verbose > 0)
		warnx("checkpoint %llu came back: %d partitions committed",
		    (unsigned long long)c->ack.applied, l->cnt);
	rd_kafka_topic_partition_list_destroy(l);
}

/*
 * Checkpoints that do not come back: said once after --ack-timeout (and
 * -e gives up: nothing read from now on could be committed); FILE closed
 * by its writer: nothing can come back any more.
 */
/* The oldest checkpoint not back, and its age (also for --metrics). */
static uint64_t
oldest(struct cat *c, int64_t now, int64_t *age)
{
	uint64_t seq = ack_oldest(&c->ack, now, age);

	c->ack.age_s = (uint64_t)*age / 1000;
	return seq;
}

static void
watch_acks(struct cat *c, int64_t now)
{
	int64_t age;
	uint64_t seq = oldest(c, now, &age);
	int state = atomic_load(&c->ack.state);

	if (state != ACK_OPEN) {
		warnx("--ack %s: %s; nothing after checkpoint %llu is committed",
		    c->o.ack, state == ACK_CLOSED ? "closed by the last stage" :
		    strerror(c->ack.error), (unsigned long long)c->ack.applied);
		c->failed = 1;
		got_stop = 1;
		return;
	}
	if (seq == 0 || age <= (int64_t)c->o.ack_ms) {
		c->ack_warned = 0;
		return;
	}
	if (c->ack_warned)
		return;
	c->ack_warned = 1;
	warnx("checkpoint %llu has not come back on %s within %llu s (does a "
	    "stage in between drop control lines? see tel(7)); nothing after "
	    "checkpoint %llu is committed", (unsigned long long)seq, c->o.ack,
	    (unsigned long long)c->o.ack_ms / 1000,
	    (unsigned long long)c->ack.applied);
	if (c->o.exit_eof) {
		c->failed = 1;
		got_stop = 1;
	}
}

static void
tick_ack(struct cat *c)
{
	int64_t now = tel_mono_ms();

	if (now - c->last_checkpoint >= (int64_t)c->o.checkpoint_ms)
		checkpoint(c, now, 0);
	commit_returned(c);
	watch_acks(c, now);
}

static void
emit(struct cat *c, const rd_kafka_message_t *m)
{
	const char *topic = intern(c, rd_kafka_topic_name(m->rkt));
	struct part *p = find_part(c, topic, m->partition);
	const char *v;
	char why[256];
	size_t n;

	c->st.messages++;
	if (p != NULL)
		p->eof = 0;
	if ((v = render_value(c, m, &n, why, sizeof(why))) == NULL) {
		warnx("%s [%" PRId32 "] offset %" PRId64 ": %s; skipped", topic,
		    m->partition, m->offset, why);
		c->st.skipped++;
		advance(c, p, topic, m->partition, m->offset);
		return;
	}
	if (c->o.envelope)
		v = envelope(c, m, v, &n);
	if (put_line(c, v, n) == -1)
		return;
	c->st.lines++;
	c->st.bytes += n + 1;
	advance(c, p, topic, m->partition, m->offset);
	if (c->o.count > 0 && c->st.lines >= c->o.count)
		c->done = 1;
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

static void
on_error(rd_kafka_t *rk, int e, const char *reason, void *opaque)
{
	struct cat *c = opaque;
	char why[512];

	if (e == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, why, sizeof(why));
		warnx("fatal: %s", why);
	} else if (e == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
		warnx("authentication failed: %s", reason);
	} else if (e == RD_KAFKA_RESP_ERR_INCONSISTENT_GROUP_PROTOCOL ||
	    e == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED ||
	    e == RD_KAFKA_RESP_ERR_INVALID_GROUP_ID) {
		warnx("-G %s: %s", c->o.group ? c->o.group : "", reason);
	} else if (e == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN &&
	    c->o.exit_eof) {
		warnx("%s", reason);	/* cron mode: do not wait forever */
	} else {
		if (c->o.k.verbose >= 0)
			warnx("kafka: %s", reason);
		return;
	}
	c->failed = 1;
	got_stop = 1;
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

/* --ack: lines from partitions taken away are read again by their owner. */
static void
forget(struct cat *c, const rd_kafka_topic_partition_list_t *l)
{
	int i;

	for (i = 0; i < l->cnt; i++)
		ack_forget(&c->ack, intern(c, l->elems[i].topic),
		    l->elems[i].partition);
}

/*
 * Before partitions go, the lines read from them are written and their
 * offsets committed, so the next owner starts right after them (with
 * --ack: the offsets of the checkpoints that came back).
 */
static void
on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
    rd_kafka_topic_partition_list_t *l, void *opaque)
{
	struct cat *c = opaque;
	rd_kafka_error_t *ce = NULL;
	rd_kafka_resp_err_t ae = RD_KAFKA_RESP_ERR_NO_ERROR;

	c->rebalanced = tel_mono_ms();
	if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		track_add(c, l);
		if (c->nparts > c->maxparts)
			c->maxparts = c->nparts;
		if (c->coop)
			ce = rd_kafka_incremental_assign(rk, l);
		else
			ae = rd_kafka_assign(rk, l);
		if (c->o.k.verbose > 0)
			warnx("assigned %d partitions", l->cnt);
	} else {
		flush_out(c);
		/* lost partitions may already be someone else's: no commit */
		if (c->acking && !rd_kafka_assignment_lost(rk))
			commit_returned(c);
		if (c->acking)
			forget(c, l);
		if (!rd_kafka_assignment_lost(rk))
			rd_kafka_commit(rk, NULL, 0);
		track_remove(c, l);
		if (c->coop)
			ce = rd_kafka_incremental_unassign(rk, l);
		else {
			ae = rd_kafka_assign(rk, NULL);
			c->nparts = 0;
		}
	}
	if (ce != NULL) {
		warnx("rebalance: %s", rd_kafka_error_string(ce));
		rd_kafka_error_destroy(ce);
		c->failed = 1;
		got_stop = 1;
	} else if (ae != RD_KAFKA_RESP_ERR_NO_ERROR) {
		warnx("rebalance: %s", rd_kafka_err2str(ae));
		c->failed = 1;
		got_stop = 1;
	}
}

/*
 * A failed metadata request says only "transport failure"; the reason
 * (authentication, TLS) waits in the queue for the error callback.
 */
static void
surface_errors(struct cat *c)
{
	rd_kafka_message_t *m;
	int i;

	for (i = 0; i < 10 && !got_stop; i++) {
		if ((m = rd_kafka_consumer_poll(c->rk, 100)) != NULL)
			rd_kafka_message_destroy(m);
	}
}

/* Without a group: every partition of each topic (or -p's), from -o. */
static rd_kafka_topic_partition_list_t *
all_partitions(struct cat *c)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(
	    16);
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_t *rkt;
	rd_kafka_resp_err_t e;
	size_t i;
	int j;

	for (i = 0; i < c->o.ntopics; i++) {
		rkt = rd_kafka_topic_new(c->rk, c->o.topics[i], NULL);
		e = rd_kafka_metadata(c->rk, 0, rkt, &md, 10000);
		rd_kafka_topic_destroy(rkt);
		if (e == RD_KAFKA_RESP_ERR_NO_ERROR && md->topics[0].err)
			e = md->topics[0].err;
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
			surface_errors(c);
			errx(1, "%s: %s", c->o.topics[i], rd_kafka_err2str(e));
		}
		for (j = 0; j < md->topics[0].partition_cnt; j++) {
			int32_t p = md->topics[0].partitions[j].id;

			if (c->o.partition == -1 || c->o.partition == p)
				rd_kafka_topic_partition_list_add(l,
				    c->o.topics[i], p)->offset = c->o.since != -1 ?
				    c->o.since : c->o.offset;
		}
		rd_kafka_metadata_destroy(md);
	}
	if (l->cnt == 0)
		errx(1, "-p %" PRId32 ": no such partition", c->o.partition);
	return l;
}

static void
assign_all(struct cat *c)
{
	rd_kafka_topic_partition_list_t *l = all_partitions(c);
	rd_kafka_resp_err_t e;
	int i;

	if (c->o.since != -1 &&
	    (e = rd_kafka_offsets_for_times(c->rk, l, 10000)) != 0)
		errx(1, "-o s@%" PRId64 ": %s", c->o.since, rd_kafka_err2str(e));
	for (i = 0; i < l->cnt; i++) {
		if (l->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR)
			errx(1, "%s [%" PRId32 "]: %s", l->elems[i].topic,
			    l->elems[i].partition,
			    rd_kafka_err2str(l->elems[i].err));
	}
	track_add(c, l);
	c->maxparts = c->nparts;
	if ((e = rd_kafka_assign(c->rk, l)) != 0)
		errx(1, "assign: %s", rd_kafka_err2str(e));
	rd_kafka_topic_partition_list_destroy(l);
}

static void
subscribe(struct cat *c)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(
	    (int)c->o.ntopics);
	rd_kafka_resp_err_t e;
	size_t i;

	for (i = 0; i < c->o.ntopics; i++)
		rd_kafka_topic_partition_list_add(l, c->o.topics[i],
		    RD_KAFKA_PARTITION_UA);
	if ((e = rd_kafka_subscribe(c->rk, l)) != 0)
		errx(1, "subscribe: %s", rd_kafka_err2str(e));
	rd_kafka_topic_partition_list_destroy(l);
}

/*
 * A failed commit repeats lines, never skips them.  One in a rebalance
 * or failover is said and the partition's next owner repeats them; the
 * final one, at exit, fails the run: the next run repeats them.
 */
static void
on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t e,
    rd_kafka_topic_partition_list_t *l, void *opaque)
{
	struct cat *c = opaque;

	(void)rk;
	(void)l;
	if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR__NO_OFFSET)
		return;
	warnx("commit: %s%s", rd_kafka_err2str(e), c->closing ? "" :
	    " (lines not committed may be read again)");
	if (c->closing)
		c->failed = 1;
}

/* Decided by the configuration, not asked of librdkafka mid-rebalance. */
static int
cooperative(rd_kafka_conf_t *conf)
{
	char buf[256];
	size_t n = sizeof(buf);

	if (rd_kafka_conf_get(conf, "partition.assignment.strategy", buf,
	    &n) != RD_KAFKA_CONF_OK)
		return 0;
	return strstr(buf, "cooperative") != NULL;
}

static void
setup(struct cat *c)
{
	struct kafka_default d[] = {
		{ "enable.auto.offset.store", "false" },
		{ "enable.partition.eof", "true" },
		{ "auto.offset.reset", "earliest" },
		/* an idle partition's fetch returns sooner: -e ends sooner */
		{ "fetch.wait.max.ms", "100" },
		/*
		 * Once its queue is full, librdkafka 2.0 fetches again only
		 * when its broker thread next wakes, up to 1 s later (later
		 * versions call it fetch.queue.backoff.ms); a reader slower
		 * than the fetch then waits on an empty queue.  A queue that
		 * holds about a second of a slow reader's input bridges it:
		 * bound by bytes, not by count.
		 */
		{ "queued.max.messages.kbytes", "131072" },
		{ "queued.min.messages", "1000000" },
		{ "enable.auto.commit", c->o.group ? "true" : "false" },
		/* no commits happen without -G; librdkafka wants a name */
		{ "group.id", c->o.group ? c->o.group : "tel-kafka-cat" },
		{ NULL, NULL },
	};
	rd_kafka_conf_t *conf;
	char e[512];

	if (c->o.group != NULL && c->o.offset == RD_KAFKA_OFFSET_END)
		d[2].value = "latest";	/* auto.offset.reset */
	if ((conf = kafka_conf(&c->o.k, d, e, sizeof(e))) == NULL)
		errx(2, "%s", e);
	rd_kafka_conf_set_error_cb(conf, on_error);
	if (c->o.group != NULL) {
		rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
		rd_kafka_conf_set_offset_commit_cb(conf, on_commit);
		c->coop = cooperative(conf);
		/* a crashed member holds its partitions a session long */
		c->assign_ms = 2 * kafka_conf_int(conf, "session.timeout.ms",
		    45000) + 30000;
	}
	rd_kafka_conf_set_opaque(conf, c);
	if ((c->rk = kafka_new(RD_KAFKA_CONSUMER, conf, &c->o.k, e,
	    sizeof(e))) == NULL)
		errx(2, "%s", e);
	rd_kafka_poll_set_consumer(c->rk);
	if (ndjson_writer_init(&c->out, STDOUT_FILENO, 0) == -1)
		err(1, NULL);
	/* a stop ends a blocked write; those offsets are then not stored */
	c->out.interrupt = &got_stop;
	if (c->o.group != NULL)
		subscribe(c);
	else
		assign_all(c);
}

/*
 * Each partition's lag behind its high watermark, as the last fetch saw
 * it (no request), for --metrics: worked out here because the metrics
 * are also written after the client is gone.
 */
static void
update_lag(struct cat *c)
{
	const struct part *p;
	int64_t lo, hi, now;
	size_t i;

	if (c->metrics.file == NULL || c->nparts == 0 ||
	    (now = tel_mono_ms()) - c->lag_at < 500)
		return;
	c->lag_at = now;
	free(c->lags);
	if ((c->lags = calloc(c->nparts, sizeof(*c->lags))) == NULL)
		err(1, NULL);
	for (c->nlags = 0, i = 0; i < c->nparts; i++) {
		p = &c->parts[i];
		if (p->pos < 0 || rd_kafka_get_watermark_offsets(c->rk,
		    p->topic, p->partition, &lo, &hi) != 0 || hi < 0)
			continue;	/* nothing read yet: unknown */
		c->lags[c->nlags].topic = p->topic;
		c->lags[c->nlags].partition = p->partition;
		c->lags[c->nlags++].lag = hi > p->pos ? hi - p->pos : 0;
	}
}

/* --metrics: tel_kafka_cat_lag{topic,partition}, one a partition. */
static void
put_lag(const struct metrics *m, FILE *fp, void *arg)
{
	const struct cat *c = arg;
	char labels[512], v[32];
	size_t i;

	for (i = 0; i < c->nlags; i++) {
		if (i == 0)
			metrics_put_header(m, fp, "lag", "", "gauge",
			    "Messages behind the high watermark, per partition.");
		snprintf(labels, sizeof(labels), "topic=\"%s\",partition=\"%d\"",
		    c->lags[i].topic, (int)c->lags[i].partition);
		snprintf(v, sizeof(v), "%lld", (long long)c->lags[i].lag);
		metrics_put_sample(m, fp, "lag", "", labels, v);
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

static void
pause_all(struct cat *c)
{
	rd_kafka_topic_partition_list_t *l;

	if (rd_kafka_assignment(c->rk, &l) != 0)
		return;
	rd_kafka_pause_partitions(c->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
}

/*
 * --ack at the end: a last checkpoint that asks every stage to make all
 * safe now ("flush"), stdout closed so that they see their end, then a
 * bounded wait
 * for the checkpoint to come back.  Messages fetched meanwhile are
 * dropped: their offsets are never committed.  A second signal, or
 * FILE's writer leaving, ends the wait.
 */
static void
ack_finish(struct cat *c)
{
	int64_t until = tel_mono_ms() + (int64_t)c->o.ack_ms;
	sig_atomic_t sigs = got_signals;
	rd_kafka_message_t *m;
	const char *why = "timed out";
	uint64_t want;
	int64_t age;

	checkpoint(c, tel_mono_ms(), 1);
	flush_out(c);
	if (!c->out_closed && close(STDOUT_FILENO) == -1 && !c->out_broken) {
		warn("stdout");
		c->failed = 1;
	}
	c->out_closed = 1;
	pause_all(c);
	want = c->ack.seq;
	for (;;) {
		commit_returned(c);
		if (c->ack.applied >= want)
			break;
		if (got_signals != sigs) {
			why = "interrupted";
			break;
		}
		if (atomic_load(&c->ack.state) != ACK_OPEN) {
			commit_returned(c);
			why = "closed by the last stage";
			break;
		}
		if (tel_mono_ms() >= until)
			break;
		if ((m = rd_kafka_consumer_poll(c->rk, 100)) != NULL)
			rd_kafka_message_destroy(m);
		oldest(c, tel_mono_ms(), &age);
		update_lag(c);
		metrics_tick(&c->metrics);
	}
	if (c->ack.applied >= want)
		return;
	warnx("checkpoint %llu did not come back on %s (%s); nothing after "
	    "checkpoint %llu is committed", (unsigned long long)want, c->o.ack,
	    why, (unsigned long long)c->ack.applied);
	c->failed = 1;
}

/*
 * Written lines' offsets are committed, the group left; a bound keeps a
 * dead cluster from holding a cron job.
 */
static void
finish(struct cat *c)
{
	rd_kafka_resp_err_t e;

	if (c->acking)
		ack_finish(c);
	flush_out(c);
	c->closing = 1;
	signal(SIGALRM, on_alarm);
	alarm((unsigned)((c->o.close_ms + 999) / 1000));
	/* revokes (our callback commits what was written) and leaves */
	if ((e = rd_kafka_consumer_close(c->rk)) != 0) {
		warnx("close: %s", rd_kafka_err2str(e));
		c->failed = 1;
	}
	rd_kafka_destroy(c->rk);
	alarm(0);
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
	free(c->line);
	free(c->env);
	free(c->pos);
	free(c->lags);
	if (c->acking)
		ack_free(&c->ack);
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
		ack_free(&c.ack);	/* a topic named --ack, say */
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
