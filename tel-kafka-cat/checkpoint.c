/*
 * tel-kafka-cat --ack: checkpoints written into the output with the
 * offsets each covers (ack.c), commits for those that come back
 * (lib/ack.c reads them), a warning for those that do not, and the
 * bounded wait for the last one at the end.  See tel(7).
 */
#include <err.h>
#include <string.h>
#include <unistd.h>

#include "cat.h"
#include "clock.h"
#include "control.h"

/*
 * --ack: a checkpoint after the lines written since the last one, with
 * the offsets it covers; none if no partition moved (but for a flush).
 */
static void
checkpoint(struct cat *c, int64_t now, int flush)
{
	char line[CONTROL_CHECKPOINT_MAX];
	size_t n, len;

	c->last_checkpoint = now;
	if (c->out_broken || c->out_closed)
		return;
	/* the last one also when only earlier ones are out: it flushes them */
	if ((n = dirty_parts(c)) == 0 && !(flush && c->ack.n > 0))
		return;
	if ((len = ack_checkpoint(&c->ack, covered(c, n), line, now,
	    flush)) == 0)
		err(1, NULL);
	put_line(c, line, len);
}

/* Commits the offsets that returned checkpoints cover. */
void
commit_returned(struct cat *c)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;

	if ((l = take_returned(c)) == NULL)
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
static void
watch_acks(struct cat *c, int64_t now)
{
	int64_t age;
	uint64_t seq = ack_oldest(&c->ack, now, &age);
	int error, state = ack_state(&c->ack, &error);

	if (state != ACK_OPEN) {
		warnx("--ack %s: %s; nothing after checkpoint %llu is committed",
		    c->o.ack, state == ACK_CLOSED ? "closed by the last stage" :
		    strerror(error), (unsigned long long)c->ack.applied);
		c->failed = 1;
		*c->stop = 1;
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
		*c->stop = 1;
	}
}

void
tick_ack(struct cat *c)
{
	int64_t now = tel_mono_ms();

	if (now - c->last_checkpoint >= (int64_t)c->o.checkpoint_ms)
		checkpoint(c, now, 0);
	commit_returned(c);
	watch_acks(c, now);
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
 * bounded wait for the checkpoint to come back.  Messages fetched
 * meanwhile are dropped: their offsets are never committed.  A second
 * signal, or FILE's writer leaving, ends the wait.
 */
void
ack_finish(struct cat *c)
{
	int64_t until = tel_mono_ms() + (int64_t)c->o.ack_ms;
	sig_atomic_t sigs = *c->signals;
	rd_kafka_message_t *m;
	const char *why = "timed out";
	uint64_t want;
	int64_t age;
	int error;

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
		if (*c->signals != sigs) {
			why = "interrupted";
			break;
		}
		if (ack_state(&c->ack, &error) != ACK_OPEN) {
			commit_returned(c);
			why = "closed by the last stage";
			break;
		}
		if (tel_mono_ms() >= until)
			break;
		if ((m = rd_kafka_consumer_poll(c->rk, 100)) != NULL)
			rd_kafka_message_destroy(m);
		ack_oldest(&c->ack, tel_mono_ms(), &age);
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
