/*
 * tel-kinesis-cat: what is kept as read.  With --ack, checkpoints go out
 * with the lines, each carrying the positions of the shards it covers,
 * and a position reaches the state file only when its checkpoint comes
 * back (tel(7), CHECKPOINTS).  Without --ack, a position is kept once its
 * line has been written to stdout, every few seconds and at the end, as
 * tel-kafka-cat -G commits: a later stage's crash can then lose what it
 * held.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "control.h"
#include "diag.h"
#include "kcat.h"

#define KEEP_MS		5000	/* without --ack: as auto.commit.interval.ms */

struct pos {
	char	id[SHARD_ID_MAX];
	char	seq[SEQ_MAX];
	int	ended;
};

struct payload {
	struct pos	*p;
	size_t		 n;
};

void
free_payload(void *v)
{
	struct payload *pl = v;

	if (pl != NULL)
		free(pl->p);
	free(pl);
}

/* The positions of the shards written from since the last checkpoint. */
static struct payload *
dirty_positions(struct kcat *c)
{
	struct payload *pl;
	size_t i;

	if ((pl = calloc(1, sizeof(*pl))) == NULL ||
	    (pl->p = calloc(c->nsh ? c->nsh : 1, sizeof(*pl->p))) == NULL)
		err(1, NULL);
	for (i = 0; i < c->nsh; i++) {
		struct shard *s = &c->sh[i];

		if (!s->dirty)
			continue;
		memcpy(pl->p[pl->n].id, s->id, sizeof(s->id));
		memcpy(pl->p[pl->n].seq, s->last, sizeof(s->last));
		pl->p[pl->n++].ended = s->ended;
		s->dirty = 0;
	}
	return pl;
}

static void
checkpoint(struct kcat *c, int64_t now, int flush)
{
	char line[CONTROL_CHECKPOINT_MAX];
	struct payload *pl;
	size_t len;

	c->last_checkpoint = now;
	if (c->out_broken || c->out_closed)
		return;
	pl = dirty_positions(c);
	/* the last one also when only earlier ones are out: it flushes them */
	if (pl->n == 0 && !(flush && c->ack.n > 0)) {
		free_payload(pl);
		return;
	}
	if ((len = ack_checkpoint(&c->ack, pl, line, now, flush)) == 0)
		err(1, NULL);
	put_line(c, line, len);
}

/* A returned checkpoint's positions become the kept ones. */
static void
apply(void *v, void *arg)
{
	struct payload *pl = v;
	struct kcat *c = arg;
	struct shard *s;
	size_t i;

	for (i = 0; i < pl->n; i++) {
		if ((s = find_shard(c, pl->p[i].id)) == NULL)
			continue;
		if (pl->p[i].seq[0] != '\0')
			memcpy(s->kept, pl->p[i].seq, sizeof(s->kept));
		s->kept_ended = s->kept_ended || pl->p[i].ended;
	}
	free_payload(pl);
}

static void
take_returned(struct kcat *c)
{
	size_t n;

	if ((n = ack_take(&c->ack, apply, c)) == 0)
		return;
	state_save(c);
	if (c->o.verbose > 0)
		tel_warnx("checkpoint %llu came back: positions kept in %s",
		    (unsigned long long)c->ack.applied, c->state_path);
}

/*
 * Checkpoints that do not come back: said once after --ack-timeout (and
 * -e gives up); FILE closed by its writer: nothing can come back.
 */
static void
watch_acks(struct kcat *c, int64_t now)
{
	int64_t age;
	uint64_t seq = ack_oldest(&c->ack, now, &age);
	int e, state = ack_state(&c->ack, &e);

	if (state != ACK_OPEN) {
		tel_warnx("--ack %s: %s; nothing after checkpoint %llu is kept",
		    c->o.ack, state == ACK_CLOSED ? "closed by the last stage" :
		    strerror(e), (unsigned long long)c->ack.applied);
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
	tel_warnx("checkpoint %llu has not come back on %s within %llu s (does "
	    "a stage in between drop control lines? see tel(7)); nothing "
	    "after checkpoint %llu is kept", (unsigned long long)seq,
	    c->o.ack, (unsigned long long)c->o.ack_ms / 1000,
	    (unsigned long long)c->ack.applied);
	if (c->o.exit_eof) {
		c->failed = 1;
		*c->stop = 1;
	}
}

/* Without --ack: what stdout has taken is kept. */
void
keep_written(struct kcat *c)
{
	size_t i;

	flush_out(c);
	if (c->out_broken)
		return;		/* what it did not take is read again */
	for (i = 0; i < c->nsh; i++) {
		struct shard *s = &c->sh[i];

		if (s->last[0] != '\0')
			memcpy(s->kept, s->last, sizeof(s->kept));
		s->kept_ended = s->kept_ended || s->ended;
	}
	state_save(c);
	c->last_save = tel_mono_ms();
}

void
tick_ack(struct kcat *c)
{
	int64_t now = tel_mono_ms();

	if (!c->acking) {
		if (c->state_path != NULL && now - c->last_save >= KEEP_MS)
			keep_written(c);
		return;
	}
	if (now - c->last_checkpoint >= (int64_t)c->o.checkpoint_ms)
		checkpoint(c, now, 0);
	take_returned(c);
	watch_acks(c, now);
}

/*
 * --ack at the end: a last checkpoint that asks every stage to make all
 * safe now ("flush"), stdout closed so that they see their end, then a
 * bounded wait for it to come back.  A second signal, or FILE's writer
 * leaving, ends the wait.
 */
void
ack_finish(struct kcat *c)
{
	int64_t until = tel_mono_ms() + (int64_t)c->o.ack_ms, age;
	sig_atomic_t sigs = *c->signals;
	const char *why = "timed out";
	uint64_t want;
	int e;

	checkpoint(c, tel_mono_ms(), 1);
	flush_out(c);
	if (!c->out_closed && close(STDOUT_FILENO) == -1 && !c->out_broken) {
		tel_warn("stdout");
		c->failed = 1;
	}
	c->out_closed = 1;
	want = c->ack.seq;
	for (;;) {
		take_returned(c);
		if (c->ack.applied >= want)
			return;
		if (*c->signals != sigs) {
			why = "interrupted";
			break;
		}
		if (ack_state(&c->ack, &e) != ACK_OPEN) {
			take_returned(c);
			why = "closed by the last stage";
			break;
		}
		if (tel_mono_ms() >= until)
			break;
		usleep(20000);
		ack_oldest(&c->ack, tel_mono_ms(), &age);
		metrics_tick(&c->metrics);
	}
	if (c->ack.applied >= want)
		return;
	tel_warnx("checkpoint %llu did not come back on %s (%s); nothing after "
	    "checkpoint %llu is kept", (unsigned long long)want, c->o.ack, why,
	    (unsigned long long)c->ack.applied);
	c->failed = 1;
}
