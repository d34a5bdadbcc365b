/*
 * tel-kafka-cat's Kafka client: its configuration, the group's callbacks
 * (errors, rebalances, commits), the partitions it is given or takes, and
 * the close that commits and leaves the group.
 */
#include <err.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cat.h"
#include "clock.h"
#include "diag.h"

static void
on_alarm(int sig)
{
	static const char msg[] = "tel-kafka-cat: close timed out\n";

	(void)sig;
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

static void
on_error(rd_kafka_t *rk, int e, const char *reason, void *opaque)
{
	struct cat *c = opaque;
	char r[512];

	reason = tel_printable_copy(r, sizeof(r), reason);
	if (kafka_error_ends(rk, e, reason)) {
		/* said */
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
	*c->stop = 1;
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
	int lost;

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
		lost = rd_kafka_assignment_lost(rk);
		if (c->acking) {
			if (!lost)
				commit_returned(c);
			forget(c, l);
		}
		if (!lost)
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
		*c->stop = 1;
	} else if (ae != RD_KAFKA_RESP_ERR_NO_ERROR) {
		warnx("rebalance: %s", rd_kafka_err2str(ae));
		c->failed = 1;
		*c->stop = 1;
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

	for (i = 0; i < 10 && !*c->stop; i++) {
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

void
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
	c->out.interrupt = c->stop;
	if (c->o.group != NULL)
		subscribe(c);
	else
		assign_all(c);
}

/*
 * Written lines' offsets are committed, the group left; a bound keeps a
 * dead cluster from holding a cron job.
 */
void
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
